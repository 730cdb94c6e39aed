#!/bin/bash
# A fixed VHD (its data, then the 512-byte footer; nothing at offset 0)
# is recognised by the footer at its end (issue #13 item 15): qemu's
# vpc_probe only looks at offset 0 and reads it as raw, footer included.
# We read it as VHD: virtual size from the footer, the footer not part of
# the disk.  Only a footer with a good checksum, disk type fixed and a
# current size equal to the file's length minus 512 counts, so raw disks
# are not taken for VHDs.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq python3 cmp

cd "$T"
qemu-img create -q -f vpc -o subformat=fixed fx.vhd 100M
qemu-io -f vpc -c 'write -P 0x61 0 1M' -c 'write -P 0x62 50M 3M' \
    -c 'write -P 0x63 99M 512k' fx.vhd >/dev/null
# Nothing marks the start of the file: qemu-img itself probes raw.
[ "$(head -c 8 fx.vhd)" != conectix ] || fail "fixture has a head copy"
[ "$(qemu-img info --output=json fx.vhd | jq -r .format)" = raw ] ||
    fail "qemu-img now probes fixed VHDs: revisit this test"

"$V2KVM_IMG" info --output=json fx.vhd >info.json
want=$(qemu-img info -f vpc --output=json fx.vhd | jq '."virtual-size"')
jq -e --argjson w "$want" '.format == "vhd" and ."virtual-size" == $w' \
    info.json >/dev/null || fail "info: $(cat info.json)"
"$V2KVM_IMG" info fx.vhd | grep -q '^format: vhd$' || fail "info (text)"

# Our conversion equals qemu-img's conversion of the data (-f vpc).
"$V2KVM_IMG" convert fx.vhd ours.raw
qemu-img convert -f vpc -O raw fx.vhd ref.raw
qemu-img compare -q -f raw -F raw ours.raw ref.raw ||
    fail "convert of a fixed VHD differs from qemu-img -f vpc"
[ "$(stat -c %s ours.raw)" = "$want" ] || fail "size $(stat -c %s ours.raw)"
"$V2KVM_IMG" convert -O qcow2 fx.vhd ours.qcow2
qemu-img compare -q -F raw ours.qcow2 ref.raw || fail "qcow2 output differs"
# -i disk sees the same.
"$V2KVM" --no-convert -i disk fx.vhd --print-source --machine-readable \
    >src.json
jq -e '.disks[0].format == "vhd"' src.json >/dev/null ||
    fail "-i disk: $(cat src.json)"

# Not VHDs: raw disks ending in a damaged or inconsistent footer.
# bad checksum (a reserved byte changed, the checksum not)
cp fx.vhd badsum.raw
printf '\xff' | dd of=badsum.raw bs=1 seek=$(($(stat -c %s fx.vhd) - 512 + 100)) \
    conv=notrunc status=none
python3 - <<'PY'
import struct
def fix(path, mutate):
    with open(path, "r+b") as f:
        f.seek(-512, 2)
        ft = bytearray(f.read(512))
        mutate(ft)
        ft[64:68] = b"\0\0\0\0"
        s = (~sum(ft)) & 0xffffffff
        ft[64:68] = struct.pack(">I", s)
        f.seek(-512, 2)
        f.write(ft)
import shutil
# a footer of a dynamic disk (type 3) at the end of a raw disk
shutil.copy("fx.vhd", "dyn.raw")
fix("dyn.raw", lambda ft: ft.__setitem__(slice(60, 64), struct.pack(">I", 3)))
# a current size that does not match the file
shutil.copy("fx.vhd", "size.raw")
fix("size.raw", lambda ft: ft.__setitem__(
    slice(48, 56), struct.pack(">Q", struct.unpack(">Q", ft[48:56])[0] - 512)))
PY
# a fixed VHD with a sector appended (no longer "data + footer")
cp fx.vhd appended.raw
head -c 512 /dev/zero >>appended.raw
for f in badsum.raw dyn.raw size.raw appended.raw; do
    fmt=$("$V2KVM_IMG" info --output=json "$f" | jq -r .format)
    [ "$fmt" = raw ] || fail "$f probed as $fmt"
done
# And a qemu-img fixed VHD still opens when named.
"$V2KVM_IMG" info -f vhd fx.vhd >/dev/null || fail "-f vhd"
echo OK
