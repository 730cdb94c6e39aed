#!/bin/bash
# Bad input and unsafe situations: one clear line naming the file or
# option, a non-zero exit (1 failure, 2 usage, 128+N signal), and nothing
# left in the output directory.
# Runs v2kvm and libvirtd as nobody: $T must be reachable by that user.
V2K_T_SHARED=1
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img qemu-io setpriv mount umount strace

src=$T/vm.img
qemu-img create -q -f raw "$src" 64M
qemu-io -f raw -c 'write -P 0x42 0 8M' -c 'write -P 0x43 40M 16M' \
    "$src" >/dev/null
out=$T/out
mkdir "$out"

# expect CODE PATTERN CMD...: exit status CODE, stderr matching PATTERN
# on one "v2kvm: error:" line, output directory still empty.
expect() {
    local code=$1 pat=$2 rc=0
    shift 2
    "$@" >/dev/null 2>"$T/err" || rc=$?
    [ "$rc" = "$code" ] || { cat "$T/err" >&2; fail "exit $rc, wanted $code: $*"; }
    grep -q "^v2kvm: error: .*$pat" "$T/err" ||
        { cat "$T/err" >&2; fail "no error line matching '$pat'"; }
    [ -z "$(ls -A "$out")" ] || fail "left behind: $(ls -A "$out")"
}

# Usage errors: exit 2, and the modes that exist are listed.
expect 2 "unknown input mode (input modes: disk, xen, libvirtxml, vbox, vmx, ova, libvirt)" \
    "$V2KVM" --no-convert -i nosuch "$src" -o local -os "$out"
expect 2 "unknown output mode (output modes: local, libvirt, qemu, null)" \
    "$V2KVM" --no-convert -i disk "$src" -o nosuch -os "$out"
expect 2 "no output mode" "$V2KVM" --no-convert -i disk "$src"
expect 2 "unknown option '--bogus'" "$V2KVM" --no-convert --bogus -i disk "$src"
expect 2 "-of 'vmdk': output format must be qcow2 or raw" \
    "$V2KVM" --no-convert -i disk "$src" -o local -os "$out" -of vmdk
expect 2 "--memory: 'lots' is not a size" "$V2KVM" --no-convert -i disk "$src" --memory lots -o local
expect 2 "--vcpus 0: must be from 1 to 4096" \
    "$V2KVM" --no-convert -i disk "$src" --vcpus 0 -o local
expect 2 "--mac 'zz:54:00:00:00:01:network:x'" \
    "$V2KVM" --no-convert -i disk "$src" --mac zz:54:00:00:00:01:network:x -o local

# Source problems: exit 1, the file named.
expect 1 "$T/missing.img: No such file or directory" \
    "$V2KVM" --no-convert -i disk "$T/missing.img" -o local -os "$out"
head -c 100000 /dev/urandom >"$T/trunc.img"
expect 1 "trunc.img: size 100000 is not a multiple of 512" \
    "$V2KVM" --no-convert -i disk -if raw "$T/trunc.img" -o local -os "$out"
: >"$T/empty.img"
expect 1 "empty.img: empty file" \
    "$V2KVM" --no-convert -i disk "$T/empty.img" -o local -os "$out"
expect 1 "$T: is a directory, not a regular file or a block device" \
    "$V2KVM" --no-convert -i disk "$T" -o local -os "$out"
# A qcow2 whose header is cut short.
qemu-img create -q -f qcow2 "$T/q.qcow2" 64M
head -c 40 "$T/q.qcow2" >"$T/qtrunc.qcow2"
expect 1 "qtrunc.qcow2" "$V2KVM" --no-convert -i disk "$T/qtrunc.qcow2" -o local -os "$out"
# Unreadable for the user running v2kvm (root reads everything, so run
# as nobody).
chmod 0000 "$src"
chmod 0777 "$T" "$out"
expect 1 "vm.img: Permission denied" \
    setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$V2KVM" --no-convert -i disk "$src" -o local -os "$out"
chmod 0644 "$src"

# A missing -os for an output that needs one is a usage error found
# before the source is opened (the missing source is not reported).
expect 2 "-o local: give the output directory with -os DIR" \
    "$V2KVM" --no-convert -i disk "$T/missing.img" -o local
expect 2 "-o qemu: give the output directory with -os DIR" \
    "$V2KVM" -i disk "$T/missing.img" -o qemu
# A source URI no transport reads (formats/ has no NBD client) is refused
# the same way for --print-source and for the copy: a usage error.
for mode in --print-source "-o null"; do
    # shellcheck disable=SC2086
    expect 2 "-i disk nbd://localhost/x: no transport for URI scheme 'nbd' (supported: file, sftp, ssh, https)" \
        "$V2KVM" --no-convert -i disk nbd://localhost/x $mode
done
# ... and a plain http (or gluster) disk in a libvirt XML fails in the
# input, for --print-source as for the copy, instead of printing a source
# the copy then refuses (nbd is read: tests/formats/test-nbd.sh).
for proto in gluster http; do
    cat >"$T/$proto.xml" <<XML
<domain type='kvm'>
  <name>net</name>
  <memory unit='MiB'>512</memory>
  <devices>
    <disk type='network' device='disk'>
      <source protocol='$proto' name='disk0'><host name='localhost' port='10809'/></source>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
XML
    for mode in --print-source "-o null"; do
        # shellcheck disable=SC2086
        expect 1 "$proto.xml:5: <disk> vda: network protocol '$proto' is not supported (only https and nbd)" \
            "$V2KVM" --no-convert -i libvirtxml "$T/$proto.xml" $mode
    done
done

# Output problems.
expect 1 "-os $T/nodir: No such file or directory" \
    "$V2KVM" --no-convert -i disk "$src" -o local -os "$T/nodir"
expect 1 "-os $src is not a directory" \
    "$V2KVM" --no-convert -i disk "$src" -o local -os "$src"
mkdir "$T/ro"
chmod 0555 "$T/ro"
expect 1 "-os $T/ro is not writable: Permission denied" \
    setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$V2KVM" --no-convert -i disk "$src" -o local -os "$T/ro"
expect 1 "VM name '../x' may not start with '.'" \
    "$V2KVM" --no-convert -i disk "$src" -on ../x -o local -os "$out"
expect 1 "VM name 'a/b' contains a character" \
    "$V2KVM" --no-convert -i disk "$src" -on a/b -o local -os "$out"

# An existing output is not replaced without --overwrite.
"$V2KVM" --no-convert -q -i disk "$src" -o local -os "$out"
cp "$out/vm.xml" "$T/first.xml"
rc=0
"$V2KVM" --no-convert -q -i disk "$src" -o local -os "$out" 2>"$T/err" || rc=$?
[ $rc = 1 ] || fail "existing output: exit $rc"
assert_grep "vm-sda: output already exists (use --overwrite)" "$T/err"
cmp "$out/vm.xml" "$T/first.xml" || fail "existing XML was touched"
[ "$(ls -A "$out" | sort | tr '\n' ' ')" = "vm-sda vm.xml " ] ||
    fail "files after refusal: $(ls -A "$out")"
"$V2KVM" --no-convert -q -i disk "$src" -o local -os "$out" --overwrite
cmp -s "$out/vm.xml" "$T/first.xml" && fail "--overwrite kept the old XML"
qemu-img compare -q -F qcow2 "$src" "$out/vm-sda"
rm -f "$out"/*

# A full output filesystem: error naming the file, nothing left.
mkdir "$T/small"
mount -t tmpfs -o size=4m tmpfs "$T/small"
trap 'umount "$T/small" 2>/dev/null || true; rm -rf "$T"' EXIT
rc=0
"$V2KVM" --no-convert -q -i disk "$src" -o local -os "$T/small" 2>"$T/err" || rc=$?
[ $rc = 1 ] || fail "full disk: exit $rc"
assert_grep "^v2kvm: error: disk 1 (.*vm.img): .*vm-sda.part: write at offset [0-9]*: No space left on device" "$T/err"
[ -z "$(ls -A "$T/small")" ] || fail "left on full disk: $(ls -A "$T/small")"
umount "$T/small"

# SIGINT in the middle of a copy: exit 130, nothing left.  strace slows
# every read down so the signal surely arrives mid-copy.
# LeakSanitizer cannot run under ptrace: no leak check in this one run.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    strace -f -qq -o /dev/null -e trace=pread64 -e inject=pread64:delay_exit=300000 \
    "$V2KVM" --no-convert -q -i disk "$src" -o local -os "$out" --parallel 1 2>"$T/err" &
tracer=$!
pid=""
for _ in $(seq 100); do
    pid=$(pgrep -P $tracer -x v2kvm || true)
    [ -n "$pid" ] && [ -n "$(ls -A "$out")" ] && break
    sleep 0.1
done
[ -n "$pid" ] || fail "v2kvm did not start"
sleep 0.5
kill -INT "$pid"
rc=0
wait $tracer || rc=$?
[ $rc = 130 ] || { cat "$T/err" >&2; fail "SIGINT: exit $rc, wanted 130"; }
assert_grep "interrupted by signal 2" "$T/err"
[ -z "$(ls -A "$out")" ] || fail "left after SIGINT: $(ls -A "$out")"
echo "test-errors: ok"
