#!/usr/bin/env bash
# make demo-sidecar: publish -> apply -> authorize on one machine, no Kafka
# install needed. Starts `polarlite sidecar --dev` (an in-process
# Kafka-protocol mock cluster), publishes the GitClub policy and a few facts
# with `polarlite publish`, waits for each token with polar_wait, and asks
# authorize from the sqlite3 shell. DEMO_DB overrides the database path.
set -euo pipefail
cd "$(dirname "$0")/.."

db=${DEMO_DB:-demo-sidecar.db}
[ -x polarlite ] && [ -f polarlite.so ] || { echo "demo-sidecar: run make first" >&2; exit 1; }
rm -f "$db" "$db-wal" "$db-shm"
tmp=$(mktemp -d)
out=$tmp/out log=$tmp/sidecar.log
./polarlite sidecar --dev --db "$db" --topic demo >"$out" 2>"$log" &
sc=$!
trap 'kill -TERM $sc 2>/dev/null; wait $sc 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do grep -q '^dev broker' "$out" && break; sleep 0.05; done
brokers=$(sed -n 's/^dev broker: \([^ ]*\) .*/\1/p' "$out")
[ -n "$brokers" ] || { echo "demo-sidecar: the sidecar did not start:" >&2; cat "$log" >&2; exit 1; }

run() { echo "\$ $*"; "$@"; }
q() { echo "sqlite> $1"; sqlite3 -cmd ".timeout 5000" -cmd ".load ./polarlite" "$db" "$1"; }

echo "sidecar --dev is applying topic 'demo' from the mock broker at $brokers into $db"
echo
run ./polarlite publish --brokers "$brokers" --topic demo policy sql/gitclub.polar
run ./polarlite publish --brokers "$brokers" --topic demo insert has_role User:alice admin Organization:acme
run ./polarlite publish --brokers "$brokers" --topic demo insert has_relation Repository:anvil parent Organization:acme
tok=$(./polarlite publish --brokers "$brokers" --topic demo insert has_role User:bob member Organization:acme)
echo "\$ ./polarlite publish ... insert has_role User:bob member Organization:acme"
echo "$tok"
echo
q "SELECT polar_wait('$tok', 5000);"
q "SELECT authorize('User:alice', 'push', 'Repository:anvil');"
q "SELECT authorize('User:bob', 'push', 'Repository:anvil');"
q "SELECT id FROM polar_list('User:bob', 'read', 'Repository');"
tok=$(./polarlite publish --brokers "$brokers" --topic demo delete has_role User:alice _ Organization:acme)
echo "\$ ./polarlite publish ... delete has_role User:alice _ Organization:acme"
echo "$tok"
q "SELECT polar_wait('$tok', 5000);"
q "SELECT authorize('User:alice', 'push', 'Repository:anvil');"
echo
run ./polarlite status --db "$db"
