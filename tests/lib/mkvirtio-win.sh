#!/bin/bash
# mkvirtio-win.sh OUTDIR - a fake virtio-win for the tests of
# drivers-inject/windows/virtio-win.c (after virt-v2v's
# test-data/fake-virtio-win, REFERENCE-virt-v2v.md 3.2).  Only names
# matter to the selection, so every file is tiny and holds its own path
# (the reads are checked against it).  Makes:
#   OUTDIR/iso-tree/         the ISO layout: Driver/os/arch/file, with
#                            guest-agent/ MSIs at the root
#   OUTDIR/virtio-win.iso    that tree through xorriso -as mkisofs -J -r
#   OUTDIR/pkg/              the RPM layout: drivers/by-os/arch/os/file,
#                            drivers/by-driver/driver/os/arch/file,
#                            guest-agent/
#   OUTDIR/iso-tree-links/   iso-tree with symlinks: one inside the tree
#                            (followed), two leading out of it (ignored)
#   OUTDIR/outside/          what the outside links point to
#   OUTDIR/not-an-iso.iso    text, for the error
# Traps, as in the real trees: sriov/, vioprot.*, *.pdb, qemufwcfg next
# to fwcfg, a Win2022/ directory that must not match, 2k8 beside 2k8r2,
# mixed-case directories (NetKVM, Balloon), ARM64 directories, a hard
# link.
# xorriso missing is a failure, not a skip.
set -euo pipefail
out=${1:?usage: mkvirtio-win.sh OUTDIR}
command -v xorriso >/dev/null ||
    { echo "mkvirtio-win.sh: xorriso is missing (scripts/setup.sh)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
iso=$out/iso-tree

# mk PATH...: the files, each holding its path inside the tree.
mk() {
    local p
    for p in "$@"; do
        mkdir -p "$iso/$(dirname "$p")"
        printf '%s\n' "$p" > "$iso/$p"
    done
}

# drv DIR "FILES" "OS/ARCH...": DIR/OS/ARCH/FILE for each.
drv() {
    local dir=$1 files=$2 oa f
    shift 2
    for oa in "$@"; do
        for f in $files; do
            mk "$dir/$oa/$f"
        done
    done
}

# Which OS/arch directories a driver has, roughly as in the real ISOs
# (old drivers for XP..7 as in 0.1.1xx; no x86 for 2k8r2, 2k12, 2k12r2,
# 2k16 and later servers, nor for w11; ARM64 for w11 only).
old="xp/x86 2k3/x86 2k3/amd64 2k8/x86 2k8/amd64 w7/x86 w7/amd64 2k8r2/amd64"
mid="w8/x86 w8/amd64 2k12/amd64 w8.1/x86 w8.1/amd64 2k12r2/amd64"
new="w10/x86 w10/amd64 w11/amd64 w11/ARM64 2k16/amd64 2k19/amd64 2k22/amd64 2k25/amd64"
# shellcheck disable=SC2086
{
drv viostor "viostor.inf viostor.sys viostor.cat viostor.pdb" $old $mid $new
drv vioscsi "vioscsi.inf vioscsi.sys vioscsi.cat vioscsi.pdb" \
    2k8/x86 2k8/amd64 w7/x86 w7/amd64 2k8r2/amd64 $mid $new
drv NetKVM "netkvm.inf netkvm.sys netkvm.cat netkvm.pdb netkvmco.exe" \
    $old $mid $new
drv NetKVM "vioprot.inf vioprot.sys vioprot.cat" w10/amd64 2k22/amd64 2k25/amd64
drv Balloon "balloon.inf balloon.sys balloon.cat balloon.pdb blnsvr.exe blnsvr.pdb" \
    $old $mid $new
drv viorng "viorng.inf viorng.sys viorng.cat viorng.pdb" \
    w7/x86 w7/amd64 2k8r2/amd64 $mid $new
drv pvpanic "pvpanic.inf pvpanic.sys pvpanic.cat pvpanic.pdb" \
    w7/x86 w7/amd64 2k8r2/amd64 $mid $new
drv vioserial "vioser.inf vioser.sys vioser.cat vioser.pdb" $old $mid $new
# the stub that conflicts with fwcfg (RHBZ#2151752): everywhere; the real
# fwcfg driver only from w10/2k16 on
drv qemufwcfg "qemufwcfg.inf qemufwcfg.cat" $old $mid $new
drv fwcfg "fwcfg.inf fwcfg.sys fwcfg.cat fwcfg.pdb" \
    w10/x86 w10/amd64 w11/amd64 2k16/amd64 2k19/amd64 2k22/amd64 2k25/amd64
drv viosock "viosock.inf viosock.sys viosock.cat viosocklib.dll" \
    w10/x86 w10/amd64 w11/amd64 2k19/amd64 2k22/amd64 2k25/amd64
drv sriov "netkvm.inf netkvm.sys netkvm.cat vioprot.inf" \
    w10/amd64 2k22/amd64 2k25/amd64
}
mk guest-agent/qemu-ga-x86_64.msi guest-agent/qemu-ga-i386.msi
# The Win2022 layout has no 2k22 element: never selected.
mk drivers/amd64/Win2022/viostor.sys drivers/amd64/Win2022/viostor.inf
mk virtio-win_license.txt

# One hard link (libarchive lists the second name with no data and a
# link to the first): 2k25's viostor.cat is 2k22's.
ln -f "$iso/viostor/2k22/amd64/viostor.cat" "$iso/viostor/2k25/amd64/viostor.cat"

xorriso -as mkisofs -J -r --hardlinks -V virtio-win -o "$out/virtio-win.iso" "$iso" \
    >"$out/xorriso.log" 2>&1 ||
    { cat "$out/xorriso.log" >&2; exit 1; }

# The RPM layout from the same files (sriov/ only by driver: flattened by
# OS it would lose the element that excludes it).
pkg=$out/pkg
(cd "$iso" && find . -type f -path './*/*/*/*' ! -path './drivers/*') |
while IFS= read -r p; do
    p=${p#./}
    IFS=/ read -r d os arch f <<<"$p"
    d=$(printf '%s' "$d" | tr '[:upper:]' '[:lower:]')
    mkdir -p "$pkg/drivers/by-driver/$d/$os/$arch"
    printf '%s\n' "drivers/by-driver/$d/$os/$arch/$f" \
        > "$pkg/drivers/by-driver/$d/$os/$arch/$f"
    [ "$d" = sriov ] && continue
    mkdir -p "$pkg/drivers/by-os/$arch/$os"
    printf '%s\n' "drivers/by-os/$arch/$os/$f" > "$pkg/drivers/by-os/$arch/$os/$f"
done
mkdir -p "$pkg/guest-agent"
for f in qemu-ga-x86_64.msi qemu-ga-i386.msi; do
    printf '%s\n' "guest-agent/$f" > "$pkg/guest-agent/$f"
done

# Symlinks: one inside (followed), two out of the tree (ignored).
mkdir -p "$out/outside"
printf 'outside\n' > "$out/outside/evil.sys"
printf 'outside\n' > "$out/outside/evil.inf"
cp -a "$iso" "$out/iso-tree-links"
l=$out/iso-tree-links
rm "$l/viorng/2k22/amd64/viorng.inf"
ln -s ../../../viorng/2k19/amd64/viorng.inf "$l/viorng/2k22/amd64/viorng.inf"
ln -s "$out/outside/evil.sys" "$l/viostor/2k22/amd64/evil.sys"
ln -s ../../../../outside "$l/NetKVM/2k22/amd64/ext"

printf 'this is not an ISO 9660 image\n' > "$out/not-an-iso.iso"
