#!/bin/bash
# A parent loop between images with long names still says "loop" (issue
# #13 item 12): each level of the chain adds "NAME: cannot open the
# parent named by ... 'NAME': " in front of the cause, and a message cut
# at 1 KiB used to keep only that repeated context.  Now the middle is
# elided and the head and the cause are kept.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img python3

cd "$T"
A=$(printf 'a%.0s' {1..200}).vhdx
B=$(printf 'b%.0s' {1..200}).vhdx
size=$((16 << 20))
qemu-img create -q -f vhdx base.vhdx $size
qemu-img convert -O raw base.vhdx base.raw
mkvhdx=$V2K_SOURCE_DIR/tests/lib/mkvhdx.py
# B's parent locator names A, A's names B.
python3 "$mkvhdx" diff --parent base.vhdx --parent-raw base.raw \
    --size $size --out "$B" --expect b.raw --relative "$A"
python3 "$mkvhdx" diff --parent "$B" --parent-raw b.raw --size $size \
    --out "$A" --expect a.raw --relative "$B"

check_loop() {
    expect_fail timeout 60 "$V2KVM_IMG" "$@"
    [ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err" >&2; fail "not one line"; }
    assert_grep "^v2kvm-img: error: $A: cannot open the parent" "$T/err"
    assert_grep "backing chain deeper than 64 images (a loop?)\$" "$T/err"
    assert_grep " \[...\] " "$T/err"
}
check_loop info "$A"
check_loop convert "$A" out.raw
check_loop check "$A"
[ ! -e out.raw ] || fail "output left"

# The same through v2kvm: the error is prefixed again, the cause stays.
mkdir out
expect_fail timeout 60 "$V2KVM" --no-convert -i disk "$A" -o local -os out
assert_grep "^v2kvm: error: .*(a loop?)\$" "$T/err"

# qcow2 backing loop with long names.
QA=$(printf 'c%.0s' {1..200}).qcow2
QB=$(printf 'd%.0s' {1..200}).qcow2
qemu-img create -q -f qcow2 "$QA" 1M
qemu-img create -q -f qcow2 -u -b "$QA" -F qcow2 "$QB" 1M
qemu-img rebase -q -u -f qcow2 -b "$QB" -F qcow2 "$QA"
expect_fail timeout 60 "$V2KVM_IMG" info "$QA"
assert_grep "(a loop?)\$" "$T/err"
echo OK
