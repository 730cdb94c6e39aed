#!/bin/bash
# test-inspect-bad.sh - inspection's one-line errors and --root/--key:
# a disk with no OS; two OSes with --root single (an error listing both),
# first, /dev/sdb1, and ask (without a terminal: an error; on a pty: the
# prompt, refused answers, the choice, end of input); an encrypted (LUKS) root without a key (an error
# naming the device), then with --key.
# Launches: 1 build + 4 inspections (passes share a launch).
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish jq busybox mke2fs script
INSPECT=$V2K_BINARY_DIR/tests/v2kvm-inspect
[ -x "$INSPECT" ] || fail "$INSPECT missing"

bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" \
    debian12 "$T/luks.img" luks=phony-key-1 \
    + debian12 "$T/deb.img" + sles15 "$T/sles.img" ||
    fail "mkphony.sh failed"
# A filesystem with files but no operating system (no appliance needed).
mkdir -p "$T/data/docs"
echo hello >"$T/data/docs/readme.txt"
truncate -s 16M "$T/noos.img"
mke2fs -q -t ext4 -d "$T/data" -F "$T/noos.img"

# 1. No OS: one line, exit 1.
expect_fail "$INSPECT" "$T/noos.img" >"$T/out"
assert_grep '^v2kvm-inspect: error: no operating system was found on the source disks$' "$T/err"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one error line"

# 2. Two roots: single fails naming both; first; a device.
#    --root ask without a terminal: an error listing both.
expect_fail "$INSPECT" --root single "$T/deb.img" "$T/sles.img" \
    --next --root first --next --root /dev/sdb1 --next --root ask \
    </dev/null >"$T/out"
assert_grep '2 operating systems found (/dev/sda1: debian 12.8, /dev/sdb1: sles 15.5); choose one with --root' "$T/err"
[ "$(wc -l <"$T/out")" -eq 4 ] || fail "expected 4 passes"
sed -n 4p "$T/out" | jq -e '.error == "--root ask: standard input is not a terminal; 2 operating systems found (/dev/sda1: debian 12.8, /dev/sdb1: sles 15.5); choose one with --root /dev/..."' \
    >/dev/null || fail "--root ask without a tty: $(sed -n 4p "$T/out")"
sed -n 1p "$T/out" | jq -e '.error | test("operating systems found")' \
    >/dev/null || fail "pass 1 should fail"
sed -n 2p "$T/out" | jq -e '.root == "/dev/sda1" and .distro == "debian"' \
    >/dev/null || fail "--root first: $(sed -n 2p "$T/out")"
sed -n 3p "$T/out" | jq -e '.root == "/dev/sdb1" and .distro == "sles" and
    [.mountpoints[] | {mountpoint,device,fstype}] == [{"mountpoint":"/","device":"/dev/sdb1","fstype":"ext4"}]' \
    >/dev/null || fail "--root /dev/sdb1: $(sed -n 3p "$T/out")"

# 2b. --root ask on a terminal (script(1) gives it a pty): the list, two
#    answers refused (out of range, not a number), then 2; the next pass
#    meets the end of input and fails saying nothing was chosen.
printf '9\nsles\n2\n' | script -qec "'$INSPECT' --root ask '$T/deb.img' \
    '$T/sles.img' --next --root ask >'$T/ask.json' 2>'$T/ask.err'" \
    /dev/null >"$T/ask.tty" || true
tr -d '\r' <"$T/ask.tty" >"$T/ask.txt"
assert_grep '^2 operating systems were found:$' "$T/ask.txt"
assert_grep '^  \[1\] /dev/sda1: debian 12.8$' "$T/ask.txt"
assert_grep '^  \[2\] /dev/sdb1: sles 15.5 (SUSE Linux Enterprise Server 15 SP5)$' "$T/ask.txt"
[ "$(grep -c 'Please answer a number from 1 to 2.' "$T/ask.txt")" = 2 ] ||
    { cat "$T/ask.txt"; fail "--root ask: two refused answers expected"; }
sed -n 1p "$T/ask.json" | jq -e '.root == "/dev/sdb1" and .distro == "sles"' \
    >/dev/null || fail "--root ask, answer 2: $(sed -n 1p "$T/ask.json")"
sed -n 2p "$T/ask.json" | jq -e '.error == "--root ask: no operating system was chosen"' \
    >/dev/null || fail "--root ask at end of input: $(sed -n 2p "$T/ask.json")"

# 3. LUKS root: no key -> the device is named; a wrong key -> the device
#    is named; the right key -> inspected (root on the unlocked mapping).
expect_fail "$INSPECT" "$T/luks.img" \
    --next --key /dev/sda:wrong-key \
    --next --key /dev/sda:phony-key-1 >"$T/out"
sed -n 1p "$T/out" | jq -e '.error == "no operating system was found on the source disks; /dev/sda is encrypted (LUKS) and no key was given (--key DEVICE:KEY)"' \
    >/dev/null || fail "no key: $(sed -n 1p "$T/out")"
sed -n 2p "$T/out" | jq -e '.error | startswith("cannot unlock the encrypted (LUKS) filesystem /dev/sda with the key given for it")' \
    >/dev/null || fail "wrong key: $(sed -n 2p "$T/out")"
sed -n 3p "$T/out" | jq -e '.distro == "debian" and .luks_unlocked == 1 and
    .root == "/dev/mapper/luks-sda" and .mountpoints[0].mountpoint == "/"' \
    >/dev/null || fail "with key: $(sed -n 3p "$T/out")"
echo "inspect-bad: all errors and choices as expected"
