#!/usr/bin/env bash
# The whole-system check of the CYP statistics: synthetic CYP extracts for
# several providers over two months (with their realistic dose of errors, one
# provider's month sent twice so the second supersedes the first, one provider
# also sending its adult month) go through real nodes and a real hub; every
# CYP measure at every group level, with and without disclosure control and
# for every breakdown, and the programme view, must equal what the
# independent reference computation (tests/reference/cyp_reference.py,
# written from docs/CYP.md alone) makes straight from the same CSV files.
# A value changed in the hub's output, and a value changed in an extract
# given only to the reference, must both be caught.
source "$(dirname "$0")/lib.sh"

FIRST=2025-08
PERIOD=2025-09
N=${CYP_STATS_PROVIDERS:-8}
TOOLS_SRC="$IAPT_ROOT/data/cyp-assessment-tools.csv"
C="$W/cyp"

# CYP extracts into $C; the adult ones of the same providers (same seed) into
# $W/synth, for the provider that submits both collections.
"$BIN/iapt-synth" --collection CYP --providers "$N" --months 2 --seed 31 --start $FIRST \
    --scale 0.3 --cyp-tools "$TOOLS_SRC" --out "$C" 2>>"$W/synth.log"
check "iapt-synth --collection CYP made $N providers' extracts" \
    test "$(tail -n +2 "$C/providers.csv" | wc -l)" -eq "$N"
synth --providers "$N" --months 1 --seed 31 --start $PERIOD --scale 0.1
cp "$C/geography.csv" "$W/synth/imd.csv" "$W/"
cp "$C/providers.csv" "$W/providers.csv"
cp "$TOOLS_SRC" "$W/cyp-tools.csv"
check "the geography carries population_0_19 (coverage)" \
    grep -q "population_0_19" "$W/geography.csv"
world_init_synth
cyp_config
if ! hub_start; then
    check "the hub starts with the CYP tool table and the providers file" false
    tail -n 3 "$W/hub/hub.log"
    finish
    exit 1
fi

# Every provider's month, all at once, through real nodes.
submit_month() { # PERIOD
    local p=$1 org ok=1 j
    for org in "${PROVIDERS[@]}"; do
        node "$org" submit --collection CYP --extract "$C/$org/$p" --period "$p" --deadline 60 \
            >>"$W/$org.$p.log" 2>&1 &
    done
    for j in $(jobs -p); do [ "$j" = "$HUB_PID" ] && continue; wait "$j" || ok=0; done
    test $ok = 1
}
check "$N nodes delivered their CYP $FIRST" submit_month $FIRST

# The first provider sends a first version of its second month (referrals
# left out), then the full extract, which supersedes it; the reference sees
# only the full one.
P1=${PROVIDERS[0]}
mkdir -p "$W/early/$P1"
cp -r "$C/$P1/$PERIOD" "$W/early/$P1/"
sed -i '2,21d' "$W/early/$P1/$PERIOD/CYP101Referral.csv"
node "$P1" submit --collection CYP --extract "$W/early/$P1/$PERIOD" --period $PERIOD \
    --deadline 60 >"$W/early.log" 2>&1
check "$P1 delivered a first version of CYP $PERIOD" grep -q "delivered" "$W/early.log"
check "$N nodes delivered their CYP $PERIOD ($P1 again, superseding)" submit_month $PERIOD

# The same provider's adult month: its own collection, sequence and cells.
node "$P1" submit --extract "$W/synth/$P1/$PERIOD" --period $PERIOD --deadline 60 \
    >"$W/adult.log" 2>&1
check "$P1 also delivered its adult $PERIOD" grep -q "delivered" "$W/adult.log"

# csvcol FILE COLUMN [FILTER_COLUMN VALUE]...: one column of a CSV file's
# rows that match every filter (quoted names with commas read properly).
csvcol() {
    $PY -c '
import csv, sys
f = list(zip(sys.argv[3::2], sys.argv[4::2]))
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if all(r[k] == v for k, v in f):
        print(r[sys.argv[2]])' "$@"
}
query ANALYST submissions --collection CYP --period $PERIOD --format csv >"$W/subs.csv" 2>>"$W/query.log"
check_eq "the hub lists $N current CYP submissions for $PERIOD" "$N" \
    "$(csvcol "$W/subs.csv" org_code current true | sort -u | wc -l)"
used=$(sed -n 's/.* prepared: .*, \([0-9]*\) records, .*/\1/p' "$W/$P1.$PERIOD.log" | head -n 1)
check_eq "$P1's current CYP $PERIOD is its full extract ($used records), not the first version" \
    "$used" "$(csvcol "$W/subs.csv" records org_code "$P1" current true)"
query ANALYST submissions --period $PERIOD --format csv >"$W/subs-adult.csv" 2>>"$W/query.log"
check_eq "the adult collection lists only $P1's adult month as current" "$P1" \
    "$(csvcol "$W/subs-adult.csv" org_code current true | tr '\n' ' ' | sed 's/ $//')"
query ANALYST quality --collection CYP --period $PERIOD --org "$P1" >"$W/quality.txt" 2>>"$W/query.log"
check "quality --collection CYP answers for $P1" test -s "$W/quality.txt"

REF="$PY $IAPT_ROOT/tests/reference/cyp_reference.py --geography $W/geography.csv \
     --providers $W/providers.csv --imd $W/imd.csv --tools $W/cyp-tools.csv"
CMP="$PY $IAPT_ROOT/tests/reference/compare.py --collection cyp"

compare() { # NAME TAG PERIOD REF_ARGS -- QUERY_ARGS
    local name=$1 tag=$2 p=$3; shift 3
    local ref_args=() q_args=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do ref_args+=("$1"); shift; done
    shift
    q_args=("$@")
    $REF --extracts "$C" --period "$p" "${ref_args[@]}" --out "$W/ref-$tag.csv" 2>>"$W/ref.log"
    query ANALYST measures --collection CYP --period "$p" "${q_args[@]}" --format csv \
        --out "$W/hub-$tag.csv" 2>>"$W/query.log"
    check "$name" $CMP "$W/ref-$tag.csv" "$W/hub-$tag.csv"
    tail -n 1 "$W/check.log" | sed 's/^/     /'
}

for p in $FIRST $PERIOD; do
    compare "$p: every CYP measure at every level, unsuppressed" "$p-plain" $p --unsuppressed -- \
        --unsuppressed
    compare "$p: every CYP measure at every level, suppressed (published form)" "$p-supp" $p --
done
for b in age gender ethnicity imd team reason source sector; do
    compare "$PERIOD: breakdown $b, unsuppressed" "bd-$b" $PERIOD --unsuppressed --breakdown $b -- \
        --unsuppressed --breakdown $b
    compare "$PERIOD: breakdown $b, suppressed" "bds-$b" $PERIOD --breakdown $b -- --breakdown $b
done

H="$W/hub-$PERIOD-plain.csv"
check_eq "the comparison covered every group type" "England ICB Provider Region SubICB" \
    "$(cut -d, -f3 "$H" | tail -n +2 | sort -u | tr '\n' ' ' | sed 's/ $//')"
check_eq "... and every measure C001-C063" "32" \
    "$(tail -n +2 "$H" | awk -F, '{ print $(NF - 2) }' | sort -u | grep -c '^C0')"
rows=$(($(wc -l <"$H") - 1))
note "$rows rows compared without breakdown for $PERIOD"
check "a table with hundreds of rows" test "$rows" -gt 300
check "the published form has suppressed values" grep -q ',\*$' "$W/hub-$PERIOD-supp.csv"
check "... and unsuppressed values below England" \
    bash -c "tail -n +2 '$W/hub-$PERIOD-supp.csv' | grep -v ',England,' | grep -qv ',\*$'"

# The other forms of the same answer: JSON holds the CSV's rows (numbers as
# numbers, "*" kept), and the filters select what they name; the whole
# span --period FIRST --to PERIOD holds both months' rows as compared above.
MC="$PY $IAPT_ROOT/tests/integration/measures_check.py"
query ANALYST measures --collection CYP --period $PERIOD --format json \
    --out "$W/hub-$PERIOD-supp.json" 2>>"$W/query.log"
check "JSON holds the published CSV's rows" $MC json "$W/hub-$PERIOD-supp.json" "$W/hub-$PERIOD-supp.csv"
query ANALYST measures --collection CYP --period $PERIOD --group-type Provider --org "$P1" \
    --measure C001 --measure C042 --format csv --out "$W/hub-filter.csv" 2>>"$W/query.log"
check "--group-type, --org and --measure select those rows (2)" \
    $MC rows "$W/hub-filter.csv" --groups Provider --orgs "$P1" --measures C001,C042 --count 2
query ANALYST measures --collection CYP --period $FIRST --to $PERIOD --unsuppressed --format csv \
    --out "$W/hub-span.csv" 2>>"$W/query.log"
check_eq "--period $FIRST --to $PERIOD: both months' rows, as compared" \
    "$(cat "$W/hub-$FIRST-plain.csv" <(tail -n +2 "$W/hub-$PERIOD-plain.csv") | sort | md5sum)" \
    "$(sort "$W/hub-span.csv" | md5sum)"

# The programme view: coverage (population_0_19 and home sub-ICBs), access
# growth (empty: not 24 months of data) and the CWP teams, against the
# reference's --programme, in the same one-row-per-value layout. The hub
# answers it in the published form only (TargetsRequest has no unsuppressed
# flag).
PCHK="$PY $IAPT_ROOT/tests/integration/cyp_programme_check.py"
$REF --extracts "$C" --period $PERIOD --programme --out "$W/ref-prog.csv" 2>>"$W/ref.log"
query ANALYST targets --collection CYP --period $PERIOD --format csv --out "$W/hub-prog.csv" \
    2>>"$W/query.log"
check "programme view (published form) equals the reference's" $PCHK "$W/ref-prog.csv" \
    "$W/hub-prog.csv"
tail -n 1 "$W/check.log" | sed 's/^/     /'
check "... with England's coverage given" \
    grep -q "^$PERIOD-01,.*,coverage,England,all,England,Percentage_Coverage,[0-9]" "$W/hub-prog.csv"
ncwp=$(csvcol "$W/ref-prog.csv" ORG_CODE VIEW cwp_teams MEASURE C010 | wc -l)
check "... and CWP-team lines for $ncwp providers with CWP referrals" test "$ncwp" -gt 0
$PY - "$W/hub-prog.csv" "$W/hub-prog-planted.csv" <<'EOPY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
for r in rows[1:]:
    if r[2] == "cwp_teams" and r[-1].isdigit():
        r[-1] = str(int(r[-1]) + 5)
        break
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n").writerows(rows)
EOPY
check "a value changed in the hub's programme view is caught" \
    bash -c "! $PCHK '$W/ref-prog.csv' '$W/hub-prog-planted.csv' >'$W/planted-prog.out' 2>&1"
tail -n 1 "$W/planted-prog.out" | sed 's/^/     /'

# Planted change 1: one value of the hub's output altered.
$PY - "$H" "$W/hub-planted.csv" <<'EOPY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
for r in rows[1:]:
    if r[2] == "Provider" and r[-1].isdigit() and int(r[-1]) > 0:
        r[-1] = str(int(r[-1]) + 1)
        break
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n").writerows(rows)
EOPY
check "a value changed in the hub's output is caught" \
    bash -c "! $CMP '$W/ref-$PERIOD-plain.csv' '$W/hub-planted.csv' >'$W/planted1.out' 2>&1"
check "... and named (1 difference)" grep -q " 1 differences\?$" "$W/planted1.out"

# Planted change 2: one referral's source in one extract the reference gets
# (self referral made a school referral) and the hub does not.
cp -r "$C" "$W/cyp-planted"
P2=${PROVIDERS[1]}
$PY - "$W/cyp-planted/$P2/$PERIOD/CYP101Referral.csv" <<'EOPY'
import csv, sys
path = sys.argv[1]
rows = list(csv.reader(open(path, newline="")))
col = rows[0].index("SourceOfReferral")
codes = [r[col] for r in rows[1:]]
# the most common source becomes another valid one, on one referral
common = max(set(codes), key=codes.count)
other = next(c for c in codes if c and c != common)
for r in rows[1:]:
    if r[col] == common:
        r[col] = other
        break
csv.writer(open(path, "w", newline=""), lineterminator="\r\n").writerows(rows)
EOPY
$REF --extracts "$W/cyp-planted" --period $PERIOD --unsuppressed --breakdown source \
    --out "$W/ref-planted.csv" 2>>"$W/ref.log"
check "a value changed in one extract given only to the reference is caught" \
    bash -c "! $CMP '$W/ref-planted.csv' '$W/hub-bd-source.csv' >'$W/planted2.out' 2>&1"
tail -n 1 "$W/planted2.out" | sed 's/^/     /'

# The adult month of the provider submitting both collections: its figures
# equal the adult reference's over that one extract.
mkdir -p "$W/adult-one"
cp -r "$W/synth/$P1" "$W/adult-one/"
$PY "$IAPT_ROOT/tests/reference/iapt_reference.py" --extracts "$W/adult-one" --period $PERIOD \
    --geography "$W/geography.csv" --providers "$W/synth/providers.csv" --imd "$W/imd.csv" \
    --unsuppressed --out "$W/ref-adult.csv" 2>>"$W/ref.log"
query ANALYST measures --period $PERIOD --unsuppressed --format csv --out "$W/hub-adult.csv" \
    2>>"$W/query.log"
check "the adult month beside the CYP months equals the adult reference" \
    $PY "$IAPT_ROOT/tests/reference/compare.py" "$W/ref-adult.csv" "$W/hub-adult.csv"
tail -n 1 "$W/check.log" | sed 's/^/     /'

finish
