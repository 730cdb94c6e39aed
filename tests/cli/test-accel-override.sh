#!/bin/bash
# -v says which accelerator v2kvm will give libguestfs, and why;
# V2K_ACCEL forces it.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img
qemu-img create -q -f raw "$T/d.img" 1M
V2K_ACCEL=tcg "$V2KVM" --no-convert -v -i disk "$T/d.img" --print-source 2>"$T/err" >/dev/null
assert_grep "debug: accelerator: tcg (V2K_ACCEL=tcg)" "$T/err"
"$V2KVM" --no-convert -v -i disk "$T/d.img" --print-source 2>"$T/err" >/dev/null
if [ -w /dev/kvm ]; then
    assert_grep "debug: accelerator: \(kvm\|tcg\) (" "$T/err"
else
    assert_grep "debug: accelerator: tcg (/dev/kvm: No such file" "$T/err"
fi
echo "test-accel-override: ok"
