/* vmdk-internal.h - the VMDK text descriptor, shared by vmdk.c and its
 * unit test.
 *
 * A descriptor (VMware "Virtual Disk Format 1.1", section "The
 * Descriptor File") is a small text file, or a text area inside a
 * monolithicSparse file, made of '#' comments, key=value lines and extent
 * lines:
 *
 *   ACCESS SECTORS TYPE ["FILE" [OFFSET]]
 *
 * v2k_vmdk_desc_parse() reads at most len bytes (stopping at the first
 * NUL, as a descriptor embedded in a sparse file is padded with zeros)
 * with bounded pointer-advancing code.  On failure it records one message
 * "NAME: descriptor line N: ..." and leaves *d empty; on success the
 * caller owns *d and frees it with v2k_vmdk_desc_free().
 */
#ifndef V2K_VMDK_INTERNAL_H
#define V2K_VMDK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A descriptor larger than this is not a descriptor (qemu reads at most
 * 1 MiB too). */
#define V2K_VMDK_DESC_MAX (1U << 20)
/* twoGbMaxExtent* of the largest (62 TiB) VMDK has 31744 extents. */
#define V2K_VMDK_MAX_EXTENTS 65536
/* parentCID of a disk without a parent (VMware spec, "Parent CID"). */
#define V2K_VMDK_CID_NOPARENT 0xffffffffU

enum v2k_vmdk_access {
    V2K_VMDK_RW,
    V2K_VMDK_RDONLY,
    V2K_VMDK_NOACCESS,
};

enum v2k_vmdk_kind {
    V2K_VMDK_SPARSE,            /* hosted sparse ("KDMV") */
    V2K_VMDK_FLAT,
    V2K_VMDK_ZERO,              /* no file: reads as zero */
    V2K_VMDK_VMFS,              /* flat on VMFS */
    V2K_VMDK_VMFSSPARSE,        /* ESX delta ("COWD") */
    V2K_VMDK_VMFSRDM,           /* raw device mapping, read as flat */
    V2K_VMDK_VMFSRAW,
    V2K_VMDK_SESPARSE,          /* ESXi 6.5+ space-efficient sparse */
};

struct v2k_vmdk_desc_extent {
    enum v2k_vmdk_access access;
    enum v2k_vmdk_kind kind;
    uint64_t sectors;           /* size in 512-byte sectors */
    char *file;                 /* owned; NULL for ZERO */
    uint64_t offset;            /* sectors into file (flat kinds) */
    unsigned line;              /* line number, for messages */
};

struct v2k_vmdk_desc {
    unsigned version;           /* 0 when absent */
    bool has_cid;
    uint32_t cid;
    uint32_t parent_cid;        /* V2K_VMDK_CID_NOPARENT when absent */
    char *create_type;          /* owned; NULL when absent */
    char *parent_hint;          /* owned parentFileNameHint, or NULL */
    char *adapter_type;         /* owned ddb.adapterType, or NULL */
    uint64_t cylinders, heads, sectors;   /* ddb.geometry.*, 0 = absent */
    struct v2k_vmdk_desc_extent *extents; /* owned */
    size_t n_extents;
};

int v2k_vmdk_desc_parse(const char *name, const char *text, size_t len,
                        struct v2k_vmdk_desc *d);
void v2k_vmdk_desc_free(struct v2k_vmdk_desc *d);   /* NULL-safe */

const char *v2k_vmdk_kind_name(enum v2k_vmdk_kind k);

#endif
