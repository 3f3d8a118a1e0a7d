#!/usr/bin/env bash
# The whole-system check of the workforce collection: synthetic workforce
# extracts for several providers over two months (with their dose of
# errors), and adult extracts for the same providers so that W040/W041 join
# the two collections, go through real nodes (iapt-node submit --collection
# WORKFORCE) and a real hub placing each provider by the providers file's
# home sub-ICB. Every W measure at every group level, suppressed and
# unsuppressed, with and without the role, band and profession breakdowns,
# must equal what the independent reference computation
# (tests/reference/workforce_reference.py, written from docs/WORKFORCE.md
# alone) makes straight from the same CSV files; so must the programme view.
# A planted change, in the data and in the hub's answer, must be caught;
# sent as a new export of the month, the changed extract must replace the
# counted one (the hub then equals the reference on the changed data) and
# leave the adult figures alone. The auditor recomputes the workforce
# measures, joins included, from the signed records.
source "$(dirname "$0")/lib.sh"

PERIODS=(2025-08 2025-09)
N=${WF_PROVIDERS:-8}
SEED=41
# The adult world (records for M082/M031) and the workforce world share the
# providers, their codes and the geography (same --providers and --seed).
synth --providers "$N" --months 2 --seed $SEED --start "${PERIODS[0]}" --scale 0.1
"$BIN/iapt-synth" --collection WORKFORCE --providers "$N" --months 2 --seed $SEED \
    --start "${PERIODS[0]}" --error-rate 0.02 --out "$W/wf" 2>>"$W/synth.log"
check "workforce synthetic world made" test -s "$W/wf/providers.csv"
# The workforce geography is the adult one plus a population column.
cp "$W/wf/geography.csv" "$W/synth/imd.csv" "$W/"
world_init_synth
# One provider is missing from the hub's providers file: it must count for
# England and Provider only (docs/WORKFORCE.md "Levels").
UNPLACED=${PROVIDERS[1]}
grep -v "^$UNPLACED," "$W/wf/providers.csv" >"$W/providers.csv"
check "$UNPLACED left out of the providers file" \
    test "$(wc -l <"$W/providers.csv")" -eq "$(($(wc -l <"$W/wf/providers.csv") - 1))"
echo "providers = ../providers.csv" >>"$W/hub/hub.conf"
note "$UNPLACED is not in the hub's providers file"

# One provider sends no adult month for the second period: W040/W041 join
# only providers with both submissions, so it must drop out of them there.
LAST=${PROVIDERS[$((${#PROVIDERS[@]} - 1))]}
mkdir -p "$W/held-back"
mv "$W/synth/$LAST/${PERIODS[1]}" "$W/held-back/"
note "$LAST sends no adult extract for ${PERIODS[1]}"

hub_start || note "hub did not start"

# deliver LABEL PERIOD DIR [ARGS...]: every provider with an extract of the
# period in DIR submits it, all at once; passes when every node exits 0.
deliver() {
    local label=$1 period=$2 dir=$3 org ok=1 j
    shift 3
    local pids=()
    for org in "${PROVIDERS[@]}"; do
        [ -d "$dir/$org/$period" ] || continue
        node "$org" submit --extract "$dir/$org/$period" --period "$period" --deadline 300 "$@" \
            >>"$W/$org-$label.log" 2>&1 &
        pids+=($!)
    done
    for j in "${pids[@]}"; do wait "$j" || ok=0; done
    check "$label $period: every node delivered" test $ok = 1
}
for p in "${PERIODS[@]}"; do
    deliver adult "$p" "$W/synth"
    deliver workforce "$p" "$W/wf" --collection WORKFORCE
done
check "the node says which collection it sent" \
    grep -q "WORKFORCE ${PERIODS[1]}" "$W/${PROVIDERS[0]}-workforce.log"

REF="$PY $IAPT_ROOT/tests/reference/workforce_reference.py"
REF_ARGS=(--geography "$W/geography.csv" --providers "$W/providers.csv" --registry "$W/registry.csv")
CMP="$PY $IAPT_ROOT/tests/reference/workforce_reference.py compare"

# compare NAME TAG PERIOD [ARGS shared by the reference and iapt-query]
compare() {
    local name=$1 tag=$2 period=$3
    shift 3
    $REF --extracts "$W/wf" --period "$period" "${REF_ARGS[@]}" --adult-extracts "$W/synth" \
        "$@" --out "$W/ref-$tag.csv" 2>>"$W/ref.log"
    query ANALYST measures --collection WORKFORCE --period "$period" "$@" --format csv \
        --out "$W/hub-$tag.csv" 2>>"$W/query.log"
    check "$name" $CMP "$W/ref-$tag.csv" "$W/hub-$tag.csv"
    tail -n 1 "$W/check.log" | sed 's/^/     /'
}

for p in "${PERIODS[@]}"; do
    compare "$p every W measure at every level, unsuppressed" "plain-$p" "$p" --unsuppressed
    compare "$p every W measure at every level, suppressed (published form)" "supp-$p" "$p"
    for b in role band profession; do
        compare "$p breakdown $b, unsuppressed" "$b-$p" "$p" --unsuppressed --breakdown "$b"
        compare "$p breakdown $b, suppressed" "$b-supp-$p" "$p" --breakdown "$b"
    done
done

P2=${PERIODS[1]}
# The JSON form holds the same rows (values as numbers, "*" or null).
MC="$PY $IAPT_ROOT/tests/integration/measures_check.py"
for tag in "supp" "plain --unsuppressed" "role-supp --breakdown role"; do
    set -- $tag
    query ANALYST measures --collection WORKFORCE --period "$P2" "${@:2}" --format json \
        --out "$W/hub-$1-$P2.json" 2>>"$W/query.log"
    check "JSON holds the CSV's rows ($tag)" $MC json "$W/hub-$1-$P2.json" "$W/hub-$1-$P2.csv"
done
check_eq "the comparison covered every workforce group type" "England ICB Provider Region" \
    "$(cut -d, -f3 "$W/hub-plain-$P2.csv" | tail -n +2 | sort -u | tr '\n' ' ' | sed 's/ $//')"
rows=$(($(wc -l <"$W/hub-plain-$P2.csv") - 1))
note "$rows rows compared for $P2 without breakdown"
check "the table holds every provider's rows" test "$rows" -gt $((N * 20))
# value FILE GROUP_TYPE CODE MEASURE: a measure's value for one group in a
# publication CSV (a provider's code is ORG_CODE2); "(absent)" when no row.
value() {
    $PY - "$@" <<'EOF'
import csv, sys
path, gt, code, mid = sys.argv[1:]
try:
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
except OSError:
    rows = [{}]
    print("(unreadable)")
for r in rows:
    if not r:
        break
    org = r["ORG_CODE2"] if gt == "Provider" else r["ORG_CODE1"]
    if r["GROUP_TYPE"] == gt and org == code and r["MEASURE_ID"] == mid:
        print(r["MEASURE_VALUE_SUPPRESSED"])
        break
else:
    print("(absent)")
EOF
}
v=$(value "$W/hub-plain-${PERIODS[0]}.csv" Provider "$LAST" W040)
check "W040 has a value for $LAST in ${PERIODS[0]} (both collections sent): $v" \
    bash -c '[ -n "$1" ] && [ "${1#(}" = "$1" ]' _ "$v"
check_eq "W040 is empty for $LAST in $P2 (no adult submission to join)" "" \
    "$(value "$W/hub-plain-$P2.csv" Provider "$LAST" W040)"
# The unplaced provider: in England's sums and in no region's.
placed=$($PY - "$W/hub-plain-$P2.csv" "$UNPLACED" <<'EOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")) if r["MEASURE_ID"] == "W001"]
england = sum(int(r["MEASURE_VALUE_SUPPRESSED"]) for r in rows if r["GROUP_TYPE"] == "England")
regions = sum(int(r["MEASURE_VALUE_SUPPRESSED"]) for r in rows if r["GROUP_TYPE"] == "Region")
own = sum(int(r["MEASURE_VALUE_SUPPRESSED"]) for r in rows
          if r["GROUP_TYPE"] == "Provider" and r["ORG_CODE2"] == sys.argv[2])
print("ok" if own > 0 and england == regions + own else
      "England %d, regions %d, %s %d" % (england, regions, sys.argv[2], own))
EOF
)
check_eq "W001: England = the regions + the unplaced $UNPLACED" ok "$placed"
for p in "${PERIODS[@]}"; do
    note "England $p: W001 $(value "$W/hub-supp-$p.csv" England all W001) staff in post," \
        "W004 $(value "$W/hub-supp-$p.csv" England all W004) clinical WTE," \
        "W022 $(value "$W/hub-supp-$p.csv" England all W022)% weekly supervision met," \
        "W040 $(value "$W/hub-supp-$p.csv" England all W040) appointments per clinical WTE"
done

# --- planted changes: the comparison can fail ------------------------------
# In the data: one in-post staff member's WTE changed in a copy of the
# extracts; the reference on the copy must differ from the hub.
cp -r "$W/wf" "$W/wf-planted"
planted=$($PY - "$W/wf-planted/${PROVIDERS[0]}/$P2/WF001Staff.csv" <<'EOF'
import csv, sys
path = sys.argv[1]
rows = list(csv.reader(open(path, encoding="utf-8", newline="")))
h = rows[0]
wte, end = h.index("WTE"), h.index("PostEndDate")
for r in rows[1:]:
    if r[end] == "" and r[wte] in ("1.00", "1", "1.0"):
        r[wte] = "0.40"
        break
else:
    sys.exit("no full-time staff member in post")
csv.writer(open(path, "w", encoding="utf-8", newline=""), lineterminator="\r\n").writerows(rows)
print("ok")
EOF
)
check_eq "a full-time staff member's WTE planted as 0.40" ok "$planted"
$REF --extracts "$W/wf-planted" --period "$P2" "${REF_ARGS[@]}" --adult-extracts "$W/synth" \
    --unsuppressed --out "$W/ref-planted.csv" 2>>"$W/ref.log"
$CMP "$W/ref-planted.csv" "$W/hub-plain-$P2.csv" >"$W/cmp-planted.out" 2>&1
check_eq "the planted WTE is caught (compare exits 1)" 1 $?
check "  and named at England as W002" grep -q "W002" "$W/cmp-planted.out"
tail -n 1 "$W/cmp-planted.out" | sed 's/^/     /'
# In the hub's answer: one value changed in its CSV.
$PY - "$W/hub-plain-$P2.csv" "$W/hub-planted.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
for r in rows[1:]:
    if r[7] == "W001" and r[2] == "Provider":
        r[-1] = str(int(r[-1]) + 1)
        break
csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""), lineterminator="\n").writerows(rows)
EOF
$CMP "$W/ref-plain-$P2.csv" "$W/hub-planted.csv" >"$W/cmp-planted2.out" 2>&1
check_eq "a changed W001 in the hub's answer is caught (compare exits 1)" 1 $?
check "  with exactly one difference" grep -q " 1 differences\?$" "$W/cmp-planted2.out"

# --- the programme view --------------------------------------------------------
# The hub writes it as the engine's view rows (region,measure,value,target,
# progress_percent: four lines per group and month); the reference as one
# line per group and month. The reference's lines are turned into the
# hub's (same values, same order) and the two compared exactly. The
# reference is asked from six months before the first with data: both must
# start at the first month with an accepted submission.
$REF --programme --extracts "$W/wf" --periods "2025-02..$P2" "${REF_ARGS[@]}" \
    --out "$W/ref-programme.csv" 2>>"$W/ref.log"
query ANALYST targets --collection WORKFORCE --period "$P2" --format csv \
    --out "$W/hub-programme.csv" 2>>"$W/query.log"
$PY - "$W/ref-programme.csv" "$W/ref-programme-rows.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
out = [["region", "measure", "value", "target", "progress_percent"]]
first = rows[0]["REPORTING_PERIOD_START"][:7] if rows else ""
for r in rows:
    who = "England" if r["GROUP_TYPE"] == "England" else r["ORG_NAME"]
    m = r["REPORTING_PERIOD_START"][:7]
    out += [[who, m + " trained in the month", r["TRAINED_IN_PERIOD"], "", ""],
            [who, "%s trained since %s" % (m, first), r["TRAINED_SINCE_FIRST_PERIOD"],
             r["TRAINED_GOAL"], r["PERCENT_OF_GOAL"]],
            [who, m + " supervisors", r["SUPERVISORS"], "", ""],
            [who, m + " supervisors over five trainees", r["SUPERVISORS_OVER_FIVE"], "", ""]]
csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""), lineterminator="\n").writerows(out)
EOF
same_csv() { # A B: the same rows, read as CSV
    $PY -c 'import csv,sys
a, b = (list(csv.reader(open(p, encoding="utf-8"))) for p in sys.argv[1:3])
diff = [(i + 1, x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y]
for d in diff[:10]: print("line %d: reference %s, hub %s" % d)
if len(a) != len(b): print("reference %d lines, hub %d" % (len(a), len(b)))
print("%d lines compared, %d differences" % (min(len(a), len(b)), len(diff) + abs(len(a) - len(b))))
sys.exit(1 if diff or len(a) != len(b) else 0)' "$1" "$2"
}
check "programme view (trained against the 6,000 goal, supervision capacity) equals the reference's" \
    same_csv "$W/ref-programme-rows.csv" "$W/hub-programme.csv"
tail -n 1 "$W/check.log" | sed 's/^/     /'
check_eq "the programme view starts at the first month with data" \
    "England,${PERIODS[0]} trained in the month" \
    "$(sed -n 2p "$W/hub-programme.csv" | cut -d, -f1-2)"
grep "^England,.* trained since" "$W/hub-programme.csv" | sed 's/^/#   /'
# A planted change: one region's supervisors one band higher.
$PY - "$W/hub-programme.csv" "$W/hub-programme-planted.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
for r in rows[1:]:
    if r[0] != "England" and r[1].endswith(" supervisors") and r[2] not in ("*", ""):
        r[2] = str(int(r[2]) + 5)
        break
csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""), lineterminator="\n").writerows(rows)
EOF
same_csv "$W/ref-programme-rows.csv" "$W/hub-programme-planted.csv" >"$W/prog-planted.out"
check_eq "a changed region figure in the programme view is caught" 1 $?

# --- a corrected workforce month replaces the counted one -----------------------
# The provider whose extract held the planted WTE sends it as a new export of
# the month: the hub now counts it (latest wins, per collection), so the hub
# equals the reference on the changed extracts, and the adult figures and
# the other month stay as they were.
query ANALYST measures --period "$P2" --unsuppressed --format csv --out "$W/adult-before.csv" \
    2>>"$W/query.log"
node "${PROVIDERS[0]}" submit --collection WORKFORCE --period "$P2" --deadline 120 \
    --extract "$W/wf-planted/${PROVIDERS[0]}/$P2" >>"$W/${PROVIDERS[0]}-workforce.log" 2>&1
check_eq "${PROVIDERS[0]} resubmits its workforce month (exit 0)" 0 $?
query ANALYST measures --collection WORKFORCE --period "$P2" --unsuppressed --format csv \
    --out "$W/hub-replaced.csv" 2>>"$W/query.log"
check "the replacing month is counted: hub equals the reference on the changed extracts" \
    $CMP "$W/ref-planted.csv" "$W/hub-replaced.csv"
tail -n 1 "$W/check.log" | sed 's/^/     /'
query ANALYST measures --collection WORKFORCE --period "${PERIODS[0]}" --unsuppressed \
    --format csv --out "$W/hub-first-again.csv" 2>>"$W/query.log"
check "the other month is unchanged" cmp -s "$W/hub-plain-${PERIODS[0]}.csv" "$W/hub-first-again.csv"
query ANALYST measures --period "$P2" --unsuppressed --format csv --out "$W/adult-after.csv" \
    2>>"$W/query.log"
check "the adult figures are unchanged" cmp -s "$W/adult-before.csv" "$W/adult-after.csv"
check "the adult figures are there to compare" test "$(wc -l <"$W/adult-after.csv")" -gt 100
query ANALYST submissions --collection WORKFORCE --period "$P2" --org "${PROVIDERS[0]}" \
    --format csv >"$W/subs.csv" 2>>"$W/query.log"
check_eq "the hub lists two workforce submissions of ${PROVIDERS[0]} for $P2, the second current" \
    "false true" "$(grep "^${PROVIDERS[0]},.*,$P2," "$W/subs.csv" | cut -d, -f5 | tr '\n' ' ' | sed 's/ $//')"

# --- the auditor recomputes from the signed records ----------------------------
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
state = audit.state
timeout-ms = 20000
EOC
for p in "${PERIODS[@]}"; do
    check "iapt-audit recompute --collection WORKFORCE $p agrees with the hub" \
        bash -c "cd '$W/auditor' && '$BIN/iapt-audit' --config audit.conf recompute \
            --collection WORKFORCE --providers providers.csv --period $p >'$W/audit-$p.out' 2>&1"
    grep -E "^FAIL|^     - " "$W/audit-$p.out" | head -n 6 | sed 's/^/     /'
    tail -n 1 "$W/audit-$p.out" | sed 's/^/     /'
done

finish
