#!/bin/bash
# bench-batch.sh - a migration wave of 12 VMs (10 disk copies and 2 real
# guest conversions) three ways, in the same run:
#   1. v2kvm-batch run PLAN (max_in_flight 2, memory budget 4 GiB), then
#      v2kvm-batch report PLAN: resume state, logs and the report come
#      on top of the copies;
#   2. a plain shell loop of the same v2kvm commands, one after another;
#   3. GNU parallel -j2 of the same commands.
# Prints each wall time and the ratios batch/loop and batch/parallel
# (target: batch <= 1.0x parallel), and each way's peak memory: the sum
# of the resident sets of the whole process tree (v2kvm, nbdkit, qemu of
# the appliances), sampled every 0.2 s, against the plan's budget.
# The three ways run as users run them: without V2K_ACCEL, so every
# v2kvm of the loop and of parallel probes the accelerator (10 s where
# /dev/kvm hangs), and v2kvm-batch probes once for its VMs; with
# V2K_ACCEL=kvm|tcg set by the caller, nobody probes.
# Not a test: the numbers depend on the machine.
#
#   bench/bench-batch.sh [COPY_MIB]     (default 512 MiB per copied disk)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
copy_mib=${1:-512}
build=${BUILD:-$top/build}
V2KVM=${V2KVM:-$build/converters/v2kvm}
B=${V2KVM_BATCH:-$build/batch/v2kvm-batch}
for f in "$V2KVM" "$B"; do
    [ -x "$f" ] || { echo "build first: $f missing" >&2; exit 1; }
done
for t in parallel qemu-img qemu-io guestfish python3 sqlite3; do
    command -v $t >/dev/null ||
        { echo "bench-batch: missing $t (scripts/setup.sh)" >&2; exit 1; }
done
export LIBGUESTFS_BACKEND=direct V2K_SOURCE_DIR=$top
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-/var/tmp}
T=$(mktemp -d /var/tmp/v2k-bench-batch.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
# The accelerator the appliances will really get (for building the
# guests; the ways measured get the caller's settings back).
user_accel=${V2K_ACCEL-} user_settings=${LIBGUESTFS_BACKEND_SETTINGS-}
. "$top/tests/lib/appliance-accel.sh"
if [ -n "$user_accel" ]; then
    accel_note="V2K_ACCEL=$user_accel given to every way: nobody probes"
else
    accel_note="V2K_ACCEL unset: loop and parallel probe per conversion, v2kvm-batch once"
fi

echo "bench-batch: building the sources (10 x $copy_mib MiB disks, 2 phony guests)" >&2
mkdir src
bash "$top/tests/lib/mkphony.sh" debian12 src/deb.img real-initramfs \
    open-vm-tools + ubuntu2204 src/ubu.img vmware-tools >mkphony.log 2>&1 ||
    { tail -20 mkphony.log >&2; exit 1; }
for i in $(seq 1 10); do
    qemu-img create -q -f raw "src/d$i.img" "${copy_mib}M"
    # A quarter of each disk holds data, in 4 runs.
    for k in 0 1 2 3; do
        off=$((k * copy_mib / 4))
        head -c $((copy_mib / 16))M /dev/urandom |
            dd of="src/d$i.img" bs=1M seek=$off conv=notrunc status=none
    done
done
sync

# The wave: conversions first (the longest jobs start first in every
# way), then the copies.
names=(debian ubuntu d1 d2 d3 d4 d5 d6 d7 d8 d9 d10)
args_of() {    # args_of NAME OUTDIR: the v2kvm command line of one VM
    case $1 in
        debian) echo "-i disk src/deb.img -on debian --memory 1G" ;;
        ubuntu) echo "-i disk src/ubu.img -on ubuntu --memory 1G" ;;
        *) echo "-i disk src/$1.img -on $1 --memory 1G --no-convert" ;;
    esac | tr -d '\n'
    echo " -o local -os $2 -of qcow2"
}

{
    cat <<'EOF'
version: 1
name: bench
sources:
  disks: {kind: disk}
targets:
  out: {kind: local, storage: out-batch, format: qcow2}
limits:
  max_in_flight: 2
  memory_budget: 4GiB
defaults:
  source: disks
  target: out
  memory: 1GiB
vms:
  - {name: debian, disks: [src/deb.img]}
  - {name: ubuntu, disks: [src/ubu.img]}
EOF
    for i in $(seq 1 10); do
        echo "  - {name: d$i, disks: [src/d$i.img], no_convert: true}"
    done
} >plan.yaml
mkdir out-batch out-loop out-par
"$B" check plan.yaml >/dev/null

# peak_rss PID: sample the summed RSS (KiB) of PID's process tree until
# it ends; print the peak.
cat >peak.py <<'PY'
import os, sys, time
root = int(sys.argv[1])
def tree():
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out
def rss(p):
    try:
        with open("/proc/%d/status" % p) as f:
            for l in f:
                if l.startswith("VmRSS:"):
                    return int(l.split()[1])
    except OSError:
        pass
    return 0
peak = 0
while os.path.exists("/proc/%d" % root):
    peak = max(peak, sum(rss(p) for p in tree()))
    time.sleep(0.2)
print(peak)
PY
# measure LABEL CMD...: wall seconds into $LABEL.secs, peak KiB into
# $LABEL.peak.
measure() {
    local label=$1 t0 t1 pid rc=0
    shift
    sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
    t0=$(date +%s.%N)
    (
        if [ -z "$user_accel" ]; then
            unset V2K_ACCEL
            if [ -n "$user_settings" ]; then
                export LIBGUESTFS_BACKEND_SETTINGS=$user_settings
            else
                unset LIBGUESTFS_BACKEND_SETTINGS
            fi
        fi
        "$@"
    ) >"$label.out" 2>&1 &
    pid=$!
    python3 peak.py $pid >"$label.peak" &
    wait $pid || rc=$?
    t1=$(date +%s.%N)
    wait
    echo "$t1 - $t0" | bc >"$label.secs"
    if [ $rc != 0 ] && [ "$label" != batch ]; then
        tail -20 "$label.out" >&2
        echo "bench-batch: $label failed (exit $rc)" >&2
        exit 1
    fi
}

loop() {
    for n in "${names[@]}"; do
        # shellcheck disable=SC2046
        "$V2KVM" $(args_of "$n" out-loop) || return 1
    done
}
batch() {
    "$B" run plan.yaml || return 1
    # The report is part of the batch's work.
    "$B" report plan.yaml >report.out 2>&1 || { cat report.out >&2; return 1; }
}

echo "bench-batch: v2kvm-batch run (2 in flight)" >&2
measure batch batch
echo "bench-batch: shell loop" >&2
measure loop loop
echo "bench-batch: GNU parallel -j2" >&2
for n in "${names[@]}"; do
    echo "$V2KVM $(args_of "$n" out-par)"
done >par.cmds
measure par parallel -j2 --halt now,fail=1 :::: par.cmds

done_vms=$(sqlite3 plan.state "SELECT count(*) FROM vms WHERE phase='done'")
[ "$done_vms" = 12 ] ||
    { tail -20 batch.out >&2; echo "bench-batch: batch: $done_vms of 12 done" >&2; exit 1; }
for d in out-batch out-loop out-par; do
    n=$(ls "$d" | grep -c -- '-sda$' || true)
    [ "$n" = 12 ] || { echo "bench-batch: $d holds $n disks, not 12" >&2; exit 1; }
done

b=$(cat batch.secs) l=$(cat loop.secs) p=$(cat par.secs)
budget_kib=$((4 << 20))
printf 'bench-batch: 12 VMs (10 x %s MiB copies, 2 conversions, %s;\n  %s)\n' \
    "$copy_mib" "appliances under $V2K_ACCEL" "$accel_note"
printf '  %-22s %8.1f s  peak %6d MiB\n' "v2kvm-batch (-j2)" "$b" \
    $(($(cat batch.peak) / 1024))
printf '  %-22s %8.1f s  peak %6d MiB\n' "shell loop" "$l" \
    $(($(cat loop.peak) / 1024))
printf '  %-22s %8.1f s  peak %6d MiB\n' "GNU parallel -j2" "$p" \
    $(($(cat par.peak) / 1024))
printf '  batch / loop:     %.2fx\n' "$(echo "$b / $l" | bc -l)"
printf '  batch / parallel: %.2fx  (target <= 1.00x)\n' \
    "$(echo "$b / $p" | bc -l)"
printf '  batch peak memory: %d MiB of the %d MiB budget (%s)\n' \
    $(($(cat batch.peak) / 1024)) $((budget_kib / 1024)) \
    "$([ "$(cat batch.peak)" -le $budget_kib ] && echo within || echo OVER)"
