#!/bin/bash
# The P2V boot image (issue #17, part 5): p2v/iso/build-iso.sh builds,
# from Debian 12 packages (its rootfs cached in $V2K_CACHE_DIR, default
# /var/cache/v2kvm-tests), a hybrid ISO and the PXE files around a
# stand-in client that this test writes (a shell script: what is tested is
# the image, not the client), with --append baked into grub.cfg; the ISO
# is at most 350 MiB; then it boots under QEMU, one at a time, each run
# ending when the stand-in's marker is on the serial console (the stand-in
# powers the machine off, the test kills QEMU by its PID otherwise):
#   (a) BIOS, the ISO as a CD (-cdrom, SeaBIOS, El Torito);
#   (b) UEFI, OVMF with a fresh NVRAM, the ISO on an IDE CD (q35);
#   (c) a USB stick: the ISO as a usb-storage disk on xHCI (SeaBIOS: the
#       hybrid MBR's GRUB);
#   (e) the same stick under UEFI (OVMF: the image's EFI partition);
#   (d) PXE: vmlinuz + initrd.img with fetch= of filesystem.squashfs over
#       http from a python3 server on loopback (10.0.2.2 in the guest).
# The stand-in says which firmware it sees (/sys/firmware/efi), whether it
# got --boot, the kernel command line (which must hold the appended
# options), the IPv4 addresses (DHCP done before it starts) and whether
# the initramfs logged installing the client layer.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-system-x86_64 python3 mmdebstrap mksquashfs grub-mkrescue xorriso \
    mformat cpio
[ -f /usr/share/OVMF/OVMF_CODE.fd ] && [ -f /usr/share/OVMF/OVMF_VARS.fd ] ||
    fail "OVMF is missing (scripts/setup.sh installs ovmf)"
build_iso=$V2K_SOURCE_DIR/p2v/iso/build-iso.sh
t0=$(date +%s)

# --- the stand-in client --------------------------------------------------
cat >"$T/standin" <<'EOF'
#!/bin/sh
# stand-in for v2kvm-p2v (tests/p2v/test-boot-p2v-iso.sh)
fw=bios
[ -d /sys/firmware/efi ] && fw=uefi
msg="V2KVM-P2V-STANDIN: started (firmware=$fw) args=[$*]
V2KVM-P2V-STANDIN: block: $(ls /sys/block | tr '\n' ' ')
V2KVM-P2V-STANDIN: cmdline: $(cat /proc/cmdline)
V2KVM-P2V-STANDIN: layer: $(dmesg | grep -c 'v2kvm-client: client layer installed')
V2KVM-P2V-STANDIN: net: $(ip -4 -o addr show scope global | awk '{print $2 "=" $4}' | tr '\n' ' ')
V2KVM-P2V-STANDIN: done"
for d in /dev/console /dev/ttyS0; do echo "$msg" >"$d" 2>/dev/null; done
echo "$msg"
sleep 3
poweroff -f
sleep 1000
EOF
chmod 0755 "$T/standin"

# --- build (the rootfs cached; the client layer, ISO and PXE files each time)
"$build_iso" --client "$T/standin" --out "$T/out" --timeout 1 \
    --append "v2kvm.test=appended v2kvm.server=10.0.2.2 v2kvm.x=a,b:c/d" >"$T/stdout" ||
    fail "build-iso.sh failed"
iso=$T/out/v2kvm-p2v.iso
expect_fail "$build_iso" --client "$T/standin" --out "$T/bad" --append 'a;b'
grep -q "^build-iso: error: --append" "$T/err" || fail "--append 'a;b' was not refused"
[ "$(cat "$T/stdout")" = "$iso" ] ||
    fail "build-iso.sh printed '$(cat "$T/stdout")' on stdout, not the ISO path"
for f in "$iso" "$T"/out/pxe/{vmlinuz,initrd.img,filesystem.squashfs}; do
    [ -s "$f" ] || fail "$f is missing"
done
size=$(stat -c %s "$iso")
[ "$size" -le $((350 * 1048576)) ] ||
    fail "the ISO is $((size / 1048576)) MiB, more than 350 MiB"
t_build=$(date +%s)

# --- boots -----------------------------------------------------------------
accel=${V2K_ACCEL:-tcg}
cpu=()
[ "$accel" = kvm ] && cpu=(-cpu host)
BOOT_TIMEOUT=${P2V_BOOT_TIMEOUT:-420}

# boot NAME FIRMWARE EXPECT_BLOCK QEMU-ARGS...: run QEMU (serial to
# $T/NAME.log) until the stand-in's "done" line, a failure signature, its
# exit, or the timeout; then check what the stand-in said.
boot() {
    local name=$1 fw=$2 blk=$3 log=$T/$1.log start now pid verdict=timeout
    shift 3
    : >"$log"
    start=$(date +%s)
    qemu-system-x86_64 -accel "$accel" "${cpu[@]}" -m 1536 -smp 2 \
        -display none -serial "file:$log" -monitor none -no-reboot \
        "$@" </dev/null >"$T/$name.qemu" 2>&1 &
    pid=$!
    while :; do
        if grep -aq 'V2KVM-P2V-STANDIN: done' "$log"; then verdict=marker; break; fi
        if grep -aqE 'Kernel panic|\(initramfs\)|Unable to find a live file system|grub rescue>|emergency mode' "$log"; then
            verdict=failure; break
        fi
        kill -0 "$pid" 2>/dev/null || { verdict="qemu exited"; break; }
        now=$(date +%s)
        [ $((now - start)) -lt "$BOOT_TIMEOUT" ] || break
        sleep 1
    done
    # the stand-in powers off 3 s after its marker: give it 30 s
    if [ "$verdict" = marker ]; then
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    BOOT_S=$(( $(date +%s) - start ))
    if [ "$verdict" != marker ]; then
        tail -n 40 "$log" >&2
        cat "$T/$name.qemu" >&2
        fail "($name) no marker: $verdict after ${BOOT_S}s"
    fi
    grep -aq "V2KVM-P2V-STANDIN: started (firmware=$fw) args=\[--boot\]" "$log" || {
        grep -a V2KVM-P2V "$log" >&2; fail "($name) the client did not see firmware=$fw and --boot"; }
    grep -aq "V2KVM-P2V-STANDIN: block: .*\b$blk\b" "$log" || {
        grep -a V2KVM-P2V "$log" >&2; fail "($name) no $blk in /sys/block"; }
    grep -aq "V2KVM-P2V-STANDIN: cmdline: .*boot=live components .*v2kvm.test=appended" "$log" &&
    { [ "$name" = pxe ] || grep -aqF "v2kvm.x=a,b:c/d" "$log"; } || {
        grep -a V2KVM-P2V "$log" >&2; fail "($name) the kernel command line lacks the appended options"; }
    # every machine here has QEMU's NIC on user networking: DHCP (by
    # systemd-networkd, before network-online.target) gave it 10.0.2.15
    grep -aq "V2KVM-P2V-STANDIN: net: .*=10\.0\.2\.15/24" "$log" || {
        grep -a V2KVM-P2V "$log" >&2; fail "($name) no DHCP address when the client started"; }
    grep -aq "V2KVM-P2V-STANDIN: layer: 1" "$log" || {
        grep -a V2KVM-P2V "$log" >&2; fail "($name) the initramfs did not log the client layer"; }
    echo "test-boot-p2v-iso: ($name) firmware=$fw: marker after ${BOOT_S}s"
}

# (a) BIOS, CD
boot bios-cd bios sr0 -machine pc -cdrom "$iso"
t_a=$BOOT_S

# (b) UEFI, CD (q35, OVMF, a fresh NVRAM)
cp /usr/share/OVMF/OVMF_VARS.fd "$T/vars.fd"
boot uefi-cd uefi sr0 -machine q35 \
    -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
    -drive if=pflash,format=raw,file="$T/vars.fd" \
    -drive if=none,id=cd,media=cdrom,format=raw,readonly=on,file="$iso" \
    -device ide-cd,drive=cd,bootindex=1
t_b=$BOOT_S

# (c) USB stick (BIOS: the hybrid image's MBR and GRUB)
boot usb-stick bios sda -machine q35 \
    -drive if=none,id=stick,format=raw,snapshot=on,file="$iso" \
    -device qemu-xhci,id=xhci -device usb-storage,bus=xhci.0,drive=stick,bootindex=1
t_c=$BOOT_S

# (e) the USB stick under UEFI (its EFI partition)
cp /usr/share/OVMF/OVMF_VARS.fd "$T/vars.fd"
boot usb-stick-uefi uefi sda -machine q35 \
    -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
    -drive if=pflash,format=raw,file="$T/vars.fd" \
    -drive if=none,id=stick,format=raw,snapshot=on,file="$iso" \
    -device qemu-xhci,id=xhci -device usb-storage,bus=xhci.0,drive=stick,bootindex=1
t_e=$BOOT_S

# (d) PXE flavour: kernel + initrd, the squashfs fetched over http
python3 - "$T/out/pxe" "$T/http.port" >"$T/http.log" 2>&1 <<'EOF' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
EOF
http_pid=$!
trap 'kill $http_pid 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -s "$T/http.port" ] && break; sleep 0.1; done
port=$(cat "$T/http.port") || fail "the http server did not start"
truncate -s 64M "$T/disk.img"
boot pxe bios vda -machine pc \
    -kernel "$T/out/pxe/vmlinuz" -initrd "$T/out/pxe/initrd.img" \
    -append "boot=live components fetch=http://10.0.2.2:$port/filesystem.squashfs console=tty0 console=ttyS0,115200 v2kvm.test=appended" \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
    -drive if=none,id=d0,format=raw,file="$T/disk.img" -device virtio-blk-pci,drive=d0
grep -q 'GET /filesystem.squashfs' "$T/http.log" ||
    fail "(pxe) the squashfs was not fetched over http"
t_d=$BOOT_S

echo "test-boot-p2v-iso: build $((t_build - t0))s (ISO $((size / 1048576)) MiB);" \
    "boots: (a) BIOS CD ${t_a}s, (b) UEFI CD ${t_b}s, (c) USB stick ${t_c}s," \
    "(d) PXE ${t_d}s, (e) USB stick UEFI ${t_e}s; total $(( $(date +%s) - t0 ))s"
echo "test-boot-p2v-iso: ok"
