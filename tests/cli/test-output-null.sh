#!/bin/bash
# -o null reads the whole source and writes nothing; --compressed gives
# compressed qcow2 clusters that qemu reads back identical; option
# conflicts are usage errors.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq strace

img=$T/src.img
qemu-img create -q -f raw "$img" 32M
qemu-io -f raw -c 'write -P 0x41 0 8M' -c 'write -P 0x42 20M 4M' "$img" \
    >/dev/null

# -o null: success, the data read (strace counts the bytes pread from the
# source), no file created anywhere under $T or the working directory.
mkdir "$T/cwd"
before=$(find "$T" | sort)
# LeakSanitizer cannot run under ptrace (ASan builds).
(cd "$T/cwd" && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    strace -f -qq -e trace=pread64 -o "$T/trace" \
    "$V2KVM" --no-convert -i disk "$img" -o null --machine-readable >"$T/mr")
jq -s -e 'last | .type == "result" and .status == "ok"
          and .output == "null"' "$T/mr" >/dev/null || fail "no result line"
[ "$(find "$T" | grep -v -e "$T/trace" -e "$T/mr" | sort)" = "$before" ] ||
    fail "-o null created files"
read_bytes=$(grep -o '= [0-9]*$' "$T/trace" | awk '{s += $2} END {print s}')
[ "$read_bytes" -ge $((12 << 20)) ] ||
    fail "-o null read only $read_bytes bytes of 12 MiB of data"

# --compressed: smaller than the plain qcow2, same content.
mkdir "$T/plain" "$T/comp"
"$V2KVM" --no-convert -q -i disk "$img" -o local -os "$T/plain"
"$V2KVM" --no-convert -q -i disk "$img" -o local -os "$T/comp" --compressed
qemu-img check -q "$T/comp/src-sda" || fail "qemu-img check (compressed)"
qemu-img compare -q -F qcow2 "$img" "$T/comp/src-sda" ||
    fail "compressed output differs"
plain=$(stat -c %s "$T/plain/src-sda")
comp=$(stat -c %s "$T/comp/src-sda")
[ "$comp" -lt $((plain / 4)) ] ||
    fail "--compressed: $comp bytes, not much less than $plain"

# Conflicts and bad values are usage errors.
for bad in "-of raw --compressed|only qcow2 disks are compressed" \
    "-oa preallocated --compressed|exclude each other" \
    "-oo nosuch|unknown output option" \
    "-oo blkio-weight=5|must be from 100 to 1000" \
    "-oo machine=virt|must be q35, pc or i440fx" \
    "-oo seclabel=selinux|must be dynamic or none" \
    "-oo cpu-pinning=x|expected a CPU list" \
    "--block-driver ide|must be virtio-blk or virtio-scsi" \
    "--cpu a;b|expected host-model" \
    "--mac 52:54:00:00:00:01:hostdev:zz|not a PCI address"; do
    rc=0
    # shellcheck disable=SC2086
    "$V2KVM" --no-convert -i disk "$img" -o null ${bad%%|*} 2>"$T/err" || rc=$?
    [ $rc = 2 ] || fail "'${bad%%|*}': exit $rc, wanted 2"
    assert_grep "^v2kvm: error: .*${bad#*|}" "$T/err"
done
echo "test-output-null: ok"
