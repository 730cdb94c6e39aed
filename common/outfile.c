/* outfile.c - see outfile.h. */
#include "outfile.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_OUTFILES 512

volatile sig_atomic_t v2k_interrupted;
static char *outfiles[MAX_OUTFILES];

static void
handler(int sig)
{
    if (v2k_interrupted) {
        /* Second signal: the user insists.  unlink and _exit are
         * async-signal-safe. */
        for (int i = 0; i < MAX_OUTFILES; i++)
            if (outfiles[i])
                unlink(outfiles[i]);
        _exit(128 + sig);
    }
    v2k_interrupted = sig;
}

void
v2k_signals_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int
v2k_check_interrupted(void)
{
    if (v2k_interrupted) {
        v2k_error("interrupted by signal %d", (int)v2k_interrupted);
        return -1;
    }
    return 0;
}

int
v2k_outfile_register(const char *path)
{
    for (int i = 0; i < MAX_OUTFILES; i++) {
        if (outfiles[i] == NULL) {
            outfiles[i] = strdup(path);
            if (outfiles[i] == NULL) {
                v2k_error("out of memory");
                return -1;
            }
            return 0;
        }
    }
    v2k_error("%s: too many output files", path);
    return -1;
}

void
v2k_outfile_forget(const char *path)
{
    for (int i = 0; i < MAX_OUTFILES; i++) {
        if (outfiles[i] && strcmp(outfiles[i], path) == 0) {
            char *p = outfiles[i];
            outfiles[i] = NULL;
            free(p);
        }
    }
}

void
v2k_outfile_remove_all(void)
{
    for (int i = 0; i < MAX_OUTFILES; i++) {
        if (outfiles[i]) {
            char *p = outfiles[i];
            outfiles[i] = NULL;
            unlink(p);
            free(p);
        }
    }
}

int
v2k_outfile_commit(const char *tmp, const char *final, int overwrite)
{
    int r;

    if (overwrite)
        r = rename(tmp, final);
    else
        r = renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE);
    if (r == -1 && errno == EINVAL && !overwrite) {
        /* A filesystem without RENAME_NOREPLACE: link() also refuses to
         * replace an existing name. */
        r = link(tmp, final);
        if (r == 0)
            unlink(tmp);
    }
    if (r == -1) {
        if (errno == EEXIST)
            v2k_error("%s: output already exists (use --overwrite)", final);
        else
            v2k_error_errno(errno, "rename %s to %s", tmp, final);
        return -1;
    }
    v2k_outfile_forget(tmp);
    return 0;
}
