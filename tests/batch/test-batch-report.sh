#!/bin/bash
# test-batch-report.sh - v2kvm-batch report PLAN: the JSON and the HTML
# page after a run of no_convert VMs (v2kvm -i disk --no-convert: disk
# copies, no appliance), three good ones and a broken one, max_in_flight
# 2:
#  - before any run: a report of pending VMs (no state yet), exit 0;
#  - after the run: one JSON entry per VM in plan order; the broken one
#    failed with its one-line error, its class and its log's tail; the
#    done ones have their phase history, durations > 0, firmware and
#    disk sizes from v2kvm's result line, bytes, outputs and warnings;
#  - the HTML page in a real headless browser (Debian's chromium): it
#    renders (a screenshot), its DOM has one table row per VM, the failed
#    one with the failure class and its message, one timeline lane per
#    VM, and a log line "<script>alert(1)</script>" only as text (no
#    script element);
#  - a report while the coordinator holds the state's lock, and while a
#    VM is in flight (it shows as running);
#  - a long log: its last 20 lines, bytes that are not UTF-8 as '?';
#  - no temporary file left; a plan or a state that cannot be read:
#    exit 2 naming the file.
# A missing chromium fails the test (need), it is not skipped.
export V2K_ACCEL=${V2K_ACCEL:-tcg}
. "$(dirname "$0")/../lib/test-lib.sh"
: "${V2KVM_BATCH:?run me through ctest}"
need qemu-img qemu-io sqlite3 python3 chromium flock timeout
B=$V2KVM_BATCH
export V2KVM_BATCH_GRACE=1 V2KVM_BATCH_RETRY_DELAY=0

cd "$T" || fail "no $T"
mkdir src out home
export HOME=$T/home

# The wrapper: BATCH_SLEEP seconds (so that phases last measurably),
# and for the broken VM a line in its log that a page must not run.
cat >wrap <<EOF
#!/bin/bash
if [[ " \$* " == *"/broken.qcow2 "* ]]; then
    echo '<script>alert(1)</script> & "quoted" from the log'
fi
sleep "\${BATCH_SLEEP:-0}"
exec "$V2KVM" "\$@"
EOF
chmod +x wrap
export V2KVM_BATCH_V2KVM=$T/wrap

qemu-img create -q -f raw src/d1.raw 32M
qemu-io -f raw -c "write -P 1 1M 2M" src/d1.raw >/dev/null
qemu-img create -q -f qcow2 src/d2.qcow2 16M
qemu-io -f qcow2 -c "write -P 2 0 1M" src/d2.qcow2 >/dev/null
qemu-img create -q -f raw src/d3.raw 8M
qemu-img create -q -f qcow2 src/full.qcow2 32M
qemu-io -f qcow2 -c "write -P 9 0 4M" src/full.qcow2 >/dev/null
head -c 100000 src/full.qcow2 >src/broken.qcow2

cat >plan.yaml <<'EOF'
version: 1
sources:
  h1:
    kind: disk
    host: host-one
targets:
  out:
    kind: local
    storage: out
    format: qcow2
limits:
  max_in_flight: 2
  memory_budget: 8GiB
defaults:
  target: out
  no_convert: true
vms:
  - {name: vm1, source: h1, disks: [src/d1.raw]}
  - {name: vm2, source: h1, disks: [src/d2.qcow2]}
  - {name: bad, source: h1, disks: [src/broken.qcow2]}
  - {name: two, source: h1, disks: [src/d3.raw, src/d2.qcow2]}
EOF
"$B" check plan.yaml >/dev/null

# --- before any run: every VM pending ----------------------------------
mkdir pre
"$B" report plan.yaml --json pre/r.json --html pre/r.html >pre.out ||
    fail "report without a state: exit $?"
[ ! -e plan.state ] || fail "the report created the state"
python3 - pre/r.json <<'EOF' || fail "report without a state: $(cat pre/r.json)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["state_exists"] is False, r["state_exists"]
assert [v["name"] for v in r["vms"]] == ["vm1", "vm2", "bad", "two"]
assert all(v["outcome"] == "pending" and v["attempts"] == 0 for v in r["vms"])
assert r["summary"]["pending"] == 4 and r["runs"] == []
EOF
[ -s pre/r.html ] || fail "no HTML without a state"

# --- the run ------------------------------------------------------------
rc=0
BATCH_SLEEP=0.5 "$B" run plan.yaml >run.out 2>run.err || rc=$?
[ "$rc" = 1 ] || { cat run.out run.err; fail "run: exit $rc, not 1"; }

rc=0
"$B" report plan.yaml >report.out 2>report.err || rc=$?
[ "$rc" = 0 ] || { cat report.out report.err; fail "report: exit $rc"; }
assert_grep "^plan.yaml: 4 VMs (3 done, 1 failed); report in ./plan.state.report.json and ./plan.state.report.html" report.out
[ -s plan.state.report.json ] && [ -s plan.state.report.html ] ||
    fail "no report files"
[ -z "$(find . -maxdepth 1 -name '.plan.state.report.*')" ] ||
    fail "a temporary report file was left"

# --- the JSON -------------------------------------------------------------
sz() { qemu-img info --output=json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])'; }
python3 - plan.state.report.json "$(sz src/d1.raw)" "$(sz src/d2.qcow2)" \
    "$(sz src/d3.raw)" <<'EOF' || fail "JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
d1, d2, d3 = (int(a) for a in sys.argv[2:5])
vms = {v["name"]: v for v in r["vms"]}
assert [v["name"] for v in r["vms"]] == ["vm1", "vm2", "bad", "two"], list(vms)
s = r["summary"]
assert (s["vms"], s["done"], s["failed"], s["pending"]) == (4, 3, 1, 0), s
assert s["wall_seconds"] > 0.5 and s["bytes_copied"] == d1 + d2 + d3 + d2, s
assert len(r["runs"]) == 1 and r["runs"][0]["outcome"] == "failed", r["runs"]
assert r["runs"][0]["finished"] >= r["runs"][0]["started"] > 0

bad = vms["bad"]
assert bad["outcome"] == "failed" and bad["attempts"] == 1, bad
err = bad["error"]
assert err["class"] == "permanent", err
assert "src/broken.qcow2" in err["message"], err
assert "past the end of the file" in err["message"], err
assert "\n" not in err["message"]
tail = bad["log"]["tail"]
assert bad["log"]["path"] == "./plan.state.logs/bad.log", bad["log"]
assert 0 < len(tail) <= 20, tail
assert any("<script>alert(1)</script>" in l for l in tail), tail
assert any("past the end of the file" in l for l in tail), tail
assert bad["outputs"] == [], bad["outputs"]
assert [p["phase"] for p in bad["phases"]] == ["running", "failed"], bad["phases"]

for name, sizes in (("vm1", [d1]), ("vm2", [d2]), ("two", [d3, d2])):
    v = vms[name]
    assert v["outcome"] == "done" and v["error"] is None, v
    assert v["attempts"] == 1
    assert [p["phase"] for p in v["phases"]] == ["running", "copying", "done"], v["phases"]
    assert all(p["run"] == r["runs"][0]["id"] for p in v["phases"])
    assert v["durations"]["running"] >= 0.5, v["durations"]
    assert v["durations"]["copying"] > 0, v["durations"]
    assert v["seconds"] > 0.5, v["seconds"]
    assert v["firmware"] == "bios", v["firmware"]
    assert v["disks"] == {"count": len(sizes), "virtual_sizes": sizes}, v["disks"]
    assert v["bytes_copied"] == v["bytes_total"] == sum(sizes), v
    assert v["source"]["kind"] == "disk" and v["source"]["host"] == "host-one"
    assert v["source"]["paths"][0].startswith("./src/")
    assert v["target"] == {"name": "out", "kind": "local", "target_name": name,
                           "storage": "./out", "format": "qcow2"}, v["target"]
    assert "./out/%s.xml" % name in v["outputs"], v["outputs"]
    assert any("--no-convert" in w for w in v["warnings"]), v["warnings"]
    assert v["log"]["tail"], v["log"]
    assert v["os"] == {"distro": None, "product_name": None, "osinfo": None}, v["os"]
    assert v["started"] <= v["finished"]
EOF

# --- the page in a real browser -------------------------------------------
chrome() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu \
        --user-data-dir="$T/chrome" "$@" 2>>chrome.err
}
chrome --screenshot="$T/shot.png" --window-size=1280,2000 \
    "file://$T/plan.state.report.html" >/dev/null ||
    { cat chrome.err; fail "chromium --screenshot failed"; }
python3 - shot.png <<'EOF' || fail "screenshot"
import sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
assert len(b) > 20000, len(b)
EOF
chrome --dump-dom "file://$T/plan.state.report.html" >dom.html ||
    { cat chrome.err; fail "chromium --dump-dom failed"; }
python3 - dom.html <<'EOF' || fail "DOM of the page"
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
        self.rows = []          # (data-vm, class) of tbody rows of #vms
        self.lanes = []         # data-vm of the timeline's lanes
        self.scripts = 0
        self.in_vms = self.in_tbody = self.in_svg = False
        self.row = None
        self.cls = []           # classes of open elements
        self.texts = {}         # data-vm -> text of the row
        self.message = {}       # data-vm -> text of span.message
        self.in_message = False
        self.logtext = ""
        self.in_log = False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "table" and a.get("id") == "vms":
            self.in_vms = True
        if tag == "tbody" and self.in_vms:
            self.in_tbody = True
        if tag == "tr" and self.in_tbody:
            self.row = a.get("data-vm")
            self.rows.append((self.row, a.get("class", "").split()))
            self.texts[self.row] = ""
        if tag == "svg" and a.get("id") == "timeline":
            self.in_svg = True
        if tag == "g" and self.in_svg and "lane" in a.get("class", "").split():
            self.lanes.append(a.get("data-vm"))
        if tag == "span" and "message" in a.get("class", "").split():
            self.in_message = True
            self.message[self.row] = ""
        if tag == "pre" and "log" in a.get("class", "").split():
            self.in_log = True
    def handle_endtag(self, tag):
        if tag == "table":
            self.in_vms = self.in_tbody = False
        if tag == "tr":
            self.row = None
        if tag == "svg":
            self.in_svg = False
        if tag == "span":
            self.in_message = False
        if tag == "pre":
            self.in_log = False
    def handle_data(self, data):
        if self.row is not None:
            self.texts[self.row] += data
        if self.in_message and self.row is not None:
            self.message[self.row] += data
        if self.in_log:
            self.logtext += data

p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
names = [r[0] for r in p.rows]
assert names == ["vm1", "vm2", "bad", "two"], p.rows
cls = dict(p.rows)
assert "vm-failed" in cls["bad"], cls
for n in ("vm1", "vm2", "two"):
    assert "vm-done" in cls[n] and "vm-failed" not in cls[n], cls
assert "past the end of the file" in p.message.get("bad", ""), p.message
assert "\n" not in p.message["bad"].strip()
assert p.lanes == ["vm1", "vm2", "bad", "two"], p.lanes
assert p.scripts == 0, "a <script> element in the page"
assert "<script>alert(1)</script>" in p.logtext, p.logtext[-500:]
assert "<script>alert(1)</script>" in p.texts["bad"]
EOF
# --- while the coordinator holds the state --------------------------------
flock -x plan.state -c "'$B' report plan.yaml --json locked.json --html locked.html" \
    >locked.out 2>&1 || { cat locked.out; fail "report under the coordinator's lock"; }
cmp <(python3 -c 'import json,sys; r=json.load(open("locked.json")); print([(v["name"], v["outcome"]) for v in r["vms"]])') \
    <(python3 -c 'import json,sys; r=json.load(open("plan.state.report.json")); print([(v["name"], v["outcome"]) for v in r["vms"]])') ||
    fail "the locked report differs"

# A VM in flight: bad again (--retry-failed), slowed by the wrapper.
BATCH_SLEEP=6 "$B" run --retry-failed plan.yaml >run2.out 2>&1 &
runpid=$!
for _ in $(seq 100); do
    [ "$(sqlite3 plan.state "SELECT phase FROM vms WHERE name = 'bad'")" = running ] && break
    sleep 0.1
done
"$B" report plan.yaml --json mid.json --html mid.html >mid.out 2>&1 ||
    { cat mid.out; fail "report during a run"; }
python3 - mid.json <<'EOF' || fail "report during a run: $(cat mid.json)"
import json, sys
r = json.load(open(sys.argv[1]))
v = {v["name"]: v for v in r["vms"]}["bad"]
assert v["outcome"] == "running" and v["attempts"] == 2, v
assert v["phases"][-1]["phase"] == "running" and v["phases"][-1]["finished"] is None
assert v["phases"][-1]["seconds"] > 0
assert r["runs"][-1]["outcome"] == "running", r["runs"]
assert r["summary"]["running"] == 1, r["summary"]
EOF
rc=0
wait "$runpid" || rc=$?
[ "$rc" = 1 ] || { cat run2.out; fail "second run: exit $rc, not 1"; }

# --- a long log: only its end is read ----------------------------------------
# 200 KiB of numbered lines, one of them not UTF-8: the tail is the last
# 20 whole lines, read from the last 16 KiB.
python3 - plan.state.logs/vm1.log <<'EOF'
import sys
with open(sys.argv[1], "ab") as f:
    for i in range(4000):
        f.write(b"line %05d " % i + b"x" * 40 + b"\n")
    f.write(b"bad byte \xff here\n")
    f.write(b"the last line\n")
EOF
"$B" report plan.yaml --json long.json --html long.html >/dev/null ||
    fail "report of a long log"
python3 - long.json <<'EOF' || fail "long log's tail: $(cat long.json)"
import json, sys
r = json.load(open(sys.argv[1]))
t = {v["name"]: v for v in r["vms"]}["vm1"]["log"]["tail"]
assert len(t) == 20, len(t)
assert t[-1] == "the last line" and t[-2] == "bad byte ? here", t[-2:]
assert t[0] == "line 03982 " + "x" * 40, t[0]
EOF

# --- errors: exit 2 naming the file ---------------------------------------
rc=0
"$B" report nope.yaml >err.out 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "missing plan: exit $rc"
assert_grep "nope.yaml" err.out
sed 's/^version: 1$/version: 1\nstate: junk.state/' plan.yaml >junk.yaml
echo "not a database, only text that is long enough to be looked at by sqlite" >junk.state
rc=0
"$B" report junk.yaml >err.out 2>&1 || rc=$?
[ "$rc" = 2 ] || { cat err.out; fail "junk state: exit $rc"; }
assert_grep "junk.state" err.out
[ ! -e junk.state.report.json ] || fail "a report from a junk state"
rc=0
"$B" report plan.yaml --bogus >err.out 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "unknown option: exit $rc"
echo OK
