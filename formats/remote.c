/* remote.c - connection pool and retry policy of the remote transports
 * (see remote.h). */
#include "remote.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define REMOTE_BACKOFF_MS 250
#define REMOTE_BACKOFF_MAX_SHIFT 5      /* 0.25 s << 5 = 8 s */
#define REMOTE_STALL_MAX 3600

void
v2k_remote_pool_init(struct v2k_remote_pool *p, unsigned max)
{
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->nidle = 0;
    p->nconns = 0;
    p->max = max < 1 ? 1 : max > V2K_REMOTE_MAX_CONNS ? V2K_REMOTE_MAX_CONNS
                                                      : max;
}

void *
v2k_remote_pool_get(struct v2k_remote_pool *p, void *(*make)(void *),
                    void *arg)
{
    void *c;

    pthread_mutex_lock(&p->lock);
    while (p->nidle == 0 && p->nconns >= p->max)
        pthread_cond_wait(&p->cond, &p->lock);
    if (p->nidle > 0) {
        c = p->idle[--p->nidle];
        pthread_mutex_unlock(&p->lock);
        return c;
    }
    p->nconns++;
    pthread_mutex_unlock(&p->lock);
    c = make(arg);                      /* may connect: not under lock */
    if (c)
        return c;
    pthread_mutex_lock(&p->lock);
    p->nconns--;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

void
v2k_remote_pool_put(struct v2k_remote_pool *p, void *c, bool keep,
                    void (*drop)(void *))
{
    pthread_mutex_lock(&p->lock);
    if (keep) {
        p->idle[p->nidle++] = c;        /* nidle < nconns <= max */
        c = NULL;
    } else {
        p->nconns--;
    }
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    if (c)
        drop(c);                        /* may talk to the peer */
}

void
v2k_remote_pool_limit(struct v2k_remote_pool *p, unsigned max)
{
    pthread_mutex_lock(&p->lock);
    if (max < 1)
        max = 1;
    if (max < p->max)
        p->max = max;
    pthread_mutex_unlock(&p->lock);
}

void
v2k_remote_pool_destroy(struct v2k_remote_pool *p, void (*drop)(void *))
{
    while (p->nidle > 0)
        drop(p->idle[--p->nidle]);
    p->nconns = 0;
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
}

unsigned
v2k_remote_env_seconds(const char *name, unsigned dflt, unsigned max)
{
    const char *v = getenv(name);
    char *end;
    unsigned long n;

    if (v == NULL || *v == '\0')
        return dflt;
    errno = 0;
    n = strtoul(v, &end, 10);
    if (errno || *end || n < 1 || n > max) {
        v2k_warning("%s=%s is not a number of seconds from 1 to %u: using %u",
                    name, v, max, dflt);
        return dflt;
    }
    return (unsigned)n;
}

unsigned
v2k_remote_stall_time(unsigned dflt)
{
    return v2k_remote_env_seconds("V2K_STALL_TIME", dflt, REMOTE_STALL_MAX);
}

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
v2k_retry_start(struct v2k_retry *r, unsigned stall_s)
{
    r->max_fails = V2K_REMOTE_RETRIES;
    r->budget_ms = 2 * stall_s * 1000;
    r->fails = 0;
    r->attempts = 0;
    r->progress_ms = now_ms();
    r->noted = false;
}

void
v2k_retry_progress(struct v2k_retry *r)
{
    r->progress_ms = now_ms();
    r->noted = true;
}

unsigned
v2k_retry_left_ms(const struct v2k_retry *r)
{
    uint64_t spent = now_ms() - r->progress_ms;

    return spent >= r->budget_ms ? 0 : (unsigned)(r->budget_ms - spent);
}

unsigned
v2k_retry_stalled_s(const struct v2k_retry *r)
{
    return (unsigned)((now_ms() - r->progress_ms + 500) / 1000);
}

bool
v2k_retry_again(struct v2k_retry *r, bool progress)
{
    unsigned shift, ms;
    struct timespec ts;

    r->attempts++;
    if (progress) {
        r->fails = 0;
        if (!r->noted)          /* not told as it came: now */
            r->progress_ms = now_ms();
    }
    if (++r->fails > r->max_fails)
        return false;
    shift = r->fails - 1 < REMOTE_BACKOFF_MAX_SHIFT
                ? r->fails - 1 : REMOTE_BACKOFF_MAX_SHIFT;
    ms = REMOTE_BACKOFF_MS << shift;
    if (ms >= v2k_retry_left_ms(r))
        return false;               /* the budget ends before the retry */
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
    r->noted = false;
    return true;
}
