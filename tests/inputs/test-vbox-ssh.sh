#!/bin/bash
# -i vbox -ic vbox+ssh://root@HOST NAME against a real sshd on 127.0.0.1
# (tests/remote/sshd-lib.sh).  The SFTP server starts in $T/vhome
# (internal-sftp -d), which is what "~" means to SFTP clients, so the
# default ~/VirtualBox VMs/NAME/NAME.vbox is found there.  The VirtualBox
# 6.1 fixture's current state is a differencing VDI two levels above
# its base (mkvdi.py chain): the chain is read over SFTP with parents
# named relative to the image, and -o local writes the flattened disk
# mkvdi.py computed.  -io vbox-file=PATH reads the 7.0 fixture (VMDK and
# VHD in a subdirectory), compared with qemu-img.  --print-source JSON
# is checked field by field (sftp:// URIs, transport "sftp").  Failures:
# a missing machine (naming the path), a wrong -io ssh-identity key, an
# unknown host key; a connection cut every 1.5 MiB is resumed.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../remote/sshd-lib.sh"
need qemu-img qemu-io jq python3
data=$V2K_SOURCE_DIR/tests/data/vbox
mkvdi=$V2K_SOURCE_DIR/tests/lib/mkvdi.py
start_sshd
known_hosts_for "$SSHD_PORT"
# The SFTP session starts in $T/vhome: "~" for libcurl (it asks the
# server for the real path of ".").
mkdir -p "$T/vhome"
sed -i "s|^Subsystem sftp internal-sftp\$|Subsystem sftp internal-sftp -d $T/vhome|" \
    "$T/sshd_config"
kill -HUP "$(cat "$T/sshd.pid")"
sleep 0.5
wait_port "$SSHD_PORT"
IC=vbox+ssh://root@127.0.0.1:$SSHD_PORT
U=sftp://root@127.0.0.1:$SSHD_PORT

# VirtualBox 6.1: base.vdi <- Snapshots/{d1}.vdi <- Snapshots/{d2}.vdi.
top=$(python3 "$mkvdi" chain "$T/c")
vdi_uuid() {
    python3 -c 'import sys, uuid
h = open(sys.argv[1], "rb").read(0x1b8)
o = int(sys.argv[2], 0)
print(uuid.UUID(bytes_le=h[o:o + 16]))' "$1" "$2"
}
d2=$(vdi_uuid "$top" 0x188)
d1=$(vdi_uuid "$top" 0x1a8)
base=$(vdi_uuid "$T/c/vm/base.vdi" 0x188)
vm="$T/vhome/VirtualBox VMs/ubuntu20"
mkdir -p "$T/vhome/VirtualBox VMs"
cp -r "$T/c/vm" "$vm"
sed -e "s/@BASE@/$base/g" -e "s/@DIFF1@/$d1/g" -e "s/@DIFF2@/$d2/g" \
    "$data/vm61.vbox" >"$vm/ubuntu20.vbox"

"$V2KVM" --no-convert -i vbox -ic "$IC" ubuntu20 --print-source --machine-readable |
    grep -v '"type":"warning"' >"$T/src.json" || fail "--print-source failed"
VU="$U/~/VirtualBox%20VMs/ubuntu20"
jq -e '.name == "ubuntu20" and .hypervisor == "virtualbox"
  and .memory_bytes == 2147483648 and .vcpus == 2 and (.disks | length) == 2
  and .disks[0].device == "cdrom" and .disks[0].transport == "sftp"
  and .disks[0].path == "'"$U"'/usr/share/virtualbox/VBoxGuestAdditions.iso"
  and .disks[1].device == "disk" and .disks[1].format == "vdi"
  and .disks[1].transport == "sftp"
  and .disks[1].path == "'"$VU/Snapshots/%7B$d2%7D.vdi"'"
  and .disks[1].parent_chain == ["{'"$d1"'}.vdi", "../base.vdi"]
  and .disks[1].size_bytes == 8388608 and .disks[1].bus == "sata"
  and .nics[0].mac == "08:00:27:a1:b2:c3"' "$T/src.json" >/dev/null ||
    fail "print-source: $(cat "$T/src.json")"

mkdir "$T/out1"
"$V2KVM" --no-convert -q -i vbox -ic "$IC" ubuntu20 -o local -os "$T/out1" \
    2>/dev/null ||
    fail "vbox+ssh conversion failed"
qemu-img compare -q -f raw -F qcow2 "$T/c/expected-top.raw" \
    "$T/out1/ubuntu20-sda" || fail "6.1: the current state differs"

# VirtualBox 7.0 elsewhere, named with -io vbox-file=PATH.
mkdir -p "$T/w/data"
qemu-img create -q -f vmdk "$T/w/win11.vmdk" 16M
qemu-io -f vmdk -c 'write -P 0x71 0 1M' -c 'write -P 0x72 15M 1M' \
    "$T/w/win11.vmdk" >/dev/null
qemu-img create -q -f vpc "$T/w/data/data.vhd" 4M
qemu-io -f vpc -c 'write -P 0x73 1M 64k' "$T/w/data/data.vhd" >/dev/null
cp "$data/vm70.vbox" "$T/w/win11.vbox"
"$V2KVM" --no-convert -i vbox -ic "$IC" -io "vbox-file=$T/w/win11.vbox" win11 \
    --print-source --machine-readable | grep -v '"type":"warning"' \
    >"$T/src2.json" || fail "-io vbox-file: --print-source failed"
jq -e '.name == "win11" and .disks[0].path == "'"$U$T"'/w/win11.vmdk"
  and .disks[0].format == "vmdk" and .disks[0].transport == "sftp"
  and .disks[0].size_bytes == 16777216' "$T/src2.json" >/dev/null ||
    fail "7.0: $(cat "$T/src2.json")"
mkdir "$T/out2"
"$V2KVM" --no-convert -q -i vbox -ic "$IC" -io "vbox-file=$T/w/win11.vbox" win11 \
    -o local -os "$T/out2" 2>/dev/null ||
    fail "7.0 conversion failed"
qemu-img compare -q -f vmdk -F qcow2 "$T/w/win11.vmdk" "$T/out2/win11-sda" ||
    fail "7.0: VMDK differs"
qemu-img compare -q -f vpc -F qcow2 "$T/w/data/data.vhd" \
    "$T/out2/win11-sdb" || fail "7.0: VHD differs"

# A missing machine names the path looked at.
expect_fail "$V2KVM" --no-convert -i vbox -ic "$IC" nosuch --print-source
assert_grep "^v2kvm: error: -i vbox: machine 'nosuch' not found on root@127.0.0.1:$SSHD_PORT (no /~/VirtualBox VMs/nosuch/nosuch.vbox; give its location with -io vbox-file=PATH)" "$T/err"
[ "$(wc -l <"$T/err")" = 1 ] || fail "missing machine: more than one line"
# A wrong key; an unknown host key.
ssh-keygen -q -t ed25519 -N "" -f "$T/id_wrong" -C wrong
expect_fail "$V2KVM" --no-convert -i vbox -ic "$IC" -io "ssh-identity=$T/id_wrong" \
    ubuntu20 --print-source
assert_grep "SSH authentication as 'root' on \[127.0.0.1\]:$SSHD_PORT failed (tried key $T/id_wrong)" "$T/err"
: >"$HOME/.ssh/known_hosts"
expect_fail "$V2KVM" --no-convert -i vbox -ic "$IC" ubuntu20 --print-source
assert_grep "host key of \[127.0.0.1\]:$SSHD_PORT is not in" "$T/err"
known_hosts_for "$SSHD_PORT"
expect_fail "$V2KVM" --no-convert -i vbox -ic "$IC" a b --print-source
assert_grep "with -ic give the machine's NAME" "$T/err"

# Every connection cut after 1.5 MiB: resumed, identical.
start_proxy always $((1536 << 10))
known_hosts_for "$PROXY_PORT"
mkdir "$T/out3"
"$V2KVM" --no-convert -q -i vbox -ic "vbox+ssh://root@127.0.0.1:$PROXY_PORT" ubuntu20 \
    -o local -os "$T/out3" --parallel 1 2>"$T/cut.err" ||
    { cat "$T/cut.err"; fail "cut connection not resumed"; }
assert_grep "cut after" "$T/proxy.log"
qemu-img compare -q -f raw -F qcow2 "$T/c/expected-top.raw" \
    "$T/out3/ubuntu20-sda" || fail "differs after cuts"
stop_proxy
echo PASS
