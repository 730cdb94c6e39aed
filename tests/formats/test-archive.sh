#!/bin/bash
# The tar walker of transport-archive.c (libarchive): members of ustar,
# GNU and pax tars -- long names, "./" prefixes, next to directories,
# links and empty files -- read in place byte for byte as TAR/MEMBER; a
# sparse entry (GNU tar --sparse, in GNU and pax form) is not a member,
# since its stored bytes are a map and fragments, not the file (the old
# walker listed the pax one under its GNUSparseFile.N/ name and served
# those bytes as the disk); a compressed tar is refused naming the
# compression (the old walker said "bad checksum"); a truncated tar, a
# '..' or absolute member name and a damaged header are one-line errors.
. "$(dirname "$0")/../lib/test-lib.sh"
need tar python3 cmp gzip

cd "$T"
mkdir src src/dir
head -c 70144 /dev/urandom >src/dir/disk.raw
head -c 1024 /dev/urandom >src/a.ovf
long=$(printf 'd%.0s' {1..130})/$(printf 'x%.0s' {1..110}).raw
mkdir -p "src/${long%/*}"
head -c 5120 /dev/urandom >"src/$long"
: >src/empty
ln -s a.ovf src/lnk
ln src/a.ovf src/hard
for fmt in gnu pax; do
    tar -C src -cf "$fmt.tar" --format=$fmt ./a.ovf dir lnk hard empty \
        "$long"
    for m in a.ovf dir/disk.raw "$long"; do
        "$V2KVM_IMG" convert -f raw -O raw "$T/$fmt.tar/$m" "$T/out.raw" ||
            fail "$fmt: $m not read"
        cmp "$T/out.raw" "src/$m" || fail "$fmt: $m differs"
        rm -f "$T/out.raw"
    done
done
tar -C src -cf ustar.tar --format=ustar a.ovf dir/disk.raw
"$V2KVM_IMG" convert -f raw -O raw "$T/ustar.tar/dir/disk.raw" "$T/u.raw"
cmp "$T/u.raw" src/dir/disk.raw || fail "ustar member differs"

# Sparse entries are not members.
mkdir sp
truncate -s 4M sp/sparse.img
printf 'data' | dd of=sp/sparse.img bs=1 seek=1M conv=notrunc status=none
cp src/a.ovf sp/
for fmt in gnu pax; do
    tar -C sp -cf "sp-$fmt.tar" --format=$fmt --sparse a.ovf sparse.img
    "$V2KVM_IMG" info -f raw "$T/sp-$fmt.tar/a.ovf" >/dev/null ||
        fail "$fmt: the member next to a sparse one is not read"
    expect_fail "$V2KVM_IMG" info -f raw "$T/sp-$fmt.tar/sparse.img"
    assert_grep "sp-$fmt.tar: no member 'sparse.img' in the archive" "$T/err"
done
# The name in the ustar header under the pax one (tar tf shows the real
# name).
bogus=$(grep -a -o 'GNUSparseFile\.[0-9]*/sparse\.img' sp-pax.tar | head -1 ||
        true)
[ -n "$bogus" ] || fail "GNU tar did not write a pax sparse entry"
expect_fail "$V2KVM_IMG" info -f raw "$T/sp-pax.tar/$bogus"
assert_grep "no member '$bogus' in the archive" "$T/err"

# A compressed tar: named, not "bad checksum".
gzip -c ustar.tar >gz.tar
expect_fail "$V2KVM_IMG" info -f raw "$T/gz.tar/a.ovf"
assert_grep "gz.tar: the tar is compressed (gzip): its members cannot be read in place (decompress it first)$" \
    "$T/err"

# Bad tars.
head -c 1400 ustar.tar >trunc.tar
expect_fail "$V2KVM_IMG" info -f raw "$T/trunc.tar/a.ovf"
assert_grep "trunc.tar: tar member at offset 0: size 1024 is past the end of the file (truncated?)$" \
    "$T/err"
python3 - <<'PY'
import io, tarfile
for name, member in (("dotdot.tar", "../evil"), ("abs.tar", "/etc/evil")):
    with tarfile.open(name, "w", format=tarfile.GNU_FORMAT) as t:
        i = tarfile.TarInfo(member); i.size = 1
        t.addfile(i, io.BytesIO(b"x"))
d = bytearray(open("ustar.tar", "rb").read())
d[1536 + 5] ^= 1        # the second header (a.ovf: 512 + 1024)
open("cksum.tar", "wb").write(d)
PY
expect_fail "$V2KVM_IMG" info -f raw "$T/dotdot.tar/x"
assert_grep "dotdot.tar: member '../evil' at offset 0: a '..' path is not allowed$" \
    "$T/err"
expect_fail "$V2KVM_IMG" info -f raw "$T/abs.tar/x"
assert_grep "abs.tar: member '/etc/evil' at offset 0: an absolute path is not allowed$" \
    "$T/err"
expect_fail "$V2KVM_IMG" info -f raw "$T/cksum.tar/a.ovf"
assert_grep "cksum.tar: tar header at offset 1536: bad checksum (not a tar file?)$" \
    "$T/err"
echo PASS
