# sshd-lib.sh - a throwaway OpenSSH server on 127.0.0.1 for the remote
# tests (sourced after ../lib/test-lib.sh, as root).
#
# start_sshd: host key, user key ($T/id_user, authorized), an sshd on a
# free port ($SSHD_PORT) with its own config, pid file and log
# ($T/sshd.log), killed on exit.  Its sessions get TMPDIR=$T/host-tmp,
# so what a test's remote commands leave there (v2kvm-p2v's run
# directories, v2kvm's temporary files) goes with $T and never meets
# another test's.  HOME becomes $T/home so that nothing
# of the real user (keys, known_hosts) is used; known_hosts_for PORT
# writes $HOME/.ssh/known_hosts for [127.0.0.1]:PORT.
#
# start_proxy MODE N: tests/remote/cut-proxy.py in front of sshd on
# $PROXY_PORT; it cuts a connection after N bytes from the server
# (MODE once: the first connection only; always: every connection).

_remote_pids=()
_remote_cleanup() {
    local p
    for p in "${_remote_pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    rm -rf "$T"
}
trap _remote_cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s).
wait_port() {
    local i
    for i in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    fail "nothing listens on 127.0.0.1:$1"
}

start_sshd() {
    need /usr/sbin/sshd ssh-keygen python3
    export HOME=$T/home
    mkdir -p "$HOME/.ssh" /run/sshd "$T/host-tmp"
    ssh-keygen -q -t ed25519 -N '' -f "$T/host_key" -C host
    # ed25519: with libssh2 1.10 an RSA user key fails against OpenSSH
    # >= 8.8 (no rsa-sha2 signatures) and ECDSA keys in the OpenSSH format
    # leak in its loader (LeakSanitizer reports it).
    ssh-keygen -q -t ed25519 -N "" -f "$T/id_user" -C user
    cp "$T/id_user.pub" "$T/authorized_keys"
    SSHD_PORT=$(free_port)
    cat >"$T/sshd_config" <<EOC
ListenAddress 127.0.0.1
Port $SSHD_PORT
HostKey $T/host_key
AuthorizedKeysFile $T/authorized_keys
PidFile $T/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
SetEnv TMPDIR=$T/host-tmp
EOC
    /usr/sbin/sshd -D -f "$T/sshd_config" -E "$T/sshd.log" &
    _remote_pids+=($!)
    wait_port "$SSHD_PORT"
    export V2K_SSH_IDENTITY=$T/id_user
}

known_hosts_for() {
    echo "[127.0.0.1]:$1 $(cut -d' ' -f1,2 "$T/host_key.pub")" \
        >"$HOME/.ssh/known_hosts"
}

start_proxy() {
    PROXY_PORT=$(free_port)
    local i
    rm -f "$T/proxy.ready"
    python3 "$(dirname "${BASH_SOURCE[0]}")/cut-proxy.py" "$PROXY_PORT" \
        "$SSHD_PORT" "$1" "$2" "$T/proxy.ready" 2>"$T/proxy.log" &
    _remote_pids+=($!)
    # Not wait_port: a test connection would be the one cut.
    for i in $(seq 100); do
        [ -e "$T/proxy.ready" ] && return 0
        sleep 0.1
    done
    fail "cut-proxy.py did not start"
}

stop_proxy() {
    kill "${_remote_pids[-1]}"
    wait "${_remote_pids[-1]}" 2>/dev/null || true
    unset '_remote_pids[-1]'
}
