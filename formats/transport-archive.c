/* transport-archive.c - a member of an uncompressed tar file (an OVA),
 * read in place.
 *
 * An OVA is a tar (OVF 1.0/2.0 spec, DSP0243 5.3: ustar, with pax or GNU
 * extensions for long names and members over 8 GiB) whose members are
 * stored contiguously, so a member's bytes are the tar's bytes at the
 * member's data offset: we walk the 512-byte headers (IEEE 1003.1-2001
 * "ustar Interchange Format", pax extended headers 'x', GNU long names
 * 'L' and base-256 sizes), bounded by the file's size, and serve preads
 * at that offset through the file transport.  Nothing is extracted.
 *
 * Names with a ".." component or a leading '/' are refused: an archive
 * naming files outside itself is not an OVA we trust.  Siblings (a VMDK's
 * extents or parent) are other members, resolved against the member's
 * directory inside the tar.
 */
#include "transport.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TAR_BLOCK 512
#define TAR_MAX_MEMBERS 100000
#define TAR_MAX_NAME 4096
#define TAR_MAX_PAX (1U << 20)

/* POSIX ustar header (IEEE 1003.1-2001, "pax" description). */
struct tar_header {
    char name[100];             /*   0 */
    char mode[8];               /* 100 */
    char uid[8];                /* 108 */
    char gid[8];                /* 116 */
    char size[12];              /* 124: octal, or GNU base-256 */
    char mtime[12];             /* 136 */
    char chksum[8];             /* 148 */
    char typeflag;              /* 156 */
    char linkname[100];         /* 157 */
    char magic[6];              /* 257: "ustar\0", GNU "ustar " */
    char version[2];            /* 263 */
    char uname[32];             /* 265 */
    char gname[32];             /* 297 */
    char devmajor[8];           /* 329 */
    char devminor[8];           /* 337 */
    char prefix[155];           /* 345: ustar only */
    char pad[12];               /* 500 */
} __attribute__((packed));

_Static_assert(sizeof(struct tar_header) == TAR_BLOCK, "tar header size");

struct archive_transport {
    struct v2k_transport t;     /* first: the generic part */
    struct v2k_transport *file; /* the whole tar */
    uint64_t base;              /* member's data offset in the tar */
    char *tarpath;
    char *member;
};

/* An octal field (NUL/space padded) or a GNU base-256 number (first byte
 * 0x80); -1 when it is neither or does not fit 63 bits. */
static int
tar_number(const char *f, size_t len, uint64_t *out)
{
    const unsigned char *p = (const unsigned char *)f;
    uint64_t v = 0;
    size_t i = 0;

    if (p[0] & 0x80) {
        if (p[0] != 0x80)           /* negative or over 2^63 */
            return -1;
        for (i = 1; i < len; i++) {
            if (v >> 55)
                return -1;
            v = v << 8 | p[i];
        }
        *out = v;
        return 0;
    }
    while (i < len && p[i] == ' ')
        i++;
    for (; i < len && p[i] >= '0' && p[i] <= '7'; i++) {
        if (v >> 60)
            return -1;
        v = v << 3 | (uint64_t)(p[i] - '0');
    }
    for (; i < len; i++)
        if (p[i] != ' ' && p[i] != '\0')
            return -1;
    *out = v;
    return 0;
}

static bool
checksum_ok(const struct tar_header *h)
{
    const unsigned char *u = (const unsigned char *)h;
    const signed char *s = (const signed char *)h;
    uint64_t want;
    long su = 0, ss = 0;

    if (tar_number(h->chksum, sizeof h->chksum, &want) == -1)
        return false;
    for (size_t i = 0; i < TAR_BLOCK; i++) {
        bool in = i >= 148 && i < 156;
        su += in ? ' ' : u[i];
        ss += in ? ' ' : s[i];      /* some old tars summed signed */
    }
    return (uint64_t)su == want || (ss >= 0 && (uint64_t)ss == want);
}

/* Strip "./" prefixes; -1 for absolute names and ".." components. */
static int
check_name(const char *tar, char *name, uint64_t off)
{
    const char *p;

    while (name[0] == '.' && name[1] == '/')
        memmove(name, name + 2, strlen(name + 2) + 1);
    if (name[0] == '/') {
        v2k_error("%s: member '%s' at offset %llu: an absolute path is not allowed", tar, name, (unsigned long long)off);
        return -1;
    }
    for (p = name; *p; p += strcspn(p, "/"), p += *p == '/') {
        if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0')) {
            v2k_error("%s: member '%s' at offset %llu: a '..' path is not allowed", tar, name, (unsigned long long)off);
            return -1;
        }
    }
    return 0;
}

/* The "path" and "size" records of a pax extended header (pax: "%d
 * %s=%s\n", the length counting the whole record). */
static int
parse_pax(const char *tar, const char *buf, size_t len, uint64_t off,
          char **path, uint64_t *size, bool *have_size)
{
    size_t i = 0;

    while (i < len && buf[i] != '\0') {
        size_t rl = 0, j = i, klen;
        const char *kv, *eq;

        while (j < len && buf[j] >= '0' && buf[j] <= '9' && rl < len) {
            rl = rl * 10 + (size_t)(buf[j] - '0');
            j++;
        }
        if (j == i || j >= len || buf[j] != ' ' || rl > len - i ||
            rl <= j - i + 1 || buf[i + rl - 1] != '\n') {
            v2k_error("%s: pax header at offset %llu: malformed record at byte %zu", tar, (unsigned long long)off, i);
            return -1;
        }
        kv = buf + j + 1;
        klen = (size_t)(buf + i + rl - 1 - kv);
        eq = memchr(kv, '=', klen);
        if (eq && eq - kv == 4 && strncmp(kv, "path", 4) == 0) {
            size_t vl = klen - 5;
            free(*path);
            if (vl == 0 || vl > TAR_MAX_NAME || memchr(eq + 1, '\0', vl)) {
                *path = NULL;
                v2k_error("%s: pax header at offset %llu: bad path", tar,
                          (unsigned long long)off);
                return -1;
            }
            *path = v2k_malloc(vl + 1);
            if (*path == NULL)
                return -1;
            memcpy(*path, eq + 1, vl);
            (*path)[vl] = '\0';
        } else if (eq && eq - kv == 4 && strncmp(kv, "size", 4) == 0) {
            char num[24];
            size_t vl = klen - 5;
            if (vl == 0 || vl >= sizeof num) {
                v2k_error("%s: pax header at offset %llu: bad size", tar,
                          (unsigned long long)off);
                return -1;
            }
            memcpy(num, eq + 1, vl);
            num[vl] = '\0';
            if (v2k_parse_u64(num, "pax size", size) == -1) {
                v2k_error_prepend("%s: pax header at offset %llu: ", tar,
                                  (unsigned long long)off);
                return -1;
            }
            *have_size = true;
        }
        i += rl;
    }
    return 0;
}

/* Read n bytes of member data at off into a new NUL-terminated buffer. */
static char *
read_data(struct v2k_transport *f, uint64_t off, uint64_t n)
{
    char *b = v2k_malloc((size_t)n + 1);

    if (b == NULL)
        return NULL;
    if (v2k_transport_pread(f, b, (size_t)n, off) == -1) {
        free(b);
        return NULL;
    }
    b[n] = '\0';
    return b;
}

void
v2k_archive_members_free(struct v2k_archive_member *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++)
        free(m[i].name);
    free(m);
}

static int
add_member(struct v2k_archive_member **m, size_t *n, char *name,
           uint64_t off, uint64_t size)
{
    struct v2k_archive_member *nm;

    nm = realloc(*m, (*n + 1) * sizeof *nm);
    if (nm == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    *m = nm;
    nm[*n].name = name;
    nm[*n].offset = off;
    nm[*n].size = size;
    (*n)++;
    return 0;
}

int
v2k_archive_list_transport(struct v2k_transport *f,
                           struct v2k_archive_member **out, size_t *nout)
{
    const char *tar = f->name;
    struct v2k_archive_member *m = NULL;
    size_t n = 0;
    char *longname = NULL;
    uint64_t off = 0, pax_size = 0;
    bool have_pax_size = false;

    for (;;) {
        struct tar_header h;
        uint64_t size, data, next;
        char *name = NULL;

        if (off > f->size || f->size - off < TAR_BLOCK) {
            if (off == f->size && n > 0)
                break;      /* no end-of-archive blocks: tolerated */
            v2k_error("%s: tar header at offset %llu is past the end of the file (truncated?)", tar, (unsigned long long)off);
            goto fail;
        }
        if (v2k_transport_pread(f, &h, sizeof h, off) == -1)
            goto fail;
        if (v2k_is_zero(&h, sizeof h))
            break;              /* end-of-archive marker */
        if (!checksum_ok(&h)) {
            v2k_error("%s: tar header at offset %llu: bad checksum (not a tar file?)", tar, (unsigned long long)off);
            goto fail;
        }
        if (tar_number(h.size, sizeof h.size, &size) == -1) {
            v2k_error("%s: tar header at offset %llu: size field is not a number", tar, (unsigned long long)off);
            goto fail;
        }
        if (have_pax_size && (h.typeflag == '0' || h.typeflag == '\0'))
            size = pax_size;
        data = off + TAR_BLOCK;
        if (size > f->size - data) {
            v2k_error("%s: tar member at offset %llu: size %llu is past the end of the file (truncated?)", tar,
                      (unsigned long long)off, (unsigned long long)size);
            goto fail;
        }
        next = data + V2K_DIV_ROUND_UP(size, TAR_BLOCK) * TAR_BLOCK;
        if (h.typeflag == 'x' || h.typeflag == 'L') {
            char *b;
            if (size > TAR_MAX_PAX) {
                v2k_error("%s: extended header at offset %llu: %llu bytes is more than %u", tar, (unsigned long long)off,
                          (unsigned long long)size, TAR_MAX_PAX);
                goto fail;
            }
            if ((b = read_data(f, data, size)) == NULL)
                goto fail;
            if (h.typeflag == 'L') {
                free(longname);
                longname = b;
            } else {
                int r = parse_pax(tar, b, (size_t)size, off, &longname,
                                  &pax_size, &have_pax_size);
                free(b);
                if (r == -1)
                    goto fail;
            }
            off = next;
            continue;
        }
        if (longname) {
            name = longname;
            longname = NULL;
        } else if (memcmp(h.magic, "ustar", 5) == 0 && h.magic[5] == '\0' &&
                   h.prefix[0]) {
            name = v2k_asprintf("%.155s/%.100s", h.prefix, h.name);
        } else {
            name = v2k_asprintf("%.100s", h.name);
        }
        if (name == NULL)
            goto fail;
        have_pax_size = false;
        if (strlen(name) > TAR_MAX_NAME || check_name(tar, name, off) == -1) {
            if (strlen(name) > TAR_MAX_NAME)
                v2k_error("%s: tar member at offset %llu: name longer than %d bytes", tar, (unsigned long long)off,
                          TAR_MAX_NAME);
            free(name);
            goto fail;
        }
        /* Regular files only ('0', and '\0' from pre-POSIX tars);
         * directories, links and the rest are not OVA members. */
        if (h.typeflag == '0' || h.typeflag == '\0' || h.typeflag == '7') {
            if (n >= TAR_MAX_MEMBERS) {
                v2k_error("%s: more than %d members", tar, TAR_MAX_MEMBERS);
                free(name);
                goto fail;
            }
            if (add_member(&m, &n, name, data, size) == -1) {
                free(name);
                goto fail;
            }
        } else {
            free(name);
        }
        off = next;
    }
    free(longname);
    *out = m;
    *nout = n;
    return 0;
fail:
    free(longname);
    v2k_archive_members_free(m, n);
    return -1;
}

int
v2k_archive_list(const char *tarpath, struct v2k_archive_member **out,
                 size_t *n)
{
    struct v2k_transport *f = v2k_transport_file_open(tarpath);
    int r;

    if (f == NULL)
        return -1;
    r = v2k_archive_list_transport(f, out, n);
    v2k_transport_close(f);
    return r;
}

static int
archive_pread(struct v2k_transport *t, void *buf, size_t count,
              uint64_t offset)
{
    struct archive_transport *a = (struct archive_transport *)t;
    return v2k_transport_pread(a->file, buf, count, a->base + offset);
}

/* The tar's holes, shifted to the member. */
static int
archive_extents(struct v2k_transport *t, uint64_t offset, uint64_t length,
                struct v2k_extent_list *out)
{
    struct archive_transport *a = (struct archive_transport *)t;
    struct v2k_extent_list l = { 0 };
    int r = v2k_transport_extents(a->file, a->base + offset, length, &l);

    for (size_t i = 0; r == 0 && i < l.n; i++)
        r = v2k_extent_list_add(out, l.v[i].offset - a->base, l.v[i].length,
                                l.v[i].type);
    v2k_extent_list_free(&l);
    return r;
}

static struct v2k_transport *
archive_open_sibling(struct v2k_transport *t, const char *name)
{
    struct archive_transport *a = (struct archive_transport *)t;
    CLEANUP_FREE char *dir = NULL;
    CLEANUP_FREE char *member = NULL;

    if (name[0] == '/') {
        v2k_error("%s: '%s': an absolute name cannot be inside the archive",
                  t->name, name);
        return NULL;
    }
    dir = v2k_dirname(a->member);
    if (dir == NULL)
        return NULL;
    member = strcmp(dir, ".") == 0 ? v2k_strdup(name)
                                   : v2k_asprintf("%s/%s", dir, name);
    if (member == NULL)
        return NULL;
    return v2k_transport_archive_open(a->tarpath, member);
}

static void
archive_close(struct v2k_transport *t)
{
    struct archive_transport *a = (struct archive_transport *)t;

    v2k_transport_close(a->file);
    free(a->tarpath);
    free(a->member);
    free(t->name);
    free(a);
}

static const struct v2k_transport_ops archive_ops = {
    .kind = "archive",
    .pread = archive_pread,
    .extents = archive_extents,
    .open_sibling = archive_open_sibling,
    .close = archive_close,
};

struct v2k_transport *
v2k_transport_archive_open(const char *tarpath, const char *member)
{
    struct v2k_archive_member *m = NULL;
    struct archive_transport *a = NULL;
    struct v2k_transport *f;
    size_t n = 0, hit = SIZE_MAX;

    f = v2k_transport_file_open(tarpath);
    if (f == NULL)
        return NULL;
    if (v2k_archive_list_transport(f, &m, &n) == -1)
        goto fail;
    /* The last of several members with one name wins, as when
     * extracting. */
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].name, member) == 0)
            hit = i;
    if (hit == SIZE_MAX) {
        v2k_error("%s: no member '%s' in the archive", tarpath, member);
        goto fail;
    }
    a = v2k_calloc(1, sizeof *a);
    if (a == NULL)
        goto fail;
    a->t.ops = &archive_ops;
    a->t.size = m[hit].size;
    a->file = f;
    a->base = m[hit].offset;
    a->tarpath = v2k_strdup(tarpath);
    a->member = v2k_strdup(member);
    a->t.name = v2k_asprintf("%s/%s", tarpath, member);
    v2k_archive_members_free(m, n);
    if (a->tarpath == NULL || a->member == NULL || a->t.name == NULL) {
        archive_close(&a->t);
        return NULL;
    }
    return &a->t;
fail:
    v2k_archive_members_free(m, n);
    v2k_transport_close(f);
    return NULL;
}

struct v2k_transport *
v2k_transport_archive_open_path(const char *path)
{
    CLEANUP_FREE char *p = v2k_strdup(path);

    if (p == NULL)
        return NULL;
    /* The first prefix that is a regular file is the tar. */
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        struct stat st;
        *s = '\0';
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            return v2k_transport_archive_open(p, s + 1);
        *s = '/';
    }
    v2k_error("%s: no part of this path is a tar file", path);
    return NULL;
}
