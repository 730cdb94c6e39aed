#!/bin/bash
# VHD images: qemu-img's dynamic and fixed images (with and without
# force_size) read, map and convert like qemu-img reads them; generated
# differencing disks (W2ru, W2ku and MacX parent locators, partial sector
# bitmaps, which qemu ignores) read as the generator's known bytes.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq python3
mkvhd="python3 $(dirname "$0")/../lib/mkvhd.py"

# qemu calls the format vpc, we call it vhd; and a fixed VHD has no magic
# at its start, so both sides are told the format.
reads_like_qemu() {
    qemu-img convert -f vpc -O raw "$1" "$T/.ref.raw"
    "$V2KVM_IMG" convert -f vhd -O raw "$1" "$T/.ours.raw" ||
        fail "v2kvm-img could not read $1"
    cmp "$T/.ref.raw" "$T/.ours.raw" ||
        fail "$1: our reading differs from qemu-img's"
    rm -f "$T/.ref.raw" "$T/.ours.raw"
}
map_like_qemu() {
    qemu-img map -f vpc --output=json "$1" | _norm_map >"$T/.qmap"
    "$V2KVM_IMG" map -f vhd --output=json "$1" | _norm_map >"$T/.omap"
    diff -u "$T/.qmap" "$T/.omap" || fail "$1: our map differs from qemu's"
}
convert_like_qemu() {
    local of
    for of in qcow2 raw; do
        rm -f "$T/.out.$of"
        "$V2KVM_IMG" convert -f vhd -O $of "$1" "$T/.out.$of" ||
            fail "v2kvm-img convert -O $of $1 failed"
        [ $of = raw ] || qemu-img check -q "$T/.out.$of" ||
            fail "qemu-img check failed on our qcow2 of $1"
        qemu-img compare -q -f vpc -F $of "$1" "$T/.out.$of" ||
            fail "our $of of $1 differs from the source"
    done
}

for sub in dynamic fixed; do
    for force in off on; do
        img=$T/$sub-$force.vhd
        qemu-img create -q -f vpc -o subformat=$sub,force_size=$force \
            "$img" 32M
        qemu-io -f vpc -c 'write -P 0xa1 0 64k' -c 'write -P 0xb2 1M 3M' \
            -c 'write -P 0 8M 1M' -c 'write -P 0xc3 31M 512k' \
            -c 'write -P 0xd4 20480k 512' "$img" >/dev/null
        reads_like_qemu "$img"
        map_like_qemu "$img"
        convert_like_qemu "$img"
        # The virtual size is qemu-img's: CHS geometry for "qemu", the
        # current size for "qem2" (force_size).
        want=$(qemu-img info -f vpc --output=json "$img" |
               jq '."virtual-size"')
        got=$("$V2KVM_IMG" info -f vhd --output=json "$img" |
              jq '."virtual-size"')
        [ "$want" = "$got" ] || fail "$img: size $got, qemu-img says $want"
    done
done
# Dynamic disks are recognised without -f, as by qemu-img.
assert_reads_like_qemu "$T/dynamic-off.vhd"
assert_map_like_qemu "$T/dynamic-off.vhd"

# Differencing disks over a dynamic parent.
$mkvhd diff "$T/d"
for n in child sub/child2 parent; do
    "$V2KVM_IMG" convert -O raw "$T/d/$n.vhd" "$T/out.raw" ||
        fail "cannot read $n.vhd"
    cmp "$T/out.raw" "$T/d/expected-$(basename $n).raw" ||
        fail "$n.vhd reads wrong"
done
reads_like_qemu "$T/d/parent.vhd"
map_like_qemu "$T/d/parent.vhd"
"$V2KVM_IMG" convert -O qcow2 "$T/d/child.vhd" "$T/child.qcow2"
qemu-img compare -q -f raw -F qcow2 "$T/d/expected-child.raw" \
    "$T/child.qcow2" || fail "child.vhd converts wrong"
# The last block is unallocated in both layers; the rest is data in one.
"$V2KVM_IMG" map --output=json "$T/d/child.vhd" |
    jq -c '[.[] | [.start, .length, .type]]' >"$T/map"
want='[[0,8388608,"data"],[8388608,2097152,"unallocated"]]'
[ "$(cat "$T/map")" = "$want" ] ||
    { cat "$T/map" >&2; fail "child.vhd maps wrong"; }
"$V2KVM_IMG" info "$T/d/child.vhd" >"$T/info"
assert_grep "parent.vhd" "$T/info"

# A dynamic disk's clear bitmap bits read as zero, whatever the bytes.
$mkvhd bits "$T"
"$V2KVM_IMG" convert -O raw "$T/bits.vhd" "$T/bits.raw"
cmp "$T/bits.raw" "$T/expected-bits.raw" || fail "bitmaps read wrong"
echo "test-vhd: ok"
