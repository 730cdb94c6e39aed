/* ova-unpack.c - compressed and chunked OVA files (see
 * ova-internal.h). */
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "outfile.h"
#include "ova-internal.h"
#include "transport.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#define OVA_MAX_CHUNKS 100000
/* Decompressed bytes we accept beyond the disk's capacity (a sparse
 * image's metadata), and without a capacity at all. */
#define OVA_INFLATE_SLACK (64ULL << 20)
#define OVA_INFLATE_MAX (64ULL << 40)
#define TAR_NAME_GUESS 4200

/* --- Compressed and chunked files: streamed to a temporary file -------- */

void
v2k_ova_state_free(struct v2k_ova_state *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->ntmp; i++) {
        unlink(st->tmp[i]);
        v2k_outfile_forget(st->tmp[i]);
        free(st->tmp[i]);
    }
    free(st->tmp);
    free(st);
}

/* Record path in st for removal at close (and, through outfile.h, on a
 * second signal). */
static int
track_tmp(struct v2k_ova_state *st, const char *path)
{
    char **n = realloc(st->tmp, (st->ntmp + 1) * sizeof *n);

    if (n == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    st->tmp = n;
    if ((st->tmp[st->ntmp] = v2k_strdup(path)) == NULL)
        return -1;
    st->ntmp++;
    return v2k_outfile_register(path);
}

static int
write_all(int fd, const char *tmp, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w == -1 && errno == EINTR)
            continue;
        if (w <= 0) {
            v2k_error_errno(w == -1 ? errno : ENOSPC, "%s: write", tmp);
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

struct unpack {
    const char *where;          /* "PACKAGE/HREF", for messages */
    const char *tmp;
    int fd;
    bool gzip;
    z_stream z;
    bool stream_end;
    uint64_t out, max;
    uint8_t *obuf;
};

/* Feed n bytes of the stored file to the output. */
static int
unpack_feed(struct unpack *u, const uint8_t *p, size_t n)
{
    if (!u->gzip) {
        u->out += n;
        if (u->out > u->max) {
            v2k_error("%s: more than %llu bytes", u->where,
                      (unsigned long long)u->max);
            return -1;
        }
        return write_all(u->fd, u->tmp, p, n);
    }
    u->z.next_in = (uint8_t *)p;
    u->z.avail_in = (uInt)n;
    while (u->z.avail_in > 0) {
        int zr;
        size_t got;
        if (u->stream_end) {
            v2k_error("%s: data after the end of the gzip stream",
                      u->where);
            return -1;
        }
        u->z.next_out = u->obuf;
        u->z.avail_out = OVA_HASH_CHUNK;
        zr = inflate(&u->z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
            v2k_error("%s: corrupt gzip data at compressed byte %lu (%s)",
                      u->where, (unsigned long)u->z.total_in,
                      u->z.msg ? u->z.msg : "inflate failed");
            return -1;
        }
        u->stream_end = zr == Z_STREAM_END;
        got = OVA_HASH_CHUNK - u->z.avail_out;
        u->out += got;
        if (u->out > u->max) {
            v2k_error("%s: decompresses to more than %llu bytes", u->where,
                      (unsigned long long)u->max);
            return -1;
        }
        if (write_all(u->fd, u->tmp, u->obuf, got) == -1)
            return -1;
        if (zr == Z_BUF_ERROR && got == 0)
            break;
    }
    return 0;
}

/* Feed the package file href to u; *size (optional) its stored size. */
static int
unpack_one(const struct ova *p, struct unpack *u, const char *href,
           uint8_t *buf, uint64_t *size)
{
    struct v2k_transport *t = v2k_ova_open_file(p, href);
    int r = 0;

    if (t == NULL)
        return -1;
    if (size)
        *size = t->size;
    for (uint64_t off = 0; r == 0 && off < t->size;) {
        size_t n = t->size - off < OVA_HASH_CHUNK ? (size_t)(t->size - off)
                                                  : OVA_HASH_CHUNK;
        r = v2k_check_interrupted();
        if (r == 0)
            r = v2k_transport_pread(t, buf, n, off);
        if (r == 0)
            r = unpack_feed(u, buf, n);
        off += n;
    }
    v2k_transport_close(t);
    return r;
}

static bool
chunk_present(const struct ova *p, const char *name)
{
    CLEANUP_FREE char *path = NULL;
    struct stat st;

    if (p->tar)
        return v2k_ova_member(p, name) != NULL;
    path = v2k_asprintf("%s/%s", p->dir, name);
    return path && stat(path, &st) == 0;
}

/* name is "href.NNNNNNNNN" (DSP0243 5.3: nine digits) numbered above
 * missing. */
static bool
is_later_chunk(const char *name, const char *href, size_t missing)
{
    size_t hl = strlen(href), idx = 0;

    if (strncmp(name, href, hl) != 0 || name[hl] != '.' ||
        strlen(name + hl + 1) != 9)
        return false;
    for (const char *c = name + hl + 1; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        idx = idx * 10 + (size_t)(*c - '0');
    }
    return idx > missing;
}

/* A chunk of href numbered above missing, or NULL (owned). */
static char *
later_chunk(const struct ova *p, const char *href, size_t missing)
{
    CLEANUP_FREE char *dir = NULL;
    const char *slash = strrchr(href, '/');
    DIR *d;
    struct dirent *e;
    char *hit = NULL;

    if (p->tar) {
        for (size_t i = 0; i < p->nm; i++)
            if (is_later_chunk(p->m[i].name, href, missing))
                return v2k_strdup(p->m[i].name);
        return NULL;
    }
    dir = slash ? v2k_asprintf("%s/%.*s", p->dir, (int)(slash - href), href)
                : v2k_strdup(p->dir);
    if (dir == NULL || (d = opendir(dir)) == NULL)
        return NULL;
    while (hit == NULL && (e = readdir(d)) != NULL)
        if (is_later_chunk(e->d_name, slash ? slash + 1 : href, missing))
            hit = v2k_asprintf("%.*s%s", slash ? (int)(slash - href) + 1 : 0,
                               href, e->d_name);
    closedir(d);
    return hit;
}

/* The chunks href.000000000, href.000000001 ... in order.  A missing
 * chunk is an error naming it: one numbered after it is present, the
 * chunk before it is shorter than chunk_size (only the last may be), or
 * the chunks add up to less than stored_size (the File's ovf:size, the
 * whole stored file; 0: not given). */
static int
unpack_chunks(const struct ova *p, struct unpack *u, const char *href,
              uint8_t *buf, uint64_t chunk_size, uint64_t stored_size)
{
    CLEANUP_FREE char *later = NULL;
    uint64_t total = 0, csize = 0;
    size_t i;

    for (i = 0; i < OVA_MAX_CHUNKS; i++) {
        char chunk[TAR_NAME_GUESS];
        snprintf(chunk, sizeof chunk, "%s.%09zu", href, i);
        if (!chunk_present(p, chunk))
            break;
        if (i > 0 && chunk_size && csize != chunk_size) {
            v2k_error("%s/%s.%09zu: %llu bytes, not ovf:chunkSize %llu (only the last chunk may be shorter)", p->src, href,
                      i - 1, (unsigned long long)csize,
                      (unsigned long long)chunk_size);
            return -1;
        }
        if (unpack_one(p, u, chunk, buf, &csize) == -1)
            return -1;
        total += csize;
    }
    if (i == 0) {
        v2k_error("%s/%s: chunked, but there is no %s.000000000", p->src,
                  href, href);
        return -1;
    }
    if ((later = later_chunk(p, href, i)) != NULL) {
        v2k_error("%s/%s.%09zu: chunk missing (the package has %s)", p->src,
                  href, i, later);
        return -1;
    }
    if (stored_size && total < stored_size) {
        v2k_error("%s/%s.%09zu: chunk missing (the chunks hold %llu bytes, ovf:size says %llu)", p->src, href, i,
                  (unsigned long long)total,
                  (unsigned long long)stored_size);
        return -1;
    }
    if (stored_size && total > stored_size) {
        v2k_error("%s/%s: the chunks hold %llu bytes, ovf:size says %llu",
                  p->src, href, (unsigned long long)total,
                  (unsigned long long)stored_size);
        return -1;
    }
    return 0;
}

/* Stream href (gzip and/or chunked) into a new temporary file; its
 * path, or NULL. */
char *
v2k_ova_unpack_to_tmp(const struct ova *p, const char *href, bool gzip,
                      bool chunked, uint64_t chunk_size,
                      uint64_t stored_size, uint64_t capacity)
{
    const char *dir = getenv("TMPDIR");
    CLEANUP_FREE char *where = v2k_asprintf("%s/%s", p->src, href);
    CLEANUP_FREE uint8_t *buf = v2k_malloc(OVA_HASH_CHUNK);
    CLEANUP_FREE uint8_t *obuf = v2k_malloc(OVA_HASH_CHUNK);
    struct unpack u = { .where = where, .gzip = gzip, .fd = -1 };
    char *tmp;
    int r = -1;

    if (where == NULL || buf == NULL || obuf == NULL)
        return NULL;
    tmp = v2k_asprintf("%s/v2kvm-ova.XXXXXX",
                       dir && *dir ? dir : "/var/tmp");
    if (tmp == NULL)
        return NULL;
    u.fd = mkostemp(tmp, O_CLOEXEC);
    if (u.fd == -1) {
        v2k_error_errno(errno, "%s: mkstemp", tmp);
        free(tmp);
        return NULL;
    }
    if (track_tmp(p->st, tmp) == -1)
        goto out;
    v2k_warning("%s is %s: it is streamed to %s first (removed at the end)",
                where, gzip && chunked ? "compressed and chunked"
                       : gzip          ? "compressed" : "chunked", tmp);
    u.tmp = tmp;
    u.obuf = obuf;
    u.max = capacity && capacity < OVA_INFLATE_MAX - OVA_INFLATE_SLACK
                ? capacity + OVA_INFLATE_SLACK : OVA_INFLATE_MAX;
    /* 16 + MAX_WBITS: a gzip header (zlib's inflateInit2 manual). */
    if (gzip && inflateInit2(&u.z, 16 + MAX_WBITS) != Z_OK) {
        v2k_error("%s: inflateInit2 failed", where);
        goto out;
    }
    if (!chunked)
        r = unpack_one(p, &u, href, buf, NULL);
    else
        r = unpack_chunks(p, &u, href, buf, chunk_size, stored_size);
    if (r == 0 && gzip && !u.stream_end) {
        v2k_error("%s: the gzip stream is truncated", where);
        r = -1;
    }
out:
    if (gzip)
        inflateEnd(&u.z);
    if (close(u.fd) == -1 && r == 0) {
        v2k_error_errno(errno, "%s: close", tmp);
        r = -1;
    }
    if (r == -1) {
        unlink(tmp);
        free(tmp);
        return NULL;
    }
    return tmp;
}
