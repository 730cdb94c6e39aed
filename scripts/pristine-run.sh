#!/bin/bash
# pristine-run.sh ROOT COMMAND... - run one of the README's commands as
# a newcomer would: in ROOT, a Debian 12 tree made by
#   debootstrap --variant=minbase --include=git,ca-certificates bookworm ROOT
# (nothing else installed, every cache empty), on a fresh clone of this
# repository's committed HEAD in ROOT/src.  /proc, /sys, /dev and
# /dev/pts are bound for the run (libguestfs and QEMU need them) and
# unbound after it.  Prints the command's output and its wall time.  As
# root.  Example: scripts/pristine-run.sh /var/tmp/root bash scripts/demo.sh
set -euo pipefail
root=$(cd "$1" && pwd)
shift
top=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$root/bin/bash" ] || { echo "pristine-run: $root is not a Debian tree" >&2; exit 1; }
rm -rf "$root/src"
git clone -q "$top" "$root/src"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# apt in the tree reads the same mirror as the host's
for m in proc sys dev dev/pts; do mount --bind "/$m" "$root/$m"; done
cleanup() {
    for m in dev/pts dev sys proc; do umount -l "$root/$m" 2>/dev/null || true; done
}
trap cleanup EXIT
t0=$(date +%s)
rc=0
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    TERM=dumb bash -c 'cd /src && "$@"' pristine-run "$@" || rc=$?
echo "pristine-run: '$*' exited $rc after $(( $(date +%s) - t0 ))s"
exit "$rc"
