/* accel.c - see accel.h. */
#include "accel.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The fallback probe guest, loaded by the BIOS at 0x7c00:
 *   mov al, 0x01 ; out 0xf4, al ; hlt ; jmp $-1
 * Writing v to isa-debug-exit (iobase 0xf4) makes qemu exit with status
 * (v << 1) | 1 = 3 (qemu docs, hw/misc/debugexit.c). */
static const unsigned char probe_code[] = { 0xb0, 0x01, 0xe6, 0xf4,
                                            0xf4, 0xeb, 0xfd };
#define PROBE_EXIT_STATUS 3

/* What the kernel probe waits for on the serial port: with no root
 * filesystem the kernel panics once its initialisation is done, and
 * panic=-1 turns that into a reset, which -no-reboot turns into qemu
 * exiting with status 0. */
#define KERNEL_PANIC_TEXT "Kernel panic"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static enum v2k_accel chosen = V2K_ACCEL_TCG;
static char reason[300];

const char *
v2k_accel_name(enum v2k_accel a)
{
    return a == V2K_ACCEL_KVM ? "kvm" : "tcg";
}

bool
v2k_accel_kernel(char *buf, size_t len)
{
    const char *env = getenv("SUPERMIN_KERNEL");
    DIR *d;
    struct dirent *e;
    char best[256] = "";

    if (env && *env) {
        if (access(env, R_OK) == -1 || strlen(env) >= len)
            return false;
        snprintf(buf, len, "%s", env);
        return true;
    }
    d = opendir("/boot");
    if (!d)
        return false;
    while ((e = readdir(d)) != NULL) {
        char path[300];
        if (strncmp(e->d_name, "vmlinuz-", 8) != 0 ||
            strlen(e->d_name) >= sizeof best)
            continue;
        snprintf(path, sizeof path, "/boot/%s", e->d_name);
        if (access(path, R_OK) == -1)
            continue;
        if (!best[0] || strverscmp(e->d_name, best) > 0)
            snprintf(best, sizeof best, "%s", e->d_name);
    }
    closedir(d);
    if (!best[0] || strlen("/boot/") + strlen(best) >= len)
        return false;
    snprintf(buf, len, "/boot/%s", best);
    return true;
}

static int
write_probe_sector(char *path)
{
    unsigned char sector[512] = { 0 };
    int fd = mkstemp(path);
    ssize_t w;

    if (fd == -1)
        return -1;
    memcpy(sector, probe_code, sizeof probe_code);
    sector[510] = 0x55;                 /* boot signature */
    sector[511] = 0xaa;
    w = write(fd, sector, sizeof sector);
    close(fd);
    return w == (ssize_t)sizeof sector ? 0 : -1;
}

/* Does the serial log at path hold the kernel's panic? */
static bool
log_has_panic(const char *path)
{
    enum { LOG_MAX = 256 * 1024 };      /* loglevel=4: a few KiB */
    char *buf = malloc(LOG_MAX);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = -1;
    bool found = false;

    if (buf && fd != -1)
        n = read(fd, buf, LOG_MAX);
    if (n > 0)
        found = memmem(buf, (size_t)n, KERNEL_PANIC_TEXT,
                       strlen(KERNEL_PANIC_TEXT)) != NULL;
    if (fd != -1)
        close(fd);
    free(buf);
    return found;
}

bool
v2k_accel_try(const char *accel, double timeout_s, char *why, size_t whylen)
{
    char path[] = "/tmp/v2k-accel-probe-XXXXXX";
    char kernel[256], arg[sizeof path + 32];
    bool use_kernel = v2k_accel_kernel(kernel, sizeof kernel);
    const char *cpu = strcmp(accel, "kvm") == 0 ? "host" : "max";
    const char *what = use_kernel ? "the probe kernel" : "the probe guest";
    pid_t pid;
    int status = 0;
    double start;
    bool ok = false;

    if (use_kernel) {
        int fd = mkstemp(path);
        if (fd == -1) {
            snprintf(why, whylen, "cannot create the probe's serial log: %s",
                     strerror(errno));
            return false;
        }
        close(fd);
        snprintf(arg, sizeof arg, "file:%s", path);
    } else {
        if (write_probe_sector(path) == -1) {
            snprintf(why, whylen, "cannot write the probe image: %s",
                     strerror(errno));
            unlink(path);
            return false;
        }
        snprintf(arg, sizeof arg, "file=%s,format=raw,if=ide", path);
    }
    start = v2k_now();
    pid = fork();
    if (pid == -1) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        unlink(path);
        return false;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        if (use_kernel)
            execlp("qemu-system-x86_64", "qemu-system-x86_64",
                   "-accel", accel, "-cpu", cpu, "-display", "none",
                   "-nodefaults", "-no-user-config", "-m", "256",
                   "-no-reboot", "-kernel", kernel,
                   "-append", "console=ttyS0 panic=-1 loglevel=4",
                   "-serial", arg, (char *)NULL);
        else
            execlp("qemu-system-x86_64", "qemu-system-x86_64",
                   "-accel", accel, "-display", "none", "-nodefaults",
                   "-no-user-config", "-m", "16",
                   "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                   "-drive", arg, (char *)NULL);
        _exit(127);
    }
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r == -1 && errno != EINTR) {
            snprintf(why, whylen, "waitpid: %s", strerror(errno));
            goto out;
        }
        if (v2k_now() - start > timeout_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            snprintf(why, whylen, "%s (%s) hung for %.1f s", what,
                     use_kernel ? kernel : "a boot sector", timeout_s);
            goto out;
        }
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        snprintf(why, whylen, "qemu-system-x86_64 could not be run");
    } else if (use_kernel && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
               log_has_panic(path)) {
        snprintf(why, whylen, "%s (%s) ran to its end in %.2f s", what,
                 kernel, v2k_now() - start);
        ok = true;
    } else if (!use_kernel && WIFEXITED(status) &&
               WEXITSTATUS(status) == PROBE_EXIT_STATUS) {
        snprintf(why, whylen, "%s (a boot sector; no readable "
                 "/boot/vmlinuz-*) answered in %.2f s", what,
                 v2k_now() - start);
        ok = true;
    } else if (use_kernel && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        snprintf(why, whylen, "%s (%s) stopped before its end", what, kernel);
    } else if (WIFEXITED(status)) {
        snprintf(why, whylen, "qemu exited with status %d",
                 WEXITSTATUS(status));
    } else {
        snprintf(why, whylen, "qemu was killed by signal %d",
                 WTERMSIG(status));
    }
out:
    unlink(path);
    return ok;
}

static void
probe(void)
{
    const char *env = getenv("V2K_ACCEL");
    char why[240];

    if (env && strcmp(env, "tcg") == 0) {
        chosen = V2K_ACCEL_TCG;
        snprintf(reason, sizeof reason, "V2K_ACCEL=tcg");
    } else if (env && strcmp(env, "kvm") == 0) {
        chosen = V2K_ACCEL_KVM;
        snprintf(reason, sizeof reason, "V2K_ACCEL=kvm");
    } else if (access("/dev/kvm", R_OK | W_OK) == -1) {
        chosen = V2K_ACCEL_TCG;
        snprintf(reason, sizeof reason, "/dev/kvm: %s", strerror(errno));
    } else if (v2k_accel_try("kvm", V2K_ACCEL_PROBE_TIMEOUT_S, why, sizeof why)) {
        chosen = V2K_ACCEL_KVM;
        snprintf(reason, sizeof reason, "%s", why);
    } else {
        chosen = V2K_ACCEL_TCG;
        snprintf(reason, sizeof reason, "/dev/kvm does not run a guest: %s",
                 why);
    }
    v2k_debug("accelerator: %s (%s)", v2k_accel_name(chosen), reason);
}

enum v2k_accel
v2k_accel_get(void)
{
    pthread_once(&once, probe);
    return chosen;
}

const char *
v2k_accel_reason(void)
{
    pthread_once(&once, probe);
    return reason;
}
