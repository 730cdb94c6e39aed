#!/bin/bash
# test-inspect-windows.sh - v2kvm -o null --print-guest on the phony
# Windows disks of tests/lib/mkphony-windows.sh: what libguestfs says
# (osinfo, version, arch, product name, hostname, drive letters) and
# what inspect-windows.c reads from the hives itself (variant, build,
# edition, control set, driver store, RTC, firmware and ESP, hypervisor
# tools, programs, static IP settings); win11 is told from win10 by its
# build (libguestfs 1.48 says win10: ProductName says "Windows 10").
# The text form of one guest shows the build, the driver store and the
# static address.
# Launches: 1 build (all eleven images in one guestfish run) + 1 per
# image.
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish jq hivexregedit python3 x86_64-w64-mingw32-gcc \
    i686-w64-mingw32-gcc

bash "$V2K_SOURCE_DIR/tests/lib/mkphony-windows.sh" \
    win2k8r2 "$T/win2k8r2.img" \
    + win2k22 "$T/win2k22.img" static-ip vmware-tools \
    + win2k22 "$T/win2k22-uefi.img" uefi \
    + win10 "$T/win10.img" vbox-additions utc \
    + win11 "$T/win11.img" \
    + win7-32 "$T/win7-32.img" \
    + winxp-32 "$T/winxp-32.img" \
    + win2k16 "$T/win2k16.img" xen-pv \
    + win2k19 "$T/win2k19.img" parallels \
    + win2k25 "$T/win2k25.img" \
    + win2k3-32 "$T/win2k3-32.img" ||
    fail "mkphony-windows.sh failed"

# inspect NAME: the guest's JSON line of --print-guest in $T/NAME.json.
inspect() {
    "$V2KVM" -i disk "$T/$1.img" -o null --print-guest --machine-readable \
        >"$T/$1.out" 2>"$T/$1.err" ||
        { cat "$T/$1.err" "$T/$1.out" >&2; fail "$1: inspection failed"; }
    jq -c 'select(type == "object" and has("family"))' "$T/$1.out" \
        >"$T/$1.json"
    [ "$(grep -c . "$T/$1.json")" = 1 ] ||
        { cat "$T/$1.out" >&2; fail "$1: no guest JSON line"; }
}
# check NAME JQ-EXPR...: every expression must be true on $T/NAME.json.
check() {
    local n=$1 e
    shift
    for e in "$@"; do
        jq -e "$e" "$T/$n.json" >/dev/null ||
            { jq -c . "$T/$n.json" >&2; fail "$n: expected $e"; }
    done
}
# common NAME OSINFO ARCH MAJOR MINOR PRODUCT VARIANT BUILD EDITION DDB
#        TOOLS-JSON APPS-JSON (the names besides Phony Backup Agent 3.2)
common() {
    local n=$1 kind=$1
    kind=${kind%-uefi}
    check "$n" '.family == "windows" and .type == "windows"' \
        ".osinfo == \"$2\" and .arch == \"$3\"" \
        ".major == $4 and .minor == $5" \
        ".product_name == \"$6\" and .hostname == \"$kind-phony\"" \
        ".windows.variant == $7 and .windows.build == $8" \
        ".windows.edition == $9" \
        '.windows.control_set == "ControlSet001"' \
        ".windows.driver_database == ${10}" \
        ".tools == ${11}" \
        "[.windows.apps[].name] | sort == ([\"Phony Backup Agent 3.2\"] + ${12} | sort)"
}
bios() {
    check "$1" '.firmware == "bios" and .esp == null' \
        '.windows.drives | index("C:=/dev/sda1") != null' \
        '.root == "/dev/sda1"'
}
# dhcp NAME: one interface, DHCP, on the phony vmxnet3 adapter.
dhcp() {
    check "$1" '.windows.ip | length == 1' \
        '.windows.ip[0].dhcp == true and .windows.ip[0].addrs == []' \
        '.windows.ip[0].adapter == "vmxnet3 Ethernet Adapter"'
}

inspect win2k8r2
common win2k8r2 win2k8r2 x86_64 6 1 "Windows Server 2008 R2 Standard" \
    '"Server"' 7601 '"ServerStandard"' false '[]' '[]'
bios win2k8r2; dhcp win2k8r2
check win2k8r2 '.windows.rtc_utc == false'

inspect win2k22
common win2k22 win2k22 x86_64 10 0 "Windows Server 2022 Datacenter" \
    '"Server"' 20348 '"ServerDatacenter"' true '["vmware-tools"]' \
    '["VMware Tools"]'
bios win2k22
check win2k22 '.windows.rtc_utc == false' \
    '.windows.ip | length == 1' \
    '.windows.ip[0] | .dhcp == false and .addrs == ["10.20.30.40/24"] and
        .gateways == ["10.20.30.1"] and
        .dns == ["10.20.30.2","10.20.30.3"] and
        .adapter == "vmxnet3 Ethernet Adapter" and
        .guid == "{8E6A1B2C-3D4E-4F50-9A1B-2C3D4E5F6071}"' \
    '.windows.ip[0] | .addrs6 == ["2001:db8:20:30::40/64"] and
        .dns6 == ["2001:db8:20:30::2"]' \
    '.network[0].method == "static 10.20.30.40/24 gw 10.20.30.1"'

inspect win2k22-uefi
common win2k22-uefi win2k22 x86_64 10 0 "Windows Server 2022 Datacenter" \
    '"Server"' 20348 '"ServerDatacenter"' true '[]' '[]'
dhcp win2k22-uefi
check win2k22-uefi '.firmware == "uefi" and .esp == "/dev/sda1"' \
    '.root == "/dev/sda2"' \
    '.windows.drives | index("C:=/dev/sda2") != null'

inspect win10
common win10 win10 x86_64 10 0 "Windows 10 Pro" '"Client"' 19045 \
    '"Professional"' true '["vbox-additions"]' \
    '["Oracle VM VirtualBox Guest Additions 7.0.10"]'
bios win10; dhcp win10
check win10 '.windows.rtc_utc == true and .windows.fast_startup == true'

# libguestfs 1.48 says win10 (ProductName "Windows 10 Pro"); the build
# (22631 >= 22000) makes it win11.
inspect win11
common win11 win11 x86_64 10 0 "Windows 10 Pro" '"Client"' 22631 \
    '"Professional"' true '[]' '[]'
bios win11; dhcp win11
check win11 '.windows.rtc_utc == false'

inspect win7-32
common win7-32 win7 i386 6 1 "Windows 7 Professional" '"Client"' 7601 \
    '"Professional"' false '[]' '[]'
bios win7-32; dhcp win7-32

# XP: \WINDOWS, no InstallationType nor EditionID (the variant comes
# from the product name).
inspect winxp-32
common winxp-32 winxp i386 5 1 "Microsoft Windows XP" '"Client"' 2600 null \
    false '[]' '[]'
bios winxp-32; dhcp winxp-32
check winxp-32 '.windows.systemroot == "/WINDOWS"'

inspect win2k16
common win2k16 win2k16 x86_64 10 0 "Windows Server 2016 Standard" \
    '"Server"' 14393 '"ServerStandard"' true '["xen-pv"]' \
    '["Red Hat Paravirtualized Xen Drivers for Windows(R)"]'
bios win2k16; dhcp win2k16

inspect win2k19
common win2k19 win2k19 x86_64 10 0 "Windows Server 2019 Datacenter" \
    '"Server"' 17763 '"ServerDatacenter"' true '["parallels-tools"]' \
    '["Parallels Tools"]'
bios win2k19; dhcp win2k19

# Server 2025: libguestfs 1.48 knows no 2025 (its ProductName rule
# gives win2k16); the build (26100) makes it win2k25.  Its Fast Startup
# setting is read as it is.
inspect win2k25
common win2k25 win2k25 x86_64 10 0 "Windows Server 2025 Standard" \
    '"Server"' 26100 '"ServerStandard"' true '[]' '[]'
bios win2k25; dhcp win2k25
check win2k25 '.windows.fast_startup == true'

# Server 2003: NT 5.2, \WINDOWS, a server by its product name.
inspect win2k3-32
common win2k3-32 win2k3 i386 5 2 "Microsoft Windows Server 2003" \
    '"Server"' 3790 null false '[]' '[]'
bios win2k3-32; dhcp win2k3-32
check win2k3-32 '.windows.systemroot == "/WINDOWS" and .windows.fast_startup == false'

# The text form of --print-guest is checked by
# drivers-inject/test-windows-convert.sh, on its conversion of the same
# shape (one appliance launch less).
echo "inspect-windows: all shapes inspected as expected"
