/* source.h - struct v2k_source: one model of a VM for every hypervisor.
 *
 * Every input (converters/inputs/) fills one; the pipeline, inspection
 * and every output read it.  The struct owns all its strings and arrays
 * (char * fields are owned; free with v2k_source_free, which accepts
 * NULL).  Unknown values are explicit (..._UNKNOWN, 0 sizes documented
 * as unknown), never a 0 that looks like a value.
 *
 * Each enum has one string table (source.c) with *_to_string /
 * *_from_string; the strings are what --print-source shows.
 */
#ifndef V2K_SOURCE_H
#define V2K_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum v2k_hypervisor {
    V2K_HV_UNKNOWN, V2K_HV_VMWARE, V2K_HV_XEN, V2K_HV_VIRTUALBOX,
    V2K_HV_KVM, V2K_HV_HYPERV, V2K_HV_PHYSICAL,
};

enum v2k_firmware { V2K_FW_UNKNOWN, V2K_FW_BIOS, V2K_FW_UEFI };

enum v2k_bus {
    V2K_BUS_UNKNOWN, V2K_BUS_IDE, V2K_BUS_SATA, V2K_BUS_SCSI,
    V2K_BUS_VIRTIO_BLK, V2K_BUS_VIRTIO_SCSI, V2K_BUS_NVME, V2K_BUS_XEN,
    V2K_BUS_FLOPPY,
};

enum v2k_device { V2K_DEV_DISK, V2K_DEV_CDROM, V2K_DEV_FLOPPY };

/* How the disk's bytes are reached (formats/transport.h). */
enum v2k_transport_kind {
    V2K_TRANSPORT_FILE, V2K_TRANSPORT_BLOCK, V2K_TRANSPORT_HTTPS,
    V2K_TRANSPORT_SFTP, V2K_TRANSPORT_ARCHIVE, V2K_TRANSPORT_NBD,
};

enum v2k_nic_model {
    V2K_NIC_UNKNOWN, V2K_NIC_VIRTIO, V2K_NIC_E1000, V2K_NIC_E1000E,
    V2K_NIC_RTL8139, V2K_NIC_PCNET, V2K_NIC_VMXNET3, V2K_NIC_XEN,
};

/* DIRECT: libvirt's <interface type='direct'> (macvtap on a host
 * device named by network, in direct_mode). */
enum v2k_net_type { V2K_NET_NETWORK, V2K_NET_BRIDGE, V2K_NET_DIRECT };

enum v2k_video {
    V2K_VIDEO_UNKNOWN, V2K_VIDEO_VGA, V2K_VIDEO_CIRRUS, V2K_VIDEO_VMVGA,
    V2K_VIDEO_QXL, V2K_VIDEO_VIRTIO, V2K_VIDEO_XEN, V2K_VIDEO_VBOX,
};

struct v2k_disk {
    char *path;                 /* file, device or URI as the source names it */
    char *format;               /* "raw", "qcow2"...; NULL = probe */
    enum v2k_transport_kind transport;
    enum v2k_device device;
    enum v2k_bus bus;
    int slot;                   /* position on its bus, -1 = unknown */
    uint64_t size_bytes;        /* virtual size, 0 = unknown */
    char *model;                /* physical disks: vendor model, or NULL */
    char *serial;               /* physical disks: serial, or NULL */
    char *target_dev;           /* the name the source gives the disk
                                   ("xvda", "hdc", "sdb"), or NULL */
    char **parent_chain;        /* NULL-terminated names of the images this
                                   differencing image may stack on (a
                                   .vbox media registry's chain), absolute
                                   or relative to path; NULL = the reader
                                   searches (v2k_open_opts.parent_candidates) */
    char **backing_chain;       /* NULL-terminated names of the images
                                   under this one as the reader opened them
                                   (a snapshot chain: parent first, base
                                   last), for --print-source; NULL = none */
    char *confine_dir;          /* canonical directory this local disk and
                                   every file its chain names must stay in
                                   (the VM description's, when someone
                                   else wrote it: common/pathpolicy.h);
                                   NULL = named by the user, not confined */
};

struct v2k_nic {
    char *mac;                  /* "52:54:00:12:34:56", or NULL = unknown */
    char *network;              /* source network or bridge name, or the
                                   host device of a DIRECT NIC */
    char *direct_mode;          /* DIRECT: "vepa", "bridge", "private",
                                   "passthrough"; NULL = libvirt's default */
    enum v2k_net_type net_type;
    enum v2k_nic_model model;
    int pci_slot;               /* the source's PCI slot number (VMware's
                                   ethernetN.pciSlotNumber: the guest
                                   named it ensN), -1 = unknown */
};

struct v2k_source {
    char *name;
    char *uuid;                 /* as the source has it, or NULL */
    enum v2k_hypervisor hypervisor;
    enum v2k_firmware firmware;
    bool secure_boot;
    unsigned vcpus;             /* 0 = unknown */
    unsigned sockets, cores, threads;   /* topology, 0 = unknown */
    uint64_t memory_bytes;      /* 0 = unknown */
    enum v2k_video video;
    uint64_t video_ram_bytes;   /* 0 = unknown */
    char *sound;                /* source's sound model, or NULL */
    char *os_hint;              /* guestOS / osType as the source says */
    /* Xen paravirtualised guests (pv, pvh): what the conversion to a
     * fully virtualised guest needs to know.  NULL / false otherwise. */
    bool xen_pv;                /* type=pv or pvh: no emulated devices */
    char *xen_type;             /* "pv", "pvh", "hvm" as the source says */
    char *console;              /* the guest's console device ("hvc0") */
    char *bootloader;           /* "pygrub", or NULL */
    char *kernel, *ramdisk, *cmdline;   /* direct kernel boot, or NULL */
    struct v2k_disk *disks;
    size_t ndisks;
    struct v2k_nic *nics;
    size_t nnics;
};

struct v2k_source *v2k_source_new(void);
void v2k_source_free(struct v2k_source *s);

/* Append an empty disk / NIC (slot -1, pci_slot -1); NULL on ENOMEM.  The pointer is
 * valid until the next append. */
struct v2k_disk *v2k_source_add_disk(struct v2k_source *s);
struct v2k_nic *v2k_source_add_nic(struct v2k_source *s);

/* Check what every output relies on (a name, >= 1 disk, sane memory and
 * vCPUs); -1 with a message naming the field. */
int v2k_source_validate(const struct v2k_source *s);

/* --print-source: readable text, or JSON on one line (--machine-readable). */
void v2k_source_print(const struct v2k_source *s, FILE *fp);
void v2k_source_print_json(const struct v2k_source *s, FILE *fp);

const char *v2k_hypervisor_to_string(enum v2k_hypervisor v);
const char *v2k_firmware_to_string(enum v2k_firmware v);
const char *v2k_bus_to_string(enum v2k_bus v);
const char *v2k_device_to_string(enum v2k_device v);
const char *v2k_transport_kind_to_string(enum v2k_transport_kind v);
const char *v2k_nic_model_to_string(enum v2k_nic_model v);
const char *v2k_net_type_to_string(enum v2k_net_type v);
const char *v2k_video_to_string(enum v2k_video v);
/* -1 when s is not a known name. */
int v2k_bus_from_string(const char *s);
int v2k_nic_model_from_string(const char *s);

/* Largest memory and vCPU count we accept from any source. */
#define V2K_MAX_MEMORY_BYTES (16ULL << 40)      /* 16 TiB */
#define V2K_MAX_VCPUS 4096

#endif
