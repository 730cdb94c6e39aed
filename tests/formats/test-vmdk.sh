#!/bin/bash
# VMDK: every subformat qemu-img writes reads, maps and converts as qemu
# reads it; what qemu cannot write (VMware snapshot chains, ESX vmfs and
# vmfsSparse, seSparse, a true streamOptimized stream with its footer, a
# mix of FLAT/ZERO/SPARSE extents) comes from tests/lib/mkvmdk.py with
# the raw bytes it must read as.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq python3 cmp
mk="python3 $(dirname "$0")/../lib/mkvmdk.py"

# ours IMAGE: our raw reading of IMAGE, in $T/ours.raw.
ours() {
    rm -f "$T/ours.raw"
    "$V2KVM_IMG" convert -O raw "$1" "$T/ours.raw" ||
        fail "v2kvm-img could not read $1"
}

# assert_reads IMAGE EXPECTED: our raw reading equals the known bytes.
assert_reads() {
    ours "$1"
    cmp "$2" "$T/ours.raw" || fail "$1: we do not read $(basename "$2")"
}

# --- qemu-img's subformats ----------------------------------------------
# small.raw reads byte for byte like qemu (cmp of whole raws); big.raw,
# 2 GiB + 64 MiB, makes twoGbMaxExtent* split in two extents with data on
# both sides of the 2 GiB boundary and across it: checked by map and by
# qemu-img compare of our conversions (hole-aware, so quick).
small=$T/small.raw big=$T/big.raw
qemu-img create -q -f raw "$small" 24M
qemu-io -f raw -c 'write -P 0xa1 0 64k' -c 'write -P 0xb2 1M 100k' \
    -c 'write -P 0 8M 64k' -c 'write -P 0xe5 23M 1M' "$small" >/dev/null
qemu-img create -q -f raw "$big" 2112M
qemu-io -f raw -c 'write -P 0xa1 0 64k' -c 'write -P 0xc3 2047M 2M' \
    -c 'write -P 0xd4 2100M 512' -c 'write -P 0xe5 2111M 1M' \
    "$big" >/dev/null
for sub in monolithicSparse monolithicFlat twoGbMaxExtentSparse \
           twoGbMaxExtentFlat streamOptimized; do
    mkdir "$T/$sub"
    img=$T/$sub/small.vmdk
    qemu-img convert -f raw -O vmdk -o subformat=$sub "$small" "$img"
    assert_reads_like_qemu "$img" vmdk
    img=$T/$sub/big.vmdk
    qemu-img convert -f raw -O vmdk -o subformat=$sub "$big" "$img"
    "$V2KVM_IMG" info "$img" >"$T/info"
    assert_grep "format: vmdk" "$T/info"
    assert_grep "(2214592512 bytes)" "$T/info"
    case $sub in
    *Flat)
        # qemu maps flat extents as data everywhere ("zero" for holes);
        # we pass the extent files' holes on as ZERO, like raw files.
        [ $sub = twoGbMaxExtentFlat ] &&
            [ -f "$T/$sub/big-f002.vmdk" ] || [ $sub = monolithicFlat ] ||
            fail "$sub: no second extent file"
        "$V2KVM_IMG" map --output=json "$img" | _norm_map >"$T/omap"
        qemu-img map -f raw --output=json "$big" | _norm_map >"$T/qmap"
        diff -u "$T/qmap" "$T/omap" || fail "$sub: map differs" ;;
    *)
        assert_map_like_qemu "$img" vmdk ;;
    esac
    assert_convert_like_qemu "$img" vmdk
    rm -rf "${T:?}/$sub"
done
rm -f "$small" "$big"

# Zeroed grains (version 2, GTE 1) read and map as zero.
qemu-img create -q -f vmdk -o zeroed_grain=on "$T/zg.vmdk" 8M
qemu-io -f vmdk -c 'write -P 0x11 0 1M' -c 'write -z 64k 128k' \
    "$T/zg.vmdk" >/dev/null
assert_reads_like_qemu "$T/zg.vmdk" vmdk
assert_map_like_qemu "$T/zg.vmdk" vmdk
"$V2KVM_IMG" map --output=json "$T/zg.vmdk" |
    jq -e '.[] | select(.start == 65536 and .length == 131072
                        and .type == "zero")' >/dev/null ||
    fail "zeroed grains are not mapped as zero"

# A qemu-made delta (monolithicSparse with parentFileNameHint), and one
# extent of a split sparse disk opened on its own (empty embedded
# descriptor area).
qemu-img create -q -f vmdk "$T/qb.vmdk" 8M
qemu-io -f vmdk -c 'write -P 0x21 0 1M' -c 'write -P 0x22 6M 1M' \
    "$T/qb.vmdk" >/dev/null
qemu-img create -q -f vmdk -b qb.vmdk -F vmdk "$T/qd.vmdk"
qemu-io -f vmdk -c 'write -P 0x23 512k 1M' -c 'write -z 6M 64k' \
    "$T/qd.vmdk" >/dev/null
assert_reads_like_qemu "$T/qd.vmdk" vmdk
assert_map_like_qemu "$T/qd.vmdk" vmdk
qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse "$T/sp.vmdk" 4M
qemu-io -f vmdk -c 'write -P 0x24 1M 1M' "$T/sp.vmdk" >/dev/null
qemu-img convert -O raw "$T/sp.vmdk" "$T/sp.raw"      # (qemu refuses s001)
assert_reads "$T/sp-s001.vmdk" "$T/sp.raw"

# --- VMware snapshot chain: base <- 000001 (split) <- 000002 ------------
$mk all "$T"
c=$T/chain
assert_reads "$c/base.vmdk" "$c/expected-base.raw"
assert_reads "$c/base-000001.vmdk" "$c/expected-000001.raw"
assert_reads "$c/base-000002.vmdk" "$c/expected-000002.raw"
for f in base base-000001 base-000002; do
    assert_reads_like_qemu "$c/$f.vmdk" vmdk
    assert_map_like_qemu "$c/$f.vmdk" vmdk
done
assert_convert_like_qemu "$c/base-000002.vmdk" vmdk
# The contract of format.h: the chain answers as a whole.  Grain 0 is the
# base's (DATA), grain 5 zeroed in 000002 (ZERO although the base has
# it), grain 3 nowhere (UNALLOCATED).
"$V2KVM_IMG" map --output=json "$c/base-000002.vmdk" >"$T/map"
jq -e '.[] | select(.start == 0 and .type == "data")' "$T/map" >/dev/null ||
    fail "chain: grain 0 is not data"
jq -e '.[] | select(.start <= 327680 and .start + .length >= 393216
                    and .type == "zero")' "$T/map" >/dev/null ||
    fail "chain: zeroed grain 5 of the top layer is not zero"
jq -e '.[] | select(.start <= 196608 and .start + .length >= 262144
                    and .type == "unallocated")' "$T/map" >/dev/null ||
    fail "chain: grain 3 is not unallocated"

# --- ESX: vmfs flat base <- vmfsSparse (COWD, 1-sector grains) ----------
assert_reads "$T/esx/esx.vmdk" "$T/esx/expected-esx.raw"
assert_reads "$T/esx/esx-000001.vmdk" "$T/esx/expected-esx-000001.raw"
assert_reads_like_qemu "$T/esx/esx.vmdk" vmdk
assert_reads_like_qemu "$T/esx/esx-000001.vmdk" vmdk
assert_convert_like_qemu "$T/esx/esx-000001.vmdk" vmdk

# --- seSparse delta on the vmfs base ------------------------------------
assert_reads "$T/se/se.vmdk" "$T/se/expected-se.raw"
assert_reads_like_qemu "$T/se/se.vmdk" vmdk
assert_convert_like_qemu "$T/se/se.vmdk" vmdk

# --- streamOptimized as VMware streams it: GD and footer at the end -----
assert_reads "$T/stream/stream.vmdk" "$T/stream/expected-stream.raw"
assert_reads_like_qemu "$T/stream/stream.vmdk" vmdk
assert_map_like_qemu "$T/stream/stream.vmdk" vmdk
# Probed, not named.
"$V2KVM_IMG" info "$T/stream/stream.vmdk" | grep -q "format: vmdk" ||
    fail "stream.vmdk is not probed as vmdk"

# --- FLAT at an offset + ZERO + RDONLY SPARSE in one descriptor ---------
# (qemu skips ZERO and RDONLY extents, so only the known bytes judge.)
assert_reads "$T/mix/mix.vmdk" "$T/mix/expected-mix.raw"
"$V2KVM_IMG" map --output=json "$T/mix/mix.vmdk" |
    jq -r '.[] | "\(.start) \(.length) \(.type)"' >"$T/map"
assert_grep "^2097152 1048576 zero$" "$T/map"
assert_grep "^0 2097152 data$" "$T/map"

echo "test-vmdk: ok"
