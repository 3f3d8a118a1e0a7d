#!/usr/bin/env bash
# The hub's second line of defence: a superseding submission with 0 records,
# or under half the records of the counted one, is held for review (stored,
# logged, receipted, not counted) unless the node's --force is in its signed
# manifest; an analyst confirms or rejects it with a reason that is kept;
# the provider sees the state in its receipt and in `iapt-node status`; the
# auditor's verify-log --full and recompute agree with the hub after every
# step. Real hub, real nodes, real CURVE; the resubmissions the node's own
# gate would refuse to prepare are signed and sent with the provider's key
# by tests/integration/hubclient.py.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
synth --providers 2 --months 1 --seed 11 --start $PERIOD --scale 0.2
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init 2
for i in 1 2; do
    org=$(printf 'P%02d' $i)
    src=$(sed -n "$((i + 1))p" "$W/synth/providers.csv" | cut -d, -f1)
    mkdir -p "$W/ex/$org"
    cp -r "$W/synth/$src/$PERIOD" "$W/ex/$org/"
    sed -i "2s/^$src,/$org,/; 2s/,$src,/,$org,/" "$W/ex/$org/$PERIOD/IDS000Header.csv"
done
hub_start || { echo "hub did not start"; cat "$W/hub/hub.log"; }

mkdir -p "$W/auditor"
cp "$W/registry.csv" "$W/geography.csv" "$W/auditor/"
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

# run NAME STATUS OUT COMMAND...: COMMAND must exit STATUS; output in $W/OUT.out.
run() {
    local name=$1 want=$2 out=$3; shift 3
    "$@" >"$W/$out.out" 2>&1
    local got=$?
    if [ "$got" = "$want" ]; then
        T_PASS=$((T_PASS + 1)); printf 'ok   %s\n' "$name"
    else
        T_FAIL=$((T_FAIL + 1)); printf 'FAIL %s: exit %s, expected %s\n' "$name" "$got" "$want"
        tail -n 25 "$W/$out.out" | sed 's/^/     | /'
    fi
}
# says NAME OUT PATTERN: that output has a line matching PATTERN.
says() {
    if grep -qE "$3" "$W/$2.out"; then
        T_PASS=$((T_PASS + 1)); printf 'ok   %s\n' "$1"
    else
        T_FAIL=$((T_FAIL + 1)); printf 'FAIL %s: no line matching [%s]\n' "$1" "$3"
        tail -n 25 "$W/$2.out" | sed 's/^/     | /'
    fi
}
audit() { "$BIN/iapt-audit" --config "$W/auditor/audit.conf" "$@"; }
# The auditor agrees with the hub: the whole log and the period's figures.
audit_agrees() {
    run "$1: iapt-audit verify-log --full" 0 "aud_$2_log" audit verify-log --full
    run "$1: iapt-audit recompute matches the published figures" 0 "aud_$2_re" \
        audit recompute --period $PERIOD
    says "  every published row equal" "aud_$2_re" "^ok   measures $PERIOD \(no breakdown\): all [0-9]+ published rows equal"
}
# Every published row of the period (all groups, unsuppressed), as CSV.
measures() { query ANALYST measures --period $PERIOD --unsuppressed --format csv; }
# value GROUP_TYPE ORG MEASURE: one unsuppressed value ("" when no row).
value() {
    local args=(--group-type "$1" --measure "$3")
    [ -n "$2" ] && args+=(--org "$2")
    query ANALYST measures --period $PERIOD --unsuppressed --format csv "${args[@]}" |
        $PY -c 'import csv,sys; r=list(csv.DictReader(sys.stdin)); print(list(r[0].values())[-1] if r else "")'
}
tree_size() { query AUDITOR checkpoint --format json | $PY -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])'; }
# sub_field ID FIELD: a column of the analyst's CSV listing for that submission.
sub_field() {
    query ANALYST submissions --period $PERIOD --format csv |
        $PY -c 'import csv,sys; [print(r[sys.argv[2]]) for r in csv.DictReader(sys.stdin) if r["submission_id"]==sys.argv[1]]' "$1" "$2"
}
current_of() {
    query ANALYST submissions --period $PERIOD --org "$1" --format csv |
        $PY -c 'import csv,sys; [print(r["submission_id"]) for r in csv.DictReader(sys.stdin) if r["current"]=="true"]'
}
# resubmit NAME SEQ COUNT [--forced]: P01 sends the first COUNT records of
# its good month as sequence SEQ; the receipt's fields in $W/NAME.json.
resubmit() {
    local name=$1 seq=$2 count=$3; shift 3
    $PY "$IAPT_ROOT/tests/integration/hubclient.py" resubmit \
        --endpoint "tcp://127.0.0.1:$SUBMIT_PORT" --key "$W/keys/P01.secret" \
        --hub-public "$W/keys/HUB.pub" --period $PERIOD --sequence "$seq" \
        --records-from "$GOOD" --count "$count" --auditor-key "$W/keys/AUDITOR.secret" \
        --query-endpoint "tcp://127.0.0.1:$QUERY_PORT" --receipt-json "$W/$name.json" "$@" \
        >"$W/$name.out" 2>&1
}
rj() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$W/$1.json" "$2"; }

# --- a good month ------------------------------------------------------------------------------
note "P01 delivers a good month"
node P01 submit --extract "$W/ex/P01/$PERIOD" --period $PERIOD --deadline 60 >"$W/good.out" 2>&1
check_eq "P01's good month delivered" 0 $?
GOOD=$(current_of P01)
N=$(sub_field "$GOOD" records)
check "it has records" test "${N:-0}" -gt 10
measures >"$W/m_good.csv"
P01_M001=$(value Provider P01 M001)
check "P01 counts in England's figures" test -n "$P01_M001"

# --- the node's side: a held receipt is a delivery, and status says so ---------------------------
note "P02's node: a full month, then an extract of a quarter of it, both prepared before sending"
$PY - "$W/ex/P02/$PERIOD" "$W/ex/P02-part/$PERIOD" <<'EOF'
import csv, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
def rows(name):
    with open(os.path.join(src, name), newline="") as f:
        r = csv.DictReader(f)
        return r.fieldnames, list(r)
def write(name, fields, keep):
    with open(os.path.join(dst, name), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\r\n")
        w.writeheader()
        w.writerows(keep)
f, refs = rows("IDS101Referral.csv")
refs = refs[: len(refs) // 4]
write("IDS101Referral.csv", f, refs)
srv = {r["ServiceRequestId"] for r in refs}
pat = {r["LocalPatientId"] for r in refs}
f, cc = rows("IDS201CareContact.csv")
cc = [r for r in cc if r["ServiceRequestId"] in srv]
write("IDS201CareContact.csv", f, cc)
con = {r["CareContactId"] for r in cc}
f, ca = rows("IDS202CareActivity.csv")
ca = [r for r in ca if r["CareContactId"] in con]
write("IDS202CareActivity.csv", f, ca)
act = {r["CareActId"] for r in ca}
for name in os.listdir(src):
    if name in ("IDS101Referral.csv", "IDS201CareContact.csv", "IDS202CareActivity.csv"):
        continue
    f, rs = rows(name)
    if "ServiceRequestId" in f:
        rs = [r for r in rs if r["ServiceRequestId"] in srv]
    elif "CareActId" in f:
        rs = [r for r in rs if r["CareActId"] in act]
    elif "LocalPatientId" in f:
        rs = [r for r in rs if r["LocalPatientId"] in pat]
    write(name, f, rs)
EOF
node P02 submit --extract "$W/ex/P02/$PERIOD" --period $PERIOD --no-send >"$W/p02a.out" 2>&1
check_eq "P02: the full month prepared" 0 $?
node P02 submit --extract "$W/ex/P02-part/$PERIOD" --period $PERIOD --no-send >"$W/p02b.out" 2>&1
check_eq "P02: the quarter prepared after it" 0 $?
run "P02: both delivered (exit 0)" 0 p02send node P02 send --deadline 60
says "  the second is reported held for review" p02send "submission 2 \(2025-09\) held for review by the central team: [0-9]+ records where the counted submission \(sequence 1\) has [0-9]+"
run "P02: status" 0 p02st node P02 status
says "  status: the first delivered, no note" p02st "^1 +2025-09 +delivered +[0-9]+ +[0-9a-f]{12} +[0-9]+ +[-0-9T:Z]+ *$"
says "  status: the second delivered, pending review, with why" p02st "^2 +2025-09 +delivered .*pending review: [0-9]+ records where the counted submission"
node P02 receipt --sequence 2 --out "$W/p02b.bundle" >/dev/null 2>&1
run "P02: the held submission's receipt verifies for an auditor" 0 p02rc \
    "$BIN/iapt-audit" verify-receipt "$W/p02b.bundle" --hub-public "$W/keys/HUB.pub" --hub-name "$HUB_NAME"
says "  which is told it was held" p02rc "^note the receipt says the hub held P02 2025-09 sequence 2 .* for review \([0-9]+ records where"
echo "query-endpoint = tcp://127.0.0.1:$QUERY_PORT" >>"$W/nodes/P02/node.conf"
node P02 status --json >"$W/p02st.json" 2>"$W/p02st.err"
check_eq "P02: status --json asks the hub: pending review" "pending review hub" \
    "$($PY -c 'import json,sys; e=json.load(open(sys.argv[1]))[1]; print(e["review"], e["review_from"])' "$W/p02st.json")"
P02_HELD=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[1]["submission_id"])' "$W/p02st.json")
P02_FULL=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["submission_id"])' "$W/p02st.json")
check_eq "P02: the full month is the one counted" "$P02_FULL" "$(current_of P02)"
measures >"$W/m_base.csv"
audit_agrees "P02's quarter held" p02held

# --- 1. a 0-record resubmission is held --------------------------------------------------------
note "P01 resubmits 0 records"
L0=$(tree_size)
resubmit zero 100 0
check_eq "the hub returns a signed receipt for it" 0 $?
check_eq "  the receipt says pending review" REVIEW_PENDING "$(rj zero review)"
check "  and why" grep -q "0 records where the counted submission (sequence 1) has $N" "$W/zero.json"
check_eq "  it supersedes nothing; it was held against the good month" " $GOOD" \
    "$(rj zero supersedes) $(rj zero held_against)"
ZERO=$(rj zero submission_id)
measures >"$W/m_zero.csv"
check "every published row is byte-identical to before" cmp "$W/m_base.csv" "$W/m_zero.csv"
check_eq "the good month is still current" "$GOOD" "$(current_of P01)"
check_eq "the log grew by one leaf" $((L0 + 1)) "$(tree_size)"
check_eq "submissions lists it: pending review, not current" "pending review false" \
    "$(sub_field "$ZERO" review) $(sub_field "$ZERO" current)"
query ANALYST submissions --period $PERIOD --org P01 >"$W/subs_table.out" 2>&1
says "  the table says HELD and why" subs_table "review: pending review \(held: 0 records where the counted"
query P01 submissions --period $PERIOD --format json >"$W/p01.json" 2>&1
check_eq "  the provider sees it pending in its own listing" "pending review" \
    "$($PY -c 'import json,sys; print([s for s in json.load(open(sys.argv[1]))["submissions"] if s.get("submission_id")==sys.argv[2]][0]["review"])' "$W/p01.json" "$ZERO")"
audit_agrees "0 records held" zero

# --- refusals ------------------------------------------------------------------------------------
run "confirm with a provider key is refused (exit 1)" 1 conf_p01 \
    query P01 confirm --submission "$ZERO" --reason "mine"
says "  naming the role" conf_p01 "only the analyst role may confirm or reject"
run "confirm without a reason is a usage error (exit 2)" 2 conf_noreason \
    query ANALYST confirm --submission "$ZERO"
run "an empty reason is refused (exit 2)" 2 conf_empty \
    query ANALYST confirm --submission "$ZERO" --reason "   "
says "  saying the reason must not be empty" conf_empty "reason must not be empty"
run "confirm of a submission that is not held is refused (exit 1)" 1 conf_good \
    query ANALYST confirm --submission "$GOOD" --reason "why not"
says "  saying it is not pending review" conf_good "is not pending review: it is current"
run "an id prefix without --period is a usage error" 2 conf_prefix \
    query ANALYST confirm --submission "${ZERO:0:10}" --reason "x"
check_eq "nothing changed" "pending review $GOOD" "$(sub_field "$ZERO" review) $(current_of P01)"

# --- a locked period blocks confirm, not reject ----------------------------------------------------
query ANALYST lock --period $PERIOD >/dev/null 2>&1
run "confirm in a closed period is refused (exit 1)" 1 conf_locked \
    query ANALYST confirm --submission "$ZERO" --reason "P01 closed its service"
says "  saying to reopen it" conf_locked "was closed at .* reopen it first \(iapt-query unlock --period $PERIOD\)"
check_eq "  still pending" "pending review" "$(sub_field "$ZERO" review)"
query ANALYST unlock --period $PERIOD >/dev/null 2>&1

# --- 2. confirmed ---------------------------------------------------------------------------------------
note "the analyst confirms it (by a unique prefix)"
run "confirm by prefix with a reason" 0 conf_ok \
    query ANALYST confirm --submission "${ZERO:0:12}" --period $PERIOD --reason "P01 closed its service in September"
says "  it says so, and what it replaces" conf_ok "confirmed: it is now counted .* by ANALYST: P01 closed its service in September"
says "  and what it replaces" conf_ok "it replaces submission ${GOOD:0:12}"
check_eq "it is current now; the good month superseded" "$ZERO confirmed false" \
    "$(current_of P01) $(sub_field "$ZERO" review) $(sub_field "$GOOD" current)"
check_eq "  the decision is kept: by, reason" "ANALYST|P01 closed its service in September" \
    "$(sub_field "$ZERO" decided_by)|$(sub_field "$ZERO" decision_reason)"
check_eq "the statistics follow it: P01 has no Provider rows" "" "$(value Provider P01 M001)"
check_eq "  England counts P02 only" "$(value Provider P02 M001)" "$(value England "" M001)"
run "a second decision on it is refused" 1 conf_again \
    query ANALYST reject --submission "$ZERO" --reason "again"
says "  it is no longer pending" conf_again "is not pending review: it is current \(already confirmed\)"
audit_agrees "confirmed" conf
says "  the decision is verified" aud_conf_re "^ok   review decisions: [0-9]+ verify"

# --- the good month again, then an under-half one rejected --------------------------------------------
note "P01 resends its good month, then under half of it, which is rejected"
resubmit again 101 "$N"
check_eq "the whole month again is not held (0 -> N)" REVIEW_NONE "$(rj again review)"
AGAIN=$(rj again submission_id)
measures >"$W/m_again.csv"
check "  the figures are those of the good month again" cmp "$W/m_base.csv" "$W/m_again.csv"
UNDER=$(((N - 1) / 2))
resubmit under 102 "$UNDER"
check_eq "$UNDER of $N records (under half) is held" REVIEW_PENDING "$(rj under review)"
UNDER_ID=$(rj under submission_id)
run "the analyst rejects it with a reason" 0 rej_ok \
    query ANALYST reject --submission "$UNDER_ID" --reason "truncated extract; P01 will resend"
says "  it says so" rej_ok "rejected: it will not be counted .* by ANALYST: truncated extract; P01 will resend"
measures >"$W/m_rej.csv"
check "  the statistics are unchanged" cmp "$W/m_base.csv" "$W/m_rej.csv"
check_eq "  the good month is still current" "$AGAIN" "$(current_of P01)"
check_eq "  the rejection and its reason are kept (CSV)" "rejected|ANALYST|truncated extract; P01 will resend" \
    "$(sub_field "$UNDER_ID" review)|$(sub_field "$UNDER_ID" decided_by)|$(sub_field "$UNDER_ID" decision_reason)"
query ANALYST submissions --period $PERIOD --org P01 --format json >"$W/rej.json" 2>&1
check_eq "  and in JSON" "rejected ANALYST truncated extract; P01 will resend" \
    "$($PY -c 'import json,sys; s=[s for s in json.load(open(sys.argv[1]))["submissions"] if s.get("submission_id")==sys.argv[2]][0]; print(s["review"], s["decided_by"], s["decision_reason"])' "$W/rej.json" "$UNDER_ID")"
query ANALYST submissions --period $PERIOD --org P01 >"$W/rej_table.out" 2>&1
says "  and in the table" rej_table "decided by ANALYST at .*: truncated extract; P01 will resend"
run "reject of a rejected one is refused" 1 rej_again \
    query ANALYST reject --submission "$UNDER_ID" --reason "again"
says "  saying so" rej_again "already rejected"
audit_agrees "rejected" rej

# --- the threshold, forced, and a newer one while one is held -------------------------------------------
note "exactly half is not held; forced is never held; a newer submission supersedes a held one"
EVEN=$((N - N % 2))
resubmit even 103 "$EVEN"
check_eq "$EVEN of $N records is not held" REVIEW_NONE "$(rj even review)"
resubmit half 104 $((EVEN / 2))
check_eq "exactly half ($((EVEN / 2)) of $EVEN) is not held" REVIEW_NONE "$(rj half review)"
check_eq "  it is current" "$(rj half submission_id)" "$(current_of P01)"
resubmit forced 105 0 --forced
check_eq "0 records with the node's --force is not held" REVIEW_NONE "$(rj forced review)"
check_eq "  it is current" "$(rj forced submission_id)" "$(current_of P01)"
check_eq "  P01 has no Provider rows" "" "$(value Provider P01 M001)"
resubmit zero2 106 0
check_eq "0 records where 0 are counted is held" REVIEW_PENDING "$(rj zero2 review)"
resubmit full2 107 "$N"
check_eq "the whole month after it is counted" REVIEW_NONE "$(rj full2 review)"
check_eq "  the held one can no longer become current" "superseded while held" \
    "$(sub_field "$(rj zero2 submission_id)" review)"
run "  confirming it is refused" 1 conf_sup \
    query ANALYST confirm --submission "$(rj zero2 submission_id)" --reason "late"
says "  saying why" conf_sup "superseded by a newer submission while it was held"
measures >"$W/m_full2.csv"
check "  the figures are the good month's" cmp "$W/m_base.csv" "$W/m_full2.csv"
audit_agrees "threshold, forced, superseded while held" thr

# --- the provider's status learns the outcome ---------------------------------------------------------------
note "P02's held quarter rejected; its node's status shows the outcome"
run "the analyst rejects P02's quarter" 0 rej_p02 \
    query ANALYST reject --submission "$P02_HELD" --reason "partial extract"
run "P02: status asks the hub" 0 p02st2 node P02 status
says "  the outcome with who and why" p02st2 "^2 +2025-09 +delivered .*rejected by ANALYST at [-0-9T:Z]+: partial extract"
node P02 status --json >"$W/p02st2.json" 2>/dev/null
check_eq "  and in JSON" "rejected ANALYST partial extract hub" \
    "$($PY -c 'import json,sys; e=json.load(open(sys.argv[1]))[1]; print(e["review"], e["decided_by"], e["decision_reason"], e["review_from"])' "$W/p02st2.json")"
audit_agrees "P02's quarter rejected" p02rej
hub_stop
run "P02: status with the hub down still answers (exit 0)" 0 p02st3 node P02 status
says "  with the receipt's state" p02st3 "^2 +2025-09 +delivered .*pending review"
says "  saying it could not ask the hub" p02st3 "cannot ask the hub|did not answer"

finish
