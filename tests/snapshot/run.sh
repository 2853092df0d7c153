#!/usr/bin/env bash
# tests/snapshot/run.sh — every snapshot test (make snapshottest).
#
# Builds loop_driver (the sidecar's snapshot loops on their own) from the
# sidecar sources, then runs test_snapshot.py, which starts s3rver and the
# botocore signature-checking proxy on loopback and stops them on exit.
# Extra arguments select tests by name substring. KEEP_WORKDIR=1 keeps the
# work directory of a failed run. Closes with "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/../.."

[ -x polarlite ] && [ -f polarlite.so ] || { echo "snapshot tests: build first (make all)" >&2; exit 1; }
[ -x tests/snapshot/node_modules/.bin/s3rver ] ||
  { echo "snapshot tests: s3rver missing; run scripts/install-deps.sh" >&2; exit 1; }
/usr/bin/python3 -c 'import botocore' 2>/dev/null ||
  { echo "snapshot tests: python3-botocore missing; run scripts/install-deps.sh" >&2; exit 1; }

out=build/tests
mkdir -p "$out"
srcs=(tests/snapshot/loop_driver.c sidecar/snapshot_*.c sidecar/store*.c sidecar/manifest.c
      sidecar/sha256.c sidecar/log.c)
if [ ! -x "$out/loop_driver" ] || [ -n "$(find "${srcs[@]}" sidecar/*.h -newer "$out/loop_driver")" ]; then
  ${CC:-cc} -O2 -g -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE -Isidecar -o "$out/loop_driver" \
    "${srcs[@]}" -lsqlite3 -lcurl -lcrypto -lpthread
fi

LOOP_DRIVER="$PWD/$out/loop_driver" exec /usr/bin/python3 tests/snapshot/test_snapshot.py "$@"
