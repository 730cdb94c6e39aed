/* ova-ovf.c - the OVF descriptor (see ova-internal.h and ova.c). */
#include "cleanup.h"
#include "error.h"
#include "format.h"
#include "log.h"
#include "ova-internal.h"
#include "transport.h"
#include "util.h"
#include "xml-util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define OVA_MAX_DEVICES 256

struct ova_ctrl {
    char *id;                   /* rasd:InstanceID */
    enum v2k_bus bus;
    int index;                  /* nth controller of this bus */
};

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
        if (!v2k_xml_is(c, elem))
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
    return v2k_xml_is(n, "Item") || v2k_xml_is(n, "StorageItem") ||
           v2k_xml_is(n, "EthernetPortItem");
}

static int
item_type(const char *where, const xmlNode *it)
{
    CLEANUP_FREE char *rt = v2k_xml_child_text(it, "ResourceType");
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
    CLEANUP_FREE char *q = v2k_xml_child_text(it, "VirtualQuantity");
    CLEANUP_FREE char *u = v2k_xml_child_text(it, "AllocationUnits");
    uint64_t v;

    if (type == 3) {
        CLEANUP_FREE char *cps = v2k_xml_child_text(it, "CoresPerSocket");
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
    CLEANUP_FREE char *st = v2k_xml_child_text(it, "ResourceSubType");

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
    CLEANUP_FREE char *st = v2k_xml_child_text(it, "ResourceSubType");
    CLEANUP_FREE char *conn = v2k_xml_child_text(it, "Connection");
    CLEANUP_FREE char *mac = v2k_xml_child_text(it, "Address");
    struct v2k_nic *n = v2k_source_add_nic(s);

    if (n == NULL)
        return -1;
    n->model = V2K_NIC_UNKNOWN;
    for (size_t i = 0; st && i < V2K_ARRAY_SIZE(models); i++)
        if (strcasecmp(st, models[i].t) == 0)
            n->model = models[i].m;
    n->net_type = V2K_NET_NETWORK;
    /* VirtualBox exports its NAT attachment as Connection "NAT": the
     * host's NAT, which is libvirt's "default" network (as -i vbox maps
     * <NAT/>, inputs/vbox.c). */
    if (conn && s->hypervisor == V2K_HV_VIRTUALBOX &&
        strcmp(conn, "NAT") == 0)
        conn[0] = '\0';
    n->network = v2k_strdup(conn && *conn ? conn : "default");
    if (n->network == NULL)
        return -1;
    if (mac && *mac) {
        char norm[18];
        if (!v2k_parse_mac(mac, true, norm)) {
            v2k_error("%s:%d: NIC Address '%s' is not a MAC address", where,
                      it->line, mac);
            return -1;
        }
        if ((n->mac = v2k_strdup(norm)) == NULL)
            return -1;
    }
    return 0;
}

/* The bus and slot of a drive item: its Parent controller's bus, and
 * AddressOnParent counted across controllers of that bus. */
static void
place(struct v2k_disk *d, const xmlNode *it, const struct ova_ctrl *ctrls,
      size_t nctrl)
{
    CLEANUP_FREE char *parent = v2k_xml_child_text(it, "Parent");
    CLEANUP_FREE char *aop = v2k_xml_child_text(it, "AddressOnParent");
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
    CLEANUP_FREE char *hr = v2k_xml_child_text(it, "HostResource");
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
    if (href == NULL || v2k_ova_check_href(p, href) == -1) {
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
        uint64_t csize = 0, ssize = 0;
        /* Only checks: a value we cannot read disables its check. */
        if (chunk && v2k_parse_u64(chunk, "chunkSize", &csize) == -1)
            csize = 0;
        if (fsize && v2k_parse_u64(fsize, "size", &ssize) == -1)
            ssize = 0;
        v2k_error_clear();
        d->transport = V2K_TRANSPORT_FILE;
        d->path = v2k_ova_unpack_to_tmp(p, href, gzip, chunk != NULL, csize,
                                        ssize, capacity);
        if (d->path == NULL)
            return -1;
        t = v2k_transport_file_open(d->path);
    } else {
        d->transport = p->tar ? V2K_TRANSPORT_ARCHIVE : V2K_TRANSPORT_FILE;
        d->path = v2k_asprintf("%s/%s", p->tar ? p->tar : p->dir, href);
        if (d->path == NULL)
            return -1;
        t = v2k_ova_open_file(p, href);
    }
    if (t == NULL)
        return -1;
    /* Extents and backing files stay inside the package (a tar member's
     * do by construction), or next to what we unpacked. */
    if (d->transport == V2K_TRANSPORT_FILE) {
        d->confine_dir = gzip || chunk ? v2k_dirname(d->path)
                                       : v2k_strdup(p->dir);
        if (d->confine_dir == NULL) {
            v2k_transport_close(t);
            return -1;
        }
        opts.confine_dir = d->confine_dir;
    }
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
            nc[nctrl].id = v2k_xml_child_text(it, "InstanceID");
            if (nc[nctrl++].id == NULL) {
                v2k_error("%s:%d: controller <Item> has no InstanceID",
                          where, it->line);
                goto out;
            }
        }
        if (type == 24) {
            for (xmlNode *c = it->children; c; c = c->next) {
                CLEANUP_FREE char *k = v2k_xml_is(c, "Config") ? v2k_xml_prop(c, "key")
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
            char *st = v2k_xml_child_text(it, "ResourceSubType");
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
        if (!v2k_xml_is(c, "Config"))
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
    xmlNode *hw = v2k_xml_child(m, "Hardware");

    s->hypervisor = V2K_HV_VIRTUALBOX;
    fw = v2k_xml_prop(v2k_xml_child(hw, "Firmware"), "type");
    if (fw)
        s->firmware = strncmp(fw, "EFI", 3) == 0 ? V2K_FW_UEFI : V2K_FW_BIOS;
}

/* VirtualBox's OVF items carry no MAC: take the enabled adapters' MACs
 * from <vbox:Machine>, in slot order as VirtualBox exports the items. */
static int
vbox_macs(struct v2k_source *s, const xmlNode *m)
{
    size_t k = 0;

    for (xmlNode *a = v2k_xml_child(v2k_xml_child(v2k_xml_child(m, "Hardware"), "Network"),
                            "Adapter");
         a && k < s->nnics; a = a->next) {
        CLEANUP_FREE char *en = NULL, *mac = NULL;
        bool ok;
        if (!v2k_xml_is(a, "Adapter"))
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

struct v2k_source *
v2k_ovf_parse(struct ova *p, const char *buf, size_t len, const char *where)
{
    struct v2k_source *s = NULL;
    xmlNode *root, *vs = NULL, *vhs, *os;

    if ((p->doc = v2k_xml_parse(buf, len, where, OVF_MAX_SIZE)) == NULL)
        return NULL;
    root = xmlDocGetRootElement(p->doc);
    if (!v2k_xml_is(root, "Envelope")) {
        v2k_error("%s: the root element is <%s>, not <Envelope>", where,
                  root ? (const char *)root->name : "");
        return NULL;
    }
    p->refs = v2k_xml_child(root, "References");
    if (p->refs == NULL) {
        v2k_error("%s: <Envelope> has no <References>", where);
        return NULL;
    }
    p->disks = v2k_xml_child(root, "DiskSection");
    vs = v2k_xml_child(root, "VirtualSystem");
    if (vs == NULL)     /* a one-VM <VirtualSystemCollection> */
        vs = v2k_xml_child(v2k_xml_child(root, "VirtualSystemCollection"), "VirtualSystem");
    if (vs == NULL) {
        v2k_error("%s: <Envelope> has no <VirtualSystem>", where);
        return NULL;
    }
    vhs = v2k_xml_child(vs, "VirtualHardwareSection");
    if (vhs == NULL) {
        v2k_error("%s: <VirtualSystem> has no <VirtualHardwareSection>",
                  where);
        return NULL;
    }
    if ((s = v2k_source_new()) == NULL)
        return NULL;
    s->hypervisor = V2K_HV_VMWARE;
    /* An OVF that names no firmware leaves it to the disk (firmware.h). */
    s->firmware = V2K_FW_UNKNOWN;
    s->video = V2K_VIDEO_VMVGA;
    s->vcpus = 1;
    if (v2k_xml_dup_into(&s->name, v2k_xml_child_text(vs, "Name")) == -1)
        goto fail;
    if (s->name == NULL && v2k_xml_dup_into(&s->name, v2k_xml_prop(vs, "id")) == -1)
        goto fail;
    if (s->name == NULL || *s->name == '\0') {
        v2k_error("%s: <VirtualSystem> has no Name or ovf:id", where);
        goto fail;
    }
    os = v2k_xml_child(vs, "OperatingSystemSection");
    if (os && v2k_xml_dup_into(&s->os_hint, v2k_xml_prop(os, "osType")) == -1)
        goto fail;
    if (os && s->os_hint == NULL &&
        v2k_xml_dup_into(&s->os_hint, v2k_xml_child_text(os, "Description")) == -1)
        goto fail;
    {
        CLEANUP_FREE char *vst = v2k_xml_child_text(v2k_xml_child(vhs, "System"),
                                      "VirtualSystemType");
        if (vst && strncasecmp(vst, "virtualbox", 10) == 0)
            s->hypervisor = V2K_HV_VIRTUALBOX;
    }
    if (v2k_xml_child(vs, "Machine"))
        parse_vbox_machine(s, v2k_xml_child(vs, "Machine"));
    if (s->hypervisor == V2K_HV_VIRTUALBOX)
        s->video = V2K_VIDEO_VBOX;
    if (parse_hardware(p, where, s, vhs) == -1)
        goto fail;
    if (v2k_xml_child(vs, "Machine") && vbox_macs(s, v2k_xml_child(vs, "Machine")) == -1)
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
