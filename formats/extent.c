/* extent.c - see extent.h. */
#include "extent.h"
#include "error.h"

#include <stdlib.h>

int
v2k_extent_list_add(struct v2k_extent_list *l, uint64_t offset,
                    uint64_t length, enum v2k_extent_type type)
{
    if (length == 0)
        return 0;
    if (l->n > 0) {
        struct v2k_extent *last = &l->v[l->n - 1];
        if (last->type == type && last->offset + last->length == offset) {
            last->length += length;
            return 0;
        }
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct v2k_extent *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL) {
            v2k_error("out of memory growing an extent list");
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (struct v2k_extent){ offset, length, type };
    return 0;
}

void
v2k_extent_list_clear(struct v2k_extent_list *l)
{
    l->n = 0;
}

void
v2k_extent_list_free(struct v2k_extent_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

const char *
v2k_extent_type_name(enum v2k_extent_type t)
{
    switch (t) {
    case V2K_EXTENT_DATA: return "data";
    case V2K_EXTENT_ZERO: return "zero";
    case V2K_EXTENT_UNALLOCATED: return "unallocated";
    }
    return "?";
}
