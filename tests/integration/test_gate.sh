#!/usr/bin/env bash
# The node's plausibility gate, with real processes: a provider's good month
# is delivered; then extracts that would silently destroy it (dates written
# DD/MM/YYYY, the contacts file missing, a month not yet over, the same
# extract again, a ';'-delimited file, a workbook renamed .csv, file names in
# the wrong case) are refused at the node with the reason, and nothing is
# replaced: the hub's measures for that provider and month are byte-identical
# and the outbox has no new entry. Finally --force delivers one, and the
# signed manifest carries forced = true and the overridden checks.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
synth --providers 1 --months 1 --seed 11 --start $PERIOD --scale 0.2
FUTURE=$(date -u +%Y-%m)
"$BIN/iapt-synth" --out "$W/future" --providers 1 --months 1 --seed 11 --start "$FUTURE" \
    --scale 0.2 2>>"$W/synth.log"
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init 1
src=$(sed -n 2p "$W/synth/providers.csv" | cut -d, -f1)
# good EXTRACT_DIR SOURCE_DIR: a copy whose header names P01.
good() {
    rm -rf "$1"
    mkdir -p "$(dirname "$1")"
    cp -r "$2" "$1"
    sed -i "2s/^$src,/P01,/; 2s/,$src,/,P01,/" "$1/IDS000Header.csv"
}
good "$W/ex/good" "$W/synth/$src/$PERIOD"
hub_start || { echo "hub did not start"; cat "$W/hub/hub.log"; }

node P01 check --extract "$W/ex/good" --period $PERIOD >"$W/check.good" 2>&1
check "check passes the good month (exit 0)" test $? = 0
node P01 submit --extract "$W/ex/good" --period $PERIOD --deadline 60 >"$W/good.log" 2>&1
check "the good month is delivered" test $? = 0
measures() { query ANALYST measures --period $PERIOD --org P01 --format csv --unsuppressed 2>&1; }
M0=$(measures)
S0=$(node P01 status)
check "the good month has measures at the hub" test "$(echo "$M0" | wc -l)" -gt 5

# refused NAME PATTERN [PERIOD]: submit $W/ex/NAME; exit 1, the message,
# nothing replaced at the hub, nothing new in the outbox.
refused() {
    local name=$1 pattern=$2 period=${3:-$PERIOD}
    node P01 submit --extract "$W/ex/$name" --period "$period" --deadline 30 >"$W/$name.log" 2>&1
    check_eq "$name: submit refuses (exit 1)" 1 $?
    check "$name: says why ($pattern)" grep -q -- "$pattern" "$W/$name.log"
    check_eq "$name: the hub's measures for P01 $PERIOD are unchanged" "$M0" "$(measures)"
    check_eq "$name: no new outbox entry" "$S0" "$(node P01 status)"
}

# DD/MM/YYYY dates in every data file (the header keeps its ISO dates).
good "$W/ex/ddmm" "$W/synth/$src/$PERIOD"
for f in "$W/ex/ddmm"/IDS[1-9]*.csv "$W/ex/ddmm"/IDS0[0-9][1-9]*.csv; do
    sed -i -E 's/\b([0-9]{4})-([0-9]{2})-([0-9]{2})\b/\3\/\2\/\1/g' "$f"
done
refused ddmm "dates look like DD/MM/YYYY"
check "ddmm: the gate names zero usable records" grep -q "zero-records" "$W/ddmm.log"
node P01 check --extract "$W/ex/ddmm" --period $PERIOD --json >"$W/ddmm.json" 2>"$W/ddmm.err"
check_eq "ddmm: check exits 1 as submit would refuse" 1 $?
check "ddmm: check --json carries the diagnosis and the gate" $PY -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["submittable"] is False
assert any(d["code"] == "dd-mm-yyyy" for d in r["diagnoses"])
assert any(g["check"] == "zero-records" for g in r["gate"])' "$W/ddmm.json"

good "$W/ex/nocontacts" "$W/synth/$src/$PERIOD"
rm "$W/ex/nocontacts/IDS201CareContact.csv"
refused nocontacts "IDS201CareContact.csv is missing"
node P01 check --extract "$W/ex/nocontacts" --period $PERIOD >/dev/null 2>&1
check_eq "nocontacts: check exits 1" 1 $?

good "$W/ex/future" "$W/future/$src/$FUTURE"
refused future "period-not-ended" "$FUTURE"

good "$W/ex/semicolon" "$W/synth/$src/$PERIOD"
sed -i 's/,/;/g' "$W/ex/semicolon/IDS101Referral.csv"
refused semicolon "uses ';' between columns"

good "$W/ex/xlsx" "$W/synth/$src/$PERIOD"
$PY -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>" * 100)' "$W/ex/xlsx/IDS201CareContact.csv"
refused xlsx "is a ZIP file"

good "$W/ex/case" "$W/synth/$src/$PERIOD"
mv "$W/ex/case/IDS201CareContact.csv" "$W/ex/case/ids201carecontact.csv"
refused case "rename it to IDS201CareContact.csv"

# The same extract again: not prepared, exit 0.
node P01 submit --extract "$W/ex/good" --period $PERIOD --deadline 30 >"$W/again.log" 2>&1
check_eq "identical resubmission: exit 0" 0 $?
check "identical resubmission: says already delivered" grep -q "already delivered" "$W/again.log"
check_eq "identical resubmission: measures unchanged" "$M0" "$(measures)"
check_eq "identical resubmission: no new outbox entry" "$S0" "$(node P01 status)"

# --force: delivered, and the manifest says so.
node P01 submit --extract "$W/ex/nocontacts" --period $PERIOD --force --deadline 60 \
    >"$W/forced.log" 2>&1
check_eq "forced: delivered (exit 0)" 0 $?
check "forced: warns that the centre will see it" grep -q "the centre will see it" "$W/forced.log"
seq=$(node P01 status --json | $PY -c 'import json,sys; print(max(e["sequence"] for e in json.load(sys.stdin)))')
check_eq "forced: a second submission in the outbox" 2 "$seq"
node P01 receipt --sequence "$seq" --out "$W/forced.bundle" >/dev/null 2>&1
check "forced: the signed manifest has forced=true and the overridden check" $PY -c '
import os, sys
sys.path.insert(0, os.path.join(os.environ["IAPT_ROOT"], "tests/integration"))
from hubclient import msg
b = msg("ReceiptBundle")(); b.ParseFromString(open(sys.argv[1], "rb").read())
sm = msg("SignedManifest")(); sm.ParseFromString(b.signed_manifest)
m = msg("Manifest")(); m.ParseFromString(sm.manifest)
assert m.forced, "forced not set"
assert any(c.startswith("table-missing:IDS201: ") for c in m.forced_checks), list(m.forced_checks)
' "$W/forced.bundle"
check "forced: the hub now counts the forced month (measures changed)" test "$M0" != "$(measures)"

finish
