/* linux.c - the Linux step table, in the order linux.h explains. */
#include "linux.h"
#include "linux-internal.h"
#include "guest.h"

#include <stddef.h>

const struct v2k_step v2k_linux_steps[] = {
    { "space", "Checking free space in the guest",
      v2k_linux_space_applies, v2k_linux_space_run },
    { "kernel", "Choosing a kernel with virtio drivers",
      v2k_linux_kernel_applies, v2k_linux_kernel_run },
    { "tools", "Removing the old hypervisor's guest tools",
      v2k_linux_tools_applies, v2k_linux_tools_run },
    { "devices", "Renaming block devices for the new disk bus",
      v2k_linux_devices_applies, v2k_linux_devices_run },
    { "bootloader", "Updating the bootloader and kernel command line",
      v2k_linux_bootloader_applies, v2k_linux_bootloader_run },
    { "efiboot", "Making the UEFI fallback loader start the guest's loader",
      v2k_linux_efiboot_applies, v2k_linux_efiboot_run },
    { "xorg", "Switching X.org to the modesetting driver",
      v2k_linux_xorg_applies, v2k_linux_xorg_run },
    { "network", "Keeping the guest's network interface names",
      v2k_linux_network_applies, v2k_linux_network_run },
    { "initramfs", "Giving the initramfs the virtio drivers",
      v2k_linux_initramfs_applies, v2k_linux_initramfs_run },
    { "selinux", "Scheduling an SELinux relabel",
      v2k_linux_selinux_applies, v2k_linux_selinux_run },
    { NULL, NULL, NULL, NULL },
};

const struct v2k_kernel *
v2k_linux_chosen_kernel(const struct v2k_convert_ctx *ctx)
{
    const struct v2k_guest *g = ctx->guest;

    if (g->default_kernel >= 0 && (size_t)g->default_kernel < g->nkernels)
        return &g->kernels[g->default_kernel];
    return NULL;
}
