#!/bin/bash
# The areas depend on each other in one direction only (DESIGN.md,
# "Areas"): every #include "x.h" in an area's files must name a header of
# the area itself or of an area it may depend on.  Headers are found by
# name in the tree (includes are flat: CMake gives each area the include
# directories of the areas below it); version.h is generated from
# common/version.h.in.  p2v/ (the P2V client, on a live ISO) may use
# common/ only, and so may batch/ (v2kvm-batch runs v2kvm).  Tests, tools (tests/lib) and the converters
# (the top) may include anything.
. "$(dirname "$0")/../lib/test-lib.sh"

# area -> the areas it may include from (itself always allowed).
declare -A allowed=(
    [common]=""
    [model]="common"
    [formats]="common"
    [inspectors]="model common"
    [drivers-inject]="inspectors model common"
    [p2v]="common"
    [batch]="common"
)

# check ROOT: print each include that breaks the rule; exit 1 if any.
check() {
    local root=$1 bad=0 f h area harea hdr
    declare -A where=()
    while IFS= read -r hdr; do
        h=${hdr##*/}
        where[$h]=${hdr%%/*}
    done < <(cd "$root" && find common model formats inspectors \
                 drivers-inject converters p2v batch -name '*.h' 2>/dev/null)
    where[version.h]=common                  # common/version.h.in
    for area in "${!allowed[@]}"; do
        [ -d "$root/$area" ] || continue
        while IFS= read -r f; do
            while IFS= read -r h; do
                harea=${where[$h]:-}
                if [ -z "$harea" ]; then
                    echo "$f: includes \"$h\", found in no area"
                    bad=1
                elif [ "$harea" != "$area" ] &&
                     ! [[ " ${allowed[$area]} " == *" $harea "* ]]; then
                    echo "$f: includes \"$h\" from $harea/, but $area/ may" \
                         "only use: ${allowed[$area]:-nothing}"
                    bad=1
                fi
            done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' \
                         "$root/$f" | sed 's|.*/||')
        done < <(cd "$root" && find "$area" -name '*.[ch]')
    done
    return $bad
}

# The checker catches a violation (a copy of a small fake tree).
mkdir -p "$T/fake/common" "$T/fake/model" "$T/fake/inspectors" \
         "$T/fake/drivers-inject/linux" "$T/fake/converters"
echo '#include "util.h"' > "$T/fake/model/ok.c"
touch "$T/fake/common/util.h" "$T/fake/converters/options.h" \
      "$T/fake/drivers-inject/convert.h" "$T/fake/model/source.h"
echo '#include "source.h"' > "$T/fake/inspectors/ok.c"
check "$T/fake" >"$T/out" || fail "a clean fake tree was refused: $(cat "$T/out")"
echo '#include "options.h"' > "$T/fake/drivers-inject/linux/bad.c"
echo '#include "convert.h"' > "$T/fake/inspectors/bad.h"
echo '#include "nowhere.h"' > "$T/fake/common/bad.c"
mkdir -p "$T/fake/p2v"
echo '#include "source.h"' > "$T/fake/p2v/bad.c"
if check "$T/fake" >"$T/out"; then
    fail "the checker missed the bad includes of the fake tree"
fi
grep -q 'drivers-inject/linux/bad.c: includes "options.h" from converters/' \
    "$T/out" || fail "not reported: drivers-inject -> converters"
grep -q 'inspectors/bad.h: includes "convert.h" from drivers-inject/' \
    "$T/out" || fail "not reported: inspectors -> drivers-inject"
grep -q 'common/bad.c: includes "nowhere.h", found in no area' "$T/out" ||
    fail "not reported: unknown header"
grep -q 'p2v/bad.c: includes "source.h" from model/, but p2v/ may only use: common' \
    "$T/out" || fail "not reported: p2v -> model"

# The real tree.
check "$V2K_SOURCE_DIR" >"$T/out" ||
    fail "includes against the area rule:
$(cat "$T/out")"
echo "test-layering: ok"
