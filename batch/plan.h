/* plan.h - a batch migration plan (v2kvm-batch(1)), read from YAML.
 *
 * v2k_plan_load() reads a plan file (schema "version: 1", documented in
 * docs/v2kvm-batch.pod) with libyaml into struct v2k_plan, which owns
 * every string and array in it (v2k_plan_free).  Pointers from one part
 * of the plan to another (a VM's source, target and mappings) are
 * borrowed from the same plan.
 *
 * Checking goes on after the first problem: every error and warning is
 * one line in struct v2k_plan_diags, "PLAN:LINE:COL: message" or
 * "PLAN:LINE:COL: warning: message" (1-based, from libyaml's marks),
 * in line order.  v2k_plan_load() returns 0 and the plan when
 * there was no error (warnings allowed), else -1 with the diagnostics
 * and a v2k_error() summary ("PLAN: 3 errors").  A file that cannot be
 * read at all (missing, not a regular file, over the size bound): -1,
 * no diagnostics, the message in v2k_error().  The caller frees the
 * diagnostics with v2k_plan_diags_free() in every case.
 *
 * What is refused: YAML syntax errors, more than one document, anchors
 * and aliases (a plan is written by hand or by a script; an alias would
 * let a small file expand into a huge one), duplicate and unknown keys
 * (the message lists the known ones), values of the wrong type, names
 * that refer to nothing, duplicate VM names and duplicate target
 * outputs, files named by the plan that do not exist (resolved against
 * the plan file's directory), inline passwords and keys.  Credential and
 * key files readable by group or others are a warning.  Bounds: a plan
 * file of at most V2K_PLAN_MAX_SIZE bytes, V2K_PLAN_MAX_VMS VMs.
 */
#ifndef V2K_PLAN_H
#define V2K_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define V2K_PLAN_VERSION 1
#define V2K_PLAN_MAX_SIZE (4u << 20)
#define V2K_PLAN_MAX_VMS 10000

/* The memory a conversion's libguestfs appliance takes, what the
 * memory budget is counted in (docs/v2kvm-batch.pod, "limits"). */
#define V2K_PLAN_APPLIANCE_BYTES (3ULL << 29)           /* 1.5 GiB */

/* Defaults of the limits block. */
#define V2K_PLAN_DEFAULT_MAX_IN_FLIGHT 4
#define V2K_PLAN_DEFAULT_HOST_DISKS 10
#define V2K_PLAN_DEFAULT_RETRIES 2
#define V2K_PLAN_DEFAULT_HOOK_TIMEOUT 600
#define V2K_PLAN_MAX_HOOK_TIMEOUT 86400

/* Input kinds: v2kvm's -i modes (converters/pipeline.c), same names. */
enum v2k_plan_source_kind {
    V2K_PLAN_SRC_DISK, V2K_PLAN_SRC_VMX, V2K_PLAN_SRC_OVA,
    V2K_PLAN_SRC_LIBVIRTXML, V2K_PLAN_SRC_VBOX, V2K_PLAN_SRC_XEN,
    V2K_PLAN_SRC_LIBVIRT,
};
const char *v2k_plan_source_kind_to_string(enum v2k_plan_source_kind k);

/* Output kinds: v2kvm's -o modes that write something. */
enum v2k_plan_target_kind {
    V2K_PLAN_TGT_LOCAL, V2K_PLAN_TGT_LIBVIRT, V2K_PLAN_TGT_QEMU,
};
const char *v2k_plan_target_kind_to_string(enum v2k_plan_target_kind k);

/* Files are kept as the plan resolved them: relative names joined to the
 * plan file's directory. */
struct v2k_plan_source {
    char *name;
    int line;
    enum v2k_plan_source_kind kind;
    char *uri;                  /* -ic, or NULL (local files) */
    char *transport;            /* -it ssh|vddk, or NULL */
    char *format;               /* -if, or NULL (probed) */
    char *password_file;        /* -ip, or NULL */
    char *ssh_identity;         /* -io ssh-identity=, or NULL */
    char *cafile;               /* -io cafile=, or NULL */
    bool ssh_insecure;          /* -io ssh-insecure */
    bool ova_ignore_manifest;   /* -io ova-ignore-manifest */
    char *host;                 /* what limits.per_source_host_disks
                                   counts per: the "host" key, else the
                                   URI's host, else "localhost" */
};

struct v2k_plan_target {
    char *name;
    int line;
    enum v2k_plan_target_kind kind;
    char *storage;              /* -os: a directory (local, qemu) or a
                                   pool (libvirt, default "default") */
    char *uri;                  /* -oc (libvirt), or NULL */
    char *format;               /* -of qcow2|raw (default qcow2) */
    bool preallocated;          /* -oa preallocated */
    bool compressed;            /* --compressed */
    bool keep_uuid;             /* -oo keep-uuid */
    bool hugepages;             /* -oo hugepages */
    char *machine;              /* -oo machine=q35|pc, or NULL */
    char *seclabel;             /* -oo seclabel=dynamic|none, or NULL */
    bool qemu_boot;             /* --qemu-boot (qemu) */
};

/* One network mapping entry: -n [SRC:]OUT, -b [SRC:]OUT or
 * --mac MAC:network|bridge|hostdev:OUT. */
enum v2k_plan_net_to { V2K_PLAN_NET_NETWORK, V2K_PLAN_NET_BRIDGE,
                       V2K_PLAN_NET_HOSTDEV };
struct v2k_plan_netpair {
    char *source;               /* source network/bridge, NULL = every */
    char *mac;                  /* or a NIC's MAC (lowercase), NULL */
    enum v2k_plan_net_to to;
    char *out;
    int line;
};
struct v2k_plan_netmap {
    char *name;
    int line;
    struct v2k_plan_netpair *pairs;
    size_t npairs;
};

/* One storage mapping entry: disks of datastore SOURCE (NULL = every
 * one) go to STORAGE (a directory or pool, the target's -os). */
struct v2k_plan_storepair {
    char *source;
    char *storage;
    int line;
};
struct v2k_plan_storagemap {
    char *name;
    int line;
    struct v2k_plan_storepair *pairs;
    size_t npairs;
};

struct v2k_plan_hook {
    char *program;              /* NULL = no hook */
    char **args;                /* NULL-terminated, never NULL when
                                   program is set */
    unsigned timeout;           /* seconds */
    int line;
};

struct v2k_plan_key {
    char *device;               /* --key DEVICE:file:KEY_FILE */
    char *key_file;
    int line;
};

struct v2k_plan_vm {
    char *name;                 /* unique in the plan, the state's key */
    int line, col;              /* where its mapping starts */
    const struct v2k_plan_source *source;       /* borrowed */
    const struct v2k_plan_target *target;       /* borrowed */
    const struct v2k_plan_netmap *network_map;  /* borrowed, or NULL */
    const struct v2k_plan_storagemap *storage_map; /* borrowed, or NULL */
    char *vm;                   /* the VM's name on a remote source */
    char **paths;               /* its file(s), NULL-terminated (NULL when
                                   vm is used) */
    char *xen_config;           /* -io xen-config= (remote xen) */
    char *vbox_file;            /* -io vbox-file= (remote vbox) */
    char *target_name;          /* -on (default: name) */
    char *root;                 /* --root single|first|DEVICE, or NULL */
    struct v2k_plan_key *keys;
    size_t nkeys;
    struct v2k_plan_hook pre, post;
    uint64_t memory_bytes;      /* --memory, 0 = from the source */
    unsigned vcpus;             /* --vcpus, 0 = from the source */
    char *cpu;                  /* --cpu, or NULL */
    char *block_driver;         /* --block-driver, or NULL */
    char *virtio_win;           /* --virtio-win, or NULL */
    bool no_convert;            /* --no-convert */
    unsigned disks;             /* number of disks when known (disk
                                   kind, or the "disks" hint), else 1:
                                   the per-host limit's cost */
};

struct v2k_plan_limits {
    unsigned max_in_flight;     /* VMs converted at the same time */
    unsigned per_source_host_disks; /* disks read at once per host */
    uint64_t memory_budget;     /* bytes, 0 = "auto" (the host's
                                   available memory when run starts) */
    unsigned transient_retries; /* automatic retries of transient
                                   failures (network), per VM */
};

struct v2k_plan {
    char *path;                 /* as given */
    char *dir;                  /* its directory */
    unsigned version;
    char *name;                 /* "name", default the file's basename */
    char *state_path;           /* "state", default the plan file's name
                                   with .state for .yaml, beside it */
    struct v2k_plan_limits limits;
    struct v2k_plan_source *sources;
    size_t nsources;
    struct v2k_plan_target *targets;
    size_t ntargets;
    struct v2k_plan_netmap *netmaps;
    size_t nnetmaps;
    struct v2k_plan_storagemap *storagemaps;
    size_t nstoragemaps;
    struct v2k_plan_vm *vms;
    size_t nvms;
};

/* The diagnostics of one load: lines (owned), at most
 * V2K_PLAN_MAX_DIAGS kept (then one "... more" line). */
#define V2K_PLAN_MAX_DIAGS 200
struct v2k_plan_diags {
    char **lines;
    size_t nlines;
    size_t nerrors;
    size_t nwarnings;
};
void v2k_plan_diags_free(struct v2k_plan_diags *d);

/* Read and check the plan file at path (see the header comment). */
int v2k_plan_load(const char *path, struct v2k_plan **out,
                  struct v2k_plan_diags *d);

/* v2k_plan_load() as the commands use it: every diagnostic line printed
 * on stderr (escaped, log.h), then freed; on an error also the error
 * line of v2k_log_error(), and -1.  0 and the plan (owned by the caller)
 * otherwise, with the number of warnings in *nwarnings when it is not
 * NULL. */
int v2k_plan_load_print(const char *path, struct v2k_plan **out,
                        size_t *nwarnings);

/* The same from a buffer: name is what the diagnostics call it, dir the
 * directory relative file names are resolved against. */
int v2k_plan_parse_buffer(const char *buf, size_t len, const char *name,
                          const char *dir, struct v2k_plan **out,
                          struct v2k_plan_diags *d);

void v2k_plan_free(struct v2k_plan *p);

/* The v2kvm command line that converts vm (argv[0] = v2kvm, the
 * program to run): a NULL-terminated list the caller frees with
 * v2k_strv_free; NULL with a message only when out of memory.  It
 * carries --machine-readable (the coordinator follows the JSON lines)
 * and ends with "--" and the SOURCE arguments.  LUKS keys go as
 * DEVICE:file:PATH, so no secret is on the command line. */
char **v2k_plan_vm_argv(const struct v2k_plan *p, const struct v2k_plan_vm *vm,
                        const char *v2kvm);

/* The v2kvm command lines of v2kvm-batch inspect, same contract as
 * v2k_plan_vm_argv.  SOURCE: the input's options, --print-source and
 * --machine-readable (opens the source, prints its model, reads no
 * guest).  GUEST: as RUN, but -o null --print-guest in place of the
 * target's options (-on stays, its name is checked), which inspects the
 * guest and writes nothing; never for a no_convert VM (v2kvm refuses
 * --print-guest with --no-convert). */
enum v2k_plan_argv_mode {
    V2K_PLAN_ARGV_RUN, V2K_PLAN_ARGV_SOURCE, V2K_PLAN_ARGV_GUEST,
};
char **v2k_plan_vm_argv_mode(const struct v2k_plan *p,
                             const struct v2k_plan_vm *vm, const char *v2kvm,
                             enum v2k_plan_argv_mode mode);

/* Where vm's disks go: its storage map's catch-all entry, else its
 * target's storage (borrowed; a directory, or a pool for libvirt). */
const char *v2k_plan_vm_storage(const struct v2k_plan_vm *vm);

/* The plan's VM called name, or NULL. */
const struct v2k_plan_vm *v2k_plan_find_vm(const struct v2k_plan *p,
                                           const char *name);

#endif
