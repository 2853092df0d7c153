#!/usr/bin/env bash
# The soak and fault test (tests/soak/README.md): `make soak`, not part of
# `make test`.
#
#   tests/soak/run.sh                   SOAK_SECONDS (default 1200) of it
#   SOAK_SECONDS=60 tests/soak/run.sh   a one-minute smoke run
#
# Builds what it needs (polarlite, the mock broker, the producer), then runs
# tests/soak/soak.py, which prints progress every 30 s and one summary line;
# exit status 1 on any failure (the work directory is then kept).
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s polarlite polarlite.so >/dev/null
for tool in kcat /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "soak: missing $tool (make deps)"; exit 1; }
done
mkdir -p build/soak
CFLAGS_T="-O2 -g -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE"
if [ ! -x build/soak/mockbroker ] || [ tests/sidecar/mockbroker.c -nt build/soak/mockbroker ]; then
  cc $CFLAGS_T -o build/soak/mockbroker tests/sidecar/mockbroker.c -lrdkafka
fi
if [ ! -x build/soak/producer ] || [ tests/soak/producer.c -nt build/soak/producer ]; then
  cc $CFLAGS_T -o build/soak/producer tests/soak/producer.c -lrdkafka
fi
export MOCK=$PWD/build/soak/mockbroker PRODUCER=$PWD/build/soak/producer
exec /usr/bin/python3 tests/soak/soak.py
