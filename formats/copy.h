/* copy.h - the copy engine: any readable image into a writer.
 *
 * Walks the source's allocation map, hands out aligned chunks of DATA to
 * worker threads, and writes only the parts that are not all zero (each
 * writer-granule is checked with v2k_is_zero after the read), so ZERO and
 * UNALLOCATED ranges and zero blocks inside DATA leave the output sparse.
 * Memory is bounded by workers x chunk_size whatever the disk size.
 * Stops on the first error (its message is returned) or on a signal
 * (outfile.h).  The caller still calls v2k_writer_finish().
 */
#ifndef V2K_COPY_H
#define V2K_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "writer.h"

struct v2k_progress;

struct v2k_copy_opts {
    unsigned workers;                   /* 0 = number of CPUs */
    size_t chunk_size;                  /* 0 = 2 MiB */
    struct v2k_progress *progress;      /* borrowed, may be NULL */
};

struct v2k_copy_stats {
    uint64_t bytes_read;        /* read from the source */
    uint64_t bytes_written;     /* written to the output */
    uint64_t bytes_skipped;     /* never read: zero/unallocated extents */
};

int v2k_copy(struct v2k_image *src, struct v2k_writer *dst,
             const struct v2k_copy_opts *opts, struct v2k_copy_stats *stats);

#endif
