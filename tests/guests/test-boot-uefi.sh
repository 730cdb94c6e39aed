#!/bin/bash
# The acceptance test for UEFI from the disk (issue #14): a real Debian 12
# UEFI guest (GPT, ESP on sda1, GRUB for x86_64-efi installed in
# \EFI\debian only: no fallback loader, and no NVRAM travels in an OVA)
# shipped as an OVA whose OVF names no firmware (tests/lib/mkguest-debian.sh
# uefi, cached)
#   (a) is converted by v2kvm -i ova -o local -of qcow2, which finds UEFI
#       on the disk and says on what evidence, writes <os firmware='efi'>,
#       and makes \EFI\BOOT\BOOTX64.EFI start the guest's GRUB; keeps
#       its initramfs (MODULES=most, virtio included) as it is;
#   (b) boots under OVMF (Debian's ovmf) with an empty NVRAM, as a new
#       libvirt domain does, on virtio, to the marker (multi-user).
. "$(dirname "$0")/../lib/test-lib.sh"
. "$V2K_SOURCE_DIR/tests/lib/boot-lib.sh"
need qemu-system-x86_64 qemu-img guestfish jq debootstrap mkfs.ext4 sfdisk \
    xmllint virt-xml-validate
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] ||
    fail "OVMF is missing (scripts/setup.sh installs ovmf)"
t0=$(date +%s)

src=$(guest_source uefi) || fail "building the uefi guest failed"
ova=$src/debian12-uefi.ova
[ -f "$ova" ] || fail "no OVA in $src"
if tar -xOf "$ova" debian12-uefi.ovf |
        grep -qiE 'key="firmware"|<[a-z]*:?Firmware'; then
    fail "the OVF names a firmware"
fi
t_src=$(date +%s)

# (a) convert.
assert_converts ova "$ova" "$ova"
# Its initramfs is Debian's default (MODULES=most: virtio included): kept
# as it is, neither appended to nor regenerated (issue #15's third path;
# the vmware, xen and vbox guests take the other two).
assert_grep 'initrd.img-[^ ]* already contains virtio_blk and virtio_pci: kept as it is' "$T/result.json"
out=$CONVERTED
assert_grep 'Firmware: UEFI (the source does not say; disk 1: GPT, EFI system partition 1 with \\\\EFI\\\\DEBIAN\\\\GRUBX64.EFI, no BIOS boot code, no BIOS boot partition)' "$T/result.json"
assert_grep 'efiboot: \\\\EFI\\\\BOOT\\\\BOOTX64.EFI now starts the guest'"'"'s grub (a copy of \\\\EFI\\\\debian\\\\grubx64.efi)' "$T/result.json"
x=$(ls "$T"/out/*.xml)
[ "$(xmllint --xpath 'string(/domain/os/@firmware)' "$x")" = efi ] ||
    fail "$x: no <os firmware='efi'>"
virt-xml-validate "$x" >/dev/null 2>&1 || fail "$x: virt-xml-validate"
guestfish --ro -a "$out" >"$T/gf.out" 2>&1 <<'GF' || { cat "$T/gf.out" >&2; fail "guestfish"; }
run
mount-ro /dev/sda2 /
mount-ro /dev/sda1 /boot/efi
find /boot/efi/EFI
cat /etc/fstab
GF
grep -qx '/\?BOOT/BOOTX64.EFI' "$T/gf.out" ||
    { cat "$T/gf.out" >&2; fail "no EFI/BOOT/BOOTX64.EFI in the output"; }
grep -q '^/dev/vda2 ' "$T/gf.out" ||
    { cat "$T/gf.out" >&2; fail "fstab does not mount /dev/vda2"; }
t_a=$(date +%s)

# (b) boot under OVMF with an empty NVRAM.
BOOT_UEFI=1 assert_boots "$out" qcow2 900 "$T/after.log" v2kvm-deb12
t_b=$(date +%s)

echo "test-boot-uefi: source ready in $((t_src - t0))s; (a) conversion" \
    "$((t_a - t_src))s; (b) marker under OVMF after ${BOOT_SECONDS}s;" \
    "total $((t_b - t0))s"
echo "test-boot-uefi: ok"
