/* outfile.h - outputs appear whole or not at all.
 *
 * Every output file is written under a temporary name registered here and
 * renamed to its final name only when the whole job succeeded.  On failure
 * the main calls v2k_outfile_remove_all(); on SIGINT/SIGTERM/SIGHUP the
 * handler sets v2k_interrupted, long loops poll v2k_check_interrupted()
 * and fail, and the main cleans up the same way.  A second signal removes
 * the registered files at once and exits (128 + signal).
 */
#ifndef V2K_OUTFILE_H
#define V2K_OUTFILE_H

#include <signal.h>
#include <sys/types.h>

extern volatile sig_atomic_t v2k_interrupted;   /* the signal number, or 0 */

void v2k_signals_install(void);

/* -1 with "interrupted by signal N" when a signal arrived, else 0. */
int v2k_check_interrupted(void);

/* Remember path (copied) for removal on failure.  -1 when full/ENOMEM. */
int v2k_outfile_register(const char *path);

/* Forget path (after it was renamed into place). */
void v2k_outfile_forget(const char *path);

/* Unlink every registered path and forget them. */
void v2k_outfile_remove_all(void);

/* Rename tmp to final and forget tmp.  Fails when final exists and
 * overwrite is false (checked atomically with renameat2 NOREPLACE), and
 * when final is a source file (v2k_outfile_check_not_source). */
int v2k_outfile_commit(const char *tmp, const char *final, int overwrite);

/* Source files: every local file a source is read from (disk images,
 * their backing files, parents and extents, description files) is noted
 * here by the code that opens it (formats/transport-file.c), by device
 * and inode, for the life of the process.  An output must never replace
 * one: not even with --overwrite, and whatever path names it (hard
 * links, symlinks, "a/../b").  Thread-safe; a full table is not an
 * error (noting is best effort; v2k_outfile_commit checks again). */
void v2k_outfile_note_source(dev_t dev, ino_t ino, const char *name);

/* -1 with "OUT: output is the source file SRC (the same file)" when path
 * exists and is one of the noted source files; else 0. */
int v2k_outfile_check_not_source(const char *path);

#endif
