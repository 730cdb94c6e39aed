/* fuzz-file.h - for fuzz targets whose parser reads a file by name (the
 * tar walker, the cpio reader, the OVA manifest): the input written to
 * a file in a private scratch directory made on the first call under
 * $TMPDIR (default /tmp) and removed at exit with what it holds.
 * Static functions: each target includes this once.
 */
#ifndef V2K_FUZZ_FILE_H
#define V2K_FUZZ_FILE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[4096];

static void
fuzz_dir_remove(void)
{
    char cmd[4200];

    if (fuzz_dir[0] == '\0')
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_dir);
}

/* The scratch directory (made once). */
static const char *
fuzz_scratch(void)
{
    if (fuzz_dir[0] == '\0') {
        const char *t = getenv("TMPDIR");

        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/v2k-fuzz.XXXXXX",
                 t && *t ? t : "/tmp");
        if (mkdtemp(fuzz_dir) == NULL) {
            perror(fuzz_dir);
            abort();        /* the host, not a finding */
        }
        atexit(fuzz_dir_remove);
    }
    return fuzz_dir;
}

/* Write size bytes to NAME in the scratch directory (replacing it);
 * its path, in a static buffer. */
static const char *
fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    static char path[4200];
    int fd;

    snprintf(path, sizeof path, "%s/%s", fuzz_scratch(), name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1 || (size && write(fd, data, size) != (ssize_t)size) ||
        close(fd) == -1) {
        perror(path);
        abort();
    }
    return path;
}

#endif
