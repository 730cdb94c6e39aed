/* output.h - output writers (one file each in converters/outputs/).
 *
 * Each output mode is one struct v2k_output, listed in pipeline.c.
 * Outputs are driven by the source model and the guestcaps (guestcaps.h)
 * only.  Disks are numbered i = 0.. over the source disks that are
 * copied (device V2K_DEV_DISK, v2k_source_ncopied()); CD-ROMs are not
 * copied.  The pipeline calls, in order:
 *   setup(o, src, gc)     (before the guest conversion; gc is final only
 *                         at finalize) check storage and names, refuse to replace an
 *                         existing output without --overwrite, and decide
 *                         where each disk goes; returns the mode's state
 *   disk_writer(state, i, size, wopts)
 *                         optional: the writer for disk i (-o null);
 *                         without it the pipeline creates one of
 *                         disk_format(state, i) at disk_tmp_path(state, i),
 *                         a temporary name it registers in outfile.h
 *   finalize(state, src, gc)
 *                         write the metadata and move every file into
 *                         place; nothing appears under a final name before,
 *                         and on failure what it moved is taken back
 *   free(state)           NULL-safe
 * Failure anywhere: -1/NULL with one message; the pipeline then removes
 * every registered temporary file.
 */
#ifndef V2K_OUTPUT_H
#define V2K_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "guestcaps.h"
#include "options.h"
#include "source.h"
#include "writer.h"

struct v2k_output {
    const char *name;           /* the -o MODE */
    const char *help;           /* one line */
    bool needs_storage;         /* -os DIR is required: its absence is a
                                   usage error, before the source opens */
    void *(*setup)(const struct v2k_options *o, const struct v2k_source *s,
                   const struct v2k_guestcaps *gc);
    const char *(*disk_tmp_path)(void *state, size_t i);
    const char *(*disk_format)(void *state, size_t i);
    struct v2k_writer *(*disk_writer)(void *state, size_t i, uint64_t size,
                                      const struct v2k_writer_opts *wo);
    int (*finalize)(void *state, const struct v2k_source *s,
                    const struct v2k_guestcaps *gc);
    void (*free)(void *state);
};

extern const struct v2k_output v2k_output_local;
extern const struct v2k_output v2k_output_libvirt;
extern const struct v2k_output v2k_output_qemu;
extern const struct v2k_output v2k_output_null;

/* Helpers shared by the outputs that write disk files into a directory
 * (outputs/files.c). */

/* An output directory: exists, is a directory, is writable.  what
 * starts the messages ("-o local: -os" gives "-o local: -os DIR is not a
 * directory").  Returns its absolute path (malloc'd) or NULL. */
char *v2k_output_dir(const char *what, const char *dir);

/* DIR/NAME-sda, NAME-sdb... written as DIR/.NAME-sda.part... */
struct v2k_outdisks {
    size_t n;
    char **final;
    char **tmp;
    size_t committed;           /* how many were renamed into place */
};

/* Name n disks in dir for VM name; -1 when a final name exists and
 * overwrite is false ("PATH: output already exists (use --overwrite)"),
 * or when a temporary name exists (v2k_output_check_tmp). */
int v2k_outdisks_init(struct v2k_outdisks *d, const char *dir,
                      const char *name, size_t n, bool overwrite);

/* -1 when path exists and overwrite is false. */
int v2k_output_check_free(const char *path, bool overwrite);

/* -1 with a message when the temporary name path (".NAME-sda.part")
 * exists: another v2kvm may be writing it, or a killed one left it.  A
 * run only ever removes what it created itself, so it is left alone
 * (also with --overwrite) and the user told to remove it. */
int v2k_output_check_tmp(const char *path);

/* Rename every temporary into place; on failure the ones already renamed
 * are removed again. */
int v2k_outdisks_commit(struct v2k_outdisks *d, bool overwrite);

/* Remove the disks commit put in place (a later step failed). */
void v2k_outdisks_uncommit(struct v2k_outdisks *d);

void v2k_outdisks_free(struct v2k_outdisks *d);

/* The finalize steps -o local, -o libvirt and -o qemu share. */

/* The domain XML of s naming d's disks by their final names, in the
 * format -of gives; dopts NULL = v2k_domain_opts_init(o).  malloc'd, or
 * NULL with a message. */
struct v2k_domain_opts;
char *v2k_outdisks_domain_xml(const struct v2k_outdisks *d,
                              const struct v2k_options *o,
                              const struct v2k_source *s,
                              const struct v2k_guestcaps *gc,
                              const struct v2k_domain_opts *dopts);

/* Rename the disks into place, then the metadata file tmp to final (the
 * domain XML, the launch script): the metadata appears last, so it only
 * ever names complete disks, and when its rename fails the disks are
 * taken back, so no partial VM is left. */
int v2k_outdisks_commit_with(struct v2k_outdisks *d, const char *tmp,
                             const char *final, bool overwrite);

#endif
