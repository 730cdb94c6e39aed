/* vhdx-log.c - CRC-32C, and replay of the VHDX metadata log in memory.
 *
 * The log (MS-VHDX 2.3) is a circular buffer of 4 KiB sectors holding
 * entries.  An entry is a 64-byte header and 32-byte descriptors packed
 * into its first sectors, then one data sector per data descriptor:
 *
 *   [ hdr, desc... ][ desc... ][ data ][ data ] ...
 *
 * A data descriptor ("desc") writes one 4 KiB sector at FileOffset: its
 * first 8 bytes are the descriptor's LeadingBytes, the next 4084 the data
 * sector's payload, the last 4 the descriptor's TrailingBytes.  A zero
 * descriptor ("zero") writes ZeroLength zero bytes at FileOffset.  Each
 * entry carries the file's LogGuid, a sequence number (copied into every
 * descriptor and data sector), and a CRC-32C over the whole entry.
 *
 * Replay (MS-VHDX 2.3.3): the active sequence is the valid sequence with
 * the highest sequence number, where a sequence runs from the entry its
 * head names as Tail to the head, each entry valid and numbered one more
 * than the one before.  We take the valid entries by decreasing sequence
 * number as candidate heads and keep the first whose Tail walk reaches
 * it.  An entry that fails any check (a torn write, a bad checksum) is
 * not part of any sequence: the write-ahead rule means the updates it
 * carries were never applied to the file, so the file without them is
 * consistent.  When no valid sequence exists nothing is replayed (as
 * qemu does), with a warning.
 *
 * The writes of the active sequence, later ones winning, become the
 * overlay (vhdx-internal.h).  The file itself is never written.
 */
#include "vhdx-internal.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <endian.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- CRC-32C ------------------------------------------------------- */

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void
crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc32c_table[i] = c;
    }
}

uint32_t
v2k_vhdx_crc32c(uint32_t crc, const void *buf, size_t len)
{
    const unsigned char *p = buf;

    pthread_once(&crc32c_once, crc32c_init);
    crc = ~crc;
    while (len--)
        crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

uint32_t
v2k_vhdx_checksum(const unsigned char *buf, size_t len, size_t csum_off)
{
    static const unsigned char zero[4];
    uint32_t crc;

    crc = v2k_vhdx_crc32c(0, buf, csum_off);
    crc = v2k_vhdx_crc32c(crc, zero, 4);
    return v2k_vhdx_crc32c(crc, buf + csum_off + 4, len - csum_off - 4);
}

/* ---- On-disk log structures (MS-VHDX 2.3.1) -------------------------- */

#define LOG_ENTRY_SIGNATURE 0x65676f6cu     /* "loge" */
#define LOG_DESC_SIGNATURE 0x63736564u      /* "desc" */
#define LOG_ZERO_SIGNATURE 0x6f72657au      /* "zero" */
#define LOG_DATA_SIGNATURE 0x61746164u      /* "data" */

struct vhdx_log_entry_header {
    uint32_t signature;             /*  0: "loge" */
    uint32_t checksum;              /*  4: CRC-32C of the whole entry */
    uint32_t entry_length;          /*  8: bytes, a 4 KiB multiple */
    uint32_t tail;                  /* 12: log offset of the first entry */
    uint64_t sequence_number;       /* 16: > 0 */
    uint32_t descriptor_count;      /* 24 */
    uint32_t reserved;              /* 28 */
    unsigned char log_guid[16];     /* 32: the header's LogGuid */
    uint64_t flushed_file_offset;   /* 48: file size when written */
    uint64_t last_file_offset;      /* 56: file size after the entry */
} __attribute__((packed));

struct vhdx_log_descriptor {
    uint32_t signature;             /*  0: "desc" or "zero" */
    unsigned char trailing[4];      /*  4: desc: sector bytes 4092..4095 */
    unsigned char leading[8];       /*  8: desc: sector bytes 0..7;
                                           zero: ZeroLength (LE64) */
    uint64_t file_offset;           /* 16: 4 KiB aligned */
    uint64_t sequence_number;       /* 24: the entry's */
} __attribute__((packed));

struct vhdx_log_data_sector {
    uint32_t signature;             /*    0: "data" */
    uint32_t sequence_high;         /*    4 */
    unsigned char data[4084];       /*    8: sector bytes 8..4091 */
    uint32_t sequence_low;          /* 4092 */
} __attribute__((packed));

_Static_assert(sizeof(struct vhdx_log_entry_header) == 64, "entry header");
_Static_assert(sizeof(struct vhdx_log_descriptor) == 32, "descriptor");
_Static_assert(sizeof(struct vhdx_log_data_sector) == 4096, "data sector");

static void
entry_header_to_cpu(struct vhdx_log_entry_header *h)
{
    h->signature = le32toh(h->signature);
    h->checksum = le32toh(h->checksum);
    h->entry_length = le32toh(h->entry_length);
    h->tail = le32toh(h->tail);
    h->sequence_number = le64toh(h->sequence_number);
    h->descriptor_count = le32toh(h->descriptor_count);
    h->flushed_file_offset = le64toh(h->flushed_file_offset);
    h->last_file_offset = le64toh(h->last_file_offset);
}

static void
descriptor_to_cpu(struct vhdx_log_descriptor *d)
{
    d->signature = le32toh(d->signature);
    d->file_offset = le64toh(d->file_offset);
    d->sequence_number = le64toh(d->sequence_number);
}

static uint64_t
zero_length(const struct vhdx_log_descriptor *d)
{
    uint64_t v;
    memcpy(&v, d->leading, 8);
    return le64toh(v);
}

/* ---- Searching the log --------------------------------------------- */

struct entry_info {
    uint64_t seq;
    uint64_t flushed, last;
    uint32_t sectors;               /* entry length in sectors */
    uint32_t tail;                  /* sector index of the tail entry */
    uint32_t ndesc, desc_sectors;
};

struct vhdx_log {
    struct v2k_transport *t;
    const unsigned char *guid;
    uint64_t offset;                /* in the file */
    uint32_t nsectors;
    unsigned char *buf;             /* the whole log, nsectors * 4 KiB */
    unsigned char *state;           /* per sector: 0 unknown, 1 no, 2 yes */
    struct entry_info *info;        /* per sector, valid when state 2 */
    uint64_t crc_budget;            /* bytes we may still checksum */
};

static unsigned char *
log_sector(const struct vhdx_log *L, uint32_t entry, uint64_t k)
{
    return L->buf + ((entry + k) % L->nsectors) * V2K_VHDX_LOG_SECTOR;
}

static void
read_descriptor(const struct vhdx_log *L, uint32_t entry, uint32_t i,
                struct vhdx_log_descriptor *d)
{
    /* The header takes the first two 32-byte slots; a descriptor never
     * straddles a sector. */
    uint64_t e = 64 + 32 * (uint64_t)i;

    memcpy(d, log_sector(L, entry, e / V2K_VHDX_LOG_SECTOR) +
           e % V2K_VHDX_LOG_SECTOR, sizeof *d);
    descriptor_to_cpu(d);
}

/* Is there a valid entry starting at sector p?  1 yes (L->info[p] is
 * filled), 0 no, -1 error (work limit). */
static int
check_entry(struct vhdx_log *L, uint32_t p)
{
    struct vhdx_log_entry_header h;
    struct entry_info *in = &L->info[p];
    uint64_t desc_sectors, nsect, ndata = 0;
    uint32_t crc = 0;

    if (L->state[p])
        return L->state[p] == 2;
    L->state[p] = 1;
    memcpy(&h, log_sector(L, p, 0), sizeof h);
    entry_header_to_cpu(&h);
    if (h.signature != LOG_ENTRY_SIGNATURE ||
        memcmp(h.log_guid, L->guid, 16) != 0 ||
        h.sequence_number == 0 || h.entry_length == 0 ||
        h.entry_length % V2K_VHDX_LOG_SECTOR != 0 ||
        h.entry_length / V2K_VHDX_LOG_SECTOR > L->nsectors ||
        h.tail % V2K_VHDX_LOG_SECTOR != 0 ||
        h.tail / V2K_VHDX_LOG_SECTOR >= L->nsectors)
        return 0;
    nsect = h.entry_length / V2K_VHDX_LOG_SECTOR;
    /* 128 descriptors per sector, the header using two slots. */
    desc_sectors = ((uint64_t)h.descriptor_count + 2 + 127) / 128;
    if (desc_sectors > nsect)
        return 0;
    for (uint32_t i = 0; i < h.descriptor_count; i++) {
        struct vhdx_log_descriptor d;
        uint64_t end;

        read_descriptor(L, p, i, &d);
        if (d.sequence_number != h.sequence_number ||
            d.file_offset % V2K_VHDX_LOG_SECTOR != 0)
            return 0;
        if (d.signature == LOG_DESC_SIGNATURE) {
            struct vhdx_log_data_sector ds;
            uint64_t seq;

            if (desc_sectors + ++ndata > nsect ||
                V2K_ADD_OVERFLOW(d.file_offset, V2K_VHDX_LOG_SECTOR, &end))
                return 0;
            memcpy(&ds, log_sector(L, p, desc_sectors + ndata - 1),
                   sizeof ds);
            seq = (uint64_t)le32toh(ds.sequence_high) << 32 |
                  le32toh(ds.sequence_low);
            if (le32toh(ds.signature) != LOG_DATA_SIGNATURE ||
                seq != h.sequence_number)
                return 0;
        } else if (d.signature == LOG_ZERO_SIGNATURE) {
            if (zero_length(&d) % V2K_VHDX_LOG_SECTOR != 0 ||
                V2K_ADD_OVERFLOW(d.file_offset, zero_length(&d), &end))
                return 0;
        } else {
            return 0;
        }
    }
    /* Overlapping fake entries could make the search quadratic. */
    if (L->crc_budget < h.entry_length) {
        v2k_error("%s: log at offset %llu: too many overlapping log entries to search", L->t->name,
                  (unsigned long long)L->offset);
        return -1;
    }
    L->crc_budget -= h.entry_length;
    for (uint64_t k = 0; k < nsect; k++) {
        const unsigned char *s = log_sector(L, p, k);
        if (k == 0)
            crc = v2k_vhdx_checksum(s, V2K_VHDX_LOG_SECTOR, 4);
        else
            crc = v2k_vhdx_crc32c(crc, s, V2K_VHDX_LOG_SECTOR);
    }
    if (crc != h.checksum) {
        v2k_debug("%s: log entry at log offset %llu (sequence %llu): checksum 0x%08x, expected 0x%08x; not replayed",
                  L->t->name,
                  (unsigned long long)p * V2K_VHDX_LOG_SECTOR,
                  (unsigned long long)h.sequence_number, h.checksum, crc);
        return 0;
    }
    in->seq = h.sequence_number;
    in->flushed = h.flushed_file_offset;
    in->last = h.last_file_offset;
    in->sectors = (uint32_t)nsect;
    in->tail = h.tail / V2K_VHDX_LOG_SECTOR;
    in->ndesc = h.descriptor_count;
    in->desc_sectors = (uint32_t)desc_sectors;
    L->state[p] = 2;
    return 1;
}

struct candidate {
    uint64_t seq;
    uint32_t pos;
};

static int
cmp_seq_desc(const void *a, const void *b)
{
    uint64_t x = ((const struct candidate *)a)->seq;
    uint64_t y = ((const struct candidate *)b)->seq;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Does the Tail walk of candidate head h reach it?  1 yes (*tail set),
 * 0 no, -1 error. */
static int
walk_sequence(struct vhdx_log *L, uint32_t h, uint32_t *tail,
              uint64_t *steps)
{
    uint32_t pos = L->info[h].tail;
    uint64_t total = 0, prev = 0;

    for (;;) {
        int r = check_entry(L, pos);
        if (r <= 0)
            return r;
        if (prev && L->info[pos].seq != prev + 1)
            return 0;
        total += L->info[pos].sectors;
        if (total > L->nsectors)
            return 0;
        if (pos == h) {
            *tail = L->info[h].tail;
            return 1;
        }
        if (++*steps > 4 * (uint64_t)L->nsectors + 16) {
            v2k_error("%s: log at offset %llu: too many candidate log sequences to search", L->t->name,
                      (unsigned long long)L->offset);
            return -1;
        }
        prev = L->info[pos].seq;
        pos = (pos + L->info[pos].sectors) % L->nsectors;
    }
}

/* ---- The overlay ----------------------------------------------------- */

struct write_op {
    uint64_t start, end;
    const unsigned char *data;      /* 4 KiB, or NULL for zeros */
    size_t order;                   /* log order: later wins */
};

static int
cmp_op_start(const void *a, const void *b)
{
    const struct write_op *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Max-heap of op indices by order. */
static void
heap_push(size_t *heap, size_t *n, const struct write_op *ops, size_t i)
{
    size_t k = (*n)++;
    heap[k] = i;
    while (k > 0 && ops[heap[(k - 1) / 2]].order < ops[heap[k]].order) {
        size_t up = (k - 1) / 2, tmp = heap[up];
        heap[up] = heap[k];
        heap[k] = tmp;
        k = up;
    }
}

static void
heap_pop(size_t *heap, size_t *n, const struct write_op *ops)
{
    size_t k = 0;
    heap[0] = heap[--*n];
    for (;;) {
        size_t l = 2 * k + 1, r = l + 1, m = k, tmp;
        if (l < *n && ops[heap[l]].order > ops[heap[m]].order)
            m = l;
        if (r < *n && ops[heap[r]].order > ops[heap[m]].order)
            m = r;
        if (m == k)
            break;
        tmp = heap[m];
        heap[m] = heap[k];
        heap[k] = tmp;
        k = m;
    }
}

/* Resolve overlapping writes (the last in log order wins) into sorted,
 * disjoint ranges: a sweep over the range boundaries. */
static int
build_overlay(struct write_op *ops, size_t nops, struct v2k_vhdx_overlay *ov)
{
    uint64_t *bounds = NULL;
    size_t *heap = NULL, nb = 0, nheap = 0, next = 0, n = 0;
    struct v2k_vhdx_overlay_range *v = NULL;
    int r = -1;

    if (nops == 0)
        return 0;
    bounds = v2k_malloc(2 * nops * sizeof *bounds);
    heap = v2k_malloc(nops * sizeof *heap);
    v = v2k_malloc(2 * nops * sizeof *v);
    if (bounds == NULL || heap == NULL || v == NULL)
        goto out;
    qsort(ops, nops, sizeof *ops, cmp_op_start);
    for (size_t i = 0; i < nops; i++) {
        bounds[nb++] = ops[i].start;
        bounds[nb++] = ops[i].end;
    }
    qsort(bounds, nb, sizeof *bounds, cmp_u64);
    for (size_t b = 0; b + 1 < nb; b++) {
        uint64_t lo = bounds[b], hi = bounds[b + 1];
        const struct write_op *top;
        const unsigned char *data;

        if (lo == hi)
            continue;
        while (next < nops && ops[next].start <= lo)
            heap_push(heap, &nheap, ops, next++);
        while (nheap > 0 && ops[heap[0]].end <= lo)
            heap_pop(heap, &nheap, ops);
        if (nheap == 0)
            continue;
        top = &ops[heap[0]];
        data = top->data ? top->data + (lo - top->start) : NULL;
        if (n > 0 && data == NULL && v[n - 1].data == NULL &&
            v[n - 1].offset + v[n - 1].length == lo) {
            v[n - 1].length += hi - lo;
            continue;
        }
        v[n].offset = lo;
        v[n].length = hi - lo;
        v[n].data = data;
        n++;
    }
    ov->v = v;
    ov->n = n;
    v = NULL;
    r = 0;
out:
    free(bounds);
    free(heap);
    free(v);
    return r;
}

/* Turn the active sequence [tail .. head] into the overlay. */
static int
replay_sequence(struct vhdx_log *L, uint32_t tail, uint32_t head,
                struct v2k_vhdx_overlay *ov)
{
    struct write_op *ops = NULL;
    size_t nops = 0, cap = 0;
    uint64_t size = L->t->size;
    uint32_t pos = tail;
    int r = -1;

    for (;;) {
        const struct entry_info *in = &L->info[pos];
        uint32_t data_k = in->desc_sectors;

        /* MS-VHDX 2.3.3: a FlushedFileOffset past the end of the file
         * means the file lost data written before the entry. */
        if (in->flushed > L->t->size) {
            v2k_error("%s: log entry %llu: FlushedFileOffset %llu is past the end of the file (%llu bytes, truncated?)",
                      L->t->name, (unsigned long long)in->seq,
                      (unsigned long long)in->flushed,
                      (unsigned long long)L->t->size);
            goto out;
        }
        if (in->last > size)
            size = in->last;
        for (uint32_t i = 0; i < in->ndesc; i++) {
            struct vhdx_log_descriptor d;
            struct write_op *op;

            if (nops == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                struct write_op *nv = realloc(ops, ncap * sizeof *nv);
                if (nv == NULL) {
                    v2k_error("out of memory");
                    goto out;
                }
                ops = nv;
                cap = ncap;
            }
            read_descriptor(L, pos, i, &d);
            op = &ops[nops];
            op->start = d.file_offset;
            op->order = nops;
            if (d.signature == LOG_DESC_SIGNATURE) {
                /* Reassemble the sector in place: the leading and
                 * trailing bytes replace the signature and sequence
                 * fields, which were checked in the search. */
                unsigned char *s = log_sector(L, pos, data_k++);
                memcpy(s, d.leading, 8);
                memcpy(s + 4092, d.trailing, 4);
                op->end = d.file_offset + V2K_VHDX_LOG_SECTOR;
                op->data = s;
            } else {
                if (zero_length(&d) == 0)
                    continue;
                op->end = d.file_offset + zero_length(&d);
                op->data = NULL;
            }
            if (op->end > size)
                size = op->end;
            nops++;
        }
        if (pos == head)
            break;
        pos = (pos + in->sectors) % L->nsectors;
    }
    if (build_overlay(ops, nops, ov) == -1)
        goto out;
    /* Everything in a VHDX file is 1 MiB aligned: a file the log extends
     * ends at a MiB boundary (qemu's vhdx_log_flush rounds up too). */
    if (size > L->t->size && size % V2K_VHDX_MIB != 0)
        size += V2K_VHDX_MIB - size % V2K_VHDX_MIB;
    ov->file_size = size;
    v2k_debug("%s: replayed log entries %llu..%llu in memory (%zu writes)", L->t->name,
              (unsigned long long)L->info[tail].seq,
              (unsigned long long)L->info[head].seq, nops);
    r = 0;
out:
    free(ops);
    return r;
}

int
v2k_vhdx_log_replay(struct v2k_transport *t, const unsigned char log_guid[16],
                    uint64_t log_offset, uint64_t log_length,
                    struct v2k_vhdx_overlay *ov)
{
    struct vhdx_log L = { .t = t, .guid = log_guid, .offset = log_offset };
    struct candidate *cands = NULL;
    uint32_t ncands = 0, tail = 0, head = 0;
    uint64_t steps = 0;
    int found = 0, r = -1;

    ov->file_size = t->size;
    if (log_length == 0)
        return 0;
    /* The caller checked alignment and that the log lies in the file. */
    if (log_length > V2K_VHDX_MAX_LOG_LENGTH) {
        v2k_error("%s: log length %llu at offset %llu needs replay but exceeds the supported %u bytes", t->name,
                  (unsigned long long)log_length,
                  (unsigned long long)log_offset, V2K_VHDX_MAX_LOG_LENGTH);
        return -1;
    }
    L.nsectors = (uint32_t)(log_length / V2K_VHDX_LOG_SECTOR);
    L.crc_budget = 8 * log_length;
    L.buf = v2k_malloc(log_length);
    L.state = v2k_calloc(L.nsectors, 1);
    L.info = v2k_calloc(L.nsectors, sizeof *L.info);
    cands = v2k_malloc(L.nsectors * sizeof *cands);
    if (L.buf == NULL || L.state == NULL || L.info == NULL || cands == NULL)
        goto out;
    if (v2k_transport_pread(t, L.buf, log_length, log_offset) == -1) {
        v2k_error_prepend("%s: reading the log: ", t->name);
        goto out;
    }
    for (uint32_t p = 0; p < L.nsectors; p++) {
        int v = check_entry(&L, p);
        if (v < 0)
            goto out;
        if (v) {
            cands[ncands].seq = L.info[p].seq;
            cands[ncands++].pos = p;
        }
    }
    qsort(cands, ncands, sizeof *cands, cmp_seq_desc);
    for (uint32_t i = 0; i < ncands && !found; i++) {
        found = walk_sequence(&L, cands[i].pos, &tail, &steps);
        if (found < 0)
            goto out;
        head = cands[i].pos;
    }
    if (!found) {
        v2k_warning("%s: the header names a log (LogGuid set) but it holds no valid log sequence; reading the file without replay", t->name);
        r = 0;
        goto out;
    }
    if (replay_sequence(&L, tail, head, ov) == -1)
        goto out;
    ov->log = L.buf;
    L.buf = NULL;
    r = 0;
out:
    free(L.buf);
    free(L.state);
    free(L.info);
    free(cands);
    return r;
}

/* ---- Reading the replayed file -------------------------------------- */

static int
read_plain(struct v2k_transport *t, unsigned char *p, size_t count,
           uint64_t offset)
{
    size_t n = 0;

    if (offset < t->size) {
        n = t->size - offset < count ? (size_t)(t->size - offset) : count;
        if (v2k_transport_pread(t, p, n, offset) == -1)
            return -1;
    }
    memset(p + n, 0, count - n);        /* extended by the log */
    return 0;
}

int
v2k_vhdx_file_read(struct v2k_transport *t, const struct v2k_vhdx_overlay *ov,
                   void *buf, size_t count, uint64_t offset)
{
    unsigned char *p = buf;
    size_t lo = 0, hi = ov->n;

    if (offset > ov->file_size || count > ov->file_size - offset) {
        v2k_error("%s: read of %zu bytes at offset %llu is past the end of the file (%llu bytes)", t->name, count,
                  (unsigned long long)offset,
                  (unsigned long long)ov->file_size);
        return -1;
    }
    /* First range ending after offset. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ov->v[mid].offset + ov->v[mid].length <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (count > 0) {
        const struct v2k_vhdx_overlay_range *r = lo < ov->n ? &ov->v[lo]
                                                            : NULL;
        size_t take;

        if (r && r->offset <= offset) {
            uint64_t left = r->offset + r->length - offset;
            take = left < count ? (size_t)left : count;
            if (r->data)
                memcpy(p, r->data + (offset - r->offset), take);
            else
                memset(p, 0, take);
            lo++;
        } else {
            uint64_t gap = r ? r->offset - offset : UINT64_MAX;
            take = gap < count ? (size_t)gap : count;
            if (read_plain(t, p, take, offset) == -1)
                return -1;
        }
        p += take;
        offset += take;
        count -= take;
    }
    return 0;
}

void
v2k_vhdx_overlay_free(struct v2k_vhdx_overlay *ov)
{
    free(ov->v);
    free(ov->log);
    ov->v = NULL;
    ov->log = NULL;
    ov->n = 0;
}
