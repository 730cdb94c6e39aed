#!/bin/bash
# mkseeds.sh FMT DIR - write a seed corpus for fuzz-FMT into DIR: small
# images made by qemu-img/qemu-io (a few KiB to a few MiB), covering the
# variants of the format (cluster sizes, compression, zero clusters,
# subformats, backing names).  FMT "probe" gets every format's seeds.
# Also seeds for fuzz-tar, fuzz-cpio and fuzz-manifest (archives and
# manifests), fuzz-parttable (disk starts) and fuzz-fatdir (EFI system
# partitions), fuzz-jsonline, fuzz-p2vcmdline and fuzz-p2vondisk (the
# P2V client's JSON lines, kernel command lines and disk metadata).  A format without a recipe here
# is an error, not a silent skip.
set -euo pipefail
fmt=$1 dir=$2
lib=$(cd "$(dirname "$0")/../lib" && pwd)
src=$(cd "$lib/../.." && pwd)
mkdir -p "$dir"
w=$(mktemp -d "${TMPDIR:-/tmp}/v2k-seeds.XXXXXX")
mkdir "$w/vdi" "$w/vdic" "$w/vhd" "$w/vhdd" "$w/vs" "$w/ve"
trap 'rm -rf "$w"' EXIT

# pattern IMG QFMT: a few writes (data, a zero run, an unaligned tail).
pattern() {
    qemu-io -f "$2" -c 'write -P 0xa5 0 4k' -c 'write -P 0x5a 70k 9k' \
        -c 'write -z 128k 64k' -c 'write -P 0xc3 900k 1k' "$1" >/dev/null
}

# mk NAME QFMT OPTS: create a 1 MiB image, fill it, keep it as a seed.
mk() {
    local name=$1 q=$2 o=$3 f=$w/$1
    qemu-img create -q -f "$q" ${o:+-o "$o"} "$f" 1M
    pattern "$f" "$q"
    cp "$f" "$dir/$name"
}

# conv NAME QFMT OPTS: convert the filled raw image (compressed and
# stream-optimized variants can only be written this way).
conv() {
    qemu-img convert -q -f raw -O "$2" ${3:+-o "$3"} "$w/base.raw" \
        "$dir/$1"
}

qemu-img create -q -f raw "$w/base.raw" 1M
pattern "$w/base.raw" raw

seeds_raw() {
    head -c 4096 "$w/base.raw" >"$dir/raw-4k"
    head -c 65536 "$w/base.raw" >"$dir/raw-64k"
}

seeds_qcow2() {
    mk qcow2-c512 qcow2 cluster_size=512
    mk qcow2-c4k qcow2 cluster_size=4096
    mk qcow2-v2 qcow2 compat=0.10,cluster_size=4096
    mk qcow2-l2ext qcow2 extended_l2=on,cluster_size=16384
    mk qcow2-refbits qcow2 refcount_bits=1,cluster_size=1024
    conv qcow2-zlib qcow2 cluster_size=4096,compression_type=zlib
    qemu-img convert -q -c -f raw -O qcow2 \
        -o cluster_size=4096,compression_type=zlib "$w/base.raw" \
        "$dir/qcow2-deflate"
    qemu-img convert -q -c -f raw -O qcow2 \
        -o cluster_size=4096,compression_type=zstd "$w/base.raw" \
        "$dir/qcow2-zstd"
    # A backing name (the memory transport refuses to follow it).
    qemu-img create -q -f qcow2 -o cluster_size=4096 -b base.raw -F raw \
        "$w/top.qcow2" 1M
    qemu-io -f qcow2 -c 'write -P 0x11 8k 4k' "$w/top.qcow2" >/dev/null
    cp "$w/top.qcow2" "$dir/qcow2-backing"
}

seeds_vmdk() {
    mk vmdk-sparse vmdk subformat=monolithicSparse
    conv vmdk-stream vmdk subformat=streamOptimized
    qemu-img create -q -f vmdk -o subformat=monolithicFlat "$w/flat.vmdk" 1M
    cp "$w/flat.vmdk" "$dir/vmdk-descriptor"
    qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse \
        "$w/split.vmdk" 1M
    cp "$w/split.vmdk" "$dir/vmdk-descriptor-split"
    python3 "$lib/mkvmdk.py" stream "$w/vs" >/dev/null
    cp "$w/vs/stream.vmdk" "$dir/vmdk-stream-footer"
    python3 "$lib/mkvmdk.py" esx "$w/ve" >/dev/null
    cp "$w/ve/esx-000001.vmdk" "$dir/vmdk-descriptor-vmfs"
    cp "$w/ve/esx-000001-delta.vmdk" "$dir/vmdk-cowd"
}

# Empty images too: small inputs keep libFuzzer fast on the headers.
seeds_vdi() {
    qemu-img create -q -f vdi "$dir/vdi-empty" 1M
    mk vdi-dynamic vdi ""
    mk vdi-static vdi static=on
    # From the fixture generator: extra block bytes, blocks out of order,
    # a differencing image (its parent cannot be opened here).
    python3 "$lib/mkvdi.py" extra "$w/vdi" >/dev/null
    cp "$w/vdi/extra.vdi" "$dir/vdi-extra"
    top=$(python3 "$lib/mkvdi.py" chain "$w/vdic")
    cp "$top" "$dir/vdi-diff"
}

seeds_vhd() {
    qemu-img create -q -f vpc "$dir/vhd-empty" 1M
    mk vhd-dynamic vpc subformat=dynamic
    qemu-img create -q -f vpc -o subformat=fixed "$w/fixed.vhd" 512K
    qemu-io -f vpc -c 'write -P 0x77 0 4k' "$w/fixed.vhd" >/dev/null
    cp "$w/fixed.vhd" "$dir/vhd-fixed"
    python3 "$lib/mkvhd.py" bits "$w/vhd" >/dev/null
    cp "$w/vhd/bits.vhd" "$dir/vhd-bits"
    python3 "$lib/mkvhd.py" diff "$w/vhdd" >/dev/null
    cp "$w/vhdd/child.vhd" "$dir/vhd-diff"
}

# VHDX regions are 1 MiB aligned (MS-VHDX 2.2), so the smallest valid
# image is a few MiB: the fuzz runner raises -max_len for it.
seeds_vhdx() {
    qemu-img create -q -f vhdx -o block_size=1048576,log_size=1048576 \
        "$dir/vhdx-empty" 1M
    mk vhdx-dynamic vhdx block_size=1048576,log_size=1048576
    # A log to replay (the fixture generator's dirty image).
    python3 "$lib/mkvhdx.py" dirty --out "$w/dirty.vhdx" \
        --old "$w/old.raw" --expect "$w/new.raw" >/dev/null
    cp "$w/dirty.vhdx" "$dir/vhdx-dirty"
}

# Tars as OVAs are written (ustar, GNU and pax long names, a member
# over a sparse gap), small: the walker reads headers, not data.
seeds_tar() {
    local t=$w/tar
    mkdir -p "$t/sub"
    cp "$src/tests/data/ova/esxi.ovf" "$t/vm.ovf"
    printf 'disk one\n' >"$t/vm-disk1.vmdk"
    : >"$t/empty.mf"
    printf 'x%.0s' $(seq 120) >"$t/sub/$(printf 'n%.0s' $(seq 110))"
    (cd "$t" && tar --format=ustar -b1 -cf "$dir/tar-ustar" vm.ovf vm-disk1.vmdk)
    (cd "$t" && tar --format=gnu -b1 -cf "$dir/tar-gnu-longname" vm.ovf sub)
    (cd "$t" && tar --format=pax -b1 -cf "$dir/tar-pax" vm.ovf sub empty.mf)
    (cd "$t" && tar --format=v7 -b1 -cf "$dir/tar-v7" vm-disk1.vmdk)
    head -c 1024 "$dir/tar-ustar" >"$dir/tar-truncated"
}

# newc archives as dracut and initramfs-tools write them: an early
# uncompressed one (microcode), zero padding, then a compressed one.
seeds_cpio() {
    local c=$w/cpio
    mkdir -p "$c/lib/modules/6.1.0/kernel/drivers/block" "$c/kernel/x86"
    printf 'ko' >"$c/lib/modules/6.1.0/kernel/drivers/block/virtio_blk.ko"
    printf 'ko' >"$c/lib/modules/6.1.0/kernel/drivers/block/nvme.ko.xz"
    printf 'ucode' >"$c/kernel/x86/microcode.bin"
    (cd "$c" && find lib | cpio -o -H newc --quiet >"$w/mods.cpio")
    (cd "$c" && find kernel | cpio -o -H newc --quiet >"$w/early.cpio")
    cp "$w/mods.cpio" "$dir/cpio-newc"
    (cd "$c" && find kernel | cpio -o -H crc --quiet >"$dir/cpio-crc")
    { cat "$w/early.cpio"; head -c 512 /dev/zero; cat "$w/mods.cpio"; } \
        >"$dir/cpio-concat"
    { cat "$w/early.cpio"; gzip -9 -n -c "$w/mods.cpio"; } >"$dir/cpio-gzip"
    { cat "$w/early.cpio"; zstd -q -c "$w/mods.cpio"; } >"$dir/cpio-zstd"
    { cat "$w/early.cpio"; xz -c "$w/mods.cpio"; } >"$dir/cpio-xz"
}

# Manifests of the package fuzz-manifest.c makes (keep in step): files
# pkg.ovf, disk1.vmdk, empty.img, sub/disk2.vmdk.
seeds_manifest() {
    local m=$w/mf
    mkdir -p "$m/sub"
    printf '<Envelope/>\n' >"$m/pkg.ovf"
    printf 'disk one\n' >"$m/disk1.vmdk"
    : >"$m/empty.img"
    cp "$m/disk1.vmdk" "$m/sub/disk2.vmdk"
    (cd "$m" && for f in pkg.ovf disk1.vmdk empty.img; do
         echo "SHA1($f)= $(sha1sum <"$f" | cut -d' ' -f1)"; done) \
        >"$dir/mf-sha1"
    (cd "$m" && for f in pkg.ovf disk1.vmdk sub/disk2.vmdk; do
         echo "SHA256($f)= $(sha256sum <"$f" | cut -d' ' -f1)"; done) \
        >"$dir/mf-sha256"
    sed 's/$/\r/' "$dir/mf-sha256" >"$dir/mf-crlf"
    printf 'SHA1(disk1.vmdk)= %040d\n' 0 >"$dir/mf-mismatch"
    printf 'SHA256(missing.vmdk)= %064d\n' 0 >"$dir/mf-missing"
}

# Disk starts (64 KiB: what firmware.c reads) with the partition tables
# sfdisk writes: GPT with an ESP, GPT with a BIOS boot partition and
# boot code, MBR with an ESP, MBR with boot code (4096-byte sectors:
# Debian 12's sfdisk cannot make them; test-parttable.c builds one).
seeds_parttable() {
    local d=$w/pt
    mkdir -p "$d"
    pt() {      # pt NAME SFDISK-SCRIPT
        truncate -s 64M "$d/$1"
        printf '%b' "$2" | sfdisk -q "$d/$1" >/dev/null
        head -c 65536 "$d/$1" >"$dir/pt-$1"
    }
    pt gpt-esp 'label: gpt\nsize=8M, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\ntype=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n'
    pt gpt-bios 'label: gpt\nsize=1M, type=21686148-6449-6E6F-744E-656564454649\ntype=0FC63DAF-8483-4772-8E79-3D69D8477DE4, attrs=LegacyBIOSBootable\n'
    printf '\xeb\x63\x90' | dd of="$dir/pt-gpt-bios" conv=notrunc status=none
    pt mbr-esp 'label: dos\nsize=8M, type=ef\ntype=83, bootable\n'
    pt mbr-boot 'label: dos\ntype=83, bootable\n'
    printf '\xfa\x31\xc0' | dd of="$dir/pt-mbr-boot" conv=notrunc status=none
}

# EFI system partitions (fuzz-fatdir: the first MiB of a volume, the rest
# reads as zeros): mkfs.fat FAT12, FAT16 and FAT32 (one FAT, 512-byte
# clusters, so that the directories fall inside the first MiB) with
# \EFI\debian\grubx64.efi, \EFI\BOOT\BOOTX64.EFI, or nothing.
seeds_fatdir() {
    local d=$w/fat
    mkdir -p "$d"
    echo x >"$d/grubx64.efi"
    echo x >"$d/BOOTX64.EFI"
    echo c >"$d/grub.cfg"
    fat() {     # fat NAME MKFS-ARGS KIB [DIR FILE...]
        local name=$1 args=$2 kib=$3 dir=${4:-}
        shift 3; [ $# -gt 0 ] && shift
        rm -f "$d/img"
        PATH=$PATH:/usr/sbin:/sbin mkfs.fat -C $args "$d/img" "$kib" \
            >/dev/null
        if [ -n "$dir" ]; then
            MTOOLS_SKIP_CHECK=1 mmd -i "$d/img" ::/EFI "::/EFI/$dir"
            for f in "$@"; do
                MTOOLS_SKIP_CHECK=1 mcopy -i "$d/img" "$d/$f" "::/EFI/$dir/"
            done
        fi
        head -c $((1 << 20)) "$d/img" >"$dir_out/fat-$name"
    }
    local dir_out=$dir
    fat 12-debian "-F 12" 1024 debian grub.cfg grubx64.efi
    fat 12-empty "-F 12" 1024
    fat 16-boot "-F 16 -f 1 -s 1" 4096 BOOT BOOTX64.EFI
    fat 16-cfg "-F 16 -f 1 -s 1" 4096 debian grub.cfg
    fat 32-debian "-F 32 -f 1 -s 1" 34000 debian grub.cfg grubx64.efi
}

# Lines v2kvm --machine-readable sends the P2V client (fuzz-jsonline;
# session.c reads type, label, done, total, time and message), and
# hostile ones: nesting, escapes, cut lines, wrong member types.
seeds_jsonline() {
    local i=0
    while IFS= read -r l; do
        printf '%s' "$l" >"$dir/jl-$((i++))"
    done <<'EOF_JL'
{"type":"progress","label":"disk 1/2","done":1048576,"total":2097152,"percent":50.000,"mib_per_s":12.34,"time":1.5}
{"type":"message","message":"Inspecting the source: Debian 12"}
{"type":"warning","message":"a \"q\" \u00e9\n\t\/\\ \u0041"}
{"type":"error","message":"cannot open /dev/sda: Permission denied"}
{"type":"progress","nested":{"type":"x","a":[1,{"b":"}"}]},"label":"sda","done":-0.5e+3,"total":1E9,"time":null,"ok":true,"no":false}
{ "type" : "done" , "" : "" , "status" : 0 }
{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"type":"x"}
{"type":"\u12"}
{"type":"a\
#status 0
#log v2kvm: error: no such output
EOF_JL
}

# Kernel command lines of the P2V boot image (fuzz-p2vcmdline): every
# v2kvm.* setting (config.h), quotes around words and values, and bad
# words (config.c's errors).
seeds_p2vcmdline() {
    local i=0
    while IFS= read -r l; do
        printf '%s\n' "$l" >"$dir/cl-$((i++))"
    done <<'EOF_CL'
BOOT_IMAGE=/live/vmlinuz boot=live components quiet console=ttyS0,115200 v2kvm.server=10.0.2.2 v2kvm.port=2222 v2kvm.user=conv v2kvm.identity=https://keys.example/id v2kvm.hostkey=SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG v2kvm.disks=sda,nvme0n1 v2kvm.o=local v2kvm.os=/srv/vms v2kvm.of=raw v2kvm.name="db 01" v2kvm.poweroff=0 "v2kvm.remote=sudo -n v2kvm" v2kvm.reconnect=600
v2kvm.server=[fe80::1%eth0] v2kvm.password_file=/run/pw v2kvm.known_hosts=/etc/ssh/known v2kvm.network=br0 v2kvm.poweroff
v2kvm.server=h v2kvm.identity=/k v2kvm.password_file=/p
quiet splash
v2kvm.sever=h
v2kvm.port=0 v2kvm.port=65536 v2kvm.port=22x
v2kvm.server=-oProxyCommand=x
v2kvm.user=root@evil
v2kvm.hostkey=MD5:aa
v2kvm.disks=sda,,sdb
v2kvm.disks=../etc
v2kvm.disks=
v2kvm.poweroff=maybe
v2kvm.reconnect=0
v2kvm.name="unclosed
EOF_CL
}

# Batch plans (fuzz-plan): the shipped example, and small plans with
# each kind of block and each kind of error (tests/batch/test-plan.c's).
seeds_plan() {
    local i=0
    cp "$src/batch/examples/plan.yaml" "$dir/plan-example"
    while IFS= read -r l; do
        printf '%b' "$l" >"$dir/plan-$((i++))"
    done <<'EOF_PLAN'
version: 1\nsources:\n  s: {kind: libvirt, uri: "esx://root@h", password_file: /etc/hostname}\ntargets:\n  t: {kind: libvirt, uri: "qemu:///system"}\nvms:\n  - {name: a, source: s, target: t, vm: a}\n
version: 1\nsources: {d: {kind: disk, format: raw}}\ntargets: {t: {kind: local, storage: /tmp}}\nnetwork_maps:\n  n:\n    - {source: VM Network, network: default}\n    - {mac: 52-54-00-12-34-56, hostdev: "0000:03:10.1"}\n    - {bridge: br0}\nstorage_maps: {m: [{storage: /tmp}, {source: ds1, storage: /var}]}\nvms:\n  - {name: a, source: d, target: t, disks: [/etc/hostname, "nbd://h/x"], network_map: n, storage_map: m, memory: 4GiB, vcpus: 2, root: /dev/sda2, luks_keys: [{device: /dev/sda2, key_file: /etc/hostname}]}\n
version: 1\nlimits: {max_in_flight: 0, per_source_host_disks: x, memory_budget: 1G, transient_retries: 101}\ndefaults: {source: nope, hooks: {pre: {program: /bin/true, args: [a, b], timeout: 5}}}\nvms: [{name: a}, {name: a}]\n
version: 1\nvms:\n  - &x {name: a}\n  - *x\n
version: 1\nvms: [\n  - a\n
version: 1\n---\nversion: 1\n
version: 1\nsources: {s: {kind: vmx, password: x, colour: 1, ssh_insecure: maybe}}\nvms: [{name: "a\\x1b", source: s, path: "ssh://h/x.vmx", disks: 3}]\n
[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n
version: 1\nversion: 1\n? [a]\n: b\n
EOF_PLAN
}


# Devices the P2V client reads for RAID and LVM metadata
# (fuzz-p2vondisk, p2v/ondisk.h): md superblocks 1.2, 1.1, 1.0 and 0.90
# and an LVM2 PV with a small metadata area, written from the layouts
# (md_p.h; lvm2 label.h, layout.h) with their checksums, each small.
seeds_p2vondisk() {
    python3 - "$dir" <<'EOF_OD'
import os, struct, sys, zlib
d = sys.argv[1]
def md_csum(b):
    s = sum(struct.unpack_from("<%dI" % (len(b) // 4), b))
    if len(b) % 4 == 2:
        s += struct.unpack_from("<H", b, len(b) - 2)[0]
    return ((s & 0xffffffff) + (s >> 32)) & 0xffffffff
def lvm_crc(b):   # lvm2 calc_crc(INITIAL_CRC, ...): no pre/post inversion
    return ~zlib.crc32(b, ~0xf597a6cf & 0xffffffff) & 0xffffffff
def md1(size, off, name, level, disks, role):
    sb = bytearray(4096)
    struct.pack_into("<II", sb, 0, 0xa92b4efc, 1)
    sb[16:32] = bytes(range(16))
    sb[32:32 + len(name)] = name
    struct.pack_into("<i", sb, 72, level)
    struct.pack_into("<I", sb, 92, disks)
    struct.pack_into("<QQQ", sb, 128, 16, max(0, size // 512 - 24), off // 512)
    struct.pack_into("<I", sb, 160, role)
    struct.pack_into("<I", sb, 220, disks)
    for i in range(disks):
        struct.pack_into("<H", sb, 256 + 2 * i, i)
    struct.pack_into("<I", sb, 216, md_csum(bytes(sb[:256 + 2 * disks])))
    img = bytearray(size)
    img[off:off + 4096] = sb
    return img
def md090(size):
    w = [0] * 1024
    w[0], w[2], w[5], w[7], w[9], w[10], w[11] = 0xa92b4efc, 90, 0x12345678, 1, 2, 2, 0
    w[13:16] = [1, 2, 3]
    w[992 + 3], w[992 + 4] = 1, 6
    sb = bytearray(struct.pack("<1024I", *w))
    struct.pack_into("<I", sb, 38 * 4, md_csum(bytes(sb)))
    img = bytearray(size)
    off = (size & ~65535) - 65536
    img[off:off + 4096] = sb
    return img
def pv(text):
    text = text + b"\0"
    mstart, msize = 4096, 12288
    img = bytearray(mstart + msize)
    lab = bytearray(512)
    lab[0:8] = b"LABELONE"
    struct.pack_into("<QII", lab, 8, 1, 0, 32)
    lab[24:32] = b"LVM2 001"
    lab[32:64] = b"A" * 32
    struct.pack_into("<QQQQQQ", lab, 64, len(img), 8192, 0, 0, 0, mstart)
    struct.pack_into("<Q", lab, 112, msize)
    struct.pack_into("<I", lab, 16, lvm_crc(bytes(lab[20:])))
    img[512:1024] = lab
    h = bytearray(512)
    h[4:20] = b" LVM2 x[5A%r0N*>"
    struct.pack_into("<IQQQQI", h, 20, 1, mstart, msize, 512, len(text), lvm_crc(text))
    struct.pack_into("<I", h, 0, lvm_crc(bytes(h[4:])))
    img[mstart:mstart + 512] = h
    img[mstart + 512:mstart + 512 + len(text)] = text
    return img
seeds = {
    "md12": md1(16384, 4096, b"host:0", 1, 2, 0),
    "md11": md1(12288, 0, b"backup", 5, 3, 2),
    "md10": md1(20480 + 1000, (20480 + 1000 - 8192) & ~4095, b"", 10, 4, 3),
    "md090": md090(192 * 1024),
    "pv": pv(b'vg0 {\nid = "abcdef-gh"\nseqno = 1\n# c { "\nphysical_volumes {\npv0 {\nid = "x"\n}\n}\n}\ncontents = "Text Format Volume"\n'),
}
for k, v in seeds.items():
    with open(os.path.join(d, "od-" + k), "wb") as f:
        f.write(v)
EOF_OD
}

case $fmt in
raw|qcow2|vmdk|vdi|vhd|vhdx|tar|cpio|manifest|parttable|fatdir|jsonline|p2vcmdline|plan|p2vondisk)
    "seeds_$fmt" ;;
probe)
    for f in raw qcow2 vmdk vdi vhd vhdx; do "seeds_$f"; done ;;
*)
    echo "mkseeds.sh: no seed recipe for format '$fmt': add one" >&2
    exit 1 ;;
esac
