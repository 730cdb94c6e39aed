/* transport-https.c - read a file over HTTPS with ranged GETs (libcurl).
 *
 *   https://host[:port]/path[?query]
 *
 * For datastore files on ESX and vCenter (/folder/...?dcPath=&dsName=)
 * and any web server that honours Range (RFC 9110 14).  The size comes
 * from HEAD (Content-Length) or, when HEAD says nothing, from the
 * Content-Range of a one-byte GET.  Each read is one GET with
 * "Range: bytes=a-b" that must answer 206 with a Content-Range starting
 * at a; a 200 (the server ignored the range and sends the whole file)
 * is accepted only when the whole file was asked for, and otherwise
 * aborted at once, so nothing is ever downloaded in full by surprise.
 *
 * Handles are pooled (HTTPS_MAX_CONNS, each keeping its connection
 * alive; remote.h), so the copy engine's threads have several requests
 * in flight.  TLS is verified against the system CA store (plus
 * cafile); tls_no_verify skips it with a warning.  An optional Cookie
 * header (a vSphere session) comes from opts, or from a file, and is
 * never printed.  Interrupted ranges are retried on a new connection
 * with back-off and resumed after the bytes received (remote.h); reads
 * never come back short.
 *
 * Stalls.  An attempt during which less than 1 byte/s arrives for the
 * stall time (HTTPS_STALL_TIME, or V2K_STALL_TIME) is dropped
 * (CURLOPT_LOW_SPEED_*), and the retries of a range stop once nothing
 * has arrived for twice that: each attempt's connect and low-speed
 * limits are cut to what is left of that budget, so a server that
 * stops sending fails the read in about 2 x the stall time (1 minute),
 * with a message naming the URL, the offset and how long it stalled.
 * (Before, 6 attempts of 60 s each took 6 minutes.)
 */
#include "transport.h"
#include "error.h"
#include "remote.h"
#include "log.h"
#include "util.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define HTTPS_MAX_CONNS 16
#define HTTPS_CONNECT_TIMEOUT 30
#define HTTPS_STALL_TIME 30     /* seconds below 1 byte/s = stalled */
#define HTTPS_RECV_BUFFER (512L << 10)
#define HTTPS_SYSTEM_CAPATH "/etc/ssl/certs"   /* Debian's hashed store */

struct https_conn {
    CURL *h;
    char errbuf[CURL_ERROR_SIZE];
};

struct https_transport {
    struct v2k_transport t;             /* first: the generic part */
    char *host;                         /* for messages */
    char *cookie;                       /* Cookie header value, or NULL */
    struct v2k_remote_opts *opts;       /* for siblings */
    unsigned stall_s;                   /* HTTPS_STALL_TIME or the env */
    struct v2k_remote_pool pool;        /* of struct https_conn */
};

enum req_problem {
    REQ_OK, REQ_OVERRUN, REQ_BAD_RANGE, REQ_NO_RANGE, REQ_STATUS,
};

struct https_req {
    char *buf;
    size_t want, got;
    uint64_t at;                        /* offset asked */
    uint64_t whole;                     /* file size when known */
    long status;                        /* of the last status line */
    char reason[64];
    uint64_t cr_start, cr_total;        /* Content-Range, or UINT64_MAX */
    bool checked;                       /* first body bytes seen */
    enum req_problem problem;
    struct v2k_retry *retry;            /* told of progress, or NULL */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Decimal digits at *p (advanced); false when none or overflow. */
static bool
parse_num(const char **p, const char *end, uint64_t *out)
{
    uint64_t n = 0;
    const char *s = *p;

    if (s >= end || *s < '0' || *s > '9')
        return false;
    for (; s < end && *s >= '0' && *s <= '9'; s++)
        if (V2K_MUL_OVERFLOW(n, 10, &n) ||
            V2K_ADD_OVERFLOW(n, (uint64_t)(*s - '0'), &n))
            return false;
    *p = s;
    *out = n;
    return true;
}

/* Status line and Content-Range (RFC 9110 14.4: "bytes a-b/total", the
 * total may be a star); other headers are ignored. */
static size_t
https_header(char *p, size_t size, size_t n, void *arg)
{
    struct https_req *r = arg;
    size_t len = size * n;
    const char *end = p + len, *s;
    uint64_t a, b;

    if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
        r->status = 0;
        r->reason[0] = '\0';
        r->cr_start = r->cr_total = UINT64_MAX;
        s = memchr(p, ' ', len);
        if (s && parse_num(&(const char *){ s + 1 }, end, &a) && a < 1000) {
            size_t rl;
            r->status = (long)a;
            s += 4;
            while (s < end && *s == ' ')
                s++;
            rl = (size_t)(end - s);
            while (rl > 0 && (s[rl - 1] == '\r' || s[rl - 1] == '\n'))
                rl--;
            if (rl >= sizeof r->reason)
                rl = sizeof r->reason - 1;
            memcpy(r->reason, s, rl);
            r->reason[rl] = '\0';
        }
    } else if (len > 14 && strncasecmp(p, "Content-Range:", 14) == 0) {
        s = p + 14;
        while (s < end && *s == ' ')
            s++;
        if (end - s > 6 && strncasecmp(s, "bytes ", 6) == 0) {
            s += 6;
            if (parse_num(&s, end, &a) && s < end && *s == '-' &&
                (s++, parse_num(&s, end, &b)) && a <= b) {
                r->cr_start = a;
                if (s < end && *s == '/' && (s++, parse_num(&s, end, &b)))
                    r->cr_total = b;
            }
        }
    }
    return len;
}

static size_t
https_write(char *p, size_t size, size_t n, void *arg)
{
    struct https_req *r = arg;
    size_t len = size * n;

    if (!r->checked) {
        r->checked = true;
        if (r->status == 206) {
            if (r->cr_start != r->at) {
                r->problem = REQ_BAD_RANGE;
                return 0;
            }
        } else if (r->status == 200) {
            if (r->at != 0 || r->want != r->whole) {
                r->problem = REQ_NO_RANGE;
                return 0;
            }
        } else {
            r->problem = REQ_STATUS;
            return 0;
        }
    }
    if (len > r->want - r->got) {
        r->problem = REQ_OVERRUN;
        return 0;
    }
    memcpy(r->buf + r->got, p, len);
    r->got += len;
    if (r->retry && len > 0)
        v2k_retry_progress(r->retry);
    return len;
}

static void
conn_free(void *arg)
{
    struct https_conn *c = arg;

    if (c == NULL)
        return;
    if (c->h)
        curl_easy_cleanup(c->h);
    free(c);
}

/* A fresh handle for c (the old one is dropped with its connection). */
static int
conn_setup(struct https_transport *s, struct https_conn *c)
{
    const struct v2k_remote_opts *o = s->opts;
    CURLcode rc = CURLE_OK;
    CURL *h;

    if (c->h)
        curl_easy_cleanup(c->h);
    c->h = h = curl_easy_init();
    if (h == NULL) {
        v2k_error("%s: cannot create a libcurl handle", s->t.name);
        return -1;
    }
    rc |= curl_easy_setopt(h, CURLOPT_URL, s->t.name);
    rc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    rc |= curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                           (long)CURL_HTTP_VERSION_1_1);
    rc |= curl_easy_setopt(h, CURLOPT_USERAGENT, "v2kvm");
    rc |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (s->cookie)
        rc |= curl_easy_setopt(h, CURLOPT_COOKIE, s->cookie);
    if (o->tls_no_verify) {
        rc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        rc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (o->cafile) {
        /* CAINFO replaces the default bundle: keep the system store
         * through the hashed directory. */
        rc |= curl_easy_setopt(h, CURLOPT_CAINFO, o->cafile);
        rc |= curl_easy_setopt(h, CURLOPT_CAPATH, HTTPS_SYSTEM_CAPATH);
    }
    rc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    /* libcurl's default 16 KiB receive buffer costs a write callback
     * (and a TLS record read) per 16 KiB; ranges here are megabytes. */
    rc |= curl_easy_setopt(h, CURLOPT_BUFFERSIZE, HTTPS_RECV_BUFFER);
    rc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    rc |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    rc |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, https_header);
    rc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, https_write);
    if (rc != CURLE_OK) {
        v2k_error("%s: cannot set up libcurl for HTTPS", s->t.name);
        curl_easy_cleanup(h);
        c->h = NULL;
        return -1;
    }
    return 0;
}

/* A new connection for the pool (remote.h). */
static void *
conn_new(void *arg)
{
    struct https_transport *s = arg;
    struct https_conn *c = v2k_calloc(1, sizeof *c);

    if (c && conn_setup(s, c) == 0)
        return c;
    conn_free(c);
    return NULL;
}

static struct https_conn *
pool_get(struct https_transport *s)
{
    return v2k_remote_pool_get(&s->pool, conn_new, s);
}

/* Give c back; a conn without a handle (setup failed) is dropped. */
static void
pool_put(struct https_transport *s, struct https_conn *c)
{
    v2k_remote_pool_put(&s->pool, c, c->h != NULL, conn_free);
}

static bool
transient(CURLcode rc, long status)
{
    switch (rc) {
    case CURLE_OK:
    case CURLE_WRITE_ERROR:     /* our own abort: decided by status */
        return status == 408 || status == 429 || status == 500 ||
               status == 502 || status == 503 || status == 504;
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_AGAIN:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/* One message for a failed request (at = UINT64_MAX: the size query);
 * stalled_s > 0: the retries gave up after that long without data. */
static void
report(struct https_transport *s, struct https_conn *c, CURLcode rc,
       const struct https_req *r, unsigned attempts, unsigned stalled_s)
{
    const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
    char where[64] = "", tries[48] = "";

    if (r->at != UINT64_MAX)
        snprintf(where, sizeof where, " at offset %llu",
                 (unsigned long long)r->at);
    if (attempts > 1)
        snprintf(tries, sizeof tries, " (gave up after %u attempts)",
                 attempts);
    if (stalled_s > 0 && rc == CURLE_OPERATION_TIMEDOUT) {
        v2k_error("%s: stalled%s: no data from %s for %u seconds%s",
                  s->t.name, r->at != UINT64_MAX ? where : " (size query)",
                  s->host, stalled_s, tries);
        return;
    }
    if (r->status >= 300 && r->status != 0 &&
        (rc == CURLE_OK || rc == CURLE_WRITE_ERROR)) {
        const char *hint = "";
        if (r->status == 401 || r->status == 403)
            hint = ": access refused (missing or expired session cookie?)";
        else if (r->status >= 300 && r->status < 400)
            hint = ": redirects are not followed";
        v2k_error("%s: HTTP %ld%s%s%s%s%s", s->t.name, r->status,
                  r->reason[0] ? " " : "", r->reason, hint, where, tries);
        return;
    }
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
        v2k_error("%s: the TLS certificate of %s is not trusted: %s (give its CA with the cafile option, or skip the check with tls_no_verify)", s->t.name, s->host, why);
        return;
    case CURLE_SSL_CONNECT_ERROR:
        v2k_error("%s: TLS handshake with %s failed: %s", s->t.name,
                  s->host, why);
        return;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        v2k_error("%s: cannot connect to %s: %s%s", s->t.name, s->host, why,
                  tries);
        return;
    default:
        v2k_error("%s: %s%s%s", s->t.name, why, where, tries);
    }
}

/* Read [offset, offset + count) into buf on c, retrying and resuming.
 * buf NULL: HEAD for the size into *size (UINT64_MAX when the server
 * does not say). */
static int
https_transfer(struct https_transport *s, struct https_conn *c, char *buf,
               size_t count, uint64_t offset, uint64_t *size)
{
    size_t done = 0;
    struct v2k_retry retry;

    v2k_retry_start(&retry, s->stall_s);
    for (;;) {
        struct https_req req = {
            .buf = buf ? buf + done : NULL, .want = count - done,
            .at = buf ? offset + done : UINT64_MAX, .whole = s->t.size,
            .cr_start = UINT64_MAX, .cr_total = UINT64_MAX,
            .retry = &retry,
        };
        char range[64];
        CURLcode rc = CURLE_OK;
        /* Limits cut to the stall budget left (remote.h). */
        long left_s = (long)(v2k_retry_left_ms(&retry) + 999) / 1000;

        c->errbuf[0] = '\0';
        rc |= curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT,
                               left_s < HTTPS_CONNECT_TIMEOUT
                                   ? left_s : (long)HTTPS_CONNECT_TIMEOUT);
        rc |= curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_TIME,
                               left_s < (long)s->stall_s ? left_s
                                                         : (long)s->stall_s);
        if (buf == NULL) {
            rc |= curl_easy_setopt(c->h, CURLOPT_NOBODY, 1L);
            rc |= curl_easy_setopt(c->h, CURLOPT_RANGE, NULL);
        } else {
            snprintf(range, sizeof range, "%llu-%llu",
                     (unsigned long long)req.at,
                     (unsigned long long)(offset + count - 1));
            rc |= curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
            rc |= curl_easy_setopt(c->h, CURLOPT_RANGE, range);
        }
        rc |= curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &req);
        rc |= curl_easy_setopt(c->h, CURLOPT_HEADERDATA, &req);
        if (rc == CURLE_OK)
            rc = curl_easy_perform(c->h);
        done += req.got;
        if (buf == NULL && rc == CURLE_OK && req.status == 200) {
            curl_off_t len = -1;
            curl_easy_getinfo(c->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                              &len);
            *size = len < 0 ? UINT64_MAX : (uint64_t)len;
            return 0;
        }
        if (buf == NULL && rc == CURLE_OK &&
            (req.status == 405 || req.status == 501)) {
            *size = UINT64_MAX;         /* no HEAD: ask with a GET */
            return 0;
        }
        switch (req.problem) {
        case REQ_OVERRUN:
            v2k_error("%s: the server sent more than the %zu bytes asked at offset %llu", s->t.name, req.want,
                      (unsigned long long)req.at);
            return -1;
        case REQ_BAD_RANGE:
            v2k_error("%s: asked for bytes from offset %llu, the server answered a range from %llu", s->t.name,
                      (unsigned long long)req.at,
                      (unsigned long long)req.cr_start);
            return -1;
        case REQ_NO_RANGE:
            v2k_error("%s: the server ignored the Range request at offset %llu (HTTP 200 with the whole file): ranged reads are needed", s->t.name, (unsigned long long)req.at);
            return -1;
        case REQ_OK:
        case REQ_STATUS:
            break;
        }
        if (rc == CURLE_OK && req.status >= 200 && req.status < 300) {
            if (done == count)
                return 0;
            /* A clean end before the range did: ask for the rest. */
            v2k_debug("%s: %zu of %zu bytes at offset %llu", s->t.name,
                      req.got, req.want, (unsigned long long)req.at);
            if (req.got == 0 && retry.fails + 1 > retry.max_fails) {
                v2k_error("%s: unexpected end of data at offset %llu",
                          s->t.name, (unsigned long long)(offset + done));
                return -1;
            }
        } else if (!transient(rc, req.status)) {
            report(s, c, rc, &req, 1, 0);
            return -1;
        }
        if (!v2k_retry_again(&retry, req.got > 0)) {
            req.at = buf ? offset + done : UINT64_MAX;
            report(s, c, rc, &req, retry.attempts,
                   v2k_retry_stalled_s(&retry));
            return -1;
        }
        v2k_debug("%s: %s at offset %llu; retry %u of %u", s->t.name,
                  c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc),
                  (unsigned long long)(offset + done), retry.fails,
                  retry.max_fails);
        if (conn_setup(s, c) == -1)
            return -1;
    }
}

static int
https_pread(struct v2k_transport *t, void *buf, size_t count,
            uint64_t offset)
{
    struct https_transport *s = (struct https_transport *)t;
    struct https_conn *c = pool_get(s);
    int r;

    if (c == NULL)
        return -1;
    r = https_transfer(s, c, buf, count, offset, NULL);
    pool_put(s, c);
    return r;
}

/* The size from the Content-Range of "Range: bytes=0-0". */
static int
https_size_by_range(struct https_transport *s, struct https_conn *c)
{
    struct https_req req = {
        .buf = (char[1]){ 0 }, .want = 1, .at = 0, .whole = UINT64_MAX,
        .cr_start = UINT64_MAX, .cr_total = UINT64_MAX,
    };
    CURLcode rc = CURLE_OK;

    c->errbuf[0] = '\0';
    rc |= curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT,
                           (long)HTTPS_CONNECT_TIMEOUT);
    rc |= curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_TIME, (long)s->stall_s);
    rc |= curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    rc |= curl_easy_setopt(c->h, CURLOPT_RANGE, "0-0");
    rc |= curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &req);
    rc |= curl_easy_setopt(c->h, CURLOPT_HEADERDATA, &req);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(c->h);
    if (req.problem == REQ_NO_RANGE) {
        v2k_error("%s: the server ignores Range requests: ranged reads are needed", s->t.name);
        return -1;
    }
    if (rc != CURLE_OK || req.status != 206) {
        report(s, c, rc, &req, 1, 0);
        return -1;
    }
    if (req.cr_total == UINT64_MAX) {
        v2k_error("%s: the server gives neither Content-Length nor a Content-Range total: cannot learn the size", s->t.name);
        return -1;
    }
    s->t.size = req.cr_total;
    return 0;
}

static struct v2k_transport *https_open(const char *uri,
                                        const struct v2k_remote_opts *opts,
                                        bool sibling);

static struct v2k_transport *
https_open_sibling(struct v2k_transport *t, const char *name)
{
    struct https_transport *s = (struct https_transport *)t;
    struct v2k_transport *r;
    char *uri = v2k_uri_resolve(t->name, name);

    if (uri == NULL)
        return NULL;
    r = https_open(uri, s->opts, true);
    free(uri);
    return r;
}

static void
https_close(struct v2k_transport *t)
{
    struct https_transport *s = (struct https_transport *)t;

    v2k_remote_pool_destroy(&s->pool, conn_free);
    if (s->cookie) {
        explicit_bzero(s->cookie, strlen(s->cookie));
        free(s->cookie);
    }
    free(s->host);
    v2k_remote_opts_free(s->opts);
    free(t->name);
    free(s);
}

static const struct v2k_transport_ops https_ops = {
    .kind = "https",
    .flags = V2K_TRANSPORT_REMOTE,
    .pread = https_pread,
    .open_sibling = https_open_sibling,
    .close = https_close,
};

/* Host name, cookie. */
static int
https_parse(struct https_transport *s, const struct v2k_remote_opts *o)
{
    CURLU *u = curl_url();
    char *host = NULL;
    int r = -1;

    if (u == NULL) {
        v2k_error("%s: out of memory", s->t.name);
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, s->t.name, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        v2k_error("%s: not a valid https://host[:port]/path URI",
                  s->t.name);
        goto out;
    }
    s->host = v2k_strdup(host);
    if (s->host == NULL)
        goto out;
    if (o->cookie) {
        s->cookie = v2k_strdup(o->cookie);
        if (s->cookie == NULL)
            goto out;
    } else if (o->cookie_file) {
        size_t len;
        char *buf = v2k_read_file(o->cookie_file, 8192, &len);
        if (buf == NULL) {
            v2k_error_prepend("cookie file: ");
            goto out;
        }
        buf[strcspn(buf, "\r\n")] = '\0';
        s->cookie = v2k_strdup(buf);
        explicit_bzero(buf, len);
        free(buf);
        if (s->cookie == NULL)
            goto out;
    }
    r = 0;
out:
    curl_free(host);
    curl_url_cleanup(u);
    return r;
}

static struct v2k_transport *
https_open(const char *uri, const struct v2k_remote_opts *opts, bool sibling)
{
    static const struct v2k_remote_opts none = { 0 };
    struct https_transport *s;
    struct https_conn *c;
    int r;

    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        v2k_error("%s: libcurl initialisation failed: %s", uri,
                  curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    s = v2k_calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->t.ops = &https_ops;
    s->stall_s = v2k_remote_stall_time(HTTPS_STALL_TIME);
    v2k_remote_pool_init(&s->pool, HTTPS_MAX_CONNS);
    s->t.name = v2k_strdup(uri);
    s->opts = v2k_remote_opts_dup(opts ? opts : &none);
    if (s->t.name == NULL || s->opts == NULL ||
        https_parse(s, s->opts) == -1)
        goto fail;
    if (s->opts->tls_no_verify && !sibling)
        v2k_warning("%s: not verifying the TLS certificate of %s (tls_no_verify): the connection could be intercepted",
                    s->t.name, s->host);
    c = pool_get(s);
    if (c == NULL)
        goto fail;
    r = https_transfer(s, c, NULL, 0, 0, &s->t.size);
    if (r == 0 && s->t.size == UINT64_MAX)
        r = https_size_by_range(s, c);
    pool_put(s, c);
    if (r == -1)
        goto fail;
    v2k_debug("%s: %llu bytes over HTTPS", s->t.name,
              (unsigned long long)s->t.size);
    return &s->t;

fail:
    https_close(&s->t);
    return NULL;
}

struct v2k_transport *
v2k_transport_https_open(const char *uri, const struct v2k_remote_opts *opts)
{
    return https_open(uri, opts, false);
}
