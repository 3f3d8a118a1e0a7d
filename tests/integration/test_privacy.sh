#!/usr/bin/env bash
# Nothing identifying leaves a provider: every byte two real nodes send to the
# hub (captured at the node) is searched for each identifier, postcode, birth
# date and calendar date of their extracts, as text and as binary integers.
# The same patient keeps the same pseudonym across providers and months.
# Workforce extracts of the same providers: every StaffId, SupervisorStaffId,
# SupervisionId and date searched in every byte the node sends (captured) and
# in every byte of its outbox (the LMDB file, free pages included).
# The CYP collection likewise: every id, postcode, NHS number and date of two
# CYP months searched in every byte sent and in the whole outbox file.
source "$(dirname "$0")/lib.sh"

synth --providers 2 --months 2 --seed 5 --start 2025-08 --scale 0.1 --shared-patients 0.3
cp "$W/synth/geography.csv" "$W/synth/imd.csv" "$W/"
world_init_synth
echo "cyp-tools = $IAPT_ROOT/data/cyp-assessment-tools.csv" >>"$W/hub/hub.conf"
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

# --- the workforce collection: what the node sends and stores -------------------------
# (Its own outbox, so every stored record is a WfRecord.)
"$BIN/iapt-synth" --out "$W/wf" --collection WORKFORCE --providers 2 --months 2 --seed 5 \
    --start 2025-08 --error-rate 0.02 2>>"$W/synth.log"
for org in "${PROVIDERS[@]}"; do
    sed "s/^outbox = .*/outbox = outbox-wf/" "$W/nodes/$org/node.conf" >"$W/nodes/$org/node-wf.conf"
    for p in 2025-08 2025-09; do
        (cd "$W/nodes/$org" && IAPT_CAPTURE="$W/capture-wf.bin" "$BIN/iapt-node" submit \
            --config node-wf.conf --collection WORKFORCE --extract "$W/wf/$org/$p" --period $p \
            --deadline 120) >>"$W/submit-wf.log" 2>&1
        check "$org workforce $p delivered" test $? = 0
    done
    wscan() { $PY "$IAPT_ROOT/tests/integration/privacy_scan.py" --outbox "$1" "$W/wf/$org"/2025-0?; }
    check "$org: no staff id, supervision id or date of its workforce extracts in its outbox" \
        wscan "$W/nodes/$org/outbox-wf"
    tail -n 1 "$W/check.log" | sed 's/^/     /'
done
wrecords=0
for org in "${PROVIDERS[@]}"; do
    n=$( (cd "$W/nodes/$org" && "$BIN/iapt-node" status --config node-wf.conf --json) |
        $PY -c 'import json,sys; print(sum(e["records"] for e in json.load(sys.stdin)))')
    wrecords=$((wrecords + n))
done
wcap() { $PY "$IAPT_ROOT/tests/integration/privacy_scan.py" "$1" "$W"/wf/*/2025-0?; }
wcap "$W/capture-wf.bin" >"$W/wcap.out" 2>&1
check "no staff id, supervision id or date of the workforce extracts in what the nodes sent" \
    test $? = 0
tail -n 1 "$W/wcap.out" | sed 's/^/     /'
check "the workforce capture holds every record sent ($wrecords)" \
    grep -q " $wrecords records" "$W/wcap.out"
check "there are workforce records" test "$wrecords" -gt 0
sid0=$(tail -n +2 "$W/wf/${PROVIDERS[0]}/2025-09/WF001Staff.csv" | cut -d, -f1 | head -n 1)
cp "$W/capture-wf.bin" "$W/planted-wf.bin"
$PY -c 'import struct,sys; b=sys.argv[2].encode(); open(sys.argv[1],"ab").write(struct.pack(">I",len(b))+b)' \
    "$W/planted-wf.bin" "$sid0" 2>/dev/null
wcfinds() { ! wcap "$1"; }
check "the scan finds a StaffId planted in the capture" wcfinds "$W/planted-wf.bin"
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
# ---- CYP: what the node sends and stores ----
"$BIN/iapt-synth" --collection CYP --providers 2 --months 2 --seed 5 --start 2025-08 --scale 0.1 \
    --cyp-tools "$IAPT_ROOT/data/cyp-assessment-tools.csv" --out "$W/cyp" 2>>"$W/synth.log"
records=0
for org in "${PROVIDERS[@]}"; do
    { grep -v '^outbox' "$W/nodes/$org/node.conf"; echo "outbox = outbox-cyp"
      echo "cyp-tools = $IAPT_ROOT/data/cyp-assessment-tools.csv"; } >"$W/nodes/$org/cyp.conf"
    for p in 2025-08 2025-09; do
        (cd "$W/nodes/$org" && IAPT_CAPTURE="$W/capture-cyp.bin" "$BIN/iapt-node" submit \
            --config cyp.conf --collection CYP --extract "$W/cyp/$org/$p" --period $p \
            --deadline 120) >>"$W/submit-cyp.log" 2>&1
        check "$org: CYP $p delivered" test $? = 0
    done
    n=$( (cd "$W/nodes/$org" && "$BIN/iapt-node" status --config cyp.conf --json) |
        $PY -c 'import json,sys; print(sum(e["records"] for e in json.load(sys.stdin)))')
    records=$((records + n))
done
cdirs=("$W"/cyp/*/2025-0?)
ccap() { $PY "$IAPT_ROOT/tests/integration/privacy_scan.py" "$1" "${cdirs[@]}"; }
ccap "$W/capture-cyp.bin" >"$W/ccap.out" 2>&1
check "CYP: no id, postcode, NHS number or date of the extracts in what the nodes sent" test $? = 0
tail -n 1 "$W/ccap.out" | sed 's/^/     /'
check "CYP: the capture holds every record sent ($records)" \
    grep -q " $records records" "$W/ccap.out"
cscan() { # OUTBOX...: scan each, print the records found in all
    local total=0 ob out
    for ob in "$@"; do
        out=$($PY "$IAPT_ROOT/tests/integration/privacy_scan.py" --outbox "$ob" \
            --record iapt.CypReferralRecord "${cdirs[@]}") || { echo "$out"; return 1; }
        total=$((total + $(sed -n 's/^[0-9]* messages, \([0-9]*\) records.*/\1/p' <<<"$out")))
    done
    echo "$total records"
}
outboxes=()
for org in "${PROVIDERS[@]}"; do outboxes+=("$W/nodes/$org/outbox-cyp"); done
cscan "${outboxes[@]}" >"$W/cscan.out" 2>&1
check "CYP: no id, postcode, NHS number or date of the extracts in any outbox" test $? = 0
check_eq "CYP: the scan decoded every record the outboxes hold" "$records records" \
    "$(tail -n 1 "$W/cscan.out")"
check "CYP: there are records to scan" test "$records" -gt 0
cnhs=$(tail -n +2 "$W/cyp/${PROVIDERS[0]}/2025-09/CYP001MPI.csv" | cut -d, -f2 | grep -E '^[0-9]{10}$' | head -n 1)
cp -r "${outboxes[0]}" "$W/planted-ob"
printf '%s' "$cnhs" >>"$W/planted-ob/data.mdb"
check "CYP: the scan finds an NHS number planted in an outbox" \
    bash -c '! "$0" "$1" --outbox "$2" --record iapt.CypReferralRecord "${@:3}" >/dev/null' \
    "$PY" "$IAPT_ROOT/tests/integration/privacy_scan.py" "$W/planted-ob" "${cdirs[@]}"

finish
