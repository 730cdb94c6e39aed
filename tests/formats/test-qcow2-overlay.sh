#!/bin/bash
# A qcow2 overlay over a backing file, after the guest discarded blocks
# (what the conversion's fstrim leaves in its overlays): qemu turns a
# discarded cluster of a version 3 image with a backing file into a zero
# cluster (the zero flag, or the "all zeroes" subcluster bits with
# extended L2 entries), so that it reads as zeros and not as the backing
# file's data.  Our reader must say ZERO there, as qemu-img map does, so
# that the copy skips those clusters, and read zeros, not the backing.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io jq

# The backing file: data everywhere, so a wrong answer shows.
qemu-img create -q -f raw "$T/base.raw" 8M
qemu-io -f raw -c 'write -P 0xa1 0 8M' "$T/base.raw" >/dev/null

# data_runs IMAGE FORMAT: qemu-img's map as "start length data zero".
qemu_runs() {
    qemu-img map -f "$2" --output=json "$1" |
        jq -r '.[] | "\(.start) \(.length) \(.data) \(.zero)"'
}
our_runs() {
    "$V2KVM_IMG" map -f "$2" --output=json "$1" |
        jq -r '.[] | "\(.start) \(.length) \(.data) \(.zero)"'
}
# merge runs of the same kind (formats split differently)
merge() {
    awk '{ if (n && $3 == d && $4 == z && s + l == $1) { l += $2 }
           else { if (n) print s, l, d, z; s = $1; l = $2; d = $3;
                  z = $4; n = 1 } }
         END { if (n) print s, l, d, z }'
}

for variant in v3 v3-extended-l2 v2; do
    echo "== $variant"
    ov=$T/overlay-$variant.qcow2
    case $variant in
    v3) opts=compat=1.1 ;;
    v3-extended-l2) opts=compat=1.1,extended_l2=on ;;
    v2) opts=compat=0.10 ;;
    esac
    rm -f "$ov"
    qemu-img create -q -f qcow2 -o "$opts" -F raw -b base.raw "$ov"
    # The guest writes, then frees: a whole written cluster, clusters it
    # never wrote (only the backing has data), and zeroes with unmap.
    # -d unmap: qemu ignores discards on an image opened without it.
    qemu-io -f qcow2 -d unmap \
        -c 'write -P 0x11 1M 64k' -c 'write -P 0x22 5M 128k' \
        -c 'discard 1M 64k' -c 'discard 2M 1M' \
        -c 'write -z -u 4M 256k' "$ov" >/dev/null

    # Byte for byte what qemu reads, and where the data is.
    assert_reads_like_qemu "$ov" qcow2
    qemu_runs "$ov" qcow2 | merge >"$T/qruns"
    our_runs "$ov" qcow2 | merge >"$T/oruns"
    diff -u "$T/qruns" "$T/oruns" ||
        fail "$variant: our map (data, zero) differs from qemu-img map"

    if [ $variant != v2 ]; then
        # The discarded ranges are zero and not data, in our map ...
        for r in "1048576 65536" "2097152 1048576" "4194304 262144"; do
            set -- $r
            jq -e --argjson s "$1" --argjson l "$2" \
                '[.[] | select(.start < $s + $l and .start + .length > $s)]
                 | length > 0 and all(.zero == true and .data == false)' \
                <("$V2KVM_IMG" map -f qcow2 --output=json "$ov") >/dev/null ||
                fail "$variant: $1+$2 is not reported as zero"
        done
        # ... and read as zeros, not as the backing file's 0xa1.
        qemu-io -f qcow2 -r -c 'read -P 0 2M 1M' -c 'read -P 0 1M 64k' \
            "$ov" | grep -q 'Pattern verification failed' &&
            fail "$variant: qemu reads the backing file where we discarded"
        "$V2KVM_IMG" convert -f qcow2 -O raw "$ov" "$T/ours.raw"
        cmp -n 1048576 -i 2097152:0 "$T/ours.raw" /dev/zero ||
            fail "$variant: a discarded cluster reads as non-zero"
        # A copy moves only what is data: the discards shrink it.
        "$V2KVM_IMG" convert -f qcow2 -O qcow2 "$ov" "$T/copy.qcow2"
        qemu-img compare -q -f qcow2 -F qcow2 "$ov" "$T/copy.qcow2" ||
            fail "$variant: the copy differs from the overlay"
        data=$(qemu-img map -f qcow2 --output=json "$T/copy.qcow2" |
               jq '[.[] | select(.data) | .length] | add')
        [ "$data" -le $((8 * 1048576 - 1048576 - 65536 - 262144)) ] ||
            fail "$variant: the copy holds $data bytes of data"
        rm -f "$T/ours.raw" "$T/copy.qcow2"
    fi
done
echo "test-qcow2-overlay: ok"
