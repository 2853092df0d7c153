#!/usr/bin/env node
// apply.mjs — the sidecar's apply rate and replica lag for `make bench`,
// measured by the sidecar's own harness (tests/sidecar/measure.sh: the
// `polarlite sidecar` binary against librdkafka's mock cluster over TCP on
// loopback, a reader connection running authorize on the same file).
//
//   node apply.mjs --size N --json FILE [--runs R]
//
// Each run of measure.sh publishes a backlog of FACTS facts (100 per
// message) and times the sidecar applying it while the reader runs flat out
// (one core of a 2-core machine), then publishes at 10k facts/s for SECONDS
// and times publish -> visible for every message. FACTS is the run's size,
// at least 100000 and at most 300000 (the mock broker keeps about 5 MB of
// log per partition);
// SECONDS is 20 from 1M facts up, 10 below. The figures are medians over
// the runs (3 from 1M facts up, 1 below); one more run paces the reader at
// 1000 checks/s, for comparison. The sidecar applies into a new database
// holding the harness's one-resource policy (tests/sidecar/policy.polar).

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const MEASURE = resolve(HERE, '..', 'tests', 'sidecar', 'measure.sh');

const args = process.argv.slice(2);
let size = Number(process.env.BENCH_SIZE || 1000000), json = null, runs = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--size') size = Number(args[++i]);
  else if (args[i] === '--json') json = args[++i];
  else if (args[i] === '--runs') runs = Number(args[++i]);
  else { console.error('usage: node apply.mjs --size N --json FILE [--runs R]'); process.exit(2); }
}
const big = size >= 1000000;
// at least 100k facts, so that even the quick version measures a few
// seconds of sustained apply rather than one burst
const facts = Math.min(Math.max(size, 100000), 300000), perMsg = 100, rate = 10000, secs = big ? 20 : 10;
runs = runs || (big ? 3 : 1);

// "apply: 300000 facts in 9.79 s = 30641 facts/s (offsets 367..3000), reader: 1020104 checks (104188/s), 0 errors"
const APPLY = /^apply: (\d+) facts in ([\d.]+) s = (\d+) facts\/s .*reader: (\d+) checks \((\d+)\/s\), (\d+) errors/m;
// "lag at 10000 facts/s (...) for 20 s: 2000 messages, publish->visible p50 11.5 ms, p99 41.1 ms, max 55.8 ms; reader: ..."
const LAG = /^lag at (\d+) facts\/s .* for (\d+) s: (\d+) messages, publish->visible p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms; reader: (\d+) checks, (\d+) errors/m;

function once(readerRate) {
  const env = { ...process.env };
  delete env.READER_RATE;
  if (readerRate) env.READER_RATE = String(readerRate);
  const t0 = Date.now();
  const p = spawnSync(MEASURE, [String(facts), String(perMsg), String(rate), String(secs)],
                      { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  const out = `${p.stdout || ''}${p.stderr || ''}`;
  process.stdout.write(p.stdout || '');
  if (p.status !== 0) throw new Error(`${MEASURE} exited ${p.status ?? p.signal}: ${out.trim().split('\n').slice(-3).join(' | ')}`);
  const a = APPLY.exec(out), l = LAG.exec(out);
  if (!a || !l) throw new Error(`cannot read the output of ${MEASURE}: ${out.trim().split('\n').slice(-2).join(' | ')}`);
  return {
    reader_rate: readerRate || 'flat out', seconds: (Date.now() - t0) / 1000,
    apply: { facts: +a[1], seconds: +a[2], facts_per_s: +a[3], reader_checks: +a[4], reader_checks_per_s: +a[5], reader_errors: +a[6] },
    lag: { facts_per_s: +l[1], seconds: +l[2], messages: +l[3], p50_ms: +l[4], p99_ms: +l[5], max_ms: +l[6], reader_checks: +l[7], reader_errors: +l[8] },
  };
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

let result;
try {
  const all = [];
  for (let r = 0; r < runs; r++) {
    console.log(`-- run ${r + 1} of ${runs}: reader flat out`);
    all.push(once(0));
  }
  console.log('-- one more run: reader paced at 1000 checks/s');
  const paced = once(1000);
  result = {
    harness: 'tests/sidecar/measure.sh (polarlite sidecar, librdkafka mock cluster over TCP on loopback)',
    backlog_facts: facts, facts_per_message: perMsg, runs,
    apply_facts_per_s: median(all.map((x) => x.apply.facts_per_s)),
    reader_checks_per_s: median(all.map((x) => x.apply.reader_checks_per_s)),
    lag_rate_facts_per_s: rate, lag_seconds: secs,
    lag_p50_ms: median(all.map((x) => x.lag.p50_ms)),
    lag_p99_ms: median(all.map((x) => x.lag.p99_ms)),
    lag_max_ms: median(all.map((x) => x.lag.max_ms)),
    apply_facts_per_s_reader_1000: paced.apply.facts_per_s,
    lag_p99_ms_reader_1000: paced.lag.p99_ms,
    reader_errors: all.concat([paced]).reduce((s, x) => s + x.apply.reader_errors + x.lag.reader_errors, 0),
    all_runs: all.concat([paced]),
  };
  console.log(`apply ${result.apply_facts_per_s} facts/s (median of ${runs}, reader flat out; ` +
              `${result.apply_facts_per_s_reader_1000} with the reader at 1000/s); lag at ${rate} facts/s ` +
              `p50 ${result.lag_p50_ms} ms, p99 ${result.lag_p99_ms} ms`);
} catch (err) {
  result = { not_measured: String(err.message || err) };
  console.log(`sidecar apply not measured: ${result.not_measured}`);
}
if (json) writeFileSync(json, JSON.stringify(result, null, 1) + '\n');
process.exit(result.not_measured ? 1 : 0);
