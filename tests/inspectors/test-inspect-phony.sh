#!/bin/bash
# test-inspect-phony.sh - v2k_inspect on every phony guest kind of
# tests/lib/mkphony.sh: what libguestfs says (distro, version, arch,
# root, mountpoints) and what inspect-linux.c finds itself (firmware,
# bootloader, initramfs tool, kernels and their virtio drivers, the
# default kernel, hypervisor tools, SELinux, the network interfaces the
# configuration brings up: netplan on ubuntu2204, ifcfg + NM keyfile on
# rhel9), and a root on a btrfs subvolume.
# Launches: 1 build (all images in one guestfish run) + 1 per kind.
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish jq busybox
INSPECT=$V2K_BINARY_DIR/tests/v2kvm-inspect
[ -x "$INSPECT" ] || fail "$INSPECT missing"

bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" \
    debian12 "$T/deb.img" uefi vmware-tools open-vm-tools xorg-vmware \
    + ubuntu2204 "$T/ubu.img" vbox-additions net-names \
    + rhel9 "$T/rhel9.img" xen-tools net-names \
    + rhel5xen "$T/rhel5.img" \
    + sles15 "$T/sles.img" + debian12 "$T/btrfs.img" btrfs ||
    fail "mkphony.sh failed"

# check NAME JQ-EXPR...: every expression must be true on $T/NAME.json.
check() {
    local n=$1 e
    shift
    for e in "$@"; do
        jq -e "$e" "$T/$n.json" >/dev/null ||
            { jq -c 'del(.packages)' "$T/$n.json" >&2
              fail "$n: expected $e"; }
    done
}
inspect() {
    "$INSPECT" "$T/$1.img" >"$T/$1.json" || fail "$1: inspection failed"
}

# All virtio drivers, as the JSON lists them.
ALL='["virtio_blk","virtio_scsi","virtio_net","virtio_pci","virtio_balloon","virtio_console","virtio_rng"]'

inspect deb
check deb '.family == "linux" and .distro == "debian" and .major == 12' \
    '.arch == "x86_64" and .hostname == "debian12-phony"' \
    '.osinfo == "debian12" and .root == "/dev/sda2"' \
    '.package_format == "deb" and .package_manager == "apt"' \
    '[.mountpoints[] | {mountpoint,device,fstype}] == [{"mountpoint":"/","device":"/dev/sda2","fstype":"ext4"},{"mountpoint":"/boot/efi","device":"/dev/sda1","fstype":"vfat"}]' \
    '[.mountpoints[] | .size_bytes > 0 and .free_bytes > 0 and .free_bytes < .size_bytes] == [true,true]' \
    '.firmware == "uefi" and .esp == "/dev/sda1"' \
    '.bootloader == "grub2" and .bootloader_config == "/boot/grub/grub.cfg"' \
    '.initramfs_tool == "initramfs-tools"' \
    '[.kernels[].version] == ["6.1.0-28-amd64","6.1.0-18-amd64"]' \
    ".kernels[0].virtio == $ALL and .kernels[1].virtio == []" \
    '.kernels[0].initrd == "/boot/initrd.img-6.1.0-28-amd64"' \
    '.kernels[0].vmlinuz == "/boot/vmlinuz-6.1.0-28-amd64"' \
    '.default_kernel == 0' \
    '.tools == ["open-vm-tools","vmware-tools-tarball"]' \
    '.selinux == false' \
    '(.packages | index("open-vm-tools")) != null' \
    '.packages == (.packages | sort)'

inspect ubu
check ubu '.network | map(select(.name == "ens192"))[0] == {"name":"ens192","tool":"netplan","config":"/etc/netplan/60-vmware.yaml","method":"dhcp","start":"at boot"}' \
    '.network | map(select(.name == "ens224"))[0].method == "static 192.168.5.5/24"'
check ubu '.distro == "ubuntu" and .major == 22 and .minor == 4' \
    '.root == "/dev/sda2" and .firmware == "bios" and .esp == null' \
    '[.mountpoints[] | {mountpoint,device,fstype}] == [{"mountpoint":"/","device":"/dev/sda2","fstype":"ext4"},{"mountpoint":"/boot","device":"/dev/sda1","fstype":"ext4"}]' \
    '.bootloader_config == "/boot/grub/grub.cfg"' \
    '.initramfs_tool == "initramfs-tools"' \
    '[.kernels[].version] == ["5.15.0-91-generic"]' \
    ".kernels[0].virtio == $ALL" \
    '.default_kernel == 0 and .tools == ["vbox-additions"]'

inspect rhel9
check rhel9 '.network | map(select(.name == "ens192"))[0] == {"name":"ens192","tool":"ifcfg","config":"/etc/sysconfig/network-scripts/ifcfg-ens192","method":"static 10.1.0.5/24","start":"at boot"}' \
    '.network | map(select(.name == "ens224"))[0] == {"name":"ens224","tool":"NetworkManager","config":"/etc/NetworkManager/system-connections/ens224.nmconnection","method":"dhcp","start":"at boot"}'
check rhel9 '.distro == "rhel" and .major == 9 and .minor == 4' \
    '.root == "/dev/rhel/root" and .package_format == "rpm"' \
    '.package_manager == "dnf" and .hostname == "rhel9-phony.example.com"' \
    '[.mountpoints[].mountpoint] == ["/","/boot"]' \
    '.mountpoints[0].device == "/dev/rhel/root"' \
    '.mountpoints[1].device == "/dev/sda1"' \
    '.bootloader == "grub2" and .bootloader_config == "/boot/grub2/grub.cfg"' \
    '.initramfs_tool == "dracut" and .selinux == true' \
    '[.kernels[].version] == ["5.14.0-427.13.1.el9_4.x86_64","5.14.0-362.8.1.el9_3.x86_64+debug"]' \
    ".kernels[0].virtio == $ALL and .kernels[0].debug == false" \
    '.kernels[1].virtio == [] and .kernels[1].debug == true' \
    '.kernels[0].initrd == "/boot/initramfs-5.14.0-427.13.1.el9_4.x86_64.img"' \
    '.default_kernel == 1' \
    '.tools == ["xe-guest-utilities"]'

inspect rhel5
check rhel5 '.distro == "rhel" and .major == 5 and .minor == 11' \
    '.root == "/dev/sda1" and .hostname == "rhel5xen-phony"' \
    '[.mountpoints[] | {mountpoint,device,fstype}] == [{"mountpoint":"/","device":"/dev/sda1","fstype":"ext3"}]' \
    '.bootloader == "grub-legacy" and .bootloader_config == "/boot/grub/grub.conf"' \
    '.initramfs_tool == "mkinitrd" and .selinux == false' \
    '[.kernels[].version] == ["2.6.18-398.el5","2.6.18-398.el5xen"]' \
    ".kernels[0].virtio == $ALL and .kernels[0].xen_only == false" \
    '.kernels[1].virtio == [] and .kernels[1].xen_only == true' \
    '.kernels[1].initrd == "/boot/initrd-2.6.18-398.el5xen.img"' \
    '.default_kernel == 1 and .default_kernel_version == "2.6.18-398.el5xen"' \
    '.tools == []'

inspect sles
check sles '.distro == "sles" and .major == 15 and .minor == 5' \
    '.package_format == "rpm" and .package_manager == "zypper"' \
    '.bootloader_config == "/boot/grub2/grub.cfg" and .initramfs_tool == "dracut"' \
    '[.kernels[].version] == ["5.14.21-150500.55.39-default"]' \
    ".kernels[0].virtio == $ALL" \
    '.kernels[0].initrd == "/boot/initrd-5.14.21-150500.55.39-default"' \
    '.default_kernel == 0 and .tools == []'

# Root on a btrfs subvolume, /home on another: both mounted (the kernels
# under /lib/modules are read through the @ subvolume).
inspect btrfs
check btrfs '.distro == "debian" and .major == 12' \
    '.root | test("^btrfsvol:/dev/sd[a-z]1/@$")' \
    '[.mountpoints[] | [.mountpoint, .fstype]] == [["/","btrfs"],["/home","btrfs"]]' \
    '.mountpoints[1].device | test("^btrfsvol:/dev/sd[a-z]1/@home$")' \
    '[.kernels[].version] == ["6.1.0-28-amd64","6.1.0-18-amd64"]'

echo "inspect-phony: all kinds inspected as expected"
