#!/bin/bash
# -i vmx: .vmx files as ESXi 6.7 (pvscsi + lsisas1068 + SATA CD-ROM, EFI
# with secure boot, two vmxnet3/e1000e NICs, keys in mixed case, |XX
# escapes, a duplicate key) and Workstation 16 (IDE disk that is a
# snapshot delta two levels above its base, NVMe, empty CD-ROM, floppy
# image, bridged/NAT NICs) write them.  --print-source JSON field by
# field, lock-file warnings, an -o local conversion whose disks match the
# source (the flattened chain as mkvmdk.py computes it), and bad input:
# each message names the file and the line or key.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq python3
data=$V2K_SOURCE_DIR/tests/data/vmx
mkvmdk=$V2K_SOURCE_DIR/tests/lib/mkvmdk.py

check() {   # check VMX JQ-EXPR
    "$V2KVM" --no-convert -i vmx "$1" --print-source --machine-readable >"$T/all" \
        2>"$T/warn" || { cat "$T/warn" >&2; fail "$1: --print-source failed"; }
    # Warnings are JSON lines on stdout too: keep them for checks.
    grep '"type":"warning"' "$T/all" >>"$T/warn" || true
    grep -v '"type":"warning"' "$T/all" >"$T/src.json"
    jq -e "$2" "$T/src.json" >/dev/null || fail "$1: $(cat "$T/src.json")"
}

# --- Workstation 16: snapshot chain base <- -000001 <- -000002 --------
ws=$T/ws
mkdir -p "$ws"
python3 "$mkvmdk" chain "$ws"
qemu-img create -q -f vmdk -o subformat=monolithicFlat "$ws/flat.vmdk" 4M
qemu-io -f vmdk -c "write -P 0x42 1M 64k" "$ws/flat.vmdk" >/dev/null
head -c 1474560 /dev/zero >"$ws/boot.flp"
cp "$data/ws16.vmx" "$ws/Windows 10 x64.vmx"
sum_before=$(cat "$ws"/*.vmdk | sha256sum)
check "$ws/Windows 10 x64.vmx" '.name == "Windows 10 x64"
  and .hypervisor == "vmware" and .firmware == "bios"
  and .secure_boot == false and .os_hint == "windows9-64"
  and .memory_bytes == 2147483648 and .vcpus == 2
  and .topology == {"sockets": 0, "cores": 0, "threads": 0}
  and .video == "vmvga" and .sound == "hdaudio"
  and (.disks | length) == 4
  and .disks[0].path == "'"$ws/base-000002.vmdk"'"
  and .disks[0].format == "vmdk" and .disks[0].device == "disk"
  and .disks[0].bus == "ide" and .disks[0].slot == 0
  and .disks[0].size_bytes == 83886080
  and .disks[0].backing_chain == ["'"$ws/base-000001.vmdk"'",
                                  "'"$ws/base.vmdk"'"]
  and .disks[2].backing_chain == []
  and .disks[1].path == null and .disks[1].device == "cdrom"
  and .disks[1].bus == "ide" and .disks[1].slot == 2
  and .disks[2].path == "'"$ws/flat.vmdk"'" and .disks[2].bus == "nvme"
  and .disks[2].slot == 0 and .disks[2].size_bytes == 4194304
  and .disks[3].device == "floppy" and .disks[3].bus == "floppy"
  and .disks[3].path == "'"$ws/boot.flp"'"
  and (.nics | length) == 2
  and .nics[0] == {"mac": "00:0c:29:3a:4b:5c", "network": "bridged",
                   "type": "bridge", "model": "pcnet"}
  and .nics[1] == {"mac": "00:0c:29:3a:4b:66", "network": "nat",
                   "type": "network", "model": "pcnet"}'
# The text form names the snapshot chain too.
"$V2KVM" --no-convert -i vmx "$ws/Windows 10 x64.vmx" --print-source \
    >"$T/src.txt" 2>/dev/null || fail "--print-source (text) failed"
assert_grep "base-000002.vmdk.* on $ws/base-000001.vmdk <- $ws/base.vmdk" "$T/src.txt"
# No lock: no warning.
grep -q "lck" "$T/warn" && fail "warning without a lock file: $(cat "$T/warn")"

# A running VM's lock directories: a warning each, and we go on.
mkdir "$ws/Windows 10 x64.vmx.lck" "$ws/base-000002.vmdk.lck"
"$V2KVM" --no-convert -i vmx "$ws/Windows 10 x64.vmx" --print-source >/dev/null 2>"$T/warn" ||
    fail "a lock file made -i vmx fail"
assert_grep "x64.vmx.lck exists: the VM may be running" "$T/warn"
assert_grep "base-000002.vmdk.lck exists" "$T/warn"
rmdir "$ws/Windows 10 x64.vmx.lck" "$ws/base-000002.vmdk.lck"

# Convert: the chain flattened, the NVMe disk as qemu-img reads it.
mkdir "$T/out"
"$V2KVM" --no-convert -i vmx "$ws/Windows 10 x64.vmx" -on ws16 -o local -os "$T/out" -of raw \
    >/dev/null 2>&1 || fail "-o local conversion failed"
ls "$T/out" >"$T/outs"
[ "$(grep -c -v '\.xml$' "$T/outs")" = 2 ] || fail "disks: $(cat "$T/outs")"
set -- $(grep -v '\.xml$' "$T/outs" | sort)
cmp "$ws/expected-000002.raw" "$T/out/$1" ||
    fail "the converted chain differs from the flattened snapshot"
qemu-img compare -q -f vmdk -F raw "$ws/flat.vmdk" "$T/out/$2" ||
    fail "the converted NVMe disk differs from the source"
[ "$(cat "$ws"/*.vmdk | sha256sum)" = "$sum_before" ] ||
    fail "the source disks were modified"

# --- ESXi 6.7 ---------------------------------------------------------
esx=$T/esx
mkdir -p "$esx/data"
qemu-img create -q -f vmdk "$esx/rhel8.vmdk" 8M
qemu-img create -q -f vmdk "$esx/rhel8_1.vmdk" 2M
qemu-img create -q -f vmdk "$esx/data/rhel8_2.vmdk" 1M
cp "$data/esxi67.vmx" "$esx/rhel8.vmx"
check "$esx/rhel8.vmx" '.name == "rhel8 \"web\" | prod"
  and .uuid == "564d2e1f-0a9b-3c4d-5e6f-708192a3b4c5"
  and .os_hint == "rhel8-64" and .firmware == "uefi"
  and .secure_boot == true and .memory_bytes == 4294967296
  and .vcpus == 8 and .topology == {"sockets": 4, "cores": 2, "threads": 1}
  and .video == "vmvga" and .video_ram_bytes == 8388608 and .sound == null
  and (.disks | length) == 4
  and .disks[0].path == "'"$esx/rhel8.vmdk"'" and .disks[0].bus == "scsi"
  and .disks[0].slot == 0 and .disks[0].size_bytes == 8388608
  and .disks[1].path == "'"$esx/rhel8_1.vmdk"'" and .disks[1].slot == 1
  and .disks[2].path == "'"$esx/data/rhel8_2.vmdk"'"
  and .disks[2].bus == "scsi" and .disks[2].slot == 19
  and .disks[3].device == "cdrom" and .disks[3].bus == "sata"
  and .disks[3].slot == 1 and .disks[3].path == null
  and (.nics | length) == 2
  and .nics[0] == {"mac": "00:50:56:ab:cd:ef", "network": "VM Network",
                   "type": "network", "model": "vmxnet3"}
  and .nics[1] == {"mac": "00:50:56:00:00:01", "network": "Backup LAN",
                   "type": "network", "model": "e1000e"}'
assert_grep "scsi0:1 is independent-nonpersistent" "$T/warn"

# --- Bad input: one message naming the file and the line or key -------
bad=$T/bad
mkdir "$bad"
cp "$esx"/*.vmdk "$bad/"
mkdir "$bad/data" && cp "$esx/data/rhel8_2.vmdk" "$bad/data/"
expect_bad() {  # expect_bad NAME PATTERN < VMX
    cat >"$bad/$1.vmx"
    expect_fail "$V2KVM" --no-convert -i vmx "$bad/$1.vmx" --print-source
    [ "$(grep -c -v 'warning:' "$T/err")" = 1 ] ||
        fail "$1: not one line: $(cat "$T/err")"
    assert_grep "$2" "$T/err"
}
{ head -2 "$data/esxi67.vmx"; echo 'this is not a vmx line'; } |
    expect_bad garbage "garbage.vmx:3: expected '=' after the key 'this'"
printf 'displayName = "x"\n= "no key"\n' |
    expect_bad nokey "nokey.vmx:2: expected a key"
printf 'displayName = "x\nmemsize = "1"\n' |
    expect_bad quote "quote.vmx:1: the value of 'displayName' has no closing quote"
printf 'memsize = "512" junk\n' |
    expect_bad junk "junk.vmx:1: unexpected text after the value of 'memsize'"
printf 'memsize = "lots"\n' |
    expect_bad memsize 'memsize.vmx:1: memsize = "lots": not a number'
printf 'memsize = "99999999999"\n' |
    expect_bad memsize2 'memsize2.vmx:1: memsize = "99999999999": not a number from 0 to'
printf 'numvcpus = "0"\n' |
    expect_bad vcpus0 'vcpus0.vmx:1: numvcpus = "0": out of range'
printf 'numvcpus = "6"\ncpuid.coresPerSocket = "4"\n' |
    expect_bad cores 'cores.vmx:2: cpuid.coresPerSocket = "4" does not divide numvcpus'
sed 's/rhel8_1.vmdk/missing.vmdk/' "$data/esxi67.vmx" |
    expect_bad missing "missing.vmx:24: scsi0:1.fileName: $bad/missing.vmdk: No such file"
sed 's/"pvscsi"/"megaraid"/' "$data/esxi67.vmx" |
    expect_bad ctrl 'ctrl.vmx:19: scsi0.virtualDev = "megaraid": unknown SCSI controller'
sed 's/^ethernet0.generatedAddress.*/ethernet0.generatedAddress = "00:50:56:zz"/' \
    "$data/esxi67.vmx" |
    expect_bad mac 'mac.vmx:[0-9]*: ethernet0.generatedAddress = "00:50:56:zz": not a MAC'
printf 'scsi0.present = "TRUE"\nscsi0:0.present = "TRUE"\n' |
    expect_bad nofile 'nofile.vmx: scsi0:0.fileName: the disk has no file name'
printf 'a = "1"\n\0\n' | expect_bad nul 'nul.vmx:2: NUL byte'
head -c 2000000 /dev/zero | tr '\0' '#' | expect_bad big 'big.vmx'
# A disk that is not an image: the reader's error behind the key.
echo "not a disk" >"$bad/rhel8.vmdk"
cp "$data/esxi67.vmx" "$bad/notdisk.vmx"
expect_fail "$V2KVM" --no-convert -i vmx "$bad/notdisk.vmx" --print-source
assert_grep "notdisk.vmx:22: scsi0:0.fileName: " "$T/err"
echo OK
