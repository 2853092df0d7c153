#!/usr/bin/env node
// report.mjs — the summary of `make bench`: reads data/results-engine-N.json
// (bench_engine), data/results-peers-N.json (peers/bench_peers.mjs),
// data/results-apply-N.json, data/results-restore-N.json and
// data/results-serve-N.json (other harnesses), prints one table against the SPEC bars and writes
// bench-results.json.
//
//   node report.mjs [--size N] [--out bench-results.json]
//   node report.mjs --plot-data FILE SIZE...   (the data of `make plot`)
//
// Headline keys (bench-results.json), over the RBAC and 3-level ReBAC rows
// (allowed and denied, 6 rows) — the checks the SPEC's authorize bar names:
//   authorize_p50_us, authorize_p99_us  the worst row's p50 / p99 (C, in process)
//   floor_ratio    worst polarlite p50 / hand-written SQL p50, same run (C)
//   oso_ratio, spicedb_ratio  worst polarlite p50 / peer p50, all three
//                  called from one Node process (polarlite via better-sqlite3)
//   list_10k_ms    polar_list returning ~10k ids (Issue through repo and org), p50
//   apply_facts_per_s, restore_1m_s  from the sidecar and snapshot harnesses
//   serve_requests_per_s, serve_p99_ms  polarlite serve, POST /api/authorize
//                  from wrk on loopback, 16 keep-alive connections (serve.mjs);
//                  serve_in_process_ratio: over the same checks in process
// Ratios: smaller is better for polarlite; the ≥50× bar means ≤ 0.02.

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, release } from 'node:os';

const HERE = dirname(fileURLToPath(import.meta.url));
const HEAD = ['rbac_repo_read', 'rebac_issue_read', 'rebac_issue_close'];
const PLOT_ROWS = [...HEAD, 'global_repo_delete'];

const readJson = (f) => {
  try { return JSON.parse(readFileSync(resolve(HERE, f), 'utf8')); } catch { return null; }
};
const max = (a) => (a.length ? Math.max(...a) : null);
const geomean = (a) => (a.length ? Math.exp(a.reduce((s, x) => s + Math.log(x), 0) / a.length) : null);
const fix = (x, d = 2) => (x == null ? null : Number(x.toFixed(d)));

function engineRows(eng, checks) {
  return (eng ? eng.measures : []).filter((m) => m.kind === 'authorize' && checks.some((c) => m.name.startsWith(`${c}.`)));
}
function peerRows(peers, checks) {
  return (peers ? peers.checks : []).filter((r) => checks.includes(r.name.split('.')[0]));
}
function peerP50s(rows, name) {
  return rows.map((r) => r.engines[name]).filter((s) => s && s.n).map((s) => s.p50);
}

// The other harnesses: a number, or why there is none.
function other(file, key, unit) {
  const j = readJson(file);
  if (!j) return { value: null, why: `no result (${file} missing or not JSON)` };
  const v = j[key];
  if (typeof v === 'number') return { value: v, detail: j };
  return { value: null, why: j.not_measured || `${file} has no ${key}`, detail: j, unit };
}

function summary(size) {
  const eng = readJson(`data/results-engine-${size}.json`);
  const peers = readJson(`data/results-peers-${size}.json`);
  const out = { facts: eng ? eng.facts : peers ? peers.facts : size, seed: eng ? eng.seed : 42 };
  const er = engineRows(eng, HEAD);
  const pr = peerRows(peers, HEAD);
  out.authorize_p50_us = fix(max(er.map((m) => m.polarlite_us.p50)));
  out.authorize_p99_us = fix(max(er.map((m) => m.polarlite_us.p99)));
  out.floor_ratio = fix(max(er.map((m) => m.ratio_p50)), 3);
  const ratio = (name) => {
    const rs = pr.map((r) => r.ratio && r.ratio[name]).filter((x) => x != null);
    return rs.length ? fix(max(rs), 4) : null;
  };
  out.oso_ratio = ratio('oso');
  out.spicedb_ratio = ratio('spicedb');
  // the same with polarlite measured in the same process before the peers
  // started (their runtimes then no longer share the cores with it)
  const ratioAlone = (name) => {
    const rs = pr.map((r) => r.ratio_alone && r.ratio_alone[name]).filter((x) => x != null);
    return rs.length ? fix(max(rs), 4) : null;
  };
  out.oso_ratio_polarlite_alone = ratioAlone('oso');
  out.spicedb_ratio_polarlite_alone = ratioAlone('spicedb');
  const l10k = eng && eng.measures.find((m) => m.name === 'list_issue_10k');
  out.list_10k_ms = l10k ? fix(l10k.polarlite_ms.p50) : null;
  const apply = other(`data/results-apply-${size}.json`, 'apply_facts_per_s');
  const restore = other(`data/results-restore-${size}.json`, 'restore_new_s');
  out.apply_facts_per_s = apply.value;
  out.apply_lag_p50_ms = apply.value != null ? apply.detail.lag_p50_ms : null;
  out.apply_lag_p99_ms = apply.value != null ? apply.detail.lag_p99_ms : null;
  // restore: the slower of a restore into a new file and into a live one
  const r = restore.detail;
  out.restore_s = restore.value != null ? fix(Math.max(r.restore_new_s, r.restore_live_s)) : null;
  out.restore_facts = restore.value != null ? r.facts : null;
  out.snapshot_s = restore.value != null ? fix(r.snapshot_s) : null;
  out.snapshot_mb = restore.value != null ? fix(r.snapshot_bytes / 1e6, 1) : null;
  out.restore_1m_s = out.restore_facts === 1000000 ? out.restore_s : null;
  const serve = other(`data/results-serve-${size}.json`, 'requests_per_s');
  out.serve_requests_per_s = serve.value;
  out.serve_p50_ms = serve.value != null ? serve.detail.p50_ms : null;
  out.serve_p99_ms = serve.value != null ? serve.detail.p99_ms : null;
  out.serve_p999_ms = serve.value != null ? serve.detail.p999_ms : null;
  out.serve_in_process_ratio = serve.value != null ? serve.detail.in_process_ratio ?? null : null;
  out.not_measured = {};
  if (apply.value == null) out.not_measured.apply_facts_per_s = apply.why;
  if (restore.value == null) out.not_measured.restore_1m_s = restore.why;
  if (serve.value == null) out.not_measured.serve_requests_per_s = serve.why;
  else if (out.restore_1m_s == null) {
    out.not_measured.restore_1m_s = `this run has ${out.restore_facts} facts: restore_s (${out.restore_s} s) is ` +
      `the restore of a ${out.restore_facts}-fact snapshot; restore_1m_s comes from a run of 1000000 facts`;
  }
  for (const [k, p] of [['oso_ratio', 'oso'], ['spicedb_ratio', 'spicedb']]) {
    if (out[k] != null) continue;
    const st = peers && peers.engines[p];
    out.not_measured[k] = !peers ? 'the peers benchmark did not run' : st && !st.ok ? st.why : 'no rows';
  }
  out.machine = machine();
  out.detail = {
    headline_rows: er.map((m) => m.name),
    engine: eng ? eng.measures : null,
    peers: peers ? { engines: peers.engines, checks: peers.checks, actions: peers.actions, lists: peers.lists } : null,
    apply: apply.detail || null,
    restore: restore.detail || null,
    serve: serve.detail || null,
    geomean_p50_us: {
      polarlite_c: fix(geomean(engineRows(eng, PLOT_ROWS).map((m) => m.polarlite_us.p50))),
      floor_c: fix(geomean(engineRows(eng, PLOT_ROWS).map((m) => m.floor_us.p50))),
      polarlite_node: fix(geomean(peerP50s(peerRows(peers, PLOT_ROWS), 'polarlite'))),
      oso: fix(geomean(peerP50s(peerRows(peers, PLOT_ROWS), 'oso'))),
      spicedb: fix(geomean(peerP50s(peerRows(peers, PLOT_ROWS), 'spicedb'))),
    },
  };
  out.measures = measureRows(eng, peers);
  out.bars = bars(out, eng);
  out.ok = (!eng || eng.ok) && (!peers || !peers.mismatches) && !(serve.detail && serve.detail.wrong);
  return { out, eng, peers };
}

// Every measure as one flat row: p50/p90/p99 (unit given), calls per second
// on one thread and, where measured, on two; ratios against the floor and
// the peers (polarlite's p50 over theirs).
function measureRows(eng, peers) {
  const rows = [];
  const ms = eng ? eng.measures : [];
  const par = (name) => ms.find((m) => m.kind === 'parallel' && m.name === `parallel.${name}`);
  const peerCheck = (n) => peers && peers.checks.find((r) => r.name === n);
  const stat = (s) => (s ? { p50: fix(s.p50, 3), p90: fix(s.p90, 3), p99: fix(s.p99, 3) } : null);
  for (const m of ms) {
    if (m.kind === 'authorize' || m.kind === 'actions') {
      const base = m.kind === 'actions' ? 'actions_repo' : m.name.replace(/\.(allow|deny)$/, '');
      const p = par(base);
      const pr = m.kind === 'actions' ? peers && peers.actions : peerCheck(m.name);
      rows.push({
        name: m.name, label: `${m.label}${m.kind === 'authorize' ? (m.name.endsWith('.allow') ? ', allowed' : ', denied') : ''}`,
        unit: 'us', polarlite: stat(m.polarlite_us), floor: stat(m.floor_us),
        calls_per_s_1_thread: m.polarlite_calls_per_s || null,
        // allowed and denied inputs mixed on the thread runs
        calls_per_s_threads: p ? { one: p.threads1_calls_per_s, two: p.threads2_calls_per_s } : null,
        latency_2_threads: p ? stat(p.threads2_us) : null,
        x_floor: fix(m.ratio_p50, 3),
        x_oso: pr && pr.ratio && pr.ratio.oso != null ? fix(pr.ratio.oso, 5) : null,
        x_spicedb: pr && pr.ratio && pr.ratio.spicedb != null ? fix(pr.ratio.spicedb, 6) : null,
        peers_us: pr ? Object.fromEntries(Object.entries(pr.engines).filter(([, v]) => v && v.n).map(([k, v]) => [k, stat(v)])) : null,
        bar: m.bar || null, bar_met: m.bar_met ?? null,
      });
    } else if (m.kind === 'list') {
      const p = par(m.name);
      const pl = peers && peers.lists.find((l) => l.name === m.name);
      rows.push({
        name: m.name, label: `${m.label}: ${m.count} ids`, unit: 'ms', ids: m.count,
        polarlite: stat(m.polarlite_ms), floor: stat(m.floor_ms),
        calls_per_s_1_thread: m.polarlite_ms.mean > 0 ? fix(1000 / m.polarlite_ms.mean, 1) : null,
        calls_per_s_threads: p ? { one: p.threads1_calls_per_s, two: p.threads2_calls_per_s } : null,
        latency_2_threads: p ? { p50: fix(p.threads2_us.p50 / 1000, 3), p90: fix(p.threads2_us.p90 / 1000, 3), p99: fix(p.threads2_us.p99 / 1000, 3) } : null,
        x_floor: fix(m.ratio_p50, 3), x_oso: null,
        x_spicedb: pl && pl.ratio && pl.ratio.spicedb != null ? fix(pl.ratio.spicedb, 6) : null,
        bar: m.name === 'list_issue_10k' ? m.bar : null, bar_met: m.name === 'list_issue_10k' ? m.bar_met : null,
      });
    } else if (m.kind === 'policy_load') {
      rows.push({ name: m.name, label: m.label, unit: 'ms', polarlite: stat(m.ms), n: m.ms.n, bar: m.bar, bar_met: m.bar_met });
    } else if (m.kind === 'load_facts') {
      rows.push({ name: m.name, label: m.label, unit: 'facts/s', facts_per_s: m.facts_per_s, seconds: m.seconds });
    }
  }
  return rows;
}

// The SPEC bars ("Performance"): what was measured, met or not, and by how
// much (measured / bar; for the peers, how many times faster).
function bars(out, eng) {
  const ms = eng ? eng.measures : [];
  const fold = ms.filter((m) => m.kind === 'authorize' && m.name.startsWith('folder10_read.'));
  // the load into 20 fresh databases (the first load into the run's file
  // database is a single sample with file creation and syncs: shown in the
  // note)
  const load = ms.filter((m) => m.kind === 'policy_load' && m.name === 'policy_load.fresh');
  const first = ms.find((m) => m.kind === 'policy_load' && m.name.startsWith('policy_load.') &&
                        m.name !== 'policy_load.fresh' && m.name !== 'policy_load.reload');
  const b = [];
  const add = (bar, value, unit, limit, higherIsBetter = false, note = null) => {
    if (value == null) { b.push({ bar, measured: null, met: null, note }); return; }
    const met = higherIsBetter ? value >= limit : value <= limit;
    b.push({ bar, measured: fix(value, 4), unit, met, by: fix(higherIsBetter ? limit / value : value / limit, 2), note });
  };
  add('authorize RBAC/ReBAC p50 <= 10 us (worst row)', out.authorize_p50_us, 'us', 10);
  add('authorize RBAC/ReBAC p99 <= 40 us (worst row)', out.authorize_p99_us, 'us', 40);
  add('authorize RBAC/ReBAC <= 1.5x the hand-written SQL (worst row)', out.floor_ratio, 'x', 1.5);
  add('authorize through 10 nested folders p50 <= 50 us (worst of allowed/denied)',
      fold.length ? max(fold.map((m) => m.polarlite_us.p50)) : null, 'us', 50);
  add('>= 50x faster than oso (ratio <= 0.02, worst RBAC/ReBAC row, side by side)', out.oso_ratio, 'ratio', 0.02);
  add('>= 50x faster than SpiceDB (ratio <= 0.02, worst RBAC/ReBAC row, side by side)', out.spicedb_ratio, 'ratio', 0.02);
  add('list of 10k ids through a hierarchy <= 20 ms, complete', out.list_10k_ms, 'ms', 20);
  add('policy load (GitClub) <= 5 ms', load.length ? max(load.map((m) => m.ms.p50)) : null, 'ms', 5, false,
      `p50 of 20 first loads into fresh databases${first ? `; into this run's file database: ${fix(first.ms.p50)} ms, one sample` : ''}`);
  add('sidecar apply >= 100k facts/s with readers running', out.apply_facts_per_s, 'facts/s', 100000, true,
      'median, one reader running authorize flat out on the same file');
  add('replica lag p99 <= 100 ms at 10k facts/s', out.apply_lag_p99_ms, 'ms', 100);
  add('restore of a 1M-fact snapshot from loopback S3 <= 5 s', out.restore_1m_s, 's', 5, false,
      out.restore_1m_s == null && out.restore_s != null ? `this run: ${out.restore_facts} facts in ${out.restore_s} s` : null);
  const sv = 'wrk on loopback, 16 keep-alive connections, RBAC/ReBAC half allowed; goal 50k/s with p99 <= 1 ms';
  add('polarlite serve POST /api/authorize >= 20k requests/s', out.serve_requests_per_s, 'requests/s', 20000, true, sv);
  add('polarlite serve POST /api/authorize p99 <= 5 ms', out.serve_p99_ms, 'ms', 5, false, sv);
  return b;
}

function machine() {
  let model = cpus()[0] ? cpus()[0].model : '?';
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1];
  } catch { /* not Linux */ }
  return { cpus: cpus().length, cpu_model: model, kernel: release(), node: process.version };
}

// ------------------------------------------------------------ the table ---
// A peer ratio as "ratio (Nx)", N = how many times faster polarlite was;
// with the ratio against polarlite measured alone after a slash.
function peerCell(r, alone) {
  if (r == null) return '-';
  const one = (x) => `${x < 0.01 ? x.toPrecision(2) : x.toFixed(3)} (${x >= 1 ? `${(1 / x).toFixed(2)}x` : `${Math.round(1 / x)}x`})`;
  return alone != null ? `${one(r)} / ${one(alone)}` : one(r);
}
const pad = (s, n) => String(s).padEnd(n);
function verdict(v, bar, cmp = (a, b) => a <= b) {
  if (v == null) return 'n/a ';
  return cmp(v, bar) ? 'ok  ' : 'MISS';
}

function printSummary({ out, eng, peers }) {
  const m = out.machine;
  console.log(`== summary: ${out.facts} facts; ${m.cpus} CPUs ${m.cpu_model}; Linux ${m.kernel}`);
  const num = (x, d = 1) => (x == null ? '-' : Number(x).toFixed(d));
  const trio = (s, d = 1) => (s ? `${num(s.p50, d)} / ${num(s.p90, d)} / ${num(s.p99, d)}` : '-');
  const rate = (r) => (r == null ? '-' : r >= 100 ? String(Math.round(r)) : r.toFixed(1));
  const rows = [['measure', 'polarlite p50 / p90 / p99', 'calls/s 1 thr', 'floor p50', 'x floor', 'x oso', 'x SpiceDB', 'SPEC bar']];
  const peerRow = (n) => peers && (n === 'actions_repo' ? peers.actions : peers.checks.find((r) => r.name === n));
  for (const r of out.measures) {
    const unit = r.unit === 'us' ? ' us' : r.unit === 'ms' ? ' ms' : '';
    const d = r.unit === 'ms' ? 2 : 1;
    if (r.unit === 'facts/s') {
      rows.push([r.label, `${Math.round(r.facts_per_s)} facts/s`, '', '', '', '', '', '']);
      continue;
    }
    const p = peerRow(r.name);
    const ra = p && p.ratio_alone ? p.ratio_alone : {};
    rows.push([r.label, `${trio(r.polarlite, d)}${unit}`, rate(r.calls_per_s_1_thread),
      r.floor ? `${num(r.floor.p50, d)}${unit}` : '', r.x_floor != null ? r.x_floor.toFixed(2) : '',
      r.unit === 'us' ? peerCell(r.x_oso, ra.oso) : '-', peerCell(r.x_spicedb, ra.spicedb),
      r.bar ? `${r.bar_met ? 'ok  ' : 'MISS'} ${r.bar}` : '']);
  }
  rows.push(['sidecar apply, reader running', out.apply_facts_per_s != null ? `${Math.round(out.apply_facts_per_s)} facts/s` : 'not measured',
    '', '', '', '', '', out.apply_facts_per_s != null ? `${verdict(out.apply_facts_per_s, 100000, (a, b) => a >= b)} >=100k facts/s`
      : out.not_measured.apply_facts_per_s]);
  if (out.apply_lag_p99_ms != null) {
    rows.push(['replica lag at 10k facts/s, p50 / p99', `${num(out.apply_lag_p50_ms)} / ${num(out.apply_lag_p99_ms)} ms`,
      '', '', '', '', '', `${verdict(out.apply_lag_p99_ms, 100)} p99 <=100 ms`]);
  }
  if (out.serve_requests_per_s != null) {
    const sd = out.detail.serve;
    for (const r of sd.runs) {
      rows.push([`serve POST /api/authorize, ${r.mix}, ${r.connections} conns`,
        `${r.requests_per_s} req/s, p50 / p99 / p99.9 ${num(r.p50_us / 1000, 2)} / ${num(r.p99_us / 1000, 2)} / ${num(r.p999_us / 1000, 2)} ms` +
        `${r.server_cpu_us_per_request != null ? `, ${r.server_cpu_us_per_request} us CPU/req` : ''}`,
        '', '', '', '', '', r === sd.runs[0] ? `${verdict(out.serve_requests_per_s, 20000, (a, b) => a >= b)} >=20k req/s, ` +
          `${verdict(out.serve_p99_ms, 5)} p99 <=5 ms` : '']);
    }
    if (out.serve_in_process_ratio != null) {
      rows.push(['serve / in process (2 threads, same checks)', `${out.serve_in_process_ratio} (${sd.in_process_calls_per_s} calls/s in process)`,
        '', '', '', '', '', '']);
    }
  } else {
    rows.push(['polarlite serve', 'not measured', '', '', '', '', '', out.not_measured.serve_requests_per_s]);
  }
  if (out.restore_s != null) {
    rows.push([`snapshot of ${out.restore_facts} facts (${out.snapshot_mb} MB) to S3`, `${out.snapshot_s.toFixed(2)} s`, '', '', '', '', '', '']);
    rows.push([`restore of ${out.restore_facts} facts from S3`, `${out.restore_s.toFixed(2)} s`, '', '', '', '', '',
      out.restore_1m_s != null ? `${verdict(out.restore_1m_s, 5)} <=5 s (1M facts)` : '(bar: 1M facts <=5 s)']);
  } else {
    rows.push(['snapshot and restore', 'not measured', '', '', '', '', '', out.not_measured.restore_1m_s]);
  }
  const w = rows[0].map((_, k) => Math.max(...rows.map((r) => String(r[k]).length)) + 2);
  w[w.length - 1] = 0;
  for (const r of rows) console.log(r.map((c, k) => pad(c, w[k])).join('').trimEnd());
  console.log('(calls/s 1 thr: 1 / mean latency of the timed calls; x floor / x oso / x SpiceDB: polarlite p50 over\n' +
              ' theirs, smaller is better for polarlite, (Nx) = N times faster; x floor from bench_engine in C;\n' +
              ' x oso / x SpiceDB from one Node process, polarlite via better-sqlite3: side by side / polarlite\n' +
              ' measured alone before the peers started. The >=50x bar against the peers means x <= 0.020)');

  const par = out.measures.filter((r) => r.calls_per_s_threads && !r.name.endsWith('.deny'));
  if (par.length) {
    const t = [['one core and two', '1 thread calls/s', '2 threads calls/s', 'scale', '2 threads p50 / p90 / p99']];
    for (const r of par) {
      const c = r.calls_per_s_threads;
      t.push([r.label.replace(/, allowed$/, ''), rate(c.one), rate(c.two), c.one ? `${(c.two / c.one).toFixed(2)}x` : '-',
        `${trio(r.latency_2_threads, r.unit === 'ms' ? 2 : 1)} ${r.unit}`]);
    }
    const w2 = t[0].map((_, k) => Math.max(...t.map((r) => String(r[k]).length)) + 2);
    console.log('');
    for (const r of t) console.log(r.map((c, k) => pad(c, w2[k])).join('').trimEnd());
    console.log('(each thread its own connection, as fast as it can; authorize rows mix allowed and denied inputs)');
  }

  console.log('\nSPEC bars:');
  for (const b of out.bars) {
    const v = b.measured == null ? 'not measured' : `${b.measured} ${b.unit}`;
    const by = b.measured == null ? '' : b.met ? 'met' : `MISSED (${b.unit === 'ratio' || b.unit === 'facts/s' || b.unit === 'requests/s' ? `${b.by}x short` : `${b.by}x the bar`})`;
    console.log(`  ${pad(b.met == null ? 'n/a' : b.met ? 'ok' : 'MISS', 5)}${pad(b.bar, 82)}${pad(v, 22)}${by}${b.note ? `  [${b.note}]` : ''}`);
  }

  console.log(`\nbench-results.json: authorize_p50_us=${out.authorize_p50_us} authorize_p99_us=${out.authorize_p99_us} ` +
              `floor_ratio=${out.floor_ratio} oso_ratio=${out.oso_ratio} spicedb_ratio=${out.spicedb_ratio} ` +
              `(polarlite alone: ${out.oso_ratio_polarlite_alone}, ${out.spicedb_ratio_polarlite_alone}) ` +
              `list_10k_ms=${out.list_10k_ms} apply_facts_per_s=${out.apply_facts_per_s} restore_1m_s=${out.restore_1m_s} ` +
              `serve_requests_per_s=${out.serve_requests_per_s} serve_p99_ms=${out.serve_p99_ms}`);
  for (const [k, why] of Object.entries(out.not_measured)) console.log(`not measured: ${k}: ${why}`);
  if (peers) {
    for (const [n, st] of Object.entries(peers.engines)) if (!st.ok) console.log(`peer not run: ${n}: ${st.why}`);
  }
}

// ---------------------------------------------------------- plot data ---
// One line per size: size, then the geometric mean of authorize p50 (us)
// over PLOT_ROWS for polarlite (C), floor (C), polarlite (Node), oso, SpiceDB.
function plotData(file, sizes) {
  const lines = ['# facts polarlite_c floor_c polarlite_node oso spicedb  (authorize p50, us, geometric mean of ' +
                 `${PLOT_ROWS.join(', ')}; allowed and denied)`];
  for (const s of sizes) {
    const eng = readJson(`data/results-engine-${s}.json`);
    const peers = readJson(`data/results-peers-${s}.json`);
    const er = engineRows(eng, PLOT_ROWS), pr = peerRows(peers, PLOT_ROWS);
    const v = [geomean(er.map((m) => m.polarlite_us.p50)), geomean(er.map((m) => m.floor_us.p50)),
      geomean(peerP50s(pr, 'polarlite')), geomean(peerP50s(pr, 'oso')), geomean(peerP50s(pr, 'spicedb'))];
    if (!eng && !peers) continue;
    lines.push(`${eng ? eng.facts : s} ${v.map((x) => (x == null ? 'NaN' : x.toFixed(2))).join(' ')}`);
  }
  writeFileSync(resolve(HERE, file), lines.join('\n') + '\n');
}

const args = process.argv.slice(2);
if (args[0] === '--plot-data') {
  plotData(args[1], args.slice(2));
} else {
  let size = 1000000, outFile = 'bench-results.json';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--size') size = Number(args[++i]);
    else if (args[i] === '--out') outFile = args[++i];
  }
  const s = summary(size);
  printSummary(s);
  writeFileSync(resolve(HERE, outFile), JSON.stringify(s.out, null, 1) + '\n');
  console.log(`results: ${resolve(HERE, outFile)}`);
  process.exit(s.out.ok ? 0 : 1);
}
