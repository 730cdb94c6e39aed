#!/bin/bash
# bench-esx.sh [SIZE_MIB] - the ESX datastore read path vs one plain curl
# download of the same file, same run, on loopback.
#
# govmomi's ESX simulator (tests/lib/vcsim, built offline from Debian's
# Go sources) serves a VM whose disk is a monolithicFlat VMDK holding
# SIZE_MIB (default 1024) of random data.  Timed, best of REPEAT (default
# 3): "curl" (one GET of the -flat.vmdk through the datastore's /folder
# endpoint, written to a file), and "v2kvm -ic esx://... --no-convert -o
# local -of raw" (SOAP login, VM lookup, .vmx, then the disk in ranged
# GETs), with --parallel 1 (one range in flight, as curl has) and with
# its default (4 ranges in flight for a remote disk on a machine with
# fewer than 4 CPUs, else one per CPU).  Then the same behind
# bench/throttle-proxy.py, which lets each connection carry RATE_MIB
# (default 32) MiB/s, as ESXi throttles each connection (run once: these
# take seconds).  Prints the times,
# MiB/s and curl / v2kvm speed ratios (>1: v2kvm faster).  Outputs go to
# OUTDIR (default /dev/shm) and are checked equal to the source.
# Not a test: the numbers depend on the machine.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
size_mib=${1:-1024}
repeat=${REPEAT:-3}
rate_mib=${RATE_MIB:-32}
V2KVM=${V2KVM:-$top/build/converters/v2kvm}
[ -x "$V2KVM" ] || { echo "build first: $V2KVM missing" >&2; exit 1; }
for t in curl qemu-img python3 go openssl; do
    command -v $t >/dev/null || { echo "missing $t (scripts/setup.sh)" >&2; exit 1; }
done
export V2K_SOURCE_DIR=$top
T=$(mktemp -d /tmp/v2k-bench-esx.XXXXXX)
outdir=$(mktemp -d "${OUTDIR:-/dev/shm}/v2k-bench-esx.XXXXXX")
fail() { echo "bench-esx: $*" >&2; exit 1; }
need() { for t in "$@"; do command -v "$t" >/dev/null || fail "missing $t"; done; }
# shellcheck source=../tests/remote/sshd-lib.sh
. "$top/tests/remote/sshd-lib.sh"       # _remote_pids, free_port, cleanup
trap '_remote_cleanup; rm -rf "$outdir"' EXIT
# shellcheck source=../tests/lib/vcsim/vcsim-lib.sh
. "$top/tests/lib/vcsim/vcsim-lib.sh"

VM=ha-host_VM0
start_vcsim esx $VM
make_vm "$VC_DSDIR/$VM" $VM
# One disk: the flat VMDK, SIZE_MIB of random data.
sed -i '/^scsi0:1\./d' "$VC_DSDIR/$VM/$VM.vmx"
rm -f "$VC_DSDIR/$VM/data.vmdk" "$VC_DSDIR/$VM/$VM.vmdk" \
    "$VC_DSDIR/$VM/$VM-flat.vmdk"
qemu-img create -q -f vmdk -o subformat=monolithicFlat \
    "$VC_DSDIR/$VM/$VM.vmdk" "${size_mib}M"
head -c $((size_mib << 20)) /dev/urandom |
    dd of="$VC_DSDIR/$VM/$VM-flat.vmdk" bs=1M conv=notrunc status=none
flat=$VC_DSDIR/$VM/$VM-flat.vmdk
cat "$flat" >/dev/null
q="dcPath=$VC_DC&dsName=$VC_DS"

# timed NAME CMD...: wall seconds of CMD (stdout, stderr to $T/NAME.err).
timed() {
    local name=$1 t0 t1
    shift
    rm -rf "${outdir:?}"/*
    sync
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>"$T/$name.err" ||
        { cat "$T/$name.err" >&2; fail "$name failed"; }
    t1=$(date +%s.%N)
    awk "BEGIN{printf \"%.2f\", $t1 - $t0}"
}
best() {    # best N NAME CMD...
    local n=$1 b="" t
    shift
    for _ in $(seq "$n"); do
        t=$(timed "$@")
        if [ -z "$b" ] || awk "BEGIN{exit !($t < $b)}"; then b=$t; fi
    done
    echo "$b"
}
check_out() {
    cmp -s "$flat" "$1" || fail "$2: the copy differs from the source"
}
curl_get() {   # PORT
    curl -sSfk -o "$outdir/curl.raw" \
        "https://127.0.0.1:$1/folder/$VM/$VM-flat.vmdk?$q"
}
v2kvm_get() {  # PORT [OPTIONS]
    local port=$1
    shift
    "$V2KVM" -q -ic "esx://root@127.0.0.1:$port/?no_verify=1" \
        -ip "$T/password" "$VM" -o local -os "$outdir" -of raw \
        --no-convert "$@"
}

row() {        # LABEL PORT RUNS
    local label=$1 port=$2 n=$3 c o o4
    # best leaves the last run's output in place: check it.
    c=$(best "$n" curl curl_get "$port")
    check_out "$outdir/curl.raw" curl
    o=$(best "$n" v2kvm1 v2kvm_get "$port" --parallel 1)
    check_out "$outdir/$VM-sda" "v2kvm --parallel 1"
    o4=$(best "$n" v2kvm v2kvm_get "$port")
    check_out "$outdir/$VM-sda" v2kvm
    printf '%-22s %8s %8s %8s %8s %8s %8s %7s %7s\n' "$label" "$c" "$o" "$o4" \
        "$(awk "BEGIN{printf \"%.0f\", $size_mib / $c}")" \
        "$(awk "BEGIN{printf \"%.0f\", $size_mib / $o}")" \
        "$(awk "BEGIN{printf \"%.0f\", $size_mib / $o4}")" \
        "$(awk "BEGIN{printf \"%.2f\", $c / $o}")" \
        "$(awk "BEGIN{printf \"%.2f\", $c / $o4}")"
}

echo "== $size_mib MiB flat VMDK from govmomi's ESX simulator on loopback"
printf '%-22s %8s %8s %8s %8s %8s %8s %7s %7s\n' path curl_s v2k-p1_s v2kvm_s \
    curl_MiBs p1_MiBs v2k_MiBs speed_p1 speed
row "direct" "$VC_PORT" "$repeat"

PPORT=$(free_port)
python3 "$top/bench/throttle-proxy.py" "$PPORT" "$VC_PORT" \
    $((rate_mib << 20)) "$T/proxy.ready" 2>"$T/proxy.log" &
_remote_pids+=($!)
for _ in $(seq 100); do [ -e "$T/proxy.ready" ] && break; sleep 0.1; done
[ -e "$T/proxy.ready" ] || fail "the throttling proxy did not start"
row "throttled ${rate_mib} MiB/s/conn" "$PPORT" 1
echo "(speed = curl's time / v2kvm's: above 1, v2kvm is faster)"
