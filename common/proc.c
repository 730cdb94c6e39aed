/* proc.c - child processes (proc.h). */
#include "proc.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int
status_of(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

pid_t
v2k_proc_spawn(const char *const *argv, const char *const *env, int in_fd,
               int out_fd, int err_fd)
{
    pid_t parent = getpid();
    pid_t pid = fork();

    if (pid == -1) {
        v2k_error_errno(errno, "%s: fork", argv[0]);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        int fds[3] = { in_fd, out_fd, err_fd };

        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        for (int i = 0; i < 3; i++) {
            int fd = fds[i] >= 0 ? fds[i] : null;
            if (fd != i && dup2(fd, i) == -1)
                _exit(127);
            if (fd == i)
                fcntl(i, F_SETFD, 0);
        }
        signal(SIGPIPE, SIG_DFL);
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

void
v2k_proc_stop(pid_t pid)
{
    int st;

    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 200; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r == -1 && errno != EINTR))
            return;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
        ;
}

int
v2k_proc_poll(pid_t pid, int *status)
{
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);

    if (r == 0)
        return 0;
    if (r == -1)
        return -1;
    if (status)
        *status = status_of(st);
    return 1;
}

/* Append what fd has to buf (kept up to max bytes; the rest read and
 * dropped).  false at end of file. */
static bool
drain(int fd, char **buf, size_t *len, size_t max)
{
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof tmp);

    if (n == -1 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    if (buf && *len < max) {
        size_t k = (size_t)n < max - *len ? (size_t)n : max - *len;
        char *b = realloc(*buf, *len + k + 1);
        if (b) {
            memcpy(b + *len, tmp, k);
            *len += k;
            b[*len] = '\0';
            *buf = b;
        }
    }
    return true;
}

int
v2k_proc_run(const char *const *argv, const char *const *env, const char *in,
             size_t len, char **out, char **err, size_t max,
             unsigned timeout_s)
{
    int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
    size_t olen = 0, elen = 0, sent = 0;
    double deadline = timeout_s ? v2k_now() + timeout_s : 0;
    bool oopen = true, eopen = true;
    pid_t pid;
    int st = -1;

    if (out)
        *out = NULL;
    if (err)
        *err = NULL;
    if (pipe2(pin, O_CLOEXEC) == -1 || pipe2(pout, O_CLOEXEC) == -1 ||
        pipe2(perr, O_CLOEXEC) == -1) {
        v2k_error_errno(errno, "%s: pipe", argv[0]);
        goto fail;
    }
    pid = v2k_proc_spawn(argv, env, pin[0], pout[1], perr[1]);
    if (pid == -1)
        goto fail;
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    pin[0] = pout[1] = perr[1] = -1;
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
    if (in == NULL || len == 0) {
        close(pin[1]);
        pin[1] = -1;
    }
    while (oopen || eopen || pin[1] >= 0) {
        struct pollfd p[3] = {
            { .fd = oopen ? pout[0] : -1, .events = POLLIN },
            { .fd = eopen ? perr[0] : -1, .events = POLLIN },
            { .fd = pin[1], .events = POLLOUT },
        };
        int ms = 1000;

        if (deadline) {
            double left = deadline - v2k_now();
            if (left <= 0) {
                v2k_proc_stop(pid);
                v2k_error("%s: no answer in %u s", argv[0], timeout_s);
                goto fail_reaped;
            }
            ms = left < 1 ? (int)(left * 1000) + 1 : 1000;
        }
        if (poll(p, 3, ms) == -1 && errno != EINTR)
            break;
        if (p[0].revents && !drain(pout[0], out, &olen, max))
            oopen = false;
        if (p[1].revents && !drain(perr[0], err, &elen, max))
            eopen = false;
        if (p[2].revents) {
            ssize_t n = (p[2].revents & POLLOUT)
                            ? write(pin[1], in + sent, len - sent) : -1;
            if (n > 0)
                sent += (size_t)n;
            if (n == -1 && errno == EAGAIN)
                continue;
            if (n <= 0 || sent == len) {
                close(pin[1]);
                pin[1] = -1;
            }
        }
    }
    while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
        ;
    st = status_of(st);
fail_reaped:
fail:
    for (int i = 0; i < 2; i++) {
        if (pin[i] >= 0)
            close(pin[i]);
        if (pout[i] >= 0)
            close(pout[i]);
        if (perr[i] >= 0)
            close(perr[i]);
    }
    if (out && *out == NULL)
        *out = v2k_strdup("");
    if (err && *err == NULL)
        *err = v2k_strdup("");
    return st;
}

const char *
v2k_proc_last_line(const char *text, char *buf, size_t len)
{
    const char *end = text + strlen(text);

    buf[0] = '\0';
    while (end > text) {
        const char *e = end, *s;
        while (e > text && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
            e--;
        s = e;
        while (s > text && s[-1] != '\n')
            s--;
        if (e > s) {
            snprintf(buf, len, "%.*s", (int)(e - s), s);
            return buf;
        }
        end = s;
        if (end > text)
            end--;
    }
    return buf;
}
