/* transport-nbd.c - read an NBD export (libnbd).
 *
 *   nbd://host[:port][/export]             TCP (port 10809 by default)
 *   nbd+unix:///export?socket=/path.sock   a Unix socket
 *   nbds://..., nbds+unix://...            the same over TLS
 *
 * The URI is given to libnbd as it is (nbd_connect_uri, the NBD URI
 * specification: https://github.com/NetworkBlockDevice/nbd/blob/master/
 * doc/uri.md); libnbd's own rule that a URI may not name local files
 * (tls-psk-file=...) stays on (nbd_set_uri_allow_local_file false).
 *
 * Connections.  Each reading thread takes a connection from a small pool
 * (remote.h) and uses it alone; a connection is one libnbd handle, driven
 * through libnbd's asynchronous calls so that every wait has a limit:
 * nbd_poll() with the stall time (NBD_STALL_TIME, or V2K_STALL_TIME).  A
 * connection that is refused, drops, or carries nothing for the stall
 * time is closed and made again.
 *
 * Resume.  This is what P2V leans on (p2v/): the physical machine serves
 * its disks through an SSH tunnel, and when the link drops the tunnel
 * dies with it.  A read then waits for the export to come back, trying
 * again with back-off (0.25 s doubling to 8 s, remote.h) for up to the
 * reconnect budget: NBD_RECONNECT_TIME seconds, or V2K_NBD_RECONNECT_TIME
 * (1 to 86400); once a read has waited it all, the source is gone and
 * every later read fails at once.  A read is split into NBD_CHUNK requests and resumes
 * after the last one that arrived, so a cut costs at most the requests in
 * flight.  Every new connection must show the same size as the first (a
 * different export behind the same name is an error, not a resume).
 *
 * Errors that do not heal by reconnecting are reported at once: a server
 * that answers a read with an error (the disk went away under nbdkit: EIO)
 * on a connection that is still up -- but ESHUTDOWN, a server on its way
 * out, is a lost link -- or an export that changed size.
 *
 * Extents: the "base:allocation" metadata context (NBD protocol,
 * "Metadata querying"): NBD_STATE_ZERO reads as zero, NBD_STATE_HOLE
 * alone may still hold bytes (DATA).  A server without the context gives
 * no extents (all DATA).
 */
#include "transport.h"
#include "error.h"
#include "remote.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <libnbd.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NBD_MAX_CONNS 4             /* the copy engine's remote workers */
#define NBD_STALL_TIME 30           /* s without an answer: reconnect */
#define NBD_RECONNECT_TIME 300      /* s without a working link: give up */
#define NBD_CONNECT_TIMEOUT 20      /* s for one connection attempt */
/* s for one more connection while others are up: a server that takes
 * only so many (qemu-nbd's -e) leaves the extra one in its listen queue
 * unanswered; soon it is clear that the others must do. */
#define NBD_EXTRA_CONNECT_TIMEOUT 3
/* Bytes per NBD read request, one in flight per connection.  The
 * protocol lets a server refuse requests over its maximum block size
 * (32 MiB in nbdkit and qemu-nbd); 1 MiB bounds what a cut link costs
 * to NBD_MAX_CONNS MiB re-sent, and still moves 1 MiB per round trip
 * per connection. */
#define NBD_CHUNK (1u << 20)
/* Read requests in flight per connection: a read of many pieces keeps
 * this many going, so a link's latency (an SSH tunnel's encryption on
 * both ends) is paid once per window, not per piece.  What a cut costs
 * is at most NBD_MAX_CONNS x NBD_WINDOW x NBD_CHUNK read again. */
#define NBD_WINDOW 4
/* Bytes per block-status request: the reply describes at most the
 * requested length, a 32-bit field in the protocol. */
#define NBD_STATUS_MAX (1ull << 30)

struct nbd_transport;

struct nbd_conn {
    struct nbd_handle *h;           /* NULL until connected */
    unsigned *live;                 /* the transport's count of h != NULL */
};

struct nbd_transport {
    struct v2k_transport t;         /* t.name: the URI */
    struct v2k_remote_pool pool;    /* of struct nbd_conn */
    unsigned stall_s;
    unsigned reconnect_s;
    int has_status;                 /* base:allocation: 1 yes, 0 no */
    unsigned live;                  /* connections up (atomic) */
    int gone;                       /* the budget ran out once (atomic) */
};

static void
conn_close(struct nbd_conn *c)
{
    if (c->h) {
        nbd_close(c->h);
        c->h = NULL;
        __atomic_sub_fetch(c->live, 1, __ATOMIC_SEQ_CST);
    }
}

static void
conn_free(void *arg)
{
    struct nbd_conn *c = arg;

    if (c) {
        conn_close(c);
        free(c);
    }
}

/* A pool slot: connected lazily, inside the retry loop (nbd_io). */
static void *
conn_new(void *arg)
{
    struct nbd_transport *s = arg;
    struct nbd_conn *c = v2k_calloc(1, sizeof *c);

    if (c)
        c->live = &s->live;
    return c;
}

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* libnbd's last error, for messages (thread-local in libnbd). */
static const char *
nbd_why(void)
{
    const char *e = nbd_get_error();
    return e && *e ? e : "connection lost";
}

/* Poll h until done(h, arg) says finished or limit_ms pass without
 * libnbd making progress.  1 done, 0 stalled, -1 error (libnbd's). */
static int
poll_until(struct nbd_handle *h, int (*done)(struct nbd_handle *, void *),
           void *arg, unsigned limit_ms)
{
    uint64_t start = now_ms();

    for (;;) {
        int r = done(h, arg);
        if (r != 0)
            return r < 0 ? -1 : 1;
        uint64_t spent = now_ms() - start;
        if (spent >= limit_ms)
            return 0;
        r = nbd_poll(h, (int)(limit_ms - spent));
        if (r == -1)
            return -1;
        if (r == 1)
            start = now_ms();       /* progress: the limit starts again */
    }
}

static int
connected(struct nbd_handle *h, void *arg)
{
    (void)arg;
    if (nbd_aio_is_connecting(h))
        return 0;
    return nbd_aio_is_ready(h) ? 1 : -1;
}

/* Connect c.  0 ok; -1 failed (transient: the caller may retry);
 * -2 a permanent problem (reported). */
static int
conn_connect(struct nbd_transport *s, struct nbd_conn *c, unsigned limit_ms,
             bool first)
{
    struct nbd_handle *h;
    int64_t size;
    int r;

    conn_close(c);
    h = nbd_create();
    if (h == NULL) {
        v2k_error("%s: cannot create a libnbd handle: %s", s->t.name,
                  nbd_why());
        return -2;
    }
    if (nbd_set_handle_name(h, "v2kvm") == -1 ||
        nbd_add_meta_context(h, LIBNBD_CONTEXT_BASE_ALLOCATION) == -1 ||
        nbd_set_uri_allow_local_file(h, false) == -1) {
        v2k_error("%s: cannot set up libnbd: %s", s->t.name, nbd_why());
        nbd_close(h);
        return -2;
    }
    if (nbd_aio_connect_uri(h, s->t.name) == -1) {
        /* A URI libnbd cannot parse is the user's mistake: permanent.
         * A refused connection can show up here too (EINVAL vs not). */
        int e = nbd_get_errno();
        if (first || e == EINVAL || e == ENOTSUP || e == EPROTONOSUPPORT) {
            v2k_error("%s: %s", s->t.name, nbd_why());
            nbd_close(h);
            return e == EINVAL || e == ENOTSUP || e == EPROTONOSUPPORT
                       ? -2 : -1;
        }
        v2k_debug("%s: connecting: %s", s->t.name, nbd_why());
        nbd_close(h);
        return -1;
    }
    unsigned cap = __atomic_load_n(&s->live, __ATOMIC_SEQ_CST) > 0
                       ? NBD_EXTRA_CONNECT_TIMEOUT * 1000u
                       : NBD_CONNECT_TIMEOUT * 1000u;
    r = poll_until(h, connected, NULL, limit_ms < cap ? limit_ms : cap);
    if (r != 1) {
        if (first)
            v2k_error("%s: %s", s->t.name,
                      r == 0 ? "no answer from the server" : nbd_why());
        else
            v2k_debug("%s: connecting: %s", s->t.name,
                      r == 0 ? "no answer" : nbd_why());
        nbd_close(h);
        return -1;
    }
    size = nbd_get_size(h);
    if (size < 0) {
        v2k_error("%s: the server gave no size: %s", s->t.name, nbd_why());
        nbd_close(h);
        return -2;
    }
    if (first) {
        s->t.size = (uint64_t)size;
        s->has_status = nbd_can_meta_context(
                            h, LIBNBD_CONTEXT_BASE_ALLOCATION) == 1;
    } else if ((uint64_t)size != s->t.size) {
        v2k_error("%s: the export is %lld bytes after reconnecting, %llu before: not the same disk", s->t.name,
                  (long long)size, (unsigned long long)s->t.size);
        nbd_close(h);
        return -2;
    }
    c->h = h;
    __atomic_add_fetch(&s->live, 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* --- one request, with reconnects ------------------------------------- */

/* The request kinds nbd_io issues. */
struct nbd_op {
    /* Issue the request for [offset, offset + len) on h; its cookie, or
     * -1 (libnbd's error). */
    int64_t (*issue)(struct nbd_handle *h, struct nbd_op *op, uint64_t offset,
                     uint64_t len, uint64_t rel);
    char *buf;                          /* pread: the destination; the
                                           piece at rel goes to buf + rel */
    struct v2k_extent_list *out;        /* block status: the list */
    uint64_t want_end;                  /* block status: clip here */
    uint64_t got_end;                   /* block status: covered to */
};

static int64_t
issue_pread(struct nbd_handle *h, struct nbd_op *op, uint64_t offset,
            uint64_t len, uint64_t rel)
{
    return nbd_aio_pread(h, op->buf + rel, len, offset, NBD_NULL_COMPLETION,
                         0);
}

static int
extent_cb(void *arg, const char *metacontext, uint64_t offset,
          uint32_t *entries, size_t n, int *error)
{
    struct nbd_op *op = arg;

    (void)error;
    if (strcmp(metacontext, LIBNBD_CONTEXT_BASE_ALLOCATION) != 0)
        return 0;
    for (size_t i = 0; i + 1 < n && offset < op->want_end; i += 2) {
        uint64_t len = entries[i];
        uint32_t flags = entries[i + 1];
        enum v2k_extent_type type =
            flags & LIBNBD_STATE_ZERO ? V2K_EXTENT_ZERO : V2K_EXTENT_DATA;

        if (len == 0)
            break;                      /* a broken reply: stop here */
        if (len > op->want_end - offset)
            len = op->want_end - offset;
        if (v2k_extent_list_add(op->out, offset, len, type) == -1) {
            *error = ENOMEM;
            return -1;
        }
        offset += len;
    }
    if (offset > op->got_end)
        op->got_end = offset;
    return 0;
}

static int64_t
issue_status(struct nbd_handle *h, struct nbd_op *op, uint64_t offset,
             uint64_t len, uint64_t rel)
{
    (void)rel;
    op->want_end = offset + len;
    op->got_end = offset;
    return nbd_aio_block_status(h, len, offset,
                                (nbd_extent_callback){ .callback = extent_cb,
                                                       .user_data = op },
                                NBD_NULL_COMPLETION, 0);
}

/* Run op for [offset, offset + len) on a pooled connection, reconnecting
 * as the header says.  A pread is issued in NBD_CHUNK pieces, NBD_WINDOW
 * in flight, and resumes after the pieces that arrived in order; a block
 * status is one request. */
static int
nbd_io(struct nbd_transport *s, struct nbd_op *op, uint64_t offset,
       uint64_t len, const char *what)
{
    struct nbd_conn *c = v2k_remote_pool_get(&s->pool, conn_new, s);
    struct v2k_retry retry;
    uint64_t done = 0;
    int rc = -1;

    if (c == NULL)
        return -1;
    /* Gone is gone: once one read has waited the whole budget for the
     * link, every later one fails at once -- not after the budget again
     * (a guest tool reading many files under the appliance would
     * otherwise wait the budget once per read). */
    if (__atomic_load_n(&s->gone, __ATOMIC_SEQ_CST)) {
        v2k_error("%s: %s at offset %llu: the source is unreachable (no working connection for %u s before)",
                  s->t.name, what, (unsigned long long)offset,
                  s->reconnect_s);
        goto out;
    }
    v2k_retry_start(&retry, s->stall_s);
    retry.max_fails = UINT_MAX;         /* the budget alone decides */
    retry.budget_ms = s->reconnect_s * 1000u;
    for (;;) {
        bool progress = false;
        const char *why = NULL;

        if (c->h == NULL) {
            int r = conn_connect(s, c, v2k_retry_left_ms(&retry), false);
            if (r == -2)
                goto out;
            if (r == -1 &&
                __atomic_load_n(&s->live, __ATOMIC_SEQ_CST) > 0) {
                /* Others are connected: this server takes no more
                 * connections (qemu-nbd takes one unless told -e N).
                 * Share theirs from now on. */
                unsigned live = __atomic_load_n(&s->live, __ATOMIC_SEQ_CST);
                v2k_debug("%s: the server refused connection %u: using %u",
                          s->t.name, live + 1, live);
                v2k_remote_pool_limit(&s->pool, live);
                v2k_remote_pool_put(&s->pool, c, false, conn_free);
                c = v2k_remote_pool_get(&s->pool, conn_new, s);
                if (c == NULL)
                    return -1;
                continue;
            }
            if (r == -1)
                why = "cannot connect";
        }
        /* The window: pieces issued in order, retired in order once
         * complete, so done is always a contiguous prefix; a broken
         * connection re-issues from done. */
        uint64_t issued = done;
        unsigned head = 0, count = 0, window = op->buf ? NBD_WINDOW : 1;
        struct { uint64_t rel, len; int64_t cookie; bool ok; }
            win[NBD_WINDOW];

        while (c->h && done < len) {
            int r;

            while (count < window && issued < len) {
                uint64_t n = len - issued;
                unsigned k = (head + count) % NBD_WINDOW;

                if (op->buf && n > NBD_CHUNK)
                    n = NBD_CHUNK;
                win[k].cookie = op->issue(c->h, op, offset + issued, n,
                                          issued);
                if (win[k].cookie == -1)
                    break;
                win[k].rel = issued;
                win[k].len = n;
                win[k].ok = false;
                issued += n;
                count++;
            }
            if (count == 0) {
                why = nbd_why();
                conn_close(c);
                break;
            }
            r = nbd_poll(c->h, (int)(s->stall_s * 1000u));
            if (r <= 0) {
                why = r == 0 ? "no answer" : nbd_why();
                conn_close(c);
                break;
            }
            for (unsigned j = 0; j < count && c->h; j++) {
                unsigned k = (head + j) % NBD_WINDOW;
                if (win[k].ok)
                    continue;
                r = nbd_aio_command_completed(c->h, win[k].cookie);
                if (r == 1) {
                    win[k].ok = true;
                } else if (r == -1) {
                    if (nbd_aio_is_ready(c->h) &&
                        nbd_get_errno() != ESHUTDOWN) {
                        /* The server answered with an error on a live
                         * connection: it will say the same again.
                         * Except NBD_ESHUTDOWN (NBD protocol, "Error
                         * values"): the server is going away, another
                         * may come. */
                        v2k_error("%s: %s at offset %llu: %s", s->t.name,
                                  what,
                                  (unsigned long long)(offset + win[k].rel),
                                  nbd_why());
                        goto out;
                    }
                    why = nbd_why();
                    conn_close(c);
                }
            }
            while (count > 0 && win[head].ok) {
                done = op->buf ? win[head].rel + win[head].len : len;
                head = (head + 1) % NBD_WINDOW;
                count--;
                progress = true;
                v2k_retry_progress(&retry);
            }
        }
        if (done >= len) {
            rc = 0;
            goto out;
        }
        if (!v2k_retry_again(&retry, progress)) {
            __atomic_store_n(&s->gone, 1, __ATOMIC_SEQ_CST);
            v2k_error("%s: %s at offset %llu: no working connection for %u s (%s); the source is unreachable", s->t.name, what,
                      (unsigned long long)(offset + done),
                      v2k_retry_stalled_s(&retry), why ? why : "lost");
            goto out;
        }
        v2k_debug("%s: %s at offset %llu: %s; reconnecting (attempt %u)",
                  s->t.name, what, (unsigned long long)(offset + done),
                  why ? why : "lost", retry.attempts);
    }
out:
    v2k_remote_pool_put(&s->pool, c, c->h != NULL, conn_free);
    return rc;
}

/* --- the transport ------------------------------------------------------ */

static int
nbd_pread_t(struct v2k_transport *t, void *buf, size_t count,
            uint64_t offset)
{
    struct nbd_transport *s = (struct nbd_transport *)t;
    struct nbd_op op = { .issue = issue_pread, .buf = buf };

    if (count == 0)
        return 0;
    return nbd_io(s, &op, offset, count, "read");
}

static int
nbd_extents_t(struct v2k_transport *t, uint64_t offset, uint64_t length,
              struct v2k_extent_list *out)
{
    struct nbd_transport *s = (struct nbd_transport *)t;
    struct nbd_op op = { .issue = issue_status, .out = out };
    uint64_t len = length < NBD_STATUS_MAX ? length : NBD_STATUS_MAX;

    if (!s->has_status || length == 0)
        return v2k_extent_list_add(out, offset, length, V2K_EXTENT_DATA);
    if (nbd_io(s, &op, offset, len, "block status") == -1)
        return -1;
    if (op.got_end <= offset)   /* nothing usable came back: DATA */
        return v2k_extent_list_add(out, offset, len, V2K_EXTENT_DATA);
    return 0;
}

static void
nbd_close_t(struct v2k_transport *t)
{
    struct nbd_transport *s = (struct nbd_transport *)t;

    v2k_remote_pool_destroy(&s->pool, conn_free);
    free(s->t.name);
    free(s);
}

static const struct v2k_transport_ops nbd_ops = {
    .kind = "nbd",
    .flags = V2K_TRANSPORT_REMOTE,
    .pread = nbd_pread_t,
    .extents = nbd_extents_t,
    .open_sibling = NULL,
    .close = nbd_close_t,
};

struct v2k_transport *
v2k_transport_nbd_open(const char *uri, const struct v2k_remote_opts *opts)
{
    struct nbd_transport *s = v2k_calloc(1, sizeof *s);
    struct nbd_conn *c;
    int r;

    (void)opts;                 /* NBD has no SSH/HTTP credentials */
    if (s == NULL)
        return NULL;
    s->t.ops = &nbd_ops;
    s->stall_s = v2k_remote_stall_time(NBD_STALL_TIME);
    s->reconnect_s = v2k_remote_env_seconds("V2K_NBD_RECONNECT_TIME",
                                            NBD_RECONNECT_TIME, 86400);
    v2k_remote_pool_init(&s->pool, NBD_MAX_CONNS);
    s->t.name = v2k_strdup(uri);
    if (s->t.name == NULL) {
        nbd_close_t(&s->t);
        return NULL;
    }
    /* The first connection is made at once, without retries: a wrong
     * address is an error now, not after the reconnect budget. */
    c = v2k_remote_pool_get(&s->pool, conn_new, s);
    if (c == NULL) {
        nbd_close_t(&s->t);
        return NULL;
    }
    r = conn_connect(s, c, NBD_CONNECT_TIMEOUT * 1000u, true);
    v2k_remote_pool_put(&s->pool, c, r == 0, conn_free);
    if (r != 0) {
        nbd_close_t(&s->t);
        return NULL;
    }
    v2k_debug("%s: %llu bytes over NBD%s", s->t.name,
              (unsigned long long)s->t.size,
              s->has_status ? ", with extents" : "");
    return &s->t;
}
