#!/bin/bash
# -i xen -ic xen+ssh://root@HOST NAME against a real sshd on 127.0.0.1
# (tests/remote/sshd-lib.sh) serving a fake dom0 under $T: the guest's
# xl.cfg is read over SFTP (from -io xen-config=PATH, and from the
# default /etc/xen/NAME.cfg search: the test, run as root, puts a file
# there and removes it on exit), its disks -- an absolute path and one
# relative to the config's directory -- become sftp:// URIs, and -o
# local writes disks equal to the dom0's files (qemu-img compare).
# --print-source JSON is checked field by field.  Failures are one clear
# line: a missing guest (naming the paths searched), a wrong -io
# ssh-identity key, an unknown host key (and -io ssh-insecure accepting
# it with a warning), bad -ic URIs, an unknown -io option (exit status
# 2); an empty file opens with size 0 (st_size of a regular file is
# trusted); a connection cut every 1.5 MiB is resumed to identical
# disks.  phy: block devices: test-xen-ssh-block.sh.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../remote/sshd-lib.sh"
need qemu-img qemu-io jq
start_sshd
known_hosts_for "$SSHD_PORT"
IC=xen+ssh://root@127.0.0.1:$SSHD_PORT
U=sftp://root@127.0.0.1:$SSHD_PORT

# The fake dom0: /etc/xen/guest1.cfg and /var/lib/xen/images under $T.
D=$T/dom0
mkdir -p "$D/etc/xen" "$D/var/lib/xen/images"
qemu-img create -q -f raw "$D/var/lib/xen/images/disk0.img" 6M
qemu-io -f raw -c 'write -P 0x5a 0 1M' -c 'write -P 0x17 5M 64k' \
    "$D/var/lib/xen/images/disk0.img" >/dev/null
qemu-img create -q -f qcow2 "$D/etc/xen/data.qcow2" 4M
qemu-io -f qcow2 -c 'write -P 0x33 1M 512k' "$D/etc/xen/data.qcow2" \
    >/dev/null
cat >"$D/etc/xen/guest1.cfg" <<EOC
name = "guest1"
type = "pv"
bootloader = "pygrub"
memory = 1024
vcpus = 2
disk = [ 'phy:$D/var/lib/xen/images/disk0.img,xvda,w',
         'format=qcow2, vdev=xvdb, target=data.qcow2' ]
vif = [ 'mac=00:16:3e:12:34:56,bridge=xenbr1' ]
EOC
XC=(-io "xen-config=$D/etc/xen/guest1.cfg")

src() { "$V2KVM" --no-convert -i xen -ic "$IC" "$@" --print-source --machine-readable |
        grep -v '"type":"warning"'; }
src "${XC[@]}" guest1 >"$T/src.json" || fail "--print-source failed"
jq -e '.name == "guest1" and .hypervisor == "xen" and .xen_type == "pv"
  and .memory_bytes == 1073741824 and .vcpus == 2
  and (.disks | length) == 2
  and .disks[0].path == "'"$U$D"'/var/lib/xen/images/disk0.img"
  and .disks[0].transport == "sftp" and .disks[0].format == "raw"
  and .disks[0].size_bytes == 6291456 and .disks[0].target_dev == "xvda"
  and .disks[1].path == "'"$U$D"'/etc/xen/data.qcow2"
  and .disks[1].transport == "sftp" and .disks[1].format == "qcow2"
  and .disks[1].size_bytes == 4194304 and .disks[1].bus == "xen"
  and .nics[0].mac == "00:16:3e:12:34:56" and .nics[0].network == "xenbr1"' \
    "$T/src.json" >/dev/null || fail "print-source: $(cat "$T/src.json")"

# Conversion: the disks equal the dom0's files.
mkdir "$T/out"
"$V2KVM" --no-convert -q -i xen -ic "$IC" "${XC[@]}" guest1 -o local -os "$T/out" ||
    fail "xen+ssh conversion failed"
qemu-img compare -q -f raw -F qcow2 "$D/var/lib/xen/images/disk0.img" \
    "$T/out/guest1-sda" || fail "disk 1 differs"
qemu-img compare -q -f qcow2 -F qcow2 "$D/etc/xen/data.qcow2" \
    "$T/out/guest1-sdb" || fail "disk 2 differs"

# The default search finds /etc/xen/NAME.cfg (relative disk paths then
# resolve in /etc/xen: use absolute ones).
G=v2k-test-$$
created_etc_xen=
[ -d /etc/xen ] || { mkdir -p /etc/xen; created_etc_xen=1; }
cleanup_etc() {
    rm -f "/etc/xen/$G.cfg"
    [ -z "$created_etc_xen" ] || rmdir /etc/xen 2>/dev/null || true
    _remote_cleanup
}
trap cleanup_etc EXIT
sed -e "s|target=data.qcow2|target=$D/etc/xen/data.qcow2|" \
    -e "s|\"guest1\"|\"$G\"|" "$D/etc/xen/guest1.cfg" >"/etc/xen/$G.cfg"
src "$G" >"$T/src2.json" || fail "default search failed"
jq -e '.name == "'"$G"'" and .disks[1].path == "'"$U$D"'/etc/xen/data.qcow2"' \
    "$T/src2.json" >/dev/null || fail "default search: $(cat "$T/src2.json")"

# A missing guest names every path searched.
expect_fail "$V2KVM" --no-convert -i xen -ic "$IC" nosuchguest --print-source
assert_grep "^v2kvm: error: -i xen: guest 'nosuchguest' not found on root@127.0.0.1:$SSHD_PORT (no /etc/xen/nosuchguest.cfg, /etc/xen/nosuchguest or /etc/xen/auto/nosuchguest.cfg)" "$T/err"
[ "$(wc -l <"$T/err")" = 1 ] || fail "missing guest: more than one line"
expect_fail "$V2KVM" --no-convert -i xen -ic "$IC" -io xen-config=/nonexistent.cfg g \
    --print-source
assert_grep "$U/nonexistent.cfg: no such file on \[127.0.0.1\]:$SSHD_PORT" \
    "$T/err"

# A wrong key given with -io ssh-identity (it wins over the environment).
ssh-keygen -q -t ed25519 -N "" -f "$T/id_wrong" -C wrong
expect_fail "$V2KVM" --no-convert -i xen -ic "$IC" "${XC[@]}" \
    -io "ssh-identity=$T/id_wrong" guest1 --print-source
assert_grep "SSH authentication as 'root' on \[127.0.0.1\]:$SSHD_PORT failed (tried key $T/id_wrong)" "$T/err"
# The right one given with -io only.
V2K_SSH_IDENTITY= src "${XC[@]}" -io "ssh-identity=$T/id_user" guest1 \
    >/dev/null || fail "-io ssh-identity not used"

# Unknown host key; -io ssh-insecure accepts it with a warning.
: >"$HOME/.ssh/known_hosts"
expect_fail "$V2KVM" --no-convert -i xen -ic "$IC" "${XC[@]}" guest1 --print-source
assert_grep "host key of \[127.0.0.1\]:$SSHD_PORT is not in" "$T/err"
"$V2KVM" --no-convert -i xen -ic "$IC" "${XC[@]}" -io ssh-insecure guest1 \
    --print-source >/dev/null 2>"$T/err" || { cat "$T/err"; fail "insecure"; }
assert_grep "warning: .*not checking the SSH host key" "$T/err"
known_hosts_for "$SSHD_PORT"

# An empty regular file is no block device: it opens with size 0.
: >"$D/empty.img"
V2K_DEBUG=1 "$V2KVM_IMG" convert -f raw -O raw "$U$D/empty.img" \
    "$T/empty.raw" >"$T/empty.out" 2>&1 || true
assert_grep "empty.img: 0 bytes over SFTP" "$T/empty.out"
! grep -q "block device" "$T/empty.out" || fail "empty file taken for a device"

# Bad -ic URIs and options: usage or input errors naming them.
expect_fail "$V2KVM" --no-convert -i xen -ic "xen+ssh://root:pw@127.0.0.1" g --print-source
assert_grep "a password in the URI is not allowed" "$T/err"
! grep -q ':pw@' "$T/err" || fail "password printed"
expect_fail "$V2KVM" --no-convert -i xen -ic "vbox+ssh://127.0.0.1" g --print-source
assert_grep "expected xen+ssh://\[USER@\]HOST\[:PORT\]" "$T/err"
rc=0
"$V2KVM" --no-convert -i xen -ic "$IC" -io bogus=1 g --print-source 2>"$T/err" || rc=$?
[ "$rc" = 2 ] || fail "unknown -io option: exit status $rc, not 2"
assert_grep "^v2kvm: error: -io 'bogus=1': unknown input option" "$T/err"

# Every connection cut after 1.5 MiB from the server: reads resume,
# the disks are identical.
start_proxy always $((1536 << 10))
known_hosts_for "$PROXY_PORT"
mkdir "$T/out2"
"$V2KVM" --no-convert -q -i xen -ic "xen+ssh://root@127.0.0.1:$PROXY_PORT" "${XC[@]}" \
    guest1 -o local -os "$T/out2" --parallel 1 2>"$T/cut.err" ||
    { cat "$T/cut.err"; fail "cut connection not resumed"; }
assert_grep "cut after" "$T/proxy.log"
qemu-img compare -q -f raw -F qcow2 "$D/var/lib/xen/images/disk0.img" \
    "$T/out2/guest1-sda" || fail "disk 1 differs after cuts"
qemu-img compare -q -f qcow2 -F qcow2 "$D/etc/xen/data.qcow2" \
    "$T/out2/guest1-sdb" || fail "disk 2 differs after cuts"
stop_proxy
echo PASS
