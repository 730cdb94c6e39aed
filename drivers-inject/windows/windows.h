/* windows.h - the Windows rewrite: its step table and the steps.
 *
 * Design (REFERENCE-virt-v2v.md §2): offline, only what Windows needs to
 * reach its boot disk on KVM, and everything else queued for the first
 * boot, run by our own bounded service (firstboot/firstboot.h).
 *
 * v2k_windows_steps (windows.c) is the ordered table v2k_convert_guest
 * runs for Windows guests (convert.h):
 *   drivers     find virtio-win (--virtio-win, $VIRTIO_WIN, ...), choose
 *               this version's drivers (virtio-win.h), copy them flat
 *               into %SystemRoot%\Drivers\VirtIO, the block driver's
 *               .sys into System32\drivers and its package into the
 *               driver store; say what the guest can drive (guestcaps),
 *               or fall back to SATA/IDE + e1000/rtl8139 with a warning
 *                                                          windows.c
 *   registry    SYSTEM: the block driver boot-critical (the control
 *               set's CriticalDeviceDatabase before Windows 8, the
 *               DriverDatabase after, under the real INF's name), its
 *               service; Xen PV and Parallels drivers disabled;
 *               AutoReboot off; SOFTWARE: DevicePath gains
 *               %SystemRoot%\Drivers\VirtIO                  registry.c
 *   firstboot   install v2kvm-firstboot.exe as a service and queue the
 *               scripts: pnputil for the staged drivers, the guest
 *               agent, removal of VMware Tools, VirtualBox Guest
 *               Additions, Xen PV drivers and Parallels Tools, the
 *               source's static IP settings, non-boot disks online
 *                                                          firstboot.c
 *   uefi        UEFI guests: the BCD default entry's graphics-mode
 *               element dropped, \EFI\Boot\bootx64.efi = bootmgfw.efi
 *                                                          fixes.c
 *   ntfs-geometry  NT 5.x on a partition: the boot sector's heads
 *               value for the new disk                      fixes.c
 */
#ifndef V2K_WINDOWS_H
#define V2K_WINDOWS_H

#include "convert.h"
#include "virtio-win.h"

extern const struct v2k_step v2k_windows_steps[];

/* What the steps share, in ctx->family (made by the first step that
 * needs it, freed by v2k_windows_state_free). */
struct v2k_win_state {
    struct v2k_vwin *vw;                /* NULL: no virtio-win */
    struct v2k_vwin_selection sel;      /* what drivers chose */
    char *virtio_dir;                   /* "/Windows/Drivers/VirtIO" */
    char *block_label;                  /* driver store package label,
                                           "viostor.inf_amd64_0123..." */
    char *qga_name;                     /* the MSI's name in Temp, or NULL */
};

struct v2k_win_state *v2k_windows_state(struct v2k_convert_ctx *ctx);
void v2k_windows_state_free(struct v2k_convert_ctx *ctx);

/* The guest path of dir below the system root, in the case the guest
 * has ("System32/drivers" -> "/Windows/System32/drivers"), or the path
 * as given when it does not exist yet; owned; NULL on ENOMEM. */
char *v2k_win_path(const struct v2k_convert_ctx *ctx, const char *sub);

/* Mapping of a Windows guest to its NT version. */
unsigned v2k_win_major(const struct v2k_guest *gu);

/* v2kvm-firstboot.exe for the guest's arch is installed (the registry
 * step registers its service only then). */
bool v2k_windows_firstboot_available(const struct v2k_guest *gu);

/* Each step: applies + run, as struct v2k_step wants. */
bool v2k_windows_drivers_applies(const struct v2k_convert_ctx *ctx);
int v2k_windows_drivers_run(struct v2k_convert_ctx *ctx);
bool v2k_windows_registry_applies(const struct v2k_convert_ctx *ctx);
int v2k_windows_registry_run(struct v2k_convert_ctx *ctx);
bool v2k_windows_firstboot_applies(const struct v2k_convert_ctx *ctx);
int v2k_windows_firstboot_run(struct v2k_convert_ctx *ctx);
bool v2k_windows_uefi_applies(const struct v2k_convert_ctx *ctx);
int v2k_windows_uefi_run(struct v2k_convert_ctx *ctx);
bool v2k_windows_ntfs_applies(const struct v2k_convert_ctx *ctx);
int v2k_windows_ntfs_run(struct v2k_convert_ctx *ctx);

#endif
