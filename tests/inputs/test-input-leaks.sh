#!/bin/bash
# Every input mode closes what it opened on a failed conversion (#19.3:
# the inputs' state is owned by the pipeline and closed on every path;
# nothing is left to atexit).  Each kind -- disk, vmx, xen (xl.cfg),
# libvirtxml, vbox, ova (with a gzip disk, so a temporary file exists)
# and libvirt (vSphere, against the simulator) -- fails once inside the
# input's open (a disk that is not there, a VM that is powered on) and,
# where the input opens, once after it (-os names no directory), under
# valgrind: a definite or indirect leak fails the test (valgrind's exit
# code 99), and nothing is left in TMPDIR.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../remote/sshd-lib.sh"
. "$(dirname "$0")/../lib/vcsim/vcsim-lib.sh"
need valgrind qemu-img gzip
data=$V2K_SOURCE_DIR/tests/data

cd "$T"
mkdir tmp
export TMPDIR=$T/tmp
leakcheck() {   # leakcheck WHAT V2KVM-ARGS...: must fail, must not leak
    local what=$1 rc=0
    shift
    valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=99 "$V2KVM" -q "$@" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" != 99 ] || { cat "$T/err" >&2; fail "$what: valgrind found a leak"; }
    [ "$rc" != 0 ] || fail "$what: the conversion did not fail"
    grep -q "^v2kvm: error: " "$T/err" ||
        { cat "$T/err" >&2; fail "$what: no error line"; }
    [ -z "$(ls -A tmp)" ] || fail "$what: left in TMPDIR: $(ls tmp)"
}
NOOUT=(-o local -os "$T/no-such-dir")

qemu-img create -q -f raw d.raw 1M
leakcheck "disk, missing" -i disk "$T/missing.raw" "${NOOUT[@]}"
leakcheck "disk, output" -i disk d.raw "${NOOUT[@]}"

leakcheck "vmx, missing disks" -i vmx "$data/vmx/ws16.vmx" "${NOOUT[@]}"
cat >vm.vmx <<'VMX'
displayName = "vm"
memsize = "512"
scsi0.present = "TRUE"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "d.raw"
VMX
leakcheck "vmx, output" -i vmx vm.vmx "${NOOUT[@]}"

leakcheck "xen, missing disks" -i xen "$data/xen/hvm.cfg" "${NOOUT[@]}"
cat >vm.cfg <<'CFG'
name = "vm"
memory = 512
disk = [ 'format=raw, vdev=xvda, target=d.raw' ]
CFG
leakcheck "xen, output" -i xen vm.cfg "${NOOUT[@]}"

leakcheck "libvirtxml, missing disks" -i libvirtxml "$data/libvirt/kvm.xml" \
    "${NOOUT[@]}"
cat >vm.xml <<XML
<domain type='kvm'><name>vm</name><memory unit='MiB'>512</memory>
<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>
<source file='$T/d.raw'/><target dev='vda' bus='virtio'/></disk>
</devices></domain>
XML
leakcheck "libvirtxml, output" -i libvirtxml vm.xml "${NOOUT[@]}"

leakcheck "vbox, missing disks" -i vbox "$data/vbox/vm70.vbox" "${NOOUT[@]}"

# An OVA directory whose disk is gzip-compressed: unpacked into TMPDIR
# by the input's open, removed by its close.
mkdir ova
gzip -c d.raw >ova/d.raw
cat >ova/vm.ovf <<'OVF'
<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
 xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
 xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
 <References><File ovf:id="f1" ovf:href="d.raw" ovf:compression="gzip"/></References>
 <DiskSection><Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="1048576"/></DiskSection>
 <VirtualSystem ovf:id="vm"><Name>vm</Name><VirtualHardwareSection>
  <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>
  <Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType><rasd:HostResource>ovf:/disk/d1</rasd:HostResource></Item>
 </VirtualHardwareSection></VirtualSystem>
</Envelope>
OVF
"$V2KVM" -q -i ova ova --print-source >/dev/null 2>"$T/err" ||
    { cat "$T/err" >&2; fail "the test OVA does not open"; }
leakcheck "ova, output" -i ova ova "${NOOUT[@]}"
mkdir ova-bad
cp ova/vm.ovf ova-bad/
head -c 100 ova/d.raw >ova-bad/d.raw
leakcheck "ova, truncated gzip" -i ova ova-bad "${NOOUT[@]}"

# vSphere: a powered-on VM is refused after the login (the session, its
# curl handle and the SOAP answers are the input's state).
start_vcsim esx ha-host_VM0
make_vm "$VC_DSDIR/ha-host_VM1" ha-host_VM1
leakcheck "libvirt (vSphere), powered on" -i libvirt \
    -ic "esx://root@$VC_HOSTPORT/?no_verify=1" -ip "$T/password" ha-host_VM1 \
    "${NOOUT[@]}"
leakcheck "libvirt (vSphere), output" -i libvirt \
    -ic "esx://root@$VC_HOSTPORT/?no_verify=1" -ip "$T/password" ha-host_VM0 \
    "${NOOUT[@]}"
