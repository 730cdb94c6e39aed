#!/bin/bash
# test-batch-check.sh - v2kvm-batch check PLAN, the command line: a good
# plan prints "PLAN: OK, N VMs, M sources, K targets" and exits 0; a bad
# one prints one line per problem, PLAN:LINE:COL: message, all of them,
# and exits 1; run and inspect of a bad plan print the same errors,
# exit 2 and run nothing; usage errors exit 2.
# Checking writes nothing anywhere (no state file next to the plan).
# No appliance is started here: skip the accelerator probe.
export V2K_ACCEL=${V2K_ACCEL:-tcg}
. "$(dirname "$0")/../lib/test-lib.sh"
: "${V2KVM_BATCH:?run me through ctest}"
B=$V2KVM_BATCH

# The shipped example, its secrets made private (git keeps no modes).
cp -a "$V2K_SOURCE_DIR/batch/examples" "$T/ex"
chmod 600 "$T/ex/secrets/vcenter.password" "$T/ex/secrets/db1.luks"
touch "$T/marker"
sleep 1
out=$("$B" check "$T/ex/plan.yaml" 2>"$T/err") || fail "example plan refused: $(cat "$T/err")"
[ "$out" = "$T/ex/plan.yaml: OK, 5 VMs, 3 sources, 2 targets" ] || fail "got: $out"
[ ! -s "$T/err" ] || fail "stderr not empty: $(cat "$T/err")"

# A world-readable password file: a warning naming its line, still OK.
chmod 644 "$T/ex/secrets/vcenter.password"
out=$("$B" check "$T/ex/plan.yaml" 2>"$T/err") || fail "warning made it fail"
[ "$out" = "$T/ex/plan.yaml: OK, 5 VMs, 3 sources, 2 targets, 1 warning" ] || fail "got: $out"
assert_grep "^$T/ex/plan.yaml:13:20: warning: source 'vcenter': password_file: .*is readable by everyone (mode 0644): chmod 600 " "$T/err"
chmod 600 "$T/ex/secrets/vcenter.password"

# check PLAN must fail with exit 1, each expected "LINE:COL: text" on
# its own line, exactly that many diagnostic lines, and the summary.
bad() {
    local plan=$1 n=$2 rc=0
    shift 2
    "$B" check "$plan" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" = 1 ] || { cat "$T/err"; fail "$plan: exit $rc, not 1"; }
    [ ! -s "$T/out" ] || fail "$plan: stdout not empty"
    for want in "$@"; do
        assert_grep "^$plan:$want" "$T/err"
    done
    got=$(grep -c "^$plan:[0-9]*:[0-9]*: " "$T/err" || true)
    [ "$got" = "$n" ] || { cat "$T/err"; fail "$plan: $got diagnostics, not $n"; }
    assert_grep "^v2kvm-batch: error: $plan: $n errors\?$" "$T/err"
}

cd "$T/ex" || fail "no $T/ex"
# Syntax error.
sed '14s/^    cafile: .*/    cafile: [unclosed/' plan.yaml > syntax.yaml
bad syntax.yaml 1 "15:9: YAML syntax error"
# Unknown key, listing the known ones.
sed 's/^    format: qcow2$/    formt: qcow2/' plan.yaml > unknown.yaml
bad unknown.yaml 1 "26:5: target 'lab': unknown key 'formt' (known: kind, storage, uri, format,"
# A missing source file.
sed 's|exports/legacy.ova|exports/gone.ova|' plan.yaml > missing.yaml
bad missing.yaml 1 "83:11: vm 'legacy': path: ./exports/gone.ova: No such file or directory"
# A duplicate target name (two VMs writing the same output).
sed 's/target_name: app1-kvm/target_name: db1/' plan.yaml > dup.yaml
bad dup.yaml 1 "77:5: vm 'app1': duplicate target output 'db1' on target 'prod' (also written by vm 'db1' at line 65)"
# A missing credentials file, an inline password.
sed 's|secrets/vcenter.password|secrets/nothere|; s|^    cafile: .*|    password: hunter2|' plan.yaml > creds.yaml
bad creds.yaml 2 "13:20: source 'vcenter': password_file: ./secrets/nothere: No such file or directory" \
    "14:5: source 'vcenter': inline password refused: put it in a file (chmod 600) and name the file with password_file"
grep -q hunter2 "$T/err" && fail "the password was printed"
# Every error, in line order.
sed 's/^version: 1$/version: 7/; s/max_in_flight: 3/max_in_flight: 0/; s/source: exports/source: exprts/' plan.yaml > many.yaml
bad many.yaml 3 "6:10: version: '7'" "45:18: limits: max_in_flight: 0 is out of range" \
    "81:13: vm 'legacy': source: no source called 'exprts'"
grep -o '^many.yaml:[0-9]*' "$T/err" | cut -d: -f2 | sort -n -c ||
    fail "diagnostics not in line order"

# run (and inspect) of each bad plan: the same errors, exit 2, nothing
# runs (the check below: no state, no logs, nothing written).
for p in syntax unknown missing dup creds many; do
    for cmd in run inspect; do
        rc=0
        "$B" $cmd $p.yaml >"$T/out" 2>"$T/err" || rc=$?
        [ "$rc" = 2 ] || fail "$cmd $p.yaml: exit $rc, not 2"
        grep -q "^$p.yaml:[0-9]*:[0-9]*: " "$T/err" ||
            fail "$cmd $p.yaml: no PLAN:LINE:COL error: $(cat "$T/err")"
    done
done

# Nothing written anywhere: no state file, nothing newer than the marker.
[ -z "$(find "$T/ex" -mindepth 1 -newer "$T/marker" ! -name '*.yaml' -print)" ] ||
    fail "check wrote: $(find "$T/ex" -mindepth 1 -newer "$T/marker" ! -name '*.yaml')"
for f in "$T"/ex/*state*; do
    [ -e "$f" ] && fail "a state file was created: $f"
done

# A plan that cannot be read at all.
expect_fail "$B" check "$T/nothere.yaml"
assert_grep "^v2kvm-batch: error: $T/nothere.yaml: No such file or directory" "$T/err"

# Usage: exit 2.
for args in "" "check" "check a b" "frobnicate x" "--bogus" "run" "run a b" "run --bogus x" \
            "report" "report a b" "report --bogus x" \
            "inspect" "inspect a b" "inspect --bogus x" "inspect --timeout 0 x"; do
    rc=0
    # shellcheck disable=SC2086
    "$B" $args >/dev/null 2>"$T/err" || rc=$?
    [ "$rc" = 2 ] || fail "'$args': exit $rc, not 2"
done
# A plan's source kinds are v2kvm's input modes, its target kinds the
# output modes that write something (not null): a mode added to v2kvm
# must be added to the plan (batch/plan.c) too.
printf 'version: 1\nsources: {s: {kind: nosuch}}\ntargets: {t: {kind: nosuch}}\nvms: []\n' >kinds.yaml
"$B" check kinds.yaml 2>"$T/err" && fail "kind nosuch accepted"
sed -n "s/.*source 's': kind: 'nosuch' is not one of //p" "$T/err" | tr -d ' ' | tr , '\n' | sort >"$T/plan-inputs"
sed -n "s/.*target 't': kind: 'nosuch' is not one of //p" "$T/err" | tr -d ' ' | tr , '\n' | sort >"$T/plan-outputs"
"$V2KVM" --list-inputs | awk '{print $1}' | sort >"$T/inputs"
"$V2KVM" --list-outputs | awk '$1 != "null" {print $1}' | sort >"$T/outputs"
[ -s "$T/plan-inputs" ] && [ -s "$T/plan-outputs" ] || fail "no kind list in: $(cat "$T/err")"
diff "$T/inputs" "$T/plan-inputs" >&2 || fail "plan source kinds differ from v2kvm --list-inputs"
diff "$T/outputs" "$T/plan-outputs" >&2 || fail "plan target kinds differ from v2kvm --list-outputs"

"$B" --help | grep -q '^usage: v2kvm-batch check PLAN' || fail "--help"
"$B" --version | grep -q '^v2kvm-batch [0-9]' || fail "--version"
echo PASS
