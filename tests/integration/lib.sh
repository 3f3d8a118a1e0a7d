# Shared by the integration tests: a world of keys, registry, geography and
# configuration files in a temporary directory, a hub and nodes on loopback,
# and checks that count toward the "N passed, N failed" line.
#
#   source "$(dirname "$0")/lib.sh"
#   world_init 3            # hub + providers P01..P03, analyst, auditor
#   hub_start               # waits until both endpoints answer
#   check "name" command... # passes when the command exits 0
#   finish                  # prints the result line, stops processes, cleans up
#
# Everything binds to 127.0.0.1 on free ports; every wait is bounded.
set -u
: "${IAPT_BUILD:?run through tests/run-tests.sh or set IAPT_BUILD}"
: "${IAPT_ROOT:?}"
BIN="$IAPT_BUILD/bin"
PY=/usr/bin/python3
T_PASS=0
T_FAIL=0
W=$(mktemp -d "${TMPDIR:-/tmp}/iapt-it-XXXXXX")
HUB_PID=""
export IAPT_DESC="$IAPT_BUILD/gen/iapt.desc"

note() { printf '# %s\n' "$*"; }

check() {
    local name=$1; shift
    if "$@" >>"$W/check.log" 2>&1; then
        T_PASS=$((T_PASS + 1)); printf 'ok   %s\n' "$name"
    else
        T_FAIL=$((T_FAIL + 1)); printf 'FAIL %s\n' "$name"
        tail -n 20 "$W/check.log" | sed 's/^/     | /'
    fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
    if [ "$2" = "$3" ]; then
        T_PASS=$((T_PASS + 1)); printf 'ok   %s\n' "$1"
    else
        T_FAIL=$((T_FAIL + 1)); printf 'FAIL %s: expected [%s], got [%s]\n' "$1" "$2" "$3"
    fi
}

# reexport SRC N: a corrected re-export of the extract in SRC (referral lines
# 20N-18..20N+1 left out), made once as SRC.vN; prints its path. Two
# re-exports with different N are never identical, so the node's gate sends
# each (an identical extract is not sent again).
reexport() {
    local v="$1.v$2"
    if [ ! -d "$v" ]; then
        cp -r "$1" "$v"
        sed -i "$((20 * $2 - 18)),$((20 * $2 + 1))d" "$v/IDS101Referral.csv"
    fi
    printf '%s\n' "$v"
}

free_port() {
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# world_init N: keys for a hub, providers P01..PNN, an analyst and an auditor;
# registry, pseudonymisation key, hub and node configuration files.
# world_init_synth: the same with the providers of $W/synth/providers.csv.
world_init() {
    local n=$1 i
    _world_keys
    PROVIDERS=()
    for i in $(seq 1 "$n"); do
        _world_provider "$(printf 'P%02d' "$i")" "Provider $i NHS Trust"
    done
    _world_rest
}

world_init_synth() {
    local code name
    _world_keys
    PROVIDERS=()
    while IFS= read -r line; do
        code=${line%%,*}
        name=${line#*,}
        name=${name#\"}; name=${name%\"}
        _world_provider "$code" "$name"
    done < <(tail -n +2 "$W/synth/providers.csv")
    _world_rest
}

_world_keys() {
    mkdir -p "$W/keys" "$W/hub" "$W/nodes"
    "$BIN/iapt-keygen" --org HUB --role hub --out "$W/keys" >/dev/null 2>&1
    echo "org_code,name,role,status,revoked_at,sign_public,curve_public" >"$W/registry.csv"
}

_world_provider() {
    PROVIDERS+=("$1")
    "$BIN/iapt-keygen" --org "$1" --role provider --name "$2" --out "$W/keys" 2>/dev/null \
        >>"$W/registry.csv"
}

_world_rest() {
    local org
    "$BIN/iapt-keygen" --org ANALYST --role analyst --name "Central analysts" --out "$W/keys" \
        2>/dev/null >>"$W/registry.csv"
    "$BIN/iapt-keygen" --org AUDITOR --role auditor --name "Independent auditor" --out "$W/keys" \
        2>/dev/null >>"$W/registry.csv"
    "$BIN/iapt-keygen" --pseudo-key "$W/keys/pseudo.key" >/dev/null
    SUBMIT_PORT=$(free_port)
    QUERY_PORT=$(free_port)
    while [ "$QUERY_PORT" = "$SUBMIT_PORT" ]; do QUERY_PORT=$(free_port); done
    HUB_NAME="iapt-hub.test/log"
    cat >"$W/hub/hub.conf" <<EOC
name = $HUB_NAME
identity = ../keys/HUB.secret
registry = ../registry.csv
data-dir = data
submit-endpoint = tcp://127.0.0.1:$SUBMIT_PORT
query-endpoint = tcp://127.0.0.1:$QUERY_PORT
map-size-mb = 64
EOC
    [ -f "$W/geography.csv" ] && echo "geography = ../geography.csv" >>"$W/hub/hub.conf"
    for org in "${PROVIDERS[@]}"; do node_config "$org"; done
}

# node_config ORG [EXTRA LINES]: (re)write the node configuration of ORG.
node_config() {
    local org=$1
    mkdir -p "$W/nodes/$org"
    cat >"$W/nodes/$org/node.conf" <<EOC
org = $org
identity = ../../keys/$org.secret
hub-public = ../../keys/HUB.pub
hub-endpoint = tcp://127.0.0.1:$SUBMIT_PORT
hub-name = $HUB_NAME
pseudo-key = ../../keys/pseudo.key
outbox = outbox
reply-timeout-ms = 3000
EOC
    [ -f "$W/imd.csv" ] && echo "imd-lookup = ../../imd.csv" >>"$W/nodes/$org/node.conf"
    return 0
}

# Wait until a TCP port accepts connections (bounded).
wait_port() {
    local port=$1 i
    for i in $(seq 1 100); do
        if $PY -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

hub_start() {
    (cd "$W/hub" && exec "$BIN/iapt-hub" --config hub.conf >>"$W/hub/hub.log" 2>&1) &
    HUB_PID=$!
    wait_port "$SUBMIT_PORT" && wait_port "$QUERY_PORT"
}

# Stop the hub with SIGTERM; it must exit 0 within 10 s (under SANITIZE=1 a
# leak or undefined behaviour makes the exit status non-zero). Every unclean
# stop is counted and reported by finish.
HUB_BAD_EXITS=0
hub_stop() {
    [ -n "$HUB_PID" ] || return 0
    kill -TERM "$HUB_PID" 2>/dev/null
    local i rc
    for i in $(seq 1 100); do
        kill -0 "$HUB_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$HUB_PID" 2>/dev/null
    wait "$HUB_PID" 2>/dev/null
    rc=$?
    if [ $rc -ne 0 ]; then
        HUB_BAD_EXITS=$((HUB_BAD_EXITS + 1))
        echo "hub exited with status $rc" >>"$W/check.log"
    fi
    HUB_PID=""
}

hub_kill9() {
    kill -KILL "$HUB_PID" 2>/dev/null
    wait "$HUB_PID" 2>/dev/null
    HUB_PID=""
}

# node ORG COMMAND ARGS...: run iapt-node for ORG with its configuration.
node() {
    local org=$1 cmd=$2; shift 2
    (cd "$W/nodes/$org" && "$BIN/iapt-node" "$cmd" --config node.conf "$@")
}

# query ROLE_ORG ARGS...: run iapt-query with that organisation's keys.
query() {
    local org=$1; shift
    "$BIN/iapt-query" --endpoint "tcp://127.0.0.1:$QUERY_PORT" --key "$W/keys/$org.secret" \
        --hub-public "$W/keys/HUB.pub" "$@"
}

# months_from START N: N months "YYYY-MM" from START, one per line.
months_from() {
    local i
    for i in $(seq 0 $(($2 - 1))); do date -u -d "$1-15 +$i month" +%Y-%m; done
}

# deliver_months COLLECTION DIR MONTHS...: for each month, every provider
# submits DIR/<org>/<month> of the collection (all providers at once, then
# the next month; logs in $W/<org>-<collection>.log); 0 when every node
# exited 0.
deliver_months() {
    local coll=$1 dir=$2 p org j ok=0
    shift 2
    for p in "$@"; do
        local pids=()
        for org in "${PROVIDERS[@]}"; do
            node "$org" submit --collection "$coll" --extract "$dir/$org/$p" --period "$p" \
                --deadline 300 >>"$W/$org-$coll.log" 2>&1 &
            pids+=($!)
        done
        for j in "${pids[@]}"; do wait "$j" || ok=1; done
    done
    return $ok
}

# cyp_config: the hub reads $W/providers.csv and $W/cyp-tools.csv, and every
# node the tool table too (the CYP collection's files; call after
# world_init_synth, before hub_start).
cyp_config() {
    local org
    cat >>"$W/hub/hub.conf" <<EOC
providers = ../providers.csv
cyp-tools = ../cyp-tools.csv
EOC
    for org in "${PROVIDERS[@]}"; do
        echo "cyp-tools = ../../cyp-tools.csv" >>"$W/nodes/$org/node.conf"
    done
}

# synth ARGS...: synthetic extracts into $W/synth (geography and imd copied up).
synth() {
    "$BIN/iapt-synth" --out "$W/synth" "$@" 2>>"$W/synth.log"
}

finish() {
    hub_stop
    check_eq "the hub stopped cleanly every time (exit 0)" 0 "$HUB_BAD_EXITS"
    for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ "$T_FAIL" -ne 0 ] && [ -f "$W/hub/hub.log" ]; then
        echo "---- hub log (last 30 lines) ----"; tail -n 30 "$W/hub/hub.log"
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
    echo "$T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
}
