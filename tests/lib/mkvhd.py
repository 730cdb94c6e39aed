#!/usr/bin/env python3
"""mkvhd.py - build VHD fixtures qemu-img cannot make (differencing disks,
partial sector bitmaps) and poke fields of any VHD.

Layout from Microsoft's "Virtual Hard Disk Image Format Specification":
big-endian; a 512-byte footer ("conectix") at the end and, for dynamic and
differencing disks, a copy at offset 0; the dynamic header ("cxsparse",
1024 bytes) at 512, the BAT (u32 sector numbers, 0xffffffff = free), the
parent locators' data, then blocks: a sector bitmap (MSB first, padded to
512 bytes) and the block's data.

  mkvhd.py diff DIR     DIR/parent.vhd (dynamic, made by "win ") and two
                        differencing disks over it: DIR/child.vhd (W2ru
                        ".\\parent.vhd" and W2ku "C:\\VMs\\parent.vhd") and
                        DIR/sub/child2.vhd (W2ru pointing nowhere, W2ku
                        "D:\\x\\parent.vhd" and a MacX URL: found through
                        the MacX path); writes DIR/expected-child.raw,
                        DIR/expected-child2.raw, DIR/expected-parent.raw
  mkvhd.py bits DIR     DIR/bits.vhd: a dynamic disk whose bitmaps leave
                        sectors clear over non-zero bytes (they read as
                        zero); DIR/expected-bits.raw
  mkvhd.py wrongparent DIR   DIR/wp-parent.vhd and DIR/wp-child.vhd whose
                        parent unique id is not the parent's
  mkvhd.py orphan DIR   DIR/orphan.vhd: its parent is nowhere
  mkvhd.py loop DIR     DIR/a.vhd and DIR/b.vhd, each the other's parent
  mkvhd.py pokes GOOD OUTDIR NAME:WHERE:OFFSET:FORMAT:VALUE[:nofix]...
                        for each spec, OUTDIR/NAME.vhd is GOOD (copied at
                        its first spec) with struct.pack(FORMAT, VALUE) at
                        OFFSET of WHERE: the footer (both copies), the
                        dynamic header ("dyn") or the file ("raw"); the
                        checksums are fixed unless "nofix".  One process
                        for many cases: python starts slowly.
"""
import os
import shutil
import struct
import sys
import time
import uuid

MiB = 1 << 20
FREE = 0xffffffff
FIXED, DYNAMIC, DIFF = 2, 3, 4
VHD_EPOCH = 946684800                   # 2000-01-01 00:00:00 UTC


def checksum(buf, csum_off):
    b = bytearray(buf)
    b[csum_off:csum_off + 4] = bytes(4)
    return ~sum(b) & 0xffffffff


def footer(disk_type, size, uid, data_offset=512, app=b"win "):
    f = bytearray(512)
    f[0:8] = b"conectix"
    struct.pack_into(">IIQI", f, 8, 2, 0x00010000, data_offset,
                     int(time.time()) - VHD_EPOCH)
    f[28:32] = app
    struct.pack_into(">I", f, 32, 0x000a0000)
    f[36:40] = b"Wi2k"
    # Geometry is not used for "win " disks (current size rules).
    struct.pack_into(">QQHBBI", f, 40, size, size, 1024, 16, 63, disk_type)
    f[68:84] = uid.bytes
    struct.pack_into(">I", f, 64, checksum(f, 64))
    return f


def locator(code, data, offset):
    return struct.pack(">4sIIIQ", code, (len(data) + 511) // 512 * 512,
                       len(data), 0, offset)


def write_dynamic(path, size, blocks, disk_type=DYNAMIC, block_size=2 * MiB,
                  uid=None, parent=None, locators=()):
    """blocks: per block None (free) or (bitmap_sectors, data): the set of
    sector indexes whose bit is set (None = all) and the block's bytes.
    parent: (unique id, name) for a differencing disk; locators: list of
    (platform code, bytes).  Returns the unique id."""
    uid = uid or uuid.uuid4()
    n = (size + block_size - 1) // block_size
    spb = block_size // 512
    bitmap_size = (spb // 8 + 511) // 512 * 512
    bat_off = 1536
    pos = bat_off + (n * 4 + 511) // 512 * 512
    locs, locdata = [], []
    for code, data in locators:
        locs.append(locator(code, data, pos))
        locdata.append((pos, data))
        pos += (len(data) + 511) // 512 * 512
    bat, body = [], []
    for b in blocks:
        if b is None:
            bat.append(FREE)
            continue
        sectors, data = b
        bm = bytearray(bitmap_size)
        for s in (range(spb) if sectors is None else sectors):
            bm[s // 8] |= 0x80 >> (s % 8)
        bat.append(pos // 512)
        body.append((pos, bytes(bm) + data + bytes(block_size - len(data))))
        pos += bitmap_size + block_size
    dyn = bytearray(1024)
    dyn[0:8] = b"cxsparse"
    struct.pack_into(">QQIII", dyn, 8, 0xffffffffffffffff, bat_off,
                     0x00010000, n, block_size)
    if parent:
        puid, pname = parent
        dyn[40:56] = puid.bytes
        struct.pack_into(">I", dyn, 56, int(time.time()) - VHD_EPOCH)
        name = pname.encode("utf-16-be")
        dyn[64:64 + len(name)] = name
    for i, l in enumerate(locs):
        dyn[576 + 24 * i:600 + 24 * i] = l
    struct.pack_into(">I", dyn, 36, checksum(dyn, 36))
    foot = footer(disk_type, size, uid)
    with open(path, "wb") as f:
        f.write(foot)
        f.write(dyn)
        f.write(struct.pack(">%dI" % n, *bat))
        for off, data in locdata:
            f.seek(off)
            f.write(data)
        for off, data in body:
            f.seek(off)
            f.write(data)
        f.seek(pos)
        f.write(foot)
    return uid


def pattern(byte, length, mark):
    b = bytearray([byte]) * length
    for s in range(0, length, 512):
        tag = b"%s:%d" % (mark, s // 512)
        b[s:s + len(tag)] = tag
    return bytes(b)


def flatten(layers, size, block_size=2 * MiB):
    """Guest bytes of a chain (top layer first), sector by sector."""
    out = bytearray(size)
    spb = block_size // 512
    for sec in range(size // 512):
        bi, si = divmod(sec, spb)
        for blocks in layers:
            b = blocks[bi]
            if b is None:
                continue
            sectors, data = b
            if sectors is not None and si not in sectors:
                if layers[-1] is blocks:
                    break           # clear bit at the bottom: zero
                continue
            data = data + bytes(block_size - len(data))
            out[sec * 512:(sec + 1) * 512] = data[si * 512:(si + 1) * 512]
            break
    return bytes(out)


def w16(s):
    return s.encode("utf-16-le")


def diff(d):
    os.makedirs(d, exist_ok=True)
    size = 10 * MiB
    bs = 2 * MiB
    parent = [(None, pattern(0x41, bs, b"p0")), None,
              (None, pattern(0x43, bs, b"p2")),
              (None, pattern(0x44, MiB, b"p3")), None]
    # Block 0: 8 sectors of our own, the rest from the parent.  Block 3:
    # sectors 2048-2055 ours; garbage under the clear bits must not show.
    garbage = bytearray(b"\xee") * bs
    garbage[2048 * 512:2056 * 512] = pattern(0x54, 4096, b"c3")
    child = [(set(range(8)), pattern(0x51, 4096, b"c0")),
             (None, pattern(0x52, bs, b"c1")), None,
             (set(range(2048, 2056)), bytes(garbage)), None]
    child2 = [None, None, (set(range(100, 300)), pattern(0x62, bs, b"d2")),
              None, None]
    pu = write_dynamic(os.path.join(d, "parent.vhd"), size, parent)
    write_dynamic(os.path.join(d, "child.vhd"), size, child, DIFF,
                  parent=(pu, "parent.vhd"),
                  locators=[(b"W2ku", w16("C:\\VMs\\parent.vhd")),
                            (b"W2ru", w16(".\\parent.vhd"))])
    os.makedirs(os.path.join(d, "sub"), exist_ok=True)
    url = "file://localhost" + os.path.abspath(d).replace(" ", "%20") + \
        "/parent.vhd"
    write_dynamic(os.path.join(d, "sub", "child2.vhd"), size, child2, DIFF,
                  parent=(pu, "parent.vhd"),
                  locators=[(b"W2ru", w16("..\\nowhere\\parent.vhd")),
                            (b"W2ku", w16("D:\\x\\parent.vhd")),
                            (b"MacX", url.encode())])
    for name, layers in (("child", [child, parent]),
                         ("child2", [child2, parent]),
                         ("parent", [parent])):
        with open(os.path.join(d, "expected-%s.raw" % name), "wb") as f:
            f.write(flatten(layers, size))


def bits(d):
    size = 4 * MiB
    bs = 2 * MiB
    blocks = [(set(range(0, 4096, 2)), pattern(0x71, bs, b"b0")),
              (set(range(10)), pattern(0x72, bs, b"b1"))]
    write_dynamic(os.path.join(d, "bits.vhd"), size, blocks)
    with open(os.path.join(d, "expected-bits.raw"), "wb") as f:
        f.write(flatten([blocks], size))


def wrongparent(d):
    write_dynamic(os.path.join(d, "wp-parent.vhd"), 2 * MiB, [None])
    write_dynamic(os.path.join(d, "wp-child.vhd"), 2 * MiB, [None], DIFF,
                  parent=(uuid.UUID("12345678-9abc-def0-1234-56789abcdef0"),
                          "wp-parent.vhd"),
                  locators=[(b"W2ru", w16(".\\wp-parent.vhd"))])


def orphan(d):
    write_dynamic(os.path.join(d, "orphan.vhd"), 2 * MiB, [None], DIFF,
                  parent=(uuid.uuid4(), "gone.vhd"),
                  locators=[(b"W2ru", w16(".\\gone.vhd"))])


def loop(d):
    ua, ub = uuid.uuid4(), uuid.uuid4()
    write_dynamic(os.path.join(d, "a.vhd"), 2 * MiB, [None], DIFF, uid=ua,
                  parent=(ub, "b.vhd"), locators=[(b"W2ru", w16(".\\b.vhd"))])
    write_dynamic(os.path.join(d, "b.vhd"), 2 * MiB, [None], DIFF, uid=ub,
                  parent=(ua, "a.vhd"), locators=[(b"W2ru", w16(".\\a.vhd"))])


def poke(path, where, offset, fmt, value, nofix=""):
    with open(path, "r+b") as f:
        size = f.seek(0, 2)
        f.seek(0)
        head = bytearray(f.read(512))
        dynamic = head[0:8] == b"conectix"
        f.seek(size - 512)
        tail = bytearray(f.read(512))
        val = struct.pack(fmt, int(value, 0))
        off = int(offset, 0)
        if where == "footer":
            copies = [(size - 512, tail)] + ([(0, head)] if dynamic else [])
            for pos, buf in copies:
                buf[off:off + len(val)] = val
                if not nofix:
                    struct.pack_into(">I", buf, 64, checksum(buf, 64))
                f.seek(pos)
                f.write(buf)
        elif where == "dyn":
            hoff = struct.unpack_from(">Q", tail, 16)[0]
            f.seek(hoff)
            dyn = bytearray(f.read(1024))
            dyn[off:off + len(val)] = val
            if not nofix:
                struct.pack_into(">I", dyn, 36, checksum(dyn, 36))
            f.seek(hoff)
            f.write(dyn)
        else:
            f.seek(off)
            f.write(val)


def pokes(good, outdir, *specs):
    done = set()
    for spec in specs:
        name, rest = spec.split(":", 1)
        path = os.path.join(outdir, name + ".vhd")
        if name not in done:
            shutil.copyfile(good, path)
            done.add(name)
        poke(path, *rest.split(":"))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    cmds = {"diff": diff, "bits": bits, "wrongparent": wrongparent,
            "orphan": orphan, "loop": loop, "pokes": pokes}
    if cmd not in cmds:
        sys.exit(__doc__)
    cmds[cmd](*args)


if __name__ == "__main__":
    main()
