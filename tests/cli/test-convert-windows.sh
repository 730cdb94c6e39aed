#!/bin/bash
# One Windows conversion through every step, seen from the outside: the
# --machine-readable stream (a JSON "edit" line for each registry value
# and file the steps write, a "phase" line per step) of a phony UEFI
# Windows Server 2022 with static IPv4/IPv6 settings, Parallels Tools
# and VMware Tools, converted with a fake virtio-win ISO.  Short (two
# appliance launches), so the sanitizer run (scripts/test-all.sh) takes
# it too: the Windows inspection and steps under ASan and UBSan.  What
# the edits mean is checked by drivers-inject/test-windows-convert.sh,
# on the converted disks.
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish hivexregedit xorriso jq

bash "$V2K_SOURCE_DIR/tests/lib/mkvirtio-win.sh" "$T/vw" >"$T/vw.log" 2>&1 ||
    { cat "$T/vw.log" >&2; fail "mkvirtio-win.sh failed"; }
bash "$V2K_SOURCE_DIR/tests/lib/mkphony-windows.sh" \
    win2k22 "$T/w.img" uefi static-ip parallels vmware-tools >"$T/mk.log" 2>&1 ||
    { cat "$T/mk.log" >&2; fail "mkphony-windows.sh failed"; }
sum=$(sha256sum <"$T/w.img")

mkdir "$T/out"
"$V2KVM" -i disk "$T/w.img" -o local -os "$T/out" \
    --virtio-win "$T/vw/virtio-win.iso" --print-guest --machine-readable \
    >"$T/out.json" 2>"$T/err" ||
    { cat "$T/err" >&2; fail "the conversion failed"; }
[ "$(sha256sum <"$T/w.img")" = "$sum" ] || fail "the source was written to"
! grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$T/err" ||
    { cat "$T/err" >&2; fail "a sanitizer report"; }
jq -e . "$T/out.json" >/dev/null || fail "stdout is not JSON lines"

# edit STEP FILE-PATTERN [AFTER]: an edit line of the step.  (jq -s and
# any(): jq 1.6's -e looks at the last input only.)
edit() {
    jq -e -s --arg s "$1" --arg f "$2" --arg a "${3:-}" \
        'any(.[]; .type == "edit" and .step == $s and (.file | test($f)) and
                  ($a == "" or .after == $a))' "$T/out.json" >/dev/null ||
        fail "no $1 edit of $2${3:+ to $3}"
}
edit drivers '/Windows/Drivers/VirtIO/viostor\.sys$' added
edit drivers '/Windows/System32/drivers/viostor\.sys$' added
edit drivers 'DriverStore/FileRepository/viostor\.inf_amd64_[0-9a-f]{16}/viostor\.inf$' added
edit drivers 'Firstboot/Temp/qemu-ga-x86_64\.msi$' added
edit registry 'ControlSet001\\Services\\viostor\\Start$' 0
edit registry 'DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01\\viostor\.inf$'
edit registry 'ControlSet001\\Services\\prl_strg\\Start$' 4
edit registry 'LowerFilters$' '(prl_strg removed)'
edit registry 'CrashControl\\AutoReboot$' 0
edit registry 'ControlSet001\\Services\\v2kvm-firstboot\\Start$' 2
edit registry 'DevicePath$' '%SystemRoot%\inf;%SystemRoot%\Drivers\VirtIO'
edit firstboot 'scripts/2500-network\.ps1$' added
edit firstboot 'v2kvm-firstboot\.exe$' added
edit uefi 'Elements\\16000046$' removed
edit uefi '/EFI/Boot/bootx64\.efi$'
for s in drivers registry firstboot uefi; do
    jq -e -s --arg p "step $s" 'any(.[]; .type == "phase" and .phase == $p)' \
        "$T/out.json" >/dev/null || fail "no phase line for the $s step"
done
jq -e -s 'any(.[]; .family == "windows" and
                  .windows.ip[0].addrs6 == ["2001:db8:20:30::40/64"])' \
    "$T/out.json" >/dev/null || fail "--print-guest: no IPv6 address"
[ -f "$T/out/w.xml" ] && [ -f "$T/out/w-sda" ] || fail "no output"
echo "convert-windows: OK"
