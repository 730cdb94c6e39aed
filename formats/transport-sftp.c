/* transport-sftp.c - read a file over SFTP with libcurl (libssh2).
 *
 *   sftp://[user@]host[:port]/path    (ssh://... is the same)
 *
 * The size comes from an SFTP stat (CURLOPT_NOBODY); each read is one
 * CURLOPT_RANGE request.  A file the stat gives no size for (a block
 * device) is refused at open: see sftp_check_empty.  libcurl keeps a
 * handle's SSH session open between requests, so the handles live in
 * a small pool: a reading thread takes one (or creates one, up to
 * SFTP_MAX_CONNS), uses it alone, and gives it back.
 *
 * Security: the host key is checked against known_hosts (~/.ssh/
 * known_hosts unless told otherwise); a host that is missing from it
 * or whose key changed is an error naming the host.  ssh_insecure
 * skips the check with a warning.  The password (if any) comes from a
 * file, is never printed, and is wiped when the transport closes.
 *
 * Reads never come back short: a dropped connection is retried on a
 * fresh handle with back-off (0.25 s, doubling), resuming after the
 * bytes already received; after SFTP_RETRIES failures in a row without
 * progress the error names the URI and the offset.
 */
#include "transport.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SFTP_MAX_CONNS 8        /* sshd's MaxStartups begins at 10 */
#define SFTP_RETRIES 5          /* failed attempts in a row per range */
#define SFTP_BACKOFF_MS 250
#define SFTP_CONNECT_TIMEOUT 30 /* seconds */
#define SFTP_STALL_TIME 60      /* seconds below 1 byte/s = dropped */

struct sftp_conn {
    CURL *h;
    struct sftp_conn *next;             /* in the idle list */
    int khmatch;                        /* CURLKHMATCH_* of the last host
                                           key check, -1 none */
    char errbuf[CURL_ERROR_SIZE];
};

struct sftp_transport {
    struct v2k_transport t;             /* first: the generic part */
    char *url;                          /* for libcurl: sftp:// */
    char *user;
    char *host;                         /* "host" or "[host]:port" */
    char *password;                     /* from the password file, or NULL */
    char *known_hosts;                  /* NULL: ssh_insecure */
    char *pubkey;                       /* identity + ".pub", or "" */
    struct v2k_remote_opts *opts;       /* for siblings */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct sftp_conn *idle;
    unsigned nconns;                    /* idle + in use */
};

struct sftp_req {
    char *buf;
    size_t want, got;
    bool overrun;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
sftp_write(char *p, size_t size, size_t n, void *arg)
{
    struct sftp_req *r = arg;
    size_t len = size * n;

    if (len > r->want - r->got) {
        r->overrun = true;
        return 0;                       /* abort: CURLE_WRITE_ERROR */
    }
    memcpy(r->buf + r->got, p, len);
    r->got += len;
    return len;
}

/* Record the verdict; accept only a key known_hosts has for the host. */
static int
sftp_keycheck(CURL *h, const struct curl_khkey *known,
              const struct curl_khkey *found, enum curl_khmatch match,
              void *arg)
{
    struct sftp_conn *c = arg;

    (void)h;
    (void)known;
    (void)found;
    c->khmatch = (int)match;
    return match == CURLKHMATCH_OK ? CURLKHSTAT_FINE : CURLKHSTAT_REJECT;
}

static void
conn_free(struct sftp_conn *c)
{
    if (c == NULL)
        return;
    if (c->h)
        curl_easy_cleanup(c->h);
    free(c);
}

/* A fresh handle for c (the old one, if any, is dropped with its
 * connection). */
static int
conn_setup(struct sftp_transport *s, struct sftp_conn *c)
{
    const struct v2k_remote_opts *o = s->opts;
    long auth = CURLSSH_AUTH_PUBLICKEY;
    CURLcode rc = CURLE_OK;
    CURL *h;

    if (c->h)
        curl_easy_cleanup(c->h);
    c->h = h = curl_easy_init();
    if (h == NULL) {
        v2k_error("%s: cannot create a libcurl handle", s->t.name);
        return -1;
    }
    if (o->ssh_identity == NULL && getenv("SSH_AUTH_SOCK"))
        auth |= CURLSSH_AUTH_AGENT;
    if (s->password)
        auth |= CURLSSH_AUTH_PASSWORD | CURLSSH_AUTH_KEYBOARD;
    rc |= curl_easy_setopt(h, CURLOPT_URL, s->url);
    rc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "sftp");
    rc |= curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
    if (s->password)
        rc |= curl_easy_setopt(h, CURLOPT_PASSWORD, s->password);
    rc |= curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES, auth);
    if (o->ssh_identity) {
        rc |= curl_easy_setopt(h, CURLOPT_SSH_PRIVATE_KEYFILE,
                               o->ssh_identity);
        rc |= curl_easy_setopt(h, CURLOPT_SSH_PUBLIC_KEYFILE, s->pubkey);
    }
    if (s->known_hosts) {
        rc |= curl_easy_setopt(h, CURLOPT_SSH_KNOWNHOSTS, s->known_hosts);
        rc |= curl_easy_setopt(h, CURLOPT_SSH_KEYFUNCTION, sftp_keycheck);
        rc |= curl_easy_setopt(h, CURLOPT_SSH_KEYDATA, c);
    }
    rc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    rc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
                           (long)SFTP_CONNECT_TIMEOUT);
    rc |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    rc |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)SFTP_STALL_TIME);
    rc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sftp_write);
    if (rc != CURLE_OK) {
        v2k_error("%s: cannot set up libcurl for SFTP (built without "
                  "libssh2?)", s->t.name);
        curl_easy_cleanup(h);
        c->h = NULL;
        return -1;
    }
    return 0;
}

static struct sftp_conn *
pool_get(struct sftp_transport *s)
{
    struct sftp_conn *c;

    pthread_mutex_lock(&s->lock);
    while (s->idle == NULL && s->nconns >= SFTP_MAX_CONNS)
        pthread_cond_wait(&s->cond, &s->lock);
    if (s->idle) {
        c = s->idle;
        s->idle = c->next;
        pthread_mutex_unlock(&s->lock);
        return c;
    }
    s->nconns++;
    pthread_mutex_unlock(&s->lock);
    c = v2k_calloc(1, sizeof *c);
    if (c && conn_setup(s, c) == 0)
        return c;
    conn_free(c);
    pthread_mutex_lock(&s->lock);
    s->nconns--;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Give c back; a conn without a handle (setup failed) is dropped. */
static void
pool_put(struct sftp_transport *s, struct sftp_conn *c)
{
    pthread_mutex_lock(&s->lock);
    if (c->h) {
        c->next = s->idle;
        s->idle = c;
    } else {
        conn_free(c);
        s->nconns--;
    }
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* Failures worth another attempt on a new connection. */
static bool
transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_AGAIN:
    case CURLE_SSH:             /* libssh2's "socket disconnected" etc. */
    case CURLE_FAILED_INIT:     /* "Failure establishing ssh session":
                                   also a connection cut in the key
                                   exchange */
        return true;
    default:
        return false;
    }
}

static void
backoff(unsigned fails)
{
    unsigned ms = SFTP_BACKOFF_MS << (fails - 1 < 5 ? fails - 1 : 5);
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static const char *
auth_desc(struct sftp_transport *s, char *buf, size_t len)
{
    if (s->opts->ssh_identity)
        snprintf(buf, len, "key %s%s", s->opts->ssh_identity,
                 s->password ? " and the password file" : "");
    else
        snprintf(buf, len, "%s~/.ssh keys%s",
                 getenv("SSH_AUTH_SOCK") ? "ssh-agent and " : "",
                 s->password ? " and the password file" : "");
    return buf;
}

/* One message for a failed request; at is the offset (or UINT64_MAX
 * when the request was the stat). */
static void
report(struct sftp_transport *s, struct sftp_conn *c, CURLcode rc,
       uint64_t at, unsigned attempts)
{
    const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
    char where[64] = "", tries[48] = "", a[512];

    if (at != UINT64_MAX)
        snprintf(where, sizeof where, " at offset %llu",
                 (unsigned long long)at);
    if (attempts > 1)
        snprintf(tries, sizeof tries, " (gave up after %u attempts)",
                 attempts);
    switch (rc) {
    case CURLE_REMOTE_FILE_NOT_FOUND:
        v2k_error("%s: no such file on %s", s->t.name, s->host);
        return;
    case CURLE_REMOTE_ACCESS_DENIED:
        v2k_error("%s: permission denied on %s", s->t.name, s->host);
        return;
    case CURLE_LOGIN_DENIED:
        v2k_error("%s: SSH authentication as '%s' on %s failed (tried %s)",
                  s->t.name, s->user, s->host, auth_desc(s, a, sizeof a));
        return;
    case CURLE_PEER_FAILED_VERIFICATION:
        if (c->khmatch == CURLKHMATCH_MISSING) {
            v2k_error("%s: the host key of %s is not in %s (check its "
                      "fingerprint, then add it, e.g. with ssh-keyscan; or "
                      "skip the check with the insecure option)", s->t.name,
                      s->host, s->known_hosts);
            return;
        }
        if (c->khmatch == CURLKHMATCH_MISMATCH) {
            v2k_error("%s: the host key of %s does NOT match the one in %s "
                      "(the key changed, or someone is intercepting the "
                      "connection)", s->t.name, s->host, s->known_hosts);
            return;
        }
        v2k_error("%s: host key verification of %s failed: %s", s->t.name,
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

/* Read [offset, offset + count) into buf on c, retrying and resuming;
 * buf NULL: stat the file and set *size. */
static int
sftp_transfer(struct sftp_transport *s, struct sftp_conn *c, char *buf,
              size_t count, uint64_t offset, uint64_t *size)
{
    size_t done = 0;
    unsigned fails = 0, attempts = 0;

    for (;;) {
        struct sftp_req req = { buf + done, count - done, 0, false };
        uint64_t at = offset + done;
        char range[48];
        CURLcode rc = CURLE_OK;

        c->errbuf[0] = '\0';
        c->khmatch = -1;
        if (buf == NULL) {
            rc |= curl_easy_setopt(c->h, CURLOPT_NOBODY, 1L);
            rc |= curl_easy_setopt(c->h, CURLOPT_RANGE, NULL);
        } else {
            snprintf(range, sizeof range, "%llu-%llu",
                     (unsigned long long)at,
                     (unsigned long long)(offset + count - 1));
            rc |= curl_easy_setopt(c->h, CURLOPT_NOBODY, 0L);
            rc |= curl_easy_setopt(c->h, CURLOPT_RANGE, range);
        }
        rc |= curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &req);
        if (rc == CURLE_OK)
            rc = curl_easy_perform(c->h);
        attempts++;
        done += req.got;
        if (req.overrun) {
            v2k_error("%s: the server sent more than the %zu bytes asked "
                      "at offset %llu", s->t.name, req.want,
                      (unsigned long long)at);
            return -1;
        }
        if (rc == CURLE_OK && buf == NULL) {
            curl_off_t len = -1;
            curl_easy_getinfo(c->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                              &len);
            /* libcurl says -1 for a size of 0 too: sftp_check_empty
             * tells an empty file from one without a size. */
            *size = len < 0 ? 0 : (uint64_t)len;
            return 0;
        }
        if (rc == CURLE_OK && done == count)
            return 0;
        if (rc == CURLE_OK) {
            /* A clean end before the range did: the file shrank, or
             * the stream was cut.  Ask again for the rest. */
            v2k_debug("%s: %zu of %zu bytes at offset %llu", s->t.name,
                      req.got, req.want, (unsigned long long)at);
            if (req.got == 0 && fails + 1 > SFTP_RETRIES) {
                v2k_error("%s: unexpected end of data at offset %llu "
                          "(the file is shorter than %llu bytes?)",
                          s->t.name, (unsigned long long)(offset + done),
                          (unsigned long long)s->t.size);
                return -1;
            }
        } else if (!transient(rc)) {
            report(s, c, rc, buf ? at : UINT64_MAX, 1);
            return -1;
        }
        if (req.got > 0)
            fails = 0;
        if (++fails > SFTP_RETRIES) {
            report(s, c, rc, buf ? offset + done : UINT64_MAX, attempts);
            return -1;
        }
        v2k_debug("%s: %s at offset %llu; retry %u of %u", s->t.name,
                  c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc),
                  (unsigned long long)(offset + done), fails,
                  SFTP_RETRIES);
        backoff(fails);
        if (conn_setup(s, c) == -1)
            return -1;
    }
}

static int
sftp_pread(struct v2k_transport *t, void *buf, size_t count,
           uint64_t offset)
{
    struct sftp_transport *s = (struct sftp_transport *)t;
    struct sftp_conn *c = pool_get(s);
    int r;

    if (c == NULL)
        return -1;
    r = sftp_transfer(s, c, buf, count, offset, NULL);
    pool_put(s, c);
    return r;
}

/* The stat said 0 bytes (or nothing): an empty file, or one whose size
 * SFTP does not tell -- a block device (an LVM volume on a Xen host): OpenSSH's
 * sftp-server reports st_size, which is 0 for a device.  libcurl cannot
 * read such a file at an offset: for a file of size 0 it applies no
 * range and no resume offset and streams from byte 0 (curl 7.88
 * lib/vssh/libssh2.c, SSH_SFTP_DOWNLOAD_STAT), so neither ranged reads
 * nor a search for the last readable byte work.  Ask for one byte: an
 * empty file sends nothing; anything else is refused with a message
 * rather than read as an empty disk. */
static int
sftp_check_empty(struct sftp_transport *s, struct sftp_conn *c)
{
    char b;
    struct sftp_req req = { &b, 1, 0, false };
    CURLcode rc = CURLE_OK;

    c->errbuf[0] = '\0';
    rc |= curl_easy_setopt(c->h, CURLOPT_NOBODY, 0L);
    rc |= curl_easy_setopt(c->h, CURLOPT_RANGE, "0-0");
    rc |= curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &req);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(c->h);
    if (req.got > 0 || req.overrun) {
        v2k_error("%s: the SFTP server gives no size but the file has data "
                  "(a block device?): it cannot be read at an offset over "
                  "SFTP; copy it to a file on %s first, or convert on the "
                  "host", s->t.name, s->host);
        conn_setup(s, c);       /* the aborted transfer's state */
        return -1;
    }
    if (rc != CURLE_OK) {
        report(s, c, rc, 0, 1);
        return -1;
    }
    return 0;
}

static struct v2k_transport *sftp_open(const char *uri,
                                       const struct v2k_remote_opts *opts,
                                       bool sibling);

static struct v2k_transport *
sftp_open_sibling(struct v2k_transport *t, const char *name)
{
    struct sftp_transport *s = (struct sftp_transport *)t;
    struct v2k_transport *r;
    char *uri = v2k_uri_resolve(s->url, name);

    if (uri == NULL)
        return NULL;
    r = sftp_open(uri, s->opts, true);
    free(uri);
    return r;
}

static void
sftp_close(struct v2k_transport *t)
{
    struct sftp_transport *s = (struct sftp_transport *)t;

    while (s->idle) {
        struct sftp_conn *c = s->idle;
        s->idle = c->next;
        conn_free(c);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    if (s->password) {
        explicit_bzero(s->password, strlen(s->password));
        free(s->password);
    }
    free(s->url);
    free(s->user);
    free(s->host);
    free(s->known_hosts);
    free(s->pubkey);
    v2k_remote_opts_free(s->opts);
    free(t->name);
    free(s);
}

static const struct v2k_transport_ops sftp_ops = {
    .kind = "sftp",
    .pread = sftp_pread,
    .open_sibling = sftp_open_sibling,
    .close = sftp_close,
};

/* The first line of a secret file (no newline); wiped copies only. */
static char *
read_secret(const char *path, const char *what)
{
    size_t len;
    char *buf = v2k_read_file(path, 4096, &len), *r;

    if (buf == NULL) {
        v2k_error_prepend("%s: ", what);
        return NULL;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    r = v2k_strdup(buf);
    explicit_bzero(buf, len);
    free(buf);
    return r;
}

/* The login name and home directory of the effective user. */
static char *
passwd_field(bool home)
{
    struct passwd pw, *res = NULL;
    char buf[4096];

    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) != 0 ||
        res == NULL) {
        v2k_error("cannot find user %u in the password database",
                  (unsigned)geteuid());
        return NULL;
    }
    return v2k_strdup(home ? pw.pw_dir : pw.pw_name);
}

/* user, host, known_hosts, password and key names from uri and o. */
static int
sftp_parse(struct sftp_transport *s, const struct v2k_remote_opts *o)
{
    CURLU *u = curl_url();
    char *user = NULL, *host = NULL, *port = NULL;
    int r = -1;

    if (u == NULL) {
        v2k_error("%s: out of memory", s->t.name);
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, s->url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        v2k_error("%s: not a valid sftp://[user@]host[:port]/path URI",
                  s->t.name);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE) ==
        CURLUE_OK && user[0])
        s->user = v2k_strdup(user);
    else
        s->user = passwd_field(false);
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
        strcmp(port, "22") != 0)
        s->host = v2k_asprintf("[%s]:%s", host, port);
    else
        s->host = v2k_strdup(host);
    if (s->user == NULL || s->host == NULL)
        goto out;
    if (!o->ssh_insecure) {
        if (o->ssh_known_hosts) {
            s->known_hosts = v2k_strdup(o->ssh_known_hosts);
        } else {
            const char *home = getenv("HOME");
            char *h = home && *home ? v2k_strdup(home) : passwd_field(true);
            if (h == NULL)
                goto out;
            s->known_hosts = v2k_asprintf("%s/.ssh/known_hosts", h);
            free(h);
        }
        if (s->known_hosts == NULL)
            goto out;
    }
    if (o->ssh_identity) {
        if (access(o->ssh_identity, R_OK) == -1) {
            v2k_error_errno(errno, "%s: SSH identity %s", s->t.name,
                            o->ssh_identity);
            goto out;
        }
        s->pubkey = v2k_asprintf("%s.pub", o->ssh_identity);
        if (s->pubkey == NULL)
            goto out;
        if (access(s->pubkey, R_OK) == -1)
            s->pubkey[0] = '\0';    /* libssh2 derives it from the key */
    }
    if (o->password_file) {
        s->password = read_secret(o->password_file, "password file");
        if (s->password == NULL)
            goto out;
    }
    r = 0;
out:
    curl_free(user);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return r;
}

static struct v2k_transport *
sftp_open(const char *uri, const struct v2k_remote_opts *opts, bool sibling)
{
    static const struct v2k_remote_opts none = { 0 };
    struct sftp_transport *s;
    struct sftp_conn *c;
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
    s->t.ops = &sftp_ops;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->t.name = v2k_strdup(uri);
    if (strncasecmp(uri, "ssh://", 6) == 0)
        s->url = v2k_asprintf("sftp://%s", uri + 6);
    else
        s->url = v2k_strdup(uri);
    s->opts = v2k_remote_opts_dup(opts ? opts : &none);
    if (s->t.name == NULL || s->url == NULL || s->opts == NULL ||
        sftp_parse(s, s->opts) == -1)
        goto fail;
    if (s->opts->ssh_insecure && !sibling)
        v2k_warning("%s: not checking the SSH host key of %s (insecure "
                    "option): the connection could be intercepted",
                    s->t.name, s->host);
    c = pool_get(s);
    if (c == NULL)
        goto fail;
    r = sftp_transfer(s, c, NULL, 0, 0, &s->t.size);
    if (r == 0 && s->t.size == 0)
        r = sftp_check_empty(s, c);
    pool_put(s, c);
    if (r == -1)
        goto fail;
    v2k_debug("%s: %llu bytes over SFTP as %s", s->t.name,
              (unsigned long long)s->t.size, s->user);
    return &s->t;

fail:
    sftp_close(&s->t);
    return NULL;
}

struct v2k_transport *
v2k_transport_sftp_open(const char *uri, const struct v2k_remote_opts *opts)
{
    return sftp_open(uri, opts, false);
}
