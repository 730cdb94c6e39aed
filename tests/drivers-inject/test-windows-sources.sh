#!/bin/bash
# test-windows-sources.sh - phony Windows guests (mkphony-windows.sh)
# converted end to end from the inputs they come in, with a fake
# virtio-win (mkvirtio-win.sh):
#   1. -i vmx: win2k19 with VMware Tools as a monolithicSparse VMDK and a
#      .vmx (windows2019srv-64, lsisas1068, vmxnet3 with a fixed MAC,
#      BIOS), --virtio-win the fake ISO: the XML (valid, virsh define,
#      virtio disk and NIC with the VMX's MAC, localtime, hyperv, the
#      guest agent channel); in the guest: Drivers\VirtIO holds exactly
#      the fake tree's 2k19/amd64 files, System32\drivers\viostor.sys,
#      the first-boot scripts (pnputil, qemu-ga, the VMware Tools
#      uninstaller with its msiexec /x, CRLF lines); in SYSTEM: viostor
#      boot-start, its DriverDatabase device id, the v2kvm-firstboot
#      service, AutoReboot 0; the VMDK unchanged.
#   2. -i ova: win2k16 as a streamOptimized VMDK in an OVA (ovf, vmdk,
#      SHA256 manifest; osType windows9Server64Guest), --virtio-win the
#      fake pkg/ directory: valid XML, virtio disk, the 2k16 files of the
#      packaged layout, the boot-critical registry entries.
#   3. win10 with no virtio-win at all ($VIRTIO_WIN, $VIRTIO_WIN_DIR unset,
#      no /usr/share/virtio-win): one warning naming --virtio-win, SATA
#      and e1000; no rng, memballoon model none; valid XML.
#   4. a virtio-win with no 2k16 directories: the "has no drivers for"
#      warning naming the tree, SATA + e1000.
#   5. --block-driver virtio-scsi (win2k16, the fake ISO): vioscsi.sys
#      boot-start, the disk on a virtio-scsi controller.
#   6. --virtio-win /nonexistent: fails with one line naming the path,
#      nothing left under the VM's name, the source unchanged.
# One appliance for the images, one per conversion, one guestfish run
# for the checks of the converted disks of 1, 2 and 5: never two at once
# (8 launches; 6 to 8 minutes under TCG on 2 cores).
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img guestfish xorriso hivexget virt-xml-validate virsh tar \
    sha256sum xmllint python3
lib=$V2K_SOURCE_DIR/tests/lib
data=$V2K_SOURCE_DIR/tests/data

[ ! -e /usr/share/virtio-win ] ||
    fail "/usr/share/virtio-win exists on this machine: case 3 (no virtio-win) cannot be tested"
unset VIRTIO_WIN VIRTIO_WIN_DIR

cd "$T"
bash "$lib/mkphony-windows.sh" win2k19 w19.img vmware-tools + \
    win2k16 w16.img + win10 w10.img || fail "mkphony-windows.sh failed"
bash "$lib/mkvirtio-win.sh" vw || fail "mkvirtio-win.sh failed"
iso=$T/vw/virtio-win.iso

# expected TREE OS: the basenames v2kvm must stage for OS/amd64 from TREE,
# lower-cased, sorted: files with OS and amd64 as path elements, not
# under sriov/, not *.pdb nor vioprot.*, qemufwcfg.* dropped when
# fwcfg.inf is there.
expected() {
    (cd "$1" && find . -type f) | tr '[:upper:]' '[:lower:]' |
        grep "/$2/" | grep '/amd64/' | grep -v '/sriov/' |
        sed 's|.*/||' | grep -v -e '\.pdb$' -e '^vioprot\.' | sort -u >"$T/exp"
    if grep -qx fwcfg.inf "$T/exp"; then
        grep -v '^qemufwcfg\.' "$T/exp" || true
    else
        cat "$T/exp"
    fi
}

# convert CASE ARGS...: v2kvm ARGS -o local -os $T/CASE; stdout and
# stderr in $T/CASE.out, $T/CASE.err; must exit 0.
convert() {
    local c=$1
    shift
    mkdir -p "$T/$c"
    "$V2KVM" "$@" -o local -os "$T/$c" >"$T/$c.out" 2>"$T/$c.err" ||
        { cat "$T/$c.err" >&2; fail "$c: the conversion failed"; }
}

# xml_ok CASE NAME: the domain XML validates and virsh defines it.
xml_ok() {
    local x=$T/$1/$2.xml
    [ -f "$x" ] || fail "$1: no $2.xml in the output"
    virt-xml-validate "$x" domain >"$T/validate.log" 2>&1 ||
        { cat "$T/validate.log" >&2; fail "$1: virt-xml-validate rejects $2.xml"; }
    virsh -c test:///default define "$x" >"$T/define.log" 2>&1 ||
        { cat "$T/define.log" >&2; fail "$1: virsh define rejects $2.xml"; }
}

# xq CASE NAME XPATH: the XPath's value in the domain XML.
xq() { xmllint --xpath "$3" "$T/$1/$2.xml" 2>/dev/null || true; }

# xml_has CASE NAME XPATH WHAT: a node matches XPath, else fail naming WHAT.
xml_has() {
    [ "$(xq "$1" "$2" "count($3)")" -ge 1 ] 2>/dev/null ||
        { cat "$T/$1/$2.xml" >&2; fail "$1: $4 (no $3 in the XML)"; }
}
xml_hasnt() {
    [ "$(xq "$1" "$2" "count($3)")" = 0 ] ||
        { cat "$T/$1/$2.xml" >&2; fail "$1: $4 ($3 in the XML)"; }
}

# ---- 1. VMX ------------------------------------------------------------
mkdir vmx
qemu-img convert -O vmdk -o subformat=monolithicSparse w19.img vmx/win2k19.vmdk
mac=00:50:56:0a:0b:0c
cat >vmx/win2k19.vmx <<EOF
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "14"
displayName = "win2k19"
guestOS = "windows2019srv-64"
memSize = "2048"
numvcpus = "2"
firmware = "bios"
scsi0.present = "TRUE"
scsi0.virtualDev = "lsisas1068"
scsi0:0.present = "TRUE"
scsi0:0.deviceType = "scsi-hardDisk"
scsi0:0.fileName = "win2k19.vmdk"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.networkName = "VM Network"
ethernet0.addressType = "static"
ethernet0.address = "${mac^^}"
EOF
sum_vmdk=$(sha256sum <vmx/win2k19.vmdk)
convert vmx -i vmx vmx/win2k19.vmx -on w19 --virtio-win "$iso"
xml_ok vmx w19
xml_has vmx w19 "/domain/devices/disk[@device='disk']/target[@bus='virtio']" "disk not on virtio"
[ "$(xq vmx w19 "count(/domain/devices/disk[@device='disk'])")" = 1 ] ||
    fail "vmx: not one disk in the XML"
xml_has vmx w19 "/domain/devices/interface[mac/@address='$mac'][model/@type='virtio']" \
    "NIC not virtio with the VMX's MAC $mac"
xml_has vmx w19 "/domain/clock[@offset='localtime']" "clock not localtime"
xml_has vmx w19 "/domain/features/hyperv" "no hyperv features"
xml_has vmx w19 "/domain/devices/channel/target[@name='org.qemu.guest_agent.0']" \
    "no guest agent channel"
[ "$(sha256sum <vmx/win2k19.vmdk)" = "$sum_vmdk" ] || fail "vmx: the source VMDK changed"

# ---- 2. OVA ------------------------------------------------------------
mkdir ova && cd ova
qemu-img convert -O vmdk -o subformat=streamOptimized ../w16.img win2k16-disk1.vmdk
# esxi.ovf with one disk (512 MiB on SCSI), Windows Server 2016.
sed -e "s/@SIZE1@/$(stat -c %s win2k16-disk1.vmdk)/" \
    -e 's/web01/win2k16/g' \
    -e '/ovf:id="file2"/d' -e '/ovf:diskId="vmdisk2"/d' \
    -e 's/ovf:capacity="16"/ovf:capacity="512"/' \
    -e 's/ovf:id="80" vmw:osType="rhel7_64Guest"/ovf:id="1" vmw:osType="windows9Server64Guest"/' \
    -e 's/Red Hat Enterprise Linux 7 (64-bit)/Microsoft Windows Server 2016 (64-bit)/' \
    -e 's/vmw:value="efi"/vmw:value="bios"/' -e '/uefi.secureBoot/d' \
    "$data/ova/esxi.ovf" >win2k16.ovf
# ...and without the second disk's Item (Hard disk 2).
python3 - win2k16.ovf <<'EOF'
import re, sys
p = sys.argv[1]
s = open(p).read()
s2 = re.sub(r'\s*<Item>\s*<rasd:AddressOnParent>2</rasd:AddressOnParent>\s*'
            r'<rasd:ElementName>Hard disk 2</rasd:ElementName>.*?</Item>', '', s,
            count=1, flags=re.S)
assert s2 != s
open(p, 'w').write(s2)
EOF
if ! grep -q 'windows9Server64Guest' win2k16.ovf || grep -q vmdisk2 win2k16.ovf; then
    fail "ova: win2k16.ovf was not rewritten"
fi
for f in win2k16.ovf win2k16-disk1.vmdk; do
    echo "SHA256($f)= $(sha256sum $f | cut -d' ' -f1)"
done >win2k16.mf
tar cf ../win2k16.ova --format=ustar win2k16.ovf win2k16-disk1.vmdk win2k16.mf
cd ..
sum_ova=$(sha256sum <win2k16.ova)
convert ova -i ova win2k16.ova -on w16 --virtio-win "$T/vw/pkg"
xml_ok ova w16
xml_has ova w16 "/domain/devices/disk[@device='disk']/target[@bus='virtio']" "disk not on virtio"
xml_has ova w16 "/domain/devices/interface[mac/@address='00:50:56:9a:01:02'][model/@type='virtio']" \
    "NIC not virtio with the OVF's MAC"
[ "$(sha256sum <win2k16.ova)" = "$sum_ova" ] || fail "ova: the OVA changed"

# ---- 3. no virtio-win at all ---------------------------------------------
sum_w10=$(sha256sum <w10.img)
convert none -i disk w10.img -on w10
[ "$(grep -c . "$T/none.err")" = 1 ] ||
    { cat "$T/none.err" >&2; fail "none: stderr is not one line"; }
grep -q -- '^v2kvm: warning: .*--virtio-win' "$T/none.err" ||
    { cat "$T/none.err" >&2; fail "none: no warning naming --virtio-win"; }
grep 'SATA' "$T/none.err" | grep -q 'e1000' ||
    { cat "$T/none.err" >&2; fail "none: the warning does not say SATA and e1000"; }
xml_ok none w10
xml_has none w10 "/domain/devices/disk[@device='disk']/target[@bus='sata']" "disk not on SATA"
xml_hasnt none w10 "/domain/devices/disk/target[@bus='virtio']" "a virtio disk without drivers"
xml_has none w10 "/domain/devices/interface/model[@type='e1000']" "NIC not e1000"
xml_hasnt none w10 "/domain/devices/interface/model[@type='virtio']" "a virtio NIC without drivers"
xml_hasnt none w10 "/domain/devices/rng" "an rng device without viorng"
xml_hasnt none w10 "/domain/devices/memballoon[@model!='none']" "a balloon without its driver"
xml_has none w10 "/domain/devices/memballoon[@model='none']" "memballoon not model none"
[ "$(sha256sum <w10.img)" = "$sum_w10" ] || fail "none: the source changed"

# ---- 4. virtio-win without drivers for 2k16 ----------------------------
cp -r vw/iso-tree no2k16
find no2k16 -depth -type d -iname 2k16 -exec rm -rf {} +
[ -z "$(find no2k16 -iname 2k16)" ] || fail "no2k16: 2k16 directories left"
sum_w16=$(sha256sum <w16.img)
convert no2k16 -i disk w16.img -on w16 --virtio-win "$T/no2k16"
grep -q "warning: drivers: $T/no2k16 has no drivers for .*SATA disks and an e1000 NIC" \
    "$T/no2k16.err" ||
    { cat "$T/no2k16.err" >&2; fail "no2k16: no 'has no drivers for' warning naming the tree"; }
xml_ok no2k16 w16
xml_has no2k16 w16 "/domain/devices/disk[@device='disk']/target[@bus='sata']" "disk not on SATA"
xml_has no2k16 w16 "/domain/devices/interface/model[@type='e1000']" "NIC not e1000"

# ---- 5. --block-driver virtio-scsi -----------------------------------------
convert scsi -i disk w16.img -on w16 --virtio-win "$iso" --block-driver virtio-scsi
xml_ok scsi w16
xml_has scsi w16 "/domain/devices/disk[@device='disk']/target[@bus='scsi']" "disk not on SCSI"
xml_has scsi w16 "/domain/devices/controller[@type='scsi'][@model='virtio-scsi']" \
    "no virtio-scsi controller"
[ "$(sha256sum <w16.img)" = "$sum_w16" ] || fail "scsi: the source changed"

# ---- 6. a bad --virtio-win path -------------------------------------------
mkdir bad
expect_fail "$V2KVM" -i disk w10.img -on w10bad -o local -os "$T/bad" \
    --virtio-win /nonexistent >/dev/null
# Refused with the options, before anything starts: the error line and
# the usage hint.
[ "$(grep -c '^v2kvm: error:' "$T/err")" = 1 ] || { cat "$T/err" >&2; fail "bad: not one error line"; }
assert_grep '^v2kvm: error: --virtio-win /nonexistent: No such file or directory' "$T/err"
! grep -q 'Starting the libguestfs appliance' "$T/err" || fail "bad: the appliance was started"
[ -z "$(ls -A bad)" ] || fail "bad: output left behind: $(ls -A bad)"
[ "$(sha256sum <w10.img)" = "$sum_w10" ] || fail "bad: the source changed"

# ---- the converted disks of 1, 2 and 5: one guestfish run --------------
# For each: the listing of Drivers\VirtIO, the staged driver files, the
# first-boot scripts and the SYSTEM hive, downloaded.
gf=$T/gf.script
: >"$gf"
for d in vmx/w19 ova/w16 scsi/w16; do
    echo "add $T/$d-sda format:qcow2 readonly:true" >>"$gf"
done
echo run >>"$gf"
for d in vmx:/dev/sda1 ova:/dev/sdb1 scsi:/dev/sdc1; do
    dev=${d#*:} d=${d%%:*}
    mkdir -p "$T/g-$d/scripts"
    cat >>"$gf" <<EOF
mount-ro $dev /
-ls /Windows/Drivers/VirtIO | cat >$T/g-$d/virtio.lst
-download /Windows/Drivers/VirtIO/viostor.sys $T/g-$d/virtio-viostor.sys
is-file /Windows/System32/drivers/viostor.sys | cat >$T/g-$d/viostor.isfile
is-file /Windows/System32/drivers/vioscsi.sys | cat >$T/g-$d/vioscsi.isfile
-ls "/Program Files/v2kvm/Firstboot/scripts" | cat >$T/g-$d/scripts.lst
-copy-out "/Program Files/v2kvm/Firstboot/scripts" $T/g-$d
-download /Windows/System32/config/SYSTEM $T/g-$d/SYSTEM
umount-all
EOF
done
guestfish -f "$gf" >"$T/gf.log" 2>&1 ||
    { cat "$T/gf.log" >&2; fail "guestfish on the converted disks failed"; }

# reg CASE KEY VALUE EXPECTED: SYSTEM's KEY\VALUE as hivexget prints it.
reg() {
    local got
    got=$(hivexget "$T/g-$1/SYSTEM" "$2" "$3" 2>/dev/null) || got="(missing)"
    [ "$got" = "$4" ] || fail "$1: SYSTEM\\$2\\$3 is '$got', not '$4'"
}
# boot_critical CASE DRIVER PCI-ID: the driver is a boot-start kernel
# driver bound to its device in the DriverDatabase.
boot_critical() {
    local c=$1 drv=$2 id=$3 svc="ControlSet001\\Services\\$2"
    [ "$(cat "$T/g-$c/$drv.isfile")" = true ] ||
        fail "$c: no \\Windows\\System32\\drivers\\$drv.sys"
    reg "$c" "$svc" Start 0
    reg "$c" "$svc" Type 1
    reg "$c" "$svc" ImagePath "system32\\drivers\\$drv.sys"
    hivexget "$T/g-$c/SYSTEM" "DriverDatabase\\DeviceIds\\PCI\\$id" \
        >"$T/g-$c/devid.reg" 2>&1 || true
    grep -q "^\"$drv.inf\"=" "$T/g-$c/devid.reg" ||
        { cat "$T/g-$c/devid.reg" >&2
          fail "$c: DriverDatabase\\DeviceIds\\PCI\\$id has no value $drv.inf"; }
    reg "$c" 'ControlSet001\Services\v2kvm-firstboot' Start 2
    reg "$c" 'ControlSet001\Control\CrashControl' AutoReboot 0
}
# virtio_files CASE TREE OS: Drivers\VirtIO holds exactly what TREE has
# for OS/amd64; its viostor.sys is the one from OS/amd64.
virtio_files() {
    expected "$2" "$3" >"$T/g-$1/virtio.exp"
    [ -s "$T/g-$1/virtio.exp" ] || fail "$1: nothing expected from $2 for $3 (test bug)"
    sort "$T/g-$1/virtio.lst" >"$T/g-$1/virtio.got"
    diff -u "$T/g-$1/virtio.exp" "$T/g-$1/virtio.got" ||
        fail "$1: \\Windows\\Drivers\\VirtIO is not the $3/amd64 files of $2"
    grep -Eq "(/$3/amd64/|/amd64/$3/)viostor.sys\$" "$T/g-$1/virtio-viostor.sys" ||
        fail "$1: Drivers\\VirtIO\\viostor.sys is not $3's: $(cat "$T/g-$1/virtio-viostor.sys")"
}

# 1. VMX: 2k19 from the ISO (its files hold their path in iso-tree).
virtio_files vmx "$T/vw/iso-tree" 2k19
boot_critical vmx viostor 'VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00'
s=$T/g-vmx/scripts
for f in 2000-pnputil-drivers.bat 3000-install-qemu-ga.bat; do
    [ -f "$s/$f" ] || fail "vmx: no first-boot script $f (have: $(cat "$T/g-vmx/scripts.lst"))"
done
vmws=("$s"/4[0-9][0-9][0-9]-uninstall-vmware*.bat)
[ ${#vmws[@]} = 1 ] && [ -f "${vmws[0]}" ] ||
    fail "vmx: not one VMware Tools uninstall script (have: $(cat "$T/g-vmx/scripts.lst"))"
vmw=${vmws[0]##*/}
grep -qF 'msiexec.exe /x {C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F}' "$s/$vmw" ||
    { cat "$s/$vmw" >&2; fail "vmx: $vmw does not run msiexec.exe /x {C6C1A3F1-...}"; }
for f in "$s"/*; do
    [ -s "$f" ] || fail "vmx: first-boot script ${f##*/} is empty"
    lf=$(grep -c . "$f" || true)
    crlf=$(grep -c $'\r$' "$f" || true)
    [ "$lf" = "$crlf" ] && [ "$(tail -c1 "$f" | od -An -tx1 | tr -d ' ')" = 0a ] ||
        fail "vmx: first-boot script ${f##*/} has lines without CRLF ($crlf of $lf)"
done

# 2. OVA: 2k16 from the packaged layout.
virtio_files ova "$T/vw/pkg" 2k16
boot_critical ova viostor 'VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00'

# 5. virtio-scsi: vioscsi boot-start (viostor staged, not boot-critical).
boot_critical scsi vioscsi 'VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00'
echo "ok"
