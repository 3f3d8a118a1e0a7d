#!/usr/bin/env bash
# The CYP collection at the node, through the real iapt-node: check on
# synthetic CYP extracts with injected errors reports exactly the errors the
# generator wrote (and tests/synth/check_cyp.py, written from the rules alone,
# agrees), in text and JSON; a CYP extract read as adult and an adult one read
# as CYP are refused naming the right collection; a tool code missing from
# the tool table is a finding, never a crash; a bad tool table stops check and
# submit naming its line; submit --no-send stores a CYP month beside an adult
# one and status lists both with their own data set versions; the hub (with
# its CYP tool table) takes both months, and keeps serving.
source "$(dirname "$0")/lib.sh"

TOOLS="$IAPT_ROOT/data/cyp-assessment-tools.csv"
SHA=$(sha256sum "$TOOLS" | cut -d' ' -f1)
P=2025-06
synth --providers 2 --months 1 --seed 11 --start $P --scale 0.3
"$BIN/iapt-synth" --collection CYP --providers 2 --months 1 --seed 11 --start $P --scale 0.3 \
    --error-rate 0.02 --cyp-tools "$TOOLS" --out "$W/cyp" 2>>"$W/synth.log"
cp "$W/synth/imd.csv" "$W/synth/geography.csv" "$W/"
world_init_synth
A=${PROVIDERS[0]}
B=${PROVIDERS[1]}
cyp_check() { # ORG EXTRA...: check a CYP extract of ORG
    local org=$1; shift
    (cd "$W/nodes/$org" && "$BIN/iapt-node" check --config node.conf --collection CYP \
        --extract "$W/cyp/$org/$P" --period $P "$@")
}
for org in "$A" "$B"; do
    echo "cyp-tools = $TOOLS" >>"$W/nodes/$org/node.conf"
done

# ---- findings: exactly the injected errors, and the 26+ age bands ----
check "check_cyp.py: errors.csv is what the rules find (independent validation)" \
    $PY "$IAPT_ROOT/tests/synth/check_cyp.py" "$W/cyp" "$TOOLS" $P --findings-only
old=$($PY "$IAPT_ROOT/tests/synth/check_cyp.py" "$W/cyp" "$TOOLS" $P --findings-only |
    sed -n 's/.*age 26+ findings (data) \([0-9]*\).*/\1/p')
cmp_findings() { # JSON ERRORS.csv: the node's findings (26+ apart) equal errors.csv
    $PY - "$1" "$2" <<'EOF'
import csv, json, sys
rep = json.load(open(sys.argv[1]))
with open(sys.argv[2], newline="") as f:
    rows = list(csv.reader(f))[1:]
want = {(r[0], int(r[1]), r[2], r[3]) for r in rows}
got = {(f["file"], f["line"], f["field"], f["reason"]) for f in rep["finding_list"]
       if f["reason"] != "age-26-plus"}
if rep["findings_not_listed"] or got != want or not want:
    print("node only:", sorted(got - want)[:8], "errors.csv only:", sorted(want - got)[:8])
    sys.exit(1)
print(len(got), "findings, all in errors.csv")
EOF
}
n26=0
for org in "$A" "$B"; do
    cyp_check "$org" --json >"$W/$org.json" 2>"$W/$org.err"
    check_eq "$org: check --collection CYP exits 0 (submittable, with findings)" 0 $?
    check "$org: the node's findings are exactly errors.csv" \
        cmp_findings "$W/$org.json" "$W/cyp/$org/$P.errors.csv"
    check_eq "$org: --json names the tool table's SHA-256" "$SHA" \
        "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["tools_sha256"])' "$W/$org.json")"
    n=$($PY -c 'import json,sys; print(sum(f["reason"] == "age-26-plus" for f in json.load(open(sys.argv[1]))["finding_list"]))' "$W/$org.json")
    n26=$((n26 + n))
done
check_eq "the 26+ age findings are the ones check_cyp.py counts" "$old" "$n26"
check "there are 26+ age findings to count" test "$n26" -gt 0

# The text report names file, line, field and reason of the same findings.
cyp_check "$A" --max-findings 100000 >"$W/A.txt" 2>&1
check_eq "text report: exit 0" 0 $?
line=$(grep -m1 'not-applicable\|out-of-range' "$W/cyp/$A/$P.errors.csv")
IFS=, read -r file lno field reason <<<"$line"
check "text report: $file:$lno: $field: $reason" grep -q "^  $file:$lno: $field: $reason" "$W/A.txt"
check_eq "text report: one line per finding" \
    "$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["finding_list"]))' "$W/$A.json")" \
    "$(grep -c '^  CYP[0-9]*[A-Za-z]*\.csv:[0-9]*: ' "$W/A.txt")"
check "text report: the tool table's SHA-256" grep -q "^Tool table sha256 $SHA" "$W/A.txt"

# ---- the wrong collection, both ways ----
(cd "$W/nodes/$A" && "$BIN/iapt-node" check --config node.conf --extract "$W/cyp/$A/$P" \
    --period $P) >"$W/wrong1.out" 2>"$W/wrong1.err"
check_eq "a CYP extract checked as adult: exit 1" 1 $?
check "... the reason names CYP and --collection CYP" \
    grep -q "IDS000Header.csv: required file missing; this directory holds CYP000Header.csv: it looks like an extract of the CYP collection; use --collection CYP" "$W/wrong1.err"
(cd "$W/nodes/$A" && "$BIN/iapt-node" check --config node.conf --collection cyp \
    --extract "$W/synth/$A/$P" --period $P) >"$W/wrong2.out" 2>"$W/wrong2.err"
check_eq "an adult extract checked as CYP: exit 1" 1 $?
check "... the reason names IAPT and --collection IAPT" \
    grep -q "CYP000Header.csv: required file missing; this directory holds IDS000Header.csv: it looks like an extract of the IAPT collection; use --collection IAPT" "$W/wrong2.err"
node "$A" submit --collection CYP --extract "$W/synth/$A/$P" --period $P --no-send \
    >"$W/wrong3.out" 2>"$W/wrong3.err"
check_eq "submit of an adult extract as CYP: exit 1, nothing prepared" "1 0" \
    "$? $(grep -c 'prepared' "$W/wrong3.out")"

# ---- a tool code missing from the tool table ----
grep -v '^SDQP,' "$TOOLS" >"$W/tools-nosdqp.csv"
cyp_check "$A" --tools "$W/tools-nosdqp.csv" --json >"$W/nosdqp.json" 2>"$W/nosdqp.err"
check_eq "SDQP not in the table: check still exits 0" 0 $?
want=$($PY - "$W/cyp/$A/$P/CYP607CodedScore.csv" <<'EOF'
import csv, re, sys
num = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?\Z")
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
print(sum(r["CodedAssToolType"].strip() == "SDQP" and bool(num.match(r["PersScore"].strip()))
          for r in rows))
EOF
)
got=$($PY -c 'import json,sys; print(sum(f["field"] == "CodedAssToolType" and f["reason"] == "unknown-code" and f["value"] == "SDQP" for f in json.load(open(sys.argv[1]))["finding_list"]))' "$W/nosdqp.json")
check_eq "every SDQP score is an unknown-code finding on CodedAssToolType" "$want" "$got"
check "there are SDQP scores in the extract" test "$want" -gt 0
check "a different table, a different tools_sha256" \
    $PY -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["tools_sha256"] == sys.argv[2])' \
    "$W/nosdqp.json" "$SHA"

# ---- a bad tool table: refused at start, naming its line ----
{ cat "$TOOLS"; echo "GBO2,Second goal,goal,0,10,higher,,2.45"; } >"$W/tools-bad.csv"
badline=$(wc -l <"$W/tools-bad.csv")
cyp_check "$A" --tools "$W/tools-bad.csv" >"$W/bad.out" 2>"$W/bad.err"
check_eq "check with a bad tool table: exit 2" 2 $?
check "... naming the file and line $badline" grep -q "tools-bad.csv:$badline:" "$W/bad.err"
check_eq "... and no report" 0 "$(wc -c <"$W/bad.out")"
cp "$W/nodes/$A/node.conf" "$W/node.conf.good"
echo "cyp-tools = $W/tools-bad.csv" >"$W/nodes/$A/node.conf.bad"
grep -v '^cyp-tools' "$W/node.conf.good" >>"$W/nodes/$A/node.conf.bad"
(cd "$W/nodes/$A" && "$BIN/iapt-node" submit --config node.conf.bad --collection CYP \
    --extract "$W/cyp/$A/$P" --period $P --no-send) >"$W/bad2.out" 2>"$W/bad2.err"
check_eq "submit with a bad cyp-tools: exit 2" 2 $?
check "... naming the line" grep -q "tools-bad.csv:$badline:" "$W/bad2.err"
check "... and nothing in the outbox" test ! -e "$W/nodes/$A/outbox/data.mdb" -o -z \
    "$(node "$A" status 2>/dev/null | grep -E '^ *[0-9]')"

# ---- submit --no-send: an adult and a CYP month in one outbox ----
node "$A" submit --extract "$W/synth/$A/$P" --period $P --no-send >"$W/s1.out" 2>"$W/s1.err"
check_eq "adult submit --no-send: exit 0" 0 $?
node "$A" submit --collection CYP --extract "$W/cyp/$A/$P" --period $P --no-send \
    >"$W/s2.out" 2>"$W/s2.err"
check_eq "CYP submit --no-send: exit 0" 0 $?
check "CYP submission prepared, named CYP" grep -q "^submission 2 prepared: CYP $P, " "$W/s2.out"
node "$A" submit --collection CYP --extract "$W/cyp/$A/$P" --period $P --no-send \
    >"$W/s3.out" 2>"$W/s3.err"
check "the same CYP month again: identical, not prepared again" \
    grep -q "identical to submission 2 ($P" "$W/s3.out"
node "$A" status >"$W/st.txt" 2>&1
check "status lists the adult month" grep -qE "^ *1 .*$P" "$W/st.txt"
check "status lists the CYP month" grep -qE "^ *2 .*CYP $P" "$W/st.txt"
node "$A" status --json >"$W/st.json" 2>/dev/null
check_eq "status --json: collections, data set versions, tool hash" \
    "1 IAPT 2.1 -|2 CYP 1.0 $SHA|" \
    "$($PY -c '
import json, sys
for e in sorted(json.load(open(sys.argv[1])), key=lambda e: e["sequence"]):
    print(e["sequence"], e["collection"], e["dataset_version"], e.get("tools_sha256", "-"), end="|")
' "$W/st.json")"
check_eq "the CYP submission holds the used referrals" \
    "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["referrals_used"])' "$W/$A.json")" \
    "$($PY -c 'import json,sys; print([e["records"] for e in json.load(open(sys.argv[1])) if e["collection"] == "CYP"][0])' "$W/st.json")"

# ---- delivery: the hub takes the adult month and the CYP one ----
echo "cyp-tools = $TOOLS" >>"$W/hub/hub.conf"
hub_start
node "$A" send --deadline 60 >"$W/send.out" 2>"$W/send.err"
check_eq "send: exit 0 (both delivered)" 0 $?
node "$A" status --json >"$W/st2.json" 2>/dev/null
check_eq "the adult month and the CYP month delivered" "1 delivered|2 delivered|" \
    "$($PY -c '
import json, sys
for e in sorted(json.load(open(sys.argv[1])), key=lambda e: e["sequence"]):
    print(e["sequence"], e["state"], end="|")
' "$W/st2.json")"
node "$B" submit --extract "$W/synth/$B/$P" --period $P --deadline 60 >"$W/s4.out" 2>"$W/s4.err"
check_eq "the hub keeps serving: $B's adult month delivered after them" 0 $?

finish
