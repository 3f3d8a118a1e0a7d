#!/usr/bin/env bash
# The hub's resource bounds, against a hostile client (hubclient.py) with
# real processes:
#  - a provider flooding 4 MB chunks as fast as it can (at most 200 messages
#    or 20 s, over 4 connections) is refused REFUSE_BUSY once the hub holds
#    max-queued-mb of messages, keeps its connections, and the hub's peak
#    RSS stays under a bound derived from the cap (below), while another
#    node delivers a normal month meanwhile;
#  - wrong wire and manifest versions are answered REFUSE_VERSION, naming the
#    supported version;
#  - a resumed transfer counts against max-transfers;
#  - abandoned transfers are forgotten periodically while the hub runs.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
synth --providers 1 --months 1 --seed 5 --start $PERIOD --scale 0.2
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init 3
src=$(sed -n 2p "$W/synth/providers.csv" | cut -d, -f1)
mkdir -p "$W/ex/P01"
cp -r "$W/synth/$src/$PERIOD" "$W/ex/P01/"
sed -i "2s/^$src,/P01,/; 2s/,$src,/,P01,/" "$W/ex/P01/$PERIOD/IDS000Header.csv"
# Room in the store for what the flood writes, without growing the map.
sed "s/^map-size-mb.*/map-size-mb = 1024/" "$W/hub/hub.conf" >"$W/hub/hub.conf.base"
# hub_conf LINES...: the base configuration plus these settings.
hub_conf() {
    cp "$W/hub/hub.conf.base" "$W/hub/hub.conf"
    printf '%s\n' "$@" >>"$W/hub/hub.conf"
}
hc() { $PY "$IAPT_ROOT/tests/integration/hubclient.py" "$@" --endpoint "tcp://127.0.0.1:$SUBMIT_PORT" --hub-public "$W/keys/HUB.pub"; }
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$HUB_PID/status"; }

# --- configuration ------------------------------------------------------------------------
hub_conf "max-message-mb = 4" "max-queued-mb = 6"
(cd "$W/hub" && "$BIN/iapt-hub" --config hub.conf --check) >"$W/check.out" 2>&1
check_eq "max-queued-mb below twice max-message-mb is a configuration error (exit 2)" 2 $?
check "the error names both settings" grep -q "max-queued-mb = 6 is below twice max-message-mb" "$W/check.out"
hub_conf "abandon-days = soon"
(cd "$W/hub" && "$BIN/iapt-hub" --config hub.conf --check) >"$W/check.out" 2>&1
check_eq "abandon-days must be a number" 2 $?
hub_conf "expire-interval-s = 0"
(cd "$W/hub" && "$BIN/iapt-hub" --config hub.conf --check) >"$W/check.out" 2>&1
check_eq "expire-interval-s must be at least 1" 2 $?

# --- flood ----------------------------------------------------------------------------------
# The cap: max-queued-mb = 8 (the least allowed: twice the largest message)
# with 4 MB messages. The flooder opens a real transfer and sends its 4 MB
# chunks as fast as the socket takes them, without waiting for credit, and
# 4 MB chunks of nothing over three more connections; the hub is stalled for
# two seconds meanwhile (SIGSTOP, as behind a slow disk), so the flood is
# waiting when it looks again. What the hub may hold for this: its batch
# (half the cap raw, 4 MB: a second large message in one batch is refused
# BUSY), their decoded copies (4 MB), the write transaction's dirty pages
# (4 MB), and libzmq's queue per connection (max(2, 8 / (4 x 4)) = 2
# messages, plus the one being read: 3 x 4 MB = 12 MB, 48 MB for four).
# Bound on the peak RSS: the RSS before + 12 + 48 MB, with half as much
# again for the allocator: before + 90 MB. Without these bounds a flood of
# real chunks on one connection took the hub from 6 MB to 630 MB (libzmq
# queued up to 1000 messages a connection, and a batch took 32 MB).
MB=4
CAP=8
CONNS=4
BOUND_KB=$(( (3 * (3 * CAP / 2 + CONNS * 3 * MB) / 2) * 1024 ))
hub_conf "max-message-mb = $MB" "max-queued-mb = $CAP"
hub_start || { echo "hub did not start"; cat "$W/hub/hub.log"; }
check "hc versions: wrong wire and manifest versions refused REFUSE_VERSION" \
    hc versions --key "$W/keys/P03.secret" --sequence 5
node P01 submit --extract "$W/ex/P01/$PERIOD" --period $PERIOD --no-send >/dev/null 2>&1
RSS0=$(kb VmRSS)
note "hub RSS before the flood: $RSS0 kB"
hc flood --key "$W/keys/P02.secret" --max-message $((MB << 20)) --count 200 --seconds 20 --connections $CONNS --real --sndhwm 1000 \
    >"$W/flood.log" 2>&1 &
FLOOD=$!
for i in $(seq 1 100); do grep -q "^flood: .* connections" "$W/flood.log" && break; sleep 0.1; done
kill -STOP "$HUB_PID"
sleep 2
kill -CONT "$HUB_PID"
IAPT_NODE_PACE_MS=20 node P01 send --deadline 120 >"$W/p01.log" 2>&1
P01_RC=$?
wait $FLOOD
FLOOD_RC=$?
cat "$W/flood.log" | sed 's/^/# /'
HWM=$(kb VmHWM)
note "hub peak RSS (VmHWM) with the cap: $HWM kB (bound $((RSS0 + BOUND_KB)) kB)"
check_eq "the flooder was refused REFUSE_BUSY and its connection kept" 0 "$FLOOD_RC"
check_eq "the other node delivered its month during the flood" 0 "$P01_RC"
# AddressSanitizer keeps freed memory in quarantine (256 MB) and adds shadow
# memory: RSS says nothing about the hub there, so the bound is not checked.
if ldd "$BIN/iapt-hub" 2>/dev/null | grep -q libasan; then
    note "built with AddressSanitizer: the RSS bound is not checked"
else
    check "the hub's peak RSS stayed under before + 1.5 x (1.5 x cap + libzmq's queue)" \
        test "$HWM" -lt $((RSS0 + BOUND_KB))
fi
check "the hub still answers" hc versions --key "$W/keys/P03.secret" --sequence 6
hub_stop

# --- a resumed transfer counts against max-transfers ----------------------------------------
hub_conf "max-transfers = 2"
hub_start
check "transfer A opened" hc open --key "$W/keys/P03.secret" --sequence 100 --period 2025-08
check "transfer B opened (two allowed)" hc open --key "$W/keys/P03.secret" --sequence 101 --period 2025-08
hub_stop
hub_conf "max-transfers = 1"
hub_start
check "after a restart, resuming A is accepted (the only one open)" \
    hc open --key "$W/keys/P03.secret" --sequence 100 --period 2025-08
check "resuming B as well is refused REFUSE_BUSY (max-transfers = 1)" \
    hc open --key "$W/keys/P03.secret" --sequence 101 --period 2025-08 --expect REFUSE_BUSY
check "a new transfer is refused REFUSE_BUSY too" \
    hc open --key "$W/keys/P03.secret" --sequence 102 --period 2025-08 --expect REFUSE_BUSY
hub_stop

# --- abandoned transfers expire while the hub runs ------------------------------------------
# 0.00005 days is 4.3 s (the hub counts whole seconds: 4); it looks every second.
hub_conf "abandon-days = 0.00005" "expire-interval-s = 1" "max-transfers = 4"
sleep 5 # A, B and the flooder's are older than that now: forgotten at start-up
hub_start
check "at start-up the old transfers (A, B and the flooder's) were forgotten" \
    grep -q "forgot 3 transfers abandoned" "$W/hub/hub.log"
# shows FILE PATTERN: the file (into the check log) and whether it holds PATTERN.
shows() { cat "$1"; grep -q "$2" "$1"; }
hc open --key "$W/keys/P03.secret" --sequence 200 --period 2025-08 --chunks 2 >"$W/c1.log" 2>&1
check "transfer C holds two records" shows "$W/c1.log" "chunk 1: credit next_index 2"
hc open --key "$W/keys/P03.secret" --sequence 200 --period 2025-08 >"$W/c2.log" 2>&1
check "resumed at once, C resumes at record 2" shows "$W/c2.log" "accept next_index 2"
for i in $(seq 1 150); do grep -q "forgot 1 transfers" "$W/hub/hub.log" && break; sleep 0.1; done
check "while running, the hub forgot C once it was abandoned" \
    grep -q "forgot 1 transfers abandoned" "$W/hub/hub.log"
hc open --key "$W/keys/P03.secret" --sequence 200 --period 2025-08 >"$W/c3.log" 2>&1
check "C opened again starts from record 0" shows "$W/c3.log" "accept next_index 0"

finish
