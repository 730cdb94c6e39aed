#!/bin/bash
# bench-p2v.sh [SIZE_MIB] - the P2V transfer on loopback, measured against
# plain ssh in the same run.  Not a test: the numbers depend on the
# machine.
#
# A throwaway sshd on 127.0.0.1 (tests/remote/sshd-lib.sh) is the
# conversion host; v2kvm-p2v runs here with a captured /sys tree
# (tests/data/p2v/two-sata) whose disk sda is an image file.
#
#   1. streaming: a disk of SIZE_MIB (default 1024) random MiB sent with
#      v2kvm --no-convert on the host (-of raw into /dev/shm) vs
#      `ssh host 'cat >/dev/null' <disk` of the same bytes; best of
#      REPEAT (default 3).  Ratio: ssh's time / the copy phase's time
#      (>= 0.8 is the target: the tunnel, NBD and v2kvm's copy cost
#      little over the ssh stream itself), and the whole run's.
#   2. re-establishing: the same transfer with the tunnel killed once at
#      a third of the copy: the time until the client says the link is
#      back, and how much longer the run took than the uncut one.
#   3. only used blocks travel: a real conversion of the test suite's
#      Debian 12 guest (tests/lib/mkguest-debian.sh, base: 2 GiB raw),
#      bytes read from the disk (nbdkit's log filter) vs bytes its
#      filesystem uses (statvfs in libguestfs) plus the partition table;
#      target <= 1.2.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
size_mib=${1:-1024}
repeat=${REPEAT:-3}
build=${BUILD:-$top/build}
V2KVM=${V2KVM:-$build/converters/v2kvm}
P2V=${V2KVM_P2V:-$build/p2v/v2kvm-p2v}
for f in "$V2KVM" "$P2V"; do
    [ -x "$f" ] || { echo "build first: $f missing" >&2; exit 1; }
done
for t in ssh nbdkit qemu-img guestfish python3 jq; do
    command -v $t >/dev/null || { echo "missing $t (scripts/setup.sh)" >&2; exit 1; }
done
export V2K_SOURCE_DIR=$top LIBGUESTFS_BACKEND=direct
T=$(mktemp -d /tmp/v2k-bench-p2v.XXXXXX)
out=$(mktemp -d "${OUTDIR:-/dev/shm}/v2k-bench-p2v.XXXXXX")
fail() { echo "bench-p2v: $*" >&2; exit 1; }
need() { for t in "$@"; do command -v "$t" >/dev/null || fail "missing $t"; done; }
# shellcheck source=../tests/remote/sshd-lib.sh
. "$top/tests/remote/sshd-lib.sh"
trap 'rm -rf "$out"; _remote_cleanup' EXIT
# The accelerator libguestfs and the guests will really get (the tests'
# probe: a broken /dev/kvm falls back to TCG).
. "$top/tests/lib/appliance-accel.sh"

start_sshd
known_hosts_for "$SSHD_PORT"
ROOT=$top/tests/data/p2v/two-sata

echo "bench-p2v: $size_mib MiB of random data for the streaming runs" >&2
head -c $((size_mib << 20)) /dev/urandom >"$T/disk.img"
cat "$T/disk.img" >/dev/null

ssh_opts=(-F none -p "$SSHD_PORT" -i "$T/id_user" -o IdentitiesOnly=yes
          -o UserKnownHostsFile="$HOME/.ssh/known_hosts" -o BatchMode=yes)

# p2v NAME [--no-convert]: one transfer of $T/disk.img as sda; its output in
# $T/NAME.out; the run directory's progress.jsonl copied to
# $T/NAME.jsonl.
p2v() {
    local name=$1 nc=${2:-}
    rm -rf "${out:?}"/*
    "$P2V" --root "$ROOT" --server 127.0.0.1 --port "$SSHD_PORT" \
        --identity "$T/id_user" --known-hosts "$HOME/.ssh/known_hosts" \
        --disk-path "sda=$T/disk.img" --disks sda --name "$name" \
        -os "$out" -of raw \
        --remote-v2kvm "env LIBGUESTFS_BACKEND=direct V2K_ACCEL=$V2K_ACCEL $V2KVM $nc" \
        >"$T/$name.out" 2>&1 || { cat "$T/$name.out" >&2; fail "$name failed"; }
    local rdir
    rdir=$(sed -n 's/.*(run directory \(.*\))$/\1/p' "$T/$name.out" | tail -1)
    cp "$rdir/progress.jsonl" "$T/$name.jsonl"
}
copy_seconds() {
    jq -r 'select(.type == "phase" and .phase == "copy") | .seconds' "$1"
}
now() { date +%s.%N; }

# --- 1. streaming ---------------------------------------------------------
best_ssh=999999 best_copy=999999 best_wall=999999
for i in $(seq "$repeat"); do
    t0=$(now)
    ssh "${ssh_opts[@]}" root@127.0.0.1 'cat >/dev/null' <"$T/disk.img"
    t1=$(now)
    s=$(echo "$t1 - $t0" | bc -l)
    t0=$(now)
    p2v stream$i --no-convert
    t1=$(now)
    w=$(echo "$t1 - $t0" | bc -l)
    c=$(copy_seconds "$T/stream$i.jsonl")
    cmp "$T/disk.img" "$out/stream$i-sda" || fail "stream$i: the copy differs"
    printf 'run %d: ssh cat %.2f s, v2kvm-p2v copy phase %.2f s (whole run %.2f s)\n' \
        "$i" "$s" "$c" "$w"
    best_ssh=$(echo "if ($s < $best_ssh) $s else $best_ssh" | bc -l)
    best_copy=$(echo "if ($c < $best_copy) $c else $best_copy" | bc -l)
    best_wall=$(echo "if ($w < $best_wall) $w else $best_wall" | bc -l)
done
printf 'streaming %d MiB, best of %d: ssh cat %.2f s (%.0f MiB/s); p2v copy %.2f s (%.0f MiB/s); ratio ssh/p2v copy %.2f (target >= 0.8), ssh/p2v whole run %.2f\n' \
    "$size_mib" "$repeat" "$best_ssh" "$(echo "$size_mib / $best_ssh" | bc -l)" \
    "$best_copy" "$(echo "$size_mib / $best_copy" | bc -l)" \
    "$(echo "$best_ssh / $best_copy" | bc -l)" \
    "$(echo "$best_ssh / $best_wall" | bc -l)"

# --- 2. a cut ---------------------------------------------------------------
t0=$(now)
V2K_P2V_NBDKIT_FILTERS="--filter=log" V2K_P2V_NBDKIT_PARAMS="logfile=$T/cut.log" \
    p2v cut --no-convert &
client=$!
read_bytes() {
    awk '/ Read id=/ { for (i = 1; i <= NF; i++)
             if ($i ~ /^count=/) { sub("count=", "", $i); s += strtonum($i) } }
         END { print s + 0 }' "$1" 2>/dev/null || echo 0
}
for _ in $(seq 2000); do
    [ "$(read_bytes "$T/cut.log")" -ge $(((size_mib << 20) / 3)) ] && break
    sleep 0.01
done
pkill -f -- "ExitOnForwardFailure=yes" || fail "no tunnel to cut"
wait "$client"
t1=$(now)
cmp "$T/disk.img" "$out/cut-sda" || fail "cut: the copy differs"
back=$(sed -n 's/.*is back after \([0-9.]*\) s.*/\1/p' "$T/cut.out")
[ -n "$back" ] || fail "cut: the client did not say the link came back"
sent=$(read_bytes "$T/cut.log")
printf 're-establishing after a cut: link back after %s s; whole run %.2f s (uncut best %.2f s); bytes read %d for %d (%.2f %% again)\n' \
    "$back" "$(echo "$t1 - $t0" | bc -l)" "$best_wall" "$sent" \
    $((size_mib << 20)) "$(echo "100 * ($sent - ($size_mib * 1048576)) / ($size_mib * 1048576)" | bc -l)"

# --- 3. only used blocks travel -------------------------------------------
echo "bench-p2v: the Debian guest (built or found cached)..." >&2
gdir=$("$top/tests/lib/mkguest-debian.sh" "" base)
img=$gdir/debian12.img
cp --sparse=always "$img" "$T/disk.img"
used=$(guestfish --ro -a "$T/disk.img" run : mount /dev/sda1 / : statvfs / |
       awk '/^bsize:/ {b=$2} /^blocks:/ {n=$2} /^bfree:/ {f=$2}
            END {print (n - f) * b}')
start=$(guestfish --ro -a "$T/disk.img" run : part-get-mbr-id /dev/sda 1 \
        >/dev/null && guestfish --ro -a "$T/disk.img" run : \
        part-list /dev/sda | awk '/part_start:/ {print $2; exit}')
used=$((used + start))
t0=$(now)
V2K_P2V_NBDKIT_FILTERS="--filter=log" V2K_P2V_NBDKIT_PARAMS="logfile=$T/conv.log" \
    p2v conv
t1=$(now)
sent=$(read_bytes "$T/conv.log")
printf 'real conversion of the Debian 12 guest (2 GiB disk): %.1f s; bytes read over the link %d (%.1f MiB) vs used by its filesystem + partition table %d (%.1f MiB): ratio %.2f (target <= 1.2)\n' \
    "$(echo "$t1 - $t0" | bc -l)" "$sent" "$(echo "$sent / 1048576" | bc -l)" \
    "$used" "$(echo "$used / 1048576" | bc -l)" "$(echo "$sent / $used" | bc -l)"
