#!/usr/bin/env python3
"""mkhive.py - write an empty Windows registry hive (regf) file.

    mkhive.py OUT [ROOTNAME]

hivex can edit a hive but not create one from nothing, so the phony
Windows guests (tests/lib/mkphony-windows.sh) start from this file and
fill it with `hivexregedit --merge`.  The hive holds a root key and the
one security cell every new key inherits (hivex adds a reference to its
parent's); nothing else.

Layout (the regf format as documented by Joachim Metz,
libyal/libregf "Windows NT Registry File (REGF) format", and read by
hivex's lib/handle.c):
  0x0000  base block, 4096 bytes: "regf", sequence numbers, version
          1.3, root cell offset, size of the hive bins, a checksum
          (XOR of the first 127 dwords) at 0x1FC
  0x1000  one hive bin "hbin" of 4096 bytes: header 0x20 bytes, then
          cells.  A cell is a signed 32-bit size (negative = in use)
          followed by its data; sizes are multiples of 8.
"""
import struct
import sys

BIN = 0x1000


def cell(data):
    size = (4 + len(data) + 7) & ~7
    return struct.pack("<i", -size) + data + b"\0" * (size - 4 - len(data))


def main():
    out = sys.argv[1]
    name = (sys.argv[2] if len(sys.argv) > 2 else "ROOT").encode("ascii")
    nk_off = 0x20                       # offsets are relative to 0x1000
    # Root key ("nk"): KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME.
    nk_len = 4 + 0x4C + len(name)
    sk_off = nk_off + ((nk_len + 7) & ~7)
    none = 0xFFFFFFFF
    nk = struct.pack("<2sHQIIIIIIIIIIIIIIIHH", b"nk", 0x2C, 0, 0,
                     none, 0, 0, none, none, 0, none, sk_off, none,
                     0, 0, 0, 0, 0, len(name), 0) + name
    assert len(nk) == 0x4C + len(name)
    # Security ("sk"): a list of one (flink = blink = itself), used by
    # the root key; a self-relative descriptor with no owner, group or
    # ACLs (control SE_SELF_RELATIVE).
    sd = struct.pack("<BBHIIII", 1, 0, 0x8000, 0, 0, 0, 0)
    sk = struct.pack("<2sHIIII", b"sk", 0, sk_off, sk_off, 1,
                     len(sd)) + sd
    cells = cell(nk) + cell(sk)
    free = BIN - 0x20 - len(cells)
    cells += struct.pack("<i", free) + b"\0" * (free - 4)
    hbin = struct.pack("<4sIIQQI", b"hbin", 0, BIN, 0, 0, 0) + cells
    assert len(hbin) == BIN

    base = bytearray(BIN)
    struct.pack_into("<4sIIQIIIIIII", base, 0, b"regf", 1, 1, 0,
                     1, 3, 0, 1, nk_off, BIN, 1)
    fname = "v2kvm-test".encode("utf-16-le")
    base[0x30:0x30 + len(fname)] = fname
    csum = 0
    for i in range(0, 0x1FC, 4):
        csum ^= struct.unpack_from("<I", base, i)[0]
    if csum == 0xFFFFFFFF:
        csum = 0xFFFFFFFE
    elif csum == 0:
        csum = 1
    struct.pack_into("<I", base, 0x1FC, csum)
    with open(out, "wb") as f:
        f.write(bytes(base) + hbin)


if __name__ == "__main__":
    main()
