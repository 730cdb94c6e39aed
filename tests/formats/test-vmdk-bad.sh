#!/bin/bash
# Corrupt VMDKs: one case per field.  Each must fail (no crash: run this
# under the ASan build too) with one message naming the file and the
# field.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io python3 od dd
mk="python3 $(dirname "$0")/../lib/mkvmdk.py"

# poke FILE OFFSET BYTES VALUE: store VALUE little-endian in BYTES bytes.
poke() {
    local f=$1 off=$2 n=$3 v=$4 i hex=""
    for ((i = 0; i < n; i++)); do
        hex+=$(printf '\\x%02x' $(((v >> (8 * i)) & 0xff)))
    done
    printf "$hex" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

# u64 FILE OFFSET / u32 FILE OFFSET: read a little-endian number.
u64() { od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }

# bad NAME OFFSET BYTES VALUE: a copy of good.vmdk with one field poked.
bad() {
    cp "$T/good.vmdk" "$T/$1.vmdk"
    poke "$T/$1.vmdk" "$2" "$3" "$4"
}

# fails FILE MESSAGE: converting FILE fails with MESSAGE.
fails() {
    rm -f "$T/out.raw"
    expect_fail "$V2KVM_IMG" convert -O raw "$1" "$T/out.raw"
    assert_grep "$2" "$T/err"
    [ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err"; fail "not one line"; }
}

qemu-img create -q -f vmdk "$T/good.vmdk" 4M
qemu-io -f vmdk -c 'write -P 0x33 0 128k' "$T/good.vmdk" >/dev/null
"$V2KVM_IMG" convert -O raw "$T/good.vmdk" "$T/good.raw"

# --- hosted sparse header fields (spec offsets) --------------------------
head -c 300 "$T/good.vmdk" >"$T/trunc.vmdk"
fails "$T/trunc.vmdk" "trunc.vmdk: truncated sparse header (300 bytes"
bad version 4 4 9
fails "$T/version.vmdk" \
    "version.vmdk: unsupported sparse extent version 9 (header offset 4)"
bad capacity 12 8 0x8000000000000000
fails "$T/capacity.vmdk" \
    "capacity.vmdk: capacity 9223372036854775808 sectors (header offset 12) is larger than"
bad grain100 20 8 100
fails "$T/grain100.vmdk" \
    "grain100.vmdk: grain size 100 sectors (header offset 20) is not a power of two"
bad grain0 20 8 0
fails "$T/grain0.vmdk" "grain0.vmdk: grain size 0 (header offset 20)"
bad hugegrain 20 8 0x1000000
fails "$T/hugegrain.vmdk" \
    "hugegrain.vmdk: grain size 16777216 sectors (header offset 20) is larger than"
bad gtes 44 4 1000
fails "$T/gtes.vmdk" \
    "gtes.vmdk: numGTEsPerGT 1000 (header offset 44) is not between 1 and 512"
bad gdoff 56 8 0x100000
fails "$T/gdoff.vmdk" \
    "gdoff.vmdk: grain directory offset 1048576 (header offset 56) is past the end of the file"
bad overhead 64 8 0x100000
fails "$T/overhead.vmdk" \
    "overhead.vmdk: overHead 1048576 sectors (header offset 64) is past the end"
bad newline 73 1 0x0d
fails "$T/newline.vmdk" \
    "newline.vmdk: newline detection bytes at header offset 73"
bad compress 77 2 7
fails "$T/compress.vmdk" \
    "compress.vmdk: unknown compressAlgorithm 7 (header offset 77)"
bad atend 56 8 0xffffffffffffffff
fails "$T/atend.vmdk" \
    "atend.vmdk: gdOffset is GD_AT_END but there is no valid footer"

# --- grain directory and grain table entries ----------------------------
cp "$T/good.vmdk" "$T/gdentry.vmdk"
gd=$(u64 "$T/good.vmdk" 56)
poke "$T/gdentry.vmdk" $((gd * 512)) 4 0x7fffffff
fails "$T/gdentry.vmdk" \
    "gdentry.vmdk: grain directory entry 0: grain table at sector 2147483647 is past the end of the file"
cp "$T/good.vmdk" "$T/gte.vmdk"
gt=$(u32 "$T/good.vmdk" $((gd * 512)))
poke "$T/gte.vmdk" $((gt * 512 + 4)) 4 0x7fffff00
fails "$T/gte.vmdk" \
    "gte.vmdk: grain table entry 1 of the grain table at offset $((gt * 512)) points past the end of the file"

# --- descriptors --------------------------------------------------------
qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse "$T/split.vmdk" 4M
line=$(grep -n '^RW' "$T/split.vmdk" | cut -d: -f1)
sed 's/ SPARSE / BOGUS /' "$T/split.vmdk" >"$T/badtype.vmdk"
cp "$T/split-s001.vmdk" "$T/badtype-s001.vmdk"
fails "$T/badtype.vmdk" \
    "badtype.vmdk: descriptor line $line: unknown extent type 'BOGUS'"
sed 's/^RW \([0-9]*\)/RW 12x4/' "$T/split.vmdk" >"$T/badsize.vmdk"
fails "$T/badsize.vmdk" \
    "badsize.vmdk: descriptor line $line: extent size '12x4' is not"
sed 's/^RW .*/RW 8192 SPARSE "split-s001.vmdk/' "$T/split.vmdk" >"$T/quote.vmdk"
fails "$T/quote.vmdk" \
    "quote.vmdk: descriptor line $line: SPARSE extent without a quoted file name"
sed '2a this is not a descriptor line' "$T/split.vmdk" >"$T/garbage.vmdk"
fails "$T/garbage.vmdk" \
    "garbage.vmdk: descriptor line 3: cannot parse 'this is not a descriptor line'"
sed 's/^CID=.*/CID=xyz/' "$T/split.vmdk" >"$T/cid.vmdk"
fails "$T/cid.vmdk" \
    "cid.vmdk: descriptor line 3: CID 'xyz' is not a 32-bit hexadecimal number"
sed 's/createType=.*/createType="fancyNewType"/' "$T/split.vmdk" \
    >"$T/ctype.vmdk"
fails "$T/ctype.vmdk" "ctype.vmdk: unsupported createType 'fancyNewType'"
sed 's/s001/s009/' "$T/split.vmdk" >"$T/missing.vmdk"
fails "$T/missing.vmdk" \
    "missing.vmdk: descriptor line $line: extent file 'split-s009.vmdk': .*split-s009.vmdk: No such file or directory"
sed 's/^RW \([0-9]*\) SPARSE/RW 16384 SPARSE/' "$T/split.vmdk" >"$T/big.vmdk"
fails "$T/big.vmdk" \
    "big.vmdk: descriptor line $line: extent of 16384 sectors is larger than the capacity 8192"
{
    printf '# Disk DescriptorFile\nversion=1\ncreateType="monolithicFlat"\n'
    for i in $(seq 20000); do
        printf '# padding padding padding padding padding padding padding\n'
    done
} >"$T/huge.vmdk"
fails "$T/huge.vmdk" \
    "huge.vmdk: descriptor of [0-9]* bytes is larger than the 1048576 byte limit"
# A flat extent file shorter than its extent line says.
qemu-img create -q -f vmdk -o subformat=monolithicFlat "$T/flat.vmdk" 4M
truncate -s 1M "$T/flat-flat.vmdk"
fails "$T/flat.vmdk" \
    "flat.vmdk: descriptor line [0-9]*: extent file .*flat-flat.vmdk is 1048576 bytes, too short for 8192 sectors"

# --- snapshot chains ----------------------------------------------------
mkdir "$T/chain"
$mk chain "$T/chain"
c=$T/chain
sed 's/^parentCID=.*/parentCID=12345678/' "$c/base-000001.vmdk" \
    >"$c/cidbad.vmdk"
fails "$c/cidbad.vmdk" \
    "cidbad.vmdk: parentCID 12345678 does not match CID 1111aaaa of its parent .*base.vmdk"
# parentCID ffffffff: not checked.
sed 's/^parentCID=.*/parentCID=ffffffff/' "$c/base-000001.vmdk" \
    >"$c/nocheck.vmdk"
"$V2KVM_IMG" convert -O raw "$c/nocheck.vmdk" "$T/nocheck.raw"
cmp "$T/nocheck.raw" "$c/expected-000001.raw" || fail "parentCID ffffffff"
sed 's/^parentFileNameHint=.*/parentFileNameHint="self.vmdk"/' \
    "$c/base-000001.vmdk" >"$c/self.vmdk"
fails "$c/self.vmdk" "self.vmdk: backing chain deeper than 64 images (a loop?)"
sed 's/^parentFileNameHint=.*/parentFileNameHint="loopb.vmdk"/' \
    "$c/base-000001.vmdk" >"$c/loopa.vmdk"
sed 's/^parentFileNameHint=.*/parentFileNameHint="loopa.vmdk"/' \
    "$c/base-000001.vmdk" >"$c/loopb.vmdk"
fails "$c/loopa.vmdk" \
    "loop[ab].vmdk: backing chain deeper than 64 images (a loop?)"
sed 's/^parentFileNameHint=.*/parentFileNameHint="gone.vmdk"/' \
    "$c/base-000001.vmdk" >"$c/orphan.vmdk"
fails "$c/orphan.vmdk" \
    "orphan.vmdk: backing file: .*gone.vmdk: No such file or directory"

# --- streamOptimized with a corrupt deflate grain -----------------------
mkdir "$T/stream"
$mk stream "$T/stream" --corrupt
fails "$T/stream/stream.vmdk" \
    "stream.vmdk: compressed grain at offset [0-9]* is corrupt (zlib: "

echo "test-vmdk-bad: ok"
