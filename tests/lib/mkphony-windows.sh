#!/bin/bash
# mkphony-windows.sh - build phony Windows guest disks for inspection and
# conversion tests.  No Windows inside (none can be had here): an NTFS
# filesystem (ntfs-3g in the appliance) with the files and registry
# hives libguestfs inspection and v2kvm's Windows steps read, made with
# Debian's tools alone: hives by hivexregedit --merge into an empty hive
# (tests/lib/mkhive.py), cmd.exe a real PE built by mingw-w64 for the
# guest's architecture.
#
#   mkphony-windows.sh KIND OUT.img [TRACE...] [+ KIND OUT.img [TRACE...]]...
#
# All images named on one command line are built in ONE guestfish run
# (one appliance launch), each a raw, sparse 512 MiB file.
#
# KINDs (NT version, build, variant, arch; hostname = KIND-phony):
#   win2k8r2    6.1.7601 Server x86_64 (CriticalDeviceDatabase era)
#   win2k12r2   6.3.9600 Server x86_64 (DriverDatabase from here on)
#   win2k16     10.0.14393 Server x86_64
#   win2k19     10.0.17763 Server x86_64
#   win2k22     10.0.20348 Server x86_64
#   win2k25     10.0.26100 Server x86_64 (Fast Startup setting on: servers
#               ignore it, as Windows does)
#   win2k3-32   5.2.3790 Server i386 (\WINDOWS, no InstallationType)
#   win10       10.0.19045 Client x86_64
#   win11       10.0.22631 Client x86_64
#   win7-32     6.1.7601 Client i386
#   winxp-32    5.1.2600 Client i386 (\WINDOWS, no InstallationType)
# Disk: MBR (disk signature 0x5632564b "KV2V"), sda1 NTFS from 1 MiB;
# SYSTEM's MountedDevices maps C: to it.
#
# TRACEs:
#   uefi            GPT: sda1 ESP (vfat) with \EFI\Microsoft\Boot\
#                   bootmgfw.efi, \EFI\Microsoft\Boot\BCD (a BCD hive:
#                   the boot manager's default entry has element 16000046)
#                   and no \EFI\Boot\bootx64.efi; sda2 NTFS C:
#   vmware-tools    Uninstall entry "VMware Tools" (MsiExec.exe /I{...}),
#                   services vmci, vmxnet3ndis6, vmtools
#   vbox-additions  Uninstall entry "Oracle VM VirtualBox Guest
#                   Additions 7.0.10" (uninst.exe), services VBoxGuest,
#                   VBoxSF, VBoxService; \Program Files\Oracle\VirtualBox
#                   Guest Additions\uninst.exe
#   xen-pv          Uninstall entry "Red Hat Paravirtualized Xen Drivers
#                   for Windows(R)" (...\uninst.exe), service rhelscsi
#   parallels       Uninstall entry "Parallels Tools", services prl_*,
#                   prl_strg in the disk class's LowerFilters
#   static-ip       Tcpip\Parameters\Interfaces\{GUID}: EnableDHCP 0,
#                   10.20.30.40/24 gw 10.20.30.1 dns 10.20.30.2,10.20.30.3,
#                   bound (NetCfgInstanceId) to the network class's 0001
#                   adapter "vmxnet3 Ethernet Adapter"; IPv6: the manual
#                   2001:db8:20:30::40/64 (and an autoconfigured one to
#                   ignore) in the NSI store for its NetLuidIndex 9, DNS
#                   2001:db8:20:30::2 under Tcpip6
#   utc             TimeZoneInformation\RealTimeIsUniversal = 1
#   hibernated      \hiberfil.sys starts with "HIBR" (Windows hibernated
#                   or Fast Startup): ntfs-3g refuses to mount it rw
#   bitlocker       a second partition (MBR: sda2, type 0x07; with uefi:
#                   sda3, basic data) whose boot sector is a Windows 7+
#                   BitLocker volume's as libblkid's prober reads it
#                   (EB 58 90 "-FVE-FS-", the FVE metadata offset at 176
#                   pointing at a "-FVE-FS-" block, version 2): vfs-type
#                   says "BitLocker".  Nothing behind it can be unlocked.
#   dynamic         a second partition (MBR: sda2, type 0x42, Windows
#                   LDM; with uefi: sda3, GPT type LDM data
#                   AF9B60A0-1431-4F62-BC68-3311714A69AD), empty: a
#                   dynamic disk as partitioning tools see it
#   bad-hive        SYSTEM truncated to its first 4096 bytes (the regf
#                   header alone, no hbins): hivex cannot open it
# With bitlocker or dynamic, C: ends at 448 MiB.
set -euo pipefail
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
here=$(dirname "${BASH_SOURCE[0]}")
. "$here/appliance-accel.sh"

die() { echo "mkphony-windows.sh: $*" >&2; exit 1; }

for t in guestfish hivexregedit python3 x86_64-w64-mingw32-gcc \
         i686-w64-mingw32-gcc; do
    command -v $t >/dev/null || die "$t missing (run scripts/setup.sh)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/mkphony-win.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- helpers ------------------------------------------------------------
# utf16 TEXT: hivexregedit's hex(N) body for TEXT as UTF-16LE + NUL.
utf16() {
    printf '%s' "$1" | iconv -f UTF-8 -t UTF-16LE | od -An -v -tx1 |
        tr -s ' \n' ',,' | sed 's/^,//; s/,$//; s/$/,00,00/'
}
# multi STR...: REG_MULTI_SZ body (hex(7)).
multi() {
    local s out=
    for s in "$@"; do out+=$(utf16 "$s"),; done
    echo "${out}00,00"
}
esz() { echo "hex(2):$(utf16 "$1")"; }            # REG_EXPAND_SZ
key() { printf '\n[%s]\n' "$1"; }                  # key PATH (after parents)
# keys A\B\C: the sections of A and A\B where missing (hivexregedit
# creates a key only under an existing parent), then C's section (again
# if it was there: a repeated section adds values to the key).
keys() {
    local p= e IFS='\'
    for e in $1; do
        [ -n "$e" ] || continue
        p+="\\$e"
        [ "$p" = "\\$1" ] || grep -qxF "[$p]" "$reg" || key "$p"
    done
    key "$p"
}
sval() { printf '"%s"=str(1):"%s"\n' "$1" "$2"; }   # REG_SZ
dval() { printf '"%s"=dword:%08x\n' "$1" "$2"; }    # REG_DWORD

# uninstall ROOT NAME DISPLAYNAME UNINSTALLSTRING [PUBLISHER]
uninstall() {
    keys "Microsoft\\Windows\\CurrentVersion\\Uninstall\\$2"
    sval DisplayName "$3"
    printf '"UninstallString"=str(1):"%s"\n' "${4//\\/\\\\}"
    sval Publisher "${5:-Phony}"
    sval DisplayVersion "1.0"
}
service() {                                         # service NAME START
    keys "ControlSet001\\Services\\$1"
    dval Type 1; dval Start "$2"; dval ErrorControl 1
}

pe() {                                              # pe CC OUT
    printf 'int main(void) { return 0; }\n' >"$work/cmd.c"
    "$1" -O2 -s -o "$2" "$work/cmd.c"
}
pe x86_64-w64-mingw32-gcc "$work/cmd-x86_64.exe"
pe i686-w64-mingw32-gcc "$work/cmd-i386.exe"

# ---- the hives of one guest -------------------------------------------
# software KIND TRACES -> $reg (SOFTWARE's .reg text, no prefix)
software() {
    local kind=$1; shift
    local pn cv maj min build var ed
    case $kind in
    win2k8r2) pn="Windows Server 2008 R2 Standard"; cv=6.1; build=7601
              var=Server; ed=ServerStandard ;;
    win2k12r2) pn="Windows Server 2012 R2 Datacenter"; cv=6.3; build=9600
              var=Server; ed=ServerDatacenter ;;
    win2k16) pn="Windows Server 2016 Standard"; cv=6.3; build=14393
             maj=10; var=Server; ed=ServerStandard ;;
    win2k19) pn="Windows Server 2019 Datacenter"; cv=6.3; build=17763
             maj=10; var=Server; ed=ServerDatacenter ;;
    win2k22) pn="Windows Server 2022 Datacenter"; cv=6.3; build=20348
             maj=10; var=Server; ed=ServerDatacenter ;;
    win2k25) pn="Windows Server 2025 Standard"; cv=6.3; build=26100
             maj=10; var=Server; ed=ServerStandard ;;
    win2k3-32) pn="Microsoft Windows Server 2003"; cv=5.2; build=3790
               var= ; ed= ;;
    win10) pn="Windows 10 Pro"; cv=6.3; build=19045; maj=10
           var=Client; ed=Professional ;;
    # Windows 11 still says "Windows 10" in ProductName; the build says 11.
    win11) pn="Windows 10 Pro"; cv=6.3; build=22631; maj=10
           var=Client; ed=Professional ;;
    win7-32) pn="Windows 7 Professional"; cv=6.1; build=7601
             var=Client; ed=Professional ;;
    winxp-32) pn="Microsoft Windows XP"; cv=5.1; build=2600; var= ; ed= ;;
    *) die "unknown KIND $kind" ;;
    esac
    keys 'Microsoft\Windows NT\CurrentVersion'
    sval ProductName "$pn"
    sval CurrentVersion "$cv"
    sval CurrentBuildNumber "$build"
    sval CurrentBuild "$build"
    [ -z "${maj:-}" ] || { dval CurrentMajorVersionNumber "$maj"
                           dval CurrentMinorVersionNumber 0; }
    [ -z "$var" ] || sval InstallationType "$var"
    [ -z "$ed" ] || sval EditionID "$ed"
    sval SystemRoot "C:\\\\$sysroot"
    keys 'Microsoft\Windows\CurrentVersion'
    printf '"DevicePath"=%s\n' "$(esz '%SystemRoot%\inf')"
    sval ProgramFilesDir 'C:\\Program Files'
    keys 'Microsoft\Windows\CurrentVersion\Uninstall'
    uninstall . "{5D1F5E3C-1A2B-4C3D-9E8F-000000000001}" \
        "Phony Backup Agent 3.2" 'MsiExec.exe /X{5D1F5E3C-1A2B-4C3D-9E8F-000000000001}'
    local t
    for t in "$@"; do
        case $t in
        vmware-tools) uninstall . "{C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F}" \
            "VMware Tools" \
            'MsiExec.exe /I{C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F}' \
            "VMware, Inc." ;;
        vbox-additions) uninstall . "Oracle VM VirtualBox Guest Additions" \
            "Oracle VM VirtualBox Guest Additions 7.0.10" \
            'C:\Program Files\Oracle\VirtualBox Guest Additions\uninst.exe' \
            "Oracle Corporation" ;;
        xen-pv) uninstall . \
            "Red Hat Paravirtualized Xen Drivers for Windows(R)" \
            "Red Hat Paravirtualized Xen Drivers for Windows(R)" \
            'C:\Program Files\Red Hat\Xen PV Drivers\uninst.exe' \
            "Red Hat, Inc." ;;
        parallels) uninstall . "{A1B2C3D4-0000-4000-8000-00000000FA11}" \
            "Parallels Tools" \
            'MsiExec.exe /X{A1B2C3D4-0000-4000-8000-00000000FA11}' \
            "Parallels International GmbH" ;;
        esac
    done
}

# system KIND TRACES -> $reg (SYSTEM's .reg text)
system() {
    local kind=$1; shift
    local t uefi=0 nt6plus=1 win8plus=1
    case $kind in winxp-32|win2k3-32) nt6plus=0; win8plus=0 ;;
                  win2k8r2|win7-32) win8plus=0 ;; esac
    for t in "$@"; do [ "$t" != uefi ] || uefi=1; done
    keys 'Select'
    dval Current 1; dval Default 1; dval Failed 0; dval LastKnownGood 2
    keys 'MountedDevices'
    # \DosDevices\C: = the MBR disk signature + the partition's byte
    # offset (1 MiB), or on GPT "DMIO:ID:" + the partition's GUID.
    if [ $uefi = 1 ]; then
        printf '"\\\\DosDevices\\\\C:"=hex(3):44,4d,49,4f,3a,49,44,3a,%s\n' \
            "$(guid_bytes "$ntfs_guid")"
    else
        printf '"\\\\DosDevices\\\\C:"=hex(3):4b,56,32,56,00,00,10,00,00,00,00,00\n'
    fi
    keys 'ControlSet001\Control\CrashControl'
    dval AutoReboot 1
    keys 'ControlSet001\Control\TimeZoneInformation'
    sval TimeZoneKeyName "W. Europe Standard Time"
    for t in "$@"; do [ "$t" != utc ] || dval RealTimeIsUniversal 1; done
    keys 'ControlSet001\Control\Class\{4d36e967-e325-11ce-bfc1-08002be10318}'
    keys 'ControlSet001\Control\Class\{4d36e972-e325-11ce-bfc1-08002be10318}\0001'
    sval DriverDesc "vmxnet3 Ethernet Adapter"
    sval NetCfgInstanceId "{8E6A1B2C-3D4E-4F50-9A1B-2C3D4E5F6071}"
    [ $win8plus = 1 ] || keys 'ControlSet001\Control\CriticalDeviceDatabase'
    keys 'ControlSet001\Control\Session Manager\Power'
    case $kind in win10|win11|win2k25) dval HiberbootEnabled 1 ;; esac
    keys 'ControlSet001\Services\Tcpip\Parameters\Interfaces\{8E6A1B2C-3D4E-4F50-9A1B-2C3D4E5F6071}'
    dval EnableDHCP 1
    keys 'ControlSet001\Services\Tcpip\Parameters'
    sval Hostname "$kind-phony"
    sval "NV Hostname" "$kind-phony"
    sval Domain ""
    [ $nt6plus = 1 ] && service disk 0
    for t in "$@"; do
        case $t in
        vmware-tools) service vmci 0; service vmxnet3ndis6 3
                      service vmtools 2 ;;
        vbox-additions) service VBoxGuest 0; service VBoxSF 1
                        service VBoxService 2 ;;
        xen-pv) service rhelscsi 0 ;;
        parallels)
            for s in prl_boot prl_dd prl_eth5 prl_fs prl_strg; do
                service $s 1
            done
            keys 'ControlSet001\Control\Class\{4d36e967-e325-11ce-bfc1-08002be10318}'
            printf '"LowerFilters"=hex(7):%s\n' "$(multi PartMgr prl_strg)" ;;
        static-ip)
            keys 'ControlSet001\Services\Tcpip\Parameters\Interfaces\{8E6A1B2C-3D4E-4F50-9A1B-2C3D4E5F6071}'
            dval EnableDHCP 0
            printf '"IPAddress"=hex(7):%s\n' "$(multi 10.20.30.40)"
            printf '"SubnetMask"=hex(7):%s\n' "$(multi 255.255.255.0)"
            printf '"DefaultGateway"=hex(7):%s\n' "$(multi 10.20.30.1)"
            sval NameServer "10.20.30.2,10.20.30.3"
            # IPv6: the adapter's NetLuidIndex 9 (IfType 6, Ethernet);
            # a manual address 2001:db8:20:30::40/64 (origins 1, 1) and
            # one from a router advertisement (origins 3, 4) in the NSI
            # store; its IPv6 DNS server under Tcpip6.
            keys 'ControlSet001\Control\Class\{4d36e972-e325-11ce-bfc1-08002be10318}\0001'
            dval NetLuidIndex 9
            dval '*IfType' 6
            keys 'ControlSet001\Control\Nsi\{eb004a01-9b1a-11d4-9123-0050047759bc}\10'
            local ff30 pre
            ff30=$(printf 'ff,%.0s' $(seq 30)); ff30=${ff30%,}
            pre=00000009000006002001
            printf '"%s0db8002000300000000000000040"=hex:ff,ff,ff,ff,ff,ff,ff,ff,01,00,00,00,01,00,00,00,40,00,%s\n' "$pre" "$ff30"
            printf '"%s0db800200030025056fffeaa0001"=hex:ff,ff,ff,ff,ff,ff,ff,ff,03,00,00,00,04,00,00,00,40,00,%s\n' "$pre" "$ff30"
            keys 'ControlSet001\Services\Tcpip6\Parameters\Interfaces\{8E6A1B2C-3D4E-4F50-9A1B-2C3D4E5F6071}'
            sval NameServer "2001:db8:20:30::2" ;;
        esac
    done
    if [ $win8plus = 1 ]; then
        keys 'DriverDatabase\DriverInfFiles'
        keys 'DriverDatabase\DeviceIds\PCI'
        keys 'DriverDatabase\DriverPackages'
    fi
}

# guid_bytes GUID: the 16 bytes of a GUID as Windows stores it
# (first three fields little-endian), comma-separated hex.
guid_bytes() {
    local g=${1//[\{\}-]/}
    g=${g,,}
    echo "${g:6:2},${g:4:2},${g:2:2},${g:0:2},${g:10:2},${g:8:2},${g:14:2},${g:12:2},${g:16:2},${g:18:2},${g:20:2},${g:22:2},${g:24:2},${g:26:2},${g:28:2},${g:30:2}"
}

# A BCD store: the boot manager's default entry (element 23000003) is a
# loader object whose elements include 16000046 (graphicsmodedisabled).
bcd() {
    local bm='{9dea862c-5cdd-4e70-acc1-f32b344d4795}'
    local ld='{3f1a2b4c-5d6e-4f70-8192-a3b4c5d6e7f8}'
    keys "Description"
    sval KeyName BCD00000000
    keys "Objects\\$bm\\Description"
    dval Type 0x10100002
    keys "Objects\\$bm\\Elements\\12000004"
    sval Element "Windows Boot Manager"
    keys "Objects\\$bm\\Elements\\23000003"
    sval Element "$ld"
    keys "Objects\\$ld\\Description"
    dval Type 0x10200003
    keys "Objects\\$ld\\Elements\\12000002"
    sval Element '\\Windows\\system32\\winload.efi'
    keys "Objects\\$ld\\Elements\\16000046"
    printf '"Element"=hex(3):01\n'
}

# bitlocker_header OUT: 128 KiB starting as a BitLocker (Windows 7+)
# volume: boot sector EB 58 90 "-FVE-FS-", 512 bytes per sector, the
# BitLocker GUID at 160, the FVE metadata block's offset (64 KiB) at 176,
# 55 AA at 510; at 64 KiB "-FVE-FS-", size, version 2.
bitlocker_header() {
    python3 - "$1" <<'PY'
import struct, sys
b = bytearray(128 * 1024)
b[0:11] = b"\xeb\x58\x90-FVE-FS-"
b[11:13] = struct.pack("<H", 512)
b[13] = 8
b[160:176] = bytes.fromhex("3bd6674be7a6e549a3d33ed1e8a2c7e0")
b[176:184] = struct.pack("<Q", 0x10000)
b[510:512] = b"\x55\xaa"
b[0x10000:0x10008] = b"-FVE-FS-"
b[0x10008:0x1000c] = struct.pack("<HH", 64, 2)
open(sys.argv[1], "wb").write(b)
PY
}

hive() {                        # hive OUT PREFIX FUNC ARGS...: build a hive
    local out=$1 prefix=$2 fn=$3; shift 3
    reg=$work/$(basename "$out").reg
    printf 'Windows Registry Editor Version 5.00\n' >"$reg"
    "$fn" "$@" >>"$reg"
    python3 "$here/mkhive.py" "$out"
    if [ -n "$prefix" ]; then
        sed -i "s|^\[|[${prefix//\\/\\\\}|" "$reg"
        hivexregedit --merge "$out" --prefix "$prefix" "$reg" ||
            die "hivexregedit --merge of $reg failed"
    else
        sed -i 's|^\[\\|[|' "$reg"
        hivexregedit --merge "$out" "$reg" || die "hivexregedit --merge of $reg failed"
    fi
}

# ---- the images ------------------------------------------------------
adds=$work/adds cmds=$work/cmds
: >"$adds"; : >"$cmds"
outs=() sigs=()
idx=0
while [ $# -gt 0 ]; do
    [ "$1" != + ] || shift
    kind=$1 out=$2; shift 2
    traces=()
    while [ $# -gt 0 ] && [ "$1" != + ]; do traces+=("$1"); shift; done
    uefi=0 hib=0 arch=x86_64 sysroot=Windows second= badhive=0
    for t in "${traces[@]}"; do
        case $t in
        uefi) uefi=1 ;; hibernated) hib=1 ;; bad-hive) badhive=1 ;;
        bitlocker|dynamic) [ -z "$second" ] ||
                               die "bitlocker and dynamic exclude each other"
                           second=$t ;;
        vmware-tools|vbox-additions|xen-pv|parallels|static-ip|utc) ;;
        *) die "unknown TRACE $t" ;;
        esac
    done
    case $kind in *-32) arch=i386 ;; esac
    case $kind in winxp-32|win2k3-32) sysroot=WINDOWS ;; esac
    ntfs_guid=6a1e2f3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b
    d=$work/img$idx
    mkdir -p "$d/tree/$sysroot/System32/config" "$d/tree/$sysroot/System32/drivers" \
        "$d/tree/$sysroot/Temp" "$d/tree/$sysroot/inf" "$d/tree/Program Files" \
        "$d/tree/Users"
    cp "$work/cmd-$arch.exe" "$d/tree/$sysroot/System32/cmd.exe"
    hive "$d/tree/$sysroot/System32/config/SOFTWARE" \
        'HKEY_LOCAL_MACHINE\SOFTWARE' software "$kind" "${traces[@]}"
    hive "$d/tree/$sysroot/System32/config/SYSTEM" \
        'HKEY_LOCAL_MACHINE\SYSTEM' system "$kind" "${traces[@]}"
    [ $badhive = 0 ] ||
        truncate -s 4096 "$d/tree/$sysroot/System32/config/SYSTEM"
    printf 'phony pagefile\n' >"$d/tree/pagefile.sys"
    for t in "${traces[@]}"; do
        case $t in
        vbox-additions)
            mkdir -p "$d/tree/Program Files/Oracle/VirtualBox Guest Additions"
            cp "$work/cmd-$arch.exe" \
                "$d/tree/Program Files/Oracle/VirtualBox Guest Additions/uninst.exe" ;;
        esac
    done
    tar -C "$d/tree" --numeric-owner --owner=0 --group=0 -cf "$d/tree.tar" .
    rm -f "$out"
    truncate -s 512M "$out"
    echo "add $out format:raw" >>"$adds"
    dev=/dev/sd$(printf "\\x$(printf %x $((97 + idx)))")
    # C: to the end, or to 448 MiB with a second partition.
    cend=-2048 xpart=2
    [ $uefi = 0 ] || xpart=3
    [ $uefi = 1 ] || [ -n "$second" ] || cend=-1
    [ -z "$second" ] || cend=917503
    # The second partition's commands (before any mkfs or mount).
    xparts=
    case $second in
    bitlocker)
        bitlocker_header "$d/bitlocker"
        xparts="part-add $dev p 917504 -2048"$'\n'
        if [ $uefi = 1 ]; then
            xparts+="part-set-gpt-type $dev $xpart EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
        else
            xparts+="part-set-mbr-id $dev $xpart 0x07"
        fi ;;
    dynamic)
        xparts="part-add $dev p 917504 -2048"$'\n'
        if [ $uefi = 1 ]; then
            xparts+="part-set-gpt-type $dev $xpart AF9B60A0-1431-4F62-BC68-3311714A69AD"
        else
            xparts+="part-set-mbr-id $dev $xpart 0x42"
        fi ;;
    esac
    if [ $uefi = 1 ]; then
        mkdir -p "$d/esp/EFI/Microsoft/Boot"
        printf 'phony bootmgfw.efi\n' >"$d/esp/EFI/Microsoft/Boot/bootmgfw.efi"
        hive "$d/esp/EFI/Microsoft/Boot/BCD" '' bcd
        tar -C "$d/esp" --numeric-owner --owner=0 --group=0 -cf "$d/esp.tar" .
        cat >>"$cmds" <<EOF
part-init $dev gpt
part-add $dev p 2048 206847
part-add $dev p 206848 $cend
$xparts
part-set-gpt-type $dev 1 C12A7328-F81F-11D2-BA4B-00A0C93EC93B
part-set-gpt-type $dev 2 EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
part-set-gpt-guid $dev 2 $ntfs_guid
mkfs vfat ${dev}1
mkfs ntfs ${dev}2
mount ${dev}1 /
tar-in $d/esp.tar /
umount-all
mount ${dev}2 /
tar-in $d/tree.tar /
EOF
    else
        cat >>"$cmds" <<EOF
part-init $dev mbr
part-add $dev p 2048 $cend
$xparts
part-set-mbr-id $dev 1 0x07
part-set-bootable $dev 1 true
mkfs ntfs ${dev}1
mount ${dev}1 /
tar-in $d/tree.tar /
EOF
        sigs+=("$out")
    fi
    [ "$second" != bitlocker ] ||
        echo "upload $d/bitlocker $dev$xpart" >>"$cmds"
    [ $hib = 0 ] || {
        printf 'HIBR' >"$d/hiberfil"; truncate -s 4096 "$d/hiberfil"
        echo "upload $d/hiberfil /hiberfil.sys" >>"$cmds"; }
    echo umount-all >>"$cmds"
    outs+=("$out")
    idx=$((idx + 1))
done
[ $idx -gt 0 ] || die "usage: mkphony-windows.sh KIND OUT.img [TRACE...] [+ ...]"

{ cat "$adds"; echo run; cat "$cmds"; echo sync; } >"$work/script"
if [ -n "${MKPHONY_STAGE:-}" ]; then
    mkdir -p "$MKPHONY_STAGE"; cp -a "$work"/. "$MKPHONY_STAGE"/; exit 0
fi
if ! guestfish --rw -f "$work/script" >"$work/log" 2>&1; then
    cat "$work/log" >&2
    rm -f "${outs[@]}"
    die "guestfish failed building ${outs[*]}"
fi
# The MBR disk signature MountedDevices names (bytes 440-443).
for img in "${sigs[@]}"; do
    printf 'KV2V' | dd of="$img" bs=1 seek=440 conv=notrunc status=none
done
