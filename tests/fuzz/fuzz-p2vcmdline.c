/* fuzz-p2vcmdline.c - libFuzzer target for the P2V client's reader of
 * the kernel command line of its boot image (p2v/config.h,
 * v2k_p2v_config_from_cmdline(), then v2k_p2v_config_check()), in the
 * static library v2k-p2v: the input is /proc/cmdline, as a
 * NUL-terminated copy.  A typo or a hostile line must give exactly one
 * error (error.h: a message, no newline), never a crash or a leak; the
 * config is freed whatever happened.  Besides any sanitizer report,
 * leak or timeout, these are bugs (abort()): a failure without a
 * message, or a message holding a newline (it would forge a line of
 * the client's output).
 */
#include "config.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_error(int rc)
{
    if (rc == 0)
        return;
    if (v2k_error_message()[0] == '\0')
        abort();                /* failed without saying why */
    if (strchr(v2k_error_message(), '\n') != NULL)
        abort();                /* a message of more than one line */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct v2k_p2v_config c;
    char *line = malloc(size + 1);
    unsigned n = 0;

    if (line == NULL)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    v2k_error_clear();
    v2k_p2v_config_init(&c);
    int rc = v2k_p2v_config_from_cmdline(&c, line, "fuzz", &n);
    check_error(rc);
    v2k_error_clear();
    check_error(v2k_p2v_config_check(&c));
    v2k_error_clear();
    v2k_p2v_config_free(&c);
    free(line);
    return 0;
}
