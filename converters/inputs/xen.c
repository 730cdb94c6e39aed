/* inputs/xen.c - -i xen FILE.cfg: a Xen guest from its xl.cfg (or xm).
 *
 * What is mapped (xl.cfg(5), xl-disk-configuration(5),
 * xl-network-configuration(5)):
 *   name, uuid; memory / maxmem (MiB: the larger, what the guest may
 *   balloon up to, as libvirt's <memory>); vcpus / maxvcpus (the larger);
 *   type = pv | pvh | hvm, or the older builder = "hvm" | "generic";
 *   bootloader (pygrub) or kernel / ramdisk / cmdline (root + extra);
 *   HVM: bios / firmware (ovmf = UEFI), vga / stdvga, videoram, soundhw;
 *   disk = [ ... ] in both syntaxes (positional, with the deprecated
 *   phy:/file:/tap:aio:/tap2:tapdisk:vhd: prefixes, and key=value);
 *   vif = [ ... ] (mac, bridge, model, type).
 * PV and PVH guests have no emulated devices: we record xen_pv, the xvd
 * names (target_dev) and the console (hvc0) for the conversion, which
 * rewrites the guest to run fully virtualised.
 *
 * Relative disk paths are relative to the configuration file's
 * directory.  xen_parse works on a buffer; the local setup opens each
 * disk read-only to learn its format and size, and a missing one is an
 * error naming the configuration line.
 *
 * -ic xen+ssh://[USER@]HOST[:PORT] NAME (virt-v2v's URI; we need no
 * libvirt): the guest's configuration is fetched over SFTP from
 * -io xen-config=PATH, or the first of /etc/xen/NAME.cfg, /etc/xen/NAME,
 * /etc/xen/auto/NAME.cfg that exists (where xl and xendomains keep them),
 * and every disk path becomes an sftp:// URI read with ranged requests.
 * The SFTP helpers of inputs-internal.h live here too.
 */
#include "cleanup.h"
#include "error.h"
#include "format.h"
#include "input.h"
#include "inputs-internal.h"
#include "log.h"
#include "util.h"
#include "xlcfg.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "transport.h"

#define XEN_DEFAULT_BRIDGE "xenbr0"     /* xl-network-configuration(5) */
#define XEN_MAX_SPEC_FIELDS 32

struct xen_ctx {
    const struct v2k_xlcfg *c;
    const char *name;           /* the file, for messages */
    const char *basedir;        /* absolute directory of the file */
    bool local;                 /* open the disks here */
    bool hvm;
};

static char *
resolve(const char *basedir, const char *path)
{
    if (path[0] == '/' || basedir == NULL)
        return v2k_strdup(path);
    return v2k_asprintf("%s/%s", basedir, path);
}

static char *
trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *e = '\0';
    return s;
}

/* "xvdb" -> bus xen, slot 1; "hdc" -> ide 2; "sdaa" -> scsi 26. */
static void
vdev_bus(const char *vdev, enum v2k_bus *bus, int *slot)
{
    static const struct { const char *prefix; enum v2k_bus bus; } p[] = {
        { "xvd", V2K_BUS_XEN }, { "hd", V2K_BUS_IDE }, { "sd", V2K_BUS_SCSI },
    };
    *bus = V2K_BUS_UNKNOWN;
    *slot = -1;
    for (size_t i = 0; i < V2K_ARRAY_SIZE(p); i++) {
        size_t n = strlen(p[i].prefix), k = 0;
        int idx = 0;
        if (strncmp(vdev, p[i].prefix, n) != 0)
            continue;
        while (vdev[n + k] >= 'a' && vdev[n + k] <= 'z' && k < 4) {
            idx = idx * 26 + (vdev[n + k] - 'a' + 1);
            k++;
        }
        if (k == 0)
            return;
        *bus = p[i].bus;
        *slot = idx - 1;
        return;
    }
}

/* A format name xl knows (xl-disk-configuration(5) "format"). */
static bool
is_xl_format(const char *f)
{
    static const char *const names[] = {
        "raw", "qcow", "qcow2", "vhd", "qed", "empty",
    };
    for (size_t i = 0; i < V2K_ARRAY_SIZE(names); i++)
        if (strcmp(f, names[i]) == 0)
            return true;
    return false;
}

/* Our reader's name for an xl format, or NULL with an error. */
static const char *
xen_format(const struct xen_ctx *x, unsigned line, const char *f)
{
    if (strcmp(f, "raw") == 0 || strcmp(f, "qcow2") == 0 ||
        strcmp(f, "vhd") == 0)
        return f;
    if (strcmp(f, "empty") == 0)
        return "empty";
    v2k_error("%s:%u: disk: format '%s' is not supported (raw, qcow2, vhd)",
              x->name, line, f);
    return NULL;
}

/* Strip the deprecated target prefixes (xl-disk-configuration(5)
 * "Deprecated features"): phy: file: tap: tap2: tapdisk: aio: ioemu:
 * are ignored, raw: qcow: qcow2: vhd: qed: give the format. */
static const char *
strip_prefixes(const char *t, const char **fmt, bool *had)
{
    static const char *const ignored[] = {
        "phy:", "file:", "tap:", "tap2:", "tapdisk:", "aio:", "ioemu:",
    };
    static const char *const formats[] = {
        "raw:", "qcow:", "qcow2:", "vhd:", "qed:",
    };
    bool again = true;

    while (again) {
        again = false;
        for (size_t i = 0; i < V2K_ARRAY_SIZE(ignored) && !again; i++)
            if (strncmp(t, ignored[i], strlen(ignored[i])) == 0) {
                t += strlen(ignored[i]);
                *had = again = true;
            }
        for (size_t i = 0; i < V2K_ARRAY_SIZE(formats) && !again; i++)
            if (strncmp(t, formats[i], strlen(formats[i])) == 0) {
                *fmt = formats[i];
                t += strlen(formats[i]);
                *had = again = true;
            }
    }
    return t;
}

/* One DISKSPEC (xl-disk-configuration(5)). */
static int
parse_disk(struct xen_ctx *x, struct v2k_source *s,
           const struct v2k_xlcfg_item *it)
{
    enum { P_TARGET, P_FORMAT, P_VDEV, P_ACCESS, P_MAX };
    CLEANUP_FREE char *spec = v2k_strdup(it->text);
    char *pos[P_MAX] = { NULL };
    const char *target = NULL, *format = NULL;
    char *vdev = NULL;
    const char *devtype = NULL, *access = NULL, *pfmt = NULL;
    char pf[8];
    bool had_prefix = false;
    int npos = 0;
    char *p, *tok;
    unsigned line = it->line;
    CLEANUP_FREE char *where = NULL;
    struct v2k_disk *d;
    size_t nfields = 0;

    if (spec == NULL)
        return -1;
    p = spec;
    while (p) {
        char *comma = strchr(p, ',');
        tok = p;
        if (++nfields > XEN_MAX_SPEC_FIELDS) {
            v2k_error("%s:%u: disk '%s': more than %d parameters", x->name,
                      line, it->text, XEN_MAX_SPEC_FIELDS);
            return -1;
        }
        /* target= is last and takes the rest, commas included. */
        while (*tok == ' ' || *tok == '\t')
            tok++;
        if (strncmp(tok, "target=", 7) == 0) {
            target = trim(tok + 7);
            break;
        }
        if (comma)
            *comma = '\0';
        p = comma ? comma + 1 : NULL;
        tok = trim(tok);
        if (strchr(tok, '=')) {
            char *eq = strchr(tok, '=');
            char *k, *v = trim(eq + 1);
            *eq = '\0';
            k = trim(tok);
            if (strcmp(k, "format") == 0)
                format = v;
            else if (strcmp(k, "vdev") == 0)
                vdev = v;
            else if (strcmp(k, "access") == 0)
                access = v;
            else if (strcmp(k, "devtype") == 0)
                devtype = v;
            else
                v2k_debug("%s:%u: disk: ignoring %s=%s", x->name, line, k, v);
            continue;
        }
        if (strcmp(tok, "cdrom") == 0) {
            devtype = "cdrom";
            continue;
        }
        if (strcmp(tok, "direct-io-safe") == 0 ||
            strcmp(tok, "discard") == 0 || strcmp(tok, "no-discard") == 0 ||
            strcmp(tok, "colo") == 0 || strcmp(tok, "trusted") == 0 ||
            strcmp(tok, "untrusted") == 0)
            continue;
        /* Positional: target, format, vdev, access; a deprecated prefix
         * on the target stands in for the format ("phy:/dev/vg/lv,xvda,w"). */
        if (npos == P_FORMAT && had_prefix)
            npos++;
        /* xl's parser takes a positional that is not a format name as
         * the vdev: ',hdc:cdrom,r' is an empty CD-ROM on hdc
         * (xl-disk-configuration(5)). */
        if (npos == P_FORMAT && *tok && !is_xl_format(tok))
            npos++;
        if (npos >= P_MAX) {
            v2k_error("%s:%u: disk '%s': too many positional parameters (target, format, vdev, access)", x->name, line,
                      it->text);
            return -1;
        }
        pos[npos] = tok;
        if (npos == P_TARGET && *tok)
            pos[npos] = (char *)strip_prefixes(tok, &pfmt, &had_prefix);
        npos++;
    }
    if (target == NULL && pos[P_TARGET] && *pos[P_TARGET])
        target = pos[P_TARGET];
    if (format == NULL && pos[P_FORMAT] && *pos[P_FORMAT])
        format = pos[P_FORMAT];
    if (vdev == NULL && pos[P_VDEV] && *pos[P_VDEV])
        vdev = pos[P_VDEV];
    if (access == NULL && pos[P_ACCESS] && *pos[P_ACCESS])
        access = pos[P_ACCESS];
    if (target && target != pos[P_TARGET] && *target)
        target = strip_prefixes(target, &pfmt, &had_prefix);
    if (format == NULL && pfmt) {
        size_t n = strlen(pfmt) - 1;        /* without the ':' */
        memcpy(pf, pfmt, n);
        pf[n] = '\0';
        format = pf;
    }
    /* xm's "ioemu:hda" and the deprecated "hdc:cdrom" vdev forms. */
    if (vdev && strncmp(vdev, "ioemu:", 6) == 0)
        vdev += 6;
    if (vdev && strchr(vdev, ':')) {
        char *colon = strchr(vdev, ':');
        *colon = '\0';
        if (strcmp(colon + 1, "cdrom") == 0)
            devtype = "cdrom";
        else if (strcmp(colon + 1, "disk") != 0) {
            v2k_error("%s:%u: disk '%s': unknown device type '%s'", x->name,
                      line, it->text, colon + 1);
            return -1;
        }
    }
    if (devtype && strcmp(devtype, "cdrom") != 0 &&
        strcmp(devtype, "disk") != 0) {
        v2k_error("%s:%u: disk '%s': devtype '%s' is not cdrom or disk",
                  x->name, line, it->text, devtype);
        return -1;
    }
    if (access && strcmp(access, "r") != 0 && strcmp(access, "ro") != 0 &&
        strcmp(access, "w") != 0 && strcmp(access, "rw") != 0 &&
        strcmp(access, "w!") != 0) {
        v2k_error("%s:%u: disk '%s': access '%s' is not ro or rw", x->name,
                  line, it->text, access);
        return -1;
    }
    if (format && (format = xen_format(x, line, format)) == NULL)
        return -1;
    if (vdev == NULL || *vdev == '\0') {
        v2k_error("%s:%u: disk '%s': no vdev (the guest's device name)",
                  x->name, line, it->text);
        return -1;
    }
    if (devtype == NULL || strcmp(devtype, "cdrom") != 0) {
        if (target == NULL || *target == '\0' ||
            (format && strcmp(format, "empty") == 0)) {
            v2k_error("%s:%u: disk '%s': no target (the disk's file or device)", x->name, line, it->text);
            return -1;
        }
    }
    d = v2k_source_add_disk(s);
    if (d == NULL)
        return -1;
    d->device = devtype && strcmp(devtype, "cdrom") == 0 ? V2K_DEV_CDROM
                                                         : V2K_DEV_DISK;
    d->target_dev = v2k_strdup(vdev);
    if (d->target_dev == NULL)
        return -1;
    vdev_bus(vdev, &d->bus, &d->slot);
    if (target && *target && !(format && strcmp(format, "empty") == 0)) {
        d->path = resolve(x->basedir, target);
        if (d->path == NULL)
            return -1;
        /* A local xl.cfg's files stay in its directory (pathpolicy.h). */
        if (x->local && x->basedir &&
            (d->confine_dir = v2k_strdup(x->basedir)) == NULL)
            return -1;
    }
    if (format && strcmp(format, "empty") != 0 &&
        (d->format = v2k_strdup(format)) == NULL)
        return -1;
    if (!x->local || d->path == NULL)
        return 0;
    if (d->device == V2K_DEV_CDROM) {
        struct stat st;
        if (stat(d->path, &st) == -1)
            v2k_warning("%s:%u: cdrom %s: %s: %s", x->name, line, vdev,
                        d->path, strerror(errno));
        return 0;
    }
    where = v2k_asprintf("%s:%u: disk %s", x->name, line, vdev);
    if (where == NULL || v2k_input_default_raw(d, NULL, where) == -1)
        return -1;
    if (v2k_input_open_disk(d, NULL, NULL) == -1) {
        v2k_error_prepend("%s:%u: disk %s: ", x->name, line, vdev);
        return -1;
    }
    return 0;
}

/* One VIFSPEC (xl-network-configuration(5)): key=value, comma-separated. */
static int
parse_vif(struct xen_ctx *x, struct v2k_source *s,
          const struct v2k_xlcfg_item *it)
{
    CLEANUP_FREE char *spec = v2k_strdup(it->text);
    const char *bridge = NULL, *model = NULL, *type = NULL;
    struct v2k_nic *n;
    char *p;
    size_t nfields = 0;

    if (spec == NULL || (n = v2k_source_add_nic(s)) == NULL)
        return -1;
    p = spec;
    while (p) {
        char *comma = strchr(p, ','), *eq, *k, *v;
        if (comma)
            *comma = '\0';
        k = trim(p);
        p = comma ? comma + 1 : NULL;
        if (++nfields > XEN_MAX_SPEC_FIELDS) {
            v2k_error("%s:%u: vif '%s': more than %d parameters", x->name,
                      it->line, it->text, XEN_MAX_SPEC_FIELDS);
            return -1;
        }
        if (*k == '\0')
            continue;
        eq = strchr(k, '=');
        if (eq == NULL) {
            v2k_error("%s:%u: vif '%s': '%s' is not KEY=VALUE", x->name,
                      it->line, it->text, k);
            return -1;
        }
        *eq = '\0';
        v = trim(eq + 1);
        k = trim(k);
        if (strcmp(k, "mac") == 0) {
            char mac[18];
            free(n->mac);
            n->mac = NULL;
            if (!v2k_parse_mac(v, true, mac)) {
                v2k_error("%s:%u: vif: mac '%s' is not a MAC address",
                          x->name, it->line, v);
                return -1;
            }
            if ((n->mac = v2k_strdup(mac)) == NULL)
                return -1;
        } else if (strcmp(k, "bridge") == 0) {
            bridge = v;
        } else if (strcmp(k, "model") == 0) {
            model = v;
        } else if (strcmp(k, "type") == 0) {
            type = v;
        } else {
            v2k_debug("%s:%u: vif: ignoring %s=%s", x->name, it->line, k, v);
        }
    }
    n->net_type = V2K_NET_BRIDGE;
    n->network = v2k_strdup(bridge && *bridge ? bridge : XEN_DEFAULT_BRIDGE);
    if (n->network == NULL)
        return -1;
    if (type && strcmp(type, "ioemu") != 0 && strcmp(type, "vif") != 0) {
        v2k_error("%s:%u: vif: type '%s' is not ioemu or vif", x->name,
                  it->line, type);
        return -1;
    }
    /* PV guests and type=vif have only the PV netfront; HVM guests get an
     * emulated NIC (rtl8139 unless model= says otherwise). */
    if (!x->hvm || (type && strcmp(type, "vif") == 0))
        n->model = V2K_NIC_XEN;
    else if (model == NULL || strcmp(model, "rtl8139") == 0)
        n->model = V2K_NIC_RTL8139;
    else if (strncmp(model, "e1000", 5) == 0)
        n->model = strcmp(model, "e1000e") == 0 ? V2K_NIC_E1000E
                                                 : V2K_NIC_E1000;
    else if (strcmp(model, "virtio-net") == 0 || strcmp(model, "virtio") == 0)
        n->model = V2K_NIC_VIRTIO;
    else if (strcmp(model, "pcnet") == 0)
        n->model = V2K_NIC_PCNET;
    else
        n->model = V2K_NIC_UNKNOWN;
    return 0;
}

static int
list_of_strings(const struct xen_ctx *x, const char *key,
                const struct v2k_xlcfg_setting **out)
{
    const struct v2k_xlcfg_setting *st = v2k_xlcfg_get(x->c, key);

    *out = NULL;
    if (st == NULL)
        return 0;
    if (st->type != V2K_XLCFG_LIST) {
        v2k_error("%s:%u: %s: expected a list [ '...', ... ]", x->name,
                  st->line, key);
        return -1;
    }
    for (size_t i = 0; i < st->nitems; i++)
        if (st->items[i].type != V2K_XLCFG_STRING) {
            v2k_error("%s:%u: %s: item %zu is not a quoted string", x->name,
                      st->items[i].line, key, i + 1);
            return -1;
        }
    *out = st;
    return 0;
}

static int
copy_string(const struct xen_ctx *x, const char *key, char **field)
{
    const char *v;
    int r = v2k_xlcfg_get_string(x->c, key, &v);

    if (r <= 0)
        return r;
    *field = v2k_strdup(v);
    return *field ? 0 : -1;
}

/* The larger of two MiB / count settings: 0 when neither is set, 1 with
 * *out and the key it came from (a 0 anywhere wins: it is an error). */
static int
get_max(const struct xen_ctx *x, const char *k1, const char *k2,
        uint64_t *out, const char **which)
{
    uint64_t a = 0, b = 0;
    int ra = v2k_xlcfg_get_u64(x->c, k1, &a);
    int rb = ra == -1 ? -1 : v2k_xlcfg_get_u64(x->c, k2, &b);

    if (ra == -1 || rb == -1)
        return -1;
    if (ra == 0 && rb == 0)
        return 0;
    if (ra == 1 && a == 0) {
        *which = k1;
        *out = 0;
    } else if (rb == 1 && b == 0) {
        *which = k2;
        *out = 0;
    } else {
        *which = b > a ? k2 : k1;
        *out = b > a ? b : a;
    }
    return 1;
}

static int
parse_machine(struct xen_ctx *x, struct v2k_source *s)
{
    const char *type, *builder, *v, *which;
    uint64_t mem, n;
    int r;

    if (v2k_xlcfg_get_string(x->c, "type", &type) == -1 ||
        v2k_xlcfg_get_string(x->c, "builder", &builder) == -1)
        return -1;
    if (type == NULL)       /* xm: builder = "hvm"; default pv */
        type = builder && strcmp(builder, "hvm") == 0 ? "hvm" : "pv";
    if (strcmp(type, "pv") != 0 && strcmp(type, "pvh") != 0 &&
        strcmp(type, "hvm") != 0) {
        v2k_error("%s:%u: type: '%s' is not pv, pvh or hvm", x->name,
                  v2k_xlcfg_get(x->c, "type")->line, type);
        return -1;
    }
    x->hvm = strcmp(type, "hvm") == 0;
    s->xen_pv = !x->hvm;
    if ((s->xen_type = v2k_strdup(type)) == NULL)
        return -1;
    if (s->xen_pv && (s->console = v2k_strdup("hvc0")) == NULL)
        return -1;

    if (copy_string(x, "name", &s->name) == -1 ||
        copy_string(x, "uuid", &s->uuid) == -1 ||
        copy_string(x, "bootloader", &s->bootloader) == -1 ||
        copy_string(x, "kernel", &s->kernel) == -1 ||
        copy_string(x, "ramdisk", &s->ramdisk) == -1 ||
        copy_string(x, "cmdline", &s->cmdline) == -1)
        return -1;
    /* xm HVM configs name hvmloader as the kernel: not a guest kernel. */
    if (x->hvm && s->kernel && strlen(s->kernel) >= 9 &&
        strcmp(s->kernel + strlen(s->kernel) - 9, "hvmloader") == 0) {
        free(s->kernel);
        s->kernel = NULL;
    }
    if (s->cmdline == NULL) {       /* older: root = "...", extra = "..." */
        const char *root, *extra;
        if (v2k_xlcfg_get_string(x->c, "root", &root) == -1 ||
            v2k_xlcfg_get_string(x->c, "extra", &extra) == -1)
            return -1;
        if (root || extra) {
            s->cmdline = v2k_asprintf("%s%s%s%s", root ? "root=" : "",
                                      root ? root : "",
                                      root && extra ? " " : "",
                                      extra ? extra : "");
            if (s->cmdline == NULL)
                return -1;
        }
    }
    if (s->uuid && strlen(s->uuid) != 36) {
        v2k_error("%s:%u: uuid: '%s' is not a UUID", x->name,
                  v2k_xlcfg_get(x->c, "uuid")->line, s->uuid);
        return -1;
    }

    r = get_max(x, "memory", "maxmem", &mem, &which);
    if (r == -1)
        return -1;
    if (r == 1) {
        if (mem == 0 || mem > (V2K_MAX_MEMORY_BYTES >> 20)) {
            v2k_error("%s:%u: %s: %llu MiB is out of range (1 MiB to 16 TiB)",
                      x->name, v2k_xlcfg_get(x->c, which)->line, which,
                      (unsigned long long)mem);
            return -1;
        }
        s->memory_bytes = mem << 20;
    }
    r = get_max(x, "vcpus", "maxvcpus", &n, &which);
    if (r == -1)
        return -1;
    if (r == 1 && (n == 0 || n > V2K_MAX_VCPUS)) {
        v2k_error("%s:%u: %s: %llu is out of range (1 to %d)", x->name,
                  v2k_xlcfg_get(x->c, which)->line, which,
                  (unsigned long long)n, V2K_MAX_VCPUS);
        return -1;
    }
    s->vcpus = r == 1 ? (unsigned)n : 1;        /* xl's default: 1 */

    if (!x->hvm) {
        const struct v2k_xlcfg_setting *vfb;
        if (list_of_strings(x, "vfb", &vfb) == -1)
            return -1;
        s->firmware = V2K_FW_UNKNOWN;
        s->video = vfb && vfb->nitems ? V2K_VIDEO_XEN : V2K_VIDEO_UNKNOWN;
        return 0;
    }
    /* HVM: bios = "seabios" | "rombios" | "ovmf"; newer firmware = "uefi" */
    if (v2k_xlcfg_get_string(x->c, "bios", &v) == -1)
        return -1;
    s->firmware = v && strcmp(v, "ovmf") == 0 ? V2K_FW_UEFI : V2K_FW_BIOS;
    if (v2k_xlcfg_get_string(x->c, "firmware", &v) == -1)
        return -1;
    if (v && (strcmp(v, "uefi") == 0 || strcmp(v, "ovmf") == 0))
        s->firmware = V2K_FW_UEFI;
    /* vga = "stdvga" | "cirrus" | "none"; older stdvga = 1.  Cirrus is
     * the default (xl.cfg(5)). */
    s->video = V2K_VIDEO_CIRRUS;
    if (v2k_xlcfg_get_u64(x->c, "stdvga", &n) == -1)
        return -1;
    if (v2k_xlcfg_get(x->c, "stdvga") && n)
        s->video = V2K_VIDEO_VGA;
    if (v2k_xlcfg_get_string(x->c, "vga", &v) == -1)
        return -1;
    if (v && strcmp(v, "stdvga") == 0)
        s->video = V2K_VIDEO_VGA;
    else if (v && strcmp(v, "none") == 0)
        s->video = V2K_VIDEO_UNKNOWN;
    r = v2k_xlcfg_get_u64(x->c, "videoram", &n);
    if (r == -1)
        return -1;
    if (r == 1 && n <= 1024)
        s->video_ram_bytes = n << 20;
    return copy_string(x, "soundhw", &s->sound);
}

/* Parse a configuration held in memory.  name is used in messages,
 * basedir resolves relative disk paths (NULL: keep them as written).
 * With local, each disk is opened to learn its format and size. */
static struct v2k_source *
xen_parse(const char *buf, size_t len, const char *name,
          const char *basedir, bool local)
{
    struct v2k_xlcfg *c = v2k_xlcfg_parse(buf, len, name);
    struct xen_ctx x = { .c = c, .name = name, .basedir = basedir,
                         .local = local };
    const struct v2k_xlcfg_setting *disks, *vifs;
    struct v2k_source *s;

    if (c == NULL)
        return NULL;
    s = v2k_source_new();
    if (s == NULL)
        goto fail;
    s->hypervisor = V2K_HV_XEN;
    if (parse_machine(&x, s) == -1)
        goto fail;
    if (list_of_strings(&x, "disk", &disks) == -1 ||
        list_of_strings(&x, "vif", &vifs) == -1)
        goto fail;
    if (disks == NULL || disks->nitems == 0) {
        v2k_error("%s: no disks (disk = [ ... ])", name);
        goto fail;
    }
    for (size_t i = 0; i < disks->nitems; i++)
        if (parse_disk(&x, s, &disks->items[i]) == -1)
            goto fail;
    for (size_t i = 0; vifs && i < vifs->nitems; i++)
        if (parse_vif(&x, s, &vifs->items[i]) == -1)
            goto fail;
    v2k_xlcfg_free(c);
    return s;
fail:
    v2k_xlcfg_free(c);
    v2k_source_free(s);
    return NULL;
}

/* The fuzz entry point (inputs-internal.h): no file, no network. */
struct v2k_source *
v2k_xen_parse_buffer(const char *buf, size_t len, const char *name)
{
    return xen_parse(buf, len, name, NULL, false);
}

/* --- Local configuration files (inputs-internal.h) ------------------ */

int
v2k_input_read_local(const char *path, size_t max, char **buf, size_t *len,
                     char real[PATH_MAX])
{
    CLEANUP_FREE char *dir = NULL;

    *buf = v2k_read_regular_file(path, max, len);
    if (*buf == NULL)
        return -1;
    dir = v2k_dirname(path);
    if (dir == NULL)
        goto fail;
    if (realpath(dir, real) == NULL) {
        v2k_error_errno(errno, "%s", dir);
        goto fail;
    }
    return 0;
fail:
    free(*buf);
    *buf = NULL;
    return -1;
}

/* --- Remote sources over SFTP (inputs-internal.h) ------------------- */

char *
v2k_input_remote_base(const char *ic, const char *scheme)
{
    size_t n = strlen(scheme);
    const char *a, *e, *at;
    CLEANUP_FREE char *red = NULL;

    if (strncasecmp(ic, scheme, n) != 0 || strncmp(ic + n, "://", 3) != 0) {
        v2k_error("-ic '%s': expected %s://[USER@]HOST[:PORT]", ic, scheme);
        return NULL;
    }
    a = ic + n + 3;
    e = a + strcspn(a, "/?#");
    if (e == a || (*e && strcmp(e, "/") != 0)) {
        v2k_error("-ic '%s': expected %s://[USER@]HOST[:PORT] (no path or query)", ic, scheme);
        return NULL;
    }
    at = memchr(a, '@', (size_t)(e - a));
    if (at && memchr(a, ':', (size_t)(at - a))) {
        red = v2k_uri_redact(ic);
        v2k_error("-ic '%s': a password in the URI is not allowed (give a password file with -ip FILE)", red ? red : scheme);
        return NULL;
    }
    return v2k_asprintf("sftp://%.*s", (int)(e - a), a);
}

char *
v2k_input_remote_uri(const char *base, const char *path)
{
    CLEANUP_FREE char *abs = NULL;

    if (path[0] != '/') {
        abs = v2k_asprintf("/~/%s", path);
        if (abs == NULL)
            return NULL;
        path = abs;
    }
    return v2k_uri_resolve(base, path);
}

bool
v2k_input_remote_enoent(void)
{
    /* transport-sftp.c's message for CURLE_REMOTE_FILE_NOT_FOUND */
    return strstr(v2k_error_message(), ": no such file on ") != NULL;
}

char *
v2k_input_remote_read(const char *uri, const struct v2k_remote_opts *ropts,
                      size_t max, size_t *len)
{
    struct v2k_transport *t = v2k_transport_open_uri(uri, ropts);
    const char *nul;
    char *buf = NULL;

    if (t == NULL)
        return NULL;
    if (t->size > max) {
        v2k_error("%s: %llu bytes is more than the %zu allowed", t->name,
                  (unsigned long long)t->size, max);
        goto out;
    }
    buf = v2k_malloc((size_t)t->size + 1);
    if (buf == NULL)
        goto out;
    if (t->size && v2k_transport_pread(t, buf, (size_t)t->size, 0) == -1) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[t->size] = '\0';
    nul = memchr(buf, '\0', (size_t)t->size);
    if (nul) {
        v2k_error("%s: not a text file (NUL byte at offset %zu)", t->name,
                  (size_t)(nul - buf));
        free(buf);
        buf = NULL;
        goto out;
    }
    *len = (size_t)t->size;
out:
    v2k_transport_close(t);
    return buf;
}

/* d->backing_chain from what the reader opened under img (a VMDK
 * snapshot's parents, a qcow2 overlay's backing files). */
static int
record_backing_chain(struct v2k_disk *d, struct v2k_image *img)
{
    size_t n = 0, k = 0;

    if (img->fmt->backing == NULL)
        return 0;
    for (struct v2k_image *b = img->fmt->backing(img); b;
         b = b->fmt->backing ? b->fmt->backing(b) : NULL)
        n++;
    if (n == 0)
        return 0;
    v2k_strv_free(d->backing_chain);
    d->backing_chain = v2k_calloc(n + 1, sizeof *d->backing_chain);
    if (d->backing_chain == NULL)
        return -1;
    for (struct v2k_image *b = img->fmt->backing(img); b && k < n;
         b = b->fmt->backing ? b->fmt->backing(b) : NULL)
        if ((d->backing_chain[k++] = v2k_strdup(v2k_image_name(b))) == NULL)
            return -1;
    return 0;
}

int
v2k_input_open_disk(struct v2k_disk *d, const struct v2k_remote_opts *ropts,
                    const struct v2k_open_opts *oopts)
{
    /* Remote images follow only backing names next to them (the
     * transport decides, v2k_transport_may_follow). */
    struct v2k_open_opts defaults = { .confine_dir = d->confine_dir };
    struct v2k_transport *t = v2k_transport_open_uri(d->path, ropts);
    struct v2k_image *img =
        t ? v2k_image_open_transport(t, d->format, oopts ? oopts : &defaults)
          : NULL;
    const char *kind;

    if (img == NULL)
        return -1;
    if (d->format == NULL)
        d->format = v2k_strdup(img->fmt->name);
    d->size_bytes = img->size;
    if (record_backing_chain(d, img) == -1) {
        v2k_image_close(img);
        return -1;
    }
    kind = img->transport->ops->kind;
    if (img->transport->is_block_device)
        d->transport = V2K_TRANSPORT_BLOCK;
    else if (strcmp(kind, "sftp") == 0)
        d->transport = V2K_TRANSPORT_SFTP;
    else if (strcmp(kind, "https") == 0)
        d->transport = V2K_TRANSPORT_HTTPS;
    else if (strcmp(kind, "archive") == 0)
        d->transport = V2K_TRANSPORT_ARCHIVE;
    else
        d->transport = V2K_TRANSPORT_FILE;
    v2k_image_close(img);
    return d->format ? 0 : -1;
}

/* The guest's configuration over SFTP: -io xen-config=PATH or the
 * places xl(1) and the xendomains script use. */
static char *
xen_fetch_remote(const struct v2k_options *o, const char *base,
                 const struct v2k_remote_opts *ropts, char **path,
                 size_t *len)
{
    const char *name = o->sources[0];
    char *paths[3] = { NULL, NULL, NULL };
    size_t npaths = 0;
    char *buf = NULL, *uri = NULL;

    if (o->xen_config) {
        paths[npaths++] = v2k_strdup(o->xen_config);
    } else {
        paths[npaths++] = v2k_asprintf("/etc/xen/%s.cfg", name);
        paths[npaths++] = v2k_asprintf("/etc/xen/%s", name);
        paths[npaths++] = v2k_asprintf("/etc/xen/auto/%s.cfg", name);
    }
    for (size_t i = 0; i < npaths && buf == NULL; i++) {
        uri = paths[i] ? v2k_input_remote_uri(base, paths[i]) : NULL;
        if (uri == NULL)
            goto out;
        buf = v2k_input_remote_read(uri, ropts, V2K_XLCFG_MAX_SIZE, len);
        free(uri);
        if (buf == NULL && (!v2k_input_remote_enoent() || o->xen_config))
            goto out;
        if (buf) {
            *path = paths[i];
            paths[i] = NULL;
        }
    }
    if (buf == NULL)
        v2k_error("guest '%s' not found on %s (no %s, %s or %s)", name,
                  base + strlen("sftp://"), paths[0], paths[1], paths[2]);
out:
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    return buf;
}

static struct v2k_source *
xen_setup_remote(const struct v2k_options *o)
{
    CLEANUP_FREE char *base = NULL;
    CLEANUP_FREE char *path = NULL;
    CLEANUP_FREE char *abs = NULL;
    CLEANUP_FREE char *uri = NULL;
    CLEANUP_FREE char *dir = NULL;
    CLEANUP_FREE char *buf = NULL;
    struct v2k_remote_opts ropts;
    struct v2k_source *s = NULL;
    size_t len = 0;

    if (o->nsources != 1 || strchr(o->sources[0], '/') ||
        o->sources[0][0] == '\0') {
        v2k_error("-i xen: with -ic give the guest's NAME");
        return NULL;
    }
    v2k_options_remote_opts(o, &ropts);
    base = v2k_input_remote_base(o->input_uri, "xen+ssh");
    if (base == NULL)
        goto fail;
    buf = xen_fetch_remote(o, base, &ropts, &path, &len);
    if (buf == NULL)
        goto fail;
    /* Relative disk paths: relative to the file's remote directory. */
    abs = path[0] == '/' ? v2k_strdup(path) : v2k_asprintf("/~/%s", path);
    uri = abs ? v2k_input_remote_uri(base, abs) : NULL;
    dir = abs ? v2k_dirname(abs) : NULL;
    if (uri == NULL || dir == NULL)
        goto fail;
    s = xen_parse(buf, len, uri, dir, false);
    if (s == NULL)
        goto fail;
    if (s->name == NULL && (s->name = v2k_strdup(o->sources[0])) == NULL)
        goto fail;
    for (size_t i = 0; i < s->ndisks; i++) {
        struct v2k_disk *d = &s->disks[i];
        char *u;
        if (d->path == NULL)
            continue;
        if ((u = v2k_input_remote_uri(base, d->path)) == NULL)
            goto fail;
        free(d->path);
        d->path = u;
        d->transport = V2K_TRANSPORT_SFTP;
        if (v2k_input_default_raw(d, &ropts, uri) == -1)
            goto fail;
        if (d->device == V2K_DEV_DISK &&
            v2k_input_open_disk(d, &ropts, NULL) == -1) {
            v2k_error_prepend("%s: disk %s: ", uri,
                              d->target_dev ? d->target_dev : "");
            goto fail;
        }
    }
    if (s->memory_bytes == 0 && o->memory_bytes == 0) {
        v2k_error("%s: no memory setting (give --memory)", uri);
        goto fail;
    }
    return s;
fail:
    v2k_source_free(s);
    v2k_error_prepend("-i xen: ");
    return NULL;
}

static struct v2k_source *
xen_open(const struct v2k_options *o,
         __attribute__((unused)) void **state)
{
    static const char *const exts[] = { ".cfg", ".hvm", ".pv", NULL };
    CLEANUP_FREE char *buf = NULL;
    char real[PATH_MAX];
    struct v2k_source *s;
    const char *nul;
    size_t len;

    if (o->input_uri)
        return xen_setup_remote(o);
    if (o->nsources != 1) {
        v2k_error("-i xen: give one xl.cfg file");
        return NULL;
    }
    if (v2k_input_read_local(o->sources[0], V2K_XLCFG_MAX_SIZE, &buf, &len,
                             real) == -1)
        goto fail;
    nul = memchr(buf, '\0', len);
    if (nul) {
        v2k_error("%s: not a text file (NUL byte at offset %zu)",
                  o->sources[0], (size_t)(nul - buf));
        goto fail;
    }
    s = xen_parse(buf, len, o->sources[0], real, true);
    if (s == NULL)
        goto fail;
    if (s->name == NULL) {
        s->name = v2k_basename_noext(o->sources[0], exts);
        if (s->name == NULL) {
            v2k_source_free(s);
            goto fail;
        }
    }
    if (s->memory_bytes == 0 && o->memory_bytes == 0) {
        v2k_error("%s: no memory setting (give --memory)", o->sources[0]);
        v2k_source_free(s);
        goto fail;
    }
    return s;
fail:
    v2k_error_prepend("-i xen: ");
    return NULL;
}

const struct v2k_input v2k_input_xen = {
    .name = "xen",
    .help = "a Xen guest's xl.cfg (or xm) file given as SOURCE, or with "
            "-ic xen+ssh://HOST the guest's NAME",
    .open = xen_open,
};
