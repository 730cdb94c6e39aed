/* initramfs.c - the "initramfs" step: rebuild the chosen kernel's
 * initramfs with the virtio drivers, then check the image really holds
 * the block driver.
 *
 * Modules asked for: virtio, virtio_ring, virtio_pci, virtio_blk,
 * virtio_scsi, virtio_net (virt-v2v's list without its legacy extras),
 * keeping only those the kernel has as modules: /lib/modules/VER's
 * modules.dep says which exist (modules.builtin: built in, nothing to
 * add).  Without modules.dep we trust inspection's virtio bits.
 *
 * The guest's own tool runs inside the guest (v2k_gf_sh: chroot in the
 * appliance), chosen by inspection's initramfs_tool:
 *   initramfs-tools  append the modules to /etc/initramfs-tools/modules
 *                    (always included, whatever MODULES= says), then
 *                    update-initramfs -u -k VER (-c when no image yet)
 *   dracut           dracut -f --add-drivers "MODS" INITRD VER
 *   mkinitrd         SUSE: mkinitrd -m "MODS" -i INITRD -k VMLINUZ;
 *                    old RHEL: mkinitrd -f --with=MOD... INITRD VER
 *   mkinitcpio       MODULES=(...) in /etc/mkinitcpio.conf gets the
 *                    modules, then mkinitcpio -k VER -g INITRD
 * The old image is overwritten (the tools' -f), not kept beside it:
 * /boot is often small.
 *
 * Unless --rebuild-initramfs, the tool is not run when the existing
 * image already holds the block driver and virtio_pci (or the kernel
 * has them built in) and no earlier step edited a file an initramfs may
 * carry (crypttab, resume config, udev rules, mdadm.conf, the tools'
 * own configs): Debian's MODULES=most images and dracut images made
 * without host-only mode carry every virtio driver, and rebuilding them
 * in the appliance costs minutes (over 20 under TCG).  The config edits
 * above are still made, so the guest's own later rebuilds keep the
 * drivers.  virt-v2v always rebuilds.
 *
 * When initramfs-tools rebuilds, every /etc/crypttab entry gets the
 * "initramfs" option first: in the appliance cryptsetup-initramfs
 * cannot tell which devices the root needs.
 *
 * Verification reads the image on the host (guestfs_download): cpio
 * "newc" archives, uncompressed or compressed (gzip, xz, zstd, lz4,
 * bzip2, lzma; through the host's zcat, xzcat, zstdcat, lz4cat, bzcat),
 * several of them concatenated (dracut/initramfs-tools put an
 * uncompressed early-microcode archive first).  The block driver of the
 * output's bus (virtio_blk, or virtio_scsi) must be in it, or built into
 * the kernel; else the step fails: that guest would not find its root.
 */
#include "linux.h"
#include "linux-internal.h"
#include "cleanup.h"
#include "error.h"
#include "guestfile.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define STEP "initramfs"

extern char **environ;

static const char *const wanted[] = {
    "virtio", "virtio_ring", "virtio_pci", "virtio_blk", "virtio_scsi",
    "virtio_net",
};

/* Single-quote s for /bin/sh. */
static char *
shq(const char *s)
{
    size_t n = 2, i;
    char *out, *o;

    for (i = 0; s[i]; i++)
        n += s[i] == '\'' ? 4 : 1;
    out = o = v2k_malloc(n + 1);
    if (out == NULL)
        return NULL;
    *o++ = '\'';
    for (i = 0; s[i]; i++) {
        if (s[i] == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else
            *o++ = s[i];
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

/* Does a modules.dep/modules.builtin text list NAME.ko (any
 * compression, '-' and '_' equivalent)? */
static bool
lists_module(const char *text, const char *name)
{
    size_t nl = strlen(name);
    const char *p;

    if (text == NULL)
        return false;
    for (p = text; (p = strstr(p, ".ko")) != NULL; p += 3) {
        const char *s = p;
        size_t i;
        while (s > text && s[-1] != '/' && s[-1] != '\n' && s[-1] != ' ')
            s--;
        if ((size_t)(p - s) != nl)
            continue;
        for (i = 0; i < nl; i++) {
            char a = s[i] == '-' ? '_' : s[i];
            char b = name[i] == '-' ? '_' : name[i];
            if (a != b)
                break;
        }
        if (i == nl)
            return true;
    }
    return false;
}

static char *
read_opt(guestfs_h *g, const char *path)
{
    char *s;
    if (!v2k_gf_is_file(g, path))
        return NULL;
    s = v2k_gf_read(g, STEP, path, NULL);
    if (s == NULL)
        v2k_error_clear();
    return s;
}

struct modinfo {
    char *dep, *builtin;
    unsigned virtio;            /* inspection's bits, when no modules.dep */
};

static bool
is_builtin(const struct modinfo *mi, const char *name)
{
    return lists_module(mi->builtin, name);
}

static bool
is_module(const struct modinfo *mi, const char *name)
{
    static const struct { const char *n; unsigned bit; } bits[] = {
        { "virtio_pci", V2K_VIRTIO_PCI }, { "virtio_blk", V2K_VIRTIO_BLK },
        { "virtio_scsi", V2K_VIRTIO_SCSI }, { "virtio_net", V2K_VIRTIO_NET },
    };
    size_t i;

    if (mi->dep)
        return lists_module(mi->dep, name);
    /* No modules.dep: virtio and virtio_ring come with virtio_pci. */
    for (i = 0; i < V2K_ARRAY_SIZE(bits); i++)
        if (strcmp(bits[i].n, name) == 0)
            return (mi->virtio & bits[i].bit) != 0;
    return (mi->virtio & V2K_VIRTIO_PCI) != 0;
}

/* --- initramfs-tools, mkinitcpio config edits --------------------------- */

static int
initramfs_tools_modules(struct v2k_convert_ctx *ctx, const char *const *mods,
                        size_t n)
{
    const char *path = "/etc/initramfs-tools/modules";
    CLEANUP_FREE char *data = NULL, *out = NULL;
    size_t i, len = 0, olen = 0;
    FILE *fp;
    bool added = false;

    if (v2k_gf_exists(ctx->g, path) &&
        (data = v2k_gf_read(ctx->g, STEP, path, &len)) == NULL)
        return -1;
    fp = open_memstream(&out, &olen);
    if (fp == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    if (data) {
        fputs(data, fp);
        if (len && data[len - 1] != '\n')
            fputc('\n', fp);
    }
    for (i = 0; i < n; i++) {
        bool have = false;
        const char *p;
        size_t ml = strlen(mods[i]);

        /* a line that is exactly the module (optionally with arguments) */
        for (p = data; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (strncmp(p, mods[i], ml) == 0 &&
                (p[ml] == '\0' || isspace((unsigned char)p[ml])))
                have = true;
        }
        if (have)
            continue;
        if (!added)
            fputs("# Added by v2kvm: virtio drivers to boot on KVM\n", fp);
        fprintf(fp, "%s\n", mods[i]);
        v2k_log_edit(ctx->g, STEP, path, "", mods[i]);
        added = true;
    }
    fclose(fp);
    if (!added)
        return 0;
    return v2k_gf_write(ctx->g, STEP, path, out, olen);
}

struct mkcpio {
    const char *const *mods;
    size_t n;
};

/* MODULES=(a b) or MODULES="a b" -> with the missing modules added. */
static char *
mkinitcpio_line(const char *line, bool *drop, void *opaque)
{
    struct mkcpio *m = opaque;
    const char *p = line, *open, *close;
    char *out = NULL, *o;
    size_t i, len;
    bool nonempty;

    (void)drop;
    while (isspace((unsigned char)*p))
        p++;
    if (strncmp(p, "MODULES=", 8) != 0)
        return NULL;
    open = p + 8;
    if (*open != '(' && *open != '"')
        return NULL;
    close = strchr(open + 1, *open == '(' ? ')' : '"');
    if (close == NULL)
        return NULL;
    len = strlen(line) + 1;
    for (i = 0; i < m->n; i++)
        len += strlen(m->mods[i]) + 1;
    out = v2k_malloc(len);
    if (out == NULL)
        return NULL;
    o = out + snprintf(out, len, "%.*s", (int)(close - line), line);
    nonempty = false;
    for (const char *c = open + 1; c < close; c++)
        nonempty |= !isspace((unsigned char)*c);
    for (i = 0; i < m->n; i++) {
        /* present as a word between open and close? */
        const char *s = open + 1;
        size_t ml = strlen(m->mods[i]);
        bool have = false;
        while (s < close) {
            while (s < close && isspace((unsigned char)*s))
                s++;
            const char *e = s;
            while (e < close && !isspace((unsigned char)*e))
                e++;
            if ((size_t)(e - s) == ml && memcmp(s, m->mods[i], ml) == 0)
                have = true;
            s = e;
        }
        if (!have) {
            o += snprintf(o, len - (size_t)(o - out), "%s%s",
                          nonempty ? " " : "", m->mods[i]);
            nonempty = true;
        }
    }
    snprintf(o, len - (size_t)(o - out), "%s", close);
    return out;
}

/* --- listing an initramfs on the host ------------------------------------ */

struct listing {
    char **names;               /* basenames of the .ko files found */
    size_t n, cap;
};

static void
listing_free(struct listing *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
}

static int
listing_add(struct listing *l, const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    if (strstr(b, ".ko") == NULL)
        return 0;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        /* The bound before realloc: a moved array is already freed. */
        char **nn = nc > 1000000 ? NULL
                                 : realloc(l->names, nc * sizeof *nn);
        if (nn == NULL) {
            v2k_error("out of memory");
            return -1;
        }
        l->names = nn;
        l->cap = nc;
    }
    if ((l->names[l->n] = strndup(b, strcspn(b, "."))) == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    l->n++;
    return 0;
}

static bool
listing_has(const struct listing *l, const char *name)
{
    size_t i, j, nl = strlen(name);
    for (i = 0; i < l->n; i++) {
        if (strlen(l->names[i]) != nl)
            continue;
        for (j = 0; j < nl; j++) {
            char a = l->names[i][j] == '-' ? '_' : l->names[i][j];
            char b = name[j] == '-' ? '_' : name[j];
            if (a != b)
                break;
        }
        if (j == nl)
            return true;
    }
    return false;
}

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
parse_cpio(FILE *fp, uint64_t *pos, const char *what, struct listing *l,
           unsigned char next[6])
{
    char hdr[110];
    char name[4096];

    for (;;) {
        uint32_t namesize, filesize;
        int c;

        /* Skip zero padding between archives (4-byte, or 512 in
         * dracut's early cpio). */
        while ((c = fgetc(fp)) == 0)
            (*pos)++;
        if (c == EOF)
            return 0;
        hdr[0] = (char)c;
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
        if (strcmp(name, "TRAILER!!!") == 0)
            continue;
        if (listing_add(l, name) == -1)
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
                const char *what, struct listing *l)
{
    posix_spawn_file_actions_t fa;
    int in = -1, p[2] = { -1, -1 }, st, r = -1;
    pid_t pid = -1;
    char *argv[] = { (char *)tool, NULL };
    FILE *fp = NULL;
    uint64_t pos = 0;
    unsigned char next[6];

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
        if (r == 0 && l->n == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            v2k_error("%s: %s failed on the compressed archive at offset %" PRIu64, what, tool, off);
            r = -1;
        }
    }
    return r;
}

/* List the .ko files of a host copy of an initramfs. */
int
v2k_linux_list_initramfs(const char *file, const char *what,
                         char ***names, size_t *n)
{
    struct listing l = { 0 };
    FILE *fp = fopen(file, "rb");
    uint64_t pos = 0;
    unsigned char next[6];
    int r;

    *names = NULL;
    *n = 0;
    if (fp == NULL) {
        v2k_error_errno(errno, "%s: %s", what, file);
        return -1;
    }
    r = parse_cpio(fp, &pos, what, &l, next);
    fclose(fp);
    if (r == 1) {
        const char *tool = decompressor(next);
        if (tool == NULL) {
            v2k_error("%s: not a cpio archive nor a compression format we know at offset %" PRIu64 " (bytes %02x %02x %02x %02x)", what, pos, next[0], next[1], next[2], next[3]);
            r = -1;
        } else
            r = list_compressed(file, pos, tool, what, &l);
    }
    if (r == -1) {
        listing_free(&l);
        return -1;
    }
    *names = l.names;
    *n = l.n;
    return 0;
}

/* Copy the guest's image out and list its modules into *l. */
static int
list_image(struct v2k_convert_ctx *ctx, const char *initrd,
           struct listing *l)
{
    char tmpl[] = "/tmp/v2kvm-initrd-XXXXXX";
    CLEANUP_CLOSE int fd = -1;
    int ret = -1;

    fd = mkstemp(tmpl);
    if (fd == -1) {
        v2k_error_errno(errno, STEP ": temporary file for %s", initrd);
        return -1;
    }
    if (guestfs_download(ctx->g, initrd, tmpl) == -1) {
        v2k_error(STEP ": %s: cannot copy it out to check it: %s", initrd,
                  guestfs_last_error(ctx->g));
        goto out;
    }
    if (v2k_linux_list_initramfs(tmpl, initrd, &l->names, &l->n) == -1) {
        v2k_error_prepend(STEP ": ");
        goto out;
    }
    v2k_debug(STEP ": %s holds %zu kernel modules", initrd, l->n);
    ret = 0;
out:
    unlink(tmpl);
    return ret;
}

static const char *
block_driver(const struct v2k_convert_ctx *ctx)
{
    return ctx->gc->block_bus == V2K_BLOCK_VIRTIO_SCSI ? "virtio_scsi"
                                                        : "virtio_blk";
}

/* Does the image (or the kernel) already have the block driver and
 * virtio_pci?  1 yes, 0 no (or the image cannot be read: it is rebuilt
 * then, and the rebuilt one must be readable). */
static int
already_has_virtio(struct v2k_convert_ctx *ctx, const char *initrd,
                   const struct modinfo *mi)
{
    const char *blk = block_driver(ctx);
    struct listing l = { 0 };
    int r;

    if (!v2k_gf_is_file(ctx->g, initrd))
        return 0;
    if (is_builtin(mi, blk) && is_builtin(mi, "virtio_pci"))
        return 1;
    if (list_image(ctx, initrd, &l) == -1) {
        v2k_debug("%s (rebuilding it)", v2k_error_message());
        v2k_error_clear();
        return 0;
    }
    r = (is_builtin(mi, blk) || listing_has(&l, blk)) &&
        (is_builtin(mi, "virtio_pci") || listing_has(&l, "virtio_pci"));
    listing_free(&l);
    return r;
}

static int
verify(struct v2k_convert_ctx *ctx, const struct v2k_kernel *k,
       const char *initrd, const struct modinfo *mi)
{
    const char *blk = block_driver(ctx);
    struct listing l = { 0 };
    int ret = -1;

    if (is_builtin(mi, blk)) {
        v2k_debug(STEP ": %s is built into %s", blk, k->version);
        return 0;
    }
    if (list_image(ctx, initrd, &l) == -1)
        goto out;
    if (!listing_has(&l, blk)) {
        v2k_error(STEP ": %s was rebuilt but does not contain %s, which kernel %s does not have built in: the guest would not find its disks on KVM", initrd, blk, k->version);
        goto out;
    }
    if (!listing_has(&l, "virtio_pci") && !is_builtin(mi, "virtio_pci"))
        v2k_warning(STEP ": %s has %s but not virtio_pci", initrd, blk);
    v2k_msg("%s contains %s", initrd, blk);
    ret = 0;
out:
    listing_free(&l);
    return ret;
}

/* Files an initramfs may carry a copy of: when a step edited one, the
 * image is rebuilt even if it has virtio (a stale crypttab or resume
 * device in it would not match the renamed disks). */
static const char *const carried[] = {
    "/etc/crypttab", "/etc/fstab.sys", "/etc/initramfs-tools/conf.d/*",
    "/etc/initramfs-tools/initramfs.conf", "/etc/udev/rules.d/*",
    "/etc/mdadm/mdadm.conf", "/etc/mdadm.conf", "/etc/sysconfig/kernel",
    "/etc/dracut.conf", "/etc/dracut.conf.d/*", "/etc/mkinitcpio.conf",
    "/etc/uswsusp.conf",
};

static const char *
carried_edit(const struct v2k_convert_ctx *ctx)
{
    size_t i;
    const char *f;
    for (i = 0; i < V2K_ARRAY_SIZE(carried); i++)
        if ((f = v2k_edited(ctx, carried[i])) != NULL)
            return f;
    return NULL;
}

/* /etc/crypttab: the "initramfs" option on every entry, so that
 * cryptsetup-initramfs (Debian, Ubuntu) puts it in an image built in
 * the appliance, where it cannot see which devices the guest's root
 * needs (virt-v2v does the same). */
static char *
crypttab_line(const char *line, bool *drop, void *opaque)
{
    const char *tok[5], *end[5], *p = line;
    int n = 0;

    (void)drop;
    (void)opaque;
    /* the first four whitespace-separated fields, where they are */
    while (n < 5) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        tok[n] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        end[n++] = p;
    }
    if (n < 2 || tok[0][0] == '#')
        return NULL;
    if (n >= 4) {
        const char *o = tok[3];
        size_t l = strlen("initramfs");
        while (o < end[3]) {
            const char *c = memchr(o, ',', (size_t)(end[3] - o));
            if (c == NULL)
                c = end[3];
            if ((size_t)(c - o) == l && strncmp(o, "initramfs", l) == 0)
                return NULL;
            o = c + 1;
        }
        return v2k_asprintf("%.*s,initramfs%s", (int)(end[3] - line), line,
                            end[3]);
    }
    return v2k_asprintf("%.*s%s initramfs%s", (int)(end[n - 1] - line), line,
                        n == 2 ? " none" : "", end[n - 1]);
}

/* --- the step -------------------------------------------------------------- */

bool
v2k_linux_initramfs_applies(const struct v2k_convert_ctx *ctx)
{
    return ctx->guest->family == V2K_OS_LINUX;
}

static bool
suse_family(const char *d)
{
    return d && (strcmp(d, "sles") == 0 || strcmp(d, "opensuse") == 0 ||
                 strcmp(d, "suse-based") == 0);
}

static char *
default_initrd(const struct v2k_convert_ctx *ctx, const struct v2k_kernel *k)
{
    switch (ctx->guest->initramfs_tool) {
    case V2K_INITRD_INITRAMFS_TOOLS:
        return v2k_asprintf("/boot/initrd.img-%s", k->version);
    case V2K_INITRD_DRACUT:
        return v2k_asprintf("/boot/initramfs-%s.img", k->version);
    case V2K_INITRD_MKINITRD:
        return suse_family(ctx->guest->distro)
                   ? v2k_asprintf("/boot/initrd-%s", k->version)
                   : v2k_asprintf("/boot/initrd-%s.img", k->version);
    case V2K_INITRD_MKINITCPIO:
        return v2k_strdup("/boot/initramfs-linux.img");
    default:
        return v2k_asprintf("/boot/initrd.img-%s", k->version);
    }
}

int
v2k_linux_initramfs_run(struct v2k_convert_ctx *ctx)
{
    const struct v2k_kernel *k = v2k_linux_chosen_kernel(ctx);
    struct modinfo mi = { 0 };
    CLEANUP_FREE char *initrd = NULL, *qinitrd = NULL, *qver = NULL;
    CLEANUP_FREE char *cmd = NULL, *out = NULL, *path = NULL;
    const char *mods[V2K_ARRAY_SIZE(wanted)];
    char modlist[256] = "", withs[512] = "";
    size_t i, n = 0, ml = 0, wl = 0;
    const char *why;
    bool keep = false;
    int ret = -1;

    if (k == NULL) {
        v2k_error(STEP ": no default kernel is known (the kernel step chooses it)");
        return -1;
    }
    initrd = k->initrd ? v2k_strdup(k->initrd) : default_initrd(ctx, k);
    if (initrd == NULL)
        return -1;
    path = v2k_asprintf("/lib/modules/%s/modules.dep", k->version);
    if (path == NULL)
        return -1;
    mi.dep = read_opt(ctx->g, path);
    if (mi.dep && mi.dep[strspn(mi.dep, " \n")] == '\0') {
        free(mi.dep);           /* empty: depmod never ran */
        mi.dep = NULL;
    }
    free(path);
    path = v2k_asprintf("/lib/modules/%s/modules.builtin", k->version);
    if (path == NULL)
        goto out;
    mi.builtin = read_opt(ctx->g, path);
    mi.virtio = k->virtio;
    for (i = 0; i < V2K_ARRAY_SIZE(wanted); i++) {
        if (is_builtin(&mi, wanted[i]) || !is_module(&mi, wanted[i]))
            continue;
        mods[n++] = wanted[i];
        ml += (size_t)snprintf(modlist + ml, sizeof modlist - ml, "%s%s",
                               ml ? " " : "", wanted[i]);
        wl += (size_t)snprintf(withs + wl, sizeof withs - wl, " --with=%s",
                               wanted[i]);
    }
    v2k_debug(STEP ": kernel %s, image %s, modules to add: %s", k->version,
              initrd, n ? modlist : "(none: built in)");
    if ((qinitrd = shq(initrd)) == NULL || (qver = shq(k->version)) == NULL)
        goto out;
    if (ctx->opts.rebuild_initramfs)
        v2k_debug(STEP ": --rebuild-initramfs: %s is rebuilt", initrd);
    else if ((why = carried_edit(ctx)) != NULL)
        v2k_debug(STEP ": %s was edited and %s may carry a copy: it is rebuilt", why, initrd);
    else if (ctx->guest->initramfs_tool != V2K_INITRD_UNKNOWN)
        keep = already_has_virtio(ctx, initrd, &mi) == 1;
    switch (ctx->guest->initramfs_tool) {
    case V2K_INITRD_INITRAMFS_TOOLS:
        if (initramfs_tools_modules(ctx, mods, n) == -1)
            goto out;
        if (!keep && v2k_gf_edit_lines(ctx->g, STEP, "/etc/crypttab", true,
                                       crypttab_line, NULL, NULL) == -1)
            goto out;
        cmd = v2k_asprintf("update-initramfs %s -k %s",
                           v2k_gf_exists(ctx->g, initrd) ? "-u" : "-c", qver);
        break;
    case V2K_INITRD_DRACUT:
        cmd = v2k_asprintf("dracut -f --add-drivers '%s' %s %s", modlist,
                           qinitrd, qver);
        break;
    case V2K_INITRD_MKINITRD:
        if (suse_family(ctx->guest->distro)) {
            CLEANUP_FREE char *qk = shq(k->vmlinuz);
            cmd = qk ? v2k_asprintf("mkinitrd -m '%s' -i %s -k %s", modlist,
                                    qinitrd, qk) : NULL;
        } else
            cmd = v2k_asprintf("mkinitrd -f%s %s %s", withs, qinitrd, qver);
        break;
    case V2K_INITRD_MKINITCPIO: {
        struct mkcpio m = { mods, n };
        if (v2k_gf_edit_lines(ctx->g, STEP, "/etc/mkinitcpio.conf", true,
                              mkinitcpio_line, &m, NULL) == -1)
            goto out;
        cmd = v2k_asprintf("mkinitcpio -k %s -g %s", qver, qinitrd);
        break;
    }
    default:
        v2k_warning(STEP ": no initramfs tool was found in the guest (dracut, update-initramfs, mkinitrd, mkinitcpio); %s is checked as it is", initrd);
        break;
    }
    if (ctx->guest->initramfs_tool != V2K_INITRD_UNKNOWN && cmd == NULL)
        goto out;
    if (cmd && keep) {
        v2k_msg("%s already contains %s and virtio_pci: kept as it is (--rebuild-initramfs rebuilds it)", initrd,
                block_driver(ctx));
        ret = 0;
        goto out;
    }
    if (cmd) {
        /* The guest's tools expect a sane PATH, whatever libguestfs has. */
        CLEANUP_FREE char *full = v2k_asprintf(
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH; %s", cmd);
        if (full == NULL)
            goto out;
        out = v2k_gf_sh(ctx->g, STEP, full);
        if (out == NULL)
            goto out;
        v2k_debug(STEP ": %s: %s", cmd, out);
        v2k_log_edit(ctx->g, STEP, initrd, NULL, "regenerated");
    }
    if (!v2k_gf_is_file(ctx->g, initrd)) {
        v2k_error(STEP ": %s does not exist after %s", initrd,
                  cmd ? cmd : "inspection");
        goto out;
    }
    ret = verify(ctx, k, initrd, &mi);
out:
    free(mi.dep);
    free(mi.builtin);
    return ret;
}
