#!/usr/bin/env bash
# Crash recovery: kill -9 the hub mid-transfer, restart it, and the node
# resumes (not restarts) the transfer; kill -9 the node mid-transfer, restart
# it, and the outbox resumes. Either way the submission is stored exactly once.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
synth --providers 1 --months 1 --seed 11 --start $PERIOD --scale 3
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init 2
for org in P01 P02; do
    src=$(sed -n '2p' "$W/synth/providers.csv" | cut -d, -f1)
    mkdir -p "$W/ex/$org"
    cp -r "$W/synth/$src/$PERIOD" "$W/ex/$org/"
    sed -i "2s/^$src,/$org,/; 2s/,$src,/,$org,/" "$W/ex/$org/$PERIOD/IDS000Header.csv"
done
# A corrected re-export for P01's second submission (ten referrals fewer): an
# identical extract would not be sent again (the node's gate).
cp -r "$W/ex/P01/$PERIOD" "$W/ex/P01/$PERIOD.v2"
sed -i '2,11d' "$W/ex/P01/$PERIOD.v2/IDS101Referral.csv"
# Small chunks and a pause between them make "mid-transfer" a wide window.
sed -i 's/^max-message-mb.*//' "$W/hub/hub.conf"
echo "max-message-mb = 1" >>"$W/hub/hub.conf"
for org in P01 P02; do echo "chunk-kb = 64" >>"$W/nodes/$org/node.conf"; done
hub_start

records() { sed -n 's/.*prepared: [^,]*, \([0-9]*\) records.*/\1/p' "$1"; }
log_size() { query AUDITOR checkpoint --format json 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])'; }

# --- the hub dies -------------------------------------------------------------------------
node P01 submit --extract "$W/ex/P01/$PERIOD" --period $PERIOD --no-send >"$W/p01.prep" 2>&1
check "P01 prepared a submission" grep -q prepared "$W/p01.prep"
(cd "$W/nodes/P01" && IAPT_CAPTURE="$W/p01.capture" IAPT_NODE_PACE_MS=150 \
    exec "$BIN/iapt-node" send --config node.conf --deadline 180) >"$W/p01.send" 2>&1 &
NODE=$!
sleep 2.5
hub_kill9
note "hub killed mid-transfer"
sleep 1
hub_start
wait $NODE
check "P01 delivered after the hub came back" test $? = 0
# Resumed, not restarted: every record sent, records sent twice only those
# in flight at the crash (at most the window of 8 chunks), the first chunk once.
read -r opens chunks sent distinct zero < <($PY "$IAPT_ROOT/tests/integration/capture_stats.py" "$W/p01.capture")
note "P01 sent $opens opens, $chunks chunks, $sent records ($distinct distinct)"
check_eq "P01 sent every record" "$(records "$W/p01.prep")" "$distinct"
check "P01 resumed, not restarted (repeats within the in-flight window)" \
    test "$zero" = 1 -a $((sent - distinct)) -lt $((sent / 4))
check_eq "stored exactly once" 1 "$(log_size)"

# --- the node dies ------------------------------------------------------------------------
node P02 submit --extract "$W/ex/P02/$PERIOD" --period $PERIOD --no-send >/dev/null 2>&1
(cd "$W/nodes/P02" && IAPT_NODE_PACE_MS=150 exec "$BIN/iapt-node" send --config node.conf --deadline 180) >"$W/p02.a" 2>&1 &
NODE=$!
sleep 2.5
kill -KILL $NODE
wait $NODE 2>/dev/null
note "node killed mid-transfer"
check "P02 still pending after the crash" \
    bash -c "cd $W/nodes/P02 && $BIN/iapt-node status --config node.conf | grep -q ' pending '"
node P02 send --deadline 180 >"$W/p02.b" 2>&1
check "P02 delivered after restart" test $? = 0
check "P02 resumed, not restarted" grep -q "resuming at record [1-9]" "$W/p02.b"
check_eq "both stored exactly once" 2 "$(log_size)"
# --- an abandoned transfer is forgotten after abandon-days --------------------------------
node P01 submit --extract "$W/ex/P01/$PERIOD.v2" --period $PERIOD --no-send >/dev/null 2>&1
(cd "$W/nodes/P01" && IAPT_NODE_PACE_MS=150 exec "$BIN/iapt-node" send --config node.conf --deadline 180) >"$W/p01.c" 2>&1 &
NODE=$!
sleep 2
kill -KILL $NODE
wait $NODE 2>/dev/null
hub_stop
IAPT_NOW=$(($(date +%s) + 15 * 86400)) hub_start
check "the restarted hub forgot the transfer abandoned 15 days ago" \
    grep -q "forgot 1 transfers abandoned" "$W/hub/hub.log"
node P01 send --deadline 180 >"$W/p01.d" 2>&1
check "P01 delivered it again from the start" test $? = 0
check "...from record 0 (nothing left to resume)" bash -c "! grep -q resuming $W/p01.d"
check_eq "three submissions stored" 3 "$(log_size)"

finish
