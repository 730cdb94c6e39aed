#!/bin/bash
# test-windows-firstboot.sh - the Windows first-boot runner,
# v2kvm-firstboot-x64.exe (drivers-inject/windows/firstboot), in its "run"
# mode under wine64 with --no-reboot: each run is one "boot", exit code 3
# means "reboot wanted", so a loop of runs simulates the reboots.
#   A: scripts run in name order, once each when they succeed (0, 250);
#      one that always fails (exit 1) is tried exactly 3 times (the default
#      limit) over 3 boots, then moved to scripts-failed while the later
#      scripts ran at the first boot; final exit code 1, sentinel "failed";
#      the log's lines (timestamped, the scripts' output) and a 4th boot
#      that runs nothing.
#   B: a script that always exits 249 with max_reboots=2 (config.ini) and
#      --max-attempts 10: exactly 2 "reboot requested" boots, then "reboot
#      limit reached", the script and the one after it in scripts-failed.
#   C: 249 once then success, 3010 (success, reboot before the next
#      script), then the last one: 3 boots, sentinel "complete", exit 0.
#   D: an attempt cut short on the last try (state.txt says 3 of 3): given
#      up on without running.
#   E: usage errors exit 2.
# Only the x64 build runs: Debian's wine64 runs 64-bit programs, 32-bit
# ones need wine32 (i386 multiarch), which setup.sh does not install; the
# x86 build is only checked to exist as a PE file.  This runs no Windows
# service manager: the "service" mode (SCM, self-disable, reboot) is not
# covered here.
. "$(dirname "$0")/../lib/test-lib.sh"

exe=$V2K_BINARY_DIR/windows/v2kvm-firstboot-x64.exe
exe86=$V2K_BINARY_DIR/windows/v2kvm-firstboot-x86.exe
for f in "$exe" "$exe86"; do
    [ -f "$f" ] || fail "$f is missing (mingw-w64 not installed? run scripts/setup.sh)"
    [ "$(head -c2 "$f")" = MZ ] || fail "$f is not a PE file"
done
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=$(command -v wine64 || true)
[ -n "$wine" ] || fail "wine64 is missing (run scripts/setup.sh)"
server=/usr/lib/wine/wineserver64
[ -x "$server" ] || server=$(command -v wineserver || true)
[ -n "$server" ] || fail "wineserver is missing (run scripts/setup.sh)"

# A private prefix, created once (wineboot; no Mono or Gecko prompts).
export WINEPREFIX=$T/wineprefix WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
trap '"$server" -k >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
"$wine" wineboot --init >"$T/wineboot.log" 2>&1 ||
    { cat "$T/wineboot.log" >&2; fail "wineboot failed"; }

# The Windows path of a directory under $T (Wine's Z: is /).
winpath() { printf 'Z:%s' "${1//\//\\}"; }

# mkscript CASE NAME LINE...: DIR/scripts/NAME, CRLF lines after @echo off.
mkscript() {
    local dir=$T/$1/scripts name=$2
    shift 2
    mkdir -p "$dir"
    printf '%s\r\n' '@echo off' "$@" >"$dir/$name"
}

# boot CASE [ARGS...]: one boot; its exit code in $rc, its stdout in
# $T/CASE.out (appended).
boot() {
    local c=$1
    shift
    rc=0
    "$wine" "$exe" run --dir "$(winpath "$T/$c")" --no-reboot "$@" \
        >>"$T/$c.out" 2>&1 || rc=$?
}

# expect_boots CASE "RC RC ..." [ARGS...]: boots until each listed code.
expect_boots() {
    local c=$1 want n=0
    for want in $2; do
        n=$((n + 1))
        boot "$c" "${@:3}"
        [ "$rc" = "$want" ] ||
            { cat "$T/$c/log.txt" >&2; fail "$c: boot $n exited $rc, not $want"; }
    done
}

# count PATTERN FILE: how many lines match (fixed string).
count() { grep -cF -- "$1" "$2" || true; }

assert_files() {   # assert_files DIR "NAME..." (exactly those files)
    local got
    got=$(cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | paste -sd' ')
    [ "$got" = "$2" ] || fail "$1 holds '$got', not '$2'"
}

# --- A: order, success once, a failing script bounded, later ones run ---
mkscript A 0300-last.cmd 'echo 0300-last>>order.txt' \
    'echo hello from the last script' 'exit /b 0'
mkscript A 0200-fails.bat 'echo 0200-fails>>order.txt' \
    'echo this one always fails 1>&2' 'exit /b 1'
mkscript A 0150-norb.bat 'echo 0150-norb>>order.txt' 'exit /b 250'
mkscript A 0100-first.bat 'echo 0100-first>>order.txt' 'exit /b 0'
expect_boots A "3 3 1"
log=$T/A/log.txt
[ "$(tr -d '\r ' <"$T/A/order.txt" | paste -sd' ')" = \
  "0100-first 0150-norb 0200-fails 0300-last 0200-fails 0200-fails" ] ||
    fail "A: run order: $(tr -d '\r' <"$T/A/order.txt" | paste -sd' ')"
assert_files "$T/A/scripts" ""
assert_files "$T/A/scripts-done" "0100-first.bat 0150-norb.bat 0300-last.cmd"
assert_files "$T/A/scripts-failed" "0200-fails.bat"
for s in 0100-first.bat 0150-norb.bat 0300-last.cmd; do
    [ "$(count "running $s (attempt" "$log")" = 1 ] || fail "A: $s ran more than once"
done
[ "$(count "running 0200-fails.bat (attempt" "$log")" = 3 ] ||
    fail "A: 0200-fails.bat did not run exactly 3 times"
for n in 1 2 3; do
    assert_grep "Z running 0200-fails.bat (attempt $n of 3)" "$log"
done
assert_grep "Z 0200-fails.bat failed (exit code 1): retried at the next boot" "$log"
assert_grep "Z giving up on 0200-fails.bat after 3 attempts, exit code 1"$'\r'"\$" "$log"
assert_grep "Z \[0300-last.cmd\] hello from the last script"$'\r'"\$" "$log"
assert_grep "Z \[0200-fails.bat\] this one always fails" "$log"
assert_grep "Z 0150-norb.bat exited with code 250" "$log"
assert_grep "Z reboot requested (reboot 2 of at most 10)" "$log"
assert_grep 'Z queue empty: 3 succeeded, 1 failed; wrote the sentinel "failed"' "$log"
# Every line timestamped, CRLF; the same lines on stdout.
bad=$(grep -cvE $'^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}Z .*\r$' "$log" || true)
[ "$bad" = 0 ] || { cat -A "$log" >&2; fail "A: $bad log lines without a timestamp or CRLF"; }
cmp -s <(tr -d '\r' <"$log") <(tr -d '\r' <"$T/A.out") ||
    fail "A: stdout and log.txt differ"
[ ! -e "$T/A/complete" ] || fail "A: a 'complete' sentinel despite a failure"
[ "$(tr -d '\r' <"$T/A/failed")" = "v2kvm-firstboot: failed: 3 scripts succeeded, 1 failed
failed: 0200-fails.bat" ] || { cat "$T/A/failed" >&2; fail "A: the sentinel"; }
[ "$(tr -d '\r' <"$T/A/state.txt")" = "reboots=0" ] ||
    fail "A: state.txt not reset: $(cat "$T/A/state.txt")"
# A 4th boot: nothing to run, the same verdict.
lines=$(wc -l <"$log")
expect_boots A "1"
[ "$(tail -n +$((lines + 1)) "$log" | grep -c ' running ' || true)" = 0 ] ||
    fail "A: the 4th boot ran something"

# --- B: 249 forever, the reboot limit --------------------------------
mkscript B 0100-wait.bat 'echo not yet' 'exit /b 249'
mkscript B 0200-never.bat 'echo 0200-never>>order.txt' 'exit /b 0'
printf '[firstboot]\r\n; the reboot bound\r\nmax_reboots = 2\r\n' >"$T/B/config.ini"
expect_boots B "3 3 1" --max-attempts 10
log=$T/B/log.txt
[ "$(count "reboot requested" "$log")" = 2 ] || fail "B: not exactly 2 reboots requested"
[ "$(count "running 0100-wait.bat (attempt" "$log")" = 3 ] ||
    fail "B: 0100-wait.bat did not run 3 times"
assert_grep "Z running 0100-wait.bat (attempt 3 of 10)" "$log"
assert_grep "Z 0100-wait.bat asks to be retried after a reboot" "$log"
assert_grep "Z reboot limit reached (2 reboots): giving up on the remaining scripts" "$log"
assert_grep "Z giving up on 0100-wait.bat: reboot limit reached" "$log"
assert_grep "Z giving up on 0200-never.bat: reboot limit reached" "$log"
[ "$(count " 0200-never.bat" "$log")" = 1 ] || fail "B: 0200-never.bat ran"
assert_files "$T/B/scripts-failed" "0100-wait.bat 0200-never.bat"
assert_grep "v2kvm-firstboot: failed: 0 scripts succeeded, 2 failed" "$T/B/failed"

# --- C: 249 once, 3010, then the rest: complete ----------------------
mkscript C 0100-once.bat 'echo 0100-once>>order.txt' \
    'if exist flag.txt exit /b 0' 'echo x>flag.txt' 'exit /b 249'
mkscript C 0200-reboot.bat 'echo 0200-reboot>>order.txt' 'exit /b 3010'
mkscript C 0300-after.bat 'echo 0300-after>>order.txt' 'exit /b 0'
expect_boots C "3 3 0"
[ "$(tr -d '\r ' <"$T/C/order.txt" | paste -sd' ')" = \
  "0100-once 0100-once 0200-reboot 0300-after" ] ||
    fail "C: run order: $(tr -d '\r' <"$T/C/order.txt" | paste -sd' ')"
assert_grep "Z 0200-reboot.bat succeeded and wants a reboot before the next script" "$T/C/log.txt"
assert_files "$T/C/scripts-done" "0100-once.bat 0200-reboot.bat 0300-after.bat"
assert_files "$T/C/scripts-failed" ""
[ ! -e "$T/C/failed" ] || fail "C: a 'failed' sentinel"
assert_grep "v2kvm-firstboot: complete: 3 scripts succeeded, 0 failed" "$T/C/complete"

# --- D: the last attempt was cut short (a crash counts) --------------
mkscript D 0100-crash.bat 'echo 0100-crash>>order.txt' 'exit /b 0'
printf 'reboots=1\r\nattempts=3 0100-crash.bat\r\n' >"$T/D/state.txt"
expect_boots D "1"
[ ! -e "$T/D/order.txt" ] || fail "D: the script ran a 4th time"
assert_grep "Z giving up on 0100-crash.bat after 3 attempts (the last one did not finish)" "$T/D/log.txt"
assert_grep "Z v2kvm-firstboot starts in .*: reboots so far 1 (limit 10), attempts per script 3" "$T/D/log.txt"

# --- E: usage ----------------------------------------------------------
for args in "run" "run --dir $(winpath "$T/nosuch")" \
            "run --dir $(winpath "$T/A") --max-attempts 0" "nosuch"; do
    rc=0
    # shellcheck disable=SC2086
    "$wine" "$exe" $args >"$T/usage.out" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "'$args' exited $rc, not 2"
done
mkdir -p "$T/E"
printf 'max_attempts=lots\r\n' >"$T/E/config.ini"
expect_boots E "2"
assert_grep "config.ini: bad value for max_attempts" "$T/E/log.txt"
echo "ok"
