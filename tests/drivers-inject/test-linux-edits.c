/* test-linux-edits.c - the line editors of the "tools" and "network"
 * steps (drivers-inject/linux/tools-internal.h), without an appliance. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpin-internal.h"
#include "tools-internal.h"

/* Run a v2k_gf_line_fn over a text, as v2k_gf_edit_lines does. */
static char *
edit(const char *text, char *(*fn)(const char *, bool *, void *), void *opaque)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    char *copy = strdup(text);

    for (char *l = copy; *l;) {
        char *nl = strchr(l, '\n');
        bool drop = false;
        char *repl;

        if (nl)
            *nl = '\0';
        repl = fn(l, &drop, opaque);
        if (!drop)
            fprintf(fp, "%s\n", repl ? repl : l);
        free(repl);
        if (!nl)
            break;
        l = nl + 1;
    }
    fclose(fp);
    free(copy);
    return buf;
}

START_TEST(test_hv_modules_compare_dash_and_underscore)
{
    ck_assert(v2k_hv_is_module("vmxnet", 6));
    ck_assert(v2k_hv_is_module("xen-vnif", 8));
    ck_assert(v2k_hv_is_module("xen_vbd", 7));
    ck_assert(v2k_hv_is_module("vboxguest", 9));
    ck_assert(!v2k_hv_is_module("vmxnet3", 7));         /* in-tree */
    ck_assert(!v2k_hv_is_module("vmw_pvscsi", 10));     /* in-tree */
    ck_assert(!v2k_hv_is_module("vmxnetX", 6 + 1));
    ck_assert(v2k_hv_is_module("vmxnetX", 6));          /* len counts */
}
END_TEST

START_TEST(test_hv_modules_list_drops_hypervisor_modules)
{
    char *out = edit("# /etc/modules\nvmxnet\nloop\n  vmhgfs opt=1\n"
                     ";vboxsf\nvmw_pvscsi\n\n",
                     v2k_hv_modules_line, NULL);

    ck_assert_str_eq(out, "# /etc/modules\nloop\n;vboxsf\nvmw_pvscsi\n\n");
    free(out);
}
END_TEST

START_TEST(test_hv_modprobe_virtio_blk_and_net)
{
    /* RHEL 5 Xen guest (mkphony rhel5xen) plus the other shapes */
    struct v2k_hv_modprobe mp = { "virtio_blk", "virtio_net", false };
    char *out = edit("alias eth0 xennet\n"
                     "alias scsi_hostadapter xenblk\n"
                     "alias scsi_hostadapter1 ata_piix\n"
                     "alias eth1   vmxnet3  # second NIC\n"
                     "alias char-major-10-61 vmmemctl\n"
                     "options vmxnet disable_lro=1\n"
                     "install vmhgfs /bin/true\n"
                     "blacklist vmxnet\n"
                     "alias eth2 virtio_net\n"
                     "# alias eth9 xennet\n"
                     "options loop max_loop=8\n",
                     v2k_hv_modprobe_line, &mp);

    ck_assert_str_eq(out, "alias eth0 virtio_net\n"
                          "alias scsi_hostadapter virtio_blk\n"
                          "alias eth1   virtio_net  # second NIC\n"
                          "blacklist vmxnet\n"
                          "alias eth2 virtio_net\n"
                          "# alias eth9 xennet\n"
                          "options loop max_loop=8\n");
    ck_assert(mp.hostadapter_seen);
    free(out);

    /* The first scsi_hostadapter of ALL files is the one kept. */
    out = edit("alias scsi_hostadapter2 mptspi\n", v2k_hv_modprobe_line, &mp);
    ck_assert_str_eq(out, "");
    free(out);
}
END_TEST

START_TEST(test_hv_modprobe_ide_drops_hostadapters)
{
    struct v2k_hv_modprobe mp = { NULL, "e1000", false };
    char *out = edit("alias scsi_hostadapter xenblk\nalias eth0 xennet\n",
                     v2k_hv_modprobe_line, &mp);

    ck_assert_str_eq(out, "alias eth0 e1000\n");
    free(out);
}
END_TEST

START_TEST(test_hv_sysconfig_kernel_initrd_modules)
{
    char *out = edit("INITRD_MODULES=\"xenblk processor thermal xennet\"\n"
                     "DOMU_INITRD_MODULES='xennet xenblk'\n"
                     "INITRD_MODULES=\"ata_piix\"\n"
                     "MODULES_LOADED_ON_BOOT=\"xennet\"\n"
                     "INITRD_MODULES=\"xen-vbd\n",
                     v2k_hv_sysconfig_kernel_line, NULL);

    ck_assert_str_eq(out, "INITRD_MODULES=\"processor thermal\"\n"
                          "DOMU_INITRD_MODULES=''\n"
                          "INITRD_MODULES=\"ata_piix\"\n"
                          "MODULES_LOADED_ON_BOOT=\"xennet\"\n"
                          "INITRD_MODULES=\"xen-vbd\n");
    free(out);
}
END_TEST

START_TEST(test_hv_inittab_getty_back)
{
    char *out = edit("id:3:initdefault:\n"
                     "#1:2345:respawn:/sbin/mingetty tty1\n"
                     "#x:5:once:/etc/X11/prefdm -nodaemon\n"
                     "# Run gettys in standard runlevels\n"
                     "#co:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav\n",
                     v2k_hv_inittab_line, NULL);

    ck_assert_str_eq(out, "id:3:initdefault:\n"
                          "1:2345:respawn:/sbin/mingetty tty1\n"
                          "#x:5:once:/etc/X11/prefdm -nodaemon\n"
                          "# Run gettys in standard runlevels\n"
                          "co:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav\n");
    free(out);
}
END_TEST

START_TEST(test_hv_packages_and_shebang)
{
    int set = -1;
    char *s;

    ck_assert(v2k_hv_package("open-vm-tools", &set) && set == 0);
    ck_assert(v2k_hv_package("open-vm-tools-desktop", &set) && set == 0);
    ck_assert(v2k_hv_package("kmod-vmware-tools-vmxnet", &set) && set == 0);
    ck_assert(v2k_hv_package("virtualbox-guest-utils", &set) && set == 1);
    ck_assert(v2k_hv_package("xe-guest-utilities", &set) && set == 2);
    ck_assert(v2k_hv_package("kmod-xenpv", &set) && set == 2);
    ck_assert(v2k_hv_package("hyperv-daemons", &set) && set == 3);
    /* Debian's xen-tools builds domUs on a host: not a guest tool */
    ck_assert(!v2k_hv_package("xen-tools", &set));
    ck_assert(!v2k_hv_package("qemu-guest-agent", &set));
    ck_assert(!v2k_hv_package("vmware-horizon-client-x", &set) ||
              set == 0);

    s = v2k_hv_shebang("#! /usr/bin/perl -w\nuse strict;\n");
    ck_assert_str_eq(s, "/usr/bin/perl");
    free(s);
    ck_assert_ptr_null(v2k_hv_shebang("echo hi\n"));
    ck_assert_ptr_null(v2k_hv_shebang("#!\n"));
}
END_TEST

START_TEST(test_net_udev_rules)
{
    static const char in[] =
        "# This file was automatically generated by write_net_rules\n"
        "\n"
        "# PCI device 0x15ad:0x07b0 (vmxnet3)\n"
        "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
        "ATTR{address}==\"00:50:56:aa:bb:cc\", NAME=\"eth0\"\n"
        "# old udev\n"
        "KERNEL==\"eth*\", SYSFS{address}==\"00:16:3e:11:22:33\", "
        "NAME=\"eth1\"\n";
    unsigned dropped, left;
    char *out = v2k_net_udev_rewrite(in, &dropped, &left);

    ck_assert_str_eq(out, "# This file was automatically generated by "
                          "write_net_rules\n\n");
    ck_assert_uint_eq(dropped, 2);
    ck_assert_uint_eq(left, 0);
    free(out);

    out = v2k_net_udev_rewrite("# c\nSUBSYSTEM==\"net\", KERNEL==\"eth*\", "
                               "NAME=\"lan\"", &dropped, &left);
    ck_assert_str_eq(out, "# c\nSUBSYSTEM==\"net\", KERNEL==\"eth*\", "
                          "NAME=\"lan\"");
    ck_assert_uint_eq(dropped, 0);
    ck_assert_uint_eq(left, 1);
    free(out);
}
END_TEST

START_TEST(test_net_ifcfg_and_nm)
{
    bool in_eth = false;
    char *out = edit("DEVICE=eth0\nHWADDR=00:50:56:12:34:56\n"
                     "  HWADDR=\"x\"\nMACADDR=00:11:22:33:44:55\n",
                     v2k_net_ifcfg_line, NULL);

    ck_assert_str_eq(out, "DEVICE=eth0\nMACADDR=00:11:22:33:44:55\n");
    free(out);

    out = edit("[connection]\nid=eth0\n[ethernet]\n"
               "mac-address=00:50:56:12:34:56\n"
               "cloned-mac-address=00:50:56:12:34:57\n"
               "mac-address-blacklist=\n"
               "[wifi]\nmac-address=11:22:33:44:55:66\n",
               v2k_net_nm_line, &in_eth);
    ck_assert_str_eq(out, "[connection]\nid=eth0\n[ethernet]\n"
                          "cloned-mac-address=00:50:56:12:34:57\n"
                          "mac-address-blacklist=\n"
                          "[wifi]\nmac-address=11:22:33:44:55:66\n");
    free(out);
}
END_TEST

START_TEST(test_net_netplan_scan)
{
    /* mkphony's ubuntu2204 file, and a second interface by name */
    static const char in[] =
        "network:\n"
        "    version: 2\n"
        "    ethernets:\n"
        "        ens33:\n"
        "            match:\n"
        "                macaddress: 00:0c:29:aa:bb:cc\n"
        "            set-name: ens33\n"
        "            dhcp4: true\n"
        "        # a comment\n"
        "        \"ens34\":\n"
        "            dhcp4: true\n"
        "            macaddress: 52:54:00:00:00:01\n"
        "        lan:\n"
        "            match: {driver: e1000, macaddress: \"aa:bb\"}\n"
        "    bridges:\n"
        "        br0:\n"
        "            interfaces: [ens34]\n";
    struct v2k_net_netplan np;

    ck_assert_int_eq(v2k_net_netplan_scan(in, &np), 0);
    ck_assert_uint_eq(np.nmac, 2);
    ck_assert_str_eq(np.mac_ids[0], "ens33");
    ck_assert_str_eq(np.mac_ids[1], "lan");
    /* "macaddress:" directly under an id sets the MAC: not a match */
    ck_assert_uint_eq(np.nnames, 1);
    ck_assert_str_eq(np.names[0], "ens34");
    v2k_net_netplan_free(&np);

    ck_assert_int_eq(v2k_net_netplan_scan("network: {version: 2}\n", &np), 0);
    ck_assert_uint_eq(np.nmac + np.nnames, 0);
    v2k_net_netplan_free(&np);
}
END_TEST

START_TEST(test_net_config_names_and_predictable)
{
    static const struct { const char *line, *name; } cases[] = {
        { "iface ens192 inet dhcp", "ens192" },
        { "auto lo ens192", "lo" },
        { "allow-hotplug enp2s1", "enp2s1" },
        { "DEVICE=\"eth0\"", "eth0" },
        { "interface-name=eno1", "eno1" },
        { "Name=ens3", "ens3" },
        { "  iface\tens33 inet6 auto", "ens33" },
        { "# iface ens9 inet dhcp", NULL },
        { "autoconf yes", NULL },
    };
    bool mac;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *n = v2k_net_config_ifname(cases[i].line);

        if (cases[i].name)
            ck_assert_str_eq(n, cases[i].name);
        else
            ck_assert_ptr_null(n);
        free(n);
    }
    ck_assert(v2k_net_is_predictable("ens192", &mac) && !mac);
    ck_assert(v2k_net_is_predictable("enp2s1", &mac) && !mac);
    ck_assert(v2k_net_is_predictable("enp0s3f1", &mac));
    ck_assert(v2k_net_is_predictable("eno1", &mac));
    ck_assert(v2k_net_is_predictable("enP1p2s3", &mac));
    ck_assert(v2k_net_is_predictable("enx000c29aabbcc", &mac) && mac);
    ck_assert(!v2k_net_is_predictable("eth0", &mac));
    ck_assert(!v2k_net_is_predictable("ens", &mac));
    ck_assert(!v2k_net_is_predictable("enp2", &mac));
    ck_assert(!v2k_net_is_predictable("enxzz", &mac));
    ck_assert(!v2k_net_is_predictable("lo", &mac));
}
END_TEST

START_TEST(test_net_hw_names)
{
    ck_assert(v2k_net_is_hw_name("ens192"));
    ck_assert(v2k_net_is_hw_name("enp11s0"));
    ck_assert(v2k_net_is_hw_name("eno1"));
    ck_assert(v2k_net_is_hw_name("em1"));
    ck_assert(v2k_net_is_hw_name("p3p1"));
    ck_assert(v2k_net_is_hw_name("p3p1_2"));
    ck_assert(!v2k_net_is_hw_name("enx000c29aabbcc"));  /* follows the MAC */
    ck_assert(!v2k_net_is_hw_name("eth0"));
    ck_assert(!v2k_net_is_hw_name("bond0"));
    ck_assert(!v2k_net_is_hw_name("br0"));
    ck_assert(!v2k_net_is_hw_name("em"));
    ck_assert(!v2k_net_is_hw_name("p3"));
    ck_assert(!v2k_net_is_hw_name("p3p"));
    ck_assert(!v2k_net_is_hw_name("ens192.100"));
}
END_TEST

START_TEST(test_net_plan_slot_order_and_bindings)
{
    /* Two VMware NICs in slots 224 and 192, MACs kept. */
    struct v2k_net_nic nics[] = {
        { "00:50:56:00:00:02", "00:50:56:00:00:02", 224 },
        { "00:50:56:00:00:01", "00:50:56:00:00:01", 192 },
    };
    struct v2k_net_name names[] = {
        { "ens192", NULL, false }, { "ens224", NULL, false }, { "bond0", NULL, false },
        { "eth0", NULL, false },
    };
    struct v2k_net_pin pins[4];

    ck_assert_uint_eq(v2k_net_plan(nics, 2, names, 4, pins), 0);
    ck_assert_int_eq(pins[0].how, V2K_PIN_SLOT);
    ck_assert_int_eq(pins[0].nic, 1);
    ck_assert_int_eq(pins[1].how, V2K_PIN_SLOT);
    ck_assert_int_eq(pins[1].nic, 0);
    ck_assert_int_eq(pins[2].how, V2K_PIN_NONE);
    ck_assert_int_eq(pins[3].how, V2K_PIN_NONE);

    /* No slots known: PCI order of the names (numeric, not lexical:
     * enp2s1 before enp11s0) to the NICs in order; one name too many. */
    struct v2k_net_nic n2[] = {
        { "52:54:00:00:00:01", "52:54:00:00:00:01", -1 },
        { "52:54:00:00:00:02", "52:54:00:00:00:02", -1 },
    };
    struct v2k_net_name m2[] = {
        { "enp11s0", NULL, false }, { "enp2s1", NULL, false }, { "enp20s0", NULL, false },
    };
    ck_assert_uint_eq(v2k_net_plan(n2, 2, m2, 3, pins), 1);
    ck_assert_int_eq(pins[1].how, V2K_PIN_ORDER);
    ck_assert_int_eq(pins[1].nic, 0);
    ck_assert_int_eq(pins[0].how, V2K_PIN_ORDER);
    ck_assert_int_eq(pins[0].nic, 1);
    ck_assert_int_eq(pins[2].how, V2K_PIN_NONE);

    /* The guest's own binding: kept MAC -> nothing to do; a binding to
     * a MAC that changes -> BOUND; a binding to no NIC's MAC -> NONE,
     * and that name is not given a NIC by order either. */
    struct v2k_net_nic n3[] = {
        { "00:50:56:aa:00:01", "00:50:56:aa:00:01", -1 },
        { NULL, "00:50:56:aa:00:02", -1 },
        { NULL, "00:50:56:aa:00:03", -1 },
    };
    struct v2k_net_name m3[] = {
        { "ens192", "00:50:56:AA:00:01", true },
        { "ens224", "00:50:56:aa:00:02", true },
        { "ens256", "00:50:56:ff:ff:ff", true }, { "enx005056aa0003", NULL, false },
    };
    ck_assert_uint_eq(v2k_net_plan(n3, 3, m3, 4, pins), 0);
    ck_assert_int_eq(pins[0].how, V2K_PIN_GUEST);
    ck_assert_int_eq(pins[0].nic, 0);
    /* a binding that does not rename (ifcfg HWADDR=) is pinned anyway */
    m3[0].renames = false;
    ck_assert_uint_eq(v2k_net_plan(n3, 3, m3, 1, pins), 0);
    ck_assert_int_eq(pins[0].how, V2K_PIN_BOUND);
    ck_assert_int_eq(pins[0].nic, 0);
    m3[0].renames = true;
    ck_assert_int_eq(pins[1].how, V2K_PIN_BOUND);
    ck_assert_int_eq(pins[1].nic, 1);
    ck_assert_int_eq(pins[2].how, V2K_PIN_NONE);
    ck_assert_int_eq(pins[3].how, V2K_PIN_MAC_NAME);
    ck_assert_int_eq(pins[3].nic, 2);

    /* No NIC at all: every hardware name is left over. */
    ck_assert_uint_eq(v2k_net_plan(NULL, 0, names, 4, pins), 2);
}
END_TEST

START_TEST(test_net_rename_word)
{
    unsigned n;
    char *out = v2k_net_rename_word(
        "auto ens192\niface ens192 inet static\n"
        "auto ens192.100\niface ens192.100 inet dhcp\n"
        "  vlan-raw-device ens192\n# ifcfg-ens192 ens1920 xens192\n"
        "bond-slaves ens192 ens224\nens192:1\n", "ens192", "enp1s0", &n);

    ck_assert_str_eq(out,
        "auto enp1s0\niface enp1s0 inet static\n"
        "auto enp1s0.100\niface enp1s0.100 inet dhcp\n"
        "  vlan-raw-device enp1s0\n# ifcfg-ens192 ens1920 xens192\n"
        "bond-slaves enp1s0 ens224\nenp1s0:1\n");
    ck_assert_uint_eq(n, 7);
    free(out);
    out = v2k_net_rename_word("DEVICE=\"ens3\"", "ens3", "enp1s0", &n);
    ck_assert_str_eq(out, "DEVICE=\"enp1s0\"");
    ck_assert_uint_eq(n, 1);
    free(out);
    out = v2k_net_rename_word("nothing here", "ens3", "enp1s0", &n);
    ck_assert_str_eq(out, "nothing here");
    ck_assert_uint_eq(n, 0);
    free(out);
}
END_TEST

START_TEST(test_net_pin_files)
{
    char *t = v2k_net_link_file("ens192", "00:50:56:12:34:56", "virtio_net",
                                "its PCI slot number, NIC 1");

    ck_assert_ptr_nonnull(strstr(t, "[Match]\nMACAddress=00:50:56:12:34:56\n"
                                    "Driver=virtio_net\n\n[Link]\n"
                                    "Name=ens192\n"));
    ck_assert_ptr_nonnull(strstr(t, "# Written by v2kvm: this NIC was ens192"));
    free(t);
    t = v2k_net_link_file("ens192", "00:50:56:12:34:56", NULL, "x");
    ck_assert_ptr_null(strstr(t, "Driver="));
    free(t);
    t = v2k_net_udev_pin_rule("em1", "00:11:22:33:44:55", "PCI order, NIC 1");
    ck_assert_ptr_nonnull(strstr(t, "SUBSYSTEM==\"net\", ACTION==\"add\", "
                                    "DRIVERS==\"?*\", ATTR{address}=="
                                    "\"00:11:22:33:44:55\", ATTR{type}=="
                                    "\"1\", NAME=\"em1\"\n"));
    free(t);
}
END_TEST

START_TEST(test_net_config_syntax)
{
    const char *why;

    ck_assert_int_eq(v2k_net_syntax_of("/etc/sysconfig/network/ifcfg-eth0"),
                     V2K_SYN_SHELL);
    ck_assert_int_eq(v2k_net_syntax_of(
                         "/etc/NetworkManager/system-connections/a b"),
                     V2K_SYN_INI);
    ck_assert_int_eq(v2k_net_syntax_of("/etc/systemd/network/x.network"),
                     V2K_SYN_INI);
    ck_assert_int_eq(v2k_net_syntax_of("/etc/netplan/01.yaml"),
                     V2K_SYN_YAML);
    ck_assert_int_eq(v2k_net_syntax_of("/etc/udev/rules.d/70-x.rules"),
                     V2K_SYN_UDEV);
    ck_assert_int_eq(v2k_net_syntax_of("/etc/network/interfaces"),
                     V2K_SYN_NONE);
    ck_assert_int_eq(v2k_net_syntax_of(
                         "/etc/sysconfig/network-scripts/route-ens192"),
                     V2K_SYN_NONE);

    /* shell: KEY=VALUE, quotes closed, comments, export, SUSE's [n] */
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_SHELL,
        "# c\n\nDEVICE=ens192\nNAME=\"System ens192\" # x\n"
        "export MTU=9000\nIPADDR[1]='10.0.0.1/24'\nX='it''s'\n", &why), 0);
    ck_assert_ptr_null(why);
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_SHELL,
        "DEVICE=ens192\nthis is not shell\n", &why), 2);
    ck_assert_str_eq(why, "not KEY=VALUE");
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_SHELL,
        "A=1\nB=2\nNAME=\"open\n", &why), 3);
    ck_assert_str_eq(why, "a quote not closed on its line");

    /* INI */
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_INI,
        "; c\n[Match]\nName=ens192\n\n[Network]\nDHCP=yes\n", &why), 0);
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_INI,
        "[Match]\nName ens192\n", &why), 2);
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_INI, "Name=x\n", &why), 1);
    ck_assert_str_eq(why, "a key before any [Section]");
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_INI, "[Match\n", &why), 1);

    /* YAML: tabs in indentation */
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_YAML,
        "network:\n  ethernets:\n    ens192: {dhcp4: true}  # \t\n", &why), 0);
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_YAML,
        "network:\n  ethernets:\n\tens192:\n", &why), 3);

    /* udev */
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_UDEV,
        "# PCI device\n"
        "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
        "ATTR{address}==\"00:50:56:aa:bb:cc\", NAME=\"eth0\"\n"
        "SUBSYSTEM==\"net\", \\\n  ATTR{address}==\"52:54:*\", NAME:=\"x\",\n",
        &why), 0);
    ck_assert_ptr_null(why);
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_UDEV,
        "SUBSYSTEM==\"net\"\nATTR{address}==\"00:50:56:zz:bb:cc\", "
        "NAME=\"eth0\"\n", &why), 2);
    ck_assert_str_eq(why, "the address match is not a MAC address");
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_UDEV,
        "SUBSYSTEM==\"net\" NAME=\"eth0\"\n", &why), 1);
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_UDEV,
        "NAME=\"eth0\n", &why), 1);
    ck_assert_uint_eq(v2k_net_bad_line(V2K_SYN_NONE, "\t{{{\n", &why), 0);
}
END_TEST

START_TEST(test_net_bindings)
{
    char *name, *mac;

    ck_assert_int_eq(v2k_net_binding(V2K_BIND_UDEV,
        "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
        "ATTR{address}==\"00:0C:29:AA:BB:CC\", ATTR{type}==\"1\", "
        "KERNEL==\"eth*\", NAME=\"eth0\"", &name, &mac), 1);
    ck_assert_str_eq(name, "eth0");
    ck_assert_str_eq(mac, "00:0c:29:aa:bb:cc");
    free(name);
    free(mac);
    ck_assert_int_eq(v2k_net_binding(V2K_BIND_UDEV,
        "# SUBSYSTEM==\"net\", ATTR{address}==\"00:0c:29:aa:bb:cc\", "
        "NAME=\"eth0\"", &name, &mac), 0);
    ck_assert_int_eq(v2k_net_binding(V2K_BIND_UDEV,
        "SUBSYSTEM==\"net\", ATTR{address}==\"not-a-mac\", NAME=\"eth0\"",
        &name, &mac), 0);
    ck_assert_int_eq(v2k_net_binding(V2K_BIND_UDEV,
        "ATTR{address}==\"00:0c:29:aa:bb:cc\", NAME=\"a-name-far-too-long\"",
        &name, &mac), 0);

    ck_assert_int_eq(v2k_net_binding(V2K_BIND_IFCFG,
        "TYPE=Ethernet\nDEVICE=ens192\nHWADDR=\"00:50:56:12:34:56\"\n"
        "BOOTPROTO=dhcp\n", &name, &mac), 1);
    ck_assert_str_eq(name, "ens192");
    ck_assert_str_eq(mac, "00:50:56:12:34:56");
    free(name);
    free(mac);
    ck_assert_int_eq(v2k_net_binding(V2K_BIND_IFCFG,
        "DEVICE=ens192\nBOOTPROTO=dhcp\n", &name, &mac), 0);

    ck_assert_int_eq(v2k_net_binding(V2K_BIND_LINK,
        "[Match]\nMACAddress=00:50:56:12:34:57\n\n[Link]\nName=lan0\n",
        &name, &mac), 1);
    ck_assert_str_eq(name, "lan0");
    ck_assert_str_eq(mac, "00:50:56:12:34:57");
    free(name);
    free(mac);
    /* Name= under [Match] is a match, not the name set */
    ck_assert_int_eq(v2k_net_binding(V2K_BIND_LINK,
        "[Match]\nName=ens192\nMACAddress=00:50:56:12:34:57\n",
        &name, &mac), 0);

    ck_assert_int_eq(v2k_net_binding(V2K_BIND_NM,
        "[connection]\nid=Wired\ninterface-name=ens224\n\n[ethernet]\n"
        "mac-address=00:50:56:12:34:58\n", &name, &mac), 1);
    ck_assert_str_eq(name, "ens224");
    ck_assert_str_eq(mac, "00:50:56:12:34:58");
    free(name);
    free(mac);
    ck_assert_int_eq(v2k_net_binding(V2K_BIND_NM,
        "[connection]\ninterface-name=ens224\n[ethernet]\n"
        "cloned-mac-address=00:50:56:12:34:58\n", &name, &mac), 0);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("linux-edits");
    TCase *tc = tcase_create("edits");

    tcase_add_test(tc, test_hv_modules_compare_dash_and_underscore);
    tcase_add_test(tc, test_hv_modules_list_drops_hypervisor_modules);
    tcase_add_test(tc, test_hv_modprobe_virtio_blk_and_net);
    tcase_add_test(tc, test_hv_modprobe_ide_drops_hostadapters);
    tcase_add_test(tc, test_hv_sysconfig_kernel_initrd_modules);
    tcase_add_test(tc, test_hv_inittab_getty_back);
    tcase_add_test(tc, test_hv_packages_and_shebang);
    tcase_add_test(tc, test_net_udev_rules);
    tcase_add_test(tc, test_net_ifcfg_and_nm);
    tcase_add_test(tc, test_net_netplan_scan);
    tcase_add_test(tc, test_net_config_names_and_predictable);
    tcase_add_test(tc, test_net_hw_names);
    tcase_add_test(tc, test_net_plan_slot_order_and_bindings);
    tcase_add_test(tc, test_net_rename_word);
    tcase_add_test(tc, test_net_pin_files);
    tcase_add_test(tc, test_net_bindings);
    tcase_add_test(tc, test_net_config_syntax);
    suite_add_tcase(s, tc);
    return s;
}
