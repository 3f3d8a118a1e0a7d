#!/usr/bin/env bash
# CYP access growth end to end: three providers send 25 months of synthetic
# CYP extracts through real nodes to a real hub, so the programme view's
# access growth (second contacts over the 12 months to the period against
# the 12 before: docs/CYP.md "Programme view") has its 24 months. The whole
# view, growth included, must equal the independent reference computation
# (tests/reference/cyp_reference.py --programme) for the 24th and 25th
# months; the 23rd month (not yet 24 months of data) has it empty in both;
# a changed growth value is caught.
source "$(dirname "$0")/lib.sh"

START=2023-07
MONTHS=25
N=${CYP_GROWTH_PROVIDERS:-3}
TOOLS_SRC="$IAPT_ROOT/data/cyp-assessment-tools.csv"
C="$W/cyp"
"$BIN/iapt-synth" --collection CYP --providers "$N" --months $MONTHS --seed 53 --start $START \
    --scale 0.1 --cyp-tools "$TOOLS_SRC" --out "$C" 2>>"$W/synth.log"
check "iapt-synth --collection CYP made $MONTHS months of $N providers" \
    test "$(ls -d "$C"/*/20*/ | wc -l)" -eq $((N * MONTHS))
mkdir -p "$W/synth"
cut -d, -f1,2 "$C/providers.csv" >"$W/synth/providers.csv" # code,name for the keys
cp "$C/geography.csv" "$C/imd.csv" "$W/"
cp "$C/providers.csv" "$W/providers.csv"
cp "$TOOLS_SRC" "$W/cyp-tools.csv"
world_init_synth
cyp_config
hub_start || note "hub did not start"

mapfile -t months < <(months_from "$START" $MONTHS)
check "$N nodes delivered $MONTHS CYP months each" deliver_months CYP "$C" "${months[@]}"

REF="$PY $IAPT_ROOT/tests/reference/cyp_reference.py --extracts $C --geography $W/geography.csv \
     --providers $W/providers.csv --tools $W/cyp-tools.csv --programme"
PCHK="$PY $IAPT_ROOT/tests/integration/cyp_programme_check.py"
view() { # TAG PERIOD: the reference's and the hub's views of the period
    $REF --period "$2" --out "$W/ref-$1.csv" 2>>"$W/ref.log"
    query ANALYST targets --collection CYP --period "$2" --format csv --out "$W/hub-$1.csv" \
        2>>"$W/query.log"
}
growth() { # FILE: England's Count_AccessGrowth
    awk -F, '$3 == "access_growth" && $4 == "England" && $7 == "Count_AccessGrowth" {print $8}' "$1"
}
P23=${months[22]}
P24=${months[23]}
P25=${months[24]}
for t in 23 24 25; do
    eval "p=\$P$t"
    view "$t" "$p"
    check "programme view of $p (month $t) equals the reference's" $PCHK "$W/ref-$t.csv" \
        "$W/hub-$t.csv"
    tail -n 1 "$W/check.log" | sed 's/^/     /'
done
check_eq "month 23 ($P23): access growth empty (not 24 months of data)" "" "$(growth "$W/hub-23.csv")"
g24=$(growth "$W/hub-24.csv")
g25=$(growth "$W/hub-25.csv")
check "month 24 ($P24): England's access growth is a number ($g24)" \
    bash -c "[[ '$g24' =~ ^-?[0-9]+$ ]]"
check "month 25 ($P25): England's access growth is a number ($g25)" \
    bash -c "[[ '$g25' =~ ^-?[0-9]+$ ]]"
# By hand: England's growth is the 12-month C011 sum minus the 12 before.
read -r recent earlier <<<"$(awk -F, '$3 == "access_growth" && $4 == "England" {v[$7] = $8}
    END {print v["Count_SecondContact12Months"], v["Count_SecondContactPrevious12Months"]}' \
    "$W/hub-25.csv")"
check_eq "month 25: growth = $recent - $earlier" "$((recent - earlier))" "$g25"
sum=0
for P in "${months[@]:13:12}"; do
    v=$(query ANALYST measures --collection CYP --period "$P" --group-type England \
        --measure C011 --format csv 2>>"$W/query.log" | tail -n +2 | awk -F, '{print $NF}')
    sum=$((sum + ${v:-0}))
done
check_eq "month 25: the 12-month C011 sum equals the months' published C011" "$sum" "$recent"
# A changed growth value in the hub's view is caught.
$PY - "$W/hub-25.csv" "$W/hub-25-planted.csv" <<'EOPY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
for r in rows[1:]:
    if r[2] == "access_growth" and r[6] == "Count_AccessGrowth" and r[3] == "England":
        r[-1] = str(int(r[-1]) + 1)
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n").writerows(rows)
EOPY
check "a changed England access growth is caught" \
    bash -c "! $PCHK '$W/ref-25.csv' '$W/hub-25-planted.csv' >'$W/planted.out' 2>&1"
tail -n 1 "$W/planted.out" | sed 's/^/     /'

finish
