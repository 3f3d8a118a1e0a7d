#!/usr/bin/env bash
# The national report and the quarterly / annual measures, end to end:
# synthetic extracts for six months from several providers go through real
# nodes and a real hub; then
#   - every quarterly and annual figure (medians included, every level, with
#     and without disclosure control, and by breakdown) equals the
#     independent reference computation from the monthly extracts
#     (tests/reference/iapt_reference.py --quarter / --year);
#   - `iapt-query report` writes one self-contained HTML file whose every
#     figure equals the CSV exports (report_check.py): the adult section
#     alone while the hub holds only adult months, then with the CYP and
#     workforce sections once those collections' months are in (the same
#     providers send all three);
#   - headless Chromium opens it with every request outside the page
#     refused: a screenshot is taken (kept under the build directory, path
#     printed), each chart's box holds a drawing, and the network log shows
#     no request left the page.
source "$(dirname "$0")/lib.sh"

# Six months ending last month, so that last month's submissions are on time
# (before the deadline day of this month) and the older ones are late.
read -r START LAST Q_LAST Q_PREV Q_FIRST FY <<<"$($PY -c '
import datetime
t = datetime.date.today()
k = t.year * 12 + t.month - 1 - 1          # last month, months since year 0
def month(k): return "%04d-%02d" % (k // 12, k % 12 + 1)
def quarter(k):
    y, m = k // 12, k % 12 + 1
    fy = y if m >= 4 else y - 1
    return "%04d/%02d-Q%d" % (fy, (fy + 1) % 100, ((m + 8) % 12) // 3 + 1)
def year(k):
    y, m = k // 12, k % 12 + 1
    fy = y if m >= 4 else y - 1
    return "%04d/%02d" % (fy, (fy + 1) % 100)
print(month(k - 5), month(k), quarter(k), quarter(k - 3), quarter(k - 5), year(k))')"
MONTHS=6
N=${REPORT_PROVIDERS:-6}
synth --providers "$N" --months "$MONTHS" --seed 41 --start $START --scale 0.2
# The same providers' CYP and workforce months (same --providers and --seed);
# their geography is the adult one with population_0_19 (CYP coverage).
TOOLS_SRC="$IAPT_ROOT/data/cyp-assessment-tools.csv"
"$BIN/iapt-synth" --collection CYP --providers "$N" --months "$MONTHS" --seed 41 --start $START \
    --scale 0.2 --cyp-tools "$TOOLS_SRC" --out "$W/cyp" 2>>"$W/synth.log"
"$BIN/iapt-synth" --collection WORKFORCE --providers "$N" --months "$MONTHS" --seed 41 \
    --start $START --out "$W/wf" 2>>"$W/synth.log"
check "CYP and workforce worlds made for the same providers" \
    cmp -s <(tail -n +2 "$W/cyp/providers.csv" | cut -d, -f1) <(tail -n +2 "$W/synth/providers.csv" | cut -d, -f1)
cp "$W/cyp/geography.csv" "$W/synth/imd.csv" "$W/"
cp "$W/cyp/providers.csv" "$W/providers.csv"
cp "$TOOLS_SRC" "$W/cyp-tools.csv"
world_init_synth
cyp_config
# The targets table: one row per region of the synthetic geography.
$PY -c '
import csv, sys
names = sorted({r["region_name"] for r in csv.DictReader(open(sys.argv[1]))})
print("sha_name,prevalence,entering_treatment_by_2015,completing_treatment_by_2015,recovering_by_2015,off_sick_pay_benefits_by_2015")
for i, n in enumerate(names):
    print("%s,%d,%d,%d,%d,%d" % (n, 20000 + 1000 * i, 3000, 2000, 1000, 80))' \
    "$W/geography.csv" >"$W/targets.csv"
echo "targets = ../targets.csv" >>"$W/hub/hub.conf"
hub_start || note "hub did not start"

mapfile -t months < <(months_from "$START" $MONTHS)
check "$N nodes delivered ${#months[@]} adult months each" \
    deliver_months IAPT "$W/synth" "${months[@]}"

REF="$PY $IAPT_ROOT/tests/reference/iapt_reference.py --extracts $W/synth \
     --geography $W/geography.csv --providers $W/synth/providers.csv --imd $W/imd.csv"
CMP="$PY $IAPT_ROOT/tests/reference/compare.py"

compare() { # NAME TAG SPAN_OPTION SPAN [ARGS...]
    local name=$1 tag=$2 opt=$3 span=$4; shift 4
    $REF "$opt" "$span" "$@" --out "$W/ref-$tag.csv" 2>>"$W/ref.log"
    query ANALYST measures "$opt" "$span" "$@" --format csv --out "$W/hub-$tag.csv" \
        2>>"$W/query.log"
    check "$name" $CMP "$W/ref-$tag.csv" "$W/hub-$tag.csv"
    tail -n 1 "$W/check.log" | sed 's/^/     /'
}

compare "$Q_PREV, every measure at every level, unsuppressed" qpu --quarter "$Q_PREV" \
    --unsuppressed
compare "$Q_LAST, every measure at every level, unsuppressed" qlu --quarter "$Q_LAST" \
    --unsuppressed
compare "$Q_LAST, suppressed (published form)" qls --quarter "$Q_LAST"
compare "year $FY (months so far), unsuppressed" yu --year "$FY" --unsuppressed
compare "year $FY, suppressed" ys --year "$FY"
for b in ethnicity age; do
    compare "$Q_PREV by $b, unsuppressed" "qp-$b" --quarter "$Q_PREV" --unsuppressed \
        --breakdown $b
done
# By hand: a quarter's referrals received in England are its months' sum.
read -r QS QE QM1 QM2 QM3 <<<"$($PY -c '
import calendar, sys
fy, q = int(sys.argv[1][:4]), int(sys.argv[1][-1])
ms = [(fy * 12 + 3 + (q - 1) * 3 + i) for i in range(3)]
f = lambda k: "%04d-%02d" % (k // 12, k % 12 + 1)
y, m = ms[2] // 12, ms[2] % 12 + 1
print(f(ms[0]) + "-01", "%s-%02d" % (f(ms[2]), calendar.monthrange(y, m)[1]),
      *[f(k) for k in ms])' "$Q_PREV")"
check_eq "quarter rows span the quarter" "$QS,$QE" "$(sed -n 2p "$W/hub-qpu.csv" | cut -d, -f1,2)"
sum=0
for P in $QM1 $QM2 $QM3; do
    v=$(query ANALYST measures --period $P --group-type England --measure M001 --format csv |
        tail -n +2 | awk -F, '{print $NF}')
    sum=$((sum + ${v:-0}))
done
check_eq "England M001 of $Q_PREV = the sum of its months" "$sum" \
    "$(grep "^$QS,$QE,England,.*,M001," "$W/hub-qpu.csv" | awk -F, '{print $NF}')"
check "a quarter that does not exist (Q5) is refused as usage, exit 2" \
    bash -c "'$BIN/iapt-query' measures --quarter 2025/26-Q5 --endpoint x --key x --hub-public x 2>/dev/null; test \$? = 2"

# While the hub holds adult months only, the report has the adult section
# and no other.
OUT="$IAPT_BUILD/test-report"
mkdir -p "$OUT"
query ANALYST report --period "$LAST" --quarters 3 --out "$W/adult-only.html" >/dev/null \
    2>>"$W/query.log"
check "with adult months only: the adult section and no CYP or workforce section" \
    bash -c "grep -q 'id=\"collection-IAPT\"' '$W/adult-only.html' && \
    ! grep -q 'id=\"collection-CYP\"\\|id=\"collection-WORKFORCE\"' '$W/adult-only.html'"

# The CYP and workforce months of the same providers.
check "$N nodes delivered ${#months[@]} CYP months each" deliver_months CYP "$W/cyp" "${months[@]}"
check "$N nodes delivered ${#months[@]} workforce months each" \
    deliver_months WORKFORCE "$W/wf" "${months[@]}"

# The CYP and workforce quarters and years equal their independent
# references (tests/reference/cyp_reference.py and workforce_reference.py
# --quarter / --year: the months summed, the period-end stocks from the last
# month with data, medians over the merged waits).
CREF="$PY $IAPT_ROOT/tests/reference/cyp_reference.py --extracts $W/cyp \
     --geography $W/geography.csv --providers $W/providers.csv --tools $W/cyp-tools.csv \
     --imd $W/imd.csv"
WREF="$PY $IAPT_ROOT/tests/reference/workforce_reference.py --extracts $W/wf \
     --geography $W/geography.csv --providers $W/providers.csv --registry $W/registry.csv \
     --adult-extracts $W/synth"
compare_c() { # COLLECTION NAME TAG SPAN_OPTION SPAN [ARGS...]
    local c=$1 name=$2 tag=$3 opt=$4 span=$5 ref=$CREF key=cyp; shift 5
    [ "$c" = WORKFORCE ] && ref=$WREF key=workforce
    $ref "$opt" "$span" "$@" --out "$W/ref-$tag.csv" 2>>"$W/ref.log"
    query ANALYST measures --collection "$c" "$opt" "$span" "$@" --format csv \
        --out "$W/hub-$tag.csv" 2>>"$W/query.log"
    check "$c $name" $PY "$IAPT_ROOT/tests/reference/compare.py" --collection $key \
        "$W/ref-$tag.csv" "$W/hub-$tag.csv"
    tail -n 1 "$W/check.log" | sed 's/^/     /'
}
for c in CYP WORKFORCE; do
    compare_c $c "$Q_PREV, every measure at every level, unsuppressed" "$c-qpu" \
        --quarter "$Q_PREV" --unsuppressed
    compare_c $c "$Q_LAST, suppressed (published form)" "$c-qls" --quarter "$Q_LAST"
    compare_c $c "year $FY, unsuppressed" "$c-yu" --year "$FY" --unsuppressed
done
compare_c CYP "$Q_PREV by age, unsuppressed" CYP-qp-age --quarter "$Q_PREV" --unsuppressed \
    --breakdown age
compare_c WORKFORCE "$Q_PREV by role, unsuppressed" WORKFORCE-qp-role --quarter "$Q_PREV" \
    --unsuppressed --breakdown role
# By hand: a quarter's stock is its last month's, its events the months' sum.
# (QM1-QM3: the months of $Q_PREV, from the adult check above.)
england() { # COLLECTION MEASURE PERIOD_OPTION SPAN: England's value
    query ANALYST measures --collection "$1" "$3" "$4" --group-type England --measure "$2" \
        --format csv 2>>"$W/query.log" | tail -n +2 | awk -F, '{print $NF}'
}
for cm in "CYP C012 stock" "CYP C001 sum" "WORKFORCE W001 stock" "WORKFORCE W007 sum"; do
    read -r c m how <<<"$cm"
    want=0
    if [ "$how" = stock ]; then
        want=$(england "$c" "$m" --period "$QM3")
    else
        for P in $QM1 $QM2 $QM3; do want=$((want + $(england "$c" "$m" --period "$P"))); done
    fi
    check_eq "$c $m of $Q_PREV is its $([ "$how" = stock ] && echo "last month's ($QM3)" || echo "months' sum")" \
        "$want" "$(england "$c" "$m" --quarter "$Q_PREV")"
done
w040=$(england WORKFORCE W040 --quarter "$Q_PREV")
check "W040 of $Q_PREV for England joins the months' adult appointments: $w040 a clinical WTE a month" \
    bash -c "[[ '$w040' =~ ^[0-9]+\.[0-9]$ ]]"
check "the CYP quarter has its exact median wait (C061) for England" \
    grep -q "^[^,]*,[^,]*,England,.*,C061,[^,]*,[0-9]" "$W/hub-CYP-qpu.csv"


# The report.
t0=$(date +%s%N)
rm -f "$OUT/report.html"
query ANALYST report --period "$LAST" --quarters 3 --out "$OUT/report.html" >"$W/report.out" \
    2>>"$W/query.log"
rc=$?
check "iapt-query report exited 0 and wrote the report" test $rc = 0 -a -s "$OUT/report.html"
check "a report for a month not of the form YYYY-MM is refused, exit 2" \
    bash -c "'$BIN/iapt-query' --endpoint tcp://127.0.0.1:$QUERY_PORT --key '$W/keys/ANALYST.secret' \
    --hub-public '$W/keys/HUB.pub' report --period 2025-9 --out '$W/x.html' 2>/dev/null; \
    test \$? = 2 -a ! -e '$W/x.html'"
check "report with --collection is refused as usage (it covers every collection), exit 2" \
    bash -c "'$BIN/iapt-query' --endpoint tcp://127.0.0.1:$QUERY_PORT --key '$W/keys/ANALYST.secret' \
    --hub-public '$W/keys/HUB.pub' --collection CYP report --period $LAST --out '$W/x.html' \
    2>'$W/coll.err'; test \$? = 2 -a ! -e '$W/x.html'"
check "... saying why" grep -q "covers every collection" "$W/coll.err"
note "report generated in $((($(date +%s%N) - t0) / 1000000)) ms"
# The CSV exports the report's figures must equal.
for q in $Q_FIRST $Q_PREV $Q_LAST; do
    tag=${q//\//-}
    query ANALYST measures --quarter "$q" --group-type England --group-type Region --format csv \
        --out "$W/exp-$tag.csv" 2>>"$W/query.log"
done
for b in ethnicity age; do
    query ANALYST measures --quarter "$Q_LAST" --group-type England --group-type Region \
        --breakdown $b --format csv --out "$W/exp-$b.csv" 2>>"$W/query.log"
done
query ANALYST targets --period "$LAST" --format csv --out "$W/exp-targets.csv" 2>>"$W/query.log"
for c in CYP WORKFORCE; do
    for q in $Q_FIRST $Q_PREV $Q_LAST; do
        tag=${q//\//-}
        query ANALYST measures --collection $c --quarter "$q" --group-type England \
            --group-type Region --format csv --out "$W/exp-$c-$tag.csv" 2>>"$W/query.log"
    done
    query ANALYST targets --collection $c --period "$LAST" --format csv \
        --out "$W/programme-$c.csv" 2>>"$W/query.log"
done
for q in $Q_FIRST $Q_PREV $Q_LAST; do
    tag=${q//\//-}
    query ANALYST measures --collection WORKFORCE --quarter "$q" --group-type England \
        --breakdown role --format csv --out "$W/exp-WORKFORCE-role-$tag.csv" 2>>"$W/query.log"
done
for i in $(seq 0 8); do   # the report's months: at most the 9 of its 3 quarters
    P=$(date -u -d "$LAST-15 -$i month" +%Y-%m)
    query ANALYST submissions --period "$P" --format json --out "$W/exp-sub-$P.json" \
        2>>"$W/query.log"
done
query ANALYST checkpoint --format json >"$W/exp-checkpoint.json" 2>>"$W/query.log"
check "every figure in the report equals the CSV export's" \
    $PY "$IAPT_ROOT/tests/integration/report_check.py" figures "$OUT/report.html" "$W"
tail -n 1 "$W/check.log" | sed 's/^/     /'
# The same check sees one changed figure of each new kind of cell (its own
# control): a CYP measure, a CYP programme view value, a workforce one.
for kind in 'data-collection="CYP" data-span' 'data-view=' 'data-col="value"'; do
    $PY - "$OUT/report.html" "$W/changed.html" "$kind" <<'EOP'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'(<td [^>]*%s[^>]*>)([^<]*)(</td>)' % re.escape(sys.argv[3]), page)
page = page[:m.start()] + m.group(1) + "123457" + m.group(3) + page[m.end():]
open(sys.argv[2], "w", encoding="utf-8").write(page)
EOP
    check "the figures check catches one changed figure ($kind)" \
        bash -c "! $PY '$IAPT_ROOT/tests/integration/report_check.py' figures '$W/changed.html' \
        '$W' >'$W/changed.out' && grep -q \"'123457'\" '$W/changed.out'"
done
# On time: last month's submissions came before this month's deadline day,
# the older months' after theirs.
check_eq "on time: all of last month's providers, none of the older months'" \
    "$N 0" "$($PY -c '
import json, sys
def on(p): j = json.load(open(sys.argv[1] + "/exp-sub-" + p + ".json")); return sum(1 for s in j["submissions"] if s["current"] and not s["late"])
print(on(sys.argv[2]), on(sys.argv[3]))' "$W" "$LAST" "$START")"
check "the report is self-contained (no script, no external URL)" \
    $PY "$IAPT_ROOT/tests/integration/report_check.py" standalone "$OUT/report.html"

# In a real browser, with every host name resolving nowhere.
if command -v chromium >/dev/null 2>&1; then
    CH=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars
        --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$W/chromium-profile"
        --no-first-run --disable-background-networking --disable-component-update
        --disable-sync --disable-default-apps --window-size=1400,18000)
    timeout 120 "${CH[@]}" --log-net-log="$W/netlog.json" --screenshot="$OUT/report.png" \
        "file://$OUT/report.html" >"$W/chromium.log" 2>&1
    check "chromium took a screenshot" test -s "$OUT/report.png"
    note "screenshot: $OUT/report.png"
    # Where each chart is: the same page with a script that writes the boxes
    # into the DOM (the report itself has no script).
    $PY "$IAPT_ROOT/tests/integration/report_check.py" probe "$OUT/report.html" "$W/probe.html"
    timeout 120 "${CH[@]}" --dump-dom "file://$W/probe.html" >"$W/probe-dom.html" 2>>"$W/chromium.log"
    check "each chart rendered (a drawing inside its box in the screenshot)" \
        $PY "$IAPT_ROOT/tests/integration/report_check.py" rendered "$OUT/report.png" \
        "$W/probe-dom.html"
    tail -n 1 "$W/check.log" | sed 's/^/     /'
    check "no request left the page (network log)" \
        $PY "$IAPT_ROOT/tests/integration/report_check.py" netlog "$W/netlog.json" \
        "file://$OUT/report.html"
    # The same check sees a page that does fetch something (its own control).
    sed 's|</body>|<img src="http://example.invalid/x.png"></body>|' "$OUT/report.html" \
        >"$W/fetching.html"
    timeout 120 "${CH[@]}" --log-net-log="$W/netlog-fetching.json" --screenshot="$W/fetching.png" \
        "file://$W/fetching.html" >>"$W/chromium.log" 2>&1
    check "the network-log check catches a page that fetches an image" \
        bash -c "! $PY '$IAPT_ROOT/tests/integration/report_check.py' netlog \
        '$W/netlog-fetching.json' 'file://$W/fetching.html' >>'$W/check.log'"
else
    check "chromium is installed (deploy/install-deps.sh installs it)" false
fi

finish
