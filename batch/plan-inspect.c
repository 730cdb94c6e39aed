/* plan-inspect.c - see plan-inspect.h. */
#include "plan-inspect.h"
#include "error.h"
#include "json.h"
#include "jsonline.h"
#include "log.h"
#include "plan.h"
#include "run.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MIB (UINT64_C(1) << 20)
#define MAX_PREDICTIONS 32      /* per VM; v2kvm's warnings fill it last */

/* --- predictions ------------------------------------------------------ */

enum severity { SEV_INFO, SEV_WARNING, SEV_ERROR };

static const char *const severity_names[] = { "info", "warning", "error" };

struct prediction {
    enum severity sev;
    char *message;              /* one line, owned */
};

struct result {
    const struct v2k_plan_vm *vm;
    char *os;                   /* "debian 12.0", or NULL: not known */
    char *firmware;             /* "bios", "uefi", or NULL */
    unsigned ndisks;
    uint64_t size;              /* the disks' virtual sizes, summed */
    bool source_ok;             /* the source opened: ndisks, size known */
    char *log;
    struct prediction preds[MAX_PREDICTIONS];
    size_t npreds;
    size_t dropped;             /* predictions past MAX_PREDICTIONS */
    enum severity dropped_worst;  /* they still count in the verdict */
    /* The target storage, when a directory that statvfs read. */
    const char *storage;
    bool storage_known;
    dev_t storage_dev;
    uint64_t storage_free;
};

static void __attribute__((format(printf, 3, 4)))
predict(struct result *r, enum severity sev, const char *fmt, ...)
{
    va_list ap;
    char *m = NULL;

    if (r->npreds == MAX_PREDICTIONS) {
        r->dropped++;
        if (sev > r->dropped_worst)
            r->dropped_worst = sev;
        return;
    }
    va_start(ap, fmt);
    if (vasprintf(&m, fmt, ap) == -1)
        m = NULL;
    va_end(ap);
    if (m == NULL)
        return;
    for (char *c = m; *c; c++)          /* one line, whatever v2kvm said */
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    r->preds[r->npreds].sev = sev;
    r->preds[r->npreds].message = m;
    r->npreds++;
}

static enum severity
verdict(const struct result *r)
{
    enum severity v = r->dropped_worst;

    for (size_t i = 0; i < r->npreds; i++)
        if (r->preds[i].sev > v)
            v = r->preds[i].sev;
    return v;
}

static void
result_clear(struct result *r)
{
    for (size_t i = 0; i < r->npreds; i++)
        free(r->preds[i].message);
    free(r->os);
    free(r->firmware);
    free(r->log);
    memset(r, 0, sizeof *r);
}

/* --- running v2kvm ---------------------------------------------------- */

/* What one v2kvm run printed. */
struct child {
    int logfd;                  /* borrowed */
    char *buf;                  /* the line being read, up to the cap */
    size_t len, cap;
    bool skipping;              /* the current line is over the cap */
    bool overlong;              /* some line was */
    char *object;               /* the --print-* JSON object (owned) */
    const char *want;           /* the string member that marks it */
    char *error;                /* v2kvm's last error message (owned) */
    char *fallback;             /* else its last line saying "error" */
    char *warnings[MAX_PREDICTIONS];
    size_t nwarnings;
    int status;
    bool timed_out;
};

static void
child_clear(struct child *c)
{
    free(c->buf);
    free(c->object);
    free(c->error);
    free(c->fallback);
    for (size_t i = 0; i < c->nwarnings; i++)
        free(c->warnings[i]);
}

static void
replace(char **dst, const char *src)
{
    char *n = v2k_strdup(src);

    if (n) {
        free(*dst);
        *dst = n;
    }
}

static void
handle_line(struct child *c, const char *line)
{
    char type[32], *msg;
    size_t len = strlen(line);

    if (line[0] != '{') {
        if (strstr(line, "error") != NULL)
            replace(&c->fallback, line);
        return;
    }
    if (v2k_jsonline_str(line, c->want, type, sizeof type)) {
        replace(&c->object, line);
        return;
    }
    if (!v2k_jsonline_str(line, "type", type, sizeof type))
        return;
    if (strcmp(type, "error") != 0 && strcmp(type, "warning") != 0)
        return;
    /* A message is at most the line. */
    msg = v2k_malloc(len + 1);
    if (msg == NULL)
        return;
    if (v2k_jsonline_str(line, "message", msg, len + 1)) {
        if (type[0] == 'e')
            replace(&c->error, msg);
        else if (c->nwarnings < MAX_PREDICTIONS)
            c->warnings[c->nwarnings++] = v2k_strdup(msg);
    }
    free(msg);
}

/* Bytes from the child: to the log, and line by line to handle_line. */
static int
feed(struct child *c, const char *data, size_t n)
{
    if (write(c->logfd, data, n) < 0) {
        /* the log is best effort */
    }
    for (size_t i = 0; i < n; i++) {
        if (data[i] == '\n') {
            if (!c->skipping && c->len) {
                c->buf[c->len] = '\0';
                handle_line(c, c->buf);
            }
            c->len = 0;
            c->skipping = false;
            continue;
        }
        if (c->skipping)
            continue;
        if (c->len + 1 >= c->cap) {
            size_t ncap = c->cap ? c->cap * 2 : 8192;
            char *nb;

            if (ncap > V2K_BATCH_INSPECT_MAX_LINE) {
                c->skipping = c->overlong = true;
                c->len = 0;
                continue;
            }
            nb = realloc(c->buf, ncap);
            if (nb == NULL) {
                v2k_error("out of memory");
                return -1;
            }
            c->buf = nb;
            c->cap = ncap;
        }
        c->buf[c->len++] = data[i];
    }
    return 0;
}

/* Run argv, its stdout and stderr into c; kill it after timeout
 * seconds.  -1 when it could not be run (a message). */
static int
run_child(char *const argv[], struct child *c, unsigned timeout)
{
    posix_spawn_file_actions_t fa;
    int pfd[2], e;
    pid_t pid;
    double deadline = v2k_now() + timeout, killed_at = 0;
    bool exited = false;
    char data[65536];

    if (pipe2(pfd, O_CLOEXEC) == -1) {
        v2k_error("pipe: %m");
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (e != 0) {
        close(pfd[0]);
        errno = e;
        v2k_error("%s: cannot run it: %m", argv[0]);
        return -1;
    }
    for (;;) {
        struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
        double now = v2k_now();
        ssize_t n;

        /* Gone, and what it wrote is read: a process it left behind
         * holding the pipe must not hold us. */
        if (!exited && waitpid(pid, &c->status, WNOHANG) == pid) {
            exited = true;
            fcntl(pfd[0], F_SETFL, O_NONBLOCK);
        }

        if (!exited && now > deadline && killed_at == 0) {
            c->timed_out = true;
            kill(pid, SIGTERM);
            killed_at = now;
        } else if (!exited && killed_at &&
                   now > killed_at + V2K_BATCH_INSPECT_GRACE) {
            kill(pid, SIGKILL);
        }
        if (!exited && poll(&pf, 1, 500) <= 0)
            continue;
        n = read(pfd[0], data, sizeof data);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (feed(c, data, (size_t)n) == -1) {
            if (!exited)
                kill(pid, SIGKILL);
            break;
        }
    }
    close(pfd[0]);
    if (c->len && !c->skipping) {       /* a last line without newline */
        c->buf[c->len] = '\0';
        handle_line(c, c->buf);
    }
    while (!exited && waitpid(pid, &c->status, 0) == -1 && errno == EINTR)
        ;
    return 0;
}

static bool
child_ok(const struct child *c)
{
    return !c->timed_out && WIFEXITED(c->status) &&
           WEXITSTATUS(c->status) == 0;
}

/* Why the run failed, one line. */
static void
child_failure(const struct child *c, unsigned timeout, char *out, size_t len)
{
    if (c->timed_out)
        snprintf(out, len, "v2kvm did not finish in %u s (killed)", timeout);
    else if (c->error)
        snprintf(out, len, "%s", c->error);
    else if (c->fallback)
        snprintf(out, len, "%s", c->fallback);
    else if (WIFSIGNALED(c->status))
        snprintf(out, len, "v2kvm was killed by signal %d",
                 WTERMSIG(c->status));
    else
        snprintf(out, len, "v2kvm exited with status %d",
                 WEXITSTATUS(c->status));
}

/* --- the checks ------------------------------------------------------- */

struct inspector {
    struct v2k_plan *p;
    char *v2kvm, *logdir;
    unsigned timeout;
    bool machine;
};

static void
add_disk(void *ctx, const char *el)
{
    struct result *r = ctx;
    char dev[32];
    double sz;

    if (v2k_jsonline_str(el, "device", dev, sizeof dev) &&
        strcmp(dev, "disk") != 0)
        return;                         /* cdroms and floppies: not copied */
    r->ndisks++;
    if (v2k_jsonline_num(el, "size_bytes", &sz) && sz >= 0 && sz < 0x1p64)
        r->size += (uint64_t)sz;
}

/* The source's model: disks, sizes, firmware. */
static void
read_source(struct result *r, const char *obj)
{
    char *disks = v2k_jsonline_raw(obj, "disks");
    char fw[32];

    if (disks && v2k_jsonline_each(disks, add_disk, r) == 0)
        r->source_ok = true;
    free(disks);
    if (v2k_jsonline_str(obj, "firmware", fw, sizeof fw) &&
        strcmp(fw, "unknown") != 0)
        replace(&r->firmware, fw);
}

/* The target storage's free space, against this VM's disks. */
static void
check_storage(struct result *r)
{
    const struct v2k_plan_vm *vm = r->vm;
    struct statvfs sv;
    struct stat st;
    char h1[32], h2[32];

    r->storage = v2k_plan_vm_storage(vm);
    if (vm->target->kind == V2K_PLAN_TGT_LIBVIRT || r->storage == NULL) {
        predict(r, SEV_INFO, "target libvirt pool %s: its free space is not checked",
                r->storage ? r->storage : "default");
        return;
    }
    if (statvfs(r->storage, &sv) == -1 || stat(r->storage, &st) == -1) {
        predict(r, SEV_ERROR, "target storage %s: %s", r->storage,
                strerror(errno));
        return;
    }
    r->storage_known = true;
    r->storage_dev = st.st_dev;
    /* f_bavail: v2kvm does not run as root on every host. */
    r->storage_free = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
    if (r->source_ok && r->size > r->storage_free)
        predict(r, SEV_ERROR, "the disks (%s virtual size) are bigger than the free space of the target storage %s (%s)",
                v2k_human_size(r->size, h1, sizeof h1), r->storage,
                v2k_human_size(r->storage_free, h2, sizeof h2));
}

/* Where v2kvm would find virtio-win (drivers-inject/windows/
 * virtio-win.h, v2k_vwin_open): 1 found, 0 nothing there, -1 a path
 * given or configured that does not exist (v2kvm fails on it). */
static int
virtio_win(const struct v2k_plan_vm *vm, char *where, size_t len)
{
    const char *env = getenv("VIRTIO_WIN");
    const char *given = vm->virtio_win ? vm->virtio_win
                        : env && *env ? env
                        : getenv("VIRTIO_WIN_DIR");
    static const char *const usual[] = {
        "/usr/share/virtio-win/virtio-win.iso", "/usr/share/virtio-win",
    };

    if (given && *given) {
        snprintf(where, len, "%s", given);
        return access(given, R_OK) == 0 ? 1 : -1;
    }
    for (size_t i = 0; i < sizeof usual / sizeof *usual; i++)
        if (access(usual[i], R_OK) == 0) {
            snprintf(where, len, "%s", usual[i]);
            return 1;
        }
    return 0;
}

/* OVMF where Debian and Fedora put it (the qemu output's script and
 * libvirt look there). */
static bool
have_ovmf(void)
{
    static const char *const paths[] = {
        "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE.fd",
        "/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/qemu/OVMF.fd",
    };

    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        if (access(paths[i], R_OK) == 0)
            return true;
    return false;
}

/* What the "space" step (drivers-inject/linux/space.c) needs free on a
 * mount point, the initramfs rebuild on /boot's filesystem apart. */
static uint64_t
space_need(const char *mp)
{
    if (strcmp(mp, "/") == 0)
        return 20 * MIB;
    if (strcmp(mp, "/usr") == 0 || strcmp(mp, "/var") == 0)
        return 10 * MIB;
    if (strcmp(mp, "/boot/efi") == 0)
        return MIB;
    return 0;
}

struct mounts_ctx {
    struct result *r;
    char boot_holder[8];        /* the mount point holding /boot */
    uint64_t largest_initrd;
};

/* The mount point holding /boot: "/boot" when it is one, else "/". */
static void
find_boot(void *ctx, const char *el)
{
    struct mounts_ctx *m = ctx;
    char mp[256];

    if (v2k_jsonline_str(el, "mountpoint", mp, sizeof mp) &&
        strcmp(mp, "/boot") == 0)
        snprintf(m->boot_holder, sizeof m->boot_holder, "/boot");
}

static void
find_initrd(void *ctx, const char *el)
{
    struct mounts_ctx *m = ctx;
    double sz;

    if (v2k_jsonline_num(el, "initrd_bytes", &sz) && sz > 0 && sz < 0x1p62 &&
        (uint64_t)sz > m->largest_initrd)
        m->largest_initrd = (uint64_t)sz;
}

static void
check_mount(void *ctx, const char *el)
{
    struct mounts_ctx *m = ctx;
    char mp[256], dev[256], h1[32], h2[32];
    double size, fr;
    uint64_t need, have;

    if (!v2k_jsonline_str(el, "mountpoint", mp, sizeof mp) ||
        !v2k_jsonline_num(el, "size_bytes", &size) ||
        !v2k_jsonline_num(el, "free_bytes", &fr) || size <= 0 || fr < 0 ||
        fr >= 0x1p64)
        return;                         /* unknown: an older v2kvm */
    if (!v2k_jsonline_str(el, "device", dev, sizeof dev))
        snprintf(dev, sizeof dev, "?");
    have = (uint64_t)fr;
    need = space_need(mp);
    /* The initramfs is rebuilt beside the old one: 5/4 of the largest
     * image + 4 MiB, 10 MiB when there is none (space.c). */
    if (strcmp(mp, m->boot_holder) == 0)
        need += m->largest_initrd ? m->largest_initrd / 4 * 5 + 4 * MIB
                                  : 10 * MIB;
    if (need && have < need)
        predict(m->r, SEV_ERROR, "the filesystem %s (%s) is full: %s free, the conversion needs %s",
                mp, dev, v2k_human_size(have, h1, sizeof h1),
                v2k_human_size(need, h2, sizeof h2));
}

/* Why the guest run failed, as a prediction. */
static void
guest_failure(struct result *r, const char *why)
{
    bool encrypted = strstr(why, "LUKS") || strstr(why, "BitLocker") ||
                     strstr(why, "encrypted");

    if (encrypted && r->vm->nkeys == 0)
        predict(r, SEV_ERROR, "%s volume and no key in the plan: %s",
                strstr(why, "BitLocker") ? "BitLocker" : "LUKS", why);
    else if (encrypted)
        predict(r, SEV_ERROR, "encrypted volume the plan's keys do not open: %s",
                why);
    else if (strstr(why, "no operating system"))
        predict(r, SEV_ERROR, "no OS found: %s", why);
    else
        predict(r, SEV_ERROR, "inspection failed: %s", why);
}

/* The guest's description: OS, firmware, filesystems, drivers. */
static void
read_guest(struct result *r, const char *obj)
{
    char family[32], type[64], distro[64], fw[32], where[512];
    double major = 0, minor = 0;
    struct mounts_ctx m = { .r = r, .boot_holder = "/" };

    if (!v2k_jsonline_str(obj, "family", family, sizeof family))
        snprintf(family, sizeof family, "unknown");
    if (!v2k_jsonline_str(obj, "type", type, sizeof type))
        snprintf(type, sizeof type, "unknown");
    if (!v2k_jsonline_str(obj, "distro", distro, sizeof distro))
        snprintf(distro, sizeof distro, "%s", type);
    if (!v2k_jsonline_num(obj, "major", &major) || !(major >= 0) ||
        major > 1e6)
        major = 0;
    if (!v2k_jsonline_num(obj, "minor", &minor) || !(minor >= 0) ||
        minor > 1e6)
        minor = 0;
    free(r->os);
    r->os = v2k_asprintf("%s %d.%d", distro, (int)major, (int)minor);
    if (v2k_jsonline_str(obj, "firmware", fw, sizeof fw) &&
        strcmp(fw, "unknown") != 0)
        replace(&r->firmware, fw);

    if (strcmp(family, "linux") != 0 && strcmp(family, "windows") != 0) {
        predict(r, SEV_ERROR, "guest OS not supported: inspection found an operating system of type '%s' (distribution '%s'), which v2kvm does not know how to convert",
                type, distro);
        return;
    }
    if (strcmp(family, "windows") == 0) {
        int vw = virtio_win(r->vm, where, sizeof where);
        if (vw == -1)
            predict(r, SEV_ERROR, "Windows guest: virtio-win %s cannot be read, and v2kvm fails on it",
                    where);
        else if (vw == 0)
            predict(r, SEV_WARNING, "Windows guest and no virtio-win (virtio_win in the plan, $VIRTIO_WIN, or /usr/share/virtio-win): it gets SATA disks and an e1000 NIC, slower than virtio");
        else
            predict(r, SEV_INFO, "Windows guest: virtio drivers from %s",
                    where);
    }
    if (strcmp(family, "linux") == 0) {
        char *mounts = v2k_jsonline_raw(obj, "mountpoints");
        char *kernels = v2k_jsonline_raw(obj, "kernels");

        if (kernels)
            v2k_jsonline_each(kernels, find_initrd, &m);
        if (mounts && v2k_jsonline_each(mounts, find_boot, &m) == 0)
            v2k_jsonline_each(mounts, check_mount, &m);
        free(mounts);
        free(kernels);
    }
}

/* UEFI, from the guest or else the source. */
static void
check_firmware(struct result *r)
{
    if (r->firmware == NULL || strcmp(r->firmware, "uefi") != 0)
        return;
    if (have_ovmf())
        predict(r, SEV_INFO, "UEFI firmware: the target host needs OVMF (UEFI for KVM; this host has it)");
    else
        predict(r, SEV_WARNING, "UEFI firmware: the target host needs OVMF (UEFI for KVM), and this host has none (Debian: ovmf, Fedora: edk2-ovmf)");
}

/* --- one VM ----------------------------------------------------------- */

/* One v2kvm run of vm in mode; its output in c.  -1: not run (the
 * message is a prediction already). */
static int
run_mode(struct inspector *in, struct result *r, int logfd,
         enum v2k_plan_argv_mode mode, struct child *c)
{
    char **argv = v2k_plan_vm_argv_mode(in->p, r->vm, in->v2kvm, mode);
    char head[256];

    memset(c, 0, sizeof *c);
    c->logfd = logfd;
    c->want = mode == V2K_PLAN_ARGV_SOURCE ? "hypervisor" : "family";
    if (argv == NULL) {
        predict(r, SEV_ERROR, "%s", v2k_error_message());
        return -1;
    }
    snprintf(head, sizeof head, "=== v2kvm %s ===\n",
             mode == V2K_PLAN_ARGV_SOURCE ? "--print-source"
                                          : "-o null --print-guest");
    if (write(logfd, head, strlen(head)) < 0) {
        /* the log is best effort */
    }
    if (run_child(argv, c, in->timeout) == -1) {
        predict(r, SEV_ERROR, "%s", v2k_error_message());
        v2k_strv_free(argv);
        return -1;
    }
    v2k_strv_free(argv);
    return 0;
}

static void
inspect_vm(struct inspector *in, struct result *r)
{
    struct child c;
    char why[2048];
    int logfd;

    r->log = v2k_state_vm_file(in->logdir, r->vm->name, ".inspect.log");
    logfd = r->log ? open(r->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                          0600)
                   : -1;
    if (logfd == -1) {
        predict(r, SEV_ERROR, "%s: cannot write the log: %s",
                r->log ? r->log : in->logdir, strerror(errno));
        return;
    }
    if (!in->machine)
        fprintf(stderr, "v2kvm-batch: inspecting %s (log %s)\n",
                r->vm->name, r->log);

    /* 1. The source. */
    if (run_mode(in, r, logfd, V2K_PLAN_ARGV_SOURCE, &c) == 0) {
        if (!child_ok(&c)) {
            child_failure(&c, in->timeout, why, sizeof why);
            predict(r, SEV_ERROR, "the source cannot be opened: %s", why);
        } else if (c.object == NULL) {
            predict(r, SEV_ERROR, "v2kvm --print-source printed no source model%s",
                    c.overlong ? " (a line over the size bound was skipped)"
                               : "");
        } else {
            read_source(r, c.object);
        }
    }
    child_clear(&c);
    check_storage(r);
    if (!r->source_ok)
        goto out;
    if (r->vm->no_convert) {
        predict(r, SEV_INFO, "no_convert: copied unchanged, the guest is not inspected");
        check_firmware(r);
        goto out;
    }

    /* 2. The guest. */
    if (run_mode(in, r, logfd, V2K_PLAN_ARGV_GUEST, &c) == 0) {
        if (!child_ok(&c)) {
            child_failure(&c, in->timeout, why, sizeof why);
            guest_failure(r, why);
        } else if (c.object == NULL) {
            predict(r, SEV_ERROR, "v2kvm --print-guest printed no guest%s",
                    c.overlong ? " (a line over the size bound was skipped)"
                               : "");
        } else {
            read_guest(r, c.object);
        }
        check_firmware(r);
        for (size_t i = 0; i < c.nwarnings; i++) {
            if (c.warnings[i] == NULL)
                continue;
            if (strstr(c.warnings[i], "encrypted (LUKS), no key given"))
                predict(r, SEV_WARNING, "LUKS volume and no key in the plan: %s",
                        c.warnings[i]);
            else
                predict(r, SEV_WARNING, "%s", c.warnings[i]);
        }
    }
    child_clear(&c);
out:
    close(logfd);
}

/* VMs whose disks go to the same filesystem: each fits alone, maybe not
 * together.  Counted in plan order, the order run starts them in, each
 * VM that fits alone added to its filesystem's total when it still fits
 * (the one that does not fails, and what it wrote is removed); the one
 * that does not gets the warning. */
static void
check_shared_storage(struct result *rs, size_t n)
{
    char h1[32], h2[32], h3[32];
    uint64_t *used = v2k_calloc(n + 1, sizeof *used);
    size_t *count = v2k_calloc(n + 1, sizeof *count);

    if (used == NULL || count == NULL) {
        free(used);
        free(count);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct result *r = &rs[i];
        size_t first = i;               /* the first VM on r's filesystem */

        if (!r->storage_known || !r->source_ok || r->size > r->storage_free)
            continue;
        for (size_t k = 0; k < i; k++)
            if (rs[k].storage_known && rs[k].storage_dev == r->storage_dev) {
                first = k;
                break;
            }
        if (used[first] + r->size <= r->storage_free) {
            used[first] += r->size;
            count[first]++;
            continue;
        }
        predict(r, SEV_WARNING, "its disks (%s) and those of the %zu VMs before it in the plan on the filesystem of %s (%s) are more than the %s free there",
                v2k_human_size(r->size, h1, sizeof h1), count[first],
                r->storage, v2k_human_size(used[first], h2, sizeof h2),
                v2k_human_size(r->storage_free, h3, sizeof h3));
    }
    free(used);
    free(count);
}

/* --- output ----------------------------------------------------------- */

static const char *
verdict_name(const struct result *r)
{
    enum severity v = verdict(r);

    return v == SEV_ERROR ? "error" : v == SEV_WARNING ? "warning" : "ok";
}

static void
print_json(const struct result *r)
{
    struct v2k_json *j = v2k_log_json_begin("inspect");

    if (j == NULL)
        return;
    v2k_json_kv_string(j, "vm", r->vm->name);
    v2k_json_kv_string(j, "os", r->os);
    v2k_json_kv_string(j, "firmware", r->firmware);
    v2k_json_key(j, "disks");
    if (r->source_ok)
        v2k_json_uint(j, r->ndisks);
    else
        v2k_json_null(j);
    v2k_json_key(j, "size_bytes");
    if (r->source_ok)
        v2k_json_uint(j, r->size);
    else
        v2k_json_null(j);
    v2k_json_kv_bool(j, "no_convert", r->vm->no_convert);
    v2k_json_kv_string(j, "verdict", verdict_name(r));
    v2k_json_kv_string(j, "log", r->log);
    v2k_json_key(j, "predictions");
    v2k_json_begin_array(j);
    for (size_t i = 0; i < r->npreds; i++) {
        v2k_json_begin_object(j);
        v2k_json_kv_string(j, "severity", severity_names[r->preds[i].sev]);
        v2k_json_kv_string(j, "message", r->preds[i].message);
        v2k_json_end_object(j);
    }
    v2k_json_end_array(j);
    v2k_json_kv_uint(j, "predictions_dropped", r->dropped);
    v2k_log_json_end(j);
}

static void
print_table(const struct result *rs, size_t n)
{
    char e1[256], e2[256], hs[32], esc[4096];

    printf("%-20s %-20s %-8s %5s %10s  %s\n", "VM", "OS", "FIRMWARE",
           "DISKS", "SIZE", "VERDICT");
    for (size_t i = 0; i < n; i++) {
        const struct result *r = &rs[i];
        char disks[16];

        snprintf(disks, sizeof disks, r->source_ok ? "%u" : "-", r->ndisks);
        printf("%-20s %-20s %-8s %5s %10s  %s\n",
               v2k_log_escape(r->vm->name, e1, sizeof e1),
               r->os ? v2k_log_escape(r->os, e2, sizeof e2)
                     : r->vm->no_convert ? "(not inspected)" : "-",
               r->firmware ? r->firmware : "-", disks,
               r->source_ok ? v2k_human_size(r->size, hs, sizeof hs) : "-",
               verdict_name(r));
        for (size_t k = 0; k < r->npreds; k++)
            printf("  %s: %s\n", severity_names[r->preds[k].sev],
                   v2k_log_escape(r->preds[k].message, esc, sizeof esc));
        if (r->dropped)
            printf("  (%zu more predictions not shown; v2kvm's output is in %s)\n",
                   r->dropped, r->log);
    }
}

/* --- the whole -------------------------------------------------------- */

int
v2k_batch_inspect(const char *plan_path, const struct v2k_batch_inspect_opts *o)
{
    struct inspector in = { 0 };
    struct result *rs = NULL;
    size_t n = 0, nerr = 0, nwarn = 0;
    int rc = 2;

    if (v2k_plan_load_print(plan_path, &in.p, NULL) == -1) {
        v2k_log_error("inspect: nothing was inspected (see v2kvm-batch check)");
        return 2;
    }
    for (size_t i = 0; i < o->nonly; i++)
        if (v2k_plan_find_vm(in.p, o->only[i]) == NULL) {
            v2k_error("--only %s: %s has no such VM", o->only[i], plan_path);
            v2k_log_error(v2k_error_message());
            goto out;
        }
    in.machine = o->machine_readable;
    in.timeout = o->timeout ? o->timeout : V2K_BATCH_INSPECT_TIMEOUT;
    in.v2kvm = v2k_batch_v2kvm_program();
    in.logdir = v2k_asprintf("%s.logs", in.p->state_path);
    rs = v2k_calloc(in.p->nvms + 1, sizeof *rs);
    if (in.v2kvm == NULL || in.logdir == NULL || rs == NULL) {
        v2k_log_error(v2k_error_message());
        goto out;
    }
    if (mkdir(in.logdir, 0700) == -1 && errno != EEXIST) {
        v2k_error("%s: %s", in.logdir, strerror(errno));
        v2k_log_error(v2k_error_message());
        goto out;
    }
    for (size_t i = 0; i < in.p->nvms; i++) {
        const struct v2k_plan_vm *vm = &in.p->vms[i];
        bool chosen = o->nonly == 0;

        for (size_t k = 0; k < o->nonly && !chosen; k++)
            chosen = strcmp(o->only[k], vm->name) == 0;
        if (!chosen)
            continue;
        if (!vm->no_convert)
            v2k_batch_share_accel();   /* probes once: it sets V2K_ACCEL */
        rs[n].vm = vm;
        inspect_vm(&in, &rs[n]);
        n++;
    }
    check_shared_storage(rs, n);
    for (size_t i = 0; i < n; i++) {
        enum severity v = verdict(&rs[i]);
        nerr += v == SEV_ERROR;
        nwarn += v == SEV_WARNING;
        if (in.machine)
            print_json(&rs[i]);
    }
    if (in.machine) {
        struct v2k_json *j = v2k_log_json_begin("summary");
        if (j) {
            v2k_json_kv_uint(j, "vms", n);
            v2k_json_kv_uint(j, "ok", n - nerr - nwarn);
            v2k_json_kv_uint(j, "warning", nwarn);
            v2k_json_kv_uint(j, "error", nerr);
            v2k_log_json_end(j);
        }
    } else {
        print_table(rs, n);
        printf("%zu VM%s: %zu ok, %zu to look at, %zu would fail\n", n,
               n == 1 ? "" : "s", n - nerr - nwarn, nwarn, nerr);
    }
    fflush(stdout);
    rc = nerr ? 1 : 0;
out:
    for (size_t i = 0; rs && i < n; i++)
        result_clear(&rs[i]);
    free(rs);
    free(in.v2kvm);
    free(in.logdir);
    v2k_plan_free(in.p);
    return rc;
}
