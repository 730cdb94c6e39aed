#!/bin/bash
# test-firmware.sh - BIOS or UEFI from the disk when the source does not
# say, and the disk over the source when it can only start the other way
# (converters/firmware.h), with --no-convert (no appliance needed for
# it): phony debian12 disks (tests/lib/mkphony.sh), one GPT with an EFI
# system partition and no BIOS boot code, one MBR.
#   -i disk UEFI disk  -> UEFI, said with the evidence (the loader found
#                         in the ESP); <os firmware='efi'> that
#                         virt-xml-validate and libvirt accept;
#   the same disk, its ESP emptied -> BIOS (an ESP holding no loader);
#   -i disk MBR disk   -> BIOS;
#   -i vmx without a firmware key (VMware's default: BIOS) over the UEFI
#      disk            -> a warning, UEFI; -o qemu's script boots OVMF
#                         with a private copy of its variables.
# One launch (mkphony.sh builds both disks).
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish busybox virt-xml-validate virsh xmllint partx mdel

bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" \
    debian12 "$T/uefi.img" uefi + debian12 "$T/mbr.img" ||
    fail "mkphony.sh failed"
xp() { xmllint --xpath "$1" "$2"; }

"$V2KVM" --no-convert -i disk "$T/uefi.img" -on fw-uefi -o local \
    -os "$T" >"$T/uefi.log" 2>&1 || { cat "$T/uefi.log" >&2; fail "uefi"; }
assert_grep 'Firmware: UEFI (the source does not say; disk 1: GPT, EFI system partition 1 with \\EFI\\DEBIAN\\GRUBX64.EFI, no BIOS boot code, no BIOS boot partition)' "$T/uefi.log"
x=$T/fw-uefi.xml
[ "$(xp 'string(/domain/os/@firmware)' "$x")" = efi ] ||
    fail "$x: no <os firmware='efi'>"
virt-xml-validate "$x" >/dev/null 2>&1 || fail "$x: virt-xml-validate"
virsh -q -c test:///default define "$x" >/dev/null || fail "$x: virsh define"

"$V2KVM" --no-convert -i disk "$T/mbr.img" -on fw-mbr -o local \
    -os "$T" >"$T/mbr.log" 2>&1 || { cat "$T/mbr.log" >&2; fail "mbr"; }
assert_grep "Firmware: BIOS (the source does not say; disk 1: MBR, no EFI system partition" "$T/mbr.log"
[ -z "$(xp 'string(/domain/os/@firmware)' "$T/fw-mbr.xml")" ] ||
    fail "fw-mbr.xml names a firmware"

# The same disk with its ESP emptied of loaders (mtools on the partition
# at its offset, no appliance): an ESP that starts nothing is no UEFI
# evidence, so BIOS.
cp --sparse=always "$T/uefi.img" "$T/empty-esp.img"
start=$(partx -g -o START -n 1 "$T/empty-esp.img" | tr -d ' ')
MTOOLS_SKIP_CHECK=1 mdel -i "$T/empty-esp.img@@$((start * 512))" \
    ::/EFI/debian/grubx64.efi || fail "mdel failed"
"$V2KVM" --no-convert -i disk "$T/empty-esp.img" -on fw-empty -o local \
    -os "$T" >"$T/empty.log" 2>&1 || { cat "$T/empty.log" >&2; fail "empty"; }
assert_grep "Firmware: BIOS (the source does not say; disk 1: GPT, EFI system partition 1 holding no loader, no BIOS boot code" "$T/empty.log"
[ -z "$(xp 'string(/domain/os/@firmware)' "$T/fw-empty.xml")" ] ||
    fail "fw-empty.xml names a firmware"
rm -f "$T/empty-esp.img"

# A VMX saying nothing (BIOS for VMware) over the UEFI disk.
mkdir "$T/vm"
mv "$T/uefi.img" "$T/vm/uefi-flat.img"
cat >"$T/vm/uefi.vmdk" <<VMDK
# Disk DescriptorFile
version=1
CID=fffffffe
parentCID=ffffffff
createType="monolithicFlat"
RW $(( $(stat -c %s "$T/vm/uefi-flat.img") / 512 )) FLAT "uefi-flat.img" 0
ddb.adapterType = "lsilogic"
VMDK
cat >"$T/vm/fw.vmx" <<'VMX'
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "14"
displayName = "fw-vmx"
memSize = "512"
guestOS = "debian10-64"
scsi0.present = "TRUE"
scsi0.virtualDev = "lsilogic"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "uefi.vmdk"
VMX
mkdir "$T/q"
"$V2KVM" --no-convert -i vmx "$T/vm/fw.vmx" -o qemu -os "$T/q" \
    >"$T/vmx.log" 2>&1 || { cat "$T/vmx.log" >&2; fail "vmx"; }
assert_grep "the source says BIOS firmware, but disk 1 can only start under UEFI (GPT, EFI system partition 1" "$T/vmx.log"
sh=$(ls "$T"/q/*.sh)
assert_grep 'OVMF_CODE_4M.fd' "$sh"
assert_grep 'OVMF_VARS_4M.fd' "$sh"
bash -n "$sh" || fail "$sh: not valid shell"
echo "OK"
