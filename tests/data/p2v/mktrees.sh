#!/bin/bash
# mktrees.sh - (re)write the captured /sys + /proc trees of
# tests/p2v/test-discover.c and test-p2v-cli.sh, one directory per case.
# The trees are committed; this script is how they were written, kept so
# that a change to them is a reviewed diff.  The shapes follow a real
# kernel's sysfs (Documentation/ABI/stable/sysfs-block, sysfs-class-net):
# sys/block/X and sys/class/*/X are relative symlinks into sys/devices,
# a disk's "device" links its SCSI/NVMe/MMC device, partitions are
# subdirectories with a "partition" file, slaves/ and holders/ link the
# stacked devices, sys/dev/block/M:m links every disk and partition, and
# a NIC on a bus has a "device" link (virtual ones live under
# devices/virtual/net without one).
#
#   bash tests/data/p2v/mktrees.sh      (from anywhere)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
R=

put() {                         # put FILE CONTENT...
    mkdir -p "$(dirname "$R/$1")"
    printf '%s\n' "$2" > "$R/$1"
}
link() {                        # link TARGET LINKNAME (both under $R)
    mkdir -p "$(dirname "$R/$2")" "$R/$1"
    ln -sfnr "$R/$1" "$R/$2"
}

# disk DEVDIR NAME MAJ MIN SECTORS [REMOVABLE] - a whole disk under the
# device directory DEVDIR (relative to sys/devices).
disk() {
    local dir=sys/devices/$1/block/$2
    put "$dir/size" "$5"
    put "$dir/dev" "$3:$4"
    put "$dir/removable" "${6:-0}"
    put "$dir/ro" 0
    mkdir -p "$R/$dir/slaves" "$R/$dir/holders"
    link "$dir" "sys/block/$2"
    link "$dir" "sys/class/block/$2"
    link "$dir" "sys/dev/block/$3:$4"
    if [ "${1#virtual}" = "$1" ]; then
        link "sys/devices/$1" "$dir/device"
    fi
}

# part DISK NAME MAJ MIN SECTORS - a partition of the disk DISK.
part() {
    local dir
    dir=$(cd "$R/sys/block/$1" && pwd -P)
    dir=${dir#"$(cd "$R" && pwd -P)/"}/$2
    put "$dir/partition" "${2##*[!0-9]}"
    put "$dir/size" "$5"
    put "$dir/dev" "$3:$4"
    link "$dir" "sys/class/block/$2"
    link "$dir" "sys/dev/block/$3:$4"
}

# stack HOLDER SLAVE: HOLDER (a sys/block name) sits on SLAVE (a disk or
# partition name).
stack() {
    local h s
    h=$(cd "$R/sys/block/$1" && pwd -P)
    s=$(cd "$R/sys/class/block/$2" && pwd -P)
    mkdir -p "$h/slaves" "$s/holders"
    ln -sfnr "$s" "$h/slaves/$2"
    ln -sfnr "$h" "$s/holders/$1"
}

scsi() {                        # scsi DEVDIR MODEL SERIAL
    put "sys/devices/$1/vendor" "ATA     "
    put "sys/devices/$1/model" "$2"
    if [ -n "$3" ]; then
        # VPD page 0x80: qualifier/type, page code, length (2 bytes),
        # then the serial, padded with blanks on the left as drives do.
        printf '\x00\x80\x00\x14%20s' "$3" > "$R/sys/devices/$1/vpd_pg80"
    fi
}

cpus() {                        # cpus SOCKETS CORES THREADS
    local s c t n=0
    for ((s = 0; s < $1; s++)); do
        for ((t = 0; t < $3; t++)); do
            for ((c = 0; c < $2; c++)); do
                put "sys/devices/system/cpu/cpu$n/topology/physical_package_id" "$s"
                put "sys/devices/system/cpu/cpu$n/topology/core_id" "$c"
                n=$((n + 1))
            done
        done
    done
    put sys/devices/system/cpu/online "0-$((n - 1))"
}

cpuinfo() {                     # cpuinfo SOCKETS CORES THREADS
    local s c t n=0
    : > "$R/proc/cpuinfo"
    for ((s = 0; s < $1; s++)); do
        for ((c = 0; c < $2 * $3; c++)); do
            cat >> "$R/proc/cpuinfo" <<EOF
processor	: $n
vendor_id	: GenuineIntel
cpu family	: 6
model		: 85
model name	: Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz
physical id	: $s
siblings	: $(($2 * $3))
core id		: $((c % $2))
cpu cores	: $2
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep lm constant_tsc

EOF
            n=$((n + 1))
        done
    done
}

meminfo() {                     # meminfo KB
    put proc/meminfo "MemTotal:       $1 kB
MemFree:         1234567 kB
MemAvailable:    2345678 kB"
}

# nic NAME PCIDEV DRIVER MAC OPERSTATE CARRIER SPEED
nic() {
    local dir=sys/devices/pci0000:00/$2/net/$1
    put "$dir/address" "$4"
    put "$dir/operstate" "$5"
    [ -n "$6" ] && put "$dir/carrier" "$6"
    put "$dir/speed" "$7"
    put "$dir/uevent" "INTERFACE=$1
IFINDEX=2"
    mkdir -p "$R/sys/bus/pci/drivers/$3"
    link "sys/devices/pci0000:00/$2" "$dir/device"
    link "sys/bus/pci/drivers/$3" "sys/devices/pci0000:00/$2/driver"
    link "$dir" "sys/class/net/$1"
}

vnic() {                        # vnic NAME MAC [EXTRA-FILE CONTENT]
    local dir=sys/devices/virtual/net/$1
    put "$dir/address" "$2"
    put "$dir/operstate" unknown
    put "$dir/uevent" "INTERFACE=$1${5:+
$5}"
    [ -n "${3:-}" ] && put "$dir/$3" "$4"
    link "$dir" "sys/class/net/$1"
}

newcase() {
    R=$here/$1
    rm -rf "$R"
    mkdir -p "$R/proc/self" "$R/proc/sys/kernel"
    put proc/sys/kernel/hostname "$1"
    put proc/mounts "overlay / overlay rw,noatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0"
}

ATA1=pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0
ATA2=pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0
ATA3=pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0

# -- two SATA disks, a DVD drive, a loop device; 2 x 4 x 2 CPUs, BIOS;
#    every kind of interface
newcase two-sata
cpus 2 4 2
cpuinfo 2 4 2
meminfo 16318520
disk "$ATA1" sda 8 0 976773168
scsi "$ATA1" "Samsung SSD 860" S3Z9NB0K123456A
part sda sda1 8 1 2048
disk "$ATA2" sdb 8 16 3907029168
scsi "$ATA2" "WDC WD20EFRX-68E" WD-WCC4M1234567
disk "$ATA3" sr0 11 0 2097151 1
put "sys/devices/$ATA3/model" "DVD+-RW GH24NSD1"
disk virtual loop0 7 0 0
nic eth0 0000:00:19.0 e1000e 00:1B:21:AA:BB:01 up 1 1000
nic enp2s0 0000:02:00.0 igb 00:1b:21:aa:bb:02 down "" -1
put "sys/devices/pci0000:00/0000:02:00.0/net/enp2s0/bonding_slave/perm_hwaddr" \
    00:1b:21:aa:bb:03
vnic lo 00:00:00:00:00:00
vnic br0 52:54:00:00:00:01 bridge/bridge_id 8000.525400000001
vnic bond0 00:1b:21:aa:bb:02 bonding/mode "active-backup 1"
vnic eth0.100 00:1b:21:aa:bb:01 "" "" DEVTYPE=vlan
vnic tap0 fe:00:00:00:00:01 tun_flags 0x1002

# -- md RAID1 over sda1 + sdb1 (and sda2/sdb2 unmirrored); UEFI
newcase md-raid1
cpus 1 2 1
meminfo 8048420
put sys/firmware/efi/fw_platform_size 64
disk "$ATA1" sda 8 0 488397168
scsi "$ATA1" "ST250DM000" Z3T12345
part sda sda1 8 1 400000000
part sda sda2 8 2 88000000
disk "$ATA2" sdb 8 16 488397168
scsi "$ATA2" "ST250DM000" Z3T67890
part sdb sdb1 8 17 400000000
part sdb sdb2 8 18 88000000
disk virtual md0 9 0 399998976
put sys/devices/virtual/block/md0/md/level raid1
put sys/devices/virtual/block/md0/md/raid_disks 2
stack md0 sda1
stack md0 sdb1

# -- LVM: VG vg0 (root, swap) on sda2; VG my-data on sdb1 + sdc (two
#    disks); a dm-crypt device on sdd
newcase lvm
cpus 1 4 1
meminfo 3919284
disk "$ATA1" sda 8 0 125829120
part sda sda1 8 1 1048576
part sda sda2 8 2 124778496
disk "$ATA2" sdb 8 16 209715200
part sdb sdb1 8 17 209713152
disk "$ATA3" sdc 8 32 209715200
ATA4=pci0000:00/0000:00:1f.2/ata4/host3/target3:0:0/3:0:0:0
disk "$ATA4" sdd 8 48 20971520
disk virtual dm-0 253 0 100000000
put sys/devices/virtual/block/dm-0/dm/name vg0-root
put sys/devices/virtual/block/dm-0/dm/uuid LVM-q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m6q7w8e9r0t1
stack dm-0 sda2
disk virtual dm-1 253 1 8388608
put sys/devices/virtual/block/dm-1/dm/name vg0-swap
put sys/devices/virtual/block/dm-1/dm/uuid LVM-q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m6q7w8e9r0t2
stack dm-1 sda2
disk virtual dm-2 253 2 419426304
put sys/devices/virtual/block/dm-2/dm/name my--data-lv--big
put sys/devices/virtual/block/dm-2/dm/uuid LVM-a1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m6q7w8e9r0t1y2u3i4o5p6a7s8d9f0g1
stack dm-2 sdb1
stack dm-2 sdc
disk virtual dm-3 253 3 20967424
put sys/devices/virtual/block/dm-3/dm/name luks-secret
put sys/devices/virtual/block/dm-3/dm/uuid CRYPT-LUKS2-0123456789abcdef0123456789abcdef-luks-secret
stack dm-3 sdd

# -- NVMe only: the namespace nvme0n1 and its controller path nvme0c0n1;
#    no sys/devices/system/cpu (topology from cpuinfo, 1 x 4 x 2)
newcase nvme
cpuinfo 1 4 2
meminfo 32684948
put sys/firmware/efi/fw_platform_size 64
NVME=pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0
disk "$NVME" nvme0n1 259 0 1000215216
part nvme0n1 nvme0n1p1 259 1 1048576
part nvme0n1 nvme0n1p2 259 2 999164592
put "sys/devices/$NVME/model" "Samsung SSD 970 EVO Plus 500GB"
put "sys/devices/$NVME/serial" "S4EVNX0N123456P     "
disk "$NVME" nvme0c0n1 0 0 1000215216
put sys/devices/$NVME/nvme0c0n1/hidden 1

# -- eMMC: mmcblk0 and its boot and RPMB areas
newcase mmc
cpus 1 4 1
meminfo 3869000
MMC=platform/fe320000.mmc/mmc_host/mmc1/mmc1:0001
disk "$MMC" mmcblk0 179 0 30535680
part mmcblk0 mmcblk0p1 179 1 524288
put "sys/devices/$MMC/name" "DG4016"
put "sys/devices/$MMC/serial" 0x1a2b3c4d
disk "$MMC" mmcblk0boot0 179 8 8192
disk "$MMC" mmcblk0boot1 179 16 8192
disk "$MMC" mmcblk0rpmb 179 24 8192

# -- dm-multipath: a SAS LUN seen on sdb and sdc, offered once as mpatha
newcase multipath
cpus 2 8 1
meminfo 65843212
disk "$ATA1" sda 8 0 468862128
scsi "$ATA1" "INTEL SSDSC2KB24" BTYF12345678240AGN
SAS1=pci0000:00/0000:00:03.0/0000:04:00.0/host4/port-4:0/end_device-4:0/target4:0:0/4:0:0:0
SAS2=pci0000:00/0000:00:03.0/0000:04:00.0/host4/port-4:1/end_device-4:1/target4:0:1/4:0:1:0
disk "$SAS1" sdb 8 16 2147483648
put "sys/devices/$SAS1/model" "MSA 2040 SAN"
put "sys/devices/$SAS1/wwid" naa.600c0ff0001234560000000000000000
disk "$SAS2" sdc 8 32 2147483648
put "sys/devices/$SAS2/model" "MSA 2040 SAN"
put "sys/devices/$SAS2/wwid" naa.600c0ff0001234560000000000000000
disk virtual dm-0 253 0 2147483648
put sys/devices/virtual/block/dm-0/dm/name mpatha
put sys/devices/virtual/block/dm-0/dm/uuid mpath-3600c0ff0001234560000000000000000
stack dm-0 sdb
stack dm-0 sdc

# -- booted from a USB stick: sdc (removable, usb) carries the live
#    medium on sdc1 (mountinfo by major:minor, mounts by name); sdd is
#    an empty card reader
usb_boot() {
    cpus 1 2 2
    meminfo 7990000
    disk "$ATA1" sda 8 0 976773168
    scsi "$ATA1" "Crucial CT500MX5" 1234E5678ABC
    USB=pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0
    disk "$USB" sdc 8 32 60062500 1
    put "sys/devices/$USB/model" "Ultra Fit"
    part sdc sdc1 8 33 60060452
    USB2=pci0000:00/0000:00:14.0/usb1/1-4/1-4:1.0/host7/target7:0:0/7:0:0:0
    disk "$USB2" sdd 8 48 0 1
    put "sys/devices/$USB2/model" "SD/MMC Reader"
}
newcase usb-boot
usb_boot
put proc/self/mountinfo "22 1 0:21 / / rw,noatime - overlay overlay rw,lowerdir=/run/live/rootfs/filesystem.squashfs
25 22 8:33 / /run/live/medium ro,noatime shared:7 - iso9660 /dev/disk/by-label/V2KVM ro
26 22 7:0 / /run/live/rootfs/filesystem.squashfs ro,noatime - squashfs /dev/loop0 ro"
put proc/mounts "overlay / overlay rw,noatime 0 0
/dev/disk/by-label/V2KVM /run/live/medium iso9660 ro,noatime 0 0"

# -- the same, but only proc/mounts, an old live-boot mount point, and
#    the medium named by its /dev name
newcase usb-boot-mounts
usb_boot
put proc/mounts "overlay / overlay rw,noatime 0 0
/dev/sdc1 /lib/live/mount/medium vfat ro,noatime 0 0"
echo "wrote the trees under $here"
