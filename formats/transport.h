/* transport.h - where an image's bytes come from.
 *
 * A transport is a read-only byte store: a local file or block device
 * (transport-file.c), and later HTTPS/SFTP range reads, a member inside a
 * tar/OVA, or NBD.  Formats never know which transport they sit on.
 *
 * Contract for implementations (fill struct v2k_transport_ops):
 *   pread    read exactly count bytes at offset; a short read (EOF) is an
 *            error naming the transport and the offset.  Must be safe to
 *            call from several threads at once.  The wrapper
 *            v2k_transport_pread() has already checked offset + count <=
 *            size.
 *   extents  optional: append extents for [offset, offset + length) to
 *            the list; may stop early but must cover at least one byte.
 *            Without it the whole range is DATA.
 *   open_sibling  optional: open another object next to this one (a
 *            backing file, a VMDK extent, a parent VDI) by the name the
 *            image stores; the transport resolves it relative to itself.
 *   close    free everything the transport owns.
 * name (owned) names the object in messages; size is its length in bytes.
 */
#ifndef V2K_TRANSPORT_H
#define V2K_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extent.h"

struct v2k_transport;

struct v2k_transport_ops {
    const char *kind;                           /* "file", "https"... */
    int (*pread)(struct v2k_transport *t, void *buf, size_t count,
                 uint64_t offset);
    int (*extents)(struct v2k_transport *t, uint64_t offset, uint64_t length,
                   struct v2k_extent_list *out);
    struct v2k_transport *(*open_sibling)(struct v2k_transport *t,
                                          const char *name);
    void (*close)(struct v2k_transport *t);
};

struct v2k_transport {
    const struct v2k_transport_ops *ops;
    char *name;                 /* owned: path or URL, for messages */
    uint64_t size;              /* bytes */
    bool is_block_device;
};

/* Checked read: offset + count must lie within the transport. */
int v2k_transport_pread(struct v2k_transport *t, void *buf, size_t count,
                        uint64_t offset);

/* Extents of [offset, offset + length), DATA when the transport has no
 * map.  Appends to out. */
int v2k_transport_extents(struct v2k_transport *t, uint64_t offset,
                          uint64_t length, struct v2k_extent_list *out);

/* Open the object called name next to t (see open_sibling). */
struct v2k_transport *v2k_transport_open_sibling(struct v2k_transport *t,
                                                 const char *name);

/* NULL-safe. */
void v2k_transport_close(struct v2k_transport *t);

/* A local file or block device, opened read-only (O_RDONLY; a block
 * device is not locked and not written).  Siblings resolve relative to
 * the file's directory; absolute names are opened as given (the format
 * layer decides whether to follow them, see v2k_open_opts). */
struct v2k_transport *v2k_transport_file_open(const char *path);

/* len bytes at buf, borrowed (they must outlive the transport); name
 * is copied, for messages.  No extents (all DATA); open_sibling fails
 * (transport-memory.c). */
struct v2k_transport *v2k_transport_memory_open(const char *name,
                                                const void *buf, size_t len);

#endif
