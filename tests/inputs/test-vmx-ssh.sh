#!/bin/bash
# -i vmx vmx+ssh://root@HOST:PORT/vmfs/volumes/datastore1/VM/VM.vmx
# (and virt-v2v's -i vmx -it ssh ssh://...)
# against a real sshd on 127.0.0.1 (tests/remote/sshd-lib.sh) serving a
# fake ESXi datastore under $T: the .vmx is read over SFTP, a disk named
# relative to it (a monolithicFlat descriptor whose extent is found next
# to it) and one named by an absolute path become sftp:// URIs.  Checked:
# --print-source JSON field by field, a --no-convert -o local conversion
# whose disks equal the datastore's files (qemu-img compare), and one
# clear line for a wrong -io ssh-identity key, an unknown host key
# (accepted with -io ssh-insecure and a warning) and a missing .vmx.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../remote/sshd-lib.sh"
. "$(dirname "$0")/../lib/vcsim/vcsim-lib.sh"
need qemu-img qemu-io jq
start_sshd
known_hosts_for "$SSHD_PORT"

DS=$T/vmfs/volumes/datastore1
ABS_DATA=$DS/shared/data.vmdk make_vm "$DS/web01" web01
mkdir -p "$DS/shared"
mv "$DS/web01/data.vmdk" "$DS/shared/data.vmdk"
SRC="vmx+ssh://root@127.0.0.1:$SSHD_PORT$DS/web01/web01.vmx"
U="sftp://root@127.0.0.1:$SSHD_PORT"

"$V2KVM" -i vmx "$SRC" --print-source --machine-readable >"$T/all" \
    2>"$T/err" || { cat "$T/err" >&2; fail "--print-source"; }
grep -v '"type":"warning"' "$T/all" >"$T/src.json"
jq -e '.name == "web01" and .hypervisor == "vmware" and .vcpus == 2
  and .memory_bytes == 1073741824 and .os_hint == "debian10-64"
  and (.disks | length) == 3
  and .disks[0].device == "cdrom" and .disks[0].path == null
  and .disks[1].path == "'"$U$DS/web01/web01.vmdk"'"
  and .disks[1].transport == "sftp" and .disks[1].format == "vmdk"
  and .disks[1].size_bytes == 8388608 and .disks[1].bus == "scsi"
  and .disks[2].path == "'"$U$DS/shared/data.vmdk"'"
  and .disks[2].transport == "sftp" and .disks[2].size_bytes == 4194304
  and .nics[0].mac == "00:0c:29:aa:bb:cc" and .nics[0].model == "vmxnet3"' \
    "$T/src.json" >/dev/null || fail "print-source: $(cat "$T/src.json")"

mkdir "$T/out"
"$V2KVM" -q -i vmx "$SRC" -o local -os "$T/out" --no-convert 2>"$T/err" ||
    { cat "$T/err" >&2; fail "conversion"; }
qemu-img compare -q -f vmdk -F qcow2 "$DS/web01/web01.vmdk" \
    "$T/out/web01-sda" || fail "disk 1 differs"
qemu-img compare -q -f vmdk -F qcow2 "$DS/shared/data.vmdk" \
    "$T/out/web01-sdb" || fail "disk 2 differs"

# virt-v2v's spelling: -it ssh ssh://...: the same source, the same disks.
"$V2KVM" -i vmx -it ssh "ssh://${SRC#vmx+ssh://}" --print-source \
    --machine-readable 2>"$T/err" | grep -v '"type":"warning"' \
    >"$T/src-it.json" || { cat "$T/err" >&2; fail "-it ssh"; }
cmp "$T/src.json" "$T/src-it.json" || fail "-it ssh: another source"
mkdir "$T/out-it"
"$V2KVM" -q -i vmx -it ssh "ssh://${SRC#vmx+ssh://}" -o local \
    -os "$T/out-it" --no-convert 2>"$T/err" ||
    { cat "$T/err" >&2; fail "-it ssh conversion"; }
qemu-img compare -q -f vmdk -F qcow2 "$DS/web01/web01.vmdk" \
    "$T/out-it/web01-sda" || fail "-it ssh: disk 1 differs"
# -it ssh with a local path; -it with another input mode or value.
expect_fail "$V2KVM" -i vmx -it ssh "$DS/web01/web01.vmx" --print-source
assert_grep "^v2kvm: error: -i vmx -it ssh: expected ssh://\[USER@\]HOST\[:PORT\]/PATH.vmx, not '$DS/web01/web01.vmx'" "$T/err"
expect_fail "$V2KVM" -i xen -it ssh guest --print-source
assert_grep "^v2kvm: error: -it ssh: only with -i vmx" "$T/err"
expect_fail "$V2KVM" -i vmx -it vddk "$SRC" --print-source
assert_grep "^v2kvm: error: -it vddk: only with -ic esx://HOST or vpx://" "$T/err"
expect_fail "$V2KVM" -i vmx -it nfs "$SRC" --print-source
assert_grep "^v2kvm: error: -it 'nfs': unknown input transport" "$T/err"

# A wrong key given with -io ssh-identity.
ssh-keygen -q -t ed25519 -N "" -f "$T/id_wrong" -C wrong
expect_fail "$V2KVM" -i vmx -io "ssh-identity=$T/id_wrong" "$SRC" \
    --print-source
[ "$(wc -l <"$T/err")" = 1 ] || fail "wrong key: not one line"
assert_grep "^v2kvm: error: -i vmx: .*SSH authentication as 'root' on \[127.0.0.1\]:$SSHD_PORT failed (tried key $T/id_wrong)" "$T/err"

# An unknown host key; -io ssh-insecure accepts it with a warning.
: >"$HOME/.ssh/known_hosts"
expect_fail "$V2KVM" -i vmx "$SRC" --print-source
[ "$(wc -l <"$T/err")" = 1 ] || fail "host key: not one line"
assert_grep "host key of \[127.0.0.1\]:$SSHD_PORT is not in" "$T/err"
"$V2KVM" -i vmx -io ssh-insecure "$SRC" --print-source >/dev/null \
    2>"$T/err" || { cat "$T/err"; fail "-io ssh-insecure"; }
assert_grep "warning: .*not checking the SSH host key" "$T/err"
known_hosts_for "$SSHD_PORT"

# A missing .vmx; a URI without a path.
expect_fail "$V2KVM" -i vmx "${SRC%web01.vmx}nosuch.vmx" --print-source
[ "$(wc -l <"$T/err")" = 1 ] || fail "missing vmx: not one line"
assert_grep "^v2kvm: error: -i vmx: $U$DS/web01/nosuch.vmx: no such file on \[127.0.0.1\]:$SSHD_PORT" "$T/err"
expect_fail "$V2KVM" -i vmx "vmx+ssh://root@127.0.0.1:$SSHD_PORT" \
    --print-source
assert_grep "expected vmx+ssh://\[USER@\]HOST\[:PORT\]/PATH.vmx" "$T/err"
echo "test-vmx-ssh: ok"
