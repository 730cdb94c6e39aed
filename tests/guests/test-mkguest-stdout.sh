#!/bin/bash
# tests/lib/mkguest-debian.sh on a fresh machine (issue #13): with an EMPTY
# guest cache, standard output is exactly one line, the directory holding
# the built guest, whatever the tools it runs print (mkfs.ext4 -d says
# "Creating regular file ..." on stdout: README command (1) once took that
# line for the guest's path).  The debootstrap tarball is taken from the
# shared cache (V2K_ROOTFS_CACHE) so the test costs an unpack, mkfs.ext4 -d
# and two guestfish launches, not a debootstrap; on a machine without the
# tarball it debootstraps into the shared cache first, as build-guests
# would.  Then a second run, everything cached: one line again.
. "$(dirname "$0")/../lib/test-lib.sh"
need debootstrap mkfs.ext4 sfdisk guestfish qemu-img

lib=$V2K_SOURCE_DIR/tests/lib
cache=$T/cache
mkdir "$cache"
export V2K_ROOTFS_CACHE=${V2K_GUEST_CACHE:-/var/cache/v2kvm-tests}

# one_dir OUT ERR WHAT: OUT holds exactly one line, a directory with
# debian12.img in it.
one_dir() {
    [ "$(wc -l <"$1")" = 1 ] ||
        { tail -n 20 "$2" >&2; echo "stdout:" >&2; cat "$1" >&2;
          fail "$3: stdout is not exactly one line"; }
    dir=$(cat "$1")
    [ "$(dirname "$(dirname "$dir")")" = "$cache" ] &&
        [ "$(basename "$dir")" = base ] ||
        fail "$3: stdout names '$dir', not a directory in $cache"
    [ -f "$dir/debian12.img" ] || fail "$3: no $dir/debian12.img"
}

t0=$(date +%s)
bash "$lib/mkguest-debian.sh" "$cache" base >"$T/out1" 2>"$T/err1" ||
    { tail -n 30 "$T/err1" >&2; fail "the build in an empty cache failed"; }
one_dir "$T/out1" "$T/err1" "empty cache"
# The path that printed on stdout was taken: mkfs.ext4 -d ran, and its
# chatter went to stderr.
assert_grep 'mkfs.ext4 -d' "$T/err1"
assert_grep 'Creating regular file' "$T/err1"
[ "$(stat -c %s "$dir/debian12.img")" = $((2 << 30)) ] ||
    fail "$dir/debian12.img is not 2 GiB"
sfdisk -d "$dir/debian12.img" | grep -q 'start= *2048,.*type=83' ||
    fail "$dir/debian12.img has no Linux partition at sector 2048"
t1=$(date +%s)

bash "$lib/mkguest-debian.sh" "$cache" base >"$T/out2" 2>"$T/err2" ||
    { cat "$T/err2" >&2; fail "the cached run failed"; }
one_dir "$T/out2" "$T/err2" "cached"
assert_grep 'base image cached' "$T/err2"
cmp -s "$T/out1" "$T/out2" || fail "the cached run named another directory"
echo "empty-cache build $((t1 - t0))s, cached run $(( $(date +%s) - t1 ))s"
