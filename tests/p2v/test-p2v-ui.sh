#!/bin/bash
# v2kvm-p2v's text UI (p2v/ui.c), driven as an admin would: the real
# client with the real whiptail in a pseudo-terminal (ptydrive.py plays
# the screen on a small VT100 model, types the keys and waits for text
# on the screen), a real sshd on 127.0.0.1 as the conversion host
# (sshd-lib.sh) and the v2kvm just built there; the "physical machine"
# is the captured two-sata tree whose disks are image files
# (--disk-path), as in test-p2v-transfer.sh.  Checked:
#   - Back (Esc) from the second screen to the first, keeping its value;
#     Quit (Esc) on the first screen: exit 1, one line, nothing started
#     on the host;
#   - a kernel command line without v2kvm.server= (--cmdline, as --boot
#     reads /proc/cmdline) starts the UI with its values as defaults;
#   - a port of 99999: the same message as on the command line, and the
#     port box again;
#   - the host key screen shows the real SHA256 fingerprint of the test
#     sshd's key, and "Yes" pins it: the transfer goes through without
#     any known_hosts;
#   - the disks checklist: none selected is refused (the same check as
#     --disks) and the list comes again; sdb unselected, only sda copied;
#   - the gauge shows the progress (MiB/s), the result box the output;
#     the copy is identical (qemu-img compare) and the XML is there;
#   - a typed password reaches sshd (askpass), and is on no screen, in
#     no log, and its file is gone after the run;
#   - --machine-readable with the UI: refused, one line; without
#     whiptail and dialog, or without a terminal: one line each.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../remote/sshd-lib.sh"
need whiptail python3 nbdkit ssh ssh-keygen ssh-keyscan qemu-img qemu-io
: "${V2KVM_P2V:?run me through ctest}"

ROOT=$V2K_SOURCE_DIR/tests/data/p2v/two-sata
DRIVE=$V2K_SOURCE_DIR/tests/p2v/ptydrive.py
start_sshd
# No known_hosts at all: the UI's fingerprint screen is the only trust.
rm -f "$HOME/.ssh/known_hosts"
FP=$(ssh-keygen -l -E sha256 -f "$T/host_key.pub" | cut -d' ' -f2)

qemu-img create -q -f raw "$T/sda.img" 64M
qemu-io -f raw -c "write -P 0x11 0 1M" -c "write -P 0x22 8M 40M" \
    -c "write -P 0x33 63M 1M" "$T/sda.img" >/dev/null
qemu-img create -q -f raw "$T/sdb.img" 16M
mkdir -p "$T/out"

HOSTV2KVM="env LIBGUESTFS_BACKEND=direct $V2KVM --no-convert"
client=("$V2KVM_P2V" --interactive --root "$ROOT"
        --disk-path "sda=$T/sda.img" --disk-path "sdb=$T/sdb.img"
        --identity "$T/id_user" --remote-v2kvm "$HOSTV2KVM"
        --log "$T/p2v.log")
# drive NAME: run the client under ptydrive.py with the script on stdin.
drive() {
    cat >"$T/$1.script"
    python3 "$DRIVE" --timeout 120 --log "$T/$1.screens" "$T/$1.script" \
        -- "${client[@]}" 2>"$T/$1.err" ||
        { cat "$T/$1.err" >&2; fail "$1: the UI did not go as expected"; }
}
# No run directory of the client on the host ($T/host-tmp, sshd-lib.sh).
no_run_dir() {
    [ -z "$(ls -A "$T/host-tmp")" ] ||
        { ls -la "$T/host-tmp"; fail "$1: something was started on the host"; }
}

# --- Back, then Quit on the first screen -----------------------------------
# Esc on the port box goes back to the host box, which keeps what was
# typed; Esc there quits.
drive quit <<EOF
expect Its name or address
send quit.example\\r
expect Its SSH port
send \\x1b
expect Its name or address
expect quit.example
send \\x1b
exit 1
EOF
assert_grep "cancelled at the first screen: nothing was started" \
    "$T/quit.screens"
no_run_dir quit
[ -z "$(ls -A "$T/out")" ] || fail "quit: output left in $T/out"

# --- a kernel command line without v2kvm.server= --------------------------
# As --boot reads /proc/cmdline: the UI starts, the v2kvm.* values given
# are the defaults in its boxes.
client_saved=("${client[@]}")
client+=(--cmdline "BOOT_IMAGE=/live/vmlinuz boot=live v2kvm.port=2201 v2kvm.user=p2vadmin")
drive cmdline <<EOF
expect Its name or address
send 127.0.0.1\\r
expect Its SSH port
expect 2201
send \\r
expect The user to log in as
expect p2vadmin
send \\x1b
expect Its SSH port
send \\x1b
expect Its name or address
send \\x1b
exit 1
EOF
client=("${client_saved[@]}")
no_run_dir cmdline

# --- a conversion through every screen --------------------------------------
# Backspaces clear a box's default.  The host key box's default is No:
# Tab goes to Yes.  The checklist: Down to sdb, Space unselects it.
BS=$(printf '\\x7f%.0s' $(seq 40))
V2K_P2V_NBDKIT_FILTERS="--filter=rate" V2K_P2V_NBDKIT_PARAMS="rate=120M" \
drive convert <<EOF
expect Its name or address
send 127.0.0.1\\r
expect Its SSH port
send $BS
send 99999\\r
expect port '99999': a number from 1 to 65535 is needed
send \\r
expect Its SSH port
send $BS
send $SSHD_PORT\\r
expect The user to log in as
send \\r
expect How to log in to the conversion host
send \\r
expect The private key
send \\r
expect shows this ED25519 host key
expect $FP
expect ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub
send \\t
send \\r
expect The disks to copy
expect loop0: loop device
send \\x20
send \\x1b[B
send \\x20
send \\r
expect no disk selected
send \\r
expect [*] sdb
send \\x1b[B
send \\x20
send \\r
expect output mode on the host
send \\r
expect Where the output goes
send $BS
send $T/out\\r
expect The disks' format
send \\r
expect The guest's name
send $BS
send ui01\\r
expect Convert now?
expect Disks            sda
send \\r
expect MiB/s
expect Done: ui01 converted on 127.0.0.1
expect ui01-sda
send \\r
exit 0
EOF
qemu-img compare -q -f raw -F qcow2 "$T/sda.img" "$T/out/ui01-sda" ||
    fail "sda arrived different"
[ -s "$T/out/ui01.xml" ] || fail "no ui01.xml on the host"
[ ! -e "$T/out/ui01-sdb" ] || fail "sdb was unselected but copied"
assert_grep "done: ui01 converted on 127.0.0.1" "$T/p2v.log"
# The pinned key, and nothing else, was trusted: no known_hosts appeared.
[ ! -e "$HOME/.ssh/known_hosts" ] || fail "a known_hosts file was written"
# The UI's own lines went to the log, not over the gauge.
assert_grep "Connecting to 127.0.0.1:$SSHD_PORT" "$T/p2v.log"

# --- a typed password -------------------------------------------------------
# A second sshd that takes passwords (root's is locked: any is wrong).
# The password goes from the box to a 0600 file and to ssh through the
# client's askpass mode: never on the screen, a command line or the log.
PW_PORT=$(free_port)
sed -e "s/^Port .*/Port $PW_PORT/" -e "s|^PidFile .*|PidFile $T/sshd-pw.pid|" \
    -e "s/^PasswordAuthentication no/PasswordAuthentication yes/" \
    -e "s/^PermitRootLogin .*/PermitRootLogin yes/" \
    "$T/sshd_config" >"$T/sshd_config_pw"
/usr/sbin/sshd -D -f "$T/sshd_config_pw" -E "$T/sshd-pw.log" &
_remote_pids+=($!)
wait_port "$PW_PORT"
mkdir -p "$T/o"
drive password <<EOF
expect Its name or address
send 127.0.0.1\\r
expect Its SSH port
send $BS
send $PW_PORT\\r
expect The user to log in as
send \\r
expect How to log in to the conversion host
send \\x1b[B
send \\r
expect The password of root on 127.0.0.1
send not-the-password
absent not-the-password
send \\r
expect shows this ED25519 host key
expect $FP
send \\t
send \\r
expect The disks to copy
send \\r
expect output mode on the host
send \\r
expect Where the output goes
send $BS
send $T/o\\r
expect The disks' format
send \\r
expect The guest's name
send \\r
expect Login            password
send \\r
expect The conversion failed
expect permission denied: wrong password
send \\r
exit 1
EOF
assert_grep "Failed password for root" "$T/sshd-pw.log"
if grep -r -q "not-the-password" "$T/p2v.log" "$T"/*.screens; then
    fail "the password is in the log or on the screen"
fi
if ls -d /tmp/v2kvm-p2v-ui.* 2>/dev/null; then
    fail "the password's directory was left behind"
fi
[ -z "$(ls -A "$T/o")" ] || fail "password: output left in $T/o"

# --- the UI does not go with --machine-readable ----------------------------
expect_fail "${client[@]}" --machine-readable
assert_grep "the text UI does not go with --machine-readable" "$T/err"
[ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err"; fail "not one line"; }
# ... needs whiptail or dialog, and a terminal: one line each.
expect_fail env PATH=/nonexistent "${client[@]}"
assert_grep "error: the interactive mode needs whiptail (or dialog)" "$T/err"
[ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err"; fail "not one line"; }
expect_fail "${client[@]}" </dev/null
assert_grep "error: the interactive mode needs a terminal" "$T/err"
echo "ok"
