#!/bin/bash
# The qcow2 writer: every output (cluster sizes 512/64k/2M, compressed
# with zlib and zstd, preallocated) passes qemu-img check and compares
# identical to its input; compression shrinks compressible data and sets
# the header's compression type; zero data allocates nothing; bad
# arguments and a full disk fail with one line and leave no file behind.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq

# Raw input with patterns, zero runs (explicit zeros and holes), random
# (incompressible) data, and a size that is not a multiple of any
# cluster size above 512.
src=$T/src.raw
qemu-img create -q -f raw "$src" $((100 * 1024 * 1024 + 512))
qemu-io -f raw -c 'write -P 0x11 0 1M' -c 'write -P 0x22 3M 5M' \
    -c 'write -P 0 9M 1M' -c 'write -P 0x33 12345k 7k' \
    -c 'write -P 0x44 100M 512' "$src" >/dev/null
head -c $((3 << 20)) /dev/urandom |
    dd of="$src" bs=1M seek=40 conv=notrunc status=none

# Parse the one-line qemu-img info JSON fields we look at.
ctype() {
    qemu-img info --output=json "$1" |
        jq -r '.["format-specific"].data["compression-type"]'
}

check_out() {
    local out=$1 what=$2
    qemu-img check -q "$out" || fail "$what: qemu-img check failed"
    qemu-img compare -q -f raw -F qcow2 "$src" "$out" ||
        fail "$what: output differs from the input"
}

for cs in 512 64k 2M; do
    plain=$T/plain-$cs.qcow2
    "$V2KVM_IMG" convert -O qcow2 -o cluster_size=$cs "$src" "$plain"
    check_out "$plain" "cluster_size=$cs"
    [ "$(qemu-img info --output=json "$plain" | jq '.["cluster-size"]')" \
        = "$(numfmt --from=iec "${cs^^}")" ] ||
        fail "cluster_size=$cs: wrong cluster size in the header"
    psize=$(stat -c %s "$plain")
    for ct in zlib zstd; do
        out=$T/c-$ct-$cs.qcow2
        "$V2KVM_IMG" convert -c -O qcow2 \
            -o cluster_size=$cs,compression_type=$ct "$src" "$out"
        check_out "$out" "-c $ct cluster_size=$cs"
        [ "$(ctype "$out")" = $ct ] ||
            fail "-c $ct: header says $(ctype "$out")"
        csize=$(stat -c %s "$out")
        [ "$csize" -lt "$psize" ] ||
            fail "-c $ct cluster_size=$cs: $csize bytes, not < $psize"
        rm -f "$out"
    done
    out=$T/pre-$cs.qcow2
    "$V2KVM_IMG" convert -O qcow2 -o cluster_size=$cs -oa preallocated \
        "$src" "$out"
    check_out "$out" "-oa preallocated cluster_size=$cs"
    # Every guest cluster is allocated, and the file's blocks are too.
    qemu-img map --output=json "$out" |
        jq -e 'all(.[]; .data == true)' >/dev/null ||
        fail "-oa preallocated: unallocated clusters"
    [ $(($(stat -c '%b * %B' "$out"))) -ge $((100 << 20)) ] ||
        fail "-oa preallocated: file blocks are not allocated"
    rm -f "$out" "$plain"
done

# Verify (re-read through our own qcow2 reader) and the default -c type.
"$V2KVM_IMG" convert -c --verify -O qcow2 "$src" "$T/v.qcow2"
[ "$(ctype "$T/v.qcow2")" = zlib ] || fail "-c default type is not zlib"
check_out "$T/v.qcow2" "-c --verify"

# Highly compressible data packs dozens of compressed clusters per host
# cluster, so packs cross refcount block ranges (128 KiB of host with
# 512-byte clusters): refcounts stay exact across those boundaries.
qemu-img create -q -f raw "$T/dense.raw" 16M
qemu-io -f raw -c 'write -P 0x5a 0 16M' "$T/dense.raw" >/dev/null
for cs in 512; do
    for ct in zlib zstd; do
        "$V2KVM_IMG" convert -c -O qcow2 \
            -o cluster_size=$cs,compression_type=$ct "$T/dense.raw" \
            "$T/dense.qcow2"
        qemu-img check -q "$T/dense.qcow2" || fail "dense -c $ct $cs: check"
        qemu-img compare -q "$T/dense.raw" "$T/dense.qcow2" ||
            fail "dense -c $ct $cs: differs"
        rm -f "$T/dense.qcow2"
    done
done

# Deflate back-references longer than qemu's 4 KiB window: 8 KiB of
# random bytes repeated through each 64 KiB cluster only compresses when
# the compressor refers 8 KiB back (zlib with qemu's -12 window bits
# would store every cluster whole).  qemu decodes it (compare), and so
# does our own reader (convert back to raw).
head -c 8192 /dev/urandom >"$T/r8k"
for _ in $(seq 512); do cat "$T/r8k"; done >"$T/far.raw"
"$V2KVM_IMG" convert -c -O qcow2 "$T/far.raw" "$T/far.qcow2"
qemu-img check -q "$T/far.qcow2" || fail "far references: check"
qemu-img compare -q -f raw -F qcow2 "$T/far.raw" "$T/far.qcow2" ||
    fail "far references: qemu reads other data"
[ "$(stat -c %s "$T/far.qcow2")" -lt $((1 << 20)) ] ||
    fail "far references: 4 MiB of 8 KiB repeats did not compress"
"$V2KVM_IMG" convert -O raw "$T/far.qcow2" "$T/far.back"
cmp -s "$T/far.raw" "$T/far.back" || fail "far references: our reader"
rm -f "$T/far.raw" "$T/far.qcow2" "$T/far.back"

# Zero data makes no allocated clusters (explicit zeros, not holes).
dd if=/dev/zero of="$T/zero.raw" bs=1M count=8 status=none
"$V2KVM_IMG" convert -O qcow2 "$T/zero.raw" "$T/zero.qcow2"
qemu-img check -q "$T/zero.qcow2"
qemu-img map --output=json "$T/zero.qcow2" |
    jq -e 'all(.[]; .data == false)' >/dev/null ||
    fail "zero input allocated clusters"
"$V2KVM_IMG" convert -c -O qcow2 "$T/zero.raw" "$T/zeroc.qcow2"
qemu-img map --output=json "$T/zeroc.qcow2" |
    jq -e 'all(.[]; .data == false)' >/dev/null ||
    fail "zero input allocated compressed clusters"

# A 1 TiB sparse disk with a few MiB of data: fast, small, exact.
big=$T/big.raw
truncate -s 1T "$big"
qemu-io -f raw -c 'write -P 0x55 0 1M' -c 'write -P 0x66 500G 2M' \
    -c 'write -P 0x77 1023G 1M' "$big" >/dev/null
for opt in "-o cluster_size=64k" "-o cluster_size=2M" "-c"; do
    rm -f "$T/big.qcow2"
    # shellcheck disable=SC2086
    "$V2KVM_IMG" convert -O qcow2 $opt "$big" "$T/big.qcow2"
    qemu-img check -q "$T/big.qcow2" || fail "1 TiB $opt: check failed"
    qemu-img compare -q -f raw -F qcow2 "$big" "$T/big.qcow2" ||
        fail "1 TiB $opt: differs"
    [ "$(stat -c %s "$T/big.qcow2")" -lt $((32 << 20)) ] ||
        fail "1 TiB $opt: output too large"
done
# 512-byte clusters cannot address 1 TiB (L1 over qemu's 32 MiB cap).
expect_fail "$V2KVM_IMG" convert -O qcow2 -o cluster_size=512 "$big" \
    "$T/big512.qcow2"
assert_grep "out of range for qcow2 with 512-byte clusters" "$T/err"
[ ! -e "$T/big512.qcow2" ] && [ ! -e "$T/big512.qcow2.v2k-partial" ] ||
    fail "a failed convert left a file behind"
rm -f "$big" "$T/big.qcow2"

# Bad arguments: one line, exit 2, nothing created.
usage_case() {
    local rc=0
    "$V2KVM_IMG" convert "$@" "$src" "$T/bad.out" 2>"$T/err" || rc=$?
    [ $rc -eq 2 ] || fail "convert $*: exit $rc, expected 2"
    [ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err"; fail "$*: not one line"; }
    [ ! -e "$T/bad.out" ] && [ ! -e "$T/bad.out.v2k-partial" ] ||
        fail "convert $*: left a file behind"
}
usage_case -O qcow2 -o cluster_size=3000
assert_grep "cluster_size=3000: a qcow2 cluster size must be a power of two" \
    "$T/err"
usage_case -O vmdk
assert_grep "vmdk: output format must be qcow2 or raw" "$T/err"
usage_case -O qcow2 -o cluster_size=4M
usage_case -O qcow2 -o compression_type=lz4 -c
usage_case -O qcow2 -o compression_type=zstd
usage_case -O qcow2 -o nosuch=1
usage_case -O raw -c
usage_case -O qcow2 -c -oa preallocated
usage_case -oa thick
usage_case -m 0

# A runtime failure (the output disk fills up): exit 1, one line, and
# neither the output nor its partial file remains.
mnt=$T/full
mkdir "$mnt"
mount -t tmpfs -o size=2m tmpfs "$mnt"
trap 'umount "$mnt" 2>/dev/null; rm -rf "$T"' EXIT
for args in "-O qcow2" "-O raw -oa preallocated" "-O qcow2 -c" "-O raw"; do
    rc=0
    # shellcheck disable=SC2086
    "$V2KVM_IMG" convert $args "$src" "$mnt/out" 2>"$T/err" || rc=$?
    [ $rc -eq 1 ] || fail "convert $args to a full disk: exit $rc"
    assert_grep "No space left on device" "$T/err"
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$args: not one line"
    [ -z "$(ls -A "$mnt")" ] || fail "convert $args left $(ls "$mnt")"
done
echo "test-qcow2-writer: ok"
