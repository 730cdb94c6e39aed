/* fuzz-parser.c - libFuzzer targets for the configuration parsers (.vmx,
 * OVF, ...): untrusted text that becomes a struct v2k_source.
 *
 * Compiled once per row of the table below with -DV2K_FUZZ_PARSER="vmx"
 * (fuzz-vmx, ...).  tests/fuzz/CMakeLists.txt reads the rows from this
 * file, so adding a parser is one line here: its name, a glob of seed
 * files under tests/data, and an entry point with the shape of
 * v2k_vmx_parse_buffer() (inputs-internal.h: a buffer in, a new source
 * or NULL with an error out, touching no file and no network).  An
 * optional NAME.dict beside this file holds its keywords.
 *
 * Each input is parsed; a source that comes out is validated and
 * printed as JSON (to /dev/null), as --print-source would.  Any
 * sanitizer report, leak, timeout or over-limit allocation is a bug:
 * bad input must fail with a message, never crash.
 */
#include "error.h"
#include "inputs-internal.h"
#include "source.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct v2k_source *parse_fn(const char *buf, size_t len,
                                    const char *name);

static const struct parser {
    const char *name;       /* the target is fuzz-NAME */
    const char *seeds;      /* glob under tests/data */
    parse_fn *parse;
} parsers[] = {
    { "vmx", "vmx/*.vmx", v2k_vmx_parse_buffer },
    { "ovf", "ova/*.ovf", v2k_ovf_parse_buffer },
    { "xen", "xen/*.cfg", v2k_xen_parse_buffer },
    { "vbox", "vbox/*.vbox", v2k_vbox_parse_buffer },
    { "libvirtxml", "libvirt/*.xml", v2k_libvirtxml_parse_buffer },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct parser *p;
    static FILE *devnull;
    struct v2k_source *s;

    if (p == NULL) {
        for (size_t i = 0; i < sizeof parsers / sizeof parsers[0]; i++)
            if (strcmp(parsers[i].name, V2K_FUZZ_PARSER) == 0)
                p = &parsers[i];
        devnull = fopen("/dev/null", "w");
        if (p == NULL || devnull == NULL)
            abort();        /* a build mistake, not a finding */
    }
    s = p->parse((const char *)data, size, "fuzz-input");
    if (s != NULL) {
        if (v2k_source_validate(s) == 0)
            v2k_source_print_json(s, devnull);
        v2k_source_free(s);
    }
    v2k_error_clear();
    return 0;
}
