#!/bin/bash
# test-linux-netpin.sh - the "network" step keeps the old machine's
# interface names working, on phony guests with the net-names trace
# (tests/lib/mkphony.sh: two VMware NICs ens192 in PCI slot 192 and
# ens224 in slot 224, configured each distribution's way):
#   debian12 (ifupdown + VLAN + networkd), ubuntu2204 (netplan), MACs
#     kept: a .link file per name binds it to the NIC's MAC, matched by
#     the PCI slot number;
#   rhel9 (ifcfg with HWADDR + NM keyfile), MACs kept: ens192 is matched
#     by the MAC its ifcfg binds it to (HWADDR= does not rename by itself:
#     that takes initscripts' rename_device, not always installed), and
#     both names get a .link file;
#   sles15 (ifcfg + ifroute), new MACs: the names cannot be pinned, so
#     the configs and the files named after the interfaces are renamed
#     to the names on KVM's q35 (enp1s0); ens224 is not renamed, as a
#     keyfile naming it is not understood (warned about with its line,
#     left alone), nor is ifcfg-ens256, which is not shell;
#   rhel5xen (udev without .link files), a physical server's em1 beside
#     eth0 (bound by 70-persistent-net.rules): a udev rule for em1.
# Six launches (build, then one per guest; files read back with
# --download).  Golden files in tests/data/phony/netpin-<kind>/
# (V2K_TEST_REGENERATE=1 rewrites them).
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish busybox

data=$V2K_SOURCE_DIR/tests/data/phony
steps=$V2K_BINARY_DIR/tests/v2kvm-steps
[ -x "$steps" ] || fail "$steps is missing (tests/lib/tool-steps.c)"

bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" \
    debian12 "$T/deb.img" net-names + ubuntu2204 "$T/ubu.img" net-names + \
    rhel9 "$T/r9.img" net-names + sles15 "$T/sles.img" net-names + \
    rhel5xen "$T/r5.img" net-names ||
    fail "mkphony.sh failed"

vm1=00:50:56:00:01:92 vm2=00:50:56:00:02:24
run_net() {     # run_net NAME [OPTIONS...]: the network step, files to $T/NAME/
    local name=$1
    shift
    mkdir -p "$T/$name"
    "$steps" "$@" network "$T/$name.img" >"$T/$name.log" 2>&1 ||
        { cat "$T/$name.log" >&2; fail "v2kvm-steps failed on $name"; }
}
dl() { echo "--download=$1:$T/$2"; }

golden() {      # golden CASE FILE: $T/CASE/FILE against the golden file
    local want=$data/netpin-$1/$2 got=$T/$1/$2
    [ -f "$got" ] || { cat "$T/$1.log" >&2; fail "$1: $2 was not written"; }
    if [ "${V2K_TEST_REGENERATE:-}" = 1 ]; then
        mkdir -p "$data/netpin-$1"
        cp "$got" "$want"
        return 0
    fi
    diff -u "$want" "$got" || fail "$1/$2 differs from the golden file"
}
absent() {      # absent CASE FILE
    [ ! -e "$T/$1/$2" ] || fail "$1: $2 should not be there"
}

# debian12: both names pinned by slot; the configs are not touched.
run_net deb -v --nic $vm1@192 --nic $vm2@224 \
    "$(dl /etc/systemd/network/10-v2kvm-ens192.link deb/ens192.link)" \
    "$(dl /etc/systemd/network/10-v2kvm-ens224.link deb/ens224.link)" \
    "$(dl /etc/network/interfaces deb/interfaces)"
golden deb ens192.link
golden deb ens224.link
grep -q '^allow-hotplug ens192$' "$T/deb/interfaces" ||
    fail "debian12: /etc/network/interfaces was changed"
assert_grep "network: ens192 stays the name of the NIC with MAC $vm1 (matched by its PCI slot number, NIC 1)" "$T/deb.log"
assert_grep "network: ens224 stays the name of the NIC with MAC $vm2" "$T/deb.log"

# ubuntu2204: netplan names, the same pins; NICs given in the other
# order, the slots still decide.
run_net ubu --nic $vm2@224 --nic $vm1@192 \
    "$(dl /etc/systemd/network/10-v2kvm-ens192.link ubu/ens192.link)" \
    "$(dl /etc/systemd/network/10-v2kvm-ens224.link ubu/ens224.link)"
golden ubu ens192.link
golden ubu ens224.link
grep -q "^MACAddress=$vm1\$" "$T/ubu/ens192.link" ||
    fail "ubuntu2204: ens192 is not bound to $vm1"

# rhel9: ifcfg-ens192's HWADDR already binds ens192 (MAC kept).
run_net r9 -v --nic $vm1@192 --nic $vm2@224 \
    "$(dl /etc/systemd/network/10-v2kvm-ens192.link r9/ens192.link)" \
    "$(dl /etc/systemd/network/10-v2kvm-ens224.link r9/ens224.link)"
golden r9 ens192.link
golden r9 ens224.link
assert_grep "network: ens192 stays the name of the NIC with MAC $vm1 (matched by the guest's MAC binding, NIC 1)" "$T/r9.log"

# sles15, new MACs: renamed to enp1s0 / enp2s0.
run_net sles --new-macs --nic $vm1@192 --nic $vm2@224 \
    "$(dl /etc/sysconfig/network/ifcfg-enp1s0 sles/ifcfg-enp1s0)" \
    "$(dl /etc/sysconfig/network/ifroute-enp1s0 sles/ifroute-enp1s0)" \
    "$(dl /etc/sysconfig/network/ifcfg-enp2s0 sles/ifcfg-enp2s0)" \
    "$(dl /etc/sysconfig/network/ifcfg-ens224 sles/ifcfg-ens224)" \
    "$(dl /etc/sysconfig/network/ifcfg-ens256 sles/ifcfg-ens256)" \
    "$(dl /etc/NetworkManager/system-connections/ens224.nmconnection sles/ens224.nmconnection)" \
    "$(dl /etc/sysconfig/network/ifcfg-ens192 sles/ifcfg-ens192)" \
    "$(dl /etc/systemd/network/10-v2kvm-ens192.link sles/ens192.link)"
golden sles ifcfg-enp1s0
golden sles ifroute-enp1s0
absent sles ifcfg-ens192
absent sles ens192.link
assert_grep 'network: ens192 renamed enp1s0' "$T/sles.log"
assert_grep "network: /etc/NetworkManager/system-connections/ens224.nmconnection:3: not KEY=VALUE; the file is left alone" "$T/sles.log"
assert_grep "network: ens224 is not renamed enp2s0: /etc/NetworkManager/system-connections/ens224.nmconnection, which names it, is not understood" "$T/sles.log"
assert_grep "network: /etc/sysconfig/network/ifcfg-ens256:2: not KEY=VALUE; the file is left alone" "$T/sles.log"
absent sles ifcfg-enp2s0
printf "BOOTPROTO='dhcp'\nSTARTMODE='hotplug'\n" | cmp - "$T/sles/ifcfg-ens224" ||
    fail "sles15: ifcfg-ens224 was changed"
printf "[connection]\nid=ens224\ninterface-name ens224\n" |
    cmp - "$T/sles/ens224.nmconnection" ||
    fail "sles15: the keyfile not understood was changed"
printf "STARTMODE='auto'\nthis line is not shell\n" |
    cmp - "$T/sles/ifcfg-ens256" || fail "sles15: ifcfg-ens256 was changed"

# rhel5xen: no .link support; eth0 is bound by the guest's own rule.
run_net r5 --nic 00:16:3e:11:22:33 --nic 00:16:3e:44:55:66 \
    "$(dl /etc/udev/rules.d/70-v2kvm-net.rules r5/70-v2kvm-net.rules)"
golden r5 70-v2kvm-net.rules
if grep -q 'NAME="eth0"' "$T/r5/70-v2kvm-net.rules"; then
    fail "rhel5xen: eth0 (a kernel name) was pinned"
fi
echo "OK"
