#!/bin/bash
# README command (1)'s job: a sample VM disk built with libguestfs (a real
# appliance) is converted with -i disk -o local, and the converted disk is
# a guest libguestfs can mount with the same files as the source.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img guestfish virt-xml-validate virsh

mksample=$V2K_BINARY_DIR/tests/v2kvm-mksample
"$mksample" -v "$T/sample-vm.img" >"$T/mk.log" 2>&1 ||
    { tail -30 "$T/mk.log" >&2; fail "v2kvm-mksample failed"; }
# The accelerator choice is announced with -v.
assert_grep "accelerator: \(tcg\|kvm\) (" "$T/mk.log"
[ ! -e "$T/sample-vm.img.part" ] || fail "temporary file left"

mkdir "$T/out"
"$V2KVM" --no-convert -i disk "$T/sample-vm.img" --memory 1G --vcpus 2 \
    -o local -os "$T/out" >"$T/conv.log"
assert_grep "Finished converting sample-vm" "$T/conv.log"
qemu-img check -q "$T/out/sample-vm-sda"
qemu-img compare -q -F qcow2 "$T/sample-vm.img" "$T/out/sample-vm-sda"
virt-xml-validate "$T/out/sample-vm.xml" >/dev/null 2>&1 ||
    fail "sample XML does not validate"
virsh -q -c test:///default define "$T/out/sample-vm.xml" >/dev/null

# One appliance reads the source and the converted disk.
guestfish --ro -a "$T/sample-vm.img" --format=qcow2 \
    -a "$T/out/sample-vm-sda" >"$T/gf.out" <<'EOT'
run
list-filesystems
mount /dev/sda1 /
cat /etc/fstab
checksum sha256 /var/lib/sample/data.bin
umount /
mount /dev/sdb1 /
cat /etc/fstab
checksum sha256 /var/lib/sample/data.bin
vfs-label /dev/sdb1
EOT
assert_grep "/dev/sdb1: ext4" "$T/gf.out"
[ "$(grep -c '^/dev/sda1 / ext4' "$T/gf.out")" = 2 ] ||
    fail "fstab not found on both disks"
sums=$(grep -E '^[0-9a-f]{64}$' "$T/gf.out" | sort -u | wc -l)
[ "$sums" = 1 ] || fail "data differs between source and output"
assert_grep "^sample-root$" "$T/gf.out"
echo "test-sample: ok"
