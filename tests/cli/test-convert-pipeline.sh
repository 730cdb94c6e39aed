#!/bin/bash
# The conversion stage of the pipeline, end to end on a small guest that
# libguestfs inspection takes for Debian 12 (an ext4 root with
# os-release, fstab and busybox as /bin/ls and /bin/sh), with
# V2K_ONLY_STEPS="" so that no rewrite step runs and the output's files
# must equal the source's:
#   - the source (a streamOptimized VMDK, the raw disk) is served
#     read-only through nbdkit-v2kvm-plugin, and not one byte changes;
#   - the output holds the guest's files, and fstrim in the appliance
#     made the deleted big file's blocks zero clusters in the overlay,
#     which the copy skips: the output holds less data than the source;
#   - --print-guest with --machine-readable prints a JSON guest (distro
#     debian) and the conversion goes on; with -o null it only inspects;
#   - phase messages and JSON lines, the appliance time in the result;
#   - no temporary directory and no nbdkit are left behind.
# Failures and signals: test-convert-errors.sh.
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish qemu-img jq sha256sum nbdkit pgrep
[ -x /bin/busybox ] || fail "/bin/busybox is missing (busybox-static)"

# Our temporary directories go here, so we can check none is left; the
# libguestfs appliance cache stays where every test shares it.
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-/var/tmp}
export TMPDIR=$T/tmp
mkdir "$TMPDIR"
export V2K_ONLY_STEPS=

# --- the source: 256 MiB, MBR, ext4; a 48 MiB random file written and
# deleted, so that free blocks hold data (one appliance launch) ----------
src=$T/src.img
truncate -s 256M "$src"
head -c 48M /dev/urandom >"$T/big"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n' \
    >"$T/os-release"
printf '/dev/sda1 / ext4 defaults 0 1\n' >"$T/fstab"
guestfish -a "$src" <<EOF
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
mkdir-p /etc
mkdir-p /bin
mkdir-p /usr/bin
mkdir-p /tmp
upload $T/os-release /etc/os-release
upload $T/fstab /etc/fstab
write /etc/hostname "phony-debian\n"
upload /bin/busybox /bin/ls
upload /bin/busybox /bin/sh
chmod 0755 /bin/ls
chmod 0755 /bin/sh
upload $T/big /big
sync
rm /big
umount-all
EOF
rm -f "$T/big"
sum0=$(sha256sum <"$src")

# data bytes IMAGE: how much of the image is stored data (qemu-img map)
data_bytes() {
    qemu-img map --output=json "$1" |
        jq '[.[] | select(.data) | .length] | add // 0'
}
src_data=$(data_bytes "$src")
[ "$src_data" -gt $((48 << 20)) ] ||
    fail "the source holds only $src_data bytes of data: the setup is wrong"

# has_json FILE FILTER [jq args]: some JSON line of FILE passes FILTER.
has_json() {
    local f=$1 filter=$2
    shift 2
    jq -s -e "$@" "any(.[]; $filter)" "$f" >/dev/null
}

# no_leftovers: no temporary directory and no nbdkit of ours remain.
no_leftovers() {
    local left
    left=$(find "$TMPDIR" -maxdepth 1 -name 'v2kvm.*')
    [ -z "$left" ] || fail "$1: temporary files left: $left"
    if pgrep -f "nbdkit.*$TMPDIR" >/dev/null; then
        fail "$1: an nbdkit serving from $TMPDIR still runs"
    fi
}

# --- 1. the guest as a streamOptimized VMDK to -o local (qcow2), with
# --print-guest (printed, then the conversion goes on) -----------------
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$src" \
    "$T/src.vmdk"
vsum0=$(sha256sum <"$T/src.vmdk")
mkdir "$T/out"
"$V2KVM" -i disk "$T/src.vmdk" -on guest -o local -os "$T/out" \
    --print-guest --machine-readable >"$T/run1" 2>"$T/err1" ||
    { cat "$T/err1" "$T/run1"; fail "conversion of the VMDK failed"; }
no_leftovers "VMDK source"
[ "$(sha256sum <"$T/src.vmdk")" = "$vsum0" ] || fail "the VMDK was modified"
for m in "Inspecting the guest" "Converting Debian GNU/Linux 12" \
         "Trimming free space" "Copying disk 1/1"; do
    has_json "$T/run1" '.type == "message" and
        (.message | startswith($m))' --arg m "$m" ||
        { cat "$T/run1"; fail "no message '$m'"; }
done
for p in source overlays launch inspect convert trim shutdown copy output; do
    has_json "$T/run1" '.type == "phase" and .phase == $p and
        .seconds >= 0' --arg p "$p" ||
        { cat "$T/run1"; fail "no JSON line for phase $p"; }
done
has_json "$T/run1" '.type == "result" and .status == "ok" and
    .converted and .appliance_seconds > 0' ||
    { cat "$T/run1"; fail "result line lacks the appliance time"; }
# The guest's JSON: distro debian, wherever the printer nests it.
has_json "$T/run1" 'type == "object" and .type != "result" and
    (.distro // .guest.distro) == "debian"' ||
    { cat "$T/run1"; fail "--print-guest: no debian JSON"; }
out=$T/out/guest-sda
qemu-img check -q "$out" || fail "the output qcow2 is not valid"
out_data=$(data_bytes "$out")
echo "source data $src_data bytes, output data $out_data bytes"
[ "$out_data" -lt $((src_data - (40 << 20))) ] ||
    fail "fstrim did not shrink the copy ($out_data of $src_data bytes)"

# The output holds the source's files (one launch for both).
sums=$(guestfish --ro -a "$src" -a "$out" <<'EOF'
run
mkmountpoint /a
mkmountpoint /b
mount-ro /dev/sda1 /a
mount-ro /dev/sdb1 /b
checksum sha256 /a/etc/os-release
checksum sha256 /b/etc/os-release
checksum sha256 /a/bin/ls
checksum sha256 /b/bin/ls
cat /b/etc/fstab
ls /b
EOF
) || fail "guestfish could not read the output"
echo "$sums" >"$T/sums"
[ "$(sed -n 1p "$T/sums")" = "$(sed -n 2p "$T/sums")" ] ||
    { cat "$T/sums"; fail "/etc/os-release differs in the output"; }
[ "$(sed -n 3p "$T/sums")" = "$(sed -n 4p "$T/sums")" ] ||
    { cat "$T/sums"; fail "/bin/ls differs in the output"; }
[ "$(sed -n 3p "$T/sums")" = "$(sha256sum </bin/busybox | cut -d' ' -f1)" ] ||
    fail "/bin/ls in the source is not busybox"
assert_grep '/dev/sda1 / ext4' "$T/sums"
grep -qx big "$T/sums" && fail "the deleted file is back"

# --- 2. the raw disk, -o null --print-guest: inspection only ------------
"$V2KVM" -i disk "$src" -o null --print-guest --machine-readable \
    >"$T/run2" 2>"$T/err2" ||
    { cat "$T/err2" "$T/run2"; fail "-o null --print-guest failed"; }
no_leftovers "inspection only"
[ "$(sha256sum <"$src")" = "$sum0" ] || fail "the source disk was modified"
has_json "$T/run2" 'type == "object" and .type != "result" and
    (.distro // .guest.distro) == "debian"' ||
    { cat "$T/run2"; fail "--print-guest: no debian JSON"; }
grep -q 'Copying disk' "$T/run2" && fail "-o null --print-guest copied"
grep -q 'Trimming' "$T/run2" && fail "-o null --print-guest trimmed"
grep -q 'Converting' "$T/run2" && fail "-o null --print-guest converted"
echo "test-convert-pipeline: ok"
