#!/bin/bash
# test-batch-slurm.sh - v2kvm-batch run --executor slurm on a REAL
# single-node Slurm cluster that this test starts on localhost from
# Debian's packages (munged, slurmctld, slurmd; as root, every file in
# $T, ports picked at random), torn down at the end:
#  - a plan of 3 no_convert VMs (raw, qcow2, a truncated qcow2) over two
#    source hosts: the good ones done, outputs read like their sources,
#    the broken one failed with its one-line error in the state; the
#    VMs really ran as Slurm array tasks (job ids in the events, the
#    logs and slurmctld's log);
#  - the same plan through the local executor: the same phase, error
#    class and error per VM (the state tables compared), and the same
#    report of every VM (times and paths aside);
#  - max_in_flight over all the arrays (tasks submitted held, released
#    by the coordinator): with 1, no two tasks ever overlap;
#  - hooks run on the node around v2kvm: a failing or hanging pre hook
#    fails its VM naming the hook, a failing post hook is a warning;
#  - a license the cluster does not define, no cluster, sbatch missing,
#    sbatch failing: one line (naming the license), exit 2, nothing
#    submitted, nothing marked running;
#  - a resume: a second run has nothing to do; --retry-failed submits
#    the broken one again;
#  - the coordinator SIGKILLed while its VM's task runs: the next run
#    cancels the orphan job (its id kept in STATE.slurm/jobs) and redoes
#    the VM; SIGTERM: the job cancelled, the VM interrupted, exit 143;
#  - a transient error (a network error from v2kvm) is submitted again.
# Every wait has a bound; on failure the daemons' logs are printed.
# A missing Slurm or munge program fails the test (no skip).
. "$(dirname "$0")/../lib/test-lib.sh"
: "${V2KVM_BATCH:?run me through ctest}"
need qemu-img qemu-io sqlite3 munged slurmctld slurmd sbatch squeue \
     scontrol scancel sinfo
[ "$(id -u)" = 0 ] || fail "this test starts slurmd and munged: run it as root"
B=$V2KVM_BATCH
export V2KVM_BATCH_GRACE=1 V2KVM_BATCH_RETRY_DELAY=0

cd "$T" || fail "no $T"
C=$T/cluster
mkdir -p "$C/state" "$C/spool" src out

# --- the cluster ------------------------------------------------------
logs() {
    local f
    for f in "$C"/munged.log "$C"/slurmctld.log "$C"/slurmd.log; do
        [ -f "$f" ] && { echo "--- $f (end)"; tail -40 "$f"; }
    done >&2
}
teardown() {
    local rc=$? p
    [ "$rc" = 0 ] || logs
    if [ -f "$C/slurm.conf" ]; then
        SLURM_CONF=$C/slurm.conf scancel -Q --user=root 2>/dev/null || true
    fi
    for p in slurmd slurmctld munged; do
        [ -s "$C/$p.pid" ] && kill "$(cat "$C/$p.pid")" 2>/dev/null
    done
    for p in slurmd slurmctld munged; do
        for _ in $(seq 50); do
            [ -s "$C/$p.pid" ] && kill -0 "$(cat "$C/$p.pid")" 2>/dev/null ||
                break
            sleep 0.1
        done
        [ -s "$C/$p.pid" ] && kill -9 "$(cat "$C/$p.pid")" 2>/dev/null
    done
    rm -rf "$T"
    exit "$rc"
}
trap teardown EXIT
# wait_for SECONDS WHAT CMD...: CMD until it succeeds, or fail.
wait_for() {
    local n=$(($1 * 5)) what=$2
    shift 2
    while ! "$@" >/dev/null 2>&1; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || fail "no $what in time"
        sleep 0.2
    done
}

# munge: a key of our own, munged on a socket in $C (as root, the key
# owned by root, mode 0400).
dd if=/dev/urandom of="$C/munge.key" bs=1024 count=1 status=none
chmod 0400 "$C/munge.key"
chmod 0700 "$C"
munged --force --key-file="$C/munge.key" --socket="$C/munge.sock" \
    --pid-file="$C/munged.pid" --log-file="$C/munged.log" \
    --seed-file="$C/munged.seed" ||
    fail "munged did not start: $(tail -3 "$C/munged.log" 2>/dev/null)"
wait_for 10 "munged socket" test -S "$C/munge.sock"

host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
mem=$(awk '/^MemTotal:/ { m = int($2 / 1024 / 2); print (m > 4096 ? 4096 : m) }' /proc/meminfo)
cat >"$C/slurm.conf" <<EOF
ClusterName=v2ktest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$C/munge.sock
StateSaveLocation=$C/state
SlurmdSpoolDir=$C/spool
SlurmctldPidFile=$C/slurmctld.pid
SlurmdPidFile=$C/slurmd.pid
SlurmctldLogFile=$C/slurmctld.log
SlurmdLogFile=$C/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
Licenses=v2k_hostA:1,v2k_hostB:2
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$C/slurm.conf
slurmctld -f "$C/slurm.conf" || fail "slurmctld did not start"
slurmd -f "$C/slurm.conf" || fail "slurmd did not start"
node_idle() { [ "$(sinfo -h -n "$host" -o %t 2>/dev/null)" = idle ]; }
wait_for 60 "idle node in sinfo ($(sinfo -h -o '%n %t' 2>&1 | head -1))" node_idle
echo "cluster up: $(sinfo -h -o '%P %n %t %m MB')"

# --- the plan ---------------------------------------------------------
qemu-img create -q -f raw src/a.raw 16M
qemu-io -f raw -c "write -P 1 1M 2M" src/a.raw >/dev/null
qemu-img create -q -f qcow2 src/b.qcow2 16M
qemu-io -f qcow2 -c "write -P 2 3M 2M" src/b.qcow2 >/dev/null
qemu-img create -q -f qcow2 src/full.qcow2 32M
qemu-io -f qcow2 -c "write -P 9 0 4M" src/full.qcow2 >/dev/null
head -c 100000 src/full.qcow2 >src/broken.qcow2

mkplan() {      # mkplan FILE STATE OUTDIR [HOSTB]
    cat >"$1" <<EOF
version: 1
state: $2
sources:
  ha:
    kind: disk
    host: hostA
  hb:
    kind: disk
    host: ${4:-hostB}
targets:
  out:
    kind: local
    storage: $3
    format: qcow2
limits:
  max_in_flight: 2
  per_source_host_disks: 1
defaults:
  target: out
  no_convert: true
vms:
  - {name: vma, source: ha, disks: [src/a.raw]}
  - {name: vmb, source: hb, disks: [src/b.qcow2]}
  - {name: bad, source: hb, disks: [src/broken.qcow2]}
EOF
}
mkdir outl
mkplan slurm.yaml slurm.state out
mkplan local.yaml local.state outl
"$B" check slurm.yaml >/dev/null

# --- a license the cluster lacks: one line, exit 2, nothing ran -------
mkdir outx
mkplan nolic.yaml nolic.state outx hostC
rc=0
timeout 120 "$B" run --executor slurm nolic.yaml >nolic.out 2>nolic.err || rc=$?
[ "$rc" = 2 ] || { cat nolic.out nolic.err; fail "missing license: exit $rc, not 2"; }
assert_grep "license v2k_hostC (source host hostC) is not defined by the cluster: add Licenses=v2k_hostC:1 to slurm.conf" nolic.err
[ "$(wc -l <nolic.err)" = 1 ] || { cat nolic.err; fail "missing license: not one error line"; }
[ -z "$(squeue -h -o %i)" ] || fail "missing license: jobs queued: $(squeue -h)"
[ "$(sqlite3 nolic.state "SELECT count(*) FROM vms WHERE phase != 'pending'")" = 0 ] ||
    fail "missing license: $(sqlite3 nolic.state 'SELECT name, phase FROM vms')"
[ -z "$(ls outx)" ] || fail "missing license: outputs written: $(ls outx)"

# --- no cluster reachable: one line, exit 2 ---------------------------
rc=0
SLURM_CONF=$T/nowhere.conf timeout 120 "$B" run --executor slurm slurm.yaml \
    >nocl.out 2>nocl.err || rc=$?
[ "$rc" = 2 ] || { cat nocl.out nocl.err; fail "no cluster: exit $rc, not 2"; }
assert_grep "slurm: cannot reach the cluster: " nocl.err
[ "$(wc -l <nocl.err)" = 1 ] || { cat nocl.err; fail "no cluster: not one error line"; }
[ "$(sqlite3 slurm.state "SELECT count(*) FROM vms WHERE phase != 'pending'")" = 0 ] ||
    fail "no cluster: VMs not pending: $(sqlite3 slurm.state 'SELECT name, phase FROM vms')"

# --- sbatch missing, sbatch failing: one line, exit 2, nothing ran -----
mkdir nosbatch badsbatch
for p in scontrol squeue scancel; do
    ln -s "$(command -v $p)" nosbatch/$p
    ln -s "$(command -v $p)" badsbatch/$p
done
printf '#!/bin/sh\necho "sbatch: error: Batch job submission failed: test refusal" >&2\nexit 1\n' >badsbatch/sbatch
chmod +x badsbatch/sbatch
for d in nosbatch badsbatch; do
    rc=0
    timeout 120 env PATH="$T/$d" "$B" run --executor slurm slurm.yaml >$d.out 2>$d.err || rc=$?
    [ "$rc" = 2 ] || { cat $d.out $d.err; fail "$d: exit $rc, not 2"; }
    [ "$(wc -l <$d.err)" = 1 ] || { cat $d.err; fail "$d: not one error line"; }
    [ "$(sqlite3 slurm.state "SELECT count(*) FROM vms WHERE phase != 'pending'")" = 0 ] ||
        fail "$d: VMs not pending: $(sqlite3 slurm.state 'SELECT name, phase FROM vms')"
    [ ! -e slurm.state.slurm/jobs ] || fail "$d: a jobs file: $(cat slurm.state.slurm/jobs)"
done
assert_grep "^v2kvm-batch: error: sbatch: No such file or directory$" nosbatch.err
assert_grep "^v2kvm-batch: error: sbatch: error: Batch job submission failed: test refusal$" badsbatch.err
[ -z "$(squeue -h -o %i)" ] || fail "jobs queued: $(squeue -h)"

# --- the plan through Slurm -------------------------------------------
t0=$(date +%s.%N)
rc=0
timeout 300 "$B" run --executor slurm --machine-readable slurm.yaml \
    >slurm.out 2>slurm.err || rc=$?
t1=$(date +%s.%N)
[ "$rc" = 1 ] || { cat slurm.out slurm.err; fail "slurm run: exit $rc, not 1"; }
echo "slurm run: $(echo "$t1 - $t0" | bc) s"
q() { sqlite3 "$1" "$2"; }
for v in vma vmb; do
    [ "$(q slurm.state "SELECT phase || ' ' || attempts FROM vms WHERE name = '$v'")" = "done 1" ] ||
        { cat slurm.out slurm.err; fail "$v: $(q slurm.state "SELECT * FROM vms WHERE name = '$v'")"; }
done
qemu-img compare -q src/a.raw out/vma-sda || fail "vma: output differs"
qemu-img compare -q src/b.qcow2 out/vmb-sda || fail "vmb: output differs"
[ -s out/vma.xml ] && [ -s out/vmb.xml ] || fail "no domain XML"
[ "$(q slurm.state "SELECT phase || '|' || error_class FROM vms WHERE name = 'bad'")" = "failed|permanent" ] ||
    fail "bad: $(q slurm.state "SELECT * FROM vms WHERE name = 'bad'")"
err=$(q slurm.state "SELECT last_error FROM vms WHERE name = 'bad'")
case $err in
*"src/broken.qcow2"*"past the end of the file"*) ;;
*) fail "bad: last error: $err" ;;
esac
[ "$(printf '%s' "$err" | wc -l)" = 0 ] || fail "bad: error not one line: $err"
# The outputs are in the state, as with the local executor.
[ "$(q slurm.state "SELECT count(*) FROM outputs WHERE vm = 'vma'")" = 2 ] ||
    fail "vma's outputs: $(q slurm.state "SELECT * FROM outputs")"
# Really through Slurm: job ids in the events, the logs, the controller.
jobs=$(jq -r 'select(.event == "start") | .message' slurm.out |
       sed -n 's/.*as Slurm job \([0-9]*\)_[0-9]*$/\1/p' | sort -u)
[ -n "$jobs" ] || { cat slurm.out; fail "no Slurm job ids in the start events"; }
for v in vma vmb bad; do
    assert_grep "^=== v2kvm, slurm job [0-9]*_[0-9]* on $host ===" "slurm.state.logs/$v.log"
done
for j in $jobs; do
    assert_grep "_slurm_rpc_submit_batch_job: JobId=$j " "$C/slurmctld.log"
    scontrol -o show job "$j" >job.txt
    assert_grep "JobState=COMPLETED\|JobState=FAILED" job.txt
done
# Limits went to Slurm: the license of each host and --mem.  (Into a
# file first: grep -q closing the pipe early is a failure under
# pipefail.)
scontrol -o show job >jobs.txt
assert_grep "Licenses=v2k_hostA:1" jobs.txt
assert_grep "Licenses=v2k_hostB:1" jobs.txt
assert_grep "MinMemoryNode=256M" jobs.txt
# Nothing left for a next run to cancel.
[ ! -e slurm.state.slurm/jobs ] || fail "jobs file left: $(cat slurm.state.slurm/jobs)"

# --- hooks run on the node around v2kvm, as the local executor runs
# them: a failing or hanging pre hook fails the VM naming the hook, a
# failing post hook is a warning ---------------------------------------
mkdir outk
cat >hook.yaml <<EOF
version: 1
state: hook.state
sources:
  ha: {kind: disk, host: hostA}
targets:
  out: {kind: local, storage: outk, format: qcow2}
limits: {max_in_flight: 2, per_source_host_disks: 1}
defaults: {source: ha, target: out, no_convert: true}
vms:
  - name: hooked
    disks: [src/a.raw]
    hooks:
      pre: {program: /bin/sh, args: [-c, 'echo "pre \$V2KVM_BATCH_VM \$V2KVM_BATCH_HOOK" >>$T/hooks']}
      post: {program: /bin/sh, args: [-c, 'echo "post \$V2KVM_BATCH_VM \$V2KVM_BATCH_HOOK" >>$T/hooks']}
  - {name: prefail, disks: [src/a.raw], hooks: {pre: {program: /bin/false}}}
  - name: prehang
    disks: [src/a.raw]
    hooks: {pre: {program: /bin/sleep, args: ["60"], timeout: 1}}
  - {name: postfail, disks: [src/a.raw], hooks: {post: {program: /bin/false}}}
EOF
rc=0
timeout 300 "$B" run --executor slurm hook.yaml >hook.out 2>hook.err || rc=$?
[ "$rc" = 1 ] || { cat hook.out hook.err; fail "hooks: exit $rc, not 1"; }
qh() { sqlite3 hook.state "$1"; }
[ "$(cat hooks)" = "pre hooked pre
post hooked post" ] || { cat hook.out hook.err; fail "hooks run: $(cat hooks)"; }
[ "$(qh "SELECT phase FROM vms WHERE name = 'hooked'")" = done ] ||
    fail "hooked: $(qh "SELECT * FROM vms WHERE name = 'hooked'")"
[ "$(qh "SELECT error_class || '|' || last_error FROM vms WHERE name = 'prefail'")" = "permanent|pre hook /bin/false exited with status 1" ] ||
    fail "prefail: $(qh "SELECT * FROM vms WHERE name = 'prefail'")"
[ "$(qh "SELECT error_class || '|' || attempts || '|' || last_error FROM vms WHERE name = 'prehang'")" = "permanent|1|pre hook /bin/sleep timed out after 1 s, killed" ] ||
    fail "prehang: $(qh "SELECT * FROM vms WHERE name = 'prehang'")"
[ "$(qh "SELECT phase FROM vms WHERE name = 'postfail'")" = done ] ||
    fail "postfail: $(qh "SELECT * FROM vms WHERE name = 'postfail'")"
[ "$(qh "SELECT count(*) FROM warnings WHERE vm = 'postfail' AND message = 'post hook /bin/false exited with status 1'")" = 1 ] ||
    fail "postfail's warning: $(qh "SELECT * FROM warnings WHERE vm = 'postfail'")"
if [ -e outk/prefail-sda ] || [ -e outk/prehang-sda ]; then
    fail "a VM ran after its pre hook failed"
fi
[ -z "$(squeue -h -o %i)" ] || fail "hooks: jobs left: $(squeue -h)"

# --- max_in_flight holds over all the arrays: two source hosts (two
# arrays), max_in_flight 1: the tasks' spans (a wrapper around v2kvm
# notes them) never overlap ---------------------------------------------
cat >span-v2kvm <<EOF
#!/bin/sh
echo "start \$(date +%s.%N) \$V2KVM_BATCH_VM" >>$T/spans
sleep 1
"$V2KVM" "\$@"
rc=\$?
echo "end \$(date +%s.%N) \$V2KVM_BATCH_VM" >>$T/spans
exit \$rc
EOF
chmod +x span-v2kvm
mkdir outm
cat >lim.yaml <<EOF
version: 1
state: lim.state
sources:
  ha: {kind: disk, host: hostA}
  hb: {kind: disk, host: hostB}
targets:
  out: {kind: local, storage: outm, format: qcow2}
limits: {max_in_flight: 1, per_source_host_disks: 1}
defaults: {target: out, no_convert: true}
vms:
  - {name: m1, source: ha, disks: [src/a.raw]}
  - {name: m2, source: hb, disks: [src/b.qcow2]}
  - {name: m3, source: ha, disks: [src/b.qcow2]}
  - {name: m4, source: hb, disks: [src/a.raw]}
EOF
V2KVM_BATCH_V2KVM=$T/span-v2kvm timeout 300 "$B" run --executor slurm lim.yaml \
    >lim.out 2>&1 || { cat lim.out; fail "max_in_flight plan failed"; }
[ "$(grep -c '^start' spans)" = 4 ] || { cat spans lim.out; fail "not 4 tasks ran"; }
python3 - spans <<'PY' || { cat spans; fail "two tasks ran at once with max_in_flight 1"; }
import sys
ev = []
for l in open(sys.argv[1]):
    k, t, vm = l.split()
    ev.append((float(t), 1 if k == "start" else -1))
n = peak = 0
for _, d in sorted(ev, key=lambda e: (e[0], e[1])):
    n += d
    peak = max(peak, n)
sys.exit(0 if peak == 1 else 1)
PY
# Submitted as two held arrays (one per host license), released one task
# at a time.
[ "$(grep -c 'as Slurm job' lim.out)" = 4 ] || fail "lim: $(cat lim.out)"
[ "$(grep -o 'as Slurm job [0-9]*' lim.out | sort -u | wc -l)" = 2 ] ||
    fail "lim: not two arrays: $(grep 'as Slurm job' lim.out)"

# --- the same plan through the local executor: the same outcomes ------
rc=0
timeout 300 "$B" run local.yaml >local.out 2>local.err || rc=$?
[ "$rc" = 1 ] || { cat local.out local.err; fail "local run: exit $rc, not 1"; }
table='SELECT name, phase, attempts, error_class, coalesce(last_error, "") FROM vms ORDER BY name'
q slurm.state "$table" >slurm.table
q local.state "$table" | sed 's|outl/|out/|g' >local.table
diff -u local.table slurm.table || fail "local and slurm outcomes differ"
cmp out/vma-sda outl/vma-sda >/dev/null || qemu-img compare -q out/vma-sda outl/vma-sda ||
    fail "vma: outputs of the two executors differ"
# Their reports say the same of every VM (times, paths, the log tails'
# slurm banner and the target's directory aside).
for x in slurm local; do
    "$B" report "$x.yaml" >"$x.rep.out" 2>&1 || { cat "$x.rep.out"; fail "$x: report"; }
    jq -S '[.vms[] | {name, outcome, attempts, os, firmware, disks,
            bytes_copied, bytes_total, warnings: (.warnings | length),
            error, phases: [.phases[] | {phase, attempt}]}] |
           .[].error.message |= (if . then sub("outl/"; "out/") else . end)' \
        "$x.state.report.json" >"$x.rep.json"
done
diff -u local.rep.json slurm.rep.json || fail "the two executors' reports differ"
[ "$(jq length slurm.rep.json)" = 3 ] || fail "the slurm report: $(cat slurm.rep.json)"

# --- resume: nothing to redo; --retry-failed redoes the broken one ----
rc=0
timeout 120 "$B" run --executor slurm slurm.yaml >again.out 2>again.err || rc=$?
[ "$rc" = 1 ] || { cat again.out again.err; fail "second run: exit $rc, not 1"; }
assert_grep "^0 VMs to run\|: 0 VMs to run" again.out
ino=$(stat -c %i.%Y out/vma-sda)
rc=0
timeout 300 "$B" run --executor slurm --retry-failed slurm.yaml >retry.out 2>retry.err || rc=$?
[ "$rc" = 1 ] || { cat retry.out retry.err; fail "--retry-failed: exit $rc, not 1"; }
[ "$(q slurm.state "SELECT phase || ' ' || attempts FROM vms WHERE name = 'bad'")" = "failed 2" ] ||
    fail "bad after --retry-failed: $(q slurm.state "SELECT * FROM vms WHERE name = 'bad'")"
[ "$(stat -c %i.%Y out/vma-sda)" = "$ino" ] || fail "vma redone by --retry-failed"

# --- SIGKILL and SIGTERM of the coordinator -----------------------------
# The v2kvm of these runs is a wrapper (on the shared filesystem, like
# everything here) that, while $T/hang exists, says so and hangs, and
# while $T/flaky exists fails once with a network error.
cat >wrap <<EOF
#!/bin/bash
if [ -e "$T/hang" ]; then
    echo "\$\$" >"$T/hanging"
    exec sleep 600
fi
if [ -e "$T/flaky" ]; then
    rm -f "$T/flaky"
    echo '{"type":"error","time":0.1,"message":"sftp://h/a.raw: read: Connection reset by peer"}'
    exit 1
fi
exec "$V2KVM" "\$@"
EOF
chmod +x wrap
cat >hang.yaml <<EOF
version: 1
state: hang.state
sources:
  ha: {kind: disk, host: hostA}
targets:
  out: {kind: local, storage: outh, format: qcow2}
limits: {max_in_flight: 2, per_source_host_disks: 1}
defaults: {target: out, no_convert: true}
vms:
  - {name: slow, source: ha, disks: [src/a.raw]}
EOF
mkdir outh
touch hang
V2KVM_BATCH_V2KVM=$T/wrap "$B" run --executor slurm hang.yaml >kill1.out 2>&1 &
coord=$!
wait_for 60 "hanging task" test -s hanging
# Killed once the coordinator has seen the task run (the state says so).
slow_running() { [ "$(q hang.state "SELECT phase FROM vms WHERE name = 'slow'")" = running ]; }
wait_for 30 "slow running in the state" slow_running
kill -KILL "$coord"
wait "$coord" 2>/dev/null || true
orphan=$(cat hang.state.slurm/jobs)
[ -n "$(squeue -h -j "$orphan" -o %i)" ] || fail "the orphan job $orphan is not running"
rm -f hang hanging
rc=0
V2KVM_BATCH_V2KVM=$T/wrap timeout 300 "$B" run --executor slurm hang.yaml >kill2.out 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat kill1.out kill2.out; fail "run after SIGKILL: exit $rc"; }
assert_grep "1 VM interrupted by a previous coordinator" kill2.out
assert_grep "cancelling Slurm job left by a killed coordinator: $orphan" kill2.out
scontrol -o show job "${orphan}_0" >job.txt
assert_grep "JobState=CANCELLED" job.txt
[ "$(q hang.state "SELECT phase || ' ' || attempts FROM vms WHERE name = 'slow'")" = "done 2" ] ||
    fail "slow after SIGKILL: $(q hang.state "SELECT * FROM vms")"
qemu-img compare -q src/a.raw outh/slow-sda || fail "slow: output differs"

# A transient error: the VM is submitted again (a second array) and done.
rm -f hang.state hang.state-* outh/*
touch flaky
rc=0
V2KVM_BATCH_V2KVM=$T/wrap timeout 300 "$B" run --executor slurm hang.yaml >flaky.out 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat flaky.out; fail "transient error: exit $rc"; }
assert_grep "slow: transient error: retrying in 0 s (attempt 2 of 3)" flaky.out
[ "$(grep -c "started (attempt [12]) as Slurm job" flaky.out)" = 2 ] ||
    { cat flaky.out; fail "transient error: not two Slurm jobs"; }
[ "$(q hang.state "SELECT phase || ' ' || attempts FROM vms WHERE name = 'slow'")" = "done 2" ] ||
    fail "slow after a transient error: $(q hang.state "SELECT * FROM vms")"

touch hang
rm -f hang.state hang.state-* outh/*
V2KVM_BATCH_V2KVM=$T/wrap "$B" run --executor slurm hang.yaml >term.out 2>&1 &
coord=$!
wait_for 60 "hanging task" test -s hanging
wait_for 30 "slow running in the state" slow_running
kill -TERM "$coord"
rc=0
for _ in $(seq 600); do kill -0 "$coord" 2>/dev/null || break; sleep 0.1; done
wait "$coord" || rc=$?
[ "$rc" = 143 ] || { cat term.out; fail "SIGTERM: exit $rc, not 143"; }
[ "$(q hang.state "SELECT phase FROM vms WHERE name = 'slow'")" = interrupted ] ||
    fail "slow after SIGTERM: $(q hang.state "SELECT * FROM vms")"
[ -z "$(squeue -h -o %i)" ] || fail "SIGTERM: jobs still queued: $(squeue -h)"
assert_grep "slow: interrupted by signal 15" term.out
echo "OK"
