/* fuzz-plan.c - libFuzzer target for the batch plan parser
 * (batch/plan.h, v2k_plan_parse_buffer()): untrusted YAML that becomes
 * a struct v2k_plan.  Relative file names are resolved against a
 * directory that does not exist, so the file checks fail with their
 * message like any other error (absolute names are only stat()ed).
 *
 * A plan that comes out has each VM's v2kvm command line built, as run
 * will.  Besides any sanitizer report, leak or timeout, these are bugs
 * (abort()): a diagnostic that does not start with the plan's name, a
 * failure with no error counted, success with an error counted, and a
 * command line without "--" before its sources.
 */
#include "error.h"
#include "plan.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NAME "fuzz.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct v2k_plan *p = NULL;
    struct v2k_plan_diags d;
    int r = v2k_plan_parse_buffer((const char *)data, size, NAME,
                                  "/nonexistent-v2k-fuzz", &p, &d);

    for (size_t i = 0; i < d.nlines; i++)
        if (strncmp(d.lines[i], NAME ":", strlen(NAME ":")) != 0)
            abort();
    if ((r == 0) != (d.nerrors == 0) || (r == 0) != (p != NULL))
        abort();
    for (size_t i = 0; p && i < p->nvms; i++) {
        char **av = v2k_plan_vm_argv(p, &p->vms[i], "v2kvm");
        bool dashes = false;

        for (size_t j = 0; av && av[j]; j++)
            dashes |= strcmp(av[j], "--") == 0;
        if (av && !dashes)
            abort();
        v2k_strv_free(av);
    }
    v2k_plan_diags_free(&d);
    v2k_plan_free(p);
    v2k_error_clear();
    return 0;
}
