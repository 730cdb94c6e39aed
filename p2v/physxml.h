/* physxml.h - the physical machine as a libvirt domain XML.
 *
 * v2k_p2v_write_xml() writes what `v2kvm -i libvirtxml` reads as the
 * source (converters/inputs/libvirt-xml.c) and what libvirt's schema
 * accepts (virt-xml-validate FILE domain):
 *   <domain type='kvm'>, not virt-p2v's type='physical', which no
 *     schema knows;
 *   <name>, <memory unit='KiB'> (the rounded figure, discover.h),
 *   <vcpu> and <cpu><topology sockets cores threads/>;
 *   <os firmware='efi'> when the machine booted by UEFI (libvirt picks
 *     the firmware files; libvirt-xml.c reads the attribute as UEFI),
 *     <type arch='ARCH'>hvm</type>;
 *   per selected disk, in the order given: <disk type='network'
 *     device='disk'>, <driver name='qemu' type='raw'/>, <source
 *     protocol='nbd' name='EXPORT'> with <host name port/> (TCP) or
 *     <host transport='unix' socket/>, <target dev='sdX' bus='sata'/>
 *     (sda, sdb... in order, whatever the physical bus: the converter
 *     moves disks to virtio anyway, and SATA is what q35 and every
 *     guest OS has built in), <serial> (the physical serial, in the
 *     characters libvirt allows) and <alias name='ua-p2v-NAME'/> keeping
 *     the physical name (nvme0n1, mpatha);
 *   per NIC: <interface type='network'>, <mac>, <source network=NET/>
 *     (one libvirt network for all), <model type='e1000'/>.
 * Every value from the machine is escaped (& < > ' ") and stripped of
 * what XML 1.0 cannot carry (control characters, invalid UTF-8).
 *
 * The disks are given by the caller: their names must be offered disks
 * of m and pass v2k_p2v_check_selection().  Returns 0, or -1 with one
 * message (a bad selection, an endpoint without host or socket, a
 * write error); on error part of the XML may have been written, so
 * write to a buffer (open_memstream) when the output must be all or
 * nothing.
 */
#ifndef V2K_P2V_PHYSXML_H
#define V2K_P2V_PHYSXML_H

#include <stddef.h>
#include <stdio.h>

#include "discover.h"

/* Where the conversion server reads one disk over NBD.  Exactly one of
 * host (TCP, with port) and socket (a Unix socket path) is set.  All
 * strings are borrowed. */
struct v2k_p2v_xml_disk {
    const char *disk;           /* the offered disk name: "sda", "mpatha" */
    const char *export_name;    /* NBD export name; NULL or "" for none */
    const char *host;           /* TCP host name or address */
    unsigned port;              /* TCP port, 1..65535 */
    const char *socket;         /* Unix socket path */
};

struct v2k_p2v_xml_options {
    const char *name;           /* the domain name (required) */
    const char *network;        /* libvirt network of every NIC; NULL:
                                   "default" */
};

int v2k_p2v_write_xml(FILE *fp, const struct v2k_p2v_machine *m,
                      const struct v2k_p2v_xml_disk *disks, size_t ndisks,
                      const struct v2k_p2v_xml_options *o);

/* Write s escaped for XML text or an attribute value in quotes
 * (& < > ' "), dropping C0 controls but tab and newline, DEL and bytes
 * that are not valid UTF-8. */
void v2k_p2v_xml_escape(FILE *fp, const char *s);

#endif
