#!/bin/bash
# -i disk on a stand-in for a physical disk: an image file, and the same
# image as a read-only loop block device (losetup, as root).  Checks
# --print-source (transport block, hypervisor physical, size, and that
# --memory/--vcpus/-on fill what a bare disk cannot say) and a -o local
# conversion that matches the device byte for byte.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq losetup

img=$T/phys.img
qemu-img create -q -f raw "$img" 16M
qemu-io -f raw -c 'write -P 0xaa 0 512' -c 'write -P 0x3c 5M 3M' \
    -c 'write -P 0x01 16383k 1k' "$img" >/dev/null
sum_before=$(sha256sum <"$img")

# The image file.
"$V2KVM" --no-convert -i disk "$img" --print-source --machine-readable >"$T/f.json"
jq -e '.name == "phys" and .hypervisor == "unknown"
       and .disks[0].transport == "file" and .disks[0].format == "raw"
       and .disks[0].size_bytes == 16777216 and .disks[0].model == null' \
    "$T/f.json" >/dev/null || fail "file: $(cat "$T/f.json")"

# The block device.  Only root may set one up.
if [ "$(id -u)" != 0 ]; then
    fail "this test sets up a loop device and must run as root"
fi
loop=$(losetup --find --show -r "$img") || fail "losetup could not attach $img"
trap 'losetup -d "$loop" 2>/dev/null || true; rm -rf "$T"' EXIT
[ -b "$loop" ] || fail "$loop is not a block device"

"$V2KVM" --no-convert -i disk "$loop" -on srv01 --memory 4G --vcpus 2 --print-source \
    --machine-readable >"$T/b.json"
jq -e '.name == "srv01" and .hypervisor == "physical"
       and .memory_bytes == 4294967296 and .vcpus == 2
       and .disks[0].path == "'"$loop"'" and .disks[0].transport == "block"
       and .disks[0].format == "raw" and .disks[0].size_bytes == 16777216
       and .disks[0].device == "disk" and (.nics | length) == 1' \
    "$T/b.json" >/dev/null || fail "block: $(cat "$T/b.json")"
"$V2KVM" --no-convert -i disk "$loop" -on srv01 --print-source >"$T/b.txt"
assert_grep "0: $loop \[raw over block\] disk" "$T/b.txt"
assert_grep "hypervisor: physical" "$T/b.txt"

mkdir "$T/out"
"$V2KVM" --no-convert -q -i disk "$loop" -on srv01 -o local -os "$T/out"
qemu-img compare -q -f raw -F qcow2 "$loop" "$T/out/srv01-sda" ||
    fail "the converted disk differs from the block device"
qemu-img compare -q -f raw -F qcow2 "$img" "$T/out/srv01-sda" ||
    fail "the converted disk differs from the image"
[ "$(sha256sum <"$img")" = "$sum_before" ] || fail "the source changed"
echo "test-disk-block: ok"
