#!/bin/bash
# --no-convert of a Windows guest: nothing is inspected, so the source's
# OS hint (VMX guestOS, OVF osType) makes it Windows-shaped: localtime,
# Hyper-V enlightenments, no virtio (SATA + e1000 on q35; IDE + rtl8139
# on pc for NT 5.x), no virtio rng, balloon or pvpanic.  The user's
# overrides still apply after the hint; a Linux hint keeps virtio.  Every
# XML passes virt-xml-validate and libvirt's test driver.  Also -o qemu.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img xmllint virt-xml-validate virsh

mkdir "$T/vm"
qemu-img create -q -f raw "$T/vm/win-flat.img" 16M
cat >"$T/vm/win.vmdk" <<VMDK
# Disk DescriptorFile
version=1
CID=fffffffe
parentCID=ffffffff
createType="monolithicFlat"
RW $(( 16 << 11 )) FLAT "win-flat.img" 0
ddb.adapterType = "lsilogic"
VMDK
# mkvmx NAME GUESTOS: a VMX with one disk, a CD-ROM and a NIC.
mkvmx() {
    cat >"$T/vm/$1.vmx" <<VMX
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "14"
displayName = "$1"
memSize = "512"
numvcpus = "2"
guestOS = "$2"
scsi0.present = "TRUE"
scsi0.virtualDev = "lsisas1068"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "win.vmdk"
ide1:0.present = "TRUE"
ide1:0.deviceType = "atapi-cdrom"
ide1:0.fileName = "auto detect"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "e1000e"
ethernet0.connectionType = "bridged"
ethernet0.addressType = "generated"
ethernet0.generatedAddress = "00:0c:29:3a:4b:5c"
VMX
}

xp() { xmllint --xpath "$1" "$2"; }
# convert NAME GUESTOS [ARGS...]: -o local into $T/NAME, XML validated.
convert() {
    local name=$1 os=$2
    shift 2
    mkvmx "$name" "$os"
    mkdir "$T/$name"
    "$V2KVM" --no-convert -v -i vmx "$T/vm/$name.vmx" -o local \
        -os "$T/$name" "$@" >"$T/$name.log" 2>&1 ||
        { cat "$T/$name.log" >&2; fail "$name: v2kvm failed"; }
    x=$T/$name/$name.xml
    virt-xml-validate "$x" >/dev/null 2>&1 || fail "$x: virt-xml-validate"
    virsh -q -c test:///default define "$x" >/dev/null ||
        fail "$x: the test driver rejects it"
}

# Windows Server 2022 (VMware's name for it).
convert w2k22 windows2019srvNext-64
assert_grep "guestcaps from the source's OS hint 'windows2019srvNext-64': windows, osinfo win2k22, NT 10.0, machine q35, block sata, nic e1000, rtc localtime" "$T/w2k22.log"
assert_grep 'warning: --no-convert' "$T/w2k22.log"
[ "$(xp 'string(/domain/clock/@offset)' "$x")" = localtime ] || fail clock
[ "$(xp 'string(/domain/os/type/@machine)' "$x")" = q35 ] || fail machine
[ "$(xp 'string(/domain/features/hyperv/spinlocks/@retries)' "$x")" = 8191 ] ||
    fail "no hyperv spinlocks"
xp 'boolean(/domain/features/hyperv/vapic)' "$x" | grep -q true ||
    fail "no hyperv vapic"
[ "$(xp 'string(/domain/clock/timer[@name="hypervclock"]/@present)' "$x")" = yes ] ||
    fail "no hypervclock"
[ "$(xp 'string(/domain/devices/disk[@device="disk"]/target/@bus)' "$x")" = sata ] ||
    fail "disk bus"
[ "$(xp 'string(/domain/devices/disk[@device="disk"]/target/@dev)' "$x")" = sda ] ||
    fail "disk name"
[ "$(xp 'string(/domain/devices/interface/model/@type)' "$x")" = e1000 ] ||
    fail "nic model"
[ "$(xp 'string(/domain/devices/memballoon/@model)' "$x")" = none ] ||
    fail "memballoon"
[ "$(xp 'count(/domain/devices/rng | /domain/devices/panic)' "$x")" = 0 ] ||
    fail "rng or panic without drivers"
[ "$(xp 'string(/domain/devices/channel/target/@name)' "$x")" = \
    org.qemu.guest_agent.0 ] || fail "no guest agent channel"
[ "$(xp 'string(//*[local-name()="guest"]/@osinfo)' "$x")" = win2k22 ] ||
    fail "osinfo"

# Windows XP: pc, IDE (disk hda, CD-ROM hdb), rtl8139, no enlightenments.
convert xp winXPPro
[ "$(xp 'string(/domain/os/type/@machine)' "$x")" = pc ] || fail "xp machine"
[ "$(xp 'string(/domain/devices/disk[@device="disk"]/target/@dev)' "$x")" = hda ] ||
    fail "xp disk"
[ "$(xp 'string(/domain/devices/disk[@device="disk"]/target/@bus)' "$x")" = ide ] ||
    fail "xp disk bus"
[ "$(xp 'string(/domain/devices/interface/model/@type)' "$x")" = rtl8139 ] ||
    fail "xp nic"
[ "$(xp 'count(/domain/features/hyperv)' "$x")" = 0 ] || fail "xp hyperv"
[ "$(xp 'string(/domain/clock/@offset)' "$x")" = localtime ] || fail "xp clock"

# Overrides after the hint: --block-driver says the guest has virtio
# drivers; -oo machine=q35 cannot carry XP's IDE.
convert w10vio windows9-64 --block-driver virtio-scsi
[ "$(xp 'string(/domain/devices/disk[@device="disk"]/target/@bus)' "$x")" = scsi ] ||
    fail "--block-driver after the hint"
[ "$(xp 'string(/domain/clock/@offset)' "$x")" = localtime ] || fail "w10 clock"
mkvmx xpq35 winXPPro
mkdir "$T/xpq35"
expect_fail "$V2KVM" --no-convert -q -i vmx "$T/vm/xpq35.vmx" -o local \
    -os "$T/xpq35" -oo machine=q35
assert_grep "machine=q35: the guest's disks need IDE" "$T/err"

# A Linux hint: today's virtio guest, UTC, no hyperv.
convert deb debian10-64
grep -q "OS hint" "$T/deb.log" && fail "a Linux hint was taken"
[ "$(xp 'string(/domain/devices/disk[@device="disk"]/target/@bus)' "$x")" = virtio ] ||
    fail "linux disk bus"
[ "$(xp 'string(/domain/devices/interface/model/@type)' "$x")" = virtio ] ||
    fail "linux nic"
[ "$(xp 'string(/domain/clock/@offset)' "$x")" = utc ] || fail "linux clock"
[ "$(xp 'count(/domain/features/hyperv)' "$x")" = 0 ] || fail "linux hyperv"

# -o qemu of the Windows 2022 guest: the same choices in the script.
mkdir "$T/q"
"$V2KVM" --no-convert -q -i vmx "$T/vm/w2k22.vmx" -o qemu -os "$T/q" -n default
sh=$T/q/w2k22.sh
sh -n "$sh" || fail "$sh does not parse"
for want in "-rtc base=localtime" "-machine q35,accel=\$accel,hpet=off" \
    'hv=,hv_relaxed,hv_vapic,hv_spinlocks=0x1fff,hv_time' 'hv_vpindex' \
    "-cpu \"\$cpu\$hv\"" "ide-hd,drive=disk0,bus=ide.0,bootindex=1" \
    "e1000,netdev=net0,mac=00:0c:29:3a:4b:5c" \
    "name=org.qemu.guest_agent.0" "kvm-pit.lost_tick_policy=delay"; do
    grep -qF -- "$want" "$sh" || fail "script lacks '$want'"
done
for nowant in virtio-balloon virtio-rng pvpanic virtio-blk; do
    grep -qF -- "$nowant" "$sh" && fail "script has '$nowant'"
done
# qemu takes these options: the script runs (TCG) until the timeout.
if command -v qemu-system-x86_64 >/dev/null; then
    rc=0
    V2K_ACCEL=tcg V2K_SERIAL=null timeout 5 "$sh" -display none \
        >/dev/null 2>"$T/qemu.err" || rc=$?
    [ $rc = 124 ] || { cat "$T/qemu.err" >&2; fail "the script exits $rc"; }
fi
echo "test-no-convert-windows: ok"
