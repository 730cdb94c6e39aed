/* outputs/files.c - disk files in a directory, shared by -o local, -o qemu
 * and -o libvirt (see output.h).
 *
 * Disks are written under hidden temporary names (".NAME-sda.part") and
 * renamed into place at the end, so a final name only ever holds a
 * complete disk.
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

char *
v2k_output_dir(const char *what, const char *dir)
{
    struct stat st;
    char real[PATH_MAX];

    if (stat(dir, &st) == -1) {
        v2k_error_errno(errno, "%s %s", what, dir);
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        v2k_error("%s %s is not a directory", what, dir);
        return NULL;
    }
    if (access(dir, W_OK | X_OK) == -1) {
        v2k_error_errno(errno, "%s %s is not writable", what, dir);
        return NULL;
    }
    if (realpath(dir, real) == NULL) {
        v2k_error_errno(errno, "%s %s", what, dir);
        return NULL;
    }
    return v2k_strdup(real);
}

int
v2k_output_check_free(const char *path, bool overwrite)
{
    struct stat st;

    /* Not even --overwrite replaces a file the source is read from. */
    if (v2k_outfile_check_not_source(path) == -1)
        return -1;
    if (lstat(path, &st) == 0 && !overwrite) {
        v2k_error("%s: output already exists (use --overwrite)", path);
        return -1;
    }
    return 0;
}

int
v2k_output_check_tmp(const char *path)
{
    struct stat st;

    if (lstat(path, &st) == -1)
        return 0;
    v2k_error("%s exists: another v2kvm may be writing this VM here, or a killed one left it; remove it if no conversion is running (a run removes only files it created)", path);
    return -1;
}

int
v2k_outdisks_init(struct v2k_outdisks *d, const char *dir, const char *name,
                  size_t n, bool overwrite)
{
    char dev[16];

    memset(d, 0, sizeof *d);
    d->final = v2k_calloc(n ? n : 1, sizeof *d->final);
    d->tmp = v2k_calloc(n ? n : 1, sizeof *d->tmp);
    if (d->final == NULL || d->tmp == NULL)
        return -1;
    d->n = n;
    for (size_t i = 0; i < n; i++) {
        v2k_disk_name("sd", i, dev, sizeof dev);
        d->final[i] = v2k_asprintf("%s/%s-%s", dir, name, dev);
        d->tmp[i] = v2k_asprintf("%s/.%s-%s.part", dir, name, dev);
        if (d->final[i] == NULL || d->tmp[i] == NULL ||
            v2k_output_check_free(d->final[i], overwrite) == -1 ||
            v2k_output_check_tmp(d->tmp[i]) == -1)
            return -1;
    }
    return 0;
}

int
v2k_outdisks_commit(struct v2k_outdisks *d, bool overwrite)
{
    for (; d->committed < d->n; d->committed++) {
        if (v2k_outfile_commit(d->tmp[d->committed], d->final[d->committed],
                               overwrite) == -1) {
            v2k_outdisks_uncommit(d);
            return -1;
        }
    }
    return 0;
}

void
v2k_outdisks_uncommit(struct v2k_outdisks *d)
{
    for (size_t i = 0; i < d->committed; i++)
        unlink(d->final[i]);
    d->committed = 0;
}

char *
v2k_outdisks_domain_xml(const struct v2k_outdisks *d,
                        const struct v2k_options *o,
                        const struct v2k_source *s,
                        const struct v2k_guestcaps *gc,
                        const struct v2k_domain_opts *dopts)
{
    struct v2k_domain_disk *dd;
    struct v2k_domain_opts own;
    char *xml;

    dd = v2k_calloc(d->n ? d->n : 1, sizeof *dd);
    if (dd == NULL)
        return NULL;
    for (size_t i = 0; i < d->n; i++) {
        dd[i].path = d->final[i];
        dd[i].format = o->output_format;
    }
    if (dopts == NULL) {
        v2k_domain_opts_init(&own, o);
        dopts = &own;
    }
    xml = v2k_domain_xml_format(s, gc, dd, d->n, dopts);
    free(dd);
    return xml;
}

int
v2k_outdisks_commit_with(struct v2k_outdisks *d, const char *tmp,
                         const char *final, bool overwrite)
{
    if (v2k_outdisks_commit(d, overwrite) == -1)
        return -1;
    if (v2k_outfile_commit(tmp, final, overwrite) == -1) {
        v2k_outdisks_uncommit(d);
        return -1;
    }
    return 0;
}

void
v2k_outdisks_free(struct v2k_outdisks *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->final[i]);
        free(d->tmp[i]);
    }
    free(d->final);
    free(d->tmp);
    memset(d, 0, sizeof *d);
}
