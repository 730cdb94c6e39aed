#!/bin/bash
# test-batch-run.sh - v2kvm-batch run PLAN, the local executor, on
# no_convert VMs (v2kvm -i disk ... --no-convert: disk copies, no
# appliance):
#  - 6 good VMs (raw and qcow2), one of 2 disks (more than the host
#    budget: it runs alone on its host) and a truncated qcow2, max_in_flight 2,
#    per_source_host_disks 1 over two hosts: the broken one fails
#    (permanent, its one-line error in the state and its log), the
#    others are done and their outputs read like their sources; from
#    the state's timings no two VMs of one host overlapped, never more
#    than 2 ran at once; exit 1;
#  - a second run does nothing; --only, --retry-failed;
#  - SIGKILL of the coordinator while a VM is in the middle of its copy
#    (v2kvm killed once its .part file has data, its parent hanging on
#    in the VM's process group): the next run stops the orphan, removes
#    the partial file, leaves finished VMs untouched (same inode and
#    mtime) and redoes the interrupted one; the report then is complete;
#  - a transient error (a "Connection reset by peer" from v2kvm) is
#    retried, a failing or hanging pre hook fails the VM naming the hook;
#  - the memory budget: 3 GiB runs two conversions (1.5 GiB each, faked
#    by the wrapper) at once, never three, and no copy beside two;
#  - one accelerator probe per run: with V2K_ACCEL unset, run and
#    inspect probe once and pass the outcome to every v2kvm (run's
#    copies start while it probes); a run without a conversion probes
#    nothing;
#  - on a terminal (script(1)): a block of one line per running VM and
#    a total, redrawn in place;
#  - SIGTERM: children stopped, VMs interrupted, exit 128 + 15.
# The v2kvm the coordinator runs is a wrapper ($V2KVM_BATCH_V2KVM) that
# sleeps a little first, so that the VMs' runs last long enough to
# compare their times.
export V2K_ACCEL=${V2K_ACCEL:-tcg}
. "$(dirname "$0")/../lib/test-lib.sh"
: "${V2KVM_BATCH:?run me through ctest}"
need qemu-img qemu-io sqlite3 jq script
B=$V2KVM_BATCH
export V2KVM_BATCH_GRACE=1 V2KVM_BATCH_RETRY_DELAY=0

cd "$T" || fail "no $T"
mkdir src out out2 out3
# alive PID: a process that is not a zombie.
alive() {
    [ -e "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"
}

# The wrapper: BATCH_SLEEP seconds, then v2kvm; the "slow" VM's first
# run crashes (SIGKILL) once its output's .part file has data, and the
# wrapper, the coordinator's child, hangs on (a stuck process); a VM
# whose source is flaky.raw fails with a network error on its first
# attempt.
cat >wrap <<EOF
#!/bin/bash
sleep "\${BATCH_SLEEP:-0}"
if [[ " \$* " == *"/slow.raw "* ]] && [ ! -e "$T/slow-stopped" ]; then
    "$V2KVM" "\$@" &
    pid=\$!
    echo "\$\$ \$pid" >"$T/slow-pids"
    while [ ! -s "$T/out2/.slow-sda.part" ]; do
        kill -0 \$pid 2>/dev/null || exit 99
        sleep 0.01
    done
    kill -STOP \$pid
    kill -KILL \$pid
    touch "$T/slow-stopped"
    exec sleep 600
fi
if [[ " \$* " == *"/flaky.raw "* ]] && [ ! -e "$T/flaky-failed" ]; then
    touch "$T/flaky-failed"
    echo '{"type":"error","time":0.1,"message":"sftp://h/flaky.raw: read: Connection reset by peer"}'
    exit 1
fi
# A "conversion" of a source named conv*.raw (no --no-convert): no
# appliance, only its JSON lines, 2 s long (the memory budget test); the
# V2K_ACCEL it was given is appended to accel-seen.
if [[ " \$* " == *"/conv"*".raw "* ]] && [[ " \$* " != *" --no-convert "* ]]; then
    echo "\${V2K_ACCEL-unset}" >>"$T/accel-seen"
    echo '{"type":"phase","time":0.1,"phase":"source","seconds":0.1}'
    echo '{"type":"message","time":0.2,"message":"Inspecting the guest"}'
    sleep 2
    echo '{"type":"result","time":2.2,"status":"ok","converted":true}'
    exit 0
fi
exec "$V2KVM" "\$@"
EOF
chmod +x wrap
export V2KVM_BATCH_V2KVM=$T/wrap

for i in 1 2 3 4 5 6; do
    if [ $((i % 2)) = 0 ]; then
        qemu-img create -q -f qcow2 "src/d$i.img" 32M
        qemu-io -f qcow2 -c "write -P $i 1M 2M" "src/d$i.img" >/dev/null
    else
        qemu-img create -q -f raw "src/d$i.img" 32M
        qemu-io -f raw -c "write -P $i 1M 2M" "src/d$i.img" >/dev/null
    fi
done
qemu-img create -q -f qcow2 src/full.qcow2 32M
qemu-io -f qcow2 -c "write -P 9 0 4M" src/full.qcow2 >/dev/null
head -c 100000 src/full.qcow2 >src/broken.qcow2

cat >plan.yaml <<'EOF'
version: 1
sources:
  h1:
    kind: disk
    host: host-one
  h2:
    kind: disk
    host: host-two
targets:
  out:
    kind: local
    storage: out
    format: qcow2
limits:
  max_in_flight: 2
  per_source_host_disks: 1
  memory_budget: 8GiB
defaults:
  target: out
  no_convert: true
vms:
  - {name: vm1, source: h1, disks: [src/d1.img]}
  - {name: vm2, source: h1, disks: [src/d2.img]}
  - {name: vm3, source: h1, disks: [src/d3.img]}
  - {name: vm4, source: h2, disks: [src/d4.img]}
  - {name: vm5, source: h2, disks: [src/d5.img]}
  - {name: vm6, source: h2, disks: [src/d6.img]}
  - {name: bad, source: h2, disks: [src/broken.qcow2]}
  - {name: two, source: h1, disks: [src/d1.img, src/d3.img]}
EOF
"$B" check plan.yaml >/dev/null

# --- the first run ----------------------------------------------------
rc=0
BATCH_SLEEP=0.5 "$B" run plan.yaml >run1.out 2>run1.err || rc=$?
[ "$rc" = 1 ] || { cat run1.out run1.err; fail "run 1: exit $rc, not 1"; }
q() { sqlite3 plan.state "$1"; }
for i in 1 2 3 4 5 6; do
    [ "$(q "SELECT phase || ' ' || attempts FROM vms WHERE name = 'vm$i'")" = "done 1" ] ||
        fail "vm$i: $(q "SELECT * FROM vms WHERE name = 'vm$i'")"
    qemu-img compare -q "src/d$i.img" "out/vm$i-sda" || fail "vm$i: output differs"
    [ -s "out/vm$i.xml" ] || fail "vm$i: no domain XML"
done
# The outputs are in the state.
[ "$(q "SELECT group_concat(path, ' ') FROM (SELECT path FROM outputs WHERE vm = 'two' ORDER BY path)")" = "./out/two-sda ./out/two-sdb ./out/two.xml" ] ||
    fail "two's outputs: $(q "SELECT * FROM outputs WHERE vm = 'two'")"
# More disks than the per-host budget: it ran alone on its host.
[ "$(q "SELECT phase FROM vms WHERE name = 'two'")" = "done" ] || fail "two: not done"
qemu-img compare -q src/d1.img out/two-sda || fail "two: sda differs"
qemu-img compare -q src/d3.img out/two-sdb || fail "two: sdb differs"
assert_grep "^two: has more disks (2) than per_source_host_disks: runs alone on host host-one" run1.out
[ "$(q "SELECT phase || '|' || error_class FROM vms WHERE name = 'bad'")" = "failed|permanent" ] ||
    fail "bad: $(q "SELECT * FROM vms WHERE name = 'bad'")"
err=$(q "SELECT last_error FROM vms WHERE name = 'bad'")
case $err in
*"src/broken.qcow2"*"past the end of the file"*) ;;
*) fail "bad: last error: $err" ;;
esac
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "error not one line"
assert_grep "past the end of the file" plan.state.logs/bad.log
assert_grep "^bad: failed (permanent): .*past the end of the file" run1.out
[ -z "$(find out -name '*.part')" ] || fail "a .part file was left"
[ ! -e out/bad-sda ] || fail "the broken VM has an output"
# Timings: per host, no two VMs overlapped; at most 2 at once overall;
# and two did run at once (the hosts in parallel).
q "SELECT v.name, s.host, v.started, v.finished FROM vms v JOIN
   (SELECT 'vm1' n, 'h1' host UNION SELECT 'vm2','h1' UNION SELECT 'vm3','h1'
    UNION SELECT 'vm4','h2' UNION SELECT 'vm5','h2' UNION SELECT 'vm6','h2'
    UNION SELECT 'bad','h2' UNION SELECT 'two','h1') s ON s.n = v.name" >times.txt
awk -F'|' '{ n[NR] = $1; h[NR] = $2; s[NR] = $3; f[NR] = $4 }
    END {
        par = 0
        for (i = 1; i <= NR; i++) {
            at = 0
            for (j = 1; j <= NR; j++) {
                if (i == j || !(s[j] <= s[i] && s[i] < f[j])) continue
                at++
                if (h[i] == h[j]) { print "overlap on " h[i] ": " n[i] " " n[j]; bad = 1 }
            }
            if (at + 1 > 2) { print n[i] " started with " at " others running"; bad = 1 }
            if (at > 0) par = 1
        }
        if (!par) { print "nothing ran in parallel"; bad = 1 }
        exit bad
    }' times.txt || fail "limits not kept: $(cat times.txt)"

# --- a second run: nothing to do, still exit 1 (bad is failed) --------
for i in 1 2 3 4 5 6; do stat -c '%i %Y' "out/vm$i-sda" "out/vm$i.xml"; done >stat1
rc=0
"$B" run plan.yaml >run2.out 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat run2.out; fail "run 2: exit $rc, not 1"; }
assert_grep "0 VMs to run" run2.out
assert_grep "1 VM failed in an earlier run" run2.out
# --only an unknown VM: exit 2; --only bad without --retry-failed: none.
expect_fail "$B" run plan.yaml --only nosuch
rc=0
"$B" run plan.yaml --only bad >run3.out 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat run3.out; fail "--only bad: exit $rc"; }
assert_grep "0 VMs to run" run3.out
# Repaired, --retry-failed --only bad: redone alone, as JSON lines.
cp src/full.qcow2 src/broken.qcow2
"$B" run plan.yaml --only bad --retry-failed --machine-readable >run4.out 2>run4.err ||
    { cat run4.out run4.err; fail "--retry-failed failed"; }
jq -e . run4.out >/dev/null || fail "not JSON lines: $(cat run4.out)"
jq -s -e 'any(.[]; .type == "vm" and .vm == "bad" and .event == "done")' run4.out >/dev/null ||
    fail "no done event: $(cat run4.out)"
jq -s -e 'any(.[]; .type == "vm" and .vm != "bad")' run4.out >/dev/null &&
    fail "--only ran others"
[ "$(q "SELECT phase || ' ' || attempts FROM vms WHERE name = 'bad'")" = "done 2" ] ||
    fail "bad after retry: $(q "SELECT * FROM vms WHERE name = 'bad'")"
qemu-img compare -q src/full.qcow2 out/bad-sda || fail "bad: output differs"
for i in 1 2 3 4 5 6; do stat -c '%i %Y' "out/vm$i-sda" "out/vm$i.xml"; done >stat2
cmp -s stat1 stat2 || fail "finished VMs' outputs were touched"
"$B" run plan.yaml >run5.out 2>&1 || { cat run5.out; fail "all done: not exit 0"; }

# --- SIGKILL of the coordinator in the middle of a copy ---------------
qemu-img create -q -f raw src/slow.raw 256M
qemu-io -f raw -c "write -P 5 0 256M" src/slow.raw >/dev/null
cat >plan2.yaml <<'EOF'
version: 1
sources:
  h: {kind: disk}
targets:
  out: {kind: local, storage: out2, format: raw}
limits: {max_in_flight: 3, memory_budget: 8GiB}
defaults: {source: h, target: out, no_convert: true}
vms:
  - {name: fast1, disks: [src/d1.img]}
  - {name: fast2, disks: [src/d2.img]}
  - {name: slow, disks: [src/slow.raw]}
EOF
"$B" run plan2.yaml >kill1.out 2>&1 &
coord=$!
q2() { sqlite3 plan2.state "$1"; }
for _ in $(seq 300); do
    [ -e slow-stopped ] &&
        [ "$(q2 "SELECT count(*) FROM vms WHERE phase = 'done'" 2>/dev/null)" = 2 ] && break
    sleep 0.1
done
[ -e slow-stopped ] || { cat kill1.out; fail "the slow copy never started"; }
case $(q2 "SELECT phase FROM vms WHERE name = 'slow'") in
running | copying) ;;
*) fail "slow: $(q2 "SELECT * FROM vms WHERE name = 'slow'")" ;;
esac
kill -KILL "$coord"
wait "$coord" 2>/dev/null || true
read -r wrap_pid _ <slow-pids
alive "$wrap_pid" || fail "the orphan should still be there"
[ -e out2/.slow-sda.part ] || fail "no partial file to clean up"
for v in fast1 fast2; do stat -c '%i %Y' "out2/$v-sda" "out2/$v.xml"; done >stat3
sleep 1
"$B" run plan2.yaml >kill2.out 2>&1 || { cat kill2.out; fail "the resumed run failed"; }
assert_grep "1 VM interrupted by a previous coordinator" kill2.out
assert_grep "stopping process group $wrap_pid" kill2.out
assert_grep "1 VMs* to run" kill2.out
alive "$wrap_pid" && fail "the orphan $wrap_pid lives on"
for v in fast1 fast2; do stat -c '%i %Y' "out2/$v-sda" "out2/$v.xml"; done >stat4
cmp -s stat3 stat4 || fail "finished VMs' outputs were touched"
[ "$(q2 "SELECT phase || ' ' || attempts FROM vms WHERE name = 'slow'")" = "done 2" ] ||
    fail "slow: $(q2 "SELECT * FROM vms WHERE name = 'slow'")"
cmp src/slow.raw out2/slow-sda || fail "slow: output differs"
[ -z "$(find out2 -name '*.part')" ] || fail "a .part file was left: $(ls -A out2)"
[ "$(q2 "SELECT status FROM runs ORDER BY id")" = "interrupted
finished" ] || fail "runs: $(q2 "SELECT * FROM runs")"
# The report after the resume is complete: both runs, every VM done, the
# slow one in two attempts with both in its phase history.
"$B" report plan2.yaml >rep2.out 2>&1 || { cat rep2.out; fail "report after resume"; }
jq -e '(.runs | map(.outcome)) == ["interrupted", "finished"] and
       (.vms | length) == 3 and all(.vms[]; .outcome == "done") and
       ([.vms[] | select(.name == "slow")][0] | .attempts == 2 and
        ([.phases[].attempt] | unique) == [1, 2])' plan2.state.report.json \
    >/dev/null || fail "report after resume: $(jq -c . plan2.state.report.json)"

# --- transient retry, hooks -------------------------------------------
qemu-img create -q -f raw src/flaky.raw 16M
cat >plan3.yaml <<EOF
version: 1
sources:
  h: {kind: disk}
targets:
  out: {kind: local, storage: out3, format: qcow2}
limits: {max_in_flight: 2, memory_budget: 8GiB, transient_retries: 1}
defaults: {source: h, target: out, no_convert: true}
vms:
  - {name: flaky, disks: [src/flaky.raw]}
  - name: prefail
    disks: [src/d3.img]
    hooks: {pre: {program: /bin/false}}
  - name: prehang
    disks: [src/d4.img]
    hooks: {pre: {program: /bin/sleep, args: ["30"], timeout: 1}}
  - name: hooked
    disks: [src/d5.img]
    hooks:
      pre: {program: /bin/sh, args: [-c, 'echo "pre \$V2KVM_BATCH_VM" >>$T/hooks']}
      post: {program: /bin/sh, args: [-c, 'echo "post \$V2KVM_BATCH_VM" >>$T/hooks']}
EOF
rc=0
"$B" run plan3.yaml >hook.out 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat hook.out; fail "plan3: exit $rc, not 1"; }
q3() { sqlite3 plan3.state "$1"; }
[ "$(q3 "SELECT phase || ' ' || attempts FROM vms WHERE name = 'flaky'")" = "done 2" ] ||
    fail "flaky: $(q3 "SELECT * FROM vms WHERE name = 'flaky'")"
assert_grep "^flaky: failed (transient): .*Connection reset by peer" hook.out
assert_grep "^flaky: transient error: retrying" hook.out
[ "$(q3 "SELECT error_class || '|' || last_error FROM vms WHERE name = 'prefail'")" = "permanent|pre hook /bin/false exited with status 1" ] ||
    fail "prefail: $(q3 "SELECT * FROM vms WHERE name = 'prefail'")"
[ "$(q3 "SELECT last_error FROM vms WHERE name = 'prehang'")" = "pre hook /bin/sleep timed out after 1 s, killed" ] ||
    fail "prehang: $(q3 "SELECT * FROM vms WHERE name = 'prehang'")"
if [ -e out3/prefail-sda ] || [ -e out3/prehang-sda ]; then fail "a VM ran after its pre hook failed"; fi
[ "$(cat hooks)" = "pre hooked
post hooked" ] || fail "hooks: $(cat hooks)"

# --- the memory budget: 3 GiB holds two conversions' appliances (1.5
# GiB each) and nothing more; a copy (256 MiB) waits while two run ------
for i in 1 2 3 4; do qemu-img create -q -f raw "src/conv$i.raw" 1M; done
cat >plan4.yaml <<'EOF'
version: 1
sources:
  h: {kind: disk}
targets:
  out: {kind: local, storage: out4, format: qcow2}
limits: {max_in_flight: 4, per_source_host_disks: 10, memory_budget: 3GiB}
defaults: {source: h, target: out}
vms:
  - {name: c1, disks: [src/conv1.raw]}
  - {name: c2, disks: [src/conv2.raw]}
  - {name: c3, disks: [src/conv3.raw]}
  - {name: cp, disks: [src/d1.img], no_convert: true}
  - {name: c4, disks: [src/conv4.raw]}
EOF
mkdir out4
"$B" run plan4.yaml >mem.out 2>&1 || { cat mem.out; fail "plan4 failed"; }
python3 - plan4.state <<'PY' || { cat mem.out; fail "the memory budget was exceeded"; }
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT name, started, finished, phase FROM vms").fetchall()
assert all(r[3] == "done" for r in rows), rows
cost = {n: (256 if n == "cp" else 1536) for n, *_ in rows}
ev = []
for n, s, f, _ in rows:
    ev += [(s, 1, n), (f, -1, n)]
mem = peak = conv = peak_conv = 0
# Ends before starts at the same instant: a slot freed is reused.
for t, d, n in sorted(ev, key=lambda e: (e[0], e[1])):
    mem += d * cost[n]
    conv += d if n != "cp" else 0
    peak, peak_conv = max(peak, mem), max(peak_conv, conv)
print("peak MiB", peak, "peak conversions", peak_conv)
sys.exit(0 if peak <= 3072 and peak_conv == 2 else 1)
PY

# --- one accelerator probe per run -------------------------------------
# With V2K_ACCEL unset, the coordinator probes (common/accel.c: kvm where
# KVM really runs a guest, else tcg) and every v2kvm gets the outcome.
cat >plana.yaml <<'EOF'
version: 1
sources:
  h: {kind: disk}
targets:
  out: {kind: local, storage: outa, format: qcow2}
defaults: {source: h, target: out}
vms:
  - {name: c1, disks: [src/conv1.raw]}
  - {name: c2, disks: [src/conv2.raw]}
  - {name: cp, disks: [src/d1.img], no_convert: true}
EOF
mkdir outa
rm -f accel-seen
env -u V2K_ACCEL "$B" run plana.yaml >accel.out 2>&1 ||
    { cat accel.out; fail "plana failed"; }
cat accel.out
accel_line() {
    sed -n "s/.*Accelerator for every VM's appliance: \([a-z]*\) (.*; probed once, passed on as V2K_ACCEL)\$/\1/p" "$1"
}
[ "$(accel_line accel.out | grep -c .)" = 1 ] || fail "run: not one accelerator line"
acc=$(accel_line accel.out)
[ "$acc" = kvm ] || [ "$acc" = tcg ] || fail "run: accelerator '$acc'"
[ "$(sort -u accel-seen)" = "$acc" ] && [ "$(grep -c . accel-seen)" = 2 ] ||
    fail "run: the conversions saw V2K_ACCEL $(tr '\n' ' ' <accel-seen), not $acc"
# The copy does not wait for the probe (the conversions first in the
# plan do): it starts first.
first=$(grep -m1 ': started (attempt' accel.out | cut -d: -f1)
[ "$first" = cp ] || fail "run: $first started first, not the copy cp"
# inspect likewise (the stand-in conversions inspect nothing: exit 1).
rm -f accel-seen
env -u V2K_ACCEL "$B" inspect plana.yaml >accel.out 2>&1 || true
[ "$(accel_line accel.out | grep -c .)" = 1 ] ||
    { cat accel.out; fail "inspect: not one accelerator line"; }
[ "$(sort -u accel-seen)" = "$(accel_line accel.out)" ] &&
    [ "$(grep -c . accel-seen)" = 2 ] ||
    fail "inspect: the VMs saw V2K_ACCEL $(tr '\n' ' ' <accel-seen)"
# Copies alone launch no appliance: nothing to probe.
sed -e 's/conv[12].raw\]/&, no_convert: true/' -e 's/outa/outb/' \
    plana.yaml >planb.yaml
mkdir outb
env -u V2K_ACCEL "$B" run planb.yaml >accel.out 2>&1 ||
    { cat accel.out; fail "planb failed"; }
[ -z "$(accel_line accel.out)" ] ||
    { cat accel.out; fail "a run of copies probed the accelerator"; }

# --- on a terminal: a live block, one line per running VM and a total,
# redrawn in place (script(1) gives the coordinator a pty) --------------
cat >plan5.yaml <<'EOF'
version: 1
sources:
  h: {kind: disk}
targets:
  out: {kind: local, storage: out5, format: qcow2}
limits: {max_in_flight: 2, memory_budget: 8GiB}
defaults: {source: h, target: out, no_convert: true}
vms:
  - {name: tty-one, disks: [src/d1.img]}
  - {name: tty-two, disks: [src/d2.img]}
  - {name: tty-three, disks: [src/d3.img]}
EOF
mkdir out5
BATCH_SLEEP=1.5 script -qefc "'$B' run plan5.yaml" tty.typescript >/dev/null ||
    { cat tty.typescript; fail "plan5 on a terminal failed"; }
tr -d '\r' <tty.typescript >tty.out
# The lines as a terminal shows them: the redraw codes (cursor up, clear
# to the end) taken out; the last line follows the cleared block.
sed "s/$(printf '\033')\\[[0-9]*[AJ]//g" tty.out >tty.lines
assert_grep "^total: 2 running, 1 waiting, 0 done, 0 failed" tty.lines
assert_grep "^  tty-one  *running " tty.lines
assert_grep "$(printf '\033')\\[[0-9]*A$(printf '\033')\\[J" tty.out
assert_grep "^3 done, 0 failed$" tty.lines

# --- SIGTERM: children stopped, VMs interrupted, 128 + 15 -------------
rm -f slow-stopped out2/slow-sda out2/slow.xml
sqlite3 plan2.state "UPDATE vms SET phase = 'pending' WHERE name = 'slow'"
"$B" run plan2.yaml --only slow >term.out 2>&1 &
coord=$!
for _ in $(seq 300); do [ -e slow-stopped ] && break; sleep 0.1; done
[ -e slow-stopped ] || { cat term.out; fail "the slow copy never started (SIGTERM case)"; }
read -r wrap_pid _ <slow-pids
kill -TERM "$coord"
rc=0
wait "$coord" || rc=$?
[ "$rc" = 143 ] || { cat term.out; fail "SIGTERM: exit $rc, not 143"; }
alive "$wrap_pid" && fail "SIGTERM: the child $wrap_pid lives on"
[ "$(q2 "SELECT phase FROM vms WHERE name = 'slow'")" = interrupted ] ||
    fail "slow after SIGTERM: $(q2 "SELECT * FROM vms WHERE name = 'slow'")"
[ ! -e plan2.state.logs/slow.pid ] || fail "pid file left"
echo PASS
