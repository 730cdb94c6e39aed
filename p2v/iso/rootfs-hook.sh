#!/bin/bash
# rootfs-hook.sh essential|customize ROOT - the rootfs stage of
# build-iso.sh, run by mmdebstrap as its --essential-hook and
# --customize-hook (ROOT is the tree being built; /proc, /sys and /dev are
# mounted in it).  Part of the rootfs cache key: editing this file
# rebuilds the rootfs.
#
#   essential  after the Essential packages, before the rest: keep the
#              kernel's postinst from building an initramfs that the
#              customize step would throw away (update-initramfs is
#              diverted to true), and put our initramfs script in place.
#   customize  after every package: configure the live system, trim what
#              a P2V boot does not need (docs, locales, most kernel
#              modules), then build the one initramfs.
set -euo pipefail
stage=$1 root=$2
here=$(cd "$(dirname "$0")" && pwd)
say() { echo "build-iso: [rootfs] $*" >&2; }
in_root() { chroot "$root" "$@"; }

essential() {
    in_root dpkg-divert --quiet --local --rename \
        --divert /usr/sbin/update-initramfs.v2kvm --add /usr/sbin/update-initramfs
    ln -s /bin/true "$root/usr/sbin/update-initramfs"
    install -D -m 0755 "$here/v2kvm-client.initramfs" \
        "$root/etc/initramfs-tools/scripts/init-bottom/v2kvm-client"
}

# Kernel module trees a P2V boot does not use.  Kept: storage (ahci, nvme,
# sd/sr, usb-storage, uas, md, dm, SCSI HBAs, virtio, mmc), ethernet and
# USB ethernet, USB, HID/input, file systems, and the simple frame buffers
# (drm core + drm/tiny: simpledrm, bochs...).
trim_modules() {
    local kdir k
    for kdir in "$root"/lib/modules/*/kernel; do
        for k in sound drivers/media drivers/staging drivers/iio \
                 drivers/infiniband drivers/isdn drivers/bluetooth \
                 drivers/net/wireless drivers/net/can drivers/net/hamradio \
                 drivers/net/ieee802154 drivers/nfc drivers/comedi \
                 drivers/input/joystick drivers/input/touchscreen \
                 drivers/input/tablet drivers/input/misc \
                 drivers/gnss drivers/hwmon drivers/w1 drivers/mtd \
                 drivers/target drivers/fpga drivers/accel \
                 net/wireless net/mac80211 net/bluetooth net/ieee802154 \
                 net/mac802154 net/nfc net/can net/6lowpan net/rfkill \
                 arch/x86/kvm; do
            rm -rf "${kdir:?}/$k"
        done
        # GPU drivers but the frame buffer ones: drm core helpers and tiny/
        find "$kdir/drivers/gpu/drm" -mindepth 1 -maxdepth 1 -type d \
            ! -name tiny -exec rm -rf {} +
        rm -rf "$kdir/drivers/gpu/host1x"
        # no firmware: non-free-firmware is opt-in (--nonfree-firmware),
        # and its packages install under /lib/firmware, not here
    done
}

customize() {
    local kdir kver
    # --- identity, without build-time secrets: machine-id empty (systemd
    # makes one at boot), no ssh host keys (no sshd), root locked
    echo v2kvm-p2v >"$root/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\tv2kvm-p2v\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
        >"$root/etc/hosts"
    : >"$root/etc/machine-id"
    rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
    echo 'LANG=C.UTF-8' >"$root/etc/default/locale"

    # --- network: DHCP on every ethernet NIC (systemd-networkd), DNS
    # through systemd-resolved; network-online waits for one NIC, 30 s at
    # most, so a machine without network still reaches the client
    mkdir -p "$root/etc/systemd/network" \
        "$root/etc/systemd/system/systemd-networkd-wait-online.service.d"
    cat >"$root/etc/systemd/network/80-v2kvm-dhcp.network" <<'NET'
[Match]
Type=ether
Kind=!*

[Network]
DHCP=yes
LinkLocalAddressing=ipv6
IPv6AcceptRA=yes

[DHCPv4]
UseDomains=yes
NET
    cat >"$root/etc/systemd/system/systemd-networkd-wait-online.service.d/v2kvm.conf" <<'NET'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=30
NET
    in_root systemctl enable --quiet systemd-networkd.service \
        systemd-networkd-wait-online.service systemd-resolved.service
    ln -sfn ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"

    # --- the source disks are only read: no automatic RAID assembly (it
    # can start a resync, a write) and no LVM auto-activation; the client
    # assembles and activates what it needs, read-only
    mkdir -p "$root/etc/mdadm"
    # (the ARRAY line that matches nothing keeps mdadm's initramfs hook
    # from replacing this file in the initramfs by a scan of the build
    # machine's arrays, which would drop AUTO -all)
    printf '# v2kvm P2V: nothing is assembled automatically\nAUTO -all\nARRAY <ignore> UUID=00000000:00000000:00000000:00000000\n' \
        >"$root/etc/mdadm/mdadm.conf"
    sed -i -e 's/^\([[:space:]]*\)# *event_activation = 1/\1event_activation = 0/' \
        "$root/etc/lvm/lvm.conf"
    grep -q '^[[:space:]]*event_activation = 0' "$root/etc/lvm/lvm.conf" ||
        printf 'global {\n\tevent_activation = 0\n}\n' >>"$root/etc/lvm/lvm.conf"
    printf 'activation {\n\tauto_activation_volume_list = []\n}\n' \
        >>"$root/etc/lvm/lvm.conf"

    # --- services a live P2V boot does not want
    in_root systemctl mask --quiet apt-daily.timer apt-daily-upgrade.timer \
        e2scrub_all.timer e2scrub_reap.service fstrim.timer \
        mdmonitor.service mdmonitor-oneshot.timer mdcheck_start.timer \
        mdcheck_continue.timer lvm2-monitor.service 2>/dev/null || true
    # a root shell on tty2 (Alt+F2) for whoever stands at the console
    mkdir -p "$root/etc/systemd/system/getty@tty2.service.d"
    cat >"$root/etc/systemd/system/getty@tty2.service.d/autologin.conf" <<'GETTY'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --noclear %I $TERM
GETTY
    mkdir -p "$root/etc/systemd/system/getty.target.wants"
    ln -sfn /lib/systemd/system/getty@.service \
        "$root/etc/systemd/system/getty.target.wants/getty@tty2.service"
    # the journal in memory only
    mkdir -p "$root/etc/systemd/journald.conf.d"
    printf '[Journal]\nStorage=volatile\n' \
        >"$root/etc/systemd/journald.conf.d/v2kvm.conf"

    # --- trim
    trim_modules
    rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* \
        "$root"/usr/share/locale/* "$root"/usr/share/lintian \
        "$root"/usr/share/linda "$root"/var/cache/debconf/*-old \
        "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
        "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log \
        "$root"/var/log/apt/*
    find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete

    # --- the one initramfs, from the trimmed module tree (MODULES=most),
    # with live-boot and our init-bottom script
    rm -f "$root/usr/sbin/update-initramfs"
    in_root dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
    for kdir in "$root"/lib/modules/*; do
        kver=${kdir##*/}
        in_root depmod -a "$kver"
        in_root update-initramfs -c -k "$kver" >/dev/null
    done
    rm -f "$root"/boot/System.map-* "$root"/boot/config-*
    # nothing of the build left behind
    rm -f "$root"/etc/machine-id && : >"$root/etc/machine-id"
    rm -f "$root"/var/cache/ldconfig/aux-cache "$root"/var/log/dpkg.log \
        "$root"/var/log/alternatives.log "$root"/var/lib/dpkg/*-old
}

case $stage in
essential) essential ;;
customize) customize ;;
*) echo "rootfs-hook.sh: unknown stage '$stage'" >&2; exit 2 ;;
esac
