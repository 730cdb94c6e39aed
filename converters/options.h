/* options.h - v2kvm's command line, parsed once.
 *
 * v2k_options_parse() fills struct v2k_options from argv in virt-v2v's
 * shape (-i MODE -ic URI -if FMT -ip FILE SOURCE... -o MODE -os STORAGE
 * -of FMT -oa ALLOC -on NAME ...).  Strings point into argv (borrowed)
 * except the mapping arrays, which the struct owns (v2k_options_free).
 * Returns 0, or -1 with a message for a usage error, or 1 when --help or
 * --version was handled.  With --list-inputs/-outputs/-steps it returns
 * 0 with list set and nothing else required: the main prints the table.
 */
#ifndef V2K_OPTIONS_H
#define V2K_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* -n / -b / --mac mappings. */
enum v2k_map_kind { V2K_MAP_NETWORK, V2K_MAP_BRIDGE, V2K_MAP_MAC };

struct v2k_netmap {
    enum v2k_map_kind kind;
    const char *in;             /* source name or MAC; NULL = every one */
    bool to_bridge;             /* target is a bridge (else a network) */
    const char *out;            /* target network, bridge or PCI address
                                   ("0000:03:10.1") */
    bool to_hostdev;            /* --mac MAC:hostdev:PCI: an SR-IOV VF */
};

/* --block-driver */
enum v2k_block_driver {
    V2K_BLOCKDRV_DEFAULT, V2K_BLOCKDRV_VIRTIO_BLK, V2K_BLOCKDRV_VIRTIO_SCSI,
};

/* -oo seclabel= */
enum v2k_seclabel {
    V2K_SECLABEL_DEFAULT, V2K_SECLABEL_DYNAMIC, V2K_SECLABEL_NONE,
};

/* --list-inputs, --list-outputs, --list-steps */
enum v2k_list {
    V2K_LIST_NONE, V2K_LIST_INPUTS, V2K_LIST_OUTPUTS, V2K_LIST_STEPS,
};

struct v2k_options {
    const char *input_mode;     /* -i */
    const char *input_uri;      /* -ic */
    const char *input_format;   /* -if */
    const char *password_file;  /* -ip */
    const char *input_transport;    /* -it ssh|vddk (virt-v2v's): ssh
                                       with -i vmx takes ssh://HOST/PATH.vmx;
                                       vddk with esx:// and vpx:// is
                                       accepted and not used */
    const char *vddk_option;    /* the first -io vddk-*=... (accepted with
                                   -it vddk, not used), or NULL */
    /* -io KEY[=VALUE]: input options */
    const char *xen_config;     /* -io xen-config=PATH: the guest's xl.cfg
                                   on the remote Xen host */
    const char *vbox_file;      /* -io vbox-file=PATH: the .vbox on the
                                   remote VirtualBox host */
    const char *ssh_identity;   /* -io ssh-identity=FILE: private key */
    bool ssh_insecure;          /* -io ssh-insecure: skip the host key
                                   check (a warning) */
    const char *cafile;         /* -io cafile=FILE: a PEM CA for HTTPS
                                   (esx://, vpx://, https://) */
    bool ova_ignore_manifest;   /* -io ova-ignore-manifest: a manifest
                                   mismatch is a warning (-i ova) */
    char **sources;             /* the SOURCE arguments (borrowed) */
    size_t nsources;

    const char *output_mode;    /* -o */
    const char *output_storage; /* -os */
    const char *output_format;  /* -of: raw|qcow2 */
    bool preallocated;          /* -oa preallocated */
    const char *output_name;    /* -on */
    const char *output_conn;    /* -oc: libvirt URI (-o libvirt) */
    bool compressed;            /* --compressed (qcow2) */
    bool overwrite;             /* --overwrite */

    /* -oo KEY[=VALUE] */
    bool keep_uuid;             /* -oo keep-uuid */
    const char *machine;        /* -oo machine=q35|pc, NULL = guestcaps */
    bool hugepages;             /* -oo hugepages */
    unsigned blkio_weight;      /* -oo blkio-weight=N (100..1000), 0 = no */
    enum v2k_seclabel seclabel; /* -oo seclabel=dynamic|none */
    const char *cpu_pinning;    /* -oo cpu-pinning=CPUSET ("0-3,6") */

    const char *cpu;            /* --cpu: NULL = host-model,
                                   "host-passthrough", or a model name */
    enum v2k_block_driver block_driver;     /* --block-driver */
    bool qemu_boot;             /* --qemu-boot (-o qemu) */

    struct v2k_netmap *netmaps; /* owned array */
    size_t nnetmaps;

    uint64_t memory_bytes;      /* --memory, 0 = from the source */
    unsigned vcpus;             /* --vcpus, 0 = from the source */
    unsigned workers;           /* --parallel, 0 = cores */

    /* The conversion stage (converters/conversion.h). */
    bool no_convert;            /* --no-convert: copy the disks unchanged */
    const char *virtio_win;     /* --virtio-win PATH, or NULL */
    bool rebuild_initramfs;     /* --rebuild-initramfs: even when the image
                                   already holds the virtio drivers */
    bool print_guest;           /* --print-guest: print the inspection */
    const char *root;           /* --root ask|single|first|/dev/...,
                                   NULL = single */
    const char **keys;          /* --key DEVICE:KEY, DEVICE:key:KEY or
                                   DEVICE:file:PATH (strings borrowed from
                                   argv, the array owned); never printed */
    size_t nkeys;

    bool print_source;
    enum v2k_list list;         /* --list-*: print a table and exit */
    bool machine_readable;
    int verbose;
    bool trace;
    bool quiet;
};

/* A PCI address "[DDDD:]BB:SS.F" (hex); out may be NULL to only check.
 * -1 with a message when it is not one. */
struct v2k_pci_addr { unsigned domain, bus, slot, function; };
int v2k_parse_pci_addr(const char *s, struct v2k_pci_addr *out);

int v2k_options_parse(int argc, char **argv, struct v2k_options *o);

/* --block-driver and -oo machine= applied to the guestcaps gc of source
 * s; -1 with a message when the guest cannot use what was asked (e.g.
 * secure boot on i440fx). */
struct v2k_guestcaps;
struct v2k_source;
int v2k_options_apply_guestcaps(const struct v2k_options *o,
                                const struct v2k_source *s,
                                struct v2k_guestcaps *gc);

/* Remote transport options for o's sources: -ip, -io ssh-identity= and
 * -io ssh-insecure, then the environment for what they leave unset
 * (v2k_remote_opts_from_env).  Strings are borrowed from o and environ. */
struct v2k_remote_opts;
void v2k_options_remote_opts(const struct v2k_options *o,
                             struct v2k_remote_opts *r);
void v2k_options_free(struct v2k_options *o);

/* --help: the option summary, with the input and output modes taken
 * from their tables (pipeline.h) and the -io/-oo options from options.c's
 * own. */
void v2k_options_usage(FILE *fp);

#endif
