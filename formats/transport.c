/* transport.c - the checked wrappers of transport.h. */
#include "transport.h"
#include "error.h"

int
v2k_transport_pread(struct v2k_transport *t, void *buf, size_t count,
                    uint64_t offset)
{
    if (offset > t->size || count > t->size - offset) {
        v2k_error("%s: read of %zu bytes at offset %llu is past the end (%llu bytes)", t->name, count, (unsigned long long)offset,
                  (unsigned long long)t->size);
        return -1;
    }
    if (count == 0)
        return 0;
    return t->ops->pread(t, buf, count, offset);
}

int
v2k_transport_extents(struct v2k_transport *t, uint64_t offset,
                      uint64_t length, struct v2k_extent_list *out)
{
    if (offset > t->size || length > t->size - offset) {
        v2k_error("%s: extents request past the end", t->name);
        return -1;
    }
    if (t->ops->extents == NULL)
        return v2k_extent_list_add(out, offset, length, V2K_EXTENT_DATA);
    return t->ops->extents(t, offset, length, out);
}

struct v2k_transport *
v2k_transport_open_sibling(struct v2k_transport *t, const char *name)
{
    if (t->ops->open_sibling == NULL) {
        v2k_error("%s: cannot open '%s' next to it over %s", t->name, name,
                  t->ops->kind);
        return NULL;
    }
    return t->ops->open_sibling(t, name);
}

void
v2k_transport_close(struct v2k_transport *t)
{
    if (t)
        t->ops->close(t);
}

bool
v2k_transport_may_follow(const struct v2k_transport *t, const char *name)
{
    return name[0] != '/' ||
           (t->ops->flags & V2K_TRANSPORT_FOLLOWS_ABSOLUTE) != 0;
}
