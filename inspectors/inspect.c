/* inspect.c - see inspect.h: find the root, unlock LUKS, mount the
 * root's filesystems, fill struct v2k_guest (the Linux details are in
 * inspect-linux.c, printing in inspect-print.c).
 */
#include "inspect.h"
#include "inspect-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "appliance-watchdog.h"
#include "cleanup.h"
#include "error.h"
#include "netcfg.h"
#include "guest-read.h"
#include "guestfs-handle.h"
#include "log.h"
#include "util.h"

/* ---- small guest helpers ---------------------------------------------- */

char *
v2k_insp_read(guestfs_h *g, const char *path, size_t max)
{
    char *s;

    if (!v2k_gf_is_file(g, path))
        return NULL;
    s = v2k_gf_read_max(g, "inspect", path, max, NULL);
    if (s == NULL) {
        v2k_debug("%s", v2k_error_message());
        v2k_error_clear();
    }
    return s;
}

bool
v2k_insp_next_line(const char *buf, size_t *pos, const char **line,
                   size_t *len)
{
    const char *p = buf + *pos;
    if (*p == '\0')
        return false;
    const char *nl = strchr(p, '\n');
    size_t l = nl ? (size_t)(nl - p) : strlen(p);
    *line = p;
    *len = l;
    if (l > 0 && p[l - 1] == '\r')
        (*len)--;
    *pos += l + (nl ? 1 : 0);
    return true;
}

int
v2k_insp_list_add(char ***list, size_t *n, const char *s)
{
    char **l = realloc(*list, (*n + 2) * sizeof *l);
    if (l == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    *list = l;
    l[*n] = strdup(s);
    if (l[*n] == NULL) {
        l[*n] = NULL;
        v2k_error("out of memory");
        return -1;
    }
    (*n)++;
    l[*n] = NULL;
    return 0;
}

/* ---- LUKS ---------------------------------------------------------------- */

/* The key for device from "DEVICE:KEY" pairs ("all:KEY" matches any). */
static const char *
find_key(const struct v2k_inspect_opts *opts, const char *dev)
{
    size_t dl = strlen(dev);
    const char *any = NULL;

    for (const char *const *k = opts ? opts->keys : NULL; k && *k; k++) {
        if (strncmp(*k, dev, dl) == 0 && (*k)[dl] == ':')
            return *k + dl + 1;
        if (strncmp(*k, "all:", 4) == 0 && any == NULL)
            any = *k + 4;
    }
    return any;
}

/* [device, vfs type] pairs for every whole device and partition,
 * NULL-terminated (v2k_strv_free); NULL with a message. */
static char **
luks_candidates(guestfs_h *g)
{
    char **devs = guestfs_list_devices(g);
    char **parts = devs ? guestfs_list_partitions(g) : NULL;
    char **out = NULL;
    size_t n = 0, k = 0;

    if (devs == NULL || parts == NULL) {
        v2k_guestfs_error(g, "list devices");
        goto out;
    }
    for (size_t i = 0; devs[i]; i++)
        n++;
    for (size_t i = 0; parts[i]; i++)
        n++;
    out = v2k_calloc(2 * n + 1, sizeof *out);
    if (out == NULL)
        goto out;
    for (int pass = 0; pass < 2; pass++) {
        char **v = pass == 0 ? devs : parts;
        for (size_t i = 0; v[i]; i++) {
            char *type;
            guestfs_push_error_handler(g, NULL, NULL);
            type = guestfs_vfs_type(g, v[i]);
            guestfs_pop_error_handler(g);
            out[k++] = v2k_strdup(v[i]);
            out[k++] = type ? type : v2k_strdup("");
            if (out[k - 1] == NULL || out[k - 2] == NULL) {
                v2k_strv_free(out);
                out = NULL;
                goto out;
            }
        }
    }
out:
    if (devs)
        v2k_strv_free(devs);
    if (parts)
        v2k_strv_free(parts);
    return out;
}

/* Append dev to a ", "-separated list (*list may be NULL). */
static int
list_append(char **list, const char *dev)
{
    size_t len = *list ? strlen(*list) : 0, l = strlen(dev);
    char *nl = realloc(*list, len + l + 3);

    if (nl == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    if (len)
        memcpy(nl + len, ", ", 2), len += 2;
    memcpy(nl + len, dev, l + 1);
    *list = nl;
    return 0;
}

/* Open every LUKS filesystem and BitLocker volume that has a key.  The
 * devices left locked (no key) go to *locked (LUKS) and *bitlk
 * (BitLocker), comma-separated, for the error messages.
 *
 * BitLocker is opened by cryptsetup's BITLK support (crypttype "bitlk",
 * Debian 12's cryptsetup 2.6 has it) as /dev/mapper/bitlk-<basename>.
 * The tests cannot make a real BitLocker volume (only Windows can): the
 * phony one (mkphony-windows.sh TRACE bitlocker) has the headers blkid
 * reads and nothing behind them, so only the refusals are tested: no
 * key, and a key cryptsetup cannot open the volume with. */
static int
open_luks(guestfs_h *g, const struct v2k_inspect_opts *opts,
          struct v2k_guest *gu, char **locked, char **bitlk)
{
    CLEANUP_FREE char *list = NULL, *blist = NULL;
    size_t nopened = 0;
    /* list_filesystems leaves LUKS containers out (libguestfs 1.48):
     * ask every whole device and partition for its type instead. */
    char **fs = luks_candidates(g);

    if (fs == NULL)
        return -1;
    int ret = -1;
    for (size_t i = 0; fs[i] && fs[i + 1]; i += 2) {
        const char *dev = fs[i];
        bool is_bitlk = strcmp(fs[i + 1], "BitLocker") == 0;
        if (strcmp(fs[i + 1], "crypto_LUKS") != 0 && !is_bitlk)
            continue;
        const char *what = is_bitlk ? "BitLocker" : "LUKS";
        const char *key = find_key(opts, dev);
        if (key == NULL) {
            if (list_append(is_bitlk ? &blist : &list, dev) == -1)
                goto out;
            v2k_debug("inspect: %s is encrypted (%s), no key given", dev,
                      what);
            continue;
        }
        const char *base = strrchr(dev, '/');
        CLEANUP_FREE char *name = v2k_asprintf("%s-%s",
                                                is_bitlk ? "bitlk" : "luks",
                                                base ? base + 1 : dev);
        if (name == NULL)
            goto out;
        int r;
        if (is_bitlk)
            r = guestfs_cryptsetup_open(g, dev, key, name,
                                        GUESTFS_CRYPTSETUP_OPEN_CRYPTTYPE,
                                        "bitlk", -1);
        else
            r = guestfs_cryptsetup_open(g, dev, key, name, -1);
        if (r == -1) {
            char buf[512];
            if (is_bitlk)
                v2k_error("cannot unlock the BitLocker volume %s with the key given for it (a recovery password or the password, --key %s:KEY): %s",
                          dev, dev,
                          v2k_gf_last_error_line(g, buf, sizeof buf));
            else
                v2k_error("cannot unlock the encrypted (LUKS) filesystem %s with the key given for it: %s", dev,
                          guestfs_last_error(g) ? guestfs_last_error(g) : "?");
            goto out;
        }
        v2k_debug("inspect: unlocked %s (%s) as /dev/mapper/%s", dev, what,
                  name);
        nopened += !is_bitlk;
    }
    if (nopened > 0) {
        /* LVM inside LUKS becomes visible only now. */
        if (guestfs_lvm_scan(g, 1) == -1) {
            v2k_guestfs_error(g, "LVM scan after unlocking LUKS");
            goto out;
        }
    }
    gu->nluks_unlocked = nopened;
    *locked = list;
    list = NULL;
    *bitlk = blist;
    blist = NULL;
    ret = 0;
out:
    v2k_strv_free(fs);
    return ret;
}

/* ---- Windows dynamic disks ------------------------------------------------ */

/* GPT partition types of Windows's Logical Disk Manager. */
static const char *const ldm_gpt_types[] = {
    "5808C8AA-7E8F-4E0E-D0A0-000000000000",     /* LDM metadata */
    "AF9B60A0-1431-4F62-BC68-3311714A69AD",     /* LDM data */
};

/* The partitions of Windows dynamic disks (MBR type 0x42, GPT LDM
 * metadata or data), comma-separated in *ldm (NULL when none). */
static int
find_ldm(guestfs_h *g, char **ldm)
{
    char **parts = guestfs_list_partitions(g);
    CLEANUP_FREE char *list = NULL;
    int ret = -1;

    if (parts == NULL) {
        v2k_guestfs_error(g, "list partitions");
        return -1;
    }
    guestfs_push_error_handler(g, NULL, NULL);
    for (size_t i = 0; parts[i]; i++) {
        CLEANUP_FREE char *dev = guestfs_part_to_dev(g, parts[i]);
        int n = guestfs_part_to_partnum(g, parts[i]);
        CLEANUP_FREE char *pt = dev ? guestfs_part_get_parttype(g, dev)
                                    : NULL;
        bool is_ldm = false;

        if (pt == NULL || n <= 0)
            continue;
        if (strcmp(pt, "msdos") == 0) {
            is_ldm = guestfs_part_get_mbr_id(g, dev, n) == 0x42;
        } else if (strcmp(pt, "gpt") == 0) {
            CLEANUP_FREE char *t = guestfs_part_get_gpt_type(g, dev, n);
            for (size_t k = 0; t && k < 2; k++)
                is_ldm |= strcasecmp(t, ldm_gpt_types[k]) == 0;
        }
        if (is_ldm) {
            v2k_debug("inspect: %s is a Windows dynamic disk (LDM) partition",
                      parts[i]);
            if (list_append(&list, parts[i]) == -1)
                goto out;
        }
    }
    *ldm = list;
    list = NULL;
    ret = 0;
out:
    guestfs_pop_error_handler(g);
    v2k_strv_free(parts);
    return ret;
}

/* ---- root choice ------------------------------------------------------------ */

/* "debian 12.8", "rhel 9.4", "unknown 0" (owned). */
static char *
describe_root(guestfs_h *g, const char *root)
{
    CLEANUP_FREE char *distro = guestfs_inspect_get_distro(g, root);
    int maj = guestfs_inspect_get_major_version(g, root);
    int min = guestfs_inspect_get_minor_version(g, root);

    if (min > 0)
        return v2k_asprintf("%s %d.%d", distro ? distro : "unknown", maj,
                            min);
    return v2k_asprintf("%s %d", distro ? distro : "unknown",
                        maj > 0 ? maj : 0);
}

/* "/dev/sda1: debian 12, /dev/sdb1: rhel 9.4" (owned). */
static char *
describe_roots(guestfs_h *g, char *const *roots)
{
    char *s = NULL;
    size_t len = 0;

    for (size_t i = 0; roots[i]; i++) {
        CLEANUP_FREE char *d = describe_root(g, roots[i]);
        CLEANUP_FREE char *one = d ? v2k_asprintf("%s%s: %s", i ? ", " : "",
                                                  roots[i], d) : NULL;
        if (one == NULL)
            goto oom;
        size_t l = strlen(one);
        char *ns = realloc(s, len + l + 1);
        if (ns == NULL)
            goto oom;
        s = ns;
        memcpy(s + len, one, l + 1);
        len += l;
    }
    return s ? s : v2k_strdup("");
oom:
    free(s);
    v2k_error("out of memory");
    return NULL;
}

/* Compare two device names after libguestfs canonicalisation
 * (/dev/mapper/vg-lv = /dev/vg/lv, /dev/vda1 = /dev/sda1). */
static bool
same_device(guestfs_h *g, const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return true;
    CLEANUP_FREE char *ca = guestfs_canonical_device_name(g, a);
    CLEANUP_FREE char *cb = guestfs_canonical_device_name(g, b);
    return ca && cb && strcmp(ca, cb) == 0;
}

static const char *
ask_root(guestfs_h *g, char *const *roots, size_t n)
{
    if (!isatty(STDIN_FILENO)) {
        CLEANUP_FREE char *d = describe_roots(g, roots);
        v2k_error("--root ask: standard input is not a terminal; %zu operating systems found (%s); choose one with --root /dev/...", n, d ? d : "");
        return NULL;
    }
    CLEANUP_FCLOSE FILE *tty = fopen("/dev/tty", "r+");
    if (tty == NULL) {
        v2k_error_errno(errno, "--root ask: /dev/tty");
        return NULL;
    }
    fprintf(tty, "%zu operating systems were found:\n", n);
    for (size_t i = 0; i < n; i++) {
        CLEANUP_FREE char *d = describe_root(g, roots[i]);
        CLEANUP_FREE char *pn = guestfs_inspect_get_product_name(g, roots[i]);
        const char *ver = d ? strchr(d, ' ') : NULL;
        /* The product name, unless it only repeats the version (Debian's
         * is /etc/debian_version: "12.8"). */
        bool show = pn && *pn && strcmp(pn, "unknown") != 0 &&
                    !(ver && strcmp(pn, ver + 1) == 0);
        fprintf(tty, "  [%zu] %s: %s%s%s%s\n", i + 1, roots[i],
                d ? d : "unknown", show ? " (" : "", show ? pn : "",
                show ? ")" : "");
    }
    for (int tries = 0; tries < 5; tries++) {
        char line[64];
        fprintf(tty, "Which one to convert? [1-%zu] ", n);
        fflush(tty);
        if (fgets(line, sizeof line, tty) == NULL)
            break;
        line[strcspn(line, "\r\n")] = '\0';
        uint64_t k;
        if (v2k_parse_u64(line, "choice", &k) == 0 && k >= 1 && k <= n)
            return roots[k - 1];
        for (size_t i = 0; i < n; i++)
            if (strcmp(line, roots[i]) == 0)
                return roots[i];
        fprintf(tty, "Please answer a number from 1 to %zu.\n", n);
    }
    v2k_error("--root ask: no operating system was chosen");
    return NULL;
}

static const char *
choose_root(guestfs_h *g, char *const *roots,
            const struct v2k_inspect_opts *opts)
{
    size_t n = v2k_strv_len(roots);
    enum v2k_root_choice c = opts ? opts->root_choice : V2K_ROOT_SINGLE;

    switch (c) {
    case V2K_ROOT_FIRST:
        return roots[0];
    case V2K_ROOT_ASK:
        return n == 1 ? roots[0] : ask_root(g, roots, n);
    case V2K_ROOT_DEVICE:
        if (opts->root_device == NULL) {
            v2k_error("--root: no device given");
            return NULL;
        }
        for (size_t i = 0; i < n; i++)
            if (same_device(g, roots[i], opts->root_device))
                return roots[i];
        {
            CLEANUP_FREE char *d = describe_roots(g, roots);
            v2k_error("--root %s: no operating system there; found: %s",
                      opts->root_device, d ? d : "");
        }
        return NULL;
    case V2K_ROOT_SINGLE:
        break;
    }
    if (n == 1)
        return roots[0];
    CLEANUP_FREE char *d = describe_roots(g, roots);
    v2k_error("%zu operating systems found (%s); choose one with --root first|ask|/dev/...", n, d ? d : "");
    return NULL;
}

/* ---- mounting ---------------------------------------------------------------- */

static int
mount_cmp(const void *a, const void *b)
{
    const struct v2k_mount *x = a, *y = b;
    size_t lx = strlen(x->mountpoint), ly = strlen(y->mountpoint);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x->mountpoint, y->mountpoint);
}

/* ---- NTFS that ntfs-3g will not write to ------------------------------------ */

/* "C:" for a device of the Windows root's drive mappings, else NULL. */
static char *
drive_letter(guestfs_h *g, const char *root, const char *dev)
{
    char **dm;
    char *r = NULL;

    guestfs_push_error_handler(g, NULL, NULL);
    dm = guestfs_inspect_get_drive_mappings(g, root);
    guestfs_pop_error_handler(g);
    for (size_t i = 0; dm && dm[i] && dm[i + 1] && r == NULL; i += 2)
        if (same_device(g, dm[i + 1], dev))
            r = v2k_asprintf("%s:", dm[i]);
    if (dm)
        v2k_strv_free(dm);
    return r;
}

/* Does the NTFS filesystem mounted (read-only) at mp have a hiberfil.sys
 * whose header says Windows hibernated (HIBR), or was resuming from it
 * (RSTR, WAKE)?  Fast Startup is a hibernation of the kernel session:
 * same file, same header. */
static bool
hiberfil_signed(guestfs_h *g, const char *mp)
{
    CLEANUP_FREE char *p = v2k_asprintf("%s%shiberfil.sys", mp,
                                        strcmp(mp, "/") == 0 ? "" : "/");
    CLEANUP_FREE char *cp = NULL, *buf = NULL;
    size_t n = 0;
    bool r = false;

    if (p == NULL)
        return false;
    guestfs_push_error_handler(g, NULL, NULL);
    cp = guestfs_case_sensitive_path(g, p);
    if (cp && guestfs_is_file(g, cp) > 0)
        buf = guestfs_pread(g, cp, 4, 0, &n);
    guestfs_pop_error_handler(g);
    if (buf && n == 4) {
        static const char *const sigs[] = { "HIBR", "hibr", "WAKE", "wake",
                                            "RSTR", "rstr" };
        for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
            r |= memcmp(buf, sigs[i], 4) == 0;
    }
    return r;
}

/* m could not be mounted read-write (msg: the mount's error, or NULL
 * when it mounted but read-only); mounted_ro: it is mounted read-only at
 * m->mountpoint now.  When it is an NTFS filesystem, record the reason
 * ntfs-3g gives (hibernated or Fast Startup; unclean) with what to do
 * in Windows, and return true; else false and nothing recorded.
 *
 * Hibernation is told by hiberfil.sys's header when the filesystem
 * could be mounted read-only (ntfs-3g 2022 falls back to read-only by
 * itself), else by ntfs-3g's messages ("Windows is hibernated, refused
 * to mount", "unsafe state ... hibernation or fast restarting"); an
 * unclean filesystem ("The disk contains an unclean file system",
 * "Metadata kept in Windows cache") or a read-only fallback without a
 * hibernation file is "unclean". */
static bool
ntfs_refusal(guestfs_h *g, const struct v2k_guest *gu,
             const struct v2k_mount *m, const char *msg, bool mounted_ro)
{
    CLEANUP_FREE char *type = NULL, *letter = NULL, *where = NULL;

    guestfs_push_error_handler(g, NULL, NULL);
    type = guestfs_vfs_type(g, m->device);
    guestfs_pop_error_handler(g);
    if (type == NULL || strcmp(type, "ntfs") != 0)
        return false;
    letter = gu->family == V2K_OS_WINDOWS
                 ? drive_letter(g, gu->root, m->device) : NULL;
    where = v2k_asprintf("%s (%s)", m->device,
                         letter ? letter : m->mountpoint);
    if (where == NULL)
        return true;                    /* out of memory: recorded */
    bool hib = (mounted_ro && hiberfil_signed(g, m->mountpoint)) ||
               (msg && (strcasestr(msg, "hibernat") ||
                        strcasestr(msg, "fast restart") ||
                        strcasestr(msg, "fast startup") ||
                        strcasestr(msg, "unsafe state")));
    if (hib) {
        v2k_error("the Windows filesystem %s is hibernated or was shut down with Fast Startup: ntfs-3g will not write to it; boot the source, turn off hibernation and Fast Startup (powercfg /h off), shut it down fully, and convert again",
                  where);
        return true;
    }
    if (!mounted_ro && msg && !strcasestr(msg, "unclean") &&
        !strcasestr(msg, "Windows cache"))
        return false;                   /* some other failure */
    v2k_error("the Windows filesystem %s is unclean (Windows did not shut down cleanly, or found errors): ntfs-3g will not write to it; boot the source, run chkdsk /f %s, shut it down fully, and convert again",
              where, letter ? letter : "on it");
    return true;
}

static int
mount_root(guestfs_h *g, struct v2k_guest *gu)
{
    char **mp = guestfs_inspect_get_mountpoints(g, gu->root);
    size_t n = 0;
    int ret = -1;

    if (mp == NULL) {
        v2k_guestfs_error(g, "inspect mountpoints");
        return -1;
    }
    n = v2k_strv_len(mp) / 2;
    gu->mounts = calloc(n ? n : 1, sizeof *gu->mounts);
    if (gu->mounts == NULL) {
        v2k_error("out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        gu->mounts[i].mountpoint = strdup(mp[2 * i]);
        /* "/" is the root inspection found, whatever the fstab says: on
         * a multi-disk guest a "/dev/sda1" there may name another disk
         * as the appliance orders them. */
        gu->mounts[i].device = strdup(strcmp(mp[2 * i], "/") == 0
                                          ? gu->root : mp[2 * i + 1]);
        gu->nmounts++;
        if (!gu->mounts[i].mountpoint || !gu->mounts[i].device) {
            v2k_error("out of memory");
            goto out;
        }
    }
    bool has_root = false;
    for (size_t i = 0; i < gu->nmounts; i++)
        has_root |= strcmp(gu->mounts[i].mountpoint, "/") == 0;
    if (!has_root) {
        struct v2k_mount *nm = realloc(gu->mounts,
                                       (gu->nmounts + 1) * sizeof *nm);
        if (nm == NULL) {
            v2k_error("out of memory");
            goto out;
        }
        gu->mounts = nm;
        memset(&nm[gu->nmounts], 0, sizeof *nm);
        nm[gu->nmounts].mountpoint = strdup("/");
        nm[gu->nmounts].device = strdup(gu->root);
        gu->nmounts++;
        if (!nm[gu->nmounts - 1].mountpoint ||
            !nm[gu->nmounts - 1].device) {
            v2k_error("out of memory");
            goto out;
        }
    }
    qsort(gu->mounts, gu->nmounts, sizeof *gu->mounts, mount_cmp);

    size_t kept = 0;
    for (size_t i = 0; i < gu->nmounts; i++) {
        struct v2k_mount *m = &gu->mounts[i];
        if (strcmp(m->mountpoint, "/") != 0 &&
            !v2k_gf_is_dir(g, m->mountpoint)) {
            /* Mounting would need a mkdir: inspection never writes. */
            v2k_warning("%s: the mount point %s (for %s) does not exist in the guest; not mounted", gu->root, m->mountpoint,
                        m->device);
            goto drop;
        }
        if (guestfs_mount(g, m->device, m->mountpoint) == -1) {
            CLEANUP_FREE char *msg =
                v2k_strdup(guestfs_last_error(g) ? guestfs_last_error(g)
                                                 : "?");
            if (guestfs_mount_ro(g, m->device, m->mountpoint) == 0) {
                if (!ntfs_refusal(g, gu, m, msg, true))
                    v2k_error("the filesystem %s (%s) is read-only: it can only be mounted read-only, and conversion must write to it", m->device, m->mountpoint);
                goto out;
            }
            if (ntfs_refusal(g, gu, m, msg, false))
                goto out;
            if (strcmp(m->mountpoint, "/") == 0) {
                v2k_error("cannot mount the root filesystem %s: %s",
                          m->device, msg ? msg : "?");
                goto out;
            }
            v2k_warning("cannot mount %s on %s: %s; not mounted",
                        m->device, m->mountpoint, msg ? msg : "?");
            goto drop;
        }
        /* mount(8) silently falls back to read-only for write-protected
         * media (squashfs, iso9660, a read-only block device): check. */
        struct guestfs_statvfs *sv = guestfs_statvfs(g, m->mountpoint);
        bool ro = sv && (sv->flag & ST_RDONLY);
        if (sv && sv->frsize > 0 && sv->blocks >= 0 && sv->bfree >= 0) {
            /* What space.c compares its needs with (v2kvm-batch inspect
             * predicts from these). */
            m->size_bytes = (uint64_t)sv->blocks * (uint64_t)sv->frsize;
            m->free_bytes = (uint64_t)sv->bfree * (uint64_t)sv->frsize;
        }
        guestfs_free_statvfs(sv);
        if (ro) {
            if (!ntfs_refusal(g, gu, m, NULL, true))
                v2k_error("the filesystem %s (%s) is read-only: it can only be mounted read-only, and conversion must write to it",
                          m->device, m->mountpoint);
            goto out;
        }
        m->fstype = guestfs_vfs_type(g, m->device);
        if (m->fstype && m->fstype[0] == '\0') {
            free(m->fstype);
            m->fstype = NULL;
        }
        gu->mounts[kept++] = *m;
        continue;
drop:
        free(m->mountpoint);
        free(m->device);
        free(m->fstype);
    }
    gu->nmounts = kept;
    ret = 0;
out:
    v2k_strv_free(mp);
    return ret;
}

/* ---- the whole ------------------------------------------------------------------ */

char *
v2k_insp_nonempty(char *s)
{
    if (s && (s[0] == '\0' || strcmp(s, "unknown") == 0)) {
        free(s);
        return NULL;
    }
    return s;
}

static int
fill_basics(guestfs_h *g, struct v2k_guest *gu)
{
    const char *r = gu->root;

    gu->type = v2k_insp_nonempty(guestfs_inspect_get_type(g, r));
    gu->distro = v2k_insp_nonempty(guestfs_inspect_get_distro(g, r));
    gu->product_name = v2k_insp_nonempty(guestfs_inspect_get_product_name(g, r));
    gu->arch = v2k_insp_nonempty(guestfs_inspect_get_arch(g, r));
    gu->hostname = v2k_insp_nonempty(guestfs_inspect_get_hostname(g, r));
    gu->osinfo = v2k_insp_nonempty(guestfs_inspect_get_osinfo(g, r));
    gu->package_format =
        v2k_insp_nonempty(guestfs_inspect_get_package_format(g, r));
    gu->package_manager =
        v2k_insp_nonempty(guestfs_inspect_get_package_management(g, r));
    int maj = guestfs_inspect_get_major_version(g, r);
    int min = guestfs_inspect_get_minor_version(g, r);
    gu->major = maj > 0 ? maj : 0;
    gu->minor = min > 0 ? min : 0;
    if (gu->type && strcmp(gu->type, "linux") == 0)
        gu->family = V2K_OS_LINUX;
    else if (gu->type && strcmp(gu->type, "windows") == 0)
        gu->family = V2K_OS_WINDOWS;
    else
        gu->family = V2K_OS_UNKNOWN;
    return 0;
}

/* When libguestfs finds no OS: an NTFS filesystem with a Windows
 * directory (System32\config) whose SYSTEM or SOFTWARE hive hivex cannot
 * open (libguestfs then does not recognise Windows at all).  Returns an
 * owned "/dev/sda1 holds a Windows directory (/Windows), but
 * \Windows\System32\config\SYSTEM could not be read (damaged registry
 * hive?): <hivex's reason>" or NULL.  Mounts read-only and unmounts
 * everything. */
static char *
windows_hive_hint(guestfs_h *g)
{
    char **fs;
    char *hint = NULL;

    guestfs_push_error_handler(g, NULL, NULL);
    /* An inspect_os that failed on the hive leaves the filesystem it
     * was reading mounted. */
    guestfs_umount_all(g);
    fs = guestfs_list_filesystems(g);
    for (size_t i = 0; fs && fs[i] && fs[i + 1] && hint == NULL; i += 2) {
        if (strcmp(fs[i + 1], "ntfs") != 0 ||
            guestfs_mount_ro(g, fs[i], "/") == -1)
            continue;
        static const char *const roots[] = { "/windows", "/winnt" };
        for (size_t r = 0; r < 2 && hint == NULL; r++) {
            CLEANUP_FREE char *cfg = v2k_asprintf("%s/system32/config",
                                                  roots[r]);
            CLEANUP_FREE char *real = cfg ? guestfs_case_sensitive_path(g, cfg)
                                          : NULL;
            if (real == NULL || guestfs_is_dir(g, real) <= 0)
                continue;
            static const char *const hives[] = { "SYSTEM", "SOFTWARE" };
            for (size_t h = 0; h < 2 && hint == NULL; h++) {
                CLEANUP_FREE char *hp = v2k_asprintf("%s/%s", real, hives[h]);
                CLEANUP_FREE char *rh = hp ? guestfs_case_sensitive_path(g, hp)
                                           : NULL;
                char buf[512];
                const char *why = "it is missing";
                if (rh && guestfs_is_file(g, rh) > 0) {
                    if (guestfs_hivex_open(g, rh, -1) == 0) {
                        guestfs_hivex_close(g);
                        continue;
                    }
                    why = v2k_gf_last_error_line(g, buf, sizeof buf);
                }
                const char *p = rh ? rh : hp;
                char *bs = v2k_strdup(p ? p : "");
                for (char *c = bs; c && *c; c++)
                    if (*c == '/')
                        *c = '\\';
                size_t srl = (size_t)(strchr(real + 1, '/') - real);
                hint = bs ? v2k_asprintf("%s holds a Windows directory (%.*s), but %s could not be read (damaged registry hive?): %s",
                                         fs[i], (int)srl, real, bs, why)
                          : NULL;
                free(bs);
            }
        }
        guestfs_umount_all(g);
    }
    guestfs_pop_error_handler(g);
    if (fs)
        v2k_strv_free(fs);
    return hint;
}

/* ", " lists: "is" for one device, "are" for several. */
static const char *
is_are(const char *list)
{
    return strchr(list, ',') ? "are" : "is";
}

struct v2k_guest *
v2k_inspect(guestfs_h *g, const struct v2k_inspect_opts *opts)
{
    struct v2k_guest *gu = calloc(1, sizeof *gu);
    CLEANUP_FREE char *locked = NULL, *bitlk = NULL, *ldm = NULL;
    char **roots = NULL;

    if (gu == NULL) {
        v2k_error("out of memory");
        return NULL;
    }
    gu->default_kernel = -1;
    if (open_luks(g, opts, gu, &locked, &bitlk) == -1 ||
        find_ldm(g, &ldm) == -1)
        goto fail;

    roots = guestfs_inspect_os(g);
    if (roots == NULL) {
        char buf[512];
        if (v2k_watchdog_fired(g)) {
            v2k_guestfs_error(g, "inspection");
            goto fail;
        }
        CLEANUP_FREE char *err = v2k_strdup(
            v2k_gf_last_error_line(g, buf, sizeof buf));
        CLEANUP_FREE char *hint = windows_hive_hint(g);
        if (hint) {
            v2k_debug("inspect: inspect_os: %s", err ? err : "?");
            v2k_error("cannot inspect the source disks: %s", hint);
        } else
            v2k_error("inspection: %s", err ? err : "?");
        goto fail;
    }
    if (roots[0] == NULL) {
        CLEANUP_FREE char *hint = NULL;
        const char *none = "no operating system was found on the source disks";
        if (bitlk)
            v2k_error("%s; %s %s encrypted with BitLocker and no key was given (--key %s:RECOVERY-PASSWORD); v2kvm cannot convert a Windows guest whose volumes it cannot read",
                      none, bitlk, is_are(bitlk),
                      strchr(bitlk, ',') ? "DEVICE" : bitlk);
        else if (locked && locked[0])
            v2k_error("%s; %s %s encrypted (LUKS) and no key was given (--key DEVICE:KEY)",
                      none, locked, is_are(locked));
        else if (ldm)
            v2k_error("%s; %s %s on Windows dynamic disks (LDM), which v2kvm cannot convert; convert them to basic disks in Windows first",
                      none, ldm, is_are(ldm));
        else if ((hint = windows_hive_hint(g)) != NULL)
            v2k_error("%s; %s", none, hint);
        else
            v2k_error("%s", none);
        goto fail;
    }
    if (locked && locked[0])
        v2k_warning("%s: encrypted (LUKS), no key given (--key): left locked", locked);

    const char *root = choose_root(g, roots, opts);
    if (root == NULL)
        goto fail;
    gu->root = v2k_strdup(root);
    if (gu->root == NULL || fill_basics(g, gu) == -1)
        goto fail;
    v2k_debug("inspect: root %s: %s %s %d.%d", gu->root,
              gu->type ? gu->type : "?", gu->distro ? gu->distro : "?",
              gu->major, gu->minor);
    /* A Windows guest with a volume v2kvm cannot read, or on dynamic
     * disks, is refused whatever volume it is: a locked BitLocker
     * volume may be C: itself (the OS found is then another
     * installation) or hold what the guest needs at boot (the page
     * file, a service's data), and a drive letter on it cannot be
     * checked; an LDM volume is not a partition the converted guest's
     * boot driver or v2kvm's drive mapping can name. */
    if (gu->family == V2K_OS_WINDOWS && bitlk) {
        v2k_error("the Windows guest on %s: %s %s encrypted with BitLocker and no key was given (--key %s:RECOVERY-PASSWORD); v2kvm cannot convert a Windows guest whose volumes it cannot read",
                  gu->root, bitlk, is_are(bitlk),
                  strchr(bitlk, ',') ? "DEVICE" : bitlk);
        goto fail;
    }
    if (gu->family == V2K_OS_WINDOWS && ldm) {
        v2k_error("the Windows guest on %s uses Windows dynamic disks (LDM: %s), which v2kvm cannot convert; convert them to basic disks in Windows first",
                  gu->root, ldm);
        goto fail;
    }
    if (bitlk)
        v2k_warning("%s: encrypted (BitLocker), no key given (--key): left locked", bitlk);

    if (mount_root(g, gu) == -1)
        goto fail;
    if (v2k_inspect_firmware(g, gu) == -1)
        goto fail;
    if (v2k_inspect_packages(g, gu) == -1)
        goto fail;
    if (gu->family == V2K_OS_LINUX && v2k_inspect_linux(g, gu) == -1)
        goto fail;
    if (gu->family == V2K_OS_LINUX && v2k_inspect_netcfg(g, gu) == -1)
        goto fail;
    if (gu->family == V2K_OS_WINDOWS && v2k_inspect_windows(g, gu) == -1)
        goto fail;
    if (gu->tools == NULL && (gu->tools = calloc(1, sizeof(char *))) == NULL) {
        v2k_error("out of memory");
        goto fail;
    }
    v2k_strv_free(roots);
    return gu;

fail:
    v2k_strv_free(roots);
    v2k_guest_free(gu);
    return NULL;
}
