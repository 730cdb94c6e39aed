#!/bin/bash
# checksrc.sh - what a compiler does not catch (after curl's checksrc):
# banned unbounded/unsafe calls, exit() below the mains, tabs.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bad=0
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]')
mains='converters/v2kvm.c|formats/v2kvm-img.c|tests/|formats/nbdkit/'
report() { echo "checksrc: $1"; bad=1; }
while IFS= read -r f; do
    [ -f "$f" ] || continue
    grep -nE '\b(atoi|atol|sscanf|strtok|strncpy|sprintf|vsprintf|gets|strcpy|strcat)\s*\(' "$f" |
        grep -v 'snprintf\|vsnprintf' |
        while IFS= read -r l; do echo "checksrc: $f:$l: banned function"; done |
        grep . && bad=1
    if ! [[ $f =~ ^($mains) ]]; then
        grep -nE '(^|[^_a-z-])exit\s*\(' "$f" | grep -v '_exit' | grep -vE '^[0-9]+:\s*(\*|/\*)' |
            while IFS= read -r l; do echo "checksrc: $f:$l: exit() below the mains"; done |
            grep . && bad=1
    fi
    grep -nP '\t' "$f" | head -1 | grep -q . && report "$f: tab character"
done <<<"$files"
exit $bad
