/* domain-xml.h - libvirt domain XML for a converted VM (libxml2 writer).
 *
 * Writes the domain described by the (already mapped and validated)
 * source to path, creating it with O_EXCL.  Disks become virtio-blk
 * vda, vdb... in source order with the given output files; NICs become
 * virtio with the source MAC kept.  The XML passes virt-xml-validate.
 */
#ifndef V2K_DOMAIN_XML_H
#define V2K_DOMAIN_XML_H

#include <stddef.h>

#include "source.h"

struct v2k_domain_disk {
    const char *path;           /* absolute path of the output disk */
    const char *format;         /* "qcow2" or "raw" */
};

int v2k_domain_xml_write(const char *path, const struct v2k_source *s,
                         const struct v2k_domain_disk *disks, size_t ndisks);

/* Device name "<prefix><letters>" for disk index i: vda.. vdz, vdaa...
 * Returns buf. */
char *v2k_disk_name(const char *prefix, size_t i, char *buf, size_t len);

#endif
