# boot-lib.sh - boot a guest disk under QEMU and watch its serial console.
# shellcheck shell=bash
# Sourced by tests/guests/test-boot-*.sh (after test-lib.sh), by
# scripts/demo.sh and by bench/.
#
# boot_guest IMAGE FORMAT TIMEOUT_S LOG
#   Boots IMAGE (FORMAT: raw, qcow2, vmdk...) as a KVM guest would see it
#   after conversion: virtio-blk disk (snapshot=on: the image is never
#   written), virtio-net-pci on QEMU user networking, 1 GiB, one vCPU, no
#   display, the first serial port written to LOG.  Returns 0 as soon as
#   the marker "V2KVM-BOOT-OK" (printed by the guests of
#   tests/lib/mkguest-debian.sh once multi-user.target is reached)
#   appears in LOG; 1 as soon as a failure signature appears (initramfs
#   "Gave up waiting for root", "ALERT!", the "(initramfs)" shell, "Kernel
#   panic", systemd "emergency mode", "grub rescue>"), when QEMU exits, or
#   at the timeout.  QEMU is killed by its PID in every case.
#   Sets BOOT_SECONDS (time to the verdict) and BOOT_RESULT ("marker",
#   "timeout", "qemu exited" or the failure signature found).
#   Variables change the machine:
#     BOOT_NIC_MAC=MAC   the NIC's MAC (default qemu's 52:54:00:12:34:56);
#     BOOT_DISK_IF=ahci  the disk on q35's AHCI (sda) instead of virtio;
#     BOOT_UEFI=1        q35 with OVMF (Debian's ovmf: OVMF_CODE_4M.fd,
#                        and a fresh copy of OVMF_VARS_4M.fd: an empty
#                        NVRAM, as a new libvirt domain gets); OVMF's "no
#                        bootable option" and its shell count as
#                        failures.
#
# Accelerator: $V2K_ACCEL (kvm or tcg, as v2kvm itself honours it), else
# probe_accel's answer.

BOOT_FAIL_PATTERNS=(
    "Gave up waiting for root"
    "ALERT!"
    "(initramfs)"
    "Kernel panic"
    "emergency mode"
    "grub rescue>"
    "No bootable device"
)

# probe_kvm [QEMU]: exit 0 when KVM really runs a guest here (the same
# probe as v2kvm's common/accel.c and its -o qemu scripts).  It boots the
# kernel libguestfs's appliance boots ($SUPERMIN_KERNEL, else the newest
# /boot/vmlinuz-*) with -accel kvm, no disk and panic=-1: KVM works when
# that kernel runs to its panic within 10 s (TCG takes about 4 s, a
# healthy KVM 1 s).  A boot sector is not enough: a nested KVM seen here
# and on CI runs one in 1.5 s but hangs every Linux kernel before its
# first line.  Without a readable kernel the boot sector (isa-debug-exit:
# qemu exits with 3) is the fallback.  Prints nothing on stdout.
probe_kvm() {
    local qemu=${1:-qemu-system-x86_64} kernel=${SUPERMIN_KERNEL:-} tmp rc=0
    [ -e /dev/kvm ] || return 1
    [ -n "$kernel" ] ||
        kernel=$(ls -1v /boot/vmlinuz-* 2>/dev/null | tail -n 1) || true
    tmp=$(mktemp) || return 1
    if [ -n "$kernel" ] && [ -r "$kernel" ]; then
        timeout 10 "$qemu" -accel kvm -cpu host -display none -nodefaults \
            -no-user-config -m 256 -no-reboot -kernel "$kernel" \
            -append "console=ttyS0 panic=-1 loglevel=4" \
            -serial "file:$tmp" </dev/null >/dev/null 2>&1 || rc=$?
        [ "$rc" = 0 ] && grep -aq "Kernel panic" "$tmp" || rc=1
    else
        { printf '\260\001\346\364\364\353\375'
          head -c 503 /dev/zero
          printf '\125\252'; } >"$tmp"
        timeout 10 "$qemu" -accel kvm -display none -nodefaults \
            -no-user-config -m 16 -device isa-debug-exit,iobase=0xf4,iosize=4 \
            -drive file="$tmp",format=raw,if=ide </dev/null >/dev/null 2>&1 ||
            rc=$?
        [ "$rc" = 3 ] && rc=0 || rc=1
    fi
    rm -f "$tmp"
    return "$rc"
}

# probe_accel: prints "kvm" when KVM really runs a guest here, else "tcg".
# V2K_ACCEL=kvm|tcg skips the probe.  The answer is kept per shell
# (V2K_BOOT_ACCEL) and per boot of the machine in a file under
# $V2K_TEST_TMPDIR (else $TMPDIR or /tmp), so that a test run probes once,
# not once per test (a broken KVM costs the probe's 10 s).
probe_accel() {
    local cache boot_id
    case ${V2K_ACCEL:-} in kvm|tcg) V2K_BOOT_ACCEL=$V2K_ACCEL ;; esac
    if [ -z "${V2K_BOOT_ACCEL:-}" ]; then
        boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo 0)
        cache=${V2K_TEST_TMPDIR:-${TMPDIR:-/tmp}}/v2kvm-accel.$(id -u).$boot_id
        case $(cat "$cache" 2>/dev/null) in
        kvm|tcg) V2K_BOOT_ACCEL=$(cat "$cache") ;;
        *)
            if probe_kvm; then V2K_BOOT_ACCEL=kvm; else V2K_BOOT_ACCEL=tcg; fi
            echo "$V2K_BOOT_ACCEL" >"$cache.$$" && mv -f "$cache.$$" "$cache"
            if [ "$V2K_BOOT_ACCEL" = kvm ]; then
                echo "boot-lib: accelerator kvm (the probe kernel ran under KVM)" >&2
            else
                echo "boot-lib: accelerator tcg (no /dev/kvm, or KVM did not" \
                    "run the probe kernel)" >&2
            fi
            ;;
        esac
    fi
    echo "$V2K_BOOT_ACCEL"
}

boot_guest() {
    local img=$1 fmt=$2 timeout=$3 log=$4
    local accel=${V2K_ACCEL:-} start now pid p rc=1
    [ -n "$accel" ] || { probe_accel >/dev/null; accel=$V2K_BOOT_ACCEL; }
    case $accel in kvm|tcg) ;; *) accel=tcg ;; esac
    command -v qemu-system-x86_64 >/dev/null 2>&1 || {
        echo "boot_guest: qemu-system-x86_64 is missing" >&2; return 1; }
    : >"$log"
    BOOT_RESULT=timeout
    start=$(date +%s.%N)
    local -a machine=() disk nic
    local fails=("${BOOT_FAIL_PATTERNS[@]}")
    if [ "${BOOT_UEFI:-}" = 1 ]; then
        [ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || {
            echo "boot_guest: OVMF is missing (Debian's ovmf)" >&2; return 1; }
        cp /usr/share/OVMF/OVMF_VARS_4M.fd "$log.vars"
        machine=(-machine q35 -drive
            "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
            -drive "if=pflash,format=raw,unit=1,file=$log.vars")
        fails+=("No bootable option" "Shell> ")
    fi
    if [ "${BOOT_DISK_IF:-virtio}" = ahci ]; then
        [ ${#machine[@]} -gt 0 ] || machine=(-machine q35)
        disk=(-drive "file=$img,format=$fmt,if=none,id=d0,snapshot=on"
              -device ide-hd,drive=d0,bus=ide.0)
    else
        disk=(-drive "file=$img,format=$fmt,if=virtio,snapshot=on")
    fi
    nic=(-netdev user,id=n0 -device
         "virtio-net-pci,netdev=n0${BOOT_NIC_MAC:+,mac=$BOOT_NIC_MAC}")
    qemu-system-x86_64 -accel "$accel" -m 1024 -smp 1 -nodefaults \
        -display none -monitor none -no-reboot "${machine[@]}" \
        "${disk[@]}" "${nic[@]}" \
        -serial "file:$log" </dev/null >"$log.qemu" 2>&1 &
    pid=$!
    while :; do
        if grep -aq "V2KVM-BOOT-OK" "$log"; then
            BOOT_RESULT=marker
            rc=0
            break
        fi
        for p in "${fails[@]}"; do
            if grep -aqF -- "$p" "$log"; then
                BOOT_RESULT=$p
                break 2
            fi
        done
        if ! kill -0 "$pid" 2>/dev/null; then
            BOOT_RESULT="qemu exited"
            # One last look: the guest may have written just before.
            grep -aq "V2KVM-BOOT-OK" "$log" && { BOOT_RESULT=marker; rc=0; }
            break
        fi
        now=$(date +%s.%N)
        if awk -v a="$start" -v b="$now" -v t="$timeout" \
               'BEGIN { exit !(b - a >= t) }'; then
            BOOT_RESULT=timeout
            break
        fi
        sleep 0.5
    done
    now=$(date +%s.%N)
    BOOT_SECONDS=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    if [ "$BOOT_RESULT" = "qemu exited" ] && [ -s "$log.qemu" ]; then
        sed 's/^/qemu: /' "$log.qemu" >&2
    fi
    echo "boot_guest: $(basename "$img"): $BOOT_RESULT after ${BOOT_SECONDS}s ($accel)" >&2
    return $rc
}

# boot_tail LOG: the last lines of a serial log, for failure messages.
boot_tail() {
    tr -d '\r' <"$1" | grep -av '^\s*$' | tail -n "${2:-25}" >&2
}

# --- helpers for tests/guests/test-boot-*.sh ----------------------------

# guest_source VARIANT: build (or find in the cache) the Debian 12 guest
# VARIANT (base, vmware, vmware-most, xen, vbox, uefi) with
# tests/lib/mkguest-debian.sh and print its directory.  The cache is
# $V2K_GUEST_CACHE or /var/cache/v2kvm-tests.  The builder prints only
# that directory on
# stdout; still, only its last line is taken, and it must be a directory
# holding the variant's configuration or disk, else one error line and
# status 1 (never a bogus path for the caller to pass on).
guest_source() {
    local lib out dir main
    lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    case $1 in
        base) main=debian12.img ;;
        vmware|vmware-most) main=debian12.vmx ;;
        xen) main=debian12.cfg ;;
        vbox) main=debian12.vbox ;;
        uefi) main=debian12-uefi.ova ;;
        *) echo "guest_source: unknown variant '$1'" >&2; return 1 ;;
    esac
    out=$(bash "$lib/mkguest-debian.sh" "${V2K_GUEST_CACHE:-}" "$1") ||
        { echo "guest_source: building the $1 guest failed" \
               "(tests/lib/mkguest-debian.sh, messages above)" >&2
          return 1; }
    dir=$(printf '%s\n' "$out" | tail -n 1)
    [ -n "$dir" ] && [ -f "$dir/$main" ] ||
        { echo "guest_source: tests/lib/mkguest-debian.sh printed '$dir', not a directory holding $main" >&2
          return 1; }
    echo "$dir"
}

# assert_converts INPUT CONFIG DISK: v2kvm -i INPUT CONFIG -o local
# -of qcow2 into $T/out must succeed with an ok result line, leave CONFIG
# and the source DISK unchanged, and write one disk that qemu-img check
# accepts; its path goes into $CONVERTED.  BOOT_CONVERT_ARGS: more options
# for v2kvm (word-split).
assert_converts() {
    local input=$1 cfg=$2 disk=$3 sum
    sum=$(sha256sum "$disk" "$cfg")
    mkdir -p "$T/out"
    # shellcheck disable=SC2086
    "$V2KVM" -i "$input" "$cfg" -o local -os "$T/out" -of qcow2 \
        ${BOOT_CONVERT_ARGS:-} \
        --machine-readable >"$T/result.json" 2>"$T/err" ||
        { cat "$T/err" >&2; tail -n 5 "$T/result.json" >&2;
          fail "v2kvm -i $input failed"; }
    tail -n 1 "$T/result.json" |
        jq -e '.type == "result" and .status == "ok"' >/dev/null ||
        fail "no ok result line: $(tail -n 1 "$T/result.json")"
    # the time of each step, for bench/bench-v2v.sh (common/log.h)
    jq -e -s 'any(.[]; .type? == "phase" and .phase == "step initramfs" and
                       .seconds >= 0)' "$T/result.json" >/dev/null ||
        fail "no phase line for the initramfs step in $T/result.json"
    [ "$(sha256sum "$disk" "$cfg")" = "$sum" ] ||
        fail "the conversion wrote the source"
    CONVERTED=$(output_disk "$T/out") || fail "no output disk in $T/out"
    qemu-img check -q -f qcow2 "$CONVERTED" ||
        fail "qemu-img check $CONVERTED"
}

# boot_rebuild VARIANT: the initramfs step's other path on a real guest
# (issue #15).  The guest VARIANT (vmware, xen or vbox: its initramfs
# made with MODULES=list, no virtio) converted with --rebuild-initramfs,
# so that the guest's own update-initramfs regenerates the image inside
# the appliance instead of v2kvm adding the drivers to it as it is: the
# log says "regenerated" and never "added without regenerating it", the
# image holds virtio_blk, and the guest boots to the marker on
# virtio-blk.  (test-boot-VARIANT.sh covers the default path.)
boot_rebuild() {
    local v=$1 src input cfg disk t0 t_b t_d
    t0=$(date +%s)
    src=$(guest_source "$v") || fail "building the $v guest failed"
    case $v in
        vmware) input=vmx cfg=$src/debian12.vmx disk=$src/debian12.vmdk ;;
        xen) input=xen cfg=$src/debian12.cfg disk=$src/debian12.img ;;
        vbox) input=vbox cfg=$src/debian12.vbox disk=$src/debian12.vdi ;;
        *) fail "boot_rebuild: unknown variant $v" ;;
    esac
    [ -f "$cfg" ] && [ -f "$disk" ] || fail "no $cfg or $disk"
    BOOT_CONVERT_ARGS=--rebuild-initramfs \
        assert_converts "$input" "$cfg" "$disk"
    t_b=$(date +%s)
    jq -c 'select(.step? == "initramfs" and .after? == "regenerated")' \
        "$T/result.json" | grep -q . ||
        fail "the log does not say the initramfs was regenerated"
    if grep -q 'added without regenerating it' "$T/result.json"; then
        fail "--rebuild-initramfs took the fast path"
    fi
    inspect_guest "$CONVERTED" "$T/insp" ||
        fail "cannot inspect the converted guest"
    assert_virtio_linux "$T/insp"
    assert_boots "$CONVERTED" qcow2 900 "$T/after.log" v2kvm-deb12
    t_d=$(date +%s)
    echo "test-boot-$v-rebuild: conversion $((t_b - t0))s (guest's" \
        "update-initramfs), marker after ${BOOT_SECONDS}s; total" \
        "$((t_d - t0))s"
}

# output_disk DIR: the one disk v2kvm -o local wrote in DIR (not the XML).
output_disk() {
    local f n=0 disk=
    for f in "$1"/*; do
        case $f in *.xml) continue ;; esac
        [ -f "$f" ] || continue
        disk=$f
        n=$((n + 1))
    done
    [ "$n" -eq 1 ] || { echo "output_disk: $n disks in $1" >&2; return 1; }
    echo "$disk"
}

# inspect_guest DISK DIR PATH...: one read-only guestfish session on DISK
# (root on the first partition): copies /etc/fstab, /boot/grub/grub.cfg,
# /etc/initramfs-tools/modules, /etc/X11/xorg.conf (if any) and every
# /boot/initrd.img-* into DIR, and writes DIR/exists with one
# "PATH true|false" line per PATH.
inspect_guest() {
    local disk=$1 dir=$2 p
    shift 2
    mkdir -p "$dir/boot"
    {
        echo "run"
        echo "mount-ro /dev/sda1 /"
        echo "download /etc/fstab $dir/fstab"
        echo "download /boot/grub/grub.cfg $dir/grub.cfg"
        echo "-download /etc/initramfs-tools/modules $dir/modules"
        echo "-download /etc/X11/xorg.conf $dir/xorg.conf"
        echo "glob copy-out /boot/initrd.img-* $dir/boot"
        for p in "$@"; do
            echo "echo EXISTS $p"
            echo "exists $p"
        done
    } | guestfish --ro -a "$disk" >"$dir/gf.out" 2>"$dir/gf.err" || {
        cat "$dir/gf.err" >&2
        echo "inspect_guest: guestfish on $disk failed" >&2
        return 1
    }
    awk '/^EXISTS / { p = $2; next } p != "" { print p, $1; p = "" }' \
        "$dir/gf.out" >"$dir/exists"
}

# assert_absent DIR PATH: PATH did not exist in the guest inspect_guest saw.
assert_absent() {
    grep -qx -- "$2 false" "$1/exists" ||
        fail "$2 is still in the converted guest ($(grep -- "^$2 " "$1/exists"))"
}

# default_initrd DIR: the initrd the first GRUB menu entry loads (copied
# by inspect_guest into DIR/boot).
default_initrd() {
    local name
    name=$(awk '$1 == "initrd" { print $2; exit }' "$1/grub.cfg")
    [ -n "$name" ] || { echo "default_initrd: no initrd line" >&2; return 1; }
    echo "$1/boot/$(basename "$name")"
}

# assert_virtio_linux DIR: what every converted Debian guest must say:
# fstab and the default kernel's command line use /dev/vda1 (and not a Xen
# console), initramfs-tools loads virtio_blk, and the default initrd
# carries virtio_blk.ko.
assert_virtio_linux() {
    local dir=$1 linux initrd
    grep -Eq '^/dev/vda1[[:space:]]+/[[:space:]]' "$dir/fstab" ||
        { cat "$dir/fstab" >&2; fail "fstab does not mount /dev/vda1 on /"; }
    if grep -Eq '^/dev/(sd|xvd|hd)' "$dir/fstab"; then
        cat "$dir/fstab" >&2; fail "fstab still names a non-virtio disk"
    fi
    linux=$(grep -E '^[[:space:]]*linux[[:space:]]' "$dir/grub.cfg" | head -n 1)
    [ -n "$linux" ] || fail "grub.cfg has no linux line"
    case " $linux " in
        *" root=/dev/vda1 "*) ;;
        *) fail "grub.cfg's first linux line is not root=/dev/vda1: $linux" ;;
    esac
    if grep -E '^[[:space:]]*linux[[:space:]]' "$dir/grub.cfg" |
            grep -q 'console=hvc0'; then
        fail "grub.cfg still says console=hvc0"
    fi
    [ -f "$dir/modules" ] ||
        fail "/etc/initramfs-tools/modules is missing in the converted guest"
    grep -Eq '^[[:space:]]*virtio_blk([[:space:]]|$)' "$dir/modules" ||
        { cat "$dir/modules" >&2; fail "initramfs-tools modules lacks virtio_blk"; }
    initrd=$(default_initrd "$dir") || fail "grub.cfg names no initrd"
    [ -f "$initrd" ] || fail "the default initrd $(basename "$initrd") is missing"
    lsinitramfs "$initrd" >"$dir/initrd.list" 2>"$dir/initrd.err" ||
        { cat "$dir/initrd.err" >&2; fail "lsinitramfs $(basename "$initrd") failed"; }
    grep -q '/virtio_blk\.ko' "$dir/initrd.list" ||
        fail "$(basename "$initrd") does not carry virtio_blk.ko"
}

# assert_boot_fails IMAGE FORMAT TIMEOUT LOG [silent]: the image must NOT
# boot on virtio-blk, and the failure must be a recognised signature.
# "silent": the guest's console is not a serial port (a Xen guest's
# console=hvc0: KVM has no Xen console, and the virtio console's driver
# is not in its initramfs), so its failure cannot be read; then no
# marker within TIMEOUT (several times what a converted guest needs) is
# the failure.
assert_boot_fails() {
    if boot_guest "$1" "$2" "$3" "$4"; then
        fail "$(basename "$1") boots on virtio-blk before conversion"
    fi
    [ "${5:-}" = silent ] && [ "$BOOT_RESULT" = timeout ] && return 0
    case $BOOT_RESULT in
        timeout|"qemu exited")
            boot_tail "$4"
            fail "$(basename "$1"): no failure signature ($BOOT_RESULT)" ;;
    esac
}

# assert_boots IMAGE FORMAT TIMEOUT LOG HOSTNAME: boots to the marker.
assert_boots() {
    boot_guest "$1" "$2" "$3" "$4" ||
        { boot_tail "$4"; fail "$(basename "$1") does not boot ($BOOT_RESULT)"; }
    grep -aq "V2KVM-BOOT-OK $5" "$4" ||
        fail "the marker does not name the host $5"
}
