#!/bin/bash
# ledger-totals.sh [TARGET] - sum CAMPAIGN.md's ledger rows per target:
# "target legs wall_s cpu_s cpu_min executions crashes", one line each,
# fewest CPU seconds first.  With TARGET, print only its CPU seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ledger=$here/CAMPAIGN.md
# Ledger rows start with a date: | 2026-12-05T09:02Z | tar | 600 | ...
awk -F'|' -v want="${1:-}" '
    $2 ~ /^ [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/ {
        t = $3; gsub(/ /, "", t)
        legs[t]++; wall[t] += $4; cpu[t] += $5; ex[t] += $6
        if ($11 !~ /none/) crash[t]++
    }
    END {
        if (want != "") { print cpu[want] + 0; exit }
        for (t in cpu)
            printf "%s %d %d %d %.1f %d %d\n", t, legs[t], wall[t],
                   cpu[t], cpu[t] / 60, ex[t], crash[t] + 0
    }' "$ledger" | { if [ -n "${1:-}" ]; then cat; else sort -k4 -n; fi; }
