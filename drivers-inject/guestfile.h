/* guestfile.h - editing guest files through libguestfs, for the rewrite
 * steps; the checks and bounded reads are inspectors/guest-read.h's,
 * shared with the inspectors.
 *
 * Every function takes the step's name for its messages and logs
 * (convert.h v2k_log_edit).  Paths are guest paths ("/etc/fstab").
 * Errors: -1/NULL with one message "STEP: PATH: what went wrong".
 * Returned strings are malloc'd and owned by the caller.
 */
#ifndef V2K_GUESTFILE_H
#define V2K_GUESTFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <guestfs.h>

#include "guest-read.h"         /* the checks and reads */

/* Replace path's content, keeping its mode and owner (new files: 0644
 * root); written to a temporary name beside it, then renamed. */
int v2k_gf_write(guestfs_h *g, const char *step, const char *path,
                 const char *content, size_t len);

/* v2k_gf_write with the content of a host file (an image too large to
 * hold in memory twice). */
int v2k_gf_write_file(guestfs_h *g, const char *step, const char *path,
                      const char *host_file);

/* Edit path line by line: fn gets each line without its newline and
 * returns NULL to keep it, or a malloc'd replacement; setting *drop
 * removes the line.  Each change is logged (BEFORE -> AFTER).  The file
 * is rewritten only when something changed; *nchanged (may be NULL) says
 * how many lines.  A missing file is not an error when missing_ok. */
typedef char *(*v2k_gf_line_fn)(const char *line, bool *drop, void *opaque);
int v2k_gf_edit_lines(guestfs_h *g, const char *step, const char *path,
                      bool missing_ok, v2k_gf_line_fn fn, void *opaque,
                      unsigned *nchanged);

/* Remove a file or directory tree (logged as "removed"); missing is fine. */
int v2k_gf_remove(guestfs_h *g, const char *step, const char *path);

/* Paths matching a glob in the guest (a pattern such as
 * "/etc/modprobe.d/" followed by "*.conf"), NULL-terminated (free with
 * v2k_gf_strv_free); NULL on error. */
char **v2k_gf_glob(guestfs_h *g, const char *step, const char *pattern);

/* Free a NULL-terminated string array (NULL-safe). */
void v2k_gf_strv_free(char **v);

/* Run a shell command inside the guest (its own /bin/sh, chrooted by
 * libguestfs, /dev /proc /sys bound).  Returns its stdout (malloc'd) or
 * NULL with a message that includes the command's stderr's last line. */
char *v2k_gf_sh(guestfs_h *g, const char *step, const char *command);

#endif
