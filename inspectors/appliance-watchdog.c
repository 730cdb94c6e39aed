/* appliance-watchdog.c - see appliance-watchdog.h. */
#include "appliance-watchdog.h"
#include "error.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define WATCHDOG_KEY "v2k_watchdog"
#define TIMEOUT_MAX 86400u

struct watchdog {
    pthread_mutex_t lock;
    pthread_cond_t cond;            /* signalled on stop */
    pthread_t thread;
    bool thread_started;
    bool stop;
    bool fired;
    bool probe_fired;               /* fired because probe() said so */
    bool (*probe)(void *);          /* or NULL */
    void *probe_arg;                /* borrowed */
    bool launching;                 /* between launch and LAUNCH_DONE */
    unsigned bound;                 /* seconds */
    double last;                    /* monotonic time of the last progress */
    double waited;                  /* seconds without progress, when fired */
    unsigned killed;                /* qemu processes killed */
    char op[64];                    /* the libguestfs call last entered */
};

static double
mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SIGKILL this process's qemu-system-* / qemu-kvm children: the direct
 * backend forks the appliance's qemu itself.  /proc/PID/stat is
 * "PID (COMM) STATE PPID ..."; COMM may hold spaces and parentheses, so
 * the fields after it are read from the last ')'.  Returns the count. */
static unsigned
kill_appliance(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    pid_t self = getpid();
    unsigned n = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char path[64], buf[512], *lp, *rp, *end;
        long pid, ppid;
        FILE *f;
        size_t len;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        pid = strtol(e->d_name, NULL, 10);
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        if ((f = fopen(path, "re")) == NULL)
            continue;
        len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        lp = strchr(buf, '(');
        rp = strrchr(buf, ')');
        /* ") S PPID": skip ") ", the state letter and a space. */
        if (lp == NULL || rp == NULL || rp < lp || strlen(rp) < 5)
            continue;
        errno = 0;
        ppid = strtol(rp + 4, &end, 10);
        if (errno || end == rp + 4 || ppid != self)
            continue;
        *rp = '\0';
        if (strncmp(lp + 1, "qemu-system", 11) != 0 &&
            strcmp(lp + 1, "qemu-kvm") != 0)
            continue;
        if (kill((pid_t)pid, SIGKILL) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static void *
watchdog_thread(void *arg)
{
    struct watchdog *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        double now = mono_now(), deadline = w->last + w->bound;
        struct timespec ts;

        if (w->fired) {
            /* Once stopped, stays stopped: a qemu that launch starts
             * later (it may have been busy before qemu) goes too. */
            w->killed += kill_appliance();
            deadline = now + 1.0;
        } else if (now >= deadline) {
            w->waited = now - w->last;
            w->killed = kill_appliance();
            w->fired = true;
            continue;
        } else if (w->probe) {
            bool (*probe)(void *) = w->probe;
            void *arg = w->probe_arg;
            bool stop;

            pthread_mutex_unlock(&w->lock);
            stop = probe(arg);
            pthread_mutex_lock(&w->lock);
            if (stop && !w->stop && !w->fired) {
                w->waited = now - w->last;
                w->killed = kill_appliance();
                w->fired = w->probe_fired = true;
                continue;
            }
            if (now + 1.0 < deadline)
                deadline = now + 1.0;
        }
        ts.tv_sec = (time_t)deadline;
        ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_nsec = 999999999L;
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void
watchdog_free(struct watchdog *w)
{
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (w->thread_started)
        pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

/* Runs in the thread calling libguestfs (the handle's lock held). */
static void
on_event(guestfs_h *g, void *opaque, uint64_t event, int event_handle,
         int flags, const char *buf, size_t buf_len, const uint64_t *array,
         size_t array_len)
{
    struct watchdog *w = opaque;

    (void)event_handle;
    (void)flags;
    (void)array;
    (void)array_len;
    (void)g;
    if (event == GUESTFS_EVENT_CLOSE) {
        /* The handle goes (its private data with it): no call on it. */
        watchdog_free(w);
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->last = mono_now();
    if (event == GUESTFS_EVENT_LAUNCH_DONE)
        w->launching = false;
    /* launch enters other public calls (get_cachedir ...): they are
     * progress, but the operation running is still the launch. */
    if (event == GUESTFS_EVENT_ENTER && buf && !w->launching) {
        size_t n = buf_len < sizeof w->op - 1 ? buf_len : sizeof w->op - 1;
        memcpy(w->op, buf, n);
        w->op[n] = '\0';
        w->launching = strcmp(w->op, "launch") == 0;
        /* The bound starts with the appliance. */
        if (!w->thread_started && w->launching) {
            int err = pthread_create(&w->thread, NULL, watchdog_thread, w);
            if (err == 0)
                w->thread_started = true;
            else
                v2k_warning("appliance watchdog: cannot start its thread (%s): the appliance runs without a bound",
                            strerror(err));
        }
    }
    pthread_mutex_unlock(&w->lock);
}

/* V2K_APPLIANCE_TIMEOUT: seconds, 0 = no bound. */
static int
timeout_from_env(unsigned *out)
{
    const char *s = getenv("V2K_APPLIANCE_TIMEOUT");
    char *end;
    unsigned long v;

    *out = V2K_APPLIANCE_TIMEOUT_DEFAULT;
    if (s == NULL || *s == '\0')
        return 0;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || s[0] < '0' || s[0] > '9' || v > TIMEOUT_MAX) {
        v2k_error("V2K_APPLIANCE_TIMEOUT '%s': expected whole seconds from 0 (no bound) to %u",
                  s, TIMEOUT_MAX);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

int
v2k_watchdog_attach(guestfs_h *g)
{
    struct watchdog *w;
    pthread_condattr_t ca;
    unsigned bound;

    if (timeout_from_env(&bound) == -1)
        return -1;
    if (bound == 0) {
        v2k_debug("appliance watchdog: off (V2K_APPLIANCE_TIMEOUT=0)");
        return 0;
    }
    w = calloc(1, sizeof *w);
    if (w == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    w->bound = bound;
    w->last = mono_now();
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (guestfs_set_event_callback(g, on_event,
                                   GUESTFS_EVENT_ENTER |
                                       GUESTFS_EVENT_PROGRESS |
                                       GUESTFS_EVENT_LAUNCH_DONE |
                                       GUESTFS_EVENT_CLOSE,
                                   0, w) == -1) {
        v2k_error("appliance watchdog: %s", guestfs_last_error(g)
                                                ? guestfs_last_error(g)
                                                : "cannot register events");
        watchdog_free(w);
        return -1;
    }
    guestfs_set_private(g, WATCHDOG_KEY, w);
    v2k_debug("appliance watchdog: %u s without progress stops the appliance (V2K_APPLIANCE_TIMEOUT)", bound);
    return 0;
}

bool
v2k_watchdog_fired(guestfs_h *g)
{
    struct watchdog *w = guestfs_get_private(g, WATCHDOG_KEY);
    bool fired;

    if (w == NULL)
        return false;
    pthread_mutex_lock(&w->lock);
    fired = w->fired;
    pthread_mutex_unlock(&w->lock);
    return fired;
}

void
v2k_watchdog_set_probe(guestfs_h *g, bool (*fn)(void *arg), void *arg)
{
    struct watchdog *w = guestfs_get_private(g, WATCHDOG_KEY);

    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->probe = fn;
    w->probe_arg = arg;
    pthread_mutex_unlock(&w->lock);
}

bool
v2k_watchdog_probe_fired(guestfs_h *g)
{
    struct watchdog *w = guestfs_get_private(g, WATCHDOG_KEY);
    bool fired;

    if (w == NULL)
        return false;
    pthread_mutex_lock(&w->lock);
    fired = w->probe_fired;
    pthread_mutex_unlock(&w->lock);
    return fired;
}

void
v2k_watchdog_error(guestfs_h *g)
{
    struct watchdog *w = guestfs_get_private(g, WATCHDOG_KEY);

    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    v2k_error("appliance: the libguestfs call '%s' made no progress for %.0f s and the appliance was stopped (%s; V2K_APPLIANCE_TIMEOUT=%u sets this bound in seconds, 0 removes it)",
              w->op, w->waited,
              w->killed ? "its qemu killed"
                        : "no qemu child found to kill",
              w->bound);
    pthread_mutex_unlock(&w->lock);
}
