#!/usr/bin/env bash
# End-to-end tests of the polarlite command: sidecar, publish, status, test,
# check, explain. The broker is librdkafka's Kafka-protocol mock cluster, run by
# tests/sidecar/mockbroker.c as its own process and reached over TCP on
# loopback exactly like a real cluster; kcat produces raw and malformed
# messages; faults are injected through the mock's control input.
#
#   tests/sidecar/run.sh [TEST ...]     all tests, or the ones named
#
# POLARLITE=/path/to/polarlite uses that binary instead of building one.
# Prints each test's result and a last line "N passed, M failed"; exits 1 on
# any failure. Work files go to a temporary directory (kept with KEEP=1).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD

if [ -z "${POLARLITE:-}" ]; then
  make -s polarlite polarlite.so >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
  POLARLITE=$ROOT/polarlite
else
  make -s polarlite.so >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
fi
for tool in kcat sqlite3 curl /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (make deps)"; echo "0 passed, 1 failed"; exit 1; }
done
mkdir -p build/sidecartest
MOCK=build/sidecartest/mockbroker
make -s mockbroker >/dev/null || { echo "cannot build the mock broker"; echo "0 passed, 1 failed"; exit 1; }

T=$(mktemp -d /tmp/polarlite-sidecartest.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "${KEEP:-0}" = 1 ]; then echo "work files kept in $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

POLICY=tests/sidecar/policy.polar
FAILED=0            # assertions failed in the current test

fail() { echo "    FAIL: $*"; FAILED=$((FAILED + 1)); }
# expect DESCRIPTION ACTUAL WANTED
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
# expect_match DESCRIPTION TEXT REGEX (a here-string, not a pipe: grep -q stops at
# the first match, and under pipefail the writer's SIGPIPE failed the check)
expect_match() { grep -Eq -- "$3" <<<"$2" || fail "$1: '$2' does not match /$3/"; }

# sql DB SQL...: the sqlite3 shell with the extension loaded
sql() { local db=$1; shift; sqlite3 -bail -cmd ".timeout 10000" -cmd ".load $ROOT/polarlite" "$db" "$@" 2>&1; }
meta() { sqlite3 -cmd ".timeout 10000" "$1" "SELECT value FROM polar_meta WHERE key='$2'" 2>&1; }

# start_mock TOPIC...: sets BROKERS, MOCK_PID; fault commands go to fd 7
MOCK_N=0
start_mock() {
  MOCK_N=$((MOCK_N + 1))
  local ctl=$T/mock$MOCK_N.ctl out=$T/mock$MOCK_N.out
  mkfifo "$ctl"
  $MOCK "$@" <"$ctl" >"$out" 2>"$T/mock$MOCK_N.err" &
  MOCK_PID=$!
  PIDS+=("$MOCK_PID")
  exec 7>"$ctl"
  local i
  for i in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
  BROKERS=$(head -1 "$out")
  [ -n "$BROKERS" ] || { fail "the mock broker did not start: $(cat "$T/mock$MOCK_N.err")"; return 1; }
}
mock_cmd() { echo "$*" >&7; sleep 0.2; }
stop_mock() {
  local i
  exec 7>&-
  kill "$MOCK_PID" 2>/dev/null
  for i in $(seq 50); do kill -0 "$MOCK_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$MOCK_PID" 2>/dev/null
  wait "$MOCK_PID" 2>/dev/null
}

# start_sidecar DB TOPIC [OPTIONS...]: sets SC_PID; log in $T/<db>.log
start_sidecar() {
  local db=$1 topic=$2; shift 2
  "$POLARLITE" sidecar --db "$db" --brokers "$BROKERS" --topic "$topic" "$@" 2>>"$db.log" 7>&- &
  SC_PID=$!
  PIDS+=("$SC_PID")
}
# stop_sidecar: SIGTERM, then the exit status in SC_RC
stop_sidecar() { kill -TERM "$SC_PID" 2>/dev/null; wait "$SC_PID"; SC_RC=$?; }

publish() { "$POLARLITE" publish --brokers "$BROKERS" --topic "$@"; }
wait_token() { sql "$1" "SELECT polar_wait('$2', ${3:-15000})"; }

#----------------------------------------------------------------- tests --

# publish -> sidecar -> authorize; polar_wait returns 1 only after apply;
# insert, delete, re-insert end in the log's final state.
test_publish_apply_authorize() {
  start_mock authz || return
  local db=$T/a.db tok
  publish authz policy $POLICY >/dev/null || fail "publish policy"
  tok=$(publish authz insert has_role User:ann admin Org:acme)
  expect_match "token" "$tok" '^0:[0-9]+$'
  sqlite3 "$db" "PRAGMA journal_mode=WAL" >/dev/null
  expect "polar_wait before any sidecar ran" "$(wait_token "$db" "$tok" 200)" 0
  start_sidecar "$db" authz
  expect "polar_wait after apply" "$(wait_token "$db" "$tok")" 1
  expect "authorize after insert" "$(sql "$db" "SELECT authorize('User:ann', 'write', 'Org:acme')")" 1
  publish authz delete has_role User:ann _ Org:_ >/dev/null
  publish authz insert has_role User:ann member Org:acme >/dev/null
  publish authz delete has_role User:ann member Org:acme >/dev/null
  tok=$(publish authz insert has_role User:ann member Org:acme)
  expect "polar_wait" "$(wait_token "$db" "$tok")" 1
  expect "final state: read" "$(sql "$db" "SELECT authorize('User:ann', 'read', 'Org:acme')")" 1
  expect "final state: write" "$(sql "$db" "SELECT authorize('User:ann', 'write', 'Org:acme')")" 0
  expect "facts" "$(sql "$db" "SELECT a1, a2, a3 FROM polar_facts")" "User:ann|member|Org:acme"
  expect "journal mode" "$(sqlite3 "$db" "PRAGMA journal_mode")" wal
  # a later token than anything published times out with 0
  expect "polar_wait for a future offset" "$(wait_token "$db" "0:999" 100)" 0
  stop_sidecar
  expect "exit status after SIGTERM" "$SC_RC" 0
  stop_mock
}

# polar_status and `polarlite status` report the position, lag and counts.
test_status() {
  start_mock st || return
  local db=$T/s.db tok out
  publish st policy $POLICY >/dev/null
  publish st insert has_role User:a member Org:x >/dev/null
  tok=$(publish st insert has_role User:b admin Org:x)
  start_sidecar "$db" st
  expect "polar_wait" "$(wait_token "$db" "$tok")" 1
  stop_sidecar
  out=$(sql "$db" "SELECT policy_version, applied_partition, applied_offset, fact_count,
                          rejected_count, lag_messages, applied_at > 0, last_message_at > 0,
                          lag_ms >= 0 FROM polar_status")
  expect "polar_status" "$out" "1|0|2|2|0|0|1|1|1"
  out=$("$POLARLITE" status --db "$db")
  expect_match "status: applied_offset" "$out" 'applied_offset +2'
  expect_match "status: fact_count" "$out" 'fact_count +2'
  expect_match "status: lag_messages" "$out" 'lag_messages +0'
  # times for people: a UTC date and its age; durations with a unit
  expect_match "status: applied_at as a date" "$out" \
    'applied_at +20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3} UTC \([0-9.]+ (ms|s) ago\)'
  expect_match "status: lag_ms with a unit" "$out" 'lag_ms +[0-9.]+ (ms|s)$'
  expect_match "status: no snapshot" "$out" 'snapshot_age_ms +-'
  expect_match "status --json" "$("$POLARLITE" status --db "$db" --json)" '"applied_offset":2'
  "$POLARLITE" status --db "$T/missing.db" >/dev/null 2>"$T/err"
  expect "status of a missing file" "$?" 1
  expect_match "status of a missing file says so" "$(cat "$T/err")" 'no such database'
  stop_mock
}

# Malformed messages are recorded with their reason; apply goes on.
test_rejected() {
  start_mock rej || return
  local db=$T/r.db tok long
  publish rej policy $POLICY >/dev/null
  long=$(printf 'x%.0s' $(seq 400))
  {
    echo '[{"inserts": [{"predicate": "has_role", "args": [{"type": "User", "id": "ok1"}, {"type": "String", "id": "member"}, {"type": "Org", "id": "acme"}]}]}]'
    echo '[{"inserts": [ not json'
    echo '[{"inserts": [{"predicate": "no_such", "args": [{"type": "User", "id": "a"}]}]}]'
    echo '[{"inserts": [{"predicate": "has_role", "args": [{"type": "User", "id": "a"}, {"type": "String", "id": "member"}]}]}]'
    echo '[{"inserts": [{"predicate": "has_role", "args": [{"type": "Nope", "id": "a"}, {"type": "String", "id": "member"}, {"type": "Org", "id": "acme"}]}]}]'
    echo "[{\"inserts\": [{\"predicate\": \"has_role\", \"args\": [{\"type\": \"User\", \"id\": \"$long\"}, {\"type\": \"String\", \"id\": \"member\"}, {\"type\": \"Org\", \"id\": \"acme\"}]}]}]"
    echo '[{"inserts": [{"predicate": "has_role", "args": [{"type": "User", "id": "half"}, {"type": "String", "id": "member"}, {"type": "Org", "id": "acme"}]}]}, {"inserts": [{"predicate": "has_role", "args": [{"type": "User", "id": "b"}]}]}]'
    echo 'hello'
    echo '{"something": "else"}'
    echo '{"policy": {"src": "actor User {} resource Org { roles = [\"a\"]; permissions = [\"r\"]; \"r\" if \"nope\"; }", "filename": "bad.polar"}}'
    echo '[{"inserts": [{"predicate": "has_role", "args": [{"type": "User", "id": "ok2"}, {"type": "String", "id": "member"}, {"type": "Org", "id": "acme"}]}]}]'
  } >"$T/rej.jsonl"
  kcat -P -b "$BROKERS" -t rej -p 0 -l "$T/rej.jsonl" || fail "kcat produce"
  start_sidecar "$db" rej
  expect "polar_wait for the last message" "$(wait_token "$db" 0:11)" 1
  expect "good messages applied around the bad ones" \
    "$(sql "$db" "SELECT group_concat(a1, ' ') FROM (SELECT a1 FROM polar_facts ORDER BY a1)")" \
    "User:ok1 User:ok2"
  expect "rejected offsets" \
    "$(sql "$db" "SELECT group_concat(offset, ' ') FROM (SELECT offset FROM polar_rejected ORDER BY offset)")" \
    "2 3 4 5 6 7 8 9 10"
  local r
  r() { sql "$db" "SELECT topic || ' ' || partition || ' ' || reason FROM polar_rejected WHERE offset=$1"; }
  expect_match "bad JSON" "$(r 2)" '^rej 0 .*JSON'
  expect_match "unknown predicate" "$(r 3)" 'no_such'
  expect_match "wrong arity" "$(r 4)" 'has_role'
  expect_match "unknown type" "$(r 5)" 'Nope'
  expect_match "id over 384 bytes" "$(r 6)" '384'
  expect_match "half batch" "$(r 7)" 'batch\[1\]'
  expect_match "not JSON" "$(r 8)" 'expected a JSON array'
  expect_match "unknown object" "$(r 9)" 'something'
  expect_match "bad policy" "$(r 10)" 'bad.polar:[0-9]+:[0-9]+'
  expect "the raw message is kept" "$(sql "$db" "SELECT message FROM polar_rejected WHERE offset=8")" hello
  expect "nothing of the half batch" "$(sql "$db" "SELECT count(*) FROM polar_facts WHERE a1='User:half'")" 0
  expect "the bad policy did not replace the policy" \
    "$(sql "$db" "SELECT policy_version, rejected_count FROM polar_status")" "1|9"
  stop_sidecar
  expect "exit status" "$SC_RC" 0
  stop_mock
}

# --halt-on-reject stops at the bad message, keeping what came before.
test_halt_on_reject() {
  start_mock halt || return
  local db=$T/h.db rc
  publish halt policy $POLICY >/dev/null
  publish halt insert has_role User:a member Org:x >/dev/null
  echo 'not json' | kcat -P -b "$BROKERS" -t halt -p 0
  publish halt insert has_role User:b member Org:x >/dev/null
  timeout 20 "$POLARLITE" sidecar --db "$db" --brokers "$BROKERS" --topic halt --halt-on-reject 2>"$T/halt.err"
  rc=$?
  expect "exit status" "$rc" 4
  expect_match "says where and why" "$(cat "$T/halt.err")" 'stopped at offset 2 .*JSON'
  expect "position before the bad message" "$(meta "$db" log_offset)" 1
  expect "nothing after it applied" "$(sql "$db" "SELECT count(*) FROM polar_facts")" 1
  expect "nothing recorded as rejected" "$(sql "$db" "SELECT count(*) FROM polar_rejected")" 0
  stop_mock
}

# A policy message replaces the policy; a bad one is rejected (see above).
test_policy_message() {
  start_mock pol || return
  local db=$T/p.db tok
  publish pol policy $POLICY >/dev/null
  publish pol insert has_role User:m member Org:x >/dev/null
  start_sidecar "$db" pol
  tok=$(publish pol insert has_role User:a admin Org:x)
  expect "polar_wait" "$(wait_token "$db" "$tok")" 1
  expect "member cannot write" "$(sql "$db" "SELECT authorize('User:m', 'write', 'Org:x')")" 0
  sed 's/"write" if "admin";/"write" if "member";/; /assert_not/d' $POLICY >"$T/p2.polar"
  tok=$(publish pol policy "$T/p2.polar")
  expect "polar_wait for the policy" "$(wait_token "$db" "$tok")" 1
  expect "version" "$(sql "$db" "SELECT policy_version FROM polar_status")" 2
  expect "new policy in force" "$(sql "$db" "SELECT authorize('User:m', 'write', 'Org:x')")" 1
  expect_match "stored source" "$(sql "$db" "SELECT polar_policy()")" '"write" if "member"'
  # publish refuses a policy that does not validate, naming file:line:col
  printf 'actor User {}\nresource Org {\n  roles = ["a"];\n  "r" if "b";\n}\n' >"$T/bad.polar"
  publish pol policy "$T/bad.polar" >/dev/null 2>"$T/err"
  expect "publish of a bad policy fails" "$?" 1
  expect_match "error names file:line:col" "$(cat "$T/err")" 'bad\.polar:[0-9]+:[0-9]+'
  stop_sidecar
  stop_mock
}

# kill -9 at random moments while tens of thousands of messages are applied:
# the database ends equal to the log, every message applied exactly once.
test_crash_exactly_once() {
  start_mock crash || return
  local db=$T/c.db n=60000 i kills=0 mid=0 off
  publish crash policy $POLICY >/dev/null
  /usr/bin/python3 tests/sidecar/logdata.py write $n "$T/crash.jsonl"
  # lz4: the mock keeps ~5 MB of log; compressed, 60000 messages fit
  publish crash -X compression.type=lz4 lines "$T/crash.jsonl" >/dev/null || fail "publish lines"
  for i in $(seq 12); do
    local prev w
    prev=$(meta "$db" log_offset)
    [[ "$prev" =~ ^[0-9]+$ ]] || prev=-1
    # small groups: many commits, so kills land in and between transactions
    start_sidecar "$db" crash --group-messages 20
    # first let it commit something past the last kill (starting up takes
    # longer than the random delay below under ASan on a loaded machine),
    # then kill it at a random moment
    for w in $(seq 200); do
      off=$(meta "$db" log_offset)
      if [[ "$off" =~ ^[0-9]+$ ]] && [ "$off" -gt "$prev" ]; then break; fi
      kill -0 "$SC_PID" 2>/dev/null || break
      sleep 0.05
    done
    sleep "0.$(printf '%02d' $(( (RANDOM % 15) + 3 )))"
    kill -9 "$SC_PID" 2>/dev/null && kills=$((kills + 1))
    wait "$SC_PID" 2>/dev/null
    off=$(meta "$db" log_offset)
    if [[ "$off" =~ ^[0-9]+$ ]] && [ "$off" -lt $n ]; then mid=$((mid + 1)); fi
    /usr/bin/python3 tests/sidecar/logdata.py verify "$db" >"$T/verify.out" \
      || fail "after kill $i: $(cat "$T/verify.out")"
  done
  [ "$mid" -ge 2 ] || fail "only $mid of $kills kills landed mid-stream"
  start_sidecar "$db" crash
  expect "polar_wait for the end" "$(wait_token "$db" "0:$n" 60000)" 1
  stop_sidecar
  /usr/bin/python3 tests/sidecar/logdata.py verify "$db" >"$T/verify.out" || fail "final: $(cat "$T/verify.out")"
  expect "final position" "$(meta "$db" log_offset)" $n
  echo "    ($kills kills, $mid mid-stream; $(cat "$T/verify.out"))"
  stop_mock
}

# Checkpoints keep the WAL bounded: a backlog applied one message per
# transaction, with a reader running, must not grow the WAL by everything
# written (the checkpoint connection once never opened the WAL, so every
# checkpoint was a silent no-op; and back-to-back commits never let the WAL
# start over), and the database file must receive the pages.
test_wal_bounded() {
  start_mock walb || return
  local db=$T/w.db n=20000 wal reader
  publish walb policy $POLICY >/dev/null
  /usr/bin/python3 tests/sidecar/logdata.py write $n "$T/walb.jsonl"
  publish walb -X compression.type=lz4 lines "$T/walb.jsonl" >/dev/null || fail "publish lines"
  start_sidecar "$db" walb --group-messages 1
  expect "the policy applied" "$(wait_token "$db" 0:0)" 1
  /usr/bin/python3 tests/sidecar/reader.py "$db" 8 >"$T/walb-reader.out" 7>&- &
  reader=$!
  PIDS+=("$reader")
  local max=0
  for _ in $(seq 600); do
    wal=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
    [ "$wal" -gt "$max" ] && max=$wal
    [ "$(meta "$db" log_offset)" = "$n" ] && break
    sleep 0.1
  done
  expect "applied the backlog" "$(meta "$db" log_offset)" $n
  [ "$max" -lt $((128 * 1024 * 1024)) ] || fail "the WAL grew to $max bytes applying $n small messages"
  sleep 1
  [ "$(stat -c %s "$db")" -gt 200000 ] || fail "no checkpoint reached the database file ($(stat -c %s "$db") bytes)"
  wait "$reader"
  expect_match "the reader never failed" "$(cat "$T/walb-reader.out")" '^reads=[1-9][0-9]* errors=0$'
  echo "    (WAL at most $((max / 1048576)) MB, database file $(( $(stat -c %s "$db") / 1024 )) KB)"
  stop_sidecar
  stop_mock
}

# SIGTERM mid-stream finishes the open transaction and exits 0.
test_sigterm() {
  start_mock term || return
  local db=$T/t.db n=60000 off
  publish term policy $POLICY >/dev/null
  /usr/bin/python3 tests/sidecar/logdata.py write $n "$T/term.jsonl"
  publish term -X compression.type=lz4 lines "$T/term.jsonl" >/dev/null
  start_sidecar "$db" term --group-messages 20
  for _ in $(seq 300); do
    off=$(meta "$db" log_offset)
    [[ "$off" =~ ^[0-9]+$ ]] && break
    sleep 0.01
  done
  stop_sidecar
  expect "exit status" "$SC_RC" 0
  off=$(meta "$db" log_offset)
  [ -n "$off" ] && [ "$off" -lt $n ] || fail "SIGTERM did not land mid-stream (offset $off)"
  /usr/bin/python3 tests/sidecar/logdata.py verify "$db" >"$T/verify.out" || fail "$(cat "$T/verify.out")"
  expect_match "log says stopped" "$(cat "$db.log")" 'event=stopped status=0'
  stop_mock
}

# Broker down at start and mid-stream, request errors: apply resumes by
# itself and a reader never gets an error meanwhile.
test_broker_faults() {
  start_mock faults || return
  local db=$T/f.db db2=$T/f2.db tok reader
  publish faults policy $POLICY >/dev/null
  tok=$(publish faults insert has_role User:u0 member Org:o0)
  start_sidecar "$db" faults --metrics 127.0.0.1:0
  local sc1=$SC_PID
  expect "polar_wait" "$(wait_token "$db" "$tok")" 1
  /usr/bin/python3 tests/sidecar/reader.py "$db" 14 >"$T/reader.out" 7>&- &
  reader=$!
  PIDS+=("$reader")
  # down mid-stream
  mock_cmd down 1
  sleep 3
  kill -0 "$sc1" 2>/dev/null || fail "the sidecar exited while the broker was down"
  # down at start: a second sidecar waits and retries
  start_sidecar "$db2" faults
  local sc2=$SC_PID
  sleep 2
  kill -0 "$sc2" 2>/dev/null || fail "a sidecar started while the broker was down exited"
  expect_match "it says the broker is unreachable" "$(cat "$db2.log")" 'event=broker_unreachable'
  mock_cmd up 1
  tok=$(publish faults insert has_role User:u1 member Org:o1)
  expect "apply resumed after the broker came back" "$(wait_token "$db" "$tok" 30000)" 1
  expect "the sidecar that started during the outage caught up" "$(wait_token "$db2" "$tok" 30000)" 1
  # fetch and list-offsets request errors
  mock_cmd errors 1 6 5
  mock_cmd errors 1 7 3
  tok=$(publish faults insert has_role User:u2 member Org:o2)
  expect "apply goes on through request errors" "$(wait_token "$db" "$tok" 30000)" 1
  wait "$reader"
  expect_match "the reader never failed" "$(cat "$T/reader.out")" '^reads=[1-9][0-9]* errors=0$'
  kill -TERM "$sc2"; wait "$sc2"
  expect "second sidecar exit status" "$?" 0
  SC_PID=$sc1
  stop_sidecar
  expect "exit status" "$SC_RC" 0
  stop_mock
}

# SIGTERM while the broker is down: the sidecar stops within seconds, its
# position kept. Its idle loop asks the broker for the log ends every 5 s;
# librdkafka 2.0.2's rd_kafka_query_watermark_offsets ignored its timeout
# while the broker was unreachable and the sidecar hung until it came back.
test_stop_during_outage() {
  start_mock outage || return
  local db=$T/outage.db tok i t0
  publish outage policy $POLICY >/dev/null
  tok=$(publish outage insert has_role User:u0 member Org:o0)
  start_sidecar "$db" outage
  expect "polar_wait" "$(wait_token "$db" "$tok")" 1
  mock_cmd down 1
  sleep 7   # past the idle loop's next log-end query
  t0=$SECONDS
  kill -TERM "$SC_PID"
  for i in $(seq 150); do kill -0 "$SC_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SC_PID" 2>/dev/null; then
    fail "still running 15 s after SIGTERM with the broker down"
    kill -9 "$SC_PID"
  fi
  wait "$SC_PID"; SC_RC=$?
  expect "exit status" "$SC_RC" 0
  expect "position kept" "$(meta "$db" log_offset)" "${tok##*:}"
  stop_mock
}

# Transient ListOffsets errors while a sidecar starts must not read as a
# lost position: librdkafka can answer the watermark query with both ends
# equal (the log start read as its end), which once made an empty database,
# or one with a position, exit 3 (found by make soak). Several attempts, as
# the errors land on one request or the other.
test_watermark_errors() {
  start_mock wm || return
  local db tok i rc
  publish wm policy $POLICY >/dev/null
  tok=$(publish wm insert has_role User:a member Org:x)
  for i in 1 2 3 4 5 6; do
    db=$T/wm$i.db
    [ $((i % 2)) = 0 ] && cp "$T/wm$((i - 1)).db" "$db"    # with a position, too
    mock_cmd errors 2 $([ $((i % 3)) = 0 ] && echo 3 || echo 13) $(( (i % 3) + 1 ))
    start_sidecar "$db" wm
    # --policy: the injected errors are the sidecar's (publish retries them too)
    tok=$(publish wm --policy $POLICY insert has_role User:u$i member Org:x)
    expect "attempt $i: applied through ListOffsets errors" "$(wait_token "$db" "$tok" 20000)" 1
    kill -0 "$SC_PID" 2>/dev/null || fail "attempt $i: the sidecar exited: $(grep -o 'reason=.*' "$db.log" | head -1)"
    stop_sidecar
    [ "$SC_RC" = 0 ] || fail "attempt $i: exit status $SC_RC"
  done
  # publish reads the log's ends to find the policy: it retries such errors
  mock_cmd errors 2 13 2
  expect_match "publish through ListOffsets errors" "$(publish wm insert has_role User:v member Org:x)" '^0:[0-9]+$'
  stop_mock
}

# A stored position below the log start (the mock drops its oldest message
# sets past ~5 MB per partition) ends the run with status 3 and says so.
test_position_lost() {
  start_mock lost midlost || return
  local db=$T/l.db rc
  publish lost policy $POLICY >/dev/null
  tok=$(publish lost insert has_role User:a member Org:x)
  start_sidecar "$db" lost
  expect "polar_wait" "$(wait_token "$db" "$tok")" 1
  stop_sidecar
  # 7 MB of valid, empty batches push offsets 0..1 out of the log
  /usr/bin/python3 -c "
pad = ' ' * 100000
for i in range(70): print('[]' + pad)" >"$T/big.jsonl"
  kcat -P -b "$BROKERS" -t lost -p 0 -l "$T/big.jsonl"
  timeout 20 "$POLARLITE" sidecar --db "$db" --brokers "$BROKERS" --topic lost 2>"$T/lost.err"
  rc=$?
  expect "exit status" "$rc" 3
  expect_match "says the log no longer holds the position" "$(cat "$T/lost.err")" \
    'next message this database needs is offset 2, but the log now starts at offset [1-9]'
  expect "position unchanged" "$(meta "$db" log_offset)" 1
  # mid-stream: a running sidecar is paused (SIGSTOP) while the log start
  # moves past its position; when it fetches again it must stop, not skip
  local db3=$T/l3.db
  tok=$(publish midlost policy $POLICY)
  start_sidecar "$db3" midlost
  expect "mid-stream: polar_wait" "$(wait_token "$db3" "$tok")" 1
  kill -STOP "$SC_PID"
  kcat -P -b "$BROKERS" -t midlost -p 0 -l "$T/big.jsonl"
  kill -CONT "$SC_PID"
  for _ in $(seq 100); do kill -0 "$SC_PID" 2>/dev/null || break; sleep 0.1; done
  wait "$SC_PID"
  expect "mid-stream: exit status" "$?" 3
  expect_match "mid-stream: says so" "$(cat "$db3.log")" 'event=position_lost .*no longer holds offset 1'
  # an empty database cannot start from a log that lost its beginning
  timeout 20 "$POLARLITE" sidecar --db "$T/l2.db" --brokers "$BROKERS" --topic lost 2>"$T/lost2.err"
  expect "empty database: exit status" "$?" 3
  expect_match "empty database: says so" "$(cat "$T/lost2.err")" 'database is empty but the log starts at offset'
  # a database fed from another topic is refused
  timeout 20 "$POLARLITE" sidecar --db "$db" --brokers "$BROKERS" --topic other 2>"$T/other.err"
  expect "other topic: exit status" "$?" 1
  expect_match "other topic: says so" "$(cat "$T/other.err")" "fed from topic 'lost', not 'other'"
  stop_mock
}

# --metrics serves /metrics and /healthz; SIGHUP reopens --log-file; -n.
test_operations() {
  start_mock ops || return
  local db=$T/o.db tok port out
  publish ops policy $POLICY >/dev/null
  tok=$(publish ops insert has_role User:a member Org:x)
  "$POLARLITE" sidecar --db "$db" --brokers "$BROKERS" --topic ops --metrics 127.0.0.1:0 \
    --log-file "$T/ops.log" 7>&- &
  SC_PID=$!
  PIDS+=("$SC_PID")
  expect "polar_wait" "$(wait_token "$db" "$tok")" 1
  # port 0: the kernel picks a free port, which the log names
  port=$(sed -n 's/.*event=metrics_listening .*port=\([0-9]*\).*/\1/p' "$T/ops.log")
  expect_match "the log names the metrics port" "$port" '^[1-9][0-9]*$'
  sleep 0.3
  out=$(curl -s "http://127.0.0.1:$port/metrics")
  expect_match "metrics: applied offset" "$out" 'polarlite_applied_offset 1'
  expect_match "metrics: lag" "$out" 'polarlite_lag_messages 0'
  expect_match "metrics: rejected" "$out" 'polarlite_rejected_messages_total 0'
  expect_match "metrics: rate" "$out" 'polarlite_apply_rate_facts_per_second'
  expect "healthz status" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" 200
  mv "$T/ops.log" "$T/ops.log.1"
  kill -HUP "$SC_PID"
  sleep 0.5
  expect_match "SIGHUP reopened the log file" "$(cat "$T/ops.log" 2>&1)" 'event=log_reopened'
  expect_match "structured lines" "$(grep -Evc '^ts=[0-9T:.-]+Z level=[a-z]+ event=[a-z_]+( |$)' "$T/ops.log.1")" '^0$'
  expect_match "the start is logged" "$(cat "$T/ops.log.1")" 'level=info event=started '
  stop_sidecar
  expect "exit status" "$SC_RC" 0
  out=$("$POLARLITE" sidecar -n --db "$db" --brokers "$BROKERS" --topic ops -X socket.timeout.ms=5000)
  expect "-n: exit status" "$?" 0
  expect_match "-n: ok" "$out" 'configuration ok'
  "$POLARLITE" sidecar -n --db "$db" --brokers "$BROKERS" --topic ops -X no.such.setting=1 2>"$T/err"
  expect "-n with a bad -X: exit status" "$?" 2
  expect_match "-n with a bad -X names it" "$(cat "$T/err")" 'no.such.setting'
  "$POLARLITE" sidecar --db "$db" --topic ops 2>/dev/null
  expect "missing --brokers: usage error" "$?" 2
  stop_mock
}

# publish argument spelling and local checks.
test_publish_args() {
  start_mock args || return
  local db=$T/g.db tok
  publish args policy $POLICY >/dev/null
  publish args insert has_role User:a member Org:x >/dev/null
  publish args insert has_role User:b member Org:x >/dev/null
  publish args insert has_role User:b admin Org:y >/dev/null
  tok=$(publish args delete has_role User:b _ Org:_)
  start_sidecar "$db" args
  expect "polar_wait" "$(wait_token "$db" "$tok")" 1
  expect "wildcard delete" "$(sql "$db" "SELECT group_concat(a1) FROM polar_facts")" "User:a"
  publish args insert has_role User:a _ Org:x >/dev/null 2>"$T/err"
  expect "wildcard in insert refused" "$?" 1
  expect_match "says why" "$(cat "$T/err")" 'only allowed in delete'
  publish args insert has_role User:a b c d e f >/dev/null 2>"$T/err"
  expect "6 arguments refused" "$?" 1
  publish args insert has_role "User:$(printf 'y%.0s' $(seq 400))" member Org:x >/dev/null 2>"$T/err"
  expect "long id refused" "$?" 1
  expect_match "says the limit" "$(cat "$T/err")" '384'
  echo '[{"inserts": [' >"$T/bad.json"
  publish args batch "$T/bad.json" >/dev/null 2>"$T/err"
  expect "bad batch file refused" "$?" 1
  expect_match "bad batch names the file" "$(cat "$T/err")" 'bad\.json'
  stop_sidecar
  stop_mock
}

# publish checks facts against the policy the sidecars will apply them
# under, and sends nothing the policy refuses: from the last policy message
# on the topic, --policy FILE or --db FILE; --no-check sends anyway, and
# polar_wait on that token raises the sidecar's reason.
test_publish_checks() {
  start_mock chk || return
  local db=$T/chk.db tok out
  publish chk insert has_role User:a member Org:x >/dev/null 2>"$T/err"
  expect "facts before any policy: refused" "$?" 1
  expect_match "says to publish a policy first" "$(cat "$T/err")" 'no message yet: publish a policy first'
  publish chk policy $POLICY >/dev/null
  publish chk insert has_rol User:a member Org:x >/dev/null 2>"$T/err"
  expect "a typo in the predicate: refused" "$?" 1
  expect_match "names the predicate" "$(cat "$T/err")" "'has_rol'"
  expect_match "says the policy and that nothing was sent" "$(cat "$T/err")" \
    'refused by the policy published at 0:0; nothing was sent'
  publish chk insert has_role User:a member Orga:x >/dev/null 2>"$T/err"
  expect "an unknown type: refused" "$?" 1
  expect_match "names the type" "$(cat "$T/err")" "Orga"
  printf '[{"inserts": [{"predicate": "has_role", "args": [{"type": "User", "id": "a"}, {"type": "String", "id": "member"}]}]}]\n' >"$T/chk.json"
  publish chk batch "$T/chk.json" >/dev/null 2>"$T/err"
  expect "a batch with a wrong arity: refused" "$?" 1
  { echo '[{"inserts": [{"predicate": "has_role", "args": [{"type": "User", "id": "l1"}, {"type": "String", "id": "member"}, {"type": "Org", "id": "x"}]}]}]'
    echo '[{"inserts": [{"predicate": "has_rol", "args": [{"type": "User", "id": "l2"}, {"type": "String", "id": "member"}, {"type": "Org", "id": "x"}]}]}]'
  } >"$T/chk.jsonl"
  publish chk lines "$T/chk.jsonl" >/dev/null 2>"$T/err"
  expect "lines with one bad line: refused" "$?" 1
  expect_match "names the line" "$(cat "$T/err")" '^polarlite publish: line 2: '
  tok=$(publish chk insert has_role User:a member Org:x)
  expect "nothing refused entered the log" "$tok" 0:1
  # a later policy that renames a type: the log's last policy counts
  sed 's/Org/Team/g' $POLICY >"$T/team.polar"
  publish chk policy "$T/team.polar" >/dev/null
  publish chk insert has_role User:b member Org:x >/dev/null 2>"$T/err"
  expect "a type the last policy dropped: refused" "$?" 1
  tok=$(publish chk insert has_role User:b member Team:x)
  expect "the last policy's type: sent" "$tok" 0:3
  # --policy FILE and --db FILE
  publish chk --policy $POLICY insert has_role User:c member Team:x >/dev/null 2>"$T/err"
  expect "--policy: refused" "$?" 1
  expect_match "--policy: says which policy" "$(cat "$T/err")" "refused by the policy in $POLICY"
  tok=$(publish chk --policy $POLICY insert has_role User:c member Org:x)
  expect "--policy: sent" "$tok" 0:4
  start_sidecar "$db" chk
  expect "polar_wait" "$(wait_token "$db" 0:3)" 1
  # checked against an older policy than the log's: the sidecar refuses it,
  # and whoever waits on its token is told, not answered 1
  out=$(wait_token "$db" "$tok")
  expect_match "polar_wait on a refused message: an error naming it and why" "$out" \
    "polar_wait: the message at 0:4 was rejected by the sidecar: .*'Org'"
  publish chk --db "$db" insert has_role User:d member Org:x >/dev/null 2>"$T/err"
  expect "--db: refused" "$?" 1
  expect_match "--db: says which policy" "$(cat "$T/err")" "refused by the policy of $db"
  publish chk --db "$T/none.db" insert has_role User:d member Team:x >/dev/null 2>"$T/err"
  expect "--db of a file without a policy" "$?" 1
  publish chk --policy $POLICY --db "$db" insert has_role User:d member Org:x >/dev/null 2>"$T/err"
  expect "--policy with --db: usage error" "$?" 2
  # arguments are read as in SQL, by the policy's types: 'Org:x' is an Org
  # where a role String goes (refused as polar_insert refuses it), 'ops:lead'
  # (ops is no type) is the String, Org:acme the Org
  sed 's/roles = \["member", "admin"\]/roles = ["member", "admin", "ops:lead"]/' $POLICY >"$T/ops.polar"
  publish chk --policy "$T/ops.polar" insert has_role User:f Org:x Org:acme >/dev/null 2>"$T/err"
  expect "a typed value where a String goes: refused" "$?" 1
  expect_match "the same message as polar_insert" "$(cat "$T/err")" \
    "argument 2 is Org, where has_role/3 takes String \(for the text 'Org:x', write 'String:Org:x'\)"
  expect "the SQL path says the same" \
    "$(sql :memory: "SELECT polar_load(readfile('$T/ops.polar'))" \
        "SELECT polar_insert('has_role', 'User:f', 'Org:x', 'Org:acme')" 2>&1 |
       grep -c "argument 2 is Org, where has_role/3 takes String (for the text 'Org:x', write 'String:Org:x')")" 1
  tok=$(publish chk --policy "$T/ops.polar" insert has_role User:f ops:lead Org:acme)
  expect_match "ops:lead is a String" "$(kcat -C -b "$BROKERS" -t chk -p 0 -o "${tok#0:}" -c 1 -e -q)" \
    '\{"type":"String","id":"ops:lead"\},\{"type":"Org","id":"acme"\}'
  # --no-check sends it; the sidecar refuses it; polar_wait says so
  tok=$(publish chk --no-check insert has_rol User:e member Team:x)
  expect "--no-check: sent" "$tok" 0:6
  expect_match "polar_wait names the refusal" "$(wait_token "$db" "$tok")" \
    "polar_wait: the message at 0:6 was rejected by the sidecar: .*has_rol"
  stop_sidecar
  stop_mock
}

# publish to brokers that do not answer fails within seconds, saying why,
# without librdkafka's raw log lines.
test_publish_unreachable() {
  local t0 ms
  t0=$(date +%s%N)
  "$POLARLITE" publish --brokers 127.0.0.1:1 --topic x insert has_role User:a member Org:x \
    >/dev/null 2>"$T/err"
  expect "exit status" "$?" 1
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ "$ms" -lt 3000 ] || fail "took $ms ms to give up on a refused connection"
  expect_match "says it cannot reach the brokers, and why" "$(cat "$T/err")" \
    '^polarlite publish: cannot reach the brokers at 127\.0\.0\.1:1: .*Connection refused'
  expect "no raw librdkafka lines" "$(grep -c '^%[0-9]|' "$T/err")" 0
  expect "one line" "$(wc -l <"$T/err")" 1
}

# The command line: --version, help CMD, short usage errors.
test_cli() {
  local out n
  out=$("$POLARLITE" --version)
  expect_match "--version" "$out" '^polarlite [0-9]+\.[0-9]+\.[0-9]+ \(SQLite 3\.[0-9.]+, librdkafka [0-9.]+\)$'
  out=$("$POLARLITE" help publish)
  expect "help publish: status" "$?" 0
  expect "help publish = publish --help" "$out" "$("$POLARLITE" publish --help)"
  expect_match "help publish: the options" "$out" '--no-check'
  "$POLARLITE" help nosuch >/dev/null 2>"$T/err"
  expect "help of an unknown command" "$?" 2
  expect_match "names it" "$(cat "$T/err")" "unknown command 'nosuch'"
  expect_match "help: the commands" "$("$POLARLITE" help)" 'snapshot +publish a consistent'
  for cmd in "sidecar --db x.db" "publish --brokers h" "snapshot --db x.db" "restore --db x.db" \
             "status --bogus" "test" "sidecar --bogus"; do
    # shellcheck disable=SC2086
    "$POLARLITE" $cmd >/dev/null 2>"$T/err"
    expect "$cmd: usage error" "$?" 2
    n=$(wc -l <"$T/err")
    [ "$n" -le 4 ] || fail "$cmd: a usage error of $n lines: $(head -3 "$T/err")"
    expect_match "$cmd: the usage line" "$(cat "$T/err")" '^usage: polarlite '
    expect_match "$cmd: where the rest is" "$(cat "$T/err")" 'polarlite help [a-z]+: the full help'
  done
  expect_match "says what is missing" "$("$POLARLITE" snapshot --db x.db 2>&1)" \
    '^polarlite snapshot: --to is required'
}

# make install: the command where the sample systemd unit runs it, the
# extension, the docs and the unit with PREFIX's paths; DESTDIR stages it.
# make demo installs no npm package.
test_install() {
  local root=$T/root unit exe
  make -s install DESTDIR="$root" PREFIX=/usr/local >/dev/null 2>"$T/err" || fail "make install: $(cat "$T/err")"
  unit=$root/usr/local/share/doc/polarlite/polarlite-sidecar.service
  [ -f "$unit" ] || { fail "no sample unit installed"; return; }
  exe=$(sed -n 's|^ExecStart=\([^ ]*\) .*|\1|p' "$unit")
  expect "the unit runs" "$exe" /usr/local/bin/polarlite
  expect_match "the installed command runs" "$("$root$exe" --version)" '^polarlite [0-9]'
  expect "the installed extension loads" \
    "$(sqlite3 :memory: ".load $root/usr/local/lib/polarlite" "SELECT polar_now() > 0")" 1
  [ -f "$root/usr/local/share/doc/polarlite/values.md" ] || fail "docs/values.md not installed"
  make -s install DESTDIR="$root" PREFIX=/opt/pl >/dev/null 2>&1 || fail "make install PREFIX=/opt/pl"
  expect "PREFIX reaches the unit" \
    "$(sed -n 's|^ExecStart=\([^ ]*\) .*|\1|p' "$root/opt/pl/share/doc/polarlite/polarlite-sidecar.service")" \
    /opt/pl/bin/polarlite
  [ -x "$root/opt/pl/bin/polarlite" ] || fail "nothing in PREFIX/bin"
  expect "make demo installs no npm package" "$(make -n demo | grep -c npm)" 0
}

# polarlite check / test.
test_tools() {
  local out
  out=$("$POLARLITE" check $POLICY)
  expect "check ok" "$?:$out" "0:ok"
  printf 'actor User {}\nresource Org {\n  roles = ["a"];\n  "r" if "zz";\n}\n' >"$T/bad.polar"
  out=$("$POLARLITE" check "$T/bad.polar" 2>&1)
  expect "check bad: status" "$?" 1
  expect_match "check bad: file:line:col" "$out" 'bad\.polar:[0-9]+:[0-9]+: '
  out=$("$POLARLITE" test $POLICY)
  expect "test: status" "$?" 0
  expect_match "test: summary" "$out" '3 passed, 0 failed'
  sed 's/assert_not allow(User{"bob"}, "write"/assert allow(User{"bob"}, "write"/' $POLICY >"$T/failing.polar"
  out=$("$POLARLITE" test "$T/failing.polar")
  expect "test with a failing assertion: status" "$?" 1
  expect_match "test: the failure is shown" "$out" 'FAIL +admins write'
  expect_match "test: summary" "$out" '2 passed, 1 failed'
  out=$("$POLARLITE" check "$T/failing.polar" 2>&1)
  expect "check runs the tests like polar_load" "$?" 1
}

# polarlite explain: the polar_explain tree in a terminal or as JSON; exit
# 0 allowed, 1 denied, 2 usage or failure.
test_explain() {
  local db=$T/explain.db out
  sql "$db" "SELECT polar_load(readfile('$ROOT/sql/gitclub.polar'), 'gitclub.polar')" >/dev/null
  sql "$db" "SELECT polar_insert('has_role', 'User:alice', 'admin', 'Organization:acme')" \
            "SELECT polar_insert('has_relation', 'Repository:anvil', 'parent', 'Organization:acme')" >/dev/null
  out=$("$POLARLITE" explain --db "$db" User:alice push Repository:anvil)
  expect "allowed: status" "$?" 0
  expect_match "allowed: the fact" "$out" '^        \+ has_role\(User\{"alice"\}, "admin", Organization\{"acme"\}\)   \[fact\]'
  expect_match "allowed: a rule and where" "$out" '\[rule gitclub\.polar:35:3\] "push" if "maintainer";'
  expect_match "allowed: last line" "$out" 'allowed$'
  if printf '%s' "$out" | grep -q $'\033'; then fail "colour written to a pipe"; fi
  # on a terminal (script(1) gives it one): colour, unless NO_COLOR
  out=$(script -qec "$POLARLITE explain --db $db User:alice push Repository:anvil" /dev/null)
  printf '%s' "$out" | grep -q $'\033\\[32m+' || fail "no colour on a terminal"
  out=$(NO_COLOR=1 script -qec "$POLARLITE explain --db $db User:alice push Repository:anvil" /dev/null)
  if printf '%s' "$out" | grep -q $'\033'; then fail "colour with NO_COLOR"; fi
  out=$("$POLARLITE" explain --db "$db" User:bob push Repository:anvil)
  expect "denied: status" "$?" 1
  expect_match "denied: a rule tried" "$out" '- "push" if "maintainer";   \[tried gitclub\.polar:35:3\]'
  expect_match "denied: the missing fact" "$out" '- has_role\(User\{"bob"\}, "admin", Organization\{"acme"\}\)   \[missing\]'
  out=$("$POLARLITE" explain --db "$db" User:bob push Repository:anvil --json)
  expect "json: status" "$?" 1
  expect "json: valid, the answer" "$(printf '%s' "$out" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["allowed"], d["rows"][0]["depth"], d["rows"][0]["holds"])')" "False 0 0"
  out=$("$POLARLITE" explain --db "$db" User:bob read Repository:anvil --context \
    '[{"predicate":"has_role","args":[{"type":"User","id":"bob"},{"type":"String","id":"member"},{"type":"Organization","id":"acme"}]}]')
  expect "context: status" "$?" 0
  expect_match "context: shown as such" "$out" '\[context\]'
  "$POLARLITE" explain --db "$db" User:bob push >/dev/null 2>&1
  expect "usage: status" "$?" 2
  out=$("$POLARLITE" explain --db "$db" User:bob push Nope:x 2>&1)
  expect "bad value: status" "$?" 2
  expect_match "bad value: message" "$out" "unknown type 'Nope'"
  "$POLARLITE" explain --db "$T/missing.db" User:bob push Repository:anvil >/dev/null 2>&1
  expect "missing database: status" "$?" 2
  expect "explain writes nothing" "$(sql "$db" "SELECT count(*) FROM polar_facts")" 2
}

# --dev: publish -> apply -> authorize with the in-process mock cluster.
test_dev() {
  local db=$T/dev.db out=$T/dev.out tok i
  "$POLARLITE" sidecar --dev --db "$db" --topic demo >"$out" 2>"$db.log" 7>&- &
  SC_PID=$!
  PIDS+=("$SC_PID")
  for i in $(seq 100); do grep -q 'dev broker' "$out" && break; sleep 0.05; done
  BROKERS=$(sed -n 's/^dev broker: \([^ ]*\) .*/\1/p' "$out")
  expect_match "prints its broker" "$BROKERS" '^127\.0\.0\.1:[0-9]+'
  publish demo policy $POLICY >/dev/null
  tok=$(publish demo insert has_role User:ann admin Org:acme)
  expect "polar_wait" "$(wait_token "$db" "$tok")" 1
  expect "authorize" "$(sql "$db" "SELECT authorize('User:ann', 'write', 'Org:acme')")" 1
  stop_sidecar
  expect "exit status" "$SC_RC" 0
}

# start_dev DB: sidecar --dev on DB; sets SC_PID and BROKERS
start_dev() {
  local out=$1.out i
  : >"$out"
  "$POLARLITE" sidecar --dev --db "$1" --topic demo >"$out" 2>>"$1.log" 7>&- &
  SC_PID=$!
  PIDS+=("$SC_PID")
  for i in $(seq 100); do grep -q 'dev broker' "$out" && break; sleep 0.05; done
  BROKERS=$(sed -n 's/^dev broker: \([^ ]*\) .*/\1/p' "$out")
}

# --dev started again on its database: the old log is gone with its
# process; the database keeps its facts and policy, the new log starts with
# that policy (so publish can check against it), and apply goes on. A
# database fed from a real log is refused, not silently cut loose.
test_dev_restart() {
  local db=$T/devr.db tok
  start_dev "$db"
  publish demo policy $POLICY >/dev/null
  publish demo insert has_role User:ann admin Org:acme >/dev/null
  tok=$(publish demo insert has_role User:bob member Org:acme)
  expect "polar_wait" "$(wait_token "$db" "$tok")" 1
  stop_sidecar
  start_dev "$db"
  tok=$(publish demo insert has_role User:cat admin Org:acme)
  expect "publish after the restart" "$tok" 0:1
  expect "polar_wait after the restart" "$(wait_token "$db" "$tok" 5000)" 1
  expect "the old facts are kept" "$(sql "$db" "SELECT authorize('User:ann', 'write', 'Org:acme'), authorize('User:bob', 'read', 'Org:acme')")" "1|1"
  expect "the new fact applied" "$(sql "$db" "SELECT authorize('User:cat', 'write', 'Org:acme')")" 1
  stop_sidecar
  expect "exit status" "$SC_RC" 0
  expect_match "the restart is logged" "$(cat "$db.log")" 'event=dev_restart'
  # a database a real log fed
  start_mock real || return
  publish real policy $POLICY >/dev/null
  tok=$(publish real insert has_role User:a member Org:x)
  start_sidecar "$T/real.db" real
  expect "polar_wait" "$(wait_token "$T/real.db" "$tok")" 1
  stop_sidecar
  stop_mock
  "$POLARLITE" sidecar --dev --db "$T/real.db" >/dev/null 2>"$T/err"
  expect "--dev on a database of a real log: refused" "$?" 1
  expect_match "says why" "$(cat "$T/err")" 'fed from a Kafka log .*give --dev a database of its own'
  expect "its position is kept" "$(meta "$T/real.db" log_offset)" 1
}

# /metrics values are plain numbers: integers, or at most three decimals
# (a snapshot age of 1.59 s once read 1.5900000000000001).
test_metrics_numbers() {
  start_mock mnum || return
  local db=$T/mnum.db src=$T/mnum-src.db port out
  sql "$src" "SELECT polar_load(readfile('$POLICY'))" >/dev/null
  mkdir -p "$T/mnum-snaps"
  "$POLARLITE" snapshot --db "$src" --to "file://$T/mnum-snaps" >/dev/null || fail "snapshot"
  sleep 0.3
  "$POLARLITE" sidecar --db "$db" --brokers "$BROKERS" --topic mnum --metrics 127.0.0.1:0 \
    --snapshots "file://$T/mnum-snaps" --log-file "$T/mnum.log" 7>&- &
  SC_PID=$!
  PIDS+=("$SC_PID")
  for _ in $(seq 100); do grep -q 'event=metrics_listening' "$T/mnum.log" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/.*event=metrics_listening .*port=\([0-9]*\).*/\1/p' "$T/mnum.log")
  for _ in $(seq 100); do
    out=$(curl -s "http://127.0.0.1:$port/metrics")
    printf '%s' "$out" | grep -q snapshot_age && break
    sleep 0.1
  done
  expect_match "a snapshot age" "$out" 'polarlite_snapshot_age_seconds [0-9]'
  # the age changes every millisecond: many samples meet many values
  for _ in $(seq 20); do
    curl -s "http://127.0.0.1:$port/metrics" | grep -v '^#' >>"$T/mnum.samples"
    sleep 0.05
  done
  expect "every sample is an integer or has at most 3 decimals" \
    "$(grep -Ev '^[a-z_]+ -?[0-9]+(\.[0-9]{1,3})?$' "$T/mnum.samples" | head -3)" ""
  stop_sidecar
  stop_mock
}

ALL="publish_apply_authorize status rejected halt_on_reject policy_message crash_exactly_once
     wal_bounded sigterm broker_faults stop_during_outage watermark_errors position_lost operations
     publish_args publish_checks publish_unreachable cli install tools explain dev dev_restart
     metrics_numbers"
pass=0
failn=0
for t in ${@:-$ALL}; do
  FAILED=0
  start=$(date +%s%N)
  echo "== $t"
  "test_$t"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  secs="$((ms / 1000)).$(( (ms % 1000) / 100 ))"
  if [ $FAILED -eq 0 ]; then
    echo "ok   $t (${secs}s)"
    pass=$((pass + 1))
  else
    echo "FAIL $t (${secs}s)"
    failn=$((failn + 1))
    for f in "$T"/*.log; do [ -f "$f" ] && { echo "    --- $f"; tail -5 "$f" | sed 's/^/    /'; }; done
  fi
done
echo "$pass passed, $failn failed"
[ $failn -eq 0 ]
