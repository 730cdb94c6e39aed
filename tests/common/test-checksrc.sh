#!/bin/bash
# The mechanical rules of the code style hold over the whole tree.
. "$(dirname "$0")/../lib/test-lib.sh"
bash "$V2K_SOURCE_DIR/scripts/checksrc.sh" || fail "checksrc found problems"
echo "test-checksrc: ok"
