/* extent.h - allocation maps.
 *
 * An extent says what a byte range of a disk holds:
 *   DATA         bytes that must be read (they may still be zero)
 *   ZERO         reads as zero, known without reading
 *   UNALLOCATED  not stored in this layer: reads through to the backing
 *                file or parent when there is one, else as zero
 * Lists are in offset order, contiguous, without overlaps.
 */
#ifndef V2K_EXTENT_H
#define V2K_EXTENT_H

#include <stddef.h>
#include <stdint.h>

enum v2k_extent_type {
    V2K_EXTENT_DATA = 0,
    V2K_EXTENT_ZERO,
    V2K_EXTENT_UNALLOCATED,
};

struct v2k_extent {
    uint64_t offset;
    uint64_t length;
    enum v2k_extent_type type;
};

/* A growable list; owns v.  Initialise with {0}. */
struct v2k_extent_list {
    struct v2k_extent *v;
    size_t n, cap;
};

/* Append, merging with the last extent when contiguous and of the same
 * type.  -1 on ENOMEM. */
int v2k_extent_list_add(struct v2k_extent_list *l, uint64_t offset,
                        uint64_t length, enum v2k_extent_type type);
void v2k_extent_list_clear(struct v2k_extent_list *l);   /* keeps memory */
void v2k_extent_list_free(struct v2k_extent_list *l);    /* frees v */

const char *v2k_extent_type_name(enum v2k_extent_type t);

#endif
