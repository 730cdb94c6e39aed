#!/bin/bash
# cmake --install puts the programs and the man pages in place, and the
# installed programs run.
. "$(dirname "$0")/../lib/test-lib.sh"
cmake --install "$V2K_BINARY_DIR" --prefix "$T/inst" >/dev/null
for f in bin/v2kvm bin/v2kvm-img bin/v2kvm-p2v; do
    [ -x "$T/inst/$f" ] || fail "$f not installed"
done
for p in v2kvm v2kvm-img v2kvm-p2v; do
    m=$T/inst/share/man/man1/$p.1
    [ -s "$m" ] || fail "$m not installed"
    grep -q "^\.TH $p 1 " "$m" || fail "$m has no .TH"
done
grep -q "EXIT STATUS" "$T/inst/share/man/man1/v2kvm.1" ||
    fail "v2kvm.1 does not document the exit status"
# Whole output first: grep -q stops reading early, and under pipefail the
# writer's SIGPIPE would fail the pipeline (--help is now longer than a
# pipe's buffer).
"$T/inst/bin/v2kvm" --version >"$T/version" || fail "--version failed"
grep -q '^v2kvm [0-9]' "$T/version" || fail "--version"
"$T/inst/bin/v2kvm" --help >"$T/help" || fail "--help failed"
grep -q 'Input modes' "$T/help" || fail "--help"
"$T/inst/bin/v2kvm-p2v" --version >"$T/version" || fail "v2kvm-p2v --version failed"
grep -q '^v2kvm-p2v [0-9]' "$T/version" || fail "v2kvm-p2v --version"
echo "test-install: ok"
