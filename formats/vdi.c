/* vdi.c - VirtualBox Virtual Disk Images (VDI, header version 1.1).
 *
 * Layout (VirtualBox's VDICore.h, VDI.cpp; qemu's block/vdi.c), all
 * little-endian:
 *   0x000  64 bytes of text ("<<< Oracle VM VirtualBox Disk Image >>>\n",
 *          "<<< Sun xVM VirtualBox Disk Image >>>\n", qemu's own...)
 *   0x040  the header (struct vdi_header below)
 *   offset_bmap  the block map: one 32-bit entry per block of the disk,
 *          the index of the block in the data area, or
 *          0xffffffff  free: not stored here (the parent's data in a
 *                      differencing image, zero otherwise)
 *          0xfffffffe  zero: reads as zero, even over a parent
 *   offset_data  the data area: block i of the area starts at
 *          offset_data + i * (block_size + block_extra) + block_extra.
 *
 * Image types: normal (dynamic, 1), fixed (2), undo (3, obsolete, not
 * supported) and differencing (4).  A differencing image names its parent
 * by UUID only: uuidLinkage is the parent's uuidCreate.  qemu cannot read
 * those; we find the parent among opts->parent_candidates or, over a
 * local file, by scanning the directories VirtualBox puts disks in (the
 * image's, its parent, and a "Snapshots" directory of either), then open
 * it with v2k_image_open_backing (depth and loop limits).
 *
 * State is read-only after open, so pread and extents are thread-safe.
 */
#include "format.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VDI_SIGNATURE       0xbeda107fU     /* VDI_IMAGE_SIGNATURE */
#define VDI_VERSION_1_1     0x00010001U     /* VDI_IMAGE_VERSION */
#define VDI_HEADER_OFFSET   0x40            /* after the text */
#define VDI_HEADER_V1_MIN   0x180   /* cbHeader of v1.1 without LCHS */
#define VDI_TYPE_NORMAL     1       /* VDI_IMAGE_TYPE_NORMAL (dynamic) */
#define VDI_TYPE_FIXED      2
#define VDI_TYPE_UNDO       3
#define VDI_TYPE_DIFF       4
#define VDI_BLOCK_FREE      0xffffffffU     /* VDI_IMAGE_BLOCK_FREE */
#define VDI_BLOCK_ZERO      0xfffffffeU     /* VDI_IMAGE_BLOCK_ZERO */
#define VDI_SECTOR          512

/* Our caps, far above what VirtualBox makes (1 MiB blocks). */
#define VDI_MIN_BLOCK       512U
#define VDI_MAX_BLOCK       (256U << 20)
#define VDI_MAX_BLOCKS      (1U << 28)      /* a 1 GiB block map */
#define VDI_MAX_DIR_ENTRIES 4096            /* per directory searched */

/* The on-disk header, offsets from the start of the file. */
struct vdi_header {
    char text[64];                  /* 0x000 */
    uint32_t signature;             /* 0x040 u32Signature */
    uint32_t version;               /* 0x044 u32Version */
    uint32_t header_size;           /* 0x048 cbHeader, from 0x48 on */
    uint32_t image_type;            /* 0x04c u32Type */
    uint32_t image_flags;           /* 0x050 fFlags */
    char description[256];          /* 0x054 szComment */
    uint32_t offset_bmap;           /* 0x154 offBlocks */
    uint32_t offset_data;           /* 0x158 offData */
    uint32_t cylinders;             /* 0x15c LegacyGeometry */
    uint32_t heads;                 /* 0x160 */
    uint32_t sectors;               /* 0x164 */
    uint32_t sector_size;           /* 0x168 cbSector */
    uint32_t unused1;               /* 0x16c u32Dummy */
    uint64_t disk_size;             /* 0x170 cbDisk */
    uint32_t block_size;            /* 0x178 cbBlock */
    uint32_t block_extra;           /* 0x17c cbBlockExtra */
    uint32_t blocks_in_image;       /* 0x180 cBlocks */
    uint32_t blocks_allocated;      /* 0x184 cBlocksAllocated */
    uint8_t uuid_create[16];        /* 0x188 uuidCreate */
    uint8_t uuid_modify[16];        /* 0x198 uuidModify */
    uint8_t uuid_linkage[16];       /* 0x1a8 uuidLinkage (parent) */
    uint8_t uuid_parent_modify[16]; /* 0x1b8 uuidParentModify */
    uint8_t lchs_geometry[16];      /* 0x1c8 (cbHeader 0x190) */
    uint8_t unused2[40];            /* 0x1d8 */
} __attribute__((packed));

_Static_assert(sizeof(struct vdi_header) == 512, "VDI header is 512 bytes");

struct vdi_state {
    struct vdi_header h;            /* CPU order */
    uint32_t *bmap;                 /* CPU order, h.blocks_in_image */
    uint64_t data_start;            /* offset_data + block_extra */
    uint64_t stride;                /* block_size + block_extra */
    struct v2k_image *parent;       /* owned; differencing images only */
};

static void
vdi_header_to_cpu(struct vdi_header *h)
{
    h->signature = le32toh(h->signature);
    h->version = le32toh(h->version);
    h->header_size = le32toh(h->header_size);
    h->image_type = le32toh(h->image_type);
    h->image_flags = le32toh(h->image_flags);
    h->offset_bmap = le32toh(h->offset_bmap);
    h->offset_data = le32toh(h->offset_data);
    h->cylinders = le32toh(h->cylinders);
    h->heads = le32toh(h->heads);
    h->sectors = le32toh(h->sectors);
    h->sector_size = le32toh(h->sector_size);
    h->disk_size = le64toh(h->disk_size);
    h->block_size = le32toh(h->block_size);
    h->block_extra = le32toh(h->block_extra);
    h->blocks_in_image = le32toh(h->blocks_in_image);
    h->blocks_allocated = le32toh(h->blocks_allocated);
    /* UUIDs stay as stored: they are only compared and printed. */
}

/* VirtualBox's RTUUID keeps the first three fields little-endian (as
 * Windows GUIDs do); print it the way VBoxManage and the Snapshots/{uuid}
 * file names do. */
static void
vdi_uuid_str(const uint8_t u[16], char out[37])
{
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6], u[8], u[9],
             u[10], u[11], u[12], u[13], u[14], u[15]);
}

static bool
vdi_uuid_is_null(const uint8_t u[16])
{
    return v2k_is_zero(u, 16);
}

static int
vdi_probe(const unsigned char *buf, size_t len, uint64_t size)
{
    uint32_t sig;

    (void)size;
    if (len < VDI_HEADER_OFFSET + 8)
        return 0;
    memcpy(&sig, buf + VDI_HEADER_OFFSET, 4);
    if (le32toh(sig) != VDI_SIGNATURE)
        return 0;
    return 100;
}

/* --- finding the parent of a differencing image ------------------------ */

/* True when the object called name next to img is a VDI whose uuidCreate
 * is uuid.  Anything unreadable is simply not the parent. */
static bool
vdi_is_parent(struct v2k_image *img, const char *name, const uint8_t *uuid)
{
    struct v2k_transport *t = v2k_transport_open_sibling(img->transport,
                                                         name);
    struct vdi_header h;
    bool r = false;

    if (t == NULL) {
        v2k_debug("vdi: %s: parent candidate %s: %s", v2k_image_name(img),
                  name, v2k_error_message());
        v2k_error_clear();
        return false;
    }
    if (t->size >= sizeof h && v2k_transport_pread(t, &h, sizeof h, 0) == 0) {
        vdi_header_to_cpu(&h);
        r = h.signature == VDI_SIGNATURE &&
            memcmp(h.uuid_create, uuid, 16) == 0;
    }
    v2k_error_clear();
    v2k_transport_close(t);
    return r;
}

static int
vdi_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Scan dir (relative to img's directory: "", "../", "Snapshots/"...) for
 * *.vdi files, in name order; the relative name of the first whose
 * uuidCreate is uuid, NULL when none (or on error, recorded). */
static char *
vdi_scan_dir(struct v2k_image *img, const char *imgdir, const char *prefix,
             const uint8_t *uuid, bool *failed)
{
    CLEANUP_FREE char *path = v2k_asprintf("%s/%s", imgdir, prefix);
    char **names = NULL, *found = NULL;
    size_t n = 0;
    struct dirent *d;
    DIR *dir;

    *failed = path == NULL;
    if (path == NULL)
        return NULL;
    dir = opendir(path);
    if (dir == NULL)
        return NULL;            /* no such directory: nothing here */
    names = v2k_calloc(VDI_MAX_DIR_ENTRIES, sizeof *names);
    if (names == NULL) {
        *failed = true;
        closedir(dir);
        return NULL;
    }
    while ((d = readdir(dir)) != NULL && n < VDI_MAX_DIR_ENTRIES) {
        size_t len = strlen(d->d_name);
        if (len <= 4 || strcasecmp(d->d_name + len - 4, ".vdi") != 0)
            continue;
        names[n] = v2k_asprintf("%s%s", prefix, d->d_name);
        if (names[n] == NULL) {
            *failed = true;
            break;
        }
        n++;
    }
    closedir(dir);
    if (!*failed) {
        qsort(names, n, sizeof *names, vdi_cmp_names);
        for (size_t i = 0; i < n && found == NULL; i++)
            if (vdi_is_parent(img, names[i], uuid)) {
                found = names[i];
                names[i] = NULL;
            }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return found;
}

/* Split path (modified in place) into at most max components, dropping
 * "." and resolving "name/.." lexically.  -1 when there are too many. */
static int
vdi_split_path(char *path, char **comp, size_t max, size_t *n)
{
    char *c = path;

    *n = 0;
    while (c) {
        char *slash = strchr(c, '/');
        if (slash)
            *slash = '\0';
        if (c[0] == '\0' || strcmp(c, ".") == 0) {
            /* nothing */
        } else if (strcmp(c, "..") == 0 && *n > 0 &&
                   strcmp(comp[*n - 1], "..") != 0) {
            (*n)--;
        } else if (*n == max) {
            return -1;
        } else {
            comp[(*n)++] = c;
        }
        c = slash ? slash + 1 : NULL;
    }
    return 0;
}

/* Candidate names are relative to the image; its parent, opened as
 * chosen, resolves names relative to its own directory.  Rewrite the list
 * for it (lexically); NULL with *give_up when the way back from the
 * parent's directory cannot be spelled (the parent then searches). */
static char **
vdi_rebase_candidates(const char *imgpath, const char *chosen,
                      const char *const *cands, bool *give_up)
{
    enum { MAXC = 256 };
    CLEANUP_FREE char *imgdir = v2k_dirname(imgpath);
    CLEANUP_FREE char *cdir = v2k_dirname(chosen);
    CLEANUP_FREE char *p = NULL;
    CLEANUP_FREE char *c = NULL;
    CLEANUP_FREE char *back = NULL;
    char *pc[MAXC], *cc[MAXC];
    size_t np, nc, k = 0, len = 0, ncand = 0;
    char **r;

    *give_up = false;
    if (imgdir == NULL || cdir == NULL)
        return NULL;
    if (chosen[0] == '/' && imgdir[0] != '/') {
        *give_up = true;
        return NULL;
    }
    p = chosen[0] == '/' ? v2k_strdup(cdir)
                         : v2k_asprintf("%s/%s", imgdir, cdir);
    c = v2k_strdup(imgdir);
    if (p == NULL || c == NULL)
        return NULL;
    if (vdi_split_path(p, pc, MAXC, &np) == -1 ||
        vdi_split_path(c, cc, MAXC, &nc) == -1) {
        *give_up = true;
        return NULL;
    }
    while (k < np && k < nc && strcmp(pc[k], cc[k]) == 0)
        k++;
    for (size_t i = k; i < np; i++)
        if (strcmp(pc[i], "..") == 0) {
            *give_up = true;    /* we would need a name we do not know */
            return NULL;
        }
    for (size_t i = k; i < np; i++)
        len += 3;
    for (size_t i = k; i < nc; i++)
        len += strlen(cc[i]) + 1;
    back = v2k_malloc(len + 1);
    if (back == NULL)
        return NULL;
    {
        size_t at = 0;      /* len counted every byte written below */
        for (size_t i = k; i < np; i++) {
            memcpy(back + at, "../", 3);
            at += 3;
        }
        for (size_t i = k; i < nc; i++) {
            size_t l = strlen(cc[i]);
            memcpy(back + at, cc[i], l);
            back[at + l] = '/';
            at += l + 1;
        }
        back[at] = '\0';
    }
    while (cands[ncand])
        ncand++;
    r = v2k_calloc(ncand + 1, sizeof *r);
    if (r == NULL)
        return NULL;
    for (size_t i = 0; i < ncand; i++) {
        r[i] = cands[i][0] == '/' ? v2k_strdup(cands[i])
                                  : v2k_asprintf("%s%s", back, cands[i]);
        if (r[i] == NULL) {
            for (size_t j = 0; j < i; j++)
                free(r[j]);
            free(r);
            return NULL;
        }
    }
    return r;
}

/* Name of the parent image, relative to img; NULL with an error naming
 * the image and the UUID when it is nowhere. */
static char *
vdi_find_parent(struct v2k_image *img, const struct v2k_open_opts *opts)
{
    static const char *const dirs[] = {
        "", "../", "Snapshots/", "../Snapshots/",
    };
    struct vdi_state *s = img->state;
    const uint8_t *want = s->h.uuid_linkage;
    const char *name = v2k_image_name(img);
    CLEANUP_FREE char *imgdir = NULL;
    char uuid[37];

    vdi_uuid_str(want, uuid);
    if (opts->parent_candidates) {
        for (size_t i = 0; opts->parent_candidates[i]; i++) {
            const char *c = opts->parent_candidates[i];
            if (!v2k_transport_may_follow(img->transport, c))
                continue;
            if (vdi_is_parent(img, c, want))
                return v2k_strdup(c);
        }
        v2k_error("%s: parent image {%s} (uuidLinkage) is none of the parent candidates given", name, uuid);
        return NULL;
    }
    if (strcmp(img->transport->ops->kind, "file") != 0) {
        v2k_error("%s: cannot search for parent image {%s} (uuidLinkage) over %s without parent candidates", name, uuid,
                  img->transport->ops->kind);
        return NULL;
    }
    imgdir = v2k_dirname(name);
    if (imgdir == NULL)
        return NULL;
    for (size_t i = 0; i < V2K_ARRAY_SIZE(dirs); i++) {
        bool failed;
        char *found = vdi_scan_dir(img, imgdir, dirs[i], want, &failed);
        if (found || failed)
            return found;
    }
    v2k_error("%s: parent image {%s} (uuidLinkage) not found in the image's directory, its parent or their Snapshots directories", name, uuid);
    return NULL;
}

static int
vdi_open_parent(struct v2k_image *img, const struct v2k_open_opts *opts)
{
    struct vdi_state *s = img->state;
    struct v2k_open_opts sub = *opts;
    CLEANUP_FREE char *pname = vdi_find_parent(img, opts);
    char **rebased = NULL;
    struct vdi_state *ps;
    char a[37], b[37];

    if (pname == NULL)
        return -1;
    if (opts->parent_candidates) {
        bool give_up;
        rebased = vdi_rebase_candidates(v2k_image_name(img), pname,
                                        opts->parent_candidates, &give_up);
        if (rebased == NULL && !give_up)
            return -1;
        sub.parent_candidates = (const char *const *)rebased;
    }
    v2k_debug("vdi: %s: parent is %s", v2k_image_name(img), pname);
    s->parent = v2k_image_open_backing(img, pname, "vdi", &sub);
    v2k_strv_free(rebased);
    if (s->parent == NULL)
        return -1;
    /* The file may have changed since we looked at it. */
    ps = s->parent->state;
    if (memcmp(ps->h.uuid_create, s->h.uuid_linkage, 16) != 0) {
        vdi_uuid_str(s->h.uuid_linkage, a);
        vdi_uuid_str(ps->h.uuid_create, b);
        v2k_error("%s: parent %s has UUID {%s}, not {%s} (uuidLinkage)",
                  v2k_image_name(img), v2k_image_name(s->parent), b, a);
        return -1;
    }
    /* VirtualBox records the parent's uuidModify when the diff is made;
     * a different one means the parent was written since. */
    if (!vdi_uuid_is_null(s->h.uuid_parent_modify) &&
        memcmp(ps->h.uuid_modify, s->h.uuid_parent_modify, 16) != 0) {
        vdi_uuid_str(s->h.uuid_parent_modify, a);
        vdi_uuid_str(ps->h.uuid_modify, b);
        v2k_debug("vdi: %s: parent modification UUID {%s} differs from {%s} recorded in the image", v2k_image_name(img), b, a);
    }
    return 0;
}

/* --- open ------------------------------------------------------------- */

static int
vdi_check_header(struct v2k_image *img, struct vdi_header *h)
{
    const char *name = v2k_image_name(img);
    uint64_t fsize = img->transport->size, bmap_end, room;

    if (h->signature != VDI_SIGNATURE) {
        v2k_error("%s: bad VDI signature 0x%08x at offset 0x40 (expected 0x%08x)", name, h->signature, VDI_SIGNATURE);
        return -1;
    }
    if (h->version != VDI_VERSION_1_1) {
        v2k_error("%s: unsupported VDI version %u.%u at offset 0x44 (only 1.1 is supported)", name, h->version >> 16,
                  h->version & 0xffff);
        return -1;
    }
    if (h->header_size < VDI_HEADER_V1_MIN) {
        v2k_error("%s: header size %u at offset 0x48 is smaller than a VDI 1.1 header (%u bytes)", name, h->header_size,
                  VDI_HEADER_V1_MIN);
        return -1;
    }
    if (0x48 + (uint64_t)h->header_size > h->offset_bmap) {
        v2k_error("%s: header size %u at offset 0x48 runs into the block map at offset %u", name, h->header_size, h->offset_bmap);
        return -1;
    }
    switch (h->image_type) {
    case VDI_TYPE_NORMAL:
    case VDI_TYPE_FIXED:
    case VDI_TYPE_DIFF:
        break;
    case VDI_TYPE_UNDO:
        v2k_error("%s: image type 3 (undo) at offset 0x4c is not supported",
                  name);
        return -1;
    default:
        v2k_error("%s: unknown image type %u at offset 0x4c", name,
                  h->image_type);
        return -1;
    }
    if (h->sector_size != VDI_SECTOR) {
        v2k_error("%s: sector size %u at offset 0x168 is not 512", name,
                  h->sector_size);
        return -1;
    }
    if (!V2K_IS_POW2(h->block_size) || h->block_size < VDI_MIN_BLOCK ||
        h->block_size > VDI_MAX_BLOCK) {
        v2k_error("%s: block size %u at offset 0x178 is not a power of two from %u to %u", name, h->block_size, VDI_MIN_BLOCK,
                  VDI_MAX_BLOCK);
        return -1;
    }
    if (h->block_extra % VDI_SECTOR != 0 || h->block_extra > h->block_size) {
        v2k_error("%s: block extra size %u at offset 0x17c is not a multiple of 512 up to the block size", name,
                  h->block_extra);
        return -1;
    }
    if (h->blocks_in_image > VDI_MAX_BLOCKS) {
        v2k_error("%s: blocks in image %u at offset 0x180 exceeds %u", name,
                  h->blocks_in_image, VDI_MAX_BLOCKS);
        return -1;
    }
    /* "VBoxManage convertfromraw" makes odd disk sizes; qemu rounds up to
     * a sector, and so do we (qemu's vdi_open). */
    room = (uint64_t)h->blocks_in_image * h->block_size;
    if (h->disk_size > room ||
        V2K_DIV_ROUND_UP(h->disk_size, VDI_SECTOR) * VDI_SECTOR > room) {
        v2k_error("%s: disk size %llu at offset 0x170 exceeds blocks in image (%u) times block size (%u)", name,
                  (unsigned long long)h->disk_size, h->blocks_in_image,
                  h->block_size);
        return -1;
    }
    h->disk_size = V2K_DIV_ROUND_UP(h->disk_size, VDI_SECTOR) * VDI_SECTOR;
    if (h->offset_bmap % VDI_SECTOR != 0) {
        v2k_error("%s: block map offset %u at offset 0x154 is not sector aligned", name, h->offset_bmap);
        return -1;
    }
    bmap_end = h->offset_bmap + (uint64_t)h->blocks_in_image * 4;
    if (bmap_end > fsize) {
        v2k_error("%s: block map offset %u at offset 0x154 (%u entries) is past the end of the file (%llu bytes)", name,
                  h->offset_bmap, h->blocks_in_image,
                  (unsigned long long)fsize);
        return -1;
    }
    if (h->offset_data % VDI_SECTOR != 0 || h->offset_data < bmap_end) {
        v2k_error("%s: data offset %u at offset 0x158 is not sector aligned after the block map (which ends at %llu)", name,
                  h->offset_data, (unsigned long long)bmap_end);
        return -1;
    }
    if (h->offset_data > fsize) {
        v2k_error("%s: data offset %u at offset 0x158 is past the end of the file (%llu bytes)", name, h->offset_data,
                  (unsigned long long)fsize);
        return -1;
    }
    if (h->image_type == VDI_TYPE_DIFF) {
        if (vdi_uuid_is_null(h->uuid_linkage)) {
            v2k_error("%s: differencing image without a parent UUID (uuidLinkage at offset 0x1a8 is null)", name);
            return -1;
        }
        if (memcmp(h->uuid_linkage, h->uuid_create, 16) == 0) {
            v2k_error("%s: parent UUID (uuidLinkage at offset 0x1a8) is the image's own UUID (a loop)", name);
            return -1;
        }
    }
    return 0;
}

/* Read the block map and check every allocated block lies in the file
 * (as far as the disk uses it). */
static int
vdi_load_bmap(struct v2k_image *img)
{
    struct vdi_state *s = img->state;
    const struct vdi_header *h = &s->h;
    uint64_t fsize = img->transport->size;

    s->bmap = v2k_calloc(h->blocks_in_image ? h->blocks_in_image : 1, 4);
    if (s->bmap == NULL)
        return -1;
    if (v2k_transport_pread(img->transport, s->bmap,
                            (size_t)h->blocks_in_image * 4,
                            h->offset_bmap) == -1)
        return -1;
    for (uint32_t i = 0; i < h->blocks_in_image; i++) {
        uint64_t start = (uint64_t)i * h->block_size, used, off;
        uint32_t e = s->bmap[i] = le32toh(s->bmap[i]);

        if (e >= VDI_BLOCK_ZERO || start >= h->disk_size)
            continue;
        used = h->disk_size - start;
        if (used > h->block_size)
            used = h->block_size;
        off = s->data_start + e * s->stride;    /* < 2^62, no overflow */
        if (off + used > fsize) {
            v2k_error("%s: block map entry %u (data block %u at file offset %llu) is past the end of the file (%llu bytes)",
                      v2k_image_name(img), i, e, (unsigned long long)off,
                      (unsigned long long)fsize);
            return -1;
        }
    }
    return 0;
}

static int
vdi_open(struct v2k_image *img, const struct v2k_open_opts *opts)
{
    struct vdi_state *s = img->state;
    uint64_t fsize = img->transport->size;

    if (fsize < sizeof s->h) {
        v2k_error("%s: file is %llu bytes, too short for a VDI header (512 bytes)", v2k_image_name(img),
                  (unsigned long long)fsize);
        return -1;
    }
    if (v2k_transport_pread(img->transport, &s->h, sizeof s->h, 0) == -1)
        return -1;
    vdi_header_to_cpu(&s->h);
    if (vdi_check_header(img, &s->h) == -1)
        return -1;
    s->stride = (uint64_t)s->h.block_size + s->h.block_extra;
    s->data_start = (uint64_t)s->h.offset_data + s->h.block_extra;
    if (vdi_load_bmap(img) == -1 ||
        (s->h.image_type == VDI_TYPE_DIFF &&
         vdi_open_parent(img, opts) == -1)) {
        v2k_image_close(s->parent);
        free(s->bmap);
        return -1;
    }
    img->size = s->h.disk_size;
    return 0;
}

/* --- reading ---------------------------------------------------------- */

/* Read [offset, offset + count) of the parent; past its end is zero. */
static int
vdi_read_parent(struct v2k_image *parent, char *p, size_t count,
                uint64_t offset)
{
    return v2k_image_pread_backing(parent, p, count, offset);
}

static int
vdi_pread(struct v2k_image *img, void *buf, size_t count, uint64_t offset)
{
    struct vdi_state *s = img->state;
    uint64_t bs = s->h.block_size;
    char *p = buf;

    while (count > 0) {
        uint64_t in = offset % bs;
        uint32_t e = s->bmap[offset / bs];
        size_t n = bs - in < count ? (size_t)(bs - in) : count;
        int r = 0;

        if (e < VDI_BLOCK_ZERO)
            r = v2k_transport_pread(img->transport, p, n,
                                    s->data_start + e * s->stride + in);
        else if (e == VDI_BLOCK_FREE && s->parent)
            r = vdi_read_parent(s->parent, p, n, offset);
        else
            memset(p, 0, n);
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
vdi_parent_extents(struct v2k_image *parent, uint64_t offset,
                   uint64_t length, struct v2k_extent_list *out)
{
    return v2k_image_extents_backing(parent, offset, length, out);
}

static int
vdi_extents(struct v2k_image *img, uint64_t offset, uint64_t length,
            struct v2k_extent_list *out)
{
    struct vdi_state *s = img->state;
    uint64_t bs = s->h.block_size, end = offset + length;

    while (offset < end) {
        uint32_t e = s->bmap[offset / bs];
        uint64_t n = bs - offset % bs;
        int r;

        if (n > end - offset)
            n = end - offset;
        if (e < VDI_BLOCK_ZERO)
            r = v2k_extent_list_add(out, offset, n, V2K_EXTENT_DATA);
        else if (e == VDI_BLOCK_ZERO)
            r = v2k_extent_list_add(out, offset, n, V2K_EXTENT_ZERO);
        else if (s->parent)
            r = vdi_parent_extents(s->parent, offset, n, out);
        else
            r = v2k_extent_list_add(out, offset, n, V2K_EXTENT_UNALLOCATED);
        if (r == -1)
            return -1;
        offset += n;
    }
    return 0;
}

static struct v2k_image *
vdi_backing(struct v2k_image *img)
{
    struct vdi_state *s = img->state;
    return s->parent;
}

static void
vdi_close(struct v2k_image *img)
{
    struct vdi_state *s = img->state;
    v2k_image_close(s->parent);
    free(s->bmap);
}

const struct v2k_format v2k_format_vdi = {
    .name = "vdi",
    .description = "VirtualBox VDI (fixed, dynamic, differencing)",
    .instance_size = sizeof(struct vdi_state),
    .probe = vdi_probe,
    .open = vdi_open,
    .pread = vdi_pread,
    .extents = vdi_extents,
    .close = vdi_close,
    .backing = vdi_backing,
};
