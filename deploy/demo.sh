#!/usr/bin/env bash
# make demo: a hub and three provider nodes on loopback. Each node checks its
# synthetic month, anonymises and signs it, and delivers it over CurveZMQ; the
# hub verifies, stores and logs them; the central team reads the national
# statistics; an auditor verifies everything from the public keys alone.
# The same providers then submit their CYP IAPT month (step 10): the CYP
# national table, publication CSV, programme view and audit follow.
#
#   deploy/demo.sh [BUILD_DIR]     (everything it makes is in BUILD_DIR/demo)
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$BUILD/bin"
D="$ROOT/$BUILD/demo"
# Last month: what a provider submits now.
PERIOD=$(date -u -d "$(date -u +%Y-%m-15) -1 month" +%Y-%m)
HUB_PID=""

say() { printf '\n== %s\n' "$*"; }
# clip N COMMAND...: the first N lines of a command's output (no SIGPIPE).
clip() {
    local n=$1; shift
    "$@" >"$D/.clip" 2>&1 || { cat "$D/.clip"; return 1; }
    head -n "$n" "$D/.clip"
    local total
    total=$(wc -l <"$D/.clip")
    [ "$total" -le "$n" ] || echo "  ... ($((total - n)) more lines)"
}
stop_hub() {
    if [ -n "$HUB_PID" ] && kill -0 "$HUB_PID" 2>/dev/null; then
        kill -TERM "$HUB_PID"
        wait "$HUB_PID" 2>/dev/null || true
    fi
    HUB_PID=""
}
trap stop_hub EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
    for _ in $(seq 1 100); do
        /usr/bin/python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$1)))" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "demo: the hub did not start; see $D/hub/hub.log" >&2
    exit 1
}

# ---- The workforce collection (WORKFORCE) --------------------------------
# The same providers send their month's staff, supervision and vacancies
# (iapt-node submit --collection WORKFORCE). The hub places each provider by
# the providers file's home sub-ICB, and W040/W041 join the adult month the
# provider sent. workforce_setup runs before the hub starts (the providers
# file is read at start), workforce_show once the adult month is in.
workforce_setup() {
    "$BIN/iapt-synth" --collection WORKFORCE --providers 3 --months 1 --seed 2025 \
        --start $PERIOD --out "$D/synth-wf" 2>"$D/synth-wf.log"
    # One providers file (org_code,org_name,home_subicb) for every collection.
    [ -s "$D/providers.csv" ] || cp "$D/synth-wf/providers.csv" "$D/providers.csv"
    grep -q '^providers *=' "$D/hub/hub.conf" ||
        echo "providers = ../providers.csv" >>"$D/hub/hub.conf"
}
workforce_show() {
    say "W. The workforce month: staff, supervision and vacancies ($PERIOD)"
    echo "--- ${PROVIDERS[0]}: the node's check of its workforce extract"
    (cd "$D/nodes/${PROVIDERS[0]}" && "$BIN/iapt-node" check --config node.conf \
        --collection WORKFORCE --extract "$D/synth-wf/${PROVIDERS[0]}/$PERIOD" --period $PERIOD \
        --max-findings 3 >"$D/.check-wf" 2>&1) || true
    head -n 6 "$D/.check-wf"
    sed -n '/^Findings (/,$p' "$D/.check-wf"
    local org ok=1 j pids=()
    for org in "${PROVIDERS[@]}"; do
        (cd "$D/nodes/$org" && "$BIN/iapt-node" submit --config node.conf --collection WORKFORCE \
            --extract "$D/synth-wf/$org/$PERIOD" --period $PERIOD --deadline 120) \
            >"$D/nodes/$org/submit-wf.log" 2>&1 &
        pids+=($!)
    done
    for j in "${pids[@]}"; do wait "$j" || ok=0; done
    for org in "${PROVIDERS[@]}"; do
        grep -E "prepared|delivered|refused" "$D/nodes/$org/submit-wf.log" | sed "s/^/$org: /"
    done
    [ $ok = 1 ] || { echo "demo: a node failed; see $D/nodes/*/submit-wf.log" >&2; exit 1; }
    echo
    echo "The national workforce table (England, $PERIOD):"
    (cd "$D" && "$BIN/iapt-query" --config ANALYST.conf measures --collection WORKFORCE \
        --period $PERIOD --group-type England --format table)
    echo
    echo "W040 appointments per clinical WTE (adult appointments of the month over the"
    echo "clinical staff in post, providers that sent both collections), per region:"
    (cd "$D" && "$BIN/iapt-query" --config ANALYST.conf measures --collection WORKFORCE \
        --period $PERIOD --group-type England,Region --measure W040 --measure W004 \
        --format wide)
    (cd "$D" && "$BIN/iapt-query" --config ANALYST.conf measures --collection WORKFORCE \
        --period $PERIOD --format csv --out "$D/publication-workforce-$PERIOD.csv")
    echo "workforce publication CSV ($(($(wc -l <"$D/publication-workforce-$PERIOD.csv") - 1)) rows, every level)"
    if [ -x "$BIN/iapt-audit" ]; then
        echo
        echo "The auditor recomputes the workforce measures from the signed records:"
        (cd "$D" && "$BIN/iapt-audit" --config AUDITOR.conf recompute --collection WORKFORCE \
            --providers providers.csv --period $PERIOD >.audit-wf 2>&1) ||
            { cat "$D/.audit-wf"; echo "demo: the workforce recompute failed" >&2; exit 1; }
        grep -E "^ok   measures|^recompute" "$D/.audit-wf"
    fi
}
# ---- end of the workforce collection ----------------------------------------

rm -rf "$D"
mkdir -p "$D/keys" "$D/hub" "$D/nodes"

say "1. A synthetic month ($PERIOD) for three provider services"
"$BIN/iapt-synth" --providers 3 --months 1 --seed 2025 --start $PERIOD --out "$D/synth"
cp "$D/synth/geography.csv" "$D/synth/imd.csv" "$ROOT/data/assessment-tools.csv" "$D/"
# The targets table ships in data/; without it the demo's targets view would
# be silently empty, so a missing table stops the demo.
if [ ! -s "$ROOT/data/sha-2012-targets.csv" ]; then
    echo "demo: $ROOT/data/sha-2012-targets.csv is missing; it ships with the repository" >&2
    exit 1
fi
cp "$ROOT/data/sha-2012-targets.csv" "$D/targets.csv"
mapfile -t PROVIDERS < <(tail -n +2 "$D/synth/providers.csv" | cut -d, -f1)
echo "providers: ${PROVIDERS[*]}"

say "2. Keys: the hub, each provider, an analyst and an auditor; the registry"
"$BIN/iapt-keygen" --org HUB --role hub --out "$D/keys" 2>/dev/null >/dev/null
echo "org_code,name,role,status,revoked_at,sign_public,curve_public" >"$D/registry.csv"
tail -n +2 "$D/synth/providers.csv" | while IFS= read -r line; do
    code=${line%%,*}; name=${line#*,}; name=${name#\"}; name=${name%\"}
    "$BIN/iapt-keygen" --org "$code" --role provider --name "$name" --out "$D/keys" \
        2>/dev/null >>"$D/registry.csv"
done
"$BIN/iapt-keygen" --org ANALYST --role analyst --name "Central analysis team" \
    --out "$D/keys" 2>/dev/null >>"$D/registry.csv"
"$BIN/iapt-keygen" --org AUDITOR --role auditor --name "Independent auditor" \
    --out "$D/keys" 2>/dev/null >>"$D/registry.csv"
"$BIN/iapt-keygen" --pseudo-key "$D/keys/pseudo.key"
/usr/bin/python3 -c '
import csv, sys
for r in csv.reader(open(sys.argv[1])):
    print("  %-9s %-40s %-9s %s" % tuple(r[:4]))' "$D/registry.csv"

SUBMIT=$(free_port); QUERY=$(free_port)
while [ "$QUERY" = "$SUBMIT" ]; do QUERY=$(free_port); done
HUB_NAME="iapt-hub.demo/log"
cat >"$D/hub/hub.conf" <<EOC
name = $HUB_NAME
identity = ../keys/HUB.secret
registry = ../registry.csv
geography = ../geography.csv
tools = ../assessment-tools.csv
data-dir = data
submit-endpoint = tcp://127.0.0.1:$SUBMIT
query-endpoint = tcp://127.0.0.1:$QUERY
map-size-mb = 256
deadline-day = 28
EOC
[ -s "$D/targets.csv" ] && echo "targets = ../targets.csv" >>"$D/hub/hub.conf"
for org in "${PROVIDERS[@]}"; do
    mkdir -p "$D/nodes/$org"
    cat >"$D/nodes/$org/node.conf" <<EOC
org = $org
identity = ../../keys/$org.secret
hub-public = ../../keys/HUB.pub
hub-endpoint = tcp://127.0.0.1:$SUBMIT
hub-name = $HUB_NAME
pseudo-key = ../../keys/pseudo.key
outbox = outbox
imd-lookup = ../../imd.csv
tools = ../../assessment-tools.csv
EOC
done
for role in ANALYST AUDITOR; do
    cat >"$D/$role.conf" <<EOC
endpoint = tcp://127.0.0.1:$QUERY
key = keys/$role.secret
hub-public = keys/HUB.pub
EOC
done
cat >>"$D/AUDITOR.conf" <<EOC
hub-name = $HUB_NAME
registry = registry.csv
geography = geography.csv
tools = assessment-tools.csv
state = audit-state
EOC

workforce_setup

say "3. The hub starts (submit :$SUBMIT, query :$QUERY; only registered keys get in)"
(cd "$D/hub" && exec "$BIN/iapt-hub" --config hub.conf >>hub.log 2>&1) &
HUB_PID=$!
wait_port "$SUBMIT"
wait_port "$QUERY"
echo "hub running (pid $HUB_PID); its log: $D/hub/hub.log"

say "4. Each node checks its extract: the data-quality report the provider sees"
for org in "${PROVIDERS[@]}"; do
    echo "--- $org"
    (cd "$D/nodes/$org" && clip 24 "$BIN/iapt-node" check --config node.conf \
        --extract "$D/synth/$org/$PERIOD" --period $PERIOD --max-findings 3)
done

say "5. The three nodes anonymise, sign and deliver their month at the same time"
for org in "${PROVIDERS[@]}"; do
    (cd "$D/nodes/$org" && "$BIN/iapt-node" submit --config node.conf \
        --extract "$D/synth/$org/$PERIOD" --period $PERIOD --deadline 120) \
        >"$D/nodes/$org/submit.log" 2>&1 &
done
wait_nodes_ok=1
for j in $(jobs -p); do [ "$j" = "$HUB_PID" ] && continue; wait "$j" || wait_nodes_ok=0; done
for org in "${PROVIDERS[@]}"; do
    grep -E "prepared|delivered|refused" "$D/nodes/$org/submit.log" | sed "s/^/$org: /"
done
[ $wait_nodes_ok = 1 ] || { echo "demo: a node failed; see $D/nodes/*/submit.log" >&2; exit 1; }
echo
(cd "$D/nodes/${PROVIDERS[0]}" && "$BIN/iapt-node" status --config node.conf)

say "6. What the hub holds for $PERIOD"
(cd "$D" && "$BIN/iapt-query" --config ANALYST.conf submissions --period $PERIOD)
echo
(cd "$D" && clip 14 "$BIN/iapt-query" --config ANALYST.conf quality --period $PERIOD \
    --org "${PROVIDERS[0]}")

say "7. National statistics for $PERIOD (England and regions; published form)"
(cd "$D" && "$BIN/iapt-query" --config ANALYST.conf measures --period $PERIOD \
    --group-type England,Region --format wide)
echo
echo "M001 referrals received, M031 entered treatment, M076 finished a course, M192 recovery"
echo "rate %, M186 reliable improvement %, M053 / M055 finishers who waited <= 6 / 18 weeks %"
(cd "$D" && "$BIN/iapt-query" --config ANALYST.conf measures --period $PERIOD --format csv \
    --out "$D/publication-$PERIOD.csv")
echo "publication CSV ($(($(wc -l <"$D/publication-$PERIOD.csv") - 1)) rows, every level):"
head -n 4 "$D/publication-$PERIOD.csv"
if [ -s "$D/targets.csv" ]; then
    echo
    (cd "$D" && "$BIN/iapt-query" --config ANALYST.conf targets --period $PERIOD >.targets)
    # Regions without providers in this demo are all '*': show the others.
    awk 'NR <= 2 || $0 !~ / \*  /' "$D/.targets"
fi

if [ -x "$BIN/iapt-audit" ]; then
    say "8. The auditor verifies, trusting only the public keys"
    (cd "$D" && "$BIN/iapt-audit" --config AUDITOR.conf verify-log --full)
    ids=$(cd "$D" && "$BIN/iapt-query" --config ANALYST.conf submissions --period $PERIOD \
        --format csv | tail -n +2 | awk -F, '$5=="true" {print $NF}')
    for id in $ids; do
        (cd "$D" && "$BIN/iapt-audit" --config AUDITOR.conf verify-submission "$id" >.audit &&
            tail -n 1 .audit)
    done
    (cd "$D" && "$BIN/iapt-audit" --config AUDITOR.conf recompute --period $PERIOD)
fi

say "9. Five earlier adult months delivered (for the national report at the end)"
FIRST=$(date -u -d "$PERIOD-15 -5 month" +%Y-%m)
"$BIN/iapt-synth" --providers 3 --months 5 --seed 2025 --start "$FIRST" --out "$D/synth-earlier"
for m in 0 1 2 3 4; do
    P=$(date -u -d "$FIRST-15 +$m month" +%Y-%m)
    for org in "${PROVIDERS[@]}"; do
        (cd "$D/nodes/$org" && "$BIN/iapt-node" submit --config node.conf \
            --extract "$D/synth-earlier/$org/$P" --period "$P" --deadline 120) \
            >>"$D/nodes/$org/earlier.log" 2>&1 &
    done
    wait_nodes_ok=1
    for j in $(jobs -p); do [ "$j" = "$HUB_PID" ] && continue; wait "$j" || wait_nodes_ok=0; done
    [ $wait_nodes_ok = 1 ] || { echo "demo: a node failed for $P; see $D/nodes/*/earlier.log" >&2; exit 1; }
    echo "$P delivered by ${PROVIDERS[*]}"
done

# ---- CYP IAPT: the same providers' children and young people's month ---------------
# (One block: the CYP collection beside the adult one. The providers file
# gives the hub each provider's name and home sub-ICB, for coverage; the
# geography with population_0_19 is the adult one plus that column.)
say "10. CYP IAPT: the same three providers also submit their children and young people's month"
"$BIN/iapt-synth" --collection CYP --providers 3 --months 1 --seed 2025 --start $PERIOD \
    --cyp-tools "$ROOT/data/cyp-assessment-tools.csv" --out "$D/synth-cyp"
cp "$ROOT/data/cyp-assessment-tools.csv" "$D/cyp-tools.csv"
cp "$D/synth-cyp/providers.csv" "$D/providers.csv"
cp "$D/synth-cyp/geography.csv" "$D/geography-cyp.csv"
stop_hub
sed -i 's#^geography = .*#geography = ../geography-cyp.csv#' "$D/hub/hub.conf"
grep -q '^providers *=' "$D/hub/hub.conf" || echo "providers = ../providers.csv" >>"$D/hub/hub.conf"
echo "cyp-tools = ../cyp-tools.csv" >>"$D/hub/hub.conf"
for org in "${PROVIDERS[@]}"; do
    echo "cyp-tools = ../../cyp-tools.csv" >>"$D/nodes/$org/node.conf"
done
sed -i 's#^geography = .*#geography = geography-cyp.csv#' "$D/AUDITOR.conf"
grep -q '^providers *=' "$D/AUDITOR.conf" || echo "providers = providers.csv" >>"$D/AUDITOR.conf"
echo "cyp-tools = cyp-tools.csv" >>"$D/AUDITOR.conf"
(cd "$D/hub" && exec "$BIN/iapt-hub" --config hub.conf >>hub.log 2>&1) &
HUB_PID=$!
wait_port "$SUBMIT"
wait_port "$QUERY"
echo "hub restarted with the providers file and the CYP tool table (pid $HUB_PID)"
echo "--- ${PROVIDERS[0]}: iapt-node check --collection CYP"
(cd "$D/nodes/${PROVIDERS[0]}" && clip 12 "$BIN/iapt-node" check --config node.conf \
    --collection CYP --extract "$D/synth-cyp/${PROVIDERS[0]}/$PERIOD" --period $PERIOD \
    --max-findings 3)
for org in "${PROVIDERS[@]}"; do
    (cd "$D/nodes/$org" && "$BIN/iapt-node" submit --config node.conf --collection CYP \
        --extract "$D/synth-cyp/$org/$PERIOD" --period $PERIOD --deadline 120) \
        >"$D/nodes/$org/submit-cyp.log" 2>&1 &
done
wait_nodes_ok=1
for j in $(jobs -p); do [ "$j" = "$HUB_PID" ] && continue; wait "$j" || wait_nodes_ok=0; done
for org in "${PROVIDERS[@]}"; do
    grep -E "prepared|delivered|refused" "$D/nodes/$org/submit-cyp.log" | sed "s/^/$org: /"
done
[ $wait_nodes_ok = 1 ] || { echo "demo: a node failed; see $D/nodes/*/submit-cyp.log" >&2; exit 1; }
echo
(cd "$D" && "$BIN/iapt-query" --config ANALYST.conf submissions --collection CYP --period $PERIOD)
echo
echo "CYP national statistics for $PERIOD (England and regions; published form):"
(cd "$D" && "$BIN/iapt-query" --config ANALYST.conf measures --collection CYP --period $PERIOD \
    --group-type England,Region --format wide)
echo
(cd "$D" && "$BIN/iapt-query" --config ANALYST.conf measures --collection CYP --period $PERIOD \
    --format csv --out "$D/publication-cyp-$PERIOD.csv")
echo "CYP publication CSV ($(($(wc -l <"$D/publication-cyp-$PERIOD.csv") - 1)) rows, every level): $D/publication-cyp-$PERIOD.csv"
echo
echo "The CYP programme view (coverage of the 0-19 population, access growth, CWP teams):"
(cd "$D" && "$BIN/iapt-query" --config ANALYST.conf targets --collection CYP --period $PERIOD \
    >.cyp-view)
# Suppressed and empty lines (regions without these providers; access growth
# needs 24 months) are left out here: the whole view is in the query's output.
awk 'NR <= 2 || $NF ~ /^-?[0-9.]+$/' "$D/.cyp-view"
if [ -x "$BIN/iapt-audit" ]; then
    echo
    (cd "$D" && "$BIN/iapt-audit" --config AUDITOR.conf recompute --collection CYP --period $PERIOD)
fi
# ---- end of CYP IAPT ------------------------------------------------------------------

workforce_show

say "11. The national report: one HTML page, every collection with data"
(cd "$D" && "$BIN/iapt-query" --config ANALYST.conf report --period $PERIOD --quarters 3 \
    --out "$D/report.html")
grep -o 'id="collection-[A-Z]*"' "$D/report.html" | sed 's/id="collection-\(.*\)"/section: \1/'
echo "the national report (open it in a browser; it needs nothing else): $D/report.html"

say "Done: hub stopped; everything is in $D"
stop_hub
