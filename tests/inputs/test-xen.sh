#!/bin/bash
# -i xen: xl.cfg files in the shapes Xen's docs/examples use (PV with
# pygrub, HVM, PVH, an old xm file; both disk syntaxes, deprecated
# prefixes, vifs), --print-source JSON checked field by field, a full
# -o local conversion whose disks match the source byte for byte, and
# one test per kind of bad input (each error names the file and line).
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq virt-xml-validate
data=$V2K_SOURCE_DIR/tests/data/xen

cd "$T"
cp "$data"/*.cfg .
qemu-img create -q -f raw disk0.img 8M
qemu-io -f raw -c 'write -P 0x5a 0 1M' -c 'write -P 0x17 7M 64k' disk0.img \
    >/dev/null
qemu-img create -q -f qcow2 data.qcow2 4M
qemu-io -f qcow2 -c 'write -P 0x33 1M 512k' data.qcow2 >/dev/null
qemu-img create -q -f qcow2 sys.qcow2 8M
qemu-io -f qcow2 -c 'write -P 0x44 0 2M' sys.qcow2 >/dev/null
qemu-img create -q -f vpc data.vhd 4M
qemu-io -f vpc -c 'write -P 0x55 512k 1M' data.vhd >/dev/null
qemu-img create -q -f raw root.img 4M
qemu-img create -q -f raw xm.img 4M
sum_before=$(sha256sum disk0.img data.qcow2 sys.qcow2 data.vhd)

src() { "$V2KVM" --no-convert -i xen "$1" --print-source --machine-readable 2>/dev/null |
        grep -v '"type":"warning"'; }
check() {   # check CFG JQ-EXPR
    src "$1" >"$T/$1.json" || fail "$1: --print-source failed"
    jq -e "$2" "$T/$1.json" >/dev/null || fail "$1: $(cat "$T/$1.json")"
}

# PV, pygrub, old positional disks with phy:/file: prefixes.
check pv-pygrub.cfg '.name == "debian-pv"
  and .uuid == "6a1b6c5e-0f4e-4b5a-9d2e-3c7f1a2b3c4d"
  and .hypervisor == "xen" and .firmware == "unknown"
  and .memory_bytes == 1073741824 and .vcpus == 2
  and .xen_pv == true and .xen_type == "pv" and .console == "hvc0"
  and .bootloader == "pygrub" and .kernel == null
  and (.disks | length) == 2
  and .disks[0].path == "'"$T"'/disk0.img" and .disks[0].format == "raw"
  and .disks[0].target_dev == "xvda" and .disks[0].bus == "xen"
  and .disks[0].slot == 0 and .disks[0].size_bytes == 8388608
  and .disks[0].device == "disk" and .disks[0].transport == "file"
  and .disks[1].format == "raw" and .disks[1].target_dev == "xvdb"
  and .disks[1].slot == 1
  and .disks[1].size_bytes == '"$(stat -c %s data.qcow2)"'
  and (.nics | length) == 1 and .nics[0].mac == "00:16:3e:12:34:56"
  and .nics[0].network == "xenbr1" and .nics[0].type == "bridge"
  and .nics[0].model == "xen"'

# HVM: key=value disk, tap2:tapdisk:vhd:, a CD-ROM, UEFI, stdvga, vifs.
check hvm.cfg '.name == "win-hvm" and .xen_pv == false
  and .xen_type == "hvm" and .console == null and .firmware == "uefi"
  and .memory_bytes == 2147483648 and .vcpus == 4 and .video == "vga"
  and .video_ram_bytes == 16777216 and .sound == "hda"
  and (.disks | length) == 3
  and .disks[0].format == "qcow2" and .disks[0].target_dev == "hda"
  and .disks[0].bus == "ide" and .disks[0].slot == 0
  and .disks[0].path == "'"$T"'/sys.qcow2"
  and .disks[1].format == "vhd" and .disks[1].target_dev == "hdb"
  and .disks[1].slot == 1
  and .disks[2].device == "cdrom" and .disks[2].target_dev == "hdc"
  and .disks[2].path == "/srv/iso/install.iso" and .disks[2].slot == 2
  and .nics[0].model == "e1000" and .nics[0].mac == "00:16:3e:aa:bb:cc"
  and .nics[0].network == "br0" and .nics[1].model == "xen"
  and .nics[1].network == "xenbr0" and .nics[1].mac == null'
"$V2KVM" --no-convert -i xen hvm.cfg --print-source 2>"$T/err" >/dev/null
assert_grep "warning: hvm.cfg:30: cdrom hdc: /srv/iso/install.iso: No such file" "$T/err"

# PVH: direct kernel boot, tap:aio:, memory as a string.
check pvh.cfg '.name == "pvh-guest" and .xen_pv == true
  and .xen_type == "pvh" and .console == "hvc0"
  and .kernel == "/boot/vmlinuz-6.1.0-18-amd64"
  and .ramdisk == "/boot/initrd.img-6.1.0-18-amd64"
  and .cmdline == "root=/dev/xvda1 ro console=hvc0"
  and .memory_bytes == 1073741824 and .vcpus == 1 and .uuid == null
  and .disks[0].path == "'"$T"'/root.img" and .disks[0].target_dev == "xvda"
  and .nics[0].network == "xenbr0"'

# xm: builder = "hvm", ioemu:hda, hdc:cdrom, stdvga = 1, continuation.
check xm-legacy.cfg '.name == "xm-hvm" and .xen_type == "hvm"
  and .kernel == null and .memory_bytes == 268435456 and .video == "vga"
  and .firmware == "bios" and (.disks | length) == 2
  and .disks[0].target_dev == "hda" and .disks[0].bus == "ide"
  and .disks[1].device == "cdrom" and .disks[1].target_dev == "hdc"
  and .disks[1].path == "/dev/cdrom" and .nics[0].model == "rtl8139"'

# Text output shows the PV facts.
"$V2KVM" --no-convert -i xen pv-pygrub.cfg --print-source >"$T/pv.txt"
assert_grep "Xen type: pv (paravirtualised)" "$T/pv.txt"
assert_grep "console: hvc0" "$T/pv.txt"
assert_grep "0: $T/disk0.img \[raw over file\] disk bus xen slot 0 size 8.0 MiB (xvda)" "$T/pv.txt"

# Full conversions: the disks match the source byte for byte.
mkdir out1 out2
"$V2KVM" --no-convert -q -i xen pv-pygrub.cfg -o local -os out1
qemu-img compare -q -f raw -F qcow2 disk0.img out1/debian-pv-sda ||
    fail "pv: disk 1 differs"
# No format=: Xen reads data.qcow2 as raw, and so do we (item 2 of
# issue #13; test-xen-default-raw.sh).
qemu-img compare -q -f raw -F qcow2 data.qcow2 out1/debian-pv-sdb ||
    fail "pv: disk 2 differs"
"$V2KVM" --no-convert -q -i xen hvm.cfg -o local -os out2 2>/dev/null
qemu-img compare -q -f qcow2 -F qcow2 sys.qcow2 out2/win-hvm-sda ||
    fail "hvm: disk 1 differs"
qemu-img compare -q -f vpc -F qcow2 data.vhd out2/win-hvm-sdb ||
    fail "hvm: disk 2 differs"
[ "$(ls out2 | sort | tr '\n' ' ')" = "win-hvm-sda win-hvm-sdb win-hvm.xml " ] ||
    fail "hvm: outputs $(ls out2)"
for x in out1/debian-pv.xml out2/win-hvm.xml; do
    virt-xml-validate "$x" >/dev/null 2>&1 || fail "$x: virt-xml-validate"
done
[ "$(sha256sum disk0.img data.qcow2 sys.qcow2 data.vhd)" = "$sum_before" ] ||
    fail "the source changed"

# Bad input: one line naming the file and the line.
bad() {     # bad NAME PATTERN  (config on stdin)
    cat >"$1"
    expect_fail "$V2KVM" --no-convert -i xen "$1" --print-source
    grep -q "^v2kvm: error: -i xen: $2" "$T/err" ||
        { cat "$T/err" >&2; fail "$1: no error matching '$2'"; }
    [ "$(wc -l <"$T/err")" = 1 ] || fail "$1: more than one line"
}
printf 'name = "x"\nmemory = 512 512\n' |
    bad s1.cfg "s1.cfg:2: expected the end of the setting, found '5'"
printf 'name = "x\nmemory = 512\n' |
    bad s2.cfg "s2.cfg:1: unterminated string"
printf 'name = "x"\n\n\ndisk = [ "a",\n  "b"\n' |
    bad s3.cfg "s3.cfg:6: expected ',' or ']' in a list, found the end of the file"
printf '# c\n\n= 4\n' | bad s4.cfg "s4.cfg:3: expected a setting (KEY = VALUE), found '='"
printf 'name = "x" \\\n  memory = 4\n' | bad s5.cfg "s5.cfg:2: expected the end of the setting, found 'm'"
printf 'name = "a\\qb"\n' | bad s6.cfg "s6.cfg:1: unknown escape '\\\\q'"
printf 'name = "x"\nmemory =\n' | bad s7.cfg "s7.cfg:2: expected a value"
printf 'name = "x"\nmemory = 512\ndisk = [ "vdev=xvda,format=raw" ]\n' |
    bad nt.cfg "nt.cfg:3: disk 'vdev=xvda,format=raw': no target"
printf 'name = "x"\nmemory = 512\ndisk = [ ",,xvda" ]\n' |
    bad nt2.cfg "nt2.cfg:3: disk ',,xvda': no target"
printf 'name = "x"\nmemory = 512\ndisk = [ "disk0.img" ]\n' |
    bad nv.cfg "nv.cfg:3: disk 'disk0.img': no vdev"
printf 'name = "x"\nmemory = 0\ndisk = [ "disk0.img,,xvda" ]\n' |
    bad m0.cfg "m0.cfg:2: memory: 0 MiB is out of range"
printf 'name = "x"\nmemory = 512\nmaxmem = 99999999999\ndisk = [ "disk0.img,,xvda" ]\n' |
    bad m1.cfg "m1.cfg:3: maxmem: 99999999999 MiB is out of range"
printf 'name = "x"\nmemory = 99999999999999999999999\n' |
    bad m2.cfg "m2.cfg:2: memory: '99999999999999999999999' is not a whole number"
printf 'name = "x"\nmemory = "lots"\n' |
    bad m3.cfg "m3.cfg:2: memory: 'lots' is not a whole number"
printf 'name = "x"\nmemory = 512\nvcpus = 0\ndisk = [ "disk0.img,,xvda" ]\n' |
    bad v0.cfg "v0.cfg:3: vcpus: 0 is out of range"
printf 'name = "x"\ndisk = [ "disk0.img,,xvda" ]\n' |
    bad nomem.cfg "nomem.cfg: no memory setting (give --memory)"
"$V2KVM" --no-convert -i xen nomem.cfg --memory 1G --print-source >/dev/null ||
    fail "--memory does not fill a missing memory setting"
printf 'name = "x"\nmemory = 512\n\ndisk = [ "disk0.img,,xvda",\n "missing.img,,xvdb" ]\n' |
    bad miss.cfg "miss.cfg:5: disk xvdb: $T/missing.img: No such file or directory"
printf 'name = "x"\nmemory = 512\ndisk = [ "disk0.img,qed,xvda" ]\n' |
    bad qed.cfg "qed.cfg:3: disk: format 'qed' is not supported"
printf 'name = "x"\nmemory = 512\ndisk = "disk0.img,,xvda"\n' |
    bad nl.cfg "nl.cfg:3: disk: expected a list"
printf 'name = "x"\nmemory = 512\ndisk = [ "disk0.img,,xvda" ]\nvif = [ "mac=00:16:3e:zz:00:00" ]\n' |
    bad mac.cfg "mac.cfg:4: vif: mac '00:16:3e:zz:00:00' is not a MAC address"
printf 'name = "x"\ntype = "hvm"\ntype = "pvm"\n' |
    bad ty.cfg "ty.cfg:3: type: 'pvm' is not pv, pvh or hvm"
printf 'name = "x"\0\n' | bad nul.cfg "nul.cfg: not a text file (NUL byte at offset 10)"
head -c $((1100 * 1024)) /dev/zero | tr '\0' '#' | bad big.cfg "big.cfg: file is 1126400 bytes, more than the 1048576 allowed"
expect_fail "$V2KVM" --no-convert -i xen pv-pygrub.cfg hvm.cfg --print-source
assert_grep "give one xl.cfg file" "$T/err"
echo "test-xen: ok"
