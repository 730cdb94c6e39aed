#!/bin/bash
# test-linux-tools.sh - the "tools", "xorg", "network" and "selinux"
# steps on phony guests full of hypervisor leftovers:
#   debian12 with VMware Tools (tarball + an open-vm-tools dpkg entry),
#   VirtualBox Guest Additions, Xen guest utilities and a VMware
#   xorg.conf.  The phony guest has no dpkg binary, so the step must warn
#   and delete the packages' files instead (the real dpkg path runs on
#   the debootstrapped guest of the boot tests); the two tarball
#   uninstallers are sh scripts that must really run inside the guest.
# After `v2kvm-steps tools,xorg,network,selinux` every trace is gone, the
# xorg.conf matches its golden file, and the guest's whole file list
# matches tests/data/phony/debian12-tools/files-after.txt: nothing
# unrelated was removed or added (when mkphony.sh changes, regenerate and
# review the diff).  Three appliance launches: build, steps, read back.  V2K_TEST_REGENERATE=1 rewrites the golden files.
. "$(dirname "$0")/../lib/test-lib.sh"
need guestfish busybox

data=$V2K_SOURCE_DIR/tests/data/phony
steps=$V2K_BINARY_DIR/tests/v2kvm-steps
[ -x "$steps" ] || fail "$steps is missing (tests/lib/tool-steps.c)"

bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" \
    debian12 "$T/deb.img" vmware-tools open-vm-tools vbox-additions \
        xen-tools xorg-vmware ||
    fail "mkphony.sh failed"

# New MACs (the network step acts), as a conversion without --mac would.
"$steps" --new-macs tools,xorg,network,selinux "$T/deb.img" \
    >"$T/deb.log" 2>&1 ||
    { cat "$T/deb.log" >&2; fail "v2kvm-steps failed"; }

# One appliance launch reads the guest back.
guestfish --ro -a "$T/deb.img" >"$T/gf.out" 2>&1 <<'GF' ||
run
mount-ro /dev/sda1 /
echo ==files deb
find /
echo ==calls deb
cat /var/log/phony-calls
echo ==xorg deb
cat /etc/X11/xorg.conf
echo ==end
GF
    { cat "$T/gf.out" >&2; fail "guestfish could not read the guest back"; }

# section NAME: the lines after "==NAME" up to the next "==" line.
section() {
    awk -v s="==$1" '$0 == s { on = 1; next } /^==/ { on = 0 } on' "$T/gf.out"
}

golden() {      # golden CASE FILE: compare stdin with the golden file
    local want=$data/$1/$2
    cat >"$T/got"
    if [ "${V2K_TEST_REGENERATE:-}" = 1 ]; then
        mkdir -p "$data/$1"
        cp "$T/got" "$want"
        return 0
    fi
    diff -u "$want" "$T/got" || fail "$1/$2 differs from the golden file"
}

section "files deb" | sed 's|^|/|' | sort >"$T/files.deb"

# Every trace is gone.
for p in /etc/vmware-tools /etc/init.d/vmware-tools \
         /usr/bin/vmware-uninstall-tools.pl /usr/lib/vmware-tools \
         /lib/modules/6.1.0-28-amd64/misc/vmxnet.ko \
         /lib/modules/6.1.0-18-amd64/misc/vmhgfs.ko /usr/bin/vmtoolsd \
         /opt/VBoxGuestAdditions-7.0.10 /etc/init.d/vboxadd \
         /usr/sbin/VBoxService /lib/modules/6.1.0-28-amd64/misc/vboxguest.ko \
         /usr/sbin/xe-daemon /etc/init.d/xe-linux-distribution; do
    if grep -qx -- "$p" "$T/files.deb"; then
        fail "debian12: $p is still there"
    fi
done
# ... and things that are not traces are still there.
for p in /etc/fstab /etc/X11/xorg.conf /usr/sbin/update-initramfs \
         /lib/modules/6.1.0-28-amd64/kernel/drivers/scsi/vmw_pvscsi.ko \
         /etc/network/interfaces /var/lib/dpkg/status /bin/busybox; do
    grep -qx -- "$p" "$T/files.deb" || fail "debian12: $p was removed"
done

# The uninstallers ran inside the guest (they log to phony-calls).
section "calls deb" >"$T/calls.deb"
assert_grep '^uninstall.sh' "$T/calls.deb"
assert_grep '^vmware-uninstall-tools.pl' "$T/calls.deb"

# No dpkg in the phony guest: a clear warning, then the files went.
assert_grep 'cannot remove packages.*open-vm-tools.*the guest has no dpkg' \
    "$T/deb.log"
assert_grep 'usr/bin/vmtoolsd.*removed' "$T/deb.log"
# The predictable name of the VMware NIC is pointed out: no NIC is given
# to the step here, so the name has no NIC to stay on.
assert_grep 'configures interface ens192, a name from the old machine.s hardware, and no NIC of the converted guest is left for it (0 NICs)' "$T/deb.log"
# No SELinux config: no relabel.
if grep -qx /.autorelabel "$T/files.deb"; then
    fail "/.autorelabel created on a guest without SELinux"
fi

section "xorg deb" | golden debian12-tools xorg.conf
golden debian12-tools files-after.txt <"$T/files.deb"
echo "OK"
