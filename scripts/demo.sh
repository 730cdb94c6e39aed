#!/bin/bash
# demo.sh [--no-boot] - README command (1): install what is needed, build
# v2kvm, build a real Debian 12 guest as VMware leaves it (a VMX + VMDK:
# lsilogic disk, vmxnet3, /dev/sda1, an initramfs without virtio drivers,
# open-vm-tools; made with debootstrap by tests/lib/mkguest-debian.sh and
# cached in ${V2K_GUEST_CACHE:-/var/cache/v2kvm-tests}), convert it to KVM
# in ./out as qcow2 + libvirt XML, boot the result once under QEMU to
# prove it (unless --no-boot), and say how to run it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
boot=1
case ${1:-} in
    --no-boot) boot=0 ;;
    "") ;;
    *) echo "usage: $0 [--no-boot]" >&2; exit 2 ;;
esac
t0=$(date +%s)
step() { echo "== [+$(( $(date +%s) - t0 ))s] $*"; }

scripts/setup.sh
step "Building v2kvm"
scripts/build.sh build

step "Building the Debian 12 VMware guest (debootstrap; cached after" \
    "the first run, which takes several minutes)"
. tests/lib/boot-lib.sh
src=$(guest_source vmware) || { echo "demo: no VMware guest to convert" >&2; exit 1; }
echo "   source: $src/debian12.vmx + debian12.vmdk"

step "Converting it with v2kvm"
mkdir -p out
build/converters/v2kvm -i vmx "$src/debian12.vmx" -o local -os out \
    -of qcow2 --overwrite

step "Checking the result"
xml=out/debian12.xml
disk=$(xmllint --xpath 'string(//disk[@device="disk"]/source/@file)' "$xml")
[ -n "$disk" ] && [ -f "$disk" ] || { echo "demo: no disk in $xml" >&2; exit 1; }
qemu-img check -q "$disk"
virt-xml-validate "$xml" >/dev/null
qemu-img info "$disk" | sed -n 's/^\(file format\|virtual size\|disk size\)/   &/p'

# The NIC keeps the source's MAC (as the XML says): the guest's ens160
# is pinned to it, and DHCP gives it an address.
mac=$(xmllint --xpath 'string(//interface/mac/@address)' "$xml")
# Never trust /dev/kvm: boot a one-sector guest with KVM first.
accel=${V2K_ACCEL:-$(probe_accel)}
if [ $boot -eq 1 ]; then
    step "Booting the converted guest once (QEMU, $accel, virtio-blk +" \
        "virtio-net, serial console in out/boot.log)"
    if V2K_ACCEL=$accel BOOT_NIC_MAC=$mac boot_guest "$disk" qcow2 900 \
            out/boot.log; then
        echo "   $(grep -a -m1 V2KVM-NET out/boot.log | tr -d '\r')"
        echo "   $(grep -a -m1 V2KVM-BOOT-OK out/boot.log | tr -d '\r')" \
            "after ${BOOT_SECONDS}s"
    else
        boot_tail out/boot.log
        echo "demo: the converted guest did not boot ($BOOT_RESULT)" >&2
        exit 1
    fi
fi

name=$(xmllint --xpath 'string(/domain/name)' "$xml")
cat <<EOT

Done in $(( $(date +%s) - t0 ))s: $disk (qcow2) and $xml (libvirt domain).

Boot it with QEMU (serial console on this terminal; Ctrl-A X quits):
  qemu-system-x86_64 -accel $accel -m 1024 -nographic \\
    -drive file=$disk,format=qcow2,if=virtio \\
    -nic user,model=virtio-net-pci,mac=${mac:-52:54:00:12:34:56}

Or with libvirt:
  virsh define $xml
  virsh start $name
  virsh console $name
EOT
