/* vhdx.c - Hyper-V VHDX images: fixed, dynamic and differencing.
 *
 * From Microsoft's "VHDX Format Specification v1.00" (MS-VHDX); section
 * numbers below are MS-VHDX's.  Layout of a file:
 *
 *   0        file type identifier ("vhdxfile")
 *   64 KiB   header 1 ("head", CRC-32C, sequence number)
 *   128 KiB  header 2
 *   192 KiB  region table 1 ("regi": where the BAT and metadata are)
 *   256 KiB  region table 2 (a copy)
 *   1 MiB..  log, metadata region, BAT region, payload and sector bitmap
 *            blocks, anywhere at 1 MiB multiples
 *
 * The header with the valid checksum and the higher sequence number is
 * current.  When its LogGuid is non-zero the log is replayed in memory
 * first (vhdx-log.c): every later read of the file's bytes goes through
 * the overlay.  The BAT maps payload blocks (BlockSize bytes of the disk)
 * and, interleaved after every chunk_ratio payload entries, sector bitmap
 * blocks: 1 MiB, one bit per logical sector, saying for a differencing
 * file whether a sector is in this file or in the parent.
 *
 * State after open is read-only (BAT in memory, overlay immutable, the
 * parent image thread-safe), so pread and extents take no lock.
 */
#include "format.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"
#include "vhdx-internal.h"

#include <ctype.h>
#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KIB 1024u
#define MIB V2K_VHDX_MIB

#define HEADER_SECTION_SIZE (1 * MIB)           /* 2.1 */
#define HEADER1_OFFSET (64 * KIB)
#define HEADER2_OFFSET (128 * KIB)
#define HEADER_SIZE (4 * KIB)
#define REGION_TABLE1_OFFSET (192 * KIB)
#define REGION_TABLE2_OFFSET (256 * KIB)
#define REGION_TABLE_SIZE (64 * KIB)
#define REGION_TABLE_MAX_ENTRIES 2047           /* 2.2.3.1 */
#define METADATA_TABLE_SIZE (64 * KIB)          /* 2.6.1 */
#define METADATA_MAX_ENTRIES 2047
#define METADATA_ITEM_MAX (1 * MIB)             /* 2.6.1.2 */
#define MIN_BLOCK_SIZE (1 * MIB)                /* 2.6.2.1 */
#define MAX_BLOCK_SIZE (256 * MIB)
#define MAX_VIRTUAL_SIZE (64ull << 40)          /* 2.6.2.2: 64 TiB */
#define SECTORS_PER_BITMAP (1ull << 23)         /* 2.5: 1 MiB of bits */
#define SECTOR_BITMAP_SIZE (1 * MIB)

#define HEADER_SIGNATURE 0x64616568u            /* "head" */
#define REGION_SIGNATURE 0x69676572u            /* "regi" */
#define METADATA_SIGNATURE 0x617461646174656dull    /* "metadata" */

/* 2.5.1.1 payload block states, 2.5.1.2 sector bitmap states. */
#define PAYLOAD_BLOCK_NOT_PRESENT 0
#define PAYLOAD_BLOCK_UNDEFINED 1
#define PAYLOAD_BLOCK_ZERO 2
#define PAYLOAD_BLOCK_UNMAPPED 3
#define PAYLOAD_BLOCK_UNMAPPED_V095 5   /* spec v0.95; qemu reads it too */
#define PAYLOAD_BLOCK_FULLY_PRESENT 6
#define PAYLOAD_BLOCK_PARTIALLY_PRESENT 7
#define SB_BLOCK_PRESENT 6
#define BAT_STATE(e) ((unsigned)((e) & 7))
#define BAT_OFFSET(e) (((e) >> 20) << 20)       /* FileOffsetMB, bits 20-63 */

/* ---- On-disk structures ---------------------------------------------- */

struct vhdx_header {                    /* 2.2.2 */
    uint32_t signature;                 /*    0: "head" */
    uint32_t checksum;                  /*    4: CRC-32C of the 4 KiB */
    uint64_t sequence_number;           /*    8 */
    unsigned char file_write_guid[16];  /*   16 */
    unsigned char data_write_guid[16];  /*   32 */
    unsigned char log_guid[16];         /*   48: zero = no log to replay */
    uint16_t log_version;               /*   64: 0 */
    uint16_t version;                   /*   66: 1 */
    uint32_t log_length;                /*   68: 1 MiB multiple */
    uint64_t log_offset;                /*   72: 1 MiB multiple */
    unsigned char reserved[4016];       /*   80 */
} __attribute__((packed));

struct vhdx_region_table_header {       /* 2.2.3.1 */
    uint32_t signature;                 /*  0: "regi" */
    uint32_t checksum;                  /*  4: CRC-32C of the 64 KiB */
    uint32_t entry_count;               /*  8: <= 2047 */
    uint32_t reserved;                  /* 12 */
} __attribute__((packed));

struct vhdx_region_table_entry {        /* 2.2.3.2 */
    unsigned char guid[16];             /*  0 */
    uint64_t file_offset;               /* 16: 1 MiB multiple */
    uint32_t length;                    /* 24: 1 MiB multiple */
    uint32_t flags;                     /* 28: bit 0 Required */
} __attribute__((packed));

struct vhdx_metadata_table_header {     /* 2.6.1.1 */
    uint64_t signature;                 /*  0: "metadata" */
    uint16_t reserved;                  /*  8 */
    uint16_t entry_count;               /* 10: <= 2047 */
    uint32_t reserved2[5];              /* 12 */
} __attribute__((packed));

struct vhdx_metadata_table_entry {      /* 2.6.1.2 */
    unsigned char item_id[16];          /*  0 */
    uint32_t offset;                    /* 16: from the region's start */
    uint32_t length;                    /* 20: <= 1 MiB */
    uint32_t flags;                     /* 24: IsUser, IsVirtualDisk,
                                                 IsRequired */
    uint32_t reserved;                  /* 28 */
} __attribute__((packed));

struct vhdx_parent_locator_header {     /* 2.6.2.6 */
    unsigned char locator_type[16];     /*  0 */
    uint16_t reserved;                  /* 16 */
    uint16_t key_value_count;           /* 18 */
} __attribute__((packed));

struct vhdx_parent_locator_entry {      /* 2.6.2.6.2 */
    uint32_t key_offset;                /*  0: from the item's start */
    uint32_t value_offset;              /*  4 */
    uint16_t key_length;                /*  8: bytes of UTF-16LE */
    uint16_t value_length;              /* 10 */
} __attribute__((packed));

_Static_assert(sizeof(struct vhdx_header) == HEADER_SIZE, "header");
_Static_assert(sizeof(struct vhdx_region_table_entry) == 32, "region");
_Static_assert(sizeof(struct vhdx_metadata_table_header) == 32, "md hdr");
_Static_assert(sizeof(struct vhdx_metadata_table_entry) == 32, "md ent");
_Static_assert(sizeof(struct vhdx_parent_locator_header) == 20, "pl hdr");
_Static_assert(sizeof(struct vhdx_parent_locator_entry) == 12, "pl ent");

static void
header_to_cpu(struct vhdx_header *h)
{
    h->signature = le32toh(h->signature);
    h->checksum = le32toh(h->checksum);
    h->sequence_number = le64toh(h->sequence_number);
    h->log_version = le16toh(h->log_version);
    h->version = le16toh(h->version);
    h->log_length = le32toh(h->log_length);
    h->log_offset = le64toh(h->log_offset);
}

static void
region_entry_to_cpu(struct vhdx_region_table_entry *e)
{
    e->file_offset = le64toh(e->file_offset);
    e->length = le32toh(e->length);
    e->flags = le32toh(e->flags);
}

static void
metadata_entry_to_cpu(struct vhdx_metadata_table_entry *e)
{
    e->offset = le32toh(e->offset);
    e->length = le32toh(e->length);
    e->flags = le32toh(e->flags);
}

/* ---- GUIDs ----------------------------------------------------------- */

/* A GUID as written in the spec; on disk the first three fields are
 * little-endian (Microsoft's mixed-endian layout). */
struct msguid {
    uint32_t d1;
    uint16_t d2, d3;
    unsigned char d4[8];
};

/* 2.2.3.2 */
static const struct msguid bat_guid = {
    0x2DC27766, 0xF623, 0x4200, { 0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A,
                                  0x08 } };
static const struct msguid metadata_guid = {
    0x8B7CA206, 0x4790, 0x4B9A, { 0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88,
                                  0x6E } };
/* 2.6.2 */
static const struct msguid file_parameters_guid = {
    0xCAA16737, 0xFA36, 0x4D43, { 0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7,
                                  0x6B } };
static const struct msguid virtual_disk_size_guid = {
    0x2FA54224, 0xCD1B, 0x4876, { 0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4,
                                  0xB8 } };
static const struct msguid page83_guid = {
    0xBECA12AB, 0xB2E6, 0x4523, { 0x93, 0xEF, 0xC3, 0x09, 0xE0, 0x00, 0xC7,
                                  0x46 } };
static const struct msguid logical_sector_size_guid = {
    0x8141BF1D, 0xA96F, 0x4709, { 0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA, 0xAB,
                                  0x5F } };
static const struct msguid physical_sector_size_guid = {
    0xCDA348C7, 0x445D, 0x4471, { 0x9C, 0xC9, 0xE9, 0x88, 0x52, 0x51, 0xC5,
                                  0x56 } };
static const struct msguid parent_locator_guid = {
    0xA8D35F2D, 0xB30B, 0x454D, { 0xAB, 0xF7, 0xD3, 0xD8, 0x48, 0x34, 0xAB,
                                  0x0C } };
/* 2.6.2.6.1: the locator type of a VHDX parent. */
static const struct msguid vhdx_parent_type_guid = {
    0xB04AEFB7, 0xD19E, 0x4A81, { 0xB7, 0x89, 0x25, 0xB8, 0xE9, 0x44, 0x59,
                                  0x13 } };

static bool
guid_eq(const unsigned char raw[16], const struct msguid *g)
{
    unsigned char b[16];
    uint32_t d1 = htole32(g->d1);
    uint16_t d2 = htole16(g->d2), d3 = htole16(g->d3);

    memcpy(b, &d1, 4);
    memcpy(b + 4, &d2, 2);
    memcpy(b + 6, &d3, 2);
    memcpy(b + 8, g->d4, 8);
    return memcmp(raw, b, 16) == 0;
}

static bool
guid_is_zero(const unsigned char raw[16])
{
    return v2k_is_zero(raw, 16);
}

/* "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" */
static void
guid_format(const unsigned char r[16], char out[39])
{
    snprintf(out, 39,
             "{%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
             "%02X%02X%02X%02X%02X%02X}",
             r[3], r[2], r[1], r[0], r[5], r[4], r[7], r[6], r[8], r[9],
             r[10], r[11], r[12], r[13], r[14], r[15]);
}

/* ---- State ------------------------------------------------------------ */

struct vhdx_state {
    struct v2k_vhdx_overlay ov;         /* log replay; file_size always */
    uint64_t *bat;                      /* CPU order */
    uint64_t bat_entries;
    uint32_t block_size;
    uint32_t logical_sector_size;
    uint32_t physical_sector_size;
    uint64_t chunk_ratio;               /* payload blocks per bitmap */
    uint64_t data_blocks;
    bool has_parent;
    unsigned char data_write_guid[16];  /* what children link to */
    struct v2k_image *parent;           /* owned */
};

/* Metadata items (2.6.2) as read. */
struct vhdx_metadata {
    bool have_params, have_size, have_lss, have_pss, have_locator;
    uint32_t block_size, params_flags;
    uint64_t virtual_size;
    uint32_t lss, pss;
    uint32_t locator_offset, locator_length;    /* in the region */
};

static int
file_read(struct v2k_image *img, void *buf, size_t count, uint64_t offset)
{
    struct vhdx_state *s = img->state;
    return v2k_vhdx_file_read(img->transport, &s->ov, buf, count, offset);
}

static int
vhdx_probe(const unsigned char *buf, size_t len, uint64_t size)
{
    (void)size;
    /* 2.2.1: the file type identifier. */
    if (len >= 8 && memcmp(buf, "vhdxfile", 8) == 0)
        return 100;
    return 0;
}

/* ---- Headers ---------------------------------------------------------- */

/* Read and check the header at offset; NULL when valid, else why not. */
static const char *
read_header(struct v2k_image *img, uint64_t offset, struct vhdx_header *h)
{
    unsigned char buf[HEADER_SIZE];

    if (v2k_transport_pread(img->transport, buf, sizeof buf, offset) == -1)
        return "unreadable";
    memcpy(h, buf, sizeof *h);
    header_to_cpu(h);
    if (h->signature != HEADER_SIGNATURE)
        return "signature is not 'head'";
    if (v2k_vhdx_checksum(buf, sizeof buf, 4) != h->checksum)
        return "checksum mismatch";
    return NULL;
}

static int
read_headers(struct v2k_image *img, struct vhdx_header *cur)
{
    const char *name = img->transport->name;
    struct vhdx_header h1, h2;
    const char *bad1 = read_header(img, HEADER1_OFFSET, &h1);
    const char *bad2 = read_header(img, HEADER2_OFFSET, &h2);

    if (bad1 && bad2) {
        v2k_error("%s: no valid header (header 1 at offset %u: %s; header 2 at offset %u: %s)", name, HEADER1_OFFSET, bad1,
                  HEADER2_OFFSET, bad2);
        return -1;
    }
    if (bad1)
        *cur = h2;
    else if (bad2)
        *cur = h1;
    else if (h1.sequence_number > h2.sequence_number)
        *cur = h1;
    else if (h2.sequence_number > h1.sequence_number)
        *cur = h2;
    else if (memcmp(&h1, &h2, sizeof h1) == 0)
        *cur = h1;      /* Disk2VHD writes two identical headers (qemu) */
    else {
        v2k_error("%s: headers 1 and 2 differ but have the same sequence number %llu", name,
                  (unsigned long long)h1.sequence_number);
        return -1;
    }
    /* 2.2.2: Version MUST be 1, LogVersion MUST be 0. */
    if (cur->version != 1) {
        v2k_error("%s: header version %u is not 1", name, cur->version);
        return -1;
    }
    if (cur->log_version != 0) {
        v2k_error("%s: header log version %u is not 0", name,
                  cur->log_version);
        return -1;
    }
    if (cur->log_length != 0) {
        uint64_t end;
        if (cur->log_length % MIB != 0) {
            v2k_error("%s: header log length %u is not a multiple of 1 MiB", name, cur->log_length);
            return -1;
        }
        if (cur->log_offset < HEADER_SECTION_SIZE ||
            cur->log_offset % MIB != 0) {
            v2k_error("%s: header log offset %llu is not a multiple of 1 MiB past the header section", name,
                      (unsigned long long)cur->log_offset);
            return -1;
        }
        if (V2K_ADD_OVERFLOW(cur->log_offset, cur->log_length, &end) ||
            end > img->transport->size) {
            v2k_error("%s: header log region at offset %llu, length %u, is past the end of the file (%llu bytes)", name,
                      (unsigned long long)cur->log_offset, cur->log_length,
                      (unsigned long long)img->transport->size);
            return -1;
        }
    }
    return 0;
}

/* ---- Region table ----------------------------------------------------- */

static const char *
check_region_table(const unsigned char *buf)
{
    struct vhdx_region_table_header h;

    memcpy(&h, buf, sizeof h);
    if (le32toh(h.signature) != REGION_SIGNATURE)
        return "signature is not 'regi'";
    if (v2k_vhdx_checksum(buf, REGION_TABLE_SIZE, 4) != le32toh(h.checksum))
        return "checksum mismatch";
    if (le32toh(h.entry_count) > REGION_TABLE_MAX_ENTRIES)
        return "entry count exceeds 2047";
    return NULL;
}

static int
read_region_table(struct v2k_image *img, uint64_t *bat_off,
                  uint32_t *bat_len, uint64_t *md_off, uint32_t *md_len)
{
    struct vhdx_state *s = img->state;
    const char *name = img->transport->name;
    CLEANUP_FREE unsigned char *buf = v2k_malloc(2 * REGION_TABLE_SIZE);
    const unsigned char *table;
    const char *bad1, *bad2;
    uint32_t count;
    bool have_bat = false, have_md = false;

    if (buf == NULL)
        return -1;
    if (file_read(img, buf, REGION_TABLE_SIZE, REGION_TABLE1_OFFSET) == -1 ||
        file_read(img, buf + REGION_TABLE_SIZE, REGION_TABLE_SIZE,
                  REGION_TABLE2_OFFSET) == -1)
        return -1;
    /* 2.2.3: two copies; take the first that checks out. */
    bad1 = check_region_table(buf);
    bad2 = check_region_table(buf + REGION_TABLE_SIZE);
    if (bad1 && bad2) {
        v2k_error("%s: no valid region table (region table 1 at offset %u: %s; region table 2 at offset %u: %s)", name,
                  REGION_TABLE1_OFFSET, bad1, REGION_TABLE2_OFFSET, bad2);
        return -1;
    }
    table = bad1 ? buf + REGION_TABLE_SIZE : buf;
    memcpy(&count, table + 8, 4);
    count = le32toh(count);
    for (uint32_t i = 0; i < count; i++) {
        struct vhdx_region_table_entry e;
        char g[39];
        uint64_t end;

        memcpy(&e, table + sizeof(struct vhdx_region_table_header) +
               i * sizeof e, sizeof e);
        region_entry_to_cpu(&e);
        guid_format(e.guid, g);
        if (guid_eq(e.guid, &bat_guid) || guid_eq(e.guid, &metadata_guid)) {
            bool is_bat = guid_eq(e.guid, &bat_guid);
            const char *what = is_bat ? "BAT" : "metadata";
            if (is_bat ? have_bat : have_md) {
                v2k_error("%s: region table lists the %s region twice",
                          name, what);
                return -1;
            }
            if (e.file_offset < HEADER_SECTION_SIZE ||
                e.file_offset % MIB != 0 || e.length == 0 ||
                e.length % MIB != 0) {
                v2k_error("%s: %s region offset %llu length %u is not 1 MiB aligned past the header section", name,
                          what, (unsigned long long)e.file_offset,
                          e.length);
                return -1;
            }
            if (V2K_ADD_OVERFLOW(e.file_offset, e.length, &end) ||
                end > s->ov.file_size) {
                v2k_error("%s: %s region at offset %llu, length %u, is past the end of the file (%llu bytes)", name, what,
                          (unsigned long long)e.file_offset, e.length,
                          (unsigned long long)s->ov.file_size);
                return -1;
            }
            if (is_bat) {
                have_bat = true;
                *bat_off = e.file_offset;
                *bat_len = e.length;
            } else {
                have_md = true;
                *md_off = e.file_offset;
                *md_len = e.length;
            }
        } else if (e.flags & 1) {
            /* 2.2.3.2: an unknown required region: we cannot read it. */
            v2k_error("%s: region table entry %u has unknown required region %s", name, i, g);
            return -1;
        }
    }
    if (!have_bat || !have_md) {
        v2k_error("%s: region table has no %s region", name,
                  have_bat ? "metadata" : "BAT");
        return -1;
    }
    if (*bat_off < *md_off + *md_len && *md_off < *bat_off + *bat_len) {
        v2k_error("%s: BAT region at offset %llu overlaps the metadata region at offset %llu", name,
                  (unsigned long long)*bat_off, (unsigned long long)*md_off);
        return -1;
    }
    return 0;
}

/* ---- Metadata --------------------------------------------------------- */

static const struct {
    const struct msguid *guid;
    const char *name;
    uint32_t min_length;
} known_items[] = {
    { &file_parameters_guid, "File Parameters", 8 },
    { &virtual_disk_size_guid, "Virtual Disk Size", 8 },
    { &page83_guid, "Page 83 Data", 16 },
    { &logical_sector_size_guid, "Logical Sector Size", 4 },
    { &physical_sector_size_guid, "Physical Sector Size", 4 },
    { &parent_locator_guid, "Parent Locator", 20 },
};

static int
read_u32_item(struct v2k_image *img, uint64_t off, uint32_t *v)
{
    if (file_read(img, v, 4, off) == -1)
        return -1;
    *v = le32toh(*v);
    return 0;
}

static int
read_metadata(struct v2k_image *img, uint64_t md_off, uint32_t md_len,
              struct vhdx_metadata *md)
{
    const char *name = img->transport->name;
    CLEANUP_FREE unsigned char *buf = v2k_malloc(METADATA_TABLE_SIZE);
    struct vhdx_metadata_table_header h;
    uint32_t seen = 0;

    if (buf == NULL || file_read(img, buf, METADATA_TABLE_SIZE, md_off) == -1)
        return -1;
    memcpy(&h, buf, sizeof h);
    if (le64toh(h.signature) != METADATA_SIGNATURE) {
        v2k_error("%s: metadata table at offset %llu: signature is not 'metadata'", name, (unsigned long long)md_off);
        return -1;
    }
    if (le16toh(h.entry_count) > METADATA_MAX_ENTRIES) {
        v2k_error("%s: metadata table entry count %u exceeds %u", name,
                  le16toh(h.entry_count), METADATA_MAX_ENTRIES);
        return -1;
    }
    for (uint32_t i = 0; i < le16toh(h.entry_count); i++) {
        struct vhdx_metadata_table_entry e;
        size_t k;
        const char *what;
        char g[39];
        uint64_t item;

        memcpy(&e, buf + sizeof h + i * sizeof e, sizeof e);
        metadata_entry_to_cpu(&e);
        guid_format(e.item_id, g);
        for (k = 0; k < V2K_ARRAY_SIZE(known_items); k++)
            if (guid_eq(e.item_id, known_items[k].guid))
                break;
        what = k < V2K_ARRAY_SIZE(known_items) ? known_items[k].name : g;
        /* 2.6.1.2: items lie after the table, inside the region, and are
         * at most 1 MiB. */
        if (e.length > 0 &&
            (e.offset < METADATA_TABLE_SIZE || e.length > METADATA_ITEM_MAX ||
             (uint64_t)e.offset + e.length > md_len)) {
            v2k_error("%s: metadata item %s offset %u length %u is outside the metadata region (%u bytes, items from offset %u, at most %u bytes)", name, what, e.offset, e.length,
                      md_len, METADATA_TABLE_SIZE, METADATA_ITEM_MAX);
            return -1;
        }
        if (e.flags & 1)            /* IsUser: not ours to interpret */
            continue;
        if (k == V2K_ARRAY_SIZE(known_items)) {
            if (e.flags & 4) {      /* IsRequired */
                v2k_error("%s: metadata table entry %u has unknown required item %s", name, i, g);
                return -1;
            }
            continue;
        }
        if (seen & (1u << k)) {
            v2k_error("%s: metadata item %s appears twice", name, what);
            return -1;
        }
        seen |= 1u << k;
        if (e.length < known_items[k].min_length) {
            v2k_error("%s: metadata item %s length %u is less than %u",
                      name, what, e.length, known_items[k].min_length);
            return -1;
        }
        item = md_off + e.offset;
        if (known_items[k].guid == &file_parameters_guid) {
            if (read_u32_item(img, item, &md->block_size) == -1 ||
                read_u32_item(img, item + 4, &md->params_flags) == -1)
                return -1;
            md->have_params = true;
        } else if (known_items[k].guid == &virtual_disk_size_guid) {
            if (file_read(img, &md->virtual_size, 8, item) == -1)
                return -1;
            md->virtual_size = le64toh(md->virtual_size);
            md->have_size = true;
        } else if (known_items[k].guid == &logical_sector_size_guid) {
            if (read_u32_item(img, item, &md->lss) == -1)
                return -1;
            md->have_lss = true;
        } else if (known_items[k].guid == &physical_sector_size_guid) {
            if (read_u32_item(img, item, &md->pss) == -1)
                return -1;
            md->have_pss = true;
        } else if (known_items[k].guid == &parent_locator_guid) {
            md->locator_offset = e.offset;
            md->locator_length = e.length;
            md->have_locator = true;
        }
    }
    if (!md->have_params || !md->have_size || !md->have_lss) {
        v2k_error("%s: metadata has no %s item", name,
                  !md->have_params ? "File Parameters"
                  : !md->have_size ? "Virtual Disk Size"
                  : "Logical Sector Size");
        return -1;
    }
    return 0;
}

static int
check_metadata(struct v2k_image *img, const struct vhdx_metadata *md)
{
    const char *name = img->transport->name;

    if (!V2K_IS_POW2(md->block_size) || md->block_size < MIN_BLOCK_SIZE ||
        md->block_size > MAX_BLOCK_SIZE) {
        v2k_error("%s: metadata File Parameters block size %u is not a power of two from 1 MiB to 256 MiB", name,
                  md->block_size);
        return -1;
    }
    if (md->lss != 512 && md->lss != 4096) {
        v2k_error("%s: metadata Logical Sector Size %u is not 512 or 4096",
                  name, md->lss);
        return -1;
    }
    if (md->have_pss && md->pss != 512 && md->pss != 4096) {
        v2k_error("%s: metadata Physical Sector Size %u is not 512 or 4096",
                  name, md->pss);
        return -1;
    }
    if (md->virtual_size == 0 || md->virtual_size > MAX_VIRTUAL_SIZE) {
        v2k_error("%s: metadata Virtual Disk Size %llu is not between 1 and 64 TiB", name,
                  (unsigned long long)md->virtual_size);
        return -1;
    }
    if (md->virtual_size % md->lss != 0) {
        v2k_error("%s: metadata Virtual Disk Size %llu is not a multiple of the logical sector size %u", name,
                  (unsigned long long)md->virtual_size, md->lss);
        return -1;
    }
    if ((md->params_flags & 2) && !md->have_locator) {
        v2k_error("%s: metadata File Parameters has HasParent set but there is no Parent Locator item", name);
        return -1;
    }
    return 0;
}

/* ---- BAT -------------------------------------------------------------- */

static uint64_t
bat_index(const struct vhdx_state *s, uint64_t block)
{
    return block + block / s->chunk_ratio;
}

static uint64_t
bitmap_index(const struct vhdx_state *s, uint64_t block)
{
    return (block / s->chunk_ratio) * (s->chunk_ratio + 1) + s->chunk_ratio;
}

/* Bytes of payload block b that hold disk data (the last may be short). */
static uint64_t
block_bytes(const struct v2k_image *img, uint64_t b)
{
    const struct vhdx_state *s = img->state;
    uint64_t start = b * s->block_size;
    return img->size - start < s->block_size ? img->size - start
                                             : s->block_size;
}

static int
check_in_file(struct v2k_image *img, uint64_t idx, const char *what,
              uint64_t block, uint64_t entry, uint64_t need)
{
    struct vhdx_state *s = img->state;
    uint64_t off = BAT_OFFSET(entry), end;

    if (off < HEADER_SECTION_SIZE ||
        V2K_ADD_OVERFLOW(off, need, &end) || end > s->ov.file_size) {
        v2k_error("%s: BAT entry %llu (%s %llu): FileOffsetMB %llu puts the block outside the file (%llu bytes)",
                  img->transport->name, (unsigned long long)idx, what,
                  (unsigned long long)block,
                  (unsigned long long)(entry >> 20),
                  (unsigned long long)s->ov.file_size);
        return -1;
    }
    return 0;
}

/* A PARTIALLY_PRESENT payload block needs a parent and its chunk's
 * sector bitmap block in the file. */
static int
check_partial(struct v2k_image *img, uint64_t b, uint64_t idx)
{
    struct vhdx_state *s = img->state;
    const char *name = img->transport->name;
    uint64_t bi, be;

    if (!s->has_parent) {
        v2k_error("%s: BAT entry %llu (payload block %llu): state PARTIALLY_PRESENT in a file without a parent",
                  name, (unsigned long long)idx, (unsigned long long)b);
        return -1;
    }
    /* Only a differencing file has the whole last chunk in its BAT. */
    bi = bitmap_index(s, b);
    be = s->bat[bi];
    if (BAT_STATE(be) != SB_BLOCK_PRESENT) {
        v2k_error("%s: BAT entry %llu (sector bitmap block %llu): state %u, but payload block %llu is PARTIALLY_PRESENT", name,
                  (unsigned long long)bi,
                  (unsigned long long)(b / s->chunk_ratio), BAT_STATE(be),
                  (unsigned long long)b);
        return -1;
    }
    return check_in_file(img, bi, "sector bitmap block", b / s->chunk_ratio,
                         be, SECTOR_BITMAP_SIZE);
}

static int
read_bat(struct v2k_image *img, uint64_t bat_off, uint32_t bat_len)
{
    struct vhdx_state *s = img->state;
    const char *name = img->transport->name;
    uint64_t need;

    /* 2.5: entries for every payload block, and a sector bitmap entry
     * after each chunk; a differencing file has whole chunks. */
    if (s->has_parent)
        s->bat_entries = V2K_DIV_ROUND_UP(s->data_blocks, s->chunk_ratio) *
                         (s->chunk_ratio + 1);
    else
        s->bat_entries = s->data_blocks + (s->data_blocks - 1) /
                         s->chunk_ratio;
    need = s->bat_entries * 8;       /* <= 2^26 * 2 entries: no overflow */
    if (need > bat_len) {
        v2k_error("%s: BAT region length %u is too small for the %llu entries of the disk (%llu bytes)", name, bat_len,
                  (unsigned long long)s->bat_entries,
                  (unsigned long long)need);
        return -1;
    }
    s->bat = v2k_malloc(need);
    if (s->bat == NULL || file_read(img, s->bat, need, bat_off) == -1)
        return -1;
    for (uint64_t i = 0; i < s->bat_entries; i++)
        s->bat[i] = le64toh(s->bat[i]);

    /* Validate once, so that reads need no checks. */
    for (uint64_t b = 0; b < s->data_blocks; b++) {
        uint64_t idx = bat_index(s, b), e = s->bat[idx];
        unsigned st = BAT_STATE(e);

        switch (st) {
        case PAYLOAD_BLOCK_NOT_PRESENT:
        case PAYLOAD_BLOCK_UNDEFINED:
        case PAYLOAD_BLOCK_ZERO:
        case PAYLOAD_BLOCK_UNMAPPED:
        case PAYLOAD_BLOCK_UNMAPPED_V095:
            break;
        case PAYLOAD_BLOCK_PARTIALLY_PRESENT:
            if (check_partial(img, b, idx) == -1)
                return -1;
            /* the payload must be in the file too */
            __attribute__((fallthrough));
        case PAYLOAD_BLOCK_FULLY_PRESENT:
            if (check_in_file(img, idx, "payload block", b, e,
                              block_bytes(img, b)) == -1)
                return -1;
            break;
        default:
            v2k_error("%s: BAT entry %llu (payload block %llu): state %u is reserved", name, (unsigned long long)idx,
                      (unsigned long long)b, st);
            return -1;
        }
    }
    return 0;
}

/* ---- Parent ----------------------------------------------------------- */

/* UTF-16LE (len bytes) to a new UTF-8 string; NULL on bad input. */
static char *
utf16le_to_utf8(const unsigned char *p, size_t len)
{
    char *out = v2k_malloc(len / 2 * 3 + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint32_t c = p[i] | (uint32_t)p[i + 1] << 8;
        if (c >= 0xD800 && c <= 0xDBFF) {
            uint32_t lo;
            if (i + 3 >= len)
                goto bad;
            lo = p[i + 2] | (uint32_t)p[i + 3] << 8;
            if (lo < 0xDC00 || lo > 0xDFFF)
                goto bad;
            c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
            i += 2;
        } else if ((c >= 0xDC00 && c <= 0xDFFF) || c == 0) {
            goto bad;
        }
        if (c < 0x80) {
            *o++ = (char)c;
        } else if (c < 0x800) {
            *o++ = (char)(0xC0 | c >> 6);
            *o++ = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *o++ = (char)(0xE0 | c >> 12);
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (char)(0xF0 | c >> 18);
            *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *o = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

enum { PL_LINKAGE, PL_LINKAGE2, PL_RELATIVE, PL_VOLUME, PL_ABSOLUTE, PL_N };
static const char *const locator_keys[PL_N] = {
    "parent_linkage", "parent_linkage2", "relative_path", "volume_path",
    "absolute_win32_path",
};

static int
read_parent_locator(struct v2k_image *img, uint64_t off, uint32_t len,
                    char *vals[PL_N])
{
    const char *name = img->transport->name;
    CLEANUP_FREE unsigned char *buf = v2k_malloc(len);
    struct vhdx_parent_locator_header h;
    uint32_t n;

    if (buf == NULL || file_read(img, buf, len, off) == -1)
        return -1;
    memcpy(&h, buf, sizeof h);
    if (!guid_eq(h.locator_type, &vhdx_parent_type_guid)) {
        char g[39];
        guid_format(h.locator_type, g);
        v2k_error("%s: Parent Locator type %s is not the VHDX parent locator", name, g);
        return -1;
    }
    n = le16toh(h.key_value_count);
    if (sizeof h + (uint64_t)n * 12 > len) {
        v2k_error("%s: Parent Locator key/value count %u does not fit its %u bytes", name, n, len);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct vhdx_parent_locator_entry e;
        CLEANUP_FREE char *key = NULL;
        uint32_t ko, vo;
        uint16_t kl, vl;

        memcpy(&e, buf + sizeof h + i * sizeof e, sizeof e);
        ko = le32toh(e.key_offset);
        vo = le32toh(e.value_offset);
        kl = le16toh(e.key_length);
        vl = le16toh(e.value_length);
        if ((uint64_t)ko + kl > len || (uint64_t)vo + vl > len ||
            kl == 0 || vl == 0 || kl % 2 || vl % 2) {
            v2k_error("%s: Parent Locator entry %u (key at %u, %u bytes; value at %u, %u bytes) is outside its %u bytes or not UTF-16", name, i, ko, kl, vo, vl, len);
            return -1;
        }
        key = utf16le_to_utf8(buf + ko, kl);
        if (key == NULL) {
            v2k_error("%s: Parent Locator entry %u: key is not valid UTF-16", name, i);
            return -1;
        }
        for (int k = 0; k < PL_N; k++) {
            if (strcmp(key, locator_keys[k]) != 0)
                continue;
            if (vals[k]) {
                v2k_error("%s: Parent Locator key %s appears twice", name,
                          key);
                return -1;
            }
            vals[k] = utf16le_to_utf8(buf + vo, vl);
            if (vals[k] == NULL) {
                v2k_error("%s: Parent Locator %s value is not valid UTF-16", name, key);
                return -1;
            }
        }
    }
    if (vals[PL_LINKAGE] == NULL) {
        v2k_error("%s: Parent Locator has no parent_linkage", name);
        return -1;
    }
    return 0;
}

static const char *
last_component(const char *p)
{
    const char *slash = strrchr(p, '/');
    return slash ? slash + 1 : p;
}

static bool
linkage_matches(const char *linkage, const char *guid)
{
    return linkage && strcasecmp(linkage, guid) == 0;
}

static int
open_parent(struct v2k_image *img, const struct v2k_open_opts *opts,
            uint64_t md_off, const struct vhdx_metadata *md)
{
    struct vhdx_state *s = img->state;
    const char *name = img->transport->name;
    char *vals[PL_N] = { 0 };
    char *cands[4] = { 0 };
    const char *cand_key[4];
    CLEANUP_FREE char *first_err = NULL;
    struct vhdx_state *ps;
    char pg[39];
    int nc = 0, r = -1;

    if (read_parent_locator(img, md_off + md->locator_offset,
                            md->locator_length, vals) == -1)
        goto out;
    /* Paths are Windows paths: backslashes separate.  relative_path
     * first (2.6.2.6.2), then what absolute paths end with, next to this
     * file; an absolute POSIX path only as the open options allow. */
    for (int k = PL_RELATIVE; k < PL_N; k++) {
        char *p;
        if (vals[k] == NULL)
            continue;
        for (p = vals[k]; *p; p++)
            if (*p == '\\')
                *p = '/';
    }
    if (vals[PL_RELATIVE] && vals[PL_RELATIVE][0] != '/') {
        const char *rel = vals[PL_RELATIVE];
        while (rel[0] == '.' && rel[1] == '/')
            rel += 2;               /* ".\parent.vhdx" */
        cand_key[nc] = "relative_path";
        cands[nc++] = v2k_strdup(rel);
    }
    if (vals[PL_ABSOLUTE] && vals[PL_ABSOLUTE][0] == '/') {
        cand_key[nc] = "absolute_win32_path";
        cands[nc++] = v2k_strdup(vals[PL_ABSOLUTE]);
    }
    for (int k = PL_VOLUME; k < PL_N; k++) {
        if (vals[k] && *last_component(vals[k])) {
            cand_key[nc] = locator_keys[k];
            cands[nc++] = v2k_strdup(last_component(vals[k]));
        }
    }
    if (nc == 0) {
        v2k_error("%s: Parent Locator has no relative_path, volume_path or absolute_win32_path", name);
        goto out;
    }
    for (int i = 0; i < nc && s->parent == NULL; i++) {
        if (cands[i] == NULL)
            goto out;               /* strdup failed */
        s->parent = v2k_image_open_backing(img, cands[i], "vhdx", opts);
        if (s->parent == NULL && first_err == NULL) {
            first_err = v2k_asprintf("%s: cannot open the parent named by "
                                     "%s '%s': %s", name, cand_key[i],
                                     cands[i], v2k_error_message());
            if (first_err == NULL)
                goto out;
        }
    }
    if (s->parent == NULL) {
        v2k_error("%s", first_err);
        goto out;
    }
    /* 2.6.2.6.2: parent_linkage is the parent's DataWriteGuid (or, while
     * the parent is being changed, parent_linkage2). */
    ps = s->parent->state;
    guid_format(ps->data_write_guid, pg);
    if (!linkage_matches(vals[PL_LINKAGE], pg) &&
        !linkage_matches(vals[PL_LINKAGE2], pg)) {
        v2k_error("%s: parent_linkage %s does not match DataWriteGuid %s of parent %s", name, vals[PL_LINKAGE], pg,
                  v2k_image_name(s->parent));
        goto out;
    }
    if (ps->logical_sector_size != s->logical_sector_size) {
        v2k_error("%s: logical sector size %u differs from %u of parent %s",
                  name, s->logical_sector_size, ps->logical_sector_size,
                  v2k_image_name(s->parent));
        goto out;
    }
    r = 0;
out:
    for (int k = 0; k < PL_N; k++)
        free(vals[k]);
    for (int i = 0; i < nc; i++)
        free(cands[i]);
    return r;
}

/* ---- Open / close ----------------------------------------------------- */

static void
vhdx_close(struct v2k_image *img)
{
    struct vhdx_state *s = img->state;

    v2k_image_close(s->parent);
    s->parent = NULL;
    free(s->bat);
    s->bat = NULL;
    v2k_vhdx_overlay_free(&s->ov);
}

static int
vhdx_open(struct v2k_image *img, const struct v2k_open_opts *opts)
{
    struct vhdx_state *s = img->state;
    struct v2k_transport *t = img->transport;
    struct vhdx_metadata md = { 0 };
    struct vhdx_header h;
    unsigned char ident[8];
    uint64_t bat_off = 0, md_off = 0;
    uint32_t bat_len = 0, md_len = 0;

    if (t->size < HEADER_SECTION_SIZE) {
        v2k_error("%s: file is %llu bytes, smaller than the 1 MiB VHDX header section (truncated?)", t->name,
                  (unsigned long long)t->size);
        return -1;
    }
    if (v2k_transport_pread(t, ident, sizeof ident, 0) == -1)
        return -1;
    if (memcmp(ident, "vhdxfile", 8) != 0) {
        v2k_error("%s: file type identifier at offset 0 is not 'vhdxfile'",
                  t->name);
        return -1;
    }
    if (read_headers(img, &h) == -1)
        return -1;
    memcpy(s->data_write_guid, h.data_write_guid, 16);
    s->ov.file_size = t->size;
    /* 2.3: a non-zero LogGuid means the log may hold updates that were
     * not applied yet; they must be replayed before anything else. */
    if (!guid_is_zero(h.log_guid) &&
        v2k_vhdx_log_replay(t, h.log_guid, h.log_offset, h.log_length,
                            &s->ov) == -1)
        goto fail;
    if (read_region_table(img, &bat_off, &bat_len, &md_off, &md_len) == -1 ||
        read_metadata(img, md_off, md_len, &md) == -1 ||
        check_metadata(img, &md) == -1)
        goto fail;
    s->block_size = md.block_size;
    s->logical_sector_size = md.lss;
    s->physical_sector_size = md.have_pss ? md.pss : md.lss;
    s->has_parent = (md.params_flags & 2) != 0;
    /* 2.5: chunk ratio = 2^23 * LogicalSectorSize / BlockSize, >= 16. */
    s->chunk_ratio = (SECTORS_PER_BITMAP * md.lss) / md.block_size;
    s->data_blocks = V2K_DIV_ROUND_UP(md.virtual_size, md.block_size);
    img->size = md.virtual_size;
    if (read_bat(img, bat_off, bat_len) == -1)
        goto fail;
    if (s->has_parent && open_parent(img, opts, md_off, &md) == -1)
        goto fail;
    return 0;
fail:
    vhdx_close(img);
    return -1;
}

static struct v2k_image *
vhdx_backing(struct v2k_image *img)
{
    struct vhdx_state *s = img->state;
    return s->parent;
}

/* ---- Reading ---------------------------------------------------------- */

static int
parent_read(struct v2k_image *img, unsigned char *buf, size_t count,
            uint64_t offset)
{
    struct vhdx_state *s = img->state;
    return v2k_image_pread_backing(s->parent, buf, count, offset);
}

/* The sector bitmap bits for the sectors of [offset, offset + count)
 * (within one payload block), first bit at bit (*shift) of (*bits)[0]. */
static int
read_bitmap(struct v2k_image *img, uint64_t block, uint64_t offset,
            uint64_t count, unsigned char **bits, unsigned *shift)
{
    struct vhdx_state *s = img->state;
    uint64_t first = offset / s->logical_sector_size;
    uint64_t last = (offset + count - 1) / s->logical_sector_size;
    uint64_t b0 = (first % SECTORS_PER_BITMAP) / 8;
    uint64_t b1 = (last % SECTORS_PER_BITMAP) / 8;
    uint64_t base = BAT_OFFSET(s->bat[bitmap_index(s, block)]);

    *bits = v2k_malloc(b1 - b0 + 1);
    if (*bits == NULL)
        return -1;
    *shift = first % 8;
    if (file_read(img, *bits, b1 - b0 + 1, base + b0) == -1) {
        free(*bits);
        *bits = NULL;
        return -1;
    }
    return 0;
}

static bool
bit_at(const unsigned char *bits, uint64_t i)
{
    return (bits[i / 8] >> (i % 8)) & 1;    /* 2.5.2: bit 0 of byte 0 first */
}

/* Length of the run of sectors with the same bit from byte pos of the
 * piece [offset, offset + count), clipped to the piece. */
static uint64_t
bit_run(const struct vhdx_state *s, const unsigned char *bits,
        unsigned shift, uint64_t offset, uint64_t count, uint64_t pos,
        bool *present)
{
    uint64_t lss = s->logical_sector_size;
    uint64_t first = offset / lss, sec = (offset + pos) / lss, end;
    uint64_t last = (offset + count - 1) / lss;

    *present = bit_at(bits, shift + (sec - first));
    while (sec < last && bit_at(bits, shift + (sec + 1 - first)) == *present)
        sec++;
    end = (sec + 1) * lss;
    if (end > offset + count)
        end = offset + count;
    return end - (offset + pos);
}

static int
read_partial(struct v2k_image *img, uint64_t block, unsigned char *buf,
             uint64_t count, uint64_t offset, uint64_t file_off)
{
    struct vhdx_state *s = img->state;
    CLEANUP_FREE unsigned char *bits = NULL;
    unsigned shift;
    uint64_t pos = 0;

    if (read_bitmap(img, block, offset, count, &bits, &shift) == -1)
        return -1;
    while (pos < count) {
        bool present;
        uint64_t n = bit_run(s, bits, shift, offset, count, pos, &present);
        int r = present ? file_read(img, buf + pos, n, file_off + pos)
                        : parent_read(img, buf + pos, n, offset + pos);
        if (r == -1)
            return -1;
        pos += n;
    }
    return 0;
}

static int
vhdx_pread(struct v2k_image *img, void *buf, size_t count, uint64_t offset)
{
    struct vhdx_state *s = img->state;
    unsigned char *p = buf;

    while (count > 0) {
        uint64_t block = offset / s->block_size;
        uint64_t in = offset % s->block_size;
        uint64_t e = s->bat[bat_index(s, block)];
        size_t n = s->block_size - in < count ? s->block_size - in : count;
        int r = 0;

        switch (BAT_STATE(e)) {
        case PAYLOAD_BLOCK_FULLY_PRESENT:
            r = file_read(img, p, n, BAT_OFFSET(e) + in);
            break;
        case PAYLOAD_BLOCK_PARTIALLY_PRESENT:
            r = read_partial(img, block, p, n, offset, BAT_OFFSET(e) + in);
            break;
        case PAYLOAD_BLOCK_NOT_PRESENT:
            /* 2.5.1.1: in a differencing file, the parent's. */
            if (s->parent) {
                r = parent_read(img, p, n, offset);
                break;
            }
            /* fall through */
        default:        /* ZERO, UNDEFINED, UNMAPPED: read as zero */
            memset(p, 0, n);
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

static int
parent_extents(struct v2k_image *img, uint64_t offset, uint64_t length,
               struct v2k_extent_list *out)
{
    struct vhdx_state *s = img->state;
    struct v2k_image *p = s->parent;
    struct v2k_extent_list tmp = { 0 };
    int r = 0;

    /* Through a list of its own: the parent's first extent must not
     * merge into ours, or the checked wrapper sees no extent. */
    while (length > 0 && r == 0) {
        uint64_t n, end;
        if (offset >= p->size) {
            r = v2k_extent_list_add(out, offset, length, V2K_EXTENT_ZERO);
            break;
        }
        n = p->size - offset < length ? p->size - offset : length;
        v2k_extent_list_clear(&tmp);
        if (v2k_image_extents(p, offset, n, &tmp) == -1) {
            r = -1;
            break;
        }
        for (size_t i = 0; i < tmp.n && r == 0; i++)
            r = v2k_extent_list_add(out, tmp.v[i].offset, tmp.v[i].length,
                                    tmp.v[i].type);
        end = tmp.v[tmp.n - 1].offset + tmp.v[tmp.n - 1].length;
        length -= end - offset;
        offset = end;
    }
    v2k_extent_list_free(&tmp);
    return r;
}

static int
partial_extents(struct v2k_image *img, uint64_t block, uint64_t offset,
                uint64_t count, struct v2k_extent_list *out)
{
    struct vhdx_state *s = img->state;
    CLEANUP_FREE unsigned char *bits = NULL;
    unsigned shift;
    uint64_t pos = 0;

    if (read_bitmap(img, block, offset, count, &bits, &shift) == -1)
        return -1;
    while (pos < count) {
        bool present;
        uint64_t n = bit_run(s, bits, shift, offset, count, pos, &present);
        int r = present ? v2k_extent_list_add(out, offset + pos, n,
                                              V2K_EXTENT_DATA)
                        : parent_extents(img, offset + pos, n, out);
        if (r == -1)
            return -1;
        pos += n;
    }
    return 0;
}

/* Stop after this many new extents; the caller asks again from there. */
#define EXTENTS_BATCH 4096

static int
vhdx_extents(struct v2k_image *img, uint64_t offset, uint64_t length,
             struct v2k_extent_list *out)
{
    struct vhdx_state *s = img->state;
    size_t first = out->n;

    while (length > 0 && out->n - first < EXTENTS_BATCH) {
        uint64_t block = offset / s->block_size;
        uint64_t in = offset % s->block_size;
        uint64_t e = s->bat[bat_index(s, block)];
        uint64_t n = s->block_size - in < length ? s->block_size - in
                                                 : length;
        int r;

        switch (BAT_STATE(e)) {
        case PAYLOAD_BLOCK_FULLY_PRESENT:
            r = v2k_extent_list_add(out, offset, n, V2K_EXTENT_DATA);
            break;
        case PAYLOAD_BLOCK_PARTIALLY_PRESENT:
            r = partial_extents(img, block, offset, n, out);
            break;
        case PAYLOAD_BLOCK_NOT_PRESENT:
            if (s->parent) {
                r = parent_extents(img, offset, n, out);
                break;
            }
            /* fall through */
        default:
            r = v2k_extent_list_add(out, offset, n, V2K_EXTENT_ZERO);
            break;
        }
        if (r == -1)
            return -1;
        offset += n;
        length -= n;
    }
    return 0;
}

const struct v2k_format v2k_format_vhdx = {
    .name = "vhdx",
    .description = "Hyper-V VHDX (fixed, dynamic, differencing)",
    .instance_size = sizeof(struct vhdx_state),
    .probe = vhdx_probe,
    .open = vhdx_open,
    .pread = vhdx_pread,
    .extents = vhdx_extents,
    .close = vhdx_close,
    .backing = vhdx_backing,
};
