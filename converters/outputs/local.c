/* outputs/local.c - -o local -os DIR: DIR/NAME-sda, NAME-sdb... and
 * DIR/NAME.xml, a libvirt domain whose disk paths are absolute.
 *
 * Everything is written under hidden temporary names (".NAME-sda.part")
 * and renamed into place at the end, disks first and the XML last, so a
 * NAME.xml only ever names complete disks.
 */
#include "domain-xml.h"
#include "error.h"
#include "outfile.h"
#include "output.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct local {
    const struct v2k_options *o;
    char *dir;                  /* absolute */
    struct v2k_outdisks disks;
    char *xml_final, *xml_tmp;
};

static void
local_free(void *state)
{
    struct local *l = state;

    if (l == NULL)
        return;
    v2k_outdisks_free(&l->disks);
    free(l->xml_final);
    free(l->xml_tmp);
    free(l->dir);
    free(l);
}

static void *
local_setup(const struct v2k_options *o, const struct v2k_source *s,
            const struct v2k_guestcaps *gc)
{
    struct local *l;

    (void)gc;
    if (o->output_storage == NULL) {
        v2k_error("-o local: give the output directory with -os DIR");
        return NULL;
    }
    l = v2k_calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->o = o;
    l->dir = v2k_output_dir("-o local: -os", o->output_storage);
    if (l->dir == NULL ||
        v2k_outdisks_init(&l->disks, l->dir, s->name, v2k_source_ncopied(s),
                          o->overwrite) == -1)
        goto fail;
    l->xml_final = v2k_asprintf("%s/%s.xml", l->dir, s->name);
    l->xml_tmp = v2k_asprintf("%s/.%s.xml.part", l->dir, s->name);
    if (l->xml_final == NULL || l->xml_tmp == NULL ||
        v2k_output_check_free(l->xml_final, o->overwrite) == -1)
        goto fail;
    if (v2k_output_check_tmp(l->xml_tmp) == -1)
        goto fail;
    return l;

fail:
    local_free(l);
    return NULL;
}

static const char *
local_disk_tmp_path(void *state, size_t i)
{
    return ((struct local *)state)->disks.tmp[i];
}

static const char *
local_disk_format(void *state, size_t i)
{
    (void)i;
    return ((struct local *)state)->o->output_format;
}

static int
local_finalize(void *state, const struct v2k_source *s,
               const struct v2k_guestcaps *gc)
{
    struct local *l = state;
    char *xml = v2k_outdisks_domain_xml(&l->disks, l->o, s, gc, NULL);
    int r = -1;

    if (xml && v2k_outfile_register(l->xml_tmp) == 0 &&
        v2k_domain_xml_write(l->xml_tmp, xml) == 0)
        r = v2k_outdisks_commit_with(&l->disks, l->xml_tmp, l->xml_final,
                                     l->o->overwrite);
    free(xml);
    return r;
}

const struct v2k_output v2k_output_local = {
    .name = "local",
    .help = "disks and a libvirt domain XML in the directory -os",
    .needs_storage = true,
    .setup = local_setup,
    .disk_tmp_path = local_disk_tmp_path,
    .disk_format = local_disk_format,
    .finalize = local_finalize,
    .free = local_free,
};
