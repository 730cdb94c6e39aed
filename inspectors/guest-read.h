/* guest-read.h - read-only questions about guest files through
 * libguestfs: one answer to "is this a file", "does it exist", "read it
 * within a limit" for the inspectors and the rewrite steps
 * (drivers-inject/guestfile.h adds the writes on top).
 *
 * Reads go through statns and pread, not read_file or download: under
 * TCG those cost about 150 ms each whatever the size, pread about 1 ms
 * per MiB.
 *
 * Paths are guest paths ("/etc/fstab").  The checks never fail: an error
 * (missing path, a path through a dangling link, a libguestfs error) is
 * "no".  Reads are bounded and return NUL-terminated, malloc'd buffers
 * owned by the caller; errors are one message "WHAT: PATH: what went
 * wrong" (WHAT: the step or "inspect").
 */
#ifndef V2K_GUEST_READ_H
#define V2K_GUEST_READ_H

#include <stdbool.h>
#include <stddef.h>

#include <guestfs.h>

/* Largest guest file a step reads whole (configs, not binaries). */
#define V2K_GF_MAX_FILE (16u << 20)

/* Something is at path: a file, a directory, a symlink (even dangling). */
bool v2k_gf_exists(guestfs_h *g, const char *path);
/* A regular file / a directory, following symlinks. */
bool v2k_gf_is_file(guestfs_h *g, const char *path);
bool v2k_gf_is_dir(guestfs_h *g, const char *path);
/* path itself is a symlink (dangling or not). */
bool v2k_gf_is_symlink(guestfs_h *g, const char *path);

/* path in the letter case the guest's filesystem has it (NTFS, FAT are
 * case-insensitive; libguestfs wants the real case), or a copy of path
 * as given when some part of it does not exist (yet).  Owned; NULL only
 * on out-of-memory (with a message). */
char *v2k_gf_case_path(guestfs_h *g, const char *path);

/* The first of paths (NULL-terminated) that is a file, or NULL. */
const char *v2k_gf_first_file(guestfs_h *g, const char *const *paths);

/* The whole file, NUL-terminated (*len without the NUL; len may be
 * NULL); NULL with a message when it is missing, not a file, unreadable
 * or larger than max bytes. */
char *v2k_gf_read_max(guestfs_h *g, const char *what, const char *path,
                      size_t max, size_t *len);

/* Copy the regular file path (following symlinks) out of the guest to
 * fd, open for writing on the host file host_path (named in messages),
 * whatever its size (the size it has when this starts); 0, or -1 with a
 * message (what was written to fd then stays: the caller removes it). */
int v2k_gf_copy_out(guestfs_h *g, const char *what, const char *path, int fd,
                    const char *host_path);

/* v2k_gf_read_max with max V2K_GF_MAX_FILE. */
char *v2k_gf_read(guestfs_h *g, const char *what, const char *path,
                  size_t *len);

/* After a failed libguestfs call: record "WHAT: PATH: OP: <the last line
 * of libguestfs's error>" (op may be NULL). */
void v2k_gf_error(guestfs_h *g, const char *what, const char *path,
                  const char *op);

/* libguestfs's last error trimmed to its last non-empty line, in buf. */
const char *v2k_gf_last_error_line(guestfs_h *g, char *buf, size_t len);

#endif
