#!/bin/bash
# -ic vpx://root@VCENTER/DC/CLUSTER/HOST NAME against govmomi's vCenter
# simulator on 127.0.0.1 (tests/lib/vcsim): the datacenter is found as
# the first prefix of the URI's path that is a Datacenter, the host part
# must exist, the VM is found by inventory path DC/vm/NAME, and its .vmx
# and disks are read through /folder?dcPath=DC&dsName=DS.  Checked:
# --print-source JSON, a --no-convert conversion equal to the datastore's
# files (qemu-img compare) for a VM on a cluster's resource pool and one
# on a standalone host, and one clear line for a wrong host path, a
# powered-on VM, a VM that does not exist, a wrong password and a vpx://
# without a user.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../remote/sshd-lib.sh"
. "$(dirname "$0")/../lib/vcsim/vcsim-lib.sh"
need qemu-img qemu-io jq python3

start_vcsim vpx DC0_C0_RP0_VM0,DC0_H0_VM0
[ "$VC_DC" = DC0 ] || fail "VPX model: datacenter '$VC_DC'"
for vm in DC0_C0_RP0_VM0 DC0_H0_VM0 DC0_H0_VM1; do
    make_vm "$VC_DSDIR/$vm" "$vm"
done
H="root@$VC_HOSTPORT"
IC="vpx://$H/DC0/DC0_C0/DC0_C0_H0?no_verify=1"
F="https://$VC_HOSTPORT/folder"
Q="dcPath=DC0&dsName=$VC_DS"
VM=DC0_C0_RP0_VM0

"$V2KVM" -i libvirt -ic "$IC" -ip "$T/password" "$VM" --print-source \
    --machine-readable 2>"$T/err" | grep -v '"type":"warning"' \
    >"$T/src.json" || { cat "$T/err" >&2; fail "--print-source"; }
jq -e '.name == "'"$VM"'" and .hypervisor == "vmware"
  and .memory_bytes == 1073741824 and (.disks | length) == 3
  and .disks[1].path == "'"$F/$VM/$VM.vmdk?$Q"'"
  and .disks[1].transport == "https" and .disks[1].size_bytes == 8388608
  and .disks[2].path == "'"$F/$VM/data.vmdk?$Q"'"
  and .disks[2].size_bytes == 4194304' "$T/src.json" >/dev/null ||
    fail "print-source: $(cat "$T/src.json")"

# Conversions: a VM in a cluster, one on a standalone host (its compute
# resource is the host: vpx://VCENTER/DC/HOST).
for c in "DC0_C0/DC0_C0_H0 DC0_C0_RP0_VM0" "DC0_H0 DC0_H0_VM0"; do
    set -- $c
    mkdir "$T/out-$2"
    "$V2KVM" -q -ic "vpx://$H/DC0/$1?no_verify=1" -ip "$T/password" "$2" \
        -o local -os "$T/out-$2" --no-convert 2>"$T/err" ||
        { cat "$T/err" >&2; fail "conversion of $2"; }
    qemu-img compare -q -f vmdk -F qcow2 "$VC_DSDIR/$2/$2.vmdk" \
        "$T/out-$2/$2-sda" || fail "$2: disk 1 differs"
    qemu-img compare -q -f vmdk -F qcow2 "$VC_DSDIR/$2/data.vmdk" \
        "$T/out-$2/$2-sdb" || fail "$2: disk 2 differs"
done

# Errors, one line each.
one_line() {
    grep -v warning "$T/err" >"$T/err1" || true
    [ "$(wc -l <"$T/err1")" = 1 ] || { cat "$T/err"; fail "$1: not one line"; }
    assert_grep "$2" "$T/err1"
}
expect_fail "$V2KVM" -ic "vpx://$H/DC0/nosuchhost?no_verify=1" \
    -ip "$T/password" "$VM" --print-source
one_line "host" "datacenter DC0 has no host or cluster 'nosuchhost'"
expect_fail "$V2KVM" -ic "vpx://$H/NoDC/h?no_verify=1" -ip "$T/password" \
    "$VM" --print-source
one_line "datacenter" "no datacenter at the start of 'NoDC/h'"
expect_fail "$V2KVM" -ic "vpx://$H/DC0/DC0_H0?no_verify=1" \
    -ip "$T/password" DC0_H0_VM1 --print-source
one_line "powered on" "VM 'DC0_H0_VM1' is poweredOn: shut it down first"
expect_fail "$V2KVM" -ic "$IC" -ip "$T/password" nosuchvm --print-source
one_line "no VM" "no VM called 'nosuchvm' in datacenter DC0$"
echo wrong-password-5678 >"$T/wrong"
expect_fail "$V2KVM" -ic "$IC" -ip "$T/wrong" "$VM" --print-source
one_line "password" "Login failed: .*(InvalidLogin"
grep -q wrong-password "$T/err" && fail "the wrong password was printed"
expect_fail "$V2KVM" -ic "vpx://$VC_HOSTPORT/DC0/DC0_H0" -ip "$T/password" \
    "$VM" --print-source
one_line "user" "vpx:// needs the vCenter user"
echo "test-vpx: ok"
