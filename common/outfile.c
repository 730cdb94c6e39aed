/* outfile.c - see outfile.h. */
#include "outfile.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_OUTFILES 512
#define MAX_SOURCES 1024        /* a VMDK may have hundreds of extents */

volatile sig_atomic_t v2k_interrupted;
static char *outfiles[MAX_OUTFILES];

static struct {
    dev_t dev;
    ino_t ino;
    char *name;                 /* owned, the first name it was opened by */
} sources[MAX_SOURCES];
static size_t nsources;
static pthread_mutex_t sources_lock = PTHREAD_MUTEX_INITIALIZER;

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

void
v2k_outfile_note_source(dev_t dev, ino_t ino, const char *name)
{
    pthread_mutex_lock(&sources_lock);
    for (size_t i = 0; i < nsources; i++) {
        if (sources[i].dev == dev && sources[i].ino == ino) {
            pthread_mutex_unlock(&sources_lock);
            return;
        }
    }
    if (nsources < MAX_SOURCES) {
        sources[nsources].name = strdup(name);
        if (sources[nsources].name) {
            sources[nsources].dev = dev;
            sources[nsources].ino = ino;
            nsources++;
        }
    }
    pthread_mutex_unlock(&sources_lock);
}

int
v2k_outfile_check_not_source(const char *path)
{
    struct stat st;
    int r = 0;

    /* stat follows symlinks: a link to a source is the source. */
    if (stat(path, &st) == -1)
        return 0;
    pthread_mutex_lock(&sources_lock);
    for (size_t i = 0; i < nsources; i++) {
        if (sources[i].dev == st.st_dev && sources[i].ino == st.st_ino) {
            v2k_error("%s: output is the source file %s (the same file; choose another output name)", path, sources[i].name);
            r = -1;
            break;
        }
    }
    pthread_mutex_unlock(&sources_lock);
    return r;
}

int
v2k_outfile_commit(const char *tmp, const char *final, int overwrite)
{
    int r;

    if (v2k_outfile_check_not_source(final) == -1)
        return -1;

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
