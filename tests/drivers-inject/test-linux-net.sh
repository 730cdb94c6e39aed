#!/bin/bash
# test-linux-net.sh - the "tools", "network" and "selinux" steps on the
# phony RHEL and Ubuntu guests (tests/lib/mkphony.sh):
#   rhel5xen, new MACs: /etc/modprobe.conf's "alias eth0 xennet" and
#     "alias scsi_hostadapter xenblk" point at virtio_net/virtio_blk,
#     70-persistent-net.rules (one MAC-bound rule) is deleted, ifcfg-eth0
#     loses HWADDR; SELinux disabled: no /.autorelabel.
#   rhel9, MACs kept: ifcfg-eth0 keeps HWADDR (the NIC keeps its MAC);
#     SELinux enforcing: /.autorelabel is created.
# (Netplan MAC matches, which are warned about and left alone, are
# tested in test-linux-edits.c: a third guest here costs two more
# appliance launches.)  Four launches: build, steps x2, read back.
# Golden files in tests/data/phony/<case>/ (V2K_TEST_REGENERATE=1).
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish busybox

data=$V2K_SOURCE_DIR/tests/data/phony
steps=$V2K_BINARY_DIR/tests/v2kvm-steps
[ -x "$steps" ] || fail "$steps is missing (tests/lib/tool-steps.c)"

bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" \
    rhel5xen "$T/r5.img" + rhel9 "$T/r9.img" ||
    fail "mkphony.sh failed"

run_steps() {   # run_steps NAME [OPTIONS...]
    local name=$1
    shift
    "$steps" "$@" tools,network,selinux "$T/$name.img" >"$T/$name.log" 2>&1 ||
        { cat "$T/$name.log" >&2; fail "v2kvm-steps failed on $name"; }
}
run_steps r5 --new-macs
run_steps r9

guestfish --ro -a "$T/r5.img" -a "$T/r9.img" \
    >"$T/gf.out" 2>&1 <<'GF' ||
run
mount-ro /dev/sda1 /
echo ==r5 modprobe.conf
cat /etc/modprobe.conf
echo ==r5 ifcfg-eth0
cat /etc/sysconfig/network-scripts/ifcfg-eth0
echo ==r5 files
find /etc
echo ==r5 root
ls /
umount-all
mount-ro /dev/rhel/root /
echo ==r9 ifcfg-eth0
cat /etc/sysconfig/network-scripts/ifcfg-eth0
echo ==r9 root
ls /
echo ==end
GF
    { cat "$T/gf.out" >&2; fail "guestfish could not read the guests back"; }

section() {
    awk -v s="==$1" '$0 == s { on = 1; next } /^==/ { on = 0 } on' "$T/gf.out"
}

# guestfish cat ends the output with one more newline: the golden files
# hold it too.
golden() {      # golden CASE FILE < content
    local want=$data/$1/$2
    cat >"$T/got"
    if [ "${V2K_TEST_REGENERATE:-}" = 1 ]; then
        mkdir -p "$data/$1"
        cp "$T/got" "$want"
        return 0
    fi
    diff -u "$want" "$T/got" || fail "$1/$2 differs from the golden file"
}

section "r5 modprobe.conf" | golden rhel5xen-net modprobe.conf
section "r5 ifcfg-eth0" | golden rhel5xen-net ifcfg-eth0
section "r9 ifcfg-eth0" | golden rhel9-net ifcfg-eth0

# rhel5xen: the rules file had only the MAC-bound rule: deleted.
if section "r5 files" | grep 'udev/rules.d/70-persistent-net.rules' >/dev/null; then
    fail "rhel5xen: 70-persistent-net.rules is still there"
fi
section "r5 files" | grep '^/\?sysconfig/network-scripts/ifcfg-eth0$' >/dev/null ||
    fail "rhel5xen: ifcfg-eth0 was removed"
assert_grep '70-persistent-net.rules: removed' "$T/r5.log"
if section "r5 root" | grep -x .autorelabel >/dev/null; then
    fail "rhel5xen (SELinux disabled) got /.autorelabel"
fi
# rhel9: SELinux enforcing -> relabel at first boot; MACs kept.
section "r9 root" | grep -x .autorelabel >/dev/null ||
    fail "rhel9 (SELinux enforcing) has no /.autorelabel"
assert_grep 'autorelabel: created' "$T/r9.log"
assert_grep 'HWADDR=00:50:56:12:34:56' "$data/rhel9-net/ifcfg-eth0"
echo "OK"
