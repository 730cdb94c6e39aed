#!/bin/bash
# scripts/checksrc.sh passes on the tree, and flags what it is for: a
# message continued on the next source line inside an error, warning or
# log call (not grep-able), while leaving alone literals joined on one
# line and multi-line strings outside such calls (the --help text).
. "$(dirname "$0")/../lib/test-lib.sh"
need git perl

src=${V2K_SOURCE_DIR:?}
bash "$src/scripts/checksrc.sh" >"$T/out" 2>&1 ||
    { cat "$T/out" >&2; fail "checksrc fails on the tree"; }

# A scratch repository with the script and files of each kind.
mkdir -p "$T/repo/scripts"
cp "$src/scripts/checksrc.sh" "$T/repo/scripts/"
cat >"$T/repo/ok.c" <<'C'
void f(int x)
{
    v2k_error("one line: %d", x);
    v2k_warning("joined " "on one line %d", x);
    fprintf(stderr, "usage text\n"
            "on two lines\n");
    v2k_error("%s", x ? "a" :
              "b");
}
C
cat >"$T/repo/bad.c" <<'C'
void g(int x)
{
    v2k_error_errno(x, "%s: a message "
                    "split in two", "f");
}
C
git -C "$T/repo" init -q
git -C "$T/repo" add -A
if bash "$T/repo/scripts/checksrc.sh" >"$T/out" 2>&1; then
    fail "checksrc passed a split message"
fi
assert_grep '^checksrc: bad.c:3: message split across source lines$' "$T/out"
if grep -q 'ok.c' "$T/out"; then
    cat "$T/out" >&2
    fail "checksrc flagged ok.c"
fi
[ "$(wc -l <"$T/out")" = 1 ] || { cat "$T/out" >&2; fail "more than one finding"; }
echo "test-checksrc: ok"
