/* qcow2.c - qcow2 images, versions 2 and 3 (read only).
 *
 * The spec is qemu's docs/interop/qcow2.txt; where qemu's implementation
 * sets a tighter limit than the spec (block/qcow2.h) we use qemu's, since
 * an image qemu cannot open is not one we were given by a real user.
 *
 * Supported: header extensions (backing format, feature names, external
 * data file; unknown ones ignored), any refcount_order, zero clusters,
 * compressed clusters (zlib or zstd), extended L2 entries (subclusters),
 * external data files (raw or not), and backing chains of any format.
 * Refused with a message: encryption, unknown incompatible features.
 * Dirty, corrupt-flagged and lazy-refcount images are read as they are:
 * refcounts do not matter to a reader that never writes.
 *
 * The cluster mapping and the L2 cache live in qcow2-l2.c.
 */
#include "qcow2-internal.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

/* The header as stored (spec, "Header"); big endian on disk. */
struct qcow2_header {
    uint32_t magic;                     /*   0 */
    uint32_t version;                   /*   4 */
    uint64_t backing_file_offset;       /*   8 */
    uint32_t backing_file_size;         /*  16 */
    uint32_t cluster_bits;              /*  20 */
    uint64_t size;                      /*  24 */
    uint32_t crypt_method;              /*  32 */
    uint32_t l1_size;                   /*  36 */
    uint64_t l1_table_offset;           /*  40 */
    uint64_t refcount_table_offset;     /*  48 */
    uint32_t refcount_table_clusters;   /*  56 */
    uint32_t nb_snapshots;              /*  60 */
    uint64_t snapshots_offset;          /*  64 */
    /* Version 3 only. */
    uint64_t incompatible_features;     /*  72 */
    uint64_t compatible_features;       /*  80 */
    uint64_t autoclear_features;        /*  88 */
    uint32_t refcount_order;            /*  96 */
    uint32_t header_length;             /* 100 */
    /* Optional, present when header_length > 104. */
    uint8_t compression_type;           /* 104 */
    uint8_t padding[7];                 /* 105 */
} __attribute__((packed));

_Static_assert(sizeof(struct qcow2_header) == 112, "qcow2 header layout");

struct qcow2_ext_header {
    uint32_t type;                      /* 0 */
    uint32_t length;                    /* 4 */
} __attribute__((packed));

/* What the header extensions told us (pointers into the header cluster). */
struct qcow2_exts {
    const unsigned char *feature_names;
    size_t feature_names_len;
    const char *backing_format;
    size_t backing_format_len;
    const char *data_file;
    size_t data_file_len;
};

static void
header_to_cpu(struct qcow2_header *h)
{
    h->magic = be32toh(h->magic);
    h->version = be32toh(h->version);
    h->backing_file_offset = be64toh(h->backing_file_offset);
    h->backing_file_size = be32toh(h->backing_file_size);
    h->cluster_bits = be32toh(h->cluster_bits);
    h->size = be64toh(h->size);
    h->crypt_method = be32toh(h->crypt_method);
    h->l1_size = be32toh(h->l1_size);
    h->l1_table_offset = be64toh(h->l1_table_offset);
    h->refcount_table_offset = be64toh(h->refcount_table_offset);
    h->refcount_table_clusters = be32toh(h->refcount_table_clusters);
    h->nb_snapshots = be32toh(h->nb_snapshots);
    h->snapshots_offset = be64toh(h->snapshots_offset);
    h->incompatible_features = be64toh(h->incompatible_features);
    h->compatible_features = be64toh(h->compatible_features);
    h->autoclear_features = be64toh(h->autoclear_features);
    h->refcount_order = be32toh(h->refcount_order);
    h->header_length = be32toh(h->header_length);
}

static int
qcow2_probe(const unsigned char *buf, size_t len, uint64_t size)
{
    uint32_t version;

    (void)size;
    if (len < 4 || memcmp(buf, "QFI\xfb", 4) != 0)
        return 0;
    if (len < 8)
        return 50;
    memcpy(&version, buf + 4, 4);
    version = be32toh(version);
    /* With a wrong version still claim the file, so that open explains
     * what is wrong instead of the image being read as a raw disk. */
    return version == 2 || version == 3 ? 100 : 50;
}

/* Field checks that need nothing but the header. */
static int
check_header(struct v2k_image *img, struct qcow2_header *h)
{
    const char *name = v2k_image_name(img);
    uint64_t fsize = img->transport->size;

    if (h->magic != QCOW2_MAGIC) {
        v2k_error("%s: bad magic %#x, not a qcow2 image", name, h->magic);
        return -1;
    }
    if (h->version != 2 && h->version != 3) {
        v2k_error("%s: unsupported qcow2 version %u (only 2 and 3 exist)",
                  name, h->version);
        return -1;
    }
    if (h->version == 2) {
        /* Spec: version 2 has none of the fields from byte 72 on. */
        h->incompatible_features = 0;
        h->compatible_features = 0;
        h->autoclear_features = 0;
        h->refcount_order = 4;
        h->header_length = QCOW2_V2_HEADER_LEN;
    } else if (fsize < QCOW2_V3_HEADER_LEN) {
        v2k_error("%s: header is truncated (file is %llu bytes, a version 3 header needs %u)", name, (unsigned long long)fsize,
                  QCOW2_V3_HEADER_LEN);
        return -1;
    } else if (h->header_length < QCOW2_V3_HEADER_LEN) {
        v2k_error("%s: header_length %u is smaller than %u", name,
                  h->header_length, QCOW2_V3_HEADER_LEN);
        return -1;
    }
    /* Spec point 3: a field at or past header_length is absent (= 0). */
    if (h->header_length <= offsetof(struct qcow2_header, compression_type))
        h->compression_type = 0;
    if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
        h->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        v2k_error("%s: cluster_bits %u is out of range (%u to %u)", name,
                  h->cluster_bits, QCOW2_MIN_CLUSTER_BITS,
                  QCOW2_MAX_CLUSTER_BITS);
        return -1;
    }
    if (h->header_length > (1ULL << h->cluster_bits)) {
        v2k_error("%s: header_length %u exceeds the cluster size %llu",
                  name, h->header_length, 1ULL << h->cluster_bits);
        return -1;
    }
    if (h->header_length > fsize) {
        v2k_error("%s: header is truncated (header_length %u, file is %llu bytes)", name, h->header_length,
                  (unsigned long long)fsize);
        return -1;
    }
    if (h->crypt_method != 0) {
        v2k_error("%s: encrypted image (crypt_method %u, %s): encrypted qcow2 is not supported, decrypt it first with qemu-img convert", name, h->crypt_method,
                  h->crypt_method == 1 ? "AES" :
                  h->crypt_method == 2 ? "LUKS" : "unknown");
        return -1;
    }
    if (h->refcount_order > QCOW2_MAX_REFCOUNT_ORDER) {
        v2k_error("%s: refcount_order %u is larger than %u", name,
                  h->refcount_order, QCOW2_MAX_REFCOUNT_ORDER);
        return -1;
    }
    if (h->backing_file_offset != 0) {
        uint64_t cs = 1ULL << h->cluster_bits;
        if (h->backing_file_offset < h->header_length ||
            h->backing_file_offset > cs) {
            v2k_error("%s: backing_file_offset %llu is outside the header cluster", name,
                      (unsigned long long)h->backing_file_offset);
            return -1;
        }
        /* qemu: the name must fit in the first cluster. */
        if (h->backing_file_size > QCOW2_MAX_BACKING_NAME ||
            h->backing_file_size > cs - h->backing_file_offset) {
            v2k_error("%s: backing_file_size %u is too large (at most %u bytes, within the first cluster)", name,
                      h->backing_file_size, QCOW2_MAX_BACKING_NAME);
            return -1;
        }
        if (h->backing_file_offset + h->backing_file_size > fsize) {
            v2k_error("%s: backing file name (offset %llu, %u bytes) is past the end of the file", name,
                      (unsigned long long)h->backing_file_offset,
                      h->backing_file_size);
            return -1;
        }
    }
    return 0;
}

/* Walk the header extensions in buf, which holds the file from
 * header_length to the end of the extension area (spec, "Header
 * extensions"). */
static int
read_extensions(struct v2k_image *img, const unsigned char *buf,
                size_t len, uint64_t base, struct qcow2_exts *x)
{
    const char *name = v2k_image_name(img);
    size_t off = 0;

    while (len - off >= sizeof(struct qcow2_ext_header)) {
        struct qcow2_ext_header eh;
        const unsigned char *data;

        memcpy(&eh, buf + off, sizeof eh);
        eh.type = be32toh(eh.type);
        eh.length = be32toh(eh.length);
        if (eh.type == QCOW2_EXT_END)
            break;
        off += sizeof eh;
        if (eh.length > len - off) {
            v2k_error("%s: header extension %#x at offset %llu: length %u runs past the end of the header area", name, eh.type,
                      (unsigned long long)(base + off - sizeof eh),
                      eh.length);
            return -1;
        }
        data = buf + off;
        switch (eh.type) {
        case QCOW2_EXT_BACKING_FORMAT:
            if (x->backing_format) {
                v2k_error("%s: two backing format header extensions", name);
                return -1;
            }
            if (eh.length == 0 || eh.length > QCOW2_MAX_FORMAT_NAME ||
                memchr(data, 0, eh.length)) {
                v2k_error("%s: backing format header extension: bad name of %u bytes", name, eh.length);
                return -1;
            }
            x->backing_format = (const char *)data;
            x->backing_format_len = eh.length;
            break;
        case QCOW2_EXT_DATA_FILE:
            if (x->data_file) {
                v2k_error("%s: two external data file header extensions",
                          name);
                return -1;
            }
            if (eh.length == 0 || eh.length > QCOW2_MAX_DATA_FILE_NAME ||
                memchr(data, 0, eh.length)) {
                v2k_error("%s: external data file header extension: bad name of %u bytes", name, eh.length);
                return -1;
            }
            x->data_file = (const char *)data;
            x->data_file_len = eh.length;
            break;
        case QCOW2_EXT_FEATURE_NAMES:
            x->feature_names = data;
            x->feature_names_len = eh.length;
            break;
        default:
            break;      /* bitmaps, encryption, unknown: not needed */
        }
        /* Each extension's data is padded to a multiple of 8. */
        off += ((size_t)eh.length + 7) & ~(size_t)7;
        if (off > len)
            break;
    }
    return 0;
}

/* The name of incompatible feature bit, from the image's feature name
 * table when it has one. */
static void
feature_name(const struct qcow2_exts *x, unsigned bit, char *out,
             size_t outlen)
{
    size_t n = x->feature_names_len / QCOW2_FEATURE_NAME_ENTRY;

    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const unsigned char *e = x->feature_names +
            i * QCOW2_FEATURE_NAME_ENTRY;
        if (e[0] == 0 && e[1] == bit) {
            size_t l = strnlen((const char *)e + 2,
                               QCOW2_FEATURE_NAME_ENTRY - 2);
            if (l >= outlen)
                l = outlen - 1;
            memcpy(out, e + 2, l);
            out[l] = '\0';
            for (size_t j = 0; j < l; j++)
                if (out[j] < 0x20 || out[j] > 0x7e)
                    out[j] = '?';
            return;
        }
    }
}

static int
check_features(struct v2k_image *img, const struct qcow2_header *h,
               const struct qcow2_exts *x)
{
    struct v2k_qcow2 *s = img->state;
    const char *name = v2k_image_name(img);
    uint64_t unknown = h->incompatible_features & ~QCOW2_INCOMPAT_KNOWN;

    if (unknown) {
        unsigned bit = (unsigned)__builtin_ctzll(unknown);
        char fname[QCOW2_FEATURE_NAME_ENTRY];
        feature_name(x, bit, fname, sizeof fname);
        v2k_error("%s: unknown incompatible feature bit %u%s%s%s in incompatible_features %#llx", name, bit,
                  fname[0] ? " (" : "", fname, fname[0] ? ")" : "",
                  (unsigned long long)h->incompatible_features);
        return -1;
    }
    s->incompatible = h->incompatible_features;
    s->compatible = h->compatible_features;
    s->autoclear = h->autoclear_features;
    if (s->incompatible & (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT))
        v2k_debug("%s: qcow2 image is marked %s; reading it as it is",
                  name, s->incompatible & QCOW2_INCOMPAT_CORRUPT ?
                  "corrupt" : "dirty");

    /* Spec: bit 3 set <=> compression_type present and non-zero. */
    if (s->incompatible & QCOW2_INCOMPAT_COMPRESSION) {
        if (h->compression_type == QCOW2_COMPRESSION_ZLIB) {
            v2k_error("%s: compression type bit set but compression_type is %s", name,
                      h->header_length <= QCOW2_V3_HEADER_LEN ?
                      "absent" : "0 (zlib)");
            return -1;
        }
    } else if (h->compression_type != QCOW2_COMPRESSION_ZLIB) {
        v2k_error("%s: compression_type %u without the compression type incompatible feature bit", name, h->compression_type);
        return -1;
    }
    if (h->compression_type != QCOW2_COMPRESSION_ZLIB &&
        h->compression_type != QCOW2_COMPRESSION_ZSTD) {
        v2k_error("%s: unknown compression_type %u", name,
                  h->compression_type);
        return -1;
    }
    s->compression = h->compression_type;

    if (s->incompatible & QCOW2_INCOMPAT_EXTL2) {
        if (h->cluster_bits < QCOW2_EXTL2_MIN_CLUSTER_BITS) {
            v2k_error("%s: cluster_bits %u is too small for extended L2 entries (at least %u)", name, h->cluster_bits,
                      QCOW2_EXTL2_MIN_CLUSTER_BITS);
            return -1;
        }
        s->extended_l2 = true;
    }
    if ((s->incompatible & QCOW2_INCOMPAT_DATA_FILE) && x->data_file == NULL) {
        v2k_error("%s: external data file bit is set but the image has no external data file name header extension", name);
        return -1;
    }
    return 0;
}

/* A cluster aligned table of len bytes at offset, inside the file. */
static int
check_table(struct v2k_image *img, const char *what, uint64_t offset,
            uint64_t len)
{
    struct v2k_qcow2 *s = img->state;
    const char *name = v2k_image_name(img);
    uint64_t end;

    if (offset & (s->cluster_size - 1)) {
        v2k_error("%s: %s offset %llu is not cluster aligned", name, what,
                  (unsigned long long)offset);
        return -1;
    }
    if (offset == 0) {
        v2k_error("%s: %s offset 0 overlaps the header", name, what);
        return -1;
    }
    if (V2K_ADD_OVERFLOW(offset, len, &end) ||
        end > img->transport->size) {
        v2k_error("%s: %s offset %llu (%llu bytes) is past the end of the file (%llu bytes)", name, what,
                  (unsigned long long)offset, (unsigned long long)len,
                  (unsigned long long)img->transport->size);
        return -1;
    }
    return 0;
}

/* Geometry, size limits and the tables the header points to. */
static int
check_geometry(struct v2k_image *img, const struct qcow2_header *h)
{
    struct v2k_qcow2 *s = img->state;
    const char *name = v2k_image_name(img);
    uint64_t max_l1 = QCOW2_MAX_L1_BYTES / sizeof(uint64_t);
    uint64_t span, max_size, reftable_max;

    s->version = h->version;
    s->cluster_bits = h->cluster_bits;
    s->cluster_size = 1ULL << h->cluster_bits;
    s->l2_entry_size = s->extended_l2 ? 16 : 8;
    s->l2_bits = s->cluster_bits - (s->extended_l2 ? 4 : 3);
    s->subcluster_bits = s->cluster_bits - 5;   /* 32 subclusters */
    /* Spec, "Compressed Clusters Descriptor": x = 62 - (cluster_bits - 8)
     * bits of offset, then cluster_bits - 8 bits of extra sectors. */
    s->csize_shift = 62 - (s->cluster_bits - 8);
    s->csize_mask = (1ULL << (s->cluster_bits - 8)) - 1;
    s->coffset_mask = (1ULL << s->csize_shift) - 1;

    /* qemu caps the L1 table at 32 MiB, which caps the virtual size;
     * cluster_bits <= 21 keeps this below 2^62. */
    span = s->cluster_size << s->l2_bits;
    max_size = max_l1 * span;
    if (h->size > max_size) {
        v2k_error("%s: size %llu exceeds the maximum %llu for %llu-byte clusters", name, (unsigned long long)h->size,
                  (unsigned long long)max_size,
                  (unsigned long long)s->cluster_size);
        return -1;
    }
    s->l1_entries = V2K_DIV_ROUND_UP(h->size, span);
    if (h->l1_size > max_l1) {
        v2k_error("%s: l1_size %u exceeds qemu's limit of %llu entries",
                  name, h->l1_size, (unsigned long long)max_l1);
        return -1;
    }
    if (h->l1_size < s->l1_entries) {
        v2k_error("%s: l1_size %u is too small for the virtual size %llu (needs %llu entries)", name, h->l1_size,
                  (unsigned long long)h->size,
                  (unsigned long long)s->l1_entries);
        return -1;
    }
    if (h->l1_size > 0 &&
        check_table(img, "L1 table", h->l1_table_offset,
                    (uint64_t)h->l1_size * sizeof(uint64_t)) == -1)
        return -1;

    /* Refcounts only matter to writers; still the table must exist
     * where the header says (qemu refuses an image without one). */
    reftable_max = QCOW2_MAX_REFTABLE_BYTES >> s->cluster_bits;
    if (h->refcount_table_clusters == 0 ||
        h->refcount_table_clusters > reftable_max) {
        v2k_error("%s: refcount_table_clusters %u is out of range (1 to %llu)", name, h->refcount_table_clusters,
                  (unsigned long long)reftable_max);
        return -1;
    }
    if (check_table(img, "refcount table", h->refcount_table_offset,
                    sizeof(uint64_t)) == -1)
        return -1;

    if (h->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
        v2k_error("%s: nb_snapshots %u exceeds qemu's limit of %u", name,
                  h->nb_snapshots, QCOW2_MAX_SNAPSHOTS);
        return -1;
    }
    if (h->nb_snapshots > 0 &&
        check_table(img, "snapshot table", h->snapshots_offset,
                    (uint64_t)h->nb_snapshots *
                    QCOW2_SNAPSHOT_ENTRY_MIN) == -1)
        return -1;
    img->size = h->size;
    return 0;
}

/* Read the active L1 table entries that map the virtual disk, and check
 * every L2 table pointer once so lookups need not. */
static int
load_l1(struct v2k_image *img, const struct qcow2_header *h)
{
    struct v2k_qcow2 *s = img->state;
    const char *name = v2k_image_name(img);
    size_t bytes = (size_t)s->l1_entries * sizeof(uint64_t);

    if (s->l1_entries == 0)
        return 0;
    /* Bounded: within the file (check_geometry) and <= 32 MiB. */
    s->l1 = malloc(bytes);
    if (s->l1 == NULL) {
        v2k_error("%s: out of memory for the L1 table (%zu bytes)", name,
                  bytes);
        return -1;
    }
    if (v2k_transport_pread(img->transport, s->l1, bytes,
                            h->l1_table_offset) == -1)
        return -1;
    for (uint64_t i = 0; i < s->l1_entries; i++) {
        uint64_t l2 = be64toh(s->l1[i]) & QCOW2_OFFSET_MASK;
        if (l2 & (s->cluster_size - 1)) {
            v2k_error("%s: L1 entry %llu: L2 table offset %llu is not cluster aligned", name, (unsigned long long)i,
                      (unsigned long long)l2);
            return -1;
        }
        if (l2 != 0 && (l2 >= img->transport->size ||
                        s->cluster_size > img->transport->size - l2)) {
            v2k_error("%s: L1 entry %llu: L2 table offset %llu is past the end of the file (%llu bytes)", name,
                      (unsigned long long)i, (unsigned long long)l2,
                      (unsigned long long)img->transport->size);
            return -1;
        }
        s->l1[i] = l2;
    }
    return 0;
}

static char *
dup_name(const char *p, size_t len)
{
    char *r = v2k_malloc(len + 1);
    if (r) {
        memcpy(r, p, len);
        r[len] = '\0';
    }
    return r;
}

static int
open_data_file(struct v2k_image *img, const struct qcow2_exts *x,
               const struct v2k_open_opts *opts)
{
    struct v2k_qcow2 *s = img->state;

    if (!(s->incompatible & QCOW2_INCOMPAT_DATA_FILE))
        return 0;       /* a stray name without the bit is ignored */
    s->data_file_name = dup_name(x->data_file, x->data_file_len);
    if (s->data_file_name == NULL)
        return -1;
    if (!v2k_transport_may_follow(img->transport, s->data_file_name)) {
        v2k_error("%s: refusing to follow absolute external data file name '%s'", v2k_image_name(img), s->data_file_name);
        return -1;
    }
    s->data_file = v2k_image_open_sibling(img, s->data_file_name, opts);
    if (s->data_file == NULL) {
        v2k_error_prepend("%s: external data file: ", v2k_image_name(img));
        return -1;
    }
    return 0;
}

static int
open_backing(struct v2k_image *img, const struct qcow2_header *h,
             const struct qcow2_exts *x, const struct v2k_open_opts *opts)
{
    struct v2k_qcow2 *s = img->state;
    const char *name = v2k_image_name(img);

    if (h->backing_file_offset == 0 || h->backing_file_size == 0) {
        if (opts->backing_override && opts->depth == 0) {
            v2k_error("%s: has no backing file to replace with %s", name,
                      v2k_image_name(opts->backing_override));
            return -1;
        }
        return 0;
    }
    s->backing_name = v2k_malloc(h->backing_file_size + 1);
    if (s->backing_name == NULL)
        return -1;
    if (v2k_transport_pread(img->transport, s->backing_name,
                            h->backing_file_size,
                            h->backing_file_offset) == -1)
        return -1;
    s->backing_name[h->backing_file_size] = '\0';
    if (strlen(s->backing_name) != h->backing_file_size) {
        v2k_error("%s: backing file name at offset %llu contains a NUL byte", name, (unsigned long long)h->backing_file_offset);
        return -1;
    }
    if (x->backing_format) {
        s->backing_format = dup_name(x->backing_format,
                                     x->backing_format_len);
        if (s->backing_format == NULL)
            return -1;
        /* qemu calls VHD "vpc". */
        if (v2k_format_lookup(s->backing_format) == NULL &&
            strcmp(s->backing_format, "vpc") == 0 &&
            v2k_format_lookup("vhd") != NULL)
            memcpy(s->backing_format, "vhd", sizeof "vhd");
        if (v2k_format_lookup(s->backing_format) == NULL) {
            v2k_error("%s: backing format '%s' (header extension) is not a format v2kvm reads", name, s->backing_format);
            return -1;
        }
    }
    if (opts->backing_override && opts->depth == 0) {
        v2k_debug("%s: backing file '%s' replaced by %s", name,
                  s->backing_name, v2k_image_name(opts->backing_override));
        s->backing = opts->backing_override;
        s->backing_borrowed = true;
        return 0;
    }
    v2k_debug("%s: backing file '%s' (format %s)", name, s->backing_name,
              s->backing_format ? s->backing_format : "probed");
    s->backing = v2k_image_open_backing(img, s->backing_name,
                                        s->backing_format, opts);
    return s->backing ? 0 : -1;
}

static void
qcow2_close(struct v2k_image *img)
{
    struct v2k_qcow2 *s = img->state;

    if (!s->backing_borrowed)
        v2k_image_close(s->backing);
    s->backing = NULL;
    s->backing_borrowed = false;
    v2k_transport_close(s->data_file);
    s->data_file = NULL;
    v2k_qcow2_cache_free(s);
    free(s->l1);
    free(s->backing_name);
    free(s->backing_format);
    free(s->data_file_name);
    s->l1 = NULL;
    s->backing_name = s->backing_format = s->data_file_name = NULL;
}

static int
qcow2_open(struct v2k_image *img, const struct v2k_open_opts *opts)
{
    const char *name = v2k_image_name(img);
    uint64_t fsize = img->transport->size;
    struct qcow2_header h;
    struct qcow2_exts x = { 0 };
    unsigned char *area = NULL;
    uint64_t ext_end;

    if (fsize < QCOW2_V2_HEADER_LEN) {
        v2k_error("%s: header is truncated (file is %llu bytes, a qcow2 header needs %u)", name, (unsigned long long)fsize,
                  QCOW2_V2_HEADER_LEN);
        return -1;
    }
    memset(&h, 0, sizeof h);
    if (v2k_transport_pread(img->transport, &h,
                            fsize < sizeof h ? (size_t)fsize : sizeof h,
                            0) == -1)
        return -1;
    header_to_cpu(&h);
    if (check_header(img, &h) == -1)
        return -1;

    /* Extensions run from header_length to the backing file name, or to
     * the end of the first cluster (spec, "Header extensions"). */
    ext_end = h.backing_file_offset ? h.backing_file_offset :
        1ULL << h.cluster_bits;
    if (ext_end > fsize)
        ext_end = fsize;
    if (ext_end > h.header_length) {
        size_t len = (size_t)(ext_end - h.header_length);  /* <= 2 MiB */
        area = v2k_malloc(len);
        if (area == NULL)
            return -1;
        if (v2k_transport_pread(img->transport, area, len,
                                h.header_length) == -1 ||
            read_extensions(img, area, len, h.header_length, &x) == -1)
            goto fail;
    }
    if (check_features(img, &h, &x) == -1 ||
        check_geometry(img, &h) == -1 ||
        v2k_qcow2_cache_init(img) == -1 ||
        load_l1(img, &h) == -1 ||
        open_data_file(img, &x, opts) == -1 ||
        open_backing(img, &h, &x, opts) == -1)
        goto fail;
    free(area);
    return 0;

fail:
    free(area);
    qcow2_close(img);
    return -1;
}

/* Read [offset, offset + count) of the backing image, zeros past its
 * end (spec: a shorter backing file reads as zeros beyond it). */
static int
read_backing(struct v2k_image *img, char *buf, size_t count, uint64_t offset)
{
    struct v2k_qcow2 *s = img->state;
    return v2k_image_pread_backing(s->backing, buf, count, offset);
}

/* Read a DATA run at host offset.  A cluster that ends past the end of
 * the file reads as zeros there (qemu's file driver does the same; the
 * last cluster of an image is not always written whole), and so does an
 * external data file shorter than the disk. */
static int
read_data(struct v2k_image *img, char *buf, size_t count, uint64_t host)
{
    struct v2k_transport *t = v2k_qcow2_data(img);
    size_t n = 0;

    if (host < t->size) {
        uint64_t left = t->size - host;
        n = left < count ? (size_t)left : count;
        if (v2k_transport_pread(t, buf, n, host) == -1)
            return -1;
    }
    memset(buf + n, 0, count - n);
    return 0;
}

static int
read_compressed(struct v2k_image *img, char *buf, size_t count,
                uint64_t offset, uint64_t l2e)
{
    struct v2k_qcow2 *s = img->state;
    uint64_t in_cluster = offset & (s->cluster_size - 1);
    unsigned char *tmp;

    if (in_cluster == 0 && count == s->cluster_size)
        return v2k_qcow2_decompress(img, offset, l2e, buf);
    tmp = malloc(s->cluster_size);
    if (tmp == NULL) {
        v2k_error("%s: out of memory for a compressed cluster",
                  v2k_image_name(img));
        return -1;
    }
    if (v2k_qcow2_decompress(img, offset, l2e, tmp) == -1) {
        free(tmp);
        return -1;
    }
    memcpy(buf, tmp + in_cluster, count);
    free(tmp);
    return 0;
}

static int
qcow2_pread(struct v2k_image *img, void *buf, size_t count, uint64_t offset)
{
    char *p = buf;

    while (count > 0) {
        struct v2k_qcow2_run run;
        size_t n;
        int r = 0;

        if (v2k_qcow2_map(img, offset, count, &run) == -1)
            return -1;
        n = (size_t)run.length;
        switch (run.kind) {
        case V2K_QCOW2_DATA:
            r = read_data(img, p, n, run.host);
            break;
        case V2K_QCOW2_ZERO:
            memset(p, 0, n);
            break;
        case V2K_QCOW2_UNALLOCATED:
            r = read_backing(img, p, n, offset);
            break;
        case V2K_QCOW2_COMPRESSED:
            r = read_compressed(img, p, n, offset, run.l2e);
            break;
        }
        if (r == -1)
            return -1;
        p += n;
        offset += n;
        count -= n;
    }
    return 0;
}

/* Where this layer stores nothing, the chain below answers. */
static int
backing_extents(struct v2k_image *img, uint64_t offset, uint64_t length,
                struct v2k_extent_list *out)
{
    struct v2k_qcow2 *s = img->state;
    return v2k_image_extents_backing(s->backing, offset, length, out);
}

/* Stop early once this many extents were added: the caller asks again
 * from where we stopped, so memory stays bounded on huge disks. */
#define QCOW2_EXTENTS_BATCH 4096

static int
qcow2_extents(struct v2k_image *img, uint64_t offset, uint64_t length,
              struct v2k_extent_list *out)
{
    uint64_t end = offset + length;
    size_t first = out->n;

    while (offset < end && out->n - first < QCOW2_EXTENTS_BATCH) {
        struct v2k_qcow2_run run;
        int r = 0;

        if (v2k_qcow2_map(img, offset, end - offset, &run) == -1)
            return -1;
        switch (run.kind) {
        case V2K_QCOW2_DATA:
        case V2K_QCOW2_COMPRESSED:
            r = v2k_extent_list_add(out, offset, run.length,
                                    V2K_EXTENT_DATA);
            break;
        case V2K_QCOW2_ZERO:
            r = v2k_extent_list_add(out, offset, run.length,
                                    V2K_EXTENT_ZERO);
            break;
        case V2K_QCOW2_UNALLOCATED:
            r = backing_extents(img, offset, run.length, out);
            break;
        }
        if (r == -1)
            return -1;
        offset += run.length;
    }
    return 0;
}

static struct v2k_image *
qcow2_backing(struct v2k_image *img)
{
    struct v2k_qcow2 *s = img->state;
    return s->backing;
}

const struct v2k_format v2k_format_qcow2 = {
    .name = "qcow2",
    .description = "QEMU copy-on-write image, versions 2 and 3",
    .instance_size = sizeof(struct v2k_qcow2),
    .probe = qcow2_probe,
    .open = qcow2_open,
    .pread = qcow2_pread,
    .extents = qcow2_extents,
    .close = qcow2_close,
    .backing = qcow2_backing,
};
