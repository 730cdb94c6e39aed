/* conversion.c - see conversion.h. */
#include "conversion.h"
#include "appliance-watchdog.h"
#include "convert.h"
#include "domain-xml.h"
#include "error.h"
#include "guestfs-handle.h"
#include "inspect.h"
#include "json.h"
#include "log.h"
#include "outfile.h"
#include "transport.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <link.h>
#endif

extern char **environ;

#define NBDKIT_START_TIMEOUT 60.0   /* s for nbdkit to open the source */
#define NBDKIT_STOP_TIMEOUT 5.0     /* s after SIGTERM, then SIGKILL */
/* virt-v2v gives its appliance 2 GiB; inspection and an initramfs
 * rebuild fit in less, and TCG boots a smaller guest faster. */
#define APPLIANCE_MEMSIZE_MB 1280
#define KEY_FILE_MAX 8192           /* a LUKS passphrase file */
#define LOG_TAIL_MAX 4096           /* bytes of a helper's log we quote */

struct conv_disk {
    size_t index;               /* in s->disks */
    char *sock, *pidfile, *log, *overlay;   /* owned paths in tmpdir */
    pid_t nbdkit;               /* 0 = not running */
    struct v2k_image *source;   /* while open_disk's image is open */
};

struct v2k_conversion {
    const struct v2k_options *o;
    const struct v2k_source *s;
    char *tmpdir;               /* owned, mode 0700 */
    char *qemu_img_log;
    struct conv_disk *disks;
    size_t ndisks;
    struct v2k_guest *guest;
    double appliance_s;
};

/* --- small helpers ---------------------------------------------------- */

static void
sleep_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000,
                           .tv_nsec = (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* A path in the temporary directory, registered for removal (a second
 * signal unlinks it at once; v2k_conversion_free otherwise). */
static char *
temp_path(struct v2k_conversion *c, const char *fmt, size_t k)
{
    char name[64];
    char *p;

    snprintf(name, sizeof name, fmt, k + 1);
    p = v2k_asprintf("%s/%s", c->tmpdir, name);
    if (p && v2k_outfile_register(p) == -1) {
        free(p);
        return NULL;
    }
    return p;
}

static void
remove_temp(char **path)
{
    if (*path) {
        unlink(*path);
        v2k_outfile_forget(*path);
        free(*path);
        *path = NULL;
    }
}

/* The line of a helper's log that says what went wrong: the last one
 * with "error" in it (nbdkit and qemu-img end with hints such as "Use
 * 'nbdkit --help'"), else the last non-empty one. */
static void
log_tail(const char *path, char *buf, size_t size)
{
    char tail[LOG_TAIL_MAX + 1];
    ssize_t n = 0;
    struct stat st;
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    const char *last = NULL, *err = NULL;

    snprintf(buf, size, "no message");
    if (fd == -1)
        return;
    if (fstat(fd, &st) == 0) {
        off_t off = st.st_size > LOG_TAIL_MAX ? st.st_size - LOG_TAIL_MAX
                                              : 0;
        n = pread(fd, tail, LOG_TAIL_MAX, off);
    }
    close(fd);
    if (n <= 0)
        return;
    tail[n] = '\0';
    for (char *line = tail, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line[strcspn(line, "\r")] = '\0';
        if (*line == '\0')
            continue;
        last = line;
        if (strstr(line, "error"))
            err = line;
    }
    if (err || last)
        snprintf(buf, size, "%s", err ? err : last);
}

static bool
log_has_error(const char *path)
{
    char msg[512];

    log_tail(path, msg, sizeof msg);
    return strstr(msg, "error") != NULL;
}

/* Start argv[0] (searched in PATH) with stdin from /dev/null and stdout
 * and stderr appended to log.  envp NULL = ours. */
static int
spawn(char *const argv[], char *const envp[], const char *log, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none;
    int r;

    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log,
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    r = posix_spawnp(pid, argv[0], &fa, &attr, argv,
                     envp ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (r != 0) {
        v2k_error_errno(r, "cannot run %s", argv[0]);
        return -1;
    }
    return 0;
}

/* Run argv to completion; -1 with "what: <its last log line>" when it
 * fails. */
static int
run_command(char *const argv[], const char *log, const char *what)
{
    char msg[512];
    pid_t pid;
    int status;

    if (spawn(argv, NULL, log, &pid) == -1)
        return -1;
    while (waitpid(pid, &status, 0) == -1) {
        if (errno != EINTR) {
            v2k_error_errno(errno, "%s: waitpid", what);
            return -1;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    log_tail(log, msg, sizeof msg);
    if (WIFSIGNALED(status))
        v2k_error("%s: %s killed by signal %d (%s)", what, argv[0],
                  WTERMSIG(status), msg);
    else
        v2k_error("%s: %s failed: %s", what, argv[0], msg);
    return -1;
}

/* One JSON line per phase with --machine-readable, a debug line at -v. */
static void
phase_done(const char *phase, double t0)
{
    v2k_log_phase(phase, v2k_now() - t0);
}

/* --- the nbdkit plugin -------------------------------------------------- */

const char *
v2k_nbdkit_plugin_path(void)
{
    const char *env = getenv("V2K_NBDKIT_PLUGIN");

    if (env && *env) {
        if (access(env, R_OK) == -1) {
            v2k_error_errno(errno, "V2K_NBDKIT_PLUGIN=%s", env);
            return NULL;
        }
        return env;
    }
#ifdef V2K_NBDKIT_PLUGIN_BUILD
    /* Run from the build tree (tests): the plugin built beside us. */
    if (access(V2K_NBDKIT_PLUGIN_BUILD, R_OK) == 0)
        return V2K_NBDKIT_PLUGIN_BUILD;
#endif
#ifdef V2K_NBDKIT_PLUGIN_INSTALLED
    if (access(V2K_NBDKIT_PLUGIN_INSTALLED, R_OK) == 0)
        return V2K_NBDKIT_PLUGIN_INSTALLED;
    v2k_error("%s: the nbdkit plugin is not installed (set V2K_NBDKIT_PLUGIN, or use --no-convert)",
              V2K_NBDKIT_PLUGIN_INSTALLED);
#else
    v2k_error("this v2kvm was built without nbdkit-v2kvm-plugin (install nbdkit-plugin-dev and rebuild, set V2K_NBDKIT_PLUGIN, or use --no-convert)");
#endif
    return NULL;
}

#ifdef __SANITIZE_ADDRESS__
/* A sanitizer build's plugin needs the ASan runtime loaded first into
 * nbdkit (which is not built with it): the one loaded into us. */
static int
find_asan(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    if (info->dlpi_name && strstr(info->dlpi_name, "/libasan")) {
        snprintf(data, PATH_MAX, "%s", info->dlpi_name);
        return 1;
    }
    return 0;
}
#endif

/* Our environment, minus the variables we set, plus extra (NULL-ended).
 * Returns a malloc'd array of borrowed and owned strings: free the
 * owned ones (from extra) yourself, then the array. */
static char **
child_env(char *const *extra)
{
    size_t n = 0, nextra = 0, k = 0;
    char **env;

    while (environ[n])
        n++;
    while (extra[nextra])
        nextra++;
    env = v2k_calloc(n + nextra + 1, sizeof *env);
    if (env == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        bool skip = false;
        for (size_t x = 0; x < nextra && !skip; x++) {
            const char *eq = strchr(extra[x], '=');
            size_t len = eq ? (size_t)(eq - extra[x]) + 1 : 0;
            skip = len && strncmp(environ[i], extra[x], len) == 0;
        }
        if (!skip)
            env[k++] = environ[i];
    }
    for (size_t x = 0; x < nextra; x++)
        env[k++] = extra[x];
    env[k] = NULL;
    return env;
}

/* An absolute name for a credential file nbdkit opens (it may run in
 * another directory one day): realpath, else as given. */
static char *
env_file(const char *var, const char *path)
{
    char *abs = path ? realpath(path, NULL) : NULL;
    char *r = v2k_asprintf("%s=%s", var, abs ? abs : path);
    free(abs);
    return r;
}

static void
stop_nbdkit(struct conv_disk *d)
{
    double t0;
    int status;

    if (d->nbdkit <= 0)
        return;
    kill(d->nbdkit, SIGTERM);
    t0 = v2k_now();
    for (;;) {
        pid_t r = waitpid(d->nbdkit, &status, WNOHANG);
        if (r == d->nbdkit || (r == -1 && errno != EINTR))
            break;
        if (v2k_now() - t0 > NBDKIT_STOP_TIMEOUT) {
            kill(d->nbdkit, SIGKILL);
            while (waitpid(d->nbdkit, &status, 0) == -1 && errno == EINTR)
                ;
            break;
        }
        sleep_ms(10);
    }
    d->nbdkit = 0;
}

/* Serve source disk d->index read-only on d->sock. */
static int
start_nbdkit(struct v2k_conversion *c, struct conv_disk *d,
             const char *plugin)
{
    const struct v2k_disk *sd = &c->s->disks[d->index];
    struct v2k_remote_opts r;
    char *extra[8] = { NULL };          /* owned "NAME=value" */
    char **env = NULL;
    char **argv = NULL;
    size_t ne = 0, na = 0, nparents = 0;
    char msg[512];
    double t0;
    int ret = -1;
#ifdef __SANITIZE_ADDRESS__
    char asan[PATH_MAX] = "";
    const char *asan_opts = getenv("ASAN_OPTIONS");
#endif

    /* Credentials travel as file names in the environment, as for us
     * (transport.h), never on nbdkit's command line. */
    v2k_options_remote_opts(c->o, &r);
    if (r.password_file &&
        (extra[ne++] = env_file("V2K_PASSWORD_FILE", r.password_file)) ==
            NULL)
        goto out;
    if (r.ssh_identity &&
        (extra[ne++] = env_file("V2K_SSH_IDENTITY", r.ssh_identity)) == NULL)
        goto out;
    if (r.ssh_insecure &&
        (extra[ne++] = v2k_strdup("V2K_SSH_INSECURE=1")) == NULL)
        goto out;
#ifdef __SANITIZE_ADDRESS__
    dl_iterate_phdr(find_asan, asan);
    if (asan[0]) {
        if ((extra[ne++] = v2k_asprintf("LD_PRELOAD=%s", asan)) == NULL ||
            (extra[ne++] = v2k_asprintf("ASAN_OPTIONS=%s%sdetect_leaks=0",
                                        asan_opts ? asan_opts : "",
                                        asan_opts ? ":" : "")) == NULL)
            goto out;
    }
#endif
    env = child_env(extra);
    if (env == NULL)
        goto out;

    for (char **p = sd->parent_chain; p && *p; p++)
        nparents++;
    argv = v2k_calloc(16 + nparents, sizeof *argv);
    if (argv == NULL)
        goto out;
    argv[na++] = "nbdkit";
    argv[na++] = "--exit-with-parent";     /* safety net if we die */
    argv[na++] = "--foreground";
    argv[na++] = "--readonly";
    argv[na++] = "--unix";
    argv[na++] = d->sock;
    argv[na++] = "--pidfile";
    argv[na++] = d->pidfile;
    argv[na++] = (char *)plugin;
    if ((argv[na++] = v2k_asprintf("file=%s", sd->path)) == NULL)
        goto out;
    if (sd->format &&
        (argv[na++] = v2k_asprintf("format=%s", sd->format)) == NULL)
        goto out;
    for (char **p = sd->parent_chain; p && *p; p++)
        if ((argv[na++] = v2k_asprintf("parent=%s", *p)) == NULL)
            goto out;
    argv[na] = NULL;

    v2k_debug("disk %zu: nbdkit serving %s on %s", d->index + 1, sd->path,
              d->sock);
    if (spawn(argv, env, d->log, &d->nbdkit) == -1) {
        d->nbdkit = 0;
        v2k_error_prepend("disk %zu: ", d->index + 1);
        goto out;
    }
    /* Ready when the pidfile appears: nbdkit writes it once it listens,
     * after the plugin opened the image. */
    t0 = v2k_now();
    for (;;) {
        struct stat st;
        int status;

        if (stat(d->pidfile, &st) == 0 && st.st_size > 0)
            break;
        /* An error logged means it will not serve (and an nbdkit with
         * the ASan runtime preloaded may hang in exit after it). */
        if (waitpid(d->nbdkit, &status, WNOHANG) == d->nbdkit ||
            (stat(d->log, &st) == 0 && st.st_size > 0 &&
             log_has_error(d->log))) {
            if (waitpid(d->nbdkit, &status, WNOHANG) == d->nbdkit)
                d->nbdkit = 0;
            log_tail(d->log, msg, sizeof msg);
            v2k_error("disk %zu (%s): nbdkit could not serve it: %s",
                      d->index + 1, sd->path, msg);
            goto out;
        }
        if (v2k_check_interrupted() == -1)
            goto out;
        if (v2k_now() - t0 > NBDKIT_START_TIMEOUT) {
            v2k_error("disk %zu (%s): nbdkit did not start serving within %.0f s", d->index + 1, sd->path, NBDKIT_START_TIMEOUT);
            goto out;
        }
        sleep_ms(20);
    }
    ret = 0;
out:
    if (ret == -1)
        stop_nbdkit(d);
    if (argv)
        for (size_t i = 9; i < na; i++)
            free(argv[i]);
    free(argv);
    free(env);
    for (size_t i = 0; i < V2K_ARRAY_SIZE(extra); i++)
        free(extra[i]);
    return ret;
}

/* A qcow2 v3 overlay over the NBD export: v3 because only v3 has zero
 * clusters, which is what a discard leaves where a backing file exists. */
static int
create_overlay(struct v2k_conversion *c, struct conv_disk *d)
{
    char *backing = v2k_asprintf("nbd+unix:///?socket=%s", d->sock);
    char *argv[] = {
        "qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=1.1",
        "-F", "raw", "-b", backing, d->overlay, NULL,
    };
    char what[64];
    int r;

    if (backing == NULL)
        return -1;
    snprintf(what, sizeof what, "disk %zu: overlay", d->index + 1);
    r = run_command(argv, c->qemu_img_log, what);
    free(backing);
    return r;
}

/* --- inspection options ----------------------------------------------- */

/* --key DEVICE:KEY, DEVICE:key:KEY, DEVICE:file:PATH as "DEVICE:KEY"
 * (inspect.h).  The key is never put in a message. */
static char **
keys_build(const struct v2k_options *o)
{
    char **keys = v2k_calloc(o->nkeys + 1, sizeof *keys);

    if (keys == NULL)
        return NULL;
    for (size_t i = 0; i < o->nkeys; i++) {
        const char *arg = o->keys[i];
        const char *colon = strchr(arg, ':');
        int devlen = (int)(colon - arg);
        const char *rest = colon + 1;

        if (strncmp(rest, "file:", 5) == 0) {
            size_t len;
            char *text = v2k_read_file(rest + 5, KEY_FILE_MAX, &len);
            if (text == NULL) {
                v2k_error_prepend("--key %.*s: ", devlen, arg);
                v2k_strv_free_secret(keys);
                return NULL;
            }
            /* The first line, as cryptsetup --key-file - reads a
             * passphrase typed into a file. */
            text[strcspn(text, "\n")] = '\0';
            keys[i] = v2k_asprintf("%.*s:%s", devlen, arg, text);
            explicit_bzero(text, len);
            free(text);
        } else {
            if (strncmp(rest, "key:", 4) == 0)
                rest += 4;
            keys[i] = v2k_asprintf("%.*s:%s", devlen, arg, rest);
        }
        if (keys[i] == NULL) {
            v2k_strv_free_secret(keys);
            return NULL;
        }
    }
    return keys;
}

static void
inspect_opts_fill(const struct v2k_options *o, struct v2k_inspect_opts *io)
{
    memset(io, 0, sizeof *io);
    io->root_choice = V2K_ROOT_SINGLE;
    if (o->root == NULL || strcmp(o->root, "single") == 0)
        return;
    if (strcmp(o->root, "first") == 0)
        io->root_choice = V2K_ROOT_FIRST;
    else if (strcmp(o->root, "ask") == 0)
        io->root_choice = V2K_ROOT_ASK;
    else {
        io->root_choice = V2K_ROOT_DEVICE;
        io->root_device = o->root;
    }
}

bool
v2k_conversion_keeps_macs(const struct v2k_options *o,
                          const struct v2k_source *s)
{
    /* Every output writes a NIC's source MAC when it has one (domain
     * XML <mac>, qemu's mac=), except for SR-IOV functions. */
    if (s->nnics == 0)
        return false;
    for (size_t i = 0; i < s->nnics; i++) {
        const struct v2k_nic *n = &s->nics[i];
        if (n->mac == NULL)
            return false;
        for (size_t k = 0; k < o->nnetmaps; k++)
            if (o->netmaps[k].kind == V2K_MAP_MAC &&
                o->netmaps[k].to_hostdev &&
                strcasecmp(o->netmaps[k].in, n->mac) == 0)
                return false;
    }
    return true;
}

/* --- the appliance ------------------------------------------------------ */

/* fstrim every mounted filesystem: what the guest freed then reads as
 * zero clusters in the overlay and is never copied.  A filesystem that
 * cannot be trimmed (vfat, read-only) only costs space: a warning. */
static void
trim(guestfs_h *g)
{
    char **mps = guestfs_mountpoints(g);

    if (mps == NULL) {
        v2k_warning("cannot list the mounted filesystems to trim them: %s",
                    guestfs_last_error(g) ? guestfs_last_error(g) : "?");
        return;
    }
    for (size_t i = 0; mps[i] && mps[i + 1]; i += 2) {
        double t0 = v2k_now();
        if (guestfs_fstrim(g, mps[i + 1], -1) == -1)
            v2k_warning("fstrim %s (%s): %s", mps[i + 1], mps[i],
                        guestfs_last_error(g) ? guestfs_last_error(g)
                                              : "?");
        else
            v2k_debug("fstrim %s (%s): %.1f s", mps[i + 1], mps[i],
                      v2k_now() - t0);
    }
    for (size_t i = 0; mps[i]; i++)
        free(mps[i]);
    free(mps);
}

static const char *
guest_title(const struct v2k_guest *guest)
{
    if (guest->product_name && *guest->product_name)
        return guest->product_name;
    if (guest->distro && *guest->distro)
        return guest->distro;
    return "the guest";
}

/* The watchdog's probe (appliance-watchdog.h): true once a disk's nbdkit
 * has logged that its source is unreachable -- an NBD source whose link
 * stayed down for V2K_NBD_RECONNECT_TIME (a P2V machine gone).  Every
 * later read fails at once (transport-nbd.c), so nothing the appliance
 * still does can succeed: stop it now rather than after
 * V2K_APPLIANCE_TIMEOUT.  Reads the last LOG_TAIL_MAX bytes of each
 * remote disk's log (c->disks is not changed while the appliance runs). */
static bool
source_gone_probe(void *arg)
{
    const struct v2k_conversion *c = arg;

    for (size_t k = 0; k < c->ndisks; k++) {
        char msg[512];
        const struct v2k_disk *sd = &c->s->disks[c->disks[k].index];

        if (c->disks[k].log == NULL || sd->transport != V2K_TRANSPORT_NBD)
            continue;
        log_tail(c->disks[k].log, msg, sizeof msg);
        if (strstr(msg, "the source is unreachable"))
            return true;
    }
    return false;
}

/* Launch, inspect, convert, trim, shut down.  g is closed on return. */
static int
run_appliance(struct v2k_conversion *c, guestfs_h *g,
              struct v2k_guestcaps *gc, bool inspect_only)
{
    const struct v2k_options *o = c->o;
    struct v2k_inspect_opts io;
    char **keys = NULL;
    double t_app, t0;
    int r = -1;

    if (guestfs_set_memsize(g, APPLIANCE_MEMSIZE_MB) == -1 ||
        (v2k_ncpus() >= 2 && guestfs_set_smp(g, 2) == -1)) {
        v2k_guestfs_error(g, "libguestfs setup");
        goto out;
    }
    for (size_t k = 0; k < c->ndisks; k++) {
        if (guestfs_add_drive_opts(g, c->disks[k].overlay,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2",
                                   GUESTFS_ADD_DRIVE_OPTS_READONLY, 0,
                                   GUESTFS_ADD_DRIVE_OPTS_DISCARD,
                                   "besteffort",
                                   GUESTFS_ADD_DRIVE_OPTS_CACHEMODE,
                                   "unsafe", -1) == -1) {
            v2k_guestfs_error(g, c->disks[k].overlay);
            goto out;
        }
    }

    v2k_watchdog_set_probe(g, source_gone_probe, c);
    v2k_msg("Starting the libguestfs appliance");
    t_app = t0 = v2k_now();
    if (guestfs_launch(g) == -1) {
        v2k_guestfs_error(g, "libguestfs appliance");
        goto out;
    }
    phase_done("launch", t0);
    if (v2k_check_interrupted() == -1)
        goto out;

    v2k_msg("Inspecting the guest");
    t0 = v2k_now();
    inspect_opts_fill(o, &io);
    if (o->nkeys) {
        keys = keys_build(o);
        if (keys == NULL)
            goto out;
        io.keys = (const char *const *)keys;
    }
    c->guest = v2k_inspect(g, &io);
    v2k_strv_free_secret(keys);
    if (c->guest == NULL)
        goto out;
    phase_done("inspect", t0);
    if (o->print_guest) {
        if (o->machine_readable)
            v2k_guest_print_json(c->guest, stdout);
        else
            v2k_guest_print(c->guest, stdout);
        fflush(stdout);
    }
    if (v2k_check_interrupted() == -1)
        goto out;

    if (!inspect_only) {
        struct v2k_convert_ctx ctx = {
            .g = g,
            .guest = c->guest,
            .src = c->s,
            .opts = {
                .machine_fixed = o->machine != NULL,
                .rebuild_initramfs = o->rebuild_initramfs,
                .virtio_win = o->virtio_win,
            },
            .gc = gc,
            .keep_macs = v2k_conversion_keeps_macs(o, c->s),
            .only_steps = getenv("V2K_ONLY_STEPS"),
        };
        int cr;

        v2k_msg("Converting %s to run on KVM", guest_title(c->guest));
        t0 = v2k_now();
        cr = v2k_convert_guest(&ctx);
        v2k_edit_set_clear(&ctx.edited);
        if (cr == -1)
            goto out;
        phase_done("convert", t0);
        if (v2k_check_interrupted() == -1)
            goto out;

        v2k_msg("Trimming free space");
        t0 = v2k_now();
        trim(g);
        phase_done("trim", t0);
    }

    t0 = v2k_now();
    if (guestfs_umount_all(g) == -1) {
        v2k_guestfs_error(g, "unmounting the guest's filesystems");
        goto out;
    }
    /* Shutdown flushes qemu's cache (cachemode unsafe) into the overlays:
     * if it fails they may be incomplete. */
    if (guestfs_shutdown(g) == -1) {
        v2k_guestfs_error(g, "libguestfs appliance shutdown (the overlay "
                             "may be incomplete)");
        goto out;
    }
    phase_done("shutdown", t0);
    c->appliance_s = v2k_now() - t_app;
    v2k_debug("time in the appliance: %.1f s", c->appliance_s);
    r = 0;
out:
    /* Whatever failed after the watchdog stopped the appliance, its
     * message is the one that explains it. */
    if (r == -1 && v2k_watchdog_fired(g) && !v2k_watchdog_probe_fired(g))
        v2k_watchdog_error(g);
    /* ... unless a source went away under the appliance (an NBD source
     * whose link stayed down past V2K_NBD_RECONNECT_TIME: a P2V machine
     * gone): the appliance only saw I/O errors; nbdkit's log says why. */
    for (size_t k = 0; r == -1 && k < c->ndisks; k++) {
        char msg[512];
        if (c->disks[k].log == NULL)
            continue;
        log_tail(c->disks[k].log, msg, sizeof msg);
        if (strstr(msg, "the source is unreachable")) {
            const char *m = strstr(msg, "error: ");
            v2k_error("disk %zu: %s", c->disks[k].index + 1,
                      m ? m + 7 : msg);
            break;
        }
    }
    guestfs_close(g);
    return r;
}

/* --- the stage ---------------------------------------------------------- */

static int
make_tmpdir(struct v2k_conversion *c)
{
    const char *base = getenv("TMPDIR");
    char *t;

    /* Overlays hold what the conversion writes (an initramfs or two):
     * /var/tmp, as libguestfs and virt-v2v use, not a small tmpfs. */
    if (base == NULL || *base == '\0')
        base = "/var/tmp";
    t = v2k_asprintf("%s/v2kvm.XXXXXX", base);
    if (t == NULL)
        return -1;
    if (mkdtemp(t) == NULL) {          /* mode 0700 */
        v2k_error_errno(errno, "cannot create a temporary directory in %s",
                        base);
        free(t);
        return -1;
    }
    c->tmpdir = t;
    return 0;
}

/* The socket path goes into a URI and a sockaddr_un: keep it short and
 * free of characters that would need escaping. */
static int
check_socket_path(const char *path)
{
    struct sockaddr_un sun;

    if (strlen(path) >= sizeof sun.sun_path ||
        strspn(path, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") !=
            strlen(path)) {
        v2k_error("%s: unusable as an NBD socket (too long or unusual characters): set TMPDIR to a short plain directory",
                  path);
        return -1;
    }
    return 0;
}

struct v2k_conversion *
v2k_conversion_run(const struct v2k_options *o, const struct v2k_source *s,
                   struct v2k_guestcaps *gc, bool inspect_only)
{
    struct v2k_conversion *c = v2k_calloc(1, sizeof *c);
    const char *plugin;
    guestfs_h *g;
    size_t n = v2k_source_ncopied(s), k = 0;
    double t0 = v2k_now();

    if (c == NULL)
        return NULL;
    c->o = o;
    c->s = s;
    if (n == 0) {
        v2k_error("the source has no disk to inspect");
        goto fail;
    }
    plugin = v2k_nbdkit_plugin_path();
    if (plugin == NULL)
        goto fail;
    c->disks = v2k_calloc(n, sizeof *c->disks);
    if (c->disks == NULL || make_tmpdir(c) == -1)
        goto fail;
    c->ndisks = n;
    c->qemu_img_log = temp_path(c, "qemu-img.log", 0);
    if (c->qemu_img_log == NULL)
        goto fail;
    v2k_msg("Setting up the source disks for the conversion");
    for (size_t i = 0; i < s->ndisks; i++) {
        struct conv_disk *d;

        if (s->disks[i].device != V2K_DEV_DISK)
            continue;
        d = &c->disks[k++];
        d->index = i;
        if ((d->sock = temp_path(c, "nbd%zu.sock", k - 1)) == NULL ||
            (d->pidfile = temp_path(c, "nbdkit%zu.pid", k - 1)) == NULL ||
            (d->log = temp_path(c, "nbdkit%zu.log", k - 1)) == NULL ||
            (d->overlay = temp_path(c, "overlay%zu.qcow2", k - 1)) == NULL ||
            check_socket_path(d->sock) == -1 ||
            start_nbdkit(c, d, plugin) == -1 ||
            create_overlay(c, d) == -1)
            goto fail;
    }
    phase_done("overlays", t0);

    g = v2k_guestfs_create();
    if (g == NULL || run_appliance(c, g, gc, inspect_only) == -1)
        goto fail;
    /* The copy reads the source directly, not through NBD. */
    for (k = 0; k < c->ndisks; k++)
        stop_nbdkit(&c->disks[k]);
    return c;

fail:
    v2k_conversion_free(c);
    return NULL;
}

struct v2k_image *
v2k_open_source_disk(const struct v2k_options *o, const struct v2k_disk *d)
{
    /* A .vbox names the parents of a differencing image (vdi.c); a
     * remote image's absolute backing names are not followed (the
     * transport's property, v2k_transport_may_follow). */
    struct v2k_open_opts oopts = {
        .parent_candidates = (const char *const *)d->parent_chain,
        .confine_dir = d->confine_dir,
    };
    struct v2k_remote_opts ropts;
    struct v2k_transport *t;

    v2k_options_remote_opts(o, &ropts);
    t = v2k_transport_open_uri(d->path, &ropts);
    return t ? v2k_image_open_transport(t, d->format, &oopts) : NULL;
}

struct v2k_image *
v2k_conversion_open_disk(struct v2k_conversion *c, size_t k)
{
    struct conv_disk *d;
    struct v2k_open_opts oo = { 0 };
    struct v2k_image *img;

    if (k >= c->ndisks) {
        v2k_error("conversion: no disk %zu", k + 1);
        return NULL;
    }
    d = &c->disks[k];
    if (d->source) {
        v2k_error("conversion: disk %zu is already open", k + 1);
        return NULL;
    }
    d->source = v2k_open_source_disk(c->o, &c->s->disks[d->index]);
    if (d->source == NULL)
        return NULL;
    oo.backing_override = d->source;
    img = v2k_image_open(d->overlay, "qcow2", &oo);
    if (img && img->size != d->source->size) {
        v2k_error("%s: overlay of %llu bytes over a source of %llu bytes",
                  d->overlay, (unsigned long long)img->size,
                  (unsigned long long)d->source->size);
        v2k_image_close(img);
        img = NULL;
    }
    if (img == NULL) {
        v2k_image_close(d->source);
        d->source = NULL;
    }
    return img;
}

void
v2k_conversion_close_disk(struct v2k_conversion *c, size_t k,
                          struct v2k_image *img)
{
    v2k_image_close(img);               /* before the source it borrows */
    if (c && k < c->ndisks) {
        v2k_image_close(c->disks[k].source);
        c->disks[k].source = NULL;
    }
}

const struct v2k_guest *
v2k_conversion_guest(const struct v2k_conversion *c)
{
    return c->guest;
}

double
v2k_conversion_appliance_seconds(const struct v2k_conversion *c)
{
    return c->appliance_s;
}

void
v2k_conversion_free(struct v2k_conversion *c)
{
    if (c == NULL)
        return;
    for (size_t k = 0; k < c->ndisks; k++) {
        struct conv_disk *d = &c->disks[k];
        stop_nbdkit(d);
        v2k_image_close(d->source);
        if (d->log && v2k_log_verbose()) {
            char msg[512];
            log_tail(d->log, msg, sizeof msg);
            v2k_debug("nbdkit for disk %zu said last: %s", d->index + 1,
                      msg);
        }
        remove_temp(&d->overlay);
        remove_temp(&d->sock);
        remove_temp(&d->pidfile);
        remove_temp(&d->log);
    }
    remove_temp(&c->qemu_img_log);
    if (c->tmpdir && rmdir(c->tmpdir) == -1)
        v2k_warning("cannot remove %s: %s", c->tmpdir, strerror(errno));
    free(c->tmpdir);
    free(c->disks);
    v2k_guest_free(c->guest);
    free(c);
}
