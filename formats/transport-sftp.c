/* transport-sftp.c - read a file or a block device over SFTP (libssh2).
 *
 *   sftp://[user@]host[:port]/path    (ssh://... is the same;
 *                                      /~/path is path in the home)
 *
 * Each connection is one SSH session with one SFTP channel and the file
 * open on it; a read seeks the handle and reads the range.  libssh2
 * pipelines a read: one libssh2_sftp_read() call for n bytes keeps up to
 * 4n bytes of requests in flight (sftp.c, "max_read_ahead").  We ask
 * for a quarter of what remains of the range each time (at most
 * SFTP_MAX_CALL), so the pipeline never runs past the end of the
 * range: with several workers reading interleaved chunks, read-ahead
 * beyond the range would be thrown away at the next seek.  In flight
 * per connection: at most 4 * SFTP_MAX_CALL = 1 MiB.  That bound is
 * what makes a resumed read progress: when a connection breaks, libssh2
 * fails the whole call -- the data of that call it had already received
 * is lost, and a libssh2_sftp_read() that is still sending its requests
 * when the end of stream arrives returns nothing at all (its writes
 * drain the input first and stop at the EOF).  With 1 MiB in flight,
 * any connection that carries more than its handshake plus 1 MiB
 * completes a call first.  (With 1 MiB calls, 4 MiB of requests, a
 * client slowed by a sanitizer got nothing from connections cut after
 * 1.5 MiB: the server had answered that much before the client had
 * sent all its requests.)  1 MiB in flight is 50 MiB/s per connection
 * at a 20 ms round trip; the copy engine reads with several.
 * The connections live in a small pool (remote.h): a reading thread
 * takes one (or creates one, up to SFTP_MAX_CONNS), uses it alone, and
 * gives it back.
 *
 * Size.  A regular file's size is its st_size.  A block device (an LVM
 * volume on a Xen dom0) reports st_size 0 over SFTP (OpenSSH's
 * sftp-server sends stat(2)'s st_size), so for anything that is not a
 * regular file the size is learnt without trusting st_size:
 *   1. `blockdev --getsize64 PATH` over an SSH exec channel, when the
 *      server allows exec and has blockdev (util-linux); its answer is
 *      then checked with two 1-byte reads (at size - 1: data; at size:
 *      EOF), so a wrong answer cannot make a short disk;
 *   2. otherwise a search with 1-byte reads: at 0, 1, 2, 4 ... until
 *      one hits EOF, then a binary search between the last two.  Cost:
 *      about 2 * log2(size) round trips (64 for 4 GiB, 80 for 1 TiB).
 * V2K_SFTP_FORCE_SIZE_SEARCH=1 skips st_size and blockdev and always
 * searches (for tests, and for servers whose blockdev lies).
 *
 * Security: the host key is checked against known_hosts (~/.ssh/
 * known_hosts unless told otherwise) with libssh2_knownhost; the host
 * key algorithms offered are the ones known_hosts has for the host (as
 * OpenSSH and libcurl do), so a host with several keys is checked
 * against the right one.  A host missing from known_hosts or whose key
 * changed is an error naming the host; ssh_insecure skips the check
 * with a warning.  Authentication: the identity file (-io ssh-identity)
 * or else ssh-agent and ~/.ssh/id_{ed25519,ecdsa,rsa}, then the password
 * file (password or keyboard-interactive).  The password is never
 * printed and is wiped when the transport closes.
 *
 * Reads never come back short: a dropped connection (socket error,
 * SFTP_STALL_TIME seconds, or V2K_STALL_TIME, without progress in one
 * call) is retried on a fresh connection with back-off, resuming after
 * the bytes already received (remote.h); after V2K_REMOTE_RETRIES
 * failures in a row without progress, or twice the stall time without
 * a byte, the error names the URI and the offset.  An EOF inside the
 * size is an error at once, never a short disk.
 */
#include "transport.h"
#include "error.h"
#include "remote.h"
#include "log.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SFTP_MAX_CONNS 8        /* sshd's MaxStartups begins at 10 */
#define SFTP_CONNECT_TIMEOUT 30 /* seconds */
#define SFTP_STALL_TIME 60      /* seconds for one read call (at most
                                   SFTP_MAX_CALL bytes: >= 4.3 KiB/s) */
#define SFTP_MAX_CALL (256U << 10)
#define SFTP_MAX_PATH 4096
#define SFTP_SIZE_LIMIT (1ULL << 62)    /* the size search gives up */
#define SFTP_RETRY 1            /* internal: transient, reconnect */
#define SFTP_NO_ANSWER 2        /* internal: blockdev cannot tell */

struct sftp_conn {
    int fd;
    LIBSSH2_SESSION *ss;
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *fh;
    uint64_t pos;               /* the handle's offset */
    bool why_connect;           /* why is a connect(2) failure */
    char why[256];              /* the last transient failure */
};

struct sftp_transport {
    struct v2k_transport t;     /* first: the generic part */
    char *url;                  /* sftp://, for siblings */
    char *user;
    char *hostname;             /* to connect to, no brackets */
    int port;
    char *host;                 /* for messages and known_hosts: "host"
                                   or "[host]:port" */
    char *path;                 /* decoded; relative: the home's */
    char *password;             /* from the password file, or NULL */
    char *known_hosts;          /* NULL: ssh_insecure */
    char *pubkey;               /* identity + ".pub", or NULL */
    char *home;                 /* for the default keys */
    bool force_search;
    struct v2k_remote_opts *opts;       /* for siblings */
    unsigned stall_s;           /* SFTP_STALL_TIME or the env */
    struct v2k_remote_pool pool;        /* of struct sftp_conn */
};

static pthread_once_t ssh_once = PTHREAD_ONCE_INIT;
static int ssh_init_rc;

static void
ssh_init(void)
{
    ssh_init_rc = libssh2_init(0);
}

/* libssh2 sends with flags 0 on some builds: a peer gone would raise
 * SIGPIPE and kill the program instead of failing the read. */
static ssize_t
ssh_send(libssh2_socket_t fd, const void *buf, size_t len, int flags,
         void **abstract)
{
    ssize_t n;

    (void)abstract;
    n = send(fd, buf, len, flags | MSG_NOSIGNAL);
    return n < 0 ? -errno : n;
}

static const char *
ssh_msg(LIBSSH2_SESSION *ss)
{
    char *msg = NULL;

    if (ss == NULL)
        return "no session";
    libssh2_session_last_error(ss, &msg, NULL, 0);
    return msg && *msg ? msg : "unknown SSH error";
}

/* libssh2 errors worth another attempt on a new connection. */
static bool
transient(int rc)
{
    switch (rc) {
    case LIBSSH2_ERROR_SOCKET_NONE:
    case LIBSSH2_ERROR_BANNER_RECV:
    case LIBSSH2_ERROR_BANNER_SEND:
    case LIBSSH2_ERROR_INVALID_MAC:
    case LIBSSH2_ERROR_KEX_FAILURE:
    case LIBSSH2_ERROR_SOCKET_SEND:
    case LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE:
    case LIBSSH2_ERROR_TIMEOUT:
    case LIBSSH2_ERROR_DECRYPT:
    case LIBSSH2_ERROR_SOCKET_DISCONNECT:
    case LIBSSH2_ERROR_PROTO:
    case LIBSSH2_ERROR_SOCKET_TIMEOUT:
    case LIBSSH2_ERROR_SOCKET_RECV:
    case LIBSSH2_ERROR_BAD_SOCKET:
    case LIBSSH2_ERROR_CHANNEL_CLOSED:
    case LIBSSH2_ERROR_CHANNEL_EOF_SENT:
        return true;
    default:
        return false;
    }
}

/* The session's last error: transient (SFTP_RETRY, the reason kept in
 * c->why) or one message prefixed with what (-1). */
static int
ssh_fail(struct sftp_transport *s, struct sftp_conn *c, const char *what)
{
    int rc = c->ss ? libssh2_session_last_errno(c->ss) : 0;

    if (transient(rc)) {
        snprintf(c->why, sizeof c->why, "%s", ssh_msg(c->ss));
        c->why_connect = false;
        return SFTP_RETRY;
    }
    v2k_error("%s: %s on %s: %s", s->t.name, what, s->host, ssh_msg(c->ss));
    return -1;
}

/* Drop c's connection.  A broken one is shut down first so that
 * libssh2's goodbyes fail at once instead of waiting for replies. */
static void
conn_drop(struct sftp_conn *c, bool graceful)
{
    if (c->fd >= 0 && !graceful)
        shutdown(c->fd, SHUT_RDWR);
    if (c->fh)
        libssh2_sftp_close_handle(c->fh);
    if (c->sftp)
        libssh2_sftp_shutdown(c->sftp);
    if (c->ss) {
        if (graceful)
            libssh2_session_disconnect(c->ss, "done");
        libssh2_session_free(c->ss);
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->ss = NULL;
    c->sftp = NULL;
    c->fh = NULL;
    c->pos = 0;
}

static int
wait_connect(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    int err = 0, n;
    socklen_t len = sizeof err;

    do
        n = poll(&p, 1, SFTP_CONNECT_TIMEOUT * 1000);
    while (n == -1 && errno == EINTR);
    if (n == 0)
        return ETIMEDOUT;
    if (n < 0)
        return errno;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
        return errno;
    return err;
}

static int
tcp_connect(struct sftp_transport *s, struct sftp_conn *c)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
    char port[16];
    int rc, err = 0, one = 1;

    snprintf(port, sizeof port, "%d", s->port);
    rc = getaddrinfo(s->hostname, port, &hints, &res);
    if (rc != 0) {
        v2k_error("%s: cannot connect to %s: %s", s->t.name, s->host,
                  gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
                        SOCK_NONBLOCK, ai->ai_protocol);
        if (fd == -1) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            err = 0;
        else
            err = errno == EINPROGRESS ? wait_connect(fd) : errno;
        if (err == 0) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            c->fd = fd;
            break;
        }
        close(fd);
    }
    freeaddrinfo(res);
    if (c->fd >= 0)
        return 0;
    snprintf(c->why, sizeof c->why, "cannot connect to %s: %s", s->host,
             strerror(err));
    c->why_connect = true;
    return SFTP_RETRY;
}

/* libssh2's method name of a known_hosts key type, or NULL. */
static const char *
kh_method(int typemask)
{
    switch (typemask & LIBSSH2_KNOWNHOST_KEY_MASK) {
    case LIBSSH2_KNOWNHOST_KEY_ED25519:
        return "ssh-ed25519";
    case LIBSSH2_KNOWNHOST_KEY_ECDSA_256:
        return "ecdsa-sha2-nistp256";
    case LIBSSH2_KNOWNHOST_KEY_ECDSA_384:
        return "ecdsa-sha2-nistp384";
    case LIBSSH2_KNOWNHOST_KEY_ECDSA_521:
        return "ecdsa-sha2-nistp521";
    case LIBSSH2_KNOWNHOST_KEY_SSHRSA:
        return "rsa-sha2-512,rsa-sha2-256,ssh-rsa";
    case LIBSSH2_KNOWNHOST_KEY_SSHDSS:
        return "ssh-dss";
    default:
        return NULL;
    }
}

/* Offer first the host key types known_hosts has for the host (plain
 * names only: hashed ones cannot be listed). */
static void
kh_prefs(struct sftp_transport *s, struct sftp_conn *c,
         LIBSSH2_KNOWNHOSTS *kh)
{
    struct libssh2_knownhost *e = NULL, *prev = NULL;
    char list[256] = "";
    size_t len = 0;

    while (libssh2_knownhost_get(kh, &e, prev) == 0) {
        const char *m = kh_method(e->typemask);
        prev = e;
        if (m == NULL || e->name == NULL ||
            (e->typemask & LIBSSH2_KNOWNHOST_TYPE_MASK) !=
                LIBSSH2_KNOWNHOST_TYPE_PLAIN ||
            strcmp(e->name, s->host) != 0 || strstr(list, m))
            continue;
        if (len + strlen(m) + 2 > sizeof list)
            break;
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                len ? "," : "", m);
    }
    if (len && libssh2_session_method_pref(c->ss, LIBSSH2_METHOD_HOSTKEY,
                                           list) != 0)
        v2k_debug("%s: host key types %s not supported", s->t.name, list);
}

static int
kh_check(struct sftp_transport *s, struct sftp_conn *c,
         LIBSSH2_KNOWNHOSTS *kh)
{
    static const int types[] = {
        [LIBSSH2_HOSTKEY_TYPE_RSA] = LIBSSH2_KNOWNHOST_KEY_SSHRSA,
        [LIBSSH2_HOSTKEY_TYPE_DSS] = LIBSSH2_KNOWNHOST_KEY_SSHDSS,
        [LIBSSH2_HOSTKEY_TYPE_ECDSA_256] = LIBSSH2_KNOWNHOST_KEY_ECDSA_256,
        [LIBSSH2_HOSTKEY_TYPE_ECDSA_384] = LIBSSH2_KNOWNHOST_KEY_ECDSA_384,
        [LIBSSH2_HOSTKEY_TYPE_ECDSA_521] = LIBSSH2_KNOWNHOST_KEY_ECDSA_521,
        [LIBSSH2_HOSTKEY_TYPE_ED25519] = LIBSSH2_KNOWNHOST_KEY_ED25519,
    };
    size_t len = 0;
    int type = 0, m;
    const char *key = libssh2_session_hostkey(c->ss, &len, &type);

    if (key == NULL || type <= 0 ||
        (size_t)type >= sizeof types / sizeof types[0]) {
        v2k_error("%s: host key verification of %s failed: unknown key type %d", s->t.name, s->host, type);
        return -1;
    }
    m = libssh2_knownhost_checkp(kh, s->hostname,
                                 s->port == 22 ? -1 : s->port, key, len,
                                 LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                 LIBSSH2_KNOWNHOST_KEYENC_RAW | types[type],
                                 NULL);
    switch (m) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
        return 0;
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
        v2k_error("%s: the host key of %s is not in %s (check its fingerprint, then add it, e.g. with ssh-keyscan; or skip the check with the insecure option)", s->t.name,
                  s->host, s->known_hosts);
        return -1;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
        v2k_error("%s: the host key of %s does NOT match the one in %s (the key changed, or someone is intercepting the connection)", s->t.name, s->host, s->known_hosts);
        return -1;
    default:
        v2k_error("%s: host key verification of %s failed", s->t.name,
                  s->host);
        return -1;
    }
}

static void
kbd_answer(const char *name, int name_len, const char *instruction,
           int instruction_len, int num_prompts,
           const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
           LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract)
{
    struct sftp_transport *s = *abstract;

    (void)name;
    (void)name_len;
    (void)instruction;
    (void)instruction_len;
    (void)prompts;
    for (int i = 0; i < num_prompts; i++) {
        /* freed by libssh2 (its default allocator is free) */
        responses[i].text = s->password ? strdup(s->password) : NULL;
        responses[i].length =
            responses[i].text ? (unsigned)strlen(responses[i].text) : 0;
    }
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

static bool
auth_agent(struct sftp_transport *s, struct sftp_conn *c)
{
    LIBSSH2_AGENT *ag = libssh2_agent_init(c->ss);
    struct libssh2_agent_publickey *id = NULL, *prev = NULL;
    bool ok = false;

    if (ag == NULL)
        return false;
    if (libssh2_agent_connect(ag) == 0 &&
        libssh2_agent_list_identities(ag) == 0) {
        while (!ok && libssh2_agent_get_identity(ag, &id, prev) == 0) {
            ok = libssh2_agent_userauth(ag, s->user, id) == 0;
            prev = id;
        }
        libssh2_agent_disconnect(ag);
    }
    libssh2_agent_free(ag);
    return ok;
}

static bool
auth_keyfile(struct sftp_transport *s, struct sftp_conn *c,
             const char *key, const char *pub)
{
    return libssh2_userauth_publickey_fromfile_ex(
               c->ss, s->user, (unsigned)strlen(s->user), pub, key,
               NULL) == 0;
}

static int
auth(struct sftp_transport *s, struct sftp_conn *c)
{
    static const char *const defkeys[] = { "id_ed25519", "id_ecdsa",
                                           "id_rsa" };
    const char *list;
    char desc[512];
    bool ok = false;

    list = libssh2_userauth_list(c->ss, s->user, (unsigned)strlen(s->user));
    if (list == NULL) {
        if (libssh2_userauth_authenticated(c->ss))
            return 0;
        return ssh_fail(s, c, "SSH authentication");
    }
    if (strstr(list, "publickey")) {
        if (s->opts->ssh_identity) {
            ok = auth_keyfile(s, c, s->opts->ssh_identity, s->pubkey);
        } else {
            if (getenv("SSH_AUTH_SOCK"))
                ok = auth_agent(s, c);
            for (size_t i = 0; !ok && s->home && i < 3; i++) {
                char *k = v2k_asprintf("%s/.ssh/%s", s->home, defkeys[i]);
                if (k && access(k, R_OK) == 0)
                    ok = auth_keyfile(s, c, k, NULL);
                free(k);
            }
        }
    }
    if (!ok && s->password && strstr(list, "password"))
        ok = libssh2_userauth_password_ex(
                 c->ss, s->user, (unsigned)strlen(s->user), s->password,
                 (unsigned)strlen(s->password), NULL) == 0;
    if (!ok && s->password && strstr(list, "keyboard-interactive"))
        ok = libssh2_userauth_keyboard_interactive_ex(
                 c->ss, s->user, (unsigned)strlen(s->user),
                 kbd_answer) == 0;
    if (ok)
        return 0;
    if (transient(libssh2_session_last_errno(c->ss)))
        return ssh_fail(s, c, "SSH authentication");
    v2k_error("%s: SSH authentication as '%s' on %s failed (tried %s)",
              s->t.name, s->user, s->host, auth_desc(s, desc, sizeof desc));
    return -1;
}

/* Connect, check the host, log in, start SFTP and open the file. */
static int
conn_open(struct sftp_transport *s, struct sftp_conn *c)
{
    LIBSSH2_KNOWNHOSTS *kh = NULL;
    int r;

    r = tcp_connect(s, c);
    if (r != 0)
        return r;
    c->ss = libssh2_session_init_ex(NULL, NULL, NULL, s);
    if (c->ss == NULL) {
        v2k_error("%s: cannot create an SSH session", s->t.name);
        return -1;
    }
    libssh2_session_callback_set(c->ss, LIBSSH2_CALLBACK_SEND,
                                 (void *)ssh_send);
    libssh2_session_set_blocking(c->ss, 1);
    libssh2_session_set_timeout(c->ss, s->stall_s * 1000L);
    if (s->known_hosts) {
        kh = libssh2_knownhost_init(c->ss);
        if (kh == NULL) {
            v2k_error("%s: cannot read %s", s->t.name, s->known_hosts);
            return -1;
        }
        /* A missing file is an empty one: the host is "not in" it. */
        if (libssh2_knownhost_readfile(kh, s->known_hosts,
                                       LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0 &&
            access(s->known_hosts, F_OK) == 0)
            v2k_debug("%s: %s: %s", s->t.name, s->known_hosts,
                      ssh_msg(c->ss));
        kh_prefs(s, c, kh);
    }
    if (libssh2_session_handshake(c->ss, c->fd) != 0) {
        r = ssh_fail(s, c, "SSH handshake");
        goto out;
    }
    if (kh && (r = kh_check(s, c, kh)) != 0)
        goto out;
    if ((r = auth(s, c)) != 0)
        goto out;
    c->sftp = libssh2_sftp_init(c->ss);
    if (c->sftp == NULL) {
        r = ssh_fail(s, c, "cannot start SFTP");
        goto out;
    }
    c->fh = libssh2_sftp_open_ex(c->sftp, s->path,
                                 (unsigned)strlen(s->path), LIBSSH2_FXF_READ,
                                 0, LIBSSH2_SFTP_OPENFILE);
    if (c->fh == NULL) {
        unsigned long st;
        if (libssh2_session_last_errno(c->ss) !=
            LIBSSH2_ERROR_SFTP_PROTOCOL) {
            r = ssh_fail(s, c, "cannot open the file");
            goto out;
        }
        st = libssh2_sftp_last_error(c->sftp);
        if (st == LIBSSH2_FX_NO_SUCH_FILE || st == LIBSSH2_FX_NO_SUCH_PATH)
            v2k_error("%s: no such file on %s", s->t.name, s->host);
        else if (st == LIBSSH2_FX_PERMISSION_DENIED)
            v2k_error("%s: permission denied on %s", s->t.name, s->host);
        else
            v2k_error("%s: cannot open it on %s (SFTP status %lu)",
                      s->t.name, s->host, st);
        r = -1;
        goto out;
    }
    c->pos = 0;
    r = 0;
out:
    if (kh)
        libssh2_knownhost_free(kh);
    return r;
}

/* A failed libssh2_sftp_read() (n < 0) at offset at. */
static int
read_fail(struct sftp_transport *s, struct sftp_conn *c, ssize_t n,
          uint64_t at)
{
    if (n == LIBSSH2_ERROR_SFTP_PROTOCOL) {
        v2k_error("%s: read error at offset %llu on %s (SFTP status %lu)",
                  s->t.name, (unsigned long long)at, s->host,
                  libssh2_sftp_last_error(c->sftp));
        return -1;
    }
    if (transient((int)n)) {
        snprintf(c->why, sizeof c->why, "%s", ssh_msg(c->ss));
        c->why_connect = false;
        return SFTP_RETRY;
    }
    v2k_error("%s: read error at offset %llu on %s: %s", s->t.name,
              (unsigned long long)at, s->host, ssh_msg(c->ss));
    return -1;
}

static void
conn_seek(struct sftp_conn *c, uint64_t off)
{
    if (c->pos != off) {
        libssh2_sftp_seek64(c->fh, off);
        c->pos = off;
    }
}

/* [offset + *done, offset + count) into buf + *done; *done grows. */
static int
read_range(struct sftp_transport *s, struct sftp_conn *c, char *buf,
           size_t count, uint64_t offset, size_t *done)
{
    while (*done < count) {
        uint64_t at = offset + *done;
        size_t rem = count - *done;
        size_t want = rem / 4 + (rem % 4 != 0);
        ssize_t n;

        if (want > SFTP_MAX_CALL)
            want = SFTP_MAX_CALL;
        conn_seek(c, at);
        n = libssh2_sftp_read(c->fh, buf + *done, want);
        if (n < 0)
            return read_fail(s, c, n, at);
        if (n == 0) {
            v2k_error("%s: unexpected end of data at offset %llu (the file is shorter than %llu bytes?)", s->t.name,
                      (unsigned long long)at,
                      (unsigned long long)s->t.size);
            return -1;
        }
        *done += (size_t)n;
        c->pos += (uint64_t)n;
    }
    return 0;
}

/* Is there a byte at off?  0 (*yes set), -1 or SFTP_RETRY. */
static int
probe(struct sftp_transport *s, struct sftp_conn *c, uint64_t off,
      bool *yes, unsigned *nprobes)
{
    char b;
    ssize_t n;

    (*nprobes)++;
    conn_seek(c, off);
    n = libssh2_sftp_read(c->fh, &b, 1);
    if (n == LIBSSH2_ERROR_SFTP_PROTOCOL &&
        libssh2_sftp_last_error(c->sftp) == LIBSSH2_FX_BAD_MESSAGE) {
        /* sftp-server seeks before it reads, and lseek(2) past the end
         * of a block device is EINVAL, which it sends as BAD_MESSAGE
         * (errno_to_portable): no byte there, like EOF. */
        c->pos = UINT64_MAX;    /* libssh2 dropped the read-ahead */
        *yes = false;
        return 0;
    }
    if (n < 0)
        return read_fail(s, c, n, off);
    *yes = n > 0;
    c->pos += (uint64_t)n;
    return 0;
}

/* The size as the smallest offset without a byte: 0, then 1, 2, 4 ...
 * up to the first EOF, then a binary search. */
static int
size_search(struct sftp_transport *s, struct sftp_conn *c, uint64_t *size,
            unsigned *nprobes)
{
    uint64_t lo = 0, hi = 1;
    bool yes;
    int r;

    if ((r = probe(s, c, 0, &yes, nprobes)) != 0)
        return r;
    if (!yes) {
        *size = 0;
        return 0;
    }
    for (;;) {
        if ((r = probe(s, c, hi, &yes, nprobes)) != 0)
            return r;
        if (!yes)
            break;
        lo = hi;
        if (hi >= SFTP_SIZE_LIMIT) {
            v2k_error("%s: no end found below %llu bytes (not a disk?)",
                      s->t.name, (unsigned long long)SFTP_SIZE_LIMIT);
            return -1;
        }
        hi <<= 1;
    }
    while (hi - lo > 1) {             /* byte at lo, none at hi */
        uint64_t mid = lo + (hi - lo) / 2;
        if ((r = probe(s, c, mid, &yes, nprobes)) != 0)
            return r;
        if (yes)
            lo = mid;
        else
            hi = mid;
    }
    *size = hi;
    return 0;
}

/* 'PATH' for sh, quotes escaped. */
static char *
sh_quote(const char *p)
{
    size_t n = 2;
    char *r, *q;

    for (const char *x = p; *x; x++)
        n += *x == '\'' ? 4 : 1;
    r = v2k_malloc(n + 1);
    if (r == NULL)
        return NULL;
    q = r;
    *q++ = '\'';
    for (const char *x = p; *x; x++) {
        if (*x == '\'') {
            memcpy(q, "'\\''", 4);
            q += 4;
        } else {
            *q++ = *x;
        }
    }
    *q++ = '\'';
    *q = '\0';
    return r;
}

/* blockdev --getsize64 over an exec channel: 0 with *size, SFTP_NO_ANSWER
 * when the server cannot tell (no exec, no blockdev, not a device), -1 or
 * SFTP_RETRY. */
static int
blockdev_size(struct sftp_transport *s, struct sftp_conn *c, uint64_t *size)
{
    LIBSSH2_CHANNEL *ch;
    char out[64], *cmd, *q;
    size_t len = 0;
    ssize_t n;
    int status, r = SFTP_NO_ANSWER, ioerr = 0;

    /* relative paths: the exec starts in the home directory too */
    q = sh_quote(s->path);
    cmd = q ? v2k_asprintf("PATH=\"$PATH:/sbin:/usr/sbin\" blockdev "
                           "--getsize64 %s 2>/dev/null", q) : NULL;
    free(q);
    if (cmd == NULL)
        return -1;
    ch = libssh2_channel_open_session(c->ss);
    if (ch == NULL) {
        free(cmd);
        if (transient(libssh2_session_last_errno(c->ss)))
            return ssh_fail(s, c, "exec");
        v2k_debug("%s: no exec channel: %s", s->t.name, ssh_msg(c->ss));
        return SFTP_NO_ANSWER;
    }
    if ((ioerr = libssh2_channel_exec(ch, cmd)) != 0) {
        v2k_debug("%s: exec refused: %s", s->t.name, ssh_msg(c->ss));
        goto out;
    }
    /* No input: a server that runs something else instead (ForceCommand
     * internal-sftp) then ends at once instead of waiting for us. */
    libssh2_channel_send_eof(ch);
    while ((n = libssh2_channel_read(ch, out + len, sizeof out - 1 - len))
           > 0) {
        len += (size_t)n;
        if (len == sizeof out - 1)
            break;
    }
    if (n < 0) {
        ioerr = (int)n;
        goto out;
    }
    out[len] = '\0';
    libssh2_channel_wait_eof(ch);
    libssh2_channel_close(ch);
    libssh2_channel_wait_closed(ch);
    status = libssh2_channel_get_exit_status(ch);
    if (len && out[len - 1] == '\n')
        out[--len] = '\0';
    if (status != 0 || len == 0 || strspn(out, "0123456789") != len ||
        len > 19) {
        v2k_debug("%s: blockdev --getsize64: status %d, output '%s'",
                  s->t.name, status, out);
        goto out;
    }
    *size = strtoull(out, NULL, 10);
    r = 0;
out:
    if (r == SFTP_NO_ANSWER && transient(ioerr))
        r = ssh_fail(s, c, "exec");
    libssh2_channel_free(ch);
    free(cmd);
    return r;
}

/* The size of a file that is not regular (or of any file, when forced):
 * blockdev, checked with two reads, else the search. */
static int
device_size(struct sftp_transport *s, struct sftp_conn *c, bool blk,
            uint64_t *size)
{
    unsigned nprobes = 0;
    int r;

    if (blk && !s->force_search) {
        bool before = true, at = false;
        r = blockdev_size(s, c, size);
        if (r < 0 || r == SFTP_RETRY)
            return r;
        if (r == 0 && *size > 0 &&
            (r = probe(s, c, *size - 1, &before, &nprobes)) != 0)
            return r;
        if (r == 0 && (r = probe(s, c, *size, &at, &nprobes)) != 0)
            return r;
        if (r == 0 && before && !at) {
            v2k_debug("%s: %llu bytes from blockdev --getsize64", s->t.name,
                      (unsigned long long)*size);
            return 0;
        }
        if (r == 0)
            v2k_debug("%s: blockdev says %llu bytes, but the reads disagree", s->t.name, (unsigned long long)*size);
    }
    nprobes = 0;
    r = size_search(s, c, size, &nprobes);
    if (r == 0)
        v2k_debug("%s: %llu bytes found with %u one-byte reads (size search)", s->t.name, (unsigned long long)*size, nprobes);
    return r;
}

static int
learn_size(struct sftp_transport *s, struct sftp_conn *c)
{
    LIBSSH2_SFTP_ATTRIBUTES a;
    unsigned long type;

    if (libssh2_sftp_fstat(c->fh, &a) != 0) {
        if (libssh2_session_last_errno(c->ss) == LIBSSH2_ERROR_SFTP_PROTOCOL) {
            v2k_error("%s: cannot stat it on %s (SFTP status %lu)",
                      s->t.name, s->host, libssh2_sftp_last_error(c->sftp));
            return -1;
        }
        return ssh_fail(s, c, "stat");
    }
    type = a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS
               ? a.permissions & LIBSSH2_SFTP_S_IFMT
               : LIBSSH2_SFTP_S_IFREG;
    if (type == LIBSSH2_SFTP_S_IFDIR) {
        v2k_error("%s: is a directory on %s", s->t.name, s->host);
        return -1;
    }
    if (type == LIBSSH2_SFTP_S_IFREG && !s->force_search &&
        (a.flags & LIBSSH2_SFTP_ATTR_SIZE)) {
        s->t.size = a.filesize;
        return 0;
    }
    return device_size(s, c, type == LIBSSH2_SFTP_S_IFBLK, &s->t.size);
}

/* A new pool entry, connected on first use (remote.h). */
static void *
conn_new(void *arg)
{
    struct sftp_conn *c = v2k_calloc(1, sizeof *c);

    (void)arg;
    if (c)
        c->fd = -1;
    return c;
}

static void
conn_free_broken(void *arg)
{
    conn_drop(arg, false);
    free(arg);
}

static void
conn_free_idle(void *arg)
{
    conn_drop(arg, true);
    free(arg);
}

static struct sftp_conn *
pool_get(struct sftp_transport *s)
{
    return v2k_remote_pool_get(&s->pool, conn_new, s);
}

/* Give c back; a conn without a connection (it failed) is dropped. */
static void
pool_put(struct sftp_transport *s, struct sftp_conn *c)
{
    v2k_remote_pool_put(&s->pool, c, c->fh != NULL, conn_free_broken);
}

/* Read [offset, offset + count) into buf on c, connecting, retrying
 * and resuming; buf NULL: connect and learn the size. */
static int
sftp_transfer(struct sftp_transport *s, struct sftp_conn *c, char *buf,
              size_t count, uint64_t offset)
{
    size_t done = 0;
    struct v2k_retry retry;

    v2k_retry_start(&retry, s->stall_s);
    for (;;) {
        size_t before = done;
        char where[64] = "";
        int r = 0;

        if (c->fh == NULL)
            r = conn_open(s, c);
        if (r == 0)
            r = buf ? read_range(s, c, buf, count, offset, &done)
                    : learn_size(s, c);
        if (r == 0)
            return 0;
        conn_drop(c, false);
        if (r < 0)
            return -1;
        if (c->why[0] == '\0')
            snprintf(c->why, sizeof c->why, "the SSH connection failed");
        if (buf && !c->why_connect)
            snprintf(where, sizeof where, " at offset %llu",
                     (unsigned long long)(offset + done));
        if (!v2k_retry_again(&retry, done > before)) {
            v2k_error("%s: %s%s (gave up after %u attempts)", s->t.name,
                      c->why, where, retry.attempts);
            return -1;
        }
        v2k_debug("%s: %s%s; retry %u of %u", s->t.name, c->why,
                  buf ? where : "", retry.fails, retry.max_fails);
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
    r = sftp_transfer(s, c, buf, count, offset);
    pool_put(s, c);
    return r;
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

    v2k_remote_pool_destroy(&s->pool, conn_free_idle);
    if (s->password) {
        explicit_bzero(s->password, strlen(s->password));
        free(s->password);
    }
    free(s->url);
    free(s->user);
    free(s->hostname);
    free(s->host);
    free(s->path);
    free(s->known_hosts);
    free(s->pubkey);
    free(s->home);
    v2k_remote_opts_free(s->opts);
    free(t->name);
    free(s);
}

static const struct v2k_transport_ops sftp_ops = {
    .kind = "sftp",
    .flags = V2K_TRANSPORT_REMOTE,
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

/* The login name or home directory of the effective user. */
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

/* The remote path from the URI's (decoded) path: "/~/x" is "x", in the
 * login's home directory, as scp and libcurl read it. */
static int
set_path(struct sftp_transport *s, const char *p)
{
    if (strncmp(p, "/~/", 3) == 0)
        p += 3;
    else if (strcmp(p, "/~") == 0)
        p = ".";
    if (*p == '\0' || strlen(p) > SFTP_MAX_PATH) {
        v2k_error("%s: no file path in the URI, or one over %d bytes",
                  s->t.name, SFTP_MAX_PATH);
        return -1;
    }
    s->path = v2k_strdup(p);
    return s->path ? 0 : -1;
}

/* user, host, path, known_hosts, password and key names from the URI
 * and o. */
static int
sftp_parse(struct sftp_transport *s, const struct v2k_remote_opts *o)
{
    CURLU *u = curl_url();
    char *user = NULL, *host = NULL, *port = NULL, *path = NULL;
    size_t hl;
    int r = -1;

    if (u == NULL) {
        v2k_error("%s: out of memory", s->t.name);
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, s->url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) !=
            CURLUE_OK) {
        v2k_error("%s: not a valid sftp://[user@]host[:port]/path URI",
                  s->t.name);
        goto out;
    }
    if (set_path(s, path) == -1)
        goto out;
    if (curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE) ==
        CURLUE_OK && user[0])
        s->user = v2k_strdup(user);
    else
        s->user = passwd_field(false);
    s->port = 22;
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK) {
        char *end;
        unsigned long n = strtoul(port, &end, 10);
        if (*end || n == 0 || n > 65535) {
            v2k_error("%s: bad port '%s'", s->t.name, port);
            goto out;
        }
        s->port = (int)n;
    }
    hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']')
        s->hostname = v2k_asprintf("%.*s", (int)(hl - 2), host + 1);
    else
        s->hostname = v2k_strdup(host);
    if (s->hostname == NULL)
        goto out;
    if (s->port != 22)
        s->host = v2k_asprintf("[%s]:%d", s->hostname, s->port);
    else
        s->host = v2k_strdup(s->hostname);
    if (s->user == NULL || s->host == NULL)
        goto out;
    {
        const char *home = getenv("HOME");
        s->home = home && *home ? v2k_strdup(home) : passwd_field(true);
        if (s->home == NULL)
            goto out;
    }
    if (!o->ssh_insecure) {
        s->known_hosts = o->ssh_known_hosts
                             ? v2k_strdup(o->ssh_known_hosts)
                             : v2k_asprintf("%s/.ssh/known_hosts", s->home);
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
        if (access(s->pubkey, R_OK) == -1) {
            free(s->pubkey);    /* libssh2 derives it from the key */
            s->pubkey = NULL;
        }
    }
    if (o->password_file) {
        s->password = read_secret(o->password_file, "password file");
        if (s->password == NULL)
            goto out;
    }
    s->force_search = getenv("V2K_SFTP_FORCE_SIZE_SEARCH") &&
                      strcmp(getenv("V2K_SFTP_FORCE_SIZE_SEARCH"), "1") == 0;
    r = 0;
out:
    curl_free(user);
    curl_free(host);
    curl_free(port);
    curl_free(path);
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

    pthread_once(&ssh_once, ssh_init);
    if (ssh_init_rc != 0) {
        v2k_error("%s: libssh2 initialisation failed (%d)", uri,
                  ssh_init_rc);
        return NULL;
    }
    s = v2k_calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->t.ops = &sftp_ops;
    s->stall_s = v2k_remote_stall_time(SFTP_STALL_TIME);
    v2k_remote_pool_init(&s->pool, SFTP_MAX_CONNS);
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
        v2k_warning("%s: not checking the SSH host key of %s (insecure option): the connection could be intercepted",
                    s->t.name, s->host);
    c = pool_get(s);
    if (c == NULL)
        goto fail;
    r = sftp_transfer(s, c, NULL, 0, 0);
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
