#!/bin/bash
# Confinement of what a VM description names (common/pathpolicy.h): an
# OVF directory, a .vmx, an xl.cfg and a domain XML written by someone
# else must not make us read a host file into the output -- not through
# a disk path, a VMDK descriptor extent that is absolute or '../', a
# qcow2 backing name '../../x', nor a disk that is a symlink out of the
# directory.  Each is refused with one line naming the file and the
# reference, unless --allow-path names the directory; -i disk PATH (named
# by the user) still follows its backing chain anywhere, as qemu-img.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq
data=$V2K_SOURCE_DIR/tests/data

cd "$T"
mkdir -p out/deep vm
# The "host file" a hostile description aims at: 1 MiB of 0x5a.
qemu-img create -q -f raw out/secret 1M
qemu-io -f raw -c "write -P 0x5a 0 1M" out/secret >/dev/null
qemu-img create -q -f raw vm/good.img 1M

desc() {    # desc FILE EXTENT-NAME: a monolithicFlat descriptor
    printf '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\nRW 2048 FLAT "%s" 0\n' "$2" >"$1"
}
refused() {     # refused REF-PATTERN V2KVM-ARGS...: fails, one line naming it
    local pat=$1
    shift
    expect_fail "$V2KVM" --no-convert "$@" --print-source
    [ "$(wc -l <"$T/err")" = 1 ] || fail "$*: not one line: $(cat "$T/err")"
    grep -q -- "$pat" "$T/err" || fail "$*: expected '$pat' in: $(cat "$T/err")"
    grep -q -- "outside .*--allow-path" "$T/err" || fail "$*: $(cat "$T/err")"
}
accepted() {    # accepted V2KVM-ARGS...
    "$V2KVM" --no-convert "$@" --print-source --machine-readable >"$T/src.json" 2>"$T/err" ||
        fail "$*: refused: $(cat "$T/err")"
}

# --- OVF directory ---------------------------------------------------
ovf() {     # ovf DIR: the VirtualBox OVF naming debian12-disk001.vmdk
    mkdir -p "$1"
    cp "$data/ova/vbox.ovf" "$1/debian12.ovf"
}
ovf ova-abs
desc ova-abs/debian12-disk001.vmdk "$T/out/secret"
refused "debian12-disk001.vmdk: reference '$T/out/secret'" -i ova ova-abs
accepted -i ova ova-abs --allow-path out
jq -e '.disks[0].size_bytes == 1048576' src.json >/dev/null || fail "$(cat src.json)"

ovf ova-rel
desc ova-rel/debian12-disk001.vmdk "../out/secret"
refused "reference '../out/secret' leads to $T/out/secret" -i ova ova-rel

ovf ova-qcow
qemu-img create -q -f qcow2 -u -b ../out/deep/../secret -F raw \
    ova-qcow/debian12-disk001.vmdk 1M
refused "backing file: .*reference '../out/deep/../secret'" -i ova ova-qcow

ovf ova-link
ln -s "$T/out/secret" ova-link/debian12-disk001.vmdk
refused "ova-link: reference 'debian12-disk001.vmdk' leads to $T/out/secret" -i ova ova-link

# A symlink that stays in the package is fine.
ovf ova-inlink
cp vm/good.img ova-inlink/real.img
ln -s real.img ova-inlink/debian12-disk001.vmdk
accepted -i ova ova-inlink

# --- .vmx --------------------------------------------------------------
vmx() {     # vmx FILE FILENAME
    printf 'displayName = "v"\nmemsize = "256"\nscsi0.present = "TRUE"\nscsi0.virtualDev = "lsilogic"\nscsi0:0.present = "TRUE"\nscsi0:0.fileName = "%s"\n' "$2" >"$1"
}
vmx vm/abs.vmx "$T/out/secret"
refused "abs.vmx:6: scsi0:0.fileName: $T/out/secret leads to $T/out/secret" -i vmx vm/abs.vmx
accepted -i vmx vm/abs.vmx --allow-path "$T/out"
desc vm/ext.vmdk "/$T/out/./secret"
vmx vm/ext.vmx ext.vmdk
refused "ext.vmdk: reference '/$T/out/./secret'" -i vmx vm/ext.vmx
accepted -i vmx vm/ext.vmx --allow-path out/deep/..
vmx vm/good.vmx good.img
accepted -i vmx vm/good.vmx

# --- xl.cfg and domain XML -------------------------------------------
printf 'name = "x"\nmemory = 256\ndisk = [ "%s,raw,xvda,w" ]\n' "$T/out/secret" >vm/x.cfg
refused "x.cfg:3: disk xvda: $T/out/secret leads to" -i xen vm/x.cfg
accepted -i xen vm/x.cfg --allow-path out
cat >vm/d.xml <<XML
<domain type='kvm'><name>d</name><memory>262144</memory>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
    <source file='q.qcow2'/><target dev='vda' bus='virtio'/></disk></devices>
</domain>
XML
qemu-img create -q -f qcow2 -b "$T/out/secret" -F raw vm/q.qcow2 1M
refused "q.qcow2: backing file: .*reference '$T/out/secret'" -i libvirtxml vm/d.xml

# --- -i disk: the user named it; its chain is followed (qemu-img does) -
accepted -i disk vm/q.qcow2
jq -e '.disks[0].format == "qcow2"' src.json >/dev/null || fail "$(cat src.json)"

# --allow-path names a directory that must exist.
expect_fail "$V2KVM" --no-convert -i disk vm/q.qcow2 --allow-path nowhere --print-source
assert_grep "allow-path nowhere: No such file" "$T/err"
