/* inputs/disk.c - -i disk: bare disk images or block devices.
 *
 * The worked example of an input.  A bare disk says nothing about the VM
 * around it, so like virt-v2v's -i disk we describe a VM with the name of
 * the first disk (or -on), 2 GiB of memory and 1 vCPU unless --memory and
 * --vcpus say otherwise, and one virtio NIC on the "default" network.
 * Each disk is opened once here, read-only, to learn its format and size
 * (a bad image fails now, before any output exists).  Block devices
 * report their model and serial from sysfs for --print-source.
 */
#include "error.h"
#include "format.h"
#include "input.h"
#include "inputs-internal.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define DISK_DEFAULT_MEMORY (2ULL << 30)
#define DISK_DEFAULT_VCPUS 1

/* First line of a small sysfs attribute, trimmed, or NULL. */
static char *
sysfs_attr(const struct stat *st, const char *attr)
{
    char path[128];
    char *s, *end;

    snprintf(path, sizeof path, "/sys/dev/block/%u:%u/device/%s",
             major(st->st_rdev), minor(st->st_rdev), attr);
    s = v2k_read_file(path, 4096, NULL);
    if (s == NULL) {
        v2k_error_clear();
        return NULL;
    }
    end = s + strcspn(s, "\n");
    while (end > s && end[-1] == ' ')
        end--;
    *end = '\0';
    if (*s == '\0') {
        free(s);
        return NULL;
    }
    return s;
}

static int
add_disk(struct v2k_source *s, const char *path, const char *format,
         const struct v2k_remote_opts *ropts)
{
    struct v2k_disk *d = v2k_source_add_disk(s);
    struct stat st;

    if (d == NULL)
        return -1;
    d->device = V2K_DEV_DISK;
    d->bus = V2K_BUS_UNKNOWN;
    d->slot = (int)s->ndisks - 1;
    d->path = v2k_strdup(path);
    if (format && (d->format = v2k_strdup(format)) == NULL)
        return -1;
    if (d->path == NULL || v2k_input_open_disk(d, ropts, NULL) == -1)
        return -1;
    if (d->transport == V2K_TRANSPORT_BLOCK && stat(path, &st) == 0) {
        d->model = sysfs_attr(&st, "model");
        d->serial = sysfs_attr(&st, "serial");
        s->hypervisor = V2K_HV_PHYSICAL;
    }
    return 0;
}

static struct v2k_source *
disk_open(const struct v2k_options *o,
          __attribute__((unused)) void **state)
{
    static const char *const exts[] = { ".img", ".raw", ".qcow2", ".vmdk",
                                         ".vdi", ".vhd", ".vhdx", NULL };
    struct v2k_remote_opts ropts = { 0 };
    struct v2k_source *s;
    struct v2k_nic *nic;

    if (o->nsources == 0) {
        v2k_error("-i disk: give at least one disk image or block device");
        return NULL;
    }
    if (o->input_uri) {
        v2k_error("-i disk: -ic is not used with local disks");
        return NULL;
    }
    s = v2k_source_new();
    if (s == NULL)
        return NULL;
    s->hypervisor = V2K_HV_UNKNOWN;
    s->firmware = V2K_FW_UNKNOWN;
    s->memory_bytes = DISK_DEFAULT_MEMORY;
    s->vcpus = DISK_DEFAULT_VCPUS;
    s->video = V2K_VIDEO_UNKNOWN;
    s->name = v2k_basename_noext(o->sources[0], exts);
    if (s->name == NULL)
        goto fail;
    /* Sources may be URIs (sftp://, https://): credentials from -ip
     * and the environment (formats/transport.h). */
    v2k_options_remote_opts(o, &ropts);
    for (size_t i = 0; i < o->nsources; i++)
        if (add_disk(s, o->sources[i], o->input_format, &ropts) == -1)
            goto fail;
    nic = v2k_source_add_nic(s);
    if (nic == NULL)
        goto fail;
    nic->network = v2k_strdup("default");
    nic->net_type = V2K_NET_NETWORK;
    nic->model = V2K_NIC_UNKNOWN;
    if (nic->network == NULL)
        goto fail;
    return s;

fail:
    v2k_error_prepend("-i disk: ");
    v2k_source_free(s);
    return NULL;
}

const struct v2k_input v2k_input_disk = {
    .name = "disk",
    .help = "disk images or block devices given as SOURCE",
    .open = disk_open,
};
