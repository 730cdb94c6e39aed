/* options.c - see options.h. */
#include "options.h"
#include "disk-names.h"
#include "source.h"
#include "error.h"
#include "format.h"
#include "pathpolicy.h"
#include "guestcaps.h"
#include "pipeline.h"
#include "transport.h"
#include "util.h"
#include "version.h"
#include "writer.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

enum {
    OPT_IC = 256, OPT_IF, OPT_IP, OPT_OS, OPT_OF, OPT_OA, OPT_ON, OPT_MAC,
    OPT_PRINT_SOURCE, OPT_MACHINE, OPT_MEMORY, OPT_VCPUS, OPT_OVERWRITE,
    OPT_HELP, OPT_VERSION, OPT_PARALLEL, OPT_OC, OPT_OO, OPT_CPU,
    OPT_BLOCK_DRIVER, OPT_QEMU_BOOT, OPT_COMPRESSED, OPT_IO,
    OPT_NO_CONVERT, OPT_REBUILD_INITRAMFS, OPT_VIRTIO_WIN, OPT_PRINT_GUEST, OPT_ROOT, OPT_KEY,
    OPT_IT, OPT_ALLOW_PATH, OPT_LIST_INPUTS, OPT_LIST_OUTPUTS, OPT_LIST_STEPS,
};

/* Single-dash long options (-ic, -os ...) as virt-v2v spells them:
 * getopt_long_only() takes "-os" as the long option "os", while "-o"
 * alone stays the short option (glibc: a one-letter word that is a short
 * option is never read as an abbreviation). */
static const struct option longopts[] = {
    { "ic", required_argument, NULL, OPT_IC },
    { "if", required_argument, NULL, OPT_IF },
    { "ip", required_argument, NULL, OPT_IP },
    { "io", required_argument, NULL, OPT_IO },
    { "it", required_argument, NULL, OPT_IT },
    { "os", required_argument, NULL, OPT_OS },
    { "of", required_argument, NULL, OPT_OF },
    { "oa", required_argument, NULL, OPT_OA },
    { "on", required_argument, NULL, OPT_ON },
    { "oc", required_argument, NULL, OPT_OC },
    { "oo", required_argument, NULL, OPT_OO },
    { "cpu", required_argument, NULL, OPT_CPU },
    { "block-driver", required_argument, NULL, OPT_BLOCK_DRIVER },
    { "allow-path", required_argument, NULL, OPT_ALLOW_PATH },
    { "qemu-boot", no_argument, NULL, OPT_QEMU_BOOT },
    { "compressed", no_argument, NULL, OPT_COMPRESSED },
    { "network", required_argument, NULL, 'n' },
    { "bridge", required_argument, NULL, 'b' },
    { "mac", required_argument, NULL, OPT_MAC },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { "vcpus", required_argument, NULL, OPT_VCPUS },
    { "parallel", required_argument, NULL, OPT_PARALLEL },
    { "overwrite", no_argument, NULL, OPT_OVERWRITE },
    { "print-source", no_argument, NULL, OPT_PRINT_SOURCE },
    { "print-guest", no_argument, NULL, OPT_PRINT_GUEST },
    { "no-convert", no_argument, NULL, OPT_NO_CONVERT },
    { "rebuild-initramfs", no_argument, NULL, OPT_REBUILD_INITRAMFS },
    { "virtio-win", required_argument, NULL, OPT_VIRTIO_WIN },
    { "root", required_argument, NULL, OPT_ROOT },
    { "key", required_argument, NULL, OPT_KEY },
    { "machine-readable", no_argument, NULL, OPT_MACHINE },
    { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'q' },
    { "list-inputs", no_argument, NULL, OPT_LIST_INPUTS },
    { "list-outputs", no_argument, NULL, OPT_LIST_OUTPUTS },
    { "list-steps", no_argument, NULL, OPT_LIST_STEPS },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

/* -io and -oo keys: what --help and the "unknown option" errors list.
 * The parsers below (parse_io, parse_oo) accept exactly these
 * (tests/cli/test-help.sh checks each); arg is the value's name, NULL
 * for a flag. */
struct keyopt {
    const char *key;
    const char *arg;
    const char *help;
};

static const struct keyopt io_keys[] = {
    { "xen-config", "PATH", "the guest's xl.cfg on the remote Xen host" },
    { "vbox-file", "PATH", "the machine's .vbox on the remote host" },
    { "ssh-identity", "FILE", "SSH private key" },
    { "ssh-insecure", NULL, "accept any SSH host key (a warning)" },
    { "ova-ignore-manifest", NULL, "-i ova: a manifest mismatch is a warning" },
    { "cafile", "FILE", "a PEM CA certificate trusted for HTTPS" },
    { "vddk-*", "VALUE", "accepted with -it vddk, not used" },
    { NULL, NULL, NULL },
};

static const struct keyopt oo_keys[] = {
    { "keep-uuid", NULL, "the source's UUID instead of a fresh one" },
    { "machine", "q35|pc", "the machine type (default: what the guest needs)" },
    { "hugepages", NULL, "back the memory with huge pages" },
    { "blkio-weight", "N", "100 to 1000, libvirt's <blkiotune> weight" },
    { "seclabel", "dynamic|none", "sVirt confinement on or off" },
    { "cpu-pinning", "CPUSET", "host CPUs the vCPUs run on (0-3,6)" },
    { NULL, NULL, NULL },
};

/* "key=, key, ..." for the "unknown option" errors. */
static void
keys_list(const struct keyopt *t, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; t[i].key; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%s%s%s",
                 i ? ", " : "", t[i].key, t[i].arg ? "=" : "");
}

#define USAGE_WIDTH 79
#define USAGE_COL 20

/* "  NAME" then text from column USAGE_COL (the next line when NAME is
 * too long), wrapped at word boundaries within USAGE_WIDTH. */
static void
usage_item(FILE *fp, const char *name, const char *text)
{
    int col = fprintf(fp, "  %s", name);
    const char *p = text;

    if (col >= USAGE_COL - 1) {
        fputc('\n', fp);
        col = 0;
    }
    fprintf(fp, "%*s", USAGE_COL - col, "");
    col = USAGE_COL;
    while (*p) {
        size_t w = strcspn(p, " ");
        if (col > USAGE_COL && col + 1 + (int)w > USAGE_WIDTH) {
            fprintf(fp, "\n%*s", USAGE_COL, "");
            col = USAGE_COL;
        } else if (col > USAGE_COL) {
            fputc(' ', fp);
            col++;
        }
        fwrite(p, 1, w, fp);
        col += (int)w;
        p += w;
        p += strspn(p, " ");
    }
    fputc('\n', fp);
}

static void
usage_keys(FILE *fp, const char *opt, const struct keyopt *t)
{
    char name[64];

    for (size_t i = 0; t[i].key; i++) {
        snprintf(name, sizeof name, "%s %s%s%s", opt, t[i].key,
                 t[i].arg ? "=" : "", t[i].arg ? t[i].arg : "");
        usage_item(fp, name, t[i].help);
    }
}

void
v2k_options_usage(FILE *fp)
{
    const struct v2k_input *const *in = v2k_inputs();
    const struct v2k_output *const *out = v2k_outputs();
    const struct v2k_format *const *fmt = v2k_format_list();
    char name[64], formats[128] = "", text[192];

    fprintf(fp,
"usage: v2kvm -i MODE [-ic URI] [-if FORMAT] [-ip PASSWORDFILE]\n"
"             [-it ssh|vddk] [-io OPTION]... SOURCE...\n"
"             -o MODE [-oc URI] [-os STORAGE] [-of qcow2|raw]\n"
"             [-oa sparse|preallocated] [--compressed] [-on NAME]\n"
"             [-oo OPTION]... [-n [IN:]NETWORK] [-b [IN:]BRIDGE]\n"
"             [--mac MAC:network|bridge|hostdev:NAME] [--memory SIZE]\n"
"             [--vcpus N] [--cpu MODEL] [--block-driver DRIVER]\n"
"             [--qemu-boot] [--overwrite] [--parallel N] [--print-source]\n"
"             [--root ask|single|first|DEVICE] [--key DEVICE:file:PATH]\n"
"             [--print-guest] [--no-convert] [--rebuild-initramfs]\n"
"             [--allow-path DIR]... [--machine-readable] [-v] [-x] [-q]\n"
"       v2kvm --list-inputs|--list-outputs|--list-steps [--machine-readable]\n"
"       v2kvm --help|--version\n"
"\n"
"Converts a virtual or physical machine to run on KVM.\n"
"\n"
"Input modes (-i MODE):\n");
    for (size_t i = 0; in[i]; i++)
        usage_item(fp, in[i]->name, in[i]->help);
    fprintf(fp, "Output modes (-o MODE):\n");
    for (size_t i = 0; out[i]; i++) {
        snprintf(name, sizeof name, "%s%s", out[i]->name,
                 out[i]->needs_storage ? " -os DIR" : "");
        usage_item(fp, name, out[i]->help);
    }
    for (size_t i = 0; fmt[i]; i++)
        snprintf(formats + strlen(formats), sizeof formats - strlen(formats),
                 "%s%s", i ? ", " : "", fmt[i]->name);
    fputc('\n', fp);
    snprintf(text, sizeof text, "disk format instead of probing: %s",
             formats);
    usage_item(fp, "-if FORMAT", text);
    fprintf(fp,
"  -ic URI           remote source: xen+ssh://[USER@]HOST[:PORT] (-i xen\n"
"                    NAME), vbox+ssh://[USER@]HOST[:PORT] (-i vbox NAME),\n"
"                    esx://HOST or vpx://USER@VCENTER/DC/HOST (NAME)\n"
"  -ip FILE          the SSH or vSphere password is the first line of FILE\n"
"  -it ssh           -i vmx ssh://[USER@]HOST[:PORT]/PATH.vmx: the .vmx and\n"
"                    its disks over SFTP (same as vmx+ssh://...)\n"
"  -it vddk          accepted for esx:// and vpx:// (with -io vddk-*), not\n"
"                    used: the disks are read over the datastore's HTTPS\n"
"  --allow-path DIR  files a VM description (.vmx, OVF, xl.cfg, domain\n"
"                    XML, .vbox) or its disks name may lie in DIR, not\n"
"                    only in the description's directory (repeatable)\n");
    usage_keys(fp, "-io", io_keys);
    fprintf(fp,
"  -os STORAGE       output directory (-o local, -o qemu) or libvirt storage\n"
"                    pool (-o libvirt, default: default)\n"
"  -oc URI           libvirt connection for -o libvirt\n");
    fprintf(fp,
"  -of FORMAT        output disk format: %s (default: qcow2)\n",
            v2k_writer_format_names());
    fprintf(fp,
"  -oa ALLOC         sparse (default) or preallocated\n"
"  --compressed      compressed qcow2 clusters\n"
"  -on NAME          name of the converted VM\n");
    usage_keys(fp, "-oo", oo_keys);
    fprintf(fp,
"  --cpu MODEL       host-model (default), host-passthrough or a CPU model\n"
"  --block-driver D  virtio-blk (default) or virtio-scsi\n"
"  --qemu-boot       -o qemu: start the guest once written\n"
"  -n, --network [IN:]OUT   map source network IN (or every one) to OUT\n"
"  -b, --bridge [IN:]OUT    map source bridge IN (or every one) to OUT\n"
"  --mac MAC:network|bridge:NAME   map the NIC with this MAC\n"
"  --mac MAC:hostdev:PCI-ADDR      give it an SR-IOV virtual function\n"
"  --memory SIZE     memory of the VM (e.g. 2G) where the source lacks it\n"
"  --vcpus N         vCPUs of the VM where the source lacks it\n"
"  --overwrite       replace existing outputs of the same name\n"
"  --parallel N      copy with N threads (default: number of CPUs, at\n"
"                    least 4 for disks read over HTTPS or SFTP)\n"
"  --print-source    print the source model and exit\n"
"  --root CHOICE     which OS to convert: single (default, exactly one),\n"
"                    first, ask, or its root device (/dev/sda2)\n"
"  --key DEV:file:PATH  LUKS key of DEV from the first line of PATH\n"
"                    (also DEV:key:KEY, DEV:KEY; repeatable)\n"
"  --print-guest     print what inspection found (with -o null: only\n"
"                    inspect)\n"
"  --no-convert      copy the disks unchanged (the guest may not boot)\n"
"  --rebuild-initramfs  rebuild the initramfs even when it already holds\n"
"                    the virtio drivers\n"
"  --virtio-win PATH  Windows guests: the virtio-win drivers, a directory\n"
"                    or the ISO (default: $VIRTIO_WIN, /usr/share/virtio-win)\n"
"  --list-inputs, --list-outputs, --list-steps\n"
"                    print the input modes, output modes or the guest\n"
"                    rewrite steps and exit\n"
"  --machine-readable  JSON lines on stdout for scripts\n"
"  -v, --verbose     debug lines (which accelerator, each file edited)\n"
"  -x                trace libguestfs calls\n"
"  -q, --quiet       no progress messages\n"
"  --help, --version  this text; the version\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error, 128+N killed by signal N.\n"
"See v2kvm(1).\n");
}

int
v2k_parse_pci_addr(const char *s, struct v2k_pci_addr *out)
{
    /* [DDDD:]BB:SS.F in hex, as lspci -D prints it. */
    unsigned long v[4] = { 0, 0, 0, 0 };
    const char *p = s;
    int n = 0, ncolon = 0;

    for (const char *q = s; *q; q++)
        ncolon += *q == ':';
    if (ncolon < 1 || ncolon > 2)
        goto bad;
    if (ncolon == 1)
        n = 1;                  /* domain 0 */
    for (; n < 4; n++) {
        char *end;
        char sep = n < 2 ? ':' : n == 2 ? '.' : '\0';
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
              (*p >= 'A' && *p <= 'F')))
            goto bad;
        v[n] = strtoul(p, &end, 16);
        if (end - p > 4 || *end != sep)
            goto bad;
        p = end + (sep != '\0');
    }
    if (v[0] > 0xffff || v[1] > 0xff || v[2] > 0x1f || v[3] > 7)
        goto bad;
    if (out) {
        out->domain = (unsigned)v[0];
        out->bus = (unsigned)v[1];
        out->slot = (unsigned)v[2];
        out->function = (unsigned)v[3];
    }
    return 0;
bad:
    v2k_error("'%s' is not a PCI address (DDDD:BB:SS.F)", s);
    return -1;
}

/* -io KEY[=VALUE]: input options (remote sources, see v2kvm(1)). */
static int
parse_io(struct v2k_options *o, char *arg)
{
    char *eq = strchr(arg, '=');
    const char *val = eq ? eq + 1 : NULL;
    const char **field = NULL;

    if (eq)
        *eq = '\0';
    if (strcmp(arg, "xen-config") == 0)
        field = &o->xen_config;
    else if (strcmp(arg, "vbox-file") == 0)
        field = &o->vbox_file;
    else if (strcmp(arg, "ssh-identity") == 0)
        field = &o->ssh_identity;
    else if (strcmp(arg, "cafile") == 0)
        field = &o->cafile;
    if (field && val && *val) {
        *field = val;
    } else if (field) {
        v2k_error("-io %s: needs a value (-io %s=...)", arg, arg);
        return -1;
    } else if (strcmp(arg, "ssh-insecure") == 0 && !val) {
        o->ssh_insecure = true;
    } else if (strcmp(arg, "ova-ignore-manifest") == 0 && !val) {
        o->ova_ignore_manifest = true;
    } else if (strncmp(arg, "vddk-", 5) == 0 && arg[5]) {
        /* virt-v2v's VDDK settings (vddk-libdir=, vddk-thumbprint= ...):
         * accepted with -it vddk so that its command lines run; the
         * check that -it vddk is there comes after parsing. */
        if (o->vddk_option == NULL)
            o->vddk_option = arg;
    } else {
        char known[256];
        keys_list(io_keys, known, sizeof known);
        v2k_error("-io '%s%s%s': unknown input option (known: %s)", arg,
                  val ? "=" : "", val ? val : "", known);
        return -1;
    }
    return 0;
}

/* -it as virt-v2v has it: "ssh" for -i vmx (the .vmx over SSH);
 * "vddk" (VMware's proprietary disk library) for esx:// and vpx:// --
 * there the disks are read over the host's HTTPS datastore interface
 * either way, so -it vddk and its -io vddk-* options are accepted with
 * a warning (the input says it) and otherwise unused. */
/* -ic esx://... or vpx://...: a VM on ESXi or behind vCenter. */
static bool
is_vsphere_uri(const char *uri)
{
    return uri && (strncasecmp(uri, "esx://", 6) == 0 ||
                   strncasecmp(uri, "vpx://", 6) == 0);
}

static int
check_it(const struct v2k_options *o)
{
    const char *it = o->input_transport;

    if (it == NULL) {
        if (o->vddk_option) {
            v2k_error("-io %s: VDDK options need -it vddk (and v2kvm does not use VDDK: drop them)", o->vddk_option);
            return -1;
        }
        return 0;
    }
    if (strcmp(it, "ssh") == 0) {
        if (strcmp(o->input_mode, "vmx") != 0) {
            v2k_error("-it ssh: only with -i vmx (for -i xen and -i vbox the SSH host is -ic xen+ssh://... or vbox+ssh://...)");
            return -1;
        }
        if (o->vddk_option) {
            v2k_error("-io %s: a VDDK option without -it vddk",
                      o->vddk_option);
            return -1;
        }
        return 0;
    }
    if (strcmp(it, "vddk") == 0) {
        if (!is_vsphere_uri(o->input_uri)) {
            v2k_error("-it vddk: only with -ic esx://HOST or vpx://USER@VCENTER/DC/HOST");
            return -1;
        }
        return 0;
    }
    v2k_error("-it '%s': unknown input transport (ssh with -i vmx; vddk with -ic esx:// or vpx://)", it);
    return -1;
}

/* -i disk SOURCE as a URI: only schemes formats/ has a transport for
 * (transport-uri.c: file, sftp, ssh, https).  There is no NBD client
 * in formats/, so nbd:// (and plain http://) is refused here, before
 * anything is opened, for --print-source and the copy alike. */
static int
check_disk_sources(const struct v2k_options *o)
{
    static const char *const schemes[] = { "file", "sftp", "ssh", "https",
                                           NULL };

    if (strcmp(o->input_mode, "disk") != 0)
        return 0;
    for (size_t i = 0; i < o->nsources; i++) {
        const char *s = o->sources[i];
        size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
        bool ok = false;
        char *r;

        /* RFC 3986 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
        if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') ||
                        (s[0] >= 'A' && s[0] <= 'Z')) ||
            strncmp(s + n, "://", 3) != 0)
            continue;
        for (size_t k = 0; schemes[k] && !ok; k++)
            ok = strlen(schemes[k]) == n && strncasecmp(s, schemes[k], n) == 0;
        if (ok)
            continue;
        r = v2k_uri_redact(s);
        v2k_error("-i disk %s: no transport for URI scheme '%.*s' (supported: file, sftp, ssh, https)", r ? r : "SOURCE", (int)n, s);
        free(r);
        return -1;
    }
    return 0;
}

/* -oo KEY[=VALUE]: output options users tune at migration time. */
static int
parse_oo(struct v2k_options *o, char *arg)
{
    char *eq = strchr(arg, '=');
    const char *val = eq ? eq + 1 : NULL;
    uint64_t n;

    if (eq)
        *eq = '\0';
    if (strcmp(arg, "keep-uuid") == 0 && !val) {
        o->keep_uuid = true;
    } else if (strcmp(arg, "hugepages") == 0 && !val) {
        o->hugepages = true;
    } else if (strcmp(arg, "machine") == 0 && val) {
        if (strcmp(val, "q35") != 0 && strcmp(val, "pc") != 0 &&
            strcmp(val, "i440fx") != 0) {
            v2k_error("-oo machine=%s: must be q35, pc or i440fx", val);
            return -1;
        }
        o->machine = strcmp(val, "q35") == 0 ? "q35" : "pc";
    } else if (strcmp(arg, "blkio-weight") == 0 && val) {
        if (v2k_parse_u64(val, "-oo blkio-weight", &n) == -1)
            return -1;
        /* libvirt's <blkiotune><weight> range (formatdomain). */
        if (n < 100 || n > 1000) {
            v2k_error("-oo blkio-weight=%s: must be from 100 to 1000", val);
            return -1;
        }
        o->blkio_weight = (unsigned)n;
    } else if (strcmp(arg, "seclabel") == 0 && val) {
        if (strcmp(val, "dynamic") == 0)
            o->seclabel = V2K_SECLABEL_DYNAMIC;
        else if (strcmp(val, "none") == 0)
            o->seclabel = V2K_SECLABEL_NONE;
        else {
            v2k_error("-oo seclabel=%s: must be dynamic or none", val);
            return -1;
        }
    } else if (strcmp(arg, "cpu-pinning") == 0 && val) {
        /* A libvirt cpuset: "0-3,6,^2". */
        size_t len = strlen(val);
        if (len == 0 || strspn(val, "0123456789,-^") != len ||
            !(val[len - 1] >= '0' && val[len - 1] <= '9')) {
            v2k_error("-oo cpu-pinning=%s: expected a CPU list such as 0-3,6", val);
            return -1;
        }
        o->cpu_pinning = val;
    } else {
        char known[256];
        keys_list(oo_keys, known, sizeof known);
        v2k_error("-oo '%s%s%s': unknown output option (known: %s)", arg,
                  val ? "=" : "", val ? val : "", known);
        return -1;
    }
    return 0;
}

static int
add_map(struct v2k_options *o, enum v2k_map_kind kind, char *arg)
{
    struct v2k_netmap m = { .kind = kind };
    struct v2k_netmap *v;

    if (kind == V2K_MAP_MAC) {
        /* MAC:network:NAME or MAC:bridge:NAME; the MAC itself has colons:
         * it is the first 17 characters. */
        size_t i;
        if (strlen(arg) < 19 || arg[17] != ':') {
            v2k_error("--mac '%s': expected MAC:network|bridge:NAME", arg);
            return -1;
        }
        for (i = 0; i < 17; i++) {
            bool colon = i % 3 == 2;
            char c = arg[i];
            if (colon ? c != ':' : !((c >= '0' && c <= '9') ||
                                     (c >= 'a' && c <= 'f') ||
                                     (c >= 'A' && c <= 'F'))) {
                v2k_error("--mac '%s': '%.17s' is not a MAC address", arg,
                          arg);
                return -1;
            }
        }
        arg[17] = '\0';
        m.in = arg;
        if (strncmp(arg + 18, "network:", 8) == 0)
            m.out = arg + 26;
        else if (strncmp(arg + 18, "bridge:", 7) == 0) {
            m.to_bridge = true;
            m.out = arg + 25;
        } else if (strncmp(arg + 18, "hostdev:", 8) == 0) {
            m.to_hostdev = true;
            m.out = arg + 26;
            if (m.out[0] && v2k_parse_pci_addr(m.out, NULL) == -1) {
                v2k_error_prepend("--mac '%s:%s': ", arg, arg + 18);
                return -1;
            }
        } else {
            v2k_error("--mac '%s:%s': the target must be network:NAME, bridge:NAME or hostdev:PCI-ADDRESS", arg, arg + 18);
            return -1;
        }
    } else {
        char *colon = strchr(arg, ':');
        m.to_bridge = kind == V2K_MAP_BRIDGE;
        if (colon) {
            *colon = '\0';
            m.in = arg;
            m.out = colon + 1;
        } else {
            m.out = arg;
        }
    }
    if (m.out == NULL || m.out[0] == '\0' || (m.in && m.in[0] == '\0')) {
        v2k_error("%s: empty network or bridge name",
                  kind == V2K_MAP_BRIDGE ? "-b" : kind == V2K_MAP_MAC
                                                      ? "--mac" : "-n");
        return -1;
    }
    v = realloc(o->netmaps, (o->nnetmaps + 1) * sizeof *v);
    if (v == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    o->netmaps = v;
    o->netmaps[o->nnetmaps++] = m;
    return 0;
}

/* --root ask|single|first|/dev/... */
static int
parse_root(const char *arg)
{
    if (strcmp(arg, "ask") == 0 || strcmp(arg, "single") == 0 ||
        strcmp(arg, "first") == 0)
        return 0;
    if (strncmp(arg, "/dev/", 5) == 0 && arg[5] != '\0')
        return 0;
    v2k_error("--root '%s': must be ask, single, first or a root device (/dev/...)", arg);
    return -1;
}

/* --key DEVICE:KEY, DEVICE:key:KEY, DEVICE:file:PATH.  The key itself is
 * never repeated in a message. */
static int
add_key(struct v2k_options *o, const char *arg)
{
    const char *colon = strchr(arg, ':');
    const char **v;

    if (colon == NULL || colon == arg || colon[1] == '\0') {
        v2k_error("--key: expected DEVICE:KEY, DEVICE:key:KEY or DEVICE:file:PATH");
        return -1;
    }
    if (strncmp(colon + 1, "file:", 5) == 0 && colon[6] == '\0') {
        v2k_error("--key %.*s:file: needs a file name", (int)(colon - arg),
                  arg);
        return -1;
    }
    v = realloc(o->keys, (o->nkeys + 2) * sizeof *v);
    if (v == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    o->keys = v;
    o->keys[o->nkeys++] = arg;
    o->keys[o->nkeys] = NULL;
    return 0;
}

int
v2k_options_parse(int argc, char **argv, struct v2k_options *o)
{
    int c;
    uint64_t n;

    memset(o, 0, sizeof *o);
    v2k_pathpolicy_reset();
    opterr = 0;
    optind = 1;
    while ((c = getopt_long_only(argc, argv, ":b:i:n:o:qvx", longopts,
                                 NULL)) != -1) {
        switch (c) {
        case 'i': o->input_mode = optarg; break;
        case OPT_IC: o->input_uri = optarg; break;
        case OPT_IF: o->input_format = optarg; break;
        case OPT_IP: o->password_file = optarg; break;
        case OPT_IT: o->input_transport = optarg; break;
        case OPT_IO:
            if (parse_io(o, optarg) == -1)
                return -1;
            break;
        case 'o': o->output_mode = optarg; break;
        case OPT_OS: o->output_storage = optarg; break;
        case OPT_OF:
            if (!v2k_writer_format_known(optarg)) {
                v2k_error("-of '%s': output format must be %s", optarg,
                          v2k_writer_format_names());
                return -1;
            }
            o->output_format = optarg;
            break;
        case OPT_OA:
            if (strcmp(optarg, "preallocated") == 0)
                o->preallocated = true;
            else if (strcmp(optarg, "sparse") != 0) {
                v2k_error("-oa '%s': must be sparse or preallocated", optarg);
                return -1;
            }
            break;
        case OPT_ON: o->output_name = optarg; break;
        case OPT_OC: o->output_conn = optarg; break;
        case OPT_OO:
            if (parse_oo(o, optarg) == -1)
                return -1;
            break;
        case OPT_CPU:
            if (optarg[0] == '\0' ||
                strspn(optarg, "abcdefghijklmnopqrstuvwxyz"
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
                    strlen(optarg)) {
                v2k_error("--cpu '%s': expected host-model, host-passthrough or a CPU model name", optarg);
                return -1;
            }
            o->cpu = strcmp(optarg, "host-model") == 0 ? NULL : optarg;
            break;
        case OPT_BLOCK_DRIVER:
            if (strcmp(optarg, "virtio-blk") == 0)
                o->block_driver = V2K_BLOCKDRV_VIRTIO_BLK;
            else if (strcmp(optarg, "virtio-scsi") == 0)
                o->block_driver = V2K_BLOCKDRV_VIRTIO_SCSI;
            else {
                v2k_error("--block-driver '%s': must be virtio-blk or virtio-scsi", optarg);
                return -1;
            }
            break;
        case OPT_ALLOW_PATH:
            if (v2k_pathpolicy_allow(optarg) == -1)
                return -1;
            break;
        case OPT_QEMU_BOOT: o->qemu_boot = true; break;
        case OPT_COMPRESSED: o->compressed = true; break;
        case 'n':
            if (add_map(o, V2K_MAP_NETWORK, optarg) == -1)
                return -1;
            break;
        case 'b':
            if (add_map(o, V2K_MAP_BRIDGE, optarg) == -1)
                return -1;
            break;
        case OPT_MAC:
            if (add_map(o, V2K_MAP_MAC, optarg) == -1)
                return -1;
            break;
        case OPT_MEMORY:
            if (v2k_parse_size(optarg, "--memory", &o->memory_bytes) == -1)
                return -1;
            /* A bare number is MiB, as libvirt and virt-v2v users expect
             * ("--memory 2048"). */
            if (strspn(optarg, "0123456789") == strlen(optarg) &&
                V2K_MUL_OVERFLOW(o->memory_bytes, 1ULL << 20,
                                 &o->memory_bytes)) {
                v2k_error("--memory '%s' is too large", optarg);
                return -1;
            }
            if (o->memory_bytes < (1ULL << 20) ||
                o->memory_bytes > (16ULL << 40)) {
                v2k_error("--memory '%s': must be from 1 MiB to 16 TiB",
                          optarg);
                return -1;
            }
            break;
        case OPT_VCPUS:
            if (v2k_parse_u64(optarg, "--vcpus", &n) == -1)
                return -1;
            if (n == 0 || n > 4096) {
                v2k_error("--vcpus %s: must be from 1 to 4096", optarg);
                return -1;
            }
            o->vcpus = (unsigned)n;
            break;
        case OPT_PARALLEL:
            if (v2k_parse_u64(optarg, "--parallel", &n) == -1)
                return -1;
            if (n == 0 || n > 64) {
                v2k_error("--parallel %s: must be from 1 to 64", optarg);
                return -1;
            }
            o->workers = (unsigned)n;
            break;
        case OPT_OVERWRITE: o->overwrite = true; break;
        case OPT_PRINT_SOURCE: o->print_source = true; break;
        case OPT_PRINT_GUEST: o->print_guest = true; break;
        case OPT_NO_CONVERT: o->no_convert = true; break;
        case OPT_REBUILD_INITRAMFS: o->rebuild_initramfs = true; break;
        case OPT_VIRTIO_WIN: o->virtio_win = optarg; break;
        case OPT_ROOT:
            if (parse_root(optarg) == -1)
                return -1;
            o->root = optarg;
            break;
        case OPT_KEY:
            if (add_key(o, optarg) == -1)
                return -1;
            break;
        case OPT_LIST_INPUTS: o->list = V2K_LIST_INPUTS; break;
        case OPT_LIST_OUTPUTS: o->list = V2K_LIST_OUTPUTS; break;
        case OPT_LIST_STEPS: o->list = V2K_LIST_STEPS; break;
        case OPT_MACHINE: o->machine_readable = true; break;
        case 'v': o->verbose++; break;
        case 'x': o->trace = true; break;
        case 'q': o->quiet = true; break;
        case OPT_HELP:
            v2k_options_usage(stdout);
            return 1;
        case OPT_VERSION:
            printf("v2kvm %s\n", V2K_VERSION);
            return 1;
        case ':':
            v2k_error("option '%s' needs an argument", argv[optind - 1]);
            return -1;
        default:
            v2k_error("unknown option '%s'", argv[optind - 1]);
            return -1;
        }
    }
    o->sources = argv + optind;
    o->nsources = (size_t)(argc - optind);
    if (o->list != V2K_LIST_NONE)
        return 0;               /* the main prints the table */
    /* virt-v2v's -i libvirt reads ESX and vCenter: the default there. */
    if (o->input_mode == NULL && is_vsphere_uri(o->input_uri))
        o->input_mode = "libvirt";
    if (o->input_mode == NULL) {
        v2k_error("no input mode: use -i MODE (try --help)");
        return -1;
    }
    if (check_it(o) == -1 || check_disk_sources(o) == -1)
        return -1;
    if (o->output_mode == NULL && !o->print_source) {
        v2k_error("no output mode: use -o MODE (try --help)");
        return -1;
    }
    if (o->output_format == NULL)
        o->output_format = "qcow2";
    if (o->compressed && strcmp(o->output_format, "qcow2") != 0) {
        v2k_error("--compressed: only qcow2 disks are compressed, not -of %s", o->output_format);
        return -1;
    }
    if (o->no_convert && (o->print_guest || o->root || o->nkeys ||
                          o->rebuild_initramfs)) {
        v2k_error("--no-convert: the guest is not inspected, so %s has nothing to act on", o->print_guest ? "--print-guest"
                  : o->root ? "--root" : o->nkeys ? "--key"
                  : "--rebuild-initramfs");
        return -1;
    }
    if (o->compressed && o->preallocated) {
        v2k_error("--compressed and -oa preallocated exclude each other");
        return -1;
    }
    /* Before anything starts: a wrong --virtio-win is the user's error
     * whatever the guest turns out to be (the drivers step reads it). */
    if (o->virtio_win) {
        struct stat st;
        if (stat(o->virtio_win, &st) == -1) {
            v2k_error_errno(errno, "--virtio-win %s", o->virtio_win);
            return -1;
        }
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) &&
            !S_ISBLK(st.st_mode)) {
            v2k_error("--virtio-win %s: neither a directory nor an ISO image",
                      o->virtio_win);
            return -1;
        }
        if (o->no_convert) {
            v2k_error("--no-convert: the guest is not converted, so --virtio-win has nothing to act on");
            return -1;
        }
    }
    return 0;
}

void
v2k_options_remote_opts(const struct v2k_options *o,
                        struct v2k_remote_opts *r)
{
    memset(r, 0, sizeof *r);
    r->password_file = o->password_file;
    r->ssh_identity = o->ssh_identity;
    r->ssh_insecure = o->ssh_insecure;
    r->cafile = o->cafile;
    v2k_remote_opts_from_env(r);
}

void
v2k_options_free(struct v2k_options *o)
{
    free(o->netmaps);
    o->netmaps = NULL;
    o->nnetmaps = 0;
    free(o->keys);
    o->keys = NULL;
    o->nkeys = 0;
}

int
v2k_options_apply_guestcaps(const struct v2k_options *o,
                            const struct v2k_source *s,
                            struct v2k_guestcaps *gc)
{
    if (o->machine)
        gc->machine = strcmp(o->machine, "pc") == 0 ? V2K_MACHINE_PC
                                                     : V2K_MACHINE_Q35;
    /* q35 has no IDE controller (libvirt refuses bus='ide' there). */
    if (gc->block_bus == V2K_BLOCK_IDE && gc->machine == V2K_MACHINE_Q35) {
        if (o->machine) {
            v2k_error("-oo machine=q35: the guest's disks need IDE, which q35 lacks (use -oo machine=pc)");
            return -1;
        }
        gc->machine = V2K_MACHINE_PC;
    }
    /* OVMF's secure boot builds need SMM, which qemu only emulates on
     * q35 (libvirt formatdomain, "secure"). */
    if (s->firmware == V2K_FW_UEFI && s->secure_boot &&
        gc->machine == V2K_MACHINE_PC) {
        v2k_error("-oo machine=pc: the source boots with UEFI secure boot, which needs the q35 machine");
        return -1;
    }
    switch (o->block_driver) {
    case V2K_BLOCKDRV_DEFAULT:
        break;
    case V2K_BLOCKDRV_VIRTIO_BLK:
    case V2K_BLOCKDRV_VIRTIO_SCSI:
        /* The guest can use either once it has virtio drivers: Linux
         * has both in the kernel, virtio-win ships both. */
        if (gc->block_bus != V2K_BLOCK_VIRTIO_BLK &&
            gc->block_bus != V2K_BLOCK_VIRTIO_SCSI) {
            v2k_error("--block-driver %s: the guest has no virtio drivers (its disks stay on %s)",
                      o->block_driver == V2K_BLOCKDRV_VIRTIO_BLK
                          ? "virtio-blk" : "virtio-scsi",
                      v2k_block_bus_to_string(gc->block_bus));
            return -1;
        }
        gc->block_bus = o->block_driver == V2K_BLOCKDRV_VIRTIO_BLK
                            ? V2K_BLOCK_VIRTIO_BLK : V2K_BLOCK_VIRTIO_SCSI;
        break;
    }
    /* pc's IDE holds four devices: said before the copy, not after. */
    return v2k_disk_targets_check(s, gc->block_bus, gc->machine);
}
