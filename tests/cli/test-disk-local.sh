#!/bin/bash
# -i disk -o local: the first end-to-end path.  Disks copied sparse and
# identical (qemu-img check/compare), names NAME-sda/-sdb, a domain XML
# that virt-xml-validate and libvirt's test driver accept, options that
# reach the XML, the source left untouched, --print-source and
# --machine-readable output that scripts can parse.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io virt-xml-validate virsh xmllint jq sha256sum script

a=$T/web01.img b=$T/data.raw
qemu-img create -q -f raw "$a" 96M
qemu-img create -q -f raw "$b" 40M
qemu-io -f raw -c 'write -P 0x5a 0 1M' -c 'write -P 0x33 17M 5M' \
    -c 'write -P 0x01 95M 1M' "$a" >/dev/null
qemu-io -f raw -c 'write -P 0x77 3M 64k' "$b" >/dev/null
sum_before=$(sha256sum "$a" "$b")
touch -d '2001-01-01' "$a" "$b"

xp() { xmllint --xpath "$1" "$2"; }

# Defaults: qcow2, name from the first disk, 2 GiB, 1 vCPU, one NIC.
mkdir "$T/out"
"$V2KVM" --no-convert -q -i disk "$a" "$b" -o local -os "$T/out"
[ "$(ls "$T/out" | sort | tr '\n' ' ')" = "web01-sda web01-sdb web01.xml " ] ||
    fail "unexpected output files: $(ls -a "$T/out")"
for d in sda:"$a" sdb:"$b"; do
    f=$T/out/web01-${d%%:*}
    qemu-img check -q "$f" || fail "$f: qemu-img check"
    [ "$(qemu-img info --output=json "$f" | jq -r .format)" = qcow2 ] ||
        fail "$f is not qcow2"
    qemu-img compare -q -F qcow2 "${d#*:}" "$f" || fail "$f differs"
done
# Sparse: 7 MiB of data in 96 MiB.
used=$(stat -c %s "$T/out/web01-sda")
[ "$used" -lt $((9 << 20)) ] || fail "web01-sda is not sparse ($used bytes)"
x=$T/out/web01.xml
virt-xml-validate "$x" >/dev/null 2>&1 || fail "$x: virt-xml-validate"
virsh -q -c test:///default define "$x" >/dev/null
[ "$(xp 'string(/domain/name)' "$x")" = web01 ] || fail name
[ "$(xp 'string(/domain/memory)' "$x")" = 2097152 ] || fail memory
[ "$(xp 'string(/domain/memory/@unit)' "$x")" = KiB ] || fail unit
[ "$(xp 'string(/domain/vcpu)' "$x")" = 1 ] || fail vcpu
[ "$(xp 'string(/domain/devices/disk[1]/source/@file)' "$x")" = \
    "$(realpath "$T/out")/web01-sda" ] || fail "disk 1 path not absolute"
[ "$(xp 'string(/domain/devices/disk[2]/target/@dev)' "$x")" = vdb ] ||
    fail "disk 2 target"
[ "$(xp 'string(/domain/devices/disk[1]/target/@bus)' "$x")" = virtio ] ||
    fail "disk bus"
[ "$(xp 'string(/domain/devices/disk[1]/driver/@type)' "$x")" = qcow2 ] ||
    fail "driver type"
[ "$(xp 'string(/domain/devices/interface/source/@network)' "$x")" = \
    default ] || fail "network"
[ "$(xp 'string(/domain/devices/interface/model/@type)' "$x")" = virtio ] ||
    fail "nic model"
[ "$(xp 'string(/domain/devices/memballoon/@model)' "$x")" = virtio ] ||
    fail "balloon"
[ "$(xp 'string(/domain/clock/timer[@name="kvmclock"]/@present)' "$x")" = \
    yes ] || fail "kvmclock"
[ "$(sha256sum "$a" "$b")" = "$sum_before" ] || fail "the source changed"
[ "$(stat -c %Y "$a")" = "$(date -d 2001-01-01 +%s)" ] ||
    fail "the source was written (mtime changed)"

# Options: raw preallocated, -on, --memory, --vcpus, networks/bridges.
mkdir "$T/out2"
"$V2KVM" --no-convert -q -i disk "$a" -on db-01 --memory 512M --vcpus 3 -of raw \
    -oa preallocated -b br0 -o local -os "$T/out2"
f=$T/out2/db-01-sda
[ "$(qemu-img info --output=json "$f" | jq -r .format)" = raw ] || fail raw
qemu-img compare -q -F raw "$a" "$f" || fail "raw output differs"
alloc=$(du -B1 "$f" | cut -f1)
[ "$alloc" -ge $((96 << 20)) ] || fail "-oa preallocated: only $alloc bytes"
x=$T/out2/db-01.xml
virt-xml-validate "$x" >/dev/null 2>&1 || fail "$x: virt-xml-validate"
virsh -q -c test:///default define "$x" >/dev/null
[ "$(xp 'string(/domain/memory)' "$x")" = 524288 ] || fail "--memory"
[ "$(xp 'string(/domain/vcpu)' "$x")" = 3 ] || fail "--vcpus"
[ "$(xp 'string(/domain/devices/disk/driver/@type)' "$x")" = raw ] ||
    fail "raw driver"
[ "$(xp 'string(/domain/devices/interface/@type)' "$x")" = bridge ] ||
    fail "-b: interface type"
[ "$(xp 'string(/domain/devices/interface/source/@bridge)' "$x")" = br0 ] ||
    fail "-b: bridge"

# -n in:out maps the named network; options may follow the source.
mkdir "$T/out3"
"$V2KVM" --no-convert -q -i disk "$b" -o local -os "$T/out3" -n default:prod --memory 1024
x=$T/out3/data.xml
[ "$(xp 'string(/domain/devices/interface/source/@network)' "$x")" = prod ] ||
    fail "-n default:prod"
[ "$(xp 'string(/domain/memory)' "$x")" = 1048576 ] ||
    fail "--memory 1024 means MiB"

# --print-source, text and JSON.
"$V2KVM" --no-convert -i disk "$a" "$b" --vcpus 4 --print-source >"$T/src.txt"
assert_grep "source name: web01" "$T/src.txt"
assert_grep "vcpus: 4" "$T/src.txt"
assert_grep "1: $b \[raw over file\] disk" "$T/src.txt"
"$V2KVM" --no-convert -i disk "$a" "$b" --print-source --machine-readable >"$T/src.json"
[ "$(wc -l <"$T/src.json")" = 1 ] || fail "source JSON is not one line"
jq -e '.name == "web01" and .memory_bytes == 2147483648 and .vcpus == 1
       and (.disks | length) == 2 and .disks[0].format == "raw"
       and .disks[0].size_bytes == 100663296 and .disks[1].slot == 1
       and .disks[0].transport == "file" and .disks[0].device == "disk"
       and .nics[0].network == "default" and .nics[0].type == "network"
       and .firmware == "unknown" and .hypervisor == "unknown"' \
    "$T/src.json" >/dev/null || fail "source JSON: $(cat "$T/src.json")"

# --machine-readable conversion: every stdout line is a JSON object;
# progress lines and a final result.
mkdir "$T/out4"
"$V2KVM" --no-convert -i disk "$a" -o local -os "$T/out4" --machine-readable >"$T/mr"
while IFS= read -r line; do
    jq -e 'type == "object" and has("type")' <<<"$line" >/dev/null ||
        fail "not a JSON line: $line"
done <"$T/mr"
jq -s -e 'map(select(.type == "progress")) | length >= 1
          and (last.percent == 100)' "$T/mr" >/dev/null ||
    fail "no progress lines"
jq -s -e 'last | .type == "result" and .status == "ok"
          and .name == "web01"' "$T/mr" >/dev/null || fail "no result line"
# What v2kvm-batch's report keeps: the firmware decided, each copied
# disk's virtual size (the source's, from qemu-img).
size=$(qemu-img info --output=json "$a" | jq '."virtual-size"')
jq -s -e --argjson size "$size" 'last | .firmware == "bios"
          and .disks == [$size] and has("product_name") and has("osinfo")' \
    "$T/mr" >/dev/null || fail "result line: $(tail -n1 "$T/mr")"

# A progress bar on a terminal.
mkdir "$T/out5"
script -qec "'$V2KVM' --no-convert -i disk '$a' -o local -os '$T/out5'" /dev/null \
    >"$T/tty" </dev/null
assert_grep "disk 1/1 \[#*\] 100.0%" "$T/tty"
echo "test-disk-local: ok"
