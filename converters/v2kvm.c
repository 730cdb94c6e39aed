/* v2kvm - convert a virtual or physical machine to KVM.  The thin main:
 * parse options, run the pipeline, choose the exit code (documented in
 * v2kvm(1)): 0 success, 1 failure, 2 usage error, 128+N on signal N. */
#include "error.h"
#include "json.h"
#include "linux.h"
#include "windows.h"
#include "log.h"
#include "options.h"
#include "outfile.h"
#include "pipeline.h"

#include <libxml/parser.h>
#include <stdio.h>

/* The rewrite step tables per OS family (drivers-inject/convert.h). */
static const struct {
    const char *family;
    const struct v2k_step *steps;
} step_tables[] = {
    { "linux", v2k_linux_steps },
    { "windows", v2k_windows_steps },
};

/* One row of a --list-*: "NAME  TEXT" aligned, or with
 * --machine-readable a JSON line {"type":TYPE,"name":...,KEY:TEXT}
 * (plus "os" and "order" for steps), as the other JSON lines. */
static void
list_row(bool json, const char *type, const char *name, const char *key,
         const char *text, const char *family, int order)
{
    struct v2k_json *j;

    if (!json) {
        printf("%-13s %s\n", name, text);
        return;
    }
    j = v2k_log_json_begin(type);
    if (j == NULL)
        return;
    v2k_json_kv_string(j, "name", name);
    if (family) {
        v2k_json_kv_string(j, "os", family);
        v2k_json_kv_int(j, "order", order);
    }
    v2k_json_kv_string(j, key, text);
    v2k_log_json_end(j);
}

/* --list-inputs, --list-outputs, --list-steps: straight from the tables
 * that --help, the "unknown mode" errors and the conversion use. */
static void
print_list(enum v2k_list what, bool json)
{
    const struct v2k_input *const *in = v2k_inputs();
    const struct v2k_output *const *out = v2k_outputs();

    switch (what) {
    case V2K_LIST_INPUTS:
        for (size_t i = 0; in[i]; i++)
            list_row(json, "input", in[i]->name, "help", in[i]->help, NULL, 0);
        break;
    case V2K_LIST_OUTPUTS:
        for (size_t i = 0; out[i]; i++)
            list_row(json, "output", out[i]->name, "help", out[i]->help,
                     NULL, 0);
        break;
    case V2K_LIST_STEPS:
        for (size_t t = 0; t < sizeof step_tables / sizeof step_tables[0];
             t++) {
            const struct v2k_step *st = step_tables[t].steps;
            if (!json)
                printf("%s:\n", step_tables[t].family);
            for (size_t i = 0; st[i].name; i++) {
                if (!json)
                    printf("  ");
                list_row(json, "step", st[i].name, "heading", st[i].heading,
                         step_tables[t].family, (int)i + 1);
            }
        }
        break;
    case V2K_LIST_NONE:
        break;
    }
}

int
main(int argc, char **argv)
{
    struct v2k_options o;
    int r;

    v2k_log_init("v2kvm", 0, false, false, false);
    r = v2k_options_parse(argc, argv, &o);
    if (r == 1) {
        v2k_options_free(&o);
        return 0;
    }
    if (r == 0 && o.list != V2K_LIST_NONE) {
        print_list(o.list, o.machine_readable);
        v2k_options_free(&o);
        return 0;
    }
    if (r == 0)
        r = v2k_pipeline_check_modes(&o);
    if (r == -1) {
        v2k_log_error(v2k_error_message());
        fprintf(stderr, "Try 'v2kvm --help'.\n");
        v2k_options_free(&o);
        return 2;
    }
    v2k_log_init("v2kvm", o.verbose, o.quiet, o.machine_readable, o.trace);
    v2k_signals_install();
    xmlInitParser();

    r = v2k_pipeline_run(&o);
    if (r == -1)
        v2k_log_error(v2k_error_message());
    v2k_options_free(&o);
    xmlCleanupParser();
    if (v2k_interrupted)
        return 128 + v2k_interrupted;
    return r == 0 ? 0 : 1;
}
