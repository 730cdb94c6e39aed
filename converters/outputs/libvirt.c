/* outputs/libvirt.c - -o libvirt [-oc URI] [-os POOL]: disks into the
 * directory of a libvirt storage pool (default: "default"), the domain
 * defined through libvirt's C API.
 *
 * The pool must be a directory-backed pool (dir, fs, netfs) whose target
 * directory is on this host: v2kvm writes the files itself, under
 * temporary names, then renames them, defines the domain, and refreshes
 * the pool so the volumes show.  A failed define takes the disks back.
 *
 * A domain of the same name is an error unless --overwrite; then the new
 * definition takes the existing domain's UUID, so libvirt replaces it in
 * one step (a running domain is refused).  When the host cannot run KVM
 * guests (its capabilities offer only domain type 'qemu'), the domain is
 * defined with type='qemu' and a warning.
 */
#include "domain-xml.h"
#include "error.h"
#include "log.h"
#include "output.h"
#include "util.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <string.h>

struct lv {
    const struct v2k_options *o;
    virConnectPtr conn;
    virStoragePoolPtr pool;
    char *uri;
    char *dir;
    struct v2k_outdisks disks;
    const char *virt_type;
    char old_uuid[VIR_UUID_STRING_BUFLEN];     /* --overwrite, else "" */
};

/* libvirt prints every error on stderr by default; we report them
 * ourselves as one message. */
static void
quiet(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

static const char *
lv_errmsg(void)
{
    const char *m = virGetLastErrorMessage();
    return m ? m : "unknown libvirt error";
}

static void
lv_free(void *state)
{
    struct lv *l = state;

    if (l == NULL)
        return;
    v2k_outdisks_free(&l->disks);
    if (l->pool)
        virStoragePoolFree(l->pool);
    if (l->conn)
        virConnectClose(l->conn);
    free(l->uri);
    free(l->dir);
    free(l);
}

/* The string value of an XPath expression over xml, or NULL (malloc'd). */
static char *
xpath_string(const char *xml, const char *expr)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "libvirt.xml",
                                  NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                  XML_PARSE_NOWARNING);
    xmlXPathContextPtr ctx = NULL;
    xmlXPathObjectPtr obj = NULL;
    char *r = NULL;

    if (doc == NULL)
        return NULL;
    ctx = xmlXPathNewContext(doc);
    if (ctx)
        obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    if (obj && obj->type == XPATH_STRING && obj->stringval &&
        obj->stringval[0])
        r = v2k_strdup((const char *)obj->stringval);
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return r;
}

/* kvm when the host offers it; qemu (TCG) when it only offers that;
 * kvm when the capabilities say neither (the test driver). */
static const char *
choose_virt_type(struct lv *l)
{
    char *caps = virConnectGetCapabilities(l->conn);
    char *kvm, *qemu;
    const char *t = "kvm";

    if (caps == NULL) {
        v2k_debug("-o libvirt: no capabilities from %s: %s", l->uri,
                  lv_errmsg());
        return t;
    }
    kvm = xpath_string(caps, "string(/capabilities/guest[os_type='hvm']"
                             "/arch[@name='x86_64']/domain[@type='kvm']"
                             "/@type)");
    qemu = xpath_string(caps, "string(/capabilities/guest[os_type='hvm']"
                              "/arch[@name='x86_64']/domain[@type='qemu']"
                              "/@type)");
    if (kvm == NULL && qemu != NULL) {
        v2k_warning("-o libvirt: %s cannot run KVM guests here: the domain is defined with type 'qemu' (software emulation, slow)", l->uri);
        t = "qemu";
    }
    free(kvm);
    free(qemu);
    free(caps);
    return t;
}

static void *
lv_setup(const struct v2k_options *o, const struct v2k_source *s,
         const struct v2k_guestcaps *gc)
{
    const char *pool_name = o->output_storage ? o->output_storage
                                              : "default";
    struct lv *l;
    char *pxml = NULL, *ptype = NULL, *ppath = NULL, *what = NULL;
    virDomainPtr dom;

    (void)gc;
    l = v2k_calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->o = o;
    virSetErrorFunc(NULL, quiet);
    l->conn = virConnectOpen(o->output_conn);
    if (l->conn == NULL) {
        v2k_error("-o libvirt: cannot connect to %s: %s",
                  o->output_conn ? o->output_conn : "the default URI",
                  lv_errmsg());
        goto fail;
    }
    l->uri = virConnectGetURI(l->conn);
    if (l->uri == NULL && (l->uri = v2k_strdup("libvirt")) == NULL)
        goto fail;

    l->pool = virStoragePoolLookupByName(l->conn, pool_name);
    if (l->pool == NULL) {
        v2k_error("-o libvirt: storage pool '%s' not found on %s (-os POOL)", pool_name, l->uri);
        goto fail;
    }
    if (virStoragePoolIsActive(l->pool) != 1) {
        v2k_error("-o libvirt: storage pool '%s' on %s is not active (virsh pool-start %s)", pool_name, l->uri, pool_name);
        goto fail;
    }
    pxml = virStoragePoolGetXMLDesc(l->pool, 0);
    if (pxml == NULL) {
        v2k_error("-o libvirt: storage pool '%s': %s", pool_name,
                  lv_errmsg());
        goto fail;
    }
    ptype = xpath_string(pxml, "string(/pool/@type)");
    ppath = xpath_string(pxml, "string(/pool/target/path)");
    if (ptype == NULL || ppath == NULL ||
        (strcmp(ptype, "dir") != 0 && strcmp(ptype, "fs") != 0 &&
         strcmp(ptype, "netfs") != 0)) {
        v2k_error("-o libvirt: storage pool '%s' is of type '%s': only directory pools (dir, fs, netfs) can hold the disks",
                  pool_name, ptype ? ptype : "unknown");
        goto fail;
    }
    what = v2k_asprintf("-o libvirt: storage pool '%s' directory",
                        pool_name);
    if (what == NULL)
        goto fail;
    l->dir = v2k_output_dir(what, ppath);
    if (l->dir == NULL)
        goto fail;

    dom = virDomainLookupByName(l->conn, s->name);
    if (dom) {
        int active = virDomainIsActive(dom);
        int ok = virDomainGetUUIDString(dom, l->old_uuid);
        virDomainFree(dom);
        if (!o->overwrite) {
            v2k_error("-o libvirt: domain '%s' already exists on %s (use --overwrite or -on NAME)", s->name, l->uri);
            goto fail;
        }
        if (active != 0) {
            v2k_error("-o libvirt: domain '%s' on %s is running: shut it down before replacing it", s->name, l->uri);
            goto fail;
        }
        if (ok == -1) {
            v2k_error("-o libvirt: domain '%s': %s", s->name, lv_errmsg());
            goto fail;
        }
    }
    if (v2k_outdisks_init(&l->disks, l->dir, s->name, v2k_source_ncopied(s),
                          o->overwrite) == -1)
        goto fail;
    l->virt_type = choose_virt_type(l);
    free(pxml);
    free(ptype);
    free(ppath);
    free(what);
    return l;

fail:
    free(pxml);
    free(ptype);
    free(ppath);
    free(what);
    lv_free(l);
    return NULL;
}

static const char *
lv_disk_tmp_path(void *state, size_t i)
{
    return ((struct lv *)state)->disks.tmp[i];
}

static const char *
lv_disk_format(void *state, size_t i)
{
    (void)i;
    return ((struct lv *)state)->o->output_format;
}

static int
lv_finalize(void *state, const struct v2k_source *s,
            const struct v2k_guestcaps *gc)
{
    struct lv *l = state;
    struct v2k_domain_opts dopts;
    virDomainPtr dom;
    char *xml = NULL;
    int r = -1;

    v2k_domain_opts_init(&dopts, l->o);
    dopts.virt_type = l->virt_type;
    if (l->old_uuid[0] && !l->o->keep_uuid)
        dopts.uuid = l->old_uuid;       /* replace it in place */
    xml = v2k_outdisks_domain_xml(&l->disks, l->o, s, gc, &dopts);
    if (xml == NULL)
        goto out;
    if (v2k_outdisks_commit(&l->disks, l->o->overwrite) == -1)
        goto out;
    dom = virDomainDefineXML(l->conn, xml);
    if (dom == NULL) {
        v2k_error("-o libvirt: defining domain '%s' on %s: %s", s->name,
                  l->uri, lv_errmsg());
        v2k_outdisks_uncommit(&l->disks);
        goto out;
    }
    virDomainFree(dom);
    if (virStoragePoolRefresh(l->pool, 0) == -1)
        v2k_warning("-o libvirt: refreshing the storage pool: %s",
                    lv_errmsg());
    v2k_msg("Defined domain %s on %s", s->name, l->uri);
    r = 0;
out:
    free(xml);
    return r;
}

const struct v2k_output v2k_output_libvirt = {
    .name = "libvirt",
    .help = "disks in a libvirt storage pool, domain defined through "
            "libvirt",
    .setup = lv_setup,
    .disk_tmp_path = lv_disk_tmp_path,
    .disk_format = lv_disk_format,
    .finalize = lv_finalize,
    .free = lv_free,
};
