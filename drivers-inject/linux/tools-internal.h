/* tools-internal.h - pure line editors of the "tools" and "network"
 * steps (no libguestfs handle), tested by
 * tests/drivers-inject/test-linux-edits.c.
 *
 * Conventions: a line is given without its newline; functions that
 * rewrite return a malloc'd new line or NULL for "keep as is", and set
 * *drop to remove the line (v2k_gf_edit_lines' callback contract, see
 * guestfile.h); on ENOMEM they return NULL without dropping (the line is
 * kept: a failed cleanup is better than a lost line).
 */
#ifndef V2K_TOOLS_INTERNAL_H
#define V2K_TOOLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* Kernel modules that the removed tools brought and that will not load
 * any more: the VMware Tools tarball's (vmxnet, vmhgfs, vmmemctl,
 * vmblock, vmsync, vmci, vsock), VirtualBox's (vboxguest, vboxsf,
 * vboxvideo...) and the Xen PV drivers of old kernels (xenblk, xennet,
 * xen-vnif, xen-vbd: virt-v2v's unconfigure_xen list).  In-tree
 * paravirtual drivers (vmw_pvscsi, vmxnet3, hv_*, xen-blkfront) ship
 * with the kernel and load harmlessly: not listed.  Names compare with
 * '-' and '_' equal, as modprobe does.  len: bytes of name. */
bool v2k_hv_is_module(const char *name, size_t len);

/* /etc/modules, /etc/modules-load.d/NAME.conf, /etc/initramfs-tools/modules:
 * one module name per line (then its parameters), '#' or ';' comments.
 * Drops the lines that load a hypervisor module. */
char *v2k_hv_modules_line(const char *line, bool *drop, void *opaque);

/* modprobe.conf and modprobe.d: the state the lines of all files share
 * (virt-v2v treats the scsi_hostadapter aliases of every file as one
 * list: the first is kept and pointed at the new disk driver). */
struct v2k_hv_modprobe {
    const char *blk_module;     /* "virtio_blk", "virtio_scsi", "ahci",
                                   or NULL: drop scsi_hostadapter */
    const char *net_module;     /* "virtio_net", "e1000", "8139cp" */
    bool hostadapter_seen;      /* in/out */
};

/*   alias scsi_hostadapterN MOD  first: MOD -> blk_module; others dropped
 *   alias ethN MOD               MOD -> net_module
 *   alias NAME MOD               dropped when MOD is a hypervisor module
 *   options|install|remove|softdep MOD ...   likewise
 * Everything else is kept (blacklist lines too: harmless).  opaque is a
 * struct v2k_hv_modprobe. */
char *v2k_hv_modprobe_line(const char *line, bool *drop, void *opaque);

/* SUSE /etc/sysconfig/kernel: INITRD_MODULES="..." and
 * DOMU_INITRD_MODULES="..." without the hypervisor modules (virt-v2v's
 * unconfigure_xen).  opaque unused. */
char *v2k_hv_sysconfig_kernel_line(const char *line, bool *drop,
                                   void *opaque);

/* /etc/inittab: getty lines that xe-guest-utilities commented out
 * ("#1:2345:respawn:/sbin/mingetty tty1") are enabled again (virt-v2v's
 * unconfigure_citrix).  opaque unused. */
char *v2k_hv_inittab_line(const char *line, bool *drop, void *opaque);

/* True when a package name belongs to a hypervisor's guest tools; *set
 * receives the tool set's index in the step's table (tools.c):
 * 0 VMware, 1 VirtualBox, 2 Xen, 3 Hyper-V. */
bool v2k_hv_package(const char *name, int *set);

/* The interpreter of a "#!" first line ("/usr/bin/perl"), malloc'd; NULL
 * when there is none or on ENOMEM. */
char *v2k_hv_shebang(const char *text);

/* ---- network ----------------------------------------------------- */

/* 70-persistent-net.rules: a rule matching a MAC (ATTR{address}== or
 * the old SYSFS{address}==) is dropped, with the comment line just
 * before it ("# PCI device 0x15ad:0x07b0 (vmxnet3)") when there is one.
 * Returns the new text (malloc'd) or NULL on ENOMEM; *dropped counts the
 * rules removed, *rules_left the rules kept (0: the file can go). */
char *v2k_net_udev_rewrite(const char *text, unsigned *dropped,
                           unsigned *rules_left);

/* ifcfg-*: HWADDR= lines are dropped.  opaque unused. */
char *v2k_net_ifcfg_line(const char *line, bool *drop, void *opaque);

/* NetworkManager keyfiles: mac-address= in [ethernet] / [802-3-ethernet]
 * is dropped (cloned-mac-address, which sets the MAC, stays).  opaque: a
 * bool "inside an ethernet section", false before the first line. */
char *v2k_net_nm_line(const char *line, bool *drop, void *opaque);

/* Netplan: MAC matches found in one YAML file (block style, and the flow
 * style "match: {macaddress: ...}"), and the interface names it
 * configures without a match (ethernets' keys). */
struct v2k_net_netplan {
    char **mac_ids;             /* ids whose match names a MAC */
    size_t nmac;
    char **names;               /* ids without a match: interface names */
    size_t nnames;
};
int v2k_net_netplan_scan(const char *text, struct v2k_net_netplan *np);
void v2k_net_netplan_free(struct v2k_net_netplan *np);

/* The interface name a config line names, malloc'd, or NULL:
 * ifupdown "iface NAME ..." / "auto NAME" / "allow-hotplug NAME",
 * ifcfg "DEVICE=NAME", NM "interface-name=NAME", networkd "Name=NAME"
 * (the first name of auto lines only).  */
char *v2k_net_config_ifname(const char *line);

/* A systemd predictable name whose value depends on the PCI layout:
 * ensN, ensNfM, enpNsM..., enoN, and encN (Xen/s390 style: not).  enx
 * (MAC based) names are stable when the MAC is kept: *mac_based says so. */
bool v2k_net_is_predictable(const char *name, bool *mac_based);

#endif
