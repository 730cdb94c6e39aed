#!/bin/bash
# VDI images: qemu-img's dynamic and static images read, map and convert
# like qemu-img reads them; a VirtualBox-like differencing chain (base in
# the VM folder, diffs as Snapshots/{uuid}.vdi, found by UUID, which qemu
# cannot do) reads as the generator's known bytes.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq python3
mkvdi="python3 $(dirname "$0")/../lib/mkvdi.py"

# qemu-img images, dynamic and static, with data, zeros and holes.
for opts in static=off static=on; do
    img=$T/$opts.vdi
    qemu-img create -q -f vdi -o $opts "$img" 32M
    qemu-io -f vdi -c 'write -P 0xa1 0 64k' -c 'write -P 0xb2 1M 3M' \
        -c 'write -P 0 8M 1M' -c 'write -P 0xc3 31M 1M' \
        -c 'write -P 0xd4 20480k 512' "$img" >/dev/null
    assert_reads_like_qemu "$img" vdi
    assert_map_like_qemu "$img" vdi
    assert_convert_like_qemu "$img" vdi
    "$V2KVM_IMG" info "$img" >"$T/info"
    assert_grep "format: vdi" "$T/info"
    assert_grep "(33554432 bytes)" "$T/info"
done

# An odd disk size (VBoxManage convertfromraw makes them) rounds up to a
# sector as in qemu.
qemu-img create -q -f vdi "$T/odd.vdi" 3M
qemu-io -f vdi -c 'write -P 0x5a 1M 64k' "$T/odd.vdi" >/dev/null
$mkvdi poke "$T/odd.vdi" 0x170 '<Q' $(((3 << 20) - 1000))
assert_reads_like_qemu "$T/odd.vdi" vdi

# A differencing chain: base.vdi <- Snapshots/{u1}.vdi <- Snapshots/{u2}.vdi
# with decoys beside them; zero blocks (0xfffffffe) hide the parent's data.
top=$($mkvdi chain "$T/chain")
"$V2KVM_IMG" convert -O raw "$top" "$T/top.raw"
cmp "$T/top.raw" "$T/chain/expected-top.raw" ||
    fail "differencing chain reads wrong"
"$V2KVM_IMG" convert -O qcow2 "$top" "$T/top.qcow2"
qemu-img compare -q -f raw -F qcow2 "$T/chain/expected-top.raw" \
    "$T/top.qcow2" || fail "differencing chain converts wrong"
# The base alone is an ordinary dynamic image: as qemu-img reads it.
assert_reads_like_qemu "$T/chain/vm/base.vdi" vdi
assert_map_like_qemu "$T/chain/vm/base.vdi" vdi
"$V2KVM_IMG" convert -O raw "$T/chain/vm/base.vdi" "$T/base.raw"
cmp "$T/base.raw" "$T/chain/expected-base.raw" || fail "base reads wrong"
# Map of the chain: block 4 is a zero block over the base's data, block 5
# the base's zero block; blocks 0-3, 6, 7 are data somewhere in the chain.
"$V2KVM_IMG" map --output=json "$top" |
    jq -c '[.[] | [.start, .length, .type]]' >"$T/map"
[ "$(cat "$T/map")" = \
  '[[0,4194304,"data"],[4194304,2097152,"zero"],[6291456,2097152,"data"]]' ] ||
    { cat "$T/map" >&2; fail "differencing chain maps wrong"; }
# Opened from elsewhere by a relative path, the search still works.
(cd "$T/chain/vm" && "$V2KVM_IMG" convert -O raw \
    "Snapshots/$(basename "$top")" "$T/top2.raw")
cmp "$T/top2.raw" "$T/chain/expected-top.raw" || fail "relative open"
"$V2KVM_IMG" info "$top" >"$T/info"
assert_grep "base.vdi" "$T/info"

# cbBlockExtra, blocks out of order, an odd size: VirtualBox's layout.
$mkvdi extra "$T"
"$V2KVM_IMG" convert -O raw "$T/extra.vdi" "$T/extra.raw"
cmp "$T/extra.raw" "$T/expected-extra.raw" || fail "block extra reads wrong"
echo "test-vdi: ok"
