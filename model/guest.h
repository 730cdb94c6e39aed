/* guest.h - struct v2k_guest: what inspection found inside the guest.
 *
 * Filled by inspectors/ (v2k_inspect), read by the rewrite steps
 * (drivers-inject/), the outputs and --print-guest.  Plain data: this
 * header depends on nothing but the C library and model/guestcaps.h.
 *
 * Ownership: the struct owns every string and array in it; free with
 * v2k_guest_free (NULL-safe).  Unknown values are NULL strings, 0
 * numbers and the *_UNKNOWN enums, never guesses.  The meaning of each
 * field (how inspection finds it) is in inspectors/inspect.h; the JSON
 * keys of --print-guest are listed in guest-print.c.
 */
#ifndef V2K_GUEST_H
#define V2K_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "guestcaps.h"          /* enum v2k_os_family */

enum v2k_guest_firmware { V2K_GFW_UNKNOWN, V2K_GFW_BIOS, V2K_GFW_UEFI };

enum v2k_bootloader {
    V2K_BOOT_UNKNOWN, V2K_BOOT_GRUB2, V2K_BOOT_GRUB_LEGACY,
    V2K_BOOT_EXTLINUX, V2K_BOOT_SYSTEMD_BOOT,
};

enum v2k_initramfs_tool {
    V2K_INITRD_UNKNOWN, V2K_INITRD_DRACUT, V2K_INITRD_INITRAMFS_TOOLS,
    V2K_INITRD_MKINITRD, V2K_INITRD_MKINITCPIO,
};

/* Bit per virtio driver, in v2k_kernel.virtio (module or built in). */
enum v2k_virtio_driver {
    V2K_VIRTIO_BLK = 1 << 0, V2K_VIRTIO_SCSI = 1 << 1,
    V2K_VIRTIO_NET = 1 << 2, V2K_VIRTIO_PCI = 1 << 3,
    V2K_VIRTIO_BALLOON = 1 << 4, V2K_VIRTIO_CONSOLE = 1 << 5,
    V2K_VIRTIO_RNG = 1 << 6,
};
#define V2K_VIRTIO_ALL 0x7f

struct v2k_kernel {
    char *version;              /* "6.1.0-28-amd64" (the /lib/modules dir) */
    char *vmlinuz;              /* "/boot/vmlinuz-6.1.0-28-amd64" */
    char *initrd;               /* "/boot/initrd.img-6.1.0-28-amd64" as it
                                   is or would be named, or NULL */
    uint64_t initrd_bytes;      /* the initrd's size when it exists, else
                                   0 (the space step's need on /boot) */
    unsigned virtio;            /* V2K_VIRTIO_* found for this kernel */
    bool xen_only;              /* a Xen PV-only kernel (kernel-xen...) */
    bool debug;                 /* a debug flavour (-debug, +debug) */
};

/* One mounted filesystem of the root's fstab, in mount order. */
struct v2k_mount {
    char *mountpoint;           /* "/", "/boot", "/usr" */
    char *device;               /* the appliance's name: "/dev/sda1",
                                   "/dev/vg0/root", "btrfsvol:/dev/sda2/@" */
    char *fstype;               /* "ext4", "xfs", "btrfs", "vfat" */
    /* From statvfs once mounted, 0 when unknown: the filesystem's size
     * and its free space as root sees it (the reserved blocks count:
     * the conversion runs as root), in bytes. */
    uint64_t size_bytes;
    uint64_t free_bytes;
};

/* One network interface the guest's configuration brings up. */
struct v2k_guest_netif {
    char *name;                 /* "ens192", "bond0", "ens192.100" */
    char *tool;                 /* "ifupdown", "ifcfg", "NetworkManager",
                                   "systemd-networkd", "netplan" */
    char *config;               /* the file that says so */
    char *method;               /* "dhcp", "static 10.1.0.5/24", "manual",
                                   "unknown" */
    char *start;                /* "at boot", "on hotplug", "not started",
                                   or NULL when the tool does not say */
};

/* An installed Windows program (the registry's Uninstall keys). */
struct v2k_win_app {
    char *key;                  /* the Uninstall subkey's name */
    char *name;                 /* DisplayName */
    char *version;              /* DisplayVersion, or NULL */
    char *publisher;            /* Publisher, or NULL */
    char *uninstall;            /* UninstallString, or NULL */
    bool wow64;                 /* under WOW6432Node (a 32-bit program) */
};

/* A Windows network adapter's IP settings (Tcpip\Parameters\
 * Interfaces\{GUID}), with the adapter bound to it (the network class's
 * NetCfgInstanceId). */
struct v2k_win_ipcfg {
    char *guid;                 /* "{8E6A1B2C-...}" */
    char *adapter;              /* DriverDesc, or NULL */
    bool dhcp;                  /* EnableDHCP = 1: nothing else applies */
    char **addrs;               /* "10.20.30.40/24"; NULL-terminated */
    char **gateways;            /* "10.20.30.1" */
    char **dns;                 /* "10.20.30.2" */
    char **addrs6;              /* manual IPv6 addresses, "2001:db8::10/64"
                                   (the Nsi store), NULL-terminated or NULL */
    char **dns6;                /* Tcpip6 NameServer entries, or NULL */
};

/* What inspection found in a Windows guest (inspect-windows.c). */
struct v2k_win {
    char *systemroot;           /* "/Windows", as the guest spells it */
    char *system_hive;          /* "/Windows/System32/config/SYSTEM" */
    char *software_hive;
    char *variant;              /* InstallationType: "Server", "Client" */
    char *edition;              /* EditionID: "ServerDatacenter", or NULL */
    unsigned build;             /* CurrentBuildNumber, 0 = unknown */
    char *control_set;          /* "ControlSet001" (Select\Current) */
    bool driver_database;       /* SYSTEM has DriverDatabase (Windows 8+) */
    bool rtc_utc;               /* RealTimeIsUniversal = 1 */
    bool fast_startup;          /* HiberbootEnabled = 1 (Fast Startup) */
    char **drives;              /* "C:=/dev/sda1"; NULL-terminated */
    struct v2k_win_app *apps;
    size_t napps;
    struct v2k_win_ipcfg *ipcfgs;
    size_t nipcfgs;
    char **antivirus;           /* apps that look like antivirus */
};

struct v2k_guest {
    enum v2k_os_family family;
    char *type;                 /* libguestfs: "linux", "windows" */
    char *distro;               /* "debian", "rhel", "sles", "ubuntu" ... */
    int major, minor;           /* version, 0 when unknown */
    char *product_name;         /* "Debian GNU/Linux 12 (bookworm)" */
    char *arch;                 /* "x86_64", "i386" */
    char *hostname;
    char *osinfo;               /* libosinfo short id, or NULL */
    char *root;                 /* the root device, appliance's name */
    struct v2k_mount *mounts;
    size_t nmounts;
    enum v2k_guest_firmware firmware;
    char *esp;                  /* the EFI system partition, or NULL */
    enum v2k_bootloader bootloader;
    char *bootloader_config;    /* "/boot/grub/grub.cfg", or NULL */
    char *package_format;       /* "deb", "rpm", ... */
    char *package_manager;      /* "apt", "dnf", "yum", "zypper" ... */
    enum v2k_initramfs_tool initramfs_tool;
    struct v2k_kernel *kernels; /* newest first */
    size_t nkernels;
    int default_kernel;         /* index into kernels, -1 = unknown */
    /* Hypervisor tools found: short names ("open-vm-tools",
     * "vmware-tools-tarball", "xe-guest-utilities", "vbox-additions",
     * "hyperv-daemons"); NULL-terminated, never NULL itself. */
    char **tools;
    bool selinux;               /* SELinux enforcing or permissive */
    /* Installed packages (names only), sorted; NULL-terminated, never NULL
     * itself; may be empty when the package database cannot be read. */
    char **packages;
    /* The interfaces the network configuration names (at most
     * V2K_GUEST_MAX_NETIFS), in the order the files were read. */
    struct v2k_guest_netif *netifs;
    size_t nnetifs;
    size_t nluks_unlocked;      /* LUKS filesystems unlocked with --key
                                   (mapped as /dev/mapper/luks-sdXN) */
    struct v2k_win *win;        /* Windows guests only, else NULL */
};

void v2k_win_free(struct v2k_win *w);

#define V2K_GUEST_MAX_NETIFS 64

/* Add an interface (strings copied; a NULL start stays NULL).  When the
 * name is there already from the same tool, the fields it lacks are
 * filled.  0, or -1 on ENOMEM; beyond V2K_GUEST_MAX_NETIFS it is 0 and
 * nothing is added. */
int v2k_guest_add_netif(struct v2k_guest *guest, const char *name,
                        const char *tool, const char *config,
                        const char *method, const char *start);

void v2k_guest_free(struct v2k_guest *guest);

/* --print-guest: readable text, or JSON on one line. */
void v2k_guest_print(const struct v2k_guest *guest, FILE *fp);
void v2k_guest_print_json(const struct v2k_guest *guest, FILE *fp);

/* Helpers for the rewrite steps. */
bool v2k_guest_has_package(const struct v2k_guest *guest, const char *name);
bool v2k_guest_has_tool(const struct v2k_guest *guest, const char *name);
const char *v2k_bootloader_to_string(enum v2k_bootloader v);
const char *v2k_initramfs_tool_to_string(enum v2k_initramfs_tool v);
const char *v2k_guest_firmware_to_string(enum v2k_guest_firmware v);

#endif
