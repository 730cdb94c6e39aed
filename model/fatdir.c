/* fatdir.c - a loader in an EFI system partition's FAT (fatdir.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fatdir.h"

/* The largest cluster read: fatgen103 says a cluster over 32 KiB is not
 * valid; some formatters write 64 KiB ones and UEFI firmware reads them. */
#define MAX_CLUSTER_BYTES (64 * 1024)
/* The FAT12/16 root directory is read in pieces of this size. */
#define ROOT_CHUNK 4096

struct fat {
    v2k_fat_read_fn rd;
    void *opaque;
    uint64_t size;              /* of the file system, bytes */
    int type;                   /* 12, 16 or 32 */
    uint64_t fat_off;           /* the first FAT, bytes */
    uint64_t root_off;          /* FAT12/16: the root directory region */
    uint32_t root_len;
    uint32_t root_clus;         /* FAT32: the root directory's cluster */
    uint64_t data_off;          /* cluster 2, bytes */
    uint32_t clus_bytes;
    uint32_t nclusters;         /* data clusters: 2 .. nclusters + 1 */
};

static unsigned
le16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* 0 read, 1 not inside the file system (bad content), -1 rd failed. */
static int
fat_read(const struct fat *f, void *buf, size_t len, uint64_t off)
{
    if (off > f->size || f->size - off < len)
        return 1;
    return f->rd(f->opaque, buf, len, off) == -1 ? -1 : 0;
}

/* Fill *f from the boot sector: 0, or 1 when it is not a FAT BPB. */
static int
parse_bpb(const uint8_t *b, struct fat *f)
{
    unsigned bps = le16(b + 11), spc = b[13], rsvd = le16(b + 14);
    unsigned nfats = b[16], root_ents = le16(b + 17);
    uint64_t tot = le16(b + 19) ? le16(b + 19) : le32(b + 32);
    uint64_t fatsz = le16(b + 22) ? le16(b + 22) : le32(b + 36);
    uint64_t root_secs, first_data, clusters;

    if (b[510] != 0x55 || b[511] != 0xAA ||
        (b[0] != 0xEB && b[0] != 0xE9))     /* fatgen103: the jump */
        return 1;
    if ((bps != 512 && bps != 1024 && bps != 2048 && bps != 4096) ||
        spc == 0 || (spc & (spc - 1)) != 0 ||
        (uint64_t)bps * spc > MAX_CLUSTER_BYTES ||
        rsvd == 0 || nfats == 0 || fatsz == 0 || tot == 0)
        return 1;
    root_secs = ((uint64_t)root_ents * 32 + bps - 1) / bps;
    first_data = rsvd + nfats * fatsz + root_secs;
    /* a volume claiming more sectors than the partition holds is read
     * as far as it goes (fat_read stops at the end) */
    if (first_data >= tot)
        return 1;
    clusters = (tot - first_data) / spc;
    if (clusters == 0 || clusters > 0x0FFFFFF5)
        return 1;
    f->type = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
    f->nclusters = (uint32_t)clusters;
    f->clus_bytes = bps * spc;
    f->fat_off = (uint64_t)rsvd * bps;
    f->data_off = first_data * bps;
    if (f->type == 32) {
        /* fatgen103: FAT32 has no fixed root region and a 32-bit FAT
         * size; its root starts at the cluster at 44 */
        if (root_ents != 0 || le16(b + 22) != 0)
            return 1;
        f->root_clus = le32(b + 44);
        if (f->root_clus < 2 || f->root_clus - 2 >= f->nclusters)
            return 1;
    } else {
        if (root_ents == 0)
            return 1;
        f->root_off = (rsvd + nfats * fatsz) * bps;
        f->root_len = root_ents * 32;
    }
    return 0;
}

/* The cluster after c in its chain, 0 at the end of the chain or where
 * the FAT says something that is not a data cluster; -1 rd failed. */
static int64_t
next_cluster(const struct fat *f, uint32_t c)
{
    uint8_t b[4];
    uint32_t v;
    int r;

    switch (f->type) {
    case 12:                    /* 12 bits at c * 1.5 */
        r = fat_read(f, b, 2, f->fat_off + c + c / 2);
        v = r == 0 ? le16(b) : 0;
        v = c & 1 ? v >> 4 : v & 0xFFF;
        break;
    case 16:
        r = fat_read(f, b, 2, f->fat_off + (uint64_t)c * 2);
        v = r == 0 ? le16(b) : 0;
        break;
    default:                    /* the top 4 bits are reserved */
        r = fat_read(f, b, 4, f->fat_off + (uint64_t)c * 4);
        v = r == 0 ? le32(b) & 0x0FFFFFFF : 0;
        break;
    }
    if (r == -1)
        return -1;
    /* end-of-chain and bad-cluster marks are all >= nclusters + 2 */
    if (r != 0 || v < 2 || v - 2 >= f->nclusters)
        return 0;
    return v;
}

/* Called for each entry in use of a directory: 1 stops the walk (found),
 * 0 goes on, -1 is an error. */
typedef int (*entry_fn)(const struct fat *f, const uint8_t *e, void *arg);

static int
walk_block(const struct fat *f, const uint8_t *buf, size_t len,
           entry_fn fn, void *arg, bool *end)
{
    for (size_t i = 0; i + 32 <= len; i += 32) {
        const uint8_t *e = buf + i;
        int r;

        if (e[0] == 0x00) {     /* no entries after this one */
            *end = true;
            return 0;
        }
        if (e[0] == 0xE5 || (e[11] & 0x3F) == 0x0F || (e[11] & 0x08))
            continue;           /* deleted, long-name piece, label */
        if ((r = fn(f, e, arg)) != 0)
            return r;
    }
    return 0;
}

/* Walk the directory starting at cluster clus (0: the FAT12/16 root). */
static int
walk_dir(const struct fat *f, uint32_t clus, entry_fn fn, void *arg)
{
    uint32_t chunk = clus == 0 ? ROOT_CHUNK : f->clus_bytes;
    uint8_t *buf = malloc(chunk);
    uint64_t done = 0;
    bool end = false;
    int r = 0;

    if (buf == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    if (clus == 0 && f->type == 32)
        clus = f->root_clus;
    while (!end && r == 0 && done < V2K_FAT_MAX_DIR_BYTES) {
        uint64_t off;
        size_t len = chunk;
        int64_t next;

        if (clus == 0) {        /* the fixed FAT12/16 root region */
            if (done >= f->root_len)
                break;
            if (f->root_len - done < len)
                len = (size_t)(f->root_len - done);
            off = f->root_off + done;
        } else
            off = f->data_off + (uint64_t)(clus - 2) * f->clus_bytes;
        if ((r = fat_read(f, buf, len, off)) != 0) {
            if (r == 1)         /* past the volume: the directory ends */
                r = 0;
            break;
        }
        r = walk_block(f, buf, len, fn, arg, &end);
        done += len;
        if (clus != 0 && r == 0 && !end) {
            /* the walk's length bound also ends a chain that loops */
            if ((next = next_cluster(f, clus)) == -1)
                r = -1;
            else if (next == 0)
                break;
            else
                clus = (uint32_t)next;
        }
    }
    free(buf);
    return r == 1 ? 1 : r == -1 ? -1 : 0;
}

/* "GRUBX64 EFI" -> "GRUBX64.EFI" into out (13 bytes). */
static void
name83(const uint8_t *e, char *out)
{
    size_t n = 0;

    for (int i = 0; i < 8 && e[i] != ' '; i++) {
        uint8_t c = i == 0 && e[0] == 0x05 ? 0xE5 : e[i];

        out[n++] = c > 0x20 && c < 0x7F && c != '\\' ? (char)c : '?';
    }
    if (e[8] != ' ')
        out[n++] = '.';
    for (int i = 8; i < 11 && e[i] != ' '; i++)
        out[n++] = e[i] > 0x20 && e[i] < 0x7F && e[i] != '\\' ? (char)e[i]
                                                              : '?';
    out[n] = '\0';
}

static bool
is_dir(const uint8_t *e)
{
    return (e[11] & 0x10) != 0 && e[0] != '.';
}

static uint32_t
first_cluster(const struct fat *f, const uint8_t *e)
{
    uint32_t c = le16(e + 26);

    if (f->type == 32)
        c |= (uint32_t)le16(e + 20) << 16;
    return c;
}

static bool
cluster_ok(const struct fat *f, uint32_t c)
{
    return c >= 2 && c - 2 < f->nclusters;
}

struct search {
    char *loader;
    size_t loader_size;
    char dir[13];               /* \EFI\DIR being walked */
    char sub[13];               /* \EFI\DIR\SUB being walked, or "" */
    uint32_t efi_clus, dir_clus;
    unsigned dirs;              /* directories walked under \EFI */
};

/* A file *.EFI (the extension is bytes 8..10; UEFI names are
 * case-insensitive, and 8.3 aliases are upper case). */
static int
find_loader_file(const struct fat *f, const uint8_t *e, void *arg)
{
    struct search *s = arg;
    char name[13];

    (void)f;
    if ((e[11] & 0x10) != 0 || memcmp(e + 8, "EFI", 3) != 0)
        return 0;
    name83(e, name);
    snprintf(s->loader, s->loader_size, "\\EFI\\%s\\%s%s%s", s->dir, s->sub,
             s->sub[0] ? "\\" : "", name);
    return 1;
}

/* Is c a directory to walk (not \EFI itself or its parent's, and
 * within V2K_FAT_MAX_SUBDIRS)?  1 yes, 0 skip it, 2 stop looking. */
static int
take_dir(const struct fat *f, const uint8_t *e, struct search *s,
         uint32_t *c)
{
    if (!is_dir(e) || !cluster_ok(f, *c = first_cluster(f, e)) ||
        *c == s->efi_clus || *c == s->dir_clus)
        return 0;
    return s->dirs++ < V2K_FAT_MAX_SUBDIRS ? 1 : 2;
}

/* In \EFI\DIR: each subdirectory's files (Windows keeps its loader in
 * \EFI\Microsoft\Boot). */
static int
find_in_subsub(const struct fat *f, const uint8_t *e, void *arg)
{
    struct search *s = arg;
    uint32_t c;
    int r;

    if ((r = take_dir(f, e, s, &c)) != 1)
        return r;
    name83(e, s->sub);
    r = walk_dir(f, c, find_loader_file, s);
    s->sub[0] = '\0';
    return r;
}

/* In \EFI: each subdirectory, its files first, then its subdirectories'. */
static int
find_in_subdir(const struct fat *f, const uint8_t *e, void *arg)
{
    struct search *s = arg;
    uint32_t c;
    int r;

    if ((r = take_dir(f, e, s, &c)) != 1)
        return r;
    name83(e, s->dir);
    s->dir_clus = c;
    if ((r = walk_dir(f, c, find_loader_file, s)) == 0)
        r = walk_dir(f, c, find_in_subsub, s);
    s->dir_clus = 0;
    return r;
}

/* In the root: the directory EFI. */
static int
find_efi_dir(const struct fat *f, const uint8_t *e, void *arg)
{
    struct search *s = arg;
    uint32_t c;
    int r;

    if (!is_dir(e) || memcmp(e, "EFI        ", 11) != 0 ||
        !cluster_ok(f, c = first_cluster(f, e)))
        return 0;
    s->efi_clus = c;
    r = walk_dir(f, c, find_in_subdir, s);
    return r == 0 ? 2 : r;      /* one \EFI: done with the root either way */
}

int
v2k_fat_find_loader(v2k_fat_read_fn rd, void *opaque, uint64_t size,
                    char *loader, size_t loader_size)
{
    struct fat f = { .rd = rd, .opaque = opaque, .size = size };
    struct search s = { .loader = loader, .loader_size = loader_size };
    uint8_t boot[512];
    int r;

    if (loader_size)
        loader[0] = '\0';
    if ((r = fat_read(&f, boot, sizeof boot, 0)) == -1)
        return -1;
    if (r != 0 || parse_bpb(boot, &f) != 0)
        return V2K_ESP_NOT_FAT;
    r = walk_dir(&f, 0, find_efi_dir, &s);
    if (r == -1)
        return -1;
    return r == 1 ? V2K_ESP_LOADER : V2K_ESP_NO_LOADER;
}
