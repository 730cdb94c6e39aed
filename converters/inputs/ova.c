/* inputs/ova.c - -i ova FILE.ova|DIR: an OVF package.
 *
 * An OVA is a tar holding an OVF descriptor (.ovf, first), an optional
 * manifest (.mf) and the disk files (DSP0243, OVF 1.0 and 2.0); the same
 * files unpacked in a directory are read alike.  Disks inside a tar are
 * read in place through formats/transport-archive.c: their v2k_disk is
 * "TAR/MEMBER" over transport "archive"; nothing is extracted.
 *
 * The descriptor, as VMware (ESX, vCenter, Workstation's ovftool) and
 * VirtualBox write it:
 *   <Envelope><References><File ovf:id= ovf:href= ovf:size=
 *       [ovf:compression="gzip"] [ovf:chunkSize=]/>
 *     <DiskSection><Disk ovf:diskId= ovf:fileRef= ovf:capacity=
 *       ovf:capacityAllocationUnits="byte * 2^30"/>
 *     <VirtualSystem ovf:id=><Name/>
 *       <OperatingSystemSection ovf:id= vmw:osType=/>
 *       <VirtualHardwareSection><Item> (OVF 2.0 also <StorageItem>,
 *         <EthernetPortItem>) with rasd:ResourceType (CIM_ResourceAllocation
 *         SettingData: 3 CPU, 4 memory, 5 IDE, 6 SCSI, 20 other storage,
 *         10 NIC, 14 floppy, 15/16 CD/DVD, 17 disk, 35 sound)
 *         <vmw:Config ovf:required= vmw:key="firmware" vmw:value="efi"/>
 *       [<vbox:Machine> VirtualBox's own settings]
 * Elements and attributes are matched by local name: writers disagree on
 * prefixes and OVF 1.0 vs 2.0 namespaces.
 *
 * The manifest (lines "SHA1(NAME)= HEX" or "SHA256(NAME)= HEX") is checked
 * before anything is converted, hashing each member in place; a mismatch
 * fails unless -io ova-ignore-manifest.
 *
 * Compressed (ovf:compression="gzip") and chunked (ovf:chunkSize: the
 * file split into HREF.000000000, HREF.000000001...; DSP0243 5.3)
 * files cannot be read in place: they are streamed once into a
 * temporary file (a warning says so), removed at exit, on failure and
 * on a signal (outfile.h).
 */
#include "cleanup.h"
#include "error.h"
#include "format.h"
#include "input.h"
#include "inputs-internal.h"
#include "log.h"
#include "outfile.h"
#include "sha.h"
#include "transport.h"
#include "util.h"
#include "xml-util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <zlib.h>
#include <libxml/tree.h>

#define OVF_MAX_SIZE (16U << 20)
#define MF_MAX_SIZE (1U << 20)
#define OVA_HASH_CHUNK (1U << 20)
#define OVA_MAX_DEVICES 256
#define OVA_MAX_CHUNKS 100000
/* Decompressed bytes we accept beyond the disk's capacity (a sparse
 * image's metadata), and without a capacity at all. */
#define OVA_INFLATE_SLACK (64ULL << 20)
#define OVA_INFLATE_MAX (64ULL << 40)
#define TAR_NAME_GUESS 4200

/* Where the package's files are: a tar (members listed once) or a
 * directory. */
struct ova {
    const char *src;            /* as given, for messages */
    char *dir;                  /* directory package: its real path */
    char *tar;                  /* tar package: its real path */
    struct v2k_archive_member *m;
    size_t nm;
    char *ovf_name;             /* member or file name of the .ovf */
    xmlDoc *doc;
    xmlNode *refs, *disks, *vs;
    bool no_files;              /* descriptor only: open no file */
};

struct ova_ctrl {
    char *id;                   /* rasd:InstanceID */
    enum v2k_bus bus;
    int index;                  /* nth controller of this bus */
};

static bool
is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE &&
           strcmp((const char *)n->name, name) == 0;
}

static xmlNode *
child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (is(c, name))
            return c;
    return NULL;
}

/* The trimmed text of n's child called name, or NULL. */
static char *
text(const xmlNode *n, const char *name)
{
    xmlNode *c = child(n, name);
    char *t, *s, *e;

    if (c == NULL)
        return NULL;
    t = (char *)xmlNodeGetContent(c);
    if (t == NULL)
        return NULL;
    for (s = t; isspace((unsigned char)*s); s++)
        ;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    memmove(t, s, (size_t)(e - s));
    t[e - s] = '\0';
    return t;
}

static bool
has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

/* --- Package files ---------------------------------------------------- */

static const struct v2k_archive_member *
member(const struct ova *p, const char *name)
{
    const struct v2k_archive_member *hit = NULL;

    for (size_t i = 0; i < p->nm; i++)
        if (strcmp(p->m[i].name, name) == 0)
            hit = &p->m[i];     /* the last one wins, as extracting */
    return hit;
}

/* A package file's name must stay inside the package. */
static int
check_href(const struct ova *p, const char *href)
{
    const char *s;

    if (href[0] == '\0' || href[0] == '/' || strstr(href, "://")) {
        v2k_error("%s: file '%s' is not inside the package", p->src, href);
        return -1;
    }
    for (s = href; *s; s += strcspn(s, "/"), s += *s == '/')
        if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0')) {
            v2k_error("%s: file '%s': a '..' path is not allowed", p->src,
                      href);
            return -1;
        }
    return 0;
}

/* A transport for one package file. */
static struct v2k_transport *
open_file(const struct ova *p, const char *href)
{
    CLEANUP_FREE char *path = NULL;

    if (check_href(p, href) == -1)
        return NULL;
    if (p->tar)
        return v2k_transport_archive_open(p->tar, href);
    path = v2k_asprintf("%s/%s", p->dir, href);
    return path ? v2k_transport_file_open(path) : NULL;
}

/* A whole small package file, NUL-terminated. */
static char *
read_small(const struct ova *p, const char *href, size_t max, size_t *len)
{
    struct v2k_transport *t = open_file(p, href);
    char *buf = NULL;

    if (t == NULL)
        return NULL;
    if (t->size > max) {
        v2k_error("%s: %s: %llu bytes is more than the %zu allowed", p->src,
                  href, (unsigned long long)t->size, max);
    } else if ((buf = v2k_malloc((size_t)t->size + 1)) != NULL) {
        if (v2k_transport_pread(t, buf, (size_t)t->size, 0) == -1) {
            free(buf);
            buf = NULL;
        } else {
            buf[t->size] = '\0';
            *len = (size_t)t->size;
        }
    }
    v2k_transport_close(t);
    return buf;
}

/* The .ovf: a tar's first .ovf member (DSP0243 says first), or the one
 * .ovf in a directory. */
static int
find_ovf(struct ova *p)
{
    if (p->tar) {
        for (size_t i = 0; i < p->nm && !p->ovf_name; i++)
            if (has_suffix(p->m[i].name, ".ovf"))
                p->ovf_name = v2k_strdup(p->m[i].name);
    } else {
        DIR *d = opendir(p->dir);
        struct dirent *e;
        if (d == NULL) {
            v2k_error_errno(errno, "%s", p->src);
            return -1;
        }
        while ((e = readdir(d)) != NULL) {
            if (!has_suffix(e->d_name, ".ovf"))
                continue;
            if (p->ovf_name) {
                v2k_error("%s: more than one .ovf (%s, %s)", p->src,
                          p->ovf_name, e->d_name);
                closedir(d);
                return -1;
            }
            if ((p->ovf_name = v2k_strdup(e->d_name)) == NULL)
                break;
        }
        closedir(d);
    }
    if (p->ovf_name == NULL) {
        v2k_error("%s: no .ovf descriptor in the package", p->src);
        return -1;
    }
    return 0;
}

/* --- Manifest ---------------------------------------------------------- */

static int
hash_file(const struct ova *p, const char *href, bool sha256, char *hex)
{
    struct v2k_transport *t = open_file(p, href);
    CLEANUP_FREE uint8_t *buf = NULL;
    struct v2k_sha1 c1;
    struct v2k_sha256 c2;
    uint8_t d[V2K_SHA256_LEN];

    if (t == NULL)
        return -1;
    if ((buf = v2k_malloc(OVA_HASH_CHUNK)) == NULL) {
        v2k_transport_close(t);
        return -1;
    }
    v2k_sha1_init(&c1);
    v2k_sha256_init(&c2);
    for (uint64_t off = 0; off < t->size;) {
        size_t n = t->size - off < OVA_HASH_CHUNK ? (size_t)(t->size - off)
                                                  : OVA_HASH_CHUNK;
        if (v2k_check_interrupted() == -1 ||
            v2k_transport_pread(t, buf, n, off) == -1) {
            v2k_transport_close(t);
            return -1;
        }
        if (sha256)
            v2k_sha256_update(&c2, buf, n);
        else
            v2k_sha1_update(&c1, buf, n);
        off += n;
    }
    v2k_transport_close(t);
    if (sha256) {
        v2k_sha256_final(&c2, d);
        v2k_sha_hex(d, V2K_SHA256_LEN, hex);
    } else {
        v2k_sha1_final(&c1, d);
        v2k_sha_hex(d, V2K_SHA1_LEN, hex);
    }
    return 0;
}

/* One manifest line "ALG(NAME)= HEX": 0 when it checks out (or is
 * blank), -1 with an error naming the manifest, line and file. */
static int
check_mf_line(const struct ova *p, const char *mf, int line, char *s,
              bool ignore)
{
    char *open_p, *close_p, *h;
    bool sha256;
    char want[2 * V2K_SHA256_LEN + 1], got[2 * V2K_SHA256_LEN + 1];
    size_t hl;

    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0')
        return 0;
    if (strncmp(s, "SHA1(", 5) == 0)
        sha256 = false;
    else if (strncmp(s, "SHA256(", 7) == 0)
        sha256 = true;
    else {
        v2k_error("%s:%d: '%.40s': not a SHA1(...)= or SHA256(...)= line",
                  mf, line, s);
        return -1;
    }
    open_p = strchr(s, '(');
    close_p = strstr(open_p, ")=");
    if (close_p == NULL) {
        v2k_error("%s:%d: no ')=' after the file name", mf, line);
        return -1;
    }
    *close_p = '\0';
    for (h = close_p + 2; *h == ' ' || *h == '\t'; h++)
        ;
    hl = strcspn(h, " \t\r");
    if (hl != (sha256 ? 64u : 40u)) {
        v2k_error("%s:%d: %s: the digest is not %d hex digits", mf, line,
                  open_p + 1, sha256 ? 64 : 40);
        return -1;
    }
    for (size_t i = 0; i < hl; i++) {
        if (!isxdigit((unsigned char)h[i])) {
            v2k_error("%s:%d: %s: the digest is not hex", mf, line,
                      open_p + 1);
            return -1;
        }
        want[i] = (char)tolower((unsigned char)h[i]);
    }
    want[hl] = '\0';
    if (hash_file(p, open_p + 1, sha256, got) == -1) {
        v2k_error_prepend("%s:%d: ", mf, line);
        return -1;
    }
    if (strcmp(want, got) == 0) {
        v2k_debug("%s: %s of %s matches", mf, sha256 ? "SHA256" : "SHA1",
                  open_p + 1);
        return 0;
    }
    if (ignore) {
        v2k_warning("%s:%d: %s of %s is %s, not %s as the manifest says (ignored: -io ova-ignore-manifest)", mf, line,
                    sha256 ? "SHA256" : "SHA1", open_p + 1, got, want);
        return 0;
    }
    v2k_error("%s:%d: %s of %s is %s, not %s as the manifest says (the package is corrupt or was modified; -io ova-ignore-manifest converts it anyway)", mf, line, sha256 ? "SHA256" : "SHA1",
              open_p + 1, got, want);
    return -1;
}

static int
check_manifest(const struct ova *p, bool ignore)
{
    /* NAME.ovf -> NAME.mf (DSP0243 5.1: same base name). */
    CLEANUP_FREE char *mf = v2k_asprintf("%.*s.mf",
                                         (int)strlen(p->ovf_name) - 4,
                                         p->ovf_name);
    CLEANUP_FREE char *buf = NULL;
    CLEANUP_FREE char *where = NULL;
    struct stat st;
    size_t len = 0;
    char *s, *nl;
    int line = 1;
    bool present;

    if (mf == NULL)
        return -1;
    if (p->tar) {
        present = member(p, mf) != NULL;
    } else {
        CLEANUP_FREE char *path = v2k_asprintf("%s/%s", p->dir, mf);
        present = path && stat(path, &st) == 0;
    }
    if (!present) {
        v2k_debug("%s: no manifest %s: nothing to verify", p->src, mf);
        return 0;
    }
    buf = read_small(p, mf, MF_MAX_SIZE, &len);
    where = v2k_asprintf("%s/%s", p->src, mf);
    if (buf == NULL || where == NULL)
        return -1;
    if (strlen(buf) != len) {
        v2k_error("%s: NUL byte in the manifest", where);
        return -1;
    }
    /* Lines end in LF or CRLF (Windows exports). */
    for (s = buf; *s; s = nl ? nl + 1 : s + strlen(s), line++) {
        nl = strchr(s, '\n');
        if (nl)
            *nl = '\0';
        if (check_mf_line(p, where, line, s, ignore) == -1)
            return -1;
        if (nl == NULL)
            break;
    }
    return 0;
}

/* --- Compressed and chunked files: streamed to a temporary file -------- */

static pthread_mutex_t tmp_lock = PTHREAD_MUTEX_INITIALIZER;
static char **tmp_files;
static size_t ntmp;

static void
remove_tmp_files(void)
{
    pthread_mutex_lock(&tmp_lock);
    for (size_t i = 0; i < ntmp; i++) {
        unlink(tmp_files[i]);
        v2k_outfile_forget(tmp_files[i]);
        free(tmp_files[i]);
    }
    free(tmp_files);
    tmp_files = NULL;
    ntmp = 0;
    pthread_mutex_unlock(&tmp_lock);
}

/* Remember path for removal at exit (and, through outfile.h, on failure
 * or a signal). */
static int
track_tmp(const char *path)
{
    static bool installed;
    char **n;
    int r = -1;

    pthread_mutex_lock(&tmp_lock);
    if (!installed && atexit(remove_tmp_files) != 0) {
        v2k_error("atexit failed");
        goto out;
    }
    installed = true;
    n = realloc(tmp_files, (ntmp + 1) * sizeof *n);
    if (n == NULL) {
        v2k_error("out of memory");
        goto out;
    }
    tmp_files = n;
    if ((tmp_files[ntmp] = v2k_strdup(path)) == NULL)
        goto out;
    ntmp++;
    r = v2k_outfile_register(path);
out:
    pthread_mutex_unlock(&tmp_lock);
    return r;
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

static int
unpack_one(const struct ova *p, struct unpack *u, const char *href,
           uint8_t *buf)
{
    struct v2k_transport *t = open_file(p, href);
    int r = 0;

    if (t == NULL)
        return -1;
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

/* Stream href (gzip and/or chunked) into a new temporary file; its
 * path, or NULL. */
static char *
unpack_to_tmp(const struct ova *p, const char *href, bool gzip,
              bool chunked, uint64_t capacity)
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
    if (track_tmp(tmp) == -1)
        goto out;
    v2k_warning("%s is %s: it is streamed to %s first (removed at exit)",
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
    if (!chunked) {
        r = unpack_one(p, &u, href, buf);
    } else {
        size_t i;
        for (i = 0, r = 0; r == 0 && i < OVA_MAX_CHUNKS; i++) {
            char chunk[TAR_NAME_GUESS];
            struct stat st;
            CLEANUP_FREE char *path = NULL;
            bool present;
            snprintf(chunk, sizeof chunk, "%s.%09zu", href, i);
            if (p->tar) {
                present = member(p, chunk) != NULL;
            } else {
                path = v2k_asprintf("%s/%s", p->dir, chunk);
                present = path && stat(path, &st) == 0;
            }
            if (!present)
                break;
            r = unpack_one(p, &u, chunk, buf);
        }
        if (r == 0 && i == 0) {
            v2k_error("%s: chunked, but there is no %s.000000000", where,
                      href);
            r = -1;
        }
    }
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

/* --- The descriptor ---------------------------------------------------- */

/* "byte * 2^30", "byte*2^20", "byte", "MegaBytes", "GigaBytes", "KiloBytes"
 * (DSP0004 Annex C programmatic units, and VirtualBox's words) -> the
 * multiplier; 0 when unknown. */
static uint64_t
alloc_units(const char *u)
{
    static const struct { const char *w; unsigned shift; } words[] = {
        { "bytes", 0 }, { "kilobytes", 10 }, { "megabytes", 20 },
        { "gigabytes", 30 }, { "terabytes", 40 }, { "kb", 10 },
        { "mb", 20 }, { "gb", 30 },
    };
    char compact[64];
    size_t n = 0;
    const char *c;
    uint64_t e = 0;

    if (u == NULL)
        return 1;
    for (; *u && n + 1 < sizeof compact; u++)
        if (!isspace((unsigned char)*u))
            compact[n++] = (char)tolower((unsigned char)*u);
    compact[n] = '\0';
    for (size_t i = 0; i < V2K_ARRAY_SIZE(words); i++)
        if (strcmp(compact, words[i].w) == 0)
            return 1ULL << words[i].shift;
    if (strcmp(compact, "byte") == 0)
        return 1;
    if (strncmp(compact, "byte*2^", 7) != 0)
        return 0;
    c = compact + 7;
    if (*c == '\0' || strlen(c) > 2)
        return 0;
    for (; *c; c++) {
        if (!isdigit((unsigned char)*c))
            return 0;
        e = e * 10 + (uint64_t)(*c - '0');
    }
    return e < 63 ? 1ULL << e : 0;
}

/* value (a decimal string) * units; -1 with an error naming what. */
static int
scaled(const char *where, const char *what, const char *value,
       const char *units, uint64_t *out)
{
    uint64_t v, mul = alloc_units(units);

    if (mul == 0) {
        v2k_error("%s: %s: unknown allocation units '%s'", where, what,
                  units);
        return -1;
    }
    if (value == NULL || v2k_parse_u64(value, what, &v) == -1 ||
        V2K_MUL_OVERFLOW(v, mul, out)) {
        v2k_error("%s: %s '%s' is not a size in bytes we can hold", where,
                  what, value ? value : "");
        return -1;
    }
    return 0;
}

static xmlNode *
find_by_attr(xmlNode *section, const char *elem, const char *attr,
             const char *value)
{
    for (xmlNode *c = section ? section->children : NULL; c; c = c->next) {
        CLEANUP_FREE char *v = NULL;
        if (!is(c, elem))
            continue;
        v = v2k_xml_prop(c, attr);
        if (v && strcmp(v, value) == 0)
            return c;
    }
    return NULL;
}

/* Items of the hardware section: <Item>, and OVF 2.0's <StorageItem> and
 * <EthernetPortItem>. */
static bool
is_item(const xmlNode *n)
{
    return is(n, "Item") || is(n, "StorageItem") ||
           is(n, "EthernetPortItem");
}

static int
item_type(const char *where, const xmlNode *it)
{
    CLEANUP_FREE char *rt = text(it, "ResourceType");
    uint64_t v;

    if (rt == NULL || v2k_parse_u64(rt, "ResourceType", &v) == -1 ||
        v > 0xffff) {
        v2k_error("%s:%d: <Item>: ResourceType '%s' is not a number",
                  where, it->line, rt ? rt : "");
        return -1;
    }
    return (int)v;
}

static int
parse_cpu_memory(const char *where, struct v2k_source *s, const xmlNode *it,
                 int type)
{
    CLEANUP_FREE char *q = text(it, "VirtualQuantity");
    CLEANUP_FREE char *u = text(it, "AllocationUnits");
    uint64_t v;

    if (type == 3) {
        CLEANUP_FREE char *cps = text(it, "CoresPerSocket");
        if (q == NULL || v2k_parse_u64(q, "VirtualQuantity", &v) == -1 ||
            v == 0 || v > V2K_MAX_VCPUS) {
            v2k_error("%s:%d: CPU VirtualQuantity '%s' is out of range (1 to %d)", where, it->line, q ? q : "", V2K_MAX_VCPUS);
            return -1;
        }
        s->vcpus = (unsigned)v;
        if (cps && v2k_parse_u64(cps, "CoresPerSocket", &v) == 0 && v &&
            s->vcpus % v == 0) {
            s->cores = (unsigned)v;
            s->sockets = s->vcpus / (unsigned)v;
            s->threads = 1;
        }
        return 0;
    }
    /* Memory: AllocationUnits defaults to MiB in what VMware writes. */
    if (scaled(where, "memory VirtualQuantity", q, u ? u : "byte * 2^20",
               &v) == -1)
        return -1;
    if (v == 0 || v > V2K_MAX_MEMORY_BYTES) {
        v2k_error("%s:%d: memory %llu bytes is out of range (1 byte to 16 TiB)", where, it->line, (unsigned long long)v);
        return -1;
    }
    s->memory_bytes = v;
    return 0;
}

static enum v2k_bus
ctrl_bus(const xmlNode *it, int type)
{
    CLEANUP_FREE char *st = text(it, "ResourceSubType");

    if (type == 5)
        return V2K_BUS_IDE;
    if (type == 6)
        return V2K_BUS_SCSI;
    /* 20: "vmware.sata.ahci", "AHCI"; "vmware.nvme.controller". */
    if (st && strcasestr(st, "nvme"))
        return V2K_BUS_NVME;
    if (st && (strcasestr(st, "ahci") || strcasestr(st, "sata")))
        return V2K_BUS_SATA;
    return V2K_BUS_UNKNOWN;
}

static int
add_nic(const char *where, struct v2k_source *s, const xmlNode *it)
{
    static const struct { const char *t; enum v2k_nic_model m; } models[] = {
        { "E1000", V2K_NIC_E1000 }, { "E1000e", V2K_NIC_E1000E },
        { "VmxNet3", V2K_NIC_VMXNET3 }, { "VmxNet2", V2K_NIC_VMXNET3 },
        { "PCNet32", V2K_NIC_PCNET }, { "virtio", V2K_NIC_VIRTIO },
    };
    CLEANUP_FREE char *st = text(it, "ResourceSubType");
    CLEANUP_FREE char *conn = text(it, "Connection");
    CLEANUP_FREE char *mac = text(it, "Address");
    struct v2k_nic *n = v2k_source_add_nic(s);

    if (n == NULL)
        return -1;
    n->model = V2K_NIC_UNKNOWN;
    for (size_t i = 0; st && i < V2K_ARRAY_SIZE(models); i++)
        if (strcasecmp(st, models[i].t) == 0)
            n->model = models[i].m;
    n->net_type = V2K_NET_NETWORK;
    n->network = v2k_strdup(conn && *conn ? conn : "default");
    if (n->network == NULL)
        return -1;
    if (mac && *mac) {
        bool ok = strlen(mac) == 17;
        for (int i = 0; ok && i < 17; i++)
            ok = i % 3 == 2 ? (mac[i] == ':' || mac[i] == '-')
                            : isxdigit((unsigned char)mac[i]) != 0;
        if (!ok) {
            v2k_error("%s:%d: NIC Address '%s' is not a MAC address", where,
                      it->line, mac);
            return -1;
        }
        if ((n->mac = v2k_strdup(mac)) == NULL)
            return -1;
        for (char *c = n->mac; *c; c++)
            *c = *c == '-' ? ':' : (char)tolower((unsigned char)*c);
    }
    return 0;
}

/* The bus and slot of a drive item: its Parent controller's bus, and
 * AddressOnParent counted across controllers of that bus. */
static void
place(struct v2k_disk *d, const xmlNode *it, const struct ova_ctrl *ctrls,
      size_t nctrl)
{
    CLEANUP_FREE char *parent = text(it, "Parent");
    CLEANUP_FREE char *aop = text(it, "AddressOnParent");
    uint64_t v;

    for (size_t i = 0; parent && i < nctrl; i++) {
        if (strcmp(ctrls[i].id, parent) != 0)
            continue;
        d->bus = ctrls[i].bus;
        if (aop && v2k_parse_u64(aop, "AddressOnParent", &v) == 0 &&
            v < 64)
            d->slot = ctrls[i].index * (d->bus == V2K_BUS_IDE ? 2 : 16) +
                      (int)v;
    }
    v2k_error_clear();
}

/* A disk item: HostResource "ovf:/disk/ID" -> Disk -> File. */
static int
add_disk(const struct ova *p, const char *where, struct v2k_source *s,
         const xmlNode *it, const struct ova_ctrl *ctrls, size_t nctrl)
{
    CLEANUP_FREE char *hr = text(it, "HostResource");
    CLEANUP_FREE char *file_ref = NULL, *href = NULL, *comp = NULL;
    CLEANUP_FREE char *chunk = NULL, *fsize = NULL;
    CLEANUP_FREE char *cap = NULL, *capu = NULL;
    const char *id;
    xmlNode *disk, *file;
    struct v2k_transport *t;
    struct v2k_image *img;
    struct v2k_open_opts opts = { 0 };
    struct v2k_disk *d;
    uint64_t capacity = 0, v;
    bool gzip;

    if (hr == NULL) {
        v2k_error("%s:%d: disk <Item> has no HostResource", where, it->line);
        return -1;
    }
    id = strncmp(hr, "ovf:/disk/", 10) == 0 ? hr + 10
         : strncmp(hr, "/disk/", 6) == 0    ? hr + 6
                                            : NULL;
    disk = id ? find_by_attr(p->disks, "Disk", "diskId", id) : NULL;
    if (disk == NULL) {
        v2k_error("%s:%d: HostResource '%s' names no <Disk> of the DiskSection", where, it->line, hr);
        return -1;
    }
    file_ref = v2k_xml_prop(disk, "fileRef");
    file = file_ref ? find_by_attr(p->refs, "File", "id", file_ref) : NULL;
    if (file == NULL) {
        v2k_error("%s:%d: <Disk ovf:diskId='%s'>: fileRef '%s' names no <File> of the References", where, disk->line, id,
                  file_ref ? file_ref : "");
        return -1;
    }
    href = v2k_xml_prop(file, "href");
    comp = v2k_xml_prop(file, "compression");
    chunk = v2k_xml_prop(file, "chunkSize");
    fsize = v2k_xml_prop(file, "size");
    if (href == NULL || check_href(p, href) == -1) {
        if (href == NULL)
            v2k_error("%s:%d: <File ovf:id='%s'> has no href", where,
                      file->line, file_ref);
        return -1;
    }
    if (comp && strcmp(comp, "identity") != 0 && strcmp(comp, "gzip") != 0) {
        v2k_error("%s:%d: <File ovf:href='%s'>: compression '%s' is not supported (gzip)", where, file->line, href, comp);
        return -1;
    }
    gzip = comp && strcmp(comp, "gzip") == 0;
    cap = v2k_xml_prop(disk, "capacity");
    capu = v2k_xml_prop(disk, "capacityAllocationUnits");
    if (cap && scaled(where, "Disk capacity", cap, capu, &capacity) == -1)
        return -1;
    if ((d = v2k_source_add_disk(s)) == NULL)
        return -1;
    d->device = V2K_DEV_DISK;
    place(d, it, ctrls, nctrl);
    if (p->no_files) {
        d->size_bytes = capacity;
        d->path = v2k_strdup(href);
        return d->path ? 0 : -1;
    }
    if (gzip || chunk) {
        d->transport = V2K_TRANSPORT_FILE;
        d->path = unpack_to_tmp(p, href, gzip, chunk != NULL, capacity);
        if (d->path == NULL)
            return -1;
        t = v2k_transport_file_open(d->path);
    } else {
        d->transport = p->tar ? V2K_TRANSPORT_ARCHIVE : V2K_TRANSPORT_FILE;
        d->path = v2k_asprintf("%s/%s", p->tar ? p->tar : p->dir, href);
        if (d->path == NULL)
            return -1;
        t = open_file(p, href);
    }
    if (t == NULL)
        return -1;
    /* ovf:size is the stored size: of a compressed or chunked file, not
     * what we unpacked. */
    if (!gzip && !chunk && fsize &&
        v2k_parse_u64(fsize, "size", &v) == 0 && v != t->size) {
        v2k_error("%s:%d: <File ovf:href='%s'> is %llu bytes, the descriptor says %llu (truncated?)", where, file->line,
                  href, (unsigned long long)t->size, (unsigned long long)v);
        v2k_transport_close(t);
        return -1;
    }
    img = v2k_image_open_transport(t, NULL, &opts);
    if (img == NULL)
        return -1;
    d->size_bytes = img->size;
    d->format = v2k_strdup(img->fmt->name);
    v2k_image_close(img);
    if (d->format == NULL)
        return -1;
    if (capacity && capacity != d->size_bytes)
        v2k_warning("%s: disk %s: the descriptor's capacity is %llu bytes, the image's %llu", where, href,
                    (unsigned long long)capacity,
                    (unsigned long long)d->size_bytes);
    return 0;
}

static void
free_ctrls(struct ova_ctrl *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].id);
    free(c);
}

static int
parse_hardware(const struct ova *p, const char *where, struct v2k_source *s,
               const xmlNode *vhs)
{
    struct ova_ctrl *ctrls = NULL;
    size_t nctrl = 0, nitems = 0;
    int nbus[V2K_BUS_FLOPPY + 1] = { 0 };
    int r = -1;

    /* Pass 1: machine and controllers (disks name their controller,
     * which may come after them). */
    for (xmlNode *it = vhs->children; it; it = it->next) {
        int type;
        if (!is_item(it))
            continue;
        if (++nitems > OVA_MAX_DEVICES) {
            v2k_error("%s: more than %d hardware items", where,
                      OVA_MAX_DEVICES);
            goto out;
        }
        if ((type = item_type(where, it)) == -1)
            goto out;
        if ((type == 3 || type == 4) &&
            parse_cpu_memory(where, s, it, type) == -1)
            goto out;
        if (type == 5 || type == 6 || type == 20) {
            struct ova_ctrl *nc = realloc(ctrls, (nctrl + 1) * sizeof *nc);
            if (nc == NULL) {
                v2k_error("out of memory");
                goto out;
            }
            ctrls = nc;
            nc[nctrl].bus = ctrl_bus(it, type);
            nc[nctrl].index = nbus[nc[nctrl].bus]++;
            nc[nctrl].id = text(it, "InstanceID");
            if (nc[nctrl++].id == NULL) {
                v2k_error("%s:%d: controller <Item> has no InstanceID",
                          where, it->line);
                goto out;
            }
        }
        if (type == 24) {
            for (xmlNode *c = it->children; c; c = c->next) {
                CLEANUP_FREE char *k = is(c, "Config") ? v2k_xml_prop(c, "key")
                                                       : NULL;
                CLEANUP_FREE char *v = k ? v2k_xml_prop(c, "value") : NULL;
                uint64_t kb;
                if (v && strcmp(k, "videoRamSizeInKB") == 0 &&
                    v2k_parse_u64(v, "videoRamSizeInKB", &kb) == 0 &&
                    kb <= (4ULL << 20))
                    s->video_ram_bytes = kb << 10;
                v2k_error_clear();
            }
        }
        if (type == 35 && s->sound == NULL) {
            char *st = text(it, "ResourceSubType");
            if (v2k_xml_dup_into(&s->sound, st ? st : (char *)xmlStrdup(
                                                  (const xmlChar *)"sound"))
                == -1)
                goto out;
        }
    }
    for (xmlNode *it = vhs->children; it; it = it->next) {
        int type;
        if (!is_item(it))
            continue;
        type = item_type(where, it);
        if (type == 17 && add_disk(p, where, s, it, ctrls, nctrl) == -1)
            goto out;
        if (type == 10 && add_nic(where, s, it) == -1)
            goto out;
        if (type == 14 || type == 15 || type == 16) {
            /* Kept as empty drives: the media are not in the package. */
            struct v2k_disk *d = v2k_source_add_disk(s);
            if (d == NULL)
                goto out;
            d->device = type == 14 ? V2K_DEV_FLOPPY : V2K_DEV_CDROM;
            d->bus = type == 14 ? V2K_BUS_FLOPPY : V2K_BUS_UNKNOWN;
            place(d, it, ctrls, nctrl);
        }
    }
    /* <vmw:Config vmw:key="firmware" vmw:value="efi"/> */
    for (xmlNode *c = vhs->children; c; c = c->next) {
        CLEANUP_FREE char *k = NULL, *v = NULL;
        if (!is(c, "Config"))
            continue;
        k = v2k_xml_prop(c, "key");
        v = v2k_xml_prop(c, "value");
        if (k && v && strcmp(k, "firmware") == 0)
            s->firmware = strcasecmp(v, "efi") == 0 ? V2K_FW_UEFI
                                                    : V2K_FW_BIOS;
        if (k && v && strcmp(k, "uefi.secureBoot.enabled") == 0)
            s->secure_boot = strcasecmp(v, "true") == 0;
    }
    r = 0;
out:
    free_ctrls(ctrls, nctrl);
    return r;
}

/* VirtualBox's <vbox:Machine> carries what OVF has no words for. */
static void
parse_vbox_machine(struct v2k_source *s, const xmlNode *m)
{
    CLEANUP_FREE char *fw = NULL;
    xmlNode *hw = child(m, "Hardware");

    s->hypervisor = V2K_HV_VIRTUALBOX;
    fw = v2k_xml_prop(child(hw, "Firmware"), "type");
    if (fw)
        s->firmware = strncmp(fw, "EFI", 3) == 0 ? V2K_FW_UEFI : V2K_FW_BIOS;
}

/* VirtualBox's OVF items carry no MAC: take the enabled adapters' MACs
 * from <vbox:Machine>, in slot order as VirtualBox exports the items. */
static int
vbox_macs(struct v2k_source *s, const xmlNode *m)
{
    size_t k = 0;

    for (xmlNode *a = child(child(child(m, "Hardware"), "Network"),
                            "Adapter");
         a && k < s->nnics; a = a->next) {
        CLEANUP_FREE char *en = NULL, *mac = NULL;
        bool ok;
        if (!is(a, "Adapter"))
            continue;
        en = v2k_xml_prop(a, "enabled");
        if (en == NULL || strcmp(en, "true") != 0)
            continue;
        mac = v2k_xml_prop(a, "MACAddress");
        ok = mac && strlen(mac) == 12;
        for (int i = 0; ok && i < 12; i++)
            ok = isxdigit((unsigned char)mac[i]) != 0;
        if (ok && s->nics[k].mac == NULL) {
            s->nics[k].mac = v2k_asprintf("%.2s:%.2s:%.2s:%.2s:%.2s:%.2s",
                                          mac, mac + 2, mac + 4, mac + 6,
                                          mac + 8, mac + 10);
            if (s->nics[k].mac == NULL)
                return -1;
            for (char *c = s->nics[k].mac; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        }
        k++;
    }
    return 0;
}

static struct v2k_source *
ovf_parse(struct ova *p, const char *buf, size_t len, const char *where)
{
    struct v2k_source *s = NULL;
    xmlNode *root, *vs = NULL, *vhs, *os;

    if ((p->doc = v2k_xml_parse(buf, len, where, OVF_MAX_SIZE)) == NULL)
        return NULL;
    root = xmlDocGetRootElement(p->doc);
    if (!is(root, "Envelope")) {
        v2k_error("%s: the root element is <%s>, not <Envelope>", where,
                  root ? (const char *)root->name : "");
        return NULL;
    }
    p->refs = child(root, "References");
    if (p->refs == NULL) {
        v2k_error("%s: <Envelope> has no <References>", where);
        return NULL;
    }
    p->disks = child(root, "DiskSection");
    vs = child(root, "VirtualSystem");
    if (vs == NULL)     /* a one-VM <VirtualSystemCollection> */
        vs = child(child(root, "VirtualSystemCollection"), "VirtualSystem");
    if (vs == NULL) {
        v2k_error("%s: <Envelope> has no <VirtualSystem>", where);
        return NULL;
    }
    vhs = child(vs, "VirtualHardwareSection");
    if (vhs == NULL) {
        v2k_error("%s: <VirtualSystem> has no <VirtualHardwareSection>",
                  where);
        return NULL;
    }
    if ((s = v2k_source_new()) == NULL)
        return NULL;
    s->hypervisor = V2K_HV_VMWARE;
    s->firmware = V2K_FW_BIOS;
    s->video = V2K_VIDEO_VMVGA;
    s->vcpus = 1;
    if (v2k_xml_dup_into(&s->name, text(vs, "Name")) == -1)
        goto fail;
    if (s->name == NULL && v2k_xml_dup_into(&s->name, v2k_xml_prop(vs, "id")) == -1)
        goto fail;
    if (s->name == NULL || *s->name == '\0') {
        v2k_error("%s: <VirtualSystem> has no Name or ovf:id", where);
        goto fail;
    }
    os = child(vs, "OperatingSystemSection");
    if (os && v2k_xml_dup_into(&s->os_hint, v2k_xml_prop(os, "osType")) == -1)
        goto fail;
    if (os && s->os_hint == NULL &&
        v2k_xml_dup_into(&s->os_hint, text(os, "Description")) == -1)
        goto fail;
    {
        CLEANUP_FREE char *vst = text(child(vhs, "System"),
                                      "VirtualSystemType");
        if (vst && strncasecmp(vst, "virtualbox", 10) == 0)
            s->hypervisor = V2K_HV_VIRTUALBOX;
    }
    if (child(vs, "Machine"))
        parse_vbox_machine(s, child(vs, "Machine"));
    if (s->hypervisor == V2K_HV_VIRTUALBOX)
        s->video = V2K_VIDEO_VBOX;
    if (parse_hardware(p, where, s, vhs) == -1)
        goto fail;
    if (child(vs, "Machine") && vbox_macs(s, child(vs, "Machine")) == -1)
        goto fail;
    if (s->memory_bytes == 0) {
        v2k_error("%s: <VirtualHardwareSection> has no memory item (ResourceType 4)", where);
        goto fail;
    }
    return s;
fail:
    v2k_source_free(s);
    return NULL;
}

static void
ova_clear(struct ova *p)
{
    free(p->dir);
    free(p->tar);
    free(p->ovf_name);
    v2k_archive_members_free(p->m, p->nm);
    xmlFreeDoc(p->doc);
}

struct v2k_source *
v2k_ovf_parse_buffer(const char *buf, size_t len, const char *name)
{
    struct ova p = { .src = name, .no_files = true };
    struct v2k_source *s = ovf_parse(&p, buf, len, name);

    ova_clear(&p);
    return s;
}

static struct v2k_source *
ova_setup(const struct v2k_options *o)
{
    struct ova p = { 0 };
    struct v2k_source *s = NULL;
    CLEANUP_FREE char *buf = NULL;
    CLEANUP_FREE char *where = NULL;
    char real[PATH_MAX];
    struct stat st;
    size_t len = 0, ndisks = 0;

    if (o->nsources != 1) {
        v2k_error("-i ova: give one .ova file or directory");
        return NULL;
    }
    if (o->input_uri) {
        v2k_error("-i ova: -ic is not used with OVA packages");
        return NULL;
    }
    p.src = o->sources[0];
    if (realpath(p.src, real) == NULL || stat(real, &st) == -1) {
        v2k_error_errno(errno, "%s", p.src);
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        p.dir = v2k_strdup(real);
    } else if (S_ISREG(st.st_mode)) {
        p.tar = v2k_strdup(real);
        if (p.tar && v2k_archive_list(p.tar, &p.m, &p.nm) == -1)
            goto out;
    } else {
        v2k_error("%s: not a file or a directory", p.src);
        goto out;
    }
    if ((p.dir == NULL && p.tar == NULL) || find_ovf(&p) == -1)
        goto out;
    where = v2k_asprintf("%s/%s", p.src, p.ovf_name);
    if (where == NULL)
        goto out;
    if (check_manifest(&p, o->ova_ignore_manifest) == -1)
        goto out;
    buf = read_small(&p, p.ovf_name, OVF_MAX_SIZE, &len);
    if (buf == NULL)
        goto out;
    s = ovf_parse(&p, buf, len, where);
    for (size_t i = 0; s && i < s->ndisks; i++)
        ndisks += s->disks[i].device == V2K_DEV_DISK;
    if (s && ndisks == 0) {
        v2k_error("%s: the virtual system has no disk", where);
        v2k_source_free(s);
        s = NULL;
    }
out:
    ova_clear(&p);
    if (s == NULL)
        v2k_error_prepend("-i ova: ");
    return s;
}

const struct v2k_input v2k_input_ova = {
    .name = "ova",
    .help = "an OVF package (.ova tar or a directory with an .ovf) as SOURCE",
    .setup = ova_setup,
};
