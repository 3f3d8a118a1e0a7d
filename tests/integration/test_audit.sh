#!/usr/bin/env bash
# iapt-audit against a real hub on loopback, with the auditor's own copies of
# the keys, registry and geography: the happy path, then a hub whose store
# was altered, rolled back, forked, or whose keys do not match, a provider key
# revoked before or after signing, and receipt bundles altered in transit.
# Every check of a failure expects exit status 1 and the line naming it;
# the state file is checked to stay where the last verified run left it.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
synth --providers 3 --months 1 --seed 7 --start $PERIOD --scale 0.2
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

TOOLS="$PY $IAPT_ROOT/tests/integration/audit_tools.py"
# The auditor keeps its own copies: what the hub is checked against.
mkdir -p "$W/auditor"
cp "$W/registry.csv" "$W/auditor/registry.csv"
cp "$W/geography.csv" "$W/auditor/geography.csv"
cp "$W/keys/HUB.pub" "$W/auditor/hub.pub"
cat >"$W/auditor/audit.conf" <<EOC
endpoint = tcp://127.0.0.1:$QUERY_PORT
key = ../keys/AUDITOR.secret
hub-public = hub.pub
hub-name = $HUB_NAME
registry = registry.csv
geography = geography.csv
state = audit.state
timeout-ms = 10000
EOC
STATE="$W/auditor/audit.state"

# Each submission is a new export: the Nth has referral lines 20N-18..20N+1
# left out, so no two are identical (an identical extract would not be sent
# again: the node's gate).
NSUB=0
submit() {
    NSUB=$((NSUB + 1))
    node "$1" submit --extract "$(reexport "$W/ex/$1/$PERIOD" $NSUB)" --period $PERIOD \
        --deadline 60 >>"$W/submit.log" 2>&1
}
snapshot() { hub_stop; rm -rf "$W/$1"; cp -a "$W/hub/data" "$W/$1"; hub_start; }
restore() { hub_stop; rm -rf "$W/hub/data"; cp -a "$W/$1" "$W/hub/data"; hub_start; }
state_size() { sed -n 's/^size //p' "$STATE"; }
# Current submission ids of the period, one "ORG ID" line each.
current_ids() {
    query AUDITOR submissions --period $PERIOD --format csv |
        $PY -c 'import csv,sys; [print(r["org_code"], r["submission_id"]) for r in csv.DictReader(sys.stdin) if r["current"]=="true"]'
}

# expect NAME STATUS OUT ARGS...: iapt-audit ARGS (with the auditor's
# configuration) must exit STATUS; its output is kept in $W/OUT.out.
expect() {
    local name=$1 want=$2 out=$3; shift 3
    "$BIN/iapt-audit" --config "$W/auditor/audit.conf" "$@" >"$W/$out.out" 2>&1
    local got=$?
    if [ "$got" = "$want" ]; then
        T_PASS=$((T_PASS + 1)); printf 'ok   %s\n' "$name"
    else
        T_FAIL=$((T_FAIL + 1)); printf 'FAIL %s: exit %s, expected %s\n' "$name" "$got" "$want"
        tail -n 25 "$W/$out.out" | sed 's/^/     | /'
    fi
}
# says NAME OUT PATTERN: the output of that run has a line matching PATTERN.
says() {
    if grep -qE "$3" "$W/$2.out"; then
        T_PASS=$((T_PASS + 1)); printf 'ok   %s\n' "$1"
    else
        T_FAIL=$((T_FAIL + 1)); printf 'FAIL %s: no line matching [%s]\n' "$1" "$3"
        tail -n 25 "$W/$2.out" | sed 's/^/     | /'
    fi
}

# --- a log of four: three providers, P01 twice (its second supersedes) ---------------------
submit P01; submit P02; submit P03
snapshot snap3
submit P01
snapshot snap4
mapfile -t IDS < <(current_ids)
check_eq "four submissions, three current" "3 4" \
    "${#IDS[@]} $(query AUDITOR checkpoint --format json | $PY -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')"
id_of() { for l in "${IDS[@]}"; do [ "${l%% *}" = "$1" ] && echo "${l#* }"; done; }
P01_OLD=$(query AUDITOR submissions --period $PERIOD --org P01 --format csv |
    $PY -c 'import csv,sys; [print(r["submission_id"]) for r in csv.DictReader(sys.stdin) if r["current"]=="false"]')

# --- 1. the happy path -------------------------------------------------------------------------
note "happy path"
expect "verify-log on a first run" 0 log1 verify-log
says "  it trusts the first checkpoint and keeps it" log1 "first one trusted"
check_eq "  the state holds size 4" 4 "$(state_size)"
expect "verify-log --full" 0 full1 verify-log --full --verbose
says "  every leaf fetched, the tree has the checkpoint's root" full1 "^ok   leaves: 4 fetched"
says "  every manifest verifies against the auditor's registry" full1 "^ok   manifests: all 4 verify"
says "  --verbose gives the leaves' rate" full1 "^# leaves: 4 .* leaves/s"
for org in P01 P02 P03; do
    expect "verify-submission of $org's current submission" 0 "sub_$org" verify-submission "$(id_of $org)"
done
says "  the manifest, inclusion, receipt and records are each checked" sub_P02 "^ok   inclusion: P02"
says "  the hub's receipt is checked too" sub_P02 "^ok   receipt of P02 .* a prefix of the verified log"
says "  the records hash to the signed root" sub_P02 "^ok   records of P02 .* hash to the signed root"
expect "verify-submission of P01's superseded submission" 0 sub_old verify-submission "$P01_OLD"
expect "recompute, every breakdown" 0 re1 recompute --period $PERIOD --verbose
says "  latest wins: P01's second submission is the one recomputed" re1 "^ok   records of P01 2025-09 sequence 2"
check "  and not its first" bash -c "! grep -q 'records of P01 2025-09 sequence 1' $W/re1.out"
says "  the whole groups match" re1 "^ok   measures 2025-09 \(no breakdown\): all [0-9]+ published rows equal"
says "  the last breakdown matches" re1 "^ok   measures 2025-09 \(ltc\): all [0-9]+ published rows equal"
says "  --verbose gives the records' rate" re1 "^# records: .* records/s"
expect "recompute --breakdown age" 0 re_age recompute --period $PERIOD --breakdown age
check "  compares only that breakdown and the whole groups" \
    bash -c "[ \$(grep -c '^ok   measures' $W/re_age.out) = 2 ]"
expect "recompute of a month with no submissions" 0 re_empty recompute --period 2025-08

# Usage and connection errors are 2, never 0 or 1.
expect "--help" 0 help --help
expect "an id that is not 64 hex characters is a usage error" 2 use1 verify-submission abc
expect "an unknown command is a usage error" 2 use2 verify-everything
expect "no hub answering is a connection error" 2 conn1 verify-log --endpoint tcp://127.0.0.1:1 --timeout-ms 500
expect "an id the hub does not hold fails" 1 sub_none verify-submission "$(printf '%064d' 0)"
says "  naming it" sub_none "^FAIL submission 0+: the hub answered: no accepted submission"

# A comparison that must be able to fail: the auditor's geography puts a
# commissioner the records use in another ICB, so ICB rows differ.
USED=$(query AUDITOR measures --period $PERIOD --group-type SubICB --measure M001 --format csv |
    $PY -c 'import csv,sys; print(next(csv.DictReader(sys.stdin))["ORG_CODE1"])')
$PY - "$W/geography.csv" "$W/auditor/geo-moved.csv" "$USED" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
moved = next(r for r in rows if r["subicb_code"] == sys.argv[3])
other = next(r for r in rows if r["icb_code"] != moved["icb_code"])
for k in ("icb_code", "icb_name", "region_code", "region_name"):
    moved[k] = other[k]
w = csv.DictWriter(open(sys.argv[2], "w", newline=""), fieldnames=list(rows[0].keys()),
                   lineterminator="\n")
w.writeheader()
w.writerows(rows)
EOF
expect "recompute with a geography that differs from the hub's fails" 1 re_geo \
    recompute --period $PERIOD --breakdown none --geography "$W/auditor/geo-moved.csv"
says "  with the number of differences" re_geo "^FAIL measures 2025-09 \(no breakdown\): [0-9]+ differences"
says "  naming each row: period, group, org, measure, both sides" re_geo \
    "^     - 2025-09 ICB [A-Z0-9]+ M[0-9]+ [A-Za-z_]+: (hub '[^']*', recomputed '[^']*'|missing from the hub's rows \(recomputed '[^']*'\)|the hub publishes '[^']*')"

# --- 7. a checkpoint not signed by the key the auditor holds -------------------------------------
note "hub key mismatch"
"$BIN/iapt-keygen" --org OTHERHUB --role hub --out "$W/other" >/dev/null 2>&1
# The hub's CURVE key (so the connection is made) with another hub's signing key.
{ grep -v '^sign-public' "$W/keys/HUB.pub"; grep '^sign-public' "$W/other/OTHERHUB.pub"; } >"$W/auditor/mixed.pub"
cp "$STATE" "$W/state.before"
expect "verify-log with another hub's signing key fails" 1 key1 verify-log --hub-public "$W/auditor/mixed.pub"
says "  on the checkpoint" key1 "^FAIL checkpoint: not signed by the hub key"
expect "verify-log under another log name fails" 1 key2 verify-log --hub-name other.example/log
says "  on the checkpoint" key2 "^FAIL checkpoint: not signed by the hub key other.example/log"
expect "verify-submission with another hub's signing key fails" 1 key3 \
    verify-submission "$(id_of P02)" --hub-public "$W/auditor/mixed.pub"
check "  the state is left as it was" cmp -s "$STATE" "$W/state.before"
expect "another hub's keys altogether: no connection (exit 2)" 2 key4 \
    verify-log --hub-public "$W/other/OTHERHUB.pub" --timeout-ms 1000

# --- 6. receipts -------------------------------------------------------------------------------
note "receipts"
node P01 receipt --sequence 2 --out "$W/b1" >/dev/null 2>&1
node P02 receipt --sequence 1 --out "$W/b2" >/dev/null 2>&1
expect "a bundle from iapt-node receipt verifies" 0 rc1 verify-receipt "$W/b1"
says "  signature, fields, checkpoint and inclusion" rc1 "^ok   receipt of P01 2025-09 sequence 2 .* inclusion proof verifies"
says "  and, with the registry, the provider's signature" rc1 "^ok   manifest of P01"
"$BIN/iapt-audit" verify-receipt "$W/b2" --hub-public "$W/keys/HUB.pub" --hub-name "$HUB_NAME" >"$W/rc_off.out" 2>&1
check_eq "offline, with only --hub-public and --hub-name" 0 $?
$TOOLS bundle --in "$W/b1" --out "$W/b1.sig" --change signature
expect "one byte of the receipt's signature flipped: refused" 1 rc2 verify-receipt "$W/b1.sig"
says "  naming the signature" rc2 "^FAIL receipt: receipt signature does not verify"
$TOOLS bundle --in "$W/b1" --out "$W/b1.idx" --change log-index
expect "the receipt's log index changed: refused" 1 rc3 verify-receipt "$W/b1.idx"
$TOOLS bundle --in "$W/b1" --out "$W/b1.idx2" --change log-index-resigned --hub-secret "$W/keys/HUB.secret"
expect "the log index changed and signed again with the hub's key: refused" 1 rc4 verify-receipt "$W/b1.idx2"
says "  by the inclusion proof" rc4 "^FAIL receipt: inclusion proof does not verify"
$TOOLS bundle --in "$W/b1" --out "$W/b1.swap" --change swap-receipt --other "$W/b2"
expect "P02's receipt with P01's manifest: refused" 1 rc5 verify-receipt "$W/b1.swap"
expect "a receipt checked with another hub's key: refused" 1 rc6 verify-receipt "$W/b1" --hub-public "$W/other/OTHERHUB.pub"
head -c 300 /dev/urandom >"$W/junk"
expect "a file that is not a bundle: refused" 1 rc7 verify-receipt "$W/junk"
expect "a bundle that is not there: an I/O error" 2 rc8 verify-receipt "$W/nothing"

# --- 5. revoked keys ------------------------------------------------------------------------------
note "revoked keys"
sed "s/^\(P02,[^,]*,provider,\)active,,/\1revoked,2000-01-01T00:00:00Z,/" \
    "$W/auditor/registry.csv" >"$W/auditor/reg-before.csv"
later=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
sed "s/^\(P02,[^,]*,provider,\)active,,/\1revoked,$later,/" \
    "$W/auditor/registry.csv" >"$W/auditor/reg-after.csv"
expect "P02's key revoked before it signed: verify-submission fails" 1 rev1 \
    verify-submission "$(id_of P02)" --registry "$W/auditor/reg-before.csv"
says "  naming the revocation" rev1 "^FAIL manifest of P02 .*after its revocation: P02's key was revoked at 2000-01-01T00:00:00Z"
expect "  and verify-log --full fails" 1 rev2 verify-log --full --registry "$W/auditor/reg-before.csv"
says "  on P02's leaf" rev2 "^     - leaf [0-9]+ \(P02 2025-09 sequence 1"
expect "  and recompute fails" 1 rev3 recompute --period $PERIOD --breakdown none --registry "$W/auditor/reg-before.csv"
expect "  while P03's submission still verifies" 0 rev4 \
    verify-submission "$(id_of P03)" --registry "$W/auditor/reg-before.csv"
expect "P02's key revoked after it signed: verify-submission passes" 0 rev5 \
    verify-submission "$(id_of P02)" --registry "$W/auditor/reg-after.csv"
says "  saying it was signed before the revocation" rev5 "^ok   manifest of P02 .* before its revocation at $later"
expect "  and verify-log --full passes" 0 rev6 verify-log --full --registry "$W/auditor/reg-after.csv"

# --- 2. a byte of a stored record flipped in the hub's LMDB ------------------------------------------
note "a stored record altered"
P02_ID=$(id_of P02)
$TOOLS record --endpoint "tcp://127.0.0.1:$QUERY_PORT" --key "$W/keys/AUDITOR.secret" \
    --hub-public "$W/keys/HUB.pub" --id "$P02_ID" --index 5 --out "$W/rec5" >>"$W/tools.log" 2>&1
hub_stop
check "one byte of P02's record 5 flipped in data.mdb" \
    $TOOLS flip --store "$W/hub/data/data.mdb" --bytes "$W/rec5" --offset 10
hub_start
expect "verify-submission of P02 fails" 1 tam1 verify-submission "$P02_ID"
says "  naming the records-root mismatch" tam1 "^FAIL records of P02 2025-09 sequence 1 .*: records root mismatch"
expect "  P03's submission still verifies" 0 tam2 verify-submission "$(id_of P03)"
expect "  recompute fails" 1 tam3 recompute --period $PERIOD --breakdown none
says "  on the same mismatch" tam3 "^FAIL records of P02 2025-09 sequence 1 .*: records root mismatch"
expect "  the log itself still verifies" 0 tam4 verify-log --full
restore snap4
expect "the store restored: P02 verifies again" 0 tam5 verify-submission "$P02_ID"

# --- 3. rollback ----------------------------------------------------------------------------------------
note "rollback"
check_eq "the state is at size 4" 4 "$(state_size)"
cp "$STATE" "$W/state.before"
restore snap3
expect "the hub restored to size 3: verify-log fails" 1 rb1 verify-log
says "  naming the rollback" rb1 "^FAIL rollback: the log now has 3 leaves, but 4 were verified"
expect "  verify-submission fails too" 1 rb2 verify-submission "$(id_of P03)"
expect "  recompute fails too" 1 rb3 recompute --period $PERIOD --breakdown none
check "  the state still says 4" cmp -s "$STATE" "$W/state.before"
restore snap4
expect "the hub back at size 4: verify-log passes" 0 rb4 verify-log

# --- 4. fork ------------------------------------------------------------------------------------------
note "fork"
submit P02
expect "hub A accepts X (size 5): verify-log passes" 0 fk1 verify-log
check_eq "  the state is at size 5" 5 "$(state_size)"
cp "$STATE" "$W/state.before"
restore snap4
submit P03
expect "hub B, from the same size 4, accepts Y (size 5): verify-log fails" 1 fk2 verify-log
says "  naming the fork" fk2 "^FAIL fork: .*two different roots for the same size 5"
submit P01
expect "B grows to size 6: verify-log still fails" 1 fk3 verify-log
says "  the consistency proof from 5 does not verify" fk3 "^FAIL fork: the log of size 6 does not extend the one of size 5 .* does not verify"
check "  the state still says 5" cmp -s "$STATE" "$W/state.before"
expect "an auditor without a state cannot tell (trust on first use)" 0 fk4 verify-log --state "$W/fresh.state"
sed 's/^size 5$/size 4/' "$STATE" >"$W/bad.state"
expect "a state file that was altered is refused" 2 fk5 verify-log --state "$W/bad.state"
says "  saying so" fk5 "state file: .*size or root differ from the saved checkpoint"

# --- 8. review: held, rejected, confirmed ------------------------------------------------------------
# From the log of four again, with an auditor state of its own. P01's
# resubmissions are signed with its key by hubclient.py (the node's own
# gate would not prepare them).
note "review decisions"
restore snap4
RS="$W/review.state"
P01_CUR=$(id_of P01)
resubmit() {
    $PY "$IAPT_ROOT/tests/integration/hubclient.py" resubmit \
        --endpoint "tcp://127.0.0.1:$SUBMIT_PORT" --key "$W/keys/P01.secret" \
        --hub-public "$W/keys/HUB.pub" --period $PERIOD --sequence "$1" \
        --records-from "$P01_CUR" --count 0 --auditor-key "$W/keys/AUDITOR.secret" \
        --query-endpoint "tcp://127.0.0.1:$QUERY_PORT" --receipt-json "$W/rs$1.json" \
        >"$W/rs$1.out" 2>&1 || echo "resubmit $1 failed" >>"$W/check.log"
    $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["submission_id"])' "$W/rs$1.json"
}
HELD1=$(resubmit 100)
expect "a 0-record resubmission held: recompute agrees" 0 rv1 recompute --period $PERIOD --breakdown none --state "$RS"
says "  the counted one is recomputed" rv1 "^ok   records of P01 2025-09 sequence 2 "
check "  not the held one" bash -c "! grep -q 'records of P01 2025-09 sequence 100' $W/rv1.out"
query ANALYST reject --submission "$HELD1" --reason "withdrawn-by-analyst-7Q" >/dev/null 2>&1
expect "rejected: recompute agrees" 0 rv2 recompute --period $PERIOD --breakdown none --state "$RS"
says "  the decision verifies" rv2 "^ok   review decisions: 1 verify \(signed by the hub, each on a submission held for review"
check "  P01's sequence 2 still counted" grep -q '^ok   records of P01 2025-09 sequence 2 ' "$W/rv2.out"
HELD2=$(resubmit 101)
query ANALYST confirm --submission "$HELD2" --reason "service closed" >/dev/null 2>&1
expect "confirmed: recompute agrees" 0 rv3 recompute --period $PERIOD --breakdown none --state "$RS"
says "  the confirmed one is recomputed" rv3 "^ok   records of P01 2025-09 sequence 101 "
says "  both decisions verify" rv3 "^ok   review decisions: 2 verify"
expect "verify-log --full with decisions" 0 rv4 verify-log --full --state "$RS"
says "  the decisions are checked" rv4 "^ok   review decisions: 2 verify \(signed by the hub, each on a submission in the log before it\)"
expect "verify-submission of the rejected one (it is in the log)" 0 rv5 verify-submission "$HELD1" --state "$RS"
snapshot snap_review
printf 'withdrawn-by-analyst-7Q' >"$W/reason"
hub_stop
check "the rejection's reason altered in data.mdb" \
    $TOOLS flip --store "$W/hub/data/data.mdb" --bytes "$W/reason" --offset 3
hub_start
expect "an altered decision: verify-log --full fails" 1 rv6 verify-log --full --state "$RS"
says "  naming its signature" rv6 "^     - review decision 1: review decision signature does not verify with the hub key"
expect "  and recompute fails" 1 rv7 recompute --period $PERIOD --breakdown none --state "$RS"
restore snap_review
expect "restored: verify-log --full passes" 0 rv8 verify-log --full --state "$RS"

finish
