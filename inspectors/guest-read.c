/* guest-read.c - see guest-read.h. */
#include "guest-read.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes per guestfs_pread: its reply must fit in one protocol message
 * (guestfs(3): "a transfer limit of somewhere between 2MB and 4MB"). */
#define GF_PREAD_CHUNK (1u << 20)

const char *
v2k_gf_last_error_line(guestfs_h *g, char *buf, size_t len)
{
    const char *msg = guestfs_last_error(g), *p, *start;
    size_t n;

    if (msg == NULL || *msg == '\0')
        return "unknown libguestfs error";
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    start = msg;
    for (p = msg; p < msg + n; p++)
        if (*p == '\n')
            start = p + 1;
    snprintf(buf, len, "%.*s", (int)(msg + n - start), start);
    return buf;
}

void
v2k_gf_error(guestfs_h *g, const char *what, const char *path,
             const char *op)
{
    char buf[512];
    v2k_error("%s: %s: %s%s%s", what, path, op ? op : "", op ? ": " : "",
              v2k_gf_last_error_line(g, buf, sizeof buf));
}

bool
v2k_gf_exists(guestfs_h *g, const char *path)
{
    return guestfs_exists(g, path) == 1;
}

/* stat(2) in the guest (following symlinks): false when path is missing
 * or unreadable.  One statns round trip costs about 0.6 ms under TCG,
 * is_file and is_dir about 7 ms (measured with libguestfs 1.48). */
static bool
gf_stat(guestfs_h *g, const char *path, int64_t *mode, int64_t *size)
{
    struct guestfs_statns *st = guestfs_statns(g, path);

    if (st == NULL)
        return false;
    *mode = st->st_mode;
    *size = st->st_size;
    guestfs_free_statns(st);
    return true;
}

bool
v2k_gf_is_file(guestfs_h *g, const char *path)
{
    int64_t mode, size;
    return gf_stat(g, path, &mode, &size) && S_ISREG(mode);
}

bool
v2k_gf_is_dir(guestfs_h *g, const char *path)
{
    int64_t mode, size;
    return gf_stat(g, path, &mode, &size) && S_ISDIR(mode);
}

bool
v2k_gf_is_symlink(guestfs_h *g, const char *path)
{
    return guestfs_is_symlink(g, path) == 1;
}

const char *
v2k_gf_first_file(guestfs_h *g, const char *const *paths)
{
    for (; *paths; paths++)
        if (v2k_gf_is_file(g, *paths))
            return *paths;
    return NULL;
}

/* Read [off, off + count) of path into buf by pread round trips (about
 * 1 ms each under TCG, where read_file and download, which go through a
 * file transfer, take 150 ms even for a few bytes).  The bytes read
 * (fewer if the file ends first), or -1 with a message. */
static int64_t
gf_pread_all(guestfs_h *g, const char *what, const char *path, char *buf,
             int64_t off, int64_t count)
{
    int64_t done = 0;

    while (done < count) {
        size_t want = (uint64_t)(count - done) < GF_PREAD_CHUNK
                      ? (size_t)(count - done) : GF_PREAD_CHUNK;
        size_t n = 0;
        char *part = guestfs_pread(g, path, (int)want, off + done, &n);

        if (part == NULL) {
            v2k_gf_error(g, what, path, NULL);
            return -1;
        }
        if (n > want)
            n = want;
        memcpy(buf + done, part, n);
        free(part);
        if (n == 0)
            break;              /* the file ends here */
        done += (int64_t)n;
    }
    return done;
}

char *
v2k_gf_read_max(guestfs_h *g, const char *what, const char *path,
                size_t max, size_t *len)
{
    int64_t mode, size, n;
    char *data;

    if (!gf_stat(g, path, &mode, &size) || !S_ISREG(mode)) {
        v2k_error("%s: %s: no such file", what, path);
        return NULL;
    }
    if (size < 0 || (uint64_t)size > max) {
        v2k_error("%s: %s: %" PRId64 " bytes, more than the %zu we read",
                  what, path, size, max);
        return NULL;
    }
    data = malloc((size_t)size + 1);
    if (data == NULL) {
        v2k_error("out of memory");
        return NULL;
    }
    n = gf_pread_all(g, what, path, data, 0, size);
    if (n == -1) {
        free(data);
        return NULL;
    }
    data[n] = '\0';
    if (len)
        *len = (size_t)n;
    return data;
}

int
v2k_gf_copy_out(guestfs_h *g, const char *what, const char *path, int fd,
                const char *host_path)
{
    int64_t mode, size, off = 0;
    char *buf;
    int r = -1;

    if (!gf_stat(g, path, &mode, &size) || !S_ISREG(mode)) {
        v2k_error("%s: %s: no such file", what, path);
        return -1;
    }
    buf = malloc(GF_PREAD_CHUNK);
    if (buf == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    while (off < size) {
        int64_t n = gf_pread_all(g, what, path, buf, off,
                                 size - off < GF_PREAD_CHUNK
                                     ? size - off : GF_PREAD_CHUNK);
        const char *p = buf;

        if (n == -1)
            goto out;
        if (n == 0)
            break;
        for (int64_t left = n; left > 0;) {
            ssize_t w = write(fd, p, (size_t)left);
            if (w == -1 && errno == EINTR)
                continue;
            if (w == -1) {
                v2k_error_errno(errno, "%s: %s: writing the copy of %s",
                                what, host_path, path);
                goto out;
            }
            p += w;
            left -= w;
        }
        off += n;
    }
    r = 0;
out:
    free(buf);
    return r;
}

char *
v2k_gf_read(guestfs_h *g, const char *what, const char *path, size_t *len)
{
    return v2k_gf_read_max(g, what, path, V2K_GF_MAX_FILE, len);
}

char *
v2k_gf_case_path(guestfs_h *g, const char *path)
{
    char *r;

    guestfs_push_error_handler(g, NULL, NULL);
    r = guestfs_case_sensitive_path(g, path);
    guestfs_pop_error_handler(g);
    return r ? r : v2k_strdup(path);
}
