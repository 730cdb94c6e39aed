#!/bin/bash
# A VM name that is not UTF-8 (a .vmx displayName in Latin-1 bytes) made
# a domain XML that no XML parser reads, with exit 0, and whose <source
# file> could not name the file written.  Now: a .vmx's ".encoding" is
# honoured (the name is converted to UTF-8, and the XML validates, defines
# in libvirt and names the files written); without it, bytes that are
# not UTF-8 are refused with one line (use -on NAME), and nothing is
# written.
. "$(dirname "$0")/../lib/test-lib.sh"
need qemu-img virt-xml-validate virsh xmllint

cd "$T"
qemu-img create -q -f raw disk.img 1M
vmx() {     # vmx FILE [ENCODING-LINE]
    { printf '%s' "${2:-}"
      printf 'displayName = "B\xfcro \xe9t\xe9"\nmemsize = "256"\n'
      printf 'scsi0.present = "TRUE"\nscsi0:0.present = "TRUE"\n'
      printf 'scsi0:0.fileName = "disk.img"\n'; } >"$1"
}

# No .encoding: refused, nothing written.
vmx latin.vmx
mkdir out0
expect_fail "$V2KVM" --no-convert -i vmx latin.vmx -o local -os out0
[ "$(wc -l <"$T/err")" = 1 ] || fail "not one line: $(cat "$T/err")"
assert_grep "VM name is not valid UTF-8 (use -on NAME)" "$T/err"
[ -z "$(ls -A out0)" ] || fail "output left behind: $(ls -A out0)"
# -on gives a name.
mkdir out1
"$V2KVM" --no-convert -q -i vmx latin.vmx -on buero -o local -os out1 ||
    fail "-on buero refused"
virt-xml-validate out1/buero.xml domain >/dev/null || fail "buero.xml invalid"

# .encoding = "windows-1252" (as Workstation on Windows writes it).
vmx cp1252.vmx '.encoding = "windows-1252"
'
"$V2KVM" --no-convert -i vmx cp1252.vmx --print-source --machine-readable >src.json
jq -e '.name == "Büro été"' src.json >/dev/null || fail "$(cat src.json)"
mkdir out2
"$V2KVM" --no-convert -q -i vmx cp1252.vmx -o local -os out2 ||
    fail "conversion failed"
xml="out2/Büro été.xml"
[ -f "$xml" ] || fail "no $xml: $(ls out2)"
virt-xml-validate "$xml" domain >/dev/null || fail "$xml does not validate"
[ "$(xmllint --xpath 'string(/domain/name)' "$xml")" = "Büro été" ] ||
    fail "<name> is not the UTF-8 name"
src=$(xmllint --xpath 'string(//disk/source/@file)' "$xml")
[ -f "$src" ] || fail "<source file='$src'> is not a file written: $(ls out2)"
virsh -q -c test:///default "define '$xml'; dominfo 'Büro été'" >virsh.out 2>&1 ||
    fail "virsh define: $(cat virsh.out)"

# An .encoding iconv does not know is an error naming the line.
vmx bad.vmx '.encoding = "no-such-charset"
'
expect_fail "$V2KVM" --no-convert -i vmx bad.vmx --print-source
assert_grep 'bad.vmx:1: .encoding = "no-such-charset": unknown character set' "$T/err"
