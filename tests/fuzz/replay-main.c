/* replay-main.c - a main() for the fuzz targets in builds without
 * libFuzzer (gcc, the normal and the sanitizer builds): each argument
 * that is a file, or each file in an argument that is a directory, is
 * read whole and given to LLVMFuzzerTestOneInput() once.  Arguments
 * starting with '-' (libFuzzer's options, so replay-corpus.sh runs
 * either program alike) are ignored.  A crash or a sanitizer report
 * is the failure; 0 when every input ran.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run one file; -1 when it cannot be read. */
static int
run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (fp == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    do {
        if (cap - len < 65536) {
            uint8_t *nb = realloc(buf, cap + (1U << 20));
            if (nb == NULL) {
                fprintf(stderr, "replay: %s: out of memory\n", path);
                free(buf);
                fclose(fp);
                return -1;
            }
            buf = nb;
            cap += 1U << 20;
        }
        n = fread(buf + len, 1, cap - len, fp);
        len += n;
    } while (n > 0);
    if (ferror(fp)) {
        fprintf(stderr, "replay: %s: read error\n", path);
        free(buf);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    /* A copy of exactly len bytes, so that ASan sees reads past it. */
    {
        uint8_t *exact = malloc(len ? len : 1);
        if (exact == NULL) {
            free(buf);
            return -1;
        }
        memcpy(exact, buf, len);
        free(buf);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    size_t count = 0;
    int bad = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;

        if (argv[i][0] == '-')
            continue;
        if (stat(argv[i], &st) == -1) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            bad = 1;
        } else if (S_ISDIR(st.st_mode)) {
            struct dirent **e;
            int n = scandir(argv[i], &e, NULL, alphasort);

            if (n < 0) {
                fprintf(stderr, "replay: %s: %s\n", argv[i],
                        strerror(errno));
                bad = 1;
                continue;
            }
            for (int j = 0; j < n; j++) {
                char path[4096];

                snprintf(path, sizeof path, "%s/%s", argv[i], e[j]->d_name);
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                    if (run_file(path) == -1)
                        bad = 1;
                    else
                        count++;
                }
                free(e[j]);
            }
            free(e);
        } else if (run_file(argv[i]) == -1) {
            bad = 1;
        } else {
            count++;
        }
    }
    printf("replay: %zu input(s) ran\n", count);
    return bad;
}
