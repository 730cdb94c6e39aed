#!/usr/bin/env python3
"""mkvdi.py - build VirtualBox VDI fixtures qemu-img cannot make.

Layout from VirtualBox's VDICore.h (VDIHEADER1, header version 1.1):
64 bytes of text, the header at 0x40, the block map (one little-endian
u32 per block: data block index, 0xffffffff free, 0xfffffffe zero) and
the data area.  UUIDs are RTUUIDs: the first three fields little-endian
(Python's uuid.bytes_le), printed as VirtualBox prints them (str(uuid)).

  mkvdi.py chain DIR      VirtualBox-like VM folder: DIR/vm/base.vdi
                          (dynamic) and two levels of differencing images
                          DIR/vm/Snapshots/{uuid}.vdi, decoys beside them;
                          writes DIR/expected-top.raw, DIR/expected-base.raw
                          and prints the top image's path
  mkvdi.py extra DIR      a dynamic image with cbBlockExtra = 1024, an odd
                          disk size and blocks stored out of order;
                          DIR/extra.vdi and DIR/expected-extra.raw
  mkvdi.py orphan DIR     DIR/orphan.vdi: a differencing image whose
                          parent exists nowhere
  mkvdi.py loop DIR       DIR/a.vdi and DIR/b.vdi, each the other's parent
  mkvdi.py poke FILE OFFSET FORMAT VALUE
                          struct.pack(FORMAT, VALUE) at OFFSET (VALUE is an
                          integer, any base)
"""
import os
import struct
import sys
import uuid

MiB = 1 << 20
FREE = 0xffffffff
ZERO = 0xfffffffe
TYPE_NORMAL, TYPE_FIXED, TYPE_DIFF = 1, 2, 4
TEXT = b"<<< Oracle VM VirtualBox Disk Image >>>\n"


def write_vdi(path, disk_size, blocks, image_type=TYPE_NORMAL,
              block_size=MiB, block_extra=0, create=None, modify=None,
              linkage=None, parent_modify=None, order=None):
    """blocks: one item per block of the disk: None (free), 'zero', or
    bytes (at most block_size; padded with zeros).  order: the order in
    which allocated blocks are laid out in the data area (default: disk
    order).  Returns uuidCreate (a uuid.UUID)."""
    create = create or uuid.uuid4()
    modify = modify or uuid.uuid4()
    nblocks = len(blocks)
    offset_bmap = 0x200
    offset_data = (offset_bmap + 4 * nblocks + 511) // 512 * 512
    allocated = [i for i, b in enumerate(blocks) if isinstance(b, bytes)]
    if order is not None:
        allocated = [allocated[i] for i in order]
    bmap = []
    for i, b in enumerate(blocks):
        if b is None:
            bmap.append(FREE)
        elif b == 'zero':
            bmap.append(ZERO)
        else:
            bmap.append(allocated.index(i))
    hdr = bytearray(512)
    hdr[0:len(TEXT)] = TEXT
    struct.pack_into("<IIIII", hdr, 0x40, 0xbeda107f, 0x00010001, 0x190,
                     image_type, 0)
    hdr[0x54:0x54 + 9] = b"v2kvm fix"
    struct.pack_into("<IIIIIII", hdr, 0x154, offset_bmap, offset_data,
                     0, 0, 0, 512, 0)
    struct.pack_into("<QIIII", hdr, 0x170, disk_size, block_size,
                     block_extra, nblocks, len(allocated))
    hdr[0x188:0x198] = create.bytes_le
    hdr[0x198:0x1a8] = modify.bytes_le
    if linkage:
        hdr[0x1a8:0x1b8] = linkage.bytes_le
    if parent_modify:
        hdr[0x1b8:0x1c8] = parent_modify.bytes_le
    with open(path, "wb") as f:
        f.write(hdr)
        f.seek(offset_bmap)
        f.write(struct.pack("<%dI" % nblocks, *bmap))
        f.seek(offset_data)
        for i in allocated:
            data = blocks[i]
            f.write(b"\xee" * block_extra)      # must never be read
            f.write(data + bytes(block_size - len(data)))
        f.truncate(offset_data + len(allocated) * (block_size + block_extra))
    return create, modify


def pattern(byte, length, mark):
    """length bytes of byte, with mark written at the start of each
    sector so misplaced sectors show."""
    b = bytearray([byte]) * length
    for s in range(0, length, 512):
        tag = b"%s:%d" % (mark, s // 512)
        b[s:s + len(tag)] = tag
    return bytes(b)


def flatten(layers, disk_size, block_size=MiB):
    """Expected guest bytes of a chain, top layer first."""
    out = bytearray()
    for i in range(disk_size // block_size):
        for blocks in layers:
            b = blocks[i]
            if b is None:
                continue
            if b == 'zero':
                out += bytes(block_size)
            else:
                out += b + bytes(block_size - len(b))
            break
        else:
            out += bytes(block_size)
    return bytes(out)


def chain(d):
    vm = os.path.join(d, "vm")
    snaps = os.path.join(vm, "Snapshots")
    os.makedirs(snaps, exist_ok=True)
    size = 8 * MiB
    base = [pattern(0x11, MiB, b"base0"), pattern(0x12, MiB, b"base1"),
            pattern(0x13, MiB, b"base2"), None,
            pattern(0x15, MiB, b"base4"), 'zero', None,
            pattern(0x18, MiB // 2, b"base7")]
    diff1 = [None, pattern(0x21, MiB, b"diff1-1"), None,
             pattern(0x23, MiB, b"diff1-3"), None, None, 'zero', None]
    diff2 = [None, None, pattern(0x32, MiB, b"diff2-2"), None, 'zero',
             None, pattern(0x36, MiB, b"diff2-6"), None]
    bc, bm = write_vdi(os.path.join(vm, "base.vdi"), size, base,
                       order=[4, 0, 3, 1, 2])
    u1 = uuid.uuid4()
    p1 = os.path.join(snaps, "{%s}.vdi" % u1)
    c1, m1 = write_vdi(p1, size, diff1, TYPE_DIFF, create=u1, linkage=bc,
                       parent_modify=bm)
    u2 = uuid.uuid4()
    p2 = os.path.join(snaps, "{%s}.vdi" % u2)
    write_vdi(p2, size, diff2, TYPE_DIFF, create=u2, linkage=c1,
              parent_modify=m1)
    # Decoys the search must pass over: another disk of the VM, and a
    # differencing image of it.
    oc, _ = write_vdi(os.path.join(vm, "aaa-other.vdi"), MiB, [None])
    write_vdi(os.path.join(snaps, "{%s}.vdi" % uuid.uuid4()), MiB,
              [pattern(0x99, 512, b"decoy")], TYPE_DIFF, linkage=oc)
    with open(os.path.join(d, "expected-top.raw"), "wb") as f:
        f.write(flatten([diff2, diff1, base], size))
    with open(os.path.join(d, "expected-base.raw"), "wb") as f:
        f.write(flatten([base], size))
    print(p2)


def extra(d):
    size = 3 * MiB + 1000          # rounded up to a sector, as qemu does
    blocks = [pattern(0x61, MiB, b"x0"), None, pattern(0x63, 4096, b"x2"),
              pattern(0x64, 1536, b"x3")]
    write_vdi(os.path.join(d, "extra.vdi"), size, blocks, block_extra=1024,
              order=[2, 0, 1])
    flat = flatten([blocks], 4 * MiB)
    with open(os.path.join(d, "expected-extra.raw"), "wb") as f:
        f.write(flat[:(size + 511) // 512 * 512])


def orphan(d):
    write_vdi(os.path.join(d, "orphan.vdi"), MiB, [None], TYPE_DIFF,
              linkage=uuid.UUID("12345678-9abc-def0-1234-56789abcdef0"))


def loop(d):
    ua, ub = uuid.uuid4(), uuid.uuid4()
    write_vdi(os.path.join(d, "a.vdi"), MiB, [None], TYPE_DIFF, create=ua,
              linkage=ub)
    write_vdi(os.path.join(d, "b.vdi"), MiB, [None], TYPE_DIFF, create=ub,
              linkage=ua)


def poke(path, offset, fmt, value):
    with open(path, "r+b") as f:
        f.seek(int(offset, 0))
        f.write(struct.pack(fmt, int(value, 0)))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    cmds = {"chain": chain, "extra": extra, "orphan": orphan, "loop": loop,
            "poke": poke}
    if cmd not in cmds:
        sys.exit(__doc__)
    cmds[cmd](*args)


if __name__ == "__main__":
    main()
