/* qcow2-writer.c - qcow2 version 3 output (compat 1.1), optionally with
 * compressed clusters (deflate, qemu's "zlib" type, or zstd).
 *
 * Layout, per qemu's docs/interop/qcow2.txt:
 *   cluster 0          header (112 bytes, with compression_type) and the
 *                      end-of-extensions marker
 *   then, in order of allocation: data clusters, packs of compressed
 *                      clusters, L2 tables, refcount blocks
 *   last               L1 table, refcount table
 * Host space is handed out by one allocator that only moves forward
 * (next_host), so the file is only as large as the data.  Metadata is
 * finished last and the header goes in last of all, so a crash leaves a
 * file qemu rejects rather than a wrong disk.
 *
 * Compression: the worker thread that calls pwrite compresses each
 * cluster itself (so compression runs on every core), then takes the
 * lock only to allocate.  A cluster that does not compress to fewer
 * bytes than a cluster is stored normally.  Compressed clusters are
 * packed byte-contiguously (as qemu does) and described in 512-byte
 * sectors (qcow2.txt "Compressed Clusters Descriptor"), so one host
 * cluster may hold several compressed clusters and their last sectors
 * may be shared: the refcount of a host cluster is the number of
 * compressed clusters whose sector range touches it, which is exactly
 * what qemu-img check computes.  Normal clusters have refcount 1 and
 * carry QCOW_OFLAG_COPIED; compressed entries must not.
 *
 * Refcounts are streamed: a refcount block is given a host cluster when
 * the allocator first enters the range it covers, kept in memory while a
 * count in its range may still change, and written as soon as the
 * allocator (and the open compressed pack) has moved past its range.
 *
 * Memory bound (whatever the disk size and how full it is):
 *   - the L1 table: 8 bytes per L2 table (at most 32 MiB, qemu's cap;
 *     16 KiB for 1 TiB with 64 KiB clusters);
 *   - the refcount table: 8 bytes per refcount block;
 *   - an LRU cache of at most L2_CACHE_BYTES / cluster size L2 tables
 *     (between 4 and 64 tables): a table is written out as soon as all
 *     its entries are set, and the least recently used one is written to
 *     its reserved host cluster and reloaded on demand when the cache is
 *     full;
 *   - the refcount blocks whose range is still open (two in the steady
 *     state, one per range crossed by a single allocation);
 *   - per pwrite call, in the calling thread, a buffer as large as the
 *     write for compressed output.
 * With -oa preallocated the layout is fixed at creation (L2 tables, then
 * every data cluster in guest order), so no L2 table is kept at all.
 */
#include "writer.h"
#include "error.h"
#include "util.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zstd.h>
#include <zstd_errors.h>

#define QCOW2_MAGIC 0x514649fbU         /* "QFI\xfb" */
#define QCOW2_VERSION 3
#define QCOW2_HEADER_LEN 112            /* v3 header with compression_type
                                           (byte 104) and 7 padding bytes */
#define QCOW2_OFLAG_COPIED (1ULL << 63)
#define QCOW2_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)  /* qcow2.txt bit 3 */
#define QCOW2_COMPRESSION_ZLIB 0
#define QCOW2_COMPRESSION_ZSTD 1
#define QCOW2_SECTOR 512                /* compressed descriptor unit */
#define QCOW2_REFCOUNT_ORDER 4          /* 16-bit refcounts (default) */
#define QCOW2_REFCOUNT_MAX 0xffffU
#define QCOW2_MAX_L1_BYTES (32U << 20)  /* qemu's QCOW_MAX_L1_SIZE */
#define QCOW2_DEFAULT_CLUSTER (64U << 10)
/* Deflate with libdeflate.  Measured per 64 KiB cluster, one thread, on
 * a Debian 12 system disk: level 2 is 4.7x faster than zlib's level 6
 * (what qemu-img convert -c uses) and its output slightly smaller; on
 * random data level 1 takes 0.75x the time of level 2, and neither
 * stores anything smaller than the cluster.  So a cluster whose first
 * DEFLATE_PROBE bytes do not shrink at level 1 is compressed whole at
 * level 1 (mostly failing fast: stored plainly), and any other at level
 * 2.
 * libdeflate may refer back up to 32 KiB while qemu declares a 4 KiB
 * window (inflateInit2 with -12 window bits); that decodes correctly
 * because every qcow2 reader we know of (qemu's qcow2_zlib_decompress,
 * ours in qcow2-l2.c) inflates a cluster in one call into a buffer that
 * holds the whole cluster, and zlib only needs its window for distances
 * reaching back before the current call's output.  Checked in
 * tests/formats/test-qcow2-writer.sh: qemu-img compare reads it. */
#define DEFLATE_LEVEL 2
#define DEFLATE_FAST_LEVEL 1
#define DEFLATE_PROBE 4096

#define L2_CACHE_BYTES (8U << 20)
#define L2_CACHE_MIN 4
#define L2_CACHE_MAX 64

struct l2_slot {
    uint64_t index;             /* L1 index; UINT64_MAX = free */
    uint64_t *t;                /* l2_entries CPU-endian entries */
    uint64_t tick;              /* last use, for LRU */
    uint64_t nset;              /* entries != 0 */
    bool dirty;
};

struct rc_block {
    uint64_t range;             /* refcount table index */
    uint16_t *rc;               /* per_block CPU-endian counts */
};

struct qcow2_writer {
    struct v2k_writer w;
    int fd;
    pthread_mutex_t lock;
    unsigned cluster_bits;
    uint64_t cluster_size;
    uint64_t clusters;          /* guest clusters */
    uint64_t l2_entries;        /* entries per L2 table */
    uint32_t l1_size;
    uint64_t *l1;               /* host offset of each L2 table, 0 = none */
    enum v2k_compress compress;
    bool preallocate;
    uint64_t data_start;        /* preallocate: host of guest cluster 0 */

    struct l2_slot *slots;      /* the L2 cache */
    unsigned nslots;
    uint64_t tick;

    uint64_t next_host;         /* first free host byte, cluster aligned */
    uint64_t pack_pos;          /* next free byte of the compressed pack */
    uint64_t pack_end;          /* end of its clusters; pos == end: none */

    uint64_t per_block;         /* clusters covered by a refcount block */
    uint64_t *rt;               /* host offset of each refcount block */
    uint64_t rt_n, rt_cap;
    struct rc_block *rcb;       /* blocks still in memory */
    size_t nrcb, rcb_cap;
    uint64_t rc_flushed;        /* ranges below this are on disk */
};

/* ---- refcounts ------------------------------------------------------ */

/* Clusters below this have their final refcount. */
static uint64_t
rc_final_limit(const struct qcow2_writer *q)
{
    uint64_t lim = q->next_host >> q->cluster_bits;

    if (q->pack_pos < q->pack_end &&
        (q->pack_pos >> q->cluster_bits) < lim)
        lim = q->pack_pos >> q->cluster_bits;
    return lim;
}

static int
rc_write_block(struct qcow2_writer *q, struct rc_block *b)
{
    uint16_t *be = b->rc;       /* converted in place: the block is done */

    for (uint64_t i = 0; i < q->per_block; i++)
        be[i] = htobe16(b->rc[i]);
    return v2k_pwrite_all(q->fd, q->w.path, be, q->cluster_size,
                          q->rt[b->range]);
}

/* Write and forget the blocks whose whole range is final, in order. */
static int
rc_flush(struct qcow2_writer *q, bool all)
{
    uint64_t lim = all ? UINT64_MAX : rc_final_limit(q);
    size_t keep = 0;
    int r = 0;

    for (size_t i = 0; i < q->nrcb; i++) {
        struct rc_block *b = &q->rcb[i];
        if (r == 0 && (b->range + 1) * q->per_block <= lim) {
            r = rc_write_block(q, b);
            free(b->rc);
            if (b->range + 1 > q->rc_flushed)
                q->rc_flushed = b->range + 1;
            continue;
        }
        q->rcb[keep++] = *b;
    }
    q->nrcb = keep;
    if (all)
        q->rc_flushed = q->rt_n;
    return r;
}

/* The in-memory counts of range r, creating them. */
static uint16_t *
rc_block_get(struct qcow2_writer *q, uint64_t r)
{
    struct rc_block *b;

    for (size_t i = 0; i < q->nrcb; i++)
        if (q->rcb[i].range == r)
            return q->rcb[i].rc;
    if (r < q->rc_flushed || r >= q->rt_n) {
        v2k_error("%s: internal error: refcount block %llu is not open",
                  q->w.path, (unsigned long long)r);
        return NULL;
    }
    if (q->nrcb == q->rcb_cap) {
        size_t cap = q->rcb_cap ? q->rcb_cap * 2 : 4;
        b = realloc(q->rcb, cap * sizeof *b);
        if (b == NULL) {
            v2k_error("%s: out of memory for refcounts", q->w.path);
            return NULL;
        }
        q->rcb = b;
        q->rcb_cap = cap;
    }
    b = &q->rcb[q->nrcb];
    b->range = r;
    b->rc = calloc(q->per_block, sizeof *b->rc);
    if (b->rc == NULL) {
        v2k_error("%s: out of memory for a refcount block", q->w.path);
        return NULL;
    }
    q->nrcb++;
    return b->rc;
}

/* Add 1 to the refcount of clusters [c, c + n), flushing finished
 * ranges as it goes (so a huge run holds one block at a time). */
static int
rc_add(struct qcow2_writer *q, uint64_t c, uint64_t n)
{
    while (n > 0) {
        uint64_t r = c / q->per_block, i = c % q->per_block;
        uint64_t k = q->per_block - i < n ? q->per_block - i : n;
        uint16_t *rc = rc_block_get(q, r);

        if (rc == NULL)
            return -1;
        for (uint64_t j = i; j < i + k; j++) {
            if (rc[j] == QCOW2_REFCOUNT_MAX) {
                v2k_error("%s: refcount overflow at host cluster %llu",
                          q->w.path, (unsigned long long)(c + j - i));
                return -1;
            }
            rc[j]++;
        }
        c += k;
        n -= k;
        if (rc_flush(q, false) == -1)
            return -1;
    }
    return 0;
}

static unsigned
rc_get(struct qcow2_writer *q, uint64_t c)
{
    for (size_t i = 0; i < q->nrcb; i++)
        if (q->rcb[i].range == c / q->per_block)
            return q->rcb[i].rc[c % q->per_block];
    return 0;
}

/* ---- host allocation ------------------------------------------------ */

/* Give a refcount block (at next_host) to every range that
 * [next_host, next_host + n clusters) enters for the first time. */
static int
ensure_rc_blocks(struct qcow2_writer *q, uint64_t n)
{
    for (;;) {
        uint64_t end = (q->next_host >> q->cluster_bits) + n;
        uint64_t h;

        if (q->rt_n * q->per_block >= end)
            return 0;
        if (q->rt_n == q->rt_cap) {
            uint64_t cap = q->rt_cap ? q->rt_cap * 2 : 16;
            uint64_t *rt = realloc(q->rt, cap * sizeof *rt);
            if (rt == NULL) {
                v2k_error("%s: out of memory for the refcount table",
                          q->w.path);
                return -1;
            }
            q->rt = rt;
            q->rt_cap = cap;
        }
        h = q->next_host;
        q->rt[q->rt_n++] = h;
        q->next_host += q->cluster_size;
        if (rc_add(q, h >> q->cluster_bits, 1) == -1)
            return -1;
    }
}

/* Under lock: n contiguous clusters, refcount 1 each; host byte offset
 * or 0 on error. */
static uint64_t
alloc_clusters(struct qcow2_writer *q, uint64_t n)
{
    uint64_t h, end;

    /* Keep the open compressed pack in the range being allocated, or
     * give up its tail: else every range in between stays in memory. */
    end = ((q->next_host >> q->cluster_bits) + n) / q->per_block;
    if (q->pack_pos < q->pack_end &&
        (q->pack_pos >> q->cluster_bits) / q->per_block < end)
        q->pack_pos = q->pack_end;
    if (ensure_rc_blocks(q, n) == -1)
        return 0;
    h = q->next_host;
    q->next_host += n << q->cluster_bits;
    if (rc_add(q, h >> q->cluster_bits, n) == -1)
        return 0;
    return h;
}

/* Under lock: len bytes (< a cluster) for a compressed cluster, packed
 * after the previous one; host byte offset or 0 on error. */
static uint64_t
alloc_bytes(struct qcow2_writer *q, uint64_t len)
{
    uint64_t off, cb = q->cluster_bits;

    if (q->pack_pos < q->pack_end &&
        rc_get(q, q->pack_pos >> cb) >= QCOW2_REFCOUNT_MAX - 1)
        q->pack_pos = q->pack_end;
    if (q->pack_pos < q->pack_end && q->pack_pos + len > q->pack_end &&
        q->pack_end == q->next_host) {
        /* Spill into the next cluster when it is contiguous (no
         * refcount block lands there first). */
        uint64_t before = q->next_host;
        if (ensure_rc_blocks(q, 1) == -1)
            return 0;
        if (q->next_host == before) {
            q->next_host += q->cluster_size;
            q->pack_end = q->next_host;
        }
    }
    if (q->pack_pos + len > q->pack_end) {
        /* A new pack (qemu too leaves the old tail unused).  The pack
         * is opened before its cluster is counted, so that the count
         * does not flush the refcount block the pack still adds to. */
        uint64_t h;
        q->pack_pos = q->pack_end;
        if (ensure_rc_blocks(q, 1) == -1)
            return 0;
        h = q->next_host;
        q->next_host += q->cluster_size;
        q->pack_pos = h + len;
        q->pack_end = h + q->cluster_size;
        if (rc_add(q, h >> cb, 1) == -1)
            return 0;
        return h;
    }
    off = q->pack_pos;
    /* One reference per host cluster the sector range touches. */
    {
        uint64_t first = off >> cb, last = (off + len - 1) >> cb;
        if (rc_add(q, first, last - first + 1) == -1)
            return 0;
    }
    q->pack_pos = off + len;
    return off;
}

/* ---- L2 tables ------------------------------------------------------ */

static uint64_t
l2_table_entries(const struct qcow2_writer *q, uint64_t i)
{
    uint64_t left = q->clusters - i * q->l2_entries;
    return left < q->l2_entries ? left : q->l2_entries;
}

static int
l2_write(struct qcow2_writer *q, struct l2_slot *s)
{
    uint64_t *be = malloc(q->cluster_size);
    int r;

    if (be == NULL) {
        v2k_error("%s: out of memory", q->w.path);
        return -1;
    }
    for (uint64_t i = 0; i < q->l2_entries; i++)
        be[i] = htobe64(s->t[i]);
    r = v2k_pwrite_all(q->fd, q->w.path, be, q->cluster_size,
                       q->l1[s->index]);
    free(be);
    if (r == 0)
        s->dirty = false;
    return r;
}

/* Read a table back (bytes never written read as zero). */
static int
l2_load(struct qcow2_writer *q, struct l2_slot *s, uint64_t i)
{
    size_t got = 0;

    while (got < q->cluster_size) {
        ssize_t r = pread(q->fd, (char *)s->t + got, q->cluster_size - got,
                          (off_t)(q->l1[i] + got));
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1) {
            v2k_error_errno(errno, "%s: reading back L2 table %llu at %llu",
                            q->w.path, (unsigned long long)i,
                            (unsigned long long)q->l1[i]);
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    memset((char *)s->t + got, 0, q->cluster_size - got);
    s->nset = 0;
    for (uint64_t k = 0; k < q->l2_entries; k++) {
        s->t[k] = be64toh(s->t[k]);
        if (s->t[k])
            s->nset++;
    }
    return 0;
}

/* Under lock: the cached table of L1 index i (which has a host cluster),
 * evicting the least recently used one when the cache is full. */
static struct l2_slot *
l2_get(struct qcow2_writer *q, uint64_t i)
{
    struct l2_slot *s = NULL;

    for (unsigned k = 0; k < q->nslots; k++) {
        if (q->slots[k].index == i) {
            q->slots[k].tick = ++q->tick;
            return &q->slots[k];
        }
        if (s == NULL || q->slots[k].index == UINT64_MAX ||
            (s->index != UINT64_MAX && q->slots[k].tick < s->tick))
            s = &q->slots[k];
    }
    if (s->index != UINT64_MAX && s->dirty && l2_write(q, s) == -1)
        return NULL;
    s->index = UINT64_MAX;
    if (s->t == NULL) {
        s->t = malloc(q->cluster_size);
        if (s->t == NULL) {
            v2k_error("%s: out of memory for an L2 table", q->w.path);
            return NULL;
        }
    }
    if (l2_load(q, s, i) == -1)
        return NULL;
    s->index = i;
    s->dirty = false;
    s->tick = ++q->tick;
    return s;
}

/* Under lock: give every L2 table of guest clusters [first, first + n)
 * its host cluster (before the data, so a write's data is contiguous). */
static int
l2_reserve(struct qcow2_writer *q, uint64_t first, uint64_t n)
{
    uint64_t a = first / q->l2_entries, b = (first + n - 1) / q->l2_entries;

    for (uint64_t i = a; i <= b; i++) {
        if (q->l1[i] == 0) {
            uint64_t h = alloc_clusters(q, 1);
            if (h == 0)
                return -1;
            q->l1[i] = h;
        }
    }
    return 0;
}

/* Under lock: set the entry of guest cluster gc; a full table goes to
 * disk at once. */
static int
l2_set(struct qcow2_writer *q, uint64_t gc, uint64_t entry)
{
    uint64_t i = gc / q->l2_entries;
    struct l2_slot *s = l2_get(q, i);

    if (s == NULL)
        return -1;
    if (s->t[gc % q->l2_entries] != 0) {
        v2k_error("%s: cluster at %llu written twice", q->w.path,
                  (unsigned long long)(gc << q->cluster_bits));
        return -1;
    }
    s->t[gc % q->l2_entries] = entry;
    s->dirty = true;
    if (++s->nset == l2_table_entries(q, i)) {
        if (l2_write(q, s) == -1)
            return -1;
        s->index = UINT64_MAX;
    }
    return 0;
}

/* ---- writing data --------------------------------------------------- */

static int
pwrite_plain(struct qcow2_writer *q, const void *buf, size_t count,
             uint64_t first, uint64_t n)
{
    uint64_t host;

    if (q->preallocate)
        return v2k_pwrite_all(q->fd, q->w.path, buf, count,
                              q->data_start + (first << q->cluster_bits));
    pthread_mutex_lock(&q->lock);
    if (l2_reserve(q, first, n) == -1 ||
        (host = alloc_clusters(q, n)) == 0)
        goto fail;
    for (uint64_t c = 0; c < n; c++)
        if (l2_set(q, first + c,
                   (host + (c << q->cluster_bits)) | QCOW2_OFLAG_COPIED))
            goto fail;
    pthread_mutex_unlock(&q->lock);
    return v2k_pwrite_all(q->fd, q->w.path, buf, count, host);

fail:
    pthread_mutex_unlock(&q->lock);
    return -1;
}

/* libdeflate compressors for one pwrite call; owned by the caller. */
struct deflaters {
    struct libdeflate_compressor *best, *fast;
};

/* Compress in (one cluster) into out (room for cluster - 1 bytes); the
 * compressed length, 0 when it does not get smaller, -1 on error. */
static ssize_t
compress_cluster(struct qcow2_writer *q, const struct deflaters *d,
                 ZSTD_CCtx *zc, const void *in, void *out)
{
    size_t cap = q->cluster_size - 1;
    size_t probe = q->cluster_size / 2;

    if (q->compress == V2K_COMPRESS_ZSTD) {
        size_t r = ZSTD_compressCCtx(zc, out, cap, in, q->cluster_size,
                                     ZSTD_CLEVEL_DEFAULT);
        if (ZSTD_isError(r))
            return ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall
                   ? 0 : -1;
        return (ssize_t)r;
    }
    if (probe > DEFLATE_PROBE)
        probe = DEFLATE_PROBE;
    /* 0 from libdeflate: it did not fit in the room given. */
    if (libdeflate_deflate_compress(d->fast, in, probe, out,
                                    probe - probe / 64) == 0)
        return (ssize_t)libdeflate_deflate_compress(d->fast, in,
                                                    q->cluster_size,
                                                    out, cap);
    return (ssize_t)libdeflate_deflate_compress(d->best, in, q->cluster_size,
                                                out, cap);
}

static int
pwrite_compressed(struct qcow2_writer *q, const unsigned char *buf,
                  size_t count, uint64_t first, uint64_t n)
{
    uint64_t cs = q->cluster_size;
    unsigned char *out = malloc(n * cs);
    unsigned char *pad = NULL;
    uint64_t *len = calloc(n, sizeof *len);
    uint64_t *host = calloc(n, sizeof *host);
    struct deflaters d = { NULL, NULL };
    ZSTD_CCtx *zc = NULL;
    uint64_t pos = 0;
    int r = -1;

    if (out == NULL || len == NULL || host == NULL) {
        v2k_error("%s: out of memory for compression", q->w.path);
        goto out;
    }
    if (q->compress == V2K_COMPRESS_ZSTD) {
        zc = ZSTD_createCCtx();
        if (zc == NULL) {
            v2k_error("%s: cannot create a zstd context", q->w.path);
            goto out;
        }
    } else {
        d.best = libdeflate_alloc_compressor(DEFLATE_LEVEL);
        d.fast = libdeflate_alloc_compressor(DEFLATE_FAST_LEVEL);
        if (d.best == NULL || d.fast == NULL) {
            v2k_error("%s: out of memory for a deflate compressor",
                      q->w.path);
            goto out;
        }
    }
    /* Compress outside the lock: this is where the CPU time goes. */
    for (uint64_t c = 0; c < n; c++) {
        const unsigned char *in = buf + c * cs;
        ssize_t cl;

        if ((c + 1) * cs > count) {
            /* The last cluster of the disk: pad with zeros (a compressed
             * cluster always expands to a whole cluster). */
            pad = calloc(1, cs);
            if (pad == NULL) {
                v2k_error("%s: out of memory", q->w.path);
                goto out;
            }
            memcpy(pad, in, count - c * cs);
            in = pad;
        }
        cl = compress_cluster(q, &d, zc, in, out + pos);
        if (cl == -1) {
            v2k_error("%s: compressing the cluster at %llu failed",
                      q->w.path,
                      (unsigned long long)((first + c) << q->cluster_bits));
            goto out;
        }
        if (cl == 0) {
            memcpy(out + pos, in, cs);
            len[c] = cs;
        } else {
            len[c] = (uint64_t)cl;
        }
        pos += len[c];
    }

    pthread_mutex_lock(&q->lock);
    if (l2_reserve(q, first, n) == -1)
        goto unlock;
    for (uint64_t c = 0; c < n; c++) {
        uint64_t e;
        if (len[c] == cs) {
            if ((host[c] = alloc_clusters(q, 1)) == 0)
                goto unlock;
            e = host[c] | QCOW2_OFLAG_COPIED;
        } else {
            uint64_t sectors;
            if ((host[c] = alloc_bytes(q, len[c])) == 0)
                goto unlock;
            /* qcow2.txt: x = 62 - (cluster_bits - 8); bits 0..x-1 host
             * offset, bits x..61 additional 512-byte sectors. */
            sectors = (host[c] + len[c] - 1) / QCOW2_SECTOR -
                      host[c] / QCOW2_SECTOR;
            e = QCOW2_OFLAG_COMPRESSED | host[c] |
                (sectors << (62 - (q->cluster_bits - 8)));
        }
        if (l2_set(q, first + c, e) == -1)
            goto unlock;
    }
    pthread_mutex_unlock(&q->lock);

    /* Write runs that are contiguous on the host in one call. */
    pos = 0;
    for (uint64_t c = 0; c < n;) {
        uint64_t run = len[c], k = c + 1;
        while (k < n && host[k] == host[c] + run) {
            run += len[k];
            k++;
        }
        if (v2k_pwrite_all(q->fd, q->w.path, out + pos, run, host[c]))
            goto out;
        pos += run;
        c = k;
    }
    r = 0;
    goto out;

unlock:
    pthread_mutex_unlock(&q->lock);
out:
    if (d.best != NULL)
        libdeflate_free_compressor(d.best);
    if (d.fast != NULL)
        libdeflate_free_compressor(d.fast);
    ZSTD_freeCCtx(zc);
    free(out);
    free(pad);
    free(len);
    free(host);
    return r;
}

static int
qcow2_w_pwrite(struct v2k_writer *w, const void *buf, size_t count,
               uint64_t offset)
{
    struct qcow2_writer *q = (struct qcow2_writer *)w;
    uint64_t first = offset >> q->cluster_bits;
    uint64_t n = V2K_DIV_ROUND_UP(count, q->cluster_size);

    if (offset & (q->cluster_size - 1)) {
        v2k_error("%s: unaligned write at %llu", w->path,
                  (unsigned long long)offset);
        return -1;
    }
    if (count == 0)
        return 0;
    if (q->compress != V2K_COMPRESS_NONE)
        return pwrite_compressed(q, buf, count, first, n);
    return pwrite_plain(q, buf, count, first, n);
}

/* ---- finishing ------------------------------------------------------ */

static int
write_be64_table(struct qcow2_writer *q, const uint64_t *t, size_t n,
                 uint64_t flag, uint64_t host, uint64_t bytes)
{
    uint64_t *be = calloc(bytes / 8, sizeof *be);
    int r;

    if (be == NULL) {
        v2k_error("%s: out of memory", q->w.path);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        be[i] = htobe64(t[i] ? t[i] | flag : 0);
    r = v2k_pwrite_all(q->fd, q->w.path, be, bytes, host);
    free(be);
    return r;
}

/* Preallocated layout: every L2 table maps its clusters in order. */
static int
write_fixed_l2(struct qcow2_writer *q)
{
    uint64_t *t = malloc(q->cluster_size);
    int r = 0;

    if (t == NULL) {
        v2k_error("%s: out of memory", q->w.path);
        return -1;
    }
    for (uint64_t i = 0; i < q->l1_size && r == 0; i++) {
        uint64_t k = l2_table_entries(q, i);
        memset(t, 0, q->cluster_size);
        for (uint64_t e = 0; e < k; e++) {
            uint64_t gc = i * q->l2_entries + e;
            t[e] = htobe64((q->data_start + (gc << q->cluster_bits)) |
                           QCOW2_OFLAG_COPIED);
        }
        r = v2k_pwrite_all(q->fd, q->w.path, t, q->cluster_size, q->l1[i]);
    }
    free(t);
    return r;
}

static int
write_header(struct qcow2_writer *q, uint64_t l1_offset, uint64_t rt_offset,
             uint64_t rt_clusters)
{
    unsigned char hdr[QCOW2_HEADER_LEN + 8];
    uint64_t incompat = 0;
    unsigned char ctype = QCOW2_COMPRESSION_ZLIB;

    if (q->compress == V2K_COMPRESS_ZSTD) {
        ctype = QCOW2_COMPRESSION_ZSTD;
        incompat |= QCOW2_INCOMPAT_COMPRESSION;
    }
    /* qcow2.txt "Header", all big-endian. */
    memset(hdr, 0, sizeof hdr);
#define PUT32(off, v) \
    do { uint32_t x_ = htobe32(v); memcpy(hdr + (off), &x_, 4); } while (0)
#define PUT64(off, v) \
    do { uint64_t x_ = htobe64(v); memcpy(hdr + (off), &x_, 8); } while (0)
    PUT32(0, QCOW2_MAGIC);
    PUT32(4, QCOW2_VERSION);
    PUT32(20, q->cluster_bits);
    PUT64(24, q->w.size);
    PUT32(36, q->l1_size);
    PUT64(40, l1_offset);
    PUT64(48, rt_offset);
    PUT32(56, (uint32_t)rt_clusters);
    PUT64(72, incompat);
    PUT32(96, QCOW2_REFCOUNT_ORDER);
    PUT32(100, QCOW2_HEADER_LEN);
    hdr[104] = ctype;
    /* bytes 112..119: header extension end marker (type 0, length 0) */
#undef PUT32
#undef PUT64
    return v2k_pwrite_all(q->fd, q->w.path, hdr, sizeof hdr, 0);
}

static int
qcow2_w_finish(struct v2k_writer *w)
{
    struct qcow2_writer *q = (struct qcow2_writer *)w;
    uint64_t cs = q->cluster_size;
    uint64_t l1_offset, l1_clusters, rt_offset, rt_clusters;
    int fd;

    q->pack_pos = q->pack_end;          /* close the compressed pack */
    if (q->preallocate) {
        if (write_fixed_l2(q) == -1)
            return -1;
    } else {
        for (unsigned k = 0; k < q->nslots; k++)
            if (q->slots[k].index != UINT64_MAX && q->slots[k].dirty &&
                l2_write(q, &q->slots[k]) == -1)
                return -1;
    }
    l1_clusters = V2K_DIV_ROUND_UP((uint64_t)q->l1_size * 8, cs);
    if ((l1_offset = alloc_clusters(q, l1_clusters)) == 0)
        return -1;
    if (write_be64_table(q, q->l1, q->l1_size, QCOW2_OFLAG_COPIED,
                         l1_offset, l1_clusters * cs))
        return -1;
    /* The refcount table's own clusters may open another range, which
     * needs another table entry: settle the size first. */
    for (;;) {
        rt_clusters = V2K_DIV_ROUND_UP((q->rt_n + 1) * 8, cs);
        if (ensure_rc_blocks(q, rt_clusters) == -1)
            return -1;
        if (V2K_DIV_ROUND_UP(q->rt_n * 8, cs) <= rt_clusters)
            break;
    }
    if ((rt_offset = alloc_clusters(q, rt_clusters)) == 0)
        return -1;
    if (rc_flush(q, true) == -1 ||
        write_be64_table(q, q->rt, q->rt_n, 0, rt_offset, rt_clusters * cs))
        return -1;
    if (write_header(q, l1_offset, rt_offset, rt_clusters) == -1)
        return -1;
    if (ftruncate(q->fd, (off_t)q->next_host) == -1) {
        v2k_error_errno(errno, "%s: setting the file size", w->path);
        return -1;
    }
    if (q->preallocate) {
        int err = posix_fallocate(q->fd, 0, (off_t)q->next_host);
        if (err) {
            v2k_error_errno(err, "%s: preallocating", w->path);
            return -1;
        }
    }
    fd = q->fd;
    q->fd = -1;
    if (close(fd) == -1) {
        v2k_error_errno(errno, "%s: close", w->path);
        return -1;
    }
    return 0;
}

static void
qcow2_w_free(struct v2k_writer *w)
{
    struct qcow2_writer *q = (struct qcow2_writer *)w;

    if (q->fd >= 0)
        close(q->fd);
    if (q->slots)
        for (unsigned k = 0; k < q->nslots; k++)
            free(q->slots[k].t);
    free(q->slots);
    for (size_t i = 0; i < q->nrcb; i++)
        free(q->rcb[i].rc);
    free(q->rcb);
    free(q->rt);
    free(q->l1);
    pthread_mutex_destroy(&q->lock);
    free(w->path);
    free(q);
}

static const struct v2k_writer_ops qcow2_writer_ops = {
    .name = "qcow2",
    .pwrite = qcow2_w_pwrite,
    .finish = qcow2_w_finish,
    .free = qcow2_w_free,
};

/* -oa preallocated: L2 tables, then every data cluster in guest order,
 * allocated (fallocate) now so that a full disk fails early. */
static int
layout_preallocated(struct qcow2_writer *q)
{
    uint64_t l2_start, end;
    int err;

    if ((l2_start = alloc_clusters(q, q->l1_size)) == 0)
        return -1;
    for (uint64_t i = 0; i < q->l1_size; i++)
        q->l1[i] = l2_start + i * q->cluster_size;
    if ((q->data_start = alloc_clusters(q, q->clusters)) == 0)
        return -1;
    end = q->next_host;
    err = posix_fallocate(q->fd, 0, (off_t)end);
    if (err) {
        v2k_error_errno(err, "%s: preallocating %llu bytes", q->w.path,
                        (unsigned long long)end);
        return -1;
    }
    return 0;
}

struct v2k_writer *
v2k_qcow2_writer_create(const char *path, uint64_t size,
                        const struct v2k_writer_opts *opts)
{
    struct qcow2_writer *q;
    uint32_t cs = opts->cluster_size ? opts->cluster_size
                                     : QCOW2_DEFAULT_CLUSTER;
    uint64_t clusters, l1;

    /* qcow2.txt: cluster_bits 9..21 (512 B to 2 MiB). */
    if (!V2K_IS_POW2(cs) || cs < 512 || cs > (2U << 20)) {
        v2k_error("qcow2 cluster size %u must be a power of two from 512 to 2097152", cs);
        return NULL;
    }
    if (opts->compress != V2K_COMPRESS_NONE &&
        opts->compress != V2K_COMPRESS_ZLIB &&
        opts->compress != V2K_COMPRESS_ZSTD) {
        v2k_error("%s: unknown compression type %d", path,
                  (int)opts->compress);
        return NULL;
    }
    if (opts->compress != V2K_COMPRESS_NONE && opts->preallocate) {
        v2k_error("%s: compressed output cannot be preallocated", path);
        return NULL;
    }
    clusters = V2K_DIV_ROUND_UP(size, cs);
    l1 = V2K_DIV_ROUND_UP(clusters, cs / 8);
    if (size == 0 || l1 * 8 > QCOW2_MAX_L1_BYTES) {
        v2k_error("%s: virtual size %llu is out of range for qcow2 with %u-byte clusters", path, (unsigned long long)size, cs);
        return NULL;
    }
    q = v2k_calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    pthread_mutex_init(&q->lock, NULL);
    q->fd = -1;
    q->w.ops = &qcow2_writer_ops;
    q->w.size = size;
    q->w.granularity = cs;
    q->cluster_size = cs;
    q->cluster_bits = (unsigned)__builtin_ctz(cs);
    q->clusters = clusters;
    q->l2_entries = cs / 8;
    q->l1_size = (uint32_t)l1;
    q->compress = opts->compress;
    q->preallocate = opts->preallocate;
    q->per_block = (uint64_t)cs * 8 / (1U << QCOW2_REFCOUNT_ORDER);
    q->next_host = cs;                          /* cluster 0: header */
    q->nslots = L2_CACHE_BYTES / cs;
    if (q->nslots < L2_CACHE_MIN)
        q->nslots = L2_CACHE_MIN;
    if (q->nslots > L2_CACHE_MAX)
        q->nslots = L2_CACHE_MAX;
    q->l1 = v2k_calloc(l1, sizeof *q->l1);
    q->slots = v2k_calloc(q->nslots, sizeof *q->slots);
    q->w.path = v2k_strdup(path);
    if (q->l1 == NULL || q->slots == NULL || q->w.path == NULL)
        goto fail;
    for (unsigned k = 0; k < q->nslots; k++)
        q->slots[k].index = UINT64_MAX;
    /* Cluster 0 is the header (so no allocation returns offset 0, which
     * the allocators use for failure); the first refcount block goes
     * right after it. */
    if (ensure_rc_blocks(q, 1) == -1 || rc_add(q, 0, 1) == -1)
        goto fail;
    q->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (q->fd == -1) {
        v2k_error_errno(errno, "%s: create", path);
        goto fail;
    }
    if (q->preallocate && layout_preallocated(q) == -1)
        goto fail;
    return &q->w;

fail:
    /* Created here with O_EXCL: ours to remove (the caller registers it
     * for removal only once create succeeded). */
    if (q->fd >= 0)
        unlink(path);
    qcow2_w_free(&q->w);
    return NULL;
}
