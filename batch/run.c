/* run.c - see run.h. */
#include "run.h"
#include "accel.h"
#include "error.h"
#include "json.h"
#include "jsonline.h"
#include "log.h"
#include "plan.h"
#include "slurm.h"
#include "state.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* What a --no-convert copy is counted as against memory_budget: no
 * appliance, only v2kvm's copy buffers (workers x chunks) and the page
 * cache it dirties. */
#define V2K_BATCH_COPY_BYTES (256ULL << 20)
#define V2K_BATCH_RETRY_DELAY 10        /* seconds, doubled per attempt */
#define V2K_BATCH_MAX_RETRY_DELAY 300
#define V2K_BATCH_GRACE 10              /* SIGTERM .. SIGKILL, seconds */
#define LINE_MAX_LEN 8192

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
    got_signal = sig;
}

enum stage { ST_PRE, ST_MAIN, ST_POST };

struct job {
    const struct v2k_plan_vm *vm;
    enum stage stage;
    pid_t pid;                  /* 0 = slot free */
    int fd;                     /* its stdout+stderr, -1 after EOF */
    int logfd;
    char buf[LINE_MAX_LEN];
    size_t len;
    bool exited;
    int status;
    double started, stage_started, deadline;
    bool timed_out;
    enum v2k_vm_phase phase;
    unsigned attempt;
    uint64_t cost;              /* against memory_budget */
    char label[64];
    uint64_t done_before, total_before, done, total;
    double bytes_saved, bytes_shown;
    char *error;                /* the last error v2kvm printed */
    /* --executor slurm: logfd is the log open for reading, from where
     * it ended at submission */
    char sjob[32];              /* its array's job id */
    unsigned task;              /* its index in the array */
    bool began;                 /* seen running (the state says so) */
    bool released;              /* its hold lifted (release_due) */
    unsigned long seq;          /* submission order: release order */
    double gone_since;          /* left squeue without a status file */
};

struct queued {
    const struct v2k_plan_vm *vm;
    double not_before;
};

struct runner {
    struct v2k_plan *p;
    struct v2k_state *st;
    int64_t run;
    char *v2kvm, *logdir;
    struct job *jobs;
    size_t slots;
    struct queued *q;
    size_t nq;
    uint64_t mem_budget;
    bool tty, machine;
    unsigned drawn;             /* lines of the TTY block on screen */
    double last_draw;
    size_t ndone, nfailed, nstarted, nfailed_before;
    double retry_delay, grace;
    /* --executor slurm */
    bool slurm;
    unsigned long submitted;    /* tasks submitted so far (job seq) */
    bool release_warned;
    char *slurmdir;             /* STATE.slurm: scripts, statuses, jobs */
    char **sjobs;               /* the arrays submitted, NULL-terminated */
    size_t nsjobs;
    unsigned narrays;
    double squeue_warned;       /* when squeue's last failure was shown */
    /* The accelerator probe (accel_start), while it runs: the helper
     * process, leader of its own group, and the pipe it answers on;
     * 0 and -1 otherwise.  Conversions wait for it, copies do not. */
    pid_t accel_pid;
    int accel_fd;
};

/* --- output ----------------------------------------------------------- */

static void
clear_block(struct runner *r)
{
    if (r->tty && r->drawn) {
        printf("\033[%uA\033[J", r->drawn);
        r->drawn = 0;
    }
}

/* One event: a plain line, or a JSON line {"type":"vm","event":E,...}. */
static void __attribute__((format(printf, 4, 5)))
event(struct runner *r, const struct job *j, const char *ev,
      const char *fmt, ...)
{
    char text[1024], esc[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (r->machine) {
        struct v2k_json *js = v2k_log_json_begin("vm");
        if (js == NULL)
            return;
        v2k_json_kv_string(js, "vm", j->vm->name);
        v2k_json_kv_string(js, "event", ev);
        v2k_json_kv_uint(js, "attempt", j->attempt);
        v2k_json_kv_string(js, "phase", v2k_vm_phase_to_string(j->phase));
        v2k_json_kv_uint(js, "bytes_copied", j->done_before + j->done);
        v2k_json_kv_uint(js, "bytes_total", j->total_before + j->total);
        v2k_json_kv_string(js, "message", text);
        v2k_log_json_end(js);
        return;
    }
    clear_block(r);
    printf("%s: %s\n", v2k_log_escape(j->vm->name, esc, sizeof esc), text);
    fflush(stdout);
}

static void
draw(struct runner *r, bool force)
{
    double now = v2k_now();
    size_t running = 0;
    char esc[256], h1[32], h2[32];

    if (!r->tty || (!force && now - r->last_draw < 0.5))
        return;
    r->last_draw = now;
    clear_block(r);
    for (size_t i = 0; i < r->slots; i++) {
        const struct job *j = &r->jobs[i];
        uint64_t d = j->done_before + j->done, t = j->total_before + j->total;

        if (j->pid == 0 && !j->began)
            continue;
        running++;
        printf("  %-24.24s %-11s %5.1f%%  %s / %s  %4.0f s\n",
               v2k_log_escape(j->vm->name, esc, sizeof esc),
               j->stage == ST_PRE ? "pre-hook" : j->stage == ST_POST
               ? "post-hook" : v2k_vm_phase_to_string(j->phase),
               t ? 100.0 * (double)d / (double)t : 0.0,
               v2k_human_size(d, h1, sizeof h1),
               v2k_human_size(t, h2, sizeof h2), now - j->started);
        r->drawn++;
    }
    printf("total: %zu running, %zu waiting, %zu done, %zu failed\n",
           running, r->nq, r->ndone, r->nfailed);
    r->drawn++;
    fflush(stdout);
}

/* --- files ------------------------------------------------------------ */

/* The same in the log directory. */
static char *
vm_file(const struct runner *r, const char *name, const char *suffix)
{
    return v2k_state_vm_file(r->logdir, name, suffix);
}

/* Field 22 of /proc/PID/stat, the start time in clock ticks since boot:
 * with the pid it names one process, whatever pids are reused. */
static unsigned long long
proc_start(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long t = 0;
    FILE *fp;
    char *p;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    fp = fopen(path, "re");
    if (fp == NULL)
        return 0;
    if (fgets(buf, sizeof buf, fp) && (p = strrchr(buf, ')')) != NULL) {
        /* After ") ": state is field 3, starttime field 22. */
        int field = 2;
        for (p++; *p && field < 22; p++)
            if (*p == ' ')
                field++;
        if (field == 22)
            t = strtoull(p, NULL, 10);
    }
    fclose(fp);
    return t;
}

static bool
proc_alive(pid_t pid, unsigned long long start)
{
    char path[64], buf[1024];
    FILE *fp;
    char *p;
    bool alive = false;

    if (proc_start(pid) != start)
        return false;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    fp = fopen(path, "re");
    if (fp == NULL)
        return false;
    if (fgets(buf, sizeof buf, fp) && (p = strrchr(buf, ')')) != NULL)
        alive = p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
    fclose(fp);
    return alive;
}

/* The children of a coordinator killed with SIGKILL live on (own
 * process groups): each child's pid and start time are in VM.pid while
 * it runs.  Any such process still alive when we hold the state's lock
 * is an orphan: its group gets SIGTERM, then SIGKILL after the grace. */
static void
kill_orphans(struct runner *r)
{
    DIR *d = opendir(r->logdir);
    struct dirent *de;

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        char *path;
        FILE *fp;
        int pid = 0;
        unsigned long long start = 0;
        char line[64];

        if (n < 5 || strcmp(de->d_name + n - 4, ".pid") != 0)
            continue;
        path = v2k_asprintf("%s/%s", r->logdir, de->d_name);
        if (path == NULL)
            break;
        fp = fopen(path, "re");
        if (fp && fgets(line, sizeof line, fp)) {
            char *end;
            pid = (int)strtol(line, &end, 10);
            start = strtoull(end, NULL, 10);
        }
        if (pid > 1 && start && proc_alive(pid, start)) {
            v2k_msg("stopping process group %d left by a killed coordinator (%s)",
                    pid, de->d_name);
            kill(-pid, SIGTERM);
            kill(-pid, SIGCONT);
            for (int i = 0; i < (int)(r->grace * 10) && kill(-pid, 0) == 0;
                 i++)
                usleep(100000);
            kill(-pid, SIGKILL);
            for (int i = 0; i < 50 && proc_alive(pid, start); i++)
                usleep(100000);
        }
        if (fp)
            fclose(fp);
        unlink(path);
        free(path);
    }
    closedir(d);
}

/* Whether REST, what follows a VM's output name in a file name, is one
 * of v2kvm's -o local / -o qemu outputs (converters/outputs/files.c):
 * ".xml", ".sh" or "-sdX" (X: letters), then SUFFIX ("" for the final
 * files, ".part" for the temporary ones). */
static bool
output_rest(const char *rest, const char *suffix)
{
    const char *c;

    if (strncmp(rest, ".xml", 4) == 0)
        return strcmp(rest + 4, suffix) == 0;
    if (strncmp(rest, ".sh", 3) == 0)
        return strcmp(rest + 3, suffix) == 0;
    if (strncmp(rest, "-sd", 3) != 0)
        return false;
    for (c = rest + 3; *c >= 'a' && *c <= 'z'; c++)
        ;
    return c > rest + 3 && strcmp(c, suffix) == 0;
}

/* Calls fn(st, vm, PATH) for each file of vm's outputs in its target's
 * directory: the temporary ones (DIR/.NAME-sdX.part, .NAME.xml.part,
 * .NAME.sh.part) when partial, else the final ones (DIR/NAME-sdX,
 * NAME.xml, NAME.sh).  libvirt targets' volumes are in a pool: none. */
static void
each_output(struct v2k_state *st, const struct v2k_plan_vm *vm, bool partial,
            void (*fn)(struct v2k_state *, const struct v2k_plan_vm *,
                       const char *))
{
    const char *name = vm->target_name ? vm->target_name : vm->name;
    const char *dir = vm->target->storage;
    size_t nl = strlen(name);
    DIR *d;
    struct dirent *de;

    if (vm->target->kind == V2K_PLAN_TGT_LIBVIRT || dir == NULL ||
        (d = opendir(dir)) == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        const char *s = de->d_name;

        if (partial && *s++ != '.')
            continue;
        if (strncmp(s, name, nl) == 0 &&
            output_rest(s + nl, partial ? ".part" : "")) {
            char *path = v2k_asprintf("%s/%s", dir, de->d_name);
            if (path)
                fn(st, vm, path);
            free(path);
        }
    }
    closedir(d);
}

static void
remove_partial(struct v2k_state *st, const struct v2k_plan_vm *vm,
               const char *path)
{
    (void)st;
    if (unlink(path) == 0)
        v2k_msg("%s: removed %s, left by an unfinished attempt", vm->name,
                path);
}

static void
record_output(struct v2k_state *st, const struct v2k_plan_vm *vm,
              const char *path)
{
    if (v2k_state_add_output(st, vm->name, path) == -1)
        v2k_log_error(v2k_error_message());
}

/* v2kvm writes -o local and -o qemu outputs under temporary names and
 * renames them at the end: remove this VM's leftovers only. */
static void
remove_partials(const struct v2k_plan_vm *vm)
{
    each_output(NULL, vm, true, remove_partial);
}

/* After a successful attempt: its final files into the state's outputs. */
static void
record_outputs(struct v2k_state *st, const struct v2k_plan_vm *vm)
{
    each_output(st, vm, false, record_output);
}

/* --- children --------------------------------------------------------- */

static pid_t
spawn(char *const argv[], int outfd)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, def;
    pid_t pid = -1;
    int e;

    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGPIPE);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outfd, 1);
    posix_spawn_file_actions_adddup2(&fa, outfd, 2);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    e = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (e != 0) {
        errno = e;
        v2k_error("%s: cannot run it: %m", argv[0]);
        return -1;
    }
    return pid;
}

/* Start stage st of job j: v2kvm, or a hook (its environment names the
 * VM, the plan and the hook). */
static int
start_stage(struct runner *r, struct job *j, enum stage st)
{
    const struct v2k_plan_hook *h = st == ST_PRE ? &j->vm->pre : &j->vm->post;
    char **argv = NULL;
    int pfd[2];
    pid_t pid;
    char *pidpath;
    char line[512];
    size_t n = 0;

    if (st == ST_MAIN) {
        argv = v2k_plan_vm_argv(r->p, j->vm, r->v2kvm);
    } else {
        while (h->args && h->args[n])
            n++;
        argv = v2k_calloc(n + 2, sizeof *argv);
        if (argv) {
            argv[0] = v2k_strdup(h->program);
            for (size_t i = 0; i < n; i++)
                argv[i + 1] = v2k_strdup(h->args[i]);
        }
    }
    if (argv == NULL || pipe2(pfd, O_CLOEXEC) == -1) {
        v2k_strv_free(argv);
        return -1;
    }
    snprintf(line, sizeof line, "=== %s, attempt %u, run %lld ===\n",
             st == ST_PRE ? "pre hook" : st == ST_POST ? "post hook" : "v2kvm",
             j->attempt, (long long)r->run);
    if (write(j->logfd, line, strlen(line)) < 0) {
        /* the log is best effort */
    }
    setenv("V2KVM_BATCH_VM", j->vm->name, 1);
    setenv("V2KVM_BATCH_PLAN", r->p->path, 1);
    setenv("V2KVM_BATCH_HOOK", st == ST_PRE ? "pre" : st == ST_POST ? "post"
                                                     : "", 1);
    pid = spawn(argv, pfd[1]);
    unsetenv("V2KVM_BATCH_HOOK");
    close(pfd[1]);
    v2k_strv_free(argv);
    if (pid == -1) {
        close(pfd[0]);
        return -1;
    }
    j->pid = pid;
    j->fd = pfd[0];
    j->stage = st;
    j->exited = false;
    j->timed_out = false;
    j->len = 0;
    j->stage_started = v2k_now();
    j->deadline = st == ST_MAIN ? 0 : j->stage_started + h->timeout;
    pidpath = vm_file(r, j->vm->name, ".pid");
    if (pidpath) {
        FILE *fp = fopen(pidpath, "we");
        if (fp) {
            fprintf(fp, "%d %llu\n", (int)pid, proc_start(pid));
            fclose(fp);
        }
        free(pidpath);
    }
    return 0;
}

/* --- v2kvm's JSON lines ------------------------------------------------ */

static void
move_to(struct runner *r, struct job *j, enum v2k_vm_phase to)
{
    /* Forward only, through the phases between (running -> converting
     * -> copying -> done; --no-convert skips converting). */
    while (j->phase != to) {
        enum v2k_vm_phase next;

        if (j->phase == V2K_PHASE_RUNNING)
            next = to == V2K_PHASE_CONVERTING || !j->vm->no_convert
                   ? V2K_PHASE_CONVERTING : V2K_PHASE_COPYING;
        else if (j->phase == V2K_PHASE_CONVERTING)
            next = V2K_PHASE_COPYING;
        else if (j->phase == V2K_PHASE_COPYING)
            next = V2K_PHASE_DONE;
        else
            return;
        if (v2k_state_transition(r->st, j->vm->name, next, r->run) == -1) {
            v2k_log_error(v2k_error_message());
            return;
        }
        j->phase = next;
        if (next != V2K_PHASE_DONE)
            event(r, j, "phase", "%s", v2k_vm_phase_to_string(next));
    }
}

static void
save_bytes(struct runner *r, struct job *j, bool force)
{
    double now = v2k_now();

    if (!force && now - j->bytes_saved < 1)
        return;
    j->bytes_saved = now;
    if (v2k_state_set_bytes(r->st, j->vm->name, j->done_before + j->done,
                            j->total_before + j->total) == -1)
        v2k_log_error(v2k_error_message());
    if (r->machine && (force || now - j->bytes_shown >= 1)) {
        j->bytes_shown = now;
        event(r, j, "progress", "%s", j->label);
    }
}

static void
handle_line(struct runner *r, struct job *j, const char *line)
{
    char type[32], v[1024];

    if (j->stage != ST_MAIN)
        return;
    if (line[0] != '{' ||
        !v2k_jsonline_str(line, "type", type, sizeof type)) {
        /* Not a JSON line (a helper's output): a fallback message. */
        if (j->error == NULL && strstr(line, "error") != NULL)
            j->error = v2k_strdup(line);
        return;
    }
    if (strcmp(type, "progress") == 0) {
        double done, total;

        if (!v2k_jsonline_num(line, "done", &done) ||
            !v2k_jsonline_num(line, "total", &total) ||
            !(done >= 0 && done < 0x1p64 && total >= 0 && total < 0x1p64))
            return;
        if (!v2k_jsonline_str(line, "label", v, sizeof v))
            v[0] = '\0';
        if (strcmp(v, j->label) != 0) {
            /* The next disk: the one before is complete. */
            j->done_before += j->total;
            j->total_before += j->total;
            snprintf(j->label, sizeof j->label, "%s", v);
        }
        j->done = (uint64_t)done;
        j->total = (uint64_t)total;
        move_to(r, j, V2K_PHASE_COPYING);
        save_bytes(r, j, false);
    } else if (strcmp(type, "phase") == 0) {
        if (v2k_jsonline_str(line, "phase", v, sizeof v) &&
            strcmp(v, "source") == 0 && !j->vm->no_convert)
            move_to(r, j, V2K_PHASE_CONVERTING);
    } else if (strcmp(type, "error") == 0) {
        if (v2k_jsonline_str(line, "message", v, sizeof v)) {
            free(j->error);
            j->error = v2k_strdup(v);
        }
    } else if (strcmp(type, "warning") == 0) {
        if (v2k_jsonline_str(line, "message", v, sizeof v) &&
            v2k_state_add_warning(r->st, j->vm->name, v) == -1)
            v2k_log_error(v2k_error_message());
    } else if (strcmp(type, "result") == 0) {
        /* OS, firmware, disk sizes: the report's facts. */
        if (v2k_state_record_result(r->st, j->vm->name, line) == -1)
            v2k_log_error(v2k_error_message());
    }
}

/* n more bytes of what v2kvm (or a hook) of j wrote, line by line into
 * handle_line; a partial line waits in j->buf for the rest.  Both
 * executors call it: the local one with what it reads from the child's
 * pipe, the Slurm one with what the task appended to its log. */
static void
follow_output(struct runner *r, struct job *j, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || j->len == sizeof j->buf - 1) {
            j->buf[j->len] = '\0';
            handle_line(r, j, j->buf);
            j->len = 0;
            if (buf[i] == '\n')
                continue;
        }
        j->buf[j->len++] = buf[i];
    }
}

/* The last line of j's output, without its newline. */
static void
follow_end(struct runner *r, struct job *j)
{
    if (j->len) {
        j->buf[j->len] = '\0';
        handle_line(r, j, j->buf);
        j->len = 0;
    }
}

/* Read what the child wrote: into its log and follow_output.  1 read
 * something, 0 EOF (or error), -1 nothing now. */
static int
read_child(struct runner *r, struct job *j)
{
    char buf[4096];
    ssize_t n = read(j->fd, buf, sizeof buf);

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return -1;
    if (n <= 0)
        return 0;
    if (write(j->logfd, buf, (size_t)n) < 0) {
        /* the log is best effort */
    }
    follow_output(r, j, buf, (size_t)n);
    return 1;
}

/* After the child exited: what is in the pipe now, then no more
 * (grandchildren keeping it open must not hold the VM). */
static void
drain_child(struct runner *r, struct job *j)
{
    int k;

    if (j->fd < 0)
        return;
    fcntl(j->fd, F_SETFL, O_NONBLOCK);
    while ((k = read_child(r, j)) == 1)
        ;
    follow_end(r, j);
    close(j->fd);
    j->fd = -1;
}

/* --- outcomes --------------------------------------------------------- */

/* Transient: network trouble, v2kvm killed by a signal nobody here sent
 * (the OOM killer), or stopped by one (v2kvm exits 128 + N after
 * cleaning up: "interrupted by signal N"); everything else is
 * permanent. */
static const char *const transient_words[] = {
    "Connection refused", "Connection reset", "Connection timed out",
    "timed out", "Timeout", "Network is unreachable", "No route to host",
    "Host is unreachable", "Temporary failure in name resolution",
    "Broken pipe", "Software caused connection abort",
    "connection closed", "Connection closed", "Resource temporarily unavailable",
    "HTTP 502", "HTTP 503", "HTTP 504", "Too many connections",
};

static enum v2k_error_class
classify(const struct job *j, const char *msg)
{
    if (WIFSIGNALED(j->status) ||
        (WIFEXITED(j->status) && WEXITSTATUS(j->status) > 128))
        return V2K_ERRCLASS_TRANSIENT;
    for (size_t i = 0; i < sizeof transient_words / sizeof *transient_words;
         i++)
        if (strstr(msg, transient_words[i]))
            return V2K_ERRCLASS_TRANSIENT;
    return V2K_ERRCLASS_PERMANENT;
}

static void
close_job(struct runner *r, struct job *j)
{
    char *pidpath = vm_file(r, j->vm->name, ".pid");

    if (pidpath) {
        unlink(pidpath);
        free(pidpath);
    }
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
    j->pid = 0;
}

static void
release_job(struct job *j)
{
    if (j->logfd >= 0)
        close(j->logfd);
    free(j->error);
    memset(j, 0, sizeof *j);
    j->fd = j->logfd = -1;
}

static void
queue_push(struct runner *r, const struct v2k_plan_vm *vm, double not_before)
{
    r->q[r->nq].vm = vm;
    r->q[r->nq].not_before = not_before;
    r->nq++;
}

static void
job_failed(struct runner *r, struct job *j, enum v2k_error_class cls,
           const char *msg)
{
    struct v2k_state_vm sv;

    if (v2k_state_fail(r->st, j->vm->name, cls, msg) == -1)
        v2k_log_error(v2k_error_message());
    j->phase = V2K_PHASE_FAILED;
    event(r, j, "failed", "failed (%s): %s", v2k_error_class_to_string(cls),
          msg);
    if (cls == V2K_ERRCLASS_TRANSIENT &&
        v2k_state_get(r->st, j->vm->name, &sv) == 0) {
        if (sv.attempts < 1 + r->p->limits.transient_retries) {
            double d = r->retry_delay;
            for (unsigned i = 1; i < sv.attempts && d < V2K_BATCH_MAX_RETRY_DELAY;
                 i++)
                d *= 2;
            if (d > V2K_BATCH_MAX_RETRY_DELAY)
                d = V2K_BATCH_MAX_RETRY_DELAY;
            event(r, j, "retry", "transient error: retrying in %.0f s (attempt %u of %u)",
                  d, sv.attempts + 1, 1 + r->p->limits.transient_retries);
            queue_push(r, j->vm, v2k_now() + d);
            v2k_state_vm_clear(&sv);
            return;
        }
        v2k_state_vm_clear(&sv);
    }
    r->nfailed++;
}

static void
status_text(const struct job *j, char *out, size_t len)
{
    if (j->timed_out)
        snprintf(out, len, "timed out after %u s, killed",
                 (j->stage == ST_PRE ? &j->vm->pre : &j->vm->post)->timeout);
    else if (WIFSIGNALED(j->status))
        snprintf(out, len, "killed by signal %d", WTERMSIG(j->status));
    else
        snprintf(out, len, "exited with status %d", WEXITSTATUS(j->status));
}

/* The child of j is gone and its output read: on to the next stage or
 * an outcome. */
static void
stage_done(struct runner *r, struct job *j)
{
    bool ok = !j->timed_out && WIFEXITED(j->status) &&
              WEXITSTATUS(j->status) == 0;
    char st[96], msg[1200];

    close_job(r, j);
    status_text(j, st, sizeof st);
    switch (j->stage) {
    case ST_PRE:
        if (ok) {
            if (start_stage(r, j, ST_MAIN) == 0)
                return;
            snprintf(msg, sizeof msg, "%s", v2k_error_message());
        } else {
            snprintf(msg, sizeof msg, "pre hook %s %s", j->vm->pre.program, st);
        }
        job_failed(r, j, V2K_ERRCLASS_PERMANENT, msg);
        break;
    case ST_MAIN:
        if (!ok) {
            snprintf(msg, sizeof msg, "%s", j->error ? j->error : st);
            job_failed(r, j, classify(j, msg), msg);
            break;
        }
        save_bytes(r, j, true);
        /* With Slurm the task ran the post hook itself (write_script). */
        if (j->vm->post.program && !r->slurm) {
            if (start_stage(r, j, ST_POST) == 0)
                return;
            v2k_state_add_warning(r->st, j->vm->name, v2k_error_message());
        }
        goto done;
    case ST_POST:
        if (!ok) {
            snprintf(msg, sizeof msg, "post hook %s %s", j->vm->post.program,
                     st);
            if (v2k_state_add_warning(r->st, j->vm->name, msg) == -1)
                v2k_log_error(v2k_error_message());
            event(r, j, "warning", "%s", msg);
        }
        goto done;
    }
    release_job(j);
    return;

done:
    record_outputs(r->st, j->vm);
    move_to(r, j, V2K_PHASE_DONE);
    r->ndone++;
    event(r, j, "done", "done in %.0f s", v2k_now() - j->started);
    release_job(j);
}

/* --- the accelerator, probed once ------------------------------------ */

/* V2K_ACCEL set by the user (or by share_accel before): no probe. */
static bool
accel_given(void)
{
    const char *env = getenv("V2K_ACCEL");

    return env && *env;
}

/* Export the probe's outcome to the v2kvm children and say it. */
static void
accel_export(const char *name, const char *reason)
{
    setenv("V2K_ACCEL", name, 1);
    v2k_msg("Accelerator for every VM's appliance: %s (%s; probed once, passed on as V2K_ACCEL)",
            name, reason);
}

/* v2k_batch_share_accel() without holding up the copies: the probe runs
 * in a helper process (its qemu may hang for the whole probe timeout)
 * that writes "kvm|tcg REASON" on a pipe; the conversions wait for its
 * answer (accel_poll), the copies start meanwhile.  A helper, not a
 * thread: poll_children's waitpid(-1) would reap a thread's qemu.
 * Nothing to do when V2K_ACCEL is set. */
static void
accel_start(struct runner *r)
{
    int pfd[2];
    pid_t pid;

    if (accel_given() || pipe2(pfd, O_CLOEXEC) == -1)
        return;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == -1) {
        close(pfd[0]);
        close(pfd[1]);
        return;                 /* each v2kvm probes for itself */
    }
    if (pid == 0) {
        char line[512];
        enum v2k_accel a;
        int len;

        setpgid(0, 0);
        close(pfd[0]);
        a = v2k_accel_get();
        len = snprintf(line, sizeof line, "%s %s", v2k_accel_name(a),
                       v2k_accel_reason());
        if (write(pfd[1], line, len < (int)sizeof line ? (size_t)len
                                                        : sizeof line - 1) < 0)
            _exit(1);
        _exit(0);
    }
    setpgid(pid, pid);
    close(pfd[1]);
    r->accel_pid = pid;
    r->accel_fd = pfd[0];
}

/* The helper is done with: its pipe closed, and the helper waited for
 * (at most the probe's timeout) unless poll_children's waitpid(-1) has
 * reaped it already, which clears accel_pid: a pid not reaped is not
 * reused, so the wait by pid cannot meet another child. */
static void
accel_end(struct runner *r)
{
    close(r->accel_fd);
    r->accel_fd = -1;
    if (r->accel_pid > 0)
        while (waitpid(r->accel_pid, NULL, 0) == -1 && errno == EINTR)
            ;
    r->accel_pid = 0;
}

/* The probe's answer, once it has come (or the helper is gone): export
 * V2K_ACCEL for the v2kvm children and say which, or, without an answer,
 * warn and let each v2kvm probe. */
static void
accel_poll(struct runner *r)
{
    struct pollfd pf = { .fd = r->accel_fd, .events = POLLIN };
    char line[512];
    ssize_t n;

    if (r->accel_fd == -1 || poll(&pf, 1, 0) <= 0)
        return;
    do
        n = read(r->accel_fd, line, sizeof line - 1);
    while (n == -1 && errno == EINTR);
    accel_end(r);
    line[n > 0 ? n : 0] = '\0';
    clear_block(r);
    if ((strncmp(line, "kvm ", 4) == 0 || strncmp(line, "tcg ", 4) == 0)) {
        line[3] = '\0';
        accel_export(line, line + 4);
    } else {
        v2k_warning("the accelerator probe gave no answer: each v2kvm probes for itself");
    }
}

/* --- scheduling ------------------------------------------------------- */

static uint64_t
vm_cost(const struct v2k_plan_vm *vm)
{
    return vm->no_convert ? V2K_BATCH_COPY_BYTES : V2K_PLAN_APPLIANCE_BYTES;
}

/* 1 fits, 0 not now, -1 not now and it must run alone: nothing after it
 * in the queue may start before it. */
static int
fits(struct runner *r, const struct v2k_plan_vm *vm)
{
    uint64_t mem = 0, cost = vm_cost(vm);
    unsigned host = 0, budget = r->p->limits.per_source_host_disks;
    size_t running = 0;

    for (size_t i = 0; i < r->slots; i++) {
        const struct job *j = &r->jobs[i];
        if (j->vm == NULL)
            continue;
        running++;
        mem += j->cost;
        if (strcmp(j->vm->source->host, vm->source->host) == 0)
            host += j->vm->disks;
    }
    if (running >= r->p->limits.max_in_flight)
        return 0;
    if (cost > r->mem_budget || vm->disks > budget) {
        /* Bigger than a whole budget: alone (on its host, or at all). */
        if ((cost > r->mem_budget && running > 0) ||
            (vm->disks > budget && host > 0))
            return -1;
        return 1;
    }
    if (mem + cost > r->mem_budget || host + vm->disks > budget)
        return 0;
    return 1;
}

static void
start_vm(struct runner *r, struct job *j, const struct v2k_plan_vm *vm)
{
    struct v2k_state_vm sv;
    char *logpath;

    memset(j, 0, sizeof *j);
    j->fd = j->logfd = -1;
    j->vm = vm;
    j->cost = vm_cost(vm);
    j->started = v2k_now();
    clear_block(r);             /* it may print (v2k_msg) */
    remove_partials(vm);
    if (v2k_state_transition(r->st, vm->name, V2K_PHASE_RUNNING, r->run) == -1) {
        v2k_log_error(v2k_error_message());
        j->vm = NULL;
        r->nfailed++;
        return;
    }
    j->phase = V2K_PHASE_RUNNING;
    if (v2k_state_get(r->st, vm->name, &sv) == 0) {
        j->attempt = sv.attempts;
        v2k_state_vm_clear(&sv);
    }
    r->nstarted++;
    if (vm_cost(vm) > r->mem_budget)
        event(r, j, "note", "needs more memory than memory_budget: runs alone");
    if (vm->disks > r->p->limits.per_source_host_disks)
        event(r, j, "note", "has more disks (%u) than per_source_host_disks: runs alone on host %s",
              vm->disks, vm->source->host);
    logpath = vm_file(r, vm->name, ".log");
    if (logpath)
        j->logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                        0600);
    if (j->logfd == -1) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: cannot open the log: %s",
                 logpath ? logpath : r->logdir, strerror(errno));
        free(logpath);
        job_failed(r, j, V2K_ERRCLASS_PERMANENT, msg);
        release_job(j);
        return;
    }
    event(r, j, "start", "started (attempt %u), log %s", j->attempt, logpath);
    free(logpath);
    if (start_stage(r, j, vm->pre.program ? ST_PRE : ST_MAIN) == -1) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", v2k_error_message());
        job_failed(r, j, V2K_ERRCLASS_PERMANENT, msg);
        release_job(j);
    }
}

static void
schedule(struct runner *r)
{
    double now = v2k_now();

    for (size_t i = 0; i < r->nq;) {
        int f;
        size_t slot = r->slots;

        if (got_signal)
            return;
        if (r->q[i].not_before > now ||
            (r->accel_fd != -1 && !r->q[i].vm->no_convert)) {
            i++;
            continue;
        }
        f = fits(r, r->q[i].vm);
        if (f == -1)
            return;
        if (f == 0) {
            i++;
            continue;
        }
        for (size_t s = 0; s < r->slots; s++)
            if (r->jobs[s].vm == NULL) {
                slot = s;
                break;
            }
        if (slot == r->slots)
            return;
        {
            const struct v2k_plan_vm *vm = r->q[i].vm;
            memmove(&r->q[i], &r->q[i + 1], (r->nq - i - 1) * sizeof *r->q);
            r->nq--;
            start_vm(r, &r->jobs[slot], vm);
        }
    }
}

static size_t
nrunning(const struct runner *r)
{
    size_t n = 0;

    for (size_t i = 0; i < r->slots; i++)
        n += r->jobs[i].vm != NULL;
    return n;
}

/* One turn: wait up to 250 ms for output, read it, reap children, kill
 * hooks past their timeout. */
static void
poll_children(struct runner *r)
{
    struct pollfd pf[r->slots ? r->slots : 1];
    size_t idx[r->slots ? r->slots : 1], n = 0;
    double now;
    int status;
    pid_t pid;

    for (size_t i = 0; i < r->slots; i++)
        if (r->jobs[i].pid && r->jobs[i].fd >= 0) {
            pf[n].fd = r->jobs[i].fd;
            pf[n].events = POLLIN;
            idx[n++] = i;
        }
    if (poll(pf, n, 250) > 0)
        for (size_t k = 0; k < n; k++)
            if (pf[k].revents && read_child(r, &r->jobs[idx[k]]) == 0) {
                close(r->jobs[idx[k]].fd);
                r->jobs[idx[k]].fd = -1;
            }
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == r->accel_pid)
            r->accel_pid = 0;       /* the probe's helper (accel_end) */
        for (size_t i = 0; i < r->slots; i++)
            if (r->jobs[i].pid == pid) {
                r->jobs[i].exited = true;
                r->jobs[i].status = status;
                drain_child(r, &r->jobs[i]);
            }
    }
    now = v2k_now();
    for (size_t i = 0; i < r->slots; i++) {
        struct job *j = &r->jobs[i];
        if (j->pid == 0)
            continue;
        if (j->exited) {
            stage_done(r, j);
        } else if (j->deadline && now > j->deadline && !j->timed_out) {
            j->timed_out = true;
            kill(-j->pid, SIGKILL);
        }
    }
}

/* SIGINT/SIGTERM: SIGTERM to every child's process group, SIGKILL
 * after the grace, each VM in flight recorded interrupted. */
static void
stop_all(struct runner *r)
{
    double end = v2k_now() + r->grace;

    clear_block(r);
    v2k_msg("signal %d: stopping %zu conversion%s", (int)got_signal,
            nrunning(r), nrunning(r) == 1 ? "" : "s");
    /* SIGCONT too: a stopped child handles its SIGTERM (removes its
     * temporary files) only once it runs. */
    for (size_t i = 0; i < r->slots; i++)
        if (r->jobs[i].pid) {
            kill(-r->jobs[i].pid, SIGTERM);
            kill(-r->jobs[i].pid, SIGCONT);
        }
    /* Until every group is gone (leaders and what they started), at
     * most the grace; then SIGKILL to the groups. */
    for (;;) {
        bool any = false;
        for (size_t i = 0; i < r->slots; i++) {
            struct job *j = &r->jobs[i];
            if (j->pid == 0)
                continue;
            if (!j->exited && waitpid(j->pid, &j->status, WNOHANG) == j->pid)
                j->exited = true;
            if (!j->exited || kill(-j->pid, 0) == 0)
                any = true;
        }
        if (!any)
            break;
        if (v2k_now() > end) {
            for (size_t i = 0; i < r->slots; i++)
                if (r->jobs[i].pid) {
                    kill(-r->jobs[i].pid, SIGKILL);
                    if (!r->jobs[i].exited)
                        waitpid(r->jobs[i].pid, &r->jobs[i].status, 0);
                    r->jobs[i].exited = true;
                }
            break;
        }
        usleep(50000);
    }
    for (size_t i = 0; i < r->slots; i++) {
        struct job *j = &r->jobs[i];
        if (j->vm == NULL)
            continue;
        drain_child(r, j);
        close_job(r, j);
        if (v2k_state_transition(r->st, j->vm->name, V2K_PHASE_INTERRUPTED,
                                 r->run) == -1)
            v2k_log_error(v2k_error_message());
        j->phase = V2K_PHASE_INTERRUPTED;
        event(r, j, "interrupted", "interrupted by signal %d", (int)got_signal);
        release_job(j);
    }
}

/* --- the Slurm executor ----------------------------------------------- */

/* Memory a task asks Slurm for (--mem, MiB): what vm_cost() counts
 * against memory_budget here. */
static unsigned long long
vm_mem_mib(const struct v2k_plan_vm *vm)
{
    return vm_cost(vm) >> 20;
}

/* The license of vm's source host, "v2k_HOST" (characters Slurm does
 * not take in a name as '_'), and how many of it a task takes: its
 * disks, at most the whole per-host budget (then it runs alone on its
 * host, as with the local executor). */
static void
vm_license(const struct runner *r, const struct v2k_plan_vm *vm, char *name,
           size_t len, unsigned *count)
{
    snprintf(name, len, "v2k_%s", vm->source->host);
    for (char *c = name + 4; *c; c++)
        if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
            !(*c >= '0' && *c <= '9') && *c != '_' && *c != '.' && *c != '-')
            *c = '_';
    *count = vm->disks < r->p->limits.per_source_host_disks
             ? vm->disks : r->p->limits.per_source_host_disks;
}

/* s as one shell word: in single quotes, each ' as '\''. */
static void
put_quoted(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", fp);
        else
            fputc(*s, fp);
    fputc('\'', fp);
}

/* s JSON-escaped without its quotes, as one shell word (a hook's program
 * in the JSON lines the task script writes). */
static int
put_json_quoted(FILE *fp, const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    if (m == NULL)
        return -1;
    v2k_json_write_escaped(m, s);
    if (fclose(m) != 0 || len < 2) {
        free(buf);
        return -1;
    }
    buf[len - 1] = '\0';                        /* the closing quote */
    put_quoted(fp, buf + 1);                    /* after the opening one */
    free(buf);
    return 0;
}

/* Hook h of a VM as the shell function NAME in the task script, with its
 * timeout (timeout(1): TERM, KILL 5 s later) in NAME_to and, with json
 * (the post hook's warning line), its program JSON-escaped in
 * NAME_json. */
static int
put_hook(FILE *fp, const char *name, const struct v2k_plan_hook *h, bool json)
{
    if (h->program == NULL)
        return 0;
    fprintf(fp, "    %s_to=%u\n", name, h->timeout);
    if (json) {
        fprintf(fp, "    %s_json=", name);
        if (put_json_quoted(fp, h->program) == -1)
            return -1;
        fputc('\n', fp);
    }
    fprintf(fp, "    %s() { timeout -k 5 %u ", name, h->timeout);
    put_quoted(fp, h->program);
    for (size_t k = 0; h->args && h->args[k]; k++) {
        fputc(' ', fp);
        put_quoted(fp, h->args[k]);
    }
    fprintf(fp, "; }\n");
    return 0;
}

/* The batch script of one array: task i runs vms[i]'s v2kvm argv, its
 * output appended to the VM's log, and writes its exit status to
 * STATE.slurm/VM.status (scancel kills the shell first: no status is
 * "cancelled"; and with AccountingStorageType=none sacct knows
 * nothing).  The VM's hooks run on the node around v2kvm, as the local
 * executor runs them: a pre hook that fails or times out writes
 * "pre STATUS" instead, and v2kvm does not run (slurm_status ends the
 * attempt as the local pre stage ends); a post hook's failure is a
 * warning line in the log, as v2kvm writes them. */
static int
write_script(const struct runner *r, const char *path,
             const struct v2k_plan_vm *const *vms, size_t n)
{
    FILE *fp;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);

    if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
        v2k_error("%s: %s", path, strerror(errno));
        if (fd != -1)
            close(fd);
        return -1;
    }
    fprintf(fp, "#!/bin/sh\n"
            "# Written by v2kvm-batch run --executor slurm: array task I runs\n"
            "# the v2kvm command of the I-th VM below (v2kvm-batch(1), SLURM).\n"
            "pre_to= post_to=\n"
            "case \"$SLURM_ARRAY_TASK_ID\" in\n");
    for (size_t i = 0; i < n; i++) {
        char **argv = v2k_plan_vm_argv(r->p, vms[i], r->v2kvm);
        char *log = vm_file(r, vms[i]->name, ".log");
        char *st = v2k_state_vm_file(r->slurmdir, vms[i]->name, ".status");

        if (argv == NULL || log == NULL || st == NULL) {
            v2k_strv_free(argv);
            free(log);
            free(st);
            fclose(fp);
            return -1;
        }
        fprintf(fp, "%zu)\n    vm=", i);
        put_quoted(fp, vms[i]->name);
        fprintf(fp, "\n    log=");
        put_quoted(fp, log);
        fprintf(fp, "\n    status=");
        put_quoted(fp, st);
        fprintf(fp, "\n");
        if (put_hook(fp, "pre", &vms[i]->pre, false) == -1 ||
            put_hook(fp, "post", &vms[i]->post, true) == -1) {
            v2k_strv_free(argv);
            free(log);
            free(st);
            fclose(fp);
            v2k_error("out of memory");
            return -1;
        }
        fprintf(fp, "    set --");
        for (size_t k = 0; argv[k]; k++) {
            fputc(' ', fp);
            put_quoted(fp, argv[k]);
        }
        fprintf(fp, "\n    ;;\n");
        v2k_strv_free(argv);
        free(log);
        free(st);
    }
    fprintf(fp, "*)\n    echo \"v2kvm-batch: array task $SLURM_ARRAY_TASK_ID has no VM\" >&2\n"
            "    exit 2\n    ;;\nesac\n"
            "export V2KVM_BATCH_VM=\"$vm\" V2KVM_BATCH_HOOK=\n"
            "export V2KVM_BATCH_PLAN=");
    put_quoted(fp, r->p->path);
    fprintf(fp, "\n"
            "rm -f \"$status\"\n"
            "job=${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\n"
            "# finish CODE [STATUS]: STATUS (default CODE) in the status file\n"
            "finish() {\n"
            "    echo \"${2:-$1}\" >\"$status.tmp\" && mv -f \"$status.tmp\" \"$status\"\n"
            "    exit \"$1\"\n"
            "}\n"
            "# hook NAME TIMEOUT: run it, its output in the log; its status in\n"
            "# $hrc, what went wrong in $what\n"
            "hook() {\n"
            "    echo \"=== $1 hook, slurm job $job on $(hostname) ===\" >>\"$log\"\n"
            "    V2KVM_BATCH_HOOK=$1\n"
            "    \"$1\" </dev/null >>\"$log\" 2>&1\n"
            "    hrc=$?\n"
            "    V2KVM_BATCH_HOOK=\n"
            "    case $hrc in\n"
            "    0) return 0 ;;\n"
            "    124|137) what=\"timed out after $2 s, killed\" ;;\n"
            "    *) what=\"exited with status $hrc\" ;;\n"
            "    esac\n"
            "    return 1\n"
            "}\n"
            "if [ -n \"$pre_to\" ] && ! hook pre \"$pre_to\"; then\n"
            "    finish 1 \"pre $hrc\"\n"
            "fi\n"
            "echo \"=== v2kvm, slurm job $job on $(hostname) ===\" >>\"$log\"\n"
            "\"$@\" </dev/null >>\"$log\" 2>&1\n"
            "rc=$?\n"
            "if [ \"$rc\" = 0 ] && [ -n \"$post_to\" ] && ! hook post \"$post_to\"; then\n"
            "    printf '{\"type\":\"warning\",\"message\":\"post hook %%s %%s\"}\\n' \"$post_json\" \"$what\" >>\"$log\"\n"
            "fi\n"
            "finish \"$rc\"\n");
    if (fclose(fp) != 0) {
        v2k_error("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Job ids go to STATE.slurm/jobs before anything waits on them, so that
 * a coordinator killed at any point leaves them to the next one. */
static int
save_sjob(struct runner *r, const char *id)
{
    char *path = v2k_asprintf("%s/jobs", r->slurmdir);
    char **n = realloc(r->sjobs, (r->nsjobs + 2) * sizeof *r->sjobs);
    FILE *fp;
    int rc = -1;

    if (n == NULL || path == NULL) {
        free(path);
        if (n)
            r->sjobs = n;
        return -1;
    }
    r->sjobs = n;
    r->sjobs[r->nsjobs] = v2k_strdup(id);
    if (r->sjobs[r->nsjobs] == NULL) {
        free(path);
        return -1;
    }
    r->sjobs[++r->nsjobs] = NULL;
    fp = fopen(path, "ae");
    if (fp == NULL) {
        v2k_error("%s: %s", path, strerror(errno));
    } else {
        fprintf(fp, "%s\n", id);
        rc = fflush(fp) == 0 && fsync(fileno(fp)) == 0 ? 0 : -1;
        if (fclose(fp) != 0 || rc == -1) {
            v2k_error("%s: %s", path, strerror(errno));
            rc = -1;
        }
    }
    free(path);
    return rc;
}

/* Wait until none of the arrays jobs[0..n) is in squeue any more, at
 * most limit seconds.  true when they are gone. */
static bool
wait_gone(const char *const *jobs, size_t n, double limit)
{
    double end = v2k_now() + limit;

    for (;;) {
        struct v2k_slurm_task *t = NULL;
        size_t nt = 0;
        int rc = v2k_slurm_queue(jobs, n, &t, &nt);

        free(t);
        if (rc == 0 && nt == 0)
            return true;
        if (v2k_now() > end)
            return false;
        usleep(500000);
    }
}

/* The arrays a killed coordinator left (STATE.slurm/jobs): cancelled,
 * whichever executor runs now, before any output is cleaned. */
static void
cancel_orphan_sjobs(struct runner *r)
{
    char *path = v2k_asprintf("%s/jobs", r->slurmdir);
    char **ids = NULL, line[64];
    size_t n = 0;
    FILE *fp;

    if (path == NULL || (fp = fopen(path, "re")) == NULL) {
        free(path);
        return;
    }
    while (fgets(line, sizeof line, fp)) {
        char **k;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0' ||
            (k = realloc(ids, (n + 2) * sizeof *ids)) == NULL)
            continue;
        ids = k;
        if ((ids[n] = v2k_strdup(line)) != NULL)
            ids[++n] = NULL;
    }
    fclose(fp);
    if (n) {
        v2k_msg("cancelling Slurm job%s left by a killed coordinator: %s%s",
                n == 1 ? "" : "s", ids[0], n > 1 ? " ..." : "");
        if (v2k_slurm_cancel((const char *const *)ids, n) == -1 ||
            !wait_gone((const char *const *)ids, n, r->grace + 30)) {
            /* Kept for the next run: they may still write outputs. */
            v2k_log_error(v2k_error_message());
            v2k_strv_free(ids);
            free(path);
            return;
        }
    }
    unlink(path);
    v2k_strv_free(ids);
    free(path);
}

/* Every license the VMs vms[0..n) take, defined by the cluster with a
 * count they fit in; else one line naming it.  0, or -1. */
static int
check_licenses(struct runner *r, const struct v2k_plan_vm *const *vms,
               size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char lic[256];
        unsigned count, total = 0;
        int f;

        vm_license(r, vms[i], lic, sizeof lic, &count);
        f = v2k_slurm_license(lic, &total);
        if (f == -1) {
            v2k_error_prepend("slurm: cannot reach the cluster: ");
            return -1;
        }
        if (f == 0) {
            v2k_error("slurm: license %s (source host %s) is not defined by the cluster: add Licenses=%s:%u to slurm.conf (per_source_host_disks)",
                      lic, vms[i]->source->host, lic,
                      r->p->limits.per_source_host_disks);
            return -1;
        }
        if (total < count) {
            v2k_error("slurm: license %s has a count of %u, VM %s needs %u (per_source_host_disks %u)",
                      lic, total, vms[i]->name, count,
                      r->p->limits.per_source_host_disks);
            return -1;
        }
    }
    return 0;
}

/* A free job slot, growing the table (one per VM in flight). */
static struct job *
slurm_slot(struct runner *r)
{
    struct job *n;

    for (size_t i = 0; i < r->slots; i++)
        if (r->jobs[i].vm == NULL)
            return &r->jobs[i];
    n = realloc(r->jobs, (r->slots + 1) * sizeof *r->jobs);
    if (n == NULL) {
        v2k_error("out of memory");
        return NULL;
    }
    r->jobs = n;
    memset(&r->jobs[r->slots], 0, sizeof *r->jobs);
    r->jobs[r->slots].fd = r->jobs[r->slots].logfd = -1;
    return &r->jobs[r->slots++];
}

/* Submit one array for vms[0..n), which share a license and memory. */
static int
submit_array(struct runner *r, const struct v2k_plan_vm *const *vms, size_t n)
{
    char lic[256], larg[300], arr[64], mem[32], *script, *out, *id = NULL;
    unsigned count;
    int rc = -1;

    vm_license(r, vms[0], lic, sizeof lic, &count);
    snprintf(larg, sizeof larg, "%s:%u", lic, count);
    snprintf(arr, sizeof arr, "0-%zu%%%u", n - 1, r->p->limits.max_in_flight);
    snprintf(mem, sizeof mem, "%lluM", vm_mem_mib(vms[0]));
    script = v2k_asprintf("%s/array-%u.sh", r->slurmdir, r->narrays);
    out = v2k_asprintf("%s/slurm-%%A_%%a.out", r->slurmdir);
    if (script == NULL || out == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        char *log = vm_file(r, vms[i]->name, ".log");
        char *st = v2k_state_vm_file(r->slurmdir, vms[i]->name, ".status");
        int fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                            0600) : -1;

        if (fd == -1)
            v2k_error("%s: cannot open the log: %s", log ? log : r->logdir,
                      strerror(errno));
        else
            close(fd);
        if (st)
            unlink(st);
        free(log);
        free(st);
        if (fd == -1)
            goto out;
        remove_partials(vms[i]);
    }
    if (write_script(r, script, vms, n) == -1)
        goto out;
    {
        /* Held: release_due starts them, max_in_flight over all the
         * arrays (an array's %N throttles it alone). */
        const char *args[] = { "--array", arr, "--mem", mem, "-L", larg,
                               "-J", "v2kvm-batch", "-o", out, "-n", "1",
                               "--hold", NULL };
        id = v2k_slurm_submit(args, script);
    }
    if (id == NULL)
        goto out;
    r->narrays++;
    if (save_sjob(r, id) == -1)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct job *j = slurm_slot(r);
        char *log = vm_file(r, vms[i]->name, ".log");

        if (j == NULL || log == NULL) {
            free(log);
            goto out;
        }
        j->vm = vms[i];
        j->stage = ST_MAIN;
        j->cost = vm_cost(vms[i]);
        j->task = (unsigned)i;
        j->seq = r->submitted++;
        snprintf(j->sjob, sizeof j->sjob, "%s", id);
        j->logfd = open(log, O_RDONLY | O_CLOEXEC);
        if (j->logfd >= 0)
            lseek(j->logfd, 0, SEEK_END);
        free(log);
    }
    rc = 0;
out:
    free(id);
    free(script);
    free(out);
    return rc;
}

/* Submit the queued VMs due now, one array per (license, count,
 * memory): -L and --mem hold for a whole array. */
static int
slurm_submit_due(struct runner *r)
{
    double now = v2k_now();
    const struct v2k_plan_vm **due, **grp;
    size_t n = 0, sent = 0;
    int rc = 0;

    due = v2k_calloc(r->nq + 1, sizeof *due);
    grp = v2k_calloc(r->nq + 1, sizeof *grp);
    if (due == NULL || grp == NULL) {
        free(due);
        free(grp);
        return -1;
    }
    for (size_t i = 0; i < r->nq;) {
        if (r->q[i].not_before > now) {
            i++;
            continue;
        }
        due[n++] = r->q[i].vm;
        memmove(&r->q[i], &r->q[i + 1], (r->nq - i - 1) * sizeof *r->q);
        r->nq--;
    }
    if (n && check_licenses(r, due, n) == -1)
        rc = -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct v2k_plan_vm *first = due[i];
        char li[256], lk[256];
        unsigned ci, ck;
        size_t g = 0;

        if (first == NULL)
            continue;
        vm_license(r, first, li, sizeof li, &ci);
        for (size_t k = i; k < n; k++) {
            if (due[k] == NULL)
                continue;
            vm_license(r, due[k], lk, sizeof lk, &ck);
            if (strcmp(li, lk) == 0 && ci == ck &&
                vm_mem_mib(first) == vm_mem_mib(due[k])) {
                grp[g++] = due[k];
                due[k] = NULL;
            }
        }
        rc = submit_array(r, grp, g);
        if (rc == 0)
            sent += g;
    }
    /* Those not submitted stay as the state has them (a retry: failed,
     * transient, for the next run); they count as failed here. */
    r->nfailed += n - sent;
    free(due);
    free(grp);
    return rc;
}

/* max_in_flight over every array: the tasks are submitted held and
 * released here in submission (plan) order while fewer than
 * max_in_flight are released and not over. */
static void
release_due(struct runner *r)
{
    unsigned n = 0;

    for (size_t i = 0; i < r->slots; i++)
        if (r->jobs[i].vm && r->jobs[i].released)
            n++;
    while (n < r->p->limits.max_in_flight) {
        struct job *next = NULL;

        for (size_t i = 0; i < r->slots; i++) {
            struct job *j = &r->jobs[i];
            if (j->vm && !j->released && (next == NULL || j->seq < next->seq))
                next = j;
        }
        if (next == NULL)
            return;
        if (v2k_slurm_release(next->sjob, next->task) == -1) {
            if (!r->release_warned) {
                clear_block(r);
                v2k_log_error(v2k_error_message());
                r->release_warned = true;
            }
            return;             /* tried again at the next turn */
        }
        next->released = true;
        n++;
    }
}

/* j's task is seen running (or already over): the state's running. */
static void
slurm_began(struct runner *r, struct job *j)
{
    struct v2k_state_vm sv;

    j->began = true;
    j->started = v2k_now();
    if (v2k_state_transition(r->st, j->vm->name, V2K_PHASE_RUNNING,
                             r->run) == -1) {
        v2k_log_error(v2k_error_message());
        return;
    }
    j->phase = V2K_PHASE_RUNNING;
    if (v2k_state_get(r->st, j->vm->name, &sv) == 0) {
        j->attempt = sv.attempts;
        v2k_state_vm_clear(&sv);
    }
    r->nstarted++;
    event(r, j, "start", "started (attempt %u) as Slurm job %s_%u", j->attempt,
          j->sjob, j->task);
}

/* What the task appended to the log since the last look. */
static void
slurm_follow(struct runner *r, struct job *j)
{
    char buf[4096];
    ssize_t n;

    if (j->logfd < 0)
        return;
    while ((n = read(j->logfd, buf, sizeof buf)) > 0)
        follow_output(r, j, buf, (size_t)n);
}

/* j's task wrote its exit status code: the same outcome as a local
 * child's (stage_done). */
static void
slurm_ended(struct runner *r, struct job *j, int code)
{
    if (!j->began)
        slurm_began(r, j);
    slurm_follow(r, j);
    follow_end(r, j);
    j->exited = true;
    /* As waitpid's: v2kvm stopped by signal N exits 128 + N itself. */
    j->status = code >= 0 && code < 256 ? code << 8 : 1 << 8;
    stage_done(r, j);
}

/* j's task's status file (write_script): "N", v2kvm's exit status, or
 * "pre N", its pre hook's (v2kvm not run).  When there is one: read,
 * removed, and the attempt ended from it (slurm_ended); true.  false
 * while the task has written none. */
static bool
slurm_status(struct runner *r, struct job *j)
{
    char *st = v2k_state_vm_file(r->slurmdir, j->vm->name, ".status");
    FILE *fp = st ? fopen(st, "re") : NULL;
    char line[32];
    int code = -1;

    if (fp == NULL) {
        free(st);
        return false;
    }
    if (fgets(line, sizeof line, fp)) {
        const char *p = line;

        if (strncmp(p, "pre ", 4) == 0) {
            j->stage = ST_PRE;
            p += 4;
        }
        code = (int)strtol(p, NULL, 10);
    }
    fclose(fp);
    unlink(st);
    free(st);
    /* timeout(1)'s status for a hook it stopped: 124 (TERM), 137 (KILL). */
    j->timed_out = j->stage == ST_PRE && (code == 124 || code == 137);
    slurm_ended(r, j, code);
    return true;
}

/* j's task left the queue without a status: cancelled (interrupted) or
 * killed by Slurm (failed, with v2kvm's last error when it printed
 * one). */
static void
slurm_lost(struct runner *r, struct job *j)
{
    char state[32], msg[1200];
    int code = -1;

    if (v2k_slurm_task_end(j->sjob, j->task, state, sizeof state, &code) == -1)
        snprintf(state, sizeof state, "%s", "");
    slurm_follow(r, j);
    follow_end(r, j);
    if (strncmp(state, "CANCELLED", 9) == 0 || state[0] == '\0') {
        if (j->began) {
            if (v2k_state_transition(r->st, j->vm->name,
                                     V2K_PHASE_INTERRUPTED, r->run) == -1)
                v2k_log_error(v2k_error_message());
            j->phase = V2K_PHASE_INTERRUPTED;
            event(r, j, "interrupted", "Slurm job %s_%u %s", j->sjob, j->task,
                  state[0] ? "cancelled" : "gone");
        } else {
            event(r, j, "interrupted", "Slurm job %s_%u %s before it ran",
                  j->sjob, j->task, state[0] ? "cancelled" : "gone");
        }
        r->nfailed++;
        release_job(j);
        return;
    }
    if (!j->began)
        slurm_began(r, j);
    snprintf(msg, sizeof msg, "%s", j->error ? j->error : "");
    if (!j->error)
        snprintf(msg, sizeof msg, "Slurm job %s_%u ended %s (exit code %d)",
                 j->sjob, j->task, state, code);
    job_failed(r, j, V2K_ERRCLASS_PERMANENT, msg);
    release_job(j);
}

/* One turn of the coordinator: submit retries that are due, wait a
 * second, look at squeue and the status files. */
static void
slurm_turn(struct runner *r)
{
    struct v2k_slurm_task *t = NULL;
    const char **live;
    size_t nt = 0, nlive = 0;
    int rc;

    if (r->nq && slurm_submit_due(r) == -1) {
        v2k_log_error(v2k_error_message());
    }
    release_due(r);
    for (int i = 0; i < 10 && !got_signal; i++)
        usleep(100000);
    if (got_signal || r->nsjobs == 0)
        return;
    /* Only the arrays with VMs still in flight: the controller forgets
     * finished jobs (MinJobAge), and squeue fails for a list of only
     * forgotten ones. */
    live = v2k_calloc(r->nsjobs + 1, sizeof *live);
    if (live == NULL)
        return;
    for (size_t i = 0; i < r->nsjobs; i++)
        for (size_t k = 0; k < r->slots; k++)
            if (r->jobs[k].vm && strcmp(r->jobs[k].sjob, r->sjobs[i]) == 0) {
                live[nlive++] = r->sjobs[i];
                break;
            }
    rc = nlive ? v2k_slurm_queue(live, nlive, &t, &nt) : 0;
    free(live);
    if (rc == -1) {
        if (v2k_now() - r->squeue_warned > 30) {
            clear_block(r);
            v2k_log_error(v2k_error_message());
            r->squeue_warned = v2k_now();
        }
        return;
    }
    for (size_t i = 0; i < r->slots; i++) {
        struct job *j = &r->jobs[i];
        const struct v2k_slurm_task *q = NULL;

        if (j->vm == NULL)
            continue;
        for (size_t k = 0; k < nt && q == NULL; k++)
            if (strcmp(t[k].job, j->sjob) == 0 && t[k].task == j->task)
                q = &t[k];
        /* Running once squeue says so; a task over between two looks
         * begins and ends with its status file (slurm_ended) or its
         * end in scontrol (slurm_lost). */
        if (!j->began && q && strcmp(q->state, "PENDING") != 0)
            slurm_began(r, j);
        if (j->began)
            slurm_follow(r, j);
        if (slurm_status(r, j))
            continue;
        if (q) {
            j->gone_since = 0;
        } else if (j->gone_since == 0) {
            /* The status file may lag on a shared filesystem. */
            j->gone_since = v2k_now();
        } else if (v2k_now() - j->gone_since > 5) {
            slurm_lost(r, j);
        }
    }
    free(t);
    release_due(r);
    if (nrunning(r) == 0 && r->nq == 0) {
        /* Every array is over: nothing for the next run to cancel. */
        char *path = v2k_asprintf("%s/jobs", r->slurmdir);
        if (path)
            unlink(path);
        free(path);
    }
}

/* SIGINT/SIGTERM: scancel the arrays, then each VM whose task had begun
 * and wrote no status is interrupted (v2kvm removes its temporary
 * files on SIGTERM; the next run removes what is left). */
static void
slurm_stop(struct runner *r)
{
    clear_block(r);
    v2k_msg("signal %d: cancelling %zu Slurm job%s", (int)got_signal,
            r->nsjobs, r->nsjobs == 1 ? "" : "s");
    if (r->nsjobs &&
        (v2k_slurm_cancel((const char *const *)r->sjobs, r->nsjobs) == -1 ||
         !wait_gone((const char *const *)r->sjobs, r->nsjobs, r->grace + 30)))
        v2k_log_error(v2k_error_message());
    for (size_t i = 0; i < r->slots; i++) {
        struct job *j = &r->jobs[i];

        if (j->vm == NULL)
            continue;
        if (slurm_status(r, j))
            continue;
        slurm_follow(r, j);
        follow_end(r, j);
        if (j->began) {
            if (v2k_state_transition(r->st, j->vm->name,
                                     V2K_PHASE_INTERRUPTED, r->run) == -1)
                v2k_log_error(v2k_error_message());
            j->phase = V2K_PHASE_INTERRUPTED;
            event(r, j, "interrupted", "interrupted by signal %d",
                  (int)got_signal);
        }
        release_job(j);
    }
}

/* --- setup ------------------------------------------------------------ */

void
v2k_batch_share_accel(void)
{
    if (!accel_given())
        accel_export(v2k_accel_name(v2k_accel_get()), v2k_accel_reason());
}

char *
v2k_batch_v2kvm_program(void)
{
    const char *env = getenv("V2KVM_BATCH_V2KVM");
    char self[PATH_MAX];
    ssize_t n;

    if (env && *env)
        return v2k_strdup(env);
    n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        char *slash, *c;
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            c = v2k_asprintf("%s/v2kvm", self);
            if (c && access(c, X_OK) == 0)
                return c;
            free(c);
            c = v2k_asprintf("%s/../converters/v2kvm", self);
            if (c && access(c, X_OK) == 0)
                return c;
            free(c);
        }
    }
    return v2k_strdup("v2kvm");
}

static uint64_t
mem_available(void)
{
    FILE *fp = fopen("/proc/meminfo", "re");
    char line[256];
    unsigned long long kb = 0;

    if (fp == NULL)
        return V2K_PLAN_APPLIANCE_BYTES;
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, "MemAvailable:", 13) == 0) {
            kb = strtoull(line + 13, NULL, 10);
            break;
        }
    fclose(fp);
    return kb ? (uint64_t)kb * 1024 : V2K_PLAN_APPLIANCE_BYTES;
}

static double
env_seconds(const char *name, double def)
{
    const char *v = getenv(name);
    char *end;
    double d;

    if (v == NULL || *v == '\0')
        return def;
    d = strtod(v, &end);
    return *end == '\0' && d >= 0 && d <= 3600 ? d : def;
}

int
v2k_batch_run(const char *plan_path, const struct v2k_batch_run_opts *o)
{
    struct runner r = { .run = -1, .accel_fd = -1 };
    struct v2k_state_select sel = { 0 };
    char **names = NULL, **pnames = NULL;
    size_t n = 0, nrec = 0;
    char esc[4 * 2048];
    int rc = 2;
    bool appliance = false;     /* a VM to run launches one */
    struct sigaction sa;

    if (v2k_plan_load_print(plan_path, &r.p, NULL) == -1) {
        v2k_log_error("run: nothing was started (see v2kvm-batch check)");
        return 2;
    }
    r.machine = o->machine_readable;
    r.tty = !r.machine && isatty(STDOUT_FILENO);
    r.retry_delay = env_seconds("V2KVM_BATCH_RETRY_DELAY",
                                V2K_BATCH_RETRY_DELAY);
    r.grace = env_seconds("V2KVM_BATCH_GRACE", V2K_BATCH_GRACE);
    r.mem_budget = r.p->limits.memory_budget ? r.p->limits.memory_budget
                                             : mem_available();
    r.v2kvm = v2k_batch_v2kvm_program();
    r.logdir = v2k_asprintf("%s.logs", r.p->state_path);
    r.slurmdir = v2k_asprintf("%s.slurm", r.p->state_path);
    r.slurm = o->executor == V2K_EXECUTOR_SLURM;
    if (r.v2kvm == NULL || r.logdir == NULL || r.slurmdir == NULL)
        goto out;
    if (mkdir(r.logdir, 0700) == -1 && errno != EEXIST) {
        v2k_error("%s: %s", r.logdir, strerror(errno));
        v2k_log_error(v2k_error_message());
        goto out;
    }
    if (r.slurm) {
        /* The tasks run elsewhere and the filesystem is shared: the
         * paths in the batch scripts are absolute. */
        char *a = NULL, *b = NULL, *v = NULL;
        if (mkdir(r.slurmdir, 0700) == -1 && errno != EEXIST) {
            v2k_error("%s: %s", r.slurmdir, strerror(errno));
            v2k_log_error(v2k_error_message());
            goto out;
        }
        if ((a = realpath(r.logdir, NULL)) != NULL) {
            free(r.logdir);
            r.logdir = a;
        }
        if ((b = realpath(r.slurmdir, NULL)) != NULL) {
            free(r.slurmdir);
            r.slurmdir = b;
        }
        if (strchr(r.v2kvm, '/') && (v = realpath(r.v2kvm, NULL)) != NULL) {
            free(r.v2kvm);
            r.v2kvm = v;
        }
    }
    r.st = v2k_state_open(r.p->state_path);
    if (r.st == NULL) {
        v2k_log_error(v2k_error_message());
        goto out;
    }
    if (v2k_state_recover(r.st, &nrec) == -1)
        goto state_err;
    if (nrec)
        v2k_msg("%zu VM%s interrupted by a previous coordinator: redone",
                nrec, nrec == 1 ? "" : "s");
    kill_orphans(&r);
    cancel_orphan_sjobs(&r);
    pnames = v2k_calloc(r.p->nvms + 1, sizeof *pnames);
    if (pnames == NULL)
        goto out;
    for (size_t i = 0; i < r.p->nvms; i++)
        pnames[i] = r.p->vms[i].name;
    if (v2k_state_add_vms(r.st, (const char *const *)pnames, r.p->nvms) == -1)
        goto state_err;
    sel.only = o->only;
    sel.nonly = o->nonly;
    sel.retry_failed = o->retry_failed;
    sel.max_retries = r.p->limits.transient_retries;
    names = v2k_state_next(r.st, &sel, &n);
    if (names == NULL)
        goto state_err;
    /* Slurm: a slot per VM submitted (slurm_slot), none yet. */
    r.slots = r.slurm ? 0 : r.p->limits.max_in_flight;
    r.jobs = r.slurm ? NULL : v2k_calloc(r.slots, sizeof *r.jobs);
    /* Each VM is queued once, plus its retries (at most one queued at
     * a time per VM). */
    r.q = v2k_calloc(n + 1, sizeof *r.q);
    if ((r.jobs == NULL && !r.slurm) || r.q == NULL)
        goto out;
    for (size_t i = 0; i < r.slots; i++)
        r.jobs[i].fd = r.jobs[i].logfd = -1;
    for (size_t i = 0; i < n; i++) {
        const struct v2k_plan_vm *vm = v2k_plan_find_vm(r.p, names[i]);
        if (vm)
            queue_push(&r, vm, 0);
        appliance = appliance || (vm && !vm->no_convert);
    }
    if (!r.machine)
        printf("%s: %zu VM%s to run, at most %u at a time, v2kvm %s, logs in %s%s\n",
               v2k_log_escape(r.p->path, esc, sizeof esc), r.nq,
               r.nq == 1 ? "" : "s", r.p->limits.max_in_flight, r.v2kvm,
               r.logdir, r.slurm ? ", on Slurm" : "");
    if (appliance && !r.slurm)
        accel_start(&r);
    /* Slurm: every array submitted before the run begins; when one
     * cannot be, those submitted are cancelled and nothing ran: one
     * error line (exit 2 says that nothing ran). */
    if (r.slurm && slurm_submit_due(&r) == -1) {
        v2k_log_error(v2k_error_message());
        if (r.nsjobs)
            v2k_slurm_cancel((const char *const *)r.sjobs, r.nsjobs);
        {
            char *path = v2k_asprintf("%s/jobs", r.slurmdir);
            if (path && r.nsjobs == 0)
                unlink(path);
            free(path);
        }
        goto out;
    }
    r.run = v2k_state_run_begin(r.st, r.p->path);
    if (r.run == -1) {
        if (r.nsjobs)
            v2k_slurm_cancel((const char *const *)r.sjobs, r.nsjobs);
        goto state_err;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    while ((r.nq > 0 || nrunning(&r) > 0) && !got_signal) {
        if (r.slurm) {
            slurm_turn(&r);
        } else {
            schedule(&r);
            poll_children(&r);
            accel_poll(&r);
        }
        draw(&r, false);
    }
    if (got_signal) {
        if (r.slurm)
            slurm_stop(&r);
        else
            stop_all(&r);
        v2k_state_run_end(r.st, r.run, false);
        rc = 128 + got_signal;
        goto out;
    }
    clear_block(&r);
    if (r.machine) {
        struct v2k_json *js = v2k_log_json_begin("summary");
        if (js) {
            v2k_json_kv_uint(js, "done", r.ndone);
            v2k_json_kv_uint(js, "failed", r.nfailed);
            v2k_log_json_end(js);
        }
    } else {
        printf("%zu done, %zu failed\n", r.ndone, r.nfailed);
    }
    /* 1 also when VMs of the plan failed before and were not chosen
     * (permanent errors without --retry-failed): not all done. */
    if (o->nonly == 0 && r.nfailed == 0) {
        size_t nf = 0;
        if (v2k_state_count(r.st, V2K_PHASE_FAILED, &nf) == 0 && nf)
            r.nfailed_before = nf;
    }
    if (v2k_state_run_end(r.st, r.run, r.nfailed == 0) == -1)
        goto state_err;
    if (r.nfailed_before && !r.machine)
        printf("%zu VM%s failed in an earlier run (--retry-failed redoes them)\n",
               r.nfailed_before, r.nfailed_before == 1 ? "" : "s");
    rc = r.nfailed || r.nfailed_before ? 1 : 0;
    goto out;

state_err:
    v2k_log_error(v2k_error_message());
    rc = r.run == -1 ? 2 : 1;
out:
    /* Still probing (a signal, an error): its qemu ends within the
     * probe's timeout, and only the helper can reap it. */
    if (r.accel_fd != -1)
        accel_end(&r);
    v2k_strv_free(names);
    free(pnames);
    if (r.jobs)
        for (size_t i = 0; i < r.slots; i++)
            if (r.jobs[i].vm)
                release_job(&r.jobs[i]);
    free(r.jobs);
    free(r.q);
    v2k_state_close(r.st);
    free(r.v2kvm);
    free(r.logdir);
    free(r.slurmdir);
    v2k_strv_free(r.sjobs);
    v2k_plan_free(r.p);
    return rc;
}
