/* inputs/vbox.c - -i vbox FILE.vbox: a VirtualBox 5.x/6.x/7.0 machine.
 *
 * The .vbox is VirtualBox's settings XML (namespace
 * http://www.virtualbox.org/, written by src/VBox/Main/xml/Settings.cpp):
 *   <Machine uuid="{...}" name= OSType=>
 *     <MediaRegistry><HardDisks><HardDisk uuid= location= format=>
 *         <HardDisk .../>   a differencing child (a snapshot's image)
 *       </HardDisk></HardDisks><DVDImages><Image uuid= location=/>...
 *     <Hardware><CPU count=/><Memory RAMSize= (MiB)/><Firmware type=/>
 *       <Display controller= VRAMSize= (MiB)/><AudioAdapter .../>
 *       <Network><Adapter slot= enabled= MACAddress= type=>
 *           <NAT/> | <BridgedInterface name=/> | <InternalNetwork name=/>
 *           | <HostOnlyInterface name=/> | <NATNetwork name=/>
 *       <StorageControllers><StorageController name= type=>
 *           <AttachedDevice type=HardDisk|DVD|Floppy port= device=>
 *             <Image uuid=/>
 * (StorageControllers sits under Machine in settings before 1.16.)
 * The current state is what Machine/Hardware attaches: with snapshots,
 * the newest differencing image, read through its parents, which are
 * the HardDisk elements around it in the registry; we hand their
 * locations to the VDI reader as parent candidates (parent_chain).
 * Locations are relative to the .vbox's directory.
 *
 * vbox_parse works on a buffer.  -ic vbox+ssh://[USER@]HOST[:PORT] NAME
 * fetches ~/VirtualBox VMs/NAME/NAME.vbox (VirtualBox's default machine
 * folder) or -io vbox-file=PATH over SFTP; the disks become sftp://
 * URIs and a differencing chain's parents are named relative to the
 * image (the only names the VDI reader follows over a remote transport).
 */
#include "cleanup.h"
#include "domain-xml.h"
#include "error.h"
#include "format.h"
#include "input.h"
#include "inputs-internal.h"
#include "log.h"
#include "util.h"
#include "xml-util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define VBOX_MAX_SIZE (16U << 20)
#define VBOX_MAX_PORTS 256

struct vbox_ctx {
    const char *name;
    const char *basedir;
    bool local;
    xmlNode *machine;
    xmlNode *registry;
};

static bool
prop_true(const xmlNode *n, const char *name)
{
    CLEANUP_FREE char *v = v2k_xml_prop(n, name);
    return v && strcmp(v, "true") == 0;
}

/* An unsigned attribute; 0 when absent (*out untouched), 1 when set. */
static int
uint_attr(const struct vbox_ctx *x, const xmlNode *n, const char *attr,
          uint64_t max, uint64_t *out)
{
    CLEANUP_FREE char *v = v2k_xml_prop(n, attr);
    uint64_t num;

    if (v == NULL)
        return 0;
    if (v2k_parse_u64(v, attr, &num) == -1 || num > max) {
        v2k_error("%s:%d: <%s %s='%s'>: not a number from 0 to %llu",
                  x->name, n->line, n->name, attr, v,
                  (unsigned long long)max);
        return -1;
    }
    *out = num;
    return 1;
}

/* "{01234567-...}" and "01234567-..." compare equal, in any case. */
static bool
uuid_eq(const char *a, const char *b)
{
    size_t la, lb;

    if (*a == '{')
        a++;
    if (*b == '{')
        b++;
    la = strcspn(a, "}");
    lb = strcspn(b, "}");
    return la == lb && strncasecmp(a, b, la) == 0;
}

/* The HardDisk (or Image) with uuid under n, searched depth first;
 * anc[] gets its ancestors, outermost first. */
static xmlNode *
find_medium(xmlNode *n, const char *elem, const char *uuid, xmlNode **anc,
            size_t depth, size_t *nanc)
{
    if (depth >= V2K_MAX_CHAIN_DEPTH)
        return NULL;
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
        CLEANUP_FREE char *u = NULL;
        xmlNode *hit;
        if (!v2k_xml_is(c, elem))
            continue;
        u = v2k_xml_prop(c, "uuid");
        if (u && uuid_eq(u, uuid)) {
            *nanc = depth;
            return c;
        }
        anc[depth] = c;
        hit = find_medium(c, elem, uuid, anc, depth + 1, nanc);
        if (hit)
            return hit;
    }
    return NULL;
}

static const char *
vbox_format(const char *f)
{
    static const char *const known[] = { "vdi", "vmdk", "vhd", "raw" };
    for (size_t i = 0; f && i < V2K_ARRAY_SIZE(known); i++)
        if (strcasecmp(f, known[i]) == 0)
            return known[i];
    return NULL;
}

/* The medium's location, resolved; NULL with an error naming it. */
static char *
medium_path(const struct vbox_ctx *x, const xmlNode *m)
{
    CLEANUP_FREE char *loc = v2k_xml_prop(m, "location");
    CLEANUP_FREE char *u = v2k_xml_prop(m, "uuid");

    if (loc == NULL || *loc == '\0') {
        v2k_error("%s:%d: <%s uuid='%s'> has no location", x->name, m->line,
                  m->name, u ? u : "");
        return NULL;
    }
    return v2k_path_resolve(x->basedir, loc);
}

static int
attach_disk(const struct vbox_ctx *x, struct v2k_disk *d, const xmlNode *ad,
            const char *uuid)
{
    xmlNode *anc[V2K_MAX_CHAIN_DEPTH];
    size_t nanc = 0;
    xmlNode *hd = find_medium(v2k_xml_child(x->registry, "HardDisks"), "HardDisk",
                              uuid, anc, 0, &nanc);
    CLEANUP_FREE char *fmt = NULL;
    const char *f;
    struct v2k_open_opts opts = { 0 };
    struct v2k_image *img;

    if (hd == NULL) {
        v2k_error("%s:%d: <AttachedDevice><Image uuid='%s'>: no HardDisk with this uuid in the MediaRegistry", x->name, ad->line,
                  uuid);
        return -1;
    }
    fmt = v2k_xml_prop(hd, "format");
    f = vbox_format(fmt);
    if (f == NULL) {
        v2k_error("%s:%d: <HardDisk uuid='%s' format='%s'>: format not supported (VDI, VMDK, VHD)", x->name, hd->line, uuid,
                  fmt ? fmt : "");
        return -1;
    }
    if ((d->format = v2k_strdup(f)) == NULL ||
        (d->path = medium_path(x, hd)) == NULL)
        return -1;
    if (nanc) {
        d->parent_chain = v2k_calloc(nanc + 1, sizeof *d->parent_chain);
        if (d->parent_chain == NULL)
            return -1;
        /* Nearest parent first: the order the reader will want them. */
        for (size_t i = 0; i < nanc; i++)
            if ((d->parent_chain[i] = medium_path(x, anc[nanc - 1 - i])) ==
                NULL)
                return -1;
    }
    d->transport = V2K_TRANSPORT_FILE;
    if (!x->local)
        return 0;
    /* A local .vbox's media stay in its directory (pathpolicy.h). */
    if ((d->confine_dir = v2k_strdup(x->basedir)) == NULL)
        return -1;
    opts.parent_candidates = (const char *const *)d->parent_chain;
    opts.confine_dir = d->confine_dir;
    img = v2k_image_open(d->path, d->format, &opts);
    if (img == NULL) {
        v2k_error_prepend("%s:%d: <HardDisk uuid='%s'>: ", x->name, hd->line,
                          uuid);
        return -1;
    }
    d->size_bytes = img->size;
    v2k_image_close(img);
    return 0;
}

static int
parse_controller(const struct vbox_ctx *x, struct v2k_source *s,
                 const xmlNode *sc)
{
    static const struct { const char *t; enum v2k_bus b; } types[] = {
        { "PIIX3", V2K_BUS_IDE }, { "PIIX4", V2K_BUS_IDE },
        { "ICH6", V2K_BUS_IDE }, { "AHCI", V2K_BUS_SATA },
        { "IntelAhci", V2K_BUS_SATA }, { "LsiLogic", V2K_BUS_SCSI },
        { "BusLogic", V2K_BUS_SCSI }, { "LsiLogicSas", V2K_BUS_SCSI },
        { "NVMe", V2K_BUS_NVME }, { "VirtioSCSI", V2K_BUS_VIRTIO_SCSI },
        { "I82078", V2K_BUS_FLOPPY }, { "USB", V2K_BUS_UNKNOWN },
    };
    CLEANUP_FREE char *type = v2k_xml_prop(sc, "type");
    enum v2k_bus bus = V2K_BUS_UNKNOWN;
    bool found = false;

    for (size_t i = 0; type && i < V2K_ARRAY_SIZE(types); i++)
        if (strcmp(type, types[i].t) == 0) {
            bus = types[i].b;
            found = true;
        }
    if (!found) {
        v2k_error("%s:%d: <StorageController type='%s'>: unknown controller",
                  x->name, sc->line, type ? type : "");
        return -1;
    }
    for (xmlNode *ad = sc->children; ad; ad = ad->next) {
        CLEANUP_FREE char *dt = NULL;
        CLEANUP_FREE char *uuid = NULL;
        uint64_t port = 0, dev = 0;
        struct v2k_disk *d;

        if (!v2k_xml_is(ad, "AttachedDevice"))
            continue;
        dt = v2k_xml_prop(ad, "type");
        if (uint_attr(x, ad, "port", VBOX_MAX_PORTS, &port) == -1 ||
            uint_attr(x, ad, "device", 1, &dev) == -1)
            return -1;
        uuid = v2k_xml_prop(v2k_xml_child(ad, "Image"), "uuid");
        if ((d = v2k_source_add_disk(s)) == NULL)
            return -1;
        d->bus = bus;
        d->slot = (int)(bus == V2K_BUS_IDE ? port * 2 + dev : port);
        if (dt && strcmp(dt, "HardDisk") == 0) {
            d->device = V2K_DEV_DISK;
            if (uuid == NULL) {
                v2k_error("%s:%d: <AttachedDevice type='HardDisk'> has no <Image uuid=...>", x->name, ad->line);
                return -1;
            }
            if (attach_disk(x, d, ad, uuid) == -1)
                return -1;
        } else if (dt && (strcmp(dt, "DVD") == 0 ||
                          strcmp(dt, "Floppy") == 0)) {
            bool dvd = strcmp(dt, "DVD") == 0;
            xmlNode *anc[V2K_MAX_CHAIN_DEPTH], *img = NULL;
            size_t nanc;
            d->device = dvd ? V2K_DEV_CDROM : V2K_DEV_FLOPPY;
            d->format = v2k_strdup("raw");
            if (d->format == NULL)
                return -1;
            if (uuid)
                img = find_medium(v2k_xml_child(x->registry, dvd ? "DVDImages"
                                                         : "FloppyImages"),
                                  "Image", uuid, anc, 0, &nanc);
            if (uuid && img == NULL)
                v2k_warning("%s:%d: %s image %s is not in the MediaRegistry: the drive is left empty",
                            x->name, ad->line, dt, uuid);
            if (img && (d->path = medium_path(x, img)) == NULL)
                return -1;
        } else {
            v2k_error("%s:%d: <AttachedDevice type='%s'>: unknown device type", x->name, ad->line, dt ? dt : "");
            return -1;
        }
    }
    return 0;
}

static int
parse_adapter(const struct vbox_ctx *x, struct v2k_source *s,
              const xmlNode *a)
{
    static const struct { const char *t; enum v2k_nic_model m; } types[] = {
        { "Am79C970A", V2K_NIC_PCNET }, { "Am79C973", V2K_NIC_PCNET },
        { "Am79C960", V2K_NIC_PCNET }, { "82540EM", V2K_NIC_E1000 },
        { "82543GC", V2K_NIC_E1000 }, { "82545EM", V2K_NIC_E1000 },
        { "virtio", V2K_NIC_VIRTIO },
    };
    CLEANUP_FREE char *mac = v2k_xml_prop(a, "MACAddress");
    CLEANUP_FREE char *type = v2k_xml_prop(a, "type");
    struct v2k_nic *n;
    const char *t = type ? type : "Am79C973";   /* Settings.cpp default */

    if (!prop_true(a, "enabled"))
        return 0;
    if ((n = v2k_source_add_nic(s)) == NULL)
        return -1;
    n->model = V2K_NIC_UNKNOWN;
    for (size_t i = 0; i < V2K_ARRAY_SIZE(types); i++)
        if (strcmp(t, types[i].t) == 0)
            n->model = types[i].m;
    if (mac) {
        bool ok = strlen(mac) == 12;
        for (int i = 0; ok && i < 12; i++)
            ok = strchr("0123456789abcdefABCDEF", mac[i]) != NULL;
        if (!ok) {
            v2k_error("%s:%d: <Adapter MACAddress='%s'>: not 12 hex digits",
                      x->name, a->line, mac);
            return -1;
        }
        n->mac = v2k_asprintf("%.2s:%.2s:%.2s:%.2s:%.2s:%.2s", mac, mac + 2,
                              mac + 4, mac + 6, mac + 8, mac + 10);
        if (n->mac == NULL)
            return -1;
        for (char *p = n->mac; *p; p++)
            if (*p >= 'A' && *p <= 'F')
                *p = (char)(*p - 'A' + 'a');
    }
    n->net_type = V2K_NET_NETWORK;
    for (xmlNode *c = a->children; c; c = c->next) {
        if (v2k_xml_is(c, "BridgedInterface")) {
            n->net_type = V2K_NET_BRIDGE;
            if (v2k_xml_dup_into(&n->network, v2k_xml_prop(c, "name")) == -1)
                return -1;
            break;
        }
        if (v2k_xml_is(c, "InternalNetwork") || v2k_xml_is(c, "HostOnlyInterface") ||
            v2k_xml_is(c, "NATNetwork") || v2k_xml_is(c, "GenericInterface")) {
            if (v2k_xml_dup_into(&n->network, v2k_xml_prop(c, "name")) == -1)
                return -1;
            break;
        }
        if (v2k_xml_is(c, "NAT"))
            break;
    }
    /* NAT (and no attachment): libvirt's "default" network is NAT. */
    if (n->network == NULL && (n->network = v2k_strdup("default")) == NULL)
        return -1;
    return 0;
}

static int
parse_hardware(const struct vbox_ctx *x, struct v2k_source *s,
               const xmlNode *hw)
{
    static const struct { const char *t; enum v2k_video v; } vids[] = {
        { "VBoxVGA", V2K_VIDEO_VBOX }, { "VBoxSVGA", V2K_VIDEO_VBOX },
        { "VMSVGA", V2K_VIDEO_VMVGA }, { "QemuRamFB", V2K_VIDEO_UNKNOWN },
    };
    xmlNode *mem = v2k_xml_child(hw, "Memory"), *n;
    uint64_t v = 1;
    CLEANUP_FREE char *fw = v2k_xml_prop(v2k_xml_child(hw, "Firmware"), "type");
    CLEANUP_FREE char *vc = NULL;

    if (uint_attr(x, v2k_xml_child(hw, "CPU"), "count", V2K_MAX_VCPUS, &v) == -1)
        return -1;
    if (v == 0) {
        v2k_error("%s:%d: <CPU count='0'>: out of range (1 to %d)", x->name,
                  v2k_xml_child(hw, "CPU")->line, V2K_MAX_VCPUS);
        return -1;
    }
    s->vcpus = (unsigned)v;
    v = 0;
    if (mem == NULL) {
        v2k_error("%s:%d: <Hardware> has no <Memory RAMSize=...>", x->name,
                  hw->line);
        return -1;
    }
    if (uint_attr(x, mem, "RAMSize", UINT64_MAX, &v) == -1)
        return -1;
    if (v == 0 || v > (V2K_MAX_MEMORY_BYTES >> 20)) {
        v2k_error("%s:%d: <Memory RAMSize='%llu'>: out of range (1 MiB to 16 TiB)", x->name, mem->line, (unsigned long long)v);
        return -1;
    }
    s->memory_bytes = v << 20;
    /* Firmware type: BIOS, EFI, EFI32, EFI64, EFIDUAL. */
    s->firmware = fw && strncmp(fw, "EFI", 3) == 0 ? V2K_FW_UEFI
                                                   : V2K_FW_BIOS;
    n = v2k_xml_child(hw, "Display");
    vc = v2k_xml_prop(n, "controller");
    s->video = V2K_VIDEO_VBOX;          /* VBoxVGA, the old default */
    for (size_t i = 0; vc && i < V2K_ARRAY_SIZE(vids); i++)
        if (strcmp(vc, vids[i].t) == 0)
            s->video = vids[i].v;
    v = 0;
    if (uint_attr(x, n, "VRAMSize", 1024, &v) == -1)
        return -1;
    s->video_ram_bytes = v << 20;
    n = v2k_xml_child(hw, "AudioAdapter");
    if (n && prop_true(n, "enabled")) {
        CLEANUP_FREE char *ac = v2k_xml_prop(n, "controller");
        s->sound = v2k_strdup(ac ? ac : "AC97");    /* default AC97 */
        if (s->sound == NULL)
            return -1;
    }
    for (n = v2k_xml_child(v2k_xml_child(hw, "Network"), "Adapter"); n; n = n->next)
        if (v2k_xml_is(n, "Adapter") && parse_adapter(x, s, n) == -1)
            return -1;
    return 0;
}

static struct v2k_source *
vbox_parse(const char *buf, size_t len, const char *name,
           const char *basedir, bool local)
{
    struct vbox_ctx x = { .name = name, .basedir = basedir, .local = local };
    CLEANUP_XMLDOC xmlDoc *doc = v2k_xml_parse(buf, len, name,
                                               VBOX_MAX_SIZE);
    struct v2k_source *s = NULL;
    xmlNode *root, *hw, *scs;

    if (doc == NULL)
        return NULL;
    root = xmlDocGetRootElement(doc);
    if (!v2k_xml_is(root, "VirtualBox")) {
        v2k_error("%s: the root element is <%s>, not <VirtualBox>", name,
                  root ? (const char *)root->name : "");
        goto fail;
    }
    x.machine = v2k_xml_child(root, "Machine");
    if (x.machine == NULL) {
        v2k_error("%s: <VirtualBox> has no <Machine>", name);
        goto fail;
    }
    x.registry = v2k_xml_child(x.machine, "MediaRegistry");
    hw = v2k_xml_child(x.machine, "Hardware");
    if (hw == NULL) {
        v2k_error("%s: <Machine> has no <Hardware>", name);
        goto fail;
    }
    if ((s = v2k_source_new()) == NULL)
        goto fail;
    s->hypervisor = V2K_HV_VIRTUALBOX;
    if (v2k_xml_dup_into(&s->name, v2k_xml_prop(x.machine, "name")) == -1 ||
        v2k_xml_dup_into(&s->os_hint, v2k_xml_prop(x.machine, "OSType")) == -1 ||
        v2k_xml_dup_into(&s->uuid, v2k_xml_prop(x.machine, "uuid")) == -1)
        goto fail;
    if (s->name == NULL || *s->name == '\0') {
        v2k_error("%s: <Machine> has no name", name);
        goto fail;
    }
    if (s->uuid && s->uuid[0] == '{') {         /* "{uuid}" -> "uuid" */
        size_t l = strcspn(s->uuid + 1, "}");
        memmove(s->uuid, s->uuid + 1, l);
        s->uuid[l] = '\0';
    }
    if (parse_hardware(&x, s, hw) == -1)
        goto fail;
    scs = v2k_xml_child(hw, "StorageControllers");
    if (scs == NULL)
        scs = v2k_xml_child(x.machine, "StorageControllers");   /* before 1.16 */
    for (xmlNode *c = scs ? scs->children : NULL; c; c = c->next)
        if (v2k_xml_is(c, "StorageController") && parse_controller(&x, s, c) == -1)
            goto fail;
    if (v2k_source_ncopied(s) == 0) {
        v2k_error("%s: the machine has no hard disk attached", name);
        goto fail;
    }
    return s;
fail:
    v2k_source_free(s);
    return NULL;
}

/* The fuzz entry point (inputs-internal.h): no file, no network. */
struct v2k_source *
v2k_vbox_parse_buffer(const char *buf, size_t len, const char *name)
{
    return vbox_parse(buf, len, name, NULL, false);
}

/* The path of "to" relative to the directory "from" (both absolute,
 * lexical: VirtualBox writes plain paths). */
static char *
relative_to(const char *from, const char *to)
{
    size_t i = 0, k, ups = 0;
    const char *rest;
    char *r;

    /* The common directory prefix, ending at a '/'. */
    for (k = 0; from[k] && from[k] == to[k]; k++)
        if (from[k] == '/')
            i = k + 1;
    if (from[k] == '\0' && to[k] == '/') {
        rest = to + k + 1;          /* to is inside from */
    } else {
        rest = to + i;
        for (const char *p = from + i; *p; p++)
            if (*p != '/' && (p == from + i || p[-1] == '/'))
                ups++;
    }
    r = v2k_malloc(ups * 3 + strlen(rest) + 1);
    if (r == NULL)
        return NULL;
    for (k = 0; k < ups; k++)
        memcpy(r + 3 * k, "../", 3);
    memcpy(r + 3 * ups, rest, strlen(rest) + 1);
    return r;
}

/* A disk of a remote .vbox: paths to URIs, parents relative, then open
 * it for its size. */
static int
vbox_remote_disk(struct v2k_disk *d, const char *base,
                 const struct v2k_remote_opts *ropts)
{
    struct v2k_open_opts oopts = { 0 };
    CLEANUP_FREE char *dir = NULL;
    char *u;

    if (d->path == NULL)
        return 0;
    dir = v2k_dirname(d->path);
    if (dir == NULL)
        return -1;
    for (size_t i = 0; d->parent_chain && d->parent_chain[i]; i++) {
        char *rel = relative_to(dir, d->parent_chain[i]);
        if (rel == NULL)
            return -1;
        free(d->parent_chain[i]);
        d->parent_chain[i] = rel;
    }
    if ((u = v2k_input_remote_uri(base, d->path)) == NULL)
        return -1;
    free(d->path);
    d->path = u;
    d->transport = V2K_TRANSPORT_SFTP;
    if (d->device != V2K_DEV_DISK)
        return 0;
    oopts.parent_candidates = (const char *const *)d->parent_chain;
    return v2k_input_open_disk(d, ropts, &oopts);
}

static struct v2k_source *
vbox_setup_remote(const struct v2k_options *o)
{
    CLEANUP_FREE char *base = NULL;
    CLEANUP_FREE char *path = NULL;
    CLEANUP_FREE char *uri = NULL;
    CLEANUP_FREE char *dir = NULL;
    CLEANUP_FREE char *buf = NULL;
    struct v2k_remote_opts ropts;
    struct v2k_source *s = NULL;
    const char *name = o->nsources == 1 ? o->sources[0] : "";
    size_t len = 0;

    if (o->nsources != 1 || *name == '\0' || strchr(name, '/')) {
        v2k_error("-i vbox: with -ic give the machine's NAME");
        return NULL;
    }
    v2k_options_remote_opts(o, &ropts);
    base = v2k_input_remote_base(o->input_uri, "vbox+ssh");
    if (base == NULL)
        goto fail;
    if (o->vbox_file)
        path = o->vbox_file[0] == '/' ? v2k_strdup(o->vbox_file)
                                      : v2k_asprintf("/~/%s", o->vbox_file);
    else
        path = v2k_asprintf("/~/VirtualBox VMs/%s/%s.vbox", name, name);
    uri = path ? v2k_input_remote_uri(base, path) : NULL;
    dir = path ? v2k_dirname(path) : NULL;
    if (uri == NULL || dir == NULL)
        goto fail;
    buf = v2k_input_remote_read(uri, &ropts, VBOX_MAX_SIZE, &len);
    if (buf == NULL) {
        if (v2k_input_remote_enoent() && o->vbox_file == NULL)
            v2k_error("machine '%s' not found on %s (no %s; give its location with -io vbox-file=PATH)", name,
                      base + strlen("sftp://"), path);
        goto fail;
    }
    s = vbox_parse(buf, len, uri, dir, false);
    if (s == NULL)
        goto fail;
    for (size_t i = 0; i < s->ndisks; i++)
        if (vbox_remote_disk(&s->disks[i], base, &ropts) == -1) {
            v2k_error_prepend("%s: disk %zu: ", uri, i + 1);
            goto fail;
        }
    return s;
fail:
    v2k_source_free(s);
    v2k_error_prepend("-i vbox: ");
    return NULL;
}

static struct v2k_source *
vbox_open(const struct v2k_options *o,
          __attribute__((unused)) void **state)
{
    CLEANUP_FREE char *buf = NULL;
    char real[PATH_MAX];
    struct v2k_source *s = NULL;
    size_t len;

    if (o->input_uri)
        return vbox_setup_remote(o);
    if (o->nsources != 1) {
        v2k_error("-i vbox: give one .vbox file");
        return NULL;
    }
    if (v2k_input_read_local(o->sources[0], VBOX_MAX_SIZE, &buf, &len, real) == 0)
        s = vbox_parse(buf, len, o->sources[0], real, true);
    if (s == NULL)
        v2k_error_prepend("-i vbox: ");
    return s;
}

const struct v2k_input v2k_input_vbox = {
    .name = "vbox",
    .help = "a VirtualBox machine's .vbox file given as SOURCE, or with "
            "-ic vbox+ssh://HOST the machine's NAME",
    .open = vbox_open,
};
