#!/usr/bin/env bash
# Run every test: unit programs, fuzz-corpus replays, integration scripts.
# Each prints "N passed, N failed" as its last line; this sums them and ends
# with one such line for the whole suite. Exit status 1 when anything failed.
#
#   tests/run-tests.sh BUILD_DIR [pattern]
set -u
build=${1:-build}
pattern=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
export IAPT_BUILD="$root/$build" IAPT_ROOT="$root"
export PATH="$root/$build/bin:$PATH"
# ASan under CI: leaks are failures; keep going on the first report per test.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

total_pass=0 total_fail=0
failed_suites=()
logdir=$(mktemp -d "${TMPDIR:-/tmp}/iapt-check-XXXXXX")

run_one() {
    local name=$1; shift
    [ -n "$pattern" ] && [[ "$name" != *"$pattern"* ]] && return 0
    local log="$logdir/$(basename "$name").log"
    local start=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local line
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    local p=0 f=0
    if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=${BASH_REMATCH[1]}; f=${BASH_REMATCH[2]}
    fi
    # A crash or a non-zero exit without a failure count is one failure.
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ -z "$line" ] && [ $rc -eq 0 ]; then f=1; echo "no result line" >>"$log"; fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    printf '%-48s %4d passed, %d failed  (%ds)\n' "$name" "$p" "$f" $((SECONDS - start))
    if [ "$f" -ne 0 ]; then
        failed_suites+=("$name")
        echo "---- $name output (last 60 lines) ----"
        tail -n 60 "$log"
        echo "----"
    fi
}

for t in "$root/$build"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "unit/$(basename "$t")" "$t"
done
for t in "$root/$build"/tests/replay_*; do
    [ -x "$t" ] || continue
    n=$(basename "$t"); n=${n#replay_}
    run_one "fuzz-replay/$n" "$t" "$root/tests/fuzz/corpus/${n#fuzz_}"
done
for t in "$root"/tests/integration/test_*.sh; do
    [ -f "$t" ] || continue
    run_one "integration/$(basename "$t" .sh)" timeout 900 bash "$t"
done

rm -rf "$logdir"
echo
[ ${#failed_suites[@]} -gt 0 ] && echo "failed: ${failed_suites[*]}"
echo "TOTAL: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
