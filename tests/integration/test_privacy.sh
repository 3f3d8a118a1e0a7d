#!/usr/bin/env bash
# Nothing identifying leaves a provider: every byte two real nodes send to the
# hub (captured at the node) is searched for each identifier, postcode, birth
# date and calendar date of their extracts, as text and as binary integers.
# The same patient keeps the same pseudonym across providers and months.
# Workforce extracts of the same providers: every StaffId, SupervisorStaffId,
# SupervisionId and date searched in every byte the node stores to send
# (the outbox, written by submit --no-send).
source "$(dirname "$0")/lib.sh"

synth --providers 2 --months 2 --seed 5 --start 2025-08 --scale 0.1 --shared-patients 0.3
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init_synth
hub_start
for org in "${PROVIDERS[@]}"; do
    for p in 2025-08 2025-09; do
        (cd "$W/nodes/$org" && IAPT_CAPTURE="$W/capture.bin" "$BIN/iapt-node" submit \
            --config node.conf --extract "$W/synth/$org/$p" --period $p --deadline 120) \
            >>"$W/submit.log" 2>&1
        check "$org delivered $p" test $? = 0
    done
done
dirs=("$W"/synth/*/2025-0?)
scan() { $PY "$IAPT_ROOT/tests/integration/privacy_scan.py" "$1" "${dirs[@]}"; }
check "no identifier, postcode or date of the input in what the nodes sent" scan "$W/capture.bin"
tail -n 1 "$W/check.log" | sed 's/^/     /'

# The scan itself must be able to find things: plant an NHS number.
nhs=$(tail -n +2 "$W/synth/${PROVIDERS[0]}/2025-09/IDS001MPI.csv" | cut -d, -f2 | grep -E '^[0-9]{10}$' | head -n 1)
cp "$W/capture.bin" "$W/planted.bin"
$PY -c 'import struct,sys; b=sys.argv[2].encode(); open(sys.argv[1],"ab").write(struct.pack(">I",len(b))+b)' \
    "$W/planted.bin" "$nhs" 2>/dev/null
finds() { ! scan "$1"; }
check "the scan finds a planted NHS number" finds "$W/planted.bin"

# --- the workforce collection: what the node stores to send ---------------------------
# (Its own outbox, so every stored record is a WfRecord. When the hub takes
# the collection, the months can be sent and the capture scanned as above.)
"$BIN/iapt-synth" --out "$W/wf" --collection WORKFORCE --providers 2 --months 2 --seed 5 \
    --start 2025-08 --error-rate 0.02 2>>"$W/synth.log"
for org in "${PROVIDERS[@]}"; do
    sed "s/^outbox = .*/outbox = outbox-wf/" "$W/nodes/$org/node.conf" >"$W/nodes/$org/node-wf.conf"
    for p in 2025-08 2025-09; do
        (cd "$W/nodes/$org" && "$BIN/iapt-node" submit --config node-wf.conf --collection WORKFORCE \
            --extract "$W/wf/$org/$p" --period $p --no-send) >>"$W/submit-wf.log" 2>&1
        check "$org workforce $p stored to send" test $? = 0
    done
    wscan() { $PY "$IAPT_ROOT/tests/integration/privacy_scan.py" --outbox "$1" "$W/wf/$org"/2025-0?; }
    check "$org: no staff id, supervision id or date of its workforce extracts in its outbox" \
        wscan "$W/nodes/$org/outbox-wf"
    tail -n 1 "$W/check.log" | sed 's/^/     /'
done
org=${PROVIDERS[0]}
wscan() { $PY "$IAPT_ROOT/tests/integration/privacy_scan.py" --outbox "$1" "$W/wf/$org"/2025-0?; }
cp -r "$W/nodes/$org/outbox-wf" "$W/planted-wf"
sid=$(tail -n +2 "$W/wf/$org/2025-09/WF001Staff.csv" | cut -d, -f1 | head -n 1)
printf '%s' "$sid" >>"$W/planted-wf/data.mdb"
wfinds() { ! wscan "$1"; }
check "the scan finds a planted StaffId" wfinds "$W/planted-wf"
cp -r "$W/nodes/$org/outbox-wf" "$W/planted-wf2"
sup=$(tail -n +2 "$W/wf/$org/2025-09/WF002Supervision.csv" | cut -d, -f3 | grep . | head -n 1)
printf '%s' "$sup" >>"$W/planted-wf2/data.mdb"
check "the scan finds a planted session SupervisorStaffId" wfinds "$W/planted-wf2"
cp -r "$W/nodes/$org/outbox-wf" "$W/planted-wf3"
day=$(tail -n +2 "$W/wf/$org/2025-09/WF001Staff.csv" | cut -d, -f5 | head -n 1)
printf '%s' "$day" >>"$W/planted-wf3/data.mdb"
check "the scan finds a planted PostStartDate" wfinds "$W/planted-wf3"

finish
