#!/bin/bash
# A disk whose description states no format -- xl.cfg without format=,
# a domain XML <disk> without <driver type> -- is raw to the hypervisor
# (xl-disk-configuration(5); libvirt without probing).  An image whose
# first bytes look like qcow2 or VMDK (a guest can write them into its
# raw disk) must not be probed into following the backing file it names
# (here a host file): we read it as raw, as the guest saw it, and warn.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq

cd "$T"
mkdir host vm
qemu-img create -q -f raw host/secret 1M
qemu-io -f raw -c "write -P 0x5a 0 1M" host/secret >/dev/null
# The "raw" disk's guest wrote a qcow2 header naming a host file.
qemu-img create -q -f qcow2 -b "$T/host/secret" -F raw vm/disk.img 1M
truncate -s 1M vm/disk.img     # a raw disk is whole sectors
# A real qcow2 named with its format still reads as qcow2.
qemu-img create -q -f qcow2 vm/sys.qcow2 2M

printf 'name = "x"\nmemory = 256\ndisk = [ "disk.img,,xvda,w", "format=qcow2,vdev=xvdb,target=sys.qcow2" ]\n' >vm/x.cfg
cat >vm/d.xml <<XML
<domain type='kvm'><name>d</name><memory>262144</memory>
  <devices><disk type='file' device='disk'><source file='disk.img'/>
    <target dev='vda' bus='virtio'/></disk></devices>
</domain>
XML
for args in "-i xen vm/x.cfg" "-i libvirtxml vm/d.xml"; do
    # --allow-path: the host file would be reachable, so only the format
    # decision keeps it out.
    "$V2KVM" --no-convert $args --allow-path host --print-source \
        --machine-readable >all 2>err || fail "$args: $(cat err)"
    grep -v '"type":"warning"' all >src.json
    jq -e '.disks[0].format == "raw" and .disks[0].size_bytes == '"$(stat -c %s vm/disk.img)" \
        src.json >/dev/null || fail "$args: $(cat src.json)"
    grep -q 'disk.img has no format and looks like qcow2: read as raw' all ||
        fail "$args: no warning: $(cat all)"
done
jq -e '.disks[1].format == "qcow2" and .disks[1].size_bytes == 2097152' \
    <("$V2KVM" --no-convert -i xen vm/x.cfg --print-source --machine-readable |
      grep -v '"type":"warning"') >/dev/null || fail "format=qcow2 disk"

# The converted disk holds the image file's bytes, not the host file's.
"$V2KVM" --no-convert -q -i xen vm/x.cfg -o local -os . -on conv 2>/dev/null
qemu-img compare -q -f raw -F qcow2 vm/disk.img conv-sda ||
    fail "converted disk is not the raw image"
