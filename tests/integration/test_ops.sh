#!/usr/bin/env bash
# Operations: --version, -h and per-command --help on every program; numeric
# options refused at once (exit 2) instead of hanging; one hub per data-dir;
# a backup taken while the hub serves, restored into a new hub that serves
# the same checkpoint and passes iapt-audit verify-log; a node whose outbox
# was lost resynchronised (from the number the hub's refusal gave, or by
# asking the hub) so its next submission is accepted, not STALE;
# journald priority prefixes when stderr is the journal.
source "$(dirname "$0")/lib.sh"

PERIOD=2025-09
VERSION=$(cat "$IAPT_ROOT/VERSION")

# --- --version, -h, per-command --help --------------------------------------------------
for p in iapt-node iapt-hub iapt-query iapt-audit iapt-keygen iapt-synth; do
    check_eq "$p --version" "$p $VERSION" "$("$BIN/$p" --version 2>&1)"
    check "$p -h prints the usage on stdout, exit 0" \
        bash -c "'$BIN/$p' -h 2>/dev/null | grep -qi usage"
done
for c in check submit send status receipt resync; do
    check "iapt-node $c --help shows that command" \
        bash -c "'$BIN/iapt-node' $c --help | grep -q '^usage: iapt-node $c'"
done
for c in measures targets submissions quality checkpoint; do
    check "iapt-query $c --help shows that command" \
        bash -c "'$BIN/iapt-query' $c --help | grep -q '^  $c'"
done
for c in verify-log verify-submission recompute verify-receipt; do
    check "iapt-audit $c --help shows that command" \
        bash -c "'$BIN/iapt-audit' $c --help | grep -q '^  $c'"
done
check "iapt-query measures --help leaves out the other commands" \
    bash -c "! '$BIN/iapt-query' measures --help | grep -q '^  targets'"

synth --providers 1 --months 1 --seed 5 --start $PERIOD --scale 0.3
world_init 2
for org in P01 P02; do
    src=$(sed -n '2p' "$W/synth/providers.csv" | cut -d, -f1)
    mkdir -p "$W/ex/$org"
    cp -r "$W/synth/$src/$PERIOD" "$W/ex/$org/"
    sed -i "2s/^$src,/$org,/; 2s/,$src,/,$org,/" "$W/ex/$org/$PERIOD/IDS000Header.csv"
done

# --- usage errors exit 2 at once, before any connection ------------------------------
# Nothing listens on the endpoints yet: a hang would be cut by timeout (124).
expect2() {
    local name=$1; shift
    local t0 rc
    t0=$(date +%s%N)
    timeout 10 "$@" >"$W/u.out" 2>"$W/u.err"
    rc=$?
    local ms=$((($(date +%s%N) - t0) / 1000000))
    check_eq "$name: exit 2" 2 "$rc"
    check "$name: within 2 s ($ms ms)" test "$ms" -lt 2000
}
expect2 "iapt-node send --deadline abc" \
    bash -c "cd '$W/nodes/P01' && exec '$BIN/iapt-node' send --config node.conf --deadline abc"
check "the message names the option and the range" \
    grep -q -- "--deadline must be a whole number of seconds between" "$W/u.err"
expect2 "iapt-node submit --deadline 10x" \
    bash -c "cd '$W/nodes/P01' && exec '$BIN/iapt-node' submit --config node.conf --extract '$W/ex/P01/$PERIOD' --period $PERIOD --deadline 10x"
expect2 "iapt-query --timeout-ms abc" "$BIN/iapt-query" --endpoint "tcp://127.0.0.1:$QUERY_PORT" \
    --key "$W/keys/ANALYST.secret" --hub-public "$W/keys/HUB.pub" --timeout-ms abc checkpoint
check "the message names --timeout-ms" grep -q -- "--timeout-ms must be a whole number" "$W/u.err"
expect2 "iapt-audit --timeout-ms abc" "$BIN/iapt-audit" --timeout-ms abc verify-log
expect2 "iapt-audit --jobs x" "$BIN/iapt-audit" --jobs x recompute --period $PERIOD
expect2 "iapt-node receipt --sequence -1" \
    bash -c "cd '$W/nodes/P01' && exec '$BIN/iapt-node' receipt --config node.conf --sequence -1 --out x"
expect2 "iapt-node submit --period 2025-13" \
    bash -c "cd '$W/nodes/P01' && exec '$BIN/iapt-node' submit --config node.conf --extract '$W/ex/P01/$PERIOD' --period 2025-13"
expect2 "iapt-node unknown command" "$BIN/iapt-node" frobnicate
expect2 "iapt-node unknown option" \
    bash -c "cd '$W/nodes/P01' && exec '$BIN/iapt-node' send --config node.conf --bogus"
expect2 "iapt-query unknown command" "$BIN/iapt-query" --endpoint "tcp://127.0.0.1:$QUERY_PORT" \
    --key "$W/keys/ANALYST.secret" --hub-public "$W/keys/HUB.pub" frobnicate
expect2 "iapt-hub unknown command" "$BIN/iapt-hub" --config "$W/hub/hub.conf" frobnicate
expect2 "iapt-synth --months x" "$BIN/iapt-synth" --providers 1 --months x --seed 1 --out "$W/nope"
echo "timeout-ms = soon" >"$W/q.conf"
expect2 "iapt-query: timeout-ms = soon in the config file" "$BIN/iapt-query" --config "$W/q.conf" checkpoint

# --- one hub per data-dir ----------------------------------------------------------------
hub_start
node P01 submit --extract "$W/ex/P01/$PERIOD" --period $PERIOD --deadline 60 >"$W/p01.a" 2>&1
check "P01 delivered its month" test $? = 0
check "the hub logged its version at start" grep -q "iapt-hub $VERSION starting" "$W/hub/hub.log"
check "the manifest's node_version is the product version" \
    bash -c "cd '$W/nodes/P01' && '$BIN/iapt-node' receipt --config node.conf --sequence 1 --out '$W/r1.bundle' >/dev/null && grep -aq 'iapt-node $VERSION' '$W/r1.bundle'"
t0=$(date +%s)
(cd "$W/hub" && timeout 10 "$BIN/iapt-hub" --config hub.conf) >"$W/hub2.out" 2>&1
rc=$?
check_eq "a second hub on the same data-dir exits 2" 2 "$rc"
check "within 3 s" test $(($(date +%s) - t0)) -le 3
check "it names the directory and the pid holding it" \
    grep -q "data-dir .*data is in use by another iapt-hub (pid $HUB_PID)" "$W/hub2.out"
check "the first hub keeps serving" query ANALYST checkpoint

# --- backup while serving, restore -------------------------------------------------------
# P02 delivers slowly (small chunks, paced) while the backup runs.
echo "chunk-kb = 16" >>"$W/nodes/P02/node.conf"
(cd "$W/nodes/P02" && IAPT_NODE_PACE_MS=300 exec "$BIN/iapt-node" submit --config node.conf \
    --extract "$W/ex/P02/$PERIOD" --period $PERIOD --deadline 120) >"$W/p02.a" 2>&1 &
NODE=$!
sleep 1
(cd "$W/hub" && "$BIN/iapt-hub" --config hub.conf backup "$W/backup1") >"$W/backup1.out" 2>&1
check "iapt-hub backup while serving: exit 0" test $? = 0
cat "$W/backup1.out"
check "the backup says what it holds" grep -q "log tree size [0-9]*, root [0-9a-f]\{64\}" "$W/backup1.out"
check "the backup is a directory with data.mdb and BACKUP" test -f "$W/backup1/data.mdb" -a -f "$W/backup1/BACKUP"
check "no .partial left behind" test ! -e "$W/backup1.partial"
check "taken while P02 was still sending (its submission not in it yet)" \
    grep -q "log tree size 1," "$W/backup1.out"
wait $NODE
check "P02 delivered during the backup" test $? = 0
(cd "$W/hub" && "$BIN/iapt-hub" --config hub.conf backup "$W/backup1") >"$W/backup1b.out" 2>&1
check_eq "a backup never overwrites an existing directory (exit 2)" 2 $?
(cd "$W/hub" && "$BIN/iapt-hub" --config hub.conf backup "$W/backup2") >"$W/backup2.out" 2>&1
check "a second backup after P02: exit 0" test $? = 0
size2=$(sed -n 's/.*log tree size \([0-9]*\),.*/\1/p' "$W/backup2.out")
check_eq "the second backup holds both submissions" 2 "$size2"
live_cp=$(query ANALYST checkpoint --format json)
hub_stop

# Restore as docs/OPERATIONS.md says: stopped hub, data-dir aside, backup in.
mv "$W/hub/data" "$W/hub/data.old"
mkdir -m 700 "$W/hub/data"
cp "$W/backup2/data.mdb" "$W/hub/data/"
hub_start
restored_cp=$(query ANALYST checkpoint --format json)
check_eq "the restored hub serves the same checkpoint" "$live_cp" "$restored_cp"
cat >"$W/audit.conf" <<EOC
endpoint = tcp://127.0.0.1:$QUERY_PORT
key = keys/AUDITOR.secret
hub-public = keys/HUB.pub
hub-name = $HUB_NAME
registry = registry.csv
state = audit.state
EOC
"$BIN/iapt-audit" --config "$W/audit.conf" verify-log --full >"$W/audit.out" 2>&1
check "iapt-audit verify-log --full passes on the restored hub" test $? = 0

# --- outbox lost: resync -------------------------------------------------------------------
rm -rf "$W/nodes/P01/outbox"
node P01 submit --extract "$W/ex/P01/$PERIOD" --period $PERIOD --deadline 60 >"$W/p01.b" 2>&1
check_eq "with a fresh outbox the hub refuses sequence 1 as stale (exit 1)" 1 $?
check "the refusal names the hub's latest sequence" grep -q "not above 1, the latest accepted" "$W/p01.b"
# The documented recovery: a fresh outbox, resync to the number the hub gave.
rm -rf "$W/nodes/P01/outbox"
node P01 resync --sequence 1 >"$W/resync.out" 2>&1
check "iapt-node resync --sequence 1: exit 0" test $? = 0
check "it says what the next sequence is" grep -q "next sequence 2 (was 1)" "$W/resync.out"
node P01 submit --extract "$W/ex/P01/$PERIOD" --period $PERIOD --deadline 60 >"$W/p01.d" 2>&1
check "the next submission is accepted" test $? = 0
check "as sequence 2" grep -q "submission 2 prepared" "$W/p01.d"
check "and is not refused as stale" bash -c "! grep -qi stale '$W/p01.d'"
check "the outbox shows it delivered" \
    bash -c "cd '$W/nodes/P01' && '$BIN/iapt-node' status --config node.conf | grep -q '^2 .* delivered '"
# Asking the hub instead: the provider's key reads its own state on the
# query endpoint.
rm -rf "$W/nodes/P01/outbox"
node P01 resync >"$W/resync3.out" 2>&1
check_eq "resync with no number and no query endpoint is a usage error" 2 $?
echo "query-endpoint = tcp://127.0.0.1:$QUERY_PORT" >>"$W/nodes/P01/node.conf"
node P01 resync >"$W/resync3.out" 2>&1
check "iapt-node resync asking the hub: exit 0" test $? = 0
cat "$W/resync3.out"
check "the hub reports sequence 2 as P01's latest" grep -q "latest sequence 2$" "$W/resync3.out"
check "and P01's current submission for $PERIOD" grep -q "^  $PERIOD  sequence 2 " "$W/resync3.out"
check "the outbox continues at 3" grep -q "next sequence 3 (was 1)" "$W/resync3.out"
node P01 submit --extract "$W/ex/P01/$PERIOD" --period $PERIOD --deadline 60 >"$W/p01.e" 2>&1
check "after resync from the hub the next submission is accepted" test $? = 0
check "as sequence 3" grep -q "submission 3 prepared" "$W/p01.e"
(cd "$W/nodes/P01" && timeout 20 "$BIN/iapt-node" resync --config node.conf \
    --endpoint tcp://127.0.0.1:1) >"$W/resync4.out" 2>&1
check "resync against no hub fails with 2, not a hang" test $? = 2
node P01 resync --sequence 1 >"$W/resync2.out" 2>&1
check "resync never lowers the number" grep -q "nothing changed" "$W/resync2.out"
expect2 "iapt-node resync with both --endpoint and --sequence" \
    bash -c "cd '$W/nodes/P01' && exec '$BIN/iapt-node' resync --config node.conf --sequence 3 --endpoint tcp://127.0.0.1:1"

# --- journald priorities ------------------------------------------------------------------
# systemd sets JOURNAL_STREAM to stderr's device:inode; the same for a file.
err="$W/journal.err"
: >"$err"
js=$(stat -c '%d:%i' "$err")
(cd "$W/hub" && JOURNAL_STREAM=$js timeout 10 "$BIN/iapt-hub" --config hub.conf) 2>>"$err" >/dev/null
check "stderr is the journal: lines start with <3> for errors" grep -q "^<3>error: " "$err"
check "and carry no timestamp of their own" bash -c "! grep -q '^[0-9]\{4\}-' '$err'"
: >"$W/plain.err"
(cd "$W/hub" && JOURNAL_STREAM=$js timeout 10 "$BIN/iapt-hub" --config hub.conf) 2>>"$W/plain.err" >/dev/null
check "another file as stderr: no prefixes" bash -c "! grep -q '^<[0-9]>' '$W/plain.err' && grep -q ' error: ' '$W/plain.err'"
check "info lines carry <6> under the journal" \
    bash -c "cd '$W/nodes/P02' && : >'$W/j2.err' && JOURNAL_STREAM=\$(stat -c %d:%i '$W/j2.err') '$BIN/iapt-node' send --config node.conf --deadline 30 2>>'$W/j2.err' >/dev/null; grep -q '^<6>info: iapt-node $VERSION' '$W/j2.err'"

finish
