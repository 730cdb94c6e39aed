#!/bin/bash
# raw images: reads, map and conversions agree with qemu-img; bad raw
# files fail with a message naming the file.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq

img=$T/disk.raw
qemu-img create -q -f raw "$img" 64M
qemu-io -f raw -c 'write -P 0xa1 0 64k' -c 'write -P 0xb2 1M 3M' \
    -c 'write -P 0 8M 1M' -c 'write -P 0xc3 63M 1M' "$img" >/dev/null
assert_reads_like_qemu "$img" raw
assert_map_like_qemu "$img" raw
assert_convert_like_qemu "$img" raw

# A fully allocated file with zero blocks converts sparse.
dd if=/dev/zero of="$T/full.raw" bs=1M count=32 status=none
printf 'x' | dd of="$T/full.raw" bs=1 seek=$((20 << 20)) conv=notrunc status=none
"$V2KVM_IMG" convert -O qcow2 "$T/full.raw" "$T/full.qcow2"
qemu-img compare -q -F qcow2 "$T/full.raw" "$T/full.qcow2"
size=$(stat -c %s "$T/full.qcow2")
[ "$size" -lt $((2 << 20)) ] || fail "zero blocks were written ($size bytes)"

# Bad input.
: >"$T/empty.raw"
expect_fail "$V2KVM_IMG" info "$T/empty.raw"
assert_grep "empty.raw: empty file" "$T/err"
head -c 1000 /dev/urandom >"$T/odd.raw"
expect_fail "$V2KVM_IMG" info -f raw "$T/odd.raw"
assert_grep "odd.raw: size 1000 is not a multiple of 512" "$T/err"
expect_fail "$V2KVM_IMG" info "$T/missing.raw"
assert_grep "missing.raw: No such file or directory" "$T/err"
# A container we do not read is refused, not copied as raw; forcing raw
# still works.
qemu-img create -q -f qed "$T/x.qed" 8M
expect_fail "$V2KVM_IMG" info "$T/x.qed"
assert_grep "x.qed: this is a QED image, which v2kvm cannot read" "$T/err"
"$V2KVM_IMG" info -f raw "$T/x.qed" >/dev/null
echo "test-raw: ok"
