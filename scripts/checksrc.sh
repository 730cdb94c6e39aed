#!/bin/bash
# checksrc.sh - what a compiler does not catch (after curl's checksrc):
# banned unbounded/unsafe calls, exit() below the mains, tabs, and
# messages split across source lines.
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

# A message is never split across source lines, so that grep finds it
# (RULES.md, DESIGN.md "Errors"): inside a call of an error, warning or
# log function, two string literals with only a line break between them
# are one message continued on the next line.  Write it on one line
# (long lines are fine for messages).
msgfuns='v2k_error|v2k_error_errno|v2k_error_prepend|v2k_warning|v2k_msg|v2k_debug|v2k_log_error|nbdkit_error|nbdkit_debug|usage_error'
# shellcheck disable=SC2086
if ! perl -e '
    my ($funs, $bad) = (shift, 0);
    local $/;
    for my $f (@ARGV) {
        open(my $fh, "<", $f) or next;
        my $src = <$fh>;
        while ($src =~ /\b(?:$funs)\s*\(/g) {
            my ($i, $depth, $end) = (pos($src), 1, -1);
            my $call = pos($src);
            while ($i < length($src) && $depth) {
                my $c = substr($src, $i, 1);
                if ($c eq "\"" || $c eq "\x27") {
                    my $j = $i + 1;
                    while ($j < length($src) && substr($src, $j, 1) ne $c) {
                        $j += substr($src, $j, 1) eq "\\" ? 2 : 1;
                    }
                    if ($c eq "\"" && $end >= 0 &&
                        substr($src, $end, $i - $end) =~ /^\s*\n\s*$/) {
                        my $line = (substr($src, 0, $end) =~ tr/\n//) + 1;
                        print "checksrc: $f:$line: message split across source lines\n";
                        $bad = 1;
                    }
                    $end = $c eq "\"" ? $j + 1 : -1;
                    $i = $j + 1;
                    next;
                }
                $depth++ if $c eq "(";
                $depth-- if $c eq ")";
                $end = -1 unless $c =~ /\s/;
                $i++;
            }
            pos($src) = $call;
        }
    }
    exit $bad;
' "$msgfuns" $files; then
    bad=1
fi
exit $bad
