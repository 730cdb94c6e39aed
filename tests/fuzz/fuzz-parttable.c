/* fuzz-parttable.c - libFuzzer target for the partition table evidence
 * (model/parttable.h, v2k_pt_evidence(): the MBR, the GPT header and its
 * entries at the start of a source disk, read before the conversion to
 * choose BIOS or UEFI).  The input is the start of a disk.  Any sanitizer
 * report, leak or timeout is a bug; every field of the result is checked
 * to be in range.
 */
#include <stdlib.h>
#include <string.h>

#include "parttable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct v2k_pt_evidence ev;
    char words[200];
    /* a copy of exactly size bytes, so that ASan sees any read past it */
    uint8_t *buf = malloc(size ? size : 1);

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    v2k_pt_evidence(buf, size, &ev);
    if (ev.kind != V2K_PT_NONE && ev.kind != V2K_PT_MBR &&
        ev.kind != V2K_PT_GPT)
        abort();
    if (ev.esp < 0 || ev.bios_boot < 0 ||
        (ev.kind == V2K_PT_MBR && ev.esp > 4))
        abort();
    (void)v2k_pt_bios_capable(&ev);
    (void)v2k_pt_uefi_capable(&ev);
    v2k_pt_describe(&ev, words, sizeof words);
    if (strlen(words) >= sizeof words)
        abort();
    free(buf);
    return 0;
}
