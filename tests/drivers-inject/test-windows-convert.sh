#!/bin/bash
# test-windows-convert.sh - the Windows conversion on phony guests
# (tests/lib/mkphony-windows.sh) with a fake virtio-win
# (tests/lib/mkvirtio-win.sh): every registry value the steps write is
# read back from the converted disk with hivexget, every staged file is
# looked for, and the domain XML says what the guest can drive.
#   2k8r2  win2k8r2 + Xen PV + Parallels: CriticalDeviceDatabase, the
#          old drivers disabled, prl_strg out of LowerFilters (ISO)
#   2k22   win2k22 + static IP + VMware Tools: DriverDatabase entries for
#          the package staged in the driver store, the first-boot
#          service and scripts (directory layout of the ISO); the text
#          form of --print-guest
#   uefi   win2k22 on GPT with an ESP: BCD element 16000046 gone,
#          \EFI\Boot\bootx64.efi = bootmgfw.efi, firmware efi
#   w10    win10 + VirtualBox Guest Additions + RTC in UTC
#   xp     winxp-32: NTFS heads for the disk's size, i440fx, x86 drivers
#   w7     win7-32: the x86 package and service program
# One appliance builds the disks, one per conversion, one reads all back.
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish hivexget xorriso virt-xml-validate virsh x86_64-w64-mingw32-gcc

exe=$V2K_BINARY_DIR/windows/v2kvm-firstboot-x64.exe
[ -f "$exe" ] || fail "$exe was not built (mingw-w64 missing?)"

bash "$V2K_SOURCE_DIR/tests/lib/mkvirtio-win.sh" "$T/vw" >"$T/vw.log" 2>&1 ||
    { cat "$T/vw.log" >&2; fail "mkvirtio-win.sh failed"; }
bash "$V2K_SOURCE_DIR/tests/lib/mkphony-windows.sh" \
    win2k8r2 "$T/2k8r2.img" xen-pv parallels \
    + win2k22 "$T/2k22.img" static-ip vmware-tools \
    + win2k22 "$T/uefi.img" uefi \
    + win10 "$T/w10.img" vbox-additions utc \
    + winxp-32 "$T/xp.img" \
    + win7-32 "$T/w7.img" >"$T/mk.log" 2>&1 ||
    { cat "$T/mk.log" >&2; fail "mkphony-windows.sh failed"; }

cases="2k8r2 2k22 uefi w10 xp w7"
for c in $cases; do
    md5sum "$T/$c.img" >"$T/$c.md5"
    vw=$T/vw/virtio-win.iso pg=
    # 2k22: the directory layout, and --print-guest's text form.
    [ "$c" != 2k22 ] || { vw=$T/vw/iso-tree; pg=--print-guest; }
    mkdir -p "$T/out-$c"
    "$V2KVM" -i disk "$T/$c.img" -o local -os "$T/out-$c" --virtio-win "$vw" \
        $pg -v >"$T/$c.log" 2>&1 ||
        { tail -30 "$T/$c.log" >&2; fail "$c: the conversion failed"; }
    md5sum -c --quiet "$T/$c.md5" || fail "$c: the source disk was written to"
    xml=$T/out-$c/$c.xml
    virt-xml-validate "$xml" domain >/dev/null || fail "$c: $xml is not valid"
    virsh -q -c test:///default define "$xml" >/dev/null ||
        fail "$c: virsh define refused $xml"
done

# ---- read everything back in one appliance ----------------------------
{
    for c in $cases; do echo "add $T/out-$c/$c-sda format:qcow2 readonly:true"; done
    echo run
    i=0
    for c in $cases; do
        d=/dev/sd$(printf "\\x$(printf %x $((97 + i)))")
        p=${d}1; [ $c != uefi ] || p=${d}2
        mkdir -p "$T/rb-$c"
        sys=/Windows; [ $c != xp ] || sys=/WINDOWS
        cat <<EOF
mount-ro $p /
download $sys/System32/config/SYSTEM $T/rb-$c/SYSTEM
download $sys/System32/config/SOFTWARE $T/rb-$c/SOFTWARE
echo ==ls-virtio $c
ls $sys/Drivers/VirtIO
echo ==ls-sysdrivers $c
ls $sys/System32/drivers
echo ==find-store $c
-find $sys/System32/DriverStore
echo ==ls-fb $c
-ls "/Program Files/v2kvm/Firstboot"
echo ==ls-scripts $c
-ls "/Program Files/v2kvm/Firstboot/scripts"
echo ==ls-temp $c
-ls "/Program Files/v2kvm/Firstboot/Temp"
-download "/Program Files/v2kvm/Firstboot/v2kvm-firstboot.exe" $T/rb-$c/fb.exe
-copy-out "/Program Files/v2kvm/Firstboot/scripts" $T/rb-$c
umount-all
download-offset $p $T/rb-$c/heads 26 2
EOF
        if [ $c = uefi ]; then
            cat <<EOF
mount-ro ${d}1 /
download /EFI/Microsoft/Boot/BCD $T/rb-$c/BCD
echo ==sum-bootmgfw $c
checksum sha256 /EFI/Microsoft/Boot/bootmgfw.efi
echo ==sum-fallback $c
checksum sha256 /EFI/Boot/bootx64.efi
umount-all
EOF
        fi
        i=$((i + 1))
    done
} >"$T/rb.gf"
guestfish -f "$T/rb.gf" >"$T/rb.out" 2>&1 ||
    { cat "$T/rb.out" >&2; fail "reading the converted disks back failed"; }

# section NAME CASE: the lines guestfish printed under "==NAME CASE".
section() {
    awk -v h="==$1 $2" '$0 == h { on = 1; next } /^==/ { on = 0 } on' "$T/rb.out"
}
# hv CASE HIVE KEY VALUE EXPECTED: a registry value read back.
hv() {
    local got
    got=$(hivexget "$T/rb-$1/$2" "$3" "$4" 2>/dev/null) ||
        fail "$1: $2\\$3\\$4 is missing"
    [ "$got" = "$5" ] || fail "$1: $2\\$3\\$4 is '$got', not '$5'"
}
hkey() {                        # hkey CASE HIVE KEY: the key exists
    hivexget "$T/rb-$1/$2" "$3" >/dev/null 2>&1 || fail "$1: $2\\$3 is missing"
}
nokey() {
    ! hivexget "$T/rb-$1/$2" "$3" >/dev/null 2>&1 || fail "$1: $2\\$3 should not exist"
}
xmlq() { xmllint --xpath "$2" "$T/out-$1/$1.xml" 2>/dev/null; }

CCS='\ControlSet001'
# The fake virtio-win's files for an OS and arch: what Drivers\VirtIO must
# hold (the drivers step's own choice, recomputed here from the tree).
expect_virtio() {               # expect_virtio OS ARCH
    (cd "$T/vw/iso-tree" && find . -type f -path "*/$1/$2/*" ! -path '*/sriov/*' \
        ! -name 'vioprot.*' ! -name '*.pdb' -printf '%f\n') |
        tr 'A-Z' 'a-z' | sort -u >"$T/want-$1-$2"
    # qemufwcfg is dropped when fwcfg.inf is there (RHBZ#2151752).
    if grep -qx fwcfg.inf "$T/want-$1-$2"; then
        grep -v '^qemufwcfg\.' "$T/want-$1-$2" >"$T/want.tmp"
        mv "$T/want.tmp" "$T/want-$1-$2"
    fi
}
check_virtio() {                # check_virtio CASE OS ARCH
    expect_virtio "$2" "$3"
    section ls-virtio "$1" | tr 'A-Z' 'a-z' | sort >"$T/got-$1"
    diff "$T/want-$2-$3" "$T/got-$1" >"$T/diff-$1" ||
        fail "$1: Drivers\\VirtIO differs from the fake tree's $2/$3: $(cat "$T/diff-$1")"
}

# Common to all: the boot driver, its service, AutoReboot, DevicePath,
# the first-boot service, and the XML.
common() {                      # common CASE OS ARCH EXE-ARCH
    local c=$1
    check_virtio "$c" "$2" "$3"
    section ls-sysdrivers "$c" | grep -qx viostor.sys ||
        fail "$c: System32\\drivers\\viostor.sys is missing"
    hv $c SYSTEM "$CCS\\Services\\viostor" Start 0
    hv $c SYSTEM "$CCS\\Services\\viostor" Type 1
    hv $c SYSTEM "$CCS\\Services\\viostor" ErrorControl 1
    hv $c SYSTEM "$CCS\\Services\\viostor" Group "SCSI miniport"
    hv $c SYSTEM "$CCS\\Services\\viostor" ImagePath 'system32\drivers\viostor.sys'
    hv $c SYSTEM "$CCS\\Control\\CrashControl" AutoReboot 0
    hivexget "$T/rb-$c/SOFTWARE" '\Microsoft\Windows\CurrentVersion' DevicePath |
        grep -qF '%SystemRoot%\inf;%SystemRoot%\Drivers\VirtIO' ||
        fail "$c: DevicePath lacks %SystemRoot%\\Drivers\\VirtIO"
    hv $c SYSTEM "$CCS\\Services\\v2kvm-firstboot" Start 2
    hv $c SYSTEM "$CCS\\Services\\v2kvm-firstboot" Type 16
    hv $c SYSTEM "$CCS\\Services\\v2kvm-firstboot" ObjectName LocalSystem
    hv $c SYSTEM "$CCS\\Services\\v2kvm-firstboot" ImagePath \
        '"C:\Program Files\v2kvm\Firstboot\v2kvm-firstboot.exe" service'
    cmp -s "$T/rb-$c/fb.exe" "$V2K_BINARY_DIR/windows/v2kvm-firstboot-$4.exe" ||
        fail "$c: v2kvm-firstboot.exe is not the $4 build"
    section ls-fb "$c" | grep -qx config.ini || fail "$c: no config.ini"
    [ "$(xmlq "$c" 'string(//disk[@device="disk"]/target/@bus)')" = virtio ] ||
        fail "$c: the disk is not on virtio"
    [ "$(xmlq "$c" 'string(//interface/model/@type)')" = virtio ] ||
        fail "$c: the NIC is not virtio"
    xmlq "$c" '//channel/target[@name="org.qemu.guest_agent.0"]' >/dev/null ||
        fail "$c: no guest agent channel"
    grep -q "^\[.*\] First boot: [0-9]* scripts\? queued" "$T/$c.log" ||
        fail "$c: no 'First boot' line"
}

# CriticalDeviceDatabase: both PCI ids, with and without the revision.
cdb() {
    local c=$1 id
    for id in 'pci#ven_1af4&dev_1001&subsys_00021af4&rev_00' \
              'pci#ven_1af4&dev_1001&subsys_00021af4' \
              'pci#ven_1af4&dev_1042&subsys_11001af4&rev_01' \
              'pci#ven_1af4&dev_1042&subsys_11001af4'; do
        hv $c SYSTEM "$CCS\\Control\\CriticalDeviceDatabase\\$id" Service viostor
        hv $c SYSTEM "$CCS\\Control\\CriticalDeviceDatabase\\$id" ClassGUID \
            '{4D36E97B-E325-11CE-BFC1-08002BE10318}'
    done
    nokey $c SYSTEM '\DriverDatabase'
    ! section find-store "$c" | grep -q '^/FileRepository/' ||
        fail "$c: a driver store package before Windows 8"
}

# 2k8r2: CDB, Xen PV and Parallels disabled, LowerFilters.
common 2k8r2 2k8r2 amd64 x64
cdb 2k8r2
hv 2k8r2 SYSTEM "$CCS\\Services\\rhelscsi" Start 4
for s in prl_boot prl_dd prl_eth5 prl_fs prl_strg; do
    hv 2k8r2 SYSTEM "$CCS\\Services\\$s" Start 4
done
lf=$(hivexregedit --export "$T/rb-2k8r2/SYSTEM" \
     "$CCS\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}" |
     grep -i '^"LowerFilters"')
# PartMgr alone: "PartMgr" in UTF-16LE + two NUL units.
[ "$lf" = '"LowerFilters"=hex(7):50,00,61,00,72,00,74,00,4d,00,67,00,72,00,00,00,00,00' ] ||
    fail "2k8r2: LowerFilters is $lf, not PartMgr alone"
section ls-scripts 2k8r2 | grep -qx '4[0-9]*-uninstall-xen-pv.bat' ||
    fail "2k8r2: no Xen PV uninstall script"
section ls-scripts 2k8r2 | grep -qx '4[0-9]*-uninstall-parallels-tools.bat' ||
    fail "2k8r2: no Parallels Tools uninstall script"

# 2k22: DriverDatabase for the package in the driver store.
common 2k22 2k22 amd64 x64
label=$(section find-store 2k22 | sed -n 's|^/FileRepository/\(viostor\.inf_amd64_[0-9a-f]\{16\}\)$|\1|p')
[ -n "$label" ] || fail "2k22: no viostor.inf_amd64_HASH in the driver store: $(section find-store 2k22)"
for f in viostor.inf viostor.sys viostor.cat; do
    section find-store 2k22 | grep -qx "/FileRepository/$label/$f" ||
        fail "2k22: $f is not in the driver store package $label"
done
DD='\DriverDatabase'
hv 2k22 SYSTEM "$DD\\DriverInfFiles\\viostor.inf" Active "$label"
hv 2k22 SYSTEM "$DD\\DriverPackages\\$label\\Configurations\\viostor_conf" Service viostor
hv 2k22 SYSTEM "$DD\\DriverPackages\\$label\\Configurations\\viostor_conf" ConfigFlags 0
for id in 'VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00' \
          'VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01'; do
    hkey 2k22 SYSTEM "$DD\\DeviceIds\\PCI\\$id"
    hivexregedit --export "$T/rb-2k22/SYSTEM" "$DD\\DeviceIds\\PCI\\$id" |
        grep -qx '"viostor.inf"=hex(3):01,ff,00,00' ||
        fail "2k22: DeviceIds\\PCI\\$id has no viostor.inf = 01 ff 00 00"
    hv 2k22 SYSTEM "$DD\\DriverPackages\\$label\\Descriptors\\PCI\\$id" \
        Configuration viostor_conf
done
hivexregedit --export "$T/rb-2k22/SYSTEM" "$DD\\DriverPackages\\$label" |
    grep -q '^"Version"=hex(3):ff,ff,09,00,00,00,00,00,7b,e9,36,4d,25,e3,ce,11,bf,c1,08,00,2b,e1,03,18' ||
    fail "2k22: the package's Version blob does not carry the SCSI class GUID"
nokey 2k22 SYSTEM "$CCS\\Control\\CriticalDeviceDatabase"
section ls-temp 2k22 | grep -qx qemu-ga-x86_64.msi || fail "2k22: the guest agent MSI is not staged"
# The scripts as the unit test's golden files say (names; the network
# script with this guest's own settings, read from its registry).
for s in 2000-pnputil-drivers.bat 2500-network.ps1 3000-install-qemu-ga.bat \
         3100-install-blnsvr.bat; do
    section ls-scripts 2k22 | grep -qx "$s" || fail "2k22: script $s is missing"
done
cmp -s "$T/rb-2k22/scripts/2000-pnputil-drivers.bat" \
    "$V2K_SOURCE_DIR/tests/data/windows/firstboot/win2k22/2000-pnputil-drivers.bat" ||
    fail "2k22: 2000-pnputil-drivers.bat differs from its golden file"
grep -q "^Set-V2kStatic '' @('10.20.30.40') @('255.255.255.0') @('10.20.30.1') @('10.20.30.2','10.20.30.3')" \
    "$T/rb-2k22/scripts/2500-network.ps1" ||
    fail "2k22: the network script does not re-apply 10.20.30.40/24: $(tail -2 "$T/rb-2k22/scripts/2500-network.ps1")"
grep -q "^Set-V2kStatic6 '' @('2001:db8:20:30::40/64') @('2001:db8:20:30::2')" \
    "$T/rb-2k22/scripts/2500-network.ps1" ||
    fail "2k22: the network script does not re-apply the manual IPv6 address: $(tail -2 "$T/rb-2k22/scripts/2500-network.ps1")"
! grep -q 'feaa' "$T/rb-2k22/scripts/2500-network.ps1" ||
    fail "2k22: an autoconfigured IPv6 address was taken for a manual one"
grep -q 'msiexec.exe /x {C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F} /qn' "$T"/rb-2k22/scripts/4*-uninstall-vmware-tools.bat ||
    fail "2k22: the VMware Tools uninstall script does not use msiexec /x"
for l in '^OS: *windows (windows)$' '^osinfo: *win2k22$' '^Build: *20348$' \
         '^Driver store: *DriverDatabase (Windows 8 and later)$' \
         '^Hypervisor tools: *vmware-tools$' \
         'addresses 10.20.30.40/24, gateways 10.20.30.1, DNS 10.20.30.2 10.20.30.3' \
         'IPv6 addresses 2001:db8:20:30::40/64, DNS 2001:db8:20:30::2'; do
    grep -q "$l" "$T/2k22.log" || fail "2k22: --print-guest has no line matching $l"
done
[ "$(xmlq 2k22 'string(/domain/os/type/@machine)')" = q35 ] || fail "2k22: not q35"
[ "$(xmlq 2k22 'string(/domain/clock/@offset)')" = localtime ] || fail "2k22: the clock is not localtime"
xmlq 2k22 '/domain/features/hyperv' >/dev/null || fail "2k22: no Hyper-V enlightenments"

# uefi: BCD and the fallback loader.
common uefi 2k22 amd64 x64
hivexget "$T/rb-uefi/BCD" '\Objects\{3f1a2b4c-5d6e-4f70-8192-a3b4c5d6e7f8}\Elements\12000002' >/dev/null ||
    fail "uefi: BCD lost the loader's other elements"
! hivexget "$T/rb-uefi/BCD" '\Objects\{3f1a2b4c-5d6e-4f70-8192-a3b4c5d6e7f8}\Elements\16000046' >/dev/null 2>&1 ||
    fail "uefi: BCD element 16000046 is still there"
[ -n "$(section sum-bootmgfw uefi)" ] &&
    [ "$(section sum-bootmgfw uefi)" = "$(section sum-fallback uefi)" ] ||
    fail "uefi: \\EFI\\Boot\\bootx64.efi is not bootmgfw.efi"
[ "$(xmlq uefi 'string(/domain/os/@firmware)')" = efi ] ||
    xmlq uefi '/domain/os/loader' >/dev/null || fail "uefi: the XML does not boot UEFI"

# w10: VirtualBox Guest Additions, RTC in UTC.
common w10 w10 amd64 x64
grep -q '"C:\\Program Files\\Oracle\\VirtualBox Guest Additions\\uninst.exe" /S' \
    "$T"/rb-w10/scripts/4*-uninstall-vbox-additions.bat ||
    fail "w10: no silent VirtualBox Guest Additions uninstall"
[ "$(xmlq w10 'string(/domain/clock/@offset)')" = utc ] ||
    fail "w10: RealTimeIsUniversal=1 but the clock is not utc"

# xp: NTFS heads 0x40 for a 512 MiB disk; i440fx; x86 drivers, no
# PowerShell or pnputil scripts.
common xp xp x86 x86
cdb xp
[ "$(od -An -tx1 "$T/rb-xp/heads" | tr -d ' ')" = 4000 ] ||
    fail "xp: the NTFS heads are $(od -An -tx1 "$T/rb-xp/heads"), not 40 00"
[ "$(xmlq xp 'string(/domain/os/type/@machine)')" = pc ] ||
    fail "xp: NT 5.1 needs the pc (i440fx) machine"
! section ls-scripts xp | grep -q '\.ps1$\|pnputil' ||
    fail "xp: PowerShell or pnputil scripts queued for XP"
grep -q 'ntfs-geometry' "$T/xp.log" || fail "xp: the ntfs-geometry step did not run"

# w7: CDB, the x86 package and service program.
common w7 w7 x86 x86
cdb w7

echo "windows conversion: $cases OK"
