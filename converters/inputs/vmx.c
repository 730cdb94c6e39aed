/* inputs/vmx.c - -i vmx FILE.vmx: a VMware Workstation/ESX machine.
 *
 * A .vmx is a list of lines `key = "value"`: keys are case-insensitive
 * (VMware writes both "scsi0:0.fileName" and "SCSI0:0.FILENAME"), values
 * are quoted, and a '|' followed by two hex digits inside a value is the
 * byte with that code ("|22" for '"', "|7C" for '|'), as VMware's
 * Dictionary writes them.  '#' starts a comment; a key given twice keeps
 * its last value; unknown keys are ignored.
 *
 * Devices: scsiN (virtualDev lsilogic, lsisas1068, pvscsi, buslogic),
 * sataN, ideN, nvmeN controllers with units "BUSN:M.{present,fileName,
 * deviceType,mode}", floppyN, ethernetN and sound/svga.  A disk's
 * fileName may name a snapshot delta (NAME-000001.vmdk): the VMDK reader
 * follows its parentFileNameHint chain (formats/vmdk.c).  Relative names
 * resolve against the .vmx's directory.
 *
 * A VM that is running holds "*.lck" files (Workstation: directories)
 * next to its .vmx and disks; we only warn, since a copy of a running VM
 * is inconsistent but a stale lock after a crash is common.
 *
 * The parser works on a buffer with bounded pointer-advancing code (no
 * sscanf/strtok/atoi).  v2k_vmx_parse() (inputs-internal.h) is shared by
 * the local file, vmx+ssh:// (the .vmx and the disks over SFTP) and the
 * ESX/vCenter input (over HTTPS, inputs/vsphere.c): only the way a file
 * name becomes a path or URI differs.
 *
 * -i vmx vmx+ssh://[USER@]HOST[:PORT]/vmfs/volumes/DS/VM/VM.vmx: the
 * .vmx is read over SFTP and every disk becomes an sftp:// URI next to
 * it (relative names) or on the same host (absolute ones), read in
 * place with ranged requests.  Credentials: ssh-agent or -io
 * ssh-identity=, known_hosts checked unless -io ssh-insecure.
 * virt-v2v's spelling, -i vmx -it ssh ssh://..., is the same.
 */
#include "cleanup.h"
#include "error.h"
#include "format.h"
#include "input.h"
#include "inputs-internal.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define VMX_MAX_SIZE (1U << 20)
#define VMX_MAX_KEY 256

/* Controllers and units per bus.  SCSI: 4 adapters of 16 targets (unit 7
 * is the adapter itself); SATA: 4 AHCI controllers of 30 ports; IDE: 2
 * channels, master and slave; NVMe: 4 controllers of 15 namespaces
 * (VMware's "Configuration Maximums"). */
static const struct vmx_bus {
    const char *prefix;
    enum v2k_bus bus;
    int controllers, units;
} buses[] = {
    { "ide", V2K_BUS_IDE, 2, 2 },
    { "scsi", V2K_BUS_SCSI, 4, 16 },
    { "sata", V2K_BUS_SATA, 4, 30 },
    { "nvme", V2K_BUS_NVME, 4, 15 },
};

struct vmx_entry {
    char *key;                  /* as written */
    char *value;
    int line;
};

struct vmx {
    const char *name;
    v2k_resolve_fn *resolve;    /* NULL: names as written, nothing opened */
    void *arg;
    const struct v2k_remote_opts *ropts;
    struct vmx_entry *e;
    size_t n;
};

static void
vmx_free(struct vmx *x)
{
    for (size_t i = 0; i < x->n; i++) {
        free(x->e[i].key);
        free(x->e[i].value);
    }
    free(x->e);
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool
is_key_char(char c)
{
    return isalnum((unsigned char)c) || strchr("_.:-[]", c) != NULL;
}

/* One line [p, end): 0 when it was blank or a comment or an entry (added
 * to x), -1 with an error naming the line. */
static int
parse_line(struct vmx *x, const char *p, const char *end, int line)
{
    const char *k, *ke;
    char *val, *q;
    struct vmx_entry *ne;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p == end || *p == '#')
        return 0;
    for (k = p; p < end && is_key_char(*p); p++)
        ;
    ke = p;
    if (ke == k || ke - k > VMX_MAX_KEY) {
        v2k_error("%s:%d: expected a key (letters, digits, '_.:-')",
                  x->name, line);
        return -1;
    }
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p == end || *p != '=') {
        v2k_error("%s:%d: expected '=' after the key '%.*s'", x->name, line,
                  (int)(ke - k), k);
        return -1;
    }
    p++;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    val = v2k_malloc((size_t)(end - p) + 1);
    if (val == NULL)
        return -1;
    q = val;
    if (p < end && *p == '"') {
        for (p++; p < end && *p != '"'; p++) {
            int hi, lo;
            if (*p == '|' && end - p >= 3 && (hi = hexval(p[1])) >= 0 &&
                (lo = hexval(p[2])) >= 0) {
                *q++ = (char)(hi << 4 | lo);
                p += 2;
            } else {
                *q++ = *p;
            }
        }
        if (p == end) {
            v2k_error("%s:%d: the value of '%.*s' has no closing quote",
                      x->name, line, (int)(ke - k), k);
            free(val);
            return -1;
        }
        for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
            ;
        if (p < end && *p != '#') {
            v2k_error("%s:%d: unexpected text after the value of '%.*s'",
                      x->name, line, (int)(ke - k), k);
            free(val);
            return -1;
        }
    } else {
        /* Unquoted (old files: "memsize = 512"): up to a comment. */
        const char *ve = p;
        while (ve < end && *ve != '#')
            ve++;
        while (ve > p && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        memcpy(q, p, (size_t)(ve - p));
        q += ve - p;
    }
    *q = '\0';
    if (strlen(val) != (size_t)(q - val)) {
        v2k_error("%s:%d: NUL byte in the value of '%.*s'", x->name, line,
                  (int)(ke - k), k);
        free(val);
        return -1;
    }
    ne = realloc(x->e, (x->n + 1) * sizeof *ne);
    if (ne == NULL) {
        v2k_error("out of memory");
        free(val);
        return -1;
    }
    x->e = ne;
    ne = &x->e[x->n];
    ne->key = v2k_malloc((size_t)(ke - k) + 1);
    if (ne->key == NULL) {
        free(val);
        return -1;
    }
    /* As written (messages quote it); lookups ignore case. */
    memcpy(ne->key, k, (size_t)(ke - k));
    ne->key[ke - k] = '\0';
    ne->value = val;
    ne->line = line;
    x->n++;
    return 0;
}

static int
vmx_tokenize(struct vmx *x, const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    int line = 1;

    /* A UTF-8 byte order mark, as some editors leave. */
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = (size_t)((nl ? nl : end) - p);
        const char *le;
        if (ll > 0 && p[ll - 1] == '\r')
            ll--;
        le = p + ll;
        if (memchr(p, '\0', ll)) {
            v2k_error("%s:%d: NUL byte (not a text file?)", x->name, line);
            return -1;
        }
        if (parse_line(x, p, le, line) == -1)
            return -1;
        p = nl ? nl + 1 : end;
        line++;
    }
    return 0;
}

/* The last entry for key (case-insensitive), or NULL. */
static const struct vmx_entry *
find(const struct vmx *x, const char *key)
{
    for (size_t i = x->n; i-- > 0;)
        if (strcasecmp(x->e[i].key, key) == 0)
            return &x->e[i];
    return NULL;
}

static const char *
get(const struct vmx *x, const char *key)
{
    const struct vmx_entry *e = find(x, key);
    return e ? e->value : NULL;
}

/* VMware booleans: TRUE/FALSE in any case, also yes/no, 1/0. */
static bool
get_bool(const struct vmx *x, const char *key)
{
    const char *v = get(x, key);
    return v && (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
                 strcmp(v, "1") == 0);
}

/* An unsigned value: 0 when absent (*out untouched), 1 when set, -1 with
 * an error naming the file, line and key. */
static int
get_u64(const struct vmx *x, const char *key, uint64_t max, uint64_t *out)
{
    const struct vmx_entry *e = find(x, key);
    uint64_t v;

    if (e == NULL)
        return 0;
    if (v2k_parse_u64(e->value, key, &v) == -1 || v > max) {
        v2k_error("%s:%d: %s = \"%s\": not a number from 0 to %llu",
                  x->name, e->line, e->key, e->value,
                  (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 1;
}

static char *
resolve(const struct vmx *x, const char *path)
{
    if (x->resolve == NULL)
        return v2k_strdup(path);
    return x->resolve(x->arg, path);
}

/* Local files: relative to the .vmx's (real) directory. */
static char *
resolve_local(void *basedir, const char *path)
{
    if (path[0] == '/')
        return v2k_strdup(path);
    return v2k_asprintf("%s/%s", (const char *)basedir, path);
}

/* A local .vmx is someone else's description: its disks and what they
 * name stay in its directory (common/pathpolicy.h). */
static int
confine(const struct vmx *x, struct v2k_disk *d)
{
    if (x->resolve != resolve_local)
        return 0;
    d->confine_dir = v2k_strdup(x->arg);
    return d->confine_dir ? 0 : -1;
}

static void
warn_lock(const char *path)
{
    CLEANUP_FREE char *lck = v2k_asprintf("%s.lck", path);
    struct stat st;

    if (lck && stat(lck, &st) == 0)
        v2k_warning("%s exists: the VM may be running, and a copy of a running VM's disks is inconsistent", lck);
    v2k_error_clear();
}

static int
add_disk(const struct vmx *x, struct v2k_source *s, const char *dev,
         enum v2k_bus bus, int slot)
{
    char key[64];
    const struct vmx_entry *fe;
    const char *dt, *mode;
    struct v2k_disk *d;
    bool cdrom;

    snprintf(key, sizeof key, "%s.devicetype", dev);
    dt = get(x, key);
    snprintf(key, sizeof key, "%s.filename", dev);
    fe = find(x, key);
    cdrom = dt && (strncasecmp(dt, "cdrom", 5) == 0 ||
                   strcasecmp(dt, "atapi-cdrom") == 0);
    if (!cdrom && dt && strcasecmp(dt, "disk") != 0 &&
        strcasecmp(dt, "scsi-hardDisk") != 0 &&
        strcasecmp(dt, "ata-hardDisk") != 0 &&
        strcasecmp(dt, "nvme-hardDisk") != 0) {
        v2k_warning("%s: %s.deviceType = \"%s\": not a disk or CD-ROM, skipped", x->name, dev, dt);
        return 0;
    }
    if ((d = v2k_source_add_disk(s)) == NULL)
        return -1;
    d->bus = bus;
    d->slot = slot;
    d->transport = V2K_TRANSPORT_FILE;
    if (cdrom) {
        /* The ISO (or host drive) is not carried over: an empty drive
         * keeps the guest's device layout. */
        d->device = V2K_DEV_CDROM;
        return 0;
    }
    d->device = V2K_DEV_DISK;
    if (fe == NULL || fe->value[0] == '\0') {
        v2k_error("%s: %s.fileName: the disk has no file name", x->name,
                  dev);
        return -1;
    }
    snprintf(key, sizeof key, "%s.mode", dev);
    mode = get(x, key);
    if (mode && strncasecmp(mode, "independent-nonpersistent", 25) == 0)
        v2k_warning("%s: %s is independent-nonpersistent: the base disk is converted, changes in its redo log are not", x->name,
                    dev);
    if ((d->path = resolve(x, fe->value)) == NULL || confine(x, d) == -1)
        return -1;
    if (x->resolve == NULL)
        return 0;
    /* Local images follow absolute backing names; remote ones only
     * names next to them (v2k_input_open_disk). */
    if (v2k_input_open_disk(d, x->ropts, NULL) == -1) {
        v2k_error_prepend("%s:%d: %s.fileName: ", x->name, fe->line, dev);
        return -1;
    }
    if (!v2k_uri_is_remote(d->path))
        warn_lock(d->path);
    return 0;
}

/* Digits at *p as a number (at most 9 of them: more is out of any
 * range); -1 when there is none. */
static long
unit_number(const char **p)
{
    long n = 0;
    int k = 0;

    while (isdigit((unsigned char)**p)) {
        if (k++ < 9)
            n = n * 10 + (**p - '0');
        else
            n = 1000000000;
        (*p)++;
    }
    return k ? n : -1;
}

/* A present device "BUSc:u" past VMware's limits (the table above; SCSI
 * unit 7 is the adapter) would be dropped by the loops below, and with
 * it a disk of the guest: refuse it, naming the line.  VMware does not
 * power such a VM on, so the .vmx was edited by hand. */
static int
check_limits(const struct vmx *x)
{
    for (size_t i = 0; i < x->n; i++) {
        const struct vmx_entry *e = &x->e[i];
        for (size_t b = 0; b < V2K_ARRAY_SIZE(buses); b++) {
            const struct vmx_bus *vb = &buses[b];
            size_t n = strlen(vb->prefix);
            const char *p = e->key + n;
            long c, u;

            if (strncasecmp(e->key, vb->prefix, n) != 0)
                continue;
            if ((c = unit_number(&p)) < 0 || *p++ != ':' ||
                (u = unit_number(&p)) < 0 || strcasecmp(p, ".present") != 0 ||
                !get_bool(x, e->key))
                continue;
            if (c < vb->controllers && u < vb->units &&
                !(vb->bus == V2K_BUS_SCSI && u == 7))
                continue;
            v2k_error("%s:%d: %s: %s%ld:%ld is beyond VMware's limits (%s0-%d, units 0-%d%s)",
                      x->name, e->line, e->key, vb->prefix, c, u,
                      vb->prefix, vb->controllers - 1, vb->units - 1,
                      vb->bus == V2K_BUS_SCSI ? " but 7, the adapter" : "");
            return -1;
        }
    }
    return 0;
}

static int
parse_disks(const struct vmx *x, struct v2k_source *s)
{
    static const struct { const char *dev; } scsi_ok[] = {
        { "lsilogic" }, { "lsisas1068" }, { "pvscsi" }, { "buslogic" },
    };
    for (size_t b = 0; b < V2K_ARRAY_SIZE(buses); b++) {
        const struct vmx_bus *vb = &buses[b];
        for (int c = 0; c < vb->controllers; c++) {
            char key[64], dev[32];
            const struct vmx_entry *vd;

            /* The IDE channels are built in: VMware writes no
             * "ide0.present" for them. */
            snprintf(key, sizeof key, "%s%d.present", vb->prefix, c);
            if (vb->bus != V2K_BUS_IDE && !get_bool(x, key))
                continue;
            snprintf(key, sizeof key, "%s%d.virtualdev", vb->prefix, c);
            vd = find(x, key);
            if (vb->bus == V2K_BUS_SCSI && vd) {
                bool ok = false;
                for (size_t i = 0; i < V2K_ARRAY_SIZE(scsi_ok); i++)
                    ok |= strcasecmp(vd->value, scsi_ok[i].dev) == 0;
                if (!ok) {
                    v2k_error("%s:%d: %s = \"%s\": unknown SCSI controller (lsilogic, lsisas1068, pvscsi, buslogic)",
                              x->name, vd->line, vd->key, vd->value);
                    return -1;
                }
            }
            for (int u = 0; u < vb->units; u++) {
                snprintf(dev, sizeof dev, "%s%d:%d", vb->prefix, c, u);
                snprintf(key, sizeof key, "%s.present", dev);
                if (!get_bool(x, key))
                    continue;
                if (add_disk(x, s, dev, vb->bus,
                             c * vb->units + u) == -1)
                    return -1;
            }
        }
    }
    for (int f = 0; f < 2; f++) {
        char key[64];
        const char *ft, *fn;
        struct v2k_disk *d;

        snprintf(key, sizeof key, "floppy%d.present", f);
        if (!get_bool(x, key))
            continue;
        if ((d = v2k_source_add_disk(s)) == NULL)
            return -1;
        d->device = V2K_DEV_FLOPPY;
        d->bus = V2K_BUS_FLOPPY;
        d->slot = f;
        snprintf(key, sizeof key, "floppy%d.filetype", f);
        ft = get(x, key);
        snprintf(key, sizeof key, "floppy%d.filename", f);
        fn = get(x, key);
        /* A remote host's floppy image is not fetched: an empty drive. */
        if (ft && strcasecmp(ft, "file") == 0 && fn && *fn &&
            (x->ropts == NULL || !x->resolve) &&
            ((d->path = resolve(x, fn)) == NULL || confine(x, d) == -1 ||
             (d->format = v2k_strdup("raw")) == NULL))
            return -1;
    }
    return 0;
}

/* "00:50:56:AB:CD:EF" -> lowercase; -1 when it is not a MAC. */
static int
set_mac(const struct vmx *x, struct v2k_nic *n, const struct vmx_entry *e)
{
    char mac[18];

    if (!v2k_parse_mac(e->value, true, mac)) {
        v2k_error("%s:%d: %s = \"%s\": not a MAC address", x->name, e->line,
                  e->key, e->value);
        return -1;
    }
    n->mac = v2k_strdup(mac);
    return n->mac ? 0 : -1;
}

static int
parse_nics(const struct vmx *x, struct v2k_source *s)
{
    static const struct { const char *d; enum v2k_nic_model m; } models[] = {
        { "e1000", V2K_NIC_E1000 }, { "e1000e", V2K_NIC_E1000E },
        { "vmxnet3", V2K_NIC_VMXNET3 }, { "vmxnet", V2K_NIC_VMXNET3 },
        { "vmxnet2", V2K_NIC_VMXNET3 }, { "vlance", V2K_NIC_PCNET },
    };
    /* Workstation allows 10 adapters, ESX 10 per VM. */
    for (int i = 0; i < 10; i++) {
        char key[64];
        const char *vd, *at, *net, *ct, *slot;
        const struct vmx_entry *mac;
        struct v2k_nic *n;

        snprintf(key, sizeof key, "ethernet%d.present", i);
        if (!get_bool(x, key))
            continue;
        if ((n = v2k_source_add_nic(s)) == NULL)
            return -1;
        snprintf(key, sizeof key, "ethernet%d.virtualdev", i);
        vd = get(x, key);
        /* No virtualDev: the default adapter, vlance (AMD PCnet). */
        n->model = vd ? V2K_NIC_UNKNOWN : V2K_NIC_PCNET;
        for (size_t k = 0; vd && k < V2K_ARRAY_SIZE(models); k++)
            if (strcasecmp(vd, models[k].d) == 0)
                n->model = models[k].m;
        snprintf(key, sizeof key, "ethernet%d.addresstype", i);
        at = get(x, key);
        snprintf(key, sizeof key, "ethernet%d.%s", i,
                 at && strcasecmp(at, "static") == 0 ? "address"
                                                     : "generatedaddress");
        mac = find(x, key);
        if (mac && set_mac(x, n, mac) == -1)
            return -1;
        /* The guest named the NIC ens<slot> (ACPI _SUN); "-1" or
         * absent: not assigned yet, left unknown. */
        snprintf(key, sizeof key, "ethernet%d.pcislotnumber", i);
        slot = get(x, key);
        if (slot && isdigit((unsigned char)slot[0]) && strlen(slot) <= 5) {
            char *end;
            unsigned long v = strtoul(slot, &end, 10);

            if (*end == '\0' && v <= 65535)
                n->pci_slot = (int)v;
        }
        snprintf(key, sizeof key, "ethernet%d.networkname", i);
        net = get(x, key);
        snprintf(key, sizeof key, "ethernet%d.connectiontype", i);
        ct = get(x, key);
        n->net_type = V2K_NET_NETWORK;
        if (net && *net) {
            n->network = v2k_strdup(net);     /* an ESX port group */
        } else if (ct && strcasecmp(ct, "bridged") == 0) {
            n->net_type = V2K_NET_BRIDGE;
            n->network = v2k_strdup("bridged");
        } else {
            /* nat, hostonly, custom: Workstation's virtual networks. */
            n->network = v2k_strdup(ct && *ct ? ct : "default");
        }
        if (n->network == NULL)
            return -1;
    }
    return 0;
}

/* uuid.bios = "56 4d 2e 1f ... 3a-7b ..." (16 bytes, spaces and a dash)
 * -> "564d2e1f-...". NULL (no error) when it is not 32 hex digits. */
static char *
bios_uuid(const char *v)
{
    char hex[33];
    size_t n = 0;

    for (; *v && n < 33; v++) {
        if (*v == ' ' || *v == '-')
            continue;
        if (hexval(*v) < 0)
            return NULL;
        hex[n++] = (char)tolower((unsigned char)*v);
    }
    if (n != 32 || *v)
        return NULL;
    return v2k_asprintf("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
                        hex + 16, hex + 20);
}

static int
parse_machine(const struct vmx *x, struct v2k_source *s)
{
    uint64_t v = 1, cores = 0;
    const char *p;

    if (get_u64(x, "numvcpus", V2K_MAX_VCPUS, &v) == -1)
        return -1;
    if (v == 0) {
        v2k_error("%s:%d: numvcpus = \"0\": out of range (1 to %d)",
                  x->name, find(x, "numvcpus")->line, V2K_MAX_VCPUS);
        return -1;
    }
    s->vcpus = (unsigned)v;
    if (get_u64(x, "cpuid.corespersocket", V2K_MAX_VCPUS, &cores) == -1)
        return -1;
    if (cores) {
        if (s->vcpus % cores) {
            v2k_error("%s:%d: cpuid.coresPerSocket = \"%llu\" does not divide numvcpus (%u)", x->name,
                      find(x, "cpuid.corespersocket")->line,
                      (unsigned long long)cores, s->vcpus);
            return -1;
        }
        s->cores = (unsigned)cores;
        s->sockets = s->vcpus / (unsigned)cores;
        s->threads = 1;
    }
    /* memsize in MiB; 32 MiB when absent (VMware's default). */
    v = 32;
    if (get_u64(x, "memsize", V2K_MAX_MEMORY_BYTES >> 20, &v) == -1)
        return -1;
    if (v == 0) {
        v2k_error("%s:%d: memsize = \"0\": out of range (1 MiB to 16 TiB)",
                  x->name, find(x, "memsize")->line);
        return -1;
    }
    s->memory_bytes = v << 20;
    p = get(x, "firmware");
    s->firmware = p && strcasecmp(p, "efi") == 0 ? V2K_FW_UEFI : V2K_FW_BIOS;
    s->secure_boot = s->firmware == V2K_FW_UEFI &&
                     get_bool(x, "uefi.secureboot.enabled");
    if ((p = get(x, "guestos")) && (s->os_hint = v2k_strdup(p)) == NULL)
        return -1;
    if ((p = get(x, "uuid.bios")))
        s->uuid = bios_uuid(p);
    /* The SVGA adapter is always there; vramSize in bytes. */
    s->video = V2K_VIDEO_VMVGA;
    v = 0;
    if (get_u64(x, "svga.vramsize", 1ULL << 32, &v) == -1)
        return -1;
    s->video_ram_bytes = v;
    if (get_bool(x, "sound.present")) {
        p = get(x, "sound.virtualdev");
        s->sound = v2k_strdup(p && *p ? p : "es1371");
        if (s->sound == NULL)
            return -1;
    }
    return 0;
}

/* The value of e in UTF-8: VMware writes a .vmx in the character set
 * its ".encoding" key names ("UTF-8", or e.g. "windows-1252" on older
 * Windows hosts); without that key the bytes are kept (a name that is
 * then not UTF-8 is refused later, v2k_check_vm_name). */
static char *
vmx_utf8(const struct vmx *x, const struct vmx_entry *e)
{
    const struct vmx_entry *enc = find(x, ".encoding");
    size_t inlen = strlen(e->value), outlen = inlen * 4 + 1;
    char *out, *in = e->value, *o;
    iconv_t cd;

    if (enc == NULL || strcasecmp(enc->value, "UTF-8") == 0)
        return v2k_strdup(e->value);
    cd = iconv_open("UTF-8", enc->value);
    if (cd == (iconv_t)-1) {
        v2k_error("%s:%d: .encoding = \"%s\": unknown character set",
                  x->name, enc->line, enc->value);
        return NULL;
    }
    out = o = v2k_malloc(outlen);
    if (out && iconv(cd, &in, &inlen, &o, &outlen) == (size_t)-1) {
        v2k_error("%s:%d: %s is not %s text", x->name, e->line, e->key,
                  enc->value);
        free(out);
        out = NULL;
    }
    if (out)
        *o = '\0';
    iconv_close(cd);
    return out;
}

struct v2k_source *
v2k_vmx_parse(const char *buf, size_t len, const char *name,
              v2k_resolve_fn *resolve_fn, void *arg,
              const struct v2k_remote_opts *ropts)
{
    static const char *const exts[] = { ".vmx", NULL };
    struct vmx x = { .name = name, .resolve = resolve_fn, .arg = arg,
                     .ropts = ropts };
    struct v2k_source *s = NULL;
    const struct vmx_entry *dn;

    if (vmx_tokenize(&x, buf, len) == -1)
        goto fail;
    if ((s = v2k_source_new()) == NULL)
        goto fail;
    s->hypervisor = V2K_HV_VMWARE;
    dn = find(&x, "displayname");
    s->name = dn && *dn->value ? vmx_utf8(&x, dn)
                               : v2k_basename_noext(name, exts);
    if (s->name == NULL)
        goto fail;
    if (parse_machine(&x, s) == -1 || check_limits(&x) == -1 ||
        parse_disks(&x, s) == -1 ||
        parse_nics(&x, s) == -1)
        goto fail;
    vmx_free(&x);
    return s;
fail:
    vmx_free(&x);
    v2k_source_free(s);
    return NULL;
}

struct v2k_source *
v2k_vmx_parse_buffer(const char *buf, size_t len, const char *name)
{
    return v2k_vmx_parse(buf, len, name, NULL, NULL, NULL);
}

/* Remote files: relative names next to the .vmx's URI, absolute ones
 * on the same host (v2k_uri_resolve). */
static char *
resolve_uri(void *vmx_uri, const char *path)
{
    return v2k_uri_resolve(vmx_uri, path);
}

/* vmx+ssh://[USER@]HOST[:PORT]/PATH.vmx, or virt-v2v's spelling
 * -it ssh ssh://...; skip is the length of the scheme. */
static struct v2k_source *
vmx_setup_ssh(const struct v2k_options *o, size_t skip)
{
    const char *src = o->sources[0];
    CLEANUP_FREE char *uri = NULL;
    CLEANUP_FREE char *buf = NULL;
    struct v2k_remote_opts ropts;
    size_t len = 0;

    if (strchr(src + skip, '/') == NULL) {
        v2k_error("%s: expected %.*s[USER@]HOST[:PORT]/PATH.vmx", src,
                  (int)skip, src);
        return NULL;
    }
    v2k_options_remote_opts(o, &ropts);
    uri = v2k_asprintf("sftp://%s", src + skip);
    if (uri == NULL)
        return NULL;
    /* The transport refuses a password in the URI (it names it
     * redacted). */
    buf = v2k_input_remote_read(uri, &ropts, VMX_MAX_SIZE, &len);
    if (buf == NULL)
        return NULL;
    return v2k_vmx_parse(buf, len, uri, resolve_uri, uri, &ropts);
}

static struct v2k_source *
vmx_open(const struct v2k_options *o,
         __attribute__((unused)) void **state)
{
    CLEANUP_FREE char *buf = NULL;
    char real[PATH_MAX];
    struct v2k_source *s = NULL;
    size_t len, skip;

    if (o->nsources != 1) {
        v2k_error("-i vmx: give one .vmx file");
        return NULL;
    }
    if (o->input_uri) {
        v2k_error("-i vmx: -ic is not used (give vmx+ssh://HOST/PATH.vmx, or -ic esx://HOST or vpx://VCENTER/DC/HOST with the VM's name)");
        return NULL;
    }
    skip = strncasecmp(o->sources[0], "vmx+ssh://", 10) == 0 ? 10
           : strncasecmp(o->sources[0], "ssh://", 6) == 0   ? 6
                                                             : 0;
    if (skip) {
        s = vmx_setup_ssh(o, skip);
        if (s == NULL)
            v2k_error_prepend("-i vmx: ");
        return s;
    }
    if (o->input_transport) {   /* -it ssh: options allow nothing else */
        v2k_error("-i vmx -it ssh: expected ssh://[USER@]HOST[:PORT]/PATH.vmx, not '%s'", o->sources[0]);
        return NULL;
    }
    if (v2k_input_read_local(o->sources[0], VMX_MAX_SIZE, &buf, &len,
                             real) == 0) {
        warn_lock(o->sources[0]);
        s = v2k_vmx_parse(buf, len, o->sources[0], resolve_local, real,
                          NULL);
    }
    if (s == NULL)
        v2k_error_prepend("-i vmx: ");
    return s;
}

const struct v2k_input v2k_input_vmx = {
    .name = "vmx",
    .help = "a VMware .vmx file given as SOURCE",
    .open = vmx_open,
};
