/* domain-xml.c - see domain-xml.h.  Element choices follow libvirt's
 * formatdomain documentation and what virt-manager/virt-install write for
 * the same guest types; every attribute goes through libxml2's writer
 * (escaping is its job, never string concatenation). */
#include "domain-xml.h"
#include "outfile.h"
#include "disk-names.h"
#include "error.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

size_t
v2k_source_ncopied(const struct v2k_source *s)
{
    size_t n = 0;

    for (size_t i = 0; i < s->ndisks; i++)
        n += s->disks[i].device == V2K_DEV_DISK;
    return n;
}

const char *
v2k_nic_hostdev(const struct v2k_nic *n, const struct v2k_netmap *maps,
                size_t nmaps)
{
    if (n->mac == NULL)
        return NULL;
    for (size_t k = 0; k < nmaps; k++)
        if (maps[k].kind == V2K_MAP_MAC && maps[k].to_hostdev &&
            strcasecmp(maps[k].in, n->mac) == 0)
            return maps[k].out;
    return NULL;
}

void
v2k_domain_opts_init(struct v2k_domain_opts *d, const struct v2k_options *o)
{
    memset(d, 0, sizeof *d);
    d->keep_uuid = o->keep_uuid;
    d->cpu = o->cpu;
    d->hugepages = o->hugepages;
    d->blkio_weight = o->blkio_weight;
    d->seclabel = o->seclabel;
    d->cpuset = o->cpu_pinning;
    d->netmaps = o->netmaps;
    d->nnetmaps = o->nnetmaps;
}

int
v2k_domain_uuid(const struct v2k_source *s, const struct v2k_domain_opts *d,
                char out[37])
{
    char hex[33];
    size_t n = 0;

    if (d->uuid) {
        snprintf(out, 37, "%s", d->uuid);
        return 0;
    }
    if (!d->keep_uuid)
        return v2k_uuid_generate(out);
    if (s->uuid == NULL) {
        v2k_error("-oo keep-uuid: the source has no UUID");
        return -1;
    }
    /* Sources spell UUIDs in several ways (VMware's "56 4d 12 ... -
     * ..."): keep the 32 hex digits, as libvirt's virUUIDParse does. */
    for (const char *p = s->uuid; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        if (n == 32 || !((*p >= '0' && *p <= '9') ||
                         (*p >= 'a' && *p <= 'f') ||
                         (*p >= 'A' && *p <= 'F'))) {
            n = 0;
            break;
        }
        hex[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    }
    if (n != 32) {
        v2k_error("-oo keep-uuid: the source's UUID '%s' is not a UUID",
                  s->uuid);
        return -1;
    }
    hex[32] = '\0';
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
             hex + 16, hex + 20);
    return 0;
}

/* Namespace of v2kvm's <metadata> element. */
#define V2K_XMLNS "urn:v2kvm:domain:1"

/* Every libxml2 writer call returns < 0 on failure: stop at the first. */
#define W(call)                                                           \
    do {                                                                  \
        if ((call) < 0)                                                   \
            goto out;                                                     \
    } while (0)
#define START(name) W(xmlTextWriterStartElement(w, BAD_CAST(name)))
#define END() W(xmlTextWriterEndElement(w))
#define ATTR(name, value)                                                 \
    W(xmlTextWriterWriteAttribute(w, BAD_CAST(name), BAD_CAST(value)))
#define TEXT(name, value)                                                 \
    W(xmlTextWriterWriteElement(w, BAD_CAST(name), BAD_CAST(value)))
#define STRING(value) W(xmlTextWriterWriteString(w, BAD_CAST(value)))
/* <name a1='v1'/> in one line. */
#define EMPTY1(name, a1, v1)                                              \
    do {                                                                  \
        START(name);                                                      \
        ATTR(a1, v1);                                                     \
        END();                                                            \
    } while (0)
#define EMPTY2(name, a1, v1, a2, v2)                                      \
    do {                                                                  \
        START(name);                                                      \
        ATTR(a1, v1);                                                     \
        ATTR(a2, v2);                                                     \
        END();                                                            \
    } while (0)

/* The virtio model name libvirt wants: modern devices, or transitional
 * ones (legacy + modern interfaces) for guests whose drivers predate
 * virtio 1.0 (libvirt formatdomain "Virtio transitional devices"). */
static const char *
virtio_model(const struct v2k_guestcaps *gc)
{
    return gc->virtio_1_0 ? "virtio" : "virtio-transitional";
}

static int
write_os(xmlTextWriterPtr w, const struct v2k_source *s,
         const struct v2k_guestcaps *gc)
{
    int r = -1;

    START("os");
    if (s->firmware == V2K_FW_UEFI)
        ATTR("firmware", "efi");
    START("type");
    ATTR("arch", "x86_64");
    ATTR("machine", v2k_machine_to_string(gc->machine));
    STRING("hvm");
    END();
    if (s->firmware == V2K_FW_UEFI) {
        /* libvirt picks an OVMF build with these features. */
        START("firmware");
        EMPTY2("feature", "enabled", s->secure_boot ? "yes" : "no",
               "name", "secure-boot");
        if (s->secure_boot)
            EMPTY2("feature", "enabled", "yes", "name", "enrolled-keys");
        END();
        if (s->secure_boot)
            EMPTY1("loader", "secure", "yes");
    }
    END();
    r = 0;
out:
    return r;
}

enum v2k_hyperv
v2k_hyperv_level(const struct v2k_guestcaps *gc, bool tcg)
{
    if (gc->family != V2K_OS_WINDOWS)
        return V2K_HYPERV_NONE;
    /* NT 5.x and older (2000, XP, 2003) predate Hyper-V and never look
     * at its CPUID leaves: nothing, not even the reference clock. */
    if (gc->win_major != 0 && gc->win_major < 6)
        return V2K_HYPERV_NONE;
    /* NT 10 (Windows 10, 11, Server 2016 and later) gets what
     * virt-install gives it.  Not under TCG: qemu (7.2) refuses to start
     * a TCG guest with hv-vpindex ("kernel doesn't allow setting HyperV
     * VP_INDEX"), and synic, stimer, tlbflush and ipi need it. */
    if (gc->win_major >= 10 && !tcg)
        return V2K_HYPERV_FULL;
    /* NT 6.x, unknown versions, TCG: virt-v2v's and virt-install's
     * relaxed timing, virtual APIC, paravirtual spinlocks and the
     * reference clock (the hypervclock timer). */
    return V2K_HYPERV_BASIC;
}

static int
write_features(xmlTextWriterPtr w, const struct v2k_source *s,
               const struct v2k_guestcaps *gc,
               const struct v2k_domain_opts *d)
{
    bool tcg = d->virt_type && strcmp(d->virt_type, "qemu") == 0;
    enum v2k_hyperv hv = v2k_hyperv_level(gc, tcg);
    int r = -1;

    START("features");
    START("acpi"); END();
    START("apic"); END();
    if (hv != V2K_HYPERV_NONE) {
        START("hyperv");
        ATTR("mode", "custom");
        EMPTY1("relaxed", "state", "on");
        EMPTY1("vapic", "state", "on");
        EMPTY2("spinlocks", "state", "on", "retries", "8191");
        if (hv == V2K_HYPERV_FULL) {
            EMPTY1("vpindex", "state", "on");
            EMPTY1("runtime", "state", "on");
            EMPTY1("synic", "state", "on");
            EMPTY1("stimer", "state", "on");
            EMPTY1("reset", "state", "on");
            EMPTY1("frequencies", "state", "on");
            EMPTY1("tlbflush", "state", "on");
            EMPTY1("ipi", "state", "on");
        }
        END();
    }
    if (gc->family == V2K_OS_WINDOWS)
        EMPTY1("vmport", "state", "off");
    /* Secure boot OVMF builds need System Management Mode. */
    if (s->firmware == V2K_FW_UEFI && s->secure_boot)
        EMPTY1("smm", "state", "on");
    END();
    r = 0;
out:
    return r;
}

static int
write_cpu(xmlTextWriterPtr w, const struct v2k_source *s,
          const struct v2k_domain_opts *d)
{
    char buf[32];
    int r = -1;

    START("cpu");
    if (d->cpu == NULL || strcmp(d->cpu, "host-model") == 0) {
        ATTR("mode", "host-model");
    } else if (strcmp(d->cpu, "host-passthrough") == 0) {
        ATTR("mode", "host-passthrough");
    } else {
        ATTR("mode", "custom");
        ATTR("match", "exact");
        START("model");
        ATTR("fallback", "allow");
        STRING(d->cpu);
        END();
    }
    if (s->sockets && s->cores && s->threads &&
        (unsigned long long)s->sockets * s->cores * s->threads == s->vcpus) {
        START("topology");
        snprintf(buf, sizeof buf, "%u", s->sockets);
        ATTR("sockets", buf);
        ATTR("dies", "1");
        snprintf(buf, sizeof buf, "%u", s->cores);
        ATTR("cores", buf);
        snprintf(buf, sizeof buf, "%u", s->threads);
        ATTR("threads", buf);
        END();
    }
    END();
    r = 0;
out:
    return r;
}

static int
write_clock(xmlTextWriterPtr w, const struct v2k_guestcaps *gc,
            const struct v2k_domain_opts *d)
{
    bool tcg = d->virt_type && strcmp(d->virt_type, "qemu") == 0;
    int r = -1;

    /* Linux keeps the RTC in UTC and uses kvmclock; Windows keeps it in
     * local time (unless RealTimeIsUniversal) and uses the Hyper-V
     * reference clock when it knows Hyper-V.  rtc/pit/hpet as
     * virt-install gives Windows, and libvirt's formatdomain recommends
     * for KVM guests. */
    START("clock");
    ATTR("offset", gc->rtc_utc ? "utc" : "localtime");
    EMPTY2("timer", "name", "rtc", "tickpolicy", "catchup");
    EMPTY2("timer", "name", "pit", "tickpolicy", "delay");
    EMPTY2("timer", "name", "hpet", "present", "no");
    if (gc->family != V2K_OS_WINDOWS)
        EMPTY2("timer", "name", "kvmclock", "present", "yes");
    else if (v2k_hyperv_level(gc, tcg) != V2K_HYPERV_NONE)
        EMPTY2("timer", "name", "hypervclock", "present", "yes");
    END();
    r = 0;
out:
    return r;
}

static int
write_disks(xmlTextWriterPtr w, const struct v2k_source *s,
            const struct v2k_guestcaps *gc,
            const struct v2k_domain_disk *disks, size_t ndisks)
{
    struct v2k_disk_target *t = v2k_calloc(s->ndisks ? s->ndisks : 1,
                                           sizeof *t);
    size_t k = 0;
    int r = -1;

    if (t == NULL)
        return -1;
    if (v2k_disk_targets_check(s, gc->block_bus, gc->machine) == -1)
        goto fail;
    v2k_disk_targets(s, gc->block_bus, gc->machine, t);
    if (gc->block_bus == V2K_BLOCK_VIRTIO_SCSI) {
        START("controller");
        ATTR("type", "scsi");
        ATTR("index", "0");
        ATTR("model", gc->virtio_1_0 ? "virtio-scsi" : "virtio-transitional");
        END();
    }
    for (size_t i = 0; i < s->ndisks; i++) {
        const struct v2k_disk *sd = &s->disks[i];
        bool cd = sd->device == V2K_DEV_CDROM;

        if (t[i].bus == NULL)
            continue;           /* floppies are dropped */
        if (!cd && k >= ndisks) {
            v2k_error("source disk %zu has no output disk", i + 1);
            goto fail;
        }
        START("disk");
        ATTR("type", "file");
        ATTR("device", cd ? "cdrom" : "disk");
        if (!cd && gc->block_bus == V2K_BLOCK_VIRTIO_BLK && !gc->virtio_1_0)
            ATTR("model", "virtio-transitional");
        START("driver");
        ATTR("name", "qemu");
        ATTR("type", cd ? "raw" : disks[k].format);
        if (!cd)
            ATTR("discard", "unmap");
        END();
        if (!cd)
            EMPTY1("source", "file", disks[k].path);
        EMPTY2("target", "dev", t[i].dev, "bus", t[i].bus);
        if (cd) {
            START("readonly"); END();
        } else if (k == 0) {
            EMPTY1("boot", "order", "1");
        }
        END();
        k += !cd;
    }
    r = 0;
out:
    if (r == -1)
        v2k_error("libxml2 could not write the disks");
fail:
    free(t);
    return r;
}

static int
write_pci_address(xmlTextWriterPtr w, const char *addr)
{
    struct v2k_pci_addr a;
    char buf[16];
    int r = -1;

    if (v2k_parse_pci_addr(addr, &a) == -1)
        return -1;
    START("address");
    ATTR("type", "pci");
    snprintf(buf, sizeof buf, "0x%04x", a.domain);
    ATTR("domain", buf);
    snprintf(buf, sizeof buf, "0x%02x", a.bus);
    ATTR("bus", buf);
    snprintf(buf, sizeof buf, "0x%02x", a.slot);
    ATTR("slot", buf);
    snprintf(buf, sizeof buf, "0x%x", a.function);
    ATTR("function", buf);
    END();
    r = 0;
out:
    return r;
}

static int
write_nics(xmlTextWriterPtr w, const struct v2k_source *s,
           const struct v2k_guestcaps *gc, const struct v2k_domain_opts *d)
{
    int r = -1;

    for (size_t i = 0; i < s->nnics; i++) {
        const struct v2k_nic *n = &s->nics[i];
        const char *vf = v2k_nic_hostdev(n, d->netmaps, d->nnetmaps);
        bool bridge = n->net_type == V2K_NET_BRIDGE;
        bool direct = n->net_type == V2K_NET_DIRECT;

        START("interface");
        if (vf) {
            /* An SR-IOV virtual function passed through; libvirt
             * detaches it from the host driver (managed) and sets the
             * MAC on it (formatdomain "PCI Passthrough"). */
            ATTR("type", "hostdev");
            ATTR("managed", "yes");
        } else {
            ATTR("type", direct ? "direct" : bridge ? "bridge" : "network");
        }
        if (n->mac)
            EMPTY1("mac", "address", n->mac);
        START("source");
        if (vf) {
            if (write_pci_address(w, vf) == -1)
                return -1;
        } else if (direct) {
            /* macvtap on the same host device, in the same mode
             * (formatdomain "Direct attachment to physical interface"). */
            ATTR("dev", n->network ? n->network : "eth0");
            if (n->direct_mode)
                ATTR("mode", n->direct_mode);
        } else {
            ATTR(bridge ? "bridge" : "network",
                 n->network ? n->network : "default");
        }
        END();
        if (!vf) {
            switch (gc->net_model) {
            case V2K_NETM_VIRTIO:
                EMPTY1("model", "type", virtio_model(gc));
                /* In-kernel virtio-net backend. */
                EMPTY1("driver", "name", "vhost");
                break;
            case V2K_NETM_E1000:
                EMPTY1("model", "type", "e1000");
                break;
            case V2K_NETM_RTL8139:
                EMPTY1("model", "type", "rtl8139");
                break;
            }
        }
        END();
    }
    r = 0;
out:
    return r;
}

static int
write_devices(xmlTextWriterPtr w, const struct v2k_source *s,
              const struct v2k_guestcaps *gc,
              const struct v2k_domain_disk *disks, size_t ndisks,
              const struct v2k_domain_opts *d)
{
    const char *video;
    int r = -1;

    START("devices");
    if (write_disks(w, s, gc, disks, ndisks) == -1 ||
        write_nics(w, s, gc, d) == -1)
        return -1;
    START("serial"); ATTR("type", "pty"); END();
    START("console"); ATTR("type", "pty"); END();
    /* qemu-guest-agent listens on this virtio-serial port. */
    START("channel");
    ATTR("type", "unix");
    EMPTY2("target", "type", "virtio", "name", "org.qemu.guest_agent.0");
    END();
    EMPTY2("input", "type", "tablet", "bus", "usb");
    START("graphics");
    ATTR("type", "vnc");
    ATTR("autoport", "yes");
    ATTR("listen", "127.0.0.1");
    EMPTY2("listen", "type", "address", "address", "127.0.0.1");
    END();
    /* QXL for Windows (its driver is in virtio-win), virtio-gpu for
     * guests with virtio 1.0, plain VGA for older ones. */
    video = gc->family == V2K_OS_WINDOWS ? "qxl"
            : gc->virtio_1_0 ? "virtio" : "vga";
    START("video");
    EMPTY1("model", "type", video);
    END();
    if (gc->virtio_rng) {
        START("rng");
        ATTR("model", virtio_model(gc));
        START("backend");
        ATTR("model", "random");
        STRING("/dev/urandom");
        END();
        END();
    }
    if (gc->pvpanic)
        EMPTY1("panic", "model", "isa");
    EMPTY1("memballoon", "model",
           gc->virtio_balloon ? virtio_model(gc) : "none");
    END(); /* devices */
    r = 0;
out:
    return r;
}

static int
write_domain(xmlTextWriterPtr w, const struct v2k_source *s,
             const struct v2k_guestcaps *gc,
             const struct v2k_domain_disk *disks, size_t ndisks,
             const struct v2k_domain_opts *d)
{
    char buf[64], uuid[37];
    int r = -1;

    if (v2k_domain_uuid(s, d, uuid) == -1)
        return -1;
    W(xmlTextWriterStartDocument(w, NULL, NULL, NULL));
    W(xmlTextWriterWriteComment(w, BAD_CAST " generated by v2kvm "
                                V2K_VERSION " "));
    START("domain");
    ATTR("type", d->virt_type ? d->virt_type : "kvm");
    TEXT("name", s->name);
    TEXT("uuid", uuid);
    if (gc->osinfo) {
        /* What the guest is, for tools that read the XML later (the
         * libosinfo namespace wants an osinfo-db URI, which needs the
         * database: ours carries the short id). */
        START("metadata");
        W(xmlTextWriterStartElementNS(w, BAD_CAST "v2kvm", BAD_CAST "guest",
                                      BAD_CAST V2K_XMLNS));
        ATTR("osinfo", gc->osinfo);
        ATTR("family", v2k_os_family_to_string(gc->family));
        END();
        END();
    }
    snprintf(buf, sizeof buf, "%llu",
             (unsigned long long)(s->memory_bytes / 1024));
    START("memory");
    ATTR("unit", "KiB");
    STRING(buf);
    END();
    START("currentMemory");
    ATTR("unit", "KiB");
    STRING(buf);
    END();
    if (d->hugepages) {
        START("memoryBacking");
        START("hugepages"); END();
        END();
    }
    if (d->blkio_weight) {
        START("blkiotune");
        snprintf(buf, sizeof buf, "%u", d->blkio_weight);
        TEXT("weight", buf);
        END();
    }
    START("vcpu");
    ATTR("placement", "static");
    if (d->cpuset)
        ATTR("cpuset", d->cpuset);
    snprintf(buf, sizeof buf, "%u", s->vcpus);
    STRING(buf);
    END();
    if (write_os(w, s, gc) == -1 || write_features(w, s, gc, d) == -1 ||
        write_cpu(w, s, d) == -1 || write_clock(w, gc, d) == -1)
        goto out;
    TEXT("on_poweroff", "destroy");
    TEXT("on_reboot", "restart");
    TEXT("on_crash", "restart");
    if (write_devices(w, s, gc, disks, ndisks, d) == -1)
        return -1;
    if (d->seclabel == V2K_SECLABEL_DYNAMIC) {
        START("seclabel");
        ATTR("type", "dynamic");
        ATTR("relabel", "yes");
        END();
    } else if (d->seclabel == V2K_SECLABEL_NONE) {
        EMPTY1("seclabel", "type", "none");
    }
    END(); /* domain */
    W(xmlTextWriterEndDocument(w));
    r = 0;
out:
    return r;
}

char *
v2k_domain_xml_format(const struct v2k_source *s,
                      const struct v2k_guestcaps *gc,
                      const struct v2k_domain_disk *disks, size_t ndisks,
                      const struct v2k_domain_opts *d)
{
    xmlBufferPtr xbuf = xmlBufferCreate();
    xmlTextWriterPtr w = NULL;
    char *xml = NULL;

    if (xbuf == NULL || (w = xmlNewTextWriterMemory(xbuf, 0)) == NULL) {
        v2k_error("%s: cannot create an XML writer", s->name);
        goto out;
    }
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, BAD_CAST "  ");
    v2k_error_clear();
    if (write_domain(w, s, gc, disks, ndisks, d) == -1) {
        if (v2k_error_message()[0] == '\0')
            v2k_error("libxml2 could not write the domain XML");
        v2k_error_prepend("domain '%s': ", s->name);
        goto out;
    }
    xmlFreeTextWriter(w);       /* flushes into xbuf */
    w = NULL;
    xml = v2k_strdup((const char *)xmlBufferContent(xbuf));
out:
    if (w)
        xmlFreeTextWriter(w);
    if (xbuf)
        xmlBufferFree(xbuf);
    return xml;
}

int
v2k_domain_xml_write(const char *path, const char *xml)
{
    size_t len = strlen(xml);
    int fd;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd == -1) {
        v2k_error_errno(errno, "%s: create", path);
        v2k_outfile_forget(path);       /* not ours (EEXIST): left alone */
        return -1;
    }
    while (len > 0) {
        ssize_t n = write(fd, xml, len);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            v2k_error_errno(errno, "%s: write", path);
            close(fd);
            return -1;
        }
        xml += n;
        len -= (size_t)n;
    }
    if (close(fd) == -1) {
        v2k_error_errno(errno, "%s: close", path);
        return -1;
    }
    return 0;
}
