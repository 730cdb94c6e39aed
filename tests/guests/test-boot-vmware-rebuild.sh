#!/bin/bash
# The initramfs step's other path on the real VMware-shaped Debian 12
# guest (issue #15): converted with --rebuild-initramfs, the guest's own
# update-initramfs regenerates its initramfs (MODULES=list, no virtio)
# inside the appliance; the log says so, the image holds virtio_blk and
# the guest boots on virtio-blk (tests/lib/boot-lib.sh boot_rebuild).
# test-boot-vmware.sh covers the default path (drivers added to the image
# without regenerating it).
. "$(dirname "$0")/../lib/test-lib.sh"
. "$V2K_SOURCE_DIR/tests/lib/boot-lib.sh"
need qemu-system-x86_64 qemu-img guestfish lsinitramfs jq debootstrap \
    mkfs.ext4 sfdisk
boot_rebuild vmware
echo "test-boot-vmware-rebuild: ok"
