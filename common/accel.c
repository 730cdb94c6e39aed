/* accel.c - see accel.h. */
#include "accel.h"
#include "log.h"
#include "util.h"

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

/* The probe guest, loaded by the BIOS at 0x7c00:
 *   mov al, 0x01 ; out 0xf4, al ; hlt ; jmp $-1
 * Writing v to isa-debug-exit (iobase 0xf4) makes qemu exit with status
 * (v << 1) | 1 = 3 (qemu docs, hw/misc/debugexit.c). */
static const unsigned char probe_code[] = { 0xb0, 0x01, 0xe6, 0xf4,
                                            0xf4, 0xeb, 0xfd };
#define PROBE_EXIT_STATUS 3

static pthread_once_t once = PTHREAD_ONCE_INIT;
static enum v2k_accel chosen = V2K_ACCEL_TCG;
static char reason[256];

const char *
v2k_accel_name(enum v2k_accel a)
{
    return a == V2K_ACCEL_KVM ? "kvm" : "tcg";
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

bool
v2k_accel_try(const char *accel, double timeout_s, char *why, size_t whylen)
{
    char path[] = "/tmp/v2k-accel-probe-XXXXXX";
    char drive[sizeof path + 32];
    pid_t pid;
    int status = 0;
    double start;
    bool ok = false;

    if (write_probe_sector(path) == -1) {
        snprintf(why, whylen, "cannot write the probe image: %s",
                 strerror(errno));
        return false;
    }
    snprintf(drive, sizeof drive, "file=%s,format=raw,if=ide",
             path);
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
        execlp("qemu-system-x86_64", "qemu-system-x86_64", "-accel", accel,
               "-display", "none", "-nodefaults", "-no-user-config",
               "-m", "16", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
               "-drive", drive, (char *)NULL);
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
            snprintf(why, whylen, "the probe guest hung for %.1f s",
                     timeout_s);
            goto out;
        }
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_EXIT_STATUS) {
        snprintf(why, whylen, "the probe guest answered in %.2f s",
                 v2k_now() - start);
        ok = true;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        snprintf(why, whylen, "qemu-system-x86_64 could not be run");
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
    char why[200];

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
