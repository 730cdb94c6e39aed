#!/bin/bash
# corpus-unpack.sh SRC DST - copy a kept corpus (corpus/TARGET/) into the
# directory DST as the fuzz targets read it: NAME.gz files (corpus files
# over 4 KiB are kept gzipped, see campaign.sh) are unpacked to NAME.
set -euo pipefail
src=$1 dst=$2
mkdir -p "$dst"
for f in "$src"/*; do
    [ -f "$f" ] || continue
    case $f in
    *.gz) gzip -dc "$f" >"$dst/$(basename "$f" .gz)" ;;
    *) cp "$f" "$dst/" ;;
    esac
done
