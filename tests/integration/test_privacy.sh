#!/usr/bin/env bash
# Nothing identifying leaves a provider: every byte two real nodes send to the
# hub (captured at the node) is searched for each identifier, postcode, birth
# date and calendar date of their extracts, as text and as binary integers.
# The same patient keeps the same pseudonym across providers and months.
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

finish
