#!/usr/bin/env python3
"""mkbench-image.py PATH VIRTUAL_SIZE DATA_BYTES [ZERO_BYTES] [SEED] [FILL]

Writes a sparse raw image of VIRTUAL_SIZE bytes holding DATA_BYTES of
random data in 4 MiB pieces at scattered, non-overlapping offsets, plus
ZERO_BYTES of explicitly written zeros (allocated blocks that read as
zero, which a converter should detect and skip).  Deterministic layout
for a given SEED; the data itself comes from os.urandom (incompressible,
like most real guest data), or with FILL=usr from the files under /usr
read in sorted order (programs, libraries, text: compressible about as
much as a system disk is, for benchmarking compressed output)."""
import os
import random
import sys

PIECE = 4 << 20


def usr_pieces():
    """4 MiB pieces of the regular files under /usr, in a fixed order."""
    buf = bytearray()
    while True:
        for root, dirs, files in os.walk("/usr"):
            dirs.sort()
            for name in sorted(files):
                p = os.path.join(root, name)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                try:
                    with open(p, "rb") as f:
                        buf += f.read()
                except OSError:
                    continue
                while len(buf) >= PIECE:
                    yield bytes(buf[:PIECE])
                    del buf[:PIECE]


def main():
    path = sys.argv[1]
    size = int(sys.argv[2])
    data = int(sys.argv[3])
    zeros = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    fill = sys.argv[6] if len(sys.argv) > 6 else "random"
    if fill not in ("random", "usr"):
        sys.exit("mkbench-image: FILL is random or usr")
    pieces = usr_pieces() if fill == "usr" else None
    slots = size // PIECE
    need = (data + zeros) // PIECE
    if need > slots:
        sys.exit("mkbench-image: more data than space")
    rng = random.Random(seed)
    chosen = sorted(rng.sample(range(slots), need))
    rng.shuffle(chosen)
    data_slots = set(chosen[: data // PIECE])
    zero = bytes(PIECE)
    with open(path, "wb") as f:
        f.truncate(size)
        for s in sorted(chosen):
            f.seek(s * PIECE)
            if s not in data_slots:
                f.write(zero)
            elif pieces is not None:
                f.write(next(pieces))
            else:
                f.write(os.urandom(PIECE))


if __name__ == "__main__":
    main()
