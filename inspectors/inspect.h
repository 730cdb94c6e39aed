/* inspect.h - what is inside the guest: struct v2k_guest.
 *
 * v2k_inspect() runs on a launched libguestfs handle whose drives are the
 * writable overlays of the source disks (converters/conversion.c); it
 * picks the root (--root), mounts every filesystem of that root's fstab
 * under / (the mounts stay in place for the rewrite steps, read-write),
 * and fills a struct v2k_guest.  It never writes to the guest.
 *
 * Ownership: the struct owns every string and array in it; free with
 * v2k_guest_free (NULL-safe).  Unknown values are NULL strings, 0
 * numbers and the *_UNKNOWN enums, never guesses.
 *
 * Errors: -1/NULL with one message (error.h): "no operating system was
 * found on the source disks" (followed by "; /dev/sda2 is encrypted
 * (LUKS) and no key was given (--key DEVICE:KEY)" when a LUKS device was
 * left locked), "cannot unlock the encrypted (LUKS) filesystem /dev/sda2
 * with the key given for it: ...", "2 operating systems found
 * (/dev/sda1: debian 12.8, /dev/sdb1: rhel 7.9); choose one with --root
 * first|ask|/dev/...", "the filesystem /dev/sdb1 (/usr) is read-only:
 * ...", "cannot mount the root filesystem ...".
 *
 * Windows refusals (REFERENCE-virt-v2v.md §2.5), each one line:
 *  - "the Windows filesystem /dev/sda1 (C:) is hibernated or was shut
 *    down with Fast Startup: ntfs-3g will not write to it; boot the
 *    source, turn off hibernation and Fast Startup (powercfg /h off),
 *    shut it down fully, and convert again": an NTFS filesystem that
 *    mounts only read-only (or not at all) whose \hiberfil.sys starts
 *    with HIBR/hibr/WAKE/wake/RSTR/rstr, or whose ntfs-3g error says
 *    hibernated / unsafe state / fast restarting;
 *  - "the Windows filesystem /dev/sda1 (C:) is unclean (Windows did not
 *    shut down cleanly, or found errors): ntfs-3g will not write to it;
 *    boot the source, run chkdsk /f C:, shut it down fully, and convert
 *    again": the same without a hibernation file, or ntfs-3g saying
 *    "unclean file system" / "Metadata kept in Windows cache";
 *  - "the Windows guest on /dev/sda1: /dev/sda2 is encrypted with
 *    BitLocker and no key was given (--key /dev/sda2:RECOVERY-PASSWORD);
 *    v2kvm cannot convert a Windows guest whose volumes it cannot read"
 *    (vfs type "BitLocker"; whatever volume it is: see v2k_inspect), or
 *    after "no operating system was found on the source disks; " when
 *    no OS is found; a Linux guest only gets a warning;
 *  - "cannot unlock the BitLocker volume /dev/sda2 with the key given
 *    for it (...): <cryptsetup's reason>" (opened with crypttype bitlk);
 *  - "the Windows guest on /dev/sda1 uses Windows dynamic disks (LDM:
 *    /dev/sdb1), which v2kvm cannot convert; convert them to basic disks
 *    in Windows first" (MBR type 0x42, GPT LDM metadata 5808C8AA-... or
 *    data AF9B60A0-...), or "no operating system was found on the
 *    source disks; /dev/sdb1 is on Windows dynamic disks (LDM), ...";
 *  - "cannot inspect the source disks: /dev/sda1 holds a Windows
 *    directory (/Windows), but \Windows\System32\config\SYSTEM could
 *    not be read (damaged registry hive?): <hivex's reason>" when
 *    libguestfs's inspect_os fails (1.48 throws on a hive hivex cannot
 *    open) or finds nothing, and a hive of a Windows directory does not
 *    open; "HIVE: cannot open it as a registry hive: ..." (winreg.h)
 *    when libguestfs read it but v2kvm cannot.
 *
 * Subtleties (inspect.c, inspect-linux.c):
 *  - LUKS: every crypto_LUKS filesystem with a key is opened as
 *    /dev/mapper/luks-<basename> (luks-sda2) before inspection, then LVM
 *    is rescanned; a device without a key stays locked (a warning when
 *    an OS is found anyway).
 *  - Mounts: libguestfs's fstab mapping, sorted by mountpoint length; "/"
 *    is always the chosen root (a "/dev/sda1" in the fstab of the second
 *    disk's OS would name the wrong appliance disk).  An fstab mount
 *    point missing in the guest is skipped with a warning (no mkdir); a
 *    non-root filesystem that fails to mount is skipped with a warning;
 *    one that mounts only read-only (also checked with statvfs after the
 *    mount, as mount(8) silently falls back to ro) is an error.
 *  - BitLocker: like LUKS, every "BitLocker" volume with a key is
 *    opened (as /dev/mapper/bitlk-<basename>) before inspection.
 *  - Windows 11 is told from Windows 10 by the build (>= 22000), which
 *    libguestfs 1.48 does not do (inspect-windows.c).
 *  - firmware: UEFI when a partition has the ESP type (GPT C12A7328-...,
 *    MBR 0xef) and, for Linux, it is mounted or /boot/efi/EFI exists.
 *  - bootloader_config: grub2 is the first of /boot/grub2/grub.cfg,
 *    /boot/grub/grub.cfg, /boot/efi/EFI/<any>/grub.cfg; GRUB legacy
 *    /boot/grub/grub.conf before menu.lst (RHEL's menu.lst is a symlink
 *    to it); extlinux and syslinux configs; systemd-boot loader.conf.
 *  - kernels: each /lib/modules/VER (or /usr/lib/modules) with a kernel
 *    image (/boot/vmlinuz-VER, vmlinux-, kernel-, Image-, or
 *    /lib/modules/VER/vmlinuz), at most 64.  Sorted newest first by an
 *    rpmvercmp-like comparison; for the same base version the plain
 *    kernel comes before its debug and xen flavours.  virtio bits come
 *    from module files anywhere under the VER directory (.ko, .ko.xz,
 *    .ko.zst, .ko.gz; "virtio-rng" = "virtio_rng") and from
 *    modules.builtin.  initrd is an existing /boot/initramfs-VER.img,
 *    initrd.img-VER, initrd-VER.img, initrd-VER, else the name the
 *    guest's initramfs tool would use (NULL for mkinitcpio/unknown).
 *  - default_kernel: grub2: GRUB_DEFAULT from /etc/default/grub; "saved"
 *    or unset reads saved_entry from grubenv (none: entry 0); the value
 *    may be an index of top-level menuentries (or of BLS entries, newest
 *    first, when grub.cfg has no menuentry), a BLS entry id
 *    (/boot/loader/entries/ID.conf), a title/id ("a>b": the part after
 *    the last '>'), or text containing a kernel version.  GRUB legacy:
 *    "default=N" (the Nth title's kernel).  extlinux: "default LABEL".
 *    -1 when unknown, with systemd-boot, or when the entry names a kernel
 *    that is not in kernels[].
 *  - tools: open-vm-tools (package open-vm-tools*, or /usr/bin/vmtoolsd
 *    without a tarball install), vmware-tools-tarball
 *    (/usr/bin/vmware-uninstall-tools.pl, /etc/vmware-tools/locations or
 *    /etc/init.d/vmware-tools), xe-guest-utilities (packages
 *    xe-guest-utilities*, xenstore-utils; /usr/sbin/xe-daemon,
 *    /etc/init.d/xe-linux-distribution), vbox-additions (packages
 *    virtualbox-guest-*; /opt/VBoxGuestAdditions-*, /etc/init.d/vboxadd,
 *    /usr/sbin/VBoxService), hyperv-daemons (packages hyperv-daemons*,
 *    hypervkvpd, hypervvssd, hyperv-tools; /usr/sbin/hv_kvp_daemon), in
 *    that order.
 *  - packages: libguestfs's application list (dpkg status, rpm database,
 *    pacman); a guest without any database gives an empty list silently.
 *  - Enum strings (JSON and text): firmware bios|uefi|unknown,
 *    bootloader grub2|grub-legacy|extlinux|systemd-boot|unknown,
 *    initramfs_tool dracut|initramfs-tools|mkinitrd|mkinitcpio|unknown.
 *    The JSON keys are listed in inspect-print.c.
 */
#ifndef V2K_INSPECT_H
#define V2K_INSPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <guestfs.h>

#include "guest.h"

/* --root: how to choose among several operating systems. */
enum v2k_root_choice {
    V2K_ROOT_SINGLE,            /* default: exactly one, else an error */
    V2K_ROOT_FIRST,             /* the first root libguestfs reports */
    V2K_ROOT_ASK,               /* ask on the terminal (error when stdin is
                                   not a terminal) */
    V2K_ROOT_DEVICE,            /* the named device */
};

struct v2k_inspect_opts {
    enum v2k_root_choice root_choice;
    const char *root_device;    /* for V2K_ROOT_DEVICE: "/dev/sda2" */
    const char *const *keys;    /* NULL-terminated "DEVICE:KEY" pairs from
                                   --key, or NULL */
};

/* Inspect, choose the root, mount it (read-write) with its fstab's other
 * filesystems.  Returns an owned struct or NULL with one message. */
struct v2k_guest *v2k_inspect(guestfs_h *g,
                              const struct v2k_inspect_opts *opts);

#endif
