#!/usr/bin/env bash
# Collections at the hub: the providers file (providers = FILE in hub.conf)
# is checked at start, a bad one keeps the hub from starting with the file,
# line and reason; with a good one the adult figures are what they are
# without it (the adult collection places referrals by their commissioner);
# a query naming an unknown collection is refused with the known ones named
# while the hub keeps serving, and naming IAPT is the same as naming none.
source "$(dirname "$0")/lib.sh"

synth --providers 1 --months 1 --seed 11 --start 2025-09 --scale 0.2
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init 1
src=$(sed -n 2p "$W/synth/providers.csv" | cut -d, -f1)
mkdir -p "$W/ex/P01"
cp -r "$W/synth/$src/2025-09" "$W/ex/P01/"
sed -i "2s/^$src,/P01,/; 2s/,$src,/,P01,/" "$W/ex/P01/2025-09/IDS000Header.csv"

# A bad providers file: the hub does not start, and says where and why.
cat >"$W/providers.csv" <<EOC
org_code,org_name,home_subicb
P01,Provider 1 NHS Trust,00L
P02,Provider 2 NHS Trust,not-a-code
EOC
cp "$W/hub/hub.conf" "$W/hub/hub.conf.plain"
echo "providers = ../providers.csv" >>"$W/hub/hub.conf"
(cd "$W/hub" && "$BIN/iapt-hub" --config hub.conf >"$W/bad.out" 2>&1)
rc=$?
check "a bad providers file keeps the hub from starting" test $rc -ne 0
check "... naming the file and line" grep -q "providers.csv:3" "$W/bad.out"
check "... and the reason" grep -q "home_subicb 'not-a-code'" "$W/bad.out"
printf 'org_code,org_name,home_subicb\nP01,Provider 1,00L\nP01,Again,00N\n' >"$W/providers.csv"
(cd "$W/hub" && "$BIN/iapt-hub" --config hub.conf >"$W/dup.out" 2>&1)
check "a provider given twice is refused, naming both lines" \
    grep -q "providers.csv:3: org_code P01 given again (first at line 2)" "$W/dup.out"

# A good one: the hub serves; the adult figures do not depend on it.
printf 'org_code,org_name,home_subicb\nP01,Provider 1 NHS Trust,00L\n' >"$W/providers.csv"
hub_start
check "the hub starts with a good providers file" kill -0 "$HUB_PID"
node P01 submit --extract "$W/ex/P01/2025-09" --period 2025-09 >"$W/submit.log" 2>&1
check "P01 delivers its month" grep -q "delivered" "$W/submit.log"
query ANALYST measures --period 2025-09 --format csv --unsuppressed >"$W/with.csv"
check "measures answered" test -s "$W/with.csv"
query ANALYST measures --period 2025-09 --format csv --unsuppressed --collection IAPT >"$W/named.csv"
check "--collection IAPT answers as no collection named" cmp -s "$W/with.csv" "$W/named.csv"
query ANALYST measures --period 2025-09 --format csv --unsuppressed --collection adult >"$W/key.csv"
check "--collection adult (the folder key) names the same collection" cmp -s "$W/with.csv" "$W/key.csv"
hub_stop
cp "$W/hub/hub.conf.plain" "$W/hub/hub.conf"
hub_start
query ANALYST measures --period 2025-09 --format csv --unsuppressed >"$W/without.csv"
check "the adult publication is the same without the providers file" \
    cmp -s "$W/with.csv" "$W/without.csv"

# Unknown collections: refused on the client, and by the hub for a request
# that names one (queryclient.py forges it).
query ANALYST measures --period 2025-09 --collection NOPE >"$W/nope.out" 2>&1
rc=$?
check "iapt-query --collection NOPE: usage error naming the known ones" \
    bash -c "test $rc -eq 2 && grep -q \"unknown collection 'NOPE' (IAPT\" '$W/nope.out'"
$PY - "$W" "$QUERY_PORT" >"$W/forged.out" 2>&1 <<'EOPY'
import sys, os
sys.path.insert(0, os.path.join(os.environ["IAPT_ROOT"], "tests", "integration"))
from hubclient import msg, read_keyfile, Client, REFUSE
W, port = sys.argv[1], sys.argv[2]
Envelope = msg("Envelope")
c = Client(f"tcp://127.0.0.1:{port}", read_keyfile(f"{W}/keys/ANALYST.secret"),
           read_keyfile(f"{W}/keys/HUB.pub"))
env = Envelope()
env.query.request_id = 7
env.query.collection = "NOPE"
env.query.submissions.period = "2025-09"
c.send(env)
r = c.recv()
a = r.answer if r is not None and r.WhichOneof("body") == "answer" else None
print("answer:", REFUSE.get(a.error) if a else None, a.reason if a else None)
ok = a is not None and REFUSE.get(a.error) == "REFUSE_INVALID" and "'NOPE'" in a.reason \
    and "IAPT" in a.reason
print("PASS" if ok else "FAIL")
EOPY
check "a query naming an unknown collection is refused naming it and the known ones" \
    grep -q PASS "$W/forged.out"
check "the hub still serves after it" bash -c "kill -0 $HUB_PID"
query ANALYST submissions --period 2025-09 >"$W/subs.out" 2>&1
check "... and answers the next query" grep -q P01 "$W/subs.out"
finish
