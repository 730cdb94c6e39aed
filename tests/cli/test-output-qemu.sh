#!/bin/bash
# -o qemu: DIR/NAME-sda + DIR/NAME.sh; the script boots the converted disk
# under qemu (a boot sector that prints a marker on COM1), choosing KVM
# only when a probe guest really runs: without /dev/kvm (or here, a real
# machine's KVM), with a broken KVM (a fake qemu that aborts like "failed
# to set MSR"), and with a working one (a fake qemu that runs TCG for
# "kvm").  --qemu-boot starts it in the background.  Script quoting, and
# refusal to replace an existing script.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-system-x86_64 timeout sh
real_qemu=$(command -v qemu-system-x86_64)

# The boot sector (16-bit):
#   xor ax,ax; mov ds,ax; cld; mov si,msg; mov dx,0x3f8
#   l: lodsb; test al,al; jz h; out dx,al; jmp l
#   h: cli; hlt; jmp h(hlt)
#   msg: "V2KVM-BOOT-OK\r\n\0"        (at 0x7c00 + 23 = 0x7c17)
img=$T/bootme.img
{ printf '\061\300\216\330\374\276\027\174\272\370\003'
  printf '\254\204\300\164\003\356\353\370\372\364\353\375'
  printf 'V2KVM-BOOT-OK\r\n\0'; } >"$img"
truncate -s 510 "$img"
printf '\125\252' >>"$img"
truncate -s 1M "$img"

out=$T/out
mkdir "$out"
"$V2KVM" --no-convert -q -i disk "$img" -o qemu -os "$out" --vcpus 2 --memory 256M
[ "$(ls "$out" | sort | tr '\n' ' ')" = "bootme-sda bootme.sh " ] ||
    fail "unexpected files: $(ls -a "$out")"
qemu-img compare -q -F qcow2 "$img" "$out/bootme-sda" || fail "disk differs"
sh -n "$out/bootme.sh" || fail "the script does not parse"
[ -x "$out/bootme.sh" ] || fail "the script is not executable"
for want in "-machine q35,accel=\$accel" "-smp 2 " "-m 256M" \
    "virtio-blk-pci,drive=disk0,bootindex=1" "-netdev user,id=net0" \
    "virtio-net-pci,netdev=net0" "virtio-balloon-pci" "-rtc base=utc" \
    "file=$(realpath "$out")/bootme-sda,format=qcow2"; do
    grep -qF -- "$want" "$out/bootme.sh" || fail "script lacks '$want'"
done

# boot LABEL [ENV=VALUE...]: run the script (extra qemu args through
# "$@"), wait for the marker on the serial port.
boot() {
    local label=$1 log=$T/serial-$1.log pid i
    shift
    : >"$log"
    env -u V2K_ACCEL V2K_SERIAL="file:$log" "$@" \
        timeout 120 "$out/bootme.sh" -display none \
        2>"$T/stderr-$label" &
    pid=$!
    for i in $(seq 600); do
        grep -q V2KVM-BOOT-OK "$log" && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
    done
    kill $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    grep -q V2KVM-BOOT-OK "$log" ||
        { cat "$T/stderr-$label" >&2; fail "$label: the guest did not boot"; }
}

# 1. This machine as it is.
boot native
if [ ! -e /dev/kvm ]; then
    assert_grep "accelerator tcg, cpu max" "$T/stderr-native"
fi
# The script's probe agrees with the harness's (test-lib.sh exported it).
assert_grep "accelerator $V2K_ACCEL, cpu" "$T/stderr-native"

# 2. A KVM that cannot run a guest: qemu aborts as soon as -accel kvm is
# asked for (the probe), so the script must choose TCG.
cat >"$T/qemu-broken" <<EOF
#!/bin/sh
case " \$* " in
*" -accel kvm "*|*accel=kvm*)
    echo "qemu: error: failed to set MSR 0x10a to 0x0" >&2; exit 134 ;;
esac
exec "$real_qemu" "\$@"
EOF
chmod +x "$T/qemu-broken"
boot broken QEMU="$T/qemu-broken"
assert_grep "accelerator tcg, cpu max" "$T/stderr-broken"

# 3. A KVM that hangs every guest (as a nested KVM seen on CI hangs every
# Linux kernel): the probe's timeout must choose TCG.
cat >"$T/qemu-hang" <<EOF
#!/bin/sh
case " \$* " in
*" -accel kvm "*) exec sleep 600 ;;
esac
exec "$real_qemu" "\$@"
EOF
chmod +x "$T/qemu-hang"
boot hang QEMU="$T/qemu-hang"
assert_grep "accelerator tcg, cpu max" "$T/stderr-hang"

# 4. A working KVM: this fake stands in for a healthy KVM.  The probe
# (a kernel with panic=-1) gets what a healthy KVM gives at once: the
# panic on the serial port and exit 0 (running it under TCG could take
# over the probe's 10 s on a loaded machine); the guest itself runs under
# TCG.  It logs what it was given.
cat >"$T/qemu-kvm" <<EOF
#!/bin/bash
echo "\$*" >>"$T/qemu-kvm.args"
case " \$* " in
*" -kernel "*panic=-1*)
    serial= prev= kernel=
    for a in "\$@"; do
        [ "\$prev" = -serial ] && serial=\${a#file:}
        [ "\$prev" = -kernel ] && kernel=\$a
        prev=\$a
    done
    [ -r "\$kernel" ] && [ -n "\$serial" ] || exit 1
    echo "Kernel panic - not syncing: VFS: Unable to mount root fs" >"\$serial"
    exit 0 ;;
esac
args=()
for a in "\$@"; do
    case \$a in
    kvm) a=tcg ;;
    host) a=max ;;
    *accel=kvm:tcg*) a=\${a/accel=kvm:tcg/accel=tcg} ;;
    esac
    args+=("\$a")
done
exec "$real_qemu" "\${args[@]}"
EOF
chmod +x "$T/qemu-kvm"
boot kvm QEMU="$T/qemu-kvm"
assert_grep "accelerator kvm, cpu host" "$T/stderr-kvm"
assert_grep "accel=kvm:tcg" "$T/qemu-kvm.args"
assert_grep "-cpu host" "$T/qemu-kvm.args"
assert_grep "-accel kvm -cpu host .*-no-reboot -kernel /.* panic=-1" "$T/qemu-kvm.args"

# V2K_ACCEL skips the probe.
boot forced V2K_ACCEL=tcg QEMU="$T/qemu-broken"
assert_grep "accelerator tcg" "$T/stderr-forced"

# An existing script is not replaced without --overwrite.
rc=0
"$V2KVM" --no-convert -q -i disk "$img" -o qemu -os "$out" 2>"$T/err" || rc=$?
[ $rc = 1 ] || fail "existing output: exit $rc"
assert_grep "bootme-sda: output already exists (use --overwrite)" "$T/err"
"$V2KVM" --no-convert -q -i disk "$img" -o qemu -os "$out" --overwrite

# --qemu-boot: started in the background, console in NAME.log.
out2=$T/out2
mkdir "$out2"
cat >"$T/qemu-bg" <<EOF
#!/bin/sh
echo \$\$ >"$T/bg.pid"
exec timeout 120 "$real_qemu" "\$@"
EOF
chmod +x "$T/qemu-bg"
QEMU="$T/qemu-bg" V2K_ACCEL=tcg V2K_QEMU_ARGS="-display none" \
    "$V2KVM" --no-convert -i disk "$img" -on bg-vm -o qemu -os "$out2" --qemu-boot \
    >"$T/bg.out"
assert_grep "Started bg-vm in the background" "$T/bg.out"
for _ in $(seq 600); do
    [ -f "$out2/bg-vm.log" ] && grep -q V2KVM-BOOT-OK "$out2/bg-vm.log" &&
        break
    sleep 0.1
done
[ -f "$T/bg.pid" ] && kill "$(cat "$T/bg.pid")" 2>/dev/null || true
grep -q V2KVM-BOOT-OK "$out2/bg-vm.log" ||
    { cat "$out2/bg-vm.log" >&2; fail "--qemu-boot: the guest did not boot"; }

# Names with shell and qemu metacharacters are quoted.
out3=$T/out3
mkdir "$out3"
"$V2KVM" --no-convert -q -i disk "$img" -on "it's a,vm" -o qemu -os "$out3"
sh -n "$out3/it's a,vm.sh" || fail "quoted script does not parse"
assert_grep "^    -name 'it'\\\\''s a,,vm' " "$out3/it's a,vm.sh"
assert_grep "'file=$(realpath "$out3")/it'\\\\''s a,,vm-sda,format=qcow2" \
    "$out3/it's a,vm.sh"

# Usage: -os is needed; nothing is left behind on failure.
rc=0
"$V2KVM" --no-convert -q -i disk "$img" -o qemu 2>"$T/err" || rc=$?
[ $rc = 2 ] || fail "no -os: exit $rc (a usage error)"
assert_grep "-o qemu: give the output directory with -os DIR" "$T/err"
echo "test-output-qemu: ok"
