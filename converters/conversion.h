/* conversion.h - the guest conversion stage of the pipeline (DESIGN.md
 * "Convert on an overlay"), between the input and the copy.
 *
 * v2k_conversion_run():
 *   1. serves each copied source disk (device V2K_DEV_DISK) read-only
 *      over NBD with nbdkit-v2kvm-plugin (our own readers: URIs, OVA
 *      members, VDI chains ...), one nbdkit per disk on a Unix socket in
 *      a private (0700) temporary directory ($TMPDIR, else /var/tmp);
 *   2. creates one qcow2 v3 overlay per disk, backed by that export;
 *   3. launches libguestfs on the overlays (read-write, discard), inspects
 *      (inspect.h), prints the guest with --print-guest, rewrites it
 *      (convert.h; skipped for an inspection-only run), trims the free
 *      space of every mounted filesystem, and shuts the appliance down;
 *   4. stops nbdkit.  The source is never written.
 * The overlays then hold every change, and discarded blocks are zero
 * clusters in them.  v2k_conversion_open_disk() opens one overlay with
 * our qcow2 reader over the source opened directly (not through NBD):
 * the copy reads "overlay merged over the source".
 *
 * Ownership: the struct owns the temporary directory, the overlays and
 * the inspection result; v2k_conversion_free() removes them (NULL-safe).
 * The overlays are registered in outfile.h so a second signal removes
 * them too.  On failure, v2k_conversion_run() leaves nothing behind (no
 * nbdkit, no temporary files) and returns NULL with one message.
 */
#ifndef V2K_CONVERSION_H
#define V2K_CONVERSION_H

#include <stdbool.h>

#include "format.h"
#include "guestcaps.h"
#include "options.h"
#include "source.h"

struct v2k_conversion;
struct v2k_guest;

/* gc: in, defaults + user overrides; out, what the converted guest can
 * drive.  inspect_only: inspect (and print) but do not rewrite or trim. */
struct v2k_conversion *v2k_conversion_run(const struct v2k_options *o,
                                          const struct v2k_source *s,
                                          struct v2k_guestcaps *gc,
                                          bool inspect_only);

/* The k-th copied disk, overlay merged over the source; close with
 * v2k_conversion_close_disk() before v2k_conversion_free(). */
struct v2k_image *v2k_conversion_open_disk(struct v2k_conversion *c,
                                           size_t k);
void v2k_conversion_close_disk(struct v2k_conversion *c, size_t k,
                               struct v2k_image *img);

/* What inspection found (owned by c). */
const struct v2k_guest *v2k_conversion_guest(const struct v2k_conversion *c);

/* Seconds spent with the appliance running (launch to shutdown). */
double v2k_conversion_appliance_seconds(const struct v2k_conversion *c);

void v2k_conversion_free(struct v2k_conversion *c);

/* Open source disk d the way the copy reads it: d->path may be a URI
 * (sftp://, https://; credentials from -ip and the environment) or
 * TAR/MEMBER inside an OVA; a .vbox's parent chain is honoured; absolute
 * backing names are followed for local images only. */
struct v2k_image *v2k_open_source_disk(const struct v2k_options *o,
                                       const struct v2k_disk *d);

/* Whether the output keeps the source's MAC addresses: every NIC has one
 * and none becomes an SR-IOV function (--mac MAC:hostdev:). */
bool v2k_conversion_keeps_macs(const struct v2k_options *o,
                               const struct v2k_source *s);

/* The nbdkit plugin to use: $V2K_NBDKIT_PLUGIN, else the one in the
 * build tree, else the installed one; NULL with a message when none
 * exists. */
const char *v2k_nbdkit_plugin_path(void);

#endif
