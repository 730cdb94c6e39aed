#!/bin/bash
# -i ova: OVF packages as VMware ESXi exports them (OVF 1.0, vmw:Config
# firmware=efi, pvscsi + SATA, a SHA256 manifest) and as VirtualBox does
# (<vbox:Machine>, MegaBytes, a SHA1 manifest with CRLF lines), as ustar,
# pax and GNU tars and as a directory.  Disks inside the tar are read in
# place (transport "archive"): --print-source JSON field by field and -o
# local conversions whose disks match the sources; gzip-compressed and
# chunked files go through a temporary file that does not outlive us.  Bad input: manifest
# mismatches (SHA1, SHA256; -io ova-ignore-manifest), an .ovf that is not
# XML or lacks References, a truncated member, a '../' member, a bad tar
# checksum, a size that disagrees with the descriptor, an unknown
# compression, corrupt gzip data and a missing chunk (first, middle,
# last).  VirtualBox's "SHA256 (FILE) = HEX" manifests; -io
# ova-ignore-manifest skips even an unparsable manifest.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq python3 tar sha1sum sha256sum
data=$V2K_SOURCE_DIR/tests/data/ova

cd "$T"
pat=16
mk_disk() {     # mk_disk RAW VMDK SIZE PATTERN-OFFSETS...
    local raw=$1 vmdk=$2 size=$3 off
    shift 3
    qemu-img create -q -f raw "$raw" "$size"
    for off in "$@"; do
        pat=$((pat + 7))
        qemu-io -f raw -c "write -P $pat $off 256k" "$raw" >/dev/null
    done
    qemu-img convert -O vmdk -o subformat=streamOptimized "$raw" "$vmdk"
}
check() {       # check SOURCE JQ-EXPR [OPTIONS...]
    local src=$1 expr=$2
    shift 2
    "$V2KVM" --no-convert -i ova "$src" "$@" --print-source --machine-readable \
        >"$T/all" 2>"$T/warn" ||
        { cat "$T/warn" >&2; fail "$src: --print-source failed"; }
    grep '"type":"warning"' "$T/all" >>"$T/warn" || true
    grep -v '"type":"warning"' "$T/all" >"$T/src.json"
    jq -e "$expr" "$T/src.json" >/dev/null || fail "$src: $(cat "$T/src.json")"
}
convert_and_compare() {     # SOURCE RAW...: -o local, disks == RAWs
    local src=$1 out i=0 f
    shift
    out=$(mktemp -d "$T/out.XXXX")
    "$V2KVM" --no-convert -i ova "$src" -on vm -o local -os "$out" >/dev/null 2>&1 ||
        fail "$src: -o local conversion failed"
    for f in "$@"; do
        qemu-img compare -q -f raw -F qcow2 "$f" \
            "$out/vm-sd$(printf "\\x$(printf %x $((97 + i)))")" ||
            fail "$src: converted disk $i differs from $f"
        i=$((i + 1))
    done
}

# --- ESXi --------------------------------------------------------------
mkdir esx && cd esx
mk_disk ../a.raw web01-disk1.vmdk 16M 0 10M 15M
mk_disk ../b.raw web01-disk2.vmdk 8M 4M
sed -e "s/@SIZE1@/$(stat -c %s web01-disk1.vmdk)/" \
    -e "s/@SIZE2@/$(stat -c %s web01-disk2.vmdk)/" "$data/esxi.ovf" >web01.ovf
for f in web01.ovf web01-disk1.vmdk web01-disk2.vmdk; do
    echo "SHA256($f)= $(sha256sum $f | cut -d' ' -f1)"
done >web01.mf
tar cf ../web01.ova --format=ustar web01.ovf web01.mf web01-disk1.vmdk \
    web01-disk2.vmdk
cd ..
sum_before=$(sha256sum web01.ova)
esx_expr='.name == "web01" and .hypervisor == "vmware"
  and .firmware == "uefi" and .secure_boot == true
  and .os_hint == "rhel7_64Guest" and .memory_bytes == 4294967296
  and .vcpus == 4 and .topology == {"sockets": 2, "cores": 2, "threads": 1}
  and .video == "vmvga" and .video_ram_bytes == 8388608
  and (.disks | length) == 3
  and .disks[0].format == "vmdk" and .disks[0].device == "disk"
  and .disks[0].bus == "scsi" and .disks[0].slot == 0
  and .disks[0].size_bytes == 16777216
  and .disks[1].bus == "sata" and .disks[1].slot == 2
  and .disks[1].size_bytes == 8388608
  and .disks[2].device == "cdrom" and .disks[2].bus == "sata"
  and .disks[2].slot == 1 and .disks[2].path == null
  and (.nics | length) == 1
  and .nics[0] == {"mac": "00:50:56:9a:01:02", "network": "VM Network",
                   "type": "network", "model": "vmxnet3"}'
check web01.ova "$esx_expr"' and .disks[0].transport == "archive"
  and .disks[0].path == "'"$T/web01.ova/web01-disk1.vmdk"'"
  and .disks[1].path == "'"$T/web01.ova/web01-disk2.vmdk"'"'
convert_and_compare web01.ova a.raw b.raw
# The same files unpacked in a directory.
check esx "$esx_expr"' and .disks[0].transport == "file"
  and .disks[0].path == "'"$T/esx/web01-disk1.vmdk"'"'
convert_and_compare esx a.raw b.raw
[ "$(sha256sum web01.ova)" = "$sum_before" ] || fail "the OVA was modified"

# Compressed (gzip) and chunked files: streamed to a temporary file in
# $TMPDIR that is gone afterwards, whether the conversion works or not.
mkdir gz tmp && cd gz
gzip -c ../esx/web01-disk2.vmdk >web01-disk2.vmdk
split -a 9 -d -b 65536 ../esx/web01-disk1.vmdk web01-disk1.vmdk.
[ -f web01-disk1.vmdk.000000002 ] || fail "split made too few chunks"
sed -e 's/ovf:id="file2" ovf:size="[0-9]*"/ovf:id="file2" ovf:compression="gzip"/' \
    -e 's/ovf:id="file1" ovf:size="[0-9]*"/ovf:id="file1" ovf:chunkSize="65536"/' \
    ../esx/web01.ovf >web01.ovf
grep -q 'compression="gzip"' web01.ovf && grep -q 'chunkSize' web01.ovf ||
    fail "gz/web01.ovf was not rewritten"
tar cf ../gz.ova --format=ustar web01.ovf web01-disk1.vmdk.0* web01-disk2.vmdk
cd ..
export TMPDIR=$T/tmp
check gz.ova "$esx_expr"' and .disks[0].transport == "file"'
assert_grep "gz.ova/web01-disk1.vmdk is chunked: it is streamed to" "$T/warn"
assert_grep "gz.ova/web01-disk2.vmdk is compressed: it is streamed to" "$T/warn"
[ -z "$(ls -A tmp)" ] || fail "temporary files left: $(ls tmp)"
convert_and_compare gz.ova a.raw b.raw
convert_and_compare gz a.raw b.raw
[ -z "$(ls -A tmp)" ] || fail "temporary files left: $(ls tmp)"
cp -r gz gz-bad
head -c $(($(stat -c %s gz/web01-disk2.vmdk) / 2)) gz/web01-disk2.vmdk \
    >gz-bad/web01-disk2.vmdk
expect_fail "$V2KVM" --no-convert -i ova gz-bad --print-source
assert_grep "gz-bad/web01-disk2.vmdk: the gzip stream is truncated" "$T/err"
cp gz/web01-disk2.vmdk gz-bad/
printf 'garbage' | dd of=gz-bad/web01-disk2.vmdk bs=1 seek=100 conv=notrunc \
    status=none
expect_fail "$V2KVM" --no-convert -i ova gz-bad --print-source
assert_grep "gz-bad/web01-disk2.vmdk: corrupt gzip data" "$T/err"
rm gz-bad/web01-disk1.vmdk.000000000
expect_fail "$V2KVM" --no-convert -i ova gz-bad --print-source
assert_grep "chunked, but there is no web01-disk1.vmdk.000000000" "$T/err"
[ -z "$(ls -A tmp)" ] || fail "temporary files left: $(ls tmp)"
# A chunk missing (#13.13): before, the chunks up to the gap were taken
# for the whole file (a shorter disk, exit 0 for a raw one; for a VMDK
# an error naming the temporary file).  Now one error naming the
# missing member: in a directory and in a tar, a gap before a chunk
# that is there; the last chunk, by the File's ovf:size.
cp -r gz gz-hole
rm gz-hole/web01-disk1.vmdk.000000001
expect_fail "$V2KVM" --no-convert -i ova gz-hole --print-source
assert_grep "gz-hole/web01-disk1.vmdk.000000001: chunk missing (the package has web01-disk1.vmdk.00000000[2-9])" "$T/err"
(cd gz-hole && tar cf ../gz-hole.ova --format=ustar web01.ovf \
    web01-disk1.vmdk.0* web01-disk2.vmdk)
expect_fail "$V2KVM" --no-convert -i ova gz-hole.ova --print-source
assert_grep "gz-hole.ova/web01-disk1.vmdk.000000001: chunk missing (the package has web01-disk1.vmdk.00000000[2-9])" "$T/err"
cp -r gz gz-short
last=$(ls gz-short/web01-disk1.vmdk.0* | tail -1)
rm "$last"
sed -i 's/ovf:chunkSize="65536"/ovf:size="'"$(stat -c %s esx/web01-disk1.vmdk)"'" ovf:chunkSize="65536"/' \
    gz-short/web01.ovf
grep -q 'ovf:size="[0-9]*" ovf:chunkSize' gz-short/web01.ovf ||
    fail "gz-short/web01.ovf was not rewritten"
expect_fail "$V2KVM" --no-convert -i ova gz-short --print-source
assert_grep "gz-short/${last##*/}: chunk missing (the chunks hold" "$T/err"
# ... and with ovf:size right, the same package converts.
cp "$last" gz-short/ 2>/dev/null || cp "gz/${last##*/}" gz-short/
"$V2KVM" --no-convert -i ova gz-short --print-source >/dev/null 2>"$T/err" ||
    { cat "$T/err" >&2; fail "chunked with ovf:size"; }
[ -z "$(ls -A tmp)" ] || fail "temporary files left: $(ls tmp)"
unset TMPDIR

# --- VirtualBox: pax and GNU tars, SHA1 manifest with CRLF --------------
mkdir vb && cd vb
mk_disk ../c.raw debian12-disk001.vmdk 16M 1M 12M
cp "$data/vbox.ovf" debian12.ovf
for f in debian12.ovf debian12-disk001.vmdk; do
    printf 'SHA1(%s)= %s\r\n' $f "$(sha1sum $f | cut -d' ' -f1)"
done >debian12.mf
tar cf ../debian12-pax.ova --format=pax debian12.ovf debian12.mf \
    debian12-disk001.vmdk
tar cf ../debian12-gnu.ova --format=gnu debian12.ovf debian12.mf \
    debian12-disk001.vmdk
cd ..
vb_expr='.name == "debian12" and .hypervisor == "virtualbox"
  and .firmware == "uefi" and .os_hint == "Debian_64"
  and .memory_bytes == 2147483648 and .vcpus == 2
  and (.disks | length) == 2
  and .disks[0].bus == "sata" and .disks[0].slot == 0
  and .disks[0].size_bytes == 16777216 and .disks[0].transport == "archive"
  and .disks[1].device == "cdrom" and .disks[1].bus == "ide"
  and .disks[1].slot == 0
  and .nics == [{"mac": "08:00:27:a1:b2:c3", "network": "default",
                 "type": "network", "model": "e1000"}]'
check debian12-pax.ova "$vb_expr"
check debian12-gnu.ova "$vb_expr"
convert_and_compare debian12-pax.ova c.raw

# Members over 8 GiB (GNU base-256 and pax sizes) with names over 100
# bytes, written sparse: only headers are walked, nothing is read whole.
long=$(printf 'd%.0s' {1..120}).raw
python3 - esx/web01.ovf "$long" >big.ovf <<'PY'
import re, sys
x = open(sys.argv[1]).read()
x = re.sub(r'<Item>(?:(?!</Item>).)*vmdisk2.*?</Item>\s*', '', x, flags=re.S)
x = re.sub(r'<(File|Disk) [^>]*(file2|vmdisk2)[^>]*/>\s*', '', x)
x = re.sub(r'web01-disk1.vmdk" ovf:id="file1" ovf:size="\d+"',
           sys.argv[2] + '" ovf:id="file1" ovf:size="9663676416"', x)
print(x, end="")
PY
grep -q "$long" big.ovf || fail "big.ovf was not rewritten"
for fmt in GNU PAX; do
    python3 - "$T/big-$fmt.ova" "$T/big.ovf" "$long" $fmt <<'PY'
import sys, tarfile
out, ovf, name, fmt = sys.argv[1:5]
fmt = getattr(tarfile, fmt + "_FORMAT")
data = open(ovf, "rb").read()
with open(out, "wb") as f:
    i = tarfile.TarInfo("big.ovf"); i.size = len(data)
    f.write(i.tobuf(fmt, "utf-8", "surrogateescape"))
    f.write(data + b"\0" * (-len(data) % 512))
    i = tarfile.TarInfo(name); i.size = 9 << 30
    f.write(i.tobuf(fmt, "utf-8", "surrogateescape"))
    f.seek((9 << 30) - 512, 1)
    f.write(b"\xab" * 512 + b"\0" * 1024)
PY
    check big-$fmt.ova '.disks[0].size_bytes == 9663676416
      and .disks[0].format == "raw" and .disks[0].transport == "archive"
      and .disks[0].path == "'"$T/big-$fmt.ova/$long"'"'
done
rm -f big-GNU.ova big-PAX.ova

# --- Bad input ----------------------------------------------------------
expect_bad() {  # expect_bad PATTERN SOURCE [OPTIONS...]
    local pat=$1
    shift
    expect_fail "$V2KVM" --no-convert -i ova "$@" --print-source
    [ "$(grep -c -v 'warning:' "$T/err")" = 1 ] ||
        fail "$*: not one line: $(cat "$T/err")"
    assert_grep "$pat" "$T/err"
}
repack() {      # repack DIR OVA FILES...: a ustar OVA of DIR's FILES
    local d=$1 o=$2
    shift 2
    (cd "$d" && tar cf "$T/$o" --format=ustar "$@")
}
# Manifest mismatch, SHA256 (ESXi) and SHA1 (VirtualBox).
cp -r esx esx-bad
printf 'x' | dd of=esx-bad/web01-disk2.vmdk bs=1 seek=600 conv=notrunc \
    status=none
repack esx-bad bad-sha256.ova web01.ovf web01.mf web01-disk1.vmdk \
    web01-disk2.vmdk
expect_bad "bad-sha256.ova/web01.mf:3: SHA256 of web01-disk2.vmdk is" \
    bad-sha256.ova
check bad-sha256.ova '.name == "web01"' -io ova-ignore-manifest
assert_grep "bad-sha256.ova/web01.mf: the manifest is not checked (-io ova-ignore-manifest)" "$T/warn"
expect_bad "esx-bad/web01.mf:3: SHA256 of web01-disk2.vmdk" esx-bad
cp -r vb vb-bad
sed -i 's/<Name>/<Name>/; s/2048 MB of memory/2049 MB of memory/' \
    vb-bad/debian12.ovf
repack vb-bad bad-sha1.ova debian12.ovf debian12.mf debian12-disk001.vmdk
expect_bad "bad-sha1.ova/debian12.mf:1: SHA1 of debian12.ovf is" bad-sha1.ova
printf 'MD5(debian12.ovf)= 00\n' >vb-bad/debian12.mf
repack vb-bad bad-mf.ova debian12.ovf debian12.mf debian12-disk001.vmdk
expect_bad "bad-mf.ova/debian12.mf:1: 'MD5(debian12.ovf)= 00': not a SHA1" \
    bad-mf.ova
# -io ova-ignore-manifest ignores a manifest it cannot even parse
# (#13.14: it was refused all the same).
check bad-mf.ova '.name == "debian12"' -io ova-ignore-manifest
assert_grep "bad-mf.ova/debian12.mf: the manifest is not checked" "$T/warn"
# VirtualBox writes "SHA256 (FILE) = HEX" (#13.14: refused before): it
# is checked like ovftool's "SHA256(FILE)= HEX" -- a good one passes, a
# mismatch is found.
cp -r vb vb-spaced
for f in debian12.ovf debian12-disk001.vmdk; do
    printf 'SHA256 (%s) = %s\n' $f "$(sha256sum vb/$f | cut -d' ' -f1)"
done >vb-spaced/debian12.mf
repack vb-spaced spaced.ova debian12.ovf debian12.mf debian12-disk001.vmdk
check spaced.ova '.name == "debian12"'
"$V2KVM" --no-convert -i ova spaced.ova -v --print-source >/dev/null \
    2>"$T/err" || { cat "$T/err" >&2; fail "spaced manifest"; }
assert_grep "SHA256 of debian12-disk001.vmdk matches" "$T/err"
sed -i 's/2048 MB of memory/2049 MB of memory/' vb-spaced/debian12.ovf
repack vb-spaced spaced-bad.ova debian12.ovf debian12.mf \
    debian12-disk001.vmdk
expect_bad "spaced-bad.ova/debian12.mf:1: SHA256 of debian12.ovf is" \
    spaced-bad.ova

# Descriptors: not XML, no References, a size that disagrees, gzip.
mkdir ovf-bad
cp esx/web01-disk1.vmdk esx/web01-disk2.vmdk ovf-bad/
echo '<Envelope><References>' >ovf-bad/web01.ovf
repack ovf-bad notxml.ova web01.ovf web01-disk1.vmdk
expect_bad "notxml.ova/web01.ovf:2: not XML" notxml.ova
sed '/<References>/,/<\/References>/d' esx/web01.ovf >ovf-bad/web01.ovf
repack ovf-bad norefs.ova web01.ovf web01-disk1.vmdk web01-disk2.vmdk
expect_bad "norefs.ova/web01.ovf: <Envelope> has no <References>" norefs.ova
sed 's/ovf:size="[0-9]*"/ovf:size="123"/' esx/web01.ovf >ovf-bad/web01.ovf
repack ovf-bad size.ova web01.ovf web01-disk1.vmdk web01-disk2.vmdk
expect_bad "size.ova/web01.ovf:5: <File ovf:href='web01-disk1.vmdk'> is [0-9]* bytes, the descriptor says 123" size.ova
sed 's/ovf:id="file2"/ovf:id="file2" ovf:compression="bzip2"/' \
    esx/web01.ovf >ovf-bad/web01.ovf
repack ovf-bad bzip2.ova web01.ovf web01-disk1.vmdk web01-disk2.vmdk
expect_bad "bzip2.ova/web01.ovf:6: <File ovf:href='web01-disk2.vmdk'>: compression 'bzip2' is not supported" bzip2.ova
sed 's|ovf:/disk/vmdisk2|ovf:/disk/nope|' esx/web01.ovf >ovf-bad/web01.ovf
repack ovf-bad hostres.ova web01.ovf web01-disk1.vmdk web01-disk2.vmdk
expect_bad "HostResource 'ovf:/disk/nope' names no <Disk>" hostres.ova
sed 's|ovf:href="web01-disk2.vmdk"|ovf:href="../../etc/passwd"|' \
    esx/web01.ovf >ovf-bad/web01.ovf
repack ovf-bad href.ova web01.ovf web01-disk1.vmdk web01-disk2.vmdk
expect_bad "file '../../etc/passwd': a '..' path is not allowed" href.ova
expect_bad "ovf-bad: file '../../etc/passwd': a '..' path" ovf-bad

# Tars: a truncated member, a '../' member, a bad header checksum.
head -c 3000 web01.ova >trunc.ova
expect_bad "trunc.ova: tar member at offset [0-9]*: size [0-9]* is past the end of the file (truncated?)" trunc.ova
python3 - "$T/dotdot.ova" "$T/esx/web01.ovf" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.USTAR_FORMAT) as t:
    t.add(sys.argv[2], arcname="web01.ovf")
    t.add(sys.argv[2], arcname="../evil.vmdk")
PY
expect_bad "dotdot.ova: member '../evil.vmdk' at offset [0-9]*: a '..' path is not allowed" dotdot.ova
cp web01.ova cksum.ova
printf 'X' | dd of=cksum.ova bs=1 seek=0 conv=notrunc status=none
expect_bad "cksum.ova: tar header at offset 0: bad checksum" cksum.ova
mkdir empty
expect_bad "empty: no .ovf descriptor in the package" empty
echo OK
