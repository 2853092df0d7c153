#!/usr/bin/env bash
# Build and run the libFuzzer targets (tests/fuzz/fuzz_*.c).
#
#   tests/fuzz/run.sh smoke [TARGET...]        replay the seed corpus and every
#                                              regression input, then fuzz each
#                                              target FUZZ_SMOKE_SECONDS (default 5)
#   tests/fuzz/run.sh fuzz SECONDS [TARGET...] fuzz each target SECONDS, one after
#                                              the other, keeping what it finds in
#                                              build/fuzz/corpus/TARGET
#
# Targets: policy value json message manifest compile serve_json diff. A crash, leak, sanitizer
# report or failed property leaves the input in build/fuzz/artifacts/ and makes
# the run fail; turn it into a regression by copying it to
# tests/fuzz/regressions/TARGET/ once fixed. Logs: build/fuzz/logs/{fuzz,smoke}-TARGET.log;
# the last lines (execs, cov, ft) are printed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

mode=${1:-}; shift || true
case "$mode" in
  smoke) secs=${FUZZ_SMOKE_SECONDS:-5} ;;
  fuzz)  secs=${1:-60}; shift || true ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(policy value json message manifest compile serve_json diff)

B=${FBUILD:-build/fuzz}; export FBUILD=$B
make -s -f tests/fuzz/fuzz.mk -j2 || exit 1
# seeds in a private directory: two runs may go on at once
mkdir -p "$B/logs" "$B/artifacts"
seed=$(mktemp -d "$B/seed.XXXXXX")
trap 'rm -rf "$seed"' EXIT
/usr/bin/python3 tests/fuzz/seeds.py "$seed" || exit 1

maxlen() {
  case "$1" in
    value) echo 1024 ;; manifest) echo 4096 ;; compile) echo 4096 ;; diff) echo 1024 ;; *) echo 8192 ;;
  esac
}
dict() {
  case "$1" in
    policy|compile) echo "-dict=tests/fuzz/polar.dict" ;;
    json|message|manifest|serve_json) echo "-dict=tests/fuzz/json.dict" ;;
  esac
}

fail=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "${targets[@]}"; do
  bin=$B/fuzz_$t
  [ -x "$bin" ] || { echo "FAIL $t: no $bin"; fail=1; continue; }
  dirs=("$seed/$t")
  [ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
  log=$B/logs/$mode-$t.log
  opts=(-timeout=25 -rss_limit_mb=2048 -max_len="$(maxlen "$t")" $(dict "$t")
        -artifact_prefix="$B/artifacts/$t-" -print_final_stats=1)
  if [ "$mode" = smoke ]; then
    # every seed and regression once, then a short mutation run (new inputs
    # are not kept: the working corpus is a scratch directory)
    scratch=$(mktemp -d)
    "$bin" "${opts[@]}" -max_total_time="$secs" "$scratch" "${dirs[@]}" >"$log" 2>&1
    rc=$?
    rm -rf "$scratch"
  else
    mkdir -p "$B/corpus/$t"
    "$bin" "${opts[@]}" -max_total_time="$secs" "$B/corpus/$t" "${dirs[@]}" >"$log" 2>&1
    rc=$?
  fi
  stats=$(grep -aE '^#[0-9]+.*(DONE|INITED)' "$log" | tail -1)
  execs=$(grep -aE 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  if [ $rc -ne 0 ]; then
    echo "FAIL $t (exit $rc): see $log"
    grep -aE 'FINDING|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' "$log" | head -5
    fail=1
  else
    echo "ok   $t: ${execs:-?} execs in ${secs}s; ${stats}"
  fi
done
exit $fail
