/* domain-xml.h - libvirt domain XML for a converted VM (libxml2 writer).
 *
 * v2k_domain_xml_format() describes the (already mapped and validated)
 * source as a KVM domain, choosing devices from the guestcaps alone
 * (guestcaps.h): disks on the guestcaps' bus in source order, each
 * V2K_DEV_DISK of the source taking the next entry of disks[]; source
 * CD-ROMs as empty CD-ROMs on SATA (IDE on the pc machine); floppies are
 * dropped; target names from disk-names.h (the ones the guest's fstab is
 * rewritten to); NICs with the source MAC kept
 * on the mapped network or bridge, or as an SR-IOV VF (--mac
 * MAC:hostdev:ADDR).  Every XML written passes virt-xml-validate.
 *
 * Returns a malloc'd NUL-terminated string, or NULL with one message.
 */
#ifndef V2K_DOMAIN_XML_H
#define V2K_DOMAIN_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "disk-names.h"          /* v2k_disk_name */
#include "guestcaps.h"
#include "options.h"
#include "source.h"

struct v2k_domain_disk {
    const char *path;           /* absolute path of the output disk */
    const char *format;         /* "qcow2" or "raw" */
};

/* Choices that are not the guest's but the user's or the target's. */
struct v2k_domain_opts {
    const char *virt_type;      /* "kvm" (NULL) or "qemu" (TCG host) */
    const char *uuid;           /* fixed UUID (tests), or NULL: the
                                   source's with keep_uuid, else fresh */
    bool keep_uuid;             /* -oo keep-uuid */
    const char *cpu;            /* NULL host-model, "host-passthrough",
                                   or a CPU model name (--cpu) */
    bool hugepages;
    unsigned blkio_weight;      /* 0 = none */
    enum v2k_seclabel seclabel;
    const char *cpuset;         /* <vcpu cpuset=>, NULL = none */
    const struct v2k_netmap *netmaps;   /* --mac MAC:hostdev: entries */
    size_t nnetmaps;
};

/* Copy the options that reach the XML. */
void v2k_domain_opts_init(struct v2k_domain_opts *d,
                          const struct v2k_options *o);

char *v2k_domain_xml_format(const struct v2k_source *s,
                            const struct v2k_guestcaps *gc,
                            const struct v2k_domain_disk *disks,
                            size_t ndisks, const struct v2k_domain_opts *d);

/* Which Hyper-V enlightenments a guest gets, for the domain XML and
 * -o qemu alike (tcg: the guest runs without KVM). */
enum v2k_hyperv {
    V2K_HYPERV_NONE,            /* not Windows; NT 5.x and older */
    V2K_HYPERV_BASIC,           /* relaxed, vapic, spinlocks 8191 and the
                                   reference clock: NT 6.x, unknown
                                   versions, any Windows under TCG */
    V2K_HYPERV_FULL,            /* also vpindex, runtime, synic, stimer,
                                   reset, frequencies, tlbflush, ipi:
                                   NT 10 on KVM */
};
enum v2k_hyperv v2k_hyperv_level(const struct v2k_guestcaps *gc, bool tcg);

/* Write xml to a NEW file path (O_EXCL); -1 with a message naming it. */
int v2k_domain_xml_write(const char *path, const char *xml);

/* Number of source disks that are copied (V2K_DEV_DISK). */
size_t v2k_source_ncopied(const struct v2k_source *s);

/* The PCI address a --mac MAC:hostdev: map gives this NIC, or NULL. */
const char *v2k_nic_hostdev(const struct v2k_nic *n,
                            const struct v2k_netmap *maps, size_t nmaps);

/* The UUID the domain gets: d->uuid, else the source's (keep_uuid, in
 * canonical form), else a fresh one.  out gets 36 characters + NUL. */
int v2k_domain_uuid(const struct v2k_source *s,
                    const struct v2k_domain_opts *d, char out[37]);

#endif
