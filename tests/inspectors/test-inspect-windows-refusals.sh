#!/bin/bash
# test-inspect-windows-refusals.sh - the Windows guests v2kvm refuses,
# each with one line saying why and what to do, exit 1, nothing left in
# the output directory or $TMPDIR, the source unchanged:
#   - hibernated / Fast Startup NTFS (hiberfil.sys says HIBR);
#   - a BitLocker volume without --key (beside C:, and alone on a disk
#     without an OS), and with a --key cryptsetup cannot open it with (a
#     real BitLocker volume cannot be made here: only the refusal of a
#     key is tested, not an unlock);
#   - dynamic disks (LDM): MBR type 0x42 beside C:, GPT LDM data on a
#     UEFI guest, and an LDM partition on a disk without an OS;
#   - a damaged SYSTEM hive (libguestfs's inspect_os then fails): the
#     hive is named.
# The unclean-NTFS message ("run chkdsk /f") is not tested: neither
# ntfs-3g nor anything on Debian makes an NTFS that ntfs-3g finds
# unclean.
# Launches: 1 build + 1 per refusal (8).
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish hivexregedit python3 x86_64-w64-mingw32-gcc \
    i686-w64-mingw32-gcc sfdisk sha256sum jq

export TMPDIR=$T/tmp
mkdir "$TMPDIR" "$T/out"

bash "$V2K_SOURCE_DIR/tests/lib/mkphony-windows.sh" \
    win2k22 "$T/hib.img" hibernated \
    + win2k19 "$T/bitlocker.img" bitlocker \
    + win2k16 "$T/dynamic.img" dynamic \
    + win10 "$T/dynamic-gpt.img" uefi dynamic \
    + win2k22 "$T/bad-hive.img" bad-hive ||
    fail "mkphony-windows.sh failed"

# Disks without an OS, built here (no appliance): an LDM partition (MBR
# type 0x42), and a partition that blkid calls BitLocker (the same
# headers as mkphony-windows.sh's TRACE bitlocker).
truncate -s 64M "$T/noos-ldm.img" "$T/noos-bitlocker.img"
echo 'start=2048, type=42' | sfdisk -q "$T/noos-ldm.img" ||
    fail "sfdisk failed"
echo 'start=2048, type=7' | sfdisk -q "$T/noos-bitlocker.img" ||
    fail "sfdisk failed"
python3 - "$T/noos-bitlocker.img" <<'PY' || fail "python3 failed"
import struct, sys
b = bytearray(128 * 1024)
b[0:11] = b"\xeb\x58\x90-FVE-FS-"
b[11:13] = struct.pack("<H", 512)
b[176:184] = struct.pack("<Q", 0x10000)
b[510:512] = b"\x55\xaa"
b[0x10000:0x10008] = b"-FVE-FS-"
b[0x10008:0x1000c] = struct.pack("<HH", 64, 2)
with open(sys.argv[1], "r+b") as f:
    f.seek(2048 * 512)
    f.write(b)
PY

# refuse NAME PATTERN [OPTION...]: a conversion of $T/NAME.img to -o
# local fails with one line matching PATTERN; nothing is left behind and
# the source is unchanged.
refuse() {
    local n=$1 pat=$2 sum left
    shift 2
    sum=$(sha256sum <"$T/$n.img")
    expect_fail "$V2KVM" -i disk "$T/$n.img" -on "$n" -o local \
        -os "$T/out" "$@"
    [ "$(grep -c . "$T/err")" = 1 ] ||
        { cat "$T/err" >&2; fail "$n: not one line"; }
    assert_grep "^v2kvm: error: $pat" "$T/err"
    [ -z "$(ls -A "$T/out")" ] ||
        fail "$n: output left behind: $(ls -A "$T/out")"
    left=$(find "$TMPDIR" -maxdepth 1 -name 'v2kvm.*')
    [ -z "$left" ] || fail "$n: temporary files left: $left"
    [ "$(sha256sum <"$T/$n.img")" = "$sum" ] || fail "$n: the source changed"
    echo "$n: $(cat "$T/err")"
}

refuse hib 'the Windows filesystem /dev/sda1 (C:) is hibernated or was shut down with Fast Startup: ntfs-3g will not write to it; boot the source, turn off hibernation and Fast Startup (powercfg /h off), shut it down fully, and convert again$'

refuse bitlocker 'the Windows guest on /dev/sda1: /dev/sda2 is encrypted with BitLocker and no key was given (--key /dev/sda2:RECOVERY-PASSWORD); v2kvm cannot convert a Windows guest whose volumes it cannot read$'
refuse bitlocker 'cannot unlock the BitLocker volume /dev/sda2 with the key given for it (a recovery password or the password, --key /dev/sda2:KEY): .*BITLK' \
    --key /dev/sda2:111111-222222-333333-444444-555555-666666-777777-888888
refuse noos-bitlocker 'no operating system was found on the source disks; /dev/sda1 is encrypted with BitLocker and no key was given (--key /dev/sda1:RECOVERY-PASSWORD); v2kvm cannot convert a Windows guest whose volumes it cannot read$'

refuse dynamic 'the Windows guest on /dev/sda1 uses Windows dynamic disks (LDM: /dev/sda2), which v2kvm cannot convert; convert them to basic disks in Windows first$'
refuse dynamic-gpt 'the Windows guest on /dev/sda2 uses Windows dynamic disks (LDM: /dev/sda3), which v2kvm cannot convert; convert them to basic disks in Windows first$'
refuse noos-ldm 'no operating system was found on the source disks; /dev/sda1 is on Windows dynamic disks (LDM), which v2kvm cannot convert; convert them to basic disks in Windows first$'

refuse bad-hive 'cannot inspect the source disks: /dev/sda1 holds a Windows directory (/Windows), but \\Windows\\System32\\config\\SYSTEM could not be read (damaged registry hive?): .*hivex'
echo "inspect-windows-refusals: every refusal as expected"
