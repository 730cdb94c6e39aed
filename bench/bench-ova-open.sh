#!/bin/bash
# bench-ova-open.sh OLD_V2KVM_IMG NEW_V2KVM_IMG [MEMBERS] - time to open a
# member of a big OVA (listing the tar is what opening costs), for two
# builds of v2kvm-img, and the ratio new/old.
#
# Two tars, built once in a scratch directory: MEMBERS (default 50000)
# members of 1 KiB then the member opened (many headers to walk), and a
# tar whose first member is 9 GiB, written sparse (a large file: the
# walk must step over the data, not read it).  Each open is
# "v2kvm-img info -f raw TAR/MEMBER", run 5 times; the median counts.
set -euo pipefail
old=$1 new=$2 members=${3:-50000}
dir=$(mktemp -d /tmp/v2k-bench-ova.XXXXXX)
trap 'rm -rf "$dir"' EXIT

python3 - "$dir" "$members" <<'PY'
import io, sys, tarfile
d, n = sys.argv[1], int(sys.argv[2])
with tarfile.open(d + "/many.ova", "w", format=tarfile.USTAR_FORMAT) as t:
    data = b"m" * 1024
    for i in range(n):
        info = tarfile.TarInfo("m/%06d.bin" % i); info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    info = tarfile.TarInfo("disk.raw"); info.size = 1 << 20
    t.addfile(info, io.BytesIO(b"\0" * (1 << 20)))
with open(d + "/large.ova", "wb") as f:
    info = tarfile.TarInfo("big.raw"); info.size = 9 << 30
    f.write(info.tobuf(tarfile.PAX_FORMAT))
    f.seek((9 << 30), 1)
    info = tarfile.TarInfo("disk.raw"); info.size = 1 << 20
    f.write(info.tobuf(tarfile.PAX_FORMAT))
    f.write(b"\0" * ((1 << 20) + 1024))
PY

# median IMG TAR: milliseconds of the median of 5 runs.
median() {
    local img=$1 tar=$2 i t0 t1
    for i in 1 2 3 4 5; do
        t0=$(date +%s%N)
        "$img" info -f raw "$tar/disk.raw" >/dev/null
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000000))
    done | sort -n | sed -n 3p
}
for t in many large; do
    a=$(median "$old" "$dir/$t.ova")
    b=$(median "$new" "$dir/$t.ova")
    ratio=$(python3 -c "print('%.2f' % (max($b, 1) / max($a, 1)))")
    echo "$t.ova: old ${a} ms, new ${b} ms, ratio new/old $ratio"
done
