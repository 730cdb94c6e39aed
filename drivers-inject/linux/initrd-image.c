/* initrd-image.c - initramfs images on the host (initrd-image.h). */
#include "initrd-image.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* An image with more entries than this is not one we look into. */
#define MAX_ENTRIES 1000000

void
v2k_initrd_listing_free(struct v2k_initrd_listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->ents[i].path);
    free(l->ents);
    memset(l, 0, sizeof *l);
}

static int
listing_add(struct v2k_initrd_listing *l, const char *path, uint32_t mode)
{
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    while (path[0] == '/')
        path++;
    if (path[0] == '\0' || strcmp(path, ".") == 0)
        return 0;               /* the archive's root */
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        /* The bound before realloc: a moved array is already freed. */
        struct v2k_initrd_entry *ne =
            nc > MAX_ENTRIES ? NULL : realloc(l->ents, nc * sizeof *ne);
        if (ne == NULL) {
            v2k_error("out of memory (or over %d entries)", MAX_ENTRIES);
            return -1;
        }
        l->ents = ne;
        l->cap = nc;
    }
    if ((l->ents[l->n].path = strdup(path)) == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    l->ents[l->n++].mode = mode;
    return 0;
}

/* Is path's last component NAME.ko[.EXT] ('-' and '_' the same)? */
static bool
is_module_path(const char *path, const char *name)
{
    const char *b = strrchr(path, '/');
    size_t nl = strlen(name), i;

    b = b ? b + 1 : path;
    if (strncmp(b + strcspn(b, "."), ".ko", 3) != 0 ||
        strcspn(b, ".") != nl)
        return false;
    for (i = 0; i < nl; i++) {
        char a = b[i] == '-' ? '_' : b[i];
        char c = name[i] == '-' ? '_' : name[i];
        if (a != c)
            return false;
    }
    return true;
}

bool
v2k_initrd_has_module(const struct v2k_initrd_listing *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (S_ISREG(l->ents[i].mode) && is_module_path(l->ents[i].path, name))
            return true;
    return false;
}

const struct v2k_initrd_entry *
v2k_initrd_find(const struct v2k_initrd_listing *l, const char *path)
{
    /* the last one: a later entry of the same path replaces the earlier */
    for (size_t i = l->n; i-- > 0;)
        if (strcmp(l->ents[i].path, path) == 0)
            return &l->ents[i];
    return NULL;
}

/* --- reading ---------------------------------------------------------- */

static int
read_full(FILE *fp, void *buf, size_t n)
{
    return fread(buf, 1, n, fp) == n ? 0 : -1;
}

static int
skip_bytes(FILE *fp, uint64_t n)
{
    char buf[4096];
    while (n > 0) {
        size_t k = n < sizeof buf ? (size_t)n : sizeof buf;
        if (fread(buf, 1, k, fp) != k)
            return -1;
        n -= k;
    }
    return 0;
}

static int
hex8(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    int i;
    for (i = 0; i < 8; i++) {
        int c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* Parse concatenated newc archives from fp, starting at a magic whose
 * first 6 bytes are in magic6.  *pos tracks the stream offset.  Returns
 * 0 at the end of the stream, 1 when a non-cpio, non-zero byte sequence
 * follows (its first bytes in next[6], *pos at it), -1 on a bad archive.
 */
static int
parse_cpio(FILE *fp, uint64_t *pos, const char *what, struct v2k_initrd_listing *l,
           unsigned char next[6])
{
    char hdr[110];
    char name[4096];

    for (;;) {
        uint32_t namesize, filesize, mode;
        uint64_t start;
        int c;

        /* Skip zero padding between archives (4-byte, or 512 in
         * dracut's early cpio). */
        while ((c = fgetc(fp)) == 0)
            (*pos)++;
        if (c == EOF)
            return 0;
        hdr[0] = (char)c;
        start = *pos;
        if (read_full(fp, hdr + 1, 5) == -1) {
            v2k_error("%s: %" PRIu64 ": trailing bytes after the archive",
                      what, *pos);
            return -1;
        }
        if (memcmp(hdr, "07070", 5) != 0 || (hdr[5] != '1' && hdr[5] != '2')) {
            memcpy(next, hdr, 6);
            return 1;
        }
        if (read_full(fp, hdr + 6, 104) == -1 ||
            hex8(hdr + 14, &mode) == -1 ||
            hex8(hdr + 94, &namesize) == -1 ||
            hex8(hdr + 54, &filesize) == -1 || namesize == 0 ||
            namesize > sizeof name) {
            v2k_error("%s: bad cpio header at offset %" PRIu64, what, *pos);
            return -1;
        }
        if (read_full(fp, name, namesize) == -1) {
            v2k_error("%s: truncated cpio archive at offset %" PRIu64, what,
                      *pos);
            return -1;
        }
        name[namesize - 1] = '\0';
        *pos += 110 + namesize;
        {
            uint64_t pad = (4 - (*pos % 4)) % 4;
            if (skip_bytes(fp, pad) == -1)
                return 0;
            *pos += pad;
        }
        if (strcmp(name, "TRAILER!!!") == 0) {
            l->trailer_at = start;
            l->has_trailer = true;
            continue;
        }
        if (listing_add(l, name, mode) == -1)
            return -1;
        {
            uint64_t skip = filesize + (4 - (filesize % 4)) % 4;
            if (skip_bytes(fp, skip) == -1) {
                v2k_error("%s: truncated cpio archive at offset %" PRIu64,
                          what, *pos);
                return -1;
            }
            *pos += skip;
        }
    }
}

/* The host decompressor for a magic, or NULL. */
static const char *
decompressor(const unsigned char *m)
{
    if (m[0] == 0x1f && (m[1] == 0x8b || m[1] == 0x9e))
        return "zcat";
    if (memcmp(m, "\xfd" "7zXZ", 5) == 0)
        return "xzcat";
    if (m[0] == 0x5d && m[1] == 0 && m[2] == 0)
        return "lzcat";
    if (memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0)
        return "zstdcat";
    if (memcmp(m, "\x02\x21\x4c\x18", 4) == 0 ||
        memcmp(m, "\x04\x22\x4d\x18", 4) == 0)
        return "lz4cat";
    if (memcmp(m, "BZh", 3) == 0)
        return "bzcat";
    return NULL;
}

/* Run tool < file (from offset) and parse its output as cpio. */
static int
list_compressed(const char *file, uint64_t off, const char *tool,
                const char *what, struct v2k_initrd_listing *l)
{
    posix_spawn_file_actions_t fa;
    int in = -1, p[2] = { -1, -1 }, st, r = -1;
    pid_t pid = -1;
    char *argv[] = { (char *)tool, NULL };
    FILE *fp = NULL;
    uint64_t pos = 0;
    unsigned char next[6];
    size_t before = l->n;

    in = open(file, O_RDONLY | O_CLOEXEC);
    if (in == -1 || lseek(in, (off_t)off, SEEK_SET) == -1 ||
        pipe2(p, O_CLOEXEC) == -1) {
        v2k_error_errno(errno, "%s: %s", what, file);
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    st = posix_spawnp(&pid, tool, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    p[1] = -1;
    if (st != 0) {
        pid = -1;
        v2k_error_errno(st, "%s: cannot run %s on the host", what, tool);
        goto out;
    }
    fp = fdopen(p[0], "r");
    if (fp == NULL) {
        v2k_error_errno(errno, "%s", what);
        goto out;
    }
    p[0] = -1;
    r = parse_cpio(fp, &pos, what, l, next);
    if (r == 1)                 /* trailing junk after the archive */
        r = 0;
    /* Drain so the tool does not die of SIGPIPE before we wait. */
    while (r == 0 && fgetc(fp) != EOF)
        ;
out:
    if (fp)
        fclose(fp);
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    if (in >= 0)
        close(in);
    if (pid > 0) {
        while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
            ;
        if (r == 0 && l->n == before && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            v2k_error("%s: %s failed on the compressed archive at offset %" PRIu64, what, tool, off);
            r = -1;
        }
    }
    return r;
}


int
v2k_initrd_read(const char *file, const char *what,
                struct v2k_initrd_listing *l)
{
    FILE *fp = fopen(file, "rb");
    uint64_t pos = 0;
    unsigned char next[6];
    int r;

    memset(l, 0, sizeof *l);
    if (fp == NULL) {
        v2k_error_errno(errno, "%s: %s", what, file);
        return -1;
    }
    r = parse_cpio(fp, &pos, what, l, next);
    fclose(fp);
    if (r == 1) {
        const char *tool = decompressor(next);
        if (tool == NULL) {
            v2k_error("%s: not a cpio archive nor a compression format we know at offset %" PRIu64 " (bytes %02x %02x %02x %02x)", what, pos, next[0], next[1], next[2], next[3]);
            r = -1;
        } else {
            l->decompressor = tool;
            l->compressed_at = pos;
            r = list_compressed(file, pos, tool, what, l);
        }
    }
    if (r == -1) {
        v2k_initrd_listing_free(l);
        return -1;
    }
    return 0;
}

/* List the .ko files of a host copy of an initramfs (linux-internal.h). */
int
v2k_linux_list_initramfs(const char *file, const char *what,
                         char ***names, size_t *n)
{
    struct v2k_initrd_listing l;
    size_t k = 0;

    *names = NULL;
    *n = 0;
    if (v2k_initrd_read(file, what, &l) == -1)
        return -1;
    if ((*names = calloc(l.n + 1, sizeof **names)) == NULL) {
        v2k_initrd_listing_free(&l);
        v2k_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        const char *b = strrchr(l.ents[i].path, '/');

        b = b ? b + 1 : l.ents[i].path;
        if (strstr(b, ".ko") == NULL)
            continue;
        if (((*names)[k] = strndup(b, strcspn(b, "."))) == NULL) {
            v2k_error("out of memory");
            for (size_t j = 0; j < k; j++)
                free((*names)[j]);
            free(*names);
            *names = NULL;
            v2k_initrd_listing_free(&l);
            return -1;
        }
        k++;
    }
    *n = k;
    v2k_initrd_listing_free(&l);
    return 0;
}

/* --- writing ---------------------------------------------------------- */

void
v2k_cpio_start(struct v2k_cpio_writer *w, FILE *fp)
{
    w->fp = fp;
    w->ino = 0x40000000;        /* away from an image's own numbers */
    /* now: cpio -i (Debian's unmkinitramfs) keeps an existing file that
     * is newer than the archive's entry; the kernel replaces it anyway */
    w->mtime = (uint32_t)time(NULL);
    w->off = 0;
}

static int
pad4(struct v2k_cpio_writer *w)
{
    static const char zeros[4];
    size_t k = (size_t)((4 - w->off % 4) % 4);

    if (k && fwrite(zeros, 1, k, w->fp) != k)
        return -1;
    w->off += k;
    return 0;
}

int
v2k_cpio_add(struct v2k_cpio_writer *w, const char *path, uint32_t mode,
             const void *data, size_t len)
{
    size_t nl = strlen(path) + 1;
    char hdr[111];

    if (len > UINT32_MAX || nl > 4096) {
        v2k_error("%s: too large for a cpio entry", path);
        return -1;
    }
    /* newc: ino mode uid gid nlink mtime filesize devmajor devminor
     * rdevmajor rdevminor namesize check */
    snprintf(hdr, sizeof hdr,
             "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             w->ino++, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, w->mtime,
             (unsigned)len, 0u, 0u, 0u, 0u, (unsigned)nl, 0u);
    if (fwrite(hdr, 1, 110, w->fp) != 110 ||
        fwrite(path, 1, nl, w->fp) != nl)
        goto fail;
    w->off += 110 + nl;
    if (pad4(w) == -1 || (len && fwrite(data, 1, len, w->fp) != len))
        goto fail;
    w->off += len;
    if (pad4(w) == -1)
        goto fail;
    return 0;
fail:
    v2k_error_errno(errno, "writing the cpio entry %s", path);
    return -1;
}

int
v2k_cpio_finish(struct v2k_cpio_writer *w)
{
    static const char zeros[512];
    size_t k;

    if (v2k_cpio_add(w, "TRAILER!!!", 0, NULL, 0) == -1)
        return -1;
    /* padded to 512-byte blocks as cpio(1) writes it: Debian's
     * unmkinitramfs finds the next archive by cpio's block count */
    k = (size_t)((512 - w->off % 512) % 512);
    if ((k && fwrite(zeros, 1, k, w->fp) != k) || fflush(w->fp) != 0) {
        v2k_error_errno(errno, "writing the cpio archive");
        return -1;
    }
    return 0;
}

const char *const *
v2k_initrd_compressor(const char *decomp)
{
    static const char *const gz[] = { "gzip", "-n", "-c", NULL };
    static const char *const xz[] = { "xz", "--check=crc32",
                                      "--lzma2=dict=1MiB", "-c", NULL };
    static const char *const zstd[] = { "zstd", "-q", "-c", NULL };
    static const char *const lz4[] = { "lz4", "-l", "-q", "-c", NULL };
    static const char *const bz2[] = { "bzip2", "-c", NULL };

    if (decomp == NULL)
        return NULL;
    return strcmp(decomp, "zcat") == 0 ? gz
         : strcmp(decomp, "xzcat") == 0 ? xz
         : strcmp(decomp, "zstdcat") == 0 ? zstd
         : strcmp(decomp, "lz4cat") == 0 ? lz4
         : strcmp(decomp, "bzcat") == 0 ? bz2 : NULL;
}

int
v2k_initrd_filter(const char *const *argv, int in_fd, int out_fd,
                  const char *what)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    st = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
                      environ);
    posix_spawn_file_actions_destroy(&fa);
    if (st != 0) {
        v2k_error_errno(st, "%s: cannot run %s on the host", what, argv[0]);
        return -1;
    }
    while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        v2k_error("%s: %s failed", what, argv[0]);
        return -1;
    }
    return 0;
}

/* Copy len bytes (all when len is UINT64_MAX) from in_fd to out_fd. */
static int
copy_fd(int in_fd, int out_fd, uint64_t len)
{
    char buf[65536];

    while (len > 0) {
        size_t want = len < sizeof buf ? (size_t)len : sizeof buf;
        ssize_t n = read(in_fd, buf, want);

        if (n == 0 && len == UINT64_MAX)
            return 0;
        if (n <= 0 || write(out_fd, buf, (size_t)n) != n)
            return -1;
        if (len != UINT64_MAX)
            len -= (uint64_t)n;
    }
    return 0;
}

int
v2k_initrd_extend(const char *in_file, const struct v2k_initrd_listing *l,
                  const char *extra_cpio, const char *out_file,
                  const char *what, char *why, size_t whysize)
{
    const char *const *comp = v2k_initrd_compressor(l->decompressor);
    const char *dec[] = { l->decompressor, NULL };
    char *body = NULL;
    struct v2k_initrd_listing bl = { 0 };
    int in = -1, out = -1, b = -1, x = -1, r = -1;

    if (l->decompressor && comp == NULL) {
        snprintf(why, whysize, "its compression (%s) is not one we write",
                 l->decompressor);
        return 0;
    }
    if (asprintf(&body, "%s.body", out_file) < 0) {
        body = NULL;
        v2k_error("out of memory");
        return -1;
    }
    in = open(in_file, O_RDONLY | O_CLOEXEC);
    out = open(out_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    b = open(body, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    x = open(extra_cpio, O_RDONLY | O_CLOEXEC);
    if (in == -1 || out == -1 || b == -1 || x == -1) {
        v2k_error_errno(errno, "%s: temporary files", what);
        goto out;
    }
    /* The body: the compressed part decompressed, or the whole image;
     * out gets what comes before the compressed part as it is. */
    if (l->decompressor) {
        if (copy_fd(in, out, l->compressed_at) == -1 ||
            lseek(in, (off_t)l->compressed_at, SEEK_SET) == -1) {
            v2k_error_errno(errno, "%s: copying", what);
            goto out;
        }
        if (v2k_initrd_filter(dec, in, b, what) == -1)
            goto out;
    } else if (copy_fd(in, b, UINT64_MAX) == -1) {
        v2k_error_errno(errno, "%s: copying", what);
        goto out;
    }
    /* Cut at its last trailer, the new entries after the old ones. */
    if (v2k_initrd_read(body, what, &bl) == -1) {
        snprintf(why, whysize, "its archive does not read as cpio once unpacked: %s", v2k_error_message());
        v2k_error_clear();
        r = 0;
        goto out;
    }
    if (!bl.has_trailer) {
        snprintf(why, whysize, "its archive has no end (TRAILER!!!)");
        r = 0;
        goto out;
    }
    if (ftruncate(b, (off_t)bl.trailer_at) == -1 ||
        lseek(b, 0, SEEK_END) == -1 || copy_fd(x, b, UINT64_MAX) == -1 ||
        lseek(b, 0, SEEK_SET) == -1) {
        v2k_error_errno(errno, "%s: extending the archive", what);
        goto out;
    }
    if (comp) {
        if (v2k_initrd_filter(comp, b, out, what) == -1)
            goto out;
    } else if (copy_fd(b, out, UINT64_MAX) == -1) {
        v2k_error_errno(errno, "%s: copying", what);
        goto out;
    }
    r = 1;
out:
    v2k_initrd_listing_free(&bl);
    if (in >= 0)
        close(in);
    if (x >= 0)
        close(x);
    if (b >= 0)
        close(b);
    if (out >= 0 && close(out) == -1 && r == 1) {
        v2k_error_errno(errno, "%s: %s", what, out_file);
        r = -1;
    }
    unlink(body);
    free(body);
    return r;
}

/* --- modules.dep ------------------------------------------------------ */

void
v2k_module_name(const char *path, char *buf, size_t size)
{
    const char *b = strrchr(path, '/');

    b = b ? b + 1 : path;
    snprintf(buf, size, "%.*s", (int)strcspn(b, "."), b);
    for (char *p = buf; *p; p++)
        if (*p == '-')
            *p = '_';
}

struct pathset {
    char **v;
    size_t n, cap;
};

static int
pathset_add(struct pathset *s, const char *p, size_t len)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->v[i]) == len && memcmp(s->v[i], p, len) == 0)
            return 0;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        char **nv = nc > 100000 ? NULL : realloc(s->v, nc * sizeof *nv);
        if (nv == NULL) {
            v2k_error("out of memory");
            return -1;
        }
        s->v = nv;
        s->cap = nc;
    }
    if ((s->v[s->n] = strndup(p, len)) == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    s->n++;
    return 0;
}

/* The line of modules.dep for module name: its start, or NULL. */
static const char *
dep_line(const char *dep, const char *name)
{
    for (const char *p = dep; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        size_t k = strcspn(p, ":\n");
        char got[256];

        if (p[k] != ':' || k >= sizeof got)
            continue;
        memcpy(got, p, k);
        got[k] = '\0';
        if (is_module_path(got, name))
            return p;
    }
    return NULL;
}

int
v2k_moddep_closure(const char *dep, const char *const *names, size_t n,
                   char ***paths, size_t *np)
{
    struct pathset s = { 0 };

    *paths = NULL;
    *np = 0;
    for (size_t i = 0; i < n; i++) {
        const char *line = dep ? dep_line(dep, names[i]) : NULL;
        const char *p, *end;
        size_t k;

        if (line == NULL)
            continue;
        k = strcspn(line, ":");
        end = line + strcspn(line, "\n");
        /* the dependencies after ':', separated by spaces (modules.dep
         * lists them transitively, as depmod writes it) */
        for (p = line + k + 1; p < end;) {
            size_t w;

            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            w = strcspn(p, " \t\n");
            if (p + w > end)
                w = (size_t)(end - p);
            if (w && pathset_add(&s, p, w) == -1)
                goto fail;
            p += w;
        }
        if (pathset_add(&s, line, k) == -1)
            goto fail;
    }
    *paths = s.v;
    *np = s.n;
    return 0;
fail:
    for (size_t i = 0; i < s.n; i++)
        free(s.v[i]);
    free(s.v);
    return -1;
}
