/* fuzz-cpio.c - libFuzzer target for the initramfs reader
 * (drivers-inject/linux/initramfs.c, v2k_linux_list_initramfs():
 * concatenated newc cpio archives, the later ones compressed and read
 * through the host's zcat, xzcat, ...).  The input is written to a file
 * and listed.  Any sanitizer report, leak, timeout or over-limit
 * allocation is a bug: a bad image must fail with a message.
 */
#include "error.h"
#include "linux-internal.h"

#include "fuzz-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *img = fuzz_write("initrd.img", data, size);
    char **names = NULL;
    size_t n = 0;

    if (v2k_linux_list_initramfs(img, "fuzz-input", &names, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
    }
    v2k_error_clear();
    return 0;
}
