/* fuzz-fatdir.c - libFuzzer target for the EFI system partition reader
 * (model/fatdir.h, v2k_fat_find_loader(): a FAT12/16/32 boot sector, its
 * FATs and the directories \ and \EFI\*, read before the conversion to
 * tell whether the ESP starts anything).  The input is the start of a
 * 64 MiB volume; the rest reads as zeros, so FAT16/32 seeds (whose FATs
 * alone are larger than a fuzz input) fit.  Any sanitizer report, leak
 * or timeout is a bug; a read past the volume, an answer out of range or
 * a loader path that is not "\EFI\X\Y.EFI" aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "fatdir.h"

#define VOLUME ((uint64_t)64 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
    const uint8_t *b;
    size_t len;
};

static int
in_read(void *opaque, void *buf, size_t len, uint64_t off)
{
    const struct in *in = opaque;
    size_t have = 0;

    if (off > VOLUME || VOLUME - off < len)
        abort();                        /* never past the size given */
    if (off < in->len)
        have = in->len - off < len ? in->len - (size_t)off : len;
    if (have)
        memcpy(buf, in->b + off, have);
    memset((uint8_t *)buf + have, 0, len - have);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy of exactly size bytes, so that ASan sees any read past it */
    uint8_t *buf = malloc(size ? size : 1);
    struct in in = { buf, size };
    char loader[48];
    int r;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    r = v2k_fat_find_loader(in_read, &in, VOLUME, loader, sizeof loader);
    if (r != V2K_ESP_NOT_FAT && r != V2K_ESP_NO_LOADER &&
        r != V2K_ESP_LOADER)
        abort();
    if (strlen(loader) >= sizeof loader ||
        (r == V2K_ESP_LOADER) != (strncmp(loader, "\\EFI\\", 5) == 0) ||
        (r == V2K_ESP_LOADER &&
         strcmp(loader + strlen(loader) - 4, ".EFI") != 0))
        abort();
    free(buf);
    return 0;
}
