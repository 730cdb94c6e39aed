#!/bin/bash
# qcow2 images made by qemu-img/qemu-io: our reading, map and conversions
# agree with qemu-img's for every feature a reader meets (versions 2 and
# 3, cluster sizes, zero and compressed clusters, extended L2 entries,
# backing chains, external data files, dirty images); encrypted images
# are refused with a clear message.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq python3

# All three oracles on one image.
check_all() {
    assert_reads_like_qemu "$1" qcow2
    assert_map_like_qemu "$1" qcow2
    assert_convert_like_qemu "$1" qcow2
}

# Patterns covering: a whole first cluster, a multi-cluster run, an
# unaligned small write, zero clusters over nothing and over data, a
# discard, and the last MiB.
write_patterns() {
    qemu-io -f qcow2 \
        -c 'write -P 0xa1 0 64k' \
        -c 'write -P 0xb2 1M 3M' \
        -c 'write -P 0x55 12345 777' \
        -c 'write -z 6M 1M' \
        -c 'write -z 2M 512k' \
        -c 'discard 3M 256k' \
        -c 'write -P 0xd4 15M 1M' "$1" >/dev/null
}

cd "$T"

# Version 2 (compat=0.10): no zero flag, write -z stores zeros.
qemu-img create -q -f qcow2 -o compat=0.10 v2.qcow2 16M
write_patterns v2.qcow2
check_all v2.qcow2
# Probing finds it too.
assert_reads_like_qemu v2.qcow2

# Version 3 with the zero flag; then 1-bit refcounts (refcount_order 0).
qemu-img create -q -f qcow2 v3.qcow2 16M
write_patterns v3.qcow2
check_all v3.qcow2
qemu-img create -q -f qcow2 -o refcount_bits=1 rc1.qcow2 16M
write_patterns rc1.qcow2
check_all rc1.qcow2

# An internal snapshot: only the active L1 table is the disk.
qemu-img create -q -f qcow2 snap.qcow2 16M
write_patterns snap.qcow2
qemu-img snapshot -c s1 snap.qcow2
qemu-io -f qcow2 -c 'write -P 0xee 1M 64k' -c 'write -z 15M 64k' \
    snap.qcow2 >/dev/null
check_all snap.qcow2

# Cluster sizes: 512 bytes (many small L2 tables, more than the cache
# holds), 64 KiB (default) and 2 MiB.
for cs in 512 64k 2M; do
    qemu-img create -q -f qcow2 -o cluster_size=$cs cs$cs.qcow2 16M
    write_patterns cs$cs.qcow2
    check_all cs$cs.qcow2
done

# A virtual size that is not a multiple of the cluster size.
qemu-img create -q -f qcow2 odd.qcow2 $((16 * 1024 * 1024 + 3 * 512))
qemu-io -f qcow2 -c 'write -P 0x77 16M 1536' odd.qcow2 >/dev/null
check_all odd.qcow2

# Compressed clusters: zlib and zstd, from a raw disk with patterns,
# random (incompressible, stored plain) data and a partial last cluster.
qemu-img create -q -f raw src.raw 16M
qemu-io -f raw -c 'write -P 0xa1 0 64k' -c 'write -P 0xb2 1M 3M' \
    -c 'write -P 0x55 12345 777' -c 'write -P 0xd4 15M 1M' \
    src.raw >/dev/null
head -c 200000 /dev/urandom |
    dd of=src.raw bs=4096 seek=2048 conv=notrunc status=none
qemu-img convert -c -O qcow2 src.raw zlib.qcow2
check_all zlib.qcow2
qemu-img convert -c -O qcow2 -o compression_type=zstd src.raw zstd.qcow2
check_all zstd.qcow2
qemu-img convert -c -O qcow2 -o cluster_size=4k,compression_type=zstd \
    src.raw zstd4k.qcow2
check_all zstd4k.qcow2
qemu-img convert -c -O qcow2 -o cluster_size=2M src.raw zlib2m.qcow2
check_all zlib2m.qcow2
# Compressed clusters keep plain 128-bit entries in extended L2 tables.
qemu-img convert -c -O qcow2 -o extended_l2=on src.raw zext.qcow2
check_all zext.qcow2

# Extended L2 entries: 32 subclusters of 2 KiB per 64 KiB cluster, with
# writes and zero writes that cover parts of clusters.
qemu-img create -q -f qcow2 -o extended_l2=on ext.qcow2 16M
qemu-io -f qcow2 -c 'write -P 0xa1 0 4k' -c 'write -P 0xb2 100k 6k' \
    -c 'write -z 40k 8k' -c 'write -P 0xc3 1M 200k' \
    -c 'write -z 1030k 2k' -c 'write -P 0xd4 16380k 4k' \
    ext.qcow2 >/dev/null
check_all ext.qcow2

# Backing chain of 3: top.qcow2 -> mid.qcow2 -> base.raw, relative
# names, the top larger than its backing (the rest reads as zeros), and
# overrides (data and zero) in the upper layers.
qemu-img create -q -f raw base.raw 16M
qemu-io -f raw -c 'write -P 0x11 0 16M' -c 'write -P 0 8M 1M' \
    base.raw >/dev/null
truncate -s 16M base.raw
fallocate -p -o $((12 << 20)) -l $((1 << 20)) base.raw 2>/dev/null || true
qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 16M
qemu-io -f qcow2 -c 'write -P 0x22 1M 1M' -c 'write -z 4M 64k' \
    -c 'write -P 0x23 5000k 3k' mid.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 24M
qemu-io -f qcow2 -c 'write -P 0x33 1536k 1M' -c 'write -z 3M 64k' \
    -c 'write -P 0x34 20M 64k' -c 'write -P 0x35 5001k 1k' \
    top.qcow2 >/dev/null
check_all top.qcow2
# Subclusters over a backing file: unallocated halves read the backing.
qemu-img create -q -f qcow2 -o extended_l2=on -b base.raw -F raw \
    extb.qcow2 16M
qemu-io -f qcow2 -c 'write -P 0x44 2k 2k' -c 'write -z 70k 4k' \
    extb.qcow2 >/dev/null
check_all extb.qcow2
# Read from another directory: names resolve next to the image.
(cd / && assert_reads_like_qemu "$T/top.qcow2" qcow2)

# The same chain with absolute backing names.
qemu-img create -q -f qcow2 -b "$T/base.raw" -F raw amid.qcow2 16M
qemu-io -f qcow2 -c 'write -P 0x22 1M 1M' amid.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b "$T/amid.qcow2" -F qcow2 atop.qcow2 16M
qemu-io -f qcow2 -c 'write -P 0x33 1536k 1M' atop.qcow2 >/dev/null
check_all atop.qcow2

# External data files, raw and not raw.
for raw in on off; do
    qemu-img create -q -f qcow2 \
        -o data_file=data-$raw.bin,data_file_raw=$raw ext-$raw.qcow2 16M
    write_patterns ext-$raw.qcow2
    check_all ext-$raw.qcow2
done

# A dirty image (lazy refcounts, dirty bit set as a crash leaves it) is
# still read.
qemu-img create -q -f qcow2 -o lazy_refcounts=on dirty.qcow2 16M
write_patterns dirty.qcow2
python3 - dirty.qcow2 <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(79)                       # low byte of incompatible_features
    b = f.read(1)[0] | 1             # bit 0: dirty
    f.seek(79)
    f.write(bytes([b]))
EOF
qemu-img info dirty.qcow2 | grep -q 'lazy refcounts: true' ||
    fail "dirty.qcow2 was not made with lazy refcounts"
check_all dirty.qcow2

# Encrypted images are refused, saying why.
# qemu-img times its LUKS key derivation with CPU-time samples and can
# fail with "Unable to get accurate CPU usage" on a loaded machine: try
# again a few times (a real failure still fails the test).
for try in 1 2 3 4 5; do
    rm -f enc.qcow2
    qemu-img create -q -f qcow2 --object secret,id=s0,data=x \
        -o encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=100 \
        enc.qcow2 16M && break
    [ $try = 5 ] && fail "qemu-img could not create a LUKS qcow2"
    sleep 1
done
expect_fail "$V2KVM_IMG" info enc.qcow2
assert_grep "enc.qcow2: encrypted image (crypt_method 2, LUKS)" "$T/err"

echo "test-qcow2: ok"
