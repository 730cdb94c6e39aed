/* convert.h - rewrite an inspected guest so it boots on KVM.
 *
 * The pipeline (converters/conversion.c) launches libguestfs on writable
 * overlays of the source disks, inspects (inspectors/inspect.h: the root
 * and its filesystems are mounted read-write), then calls
 * v2k_convert_guest().  That runs the ordered step table of the guest's
 * OS family (linux/linux.h); each step is small, named, logs every file
 * it changes ("FILE: BEFORE -> AFTER" with -v, a JSON "edit" line with
 * --machine-readable) and can be run on its own (V2K_ONLY_STEPS, for the
 * tests).  Steps change the guest only: never the source model.
 *
 * On return the guestcaps say what the converted guest can drive (virtio
 * block/net/balloon/rng, virtio 1.0 or transitional, machine type); the
 * user's overrides (--block-driver, -oo machine=) were applied to it
 * before the conversion, so a step can see which disk bus the output will
 * use (gc->block_bus: V2K_BLOCK_VIRTIO_BLK means vdX names,
 * V2K_BLOCK_VIRTIO_SCSI sdX names).
 *
 * Unknown distributions and files a step does not understand are left
 * alone with a warning, never guessed at.  Failure: -1 with one message
 * naming the step and the file ("kernel: no installed kernel has virtio
 * drivers (found 2.6.18-8.el5xen, 2.6.18-8.el5)").
 */
#ifndef V2K_CONVERT_H
#define V2K_CONVERT_H

#include <stdbool.h>

#include <guestfs.h>

#include "guestcaps.h"
#include "guest.h"
#include "source.h"

/* What the steps take from the command line; converters/ fills it from
 * its options (the steps never see the whole CLI). */
struct v2k_step_options {
    bool machine_fixed;                 /* -oo machine= given: the kernel
                                           step leaves gc->machine alone */
    bool rebuild_initramfs;             /* --rebuild-initramfs */
    const char *virtio_win;             /* --virtio-win PATH, or NULL:
                                           $VIRTIO_WIN, ... (virtio-win.h) */
};

/* The guest files the steps of one v2k_run_steps logged edits of
 * (v2k_log_edit, v2k_edited): per conversion, so that several can run in
 * one process.  Part of the context: zero-initialised with it, emptied
 * by each v2k_run_steps, freed by whoever runs the steps with
 * v2k_edit_set_clear. */
#define V2K_MAX_EDITED 256
struct v2k_edit_set {
    char *files[V2K_MAX_EDITED];        /* owned */
    size_t n;
    bool overflow;                      /* more than V2K_MAX_EDITED */
};

void v2k_edit_set_clear(struct v2k_edit_set *e);

struct v2k_convert_ctx {
    guestfs_h *g;                       /* launched, guest mounted (rw) */
    struct v2k_guest *guest;            /* steps may update it (the
                                           default kernel they chose) */
    const struct v2k_source *src;       /* disks in the order the output
                                           attaches them (device DISK ones) */
    struct v2k_step_options opts;
    struct v2k_guestcaps *gc;           /* in: defaults + user overrides;
                                           out: what the guest can drive */
    bool keep_macs;                     /* the output keeps the source's
                                           MACs (MAC-bound rules may stay) */
    const char *only_steps;             /* comma-separated step names to
                                           run, NULL = all (V2K_ONLY_STEPS) */
    struct v2k_edit_set edited;         /* v2k_edited; the runner frees it
                                           (v2k_edit_set_clear) */
    struct v2k_win_state *win;          /* Windows steps' shared state
                                           (windows.h); freed by
                                           v2k_convert_guest */
};

/* One rewrite step.  applies() is asked first (false: skipped, with a
 * debug line saying why not); run() returns 0 or -1 with one message. */
struct v2k_step {
    const char *name;                   /* "kernel", "initramfs", "fstab" */
    const char *heading;                /* "Choosing a kernel with virtio" */
    bool (*applies)(const struct v2k_convert_ctx *ctx);
    int (*run)(struct v2k_convert_ctx *ctx);
};

/* Run the guest family's steps in order (Linux: linux/linux.h, Windows:
 * windows/windows.h).  Unknown families: -1 with a message saying what
 * is not supported. */
int v2k_convert_guest(struct v2k_convert_ctx *ctx);

/* Run a NULL-name-terminated step table (used by v2k_convert_guest and
 * the tests), honouring ctx->only_steps.  While it runs, ctx->g carries
 * ctx->edited (guestfs_set_private) so that v2k_log_edit(g, ...) records
 * there. */
int v2k_run_steps(struct v2k_convert_ctx *ctx, const struct v2k_step *steps);

/* Log one edit of a guest file by a step: "STEP: FILE: BEFORE -> AFTER"
 * at -v (message level for a whole-file action such as "removed" or
 * "regenerated"), a JSON line {"type":"edit",...} with
 * --machine-readable; file is added to the edit set of the steps running
 * on g (none outside v2k_run_steps).  before/after may be NULL. */
void v2k_log_edit(guestfs_h *g, const char *step, const char *file,
                  const char *before, const char *after);

/* A guest file that a step of ctx's current v2k_run_steps logged an edit
 * of and that matches the fnmatch(3) pattern (with FNM_PATHNAME), or
 * NULL.  When more files were edited than it keeps track of, a non-NULL
 * placeholder: callers must assume the worst. */
const char *v2k_edited(const struct v2k_convert_ctx *ctx,
                       const char *pattern);

#endif
