/* netpin-internal.h - pure parts of the "network" step: which of the
 * guest's configured interface names belongs to which NIC of the
 * converted guest, and the files that keep ("pin") each name on the new
 * NIC.  No libguestfs here, so the unit tests drive them directly
 * (tests/drivers-inject/test-linux-edits.c).
 *
 * A name such as ens192 (VMware, PCI slot 192), enp11s0, eno1 or a
 * biosdevname name (em1, p3p1 on physical Dell/HP servers) comes from the
 * old machine's PCI layout or firmware, and KVM's differs (q35: enp1s0,
 * i440fx: ens3).  Rather than rewrite every configuration, firewall rule
 * and monitoring agent that names it, the step binds the old name to the
 * MAC the NIC keeps: a systemd .link file, or a udev rule on guests whose
 * udev has no link files.  Only when the NIC's MAC on KVM is unknown are
 * configurations rewritten to the name the guest will see.
 *
 * All returned strings are malloc'd and owned by the caller; NULL means
 * ENOMEM unless a function says otherwise.
 */
#ifndef V2K_NETPIN_INTERNAL_H
#define V2K_NETPIN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* A name that depends on the old machine's hardware layout and that the
 * step may pin: v2k_net_is_predictable()'s PCI-layout names (not enx:
 * those follow the MAC), and biosdevname's emN / pSpN[_V].  Kernel names
 * (eth0) are not: renaming into the kernel's own namespace races with
 * it, and they follow probe order, which a kept MAC's udev rule keeps. */
bool v2k_net_is_hw_name(const char *name);

/* One NIC of the converted guest, in the output's order. */
struct v2k_net_nic {
    const char *mac;            /* the MAC it has on KVM, lower case, or
                                   NULL when the output does not keep it */
    const char *src_mac;        /* the source's MAC, or NULL */
    int pci_slot;               /* the source's PCI slot number (VMware
                                   ethernetN.pciSlotNumber), -1 unknown */
};

/* One interface name the guest's configuration uses. */
struct v2k_net_name {
    const char *name;
    const char *bound_mac;      /* a MAC the guest's own config binds the
                                   name to (udev NAME=, ifcfg HWADDR=,
                                   .link, NM keyfile), or NULL */
    bool renames;               /* that binding itself names the NIC (a
                                   udev NAME= rule or a .link file); an
                                   ifcfg HWADDR= or a keyfile's
                                   mac-address only restricts which NIC
                                   the config applies to, and whether
                                   anything renames by it depends on
                                   packages (initscripts' rename_device) */
};

enum v2k_net_pin_how {
    V2K_PIN_NONE,               /* not a hardware name, or no NIC for it */
    V2K_PIN_GUEST,              /* the guest's own renaming binding names
                                   a MAC the NIC keeps: nothing to do */
    V2K_PIN_BOUND,              /* the guest bound it to this NIC's source
                                   MAC, which changes or which no rule of
                                   the guest's own renames by */
    V2K_PIN_SLOT,               /* ensN where N is the NIC's PCI slot */
    V2K_PIN_MAC_NAME,           /* enxMAC of this NIC's source MAC */
    V2K_PIN_ORDER,              /* the k-th hardware name to the k-th NIC
                                   left over, both in PCI order */
};

struct v2k_net_pin {
    enum v2k_net_pin_how how;
    int nic;                    /* index in the NIC array, -1 for NONE */
};

/* Match names[i] to NICs into pins[i] (nnames entries).  Each NIC gets at
 * most one name.  Returns how many hardware names found no NIC. */
size_t v2k_net_plan(const struct v2k_net_nic *nics, size_t nnics,
                    const struct v2k_net_name *names, size_t nnames,
                    struct v2k_net_pin *pins);

/* Words for the log: "PCI slot 192", "the guest's own binding"... */
const char *v2k_net_pin_how_string(enum v2k_net_pin_how how);

/* text with every whole-word occurrence of from replaced by to; a word
 * boundary is anything but [A-Za-z0-9_-], so "ens192.100" (a VLAN on
 * it) and "ens192:1" are renamed and "ens1920" or "ifcfg-ens192" are
 * not.  *count (may be NULL) receives the number of replacements. */
char *v2k_net_rename_word(const char *text, const char *from,
                          const char *to, unsigned *count);

/* The systemd .link file that gives the NIC with mac (and, when not NULL,
 * the kernel driver, so that a bond or VLAN inheriting the MAC is not
 * renamed too) the name, with a comment saying why. */
char *v2k_net_link_file(const char *name, const char *mac,
                        const char *driver, const char *why);

/* The same as a udev rule line (for udev without link files). */
char *v2k_net_udev_pin_rule(const char *name, const char *mac,
                            const char *why);

/* Bindings of a name to a MAC in the guest's configuration.
 * Each returns 1 with *name and *mac (lower case) malloc'd, 0 when the
 * text binds nothing, -1 on ENOMEM:
 *   KIND_UDEV: one line of a udev rules file (ATTR{address}=="MAC" and
 *     NAME="NAME");
 *   KIND_IFCFG: a whole ifcfg file (DEVICE= and HWADDR=);
 *   KIND_LINK: a whole .link file ([Match] MACAddress= and [Link] Name=);
 *   KIND_NM: a whole NetworkManager keyfile (interface-name= and the
 *     [ethernet] mac-address=). */
enum v2k_net_bind_kind {
    V2K_BIND_UDEV, V2K_BIND_IFCFG, V2K_BIND_LINK, V2K_BIND_NM,
};
int v2k_net_binding(enum v2k_net_bind_kind kind, const char *text,
                    char **name, char **mac);

/* Syntax checks before the step reads names from a config or edits it:
 * a file it cannot parse is left alone (with a warning naming the file
 * and the line) rather than half-understood.  The syntax is chosen by
 * the path: */
enum v2k_net_syntax {
    V2K_SYN_NONE,               /* free-form (ifupdown, route files):
                                   nothing to check */
    V2K_SYN_SHELL,              /* ifcfg-*: KEY=VALUE lines, quotes closed
                                   on the line */
    V2K_SYN_INI,                /* NM keyfiles, .link/.network/.netdev:
                                   [Section] headers, then KEY=VALUE */
    V2K_SYN_YAML,               /* netplan: no tab in the indentation */
    V2K_SYN_UDEV,               /* udev rules: KEY[{attr}] OP "value"
                                   pairs separated by commas, and an
                                   ATTR{address} match that is a MAC or
                                   a glob */
};
enum v2k_net_syntax v2k_net_syntax_of(const char *path);

/* The first line (1-based) of text that does not follow syntax, with
 * *why (static) saying what is wrong; 0 when the text is fine. */
unsigned v2k_net_bad_line(enum v2k_net_syntax syntax, const char *text,
                          const char **why);

#endif
