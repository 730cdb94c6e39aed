/* inspect.c - see inspect.h: find the root, unlock LUKS, mount the
 * root's filesystems, fill struct v2k_guest (the Linux details are in
 * inspect-linux.c, printing in inspect-print.c).
 */
#include "inspect.h"
#include "inspect-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

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

/* Open every LUKS filesystem that has a key.  The devices left locked
 * (no key) go to *locked, comma-separated, for the error message when no
 * root is found. */
static int
open_luks(guestfs_h *g, const struct v2k_inspect_opts *opts,
          struct v2k_guest *gu, char **locked)
{
    CLEANUP_FREE char *list = NULL;
    size_t listlen = 0, nopened = 0;
    /* list_filesystems leaves LUKS containers out (libguestfs 1.48):
     * ask every whole device and partition for its type instead. */
    char **fs = luks_candidates(g);

    if (fs == NULL)
        return -1;
    int ret = -1;
    for (size_t i = 0; fs[i] && fs[i + 1]; i += 2) {
        const char *dev = fs[i];
        if (strcmp(fs[i + 1], "crypto_LUKS") != 0)
            continue;
        const char *key = find_key(opts, dev);
        if (key == NULL) {
            size_t l = strlen(dev);
            char *nl = realloc(list, listlen + l + 3);
            if (nl == NULL) {
                v2k_error("out of memory");
                goto out;
            }
            list = nl;
            if (listlen)
                memcpy(list + listlen, ", ", 2), listlen += 2;
            memcpy(list + listlen, dev, l + 1);
            listlen += l;
            v2k_debug("inspect: %s is encrypted (LUKS), no key given", dev);
            continue;
        }
        const char *base = strrchr(dev, '/');
        CLEANUP_FREE char *name = v2k_asprintf("luks-%s",
                                                base ? base + 1 : dev);
        if (name == NULL)
            goto out;
        if (guestfs_cryptsetup_open(g, dev, key, name, -1) == -1) {
            v2k_error("cannot unlock the encrypted (LUKS) filesystem %s with the key given for it: %s", dev,
                      guestfs_last_error(g) ? guestfs_last_error(g) : "?");
            goto out;
        }
        v2k_debug("inspect: unlocked %s as /dev/mapper/%s", dev, name);
        nopened++;
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
    ret = 0;
out:
    v2k_strv_free(fs);
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
                v2k_error("the filesystem %s (%s) is read-only: it can only be mounted read-only, and conversion must write to it", m->device, m->mountpoint);
                goto out;
            }
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
        guestfs_free_statvfs(sv);
        if (ro) {
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

static char *
nonempty(char *s)
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

    gu->type = nonempty(guestfs_inspect_get_type(g, r));
    gu->distro = nonempty(guestfs_inspect_get_distro(g, r));
    gu->product_name = nonempty(guestfs_inspect_get_product_name(g, r));
    gu->arch = nonempty(guestfs_inspect_get_arch(g, r));
    gu->hostname = nonempty(guestfs_inspect_get_hostname(g, r));
    gu->osinfo = nonempty(guestfs_inspect_get_osinfo(g, r));
    gu->package_format =
        nonempty(guestfs_inspect_get_package_format(g, r));
    gu->package_manager =
        nonempty(guestfs_inspect_get_package_management(g, r));
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

struct v2k_guest *
v2k_inspect(guestfs_h *g, const struct v2k_inspect_opts *opts)
{
    struct v2k_guest *gu = calloc(1, sizeof *gu);
    CLEANUP_FREE char *locked = NULL;
    char **roots = NULL;

    if (gu == NULL) {
        v2k_error("out of memory");
        return NULL;
    }
    gu->default_kernel = -1;
    if (open_luks(g, opts, gu, &locked) == -1)
        goto fail;

    roots = guestfs_inspect_os(g);
    if (roots == NULL) {
        v2k_guestfs_error(g, "inspection");
        goto fail;
    }
    if (roots[0] == NULL) {
        if (locked && locked[0])
            v2k_error("no operating system was found on the source disks; %s %s encrypted (LUKS) and no key was given (--key DEVICE:KEY)", locked,
                      strchr(locked, ',') ? "are" : "is");
        else
            v2k_error("no operating system was found on the source disks");
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
