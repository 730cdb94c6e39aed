#!/bin/sh
# remote-run.sh - v2kvm-p2v's helper on the conversion host.  The client
# copies it into the run directory it made there (mktemp -d) and calls
#   sh DIR/run.sh start         start DIR/command detached (once)
#   sh DIR/run.sh wait-sockets N   until N *.sock exist in DIR (20 s)
#   sh DIR/run.sh unlink        remove stale tunnel sockets
#   sh DIR/run.sh follow OFFSET    DIR/progress.jsonl from byte OFFSET on,
#                               as it grows; once v2kvm ended, the end
#                               of its stderr ("#log LINE") and "#status N"
# The conversion runs in its own session (setsid), with its output in
# files: a dropped SSH link (the client's follow and tunnel connections)
# does not stop it.  Its exit status lands in DIR/status (written under
# another name, then renamed).  POSIX sh and coreutils only.
set -u
dir=$(cd "$(dirname "$0")" && pwd) || exit 1
cmd=${1:-}
case $cmd in
start)
    [ -e "$dir/started" ] && exit 0
    : >"$dir/started"
    : >"$dir/progress.jsonl"
    setsid sh -c 'd=$1
        sh "$d/command" >"$d/progress.jsonl" 2>"$d/v2kvm.log" </dev/null
        echo $? >"$d/status.tmp" && mv "$d/status.tmp" "$d/status"' \
        sh "$dir" >/dev/null 2>&1 </dev/null &
    ;;
wait-sockets)
    i=0
    while [ "$i" -lt 200 ]; do
        n=$(find "$dir" -maxdepth 1 -name '*.sock' -type s | wc -l)
        [ "$n" -ge "$2" ] && exit 0
        sleep 0.1
        i=$((i + 1))
    done
    echo "the tunnel's sockets did not appear in $dir" >&2
    exit 1
    ;;
unlink)
    rm -f "$dir"/*.sock
    ;;
follow)
    off=$2
    while :; do
        ended=0
        [ -e "$dir/status" ] && ended=1
        size=$(wc -c <"$dir/progress.jsonl")
        if [ "$size" -gt "$off" ]; then
            tail -c +"$((off + 1))" "$dir/progress.jsonl" |
                head -c "$((size - off))"
            off=$size
        fi
        if [ "$ended" = 1 ]; then
            tail -n 5 "$dir/v2kvm.log" | sed 's/^/#log /'
            echo "#status $(cat "$dir/status")"
            exit 0
        fi
        sleep 1
    done
    ;;
*)
    echo "run.sh: unknown command '$cmd'" >&2
    exit 2
    ;;
esac
