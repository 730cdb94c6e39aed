#!/bin/bash
# Corrupt VDI headers, block maps and parent chains: each fails with one
# line naming the file and the field (and, under ASan, without a crash).
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io python3
mkvdi="python3 $(dirname "$0")/../lib/mkvdi.py"

# poke FILE OFFSET NBYTES VALUE: a little-endian integer into FILE (in
# bash: python starts slowly, and there are many cases).
poke() {
    local i s=""
    for ((i = 0; i < $3; i++)); do
        s+=$(printf '\\x%02x' $((($4 >> (8 * i)) & 0xff)))
    done
    printf "$s" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none
}

good=$T/good.vdi
qemu-img create -q -f vdi "$good" 4M
qemu-io -f vdi -c 'write -P 0x11 1M 64k' "$good" >/dev/null
"$V2KVM_IMG" info "$good" >/dev/null || fail "the good image does not open"

# bad NAME PATTERN [OFFSET NBYTES VALUE]...: a copy of the good image with
# the fields poked must fail with one line "NAME.vdi: ...PATTERN...".
bad() {
    local name=$1 pattern=$2 img=$T/$1.vdi
    shift 2
    cp "$good" "$img"
    while [ $# -ge 3 ]; do
        poke "$img" "$1" "$2" "$3"
        shift 3
    done
    check "$img" "$pattern"
}
check() {
    expect_fail "$V2KVM_IMG" info -f vdi "$1"
    assert_grep "$(basename "$1"): .*$2" "$T/err"
    [ "$(wc -l <"$T/err")" -eq 1 ] ||
        { cat "$T/err" >&2; fail "$1: not one line"; }
}

head -c 300 "$good" >"$T/short.vdi"
check "$T/short.vdi" "too short for a VDI header"
head -c 512 "$good" >"$T/nobmap.vdi"
check "$T/nobmap.vdi" "block map offset 512 .* past the end of the file"
bad signature "bad VDI signature 0xdeadbeef at offset 0x40" 0x40 4 0xdeadbeef
bad version "unsupported VDI version 1.0 at offset 0x44" 0x44 4 0x00010000
bad hdrsize "header size 16 at offset 0x48" 0x48 4 16
bad hdrbig "header size 4096 at offset 0x48 runs into the block map" \
    0x48 4 4096
bad type "unknown image type 7 at offset 0x4c" 0x4c 4 7
bad undo "image type 3 (undo)" 0x4c 4 3
bad sector "sector size 4096 at offset 0x168" 0x168 4 4096
bad bs0 "block size 0 at offset 0x178 is not a power of two" 0x178 4 0
bad bs3000 "block size 3000 at offset 0x178 is not a power of two" \
    0x178 4 3000
bad bshuge "block size 2147483648 at offset 0x178" 0x178 4 0x80000000
bad extra "block extra size 100 at offset 0x17c" 0x17c 4 100
bad blocks "disk size 4194304 at offset 0x170 exceeds blocks in image (2)" \
    0x180 4 2
bad manyblocks "blocks in image 1073741824 at offset 0x180 exceeds" \
    0x180 4 0x40000000
bad disk2p63 "disk size 9223372036854775808 at offset 0x170" \
    0x170 8 0x8000000000000000
bad bmapoff \
    "block map offset 2147418112 at offset 0x154 (4 entries) is past the end" \
    0x154 4 0x7fff0000
bad bmapalign "block map offset 1025 at offset 0x154 is not sector aligned" \
    0x154 4 1025
bad dataoff "data offset 2147418112 at offset 0x158 is past the end" \
    0x158 4 0x7fff0000
bad dataalign "data offset 1000 at offset 0x158 is not sector aligned" \
    0x158 4 1000
bad entry "block map entry 1 (data block 1000 at file offset" 0x204 4 1000

# Differencing images: no parent anywhere, no parent UUID, its own UUID as
# parent, and two images that are each other's parent.
$mkvdi orphan "$T"
check "$T/orphan.vdi" "parent image {12345678-9abc-def0-1234-56789abcdef0} \
(uuidLinkage) not found"
cp "$T/orphan.vdi" "$T/nolink.vdi"
poke "$T/nolink.vdi" 0x1a8 8 0
poke "$T/nolink.vdi" 0x1b0 8 0
check "$T/nolink.vdi" "without a parent UUID (uuidLinkage at offset 0x1a8"
cp "$T/orphan.vdi" "$T/self.vdi"
for off in 0x188 0x1a8; do
    poke "$T/self.vdi" $off 8 42
    poke "$T/self.vdi" $((off + 8)) 8 43
done
check "$T/self.vdi" \
    "parent UUID (uuidLinkage at offset 0x1a8) is the image's own"
mkdir "$T/loop"
$mkvdi loop "$T/loop"
check "$T/loop/a.vdi" "a loop"
echo "test-vdi-bad: ok"
