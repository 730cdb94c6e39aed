#!/bin/bash
# mkphony.sh - build phony Linux guest disks for inspection and rewrite
# tests: no real OS inside, but enough that libguestfs inspection takes
# each one for the distro it mimics, and enough files for every rewrite
# step to have something to edit.
#
#   mkphony.sh KIND OUT.img [TRACE...] [+ KIND OUT.img [TRACE...]]...
#
# All images named on one command line are built in ONE guestfish run
# (one appliance launch: 10-30 s under TCG), each a raw, sparse file.
# Only one LVM kind (rhel9) per run: volume group names would clash.
#
# KINDs (guest device names as the guest sees them):
#   debian12    MBR, sda1 ext4 /; GRUB 2 (/boot/grub/grub.cfg,
#               /etc/default/grub); initramfs-tools
#               (/etc/initramfs-tools/modules, /usr/sbin/update-initramfs);
#               fstab /dev/sda1; kernel 6.1.0-28-amd64 (virtio as .ko),
#               older 6.1.0-18-amd64 without virtio; dpkg status.
#               Default kernel: 6.1.0-28-amd64 (first menuentry).
#   ubuntu2204  MBR, sda1 ext4 /boot, sda2 ext4 /; GRUB 2; initramfs-tools;
#               netplan /etc/netplan/50-cloud-init.yaml (match macaddress);
#               kernel 5.15.0-91-generic (virtio_blk, _pci, _console
#               built in via modules.builtin, the rest .ko); dpkg status.
#   rhel9       MBR, sda1 ext4 /boot (UUID= in fstab), sda2 LVM: vg rhel,
#               lv root (ext4 /, /dev/mapper/rhel-root), lv swap; grub2
#               (/boot/grub2/grub.cfg, /boot/grub2/grubenv, /etc/default/grub
#               GRUB_DEFAULT=saved, BLS /boot/loader/entries); dracut
#               (/usr/bin/dracut, /etc/dracut.conf.d); ifcfg-eth0 with
#               HWADDR; SELINUX=enforcing; kernels
#               5.14.0-427.13.1.el9_4.x86_64 (virtio .ko.xz) and
#               5.14.0-362.8.1.el9_3.x86_64+debug (no virtio), the debug
#               one being the saved (default) entry.
#   rhel5xen    MBR, sda1 ext3 / (fstab /dev/xvda1); GRUB legacy
#               (/boot/grub/menu.lst -> grub.conf, hd(0,0),
#               root=/dev/xvda1 console=xvc0, default=0 = the xen kernel);
#               mkinitrd (/sbin/mkinitrd); kernels 2.6.18-398.el5xen
#               (xenblk, xennet, no virtio) and 2.6.18-398.el5 (virtio .ko);
#               /etc/modprobe.conf alias scsi_hostadapter xenblk;
#               /etc/udev/rules.d/70-persistent-net.rules; /etc/redhat-release.
#   sles15      MBR, sda1 ext4 /; grub2 (/boot/grub2/grub.cfg,
#               /etc/default/grub); dracut; os-release id sles 15.5 and
#               /etc/SUSE-brand; /etc/sysconfig/network/ifcfg-eth0; kernel
#               5.14.21-150500.55.39-default (virtio .ko.zst).
# TRACEs (hypervisor leftovers, any KIND; module files go to every kernel):
#   vmware-tools    tarball install: /etc/vmware-tools/, /etc/init.d/
#                   vmware-tools, /usr/bin/vmware-uninstall-tools.pl (a
#                   working sh script deleting those files),
#                   /lib/modules/VER/misc/{vmxnet,vmhgfs}.ko
#   open-vm-tools   /usr/bin/vmtoolsd (+ a dpkg entry on deb kinds)
#   vbox-additions  /opt/VBoxGuestAdditions-7.0.10/uninstall.sh (a working
#                   sh script deleting its files), /etc/init.d/vboxadd,
#                   /usr/sbin/VBoxService, /lib/modules/VER/misc/vboxguest.ko
#   xen-tools       /usr/sbin/xe-daemon, /etc/init.d/xe-linux-distribution
#                   (+ a dpkg entry xe-guest-utilities on deb kinds)
#   xorg-vmware     /etc/X11/xorg.conf: Driver "vmware", InputDevice vmmouse
#   xorg-vbox       /etc/X11/xorg.conf: Driver "vboxvideo"
#   uefi            (debian12 only) GPT: sda1 ESP vfat /boot/efi with
#                   EFI/debian/grub.cfg, sda2 ext4 /
#   btrfs           (debian12 only, not with uefi or luks) the root is
#                   the btrfs subvolume @ with /home on @home, fstab
#                   /dev/sda1 subvol=...
#   full            (debian12 only) the root filesystem is filled up to
#                   its last block (/var/fill)
#   ro-root         (debian12 only) the root filesystem has ext4's
#                   read-only feature: it can only be mounted read-only
#   real-initramfs  (debian12 only) kernel 6.1.0-28-amd64 gets the host's
#                   real module index and virtio modules and a real
#                   initramfs-tools image without virtio (mkinitramfs on
#                   the host; see real_initramfs)
#   real-dracut     (rhel9 only) kernel 5.14.0-427.13.1.el9_4.x86_64 gets
#                   the host's real module index and virtio modules and a
#                   real dracut image without virtio (Debian's dracut on
#                   the host, systemd flavour, xz; see real_dracut)
#   hang-initramfs  (debian12 only) the guest's update-initramfs never
#                   returns (sleeps for ever): a guest that would hang a
#                   conversion in the appliance (appliance-watchdog.h)
#   net-names       network configs naming the old machine's NICs, for
#                   the "network" step: two VMware NICs ens192 (MAC
#                   00:50:56:00:01:92, PCI slot 192) and ens224
#                   (00:50:56:00:02:24, slot 224) configured the kind's
#                   way, with systemd's udev (80-net-setup-link.rules):
#                   debian12 ifupdown (allow-hotplug ens192 dhcp, VLAN
#                   ens192.100 static) + networkd (ens224); ubuntu2204
#                   netplan (ens192 dhcp, ens224 static); rhel9
#                   ifcfg-ens192 with HWADDR + route-ens192, NM keyfile
#                   ens224; sles15 ifcfg-/ifroute-ens192, ifcfg-ens224,
#                   and two configs the step must not understand: an
#                   NM keyfile for ens224 with a line that is not
#                   KEY=VALUE (line 3) and ifcfg-ens256 whose line 2 is
#                   not shell.
#                   rhel5xen (udev without link files): a physical
#                   server's biosdevname NIC ifcfg-em1 beside eth0.
#   luks=KEY        (debian12 only, not with uefi) the whole disk is LUKS
#                   (key KEY; no partition table: cryptsetup in the
#                   appliance could not open a fresh partition reliably)
#                   holding the ext4 root, fstab UUID=$LUKS_FS_UUID
#
# MKPHONY_STAGE=DIR stages the trees and the guestfish script in DIR
# without launching anything (to look at them).
#
# Every guest has /bin/busybox (the host's busybox-static) with /bin/sh,
# /bin/ls ... linked to it, so arch detection and guest commands work.
# The guest's update-initramfs, dracut, mkinitrd, update-grub,
# grub2-mkconfig are stub sh scripts: they append "NAME ARGS" to
# /var/log/phony-calls and touch the image or config file they were
# asked to write; an initramfs image they "rebuild" gets the contents of
# /var/tmp/phony-rebuilt-initrd when a test uploaded one.
set -euo pipefail
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
. "$(dirname "${BASH_SOURCE[0]}")/appliance-accel.sh"

die() { echo "mkphony.sh: $*" >&2; exit 1; }

BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (apt-get install busybox-static)"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
    die "$BUSYBOX is not statically linked (install busybox-static)"
command -v guestfish >/dev/null || die "guestfish missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/mkphony.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmds=$work/cmds
: >"$cmds"

# ---- tree helpers (relative to $R, the staging root) -------------------
R=
put() {                         # put PATH [MODE] < content
    mkdir -p "$R$(dirname "$1")"
    cat >"$R$1"
    [ -z "${2:-}" ] || chmod "$2" "$R$1"
}
mkempty() { mkdir -p "$R$(dirname "$1")"; : >"$R$1"; }

# kmods VER EXT DIRS...: empty module files NAME.EXT under kernel/drivers.
kmod() {                        # kmod VER SUBPATH EXT
    mkempty "/lib/modules/$1/kernel/drivers/$2$3"
}
virtio_mods() {                 # virtio_mods VER EXT [builtin-list]
    local v=$1 e=$2 b=${3:-} m p
    for m in block/virtio_blk net/virtio_net scsi/virtio_scsi \
             virtio/virtio_pci virtio/virtio_balloon char/virtio_console \
             char/hw_random/virtio-rng virtio/virtio virtio/virtio_ring; do
        p=kernel/drivers/$m.ko
        if [[ " $b " == *" $(basename "$m") "* ]]; then
            echo "$p" >>"$R/lib/modules/$v/modules.builtin"
        else
            kmod "$v" "$m" ".ko$e"
        fi
    done
}
kernel_files() {                # kernel_files VER INITRD-PATH
    mkdir -p "$R/boot" "$R/lib/modules/$1/kernel/drivers"
    printf 'phony kernel %s\n' "$1" >"$R/boot/vmlinuz-$1"
    printf 'phony initrd %s\n' "$1" >"$R$2"
    printf 'phony System.map %s\n' "$1" >"$R/boot/System.map-$1"
    touch "$R/lib/modules/$1/modules.builtin" "$R/lib/modules/$1/modules.dep"
}

# kdev IDX: appliance shell text naming the kernel's device for the
# IDX-th disk added.  Raw commands (debug sh) must not use /dev/sdX: the
# appliance's kernel may name the disks in another order than added
# (asynchronous SCSI scan); libguestfs's own calls translate their names
# through /dev/disk/by-path, where disk IDX is SCSI target IDX.
kdev() {
    echo "\$(readlink -f /dev/disk/by-path/*-scsi-0:0:$1:0)"
}

stub() {                        # stub PATH: a logging no-op tool
    put "$1" 0755 <<'EOF'
#!/bin/sh
# phony stub: log the call, touch the file it would write; an initramfs
# it "rebuilds" becomes /var/tmp/phony-rebuilt-initrd when the test put
# one there
echo "$(basename "$0") $*" >>/var/log/phony-calls
image() {
    if [ -f /var/tmp/phony-rebuilt-initrd ]; then
        cat /var/tmp/phony-rebuilt-initrd >"$1"
    else
        : >>"$1"
    fi
}
prev=
for a in "$@"; do
    case "$a" in
        /boot/init*) image "$a" ;;
        /boot/*) : >>"$a" ;;
    esac
    case "$prev" in
        -o|--output) : >>"$a" ;;
    esac
    prev=$a
done
case "$(basename "$0")" in
    update-initramfs)
        k=; prev=
        for a in "$@"; do [ "$prev" = -k ] && k=$a; prev=$a; done
        [ -n "$k" ] && [ "$k" != all ] && image "/boot/initrd.img-$k"
        ;;
esac
exit 0
EOF
}

base_tree() {                   # base_tree HOSTNAME
    local a
    mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,var/log,var/tmp,root}
    mkdir -p "$R"/{dev,proc,sys,run,home,mnt,opt,lib/modules}
    chmod 1777 "$R/tmp" "$R/var/tmp"
    cp "$BUSYBOX" "$R/bin/busybox"
    for a in sh ash ls cat echo rm mv cp ln mkdir rmdir touch sed grep \
             egrep find chmod chown true false test [ uname head tail sort \
             uniq wc tr cut awk xargs readlink stat basename dirname \
             gzip gunzip zcat xz unxz cpio sleep date env printf mount \
             umount sync; do
        ln -s busybox "$R/bin/$a"
    done
    ln -s ../bin/busybox "$R/sbin/modprobe"
    ln -s ../bin/busybox "$R/sbin/depmod"
    echo "$1" >"$R/etc/hostname"
    put /etc/hosts <<EOF
127.0.0.1   localhost
127.0.1.1   $1
EOF
    put /etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
    put /etc/group <<'EOF'
root:x:0:
EOF
    : >"$R/var/log/phony-calls"
}

dpkg_status() {                 # dpkg_status PKG:VER...
    # Each stanza ends with a blank line, as dpkg writes it: libguestfs
    # drops a last stanza without one.
    local p
    mkdir -p "$R/var/lib/dpkg/info"
    for p in "$@"; do
        cat <<EOF
Package: ${p%%:*}
Status: install ok installed
Priority: optional
Section: misc
Installed-Size: 100
Maintainer: Phony <phony@example.invalid>
Architecture: amd64
Version: ${p#*:}
Description: phony package ${p%%:*}

EOF
    done >"$R/var/lib/dpkg/status"
}

# ---- traces ----------------------------------------------------------------
# Each sets files; deb kinds also get a dpkg entry via $extra_debs.
# real_modules GVER: the guest kernel GVER gets the host's newest
# kernel's real module index and the virtio modules with everything
# modules.dep says they need (real .ko files, as Debian ships them);
# sets hv (the host kernel's version).
real_modules() {
    local gv=$1 src dst m p
    hv=$(ls /lib/modules | sort -V | tail -n 1)
    src=/lib/modules/$hv dst=$R/lib/modules/$gv
    [ -n "$hv" ] && [ -f "$src/modules.dep.bin" ] ||
        die "real modules: no kernel modules on the host (linux-image-amd64)"
    rm -rf "$dst/kernel"
    mkdir -p "$dst"
    cp "$src"/modules.* "$dst/"
    for m in virtio virtio_ring virtio_pci virtio_blk virtio_scsi \
             virtio_net sd_mod; do
        grep -E "(^|/)$m\.ko[^:/]*:" "$src/modules.dep" || true
    done | tr -d ':' | tr ' ' '\n' | sed '/^$/d' | sort -u >"$work/mods"
    [ -s "$work/mods" ] || die "real modules: no virtio in $src/modules.dep"
    while read -r p; do
        mkdir -p "$dst/$(dirname "$p")"
        cp "$src/$p" "$dst/$p"
    done <"$work/mods"
}

# real_initramfs GVER: real_modules GVER, and a real initramfs-tools
# image made by the host's mkinitramfs for that kernel (MODULES=list,
# nothing listed: no virtio; zstd), its modules directory renamed to
# GVER, behind an uncompressed early-microcode archive as Debian's.
real_initramfs() {
    local gv=$1 hv conf un img=$R/boot/initrd.img-$1
    command -v mkinitramfs >/dev/null && command -v unmkinitramfs >/dev/null ||
        die "real-initramfs: mkinitramfs missing (initramfs-tools-core)"
    real_modules "$gv"
    conf=$work/mkinitramfs-conf un=$work/unpacked
    mkdir -p "$conf/conf.d" "$conf/scripts" "$conf/hooks"
    printf 'MODULES=list\nCOMPRESS=zstd\n' >"$conf/initramfs.conf"
    : >"$conf/modules"
    mkinitramfs -d "$conf" -o "$work/host-initrd" "$hv" \
        >"$work/mkinitramfs.log" 2>&1 ||
        { cat "$work/mkinitramfs.log" >&2; die "real-initramfs: mkinitramfs failed"; }
    rm -rf "$un"
    unmkinitramfs "$work/host-initrd" "$un" ||
        die "real-initramfs: unmkinitramfs failed"
    [ -d "$un/main" ] && un=$un/main
    [ -d "$un/usr/lib/modules/$hv" ] ||
        die "real-initramfs: the image has no usr/lib/modules/$hv"
    mv "$un/usr/lib/modules/$hv" "$un/usr/lib/modules/$gv"
    mkdir -p "$work/early/kernel/x86/microcode"
    echo "phony microcode" >"$work/early/kernel/x86/microcode/GenuineIntel.bin"
    (cd "$work/early" && find . | cpio -o -H newc --quiet) >"$img"
    (cd "$un" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) |
        zstd -q -c >>"$img"
    rm -rf "$work/unpacked" "$work/early" "$work/host-initrd"
}

# real_dracut GVER: real_modules GVER, and a real dracut image made by
# Debian's dracut (dracut-core) on the host for that kernel, as a
# systemd-based distro's dracut makes it: systemd, its udevd and
# systemd-modules-load, the storage driver sd_mod and ext4 only (no
# virtio), xz; its modules directory renamed to GVER and packed again
# with xz as dracut packs it (CRC32 checks, the kernel's xz decoder).
real_dracut() {
    local gv=$1 hv un img=$R/boot/initramfs-$1.img
    command -v dracut >/dev/null || die "real-dracut: dracut missing (dracut-core)"
    real_modules "$gv"
    un=$work/unpacked
    dracut --no-hostonly --no-early-microcode --force --kver "$hv" \
        -m "base udev-rules systemd systemd-initrd systemd-udevd systemd-modules-load" \
        --drivers "sd_mod ext4" --xz "$work/host-initrd" \
        >"$work/dracut.log" 2>&1 ||
        { cat "$work/dracut.log" >&2; die "real-dracut: dracut failed"; }
    rm -rf "$un"
    mkdir -p "$un"
    xz -dc "$work/host-initrd" | (cd "$un" && cpio -id --quiet) ||
        die "real-dracut: cannot unpack dracut's image"
    [ -d "$un/usr/lib/modules/$hv" ] ||
        die "real-dracut: the image has no usr/lib/modules/$hv"
    mv "$un/usr/lib/modules/$hv" "$un/usr/lib/modules/$gv"
    (cd "$un" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) |
        xz -q -c --check=crc32 --lzma2=dict=1MiB >"$img"
    rm -rf "$un" "$work/host-initrd"
}

trace() {                       # trace NAME KIND KERNELS...
    local t=$1 kind=$2 k
    shift 2
    case $t in
    vmware-tools)
        put /etc/vmware-tools/locations <<'EOF'
answer BINDIR /usr/bin
answer LIBDIR /usr/lib/vmware-tools
EOF
        put /etc/vmware-tools/tools.conf </dev/null
        mkempty /usr/lib/vmware-tools/bin64/vmware-user
        put /etc/init.d/vmware-tools 0755 <<'EOF'
#!/bin/sh
# phony VMware Tools init script
exit 0
EOF
        for k in "$@"; do
            mkempty "/lib/modules/$k/misc/vmxnet.ko"
            mkempty "/lib/modules/$k/misc/vmhgfs.ko"
        done
        put /usr/bin/vmware-uninstall-tools.pl 0755 <<'EOF'
#!/bin/sh
# phony VMware Tools uninstaller (the real one is perl)
rm -rf /etc/vmware-tools /usr/lib/vmware-tools /etc/init.d/vmware-tools
rm -f /lib/modules/*/misc/vmxnet.ko /lib/modules/*/misc/vmhgfs.ko
echo "vmware-uninstall-tools.pl $*" >>/var/log/phony-calls
rm -f /usr/bin/vmware-uninstall-tools.pl
exit 0
EOF
        ;;
    open-vm-tools)
        put /usr/bin/vmtoolsd 0755 <<'EOF'
#!/bin/sh
exit 0
EOF
        mkempty /etc/vmware-tools/tools.conf
        extra_debs+=" open-vm-tools:2:12.2.0-1+deb12u2"
        ;;
    vbox-additions)
        local d=/opt/VBoxGuestAdditions-7.0.10
        put /etc/init.d/vboxadd 0755 <<'EOF'
#!/bin/sh
exit 0
EOF
        put /usr/sbin/VBoxService 0755 <<'EOF'
#!/bin/sh
exit 0
EOF
        for k in "$@"; do mkempty "/lib/modules/$k/misc/vboxguest.ko"; done
        mkempty $d/bin/VBoxClient
        put $d/uninstall.sh 0755 <<'EOF'
#!/bin/sh
# phony VirtualBox Guest Additions uninstaller: deletes its own files
echo "uninstall.sh $*" >>/var/log/phony-calls
rm -f /etc/init.d/vboxadd /usr/sbin/VBoxService
rm -f /lib/modules/*/misc/vboxguest.ko
rm -rf /opt/VBoxGuestAdditions-7.0.10
exit 0
EOF
        ;;
    xen-tools)
        put /usr/sbin/xe-daemon 0755 <<'EOF'
#!/bin/sh
exit 0
EOF
        put /etc/init.d/xe-linux-distribution 0755 <<'EOF'
#!/bin/sh
exit 0
EOF
        extra_debs+=" xe-guest-utilities:7.20.2-1"
        ;;
    xorg-vmware)
        put /etc/X11/xorg.conf <<'EOF'
Section "ServerLayout"
    Identifier "Layout0"
    Screen 0 "Screen0"
    InputDevice "Mouse0" "CorePointer"
EndSection

Section "InputDevice"
    Identifier "Mouse0"
    Driver "vmmouse"
    Option "Device" "/dev/input/mice"
EndSection

Section "Device"
    Identifier "Card0"
    Driver "vmware"
EndSection

Section "Screen"
    Identifier "Screen0"
    Device "Card0"
EndSection
EOF
        ;;
    xorg-vbox)
        put /etc/X11/xorg.conf <<'EOF'
Section "Device"
    Identifier "Card0"
    Driver "vboxvideo"
EndSection
EOF
        ;;
    net-names)
        case $kind in
        debian12)
            put /lib/udev/rules.d/80-net-setup-link.rules </dev/null
            put /etc/network/interfaces <<'EOF'
auto lo
iface lo inet loopback

allow-hotplug ens192
iface ens192 inet dhcp

auto ens192.100
iface ens192.100 inet static
    address 10.1.0.5/24
    vlan-raw-device ens192
EOF
            put /etc/systemd/network/20-lan.network <<'EOF'
[Match]
Name=ens224

[Network]
Address=192.168.5.5/24
Gateway=192.168.5.1
EOF
            ;;
        ubuntu2204)
            put /lib/udev/rules.d/80-net-setup-link.rules </dev/null
            put /etc/netplan/60-vmware.yaml <<'EOF'
network:
  version: 2
  ethernets:
    ens192:
      dhcp4: true
    ens224:
      addresses: [192.168.5.5/24]
      routes:
        - to: default
          via: 192.168.5.1
EOF
            ;;
        rhel9)
            put /usr/lib/udev/rules.d/80-net-setup-link.rules </dev/null
            put /etc/sysconfig/network-scripts/ifcfg-ens192 <<'EOF'
TYPE=Ethernet
DEVICE=ens192
HWADDR=00:50:56:00:01:92
BOOTPROTO=none
IPADDR=10.1.0.5
PREFIX=24
ONBOOT=yes
EOF
            put /etc/sysconfig/network-scripts/route-ens192 <<'EOF'
10.9.0.0/16 via 10.1.0.1 dev ens192
EOF
            put /etc/NetworkManager/system-connections/ens224.nmconnection 0600 <<'EOF'
[connection]
id=ens224
type=ethernet
interface-name=ens224

[ipv4]
method=auto
EOF
            ;;
        sles15)
            put /usr/lib/udev/rules.d/80-net-setup-link.rules </dev/null
            put /etc/sysconfig/network/ifcfg-ens192 <<'EOF'
BOOTPROTO='static'
STARTMODE='auto'
IPADDR='10.1.0.5/24'
EOF
            put /etc/sysconfig/network/ifroute-ens192 <<'EOF'
10.9.0.0/16 10.1.0.1 - ens192
EOF
            put /etc/sysconfig/network/ifcfg-ens224 <<'EOF'
BOOTPROTO='dhcp'
STARTMODE='hotplug'
EOF
            put /etc/NetworkManager/system-connections/ens224.nmconnection 600 <<'EOF'
[connection]
id=ens224
interface-name ens224
EOF
            put /etc/sysconfig/network/ifcfg-ens256 <<'EOF'
STARTMODE='auto'
this line is not shell
EOF
            ;;
        rhel5xen)
            put /etc/sysconfig/network-scripts/ifcfg-em1 <<'EOF'
DEVICE=em1
BOOTPROTO=static
IPADDR=10.1.0.5
NETMASK=255.255.255.0
ONBOOT=yes
EOF
            ;;
        esac
        ;;
    uefi|luks=*|full|ro-root|btrfs)
        [ "$kind" = debian12 ] || die "trace $t: only for debian12"
        ;;
    real-initramfs)
        [ "$kind" = debian12 ] || die "trace $t: only for debian12"
        real_initramfs 6.1.0-28-amd64 ;;
    real-dracut)
        [ "$kind" = rhel9 ] || die "trace $t: only for rhel9"
        real_dracut 5.14.0-427.13.1.el9_4.x86_64 ;;
    hang-initramfs)
        [ "$kind" = debian12 ] || die "trace $t: only for debian12"
        put /usr/sbin/update-initramfs 0755 <<'EOF'
#!/bin/sh
# phony update-initramfs that never returns
echo "update-initramfs $* (hangs)" >>/var/log/phony-calls
while :; do sleep 3600; done
EOF
        ;;
    *) die "unknown trace '$t'" ;;
    esac
}

# ---- kinds -------------------------------------------------------------------
# Each kind fills $R and appends its partitioning to $cmds for disk $D.
# Sizes in sectors of 512 bytes.

grub2_cfg() {                   # grub2_cfg PREFIX ROOTDEV CMDLINE VER...
    local pre=$1 root=$2 cl=$3 v
    shift 3
    echo "# phony grub.cfg"
    echo "set default=\"0\""
    echo "set timeout=5"
    for v in "$@"; do
        cat <<EOF
menuentry 'Linux, with $v' --class gnu-linux {
	insmod ext2
	linux	$pre/vmlinuz-$v root=$root ro $cl
	initrd	$pre/$(initrd_name "$v")
}
EOF
    done
}
initrd_name() { echo "${INITRD_FMT//@/$1}"; }

LUKS_FS_UUID=5d0e9b3a-6c1f-4e2a-9b8d-7f6a5e4d3c2b
kind_debian12() {
    local k1=6.1.0-28-amd64 k0=6.1.0-18-amd64 uefi=$1 luks=$2 btrfs=$3
    local rootp=sda1
    INITRD_FMT=initrd.img-@
    base_tree debian12-phony
    if [ "$uefi" = yes ]; then
        rootp=sda2
        put /etc/fstab <<'EOF'
# /etc/fstab: static file system information.
/dev/sda2  /          ext4  errors=remount-ro  0 1
/dev/sda1  /boot/efi  vfat  umask=0077         0 1
EOF
        mkdir -p "$R/boot/efi"
    elif [ -n "$luks" ]; then
        put /etc/fstab <<EOF
# /etc/fstab: static file system information.
UUID=$LUKS_FS_UUID  /  ext4  errors=remount-ro  0 1
EOF
        put /etc/crypttab <<'EOF'
sda_crypt /dev/sda none luks
EOF
    elif [ "$btrfs" = yes ]; then
        put /etc/fstab <<'EOF'
# /etc/fstab: static file system information.
/dev/sda1  /      btrfs  subvol=@,defaults  0 0
/dev/sda1  /home  btrfs  subvol=@home       0 0
EOF
    else
        put /etc/fstab <<'EOF'
# /etc/fstab: static file system information.
/dev/sda1  /  ext4  errors=remount-ro  0 1
EOF
    fi
    put /etc/os-release <<'EOF'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
EOF
    echo 12.8 >"$R/etc/debian_version"
    kernel_files $k1 /boot/initrd.img-$k1
    kernel_files $k0 /boot/initrd.img-$k0
    virtio_mods $k1 ""
    kmod $k1 scsi/vmw_pvscsi .ko
    kmod $k1 ata/ata_piix .ko
    kmod $k0 ata/ata_piix .ko
    grub2_cfg /boot /dev/$rootp "quiet console=tty0" $k1 $k0 \
        | put /boot/grub/grub.cfg
    if [ "$uefi" = yes ]; then
        put /boot/efi/EFI/debian/grub.cfg <<'EOF'
search.fs_uuid 00000000-0000-0000-0000-000000000000 root
set prefix=($root)'/boot/grub'
configfile $prefix/grub.cfg
EOF
        mkempty /boot/efi/EFI/debian/grubx64.efi
    fi
    put /etc/default/grub <<'EOF'
GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX="console=tty0"
EOF
    put /etc/initramfs-tools/modules <<'EOF'
# List of modules that you want to include in your initramfs.
ata_piix
vmw_pvscsi
EOF
    put /etc/initramfs-tools/initramfs.conf <<'EOF'
MODULES=list
COMPRESS=gzip
EOF
    stub /usr/sbin/update-initramfs
    stub /usr/sbin/update-grub
    stub /usr/sbin/grub-mkconfig
    put /etc/network/interfaces <<'EOF'
auto lo
iface lo inet loopback
auto ens192
iface ens192 inet dhcp
EOF
    debs="base-files:12.4+deb12u8 bash:5.2.15-2+b7 coreutils:9.1-1
          dpkg:1.21.22 grub-pc:2.06-13+deb12u1 initramfs-tools:0.142
          linux-image-$k1:6.1.119-1 linux-image-$k0:6.1.76-1
          systemd:252.31-1~deb12u1"
    if [ "$uefi" = yes ]; then
        cat >>"$cmds" <<EOF
part-init $D gpt
part-add $D p 2048 67583
part-add $D p 67584 -34
part-set-gpt-type $D 1 C12A7328-F81F-11D2-BA4B-00A0C93EC93B
mkfs vfat ${D}1
mkfs ext4 ${D}2
mount ${D}2 /
mkdir-p /boot/efi
mount ${D}1 /boot/efi
EOF
    elif [ -n "$luks" ]; then
        cat >>"$cmds" <<EOF
debug sh "d=$(kdev $idx) && printf %s '$luks' | cryptsetup luksFormat --batch-mode --pbkdf pbkdf2 -d - \$d && printf %s '$luks' | cryptsetup luksOpen -d - \$d phonyluks"
mkfs ext4 /dev/mapper/phonyluks
set-uuid /dev/mapper/phonyluks $LUKS_FS_UUID
mount /dev/mapper/phonyluks /
EOF
        # cryptsetup in the appliance directly: guestfish's luks-format /
        # luks-open with --keys-from-stdin (libguestfs 1.48) leave no
        # usable mapping.
        post='debug sh "cryptsetup close phonyluks"'
    elif [ "$btrfs" = yes ]; then
        cat >>"$cmds" <<EOF
part-disk $D mbr
part-set-bootable $D 1 true
mkfs btrfs ${D}1
mount ${D}1 /
btrfs-subvolume-create /@
btrfs-subvolume-create /@home
umount ${D}1
mount-options subvol=@ ${D}1 /
EOF
    else
        cat >>"$cmds" <<EOF
part-disk $D mbr
part-set-bootable $D 1 true
mkfs ext4 ${D}1
mount ${D}1 /
EOF
    fi
}

kind_ubuntu2204() {
    local k=5.15.0-91-generic
    INITRD_FMT=initrd.img-@
    base_tree ubuntu2204-phony
    put /etc/fstab <<'EOF'
# /etc/fstab: static file system information.
/dev/sda2  /      ext4  errors=remount-ro  0 1
/dev/sda1  /boot  ext4  defaults           0 2
EOF
    put /etc/os-release <<'EOF'
PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
EOF
    put /etc/lsb-release <<'EOF'
DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=22.04
DISTRIB_CODENAME=jammy
DISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"
EOF
    echo bookworm/sid >"$R/etc/debian_version"
    kernel_files $k /boot/initrd.img-$k
    virtio_mods $k "" "virtio_blk virtio_pci virtio_console virtio virtio_ring"
    # /boot is its own filesystem: kernel paths in grub.cfg lack /boot.
    grub2_cfg "" /dev/sda2 "quiet splash" $k | put /boot/grub/grub.cfg
    put /etc/default/grub <<'EOF'
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"
GRUB_CMDLINE_LINUX=""
EOF
    put /etc/initramfs-tools/modules </dev/null
    stub /usr/sbin/update-initramfs
    stub /usr/sbin/update-grub
    stub /usr/sbin/grub-mkconfig
    put /etc/netplan/50-cloud-init.yaml <<'EOF'
network:
    version: 2
    ethernets:
        ens33:
            match:
                macaddress: 00:0c:29:aa:bb:cc
            set-name: ens33
            dhcp4: true
EOF
    debs="base-files:12ubuntu4.4 bash:5.1-6ubuntu1 coreutils:8.32-4.1ubuntu1
          grub-pc:2.06-2ubuntu7.2 initramfs-tools:0.140ubuntu13.4
          linux-image-$k:5.15.0-91.101 netplan.io:0.106.1-7ubuntu0.22.04.2
          systemd:249.11-0ubuntu3.11"
    cat >>"$cmds" <<EOF
part-init $D mbr
part-add $D p 2048 67583
part-add $D p 67584 -1
part-set-bootable $D 1 true
mkfs ext4 ${D}1
mkfs ext4 ${D}2
mount ${D}2 /
mkdir /boot
mount ${D}1 /boot
EOF
}

RHEL9_BOOT_UUID=1f9a3b1c-2d4e-4f60-8a7b-9c0d1e2f3a4b
RHEL9_MID=0123456789abcdef0123456789abcdef
kind_rhel9() {
    local k1=5.14.0-427.13.1.el9_4.x86_64
    local kd=5.14.0-362.8.1.el9_3.x86_64+debug
    local v
    INITRD_FMT=initramfs-@.img
    base_tree rhel9-phony
    rm -f "$R/etc/hostname"
    echo rhel9-phony.example.com >"$R/etc/hostname"
    put /etc/fstab <<EOF
/dev/mapper/rhel-root   /      ext4  defaults  0 0
UUID=$RHEL9_BOOT_UUID /boot  ext4  defaults  0 0
/dev/mapper/rhel-swap   none   swap  defaults  0 0
EOF
    put /etc/os-release <<'EOF'
NAME="Red Hat Enterprise Linux"
VERSION="9.4 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"
EOF
    echo "Red Hat Enterprise Linux release 9.4 (Plow)" \
        | put /etc/redhat-release
    echo $RHEL9_MID >"$R/etc/machine-id"
    kernel_files $k1 /boot/initramfs-$k1.img
    kernel_files $kd /boot/initramfs-$kd.img
    virtio_mods $k1 .xz
    kmod $k1 scsi/vmw_pvscsi .ko.xz
    kmod $kd scsi/vmw_pvscsi .ko.xz
    kmod $kd ata/ata_piix .ko.xz
    for v in $k1 $kd; do
        put /boot/loader/entries/$RHEL9_MID-$v.conf <<EOF
title Red Hat Enterprise Linux ($v) 9.4 (Plow)
version $v
linux /vmlinuz-$v
initrd /initramfs-$v.img
options root=/dev/mapper/rhel-root ro resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap
grub_users \$grub_users
grub_arg --unrestricted
grub_class rhel
EOF
    done
    put /boot/grub2/grub.cfg <<'EOF'
# phony grub.cfg (BLS)
set default="${saved_entry}"
load_env -f ${config_directory}/grubenv
insmod blscfg
blscfg
EOF
    { printf '# GRUB Environment Block\n'
      printf 'saved_entry=%s-%s\n' $RHEL9_MID $kd
      printf 'kernelopts=root=/dev/mapper/rhel-root ro\n'
      printf 'boot_success=0\n'
    } >"$work/grubenv"
    head -c 1024 < <(cat "$work/grubenv"; yes '#' | tr -d '\n') \
        | put /boot/grub2/grubenv
    put /etc/default/grub <<'EOF'
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="$(sed 's, release .*$,,g' /etc/system-release)"
GRUB_DEFAULT=saved
GRUB_DISABLE_SUBMENU=true
GRUB_TERMINAL_OUTPUT="console"
GRUB_CMDLINE_LINUX="crashkernel=1G-4G:192M resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap"
GRUB_DISABLE_RECOVERY="true"
GRUB_ENABLE_BLSCFG=true
EOF
    put /etc/dracut.conf.d/vmware.conf <<'EOF'
add_drivers+=" vmw_pvscsi "
EOF
    put /etc/dracut.conf </dev/null
    stub /usr/bin/dracut
    stub /usr/sbin/grub2-mkconfig
    stub /usr/sbin/grubby
    put /etc/sysconfig/network-scripts/ifcfg-eth0 <<'EOF'
DEVICE=eth0
BOOTPROTO=dhcp
ONBOOT=yes
HWADDR=00:50:56:12:34:56
TYPE=Ethernet
EOF
    put /etc/selinux/config <<'EOF'
# This file controls the state of SELinux on the system.
SELINUX=enforcing
SELINUXTYPE=targeted
EOF
    mkdir -p "$R/var/lib/rpm" "$R/usr/lib/sysimage/rpm"
    cat >>"$cmds" <<EOF
part-init $D mbr
part-add $D p 2048 133119
part-add $D p 133120 -1
part-set-bootable $D 1 true
part-set-mbr-id $D 2 0x8e
mkfs ext4 ${D}1
set-uuid ${D}1 $RHEL9_BOOT_UUID
pvcreate ${D}2
vgcreate rhel ${D}2
lvcreate root rhel 100
lvcreate swap rhel 8
mkfs ext4 /dev/rhel/root
mkswap /dev/rhel/swap
mount /dev/rhel/root /
mkdir /boot
mount ${D}1 /boot
EOF
}

kind_rhel5xen() {
    local kx=2.6.18-398.el5xen k=2.6.18-398.el5 m
    INITRD_FMT=initrd-@.img
    base_tree rhel5xen-phony
    rm -f "$R/etc/hostname"
    put /etc/sysconfig/network <<'EOF'
NETWORKING=yes
HOSTNAME=rhel5xen-phony
EOF
    put /etc/fstab <<'EOF'
/dev/xvda1   /          ext3    defaults        1 1
tmpfs        /dev/shm   tmpfs   defaults        0 0
proc         /proc      proc    defaults        0 0
EOF
    echo "Red Hat Enterprise Linux Server release 5.11 (Tikanga)" \
        | put /etc/redhat-release
    kernel_files $kx /boot/initrd-$kx.img
    kernel_files $k /boot/initrd-$k.img
    for m in xen/xenblk xen/xennet; do kmod $kx $m .ko; done
    virtio_mods $k ""
    kmod $k ata/ata_piix .ko
    put /boot/grub/grub.conf <<EOF
# grub.conf generated by anaconda
default=0
timeout=5
splashimage=(hd0,0)/boot/grub/splash.xpm.gz
hiddenmenu
title Red Hat Enterprise Linux Server ($kx)
	root (hd0,0)
	kernel /boot/vmlinuz-$kx ro root=/dev/xvda1 console=xvc0
	initrd /boot/initrd-$kx.img
title Red Hat Enterprise Linux Server ($k)
	root (hd0,0)
	kernel /boot/vmlinuz-$k ro root=/dev/xvda1
	initrd /boot/initrd-$k.img
EOF
    ln -s grub.conf "$R/boot/grub/menu.lst"
    put /boot/grub/device.map <<'EOF'
(hd0)     /dev/xvda
EOF
    put /etc/modprobe.conf <<'EOF'
alias eth0 xennet
alias scsi_hostadapter xenblk
EOF
    put /etc/sysconfig/kernel <<'EOF'
UPDATEDEFAULT=yes
DEFAULTKERNEL=kernel-xen
EOF
    put /etc/udev/rules.d/70-persistent-net.rules <<'EOF'
# This file was automatically generated by the /lib/udev/write_net_rules
SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:16:3e:11:22:33", ATTR{type}=="1", KERNEL=="eth*", NAME="eth0"
EOF
    put /etc/sysconfig/network-scripts/ifcfg-eth0 <<'EOF'
DEVICE=eth0
BOOTPROTO=dhcp
HWADDR=00:16:3e:11:22:33
ONBOOT=yes
EOF
    put /etc/inittab <<'EOF'
id:3:initdefault:
co:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav
EOF
    put /etc/selinux/config <<'EOF'
SELINUX=disabled
SELINUXTYPE=targeted
EOF
    stub /sbin/mkinitrd
    stub /sbin/new-kernel-pkg
    mkdir -p "$R/var/lib/rpm"
    cat >>"$cmds" <<EOF
part-disk $D mbr
part-set-bootable $D 1 true
mkfs ext3 ${D}1
mount ${D}1 /
EOF
}

kind_sles15() {
    local k=5.14.21-150500.55.39-default
    INITRD_FMT=initrd-@
    base_tree sles15-phony
    put /etc/fstab <<'EOF'
/dev/sda1  /  ext4  defaults  0 1
EOF
    put /etc/os-release <<'EOF'
NAME="SLES"
VERSION="15-SP5"
VERSION_ID="15.5"
PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"
ID="sles"
ID_LIKE="suse"
CPE_NAME="cpe:/o:suse:sles:15:sp5"
EOF
    put /etc/SUSE-brand <<'EOF'
SLE
VERSION = 15
EOF
    kernel_files $k /boot/initrd-$k
    ln -s vmlinuz-$k "$R/boot/vmlinuz"
    ln -s initrd-$k "$R/boot/initrd"
    virtio_mods $k .zst
    grub2_cfg /boot /dev/sda1 "splash=silent quiet" $k \
        | put /boot/grub2/grub.cfg
    put /etc/default/grub <<'EOF'
GRUB_DEFAULT=saved
GRUB_TIMEOUT=8
GRUB_CMDLINE_LINUX_DEFAULT="splash=silent quiet"
GRUB_CMDLINE_LINUX=""
EOF
    put /etc/sysconfig/network/ifcfg-eth0 <<'EOF'
BOOTPROTO='dhcp'
STARTMODE='auto'
LLADDR='00:0c:29:12:34:56'
EOF
    put /etc/dracut.conf </dev/null
    mkdir -p "$R/etc/dracut.conf.d"
    stub /usr/bin/dracut
    stub /usr/sbin/grub2-mkconfig
    mkdir -p "$R/var/lib/rpm" "$R/usr/lib/sysimage/rpm"
    cat >>"$cmds" <<EOF
part-disk $D mbr
part-set-bootable $D 1 true
mkfs ext4 ${D}1
mount ${D}1 /
EOF
}

# ---- main --------------------------------------------------------------------
[ $# -ge 2 ] || die "usage: mkphony.sh KIND OUT.img [TRACE...] [+ KIND OUT.img [TRACE...]]..."

letters=abcdefghijklmnopqrstuvwxyz
idx=0
lvm=0
adds=$work/adds
keys=$work/keys
: >"$adds"
: >"$keys"
outs=()
ro_outs=()
while [ $# -gt 0 ]; do
    kind=$1 out=${2:-}
    [ -n "$out" ] || die "$kind: no output file"
    shift 2
    traces=()
    while [ $# -gt 0 ] && [ "$1" != + ]; do traces+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    [ $idx -lt 26 ] || die "too many images"
    D=/dev/sd${letters:$idx:1}
    R=$work/root$idx
    mkdir -p "$R"
    size=96M
    uefi=no
    luks=
    post=
    fill=
    btrfs=no
    for t in "${traces[@]}"; do
        case $t in
            uefi) uefi=yes ;;
            luks=?*) luks=${t#luks=} ;;
            btrfs) btrfs=yes ;;
            full) fill='debug sh "dd if=/dev/zero of=/sysroot/var/fill bs=1M >/dev/null 2>&1; sync; true"' ;;
            ro-root) post="debug sh \"tune2fs -O read-only $(kdev $idx)1\""
                     ro_outs+=("$out") ;;
        esac
    done
    case " ${traces[*]} " in
        *" ro-root "*|*" full "*)
            case " ${traces[*]} " in *" uefi "*|*" luks="*)
                die "full, ro-root: not with uefi or luks" ;; esac ;;
    esac
    extra_debs=
    debs=
    case $kind in
        debian12)   kind_debian12 $uefi "$luks" $btrfs
                    # mkfs.btrfs wants at least 114 MB
                    [ "$btrfs" = no ] || size=160M ;;
        ubuntu2204) kind_ubuntu2204; size=128M ;;
        rhel9)      lvm=$((lvm + 1)); kind_rhel9; size=192M ;;
        rhel5xen)   kind_rhel5xen ;;
        sles15)     kind_sles15 ;;
        *) die "unknown KIND '$kind' (debian12 ubuntu2204 rhel9 rhel5xen sles15)" ;;
    esac
    [ $lvm -le 1 ] || die "only one LVM kind (rhel9) per run"
    kernels=$(ls "$R/lib/modules")
    for t in "${traces[@]}"; do
        # shellcheck disable=SC2086
        trace "$t" "$kind" $kernels
    done
    if [ -n "$debs" ]; then
        # shellcheck disable=SC2086
        dpkg_status $debs $extra_debs
    fi
    tar -C "$R" --numeric-owner --owner=0 --group=0 -cf "$work/tree$idx.tar" .
    rm -f "$out"
    truncate -s $size "$out"
    echo "add $out format:raw" >>"$adds"
    # Everything of this image is unpacked, then unmounted before the next.
    cat >>"$cmds" <<EOF
tar-in $work/tree$idx.tar /
$fill
umount-all
$post
EOF
    outs+=("$out")
    idx=$((idx + 1))
done

{ cat "$adds"; echo run; cat "$cmds"; echo sync; } >"$work/script"
# MKPHONY_STAGE=DIR: copy the staged trees and guestfish script to DIR
# and stop (no appliance): to look at what would be built.
if [ -n "${MKPHONY_STAGE:-}" ]; then
    mkdir -p "$MKPHONY_STAGE"
    cp -a "$work"/. "$MKPHONY_STAGE"/
    exit 0
fi
if ! guestfish --rw --keys-from-stdin -f "$work/script" <"$keys" \
        >"$work/log" 2>&1; then
    cat "$work/log" >&2
    rm -f "${outs[@]}"
    die "guestfish failed building ${outs[*]}"
fi
# ro-root: the feature set above was missing from the image file once in
# three builds (dumpe2fs in the appliance saw it).  Checked on the host
# (libext2fs reads IMG?offset=N, the MBR's first partition: LBA at byte
# 454); where it is missing, set again in a launch that mounts nothing.
ro_set() {
    local off
    off=$(( $(od -An -t u4 --endian=little -j 454 -N 4 "$1" | tr -d ' ') * 512 ))
    dumpe2fs -h "$1?offset=$off" 2>/dev/null |
        grep '^Filesystem features:' | grep -q ' read-only'
}
for img in "${ro_outs[@]}"; do
    ro_set "$img" && continue
    guestfish -a "$img" run : debug sh "tune2fs -O read-only /dev/sda1" \
        >/dev/null 2>&1 && ro_set "$img" ||
        { rm -f "${outs[@]}"; die "cannot set ext4's read-only feature in $img"; }
done
