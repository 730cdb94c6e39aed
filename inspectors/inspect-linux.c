/* inspect-linux.c - what a Linux guest boots with: firmware, bootloader,
 * initramfs tool, kernels and their virtio drivers, the default kernel,
 * hypervisor tools, SELinux, packages.  Everything read from the guest is
 * size-capped (inspect-internal.h) and parsed line by line; what cannot
 * be known stays unknown (NULL, -1, *_UNKNOWN).
 */
#include "inspect.h"
#include "inspect-internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "error.h"
#include "grub-menu.h"
#include "guestfs-handle.h"
#include "kver.h"
#include "log.h"
#include "util.h"

static bool
has_suffix(const char *s, const char *suf)
{
    size_t ls = strlen(s), lf = strlen(suf);
    return ls >= lf && strcmp(s + ls - lf, suf) == 0;
}

/* ---- firmware ---------------------------------------------------------- */

#define ESP_GPT_GUID "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

static bool
is_esp(guestfs_h *g, const char *part)
{
    /* An ESP is FAT (UEFI 2.10, 13.3): asking blkid first spares the
     * parted runs (about a second each under TCG) for every other
     * partition. */
    CLEANUP_FREE char *fs = guestfs_vfs_type(g, part);
    if (fs == NULL || strcmp(fs, "vfat") != 0)
        return false;
    CLEANUP_FREE char *dev = guestfs_part_to_dev(g, part);
    int num = guestfs_part_to_partnum(g, part);
    if (dev == NULL || num < 1)
        return false;
    CLEANUP_FREE char *pt = guestfs_part_get_parttype(g, dev);
    if (pt == NULL)
        return false;
    if (strcmp(pt, "gpt") == 0) {
        CLEANUP_FREE char *t = guestfs_part_get_gpt_type(g, dev, num);
        return t && strcasecmp(t, ESP_GPT_GUID) == 0;
    }
    if (strcmp(pt, "msdos") == 0)
        return guestfs_part_get_mbr_id(g, dev, num) == 0xef;
    return false;
}

int
v2k_inspect_firmware(guestfs_h *g, struct v2k_guest *gu)
{
    char **parts = guestfs_list_partitions(g);
    bool mounted = false;

    for (size_t i = 0; parts && parts[i]; i++) {
        if (!is_esp(g, parts[i]))
            continue;
        gu->esp = v2k_strdup(parts[i]);
        if (gu->esp == NULL) {
            v2k_strv_free(parts);
            return -1;
        }
        break;
    }
    v2k_strv_free(parts);
    for (size_t i = 0; gu->esp && i < gu->nmounts; i++)
        if (strcmp(gu->mounts[i].device, gu->esp) == 0)
            mounted = true;
    if (gu->esp == NULL)
        gu->firmware = V2K_GFW_BIOS;
    else if (gu->family != V2K_OS_LINUX || mounted ||
             v2k_gf_is_dir(g, "/boot/efi/EFI") ||
             v2k_gf_is_dir(g, "/efi/EFI"))
        /* Windows never mounts its ESP; a Linux guest mounts it, or at
         * least has the EFI directory where the ESP goes. */
        gu->firmware = V2K_GFW_UEFI;
    else
        gu->firmware = V2K_GFW_BIOS;
    return 0;
}

/* ---- bootloader and initramfs tool ---------------------------------------- */

static int
find_bootloader(guestfs_h *g, struct v2k_guest *gu)
{
    static const char *const grub2[] = {
        "/boot/grub2/grub.cfg", "/boot/grub/grub.cfg", NULL,
    };
    static const char *const legacy[] = {
        "/boot/grub/grub.conf", "/boot/grub/menu.lst",
        "/boot/grub2/grub.conf", NULL,
    };
    static const char *const extlinux[] = {
        "/boot/extlinux/extlinux.conf", "/boot/extlinux.conf",
        "/boot/syslinux/extlinux.conf", "/boot/syslinux/syslinux.cfg",
        "/extlinux.conf", "/syslinux.cfg", NULL,
    };
    static const char *const sdboot[] = {
        "/boot/efi/loader/loader.conf", "/efi/loader/loader.conf",
        "/boot/loader/loader.conf", NULL,
    };
    const char *f;

    if ((f = v2k_gf_first_file(g, grub2)) != NULL) {
        gu->bootloader = V2K_BOOT_GRUB2;
        gu->bootloader_config = v2k_strdup(f);
        return gu->bootloader_config ? 0 : -1;
    }
    /* UEFI grub.cfg on the ESP (RHEL 7/8 keep the real one there). */
    char **efi = guestfs_glob_expand(g, "/boot/efi/EFI/*/grub.cfg");
    for (size_t i = 0; efi && efi[i]; i++) {
        if (v2k_gf_is_file(g, efi[i])) {
            gu->bootloader = V2K_BOOT_GRUB2;
            gu->bootloader_config = v2k_strdup(efi[i]);
            v2k_strv_free(efi);
            return gu->bootloader_config ? 0 : -1;
        }
    }
    v2k_strv_free(efi);
    struct { const char *const *paths; enum v2k_bootloader kind; } t[] = {
        { legacy, V2K_BOOT_GRUB_LEGACY },
        { extlinux, V2K_BOOT_EXTLINUX },
        { sdboot, V2K_BOOT_SYSTEMD_BOOT },
    };
    for (size_t i = 0; i < V2K_ARRAY_SIZE(t); i++) {
        if ((f = v2k_gf_first_file(g, t[i].paths)) != NULL) {
            gu->bootloader = t[i].kind;
            gu->bootloader_config = v2k_strdup(f);
            return gu->bootloader_config ? 0 : -1;
        }
    }
    return 0;
}

static void
find_initramfs_tool(guestfs_h *g, struct v2k_guest *gu)
{
    /* dracut first: SLES 12's mkinitrd and some Debians' wrappers call
     * it; mkinitrd last, it is a wrapper on many newer systems. */
    static const char *const dracut[] = {
        "/usr/bin/dracut", "/usr/sbin/dracut", "/sbin/dracut",
        "/bin/dracut", NULL,
    };
    static const char *const itools[] = {
        "/usr/sbin/update-initramfs", "/sbin/update-initramfs",
        "/usr/bin/update-initramfs", NULL,
    };
    static const char *const cpio[] = {
        "/usr/bin/mkinitcpio", "/usr/sbin/mkinitcpio", "/bin/mkinitcpio",
        NULL,
    };
    static const char *const mkinitrd[] = {
        "/sbin/mkinitrd", "/usr/sbin/mkinitrd", "/usr/bin/mkinitrd",
        "/bin/mkinitrd", NULL,
    };

    if (v2k_gf_first_file(g, dracut))
        gu->initramfs_tool = V2K_INITRD_DRACUT;
    else if (v2k_gf_first_file(g, itools))
        gu->initramfs_tool = V2K_INITRD_INITRAMFS_TOOLS;
    else if (v2k_gf_first_file(g, cpio))
        gu->initramfs_tool = V2K_INITRD_MKINITCPIO;
    else if (v2k_gf_first_file(g, mkinitrd))
        gu->initramfs_tool = V2K_INITRD_MKINITRD;
}

/* ---- kernels ---------------------------------------------------------------- */

/* Flavour suffixes that are not part of the version proper. */
static const char *const debug_suffixes[] = {
    "+debug", ".debug", "-debug", "debug", NULL,
};

static bool
kernel_is_debug(const char *v)
{
    for (const char *const *s = debug_suffixes; *s; s++)
        if (has_suffix(v, *s))
            return true;
    return false;
}

/* Xen PV-only kernels: RHEL 5 "2.6.18-398.el5xen", SLES "2.6.16.60-0.21-xen",
 * old Debian "2.6.26-2-xen-amd64"/"2.6.18-6-xen-686". */
static bool
kernel_is_xen(const char *v)
{
    return has_suffix(v, "xen") || strstr(v, "-xen") != NULL;
}

static int
kernel_cmp_desc(const void *pa, const void *pb)
{
    const struct v2k_kernel *a = pa, *b = pb;
    int c = v2k_kver_cmp(a->version, b->version);
    /* Same base version: the plain flavour first, then debug, then xen. */
    if (a->debug != b->debug || a->xen_only != b->xen_only) {
        CLEANUP_FREE char *x = v2k_strdup(a->version);
        CLEANUP_FREE char *y = v2k_strdup(b->version);
        if (x && y) {
            for (const char *const *s = debug_suffixes; *s; s++) {
                if (has_suffix(x, *s))
                    x[strlen(x) - strlen(*s)] = '\0';
                if (has_suffix(y, *s))
                    y[strlen(y) - strlen(*s)] = '\0';
            }
            if (has_suffix(x, "xen"))
                x[strlen(x) - 3] = '\0';
            if (has_suffix(y, "xen"))
                y[strlen(y) - 3] = '\0';
            int base = v2k_kver_cmp(x, y);
            if (base != 0)
                return -base;
            int fa = a->debug * 1 + a->xen_only * 2;
            int fb = b->debug * 1 + b->xen_only * 2;
            return fa - fb;
        }
    }
    return -c;
}

static const struct { const char *name; unsigned bit; } virtio_names[] = {
    { "virtio_blk", V2K_VIRTIO_BLK },
    { "virtio_scsi", V2K_VIRTIO_SCSI },
    { "virtio_net", V2K_VIRTIO_NET },
    { "virtio_pci", V2K_VIRTIO_PCI },
    { "virtio_balloon", V2K_VIRTIO_BALLOON },
    { "virtio_console", V2K_VIRTIO_CONSOLE },
    { "virtio_rng", V2K_VIRTIO_RNG },
};

/* The virtio bit for a module path or name ("kernel/drivers/char/
 * hw_random/virtio-rng.ko.xz"), 0 for anything else. */
static unsigned
virtio_bit(const char *path, size_t len)
{
    const char *base = path;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '/')
            base = path + i + 1;
    size_t bl = len - (size_t)(base - path);
    char name[32];
    size_t n = 0;
    /* The module name: up to ".ko", '-' and '_' being the same. */
    for (; n < bl && n < sizeof name - 1 && base[n] != '.'; n++)
        name[n] = base[n] == '-' ? '_' : base[n];
    name[n] = '\0';
    if (n >= bl || strncmp(base + n, ".ko", 3) != 0)
        return 0;
    for (size_t i = 0; i < V2K_ARRAY_SIZE(virtio_names); i++)
        if (strcmp(name, virtio_names[i].name) == 0)
            return virtio_names[i].bit;
    return 0;
}

/* The virtio modules of a kernel: from modules.dep (one line per module,
 * "kernel/drivers/block/virtio_blk.ko.xz: deps"; one read) when depmod
 * made one, else from the files under moddir (a find of thousands of
 * entries, over a second under TCG); plus modules.builtin. */
static unsigned
kernel_virtio(guestfs_h *g, const char *moddir)
{
    unsigned bits = 0;
    const char *line;
    size_t pos = 0, len;
    bool listed = false;

    CLEANUP_FREE char *dpath = v2k_asprintf("%s/modules.dep", moddir);
    CLEANUP_FREE char *dep =
        dpath ? v2k_insp_read(g, dpath, V2K_INSP_MAX_CONFIG) : NULL;
    while (dep && v2k_insp_next_line(dep, &pos, &line, &len)) {
        const char *colon = memchr(line, ':', len);
        if (colon == NULL)
            continue;
        listed = true;
        bits |= virtio_bit(line, (size_t)(colon - line));
    }
    if (!listed) {
        char **files = guestfs_find(g, moddir);
        for (size_t i = 0; files && files[i]; i++)
            bits |= virtio_bit(files[i], strlen(files[i]));
        v2k_strv_free(files);
    }

    CLEANUP_FREE char *path = v2k_asprintf("%s/modules.builtin", moddir);
    CLEANUP_FREE char *builtin =
        path ? v2k_insp_read(g, path, V2K_INSP_MAX_CONFIG) : NULL;
    pos = 0;
    while (builtin && v2k_insp_next_line(builtin, &pos, &line, &len))
        bits |= virtio_bit(line, len);
    return bits;
}

static bool
is_suse(const struct v2k_guest *gu)
{
    return gu->distro && (strncmp(gu->distro, "sles", 4) == 0 ||
                          strncmp(gu->distro, "opensuse", 8) == 0 ||
                          strcmp(gu->distro, "suse-based") == 0);
}

/* The initrd of kernel version v: an existing file, else the name the
 * guest's tool gives it, else NULL. */
static char *
kernel_initrd(guestfs_h *g, const struct v2k_guest *gu, const char *v)
{
    static const char *const fmts[] = {
        "/boot/initramfs-%s.img", "/boot/initrd.img-%s",
        "/boot/initrd-%s.img", "/boot/initrd-%s", "/boot/initramfs-%s",
    };
    for (size_t i = 0; i < V2K_ARRAY_SIZE(fmts); i++) {
        char *p = v2k_asprintf(fmts[i], v);
        if (p == NULL)
            return NULL;
        if (v2k_gf_is_file(g, p))
            return p;
        free(p);
    }
    switch (gu->initramfs_tool) {
    case V2K_INITRD_DRACUT:
        return v2k_asprintf(is_suse(gu) ? "/boot/initrd-%s"
                                        : "/boot/initramfs-%s.img", v);
    case V2K_INITRD_INITRAMFS_TOOLS:
        return v2k_asprintf("/boot/initrd.img-%s", v);
    case V2K_INITRD_MKINITRD:
        return v2k_asprintf(is_suse(gu) ? "/boot/initrd-%s"
                                        : "/boot/initrd-%s.img", v);
    case V2K_INITRD_MKINITCPIO:     /* named after the package, not v */
    case V2K_INITRD_UNKNOWN:
        break;
    }
    return NULL;
}

static int
find_kernels(guestfs_h *g, struct v2k_guest *gu)
{
    const char *dir = v2k_gf_is_dir(g, "/lib/modules") ? "/lib/modules"
                                                          : "/usr/lib/modules";
    char **ents = v2k_gf_is_dir(g, dir) ? guestfs_ls(g, dir) : NULL;
    int ret = -1;

    for (size_t i = 0; ents && ents[i]; i++) {
        if (gu->nkernels >= V2K_INSP_MAX_KERNELS) {
            v2k_warning("%s: more than %d kernels; the rest are ignored",
                        dir, V2K_INSP_MAX_KERNELS);
            break;
        }
        const char *v = ents[i];
        CLEANUP_FREE char *moddir = v2k_asprintf("%s/%s", dir, v);
        if (moddir == NULL)
            goto out;
        if (!v2k_gf_is_dir(g, moddir))
            continue;
        const char *fmts[] = {
            "/boot/vmlinuz-%s", "/boot/vmlinux-%s", "/boot/kernel-%s",
            "/boot/Image-%s", "%s/%s/vmlinuz",
        };
        char *vmlinuz = NULL;
        for (size_t k = 0; k < V2K_ARRAY_SIZE(fmts) && !vmlinuz; k++) {
            vmlinuz = k + 1 < V2K_ARRAY_SIZE(fmts)
                          ? v2k_asprintf(fmts[k], v)
                          : v2k_asprintf(fmts[k], dir, v);
            if (vmlinuz == NULL)
                goto out;
            if (!v2k_gf_is_file(g, vmlinuz)) {
                free(vmlinuz);
                vmlinuz = NULL;
            }
        }
        if (vmlinuz == NULL) {
            v2k_debug("inspect: %s: no kernel image for it; ignored",
                      moddir);
            continue;
        }
        struct v2k_kernel *nk =
            realloc(gu->kernels, (gu->nkernels + 1) * sizeof *nk);
        if (nk == NULL) {
            free(vmlinuz);
            v2k_error("out of memory");
            goto out;
        }
        gu->kernels = nk;
        struct v2k_kernel *k = &gu->kernels[gu->nkernels++];
        memset(k, 0, sizeof *k);
        k->vmlinuz = vmlinuz;
        k->version = v2k_strdup(v);
        if (k->version == NULL)
            goto out;
        k->initrd = kernel_initrd(g, gu, v);
        if (k->initrd && v2k_gf_is_file(g, k->initrd)) {
            int64_t sz = guestfs_filesize(g, k->initrd);
            k->initrd_bytes = sz > 0 ? (uint64_t)sz : 0;
        }
        k->virtio = kernel_virtio(g, moddir);
        k->debug = kernel_is_debug(v);
        k->xen_only = kernel_is_xen(v);
    }
    if (gu->nkernels > 1)
        qsort(gu->kernels, gu->nkernels, sizeof *gu->kernels,
              kernel_cmp_desc);
    ret = 0;
out:
    v2k_strv_free(ents);
    return ret;
}

/* ---- default kernel ------------------------------------------------------------ */

static void
trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s))
        (*s)++, (*len)--;
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* Value of KEY=VALUE (or "KEY VALUE" when sep is ' ') in a shell-ish or
 * grub config line, unquoted; owned or NULL. */
static char *
config_value(const char *buf, const char *key, bool space_sep)
{
    const char *line;
    size_t pos = 0, len, kl = strlen(key);
    char *found = NULL;

    while (v2k_insp_next_line(buf, &pos, &line, &len)) {
        trim(&line, &len);
        if (len <= kl || strncmp(line, key, kl) != 0)
            continue;
        const char *v = line + kl;
        size_t vl = len - kl;
        if (*v == '=')
            v++, vl--;
        else if (space_sep && isspace((unsigned char)*v))
            ;
        else
            continue;
        trim(&v, &vl);
        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0])
            v++, vl -= 2;
        free(found);                /* the last one counts (shell) */
        found = strndup(v, vl);
    }
    return found;
}

/* The kernel index for a kernel path or version named in a boot entry:
 * "/vmlinuz-5.14.0-427.el9.x86_64", "/boot/vmlinuz-6.1.0-28-amd64". */
static int
kernel_by_path(const struct v2k_guest *gu, const char *path, size_t len)
{
    const char *b = path;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '/')
            b = path + i + 1;
    size_t bl = len - (size_t)(b - path);
    for (size_t i = 0; i < gu->nkernels; i++) {
        const char *kb = strrchr(gu->kernels[i].vmlinuz, '/');
        kb = kb ? kb + 1 : gu->kernels[i].vmlinuz;
        if (strlen(kb) == bl && strncmp(kb, b, bl) == 0)
            return (int)i;
    }
    return -1;
}

/* The kernel whose version is the longest found in text (a title, an
 * id, a BLS entry name). */
static int
kernel_in_text(const struct v2k_guest *gu, const char *text)
{
    int best = -1;
    size_t bestlen = 0;
    for (size_t i = 0; i < gu->nkernels; i++) {
        size_t l = strlen(gu->kernels[i].version);
        if (l > bestlen && strstr(text, gu->kernels[i].version)) {
            best = (int)i;
            bestlen = l;
        }
    }
    return best;
}

/* First word after the keyword of a line: "linux /vmlinuz-X root=..". */
static int
entry_kernel(const struct v2k_guest *gu, const char *rest, size_t len)
{
    trim(&rest, &len);
    size_t w = 0;
    while (w < len && !isspace((unsigned char)rest[w]))
        w++;
    /* GRUB legacy may say "(hd0,0)/vmlinuz-..." */
    return kernel_by_path(gu, rest, w);
}

static bool
word_is(const char *line, size_t len, const char *w)
{
    size_t wl = strlen(w);
    return len > wl && strncmp(line, w, wl) == 0 &&
           isspace((unsigned char)line[wl]);
}

/* BLS entries (/boot/loader/entries/\*.conf): the kernel of one. */
static int
bls_kernel(guestfs_h *g, const struct v2k_guest *gu, const char *id)
{
    CLEANUP_FREE char *path = v2k_asprintf("/boot/loader/entries/%s.conf",
                                           id);
    if (path == NULL || strchr(id, '/'))
        return -1;
    CLEANUP_FREE char *conf = v2k_insp_read(g, path, V2K_INSP_MAX_CONFIG);
    CLEANUP_FREE char *linux_ = conf ? config_value(conf, "linux", true)
                                     : NULL;
    if (linux_ == NULL)
        return -1;
    return entry_kernel(gu, linux_, strlen(linux_));
}

/* BLS entries sorted as GRUB's blscfg shows them: newest version first. */
static int
bls_nth(guestfs_h *g, const struct v2k_guest *gu, int n)
{
    char **ents = guestfs_glob_expand(g, "/boot/loader/entries/*.conf");
    int ret = -1;
    size_t cnt = 0;
    while (ents && ents[cnt])
        cnt++;
    if (n >= 0 && (size_t)n < cnt) {
        /* Order the entries by their kernel, newest first: that is the
         * order of gu->kernels. */
        int *ks = calloc(cnt, sizeof *ks);
        size_t nk = 0;
        for (size_t i = 0; ks && i < cnt; i++) {
            const char *b = strrchr(ents[i], '/') + 1;
            CLEANUP_FREE char *id = strndup(b, strlen(b) - 5);
            int k = id ? bls_kernel(g, gu, id) : -1;
            if (k >= 0)
                ks[nk++] = k;
        }
        for (size_t i = 0; ks && i < nk; i++)       /* insertion sort */
            for (size_t j = i; j > 0 && ks[j] < ks[j - 1]; j--) {
                int t = ks[j];
                ks[j] = ks[j - 1];
                ks[j - 1] = t;
            }
        if (ks && (size_t)n < nk)
            ret = ks[n];
        free(ks);
    }
    v2k_strv_free(ents);
    return ret;
}

/* The kernel a grub.cfg menu entry boots, or -1. */
static int
item_kernel(const struct v2k_guest *gu, const struct v2k_grub_item *it)
{
    return it->kernel ? entry_kernel(gu, it->kernel, strlen(it->kernel))
                      : -1;
}

/* A GRUB 2 default as GRUB resolves it (grub-menu.h: numbers, ids and
 * titles, "a>b" into submenus), a number into the BLS entries when
 * grub.cfg has no menu of its own; else, for values GRUB itself would
 * not match: a BLS entry id, an entry whose title or id contains it, a
 * kernel version found in it. */
static int
grub2_pick(guestfs_h *g, const struct v2k_guest *gu, const char *want,
           const struct v2k_grub_menu *menu)
{
    uint64_t num;
    const char *last = strrchr(want, '>');
    const char *w = last ? last + 1 : want;
    int i;

    if (v2k_parse_u64(want, "default", &num) == 0 && menu->n == 0) {
        v2k_error_clear();
        return bls_nth(g, gu, (int)(num < 1000 ? num : 1000));
    }
    v2k_error_clear();
    if ((i = v2k_grub_menu_find(menu, want)) >= 0)
        return item_kernel(gu, &menu->items[i]);
    if (v2k_parse_u64(w, "default", &num) == 0)
        return -1;              /* a number past the menu's end */
    v2k_error_clear();
    int k = bls_kernel(g, gu, w);
    if (k >= 0)
        return k;
    for (size_t j = 0; j < menu->n; j++) {
        const struct v2k_grub_item *it = &menu->items[j];
        if ((strstr(it->title, w) || (it->id && strstr(it->id, w))) &&
            item_kernel(gu, it) >= 0)
            return item_kernel(gu, it);
    }
    return kernel_in_text(gu, w);
}

static int
grub2_default(guestfs_h *g, struct v2k_guest *gu)
{
    CLEANUP_FREE char *cfg = v2k_insp_read(g, gu->bootloader_config,
                                           V2K_INSP_MAX_CONFIG);
    CLEANUP_FREE char *dflt = v2k_insp_read(g, "/etc/default/grub",
                                            V2K_INSP_MAX_CONFIG);
    CLEANUP_FREE char *want = dflt ? config_value(dflt, "GRUB_DEFAULT",
                                                  false) : NULL;
    CLEANUP_FREE char *saved = NULL;
    struct v2k_grub_menu menu = { NULL, 0 };
    int k = -1;

    if (cfg && v2k_grub_menu_parse(cfg, &menu) == -1)
        return -1;
    if (want == NULL || strcmp(want, "saved") == 0) {
        static const char *const envs[] = {
            "/boot/grub2/grubenv", "/boot/grub/grubenv", NULL,
        };
        const char *env = v2k_gf_first_file(g, envs);
        CLEANUP_FREE char *envbuf = env ? v2k_insp_read(g, env, 65536)
                                        : NULL;
        if (envbuf)
            saved = config_value(envbuf, "saved_entry", false);
        /* grub.cfg generated for "saved" without a saved entry, or
         * GRUB_DEFAULT unset: the first entry. */
        free(want);
        want = v2k_strdup(saved && saved[0] ? saved : "0");
    }
    if (want)
        k = grub2_pick(g, gu, want, &menu);
    v2k_grub_menu_free(&menu);
    gu->default_kernel = k;
    return 0;
}

static int
legacy_default(guestfs_h *g, struct v2k_guest *gu)
{
    CLEANUP_FREE char *cfg = v2k_insp_read(g, gu->bootloader_config,
                                           V2K_INSP_MAX_CONFIG);
    const char *line;
    size_t pos = 0, len;
    uint64_t want = 0;
    int idx = -1;

    if (cfg == NULL)
        return 0;
    CLEANUP_FREE char *d = config_value(cfg, "default", true);
    if (d && v2k_parse_u64(d, "default", &want) == -1) {
        v2k_error_clear();
        return 0;                   /* "default saved": unknown */
    }
    while (v2k_insp_next_line(cfg, &pos, &line, &len)) {
        trim(&line, &len);
        if (word_is(line, len, "title"))
            idx++;
        else if (idx >= 0 && (uint64_t)idx == want &&
                 word_is(line, len, "kernel")) {
            gu->default_kernel = entry_kernel(gu, line + 6, len - 6);
            return 0;
        }
    }
    return 0;
}

static int
extlinux_default(guestfs_h *g, struct v2k_guest *gu)
{
    CLEANUP_FREE char *cfg = v2k_insp_read(g, gu->bootloader_config,
                                           V2K_INSP_MAX_CONFIG);
    const char *line;
    size_t pos = 0, len;
    bool in = false, first = true;

    if (cfg == NULL)
        return 0;
    CLEANUP_FREE char *d = config_value(cfg, "default", true);
    if (d == NULL)
        d = config_value(cfg, "DEFAULT", true);
    while (v2k_insp_next_line(cfg, &pos, &line, &len)) {
        trim(&line, &len);
        if (word_is(line, len, "label") || word_is(line, len, "LABEL")) {
            const char *l = line + 6;
            size_t ll = len - 6;
            trim(&l, &ll);
            in = d ? (strlen(d) == ll && strncmp(l, d, ll) == 0) : first;
            first = false;
        } else if (in && (word_is(line, len, "kernel") ||
                          word_is(line, len, "KERNEL") ||
                          word_is(line, len, "linux") ||
                          word_is(line, len, "LINUX"))) {
            gu->default_kernel = entry_kernel(gu, line + 6, len - 6);
            return 0;
        }
    }
    return 0;
}

static int
find_default_kernel(guestfs_h *g, struct v2k_guest *gu)
{
    gu->default_kernel = -1;
    if (gu->nkernels == 0 || gu->bootloader_config == NULL)
        return 0;
    switch (gu->bootloader) {
    case V2K_BOOT_GRUB2:
        return grub2_default(g, gu);
    case V2K_BOOT_GRUB_LEGACY:
        return legacy_default(g, gu);
    case V2K_BOOT_EXTLINUX:
        return extlinux_default(g, gu);
    case V2K_BOOT_SYSTEMD_BOOT:
    case V2K_BOOT_UNKNOWN:
        break;
    }
    return 0;
}

/* ---- hypervisor tools, SELinux, packages ------------------------------------ */

static bool
any_exists(guestfs_h *g, const char *const *paths)
{
    for (; *paths; paths++) {
        if (strchr(*paths, '*')) {
            char **m = guestfs_glob_expand(g, *paths);
            bool found = m && m[0];
            v2k_strv_free(m);
            if (found)
                return true;
        } else if (v2k_gf_exists(g, *paths)) {
            return true;
        }
    }
    return false;
}

static bool
any_package(const struct v2k_guest *gu, const char *const *names)
{
    for (; *names; names++) {
        size_t l = strlen(*names);
        bool prefix = l && (*names)[l - 1] == '*';
        for (char **p = gu->packages; p && *p; p++)
            if (prefix ? strncmp(*p, *names, l - 1) == 0
                       : strcmp(*p, *names) == 0)
                return true;
    }
    return false;
}

static int
find_tools(guestfs_h *g, struct v2k_guest *gu)
{
    static const char *const ovt_pkgs[] = {
        "open-vm-tools", "open-vm-tools-*", NULL,
    };
    static const char *const tarball_files[] = {
        "/usr/bin/vmware-uninstall-tools.pl", "/etc/vmware-tools/locations",
        "/etc/init.d/vmware-tools", NULL,
    };
    static const char *const ovt_files[] = { "/usr/bin/vmtoolsd", NULL };
    static const char *const xe_pkgs[] = {
        "xe-guest-utilities*", "xenstore-utils", NULL,
    };
    static const char *const xe_files[] = {
        "/usr/sbin/xe-daemon", "/etc/init.d/xe-linux-distribution",
        "/usr/sbin/xe-linux-distribution", NULL,
    };
    static const char *const vbox_pkgs[] = {
        "virtualbox-guest-*", "VirtualBox-guest-*", NULL,
    };
    static const char *const vbox_files[] = {
        "/opt/VBoxGuestAdditions-*", "/etc/init.d/vboxadd",
        "/usr/sbin/VBoxService", NULL,
    };
    static const char *const hv_pkgs[] = {
        "hyperv-daemons*", "hypervkvpd", "hypervvssd", "hyperv-tools", NULL,
    };
    static const char *const hv_files[] = {
        "/usr/sbin/hv_kvp_daemon", "/usr/sbin/hypervkvpd", NULL,
    };
    size_t n = 0;
    bool tarball = any_exists(g, tarball_files);
    struct { const char *name; bool found; } t[] = {
        { "open-vm-tools", any_package(gu, ovt_pkgs) ||
                           (!tarball && any_exists(g, ovt_files)) },
        { "vmware-tools-tarball", tarball },
        { "xe-guest-utilities", any_package(gu, xe_pkgs) ||
                                any_exists(g, xe_files) },
        { "vbox-additions", any_package(gu, vbox_pkgs) ||
                            any_exists(g, vbox_files) },
        { "hyperv-daemons", any_package(gu, hv_pkgs) ||
                            any_exists(g, hv_files) },
    };
    v2k_strv_free(gu->tools);
    gu->tools = calloc(1, sizeof(char *));
    if (gu->tools == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < V2K_ARRAY_SIZE(t); i++)
        if (t[i].found && v2k_insp_list_add(&gu->tools, &n, t[i].name) == -1)
            return -1;
    return 0;
}

static void
find_selinux(guestfs_h *g, struct v2k_guest *gu)
{
    CLEANUP_FREE char *cfg = v2k_insp_read(g, "/etc/selinux/config", 65536);
    CLEANUP_FREE char *mode = cfg ? config_value(cfg, "SELINUX", false)
                                  : NULL;
    gu->selinux = mode && (strcasecmp(mode, "enforcing") == 0 ||
                           strcasecmp(mode, "permissive") == 0);
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
v2k_inspect_packages(guestfs_h *g, struct v2k_guest *gu)
{
    static const char *const dbs[] = {
        "/var/lib/dpkg/status", "/var/lib/rpm/Packages",
        "/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        "/usr/lib/sysimage/rpm/Packages", "/var/lib/pacman/local", NULL,
    };
    size_t n = 0;

    gu->packages = calloc(1, sizeof(char *));
    if (gu->packages == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    if (gu->family != V2K_OS_LINUX)
        return 0;                   /* Windows: the registry, not here */
    struct guestfs_application2_list *apps =
        guestfs_inspect_list_applications2(g, gu->root);
    if (apps == NULL) {
        /* Phony or stripped guests have no database: not worth a
         * warning.  A database that exists but cannot be read is. */
        if (any_exists(g, dbs))
            v2k_warning("%s: cannot list the installed packages: %s",
                        gu->root, guestfs_last_error(g)
                                      ? guestfs_last_error(g) : "?");
        return 0;
    }
    for (uint32_t i = 0; i < apps->len && n < V2K_INSP_MAX_PACKAGES; i++) {
        const char *name = apps->val[i].app2_name;
        if (name == NULL || name[0] == '\0')
            continue;
        if (v2k_insp_list_add(&gu->packages, &n, name) == -1) {
            guestfs_free_application2_list(apps);
            return -1;
        }
    }
    guestfs_free_application2_list(apps);
    qsort(gu->packages, n, sizeof *gu->packages, str_cmp);
    size_t k = 0;                   /* unique (multi-arch, kernels) */
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && strcmp(gu->packages[k - 1], gu->packages[i]) == 0)
            free(gu->packages[i]);
        else
            gu->packages[k++] = gu->packages[i];
    }
    gu->packages[k] = NULL;
    return 0;
}

int
v2k_inspect_linux(guestfs_h *g, struct v2k_guest *gu)
{
    if (find_bootloader(g, gu) == -1)
        return -1;
    find_initramfs_tool(g, gu);
    if (find_kernels(g, gu) == -1)
        return -1;
    if (find_default_kernel(g, gu) == -1)
        return -1;
    if (find_tools(g, gu) == -1)
        return -1;
    find_selinux(g, gu);
    return 0;
}
