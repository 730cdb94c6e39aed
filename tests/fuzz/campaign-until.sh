#!/bin/bash
# campaign-until.sh CPU_SECONDS TARGET... - run campaign.sh legs for each
# TARGET in turn until the ledger gives it CPU_SECONDS in total (issue
# #13 asks 1800).  Legs are wall-clock limited and niced, so a leg asks
# 1.25 times what is still owed (at least 300 s, at most 3600 s) and the
# loop checks the ledger again after it.  A crash stops the loop.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
want=$1; shift
for t in "$@"; do
    while :; do
        have=$(bash "$here/ledger-totals.sh" "$t")
        owed=$(( want - have ))
        [ "$owed" -gt 0 ] || break
        secs=$(( owed * 5 / 4 ))
        [ "$secs" -ge 300 ] || secs=300
        [ "$secs" -le 3600 ] || secs=3600
        echo "campaign-until: $t has $have CPU s, owes $owed: leg of $secs s"
        bash "$here/campaign.sh" "$t" "$secs"
    done
done
