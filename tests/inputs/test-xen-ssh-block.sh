#!/bin/bash
# -ic xen+ssh:// with phy: disks that are block devices on the dom0 (a
# real sshd on 127.0.0.1, tests/remote/sshd-lib.sh).  OpenSSH's SFTP
# server reports st_size 0 for a device, so formats/transport-sftp.c
# learns the size another way; this test pins each way:
#  - a read-only loop device (losetup, as tests/inputs/test-disk-block.sh)
#    behind an LVM-like symlink $D/dev/vg/lv: the size comes from
#    `blockdev --getsize64` over an SSH exec channel; --print-source
#    says sftp, raw and the exact size; a -o local --no-convert
#    conversion equals the device (qemu-img compare);
#  - the same device with V2K_SFTP_FORCE_SIZE_SEARCH=1, and through an
#    sshd whose account may only run SFTP (ForceCommand internal-sftp:
#    exec gives nothing): the size comes from the 1-byte-read search,
#    the same size, in at most 2*log2(size)+2 reads;
#  - a connection cut every 1.5 MiB is resumed to an identical disk; a
#    connection cut every time in the handshake fails cleanly, with no
#    output left (never a short disk);
#  - the size search forced on a regular file of an odd size (this part
#    runs even where losetup is impossible; the rest then FAILS).
. "$(dirname "$0")/../lib/test-lib.sh"
. "$(dirname "$0")/../remote/sshd-lib.sh"
need qemu-img qemu-io jq losetup
start_sshd
known_hosts_for "$SSHD_PORT"
IC=xen+ssh://root@127.0.0.1:$SSHD_PORT
U=sftp://root@127.0.0.1:$SSHD_PORT
D=$T/dom0
mkdir -p "$D/etc/xen" "$D/dev/vg"

# The forced search on a regular file of 3 MiB + 5 sectors (the raw
# reader wants whole sectors; the search itself is byte-exact).
head -c $(((3 << 20) + 2560)) /dev/urandom >"$D/odd.img"
V2K_DEBUG=1 V2K_SFTP_FORCE_SIZE_SEARCH=1 "$V2KVM_IMG" convert -f raw \
    -O raw "$U$D/odd.img" "$T/odd.raw" 2>"$T/odd.err" ||
    { cat "$T/odd.err"; fail "forced size search on a file failed"; }
found="bytes found with [0-9]* one-byte reads (size search)"
assert_grep "odd.img: 3148288 $found" "$T/odd.err"
cmp "$D/odd.img" "$T/odd.raw" || fail "forced search: the copy differs"

# The device: 20 MiB + 3 sectors, patterns at both ends.
img=$T/lv.img
qemu-img create -q -f raw "$img" $(((20 << 20) + 1536))
qemu-io -f raw -c 'write -P 0x5a 0 1M' -c 'write -P 0x17 9M 3M' \
    -c 'write -P 0xc3 20M 1536' "$img" >/dev/null
size=$(stat -c %s "$img")
[ "$(id -u)" = 0 ] ||
    fail "this test sets up a loop device and must run as root"
LOOP=$(losetup --find --show -r "$img") ||
    fail "losetup could not attach $img (only the forced search on a" \
         "regular file was tested)"
trap 'losetup -d "$LOOP" 2>/dev/null || true; _remote_cleanup' EXIT
[ -b "$LOOP" ] || fail "$LOOP is not a block device"
ln -s "$LOOP" "$D/dev/vg/lv"
cat >"$D/etc/xen/blk.cfg" <<EOC
name = "blk"
type = "hvm"
memory = 512
disk = [ 'phy:$D/dev/vg/lv,xvda,w' ]
EOC
XC=(-io "xen-config=$D/etc/xen/blk.cfg")

# 1. blockdev over exec.
"$V2KVM" -v -i xen -ic "$IC" "${XC[@]}" blk --print-source \
    --machine-readable >"$T/src.json" 2>"$T/src.err" ||
    { cat "$T/src.err"; fail "--print-source of a phy: device failed"; }
jq -e 'select(.name) | .name == "blk" and (.disks | length) == 1
  and .disks[0].path == "'"$U$D"'/dev/vg/lv"
  and .disks[0].transport == "sftp" and .disks[0].format == "raw"
  and .disks[0].size_bytes == '"$size"'
  and .disks[0].target_dev == "xvda"' "$T/src.json" >/dev/null ||
    fail "print-source: $(cat "$T/src.json")"
# (with --machine-readable, -v's debug lines are JSON on stdout)
assert_grep "lv: $size bytes from blockdev --getsize64" "$T/src.json"
! grep -q "size search" "$T/src.json" || fail "searched although exec works"

mkdir "$T/out"
"$V2KVM" -q -i xen -ic "$IC" "${XC[@]}" blk -o local -os "$T/out" \
    --no-convert || fail "xen+ssh conversion of a phy: device failed"
qemu-img compare -q -f raw -F qcow2 "$LOOP" "$T/out/blk-sda" ||
    fail "the converted disk differs from the device"

# 2. The search, forced; then chosen because exec gives nothing.
maxprobes=$(python3 -c \
    "import math; print(2 * math.ceil(math.log2($size)) + 2)")
check_search() {    # check_search OUTPUT
    local n
    assert_grep "lv: $size $found" "$1"
    n=$(sed -n 's/.* bytes found with \([0-9]*\) one-byte reads.*/\1/p' "$1" |
        head -1)
    [ "$n" -le "$maxprobes" ] || fail "size search took $n reads (> $maxprobes)"
}
V2K_SFTP_FORCE_SIZE_SEARCH=1 "$V2KVM" -v -i xen -ic "$IC" "${XC[@]}" blk \
    --print-source --machine-readable >"$T/s2.json" 2>"$T/s2.err" ||
    { cat "$T/s2.err"; fail "forced search on the device failed"; }
check_search "$T/s2.json"
jq -e 'select(.name) | .disks[0].size_bytes == '"$size" "$T/s2.json" \
    >/dev/null || fail "forced search: $(cat "$T/s2.json")"

P2=$(free_port)
sed -e "s/^Port .*/Port $P2/" -e "s|^PidFile .*|PidFile $T/sshd2.pid|" \
    "$T/sshd_config" >"$T/sshd2_config"
echo "ForceCommand internal-sftp" >>"$T/sshd2_config"
/usr/sbin/sshd -D -f "$T/sshd2_config" -E "$T/sshd2.log" &
_remote_pids+=($!)
wait_port "$P2"
echo "[127.0.0.1]:$P2 $(cut -d' ' -f1,2 "$T/host_key.pub")" \
    >>"$HOME/.ssh/known_hosts"
"$V2KVM" -v -i xen -ic "xen+ssh://root@127.0.0.1:$P2" "${XC[@]}" blk \
    --print-source --machine-readable >"$T/s3.json" 2>"$T/s3.err" ||
    { cat "$T/s3.err"; fail "an SFTP-only server: print-source failed"; }
check_search "$T/s3.json"
jq -e 'select(.name) | .disks[0].size_bytes == '"$size" "$T/s3.json" \
    >/dev/null || fail "SFTP-only server: $(cat "$T/s3.json")"

# 3. Every connection cut after 1.5 MiB from the server: resumed,
# identical; cut in every handshake: a clean error and no disk.
start_proxy always $((1536 << 10))
known_hosts_for "$PROXY_PORT"
mkdir "$T/out2"
"$V2KVM" -q -i xen -ic "xen+ssh://root@127.0.0.1:$PROXY_PORT" "${XC[@]}" \
    blk -o local -os "$T/out2" --no-convert --parallel 1 2>"$T/cut.err" ||
    { cat "$T/cut.err"; fail "cut connections not resumed"; }
assert_grep "cut after" "$T/proxy.log"
qemu-img compare -q -f raw -F qcow2 "$LOOP" "$T/out2/blk-sda" ||
    fail "the disk differs after cuts"
stop_proxy
start_proxy always 200
known_hosts_for "$PROXY_PORT"
mkdir "$T/out3"
expect_fail "$V2KVM" -i xen -ic "xen+ssh://root@127.0.0.1:$PROXY_PORT" \
    "${XC[@]}" blk -o local -os "$T/out3" --no-convert
assert_grep "(gave up after 6 attempts)" "$T/err"
[ -z "$(ls -A "$T/out3")" ] || fail "a failed transfer left $(ls "$T/out3")"
stop_proxy
echo PASS
