#!/usr/bin/env bash
# Build examples/go with Debian's Go and go-sqlite3 (GOPATH mode, no network:
# golang-go, golang-github-mattn-go-sqlite3-dev) and run it against a new
# database: it must load the extension by its entry point on every pooled
# connection, load the policy, store facts and print the expected answers.
# Closes with "N passed, M failed" like the other runners of tests/lang.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
EXT=${POLARLITE_EXT:-$PWD/polarlite.so}
out=build/lang-go
mkdir -p "$out"
rm -f "$out/example.db"
fail() { echo "FAIL go example: $*"; echo "0 passed, 1 failed"; exit 1; }

command -v go >/dev/null || fail "go is missing (make deps)"
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$PWD/$out/cache GOFLAGS= \
  go build -tags libsqlite3 -o "$out/example" ./examples/go >"$out/build.log" 2>&1 ||
  fail "build: $(cat "$out/build.log")"
got=$("$out/example" -ext "$EXT" -db "$out/example.db" -policy sql/gitclub.polar 2>&1) ||
  fail "exit status $?: $got"
want="policy version 1
alice push anvil: 1
bob push anvil: 0
alice reads repository anvil"
[ "$(printf '%s\n' "$got" | head -4)" = "$want" ] || fail "output: $got"
printf '%s\n' "$got" | tail -1 | grep -Eq "^error: resource: unknown type 'Repostory'.*did you mean 'Repository'" ||
  fail "the bad value's error: $(printf '%s\n' "$got" | tail -1)"
echo "ok   go example (database/sql, go-sqlite3, ConnectHook + sqlite3_polarlite_init)"
echo "1 passed, 0 failed"
