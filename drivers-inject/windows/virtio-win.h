/* virtio-win.h - find the virtio-win drivers for a Windows guest, on the
 * host (no libguestfs), and choose the files one guest needs.
 *
 * A virtio-win source is a directory (the packaged /usr/share/virtio-win,
 * or an unpacked ISO) or an ISO 9660 image (read with libarchive; Rock
 * Ridge or Joliet names, as xorriso -as mkisofs -J -r writes them).  Its
 * regular files are listed once, at open, in byte order of their path
 * inside the tree (that order decides duplicates, below).  A directory is
 * walked with symlinks followed only while their target stays inside it
 * (the tree may come from anyone), at most V2K_VWIN_MAX_DEPTH levels and
 * V2K_VWIN_MAX_ENTRIES entries; paths longer than V2K_VWIN_MAX_PATH are
 * skipped.  Selection is virt-v2v's (REFERENCE-virt-v2v.md 2.2): a file
 * matches when its lower-cased path has the guest's OS element and arch
 * element between slashes ("viostor/2k22/amd64/viostor.sys",
 * "drivers/by-os/amd64/2k22/viostor.sys"), so 2k8 never matches 2k8r2.
 *
 * Errors follow error.h: -1 (or NULL) with one message naming the path.
 */
#ifndef V2K_VIRTIO_WIN_H
#define V2K_VIRTIO_WIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define V2K_VWIN_MAX_ENTRIES 100000   /* directory entries or ISO entries */
#define V2K_VWIN_MAX_DEPTH 16
#define V2K_VWIN_MAX_PATH 4096
/* A file read from the tree: the biggest real one (an MSI) is ~10 MiB. */
#define V2K_VWIN_MAX_FILE (64u << 20)
/* What an ISO keeps in memory from its one reading pass (see _read). */
#define V2K_VWIN_MAX_CACHE (256u << 20)

struct v2k_vwin;

/* Open a virtio-win source.  path NULL means the usual places, in
 * virt-v2v's order: $VIRTIO_WIN, else $VIRTIO_WIN_DIR (empty = unset),
 * else /usr/share/virtio-win/virtio-win.iso if it exists, else the
 * directory /usr/share/virtio-win.
 * Returns 1 with *out set (free with v2k_vwin_close); 0 when path is NULL
 * and none of those is set or exists (*out NULL, no message: the caller
 * warns and falls back to SATA/e1000); -1 with one message naming the
 * path when a given or configured path cannot be read (missing, neither
 * a directory nor an ISO, too many entries). */
int v2k_vwin_open(const char *path, struct v2k_vwin **out);

/* v2k_vwin_open with datadir in place of /usr/share (tests). */
int v2k_vwin_open_in(const char *path, const char *datadir,
                     struct v2k_vwin **out);

/* The path opened (borrowed), and whether it is an ISO image. */
const char *v2k_vwin_path(const struct v2k_vwin *vw);
bool v2k_vwin_is_iso(const struct v2k_vwin *vw);

/* How many times the ISO was read through so far, the listing included
 * (0 for a directory): tests pin the one-pass reading with it. */
unsigned v2k_vwin_passes(const struct v2k_vwin *vw);

/* NULL-safe; frees the cached ISO data too. */
void v2k_vwin_close(struct v2k_vwin *vw);

enum v2k_vwin_block {
    V2K_VWIN_VIOSTOR,        /* virtio-blk */
    V2K_VWIN_VIOSCSI,        /* virtio-scsi (--block-driver virtio-scsi) */
};

/* The guest, from inspection. */
struct v2k_vwin_target {
    unsigned major, minor;   /* Windows NT version: 10.0, 6.1, 5.1 ... */
    unsigned build;          /* CurrentBuildNumber: 10.0 is split by it */
    bool server;             /* InstallationType/product variant "Server" */
    const char *arch;        /* "x86_64" or "i386" (borrowed) */
    enum v2k_vwin_block prefer;
};

/* The virt-v2v OS element for t ("2k22", "w11", "xp" ...), or NULL when
 * virtio-win has none (NT 5.0, an unknown major).  Static. */
const char *v2k_vwin_os_element(const struct v2k_vwin_target *t);

/* One file to copy. */
struct v2k_vwin_file {
    char *source;            /* path inside the tree or ISO, as stored */
    char *name;              /* destination basename, lower-cased */
    uint64_t size;           /* bytes, as listed at open */
};

/* What v2k_vwin_select chose; every pointer is owned by the selection
 * except block_driver (static). */
struct v2k_vwin_selection {
    /* For %SystemRoot%\Drivers\VirtIO, flat: sorted by name, one per
     * name (the first in path byte order wins); no sriov/, vioprot.*,
     * *.pdb; no qemufwcfg.* when fwcfg.inf is there (RHBZ#2151752). */
    struct v2k_vwin_file *files;
    size_t nfiles;
    /* "viostor" or "vioscsi": the preferred one when its .sys is among
     * files, else the other one's, else NULL (the caller uses SATA/IDE).
     * Its file is files[] entry "<block_driver>.sys". */
    const char *block_driver;
    bool has_netkvm;         /* netkvm.inf (or virtio_net.inf) */
    bool has_balloon;        /* balloon.inf */
    bool has_blnsvr;         /* blnsvr.exe, the balloon service */
    bool has_viorng;         /* viorng.inf */
    bool has_pvpanic;        /* pvpanic.inf */
    bool has_vsock;          /* viosock.inf */
    /* The QEMU guest agent MSI for the arch, found anywhere in the tree
     * by basename (first of qemu-ga-x86_64.msi, qemu-ga-x64.msi,
     * rhev-qga64.msi; qemu-ga-i386.msi, qemu-ga-x86.msi, rhev-qga.msi on
     * i386); qga.source NULL when none.  Not in files: it goes to the
     * firstboot directory. */
    struct v2k_vwin_file qga;
    /* For logs and warnings: "viostor, netkvm, balloon, viorng, pvpanic
     * (37 files); qemu-ga-x86_64.msi", or "no drivers for 2k25/i386". */
    char *summary;
};

/* Choose the files for t into *out (overwritten; free with
 * v2k_vwin_selection_free).  A Windows virtio-win has nothing for is an
 * empty selection (nfiles 0, block_driver NULL), not an error.  The
 * chosen files of an ISO are remembered for v2k_vwin_read.  0, or -1
 * (out of memory). */
int v2k_vwin_select(struct v2k_vwin *vw, const struct v2k_vwin_target *t,
                    struct v2k_vwin_selection *out);

/* Free what a selection owns and zero it; NULL-safe. */
void v2k_vwin_selection_free(struct v2k_vwin_selection *s);

/* Read the file source (a path from a selection or listed at open) into
 * *buf (malloc'd, owned by the caller, NUL-terminated for convenience)
 * and *len.  A file larger than max (capped at V2K_VWIN_MAX_FILE) is
 * refused with a message naming it.  For an ISO, the first read makes
 * one libarchive pass that keeps every file selected so far in memory
 * (up to V2K_VWIN_MAX_CACHE in all, until v2k_vwin_close) and later reads
 * of them copy from there, so copying a selection costs one pass, not
 * one per file.  In a directory the file is re-checked
 * (regular, inside the tree) when opened.  0 or -1. */
int v2k_vwin_read(struct v2k_vwin *vw, const char *source, size_t max,
                  void **buf, size_t *len);

#endif
