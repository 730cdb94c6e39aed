#!/bin/bash
# Corrupt VHD footers, dynamic headers, BATs and parent chains: each fails
# with one line naming the file and the field (and, under ASan, without a
# crash).
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io python3
mkvhd="python3 $(dirname "$0")/../lib/mkvhd.py"

qemu-img create -q -f vpc -o subformat=dynamic "$T/dyn.vhd" 4M
qemu-img create -q -f vpc -o subformat=fixed "$T/fix.vhd" 4M
qemu-io -f vpc -c 'write -P 0x11 1M 64k' "$T/dyn.vhd" >/dev/null
"$V2KVM_IMG" info -f vhd "$T/dyn.vhd" >/dev/null || fail "dyn.vhd"
"$V2KVM_IMG" info -f vhd "$T/fix.vhd" >/dev/null || fail "fix.vhd"
# Offsets are within the footer (copies at 0 and at the end), the dynamic
# header (at 512 in dyn.vhd) or the file; the checksums are kept right.
# 4M by CHS is a little more than 4 MiB: three 2 MiB blocks.
$mkvhd pokes "$T/dyn.vhd" "$T" \
    cookie:footer:0:'>Q':0x4141414141414141 \
    version:footer:12:'>I':0x00020000 \
    type:footer:60:'>I':7 \
    csum:footer:64:'>I':0x12345678:nofix \
    hdroff:footer:16:'>Q':0x7fffffff00 \
    size2p63:footer:28:'>I':0x71656d32 \
    size2p63:footer:48:'>Q':0x8000000000000000 \
    dyncookie:dyn:0:'>Q':0x4141414141414141 \
    dynversion:dyn:24:'>I':0x00020000 \
    bs0:dyn:32:'>I':0 \
    bs3000:dyn:32:'>I':3000 \
    bshuge:dyn:32:'>I':0x80000000 \
    entries:dyn:28:'>I':1 \
    batoff:dyn:16:'>Q':0x7fff0000 \
    batentry:raw:1536:'>I':0x00ffffff
$mkvhd pokes "$T/fix.vhd" "$T" \
    fcookie:footer:0:'>Q':0x4141414141414141 \
    fcsum:footer:64:'>I':0x12345678:nofix \
    fsize2p63:footer:28:'>I':0x71656d32 \
    fsize2p63:footer:48:'>Q':0x8000000000000000
$mkvhd orphan "$T"
$mkvhd pokes "$T/orphan.vhd" "$T" \
    self:footer:68:'>Q':1 self:footer:76:'>Q':2 \
    self:dyn:40:'>Q':1 self:dyn:48:'>Q':2 \
    locator:dyn:592:'>Q':0x7fff0000
$mkvhd wrongparent "$T"
mkdir "$T/loop"
$mkvhd loop "$T/loop"

check() {
    expect_fail "$V2KVM_IMG" info -f vhd "$1"
    assert_grep "$(basename "$1"): .*$2" "$T/err"
    [ "$(wc -l <"$T/err")" -eq 1 ] ||
        { cat "$T/err" >&2; fail "$1: not one line"; }
}

head -c 300 "$T/dyn.vhd" >"$T/short.vhd"
check "$T/short.vhd" "file is 300 bytes, too short for a VHD footer"
check "$T/cookie.vhd" 'no VHD footer ("conectix") at offset .* or 0'
check "$T/version.vhd" "unsupported file format version 0x00020000 at offset"
check "$T/type.vhd" "unknown disk type 7 at offset"
check "$T/csum.vhd" "footer checksum 0x12345678 at offset .* does not match"
check "$T/hdroff.vhd" \
    "dynamic header offset 549755813632 (footer data offset) is past the end"
check "$T/size2p63.vhd" "virtual size 9223372036854775808 (current size or \
geometry in the footer) exceeds the 2040 GiB"
check "$T/dyncookie.vhd" 'no dynamic disk header ("cxsparse") at offset 512'
check "$T/dynversion.vhd" "unsupported dynamic header version 0x00020000"
check "$T/bs0.vhd" "block size 0 at offset 544 is not a power of two"
check "$T/bs3000.vhd" "block size 3000 at offset 544 is not a power of two"
check "$T/bshuge.vhd" "block size 2147483648 at offset 544"
check "$T/entries.vhd" "max table entries 1 at offset 540 cannot map"
check "$T/batoff.vhd" \
    "BAT offset 2147418112 at offset 528 (3 entries) is past the end"
check "$T/batentry.vhd" "BAT entry 0 (sector 16777215) points past the end"
check "$T/fcookie.vhd" 'no VHD footer ("conectix")'
check "$T/fcsum.vhd" \
    "footer checksum 0x12345678 at offset [0-9]* does not match"
check "$T/fsize2p63.vhd" \
    "virtual size 9223372036854775808 .* is past the end of the data"
check "$T/orphan.vhd" "parent disk with unique id .* not found"
check "$T/self.vhd" "parent unique id .* is the disk's own (a loop)"
check "$T/locator.vhd" "parent locator 0 (offset 2147418112"
check "$T/wp-child.vhd" "parent wp-parent.vhd has unique id .*, but the \
differencing disk expects 12345678-9abc-def0-1234-56789abcdef0"
check "$T/loop/a.vhd" "a loop"
echo "test-vhd-bad: ok"
