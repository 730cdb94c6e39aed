/* outputs/null.c - -o null: everything but writing.
 *
 * The source is opened and read in full through the copy engine (so
 * conversion tests and timings see every read), and the domain XML is
 * built and dropped; the disks go to a writer that discards what it is
 * given.  Nothing is created anywhere.
 */
#include "domain-xml.h"
#include "error.h"
#include "log.h"
#include "output.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int
null_pwrite(struct v2k_writer *w, const void *buf, size_t count,
            uint64_t offset)
{
    (void)w;
    (void)buf;
    (void)count;
    (void)offset;
    return 0;
}

static int
null_finish(struct v2k_writer *w)
{
    (void)w;
    return 0;
}

static void
null_writer_free(struct v2k_writer *w)
{
    free(w->path);
    free(w);
}

static const struct v2k_writer_ops null_writer_ops = {
    .name = "null",
    .pwrite = null_pwrite,
    .finish = null_finish,
    .free = null_writer_free,
};

struct nullout {
    const struct v2k_options *o;
};

static void *
null_setup(const struct v2k_options *o, const struct v2k_source *s,
           const struct v2k_guestcaps *gc)
{
    struct nullout *n;

    (void)s;
    (void)gc;
    if (o->output_storage)
        v2k_warning("-o null: -os %s is ignored", o->output_storage);
    n = v2k_calloc(1, sizeof *n);
    if (n)
        n->o = o;
    return n;
}

static const char *
null_disk_tmp_path(void *state, size_t i)
{
    (void)state;
    (void)i;
    return "(null)";
}

static const char *
null_disk_format(void *state, size_t i)
{
    (void)i;
    return ((struct nullout *)state)->o->output_format;
}

static struct v2k_writer *
null_disk_writer(void *state, size_t i, uint64_t size,
                 const struct v2k_writer_opts *wo)
{
    struct v2k_writer *w = v2k_calloc(1, sizeof *w);

    (void)state;
    (void)wo;
    if (w == NULL)
        return NULL;
    w->ops = &null_writer_ops;
    w->path = v2k_asprintf("null disk %zu", i + 1);
    w->size = size;
    w->granularity = 4096;
    if (w->path == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

static int
null_finalize(void *state, const struct v2k_source *s,
              const struct v2k_guestcaps *gc)
{
    struct nullout *n = state;
    size_t nd = v2k_source_ncopied(s);
    struct v2k_domain_disk *dd = v2k_calloc(nd ? nd : 1, sizeof *dd);
    struct v2k_domain_opts dopts;
    char *xml;

    if (dd == NULL)
        return -1;
    for (size_t i = 0; i < nd; i++) {
        dd[i].path = "/dev/null";
        dd[i].format = n->o->output_format;
    }
    v2k_domain_opts_init(&dopts, n->o);
    xml = v2k_domain_xml_format(s, gc, dd, nd, &dopts);
    free(dd);
    if (xml == NULL)
        return -1;
    v2k_debug("-o null: domain XML of %zu bytes dropped", strlen(xml));
    free(xml);
    return 0;
}

static void
null_free(void *state)
{
    free(state);
}

const struct v2k_output v2k_output_null = {
    .name = "null",
    .help = "convert and read everything, write nothing",
    .setup = null_setup,
    .disk_tmp_path = null_disk_tmp_path,
    .disk_format = null_disk_format,
    .disk_writer = null_disk_writer,
    .finalize = null_finalize,
    .free = null_free,
};
