#!/bin/bash
# HTTPS transport against tests/remote/https-server.py on 127.0.0.1 with
# a throwaway CA: qcow2 (with a backing file), sparse and flat VMDK (the
# extent found next to the descriptor, the query string kept) and raw
# images convert byte for byte like qemu-img's local reading, also with
# several workers; without the CA the verification fails naming the host
# and the reason; V2K_TLS_NO_VERIFY=1 works with a warning; a connection
# dropped mid-range is resumed to an identical output; a 404 names the
# URL; a missing cookie (401) is a clear error and the cookie file works;
# a server without HEAD is sized by Content-Range; a server that ignores
# Range is refused; plain http:// is refused; a server that stops
# sending fails the read within the stall budget (2 x V2K_STALL_TIME, not
# 6 x 60 s as before) naming the URL, the offset and how long.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/sshd-lib.sh"     # free_port, the cleanup trap
need qemu-img qemu-io openssl python3 cmp

# A CA and a server certificate for 127.0.0.1.
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$T/ca.key" -out "$T/ca.pem" \
    -days 2 -subj /CN=v2kvm-test-ca 2>/dev/null
openssl req "${ec[@]}" -keyout "$T/srv.key" -out "$T/srv.csr" \
    -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 2 -extfile "$T/ext" 2>/dev/null

# start_https NAME [server options]: a server on $PORT, log $T/NAME.log.
start_https() {
    local name=$1 i
    shift
    PORT=$(free_port)
    rm -f "$T/ready"
    python3 "$(dirname "$0")/https-server.py" "$PORT" "$T/www" \
        "$T/srv.pem" "$T/srv.key" "$T/ready" "$@" 2>"$T/$name.log" &
    _remote_pids+=($!)
    for i in $(seq 100); do
        [ -e "$T/ready" ] && break
        sleep 0.1
    done
    [ -e "$T/ready" ] || fail "https-server.py $name did not start"
    U=https://127.0.0.1:$PORT
}

mkdir "$T/www"
W=$T/www
qemu-img create -q -f qcow2 "$W/base.qcow2" 4M
qemu-io -f qcow2 -c 'write -P 0x11 0 1M' -c 'write -P 0x22 3M 512k' \
    "$W/base.qcow2" >/dev/null
(cd "$W" && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2)
qemu-io -f qcow2 -c 'write -P 0x33 512k 1M' -c 'write -z 3M 64k' \
    "$W/top.qcow2" >/dev/null
qemu-img convert -O vmdk "$W/top.qcow2" "$W/sparse.vmdk"
qemu-img convert -O vmdk -o subformat=monolithicFlat "$W/top.qcow2" \
    "$W/flat.vmdk"
head -c 3M /dev/urandom >"$W/disk.raw"

check() {   # check URI LOCAL-IMAGE [v2kvm-img options]
    local uri=$1 img=$2
    shift 2
    rm -f "$T/ref.raw" "$T/out.raw"
    qemu-img convert -O raw "$img" "$T/ref.raw"
    "$V2KVM_IMG" convert "$@" -O raw "$uri" "$T/out.raw" ||
        fail "convert $uri failed"
    cmp "$T/ref.raw" "$T/out.raw" || fail "$uri: differs from qemu-img"
}

export V2K_CAFILE=$T/ca.pem
start_https plain
check "$U/top.qcow2" "$W/top.qcow2"
check "$U/top.qcow2" "$W/top.qcow2" -m 4 --chunk-size 64K
check "$U/sparse.vmdk" "$W/sparse.vmdk"
check "$U/flat.vmdk?dcPath=dc1&dsName=ds1" "$W/flat.vmdk" -m 3
check "$U/disk.raw" "$W/disk.raw" -f raw -m 4 --chunk-size 128K
grep -q "GET /flat-flat.vmdk?dcPath=dc1&dsName=ds1 " "$T/plain.log" ||
    fail "the extent was not fetched with the query string"

# The CA is needed: verification fails naming the host and the reason.
V2K_CAFILE= expect_fail "$V2KVM_IMG" convert -O raw "$U/disk.raw" \
    "$T/x.raw"
assert_grep "$U/disk.raw: the TLS certificate of 127.0.0.1 is not trusted: " \
    "$T/err"
assert_grep "not trusted: SSL certificate problem: " "$T/err"
[ ! -e "$T/x.raw" ] || fail "output left behind"
V2K_CAFILE= V2K_TLS_NO_VERIFY=1 "$V2KVM_IMG" convert -O raw \
    "$U/disk.raw" "$T/x.raw" 2>"$T/err" ||
    { cat "$T/err"; fail "tls_no_verify convert failed"; }
assert_grep "warning: .*not verifying the TLS certificate of 127.0.0.1" \
    "$T/err"
cmp "$W/disk.raw" "$T/x.raw" || fail "no-verify read differs"
# 404 names the URL; plain http is refused.
expect_fail "$V2KVM_IMG" convert -O raw "$U/nothere.raw" "$T/x2.raw"
assert_grep "^v2kvm-img: error: $U/nothere.raw: HTTP 404 Not Found$" \
    "$T/err"
expect_fail "$V2KVM_IMG" convert -O raw "http://127.0.0.1:$PORT/disk.raw" \
    "$T/x2.raw"
assert_grep "plain http is not supported" "$T/err"

# A connection dropped in the middle of a range: resumed, identical.
start_https drop --drop-after $((1536 << 10))
V2K_DEBUG=1 "$V2KVM_IMG" convert -m 2 -O raw "$U/disk.raw" "$T/cut.raw" \
    2>"$T/cut.err" || { cat "$T/cut.err"; fail "dropped range not resumed"; }
assert_grep "dropped the connection" "$T/drop.log"
assert_grep "retry 1 of 5" "$T/cut.err"
cmp "$W/disk.raw" "$T/cut.raw" || fail "resumed output differs"

# A session cookie: missing = 401, clear; from a file = works.
start_https cookie --cookie "vmware_soap_session=abc123"
expect_fail "$V2KVM_IMG" convert -O raw "$U/disk.raw" "$T/x3.raw"
assert_grep "$U/disk.raw: HTTP 401 Unauthorized: access refused (missing" \
    "$T/err"
echo "vmware_soap_session=wrong" >"$T/badcookie"
V2K_HTTP_COOKIE_FILE=$T/badcookie expect_fail "$V2KVM_IMG" convert -O raw \
    "$U/disk.raw" "$T/x3.raw"
assert_grep "HTTP 401" "$T/err"
! grep -q wrong "$T/err" || fail "the cookie was printed"
echo "vmware_soap_session=abc123" >"$T/cookie"
V2K_HTTP_COOKIE_FILE=$T/cookie check "$U/top.qcow2" "$W/top.qcow2"

# No HEAD: the size from Content-Range.
start_https nohead --no-head
check "$U/sparse.vmdk" "$W/sparse.vmdk"
# A server that ignores Range: refused, nothing downloaded in full.
start_https norange --ignore-range
expect_fail "$V2KVM_IMG" convert -O raw "$U/disk.raw" "$T/x4.raw"
assert_grep "$U/disk.raw: the server ignored the Range request at offset 0" \
    "$T/err"
# A server that stops sending in the middle of the data: the read fails
# in about 2 x V2K_STALL_TIME (here 2 s), not after 6 attempts of the
# stall time each, and the message says what stalled, where, how long.
start_https stall --stall-after $((1 << 20))
t0=$(date +%s)
V2K_STALL_TIME=2 expect_fail "$V2KVM_IMG" convert -O raw "$U/disk.raw" \
    "$T/x5.raw"
t1=$(date +%s)
assert_grep "stalled" "$T/stall.log"
# (One attempt may use the whole budget when curl's speed average lags
# behind the stall, as under ASan: then no "gave up after" part.)
assert_grep "^v2kvm-img: error: $U/disk.raw: stalled at offset [0-9]*: no data from 127.0.0.1 for [0-9]* seconds\( (gave up after [0-9]* attempts)\)\{0,1\}$" \
    "$T/err"
[ $((t1 - t0)) -lt 30 ] || fail "a stalled server took $((t1 - t0)) s to fail"
[ ! -e "$T/x5.raw" ] || fail "output left behind"
echo PASS
