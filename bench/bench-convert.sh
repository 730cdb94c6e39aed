#!/bin/bash
# bench-convert.sh [WORKDIR] - v2kvm-img convert vs qemu-img convert.
#
# Builds an 8 GiB virtual disk holding 2 GiB of scattered random data and
# 256 MiB of written zeros, in raw, qcow2, VMDK (monolithicSparse,
# streamOptimized), VDI, VHD and VHDX, and converts each to qcow2 with
# v2kvm-img and with qemu-img (defaults, and -m 8 -W), measured in the
# same run.  Then compressed output (-c), of the random data and of 512
# MiB of the files under /usr, and a 1 TiB sparse disk holding 64 MiB.
# Prints, per input: our wall time / qemu-img's best, our
# throughput of real data (MiB/s), output size ratio, and both peak RSS.
# Not a test: numbers depend on the machine.  Env: REPEAT (default 2,
# best of), V2KVM_IMG (default build/formats/v2kvm-img), OUTDIR (where
# outputs are written, default WORKDIR; a tmpfs there takes the disk's
# writeback, which dominates and varies run to run, out of the timing).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$top/build/bench}
img=${V2KVM_IMG:-$top/build/formats/v2kvm-img}
repeat=${REPEAT:-2}
[ -x "$img" ] || { echo "build first: $img missing" >&2; exit 1; }
for t in qemu-img python3 /usr/bin/time; do
    command -v $t >/dev/null || { echo "missing $t (scripts/setup.sh)" >&2; exit 1; }
done
mkdir -p "$work"
cd "$work"
out=${OUTDIR:-$work}

GiB=$((1 << 30)) MiB=$((1 << 20))
data_bytes=$((2 * GiB))

# run OUT CMD...: best wall time (s) and peak RSS (KiB) over $repeat runs.
run() {
    local out=$1 best="" rss=0 t r
    shift
    for _ in $(seq "$repeat"); do
        rm -f "$out"
        sync
        /usr/bin/time -f '%e %M' -o time.out "$@" >/dev/null 2>&1 ||
            { echo "failed: $*" >&2; exit 1; }
        read -r t r <time.out
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
        [ "$r" -gt "$rss" ] && rss=$r
    done
    echo "$best $rss"
}

if [ ! -f src.raw ]; then
    echo "== making an 8 GiB disk with 2 GiB of data"
    python3 "$top/bench/mkbench-image.py" src.raw $((8 * GiB)) $data_bytes \
        $((256 * MiB))
fi
declare -A conv=(
    [qcow2]="-O qcow2"
    [vmdk-sparse]="-O vmdk -o subformat=monolithicSparse"
    [vmdk-stream]="-O vmdk -o subformat=streamOptimized"
    [vdi]="-O vdi"
    [vhd]="-O vpc -o subformat=dynamic"
    [vhdx]="-O vhdx"
)
inputs=(raw qcow2 vmdk-sparse vmdk-stream vdi vhd vhdx)
for k in "${inputs[@]}"; do
    [ "$k" = raw ] && continue
    [ -f "src.$k" ] || qemu-img convert -f raw ${conv[$k]} src.raw "src.$k"
done

printf '\n%-12s %9s %9s %9s %7s %9s %7s %8s %8s\n' input ours_s qemu_s \
    qemu-mW_s ratio MiB/s size_r ours_MiB qemu_MiB
summary=()
bench_one() {      # name src [extra args for both]
    local name=$1 src=$2
    shift 2
    # Both tools read from the page cache: warm it first, so the tool
    # that runs first is not charged for the disk.
    [ "$(stat -c %s "$src")" -gt $((64 * GiB)) ] || cat "$src" >/dev/null
    read -r o orss < <(run "$out/out.ours" "$img" convert "$@" -O qcow2 "$src" "$out/out.ours")
    osize=$(stat -c %s "$out/out.ours")
    read -r q qrss < <(run "$out/out.qemu" qemu-img convert "$@" -O qcow2 "$src" "$out/out.qemu")
    qsize=$(stat -c %s "$out/out.qemu")
    read -r qw qwrss < <(run "$out/out.qemu" qemu-img convert "$@" -m 8 -W -O qcow2 "$src" "$out/out.qemu")
    qemu-img compare -q "$out/out.ours" "$out/out.qemu" || { echo "$name: outputs differ" >&2; exit 1; }
    best=$(awk "BEGIN{print ($q < $qw) ? $q : $qw}")
    qr=$(( qrss > qwrss ? qrss : qwrss ))
    ratio=$(awk "BEGIN{printf \"%.2f\", $o / $best}")
    tput=$(awk "BEGIN{printf \"%.0f\", $data_bytes / 1048576 / $o}")
    sr=$(awk "BEGIN{printf \"%.3f\", $osize / $qsize}")
    printf '%-12s %9s %9s %9s %7s %9s %7s %8d %8d\n' "$name" "$o" "$q" "$qw" \
        "$ratio" "$tput" "$sr" $((orss / 1024)) $((qr / 1024))
    summary+=("$name ratio=$ratio size=$sr rss=$((orss / 1024))MiB")
    rm -f "$out/out.ours" "$out/out.qemu"
}
for k in "${inputs[@]}"; do
    bench_one "$k" "src.$k"
done
bench_one "raw -c" src.raw -c
# Random data does not compress (both tools store it): the same layout
# holding 512 MiB of the files under /usr shows the compressor itself.
[ -f usr.raw ] || python3 "$top/bench/mkbench-image.py" usr.raw $((8 * GiB)) \
    $((512 * MiB)) 0 1 usr
data_bytes=$((512 * MiB))
bench_one "usr -c" usr.raw -c

echo
echo "== 1 TiB sparse disk holding 64 MiB"
[ -f huge.raw ] || python3 "$top/bench/mkbench-image.py" huge.raw $((1024 * GiB)) $((64 * MiB))
data_bytes=$((64 * MiB))
printf '%-12s %9s %9s %9s %7s %9s %7s %8s %8s\n' input ours_s qemu_s \
    qemu-mW_s ratio MiB/s size_r ours_MiB qemu_MiB
bench_one "1TiB raw" huge.raw
echo
printf '%s\n' "${summary[@]}"
