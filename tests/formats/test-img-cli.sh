#!/bin/bash
# v2kvm-img info/map/compare/check/convert: exit codes, one-line errors
# and JSON fields, as docs/v2kvm-img.pod documents them.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq

img() { "$V2KVM_IMG" "$@"; }
# rc CMD...: print the exit code of CMD (stderr kept in $T/err).
rc() { local r=0; "$@" >"$T/out" 2>"$T/err" || r=$?; echo $r; }
one_line() {
    [ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err"; fail "$1: not one line"; }
}

base=$T/base.qcow2
top=$T/top.qcow2
raw=$T/disk.raw
qemu-img create -q -f qcow2 "$base" 16M
qemu-io -f qcow2 -c 'write -P 1 0 1M' "$base" >/dev/null
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$top"
qemu-io -f qcow2 -c 'write -P 2 4M 1M' "$top" >/dev/null
qemu-img convert -O raw "$top" "$raw"

# info: format, sizes, backing chain.
img info --output=json "$top" >"$T/info.json"
jq -e '.format == "qcow2" and ."virtual-size" == 16777216
       and ."data-bytes" == 2097152
       and (."backing-filename" | endswith("base.qcow2"))
       and ."backing-filename-format" == "qcow2"
       and (."backing-chain" | length) == 1
       and ."backing-chain"[0].format == "qcow2"' "$T/info.json" >/dev/null ||
    { cat "$T/info.json"; fail "info --output=json fields"; }
img info --output=json "$raw" |
    jq -e '.format == "raw" and ."virtual-size" == 16777216
           and (has("backing-chain") | not)' >/dev/null ||
    fail "info of a raw file"
img info "$top" >"$T/info.txt"
assert_grep "^format: qcow2" "$T/info.txt"
assert_grep "^virtual size: 16.0 MiB (16777216 bytes)" "$T/info.txt"
assert_grep "^backing file 1: .*base.qcow2 (format: qcow2)" "$T/info.txt"
[ "$(rc img info "$T/missing")" = 1 ] || fail "info of a missing file"
one_line "info missing"
assert_grep "missing: No such file or directory" "$T/err"

# map: JSON extents cover the disk, data where qemu-img says.
img map --output=json "$top" >"$T/map.json"
jq -e '(map(.length) | add) == 16777216 and .[0].start == 0
       and all(.[]; has("data") and has("zero") and has("type"))' \
    "$T/map.json" >/dev/null || fail "map --output=json"
assert_map_like_qemu "$top" qcow2

# compare: 0 identical, 1 different (first offset), 2 error.
[ "$(rc img compare "$top" "$raw")" = 0 ] || fail "compare identical"
assert_grep "Images are identical" "$T/out"
[ "$(rc img compare -f qcow2 -F qcow2 "$top" "$base")" = 1 ] ||
    fail "compare different"
assert_grep "Content mismatch at offset 4194304!" "$T/out"
[ "$(rc img compare -q "$top" "$base")" = 1 ] || fail "compare -q"
[ ! -s "$T/out" ] || fail "compare -q printed something"
[ "$(rc img compare "$top" "$T/missing")" = 2 ] || fail "compare error"
one_line "compare missing"
[ "$(rc img compare "$top")" = 2 ] || fail "compare with one image"
one_line "compare usage"
# Size mismatch: a zero tail is identical, a non-zero tail is not.
cp "$raw" "$T/longer.raw"
truncate -s 20M "$T/longer.raw"
[ "$(rc img compare "$raw" "$T/longer.raw")" = 0 ] ||
    fail "compare with a zero tail"
qemu-io -f raw -c 'write -P 9 18M 512' "$T/longer.raw" >/dev/null
[ "$(rc img compare "$raw" "$T/longer.raw")" = 1 ] ||
    fail "compare with a non-zero tail"
assert_grep "Content mismatch at offset 18874368!" "$T/out"
[ "$(qemu-img compare "$raw" "$T/longer.raw" >/dev/null; echo $?)" = 1 ] ||
    fail "qemu-img disagrees about the tail"

# check: 0 clean, 1 corrupt, JSON fields.
[ "$(rc img check "$top")" = 0 ] || fail "check of a clean image"
assert_grep "No errors were found" "$T/out"
img check --output=json "$top" |
    jq -e '."check-errors" == 0 and ."data-bytes" == 2097152
           and .extents >= 1 and .format == "qcow2"' >/dev/null ||
    fail "check --output=json"
# An L2 table pointer far past the end of the file.
cp "$base" "$T/bad.qcow2"
l1=$(od -An -tu8 --endian=big -j40 -N8 "$T/bad.qcow2" | tr -d ' ')
printf '\x80\x00\x00\x10\x00\x00\x00\x00' |
    dd of="$T/bad.qcow2" bs=1 seek="$l1" conv=notrunc status=none
[ "$(rc img check "$T/bad.qcow2")" = 1 ] || fail "check of a corrupt image"
one_line "check corrupt"
assert_grep "bad.qcow2" "$T/err"
img check --output=json "$T/bad.qcow2" >"$T/out" 2>/dev/null &&
    fail "json check"
jq -e '."check-errors" == 1 and (.error | contains("bad.qcow2"))' \
    "$T/out" >/dev/null || fail "check --output=json of a corrupt image"
head -c 1000 /dev/urandom >"$T/odd.raw"
[ "$(rc img check -f raw "$T/odd.raw")" = 1 ] || fail "check odd raw"
assert_grep "odd.raw: size 1000 is not a multiple of 512" "$T/err"

# convert with --verify through our own readers; bad usage exits 2.
[ "$(rc img convert --verify -O qcow2 "$top" "$T/v.qcow2")" = 0 ] ||
    { cat "$T/err"; fail "convert --verify"; }
qemu-img compare -q "$top" "$T/v.qcow2" || fail "converted chain differs"
[ "$(rc img convert --verify -O raw "$T/v.qcow2" "$T/v.raw")" = 0 ] ||
    fail "convert --verify to raw"
for bad in "frobnicate x" "info" "info -x $raw" "map --output=xml $raw" \
           "convert -m 65 $raw $T/x" "convert $raw" "check"; do
    # shellcheck disable=SC2086
    [ "$(rc img $bad)" = 2 ] || fail "'$bad' did not exit 2"
    one_line "$bad"
    assert_grep "^v2kvm-img: error: " "$T/err"
done
img --help >"$T/help"
grep -q "v2kvm-img compare" "$T/help" || fail "--help lacks compare"

# A disk inside an uncompressed tar/OVA is read in place as TAR/MEMBER.
mkdir "$T/ova"
qemu-img create -q -f raw "$T/ova/m.img" 8M
qemu-io -f raw -c 'write -P 0x3c 1M 2M' "$T/ova/m.img" >/dev/null
qemu-img convert -O vmdk -o subformat=streamOptimized "$T/ova/m.img" \
    "$T/ova/m.vmdk"
tar -C "$T/ova" -cf "$T/m.ova" m.vmdk
img info --output=json "$T/m.ova/m.vmdk" >"$T/ova.json"
jq -e '.format == "vmdk" and ."virtual-size" == 8388608' "$T/ova.json" \
    >/dev/null || fail "info of a tar member: $(cat "$T/ova.json")"
img convert -O raw "$T/m.ova/m.vmdk" "$T/m.raw"
cmp "$T/m.raw" "$T/ova/m.img" || fail "tar member read differs"
echo "test-img-cli: ok"
