#!/usr/bin/env bash
# tests/snapshot/run.sh — every snapshot test (make snapshottest):
# test_snapshot.py (polarlite snapshot/restore) and test_sidecar_snapshots.py
# (the sidecar's --snapshots, --snapshot-every and --fallback, with the mock
# Kafka cluster). Each starts s3rver and the botocore signature-checking
# proxy on loopback and stops them on exit.
# Extra arguments select tests by name substring. KEEP_WORKDIR=1 keeps the
# work directory of a failed run. Each file closes with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."

[ -x polarlite ] && [ -f polarlite.so ] || { echo "snapshot tests: build first (make all)" >&2; exit 1; }
[ -x build/sidecartest/mockbroker ] || { echo "snapshot tests: build first (make mockbroker)" >&2; exit 1; }
[ -x tests/snapshot/node_modules/.bin/s3rver ] ||
  { echo "snapshot tests: s3rver missing; run scripts/install-deps.sh" >&2; exit 1; }
/usr/bin/python3 -c 'import botocore' 2>/dev/null ||
  { echo "snapshot tests: python3-botocore missing; run scripts/install-deps.sh" >&2; exit 1; }

rc=0
for t in tests/snapshot/test_snapshot.py tests/snapshot/test_sidecar_snapshots.py; do
  echo "== $t"
  /usr/bin/python3 "$t" "$@" || rc=1
done
exit $rc
