#!/usr/bin/env python3
"""mkvmdk.py - build VMDK fixtures that qemu-img cannot write.

Layouts follow VMware's "Virtual Disk Format 1.1" (hosted sparse "KDMV",
ESX sparse "COWD", streamOptimized with markers and a footer) and qemu's
block/vmdk.c for seSparse.  Every image comes with the raw bytes it must
read as, so a reader can be checked against known patterns.

  mkvmdk.py all DIR        all of the below, in DIR/chain, DIR/esx, DIR/se,
                           DIR/mix and DIR/stream (one python start-up)
  mkvmdk.py chain DIR      base.vmdk (monolithicSparse) <- base-000001.vmdk
                           (separate descriptor, two -s00N sparse extents,
                           zeroed grains) <- base-000002.vmdk
                           (monolithicSparse delta); expected-000001.raw,
                           expected-000002.raw, expected-base.raw
  mkvmdk.py esx DIR        esx.vmdk (createType vmfs, VMFS flat extent)
                           <- esx-000001.vmdk (vmfsSparse, COWD delta with
                           1-sector grains); expected-esx.raw,
                           expected-esx-000001.raw
  mkvmdk.py sesparse DIR   esx.vmdk as above <- se.vmdk (seSparse delta);
                           expected-se.raw
  mkvmdk.py stream DIR [--corrupt]
                           stream.vmdk: streamOptimized with GD_AT_END and
                           a footer; expected-stream.raw.  --corrupt breaks
                           the deflate data of one grain.
  mkvmdk.py mix DIR        mix.vmdk: createType custom with FLAT, ZERO and
                           SPARSE extents; expected-mix.raw
  mkvmdk.py poke FILE OFFSET FMT VALUE
                           write VALUE packed with struct format FMT
                           (e.g. '<I') at OFFSET
  mkvmdk.py gte FILE INDEX VALUE
                           set entry INDEX of the first grain table of a
                           hosted sparse file
"""
import os
import struct
import sys
import zlib

SECTOR = 512
MiB = 1 << 20


def pattern(tag, index, size):
    """Grain content that tells grains and layers apart."""
    return bytes([tag, index & 0xff, (index >> 8) & 0xff, 0x5a]) * (size // 4)


def descriptor(cid, parent_cid, create_type, extents, parent_hint=None):
    lines = [
        "# Disk DescriptorFile",
        "version=1",
        "encoding=\"UTF-8\"",
        "CID=%08x" % cid,
        "parentCID=%08x" % parent_cid,
        "isNativeSnapshot=\"no\"",
        "createType=\"%s\"" % create_type,
    ]
    if parent_hint is not None:
        lines.append("parentFileNameHint=\"%s\"" % parent_hint)
    lines += ["", "# Extent description"] + extents + [
        "",
        "# The Disk Data Base",
        "#DDB",
        "",
        "ddb.adapterType = \"lsilogic\"",
        "ddb.geometry.cylinders = \"1024\"",
        "ddb.geometry.heads = \"255\"",
        "ddb.geometry.sectors = \"63\"",
        "ddb.virtualHWVersion = \"14\"",
        "",
    ]
    return "\n".join(lines).encode()


def vmdk4_header(capacity, grain, gtes, desc_off, desc_size, gd_off,
                 overhead, flags, version=1, compress=0):
    """The 512-byte hosted sparse header (spec, SparseExtentHeader)."""
    h = b"KDMV" + struct.pack("<IIQQQQIQQQB4sH", version, flags, capacity,
                              grain, desc_off, desc_size, gtes, 0, gd_off,
                              overhead, 0, b"\n \r\n", compress)
    return h + bytes(512 - len(h))


class Image:
    """A sparse file assembled from (offset, bytes) pieces."""

    def __init__(self):
        self.pieces = []
        self.size = 0

    def put(self, off, data):
        self.pieces.append((off, data))
        self.size = max(self.size, off + len(data))

    def write(self, path, size=None):
        with open(path, "wb") as f:
            for off, data in self.pieces:
                f.seek(off)
                f.write(data)
            f.truncate(size if size is not None else self.size)


def hosted_sparse(path, capacity, grains, grain=128, gtes=512, desc=None,
                  zero_grain=False):
    """Write a hosted sparse extent.  grains: {grain index: bytes or None
    (a zeroed grain, GTE 1)}.  Only grain tables that hold something are
    allocated, so missing grain directory entries are exercised."""
    gbytes = grain * SECTOR
    n_grains = -(-capacity // grain)
    n_gd = -(-n_grains // gtes)
    gt_sectors = -(-gtes * 4 // SECTOR)
    desc_off, desc_size = (1, 20) if desc is not None else (0, 0)
    gd_off = 1 + desc_size
    gd_sectors = -(-n_gd * 4 // SECTOR)
    used_gts = sorted({g // gtes for g in grains})
    gt_off = {}
    nxt = gd_off + gd_sectors
    for t in used_gts:
        gt_off[t] = nxt
        nxt += gt_sectors
    overhead = -(-nxt // grain) * grain
    flags = 1 | (4 if zero_grain else 0)
    img = Image()
    img.put(0, vmdk4_header(capacity, grain, gtes, desc_off, desc_size,
                            gd_off, overhead, flags,
                            version=2 if zero_grain else 1))
    if desc is not None:
        assert len(desc) <= desc_size * SECTOR
        img.put(SECTOR, desc + bytes(desc_size * SECTOR - len(desc)))
    gd = [0] * n_gd
    for t, off in gt_off.items():
        gd[t] = off
    img.put(gd_off * SECTOR, struct.pack("<%dI" % n_gd, *gd))
    gts = {t: [0] * gtes for t in used_gts}
    pos = overhead
    for g in sorted(grains):
        data = grains[g]
        if data is None:
            gts[g // gtes][g % gtes] = 1
            continue
        assert len(data) == gbytes
        gts[g // gtes][g % gtes] = pos
        img.put(pos * SECTOR, data)
        pos += grain
    for t, entries in gts.items():
        img.put(gt_off[t] * SECTOR, struct.pack("<%dI" % gtes, *entries))
    img.write(path, max(img.size, overhead * SECTOR))


def cowd_sparse(path, capacity, grains, grain=1):
    """ESX sparse extent (spec, COWDisk_Header); 4096-entry grain tables,
    all allocated as ESX does."""
    gtes = 4096
    n_grains = -(-capacity // grain)
    n_gd = -(-n_grains // gtes)
    gd_off = 4                              # after the 2048-byte header
    gd_sectors = -(-n_gd * 4 // SECTOR)
    gt_sectors = gtes * 4 // SECTOR
    first_gt = gd_off + gd_sectors
    pos = first_gt + n_gd * gt_sectors
    img = Image()
    gts = [[0] * gtes for _ in range(n_gd)]
    for g in sorted(grains):
        gts[g // gtes][g % gtes] = pos
        assert len(grains[g]) == grain * SECTOR
        img.put(pos * SECTOR, grains[g])
        pos += grain
    hdr = b"COWD" + struct.pack("<IIIIIII", 1, 3, capacity, grain, gd_off,
                                n_gd, pos)
    img.put(0, hdr + bytes(2048 - len(hdr)))
    img.put(gd_off * SECTOR, struct.pack(
        "<%dI" % n_gd, *[first_gt + i * gt_sectors for i in range(n_gd)]))
    for i, entries in enumerate(gts):
        img.put((first_gt + i * gt_sectors) * SECTOR,
                struct.pack("<%dI" % gtes, *entries))
    img.write(path, pos * SECTOR)


def sesparse(path, capacity, grains):
    """seSparse as qemu's vmdk.c reads it: 4 KiB grains, 4096-entry
    64-bit grain tables.  grains: {index: bytes or None (zero grain)}."""
    grain = 8
    gtes = 4096
    n_grains = -(-capacity // grain)
    n_gd = -(-n_grains // gtes)
    gd_sectors = max(1, -(-n_gd * 8 // SECTOR))
    gd_off = 2
    gt_off = gd_off + gd_sectors
    used = sorted({g // gtes for g in grains})
    gt_index = {t: i for i, t in enumerate(used)}
    gt_sectors_total = 64 * max(1, len(used))
    grains_off = gt_off + gt_sectors_total
    img = Image()
    gd = [0] * n_gd
    for t, i in gt_index.items():
        gd[t] = 0x1000000000000000 | i
    gts = {t: [0] * gtes for t in used}
    nxt = 0
    for g in sorted(grains):
        if grains[g] is None:
            gts[g // gtes][g % gtes] = 0x2000000000000000
            continue
        v = (0x3 << 60) | ((nxt & 0xfff) << 48) | (nxt >> 12)
        gts[g // gtes][g % gtes] = v
        img.put((grains_off + nxt * grain) * SECTOR, grains[g])
        nxt += 1
    const = struct.pack("<26Q", 0xcafebabe, 0x0000000200000001, capacity,
                        grain, 64, 0, 0, 0, 0, 0,
                        1, 1,                 # volatile header
                        0, 0, 0, 0,           # journal (unused here)
                        gd_off, gd_sectors,
                        gt_off, gt_sectors_total,
                        0, 0, 0, 0,
                        grains_off, max(1, nxt) * grain)
    img.put(0, const + bytes(512 - len(const)))
    vol = struct.pack("<4Q", 0xcafecafe, 0, 1, 0)
    img.put(SECTOR, vol + bytes(512 - len(vol)))
    img.put(gd_off * SECTOR, struct.pack("<%dQ" % n_gd, *gd))
    for t, entries in gts.items():
        img.put((gt_off + gt_index[t] * 64) * SECTOR,
                struct.pack("<%dQ" % gtes, *entries))
    img.write(path, (grains_off + max(1, nxt) * grain) * SECTOR)


def stream_optimized(path, capacity, grains, desc, corrupt=False):
    """streamOptimized (spec, "Stream-Optimized Compressed Sparse
    Extents"): header with gdOffset GD_AT_END, deflated grains behind grain
    markers, grain tables and directory behind metadata markers, footer,
    end-of-stream marker."""
    grain, gtes = 128, 512
    gbytes = grain * SECTOR
    n_grains = -(-capacity // grain)
    n_gd = -(-n_grains // gtes)
    flags = 1 | (1 << 16) | (1 << 17)
    out = bytearray()

    def pad():
        out.extend(bytes(-len(out) % SECTOR))

    def header(gd_off):
        return vmdk4_header(capacity, grain, gtes, 1, 20, gd_off, 21 + 3,
                            flags, version=3, compress=1)

    out += header(0xffffffffffffffff)
    out += desc + bytes(20 * SECTOR - len(desc))
    pad()
    out += bytes(3 * SECTOR)            # up to overHead (sector 24)
    gts = [[0] * gtes for _ in range(n_gd)]
    for n, g in enumerate(sorted(grains)):
        data = grains[g]
        z = zlib.compress(data)
        if corrupt and n == 1:
            z = z[:2] + bytes(b ^ 0xff for b in z[2:10]) + z[10:]
        gts[g // gtes][g % gtes] = len(out) // SECTOR
        out += struct.pack("<QI", g * grain, len(z)) + z
        pad()
    gd = []
    for t in range(n_gd):
        if not any(gts[t]):
            gd.append(0)
            continue
        out += struct.pack("<QII", 4, 0, 1) + bytes(SECTOR - 16)
        gd.append(len(out) // SECTOR)
        out += struct.pack("<%dI" % gtes, *gts[t])
    gd_sectors = -(-n_gd * 4 // SECTOR)
    out += struct.pack("<QII", gd_sectors, 0, 2) + bytes(SECTOR - 16)
    gd_off = len(out) // SECTOR
    out += struct.pack("<%dI" % n_gd, *gd)
    pad()
    out += struct.pack("<QII", 1, 0, 3) + bytes(SECTOR - 16)
    out += header(gd_off)
    out += bytes(SECTOR)                # end-of-stream marker
    assert gbytes
    with open(path, "wb") as f:
        f.write(out)


def write_raw(path, size, pieces):
    img = Image()
    for off, data in pieces:
        img.put(off, data)
    img.write(path, size)


def expected(path, size, layers, gbytes):
    """Write the raw the chain of layers reads as (grain granular)."""
    merged = {}
    for layer in layers:
        for g, data in layer.items():
            merged[g] = data
    pieces = [(g * gbytes, d if d is not None else bytes(gbytes))
              for g, d in sorted(merged.items())]
    write_raw(path, size, pieces)


def cmd_chain(d):
    cap = 80 * MiB // SECTOR                # 3 grain tables of 32 MiB
    g = 128 * SECTOR
    base = {i: pattern(0xa1, i, g) for i in (0, 1, 5, 600, 1100, 1279)}
    d1 = {1: pattern(0xb2, 1, g), 2: pattern(0xb2, 2, g), 600: None,
          1279: pattern(0xb2, 1279, g), 650: pattern(0xb2, 650, g)}
    d2 = {2: pattern(0xc3, 2, g), 5: None, 700: pattern(0xc3, 700, g)}
    hosted_sparse(os.path.join(d, "base.vmdk"), cap, base,
                  desc=descriptor(0x1111aaaa, 0xffffffff, "monolithicSparse",
                                  ['RW %d SPARSE "base.vmdk"' % cap]))
    # The delta splits in two extents of 40 MiB (grains 0-639, 640-1279).
    half = cap // 2
    hosted_sparse(os.path.join(d, "base-000001-s001.vmdk"), half,
                  {k: v for k, v in d1.items() if k < 640}, zero_grain=True)
    hosted_sparse(os.path.join(d, "base-000001-s002.vmdk"), half,
                  {k - 640: v for k, v in d1.items() if k >= 640},
                  zero_grain=True)
    with open(os.path.join(d, "base-000001.vmdk"), "wb") as f:
        f.write(descriptor(0x2222bbbb, 0x1111aaaa, "twoGbMaxExtentSparse",
                           ['RW %d SPARSE "base-000001-s001.vmdk"' % half,
                            'RW %d SPARSE "base-000001-s002.vmdk"' % half],
                           parent_hint="base.vmdk"))
    hosted_sparse(os.path.join(d, "base-000002.vmdk"), cap, d2,
                  zero_grain=True,
                  desc=descriptor(0x3333cccc, 0x2222bbbb, "monolithicSparse",
                                  ['RW %d SPARSE "base-000002.vmdk"' % cap],
                                  parent_hint="base-000001.vmdk"))
    size = cap * SECTOR
    expected(os.path.join(d, "expected-base.raw"), size, [base], g)
    expected(os.path.join(d, "expected-000001.raw"), size, [base, d1], g)
    expected(os.path.join(d, "expected-000002.raw"), size, [base, d1, d2], g)


def esx_base(d):
    cap = 16 * MiB // SECTOR
    flat = {0: pattern(0xe1, 0, 64 * 1024), 3 * MiB: pattern(0xe1, 3, 4096),
            9 * MiB + 512: pattern(0xe1, 9, 8192)}
    write_raw(os.path.join(d, "esx-flat.vmdk"), cap * SECTOR, flat.items())
    with open(os.path.join(d, "esx.vmdk"), "wb") as f:
        f.write(descriptor(0x4444dddd, 0xffffffff, "vmfs",
                           ['RW %d VMFS "esx-flat.vmdk"' % cap]))
    write_raw(os.path.join(d, "expected-esx.raw"), cap * SECTOR,
              flat.items())
    return cap, flat


def cmd_esx(d):
    cap, flat = esx_base(d)
    # 1-sector grains (vmfsSparse's default); sectors 1, 6144 (overrides
    # the base) and 30000.
    delta = {1: pattern(0xf2, 1, 512), 6144: pattern(0xf2, 6144, 512),
             30000: pattern(0xf2, 30000, 512)}
    cowd_sparse(os.path.join(d, "esx-000001-delta.vmdk"), cap, delta)
    with open(os.path.join(d, "esx-000001.vmdk"), "wb") as f:
        f.write(descriptor(0x5555eeee, 0x4444dddd, "vmfsSparse",
                           ['RW %d VMFSSPARSE "esx-000001-delta.vmdk"' % cap],
                           parent_hint="esx.vmdk"))
    pieces = list(flat.items()) + [(s * SECTOR, v) for s, v in delta.items()]
    write_raw(os.path.join(d, "expected-esx-000001.raw"), cap * SECTOR,
              pieces)


def cmd_sesparse(d):
    cap, flat = esx_base(d)
    g = 4096
    # Grain 0 overrides the base, grain 768 (3 MiB) is zeroed over base
    # data, grain 3000 lies far from the others.
    delta = {2: pattern(0x5e, 2, g), 768: None, 3000: pattern(0x5e, 3000, g),
             0: pattern(0x5e, 0, g)}
    sesparse(os.path.join(d, "se-sesparse.vmdk"), cap, delta)
    with open(os.path.join(d, "se.vmdk"), "wb") as f:
        f.write(descriptor(0x6666ffff, 0x4444dddd, "seSparse",
                           ['RW %d SESPARSE "se-sesparse.vmdk"' % cap],
                           parent_hint="esx.vmdk"))
    raw = bytearray(cap * SECTOR)
    for off, data in flat.items():
        raw[off:off + len(data)] = data
    for i, data in delta.items():
        raw[i * g:(i + 1) * g] = data if data is not None else bytes(g)
    with open(os.path.join(d, "expected-se.raw"), "wb") as f:
        f.write(raw)


def cmd_stream(d, corrupt):
    cap = 8 * MiB // SECTOR + 8             # a last, 4 KiB grain
    g = 128 * SECTOR
    grains = {0: pattern(0x71, 0, g), 3: bytes(g), 4: os.urandom(g),
              100: pattern(0x71, 100, g)}
    last = (cap - 1) // 128
    grains[last] = pattern(0x72, last, 8 * SECTOR)
    stream_optimized(os.path.join(d, "stream.vmdk"), cap, grains,
                     descriptor(0x7777abcd, 0xffffffff, "streamOptimized",
                                ['RW %d SPARSE "stream.vmdk"' % cap]),
                     corrupt)
    write_raw(os.path.join(d, "expected-stream.raw"), cap * SECTOR,
              [(i * g, v) for i, v in grains.items()])


def cmd_mix(d):
    g = 128 * SECTOR
    flat = pattern(0x81, 0, 2 * MiB)
    with open(os.path.join(d, "mix-flat.vmdk"), "wb") as f:
        f.write(bytes(1 * MiB) + flat)      # data from sector 2048 on
    sp = {1: pattern(0x82, 1, g), 20: pattern(0x82, 20, g)}
    hosted_sparse(os.path.join(d, "mix-s001.vmdk"), 4 * MiB // SECTOR, sp)
    with open(os.path.join(d, "mix.vmdk"), "wb") as f:
        f.write(descriptor(0x8888aaaa, 0xffffffff, "custom",
                           ['RW 4096 FLAT "mix-flat.vmdk" 2048',
                            'RW 2048 ZERO',
                            'RDONLY 8192 SPARSE "mix-s001.vmdk"']))
    raw = [(0, flat), (3 * MiB + g, sp[1]), (3 * MiB + 20 * g, sp[20])]
    write_raw(os.path.join(d, "expected-mix.raw"), 7 * MiB, raw)


def cmd_poke(path, off, fmt, value):
    with open(path, "r+b") as f:
        f.seek(int(off, 0))
        f.write(struct.pack(fmt, int(value, 0)))


def cmd_gte(path, index, value):
    with open(path, "r+b") as f:
        h = f.read(512)
        gd_off = struct.unpack_from("<Q", h, 56)[0]
        f.seek(gd_off * SECTOR)
        gt = struct.unpack("<I", f.read(4))[0]
        f.seek(gt * SECTOR + 4 * int(index, 0))
        f.write(struct.pack("<I", int(value, 0)))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd = argv[1]
    if cmd == "all":
        for sub, fn in (("chain", cmd_chain), ("esx", cmd_esx),
                        ("se", cmd_sesparse), ("mix", cmd_mix),
                        ("stream", lambda d: cmd_stream(d, False))):
            os.makedirs(os.path.join(argv[2], sub), exist_ok=True)
            fn(os.path.join(argv[2], sub))
    elif cmd == "chain":
        cmd_chain(argv[2])
    elif cmd == "esx":
        cmd_esx(argv[2])
    elif cmd == "sesparse":
        cmd_sesparse(argv[2])
    elif cmd == "stream":
        cmd_stream(argv[2], "--corrupt" in argv[3:])
    elif cmd == "mix":
        cmd_mix(argv[2])
    elif cmd == "poke" and len(argv) == 6:
        cmd_poke(*argv[2:])
    elif cmd == "gte" and len(argv) == 5:
        cmd_gte(*argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
