/* output.h - output writers (one file each in converters/outputs/).
 *
 * Each output mode is one struct v2k_output, listed in pipeline.c.  The
 * pipeline calls, in order:
 *   setup(o, src)         check storage and names, refuse to replace an
 *                         existing output without --overwrite, and decide
 *                         where each disk goes; returns the mode's state
 *   disk_format/disk_tmp_path(state, i)
 *                         where the copy engine writes disk i (a temporary
 *                         name registered in outfile.h) and in which format
 *   finalize(state, src)  write the metadata and move every file into
 *                         place; nothing appears under a final name before
 *   free(state)           NULL-safe
 * Failure anywhere: -1/NULL with one message; the pipeline then removes
 * every registered temporary file.
 */
#ifndef V2K_OUTPUT_H
#define V2K_OUTPUT_H

#include "options.h"
#include "source.h"

struct v2k_output {
    const char *name;           /* the -o MODE */
    const char *help;
    void *(*setup)(const struct v2k_options *o, const struct v2k_source *s);
    const char *(*disk_tmp_path)(void *state, size_t i);
    const char *(*disk_format)(void *state, size_t i);
    int (*finalize)(void *state, const struct v2k_source *s);
    void (*free)(void *state);
};

extern const struct v2k_output v2k_output_local;

#endif
