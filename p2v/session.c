/* session.c - one P2V transfer (session.h). */
#include "session.h"
#include "error.h"
#include "jsonline.h"
#include "log.h"
#include "proc.h"
#include "ssh.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SSH_STEP_TIMEOUT 60         /* s for one short remote command */
#define NBDKIT_START_TIMEOUT 30     /* s for nbdkit to listen */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 16000
#define LINE_MAX_BYTES 65536        /* one JSON line from the host */
#define PROGRESS_EVERY 2.0          /* s between progress lines (no TTY) */

struct disk_state {
    pid_t nbdkit;
    char *local_sock;               /* owned */
    char *remote_sock;              /* owned */
};

struct session {
    const struct v2k_p2v_session_args *a;
    struct v2k_p2v_ssh ssh;
    char ldir[64];                  /* private local directory */
    char *rdir;                     /* run directory on the host (owned) */
    struct disk_state *d;           /* a->ndisks */
    pid_t tunnel;
    pid_t follower;
    int follow_fd;
    unsigned long long offset;      /* bytes of progress.jsonl consumed */
    char *line;                     /* partial line from the follower */
    size_t linelen;
    double link_lost;               /* v2k_now() when lost, 0 when up */
    unsigned backoff_ms;
    double next_try;
    unsigned cuts;                  /* tunnel restarts */
    unsigned op_timeout;            /* s for one remote command */
    unsigned nbdkit_restarts;
    char why_lost[512];             /* the last reconnect failure */
    int status;                     /* v2kvm's exit status, -1 unknown */
    char last_error[1024];          /* v2kvm's last error line */
    char log_tail[1024];
    /* progress */
    char plabel[64];
    double pdone, ptotal, ptime, prate;
    double last_print;
    bool tty;
};

/* --- the host's run directory ------------------------------------------ */

static bool
safe_path(const char *p)
{
    if (p[0] != '/')
        return false;
    for (; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/._-", *p))
            return false;
    return true;
}

static int
remote_setup(struct session *s)
{
    char *out = NULL, *err = NULL, *cmd;
    int r;

    r = v2k_p2v_ssh_run(&s->ssh,
                        "umask 077 && mktemp -d \"${TMPDIR:-/var/tmp}/v2kvm-p2v.XXXXXXXX\"",
                        NULL, 0, &out, &err, SSH_STEP_TIMEOUT);
    if (r != 0) {
        char line[256];
        if (r > 0)
            v2k_error("%s: cannot make a run directory: %s", s->ssh.where,
                      v2k_proc_last_line(err ? err : "", line, sizeof line));
        goto out;
    }
    out[strcspn(out, "\r\n")] = '\0';
    if (!safe_path(out)) {
        v2k_error("%s: the run directory it made is not a plain path: '%.100s'", s->ssh.where, out);
        r = -1;
        goto out;
    }
    s->rdir = out;
    out = NULL;
    cmd = v2k_asprintf("cat >%s/run.sh", s->rdir);
    r = cmd ? v2k_p2v_ssh_run(&s->ssh, cmd, v2k_p2v_remote_run_sh,
                              strlen(v2k_p2v_remote_run_sh), NULL, NULL,
                              SSH_STEP_TIMEOUT)
            : -1;
    free(cmd);
    if (r > 0)
        v2k_error("%s: cannot write %s/run.sh", s->ssh.where, s->rdir);
out:
    free(out);
    free(err);
    return r == 0 ? 0 : -1;
}

static int
remote_put(struct session *s, const char *name, const char *text)
{
    char *cmd = v2k_asprintf("cat >%s/%s", s->rdir, name);
    int r;

    if (cmd == NULL)
        return -1;
    r = v2k_p2v_ssh_run(&s->ssh, cmd, text, strlen(text), NULL, NULL,
                        SSH_STEP_TIMEOUT);
    free(cmd);
    if (r > 0)
        v2k_error("%s: cannot write %s/%s", s->ssh.where, s->rdir, name);
    return r == 0 ? 0 : -1;
}

/* run.sh SUBCOMMAND on the host; its status, -1 when ssh failed. */
static int
remote_run(struct session *s, const char *sub, char **err)
{
    char *cmd = v2k_asprintf("sh %s/run.sh %s", s->rdir, sub);
    int r;

    if (cmd == NULL)
        return -1;
    r = v2k_p2v_ssh_run(&s->ssh, cmd, NULL, 0, NULL, err, s->op_timeout);
    free(cmd);
    return r;
}

/* The v2kvm command line, one shell script line. */
static char *
command_text(struct session *s)
{
    const struct v2k_p2v_config *c = s->a->config;
    const char *words[] = {
        "-i", "libvirtxml", NULL /* xml */, "-o", c->output ? c->output : "local",
        "-os", c->output_storage ? c->output_storage : "/var/tmp",
        "-of", c->output_format ? c->output_format : "qcow2",
        "-on", s->a->guest_name, "--machine-readable",
    };
    char *xml = v2k_asprintf("%s/physical.xml", s->rdir);
    char *text = NULL, *q;
    size_t len;
    FILE *f;

    if (xml == NULL)
        return NULL;
    words[2] = xml;
    f = open_memstream(&text, &len);
    if (f == NULL) {
        free(xml);
        return NULL;
    }
    /* The remote command is the user's shell words (sudo -n v2kvm,
     * env X=1 /opt/v2kvm): as given; every value after it is quoted. */
    fprintf(f, "# written by v2kvm-p2v\nexport V2K_NBD_RECONNECT_TIME=%u\n"
               "exec %s",
            c->reconnect_s ? c->reconnect_s : V2K_P2V_DEFAULT_RECONNECT,
            c->remote_v2kvm ? c->remote_v2kvm : "v2kvm");
    for (size_t i = 0; i < V2K_ARRAY_SIZE(words); i++) {
        q = v2k_p2v_shell_quote(words[i]);
        if (q == NULL)
            break;
        fprintf(f, " %s", q);
        free(q);
    }
    fputc('\n', f);
    fclose(f);
    free(xml);
    return text;
}

/* --- this machine's NBD servers ----------------------------------------- */

/* Extra nbdkit words from the environment, for tests and the benchmark:
 * V2K_P2V_NBDKIT_FILTERS (before the plugin: --filter=rate) and
 * V2K_P2V_NBDKIT_PARAMS (after it: rate=100M), split on blanks. */
static size_t
env_words(const char *name, const char **v, size_t max, char **store)
{
    const char *e = getenv(name);
    size_t n = 0;
    char *save = NULL, *w;

    *store = e ? v2k_strdup(e) : NULL;
    if (*store == NULL)
        return 0;
    for (w = strtok_r(*store, " \t", &save); w && n < max;
         w = strtok_r(NULL, " \t", &save))
        v[n++] = w;
    return n;
}

static int
start_nbdkit(struct session *s, unsigned i)
{
    const struct v2k_p2v_send_disk *sd = &s->a->disks[i];
    struct disk_state *d = &s->d[i];
    const char *argv[40];
    char *fw = NULL, *pw = NULL, *pidfile, *file, *logf;
    size_t n = 0;
    int logfd, r = -1;

    pidfile = v2k_asprintf("%s/%s.pid", s->ldir, sd->name);
    file = v2k_asprintf("file=%s", sd->path);
    logf = v2k_asprintf("%s/%s.nbdkit.log", s->ldir, sd->name);
    if (pidfile == NULL || file == NULL || logf == NULL)
        goto out;
    argv[n++] = "nbdkit";
    argv[n++] = "-r";                   /* the source is never written */
    argv[n++] = "-f";
    argv[n++] = "-U";
    argv[n++] = d->local_sock;
    argv[n++] = "-P";
    argv[n++] = pidfile;
    argv[n++] = "--exit-with-parent";
    /* One thread per connection: nbdkit 1.32 (Debian 12) can abort
     * ("raw_send_socket: Assertion `sock >= 0' failed") when a client
     * that had several requests in flight goes away while several
     * threads answer them, which is what a cut tunnel does.  The reads
     * still overlap: one connection per copy worker. */
    argv[n++] = "-t";
    argv[n++] = "1";
    n += env_words("V2K_P2V_NBDKIT_FILTERS", argv + n, 10, &fw);
    argv[n++] = "file";
    argv[n++] = file;
    n += env_words("V2K_P2V_NBDKIT_PARAMS", argv + n, 10, &pw);
    argv[n] = NULL;
    unlink(pidfile);                    /* a restart: the old one's */
    logfd = open(logf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    d->nbdkit = v2k_proc_spawn(argv, NULL, -1, -1, logfd);
    if (logfd >= 0)
        close(logfd);
    if (d->nbdkit == -1) {
        d->nbdkit = 0;
        goto out;
    }
    for (double end = v2k_now() + NBDKIT_START_TIMEOUT; v2k_now() < end;) {
        struct stat st;
        int status;

        if (stat(pidfile, &st) == 0 && st.st_size > 0) {
            r = 0;
            goto out;
        }
        if (v2k_proc_poll(d->nbdkit, &status) == 1) {
            char *text = v2k_read_file(logf, 65536, NULL);
            char line[512];
            d->nbdkit = 0;
            v2k_error("disk %s (%s): nbdkit cannot serve it: %s", sd->name,
                      sd->path,
                      v2k_proc_last_line(text ? text : "", line, sizeof line));
            free(text);
            goto out;
        }
        usleep(50000);
    }
    v2k_error("disk %s: nbdkit did not start in %d s", sd->name,
              NBDKIT_START_TIMEOUT);
out:
    free(fw);
    free(pw);
    free(pidfile);
    free(file);
    free(logf);
    return r;
}

/* Is every nbdkit still serving?  One that ended (it should not: a disk
 * that fails gives read errors, not an exit) is started again on the
 * same socket, NBDKIT_RESTARTS times at most in a run; the host's v2kvm
 * reconnects meanwhile.  -1 with a message when that is spent. */
#define NBDKIT_RESTARTS 5
static int
check_nbdkits(struct session *s)
{
    for (unsigned i = 0; i < s->a->ndisks; i++) {
        int status;
        if (s->d[i].nbdkit > 0 && v2k_proc_poll(s->d[i].nbdkit, &status) == 1) {
            char *logf = v2k_asprintf("%s/%s.nbdkit.log", s->ldir,
                                      s->a->disks[i].name);
            char *text = logf ? v2k_read_file(logf, 1 << 20, NULL) : NULL;
            char line[512];

            s->d[i].nbdkit = 0;
            v2k_proc_last_line(text ? text : "", line, sizeof line);
            free(text);
            free(logf);
            if (s->nbdkit_restarts < NBDKIT_RESTARTS) {
                s->nbdkit_restarts++;
                v2k_warning("disk %s: its NBD server ended (status %d: %s); starting it again", s->a->disks[i].name, status, line);
                unlink(s->d[i].local_sock);
                if (start_nbdkit(s, i) == 0)
                    continue;
                return -1;
            }
            v2k_error("disk %s: its NBD server ended (status %d): %s",
                      s->a->disks[i].name, status, line);
            return -1;
        }
    }
    return 0;
}

/* --- the tunnel and the follower ---------------------------------------- */

/* (Re)make the tunnel: stale sockets on the host removed, ssh -N with a
 * -R forward per disk, then wait for the sockets there.  0 up; -1 not
 * now (the caller backs off; the message says why). */
static int
tunnel_up(struct session *s)
{
    const char **extra = v2k_calloc(2 * s->a->ndisks + 6, sizeof *extra);
    char **fw = v2k_calloc(s->a->ndisks + 1, sizeof *fw);
    char **argv = NULL, *err = NULL, *sub = NULL;
    size_t n = 0;
    int r = -1;

    if (extra == NULL || fw == NULL)
        goto out;
    v2k_proc_stop(s->tunnel);
    s->tunnel = 0;
    if (remote_run(s, "unlink", NULL) != 0)
        goto out;
    extra[n++] = "-N";
    extra[n++] = "-o";
    extra[n++] = "ExitOnForwardFailure=yes";
    /* The disks' bytes: AES-GCM first, several times cheaper than
     * OpenSSH's default chacha20-poly1305 on a CPU with AES-NI (every
     * x86 server of the last decade); the others stay as fallbacks. */
    extra[n++] = "-o";
    extra[n++] = "Ciphers=aes128-gcm@openssh.com,aes256-gcm@openssh.com,"
                 "chacha20-poly1305@openssh.com,aes128-ctr";
    for (unsigned i = 0; i < s->a->ndisks; i++) {
        fw[i] = v2k_asprintf("%s:%s", s->d[i].remote_sock, s->d[i].local_sock);
        if (fw[i] == NULL)
            goto out;
        extra[n++] = "-R";
        extra[n++] = fw[i];
    }
    argv = v2k_p2v_ssh_argv(&s->ssh, extra, NULL);
    if (argv == NULL)
        goto out;
    s->tunnel = v2k_proc_spawn((const char *const *)argv,
                               v2k_p2v_ssh_env(&s->ssh), -1, -1, -1);
    if (s->tunnel == -1) {
        s->tunnel = 0;
        goto out;
    }
    sub = v2k_asprintf("wait-sockets %u", s->a->ndisks);
    if (sub == NULL)
        goto out;
    r = remote_run(s, sub, &err);
    if (r > 0) {
        v2k_error("%s: the tunnel's sockets did not appear in %s (is AllowStreamLocalForwarding off in its sshd_config?)", s->ssh.where, s->rdir);
        r = -1;
    }
out:
    if (r != 0) {
        v2k_proc_stop(s->tunnel);
        s->tunnel = 0;
    }
    for (unsigned i = 0; fw && i < s->a->ndisks; i++)
        free(fw[i]);
    free(fw);
    free(extra);
    v2k_p2v_ssh_argv_free(argv);
    free(err);
    free(sub);
    return r == 0 ? 0 : -1;
}

static void
follower_stop(struct session *s)
{
    if (s->follow_fd >= 0)
        close(s->follow_fd);
    s->follow_fd = -1;
    v2k_proc_stop(s->follower);
    s->follower = 0;
    s->linelen = 0;             /* a partial line comes again */
}

static int
follower_start(struct session *s)
{
    char *cmd = v2k_asprintf("sh %s/run.sh follow %llu", s->rdir, s->offset);
    char **argv = cmd ? v2k_p2v_ssh_argv(&s->ssh, NULL, cmd) : NULL;
    int p[2];

    free(cmd);
    if (argv == NULL)
        return -1;
    if (pipe2(p, O_CLOEXEC) == -1) {
        v2k_p2v_ssh_argv_free(argv);
        return -1;
    }
    s->follower = v2k_proc_spawn((const char *const *)argv,
                                 v2k_p2v_ssh_env(&s->ssh), -1, p[1], -1);
    v2k_p2v_ssh_argv_free(argv);
    close(p[1]);
    if (s->follower == -1) {
        s->follower = 0;
        close(p[0]);
        return -1;
    }
    s->follow_fd = p[0];
    return 0;
}

/* --- what comes back ------------------------------------------------------ */

static void
show_progress(struct session *s, bool final)
{
    double now = v2k_now();
    char eta[32] = "";

    if (!final && now - s->last_print < (s->tty || s->a->progress
                                         ? 0.5 : PROGRESS_EVERY))
        return;
    s->last_print = now;
    if (s->a->progress) {
        s->a->progress(s->a->progress_arg, s->plabel, s->pdone, s->ptotal,
                       s->prate);
        return;
    }
    if (s->prate > 0 && s->ptotal > s->pdone) {
        unsigned left = (unsigned)((s->ptotal - s->pdone) / s->prate);
        snprintf(eta, sizeof eta, ", ETA %u:%02u", left / 60, left % 60);
    }
    if (v2k_log_machine_readable()) {
        printf("{\"type\":\"progress\",\"label\":\"%s\",\"done\":%.0f,"
               "\"total\":%.0f,\"percent\":%.3f,\"mib_per_s\":%.2f}\n",
               s->plabel, s->pdone, s->ptotal,
               s->ptotal > 0 ? 100.0 * s->pdone / s->ptotal : 0.0,
               s->prate / 1048576.0);
        fflush(stdout);
        return;
    }
    printf("%s%s: %.1f of %.1f MiB (%.0f%%), %.1f MiB/s%s%s",
           s->tty ? "\r" : "", s->plabel, s->pdone / 1048576.0,
           s->ptotal / 1048576.0,
           s->ptotal > 0 ? 100.0 * s->pdone / s->ptotal : 0.0,
           s->prate / 1048576.0, eta, s->tty ? "\033[K" : "\n");
    fflush(stdout);
}

/* One complete line from the host's v2kvm (or run.sh's "#" lines). */
static void
handle_line(struct session *s, const char *line)
{
    char type[32], text[1024];

    if (strncmp(line, "#status ", 8) == 0) {
        uint64_t st;
        if (v2k_parse_u64(line + 8, "status", &st) == 0 && st < 256)
            s->status = (int)st;
        else
            s->status = 255;
        return;
    }
    if (strncmp(line, "#log ", 5) == 0) {
        /* The end of v2kvm's stderr: its error line if it has one (a
         * usage error is not in the JSON), else the last line. */
        if (line[5] && (strstr(s->log_tail, "error") == NULL ||
                        strstr(line + 5, "error")))
            snprintf(s->log_tail, sizeof s->log_tail, "%s", line + 5);
        return;
    }
    if (!v2k_jsonline_str(line, "type", type, sizeof type))
        return;                 /* not v2kvm's: ignored */
    if (strcmp(type, "progress") == 0) {
        double done = 0, total = 0, t = 0;
        char label[64];
        if (!v2k_jsonline_str(line, "label", label, sizeof label) ||
            !v2k_jsonline_num(line, "done", &done) ||
            !v2k_jsonline_num(line, "total", &total))
            return;
        v2k_jsonline_num(line, "time", &t);
        if (strcmp(label, s->plabel) != 0) {
            if (s->plabel[0] && s->tty)
                putchar('\n');
            snprintf(s->plabel, sizeof s->plabel, "%s", label);
            s->prate = 0;
        } else if (t > s->ptime + 0.2 && done >= s->pdone) {
            double r = (done - s->pdone) / (t - s->ptime);
            s->prate = s->prate > 0 ? 0.7 * s->prate + 0.3 * r : r;
        } else if (t <= s->ptime + 0.2) {
            s->pdone = done;
            s->ptotal = total;
            return;             /* too close to measure a rate */
        }
        s->pdone = done;
        s->ptotal = total;
        s->ptime = t;
        show_progress(s, done >= total);
        return;
    }
    if (strcmp(type, "error") == 0 &&
        v2k_jsonline_str(line, "message", text, sizeof text)) {
        snprintf(s->last_error, sizeof s->last_error, "%s", text);
        return;
    }
    if ((strcmp(type, "message") == 0 || strcmp(type, "warning") == 0) &&
        v2k_jsonline_str(line, "message", text, sizeof text)) {
        if (s->tty && s->plabel[0])
            putchar('\n');
        s->plabel[0] = '\0';
        if (strcmp(type, "warning") == 0)
            v2k_warning("host: %s", text);
        else
            v2k_msg("host: %s", text);
        return;
    }
}

/* Read what the follower has.  1 when it ended (EOF), 0 otherwise. */
static int
follower_read(struct session *s)
{
    char buf[8192];
    ssize_t n = read(s->follow_fd, buf, sizeof buf);

    if (n == -1 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0)
        return 1;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            s->line[s->linelen] = '\0';
            /* Only v2kvm's output counts toward the offset: run.sh's
             * "#" lines come after the file's end. */
            if (s->line[0] != '#')
                s->offset += s->linelen + 1;
            handle_line(s, s->line);
            s->linelen = 0;
        } else if (s->linelen < LINE_MAX_BYTES - 1) {
            s->line[s->linelen++] = buf[i];
        } else {
            s->offset++;        /* an over-long line: counted, dropped */
        }
    }
    return 0;
}

/* --- the loop ------------------------------------------------------------ */

static void
link_lost(struct session *s, const char *what)
{
    if (s->link_lost == 0) {
        s->link_lost = v2k_now();
        s->backoff_ms = BACKOFF_MIN_MS;
        v2k_warning("the link to %s is lost (%s): reconnecting for up to %u s",
                    s->ssh.where, what,
                    s->a->config->reconnect_s ? s->a->config->reconnect_s
                                              : V2K_P2V_DEFAULT_RECONNECT);
    }
    s->next_try = v2k_now() + s->backoff_ms / 1000.0;
    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                      : s->backoff_ms * 2;
}

static int
supervise(struct session *s)
{
    unsigned budget = s->a->config->reconnect_s ? s->a->config->reconnect_s
                                                : V2K_P2V_DEFAULT_RECONNECT;

    while (s->status < 0) {
        int st;
        struct pollfd p = { .fd = s->follow_fd, .events = POLLIN };

        if (check_nbdkits(s) == -1)
            return -1;
        if (s->tunnel > 0 && v2k_proc_poll(s->tunnel, &st) == 1) {
            s->tunnel = 0;
            s->cuts++;
            link_lost(s, "the tunnel ended");
        }
        /* The follower is reaped when its output ends (below). */
        if (s->link_lost && v2k_now() - s->link_lost > budget) {
            v2k_error("no link to %s for %u s: giving up (v2kvm there gives up too, and leaves no output)%s%s", s->ssh.where, budget,
                      s->why_lost[0] ? "; last attempt: " : "", s->why_lost);
            return -1;
        }
        if ((s->tunnel == 0 || s->follower == 0) && v2k_now() >= s->next_try) {
            /* While the link is down, no attempt outlives the budget. */
            if (s->link_lost) {
                double left = budget - (v2k_now() - s->link_lost);
                s->op_timeout = left < 1 ? 1
                                : left < SSH_STEP_TIMEOUT ? (unsigned)left + 1
                                                          : SSH_STEP_TIMEOUT;
            }
            if (s->tunnel == 0 && tunnel_up(s) == -1) {
                v2k_debug("reconnect: %s", v2k_error_message());
                snprintf(s->why_lost, sizeof s->why_lost, "%s",
                         v2k_error_message());
                link_lost(s, "cannot reconnect");
                continue;
            }
            if (s->follower == 0 && follower_start(s) == -1) {
                snprintf(s->why_lost, sizeof s->why_lost, "%s",
                         v2k_error_message());
                link_lost(s, "cannot follow");
                continue;
            }
            if (s->link_lost) {
                v2k_msg("the link to %s is back after %.0f s", s->ssh.where,
                        v2k_now() - s->link_lost);
                s->link_lost = 0;
                s->op_timeout = SSH_STEP_TIMEOUT;
            }
        }
        if (s->follow_fd < 0) {
            usleep(200000);
            continue;
        }
        if (poll(&p, 1, 500) > 0 && follower_read(s) == 1) {
            /* The follower ended: the status came, or the link broke. */
            close(s->follow_fd);
            s->follow_fd = -1;
            v2k_proc_stop(s->follower);
            s->follower = 0;
            s->linelen = 0;
            if (s->status < 0)
                link_lost(s, "the session ended");
        }
    }
    return 0;
}

/* --- the whole run -------------------------------------------------------- */

int
v2k_p2v_session_run(const struct v2k_p2v_session_args *a)
{
    struct session s = { .a = a, .follow_fd = -1, .status = -1,
                         .op_timeout = SSH_STEP_TIMEOUT };
    char **sockets = NULL;
    char *xml = NULL, *cmd = NULL;
    int rc = -1;

    s.tty = isatty(STDOUT_FILENO) && !v2k_log_machine_readable() &&
            a->progress == NULL;
    s.line = v2k_malloc(LINE_MAX_BYTES);
    s.d = v2k_calloc(a->ndisks, sizeof *s.d);
    sockets = v2k_calloc(a->ndisks + 1, sizeof *sockets);
    if (s.line == NULL || s.d == NULL || sockets == NULL)
        goto out;
    snprintf(s.ldir, sizeof s.ldir, "%s", "/tmp/v2kvm-p2v.XXXXXX");
    if (mkdtemp(s.ldir) == NULL) {
        v2k_error_errno(errno, "mkdtemp /tmp");
        s.ldir[0] = '\0';
        goto out;
    }
    if (v2k_p2v_ssh_init(&s.ssh, a->config, s.ldir) == -1)
        goto out;
    v2k_msg("Connecting to %s as %s", s.ssh.where, s.ssh.target);
    if (remote_setup(&s) == -1)
        goto out;
    v2k_debug("run directory on %s: %s", s.ssh.where, s.rdir);
    for (unsigned i = 0; i < a->ndisks; i++) {
        s.d[i].local_sock = v2k_asprintf("%s/%s.sock", s.ldir,
                                         a->disks[i].name);
        s.d[i].remote_sock = v2k_asprintf("%s/%s.sock", s.rdir,
                                          a->disks[i].name);
        if (s.d[i].local_sock == NULL || s.d[i].remote_sock == NULL)
            goto out;
        sockets[i] = s.d[i].remote_sock;
    }
    xml = a->make_xml(a->xml_arg, (const char *const *)sockets);
    cmd = xml ? command_text(&s) : NULL;
    if (xml == NULL || cmd == NULL ||
        remote_put(&s, "physical.xml", xml) == -1 ||
        remote_put(&s, "command", cmd) == -1)
        goto out;
    for (unsigned i = 0; i < a->ndisks; i++) {
        v2k_msg("Serving disk %s (%s) read-only over NBD", a->disks[i].name,
                a->disks[i].path);
        if (start_nbdkit(&s, i) == -1)
            goto out;
    }
    if (tunnel_up(&s) == -1)
        goto out;
    switch (remote_run(&s, "start", NULL)) {
    case 0:
        break;
    case -1:
        goto out;
    default:
        v2k_error("%s: cannot start the conversion in %s", s.ssh.where,
                  s.rdir);
        goto out;
    }
    v2k_msg("Converting on %s (run directory %s)", s.ssh.where, s.rdir);
    if (follower_start(&s) == -1 || supervise(&s) == -1)
        goto out;
    if (s.tty && s.plabel[0])
        putchar('\n');
    if (s.status != 0) {
        if (s.status == 127)
            v2k_error("%s: the command '%s' is not there (exit 127): install v2kvm on the host, or give --remote-v2kvm", s.ssh.where,
                      a->config->remote_v2kvm ? a->config->remote_v2kvm
                                              : "v2kvm");
        else if (s.last_error[0])
            v2k_error("%s: v2kvm failed: %s", s.ssh.where, s.last_error);
        else
            v2k_error("%s: v2kvm failed (exit %d): %s", s.ssh.where,
                      s.status, s.log_tail[0] ? s.log_tail : "see v2kvm.log in the run directory");
        if (s.rdir)
            v2k_debug("the host keeps its log in %s/v2kvm.log", s.rdir);
        goto out;
    }
    if (s.cuts)
        v2k_msg("The link was cut %u time%s and resumed", s.cuts,
                s.cuts == 1 ? "" : "s");
    v2k_msg("Done: %s converted on %s", a->guest_name, s.ssh.where);
    rc = 0;
out:
    follower_stop(&s);
    v2k_proc_stop(s.tunnel);
    for (unsigned i = 0; s.d && i < a->ndisks; i++) {
        v2k_proc_stop(s.d[i].nbdkit);
        free(s.d[i].local_sock);
        free(s.d[i].remote_sock);
    }
    if (s.ldir[0]) {
        /* Only what this run put there. */
        char *rm[] = { "rm", "-rf", "--", s.ldir, NULL };
        v2k_proc_run((const char *const *)rm, NULL, NULL, 0, NULL, NULL, 0,
                     30);
    }
    v2k_p2v_ssh_free(&s.ssh);
    free(s.d);
    free(s.line);
    free(sockets);
    free(s.rdir);
    free(xml);
    free(cmd);
    return rc;
}
