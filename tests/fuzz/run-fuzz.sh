#!/usr/bin/env bash
# Run every built libFuzzer target for a while on a copy of its corpus, and
# report crashes (the repository's corpus is only read, never grown).
#
#   tests/fuzz/run-fuzz.sh BUILD_DIR SECONDS
#
# Targets are BUILD_DIR/fuzz/fuzz_NAME (make fuzz builds them with clang);
# their seeds are tests/fuzz/corpus/NAME/. Crash inputs are kept under
# BUILD_DIR/fuzz/artifacts/NAME/ for replay. Exit status 1 when any target
# crashed or could not run.
set -u
build=${1:-build}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/iapt-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=()
ran=0
for bin in "$build"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin"); name=${name#fuzz_}
    corpus="$work/$name"
    artifacts="$build/fuzz/artifacts/$name"
    mkdir -p "$corpus" "$artifacts"
    [ -d "$root/tests/fuzz/corpus/$name" ] && cp -r "$root/tests/fuzz/corpus/$name/." "$corpus/"
    seeds=$(ls "$corpus" | wc -l)
    log="$work/$name.log"
    # One job on one core; each input bounded in time and memory.
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
    rc=$?
    ran=$((ran + 1))
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    cov=$(grep -E '#[0-9]+.*cov:' "$log" | tail -n 1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
    printf '%-10s %4ds  seeds %3d -> corpus %4d  runs %-9s cov %-6s ' "$name" "$seconds" \
        "$seeds" "$(ls "$corpus" | wc -l)" "${runs:-?}" "${cov:-?}"
    if [ $rc -eq 0 ]; then
        echo "ok"
    else
        echo "CRASH (exit $rc); inputs in $artifacts"
        grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -n 20
        failed+=("$name")
    fi
done
if [ $ran -eq 0 ]; then
    echo "no fuzz targets under $build/fuzz (make fuzz builds them)"
    exit 1
fi
[ ${#failed[@]} -eq 0 ] || { echo "crashed: ${failed[*]}"; exit 1; }
echo "fuzz: $ran targets, no crash"
