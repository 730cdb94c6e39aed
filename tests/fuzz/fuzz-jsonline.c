/* fuzz-jsonline.c - libFuzzer target for the P2V client's reader of the
 * JSON lines v2kvm --machine-readable sends back from the conversion
 * host (common/jsonline.h, v2k_jsonline_str() and v2k_jsonline_num()), in
 * the static library v2k-p2v: the input is one line as it crossed the
 * network, given as a NUL-terminated copy (session.c cuts lines at
 * '\n' and NUL-terminates them; an embedded NUL just ends the line).
 *
 * Each line is asked for the members session.c asks for and a few
 * others, into heap buffers of exactly 1, 5, 32, 64 and 1024 bytes (so
 * that ASan sees a byte written past one).  Besides any sanitizer
 * report, leak or timeout, these are bugs (abort()): a string found
 * whose copy is not NUL-terminated inside its buffer, and a member that
 * reads both as a string and as a number.  v2k_jsonline_nums() (the
 * result line's "disks", read by v2kvm-batch) is asked for every key
 * too, into a heap array of exactly 4: more than 4 numbers found, or a
 * member that reads as a string and as an array, is a bug.  So is, for
 * v2kvm-batch inspect's v2k_jsonline_raw() and v2k_jsonline_each(), a
 * member's text or an element longer than the line.
 */
#include "jsonline.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
element(void *ctx, const char *el)
{
    if (strlen(el) > *(const size_t *)ctx)
        abort();                /* more than the line */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {
        "type", "label", "done", "total", "time", "message", "disks", "",
        "mountpoints", "kernels",
    };
    static const size_t lens[] = { 1, 5, 32, 64, 1024 };
    char *line = malloc(size + 1);

    if (line == NULL)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        bool str = false;
        double v;

        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            char *buf = malloc(lens[i]);

            if (buf == NULL)
                abort();        /* the host, not a finding */
            if (v2k_jsonline_str(line, keys[k], buf, lens[i])) {
                str = true;
                if (memchr(buf, '\0', lens[i]) == NULL)
                    abort();    /* an unterminated copy */
            }
            free(buf);
        }
        if (v2k_jsonline_num(line, keys[k], &v) && str)
            abort();            /* one member, two types */
        {
            double *nums = malloc(4 * sizeof *nums);
            int n;

            if (nums == NULL)
                abort();
            n = v2k_jsonline_nums(line, keys[k], nums, 4);
            if (n > 4 || (n >= 0 && str))
                abort();
            free(nums);
        }
        {
            char *raw = v2k_jsonline_raw(line, keys[k]);

            if (raw && strlen(raw) > size)
                abort();
            if (raw)
                v2k_jsonline_each(raw, element, &size);
            free(raw);
        }
    }
    v2k_jsonline_each(line, element, &size);
    free(line);
    return 0;
}
