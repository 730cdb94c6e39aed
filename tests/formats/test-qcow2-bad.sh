#!/bin/bash
# Corrupted qcow2 images: one case per header field and table pointer.
# Each must fail (no crash: the script also runs under ASan) with one
# message naming the file and the field.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io od dd

cd "$T"

# Field widths as in python's struct: B 1, H 2, I 4, Q 8 bytes.  Plain
# bash + dd: this machine is busy and each python start costs seconds.
width() {
    case $1 in B) echo 1 ;; H) echo 2 ;; I) echo 4 ;; Q) echo 8 ;; esac
}

# poke FILE OFFSET B|H|I|Q VALUE: write a big-endian field.
poke() {
    local n s="" i
    n=$(width "$3")
    for ((i = n - 1; i >= 0; i--)); do
        s+=$(printf '\\x%02x' $((($4 >> (8 * i)) & 255)))
    done
    printf "$s" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none
}

# peek FILE OFFSET B|H|I|Q: read a big-endian field (below 2^63).
peek() {
    local v=0 b
    for b in $(od -An -tu1 -v -j $(($2)) -N "$(width "$3")" "$1"); do
        v=$(((v << 8) | b))
    done
    echo $v
}

# fill FILE OFFSET COUNT: overwrite COUNT bytes with 0xff.
fill() {
    head -c "$3" /dev/zero | tr '\0' '\377' |
        dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none
}

# expect_fail, and the failure is our message, not a sanitizer's report
# (under ASan a leak on an error path still exits non-zero).
expect_fail() {
    if "$@" 2>"$T/err"; then
        fail "expected failure: $*"
    fi
    if grep -qE 'Sanitizer|runtime error' "$T/err"; then
        cat "$T/err" >&2
        fail "sanitizer report from: $*"
    fi
}

qemu-img create -q -f qcow2 good.qcow2 16M
qemu-io -f qcow2 -c 'write -P 0xa1 0 1M' good.qcow2 >/dev/null
"$V2KVM_IMG" info good.qcow2 >/dev/null || fail "good.qcow2 does not open"
l1=$(peek good.qcow2 40 Q)
l2=$(($(peek good.qcow2 "$l1" Q) & 0x00fffffffffffe00))

# bad NAME PATTERN OFFSET FORMAT VALUE [OFFSET FORMAT VALUE...]: a copy
# of good.qcow2 with fields changed must fail to open with PATTERN in the
# message.
bad() {
    local name=$1 pattern=$2
    shift 2
    cp good.qcow2 "$name.qcow2"
    while [ $# -gt 0 ]; do
        poke "$name.qcow2" "$1" "$2" "$3"
        shift 3
    done
    expect_fail "$V2KVM_IMG" info -f qcow2 "$name.qcow2"
    assert_grep "$name.qcow2: $pattern" "$T/err"
}

# Header fields.
head -c 60 good.qcow2 >trunc.qcow2
expect_fail "$V2KVM_IMG" info trunc.qcow2
assert_grep "trunc.qcow2: header is truncated" "$T/err"
head -c 100 good.qcow2 >trunc3.qcow2
expect_fail "$V2KVM_IMG" info trunc3.qcow2
assert_grep "trunc3.qcow2: header is truncated (file is 100 bytes, a v" \
    "$T/err"
head -c 108 good.qcow2 >trunc4.qcow2
expect_fail "$V2KVM_IMG" info trunc4.qcow2
assert_grep "trunc4.qcow2: header is truncated (header_length 112" "$T/err"
bad magic "bad magic" 0 I 0x514649fc
bad version "unsupported qcow2 version 4" 4 I 4
bad cbits8 "cluster_bits 8 is out of range" 20 I 8
bad cbits22 "cluster_bits 22 is out of range" 20 I 22
bad size63 "size 9223372036854775808 exceeds the maximum" 24 Q $((1 << 63))
bad crypt "encrypted image (crypt_method 1, AES)" 32 I 1
bad l1small "l1_size 0 is too small for the virtual size" 36 I 0
bad l1big "l1_size 4294967295 exceeds qemu's limit" 36 I 0xffffffff
bad l1eof "L1 table offset 1099511627776 (8 bytes) is past the end" \
    40 Q $((1 << 40))
bad l1unaligned "L1 table offset $((l1 + 512)) is not cluster aligned" \
    40 Q $((l1 + 512))
bad l1zero "L1 table offset 0 overlaps the header" 40 Q 0
bad rtunaligned "refcount table offset 66048 is not cluster aligned" \
    48 Q 66048
bad rteof "refcount table offset 1099511627776 (8 bytes) is past the end" \
    48 Q $((1 << 40))
bad rtclusters "refcount_table_clusters 0 is out of range" 56 I 0
bad rtclusters2 "refcount_table_clusters 4294967295 is out of range" \
    56 I 0xffffffff
bad snapcount "nb_snapshots 1000000 exceeds qemu's limit" 60 I 1000000
bad snapeof "snapshot table offset 1099511627776 (40 bytes) is past the end" \
    60 I 1 64 Q $((1 << 40))
bad incompat "unknown incompatible feature bit 5 in incompatible_features" \
    72 Q 0x20
bad refcount_order "refcount_order 7 is larger than 6" 96 I 7
bad hdrlen "header_length 100 is smaller than 104" 100 I 100
bad hdrlen2 "header_length 131072 exceeds the cluster size" 100 I 131072
bad ctype "compression_type 1 without the compression type" 104 B 1
bad ctype2 "compression type bit set but compression_type is 0" 72 Q 8
bad datafile "external data file bit is set but the image has no" 72 Q 4
bad bfoffset "backing_file_offset 70000 is outside the header cluster" \
    8 Q 70000
bad bfsize "backing_file_size 2000 is too large" 8 Q 512 16 I 2000
bad bfnul "backing file name at offset 512 contains a NUL byte" \
    8 Q 512 16 I 900

# Extended L2 entries need clusters of 16 KiB or more.
qemu-img create -q -f qcow2 -o cluster_size=4k small.qcow2 16M
poke small.qcow2 72 Q 16
expect_fail "$V2KVM_IMG" info small.qcow2
assert_grep "small.qcow2: cluster_bits 12 is too small for extended L2" \
    "$T/err"

# A header extension longer than the header cluster.
bad ext "header extension 0x12345678 at offset 112: length 2147483647" \
    112 I 0x12345678 116 I 0x7fffffff

# Table pointers: L2 table past the end of the file / unaligned, a data
# cluster past the end of the file.
bad l2eof "L1 entry 0: L2 table offset 1099511627776 is past the end" \
    "$l1" Q $(((1 << 63) | (1 << 40)))
bad l2unaligned "L1 entry 0: L2 table offset $((l2 + 512)) is not cluster" \
    "$l1" Q $(((1 << 63) | (l2 + 512)))
bad dataeof "L2 entry for guest offset 0: data cluster offset 1099511627776" \
    "$l2" Q $(((1 << 63) | (1 << 40)))
# The zero flag does not exist in version 2 (qemu calls it corruption).
bad v2zero "L2 entry for guest offset 0: zero flag in a version 2 image" \
    4 I 2 "$l2" Q 1

# Backing chains: a cycle, and a name pointing nowhere.
qemu-img create -q -f qcow2 b.qcow2 16M
qemu-img create -q -f qcow2 -b a.qcow2 -F qcow2 -u b.qcow2 16M
qemu-img create -q -f qcow2 -b b.qcow2 -F qcow2 -u a.qcow2 16M
expect_fail "$V2KVM_IMG" info a.qcow2
assert_grep "qcow2: backing chain deeper than 64 images (a loop?)" "$T/err"
qemu-img create -q -f qcow2 -b missing.raw -F raw -u orphan.qcow2 16M
expect_fail "$V2KVM_IMG" info orphan.qcow2
assert_grep "orphan.qcow2: backing file: .*missing.raw: No such file" \
    "$T/err"
# A backing format we do not know (qemu-img refuses to write one: change
# "raw" in the backing format extension, the first extension qemu
# writes, into "xyz").
truncate -s 16M base.raw
qemu-img create -q -f qcow2 -b base.raw -F raw unkfmt.qcow2 16M
off=$(grep -obUa raw unkfmt.qcow2 | head -n 1 | cut -d: -f1)
[ "$(peek unkfmt.qcow2 $((off - 8)) I)" = $((0xe2792aca)) ] ||
    fail "unkfmt.qcow2: no backing format extension at $((off - 8))"
printf xyz | dd of=unkfmt.qcow2 bs=1 seek="$off" conv=notrunc status=none
expect_fail "$V2KVM_IMG" info unkfmt.qcow2
assert_grep "unkfmt.qcow2: backing format 'xyz' (header extension) is not" \
    "$T/err"

# A missing external data file.
qemu-img create -q -f qcow2 -o data_file=gone.bin nodata.qcow2 16M
rm gone.bin
expect_fail "$V2KVM_IMG" info nodata.qcow2
assert_grep "nodata.qcow2: external data file: .*gone.bin: No such file" \
    "$T/err"

# Corrupt compressed clusters (zlib and zstd): the header opens, reading
# fails naming the guest offset.  The clusters hold 0xff bytes: an
# invalid deflate block type and an invalid zstd magic.
qemu-img create -q -f raw src.raw 1M
qemu-io -f raw -c 'write -P 0x5a 0 1M' src.raw >/dev/null
for c in zlib zstd; do
    qemu-img convert -c -O qcow2 -o compression_type=$c src.raw cc-$c.qcow2
    cl1=$(peek cc-$c.qcow2 40 Q)
    cl2=$(($(peek cc-$c.qcow2 "$cl1" Q) & 0x00fffffffffffe00))
    e=$(peek cc-$c.qcow2 $((cl2 + 8)) Q)    # guest cluster 1
    [ $((e >> 62 & 1)) = 1 ] || fail "cc-$c.qcow2: cluster 1 not compressed"
    coff=$((e & ((1 << 54) - 1)))           # 62 - (16 - 8) offset bits
    fill cc-$c.qcow2 "$coff" 64
    "$V2KVM_IMG" info cc-$c.qcow2 >/dev/null
    expect_fail "$V2KVM_IMG" convert -O raw cc-$c.qcow2 cc-$c.raw
    assert_grep \
        "cc-$c.qcow2: compressed cluster at guest offset 65536 .*corrupt $c" \
        "$T/err"
    [ ! -e cc-$c.raw ] || fail "a partial cc-$c.raw was left behind"
done
# A compressed cluster pointing past the end of the file.
cp cc-zlib.qcow2 ccoff.qcow2
cl1=$(peek ccoff.qcow2 40 Q)
cl2=$(($(peek ccoff.qcow2 "$cl1" Q) & 0x00fffffffffffe00))
poke ccoff.qcow2 $((cl2 + 8)) Q $(((1 << 62) | (1 << 40)))
expect_fail "$V2KVM_IMG" map ccoff.qcow2
assert_grep "ccoff.qcow2: L2 entry for guest offset 65536: compressed cluster \
offset 1099511627776 is past the end" "$T/err"

echo "test-qcow2-bad: ok"
