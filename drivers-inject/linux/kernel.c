/* kernel.c - the "kernel" step: choose the kernel the converted guest
 * boots, make it the bootloader's default, and say in the guestcaps what
 * it can drive.
 *
 * Choice: among the kernels inspection found (newest first), those that
 * are not Xen-PV-only and have virtio_pci, virtio_net and the block
 * driver of the output's bus (virtio_blk, or virtio_scsi with
 * --block-driver virtio-scsi); the newest non-debug one wins, a debug one
 * only when nothing else qualifies.  None: refused, naming every kernel
 * and what it lacks.  Like virt-v2v we never install a kernel.
 *
 * Default entry, by bootloader:
 *   GRUB 2 + BLS (/boot/loader/entries): grubenv saved_entry = the entry's
 *     id, when grub.cfg boots saved_entry (RHEL 8+, Fedora);
 *   GRUB 2: the menu in grub.cfg is read (submenus too); when the kernel's
 *     entry is not already the first, GRUB_DEFAULT in /etc/default/grub
 *     and the `set default=` lines of grub.cfg get the entry's id path
 *     ("gnulinux-advanced-ID>gnulinux-VER-advanced-ID"), or grubenv's
 *     saved_entry when GRUB_DEFAULT=saved.  grub.cfg is edited, not
 *     regenerated: a regeneration in the appliance describes the
 *     appliance's disks (REFERENCE-virt-v2v.md, 1.5);
 *   GRUB legacy: default=N in menu.lst/grub.conf; when the kernel has no
 *     entry (a Xen guest with only kernel-xen entries), the default entry
 *     is copied with the kernel and initrd swapped; DEFAULTKERNEL in
 *     /etc/sysconfig/kernel loses its "-xen" so later updates agree;
 *   extlinux/syslinux: DEFAULT <label>.
 *
 * Guestcaps from the chosen kernel:
 *   virtio_1_0: Linux >= 3.19 (modern virtio-pci), or RHEL-family >= 7,
 *     whose 3.10 kernels carry the backport; else the outputs use the
 *     virtio-transitional models;
 *   virtio_rng, virtio_balloon: the kernel has the driver;
 *   machine: pc for kernels older than 2.6.32 (PCIe/q35 support in guests
 *     of that age is unreliable; RHEL 5's 2.6.18, SLES 10's 2.6.16),
 *     unless -oo machine= chose; q35 otherwise;
 *   net_model virtio (every chosen kernel has virtio_net).
 */
#include "linux.h"
#include "linux-internal.h"
#include "cleanup.h"
#include "error.h"
#include "grub-menu.h"
#include "guestfile.h"
#include "kver.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Keyword matching for grub legacy / syslinux lines: "default=0" counts
 * as the keyword default (v2k_line_keyword); syslinux ignores case. */
#define KW V2K_KW_EQUALS
#define KW_NC (V2K_KW_NOCASE | V2K_KW_EQUALS)

#define STEP "kernel"

static unsigned
needed_virtio(const struct v2k_convert_ctx *ctx)
{
    return V2K_VIRTIO_PCI | V2K_VIRTIO_NET |
           (ctx->gc->block_bus == V2K_BLOCK_VIRTIO_SCSI ? V2K_VIRTIO_SCSI
                                                        : V2K_VIRTIO_BLK);
}

static void
describe_missing(unsigned have, unsigned need, char *buf, size_t len)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { V2K_VIRTIO_PCI, "virtio_pci" }, { V2K_VIRTIO_BLK, "virtio_blk" },
        { V2K_VIRTIO_SCSI, "virtio_scsi" }, { V2K_VIRTIO_NET, "virtio_net" },
    };
    size_t i, off = 0;

    buf[0] = '\0';
    for (i = 0; i < V2K_ARRAY_SIZE(names); i++)
        if ((need & names[i].bit) && !(have & names[i].bit) && off < len)
            off += (size_t)snprintf(buf + off, len - off, "%s%s",
                                    off ? ", " : "no ", names[i].name);
}

/* Index of the kernel to boot, or -1 with the refusal. */
static int
choose(const struct v2k_convert_ctx *ctx)
{
    const struct v2k_guest *gu = ctx->guest;
    unsigned need = needed_virtio(ctx);
    int best = -1, best_debug = -1;
    size_t i, off = 0;
    char found[800];

    if (gu->nkernels == 0) {
        v2k_error(STEP ": no installed kernel was found in the guest (/boot/vmlinuz-* with /lib/modules/VERSION)");
        return -1;
    }
    for (i = 0; i < gu->nkernels; i++) {
        const struct v2k_kernel *k = &gu->kernels[i];
        if (k->xen_only || (k->virtio & need) != need)
            continue;
        if (k->debug) {
            if (best_debug < 0 ||
                v2k_kver_cmp(k->version,
                                   gu->kernels[best_debug].version) > 0)
                best_debug = (int)i;
        } else if (best < 0 ||
                   v2k_kver_cmp(k->version,
                                      gu->kernels[best].version) > 0)
            best = (int)i;
    }
    if (best >= 0)
        return best;
    if (best_debug >= 0) {
        v2k_warning(STEP ": only a debug kernel has virtio drivers (%s)",
                    gu->kernels[best_debug].version);
        return best_debug;
    }
    found[0] = '\0';
    for (i = 0; i < gu->nkernels && off < sizeof found; i++) {
        const struct v2k_kernel *k = &gu->kernels[i];
        char why[128];

        if (k->xen_only)
            snprintf(why, sizeof why, "Xen-only");
        else
            describe_missing(k->virtio, need, why, sizeof why);
        off += (size_t)snprintf(found + off, sizeof found - off,
                                "%s%s (%s)", i ? ", " : "",
                                k->version ? k->version : "?", why);
    }
    v2k_error(STEP ": no installed kernel has the virtio drivers the converted guest needs (found %s); install a kernel with virtio in the guest first", found);
    return -1;
}

static const char *
base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The path word of a "kernel"/"linux" line, without a GRUB device prefix
 * "(hd0,0)"; its basename compared to the vmlinuz's. */
static bool
line_boots(const char *args, const char *vmlinuz_base)
{
    const char *p = args, *e;
    size_t bl = strlen(vmlinuz_base);

    while (isspace((unsigned char)*p))
        p++;
    if (*p == '(') {
        const char *c = strchr(p, ')');
        if (c)
            p = c + 1;
    }
    e = p;
    while (*e && !isspace((unsigned char)*e))
        e++;
    {
        const char *b = e;
        while (b > p && b[-1] != '/')
            b--;
        return (size_t)(e - b) == bl && memcmp(b, vmlinuz_base, bl) == 0;
    }
}

/* --- grubenv ------------------------------------------------------------ */

/* Set key=value in a GRUB environment block (a file of exactly its
 * original size, 1024 bytes normally, "key=value\n" lines padded with
 * '#'); value NULL removes the key.  Pure, for the tests. */
int
v2k_linux_grubenv_edit(const char *in, size_t len, const char *key,
                       const char *value, char **out)
{
    static const char hdr[] = "# GRUB Environment Block\n";
    size_t kl = strlen(key), used, olen;
    const char *p, *end = in + len;
    char *buf;
    FILE *fp;
    bool done = false;

    *out = NULL;
    if (len < sizeof hdr - 1 || memcmp(in, hdr, sizeof hdr - 1) != 0) {
        v2k_error("not a GRUB environment block (no '# GRUB Environment Block' header)");
        return -1;
    }
    fp = open_memstream(&buf, &olen);
    if (fp == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    fputs(hdr, fp);
    for (p = in + sizeof hdr - 1; p < end && *p != '#';) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);

        if (ll > kl && memcmp(p, key, kl) == 0 && p[kl] == '=') {
            if (value && !done)
                fprintf(fp, "%s=%s\n", key, value);
            done = true;
        } else if (ll > 0)
            fprintf(fp, "%.*s\n", (int)ll, p);
        p += ll + (nl ? 1 : 0);
    }
    if (value && !done)
        fprintf(fp, "%s=%s\n", key, value);
    fflush(fp);
    used = olen;
    if (used > len) {
        fclose(fp);
        free(buf);
        v2k_error("the GRUB environment block is full (%zu bytes)", len);
        return -1;
    }
    for (; used < len; used++)
        fputc('#', fp);
    fclose(fp);
    *out = buf;
    return 0;
}

static const char *const grubenv_paths[] = {
    "/boot/grub2/grubenv", "/boot/grub/grubenv",
};

static char *
grubenv_find(guestfs_h *g)
{
    size_t i;
    for (i = 0; i < V2K_ARRAY_SIZE(grubenv_paths); i++)
        if (v2k_gf_is_file(g, grubenv_paths[i]))
            return v2k_strdup(grubenv_paths[i]);
    return NULL;
}

/* Value of key in the guest's grubenv (malloc'd) or NULL. */
char *
v2k_linux_grubenv_get(guestfs_h *g, const char *key)
{
    CLEANUP_FREE char *path = grubenv_find(g), *data = NULL;
    size_t kl = strlen(key);
    char *p;

    if (path == NULL || (data = v2k_gf_read(g, STEP, path, NULL)) == NULL) {
        v2k_error_clear();
        return NULL;
    }
    for (p = data; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, key, kl) == 0 && p[kl] == '=')
            return strndup(p + kl + 1, strcspn(p + kl + 1, "\n"));
    return NULL;
}

int
v2k_linux_grubenv_set(guestfs_h *g, const char *step, const char *key,
                      const char *value)
{
    CLEANUP_FREE char *path = grubenv_find(g), *data = NULL, *out = NULL;
    CLEANUP_FREE char *old = NULL, *before = NULL, *after = NULL;
    size_t len;

    if (path == NULL) {
        v2k_error("%s: no grubenv file (/boot/grub2/grubenv, /boot/grub/grubenv) to set %s in", step, key);
        return -1;
    }
    if ((data = v2k_gf_read(g, step, path, &len)) == NULL)
        return -1;
    old = v2k_linux_grubenv_get(g, key);
    if (old && value && strcmp(old, value) == 0)
        return 0;
    if (v2k_linux_grubenv_edit(data, len, key, value, &out) == -1) {
        v2k_error_prepend("%s: %s: ", step, path);
        return -1;
    }
    if (v2k_gf_write(g, step, path, out, len) == -1)
        return -1;
    before = old ? v2k_asprintf("%s=%s", key, old) : NULL;
    after = value ? v2k_asprintf("%s=%s", key, value) : NULL;
    v2k_log_edit(g, step, path, before ? before : "(unset)",
                 after ? after : "(unset)");
    return 0;
}

/* --- GRUB 2 -------------------------------------------------------------- */

static const char *
grub2_cfg(const struct v2k_convert_ctx *ctx)
{
    static const char *const paths[] = {
        "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg",
    };
    size_t i;

    if (ctx->guest->bootloader_config &&
        strstr(ctx->guest->bootloader_config, "grub.cfg") &&
        v2k_gf_is_file(ctx->g, ctx->guest->bootloader_config))
        return ctx->guest->bootloader_config;
    for (i = 0; i < V2K_ARRAY_SIZE(paths); i++)
        if (v2k_gf_is_file(ctx->g, paths[i]))
            return paths[i];
    return NULL;
}

/* BLS: the id of the entry booting vmlinuz_base; 0 none, -1 error. */
static int
bls_entry(const struct v2k_convert_ctx *ctx, const char *vmlinuz_base,
          char **id)
{
    char **files;
    size_t i;
    int ret = 0;

    *id = NULL;
    if (!v2k_gf_is_dir(ctx->g, "/boot/loader/entries"))
        return 0;
    files = v2k_gf_glob(ctx->g, STEP, "/boot/loader/entries/*.conf");
    if (files == NULL)
        return -1;
    for (i = 0; files[i] && *id == NULL; i++) {
        CLEANUP_FREE char *data = v2k_gf_read(ctx->g, STEP, files[i], NULL);
        char *line, *save = NULL;

        if (data == NULL) {
            ret = -1;
            break;
        }
        if (strstr(files[i], "rescue"))
            continue;
        for (line = strtok_r(data, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            const char *rest;
            if (v2k_line_keyword(line, "linux", KW, &rest) &&
                line_boots(rest, vmlinuz_base)) {
                const char *b = base_name(files[i]);
                *id = strndup(b, strlen(b) - 5);
                ret = 1;
                break;
            }
        }
    }
    v2k_gf_strv_free(files);
    return ret;
}

/* Is w one of the blank-separated words of args? */
static bool
has_word(const char *args, const char *w)
{
    size_t wl = strlen(w);

    for (const char *p = args; (p = strstr(p, w)) != NULL; p += wl)
        if ((p == args || isspace((unsigned char)p[-1])) &&
            (p[wl] == '\0' || isspace((unsigned char)p[wl])))
            return true;
    return false;
}

/* The menu path of the first entry of grub.cfg booting vmlinuz_base
 * that is not a recovery or single-user one (grub-menu.h: "id" or
 * "subid>id", ids where given, else titles), and whether it is item 0 of
 * the top menu (what GRUB boots with default 0). */
static int
grub2_menu_path(const char *cfg, const char *vmlinuz_base, char **path,
                bool *first)
{
    struct v2k_grub_menu menu;
    int ret = 0;

    *path = NULL;
    *first = false;
    if (v2k_grub_menu_parse(cfg, &menu) == -1)
        return -1;
    for (size_t i = 0; i < menu.n; i++) {
        const struct v2k_grub_item *it = &menu.items[i];
        const char *name = it->id ? it->id : it->title;

        if (it->submenu || it->kernel == NULL ||
            !line_boots(it->kernel, vmlinuz_base) ||
            has_word(it->kernel_args, "single") || strstr(name, "recovery"))
            continue;
        *path = v2k_grub_menu_path(&menu, i);
        *first = it->parent < 0 && it->pos == 0;
        ret = *path ? 1 : -1;
        break;
    }
    v2k_grub_menu_free(&menu);
    return ret;
}

struct setdef {
    const char *value;
    bool found;
};

/* grub.cfg: set default="X" (not the ${...} forms) -> the new value. */
static char *
setdef_line(const char *line, bool *drop, void *opaque)
{
    struct setdef *s = opaque;
    const char *p = line;
    int indent;

    (void)drop;
    while (isspace((unsigned char)*p))
        p++;
    indent = (int)(p - line);
    if (strncmp(p, "set default=", 12) != 0 || strchr(p, '$'))
        return NULL;
    return v2k_asprintf("%.*sset default=\"%s\"", indent, line, s->value);
}

/* /etc/default/grub: GRUB_DEFAULT=... -> the new value. */
static char *
grubdefault_line(const char *line, bool *drop, void *opaque)
{
    struct setdef *s = opaque;
    char q;
    CLEANUP_FREE char *v = v2k_linux_assignment_value(line, "GRUB_DEFAULT",
                                                      &q);
    (void)drop;
    if (v == NULL)
        return NULL;
    return v2k_asprintf("GRUB_DEFAULT=\"%s\"", s->value);
}

static char *
default_grub_value(guestfs_h *g, const char *key)
{
    CLEANUP_FREE char *data = NULL;
    char *line, *save = NULL, *val = NULL;

    if (!v2k_gf_is_file(g, "/etc/default/grub"))
        return NULL;
    data = v2k_gf_read(g, STEP, "/etc/default/grub", NULL);
    if (data == NULL) {
        v2k_error_clear();
        return NULL;
    }
    for (line = strtok_r(data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char q, *v = v2k_linux_assignment_value(line, key, &q);
        if (v) {
            free(val);
            val = v;            /* the last assignment wins, as in sh */
        }
    }
    return val;
}

static int
grub2_default(struct v2k_convert_ctx *ctx, const struct v2k_kernel *k)
{
    const char *vb = base_name(k->vmlinuz);
    CLEANUP_FREE char *id = NULL, *cfgdata = NULL, *path = NULL;
    CLEANUP_FREE char *gdef = NULL;
    const char *cfg;
    bool first;
    struct setdef sd;
    int r;

    r = bls_entry(ctx, vb, &id);
    if (r == -1)
        return -1;
    if (r == 1) {
        v2k_debug(STEP ": BLS entry %s boots %s", id, vb);
        return v2k_linux_grubenv_set(ctx->g, STEP, "saved_entry", id);
    }
    cfg = grub2_cfg(ctx);
    if (cfg == NULL) {
        v2k_warning(STEP ": no grub.cfg found; the default boot entry was not checked");
        return 0;
    }
    if ((cfgdata = v2k_gf_read(ctx->g, STEP, cfg, NULL)) == NULL)
        return -1;
    r = grub2_menu_path(cfgdata, vb, &path, &first);
    if (r == -1)
        return -1;
    if (r == 0) {
        v2k_warning(STEP ": %s has no entry for %s; the guest boots its current default entry", cfg, k->vmlinuz);
        return 0;
    }
    gdef = default_grub_value(ctx->g, "GRUB_DEFAULT");
    if (gdef && strcmp(gdef, "saved") == 0) {
        CLEANUP_FREE char *saved = v2k_linux_grubenv_get(ctx->g,
                                                         "saved_entry");
        if (first && (saved == NULL || *saved == '\0'))
            return 0;
        return v2k_linux_grubenv_set(ctx->g, STEP, "saved_entry", path);
    }
    if (first && (gdef == NULL || strcmp(gdef, "0") == 0)) {
        v2k_debug(STEP ": %s is already the first entry of %s", vb, cfg);
        return 0;
    }
    if (gdef && strcmp(gdef, path) == 0)
        return 0;
    sd.value = path;
    if (v2k_gf_edit_lines(ctx->g, STEP, cfg, false, setdef_line, &sd,
                          NULL) == -1 ||
        v2k_gf_edit_lines(ctx->g, STEP, "/etc/default/grub", true,
                          grubdefault_line, &sd, NULL) == -1)
        return -1;
    return 0;
}

/* --- GRUB legacy ---------------------------------------------------------- */

static const char *
grub1_cfg(const struct v2k_convert_ctx *ctx)
{
    static const char *const paths[] = {
        "/boot/grub/menu.lst", "/boot/grub/grub.conf", "/etc/grub.conf",
    };
    size_t i;

    if (ctx->guest->bootloader_config &&
        v2k_gf_is_file(ctx->g, ctx->guest->bootloader_config))
        return ctx->guest->bootloader_config;
    for (i = 0; i < V2K_ARRAY_SIZE(paths); i++)
        if (v2k_gf_is_file(ctx->g, paths[i]))
            return paths[i];
    return NULL;
}

/* Replace the basename of the path word in a kernel/initrd line. */
static char *
swap_path(const char *line, const char *kw, const char *newbase)
{
    const char *rest, *p, *e, *b;

    if (!v2k_line_keyword(line, kw, KW, &rest))
        return NULL;
    p = rest;
    while (isspace((unsigned char)*p))
        p++;
    e = p + strcspn(p, " \t");
    for (b = e; b > p && b[-1] != '/' && b[-1] != ')'; b--)
        ;
    return v2k_asprintf("%.*s%s%s", (int)(b - line), line, newbase, e);
}

/* Append a copy of entry `src` (title..next title) booting k. */
static int
grub1_clone(char **lines, size_t n, size_t src, const struct v2k_kernel *k,
            FILE *fp)
{
    size_t i;

    fputc('\n', fp);
    for (i = src; i < n; i++) {
        const char *rest;
        CLEANUP_FREE char *repl = NULL;

        if (i > src && v2k_line_keyword(lines[i], "title", KW, NULL))
            break;
        if (i == src)
            repl = v2k_asprintf("title %s (v2kvm)", k->version);
        else if (v2k_line_keyword(lines[i], "kernel", KW, &rest))
            repl = swap_path(lines[i], "kernel", base_name(k->vmlinuz));
        else if (v2k_line_keyword(lines[i], "initrd", KW, &rest) && k->initrd)
            repl = swap_path(lines[i], "initrd", base_name(k->initrd));
        else if (v2k_line_keyword(lines[i], "module", KW, NULL))
            continue;           /* Xen hypervisor modules */
        fprintf(fp, "%s\n", repl ? repl : lines[i]);
    }
    return 0;
}

static int
grub1_default(struct v2k_convert_ctx *ctx, const struct v2k_kernel *k)
{
    const char *cfg = grub1_cfg(ctx), *vb = base_name(k->vmlinuz);
    CLEANUP_FREE char *data = NULL, *out = NULL, *before = NULL;
    CLEANUP_FREE char **lines = NULL;
    size_t n = 0, i, olen = 0, cap;
    long entry = -1, target = -1, cur_default = 0, def_src = -1;
    long def_line = -1;
    char *p;
    FILE *fp;

    if (cfg == NULL) {
        v2k_warning(STEP ": GRUB legacy without menu.lst or grub.conf; the default boot entry was not checked");
        return 0;
    }
    if ((data = v2k_gf_read(ctx->g, STEP, cfg, NULL)) == NULL)
        return -1;
    cap = 1;
    for (p = data; *p; p++)
        cap += *p == '\n';
    lines = calloc(cap + 1, sizeof *lines);
    if (lines == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    for (p = data; p && *p && n < cap;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        lines[n++] = p;
        p = nl ? nl + 1 : NULL;
    }
    for (i = 0; i < n; i++) {
        const char *rest;
        if (v2k_line_keyword(lines[i], "title", KW, NULL))
            entry++;
        else if (entry < 0 && v2k_line_keyword(lines[i], "default", KW, &rest)) {
            uint64_t v;
            while (*rest == '=' || isspace((unsigned char)*rest))
                rest++;
            def_line = (long)i;
            if (v2k_parse_u64(rest, "default", &v) == 0 && v < 1000)
                cur_default = (long)v;
            else
                v2k_error_clear();
        } else if (entry >= 0 && target < 0 &&
                   v2k_line_keyword(lines[i], "kernel", KW, &rest) &&
                   line_boots(rest, vb))
            target = entry;
    }
    if (entry < 0) {
        v2k_warning(STEP ": %s has no boot entries", cfg);
        return 0;
    }
    if (target == cur_default)
        return 0;
    fp = open_memstream(&out, &olen);
    if (fp == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    if (target < 0) {
        /* No entry for the kernel: copy the default one after the last. */
        for (i = 0, entry = -1; i < n; i++)
            if (v2k_line_keyword(lines[i], "title", KW, NULL) &&
                ++entry == cur_default)
                def_src = (long)i;
        if (def_src < 0)
            for (i = 0; i < n && def_src < 0; i++)
                if (v2k_line_keyword(lines[i], "title", KW, NULL))
                    def_src = (long)i;
        target = entry + 1;
    }
    if (def_line < 0)
        fprintf(fp, "default=%ld\n", target);
    for (i = 0; i < n; i++) {
        if ((long)i == def_line) {
            before = v2k_strdup(lines[i]);
            fprintf(fp, "default=%ld\n", target);
        } else
            fprintf(fp, "%s%s", lines[i], i + 1 < n || p ? "\n" : "");
    }
    if (def_src >= 0)
        grub1_clone(lines, n, (size_t)def_src, k, fp);
    fclose(fp);
    if (v2k_gf_write(ctx->g, STEP, cfg, out, olen) == -1)
        return -1;
    {
        char after[32];
        snprintf(after, sizeof after, "default=%ld", target);
        v2k_log_edit(ctx->g, STEP, cfg, before ? before : "(no default)", after);
    }
    if (def_src >= 0)
        v2k_log_edit(ctx->g, STEP, cfg, NULL, "added a boot entry for the chosen "
                     "kernel (copied from the default one)");
    return 0;
}

/* /etc/sysconfig/kernel DEFAULTKERNEL=kernel-xen -> kernel. */
static char *
defaultkernel_line(const char *line, bool *drop, void *opaque)
{
    char q;
    CLEANUP_FREE char *v = v2k_linux_assignment_value(line, "DEFAULTKERNEL",
                                                      &q);
    size_t n;

    (void)drop;
    (void)opaque;
    if (v == NULL || (n = strlen(v)) < 5 || strcmp(v + n - 4, "-xen"))
        return NULL;
    v[n - 4] = '\0';
    return v2k_asprintf("DEFAULTKERNEL=%s", v);
}

/* --- extlinux ------------------------------------------------------------- */

/* DEFAULT x -> DEFAULT target (the keyword's spelling kept). */
static char *
extdefault_line(const char *line, bool *drop, void *opaque)
{
    struct setdef *s = opaque;
    const char *rest;

    (void)drop;
    if (!v2k_line_keyword(line, "default", KW_NC, &rest))
        return NULL;
    s->found = true;
    return v2k_asprintf("%.*s %s", (int)(rest - line), line, s->value);
}

static int
extlinux_default(struct v2k_convert_ctx *ctx, const struct v2k_kernel *k)
{
    static const char *const paths[] = {
        "/boot/extlinux/extlinux.conf", "/boot/extlinux.conf",
        "/extlinux.conf", "/boot/syslinux/syslinux.cfg",
        "/boot/syslinux/extlinux.conf",
    };
    const char *cfg = NULL, *vb = base_name(k->vmlinuz);
    CLEANUP_FREE char *data = NULL;
    char label[128] = "", target[128] = "", *line, *save = NULL;
    struct setdef sd;
    size_t i;

    if (ctx->guest->bootloader_config &&
        v2k_gf_is_file(ctx->g, ctx->guest->bootloader_config))
        cfg = ctx->guest->bootloader_config;
    for (i = 0; cfg == NULL && i < V2K_ARRAY_SIZE(paths); i++)
        if (v2k_gf_is_file(ctx->g, paths[i]))
            cfg = paths[i];
    if (cfg == NULL) {
        v2k_warning(STEP ": extlinux without a configuration file");
        return 0;
    }
    if ((data = v2k_gf_read(ctx->g, STEP, cfg, NULL)) == NULL)
        return -1;
    for (line = strtok_r(data, "\n", &save); line && !*target;
         line = strtok_r(NULL, "\n", &save)) {
        const char *rest;
        if (v2k_line_keyword(line, "label", KW_NC, &rest)) {
            while (isspace((unsigned char)*rest))
                rest++;
            snprintf(label, sizeof label, "%s", rest);
        } else if (*label && (v2k_line_keyword(line, "kernel", KW_NC, &rest) ||
                              v2k_line_keyword(line, "linux", KW_NC, &rest)) &&
                   line_boots(rest, vb))
            snprintf(target, sizeof target, "%s", label);
    }
    if (!*target) {
        v2k_warning(STEP ": %s has no entry for %s", cfg, k->vmlinuz);
        return 0;
    }
    sd.value = target;
    sd.found = false;
    if (v2k_gf_edit_lines(ctx->g, STEP, cfg, false, extdefault_line, &sd,
                          NULL) == -1)
        return -1;
    if (!sd.found) {
        /* No DEFAULT line: put one first. */
        CLEANUP_FREE char *all = v2k_gf_read(ctx->g, STEP, cfg, NULL);
        CLEANUP_FREE char *nd = NULL;
        if (all == NULL ||
            (nd = v2k_asprintf("DEFAULT %s\n%s", target, all)) == NULL ||
            v2k_gf_write(ctx->g, STEP, cfg, nd, strlen(nd)) == -1)
            return -1;
        nd[strcspn(nd, "\n")] = '\0';
        v2k_log_edit(ctx->g, STEP, cfg, "(no DEFAULT)", nd);
    }
    return 0;
}

/* --- the step --------------------------------------------------------------- */

bool
v2k_linux_kernel_applies(const struct v2k_convert_ctx *ctx)
{
    return ctx->guest->family == V2K_OS_LINUX;
}

static bool
rhel_family(const char *distro)
{
    static const char *const names[] = {
        "rhel", "centos", "scientificlinux", "oraclelinux", "rocky",
        "almalinux", "circle", "redhat-based",
    };
    size_t i;

    for (i = 0; distro && i < V2K_ARRAY_SIZE(names); i++)
        if (strcmp(distro, names[i]) == 0)
            return true;
    return false;
}

static void
set_caps(struct v2k_convert_ctx *ctx, const struct v2k_kernel *k)
{
    struct v2k_guestcaps *gc = ctx->gc;
    unsigned maj, min, pat;

    v2k_kver_parse(k->version, &maj, &min, &pat);
    gc->virtio_1_0 = maj > 3 || (maj == 3 && min >= 19) ||
                     (rhel_family(ctx->guest->distro) &&
                      ctx->guest->major >= 7);
    gc->virtio_rng = (k->virtio & V2K_VIRTIO_RNG) != 0;
    gc->virtio_balloon = (k->virtio & V2K_VIRTIO_BALLOON) != 0;
    gc->net_model = V2K_NETM_VIRTIO;
    if (!ctx->opts.machine_fixed) {
        bool old = maj < 2 || (maj == 2 && (min < 6 ||
                                            (min == 6 && pat < 32)));
        gc->machine = old ? V2K_MACHINE_PC : V2K_MACHINE_Q35;
    }
    v2k_debug(STEP ": %s: virtio 1.0 %s, rng %s, balloon %s, machine %s",
              k->version, gc->virtio_1_0 ? "yes" : "no",
              gc->virtio_rng ? "yes" : "no",
              gc->virtio_balloon ? "yes" : "no",
              v2k_machine_to_string(gc->machine));
}

int
v2k_linux_kernel_run(struct v2k_convert_ctx *ctx)
{
    int idx = choose(ctx);
    const struct v2k_kernel *k;
    int r = 0;

    if (idx < 0)
        return -1;
    k = &ctx->guest->kernels[idx];
    if (k->vmlinuz == NULL) {
        v2k_error(STEP ": kernel %s: its vmlinuz was not found", k->version);
        return -1;
    }
    v2k_msg("Kernel %s", k->version);
    switch (ctx->guest->bootloader) {
    case V2K_BOOT_GRUB2:
        r = grub2_default(ctx, k);
        break;
    case V2K_BOOT_GRUB_LEGACY:
        r = grub1_default(ctx, k);
        if (r == 0 && !k->xen_only)
            r = v2k_gf_edit_lines(ctx->g, STEP, "/etc/sysconfig/kernel",
                                  true, defaultkernel_line, NULL, NULL);
        break;
    case V2K_BOOT_EXTLINUX:
        r = extlinux_default(ctx, k);
        break;
    default:
        v2k_warning(STEP ": the guest's bootloader (%s) is not one we edit; make sure it boots %s",
                    v2k_bootloader_to_string(ctx->guest->bootloader),
                    k->vmlinuz);
        break;
    }
    if (r == -1)
        return -1;
    ctx->guest->default_kernel = idx;
    set_caps(ctx, k);
    return 0;
}
