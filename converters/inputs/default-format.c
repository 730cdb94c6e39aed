/* inputs/default-format.c - a disk whose description states no format.
 *
 * Xen reads such a disk as raw (xl-disk-configuration(5): "format ...
 * default: raw"), and so does libvirt for a <disk> without <driver
 * type> (format probing was removed in libvirt 6.0; qemu then reads raw).
 * Probing it instead would let the image choose: a raw disk whose guest
 * wrote a qcow2 or VMDK header into its first sector would be read as
 * that format, following the backing file the guest named -- a host file.
 * So we honour the hypervisor's default, raw, and only warn when the
 * bytes look like another format (the guest saw them as raw too).
 */
#include "error.h"
#include "format.h"
#include "inputs-internal.h"
#include "log.h"
#include "util.h"

#include <string.h>

int
v2k_input_default_raw(struct v2k_disk *d, const struct v2k_remote_opts *ropts,
                      const char *where)
{
    struct v2k_transport *t;
    const struct v2k_format *f;

    if (d->format || d->device != V2K_DEV_DISK || d->path == NULL)
        return 0;
    if ((d->format = v2k_strdup("raw")) == NULL)
        return -1;
    t = v2k_transport_open_uri(d->path, ropts);
    f = t ? v2k_format_probe(t) : NULL;
    if (f && strcmp(f->name, "raw") != 0)
        v2k_warning("%s: %s has no format and looks like %s: read as raw, the hypervisor's default (state the format in the description if the guest saw %s)",
                    where, d->path, f->name, f->name);
    v2k_transport_close(t);
    v2k_error_clear();      /* opening it reports what is wrong */
    return 0;
}
