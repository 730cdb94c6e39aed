/* writer.c - the writer wrappers of writer.h. */
#include "writer.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The output formats, in the order users see them (qcow2 first: the
 * default of v2kvm -of). */
static const struct {
    const char *name;
    struct v2k_writer *(*create)(const char *path, uint64_t size,
                                 const struct v2k_writer_opts *opts);
} writers[] = {
    { "qcow2", v2k_qcow2_writer_create },
    { "raw", v2k_raw_writer_create },
};

bool
v2k_writer_format_known(const char *format)
{
    for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++)
        if (strcmp(format, writers[i].name) == 0)
            return true;
    return false;
}

const char *
v2k_writer_format_names(void)
{
    static char names[64];

    if (names[0] == '\0') {
        for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s",
                     i == 0 ? "" : i + 1 == sizeof writers / sizeof writers[0]
                                       ? " or " : ", ",
                     writers[i].name);
        }
    }
    return names;
}

struct v2k_writer *
v2k_writer_create(const char *path, const char *format, uint64_t size,
                  const struct v2k_writer_opts *opts)
{
    static const struct v2k_writer_opts defaults;

    if (opts == NULL)
        opts = &defaults;
    for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++)
        if (strcmp(format, writers[i].name) == 0)
            return writers[i].create(path, size, opts);
    v2k_error("output format '%s' is not supported (use %s)", format,
              v2k_writer_format_names());
    return NULL;
}

int
v2k_writer_pwrite(struct v2k_writer *w, const void *buf, size_t count,
                  uint64_t offset)
{
    if (w->finished) {
        v2k_error("%s: write at %llu after the output was finished",
                  w->path, (unsigned long long)offset);
        return -1;
    }
    if (offset > w->size || count > w->size - offset) {
        v2k_error("%s: write of %zu bytes at %llu is past the end of the disk", w->path, count, (unsigned long long)offset);
        return -1;
    }
    return w->ops->pwrite(w, buf, count, offset);
}

int
v2k_writer_finish(struct v2k_writer *w)
{
    if (w->finished == 1)
        return 0;
    if (w->finished == -1) {
        v2k_error("%s: finishing the output failed earlier", w->path);
        return -1;
    }
    w->finished = w->ops->finish(w) == 0 ? 1 : -1;
    return w->finished == 1 ? 0 : -1;
}

uint32_t
v2k_writer_granularity(const struct v2k_writer *w)
{
    return w->granularity;
}

void
v2k_writer_free(struct v2k_writer *w)
{
    if (w)
        w->ops->free(w);
}

int
v2k_pwrite_all(int fd, const char *path, const void *buf, size_t count,
               uint64_t offset)
{
    const char *p = buf;

    while (count > 0) {
        ssize_t r = pwrite(fd, p, count, (off_t)offset);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            v2k_error_errno(errno, "%s: write at offset %llu", path,
                            (unsigned long long)offset);
            return -1;
        }
        p += r;
        count -= (size_t)r;
        offset += (uint64_t)r;
    }
    return 0;
}
