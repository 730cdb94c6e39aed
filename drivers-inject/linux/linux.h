/* linux.h - the Linux rewrite: its step table and the steps.
 *
 * v2k_linux_steps (linux.c) is the ordered table v2k_convert_guest runs
 * for Linux guests (convert.h):
 *   space       refuse a guest too full to convert, before any
 *               write                                             space.c
 *   kernel      choose a kernel with virtio, make it the default  kernel.c
 *   tools       remove VMware Tools, Xen guest tools, VirtualBox
 *               Guest Additions, Hyper-V daemons; their modules   tools.c
 *   devices     hdX/sdX/xvdX -> vdX (or sdX) in fstab, crypttab,
 *               device.map, resume=                                devices.c
 *   bootloader  root=/resume=/console=/clock options, GRUB defaults,
 *               regenerate or edit grub.cfg/menu.lst/extlinux.conf bootloader.c
 *   efiboot     UEFI guests: the fallback loader \EFI\BOOT\BOOTX64.EFI
 *               starts the guest's shim/GRUB (empty NVRAM on KVM) efiboot.c
 *   xorg        vmware/vboxvideo/vmmouse drivers -> modesetting    xorg.c
 *   network     the old NIC names kept (.link / udev pins), or
 *               configs renamed; MAC-bound rules when MACs change network.c
 *   initramfs   rebuild the chosen kernel's initramfs with virtio
 *               drivers (unless it has them and no file it carries
 *               was edited), verify it holds virtio_blk           initramfs.c
 *   selinux     /.autorelabel when SELinux is on                   selinux.c
 * (tools runs before initramfs so that the rebuilt image no longer pulls
 * in the removed modules; devices and network before it, as virt-v2v
 * orders them, so that the crypttab, resume device and udev rules an
 * initramfs carries are the renamed ones.)
 */
#ifndef V2K_LINUX_H
#define V2K_LINUX_H

#include "convert.h"

extern const struct v2k_step v2k_linux_steps[];

/* Each step: applies + run, as struct v2k_step wants. */
bool v2k_linux_space_applies(const struct v2k_convert_ctx *ctx);
int v2k_linux_space_run(struct v2k_convert_ctx *ctx);
bool v2k_linux_kernel_applies(const struct v2k_convert_ctx *ctx);
int v2k_linux_kernel_run(struct v2k_convert_ctx *ctx);
bool v2k_linux_tools_applies(const struct v2k_convert_ctx *ctx);
int v2k_linux_tools_run(struct v2k_convert_ctx *ctx);
bool v2k_linux_initramfs_applies(const struct v2k_convert_ctx *ctx);
int v2k_linux_initramfs_run(struct v2k_convert_ctx *ctx);
bool v2k_linux_devices_applies(const struct v2k_convert_ctx *ctx);
int v2k_linux_devices_run(struct v2k_convert_ctx *ctx);
bool v2k_linux_bootloader_applies(const struct v2k_convert_ctx *ctx);
int v2k_linux_bootloader_run(struct v2k_convert_ctx *ctx);
bool v2k_linux_xorg_applies(const struct v2k_convert_ctx *ctx);
int v2k_linux_xorg_run(struct v2k_convert_ctx *ctx);
bool v2k_linux_efiboot_applies(const struct v2k_convert_ctx *ctx);
int v2k_linux_efiboot_run(struct v2k_convert_ctx *ctx);
bool v2k_linux_network_applies(const struct v2k_convert_ctx *ctx);
int v2k_linux_network_run(struct v2k_convert_ctx *ctx);
bool v2k_linux_selinux_applies(const struct v2k_convert_ctx *ctx);
int v2k_linux_selinux_run(struct v2k_convert_ctx *ctx);

#endif
