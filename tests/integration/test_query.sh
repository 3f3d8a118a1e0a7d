#!/usr/bin/env bash
# iapt-query against a real hub fed by real nodes: the measures as the
# publication CSV (layout, disclosure control below England worked out again
# from the unsuppressed figures, England exact, providers rolled up into
# England), breakdowns, time series, filters and JSON; who may read what
# (unsuppressed values, other organisations' submissions and quality
# reports, locks); submissions expected against received, with late flags
# by the hub's clock; a locked period refusing a node with a reason it can
# act on, and reopened; the checkpoint as a C2SP signed note verified from
# the raw log. After every refused request the hub is still answering.
source "$(dirname "$0")/lib.sh"

synth --providers 2 --months 2 --seed 5 --start 2025-08 --scale 0.2
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init 3   # P01 and P02 submit; P03 is registered and never does
for i in 1 2; do
    org=$(printf 'P%02d' $i)
    src=$(sed -n "$((i + 1))p" "$W/synth/providers.csv" | cut -d, -f1)
    mkdir -p "$W/ex/$org"
    for P in 2025-08 2025-09; do
        cp -r "$W/synth/$src/$P" "$W/ex/$org/"
        sed -i "2s/^$src,/$org,/; 2s/,$src,/,$org,/" "$W/ex/$org/$P/IDS000Header.csv"
        # A corrected re-export (ten referrals fewer) for the resubmissions:
        # an identical extract would not be sent again (the node's gate).
        cp -r "$W/ex/$org/$P" "$W/ex/$org/$P.v2"
        sed -i '2,11d' "$W/ex/$org/$P.v2/IDS101Referral.csv"
        # The same figures from other records: the first patient's NHS number
        # left out (the person pseudonym then comes from the local id).
        cp -r "$W/ex/$org/$P" "$W/ex/$org/$P.same"
        sed -i -E '2s/^([^,]*),[^,]*,/\1,,/' "$W/ex/$org/$P.same/IDS001MPI.csv"
    done
done

qc() { $PY "$IAPT_ROOT/tests/integration/queryclient.py" "$@" --endpoint "tcp://127.0.0.1:$QUERY_PORT" --hub-public "$W/keys/HUB.pub" --name "$HUB_NAME"; }
mc() { $PY "$IAPT_ROOT/tests/integration/measures_check.py" "$@"; }
# alive WHAT: the hub process is up and answers a query.
alive() { check "hub still serving after $1" bash -c "kill -0 $HUB_PID && query_ok"; }
query_ok() { query AUDITOR checkpoint >/dev/null 2>&1; }
export -f query query_ok
export W BIN QUERY_PORT
# refused NAME EXPECTED_TEXT ARGS...: iapt-query exits 1 with the text on stderr.
refused() {
    local name=$1 text=$2; shift 2
    query "$@" >"$W/out" 2>"$W/err"
    local rc=$?
    check "$name (exit $rc)" bash -c "test $rc = 1 && grep -q \"$text\" '$W/err' && test ! -s '$W/out'"
    grep -q . "$W/err" && note "  $(head -n 1 "$W/err")"
    alive "$name"
}
epoch() { date -u -d "$1" +%s; }

# --- the data -----------------------------------------------------------------------------
# The hub's clock: 15 October 2025, noon. With deadline day 20 September is
# due by the end of 20 October (on time), August by the end of 20 September
# (late).
IAPT_NOW=$(epoch 2025-10-15T12:00:00Z) hub_start || { echo "hub did not start"; cat "$W/hub/hub.log"; }
node P01 submit --extract "$W/ex/P01/2025-08" --period 2025-08 --deadline 120 >"$W/p01a.log" 2>&1
check "P01 delivers August" test $? = 0
node P01 submit --extract "$W/ex/P01/2025-09" --period 2025-09 --deadline 120 >"$W/p01b.log" 2>&1
check "P01 delivers September" test $? = 0
# Then the clock passes the September deadline by one second.
hub_stop
IAPT_NOW=$(epoch 2025-10-21T00:00:01Z) hub_start || { echo "hub did not restart"; cat "$W/hub/hub.log"; }
node P02 submit --extract "$W/ex/P02/2025-09" --period 2025-09 --deadline 120 >"$W/p02a.log" 2>&1
check "P02 delivers September, late" test $? = 0

# --- measures -------------------------------------------------------------------------------
query ANALYST measures --period 2025-09 --format csv >"$W/sup.csv" 2>"$W/err"
check "analyst: measures as CSV" test $? = 0
check "publication layout: exact header, 10 columns, groups complete" mc layout "$W/sup.csv"
query ANALYST measures --period 2025-09 --format csv --unsuppressed >"$W/uns.csv" 2>"$W/err"
check "analyst: --unsuppressed allowed" test $? = 0
check "unsuppressed output has the same layout" mc layout "$W/uns.csv"
check "below England: * under 5, else rounded to 5; rates whole; England exact" \
    mc suppression "$W/sup.csv" "$W/uns.csv"
check "England counts are the sum of the providers'" mc rollup "$W/uns.csv"
# Default output of every role is the suppressed one.
query P01 measures --period 2025-09 --format csv >"$W/p01sup.csv" 2>"$W/err"
check "provider: suppressed measures, the same as the analyst's" cmp -s "$W/sup.csv" "$W/p01sup.csv"
query ANALYST measures --period 2025-09 --unsuppressed >"$W/table.txt" 2>&1
check "table output says it is unsuppressed" grep -q "^(unsuppressed)" "$W/table.txt"
query ANALYST measures --period 2025-09 >"$W/table.txt" 2>&1
check "table output says how it is suppressed" grep -q "counts under 5 shown as \*" "$W/table.txt"

refused "provider: --unsuppressed refused" "only the analyst role may read unsuppressed values" \
    P01 measures --period 2025-09 --unsuppressed --format csv
refused "auditor: --unsuppressed refused" "only the analyst role may read unsuppressed values" \
    AUDITOR measures --period 2025-09 --unsuppressed --format csv

query ANALYST targets --period 2025-09 --unsuppressed >"$W/t.out" 2>"$W/err"
check_eq "targets --unsuppressed: a usage error (the view is published suppressed only)" 2 $?
check "... saying so" grep -q "unsuppressed is for measures; targets is published suppressed only" "$W/err"
check "... and nothing on stdout" test ! -s "$W/t.out"

query ANALYST measures --period 2025-09 --breakdown age --format csv >"$W/age.csv" 2>"$W/err"
check "breakdown age: answered" test $? = 0
check "breakdown age: BREAKDOWN,BREAKDOWN_LEVEL after ORG_NAME2, 12 columns" \
    mc layout "$W/age.csv" --breakdown
check "breakdown age: every row is an age band" $PY -c '
import csv, sys
levels = {"Under 18", "18-25", "26-35", "36-45", "46-55", "56-64", "65-74", "75+", "Unknown"}
rows = list(csv.DictReader(open(sys.argv[1])))
seen = {r["BREAKDOWN_LEVEL"] for r in rows}
ok = rows and all(r["BREAKDOWN"] == "Age band at referral" for r in rows) and seen <= levels and len(seen) >= 3
print(sorted(seen)); sys.exit(0 if ok else 1)' "$W/age.csv"
query ANALYST measures --period 2025-09 --breakdown age --unsuppressed --format csv >"$W/age-uns.csv" 2>"$W/err"
check "breakdown age: disclosure control holds per level" mc suppression "$W/age.csv" "$W/age-uns.csv"
check "breakdown age: England per level is the sum of the providers'" mc rollup "$W/age-uns.csv"
# The levels add up to the whole: M001 over the age bands = England M001.
check "breakdown age: England M001 over the levels = England M001" $PY -c '
import csv, sys
whole = [r for r in csv.DictReader(open(sys.argv[1])) if r["GROUP_TYPE"] == "England" and r["MEASURE_ID"] == "M001"]
parts = [r for r in csv.DictReader(open(sys.argv[2])) if r["GROUP_TYPE"] == "England" and r["MEASURE_ID"] == "M001"]
a, b = int(whole[0]["MEASURE_VALUE_SUPPRESSED"]), sum(int(r["MEASURE_VALUE_SUPPRESSED"]) for r in parts)
print(a, b); sys.exit(0 if a == b else 1)' "$W/uns.csv" "$W/age-uns.csv"

query ANALYST measures --period 2025-08 --to 2025-09 --format csv >"$W/series.csv" 2>"$W/err"
check "time series: answered" test $? = 0
check "time series: both months, nothing else" mc rows "$W/series.csv" --periods 2025-08,2025-09
check "time series: layout" mc layout "$W/series.csv"
check "time series: its September rows are the single month's" bash -c \
    "diff <(grep '^2025-09-01,' '$W/series.csv') <(tail -n +2 '$W/sup.csv')"
# August has only P01: 59 England rows and 59 P01 rows, no P02 rows.
check "time series: August holds P01 only" $PY -c '
import csv, sys
aug = [r for r in csv.DictReader(open(sys.argv[1])) if r["REPORTING_PERIOD_START"] == "2025-08-01"]
provs = {r["ORG_CODE2"] for r in aug if r["GROUP_TYPE"] == "Provider"}
print(provs); sys.exit(0 if provs == {"P01"} else 1)' "$W/series.csv"

query ANALYST measures --period 2025-09 --group-type Provider --format csv >"$W/f1.csv" 2>"$W/err"
check "filter group type Provider: 2 providers x 59 measures" \
    mc rows "$W/f1.csv" --groups Provider --count 118
query ANALYST measures --period 2025-09 --org P01 --format csv >"$W/f2.csv" 2>"$W/err"
check "filter org P01: its 59 provider rows only" mc rows "$W/f2.csv" --orgs P01 --groups Provider --count 59
query ANALYST measures --period 2025-08 --to 2025-09 --measure M001,M031 --group-type England \
    --format csv >"$W/f3.csv" 2>"$W/err"
check "filter measures and group over two months: 2 x 2 rows" \
    mc rows "$W/f3.csv" --measures M001,M031 --groups England --periods 2025-08,2025-09 --count 4
check "filtered rows are the rows of the full answer" bash -c \
    "tail -n +2 '$W/f1.csv' | while IFS= read -r l; do grep -qxF \"\$l\" '$W/sup.csv' || exit 1; done"
refused "an unknown measure is refused" "unknown measure id" ANALYST measures --period 2025-09 --measure M999
refused "an unknown group type is refused" "group types are" ANALYST measures --period 2025-09 --group-type Galaxy
refused "a bad period is refused" "YYYY-MM" ANALYST measures --period 2025-9

query ANALYST measures --period 2025-09 --format json >"$W/m.json" 2>"$W/err"
check "JSON: answered" test $? = 0
check "JSON: valid, the CSV's rows with lower-case keys" mc json "$W/m.json" "$W/sup.csv"
query ANALYST measures --period 2025-09 --breakdown age --format json >"$W/age.json" 2>"$W/err"
check "JSON with a breakdown: valid, the CSV's rows" mc json "$W/age.json" "$W/age.csv"

# --- submissions --------------------------------------------------------------------------
query ANALYST submissions --period 2025-09 --format json >"$W/subs.json" 2>"$W/err"
check "analyst: submissions as JSON" test $? = 0
check "September: 3 expected, 2 received; P03 missing; P01 on time, P02 late" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
by = {s["org_code"]: s for s in d["submissions"]}
print(d["expected"], d["received"], {k: (v["received"], v["current"], v["late"]) for k, v in by.items()})
ok = (d["expected"] == 3 and d["received"] == 2 and set(by) == {"P01", "P02", "P03"}
      and by["P01"]["received"] and by["P01"]["current"] and not by["P01"]["late"]
      and by["P02"]["received"] and by["P02"]["current"] and by["P02"]["late"]
      and not by["P03"]["received"] and "submission_id" not in by["P03"]
      and by["P01"]["accepted_at"] == "2025-10-15T12:00:00Z"
      and by["P02"]["accepted_at"] == "2025-10-21T00:00:01Z")
sys.exit(0 if ok else 1)' "$W/subs.json"
query ANALYST submissions --period 2025-08 --format csv >"$W/aug.csv" 2>"$W/err"
check "August: P01 received and late; P02 and P03 missing" $PY -c '
import csv, sys
r = {x["org_code"]: x for x in csv.DictReader(open(sys.argv[1]))}
ok = (r["P01"]["received"] == "true" and r["P01"]["late"] == "true"
      and r["P02"]["received"] == "false" and r["P03"]["received"] == "false")
sys.exit(0 if ok else 1)' "$W/aug.csv"
query ANALYST submissions --period 2025-09 >"$W/subs.txt" 2>&1
check "table: 2 of 3 providers, P03 MISSING" bash -c \
    "grep -q '2025-09: 2 of 3 providers have submitted' '$W/subs.txt' && grep -q '^P03 .*MISSING' '$W/subs.txt'"
query P01 submissions --period 2025-09 --format json >"$W/p01subs.json" 2>"$W/err"
check "provider: its own submissions only" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
orgs = {s["org_code"] for s in d["submissions"]}
print(orgs, d["expected"], d["received"])
sys.exit(0 if orgs == {"P01"} and d["expected"] == 1 and d["received"] == 1 else 1)' "$W/p01subs.json"
query P01 submissions --period 2025-09 --org P01 --format csv >"$W/own.csv" 2>"$W/err"
check "provider: asking for its own organisation by name is fine" grep -q '^P01,' "$W/own.csv"
refused "provider: another organisation's submissions refused" \
    "a provider may read only its own organisation's submissions" \
    P01 submissions --period 2025-09 --org P02
query AUDITOR submissions --period 2025-09 --org P02 --format csv >"$W/aud.csv" 2>"$W/err"
check "auditor: any organisation's submissions" grep -q '^P02,' "$W/aud.csv"

# --- quality --------------------------------------------------------------------------------
query P01 quality --period 2025-09 --org P01 >"$W/q.txt" 2>"$W/err"
check "provider: its own quality report" grep -q "Data quality of P01 for 2025-09" "$W/q.txt"
query P01 quality --period 2025-09 --org P01 --format json >"$W/q.json" 2>"$W/err"
check "quality JSON is valid and counts what the node reported" $PY -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
n = int(re.search(r"2025-09, (\d+) records", open(sys.argv[2]).read()).group(1))
print(d["referrals_used"], n)
sys.exit(0 if d["org_code"] == "P01" and d["referrals_used"] == n else 1)' "$W/q.json" "$W/p01b.log"
refused "provider: another organisation's quality report refused" \
    "a provider may read only its own organisation's data-quality report" \
    P01 quality --period 2025-09 --org P02
query ANALYST quality --period 2025-09 --org P02 >"$W/q2.txt" 2>"$W/err"
check "analyst: any organisation's quality report" grep -q "Data quality of P02" "$W/q2.txt"
refused "quality of a period without a submission" "no accepted submission" \
    P02 quality --period 2025-08 --org P02

# --- locks ------------------------------------------------------------------------------------
refused "provider: lock refused" "only the analyst role may close or reopen a period" \
    P01 lock --period 2025-09
refused "auditor: lock refused" "only the analyst role" AUDITOR lock --period 2025-09
query ANALYST lock --period 2025-09 >"$W/lock.txt" 2>"$W/err"
check "analyst: lock September" grep -q "^period 2025-09 closed at .* by ANALYST" "$W/lock.txt"
node P02 submit --extract "$W/ex/P02/2025-09.v2" --period 2025-09 --deadline 60 >"$W/p02b.log" 2>&1
check "node submitting to a locked period exits 1" test $? = 1
(cd "$W/nodes/P02" && "$BIN/iapt-node" status --config node.conf --json) >"$W/status.json" 2>&1
check "node status shows the refusal and what to do about it" $PY -c '
import json, sys
e = json.load(open(sys.argv[1]))[-1]
print(e["state"], "|", e.get("refusal"))
r = e.get("refusal", "")
sys.exit(0 if e["state"] == "refused" and "2025-09 was closed" in r and "contact the central team" in r else 1)' "$W/status.json"
alive "a refused submission"
node P01 submit --extract "$W/ex/P01/2025-08.v2" --period 2025-08 --deadline 60 >"$W/p01c.log" 2>&1
check "another period stays open meanwhile" test $? = 0
query ANALYST unlock --period 2025-09 >"$W/unlock.txt" 2>"$W/err"
check "analyst: unlock September" grep -q "^period 2025-09 reopened" "$W/unlock.txt"
node P02 submit --extract "$W/ex/P02/2025-09.same" --period 2025-09 --deadline 60 >"$W/p02c.log" 2>&1
check "after unlock the node delivers" test $? = 0
query ANALYST submissions --period 2025-09 --org P02 --format csv >"$W/p02subs.csv" 2>"$W/err"
check "P02: the new submission current, the first replaced" $PY -c '
import csv, sys
r = [x for x in csv.DictReader(open(sys.argv[1])) if x["received"] == "true"]
cur = [x["sequence"] for x in r if x["current"] == "true"]
old = [x["sequence"] for x in r if x["current"] == "false"]
print(cur, old); sys.exit(0 if cur == ["3"] and old == ["1"] else 1)' "$W/p02subs.csv"
query ANALYST measures --period 2025-09 --format csv >"$W/sup2.csv" 2>"$W/err"
check "the same data sent again: the same figures (replaced, not added)" cmp -s "$W/sup.csv" "$W/sup2.csv"

# --- the log --------------------------------------------------------------------------------
# Leaves: P01 Aug, P01 Sep, P02 Sep, P01 Aug again, P02 Sep again = 5.
query AUDITOR checkpoint >"$W/cp.txt" 2>"$W/err"
check "checkpoint: answered" test $? = 0
check "checkpoint: C2SP note (origin, size 5, base64 root, blank line, signature line)" $PY -c '
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
pat = r"\A%s\n5\n[A-Za-z0-9+/]{43}=\n\n\u2014 %s [A-Za-z0-9+/]{91}=\n\Z" % (re.escape(sys.argv[2]), re.escape(sys.argv[2]))
print(repr(t)); sys.exit(0 if re.match(pat, t) else 1)' "$W/cp.txt" "$HUB_NAME"
ids=()
for f in "$W/nodes"/P0[12]/; do
    while read -r id; do ids+=("$id"); done < <(cd "$f" && "$BIN/iapt-node" status --config node.conf --json |
        $PY -c 'import json,sys; [print(e["submission_id"]) for e in json.load(sys.stdin) if e["state"] == "delivered"]')
done
check "log: signature verified by its definition, root recomputed from the leaves, every delivered submission in it" \
    qc log --key "$W/keys/AUDITOR.secret" --expect-size 5 --expect-ids "${ids[@]}"

# --- names the node chose, in JSON ------------------------------------------------------------
# A node of another make signs a data-quality summary whose table, field and
# reason names hold a quote, a backslash, a tab and a line break; the JSON of
# iapt-query must still be valid and give the names back intact.
check "a submission with odd names in its quality summary is accepted" \
    qc odd-quality --key "$W/keys/P01.secret" --submit-endpoint "tcp://127.0.0.1:$SUBMIT_PORT" \
    --period 2025-07 --sequence 1000
query P01 quality --period 2025-07 --org P01 --format json >"$W/odd.json" 2>"$W/err"
check "quality JSON with odd names is valid and exact" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
t, r = d["tables"][0], d["reasons"][0]
print(t, r)
ok = (t["table"] == "IDS\"101\\Referral" and t["fields"][0]["field"] == "Field \"quoted\"\ttabbed"
      and r["reason"] == "reason\nwith a line break")
sys.exit(0 if ok else 1)' "$W/odd.json"

# --- every JSON output: parses, numbers are numbers --------------------------------------------
# Each --json / --format json output of iapt-query and iapt-node goes through
# python3 -m json.tool and has counts as JSON integers, measure values as
# numbers ("*" when suppressed, null when there is nothing to divide by).
jt() { $PY "$IAPT_ROOT/tests/integration/json_types.py" "$@"; }
jsonok() { $PY -m json.tool "$1" >/dev/null; }
query ANALYST measures --period 2025-09 --format json >"$W/j_m.json" 2>"$W/err"
check "json: measures parses with json.tool" jsonok "$W/j_m.json"
check "json: measure values are numbers, \"*\" or null; the rest strings" \
    jt "$W/j_m.json" "[].measure_value_suppressed=num|star|null" "[].measure_id=str" "[].org_name1=str"
check "json: England counts are integers" $PY -c '
import json, sys
d = [r for r in json.load(open(sys.argv[1])) if r["group_type"] == "England" and r["measure_name"].startswith("Count_")]
print(len(d)); sys.exit(0 if d and all(type(r["measure_value_suppressed"]) is int for r in d) else 1)' "$W/j_m.json"
check "json: some rates are non-integral numbers" $PY -c '
import json, sys
d = [r["measure_value_suppressed"] for r in json.load(open(sys.argv[1]))]
sys.exit(0 if any(type(v) is float for v in d) and "*" in d else 1)' "$W/j_m.json"
query ANALYST measures --period 2025-09 --unsuppressed --breakdown gender --format json >"$W/j_mb.json" 2>"$W/err"
check "json: unsuppressed breakdown: no \"*\", values numbers or null" \
    jt "$W/j_mb.json" "[].measure_value_suppressed=num|null" "[].breakdown_level=str"
query ANALYST submissions --period 2025-09 --format json >"$W/j_s.json" 2>"$W/err"
check "json: submissions" jt "$W/j_s.json" expected=int received=int "submissions[].received=bool" \
    "submissions[].current=bool" "submissions[].sequence?=int" "submissions[].records?=int" \
    "submissions[].log_index?=int" "submissions[].submission_id?=str"
query P01 quality --period 2025-09 --org P01 --format json >"$W/j_q.json" 2>"$W/err"
check "json: quality" jt "$W/j_q.json" referrals_in_extract=int referrals_used=int findings=int \
    "tables[].rows=int" "tables[].rejected=int" "tables[].fields[].valid=int" \
    "tables[].fields[].missing=int" "reasons[].count=int" "reasons[].reason=str"
query AUDITOR checkpoint --format json >"$W/j_c.json" 2>"$W/err"
check "json: checkpoint" jt "$W/j_c.json" tree_size=int checkpoint=str
# The targets view needs a targets table: one row per region of the
# geography, restarting the hub with it.
$PY -c '
import csv, sys
regions = sorted({r["region_name"] for r in csv.DictReader(open(sys.argv[1]))})
print("sha_name,prevalence,entering_treatment_by_2015,completing_treatment_by_2015,recovering_by_2015,off_sick_pay_benefits_by_2015")
for i, n in enumerate(regions):
    print("%s,%d,%d,%d,%d,%d" % (n, 100000 + 1000 * i, 15000, 10000, 5000, 400))' "$W/geography.csv" >"$W/targets.csv"
hub_stop
echo "targets = ../targets.csv" >>"$W/hub/hub.conf"
hub_start
query ANALYST targets --period 2025-09 --format json >"$W/j_t.json" 2>"$W/err"
check "json: targets --format json is JSON" jt "$W/j_t.json" months_available=int period=str \
    "rows[].region=str" "rows[].value=num|star|null" "rows[].target=num|star|null" \
    "rows[].progress_percent=num|star|null"
query ANALYST targets --period 2025-09 --format csv >"$W/j_t.csv" 2>"$W/err"
check "targets --format csv: the same rows" $PY -c '
import csv, json, sys
j = json.load(open(sys.argv[1]))["rows"]; c = list(csv.DictReader(open(sys.argv[2])))
print(len(j), len(c))
sys.exit(0 if len(j) == len(c) and all(a["region"] == b["region"] for a, b in zip(j, c)) else 1)' "$W/j_t.json" "$W/j_t.csv"
(cd "$W/nodes/P01" && "$BIN/iapt-node" status --config node.conf --json) >"$W/j_ns.json" 2>"$W/err"
check "json: iapt-node status" jt "$W/j_ns.json" "[].sequence=int" "[].records=int" "[].attempts=int" \
    "[].log_index?=int" "[].state=str" "[].collection=str"
(cd "$W/nodes/P01" && "$BIN/iapt-node" check --config node.conf --extract "$W/ex/P01/2025-09" \
    --period 2025-09 --json) >"$W/j_nc.json" 2>"$W/err"
check "json: iapt-node check" jt "$W/j_nc.json" records=int referrals_used=int findings=int \
    "tables[].rows=int" "tables[].file=str" "reasons[].count=int" "finding_list[].line=int" \
    "finding_list[].rejects=bool" "finding_list[].value=str"
(cd "$W/nodes/P01" && "$BIN/iapt-node" check --config node.conf --extract "$W/nowhere" \
    --period 2025-09 --json) >"$W/j_nr.json" 2>"$W/err"
check "json: iapt-node check of an extract it cannot read" jt "$W/j_nr.json" submittable=bool error=str

# --- requests the command line cannot make -------------------------------------------------
p02id=$($PY -c 'import json,sys; print([e["submission_id"] for e in json.load(open(sys.argv[1])) if e["state"] == "delivered"][-1])' "$W/status.json" 2>/dev/null)
check "provider: requests outside its role refused with the reason" \
    qc roles --key "$W/keys/P01.secret" --other-org P02 --other-id "$p02id"
check "malformed and unknown requests: refused with a reason, hub answering throughout" \
    qc garbage --key "$W/keys/ANALYST.secret"
alive "all of the above"

finish
