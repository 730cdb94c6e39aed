/* copy.c - see copy.h.
 *
 * Tuning (2 CPUs, source in the page cache, output on tmpfs so that the
 * numbers measure the engine, best of 3; 2 GiB dense and 16 GiB sparse
 * with 256 MiB of data, raw and qcow2 output):
 *   chunk 1/2/4/8 MiB, 2 workers: dense raw 4.2/2.0/2.7/2.7 s, dense
 *   qcow2 2.0/2.1/2.5/2.5 s, sparse raw 0.46/0.43/0.83/0.64 s, sparse
 *   qcow2 0.94/0.94/0.80/0.88 s;
 *   2 MiB with 4 workers, 4 MiB with 4 and 8 workers: 10-40% slower.
 * The copy is memory-bandwidth bound once the data is cached: chunks of
 * 2 MiB keep a chunk in the CPU caches between the read and the zero
 * check, and more threads than CPUs only add contention.  When the
 * source is slow (network transports), more workers help: use -m.
 */
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

#define EXTENT_WINDOW (1ULL << 30)      /* ask for the map 1 GiB at a time */
#define MAX_WORKERS V2K_COPY_MAX_WORKERS
#define DEFAULT_MAX_WORKERS 8

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

static unsigned
nworkers(const struct v2k_copy_opts *opts)
{
    unsigned n = opts ? opts->workers : 0;

    if (n == 0) {
        n = v2k_ncpus();
        if (n < 2)
            n = 2;
        if (n > DEFAULT_MAX_WORKERS)
            n = DEFAULT_MAX_WORKERS;
    }
    return n > MAX_WORKERS ? MAX_WORKERS : n;
}

static uint64_t
chunk_size(const struct v2k_copy_opts *opts)
{
    return opts && opts->chunk_size ? opts->chunk_size
                                    : V2K_COPY_DEFAULT_CHUNK;
}

static int verify(struct v2k_image *src, struct v2k_writer *dst,
                  const struct v2k_copy_opts *opts);

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
    unsigned n = nworkers(opts);
    unsigned started = 0;
    uint64_t chunk = chunk_size(opts);

    if (src->size != dst->size) {
        v2k_error("%s: output size %llu differs from the source's %llu",
                  dst->path, (unsigned long long)dst->size,
                  (unsigned long long)src->size);
        return -1;
    }
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
    c.stats.workers = started;
    pthread_mutex_destroy(&c.lock);
    v2k_extent_list_free(&c.map);
    if (stats)
        *stats = c.stats;
    if (c.failed) {
        v2k_error("%s", c.error);
        return -1;
    }
    if (opts && opts->verify)
        return verify(src, dst, opts);
    return 0;
}

/* ---- compare and scan ------------------------------------------------ */

enum scan_mode {
    SCAN_READ,                  /* read a (check) */
    SCAN_COMPARE,               /* a and b must read the same */
    SCAN_ZERO,                  /* a must read as zero */
};

struct scan {
    enum scan_mode mode;
    struct v2k_image *a, *b;
    uint64_t end, chunk;
    struct v2k_progress *progress;

    pthread_mutex_t lock;       /* guards everything below */
    uint64_t pos;               /* next offset to hand out */
    uint64_t stop;              /* lowest failure/difference so far */
    bool failed;                /* the one at stop is an error */
    char error[V2K_ERROR_MAX];
    struct v2k_scan_stats stats;
};

/* Fill buf with [off, off + len) of img, reading only DATA. */
static int
fill(struct v2k_image *img, unsigned char *buf, uint64_t off, uint64_t len,
     struct v2k_extent_list *l, struct v2k_scan_stats *st)
{
    uint64_t pos = off;

    while (pos < off + len) {
        v2k_extent_list_clear(l);
        if (v2k_image_extents(img, pos, off + len - pos, l) == -1)
            return -1;
        for (size_t i = 0; i < l->n; i++) {
            const struct v2k_extent *e = &l->v[i];
            uint64_t s = e->offset < pos ? pos : e->offset;
            uint64_t n = e->offset + e->length - s;

            st->extents++;
            if (e->type == V2K_EXTENT_DATA) {
                if (v2k_image_pread(img, buf + (s - off), n, s) == -1)
                    return -1;
                st->data_bytes += n;
            } else if (buf) {
                memset(buf + (s - off), 0, n);
            }
            pos = s + n;
        }
    }
    return 0;
}

/* First differing byte of two buffers (they differ). */
static uint64_t
first_diff(const unsigned char *x, const unsigned char *y, uint64_t len)
{
    uint64_t i = 0;

    while (i + 4096 <= len && memcmp(x + i, y + i, 4096) == 0)
        i += 4096;
    while (i < len && x[i] == y[i])
        i++;
    return i;
}

static void
scan_stop(struct scan *s, uint64_t at, bool error)
{
    pthread_mutex_lock(&s->lock);
    if (at < s->stop) {
        s->stop = at;
        s->failed = error;
        if (error)
            snprintf(s->error, sizeof s->error, "%s", v2k_error_message());
    }
    pthread_mutex_unlock(&s->lock);
}

/* Bytes from pos on (at most len) that img reads as zero without
 * storing them (leading non-DATA extents), *data set when a DATA extent
 * follows within len.  Extents counted in *nextents. */
static int
leading_hole(struct v2k_image *img, uint64_t pos, uint64_t len,
             struct v2k_extent_list *l, uint64_t *hole, bool *data,
             uint64_t *nextents)
{
    *hole = 0;
    *data = false;
    if (pos >= img->size)       /* compare: past the shorter one */
        return 0;
    if (len > img->size - pos)
        len = img->size - pos;
    v2k_extent_list_clear(l);
    if (v2k_image_extents(img, pos, len, l) == -1)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].type == V2K_EXTENT_DATA) {
            *data = true;
            break;
        }
        *hole = l->v[i].offset + l->v[i].length - pos;
        (*nextents)++;
    }
    return 0;
}

/* With s->lock held: move s->pos past what every image of the scan
 * reads as zero without storing it, so that an empty 2 PiB image costs a
 * walk of its allocation map (L1 table, BAT, grain directory...), not
 * one extents call per chunk of its address space.  The window doubles
 * while it finds only holes and starts again at one chunk for the next
 * piece, so a dense image pays one extra map look-up per chunk.  -1 with
 * the failure recorded in s. */
static int
skip_holes(struct scan *s, struct v2k_extent_list *l,
           struct v2k_scan_stats *st)
{
    uint64_t win = s->chunk;

    while (s->pos < s->end && s->pos < s->stop) {
        uint64_t len = s->end - s->pos < win ? s->end - s->pos : win;
        uint64_t ha, hb = UINT64_MAX, n = 0;
        bool da, db = false;

        if (leading_hole(s->a, s->pos, len, l, &ha, &da, &n) == -1 ||
            (s->b && leading_hole(s->b, s->pos, len, l, &hb, &db, &n) == -1))
            goto fail;
        /* Compare: skip only where both are holes.  Past the end of the
         * shorter image (size) its hole is as long as it takes. */
        if (s->b && s->pos >= s->b->size)
            hb = UINT64_MAX;
        if (s->pos >= s->a->size)
            ha = UINT64_MAX;
        if (ha > hb)
            ha = hb, da = db;
        else if (ha == hb)
            da = da || db;
        if (ha == 0 || ha == UINT64_MAX)
            break;
        if (ha > s->end - s->pos)
            ha = s->end - s->pos;
        st->extents += n;
        s->pos += ha;
        v2k_progress_add(s->progress, ha);
        if (da)
            break;
        if (win < (UINT64_MAX >> 1))
            win *= 2;
    }
    return 0;
fail:
    if (s->pos < s->stop) {
        s->stop = s->pos;
        s->failed = true;
        snprintf(s->error, sizeof s->error, "%s", v2k_error_message());
    }
    return -1;
}

static void *
scan_worker(void *arg)
{
    struct scan *s = arg;
    unsigned char *ba = NULL, *bb = NULL;
    struct v2k_extent_list la = { 0 }, lb = { 0 };
    struct v2k_scan_stats st = { 0 };

    if (posix_memalign((void **)&ba, 4096, s->chunk) != 0 ||
        (s->mode == SCAN_COMPARE &&
         posix_memalign((void **)&bb, 4096, s->chunk) != 0)) {
        v2k_error("out of memory for a %llu-byte compare buffer",
                  (unsigned long long)s->chunk);
        scan_stop(s, 0, true);
        goto out;
    }
    for (;;) {
        uint64_t off, len;

        pthread_mutex_lock(&s->lock);
        if (skip_holes(s, &la, &st) == -1) {
            pthread_mutex_unlock(&s->lock);
            break;
        }
        off = s->pos;
        len = s->end - off < s->chunk ? s->end - off : s->chunk;
        /* Pieces past a failure are not needed: it stays the first. */
        if (off >= s->stop)
            len = 0;
        s->pos += len;
        pthread_mutex_unlock(&s->lock);
        if (len == 0)
            break;
        if (v2k_check_interrupted() == -1 ||
            fill(s->a, ba, off, len, &la, &st) == -1 ||
            (bb && fill(s->b, bb, off, len, &lb, &st) == -1)) {
            scan_stop(s, off, true);
            break;
        }
        if (s->mode == SCAN_COMPARE && memcmp(ba, bb, len) != 0) {
            scan_stop(s, off + first_diff(ba, bb, len), false);
            break;
        }
        if (s->mode == SCAN_ZERO && !v2k_is_zero(ba, len)) {
            static const unsigned char zero[4096];
            uint64_t i = 0;
            while (i < len) {
                uint64_t k = len - i < sizeof zero ? len - i : sizeof zero;
                if (memcmp(ba + i, zero, k) != 0)
                    break;
                i += k;
            }
            while (ba[i] == 0)
                i++;
            scan_stop(s, off + i, false);
            break;
        }
        v2k_progress_add(s->progress, len);
    }
out:
    pthread_mutex_lock(&s->lock);
    s->stats.extents += st.extents;
    s->stats.data_bytes += st.data_bytes;
    pthread_mutex_unlock(&s->lock);
    free(ba);
    free(bb);
    v2k_extent_list_free(&la);
    v2k_extent_list_free(&lb);
    return NULL;
}

/* Run a scan of [start, end): 0 clean, 1 difference at *at, -1 error. */
static int
run_scan(enum scan_mode mode, struct v2k_image *a, struct v2k_image *b,
         uint64_t start, uint64_t end, const struct v2k_copy_opts *opts,
         uint64_t *at, struct v2k_scan_stats *stats)
{
    struct scan s;
    pthread_t th[MAX_WORKERS];
    unsigned n = nworkers(opts), started = 0;

    memset(&s, 0, sizeof s);
    s.mode = mode;
    s.a = a;
    s.b = b;
    s.pos = start;
    s.end = end;
    s.stop = UINT64_MAX;
    s.chunk = chunk_size(opts);
    s.progress = opts ? opts->progress : NULL;
    pthread_mutex_init(&s.lock, NULL);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&th[i], NULL, scan_worker, &s) != 0) {
            if (started == 0) {
                v2k_error("cannot start a compare thread");
                scan_stop(&s, 0, true);
            }
            break;
        }
        started++;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&s.lock);
    if (stats)
        *stats = s.stats;
    if (s.stop == UINT64_MAX)
        return 0;
    if (s.failed) {
        v2k_error("%s", s.error);
        return -1;
    }
    *at = s.stop;
    return 1;
}

int
v2k_compare(struct v2k_image *a, struct v2k_image *b,
            const struct v2k_copy_opts *opts, uint64_t *diff_offset)
{
    uint64_t common = a->size < b->size ? a->size : b->size;
    uint64_t at = 0;
    int r;

    r = run_scan(SCAN_COMPARE, a, b, 0, common, opts, &at, NULL);
    if (r == 0 && a->size != b->size)
        r = run_scan(SCAN_ZERO, a->size > b->size ? a : b, NULL, common,
                     a->size > b->size ? a->size : b->size, opts, &at,
                     NULL);
    if (r == 1 && diff_offset)
        *diff_offset = at;
    return r;
}

int
v2k_scan(struct v2k_image *img, const struct v2k_copy_opts *opts,
         struct v2k_scan_stats *stats)
{
    uint64_t at;

    return run_scan(SCAN_READ, img, NULL, 0, img->size, opts, &at, stats);
}

/* Finish dst, read it back through our reader and compare. */
static int
verify(struct v2k_image *src, struct v2k_writer *dst,
       const struct v2k_copy_opts *opts)
{
    struct v2k_copy_opts o = *opts;
    struct v2k_image *out;
    uint64_t at = 0;
    int r;

    if (v2k_writer_finish(dst) == -1)
        return -1;
    out = v2k_image_open(dst->path, dst->ops->name, NULL);
    if (out == NULL) {
        v2k_error_prepend("verifying the output: ");
        return -1;
    }
    o.progress = NULL;
    r = v2k_compare(src, out, &o, &at);
    v2k_image_close(out);
    if (r == 1) {
        v2k_error("%s: verification failed: the output differs from %s at offset %llu", dst->path, v2k_image_name(src),
                  (unsigned long long)at);
        return -1;
    }
    if (r == -1)
        v2k_error_prepend("verifying the output: ");
    return r;
}
