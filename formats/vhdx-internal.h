/* vhdx-internal.h - shared between vhdx.c and vhdx-log.c.
 *
 * VHDX ("VHDX Format Specification v1.00", MS-VHDX) keeps its metadata
 * updates in a write-ahead log.  A file whose header names a non-zero
 * LogGuid may hold log entries that were never applied; the spec says they
 * must be replayed before the file is read.  Sources are never written, so
 * vhdx-log.c replays into memory: an overlay, a sorted list of file ranges
 * (4 KiB multiples) whose content comes from the log instead of the file.
 * Every read of the file's bytes (region tables, metadata, BAT, sector
 * bitmaps, payload) goes through v2k_vhdx_file_read(), which consults it.
 * The overlay is built once in open and never changes afterwards, so
 * reading it needs no lock.
 */
#ifndef V2K_VHDX_INTERNAL_H
#define V2K_VHDX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "transport.h"

#define V2K_VHDX_LOG_SECTOR 4096u           /* MS-VHDX 2.3: log sectors */
#define V2K_VHDX_MIB (1024u * 1024u)

/* Largest log we replay in memory.  Hyper-V and qemu write 1 MiB logs;
 * the whole log region is read into memory for the search, and the
 * overlay's data lives in that copy. */
#define V2K_VHDX_MAX_LOG_LENGTH (256u * V2K_VHDX_MIB)

struct v2k_vhdx_overlay_range {
    uint64_t offset;                /* file offset, 4 KiB aligned */
    uint64_t length;                /* 4 KiB multiple */
    const unsigned char *data;      /* length bytes, or NULL: zeros */
};

struct v2k_vhdx_overlay {
    struct v2k_vhdx_overlay_range *v;   /* sorted, non-overlapping */
    size_t n;
    unsigned char *log;             /* owned: the log copy data points into */
    uint64_t file_size;             /* the file's size after replay */
};

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
 * every VHDX structure.  Start with crc = 0; chain by passing the result
 * back in. */
uint32_t v2k_vhdx_crc32c(uint32_t crc, const void *buf, size_t len);

/* The checksum of a structure of len bytes whose 4-byte checksum field at
 * csum_off counts as zero (MS-VHDX 2.2.2 and after). */
uint32_t v2k_vhdx_checksum(const unsigned char *buf, size_t len,
                           size_t csum_off);

/* Find the active log sequence of the log at [log_offset, log_offset +
 * log_length) of t, whose entries must carry log_guid, and replay it into
 * ov (which must be zeroed; ov->file_size is set in every case).  An
 * empty log, or one without a valid sequence, replays nothing.  -1 with
 * one message on a log that cannot be replayed. */
int v2k_vhdx_log_replay(struct v2k_transport *t,
                        const unsigned char log_guid[16],
                        uint64_t log_offset, uint64_t log_length,
                        struct v2k_vhdx_overlay *ov);

/* Read count bytes at offset of the file as replayed: the overlay first,
 * then the transport; bytes past the transport's end (a log may extend
 * the file) read as zero.  Thread-safe. */
int v2k_vhdx_file_read(struct v2k_transport *t,
                       const struct v2k_vhdx_overlay *ov, void *buf,
                       size_t count, uint64_t offset);

void v2k_vhdx_overlay_free(struct v2k_vhdx_overlay *ov);

#endif
