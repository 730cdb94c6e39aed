#!/bin/bash
# What the P2V client finds on a "physical machine" booted from the image:
# the boot image with the real client (p2v/iso/build-iso.sh, its rootfs
# cached in $V2K_CACHE_DIR, default /var/cache/v2kvm-tests) and
# v2kvm.list=1 on its kernel command line (the discovery-only boot: the
# client prints what --list and --print-xml print on the serial console
# and powers off), on a q35 machine under UEFI (OVMF, a fresh NVRAM)
# that boots from a USB stick (the ISO as usb-storage on xHCI), with:
#   - two 64 MiB SATA disks on q35's AHCI holding an md RAID1 (metadata
#     1.2 on one partition each, made by guestfish/mdadm);
#   - a 64 MiB NVMe disk (serial V2KNVME01) that is an LVM physical
#     volume of VG vg0 with one LV (guestfish);
#   - an e1000 NIC with a fixed MAC.
# The image assembles no array and activates no VG (rootfs-hook.sh), so
# what relates these disks is what the client reads on them (ondisk.h).
# Checked on the serial log: firmware UEFI; the two SATA disks offered as
# one md RAID1 group; nvme0n1 offered, kind nvme, serial V2KNVME01, a
# physical volume of VG vg0; the USB stick not offered, as the boot
# medium; the XML has the NIC's MAC, the three disks and UEFI firmware.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-system-x86_64 guestfish mmdebstrap mksquashfs grub-mkrescue \
    xorriso mformat cpio virt-xml-validate
: "${V2KVM_P2V:?run me through ctest}"
[ -f /usr/share/OVMF/OVMF_CODE.fd ] && [ -f /usr/share/OVMF/OVMF_VARS.fd ] ||
    fail "OVMF is missing (scripts/setup.sh installs ovmf)"
export LIBGUESTFS_BACKEND=direct
t0=$(date +%s)
phase=$t0
# took NAME: the time since the last phase
took() {
    local now; now=$(date +%s)
    echo "test-boot-p2v-discover: $1 in $((now - phase)) s"
    phase=$now
}
trap 'if [ -n "${QPID:-}" ]; then kill "$QPID" 2>/dev/null || true; fi' EXIT

# --- the physical disks ---------------------------------------------------
truncate -s 64M "$T/sata0.img" "$T/sata1.img" "$T/nvme.img"
guestfish -a "$T/sata0.img" -a "$T/sata1.img" -a "$T/nvme.img" \
    >"$T/guestfish.log" 2>&1 <<'EOF' || { cat "$T/guestfish.log" >&2; fail "guestfish failed"; }
run
part-disk /dev/sda mbr
part-disk /dev/sdb mbr
md-create md0 "/dev/sda1 /dev/sdb1" level:raid1
mkfs ext4 /dev/md/md0
pvcreate /dev/sdc
vgcreate vg0 /dev/sdc
lvcreate root vg0 32
mkfs ext4 /dev/vg0/root
EOF
took "disks (md RAID1 + LVM, guestfish)"

# --- the boot image: the real client, discovery only ------------------------
iso=$(bash "$V2K_SOURCE_DIR/p2v/iso/build-iso.sh" --client "$V2KVM_P2V" \
      --out "$T/iso" --append "v2kvm.list=1" --timeout 1) ||
    fail "build-iso.sh failed"
[ "$iso" = "$T/iso/v2kvm-p2v.iso" ] || fail "build-iso.sh printed '$iso'"
took "image"

# --- the physical machine ----------------------------------------------------
accel=${V2K_ACCEL:-tcg}
cpu=()
[ "$accel" = kvm ] && cpu=(-cpu host)
MAC=52:54:00:d1:5c:07
cp /usr/share/OVMF/OVMF_VARS.fd "$T/vars.fd"
: >"$T/console.log"
qemu-system-x86_64 -accel "$accel" "${cpu[@]}" -machine q35 -m 1024 -smp 2 \
    -display none -monitor none -no-reboot -serial "file:$T/console.log" \
    -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
    -drive if=pflash,format=raw,file="$T/vars.fd" \
    -drive "if=none,id=stick,format=raw,snapshot=on,file=$iso" \
    -device qemu-xhci,id=xhci \
    -device usb-storage,bus=xhci.0,drive=stick,bootindex=1 \
    -drive "if=none,id=s0,format=raw,snapshot=on,file=$T/sata0.img" \
    -device ide-hd,drive=s0,bus=ide.0 \
    -drive "if=none,id=s1,format=raw,snapshot=on,file=$T/sata1.img" \
    -device ide-hd,drive=s1,bus=ide.1 \
    -drive "if=none,id=nv,format=raw,snapshot=on,file=$T/nvme.img" \
    -device nvme,serial=V2KNVME01,drive=nv \
    -netdev user,id=n0 -device "e1000,netdev=n0,mac=$MAC" \
    </dev/null >"$T/qemu.log" 2>&1 &
QPID=$!
deadline=$(($(date +%s) + ${P2V_BOOT_TIMEOUT:-1200}))
while kill -0 "$QPID" 2>/dev/null; do
    grep -aq "v2kvm-p2v: discovery done" "$T/console.log" && break
    if grep -aqE 'Kernel panic|\(initramfs\)|Unable to find a live file system|grub rescue>|emergency mode|v2kvm-p2v: error:' "$T/console.log"; then
        tail -40 "$T/console.log" >&2
        fail "the boot failed (see the console above)"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || {
        tail -40 "$T/console.log" >&2; fail "no discovery listing in time"; }
    sleep 2
done
# the client powers the machine off after its listing: 60 s for that
for _ in $(seq 60); do kill -0 "$QPID" 2>/dev/null || break; sleep 1; done
if kill -0 "$QPID" 2>/dev/null; then
    kill "$QPID" 2>/dev/null || true
    poweroff=no
else
    poweroff=yes
fi
wait "$QPID" 2>/dev/null || true
QPID=
took "boot to the listing (accelerator $accel)"

# --- what the client printed -----------------------------------------------
tr -d '\r' <"$T/console.log" >"$T/console.txt"
sed -n '/^v2kvm-p2v: discovery only/,/^v2kvm-p2v: discovery done/p' \
    "$T/console.txt" >"$T/listing"
[ -s "$T/listing" ] || { tail -40 "$T/console.txt" >&2; fail "no listing on the serial console"; }
cat "$T/listing"
sed -n '/^Disks offered/,/^Disks not offered/p' "$T/listing" >"$T/offered"
sed -n '/^Disks not offered/,/^Removable drives/p' "$T/listing" >"$T/hidden"
sed -n '/^<domain/,/^<\/domain>/p' "$T/listing" >"$T/domain.xml"

grep -q '^Firmware  UEFI$' "$T/listing" || fail "the client did not see UEFI"
# the two SATA disks: offered, kind sata, members of one not-assembled
# RAID1, which is one group of exactly them
sata=$(awk '$3 == "sata" { print $1 }' "$T/offered" | paste -sd' ')
[ "$(echo "$sata" | wc -w)" = 2 ] || fail "not two SATA disks offered: '$sata'"
for d in $sata; do
    grep -Eq "^  $d .*member of md array '[^']*md0' \(raid1\), not assembled" "$T/offered" ||
        fail "$d: not a member of the RAID1"
done
grep -Eq "^  md array '[^']*md0' \(raid1, not assembled\): ${sata/ /, }$" "$T/listing" ||
    fail "no RAID1 group of $sata"
grep -q "degraded" "$T/listing" && fail "the RAID1 is said to be degraded"
grep -Eq '^  nvme0n1 +/dev/nvme0n1 +nvme .*\(V2KNVME01\); physical volume of VG vg0$' "$T/offered" ||
    fail "nvme0n1 is not offered as an NVMe disk (V2KNVME01) of VG vg0"
grep -Eq '^  sd[a-z]+ .* usb .*boot medium' "$T/hidden" ||
    fail "the USB stick is not hidden as the boot medium"
grep -Eq '^  sd[a-z]+ .* usb ' "$T/offered" && fail "the USB stick is offered"
grep -q "<mac address='$MAC'/>" "$T/domain.xml" || fail "the XML lacks the MAC $MAC"
[ "$(grep -c "<disk type='network' device='disk'>" "$T/domain.xml")" = 3 ] ||
    fail "the XML does not have three disks"
grep -q "<os firmware='efi'>" "$T/domain.xml" || fail "the XML is not UEFI"
grep -q "<serial>V2KNVME01</serial>" "$T/domain.xml" || fail "the XML lacks the NVMe serial"
virt-xml-validate "$T/domain.xml" domain >/dev/null || fail "the XML does not validate"
[ "$poweroff" = yes ] || fail "the client did not power the machine off"
echo "test-boot-p2v-discover: ok in $(($(date +%s) - t0)) s"
