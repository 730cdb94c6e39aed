/* writer.h - writing output disk images (raw, qcow2).
 *
 * A writer creates a NEW file (O_EXCL) at the path it is given; the
 * caller chooses a temporary name and renames it when the job succeeds
 * (outfile.h).  Regions never written read as zero: writers keep them
 * sparse (holes in raw, unallocated clusters in qcow2).
 *
 * Contract for callers (the copy engine):
 *   - v2k_writer_pwrite() may be called from several threads at once;
 *   - each byte is written at most once, and offset and count are
 *     multiples of v2k_writer_granularity() except at the end of the
 *     disk;
 *   - v2k_writer_finish() writes the metadata and closes the file; after
 *     a failure anywhere call v2k_writer_free() and remove the file.
 *     Calling it again returns the first call's result without doing
 *     anything (v2k_copy with verify finishes the writer itself).
 */
#ifndef V2K_WRITER_H
#define V2K_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum v2k_compress { V2K_COMPRESS_NONE, V2K_COMPRESS_ZLIB, V2K_COMPRESS_ZSTD };

struct v2k_writer_opts {
    bool preallocate;           /* -oa preallocated */
    uint32_t cluster_size;      /* qcow2: 0 = 64 KiB */
    enum v2k_compress compress; /* qcow2 compressed clusters (zlib: raw
                                   deflate as qemu writes; zstd: sets the
                                   header's compression_type); not with
                                   preallocate */
};

struct v2k_writer;

struct v2k_writer_ops {
    const char *name;
    int (*pwrite)(struct v2k_writer *w, const void *buf, size_t count,
                  uint64_t offset);
    int (*finish)(struct v2k_writer *w);
    void (*free)(struct v2k_writer *w);
};

struct v2k_writer {
    const struct v2k_writer_ops *ops;
    char *path;                 /* owned */
    uint64_t size;              /* virtual size */
    uint32_t granularity;       /* alignment of writes */
    int finished;               /* v2k_writer_finish: 0 not yet, 1 done,
                                   -1 failed (set by the wrapper) */
};

/* The writers' table drives what -of / -O accept and what their errors
 * list: is format one of them, and their names ("qcow2 or raw"; static,
 * built on the first call). */
bool v2k_writer_format_known(const char *format);
const char *v2k_writer_format_names(void);

/* format: one of v2k_writer_format_names(). */
struct v2k_writer *v2k_writer_create(const char *path, const char *format,
                                     uint64_t size,
                                     const struct v2k_writer_opts *opts);
int v2k_writer_pwrite(struct v2k_writer *w, const void *buf, size_t count,
                      uint64_t offset);
int v2k_writer_finish(struct v2k_writer *w);
uint32_t v2k_writer_granularity(const struct v2k_writer *w);
void v2k_writer_free(struct v2k_writer *w);     /* NULL-safe */

/* Implementations. */
struct v2k_writer *v2k_raw_writer_create(const char *path, uint64_t size,
                                         const struct v2k_writer_opts *opts);
struct v2k_writer *v2k_qcow2_writer_create(const char *path, uint64_t size,
                                           const struct v2k_writer_opts *o);

/* Full pwrite to fd with a message naming path on failure. */
int v2k_pwrite_all(int fd, const char *path, const void *buf, size_t count,
                   uint64_t offset);

#endif
