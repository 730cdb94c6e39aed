/* vhd.c - Microsoft Virtual Hard Disk images (VHD, Virtual PC).
 *
 * Facts from Microsoft's "Virtual Hard Disk Image Format Specification"
 * (v1.0, 2006) and qemu's block/vpc.c.  Everything is big-endian.
 *   footer   512 bytes, "conectix", at the end of the file; dynamic and
 *            differencing disks keep a copy at offset 0.  Its checksum is
 *            the one's complement of the byte sum with the field zeroed.
 *   fixed (2)          the disk's bytes, then the footer
 *   dynamic (3)        a dynamic disk header ("cxsparse", 1024 bytes) at
 *            the footer's data offset points to the Block Allocation Table:
 *            one 32-bit sector number per block (0xffffffff = not
 *            allocated).  A block is a sector bitmap (one bit per sector,
 *            most significant bit first, padded to 512 bytes) followed by
 *            block_size bytes of data.  Clear bits read as zero.
 *   differencing (4)   a dynamic disk whose unallocated blocks and clear
 *            bitmap bits read from the parent, found through the parent
 *            locators (W2ru/W2ku: UTF-16LE Windows paths, MacX: a UTF-8
 *            file URL) or the parent's name, and checked against the
 *            parent unique id in the dynamic header.
 * qemu reads differencing disks as dynamic ones (no parent) and ignores
 * the bitmaps; we do neither.
 *
 * State is read-only after open, so pread and extents are thread-safe.
 */
#include "format.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VHD_SECTOR          512
#define VHD_FOOTER_SIZE     512
#define VHD_DYN_HEADER_SIZE 1024
#define VHD_VERSION_MAJOR   1               /* 0x00010000 in both headers */
#define VHD_TYPE_FIXED      2
#define VHD_TYPE_DYNAMIC    3
#define VHD_TYPE_DIFF       4
#define VHD_BAT_FREE        0xffffffffU

/* Parent locator platform codes (spec, "Parent Locator Entries"). */
#define VHD_PLAT_W2RU       0x57327275U     /* "W2ru" relative, UTF-16LE */
#define VHD_PLAT_W2KU       0x57326b75U     /* "W2ku" absolute, UTF-16LE */
#define VHD_PLAT_MACX       0x4d616358U     /* "MacX" file URL, UTF-8 */
#define VHD_LOCATORS        8
#define VHD_MAX_LOCATOR     4096            /* bytes of locator data */

/* qemu's vpc.c: 2040 GiB, the most a dynamic VHD holds; and the CHS
 * geometry that means "too big for CHS, use the current size". */
#define VHD_MAX_SECTORS     0xff000000ULL
#define VHD_MAX_GEOMETRY    (65535ULL * 16 * 255)

/* Our caps on block size: the spec's default is 2 MiB. */
#define VHD_MIN_BLOCK       512U
#define VHD_MAX_BLOCK       (256U << 20)

struct vhd_footer {
    char cookie[8];                 /*   0 "conectix" */
    uint32_t features;              /*   8 */
    uint32_t version;               /*  12 file format version */
    uint64_t data_offset;           /*  16 dynamic header, ~0 if fixed */
    uint32_t timestamp;             /*  24 seconds since 2000-01-01 */
    char creator_app[4];            /*  28 "vpc ", "qemu", "win "... */
    uint32_t creator_version;       /*  32 */
    uint32_t creator_os;            /*  36 */
    uint64_t original_size;         /*  40 */
    uint64_t current_size;          /*  48 */
    uint16_t cylinders;             /*  56 disk geometry */
    uint8_t heads;                  /*  58 */
    uint8_t sectors;                /*  59 per track */
    uint32_t disk_type;             /*  60 */
    uint32_t checksum;              /*  64 */
    uint8_t unique_id[16];          /*  68 */
    uint8_t saved_state;            /*  84 */
    uint8_t reserved[427];          /*  85 */
} __attribute__((packed));

struct vhd_parent_locator {
    uint32_t platform_code;         /*   0 */
    uint32_t data_space;            /*   4 */
    uint32_t data_length;           /*   8 bytes */
    uint32_t reserved;              /*  12 */
    uint64_t data_offset;           /*  16 in the file */
} __attribute__((packed));

struct vhd_dyn_header {
    char cookie[8];                 /*   0 "cxsparse" */
    uint64_t data_offset;           /*   8 unused, ~0 */
    uint64_t table_offset;          /*  16 BAT */
    uint32_t version;               /*  24 header version */
    uint32_t max_table_entries;     /*  28 */
    uint32_t block_size;            /*  32 */
    uint32_t checksum;              /*  36 */
    uint8_t parent_unique_id[16];   /*  40 */
    uint32_t parent_timestamp;      /*  56 */
    uint32_t reserved1;             /*  60 */
    uint8_t parent_name[512];       /*  64 UTF-16BE */
    struct vhd_parent_locator loc[VHD_LOCATORS]; /* 576 */
    uint8_t reserved2[256];         /* 768 */
} __attribute__((packed));

_Static_assert(sizeof(struct vhd_footer) == VHD_FOOTER_SIZE,
               "VHD footer is 512 bytes");
_Static_assert(sizeof(struct vhd_dyn_header) == VHD_DYN_HEADER_SIZE,
               "VHD dynamic header is 1024 bytes");

struct vhd_state {
    struct vhd_footer f;            /* CPU order */
    struct vhd_dyn_header d;        /* CPU order; dynamic/diff only */
    uint32_t *bat;                  /* CPU order, d.max_table_entries */
    uint32_t bitmap_size;           /* bytes before each block's data */
    struct v2k_image *parent;       /* owned; differencing only */
};

static uint32_t
vhd_checksum(const void *buf, size_t len, size_t csum_off)
{
    const unsigned char *p = buf;
    uint32_t sum = 0;

    for (size_t i = 0; i < len; i++)
        if (i < csum_off || i >= csum_off + 4)
            sum += p[i];
    return ~sum;
}

static void
vhd_footer_to_cpu(struct vhd_footer *f)
{
    f->features = be32toh(f->features);
    f->version = be32toh(f->version);
    f->data_offset = be64toh(f->data_offset);
    f->timestamp = be32toh(f->timestamp);
    f->creator_version = be32toh(f->creator_version);
    f->creator_os = be32toh(f->creator_os);
    f->original_size = be64toh(f->original_size);
    f->current_size = be64toh(f->current_size);
    f->cylinders = be16toh(f->cylinders);
    f->disk_type = be32toh(f->disk_type);
    f->checksum = be32toh(f->checksum);
}

static void
vhd_dyn_header_to_cpu(struct vhd_dyn_header *d)
{
    d->data_offset = be64toh(d->data_offset);
    d->table_offset = be64toh(d->table_offset);
    d->version = be32toh(d->version);
    d->max_table_entries = be32toh(d->max_table_entries);
    d->block_size = be32toh(d->block_size);
    d->checksum = be32toh(d->checksum);
    d->parent_timestamp = be32toh(d->parent_timestamp);
    for (int i = 0; i < VHD_LOCATORS; i++) {
        struct vhd_parent_locator *l = &d->loc[i];
        l->platform_code = be32toh(l->platform_code);
        l->data_space = be32toh(l->data_space);
        l->data_length = be32toh(l->data_length);
        l->data_offset = be64toh(l->data_offset);
    }
}

static void
vhd_uuid_str(const uint8_t u[16], char out[37])
{
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
             u[10], u[11], u[12], u[13], u[14], u[15]);
}

static int
vhd_probe(const unsigned char *buf, size_t len, uint64_t size)
{
    (void)size;
    /* Dynamic and differencing disks start with a footer copy; a fixed
     * disk usually does not (vhd_probe_tail). */
    if (len >= 8 && memcmp(buf, "conectix", 8) == 0)
        return 100;
    return 0;
}

/* A fixed disk is its data followed by the footer (spec, "Fixed Hard
 * Disk Image"), nothing at offset 0: qemu's vpc_probe misses it and reads
 * it as raw, footer included.  It is recognised here by a footer at the
 * end whose checksum is good, of disk type fixed, format version 1.x,
 * whose current size is exactly the file's length minus the footer:
 * a raw disk whose last sector happens to be all that is a fixed VHD. */
static int
vhd_probe_tail(const unsigned char *buf, size_t len, uint64_t size)
{
    struct vhd_footer f;

    if (len < sizeof f || size % VHD_SECTOR != 0 || size < 2 * VHD_SECTOR)
        return 0;
    memcpy(&f, buf + len - sizeof f, sizeof f);
    if (memcmp(f.cookie, "conectix", 8) != 0 ||
        be32toh(f.checksum) != vhd_checksum(&f, sizeof f, 64))
        return 0;
    vhd_footer_to_cpu(&f);
    if (f.disk_type != VHD_TYPE_FIXED ||
        f.version >> 16 != VHD_VERSION_MAJOR ||
        f.current_size != size - VHD_FOOTER_SIZE)
        return 0;
    return 100;
}

/* --- the footer ------------------------------------------------------- */

/* 1 when raw (as read) is a footer with a good checksum, 0 when it is
 * not a footer, -1 (recorded) when its checksum is wrong. */
static int
vhd_footer_ok(const char *name, const struct vhd_footer *raw, uint64_t off)
{
    uint32_t want, got;

    if (memcmp(raw->cookie, "conectix", 8) != 0)
        return 0;
    want = be32toh(raw->checksum);
    got = vhd_checksum(raw, sizeof *raw, 64);
    if (want != got) {
        v2k_error("%s: footer checksum 0x%08x at offset %llu does not match the computed 0x%08x", name, want,
                  (unsigned long long)off + 64, got);
        return -1;
    }
    return 1;
}

/* Find the footer: the one at the end is the reference; a dynamic disk's
 * copy at offset 0 stands in when the end is damaged or truncated (the
 * spec keeps it for that).  On success f is the footer in CPU order. */
static int
vhd_read_footer(struct v2k_transport *t, struct vhd_footer *f,
                uint64_t *where)
{
    struct vhd_footer head;
    uint64_t tail_off = t->size - VHD_FOOTER_SIZE;
    int tail_ok, head_ok;
    char tail_err[V2K_ERROR_MAX] = "";

    if (v2k_transport_pread(t, f, sizeof *f, tail_off) == -1)
        return -1;
    tail_ok = vhd_footer_ok(t->name, f, tail_off);
    if (tail_ok == 1) {
        *where = tail_off;
        vhd_footer_to_cpu(f);
        return 0;
    }
    if (tail_ok == -1)
        snprintf(tail_err, sizeof tail_err, "%s", v2k_error_message());
    if (v2k_transport_pread(t, &head, sizeof head, 0) == -1)
        return -1;
    head_ok = vhd_footer_ok(t->name, &head, 0);
    if (head_ok == 1 && be32toh(head.disk_type) != VHD_TYPE_FIXED) {
        v2k_debug("vhd: %s: no good footer at the end, using the copy at offset 0", t->name);
        *f = head;
        *where = 0;
        vhd_footer_to_cpu(f);
        return 0;
    }
    if (tail_ok == -1)
        v2k_error("%s", tail_err);
    else if (head_ok == 0)
        v2k_error("%s: no VHD footer (\"conectix\") at offset %llu or 0",
                  t->name, (unsigned long long)tail_off);
    else if (head_ok == 1)
        v2k_error("%s: no VHD footer at offset %llu, and the copy at offset 0 is of a fixed disk", t->name,
                  (unsigned long long)tail_off);
    return -1;
}

/* The virtual size, as qemu's vpc_open chooses it: Virtual PC and old
 * qemu ("vpc ", "qemu") size the disk by its CHS geometry, everybody
 * else (Hyper-V "win ", "qem2", "d2v ", XenServer "tap\0", "CTXS",
 * Azure "wa\0\0", VirtualBox "vbox"...) by the current size field; CHS
 * at its maximum means the disk was too big for CHS. */
static uint64_t
vhd_virtual_size(const struct vhd_footer *f)
{
    uint64_t chs = (uint64_t)f->cylinders * f->heads * f->sectors;
    bool use_chs = memcmp(f->creator_app, "vpc ", 4) == 0 ||
                   memcmp(f->creator_app, "qemu", 4) == 0;

    if (!use_chs || chs == VHD_MAX_GEOMETRY)
        return f->current_size / VHD_SECTOR * VHD_SECTOR;
    return chs * VHD_SECTOR;
}

/* --- the dynamic header and the BAT ----------------------------------- */

static int
vhd_check_dyn_header(struct v2k_image *img, uint64_t hoff)
{
    struct vhd_state *s = img->state;
    const struct vhd_dyn_header *d = &s->d;
    const char *name = v2k_image_name(img);
    uint64_t fsize = img->transport->size, need, bat_end;

    if (memcmp(d->cookie, "cxsparse", 8) != 0) {
        v2k_error("%s: no dynamic disk header (\"cxsparse\") at offset %llu (footer data offset)", name,
                  (unsigned long long)hoff);
        return -1;
    }
    if (d->version >> 16 != VHD_VERSION_MAJOR) {
        v2k_error("%s: unsupported dynamic header version 0x%08x at offset %llu", name, d->version, (unsigned long long)hoff + 24);
        return -1;
    }
    if (!V2K_IS_POW2(d->block_size) || d->block_size < VHD_MIN_BLOCK ||
        d->block_size > VHD_MAX_BLOCK) {
        v2k_error("%s: block size %u at offset %llu is not a power of two from %u to %u", name, d->block_size,
                  (unsigned long long)hoff + 32, VHD_MIN_BLOCK,
                  VHD_MAX_BLOCK);
        return -1;
    }
    need = V2K_DIV_ROUND_UP(img->size, d->block_size);
    if (d->max_table_entries < need) {
        v2k_error("%s: max table entries %u at offset %llu cannot map the virtual size (%llu bytes in blocks of %u)", name,
                  d->max_table_entries, (unsigned long long)hoff + 28,
                  (unsigned long long)img->size, d->block_size);
        return -1;
    }
    bat_end = (uint64_t)d->max_table_entries * 4;
    if (V2K_ADD_OVERFLOW(bat_end, d->table_offset, &bat_end) ||
        bat_end > fsize) {
        v2k_error("%s: BAT offset %llu at offset %llu (%u entries) is past the end of the file (%llu bytes)", name,
                  (unsigned long long)d->table_offset,
                  (unsigned long long)hoff + 16, d->max_table_entries,
                  (unsigned long long)fsize);
        return -1;
    }
    return 0;
}

static int
vhd_load_bat(struct v2k_image *img)
{
    struct vhd_state *s = img->state;
    uint32_t n = s->d.max_table_entries, bs = s->d.block_size;
    uint64_t fsize = img->transport->size;

    s->bat = v2k_calloc(n ? n : 1, 4);
    if (s->bat == NULL)
        return -1;
    if (v2k_transport_pread(img->transport, s->bat, (size_t)n * 4,
                            s->d.table_offset) == -1)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t start = (uint64_t)i * bs, used, off;
        uint32_t e = s->bat[i] = be32toh(s->bat[i]);

        if (e == VHD_BAT_FREE || start >= img->size)
            continue;
        used = img->size - start < bs ? img->size - start : bs;
        off = (uint64_t)e * VHD_SECTOR;
        if (off + s->bitmap_size + used > fsize) {
            v2k_error("%s: BAT entry %u (sector %u) points past the end of the file (%llu bytes)", v2k_image_name(img), i, e,
                      (unsigned long long)fsize);
            return -1;
        }
    }
    return 0;
}

/* --- finding the parent of a differencing disk ------------------------ */

/* Decode UTF-16 (len bytes, stops at NUL) into a new UTF-8 string. */
static char *
vhd_utf16_to_utf8(const uint8_t *src, size_t len, bool big_endian)
{
    char *out = v2k_malloc(len / 2 * 3 + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint32_t c = big_endian ? (uint32_t)src[i] << 8 | src[i + 1]
                                : (uint32_t)src[i + 1] << 8 | src[i];
        if (c == 0)
            break;
        if (c >= 0xd800 && c < 0xdc00 && i + 3 < len) {
            uint32_t lo = big_endian ? (uint32_t)src[i + 2] << 8 | src[i + 3]
                                     : (uint32_t)src[i + 3] << 8 | src[i + 2];
            if (lo >= 0xdc00 && lo < 0xe000) {
                c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                i += 2;
            }
        }
        if (c < 0x80) {
            *o++ = (char)c;
        } else if (c < 0x800) {
            *o++ = (char)(0xc0 | c >> 6);
            *o++ = (char)(0x80 | (c & 0x3f));
        } else if (c < 0x10000) {
            *o++ = (char)(0xe0 | c >> 12);
            *o++ = (char)(0x80 | (c >> 6 & 0x3f));
            *o++ = (char)(0x80 | (c & 0x3f));
        } else {
            /* 4 UTF-8 bytes from 4 UTF-16 bytes: still within the room. */
            *o++ = (char)(0xf0 | c >> 18);
            *o++ = (char)(0x80 | (c >> 12 & 0x3f));
            *o++ = (char)(0x80 | (c >> 6 & 0x3f));
            *o++ = (char)(0x80 | (c & 0x3f));
        }
    }
    *o = '\0';
    return out;
}

static int
vhd_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "file://localhost/a%20b/p.vhd" -> "/a b/p.vhd", in place; false when it
 * is not a local file URL. */
static bool
vhd_file_url_to_path(char *s)
{
    char *p, *o;

    if (strncmp(s, "file://", 7) != 0)
        return false;
    p = strchr(s + 7, '/');     /* skip the host, "localhost" or empty */
    if (p == NULL)
        return false;
    for (o = s; *p; p++) {
        if (*p == '%' && vhd_hexval(p[1]) >= 0 && vhd_hexval(p[2]) >= 0) {
            *o++ = (char)(vhd_hexval(p[1]) << 4 | vhd_hexval(p[2]));
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return s[0] == '/' && s[1] != '\0';
}

struct vhd_names {
    char *v[2 * VHD_LOCATORS + 2];
    size_t n;
};

/* Add a candidate name (taking ownership), skipping empties and repeats. */
static int
vhd_names_add(struct vhd_names *l, char *s)
{
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0) {
            free(s);
            return 0;
        }
    if (s[0] == '\0' || l->n == V2K_ARRAY_SIZE(l->v)) {
        free(s);
        return 0;
    }
    l->v[l->n++] = s;
    return 0;
}

static void
vhd_names_free(struct vhd_names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

/* A Windows path: backslashes to slashes; relative paths lose a leading
 * "./"; absolute ones ("C:/dir/p.vhd", "//server/share/p.vhd") keep only
 * their last component, looked for next to the child. */
static char *
vhd_windows_name(char *s, bool relative)
{
    char *base;

    for (char *p = s; *p; p++)
        if (*p == '\\')
            *p = '/';
    if (relative) {
        while (s[0] == '.' && s[1] == '/')
            s += 2;
        return v2k_strdup(s);
    }
    base = strrchr(s, '/');
    if (base == NULL)
        base = strchr(s, ':') ? strchr(s, ':') + 1 : s;
    else
        base++;
    return v2k_strdup(base);
}

/* Candidate parent names in order of trust: W2ru, MacX (absolute), then
 * the file names of W2ku, MacX and the dynamic header's parent name. */
static int
vhd_parent_names(struct v2k_image *img, struct vhd_names *l)
{
    struct vhd_state *s = img->state;
    struct vhd_names later = { .n = 0 };
    int r = 0;

    for (int i = 0; i < VHD_LOCATORS && r == 0; i++) {
        const struct vhd_parent_locator *loc = &s->d.loc[i];
        uint32_t code = loc->platform_code;
        CLEANUP_FREE uint8_t *raw = NULL;
        CLEANUP_FREE char *str = NULL;
        uint64_t end;

        if (code != VHD_PLAT_W2RU && code != VHD_PLAT_W2KU &&
            code != VHD_PLAT_MACX)
            continue;
        if (loc->data_length == 0 || loc->data_length > VHD_MAX_LOCATOR ||
            V2K_ADD_OVERFLOW(loc->data_offset, loc->data_length, &end) ||
            end > img->transport->size) {
            v2k_error("%s: parent locator %d (offset %llu, %u bytes) lies outside the file or is longer than %d bytes",
                      v2k_image_name(img), i,
                      (unsigned long long)loc->data_offset,
                      loc->data_length, VHD_MAX_LOCATOR);
            r = -1;
            break;
        }
        raw = v2k_malloc(loc->data_length + 1);
        if (raw == NULL || v2k_transport_pread(img->transport, raw,
                                               loc->data_length,
                                               loc->data_offset) == -1) {
            r = -1;
            break;
        }
        if (code == VHD_PLAT_MACX) {
            raw[loc->data_length] = '\0';
            str = v2k_strdup((char *)raw);
            if (str == NULL) {
                r = -1;
            } else if (vhd_file_url_to_path(str)) {
                if (v2k_transport_may_follow(img->transport, str))
                    r = vhd_names_add(l, v2k_strdup(str));
                if (r == 0)
                    r = vhd_names_add(&later, vhd_windows_name(str, false));
            }
            continue;
        }
        str = vhd_utf16_to_utf8(raw, loc->data_length, false);
        if (str == NULL)
            r = -1;
        else if (code == VHD_PLAT_W2RU)
            r = vhd_names_add(l, vhd_windows_name(str, true));
        else
            r = vhd_names_add(&later, vhd_windows_name(str, false));
    }
    if (r == 0) {
        CLEANUP_FREE char *pn = vhd_utf16_to_utf8(s->d.parent_name,
                                                  sizeof s->d.parent_name,
                                                  true);
        r = pn ? vhd_names_add(&later, vhd_windows_name(pn, false)) : -1;
    }
    for (size_t i = 0; i < later.n && r == 0; i++) {
        r = vhd_names_add(l, later.v[i]);
        later.v[i] = NULL;
    }
    for (size_t i = 0; i < later.n; i++)
        free(later.v[i]);
    return r;
}

/* The unique id of the VHD called name next to img; false when it cannot
 * be read as a VHD. */
static bool
vhd_peek_id(struct v2k_image *img, const char *name, uint8_t id[16])
{
    struct v2k_transport *t = v2k_transport_open_sibling(img->transport,
                                                         name);
    struct vhd_footer f;
    uint64_t where;
    bool r = false;

    if (t == NULL) {
        v2k_debug("vhd: %s: parent candidate %s: %s", v2k_image_name(img),
                  name, v2k_error_message());
    } else if (t->size >= VHD_FOOTER_SIZE &&
               vhd_read_footer(t, &f, &where) == 0) {
        memcpy(id, f.unique_id, 16);
        r = true;
    }
    v2k_error_clear();
    v2k_transport_close(t);
    return r;
}

static int
vhd_open_parent(struct v2k_image *img, const struct v2k_open_opts *opts)
{
    struct vhd_state *s = img->state, *ps;
    const char *name = v2k_image_name(img);
    struct vhd_names l = { .n = 0 };
    char want[37], got[37];
    const char *match = NULL, *other = NULL;
    uint8_t id[16], other_id[16];
    int r = -1;

    vhd_uuid_str(s->d.parent_unique_id, want);
    if (memcmp(s->d.parent_unique_id, s->f.unique_id, 16) == 0) {
        v2k_error("%s: parent unique id %s is the disk's own (a loop)",
                  name, want);
        return -1;
    }
    if (vhd_parent_names(img, &l) == -1)
        goto out;
    for (size_t i = 0; i < l.n && match == NULL; i++) {
        if (!vhd_peek_id(img, l.v[i], id))
            continue;
        if (memcmp(id, s->d.parent_unique_id, 16) == 0) {
            match = l.v[i];
        } else if (other == NULL) {
            other = l.v[i];
            memcpy(other_id, id, 16);
        }
    }
    if (match == NULL && other) {
        vhd_uuid_str(other_id, got);
        v2k_error("%s: parent %s has unique id %s, but the differencing disk expects %s (parent unique id)", name, other, got,
                  want);
        goto out;
    }
    if (match == NULL) {
        char tried[512] = "";
        for (size_t i = 0, len = 0; i < l.n && len < sizeof tried; i++)
            len += (size_t)snprintf(tried + len, sizeof tried - len,
                                    "%s%s", i ? ", " : "", l.v[i]);
        v2k_error("%s: parent disk with unique id %s not found (tried from the parent locators and name: %s)", name, want,
                  l.n ? tried : "none");
        goto out;
    }
    v2k_debug("vhd: %s: parent is %s", name, match);
    s->parent = v2k_image_open_backing(img, match, "vhd", opts);
    if (s->parent == NULL)
        goto out;
    ps = s->parent->state;
    if (memcmp(ps->f.unique_id, s->d.parent_unique_id, 16) != 0) {
        vhd_uuid_str(ps->f.unique_id, got);
        v2k_error("%s: parent %s has unique id %s, but the differencing disk expects %s (parent unique id)", name,
                  v2k_image_name(s->parent), got, want);
        goto out;
    }
    r = 0;
out:
    vhd_names_free(&l);
    return r;
}

/* --- open ------------------------------------------------------------- */

static int
vhd_open_dynamic(struct v2k_image *img, const struct v2k_open_opts *opts)
{
    struct vhd_state *s = img->state;
    const char *name = v2k_image_name(img);
    uint64_t hoff = s->f.data_offset, fsize = img->transport->size;

    if (img->size > VHD_MAX_SECTORS * VHD_SECTOR) {
        v2k_error("%s: virtual size %llu (current size or geometry in the footer) exceeds the 2040 GiB of a dynamic VHD", name,
                  (unsigned long long)img->size);
        return -1;
    }
    if (hoff > fsize || fsize - hoff < VHD_DYN_HEADER_SIZE) {
        v2k_error("%s: dynamic header offset %llu (footer data offset) is past the end of the file (%llu bytes)", name,
                  (unsigned long long)hoff, (unsigned long long)fsize);
        return -1;
    }
    if (v2k_transport_pread(img->transport, &s->d, sizeof s->d, hoff) == -1)
        return -1;
    vhd_dyn_header_to_cpu(&s->d);
    if (vhd_check_dyn_header(img, hoff) == -1)
        return -1;
    /* One bit per sector, rounded up to a whole sector (spec). */
    s->bitmap_size = V2K_DIV_ROUND_UP(s->d.block_size / VHD_SECTOR / 8,
                                      VHD_SECTOR) * VHD_SECTOR;
    if (vhd_load_bat(img) == -1)
        return -1;
    if (s->f.disk_type == VHD_TYPE_DIFF)
        return vhd_open_parent(img, opts);
    return 0;
}

static int
vhd_open(struct v2k_image *img, const struct v2k_open_opts *opts)
{
    struct vhd_state *s = img->state;
    const char *name = v2k_image_name(img);
    uint64_t fsize = img->transport->size, where;

    if (fsize < VHD_FOOTER_SIZE) {
        v2k_error("%s: file is %llu bytes, too short for a VHD footer (512 bytes)", name, (unsigned long long)fsize);
        return -1;
    }
    if (vhd_read_footer(img->transport, &s->f, &where) == -1)
        return -1;
    if (s->f.version >> 16 != VHD_VERSION_MAJOR) {
        v2k_error("%s: unsupported file format version 0x%08x at offset %llu", name, s->f.version, (unsigned long long)where + 12);
        return -1;
    }
    img->size = vhd_virtual_size(&s->f);
    switch (s->f.disk_type) {
    case VHD_TYPE_FIXED:
        if (img->size > where) {
            v2k_error("%s: virtual size %llu (current size or geometry in the footer) is past the end of the data (%llu bytes before the footer)", name,
                      (unsigned long long)img->size,
                      (unsigned long long)where);
            return -1;
        }
        return 0;
    case VHD_TYPE_DYNAMIC:
    case VHD_TYPE_DIFF:
        if (vhd_open_dynamic(img, opts) == 0)
            return 0;
        v2k_image_close(s->parent);
        free(s->bat);
        return -1;
    default:
        v2k_error("%s: unknown disk type %u at offset %llu", name,
                  s->f.disk_type, (unsigned long long)where + 60);
        return -1;
    }
}

/* --- reading ---------------------------------------------------------- */

/* What backs a sector whose block or bitmap bit is clear. */
static int
vhd_read_below(struct vhd_state *s, char *p, size_t count, uint64_t offset)
{
    struct v2k_image *parent = s->parent;
    size_t n = 0;

    if (parent && offset < parent->size) {
        n = parent->size - offset < count ? (size_t)(parent->size - offset)
                                          : count;
        if (v2k_image_pread(parent, p, n, offset) == -1)
            return -1;
    }
    memset(p + n, 0, count - n);
    return 0;
}

/* The bitmap bytes covering sectors [first, last] of the block at
 * sector bat_entry; caller frees. */
static uint8_t *
vhd_read_bitmap(struct v2k_image *img, uint32_t bat_entry, uint64_t first,
                uint64_t last)
{
    size_t len = (size_t)(last / 8 - first / 8 + 1);
    uint8_t *bm = v2k_malloc(len);

    if (bm && v2k_transport_pread(img->transport, bm, len,
                                  (uint64_t)bat_entry * VHD_SECTOR +
                                  first / 8) == -1) {
        free(bm);
        return NULL;
    }
    return bm;
}

static bool
vhd_bit(const uint8_t *bm, uint64_t first, uint64_t sector)
{
    uint64_t i = sector - first / 8 * 8;
    return bm[i / 8] >> (7 - i % 8) & 1;        /* MSB first */
}

/* Walk [in, in + n) of an allocated block in runs of sectors whose
 * bitmap bit is equal; calls fn(arg, run offset in block, run length,
 * bit). */
static int
vhd_runs(struct v2k_image *img, uint32_t e, uint64_t in, uint64_t n,
         int (*fn)(void *arg, uint64_t off, uint64_t len, bool set),
         void *arg)
{
    uint64_t first = in / VHD_SECTOR, last = (in + n - 1) / VHD_SECTOR;
    uint8_t *bm = vhd_read_bitmap(img, e, first, last);
    uint64_t pos = in, end = in + n;
    int r = 0;

    if (bm == NULL)
        return -1;
    while (pos < end && r == 0) {
        uint64_t sec = pos / VHD_SECTOR, stop;
        bool set = vhd_bit(bm, first, sec);

        while (sec + 1 <= last && vhd_bit(bm, first, sec + 1) == set)
            sec++;
        stop = (sec + 1) * VHD_SECTOR < end ? (sec + 1) * VHD_SECTOR : end;
        r = fn(arg, pos, stop - pos, set);
        pos = stop;
    }
    free(bm);
    return r;
}

struct vhd_read_ctx {
    struct v2k_image *img;
    uint32_t entry;
    uint64_t block_start;       /* virtual offset of the block */
    uint64_t in;                /* offset in the block of buf[0] */
    char *buf;
};

static int
vhd_read_run(void *arg, uint64_t off, uint64_t len, bool set)
{
    struct vhd_read_ctx *c = arg;
    struct vhd_state *s = c->img->state;
    char *p = c->buf + (off - c->in);

    if (set)
        return v2k_transport_pread(c->img->transport, p, len,
                                   (uint64_t)c->entry * VHD_SECTOR +
                                   s->bitmap_size + off);
    return vhd_read_below(s, p, len, c->block_start + off);
}

static int
vhd_pread(struct v2k_image *img, void *buf, size_t count, uint64_t offset)
{
    struct vhd_state *s = img->state;
    uint64_t bs = s->d.block_size;
    char *p = buf;

    if (s->f.disk_type == VHD_TYPE_FIXED)
        return v2k_transport_pread(img->transport, buf, count, offset);
    while (count > 0) {
        uint64_t in = offset % bs;
        uint32_t e = s->bat[offset / bs];
        size_t n = bs - in < count ? (size_t)(bs - in) : count;
        int r;

        if (e == VHD_BAT_FREE) {
            r = vhd_read_below(s, p, n, offset);
        } else {
            struct vhd_read_ctx c = {
                .img = img, .entry = e, .block_start = offset - in,
                .in = in, .buf = p,
            };
            r = vhd_runs(img, e, in, n, vhd_read_run, &c);
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
vhd_parent_extents(struct v2k_image *parent, uint64_t offset,
                   uint64_t length, struct v2k_extent_list *out)
{
    return v2k_image_extents_backing(parent, offset, length, out);
}

struct vhd_map_ctx {
    struct vhd_state *s;
    uint64_t block_start;
    struct v2k_extent_list *out;
};

static int
vhd_map_run(void *arg, uint64_t off, uint64_t len, bool set)
{
    struct vhd_map_ctx *c = arg;

    if (set)
        return v2k_extent_list_add(c->out, c->block_start + off, len,
                                   V2K_EXTENT_DATA);
    if (c->s->parent)
        return vhd_parent_extents(c->s->parent, c->block_start + off, len,
                                  c->out);
    return v2k_extent_list_add(c->out, c->block_start + off, len,
                               V2K_EXTENT_ZERO);
}

static int
vhd_extents(struct v2k_image *img, uint64_t offset, uint64_t length,
            struct v2k_extent_list *out)
{
    struct vhd_state *s = img->state;
    uint64_t bs = s->d.block_size, end = offset + length;

    /* A fixed disk is all data, as qemu-img map reports it (holes in the
     * file are flagged zero there, but still data); the copy engine finds
     * the zeros itself. */
    if (s->f.disk_type == VHD_TYPE_FIXED)
        return v2k_extent_list_add(out, offset, length, V2K_EXTENT_DATA);
    while (offset < end) {
        uint64_t in = offset % bs, n = bs - in;
        uint32_t e = s->bat[offset / bs];
        int r;

        if (n > end - offset)
            n = end - offset;
        if (e != VHD_BAT_FREE) {
            struct vhd_map_ctx c = {
                .s = s, .block_start = offset - in, .out = out,
            };
            r = vhd_runs(img, e, in, n, vhd_map_run, &c);
        } else if (s->parent) {
            r = vhd_parent_extents(s->parent, offset, n, out);
        } else {
            r = v2k_extent_list_add(out, offset, n, V2K_EXTENT_UNALLOCATED);
        }
        if (r == -1)
            return -1;
        offset += n;
    }
    return 0;
}

static struct v2k_image *
vhd_backing(struct v2k_image *img)
{
    struct vhd_state *s = img->state;
    return s->parent;
}

static void
vhd_close(struct v2k_image *img)
{
    struct vhd_state *s = img->state;
    v2k_image_close(s->parent);
    free(s->bat);
}

const struct v2k_format v2k_format_vhd = {
    .name = "vhd",
    .description = "Microsoft VHD / Virtual PC (fixed, dynamic, "
                   "differencing)",
    .instance_size = sizeof(struct vhd_state),
    .probe = vhd_probe,
    .probe_tail = vhd_probe_tail,
    .open = vhd_open,
    .pread = vhd_pread,
    .extents = vhd_extents,
    .close = vhd_close,
    .backing = vhd_backing,
};
