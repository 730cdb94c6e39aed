/* ondisk.c - see ondisk.h. */
#include "ondisk.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECTOR 512u

/* ---- little-endian fields ------------------------------------------- */

static uint16_t
le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Exactly len bytes at off, else false (a short read is "not there"). */
static bool
read_at(int fd, void *buf, size_t len, uint64_t off)
{
    size_t got = 0;

    if (off > (uint64_t)INT64_MAX - len)
        return false;
    while (got < len) {
        ssize_t r = pread(fd, (char *)buf + got, len - got,
                          (off_t)(off + got));
        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static void
hex(char *out, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ---- md --------------------------------------------------------------- */

/* include/uapi/linux/raid/md_p.h: MD_SB_MAGIC, MD_RESERVED_BYTES (64 KiB)
 * for 0.90, whose superblock is MD_SB_BYTES (4096) long. */
#define MD_MAGIC 0xa92b4efcu
#define MD_RESERVED (64u * 1024)
#define MD_SB_BYTES 4096u
#define MD_SB_DISKS 27          /* 0.90: descriptors in the superblock */

static const char *
md_level_name(int32_t level, char *buf, size_t len)
{
    switch (level) {
    case -5: return "faulty";
    case -4: return "multipath";
    case -1: return "linear";
    case 0: return "raid0";
    case 1: return "raid1";
    case 4: return "raid4";
    case 5: return "raid5";
    case 6: return "raid6";
    case 10: return "raid10";
    }
    snprintf(buf, len, "level %d", (int)level);
    return buf;
}

/* The 32-bit sum folded once, as md.c's calc_sb_csum (0.90) and
 * calc_sb_1_csum (1.x) compute it, over len bytes with the checksum
 * field (at csum_off) taken as 0. */
static uint32_t
md_csum(const unsigned char *sb, size_t len, size_t csum_off)
{
    uint64_t sum = 0;
    size_t i;

    for (i = 0; i + 4 <= len; i += 4)
        if (i != csum_off)
            sum += le32(sb + i);
    if (len - i == 2)
        sum += le16(sb + i);
    return (uint32_t)((sum & 0xffffffffu) + (sum >> 32));
}

/* mdp_super_t (0.90), 32-bit words, stored in the CPU's order (x86:
 * little-endian, all the ISO boots on):
 *   word 0 md_magic, 1 major_version (0), 2 minor_version (90),
 *   5 set_uuid0, 7 level, 10 raid_disks, 11 md_minor,
 *   13..15 set_uuid1..3; 38 sb_csum (MD_SB_GENERIC_CONSTANT_WORDS 32 +
 *   6); this_disk, an mdp_disk_t, at word 992 (MD_SB_DESCRIPTOR_OFFSET):
 *   number, major, minor, raid_disk, state (bit 0 faulty, 1 active,
 *   2 sync). */
static bool
md_090(int fd, uint64_t size, struct v2k_p2v_ondisk *o)
{
    unsigned char sb[MD_SB_BYTES];
    uint64_t off;
    uint32_t w[4], raid_disks, state, slot;

    if (size < 2 * (uint64_t)MD_RESERVED)
        return false;
    off = (size & ~((uint64_t)MD_RESERVED - 1)) - MD_RESERVED;
    if (!read_at(fd, sb, sizeof sb, off) || le32(sb) != MD_MAGIC ||
        le32(sb + 4) != 0 || le32(sb + 8) != 90)
        return false;
    if (md_csum(sb, sizeof sb, 38 * 4) != le32(sb + 38 * 4))
        return false;
    raid_disks = le32(sb + 10 * 4);
    if (raid_disks == 0 || raid_disks > MD_SB_DISKS)
        return false;
    w[0] = le32(sb + 5 * 4);
    w[1] = le32(sb + 13 * 4);
    w[2] = le32(sb + 14 * 4);
    w[3] = le32(sb + 15 * 4);
    for (int i = 0; i < 4; i++) {
        unsigned char b[4] = { (unsigned char)(w[i] >> 24),
                               (unsigned char)(w[i] >> 16),
                               (unsigned char)(w[i] >> 8),
                               (unsigned char)w[i] };
        hex(o->md_uuid + 8 * i, b, 4);
    }
    snprintf(o->md_version, sizeof o->md_version, "0.90");
    snprintf(o->md_name, sizeof o->md_name, "md%u",
             le32(sb + 11 * 4) & 0xffff);
    {
        char buf[16];
        snprintf(o->md_level, sizeof o->md_level, "%s",
                 md_level_name((int32_t)le32(sb + 7 * 4), buf, sizeof buf));
    }
    o->md_raid_disks = raid_disks;
    slot = le32(sb + (992 + 3) * 4);
    state = le32(sb + (992 + 4) * 4);
    o->md_role = state & 1 ? V2K_P2V_MD_ROLE_FAULTY
                 : (state & 6) == 6 && slot < raid_disks ? (int)slot
                 : V2K_P2V_MD_ROLE_SPARE;
    return true;
}

/* struct mdp_superblock_1 (1.x), little-endian, byte offsets:
 *   0 magic, 4 major_version (1), 16 set_uuid[16], 32 set_name[32],
 *   72 level, 92 raid_disks, 128 data_offset, 136 data_size (sectors),
 *   144 super_offset (sectors: where this superblock is), 160
 *   dev_number, 216 sb_csum, 220 max_dev, 256 dev_roles[max_dev] (le16:
 *   0xffff spare, 0xfffe faulty, 0xfffd journal).
 * md.c refuses max_dev above (4096 - 256) / 2 and sums 256 + 2 *
 * max_dev bytes for the checksum. */
static bool
md_1(int fd, uint64_t size, uint64_t off, const char *version,
     struct v2k_p2v_ondisk *o)
{
    unsigned char sb[4096];
    uint32_t max_dev, raid_disks, dev_number;
    uint64_t data_offset, data_size, sectors = size / SECTOR;
    size_t k = 0;

    if (off + sizeof sb > size || !read_at(fd, sb, sizeof sb, off) ||
        le32(sb) != MD_MAGIC || le32(sb + 4) != 1)
        return false;
    max_dev = le32(sb + 220);
    raid_disks = le32(sb + 92);
    dev_number = le32(sb + 160);
    data_offset = le64(sb + 128);
    data_size = le64(sb + 136);
    if (max_dev > V2K_P2V_MD_MAX_DISKS || raid_disks == 0 ||
        raid_disks > max_dev || le64(sb + 144) != off / SECTOR ||
        data_offset > sectors || data_size > sectors - data_offset)
        return false;
    if (md_csum(sb, 256 + 2 * (size_t)max_dev, 216) != le32(sb + 216))
        return false;
    hex(o->md_uuid, sb + 16, 16);
    for (size_t i = 0; i < 32 && sb[32 + i]; i++)
        o->md_name[k++] = sb[32 + i] >= 0x20 && sb[32 + i] < 0x7f
                          ? (char)sb[32 + i] : '?';
    o->md_name[k] = '\0';
    if (k == 0)
        snprintf(o->md_name, sizeof o->md_name, "%.8s", o->md_uuid);
    snprintf(o->md_version, sizeof o->md_version, "%s", version);
    {
        char buf[16];
        snprintf(o->md_level, sizeof o->md_level, "%s",
                 md_level_name((int32_t)le32(sb + 72), buf, sizeof buf));
    }
    o->md_raid_disks = raid_disks;
    if (dev_number >= max_dev) {
        o->md_role = V2K_P2V_MD_ROLE_SPARE;
    } else {
        uint16_t role = le16(sb + 256 + 2 * dev_number);
        o->md_role = role == 0xffff ? V2K_P2V_MD_ROLE_SPARE
                     : role == 0xfffe ? V2K_P2V_MD_ROLE_FAULTY
                     : role == 0xfffd ? V2K_P2V_MD_ROLE_JOURNAL
                     : role < raid_disks ? (int)role
                     : V2K_P2V_MD_ROLE_SPARE;
    }
    return true;
}

static bool
probe_md(int fd, uint64_t size, struct v2k_p2v_ondisk *o)
{
    /* 1.0: 8 KiB from the end, aligned down to 4 KiB (md.c
     * super_1_load: sb_start = (size >> 9) - 16, & ~7). */
    if (size >= 3 * 4096 &&
        md_1(fd, size, ((size - 8192) & ~(uint64_t)4095), "1.0", o))
        return true;
    if (md_1(fd, size, 0, "1.1", o) || md_1(fd, size, 4096, "1.2", o))
        return true;
    return md_090(fd, size, o);
}

/* ---- LVM2 -------------------------------------------------------------- */

/* lib/misc/crc.c calc_crc: CRC-32 (reflected 0xedb88320) from a given
 * start value, without the final inversion; lib/label/label.h
 * INITIAL_CRC. */
#define LVM_INITIAL_CRC 0xf597a6cfu

static uint32_t
lvm_crc(uint32_t crc, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
    }
    return crc;
}

/* lib/format_text/layout.h: FMTT_MAGIC, MDA_HEADER_SIZE, the
 * raw_locn flag RAW_LOCN_IGNORED. */
static const char lvm_fmtt_magic[16] = " LVM2 x[5A%r0N*>";
#define MDA_HEADER_SIZE 512u
#define RAW_LOCN_IGNORED 1u
#define LVM_MAX_LOCNS 16        /* disk_locn entries read from the label */

/* Characters of VG names (lib/misc/lvm-string.c validate_name) */
static bool
is_vg_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '_' || c == '.' ||
           c == '-';
}

/* ... and of LVM ids (lib/uuid/uuid.c: letters, digits, '!', '#';
 * printed with '-' between groups) */
static bool
is_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '!' || c == '#' || c == '-';
}

/* The VG in a metadata text (lib/format_text/export.c writes it):
 *   VGNAME {
 *   id = "xxxxxx-xxxx-..."
 *   ...
 *   }
 *   # comments, and top-level "key = value" lines after the VG.
 * Only the first top-level "NAME {" and its own id are taken. */
static void
parse_vg(const char *t, size_t len, struct v2k_p2v_ondisk *o)
{
    size_t i = 0;
    int depth = 0;
    bool in_vg = false;

    while (i < len) {
        char c = t[i];
        if (c == '#') {
            while (i < len && t[i] != '\n')
                i++;
        } else if (c == '"') {
            for (i++; i < len && t[i] != '"'; i++)
                if (t[i] == '\\')
                    i++;
            i++;
        } else if (c == '{') {
            depth++;
            i++;
        } else if (c == '}') {
            if (--depth <= 0 && in_vg)
                return;
            i++;
        } else if (is_vg_char(c) && depth <= 1) {
            size_t s = i, e, v;
            while (i < len && is_vg_char(t[i]))
                i++;
            e = i;
            for (v = i; v < len && (t[v] == ' ' || t[v] == '\t'); v++)
                ;
            if (depth == 0 && !in_vg && v < len && t[v] == '{' &&
                e - s < sizeof o->vg_name) {
                memcpy(o->vg_name, t + s, e - s);
                o->vg_name[e - s] = '\0';
                in_vg = true;
            } else if (depth == 1 && in_vg && e - s == 2 &&
                       memcmp(t + s, "id", 2) == 0 && v < len &&
                       t[v] == '=') {
                size_t q = v + 1, k = 0;
                while (q < len && (t[q] == ' ' || t[q] == '\t'))
                    q++;
                if (q < len && t[q] == '"') {
                    for (q++; q < len && t[q] != '"' &&
                              k < sizeof o->vg_id - 1; q++)
                        if (is_id_char(t[q]))
                            o->vg_id[k++] = t[q];
                    o->vg_id[k] = '\0';
                }
            }
        } else {
            i++;
        }
    }
    if (depth != 0)
        o->vg_name[0] = o->vg_id[0] = '\0';     /* cut short: not trusted */
}

/* mda_header at off: checksum_xl (CRC of bytes 4..511), magic[16],
 * version (1), start (its own offset), size, then raw_locn entries
 * {offset, size, checksum, flags} (24 bytes), the first being the
 * newest metadata; the text lies in the circular buffer after the
 * header and may wrap to its start. */
static void
read_mda(int fd, uint64_t devsize, uint64_t off, uint64_t size,
         struct v2k_p2v_ondisk *o)
{
    unsigned char h[MDA_HEADER_SIZE];
    char *text = NULL;
    uint64_t moff, msize, first;

    if (size < 2 * MDA_HEADER_SIZE || off > devsize ||
        size > devsize - off || !read_at(fd, h, sizeof h, off) ||
        lvm_crc(LVM_INITIAL_CRC, h + 4, sizeof h - 4) != le32(h) ||
        memcmp(h + 4, lvm_fmtt_magic, 16) != 0 || le32(h + 20) != 1 ||
        le64(h + 24) != off || le64(h + 32) != size)
        return;
    moff = le64(h + 40);
    msize = le64(h + 48);
    if (moff == 0 || msize == 0 || le32(h + 60) & RAW_LOCN_IGNORED ||
        moff < MDA_HEADER_SIZE || moff >= size ||
        msize > V2K_P2V_ONDISK_MDA_MAX ||
        msize > size - MDA_HEADER_SIZE)
        return;
    /* msize is at most V2K_P2V_ONDISK_MDA_MAX (above) */
    text = malloc((size_t)msize);
    if (text == NULL)
        return;
    first = size - moff < msize ? size - moff : msize;
    if (read_at(fd, text, (size_t)first, off + moff) &&
        (first == msize ||
         read_at(fd, text + first, (size_t)(msize - first),
                 off + MDA_HEADER_SIZE)) &&
        lvm_crc(LVM_INITIAL_CRC, (unsigned char *)text, (size_t)msize) ==
            le32(h + 56))
        parse_vg(text, (size_t)msize, o);
    free(text);
}

/* label_header in one of the first 4 sectors (LABEL_SCAN_SECTORS):
 *   0 id "LABELONE", 8 sector_xl (its own sector), 16 crc_xl (CRC of
 *   offset_xl to the end of the sector), 20 offset_xl (of pv_header),
 *   24 type "LVM2 001";
 * pv_header: pv_uuid[32], device_size_xl, then disk_locn lists
 * {offset, size} (data areas, a zero entry, metadata areas, a zero
 * entry). */
static bool
probe_lvm(int fd, uint64_t size, struct v2k_p2v_ondisk *o)
{
    unsigned char s[SECTOR];

    for (uint64_t n = 0; n < 4; n++) {
        uint32_t po;
        const unsigned char *p;
        size_t left, k = 0;
        bool in_mdas = false;

        if ((n + 1) * SECTOR > size || !read_at(fd, s, sizeof s, n * SECTOR))
            return false;
        if (memcmp(s, "LABELONE", 8) != 0)
            continue;
        po = le32(s + 20);
        if (le64(s + 8) != n || memcmp(s + 24, "LVM2 001", 8) != 0 ||
            po < 32 || po > SECTOR - 32 - 8 ||
            lvm_crc(LVM_INITIAL_CRC, s + 20, SECTOR - 20) != le32(s + 16))
            return false;
        for (int i = 0; i < 32; i++) {
            char c = (char)s[po + i];
            if (!is_id_char(c) || c == '-')
                return false;
            o->pv_uuid[i] = c;
        }
        o->pv_uuid[32] = '\0';
        o->kind = V2K_P2V_ONDISK_LVM;
        p = s + po + 40;
        left = (SECTOR - po - 40) / 16;
        for (size_t i = 0; i < left && k < LVM_MAX_LOCNS; i++, k++) {
            uint64_t off = le64(p + 16 * i), len = le64(p + 16 * i + 8);
            if (off == 0) {
                if (in_mdas)
                    break;
                in_mdas = true;
                continue;
            }
            if (in_mdas) {
                read_mda(fd, size, off, len, o);
                break;          /* the first metadata area */
            }
        }
        return true;
    }
    return false;
}

void
v2k_p2v_ondisk_probe(int fd, uint64_t size, struct v2k_p2v_ondisk *out)
{
    memset(out, 0, sizeof *out);
    if (probe_md(fd, size, out)) {
        out->kind = V2K_P2V_ONDISK_MD;
        return;
    }
    memset(out, 0, sizeof *out);
    if (!probe_lvm(fd, size, out))
        memset(out, 0, sizeof *out);
}
