/* raw-writer.c - raw output: holes where nothing is written (sparse), or
 * the whole size allocated up front (-oa preallocated, fallocate). */
#include "writer.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

struct raw_writer {
    struct v2k_writer w;
    int fd;
};

static int
raw_w_pwrite(struct v2k_writer *w, const void *buf, size_t count,
             uint64_t offset)
{
    struct raw_writer *r = (struct raw_writer *)w;
    return v2k_pwrite_all(r->fd, w->path, buf, count, offset);
}

static int
raw_w_finish(struct v2k_writer *w)
{
    struct raw_writer *r = (struct raw_writer *)w;
    int fd = r->fd;

    r->fd = -1;
    if (close(fd) == -1) {
        v2k_error_errno(errno, "%s: close", w->path);
        return -1;
    }
    return 0;
}

static void
raw_w_free(struct v2k_writer *w)
{
    struct raw_writer *r = (struct raw_writer *)w;
    if (r->fd >= 0)
        close(r->fd);
    free(w->path);
    free(r);
}

static const struct v2k_writer_ops raw_writer_ops = {
    .name = "raw",
    .pwrite = raw_w_pwrite,
    .finish = raw_w_finish,
    .free = raw_w_free,
};

struct v2k_writer *
v2k_raw_writer_create(const char *path, uint64_t size,
                      const struct v2k_writer_opts *opts)
{
    struct raw_writer *r = v2k_calloc(1, sizeof *r);
    int err;

    if (r == NULL)
        return NULL;
    r->w.ops = &raw_writer_ops;
    r->w.size = size;
    r->w.granularity = 4096;
    r->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    r->w.path = v2k_strdup(path);
    if (r->fd == -1) {
        v2k_error_errno(errno, "%s: create", path);
        goto fail;
    }
    if (r->w.path == NULL)
        goto fail;
    if (opts->preallocate) {
        err = posix_fallocate(r->fd, 0, (off_t)size);
        if (err) {
            v2k_error_errno(err, "%s: preallocating %llu bytes", path,
                            (unsigned long long)size);
            goto fail;
        }
    } else if (ftruncate(r->fd, (off_t)size) == -1) {
        v2k_error_errno(errno, "%s: setting size %llu", path,
                        (unsigned long long)size);
        goto fail;
    }
    return &r->w;

fail:
    /* Created here with O_EXCL: ours to remove (the caller registers it
     * for removal only once create succeeded). */
    if (r->fd >= 0)
        unlink(path);
    raw_w_free(&r->w);
    return NULL;
}
