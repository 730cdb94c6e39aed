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

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct local {
    const struct v2k_options *o;
    char *dir;                  /* absolute */
    size_t ndisks;
    char **final;               /* disk paths */
    char **tmp;
    char *xml_final, *xml_tmp;
};

static void
local_free(void *state)
{
    struct local *l = state;

    if (l == NULL)
        return;
    for (size_t i = 0; i < l->ndisks; i++) {
        free(l->final[i]);
        free(l->tmp[i]);
    }
    free(l->final);
    free(l->tmp);
    free(l->xml_final);
    free(l->xml_tmp);
    free(l->dir);
    free(l);
}

/* Refuse to replace name unless --overwrite. */
static int
check_free(const struct local *l, const char *path)
{
    struct stat st;

    if (lstat(path, &st) == 0 && !l->o->overwrite) {
        v2k_error("%s: output already exists (use --overwrite)", path);
        return -1;
    }
    return 0;
}

static void *
local_setup(const struct v2k_options *o, const struct v2k_source *s)
{
    struct local *l;
    struct stat st;
    char real[PATH_MAX];
    char dev[16];

    if (o->output_storage == NULL) {
        v2k_error("-o local: give the output directory with -os DIR");
        return NULL;
    }
    if (stat(o->output_storage, &st) == -1) {
        v2k_error_errno(errno, "-o local: -os %s", o->output_storage);
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        v2k_error("-o local: -os %s is not a directory", o->output_storage);
        return NULL;
    }
    if (access(o->output_storage, W_OK | X_OK) == -1) {
        v2k_error_errno(errno, "-o local: -os %s is not writable",
                        o->output_storage);
        return NULL;
    }
    if (realpath(o->output_storage, real) == NULL) {
        v2k_error_errno(errno, "-o local: -os %s", o->output_storage);
        return NULL;
    }
    l = v2k_calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->o = o;
    l->ndisks = s->ndisks;
    l->dir = v2k_strdup(real);
    l->final = v2k_calloc(s->ndisks, sizeof *l->final);
    l->tmp = v2k_calloc(s->ndisks, sizeof *l->tmp);
    if (l->dir == NULL || l->final == NULL || l->tmp == NULL)
        goto fail;
    for (size_t i = 0; i < s->ndisks; i++) {
        v2k_disk_name("sd", i, dev, sizeof dev);
        l->final[i] = v2k_asprintf("%s/%s-%s", l->dir, s->name, dev);
        l->tmp[i] = v2k_asprintf("%s/.%s-%s.part", l->dir, s->name, dev);
        if (l->final[i] == NULL || l->tmp[i] == NULL ||
            check_free(l, l->final[i]) == -1)
            goto fail;
    }
    l->xml_final = v2k_asprintf("%s/%s.xml", l->dir, s->name);
    l->xml_tmp = v2k_asprintf("%s/.%s.xml.part", l->dir, s->name);
    if (l->xml_final == NULL || l->xml_tmp == NULL ||
        check_free(l, l->xml_final) == -1)
        goto fail;
    /* Leftovers of a run that was killed with SIGKILL. */
    for (size_t i = 0; i < s->ndisks; i++)
        unlink(l->tmp[i]);
    unlink(l->xml_tmp);
    return l;

fail:
    local_free(l);
    return NULL;
}

static const char *
local_disk_tmp_path(void *state, size_t i)
{
    return ((struct local *)state)->tmp[i];
}

static const char *
local_disk_format(void *state, size_t i)
{
    (void)i;
    return ((struct local *)state)->o->output_format;
}

static int
local_finalize(void *state, const struct v2k_source *s)
{
    struct local *l = state;
    struct v2k_domain_disk *dd;
    size_t committed = 0;
    int r = -1;

    dd = v2k_calloc(l->ndisks, sizeof *dd);
    if (dd == NULL)
        return -1;
    for (size_t i = 0; i < l->ndisks; i++) {
        dd[i].path = l->final[i];
        dd[i].format = l->o->output_format;
    }
    if (v2k_outfile_register(l->xml_tmp) == -1 ||
        v2k_domain_xml_write(l->xml_tmp, s, dd, l->ndisks) == -1)
        goto out;
    for (; committed < l->ndisks; committed++)
        if (v2k_outfile_commit(l->tmp[committed], l->final[committed],
                               l->o->overwrite) == -1)
            goto out;
    if (v2k_outfile_commit(l->xml_tmp, l->xml_final, l->o->overwrite) == -1)
        goto out;
    r = 0;
out:
    if (r == -1) {
        /* Take back the disks already renamed: no partial VM is left. */
        for (size_t i = 0; i < committed; i++)
            unlink(l->final[i]);
    }
    free(dd);
    return r;
}

const struct v2k_output v2k_output_local = {
    .name = "local",
    .help = "disks and a libvirt domain XML in the directory -os",
    .setup = local_setup,
    .disk_tmp_path = local_disk_tmp_path,
    .disk_format = local_disk_format,
    .finalize = local_finalize,
    .free = local_free,
};
