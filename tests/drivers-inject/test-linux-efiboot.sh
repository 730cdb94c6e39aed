#!/bin/bash
# test-linux-efiboot.sh - the "efiboot" step: a UEFI guest whose ESP has
# no fallback loader gets \EFI\BOOT\BOOTX64.EFI starting its own loader
# (a new KVM domain's NVRAM has no boot entry), on the phony debian12
# UEFI guest (tests/lib/mkphony.sh uefi: /boot/efi/EFI/debian/grubx64.efi
# and grub.cfg, no EFI/BOOT):
#   grub    GRUB only: BOOTX64.EFI is grubx64.efi, grub.cfg beside it;
#   shim    shimx64.efi + mmx64.efi beside GRUB: BOOTX64.EFI is shim,
#           grubx64.efi and mmx64.efi copied beside it;
#   kept    a fallback loader already there (lower case, as FAT allows):
#           nothing written;
#   bios    the source boots with BIOS: the step does not run.
# Five launches (build, one per case; files read back with --download).
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish busybox

steps=$V2K_BINARY_DIR/tests/v2kvm-steps
[ -x "$steps" ] || fail "$steps is missing (tests/lib/tool-steps.c)"

bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" debian12 "$T/base.img" uefi ||
    fail "mkphony.sh failed"
for f in SHIM GRUB MM OLD; do printf '%s loader\n' "$f" >"$T/$f.efi"; done
E=/boot/efi/EFI

run_case() {    # run_case NAME [OPTIONS...]: efiboot on a copy of the base
    local name=$1
    shift
    cp --sparse=always "$T/base.img" "$T/$name.img"
    mkdir -p "$T/$name"
    "$steps" "$@" \
        --download=$E/BOOT/BOOTX64.EFI:"$T/$name/BOOTX64.EFI" \
        --download=$E/BOOT/grubx64.efi:"$T/$name/grubx64.efi" \
        --download=$E/BOOT/mmx64.efi:"$T/$name/mmx64.efi" \
        --download=$E/BOOT/grub.cfg:"$T/$name/grub.cfg" \
        --download=$E/debian/grub.cfg:"$T/$name/debian-grub.cfg" \
        --download=/boot/efi/efi/boot/bootx64.efi:"$T/$name/lower.efi" \
        efiboot "$T/$name.img" >"$T/$name.log" 2>&1 ||
        { cat "$T/$name.log" >&2; fail "v2kvm-steps failed on $name"; }
}

# grub: the phony's empty grubx64.efi becomes the fallback loader.
run_case grub -v --uefi --upload "$T/GRUB.efi:$E/debian/grubx64.efi"
cmp "$T/GRUB.efi" "$T/grub/BOOTX64.EFI" ||
    fail "grub: BOOTX64.EFI is not the guest's grubx64.efi"
cmp "$T/grub/debian-grub.cfg" "$T/grub/grub.cfg" ||
    fail "grub: EFI/BOOT/grub.cfg is not a copy of EFI/debian/grub.cfg"
[ ! -e "$T/grub/mmx64.efi" ] || fail "grub: mmx64.efi appeared"
assert_grep 'efiboot: \\EFI\\BOOT\\BOOTX64.EFI now starts the guest'"'"'s grub (a copy of \\EFI\\debian\\grubx64.efi)' "$T/grub.log"

# shim: shim first, GRUB and MokManager beside it.
run_case shim --uefi --upload "$T/SHIM.efi:$E/debian/shimx64.efi" \
    --upload "$T/GRUB.efi:$E/debian/grubx64.efi" \
    --upload "$T/MM.efi:$E/debian/mmx64.efi"
cmp "$T/SHIM.efi" "$T/shim/BOOTX64.EFI" || fail "shim: BOOTX64.EFI is not shim"
cmp "$T/GRUB.efi" "$T/shim/grubx64.efi" || fail "shim: grubx64.efi not beside it"
cmp "$T/MM.efi" "$T/shim/mmx64.efi" || fail "shim: mmx64.efi not beside it"
assert_grep "now starts the guest's shim" "$T/shim.log"

# kept: a fallback loader in lower case is found and left alone.
run_case kept --uefi --upload "$T/OLD.efi:/boot/efi/EFI/boot/bootx64.efi"
cmp "$T/OLD.efi" "$T/kept/lower.efi" || fail "kept: the fallback loader changed"
[ ! -e "$T/kept/grub.cfg" ] || fail "kept: grub.cfg was written"
if grep -q 'now starts' "$T/kept.log"; then
    fail "kept: the step wrote a loader"
fi

# bios: not a UEFI source, nothing done.
run_case bios
[ ! -e "$T/bios/BOOTX64.EFI" ] && [ ! -e "$T/bios/lower.efi" ] ||
    fail "bios: a fallback loader was written"
echo "OK"
