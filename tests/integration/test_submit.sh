#!/usr/bin/env bash
# The foundation, end to end with real processes on loopback: three nodes
# submit a synthetic month over CurveZMQ, exactly once; a newer submission
# supersedes an older; unregistered and revoked keys are kept out; forged,
# altered, garbage and oversized messages are refused with a reason while
# other nodes keep submitting.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
synth --providers 3 --months 1 --seed 7 --start $PERIOD --scale 0.2
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init 3
# Providers are P01..P03 here; the synthetic extracts carry their own codes.
for i in 1 2 3; do
    org=$(printf 'P%02d' $i)
    src=$(sed -n "$((i + 1))p" "$W/synth/providers.csv" | cut -d, -f1)
    mkdir -p "$W/ex/$org"
    cp -r "$W/synth/$src/$PERIOD" "$W/ex/$org/"
    # The header names the provider: give each extract its node's code.
    sed -i "2s/^$src,/$org,/; 2s/,$src,/,$org,/" "$W/ex/$org/$PERIOD/IDS000Header.csv"
    # A corrected re-export for the later resubmissions: ten referrals fewer
    # (an identical extract would not be sent again: the node's gate).
    cp -r "$W/ex/$org/$PERIOD" "$W/ex/$org/$PERIOD.v2"
    sed -i '2,11d' "$W/ex/$org/$PERIOD.v2/IDS101Referral.csv"
done
sed -i 's/^max-message-mb.*//' "$W/hub/hub.conf"
echo "max-message-mb = 1" >>"$W/hub/hub.conf"
hub_start || { echo "hub did not start"; cat "$W/hub/hub.log"; }

hc() { $PY "$IAPT_ROOT/tests/integration/hubclient.py" "$@" --endpoint "tcp://127.0.0.1:$SUBMIT_PORT" --hub-public "$W/keys/HUB.pub"; }

# --- three nodes, concurrently -------------------------------------------------------
for org in P01 P02 P03; do
    node "$org" submit --extract "$W/ex/$org/$PERIOD" --period $PERIOD --deadline 120 \
        >"$W/$org.submit.log" 2>&1 &
done
ok=1
for j in $(jobs -p); do [ "$j" = "$HUB_PID" ] && continue; wait "$j" || ok=0; done
check "three nodes deliver their month" test $ok = 1
for org in P01 P02 P03; do
    check "$org outbox shows the delivery with a log index" \
        bash -c "cd $W/nodes/$org && $BIN/iapt-node status --config node.conf | grep -q ' delivered '"
done
# --- collections: the adult one by default, by any spelling; an unknown name ---------
node P01 status --json >"$W/p01st.json" 2>&1
check_eq "status --json names each submission's collection" "IAPT" \
    "$($PY -c 'import json,sys; print(",".join(e["collection"] for e in json.load(open(sys.argv[1]))))' "$W/p01st.json")"
out=$(node P01 submit --extract "$W/ex/P01/$PERIOD" --period $PERIOD --collection adult 2>&1)
check "--collection adult is the same collection: already delivered, not sent again" \
    grep -q "already delivered" <<<"$out"
out=$(node P01 submit --extract "$W/ex/P01/$PERIOD" --period $PERIOD --collection NOPE 2>&1)
rc=$?
check_eq "an unknown --collection exits 2" 2 "$rc"
check "... and lists the registered collections" grep -q "the collections are IAPT" <<<"$out"
(cd "$W/nodes/P01" && "$BIN/iapt-node" check --config node.conf --extract "$W/ex/P01/$PERIOD" \
    --period $PERIOD --collection nope) >/dev/null 2>"$W/err"
check_eq "check: an unknown --collection exits 2" 2 "$?"

query ANALYST submissions --period $PERIOD --format csv >"$W/subs.csv" 2>&1
# current_count FILE: rows whose "current" column is true.
current_count() { $PY -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); print(sum(x["current"]=="true" for x in r), sum(x["received"]=="true" and x["current"]=="false" for x in r))' "$1"; }
check_eq "hub holds one current submission per provider, none replaced" "3 0" "$(current_count "$W/subs.csv")"
size=$(query AUDITOR checkpoint --format json 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')
check_eq "log holds three leaves" 3 "$size"

# --- exactly once: the same signed submission sent again --------------------------------
cp -r "$W/nodes/P01" "$W/nodes/P01copy"
# A copy of the outbox taken before delivery: prepare without sending first.
node P02 submit --extract "$W/ex/P02/$PERIOD.v2" --period $PERIOD --no-send >/dev/null 2>&1
cp -r "$W/nodes/P02" "$W/nodes/P02twin"
node P02 send --deadline 60 >/dev/null 2>&1
(cd "$W/nodes/P02twin" && "$BIN/iapt-node" send --config node.conf --deadline 60) >"$W/twin.log" 2>&1
check "the twin outbox gets the original receipt" grep -q "delivered" "$W/twin.log"
size=$(query AUDITOR checkpoint --format json 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')
check_eq "sent twice, stored once (4 leaves: 3 + P02's second)" 4 "$size"
query ANALYST submissions --period $PERIOD --org P02 --format csv >"$W/p02.csv" 2>&1
check_eq "P02: the newer submission is current, the older superseded" "1 1" \
    "$(current_count "$W/p02.csv")"

# --- keys -------------------------------------------------------------------------------
"$BIN/iapt-keygen" --org P09 --role provider --out "$W/stranger" >/dev/null 2>&1
check "an unregistered CURVE key gets no session" \
    hc silent --key "$W/stranger/P09.secret" --wait-ms 3000
check "an analyst key gets no session on the submit endpoint" \
    hc silent --key "$W/keys/ANALYST.secret" --wait-ms 2000
check "hub logged the unregistered key" grep -q "is not registered" "$W/hub/hub.log"

check "a forged manifest signature is refused with a reason" hc forged --key "$W/keys/P01.secret"
check "a manifest for another organisation is refused" hc wrong-org --key "$W/keys/P01.secret"
check "a manifest of an unknown collection is refused MALFORMED naming it; the hub keeps serving" \
    hc collection --key "$W/keys/P01.secret" --sequence 950
check "a record altered in transit is refused (root mismatch)" \
    hc altered --key "$W/keys/P03.secret" --sequence 900

# --- garbage and oversized, while another node keeps submitting ---------------------------
node P03 submit --extract "$W/ex/P03/$PERIOD.v2" --period $PERIOD --no-send >/dev/null 2>&1
IAPT_NODE_PACE_MS=20 node P03 send --deadline 120 >"$W/p03.log" 2>&1 &
P03_PID=$!
check "garbage frames get refusals, the hub keeps answering" hc garbage --key "$W/keys/P01.secret"
check "oversized messages: refused, or the connection dropped" \
    hc oversized --key "$W/keys/P01.secret" --max-message 1048576
wait $P03_PID
check "P03 delivered meanwhile" test $? = 0
check "hub still running" kill -0 "$HUB_PID"

# --- revocation: new connections and open ones -----------------------------------------------
hc revoked-midway --key "$W/keys/P02.secret" --ready-file "$W/ready" --go-file "$W/go" \
    >"$W/revoke.log" 2>&1 &
RV=$!
for i in $(seq 1 100); do [ -f "$W/ready" ] && break; sleep 0.1; done
revoked_at=$(date -u -d '1 minute ago' +%Y-%m-%dT%H:%M:%SZ)
sed -i "s/^\(P02,[^,]*,provider,\)active,,/\1revoked,$revoked_at,/" "$W/registry.csv"
kill -HUP "$HUB_PID"
sleep 0.5
touch "$W/go"
wait $RV
check "an open connection of a revoked key is refused at once" test $? = 0
check "a revoked key gets no new session" hc silent --key "$W/keys/P02.secret" --wait-ms 2000

finish
