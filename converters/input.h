/* input.h - source adapters (one file each in converters/inputs/).
 *
 * Each input mode is one struct v2k_input, listed in the table in
 * pipeline.c.  open() reads the source's metadata -- never writing to
 * it -- and returns a new struct v2k_source (owned by the caller) whose
 * disks name paths/URIs that formats/ can open, or NULL with one error
 * naming the file and field.
 *
 * An input that keeps something for the rest of the conversion (OVA:
 * the temporary files of compressed disks; vSphere: the SOAP session and
 * the cookie file the copy reads the disks with) allocates its own state
 * object and stores it in *state as soon as it exists -- also when
 * open() then fails.  From then on the pipeline owns it: it calls
 * close(state) exactly once, after the copy and the output, on every
 * path (success, failure, a signal's failure path).  close() must accept
 * NULL, keep the current error message, and leave nothing behind.  An
 * input without state leaves *state NULL and close NULL.  Inputs keep no
 * static mutable state and register nothing with atexit(): many
 * conversions may run in one process.
 */
#ifndef V2K_INPUT_H
#define V2K_INPUT_H

#include "options.h"
#include "source.h"

struct v2k_input {
    const char *name;           /* the -i MODE */
    const char *help;           /* one line */
    struct v2k_source *(*open)(const struct v2k_options *o, void **state);
    void (*close)(void *state); /* optional */
};

extern const struct v2k_input v2k_input_disk;

/* Close what in->open left in state (NULL-safe; no-op without close). */
static inline void
v2k_input_close(const struct v2k_input *in, void *state)
{
    if (in && in->close)
        in->close(state);
}

#endif
