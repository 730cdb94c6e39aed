#!/usr/bin/env python3
"""mkvhdx.py - build and corrupt VHDX fixtures from the MS-VHDX spec.

qemu-img cannot create differencing VHDX files nor leave a dirty log, so
this writes them from "VHDX Format Specification v1.00" (MS-VHDX), with
known contents, plus the expected raw disk for the test to compare with.

  mkvhdx.py diff --parent P.vhdx --parent-raw P.raw --size N \
            --out C.vhdx --expect C.raw [--linkage GUID] [--relative NAME]
      a differencing VHDX (1 MiB blocks) over the VHDX parent P, whose
      raw content is P.raw: blocks fully present, partially present (a
      sector bitmap with odd runs), ZERO, UNMAPPED, UNDEFINED and
      NOT_PRESENT (the parent's).
  mkvhdx.py dirty --out F.vhdx --old OLD.raw --expect NEW.raw
            [--wrap] [--corrupt-newest]
      a dynamic VHDX whose header names a log holding a stale sequence
      (3, 4) and the active one (10, 11) that changes the BAT (allocates
      block 1, zeroes block 5, allocates block 7 past the end of the file)
      and payload (one sector of block 2, a zero range of block 0).
      OLD.raw is the disk without replay, NEW.raw with it.  --wrap puts
      the active sequence across the end of the circular log;
      --corrupt-newest breaks entry 11's checksum (then only 10 applies,
      and NEW.raw says so).
  mkvhdx.py corrupt F.vhdx CASE
      damage one field of an existing VHDX (made by qemu-img), fixing
      checksums where the field is covered by one.
"""
import argparse
import struct
import sys
import uuid

MIB = 1 << 20
KIB = 1 << 10

BAT_GUID = "2DC27766-F623-4200-9D64-115E9BFD4A08"
METADATA_GUID = "8B7CA206-4790-4B9A-B8FE-575F050F886E"
FILE_PARAMS = "CAA16737-FA36-4D43-B3B6-33F0AA44E76B"
VDISK_SIZE = "2FA54224-CD1B-4876-B211-5DBED83BF4B8"
PAGE83 = "BECA12AB-B2E6-4523-93EF-C309E000C746"
LSS = "8141BF1D-A96F-4709-BA47-F233A8FAAB5F"
PSS = "CDA348C7-445D-4471-9CC9-E9885251C556"
PARENT_LOCATOR = "A8D35F2D-B30B-454D-ABF7-D3D84834AB0C"
VHDX_LOCATOR_TYPE = "B04AEFB7-D19E-4A81-B789-25B8E9445913"


def g(s):
    """A GUID as VHDX stores it (mixed endian)."""
    return uuid.UUID(s).bytes_le


def gstr(b):
    return "{" + str(uuid.UUID(bytes_le=bytes(b))).upper() + "}"


_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def set_checksum(buf, off, length, csum_off=4):
    """Store the CRC-32C of buf[off:off+length] at off+csum_off."""
    buf[off + csum_off:off + csum_off + 4] = b"\0" * 4
    c = crc32c(bytes(buf[off:off + length]))
    buf[off + csum_off:off + csum_off + 4] = struct.pack("<I", c)


def utf16(s):
    return s.encode("utf-16-le")


class Image:
    """A VHDX under construction: file bytes in a bytearray."""

    def __init__(self, vsize, block_size=MIB, lss=512, has_parent=False,
                 log_len=MIB):
        self.vsize, self.bs, self.lss = vsize, block_size, lss
        self.has_parent = has_parent
        self.cr = (1 << 23) * lss // block_size
        self.blocks = -(-vsize // block_size)
        if has_parent:
            self.nbat = -(-self.blocks // self.cr) * (self.cr + 1)
        else:
            self.nbat = self.blocks + (self.blocks - 1) // self.cr
        self.bat = [0] * self.nbat
        self.log_off, self.log_len = MIB, log_len
        self.md_off, self.md_len = self.log_off + log_len, MIB
        self.bat_off = self.md_off + self.md_len
        self.bat_len = -(-self.nbat * 8 // MIB) * MIB
        self.f = bytearray(self.bat_off + self.bat_len)

    def put(self, off, data):
        if len(self.f) < off + len(data):
            self.f.extend(b"\0" * (off + len(data) - len(self.f)))
        self.f[off:off + len(data)] = data

    def alloc(self, length=None):
        off = -(-len(self.f) // MIB) * MIB
        self.put(off, b"\0" * (length or self.bs))
        return off

    def bat_index(self, b):
        return b + b // self.cr

    def set_block(self, b, state, off=0):
        self.bat[self.bat_index(b)] = off | state

    def set_bitmap(self, chunk, off):
        self.bat[chunk * (self.cr + 1) + self.cr] = off | 6

    def bat_bytes(self):
        return b"".join(struct.pack("<Q", e) for e in self.bat)

    def finish(self, data_write_guid, log_guid=b"\0" * 16, locator=None):
        f = self.f
        f[0:8] = b"vhdxfile"
        f[8:8 + 18] = utf16("mkvhdx.py")
        # Two headers; the second (higher sequence) is current.
        for i, (seq, lg) in enumerate(((5, b"\0" * 16), (6, log_guid))):
            off = (1 + i) * 64 * KIB
            h = struct.pack("<IIQ16s16s16sHHIQ", 0x64616568, 0, seq,
                            uuid.uuid4().bytes, data_write_guid, lg, 0, 1,
                            self.log_len, self.log_off)
            f[off:off + 4096] = h.ljust(4096, b"\0")
            set_checksum(f, off, 4096)
        # Region tables.
        rt = struct.pack("<IIII", 0x69676572, 0, 2, 0)
        rt += struct.pack("<16sQII", g(BAT_GUID), self.bat_off,
                          self.bat_len, 1)
        rt += struct.pack("<16sQII", g(METADATA_GUID), self.md_off,
                          self.md_len, 1)
        for off in (192 * KIB, 256 * KIB):
            f[off:off + 64 * KIB] = rt.ljust(64 * KIB, b"\0")
            set_checksum(f, off, 64 * KIB)
        # Metadata.
        items = [
            (FILE_PARAMS, 4, struct.pack("<II", self.bs,
                                         2 if self.has_parent else 0)),
            (VDISK_SIZE, 6, struct.pack("<Q", self.vsize)),
            (PAGE83, 6, uuid.uuid4().bytes),
            (LSS, 6, struct.pack("<I", self.lss)),
            (PSS, 6, struct.pack("<I", 4096)),
        ]
        if locator is not None:
            items.append((PARENT_LOCATOR, 4, locator))
        tab = struct.pack("<8sHH20x", b"metadata", 0, len(items))
        data_off = 64 * KIB
        for guid, flags, data in items:
            tab += struct.pack("<16sIIII", g(guid), data_off, len(data),
                               flags, 0)
            self.put(self.md_off + data_off, data)
            data_off += -(-len(data) // 4096) * 4096
        self.put(self.md_off, tab)
        self.put(self.bat_off, self.bat_bytes())


def parent_locator(pairs):
    n = len(pairs)
    hdr = struct.pack("<16sHH", g(VHDX_LOCATOR_TYPE), 0, n)
    entries, blob = b"", b""
    base = len(hdr) + 12 * n
    for k, v in pairs:
        kb, vb = utf16(k), utf16(v)
        ko = base + len(blob)
        blob += kb
        vo = base + len(blob)
        blob += vb
        entries += struct.pack("<IIHH", ko, vo, len(kb), len(vb))
    return hdr + entries + blob


def read_current_header(path):
    with open(path, "rb") as fp:
        data = fp.read(192 * KIB)
    best = None
    for off in (64 * KIB, 128 * KIB):
        h = bytearray(data[off:off + 4096])
        sig, csum, seq = struct.unpack_from("<IIQ", h)
        h[4:8] = b"\0" * 4
        if sig == 0x64616568 and crc32c(bytes(h)) == csum:
            if best is None or seq > best[0]:
                best = (seq, h)
    if best is None:
        sys.exit("mkvhdx.py: %s has no valid header" % path)
    return best[1]


# ---- differencing ----------------------------------------------------


def cmd_diff(a):
    dwg = bytes(read_current_header(a.parent)[32:48])
    with open(a.parent_raw, "rb") as fp:
        disk = bytearray(fp.read())
    assert len(disk) == a.size
    img = Image(a.size, MIB, 512, has_parent=True)
    bs, lss = img.bs, img.lss

    # Block 0: fully present.
    off = img.alloc()
    img.put(off, b"\x11" * bs)
    img.set_block(0, 6, off)
    disk[0:bs] = b"\x11" * bs
    # Block 1: partially present, odd sector runs.
    bm = img.alloc(MIB)
    img.set_bitmap(0, bm)
    off = img.alloc()
    img.set_block(1, 7, off)
    present = set(range(0, 8)) | {11, 13} | set(range(100, 301)) | \
        set(range(2040, 2048))
    bits = bytearray(bs // lss // 8)
    for s in present:
        bits[s // 8] |= 1 << (s % 8)
        pat = bytes([0x20 + s % 64]) * lss
        img.put(off + s * lss, pat)
        disk[bs + s * lss:bs + (s + 1) * lss] = pat
    # The bitmap bits for block 1 start at sector bs/lss of the chunk.
    img.put(bm + (bs // lss) // 8, bytes(bits))
    # Garbage where the bitmap says "parent": must not be read.
    for s in (8, 9, 10, 12, 99, 301):
        img.put(off + s * lss, b"\xee" * lss)
    # Block 2: ZERO hides the parent; 3: NOT_PRESENT shows it; 4:
    # UNMAPPED and 5: UNDEFINED read as zero.
    img.set_block(2, 2)
    disk[2 * bs:3 * bs] = b"\0" * bs
    img.set_block(3, 0)
    img.set_block(4, 3)
    disk[4 * bs:5 * bs] = b"\0" * bs
    img.set_block(5, 1)
    disk[5 * bs:6 * bs] = b"\0" * bs
    # Block 9: fully present, last block before a run of parent blocks.
    off = img.alloc()
    img.put(off, b"\x99" * bs)
    img.set_block(9, 6, off)
    disk[9 * bs:10 * bs] = b"\x99" * bs

    linkage = a.linkage or gstr(dwg)
    loc = parent_locator([
        ("parent_linkage", linkage),
        ("relative_path", a.relative),
        ("volume_path", "\\\\?\\Volume{26A21BDA-A627-11D7-9931-"
         "806E6F6E6963}\\vms\\nowhere.vhdx"),
        ("absolute_win32_path", "C:\\vms\\nowhere.vhdx"),
    ])
    img.finish(uuid.uuid4().bytes, locator=loc)
    with open(a.out, "wb") as fp:
        fp.write(img.f)
    with open(a.expect, "wb") as fp:
        fp.write(disk)


# ---- dirty log -------------------------------------------------------


def log_entry(seq, tail, log_guid, descs, flushed, last):
    """descs: ("data", file_offset, 4096 bytes) or ("zero", off, len)."""
    n = len(descs)
    desc_sectors = (n + 2 + 127) // 128
    datas = [d for d in descs if d[0] == "data"]
    total = (desc_sectors + len(datas)) * 4096
    buf = bytearray(total)
    struct.pack_into("<IIIIQII16sQQ", buf, 0, 0x65676F6C, 0, total, tail,
                     seq, n, 0, log_guid, flushed, last)
    k = desc_sectors * 4096
    for i, d in enumerate(descs):
        o = 64 + 32 * i
        if d[0] == "data":
            sec = d[2]
            assert len(sec) == 4096
            struct.pack_into("<I4s8sQQ", buf, o, 0x63736564, sec[4092:],
                             sec[:8], d[1], seq)
            struct.pack_into("<II", buf, k, 0x61746164, seq >> 32)
            buf[k + 8:k + 4092] = sec[8:4092]
            struct.pack_into("<I", buf, k + 4092, seq & 0xFFFFFFFF)
            k += 4096
        else:
            struct.pack_into("<IIQQQ", buf, o, 0x6F72657A, 0, d[2], d[1],
                             seq)
    set_checksum(buf, 0, total)
    return buf


def cmd_dirty(a):
    vsize, bs = 16 * MIB, MIB
    img = Image(vsize, bs, 512)
    old = bytearray(vsize)
    offs = {}
    for b, byte in ((0, 0x41), (1, 0x42), (2, 0x43), (5, 0x45)):
        offs[b] = img.alloc()
        img.put(offs[b], bytes([byte]) * bs)
    # Block 1's payload is written but not yet in the BAT (write-ahead:
    # data first, then the BAT update through the log).
    for b in (0, 2, 5):
        img.set_block(b, 6, offs[b])
        old[b * bs:(b + 1) * bs] = img.f[offs[b]:offs[b] + bs]
    log_guid = uuid.uuid4().bytes
    img.finish(uuid.uuid4().bytes, log_guid=log_guid)
    size = len(img.f)
    f7 = size                       # block 7 lands past the end of file
    new = bytearray(old)
    after10 = bytearray(old)

    # Stale sequence 3, 4: would break block 0 and 2 if replayed.
    stale_bat = list(img.bat)
    stale_bat[img.bat_index(0)] = 0
    stale_sec = b"".join(struct.pack("<Q", e) for e in stale_bat)
    stale_sec = stale_sec.ljust(4096, b"\0")
    e3 = log_entry(3, 0, log_guid, [("data", img.bat_off, stale_sec)],
                   size, size)
    e4 = log_entry(4, 0, log_guid,
                   [("data", offs[2], b"\xee" * 4096)], size, size)

    # Entry 10: the BAT: block 1 allocated, block 5 ZERO, block 7 past EOF.
    bat = list(img.bat)
    bat[img.bat_index(1)] = offs[1] | 6
    bat[img.bat_index(5)] = 2
    bat[img.bat_index(7)] = f7 | 6
    sec = b"".join(struct.pack("<Q", e) for e in bat).ljust(4096, b"\0")
    for d in (new, after10):
        d[bs:2 * bs] = b"\x42" * bs
        d[5 * bs:6 * bs] = b"\0" * bs
    # Entry 11: one sector of block 2 (distinct leading/trailing bytes,
    # which travel in the descriptor), and 64 KiB of zeros in block 0.
    psec = b"LEADING!" + b"\x99" * 4084 + b"TAIL"
    new[2 * bs + 8192:2 * bs + 12288] = psec
    new[128 * KIB:192 * KIB] = b"\0" * (64 * KIB)

    nsec = img.log_len // 4096
    if a.wrap:
        pos10 = nsec - 1            # entry 10's data sector wraps to 0
        pos3 = 100
    else:
        pos10 = 20
        pos3 = 0
    tail = pos10 * 4096
    # LastFileOffset not 1 MiB aligned: replay rounds the file up to the
    # next MiB (qemu's vhdx_log_flush does the same).
    last = f7 + MIB - 4096
    e10 = log_entry(10, tail, log_guid, [("data", img.bat_off, sec)],
                    size, last)
    e11 = log_entry(11, tail, log_guid,
                    [("data", offs[2] + 8192, psec),
                     ("zero", offs[0] + 128 * KIB, 64 * KIB)],
                    size, last)
    if a.corrupt_newest:
        e11[4096 + 100] ^= 0xFF     # in its data sector
    e3[12:16] = struct.pack("<I", pos3 * 4096)
    e4[12:16] = struct.pack("<I", pos3 * 4096)
    set_checksum(e3, 0, len(e3))
    set_checksum(e4, 0, len(e4))

    def place(pos, entry):
        for k in range(len(entry) // 4096):
            s = (pos + k) % nsec
            img.put(img.log_off + s * 4096, entry[k * 4096:(k + 1) * 4096])
        return pos + len(entry) // 4096

    p = place(pos3, e3)
    place(p, e4)
    p = place(pos10, e10)
    place(p % nsec, e11)
    assert len(img.f) == size
    with open(a.out, "wb") as fp:
        fp.write(img.f)
    with open(a.old, "wb") as fp:
        fp.write(old)
    with open(a.expect, "wb") as fp:
        fp.write(after10 if a.corrupt_newest else new)


# ---- corruption of qemu-made files -------------------------------------


def regions(f):
    n = struct.unpack_from("<I", f, 192 * KIB + 8)[0]
    out = {}
    for i in range(n):
        o = 192 * KIB + 16 + 32 * i
        guid, off, length, flags = struct.unpack_from("<16sQII", f, o)
        out[str(uuid.UUID(bytes_le=guid)).upper()] = (off, length, o)
    return out


def md_item(f, guid):
    md_off = regions(f)[METADATA_GUID][0]
    n = struct.unpack_from("<H", f, md_off + 10)[0]
    for i in range(n):
        o = md_off + 32 + 32 * i
        if bytes(f[o:o + 16]) == g(guid):
            off, length = struct.unpack_from("<II", f, o + 16)
            return md_off + off, o
    sys.exit("mkvhdx.py: no metadata item " + guid)


def both_region_tables(f, fn):
    for base in (192 * KIB, 256 * KIB):
        fn(base)
        set_checksum(f, base, 64 * KIB)


def cmd_corrupt(a):
    with open(a.file, "rb") as fp:
        f = bytearray(fp.read())
    c = a.case
    if c == "header-checksums":
        f[64 * KIB + 200] ^= 1
        f[128 * KIB + 200] ^= 1
    elif c == "region-checksums":
        f[192 * KIB + 100] ^= 1
        f[256 * KIB + 100] ^= 1
    elif c == "region1-checksum":
        f[192 * KIB + 100] ^= 1
    elif c == "region-no-bat":
        def drop_bat(base):
            n = struct.unpack_from("<I", f, base + 8)[0]
            ents = [bytes(f[base + 16 + 32 * i:base + 48 + 32 * i])
                    for i in range(n)]
            ents = [e for e in ents if e[:16] != g(BAT_GUID)]
            f[base + 16:base + 16 + 32 * n] = b"\0" * (32 * n)
            struct.pack_into("<I", f, base + 8, len(ents))
            f[base + 16:base + 16 + 32 * len(ents)] = b"".join(ents)
        both_region_tables(f, drop_bat)
    elif c == "region-unknown-required":
        o = regions(f)[BAT_GUID][2] - 192 * KIB

        def unknown(base):
            f[base + o:base + o + 16] = g("01234567-89AB-CDEF-0123-"
                                          "456789ABCDEF")
            f[base + o + 28] |= 1   # Required
        both_region_tables(f, unknown)
    elif c in ("block-size-npot", "block-size-small", "block-size-big"):
        v = {"block-size-npot": 3 * MIB, "block-size-small": 512 * KIB,
             "block-size-big": 512 * MIB}[c]
        struct.pack_into("<I", f, md_item(f, FILE_PARAMS)[0], v)
    elif c == "vsize-huge":
        struct.pack_into("<Q", f, md_item(f, VDISK_SIZE)[0], 1 << 63)
    elif c == "lss-bad":
        struct.pack_into("<I", f, md_item(f, LSS)[0], 1000)
    elif c == "md-offset":
        md_len = regions(f)[METADATA_GUID][1]
        struct.pack_into("<I", f, md_item(f, VDISK_SIZE)[1] + 16, md_len)
    elif c == "md-length":
        struct.pack_into("<I", f, md_item(f, PAGE83)[1] + 20, 2 * MIB)
    elif c == "bat-past-eof":
        bat_off = regions(f)[BAT_GUID][0]
        struct.pack_into("<Q", f, bat_off, (1 << 40) | 6)
    elif c == "bat-state":
        bat_off = regions(f)[BAT_GUID][0]
        struct.pack_into("<Q", f, bat_off, 4)
    elif c == "bat-partial":
        bat_off = regions(f)[BAT_GUID][0]
        e = struct.unpack_from("<Q", f, bat_off)[0]
        struct.pack_into("<Q", f, bat_off, (e & ~7) | 7)
    else:
        sys.exit("mkvhdx.py: unknown case " + c)
    with open(a.file, "wb") as fp:
        fp.write(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("diff")
    d.add_argument("--parent", required=True)
    d.add_argument("--parent-raw", required=True)
    d.add_argument("--size", type=int, required=True)
    d.add_argument("--out", required=True)
    d.add_argument("--expect", required=True)
    d.add_argument("--linkage")
    d.add_argument("--relative", default=".\\parent.vhdx")
    d = sub.add_parser("dirty")
    d.add_argument("--out", required=True)
    d.add_argument("--old", required=True)
    d.add_argument("--expect", required=True)
    d.add_argument("--wrap", action="store_true")
    d.add_argument("--corrupt-newest", action="store_true")
    d = sub.add_parser("corrupt")
    d.add_argument("file")
    d.add_argument("case")
    a = ap.parse_args()
    {"diff": cmd_diff, "dirty": cmd_dirty, "corrupt": cmd_corrupt}[a.cmd](a)


if __name__ == "__main__":
    main()
