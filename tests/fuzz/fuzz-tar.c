/* fuzz-tar.c - libFuzzer target for the tar walker (an OVA's members,
 * formats/transport-archive.c) through its public API in transport.h:
 * the input is written to a file, listed with v2k_archive_list(), and
 * each of the first members is opened with v2k_transport_archive_open()
 * and read at its start and end, as -i ova does.  Any sanitizer report,
 * leak, timeout or allocation over libFuzzer's malloc limit is a bug:
 * a bad archive must fail with a message, never crash.
 */
#include "error.h"
#include "transport.h"

#include "fuzz-file.h"

#define MAX_OPEN 8                  /* members opened per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *tar = fuzz_write("input.ova", data, size);
    struct v2k_archive_member *m = NULL;
    size_t n = 0;
    unsigned char buf[512];

    if (v2k_archive_list(tar, &m, &n) == 0) {
        for (size_t i = 0; i < n && i < MAX_OPEN; i++) {
            struct v2k_transport *t;
            size_t k;

            t = v2k_transport_archive_open(tar, m[i].name);
            if (t == NULL)
                continue;
            k = t->size < sizeof buf ? (size_t)t->size : sizeof buf;
            v2k_transport_pread(t, buf, k, 0);
            v2k_transport_pread(t, buf, k, t->size - k);
            v2k_transport_close(t);
        }
        v2k_archive_members_free(m, n);
    }
    v2k_error_clear();
    return 0;
}
