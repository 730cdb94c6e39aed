/* vsphere-soap.c - the vSphere SOAP client (see vsphere-soap.h). */
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "util.h"
#include "vsphere-soap.h"
#include "xml-util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VS_MAX_ANSWER (8U << 20)        /* a SOAP answer */
#define VS_MAX_PASSWORD 4096
#define VS_CONNECT_TIMEOUT 30L
#define VS_TIMEOUT 300L                 /* one SOAP call */
#define VS_SYSTEM_CAPATH "/etc/ssl/certs"

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
int
v2k_vs_parse_ic(const char *ic, struct vs_uri *u)
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
char *
v2k_vs_xml_escape(const char *s)
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

/* The answer was a SOAP fault: one message with its faultstring and
 * fault type (the detail's first element, "InvalidLoginFault"). */
static void
report_fault(struct vs *v, const char *method, long status)
{
    xmlNode *root = v->doc ? xmlDocGetRootElement(v->doc) : NULL;
    xmlNode *f = root ? v2k_xml_find(root, "Fault") : NULL;
    CLEANUP_FREE char *fs = f ? v2k_xml_content(v2k_xml_child(f,
                                                             "faultstring"))
                              : NULL;
    const char *type = "";
    xmlNode *d = f ? v2k_xml_child(f, "detail") : NULL;

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
xmlNode *
v2k_vs_soap_call(struct vs *v, const char *method, const char *body)
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
    n = v2k_xml_find(xmlDocGetRootElement(v->doc), "Body");
    for (n = n ? n->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            break;
    if (n == NULL || v2k_xml_is(n, "Fault")) {
        report_fault(v, method, status);
        return NULL;
    }
    return n;
}

int
v2k_vs_connect(struct vs *v, const struct v2k_remote_opts *ro)
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
    xmlNode *c = v2k_xml_find(n, name);

    if (c == NULL) {
        v2k_error("%s: %s: the answer has no <%s>", v->ic, method, name);
        return -1;
    }
    *out = v2k_xml_content(c);
    return *out ? 0 : -1;
}

int
v2k_vs_service_content(struct vs *v)
{
    static const char m[] = "RetrieveServiceContent";
    CLEANUP_FREE char *version = NULL;
    xmlNode *r = v2k_vs_soap_call(v, m,
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

int
v2k_vs_login(struct vs *v, const char *password_file)
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
    epw = v2k_vs_xml_escape(pw);
    explicit_bzero(pw, strlen(pw));
    eu = v2k_vs_xml_escape(v->u.user);
    esm = v2k_vs_xml_escape(v->session_manager);
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
    r = v2k_vs_soap_call(v, m, body);
    explicit_bzero(body, strlen(body));
    if (r != NULL)
        ret = 0;
    else
        v2k_error_prepend("user %s: ", v->u.user);
    return ret;
}

/* "vmware_soap_session=VALUE" from the handle's cookie jar. */
char *
v2k_vs_session_cookie(struct vs *v)
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
int
v2k_vs_find_by_path(struct vs *v, const char *path, char **type, char **id)
{
    static const char m[] = "FindByInventoryPath";
    CLEANUP_FREE char *esi = v2k_vs_xml_escape(v->search_index);
    CLEANUP_FREE char *ep = v2k_vs_xml_escape(path);
    CLEANUP_FREE char *body = NULL;
    xmlNode *r, *rv;

    *type = *id = NULL;
    if (esi == NULL || ep == NULL)
        return -1;
    body = v2k_asprintf("<FindByInventoryPath xmlns=\"urn:vim25\">"
                        "<_this type=\"SearchIndex\">%s</_this>"
                        "<inventoryPath>%s</inventoryPath>"
                        "</FindByInventoryPath>", esi, ep);
    if (body == NULL || (r = v2k_vs_soap_call(v, m, body)) == NULL)
        return -1;
    rv = v2k_xml_child(r, "returnval");
    if (rv == NULL)
        return 0;
    *type = v2k_xml_prop(rv, "type");
    *id = v2k_xml_content(rv);
    if (*type == NULL || *id == NULL) {
        free(*type);
        free(*id);
        *type = *id = NULL;
        v2k_error("%s: %s: a <returnval> without a type", v->ic, m);
        return -1;
    }
    return 1;
}

int
v2k_vs_logout(struct vs *v, long timeout)
{
    CLEANUP_FREE char *esm = v2k_vs_xml_escape(v->session_manager);
    CLEANUP_FREE char *body = NULL;

    if (esm == NULL)
        return -1;
    body = v2k_asprintf("<Logout xmlns=\"urn:vim25\"><_this "
                        "type=\"SessionManager\">%s</_this></Logout>", esm);
    if (body == NULL)
        return -1;
    curl_easy_setopt(v->h, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(v->h, CURLOPT_TIMEOUT, timeout);
    return v2k_vs_soap_call(v, "Logout", body) ? 0 : -1;
}

void
v2k_vs_clear(struct vs *v)
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
