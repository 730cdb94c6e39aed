#!/bin/bash
# -v says which accelerator v2kvm will give libguestfs, and why;
# V2K_ACCEL forces it.  Unforced, v2kvm's own probe (common/accel.c) must
# agree with the test harness's (tests/lib/boot-lib.sh probe_kvm): both
# boot the appliance's kernel under KVM.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img
qemu-img create -q -f raw "$T/d.img" 1M
V2K_ACCEL=tcg "$V2KVM" --no-convert -v -i disk "$T/d.img" --print-source 2>"$T/err" >/dev/null
assert_grep "debug: accelerator: tcg (V2K_ACCEL=tcg)" "$T/err"
harness=tcg
if probe_kvm; then harness=kvm; fi
env -u V2K_ACCEL "$V2KVM" --no-convert -v -i disk "$T/d.img" --print-source 2>"$T/err" >/dev/null
if [ -w /dev/kvm ]; then
    assert_grep "debug: accelerator: $harness (" "$T/err"
    if [ $harness = kvm ]; then
        assert_grep "probe kernel (/boot/vmlinuz-.*) ran to its end" "$T/err"
    else
        assert_grep "does not run a guest: " "$T/err"
    fi
else
    assert_grep "debug: accelerator: tcg (/dev/kvm: No such file" "$T/err"
fi
grep "accelerator" "$T/err" >&2
echo "test-accel-override: ok"
