#!/usr/bin/env bash
# The workforce collection at the node, with real processes: iapt-node check
# --collection WORKFORCE on synthetic extracts with errors reports exactly
# the findings the generator planted, which are also those the rules of
# WORKFORCE.md alone find (tests/synth/check_workforce.py), with file, line,
# field and reason in text and JSON; a workforce extract given as the adult
# collection, and an adult one given as WORKFORCE, are refused naming the
# right collection; submit --no-send stores workforce months in the outbox
# beside the adult month, each collection's resubmission check on its own;
# the plausibility gate's workforce needs; a hub without the workforce hub
# half refuses the submission with the reason and keeps taking adult
# months. (Nothing identifying stored to send: tests/integration/test_privacy.sh.)
source "$(dirname "$0")/lib.sh"

# The same providers for both collections (same --providers and --seed).
synth --providers 3 --months 1 --seed 11 --start 2025-09 --scale 0.1
"$BIN/iapt-synth" --out "$W/wf" --collection WORKFORCE --providers 3 --months 2 --seed 11 \
    --start 2025-08 --error-rate 0.03 2>>"$W/synth.log"
check "workforce extracts generated" test -f "$W/wf/COLLECTION"
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init_synth
org=${PROVIDERS[0]}
org2=${PROVIDERS[1]}
wfx="$W/wf/$org/2025-09"

# --- findings ----------------------------------------------------------------------
$PY "$IAPT_ROOT/tests/integration/wf_findings_check.py" "$BIN/iapt-node" "$W/wf" 2025-08 2025-09 \
    >"$W/findings.txt" 2>&1
check "node findings = errors.csv = check_workforce.py's rules, in every extract" \
    grep -Eq '^6 extracts agree \([1-9][0-9]* findings\), 0 differ$' "$W/findings.txt"
tail -n 3 "$W/findings.txt" | sed 's/^/     /'

node "$org" check --extract "$wfx" --period 2025-09 --collection WORKFORCE --max-findings 1000 \
    >"$W/check.txt" 2>&1
check_eq "check --collection WORKFORCE: exit 0 (submittable)" 0 $?
# Every errors.csv line is in the text report as FILE:LINE: FIELD: REASON.
missing=0
while IFS=, read -r file line field reason; do
    grep -qF "  $file:$line: $field: $reason" "$W/check.txt" || { echo "not reported: $file:$line $field $reason"; missing=$((missing + 1)); }
done < <(tail -n +2 "$W/wf/$org/2025-09.errors.csv")
check_eq "the text report names every planted error by file, line, field and reason" 0 "$missing"
check "the text report counts staff rows per table" grep -Eq '^WF001Staff.csv \([0-9]+ rows, [0-9]+ rejected\)' "$W/check.txt"
check "identifying values are masked in findings" bash -c "! grep -E 'StaffId: orphan \"ST[0-9]' '$W/check.txt'"
node "$org" check --extract "$wfx" --period 2025-09 --collection workforce --json >"$W/check.json" 2>&1
n_json=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["finding_list"]), d["submittable"])' "$W/check.json")
n_err=$(($(wc -l <"$W/wf/$org/2025-09.errors.csv") - 1))
check_eq "--json (collection named in lower case): every finding listed, submittable" "$n_err True" "$n_json"

# --- the wrong collection ----------------------------------------------------------------
node "$org" check --extract "$wfx" --period 2025-09 >"$W/wrong1.txt" 2>&1
rc=$?
check "a workforce extract checked as the adult collection is refused (exit 1), naming WORKFORCE" \
    bash -c "[ $rc -eq 1 ] && grep -q 'IDS000Header.csv: required file missing; this directory holds WF000Header.csv: it looks like a WORKFORCE extract; use --collection WORKFORCE' '$W/wrong1.txt'"
node "$org" check --extract "$W/synth/$org/2025-09" --period 2025-09 --collection WORKFORCE >"$W/wrong2.txt" 2>&1
rc=$?
check "an adult extract checked as WORKFORCE is refused (exit 1), naming IAPT" \
    bash -c "[ $rc -eq 1 ] && grep -q 'WF000Header.csv: required file missing; this directory holds IDS000Header.csv: it looks like a IAPT extract; use --collection IAPT' '$W/wrong2.txt'"
node "$org" submit --extract "$wfx" --period 2025-09 --no-send >"$W/wrong3.txt" 2>&1
rc=$?
node "$org" status >"$W/wrong3-status.txt" 2>&1
check "submit of a workforce extract as adult: refused (exit 1), nothing prepared" \
    bash -c "[ $rc -eq 1 ] && grep -q 'use --collection WORKFORCE' '$W/wrong3.txt' && ! grep -q pending '$W/wrong3-status.txt'"

# --- submit --no-send, status ----------------------------------------------------------
for m in 2025-08 2025-09; do
    node "$org" submit --extract "$W/wf/$org/$m" --period $m --collection WORKFORCE --no-send \
        >"$W/sub-$m.txt" 2>&1
    check_eq "submit --no-send --collection WORKFORCE $m: exit 0" 0 $?
done
check "the submission is prepared as WORKFORCE, staff and vacancy records counted" \
    grep -Eq '^submission 2 prepared: WORKFORCE 2025-09, [1-9][0-9]* records, id [0-9a-f]{12}$' "$W/sub-2025-09.txt"
node "$org" submit --extract "$W/synth/$org/2025-09" --period 2025-09 --no-send >"$W/sub-adult.txt" 2>&1
check_eq "the adult month of the same period beside it: exit 0" 0 $?
check "... prepared as submission 3, the adult line as before" \
    grep -Eq '^submission 3 prepared: 2025-09, [1-9][0-9]* records' "$W/sub-adult.txt"
node "$org" submit --extract "$wfx" --period 2025-09 --collection WORKFORCE --no-send >"$W/again.txt" 2>&1
check "the identical workforce month again: not prepared twice" \
    grep -q 'identical to submission 2 (2025-09' "$W/again.txt"
node "$org" status >"$W/status.txt" 2>&1
check "status lists both collections' months, pending" \
    bash -c "grep -Eq '^1 +WORKFORCE 2025-08 pending' '$W/status.txt' && grep -Eq '^2 +WORKFORCE 2025-09 pending' '$W/status.txt' && grep -Eq '^3 +2025-09 +pending' '$W/status.txt' && [ \$(grep -c pending '$W/status.txt') -eq 3 ]"
node "$org" status --json >"$W/status.json" 2>&1
check_eq "status --json names each submission's collection" "WORKFORCE WORKFORCE IAPT" \
    "$($PY -c 'import json,sys; print(" ".join(e["collection"] for e in json.load(open(sys.argv[1]))))' "$W/status.json")"

# --- the gate ------------------------------------------------------------------------
wfx2="$W/wf/$org2/2025-09"
cp -r "$wfx2" "$W/nosup"
rm "$W/nosup/WF002Supervision.csv"
node "$org2" check --extract "$W/nosup" --period 2025-09 --collection WORKFORCE --json >"$W/gate.json" 2>"$W/gate.err"
check "without WF002 the gate holds the month: table-missing:WF002" \
    $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if not d["submittable"] and any(g["check"]=="table-missing:WF002" for g in d["gate"]) else 1)' "$W/gate.json"
cp -r "$wfx2" "$W/nostaff"
head -n 1 "$wfx2/WF001Staff.csv" >"$W/nostaff/WF001Staff.csv"
node "$org2" submit --extract "$W/nostaff" --period 2025-09 --collection WORKFORCE --no-send >"$W/gate2.txt" 2>&1
rc=$?
check "no staff rows: submit refused by the gate (exit 1): table-missing:WF001, nothing prepared" \
    bash -c "[ $rc -eq 1 ] && grep -q 'table-missing:WF001: WF001Staff.csv is empty: without staff rows' '$W/gate2.txt' && grep -q 'nothing was prepared or sent' '$W/gate2.txt'"

# --- the hub takes the workforce months beside the adult one -----------------------------------
hub_start
node "$org" send --deadline 60 >"$W/send.txt" 2>&1
node "$org" status >"$W/status2.txt" 2>&1
check "the hub accepts the workforce month" \
    grep -Eq '^1 +WORKFORCE 2025-08 +delivered' "$W/status2.txt"
check "... and takes the adult month of the same node" grep -Eq '^3 +2025-09 +delivered' "$W/status2.txt"
finish
