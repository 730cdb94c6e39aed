#!/bin/bash
# max-len.sh TARGET - libFuzzer's -max_len for fuzz-TARGET (run-fuzz.sh,
# run-fuzz-parser.sh and campaign.sh agree on it).  Inputs past 1 MiB
# only where the format needs them: VHDX regions are 1 MiB aligned (a
# minimal image is several MiB), a VHD/VDI block is 1-2 MiB.
# Configuration files, manifests and archives stay small; the P2V
# client's lines smaller still (what it reads, and a little over).
case $1 in
vhdx|probe) echo $((10 << 20)) ;;
vhd|vdi) echo $((4 << 20)) ;;
raw|qcow2|vmdk|fatdir) echo $((1 << 20)) ;;
jsonline) echo $((64 << 10)) ;;    # p2v/session.c: LINE_MAX_BYTES
p2vcmdline) echo 8192 ;;           # p2v/config.c refuses over 4096
*) echo $((256 << 10)) ;;
esac
