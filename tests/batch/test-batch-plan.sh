#!/bin/bash
# test-batch-plan.sh - a plan of ten VMs, one of every input kind v2kvm
# reads, run by v2kvm-batch with the real v2kvm and two in flight:
#   - small disk copies (--no-convert) from -i disk, vmx (a VMDK), ova
#     (streamOptimized VMDKs in a tar, with a manifest), libvirtxml (a
#     qcow2, to a -o qemu target), vbox (a VDI snapshot chain), xen (an
#     xl.cfg over a raw disk), libvirt (a VM of govmomi's vCenter
#     simulator, vpx://, its password from a file);
#   - two real guest conversions (a libguestfs appliance each: phony
#     Debian 12 and Ubuntu 22.04 guests), one through -i disk, one
#     through -i libvirtxml;
#   - one broken source (a truncated qcow2).
# The broken one fails with its one-line error, permanent, in the state;
# every other one is done; each output disk passes qemu-img check, each
# copy reads like its source, each domain XML passes virt-xml-validate
# and virsh define; the converted guests' XML say virtio; never more
# than 2 VMs ran at once (the state's timings); no source was written;
# the report has every VM, the guests' OS and firmware, the broken one's
# error and log tail.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../remote/sshd-lib.sh"
. "$(dirname "$0")/../lib/vcsim/vcsim-lib.sh"
need qemu-img qemu-io sqlite3 python3 guestfish virt-xml-validate virsh \
    xmllint tar sha256sum

B=$V2KVM_BATCH
lib=$V2K_SOURCE_DIR/tests/lib
data=$V2K_SOURCE_DIR/tests/data
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-/var/tmp}
cd "$T"
mkdir src out
# --- the two guests (one appliance launch builds both) ----------------
bash "$lib/mkphony.sh" debian12 src/deb.img real-initramfs open-vm-tools \
    + ubuntu2204 src/ubu.img vmware-tools \
    >mkphony.log 2>&1 || { tail -20 mkphony.log; fail "mkphony.sh failed"; }

# --- small disks of every input kind -----------------------------------
# -i disk: raw
qemu-img create -q -f raw src/plain.raw 24M
qemu-io -f raw -c 'write -P 0x11 1M 2M' src/plain.raw >/dev/null

# -i vmx: a monolithicSparse VMDK
mkdir src/vmx
qemu-img create -q -f vmdk src/vmx/web.vmdk 16M
qemu-io -f vmdk -c 'write -P 0x22 0 1M' -c 'write -P 0x23 15M 64k' \
    src/vmx/web.vmdk >/dev/null
cat >src/vmx/web.vmx <<'EOF'
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "14"
displayName = "vmx-web"
guestOS = "debian10-64"
memsize = "1024"
numvcpus = "1"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "web.vmdk"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.networkName = "VM Network"
ethernet0.addressType = "static"
ethernet0.address = "00:50:56:00:00:42"
EOF

# -i ova: two streamOptimized VMDKs with a manifest
mkdir src/ova-build
qemu-img create -q -f raw src/ova-a.raw 16M
qemu-io -f raw -c 'write -P 0x33 0 256k' -c 'write -P 0x34 10M 256k' \
    src/ova-a.raw >/dev/null
qemu-img create -q -f raw src/ova-b.raw 8M
qemu-io -f raw -c 'write -P 0x35 4M 256k' src/ova-b.raw >/dev/null
(
    cd src/ova-build
    qemu-img convert -O vmdk -o subformat=streamOptimized ../ova-a.raw \
        web01-disk1.vmdk
    qemu-img convert -O vmdk -o subformat=streamOptimized ../ova-b.raw \
        web01-disk2.vmdk
    sed -e "s/@SIZE1@/$(stat -c %s web01-disk1.vmdk)/" \
        -e "s/@SIZE2@/$(stat -c %s web01-disk2.vmdk)/" "$data/ova/esxi.ovf" \
        >web01.ovf
    for f in web01.ovf web01-disk1.vmdk web01-disk2.vmdk; do
        echo "SHA256($f)= $(sha256sum $f | cut -d' ' -f1)"
    done >web01.mf
    tar cf ../web01.ova --format=ustar web01.ovf web01.mf web01-disk1.vmdk \
        web01-disk2.vmdk
)
rm -rf src/ova-build

# -i libvirtxml: a qcow2 (to a qemu-script target); and the Ubuntu guest
qemu-img create -q -f qcow2 src/xml.qcow2 12M
qemu-io -f qcow2 -c 'write -P 0x44 2M 1M' src/xml.qcow2 >/dev/null
domxml() {     # domxml NAME DISK FORMAT
    cat <<EOF
<domain type='kvm'>
  <name>$1</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='$3'/>
      <source file='$2'/>
      <target dev='sda' bus='sata'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:00:00:$4'/>
      <source network='default'/>
      <model type='e1000'/>
    </interface>
  </devices>
</domain>
EOF
}
domxml xmlvm "$T/src/xml.qcow2" qcow2 21 >src/xmlvm.xml
domxml ubuntu "$T/src/ubu.img" raw 22 >src/ubuntu.xml

# -i vbox: a VDI chain base <- d1 <- d2 (VirtualBox 6.1 registry)
top=$(python3 "$lib/mkvdi.py" chain "$T/src/c")
vdi_uuid() {
    python3 -c 'import sys, uuid
h = open(sys.argv[1], "rb").read(0x1b8)
o = int(sys.argv[2], 0)
print(uuid.UUID(bytes_le=h[o:o + 16]))' "$1" "$2"
}
vbox=$T/src/c/vm
d2=$(vdi_uuid "$top" 0x188)
d1=$(vdi_uuid "$top" 0x1a8)
base=$(vdi_uuid "$vbox/base.vdi" 0x188)
sed -e "s/@BASE@/$base/g" -e "s/@DIFF1@/$d1/g" -e "s/@DIFF2@/$d2/g" \
    "$data/vbox/vm61.vbox" >"$vbox/ubuntu20.vbox"

# -i xen: an xl.cfg over a raw disk
qemu-img create -q -f raw src/xen.img 8M
qemu-io -f raw -c 'write -P 0x55 0 1M' src/xen.img >/dev/null
cat >src/xenvm.cfg <<'EOF'
name = "xenvm"
type = "hvm"
memory = 512
vcpus = 1
disk = [ 'format=raw, vdev=hda, access=rw, target=xen.img' ]
vif = [ 'mac=00:16:3e:00:00:07, bridge=xenbr0' ]
EOF

# The broken source.
qemu-img create -q -f qcow2 src/full.qcow2 32M
qemu-io -f qcow2 -c "write -P 9 0 4M" src/full.qcow2 >/dev/null
head -c 100000 src/full.qcow2 >src/broken.qcow2
rm src/full.qcow2

# -i libvirt: a VM of the vCenter simulator (a flat and a sparse VMDK
# in its datastore), the password in a file only the owner reads.
start_vcsim vpx DC0_H0_VM0
make_vm "$VC_DSDIR/DC0_H0_VM0" DC0_H0_VM0
chmod 600 "$T/password"

sums_before=$(cd src && find . -type f -print0 | sort -z |
              xargs -0 sha256sum)

cat >plan.yaml <<'EOF'
version: 1
name: every-kind
sources:
  disks: {kind: disk}
  vmware: {kind: vmx}
  exports: {kind: ova}
  kvm: {kind: libvirtxml}
  vbox: {kind: vbox}
  xen: {kind: xen}
  vcenter:
    kind: libvirt
    uri: vpx://root@@VC@/DC0/DC0_H0?no_verify=1
    password_file: @PASS@
targets:
  out: {kind: local, storage: out, format: qcow2}
  script: {kind: qemu, storage: out, format: qcow2}
limits:
  max_in_flight: 2
  memory_budget: 4GiB
defaults:
  target: out
  no_convert: true
  memory: 1GiB
vms:
  - {name: plain, source: disks, disks: [src/plain.raw]}
  - {name: vmx-web, source: vmware, path: src/vmx/web.vmx}
  - {name: ova-web, source: exports, path: src/web01.ova}
  - {name: xmlvm, source: kvm, path: src/xmlvm.xml, target: script}
  - {name: vbox-ubuntu, source: vbox, path: src/c/vm/ubuntu20.vbox}
  - {name: xenvm, source: xen, path: src/xenvm.cfg}
  - {name: debian, source: disks, disks: [src/deb.img], no_convert: false}
  - {name: ubuntu, source: kvm, path: src/ubuntu.xml, no_convert: false}
  - {name: esx-vm, source: vcenter, vm: DC0_H0_VM0}
  - {name: broken, source: disks, disks: [src/broken.qcow2]}
EOF
sed -i "s|@VC@|$VC_HOSTPORT|; s|@PASS@|$T/password|" plan.yaml
"$B" check plan.yaml >check.out 2>&1 || { cat check.out; fail "check"; }

rc=0
"$B" run plan.yaml >run.out 2>run.err || rc=$?
cat run.out run.err
[ $rc = 1 ] || fail "run: exit $rc, expected 1 (one VM failed)"

db=plan.state
[ -f "$db" ] || fail "no state database $db"
q() { sqlite3 -batch -noheader "$db" "$1"; }

# Outcomes: nine done, the broken one failed (permanent) with one line
# naming its file.
for vm in plain vmx-web ova-web xmlvm vbox-ubuntu xenvm esx-vm debian ubuntu; do
    ph=$(q "SELECT phase FROM vms WHERE name='$vm'")
    [ "$ph" = done ] || { tail -30 "$db.logs/$vm.log" 2>/dev/null;
                          fail "$vm: phase '$ph', expected done"; }
done
[ "$(q "SELECT phase FROM vms WHERE name='broken'")" = failed ] ||
    fail "broken: not failed"
[ "$(q "SELECT error_class FROM vms WHERE name='broken'")" = permanent ] ||
    fail "broken: not a permanent error"
err=$(q "SELECT last_error FROM vms WHERE name='broken'")
echo "broken: $err"
case $err in
    *broken.qcow2*) ;;
    *) fail "broken: the error does not name its file: $err" ;;
esac
[ "$(printf '%s' "$err" | wc -l)" = 0 ] || fail "broken: not one line"
[ "$(q "SELECT attempts FROM vms WHERE name='broken'")" = 1 ] ||
    fail "broken: retried although the error is permanent"

# Outputs: every disk passes qemu-img check; the copies read like their
# sources; each XML validates and defines.
cmp_disk() {   # cmp_disk SRC SRCFMT OUT
    qemu-img check -q "$3" || fail "$3: qemu-img check"
    qemu-img compare -q -f "$2" -F qcow2 "$1" "$3" ||
        fail "$3 differs from $1"
}
cmp_disk src/plain.raw raw out/plain-sda
cmp_disk src/vmx/web.vmdk vmdk out/vmx-web-sda
cmp_disk src/ova-a.raw raw out/ova-web-sda
cmp_disk src/ova-b.raw raw out/ova-web-sdb
cmp_disk src/xml.qcow2 qcow2 out/xmlvm-sda
cmp_disk src/c/expected-top.raw raw out/vbox-ubuntu-sda   # mkvdi.py flattened it
cmp_disk src/xen.img raw out/xenvm-sda
cmp_disk "$VC_DSDIR/DC0_H0_VM0/DC0_H0_VM0.vmdk" vmdk out/esx-vm-sda
cmp_disk "$VC_DSDIR/DC0_H0_VM0/data.vmdk" vmdk out/esx-vm-sdb
for d in out/debian-sda out/ubuntu-sda; do
    qemu-img check -q "$d" || fail "$d: qemu-img check"
done
[ -x out/xmlvm.sh ] || fail "the qemu target wrote no script"
for vm in plain vmx-web ova-web vbox-ubuntu xenvm esx-vm debian ubuntu; do
    x=out/$vm.xml
    [ -f "$x" ] || fail "$vm: no domain XML"
    virt-xml-validate "$x" >/dev/null 2>&1 || fail "$x: virt-xml-validate"
    virsh -q -c test:///default define "$x" >/dev/null ||
        fail "$x: virsh define"
done
# The converted guests drive virtio; the copies keep what they had.
for vm in debian ubuntu; do
    [ "$(xmllint --xpath 'string(//disk[@device="disk"]/target/@bus)' \
        out/$vm.xml)" = virtio ] || fail "$vm: the disk is not virtio"
    assert_grep '"type":"result".*"converted":true' "$db.logs/$vm.log"
done
# Nothing of the broken one, nothing partial.
ls out | grep -q '^broken' && fail "the broken VM left output: $(ls out)"
ls out | grep -q '\.part$' && fail "a partial file is left: $(ls out)"

# At most two at once (the state's timings of each VM's attempt).
python3 - "$db" <<'PY' || fail "more than 2 VMs in flight"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT name, started, finished FROM vms").fetchall()
ev = []
for name, s, f in rows:
    assert s and f and f >= s, (name, s, f)
    ev += [(s, 1), (f, -1)]
n = peak = 0
for _, d in sorted(ev, key=lambda e: (e[0], e[1])):
    n += d
    peak = max(peak, n)
print("peak in flight:", peak)
sys.exit(0 if peak <= 2 else 1)
PY

# The report: one entry per VM; the converted guests with their OS and
# firmware (from v2kvm's result line), the broken one with its error
# and its log's tail; the HTML has a row per VM, the failure marked.
"$B" report plan.yaml >report.out 2>&1 || { cat report.out; fail "report"; }
r=plan.state.report.json
jq -e '(.vms | length) == 10 and .summary.done == 9 and .summary.failed == 1' \
    "$r" >/dev/null || fail "report summary: $(jq -c .summary "$r")"
jq -e '[.vms[] | select(.name == "debian")][0] |
       .outcome == "done" and .os.distro == "debian" and
       .firmware == "bios" and (.disks.virtual_sizes | length) == 1 and
       .durations.converting > 0 and .durations.copying > 0' "$r" \
    >/dev/null || fail "report, debian: $(jq -c '.vms[] | select(.name == "debian")' "$r")"
jq -e '[.vms[] | select(.name == "ubuntu")][0] |
       .outcome == "done" and .os.distro == "ubuntu"' "$r" >/dev/null ||
    fail "report, ubuntu: $(jq -c '.vms[] | select(.name == "ubuntu")' "$r")"
jq -e --arg e "$err" '[.vms[] | select(.name == "broken")][0] |
       .outcome == "failed" and .error.message == $e and
       .error.class == "permanent" and (.log.tail | length) > 0' "$r" \
    >/dev/null || fail "report, broken: $(jq -c '.vms[] | select(.name == "broken")' "$r")"
h=plan.state.report.html
[ "$(grep -c '<tr class="vm vm-done' "$h")" = 9 ] ||
    fail "report HTML: not 9 done rows"
[ "$(grep -c '<tr class="vm vm-failed' "$h")" = 1 ] ||
    fail "report HTML: not 1 failed row"

# The sources were read, never written.
sums_after=$(cd src && find . -type f -print0 | sort -z | xargs -0 sha256sum)
[ "$sums_before" = "$sums_after" ] || fail "a source file changed"
echo "ok: 9 of 10 VMs done, the broken one failed with one line"
