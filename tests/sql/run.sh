#!/usr/bin/env bash
# SQL-level tests: runs each tests/sql/NAME.sql in the sqlite3 shell
# (`sqlite3 :memory: < NAME.sql`, from the repo root so `.load ./polarlite`
# finds the built extension) and compares stdout+stderr with NAME.expected.
#
#   tests/sql/run.sh [NAME ...]            run all cases, or the ones named
#   tests/sql/run.sh --update NAME ...     (re)write NAME.expected from the output;
#                                          read the diff before committing it
#
# Prints a diff for each mismatch and a last line "N passed, M failed"; exits 1
# on any failure.  stdbuf keeps the shell's stdout and stderr in order.
# SQLITE3 replaces the shell command (e.g. a valgrind prefix, `make valgrind`).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

update=0
if [ "${1:-}" = "--update" ]; then
  update=1
  shift
  [ $# -gt 0 ] || { echo "--update needs case names" >&2; exit 2; }
fi

if [ $# -gt 0 ]; then
  cases=()
  for n in "$@"; do n=${n##*/}; cases+=("tests/sql/${n%.sql}.sql"); done
else
  cases=(tests/sql/*.sql)
fi
[ -e "${cases[0]}" ] || { echo "no tests/sql/*.sql"; echo "0 passed, 1 failed"; exit 1; }
[ -f polarlite.so ] || echo "polarlite.so not found at the repo root: run make" >&2
command -v sqlite3 >/dev/null || { echo "sqlite3 shell not found (make deps)"; echo "0 passed, 1 failed"; exit 1; }

pass=0
fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for sql in "${cases[@]}"; do
  name=${sql%.sql}
  name=${name#tests/sql/}
  exp=tests/sql/$name.expected
  if [ ! -f "$sql" ]; then
    echo "FAIL $name: no $sql"
    fail=$((fail + 1))
    continue
  fi
  timeout "${SQL_TIMEOUT:-120}" stdbuf -o0 -e0 ${SQLITE3:-sqlite3} :memory: <"$sql" >"$out" 2>&1
  rc=$?
  if [ $rc -ge 124 ]; then echo "(sqlite3 exited $rc)" >>"$out"; fi
  if [ $update -eq 1 ]; then
    cp "$out" "$exp"
    echo "wrote $exp"
    continue
  fi
  if [ ! -f "$exp" ]; then
    echo "FAIL $name: no $exp (write it with: tests/sql/run.sh --update $name, then check it by eye)"
    fail=$((fail + 1))
  elif diff -u --label "$exp" --label "$name (actual)" "$exp" "$out"; then
    pass=$((pass + 1))
  else
    echo "FAIL $name"
    fail=$((fail + 1))
  fi
done
[ $update -eq 1 ] && exit 0
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
