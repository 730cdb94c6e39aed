#!/bin/bash
# mkseeds.sh FMT DIR - write a seed corpus for fuzz-FMT into DIR: small
# images made by qemu-img/qemu-io (a few KiB to a few MiB), covering the
# variants of the format (cluster sizes, compression, zero clusters,
# subformats, backing names).  FMT "probe" gets every format's seeds.
# A format without a recipe here is an error, not a silent skip.
set -euo pipefail
fmt=$1 dir=$2
lib=$(cd "$(dirname "$0")/../lib" && pwd)
mkdir -p "$dir"
w=$(mktemp -d "${TMPDIR:-/tmp}/v2k-seeds.XXXXXX")
mkdir "$w/vdi" "$w/vdic" "$w/vhd" "$w/vhdd" "$w/vs" "$w/ve"
trap 'rm -rf "$w"' EXIT

# pattern IMG QFMT: a few writes (data, a zero run, an unaligned tail).
pattern() {
    qemu-io -f "$2" -c 'write -P 0xa5 0 4k' -c 'write -P 0x5a 70k 9k' \
        -c 'write -z 128k 64k' -c 'write -P 0xc3 900k 1k' "$1" >/dev/null
}

# mk NAME QFMT OPTS: create a 1 MiB image, fill it, keep it as a seed.
mk() {
    local name=$1 q=$2 o=$3 f=$w/$1
    qemu-img create -q -f "$q" ${o:+-o "$o"} "$f" 1M
    pattern "$f" "$q"
    cp "$f" "$dir/$name"
}

# conv NAME QFMT OPTS: convert the filled raw image (compressed and
# stream-optimized variants can only be written this way).
conv() {
    qemu-img convert -q -f raw -O "$2" ${3:+-o "$3"} "$w/base.raw" \
        "$dir/$1"
}

qemu-img create -q -f raw "$w/base.raw" 1M
pattern "$w/base.raw" raw

seeds_raw() {
    head -c 4096 "$w/base.raw" >"$dir/raw-4k"
    head -c 65536 "$w/base.raw" >"$dir/raw-64k"
}

seeds_qcow2() {
    mk qcow2-c512 qcow2 cluster_size=512
    mk qcow2-c4k qcow2 cluster_size=4096
    mk qcow2-v2 qcow2 compat=0.10,cluster_size=4096
    mk qcow2-l2ext qcow2 extended_l2=on,cluster_size=16384
    mk qcow2-refbits qcow2 refcount_bits=1,cluster_size=1024
    conv qcow2-zlib qcow2 cluster_size=4096,compression_type=zlib
    qemu-img convert -q -c -f raw -O qcow2 \
        -o cluster_size=4096,compression_type=zlib "$w/base.raw" \
        "$dir/qcow2-deflate"
    qemu-img convert -q -c -f raw -O qcow2 \
        -o cluster_size=4096,compression_type=zstd "$w/base.raw" \
        "$dir/qcow2-zstd"
    # A backing name (the memory transport refuses to follow it).
    qemu-img create -q -f qcow2 -o cluster_size=4096 -b base.raw -F raw \
        "$w/top.qcow2" 1M
    qemu-io -f qcow2 -c 'write -P 0x11 8k 4k' "$w/top.qcow2" >/dev/null
    cp "$w/top.qcow2" "$dir/qcow2-backing"
}

seeds_vmdk() {
    mk vmdk-sparse vmdk subformat=monolithicSparse
    conv vmdk-stream vmdk subformat=streamOptimized
    qemu-img create -q -f vmdk -o subformat=monolithicFlat "$w/flat.vmdk" 1M
    cp "$w/flat.vmdk" "$dir/vmdk-descriptor"
    qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse \
        "$w/split.vmdk" 1M
    cp "$w/split.vmdk" "$dir/vmdk-descriptor-split"
    python3 "$lib/mkvmdk.py" stream "$w/vs" >/dev/null
    cp "$w/vs/stream.vmdk" "$dir/vmdk-stream-footer"
    python3 "$lib/mkvmdk.py" esx "$w/ve" >/dev/null
    cp "$w/ve/esx-000001.vmdk" "$dir/vmdk-descriptor-vmfs"
    cp "$w/ve/esx-000001-delta.vmdk" "$dir/vmdk-cowd"
}

# Empty images too: small inputs keep libFuzzer fast on the headers.
seeds_vdi() {
    qemu-img create -q -f vdi "$dir/vdi-empty" 1M
    mk vdi-dynamic vdi ""
    mk vdi-static vdi static=on
    # From the fixture generator: extra block bytes, blocks out of order,
    # a differencing image (its parent cannot be opened here).
    python3 "$lib/mkvdi.py" extra "$w/vdi" >/dev/null
    cp "$w/vdi/extra.vdi" "$dir/vdi-extra"
    top=$(python3 "$lib/mkvdi.py" chain "$w/vdic")
    cp "$top" "$dir/vdi-diff"
}

seeds_vhd() {
    qemu-img create -q -f vpc "$dir/vhd-empty" 1M
    mk vhd-dynamic vpc subformat=dynamic
    qemu-img create -q -f vpc -o subformat=fixed "$w/fixed.vhd" 512K
    qemu-io -f vpc -c 'write -P 0x77 0 4k' "$w/fixed.vhd" >/dev/null
    cp "$w/fixed.vhd" "$dir/vhd-fixed"
    python3 "$lib/mkvhd.py" bits "$w/vhd" >/dev/null
    cp "$w/vhd/bits.vhd" "$dir/vhd-bits"
    python3 "$lib/mkvhd.py" diff "$w/vhdd" >/dev/null
    cp "$w/vhdd/child.vhd" "$dir/vhd-diff"
}

# VHDX regions are 1 MiB aligned (MS-VHDX 2.2), so the smallest valid
# image is a few MiB: the fuzz runner raises -max_len for it.
seeds_vhdx() {
    qemu-img create -q -f vhdx -o block_size=1048576,log_size=1048576 \
        "$dir/vhdx-empty" 1M
    mk vhdx-dynamic vhdx block_size=1048576,log_size=1048576
    # A log to replay (the fixture generator's dirty image).
    python3 "$lib/mkvhdx.py" dirty --out "$w/dirty.vhdx" \
        --old "$w/old.raw" --expect "$w/new.raw" >/dev/null
    cp "$w/dirty.vhdx" "$dir/vhdx-dirty"
}

case $fmt in
raw|qcow2|vmdk|vdi|vhd|vhdx)
    "seeds_$fmt" ;;
probe)
    for f in raw qcow2 vmdk vdi vhd vhdx; do "seeds_$f"; done ;;
*)
    echo "mkseeds.sh: no seed recipe for format '$fmt': add one" >&2
    exit 1 ;;
esac
