#!/usr/bin/env bash
# The CYP collection through a real hub and real nodes: one provider sends an
# adult month and a CYP month (both accepted, each with its own sequence);
# superseding the CYP month leaves the adult one alone; locking the CYP
# period does not lock the adult one; a manifest of an unknown collection is
# refused REFUSE_MALFORMED naming it; iapt-query answers measures,
# submissions, quality and the programme view for CYP in every format (CSV
# in the publication layout); iapt-audit recompute --collection CYP agrees
# with the hub and catches a tampered stored record.
source "$(dirname "$0")/lib.sh"

TOOLS="$IAPT_ROOT/data/cyp-assessment-tools.csv"
synth --providers 2 --months 1 --seed 23 --start 2025-09 --scale 0.2
"$BIN/iapt-synth" --collection CYP --providers 2 --months 1 --seed 23 --start 2025-09 \
    --scale 0.2 --cyp-tools "$TOOLS" --out "$W/cyp" 2>>"$W/synth.log"
cp "$W/cyp/geography.csv" "$W/geography.csv"
cp "$W/synth/imd.csv" "$W/"
world_init_synth
ORG=${PROVIDERS[0]}
ORG2=${PROVIDERS[1]}
cat >>"$W/hub/hub.conf" <<EOC
providers = ../cyp/providers.csv
cyp-tools = $TOOLS
EOC
for org in "${PROVIDERS[@]}"; do
    echo "cyp-tools = $TOOLS" >>"$W/nodes/$org/node.conf"
done
hub_start
check "the hub starts with a CYP tool table and a providers file" kill -0 "$HUB_PID"

# Both collections from one provider.
node "$ORG" submit --extract "$W/synth/$ORG/2025-09" --period 2025-09 >"$W/adult.log" 2>&1
check "the adult month is delivered" grep -q "delivered" "$W/adult.log"
node "$ORG" submit --collection CYP --extract "$W/cyp/$ORG/2025-09" --period 2025-09 \
    >"$W/cyp1.log" 2>&1
check "the CYP month of the same provider is delivered" grep -q "delivered" "$W/cyp1.log"
node "$ORG2" submit --collection CYP --extract "$W/cyp/$ORG2/2025-09" --period 2025-09 \
    >"$W/cyp2.log" 2>&1
check "a second provider's CYP month is delivered" grep -q "delivered" "$W/cyp2.log"

query ANALYST submissions --period 2025-09 --format json >"$W/sub-adult.json"
query ANALYST submissions --period 2025-09 --format json --collection CYP >"$W/sub-cyp.json"
$PY - "$W/sub-adult.json" "$W/sub-cyp.json" "$ORG" >"$W/seq.out" 2>&1 <<'EOPY'
import json, sys
a = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2])); org = sys.argv[3]
def rows(d):
    return d["submissions"] if isinstance(d, dict) and "submissions" in d else d
ra = [r for r in rows(a) if r.get("org_code") == org]
rc = [r for r in rows(c) if r.get("org_code") == org]
print(len(ra), len(rc), ra[:1], rc[:1])
print("PASS" if len(ra) == 1 and len(rc) == 1 and ra[0]["submission_id"] != rc[0]["submission_id"]
      and ra[0]["records"] != rc[0]["records"] else "FAIL")
EOPY
check "each collection lists its own current submission of the provider" grep -q PASS "$W/seq.out"

# Measures in every format.
query ANALYST measures --period 2025-09 --collection CYP --format csv >"$W/cyp.csv"
check "CYP measures CSV: the publication header" \
    bash -c "head -1 '$W/cyp.csv' | grep -q '^REPORTING_PERIOD_START,REPORTING_PERIOD_END,GROUP_TYPE'"
check "... C001 to C063 at England" \
    bash -c "grep -c '^[^,]*,[^,]*,England,' '$W/cyp.csv' | grep -qx 32"
check "... and rows at Region, ICB, SubICB and Provider" \
    bash -c "for g in Region ICB SubICB Provider; do grep -q \",\$g,\" '$W/cyp.csv' || exit 1; done"
check "... no adult measure among them" bash -c "! grep -q ',M0[0-9][0-9],' '$W/cyp.csv'"
# The independent reference (tests/reference/cyp_reference.py) on the same
# extracts: every row equal, suppressed and unsuppressed, and by age.
for u in "" --unsuppressed; do
    $PY "$IAPT_ROOT/tests/reference/cyp_reference.py" --extracts "$W/cyp" --period 2025-09 \
        --geography "$W/geography.csv" --providers "$W/cyp/providers.csv" --tools "$TOOLS" \
        --imd "$W/imd.csv" $u --out "$W/ref$u.csv" 2>>"$W/ref.log"
    query ANALYST measures --period 2025-09 --collection CYP --format csv $u >"$W/hub$u.csv"
    check "the hub's CYP publication ${u:-(suppressed)} equals the reference's" \
        $PY "$IAPT_ROOT/tests/reference/compare.py" --collection cyp "$W/ref$u.csv" "$W/hub$u.csv"
done
$PY "$IAPT_ROOT/tests/reference/cyp_reference.py" --extracts "$W/cyp" --period 2025-09 \
    --geography "$W/geography.csv" --providers "$W/cyp/providers.csv" --tools "$TOOLS" \
    --imd "$W/imd.csv" --breakdown age --out "$W/ref-age.csv" 2>>"$W/ref.log"
query ANALYST measures --period 2025-09 --collection CYP --format csv --breakdown age \
    >"$W/hub-age.csv"
check "... and by age band" \
    $PY "$IAPT_ROOT/tests/reference/compare.py" --collection cyp "$W/ref-age.csv" "$W/hub-age.csv"
query ANALYST measures --period 2025-09 --collection CYP --format json >"$W/cyp.json"
check "CYP measures JSON parses" $PY -c "import json,sys; json.load(open('$W/cyp.json'))"
query ANALYST measures --period 2025-09 --collection CYP >"$W/cyp.txt"
check "CYP measures table names C051" grep -q "C051" "$W/cyp.txt"
query ANALYST measures --period 2025-09 --collection CYP --format wide >"$W/cyp-wide.txt"
check "the wide table has the CYP headline columns" \
    bash -c "head -3 '$W/cyp-wide.txt' | grep -q C051 && head -3 '$W/cyp-wide.txt' | grep -q C061"
for f in table csv; do
    query ANALYST submissions --period 2025-09 --collection CYP --format $f >"$W/sub-cyp.$f"
done
check "CYP submissions as CSV and a table list both providers" \
    bash -c "grep -q '$ORG2' '$W/sub-cyp.csv' && grep -q '$ORG2' '$W/sub-cyp.table' &&
             grep -q '$ORG' '$W/sub-cyp.csv'"
query ANALYST measures --period 2025-09 --collection CYP --format csv --breakdown age \
    >"$W/cyp-age.csv"
check "the age breakdown has its levels" grep -q ",Age band at referral,11-15," "$W/cyp-age.csv"
query ANALYST measures --collection CYP --format csv --quarter 2025/26-Q2 \
    >"$W/cyp-q.csv" 2>"$W/cyp-q.err"
check "a CYP quarter is answered" grep -q ",C012," "$W/cyp-q.csv"
query ANALYST quality --period 2025-09 --org "$ORG" --collection CYP --format json \
    >"$W/quality.json" 2>&1
check "CYP quality answered" $PY -c "import json,sys; json.load(open('$W/quality.json'))"
for f in table csv json; do
    query ANALYST targets --period 2025-09 --collection CYP --format $f >"$W/prog.$f" 2>&1
done
check "the CYP programme view (CSV) has coverage, access growth and CWP teams" \
    bash -c "grep -q ',coverage,England,all,England,Percentage_Coverage,' '$W/prog.csv' &&
             grep -q ',access_growth,Region,' '$W/prog.csv' &&
             grep -q ',cwp_teams,Provider,' '$W/prog.csv'"
check "... England's coverage is a percentage" \
    bash -c "grep -E ',coverage,England,all,England,Percentage_Coverage,[0-9]+\.[0-9]$' '$W/prog.csv'"
$PY "$IAPT_ROOT/tests/reference/cyp_reference.py" --programme --extracts "$W/cyp" \
    --period 2025-09 --geography "$W/geography.csv" --providers "$W/cyp/providers.csv" \
    --tools "$TOOLS" --imd "$W/imd.csv" --out "$W/ref-prog.csv" 2>>"$W/ref.log"
check "... row for row the reference's programme view" cmp "$W/ref-prog.csv" "$W/prog.csv"
check "... as JSON" $PY -c "import json,sys; json.load(open('$W/prog.json'))"
check "... as a table" grep -q "coverage Percentage_Coverage" "$W/prog.table"
cp "$W/cyp.csv" "$W/cyp-before.csv"

# Supersede the CYP month (one contact fewer): the adult figures do not move.
# without_last_row SRC DST FILE: a copy of an extract without FILE's last row.
without_last_row() {
    rm -rf "$2"
    cp -r "$1" "$2"
    sed -i '$d' "$2/$3"
}
query ANALYST measures --period 2025-09 --format csv --unsuppressed >"$W/adult-before.csv"
without_last_row "$W/cyp/$ORG/2025-09" "$W/cyp-b" CYP201CareContact.csv
node "$ORG" submit --collection CYP --extract "$W/cyp-b" --period 2025-09 >"$W/cyp1b.log" 2>&1
check "the changed CYP month is delivered (superseding)" \
    bash -c "grep -q 'delivered' '$W/cyp1b.log' && ! grep -q 'already delivered' '$W/cyp1b.log'"
query ANALYST submissions --period 2025-09 --format json --collection CYP >"$W/sub-cyp2.json"
check "... and is the provider's current CYP submission" \
    bash -c "! cmp -s '$W/sub-cyp.json' '$W/sub-cyp2.json'"
query ANALYST measures --period 2025-09 --collection CYP --format csv --unsuppressed \
    >"$W/cyp-after.csv"
check "... with one attended or DNA contact fewer counted" \
    $PY - "$W/cyp-after.csv" "$W/cyp.csv" <<'EOPY'
import csv, sys
def eng(path, mid):
    for r in csv.DictReader(open(path)):
        if r["GROUP_TYPE"] == "England" and r["MEASURE_ID"] == mid:
            return int(r["MEASURE_VALUE_SUPPRESSED"])
a, b = sys.argv[1], sys.argv[2]
sys.exit(0 if eng(a, "C020") + eng(a, "C021") <= eng(b, "C020") + eng(b, "C021") else 1)
EOPY
query ANALYST measures --period 2025-09 --format csv --unsuppressed >"$W/adult-after.csv"
check "superseding the CYP month leaves the adult publication unchanged" \
    cmp -s "$W/adult-before.csv" "$W/adult-after.csv"
query ANALYST submissions --period 2025-09 --format json >"$W/sub-adult2.json"
check "... and the adult submission list unchanged" cmp -s "$W/sub-adult.json" "$W/sub-adult2.json"

# Lock the CYP period: the adult period stays open.
query ANALYST lock --period 2025-09 --collection CYP >"$W/lock.out" 2>&1
check "the CYP period locks" test $? -eq 0
without_last_row "$W/cyp-b" "$W/cyp-c" CYP201CareContact.csv
node "$ORG" submit --collection CYP --extract "$W/cyp-c" --period 2025-09 >"$W/cyp1c.log" 2>&1
check "a CYP submission to the locked period is refused" grep -qi "locked\|closed" "$W/cyp1c.log"
without_last_row "$W/synth/$ORG/2025-09" "$W/adult-b" IDS202CareActivity.csv
node "$ORG" submit --extract "$W/adult-b" --period 2025-09 >"$W/adult2.log" 2>&1
check "the adult period is not locked by it" \
    bash -c "grep -q 'delivered' '$W/adult2.log' && ! grep -q 'already delivered' '$W/adult2.log'"

# A manifest of a collection the hub does not know.
$PY "$IAPT_ROOT/tests/integration/hubclient.py" collection --endpoint "tcp://127.0.0.1:$SUBMIT_PORT" \
    --key "$W/keys/$ORG.secret" --hub-public "$W/keys/HUB.pub" --period 2025-10 \
    >"$W/unknown.out" 2>&1
check "an unknown collection is refused REFUSE_MALFORMED naming it" grep -q "PASS" "$W/unknown.out"
check "the hub still serves" kill -0 "$HUB_PID"

# The auditor recomputes the CYP publication from the signed records.
cat >"$W/audit.conf" <<EOC
endpoint = tcp://127.0.0.1:$QUERY_PORT
key = keys/AUDITOR.secret
hub-public = keys/HUB.pub
hub-name = $HUB_NAME
registry = registry.csv
geography = geography.csv
providers = cyp/providers.csv
state = audit.state
cyp-tools = $TOOLS
EOC
"$BIN/iapt-audit" --config "$W/audit.conf" recompute --period 2025-09 --collection CYP \
    >"$W/audit.out" 2>&1
rc=$?
check "iapt-audit recompute --collection CYP agrees with the hub" test $rc -eq 0
check "... having checked the CYP records of both providers" \
    bash -c "grep -q '^ok   records of $ORG 2025-09' '$W/audit.out' &&
             grep -q '^ok   records of $ORG2 2025-09' '$W/audit.out'"
"$BIN/iapt-audit" --config "$W/audit.conf" recompute --period 2025-09 --collection CYP \
    --table "$W/no-such-tools.csv" >"$W/audit-notable.out" 2>&1
rc=$?
check "an auditor's --table that does not exist: exit 2 naming it" \
    bash -c "test $rc -eq 2 && grep -q 'no-such-tools.csv' '$W/audit-notable.out'"

# One byte of a stored CYP record flipped in the hub's LMDB: caught.
ID2=$($PY -c "import json,sys; d=json.load(open(sys.argv[1])); r=d['submissions'] if isinstance(d, dict) else d; print([x for x in r if x['org_code']==sys.argv[2]][0]['submission_id'])" "$W/sub-cyp.json" "$ORG2")
$PY "$IAPT_ROOT/tests/integration/audit_tools.py" record --endpoint "tcp://127.0.0.1:$QUERY_PORT" \
    --key "$W/keys/AUDITOR.secret" --hub-public "$W/keys/HUB.pub" --id "$ID2" --index 3 \
    --out "$W/rec3" >"$W/tools.log" 2>&1
hub_stop
check "one byte of $ORG2's CYP record 3 flipped in data.mdb" \
    $PY "$IAPT_ROOT/tests/integration/audit_tools.py" flip --store "$W/hub/data/data.mdb" \
    --bytes "$W/rec3" --offset 10
hub_start
"$BIN/iapt-audit" --config "$W/audit.conf" recompute --period 2025-09 --collection CYP \
    >"$W/audit-tampered.out" 2>&1
rc=$?
check "recompute --collection CYP fails on the tampered record" test $rc -eq 1
check "... naming the records-root mismatch of $ORG2" \
    grep -q "^FAIL records of $ORG2 2025-09 .*records root mismatch" "$W/audit-tampered.out"

# A hub without its CYP tool table (no cyp-tools, no default file in its
# directory) serves, and refuses CYP submissions saying why.
hub_stop
sed -i '/^cyp-tools = /d' "$W/hub/hub.conf"
hub_start
check "a hub without the CYP tool table starts" kill -0 "$HUB_PID"
check "... warning that CYP submissions are refused" \
    grep -q "no cyp-tools table.*CYP submissions are refused" "$W/hub/hub.log"
without_last_row "$W/cyp/$ORG2/2025-09" "$W/cyp-d" CYP201CareContact.csv
node "$ORG2" submit --collection CYP --extract "$W/cyp-d" --period 2025-09 --deadline 4 \
    >"$W/cyp2d.log" 2>&1
check "... and refuses one naming cyp-tools" grep -q "cyp-tools" "$W/cyp2d.log"
finish
