#!/usr/bin/env bash
# The whole-system check of the statistics: synthetic extracts for many
# providers (with their realistic dose of errors) go through real nodes and a
# real hub; every measure at every group level, with and without disclosure
# control and for every breakdown, must equal what the independent reference
# computation (tests/reference/iapt_reference.py, written separately from the
# hub's code) makes straight from the same CSV files.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
N=${STATS_PROVIDERS:-12}
synth --providers "$N" --months 1 --seed 23 --start $PERIOD --scale 0.25
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init_synth
hub_start || note "hub did not start"

for org in "${PROVIDERS[@]}"; do
    node "$org" submit --extract "$W/synth/$org/$PERIOD" --period $PERIOD --deadline 300 \
        >"$W/$org.log" 2>&1 &
done
ok=1
for j in $(jobs -p); do [ "$j" = "$HUB_PID" ] && continue; wait "$j" || ok=0; done
check "$N nodes delivered" test $ok = 1

REF="$PY $IAPT_ROOT/tests/reference/iapt_reference.py --extracts $W/synth --period $PERIOD \
     --geography $W/geography.csv --providers $W/synth/providers.csv --imd $W/imd.csv"
CMP="$PY $IAPT_ROOT/tests/reference/compare.py"

compare() { # NAME REF_ARGS -- QUERY_ARGS
    local name=$1 tag=$2; shift 2
    local ref_args=() q_args=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do ref_args+=("$1"); shift; done
    shift
    q_args=("$@")
    $REF "${ref_args[@]}" --out "$W/ref-$tag.csv" 2>>"$W/ref.log"
    query ANALYST measures --period $PERIOD "${q_args[@]}" --format csv --out "$W/hub-$tag.csv" \
        2>>"$W/query.log"
    check "$name" $CMP "$W/ref-$tag.csv" "$W/hub-$tag.csv"
    tail -n 1 "$W/check.log" | sed 's/^/     /'
}

compare "every measure at every level, unsuppressed" plain --unsuppressed -- --unsuppressed
compare "every measure at every level, suppressed (published form)" supp -- 
for b in age gender ethnicity imd problem therapy source ltc; do
    compare "breakdown $b, unsuppressed" "bd-$b" --unsuppressed --breakdown $b -- \
        --unsuppressed --breakdown $b
done
check_eq "the comparison covered every group type" "England ICB Provider Region SubICB" \
    "$(cut -d, -f3 "$W/hub-plain.csv" | tail -n +2 | sort -u | tr '\n' ' ' | sed 's/ $//')"
rows=$(($(wc -l <"$W/hub-plain.csv") - 1))
note "$rows rows compared without breakdown"
check "a national-scale table has thousands of rows" test "$rows" -gt 1000

finish
