/* guest-read.c - see guest-read.h. */
#include "guest-read.h"
#include "error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool
v2k_gf_is_file(guestfs_h *g, const char *path)
{
    return guestfs_is_file_opts(g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS,
                                1, -1) == 1;
}

bool
v2k_gf_is_dir(guestfs_h *g, const char *path)
{
    return guestfs_is_dir_opts(g, path, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS,
                               1, -1) == 1;
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

char *
v2k_gf_read_max(guestfs_h *g, const char *what, const char *path,
                size_t max, size_t *len)
{
    int64_t size;
    size_t n = 0;
    char *data, *out;

    if (!v2k_gf_is_file(g, path)) {
        v2k_error("%s: %s: no such file", what, path);
        return NULL;
    }
    size = guestfs_filesize(g, path);
    if (size == -1) {
        v2k_gf_error(g, what, path, NULL);
        return NULL;
    }
    if ((uint64_t)size > max) {
        v2k_error("%s: %s: %" PRId64 " bytes, more than the %zu we read",
                  what, path, size, max);
        return NULL;
    }
    data = guestfs_read_file(g, path, &n);
    if (data == NULL) {
        v2k_gf_error(g, what, path, NULL);
        return NULL;
    }
    if (n > max) {              /* grew since the size check */
        free(data);
        v2k_error("%s: %s: more than %zu bytes", what, path, max);
        return NULL;
    }
    /* read_file's buffer is NUL-terminated past n, but say so ourselves. */
    out = realloc(data, n + 1);
    if (out == NULL) {
        free(data);
        v2k_error("out of memory");
        return NULL;
    }
    out[n] = '\0';
    if (len)
        *len = n;
    return out;
}

char *
v2k_gf_read(guestfs_h *g, const char *what, const char *path, size_t *len)
{
    return v2k_gf_read_max(g, what, path, V2K_GF_MAX_FILE, len);
}
