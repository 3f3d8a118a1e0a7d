#!/usr/bin/env bash
# The workforce collection end to end: three synthetic providers submit a
# workforce month through real nodes to a real hub (placed by the providers
# file), two of them an adult month too. The hub's W001-W041 at every level,
# with and without suppression and in every breakdown, equal the
# independent reference (tests/reference/workforce_reference.py) byte for
# byte; W040/W041 join only the providers with both months (empty for the
# one without); every format and command answers for --collection
# WORKFORCE; a workforce period lock leaves the adult period open; the
# auditor recomputes everything (joins included) and catches a tampered
# workforce record.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
REF="$PY $IAPT_ROOT/tests/reference/workforce_reference.py"
TOOLS="$PY $IAPT_ROOT/tests/integration/audit_tools.py"
synth --providers 3 --months 1 --seed 23 --start $PERIOD --scale 0.2 --error-rate 0
"$BIN/iapt-synth" --out "$W/wf" --collection WORKFORCE --providers 3 --months 1 --seed 23 \
    --start $PERIOD --error-rate 0 2>>"$W/synth.log"
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
cp "$W/wf/providers.csv" "$W/providers.csv"
world_init_synth
echo "providers = ../providers.csv" >>"$W/hub/hub.conf"
hub_start || { echo "hub did not start"; cat "$W/hub/hub.log"; }
P1=${PROVIDERS[0]} P2=${PROVIDERS[1]} P3=${PROVIDERS[2]}

for org in "$P1" "$P2" "$P3"; do
    node "$org" submit --collection WORKFORCE --extract "$W/wf/$org/$PERIOD" --period $PERIOD \
        --deadline 60 >"$W/wf-$org.log" 2>&1
    check "$org delivers its workforce month" grep -q "delivered" "$W/wf-$org.log"
done
mkdir -p "$W/adult-join"
for org in "$P1" "$P2"; do
    node "$org" submit --extract "$W/synth/$org/$PERIOD" --period $PERIOD --deadline 60 \
        >"$W/ad-$org.log" 2>&1
    check "$org delivers its adult month" grep -q "delivered" "$W/ad-$org.log"
    mkdir -p "$W/adult-join/$org"
    ln -s "$W/synth/$org/$PERIOD" "$W/adult-join/$org/$PERIOD"
done

# --- the publication against the reference --------------------------------------------------
wq() { query ANALYST measures --period $PERIOD --collection WORKFORCE "$@"; }
ref() {
    $REF --extracts "$W/wf" --period $PERIOD --geography "$W/geography.csv" \
        --providers "$W/providers.csv" --adult-extracts "$W/adult-join" "$@" 2>>"$W/ref.log"
}
for variant in "" "--unsuppressed"; do
    for bd in none role band profession; do
        name=${bd}${variant:+-u}
        bargs=()
        [ "$bd" != none ] && bargs=(--breakdown "$bd")
        wq --format csv ${variant:+$variant} "${bargs[@]}" >"$W/hub-$name.csv" 2>>"$W/q.log"
        ref --out "$W/ref-$name.csv" ${variant:+$variant} "${bargs[@]}"
        check "WORKFORCE $bd ${variant:-suppressed}: the hub's CSV equals the reference's" \
            cmp "$W/hub-$name.csv" "$W/ref-$name.csv"
    done
done
rows=$(($(wc -l <"$W/hub-none.csv") - 1))
check "the publication has rows (England, regions, ICBs, 3 providers: >= 6 x 19)" \
    test "$rows" -ge $((6 * 19))
check "no SubICB rows" bash -c "! grep -q ',SubICB,' '$W/hub-none.csv'"
val() { # val FILE GROUP_TYPE CODE MEASURE
    $PY - "$@" <<'EOPY'
import csv, sys
f, t, code, m = sys.argv[1:5]
for r in csv.DictReader(open(f)):
    c = r["ORG_CODE2"] if t == "Provider" else r["ORG_CODE1"]
    if r["GROUP_TYPE"] == t and c == code and r["MEASURE_ID"] == m:
        print(r["MEASURE_VALUE_SUPPRESSED"]); break
else:
    print("(none)")
EOPY
}
check_eq "W040 of $P3 (no adult month) is empty" "" "$(val "$W/hub-none-u.csv" Provider "$P3" W040)"
w040=$(val "$W/hub-none-u.csv" Provider "$P1" W040)
check "W040 of $P1 (both months) is a ratio" bash -c "[[ '$w040' =~ ^[0-9]+\.[0-9]$ ]]"
check "W040 at England is a ratio" \
    bash -c "[[ '$(val "$W/hub-none.csv" England all W040)' =~ ^[0-9]+\.[0-9]$ ]]"
# The adult figures did not move: the same as the reference's adult check.
query ANALYST measures --period $PERIOD --format csv --unsuppressed >"$W/adult.csv"
check "the adult publication answers beside it" grep -q ",M082," "$W/adult.csv"

# --- every format and command ---------------------------------------------------------------
wq --format json >"$W/hub.json"
check "measures --format json parses, one object per CSV row" \
    $PY -c "import json,sys; d=json.load(open('$W/hub.json')); sys.exit(len(d) != $rows)"
wq --format table >"$W/hub.table"
check "measures --format table names W022" grep -q "Percentage_WeeklySupervisionMet" "$W/hub.table"
wq --format wide >"$W/hub.wide"
check "measures --format wide heads the workforce headline" \
    bash -c "head -1 '$W/hub.wide' | grep -q 'W001.*W002.*W040'"
query ANALYST measures --period $PERIOD --collection WORKFORCE --breakdown age >"$W/bad-bd.out" 2>&1
check "an adult breakdown is refused for WORKFORCE" test $? -ne 0
for fmt in table csv json; do
    query ANALYST targets --period $PERIOD --collection WORKFORCE --format $fmt \
        >"$W/view.$fmt" 2>"$W/view.$fmt.err"
    check "targets (programme view) --format $fmt" grep -q "trained since $PERIOD" "$W/view.$fmt"
done
check "the programme view shows the 6,000 goal for England" \
    grep -q "^England,$PERIOD trained since $PERIOD,[0-9]*,6000," "$W/view.csv"
trained=$($PY -c "
import csv; print(sum(int(r['MEASURE_VALUE_SUPPRESSED']) for r in csv.DictReader(open('$W/hub-none.csv'))
    if r['GROUP_TYPE']=='England' and r['MEASURE_ID']=='W006'))")
check "... its national trained figure is England's W006" \
    grep -q "^England,$PERIOD trained in the month,$trained," "$W/view.csv"
query ANALYST submissions --period $PERIOD --collection WORKFORCE --format csv >"$W/subs.csv"
check_eq "submissions --collection WORKFORCE lists the three" 3 \
    "$(grep -c ",true" "$W/subs.csv" || true)"
query ANALYST submissions --period $PERIOD --format csv >"$W/subs-adult.csv"
check_eq "... and the adult listing the two adult ones" 2 \
    "$(grep -c ",true" "$W/subs-adult.csv" || true)"
query ANALYST quality --period $PERIOD --org "$P1" --collection WORKFORCE --format json \
    >"$W/quality.json" 2>&1
check "quality --collection WORKFORCE answers for $P1" test -s "$W/quality.json"

# --- a workforce lock does not lock the adult period ----------------------------------------
query ANALYST lock --period $PERIOD --collection WORKFORCE >"$W/lock.out" 2>&1
check "the workforce period is locked" test $? -eq 0
node "$P3" submit --extract "$W/synth/$P3/$PERIOD" --period $PERIOD --deadline 60 \
    >"$W/ad-$P3.log" 2>&1
check "$P3's adult month is still accepted" grep -q "delivered" "$W/ad-$P3.log"
cp -r "$W/wf/$P1/$PERIOD" "$W/wf-again"
sed -i '$d' "$W/wf-again/WF001Staff.csv"
node "$P1" submit --collection WORKFORCE --extract "$W/wf-again" --period $PERIOD --deadline 60 \
    >"$W/wf-locked.log" 2>&1
check "a workforce resubmission into the locked period is refused" \
    grep -qi "closed\|locked" "$W/wf-locked.log"
mkdir -p "$W/adult-join/$P3" && ln -s "$W/synth/$P3/$PERIOD" "$W/adult-join/$P3/$PERIOD"
wq --format csv --unsuppressed >"$W/hub-joined3.csv"
ref --unsuppressed --out "$W/ref-joined3.csv"
check "with $P3's adult month W040/W041 join it too, as the reference does" \
    cmp "$W/hub-joined3.csv" "$W/ref-joined3.csv"
check "... and its W040 is no longer empty" \
    bash -c "[[ '$(val "$W/hub-joined3.csv" Provider "$P3" W040)' =~ ^[0-9]+\.[0-9]$ ]]"

# --- the auditor --------------------------------------------------------------------------------
mkdir -p "$W/auditor"
cp "$W/registry.csv" "$W/geography.csv" "$W/providers.csv" "$W/auditor/"
cp "$W/keys/HUB.pub" "$W/auditor/hub.pub"
cat >"$W/auditor/audit.conf" <<EOC
endpoint = tcp://127.0.0.1:$QUERY_PORT
key = ../keys/AUDITOR.secret
hub-public = hub.pub
hub-name = $HUB_NAME
registry = registry.csv
geography = geography.csv
providers = providers.csv
state = audit.state
timeout-ms = 10000
EOC
audit() { "$BIN/iapt-audit" --config "$W/auditor/audit.conf" "$@"; }
audit recompute --period $PERIOD --collection WORKFORCE --breakdown all >"$W/audit1.out" 2>&1
check "iapt-audit recompute --collection WORKFORCE (every breakdown) passes" test $? -eq 0
check "... comparing every published row, none differing" \
    bash -c "grep -q '^ok   measures $PERIOD (no breakdown): all [0-9]* published rows equal' '$W/audit1.out' && ! grep -q '^FAIL' '$W/audit1.out'"
check "... having recomputed the adult submissions for the join" \
    grep -q "IAPT submissions of 3 providers recomputed for the joined measures" "$W/audit1.out"
audit recompute --period $PERIOD >"$W/audit-adult.out" 2>&1
check "the adult recompute passes beside it" test $? -eq 0

id=$(awk -F, -v o="$P2" 'NR==1{for(i=1;i<=NF;i++)h[$i]=i} NR>1 && $h["org_code"]==o && $h["current"]=="true"{print $h["submission_id"]}' "$W/subs.csv")
$TOOLS record --endpoint "tcp://127.0.0.1:$QUERY_PORT" --key "$W/keys/AUDITOR.secret" \
    --hub-public "$W/keys/HUB.pub" --id "$id" --index 3 --out "$W/rec3" >>"$W/tools.log" 2>&1
hub_stop
check "one byte of $P2's workforce record 3 flipped in data.mdb" \
    $TOOLS flip --store "$W/hub/data/data.mdb" --bytes "$W/rec3" --offset 6
hub_start
audit recompute --period $PERIOD --collection WORKFORCE --breakdown none >"$W/audit2.out" 2>&1
check "the recompute then fails (exit 1)" test $? -eq 1
check "... naming the records-root mismatch of $P2" \
    grep -q "^FAIL records of $P2 $PERIOD .*records root mismatch" "$W/audit2.out"
finish
