/* writer.c - the writer wrappers of writer.h. */
#include "writer.h"
#include "error.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct v2k_writer *
v2k_writer_create(const char *path, const char *format, uint64_t size,
                  const struct v2k_writer_opts *opts)
{
    static const struct v2k_writer_opts defaults;

    if (opts == NULL)
        opts = &defaults;
    if (strcmp(format, "raw") == 0)
        return v2k_raw_writer_create(path, size, opts);
    if (strcmp(format, "qcow2") == 0)
        return v2k_qcow2_writer_create(path, size, opts);
    v2k_error("output format '%s' is not supported (use raw or qcow2)",
              format);
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
