#!/usr/bin/env bash
# make demo: create demo.db with the GitClub policy (sql/gitclub.polar) and a
# few facts (sql/demo_facts.json, an Oso batch body), then run sql/demo.sql against it in the sqlite3 shell.
# Needs ./polarlite.so (make builds it). DEMO_DB overrides the database path.
set -euo pipefail
cd "$(dirname "$0")/.."

db=${DEMO_DB:-demo.db}
[ -f polarlite.so ] || { echo "demo: polarlite.so not found; run make first" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "demo: the sqlite3 shell is missing (make deps)" >&2; exit 1; }

rm -f "$db" "$db-wal" "$db-shm"
sqlite3 -bail "$db" >/dev/null <<'SQL'
.load ./polarlite
SELECT polar_load(readfile('sql/gitclub.polar'), 'gitclub.polar');
SELECT polar_batch(readfile('sql/demo_facts.json'));
SQL

echo "demo: $db holds the policy in sql/gitclub.polar and $(sqlite3 "$db" -cmd '.load ./polarlite' 'SELECT count(*) FROM polar_facts') facts"
echo "demo: running sql/demo.sql (again with: sqlite3 $db -cmd '.load ./polarlite' < sql/demo.sql)"
echo
sqlite3 -bail "$db" -cmd '.load ./polarlite' <sql/demo.sql

echo
echo "== A bad fact is refused with a reason, and nothing is stored:"
echo "SELECT polar_insert('has_role', 'Robot:r2', 'admin', 'Organization:acme');"
if sqlite3 "$db" -cmd '.load ./polarlite' \
     "SELECT polar_insert('has_role', 'Robot:r2', 'admin', 'Organization:acme')" 2>&1; then
  echo "demo: the bad fact was accepted" >&2
  exit 1
fi
