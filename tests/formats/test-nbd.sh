#!/bin/bash
# NBD sources (formats/transport-nbd.c) against real servers: nbdkit and
# qemu-nbd, over TCP and Unix sockets, with qemu-img reading the same
# URIs as the oracle.  Then what P2V leans on: a server killed twice
# during a copy and started again (the copy resumes, the output is
# identical, and the bytes read twice stay under 10 %); a server that
# never comes back (a clear error once the reconnect budget is spent, no
# output left); a disk that fails under the server (an error at once,
# naming the offset); and libvirt domain XML with NBD disks.
. "$(dirname "$0")/../lib/test-lib.sh"
need nbdkit qemu-nbd qemu-img qemu-io jq python3

S=$T/s
mkdir -p "$S"

# serve NAME ARGS...: nbdkit -r in the background on $S/NAME.sock; its
# pid in $S/NAME.pid once it listens.
serve() {
    local name=$1
    shift
    rm -f "$S/$name.sock" "$S/$name.pid"
    nbdkit -r -U "$S/$name.sock" -P "$S/$name.pid" "$@" ||
        fail "nbdkit $* did not start"
    for _ in $(seq 300); do
        [ -s "$S/$name.pid" ] && return 0
        sleep 0.1
    done
    fail "nbdkit $* did not write its pid"
}
stop() {
    local pid
    [ -s "$S/$1.pid" ] || return 0
    pid=$(cat "$S/$1.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$S/$1.pid"
}
cleanup() {
    for p in "$S"/*.pid; do [ -e "$p" ] && stop "$(basename "$p" .pid)"; done
    [ -n "${QNBD:-}" ] && kill "$QNBD" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
uri() { echo "nbd+unix:///${2:-}?socket=$S/$1.sock"; }

# A 96 MiB disk with data, zeroes and holes.
qemu-img create -q -f raw "$T/disk.raw" 96M
qemu-io -f raw -c "write -P 0xab 1M 3M" -c "write -P 0 8M 1M" \
    -c "write -P 0x5c 10M 64M" -c "write -P 0x77 95M 1M" "$T/disk.raw" \
    >/dev/null

# --- reading: nbdkit over a Unix socket ---------------------------------
serve a file "$T/disk.raw"
assert_reads_like_qemu "$(uri a)"
assert_map_like_qemu "$(uri a)"
assert_convert_like_qemu "$(uri a)"
"$V2KVM_IMG" info --output=json "$(uri a)" >"$T/info.json"
jq -e '.["virtual-size"] == 100663296 and .format == "raw"' "$T/info.json" \
    >/dev/null || { cat "$T/info.json"; fail "info over NBD"; }

# A qcow2 image served as bytes: the format is probed through NBD.
qemu-img convert -f raw -O qcow2 "$T/disk.raw" "$T/disk.qcow2"
serve q file "$T/disk.qcow2"
"$V2KVM_IMG" info --output=json "$(uri q)" | jq -e '.format == "qcow2"' \
    >/dev/null || fail "a qcow2 over NBD was not probed as qcow2"
"$V2KVM_IMG" convert -O raw "$(uri q)" "$T/q.raw"
cmp "$T/disk.raw" "$T/q.raw" || fail "qcow2 over NBD read wrongly"
rm -f "$T/q.raw"
stop q

# --- qemu-nbd over TCP, with a named export -----------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# qemu-nbd takes one client at a time: the transport's extra
# connections find no answer and the reads share the one that works.
qemu-nbd -r -f raw -x disk0 -b 127.0.0.1 -p "$port" -t "$T/disk.raw" \
    2>"$T/qemu-nbd.log" &
QNBD=$!
for _ in $(seq 300); do
    qemu-img info "nbd://127.0.0.1:$port/disk0" >/dev/null 2>&1 && break
    sleep 0.1
done
assert_reads_like_qemu "nbd://127.0.0.1:$port/disk0"
assert_map_like_qemu "nbd://127.0.0.1:$port/disk0"
# A wrong export name: one line naming the URI.
expect_fail "$V2KVM_IMG" info "nbd://127.0.0.1:$port/nosuch"
[ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err"; fail "not one line"; }
assert_grep "nbd://127.0.0.1:$port/nosuch" "$T/err"
kill "$QNBD"; wait "$QNBD" 2>/dev/null || true; QNBD=

# --- bad URIs and unreachable servers: one line, at once -----------------
expect_fail "$V2KVM_IMG" info "nbd+unix:///?socket=$S/none.sock"
[ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err"; fail "not one line"; }
assert_grep "none.sock" "$T/err"
expect_fail "$V2KVM_IMG" info "nbd://127.0.0.1:notaport/x"
assert_grep "nbd://127.0.0.1:notaport/x" "$T/err"
# libnbd's rule: a URI may not make us read local files.
expect_fail "$V2KVM_IMG" info "nbds+unix:///?socket=$S/a.sock&tls-psk-file=/etc/shadow"
assert_grep "tls-psk-file\|local file\|not allowed\|TLS" "$T/err"

# --- resume: the server killed twice during a copy ----------------------
# 80 Mbit/s (nbdkit's rate filter counts bits) with a bucket of 0.5 s:
# the copy takes about 7 s of transfer, long enough to cut it twice.
# (The filter's default bucket, 2 s, let each fresh server send 40 MB at
# once: after the first cut, the copy then ended within a second of
# passing the second mark, and a loaded machine missed that window.)
# The log filter records every read the servers were asked for and when
# each was answered, so the bytes read twice are the sum of the answered
# reads' counts minus the data the disk holds (a read asked for but cut
# off before its answer was never sent: the rate filter held it).
serve r --filter=log --filter=rate file "$T/disk.raw" \
    logfile="$S/r.log" rate=80M burstiness=0.5
logs=("$S/r.log")
data_bytes=$(((3 + 1 + 64 + 1) * 1048576))
read_bytes() {
    # Each server's log starts with "Ready"; ids are per connection.
    cat "${logs[@]}" 2>/dev/null |
        awk '/ Ready / { gen++ }
             / (\.\.\.)?Read id=/ {
                 c = id = ""; n = 0
                 for (i = 1; i <= NF; i++) {
                     if ($i ~ /^connection=/) c = $i
                     if ($i ~ /^id=/) id = $i
                     if ($i ~ /^count=/) { sub("count=", "", $i); n = strtonum($i) }
                 }
                 k = gen " " c " " id
                 if ($0 ~ /\.\.\.Read id=/) { if ($0 ~ / return=0/) s += asked[k] }
                 else asked[k] = n
             }
             END { print s + 0 }'
}
V2K_DEBUG=1 V2K_NBD_RECONNECT_TIME=60 \
    "$V2KVM_IMG" convert -O qcow2 "$(uri r)" "$T/resumed.qcow2" \
    2>"$T/resume.err" &
conv=$!
cuts=0
for target in $((data_bytes / 4)) $((data_bytes * 3 / 5)); do
    for _ in $(seq 300); do
        [ "$(read_bytes)" -ge "$target" ] && break
        kill -0 "$conv" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$conv" 2>/dev/null || break
    stop r
    cuts=$((cuts + 1))
    sleep 2                     # the link is down for a while
    logs+=("$S/r$cuts.log")
    serve r --filter=log --filter=rate file "$T/disk.raw" \
        logfile="$S/r$cuts.log" rate=80M burstiness=0.5
done
wait "$conv" || { cat "$T/resume.err"; fail "the copy did not survive the cuts"; }
[ "$cuts" -eq 2 ] || fail "the copy ended before it could be cut twice ($cuts)"
assert_grep "reconnecting" "$T/resume.err"
qemu-img check -q "$T/resumed.qcow2"
qemu-img compare -q -f raw -F qcow2 "$T/disk.raw" "$T/resumed.qcow2" ||
    fail "the resumed copy differs from the disk"
sent=$(read_bytes)
echo "resume: $cuts cuts, $sent bytes read by the servers for $data_bytes of data"
[ "$sent" -le $((data_bytes * 110 / 100)) ] ||
    fail "$sent bytes read for $data_bytes of data: more than 10 % again"
stop r

# --- a server that never comes back: bounded, clear, nothing left --------
serve g --filter=log --filter=rate file "$T/disk.raw" logfile="$S/g.log" \
    rate=80M
V2K_NBD_RECONNECT_TIME=3 "$V2KVM_IMG" convert -O qcow2 "$(uri g)" \
    "$T/gone.qcow2" 2>"$T/gone.err" &
conv=$!
logs=("$S/g.log")
for _ in $(seq 600); do       # once the copy is under way
    [ "$(read_bytes)" -ge $((2 << 20)) ] && break
    sleep 0.05
done
stop g
if wait "$conv"; then fail "the copy succeeded without its server"; fi
assert_grep "no working connection for [0-9]* s" "$T/gone.err"
assert_grep "g.sock" "$T/gone.err"
[ ! -e "$T/gone.qcow2" ] || fail "a partial output was left after the link was lost"
ls -a "$T" | grep -q "gone.qcow2" && { ls -a "$T"; fail "a temporary output was left"; }

# --- the disk fails under the server: an error at once --------------------
serve e --filter=error file "$T/disk.raw" error=EIO error-pread-rate=1 \
    error-pread-file="$S/trigger"
touch "$S/trigger"
start=$(date +%s)
expect_fail env V2K_NBD_RECONNECT_TIME=60 "$V2KVM_IMG" convert -O raw \
    "$(uri e)" "$T/eio.raw"
[ $(($(date +%s) - start)) -lt 30 ] || fail "a server's read error was retried"
assert_grep "read at offset [0-9]*: .*Input/output error" "$T/err"
[ ! -e "$T/eio.raw" ] || fail "output left after a read error"
rm -f "$S/trigger"
stop e

# --- libvirt domain XML with NBD disks -----------------------------------
cat >"$T/nbd.xml" <<EOF
<domain type='kvm'>
  <name>nbdvm</name>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw'/>
      <source protocol='nbd'>
        <host transport='unix' socket='$S/a.sock'/>
      </source>
      <target dev='sda' bus='sata'/>
    </disk>
  </devices>
</domain>
EOF
"$V2KVM" --no-convert -i libvirtxml "$T/nbd.xml" --print-source \
    --machine-readable >"$T/src.json"
jq -e -s --arg u "$(uri a)" 'any(.[]; .. | strings | . == $u)' "$T/src.json" \
    >/dev/null || { cat "$T/src.json"; fail "the NBD URI is not in --print-source"; }
mkdir -p "$T/out" "$T/out2"
"$V2KVM" --no-convert -q -i libvirtxml "$T/nbd.xml" -o local -os "$T/out" \
    -of qcow2
qemu-img compare -q -f raw "$T/disk.raw" "$T/out/nbdvm-sda" ||
    fail "the domain's NBD disk was copied wrongly"
# TCP host with a port and an export name gives nbd://host:port/name.
sed -e "s|<host transport='unix' socket='[^']*'/>|<host name='127.0.0.1' port='10999'/>|" \
    -e "s|<source protocol='nbd'>|<source protocol='nbd' name='e x'>|" \
    "$T/nbd.xml" >"$T/tcp.xml"
expect_fail "$V2KVM" --no-convert -i libvirtxml "$T/tcp.xml" -o local \
    -os "$T/out2"
assert_grep "nbd://127.0.0.1:10999/e%20x" "$T/err"
# A Unix socket must be named by an absolute path.
sed "s|socket='$S/a.sock'|socket='rel.sock'|" "$T/nbd.xml" >"$T/rel.xml"
expect_fail "$V2KVM" --no-convert -i libvirtxml "$T/rel.xml" --print-source
assert_grep "rel.xml:[0-9]*: .*absolute socket" "$T/err"
echo "ok"
