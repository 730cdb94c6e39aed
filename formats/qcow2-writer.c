/* qcow2-writer.c - qcow2 version 3 output (compat 1.1).
 *
 * Layout, per qemu's docs/interop/qcow2.txt:
 *   cluster 0                 header (104 bytes) + end-of-extensions
 *   then, in order of arrival data clusters and L2 tables
 *   then                      L1 table, refcount table, refcount blocks
 * Data clusters are appended as workers write them, so the file is only
 * as large as the data.  L2 tables get their host cluster when first
 * needed but stay in memory until finish (8 bytes per guest cluster that
 * holds data; see the note in the closing README section on very large,
 * full disks).  Metadata is written last and the header goes in last of
 * all, so a crash leaves a file qemu rejects rather than a wrong disk.
 * Every cluster in the file has refcount 1, so L1/L2 entries carry
 * QCOW_OFLAG_COPIED (qemu-img check insists).
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

#define QCOW2_MAGIC 0x514649fbU         /* "QFI\xfb" */
#define QCOW2_VERSION 3
#define QCOW2_HEADER_LEN 104            /* v3 header without optional
                                           compression_type field */
#define QCOW2_OFLAG_COPIED (1ULL << 63)
#define QCOW2_REFCOUNT_ORDER 4          /* 16-bit refcounts (default) */
#define QCOW2_MAX_L1_BYTES (32U << 20)  /* qemu's QCOW_MAX_L1_SIZE */
#define QCOW2_DEFAULT_CLUSTER (64U << 10)

struct qcow2_writer {
    struct v2k_writer w;
    int fd;
    pthread_mutex_t lock;
    unsigned cluster_bits;
    uint64_t cluster_size;
    uint64_t l2_entries;        /* entries per L2 table */
    uint32_t l1_size;
    uint64_t *l1;               /* host offset of each L2 table, 0 = none */
    uint64_t **l2;              /* in-memory L2 tables (host offsets) */
    uint64_t next_host;         /* first free host byte, cluster aligned */
    bool preallocate;
    uint64_t rt_offset;         /* refcount table, set by write_refcounts */
    uint32_t rt_clusters;
};

/* Under lock: the L2 table for guest cluster index gc, allocating it. */
static uint64_t *
get_l2(struct qcow2_writer *q, uint64_t gc)
{
    uint64_t i = gc / q->l2_entries;

    if (q->l2[i] == NULL) {
        q->l2[i] = calloc(q->l2_entries, sizeof(uint64_t));
        if (q->l2[i] == NULL) {
            v2k_error("%s: out of memory for an L2 table", q->w.path);
            return NULL;
        }
        q->l1[i] = q->next_host;
        q->next_host += q->cluster_size;
    }
    return q->l2[i];
}

static int
qcow2_w_pwrite(struct v2k_writer *w, const void *buf, size_t count,
               uint64_t offset)
{
    struct qcow2_writer *q = (struct qcow2_writer *)w;
    uint64_t first = offset >> q->cluster_bits;
    uint64_t n = V2K_DIV_ROUND_UP(count, q->cluster_size);
    uint64_t host;

    if (offset & (q->cluster_size - 1)) {
        v2k_error("%s: unaligned write at %llu", w->path,
                  (unsigned long long)offset);
        return -1;
    }
    pthread_mutex_lock(&q->lock);
    /* L2 tables first, so the data clusters of this write are contiguous
     * on the host and go out in one pwrite. */
    for (uint64_t c = first; c < first + n; c += q->l2_entries) {
        if (get_l2(q, c) == NULL || get_l2(q, first + n - 1) == NULL) {
            pthread_mutex_unlock(&q->lock);
            return -1;
        }
    }
    host = q->next_host;
    for (uint64_t c = 0; c < n; c++) {
        uint64_t gc = first + c;
        uint64_t *l2 = q->l2[gc / q->l2_entries];
        if (l2[gc % q->l2_entries] != 0) {
            pthread_mutex_unlock(&q->lock);
            v2k_error("%s: cluster at %llu written twice", w->path,
                      (unsigned long long)(gc << q->cluster_bits));
            return -1;
        }
        l2[gc % q->l2_entries] = host + (c << q->cluster_bits);
    }
    q->next_host += n << q->cluster_bits;
    pthread_mutex_unlock(&q->lock);
    return v2k_pwrite_all(q->fd, w->path, buf, count, host);
}

static int
write_be64_table(struct qcow2_writer *q, const uint64_t *t, size_t n,
                 uint64_t flag, uint64_t host)
{
    uint64_t *be = calloc(n, sizeof *be);
    int r;

    if (be == NULL) {
        v2k_error("%s: out of memory", q->w.path);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        be[i] = htobe64(t[i] ? t[i] | flag : 0);
    r = v2k_pwrite_all(q->fd, q->w.path, be, n * sizeof *be, host);
    free(be);
    return r;
}

/* Refcount table + blocks covering every cluster, all with refcount 1. */
static int
write_refcounts(struct qcow2_writer *q)
{
    uint64_t cs = q->cluster_size;
    uint64_t per_block = cs * 8 / (1U << QCOW2_REFCOUNT_ORDER);
    uint64_t used = q->next_host / cs;
    uint64_t blocks = 0, rt_clusters = 0, total, prev;
    uint64_t rt_offset = q->next_host, rb_offset;
    uint64_t *rt;
    uint16_t *rb;
    int r = -1;

    /* The refcount structures count themselves: iterate to a fixpoint. */
    do {
        prev = blocks + rt_clusters;
        total = used + rt_clusters + blocks;
        blocks = V2K_DIV_ROUND_UP(total, per_block);
        rt_clusters = V2K_DIV_ROUND_UP(blocks * 8, cs);
    } while (blocks + rt_clusters != prev);
    total = used + rt_clusters + blocks;
    rb_offset = rt_offset + rt_clusters * cs;

    rt = calloc(rt_clusters * cs / 8, sizeof *rt);
    rb = malloc(cs);
    if (rt == NULL || rb == NULL) {
        v2k_error("%s: out of memory for refcounts", q->w.path);
        goto out;
    }
    for (uint64_t b = 0; b < blocks; b++)
        rt[b] = htobe64(rb_offset + b * cs);
    if (v2k_pwrite_all(q->fd, q->w.path, rt, rt_clusters * cs, rt_offset))
        goto out;
    for (uint64_t b = 0; b < blocks; b++) {
        uint64_t start = b * per_block;
        for (uint64_t i = 0; i < per_block; i++)
            rb[i] = htobe16(start + i < total ? 1 : 0);
        if (v2k_pwrite_all(q->fd, q->w.path, rb, cs, rb_offset + b * cs))
            goto out;
    }
    q->next_host = total * cs;
    q->rt_offset = rt_offset;
    q->rt_clusters = (uint32_t)rt_clusters;
    r = 0;
out:
    free(rt);
    free(rb);
    return r;
}

static int
qcow2_w_finish(struct v2k_writer *w)
{
    struct qcow2_writer *q = (struct qcow2_writer *)w;
    uint64_t clusters = V2K_DIV_ROUND_UP(w->size, q->cluster_size);
    uint64_t l1_offset, l1_bytes;
    unsigned char hdr[QCOW2_HEADER_LEN + 8];
    int fd;

    if (q->preallocate) {
        for (uint64_t gc = 0; gc < clusters; gc++) {
            uint64_t *l2 = get_l2(q, gc);
            if (l2 == NULL)
                return -1;
            if (l2[gc % q->l2_entries] == 0) {
                l2[gc % q->l2_entries] = q->next_host;
                q->next_host += q->cluster_size;
            }
        }
    }
    for (uint32_t i = 0; i < q->l1_size; i++)
        if (q->l2[i] && write_be64_table(q, q->l2[i], q->l2_entries,
                                         QCOW2_OFLAG_COPIED, q->l1[i]))
            return -1;
    l1_offset = q->next_host;
    l1_bytes = (uint64_t)q->l1_size * 8;
    l1_bytes = V2K_DIV_ROUND_UP(l1_bytes, q->cluster_size) * q->cluster_size;
    if (l1_bytes == 0)
        l1_bytes = q->cluster_size;
    if (write_be64_table(q, q->l1, q->l1_size, QCOW2_OFLAG_COPIED,
                         l1_offset))
        return -1;
    q->next_host += l1_bytes;
    if (write_refcounts(q) == -1)
        return -1;

    /* The header, last (qcow2.txt "Header"). */
    memset(hdr, 0, sizeof hdr);
#define PUT32(off, v) do { uint32_t x_ = htobe32(v); memcpy(hdr + (off), &x_, 4); } while (0)
#define PUT64(off, v) do { uint64_t x_ = htobe64(v); memcpy(hdr + (off), &x_, 8); } while (0)
    PUT32(0, QCOW2_MAGIC);
    PUT32(4, QCOW2_VERSION);
    PUT32(20, q->cluster_bits);
    PUT64(24, w->size);
    PUT32(36, q->l1_size);
    PUT64(40, l1_offset);
    PUT64(48, q->rt_offset);
    PUT32(56, q->rt_clusters);
    PUT32(96, QCOW2_REFCOUNT_ORDER);
    PUT32(100, QCOW2_HEADER_LEN);
    /* bytes 104..111: header extension end marker (type 0, length 0) */
#undef PUT32
#undef PUT64
    if (v2k_pwrite_all(q->fd, w->path, hdr, sizeof hdr, 0))
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
    if (q->l2) {
        for (uint32_t i = 0; i < q->l1_size; i++)
            free(q->l2[i]);
        free(q->l2);
    }
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
        v2k_error("qcow2 cluster size %u must be a power of two from 512 "
                  "to 2097152", cs);
        return NULL;
    }
    if (opts->compress != V2K_COMPRESS_NONE) {
        v2k_error("%s: compressed qcow2 output is not available in this "
                  "build", path);
        return NULL;
    }
    clusters = V2K_DIV_ROUND_UP(size, cs);
    l1 = V2K_DIV_ROUND_UP(clusters, cs / 8);
    if (size == 0 || l1 * 8 > QCOW2_MAX_L1_BYTES) {
        v2k_error("%s: virtual size %llu is out of range for qcow2 with "
                  "%u-byte clusters", path, (unsigned long long)size, cs);
        return NULL;
    }
    q = v2k_calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    pthread_mutex_init(&q->lock, NULL);
    q->w.ops = &qcow2_writer_ops;
    q->w.size = size;
    q->w.granularity = cs;
    q->cluster_size = cs;
    q->cluster_bits = (unsigned)__builtin_ctz(cs);
    q->l2_entries = cs / 8;
    q->l1_size = (uint32_t)l1;
    q->preallocate = opts->preallocate;
    q->next_host = cs;                          /* cluster 0: header */
    q->l1 = v2k_calloc(l1, sizeof *q->l1);
    q->l2 = v2k_calloc(l1, sizeof *q->l2);
    q->w.path = v2k_strdup(path);
    q->fd = -1;
    if (q->l1 == NULL || q->l2 == NULL || q->w.path == NULL)
        goto fail;
    q->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (q->fd == -1) {
        v2k_error_errno(errno, "%s: create", path);
        goto fail;
    }
    return &q->w;

fail:
    qcow2_w_free(&q->w);
    return NULL;
}
