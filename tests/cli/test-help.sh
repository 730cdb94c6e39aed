#!/bin/bash
# What users see comes from the tables, and the man page keeps up:
#   - --list-inputs/-outputs/-steps print the tables (text, and JSON lines
#     with --machine-readable), and --help lists the same modes;
#   - v2kvm(1)'s INPUT MODES, OUTPUT MODES and rewrite step lists name
#     exactly those (a mode or step added to a table without the man page,
#     or the other way round, fails here);
#   - every long option of the parser (converters/options.c) appears in
#     --help and in v2kvm(1);
#   - every -io/-oo key --help shows is one the parser accepts.
. "$(dirname "$0")/../lib/test-lib.sh"
need jq perl

pod=${V2K_SOURCE_DIR:?}/docs/v2kvm.pod
opts=$V2K_SOURCE_DIR/converters/options.c
"$V2KVM" --help >"$T/help"

# sorted_eq WHAT FILE1 FILE2: same lines in any order.
sorted_eq() {
    if ! diff <(sort "$2") <(sort "$3") >"$T/diff"; then
        cat "$T/diff" >&2
        fail "$1 differ (< $(basename "$2"), > $(basename "$3"))"
    fi
}

# --- the --list-* options: text and JSON agree, one row per entry -------
for kind in inputs outputs; do
    "$V2KVM" --list-$kind >"$T/$kind.txt"
    "$V2KVM" --list-$kind --machine-readable >"$T/$kind.json"
    type=${kind%s}
    jq -e --arg t "$type" 'select(.type != $t or (.name|type) != "string"
                                  or (.help|length) == 0)' \
        "$T/$kind.json" >/dev/null && fail "--list-$kind: a bad JSON line"
    jq -r .name "$T/$kind.json" >"$T/$kind.names"
    awk '{print $1}' "$T/$kind.txt" >"$T/$kind.txtnames"
    cmp -s "$T/$kind.names" "$T/$kind.txtnames" ||
        fail "--list-$kind: text and JSON name different entries"
    [ "$(wc -l <"$T/$kind.names")" -ge 4 ] || fail "--list-$kind: too few"
    # Each one is in --help with its one-line help's first words.
    while IFS=$'\t' read -r name help; do
        grep -qE "^  $name( -os DIR)? +${help%% *} " "$T/help" ||
            fail "--help does not list $type '$name'"
    done < <(jq -r '[.name, .help] | @tsv' "$T/$kind.json")
done
grep -qx "disk" "$T/inputs.names" && grep -qx "ova" "$T/inputs.names" ||
    fail "--list-inputs lacks disk or ova"
# The modes the "unknown mode" error lists are the same.
expect_fail "$V2KVM" -i nosuch x -o null
assert_grep "input modes: $(paste -sd, "$T/inputs.names" | sed 's/,/, /g'))" "$T/err"

"$V2KVM" --list-steps --machine-readable >"$T/steps.json"
jq -e 'select(.type != "step" or (.os != "linux" and .os != "windows") or
              (.heading|length) == 0)' \
    "$T/steps.json" >/dev/null && fail "--list-steps: a bad JSON line"
"$V2KVM" --list-steps >"$T/steps.txt"
# Per OS family: order 1..N, the text's "FAMILY:" block lists the same
# names in the same order.
for os in linux windows; do
    jq -c --arg os "$os" 'select(.os == $os)' "$T/steps.json" >"$T/steps-$os.json"
    [ -s "$T/steps-$os.json" ] || fail "--list-steps: no $os steps"
    [ "$(jq -r .order "$T/steps-$os.json" | paste -sd' ')" = \
      "$(seq "$(wc -l <"$T/steps-$os.json")" | paste -sd' ')" ] ||
        fail "--list-steps: the $os order is not 1..N"
    jq -r .name "$T/steps-$os.json" >"$T/steps-$os.names"
    awk -v h="$os:" '$0 == h { on = 1; next } /^[a-z]+:$/ { on = 0 }
                     on { print $1 }' "$T/steps.txt" >"$T/steps-$os.txtnames"
    cmp -s "$T/steps-$os.names" "$T/steps-$os.txtnames" ||
        fail "--list-steps: text and JSON differ for $os"
done
[ "$(head -1 "$T/steps.txt")" = "linux:" ] || fail "--list-steps: no family line"
grep -qx kernel "$T/steps-linux.names" && grep -qx initramfs "$T/steps-linux.names" ||
    fail "--list-steps lacks kernel or initramfs"
grep -qx registry "$T/steps-windows.names" || fail "--list-steps lacks registry"

# --- the man page's lists ------------------------------------------------
# Its mode sections: "=item B<-i NAME>..." and "=item B<-o NAME ...>...".
perl -ne 'print "$1\n" if /^=head1 INPUT MODES/../^=head1 OUTPUT MODES/ and
          /^=item B<-i ([a-z]+)/' "$pod" | sort -u >"$T/pod-inputs"
perl -ne 'print "$1\n" if /^=head1 OUTPUT MODES/../^=head1 THE DOMAIN/ and
          /^=item B<-o ([a-z]+)/' "$pod" | sort -u >"$T/pod-outputs"
sorted_eq "input modes of --list-inputs and v2kvm(1)" "$T/inputs.names" "$T/pod-inputs"
sorted_eq "output modes of --list-outputs and v2kvm(1)" "$T/outputs.names" "$T/pod-outputs"
# The steps: "=item B<NAME>" in =head2 Rewrite steps (Linux) and
# =head2 Windows guests, in table order.
perl -ne 'print "$1\n" if /^=head2 Rewrite steps/.../^=head/ and
          /^=item B<([a-z-]+)>/' "$pod" >"$T/pod-steps-linux"
perl -ne 'print "$1\n" if /^=head2 Windows guests/.../^=head/ and
          /^=item B<([a-z-]+)>/' "$pod" >"$T/pod-steps-windows"
for os in linux windows; do
    cmp -s "$T/steps-$os.names" "$T/pod-steps-$os" || {
        diff "$T/steps-$os.names" "$T/pod-steps-$os" >&2
        fail "the $os steps of --list-steps and v2kvm(1) differ (order counts)"
    }
done

# --- every long option in --help and in the man page ---------------------
perl -ne 'print "$1\n" if /^static const struct option longopts/../^};/ and
          /^\s*\{ "([a-z-]+)",/' "$opts" >"$T/longopts"
[ "$(wc -l <"$T/longopts")" -ge 30 ] || fail "longopts not found in $opts"
while read -r o; do
    # Two-letter ones are virt-v2v's single-dash -ic, -os ...
    if [ ${#o} = 2 ]; then spelled=-$o; else spelled=--$o; fi
    grep -qe "$spelled\b" "$T/help" || fail "--help does not mention $spelled"
    grep -qe "B<$spelled>" "$pod" || fail "v2kvm(1) does not document $spelled"
done <"$T/longopts"

# --- every -io / -oo key shown is accepted --------------------------------
# (--list-inputs stops after parsing: only the option's parser runs.)
grep -oE '^  -(io|oo) [a-z*-]+(=[^ ]+)?' "$T/help" >"$T/keys"
[ "$(grep -c -- -io "$T/keys")" -ge 6 ] || fail "--help lists few -io keys"
[ "$(grep -c -- -oo "$T/keys")" -ge 6 ] || fail "--help lists few -oo keys"
while read -r opt kv; do
    key=${kv%%=*} key=${key/\*/libdir}
    case $kv in
    *=*) val=${kv#*=} val=${val%%|*}
         case $val in N) val=100 ;; CPUSET) val=0-3 ;; [A-Z]*) val=x ;; esac
         arg=$key=$val ;;
    *) arg=$key ;;
    esac
    "$V2KVM" --list-inputs "$opt" "$arg" >/dev/null 2>"$T/err" ||
        { cat "$T/err" >&2; fail "--help shows $opt $kv, the parser refuses $arg"; }
done <"$T/keys"
# The "unknown option" errors list the same keys.
expect_fail "$V2KVM" --list-inputs -oo nosuch
assert_grep "known: keep-uuid, machine=, hugepages, blkio-weight=, seclabel=, cpu-pinning=)" "$T/err"

# --list-* need no -i or -o and are not usage errors.
"$V2KVM" --list-outputs >/dev/null
echo "test-help: ok"
