#!/bin/bash
# test-windows-firstboot-scripts.sh - the first-boot .bat scripts v2kvm
# generates (drivers-inject/windows/firstboot-scripts.c), their golden
# copies in tests/data/windows/firstboot/win2k22, run for real by Wine's
# cmd.exe through the runner (v2kvm-firstboot-x64.exe run --no-reboot,
# one run per "boot", as in test-windows-firstboot.sh).
#
# The programs the scripts call are stubs (tests/lib/win-stub.c, built
# here by mingw-w64) installed where the scripts look for them:
# %SystemRoot%\System32\pnputil.exe (Wine 8 has none), msiexec.exe
# (over Wine's own), %SystemRoot%\Drivers\VirtIO\blnsvr.exe beside three
# .inf files, the VirtualBox Guest Additions' uninst.exe and the Xen PV
# drivers' _uninst.exe.  Each stub logs its command line to
# C:\v2k-stub\log.txt and exits with the code codes.txt gives it (see
# win-stub.c: per-call rules, "fails N times then succeeds").
#   A: the whole win2k22 queue, one boot: pnputil -i -a once per .inf
#      (259 for one is fine), msiexec /i of the guest agent MSI, blnsvr
#      -i, msiexec /x of VMware Tools (1605 "not installed" is success),
#      uninst.exe /S, _uninst.exe, msiexec /x of Parallels Tools; all in
#      scripts-done, sentinel "complete".
#   B: pnputil 3010 on one .inf (the others still installed) and msiexec
#      1641 for the guest agent: both scripts exit 3010, each followed by
#      a reboot, then the balloon service: 3 boots, "complete".
#   C: pnputil fails (5) on one .inf twice, then succeeds: the script
#      installs the others, exits 1, is retried at the next boots and
#      succeeds at its 3rd attempt; the VirtualBox script after it ran at
#      the first boot.
#   D: pnputil always fails on one .inf: given up on after 3 attempts,
#      scripts-failed, sentinel "failed"; the Xen script's _uninst.exe
#      exiting 1605 is success.
#   E: a pending reboot (CBS RebootPending, reg add in the prefix): the
#      pnputil script exits 249 without calling pnputil; after reg
#      delete, the next boot installs the drivers.
#   F: the uninstallers: VirtualBox's fails once (retried, then done),
#      Parallels' msiexec 1641 makes its script exit 3010 (a reboot).
# Not covered: the .ps1 scripts (2500-network, 5000-online-disks): Wine
# has no PowerShell.  Real pnputil/msiexec behaviour is not either: the
# stubs only return the codes the scripts must handle.
. "$(dirname "$0")/../lib/test-lib.sh"

need x86_64-w64-mingw32-gcc
exe=$V2K_BINARY_DIR/windows/v2kvm-firstboot-x64.exe
[ -f "$exe" ] || fail "$exe is missing (mingw-w64 not installed? run scripts/setup.sh)"
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=$(command -v wine64 || true)
[ -n "$wine" ] || fail "wine64 is missing (run scripts/setup.sh)"
server=/usr/lib/wine/wineserver64
[ -x "$server" ] || server=$(command -v wineserver || true)
[ -n "$server" ] || fail "wineserver is missing (run scripts/setup.sh)"
src=$(cd "$(dirname "$0")/.." && pwd)
golden=$src/data/windows/firstboot/win2k22

x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror -o "$T/stub.exe" \
    "$src/lib/win-stub.c" || fail "cannot build the stub"

# One private prefix for every case (wineboot is the slow part).
# msiexec.exe=n: the prefix's system32\msiexec.exe is only a placeholder
# for Wine's builtin msiexec, and Wine loads the builtin for it even once
# the file is replaced by a real PE (checked: the stub is not run, the
# script sees Wine's msiexec's exit code); the override makes it load the
# file, the stub.  pnputil.exe=n likewise in case a Wine has a builtin
# one (9.x and later; 8.0 has none).
export WINEPREFIX=$T/wineprefix WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=;msiexec.exe,pnputil.exe=n"
trap '"$server" -k >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
"$wine" wineboot --init >"$T/wineboot.log" 2>&1 ||
    { cat "$T/wineboot.log" >&2; fail "wineboot failed"; }

C=$WINEPREFIX/drive_c
sd=$C/v2k-stub                          # the stubs' files (C:\v2k-stub)
mkdir -p "$sd" "$C/windows/Drivers/VirtIO" \
    "$C/Program Files/Oracle/VirtualBox Guest Additions" \
    "$C/Program Files/Red Hat/Xen PV Drivers"
for f in "windows/system32/pnputil.exe" "windows/system32/msiexec.exe" \
         "windows/Drivers/VirtIO/blnsvr.exe" \
         "Program Files/Oracle/VirtualBox Guest Additions/uninst.exe" \
         "Program Files/Red Hat/Xen PV Drivers/_uninst.exe"; do
    cp "$T/stub.exe" "$C/$f"
done
for i in balloon netkvm viostor; do
    printf '; %s (phony)\r\n' "$i" >"$C/windows/Drivers/VirtIO/$i.inf"
done

# The Windows path of a directory under $T (Wine's Z: is /).
winpath() { printf 'Z:%s' "${1//\//\\}"; }

# setup CASE SCRIPT... -- RULE...: a fresh firstboot directory with those
# golden scripts queued; the stubs' log and counters emptied, codes.txt
# the rules.
setup() {
    local c=$1 s
    shift
    mkdir -p "$T/$c/scripts"
    while [ "$1" != -- ]; do
        for s in "$golden/$1"*.bat; do
            [ -f "$s" ] || fail "no golden $1*.bat"
            cp "$s" "$T/$c/scripts/"
        done
        shift
    done
    shift
    rm -f "$sd"/*
    printf '%s\n' "$@" >"$sd/codes.txt"
}

# boot CASE: one boot; its exit code in $rc, stdout appended to CASE.out.
boot() {
    rc=0
    "$wine" "$exe" run --dir "$(winpath "$T/$1")" --no-reboot \
        >>"$T/$1.out" 2>&1 || rc=$?
}

# expect_boots CASE "RC RC ...": boots until each listed code.
expect_boots() {
    local c=$1 want n=0
    for want in $2; do
        n=$((n + 1))
        boot "$c"
        [ "$rc" = "$want" ] ||
            { cat "$T/$c/log.txt" >&2; fail "$c: boot $n exited $rc, not $want"; }
    done
}

# The stubs' calls, "NAME ARGS" a line (no CR): all, or the non-pnputil
# ones in order, or the pnputil ones sorted (the .inf order is the
# directory's).
calls() { tr -d '\r' <"$sd/log.txt"; }
others() { calls | grep -v '^pnputil ' || true; }
pnp() { calls | grep '^pnputil ' | sort || true; }
count() { grep -cF -- "$1" "$2" || true; }

assert_files() {   # assert_files DIR "NAME..." (exactly those files)
    local got
    got=$(cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | paste -sd' ')
    [ "$got" = "$2" ] || fail "$1 holds '$got', not '$2'"
}

vio='C:\windows\Drivers\VirtIO'
pnp3="pnputil -i -a \"$vio\\balloon.inf\"
pnputil -i -a \"$vio\\netkvm.inf\"
pnputil -i -a \"$vio\\viostor.inf\""
fbw='C:\Program Files\v2kvm\Firstboot'
qga="msiexec /i \"$fbw\\Temp\\qemu-ga-x86_64.msi\" /qn /norestart /l*v \"$fbw\\qemu-ga-install.log\""
vmw='msiexec /x {C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F} /qn /norestart REBOOT=ReallySuppress'
prl='msiexec /x {A1B2C3D4-0000-4000-8000-00000000FA11} /qn /norestart REBOOT=ReallySuppress PREVENT_REBOOT=Yes'
all_bat=$(cd "$golden" && printf '%s\n' *.bat | paste -sd' ')
[ "$all_bat" = "2000-pnputil-drivers.bat 3000-install-qemu-ga.bat 3100-install-blnsvr.bat 4001-uninstall-vmware-tools.bat 4002-uninstall-vbox-additions.bat 4003-uninstall-xen-pv.bat 4004-uninstall-parallels-tools.bat" ] ||
    fail "the golden .bat scripts changed: $all_bat (update this test)"

# --- A: the whole queue, one boot ---------------------------------------
setup A 2000 3000 3100 4001 4002 4003 4004 -- \
    'pnputil netkvm.inf 259' 'msiexec {C6C1A3F1 1605'
expect_boots A "0"
log=$T/A/log.txt
[ "$(pnp)" = "$pnp3" ] || fail "A: pnputil calls: $(pnp)"
[ "$(others)" = "$qga
blnsvr -i
$vmw
uninst /S
_uninst 
$prl" ] || fail "A: calls: $(others)"
assert_files "$T/A/scripts" ""
assert_files "$T/A/scripts-done" "$all_bat"
assert_files "$T/A/scripts-failed" ""
assert_grep "Z \[2000-pnputil-drivers.bat\] pnputil -i -a netkvm.inf" "$log"
assert_grep "Z 2000-pnputil-drivers.bat exited with code 0" "$log"
assert_grep "Z \[4001-uninstall-vmware-tools.bat\] already removed" "$log"
assert_grep "Z 4001-uninstall-vmware-tools.bat exited with code 0" "$log"
assert_grep "Z \[4003-uninstall-xen-pv.bat\] \"C:.Program Files.Red Hat.Xen PV Drivers._uninst.exe\"" "$log"
[ "$(count "not recognized" "$log")$(count "Can't recognize" "$log")" = 00 ] ||
    fail "A: cmd.exe did not find a command"
[ "$(count " running " "$log")" = 7 ] || fail "A: not 7 scripts run"
assert_grep "v2kvm-firstboot: complete: 7 scripts succeeded, 0 failed" "$T/A/complete"
[ ! -e "$T/A/failed" ] || fail "A: a 'failed' sentinel"

# --- B: 3010 from pnputil, 1641 from msiexec: a reboot after each --------
setup B 2000 3000 3100 -- 'pnputil netkvm.inf 3010' 'msiexec qemu-ga 1641'
expect_boots B "3 3 0"
log=$T/B/log.txt
[ "$(pnp)" = "$pnp3" ] || fail "B: pnputil calls: $(pnp)"
[ "$(others)" = "$qga
blnsvr -i" ] || fail "B: calls: $(others)"
assert_grep "Z 2000-pnputil-drivers.bat exited with code 3010" "$log"
assert_grep "Z 2000-pnputil-drivers.bat succeeded and wants a reboot before the next script" "$log"
assert_grep "Z 3000-install-qemu-ga.bat exited with code 3010" "$log"
assert_grep "Z 3000-install-qemu-ga.bat succeeded and wants a reboot before the next script" "$log"
[ "$(count "reboot requested" "$log")" = 2 ] || fail "B: not 2 reboots"
assert_files "$T/B/scripts-done" "2000-pnputil-drivers.bat 3000-install-qemu-ga.bat 3100-install-blnsvr.bat"
assert_files "$T/B/scripts-failed" ""
assert_grep "v2kvm-firstboot: complete: 3 scripts succeeded, 0 failed" "$T/B/complete"

# --- C: one .inf fails twice, then installs ------------------------------
setup C 2000 4002 -- 'pnputil viostor.inf 5 2'
expect_boots C "3 3 0"
log=$T/C/log.txt
[ "$(pnp | uniq -c | awk '{print $1}' | paste -sd' ')" = "3 3 3" ] ||
    fail "C: pnputil calls: $(pnp)"
[ "$(others)" = "uninst /S" ] || fail "C: calls: $(others)"
# The first boot: all three .inf tried, the script failed, the next ran.
[ "$(calls | head -4 | sort)" = "$pnp3
uninst /S" ] || fail "C: first boot's calls: $(calls | head -4)"
[ "$(count "[2000-pnputil-drivers.bat] pnputil failed on viostor.inf: exit code 5" "$log")" = 2 ] ||
    fail "C: not 2 pnputil failures logged"
[ "$(count "2000-pnputil-drivers.bat failed (exit code 1): retried at the next boot" "$log")" = 2 ] ||
    fail "C: not 2 failed attempts"
assert_grep "Z running 2000-pnputil-drivers.bat (attempt 3 of 3)" "$log"
assert_files "$T/C/scripts-done" "2000-pnputil-drivers.bat 4002-uninstall-vbox-additions.bat"
assert_files "$T/C/scripts-failed" ""
assert_grep "v2kvm-firstboot: complete: 2 scripts succeeded, 0 failed" "$T/C/complete"

# --- D: one .inf always fails: given up on --------------------------------
setup D 2000 4003 -- 'pnputil viostor.inf 5' '_uninst * 1605'
expect_boots D "3 3 1"
log=$T/D/log.txt
[ "$(calls | grep -c '^pnputil ')" = 9 ] || fail "D: not 9 pnputil calls"
[ "$(others)" = "_uninst " ] || fail "D: calls: $(others)"
assert_grep "Z \[4003-uninstall-xen-pv.bat\] already removed" "$log"
assert_grep "Z giving up on 2000-pnputil-drivers.bat after 3 attempts, exit code 1" "$log"
assert_files "$T/D/scripts-done" "4003-uninstall-xen-pv.bat"
assert_files "$T/D/scripts-failed" "2000-pnputil-drivers.bat"
[ ! -e "$T/D/complete" ] || fail "D: a 'complete' sentinel"
[ "$(tr -d '\r' <"$T/D/failed")" = "v2kvm-firstboot: failed: 1 scripts succeeded, 1 failed
failed: 2000-pnputil-drivers.bat" ] || { cat "$T/D/failed" >&2; fail "D: the sentinel"; }

# --- E: a pending reboot --------------------------------------------------
cbs='HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending'
setup E 2000 -- 'pnputil * 0'
"$wine" reg add "$cbs" /f >"$T/reg.out" 2>&1 || { cat "$T/reg.out" >&2; fail "reg add"; }
expect_boots E "3"
[ ! -s "$sd/log.txt" ] || fail "E: pnputil called despite a pending reboot: $(calls)"
assert_grep "Z \[2000-pnputil-drivers.bat\] a reboot is pending" "$T/E/log.txt"
assert_grep "Z 2000-pnputil-drivers.bat asks to be retried after a reboot" "$T/E/log.txt"
"$wine" reg delete "$cbs" /f >"$T/reg.out" 2>&1 || { cat "$T/reg.out" >&2; fail "reg delete"; }
expect_boots E "0"
[ "$(pnp)" = "$pnp3" ] || fail "E: pnputil calls: $(pnp)"
assert_files "$T/E/scripts-done" "2000-pnputil-drivers.bat"
assert_grep "v2kvm-firstboot: complete: 1 scripts succeeded, 0 failed" "$T/E/complete"

# --- F: the uninstallers' codes ------------------------------------------
setup F 4001 4002 4003 4004 -- 'uninst * 2 1' 'msiexec {A1B2C3D4 1641'
expect_boots F "3 0"
log=$T/F/log.txt
[ "$(others)" = "$vmw
uninst /S
_uninst 
$prl
uninst /S" ] || fail "F: calls: $(others)"
assert_grep "Z \[4002-uninstall-vbox-additions.bat\] the uninstaller failed: exit code 2" "$log"
assert_grep "Z 4002-uninstall-vbox-additions.bat failed (exit code 2): retried at the next boot" "$log"
assert_grep "Z 4004-uninstall-parallels-tools.bat exited with code 3010" "$log"
assert_grep "Z running 4002-uninstall-vbox-additions.bat (attempt 2 of 3)" "$log"
assert_files "$T/F/scripts-done" "4001-uninstall-vmware-tools.bat 4002-uninstall-vbox-additions.bat 4003-uninstall-xen-pv.bat 4004-uninstall-parallels-tools.bat"
assert_grep "v2kvm-firstboot: complete: 4 scripts succeeded, 0 failed" "$T/F/complete"
echo "ok"
