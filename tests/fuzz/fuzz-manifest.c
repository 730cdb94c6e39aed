/* fuzz-manifest.c - libFuzzer target for the OVA manifest check
 * (converters/inputs/ova.c, v2k_ova_check_manifest_dir()): the input is
 * pkg.mf in a directory package holding pkg.ovf and the files the
 * seeds name (mkseeds.sh manifest makes the same files and their
 * digests), so that matching, mismatching and missing files are all
 * reached.  Odd-sized inputs are checked with -io ova-ignore-manifest.
 * Any sanitizer report, leak, timeout or over-limit allocation is a
 * bug: a bad manifest must fail with a message naming its line.
 */
#include "error.h"
#include "inputs-internal.h"

#include "fuzz-file.h"

#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The package's files: keep in step with seeds_manifest in mkseeds.sh. */
static void
make_package(void)
{
    static const char ovf[] = "<Envelope/>\n";
    static const char disk1[] = "disk one\n";
    char sub[4200];

    fuzz_write("pkg.ovf", (const uint8_t *)ovf, sizeof ovf - 1);
    fuzz_write("disk1.vmdk", (const uint8_t *)disk1, sizeof disk1 - 1);
    fuzz_write("empty.img", NULL, 0);
    snprintf(sub, sizeof sub, "%s/sub", fuzz_scratch());
    if (mkdir(sub, 0700) == -1)
        abort();            /* the host, not a finding */
    fuzz_write("sub/disk2.vmdk", (const uint8_t *)disk1, sizeof disk1 - 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool made;

    if (!made) {
        make_package();
        made = true;
    }
    fuzz_write("pkg.mf", data, size);
    v2k_ova_check_manifest_dir(fuzz_scratch(), "pkg.ovf", size % 2 == 1);
    v2k_error_clear();
    return 0;
}
