#!/usr/bin/env bash
# Run the policy corpus (tests/corpus) from other languages: Node's better-sqlite3
# (tests/lang/run_corpus.js) and Debian's Python (tests/corpus/run_corpus.py via
# /usr/bin/python3, whose sqlite3 module can load extensions); and build and run
# the Go example (examples/go, tests/lang/run_go_example.sh).
# Prints each runner's output, then "N passed, M failed" over both; exits 1 on any
# failure. The extension is $POLARLITE_EXT, else ./polarlite.so at the repo root.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

if [ ! -d tests/lang/node_modules/better-sqlite3 ]; then
  echo "tests/lang/node_modules is missing: run 'make deps' (or 'npm ci' in tests/lang)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

total_pass=0
total_fail=0
# run LABEL CMD...: runs one corpus runner, adds its closing counts to the totals.
run() {
  local label=$1 out rc last
  shift
  echo "== $label"
  out=$(timeout 600 "$@" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  last=$(printf '%s\n' "$out" | tail -n 1)
  if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    total_pass=$((total_pass + BASH_REMATCH[1]))
    total_fail=$((total_fail + BASH_REMATCH[2]))
    if [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
      total_fail=$((total_fail + 1))   # exited non-zero with no failure counted
    fi
  else
    echo "$label: runner exited $rc without a closing count" >&2
    total_fail=$((total_fail + 1))
  fi
}

run node node tests/lang/run_corpus.js "$@"
run python3 /usr/bin/python3 tests/corpus/run_corpus.py "$@"
[ $# -eq 0 ] && run go tests/lang/run_go_example.sh

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
