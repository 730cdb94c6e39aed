#!/bin/bash
# bench-v2v.sh [WORKDIR] - v2kvm vs virt-v2v on a real guest conversion.
#
# Source: the Debian 12 guest as VMware leaves it (VMX + VMDK, built and
# cached by tests/lib/mkguest-debian.sh): GUEST=vmware (default: its
# initramfs MODULES=list, without virtio) or GUEST=vmware-most (Debian's
# default MODULES=most, virtio included: v2kvm keeps it, virt-v2v
# regenerates it).  Both tools convert it with
# -i vmx VMX -o local -os DIR -of qcow2 in the same run, with the same
# libguestfs settings (direct backend, TCG forced for both: V2K_ACCEL=tcg
# and LIBGUESTFS_BACKEND_SETTINGS=force_tcg), one after the other.
# Prints per tool: wall time, output size (qemu-img "disk size"), peak RSS
# (/usr/bin/time -v), time in the appliance (v2kvm: its --machine-readable
# result line; virt-v2v: the span of its own "[ SECONDS] ..." phase
# timestamps from "Opening the overlay" to "Finishing off", which is the
# part that runs the appliance), and the ratios; then the time in each
# phase, as each tool reports it (v2kvm's --machine-readable phase lines,
# virt-v2v's timestamped messages), and both grouped into the same
# phases: source and overlays, appliance start + inspection, conversion
# steps, trim, appliance shutdown, copy, output.  With BOOT=1, boots both
# outputs to the marker (tests/lib/boot-lib.sh) and reports those times.
# Each tool runs RUNS times (default 1), alternating; the fastest run of
# each is reported.  Not a test: the numbers depend on the machine.  Env:
# V2KVM (default build/converters/v2kvm), V2K_GUEST_CACHE, BOOT, RUNS,
# GUEST.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$top/build/bench-v2v}
v2kvm=${V2KVM:-$top/build/converters/v2kvm}
[ -x "$v2kvm" ] || { echo "build first: $v2kvm missing" >&2; exit 1; }
for t in virt-v2v nbdcopy qemu-img jq /usr/bin/time; do
    command -v "$t" >/dev/null ||
        { echo "missing $t (scripts/setup.sh)" >&2; exit 1; }
done
export LIBGUESTFS_BACKEND=direct
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
export V2K_ACCEL=tcg
. "$top/tests/lib/boot-lib.sh"

guest=${GUEST:-vmware}
case $guest in
    vmware|vmware-most) ;;
    *) echo "bench-v2v: GUEST=$guest: vmware or vmware-most" >&2; exit 1 ;;
esac
src=$(guest_source "$guest") ||
    { echo "bench-v2v: no $guest guest to convert" >&2; exit 1; }
vmx=$src/debian12.vmx
rm -rf "$work"
mkdir -p "$work"
cd "$work"
echo "source: $vmx ($(du -k "$src/debian12.vmdk" | cut -f1) KiB VMDK)"

# measure NAME CMD...: wall seconds and peak RSS (KiB) into NAME.time,
# stdout/stderr into NAME.out / NAME.err.
measure() {
    local name=$1
    shift
    sync
    /usr/bin/time -v -o "$name.time" "$@" >"$name.out" 2>"$name.err" || {
        tail -n 20 "$name.err" >&2
        echo "bench-v2v: $name failed" >&2
        exit 1
    }
}
wall() {   # "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.33"
    awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0
        for (i = 1; i <= n; i++) s = s * 60 + p[i]
        printf "%.1f", s }' "$1"
}
rss() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
disk_size() {   # actual size in bytes
    qemu-img info --output=json "$1" | jq '."actual-size"'
}

# One run of each tool, alternating, RUNS times; the fastest run of
# each is the one reported (its appliance time, size and RSS too).
run_v2kvm() {   # run_v2kvm DIR
    rm -rf "$1"
    mkdir -p "$1"
    measure "$1" "$v2kvm" -i vmx "$vmx" -o local -os "$1" -of qcow2 \
        --machine-readable
}
run_virt_v2v() {
    rm -rf "$1"
    mkdir -p "$1"
    measure "$1" virt-v2v -i vmx "$vmx" -o local -os "$1" -of qcow2
}
best() {        # best PREFIX: the run directory with the lowest wall time
    local d b= bw= w
    for d in "$1".*; do
        [ -f "$d.time" ] || continue
        w=$(wall "$d.time")
        if [ -z "$b" ] || awk -v a="$w" -v b="$bw" 'BEGIN { exit !(a < b) }'
        then b=$d bw=$w; fi
    done
    echo "$b"
}
for r in $(seq "${RUNS:-1}"); do
    echo "== run $r: v2kvm"
    run_v2kvm "v2kvm.$r"
    echo "   $(wall "v2kvm.$r.time") s"
    echo "== run $r: virt-v2v"
    run_virt_v2v "virt-v2v.$r"
    echo "   $(wall "virt-v2v.$r.time") s"
done
ours=$(best v2kvm) theirs=$(best virt-v2v)
for f in time out err; do
    cp "$ours.$f" "v2kvm.$f"
    cp "$theirs.$f" "virt-v2v.$f"
done
ours_disk=$(output_disk "$ours")
ours_app=$(tail -n 1 v2kvm.out |
    jq -r '[to_entries[] | select(.key | test("appliance")) | .value][0]
           // "n/a"')
theirs_disk=$(output_disk "$theirs")
# virt-v2v 2.x: "[   1.0] Opening the source" (the appliance starts) ...
# "[ 143.3] Closing the overlay" (it has shut down); 1.x said "Opening
# the overlay" ... "Finishing off".
theirs_app=$(awk '
    /^\[ *[0-9.]+\] Opening the (source|overlay)/ && a == "" {
        gsub(/[][]/, " "); a = $1 }
    /^\[ *[0-9.]+\] (Closing the overlay|Finishing off)/ && b == "" {
        gsub(/[][]/, " "); b = $1 }
    END { if (a != "" && b != "") printf "%.1f", b - a; else print "n/a" }' \
    virt-v2v.out virt-v2v.err)

ow=$(wall v2kvm.time) tw=$(wall virt-v2v.time)
orss=$(rss v2kvm.time) trss=$(rss virt-v2v.time)
osz=$(disk_size "$ours_disk") tsz=$(disk_size "$theirs_disk")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }

printf '\n%-22s %12s %12s %8s\n' "" v2kvm virt-v2v ratio
printf '%-22s %12s %12s %8s\n' "wall time (s)" "$ow" "$tw" "$(ratio "$ow" "$tw")"
printf '%-22s %12s %12s %8s\n' "in the appliance (s)" "$ours_app" \
    "$theirs_app" "$(ratio "$ours_app" "$theirs_app")"
printf '%-22s %12s %12s %8s\n' "output size (MiB)" \
    "$((osz / 1048576))" "$((tsz / 1048576))" "$(ratio "$osz" "$tsz")"
printf '%-22s %12s %12s %8s\n' "peak RSS (MiB)" \
    "$((orss / 1024))" "$((trss / 1024))" "$(ratio "$orss" "$trss")"
echo "(ratio = v2kvm / virt-v2v, lower is better; peak RSS is that of" \
     "the largest single process of the tool's tree, the appliance's qemu" \
     "included, as /usr/bin/time reports it)"

# Phases.  v2kvm: its {"type":"phase"} lines (common/log.h).  virt-v2v:
# each "[ SECONDS] Message" line lasts until the next one (the last until
# the wall time).  Then both, grouped into the same phases.
ours_phases=$(jq -r 'select(.type? == "phase") |
                     "\(.phase)\t\(.seconds)"' v2kvm.out)
theirs_phases=$(awk -v wall="$tw" '
    /^\[ *[0-9.]+\] / {
        line = $0; sub(/^\[ */, "", line); t = line; sub(/\].*/, "", t)
        sub(/^[0-9.]+\] /, "", line)
        if (n > 0) printf "%s\t%.1f\n", msg, t - prev
        msg = line; prev = t; n++ }
    END { if (n > 0) printf "%s\t%.1f\n", msg, wall - prev }' virt-v2v.out)
echo
echo "v2kvm phases (s):"
printf '%s\n' "$ours_phases" | awk -F'\t' '{ printf "  %-40s %7.1f\n", $1, $2 }'
echo "virt-v2v phases (s):"
printf '%s\n' "$theirs_phases" | awk -F'\t' '{ printf "  %-40.40s %7.1f\n", $1, $2 }'
# group NAME: which common phase a phase of either tool belongs to
group() {
    awk -F'\t' '
    function g(p) {
        # virt-v2v 2.x starts its appliance while "Opening the source"
        if (p ~ /^(source|overlays|Setting up the source)/)
            return "1 source and overlays"
        if (p ~ /^(launch|inspect|Opening the source|Inspecting the source)/)
            return "2 appliance start + inspection"
        if (p ~ /^(convert|Checking for sufficient free disk|Converting )/)
            return "3 conversion steps"
        if (p ~ /^(trim|Mapping filesystem data)/) return "4 trim"
        if (p ~ /^(shutdown|Closing the overlay)/) return "5 appliance shutdown"
        if (p ~ /^(copy|Copying disk)/) return "6 copy"
        if (p ~ /^step /) return ""
        return "7 output and the rest"
    }
    { k = g($1); if (k != "") sum[k] += $2 }
    END { for (k in sum) printf "%s\t%.1f\n", k, sum[k] }' | sort
}
printf '%s\n' "$ours_phases" | group >ours.groups
printf '%s\n' "$theirs_phases" | group >theirs.groups
printf '\n%-32s %9s %9s %7s\n' "phase (s)" v2kvm virt-v2v ratio
join -t "$(printf '\t')" -a 1 -a 2 -e 0 -o 0,1.2,2.2 ours.groups theirs.groups |
    while IFS="$(printf '\t')" read -r k a b; do
        printf '%-32s %9s %9s %7s\n' "${k#? }" "$a" "$b" "$(ratio "$a" "$b")"
    done

if [ "${BOOT:-0}" = 1 ]; then
    for d in "$ours_disk" "$theirs_disk"; do
        if boot_guest "$d" qcow2 900 "$d.serial.log"; then
            echo "boot $d: marker after ${BOOT_SECONDS}s"
        else
            echo "boot $d: $BOOT_RESULT after ${BOOT_SECONDS}s"
        fi
    done
fi
