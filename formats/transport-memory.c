/* transport-memory.c - a transport over a caller's buffer.
 *
 * For the fuzz targets (tests/fuzz/) and for tests that build an image
 * in memory: the bytes are borrowed, never copied or written, and must
 * outlive the transport.  There are no siblings (a backing file named
 * by the image cannot be opened), so no file is ever touched.
 */
#include "transport.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct memory_transport {
    struct v2k_transport t;     /* first: the generic part */
    const unsigned char *buf;   /* borrowed */
};

static int
memory_pread(struct v2k_transport *t, void *buf, size_t count,
             uint64_t offset)
{
    struct memory_transport *m = (struct memory_transport *)t;

    /* v2k_transport_pread() checked offset + count <= size. */
    memcpy(buf, m->buf + offset, count);
    return 0;
}

static struct v2k_transport *
memory_open_sibling(struct v2k_transport *t, const char *name)
{
    v2k_error("%s: cannot open '%s': an image in memory has no files next to it", t->name, name);
    return NULL;
}

static void
memory_close(struct v2k_transport *t)
{
    free(t->name);
    free(t);
}

static const struct v2k_transport_ops memory_ops = {
    .kind = "memory",
    .flags = V2K_TRANSPORT_LOCAL,
    .pread = memory_pread,
    .open_sibling = memory_open_sibling,
    .close = memory_close,
};

struct v2k_transport *
v2k_transport_memory_open(const char *name, const void *buf, size_t len)
{
    struct memory_transport *m = v2k_calloc(1, sizeof *m);

    if (m == NULL)
        return NULL;
    m->t.ops = &memory_ops;
    m->t.name = v2k_strdup(name);
    if (m->t.name == NULL) {
        free(m);
        return NULL;
    }
    m->t.size = len;
    /* A zero-length buffer may come as NULL; pread is then never
     * called (the wrapper returns early for count 0). */
    m->buf = buf;
    return &m->t;
}
