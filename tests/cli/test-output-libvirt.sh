#!/bin/bash
# -o libvirt against a real libvirtd that this test starts: an
# unprivileged session daemon (user nobody) with private config, runtime
# and cache directories, reached through its socket
# (qemu+unix:///session?socket=...).  Disks land in the pool's directory
# and the domain is defined; a name clash is refused with nothing left
# behind unless --overwrite (which replaces the domain in place); a
# missing or inactive pool and a define that libvirt rejects are clear
# errors with nothing left.  Also libvirt's test driver with a pool from
# a custom node XML.
# Runs v2kvm and libvirtd as nobody: $T must be reachable by that user.
V2K_T_SHARED=1
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img virsh setpriv xmllint timeout
libvirtd=/usr/sbin/libvirtd
[ -x $libvirtd ] || fail "libvirtd is missing (run scripts/setup.sh)"

chmod 0755 "$T"
mkdir -m 0777 "$T/pool" "$T/pool2"
# The daemon's own directories: short, because qemu's monitor sockets
# live there and a UNIX socket path has at most 107 bytes.
D=$(mktemp -d /tmp/v2k-lv.XXXXXX)
chmod 0755 "$D"
mkdir -m 0777 "$D/h" "$D/r"
HOME=$D/h XDG_RUNTIME_DIR=$D/r XDG_CONFIG_HOME=$D/h/.config \
    XDG_CACHE_HOME=$D/h/.cache \
    setpriv --reuid=65534 --regid=65534 --clear-groups \
    timeout 600 $libvirtd >"$T/libvirtd.log" 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null || true; wait $daemon 2>/dev/null || true
      rm -rf "$T" "$D"' EXIT
sock=$D/r/libvirt/libvirt-sock
for _ in $(seq 100); do
    [ -S "$sock" ] && break
    sleep 0.1
done
[ -S "$sock" ] || { cat "$T/libvirtd.log" >&2; fail "libvirtd did not start"; }
uri="qemu+unix:///session?socket=$sock"
v() { virsh -q -c "$uri" "$@"; }
v pool-define-as default dir --target "$T/pool" >/dev/null
v pool-start default >/dev/null
v pool-define-as idle dir --target "$T/pool2" >/dev/null

img=$T/web.img
qemu-img create -q -f raw "$img" 16M
qemu-io -f raw -c 'write -P 0x61 1M 2M' "$img" >/dev/null

"$V2KVM" --no-convert -q -i disk "$img" -o libvirt -oc "$uri" 2>"$T/err" ||
    { cat "$T/err" >&2; fail "-o libvirt failed"; }
[ "$(ls -A "$T/pool")" = web-sda ] || fail "pool: $(ls -A "$T/pool")"
qemu-img compare -q -F qcow2 "$img" "$T/pool/web-sda" || fail "disk differs"
v dumpxml web >"$T/web.xml"
[ "$(xmllint --xpath 'string(/domain/devices/disk/source/@file)' \
    "$T/web.xml")" = "$(realpath "$T/pool")/web-sda" ] || fail "disk path"
[ "$(xmllint --xpath 'string(/domain/devices/disk/target/@bus)' \
    "$T/web.xml")" = virtio ] || fail "disk bus"
[ "$(xmllint --xpath 'string(/domain/devices/interface/model/@type)' \
    "$T/web.xml")" = virtio ] || fail "nic model"
uuid=$(v domuuid web)
# The pool was refreshed: the volume shows.
v vol-list default | grep -q "web-sda" || fail "volume not in the pool"
if [ ! -e /dev/kvm ]; then
    assert_grep "cannot run KVM guests here: the domain is defined with type 'qemu'" "$T/err"
    assert_grep "<domain type='qemu'" "$T/web.xml"
fi

# expect_err PATTERN ARGS...: exit 1, the message, pool unchanged.
expect_err() {
    local pat=$1 rc=0 before
    shift
    before=$(ls -A "$T/pool" "$T/pool2")
    "$V2KVM" --no-convert -q -i disk "$img" "$@" >/dev/null 2>"$T/err" || rc=$?
    [ $rc = 1 ] || { cat "$T/err" >&2; fail "exit $rc, wanted 1: $*"; }
    grep -q "^v2kvm: error: .*$pat" "$T/err" ||
        { cat "$T/err" >&2; fail "no error matching '$pat'"; }
    [ "$(ls -A "$T/pool" "$T/pool2")" = "$before" ] ||
        fail "left behind: $(ls -A "$T/pool" "$T/pool2")"
}

# A name clash: refused, the domain and its disk untouched.
touch -d 2001-01-01 "$T/pool/web-sda"
expect_err "domain 'web' already exists on .* (use --overwrite or -on NAME)" \
    -o libvirt -oc "$uri"
[ "$(stat -c %Y "$T/pool/web-sda")" = "$(date -d 2001-01-01 +%s)" ] ||
    fail "the existing disk was touched"
# --overwrite replaces it in place (same UUID).
"$V2KVM" --no-convert -q -i disk "$img" -o libvirt -oc "$uri" --overwrite --memory 1G \
    2>/dev/null
[ "$(v domuuid web)" = "$uuid" ] || fail "--overwrite changed the UUID"
[ "$(v dumpxml web | xmllint --xpath 'string(/domain/memory)' -)" = \
    1048576 ] || fail "--overwrite kept the old definition"

# Missing and inactive pools, unreachable URI, a define libvirt rejects.
expect_err "storage pool 'nosuch' not found on .* (-os POOL)" \
    -o libvirt -oc "$uri" -os nosuch -on other
expect_err "storage pool 'idle' on .* is not active (virsh pool-start idle)" \
    -o libvirt -oc "$uri" -os idle -on other
expect_err "cannot connect to qemu+unix:///session?socket=$T/nosock" \
    -o libvirt -oc "qemu+unix:///session?socket=$T/nosock" -on other
expect_err "defining domain 'big' on .*: .*Maximum CPUs greater than" \
    -o libvirt -oc "$uri" -on big --vcpus 4096
v dominfo big >/dev/null 2>&1 && fail "a rejected domain was defined"
# A name libvirt cannot take is refused before anything is written.
expect_err "VM name 'a/b' contains a character" -o libvirt -oc "$uri" -on a/b

# libvirt's test driver with a custom node (its state lives in the
# connection, so only the run itself is checked).
cat >"$T/node.xml" <<EOF
<node>
  <pool type='dir'>
    <name>tpool</name>
    <target><path>$T/pool2</path></target>
  </pool>
</node>
EOF
"$V2KVM" --no-convert -q -i disk "$img" -on tvm -o libvirt -oc "test://$T/node.xml" \
    -os tpool
[ "$(ls -A "$T/pool2")" = tvm-sda ] || fail "test driver pool: $(ls -A "$T/pool2")"
qemu-img compare -q -F qcow2 "$img" "$T/pool2/tvm-sda" || fail "tvm differs"
echo "test-output-libvirt: ok"
