#!/bin/bash
# xl-disk-configuration(5)'s empty CD-ROM ',hdc:cdrom,r' (no target, the
# vdev where the format would be) was refused as an unknown format
# 'hdc:cdrom': xl takes a positional that is not a format name as the
# vdev.  Now an empty CD-ROM drive on hdc, next to the disk.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img jq
cd "$T"
qemu-img create -q -f raw disk.img 1M
printf 'name = "x"\nmemory = 256\nbuilder = "hvm"\ndisk = [ "disk.img,raw,hda,w", ",hdc:cdrom,r", "disk.img,hdb,r" ]\n' >x.cfg
"$V2KVM" --no-convert -i xen x.cfg --print-source --machine-readable >all ||
    fail "x.cfg refused"
grep -v '"type":"warning"' all >src.json
jq -e '(.disks | length) == 3
  and .disks[1].device == "cdrom" and .disks[1].path == null
  and .disks[1].target_dev == "hdc" and .disks[1].bus == "ide"
  and .disks[1].slot == 2
  and .disks[2].target_dev == "hdb" and .disks[2].device == "disk"' \
    src.json >/dev/null || fail "$(cat src.json)"
