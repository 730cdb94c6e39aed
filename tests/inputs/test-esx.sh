#!/bin/bash
# -ic esx://root@HOST NAME against govmomi's ESX simulator on 127.0.0.1
# (tests/lib/vcsim): the SOAP client logs in with the password from -ip,
# finds the VM, reads its power state and .vmx path, then reads the .vmx
# and the disks -- a monolithicFlat descriptor with its extent next to
# the .vmx, and a sparse VMDK named by an absolute /vmfs/volumes/DS/
# path -- through the datastore's /folder endpoint with the session
# cookie.  Checked: --print-source JSON field by field (with -i libvirt
# and with -i left out), a --no-convert conversion whose disks equal the
# datastore's files (qemu-img compare) and which logs out at exit, TLS verified by default (the
# simulator's self-signed certificate refused; accepted with -io
# cafile=), a disk named /vmfs/volumes/UUID/... (the datastore's UUID)
# mapped to its datastore, virt-v2v's -it vddk -io vddk-* accepted with a warning
# (VDDK is not used), and one clear line for a powered-on VM, a wrong password
# (never printed), a VM that does not exist, a missing -ip.  A proxy
# that cuts every connection after 1.5 MiB: the copy resumes and the
# disks are identical.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../remote/sshd-lib.sh"
. "$(dirname "$0")/../lib/vcsim/vcsim-lib.sh"
need qemu-img qemu-io jq python3

start_vcsim esx ha-host_VM0
VM=ha-host_VM0
[ "$VC_DC" = ha-datacenter ] || fail "ESX model: datacenter '$VC_DC'"
ABS_DATA=/vmfs/volumes/$VC_DS/shared/data.vmdk make_vm "$VC_DSDIR/$VM" "$VM"
mkdir -p "$VC_DSDIR/shared"
mv "$VC_DSDIR/$VM/data.vmdk" "$VC_DSDIR/shared/data.vmdk"
make_vm "$VC_DSDIR/ha-host_VM1" ha-host_VM1
IC="esx://root@$VC_HOSTPORT/?no_verify=1"
F="https://$VC_HOSTPORT/folder"
Q="dcPath=ha-datacenter&dsName=$VC_DS"

src() {   # warnings (and -v's debug) are JSON lines on stdout: to $T/err
    "$V2KVM" "$@" --print-source --machine-readable >"$T/all" 2>"$T/err" ||
        { cat "$T/err" >&2; fail "--print-source $*"; }
    grep -E '"type":"(warning|debug)"' "$T/all" >>"$T/err" || true
    grep -vE '"type":"(warning|debug)"' "$T/all" >"$T/src.json"
}
src -i libvirt -ic "$IC" -ip "$T/password" "$VM"
jq -e '.name == "'"$VM"'" and .hypervisor == "vmware"
  and .firmware == "bios" and .memory_bytes == 1073741824 and .vcpus == 2
  and .os_hint == "debian10-64" and (.disks | length) == 3
  and .disks[0].device == "cdrom" and .disks[0].path == null
  and .disks[1].path == "'"$F/$VM/$VM.vmdk?$Q"'"
  and .disks[1].transport == "https" and .disks[1].format == "vmdk"
  and .disks[1].size_bytes == 8388608 and .disks[1].bus == "scsi"
  and .disks[2].path == "'"$F/shared/data.vmdk?$Q"'"
  and .disks[2].format == "vmdk" and .disks[2].size_bytes == 4194304
  and .nics[0].mac == "00:0c:29:aa:bb:cc" and .nics[0].model == "vmxnet3"
  and .nics[0].network == "VM Network"' "$T/src.json" >/dev/null ||
    fail "print-source: $(cat "$T/src.json")"
assert_grep "not verifying the TLS certificate" "$T/err"
# The password is in no message.
grep -qF "$(cat "$T/password")" "$T/err" && fail "the password was printed"

# The data disk named by the datastore's UUID, as ESXi writes a disk on
# another datastore: /vmfs/volumes/UUID/..., the last component of the
# datastore's summary.url (ds:///vmfs/volumes/UUID/ on ESXi; the
# simulator's is its directory).  The same source; the rest of the test
# (the conversion too) reads the .vmx in this form.
cp "$T/src.json" "$T/src-byname.json"
DSUUID=$(basename "$VC_DSDIR")
sed -i "s|/vmfs/volumes/$VC_DS/shared/|/vmfs/volumes/$DSUUID/shared/|" \
    "$VC_DSDIR/$VM/$VM.vmx"
assert_grep "/vmfs/volumes/$DSUUID/shared/data.vmdk" "$VC_DSDIR/$VM/$VM.vmx"
src -v -i libvirt -ic "$IC" -ip "$T/password" "$VM"
cmp "$T/src-byname.json" "$T/src.json" ||
    fail "UUID path: $(cat "$T/src.json")"
assert_grep "/vmfs/volumes/$DSUUID is datastore $VC_DS" "$T/err"

# -i left out: -ic esx:// means -i libvirt (virt-v2v's name).
src -ic "$IC" -ip "$T/password" "$VM"
jq -e '.disks[1].transport == "https"' "$T/src.json" >/dev/null ||
    fail "default -i: $(cat "$T/src.json")"

# virt-v2v's -it vddk and its -io vddk-* options: accepted, a warning
# says VDDK is not used, the same source.  Without -it vddk they fail.
cp "$T/src.json" "$T/src-plain.json"
src -it vddk -io vddk-libdir=/opt/vmware-vix-disklib-distrib \
    -io vddk-thumbprint=12:34:56 -ic "$IC" -ip "$T/password" "$VM"
cmp "$T/src-plain.json" "$T/src.json" || fail "-it vddk: another source"
assert_grep "\"message\":\"-it vddk: VMware's VDDK is not used; the disks are read in place over the host's HTTPS datastore interface; the -io vddk-\* options are ignored" "$T/err"
expect_fail "$V2KVM" -io vddk-libdir=/x -ic "$IC" -ip "$T/password" "$VM" \
    --print-source
assert_grep "^v2kvm: error: -io vddk-libdir: VDDK options need -it vddk" "$T/err"

# The conversion: disks equal to the datastore's files, copied with at
# least 4 ranges in flight (ESXi throttles each connection).
# The session cookie goes to the copy in a private file under TMPDIR,
# removed at exit.
# The session is ended (SessionManager.Logout, in the simulator's SOAP
# trace) at exit, after the copy that read the disks with its cookie.
mkdir "$T/out" "$T/tmp"
n0=$(grep -c '<Logout ' "$T/vcsim.log" || true)
TMPDIR=$T/tmp "$V2KVM" -v -ic "$IC" -ip "$T/password" "$VM" -o local \
    -os "$T/out" --no-convert >/dev/null 2>"$T/err" ||
    { cat "$T/err" >&2; fail "conversion"; }
# Disks read over HTTPS are copied with at least 4 ranges in flight.
for k in 1 2; do
    th=$(sed -n "s/.*disk $k: read .*, \([0-9]*\) threads$/\1/p" "$T/err")
    [ -n "$th" ] && [ "$th" -ge 4 ] ||
        { cat "$T/err" >&2; fail "disk $k copied with '$th' threads, not >= 4"; }
done
n1=$(grep -c '<Logout ' "$T/vcsim.log" || true)
[ "$n1" = $((n0 + 1)) ] || fail "not one Logout at exit ($n0 before, $n1 after)"
qemu-img compare -q -f vmdk -F qcow2 "$VC_DSDIR/$VM/$VM.vmdk" \
    "$T/out/$VM-sda" || fail "disk 1 differs"
qemu-img compare -q -f vmdk -F qcow2 "$VC_DSDIR/shared/data.vmdk" \
    "$T/out/$VM-sdb" || fail "disk 2 differs"
[ -z "$(ls -A "$T/tmp")" ] || fail "left in TMPDIR: $(ls -A "$T/tmp")"

# TLS is verified by default: the simulator's certificate is its own.
NV="esx://root@$VC_HOSTPORT/"
expect_fail "$V2KVM" -ic "$NV" -ip "$T/password" "$VM" --print-source
assert_grep "^v2kvm: error: -i libvirt: $NV: the TLS certificate of $VC_HOSTPORT is not trusted" "$T/err"
[ "$(wc -l <"$T/err")" = 1 ] || fail "TLS: more than one line"
# ... and trusted with -io cafile= (it is self-signed: its own CA).
"$V2KVM" -ic "$NV" -io "cafile=$T/vcsim-ca.pem" -ip "$T/password" "$VM" \
    --print-source >/dev/null 2>"$T/err" || { cat "$T/err"; fail "cafile"; }
grep -q warning "$T/err" && fail "cafile: a warning: $(cat "$T/err")"

# A powered-on VM is refused, and the session it logged in with is
# logged out all the same (the input's close runs on the failure path).
n0=$(grep -c '<Logout ' "$T/vcsim.log" || true)
expect_fail "$V2KVM" -ic "$IC" -ip "$T/password" ha-host_VM1 --print-source
assert_grep "^v2kvm: error: -i libvirt: $IC: VM 'ha-host_VM1' is poweredOn: shut it down first" "$T/err"
[ "$(grep -c error: "$T/err")" = 1 ] || fail "powered on: not one error line: $(cat "$T/err")"
n1=$(grep -c '<Logout ' "$T/vcsim.log" || true)
[ "$n1" = $((n0 + 1)) ] || fail "failed open: not one Logout ($n0 before, $n1 after)"

# A wrong password: the SOAP fault in one line, the password nowhere.
echo "wrong-password-1234" >"$T/wrong"
expect_fail "$V2KVM" -ic "$IC" -ip "$T/wrong" "$VM" --print-source
grep -v warning "$T/err" >"$T/err1" || true
[ "$(wc -l <"$T/err1")" = 1 ] || fail "wrong password: not one line"
assert_grep "^v2kvm: error: -i libvirt: user root: $IC: Login failed: .*(InvalidLogin" "$T/err1"
grep -q wrong-password "$T/err" && fail "the wrong password was printed"

# A VM that does not exist; no -ip; a password in the URI.
expect_fail "$V2KVM" -ic "$IC" -ip "$T/password" nosuchvm --print-source
assert_grep "^v2kvm: error: -i libvirt: $IC: no VM called 'nosuchvm' in datacenter ha-datacenter$" "$T/err"
expect_fail "$V2KVM" -ic "$IC" "$VM" --print-source
assert_grep "give the password of root in a file with -ip FILE" "$T/err"
expect_fail "$V2KVM" -ic "esx://root:pw@$VC_HOSTPORT/" "$VM" --print-source
assert_grep "a password in the URI is not allowed" "$T/err"
grep -q ":pw@" "$T/err" && fail "the URI's password was printed"
expect_fail "$V2KVM" -ic "esx://$VC_HOSTPORT/dc" "$VM" --print-source
assert_grep "an esx:// URI has no path" "$T/err"

# A connection cut every 1.5 MiB (SOAP, the .vmx and each range): the
# copy retries, resumes, and the disks are identical.
PROXY_PORT=$(free_port)
python3 "$V2K_SOURCE_DIR/tests/remote/cut-proxy.py" "$PROXY_PORT" \
    "$VC_PORT" always $((1536 * 1024)) "$T/proxy.ready" 2>"$T/proxy.log" &
_remote_pids+=($!)
for i in $(seq 100); do [ -e "$T/proxy.ready" ] && break; sleep 0.1; done
mkdir "$T/out2"
"$V2KVM" -q -ic "esx://root@127.0.0.1:$PROXY_PORT/?no_verify=1" \
    -ip "$T/password" "$VM" -o local -os "$T/out2" --no-convert \
    2>"$T/err" || { cat "$T/err" >&2; fail "conversion through the proxy"; }
assert_grep "cut after" "$T/proxy.log"
qemu-img compare -q -f vmdk -F qcow2 "$VC_DSDIR/$VM/$VM.vmdk" \
    "$T/out2/$VM-sda" || fail "disk 1 differs after the cuts"
qemu-img compare -q -f vmdk -F qcow2 "$VC_DSDIR/shared/data.vmdk" \
    "$T/out2/$VM-sdb" || fail "disk 2 differs after the cuts"
echo "test-esx: ok ($(grep -c 'cut after' "$T/proxy.log") cuts resumed)"
