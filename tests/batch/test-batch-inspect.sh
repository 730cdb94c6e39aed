#!/bin/bash
# test-batch-inspect.sh - v2kvm-batch inspect PLAN, the dry run: every
# VM's source opened and its guest inspected (v2kvm --print-source, then
# -o null --print-guest), predictions, nothing written.
#  - good: a phony Debian 12 on UEFI (tests/lib/mkphony.sh), inspected by
#    the real v2kvm in the appliance: OS and firmware in the table, UEFI
#    info (OVMF), no error;
#  - copy: a no_convert VM on a raw disk: the source alone, no appliance;
#  - broken: a truncated qcow2: the source cannot be opened (v2kvm's
#    one-line error);
#  - huge: a qcow2 of 64 TiB virtual size: over the target's free space;
#  - half1, half2: each 0.6 of the target's free space: each fits, not
#    both (a warning on each);
#  - full, luks, win: the guest run answered by a wrapper
#    ($V2KVM_BATCH_V2KVM) instead of an appliance, to keep to one
#    launch: good's real guest JSON with / nearly full (1 MiB free), the
#    error v2kvm prints for a LUKS root without a key, a Windows guest
#    (no virtio-win on this host);
# exit 1; the target directory stays empty, no state file is created,
# the sources' checksums are unchanged; --machine-readable; --only;
# --timeout; plan errors exit 2 naming PLAN:LINE.
# Launches: 1 build (mkphony) + 1 inspection.
export V2K_ACCEL=${V2K_ACCEL:-tcg}
. "$(dirname "$0")/../lib/test-lib.sh"
: "${V2KVM_BATCH:?run me through ctest}"
need qemu-img qemu-io jq guestfish busybox sha256sum
B=$V2KVM_BATCH
t0=$(date +%s)

cd "$T" || fail "no $T"
mkdir src out
bash "$V2K_SOURCE_DIR/tests/lib/mkphony.sh" debian12 src/good.img uefi ||
    fail "mkphony.sh failed"
echo "build: $(($(date +%s) - t0)) s"

qemu-img create -q -f raw src/copy.raw 16M
qemu-img create -q -f raw src/full.raw 16M
qemu-img create -q -f raw src/luks.raw 16M
qemu-img create -q -f raw src/win.raw 16M
qemu-img create -q -f qcow2 src/whole.qcow2 16M
qemu-io -f qcow2 -c "write -P 9 0 4M" src/whole.qcow2 >/dev/null
head -c 100000 src/whole.qcow2 >src/broken.qcow2
qemu-img create -q -f qcow2 src/huge.qcow2 64T
avail=$(df -B1 --output=avail out | tail -1)
half=$((avail / 10 * 6 / 512 * 512))
qemu-img create -q -f qcow2 src/half1.qcow2 "$half"
qemu-img create -q -f qcow2 src/half2.qcow2 "$half"
(cd src && sha256sum ./*) >sums

# The wrapper: the guest runs of full, luks and win are answered here.
cat >wrap <<EOF
#!/bin/bash
if [[ " \$* " == *" --print-guest "* ]]; then
    case " \$* " in
    *"/full.raw "*)
        grep '^{"family"' "$T/plan.state.logs/good.inspect.log" |
            jq -c '(.mountpoints[] | select(.mountpoint == "/") |
                    .free_bytes) = 1048576'
        exit 0 ;;
    *"/luks.raw "*)
        echo '{"type":"error","time":1.0,"message":"no operating system was found on the source disks; /dev/sda is encrypted (LUKS) and no key was given (--key DEVICE:KEY)"}'
        exit 1 ;;
    *"/win.raw "*)
        echo '{"type":"warning","time":1.0,"message":"C: is dirty"}'
        echo '{"family":"windows","type":"windows","distro":"windows","major":10,"minor":0,"product_name":"Windows Server 2022","arch":"x86_64","mountpoints":[{"mountpoint":"/","device":"/dev/sda2","fstype":"ntfs","size_bytes":1000000000,"free_bytes":1000}],"firmware":"bios"}'
        exit 0 ;;
    *"/hang.raw "*)
        exec sleep 600 ;;
    esac
fi
exec "$V2KVM" "\$@"
EOF
chmod +x wrap
cp src/copy.raw src/hang.raw
export V2KVM_BATCH_V2KVM=$T/wrap
unset VIRTIO_WIN VIRTIO_WIN_DIR
[ ! -e /usr/share/virtio-win ] || fail "this test expects no /usr/share/virtio-win"

cat >plan.yaml <<'EOF'
version: 1
sources:
  local:
    kind: disk
targets:
  out:
    kind: local
    storage: out
defaults:
  target: out
  source: local
vms:
  - {name: good, disks: [src/good.img]}
  - {name: copy, disks: [src/copy.raw], no_convert: true}
  - {name: broken, disks: [src/broken.qcow2], no_convert: true}
  - {name: huge, disks: [src/huge.qcow2], no_convert: true}
  - {name: full, disks: [src/full.raw]}
  - {name: luks, disks: [src/luks.raw]}
  - {name: win, disks: [src/win.raw]}
  - {name: hang, disks: [src/hang.raw]}
  - {name: half1, disks: [src/half1.qcow2], no_convert: true}
  - {name: half2, disks: [src/half2.qcow2], no_convert: true}
EOF
"$B" check plan.yaml >/dev/null

# --- the table ---------------------------------------------------------
t1=$(date +%s)
rc=0
"$B" inspect plan.yaml --only good --only copy --only broken --only huge \
    --only half1 --only half2 --only full --only luks --only win \
    >table.out 2>table.err || rc=$?
echo "inspect: $(($(date +%s) - t1)) s"
cat table.out
[ "$rc" = 1 ] || { cat table.err; fail "inspect: exit $rc, not 1"; }
row() { grep "^$1 " table.out || fail "no row for $1"; }
# VM, OS, firmware, disks, size, verdict.
row good | grep -Eq '^good +debian 12\.[0-9]+ +uefi +1 +.* ok$' ||
    fail "good: $(row good)"
row copy | grep -Eq '^copy +\(not inspected\) +- +1 +16\.0 MiB +ok$' ||
    fail "copy: $(row copy)"
row broken | grep -Eq ' error$' || fail "broken: $(row broken)"
row huge | grep -Eq ' 64\.0 TiB +error$' || fail "huge: $(row huge)"
row full | grep -Eq '^full +debian 12\.[0-9]+ +uefi .* error$' ||
    fail "full: $(row full)"
row luks | grep -Eq ' error$' || fail "luks: $(row luks)"
row win | grep -Eq '^win +windows 10\.0 +bios .* warning$' ||
    fail "win: $(row win)"
assert_grep "^  info: UEFI firmware: the target host needs OVMF" table.out
assert_grep "^  error: the source cannot be opened: .*src/broken.qcow2.*past the end of the file" table.out
assert_grep "^  error: the disks (64.0 TiB virtual size) are bigger than the free space of the target storage .*out" table.out
# half2 after half1 (plan order): together over the free space.
row half1 | grep -Eq ' ok$' || fail "half1: $(row half1)"
row half2 | grep -Eq ' warning$' || fail "half2: $(row half2)"
[ "$(grep -c "^  warning: its disks ([0-9.]* [KMGT]iB) and those of the 6 VMs before it in the plan on the filesystem of .*out (.*) are more than the .* free there" table.out)" = 1 ] ||
    fail "half2: no shared-storage warning (only one)"
# / holds /boot: 20 MiB + the initramfs rebuild.
assert_grep "^  error: the filesystem / (/dev/sda2) is full: 1.0 MiB free, the conversion needs [0-9.]* MiB" table.out
assert_grep "^  error: LUKS volume and no key in the plan: no operating system was found" table.out
assert_grep "^  warning: Windows guest and no virtio-win" table.out
assert_grep "^  warning: C: is dirty" table.out
assert_grep "^9 VMs: 3 ok, 2 to look at, 4 would fail" table.out
# good's own lines: no error.
sed -n '/^good /,/^copy /p' table.out | grep -q '^  error' &&
    fail "good: an error predicted"
# The real guest JSON has each mount's size and free space.
grep '^{"family"' plan.state.logs/good.inspect.log |
    jq -e '[.mountpoints[] | .size_bytes > 0 and .free_bytes > 0] | all' \
    >/dev/null || fail "good: no size_bytes/free_bytes in the guest JSON"
# Written nothing: no output, no state, sources unchanged.
[ -z "$(ls -A out)" ] || fail "out is not empty: $(ls -A out)"
[ ! -e plan.state ] || fail "the state was created"
(cd src && sha256sum -c --quiet ../sums) || fail "a source changed"
[ -s plan.state.logs/copy.inspect.log ] || fail "no log for copy"

# --- JSON lines, --only ------------------------------------------------
rc=0
"$B" inspect --machine-readable --only broken --only copy plan.yaml \
    >json.out 2>json.err || rc=$?
[ "$rc" = 1 ] || fail "json: exit $rc, not 1"
[ "$(jq -s length json.out)" = 3 ] || fail "json: not 2 VMs + summary"
jq -se '.[0].type == "inspect" and .[0].vm == "copy" and
        .[0].verdict == "ok" and .[0].disks == 1 and
        .[0].size_bytes == 16777216 and .[0].no_convert' json.out \
    >/dev/null || fail "json: copy: $(sed -n 1p json.out)"
jq -se '.[1].vm == "broken" and .[1].verdict == "error" and
        .[1].disks == null and
        (.[1].predictions[0].severity == "error") and
        (.[1].predictions[0].message | test("^the source cannot be opened: "))' \
    json.out >/dev/null || fail "json: broken: $(sed -n 2p json.out)"
jq -se '.[2] | .type == "summary" and .vms == 2 and .error == 1' json.out \
    >/dev/null || fail "json: summary: $(sed -n 3p json.out)"
rc=0
"$B" inspect --only copy plan.yaml >only.out 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat only.out; fail "--only copy: exit $rc, not 0"; }
rc=0
"$B" inspect --only nosuch plan.yaml >/dev/null 2>err || rc=$?
[ "$rc" = 2 ] || fail "--only nosuch: exit $rc, not 2"
assert_grep "^v2kvm-batch: error: --only nosuch: .*plan.yaml has no such VM" err

# --- the timeout -------------------------------------------------------
t1=$(date +%s)
rc=0
"$B" inspect --only hang --timeout 2 plan.yaml >hang.out 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat hang.out; fail "hang: exit $rc, not 1"; }
assert_grep "^  error: inspection failed: v2kvm did not finish in 2 s (killed)" hang.out
[ $(($(date +%s) - t1)) -lt 30 ] || fail "hang: not killed in time"

# --- plan errors: exit 2, PLAN:LINE ----------------------------------------
sed 's/no_convert: true}/no_convert: maybe}/' plan.yaml >bad.yaml
rc=0
"$B" inspect bad.yaml >/dev/null 2>err || rc=$?
[ "$rc" = 2 ] || fail "bad plan: exit $rc, not 2"
assert_grep "^bad.yaml:[0-9]*:[0-9]*: " err
[ ! -e bad.state.logs ] || fail "bad plan: a log directory was made"
echo "total: $(($(date +%s) - t0)) s"
echo PASS
