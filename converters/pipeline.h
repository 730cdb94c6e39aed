/* pipeline.h - one conversion from start to end (DESIGN.md "The
 * pipeline"): input -> source model -> open disks -> copy -> output.
 *
 * v2k_pipeline_run() returns 0 on success, or -1 with one message; on
 * failure (and on SIGINT/SIGTERM) every temporary output file is removed
 * and no final output name is left behind.
 */
#ifndef V2K_PIPELINE_H
#define V2K_PIPELINE_H

#include "input.h"
#include "options.h"
#include "output.h"

int v2k_pipeline_run(const struct v2k_options *o);

/* -1 with a message listing the modes that exist when -i or -o names an
 * unknown mode (a usage error: the main exits 2). */
int v2k_pipeline_check_modes(const struct v2k_options *o);

/* The mode tables (NULL-terminated), for --help and errors. */
const struct v2k_input *const *v2k_inputs(void);
const struct v2k_output *const *v2k_outputs(void);

/* Apply -on, --memory, --vcpus and the -n/-b/--mac maps to s. */
int v2k_pipeline_apply_options(const struct v2k_options *o,
                               struct v2k_source *s);

/* A VM name usable as a libvirt name and in file names: not empty, no
 * '/', no control characters, not starting with '.', <= 200 bytes. */
int v2k_check_vm_name(const char *name);

#endif
