#!/bin/bash
# mkguest-debian.sh [CACHE_DIR] [VARIANT] - build a real, bootable Debian
# 12 (bookworm) guest, or one of its hypervisor-shaped sources, and print
# the directory holding it: that one line is all that goes to standard
# output (callers take it with $(...)); progress and the output of every
# tool run here go to stderr.
#
#   base    base/debian12.img: raw, 2 GiB sparse, MBR, one ext4 root
#           partition; fstab and grub.cfg say /dev/vda1 (a KVM guest on
#           virtio-blk); serial console on ttyS0; a systemd unit prints
#           "V2KVM-BOOT-OK <hostname>" on /dev/ttyS0 once multi-user.target
#           is reached.
#   vmware  vmware/debian12.vmx + debian12.vmdk (monolithicSparse):
#           lsilogic + vmxnet3; /dev/sda1; initramfs with MODULES=list and
#           SCSI/SATA drivers only (no virtio); open-vm-tools installed;
#           xorg.conf with the vmware driver.
#   vmware-most
#           vmware-most/debian12.vmx + .vmdk: the vmware variant as a
#           stock Debian install leaves it, initramfs MODULES=most (the
#           base image's, made by the debootstrap chroot: it has every
#           block driver, virtio included); not part of "all" (for
#           bench/bench-v2v.sh: a guest whose initramfs takes long to
#           regenerate).
#   xen     xen/debian12.cfg (xl.cfg: PV, pygrub) + debian12.img (raw);
#           /dev/xvda1 and console=hvc0; initramfs with MODULES=list and
#           Xen's PV drivers only (no virtio); XenServer tools traces.
#   vbox    vbox/debian12/debian12.vbox (VirtualBox 7.0, SATA AHCI,
#           82540EM) + debian12.vdi; /dev/sda1; initramfs with
#           MODULES=list and AHCI/e1000 only (no virtio); Guest Additions
#           traces.
#   uefi    uefi/debian12-uefi.ova: GPT, sda1 ESP (vfat, /boot/efi) and
#           sda2 ext4 /; GRUB for x86_64-efi in EFI/debian only (no
#           fallback EFI/BOOT/BOOTX64.EFI, no boot entry: NVRAM is not
#           part of an OVA); an OVF naming no firmware
#           (tests/data/guests/debian12-uefi.ovf) + streamOptimized VMDK.
#   all     every variant (prints the cache directory).
#
# Built with debootstrap from the Debian mirror of the host's apt sources
# (--variant=minbase plus a kernel, GRUB, systemd, udev, initramfs-tools);
# the disk is made with mkfs.ext4 -d and sfdisk on files (no loop device,
# no mount on the host); GRUB is installed and the variants are made in
# one guestfish session each.
#
# Cache: CACHE_DIR (default ${V2K_GUEST_CACHE:-/var/cache/v2kvm-tests})/
# KEY/ where KEY hashes this script and tests/data/guests/*, so a changed
# script rebuilds; the debootstrap tree alone is cached as a tarball
# rootfs-TKEY.tar keyed on the mirror and the package list, in
# $V2K_ROOTFS_CACHE (default: CACHE_DIR; a test builds in an empty
# CACHE_DIR from the shared tarball this way).  Concurrent callers wait
# on a lock (one per KEY directory, one per tarball).
set -euo pipefail
# Standard output is the caller's result: keep it for the path (fd 3) and
# send everything else, whatever a tool prints (mkfs.ext4 says "Creating
# regular file ..." on stdout), to stderr.
exec 3>&1 1>&2

here=$(cd "$(dirname "$0")" && pwd)
tmpl=$here/../data/guests
cache=${1:-${V2K_GUEST_CACHE:-/var/cache/v2kvm-tests}}
variant=${2:-base}
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}
. "$(dirname "${BASH_SOURCE[0]}")/appliance-accel.sh"
export LC_ALL=C

HOSTNAME_GUEST=v2kvm-deb12
IMG_SIZE=2G
SUITE=bookworm
# isc-dhcp-client + iproute2: ifupdown's DHCP and the marker's network
# report; grub-efi-amd64-bin (beside grub-pc: the -bin packages do not
# conflict) for the uefi variant's grub-install --target=x86_64-efi.
PACKAGES=linux-image-amd64,grub-pc,systemd-sysv,udev,initramfs-tools,kmod,\
ifupdown,e2fsprogs,isc-dhcp-client,iproute2,grub-efi-amd64-bin
# open-vm-tools for the vmware variant: its .debs are fetched with the
# base tree and installed in the guest by dpkg.
VMWARE_PACKAGES=open-vm-tools

t0=$(date +%s)
say() { echo "mkguest: [+$(( $(date +%s) - t0 ))s] $*" >&2; }
die() { echo "mkguest: error: $*" >&2; exit 1; }

case $variant in
    base|vmware|vmware-most|xen|vbox|uefi|all) ;;
    *) die "unknown variant '$variant' (base, vmware, vmware-most, xen, vbox, uefi, all)" ;;
esac
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap)"
for t in debootstrap mkfs.ext4 sfdisk guestfish qemu-img sha256sum flock \
         tar chroot dpkg-deb dpkg-query; do
    command -v "$t" >/dev/null 2>&1 || die "required tool '$t' is missing"
done

# The Debian mirror of the host's apt sources: the first URI serving
# $SUITE, from one-line (.list) or deb822 (.sources) files.
find_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
             /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        case $f in
        *.sources)
            awk -v suite="$SUITE" '
                function flush() {
                    if (uris != "" && types ~ /(^| )deb( |$)/ &&
                        (" " suites " ") ~ (" " suite " ")) {
                        split(uris, u, " "); print u[1]; exit
                    }
                    uris = ""; suites = ""; types = ""
                }
                /^[ \t]*$/ { flush(); next }
                /^#/ { next }
                tolower($1) == "types:"  { $1 = ""; types = $0 }
                tolower($1) == "uris:"   { $1 = ""; uris = $0 }
                tolower($1) == "suites:" { $1 = ""; suites = $0 }
                END { flush() }' "$f" | sed 's/^ *//' ;;
        *)
            awk -v suite="$SUITE" '
                $1 == "deb" {
                    i = 2
                    if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                    if ($(i + 1) == suite) { print $i; exit }
                }' "$f" ;;
        esac
    done | head -n 1
}

mkdir -p "$cache"
key=$(cat "$0" "$tmpl"/* | sha256sum | cut -c1-16)
dir=$cache/$key
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

# --- 1. debootstrap tree (cached as a tarball) ---------------------------
rootfs_cache=${V2K_ROOTFS_CACHE:-$cache}
# rootfs_tarball: set TB to the tarball of the debootstrap tree (built
# once, under its own lock: several KEY directories may share it).
TB=
rootfs_tarball() {
    local mirror tkey tb work
    mirror=$(find_mirror)
    [ -n "$mirror" ] || die "no Debian mirror for $SUITE in /etc/apt/sources*"
    tkey=$(printf '%s\n' "$mirror" "$SUITE" "$PACKAGES" "$VMWARE_PACKAGES" |
           sha256sum | cut -c1-16)
    tb=$rootfs_cache/rootfs-$tkey.tar
    TB=$tb
    if [ -f "$tb" ]; then
        say "debootstrap tree cached: $tb"
        return
    fi
    mkdir -p "$rootfs_cache"
    exec 8>"$tb.lock"
    flock 8
    if [ -f "$tb" ]; then
        exec 8>&-
        say "debootstrap tree cached: $tb"
        return
    fi
    work=$(mktemp -d "$rootfs_cache/.rootfs.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    say "debootstrap $SUITE from $mirror (minbase + $PACKAGES)"
    local ts
    ts=$(date +%s)
    if ! debootstrap --variant=minbase --include="$PACKAGES" \
            --components=main "$SUITE" "$work/root" "$mirror" \
            >"$work/debootstrap.log" 2>&1; then
        tail -n 30 "$work/debootstrap.log" >&2
        die "debootstrap failed (log above)"
    fi
    say "debootstrap done in $(( $(date +%s) - ts ))s"
    # Fetch the vmware variant's extra packages (no install) while the
    # tree has working apt lists; keep them in the tree's /var/tmp (the
    # base image leaves them out).
    mkdir -p "$work/root/var/tmp/vmware-debs"
    cp /etc/resolv.conf "$work/root/etc/resolv.conf" 2>/dev/null || true
    if ! chroot "$work/root" sh -c "apt-get clean && apt-get -q update &&
            apt-get -q -y --download-only --no-install-recommends \
                install $VMWARE_PACKAGES" >"$work/apt.log" 2>&1; then
        tail -n 20 "$work/apt.log" >&2
        die "downloading $VMWARE_PACKAGES in the tree failed (log above)"
    fi
    mv "$work/root"/var/cache/apt/archives/*.deb \
        "$work/root/var/tmp/vmware-debs/"
    rm -rf "$work/root"/var/lib/apt/lists/* "$work/root/etc/resolv.conf"
    # Trim what a test guest never reads.
    rm -rf "$work/root"/usr/share/doc/* "$work/root"/usr/share/man/* \
        "$work/root"/usr/share/locale/* "$work/root"/usr/share/info/* \
        "$work/root"/var/cache/apt/*.bin "$work/root"/var/log/*.log
    tar -C "$work/root" --numeric-owner --xattrs -cf "$tb.tmp" . ||
        die "tar of the tree failed"
    mv "$tb.tmp" "$tb"
    rm -rf "$work"
    trap - EXIT
    exec 8>&-
}

# --- 2. base image -------------------------------------------------------
customize_tree() {   # customize_tree ROOT
    local r=$1
    echo "$HOSTNAME_GUEST" >"$r/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$HOSTNAME_GUEST" \
        >"$r/etc/hosts"
    printf '# <fs> <mount> <type> <options> <dump> <pass>\n%s\n' \
        "/dev/vda1 / ext4 errors=remount-ro 0 1" >"$r/etc/fstab"
    cat >"$r/etc/default/grub" <<'EOF'
# Written by tests/lib/mkguest-debian.sh
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=ttyS0"
GRUB_DISABLE_LINUX_UUID=true
GRUB_DISABLE_RECOVERY=true
GRUB_DISABLE_OS_PROBER=true
GRUB_TERMINAL="serial console"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
EOF
    # The marker: ordered after multi-user.target (so no default
    # dependencies, which would order the target after us: a cycle).
    cat >"$r/etc/systemd/system/v2kvm-boot-marker.service" <<'EOF'
[Unit]
Description=Print the v2kvm boot marker on the serial port
DefaultDependencies=no
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/v2kvm-boot-marker

[Install]
WantedBy=multi-user.target
EOF
    # The marker script: when ifupdown brings up an interface besides lo
    # (the vmware variant's ens160), up to 30 s for an IPv4 address, then
    # "V2KVM-NET NAME ADDRESS MAC" per address (or "V2KVM-NET none"): the
    # guest's own report of its network, read by the boot tests.
    mkdir -p "$r/usr/local/sbin"
    cat >"$r/usr/local/sbin/v2kvm-boot-marker" <<'EOF'
#!/bin/sh
# Written by tests/lib/mkguest-debian.sh
want=$( { ifquery --list --allow=hotplug; ifquery --list --allow=auto; } \
        2>/dev/null | grep -vx lo)
if [ -n "$want" ]; then
    i=0
    while [ $i -lt 60 ] &&
          ! ip -4 -o addr show scope global 2>/dev/null | grep -q inet; do
        sleep 0.5
        i=$((i + 1))
    done
    report=$(ip -4 -o addr show scope global 2>/dev/null |
             while read -r _ name _ addr _; do
                 echo "V2KVM-NET $name ${addr%/*} $(cat /sys/class/net/$name/address)"
             done)
    echo "${report:-V2KVM-NET none (configured: $(echo $want))}" >/dev/ttyS0
fi
echo "V2KVM-BOOT-OK $(cat /etc/hostname)" >/dev/ttyS0
EOF
    chmod 0755 "$r/usr/local/sbin/v2kvm-boot-marker"
    # GRUB's own map of BIOS drives: in the libguestfs appliance grub's
    # guess maps hd0 to the appliance's disk, not the guest's.
    mkdir -p "$r/boot/grub"
    echo "(hd0) /dev/sda" >"$r/boot/grub/device.map"
    mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
    ln -sf /etc/systemd/system/v2kvm-boot-marker.service \
        "$r/etc/systemd/system/multi-user.target.wants/"
    # Network: ifupdown, loopback only (the tests need no address).
    cat >"$r/etc/network/interfaces" <<'EOF'
auto lo
iface lo inet loopback

EOF
    # Short, deterministic boots: no wait for a network or clock.
    ln -sf /dev/null "$r/etc/systemd/system/systemd-timesyncd.service"
    ln -sf /dev/null "$r/etc/systemd/system/apt-daily.timer"
    ln -sf /dev/null "$r/etc/systemd/system/apt-daily-upgrade.timer"
}

build_base() {
    local out=$dir/base tb work ts size_b part_b
    [ -f "$out/debian12.img" ] && { say "base image cached"; return; }
    rootfs_tarball
    tb=$TB
    work=$(mktemp -d "$dir/.base.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    ts=$(date +%s)
    say "unpacking the tree and writing the guest's configuration"
    mkdir "$work/root"
    tar -C "$work/root" --numeric-owner --xattrs -xpf "$tb"
    # The vmware variant's packages: those the tree does not have.
    rm -rf "$dir/vmware-debs"
    mkdir "$dir/vmware-debs"
    local d
    for d in "$work/root"/var/tmp/vmware-debs/*.deb; do
        dpkg-query --admindir="$work/root/var/lib/dpkg" -W -f='${Status}' \
            "$(dpkg-deb -f "$d" Package)" 2>/dev/null |
            grep -q 'ok installed' || mv "$d" "$dir/vmware-debs/"
    done
    rm -rf "$work/root/var/tmp/vmware-debs" "$work/root"/var/cache/apt/archives/*.deb
    say "vmware variant packages: $(cd "$dir/vmware-debs" && echo *.deb |
        sed 's/_[^ ]*//g')"
    customize_tree "$work/root"
    size_b=$(numfmt --from=iec "$IMG_SIZE")
    part_b=$(( size_b - 1048576 ))
    say "mkfs.ext4 -d (partition of $((part_b / 1048576)) MiB)"
    mkfs.ext4 -q -F -L root -d "$work/root" "$work/part.img" \
        "$((part_b / 1024))k" || die "mkfs.ext4 -d failed"
    rm -rf "$work/root"
    truncate -s "$size_b" "$work/disk.img"
    echo 'label: dos
start=2048, type=83, bootable' | sfdisk -q "$work/disk.img" >/dev/null ||
        die "sfdisk on the image failed"
    dd if="$work/part.img" of="$work/disk.img" bs=1M seek=1 \
        conv=notrunc,sparse status=none || die "dd of the partition failed"
    rm -f "$work/part.img"
    say "installing GRUB in the guest (guestfish, one appliance)"
    # guestfish's own calls translate device names, a `command` does not:
    # inside the appliance the guest's disk is not always /dev/sda (under
    # load its kernel has named the appliance's root disk sda first, and
    # grub-install then said "cross-disk install").  So the disk is the
    # one holding the mounted root, and grub.cfg is made to say what the
    # guest will see, /dev/sda1.
    guestfish --rw -a "$work/disk.img" >"$work/gf.log" 2>&1 <<'EOF' ||
run
mount /dev/sda1 /
command "sh -c 'p=$(findmnt -n -o SOURCE /) && echo root-partition=$p && grub-install --target=i386-pc ${p%1} && update-grub && sed -i s,$p,/dev/sda1,g /boot/grub/grub.cfg'"
download /boot/grub/grub.cfg /dev/stdout
EOF
        { cat "$work/gf.log" >&2; die "GRUB installation failed"; }
    grep -q 'linux.*root=/dev/sda1 .*console=ttyS0' "$work/gf.log" ||
        { cat "$work/gf.log" >&2; die "grub.cfg does not say root=/dev/sda1"; }
    # The appliance saw the disk as sda; the base is a KVM guest: vda.
    guestfish --rw -a "$work/disk.img" >"$work/gf2.log" 2>&1 <<'EOF' ||
run
mount /dev/sda1 /
command "sed -i s,/dev/sda1,/dev/vda1,g /boot/grub/grub.cfg"
download /boot/grub/grub.cfg /dev/stdout
EOF
        { cat "$work/gf2.log" >&2; die "rewriting grub.cfg failed"; }
    grep -q 'linux.*root=/dev/vda1 ' "$work/gf2.log" ||
        die "grub.cfg does not say root=/dev/vda1"
    mkdir -p "$out"
    mv "$work/disk.img" "$out/debian12.img"
    rm -rf "$work"
    trap - EXIT
    say "base image built in $(( $(date +%s) - ts ))s: $(du -h \
"$out/debian12.img" | cut -f1) used of $IMG_SIZE"
}

# --- 3. variants ----------------------------------------------------------
# gf_variant DISK SCRIPT LOG: one guestfish session on DISK (the root
# mounted) running SCRIPT.
gf_variant() {
    { echo run; echo "mount /dev/sda1 /"; cat "$2"; } |
        guestfish --rw -a "$1" >"$3" 2>&1 ||
        { cat "$3" >&2; die "guestfish on $1 failed"; }
}

# gf_count_virtio: a guestfish line printing how many virtio_blk entries
# the guest's initramfs holds.
gf_count_virtio() {
    echo 'sh "lsinitramfs /boot/initrd.img-* | grep -c virtio_blk || true"'
}
# gf_modules_list FILE: guestfish lines that give the guest the
# initramfs-tools module list FILE (MODULES=list) and regenerate its
# initramfs, then gf_count_virtio (0 expected, checked with no_virtio).
gf_modules_list() {
    cat <<EOF
upload $1 /etc/initramfs-tools/modules
command "sed -i s/^MODULES=.*/MODULES=list/ /etc/initramfs-tools/initramfs.conf"
command "update-initramfs -u -k all"
EOF
    gf_count_virtio
}
# no_virtio NAME LOG: the count gf_modules_list printed is 0.
no_virtio() {
    grep -qx 0 "$2" ||
        { cat "$2" >&2; die "$1: the initrd still has virtio"; }
}

# Guest edits common to the sda/xvda variants: device names in fstab and
# grub.cfg (as update-grub would have written them on that hypervisor).
gf_devname() {   # gf_devname DEV CONSOLE
    cat <<EOF
command "sed -i s,/dev/vda1,$1,g /etc/fstab /boot/grub/grub.cfg"
command "sed -i s,console=ttyS0,console=$2,g /etc/default/grub /boot/grub/grub.cfg"
EOF
}

# build_vmware [most]: the vmware variant, or with "most" vmware-most
# (the base image's MODULES=most initramfs kept: nothing regenerated).
build_vmware() {
    local name=vmware${1:+-$1} out work ts
    out=$dir/$name
    [ -f "$out/debian12.vmx" ] && { say "$name variant cached"; return; }
    build_base
    work=$(mktemp -d "$dir/.$name.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    ts=$(date +%s)
    if [ -n "${1:-}" ]; then
        say "$name: open-vm-tools, MODULES=most initramfs kept (with virtio)"
    else
        say "vmware: open-vm-tools, MODULES=list, no virtio, update-initramfs"
    fi
    cp --sparse=always "$dir/base/debian12.img" "$work/disk.img"
    cat >"$work/modules" <<'EOF'
# /etc/initramfs-tools/modules: what a VMware guest's initramfs carries
mptspi
mptsas
vmw_pvscsi
ahci
ata_piix
sd_mod
ext4
EOF
    # The NIC as VMware names it (ethernet0.pciSlotNumber = 160: ens160),
    # brought up by DHCP.
    cat >"$work/interfaces" <<'EOF'
auto lo
iface lo inet loopback

allow-hotplug ens160
iface ens160 inet dhcp
EOF
    cat >"$work/xorg.conf" <<'EOF'
Section "Device"
    Identifier  "VMware SVGA II"
    Driver      "vmware"
    BusID       "PCI:0:15:0"
EndSection

Section "Screen"
    Identifier  "Default Screen"
    Device      "VMware SVGA II"
EndSection
EOF
    { gf_devname /dev/sda1 ttyS0
      cat <<EOF
copy-in $dir/vmware-debs /var/tmp
sh "dpkg -i /var/tmp/vmware-debs/*.deb"
rm-rf /var/tmp/vmware-debs
mkdir-p /etc/X11
upload $work/xorg.conf /etc/X11/xorg.conf
upload $work/interfaces /etc/network/interfaces
download /etc/fstab /dev/stdout
EOF
      if [ -n "${1:-}" ]; then gf_count_virtio
      else gf_modules_list "$work/modules"; fi
    } >"$work/gf"
    gf_variant "$work/disk.img" "$work/gf" "$work/gf.log"
    grep -q '^/dev/sda1 ' "$work/gf.log" || die "$name: fstab not rewritten"
    if [ -n "${1:-}" ]; then
        # MODULES=most: the one virtio_blk.ko is in the initrd
        grep -qx 1 "$work/gf.log" ||
            { cat "$work/gf.log" >&2; die "$name: the initrd has no virtio_blk"; }
    else
        no_virtio vmware "$work/gf.log"
    fi
    say "$name: converting to VMDK"
    qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse \
        "$work/disk.img" "$work/debian12.vmdk"
    rm -f "$work/disk.img"
    sed -e "s,@DISK@,debian12.vmdk,g" "$tmpl/debian12.vmx" \
        >"$work/debian12.vmx"
    rm -f "$work/gf" "$work/gf.log" "$work/modules" "$work/xorg.conf" \
        "$work/interfaces"
    rm -rf "$out"
    mv "$work" "$out"
    trap - EXIT
    say "$name variant built in $(( $(date +%s) - ts ))s"
}

build_xen() {
    local out=$dir/xen work ts
    [ -f "$out/debian12.cfg" ] && { say "xen variant cached"; return; }
    build_base
    work=$(mktemp -d "$dir/.xen.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    ts=$(date +%s)
    say "xen: /dev/xvda1, console=hvc0, MODULES=list, XenServer tools traces"
    cp --sparse=always "$dir/base/debian12.img" "$work/debian12.img"
    cat >"$work/modules" <<'EOF'
# /etc/initramfs-tools/modules: what a Xen PV guest's initramfs carries
xen-blkfront
xen-netfront
ext4
EOF
    cat >"$work/xe-linux-distribution" <<'EOF'
#! /bin/sh
### BEGIN INIT INFO
# Provides:          xe-linux-distribution
# Required-Start:    $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Write the distribution to xenstore (XenServer tools)
### END INIT INFO
XE_LINUX_DISTRIBUTION=/usr/sbin/xe-linux-distribution
case "$1" in
start) [ -x $XE_LINUX_DISTRIBUTION ] &&
       $XE_LINUX_DISTRIBUTION /var/cache/xe-linux-distribution ;;
esac
exit 0
EOF
    cat >"$work/xe-daemon" <<'EOF'
#!/bin/sh
# XenServer guest agent (trace for v2kvm's tests)
exit 0
EOF
    { gf_devname /dev/xvda1 hvc0
      cat <<EOF
upload $work/xe-linux-distribution /etc/init.d/xe-linux-distribution
chmod 0755 /etc/init.d/xe-linux-distribution
ln-sf ../init.d/xe-linux-distribution /etc/rc2.d/S14xe-linux-distribution
mkdir-p /usr/share/oem/xs
upload $work/xe-daemon /usr/sbin/xe-daemon
chmod 0755 /usr/sbin/xe-daemon
upload $work/xe-daemon /usr/sbin/xe-linux-distribution
chmod 0755 /usr/sbin/xe-linux-distribution
write /var/cache/xe-linux-distribution "os_distro=debian\nos_majorver=12\n"
download /boot/grub/grub.cfg /dev/stdout
download /etc/fstab /dev/stdout
EOF
      gf_modules_list "$work/modules"
    } >"$work/gf"
    gf_variant "$work/debian12.img" "$work/gf" "$work/gf.log"
    no_virtio xen "$work/gf.log"
    grep -q 'root=/dev/xvda1 .*console=hvc0' "$work/gf.log" ||
        { cat "$work/gf.log" >&2; die "xen: grub.cfg not rewritten"; }
    grep -q '^/dev/xvda1 ' "$work/gf.log" || die "xen: fstab not rewritten"
    sed -e "s,@DISK@,$out/debian12.img,g" "$tmpl/debian12.cfg" \
        >"$work/debian12.cfg"
    rm -f "$work/gf" "$work/gf.log" "$work/xe-linux-distribution" \
        "$work/xe-daemon" "$work/modules"
    rm -rf "$out"
    mv "$work" "$out"
    trap - EXIT
    say "xen variant built in $(( $(date +%s) - ts ))s"
}

build_vbox() {
    local out=$dir/vbox work ts uuid
    [ -f "$out/debian12/debian12.vbox" ] && { say "vbox variant cached"; return; }
    build_base
    work=$(mktemp -d "$dir/.vbox.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    ts=$(date +%s)
    say "vbox: MODULES=list, Guest Additions 7.0.10 traces"
    cat >"$work/modules" <<'EOF'
# /etc/initramfs-tools/modules: what a VirtualBox guest's initramfs carries
ahci
sd_mod
e1000
ext4
EOF
    cp --sparse=always "$dir/base/debian12.img" "$work/disk.img"
    local ga=/opt/VBoxGuestAdditions-7.0.10
    cat >"$work/uninstall.sh" <<EOF
#!/bin/sh
# VirtualBox Guest Additions 7.0.10 uninstaller (what v2kvm runs or
# reproduces): removes every file the installer put in place.
rm -f /etc/init.d/vboxadd /etc/init.d/vboxadd-service \\
      /etc/rc2.d/S20vboxadd /etc/rc2.d/S35vboxadd-service \\
      /usr/sbin/VBoxService /usr/bin/VBoxClient /usr/bin/VBoxControl \\
      /sbin/mount.vboxsf
rm -rf $ga
exit 0
EOF
    cat >"$work/vboxadd" <<'EOF'
#! /bin/sh
### BEGIN INIT INFO
# Provides:       vboxadd
# Required-Start:
# Required-Stop:
# Default-Start:  2 3 4 5
# Default-Stop:   0 1 6
# Description:    VirtualBox Linux Additions kernel modules
### END INIT INFO
exit 0
EOF
    cat >"$work/bin" <<'EOF'
#!/bin/sh
# VirtualBox Guest Additions binary (trace for v2kvm's tests)
exit 0
EOF
    { gf_devname /dev/sda1 ttyS0
      cat <<EOF
mkdir-p $ga/init
mkdir-p $ga/sbin
mkdir-p $ga/bin
upload $work/uninstall.sh $ga/uninstall.sh
chmod 0755 $ga/uninstall.sh
upload $work/vboxadd $ga/init/vboxadd
upload $work/vboxadd /etc/init.d/vboxadd
upload $work/vboxadd /etc/init.d/vboxadd-service
chmod 0755 /etc/init.d/vboxadd
chmod 0755 /etc/init.d/vboxadd-service
ln-sf ../init.d/vboxadd /etc/rc2.d/S20vboxadd
ln-sf ../init.d/vboxadd-service /etc/rc2.d/S35vboxadd-service
upload $work/bin $ga/sbin/VBoxService
upload $work/bin /usr/sbin/VBoxService
upload $work/bin /usr/bin/VBoxClient
upload $work/bin /usr/bin/VBoxControl
chmod 0755 /usr/sbin/VBoxService
chmod 0755 /usr/bin/VBoxClient
chmod 0755 /usr/bin/VBoxControl
download /etc/fstab /dev/stdout
EOF
      gf_modules_list "$work/modules"
    } >"$work/gf"
    gf_variant "$work/disk.img" "$work/gf" "$work/gf.log"
    grep -q '^/dev/sda1 ' "$work/gf.log" || die "vbox: fstab not rewritten"
    no_virtio vbox "$work/gf.log"
    mkdir "$work/debian12"
    qemu-img convert -f raw -O vdi "$work/disk.img" \
        "$work/debian12/debian12.vdi"
    rm -f "$work/disk.img"
    # The VDI's own UUID (uuidCreate at 0x188, little-endian) is what the
    # .vbox media registry names.
    local h
    h=$(od -An -tx1 -j $((0x188)) -N16 "$work/debian12/debian12.vdi" |
        tr -d ' \n')
    uuid=${h:6:2}${h:4:2}${h:2:2}${h:0:2}-${h:10:2}${h:8:2}-${h:14:2}${h:12:2}
    uuid=$uuid-${h:16:4}-${h:20:12}
    [ ${#uuid} -eq 36 ] || die "vbox: cannot read the VDI's UUID"
    sed -e "s,@DISKUUID@,$uuid,g" "$tmpl/debian12.vbox" \
        >"$work/debian12/debian12.vbox"
    rm -f "$work/gf" "$work/gf.log" "$work/uninstall.sh" "$work/vboxadd" \
        "$work/bin" "$work/modules"
    rm -rf "$out"
    mv "$work" "$out"
    trap - EXIT
    say "vbox variant built in $(( $(date +%s) - ts ))s"
}

build_uefi() {
    local out=$dir/uefi tb work ts size_b part_b
    [ -f "$out/debian12-uefi.ova" ] && { say "uefi variant cached"; return; }
    rootfs_tarball
    tb=$TB
    work=$(mktemp -d "$dir/.uefi.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    ts=$(date +%s)
    say "uefi: GPT + ESP, GRUB for EFI in EFI/debian only"
    mkdir "$work/root"
    tar -C "$work/root" --numeric-owner --xattrs -xpf "$tb"
    rm -rf "$work/root/var/tmp/vmware-debs" \
        "$work/root"/var/cache/apt/archives/*.deb
    customize_tree "$work/root"
    printf '# <fs> <mount> <type> <options> <dump> <pass>\n%s\n%s\n' \
        "/dev/sda2 / ext4 errors=remount-ro 0 1" \
        "/dev/sda1 /boot/efi vfat umask=0077 0 1" >"$work/root/etc/fstab"
    mkdir -p "$work/root/boot/efi"
    # ESP: 64 MiB from 1 MiB; root from 65 MiB to the GPT backup's 1 MiB.
    size_b=$(numfmt --from=iec "$IMG_SIZE")
    part_b=$(( size_b - 66 * 1048576 ))
    mkfs.ext4 -q -F -L root -d "$work/root" "$work/part.img" \
        "$((part_b / 1024))k" || die "uefi: mkfs.ext4 -d failed"
    rm -rf "$work/root"
    truncate -s "$size_b" "$work/disk.img"
    printf '%s\n' 'label: gpt' \
        'start=2048, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B' \
        "start=133120, size=$((part_b / 512)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4" |
        sfdisk -q "$work/disk.img" >/dev/null || die "uefi: sfdisk failed"
    dd if="$work/part.img" of="$work/disk.img" bs=1M seek=65 \
        conv=notrunc,sparse status=none || die "uefi: dd failed"
    rm -f "$work/part.img"
    # As in build_base: the appliance's name of the root partition is
    # found, and grub.cfg made to say the guest's (/dev/sda2).  No NVRAM:
    # --no-nvram; no fallback loader: no --removable.
    guestfish --rw -a "$work/disk.img" >"$work/gf.log" 2>&1 <<'EOF' ||
run
mkfs vfat /dev/sda1
mount /dev/sda2 /
mount /dev/sda1 /boot/efi
command "sh -c 'p=$(findmnt -n -o SOURCE /) && echo root-partition=$p && grub-install --target=x86_64-efi --efi-directory=/boot/efi --bootloader-id=debian --no-nvram --no-uefi-secure-boot && update-grub && sed -i s,$p,/dev/sda2,g /boot/grub/grub.cfg'"
download /boot/grub/grub.cfg /dev/stdout
echo ESP:
find /boot/efi
EOF
        { cat "$work/gf.log" >&2; die "uefi: GRUB installation failed"; }
    grep -q 'linux.*root=/dev/sda2 .*console=ttyS0' "$work/gf.log" ||
        { cat "$work/gf.log" >&2; die "uefi: grub.cfg does not say root=/dev/sda2"; }
    grep -qi '^/\?EFI/debian/grubx64.efi$' "$work/gf.log" ||
        { cat "$work/gf.log" >&2; die "uefi: no EFI/debian/grubx64.efi"; }
    if grep -qi '^/\?EFI/BOOT' "$work/gf.log"; then
        die "uefi: grub-install wrote a fallback loader"
    fi
    say "uefi: converting to a streamOptimized VMDK and packing the OVA"
    qemu-img convert -f raw -O vmdk -o subformat=streamOptimized \
        "$work/disk.img" "$work/debian12-uefi-disk1.vmdk"
    sed -e "s/@SIZE@/$(stat -c %s "$work/debian12-uefi-disk1.vmdk")/" \
        -e "s/@CAPACITY@/$size_b/" "$tmpl/debian12-uefi.ovf" \
        >"$work/debian12-uefi.ovf"
    tar -C "$work" --format=ustar -cf "$work/debian12-uefi.ova" \
        debian12-uefi.ovf debian12-uefi-disk1.vmdk ||
        die "uefi: tar of the OVA failed"
    mkdir -p "$out.tmp"
    mv "$work/debian12-uefi.ova" "$out.tmp/"
    rm -rf "$work" "$out"
    mv "$out.tmp" "$out"
    trap - EXIT
    say "uefi variant built in $(( $(date +%s) - ts ))s"
}

case $variant in
    base) build_base; out=$dir/base ;;
    uefi) build_uefi; out=$dir/uefi ;;
    vmware) build_vmware; out=$dir/vmware ;;
    vmware-most) build_vmware most; out=$dir/vmware-most ;;
    xen) build_xen; out=$dir/xen ;;
    vbox) build_vbox; out=$dir/vbox/debian12 ;;
    all) build_base; build_vmware; build_xen; build_vbox; build_uefi
         out=$dir ;;
esac
echo "$out" >&3
