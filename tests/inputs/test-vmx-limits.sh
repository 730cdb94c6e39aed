#!/bin/bash
# VMX devices past VMware's limits (Configuration Maximums: 4 SCSI
# adapters of 16 targets where unit 7 is the adapter, 4 SATA of 30
# ports, 2 IDE channels of 2, 4 NVMe of 15) used to be dropped silently,
# and with them a disk of the guest.  Now each is refused with one line
# naming the file, the line and the key; the last valid units still work.
. "$(dirname "$0")/../lib/test-lib.sh"
cd "$T"

head='displayName = "v"
memsize = "256"
scsi0.present = "TRUE"
sata0.present = "TRUE"
sata3.present = "TRUE"
nvme0.present = "TRUE"
'
cd_at() {   # cd_at DEV: a present CD-ROM (needs no file) at DEV
    printf '%s.present = "TRUE"\n%s.deviceType = "cdrom-raw"\n' "$1" "$1"
}
refused() {     # refused DEV MESSAGE
    { printf '%s' "$head"; cd_at "$1"; } >"$1.vmx"
    expect_fail "$V2KVM" --no-convert -i vmx "$1.vmx" --print-source
    [ "$(wc -l <"$T/err")" = 1 ] || fail "$1: not one line: $(cat "$T/err")"
    assert_grep "$1.vmx:7: $1.present: $2" "$T/err"
}
refused scsi4:0 "scsi4:0 is beyond VMware's limits (scsi0-3, units 0-15 but 7, the adapter)"
refused scsi0:7 "scsi0:7 is beyond VMware's limits"
refused scsi0:16 "scsi0:16 is beyond"
refused sata0:30 "sata0:30 is beyond VMware's limits (sata0-3, units 0-29)"
refused ide2:0 "ide2:0 is beyond VMware's limits (ide0-1, units 0-1)"
refused ide1:2 "ide1:2 is beyond"
refused nvme4:0 "nvme4:0 is beyond VMware's limits (nvme0-3, units 0-14)"
refused nvme0:15 "nvme0:15 is beyond"
refused sata0:99999999999999999999 "sata0:1000000000 is beyond"

# A device switched off is no device; the last valid units are kept.
{ printf '%s' "$head"; cd_at scsi0:15; cd_at sata3:29; cd_at ide1:1
  cd_at nvme0:14; printf 'scsi9:0.present = "FALSE"\n'; } >ok.vmx
"$V2KVM" --no-convert -i vmx ok.vmx --print-source --machine-readable >src.json ||
    fail "ok.vmx refused"
n=$(grep -v '"type":"warning"' src.json | jq '.disks | length')
[ "$n" = 4 ] || fail "ok.vmx: $n devices, expected 4: $(cat src.json)"
