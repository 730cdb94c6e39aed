#!/bin/bash
# SFTP transport against a real OpenSSH server on 127.0.0.1 (sshd-lib.sh):
# qcow2 with a backing file next to it, sparse and flat (descriptor +
# extent) VMDK and raw images read over sftp:// convert byte for byte
# like qemu-img's local reading, also with several workers; ssh:// is
# the same; an unknown host and a changed host key fail naming the host;
# V2K_SSH_INSECURE=1 works with a warning; a wrong key and a missing
# remote file fail clearly; a connection cut mid-transfer is resumed to
# an identical output, and a connection cut every time fails cleanly,
# leaving no output; a password in the URI is refused and not printed.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/sshd-lib.sh"
need qemu-img qemu-io cmp
start_sshd
known_hosts_for "$SSHD_PORT"
U=sftp://root@127.0.0.1:$SSHD_PORT$T

# Images: a qcow2 over a relative backing file, VMDKs, a raw image.
qemu-img create -q -f qcow2 "$T/base.qcow2" 4M
qemu-io -f qcow2 -c 'write -P 0x11 0 1M' -c 'write -P 0x22 3M 512k' \
    "$T/base.qcow2" >/dev/null
(cd "$T" && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2)
qemu-io -f qcow2 -c 'write -P 0x33 512k 1M' -c 'write -z 3M 64k' \
    "$T/top.qcow2" >/dev/null
qemu-img convert -O vmdk "$T/top.qcow2" "$T/sparse.vmdk"
qemu-img convert -O vmdk -o subformat=monolithicFlat "$T/top.qcow2" \
    "$T/flat.vmdk"
head -c 3M /dev/urandom >"$T/disk.raw"

check() {   # check URI LOCAL-IMAGE [v2kvm-img options]
    local uri=$1 img=$2
    shift 2
    rm -f "$T/ref.raw" "$T/out.raw"
    qemu-img convert -O raw "$img" "$T/ref.raw"
    "$V2KVM_IMG" convert "$@" -O raw "$uri" "$T/out.raw" ||
        fail "convert $uri failed"
    cmp "$T/ref.raw" "$T/out.raw" || fail "$uri: differs from qemu-img"
}
check "$U/top.qcow2" "$T/top.qcow2"
check "$U/top.qcow2" "$T/top.qcow2" -m 4 --chunk-size 64K
check "$U/sparse.vmdk" "$T/sparse.vmdk"
check "$U/flat.vmdk" "$T/flat.vmdk" -m 3 --chunk-size 256K
check "$U/disk.raw" "$T/disk.raw" -f raw
check "ssh://root@127.0.0.1:$SSHD_PORT$T/flat.vmdk" "$T/flat.vmdk"
# A qcow2 output too (the writer over a remote reader).
"$V2KVM_IMG" convert -O qcow2 "$U/top.qcow2" "$T/out.qcow2"
qemu-img compare -q "$T/top.qcow2" "$T/out.qcow2" || fail "qcow2 output"

# Unknown host: no known_hosts entry.
: >"$HOME/.ssh/known_hosts"
expect_fail "$V2KVM_IMG" convert -O raw "$U/disk.raw" "$T/x.raw"
assert_grep "host key of \[127.0.0.1\]:$SSHD_PORT is not in" "$T/err"
[ ! -e "$T/x.raw" ] || fail "output left behind"
# Insecure: accepted with a warning.
V2K_SSH_INSECURE=1 "$V2KVM_IMG" convert -O raw "$U/disk.raw" "$T/x.raw" \
    2>"$T/err" || { cat "$T/err"; fail "insecure convert failed"; }
assert_grep "warning: .*not checking the SSH host key of \[127.0.0.1\]" \
    "$T/err"
cmp "$T/disk.raw" "$T/x.raw" || fail "insecure read differs"
# Changed host key: another key under the same name.
ssh-keygen -q -t ed25519 -N '' -f "$T/other_host" -C other
echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$T/other_host.pub")" \
    >"$HOME/.ssh/known_hosts"
expect_fail "$V2KVM_IMG" convert -O raw "$U/disk.raw" "$T/x2.raw"
assert_grep "host key of \[127.0.0.1\]:$SSHD_PORT does NOT match" "$T/err"
# An explicit known_hosts file wins over ~/.ssh.
known_hosts_for "$SSHD_PORT"
mv "$HOME/.ssh/known_hosts" "$T/kh"
V2K_SSH_KNOWN_HOSTS=$T/kh "$V2KVM_IMG" convert -O raw "$U/disk.raw" \
    "$T/x3.raw" || fail "V2K_SSH_KNOWN_HOSTS not used"
mv "$T/kh" "$HOME/.ssh/known_hosts"

# Wrong key.
ssh-keygen -q -t ed25519 -N "" -f "$T/id_wrong" -C wrong
V2K_SSH_IDENTITY=$T/id_wrong expect_fail "$V2KVM_IMG" convert -O raw \
    "$U/disk.raw" "$T/x4.raw"
assert_grep "SSH authentication as 'root' on \[127.0.0.1\]:$SSHD_PORT failed" \
    "$T/err"
assert_grep "(tried key $T/id_wrong)" "$T/err"
# A missing identity file.
V2K_SSH_IDENTITY=$T/nokey expect_fail "$V2KVM_IMG" convert -O raw \
    "$U/disk.raw" "$T/x4.raw"
assert_grep "SSH identity $T/nokey: No such file" "$T/err"
# Missing remote file, and a backing file missing on the server.
expect_fail "$V2KVM_IMG" convert -O raw "$U/nothere.qcow2" "$T/x5.raw"
assert_grep "$U/nothere.qcow2: no such file on \[127.0.0.1\]:$SSHD_PORT" \
    "$T/err"
cp "$T/top.qcow2" "$T/orphan.qcow2"
mkdir "$T/sub" && mv "$T/orphan.qcow2" "$T/sub/"
expect_fail "$V2KVM_IMG" convert -O raw "$U/sub/orphan.qcow2" "$T/x6.raw"
assert_grep "$U/sub/base.qcow2: no such file" "$T/err"
# A password in the URI is refused, and never printed.
expect_fail "$V2KVM_IMG" convert -O raw \
    "sftp://root:s3cret@127.0.0.1:$SSHD_PORT$T/disk.raw" "$T/x7.raw"
assert_grep "root:\*\*\*@.*password file" "$T/err"
! grep -q s3cret "$T/err" || fail "password printed"

# A connection cut in the middle of the data (after ~1.5 MiB from the
# server): resumed, identical.
start_proxy once $((1536 << 10))
known_hosts_for "$PROXY_PORT"
P=sftp://root@127.0.0.1:$PROXY_PORT$T
V2K_DEBUG=1 "$V2KVM_IMG" convert -m 1 -O raw "$P/disk.raw" "$T/cut.raw" \
    2>"$T/cut.err" || { cat "$T/cut.err"; fail "cut transfer not resumed"; }
assert_grep "cut after" "$T/proxy.log"
assert_grep "retry 1 of 5" "$T/cut.err"
cmp "$T/disk.raw" "$T/cut.raw" || fail "resumed output differs"
stop_proxy
# Every connection cut during the handshake: a clean error, no output.
start_proxy always 200
known_hosts_for "$PROXY_PORT"
P=sftp://root@127.0.0.1:$PROXY_PORT$T
expect_fail "$V2KVM_IMG" convert -O raw "$P/disk.raw" "$T/never.raw"
assert_grep "$P/disk.raw: .*(gave up after 6 attempts)" "$T/err"
[ ! -e "$T/never.raw" ] && [ ! -e "$T/never.raw.v2k-partial" ] ||
    fail "a failed transfer left an output"
stop_proxy
known_hosts_for "$SSHD_PORT"

# v2kvm -i disk sftp://... -o local (the pipeline opens URIs).
mkdir "$T/out"
"$V2KVM" --no-convert -q -i disk "$U/top.qcow2" -o local -os "$T/out" -of raw ||
    fail "v2kvm -i disk sftp:// failed"
qemu-img compare -q -F raw "$T/top.qcow2" "$T/out/top-sda" ||
    fail "v2kvm output differs"
"$V2KVM" --no-convert -i disk "$U/top.qcow2" --print-source --machine-readable |
    jq -e '.disks[0].transport == "sftp" and .disks[0].format == "qcow2"' \
    >/dev/null || fail "--print-source does not say sftp"
echo PASS
