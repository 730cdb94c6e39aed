# appliance-accel.sh - sourced by the scripts that start libguestfs
# themselves (guestfish in the guest builders and tests): put the
# appliance on the accelerator that really runs a guest here, as v2kvm
# does for its own launches (common/accel.c).  libguestfs's default,
# accel=kvm:tcg, trusts /dev/kvm; a KVM that cannot run a guest then
# hangs the appliance.  Sets LIBGUESTFS_BACKEND_SETTINGS=force_tcg unless
# the caller already chose settings; V2K_ACCEL=kvm|tcg skips the probe.
# shellcheck shell=bash
if [ -z "${LIBGUESTFS_BACKEND_SETTINGS:-}" ]; then
    # shellcheck source=boot-lib.sh
    . "$(dirname "${BASH_SOURCE[0]}")/boot-lib.sh"
    # V2K_ACCEL=kvm|tcg skips the probe, as it does for v2kvm itself.
    case ${V2K_ACCEL:-} in kvm|tcg) V2K_BOOT_ACCEL=$V2K_ACCEL ;; esac
    probe_accel >/dev/null      # sets V2K_BOOT_ACCEL: boot_guest reuses it
    if [ "$V2K_BOOT_ACCEL" = tcg ]; then
        export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
    fi
fi
