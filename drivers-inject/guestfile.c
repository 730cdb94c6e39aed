/* guestfile.c - see guestfile.h. */
#include "guestfile.h"
#include "cleanup.h"
#include "convert.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Above this, content goes through a host temporary file and
 * guestfs_upload instead of guestfs_write's one protocol message (4 MiB
 * with its framing, libguestfs GUESTFS_MESSAGE_MAX). */
#define WRITE_INLINE_MAX (2u << 20)

static int
put_content(guestfs_h *g, const char *step, const char *path,
            const char *content, size_t len)
{
    char tmpl[] = "/tmp/v2kvm-upload-XXXXXX";
    CLEANUP_CLOSE int fd = -1;
    size_t off = 0;
    int r;

    if (len <= WRITE_INLINE_MAX) {
        if (guestfs_write(g, path, content, len) == -1) {
            v2k_gf_error(g, step, path, "write");
            return -1;
        }
        return 0;
    }
    fd = mkstemp(tmpl);
    if (fd == -1) {
        v2k_error_errno(errno, "%s: %s: temporary file", step, path);
        return -1;
    }
    while (off < len) {
        ssize_t w = write(fd, content + off, len - off);
        if (w <= 0) {
            v2k_error_errno(errno, "%s: %s: write", step, tmpl);
            unlink(tmpl);
            return -1;
        }
        off += (size_t)w;
    }
    r = guestfs_upload(g, tmpl, path);
    unlink(tmpl);
    if (r == -1) {
        v2k_gf_error(g, step, path, "upload");
        return -1;
    }
    return 0;
}

/* v2k_gf_write, or v2k_gf_write_file with host_file non-NULL. */
static int
replace(guestfs_h *g, const char *step, const char *path,
        const char *content, size_t len, const char *host_file)
{
    CLEANUP_FREE char *real = NULL, *dir = NULL, *tmp = NULL;
    struct guestfs_statns *st = NULL;
    int64_t mode = 0644, uid = 0, gid = 0;
    char rnd[8];
    unsigned char b[4];

    /* Write through symlinks (/etc/resolv.conf -> ../run/...): replace the
     * target, not the link. */
    if (v2k_gf_exists(g, path)) {
        real = guestfs_realpath(g, path);
        if (real == NULL) {
            v2k_gf_error(g, step, path, "realpath");
            return -1;
        }
        st = guestfs_statns(g, real);
        if (st == NULL) {
            v2k_gf_error(g, step, real, "stat");
            return -1;
        }
        mode = st->st_mode & 07777;
        uid = st->st_uid;
        gid = st->st_gid;
        guestfs_free_statns(st);
    } else if ((real = v2k_strdup(path)) == NULL)
        return -1;
    if ((dir = v2k_dirname(real)) == NULL)
        return -1;
    if (v2k_random_bytes(b, sizeof b) == -1)
        return -1;
    snprintf(rnd, sizeof rnd, "%02x%02x%02x", b[0], b[1], b[2]);
    tmp = v2k_asprintf("%s/.v2kvm-%s.tmp", strcmp(dir, "/") ? dir : "", rnd);
    if (tmp == NULL)
        return -1;
    if (host_file) {
        if (guestfs_upload(g, host_file, tmp) == -1) {
            v2k_gf_error(g, step, real, "upload");
            goto fail;
        }
    } else if (put_content(g, step, tmp, content, len) == -1)
        goto fail;
    if (guestfs_chmod(g, (int)mode, tmp) == -1 ||
        guestfs_chown(g, (int)uid, (int)gid, tmp) == -1) {
        v2k_gf_error(g, step, real, "chmod/chown");
        goto fail;
    }
    if (guestfs_rename(g, tmp, real) == -1) {
        v2k_gf_error(g, step, real, "rename");
        goto fail;
    }
    return 0;
fail:
    guestfs_rm_f(g, tmp);
    return -1;
}

int
v2k_gf_write(guestfs_h *g, const char *step, const char *path,
             const char *content, size_t len)
{
    return replace(g, step, path, content, len, NULL);
}

int
v2k_gf_write_file(guestfs_h *g, const char *step, const char *path,
                  const char *host_file)
{
    return replace(g, step, path, NULL, 0, host_file);
}

int
v2k_gf_edit_lines(guestfs_h *g, const char *step, const char *path,
                  bool missing_ok, v2k_gf_line_fn fn, void *opaque,
                  unsigned *nchanged)
{
    CLEANUP_FREE char *data = NULL, *out = NULL;
    size_t len = 0, olen = 0;
    FILE *fp;
    char *p, *nl;
    unsigned changed = 0;

    if (nchanged)
        *nchanged = 0;
    if (missing_ok && !v2k_gf_exists(g, path))
        return 0;
    data = v2k_gf_read(g, step, path, &len);
    if (data == NULL)
        return -1;
    if (memchr(data, '\0', len)) {
        v2k_error("%s: %s: a NUL byte in what should be a text file", step,
                  path);
        return -1;
    }
    fp = open_memstream(&out, &olen);
    if (fp == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    for (p = data; *p; p = nl ? nl + 1 : p + strlen(p)) {
        char *repl;
        bool drop = false;

        nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        repl = fn(p, &drop, opaque);
        if (drop) {
            v2k_log_edit(g, step, path, p, NULL);
            changed++;
        } else if (repl && strcmp(repl, p) != 0) {
            v2k_log_edit(g, step, path, p, repl);
            fputs(repl, fp);
            changed++;
        } else
            fputs(p, fp);
        if (nl && !drop)
            fputc('\n', fp);
        free(repl);
        if (nl == NULL)
            break;
    }
    if (fclose(fp) != 0) {
        v2k_error("out of memory");
        return -1;
    }
    if (nchanged)
        *nchanged = changed;
    if (changed == 0)
        return 0;
    return v2k_gf_write(g, step, path, out, olen);
}

int
v2k_gf_remove(guestfs_h *g, const char *step, const char *path)
{
    if (!v2k_gf_exists(g, path) &&
        !v2k_gf_is_symlink(g, path))       /* dangling link */
        return 0;
    if (guestfs_rm_rf(g, path) == -1) {
        v2k_gf_error(g, step, path, "remove");
        return -1;
    }
    v2k_log_edit(g, step, path, NULL, "removed");
    return 0;
}

char **
v2k_gf_glob(guestfs_h *g, const char *step, const char *pattern)
{
    char **r = guestfs_glob_expand(g, pattern);

    if (r == NULL)
        v2k_gf_error(g, step, pattern, "glob");
    return r;
}

void
v2k_gf_strv_free(char **v)
{
    size_t i;

    if (v == NULL)
        return;
    for (i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

char *
v2k_gf_sh(guestfs_h *g, const char *step, const char *command)
{
    char *out;
    char buf[512];

    v2k_debug("%s: running in the guest: %s", step, command);
    out = guestfs_sh(g, command);
    if (out == NULL) {
        v2k_error("%s: %s: %s", step, command, v2k_gf_last_error_line(g, buf, sizeof buf));
        return NULL;
    }
    return out;
}
