/* v2kvm - convert a virtual or physical machine to KVM.  The thin main:
 * parse options, run the pipeline, choose the exit code (documented in
 * v2kvm(1)): 0 success, 1 failure, 2 usage error, 128+N on signal N. */
#include "error.h"
#include "log.h"
#include "options.h"
#include "outfile.h"
#include "pipeline.h"

#include <libxml/parser.h>
#include <stdio.h>

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
