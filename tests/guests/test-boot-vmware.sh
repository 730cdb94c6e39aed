#!/bin/bash
# The acceptance test for -i vmx (issue #6): a real Debian 12 guest shaped
# as VMware leaves it (lsilogic SCSI disk, vmxnet3, /dev/sda1 in fstab and
# GRUB, an initramfs with MODULES=list and SCSI/SATA drivers only,
# open-vm-tools installed, xorg.conf with the vmware driver; built by
# tests/lib/mkguest-debian.sh, cached)
#   (a) does not boot on virtio-blk (a recognised failure signature),
#   (b) is converted by v2kvm -i vmx -o local -of qcow2,
#   (c) the output says /dev/vda1 in fstab and GRUB, loads virtio_blk from
#       its initrd (added to the image as it is, not regenerated), has no
#       VMware tools left and no vmware X driver,
#   (d) boots to the marker on virtio-blk + virtio-net, and its network
#       comes up: the guest's ifupdown says "allow-hotplug ens160" (the
#       name VMware's PCI slot 160 gave the vmxnet3 NIC), the conversion
#       pins ens160 to the NIC's MAC (a systemd .link file), and the
#       guest reports, on its serial console, ens160 with an address from
#       QEMU's user network and the source's MAC.
# Before the conversion, the same guest booted on AHCI (its initramfs has
# ahci) with the same MAC on virtio-net reaches multi-user but reports no
# address: the virtio NIC is not ens160 (a2).
. "$(dirname "$0")/../lib/test-lib.sh"
. "$V2K_SOURCE_DIR/tests/lib/boot-lib.sh"
need qemu-system-x86_64 qemu-img guestfish lsinitramfs jq debootstrap \
    mkfs.ext4 sfdisk xmllint
t0=$(date +%s)

src=$(guest_source vmware) || fail "building the vmware guest failed"
vmx=$src/debian12.vmx
[ -f "$vmx" ] && [ -f "$src/debian12.vmdk" ] || fail "no VMX/VMDK in $src"
assert_grep 'scsi0.virtualDev = "lsilogic"' "$vmx"
assert_grep 'ethernet0.virtualDev = "vmxnet3"' "$vmx"
t_src=$(date +%s)

# (a) as it is, the guest cannot find its root disk on virtio-blk.
assert_boot_fails "$src/debian12.vmdk" vmdk 600 "$T/before.log"
before="$BOOT_RESULT after ${BOOT_SECONDS}s"
t_a=$(date +%s)

# (a2) on AHCI it boots, but the network config names ens160: no address.
mac=$(sed -n 's/^ethernet0.generatedAddress = "\(.*\)"$/\1/p' "$vmx")
[ -n "$mac" ] || fail "no ethernet0.generatedAddress in $vmx"
BOOT_DISK_IF=ahci BOOT_NIC_MAC=$mac \
    assert_boots "$src/debian12.vmdk" vmdk 900 "$T/ahci.log" v2kvm-deb12
assert_grep "V2KVM-NET none (configured: ens160)" "$T/ahci.log"
t_a2=$(date +%s)

# (b) convert.
assert_converts vmx "$vmx" "$src/debian12.vmdk"
out=$CONVERTED
t_b=$(date +%s)

# (c) inspect the result.
inspect_guest "$out" "$T/insp" /usr/bin/vmtoolsd /etc/vmware-tools \
    /var/lib/dpkg/info/open-vm-tools.list \
    /etc/systemd/network/10-v2kvm-ens160.link ||
    fail "cannot inspect the converted guest"
assert_virtio_linux "$T/insp"
assert_absent "$T/insp" /usr/bin/vmtoolsd
assert_absent "$T/insp" /etc/vmware-tools
assert_absent "$T/insp" /var/lib/dpkg/info/open-vm-tools.list
if [ -f "$T/insp/xorg.conf" ] && grep -qi 'driver.*"vmware"' "$T/insp/xorg.conf"
then
    fail "xorg.conf still uses the vmware driver"
fi
grep -qx -- "/etc/systemd/network/10-v2kvm-ens160.link true" "$T/insp/exists" ||
    fail "no .link file pins ens160"
assert_grep "network: ens160 stays the name of the NIC with MAC $mac (matched by its PCI slot number, NIC 1)" "$T/result.json"
# Its initramfs (MODULES=list: no virtio) got the drivers without the
# guest's update-initramfs running in the appliance (issue #15).
assert_grep 'initrd.img-[^ ]*: [a-z_ ]*virtio_blk[a-z_ ]* added without regenerating it' "$T/result.json"
t_c=$(date +%s)

# (d) boot it as KVM will, with the MAC the output XML keeps.
[ "$(xmllint --xpath 'string(//interface/mac/@address)' "$T/out"/*.xml)" = "$mac" ] ||
    fail "the output XML does not keep the MAC $mac"
BOOT_NIC_MAC=$mac assert_boots "$out" qcow2 900 "$T/after.log" v2kvm-deb12
assert_grep "V2KVM-NET ens160 10.0.2.15 $mac" "$T/after.log"
t_d=$(date +%s)

echo "test-boot-vmware: source ready in $((t_src - t0))s;" \
    "(a) $before, $((t_a - t_src))s; (a2) AHCI boot $((t_a2 - t_a))s;" \
    "(b) conversion $((t_b - t_a2))s," \
    "output $(du -k "$out" | cut -f1) KiB; (c) $((t_c - t_b))s;" \
    "(d) marker after ${BOOT_SECONDS}s; total $((t_d - t0))s"
echo "test-boot-vmware: ok"
