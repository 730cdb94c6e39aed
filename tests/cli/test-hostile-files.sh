#!/bin/bash
# Hostile files around a conversion (issue #13 items 3, 4, 5):
#  - an output that is the source, or a file of its backing chain, is
#    refused before anything is written, also with --overwrite, whatever
#    path names it (hard link, symlink): one line naming both files;
#  - v2kvm-img convert never removes a DST.v2k-partial file or symlink it
#    did not create, and v2kvm never removes a .NAME-sda.part (or
#    .NAME.xml.part, .NAME.sh.part) it did not create;
#  - a FIFO (or socket, character device, directory) given as a disk or
#    a description file is refused at once instead of blocking in open().
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io timeout mkfifo python3 cmp

qemu-img create -q -f raw "$T/base.raw" 16M
qemu-io -f raw -c 'write -P 0x42 0 1M' "$T/base.raw" >/dev/null
qemu-img create -q -f qcow2 -b "$T/base.raw" -F raw "$T/top.qcow2"
qemu-io -f qcow2 -c 'write -P 0x43 4M 1M' "$T/top.qcow2" >/dev/null
cp "$T/base.raw" "$T/base.orig"
cp "$T/top.qcow2" "$T/top.orig"

unchanged() {
    cmp -s "$T/base.raw" "$T/base.orig" || fail "base.raw was written"
    cmp -s "$T/top.qcow2" "$T/top.orig" || fail "top.qcow2 was written"
}

# --- 3: v2kvm-img convert onto the source or its backing file ---------
for dst in "$T/top.qcow2" "$T/base.raw"; do
    expect_fail timeout 20 "$V2KVM_IMG" convert "$T/top.qcow2" "$dst"
    assert_grep "^v2kvm-img: error: $dst: output is the source file .*(the same file" "$T/err"
    unchanged
done
ln "$T/base.raw" "$T/hardlink.raw"
ln -s base.raw "$T/symlink.raw"
for dst in "$T/hardlink.raw" "$T/symlink.raw" "$T/./sub/../base.raw"; do
    mkdir -p "$T/sub"
    expect_fail "$V2KVM_IMG" convert -O qcow2 "$T/top.qcow2" "$dst"
    assert_grep "output is the source file $T/base.raw" "$T/err"
    unchanged
done
[ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err" >&2; fail "not one line"; }
[ -z "$(find "$T" -name '*.v2k-partial')" ] || fail "partial left"
rm "$T/hardlink.raw" "$T/symlink.raw"

# --- 3: v2kvm with --overwrite onto its own source disk ---------------
mkdir "$T/vm"
cp "$T/base.raw" "$T/vm/guest-sda"
cp "$T/vm/guest-sda" "$T/guest.orig"
expect_fail timeout 60 "$V2KVM" --no-convert -i disk "$T/vm/guest-sda" \
    -on guest -o local -os "$T/vm" --overwrite
assert_grep "^v2kvm: error: .*$T/vm/guest-sda: output is the source file $T/vm/guest-sda" "$T/err"
cmp -s "$T/vm/guest-sda" "$T/guest.orig" || fail "v2kvm wrote its source"
[ "$(ls -A "$T/vm")" = guest-sda ] || fail "left behind: $(ls -A "$T/vm")"
# ... and onto the backing file of a qcow2 source.
qemu-img create -q -f qcow2 -b "$T/vm/guest-sda" -F raw "$T/ov.qcow2"
expect_fail timeout 60 "$V2KVM" --no-convert -i disk "$T/ov.qcow2" \
    -on guest -o local -os "$T/vm" --overwrite
assert_grep "guest-sda: output is the source file $T/vm/guest-sda" "$T/err"
cmp -s "$T/vm/guest-sda" "$T/guest.orig" || fail "v2kvm wrote the backing"

# --- 4: a DST.v2k-partial this run did not create survives ------------
echo precious >"$T/precious"
echo stale >"$T/out1.raw.v2k-partial"
expect_fail "$V2KVM_IMG" convert "$T/top.qcow2" "$T/out1.raw"
assert_grep "out1.raw.v2k-partial" "$T/err"
[ "$(cat "$T/out1.raw.v2k-partial")" = stale ] || fail "partial file lost"
ln -s "$T/precious" "$T/out2.raw.v2k-partial"
expect_fail "$V2KVM_IMG" convert -O qcow2 "$T/top.qcow2" "$T/out2.raw"
[ -L "$T/out2.raw.v2k-partial" ] || fail "partial symlink removed"
[ "$(cat "$T/precious")" = precious ] || fail "symlink target written"
[ ! -e "$T/out1.raw" ] && [ ! -e "$T/out2.raw" ] || fail "output appeared"
# v2kvm: temporaries of another run (or a killed one) are refused, not
# removed, also with --overwrite; nothing is written.
mkdir "$T/o4"
ln -s "$T/precious" "$T/o4/.g4-sda.part"
expect_fail "$V2KVM" --no-convert -q -i disk "$T/top.qcow2" -on g4 -o local \
    -os "$T/o4" --overwrite
assert_grep "^v2kvm: error: .*$T/o4/.g4-sda.part exists: another v2kvm may be writing this VM here" "$T/err"
[ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err" >&2; fail "not one line"; }
[ -L "$T/o4/.g4-sda.part" ] || fail "v2kvm removed a .part it did not create"
[ "$(cat "$T/precious")" = precious ] || fail "symlink target written"
[ "$(ls -A "$T/o4")" = .g4-sda.part ] || fail "left behind: $(ls -A "$T/o4")"
rm "$T/o4/.g4-sda.part"
for t in xml:local sh:qemu; do
    echo stale >"$T/o4/.g4.${t%%:*}.part"
    expect_fail "$V2KVM" --no-convert -q -i disk "$T/top.qcow2" -on g4 \
        -o "${t#*:}" -os "$T/o4"
    assert_grep "$T/o4/.g4.${t%%:*}.part exists" "$T/err"
    [ "$(cat "$T/o4/.g4.${t%%:*}.part")" = stale ] || fail "${t%%:*}.part lost"
    [ "$(ls -A "$T/o4")" = ".g4.${t%%:*}.part" ] ||
        fail "left behind: $(ls -A "$T/o4")"
    rm "$T/o4/.g4.${t%%:*}.part"
done
"$V2KVM" --no-convert -q -i disk "$T/top.qcow2" -on g4 -o local -os "$T/o4"
[ -z "$(find "$T/o4" -name '*.part')" ] || fail "a .part left after success"
# A successful run leaves no partial and the right content.
"$V2KVM_IMG" convert "$T/top.qcow2" "$T/ok.raw"
[ ! -e "$T/ok.raw.v2k-partial" ] || fail "partial left after success"
qemu-img compare -q "$T/top.qcow2" "$T/ok.raw" || fail "convert differs"

# --- 5: FIFOs and other non-regular files are refused, not waited on --
mkfifo "$T/disk.fifo" "$T/vm.vmx"
expect_fail timeout 20 "$V2KVM_IMG" info "$T/disk.fifo"
assert_grep "disk.fifo: is a FIFO, not a regular file or a block device" "$T/err"
expect_fail timeout 20 "$V2KVM_IMG" convert -f raw "$T/disk.fifo" "$T/o.raw"
assert_grep "disk.fifo: is a FIFO" "$T/err"
expect_fail timeout 20 "$V2KVM" --no-convert -i disk "$T/disk.fifo" -o null
assert_grep "disk.fifo: is a FIFO" "$T/err"
expect_fail timeout 20 "$V2KVM" --no-convert -i vmx "$T/vm.vmx" --print-source
assert_grep "vm.vmx: is a FIFO, not a regular file" "$T/err"
expect_fail timeout 20 "$V2KVM" --no-convert -i libvirtxml "$T/vm.vmx" --print-source
assert_grep "vm.vmx: is a FIFO, not a regular file" "$T/err"
# A disk named in a .vmx that is a FIFO.
cat >"$T/f.vmx" <<VMX
config.version = "8"
virtualHW.version = "16"
displayName = "f"
guestOS = "other-64"
memsize = "512"
scsi0.present = "TRUE"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "disk.fifo"
VMX
expect_fail timeout 20 "$V2KVM" --no-convert -i vmx "$T/f.vmx" --print-source
assert_grep "disk.fifo: is a FIFO" "$T/err"
# A socket, a character device, a directory.
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/sock"
expect_fail timeout 20 "$V2KVM_IMG" info "$T/sock"
assert_grep "sock: is a socket" "$T/err"
expect_fail timeout 20 "$V2KVM_IMG" info /dev/null
assert_grep "/dev/null: is a character device" "$T/err"
expect_fail timeout 20 "$V2KVM" --no-convert -i xen "$T" --print-source
assert_grep "is a directory, not a regular file" "$T/err"
echo OK
