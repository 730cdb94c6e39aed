/* firstboot-scripts.h - the scripts a converted Windows guest runs at
 * its first boots, queued for v2kvm-firstboot.exe (firstboot/
 * firstboot.h: run in name order, exit 0/250 done, 3010 done + reboot,
 * 249 retry at the next boot, anything else a failure retried at most
 * max_attempts times).
 *
 * Pure text generation (no libguestfs), so the tests compare the
 * scripts with golden files.  Every script is CRLF, starts with a
 * comment saying what it is for, and logs what it does on stdout (the
 * runner copies it to log.txt and COM1).
 *
 *   2000-pnputil-drivers.bat   NT 6+, drivers staged: a pending reboot
 *                              (Windows Update, CBS,
 *                              PendingFileRenameOperations) exits 249;
 *                              then pnputil -i -a each .inf of
 *                              %SystemRoot%\Drivers\VirtIO (0 and 259
 *                              "no device for it" are fine, 3010 asks
 *                              for a reboot)
 *   2500-network.ps1           NT 6+, static IPv4 settings or manual
 *                              IPv6 addresses found in the registry:
 *                              re-applied (IPv4 through WMI, IPv6 and
 *                              its DNS servers with netsh; PowerShell
 *                              2.0 and later) to the adapter with the
 *                              source NIC's MAC (waits up to 5 minutes
 *                              for it, else 249)
 *   3000-install-qemu-ga.bat   the guest agent MSI, silently
 *   3100-install-blnsvr.bat    the balloon service
 *   4000-uninstall-NAME.bat    each hypervisor tool's uninstaller,
 *                              silently: VMware Tools (its MSI /x),
 *                              VirtualBox Guest Additions (uninst.exe
 *                              /S), Xen PV drivers, Parallels Tools
 *   5000-online-disks.ps1      NT 6+ with several virtio disks: disks
 *                              Windows took offline when their bus
 *                              changed are brought online
 */
#ifndef V2K_FIRSTBOOT_SCRIPTS_H
#define V2K_FIRSTBOOT_SCRIPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "guest.h"

/* Where the converter installs the service and its scripts (guest
 * path, and as Windows spells it). */
#define V2K_FB_DIR "/Program Files/v2kvm/Firstboot"
#define V2K_FB_WINDIR "C:\\Program Files\\v2kvm\\Firstboot"

struct v2k_fb_inputs {
    unsigned major;             /* NT major version */
    bool drivers;               /* drivers staged in Drivers\VirtIO */
    const char *qga_msi;        /* file name in Temp\, or NULL */
    bool blnsvr;                /* blnsvr.exe staged */
    bool online_disks;          /* several disks on a virtio bus */
    const struct v2k_win_app *apps;     /* the guest's programs */
    size_t napps;
    const struct v2k_win_ipcfg *ipcfgs; /* the registry's IP settings */
    size_t nipcfgs;
    /* The source's NIC MACs ("00:50:56:..."), in order; the k-th static
     * setting goes to the k-th MAC (NULL or fewer: the only adapter). */
    const char *const *macs;
    size_t nmacs;
};

struct v2k_fb_script {
    char *name;                 /* "2000-pnputil-drivers.bat" */
    char *content;              /* CRLF text */
};

/* The scripts for in, in run order: *out (owned, free with
 * v2k_fb_scripts_free) and *n.  0, or -1 on out-of-memory. */
int v2k_fb_scripts(const struct v2k_fb_inputs *in,
                   struct v2k_fb_script **out, size_t *n);
void v2k_fb_scripts_free(struct v2k_fb_script *s, size_t n);

/* The uninstall command line for a hypervisor tool's program, or NULL
 * when it is not one (or has no usable UninstallString); owned.
 * Exposed for the tests. */
char *v2k_fb_uninstall_command(const struct v2k_win_app *a,
                               const char **tool);

#endif
