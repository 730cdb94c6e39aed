/* vmdk.c - VMware VMDK disks, read-only.
 *
 * Sources of facts: VMware's "Virtual Disk Format 1.1" (the spec) and
 * qemu's block/vmdk.c (for what the spec leaves out: seSparse, the
 * streamOptimized footer, version 3).
 *
 * A VMDK disk is a list of extents laid end to end; a text descriptor
 * (vmdk-descriptor.c) names them.  Each extent is
 *   FLAT (also VMFS, VMFSRDM, VMFSRAW)  bytes of a file at an offset
 *   ZERO                                 no file, reads as zero
 *   hosted sparse ("KDMV")               grain directory -> grain tables
 *                                        -> grains, maybe deflated
 *                                        (streamOptimized)
 *   ESX sparse ("COWD", VMFSSPARSE)      same shape, 4096-entry tables
 *   seSparse (SESPARSE)                  64-bit tables (qemu's reading)
 * The file handed to open is either a descriptor, or a sparse extent
 * (monolithicSparse, streamOptimized: the descriptor is embedded in it).
 *
 * A delta disk names its parent with parentFileNameHint; grains it does
 * not hold read from the parent, whose CID must equal our parentCID.
 *
 * Thread safety: grain directories are read at open and never change;
 * grain tables go through a small LRU cache under a mutex; everything
 * else in the state is read-only after open.
 */
#include "format.h"
#include "vmdk-internal.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <endian.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SECTOR 512ULL

/* --- on-disk structures ------------------------------------------------ */

/* Hosted sparse extent header (spec, "Hosted Sparse Extent Header");
 * offsets and sizes in sectors. */
struct vmdk4_header {
    char magic[4];              /*   0 "KDMV" */
    uint32_t version;           /*   4 1, 2 (zeroed grains) or 3 (CBT) */
    uint32_t flags;             /*   8 */
    uint64_t capacity;          /*  12 sectors */
    uint64_t grain_size;        /*  20 sectors */
    uint64_t desc_offset;       /*  28 embedded descriptor */
    uint64_t desc_size;         /*  36 */
    uint32_t gtes_per_gt;       /*  44 */
    uint64_t rgd_offset;        /*  48 redundant grain directory */
    uint64_t gd_offset;         /*  56 grain directory */
    uint64_t overhead;          /*  64 first grain */
    uint8_t unclean_shutdown;   /*  72 */
    char nl_check[4];           /*  73 '\n' ' ' '\r' '\n' */
    uint16_t compress;          /*  77 0 none, 1 deflate */
    uint8_t pad[433];           /*  79 */
} __attribute__((packed));
_Static_assert(sizeof(struct vmdk4_header) == 512, "vmdk4 header size");

#define VMDK4_FLAG_NL_DETECT (1U << 0)      /* spec: valid newline test */
#define VMDK4_FLAG_RGD (1U << 1)            /* redundant GD in use */
#define VMDK4_FLAG_ZERO_GRAIN (1U << 2)     /* GTE 1 = zeroed grain */
#define VMDK4_FLAG_COMPRESS (1U << 16)
#define VMDK4_FLAG_MARKER (1U << 17)
#define VMDK4_COMPRESS_DEFLATE 1
#define VMDK4_GD_AT_END 0xffffffffffffffffULL  /* streamOptimized: footer */
#define VMDK_GTE_ZEROED 1                   /* qemu's VMDK_GTE_ZEROED */
#define VMDK4_MAX_GTES 512                  /* spec: numGTEsPerGT = 512 */

/* streamOptimized markers (spec, "Stream-Optimized Compressed Sparse
 * Extents"): a grain marker is {lba, size, data}; a metadata marker has
 * size 0 and a type. */
struct vmdk_marker {
    uint64_t val;               /*   0 lba (grain) or sectors (metadata) */
    uint32_t size;              /*   8 compressed bytes; 0 = metadata */
    uint32_t type;              /*  12 metadata marker type */
} __attribute__((packed));
#define GRAIN_MARKER_SIZE 12    /* lba + size, then the deflate data */
#define MARKER_EOS 0
#define MARKER_FOOTER 3

/* ESX Server sparse extent header (spec, "ESX Server Sparse Extent
 * Header"); qemu reads the same fields.  Grain tables hold 4096 entries. */
struct cowd_header {
    char magic[4];              /*   0 "COWD" */
    uint32_t version;           /*   4 1 */
    uint32_t flags;             /*   8 */
    uint32_t capacity;          /*  12 sectors */
    uint32_t grain_size;        /*  16 sectors */
    uint32_t gd_offset;         /*  20 sectors */
    uint32_t gd_entries;        /*  24 */
    uint32_t free_sector;       /*  28 */
} __attribute__((packed));
#define COWD_GTES 4096

/* seSparse (no public spec; layout and checks as in qemu's vmdk.c,
 * "Strict checks - format not officially documented").  Sizes and
 * offsets in sectors. */
struct sesparse_const_header {
    uint64_t magic;             /*   0 0xcafebabe */
    uint64_t version;           /*   8 0x0000000200000001 */
    uint64_t capacity;          /*  16 */
    uint64_t grain_size;        /*  24 8 */
    uint64_t grain_table_size;  /*  32 64 */
    uint64_t flags;             /*  40 0 */
    uint64_t reserved[4];       /*  48 */
    uint64_t volatile_header_offset;  /*  80 */
    uint64_t volatile_header_size;    /*  88 */
    uint64_t journal_header_offset;   /*  96 */
    uint64_t journal_header_size;     /* 104 */
    uint64_t journal_offset;          /* 112 */
    uint64_t journal_size;            /* 120 */
    uint64_t grain_dir_offset;        /* 128 */
    uint64_t grain_dir_size;          /* 136 */
    uint64_t grain_tables_offset;     /* 144 */
    uint64_t grain_tables_size;       /* 152 */
    uint64_t free_bitmap_offset;      /* 160 */
    uint64_t free_bitmap_size;        /* 168 */
    uint64_t backmap_offset;          /* 176 */
    uint64_t backmap_size;            /* 184 */
    uint64_t grains_offset;           /* 192 */
    uint64_t grains_size;             /* 200 */
    uint8_t pad[304];                 /* 208 */
} __attribute__((packed));
_Static_assert(sizeof(struct sesparse_const_header) == 512, "sesparse");

struct sesparse_volatile_header {
    uint64_t magic;             /*   0 0xcafecafe */
    uint64_t free_gt_number;    /*   8 */
    uint64_t next_txn_seq;      /*  16 */
    uint64_t replay_journal;    /*  24 must be 0 (clean) */
    uint8_t pad[480];           /*  32 */
} __attribute__((packed));
_Static_assert(sizeof(struct sesparse_volatile_header) == 512, "sesparse");

#define SESPARSE_CONST_MAGIC 0xcafebabeULL
#define SESPARSE_VOLATILE_MAGIC 0xcafecafeULL
#define SESPARSE_VERSION 0x0000000200000001ULL
#define SESPARSE_GRAIN 8            /* sectors */
#define SESPARSE_GT_SECTORS 64      /* 4096 64-bit entries */

/* Limits.  The largest VMDK (seSparse) is just under 64 TiB; a grain of
 * more than 32 MiB has never been written by VMware (default 64 KiB) and
 * would make every compressed-grain read allocate that much. */
#define MAX_CAPACITY_SECTORS (1ULL << 37)
#define MAX_GRAIN_SECTORS (1ULL << 16)
#define MAX_DISK_BYTES (1ULL << 56)     /* sum of extents */
#define GT_CACHE_SLOTS 32

/* --- state ------------------------------------------------------------- */

enum ext_type { EXT_FLAT, EXT_ZERO, EXT_HOSTED, EXT_COWD, EXT_SESPARSE };

struct vmdk_extent {
    enum ext_type type;
    struct v2k_transport *t;    /* NULL for ZERO */
    bool owns_t;                /* false: the image's own transport */
    unsigned line;              /* descriptor line, 0 = none */
    uint64_t start, length;     /* guest bytes */
    uint64_t flat_offset;       /* FLAT: bytes into t */
    /* sparse kinds */
    uint64_t grain;             /* bytes */
    uint32_t gt_entries;        /* entries per grain table */
    unsigned gte_size;          /* 4, or 8 for seSparse */
    uint64_t gd_n;
    uint64_t *gd;               /* grain table byte offsets, 0 = none */
    bool compressed, markers, zero_grain;
    uint64_t se_grains;         /* seSparse: bytes, start of grains */
};

struct gt_slot {
    const struct vmdk_extent *e;    /* NULL = empty */
    uint64_t off;
    uint64_t used;
    unsigned char *buf;
};

struct vmdk_state {
    struct vmdk_extent *ext;
    size_t n_ext;
    struct v2k_image *parent;
    bool has_cid;
    uint32_t cid, parent_cid;
    bool lock_init;
    pthread_mutex_t lock;       /* guards slots and clock */
    struct gt_slot slots[GT_CACHE_SLOTS];
    uint64_t clock;
    size_t gt_max;              /* largest grain table in bytes */
};

enum grain_kind { G_UNALLOC, G_ZERO, G_DATA, G_COMPRESSED };

extern const struct v2k_format v2k_format_vmdk;

/* --- probe ------------------------------------------------------------- */

static uint32_t
get_le32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}

static uint64_t
get_le64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return le64toh(v);
}

/* A text descriptor as qemu's probe knows it: '#' comments and blank
 * lines, then "version=N". */
static bool
looks_like_descriptor(const unsigned char *buf, size_t len)
{
    const unsigned char *p = buf, *end = buf + len;

    while (p < end) {
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == ' ') {
            if (*p == '#')
                while (p < end && *p != '\n')
                    p++;
            p++;
            continue;
        }
        return (size_t)(end - p) >= 9 && memcmp(p, "version=", 8) == 0;
    }
    return false;
}

static int
vmdk_probe(const unsigned char *buf, size_t len, uint64_t size)
{
    (void)size;
    if (len >= 8 && memcmp(buf, "KDMV", 4) == 0) {
        uint32_t v = get_le32(buf + 4);
        return v >= 1 && v <= 3 ? 100 : 50;
    }
    if (len >= 8 && memcmp(buf, "COWD", 4) == 0)
        return get_le32(buf + 4) == 1 ? 100 : 50;
    if (len >= 16 && get_le64(buf) == SESPARSE_CONST_MAGIC)
        return get_le64(buf + 8) == SESPARSE_VERSION ? 100 : 50;
    if ((len >= 21 && memcmp(buf, "# Disk DescriptorFile", 21) == 0) ||
        looks_like_descriptor(buf, len)) {
        /* Only a real descriptor names its createType early. */
        return memmem(buf, len, "createType", 10) ? 100 : 50;
    }
    return 0;
}

/* --- grain tables ------------------------------------------------------ */

/* Entry idx of the grain table at byte gt_off of e, through the cache;
 * and in *run how many entries from idx on (to the table's
 * end) hold the same value, so that a table of unallocated or zeroed
 * grains is answered in one call rather than one per grain (an empty
 * 16 TiB VMDK has 256 Mi of them). */
static int
gte_get(struct vmdk_state *s, const struct vmdk_extent *e,
            uint64_t gt_off, uint32_t idx, uint64_t *val, uint32_t *run)
{
    size_t bytes = (size_t)e->gt_entries * e->gte_size;
    struct gt_slot *slot = NULL, *victim = &s->slots[0];
    uint32_t k;
    int r = 0;

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < GT_CACHE_SLOTS; i++) {
        if (s->slots[i].e == e && s->slots[i].off == gt_off) {
            slot = &s->slots[i];
            break;
        }
        if (s->slots[i].used < victim->used)
            victim = &s->slots[i];
    }
    if (slot == NULL) {
        slot = victim;
        slot->e = NULL;
        if (slot->buf == NULL && (slot->buf = v2k_malloc(s->gt_max)) == NULL) {
            r = -1;
            goto out;
        }
        if (v2k_transport_pread(e->t, slot->buf, bytes, gt_off) == -1) {
            r = -1;
            goto out;
        }
        slot->e = e;
        slot->off = gt_off;
    }
    slot->used = ++s->clock;
    *val = e->gte_size == 8 ? get_le64(slot->buf + (size_t)idx * 8)
                            : get_le32(slot->buf + (size_t)idx * 4);
    k = idx + 1;
    if (e->gte_size == 8)
        while (k < e->gt_entries &&
               get_le64(slot->buf + (size_t)k * 8) == *val)
            k++;
    else
        while (k < e->gt_entries &&
               get_le32(slot->buf + (size_t)k * 4) == *val)
            k++;
    *run = k - idx;
out:
    pthread_mutex_unlock(&s->lock);
    return r;
}


/* What holds byte rel of sparse extent e: *kind, the file offset of its
 * grain (*foff, DATA and COMPRESSED) and *span, the bytes from rel on
 * that share the answer (to the grain's end, or the grain table's when
 * it is missing), clipped to the extent. */
static int
grain_find(struct vmdk_state *s, const struct vmdk_extent *e, uint64_t rel,
           enum grain_kind *kind, uint64_t *foff, uint64_t *span)
{
    uint64_t gi = rel / e->grain;
    uint64_t gd_i = gi / e->gt_entries;
    uint32_t gt_i = (uint32_t)(gi % e->gt_entries);
    uint64_t v, end, gt_off;
    uint32_t run;

    if (gd_i >= e->gd_n) {          /* coverage is checked at open */
        v2k_error("%s: offset %llu is beyond the grain directory",
                  e->t->name, (unsigned long long)rel);
        return -1;
    }
    gt_off = e->gd[gd_i];
    if (gt_off == 0) {
        *kind = G_UNALLOC;
        end = (gd_i + 1) * e->gt_entries * e->grain;
        goto clip;
    }
    if (gte_get(s, e, gt_off, gt_i, &v, &run) == -1)
        return -1;
    end = (gi + 1) * e->grain;
    /* Grains without data that share the entry share the answer. */
    if (v == 0 || (e->type != EXT_SESPARSE && v == VMDK_GTE_ZEROED &&
                   e->zero_grain) ||
        (e->type == EXT_SESPARSE && ((v >> 60) == 1 || (v >> 60) == 2)))
        end = (gi + run) * e->grain;
    if (e->type == EXT_SESPARSE) {
        /* qemu's get_cluster_offset: the top nibble is the kind. */
        switch (v >> 60) {
        case 0:
            if (v != 0)
                goto bad_se;
            *kind = G_UNALLOC;
            goto clip;
        case 1:                 /* unmapped (SCSI UNMAP): reads zero */
        case 2:
            *kind = G_ZERO;
            goto clip;
        case 3:
            v = ((v & 0x0fff000000000000ULL) >> 48) |
                ((v & 0x0000ffffffffffffULL) << 12);
            if (v > (e->t->size / e->grain))
                goto past_eof;
            *foff = e->se_grains + v * e->grain;
            if (*foff >= e->t->size)
                goto past_eof;
            *kind = G_DATA;
            goto clip;
        default:
            goto bad_se;
        }
    }
    if (v == 0) {
        *kind = G_UNALLOC;
        goto clip;
    }
    if (v == VMDK_GTE_ZEROED && e->zero_grain) {
        *kind = G_ZERO;
        goto clip;
    }
    *foff = v * SECTOR;
    if (*foff >= e->t->size)
        goto past_eof;
    *kind = e->compressed ? G_COMPRESSED : G_DATA;
clip:
    if (end > e->length)
        end = e->length;
    *span = end - rel;
    return 0;
past_eof:
    v2k_error("%s: grain table entry %u of the grain table at offset %llu points past the end of the file (value %llu, file is %llu bytes)", e->t->name, gt_i, (unsigned long long)gt_off,
              (unsigned long long)v, (unsigned long long)e->t->size);
    return -1;
bad_se:
    v2k_error("%s: grain table entry %u of the grain table at offset %llu has the invalid value %#llx", e->t->name, gt_i,
              (unsigned long long)gt_off, (unsigned long long)v);
    return -1;
}

/* --- reading ----------------------------------------------------------- */

static const struct vmdk_extent *
find_extent(const struct vmdk_state *s, uint64_t offset)
{
    size_t lo = 0, hi = s->n_ext;

    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->ext[mid].start <= offset)
            lo = mid;
        else
            hi = mid;
    }
    return &s->ext[lo];
}

static int
read_parent(struct vmdk_state *s, void *buf, size_t n, uint64_t offset)
{
    return v2k_image_pread_backing(s->parent, buf, n, offset);
}

/* Bytes [in, in + n) of the grain at foff, read from the file; a last
 * grain cut short by the end of the file reads as zero past it (qemu). */
static int
read_data(const struct vmdk_extent *e, void *buf, size_t n, uint64_t foff)
{
    uint64_t avail = foff < e->t->size ? e->t->size - foff : 0;
    size_t m = avail < n ? (size_t)avail : n;

    if (v2k_transport_pread(e->t, buf, m, foff) == -1)
        return -1;
    memset((char *)buf + m, 0, n - m);
    return 0;
}

/* Per-thread scratch for compressed grains: a zlib stream that is reset
 * rather than rebuilt, and buffers that are reused.  Allocating them per
 * grain cost more than inflating (a 128 KiB malloc is an mmap, page
 * faults and an munmap in glibc): streamOptimized reads were 3x slower. */
struct grain_scratch {
    z_stream zs;
    bool zinit;
    unsigned char *cbuf, *gbuf;
    size_t ccap, gcap;
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void
scratch_free(void *p)
{
    struct grain_scratch *g = p;
    if (g->zinit)
        inflateEnd(&g->zs);
    free(g->cbuf);
    free(g->gbuf);
    free(g);
}

static void
scratch_key_init(void)
{
    pthread_key_create(&scratch_key, scratch_free);
}

/* This thread's scratch with room for cneed and gneed bytes. */
static struct grain_scratch *
scratch_get(const char *name, size_t cneed, size_t gneed)
{
    struct grain_scratch *g;

    pthread_once(&scratch_once, scratch_key_init);
    g = pthread_getspecific(scratch_key);
    if (g == NULL) {
        g = v2k_calloc(1, sizeof *g);
        if (g == NULL || pthread_setspecific(scratch_key, g) != 0) {
            free(g);
            return NULL;
        }
    }
    if (g->ccap < cneed) {
        free(g->cbuf);
        g->ccap = 0;
        if ((g->cbuf = v2k_malloc(cneed)) == NULL)
            return NULL;
        g->ccap = cneed;
    }
    if (g->gcap < gneed) {
        free(g->gbuf);
        g->gcap = 0;
        if ((g->gbuf = v2k_malloc(gneed)) == NULL)
            return NULL;
        g->gcap = gneed;
    }
    if (!g->zinit) {
        if (inflateInit(&g->zs) != Z_OK) {
            v2k_error("%s: cannot initialise zlib", name);
            return NULL;
        }
        g->zinit = true;
    } else if (inflateReset(&g->zs) != Z_OK) {
        v2k_error("%s: cannot reset zlib", name);
        return NULL;
    }
    return g;
}

/* Bytes [in, in + n) of the deflated grain whose marker is at foff. */
static int
read_compressed(const struct vmdk_extent *e, uint64_t grain_rel, void *buf,
                size_t in, size_t n, uint64_t foff)
{
    unsigned char hdr[GRAIN_MARKER_SIZE];
    struct grain_scratch *g;
    unsigned char *out;
    uint64_t clen, dpos = foff;
    uint64_t need = e->length - grain_rel < e->grain ? e->length - grain_rel
                                                     : e->grain;
    bool direct = in == 0 && n == e->grain;
    z_stream *zs;
    int zr;

    if (e->markers) {
        if (foff + GRAIN_MARKER_SIZE > e->t->size ||
            v2k_transport_pread(e->t, hdr, sizeof hdr, foff) == -1) {
            v2k_error("%s: grain marker at offset %llu is past the end of the file", e->t->name, (unsigned long long)foff);
            return -1;
        }
        clen = get_le32(hdr + 8);
        dpos = foff + GRAIN_MARKER_SIZE;
        /* qemu allows up to two grains of deflate data per grain. */
        if (clen == 0 || clen > 2 * e->grain) {
            v2k_error("%s: grain marker at offset %llu has a compressed size of %llu bytes (grain is %llu)", e->t->name,
                      (unsigned long long)foff, (unsigned long long)clen,
                      (unsigned long long)e->grain);
            return -1;
        }
        if (clen > e->t->size - dpos) {
            v2k_error("%s: compressed grain at offset %llu (%llu bytes) runs past the end of the file", e->t->name,
                      (unsigned long long)foff, (unsigned long long)clen);
            return -1;
        }
    } else {
        clen = 2 * e->grain;
        if (clen > e->t->size - foff)
            clen = e->t->size - foff;
    }
    g = scratch_get(e->t->name, (size_t)clen, direct ? 0 : (size_t)e->grain);
    if (g == NULL)
        return -1;
    if (v2k_transport_pread(e->t, g->cbuf, (size_t)clen, dpos) == -1)
        return -1;
    /* zlib format (RFC 1950), as qemu's uncompress() reads it.  A whole
     * grain inflates straight into the caller's buffer. */
    out = direct ? buf : g->gbuf;
    zs = &g->zs;
    zs->next_in = g->cbuf;
    zs->avail_in = (uInt)clen;
    zs->next_out = out;
    zs->avail_out = (uInt)e->grain;
    zr = inflate(zs, Z_FINISH);
    if (zr != Z_STREAM_END) {
        v2k_error("%s: compressed grain at offset %llu is corrupt (zlib: %s)", e->t->name, (unsigned long long)foff,
                  zr == Z_BUF_ERROR && zs->avail_out == 0
                      ? "inflates to more than one grain"
                      : zs->msg ? zs->msg : "truncated data");
        return -1;
    }
    if (e->grain - zs->avail_out < need) {
        v2k_error("%s: compressed grain at offset %llu inflates to %llu bytes, less than the %llu of its grain", e->t->name,
                  (unsigned long long)foff,
                  (unsigned long long)(e->grain - zs->avail_out),
                  (unsigned long long)need);
        return -1;
    }
    if (!direct)
        memcpy(buf, g->gbuf + in, n);
    return 0;
}

static int
vmdk_pread(struct v2k_image *img, void *buf, size_t count, uint64_t offset)
{
    struct vmdk_state *s = img->state;
    char *p = buf;

    while (count > 0) {
        const struct vmdk_extent *e = find_extent(s, offset);
        uint64_t rel = offset - e->start;
        uint64_t n = e->length - rel < count ? e->length - rel : count;
        uint64_t foff = 0, span, in;
        enum grain_kind kind;

        switch (e->type) {
        case EXT_ZERO:
            memset(p, 0, (size_t)n);
            break;
        case EXT_FLAT:
            if (v2k_transport_pread(e->t, p, (size_t)n,
                                    e->flat_offset + rel) == -1)
                return -1;
            break;
        default:
            if (grain_find(s, e, rel, &kind, &foff, &span) == -1)
                return -1;
            if (span < n)
                n = span;
            in = rel % e->grain;
            if (kind == G_UNALLOC) {
                if (read_parent(s, p, (size_t)n, offset) == -1)
                    return -1;
            } else if (kind == G_ZERO) {
                memset(p, 0, (size_t)n);
            } else if (kind == G_DATA) {
                if (read_data(e, p, (size_t)n, foff + in) == -1)
                    return -1;
            } else if (read_compressed(e, rel - in, p, (size_t)in,
                                       (size_t)n, foff) == -1) {
                return -1;
            }
            break;
        }
        p += n;
        offset += n;
        count -= (size_t)n;
    }
    return 0;
}

/* --- allocation map ---------------------------------------------------- */

/* Where this layer holds nothing, the parent answers (format.h); past
 * the parent's end, nothing in the chain holds the bytes.  Sets *short_
 * when the parent stopped early, so we stop there too. */
static int
map_unallocated(struct vmdk_state *s, uint64_t off, uint64_t len,
                struct v2k_extent_list *out, bool *short_)
{
    struct v2k_extent_list pl = { 0 };
    uint64_t end = off + len, pend, got;

    *short_ = false;
    if (s->parent == NULL || off >= s->parent->size)
        return v2k_extent_list_add(out, off, len, V2K_EXTENT_UNALLOCATED);
    pend = end < s->parent->size ? end : s->parent->size;
    /* Through a list of our own: the parent's first extent may merge
     * into our last one, which v2k_image_extents() would take for an
     * empty answer. */
    if (v2k_image_extents(s->parent, off, pend - off, &pl) == -1) {
        v2k_extent_list_free(&pl);
        return -1;
    }
    for (size_t i = 0; i < pl.n; i++) {
        if (v2k_extent_list_add(out, pl.v[i].offset, pl.v[i].length,
                                pl.v[i].type) == -1) {
            v2k_extent_list_free(&pl);
            return -1;
        }
    }
    got = pl.v[pl.n - 1].offset + pl.v[pl.n - 1].length;
    v2k_extent_list_free(&pl);
    if (got < pend) {
        *short_ = true;
        return 0;
    }
    if (pend < end)
        return v2k_extent_list_add(out, pend, end - pend,
                                   V2K_EXTENT_UNALLOCATED);
    return 0;
}

/* A flat extent answers with its file's map (holes are ZERO, as in
 * raw.c); *short_ when the file's answer stopped early. */
static int
map_flat(const struct vmdk_extent *e, uint64_t pos, uint64_t n,
         struct v2k_extent_list *out, bool *short_)
{
    struct v2k_extent_list fl = { 0 };
    uint64_t base = e->flat_offset + (pos - e->start), got = 0;
    int r = -1;

    if (v2k_transport_extents(e->t, base, n, &fl) == -1)
        goto out;
    for (size_t i = 0; i < fl.n; i++) {
        /* Nothing reads through a flat extent. */
        enum v2k_extent_type type = fl.v[i].type == V2K_EXTENT_DATA
                                        ? V2K_EXTENT_DATA : V2K_EXTENT_ZERO;
        if (v2k_extent_list_add(out, pos + (fl.v[i].offset - base),
                                fl.v[i].length, type) == -1)
            goto out;
        got = fl.v[i].offset + fl.v[i].length - base;
    }
    if (got == 0) {
        v2k_error("%s: no allocation map at offset %llu", e->t->name,
                  (unsigned long long)base);
        goto out;
    }
    *short_ = got < n;
    r = 0;
out:
    v2k_extent_list_free(&fl);
    return r;
}

static int
vmdk_extents(struct v2k_image *img, uint64_t offset, uint64_t length,
             struct v2k_extent_list *out)
{
    struct vmdk_state *s = img->state;
    uint64_t end = offset + length, pos = offset;
    uint64_t ua_start = 0, ua_len = 0;  /* pending unallocated run */
    unsigned budget = 1U << 20;         /* grains looked at per call */
    bool short_ = false;

    while (pos < end && budget-- > 0) {
        const struct vmdk_extent *e = find_extent(s, pos);
        uint64_t rel = pos - e->start;
        uint64_t n = e->length - rel < end - pos ? e->length - rel
                                                 : end - pos;
        enum v2k_extent_type type = V2K_EXTENT_DATA;
        enum grain_kind kind = G_DATA;
        uint64_t foff, span;

        if (e->type == EXT_ZERO) {
            type = V2K_EXTENT_ZERO;
        } else if (e->type == EXT_FLAT) {
            kind = G_ZERO;      /* not unallocated: ends a pending run */
        } else {
            if (grain_find(s, e, rel, &kind, &foff, &span) == -1)
                return -1;
            if (span < n)
                n = span;
            type = kind == G_ZERO ? V2K_EXTENT_ZERO : V2K_EXTENT_DATA;
        }
        if (kind == G_UNALLOC) {
            if (ua_len == 0)
                ua_start = pos;
            ua_len += n;
        } else {
            if (ua_len > 0) {
                if (map_unallocated(s, ua_start, ua_len, out,
                                    &short_) == -1)
                    return -1;
                ua_len = 0;
                if (short_)
                    return 0;
            }
            if (e->type == EXT_FLAT) {
                if (map_flat(e, pos, n, out, &short_) == -1)
                    return -1;
                if (short_)
                    return 0;
            } else if (v2k_extent_list_add(out, pos, n, type) == -1) {
                return -1;
            }
        }
        pos += n;
    }
    if (ua_len > 0)
        return map_unallocated(s, ua_start, ua_len, out, &short_);
    return 0;
}

/* --- opening sparse extents -------------------------------------------- */

static void
vmdk4_header_to_cpu(struct vmdk4_header *h)
{
    h->version = le32toh(h->version);
    h->flags = le32toh(h->flags);
    h->capacity = le64toh(h->capacity);
    h->grain_size = le64toh(h->grain_size);
    h->desc_offset = le64toh(h->desc_offset);
    h->desc_size = le64toh(h->desc_size);
    h->gtes_per_gt = le32toh(h->gtes_per_gt);
    h->rgd_offset = le64toh(h->rgd_offset);
    h->gd_offset = le64toh(h->gd_offset);
    h->overhead = le64toh(h->overhead);
    h->compress = le16toh(h->compress);
}

/* Grain size (sectors) checks shared by the sparse kinds. */
static int
check_grain(const char *name, uint64_t grain, const char *field)
{
    if (grain == 0) {
        v2k_error("%s: grain size 0 (%s)", name, field);
        return -1;
    }
    if (!V2K_IS_POW2(grain)) {
        v2k_error("%s: grain size %llu sectors (%s) is not a power of two",
                  name, (unsigned long long)grain, field);
        return -1;
    }
    if (grain > MAX_GRAIN_SECTORS) {
        v2k_error("%s: grain size %llu sectors (%s) is larger than the %llu sector limit", name, (unsigned long long)grain,
                  field, MAX_GRAIN_SECTORS);
        return -1;
    }
    return 0;
}

static int
check_capacity(const char *name, uint64_t capacity, const char *field)
{
    if (capacity > MAX_CAPACITY_SECTORS) {
        v2k_error("%s: capacity %llu sectors (%s) is larger than the %llu sector limit", name, (unsigned long long)capacity, field,
                  MAX_CAPACITY_SECTORS);
        return -1;
    }
    return 0;
}

/* A table of count entries of size bytes at byte offset off lies in t. */
static bool
in_file(const struct v2k_transport *t, uint64_t off, uint64_t count,
        uint64_t size)
{
    uint64_t bytes, last;

    return !V2K_MUL_OVERFLOW(count, size, &bytes) &&
           !V2K_ADD_OVERFLOW(off, bytes, &last) && last <= t->size;
}

/* Read the 32-bit grain directory of e (gd_n entries at byte off) and
 * turn its sector numbers into validated byte offsets. */
static int
load_gd32(struct vmdk_extent *e, uint64_t off, const char *field)
{
    unsigned char *raw;
    uint64_t gt_bytes = (uint64_t)e->gt_entries * 4;

    if (e->gd_n == 0)
        return 0;
    if (off == 0 || !in_file(e->t, off, e->gd_n, 4)) {
        v2k_error("%s: grain directory offset %llu (%s) is past the end of the file (%llu entries, file is %llu bytes)", e->t->name,
                  (unsigned long long)(off / SECTOR), field,
                  (unsigned long long)e->gd_n,
                  (unsigned long long)e->t->size);
        return -1;
    }
    raw = v2k_malloc((size_t)e->gd_n * 4);
    e->gd = v2k_calloc((size_t)e->gd_n, sizeof *e->gd);
    if (raw == NULL || e->gd == NULL ||
        v2k_transport_pread(e->t, raw, (size_t)e->gd_n * 4, off) == -1) {
        free(raw);
        return -1;
    }
    for (uint64_t i = 0; i < e->gd_n; i++) {
        uint64_t sec = get_le32(raw + i * 4);
        if (sec != 0 && !in_file(e->t, sec * SECTOR, gt_bytes, 1)) {
            v2k_error("%s: grain directory entry %llu: grain table at sector %llu is past the end of the file", e->t->name,
                      (unsigned long long)i, (unsigned long long)sec);
            free(raw);
            return -1;
        }
        e->gd[i] = sec * SECTOR;
    }
    free(raw);
    return 0;
}

/* Number of grain directory entries that cover capacity sectors. */
static uint64_t
gd_entries_for(uint64_t capacity, uint64_t grain, uint64_t gtes)
{
    uint64_t per_gt = grain * gtes;     /* both bounded: no overflow */
    return V2K_DIV_ROUND_UP(capacity, per_gt);
}

/* The streamOptimized footer (qemu's vmdk_open_vmdk4): footer marker,
 * the header again with the real gdOffset, end-of-stream marker, in the
 * last 1536 bytes. */
static int
read_footer(struct v2k_transport *t, struct vmdk4_header *h)
{
    unsigned char buf[1536];
    struct vmdk_marker fm, eos;

    if (t->size < 512 + sizeof buf) {
        v2k_error("%s: gdOffset is GD_AT_END but the file is too small for a footer", t->name);
        return -1;
    }
    if (v2k_transport_pread(t, buf, sizeof buf, t->size - sizeof buf) == -1)
        return -1;
    memcpy(&fm, buf, sizeof fm);
    memcpy(h, buf + 512, sizeof *h);
    memcpy(&eos, buf + 1024, sizeof eos);
    if (le32toh(fm.size) != 0 || le32toh(fm.type) != MARKER_FOOTER ||
        memcmp(h->magic, "KDMV", 4) != 0 || le64toh(eos.val) != 0 ||
        le32toh(eos.size) != 0 || le32toh(eos.type) != MARKER_EOS) {
        v2k_error("%s: gdOffset is GD_AT_END but there is no valid footer at offset %llu", t->name,
                  (unsigned long long)(t->size - sizeof buf));
        return -1;
    }
    vmdk4_header_to_cpu(h);
    if (h->gd_offset == VMDK4_GD_AT_END) {
        v2k_error("%s: the footer's gdOffset is GD_AT_END too", t->name);
        return -1;
    }
    return 0;
}

/* Hosted sparse extent: validate the header field by field.  *h gets the
 * effective header (the footer's for streamOptimized). */
static int
open_hosted(struct vmdk_extent *e, struct vmdk4_header *h)
{
    const char *name = e->t->name;

    if (e->t->size < sizeof *h) {
        v2k_error("%s: truncated sparse header (%llu bytes, need 512)",
                  name, (unsigned long long)e->t->size);
        return -1;
    }
    if (v2k_transport_pread(e->t, h, sizeof *h, 0) == -1)
        return -1;
    vmdk4_header_to_cpu(h);
    if (h->version < 1 || h->version > 3) {
        /* 3 adds changed block tracking, readable as 1 (VMware KB
         * 2064959, as qemu notes). */
        v2k_error("%s: unsupported sparse extent version %u (header offset 4)", name, h->version);
        return -1;
    }
    if (h->gd_offset == VMDK4_GD_AT_END && read_footer(e->t, h) == -1)
        return -1;
    if (h->version < 1 || h->version > 3) {
        v2k_error("%s: unsupported sparse extent version %u in the footer",
                  name, h->version);
        return -1;
    }
    /* The spec puts "\n \r\n" here to catch files mangled by a text-mode
     * transfer. */
    if ((h->flags & VMDK4_FLAG_NL_DETECT) &&
        memcmp(h->nl_check, "\n \r\n", 4) != 0) {
        v2k_error("%s: newline detection bytes at header offset 73 are corrupted (file transferred in text mode?)", name);
        return -1;
    }
    if (h->compress > VMDK4_COMPRESS_DEFLATE) {
        v2k_error("%s: unknown compressAlgorithm %u (header offset 77)",
                  name, h->compress);
        return -1;
    }
    if (check_capacity(name, h->capacity, "header offset 12") == -1 ||
        check_grain(name, h->grain_size, "header offset 20") == -1)
        return -1;
    if (h->gtes_per_gt == 0 || h->gtes_per_gt > VMDK4_MAX_GTES) {
        v2k_error("%s: numGTEsPerGT %u (header offset 44) is not between 1 and %d", name, h->gtes_per_gt, VMDK4_MAX_GTES);
        return -1;
    }
    if (h->overhead > e->t->size / SECTOR) {
        v2k_error("%s: overHead %llu sectors (header offset 64) is past the end of the file (truncated?)", name,
                  (unsigned long long)h->overhead);
        return -1;
    }
    e->type = EXT_HOSTED;
    e->grain = h->grain_size * SECTOR;
    e->gt_entries = h->gtes_per_gt;
    e->gte_size = 4;
    e->compressed = h->compress == VMDK4_COMPRESS_DEFLATE;
    e->markers = (h->flags & VMDK4_FLAG_MARKER) != 0;
    e->zero_grain = (h->flags & VMDK4_FLAG_ZERO_GRAIN) != 0;
    e->gd_n = gd_entries_for(h->capacity, h->grain_size, h->gtes_per_gt);
    if (h->gd_offset > UINT64_MAX / SECTOR) {
        v2k_error("%s: grain directory offset %llu (header offset 56) is past the end of the file", name,
                  (unsigned long long)h->gd_offset);
        return -1;
    }
    return load_gd32(e, h->gd_offset * SECTOR, "header offset 56");
}

static int
open_cowd(struct vmdk_extent *e, uint64_t *capacity)
{
    struct cowd_header h;
    const char *name = e->t->name;

    if (e->t->size < 512) {
        v2k_error("%s: truncated COWD header (%llu bytes, need 512)", name,
                  (unsigned long long)e->t->size);
        return -1;
    }
    if (v2k_transport_pread(e->t, &h, sizeof h, 0) == -1)
        return -1;
    h.version = le32toh(h.version);
    h.capacity = le32toh(h.capacity);
    h.grain_size = le32toh(h.grain_size);
    h.gd_offset = le32toh(h.gd_offset);
    h.gd_entries = le32toh(h.gd_entries);
    if (h.version != 1) {
        v2k_error("%s: unsupported COWD version %u (header offset 4)", name,
                  h.version);
        return -1;
    }
    if (check_grain(name, h.grain_size, "header offset 16") == -1)
        return -1;
    if (h.gd_entries < gd_entries_for(h.capacity, h.grain_size,
                                      COWD_GTES)) {
        v2k_error("%s: numGDEntries %u (header offset 24) does not cover the capacity of %u sectors", name, h.gd_entries,
                  h.capacity);
        return -1;
    }
    e->type = EXT_COWD;
    e->grain = (uint64_t)h.grain_size * SECTOR;
    e->gt_entries = COWD_GTES;
    e->gte_size = 4;
    e->gd_n = gd_entries_for(h.capacity, h.grain_size, COWD_GTES);
    *capacity = h.capacity;
    return load_gd32(e, (uint64_t)h.gd_offset * SECTOR, "header offset 20");
}

static void
sesparse_to_cpu(struct sesparse_const_header *h)
{
    unsigned char *b = (unsigned char *)h;

    /* Every field before pad is a little-endian uint64_t. */
    for (size_t i = 0; i < offsetof(struct sesparse_const_header, pad);
         i += 8) {
        uint64_t v = get_le64(b + i);
        memcpy(b + i, &v, 8);
    }
}

static int
open_sesparse(struct vmdk_extent *e, uint64_t *capacity)
{
    struct sesparse_const_header h;
    struct sesparse_volatile_header vh;
    const char *name = e->t->name;
    unsigned char *raw;
    uint64_t gt_bytes = SESPARSE_GT_SECTORS * SECTOR;
    uint64_t n_tables;

    if (e->t->size < 1024) {
        v2k_error("%s: truncated seSparse header (%llu bytes)", name,
                  (unsigned long long)e->t->size);
        return -1;
    }
    if (v2k_transport_pread(e->t, &h, sizeof h, 0) == -1)
        return -1;
    sesparse_to_cpu(&h);
    if (h.version != SESPARSE_VERSION) {
        v2k_error("%s: unsupported seSparse version %#llx (header offset 8)", name, (unsigned long long)h.version);
        return -1;
    }
    if (check_capacity(name, h.capacity, "header offset 16") == -1)
        return -1;
    if (h.grain_size != SESPARSE_GRAIN) {
        v2k_error("%s: seSparse grain size %llu (header offset 24) is not 8 sectors", name, (unsigned long long)h.grain_size);
        return -1;
    }
    if (h.grain_table_size != SESPARSE_GT_SECTORS) {
        v2k_error("%s: seSparse grain table size %llu (header offset 32) is not 64 sectors", name,
                  (unsigned long long)h.grain_table_size);
        return -1;
    }
    if (h.flags != 0 || h.reserved[0] || h.reserved[1] || h.reserved[2] ||
        h.reserved[3]) {
        v2k_error("%s: unsupported seSparse flags %#llx (header offset 40)",
                  name, (unsigned long long)h.flags);
        return -1;
    }
    if (h.volatile_header_offset > UINT64_MAX / SECTOR ||
        !in_file(e->t, h.volatile_header_offset * SECTOR, 1, sizeof vh)) {
        v2k_error("%s: seSparse volatile header offset %llu (header offset 80) is past the end of the file", name,
                  (unsigned long long)h.volatile_header_offset);
        return -1;
    }
    if (v2k_transport_pread(e->t, &vh, sizeof vh,
                            h.volatile_header_offset * SECTOR) == -1)
        return -1;
    if (le64toh(vh.magic) != SESPARSE_VOLATILE_MAGIC) {
        v2k_error("%s: bad seSparse volatile header magic %#llx", name,
                  (unsigned long long)le64toh(vh.magic));
        return -1;
    }
    if (le64toh(vh.replay_journal) != 0) {
        v2k_error("%s: seSparse journal needs replaying (the disk was not closed cleanly)", name);
        return -1;
    }
    e->type = EXT_SESPARSE;
    e->grain = SESPARSE_GRAIN * SECTOR;
    e->gt_entries = (uint32_t)(gt_bytes / 8);
    e->gte_size = 8;
    e->gd_n = gd_entries_for(h.capacity, SESPARSE_GRAIN, e->gt_entries);
    if (h.grain_dir_size > UINT64_MAX / SECTOR / 2 ||
        h.grain_dir_size * SECTOR / 8 < e->gd_n) {
        v2k_error("%s: seSparse grain directory size %llu sectors (header offset 136) does not cover the capacity", name,
                  (unsigned long long)h.grain_dir_size);
        return -1;
    }
    if (h.grain_dir_offset > UINT64_MAX / SECTOR ||
        !in_file(e->t, h.grain_dir_offset * SECTOR, e->gd_n, 8)) {
        v2k_error("%s: grain directory offset %llu (header offset 128) is past the end of the file", name,
                  (unsigned long long)h.grain_dir_offset);
        return -1;
    }
    if (h.grain_tables_offset > UINT64_MAX / SECTOR ||
        h.grain_tables_size > UINT64_MAX / SECTOR ||
        !in_file(e->t, h.grain_tables_offset * SECTOR,
                 h.grain_tables_size, SECTOR)) {
        v2k_error("%s: seSparse grain tables at sector %llu (header offset 144) are past the end of the file", name,
                  (unsigned long long)h.grain_tables_offset);
        return -1;
    }
    if (h.grains_offset > e->t->size / SECTOR) {
        v2k_error("%s: seSparse grains offset %llu (header offset 192) is past the end of the file", name,
                  (unsigned long long)h.grains_offset);
        return -1;
    }
    e->se_grains = h.grains_offset * SECTOR;
    n_tables = h.grain_tables_size / SESPARSE_GT_SECTORS;
    raw = v2k_malloc((size_t)e->gd_n * 8 + 1);
    e->gd = v2k_calloc((size_t)e->gd_n + 1, sizeof *e->gd);
    if (raw == NULL || e->gd == NULL ||
        v2k_transport_pread(e->t, raw, (size_t)e->gd_n * 8,
                            h.grain_dir_offset * SECTOR) == -1) {
        free(raw);
        return -1;
    }
    for (uint64_t i = 0; i < e->gd_n; i++) {
        uint64_t v = get_le64(raw + i * 8);
        /* qemu: 0 = no table, else 0x10000000 in the top half and the
         * table's index below. */
        if (v == 0)
            continue;
        if ((v >> 32) != 0x10000000ULL || (v & 0xffffffffULL) >= n_tables) {
            v2k_error("%s: grain directory entry %llu has the invalid value %#llx", name, (unsigned long long)i,
                      (unsigned long long)v);
            free(raw);
            return -1;
        }
        e->gd[i] = h.grain_tables_offset * SECTOR +
                   (v & 0xffffffffULL) * gt_bytes;
    }
    free(raw);
    *capacity = h.capacity;
    return 0;
}

/* Open the sparse extent on e->t, of whichever kind its magic says.
 * *h_out (optional) gets a hosted extent's header; *capacity its size in
 * sectors. */
static int
open_sparse(struct vmdk_extent *e, struct vmdk4_header *h_out,
            uint64_t *capacity)
{
    unsigned char magic[8] = { 0 };
    struct vmdk4_header h;

    if (v2k_transport_pread(e->t, magic, e->t->size < 8 ? e->t->size : 8,
                            0) == -1)
        return -1;
    if (memcmp(magic, "KDMV", 4) == 0) {
        if (open_hosted(e, &h) == -1)
            return -1;
        if (h_out)
            *h_out = h;
        *capacity = h.capacity;
        return 0;
    }
    if (memcmp(magic, "COWD", 4) == 0)
        return open_cowd(e, capacity);
    if (get_le64(magic) == SESPARSE_CONST_MAGIC)
        return open_sesparse(e, capacity);
    v2k_error("%s: not a sparse extent (magic %02x%02x%02x%02x)", e->t->name,
              magic[0], magic[1], magic[2], magic[3]);
    return -1;
}

/* --- descriptors ------------------------------------------------------- */

static struct vmdk_extent *
add_extent(struct vmdk_state *s, const char *name)
{
    struct vmdk_extent *v;

    v = realloc(s->ext, (s->n_ext + 1) * sizeof *v);
    if (v == NULL) {
        v2k_error("%s: out of memory", name);
        return NULL;
    }
    s->ext = v;
    memset(&v[s->n_ext], 0, sizeof *v);
    return &v[s->n_ext++];
}

/* createType values of the spec (and qemu's subformats). */
static int
check_create_type(const char *name, const char *ct)
{
    static const char *const known[] = {
        "monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse",
        "twoGbMaxExtentFlat", "streamOptimized", "vmfs", "vmfsSparse",
        "vmfsThin", "vmfsPreallocated", "vmfsEagerZeroedThick", "vmfsRaw",
        "vmfsRawDeviceMap", "vmfsPassthroughRawDeviceMap", "seSparse",
        "custom",
    };

    for (size_t i = 0; i < V2K_ARRAY_SIZE(known); i++)
        if (strcmp(ct, known[i]) == 0)
            return 0;
    if (strcmp(ct, "fullDevice") == 0 || strcmp(ct, "partitionedDevice") == 0)
        v2k_error("%s: createType '%s' reads a physical disk of the host that made it, not files", name, ct);
    else
        v2k_error("%s: unsupported createType '%s'", name, ct);
    return -1;
}

/* Open the extents a separate descriptor names, next to its file. */
static int
open_desc_extents(struct v2k_image *img, const struct v2k_vmdk_desc *d,
                  const struct v2k_open_opts *opts)
{
    struct vmdk_state *s = img->state;
    const char *name = v2k_image_name(img);

    if (check_create_type(name, d->create_type) == -1)
        return -1;
    if (d->n_extents == 0) {
        v2k_error("%s: descriptor lists no extents", name);
        return -1;
    }
    for (size_t i = 0; i < d->n_extents; i++) {
        const struct v2k_vmdk_desc_extent *de = &d->extents[i];
        struct vmdk_extent *e = add_extent(s, name);
        uint64_t cap = 0;

        if (e == NULL)
            return -1;
        e->line = de->line;
        e->length = de->sectors * SECTOR;
        if (de->access == V2K_VMDK_NOACCESS) {
            v2k_error("%s: descriptor line %u: extent is NOACCESS, its data cannot be read", name, de->line);
            return -1;
        }
        if (de->kind == V2K_VMDK_ZERO) {
            e->type = EXT_ZERO;
            continue;
        }
        e->t = v2k_image_open_sibling(img, de->file, opts);
        if (e->t == NULL) {
            v2k_error_prepend("%s: descriptor line %u: extent file '%s': ",
                              name, de->line, de->file);
            return -1;
        }
        e->owns_t = true;
        switch (de->kind) {
        case V2K_VMDK_FLAT:
        case V2K_VMDK_VMFS:
        case V2K_VMDK_VMFSRDM:
        case V2K_VMDK_VMFSRAW:
            e->type = EXT_FLAT;
            e->flat_offset = de->offset * SECTOR;
            if (!in_file(e->t, e->flat_offset, de->sectors, SECTOR)) {
                v2k_error("%s: descriptor line %u: extent file %s is %llu bytes, too short for %llu sectors at sector %llu", name, de->line, e->t->name,
                          (unsigned long long)e->t->size,
                          (unsigned long long)de->sectors,
                          (unsigned long long)de->offset);
                return -1;
            }
            break;
        default:
            if (open_sparse(e, NULL, &cap) == -1)
                return -1;
            if (de->kind == V2K_VMDK_SESPARSE && e->type != EXT_SESPARSE) {
                v2k_error("%s: descriptor line %u: SESPARSE extent %s has no seSparse header", name, de->line, e->t->name);
                return -1;
            }
            if (cap < de->sectors) {
                v2k_error("%s: descriptor line %u: extent of %llu sectors is larger than the capacity %llu of %s", name,
                          de->line, (unsigned long long)de->sectors,
                          (unsigned long long)cap, e->t->name);
                return -1;
            }
            break;
        }
    }
    return 0;
}

/* Parse the descriptor at [off, off + len) of t.  *empty (optional) is
 * set, and d left empty, when the area starts with a NUL (the unused
 * embedded descriptor area of a split sparse extent). */
static int
read_descriptor(struct v2k_transport *t, uint64_t off, uint64_t len,
                struct v2k_vmdk_desc *d, bool *empty)
{
    char *buf;
    int r;

    if (len > V2K_VMDK_DESC_MAX) {
        v2k_error("%s: descriptor of %llu bytes is larger than the %u byte limit", t->name, (unsigned long long)len,
                  V2K_VMDK_DESC_MAX);
        return -1;
    }
    if (!in_file(t, off, len, 1)) {
        v2k_error("%s: descriptor at offset %llu (%llu bytes) is past the end of the file", t->name, (unsigned long long)off,
                  (unsigned long long)len);
        return -1;
    }
    buf = v2k_malloc((size_t)len + 1);
    if (buf == NULL)
        return -1;
    if (v2k_transport_pread(t, buf, (size_t)len, off) == -1) {
        free(buf);
        return -1;
    }
    if (empty && (len == 0 || buf[0] == '\0')) {
        *empty = true;
        free(buf);
        return 0;
    }
    r = v2k_vmdk_desc_parse(t->name, buf, (size_t)len, d);
    free(buf);
    return r;
}

/* parentFileNameHint as written on Windows ("C:\VMs\base.vmdk") names a
 * file that, copied here, sits next to the delta: keep its last part. */
static const char *
parent_name(const char *hint)
{
    const char *b = strrchr(hint, '\\');

    if (b)
        return b + 1;
    if (hint[0] && hint[1] == ':')
        return hint + 2;
    return hint;
}

static int
open_parent(struct v2k_image *img, const struct v2k_vmdk_desc *d,
            const struct v2k_open_opts *opts)
{
    struct vmdk_state *s = img->state;
    const struct vmdk_state *ps;
    const char *pname = parent_name(d->parent_hint);

    if (*pname == '\0') {
        v2k_error("%s: parentFileNameHint '%s' names no file",
                  v2k_image_name(img), d->parent_hint);
        return -1;
    }
    s->parent = v2k_image_open_backing(img, pname, "vmdk", opts);
    if (s->parent == NULL)
        return -1;
    ps = s->parent->state;
    /* VMware spec, "Parent CID": a child made from another state of its
     * parent would read wrong data.  ffffffff = "do not check". */
    if (s->parent_cid != V2K_VMDK_CID_NOPARENT && ps->has_cid &&
        ps->cid != s->parent_cid) {
        v2k_error("%s: parentCID %08x does not match CID %08x of its parent %s", v2k_image_name(img), s->parent_cid, ps->cid,
                  v2k_image_name(s->parent));
        return -1;
    }
    if (s->parent->size != img->size)
        v2k_debug("%s: parent %s is %llu bytes, this disk %llu",
                  v2k_image_name(img), v2k_image_name(s->parent),
                  (unsigned long long)s->parent->size,
                  (unsigned long long)img->size);
    return 0;
}

static void vmdk_close(struct v2k_image *img);

/* The file is a sparse extent holding the whole disk (monolithicSparse,
 * streamOptimized, a lone COWD or seSparse file). */
static int
open_single_sparse(struct v2k_image *img, struct v2k_vmdk_desc *d,
                   bool *has_desc, const struct v2k_open_opts *opts)
{
    struct vmdk_state *s = img->state;
    struct vmdk_extent *e = add_extent(s, v2k_image_name(img));
    struct vmdk4_header h;
    uint64_t cap = 0;
    bool empty = false;

    if (e == NULL)
        return -1;
    e->t = img->transport;
    memset(&h, 0, sizeof h);
    if (open_sparse(e, &h, &cap) == -1)
        return -1;
    e->length = cap * SECTOR;
    if (e->type != EXT_HOSTED || h.desc_offset == 0 || h.desc_size == 0)
        return 0;
    /* The embedded descriptor: CID, parent; its extent line names this
     * file itself. */
    if (h.desc_size > V2K_VMDK_DESC_MAX / SECTOR ||
        h.desc_offset > UINT64_MAX / SECTOR) {
        v2k_error("%s: embedded descriptor of %llu sectors at sector %llu (header offsets 28, 36) is out of range",
                  v2k_image_name(img), (unsigned long long)h.desc_size,
                  (unsigned long long)h.desc_offset);
        return -1;
    }
    if (read_descriptor(img->transport, h.desc_offset * SECTOR,
                        h.desc_size * SECTOR, d, &empty) == -1)
        return -1;
    if (empty)
        return 0;
    *has_desc = true;
    if (cap == 0) {
        /* qemu: a sparse file of capacity 0 is only a carrier for a
         * descriptor naming the real extents. */
        free(e->gd);
        s->n_ext = 0;
        return open_desc_extents(img, d, opts);
    }
    return 0;
}

static int
vmdk_open(struct v2k_image *img, const struct v2k_open_opts *opts)
{
    struct vmdk_state *s = img->state;
    struct v2k_transport *t = img->transport;
    struct v2k_vmdk_desc d;
    unsigned char magic[8] = { 0 };
    bool has_desc = false;
    uint64_t total = 0;

    memset(&d, 0, sizeof d);
    s->parent_cid = V2K_VMDK_CID_NOPARENT;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        v2k_error("%s: cannot create a mutex", t->name);
        return -1;
    }
    s->lock_init = true;
    if (t->size < 8) {
        v2k_error("%s: file of %llu bytes is too small to be a VMDK",
                  t->name, (unsigned long long)t->size);
        goto fail;
    }
    if (v2k_transport_pread(t, magic, sizeof magic, 0) == -1)
        goto fail;
    if (memcmp(magic, "KDMV", 4) == 0 || memcmp(magic, "COWD", 4) == 0 ||
        get_le64(magic) == SESPARSE_CONST_MAGIC) {
        if (open_single_sparse(img, &d, &has_desc, opts) == -1)
            goto fail;
    } else {
        if (read_descriptor(t, 0, t->size, &d, NULL) == -1)
            goto fail;
        has_desc = true;
        if (open_desc_extents(img, &d, opts) == -1)
            goto fail;
    }
    for (size_t i = 0; i < s->n_ext; i++) {
        struct vmdk_extent *e = &s->ext[i];
        size_t gt = (size_t)e->gt_entries * e->gte_size;
        e->start = total;
        if (V2K_ADD_OVERFLOW(total, e->length, &total) ||
            total > MAX_DISK_BYTES) {
            v2k_error("%s: the extents add up to more than %llu bytes",
                      t->name, MAX_DISK_BYTES);
            goto fail;
        }
        if (gt > s->gt_max)
            s->gt_max = gt;
    }
    if (total == 0) {
        v2k_error("%s: disk of capacity 0", t->name);
        goto fail;
    }
    img->size = total;
    if (has_desc) {
        s->has_cid = d.has_cid;
        s->cid = d.cid;
        s->parent_cid = d.parent_cid;
        v2k_debug("%s: VMDK %s, %zu extents, CID %08x, parentCID %08x",
                  t->name, d.create_type, s->n_ext, d.cid, d.parent_cid);
        if (d.parent_hint && open_parent(img, &d, opts) == -1)
            goto fail;
    }
    v2k_vmdk_desc_free(&d);
    return 0;

fail:
    v2k_vmdk_desc_free(&d);
    vmdk_close(img);
    return -1;
}

static void
vmdk_close(struct v2k_image *img)
{
    struct vmdk_state *s = img->state;

    for (size_t i = 0; i < s->n_ext; i++) {
        free(s->ext[i].gd);
        if (s->ext[i].owns_t)
            v2k_transport_close(s->ext[i].t);
    }
    free(s->ext);
    s->ext = NULL;
    s->n_ext = 0;
    for (size_t i = 0; i < GT_CACHE_SLOTS; i++) {
        free(s->slots[i].buf);
        s->slots[i].buf = NULL;
    }
    v2k_image_close(s->parent);
    s->parent = NULL;
    if (s->lock_init)
        pthread_mutex_destroy(&s->lock);
    s->lock_init = false;
}

static struct v2k_image *
vmdk_backing(struct v2k_image *img)
{
    struct vmdk_state *s = img->state;
    return s->parent;
}

const struct v2k_format v2k_format_vmdk = {
    .name = "vmdk",
    .description = "VMware VMDK (sparse, flat, split, streamOptimized, "
                   "ESX, seSparse, snapshot chains)",
    .instance_size = sizeof(struct vmdk_state),
    .probe = vmdk_probe,
    .open = vmdk_open,
    .pread = vmdk_pread,
    .extents = vmdk_extents,
    .close = vmdk_close,
    .backing = vmdk_backing,
};
