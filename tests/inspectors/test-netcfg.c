/* test-netcfg.c - the interfaces a guest's network configuration brings
 * up, for --print-guest (inspectors/netcfg.h), one parser at a time on
 * the shapes each distribution writes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "netcfg.h"

static struct v2k_guest *
guest(void)
{
    struct v2k_guest *gu = calloc(1, sizeof *gu);

    ck_assert_ptr_nonnull(gu);
    return gu;
}

static const struct v2k_guest_netif *
find(const struct v2k_guest *gu, const char *name)
{
    for (size_t i = 0; i < gu->nnetifs; i++)
        if (strcmp(gu->netifs[i].name, name) == 0)
            return &gu->netifs[i];
    ck_abort_msg("no interface %s", name);
    return NULL;
}

START_TEST(test_netcfg_ifupdown)
{
    struct v2k_guest *gu = guest();
    const struct v2k_guest_netif *n;

    ck_assert_int_eq(v2k_netcfg_ifupdown(gu, "/etc/network/interfaces",
        "auto lo\niface lo inet loopback\n\n"
        "allow-hotplug ens192\niface ens192 inet dhcp\n"
        "iface ens192 inet6 auto\n"
        "auto ens192.100 # VLAN\n"
        "iface ens192.100 inet static\n    address 10.1.0.5/24\n"
        "    gateway 10.1.0.1\n"
        "iface bond0 inet manual\n"), 0);
    ck_assert_uint_eq(gu->nnetifs, 3);
    n = find(gu, "ens192");
    ck_assert_str_eq(n->method, "dhcp");
    ck_assert_str_eq(n->start, "on hotplug");
    ck_assert_str_eq(n->tool, "ifupdown");
    n = find(gu, "ens192.100");
    ck_assert_str_eq(n->method, "static 10.1.0.5/24");
    ck_assert_str_eq(n->start, "at boot");
    n = find(gu, "bond0");
    ck_assert_str_eq(n->method, "manual");
    ck_assert_ptr_null(n->start);
    v2k_guest_free(gu);
}
END_TEST

START_TEST(test_netcfg_ifcfg)
{
    struct v2k_guest *gu = guest();
    const struct v2k_guest_netif *n;

    ck_assert_int_eq(v2k_netcfg_ifcfg(gu,
        "/etc/sysconfig/network-scripts/ifcfg-ens192",
        "TYPE=Ethernet\nBOOTPROTO=none\nDEVICE=ens192\nONBOOT=yes\n"
        "IPADDR=10.1.0.5\nPREFIX=24\nHWADDR=00:50:56:00:01:92\n"), 0);
    ck_assert_int_eq(v2k_netcfg_ifcfg(gu,
        "/etc/sysconfig/network/ifcfg-ens224",
        "BOOTPROTO='dhcp'\nSTARTMODE='hotplug'\n"), 0);
    ck_assert_int_eq(v2k_netcfg_ifcfg(gu,
        "/etc/sysconfig/network-scripts/ifcfg-lo", "DEVICE=lo\n"), 0);
    ck_assert_uint_eq(gu->nnetifs, 2);
    n = find(gu, "ens192");
    ck_assert_str_eq(n->method, "static 10.1.0.5/24");
    ck_assert_str_eq(n->start, "at boot");
    ck_assert_str_eq(n->tool, "ifcfg");
    n = find(gu, "ens224");
    ck_assert_str_eq(n->method, "dhcp");
    ck_assert_str_eq(n->start, "on hotplug");
    ck_assert_str_eq(n->tool, "ifcfg (wicked)");
    v2k_guest_free(gu);
}
END_TEST

START_TEST(test_netcfg_nm_networkd)
{
    struct v2k_guest *gu = guest();
    const struct v2k_guest_netif *n;

    ck_assert_int_eq(v2k_netcfg_nm(gu,
        "/etc/NetworkManager/system-connections/ens224.nmconnection",
        "[connection]\nid=ens224\ntype=ethernet\ninterface-name=ens224\n"
        "autoconnect=false\n\n[ipv4]\naddress1=192.168.7.2/24,192.168.7.1\n"
        "method=manual\n"), 0);
    /* a keyfile matched by MAC only names no interface */
    ck_assert_int_eq(v2k_netcfg_nm(gu,
        "/etc/NetworkManager/system-connections/x",
        "[connection]\nid=x\n[ethernet]\nmac-address=00:11:22:33:44:55\n"),
        0);
    ck_assert_int_eq(v2k_netcfg_networkd(gu,
        "/etc/systemd/network/10-ens256.network",
        "[Match]\nName=ens256\n\n[Network]\nDHCP=ipv4\n"), 0);
    ck_assert_int_eq(v2k_netcfg_networkd(gu,
        "/etc/systemd/network/20-br0.network",
        "[Match]\nName=br0\n[Network]\nAddress=10.9.0.1/16\n"), 0);
    ck_assert_uint_eq(gu->nnetifs, 3);
    n = find(gu, "ens224");
    ck_assert_str_eq(n->method, "static 192.168.7.2/24");
    ck_assert_str_eq(n->start, "not started");
    ck_assert_str_eq(find(gu, "ens256")->method, "dhcp");
    ck_assert_str_eq(find(gu, "br0")->method, "static 10.9.0.1/16");
    v2k_guest_free(gu);
}
END_TEST

START_TEST(test_netcfg_netplan)
{
    struct v2k_guest *gu = guest();

    ck_assert_int_eq(v2k_netcfg_netplan(gu, "/etc/netplan/60-vmware.yaml",
        "# netplan\nnetwork:\n  version: 2\n  renderer: networkd\n"
        "  ethernets:\n"
        "    ens192:\n      dhcp4: true\n"
        "    ens224:\n      addresses:\n        - 10.2.0.7/24\n"
        "      routes:\n        - to: default\n          via: 10.2.0.1\n"
        "    lan:\n      match:\n        macaddress: 00:50:56:aa:bb:cc\n"
        "      set-name: \"lan0\"\n      addresses: [10.3.0.2/24]\n"
        "  vlans:\n    vlan10:\n      id: 10\n      link: ens192\n"), 0);
    ck_assert_uint_eq(gu->nnetifs, 4);
    ck_assert_str_eq(find(gu, "ens192")->method, "dhcp");
    ck_assert_str_eq(find(gu, "ens224")->method, "static 10.2.0.7/24");
    ck_assert_str_eq(find(gu, "lan0")->method, "static 10.3.0.2/24");
    ck_assert_str_eq(find(gu, "vlan10")->method, "unknown");
    ck_assert_str_eq(find(gu, "ens192")->tool, "netplan");
    v2k_guest_free(gu);
}
END_TEST

START_TEST(test_netcfg_bounded)
{
    struct v2k_guest *gu = guest();
    char text[64];

    for (int i = 0; i < 100; i++) {
        snprintf(text, sizeof text, "auto eth%d\n", i);
        ck_assert_int_eq(v2k_netcfg_ifupdown(gu, "/etc/network/interfaces",
                                             text), 0);
    }
    ck_assert_uint_eq(gu->nnetifs, V2K_GUEST_MAX_NETIFS);
    /* garbage adds nothing and does not fail */
    ck_assert_int_eq(v2k_netcfg_netplan(gu, "/etc/netplan/x.yaml",
                                        "\t{[::\n- - -\n"), 0);
    ck_assert_int_eq(v2k_netcfg_nm(gu, "/x", "[[[\n=\n"), 0);
    v2k_guest_free(gu);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("netcfg");
    TCase *tc = tcase_create("netcfg");

    tcase_add_test(tc, test_netcfg_ifupdown);
    tcase_add_test(tc, test_netcfg_ifcfg);
    tcase_add_test(tc, test_netcfg_nm_networkd);
    tcase_add_test(tc, test_netcfg_netplan);
    tcase_add_test(tc, test_netcfg_bounded);
    suite_add_tcase(s, tc);
    return s;
}
