/* progress.h - progress of long work.
 *
 * On a terminal (stderr is a TTY, not -q, not --machine-readable) draws a
 * bar that is redrawn in place; with --machine-readable prints JSON lines
 * {"type":"progress","label":...,"done":N,"total":N,"percent":P} at most
 * twice a second and once at the end; otherwise prints nothing.
 * v2k_progress_update() may be called from several threads.
 */
#ifndef V2K_PROGRESS_H
#define V2K_PROGRESS_H

#include <stdint.h>

struct v2k_progress;

/* label is copied.  NULL on ENOMEM (callers may pass NULL on). */
struct v2k_progress *v2k_progress_new(const char *label, uint64_t total);

/* Add delta bytes of work done. NULL-safe. */
void v2k_progress_add(struct v2k_progress *p, uint64_t delta);

/* Draw the final state and free. NULL-safe. */
void v2k_progress_finish(struct v2k_progress *p);

#endif
