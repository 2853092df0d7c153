#!/usr/bin/env bash
# tests/host/run.sh — the extension inside other people's processes: the
# sqlite3 shell, Debian's Python (tests/host/cases.py) and Node's
# better-sqlite3 (tests/host/cases.js). Each case runs in a child process
# that must exit 0: loading twice, a failed load, a file that is not a
# database, a WAL database whose directory the reader cannot write, a
# read-only database, many connections closed in any order, threads.
#
#   tests/host/run.sh [CASE ...]
#
# HOST_WRAP (e.g. "valgrind --error-exitcode=125 ...") runs each child under
# a tool; HOST_HOSTS limits the hosts (default "sqlite3 python node"). With
# LD_PRELOAD=libasan (make sanitize) an ASan report makes the child exit
# non-zero. Prints one line per case and "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD
EXT=$ROOT/polarlite
WRAP=${HOST_WRAP:-}
HOSTS=${HOST_HOSTS:-sqlite3 python node}
[ -f polarlite.so ] || { echo "host tests: build first (make polarlite.so)"; echo "0 passed, 1 failed"; exit 1; }
T=$(mktemp -d /tmp/polarlite-hosttest.XXXXXX)
chmod 755 "$T"
trap '[ "${KEEP:-0}" = 1 ] && echo "work files kept in $T" || rm -rf "$T"' EXIT

pass=0 failn=0
# check NAME STATUS OUTPUT-FILE: a case passed when it exited 0
check() {
  if [ "$2" -eq 0 ]; then
    echo "ok   $1"
    pass=$((pass + 1))
  else
    echo "FAIL $1 (exit status $2$([ "$2" -gt 128 ] && echo ", signal $(($2 - 128))"))"
    sed 's/^/    /' "$3" | tail -15
    failn=$((failn + 1))
  fi
}
# run NAME CMD...: the child, under HOST_WRAP, in the work directory
run() {
  local name=$1 out=$T/$1.out rc
  shift
  if [ -n "${NOWRAP:-}" ]; then
    (cd "$T" && HOST_WRAP=$WRAP "$@") >"$out" 2>&1
  else
    (cd "$T" && $WRAP "$@") >"$out" 2>&1
  fi
  rc=$?
  check "$name" "$rc" "$out"
}
# a user that cannot write the work directory
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

# A WAL database with a stopped writer: no -wal or -shm left, in a directory
# only root may write (the layout of the sample systemd unit).
make_wal_dir() {
  mkdir -p "$T/walro"
  sqlite3 "$T/walro/authz.db" -cmd ".load $EXT" "PRAGMA journal_mode=WAL" \
    "SELECT polar_load('actor User {} resource Org { roles = [\"member\"]; permissions = [\"read\"]; \"read\" if \"member\"; }')" \
    "SELECT polar_insert('has_role', 'User:ann', 'member', 'Org:acme')" >/dev/null
  chmod 755 "$T/walro"
  chmod 644 "$T/walro/authz.db"
}

# shell NAME DB SCRIPT WANT [USER-WRAP]: the sqlite3 shell reads SCRIPT
# (shell_case.sh: errors do not stop it, .open closes the connection it had)
# and must print WANT last
shell() {
  printf '%s\n' "$3" >"$T/$1.sql"
  NOWRAP=1 run "$1" ${5:-} "$ROOT/tests/host/shell_case.sh" "$2" "$T/$1.sql" "$4"
}

sqlite3_cases() {
  local db=$T/shell.db
  sqlite3 "$db" "SELECT 1" >/dev/null
  shell shell_twice "$db" ".load $EXT
.load $EXT
SELECT polar_now() > 0;
.open $T/shell2.db
SELECT 42;" 42
  head -c 20000 /dev/urandom >"$T/shell-notadb.db"
  shell shell_notadb "$T/shell-notadb.db" ".load $EXT
SELECT 1 FROM sqlite_schema;
.load $EXT
SELECT authorize('User:a', 'read', 'Org:b');
.open $T/shell2.db
.load $EXT
SELECT polar_now() > 0;" 1
  make_wal_dir
  shell shell_wal_reader "$T/walro/authz.db" ".load $EXT
SELECT authorize('User:ann', 'read', 'Org:acme');
.open :memory:
SELECT 42;" 42 "$AS_NOBODY"
}

python_cases() {
  local c
  make_wal_dir
  for c in twice twice_in_statement notadb readonly close_order threads; do
    run "python_$c" /usr/bin/python3 "$ROOT/tests/host/cases.py" "$c" "$T" "$EXT"
  done
  # two copies of the library define the same globals: by design, not an
  # ODR violation ASan should stop at
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_odr_violation=0 \
    run python_two_copies /usr/bin/python3 "$ROOT/tests/host/cases.py" two_copies "$T" "$EXT"
  run python_wal_reader $AS_NOBODY /usr/bin/python3 "$ROOT/tests/host/cases.py" wal_reader "$T" "$EXT"
}

node_cases() {
  local c
  if [ ! -d tests/lang/node_modules/better-sqlite3 ]; then
    check node_better_sqlite3 1 /dev/null
    echo "    tests/lang/node_modules is missing: run make deps"
    return
  fi
  for c in twice notadb close_order; do
    run "node_$c" node "$ROOT/tests/host/cases.js" "$c" "$T" "$EXT.so"
  done
}

for h in $HOSTS; do
  "${h}_cases"
done
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
