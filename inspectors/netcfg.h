/* netcfg.h - the network interfaces a Linux guest's configuration brings
 * up, for --print-guest (struct v2k_guest_netif): the name, the tool,
 * the file, the method (dhcp / static ADDRESS / manual) and when it is
 * started.  The parsers are pure (text in, netifs added to the guest):
 * unit-tested in tests/inspectors/test-netcfg.c.  They read what they
 * know and skip the rest; a file they do not understand adds nothing or
 * "unknown", never a guess.  The network step (drivers-inject/linux/
 * network.c) decides what the names become; the log says it.
 *
 * Each returns 0, or -1 on ENOMEM (with a message).
 */
#ifndef V2K_NETCFG_H
#define V2K_NETCFG_H

#include <guestfs.h>

#include "guest.h"

/* /etc/network/interfaces(.d): auto / allow-hotplug / iface stanzas. */
int v2k_netcfg_ifupdown(struct v2k_guest *gu, const char *file,
                        const char *text);
/* RHEL and SUSE ifcfg-NAME (DEVICE=, BOOTPROTO=, IPADDR=, PREFIX=,
 * NETMASK=, ONBOOT=, STARTMODE=). */
int v2k_netcfg_ifcfg(struct v2k_guest *gu, const char *file,
                     const char *text);
/* NetworkManager keyfiles ([connection] interface-name, autoconnect;
 * [ipv4] method, address1). */
int v2k_netcfg_nm(struct v2k_guest *gu, const char *file,
                  const char *text);
/* systemd-networkd .network ([Match] Name=, [Network] DHCP=, Address=). */
int v2k_netcfg_networkd(struct v2k_guest *gu, const char *file,
                        const char *text);
/* netplan YAML, block style: ethernets/bonds/bridges/vlans ids,
 * set-name, dhcp4, addresses. */
int v2k_netcfg_netplan(struct v2k_guest *gu, const char *file,
                       const char *text);

/* Read every such file of the mounted guest into gu->netifs.  Files that
 * cannot be read are skipped (debug line). */
int v2k_inspect_netcfg(guestfs_h *g, struct v2k_guest *gu);

#endif
