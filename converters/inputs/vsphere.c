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
 * readable only by us in a private directory, removed at exit and on
 * failure; no_verify=1 through V2K_TLS_NO_VERIFY.  The password is
 * read from the -ip file only, sent inside the TLS connection, wiped
 * after use and never printed: SOAP faults are reported by their
 * faultstring and fault type, never by echoing the request.
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

#define VS_MAX_ANSWER (8U << 20)        /* a SOAP answer */
#define VS_MAX_VMX (1U << 20)           /* as inputs/vmx.c */
#define VS_MAX_PASSWORD 4096
#define VS_CONNECT_TIMEOUT 30L
#define VS_TIMEOUT 300L                 /* one SOAP call */
#define VS_LOGOUT_TIMEOUT 10L           /* at exit: connect and call */
#define VS_SYSTEM_CAPATH "/etc/ssl/certs"
#define VS_COOKIE_NAME "vmware_soap_session"

struct vs_uri {
    bool vpx;
    char *user;                 /* percent-decoded */
    char *hostport;             /* "HOST[:PORT]" as given */
    char *path;                 /* vpx: "DC/CLUSTER/HOST" (no '/' ends) */
    bool no_verify;
};

struct vs {
    const char *ic;             /* -ic, for messages (no password in it) */
    struct vs_uri u;
    CURL *h;
    char errbuf[CURL_ERROR_SIZE];
    char *sdk;                  /* https://HOST[:PORT]/sdk */
    char *action;               /* SOAPAction value */
    char *answer;               /* last answer */
    size_t len;
    bool toobig;
    xmlDoc *doc;                /* last answer, parsed */
    /* From the ServiceContent. */
    char *property_collector, *search_index, *session_manager;
    char *api_type;
};

static void
vs_uri_clear(struct vs_uri *u)
{
    free(u->user);
    free(u->hostport);
    free(u->path);
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* [s, s + n) percent-decoded; NULL on a %00 or a bad escape. */
static char *
pct_decode(const char *s, size_t n)
{
    char *r = v2k_malloc(n + 1), *q = r;

    if (r == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] != '%') {
            *q++ = s[i];
            continue;
        }
        hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
        lo = hi >= 0 ? hexval((unsigned char)s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi | lo) == 0) {
            v2k_error("'%.*s': bad percent escape", (int)n, s);
            free(r);
            return NULL;
        }
        *q++ = (char)(hi << 4 | lo);
        i += 2;
    }
    *q = '\0';
    return r;
}

/* esx://[USER@]HOST[:PORT][/][?no_verify=0|1]
 * vpx://USER@HOST[:PORT]/PATH[?no_verify=0|1] */
static int
parse_ic(const char *ic, struct vs_uri *u)
{
    const char *a, *e, *at, *p, *q;
    size_t plen;

    if (strncasecmp(ic, "esx://", 6) == 0) {
        a = ic + 6;
    } else if (strncasecmp(ic, "vpx://", 6) == 0) {
        u->vpx = true;
        a = ic + 6;
    } else {
        v2k_error("-ic '%s': expected esx://HOST or vpx://USER@VCENTER/DC/HOST (for Xen use -i xen, for VirtualBox -i vbox)", ic);
        return -1;
    }
    e = a + strcspn(a, "/?#");
    at = memchr(a, '@', (size_t)(e - a));
    if (at && memchr(a, ':', (size_t)(at - a))) {
        v2k_error("-ic: a password in the URI is not allowed (give a password file with -ip FILE)");
        return -1;
    }
    if (at) {
        if ((u->user = pct_decode(a, (size_t)(at - a))) == NULL)
            return -1;
        a = at + 1;
    }
    if (a == e) {
        v2k_error("-ic '%s': no host name", ic);
        return -1;
    }
    if ((u->hostport = v2k_asprintf("%.*s", (int)(e - a), a)) == NULL)
        return -1;
    p = e;
    q = p + strcspn(p, "?#");
    while (p < q && *p == '/')
        p++;
    plen = (size_t)(q - p);
    while (plen > 0 && p[plen - 1] == '/')
        plen--;
    if (!u->vpx && plen) {
        v2k_error("-ic '%s': an esx:// URI has no path (for vCenter use vpx://USER@VCENTER/DATACENTER/HOST)", ic);
        return -1;
    }
    if (u->vpx && plen == 0) {
        v2k_error("-ic '%s': expected vpx://USER@VCENTER/DATACENTER[/CLUSTER]/HOST", ic);
        return -1;
    }
    if (u->vpx && u->user == NULL) {
        v2k_error("-ic '%s': vpx:// needs the vCenter user (vpx://USER@VCENTER/...)", ic);
        return -1;
    }
    if (u->user == NULL && (u->user = v2k_strdup("root")) == NULL)
        return -1;
    if (plen && (u->path = pct_decode(p, plen)) == NULL)
        return -1;
    if (*q == '?') {
        const char *k = q + 1;
        while (*k && *k != '#') {
            size_t n = strcspn(k, "&#");
            if ((n == 11 || n == 9) && strncmp(k, "no_verify", 9) == 0 &&
                (n == 9 || k[10] == '0' || k[10] == '1') &&
                (n == 9 || k[9] == '=')) {
                u->no_verify = n == 9 || k[10] == '1';
            } else {
                v2k_error("-ic '%s': unknown parameter '%.*s' (known: no_verify=1)", ic, (int)n, k);
                return -1;
            }
            k += n;
            if (*k == '&')
                k++;
        }
    }
    return 0;
}

/* --- SOAP over libcurl ------------------------------------------------- */

static size_t
vs_write(char *p, size_t size, size_t n, void *arg)
{
    struct vs *v = arg;
    size_t len = size * n;
    char *nb;

    if (len > VS_MAX_ANSWER - v->len) {
        v->toobig = true;
        return 0;
    }
    nb = realloc(v->answer, v->len + len + 1);
    if (nb == NULL)
        return 0;
    v->answer = nb;
    memcpy(v->answer + v->len, p, len);
    v->len += len;
    v->answer[v->len] = '\0';
    return len;
}

/* s escaped for XML text (&, <, >, quotes). */
static char *
xml_escape(const char *s)
{
    size_t n = 0;
    char *r, *q;

    for (const char *p = s; *p; p++)
        n += strchr("&<>\"'", *p) ? 6 : 1;
    if ((r = v2k_malloc(n + 1)) == NULL)
        return NULL;
    q = r;
    for (const char *p = s; *p; p++) {
        const char *rep = *p == '&' ? "&amp;" : *p == '<' ? "&lt;"
                        : *p == '>' ? "&gt;" : *p == '"' ? "&quot;"
                        : *p == '\'' ? "&apos;" : NULL;
        if (rep) {
            memcpy(q, rep, strlen(rep));
            q += strlen(rep);
        } else {
            *q++ = *p;
        }
    }
    *q = '\0';
    return r;
}

static bool
is_el(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE &&
           strcmp((const char *)n->name, name) == 0;
}

/* The first element called name under n (depth first), or NULL. */
static xmlNode *
find_el(xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
        xmlNode *r;
        if (is_el(c, name))
            return c;
        if ((r = find_el(c, name)) != NULL)
            return r;
    }
    return NULL;
}

static xmlNode *
child_el(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (is_el(c, name))
            return c;
    return NULL;
}

/* The text of n (owned, v2k allocator), "" for an empty element, NULL
 * for n NULL or ENOMEM. */
static char *
text_of(const xmlNode *n)
{
    xmlChar *t;
    char *r;

    if (n == NULL)
        return NULL;
    t = xmlNodeGetContent(n);
    r = v2k_strdup(t ? (const char *)t : "");
    xmlFree(t);
    return r;
}

/* The answer was a SOAP fault: one message with its faultstring and
 * fault type (the detail's first element, "InvalidLoginFault"). */
static void
report_fault(struct vs *v, const char *method, long status)
{
    xmlNode *root = v->doc ? xmlDocGetRootElement(v->doc) : NULL;
    xmlNode *f = root ? find_el(root, "Fault") : NULL;
    CLEANUP_FREE char *fs = f ? text_of(child_el(f, "faultstring")) : NULL;
    const char *type = "";
    xmlNode *d = f ? child_el(f, "detail") : NULL;

    for (xmlNode *c = d ? d->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            type = (const char *)c->name;
            break;
        }
    if (f == NULL) {
        v2k_error("%s: %s: HTTP %ld from %s (not a SOAP answer)", v->ic,
                  method, status, v->sdk);
        return;
    }
    if (fs && strlen(fs) > 300)
        fs[300] = '\0';
    v2k_error("%s: %s failed: %s%s%s%s", v->ic, method,
              fs && *fs ? fs : "SOAP fault", *type ? " (" : "", type,
              *type ? ")" : "");
}

/* POST one request; on success v->doc holds the answer and the return
 * is its Body's first element.  body is the Body's inner XML. */
static xmlNode *
soap_call(struct vs *v, const char *method, const char *body)
{
    CLEANUP_FREE char *env = NULL;
    CLEANUP_FREE char *act = NULL;
    struct curl_slist *hdrs = NULL, *h2;
    long status = 0;
    CURLcode rc = CURLE_OK;
    xmlNode *n;

    env = v2k_asprintf(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<soapenv:Envelope "
        "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
        "<soapenv:Body>%s</soapenv:Body></soapenv:Envelope>", body);
    act = v2k_asprintf("SOAPAction: \"%s\"", v->action);
    if (env == NULL || act == NULL)
        return NULL;
    hdrs = curl_slist_append(NULL, "Content-Type: text/xml; charset=utf-8");
    h2 = hdrs ? curl_slist_append(hdrs, act) : NULL;
    if (h2 == NULL) {
        curl_slist_free_all(hdrs);
        v2k_error("out of memory");
        return NULL;
    }
    hdrs = h2;
    free(v->answer);
    v->answer = NULL;
    v->len = 0;
    v->toobig = false;
    xmlFreeDoc(v->doc);
    v->doc = NULL;
    v->errbuf[0] = '\0';
    rc |= curl_easy_setopt(v->h, CURLOPT_HTTPHEADER, hdrs);
    rc |= curl_easy_setopt(v->h, CURLOPT_POSTFIELDS, env);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(v->h);
    curl_easy_setopt(v->h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(v->h, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(hdrs);
    /* The request may carry the password: wipe it. */
    explicit_bzero(env, strlen(env));
    if (rc != CURLE_OK) {
        const char *why = v->errbuf[0] ? v->errbuf : curl_easy_strerror(rc);
        if (v->toobig)
            v2k_error("%s: %s: the answer is larger than %u bytes", v->ic,
                      method, VS_MAX_ANSWER);
        else if (rc == CURLE_PEER_FAILED_VERIFICATION)
            v2k_error("%s: the TLS certificate of %s is not trusted: %s (give its CA with -io cafile=FILE, or skip the check with ?no_verify=1)", v->ic, v->u.hostport, why);
        else
            v2k_error("%s: %s: %s", v->ic, method, why);
        return NULL;
    }
    curl_easy_getinfo(v->h, CURLINFO_RESPONSE_CODE, &status);
    if (v->len)
        v->doc = v2k_xml_parse(v->answer, v->len, v->sdk, VS_MAX_ANSWER);
    if (status != 200) {
        v2k_error_clear();
        report_fault(v, method, status);
        return NULL;
    }
    if (v->doc == NULL) {
        if (v->len == 0)
            v2k_error("%s: %s: empty answer from %s", v->ic, method, v->sdk);
        v2k_error_prepend("%s: %s: ", v->ic, method);
        return NULL;
    }
    n = find_el(xmlDocGetRootElement(v->doc), "Body");
    for (n = n ? n->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            break;
    if (n == NULL || is_el(n, "Fault")) {
        report_fault(v, method, status);
        return NULL;
    }
    return n;
}

static int
vs_connect(struct vs *v, const struct v2k_remote_opts *ro)
{
    CURLcode rc = CURLE_OK;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        v2k_error("libcurl initialisation failed");
        return -1;
    }
    v->sdk = v2k_asprintf("https://%s/sdk", v->u.hostport);
    v->action = v2k_strdup("urn:vim25");
    if (v->sdk == NULL || v->action == NULL)
        return -1;
    if ((v->h = curl_easy_init()) == NULL) {
        v2k_error("cannot create a libcurl handle");
        return -1;
    }
    rc |= curl_easy_setopt(v->h, CURLOPT_URL, v->sdk);
    rc |= curl_easy_setopt(v->h, CURLOPT_PROTOCOLS_STR, "https");
    rc |= curl_easy_setopt(v->h, CURLOPT_USERAGENT, "v2kvm");
    rc |= curl_easy_setopt(v->h, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(v->h, CURLOPT_FOLLOWLOCATION, 0L);
    rc |= curl_easy_setopt(v->h, CURLOPT_ERRORBUFFER, v->errbuf);
    rc |= curl_easy_setopt(v->h, CURLOPT_CONNECTTIMEOUT, VS_CONNECT_TIMEOUT);
    rc |= curl_easy_setopt(v->h, CURLOPT_TIMEOUT, VS_TIMEOUT);
    rc |= curl_easy_setopt(v->h, CURLOPT_WRITEFUNCTION, vs_write);
    rc |= curl_easy_setopt(v->h, CURLOPT_WRITEDATA, v);
    rc |= curl_easy_setopt(v->h, CURLOPT_COOKIEFILE, "");  /* in memory */
    if (v->u.no_verify || ro->tls_no_verify) {
        rc |= curl_easy_setopt(v->h, CURLOPT_SSL_VERIFYPEER, 0L);
        rc |= curl_easy_setopt(v->h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (ro->cafile) {
        rc |= curl_easy_setopt(v->h, CURLOPT_CAINFO, ro->cafile);
        rc |= curl_easy_setopt(v->h, CURLOPT_CAPATH, VS_SYSTEM_CAPATH);
    }
    if (rc != CURLE_OK) {
        v2k_error("cannot set up libcurl for %s", v->sdk);
        return -1;
    }
    return 0;
}

/* A child's text copied into *out (required). */
static int
take(struct vs *v, const char *method, xmlNode *n, const char *name,
     char **out)
{
    xmlNode *c = find_el(n, name);

    if (c == NULL) {
        v2k_error("%s: %s: the answer has no <%s>", v->ic, method, name);
        return -1;
    }
    *out = text_of(c);
    return *out ? 0 : -1;
}

static int
service_content(struct vs *v)
{
    static const char m[] = "RetrieveServiceContent";
    CLEANUP_FREE char *version = NULL;
    xmlNode *r = soap_call(v, m,
        "<RetrieveServiceContent xmlns=\"urn:vim25\">"
        "<_this type=\"ServiceInstance\">ServiceInstance</_this>"
        "</RetrieveServiceContent>");

    if (r == NULL)
        return -1;
    if (take(v, m, r, "propertyCollector", &v->property_collector) == -1 ||
        take(v, m, r, "searchIndex", &v->search_index) == -1 ||
        take(v, m, r, "sessionManager", &v->session_manager) == -1 ||
        take(v, m, r, "apiVersion", &version) == -1 ||
        take(v, m, r, "apiType", &v->api_type) == -1)
        return -1;
    v2k_debug("%s: %s, API %s", v->ic, v->api_type, version);
    free(v->action);
    v->action = v2k_asprintf("urn:vim25/%s", version);
    return v->action ? 0 : -1;
}

/* The first line of the -ip file (owned; the caller wipes it). */
static char *
read_password(const struct vs *v, const char *file)
{
    size_t len;
    char *pw;

    if (file == NULL) {
        v2k_error("%s: give the password of %s in a file with -ip FILE",
                  v->ic, v->u.user);
        return NULL;
    }
    pw = v2k_read_file(file, VS_MAX_PASSWORD, &len);
    if (pw == NULL) {
        v2k_error_prepend("-ip: ");
        return NULL;
    }
    pw[strcspn(pw, "\r\n")] = '\0';
    if (pw[0] == '\0') {
        v2k_error("-ip %s: the first line (the password) is empty", file);
        explicit_bzero(pw, len);
        free(pw);
        return NULL;
    }
    return pw;
}

static int
login(struct vs *v, const char *password_file)
{
    static const char m[] = "Login";
    CLEANUP_FREE char *pw = read_password(v, password_file);
    CLEANUP_FREE char *epw = NULL;
    CLEANUP_FREE char *eu = NULL;
    CLEANUP_FREE char *esm = NULL;
    CLEANUP_FREE char *body = NULL;
    xmlNode *r;
    int ret = -1;

    if (pw == NULL)
        return -1;
    epw = xml_escape(pw);
    explicit_bzero(pw, strlen(pw));
    eu = xml_escape(v->u.user);
    esm = xml_escape(v->session_manager);
    if (epw && eu && esm)
        body = v2k_asprintf("<Login xmlns=\"urn:vim25\">"
                            "<_this type=\"SessionManager\">%s</_this>"
                            "<userName>%s</userName>"
                            "<password>%s</password></Login>",
                            esm, eu, epw);
    if (epw)
        explicit_bzero(epw, strlen(epw));
    if (body == NULL)
        return -1;
    r = soap_call(v, m, body);
    explicit_bzero(body, strlen(body));
    if (r != NULL)
        ret = 0;
    else
        v2k_error_prepend("user %s: ", v->u.user);
    return ret;
}

/* "vmware_soap_session=VALUE" from the handle's cookie jar. */
static char *
session_cookie(struct vs *v)
{
    struct curl_slist *list = NULL;
    bool found = false;
    char *r = NULL;

    if (curl_easy_getinfo(v->h, CURLINFO_COOKIELIST, &list) != CURLE_OK)
        list = NULL;
    for (struct curl_slist *c = list; c && r == NULL; c = c->next) {
        /* Netscape format: domain, flag, path, secure, expiry, name,
         * value, tab-separated. */
        const char *f = c->data;
        for (int i = 0; i < 5 && f; i++) {
            f = strchr(f, '\t');
            f = f ? f + 1 : NULL;
        }
        if (f && strncmp(f, VS_COOKIE_NAME "\t",
                         sizeof VS_COOKIE_NAME) == 0) {
            found = true;
            r = v2k_asprintf("%s=%s", VS_COOKIE_NAME,
                             f + sizeof VS_COOKIE_NAME);
        }
    }
    curl_slist_free_all(list);
    if (!found)
        v2k_error("%s: Login: no %s cookie in the answer", v->ic,
                  VS_COOKIE_NAME);
    return r;
}

/* SearchIndex.FindByInventoryPath: the object's type and id (owned), or
 * 0 when nothing is there. */
static int
find_by_path(struct vs *v, const char *path, char **type, char **id)
{
    static const char m[] = "FindByInventoryPath";
    CLEANUP_FREE char *esi = xml_escape(v->search_index);
    CLEANUP_FREE char *ep = xml_escape(path);
    CLEANUP_FREE char *body = NULL;
    xmlNode *r, *rv;

    *type = *id = NULL;
    if (esi == NULL || ep == NULL)
        return -1;
    body = v2k_asprintf("<FindByInventoryPath xmlns=\"urn:vim25\">"
                        "<_this type=\"SearchIndex\">%s</_this>"
                        "<inventoryPath>%s</inventoryPath>"
                        "</FindByInventoryPath>", esi, ep);
    if (body == NULL || (r = soap_call(v, m, body)) == NULL)
        return -1;
    rv = child_el(r, "returnval");
    if (rv == NULL)
        return 0;
    *type = v2k_xml_prop(rv, "type");
    *id = text_of(rv);
    if (*type == NULL || *id == NULL) {
        free(*type);
        free(*id);
        *type = *id = NULL;
        v2k_error("%s: %s: a <returnval> without a type", v->ic, m);
        return -1;
    }
    return 1;
}

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
        if (!is_el(c, "ManagedObjectReference"))
            continue;
        if (p->ndatastores == VS_MAX_DATASTORES) {
            v2k_error("%s: the VM has more than %d datastores", v->ic,
                      VS_MAX_DATASTORES);
            return -1;
        }
        if ((id = text_of(c)) == NULL)
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
    CLEANUP_FREE char *epc = xml_escape(v->property_collector);
    CLEANUP_FREE char *evm = xml_escape(vm);
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
    if (body == NULL || (r = soap_call(v, m, body)) == NULL)
        return -1;
    obj = find_el(r, "objects");
    for (xmlNode *ps = obj ? obj->children : NULL; ps; ps = ps->next) {
        CLEANUP_FREE char *name = NULL;
        char **field = NULL;
        if (!is_el(ps, "propSet"))
            continue;
        if ((name = text_of(child_el(ps, "name"))) == NULL)
            return -1;
        if (strcmp(name, "runtime.powerState") == 0)
            field = &p->power_state;
        else if (strcmp(name, "config.files.vmPathName") == 0)
            field = &p->vmx_path;
        else if (strcmp(name, "config.firmware") == 0)
            field = &p->firmware;
        else if (strcmp(name, "datastore") == 0 && p->ndatastores == 0 &&
                 vm_datastores(v, child_el(ps, "val"), p) == -1)
            return -1;
        if (field && *field == NULL &&
            (*field = text_of(child_el(ps, "val"))) == NULL)
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
    CLEANUP_FREE char *epc = xml_escape(v->property_collector);
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
        CLEANUP_FREE char *e = xml_escape(p->datastores[i]);
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
    r = soap_call(v, m, body);
    free(body);
    if (r == NULL)
        return -1;
    if ((*ids = v2k_calloc(p->ndatastores, sizeof **ids)) == NULL)
        return -1;
    r = find_el(r, "returnval");
    for (xmlNode *o = r ? r->children : NULL; o && *n < p->ndatastores;
         o = o->next) {
        struct ds_id *d = &(*ids)[*n];
        if (!is_el(o, "objects"))
            continue;
        for (xmlNode *ps = o->children; ps; ps = ps->next) {
            CLEANUP_FREE char *pn = NULL;
            CLEANUP_FREE char *val = NULL;
            if (!is_el(ps, "propSet"))
                continue;
            if ((pn = text_of(child_el(ps, "name"))) == NULL ||
                (val = text_of(child_el(ps, "val"))) == NULL)
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
        r = find_by_path(v, prefix, &type, &id);
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

/* The session cookie in a private file named by V2K_HTTP_COOKIE_FILE,
 * so that every later opening of the disks (the copy, helpers) sends
 * it; removed at exit and with the outputs on failure. */
static char *cookie_dir, *cookie_path;

static void
remove_cookie(void)
{
    if (cookie_path) {
        unlink(cookie_path);
        v2k_outfile_forget(cookie_path);
    }
    if (cookie_dir)
        rmdir(cookie_dir);
    free(cookie_path);
    free(cookie_dir);
    cookie_path = cookie_dir = NULL;
}

static int
publish_cookie(const char *cookie)
{
    const char *tmp = getenv("TMPDIR");
    CLEANUP_CLOSE int fd = -1;
    size_t n = strlen(cookie);

    if (cookie_path == NULL) {
        cookie_dir = v2k_asprintf("%s/v2kvm-session.XXXXXX",
                                  tmp && *tmp ? tmp : "/tmp");
        if (cookie_dir == NULL)
            return -1;
        if (mkdtemp(cookie_dir) == NULL) {
            v2k_error_errno(errno, "%s", cookie_dir);
            free(cookie_dir);
            cookie_dir = NULL;
            return -1;
        }
        if (atexit(remove_cookie) != 0 ||
            (cookie_path = v2k_asprintf("%s/cookie", cookie_dir)) == NULL) {
            v2k_error("cannot register the session file for removal");
            return -1;
        }
    }
    fd = open(cookie_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1 || v2k_outfile_register(cookie_path) == -1) {
        v2k_error_errno(errno, "%s", cookie_path);
        return -1;
    }
    if (write(fd, cookie, n) != (ssize_t)n || write(fd, "\n", 1) != 1) {
        v2k_error_errno(errno, "%s", cookie_path);
        return -1;
    }
    if (setenv("V2K_HTTP_COOKIE_FILE", cookie_path, 1) == -1) {
        v2k_error_errno(errno, "setenv");
        return -1;
    }
    return 0;
}

static void
vs_clear(struct vs *v)
{
    if (v->h)
        curl_easy_cleanup(v->h);
    vs_uri_clear(&v->u);
    free(v->sdk);
    free(v->action);
    free(v->answer);
    xmlFreeDoc(v->doc);
    free(v->property_collector);
    free(v->search_index);
    free(v->session_manager);
    free(v->api_type);
}

static struct v2k_source *
vsphere_open(struct vs *v, const struct v2k_options *o)
{
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
    if (parse_ic(o->input_uri, &v->u) == -1)
        return NULL;
    if (v->u.no_verify) {
        v2k_warning("%s: not verifying the TLS certificate of %s (no_verify=1): the connection could be intercepted",
                    v->ic, v->u.hostport);
        ropts.tls_no_verify = true;
        /* For the copy, which opens the disks again. */
        if (setenv("V2K_TLS_NO_VERIFY", "1", 1) == -1) {
            v2k_error_errno(errno, "setenv");
            return NULL;
        }
    }
    if (vs_connect(v, &ropts) == -1 || service_content(v) == -1 ||
        login(v, o->password_file) == -1)
        return NULL;
    if ((cookie = session_cookie(v)) == NULL)
        return NULL;
    if ((dc = datacenter(v, &rest)) == NULL)
        goto out;
    if (*rest) {
        /* vpx: the cluster/host part must exist (a typo is caught here,
         * not as "no such VM"). */
        CLEANUP_FREE char *hp = v2k_asprintf("%s/host/%s", dc, rest);
        CLEANUP_FREE char *hid = NULL;
        if (hp == NULL || (r = find_by_path(v, hp, &type, &hid)) == -1)
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
    if ((r = find_by_path(v, path, &type, &vm)) == -1)
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
    if (publish_cookie(cookie) == -1) {
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

/* The session of a successful setup, ended at exit (SessionManager
 * .Logout): the copy reads the disks with its cookie until then.  A
 * vCenter limits the sessions of a user, and hundreds of conversions in
 * a batch would otherwise leave as many behind until they time out. */
static struct vs *session_vs;
static pid_t session_pid;       /* only the process that logged in */

static void
logout_at_exit(void)
{
    struct vs *v = session_vs;
    CLEANUP_FREE char *esm = NULL;
    CLEANUP_FREE char *body = NULL;

    session_vs = NULL;
    if (v == NULL || getpid() != session_pid)
        return;
    esm = xml_escape(v->session_manager);
    body = esm ? v2k_asprintf("<Logout xmlns=\"urn:vim25\"><_this "
                              "type=\"SessionManager\">%s</_this></Logout>",
                              esm)
               : NULL;
    curl_easy_setopt(v->h, CURLOPT_CONNECTTIMEOUT, VS_LOGOUT_TIMEOUT);
    curl_easy_setopt(v->h, CURLOPT_TIMEOUT, VS_LOGOUT_TIMEOUT);
    if (body && soap_call(v, "Logout", body))
        v2k_debug("%s: logged out", v->ic);
    else
        v2k_debug("%s: logout failed (the session times out on the host): %s", v->ic, v2k_error_message());
    v2k_error_clear();
    vs_clear(v);
    free(v);
}

static struct v2k_source *
vsphere_setup(const struct v2k_options *o)
{
    struct vs *v = v2k_calloc(1, sizeof *v);
    struct v2k_source *s = NULL;

    if (v == NULL)
        return NULL;
    v->ic = o->input_uri;

    if (o->input_uri == NULL) {
        v2k_error("-i libvirt: give the host with -ic esx://HOST or vpx://USER@VCENTER/DATACENTER/HOST");
    } else if (o->nsources != 1 || o->sources[0][0] == '\0') {
        v2k_error("-i libvirt: give the VM's NAME");
    } else {
        if (o->input_transport)         /* "vddk": checked by options */
            v2k_warning("-it vddk: VMware's VDDK is not used; the disks are read in place over the host's HTTPS datastore interface%s", o->vddk_option ? "; the -io vddk-* options are ignored" : "");
        s = vsphere_open(v, o);
    }
    if (s && session_vs == NULL && atexit(logout_at_exit) == 0) {
        session_vs = v;
        session_pid = getpid();
        return s;
    }
    vs_clear(v);
    free(v);
    if (s == NULL)
        v2k_error_prepend("-i libvirt: ");
    return s;
}

const struct v2k_input v2k_input_libvirt = {
    .name = "libvirt",
    .help = "a VM on VMware ESXi or vCenter: -ic esx://HOST or "
            "vpx://USER@VCENTER/DC/HOST, the VM's NAME as SOURCE, "
            "-ip PASSWORDFILE",
    .setup = vsphere_setup,
};
