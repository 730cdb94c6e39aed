/* input.h - source adapters (one file each in converters/inputs/).
 *
 * Each input mode is one struct v2k_input, listed in the table in
 * pipeline.c.  setup() reads the source's metadata -- never writing to
 * it -- and returns a new struct v2k_source (owned by the caller) whose
 * disks name paths/URIs that formats/ can open, or NULL with one error
 * naming the file and field.
 */
#ifndef V2K_INPUT_H
#define V2K_INPUT_H

#include "options.h"
#include "source.h"

struct v2k_input {
    const char *name;           /* the -i MODE */
    const char *help;           /* one line */
    struct v2k_source *(*setup)(const struct v2k_options *o);
};

extern const struct v2k_input v2k_input_disk;

#endif
