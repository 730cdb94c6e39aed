/* inputs/vsphere.c - -ic esx://HOST or vpx://VCENTER/DC/... NAME: a VM on
 * VMware ESXi or behind vCenter, read over the vSphere Web Services API.
 *
 *   -ic esx://[USER@]HOST[:PORT][/][?no_verify=1]            (USER: root)
 *   -ic vpx://USER@VCENTER[:PORT]/[FOLDER/]DC[/CLUSTER]/HOST[?no_verify=1]
 *   -ip PASSWORDFILE   (first line; required)
 *
 * virt-v2v names this input "-i libvirt"; so do we, and -ic esx:// or
 * vpx:// without -i selects it.  Nothing runs on the host: we speak SOAP
 * 1.1 (POST https://HOST/sdk, SOAPAction "urn:vim25/VERSION") with
 * libcurl and read the answers with libxml2 (xml-util.h, no DTD, capped):
 *   RetrieveServiceContent -> Login (session cookie vmware_soap_session)
 *   -> SearchIndex.FindByInventoryPath("DC/vm/NAME") -> PropertyCollector
 *   .RetrievePropertiesEx(runtime.powerState, config.files.vmPathName,
 *   config.firmware, datastore) -> the datastores' name and summary.url
 *   (a .vmx names a disk on another datastore /vmfs/volumes/UUID/...).
 * A powered-on VM is refused (its disks change under the copy).  The
 * .vmx and the disks are then read through the datastore's HTTP
 * endpoint https://HOST/folder/DIR/FILE?dcPath=DC&dsName=DS with the
 * session cookie (formats/transport-https.c: ranged GETs, keep-alive,
 * retries and resumption), and the .vmx is parsed by inputs/vmx.c.
 *
 * The disks are opened again by the copy (and by any helper process):
 * the session cookie is handed on through V2K_HTTP_COOKIE_FILE, a file
 * readable only by us in a private directory, removed at close (after
 * the copy, on every path) with the session logged out; no_verify=1 through V2K_TLS_NO_VERIFY.  The password is
 * read from the -ip file only, sent inside the TLS connection, wiped
 * after use and never printed: SOAP faults are reported by their
 * faultstring and fault type, never by echoing the request.
 *
 * The SOAP client (the URI, the calls, Login) is vsphere-soap.c; this
 * file finds the VM, its datastores and its files.
 *
 * Errors: setup returns NULL with one message "-i libvirt: ..." naming
 * the host, the call and the VM.
 */
#include "cleanup.h"
#include "error.h"
#include "input.h"
#include "inputs-internal.h"
#include "log.h"
#include "outfile.h"
#include "transport.h"
#include "util.h"
#include "vsphere-soap.h"
#include "xml-util.h"

#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/tree.h>

#define VS_MAX_VMX (1U << 20)           /* as inputs/vmx.c */
#define VS_LOGOUT_TIMEOUT 10L           /* at close: connect and call */

#define VS_MAX_DATASTORES 256    /* of one VM */

struct vm_props {
    char *power_state;          /* poweredOn, poweredOff, suspended */
    char *vmx_path;             /* "[datastore1] VM/VM.vmx" */
    char *firmware;             /* "bios", "efi", or NULL */
    char **datastores;          /* the VM's datastores' ids (owned) */
    size_t ndatastores;
};

/* The VM's "datastore" value: an ArrayOfManagedObjectReference. */
static int
vm_datastores(struct vs *v, const xmlNode *val, struct vm_props *p)
{
    for (xmlNode *c = val ? val->children : NULL; c; c = c->next) {
        char *id;
        if (!v2k_xml_is(c, "ManagedObjectReference"))
            continue;
        if (p->ndatastores == VS_MAX_DATASTORES) {
            v2k_error("%s: the VM has more than %d datastores", v->ic,
                      VS_MAX_DATASTORES);
            return -1;
        }
        if ((id = v2k_xml_content(c)) == NULL)
            return -1;
        if (p->ndatastores == 0 &&
            (p->datastores = v2k_calloc(VS_MAX_DATASTORES,
                                        sizeof *p->datastores)) == NULL) {
            free(id);
            return -1;
        }
        p->datastores[p->ndatastores++] = id;
    }
    return 0;
}

static int
vm_properties(struct vs *v, const char *vm, struct vm_props *p)
{
    static const char m[] = "RetrievePropertiesEx";
    CLEANUP_FREE char *epc = v2k_vs_xml_escape(v->property_collector);
    CLEANUP_FREE char *evm = v2k_vs_xml_escape(vm);
    CLEANUP_FREE char *body = NULL;
    xmlNode *r, *obj;

    if (epc == NULL || evm == NULL)
        return -1;
    body = v2k_asprintf(
        "<RetrievePropertiesEx xmlns=\"urn:vim25\">"
        "<_this type=\"PropertyCollector\">%s</_this><specSet>"
        "<propSet><type>VirtualMachine</type>"
        "<pathSet>runtime.powerState</pathSet>"
        "<pathSet>config.files.vmPathName</pathSet>"
        "<pathSet>config.firmware</pathSet>"
        "<pathSet>datastore</pathSet></propSet>"
        "<objectSet><obj type=\"VirtualMachine\">%s</obj>"
        "<skip>false</skip></objectSet>"
        "</specSet><options/></RetrievePropertiesEx>", epc, evm);
    if (body == NULL || (r = v2k_vs_soap_call(v, m, body)) == NULL)
        return -1;
    obj = v2k_xml_find(r, "objects");
    for (xmlNode *ps = obj ? obj->children : NULL; ps; ps = ps->next) {
        CLEANUP_FREE char *name = NULL;
        char **field = NULL;
        if (!v2k_xml_is(ps, "propSet"))
            continue;
        if ((name = v2k_xml_content(v2k_xml_child(ps, "name"))) == NULL)
            return -1;
        if (strcmp(name, "runtime.powerState") == 0)
            field = &p->power_state;
        else if (strcmp(name, "config.files.vmPathName") == 0)
            field = &p->vmx_path;
        else if (strcmp(name, "config.firmware") == 0)
            field = &p->firmware;
        else if (strcmp(name, "datastore") == 0 && p->ndatastores == 0 &&
                 vm_datastores(v, v2k_xml_child(ps, "val"), p) == -1)
            return -1;
        if (field && *field == NULL &&
            (*field = v2k_xml_content(v2k_xml_child(ps, "val"))) == NULL)
            return -1;
    }
    if (p->power_state == NULL || p->vmx_path == NULL) {
        v2k_error("%s: %s: VM %s: no %s in the answer", v->ic, m, vm,
                  p->power_state ? "config.files.vmPathName"
                                 : "runtime.powerState");
        return -1;
    }
    return 0;
}

/* A datastore of the VM: its name, and the last component of its URL:
 * on ESXi summary.url is "ds:///vmfs/volumes/UUID/", and a .vmx names
 * a disk on another datastore as /vmfs/volumes/UUID/DIR/FILE. */
struct ds_id {
    char *name;
    char *uuid;                 /* or NULL */
};

static void
ds_ids_free(struct ds_id *ids, size_t n)
{
    for (size_t i = 0; ids && i < n; i++) {
        free(ids[i].name);
        free(ids[i].uuid);
    }
    free(ids);
}

/* "ds:///vmfs/volumes/UUID/" -> "UUID" (owned; "" for "", NULL on
 * ENOMEM). */
static char *
url_last(const char *url)
{
    size_t n = strlen(url);
    const char *b;

    while (n && url[n - 1] == '/')
        n--;
    for (b = url + n; b > url && b[-1] != '/'; b--)
        ;
    return v2k_asprintf("%.*s", (int)(url + n - b), b);
}

/* Names and URLs of p's datastores (one RetrievePropertiesEx): *ids
 * owned, *n entries; 0 datastores is no error. */
static int
ds_ids(struct vs *v, const struct vm_props *p, struct ds_id **ids,
       size_t *n)
{
    static const char m[] = "RetrievePropertiesEx";
    CLEANUP_FREE char *epc = v2k_vs_xml_escape(v->property_collector);
    char *body = NULL;
    size_t len = 0;
    bool oom = false;
    FILE *fp;
    xmlNode *r;

    *ids = NULL;
    *n = 0;
    if (p->ndatastores == 0)
        return 0;
    if (epc == NULL)
        return -1;
    if ((fp = open_memstream(&body, &len)) == NULL) {
        v2k_error_errno(errno, "open_memstream");
        return -1;
    }
    fprintf(fp, "<RetrievePropertiesEx xmlns=\"urn:vim25\">"
            "<_this type=\"PropertyCollector\">%s</_this><specSet>"
            "<propSet><type>Datastore</type><pathSet>name</pathSet>"
            "<pathSet>summary.url</pathSet></propSet>", epc);
    for (size_t i = 0; i < p->ndatastores; i++) {
        CLEANUP_FREE char *e = v2k_vs_xml_escape(p->datastores[i]);
        fprintf(fp, "<objectSet><obj type=\"Datastore\">%s</obj>"
                "<skip>false</skip></objectSet>", e ? e : "");
        if (e == NULL)
            oom = true;
    }
    fputs("</specSet><options/></RetrievePropertiesEx>", fp);
    if (fclose(fp) != 0 || body == NULL || oom) {
        if (!oom)
            v2k_error("out of memory");
        free(body);
        return -1;
    }
    r = v2k_vs_soap_call(v, m, body);
    free(body);
    if (r == NULL)
        return -1;
    if ((*ids = v2k_calloc(p->ndatastores, sizeof **ids)) == NULL)
        return -1;
    r = v2k_xml_find(r, "returnval");
    for (xmlNode *o = r ? r->children : NULL; o && *n < p->ndatastores;
         o = o->next) {
        struct ds_id *d = &(*ids)[*n];
        if (!v2k_xml_is(o, "objects"))
            continue;
        for (xmlNode *ps = o->children; ps; ps = ps->next) {
            CLEANUP_FREE char *pn = NULL;
            CLEANUP_FREE char *val = NULL;
            if (!v2k_xml_is(ps, "propSet"))
                continue;
            if ((pn = v2k_xml_content(v2k_xml_child(ps, "name"))) == NULL ||
                (val = v2k_xml_content(v2k_xml_child(ps, "val"))) == NULL)
                goto fail;
            if (strcmp(pn, "name") == 0 && d->name == NULL) {
                d->name = val;
                val = NULL;
            } else if (strcmp(pn, "summary.url") == 0 && d->uuid == NULL &&
                       (d->uuid = url_last(val)) == NULL) {
                goto fail;
            }
        }
        if (d->name) {
            v2k_debug("%s: datastore %s: /vmfs/volumes/%s", v->ic, d->name,
                      d->uuid ? d->uuid : "?");
            (*n)++;
        } else {
            free(d->uuid);
            d->uuid = NULL;
        }
    }
    return 0;
fail:
    ds_ids_free(*ids, p->ndatastores);
    *ids = NULL;
    *n = 0;
    return -1;
}

/* The datacenter's inventory path: esx: "ha-datacenter"; vpx: the
 * shortest prefix of the URI's path that is a Datacenter (datacenters
 * may sit in folders); *rest is what follows (CLUSTER/HOST). */
static char *
datacenter(struct vs *v, const char **rest)
{
    const char *p = v->u.path;
    size_t n = 0;

    if (!v->u.vpx) {
        *rest = "";
        return v2k_strdup("ha-datacenter");
    }
    for (;;) {
        CLEANUP_FREE char *type = NULL;
        CLEANUP_FREE char *id = NULL;
        char *prefix;
        int r;

        n += strcspn(p + n, "/");
        prefix = v2k_asprintf("%.*s", (int)n, p);
        if (prefix == NULL)
            return NULL;
        r = v2k_vs_find_by_path(v, prefix, &type, &id);
        if (r == -1) {
            free(prefix);
            return NULL;
        }
        if (r == 1 && strcmp(type, "Datacenter") == 0) {
            *rest = p[n] ? p + n + 1 : "";
            return prefix;
        }
        free(prefix);
        if (p[n] == '\0' || r == 0) {
            v2k_error("%s: no datacenter at the start of '%s'", v->ic, p);
            return NULL;
        }
        n++;
    }
}

/* The path/query value s, percent-escaped (RFC 3986 unreserved kept,
 * and '/' when keep_slash). */
static char *
escape(const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    char *r = v2k_malloc(3 * strlen(s) + 1), *q = r;

    if (r == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p) || (keep_slash && *p == '/')) {
            *q++ = (char)*p;
        } else {
            *q++ = '%';
            *q++ = hex[*p >> 4];
            *q++ = hex[*p & 15];
        }
    }
    *q = '\0';
    return r;
}

/* https://HOST/folder/PATH?dcPath=DC&dsName=DS */
static char *
folder_url(const struct vs *v, const char *dc, const char *ds,
           const char *path)
{
    CLEANUP_FREE char *ep = escape(path, true);
    CLEANUP_FREE char *edc = escape(dc, false);
    CLEANUP_FREE char *eds = escape(ds, false);

    if (ep == NULL || edc == NULL || eds == NULL)
        return NULL;
    return v2k_asprintf("https://%s/folder/%s?dcPath=%s&dsName=%s",
                        v->u.hostport, ep, edc, eds);
}

struct resolver {
    const struct vs *v;
    const char *dc;
    const char *vmx_url;
    const struct ds_id *ds;     /* the VM's datastores */
    size_t nds;
};

/* A file name in the .vmx: relative to the .vmx's URL; an absolute
 * /vmfs/volumes/DS/PATH on datastore DS, named by its name or by the
 * UUID in its URL (a name nothing matches is tried as a name). */
static char *
resolve_ds(void *arg, const char *name)
{
    const struct resolver *r = arg;
    const char *p, *e;
    CLEANUP_FREE char *ds = NULL;

    if (name[0] != '/')
        return v2k_uri_resolve(r->vmx_url, name);
    if (strncmp(name, "/vmfs/volumes/", 14) != 0 ||
        (e = strchr((p = name + 14), '/')) == NULL || e == p) {
        v2k_error("'%s': not a file on a datastore (/vmfs/volumes/DS/...)",
                  name);
        return NULL;
    }
    if ((ds = v2k_asprintf("%.*s", (int)(e - p), p)) == NULL)
        return NULL;
    for (size_t i = 0; i < r->nds; i++)
        if (strcmp(r->ds[i].name, ds) == 0)
            return folder_url(r->v, r->dc, ds, e + 1);
    for (size_t i = 0; i < r->nds; i++)
        if (r->ds[i].uuid && strcmp(r->ds[i].uuid, ds) == 0) {
            v2k_debug("%s: /vmfs/volumes/%s is datastore %s", name, ds,
                      r->ds[i].name);
            return folder_url(r->v, r->dc, r->ds[i].name, e + 1);
        }
    return folder_url(r->v, r->dc, ds, e + 1);
}

/* "[DS] DIR/VM.vmx" -> DS and "DIR/VM.vmx". */
static int
split_ds_path(const struct vs *v, const char *vm, const char *s, char **ds,
              char **path)
{
    const char *e = strchr(s, ']');

    if (s[0] != '[' || e == NULL || e == s + 1) {
        v2k_error("%s: VM %s: config.files.vmPathName '%s' is not \"[DATASTORE] PATH\"", v->ic, vm, s);
        return -1;
    }
    *ds = v2k_asprintf("%.*s", (int)(e - s - 1), s + 1);
    for (e++; *e == ' '; e++)
        ;
    *path = v2k_strdup(e);
    return *ds && *path ? 0 : -1;
}

/* The input's state (input.h), owned by the pipeline from
 * vsphere_open() on: the session, logged out at close (the copy reads
 * the disks with its cookie until then; a vCenter limits the sessions
 * of a user, and hundreds of conversions in a batch would otherwise
 * leave as many behind until they time out), and the cookie file. */
struct vsphere {
    struct vs v;
    bool logged_in;
    bool set_no_verify;         /* we set V2K_TLS_NO_VERIFY */
    bool set_cookie_env;        /* we set V2K_HTTP_COOKIE_FILE */
    char *cookie_dir, *cookie_path;
};

/* The session cookie in a private file named by V2K_HTTP_COOKIE_FILE,
 * so that every later opening of the disks (the copy, helpers) sends
 * it; removed at close and with the outputs on failure. */
static void
remove_cookie(struct vsphere *vp)
{
    if (vp->set_cookie_env)
        unsetenv("V2K_HTTP_COOKIE_FILE");
    if (vp->cookie_path) {
        unlink(vp->cookie_path);
        v2k_outfile_forget(vp->cookie_path);
    }
    if (vp->cookie_dir)
        rmdir(vp->cookie_dir);
    free(vp->cookie_path);
    free(vp->cookie_dir);
    vp->cookie_path = vp->cookie_dir = NULL;
}

static int
publish_cookie(struct vsphere *vp, const char *cookie)
{
    const char *tmp = getenv("TMPDIR");
    CLEANUP_CLOSE int fd = -1;
    size_t n = strlen(cookie);

    if (vp->cookie_path == NULL) {
        vp->cookie_dir = v2k_asprintf("%s/v2kvm-session.XXXXXX",
                                      tmp && *tmp ? tmp : "/tmp");
        if (vp->cookie_dir == NULL)
            return -1;
        if (mkdtemp(vp->cookie_dir) == NULL) {
            v2k_error_errno(errno, "%s", vp->cookie_dir);
            free(vp->cookie_dir);
            vp->cookie_dir = NULL;
            return -1;
        }
        vp->cookie_path = v2k_asprintf("%s/cookie", vp->cookie_dir);
        if (vp->cookie_path == NULL)
            return -1;
    }
    fd = open(vp->cookie_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
              0600);
    if (fd == -1 || v2k_outfile_register(vp->cookie_path) == -1) {
        v2k_error_errno(errno, "%s", vp->cookie_path);
        return -1;
    }
    if (write(fd, cookie, n) != (ssize_t)n || write(fd, "\n", 1) != 1) {
        v2k_error_errno(errno, "%s", vp->cookie_path);
        return -1;
    }
    if (setenv("V2K_HTTP_COOKIE_FILE", vp->cookie_path, 1) == -1) {
        v2k_error_errno(errno, "setenv");
        return -1;
    }
    vp->set_cookie_env = true;
    return 0;
}

static struct v2k_source *
vsphere_connect(struct vsphere *vp, const struct v2k_options *o)
{
    struct vs *v = &vp->v;
    const char *name = o->sources[0], *rest = NULL;
    struct v2k_remote_opts ropts;
    struct vm_props p = { 0 };
    struct resolver res = { .v = v };
    CLEANUP_FREE char *cookie = NULL;
    CLEANUP_FREE char *dc = NULL;
    CLEANUP_FREE char *path = NULL;
    CLEANUP_FREE char *type = NULL;
    CLEANUP_FREE char *vm = NULL;
    CLEANUP_FREE char *ds = NULL;
    CLEANUP_FREE char *dspath = NULL;
    CLEANUP_FREE char *url = NULL;
    CLEANUP_FREE char *buf = NULL;
    struct v2k_source *s = NULL;
    struct ds_id *dsids = NULL;
    size_t len = 0, nds = 0;
    int r;

    v2k_options_remote_opts(o, &ropts);
    if (v2k_vs_parse_ic(o->input_uri, &v->u) == -1)
        return NULL;
    if (v->u.no_verify) {
        v2k_warning("%s: not verifying the TLS certificate of %s (no_verify=1): the connection could be intercepted",
                    v->ic, v->u.hostport);
        ropts.tls_no_verify = true;
        /* For the copy, which opens the disks again. */
        if (getenv("V2K_TLS_NO_VERIFY") == NULL) {
            if (setenv("V2K_TLS_NO_VERIFY", "1", 1) == -1) {
                v2k_error_errno(errno, "setenv");
                return NULL;
            }
            vp->set_no_verify = true;
        }
    }
    if (v2k_vs_connect(v, &ropts) == -1 ||
        v2k_vs_service_content(v) == -1 ||
        v2k_vs_login(v, o->password_file) == -1)
        return NULL;
    vp->logged_in = true;
    if ((cookie = v2k_vs_session_cookie(v)) == NULL)
        return NULL;
    if ((dc = datacenter(v, &rest)) == NULL)
        goto out;
    if (*rest) {
        /* vpx: the cluster/host part must exist (a typo is caught here,
         * not as "no such VM"). */
        CLEANUP_FREE char *hp = v2k_asprintf("%s/host/%s", dc, rest);
        CLEANUP_FREE char *hid = NULL;
        if (hp == NULL || (r = v2k_vs_find_by_path(v, hp, &type, &hid)) == -1)
            goto out;
        if (r == 0) {
            v2k_error("%s: datacenter %s has no host or cluster '%s'",
                      v->ic, dc, rest);
            goto out;
        }
        free(type);
        type = NULL;
    }
    if ((path = v2k_asprintf("%s/vm/%s", dc, name)) == NULL)
        goto out;
    if ((r = v2k_vs_find_by_path(v, path, &type, &vm)) == -1)
        goto out;
    if (r == 0 || strcmp(type, "VirtualMachine") != 0) {
        v2k_error("%s: no VM called '%s' in datacenter %s", v->ic, name,
                  dc);
        goto out;
    }
    if (vm_properties(v, vm, &p) == -1)
        goto out;
    v2k_debug("%s: VM %s (%s): %s, %s, firmware %s", v->ic, name, vm,
              p.power_state, p.vmx_path, p.firmware ? p.firmware : "-");
    if (strcmp(p.power_state, "poweredOff") != 0) {
        v2k_error("%s: VM '%s' is %s: shut it down first (the disks of a running VM change while they are copied)", v->ic, name,
                  p.power_state);
        goto out;
    }
    if (split_ds_path(v, name, p.vmx_path, &ds, &dspath) == -1 ||
        (url = folder_url(v, dc, ds, dspath)) == NULL)
        goto out;
    ropts.cookie = cookie;
    buf = v2k_input_remote_read(url, &ropts, VS_MAX_VMX, &len);
    if (buf == NULL) {
        v2k_error_prepend("VM '%s': ", name);
        goto out;
    }
    if (ds_ids(v, &p, &dsids, &nds) == -1)
        goto out;
    res.dc = dc;
    res.vmx_url = url;
    res.ds = dsids;
    res.nds = nds;
    s = v2k_vmx_parse(buf, len, url, resolve_ds, &res, &ropts);
    if (s == NULL)
        goto out;
    /* The inventory's name, which the user gave (the .vmx's displayName
     * is usually the same). */
    free(s->name);
    if ((s->name = v2k_strdup(name)) == NULL) {
        v2k_source_free(s);
        s = NULL;
        goto out;
    }
    if (p.firmware && strcmp(p.firmware, "efi") == 0)
        s->firmware = V2K_FW_UEFI;
    else if (p.firmware && strcmp(p.firmware, "bios") == 0)
        s->firmware = V2K_FW_BIOS;
    if (publish_cookie(vp, cookie) == -1) {
        v2k_source_free(s);
        s = NULL;
    }
out:
    if (cookie)
        explicit_bzero(cookie, strlen(cookie));
    ds_ids_free(dsids, p.ndatastores);
    for (size_t i = 0; i < p.ndatastores; i++)
        free(p.datastores[i]);
    free(p.datastores);
    free(p.power_state);
    free(p.vmx_path);
    free(p.firmware);
    return s;
}

/* After the copy (input.h): end the session (SessionManager.Logout,
 * bounded by VS_LOGOUT_TIMEOUT) on every path where Login succeeded,
 * and remove the cookie file.  The pipeline's error message is kept. */
static void
vsphere_close(void *state)
{
    struct vsphere *vp = state;
    CLEANUP_FREE char *saved = NULL;

    if (vp == NULL)
        return;
    saved = v2k_strdup(v2k_error_message());
    if (vp->logged_in) {
        if (v2k_vs_logout(&vp->v, VS_LOGOUT_TIMEOUT) == 0)
            v2k_debug("%s: logged out", vp->v.ic);
        else
            v2k_debug("%s: logout failed (the session times out on the host): %s", vp->v.ic, v2k_error_message());
    }
    remove_cookie(vp);
    if (vp->set_no_verify)
        unsetenv("V2K_TLS_NO_VERIFY");
    v2k_vs_clear(&vp->v);
    free(vp);
    v2k_error_clear();
    if (saved && *saved)
        v2k_error("%s", saved);
}

static struct v2k_source *
vsphere_open(const struct v2k_options *o, void **state)
{
    struct vsphere *vp = v2k_calloc(1, sizeof *vp);
    struct v2k_source *s = NULL;

    if (vp == NULL)
        return NULL;
    *state = vp;                /* the pipeline's from now on */
    vp->v.ic = o->input_uri;

    if (o->input_uri == NULL) {
        v2k_error("-i libvirt: give the host with -ic esx://HOST or vpx://USER@VCENTER/DATACENTER/HOST");
    } else if (o->nsources != 1 || o->sources[0][0] == '\0') {
        v2k_error("-i libvirt: give the VM's NAME");
    } else {
        if (o->input_transport)         /* "vddk": checked by options */
            v2k_warning("-it vddk: VMware's VDDK is not used; the disks are read in place over the host's HTTPS datastore interface%s", o->vddk_option ? "; the -io vddk-* options are ignored" : "");
        s = vsphere_connect(vp, o);
    }
    if (s == NULL)
        v2k_error_prepend("-i libvirt: ");
    return s;
}

const struct v2k_input v2k_input_libvirt = {
    .name = "libvirt",
    .help = "a VM on VMware ESXi or vCenter: -ic esx://HOST or "
            "vpx://USER@VCENTER/DC/HOST, the VM's NAME as SOURCE, "
            "-ip PASSWORDFILE",
    .open = vsphere_open,
    .close = vsphere_close,
};
