#!/usr/bin/env python3
"""mkbench-image.py PATH VIRTUAL_SIZE DATA_BYTES [ZERO_BYTES] [SEED]

Writes a sparse raw image of VIRTUAL_SIZE bytes holding DATA_BYTES of
random data in 4 MiB pieces at scattered, non-overlapping offsets, plus
ZERO_BYTES of explicitly written zeros (allocated blocks that read as
zero, which a converter should detect and skip).  Deterministic layout
for a given SEED; the data itself comes from os.urandom (incompressible,
like most real guest data)."""
import os
import random
import sys

PIECE = 4 << 20


def main():
    path = sys.argv[1]
    size = int(sys.argv[2])
    data = int(sys.argv[3])
    zeros = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
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
            f.write(os.urandom(PIECE) if s in data_slots else zero)


if __name__ == "__main__":
    main()
