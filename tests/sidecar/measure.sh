#!/usr/bin/env bash
# Sidecar performance (a measurement, not a test; run by hand):
#   1. apply rate: a backlog of FACTS facts (PER_MSG per message) applied by
#      `polarlite sidecar` while a reader runs authorize in a loop;
#   2. replica lag: publish -> visible to a reader, p50/p99, at RATE facts/s.
# Broker: librdkafka's mock cluster on loopback (tests/sidecar/mockbroker.c).
#
#   tests/sidecar/measure.sh [FACTS [PER_MSG [RATE [SECONDS]]]]
#                            defaults: 300000 100 10000 20
# SIDECAR_OPTS="..." adds sidecar options; KEEP_LOGS=DIR keeps its logs.
# READER_RATE=N paces the reader to about N checks/s (default: flat out, which
# takes a whole core of a 2-core machine).
# The mock keeps about 5 MB of log per partition; the backlog is published
# lz4-compressed so that 300k facts fit.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
FACTS=${1:-300000}
PER=${2:-100}
RATE=${3:-10000}
SECS=${4:-20}
if [ -z "${POLARLITE:-}" ]; then make -s polarlite libpolarlite.a; else make -s libpolarlite.a; fi
mkdir -p build/sidecartest
cc -O2 -g -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE -o build/sidecartest/mockbroker \
  tests/sidecar/mockbroker.c -lrdkafka
cc -O2 -g -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE -o build/sidecartest/measure \
  tests/sidecar/measure.c libpolarlite.a -lsqlite3 -lrdkafka -lpthread -lm
P=${POLARLITE:-$ROOT/polarlite}
M=build/sidecartest/measure
T=$(mktemp -d /tmp/polarlite-measure.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$T"' EXIT

mkfifo "$T/ctl"
build/sidecartest/mockbroker rate lag <"$T/ctl" >"$T/mock.out" 2>/dev/null &
pids+=($!)
exec 7>"$T/ctl"
for _ in $(seq 100); do [ -s "$T/mock.out" ] && break; sleep 0.05; done
B=$(head -1 "$T/mock.out")

echo "== apply rate: $FACTS facts, $PER per message, reader running"
"$P" publish --brokers "$B" --topic rate policy tests/sidecar/policy.polar >/dev/null
last=$("$M" backlog "$B" rate "$FACTS" "$PER")
"$P" sidecar --db "$T/rate.db" --brokers "$B" --topic rate ${SIDECAR_OPTS:-} 2>"$T/rate.log" 7>&- &
sc=$!
pids+=($sc)
"$M" apply "$T/rate.db" "$FACTS" "$last"
kill -TERM $sc; wait $sc || true

echo "== lag: $RATE facts/s, $PER per message, $SECS s, reader running"
"$P" publish --brokers "$B" --topic lag policy tests/sidecar/policy.polar >/dev/null
"$P" sidecar --db "$T/lag.db" --brokers "$B" --topic lag ${SIDECAR_OPTS:-} 2>"$T/lag.log" 7>&- &
sc=$!
pids+=($sc)
"$M" lag "$B" lag "$T/lag.db" "$RATE" "$PER" "$SECS"
kill -TERM $sc; wait $sc || true
[ -z "${KEEP_LOGS:-}" ] || cp "$T"/*.log "$KEEP_LOGS"/
