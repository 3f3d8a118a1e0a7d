#!/usr/bin/env bash
# Connection diagnostics with real processes: the three connection faults a
# new provider or analyst meets (no hub at the endpoint; a key the hub does
# not know, or revoked; a hub-public that is not the hub's key) are each told
# apart, with the fix, by `iapt-node ping`, `iapt-node send` and
# `iapt-query ping`, each in under 5 s (the issue's bound; a reply timeout
# would take 3 s per try here and say nothing of the cause). Plus the success
# case, which reports how the hub sees the key.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
synth --providers 1 --months 1 --seed 11 --start $PERIOD --scale 0.05
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init 3
src=$(sed -n 2p "$W/synth/providers.csv" | cut -d, -f1)
# extract_for ORG: the synthetic month with ORG's code in its header.
extract_for() {
    mkdir -p "$W/ex/$1"
    cp -r "$W/synth/$src/$PERIOD" "$W/ex/$1/"
    sed -i "2s/^$src,/$1,/; 2s/,$src,/,$1,/" "$W/ex/$1/$PERIOD/IDS000Header.csv"
}
hub_start || { echo "hub did not start"; cat "$W/hub/hub.log"; }

# timed NAME OUT CMD...: run CMD (output to OUT), record exit status and ms.
timed() {
    local name=$1 out=$2; shift 2
    local t0 t1
    t0=$(date +%s%N)
    "$@" >"$out" 2>&1
    T_RC=$?
    t1=$(date +%s%N)
    T_MS=$(((t1 - t0) / 1000000))
    note "$name: exit $T_RC in $T_MS ms"
}
under5() { test "$T_MS" -lt 5000; }

# node_in DIR ARGS...: iapt-node with the configuration in DIR.
node_in() {
    local dir=$1 cmd=$2; shift 2
    (cd "$dir" && "$BIN/iapt-node" "$cmd" --config node.conf "$@")
}

# --- success ---------------------------------------------------------------------------
timed "node ping, all well" "$W/ok.ping" node P01 ping
check_eq "node ping exits 0 when all is well" 0 "$T_RC"
check "it reports each check ok" bash -c "grep -c '^ok ' '$W/ok.ping' | grep -qx 6"
check "it shows how the hub sees the key" \
    grep -q "knows this key as P01 (provider, Provider 1 NHS Trust) on its submit endpoint" \
    "$W/ok.ping"
check "ping submitted nothing" bash -c "! grep -q opened '$W/hub/hub.log'"
timed "query ping, all well" "$W/okq.ping" query ANALYST ping
check_eq "query ping exits 0 when all is well" 0 "$T_RC"
check "query ping reports the analyst role on the query endpoint" \
    grep -q "as ANALYST (analyst, Central analysts) on its query endpoint" "$W/okq.ping"
aping() {
    "$BIN/iapt-audit" --endpoint "tcp://127.0.0.1:$QUERY_PORT" --key "$W/keys/$1.secret" \
        --hub-public "$W/keys/HUB.pub" --hub-name "$2" ping
}
timed "audit ping, all well" "$W/oka.ping" aping AUDITOR "$HUB_NAME"
check_eq "audit ping exits 0 when all is well" 0 "$T_RC"
check "audit ping reports the auditor role" grep -q "as AUDITOR (auditor," "$W/oka.ping"
timed "audit ping with an analyst's key" "$W/anla.ping" aping ANALYST "$HUB_NAME"
check_eq "audit ping: a key file that is not an auditor's is a configuration error (exit 2)" 2 "$T_RC"
check "  saying the key is an analyst's" grep -qi "analyst" "$W/anla.ping"
timed "audit ping, another hub name" "$W/namea.ping" aping AUDITOR "other-hub/log"
check_eq "audit ping: the hub signs under another name -> exit 1" 1 "$T_RC"
check "  naming both names" grep -q "other-hub/log" "$W/namea.ping"

# --- fault 1: nothing listening at the endpoint --------------------------------------------
DEAD_PORT=$(free_port)
while [ "$DEAD_PORT" = "$SUBMIT_PORT" ] || [ "$DEAD_PORT" = "$QUERY_PORT" ]; do
    DEAD_PORT=$(free_port)
done
extract_for P01
node P01 submit --extract "$W/ex/P01/$PERIOD" --period $PERIOD --no-send >/dev/null 2>&1
cp -r "$W/nodes/P01" "$W/nodes/P01dead"
sed -i "s|^hub-endpoint.*|hub-endpoint = tcp://127.0.0.1:$DEAD_PORT|" "$W/nodes/P01dead/node.conf"
timed "node ping, no hub" "$W/dead.ping" node_in "$W/nodes/P01dead" ping
check_eq "node ping: no hub -> exit 1" 1 "$T_RC"
check "node ping: says nothing is listening, and what to check" \
    grep -q "FAIL connection: nothing is listening at tcp://127.0.0.1:$DEAD_PORT: check hub-endpoint" \
    "$W/dead.ping"
check "node ping: no hub told in under 5 s" under5
timed "node send, no hub" "$W/dead.send" node_in "$W/nodes/P01dead" send --deadline 3
check_eq "node send: no hub -> still pending at the deadline (exit 3)" 3 "$T_RC"
check "node send: says nothing is listening (and keeps retrying until the deadline)" \
    grep -q "nothing is listening at tcp://127.0.0.1:$DEAD_PORT.*will retry" "$W/dead.send"
check "node send: the final line names the cause" \
    grep -q "still pending: deadline passed.*nothing is listening" "$W/dead.send"
check "node send: no hub told in under 5 s" under5
check "the submission is still pending in the outbox" \
    bash -c "cd '$W/nodes/P01dead' && '$BIN/iapt-node' status --config node.conf | grep -q pending"
timed "query ping, no hub" "$W/deadq.ping" "$BIN/iapt-query" \
    --endpoint "tcp://127.0.0.1:$DEAD_PORT" --key "$W/keys/ANALYST.secret" \
    --hub-public "$W/keys/HUB.pub" ping
check_eq "query ping: no hub -> exit 1" 1 "$T_RC"
check "query ping: says nothing is listening" grep -q "nothing is listening at" "$W/deadq.ping"
check "query ping: no hub told in under 5 s" under5
timed "query, no hub" "$W/deadq.cmd" "$BIN/iapt-query" \
    --endpoint "tcp://127.0.0.1:$DEAD_PORT" --key "$W/keys/ANALYST.secret" \
    --hub-public "$W/keys/HUB.pub" checkpoint
check "a query to no hub says so in under 5 s (not a 30 s timeout)" \
    bash -c "grep -q 'nothing is listening' '$W/deadq.cmd' && [ $T_MS -lt 5000 ] && [ $T_RC = 2 ]"

# --- fault 2: a key the hub does not know ------------------------------------------------------
"$BIN/iapt-keygen" --org P77 --role provider --out "$W/stranger" >/dev/null 2>&1
"$BIN/iapt-keygen" --org ANALYST2 --role analyst --out "$W/stranger" >/dev/null 2>&1
node_config P77
sed -i "s|^identity.*|identity = ../../stranger/P77.secret|" "$W/nodes/P77/node.conf"
extract_for P77
node P77 submit --extract "$W/ex/P77/$PERIOD" --period $PERIOD --no-send >/dev/null 2>&1
timed "node ping, unregistered" "$W/unreg.ping" node P77 ping
check_eq "node ping: unregistered key -> exit 1" 1 "$T_RC"
check "node ping: the connection itself is ok" grep -q "^ok   connection" "$W/unreg.ping"
check "node ping: says the key is not registered, and what to do" \
    grep -q "FAIL registered: .*this key is not registered or was revoked: send the registry line (iapt-keygen prints it) to the central team" \
    "$W/unreg.ping"
check "node ping: unregistered told in under 5 s" under5
timed "node send, unregistered" "$W/unreg.send" node P77 send --deadline 60
check_eq "node send: unregistered key -> exit 1 at once (waiting will not help)" 1 "$T_RC"
check "node send: says the key is not registered" \
    grep -q "not registered or was revoked" "$W/unreg.send"
check "node send: unregistered told in under 5 s" under5
check "the unregistered node's submission stays pending" \
    bash -c "node_status=\$(cd '$W/nodes/P77' && '$BIN/iapt-node' status --config node.conf); echo \"\$node_status\" | grep -q pending"
timed "query ping, unregistered" "$W/unregq.ping" "$BIN/iapt-query" \
    --endpoint "tcp://127.0.0.1:$QUERY_PORT" --key "$W/stranger/ANALYST2.secret" \
    --hub-public "$W/keys/HUB.pub" ping
check_eq "query ping: unregistered key -> exit 1" 1 "$T_RC"
check "query ping: says the key is not registered" \
    grep -q "not registered or was revoked" "$W/unregq.ping"
check "query ping: unregistered told in under 5 s" under5
timed "query, unregistered" "$W/unregq.cmd" "$BIN/iapt-query" \
    --endpoint "tcp://127.0.0.1:$QUERY_PORT" --key "$W/stranger/ANALYST2.secret" \
    --hub-public "$W/keys/HUB.pub" checkpoint
check "a query with an unregistered key says so in under 5 s, exit 1" \
    bash -c "grep -q 'not registered or was revoked' '$W/unregq.cmd' && [ $T_MS -lt 5000 ] && [ $T_RC = 1 ]"

# --- fault 3: hub-public is not the hub's key ----------------------------------------------------
"$BIN/iapt-keygen" --org HUB --role hub --out "$W/otherhub" >/dev/null 2>&1
cp -r "$W/nodes/P01" "$W/nodes/P01wrong"
sed -i "s|^hub-public.*|hub-public = ../../otherhub/HUB.pub|" "$W/nodes/P01wrong/node.conf"
timed "node ping, wrong hub key" "$W/wrong.ping" node_in "$W/nodes/P01wrong" ping
check_eq "node ping: wrong hub-public -> exit 1" 1 "$T_RC"
check "node ping: says the hub does not have the configured key, and what to do" \
    grep -q "FAIL registered: the hub at tcp://127.0.0.1:$SUBMIT_PORT does not have the key in ../../otherhub/HUB.pub.*get the hub's current public key" \
    "$W/wrong.ping"
check "node ping: wrong hub key told in under 5 s" under5
timed "node send, wrong hub key" "$W/wrong.send" node_in "$W/nodes/P01wrong" send --deadline 60
check_eq "node send: wrong hub-public -> exit 1 at once" 1 "$T_RC"
check "node send: says the hub does not have the configured key" \
    grep -q "does not have the key in ../../otherhub/HUB.pub" "$W/wrong.send"
check "node send: wrong hub key told in under 5 s" under5
timed "query ping, wrong hub key" "$W/wrongq.ping" "$BIN/iapt-query" \
    --endpoint "tcp://127.0.0.1:$QUERY_PORT" --key "$W/keys/ANALYST.secret" \
    --hub-public "$W/otherhub/HUB.pub" ping
check_eq "query ping: wrong hub-public -> exit 1" 1 "$T_RC"
check "query ping: says the hub does not have the configured key" \
    grep -q "does not have the key in" "$W/wrongq.ping"
check "query ping: wrong hub key told in under 5 s" under5

# --- configuration errors are 2 -----------------------------------------------------------------
cp -r "$W/nodes/P02" "$W/nodes/P02bad"
chmod 0644 "$W/keys/P02.secret"
timed "node ping, world-readable secret" "$W/perm.ping" node_in "$W/nodes/P02bad" ping
chmod 0600 "$W/keys/P02.secret"
check_eq "node ping: a world-readable secret key is a configuration error (exit 2)" 2 "$T_RC"
check "node ping: names the key file and the fix" grep -q "FAIL key: .*P02.secret.*0600" "$W/perm.ping"
sed -i "s|^hub-public.*|hub-public = ../../keys/P01.pub|" "$W/nodes/P02bad/node.conf"
timed "node ping, hub-public is a provider's" "$W/notahub.ping" node_in "$W/nodes/P02bad" ping
check_eq "node ping: hub-public holding a provider's key -> exit 2" 2 "$T_RC"
check "node ping: says it is not a hub's key" grep -q "FAIL hub-public: .*not a hub's" "$W/notahub.ping"

# --- a revoked key --------------------------------------------------------------------------
revoked_at=$(date -u -d '1 minute ago' +%Y-%m-%dT%H:%M:%SZ)
sed -i "s/^\(P03,[^,]*,provider,\)active,,/\1revoked,$revoked_at,/" "$W/registry.csv"
kill -HUP "$HUB_PID"
for i in $(seq 1 50); do grep -q "registry reloaded" "$W/hub/hub.log" && break; sleep 0.1; done
timed "node ping, revoked" "$W/revoked.ping" node P03 ping
check_eq "node ping: revoked key -> exit 1" 1 "$T_RC"
check "node ping: says the key is not registered or was revoked" \
    grep -q "FAIL registered: .*not registered or was revoked" "$W/revoked.ping"
check "node ping: revoked told in under 5 s" under5

# --- and the good node still delivers its month ----------------------------------------------
timed "node send, all well" "$W/ok.send" node P01 send --deadline 60
check_eq "the configured node delivers its pending month" 0 "$T_RC"
check "hub still running" kill -0 "$HUB_PID"

finish
