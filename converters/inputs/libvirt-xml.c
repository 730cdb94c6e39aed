/* inputs/libvirt-xml.c - -i libvirtxml FILE.xml: any libvirt domain.
 *
 * The XML is what `virsh dumpxml` prints (libvirt's formatdomain.html),
 * for any domain type: kvm, qemu, xen, vmware, vbox...  Mapped: name,
 * uuid, <memory unit=...> (the maximum, as libvirt means it), <vcpu>,
 * <cpu><topology>, <os> (type hvm / linux / xen / xenpv / xenpvh, the
 * loader and firmware='efi' for UEFI, secure boot, kernel / initrd /
 * cmdline), <bootloader>, disks (file / block / network sources, driver
 * type, target dev and bus), interfaces (mac, bridge / network / direct
 * source, model), video model and vram, sound model, libosinfo's OS id.
 * Graphics carry nothing the source model keeps.
 *
 * libxml2 parses it without network access, entity substitution or a
 * DTD (a document with one is refused), from a buffer so that a remote
 * variant can reuse libvirtxml_parse.  Relative paths are relative to
 * the file's directory; local disks are opened read-only for their
 * format and size, and a missing one is an error naming the <disk>.
 */
#include "cleanup.h"
#include "error.h"
#include "format.h"
#include "input.h"
#include "inputs-internal.h"
#include "log.h"
#include "util.h"
#include "xml-util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define LIBVIRTXML_MAX_SIZE (4U << 20)

struct lx_ctx {
    const char *name;           /* the file, for messages */
    const char *basedir;
    bool local;
};

/* libvirt's units (formatdomain.html "Memory Allocation"); KiB default. */
static int
mem_bytes(const struct lx_ctx *x, const xmlNode *n, uint64_t *out)
{
    static const struct { const char *u; uint64_t m; } units[] = {
        { "b", 1 }, { "bytes", 1 },
        { "KB", 1000 }, { "k", 1024 }, { "KiB", 1024 },
        { "MB", 1000000 }, { "M", 1 << 20 }, { "MiB", 1 << 20 },
        { "GB", 1000000000 }, { "G", 1 << 30 }, { "GiB", 1 << 30 },
        { "TB", 1000000000000ULL }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
    };
    CLEANUP_FREE char *unit = v2k_xml_prop(n, "unit");
    CLEANUP_FREE char *v = v2k_xml_text(n);
    uint64_t num, mul = 1024;
    bool found = unit == NULL;

    for (size_t i = 0; unit && i < V2K_ARRAY_SIZE(units); i++)
        if (strcmp(unit, units[i].u) == 0) {
            mul = units[i].m;
            found = true;
        }
    if (!found) {
        v2k_error("%s: <%s unit='%s'>: unknown unit", x->name, n->name, unit);
        return -1;
    }
    if (v == NULL || v2k_parse_u64(v, (const char *)n->name, &num) == -1) {
        v2k_error("%s:%d: <%s>: '%s' is not a whole number", x->name,
                  n->line, n->name, v ? v : "");
        return -1;
    }
    if (num == 0 || V2K_MUL_OVERFLOW(num, mul, out) ||
        *out > V2K_MAX_MEMORY_BYTES) {
        v2k_error("%s:%d: <%s>: %s %s is out of range (1 byte to 16 TiB)",
                  x->name, n->line, n->name, v, unit ? unit : "KiB");
        return -1;
    }
    return 0;
}

static int
uint_text(const struct lx_ctx *x, const xmlNode *n, unsigned max,
          unsigned *out)
{
    CLEANUP_FREE char *v = v2k_xml_text(n);
    uint64_t num;

    if (v == NULL || v2k_parse_u64(v, (const char *)n->name, &num) == -1 ||
        num == 0 || num > max) {
        v2k_error("%s:%d: <%s>: '%s' is out of range (1 to %u)", x->name,
                  n->line, n->name, v ? v : "", max);
        return -1;
    }
    *out = (unsigned)num;
    return 0;
}

static int
uint_prop(const struct lx_ctx *x, const xmlNode *n, const char *name,
          unsigned max, unsigned *out)
{
    CLEANUP_FREE char *v = v2k_xml_prop(n, name);
    uint64_t num;

    if (v == NULL)
        return 0;
    if (v2k_parse_u64(v, name, &num) == -1 || num > max) {
        v2k_error("%s:%d: <%s %s='%s'>: out of range (0 to %u)", x->name,
                  n->line, n->name, name, v, max);
        return -1;
    }
    *out = (unsigned)num;
    return 0;
}

static enum v2k_bus
bus_of(const char *bus)
{
    static const struct { const char *s; enum v2k_bus b; } t[] = {
        { "ide", V2K_BUS_IDE }, { "sata", V2K_BUS_SATA },
        { "scsi", V2K_BUS_SCSI }, { "virtio", V2K_BUS_VIRTIO_BLK },
        { "xen", V2K_BUS_XEN }, { "fdc", V2K_BUS_FLOPPY },
        { "nvme", V2K_BUS_NVME },
    };
    for (size_t i = 0; bus && i < V2K_ARRAY_SIZE(t); i++)
        if (strcmp(bus, t[i].s) == 0)
            return t[i].b;
    return V2K_BUS_UNKNOWN;
}

/* Index of the letters after the prefix's 'd': "vdb" -> 1, "xvda" -> 0,
 * "sdaa" -> 26; -1 when there are none ("nvme0n1"). */
static int
dev_slot(const char *dev)
{
    const char *d = strchr(dev, 'd');
    size_t k = 0;
    int idx = 0;

    if (d == NULL)
        return -1;
    d++;
    while (d[k] >= 'a' && d[k] <= 'z' && k < 4)
        idx = idx * 26 + (d[k++] - 'a' + 1);
    return k ? idx - 1 : -1;
}

/* s percent-escaped for a URI's path or query (RFC 3986 2.3: the
 * unreserved characters and '/' stay); NULL on ENOMEM. */
static char *
uri_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = v2k_malloc(strlen(s) * 3 + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || strchr("-._~/", ch)) {
            *o++ = (char)ch;
        } else {
            *o++ = '%';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        }
    }
    *o = '\0';
    return out;
}

/* The NBD URI of <source protocol='nbd' name='EXPORT' [tls='yes']> with
 * <host name='H' [port='P']/> (nbd://H:P/EXPORT) or <host
 * transport='unix' socket='PATH'/> (nbd+unix:///EXPORT?socket=PATH), as
 * libvirt's domain XML describes NBD disks (formatdomain: "nbd"). */
static char *
nbd_uri(const struct lx_ctx *x, xmlNode *n, xmlNode *src, xmlNode *h,
        const char *what)
{
    CLEANUP_FREE char *sname = v2k_xml_prop(src, "name");
    CLEANUP_FREE char *tls = v2k_xml_prop(src, "tls");
    CLEANUP_FREE char *host = v2k_xml_prop(h, "name");
    CLEANUP_FREE char *port = v2k_xml_prop(h, "port");
    CLEANUP_FREE char *tr = v2k_xml_prop(h, "transport");
    CLEANUP_FREE char *sock = v2k_xml_prop(h, "socket");
    CLEANUP_FREE char *eexp = NULL;
    CLEANUP_FREE char *esock = NULL;
    const char *scheme = tls && strcmp(tls, "yes") == 0 ? "nbds" : "nbd";

    if ((eexp = uri_escape(sname ? sname : "")) == NULL)
        return NULL;
    if (tr && strcmp(tr, "unix") == 0) {
        if (sock == NULL || sock[0] != '/') {
            v2k_error("%s:%d: <disk> %s: <host transport='unix'> needs an absolute socket='PATH'", x->name, n->line, what);
            return NULL;
        }
        if ((esock = uri_escape(sock)) == NULL)
            return NULL;
        return v2k_asprintf("%s+unix:///%s?socket=%s", scheme, eexp, esock);
    }
    if (tr && strcmp(tr, "tcp") != 0) {
        v2k_error("%s:%d: <disk> %s: NBD over transport '%s' is not supported (tcp or unix)", x->name, n->line, what, tr);
        return NULL;
    }
    if (host == NULL) {
        v2k_error("%s:%d: <disk> %s: <source protocol='nbd'> has no <host name=...> or <host transport='unix' socket=...>", x->name, n->line, what);
        return NULL;
    }
    if (strchr(host, ':'))              /* an IPv6 address */
        return v2k_asprintf("%s://[%s]%s%s/%s", scheme, host,
                            port ? ":" : "", port ? port : "", eexp);
    return v2k_asprintf("%s://%s%s%s/%s", scheme, host, port ? ":" : "",
                        port ? port : "", eexp);
}

static int
parse_disk(const struct lx_ctx *x, struct v2k_source *s, xmlNode *n,
           bool virtio_scsi)
{
    CLEANUP_FREE char *type = v2k_xml_prop(n, "type");
    CLEANUP_FREE char *device = v2k_xml_prop(n, "device");
    xmlNode *src = v2k_xml_child(n, "source");
    xmlNode *tgt = v2k_xml_child(n, "target");
    CLEANUP_FREE char *dtype = v2k_xml_prop(v2k_xml_child(n, "driver"), "type");
    CLEANUP_FREE char *dev = v2k_xml_prop(tgt, "dev");
    CLEANUP_FREE char *bus = v2k_xml_prop(tgt, "bus");
    CLEANUP_FREE char *path = NULL;
    CLEANUP_FREE char *where = NULL;
    struct v2k_disk *d;
    const char *what = dev ? dev : "?";

    if (type == NULL && (type = v2k_strdup("file")) == NULL)
        return -1;
    if (strcmp(type, "file") == 0) {
        path = v2k_xml_prop(src, "file");
    } else if (strcmp(type, "block") == 0) {
        path = v2k_xml_prop(src, "dev");
    } else if (strcmp(type, "network") == 0) {
        CLEANUP_FREE char *proto = v2k_xml_prop(src, "protocol");
        CLEANUP_FREE char *sname = v2k_xml_prop(src, "name");
        xmlNode *h = v2k_xml_child(src, "host");
        CLEANUP_FREE char *host = v2k_xml_prop(h, "name");
        CLEANUP_FREE char *port = v2k_xml_prop(h, "port");
        /* Only what formats/ can read (transport-uri.c): https and nbd
         * (over TCP, or a Unix socket); plain http is refused there, so
         * here too, for --print-source as for the copy. */
        if (proto == NULL ||
            (strcmp(proto, "https") != 0 && strcmp(proto, "nbd") != 0)) {
            v2k_error("%s:%d: <disk> %s: network protocol '%s' is not supported (only https and nbd)", x->name, n->line, what,
                      proto ? proto : "");
            return -1;
        }
        if (strcmp(proto, "nbd") == 0) {
            path = nbd_uri(x, n, src, h, what);
            if (path == NULL)
                return -1;
        } else {
            if (host == NULL) {
                v2k_error("%s:%d: <disk> %s: <source protocol='%s'> has no <host name=...>", x->name, n->line, what, proto);
                return -1;
            }
            path = v2k_asprintf("%s://%s%s%s/%s", proto, host,
                                port ? ":" : "", port ? port : "",
                                sname ? sname : "");
            if (path == NULL)
                return -1;
        }
    } else if (strcmp(type, "volume") == 0) {
        v2k_error("%s:%d: <disk type='volume'> %s: storage pool volumes are not supported (give the volume's path)", x->name,
                  n->line, what);
        return -1;
    } else {
        v2k_error("%s:%d: <disk type='%s'> %s: unknown disk type", x->name,
                  n->line, type, what);
        return -1;
    }
    d = v2k_source_add_disk(s);
    if (d == NULL)
        return -1;
    if (device == NULL || strcmp(device, "disk") == 0 ||
        strcmp(device, "lun") == 0)
        d->device = V2K_DEV_DISK;
    else if (strcmp(device, "cdrom") == 0)
        d->device = V2K_DEV_CDROM;
    else if (strcmp(device, "floppy") == 0)
        d->device = V2K_DEV_FLOPPY;
    else {
        v2k_error("%s:%d: <disk device='%s'> %s: unknown device", x->name,
                  n->line, device, what);
        return -1;
    }
    if (d->device == V2K_DEV_DISK && (path == NULL || *path == '\0')) {
        v2k_error("%s:%d: <disk> %s: <source> names no %s", x->name, n->line,
                  what, strcmp(type, "block") == 0 ? "dev" : "file");
        return -1;
    }
    if (dev && (d->target_dev = v2k_strdup(dev)) == NULL)
        return -1;
    d->bus = bus_of(bus);
    if (d->bus == V2K_BUS_SCSI && virtio_scsi)
        d->bus = V2K_BUS_VIRTIO_SCSI;
    d->slot = dev ? dev_slot(dev) : -1;
    if (dtype && strcmp(dtype, "aio") != 0 &&
        (d->format = v2k_strdup(dtype)) == NULL)
        return -1;
    if (path && *path) {
        if (strcmp(type, "network") == 0) {
            d->path = v2k_strdup(path);
            d->transport = strncmp(path, "nbd", 3) == 0 ? V2K_TRANSPORT_NBD
                                                        : V2K_TRANSPORT_HTTPS;
            return d->path ? 0 : -1;
        }
        d->path = v2k_path_resolve(x->basedir, path);
        if (d->path == NULL)
            return -1;
        /* A local domain XML's files stay in its directory
         * (pathpolicy.h). */
        if (x->local && x->basedir &&
            (d->confine_dir = v2k_strdup(x->basedir)) == NULL)
            return -1;
        d->transport = strcmp(type, "block") == 0 ? V2K_TRANSPORT_BLOCK
                                                   : V2K_TRANSPORT_FILE;
    }
    if (!x->local || d->device != V2K_DEV_DISK)
        return 0;
    where = v2k_asprintf("%s:%d: <disk> %s", x->name, n->line, what);
    if (where == NULL || v2k_input_default_raw(d, NULL, where) == -1)
        return -1;
    if (v2k_input_open_disk(d, NULL, NULL) == -1) {
        v2k_error_prepend("%s:%d: <disk> %s: ", x->name, n->line, what);
        return -1;
    }
    return 0;
}

static int
parse_interface(const struct lx_ctx *x, struct v2k_source *s, xmlNode *n)
{
    static const struct { const char *s; enum v2k_nic_model m; } models[] = {
        { "virtio", V2K_NIC_VIRTIO }, { "e1000", V2K_NIC_E1000 },
        { "e1000e", V2K_NIC_E1000E }, { "rtl8139", V2K_NIC_RTL8139 },
        { "pcnet", V2K_NIC_PCNET }, { "vmxnet3", V2K_NIC_VMXNET3 },
        { "netfront", V2K_NIC_XEN }, { "virtio-transitional", V2K_NIC_VIRTIO },
        { "virtio-non-transitional", V2K_NIC_VIRTIO },
        { "Am79C970A", V2K_NIC_PCNET }, { "Am79C973", V2K_NIC_PCNET },
        { "82540EM", V2K_NIC_E1000 }, { "82543GC", V2K_NIC_E1000 },
        { "82545EM", V2K_NIC_E1000 },
    };
    CLEANUP_FREE char *type = v2k_xml_prop(n, "type");
    CLEANUP_FREE char *mac = v2k_xml_prop(v2k_xml_child(n, "mac"), "address");
    CLEANUP_FREE char *model = v2k_xml_prop(v2k_xml_child(n, "model"), "type");
    xmlNode *src = v2k_xml_child(n, "source");
    char *net = NULL, macbuf[18];
    struct v2k_nic *nic = v2k_source_add_nic(s);

    if (nic == NULL)
        return -1;
    if (mac && !v2k_parse_mac(mac, false, macbuf)) {
        v2k_error("%s:%d: <interface><mac address='%s'>: not a MAC address",
                  x->name, n->line, mac);
        return -1;
    }
    if (mac && (nic->mac = v2k_strdup(macbuf)) == NULL)
        return -1;
    nic->net_type = V2K_NET_NETWORK;
    if (type && strcmp(type, "bridge") == 0) {
        nic->net_type = V2K_NET_BRIDGE;
        net = v2k_xml_prop(src, "bridge");
    } else if (type && strcmp(type, "network") == 0) {
        net = v2k_xml_prop(src, "network");
    } else if (type && strcmp(type, "direct") == 0) {
        /* macvtap on a host device: kept as it is (formatdomain
         * "Direct attachment to physical interface"). */
        nic->net_type = V2K_NET_DIRECT;
        net = v2k_xml_prop(src, "dev");
        if (v2k_xml_dup_into(&nic->direct_mode,
                             v2k_xml_prop(src, "mode")) == -1) {
            xmlFree(net);
            return -1;
        }
    }
    if (v2k_xml_dup_into(&nic->network, net) == -1)
        return -1;
    if (nic->network == NULL && (nic->network = v2k_strdup("default")) == NULL)
        return -1;
    nic->model = V2K_NIC_UNKNOWN;
    for (size_t i = 0; model && i < V2K_ARRAY_SIZE(models); i++)
        if (strcmp(model, models[i].s) == 0)
            nic->model = models[i].m;
    if (model == NULL && s->hypervisor == V2K_HV_XEN && s->xen_pv)
        nic->model = V2K_NIC_XEN;
    return 0;
}

static int
parse_os(struct v2k_source *s, xmlNode *dom, const char *domtype)
{
    xmlNode *os = v2k_xml_child(dom, "os");
    CLEANUP_FREE char *ostype = v2k_xml_text(v2k_xml_child(os, "type"));
    CLEANUP_FREE char *fw = v2k_xml_prop(os, "firmware");
    xmlNode *loader = v2k_xml_child(os, "loader");
    CLEANUP_FREE char *ltype = v2k_xml_prop(loader, "type");
    CLEANUP_FREE char *secure = v2k_xml_prop(loader, "secure");
    CLEANUP_FREE char *lpath = v2k_xml_text(loader);

    s->firmware = V2K_FW_BIOS;
    if ((fw && strcmp(fw, "efi") == 0) ||
        (ltype && strcmp(ltype, "pflash") == 0) ||
        (lpath && (strstr(lpath, "OVMF") || strstr(lpath, "ovmf") ||
                   strstr(lpath, "edk2"))))
        s->firmware = V2K_FW_UEFI;
    s->secure_boot = secure && strcmp(secure, "yes") == 0;
    if (os) {
        for (xmlNode *f = v2k_xml_child(v2k_xml_child(os, "firmware"), "feature"); f;
             f = f->next) {
            CLEANUP_FREE char *en = NULL;
            CLEANUP_FREE char *nm = NULL;
            if (!v2k_xml_is(f, "feature"))
                continue;
            en = v2k_xml_prop(f, "enabled");
            nm = v2k_xml_prop(f, "name");
            if (en && nm && strcmp(nm, "secure-boot") == 0)
                s->secure_boot = strcmp(en, "yes") == 0;
        }
    }
    /* Xen PV: <os><type>linux</type> (older libvirt) or xenpv; PVH:
     * xenpvh (formatdomain.html "Operating system booting"). */
    if (strcmp(domtype, "xen") == 0 && ostype &&
        (strcmp(ostype, "linux") == 0 || strcmp(ostype, "xenpv") == 0 ||
         strcmp(ostype, "xenpvh") == 0)) {
        s->xen_pv = true;
        s->firmware = V2K_FW_UNKNOWN;
        if ((s->xen_type = v2k_strdup(strcmp(ostype, "xenpvh") == 0
                                          ? "pvh" : "pv")) == NULL ||
            (s->console = v2k_strdup("hvc0")) == NULL)
            return -1;
    } else if (strcmp(domtype, "xen") == 0) {
        if ((s->xen_type = v2k_strdup("hvm")) == NULL)
            return -1;
    }
    if (v2k_xml_dup_into(&s->kernel, v2k_xml_text(v2k_xml_child(os, "kernel"))) == -1 ||
        v2k_xml_dup_into(&s->ramdisk, v2k_xml_text(v2k_xml_child(os, "initrd"))) == -1 ||
        v2k_xml_dup_into(&s->cmdline, v2k_xml_text(v2k_xml_child(os, "cmdline"))) == -1 ||
        v2k_xml_dup_into(&s->bootloader, v2k_xml_text(v2k_xml_child(dom, "bootloader"))) == -1)
        return -1;
    return 0;
}

static int
parse_devices(const struct lx_ctx *x, struct v2k_source *s, xmlNode *dom)
{
    xmlNode *devs = v2k_xml_child(dom, "devices");
    bool virtio_scsi = false;

    for (xmlNode *c = devs ? devs->children : NULL; c; c = c->next) {
        CLEANUP_FREE char *t = NULL;
        CLEANUP_FREE char *m = NULL;
        if (!v2k_xml_is(c, "controller"))
            continue;
        t = v2k_xml_prop(c, "type");
        m = v2k_xml_prop(c, "model");
        if (t && m && strcmp(t, "scsi") == 0 && strncmp(m, "virtio", 6) == 0)
            virtio_scsi = true;
    }
    for (xmlNode *c = devs ? devs->children : NULL; c; c = c->next) {
        if (v2k_xml_is(c, "disk") && parse_disk(x, s, c, virtio_scsi) == -1)
            return -1;
        if (v2k_xml_is(c, "interface") && parse_interface(x, s, c) == -1)
            return -1;
        if (v2k_xml_is(c, "video") && s->video == V2K_VIDEO_UNKNOWN) {
            static const struct { const char *s; enum v2k_video v; } t[] = {
                { "vga", V2K_VIDEO_VGA }, { "cirrus", V2K_VIDEO_CIRRUS },
                { "vmvga", V2K_VIDEO_VMVGA }, { "qxl", V2K_VIDEO_QXL },
                { "virtio", V2K_VIDEO_VIRTIO }, { "xen", V2K_VIDEO_XEN },
                { "vbox", V2K_VIDEO_VBOX },
            };
            xmlNode *m = v2k_xml_child(c, "model");
            CLEANUP_FREE char *type = v2k_xml_prop(m, "type");
            unsigned vram = 0;
            for (size_t i = 0; type && i < V2K_ARRAY_SIZE(t); i++)
                if (strcmp(type, t[i].s) == 0)
                    s->video = t[i].v;
            /* vram is in KiB; 1 GiB is far more than any card has */
            if (uint_prop(x, m, "vram", 1U << 20, &vram) == -1)
                return -1;
            s->video_ram_bytes = (uint64_t)vram << 10;
        }
        if (v2k_xml_is(c, "sound") && s->sound == NULL &&
            v2k_xml_dup_into(&s->sound, v2k_xml_prop(c, "model")) == -1)
            return -1;
    }
    return 0;
}

/* libosinfo's OS id, where virt-install / virt-manager record it. */
static int
parse_osinfo(struct v2k_source *s, xmlNode *dom)
{
    for (xmlNode *m = v2k_xml_child(dom, "metadata") ? v2k_xml_child(dom, "metadata")->children
                                             : NULL; m; m = m->next) {
        if (!v2k_xml_is(m, "libosinfo"))
            continue;
        return v2k_xml_dup_into(&s->os_hint, v2k_xml_prop(v2k_xml_child(m, "os"), "id"));
    }
    return 0;
}

static struct v2k_source *
libvirtxml_parse(const char *buf, size_t len, const char *name,
                 const char *basedir, bool local)
{
    static const struct { const char *t; enum v2k_hypervisor h; } hvs[] = {
        { "kvm", V2K_HV_KVM }, { "qemu", V2K_HV_KVM }, { "xen", V2K_HV_XEN },
        { "vmware", V2K_HV_VMWARE }, { "vbox", V2K_HV_VIRTUALBOX },
        { "hyperv", V2K_HV_HYPERV },
    };
    struct lx_ctx x = { .name = name, .basedir = basedir, .local = local };
    CLEANUP_XMLDOC xmlDoc *doc = v2k_xml_parse(buf, len, name,
                                               LIBVIRTXML_MAX_SIZE);
    struct v2k_source *s = NULL;
    CLEANUP_FREE char *type = NULL;
    xmlNode *dom, *n;

    if (doc == NULL)
        return NULL;
    dom = xmlDocGetRootElement(doc);
    if (dom == NULL || !v2k_xml_is(dom, "domain")) {
        v2k_error("%s: the root element is <%s>, not <domain>", name,
                  dom ? (const char *)dom->name : "");
        goto fail;
    }
    type = v2k_xml_prop(dom, "type");
    if (type == NULL) {
        v2k_error("%s: <domain> has no type attribute", name);
        goto fail;
    }
    if ((s = v2k_source_new()) == NULL)
        goto fail;
    s->hypervisor = V2K_HV_UNKNOWN;
    for (size_t i = 0; i < V2K_ARRAY_SIZE(hvs); i++)
        if (strcmp(type, hvs[i].t) == 0)
            s->hypervisor = hvs[i].h;
    if (v2k_xml_dup_into(&s->name, v2k_xml_text(v2k_xml_child(dom, "name"))) == -1 ||
        v2k_xml_dup_into(&s->uuid, v2k_xml_text(v2k_xml_child(dom, "uuid"))) == -1)
        goto fail;
    if (s->name == NULL || *s->name == '\0') {
        v2k_error("%s: <domain> has no <name>", name);
        goto fail;
    }
    n = v2k_xml_child(dom, "memory");
    if (n == NULL) {
        v2k_error("%s: <domain> has no <memory>", name);
        goto fail;
    }
    if (mem_bytes(&x, n, &s->memory_bytes) == -1)
        goto fail;
    s->vcpus = 1;
    n = v2k_xml_child(dom, "vcpu");
    if (n && uint_text(&x, n, V2K_MAX_VCPUS, &s->vcpus) == -1)
        goto fail;
    n = v2k_xml_child(v2k_xml_child(dom, "cpu"), "topology");
    if (n && (uint_prop(&x, n, "sockets", V2K_MAX_VCPUS, &s->sockets) == -1 ||
              uint_prop(&x, n, "cores", V2K_MAX_VCPUS, &s->cores) == -1 ||
              uint_prop(&x, n, "threads", V2K_MAX_VCPUS, &s->threads) == -1))
        goto fail;
    if (parse_os(s, dom, type) == -1 || parse_osinfo(s, dom) == -1 ||
        parse_devices(&x, s, dom) == -1)
        goto fail;
    if (s->ndisks == 0) {
        v2k_error("%s: <devices> has no <disk>", name);
        goto fail;
    }
    return s;
fail:
    v2k_source_free(s);
    return NULL;
}

/* The fuzz entry point (inputs-internal.h): no file, no network. */
struct v2k_source *
v2k_libvirtxml_parse_buffer(const char *buf, size_t len, const char *name)
{
    return libvirtxml_parse(buf, len, name, NULL, false);
}

static struct v2k_source *
libvirtxml_open(const struct v2k_options *o,
                __attribute__((unused)) void **state)
{
    CLEANUP_FREE char *buf = NULL;
    char real[PATH_MAX];
    struct v2k_source *s = NULL;
    size_t len;

    if (o->nsources != 1) {
        v2k_error("-i libvirtxml: give one libvirt domain XML file");
        return NULL;
    }
    if (o->input_uri) {
        v2k_error("-i libvirtxml: -ic is not used with a local XML file");
        return NULL;
    }
    if (v2k_input_read_local(o->sources[0], LIBVIRTXML_MAX_SIZE, &buf, &len, real) == 0)
        s = libvirtxml_parse(buf, len, o->sources[0], real, true);
    if (s == NULL)
        v2k_error_prepend("-i libvirtxml: ");
    return s;
}

const struct v2k_input v2k_input_libvirtxml = {
    .name = "libvirtxml",
    .help = "a libvirt domain XML file (virsh dumpxml) given as SOURCE",
    .open = libvirtxml_open,
};
