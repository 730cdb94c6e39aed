/* copy.c - see copy.h. */
#include "copy.h"
#include "error.h"
#include "outfile.h"
#include "progress.h"
#include "util.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CHUNK (2U << 20)
#define EXTENT_WINDOW (1ULL << 30)      /* ask for the map 1 GiB at a time */
#define MAX_WORKERS 64

struct copy {
    struct v2k_image *src;
    struct v2k_writer *dst;
    struct v2k_progress *progress;
    uint64_t size, gran, chunk;

    pthread_mutex_t lock;               /* guards everything below */
    uint64_t pos;                       /* next offset to hand out */
    struct v2k_extent_list map;         /* covers [map_start, map_end) */
    uint64_t map_start, map_end;
    bool failed;
    char error[V2K_ERROR_MAX];
    struct v2k_copy_stats stats;
};

static uint64_t
align_down(uint64_t x, uint64_t a)
{
    return x / a * a;
}

/* Under lock: the extent containing off (refreshing the map). */
static const struct v2k_extent *
extent_at(struct copy *c, uint64_t off)
{
    if (off < c->map_start || off >= c->map_end) {
        uint64_t len = c->size - off;
        if (len > EXTENT_WINDOW)
            len = EXTENT_WINDOW;
        v2k_extent_list_clear(&c->map);
        if (v2k_image_extents(c->src, off, len, &c->map) == -1)
            return NULL;
        c->map_start = off;
        c->map_end = c->map.v[c->map.n - 1].offset +
                     c->map.v[c->map.n - 1].length;
    }
    for (size_t i = 0; i < c->map.n; i++)
        if (off < c->map.v[i].offset + c->map.v[i].length &&
            off >= c->map.v[i].offset)
            return &c->map.v[i];
    v2k_error("%s: extent map does not cover offset %llu",
              v2k_image_name(c->src), (unsigned long long)off);
    return NULL;
}

/* A granule [g, g+gran) can be skipped when one non-DATA extent covers
 * it (or covers up to the end of the disk). */
static bool
skippable(const struct v2k_extent *e, uint64_t g, uint64_t gran,
          uint64_t size)
{
    uint64_t end = e->offset + e->length;
    return e->type != V2K_EXTENT_DATA && (end >= g + gran || end == size);
}

/* Under lock: the next chunk to copy in off and len; false when done.
 * -1 in *err on failure. */
static bool
next_chunk(struct copy *c, uint64_t *off, uint64_t *len, int *err)
{
    while (c->pos < c->size) {
        const struct v2k_extent *e = extent_at(c, c->pos);
        uint64_t end;

        if (e == NULL) {
            *err = -1;
            return false;
        }
        if (skippable(e, c->pos, c->gran, c->size)) {
            uint64_t eend = e->offset + e->length;
            uint64_t to = eend == c->size ? c->size : align_down(eend, c->gran);
            c->stats.bytes_skipped += to - c->pos;
            v2k_progress_add(c->progress, to - c->pos);
            c->pos = to;
            continue;
        }
        /* Extend over DATA (and granules only partly zero) up to chunk. */
        end = c->pos;
        while (end < c->size && end - c->pos < c->chunk) {
            const struct v2k_extent *x = extent_at(c, end);
            uint64_t xend;
            if (x == NULL) {
                *err = -1;
                return false;
            }
            if (end > c->pos && skippable(x, end, c->gran, c->size))
                break;
            xend = x->offset + x->length;
            end = V2K_DIV_ROUND_UP(xend, c->gran) * c->gran;
            if (end > c->pos + c->chunk)
                end = c->pos + c->chunk;
            if (end > c->size)
                end = c->size;
        }
        *off = c->pos;
        *len = end - c->pos;
        c->pos = end;
        return true;
    }
    return false;
}

static void
fail(struct copy *c)
{
    pthread_mutex_lock(&c->lock);
    if (!c->failed) {
        c->failed = true;
        snprintf(c->error, sizeof c->error, "%s", v2k_error_message());
    }
    pthread_mutex_unlock(&c->lock);
}

/* Write the non-zero granule runs of buf (which holds [off, off+len)). */
static int
write_nonzero(struct copy *c, const unsigned char *buf, uint64_t off,
              uint64_t len, uint64_t *written)
{
    uint64_t i = 0;

    while (i < len) {
        uint64_t run, n;
        /* skip zero granules */
        n = len - i < c->gran ? len - i : c->gran;
        if (v2k_is_zero(buf + i, n)) {
            i += n;
            continue;
        }
        run = i;
        while (run < len) {
            n = len - run < c->gran ? len - run : c->gran;
            if (v2k_is_zero(buf + run, n))
                break;
            run += n;
        }
        if (v2k_writer_pwrite(c->dst, buf + i, run - i, off + i) == -1)
            return -1;
        *written += run - i;
        i = run;
    }
    return 0;
}

static void *
worker(void *arg)
{
    struct copy *c = arg;
    unsigned char *buf = NULL;

    if (posix_memalign((void **)&buf, 4096, c->chunk) != 0) {
        v2k_error("out of memory for a %llu-byte copy buffer",
                  (unsigned long long)c->chunk);
        fail(c);
        return NULL;
    }
    for (;;) {
        uint64_t off, len, written = 0;
        int err = 0;
        bool more;

        pthread_mutex_lock(&c->lock);
        more = !c->failed && next_chunk(c, &off, &len, &err);
        if (err) {
            c->failed = true;
            snprintf(c->error, sizeof c->error, "%s", v2k_error_message());
        }
        pthread_mutex_unlock(&c->lock);
        if (!more)
            break;
        if (v2k_check_interrupted() == -1 ||
            v2k_image_pread(c->src, buf, len, off) == -1 ||
            write_nonzero(c, buf, off, len, &written) == -1) {
            fail(c);
            break;
        }
        pthread_mutex_lock(&c->lock);
        c->stats.bytes_read += len;
        c->stats.bytes_written += written;
        pthread_mutex_unlock(&c->lock);
        v2k_progress_add(c->progress, len);
    }
    free(buf);
    return NULL;
}

int
v2k_copy(struct v2k_image *src, struct v2k_writer *dst,
         const struct v2k_copy_opts *opts, struct v2k_copy_stats *stats)
{
    struct copy c;
    pthread_t th[MAX_WORKERS];
    unsigned n = opts && opts->workers ? opts->workers : v2k_ncpus();
    unsigned started = 0;
    uint64_t chunk = opts && opts->chunk_size ? opts->chunk_size
                                              : DEFAULT_CHUNK;

    if (src->size != dst->size) {
        v2k_error("%s: output size %llu differs from the source's %llu",
                  dst->path, (unsigned long long)dst->size,
                  (unsigned long long)src->size);
        return -1;
    }
    if (n > MAX_WORKERS)
        n = MAX_WORKERS;
    memset(&c, 0, sizeof c);
    c.src = src;
    c.dst = dst;
    c.progress = opts ? opts->progress : NULL;
    c.size = src->size;
    c.gran = v2k_writer_granularity(dst);
    c.chunk = V2K_DIV_ROUND_UP(chunk, c.gran) * c.gran;
    pthread_mutex_init(&c.lock, NULL);

    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&th[i], NULL, worker, &c) != 0) {
            if (started == 0) {
                v2k_error("cannot start a copy thread");
                c.failed = true;
                snprintf(c.error, sizeof c.error, "%s", v2k_error_message());
            }
            break;
        }
        started++;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&c.lock);
    v2k_extent_list_free(&c.map);
    if (stats)
        *stats = c.stats;
    if (c.failed) {
        v2k_error("%s", c.error);
        return -1;
    }
    return 0;
}
