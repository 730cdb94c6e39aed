/* discover.c - see discover.h.
 *
 * Layout facts relied on (Documentation/ABI/stable/sysfs-block and
 * sysfs-class-net of the kernel):
 *   sys/block/NAME -> ../devices/.../block/NAME (the path shows the bus:
 *     .../ata1/..., .../usb2/..., .../end_device-0:0/... for SAS);
 *   sys/block/NAME/{size (512-byte sectors), removable, ro, dev (M:m)};
 *   sys/block/NAME/NAMEp/partition marks a partition of NAME;
 *   sys/block/NAME/{slaves,holders}/ list the stacked devices;
 *   sys/block/dm-N/dm/{name,uuid}: uuid "mpath-WWID" for multipath
 *     (multipath-tools), "LVM-..." for LVM, "CRYPT-..." for dm-crypt;
 *   sys/block/mdN/md/level ("raid1");
 *   sys/dev/block/M:m -> ../../devices/.../block/DISK[/PART];
 *   sys/class/net/NAME/device exists only for interfaces on a bus.
 */
#include "discover.h"
#include "cleanup.h"
#include "ondisk.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_CPUS 8192           /* more than any x86 server has */
#define MAX_STACK_DEPTH 8       /* md over dm over md...: a bound */
#define MAX_ONDISK 1024         /* devices probed for md/LVM metadata */

struct ctx {
    const char *root;
    struct v2k_p2v_machine *m;
    bool *seen;         /* per disk: visited by the current stack walk */
    bool oom;
};

/* ---- bounded reads ------------------------------------------------- */

static char *
vpathf(struct ctx *c, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* ROOT/fmt...; NULL (oom recorded) on ENOMEM. */
static char *
vpathf(struct ctx *c, const char *fmt, va_list ap)
{
    CLEANUP_FREE char *rel = NULL;

    if (vasprintf(&rel, fmt, ap) < 0) {
        rel = NULL;
        c->oom = true;
        return NULL;
    }
    char *p = v2k_asprintf("%s%s%s", c->root,
                           c->root[strlen(c->root) - 1] == '/' ? "" : "/",
                           rel);
    if (p == NULL)
        c->oom = true;
    return p;
}

static char *
pathf(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
pathf(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    p = vpathf(c, fmt, ap);
    va_end(ap);
    return p;
}

/* Up to cap bytes of a regular file, NUL-terminated; NULL when it is
 * missing, not a regular file or unreadable.  *truncated says there was
 * more.  A FIFO or device in a captured tree is refused before any read
 * could block. */
static char *
read_bounded(const char *path, size_t cap, size_t *lenp, bool *truncated)
{
    CLEANUP_CLOSE int fd = -1;
    struct stat st;
    size_t len = 0;
    char *buf;

    *truncated = false;
    if (path == NULL)
        return NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
        return NULL;
    buf = malloc(cap + 2);
    if (buf == NULL)
        return NULL;
    while (len <= cap) {
        ssize_t r = read(fd, buf + len, cap + 1 - len);
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1) {
            /* sysfs answers EINVAL for carrier of a down interface */
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (len > cap) {
        *truncated = true;
        len = cap;
    }
    buf[len] = '\0';
    if (lenp)
        *lenp = len;
    return buf;
}

/* A sysfs/proc attribute, trimmed of blanks at both ends; NULL when
 * missing, empty or longer than V2K_P2V_ATTR_MAX (not what the kernel
 * writes). */
static char *
attr_at(const char *path)
{
    bool trunc;
    size_t len, start = 0;
    char *s = read_bounded(path, V2K_P2V_ATTR_MAX, &len, &trunc);

    if (s == NULL)
        return NULL;
    if (trunc) {
        free(s);
        return NULL;
    }
    len = strlen(s);            /* a NUL inside ends the value */
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' ' ||
                       s[len - 1] == '\t' || s[len - 1] == '\r'))
        s[--len] = '\0';
    while (s[start] == ' ' || s[start] == '\t')
        start++;
    if (s[start] == '\0') {
        free(s);
        return NULL;
    }
    memmove(s, s + start, len - start + 1);
    return s;
}

static char *
attr(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
attr(struct ctx *c, const char *fmt, ...)
{
    CLEANUP_FREE char *p = NULL;
    va_list ap;

    va_start(ap, fmt);
    p = vpathf(c, fmt, ap);
    va_end(ap);
    return attr_at(p);
}

/* A whole unsigned number in an attribute, else false. */
static bool
attr_u64(const char *val, uint64_t *out)
{
    if (val == NULL)
        return false;
    if (v2k_parse_u64(val, "attribute", out) == -1) {
        v2k_error_clear();
        return false;
    }
    return true;
}

static bool
exists(struct ctx *c, const char *rel)
{
    CLEANUP_FREE char *p = pathf(c, "%s", rel);
    struct stat st;
    return p && lstat(p, &st) == 0;
}

/* The target of a symlink, or NULL. */
static char *
link_at(const char *path)
{
    char buf[PATH_MAX];
    ssize_t n;

    if (path == NULL)
        return NULL;
    n = readlink(path, buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return strdup(buf);
}

static int
cmp_version(const void *a, const void *b)
{
    return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory (no dot entries), in version order (sda, sdb,
 * sdaa; nvme2n1, nvme10n1), at most V2K_P2V_MAX_ENTRIES.  An empty list
 * when the directory is missing; NULL (oom recorded) on ENOMEM. */
static char **
list_dir(struct ctx *c, const char *path)
{
    DIR *dir = path ? opendir(path) : NULL;
    struct dirent *e;
    char **l = calloc(1, sizeof *l);
    size_t n = 0;

    if (l == NULL) {
        c->oom = true;
        goto out;
    }
    while (dir && (e = readdir(dir)) != NULL && n < V2K_P2V_MAX_ENTRIES) {
        char **nl;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        nl = realloc(l, (n + 2) * sizeof *l);
        if (nl == NULL || (nl[n] = strdup(e->d_name)) == NULL) {
            if (nl)
                l = nl;
            v2k_strv_free(l);
            l = NULL;
            c->oom = true;
            goto out;
        }
        l = nl;
        l[++n] = NULL;
    }
    qsort(l, n, sizeof *l, cmp_version);
out:
    if (dir)
        closedir(dir);
    return l;
}

/* Take ownership of s into *dst ("" when s is NULL). */
static void
own(struct ctx *c, char **dst, char *s)
{
    free(*dst);
    *dst = s ? s : strdup("");
    if (*dst == NULL)
        c->oom = true;
}

static bool
has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* ---- CPU, memory, firmware ------------------------------------------ */

struct cpuinfo {
    unsigned processors;
    unsigned cpu_cores, siblings;       /* of the first processor */
    unsigned npackages;
    char *vendor, *model;
    bool lm;                    /* the x86 long mode flag: 64-bit */
};

/* Add v to the set in ids[*n] (bounded). */
static void
add_id(uint64_t *ids, unsigned *n, unsigned max, uint64_t v)
{
    for (unsigned i = 0; i < *n; i++)
        if (ids[i] == v)
            return;
    if (*n < max)
        ids[(*n)++] = v;
}

static unsigned
small_u(const char *v)
{
    uint64_t u;
    return attr_u64(v, &u) && u <= MAX_CPUS ? (unsigned)u : 0;
}

static void
read_cpuinfo(struct ctx *c, struct cpuinfo *ci)
{
    CLEANUP_FREE char *p = pathf(c, "proc/cpuinfo");
    CLEANUP_FREE char *buf = NULL;
    CLEANUP_FREE uint64_t *pkgs = calloc(MAX_CPUS, sizeof *pkgs);
    bool trunc;
    char *line, *save = NULL;

    memset(ci, 0, sizeof *ci);
    if (pkgs == NULL) {
        c->oom = true;
        return;
    }
    buf = read_bounded(p, V2K_P2V_TABLE_MAX, NULL, &trunc);
    for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        char *k = line, *v, *e;
        if (colon == NULL)
            continue;
        *colon = '\0';
        v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        for (e = colon; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
            e[-1] = '\0';
        if (strcmp(k, "processor") == 0) {
            if (++ci->processors > MAX_CPUS)
                break;          /* not a real cpuinfo: enough read */
        } else if (strcmp(k, "physical id") == 0)
            add_id(pkgs, &ci->npackages, MAX_CPUS, small_u(v));
        else if (strcmp(k, "cpu cores") == 0 && ci->cpu_cores == 0)
            ci->cpu_cores = small_u(v);
        else if (strcmp(k, "siblings") == 0 && ci->siblings == 0)
            ci->siblings = small_u(v);
        else if (strcmp(k, "vendor_id") == 0 && ci->vendor == NULL)
            ci->vendor = strdup(v);
        else if (strcmp(k, "model name") == 0 && ci->model == NULL)
            ci->model = strdup(v);
        else if (strcmp(k, "flags") == 0 && !ci->lm) {
            CLEANUP_FREE char *f = v2k_asprintf(" %s ", v);
            ci->lm = f && strstr(f, " lm ") != NULL;
        }
    }
    if (ci->processors > MAX_CPUS)
        ci->processors = MAX_CPUS;
}

/* Parse a CPU list ("0-3,8,10-11") into set[]; the count, 0 if bad. */
static unsigned
parse_cpulist(const char *s, bool *set)
{
    unsigned n = 0;

    while (s && *s) {
        unsigned long a, b;
        char *e;
        if (*s < '0' || *s > '9')
            return 0;
        a = strtoul(s, &e, 10);
        b = a;
        if (*e == '-') {
            if (e[1] < '0' || e[1] > '9')
                return 0;
            b = strtoul(e + 1, &e, 10);
        }
        if (b < a || b >= MAX_CPUS)
            return 0;
        for (unsigned long i = a; i <= b; i++)
            if (!set[i]) {
                set[i] = true;
                n++;
            }
        if (*e == ',')
            e++;
        else if (*e != '\0')
            return 0;
        s = e;
    }
    return n;
}

static void
discover_cpu(struct ctx *c)
{
    struct v2k_p2v_machine *m = c->m;
    struct cpuinfo ci;
    CLEANUP_FREE bool *online = calloc(MAX_CPUS, sizeof *online);
    CLEANUP_FREE uint64_t *pkgs = calloc(MAX_CPUS, sizeof *pkgs);
    CLEANUP_FREE uint64_t *cores = calloc(MAX_CPUS, sizeof *cores);
    CLEANUP_FREE char *list = NULL;
    unsigned n = 0, npkg = 0, ncore = 0, seen = 0;

    read_cpuinfo(c, &ci);
    own(c, &m->cpu_vendor, ci.vendor);
    own(c, &m->cpu_model, ci.model);
    if (online == NULL || pkgs == NULL || cores == NULL) {
        c->oom = true;
        return;
    }
    list = attr(c, "sys/devices/system/cpu/online");
    n = parse_cpulist(list, online);
    if (n == 0) {
        /* No online list: every cpuN with a topology directory. */
        CLEANUP_FREE char *d = pathf(c, "sys/devices/system/cpu");
        CLEANUP_STRV char **l = list_dir(c, d);
        for (size_t i = 0; l && l[i]; i++) {
            uint64_t id;
            CLEANUP_FREE char *t = NULL;
            if (!has_prefix(l[i], "cpu") || !attr_u64(l[i] + 3, &id) ||
                id >= MAX_CPUS)
                continue;
            t = pathf(c, "sys/devices/system/cpu/%s/topology", l[i]);
            struct stat st;
            if (t && stat(t, &st) == 0 && !online[id]) {
                online[id] = true;
                n++;
            }
        }
    }
    for (unsigned i = 0; i < MAX_CPUS && seen < n; i++) {
        CLEANUP_FREE char *pk = NULL;
        CLEANUP_FREE char *co = NULL;
        uint64_t p, k;
        if (!online[i])
            continue;
        seen++;
        pk = attr(c, "sys/devices/system/cpu/cpu%u/topology/physical_package_id", i);
        co = attr(c, "sys/devices/system/cpu/cpu%u/topology/core_id", i);
        if (!attr_u64(pk, &p) || !attr_u64(co, &k) || p > UINT32_MAX ||
            k > UINT32_MAX)
            continue;
        add_id(pkgs, &npkg, MAX_CPUS, p);
        add_id(cores, &ncore, MAX_CPUS, p << 32 | k);
    }
    m->cpus = n ? n : ci.processors;
    if (m->cpus == 0)
        m->cpus = 1;
    if (npkg > 0 && ncore > 0) {
        m->sockets = npkg;
        m->cores = ncore / npkg;
        m->threads = ncore ? n / ncore : 1;
    } else if (ci.npackages > 0 && ci.cpu_cores > 0) {
        m->sockets = ci.npackages;
        m->cores = ci.cpu_cores;
        m->threads = ci.siblings >= ci.cpu_cores ? ci.siblings / ci.cpu_cores
                                                 : 1;
    }
    /* libvirt wants sockets x cores x threads == vcpus. */
    if (m->sockets == 0 || m->cores == 0 || m->threads == 0 ||
        (uint64_t)m->sockets * m->cores * m->threads != m->cpus) {
        if (m->sockets > 0 && m->cpus % m->sockets == 0) {
            m->cores = m->cpus / m->sockets;
        } else {
            m->sockets = 1;
            m->cores = m->cpus;
        }
        m->threads = 1;
    }
    /* The guest's architecture is the machine's: x86 CPUs with long
     * mode are x86_64; on the machine itself uname says; a captured
     * tree without cpuinfo flags is taken as x86_64, the only arch the
     * P2V ISO is built for. */
    const char *arch = "x86_64";
    struct utsname u;
    if (ci.vendor && !ci.lm && (strcmp(ci.vendor, "GenuineIntel") == 0 ||
                                strcmp(ci.vendor, "AuthenticAMD") == 0))
        arch = "i686";
    else if (ci.vendor == NULL && strcmp(c->root, "/") == 0 &&
             uname(&u) == 0)
        arch = u.machine;
    own(c, &m->arch, strdup(arch));
}

static void
discover_memory(struct ctx *c)
{
    CLEANUP_FREE char *p = pathf(c, "proc/meminfo");
    CLEANUP_FREE char *buf = NULL;
    struct v2k_p2v_machine *m = c->m;
    bool trunc;
    char *line, *save = NULL;

    buf = read_bounded(p, V2K_P2V_ATTR_MAX * 4, NULL, &trunc);
    for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char num[32];
        size_t k = 0;
        uint64_t kb, b;
        const char *v;
        if (!has_prefix(line, "MemTotal:"))
            continue;
        for (v = line + 9; *v == ' ' || *v == '\t'; v++)
            ;
        while (v[k] >= '0' && v[k] <= '9' && k < sizeof num - 1) {
            num[k] = v[k];
            k++;
        }
        num[k] = '\0';
        if (strcmp(v + k, " kB") != 0 || !attr_u64(num, &kb) ||
            V2K_MUL_OVERFLOW(kb, 1024, &b) ||
            b > UINT64_MAX - V2K_P2V_MEM_ROUND)
            break;
        m->memory_bytes = b;
        m->memory_rounded_bytes = V2K_DIV_ROUND_UP(b, V2K_P2V_MEM_ROUND) *
                                  V2K_P2V_MEM_ROUND;
        break;
    }
}

/* ---- disks ------------------------------------------------------------ */

/* nvme<N>c<C>n<M>: a controller path of the namespace head nvme<N>n<M>
 * (native NVMe multipath); head[] gets that name. */
static bool
nvme_controller_path(const char *name, char *head, size_t headlen)
{
    const char *p = name + 4, *c;
    size_t k;

    if (!has_prefix(name, "nvme"))
        return false;
    for (k = 0; p[k] >= '0' && p[k] <= '9'; k++)
        ;
    if (k == 0 || p[k] != 'c')
        return false;
    c = p + k + 1;
    while (*c >= '0' && *c <= '9')
        c++;
    if (c == p + k + 1 || *c != 'n')
        return false;
    snprintf(head, headlen, "nvme%.*s%s", (int)k, p, c);
    return true;
}

static enum v2k_p2v_disk_kind
kind_of(const char *kname, const char *link, const char *dm_uuid)
{
    if (has_prefix(kname, "sd")) {
        if (link && strstr(link, "/usb"))
            return V2K_P2V_KIND_USB;
        if (link && (strstr(link, "/end_device-") || strstr(link, "/sas_") ||
                     strstr(link, "/port-")))
            return V2K_P2V_KIND_SAS;
        if (link && strstr(link, "/ata"))
            return V2K_P2V_KIND_SATA;
        return V2K_P2V_KIND_SCSI;
    }
    if (has_prefix(kname, "sr"))
        return V2K_P2V_KIND_CDROM;
    if (has_prefix(kname, "hd"))
        return V2K_P2V_KIND_IDE;
    if (has_prefix(kname, "vd"))
        return V2K_P2V_KIND_VIRTIO;
    if (has_prefix(kname, "xvd"))
        return V2K_P2V_KIND_XEN;
    if (has_prefix(kname, "nvme"))
        return V2K_P2V_KIND_NVME;
    if (has_prefix(kname, "mmcblk"))
        return V2K_P2V_KIND_MMC;
    if (has_prefix(kname, "cciss!"))
        return V2K_P2V_KIND_CCISS;
    if (has_prefix(kname, "md") && (kname[2] == '_' ||
                                    (kname[2] >= '0' && kname[2] <= '9')))
        return V2K_P2V_KIND_MD;
    if (has_prefix(kname, "dm-"))
        return has_prefix(dm_uuid, "mpath-") ? V2K_P2V_KIND_MULTIPATH
                                             : V2K_P2V_KIND_DM;
    if (has_prefix(kname, "loop") || has_prefix(kname, "ram") ||
        has_prefix(kname, "zram") || has_prefix(kname, "nbd"))
        return V2K_P2V_KIND_VIRTUAL;
    return V2K_P2V_KIND_UNKNOWN;
}

/* Serial number: vd* have NAME/serial; NVMe, MMC and some SCSI
 * device/serial; SCSI and ATA (through libata's SAT) the unit serial
 * VPD page 0x80 (SPC-4 7.8.15: byte 1 page code, bytes 2-3 length, the
 * ASCII serial from byte 4); else the WWID. */
static char *
read_serial(struct ctx *c, const char *kname)
{
    char *s;
    CLEANUP_FREE char *p = NULL;
    CLEANUP_FREE char *vpd = NULL;
    size_t len = 0;
    bool trunc;

    if ((s = attr(c, "sys/block/%s/serial", kname)) != NULL ||
        (s = attr(c, "sys/block/%s/device/serial", kname)) != NULL)
        return s;
    p = pathf(c, "sys/block/%s/device/vpd_pg80", kname);
    vpd = read_bounded(p, V2K_P2V_ATTR_MAX, &len, &trunc);
    if (vpd && !trunc && len > 4 && (unsigned char)vpd[1] == 0x80) {
        size_t n = ((size_t)(unsigned char)vpd[2] << 8) |
                   (unsigned char)vpd[3];
        size_t a = 4, b;
        if (n > len - 4)
            n = len - 4;
        b = 4 + n;
        while (a < b && (vpd[a] == ' ' || vpd[a] == '\0'))
            a++;
        while (b > a && (vpd[b - 1] == ' ' || vpd[b - 1] == '\0'))
            b--;
        if (b > a && memchr(vpd + a, '\0', b - a) == NULL) {
            s = strndup(vpd + a, b - a);
            if (s == NULL)
                c->oom = true;
            return s;
        }
    }
    return attr(c, "sys/block/%s/device/wwid", kname);
}

static void
read_disk(struct ctx *c, const char *kname, struct v2k_p2v_disk *d)
{
    CLEANUP_FREE char *size = attr(c, "sys/block/%s/size", kname);
    CLEANUP_FREE char *rem = attr(c, "sys/block/%s/removable", kname);
    CLEANUP_FREE char *ro = attr(c, "sys/block/%s/ro", kname);
    CLEANUP_FREE char *dev = attr(c, "sys/block/%s/dev", kname);
    CLEANUP_FREE char *base = pathf(c, "sys/block/%s", kname);
    CLEANUP_FREE char *link = link_at(base);
    CLEANUP_FREE char *slaves = pathf(c, "sys/block/%s/slaves", kname);
    CLEANUP_STRV char **sub = list_dir(c, base);
    uint64_t sectors, v;
    size_t np = 0;

    own(c, &d->kname, strdup(kname));
    own(c, &d->name, strdup(kname));
    own(c, &d->dm_name, attr(c, "sys/block/%s/dm/name", kname));
    own(c, &d->dm_uuid, attr(c, "sys/block/%s/dm/uuid", kname));
    own(c, &d->md_level, attr(c, "sys/block/%s/md/level", kname));
    d->kind = kind_of(kname, link, d->dm_uuid ? d->dm_uuid : "");
    if (attr_u64(size, &sectors) && !V2K_MUL_OVERFLOW(sectors, 512, &v))
        d->size_bytes = v;
    d->removable = rem && strcmp(rem, "1") == 0;
    d->read_only = ro && strcmp(ro, "1") == 0;
    if (dev && strchr(dev, ':')) {
        uint64_t ma, mi;
        char *colon = strchr(dev, ':');
        *colon = '\0';
        if (attr_u64(dev, &ma) && attr_u64(colon + 1, &mi) &&
            ma <= UINT32_MAX && mi <= UINT32_MAX) {
            d->major = (unsigned)ma;
            d->minor = (unsigned)mi;
        }
    }
    own(c, &d->model, attr(c, d->kind == V2K_P2V_KIND_MMC
                                  ? "sys/block/%s/device/name"
                                  : "sys/block/%s/device/model", kname));
    own(c, &d->serial, read_serial(c, kname));
    if (d->kind == V2K_P2V_KIND_CCISS) {
        char *p = v2k_asprintf("/dev/%s", kname);
        for (char *q = p; q && *q; q++)
            if (*q == '!')
                *q = '/';
        own(c, &d->dev_path, p);
    } else {
        own(c, &d->dev_path, v2k_asprintf("/dev/%s", kname));
    }
    d->slaves = list_dir(c, slaves);
    d->partitions = calloc(1, sizeof *d->partitions);
    if (d->partitions == NULL || d->slaves == NULL) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; sub && sub[i]; i++) {
        CLEANUP_FREE char *pf = NULL;
        char **nl;
        if (!has_prefix(sub[i], kname))
            continue;
        pf = pathf(c, "sys/block/%s/%s/partition", kname, sub[i]);
        struct stat st;
        if (pf == NULL || stat(pf, &st) == -1)
            continue;
        nl = realloc(d->partitions, (np + 2) * sizeof *nl);
        if (nl == NULL) {
            c->oom = true;
            return;
        }
        d->partitions = nl;
        if ((nl[np] = strdup(sub[i])) == NULL) {
            c->oom = true;
            return;
        }
        nl[++np] = NULL;
    }
}

/* The disk whose kernel name is name or which has partition name. */
static struct v2k_p2v_disk *
whole_disk(struct v2k_p2v_machine *m, const char *name)
{
    for (size_t i = 0; i < m->ndisks; i++) {
        struct v2k_p2v_disk *d = &m->disks[i];
        if (strcmp(d->kname, name) == 0)
            return d;
        for (size_t k = 0; d->partitions && d->partitions[k]; k++)
            if (strcmp(d->partitions[k], name) == 0)
                return d;
    }
    return NULL;
}

static bool
is_stack(const struct v2k_p2v_disk *d)
{
    return d->kind == V2K_P2V_KIND_MD || d->kind == V2K_P2V_KIND_DM;
}

static void
hide(struct ctx *c, struct v2k_p2v_disk *d, char *reason)
{
    d->state = V2K_P2V_HIDDEN;
    own(c, &d->reason, reason);
}

/* Append "; text" to d->relation (once). */
static void
add_relation(struct ctx *c, struct v2k_p2v_disk *d, const char *text)
{
    char *r;

    if (text == NULL) {
        c->oom = true;
        return;
    }
    if (strstr(d->relation, text))
        return;
    r = *d->relation ? v2k_asprintf("%s; %s", d->relation, text)
                     : strdup(text);
    own(c, &d->relation, r);
}

/* The LVM volume group in a dm name "vg-lv" (a '-' inside a VG or LV
 * name is doubled: "my--vg-root" is VG "my-vg"). */
static char *
lvm_vg_name(const char *dm_name)
{
    size_t i = 0, k = 0;
    char *vg = strdup(dm_name);

    if (vg == NULL)
        return NULL;
    while (dm_name[i]) {
        if (dm_name[i] == '-' && dm_name[i + 1] == '-') {
            vg[k++] = '-';
            i += 2;
        } else if (dm_name[i] == '-') {
            break;
        } else {
            vg[k++] = dm_name[i++];
        }
    }
    vg[k] = '\0';
    return vg;
}

/* Every offered-kind disk under d (through md/dm stacks), appended to
 * units[] (no duplicates).  A stack is walked once per walk (c->seen,
 * cleared by the caller), so a captured tree whose slaves/ links loop
 * or fan out costs at most one visit per disk. */
static void
collect_units(struct ctx *c, struct v2k_p2v_disk *d, size_t *units,
              size_t *n, int depth)
{
    struct v2k_p2v_machine *m = c->m;

    if (depth > MAX_STACK_DEPTH || c->seen[d - m->disks])
        return;
    c->seen[d - m->disks] = true;
    for (size_t s = 0; d->slaves && d->slaves[s]; s++) {
        struct v2k_p2v_disk *w = whole_disk(m, d->slaves[s]);
        size_t idx;
        bool dup = false;
        if (w == NULL || w == d)
            continue;
        if (is_stack(w)) {
            collect_units(c, w, units, n, depth + 1);
            continue;
        }
        idx = (size_t)(w - m->disks);
        for (size_t k = 0; k < *n; k++)
            dup |= units[k] == idx;
        if (!dup && *n < m->ndisks)
            units[(*n)++] = idx;
    }
}

/* Record a group (or add to the one with the same label). */
static void
add_group(struct ctx *c, const char *label, const size_t *units, size_t n)
{
    struct v2k_p2v_machine *m = c->m;
    struct v2k_p2v_group *g = NULL;

    if (label == NULL) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < m->ngroups; i++)
        if (strcmp(m->groups[i].label, label) == 0)
            g = &m->groups[i];
    if (g == NULL) {
        struct v2k_p2v_group *ng = realloc(m->groups,
                                           (m->ngroups + 1) * sizeof *ng);
        if (ng == NULL) {
            c->oom = true;
            return;
        }
        m->groups = ng;
        g = &ng[m->ngroups];
        memset(g, 0, sizeof *g);
        g->members = calloc(m->ndisks ? m->ndisks : 1, sizeof *g->members);
        g->label = strdup(label);
        m->ngroups++;
        if (g->members == NULL || g->label == NULL) {
            c->oom = true;
            return;
        }
    }
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t k = 0; k < g->nmembers; k++)
            dup |= g->members[k] == units[i];
        if (!dup && g->nmembers < m->ndisks)
            g->members[g->nmembers++] = units[i];
    }
}

/* md arrays, LVM and other dm devices: hidden, their member disks get
 * the relation, and multi-disk ones become groups. */
static void
relate_stacks(struct ctx *c)
{
    struct v2k_p2v_machine *m = c->m;
    CLEANUP_FREE size_t *units = calloc(m->ndisks ? m->ndisks : 1,
                                        sizeof *units);

    if (units == NULL) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < m->ndisks; i++) {
        struct v2k_p2v_disk *d = &m->disks[i];
        CLEANUP_FREE char *label = NULL;
        CLEANUP_FREE char *rel = NULL;
        CLEANUP_FREE char *vg = NULL;
        size_t n = 0;

        if (!is_stack(d))
            continue;
        memset(c->seen, 0, m->ndisks * sizeof *c->seen);
        collect_units(c, d, units, &n, 0);
        if (d->kind == V2K_P2V_KIND_MD) {
            label = *d->md_level ? v2k_asprintf("%s (%s)", d->kname,
                                                d->md_level)
                                 : strdup(d->kname);
            rel = label ? v2k_asprintf("member of %s", label) : NULL;
            hide(c, d, v2k_asprintf("md array %s: its member disks are offered whole", label ? label : d->kname));
        } else if (has_prefix(d->dm_uuid, "LVM-") && *d->dm_name) {
            vg = lvm_vg_name(d->dm_name);
            label = vg ? v2k_asprintf("VG %s", vg) : NULL;
            rel = vg ? v2k_asprintf("physical volume of VG %s", vg) : NULL;
            hide(c, d, v2k_asprintf("LVM logical volume %s of VG %s: the disks of its physical volumes are offered whole", d->dm_name, vg ? vg : "?"));
        } else {
            label = *d->dm_name ? v2k_asprintf("%s (%s)", d->kname,
                                               d->dm_name)
                                : strdup(d->kname);
            rel = label ? v2k_asprintf("holder %s", label) : NULL;
            hide(c, d, v2k_asprintf("device-mapper device %s: the disks under it are offered whole", label ? label : d->kname));
        }
        for (size_t k = 0; k < n; k++)
            add_relation(c, &m->disks[units[k]], rel);
        if (n >= 2)
            add_group(c, label, units, n);
    }
}

/* dm-multipath: the dm device is offered under its dm name; its paths
 * are hidden. */
static void
relate_multipath(struct ctx *c)
{
    struct v2k_p2v_machine *m = c->m;

    for (size_t i = 0; i < m->ndisks; i++) {
        struct v2k_p2v_disk *d = &m->disks[i];
        CLEANUP_FREE char *rel = NULL;

        if (d->kind != V2K_P2V_KIND_MULTIPATH)
            continue;
        if (*d->dm_name && strchr(d->dm_name, '/') == NULL) {
            own(c, &d->name, strdup(d->dm_name));
            own(c, &d->dev_path, v2k_asprintf("/dev/mapper/%s", d->dm_name));
        }
        /* the LUN's WWID is its serial (multipath-tools' uuid) */
        if (!*d->serial)
            own(c, &d->serial, strdup(d->dm_uuid + strlen("mpath-")));
        rel = v2k_asprintf("path of multipath %s", d->name);
        for (size_t s = 0; d->slaves && d->slaves[s]; s++) {
            struct v2k_p2v_disk *p = whole_disk(m, d->slaves[s]);
            if (p == NULL || p == d || is_stack(p))
                continue;
            if (!*d->model && *p->model)
                own(c, &d->model, strdup(p->model));
            add_relation(c, p, rel);
            hide(c, p, rel ? strdup(rel) : NULL);
        }
    }
}

/* The first-pass state of one disk, from its kind and name. */
static void
classify(struct ctx *c, struct v2k_p2v_disk *d)
{
    char head[64];
    const char *r = NULL;

    d->state = V2K_P2V_OFFERED;
    switch (d->kind) {
    case V2K_P2V_KIND_VIRTUAL:
        r = has_prefix(d->kname, "loop") ? "loop device"
            : has_prefix(d->kname, "zram") ? "compressed RAM disk"
            : has_prefix(d->kname, "ram") ? "RAM disk"
            : "network block device";
        break;
    case V2K_P2V_KIND_CDROM:
        d->state = V2K_P2V_REMOVABLE;
        own(c, &d->reason, strdup("optical drive: its content is never copied"));
        return;
    case V2K_P2V_KIND_NVME:
        if (nvme_controller_path(d->kname, head, sizeof head)) {
            hide(c, d, v2k_asprintf("NVMe controller path of %s", head));
            return;
        }
        break;
    case V2K_P2V_KIND_MMC: {
        const char *p = d->kname + strlen("mmcblk");
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p) {
            hide(c, d, v2k_asprintf("eMMC %s area of %.*s, not a disk",
                                    has_prefix(p, "rpmb") ? "RPMB" : "boot",
                                    (int)(p - d->kname), d->kname));
            return;
        }
        break;
    }
    case V2K_P2V_KIND_UNKNOWN:
        r = "not a kind of disk v2kvm-p2v knows";
        break;
    default:
        break;
    }
    if (r == NULL && d->removable && d->size_bytes == 0)
        r = "removable drive without a medium";
    if (r)
        hide(c, d, strdup(r));
}

/* Undo the \NNN octal escapes of /proc/mounts fields in place. */
static void
unescape_mount(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
            s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
            *o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
                          (s[3] - '0'));
            s += 3;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

/* Mount points of a live system's boot medium: live-boot (Debian,
 * /run/live/medium; /lib/live/mount/medium before Debian 9), dracut's
 * dmsquash-live (Fedora/RHEL, /run/initramfs/live), casper (Ubuntu,
 * /cdrom), archiso (/run/archiso/bootmnt). */
static const char *const medium_mounts[] = {
    "/run/live/medium", "/lib/live/mount/medium", "/run/initramfs/live",
    "/cdrom", "/run/archiso/bootmnt",
};

static bool
is_medium_mount(const char *mnt, const char *fstype)
{
    for (size_t i = 0; i < V2K_ARRAY_SIZE(medium_mounts); i++)
        if (strcmp(mnt, medium_mounts[i]) == 0)
            return true;
    /* "/" of a live system is a layered or RAM filesystem; a real one
     * means the system runs from a disk (a USB disk image). */
    return strcmp(mnt, "/") == 0 && fstype &&
           strcmp(fstype, "overlay") != 0 && strcmp(fstype, "tmpfs") != 0 &&
           strcmp(fstype, "squashfs") != 0 && strcmp(fstype, "ramfs") != 0 &&
           strcmp(fstype, "rootfs") != 0 && strcmp(fstype, "aufs") != 0 &&
           strcmp(fstype, "unionfs") != 0 && strcmp(fstype, "nfs") != 0 &&
           strcmp(fstype, "nfs4") != 0;
}

/* Hide the whole disk(s) under w (descending md/dm stacks). */
static void
hide_medium(struct ctx *c, struct v2k_p2v_disk *w, const char *mnt,
            int depth)
{
    if (w == NULL || depth > MAX_STACK_DEPTH || c->seen[w - c->m->disks])
        return;
    c->seen[w - c->m->disks] = true;
    if (is_stack(w)) {
        for (size_t s = 0; w->slaves && w->slaves[s]; s++) {
            struct v2k_p2v_disk *u = whole_disk(c->m, w->slaves[s]);
            if (u != w)
                hide_medium(c, u, mnt, depth + 1);
        }
        return;
    }
    if (w->kind == V2K_P2V_KIND_MULTIPATH)
        for (size_t s = 0; w->slaves && w->slaves[s]; s++) {
            struct v2k_p2v_disk *u = whole_disk(c->m, w->slaves[s]);
            if (u && u != w && !is_stack(u))
                hide(c, u, v2k_asprintf("boot medium (a path of %s, mounted at %s)", w->name, mnt));
        }
    hide(c, w, v2k_asprintf("boot medium (mounted at %s)", mnt));
}

/* The whole disk behind major:minor, through sys/dev/block. */
static struct v2k_p2v_disk *
disk_by_devno(struct ctx *c, const char *majmin)
{
    CLEANUP_FREE char *p = pathf(c, "sys/dev/block/%s", majmin);
    CLEANUP_FREE char *link = link_at(p);
    const char *b;
    char name[256];
    size_t k = 0;

    if (link == NULL)
        return NULL;
    /* ../../devices/.../block/DISK[/PART] */
    for (b = link; strstr(b, "/block/"); b = strstr(b, "/block/") + 7)
        ;
    if (b == link)
        return NULL;
    while (b[k] && b[k] != '/' && k < sizeof name - 1) {
        name[k] = b[k];
        k++;
    }
    name[k] = '\0';
    return whole_disk(c->m, name);
}

/* The whole disk behind a device path from proc/mounts. */
static struct v2k_p2v_disk *
disk_by_path(struct ctx *c, const char *dev)
{
    struct v2k_p2v_machine *m = c->m;

    if (has_prefix(dev, "/dev/mapper/")) {
        for (size_t i = 0; i < m->ndisks; i++)
            if (strcmp(m->disks[i].dm_name, dev + 12) == 0)
                return &m->disks[i];
        return NULL;
    }
    if (!has_prefix(dev, "/dev/") || strchr(dev + 5, '/'))
        return NULL;
    return whole_disk(m, dev + 5);
}

static void
find_boot_medium(struct ctx *c)
{
    CLEANUP_FREE char *mi = pathf(c, "proc/self/mountinfo");
    CLEANUP_FREE char *mo = pathf(c, "proc/mounts");
    CLEANUP_FREE char *mo2 = pathf(c, "proc/self/mounts");
    CLEANUP_FREE char *buf = NULL;
    bool trunc;
    char *line, *save = NULL;

    /* mountinfo (proc(5)): ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS
     * [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
    buf = read_bounded(mi, V2K_P2V_TABLE_MAX, NULL, &trunc);
    for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[6], *sv = NULL, *t, *fstype = NULL, *src = NULL;
        size_t n = 0;
        for (t = strtok_r(line, " ", &sv); t && n < 6;
             t = strtok_r(NULL, " ", &sv))
            f[n++] = t;
        if (n < 6)
            continue;
        while (t && strcmp(t, "-") != 0)
            t = strtok_r(NULL, " ", &sv);
        if (t) {
            fstype = strtok_r(NULL, " ", &sv);
            src = strtok_r(NULL, " ", &sv);
        }
        unescape_mount(f[4]);
        if (!is_medium_mount(f[4], fstype))
            continue;
        struct v2k_p2v_disk *w = disk_by_devno(c, f[2]);
        if (w == NULL && src) {
            unescape_mount(src);
            w = disk_by_path(c, src);
        }
        memset(c->seen, 0, c->m->ndisks * sizeof *c->seen);
        hide_medium(c, w, f[4], 0);
    }
    free(buf);
    buf = read_bounded(mo, V2K_P2V_TABLE_MAX, NULL, &trunc);
    if (buf == NULL)
        buf = read_bounded(mo2, V2K_P2V_TABLE_MAX, NULL, &trunc);
    save = NULL;
    /* mounts: SOURCE MOUNTPOINT FSTYPE OPTS FREQ PASSNO */
    for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *sv = NULL;
        char *src = strtok_r(line, " ", &sv);
        char *mnt = strtok_r(NULL, " ", &sv);
        char *fstype = strtok_r(NULL, " ", &sv);
        if (src == NULL || mnt == NULL)
            continue;
        unescape_mount(src);
        unescape_mount(mnt);
        if (!is_medium_mount(mnt, fstype))
            continue;
        memset(c->seen, 0, c->m->ndisks * sizeof *c->seen);
        hide_medium(c, disk_by_path(c, src), mnt, 0);
    }
}

/* ---- RAID and LVM metadata on the disks (ondisk.h) -------------------- */

/* One device (a whole offered disk or a partition of it) that carries
 * md or LVM metadata. */
struct ondisk_rec {
    size_t disk;                /* index in m->disks */
    struct v2k_p2v_ondisk od;
};

/* Device name (kernel name or partition) is a slave of an active md or
 * dm device: sysfs has related it already. */
static bool
is_held(const struct v2k_p2v_machine *m, const char *name)
{
    for (size_t i = 0; i < m->ndisks; i++) {
        const struct v2k_p2v_disk *x = &m->disks[i];
        if (!is_stack(x))
            continue;
        for (size_t s = 0; x->slaves && x->slaves[s]; s++)
            if (strcmp(x->slaves[s], name) == 0)
                return true;
    }
    return false;
}

/* Probe ROOT/dev/NAME (cciss!c0d0p1 is /dev/cciss/c0d0p1): read-only,
 * a block device or (in the tests) a regular file, nothing else. */
static bool
probe_device(struct ctx *c, const char *devpath, struct v2k_p2v_ondisk *od)
{
    CLEANUP_FREE char *p = pathf(c, "%s", devpath);
    CLEANUP_CLOSE int fd = -1;
    struct stat st;
    off_t end;

    od->kind = V2K_P2V_ONDISK_NONE;
    if (p == NULL)
        return false;
    for (char *q = p + strlen(c->root); *q; q++)
        if (*q == '!')
            *q = '/';
    fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd == -1 || fstat(fd, &st) == -1 ||
        !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
        return false;
    end = lseek(fd, 0, SEEK_END);
    if (end <= 0)
        return false;
    v2k_p2v_ondisk_probe(fd, (uint64_t)end, od);
    return od->kind != V2K_P2V_ONDISK_NONE;
}

/* The md relation and group label of a set: its name, with its UUID
 * when another set found has the same name. */
static void
md_set_name(const struct ondisk_rec *r, size_t n, size_t k, char *buf,
            size_t len)
{
    bool clash = false;

    for (size_t i = 0; i < n; i++)
        clash |= r[i].od.kind == V2K_P2V_ONDISK_MD &&
                 strcmp(r[i].od.md_name, r[k].od.md_name) == 0 &&
                 strcmp(r[i].od.md_uuid, r[k].od.md_uuid) != 0;
    if (clash)
        snprintf(buf, len, "'%s' (UUID %s)", r[k].od.md_name,
                 r[k].od.md_uuid);
    else
        snprintf(buf, len, "'%s'", r[k].od.md_name);
}

static void
relate_md_sets(struct ctx *c, struct ondisk_rec *r, size_t n, size_t *units)
{
    struct v2k_p2v_machine *m = c->m;

    for (size_t k = 0; k < n && !c->oom; k++) {
        char name[128];
        CLEANUP_FREE char *label = NULL;
        CLEANUP_FREE char *rel = NULL;
        CLEANUP_FREE char *note = NULL;
        size_t nu = 0, active = 0;
        bool first = true;

        if (r[k].od.kind != V2K_P2V_ONDISK_MD)
            continue;
        for (size_t i = 0; i < k; i++)
            first &= !(r[i].od.kind == V2K_P2V_ONDISK_MD &&
                       strcmp(r[i].od.md_uuid, r[k].od.md_uuid) == 0);
        if (!first)
            continue;
        for (size_t i = k; i < n; i++) {
            bool dup = false, dup_role = false;
            if (r[i].od.kind != V2K_P2V_ONDISK_MD ||
                strcmp(r[i].od.md_uuid, r[k].od.md_uuid) != 0)
                continue;
            for (size_t j = 0; j < nu; j++)
                dup |= units[j] == r[i].disk;
            if (!dup)
                units[nu++] = r[i].disk;
            /* a 0.90 member on a partition that ends the disk is seen
             * on the disk too: one slot, counted once */
            for (size_t j = k; j < i; j++)
                dup_role |= r[j].od.kind == V2K_P2V_ONDISK_MD &&
                            r[j].disk == r[i].disk &&
                            r[j].od.md_role == r[i].od.md_role &&
                            strcmp(r[j].od.md_uuid, r[k].od.md_uuid) == 0;
            if (r[i].od.md_role >= 0 && !dup_role)
                active++;
        }
        md_set_name(r, n, k, name, sizeof name);
        label = v2k_asprintf("md array %s (%s, not assembled)", name,
                             r[k].od.md_level);
        rel = v2k_asprintf("member of md array %s (%s), not assembled", name,
                           r[k].od.md_level);
        if (active < r[k].od.md_raid_disks)
            note = v2k_asprintf("md array %s is degraded: %zu of its %u members found", name, active, r[k].od.md_raid_disks);
        for (size_t j = 0; j < nu; j++) {
            add_relation(c, &m->disks[units[j]], rel);
            if (note)
                add_relation(c, &m->disks[units[j]], note);
        }
        if (nu >= 2)
            add_group(c, label, units, nu);
    }
}

/* Two PVs belong to one VG: the same name, and the same id when both
 * metadata areas gave one (two machines' disks may both hold a "vg0"). */
static bool
same_vg(const struct v2k_p2v_ondisk *a, const struct v2k_p2v_ondisk *b)
{
    return strcmp(a->vg_name, b->vg_name) == 0 &&
           (!*a->vg_id || !*b->vg_id || strcmp(a->vg_id, b->vg_id) == 0);
}

static void
relate_vgs(struct ctx *c, struct ondisk_rec *r, size_t n, size_t *units)
{
    struct v2k_p2v_machine *m = c->m;

    for (size_t k = 0; k < n && !c->oom; k++) {
        CLEANUP_FREE char *label = NULL;
        CLEANUP_FREE char *rel = NULL;
        char id[64] = "";
        size_t nu = 0;
        bool first = true, clash = false;

        if (r[k].od.kind != V2K_P2V_ONDISK_LVM)
            continue;
        if (r[k].od.vg_name[0] == '\0') {
            add_relation(c, &m->disks[r[k].disk], "LVM physical volume (no metadata area on it names its VG)");
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            if (r[i].od.kind != V2K_P2V_ONDISK_LVM)
                continue;
            if (i < k && same_vg(&r[i].od, &r[k].od))
                first = false;
            clash |= strcmp(r[i].od.vg_name, r[k].od.vg_name) == 0 &&
                     !same_vg(&r[i].od, &r[k].od);
        }
        if (!first)
            continue;
        for (size_t i = k; i < n; i++) {
            bool dup = false;
            if (r[i].od.kind != V2K_P2V_ONDISK_LVM ||
                !same_vg(&r[i].od, &r[k].od))
                continue;
            for (size_t j = 0; j < nu; j++)
                dup |= units[j] == r[i].disk;
            if (!dup)
                units[nu++] = r[i].disk;
        }
        /* the labels relate_stacks() gives an active VG: the same VG
         * seen both ways is one group; VGs of one name told apart by
         * their id */
        if (clash)
            snprintf(id, sizeof id, " (id %s)", r[k].od.vg_id);
        label = v2k_asprintf("VG %s%s", r[k].od.vg_name, id);
        rel = v2k_asprintf("physical volume of VG %s%s", r[k].od.vg_name, id);
        for (size_t j = 0; j < nu; j++)
            add_relation(c, &m->disks[units[j]], rel);
        if (nu >= 2)
            add_group(c, label, units, nu);
    }
}

/* md members and LVM physical volumes that sysfs does not show (no
 * array assembled, no LV active): read from the offered disks and
 * their partitions. */
static void
relate_ondisk(struct ctx *c)
{
    struct v2k_p2v_machine *m = c->m;
    CLEANUP_FREE struct ondisk_rec *r = calloc(MAX_ONDISK, sizeof *r);
    CLEANUP_FREE size_t *units = calloc(MAX_ONDISK, sizeof *units);
    size_t n = 0;

    if (r == NULL || units == NULL) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < m->ndisks && n < MAX_ONDISK; i++) {
        struct v2k_p2v_disk *d = &m->disks[i];
        if (d->state != V2K_P2V_OFFERED)
            continue;
        bool held = is_held(m, d->kname);
        for (size_t k = 0; d->partitions && d->partitions[k]; k++)
            held |= is_held(m, d->partitions[k]);
        /* the whole disk shows a 0.90 or 1.0 superblock of its last
         * partition too: not probed when sysfs relates a part of it */
        if (!held) {
            r[n].disk = i;
            if (probe_device(c, d->dev_path, &r[n].od))
                n++;
        }
        for (size_t k = 0; d->partitions && d->partitions[k] &&
                           n < MAX_ONDISK; k++) {
            CLEANUP_FREE char *dp = NULL;
            if (is_held(m, d->partitions[k]))
                continue;
            dp = v2k_asprintf("/dev/%s", d->partitions[k]);
            if (dp == NULL) {
                c->oom = true;
                return;
            }
            r[n].disk = i;
            if (probe_device(c, dp, &r[n].od))
                n++;
        }
    }
    relate_md_sets(c, r, n, units);
    relate_vgs(c, r, n, units);
}

static void
discover_disks(struct ctx *c)
{
    struct v2k_p2v_machine *m = c->m;
    CLEANUP_FREE char *p = pathf(c, "sys/block");
    CLEANUP_STRV char **l = list_dir(c, p);
    size_t n = v2k_strv_len(l);

    if (l == NULL || n == 0)
        return;
    m->disks = calloc(n, sizeof *m->disks);
    c->seen = calloc(n, sizeof *c->seen);
    if (m->disks == NULL || c->seen == NULL) {
        c->oom = true;
        return;
    }
    m->ndisks = n;
    for (size_t i = 0; i < n; i++) {
        read_disk(c, l[i], &m->disks[i]);
        own(c, &m->disks[i].relation, NULL);
        own(c, &m->disks[i].reason, NULL);
        if (c->oom)
            return;
    }
    for (size_t i = 0; i < n; i++)
        classify(c, &m->disks[i]);
    relate_multipath(c);
    relate_stacks(c);
    find_boot_medium(c);
    relate_ondisk(c);
}

/* ---- NICs ------------------------------------------------------------- */

static void
discover_nics(struct ctx *c)
{
    struct v2k_p2v_machine *m = c->m;
    CLEANUP_FREE char *p = pathf(c, "sys/class/net");
    CLEANUP_STRV char **l = list_dir(c, p);
    size_t n = v2k_strv_len(l);

    if (l == NULL || n == 0)
        return;
    m->nics = calloc(n, sizeof *m->nics);
    if (m->nics == NULL) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < n && !c->oom; i++) {
        const char *name = l[i];
        struct v2k_p2v_nic *nic = &m->nics[m->nnics];
        CLEANUP_FREE char *dev = pathf(c, "sys/class/net/%s/device", name);
        CLEANUP_FREE char *br = pathf(c, "sys/class/net/%s/bridge", name);
        CLEANUP_FREE char *bond = pathf(c, "sys/class/net/%s/bonding", name);
        CLEANUP_FREE char *tun = pathf(c, "sys/class/net/%s/tun_flags", name);
        CLEANUP_FREE char *wl = pathf(c, "sys/class/net/%s/wireless", name);
        CLEANUP_FREE char *phy = pathf(c, "sys/class/net/%s/phy80211", name);
        CLEANUP_FREE char *drv = pathf(c, "sys/class/net/%s/device/driver", name);
        CLEANUP_FREE char *uevent = attr(c, "sys/class/net/%s/uevent", name);
        CLEANUP_FREE char *mac = NULL;
        CLEANUP_FREE char *carrier = NULL;
        CLEANUP_FREE char *speed = NULL;
        CLEANUP_FREE char *dl = NULL;
        struct stat st;
        char macbuf[18];
        uint64_t v;

        /* Physical = on a bus (a device link); bridges, bonds, VLANs,
         * tun/tap, veth and lo have none, but say so explicitly too. */
        if (strcmp(name, "lo") == 0 || dev == NULL ||
            lstat(dev, &st) == -1 || lstat(br, &st) == 0 ||
            lstat(bond, &st) == 0 || lstat(tun, &st) == 0 ||
            (uevent && strstr(uevent, "DEVTYPE=vlan")))
            continue;
        m->nnics++;
        own(c, &nic->name, strdup(name));
        /* A bond's slaves show the bond's MAC in address. */
        mac = attr(c, "sys/class/net/%s/bonding_slave/perm_hwaddr", name);
        if (mac == NULL)
            mac = attr(c, "sys/class/net/%s/address", name);
        own(c, &nic->mac, mac && v2k_parse_mac(mac, false, macbuf)
                              ? strdup(macbuf) : NULL);
        dl = link_at(drv);
        own(c, &nic->driver, dl ? strdup(strrchr(dl, '/') ? strrchr(dl, '/') + 1 : dl) : NULL);
        own(c, &nic->operstate, attr(c, "sys/class/net/%s/operstate", name));
        carrier = attr(c, "sys/class/net/%s/carrier", name);
        nic->carrier = carrier == NULL ? -1 : strcmp(carrier, "1") == 0 ? 1
                       : strcmp(carrier, "0") == 0 ? 0 : -1;
        speed = attr(c, "sys/class/net/%s/speed", name);
        /* speed is -1 (SPEED_UNKNOWN) when there is no link */
        nic->speed_mbps = attr_u64(speed, &v) && v <= 10000000 ? v : 0;
        nic->wireless = lstat(wl, &st) == 0 || lstat(phy, &st) == 0;
    }
}

/* ---- the machine ------------------------------------------------------ */

int
v2k_p2v_discover(const char *root, struct v2k_p2v_machine **out)
{
    struct ctx c = { .root = root && *root ? root : "/" };
    CLEANUP_FREE char *sysblock = NULL;
    struct stat st;

    *out = NULL;
    c.m = calloc(1, sizeof *c.m);
    if (c.m == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    sysblock = pathf(&c, "sys/block");
    if (sysblock && stat(sysblock, &st) == -1) {
        v2k_error_errno(errno, "%s", sysblock);
        v2k_p2v_machine_free(c.m);
        return -1;
    }
    if (sysblock && !S_ISDIR(st.st_mode)) {
        v2k_error("%s: not a directory", sysblock);
        v2k_p2v_machine_free(c.m);
        return -1;
    }
    own(&c, &c.m->hostname, attr(&c, "proc/sys/kernel/hostname"));
    discover_cpu(&c);
    discover_memory(&c);
    c.m->uefi = exists(&c, "sys/firmware/efi");
    discover_disks(&c);
    free(c.seen);
    discover_nics(&c);
    if (c.oom) {
        v2k_error("out of memory while reading %s", c.root);
        v2k_p2v_machine_free(c.m);
        return -1;
    }
    *out = c.m;
    return 0;
}

void
v2k_p2v_machine_free(struct v2k_p2v_machine *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->ndisks; i++) {
        struct v2k_p2v_disk *d = &m->disks[i];
        free(d->name);
        free(d->kname);
        free(d->dev_path);
        free(d->model);
        free(d->serial);
        free(d->relation);
        free(d->reason);
        free(d->dm_name);
        free(d->dm_uuid);
        free(d->md_level);
        v2k_strv_free(d->partitions);
        v2k_strv_free(d->slaves);
    }
    free(m->disks);
    for (size_t i = 0; i < m->ngroups; i++) {
        free(m->groups[i].label);
        free(m->groups[i].members);
    }
    free(m->groups);
    for (size_t i = 0; i < m->nnics; i++) {
        free(m->nics[i].name);
        free(m->nics[i].mac);
        free(m->nics[i].driver);
        free(m->nics[i].operstate);
    }
    free(m->nics);
    free(m->hostname);
    free(m->arch);
    free(m->cpu_vendor);
    free(m->cpu_model);
    free(m);
}

const struct v2k_p2v_disk *
v2k_p2v_find_disk(const struct v2k_p2v_machine *m, const char *name)
{
    for (size_t i = 0; i < m->ndisks; i++)
        if (strcmp(m->disks[i].name, name) == 0)
            return &m->disks[i];
    for (size_t i = 0; i < m->ndisks; i++)
        if (strcmp(m->disks[i].kname, name) == 0)
            return &m->disks[i];
    return NULL;
}

/* "sda, sdb" of a group's members into buf. */
static void
member_list(const struct v2k_p2v_machine *m, const struct v2k_p2v_group *g,
            char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t k = 0; k < g->nmembers && off < len; k++) {
        int r = snprintf(buf + off, len - off, "%s%s", k ? ", " : "",
                         m->disks[g->members[k]].name);
        if (r < 0)
            return;
        off += (size_t)r;
    }
}

int
v2k_p2v_check_selection(const struct v2k_p2v_machine *m,
                        const char *const *names, size_t n)
{
    CLEANUP_FREE bool *sel = calloc(m->ndisks ? m->ndisks : 1, sizeof *sel);
    char list[512];

    if (sel == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    if (n == 0) {
        v2k_error("no disk selected");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const struct v2k_p2v_disk *d = v2k_p2v_find_disk(m, names[i]);
        size_t idx;
        if (d == NULL) {
            size_t off = 0;
            list[0] = '\0';
            for (size_t k = 0; k < m->ndisks && off < sizeof list; k++) {
                if (m->disks[k].state != V2K_P2V_OFFERED)
                    continue;
                int r = snprintf(list + off, sizeof list - off, "%s%s",
                                 off ? ", " : "", m->disks[k].name);
                if (r > 0)
                    off += (size_t)r;
            }
            v2k_error("disk '%s': no such disk on this machine (offered: %s)", names[i], *list ? list : "none");
            return -1;
        }
        if (d->state != V2K_P2V_OFFERED) {
            v2k_error("disk '%s': not offered: %s", names[i], d->reason);
            return -1;
        }
        idx = (size_t)(d - m->disks);
        if (sel[idx]) {
            v2k_error("disk '%s' is selected twice", names[i]);
            return -1;
        }
        sel[idx] = true;
    }
    for (size_t g = 0; g < m->ngroups; g++) {
        const struct v2k_p2v_group *gr = &m->groups[g];
        size_t taken = 0;
        const char *missing = NULL;
        for (size_t k = 0; k < gr->nmembers; k++) {
            if (sel[gr->members[k]])
                taken++;
            else if (missing == NULL)
                missing = m->disks[gr->members[k]].name;
        }
        if (taken > 0 && taken < gr->nmembers) {
            member_list(m, gr, list, sizeof list);
            v2k_error("%s spans %s: select all of them or none (%s is not selected)", gr->label, list, missing);
            return -1;
        }
    }
    return 0;
}

const char *
v2k_p2v_disk_kind_to_string(enum v2k_p2v_disk_kind k)
{
    static const char *const names[] = {
        [V2K_P2V_KIND_UNKNOWN] = "unknown", [V2K_P2V_KIND_SATA] = "sata",
        [V2K_P2V_KIND_SAS] = "sas", [V2K_P2V_KIND_SCSI] = "scsi",
        [V2K_P2V_KIND_USB] = "usb", [V2K_P2V_KIND_IDE] = "ide",
        [V2K_P2V_KIND_NVME] = "nvme", [V2K_P2V_KIND_MMC] = "mmc",
        [V2K_P2V_KIND_VIRTIO] = "virtio", [V2K_P2V_KIND_XEN] = "xen",
        [V2K_P2V_KIND_CCISS] = "cciss", [V2K_P2V_KIND_MD] = "md",
        [V2K_P2V_KIND_DM] = "dm", [V2K_P2V_KIND_MULTIPATH] = "multipath",
        [V2K_P2V_KIND_CDROM] = "cdrom", [V2K_P2V_KIND_VIRTUAL] = "virtual",
    };
    return (size_t)k < V2K_ARRAY_SIZE(names) && names[k] ? names[k]
                                                         : "unknown";
}

const char *
v2k_p2v_disk_state_to_string(enum v2k_p2v_disk_state s)
{
    switch (s) {
    case V2K_P2V_OFFERED: return "offered";
    case V2K_P2V_HIDDEN: return "hidden";
    case V2K_P2V_REMOVABLE: return "removable";
    }
    return "hidden";
}
