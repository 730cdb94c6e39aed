/* copy.h - the copy engine: any readable image into a writer.
 *
 * Walks the source's allocation map, hands out aligned chunks of DATA to
 * worker threads, and writes only the parts that are not all zero (each
 * writer-granule is checked with v2k_is_zero after the read), so ZERO and
 * UNALLOCATED ranges and zero blocks inside DATA leave the output sparse.
 * Memory is bounded by workers x chunk_size whatever the disk size.
 * Stops on the first error (its message is returned) or on a signal
 * (outfile.h).  The caller still calls v2k_writer_finish().
 *
 * With verify, v2k_copy then finishes the writer itself (the caller's
 * later v2k_writer_finish() is a no-op), opens the output through our own
 * reader for its format (formats/registry.c) and compares it with the
 * source with v2k_compare(); a difference is an error naming the first
 * differing offset.
 *
 * v2k_compare() and v2k_scan() use the same engine without a writer:
 * workers take chunk-sized pieces in order, ask both images for the
 * extents of the piece, read only DATA (the rest is zero), and compare.
 * Memory: workers x chunk_size per image read.  The result is the one at
 * the lowest offset whatever the thread timing (pieces past a failure
 * are not handed out, pieces before it are all finished).
 */
#ifndef V2K_COPY_H
#define V2K_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "writer.h"

struct v2k_progress;

struct v2k_copy_opts {
    unsigned workers;                   /* 0 = V2K_COPY_DEFAULT_WORKERS */
    size_t chunk_size;                  /* 0 = V2K_COPY_DEFAULT_CHUNK */
    struct v2k_progress *progress;      /* borrowed, may be NULL */
    bool verify;                        /* re-read and compare (above) */
};

/* Defaults, measured on sparse and dense raw and qcow2 disks (see the
 * note in copy.c): 0 workers means the number of online CPUs (at least
 * 2, since reads and writes overlap), capped at 8. */
#define V2K_COPY_DEFAULT_CHUNK (2U << 20)
#define V2K_COPY_MAX_WORKERS 64

struct v2k_copy_stats {
    uint64_t bytes_read;        /* read from the source */
    uint64_t bytes_written;     /* written to the output */
    uint64_t bytes_skipped;     /* never read: zero/unallocated extents */
    unsigned workers;           /* threads that copied */
};

int v2k_copy(struct v2k_image *src, struct v2k_writer *dst,
             const struct v2k_copy_opts *opts, struct v2k_copy_stats *stats);

/* Compare the guest-visible contents of a and b (opts: workers,
 * chunk_size, progress; may be NULL).  Images of different sizes are
 * different only when the longer one's tail is not all zero (as
 * qemu-img compare).  0 identical, 1 different with *diff_offset set to
 * the first differing byte, -1 error (the message names the image). */
int v2k_compare(struct v2k_image *a, struct v2k_image *b,
                const struct v2k_copy_opts *opts, uint64_t *diff_offset);

struct v2k_scan_stats {
    uint64_t extents;           /* extents reported */
    uint64_t data_bytes;        /* DATA bytes read */
};

/* Walk every extent of img and read every DATA byte (v2kvm-img check).
 * 0, or -1 with the error met at the lowest offset. */
int v2k_scan(struct v2k_image *img, const struct v2k_copy_opts *opts,
             struct v2k_scan_stats *stats);

#endif
