#!/bin/bash
# v2kvm-img check walks an image's allocation (L1/L2 tables, BAT, grain
# directory and tables), not its address space (issue #13 item 7): it
# used to ask for the extents of every 2 MiB chunk, some 5.5 s per TiB
# of virtual size on an empty image, over a minute for 2 PiB.  No timing
# assertion beyond "done within timeout 20" (the old code needs minutes).
# Corruption far out in such an image is still found.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io timeout od dd jq

cd "$T"
qemu-img create -q -f qcow2 q.qcow2 2P
qemu-img create -q -f vhdx x.vhdx 64T
qemu-img create -q -f vdi d.vdi 4T
qemu-img create -q -f vmdk k.vmdk 16T
qemu-img create -q -f vmdk -o subformat=streamOptimized s.vmdk 16T
qemu-img create -q -f vpc h.vhd 2000G

for f in q.qcow2 x.vhdx d.vdi k.vmdk s.vmdk h.vhd; do
    timeout 20 "$V2KVM_IMG" check --output=json "$f" >out ||
        fail "check of the empty $f did not finish clean within 20 s"
    jq -e '."check-errors" == 0 and ."data-bytes" == 0' out >/dev/null ||
        fail "$f: $(cat out)"
done
# compare of two such images is as quick (the same engine).
timeout 20 "$V2KVM_IMG" compare q.qcow2 q.qcow2 >/dev/null ||
    fail "compare of empty 2 PiB images"

# Data at 1 PiB and at the very end is found and read.
qemu-io -f qcow2 -c 'write -P 0x5a 1P 64k' -c 'write -P 0x5b 2047T 4k' \
    q.qcow2 >/dev/null
timeout 20 "$V2KVM_IMG" check --output=json q.qcow2 >out ||
    fail "check of q.qcow2 with data: $(cat out)"
jq -e '."data-bytes" == 131072' out >/dev/null || fail "data: $(cat out)"

# qcow2: L1 entries, L2 entries and clusters (qcow2.txt: L1 at header
# offset 40, 64 KiB clusters, 8192 entries per L2 table).
l1=$(od -An -tu8 --endian=big -j40 -N8 q.qcow2 | tr -d ' ')
be64() {    # be64 FILE OFFSET VALUE
    printf "$(printf '%016x' "$3" | sed 's/../\\x&/g')" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# The L2 entry of the cluster at 1 PiB points past the end of the file.
cp q.qcow2 bad1.qcow2
idx=$(((1 << 50) >> 29))
l2=$(($(od -An -tu8 --endian=big -j$((l1 + idx * 8)) -N8 bad1.qcow2 |
        tr -d ' ') & 0x00fffffffffffe00))
be64 bad1.qcow2 "$l2" $(((1 << 63) | (1 << 40)))
expect_fail timeout 20 "$V2KVM_IMG" check bad1.qcow2
assert_grep "bad1.qcow2" "$T/err"
[ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err" >&2; fail "not one line"; }
# The last L1 entry points to an L2 table past the end of the file.
cp q.qcow2 bad2.qcow2
last=$(((2 << 50) / (1 << 29) - 1))
be64 bad2.qcow2 $((l1 + last * 8)) $(((1 << 63) | (1 << 44)))
expect_fail timeout 20 "$V2KVM_IMG" check bad2.qcow2
assert_grep "bad2.qcow2" "$T/err"
# qemu-img agrees that both are damaged.
! qemu-img check -q bad1.qcow2 >/dev/null 2>&1 || fail "qemu-img: bad1 ok?"
! qemu-img check -q bad2.qcow2 >/dev/null 2>&1 || fail "qemu-img: bad2 ok?"
echo OK
