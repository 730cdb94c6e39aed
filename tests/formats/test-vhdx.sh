#!/bin/bash
# VHDX images: qemu-made fixed and dynamic images (block and log sizes,
# block states) read, map and convert like qemu-img; differencing files
# and dirty logs built by mkvhdx.py read as their known contents, and a
# dirty log is replayed in memory without touching the file.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq python3
MK="$(dirname "$0")/../lib/mkvhdx.py"
M=$((1 << 20))

# qemu's vhdx driver has no block-status, so qemu-img map calls the
# whole disk data.  The map oracle is instead what qemu allocates: every
# block a write touched is data, every other block reads as zero.
# expect_map SIZE BLOCK_SIZE OFF:LEN... prints _norm_map's lines.
expect_map() {
    python3 - "$@" <<'EOF'
import sys
size, bs = int(sys.argv[1]), int(sys.argv[2])
blocks = set()
for w in sys.argv[3:]:
    o, n = map(int, w.split(":"))
    blocks.update(range(o // bs, (o + n - 1) // bs + 1))
runs = []
for b in range(-(-size // bs)):
    start = b * bs
    n, d = min(bs, size - start), b in blocks
    if runs and runs[-1][2] == d:
        runs[-1][1] += n
    else:
        runs.append([start, n, d])
for s, n, d in runs:
    print(s, n, "true" if d else "false")
EOF
}

# assert_map IMAGE EXPECTED_FILE
assert_map() {
    "$V2KVM_IMG" map --output=json "$1" | _norm_map >"$T/map.ours"
    diff -u "$2" "$T/map.ours" || fail "$1: map differs from expected"
}

# --- qemu-made images --------------------------------------------------
# name | create options | size | block size | convert too
while IFS='|' read -r name opts size bs conv; do
    img=$T/$name.vhdx
    # shellcheck disable=SC2086
    qemu-img create -q -f vhdx $opts "$img" "$size"
    vsize=$(qemu-img info --output=json "$img" | jq '."virtual-size"')
    end=$((vsize - 4096))
    qemu-io -f vhdx -c 'write -P 0xa1 0 64k' -c "write -P 0xb2 $((5 * M)) $((3 * M))" \
        -c "write -P 0xd4 $((30 * M + 512)) 1024" \
        -c "write -P 0xc3 $end 4096" "$img" >/dev/null
    assert_reads_like_qemu "$img" vhdx
    [ -z "$conv" ] || assert_convert_like_qemu "$img" vhdx
    # A fixed file made with block_state_zero=on keeps unwritten blocks
    # in state ZERO: they read as zero without reading.
    if [ "$name" = fixed-full ]; then
        expect_map "$vsize" "$bs" "0:$vsize" >"$T/map.exp"
    else
        expect_map "$vsize" "$bs" 0:65536 $((5 * M)):$((3 * M)) \
            $((30 * M + 512)):1024 $end:4096 >"$T/map.exp"
    fi
    assert_map "$img" "$T/map.exp"
    "$V2KVM_IMG" info "$img" | assert_grep "format: vhdx" /dev/stdin
done <<EOF
default||64M|$((8 * M))|convert
bs1m|-o log_size=2M,block_size=1M|48M|$M|
bs8m|-o log_size=8M,block_size=8M|40M|$((8 * M))|
bs32m|-o block_size=32M|100M|$((32 * M))|
oddsize|-o block_size=8M|33000K|$((8 * M))|convert
nozero|-o block_state_zero=off,block_size=1M|40M|$M|
fixed|-o subformat=fixed,block_size=1M|40M|$M|convert
fixed-full|-o subformat=fixed,block_state_zero=off|40M|$((8 * M))|
EOF

# A disk converted by qemu-img from raw, and probing without -f.
head -c $((3 * M)) /dev/urandom >"$T/rand"
qemu-img create -q -f raw "$T/src.raw" 20M
dd if="$T/rand" of="$T/src.raw" bs=1M seek=7 conv=notrunc status=none
qemu-img convert -O vhdx "$T/src.raw" "$T/conv.vhdx"
assert_reads_like_qemu "$T/conv.vhdx"
"$V2KVM_IMG" convert -O raw "$T/conv.vhdx" "$T/conv.raw"
cmp "$T/src.raw" "$T/conv.raw" || fail "conv.vhdx: reads differ from its source"

# --- differencing (mkvhdx.py) ------------------------------------------
mkdir "$T/base"
parent=$T/base/parent.vhdx
qemu-img create -q -f vhdx -o block_size=1M "$parent" 64M
qemu-io -f vhdx -c 'write -P 0x5a 0 12M' -c 'write -P 0x6b 40M 2M' \
    "$parent" >/dev/null
qemu-img convert -O raw "$parent" "$T/parent.raw"
python3 "$MK" diff --parent "$parent" --parent-raw "$T/parent.raw" \
    --size $((64 * M)) --relative 'base\parent.vhdx' \
    --out "$T/child.vhdx" --expect "$T/child.raw"
"$V2KVM_IMG" convert -O raw "$T/child.vhdx" "$T/child.out"
cmp "$T/child.raw" "$T/child.out" || fail "child.vhdx: reads differ"
"$V2KVM_IMG" convert -O qcow2 "$T/child.vhdx" "$T/child.qcow2"
qemu-img compare -q -f raw -F qcow2 "$T/child.raw" "$T/child.qcow2" ||
    fail "child.vhdx: qcow2 conversion differs"
# Blocks 0 and 9 are the child's, 1 mixes child sectors and parent data,
# 2 (ZERO), 4 (UNMAPPED), 5 (UNDEFINED) hide the parent, the rest are
# the parent's (data at 0-12M and 40-42M).
cat >"$T/map.exp" <<EOF
0 $((2 * M)) true
$((2 * M)) $M false
$((3 * M)) $M true
$((4 * M)) $((2 * M)) false
$((6 * M)) $((6 * M)) true
$((12 * M)) $((28 * M)) false
$((40 * M)) $((2 * M)) true
$((42 * M)) $((22 * M)) false
EOF
assert_map "$T/child.vhdx" "$T/map.exp"
"$V2KVM_IMG" info "$T/child.vhdx" >"$T/info"
assert_grep "backing file 1: .*base/parent.vhdx" "$T/info"

# A second level: a differencing file over the differencing file.
python3 "$MK" diff --parent "$T/child.vhdx" --parent-raw "$T/child.raw" \
    --size $((64 * M)) --relative 'child.vhdx' \
    --out "$T/grandchild.vhdx" --expect "$T/grandchild.raw"
"$V2KVM_IMG" convert -O raw "$T/grandchild.vhdx" "$T/grandchild.out"
cmp "$T/grandchild.raw" "$T/grandchild.out" ||
    fail "grandchild.vhdx: reads differ"

# --- dirty log, replayed in memory (mkvhdx.py) -------------------------
for variant in plain wrap; do
    flag=; [ $variant = wrap ] && flag=--wrap
    img=$T/dirty-$variant.vhdx
    python3 "$MK" dirty $flag --out "$img" --old "$T/old.raw" \
        --expect "$T/new.raw"
    sum=$(md5sum <"$img")
    "$V2KVM_IMG" convert -O raw "$img" "$T/dirty.out"
    cmp "$T/new.raw" "$T/dirty.out" || fail "$img: replayed reads differ"
    cmp -s "$T/old.raw" "$T/dirty.out" && fail "$img: log not replayed"
    "$V2KVM_IMG" convert -O qcow2 "$img" "$T/dirty.qcow2"
    qemu-img compare -q -f raw -F qcow2 "$T/new.raw" "$T/dirty.qcow2" ||
        fail "$img: qcow2 conversion differs"
    # Blocks 0, 1 (allocated by the log), 2 and 7 (past the old end of
    # file) are data; block 5 was set to ZERO by the log.
    expect_map $((16 * M)) $M 0:$((3 * M)) $((7 * M)):$M >"$T/map.exp"
    assert_map "$img" "$T/map.exp"
    [ "$(md5sum <"$img")" = "$sum" ] || fail "$img: file was modified"
done
# qemu replays the log too, but writes it back: give it a copy.  (Its
# log search ignores Tail, so the wrapped variant is ours alone.)
cp "$T/dirty-plain.vhdx" "$T/dirty-copy.vhdx"
qemu-img check -q -r all "$T/dirty-copy.vhdx"
assert_reads_like_qemu "$T/dirty-copy.vhdx" vhdx
qemu-img convert -O raw "$T/dirty-copy.vhdx" "$T/qemu.raw"
"$V2KVM_IMG" convert -O raw "$T/dirty-plain.vhdx" "$T/ours.raw"
cmp "$T/qemu.raw" "$T/ours.raw" || fail "dirty log: qemu replays differently"

echo "test-vhdx: ok"
