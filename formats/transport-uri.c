/* transport-uri.c - open a path or a URI with the right transport.
 *
 * The scheme table (schemes[] below) maps each scheme to its open
 * function and properties: a plain path or file:// goes to
 * transport-file.c (or transport-archive.c for TAR/MEMBER), sftp:// and
 * ssh:// to transport-sftp.c, https:// to transport-https.c; http:// is
 * known only to be refused.  Adding a transport is one line there.  Also the URI
 * helpers the remote transports share: redaction of a password in
 * messages, resolution of a sibling's name against a URI, and the
 * options (copied, since siblings are opened later).
 *
 * Passwords never travel in a URI (a command line is visible to every
 * user of the machine): a URI with "user:password@" is refused, and
 * every URI printed goes through v2k_uri_redact() first.
 */
#include "format.h"
#include "transport.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* Length of the scheme when s starts with "scheme://" (RFC 3986 3.1:
 * ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), else 0. */
static size_t
scheme_len(const char *s)
{
    size_t i = 0;

    if (!isalpha((unsigned char)s[0]))
        return 0;
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' ||
           s[i] == '.')
        i++;
    return strncmp(s + i, "://", 3) == 0 ? i : 0;
}

static bool
scheme_is(const char *s, const char *scheme)
{
    size_t n = scheme_len(s);
    return n == strlen(scheme) && strncasecmp(s, scheme, n) == 0;
}

static struct v2k_transport *open_file_uri(
    const char *uri, const struct v2k_remote_opts *opts);

/* Flags as the transport's ops (transport.h); the table's open is
 * called with the whole URI. */
static const struct v2k_transport_scheme schemes[] = {
    { "file", V2K_TRANSPORT_LOCAL | V2K_TRANSPORT_FOLLOWS_ABSOLUTE,
      open_file_uri, NULL },
    { "sftp", V2K_TRANSPORT_REMOTE, v2k_transport_sftp_open, NULL },
    { "ssh", V2K_TRANSPORT_REMOTE, v2k_transport_sftp_open, NULL },
    { "https", V2K_TRANSPORT_REMOTE, v2k_transport_https_open, NULL },
    { "nbd", V2K_TRANSPORT_REMOTE, v2k_transport_nbd_open, NULL },
    { "nbd+unix", V2K_TRANSPORT_REMOTE, v2k_transport_nbd_open, NULL },
    { "nbds", V2K_TRANSPORT_REMOTE, v2k_transport_nbd_open, NULL },
    { "nbds+unix", V2K_TRANSPORT_REMOTE, v2k_transport_nbd_open, NULL },
    { "http", V2K_TRANSPORT_REMOTE, NULL,
      "plain http is not supported (a session cookie would travel in clear): use https" },
    { NULL, 0, NULL, NULL },
};

const struct v2k_transport_scheme *
v2k_transport_schemes(void)
{
    return schemes;
}

/* The table's entry for s's scheme, NULL when s has none or an unknown
 * one. */
static const struct v2k_transport_scheme *
find_scheme(const char *s)
{
    for (const struct v2k_transport_scheme *e = schemes; e->scheme; e++)
        if (scheme_is(s, e->scheme))
            return e;
    return NULL;
}

bool
v2k_uri_is_remote(const char *s)
{
    const struct v2k_transport_scheme *e = find_scheme(s);
    return e && (e->flags & V2K_TRANSPORT_REMOTE);
}

/* The authority of uri: [*start, *end) after "scheme://". */
static void
authority(const char *uri, const char **start, const char **end)
{
    const char *a = uri + scheme_len(uri) + 3;

    *start = a;
    *end = a + strcspn(a, "/?#");
}

/* The password's position inside uri's userinfo, if any. */
static bool
find_password(const char *uri, const char **pw, const char **pw_end)
{
    const char *a, *e, *at = NULL, *colon;

    if (scheme_len(uri) == 0)
        return false;
    authority(uri, &a, &e);
    for (const char *p = a; p < e; p++)
        if (*p == '@')
            at = p;
    if (at == NULL)
        return false;
    colon = memchr(a, ':', (size_t)(at - a));
    if (colon == NULL)
        return false;
    *pw = colon + 1;
    *pw_end = at;
    return true;
}

char *
v2k_uri_redact(const char *uri)
{
    const char *pw, *pw_end;

    if (!find_password(uri, &pw, &pw_end))
        return v2k_strdup(uri);
    return v2k_asprintf("%.*s***%s", (int)(pw - uri), uri, pw_end);
}

/* Percent-escape name (RFC 3986 2.3: unreserved characters and '/'
 * are kept). */
static char *
escape_path(const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(name);
    char *r, *q;

    if (n > 4096) {
        v2k_error("name '%.64s...' is too long for a URI", name);
        return NULL;
    }
    r = v2k_malloc(3 * n + 1);
    if (r == NULL)
        return NULL;
    q = r;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (isalnum(*p) || strchr("-._~/", *p)) {
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

char *
v2k_uri_resolve(const char *base, const char *name)
{
    const char *a, *e, *path_end, *slash;
    char *query, *esc, *r;

    if (scheme_len(base) == 0) {
        v2k_error("%s: not a URI", base);
        return NULL;
    }
    authority(base, &a, &e);
    path_end = e + strcspn(e, "?#");
    query = v2k_strdup(*path_end == '?' ? path_end : "");
    if (query == NULL)
        return NULL;
    query[strcspn(query, "#")] = '\0';
    esc = escape_path(name);
    if (esc == NULL) {
        free(query);
        return NULL;
    }
    if (name[0] == '/') {
        r = v2k_asprintf("%.*s%s%s", (int)(e - base), base, esc, query);
    } else {
        slash = path_end;
        while (slash > e && slash[-1] != '/')
            slash--;
        if (slash == e)     /* no path: the root */
            r = v2k_asprintf("%.*s/%s%s", (int)(e - base), base, esc, query);
        else
            r = v2k_asprintf("%.*s%s%s", (int)(slash - base), base, esc,
                             query);
    }
    free(esc);
    free(query);
    return r;
}

/* An environment variable, NULL when unset or empty. */
static const char *
env_str(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static bool
env_flag(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

void
v2k_remote_opts_from_env(struct v2k_remote_opts *o)
{
    if (o->password_file == NULL)
        o->password_file = env_str("V2K_PASSWORD_FILE");
    if (o->ssh_identity == NULL)
        o->ssh_identity = env_str("V2K_SSH_IDENTITY");
    if (o->ssh_known_hosts == NULL)
        o->ssh_known_hosts = env_str("V2K_SSH_KNOWN_HOSTS");
    if (!o->ssh_insecure)
        o->ssh_insecure = env_flag("V2K_SSH_INSECURE");
    if (o->cafile == NULL)
        o->cafile = env_str("V2K_CAFILE");
    if (!o->tls_no_verify)
        o->tls_no_verify = env_flag("V2K_TLS_NO_VERIFY");
    if (o->cookie == NULL && o->cookie_file == NULL)
        o->cookie_file = env_str("V2K_HTTP_COOKIE_FILE");
}

void
v2k_remote_opts_free(struct v2k_remote_opts *o)
{
    if (o == NULL)
        return;
    free((char *)o->password_file);
    free((char *)o->ssh_identity);
    free((char *)o->ssh_known_hosts);
    free((char *)o->cafile);
    if (o->cookie) {
        /* A session cookie is a credential: wipe it. */
        explicit_bzero((char *)o->cookie, strlen(o->cookie));
        free((char *)o->cookie);
    }
    free((char *)o->cookie_file);
    free(o);
}

static int
dup_field(const char **dst, const char *src)
{
    if (src == NULL)
        return 0;
    *dst = v2k_strdup(src);
    return *dst ? 0 : -1;
}

struct v2k_remote_opts *
v2k_remote_opts_dup(const struct v2k_remote_opts *o)
{
    struct v2k_remote_opts *r = v2k_calloc(1, sizeof *r);

    if (r == NULL || o == NULL)
        return r;
    r->ssh_insecure = o->ssh_insecure;
    r->tls_no_verify = o->tls_no_verify;
    if (dup_field(&r->password_file, o->password_file) == -1 ||
        dup_field(&r->ssh_identity, o->ssh_identity) == -1 ||
        dup_field(&r->ssh_known_hosts, o->ssh_known_hosts) == -1 ||
        dup_field(&r->cafile, o->cafile) == -1 ||
        dup_field(&r->cookie, o->cookie) == -1 ||
        dup_field(&r->cookie_file, o->cookie_file) == -1) {
        v2k_remote_opts_free(r);
        return NULL;
    }
    return r;
}

/* file:///path or file://localhost/path: the path, percent-decoded. */
static char *
file_uri_path(const char *uri)
{
    const char *p = uri + strlen("file://");
    char *r, *q;

    if (strncasecmp(p, "localhost/", 10) == 0)
        p += 9;
    if (*p != '/') {
        v2k_error("%s: a file URI names a local absolute path (file:///path)", uri);
        return NULL;
    }
    r = v2k_strdup(p);
    if (r == NULL)
        return NULL;
    q = r;
    for (const char *s = r; *s; s++) {
        if (*s == '%' && isxdigit((unsigned char)s[1]) &&
            isxdigit((unsigned char)s[2])) {
            char h[3] = { s[1], s[2], '\0' };
            *q++ = (char)strtol(h, NULL, 16);
            s += 2;
        } else if (*s == '?' || *s == '#') {
            break;
        } else {
            *q++ = *s;
        }
    }
    *q = '\0';
    if (strlen(r) != (size_t)(q - r)) {     /* a %00 */
        v2k_error("%s: NUL byte in the path", uri);
        free(r);
        return NULL;
    }
    return r;
}

/* A local path, or TAR/MEMBER: a disk inside an uncompressed OVA/tar,
 * read in place (transport-archive.c), as -i ova names its disks. */
static struct v2k_transport *
open_local(const char *path)
{
    struct stat st;

    if (stat(path, &st) == -1 && errno == ENOTDIR)
        return v2k_transport_archive_open_path(path);
    return v2k_transport_file_open(path);
}

static struct v2k_transport *
open_file_uri(const char *uri, const struct v2k_remote_opts *opts)
{
    char *path = file_uri_path(uri);
    struct v2k_transport *t;

    (void)opts;
    if (path == NULL)
        return NULL;
    t = open_local(path);
    free(path);
    return t;
}

struct v2k_transport *
v2k_transport_open_uri(const char *uri, const struct v2k_remote_opts *opts)
{
    struct v2k_remote_opts env = { 0 };
    const struct v2k_transport_scheme *e;
    const char *pw, *pw_end;
    char list[128] = "";

    if (scheme_len(uri) == 0)
        return open_local(uri);
    if (opts == NULL) {
        v2k_remote_opts_from_env(&env);
        opts = &env;
    }
    if (find_password(uri, &pw, &pw_end)) {
        char *r = v2k_uri_redact(uri);
        v2k_error("%s: a password in a URI would be visible to every user of this machine: put it in a password file instead",
                  r ? r : "URI");
        free(r);
        return NULL;
    }
    e = find_scheme(uri);
    if (e && e->open)
        return e->open(uri, opts);
    if (e) {
        v2k_error("%s: %s", uri, e->why_not);
        return NULL;
    }
    for (e = schemes; e->scheme; e++)
        if (e->open)
            snprintf(list + strlen(list), sizeof list - strlen(list),
                     "%s%s", list[0] ? ", " : "", e->scheme);
    v2k_error("%s: unsupported URI scheme '%.*s' (supported: %s)", uri,
              (int)scheme_len(uri), uri, list);
    return NULL;
}

struct v2k_image *
v2k_image_open_uri(const char *uri, const char *format,
                   const struct v2k_remote_opts *opts)
{
    /* A remote image's backing names stay on its server, relative to
     * it: the transport says so (v2k_transport_may_follow). */
    struct v2k_transport *t = v2k_transport_open_uri(uri, opts);

    if (t == NULL)
        return NULL;
    return v2k_image_open_transport(t, format, NULL);
}
