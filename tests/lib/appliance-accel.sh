# appliance-accel.sh - sourced by every test (through test-lib.sh) and by
# the scripts that start libguestfs themselves (the guest builders): put
# libguestfs, v2kvm and boot_guest on the accelerator that really runs a
# guest here (tests/lib/boot-lib.sh probe_accel, the same probe as v2kvm's
# common/accel.c).  libguestfs's default, accel=kvm:tcg, trusts /dev/kvm;
# a KVM that cannot run a guest then hangs the appliance.  Exports
# V2K_ACCEL (so v2kvm does not probe again in every test) and, for TCG,
# LIBGUESTFS_BACKEND_SETTINGS=force_tcg unless the caller already chose
# settings.  V2K_ACCEL=kvm|tcg set by the caller skips the probe.
# shellcheck shell=bash
# shellcheck source=boot-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/boot-lib.sh"
probe_accel >/dev/null          # sets V2K_BOOT_ACCEL: boot_guest reuses it
export V2K_ACCEL=$V2K_BOOT_ACCEL
if [ "$V2K_ACCEL" = tcg ] && [ -z "${LIBGUESTFS_BACKEND_SETTINGS:-}" ]; then
    export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
fi
