/* format.h - disk image formats.
 *
 * One struct v2k_format per format (raw.c, qcow2.c, vmdk.c, vdi.c, vhd.c,
 * vhdx.c), listed once in registry.c.  An opened image is a struct
 * v2k_image: a reader of the guest-visible bytes (the virtual disk),
 * stacked on a transport.  The same readers serve the conversion, the
 * copy engine, v2kvm-img and the nbdkit plugin.
 *
 * Contract for a format (all on-disk fields are validated in open, each
 * failure one message naming the file and the field):
 *   probe(buf, len, size)  score the first bytes (len >= min(4096, size));
 *            0 = not this format, 100 = magic and header agree.  raw is 1.
 *   probe_tail(buf, len, size)  optional, for a format whose only mark
 *            is at the end of the file (a fixed VHD's footer): score the
 *            last len = V2K_PROBE_TAIL bytes; asked only when no probe
 *            recognised the first bytes (the best score is raw's 1), and
 *            only a signature that is checksummed and agrees with size
 *            may score, so that raw disks are not taken for it.
 *   open(img, opts)  parse and validate; set img->size; keep state in
 *            img->state (instance_size zeroed bytes owned by the image).
 *            img->transport is set and owned by the image.
 *   pread(img, buf, count, offset)  full read of the virtual disk;
 *            offset + count <= img->size (checked by the wrapper).
 *            Thread-safe: the copy engine reads from several threads.
 *   extents(img, offset, length, out)  optional; append the allocation
 *            map of the guest-visible disk for the range (may stop early,
 *            must cover >= 1 byte).  A format with a backing/parent image
 *            answers for the whole chain: where this layer is unallocated
 *            it reports what the parent reports.  So at any level ZERO and
 *            UNALLOCATED both read as zero, and UNALLOCATED means "stored
 *            nowhere in the chain".  Without extents everything is DATA.
 *   close(img)  free what state holds (not state itself, not transport).
 */
#ifndef V2K_FORMAT_H
#define V2K_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extent.h"
#include "transport.h"

#define V2K_MAX_CHAIN_DEPTH 64
#define V2K_PROBE_TAIL 512          /* bytes probe_tail is given */      /* backing/parent chains longer: error */

struct v2k_image;

struct v2k_open_opts {
    unsigned depth;             /* position in a backing chain (0 = top) */
    const char *const *parent_candidates; /* NULL-terminated names (relative
                                   to the image, as open_sibling takes them)
                                   of images that may be the parent, e.g.
                                   from a .vbox media registry; NULL =
                                   search */
    /* Optional, qcow2 only, top of the chain only (depth 0): read this
     * image where the qcow2 stores nothing, instead of opening the
     * backing file the header names (which is then never opened; the
     * image must have one).  Borrowed: the caller closes it after the
     * qcow2 image.  The conversion uses it to merge an overlay whose
     * backing was an NBD export with the source opened directly. */
    struct v2k_image *backing_override;
    /* Confinement (common/pathpolicy.h): when set, every local file of
     * the chain -- the image itself, VMDK extents, qcow2 data files,
     * backing/parent images -- must lie inside this directory or one
     * allowed with --allow-path, after resolving symlinks.  NULL = the
     * user named the image: follow references anywhere.  Borrowed. */
    const char *confine_dir;
};

struct v2k_format {
    const char *name;           /* "raw", "qcow2", "vmdk", ... */
    const char *description;    /* one line for v2kvm-img --help */
    size_t instance_size;
    int (*probe)(const unsigned char *buf, size_t len, uint64_t size);
    int (*probe_tail)(const unsigned char *buf, size_t len, uint64_t size);
    int (*open)(struct v2k_image *img, const struct v2k_open_opts *opts);
    int (*pread)(struct v2k_image *img, void *buf, size_t count,
                 uint64_t offset);
    int (*extents)(struct v2k_image *img, uint64_t offset, uint64_t length,
                   struct v2k_extent_list *out);
    void (*close)(struct v2k_image *img);
    /* Optional: describe the backing/parent (for v2kvm-img info). */
    struct v2k_image *(*backing)(struct v2k_image *img);
};

struct v2k_image {
    const struct v2k_format *fmt;
    struct v2k_transport *transport;    /* owned */
    uint64_t size;                      /* virtual size in bytes */
    void *state;                        /* owned, fmt->instance_size */
};

/* Open path (file or block device).  format NULL = probe by magic.
 * opts may be NULL (top of chain).  Whether absolute backing names are
 * followed is the transport's property (v2k_transport_may_follow):
 * yes for local files, as qemu-img does, no for remote ones. */
struct v2k_image *v2k_image_open(const char *path, const char *format,
                                 const struct v2k_open_opts *opts);

/* Same over an already opened transport, which the image owns from now
 * on (also on failure). */
struct v2k_image *v2k_image_open_transport(struct v2k_transport *t,
                                           const char *format,
                                           const struct v2k_open_opts *opts);

/* Open the object name refers to next to img (an extent, a data file,
 * a backing image: open_sibling on img's transport), refused when it is
 * a local file outside opts->confine_dir (pathpolicy.h).  opts may be
 * NULL. */
struct v2k_transport *v2k_image_open_sibling(struct v2k_image *img,
                                             const char *name,
                                             const struct v2k_open_opts *opts);

/* Open a backing/parent image named name next to img's transport, one
 * level deeper (chain depth is checked here).  format NULL = probe. */
struct v2k_image *v2k_image_open_backing(struct v2k_image *img,
                                         const char *name,
                                         const char *format,
                                         const struct v2k_open_opts *opts);

int v2k_image_pread(struct v2k_image *img, void *buf, size_t count,
                    uint64_t offset);

/* For formats with a backing/parent image (NULL = none): read
 * [offset, offset + count) of it, zeros past its end (a shorter backing
 * file reads as zeros beyond it, as qemu does). */
int v2k_image_pread_backing(struct v2k_image *backing, void *buf,
                            size_t count, uint64_t offset);

/* Likewise its extents for [offset, offset + length), covering the whole
 * range (UNALLOCATED past its end or without a backing).  Appends. */
int v2k_image_extents_backing(struct v2k_image *backing, uint64_t offset,
                              uint64_t length, struct v2k_extent_list *out);

/* Extents for [offset, offset + length), validated (in order, contiguous,
 * starting at offset, not past the end).  Appends to out. */
int v2k_image_extents(struct v2k_image *img, uint64_t offset,
                      uint64_t length, struct v2k_extent_list *out);

void v2k_image_close(struct v2k_image *img);     /* NULL-safe */

const char *v2k_image_name(const struct v2k_image *img);

/* The registry (registry.c). */
const struct v2k_format *v2k_format_lookup(const char *name);
const struct v2k_format *const *v2k_format_list(void);  /* NULL-ended */
/* Probe t; NULL with an error naming t when nothing matches. */
const struct v2k_format *v2k_format_probe(struct v2k_transport *t);

#endif
