#!/usr/bin/env bash
# The operator's flow for a new provider: provision its node with
# deploy/provision-provider.sh, add the printed line to the registry, reload
# the hub with SIGHUP, and the new node submits; before the reload it cannot.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
synth --providers 2 --months 1 --seed 31 --start $PERIOD --scale 0.1
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init 1
hub_start
new=$(sed -n '3p' "$W/synth/providers.csv" | cut -d, -f1)
IAPT_BIN="$BIN" bash "$IAPT_ROOT/deploy/provision-provider.sh" --org "$new" --name "New Service" \
    --hub-public "$W/keys/HUB.pub" --hub-endpoint "tcp://127.0.0.1:$SUBMIT_PORT" \
    --hub-name "$HUB_NAME" --pseudo-key "$W/keys/pseudo.key" --out "$W/new" \
    >"$W/line" 2>"$W/provision.log"
check "provisioning succeeded" test $? = 0
check "the registry line names the provider" grep -q "^$new,New Service,provider,active,," "$W/line"
check "its secret key is private (0600)" test "$(stat -c %a "$W/new/keys/$new.secret")" = 600
check "its pseudonymisation key copy is private (0600)" \
    test "$(stat -c %a "$W/new/keys/pseudo.key")" = 600
echo "reply-timeout-ms = 1000" >>"$W/new/node.conf"
newnode() { (cd "$W/new" && "$BIN/iapt-node" "$@" --config node.conf); }
newnode submit --extract "$W/synth/$new/$PERIOD" --period $PERIOD --deadline 4 >"$W/a.log" 2>&1
check_eq "before the hub knows the key: refused at once, still pending (exit 1)" 1 $?
check "it says the key is not registered and what to do" \
    grep -q "still pending: .*this key is not registered or was revoked: send the registry line" \
    "$W/a.log"
cat "$W/line" >>"$W/registry.csv"
kill -HUP "$HUB_PID"
for i in $(seq 1 50); do grep -q "registry reloaded" "$W/hub/hub.log" && break; sleep 0.1; done
newnode send --deadline 60 >"$W/b.log" 2>&1
check "after the reload the new provider delivers" test $? = 0
check "provisioning refuses to overwrite a node" \
    bash -c "! IAPT_BIN=$BIN bash $IAPT_ROOT/deploy/provision-provider.sh --org $new --name x \
        --hub-public $W/keys/HUB.pub --hub-endpoint x --hub-name x --pseudo-key $W/keys/pseudo.key \
        --out $W/new 2>/dev/null"

finish
