#!/bin/bash
# test-linux-boot-steps.sh - the kernel, initramfs, devices and bootloader
# steps on phony guests (tests/lib/mkphony.sh: real filesystems, busybox,
# stub tools that log their arguments to /var/log/phony-calls), checked
# against golden files in tests/data/phony/<kind>/:
#   debian12    fstab/grub.cfg sda -> vda, the virtio modules appended to
#               /etc/initramfs-tools/modules, update-initramfs -u -k VER
#               (forced by --rebuild-initramfs); without it an image that
#               has virtio_blk + virtio_pci is kept, the config still
#               edited, unless the devices step renamed a crypttab entry
#               (rebuilt; every entry gets the "initramfs" option)
#   ubuntu2204  --block-driver virtio-scsi: sdX names stay, only the
#               drivers that are not built in are added
#   rhel9       BLS: grubenv saved_entry moves from the debug kernel (no
#               virtio) to the newest one; LVM/UUID names untouched; dracut
#   rhel5xen    Xen PV (xvda): the non-Xen kernel becomes default=1 in
#               grub.conf, DEFAULTKERNEL loses -xen, root=/dev/vda1,
#               console=xvc0 -> ttyS0 (grub.conf and inittab), device.map;
#               mkinitrd --with=...; machine pc, no virtio 1.0
#   sles15      fstab/grub.cfg, dracut
# and refusals: a Debian guest whose kernels have no virtio fails the
# kernel step with a message naming them; an image without virtio_blk.
# The initramfs each guest "rebuilds" is a real cpio made here (zstd with
# an early microcode archive in front, xz, gzip), uploaded before the
# steps (the stub tool copies it over the old image), so the
# verification reads real archives; one without virtio_blk must be
# refused.  Guest tools cannot run on phony guests: that the real
# update-initramfs/dracut produce a bootable image is the boot tests' job.
#
# Each guest is one appliance launch (prepared and read back in the same
# run, see tests/lib/tool-steps.c); they all run at once.
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish cpio zstd xz gzip cmp diff

STEPS=$V2K_BINARY_DIR/tests/v2kvm-steps
GOLD=$V2K_SOURCE_DIR/tests/data/phony
[ -x "$STEPS" ] || fail "$STEPS not built"

bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" \
    debian12 "$T/deb.img" + ubuntu2204 "$T/ubu.img" + rhel9 "$T/rhel9.img" \
    + rhel5xen "$T/rhel5.img" + sles15 "$T/sles.img" ||
    fail "mkphony.sh failed"
cp --sparse=always "$T/deb.img" "$T/debneg.img"
cp --sparse=always "$T/deb.img" "$T/debkeep.img"
cp --sparse=always "$T/deb.img" "$T/debcrypt.img"
printf '%s\n' '# <target name>	<source device>	<key file>	<options>' \
    'sda2_crypt /dev/sda2 none luks,discard' \
    'data_crypt UUID=0f7c1e52-2d4b-4c1a-9a57-3b2f0c6d8e91 /etc/keys/data.key luks' \
    'swap_crypt /dev/sda3 /dev/urandom' >"$T/crypttab"

# mkir OUT COMPRESSOR MODULE... : a cpio initramfs holding the modules
# (as .ko files under usr/lib/modules) and an init.
mkir() {
    local out=$1 comp=$2 d=$T/ir.$$.$RANDOM m
    shift 2
    mkdir -p "$d/usr/lib/modules/x/kernel"
    echo '#!/bin/sh' >"$d/init"
    for m in "$@"; do : >"$d/usr/lib/modules/x/kernel/$m"; done
    (cd "$d" && find . | cpio -o -H newc --quiet) | $comp >"$out.body"
    if [ "$comp" = zstd ]; then
        # an uncompressed early-microcode archive first, as Debian's
        mkdir -p "$d.early/kernel/x86/microcode"
        echo ucode >"$d.early/kernel/x86/microcode/GenuineIntel.bin"
        (cd "$d.early" && find . | cpio -o -H newc --quiet) >"$out"
        cat "$out.body" >>"$out"
    else
        mv "$out.body" "$out"
    fi
    rm -rf "$d" "$d.early" "$out.body"
}
mkir "$T/ir-deb" zstd virtio_pci.ko virtio_blk.ko.xz ata_piix.ko
mkir "$T/ir-bad" zstd ata_piix.ko vmw_pvscsi.ko
mkir "$T/ir-ubu" zstd virtio_scsi.ko
mkir "$T/ir-rhel9" xz virtio_pci.ko.xz virtio_blk.ko.xz
mkir "$T/ir-rhel5" gzip virtio_pci.ko virtio_blk.ko
mkir "$T/ir-sles" zstd virtio_pci.ko.zst virtio_blk.ko.zst
mkir "$T/ir-old" gzip ata_piix.ko mptspi.ko vmw_pvscsi.ko
# Each guest's image before the steps has no virtio (ir-old), so the
# initramfs step runs the tool; the stub tool writes the image uploaded
# as /var/tmp/phony-rebuilt-initrd.  deb forces the rebuild of an image
# that already has virtio; debkeep must keep such an image.
R=/var/tmp/phony-rebuilt-initrd

# run NAME ARGS...: v2kvm-steps, output in $T/NAME.{out,err,rc}; the
# files to compare come back in $T/NAME/.
run() {
    local name=$1
    shift
    mkdir -p "$T/$name"
    set +e
    "$STEPS" "$@" >"$T/$name.out" 2>"$T/$name.err"
    echo $? >"$T/$name.rc"
    set -e
}
dl() {                          # dl NAME GUEST-PATH...
    local n=$1 p
    shift
    for p in "$@"; do
        echo "--download" "$p:$T/$n/$(echo "${p#/}" | tr / _)"
    done
}

K=kernel,initramfs,devices,bootloader
M=/lib/modules/6.1.0-28-amd64/kernel/drivers
# All at once: under TCG each run is mostly CPU, and on a loaded machine
# six processes get a larger share than one.
# shellcheck disable=SC2046
{
    run deb --rebuild-initramfs \
        --upload "$T/ir-deb:/boot/initrd.img-6.1.0-28-amd64" \
        $(dl deb /etc/fstab /boot/grub/grub.cfg /etc/default/grub \
              /etc/initramfs-tools/modules /var/log/phony-calls) \
        $K "$T/deb.img" &
    run ubu --block-driver virtio-scsi \
        --upload "$T/ir-old:/boot/initrd.img-5.15.0-91-generic" --upload "$T/ir-ubu:$R" \
        $(dl ubu /etc/fstab /etc/initramfs-tools/modules \
              /var/log/phony-calls) \
        $K "$T/ubu.img" &
    run rhel9 \
        --upload "$T/ir-old:/boot/initramfs-5.14.0-427.13.1.el9_4.x86_64.img" --upload "$T/ir-rhel9:$R" \
        $(dl rhel9 /etc/fstab /boot/grub2/grubenv /var/log/phony-calls) \
        $K "$T/rhel9.img" &
    run rhel5 --names xvda --bus xen --xen-pv \
        --upload "$T/ir-old:/boot/initrd-2.6.18-398.el5.img" --upload "$T/ir-rhel5:$R" \
        $(dl rhel5 /etc/fstab /boot/grub/grub.conf /boot/grub/device.map \
              /etc/inittab /etc/sysconfig/kernel /var/log/phony-calls) \
        $K "$T/rhel5.img" &
    run sles --upload "$T/ir-old:/boot/initrd-5.14.21-150500.55.39-default" --upload "$T/ir-sles:$R" \
        $(dl sles /etc/fstab /boot/grub2/grub.cfg /var/log/phony-calls) \
        $K "$T/sles.img" &
    run debkeep --upload "$T/ir-deb:/boot/initrd.img-6.1.0-28-amd64" \
        $(dl debkeep /etc/initramfs-tools/modules /var/log/phony-calls) \
        kernel,initramfs "$T/debkeep.img" &
    # The same image, but the devices step renames a crypttab entry,
    # which the initramfs carries: it is rebuilt, every entry with the
    # "initramfs" option.
    run debcrypt --upload "$T/ir-deb:/boot/initrd.img-6.1.0-28-amd64" \
        --upload "$T/crypttab:/etc/crypttab" --upload "$T/ir-deb:$R" \
        $(dl debcrypt /etc/crypttab /var/log/phony-calls) \
        kernel,devices,initramfs "$T/debcrypt.img" &
    # Refusals, in one run: the newest kernel loses its virtio modules, so
    # no kernel has virtio (the kernel step, then devices, must not run);
    # then the initramfs step on an image without virtio_blk.
    run debneg --rm $M/block/virtio_blk.ko --rm $M/virtio \
        --rm $M/net/virtio_net.ko \
        --upload "$T/ir-bad:/boot/initrd.img-6.1.0-28-amd64" \
        $(dl debneg /etc/fstab) "kernel,devices;initramfs" "$T/debneg.img" &
    wait
}

# golden KIND NAME GUEST-PATH: the file the steps left equals the golden.
golden() {
    local kind=$1 n=$2 f=$T/$2/$(echo "${3#/}" | tr / _) g=$GOLD/$1/$4
    [ -f "$f" ] || fail "$n: $3 was not copied out"
    if [ -n "${V2K_TEST_REGENERATE:-}" ]; then
        cp "$f" "$g"
        return
    fi
    diff -u "$g" "$f" || fail "$n: $3 differs from tests/data/phony/$kind/$4"
}
ok() {                          # ok NAME KIND: exit 0 and the guestcaps
    local rc
    rc=$(cat "$T/$1.rc")
    [ "$rc" = 0 ] || { cat "$T/$1.err" >&2; fail "$1: v2kvm-steps exit $rc"; }
    grep '^kernel=' "$T/$1.out" >"$T/$1.caps" || true
    diff -u "$GOLD/$2/caps" "$T/$1.caps" || fail "$1: guestcaps differ"
}

ok deb debian12
golden debian12 deb /etc/fstab fstab
golden debian12 deb /boot/grub/grub.cfg grub.cfg
golden debian12 deb /etc/default/grub default-grub
golden debian12 deb /etc/initramfs-tools/modules initramfs-modules
golden debian12 deb /var/log/phony-calls phony-calls
assert_grep '/boot/initrd.img-6.1.0-28-amd64 contains virtio_blk' "$T/deb.out"

# An image that already has virtio_blk and virtio_pci is kept (no
# update-initramfs call), and the modules still go into the config.
[ "$(cat "$T/debkeep.rc")" = 0 ] || { cat "$T/debkeep.err" >&2; fail "debkeep: exit $(cat "$T/debkeep.rc")"; }
assert_grep '/boot/initrd.img-6.1.0-28-amd64 already contains virtio_blk and virtio_pci: kept' \
    "$T/debkeep.out"
if grep -s update-initramfs "$T/debkeep/var_log_phony-calls"; then
    fail "debkeep: update-initramfs was run on an image that has virtio"
fi
golden debian12 debkeep /etc/initramfs-tools/modules initramfs-modules
ok debcrypt debian12
golden debian12 debcrypt /etc/crypttab crypttab
golden debian12 debcrypt /var/log/phony-calls phony-calls
assert_grep 'contains virtio_blk' "$T/debcrypt.out"

ok ubu ubuntu2204
# The image (ir-old) keeps no module index: no drivers added to it as it
# is; the guest's own tool regenerates it, and the log says why.
assert_grep 'initrd.img-5.15.0-91-generic: not appended to (.*): regenerated by the guest.s own tool' "$T/ubu.out"
golden ubuntu2204 ubu /etc/fstab fstab
golden ubuntu2204 ubu /etc/initramfs-tools/modules initramfs-modules
golden ubuntu2204 ubu /var/log/phony-calls phony-calls

ok rhel9 rhel9
golden rhel9 rhel9 /etc/fstab fstab
grep -v '^#' "$T/rhel9/boot_grub2_grubenv" >"$T/rhel9/grubenv-keys" || true
[ "$(stat -c %s "$T/rhel9/boot_grub2_grubenv")" = 1024 ] ||
    fail "rhel9: grubenv is no longer 1024 bytes"
diff -u "$GOLD/rhel9/grubenv" "$T/rhel9/grubenv-keys" ||
    fail "rhel9: grubenv differs from tests/data/phony/rhel9/grubenv"
golden rhel9 rhel9 /var/log/phony-calls phony-calls

ok rhel5 rhel5xen
golden rhel5xen rhel5 /etc/fstab fstab
golden rhel5xen rhel5 /boot/grub/grub.conf grub.conf
golden rhel5xen rhel5 /boot/grub/device.map device.map
golden rhel5xen rhel5 /etc/inittab inittab
golden rhel5xen rhel5 /etc/sysconfig/kernel sysconfig-kernel
golden rhel5xen rhel5 /var/log/phony-calls phony-calls

ok sles sles15
golden sles15 sles /etc/fstab fstab
golden sles15 sles /boot/grub2/grub.cfg grub.cfg
golden sles15 sles /var/log/phony-calls phony-calls

# The kernel step refuses, naming the kernels it found and what they
# lack, and the devices step after it did not run (fstab untouched).
[ "$(cat "$T/debneg.rc")" = 1 ] || fail "debneg: the steps did not fail"
assert_grep 'error: kernel: no installed kernel has the virtio drivers' \
    "$T/debneg.err"
assert_grep 'found 6.1.0-28-amd64 (no virtio_pci, virtio_blk, virtio_net), 6.1.0-18-amd64 (no virtio_pci, virtio_blk, virtio_net)' \
    "$T/debneg.err"
grep -q '^/dev/sda1 ' "$T/debneg/etc_fstab" || fail "debneg: fstab was changed"
# An initramfs rebuilt without virtio_blk is refused.
assert_grep 'error: initramfs: /boot/initrd.img-6.1.0-28-amd64 was rebuilt but does not contain virtio_blk' \
    "$T/debneg.err"
echo "PASS"
