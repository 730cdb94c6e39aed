/* remote.h - what the remote transports share (transport-https.c,
 * transport-sftp.c): a pool of connections and the retry policy.
 * Internal to formats/.
 *
 * Pool.  A reading thread takes a connection (an idle one, or a new one
 * made by the transport's make callback while fewer than max exist,
 * else it waits), uses it alone, and gives it back: kept for the next
 * read when still usable, dropped (the drop callback) when broken.  The
 * pool stores the transport's opaque connection pointers; it owns the
 * idle ones, the caller owns one between get and put.
 *
 * Retry.  A range that fails with a transient error is retried on a new
 * connection with back-off (0.25 s, doubling, at most 8 s), resuming
 * after the bytes received.  The caller gives up when the retry says so:
 * after max_fails failed attempts in a row without progress, or once no
 * byte has arrived for the stall budget (2 x the stall time) -- so a
 * server that accepts connections and then sends nothing fails in about
 * the budget, not in max_fails x the stall time.  A read that makes
 * progress starts both counts again.
 */
#ifndef V2K_REMOTE_H
#define V2K_REMOTE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define V2K_REMOTE_MAX_CONNS 16     /* the largest pool any transport has */
#define V2K_REMOTE_RETRIES 5        /* failed attempts in a row per range */

struct v2k_remote_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    void *idle[V2K_REMOTE_MAX_CONNS];   /* owned, nidle of them */
    unsigned nidle;
    unsigned nconns;                    /* idle + in use */
    unsigned max;                       /* <= V2K_REMOTE_MAX_CONNS */
};

void v2k_remote_pool_init(struct v2k_remote_pool *p, unsigned max);

/* An idle connection, or make(arg) when fewer than max exist (else wait
 * for one to come back).  NULL when make fails (its message stands). */
void *v2k_remote_pool_get(struct v2k_remote_pool *p, void *(*make)(void *),
                          void *arg);

/* Give c back: kept idle when keep, else drop(c). */
void v2k_remote_pool_put(struct v2k_remote_pool *p, void *c, bool keep,
                         void (*drop)(void *));

/* Allow at most max connections from now on (at least 1): for a server
 * that refuses connections beyond a number of its own.  Connections
 * above the new limit end as they are given back without keep. */
void v2k_remote_pool_limit(struct v2k_remote_pool *p, unsigned max);

/* Drop the idle connections with drop and free the pool's locks; every
 * connection must have been given back. */
void v2k_remote_pool_destroy(struct v2k_remote_pool *p,
                             void (*drop)(void *));

/* Seconds from the environment variable name: a whole number from 1 to
 * max, else dflt (a value that is not one is named in a warning). */
unsigned v2k_remote_env_seconds(const char *name, unsigned dflt,
                                unsigned max);

/* Seconds without progress after which one attempt counts as stalled:
 * V2K_STALL_TIME from the environment (1 to 3600, for tests and slow
 * links), else dflt. */
unsigned v2k_remote_stall_time(unsigned dflt);

struct v2k_retry {
    unsigned max_fails;         /* V2K_REMOTE_RETRIES */
    unsigned budget_ms;         /* no progress for this long: give up */
    unsigned fails;             /* failed attempts in a row */
    unsigned attempts;          /* all attempts, for messages */
    uint64_t progress_ms;       /* monotonic time of the last progress */
    bool noted;                 /* v2k_retry_progress in this attempt */
};

/* Start the policy for one range; stall_s as v2k_remote_stall_time(). */
void v2k_retry_start(struct v2k_retry *r, unsigned stall_s);

/* Bytes arrived just now (optional: a transport that can tell, from
 * its receive callback, makes the budget count from the last byte
 * rather than from the end of the attempt that carried it). */
void v2k_retry_progress(struct v2k_retry *r);

/* One attempt ended without finishing the range; progress: bytes came
 * in it.  true: back off (sleeps) and try again; false: give up. */
bool v2k_retry_again(struct v2k_retry *r, bool progress);

/* Milliseconds of the budget left (0 when spent). */
unsigned v2k_retry_left_ms(const struct v2k_retry *r);

/* Whole seconds since the last progress (for messages). */
unsigned v2k_retry_stalled_s(const struct v2k_retry *r);

#endif
