#!/bin/bash
# build-iso.sh - build the v2kvm P2V boot image from Debian 12 packages.
#
#   build-iso.sh --client PATH --out DIR [--append "v2kvm.server=... "]
#                [--nonfree-firmware] [--timeout SECONDS] [--cache-dir DIR]
#                [--mirror URL] [--rebuild] [--identity KEYFILE]
#
# Writes DIR/v2kvm-p2v.iso (a hybrid ISO: CD or USB stick, BIOS or UEFI,
# without Secure Boot) and DIR/pxe/{vmlinuz,initrd.img,filesystem.squashfs}
# (the same system for PXE: boot vmlinuz + initrd.img with
# "boot=live components fetch=http://SERVER/PATH/filesystem.squashfs").
# Progress goes to stderr, the tools' output to DIR/build-iso.log; stdout
# gets the ISO's path and nothing else.  Run as root (mmdebstrap
# --mode=root, chroot).
#
# Two layers:
#   rootfs   mmdebstrap minbase + packages.list, configured and trimmed by
#            rootfs-hook.sh, squashed (zstd) with its kernel and initramfs.
#            The expensive part (minutes), cached in
#            ${V2K_CACHE_DIR:-/var/cache/v2kvm-tests}/p2v-iso/KEY/, KEY a
#            hash of packages.list, rootfs-hook.sh, the initramfs script,
#            the suite, --nonfree-firmware and the compressor.  Built in a
#            temporary directory and renamed: a killed build leaves no
#            half cache.
#   client   --client PATH as /usr/bin/v2kvm-p2v, v2kvm-p2v.service
#            (enabled, getty@tty1 and serial-getty@ masked), in a
#            small cpio archive put in front of the cached initrd (as
#            early microcode is); the initramfs script copies it into the
#            live root.  Seconds: a new client binary does not rebuild
#            the rootfs.
#
# --append TEXT      added to the kernel command line of every menu entry
#                    (e.g. "v2kvm.server=10.0.0.5" for unattended sticks)
# --nonfree-firmware add Debian's non-free-firmware component and the
#                    usual NIC/storage firmware packages (off by default)
# --timeout S        GRUB menu timeout (default 5)
# --rebuild          rebuild the rootfs even when cached
# --identity KEYFILE put this SSH private key in the image as
#                    /etc/v2kvm-p2v/identity (mode 0600), for
#                    v2kvm.identity=/etc/v2kvm-p2v/identity: an
#                    unattended stick for an isolated network (anyone
#                    holding the stick holds the key: give it a key that
#                    only the conversion host accepts)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prog=build-iso
say() { echo "$prog: $*" >&2; }
die() { echo "$prog: error: $*" >&2; exit 1; }

client='' out='' append='' nonfree=0 timeout=5 rebuild=0 identity=''
cache_root=${V2K_CACHE_DIR:-/var/cache/v2kvm-tests}
mirror=${V2K_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${V2K_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
suite=bookworm
comp=zstd
while [ $# -gt 0 ]; do
    case $1 in
    --client) client=${2:?--client needs a path}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --append) append=${2?--append needs text}; shift 2 ;;
    --nonfree-firmware) nonfree=1; shift ;;
    --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
    --cache-dir) cache_root=${2:?--cache-dir needs a directory}; shift 2 ;;
    --mirror) mirror=${2:?--mirror needs a URL}; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    --identity) identity=${2:?--identity needs a key file}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
done
[ -n "$client" ] || die "--client PATH is required (the v2kvm-p2v binary)"
[ -n "$out" ] || die "--out DIR is required"
[ -f "$client" ] && [ -x "$client" ] || die "client '$client' is not an executable file"
[ -z "$identity" ] || [ -r "$identity" ] || die "identity '$identity' is not a readable file"
case $timeout in ''|*[!0-9]*) die "--timeout wants a number of seconds" ;; esac
# GRUB's metacharacters, quotes and expansions would change grub.cfg
case $append in
*[\"\'\;\\\$\`\|\&\<\>\{\}]*|*$'\n'*)
    die "--append: quotes, newlines and ; \\ \$ \` | & < > { } are not allowed" ;;
esac
[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap --mode=root, chroot)"
for t in mmdebstrap mksquashfs grub-mkrescue xorriso mformat cpio flock \
         sha256sum chroot; do
    command -v "$t" >/dev/null 2>&1 ||
        die "required tool '$t' is missing (run scripts/setup.sh)"
done
for d in /usr/lib/grub/i386-pc /usr/lib/grub/x86_64-efi; do
    [ -d "$d" ] || die "$d is missing (grub-pc-bin and grub-efi-amd64-bin; run scripts/setup.sh)"
done

# Timestamps: the commit's time in a git checkout, else a fixed one.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 1767225600)
fi
export SOURCE_DATE_EPOCH

mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/build-iso.log
: >"$log"
# run CMD...: the command's output to the log; on failure its tail on
# stderr and a one-line error.
run() {
    if ! "$@" >>"$log" 2>&1; then
        tail -n 25 "$log" >&2
        die "'$1' failed (full log: $log)"
    fi
}
# rm_tree DIR: remove a build tree, never through a mount point (a build
# killed inside mmdebstrap may leave /proc, /sys or /dev mounted in it).
rm_tree() {
    [ -e "$1" ] || return 0
    if awk -v d="$1/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
        die "$1 has file systems mounted in it (a killed build?): unmount them (umount -R) and run again"
    fi
    rm -rf --one-file-system "$1"
}
t_start=$(date +%s)
stage_t=$t_start
stage_done() {
    local now; now=$(date +%s)
    say "$1 done in $((now - stage_t)) s"
    stage_t=$now
}

# --- 1. the rootfs layer (cached) --------------------------------------
packages=$(sed -e 's/#.*//' "$here/packages.list" | tr -s ' \t\n' '\n' | grep -v '^$')
components=main
if [ "$nonfree" = 1 ]; then
    components="main non-free-firmware"
    packages+=$'\n'$(printf '%s\n' firmware-linux-free firmware-misc-nonfree \
        firmware-bnx2 firmware-bnx2x firmware-qlogic firmware-realtek firmware-netxen)
fi
# The key: this stage's own lines (from its heading to the next one), the
# files it reads, and the choices that change its output.
key=$({ printf 'suite=%s nonfree=%s comp=%s\n' "$suite" "$nonfree" "$comp"
        sed -n '/^# --- 1\. /,/^# --- 2\. /p' "$0"
        cat "$here/packages.list" "$here/rootfs-hook.sh" \
            "$here/v2kvm-client.initramfs"; } | sha256sum | cut -c1-16)
cache_base=$cache_root/p2v-iso
cache=$cache_base/$key
mkdir -p "$cache_base"
exec 9>"$cache_base/.lock.$key"
if ! flock -n 9; then
    say "another build of rootfs $key is running: waiting for it"
    flock 9
fi
if [ "$rebuild" = 1 ] && [ -d "$cache" ]; then
    say "--rebuild: dropping the cached rootfs $key"
    rm -rf "$cache"
fi
# Under the lock, any temporary directory of this key is a killed build's.
for d in "$cache_base/.tmp.$key".*; do rm_tree "$d"; done

if [ -f "$cache/filesystem.squashfs" ]; then
    say "rootfs $key: cached ($cache)"
else
    work=$cache_base/.tmp.$key.$$
    trap 'rm_tree "$work"' EXIT
    mkdir -p "$work"
    say "rootfs $key: mmdebstrap $suite minbase from $mirror ($(echo "$packages" | wc -l) packages)"
    # shellcheck disable=SC2046
    run mmdebstrap --mode=root --variant=minbase --format=directory \
        --components="$components" \
        --aptopt='APT::Install-Recommends "false"' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --include="$(echo "$packages" | paste -sd, -)" \
        --essential-hook="\"$here/rootfs-hook.sh\" essential \"\$1\"" \
        --customize-hook="\"$here/rootfs-hook.sh\" customize \"\$1\"" \
        "$suite" "$work/rootfs" \
        "deb $mirror $suite ${components}" \
        "deb $mirror $suite-updates ${components}" \
        "deb $security_mirror $suite-security ${components}"
    stage_done "rootfs (mmdebstrap, configure, trim, initramfs)"

    kver=$(ls "$work/rootfs/lib/modules" | sort -V | tail -n 1)
    [ -f "$work/rootfs/boot/vmlinuz-$kver" ] && [ -f "$work/rootfs/boot/initrd.img-$kver" ] ||
        die "no kernel or initramfs for $kver in the rootfs (see $log)"
    mv "$work/rootfs/boot/vmlinuz-$kver" "$work/vmlinuz"
    mv "$work/rootfs/boot/initrd.img-$kver" "$work/initrd.img"
    chroot "$work/rootfs" dpkg-query -W -f='${Package} ${Version}\n' \
        >"$work/packages.txt"
    # /boot is empty in the squashfs: live-boot boots the medium's copies
    rm -rf "$work/rootfs/boot/"*
    # (mksquashfs takes every mtime and its own from SOURCE_DATE_EPOCH)
    say "rootfs: $(du -sm "$work/rootfs" | cut -f1) MiB, kernel $kver; mksquashfs -comp $comp"
    run mksquashfs "$work/rootfs" "$work/filesystem.squashfs" -noappend \
        -comp "$comp" -Xcompression-level 19 -b 1M -processors "$(nproc)" \
        -wildcards -e 'proc/*' 'sys/*' 'dev/*' 'run/*' 'tmp/*'
    rm -rf "$work/rootfs"
    printf 'key=%s\nsuite=%s\nkernel=%s\nnonfree_firmware=%s\ncompressor=%s\nbuilt=%s\n' \
        "$key" "$suite" "$kver" "$nonfree" "$comp" "$(date -u +%FT%TZ)" \
        >"$work/build-info"
    sync -f "$work/filesystem.squashfs" 2>/dev/null || true
    mv -T "$work" "$cache"
    trap - EXIT
    stage_done "squashfs ($(du -m "$cache/filesystem.squashfs" | cut -f1) MiB)"
fi
exec 9>&-

# --- 2. the client layer (seconds) --------------------------------------
tmp=$(mktemp -d "$out/.build-iso.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
layer=$tmp/layer/v2kvm-client
install -D -m 0755 "$client" "$layer/usr/bin/v2kvm-p2v"
install -D -m 0644 "$here/v2kvm-p2v.service" \
    "$layer/etc/systemd/system/v2kvm-p2v.service"
mkdir -p "$layer/etc/systemd/system/multi-user.target.wants"
ln -s /etc/systemd/system/v2kvm-p2v.service \
    "$layer/etc/systemd/system/multi-user.target.wants/v2kvm-p2v.service"
ln -s /dev/null "$layer/etc/systemd/system/getty@tty1.service"
# No login prompt on the serial console either: the getty systemd starts
# on the kernel's console hangs the port up and flushes it as it starts,
# which discards whatever the client (or journald for it) wrote there
# and has not yet gone out (seen under load: the client's first line cut
# after one character).  The template is masked, so every instance is:
# ttyS0 of the image's menu entries, or the ttyS1 a PXE command line may
# name for a server's IPMI serial-over-LAN.
ln -s /dev/null "$layer/etc/systemd/system/serial-getty@.service"
if [ -n "$identity" ]; then
    install -D -m 0600 "$identity" "$layer/etc/v2kvm-p2v/identity"
    chmod 0700 "$layer/etc/v2kvm-p2v"
fi
find "$tmp/layer" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$tmp/layer" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible) >"$tmp/client.cpio" ||
    die "cpio of the client layer failed"
# Uncompressed archive first, the compressed initramfs after it: the
# kernel unpacks both, as it does with early microcode.
cat "$tmp/client.cpio" "$cache/initrd.img" >"$tmp/initrd.img"
stage_done "client layer ($(du -k "$tmp/client.cpio" | cut -f1) KiB)"

# --- 3. the ISO (grub-mkrescue: BIOS + UEFI, hybrid) and PXE ------------
iso=$tmp/iso
mkdir -p "$iso/live" "$iso/boot/grub" "$iso/.disk"
ln "$cache/filesystem.squashfs" "$iso/live/filesystem.squashfs" 2>/dev/null ||
    cp "$cache/filesystem.squashfs" "$iso/live/filesystem.squashfs"
cp "$cache/vmlinuz" "$iso/live/vmlinuz"
cp "$tmp/initrd.img" "$iso/live/initrd.img"
sed -e "s|@APPEND@|${append}|g" -e "s|@TIMEOUT@|${timeout}|g" \
    "$here/grub.cfg.in" >"$iso/boot/grub/grub.cfg"
printf 'v2kvm P2V (Debian %s, rootfs %s)\n' "$suite" "$key" >"$iso/.disk/info"
find "$iso" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
run grub-mkrescue -o "$tmp/v2kvm-p2v.iso" "$iso" -- -volid V2KVM_P2V
size=$(stat -c %s "$tmp/v2kvm-p2v.iso")
mv -f "$tmp/v2kvm-p2v.iso" "$out/v2kvm-p2v.iso"

mkdir -p "$out/pxe"
cp "$cache/vmlinuz" "$out/pxe/vmlinuz.tmp" && mv -f "$out/pxe/vmlinuz.tmp" "$out/pxe/vmlinuz"
mv -f "$tmp/initrd.img" "$out/pxe/initrd.img"
# a copy, not a hard link: whatever is done to DIR leaves the cache alone
cp --reflink=auto "$cache/filesystem.squashfs" "$out/pxe/filesystem.squashfs.tmp"
mv -f "$out/pxe/filesystem.squashfs.tmp" "$out/pxe/filesystem.squashfs"
stage_done "ISO and PXE files"
say "$out/v2kvm-p2v.iso: $((size / 1048576)) MiB; PXE files in $out/pxe; total $(( $(date +%s) - t_start )) s"
echo "$out/v2kvm-p2v.iso"
