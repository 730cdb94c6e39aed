#!/bin/bash
# -i vbox: .vbox files as VirtualBox 6.1 (snapshots: the current state is
# a differencing VDI two levels above the base, in Snapshots/) and 7.0
# (EFI, NVMe + VirtioSCSI + SATA DVD, VMDK and VHD disks, four adapters)
# save them.  --print-source JSON field by field, -o local conversions
# whose disks match the source (the flattened VDI chain, as mkvdi.py
# computes it, and qemu-img for VMDK/VHD), and bad input.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq virt-xml-validate python3
data=$V2K_SOURCE_DIR/tests/data/vbox
mkvdi=$V2K_SOURCE_DIR/tests/lib/mkvdi.py

cd "$T"
# VirtualBox 6.1: base.vdi <- Snapshots/{d1}.vdi <- Snapshots/{d2}.vdi,
# plus decoy images the registry does not name.
top=$(python3 "$mkvdi" chain "$T/c")
vm=$T/c/vm
# uuidCreate (0x188) and uuidLinkage (0x1a8) of a VDI.
vdi_uuid() {
    python3 -c 'import sys, uuid
h = open(sys.argv[1], "rb").read(0x1b8)
o = int(sys.argv[2], 0)
print(uuid.UUID(bytes_le=h[o:o + 16]))' "$1" "$2"
}
d2=$(vdi_uuid "$top" 0x188)
d1=$(vdi_uuid "$top" 0x1a8)
base=$(vdi_uuid "$vm/base.vdi" 0x188)
[ "$(vdi_uuid "$vm/Snapshots/{$d1}.vdi" 0x1a8)" = "$base" ] ||
    fail "mkvdi chain is not base <- d1 <- d2"
sed -e "s/@BASE@/$base/g" -e "s/@DIFF1@/$d1/g" -e "s/@DIFF2@/$d2/g" \
    "$data/vm61.vbox" >"$vm/ubuntu20.vbox"
sum_before=$(cat "$vm"/*.vdi "$vm"/Snapshots/*.vdi | sha256sum)

check() {   # check VBOX JQ-EXPR
    "$V2KVM" --no-convert -i vbox "$1" --print-source --machine-readable 2>/dev/null |
        grep -v '"type":"warning"' >"$T/src.json" ||
        fail "$1: --print-source failed"
    jq -e "$2" "$T/src.json" >/dev/null || fail "$1: $(cat "$T/src.json")"
}
check "$vm/ubuntu20.vbox" '.name == "ubuntu20"
  and .uuid == "3e9a4b1c-7d2f-4e8a-b6c5-0f1e2d3c4b5a"
  and .hypervisor == "virtualbox" and .os_hint == "Ubuntu_64"
  and .firmware == "bios" and .memory_bytes == 2147483648 and .vcpus == 2
  and .video == "vmvga" and .video_ram_bytes == 16777216
  and .sound == "AC97" and (.disks | length) == 2
  and .disks[0].device == "cdrom" and .disks[0].bus == "ide"
  and .disks[0].slot == 2
  and .disks[0].path == "/usr/share/virtualbox/VBoxGuestAdditions.iso"
  and .disks[1].device == "disk" and .disks[1].format == "vdi"
  and .disks[1].bus == "sata" and .disks[1].slot == 0
  and .disks[1].path == "'"$vm/Snapshots/{$d2}.vdi"'"
  and .disks[1].parent_chain == ["'"$vm/Snapshots/{$d1}.vdi"'",
                                 "'"$vm/base.vdi"'"]
  and .disks[1].size_bytes == 8388608
  and (.nics | length) == 2
  and .nics[0] == {"mac": "08:00:27:a1:b2:c3", "network": "default",
                   "type": "network", "model": "e1000"}
  and .nics[1] == {"mac": "08:00:27:d4:e5:f6", "network": "enp3s0",
                   "type": "bridge", "model": "pcnet"}'
mkdir out1
"$V2KVM" --no-convert -q -i vbox "$vm/ubuntu20.vbox" -o local -os out1 2>/dev/null
[ "$(ls out1 | sort | tr '\n' ' ')" = "ubuntu20-sda ubuntu20.xml " ] ||
    fail "6.1: outputs $(ls out1)"
qemu-img compare -q -f raw -F qcow2 "$T/c/expected-top.raw" \
    out1/ubuntu20-sda || fail "6.1: the current state differs"
# Run from elsewhere with a relative .vbox path: locations still resolve.
(cd / && "$V2KVM" --no-convert -i vbox "${vm#/}/ubuntu20.vbox" --print-source \
    >/dev/null 2>&1) || fail "relative .vbox path"

# VirtualBox 7.0: VMDK on NVMe, VHD on VirtioSCSI (in a subdirectory),
# a DVD on SATA, EFI.
mkdir -p w/data
qemu-img create -q -f vmdk w/win11.vmdk 16M
qemu-io -f vmdk -c 'write -P 0x71 0 1M' -c 'write -P 0x72 15M 1M' \
    w/win11.vmdk >/dev/null
qemu-img create -q -f vpc w/data/data.vhd 4M
qemu-io -f vpc -c 'write -P 0x73 1M 64k' w/data/data.vhd >/dev/null
cp "$data/vm70.vbox" w/win11.vbox
check w/win11.vbox '.name == "win11"
  and .uuid == "c0ffee00-1234-4abc-8def-0123456789ab"
  and .os_hint == "Windows11_64" and .firmware == "uefi"
  and .memory_bytes == 4294967296 and .vcpus == 4 and .video == "vbox"
  and .video_ram_bytes == 134217728 and .sound == "HDA"
  and (.disks | length) == 3
  and .disks[0].path == "'"$T"'/w/win11.vmdk" and .disks[0].format == "vmdk"
  and .disks[0].bus == "nvme" and .disks[0].slot == 0
  and .disks[0].size_bytes == 16777216 and .disks[0].parent_chain == []
  and .disks[1].path == "'"$T"'/w/data/data.vhd" and .disks[1].format == "vhd"
  and .disks[1].bus == "virtio-scsi"
  and .disks[2].device == "cdrom" and .disks[2].bus == "sata"
  and .disks[2].slot == 1
  and .disks[2].path == "'"$T"'/w/Win11_23H2_English_x64.iso"
  and (.nics | length) == 3
  and .nics[0] == {"mac": "08:00:27:1a:2b:3c", "network": "eth0",
                   "type": "bridge", "model": "virtio"}
  and .nics[1] == {"mac": "08:00:27:4d:5e:6f", "network": "vboxnet0",
                   "type": "network", "model": "e1000"}
  and .nics[2].network == "intnet" and .nics[2].model == "pcnet"'
mkdir out2
"$V2KVM" --no-convert -q -i vbox w/win11.vbox -o local -os out2
qemu-img compare -q -f vmdk -F qcow2 w/win11.vmdk out2/win11-sda ||
    fail "7.0: vmdk differs"
qemu-img compare -q -f vpc -F qcow2 w/data/data.vhd out2/win11-sdb ||
    fail "7.0: vhd differs"
for x in out1/ubuntu20.xml out2/win11.xml; do
    virt-xml-validate "$x" >/dev/null 2>&1 || fail "$x: virt-xml-validate"
done
[ "$(cat "$vm"/*.vdi "$vm"/Snapshots/*.vdi | sha256sum)" = "$sum_before" ] ||
    fail "the source changed"

bad() {     # bad FILE PATTERN
    expect_fail "$V2KVM" --no-convert -i vbox "$1" --print-source
    grep -q "^v2kvm: error: -i vbox: $2" "$T/err" ||
        { cat "$T/err" >&2; fail "$1: no error matching '$2'"; }
    [ "$(wc -l <"$T/err")" = 1 ] || fail "$1: more than one line"
}
v=$vm/ubuntu20.vbox
# The current state's HardDisk is missing from the registry.
sed "/<HardDisk uuid=\"{$d2}\"/d" "$v" >"$vm/b1.vbox"
bad "$vm/b1.vbox" "$vm/b1.vbox:[0-9]*: <AttachedDevice><Image uuid='{$d2}'>: no HardDisk with this uuid in the MediaRegistry"
# A differencing image whose parent the registry names wrongly.
sed "s|location=\"base.vdi\"|location=\"aaa-other.vdi\"|" "$v" >"$vm/b2.vbox"
bad "$vm/b2.vbox" "$vm/b2.vbox:[0-9]*: <HardDisk uuid='{$d2}'>: .*Snapshots/{$d1}.vdi: parent image {$base} (uuidLinkage) is none of the parent candidates given"
sed "s|location=\"Snapshots/{$d2}.vdi\"|location=\"Snapshots/gone.vdi\"|" "$v" >"$vm/b3.vbox"
bad "$vm/b3.vbox" "$vm/b3.vbox:1[0-9]: <HardDisk uuid='{$d2}'>: $vm/Snapshots/gone.vdi: No such file or directory"
sed 's|RAMSize="2048"/>\n    </Hardware>|X|; s|<Memory RAMSize="2048"/>|<Memory RAMSize="0"/>|' "$v" >"$vm/b4.vbox"
bad "$vm/b4.vbox" "$vm/b4.vbox:[0-9]*: <Memory RAMSize='0'>: out of range"
sed 's|<Memory RAMSize="2048"/>|<Memory RAMSize="99999999999"/>|' "$v" >"$vm/b5.vbox"
bad "$vm/b5.vbox" "$vm/b5.vbox:[0-9]*: <Memory RAMSize='99999999999'>: out of range"
sed 's|MACAddress="080027A1B2C3"|MACAddress="0800"|' "$v" >"$vm/b6.vbox"
bad "$vm/b6.vbox" "$vm/b6.vbox:[0-9]*: <Adapter MACAddress='0800'>: not 12 hex digits"
sed 's|format="VDI" type="Normal"|format="iSCSI"|' "$v" >"$vm/b7.vbox"
sed -i "s|<Image uuid=\"{$d2}\"/>|<Image uuid=\"{$base}\"/>|" "$vm/b7.vbox"
bad "$vm/b7.vbox" "$vm/b7.vbox:[0-9]*: <HardDisk uuid='{$base}' format='iSCSI'>: format not supported"
sed 's|type="AHCI"|type="Floppy9000"|' "$v" >"$vm/b8.vbox"
bad "$vm/b8.vbox" "$vm/b8.vbox:[0-9]*: <StorageController type='Floppy9000'>: unknown controller"
printf '<VirtualBox><Machine name="x">\n<Hardware>\n' >"$vm/b9.vbox"
bad "$vm/b9.vbox" "$vm/b9.vbox:3: not XML: "
printf 'this is not XML\n' >"$vm/b10.vbox"
bad "$vm/b10.vbox" "$vm/b10.vbox:1: not XML: Start tag expected"
printf '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<VirtualBox/>\n' >"$vm/b11.vbox"
bad "$vm/b11.vbox" "$vm/b11.vbox: a DOCTYPE is not allowed"
printf '<domain/>\n' >"$vm/b12.vbox"
bad "$vm/b12.vbox" "$vm/b12.vbox: the root element is <domain>, not <VirtualBox>"
sed '/<AttachedDevice type="HardDisk"/,/<\/AttachedDevice>/d' "$v" >"$vm/b13.vbox"
bad "$vm/b13.vbox" "$vm/b13.vbox: the machine has no hard disk attached"
echo "test-vbox: ok"
