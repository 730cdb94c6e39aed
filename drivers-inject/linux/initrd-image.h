/* initrd-image.h - initramfs images on the host: read one (what it
 * holds, where its compressed part starts), write a newc cpio archive,
 * compress it the way the image is compressed, and follow modules.dep.
 * No libguestfs here: the "initramfs" step copies the image out, and
 * these are unit-tested and fuzzed on files.
 *
 * Facts used (the kernel's Documentation/driver-api/early-userspace/
 * buffer-format.rst and init/initramfs.c):
 *   - an initramfs is newc ("070701"; "070702" with checksums) cpio
 *     archives, each uncompressed or compressed (gzip, bzip2, lzma, xz,
 *     lzo, lz4, zstd), concatenated; zero bytes between them are
 *     skipped; an uncompressed archive starts on a 4-byte boundary;
 *   - a newc header is 110 ASCII bytes: magic, then 13 8-digit hex
 *     fields (ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
 *     devminor, rdevmajor, rdevminor, namesize, check); the name
 *     (NUL-terminated) and the data are each padded to 4 bytes; the
 *     entry "TRAILER!!!" ends an archive;
 *   - files are unpacked in order, a later file of the same path
 *     replacing the earlier one (a regular file is truncated and
 *     rewritten; an entry whose type differs from what is there removes
 *     it first: a directory entry over a symlink would remove the
 *     symlink, so no directory already in the image is written again);
 *   - the kernel's xz decoder knows CRC32 (not CRC64) checks, and its
 *     lz4 decoder the legacy frame format (lz4 -l);
 *   - the kernel reads concatenated compressed streams, but cpio(1), and
 *     so Debian's lsinitramfs, stops at the first trailer of a stream:
 *     entries are added inside the last archive, not after it.
 */
#ifndef V2K_INITRD_IMAGE_H
#define V2K_INITRD_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One entry of an image: its path without a leading "./" or "/". */
struct v2k_initrd_entry {
    char *path;
    uint32_t mode;              /* st_mode: S_IFDIR, S_IFREG, S_IFLNK... */
};

struct v2k_initrd_listing {
    struct v2k_initrd_entry *ents;      /* every entry, in order */
    size_t n, cap;
    /* The host tool for the compressed part ("zstdcat"...), NULL when the
     * image is uncompressed cpio only; its offset in the file. */
    const char *decompressor;
    uint64_t compressed_at;
    /* The last "TRAILER!!!" of the uncompressed archives read (in the
     * file itself: an image that is all cpio, or a decompressed body). */
    bool has_trailer;
    uint64_t trailer_at;
};

/* Read a host copy of an initramfs into *l (zeroed first).  what names
 * the image in messages.  -1 with a message on an image that is not
 * cpio, a compression it does not know, or a truncated archive; *l is
 * empty then. */
int v2k_initrd_read(const char *file, const char *what,
                    struct v2k_initrd_listing *l);
void v2k_initrd_listing_free(struct v2k_initrd_listing *l);

/* Does the image hold module name (NAME.ko, any compression, '-' and '_'
 * the same)? */
bool v2k_initrd_has_module(const struct v2k_initrd_listing *l,
                           const char *name);

/* The entry of exactly this path, or NULL. */
const struct v2k_initrd_entry *
v2k_initrd_find(const struct v2k_initrd_listing *l, const char *path);

/* A newc archive written to fp: entries added in order, finished by the
 * trailer.  Each returns 0, or -1 with a message (a write error). */
struct v2k_cpio_writer {
    FILE *fp;
    uint32_t ino;
    uint32_t mtime;             /* of every entry: when the writer started */
    uint64_t off;
};
void v2k_cpio_start(struct v2k_cpio_writer *w, FILE *fp);
int v2k_cpio_add(struct v2k_cpio_writer *w, const char *path,
                 uint32_t mode, const void *data, size_t len);
int v2k_cpio_finish(struct v2k_cpio_writer *w);

/* Make out_file: the image in_file (read into *l) with the entries of
 * the newc archive extra_cpio added to its last archive: the compressed
 * part (or the whole image) unpacked, cut at its last trailer, the
 * entries and their trailer written after it, packed again with the same
 * compressor (one archive, as the distro's lsinitramfs and lsinitrd read
 * only the first of a stream); what comes before the compressed part is
 * kept byte for byte.  Returns 1 done, 0 not possible (why says why),
 * -1 with a message. */
int v2k_initrd_extend(const char *in_file, const struct v2k_initrd_listing *l,
                      const char *extra_cpio, const char *out_file,
                      const char *what, char *why, size_t whysize);

/* The host command (argv, NULL-terminated, static) that compresses for
 * a decompressor v2k_initrd_read found, as the kernel reads it; NULL for
 * one it does not know. */
const char *const *v2k_initrd_compressor(const char *decompressor);

/* Run argv with stdin from in_fd and stdout to out_fd; -1 with a
 * message (what, the tool) when it cannot run or fails. */
int v2k_initrd_filter(const char *const *argv, int in_fd, int out_fd,
                      const char *what);

/* The modules.dep paths (relative to /lib/modules/VER) of the modules
 * names[] and everything they depend on, each once, dependencies
 * first; a name modules.dep does not list is left out.  *paths is a
 * malloc'd array of malloc'd strings.  -1 with a message when out of
 * memory. */
int v2k_moddep_closure(const char *dep, const char *const *names, size_t n,
                       char ***paths, size_t *np);

/* The module name of a modules.dep path: "kernel/drivers/block/
 * virtio_blk.ko.xz" -> "virtio_blk" into buf. */
void v2k_module_name(const char *path, char *buf, size_t size);

#endif
