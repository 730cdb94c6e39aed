/* qcow2-l2.c - qcow2 cluster mapping: the L2 table cache, guest offset
 * to host offset lookups, and compressed clusters.
 *
 * The spec is qemu's docs/interop/qcow2.txt, sections "Cluster mapping"
 * and "Extended L2 Entries".  L2 tables are cached whole (as read, big
 * endian) in a small LRU under one mutex; lookups copy what they need out
 * of the table before unlocking, so data reads never hold the lock.
 */
#include "qcow2-internal.h"
#include "error.h"
#include "util.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

int
v2k_qcow2_cache_init(struct v2k_image *img)
{
    struct v2k_qcow2 *s = img->state;
    uint64_t n = QCOW2_L2_CACHE_BYTES / s->cluster_size;

    if (n > QCOW2_L2_CACHE_MAX)
        n = QCOW2_L2_CACHE_MAX;
    if (n < QCOW2_L2_CACHE_MIN)
        n = QCOW2_L2_CACHE_MIN;
    s->l2_slots = (unsigned)n;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        v2k_error("%s: cannot create the L2 cache lock", v2k_image_name(img));
        return -1;
    }
    s->lock_ready = true;
    return 0;
}

void
v2k_qcow2_cache_free(struct v2k_qcow2 *s)
{
    for (unsigned i = 0; i < QCOW2_L2_CACHE_MAX; i++) {
        free(s->l2_cache[i].table);
        s->l2_cache[i].table = NULL;
    }
    if (s->lock_ready) {
        pthread_mutex_destroy(&s->lock);
        s->lock_ready = false;
    }
}

/* Under lock: the L2 table at host offset l2off (validated in open:
 * cluster aligned, within the file), read on a miss. */
static const unsigned char *
l2_get(struct v2k_image *img, uint64_t l2off)
{
    struct v2k_qcow2 *s = img->state;
    struct v2k_qcow2_l2_slot *victim = NULL;

    for (unsigned i = 0; i < s->l2_slots; i++) {
        struct v2k_qcow2_l2_slot *slot = &s->l2_cache[i];
        if (slot->table && slot->offset == l2off) {
            slot->last_use = ++s->l2_clock;
            return slot->table;
        }
    }
    /* Miss: an empty slot, else the least recently used. */
    for (unsigned i = 0; i < s->l2_slots; i++) {
        struct v2k_qcow2_l2_slot *slot = &s->l2_cache[i];
        if (slot->table == NULL) {
            victim = slot;
            break;
        }
        if (victim == NULL || slot->last_use < victim->last_use)
            victim = slot;
    }
    if (victim->table == NULL) {
        victim->table = malloc(s->cluster_size);
        if (victim->table == NULL) {
            v2k_error("%s: out of memory for an L2 table",
                      v2k_image_name(img));
            return NULL;
        }
    }
    victim->offset = 0;
    if (v2k_transport_pread(img->transport, victim->table, s->cluster_size,
                            l2off) == -1) {
        v2k_error_prepend("%s: L2 table at offset %llu: ",
                          v2k_image_name(img), (unsigned long long)l2off);
        return NULL;
    }
    victim->offset = l2off;
    victim->last_use = ++s->l2_clock;
    return victim->table;
}

static uint64_t
get_be64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return be64toh(v);
}

/* Classify the (sub)cluster at guest offset pos from its L2 entry e and,
 * with extended L2 entries, its bitmap bm.  Sets *kind, *host (DATA) and
 * *unit_end (end of the (sub)cluster). */
static int
classify(struct v2k_image *img, uint64_t pos, uint64_t e, uint64_t bm,
         enum v2k_qcow2_kind *kind, uint64_t *host, uint64_t *unit_end)
{
    struct v2k_qcow2 *s = img->state;
    const char *name = v2k_image_name(img);
    uint64_t cmask = s->cluster_size - 1;
    uint64_t cstart = pos & ~cmask;
    uint64_t hc = e & QCOW2_OFFSET_MASK;
    /* With a data file, offset 0 is valid: the copied bit marks an
     * allocated cluster there (spec, "L2 table entry" bit 63). */
    bool allocated = hc != 0 ||
        (s->data_file && (e & QCOW2_OFLAG_COPIED));

    *unit_end = cstart + s->cluster_size;
    if (e & QCOW2_OFLAG_COMPRESSED) {
        uint64_t coff = e & s->coffset_mask;
        if (s->data_file) {
            v2k_error("%s: L2 entry for guest offset %llu: compressed cluster in an image with an external data file",
                      name, (unsigned long long)pos);
            return -1;
        }
        if (coff >= img->transport->size) {
            v2k_error("%s: L2 entry for guest offset %llu: compressed cluster offset %llu is past the end of the file",
                      name, (unsigned long long)pos,
                      (unsigned long long)coff);
            return -1;
        }
        *kind = V2K_QCOW2_COMPRESSED;
        return 0;
    }
    if (allocated && (hc & cmask)) {
        v2k_error("%s: L2 entry for guest offset %llu: data cluster offset %llu is not cluster aligned", name,
                  (unsigned long long)pos, (unsigned long long)hc);
        return -1;
    }
    if (allocated && s->data_file == NULL && hc >= img->transport->size) {
        v2k_error("%s: L2 entry for guest offset %llu: data cluster offset %llu is past the end of the file", name,
                  (unsigned long long)pos, (unsigned long long)hc);
        return -1;
    }
    if (s->extended_l2) {
        unsigned sc = (unsigned)((pos & cmask) >> s->subcluster_bits);
        uint32_t alloc = (uint32_t)bm, zero = (uint32_t)(bm >> 32);

        if (alloc & zero) {
            v2k_error("%s: L2 entry for guest offset %llu: subcluster bitmap %#llx marks subclusters both allocated and zero", name, (unsigned long long)pos,
                      (unsigned long long)bm);
            return -1;
        }
        if (alloc && !allocated) {
            v2k_error("%s: L2 entry for guest offset %llu: subclusters allocated without a host cluster offset", name,
                      (unsigned long long)pos);
            return -1;
        }
        *unit_end = cstart + ((uint64_t)(sc + 1) << s->subcluster_bits);
        if (alloc & (1U << sc)) {
            *kind = V2K_QCOW2_DATA;
            *host = hc + (pos & cmask);
        } else if (zero & (1U << sc)) {
            *kind = V2K_QCOW2_ZERO;
        } else {
            *kind = V2K_QCOW2_UNALLOCATED;
        }
        return 0;
    }
    if (e & QCOW2_OFLAG_ZERO) {
        /* The zero flag is version 3 only; qemu refuses it in v2 too. */
        if (s->version < 3) {
            v2k_error("%s: L2 entry for guest offset %llu: zero flag in a version 2 image", name, (unsigned long long)pos);
            return -1;
        }
        *kind = V2K_QCOW2_ZERO;
        return 0;
    }
    if (!allocated) {
        *kind = V2K_QCOW2_UNALLOCATED;
        return 0;
    }
    *kind = V2K_QCOW2_DATA;
    *host = hc + (pos & cmask);
    return 0;
}

int
v2k_qcow2_map(struct v2k_image *img, uint64_t offset, uint64_t max,
              struct v2k_qcow2_run *run)
{
    struct v2k_qcow2 *s = img->state;
    unsigned span_bits = s->cluster_bits + s->l2_bits;
    uint64_t l1i = offset >> span_bits;
    uint64_t end = offset + max;        /* <= img->size: no overflow */
    uint64_t table_end = (l1i + 1) << span_bits;
    uint64_t l2mask = (1ULL << s->l2_bits) - 1;
    const unsigned char *table;
    uint64_t pos = offset;
    int r = 0;

    if (table_end > offset && end > table_end)
        end = table_end;
    if (l1i >= s->l1_entries || s->l1[l1i] == 0) {
        run->kind = V2K_QCOW2_UNALLOCATED;
        run->length = end - offset;
        return 0;
    }

    pthread_mutex_lock(&s->lock);
    table = l2_get(img, s->l1[l1i]);
    if (table == NULL) {
        r = -1;
        goto out;
    }
    while (pos < end) {
        const unsigned char *p =
            table + ((pos >> s->cluster_bits) & l2mask) * s->l2_entry_size;
        uint64_t e = get_be64(p);
        uint64_t bm = s->extended_l2 ? get_be64(p + 8) : 0;
        enum v2k_qcow2_kind kind;
        uint64_t host = 0, unit_end;

        if (classify(img, pos, e, bm, &kind, &host, &unit_end) == -1) {
            r = -1;
            goto out;
        }
        if (pos == offset) {
            run->kind = kind;
            run->host = host;
            run->l2e = e;
        } else if (kind != run->kind || kind == V2K_QCOW2_COMPRESSED ||
                   (kind == V2K_QCOW2_DATA &&
                    host != run->host + (pos - offset))) {
            break;
        }
        pos = unit_end < end ? unit_end : end;
    }
    run->length = pos - offset;
out:
    pthread_mutex_unlock(&s->lock);
    return r;
}

/* zlib as qemu writes it: raw deflate, 4 KiB window (qemu's
 * qcow2_zlib_compress uses deflateInit2 with -12 window bits).  The
 * stream may stop short of Z_STREAM_END once the cluster is full. */
static int
inflate_cluster(const unsigned char *in, size_t inlen, void *dst,
                size_t dstlen)
{
    z_stream z;
    int r;

    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -12) != Z_OK)
        return -1;
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)inlen;
    z.next_out = dst;
    z.avail_out = (uInt)dstlen;
    r = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    return (r == Z_STREAM_END || r == Z_BUF_ERROR) && z.avail_out == 0 ?
        0 : -1;
}

/* zstd as qemu writes it: one frame, streamed; stop once the cluster is
 * full and fail when the decoder stops making progress (qemu's
 * qcow2_zstd_decompress does the same). */
static int
unzstd_cluster(const unsigned char *in, size_t inlen, void *dst,
               size_t dstlen)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    ZSTD_inBuffer input = { in, inlen, 0 };
    ZSTD_outBuffer output = { dst, dstlen, 0 };
    int r = 0;

    if (dctx == NULL)
        return -1;
    while (output.pos < output.size) {
        size_t in_pos = input.pos, out_pos = output.pos;
        size_t z = ZSTD_decompressStream(dctx, &output, &input);
        if (ZSTD_isError(z) ||
            (input.pos == in_pos && output.pos == out_pos)) {
            r = -1;
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    return r;
}

int
v2k_qcow2_decompress(struct v2k_image *img, uint64_t guest, uint64_t l2e,
                     void *dst)
{
    struct v2k_qcow2 *s = img->state;
    uint64_t coff = l2e & s->coffset_mask;
    uint64_t nsec = ((l2e >> s->csize_shift) & s->csize_mask) + 1;
    uint64_t fsize = img->transport->size;
    /* Spec: the size counts 512-byte sectors from the one holding the
     * offset; the last may run past the end of the file (qemu does not
     * pad the file after the last compressed cluster). */
    uint64_t csize = nsec * QCOW2_COMPRESSED_SECTOR -
        (coff & (QCOW2_COMPRESSED_SECTOR - 1));
    unsigned char *in;
    int r;

    guest &= ~(s->cluster_size - 1);
    if (coff >= fsize) {
        v2k_error("%s: compressed cluster at guest offset %llu: host offset %llu is past the end of the file",
                  v2k_image_name(img), (unsigned long long)guest,
                  (unsigned long long)coff);
        return -1;
    }
    if (csize > fsize - coff)
        csize = fsize - coff;
    in = malloc(csize);
    if (in == NULL) {
        v2k_error("%s: out of memory for a compressed cluster",
                  v2k_image_name(img));
        return -1;
    }
    if (v2k_transport_pread(img->transport, in, csize, coff) == -1) {
        free(in);
        return -1;
    }
    if (s->compression == QCOW2_COMPRESSION_ZSTD)
        r = unzstd_cluster(in, csize, dst, s->cluster_size);
    else
        r = inflate_cluster(in, csize, dst, s->cluster_size);
    free(in);
    if (r == -1)
        v2k_error("%s: compressed cluster at guest offset %llu (host offset %llu, %llu bytes): corrupt %s data", v2k_image_name(img),
                  (unsigned long long)guest, (unsigned long long)coff,
                  (unsigned long long)csize,
                  s->compression == QCOW2_COMPRESSION_ZSTD ? "zstd" : "zlib");
    return r;
}
