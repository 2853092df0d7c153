#!/usr/bin/env bash
# tests/serve/run.sh — every test of `polarlite serve` (make servetest):
#   sdk.mjs      the official Node SDK (oso-cloud 2.6.0, pinned in
#                package-lock.json) against a node that writes its own file;
#   cells.mjs    the SDK against an edge node fed by librdkafka's mock Kafka
#                cluster (read-your-writes) and a fallback node fed by
#                snapshots, the edge killed mid-run;
#   hostile.py   malformed requests, oversize bodies and headers, keys, slow
#                clients, 10k idle connections, deadlines, drain.
# Extra arguments select tests by name substring. POLARLITE=/path uses that
# binary (make sanitize). KEEP_WORKDIR=1 keeps a failed run's files. Each
# file closes with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

POLARLITE=${POLARLITE:-$PWD/polarlite}
export POLARLITE
[ -x "$POLARLITE" ] || { echo "serve tests: build first (make all)" >&2; exit 1; }
[ -x build/sidecartest/mockbroker ] || { echo "serve tests: build first (make mockbroker)" >&2; exit 1; }
[ -d tests/serve/node_modules/oso-cloud ] ||
  { echo "serve tests: oso-cloud missing; run scripts/install-deps.sh" >&2; exit 1; }

rc=0
for t in sdk.mjs cells.mjs; do
  echo "== tests/serve/$t"
  node "tests/serve/$t" "$@" || rc=1
done
echo "== tests/serve/hostile.py"
/usr/bin/python3 tests/serve/hostile.py "$@" || rc=1
exit $rc
