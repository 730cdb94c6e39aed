/* vsphere-soap.h - a minimal vSphere Web Services (SOAP 1.1) client for
 * the vSphere input (inputs/vsphere.c): the -ic URI, one libcurl handle
 * posting to https://HOST[:PORT]/sdk, the ServiceContent, Login with the
 * -ip password (sent inside TLS, wiped after use, never printed), the
 * session cookie, and SearchIndex.FindByInventoryPath.
 *
 * Answers are parsed with xml-util.h (no DTD, capped at VS_MAX_ANSWER).
 * Every function returns -1 / NULL with one message that starts with
 * the -ic URI and names the call; a SOAP fault is reported by its
 * faultstring and fault type, never by echoing the request.  Strings
 * returned are the caller's.  struct vs is the caller's; v2k_vs_clear()
 * frees what it holds.
 */
#ifndef V2K_VSPHERE_SOAP_H
#define V2K_VSPHERE_SOAP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <libxml/tree.h>

#include "transport.h"

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

/* -ic esx://[USER@]HOST[:PORT][/][?no_verify=0|1] or
 * vpx://USER@HOST[:PORT]/PATH[?no_verify=0|1] into u. */
int v2k_vs_parse_ic(const char *ic, struct vs_uri *u);

/* s escaped for XML text (&, <, >, quotes). */
char *v2k_vs_xml_escape(const char *s);

/* Set up v->h for v->u (TLS options from ro and no_verify). */
int v2k_vs_connect(struct vs *v, const struct v2k_remote_opts *ro);

/* POST one request; on success v->doc holds the answer and the return
 * is its Body's first element.  body is the Body's inner XML. */
xmlNode *v2k_vs_soap_call(struct vs *v, const char *method,
                          const char *body);

/* RetrieveServiceContent: the managed objects we call, and the API
 * version for the SOAPAction. */
int v2k_vs_service_content(struct vs *v);

/* SessionManager.Login with the first line of password_file. */
int v2k_vs_login(struct vs *v, const char *password_file);

/* "vmware_soap_session=VALUE" from the handle's cookie jar. */
char *v2k_vs_session_cookie(struct vs *v);

/* SearchIndex.FindByInventoryPath: 1 and the object's type and id
 * (owned), or 0 when nothing is there. */
int v2k_vs_find_by_path(struct vs *v, const char *path, char **type,
                        char **id);

/* SessionManager.Logout, connect and call bounded by timeout seconds. */
int v2k_vs_logout(struct vs *v, long timeout);

/* Free what v holds (not v). */
void v2k_vs_clear(struct vs *v);

#endif
