#!/bin/bash
# v2kvm-p2v end to end on this machine, without booting anything: the
# "physical machine" is a captured /sys tree (tests/data/p2v/two-sata)
# whose disks are image files (--disk-path), the conversion host a real
# sshd on 127.0.0.1 with a throwaway key, and the host's v2kvm the one
# just built (--no-convert: this test is about the transfer; the boot
# image test converts a real guest).  Checked:
#   - the copy is identical and the XML carries the physical NICs' MACs;
#   - unattended settings from a kernel command line (--cmdline);
#   - the tunnel killed twice mid-copy: the transfer resumes, the disk
#     is identical, the bytes read twice are under 10 %;
#   - faults, each one line on stderr and in the log, exit 1, nothing
#     under the output name: server unreachable, wrong key, host key
#     mismatch (known_hosts and --hostkey), v2kvm missing on the host,
#     v2kvm failing, the host's output disk full, a disk that fails
#     mid-copy, the link gone for longer than the reconnect budget.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../remote/sshd-lib.sh"
need nbdkit ssh ssh-keygen ssh-keyscan qemu-img qemu-io jq virt-xml-validate
: "${V2KVM_P2V:?run me through ctest}"

ROOT=$V2K_SOURCE_DIR/tests/data/p2v/two-sata
start_sshd
# The run directories this test's transfers leave on the "host" (kept
# there for the admin, as the client documents) are in the sshd's
# TMPDIR, $T/host-tmp (sshd-lib.sh): they go with $T.
trap 'umount "$T/small" 2>/dev/null || true; _remote_cleanup' EXIT
known_hosts_for "$SSHD_PORT"
FP=$(ssh-keygen -l -E sha256 -f "$T/host_key.pub" | cut -d' ' -f2)

# Two "physical disks": sda with data in several places, sdb small.
qemu-img create -q -f raw "$T/sda.img" 384M
qemu-io -f raw -c "write -P 0x11 0 1M" -c "write -P 0x22 8M 318M" \
    -c "write -P 0x33 383M 1M" "$T/sda.img" >/dev/null
qemu-img create -q -f raw "$T/sdb.img" 16M
qemu-io -f raw -c "write -P 0x44 2M 2M" "$T/sdb.img" >/dev/null
data_sda=$((320 * 1048576))

HOSTV2KVM="env LIBGUESTFS_BACKEND=direct $V2KVM --no-convert"
p2v() {
    "$V2KVM_P2V" --root "$ROOT" --server 127.0.0.1 --port "$SSHD_PORT" \
        --identity "$T/id_user" --known-hosts "$HOME/.ssh/known_hosts" \
        --disk-path "sda=$T/sda.img" --disk-path "sdb=$T/sdb.img" \
        --remote-v2kvm "$HOSTV2KVM" --log "$T/p2v.log" "$@"
}
# no_output DIR: nothing, not even a hidden partial file, in DIR.
no_output() {
    [ -z "$(ls -A "$1")" ] || { ls -la "$1"; fail "output left in $1"; }
}
# one_line: the failure is one error line on stderr (the host's
# warnings may come before it), also in the client's log.
one_line() {
    [ "$(grep -c 'error:' "$T/err")" -eq 1 ] ||
        { cat "$T/err"; fail "not one error line"; }
    grep -qF "$(sed -n 's/^v2kvm-p2v: error: //p' "$T/err")" "$T/p2v.log" ||
        { cat "$T/p2v.log"; fail "the error is not in the client's log"; }
}

# --- a transfer ---------------------------------------------------------
mkdir -p "$T/out"
p2v --name web01 -os "$T/out" -of qcow2 >"$T/run.out" 2>"$T/run.err" ||
    { cat "$T/run.out" "$T/run.err"; fail "the transfer failed"; }
qemu-img compare -q -f raw -F qcow2 "$T/sda.img" "$T/out/web01-sda" ||
    fail "sda arrived different"
qemu-img compare -q -f raw -F qcow2 "$T/sdb.img" "$T/out/web01-sdb" ||
    fail "sdb arrived different"
virt-xml-validate "$T/out/web01.xml" domain >/dev/null
for mac in 00:1b:21:aa:bb:01 00:1b:21:aa:bb:03; do
    grep -q "<mac address=\"$mac\"/>" "$T/out/web01.xml" ||
        fail "the XML lacks the physical NIC's MAC $mac"
done
assert_grep "Done: web01 converted on 127.0.0.1:$SSHD_PORT" "$T/run.out"
assert_grep "disk 2/2" "$T/run.out"
assert_grep "done: web01 converted" "$T/p2v.log"
rm -rf "$T/out"/*

# --- unattended: the kernel command line ---------------------------------
mkdir -p "$T/out2"
"$V2KVM_P2V" --root "$ROOT" --disk-path "sda=$T/sda.img" --log "$T/p2v.log" \
    --cmdline "BOOT_IMAGE=/live/vmlinuz boot=live quiet v2kvm.server=127.0.0.1 v2kvm.port=$SSHD_PORT v2kvm.identity=$T/id_user v2kvm.hostkey=$FP v2kvm.disks=sda v2kvm.name=\"db01\" v2kvm.os=$T/out2 v2kvm.of=raw v2kvm.remote=\"$HOSTV2KVM\"" \
    >"$T/run.out" 2>&1 || { cat "$T/run.out"; fail "the unattended transfer failed"; }
cmp "$T/sda.img" "$T/out2/db01-sda" || fail "unattended: sda differs"
[ ! -e "$T/out2/db01-sdb" ] || fail "v2kvm.disks=sda copied sdb too"
rm -rf "$T/out2"

# --- resume: the tunnel killed twice during the copy ----------------------
# nbdkit's rate filter (bits per second) makes the copy of sda's 320
# MiB last about 3 s; its log filter counts what was read.  A cut costs
# what was in flight: up to 4 connections x 4 MiB (transport-nbd.c),
# which a disk of this size keeps under 10 % for two cuts.
mkdir -p "$T/out3"
V2K_P2V_NBDKIT_FILTERS="--filter=log --filter=rate" \
V2K_P2V_NBDKIT_PARAMS="logfile=$T/nbd.log rate=800M" \
    p2v --disks sda --name res01 -os "$T/out3" -of qcow2 --reconnect 60 \
    >"$T/res.out" 2>"$T/res.err" &
client=$!
read_bytes() {
    awk '/ Read id=/ { for (i = 1; i <= NF; i++)
             if ($i ~ /^count=/) { sub("count=", "", $i); s += strtonum($i) } }
         END { print s + 0 }' "$T/nbd.log" 2>/dev/null || echo 0
}
cuts=0
for target in $((data_sda / 4)) $((data_sda * 3 / 5)); do
    for _ in $(seq 600); do
        [ "$(read_bytes)" -ge "$target" ] && break
        kill -0 "$client" 2>/dev/null || break
        sleep 0.05
    done
    tun=$(pgrep -f -- "ExitOnForwardFailure=yes" | head -1 || true)
    [ -n "$tun" ] || break
    kill "$tun"
    cuts=$((cuts + 1))
    # The next cut once the client has the link back.
    for _ in $(seq 300); do
        [ "$(grep -c "is back after" "$T/res.out")" -ge "$cuts" ] && break
        kill -0 "$client" 2>/dev/null || break
        sleep 0.1
    done
done
wait "$client" || { cat "$T/res.out" "$T/res.err"; fail "the transfer did not survive the cuts"; }
[ "$cuts" -eq 2 ] || fail "the tunnel was cut $cuts times, not 2"
assert_grep "the link to 127.0.0.1:$SSHD_PORT is lost" "$T/res.err"
assert_grep "is back after" "$T/res.out"
assert_grep "cut 2 times and resumed" "$T/res.out"
qemu-img compare -q -f raw -F qcow2 "$T/sda.img" "$T/out3/res01-sda" ||
    fail "the resumed disk differs"
sent=$(read_bytes)
echo "resume: 2 cuts, $sent bytes read for $data_sda of data"
[ "$sent" -le $((data_sda * 110 / 100)) ] ||
    fail "$sent bytes read for $data_sda: more than 10 % sent again"
rm -rf "$T/out3"

# --- faults ---------------------------------------------------------------
mkdir -p "$T/o"
# Nothing listens there.
expect_fail "$V2KVM_P2V" --root "$ROOT" --server 127.0.0.1 \
    --port "$(free_port)" --identity "$T/id_user" \
    --known-hosts "$HOME/.ssh/known_hosts" --disk-path "sda=$T/sda.img" \
    --disks sda --log "$T/p2v.log" -os "$T/o"
assert_grep "cannot reach 127.0.0.1:[0-9]*" "$T/err"
one_line
# A key the host does not know.
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger" -C stranger
expect_fail p2v --disks sda -os "$T/o" --identity "$T/stranger"
assert_grep "permission denied: wrong key" "$T/err"
one_line
# A wrong password (root's is locked: any is wrong), on a second sshd
# that takes passwords.  The password goes from the file to ssh through
# the client's askpass mode, never on a command line.
PW_PORT=$(free_port)
sed -e "s/^Port .*/Port $PW_PORT/" -e "s|^PidFile .*|PidFile $T/sshd-pw.pid|" \
    -e "s/^PasswordAuthentication no/PasswordAuthentication yes/" \
    -e "s/^PermitRootLogin .*/PermitRootLogin yes/" \
    "$T/sshd_config" >"$T/sshd_config_pw"
/usr/sbin/sshd -D -f "$T/sshd_config_pw" -E "$T/sshd-pw.log" &
_remote_pids+=($!)
wait_port "$PW_PORT"
echo "[127.0.0.1]:$PW_PORT $(cut -d' ' -f1,2 "$T/host_key.pub")" \
    >>"$HOME/.ssh/known_hosts"
printf 'not-the-password\n' >"$T/pw"
chmod 600 "$T/pw"
expect_fail "$V2KVM_P2V" --root "$ROOT" --server 127.0.0.1 --port "$PW_PORT" \
    --password-file "$T/pw" --known-hosts "$HOME/.ssh/known_hosts" \
    --disk-path "sda=$T/sda.img" --disks sda --log "$T/p2v.log" -os "$T/o"
assert_grep "permission denied: wrong password" "$T/err"
one_line
assert_grep "Failed password for root" "$T/sshd-pw.log"
# The askpass mode itself: the file's first line, nothing else.
[ "$(V2K_P2V_ASKPASS_FILE="$T/pw" "$V2KVM_P2V" "root@127.0.0.1's password: ")" = \
  not-the-password ] || fail "askpass mode"
# The host shows another key than known_hosts has.
ssh-keygen -q -t ed25519 -N '' -f "$T/other_host" -C other
echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$T/other_host.pub")" \
    >"$T/wrong_known_hosts"
expect_fail p2v --disks sda -os "$T/o" --known-hosts "$T/wrong_known_hosts"
assert_grep "the host key of 127.0.0.1:$SSHD_PORT is not the one in" "$T/err"
one_line
# ... or than the fingerprint given.
OFP=$(ssh-keygen -l -E sha256 -f "$T/other_host.pub" | cut -d' ' -f2)
expect_fail "$V2KVM_P2V" --root "$ROOT" --server 127.0.0.1 \
    --port "$SSHD_PORT" --identity "$T/id_user" --hostkey "$OFP" \
    --disk-path "sda=$T/sda.img" --disks sda --log "$T/p2v.log" -os "$T/o"
assert_grep "does not match $OFP: refusing to connect" "$T/err"
one_line
# No v2kvm on the host.
expect_fail p2v --disks sda -os "$T/o" --remote-v2kvm /nonexistent/v2kvm
assert_grep "the command '/nonexistent/v2kvm' is not there" "$T/err"
one_line
# v2kvm fails there: its own error line comes back.
expect_fail p2v --disks sda -os "$T/o" -of vmdk
assert_grep "v2kvm failed (exit 2): .*-of" "$T/err"
one_line
no_output "$T/o"
# The host's output disk is full.
mkdir -p "$T/small"
mount -t tmpfs -o size=12M tmpfs "$T/small"
expect_fail p2v --disks sda -os "$T/small" -of raw
assert_grep "v2kvm failed: .*\(No space left\|space\)" "$T/err"
one_line
no_output "$T/small"
umount "$T/small"
# The disk fails under the client's NBD server mid-copy (EIO).
touch "$T/o/.keep" && rm "$T/o/.keep"
rm -f "$T/nbd.log"
V2K_P2V_NBDKIT_FILTERS="--filter=log --filter=error --filter=rate" \
V2K_P2V_NBDKIT_PARAMS="logfile=$T/nbd.log error=EIO error-pread-rate=1 error-pread-file=$T/gone rate=100M" \
    p2v --disks sda -os "$T/o" >/dev/null 2>"$T/err" &
client=$!
for _ in $(seq 600); do
    [ "$(read_bytes)" -ge $((4 << 20)) ] && break
    sleep 0.05
done
touch "$T/gone"
if wait "$client"; then fail "a failing disk was converted"; fi
assert_grep "v2kvm failed: .*Input/output error" "$T/err"
one_line
no_output "$T/o"
rm -f "$T/gone"
# The link never comes back: both sides give up after the budget.
rm -f "$T/nbd.log"
V2K_P2V_NBDKIT_FILTERS="--filter=log --filter=rate" \
V2K_P2V_NBDKIT_PARAMS="logfile=$T/nbd.log rate=50M" \
    p2v --disks sda -os "$T/o" --reconnect 4 >/dev/null 2>"$T/err" &
client=$!
# Once the copy is under way (setting up takes longer on a busy machine).
for _ in $(seq 600); do
    [ "$(read_bytes)" -ge $((4 << 20)) ] && break
    sleep 0.05
done
# The host lets no one in from now on (its authorized_keys emptied),
# and the connections in progress are cut.
mv "$T/authorized_keys" "$T/authorized_keys.off"
: >"$T/authorized_keys"
pkill -f -- "ExitOnForwardFailure=yes" || true
pkill -f -- "run.sh follow" || true
if wait "$client"; then fail "the transfer succeeded without a link"; fi
mv "$T/authorized_keys.off" "$T/authorized_keys"
assert_grep "no link to 127.0.0.1:$SSHD_PORT for 4 s: giving up" "$T/err"
one_line
# The host's v2kvm gives up too, and leaves nothing.
for _ in $(seq 100); do
    pgrep -f -- "-on p2v.*$T/o|$T/o.*machine-readable" >/dev/null || break
    sleep 0.2
done
no_output "$T/o"
echo "ok"
