#!/usr/bin/env bash
# Auditor proofs as data: iapt-audit checkpoint / proof / consistency print
# the hub's signed checkpoint, inclusion proofs (c2sp.org/tlog-proof@v1) and
# consistency proofs (the c2sp.org/tlog-witness add-checkpoint body), and an
# independent verifier written from RFC 9162 and the C2SP specifications
# (c2sp_verify.py, PyNaCl for Ed25519) checks them from the printed data and
# the hub's public key alone. Every tampered line must make it fail.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
synth --providers 3 --months 1 --seed 11 --start $PERIOD --scale 0.1
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init 3
for i in 1 2 3; do
    org=$(printf 'P%02d' $i)
    src=$(sed -n "$((i + 1))p" "$W/synth/providers.csv" | cut -d, -f1)
    mkdir -p "$W/ex/$org"
    cp -r "$W/synth/$src/$PERIOD" "$W/ex/$org/"
    sed -i "2s/^$src,/$org,/; 2s/,$src,/,$org,/" "$W/ex/$org/$PERIOD/IDS000Header.csv"
done
hub_start || { echo "hub did not start"; cat "$W/hub/hub.log"; }

mkdir -p "$W/auditor" "$W/p"
cp "$W/registry.csv" "$W/auditor/registry.csv"
cp "$W/keys/HUB.pub" "$W/auditor/hub.pub"
cat >"$W/auditor/audit.conf" <<EOC
endpoint = tcp://127.0.0.1:$QUERY_PORT
key = ../keys/AUDITOR.secret
hub-public = hub.pub
hub-name = $HUB_NAME
registry = registry.csv
state = audit.state
timeout-ms = 10000
EOC

submit() { node "$1" submit --extract "$W/ex/$1/$PERIOD" --period $PERIOD --deadline 60 >>"$W/submit.log" 2>&1; }
# audit OUT ARGS...: iapt-audit with the auditor's configuration; stdout to
# $W/p/OUT, stderr to $W/p/OUT.err, the exit status in $W/p/OUT.rc.
audit() {
    local out=$1; shift
    "$BIN/iapt-audit" --config "$W/auditor/audit.conf" "$@" >"$W/p/$out" 2>"$W/p/$out.err"
    echo $? >"$W/p/$out.rc"
}
rc_of() { cat "$W/p/$1.rc"; }
# verify KIND FILE [ARGS]: the independent verifier, with only the hub's
# public key file and name.
VERIFY="$PY $IAPT_ROOT/tests/integration/c2sp_verify.py"
verify() {
    local kind=$1 file=$2; shift 2
    $VERIFY "$kind" --name "$HUB_NAME" --key "$W/auditor/hub.pub" "$@" "$file"
}
# refutes NAME KIND FILE [ARGS]: the verifier must fail on FILE (exit 1, FAIL line).
refutes() {
    local name=$1; shift
    local out
    out=$(verify "$@" 2>&1)
    local rc=$?
    if [ $rc = 1 ] && [[ "$out" == FAIL:* ]]; then
        T_PASS=$((T_PASS + 1)); printf 'ok   %s (%s)\n' "$name" "$out"
    else
        T_FAIL=$((T_FAIL + 1)); printf 'FAIL %s: exit %s: %s\n' "$name" "$rc" "$out"
    fi
}
# flip FILE LINE [SKIP]: a copy of FILE with one base64 character of line
# LINE changed (the first after any "word " prefix, or SKIP characters
# further), so one byte of the decoded data differs.
flip() {
    $PY - "$1" "$2" "${3:-0}" <<'EOF'
import sys
path, n, skip = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = open(path, encoding="utf-8").read().split("\n")
l = lines[n - 1]
i = l.rfind(" ") + 1 + skip
c = l[i]
lines[n - 1] = l[:i] + ("B" if c != "B" else "C") + l[i + 1:]
sys.stdout.write("\n".join(lines))
EOF
}

check "the independent verifier passes the RFC 6962 reference vectors (and refutes altered ones)" \
    $VERIFY selftest

# --- a first submission, and the checkpoint of that log of one -------------------------
submit P01
audit cp1 checkpoint
check_eq "checkpoint of the log of one: exit 0" 0 "$(rc_of cp1)"
check "  the report goes to stderr, the note to stdout" grep -q "^checkpoint: verified" "$W/p/cp1.err"
check_eq "  stdout is the signed note verbatim: origin, size, root, blank, signature" \
    "$HUB_NAME|1|1" "$(sed -n 1p "$W/p/cp1")|$(sed -n 2p "$W/p/cp1")|$(sed -n '5p' "$W/p/cp1" | grep -c "^— $HUB_NAME ")"
check "  the independent verifier accepts it" verify checkpoint "$W/p/cp1"

submit P02
audit cp2 checkpoint
submit P03
# A corrected re-export supersedes P01's first: four leaves.
node P01 submit --extract "$(reexport "$W/ex/P01/$PERIOD" 1)" --period $PERIOD --deadline 60 \
    >>"$W/submit.log" 2>&1
mapfile -t IDS < <(query AUDITOR submissions --period $PERIOD --format csv |
    $PY -c 'import csv,sys; [print(r["log_index"], r["submission_id"]) for r in csv.DictReader(sys.stdin) if r["submission_id"]]' | sort -n)
check_eq "four submissions in the log" 4 "${#IDS[@]}"

# --- checkpoints ---------------------------------------------------------------------------
note "checkpoints"
audit cp4 checkpoint
check_eq "the latest checkpoint: exit 0" 0 "$(rc_of cp4)"
check_eq "  the verifier reads size 4 from it" "4" \
    "$(verify checkpoint "$W/p/cp4" | sed -n 's/^checkpoint verifies: size \([0-9]*\) .*/\1/p')"
check_eq "  the same note iapt-query shows" "$(query AUDITOR checkpoint)" "$(cat "$W/p/cp4")"
audit cp1_again checkpoint --size 1
check_eq "checkpoint --size 1: exit 0" 0 "$(rc_of cp1_again)"
check "  is byte for byte the one printed when the log had one leaf" cmp "$W/p/cp1" "$W/p/cp1_again"
check "  checked to be a prefix of the latest" grep -q "^ok   consistency: size 1 is a prefix of size 4" "$W/p/cp1_again.err"
audit cp_out checkpoint --out "$W/p/cp4.file"
check "checkpoint --out FILE writes the file" cmp "$W/p/cp4" "$W/p/cp4.file"
check "  and the report goes to stdout then" grep -q "^checkpoint: verified.*written to" "$W/p/cp_out"
audit cp_big checkpoint --size 99
check_eq "checkpoint --size past the log: usage error 2" 2 "$(rc_of cp_big)"
check "  nothing on stdout" test ! -s "$W/p/cp_big"
audit cp_abc checkpoint --size abc
check_eq "checkpoint --size abc: usage error 2" 2 "$(rc_of cp_abc)"

# --- inclusion proofs ----------------------------------------------------------------------
note "inclusion proofs (c2sp.org/tlog-proof@v1)"
for line in "${IDS[@]}"; do
    idx=${line%% *} id=${line#* }
    audit "proof$idx" proof "$id"
    check_eq "proof of leaf $idx: exit 0" 0 "$(rc_of "proof$idx")"
    out=$(verify proof "$W/p/proof$idx" --leaf-id "$id")
    check_eq "  the verifier: leaf $idx of 4, the leaf's SHA-256 is the submission id" \
        "inclusion verifies: leaf $idx of 4" "$(echo "$out" | sed 's/ (.*//')"
    check "  its SHA-256 is $id" bash -c "echo '$out' | grep -q 'leaf sha256 $id'"
done
P=$W/p/proof2
check_eq "the proof's lines: header, extra, index, 2 hashes, blank, checkpoint" \
    "c2sp.org/tlog-proof@v1|extra|index 2|2" \
    "$(sed -n 1p "$P")|$(sed -n 2p "$P" | cut -d' ' -f1)|$(sed -n 3p "$P")|$(sed -n '4,5p' "$P" | grep -cE '^[A-Za-z0-9+/]{43}=$')"
check "  ends with the latest checkpoint verbatim" bash -c "tail -n +7 '$P' | cmp - '$W/p/cp4'"

flip "$P" 4 >"$W/p/t_hash"
refutes "a proof hash with one byte changed fails" proof "$W/p/t_hash"
flip "$P" 2 >"$W/p/t_leaf"
refutes "a leaf (extra) with one byte changed fails" proof "$W/p/t_leaf"
sed '3s/^index 2$/index 3/' "$P" >"$W/p/t_index"
refutes "the proof moved to another index fails" proof "$W/p/t_index"
sed '5d' "$P" >"$W/p/t_short"
refutes "a proof with a hash left out fails" proof "$W/p/t_short"
flip "$P" 9 >"$W/p/t_root"
refutes "a checkpoint whose root changed fails its signature" proof "$W/p/t_root"
sig_line=$(grep -n "^— " "$P" | cut -d: -f1)
flip "$P" "$sig_line" 20 >"$W/p/t_sig"
refutes "a signature with one byte changed fails" proof "$W/p/t_sig"
flip "$P" "$sig_line" >"$W/p/t_keyid"
refutes "a signature under another key id is ignored: nothing verifies" proof "$W/p/t_keyid"
refutes "another key fails" proof "$P" --key "$($PY -c 'import os,base64; print(base64.b64encode(os.urandom(32)).decode())')"
refutes "the right leaf under another id fails" proof "$P" --leaf-id "$(printf '%064d' 0)"
audit proof_none proof "$(printf '%064d' 0)"
check_eq "proof of an id the hub does not hold: exit 1" 1 "$(rc_of proof_none)"
check "  naming it, and nothing printed" bash -c "grep -q '^FAIL submission 0*: the hub answered' '$W/p/proof_none.err' && test ! -s '$W/p/proof_none'"
audit proof_bad proof abc
check_eq "proof of a malformed id: usage error 2" 2 "$(rc_of proof_bad)"

# --- consistency proofs --------------------------------------------------------------------
note "consistency proofs (c2sp.org/tlog-witness add-checkpoint body)"
for m in 1 2 3; do audit "cpat$m" checkpoint --size $m; done
for m in 0 1 2 3 4; do
    for n in 1 2 3 4; do
        [ $m -le $n ] || continue
        audit "cons$m-$n" consistency --from $m --to $n
        old=()
        [ $m -gt 0 ] && old=(--old "$W/p/cpat$m")
        [ $m = 4 ] && old=(--old "$W/p/cp4")
        got=$(verify consistency "$W/p/cons$m-$n" "${old[@]}")
        check_eq "consistency $m -> $n: iapt-audit exit 0, the verifier agrees" \
            "0 consistency verifies: $m -> $n" "$(rc_of "cons$m-$n") $(echo "$got" | sed 's/ (.*//')"
    done
done
audit cons_latest consistency --from 1
check "consistency --from 1 goes to the latest checkpoint" cmp "$W/p/cons_latest" "$W/p/cons1-4"
check "  which it ends with, verbatim" bash -c "tail -n +\$(( \$(grep -n '^\$' '$W/p/cons1-4' | head -1 | cut -d: -f1) + 1 )) '$W/p/cons1-4' | cmp - '$W/p/cp4'"
check_eq "  its first line" "old 1" "$(head -n1 "$W/p/cons1-4")"
check_eq "from the empty tree the proof is empty (tlog-witness)" "old 0|" "$(sed -n 1p "$W/p/cons0-4")|$(sed -n 2p "$W/p/cons0-4")"
C=$W/p/cons1-4
flip "$C" 2 >"$W/p/t_cons"
refutes "a consistency hash with one byte changed fails" consistency "$W/p/t_cons" --old "$W/p/cpat1"
sed '1s/^old 1$/old 2/' "$C" >"$W/p/t_old"
refutes "the proof claimed for another old size fails" consistency "$W/p/t_old" --old "$W/p/cpat2"
refutes "checked against another old checkpoint fails" consistency "$C" --old "$W/p/cpat2"
flip "$W/p/cpat1" 3 >"$W/p/t_oldcp"
refutes "an old checkpoint with its root changed fails" consistency "$C" --old "$W/p/t_oldcp"
audit cons_usage consistency
check_eq "consistency without --from: usage error 2" 2 "$(rc_of cons_usage)"
audit cons_past consistency --from 3 --to 2
check_eq "consistency --from past --to: usage error 2" 2 "$(rc_of cons_past)"
audit cons_opt verify-log --from 1
check_eq "--from on another command: usage error 2" 2 "$(rc_of cons_opt)"

# The state advanced with the verified runs: a verify-log agrees.
audit vlog verify-log
check_eq "verify-log after the proofs: exit 0" 0 "$(rc_of vlog)"
check "  the log is the one the proofs were printed for" grep -q "^ok   consistency: the log is the one verified" "$W/p/vlog"

finish
