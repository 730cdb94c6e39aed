#!/bin/bash
# -i libvirtxml: domain XML as `virsh dumpxml` prints it for a kvm domain
# (UEFI with secure boot, virtio and virtio-scsi disks, an empty CD-ROM,
# network and bridge interfaces, qxl video) and a Xen PV domain (pygrub,
# xvd disks, netfront).  --print-source JSON field by field, -o local
# conversions matching the source byte for byte, and bad input.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq virt-xml-validate xmllint virsh
data=$V2K_SOURCE_DIR/tests/data/libvirt

cd "$T"
for f in kvm xen-pv; do
    sed "s|@DIR@|$T|g" "$data/$f.xml" >"$f.xml"
done
qemu-img create -q -f qcow2 web01.qcow2 8M
qemu-io -f qcow2 -c 'write -P 0x61 0 1M' -c 'write -P 0x62 6M 1M' \
    web01.qcow2 >/dev/null
qemu-img create -q -f raw data.raw 4M
qemu-io -f raw -c 'write -P 0x63 2M 4k' data.raw >/dev/null
qemu-img create -q -f raw disk0.img 8M
qemu-io -f raw -c 'write -P 0x64 0 8M' disk0.img >/dev/null
qemu-img create -q -f qcow2 data.qcow2 4M

check() {   # check XML JQ-EXPR [OPTIONS...]
    "$V2KVM" --no-convert -i libvirtxml "$1" --print-source --machine-readable \
        "${@:3}" >"$T/$1.json" || fail "$1: --print-source failed"
    jq -e "$2" "$T/$1.json" >/dev/null || fail "$1: $(cat "$T/$1.json")"
}
check kvm.xml '.name == "web01" and .uuid == "8f3c2a9e-5b1d-4c7e-9a2f-1e6d3b4c5a70"
  and .hypervisor == "kvm" and .firmware == "uefi" and .secure_boot == true
  and .memory_bytes == 4294967296 and .vcpus == 4
  and .topology == {"sockets": 1, "cores": 2, "threads": 2}
  and .video == "qxl" and .video_ram_bytes == 67108864 and .sound == "ich9"
  and .os_hint == "http://debian.org/debian/12" and .xen_pv == false
  and (.disks | length) == 3
  and .disks[0].path == "'"$T"'/web01.qcow2" and .disks[0].format == "qcow2"
  and .disks[0].bus == "virtio-blk" and .disks[0].target_dev == "vda"
  and .disks[0].slot == 0 and .disks[0].size_bytes == 8388608
  and .disks[1].format == "raw" and .disks[1].bus == "virtio-scsi"
  and .disks[1].target_dev == "sdb" and .disks[1].slot == 1
  and .disks[2].device == "cdrom" and .disks[2].path == null
  and .disks[2].bus == "sata"
  and (.nics | length) == 2
  and .nics[0] == {"mac": "52:54:00:6b:3c:58", "network": "default",
                   "type": "network", "model": "virtio"}
  and .nics[1] == {"mac": "52:54:00:aa:00:01", "network": "br0",
                   "type": "bridge", "model": "e1000e"}'
check xen-pv.xml '.name == "debian-pv" and .hypervisor == "xen"
  and .xen_pv == true and .xen_type == "pv" and .console == "hvc0"
  and .bootloader == "/usr/lib/xen-4.17/bin/pygrub"
  and .firmware == "unknown" and .memory_bytes == 1073741824
  and .vcpus == 2 and .video == "xen" and .video_ram_bytes == 4194304
  and .disks[0].target_dev == "xvda" and .disks[0].bus == "xen"
  and .disks[1].format == "qcow2" and .disks[1].slot == 1
  and .nics[0] == {"mac": "00:16:3e:12:34:56", "network": "xenbr1",
                   "type": "bridge", "model": "xen"}'
# Units, and a relative path resolved against the XML's directory (out
# of it: allowed with --allow-path, see test-confine.sh).
mkdir sub
sed -e "s|<memory unit='KiB'>4194304|<memory unit='GiB'>3|" \
    -e "s|$T/web01.qcow2|../web01.qcow2|" kvm.xml >sub/units.xml
check sub/units.xml '.memory_bytes == 3221225472
  and .disks[0].path == "'"$T"'/sub/../web01.qcow2"' --allow-path "$T"

# Full conversions.
mkdir out1 out2
"$V2KVM" --no-convert -q -i libvirtxml kvm.xml -o local -os out1
qemu-img compare -q -f qcow2 -F qcow2 web01.qcow2 out1/web01-sda ||
    fail "kvm: disk 1 differs"
qemu-img compare -q -f raw -F qcow2 data.raw out1/web01-sdb ||
    fail "kvm: disk 2 differs"
"$V2KVM" --no-convert -q -i libvirtxml xen-pv.xml -o local -os out2
qemu-img compare -q -f raw -F qcow2 disk0.img out2/debian-pv-sda ||
    fail "xen: disk 1 differs"
qemu-img compare -q -f qcow2 -F qcow2 data.qcow2 out2/debian-pv-sdb ||
    fail "xen: disk 2 differs"
for x in out1/web01.xml out2/debian-pv.xml; do
    virt-xml-validate "$x" >/dev/null 2>&1 || fail "$x: virt-xml-validate"
done

# A direct (macvtap) NIC stays direct, on the same device and mode (it
# used to become a bridge named after the host's NIC).
sed -e "s|<interface type='bridge'>|<interface type='direct'>|" \
    -e "s|<source bridge='br0'/>|<source dev='eno1' mode='vepa'/>|" \
    kvm.xml >direct.xml
check direct.xml '.nics[1] == {"mac": "52:54:00:aa:00:01", "network": "eno1",
                   "type": "direct", "mode": "vepa", "model": "e1000e"}'
mkdir out3
"$V2KVM" --no-convert -q -i libvirtxml direct.xml -o local -os out3
[ "$(xmllint --xpath 'count(//interface[@type="direct"]/source[@dev="eno1" and @mode="vepa"])' out3/web01.xml)" = 1 ] ||
    { cat out3/web01.xml >&2; fail "direct: the NIC is not direct on eno1 (vepa)"; }
virt-xml-validate out3/web01.xml >/dev/null 2>&1 || fail "direct: virt-xml-validate"
virsh -q -c test:///default define out3/web01.xml >/dev/null ||
    fail "direct: virsh define refused the XML"

bad() {     # bad FILE PATTERN
    expect_fail "$V2KVM" --no-convert -i libvirtxml "$1" --print-source
    grep -q "^v2kvm: error: -i libvirtxml: $2" "$T/err" ||
        { cat "$T/err" >&2; fail "$1: no error matching '$2'"; }
    [ "$(wc -l <"$T/err")" = 1 ] || fail "$1: more than one line"
}
printf '<domain type="kvm">\n  <name>x</name>\n  <memory>1</memory\n' >b1.xml
bad b1.xml "b1.xml:4: not XML: Premature end of data"
printf 'name = "not xml"\n' >b2.xml
bad b2.xml "b2.xml:1: not XML: Start tag expected"
: >b3.xml
bad b3.xml "b3.xml:1: not XML"
cat >b4.xml <<'XML'
<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<domain type="kvm"><name>&lol2;</name></domain>
XML
bad b4.xml "b4.xml: a DOCTYPE is not allowed"
cat >b5.xml <<'XML'
<!DOCTYPE domain SYSTEM "http://127.0.0.1:9/x.dtd">
<domain type="kvm"><name>x</name></domain>
XML
bad b5.xml "b5.xml: a DOCTYPE is not allowed"
printf '<vm/>\n' >b6.xml
bad b6.xml "b6.xml: the root element is <vm>, not <domain>"
sed "s|<memory unit='KiB'>4194304|<memory unit='KiB'>0|" kvm.xml >m0.xml
bad m0.xml "m0.xml:9: <memory>: 0 KiB is out of range"
sed "s|<memory unit='KiB'>4194304|<memory unit='TiB'>17|" kvm.xml >m1.xml
bad m1.xml "m1.xml:9: <memory>: 17 TiB is out of range"
sed "s|<memory unit='KiB'>4194304|<memory unit='PiB'>1|" kvm.xml >m2.xml
bad m2.xml "m2.xml: <memory unit='PiB'>: unknown unit"
sed "s|<memory unit='KiB'>4194304|<memory unit='KiB'>-5|" kvm.xml >m3.xml
bad m3.xml "m3.xml:9: <memory>: '-5' is not a whole number"
sed "s|>4</vcpu>|>0</vcpu>|" kvm.xml >v0.xml
bad v0.xml "v0.xml:11: <vcpu>: '0' is out of range"
sed "s|<source file='$T/web01.qcow2'/>|<source/>|" kvm.xml >nt.xml
bad nt.xml "nt.xml:40: <disk> vda: <source> names no file"
sed "s|$T/web01.qcow2|$T/missing.qcow2|" kvm.xml >miss.xml
bad miss.xml "miss.xml:40: <disk> vda: $T/missing.qcow2: No such file or directory"
sed "s|<disk type='block' device='disk'>|<disk type='network' device='disk'>|;s|<source dev='$T/data.raw'/>|<source protocol='rbd' name='pool/img'/>|" kvm.xml >rbd.xml
bad rbd.xml "rbd.xml:46: <disk> sdb: network protocol 'rbd' is not supported"
sed "s|52:54:00:6b:3c:58|52:54:00:6b:3c|" kvm.xml >mac.xml
bad mac.xml "mac.xml:64: <interface><mac address='52:54:00:6b:3c'>: not a MAC address"
head -c $((5 << 20)) /dev/zero >big.xml
bad big.xml "big.xml: file is 5242880 bytes, more than the 4194304 allowed"
echo "test-libvirt-xml: ok"
