/* qcow2-internal.h - shared between qcow2.c (header, open, read paths)
 * and qcow2-l2.c (L2 cache, cluster mapping, decompression).
 *
 * Constants come from qemu's docs/interop/qcow2.txt ("the spec" below)
 * unless a comment says "qemu" or names a QCOW_* macro: those are
 * implementation limits from qemu's block/qcow2.h.  Everything in
 * struct v2k_qcow2 is immutable after open except the L2 cache, which the
 * mutex guards: pread and extents run from several threads at once.
 */
#ifndef V2K_QCOW2_INTERNAL_H
#define V2K_QCOW2_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "format.h"

#define QCOW2_MAGIC 0x514649fbU                 /* "QFI\xfb" */
#define QCOW2_V2_HEADER_LEN 72                  /* spec: "exactly 72" */
#define QCOW2_V3_HEADER_LEN 104                 /* spec: "at least 104" */
#define QCOW2_MIN_CLUSTER_BITS 9                /* spec: 512 bytes */
#define QCOW2_MAX_CLUSTER_BITS 21               /* qemu: 2 MiB */
#define QCOW2_EXTL2_MIN_CLUSTER_BITS 14         /* spec: 16 KiB */
#define QCOW2_MAX_BACKING_NAME 1023             /* spec */
#define QCOW2_MAX_L1_BYTES (32U << 20)          /* QCOW_MAX_L1_SIZE */
#define QCOW2_MAX_REFTABLE_BYTES (8U << 20)     /* QCOW_MAX_REFTABLE_SIZE */
#define QCOW2_MAX_SNAPSHOTS 65536               /* qemu QCOW_MAX_SNAPSHOTS */
#define QCOW2_SNAPSHOT_ENTRY_MIN 40             /* spec: fixed part */
#define QCOW2_MAX_REFCOUNT_ORDER 6              /* spec */
#define QCOW2_MAX_FORMAT_NAME 15                /* qemu: backing_format[16] */
#define QCOW2_MAX_DATA_FILE_NAME 4095

/* Feature bits (spec, header bytes 72-95). */
#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)
#define QCOW2_INCOMPAT_KNOWN 0x1fULL
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW (1ULL << 1)

/* compression_type (spec, header byte 104). */
#define QCOW2_COMPRESSION_ZLIB 0
#define QCOW2_COMPRESSION_ZSTD 1

/* Header extension types (spec, "Header extensions"). */
#define QCOW2_EXT_END 0x00000000U
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acaU
#define QCOW2_EXT_FEATURE_NAMES 0x6803f857U
#define QCOW2_EXT_DATA_FILE 0x44415441U
#define QCOW2_FEATURE_NAME_ENTRY 48             /* spec: type, bit, name */

/* L1 and L2 entries (spec, "Cluster mapping"). */
#define QCOW2_OFLAG_COPIED (1ULL << 63)
#define QCOW2_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW2_OFLAG_ZERO (1ULL << 0)
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ULL /* bits 9-55 */
#define QCOW2_SUBCLUSTERS 32                    /* spec: extended L2 */
#define QCOW2_COMPRESSED_SECTOR 512             /* spec: compressed size unit */

/* L2 cache bounds: at most this many tables, and no more than
 * QCOW2_L2_CACHE_BYTES of them (2 MiB clusters make 2 MiB tables). */
#define QCOW2_L2_CACHE_MAX 32
#define QCOW2_L2_CACHE_MIN 4
#define QCOW2_L2_CACHE_BYTES (32U << 20)

struct v2k_qcow2_l2_slot {
    uint64_t offset;            /* host offset of the cached table, 0 = none */
    uint64_t last_use;          /* LRU clock */
    unsigned char *table;       /* cluster_size bytes, big endian as read */
};

struct v2k_qcow2 {
    unsigned version;           /* 2 or 3 */
    unsigned cluster_bits;
    uint64_t cluster_size;
    unsigned l2_bits;           /* log2 of entries per L2 table */
    unsigned l2_entry_size;     /* 8, or 16 with extended L2 entries */
    bool extended_l2;
    unsigned subcluster_bits;   /* cluster_bits - 5 with extended L2 */
    unsigned compression;       /* QCOW2_COMPRESSION_* */
    unsigned csize_shift;       /* compressed descriptor layout (spec) */
    uint64_t csize_mask;
    uint64_t coffset_mask;
    uint64_t incompatible, compatible, autoclear;

    uint64_t l1_entries;        /* entries used for the virtual size */
    uint64_t *l1;               /* L2 table host offsets, 0 = none */

    struct v2k_transport *data_file;    /* owned, external data, or NULL */
    char *data_file_name;               /* owned */
    struct v2k_image *backing;          /* owned unless backing_borrowed,
                                           or NULL */
    bool backing_borrowed;              /* v2k_open_opts.backing_override */
    char *backing_name;                 /* owned */
    char *backing_format;               /* owned, or NULL = probe */

    pthread_mutex_t lock;       /* guards the L2 cache */
    bool lock_ready;
    unsigned l2_slots;
    uint64_t l2_clock;
    struct v2k_qcow2_l2_slot l2_cache[QCOW2_L2_CACHE_MAX];
};

/* What a run of guest bytes maps to. */
enum v2k_qcow2_kind {
    V2K_QCOW2_DATA,             /* stored at host (data transport) */
    V2K_QCOW2_ZERO,             /* zero flag: reads as zeros */
    V2K_QCOW2_UNALLOCATED,      /* read the backing file, else zeros */
    V2K_QCOW2_COMPRESSED,       /* one compressed cluster, entry in l2e */
};

struct v2k_qcow2_run {
    enum v2k_qcow2_kind kind;
    uint64_t length;            /* guest bytes from the asked offset */
    uint64_t host;              /* DATA: host offset of the asked offset */
    uint64_t l2e;               /* COMPRESSED: the L2 entry */
};

/* The transport guest data lives in (the image or its data file). */
static inline struct v2k_transport *
v2k_qcow2_data(struct v2k_image *img)
{
    struct v2k_qcow2 *s = img->state;
    return s->data_file ? s->data_file : img->transport;
}

/* Size the L2 cache and create its lock (qcow2-l2.c). */
int v2k_qcow2_cache_init(struct v2k_image *img);
void v2k_qcow2_cache_free(struct v2k_qcow2 *s);

/* Map [offset, offset + max) from its start: one run of the same kind
 * (contiguous on the host for DATA; never more than one cluster for
 * COMPRESSED; never across an L2 table).  length >= 1 on success. */
int v2k_qcow2_map(struct v2k_image *img, uint64_t offset, uint64_t max,
                  struct v2k_qcow2_run *run);

/* Decompress the compressed cluster holding guest offset guest (entry
 * l2e) into dst, cluster_size bytes. */
int v2k_qcow2_decompress(struct v2k_image *img, uint64_t guest, uint64_t l2e,
                         void *dst);

#endif
