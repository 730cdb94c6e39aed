#!/bin/bash
# Damaged VHDX files: one case per field.  Each must fail with one
# message naming the file and the field (and not crash under ASan); the
# cases that are not errors by the spec are pinned too.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io python3
MK="$(dirname "$0")/../lib/mkvhdx.py"
M=$((1 << 20))

base=$T/base.vhdx
qemu-img create -q -f vhdx -o block_size=1M "$base" 8M
qemu-io -f vhdx -c 'write -P 0x11 0 1M' -c 'write -P 0x22 3M 1M' \
    "$base" >/dev/null
qemu-img convert -O raw "$base" "$T/base.raw"

# bad CASE PATTERN: corrupt a copy of base with mkvhdx.py, expect PATTERN.
bad() {
    local img=$T/$1.vhdx
    cp "$base" "$img"
    python3 "$MK" corrupt "$img" "$1"
    expect_fail "$V2KVM_IMG" info "$img"
    assert_grep "$1.vhdx: $2" "$T/err"
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$1: more than one error line"
}

bad header-checksums "no valid header (header 1 at offset 65536: checksum mismatch; header 2 at offset 131072: checksum mismatch)"
bad region-checksums "no valid region table (region table 1 at offset 196608: checksum mismatch"
bad region-no-bat "region table has no BAT region"
bad region-unknown-required "region table entry 0 has unknown required region {01234567-89AB-CDEF-0123-456789ABCDEF}"
bad block-size-npot "metadata File Parameters block size 3145728 is not a power of two from 1 MiB to 256 MiB"
bad block-size-small "metadata File Parameters block size 524288 is not a power of two"
bad block-size-big "metadata File Parameters block size 536870912 is not a power of two"
bad vsize-huge "metadata Virtual Disk Size 9223372036854775808 is not between 1 and 64 TiB"
bad lss-bad "metadata Logical Sector Size 1000 is not 512 or 4096"
bad md-offset "metadata item Virtual Disk Size offset 1048576 length 8 is outside the metadata region"
bad md-length "metadata item Page 83 Data offset [0-9]* length 2097152 is outside the metadata region"
bad bat-past-eof "BAT entry 0 (payload block 0): FileOffsetMB 1048576 puts the block outside the file"
bad bat-state "BAT entry 0 (payload block 0): state 4 is reserved"
bad bat-partial "BAT entry 0 (payload block 0): state PARTIALLY_PRESENT in a file without a parent"

# Truncated: inside the header section, and cutting off a payload block.
head -c 100000 "$base" >"$T/short.vhdx"
expect_fail "$V2KVM_IMG" info "$T/short.vhdx"
assert_grep "short.vhdx: file is 100000 bytes, smaller than the 1 MiB VHDX header section" "$T/err"
size=$(stat -c %s "$base")
head -c $((size - M)) "$base" >"$T/cut.vhdx"
expect_fail "$V2KVM_IMG" info "$T/cut.vhdx"
assert_grep "cut.vhdx: BAT entry 3 (payload block 3): FileOffsetMB [0-9]* puts the block outside the file ($((size - M)) bytes)" "$T/err"
# Not vhdx at all, but forced.
head -c $((2 * M)) /dev/zero >"$T/zeros.img"
expect_fail "$V2KVM_IMG" info -f vhdx "$T/zeros.img"
assert_grep "zeros.img: file type identifier at offset 0 is not 'vhdxfile'" "$T/err"

# Pinned: only the first region table damaged -> the second copy is used.
cp "$base" "$T/rt1.vhdx"
python3 "$MK" corrupt "$T/rt1.vhdx" region1-checksum
"$V2KVM_IMG" convert -O raw "$T/rt1.vhdx" "$T/rt1.raw"
cmp "$T/base.raw" "$T/rt1.raw" || fail "rt1.vhdx: second region table not used"

# Differencing: parent_linkage that is not the parent's DataWriteGuid, a
# missing parent, a parent that is the file itself.
qemu-img create -q -f vhdx -o block_size=1M "$T/parent.vhdx" 16M
qemu-img convert -O raw "$T/parent.vhdx" "$T/parent.raw"
python3 "$MK" diff --parent "$T/parent.vhdx" --parent-raw "$T/parent.raw" \
    --size $((16 * M)) --relative 'parent.vhdx' \
    --linkage '{00000000-1111-2222-3333-444444444444}' \
    --out "$T/linkage.vhdx" --expect "$T/linkage.raw"
expect_fail "$V2KVM_IMG" info "$T/linkage.vhdx"
assert_grep "linkage.vhdx: parent_linkage {00000000-1111-2222-3333-444444444444} does not match DataWriteGuid {[0-9A-F-]*} of parent .*parent.vhdx" "$T/err"
python3 "$MK" diff --parent "$T/parent.vhdx" --parent-raw "$T/parent.raw" \
    --size $((16 * M)) --relative 'gone\parent.vhdx' \
    --out "$T/orphan.vhdx" --expect "$T/orphan.raw"
expect_fail "$V2KVM_IMG" info "$T/orphan.vhdx"
assert_grep "orphan.vhdx: cannot open the parent named by relative_path 'gone/parent.vhdx': .*No such file or directory" "$T/err"
python3 "$MK" diff --parent "$T/parent.vhdx" --parent-raw "$T/parent.raw" \
    --size $((16 * M)) --relative 'self.vhdx' \
    --out "$T/self.vhdx" --expect "$T/self.raw"
expect_fail "$V2KVM_IMG" info "$T/self.vhdx"
assert_grep "self.vhdx: cannot open the parent named by relative_path 'self.vhdx'" "$T/err"

# Log.  Pinned: an entry whose checksum fails is not part of any
# sequence (MS-VHDX 2.3.3; a torn write whose updates never reached the
# file), so the older entry 10 alone is replayed, as qemu does.
python3 "$MK" dirty --corrupt-newest --out "$T/torn.vhdx" \
    --old "$T/old.raw" --expect "$T/after10.raw"
"$V2KVM_IMG" convert -O raw "$T/torn.vhdx" "$T/torn.raw"
cmp "$T/after10.raw" "$T/torn.raw" || fail "torn.vhdx: entry 11 replayed?"
# A log entry whose FlushedFileOffset lies past the end of the file: the
# file lost data the log relies on.
python3 "$MK" dirty --out "$T/lost.vhdx" --old "$T/old.raw" \
    --expect "$T/new.raw"
truncate -s $((6 * M)) "$T/lost.vhdx"
expect_fail "$V2KVM_IMG" info "$T/lost.vhdx"
assert_grep "lost.vhdx: log entry 10: FlushedFileOffset [0-9]* is past the end of the file ($((6 * M)) bytes, truncated?)" "$T/err"

echo "test-vhdx-bad: ok"
