/* inputs/ova.c - -i ova FILE.ova|DIR: an OVF package.
 *
 * An OVA is a tar holding an OVF descriptor (.ovf, first), an optional
 * manifest (.mf) and the disk files (DSP0243, OVF 1.0 and 2.0); the same
 * files unpacked in a directory are read alike.  Disks inside a tar are
 * read in place through formats/transport-archive.c: their v2k_disk is
 * "TAR/MEMBER" over transport "archive"; nothing is extracted.
 *
 * The descriptor, as VMware (ESX, vCenter, Workstation's ovftool) and
 * VirtualBox write it:
 *   <Envelope><References><File ovf:id= ovf:href= ovf:size=
 *       [ovf:compression="gzip"] [ovf:chunkSize=]/>
 *     <DiskSection><Disk ovf:diskId= ovf:fileRef= ovf:capacity=
 *       ovf:capacityAllocationUnits="byte * 2^30"/>
 *     <VirtualSystem ovf:id=><Name/>
 *       <OperatingSystemSection ovf:id= vmw:osType=/>
 *       <VirtualHardwareSection><Item> (OVF 2.0 also <StorageItem>,
 *         <EthernetPortItem>) with rasd:ResourceType (CIM_ResourceAllocation
 *         SettingData: 3 CPU, 4 memory, 5 IDE, 6 SCSI, 20 other storage,
 *         10 NIC, 14 floppy, 15/16 CD/DVD, 17 disk, 35 sound)
 *         <vmw:Config ovf:required= vmw:key="firmware" vmw:value="efi"/>
 *       [<vbox:Machine> VirtualBox's own settings]
 * Elements and attributes are matched by local name: writers disagree on
 * prefixes and OVF 1.0 vs 2.0 namespaces.
 *
 * The manifest (lines "SHA1(NAME)= HEX" or "SHA256(NAME)= HEX", or
 * VirtualBox's "SHA256 (NAME) = HEX") is checked before anything is
 * converted, hashing each member in place; a mismatch fails.  -io
 * ova-ignore-manifest skips the manifest altogether.
 *
 * Compressed (ovf:compression="gzip") and chunked (ovf:chunkSize: the
 * file split into HREF.000000000, HREF.000000001...; DSP0243 5.3)
 * files cannot be read in place: they are streamed once into a
 * temporary file (a warning says so), removed when the pipeline closes
 * the input (after the copy; also on failure), or on a second signal
 * (outfile.h).
 *
 * This file holds the package (tar or directory) and the setup; the
 * manifest, the unpacking and the descriptor are in ova-manifest.c,
 * ova-unpack.c and ova-ovf.c (ova-internal.h).
 */
#include "cleanup.h"
#include "error.h"
#include "pathpolicy.h"
#include "format.h"
#include "input.h"
#include "inputs-internal.h"
#include "log.h"
#include "outfile.h"
#include "transport.h"
#include "util.h"
#include "xml-util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "ova-internal.h"

static bool
has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcasecmp(s + a - b, suf) == 0;
}

/* --- Package files ---------------------------------------------------- */

const struct v2k_archive_member *
v2k_ova_member(const struct ova *p, const char *name)
{
    const struct v2k_archive_member *hit = NULL;

    for (size_t i = 0; i < p->nm; i++)
        if (strcmp(p->m[i].name, name) == 0)
            hit = &p->m[i];     /* the last one wins, as extracting */
    return hit;
}

/* A package file's name must stay inside the package. */
int
v2k_ova_check_href(const struct ova *p, const char *href)
{
    const char *s;

    if (href[0] == '\0' || href[0] == '/' || strstr(href, "://")) {
        v2k_error("%s: file '%s' is not inside the package", p->src, href);
        return -1;
    }
    for (s = href; *s; s += strcspn(s, "/"), s += *s == '/')
        if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0')) {
            v2k_error("%s: file '%s': a '..' path is not allowed", p->src,
                      href);
            return -1;
        }
    return 0;
}

/* A transport for one package file. */
struct v2k_transport *
v2k_ova_open_file(const struct ova *p, const char *href)
{
    CLEANUP_FREE char *path = NULL;

    if (v2k_ova_check_href(p, href) == -1)
        return NULL;
    if (p->tar)
        return v2k_transport_archive_open(p->tar, href);
    path = v2k_asprintf("%s/%s", p->dir, href);
    /* A symlink out of the directory is no file of the package. */
    if (path == NULL || v2k_pathpolicy_check(p->dir, path, p->src,
                                             href) == -1)
        return NULL;
    return v2k_transport_file_open(path);
}

/* A whole small package file, NUL-terminated. */
char *
v2k_ova_read_small(const struct ova *p, const char *href, size_t max, size_t *len)
{
    struct v2k_transport *t = v2k_ova_open_file(p, href);
    char *buf = NULL;

    if (t == NULL)
        return NULL;
    if (t->size > max) {
        v2k_error("%s: %s: %llu bytes is more than the %zu allowed", p->src,
                  href, (unsigned long long)t->size, max);
    } else if ((buf = v2k_malloc((size_t)t->size + 1)) != NULL) {
        if (v2k_transport_pread(t, buf, (size_t)t->size, 0) == -1) {
            free(buf);
            buf = NULL;
        } else {
            buf[t->size] = '\0';
            *len = (size_t)t->size;
        }
    }
    v2k_transport_close(t);
    return buf;
}

/* The .ovf: a tar's first .ovf member (DSP0243 says first), or the one
 * .ovf in a directory. */
static int
find_ovf(struct ova *p)
{
    if (p->tar) {
        for (size_t i = 0; i < p->nm && !p->ovf_name; i++)
            if (has_suffix(p->m[i].name, ".ovf"))
                p->ovf_name = v2k_strdup(p->m[i].name);
    } else {
        DIR *d = opendir(p->dir);
        struct dirent *e;
        if (d == NULL) {
            v2k_error_errno(errno, "%s", p->src);
            return -1;
        }
        while ((e = readdir(d)) != NULL) {
            if (!has_suffix(e->d_name, ".ovf"))
                continue;
            if (p->ovf_name) {
                v2k_error("%s: more than one .ovf (%s, %s)", p->src,
                          p->ovf_name, e->d_name);
                closedir(d);
                return -1;
            }
            if ((p->ovf_name = v2k_strdup(e->d_name)) == NULL)
                break;
        }
        closedir(d);
    }
    if (p->ovf_name == NULL) {
        v2k_error("%s: no .ovf descriptor in the package", p->src);
        return -1;
    }
    return 0;
}

static void
ova_clear(struct ova *p)
{
    free(p->dir);
    free(p->tar);
    free(p->ovf_name);
    v2k_archive_members_free(p->m, p->nm);
    xmlFreeDoc(p->doc);
}

struct v2k_source *
v2k_ovf_parse_buffer(const char *buf, size_t len, const char *name)
{
    struct ova p = { .src = name, .no_files = true };
    struct v2k_source *s = v2k_ovf_parse(&p, buf, len, name);

    ova_clear(&p);
    return s;
}

int
v2k_ova_check_manifest_dir(const char *dir, const char *ovf_name,
                           bool ignore)
{
    struct ova p = { .src = dir };
    int r = -1;

    p.dir = v2k_strdup(dir);
    p.ovf_name = v2k_strdup(ovf_name);
    if (p.dir && p.ovf_name)
        r = v2k_ova_check_manifest(&p, ignore);
    ova_clear(&p);
    return r;
}

static struct v2k_source *
ova_open(const struct v2k_options *o, void **state)
{
    struct ova p = { 0 };
    struct v2k_source *s = NULL;
    CLEANUP_FREE char *buf = NULL;
    CLEANUP_FREE char *where = NULL;
    char real[PATH_MAX];
    struct stat st;
    size_t len = 0, ndisks = 0;

    if (o->nsources != 1) {
        v2k_error("-i ova: give one .ova file or directory");
        return NULL;
    }
    if (o->input_uri) {
        v2k_error("-i ova: -ic is not used with OVA packages");
        return NULL;
    }
    if ((p.st = v2k_calloc(1, sizeof *p.st)) == NULL)
        return NULL;
    *state = p.st;              /* the pipeline's from now on */
    p.src = o->sources[0];
    if (realpath(p.src, real) == NULL || stat(real, &st) == -1) {
        v2k_error_errno(errno, "%s", p.src);
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        p.dir = v2k_strdup(real);
    } else if (S_ISREG(st.st_mode)) {
        p.tar = v2k_strdup(real);
        if (p.tar && v2k_archive_list(p.tar, &p.m, &p.nm) == -1)
            goto out;
    } else {
        v2k_error("%s: not a file or a directory", p.src);
        goto out;
    }
    if ((p.dir == NULL && p.tar == NULL) || find_ovf(&p) == -1)
        goto out;
    where = v2k_asprintf("%s/%s", p.src, p.ovf_name);
    if (where == NULL)
        goto out;
    if (v2k_ova_check_manifest(&p, o->ova_ignore_manifest) == -1)
        goto out;
    buf = v2k_ova_read_small(&p, p.ovf_name, OVF_MAX_SIZE, &len);
    if (buf == NULL)
        goto out;
    s = v2k_ovf_parse(&p, buf, len, where);
    for (size_t i = 0; s && i < s->ndisks; i++)
        ndisks += s->disks[i].device == V2K_DEV_DISK;
    if (s && ndisks == 0) {
        v2k_error("%s: the virtual system has no disk", where);
        v2k_source_free(s);
        s = NULL;
    }
out:
    ova_clear(&p);
    if (s == NULL)
        v2k_error_prepend("-i ova: ");
    return s;
}

static void
ova_close(void *state)
{
    v2k_ova_state_free(state);
}

const struct v2k_input v2k_input_ova = {
    .name = "ova",
    .help = "an OVF package (.ova tar or a directory with an .ovf) as SOURCE",
    .open = ova_open,
    .close = ova_close,
};
