#!/usr/bin/env bash
# make demo: create demo.db with the GitClub policy (sql/gitclub.polar) and a
# few facts, then run sql/demo.sql against it in the sqlite3 shell.
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
SELECT polar_batch('[{"inserts": [
  {"predicate": "has_role",     "args": [{"type": "User", "id": "alice"}, {"type": "String", "id": "admin"},  {"type": "Organization", "id": "acme"}]},
  {"predicate": "has_role",     "args": [{"type": "User", "id": "bob"},   {"type": "String", "id": "member"}, {"type": "Organization", "id": "acme"}]},
  {"predicate": "has_role",     "args": [{"type": "User", "id": "carol"}, {"type": "String", "id": "maintainer"}, {"type": "Repository", "id": "hammer"}]},
  {"predicate": "has_role",     "args": [{"type": "User", "id": "root"},  {"type": "String", "id": "admin"}]},
  {"predicate": "has_relation", "args": [{"type": "Repository", "id": "anvil"},   {"type": "String", "id": "parent"}, {"type": "Organization", "id": "acme"}]},
  {"predicate": "has_relation", "args": [{"type": "Repository", "id": "gitclub"}, {"type": "String", "id": "parent"}, {"type": "Organization", "id": "acme"}]},
  {"predicate": "has_relation", "args": [{"type": "Repository", "id": "hammer"},  {"type": "String", "id": "parent"}, {"type": "Organization", "id": "beta"}]},
  {"predicate": "is_public",    "args": [{"type": "Repository", "id": "gitclub"}]},
  {"predicate": "has_relation", "args": [{"type": "Issue", "id": "1"}, {"type": "String", "id": "parent"},  {"type": "Repository", "id": "anvil"}]},
  {"predicate": "has_relation", "args": [{"type": "Issue", "id": "1"}, {"type": "String", "id": "creator"}, {"type": "User", "id": "dave"}]},
  {"predicate": "has_relation", "args": [{"type": "Issue", "id": "2"}, {"type": "String", "id": "parent"},  {"type": "Repository", "id": "anvil"}]}
]}]');
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
