/* disk-names.c - see disk-names.h. */
#include "disk-names.h"
#include "error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int
v2k_disk_letters(size_t n, char *buf, size_t len)
{
    char rev[16];
    size_t k = 0;

    n++;
    while (n > 0 && k < sizeof rev) {
        n--;
        rev[k++] = (char)('a' + n % 26);
        n /= 26;
    }
    if (k + 1 > len)
        return -1;
    for (size_t i = 0; i < k; i++)
        buf[i] = rev[k - 1 - i];
    buf[k] = '\0';
    return 0;
}

int
v2k_disk_letters_index(const char *s, size_t len)
{
    if (len == 1 && islower((unsigned char)s[0]))
        return s[0] - 'a';
    if (len == 2 && islower((unsigned char)s[0]) &&
        islower((unsigned char)s[1]))
        return (s[0] - 'a' + 1) * 26 + (s[1] - 'a');
    return -1;
}

char *
v2k_disk_name(const char *prefix, size_t i, char *buf, size_t len)
{
    char letters[16];

    v2k_disk_letters(i, letters, sizeof letters);
    snprintf(buf, len, "%s%s", prefix, letters);
    return buf;
}

const char *
v2k_block_bus_dev_prefix(enum v2k_block_bus bus)
{
    switch (bus) {
    case V2K_BLOCK_VIRTIO_SCSI:
    case V2K_BLOCK_SATA:
        return "sd";
    case V2K_BLOCK_IDE:
        return "hd";
    case V2K_BLOCK_VIRTIO_BLK:
        break;
    }
    return "vd";
}

const char *
v2k_block_bus_libvirt(enum v2k_block_bus bus)
{
    switch (bus) {
    case V2K_BLOCK_VIRTIO_SCSI: return "scsi";
    case V2K_BLOCK_SATA: return "sata";
    case V2K_BLOCK_IDE: return "ide";
    case V2K_BLOCK_VIRTIO_BLK: break;
    }
    return "virtio";
}

void
v2k_disk_targets(const struct v2k_source *s, enum v2k_block_bus bus,
                 enum v2k_machine machine, struct v2k_disk_target *t)
{
    enum v2k_block_bus cd_bus = machine == V2K_MACHINE_PC ? V2K_BLOCK_IDE
                                                          : V2K_BLOCK_SATA;
    const char *prefix = v2k_block_bus_dev_prefix(bus);
    const char *cd_prefix = v2k_block_bus_dev_prefix(cd_bus);
    size_t ndisks = 0, ncd = 0;

    for (size_t i = 0; i < s->ndisks; i++)
        ndisks += s->disks[i].device == V2K_DEV_DISK;
    for (size_t i = 0, k = 0; i < s->ndisks; i++) {
        switch (s->disks[i].device) {
        case V2K_DEV_DISK:
            t[i].bus = v2k_block_bus_libvirt(bus);
            v2k_disk_name(prefix, k++, t[i].dev, sizeof t[i].dev);
            break;
        case V2K_DEV_CDROM:
            t[i].bus = v2k_block_bus_libvirt(cd_bus);
            v2k_disk_name(cd_prefix,
                          (strcmp(cd_prefix, prefix) == 0 ? ndisks : 0) +
                              ncd++,
                          t[i].dev, sizeof t[i].dev);
            break;
        default:
            t[i].bus = NULL;
            t[i].dev[0] = '\0';
            break;
        }
    }
}

int
v2k_disk_targets_check(const struct v2k_source *s, enum v2k_block_bus bus,
                       enum v2k_machine machine)
{
    size_t ide = 0;

    for (size_t i = 0; i < s->ndisks; i++) {
        const struct v2k_disk *d = &s->disks[i];

        ide += (d->device == V2K_DEV_DISK && bus == V2K_BLOCK_IDE) ||
               (d->device == V2K_DEV_CDROM && machine == V2K_MACHINE_PC);
    }
    if (ide > V2K_IDE_MAX) {
        v2k_error("%zu disks and CD-ROMs go on IDE, which holds %d on the pc machine (a guest without virtio or SATA drivers has no other bus)",
                  ide, V2K_IDE_MAX);
        return -1;
    }
    return 0;
}
