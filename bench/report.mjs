#!/usr/bin/env node
// report.mjs — the summary of `make bench`: reads data/results-engine-N.json
// (bench_engine), data/results-peers-N.json (peers/bench_peers.mjs),
// data/results-apply-N.json and data/results-restore-N.json (other
// harnesses), prints one table against the SPEC bars and writes
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
  const restore = other(`data/results-restore-${size}.json`, 'restore_1m_s');
  out.apply_facts_per_s = apply.value;
  out.restore_1m_s = restore.value;
  out.not_measured = {};
  if (apply.value == null) out.not_measured.apply_facts_per_s = apply.why;
  if (restore.value == null) out.not_measured.restore_1m_s = restore.why;
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
    geomean_p50_us: {
      polarlite_c: fix(geomean(engineRows(eng, PLOT_ROWS).map((m) => m.polarlite_us.p50))),
      floor_c: fix(geomean(engineRows(eng, PLOT_ROWS).map((m) => m.floor_us.p50))),
      polarlite_node: fix(geomean(peerP50s(peerRows(peers, PLOT_ROWS), 'polarlite'))),
      oso: fix(geomean(peerP50s(peerRows(peers, PLOT_ROWS), 'oso'))),
      spicedb: fix(geomean(peerP50s(peerRows(peers, PLOT_ROWS), 'spicedb'))),
    },
  };
  out.ok = (!eng || eng.ok) && (!peers || !peers.mismatches);
  return { out, eng, peers };
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
  const rows = [];
  const byName = (n) => eng && eng.measures.find((x) => x.name === n);
  const peerRow = (n) => peers && peers.checks.find((r) => r.name === n);
  rows.push(['measure', 'polarlite p50 / p99', 'floor p50', 'x floor', 'x oso', 'x SpiceDB', 'bar']);
  const addCheck = (n, label, bar) => {
    const e = byName(n), p = peerRow(n);
    if (!e && !p) return;
    const r = p && p.ratio ? p.ratio : {};
    const ra = p && p.ratio_alone ? p.ratio_alone : {};
    rows.push([label,
      e ? `${e.polarlite_us.p50.toFixed(1)} / ${e.polarlite_us.p99.toFixed(1)} us` : '-',
      e ? `${e.floor_us.p50.toFixed(1)} us` : '-',
      e ? e.ratio_p50.toFixed(2) : '-',
      peerCell(r.oso, ra.oso),
      peerCell(r.spicedb, ra.spicedb),
      e && e.bar ? `${e.bar_met ? 'ok  ' : 'MISS'} ${e.bar}` : '']);
  };
  for (const [c, label] of [['rbac_repo_read', 'RBAC repo read'], ['rebac_issue_read', 'ReBAC issue read'],
    ['rebac_issue_close', 'ReBAC issue close'], ['folder10_read', '10 nested folders read'],
    ['global_repo_delete', 'global role delete']]) {
    addCheck(`${c}.allow`, `${label}, allowed`, '');
    addCheck(`${c}.deny`, `${label}, denied`, '');
  }
  const act = byName('actions_repo');
  if (act) {
    const r = peers && peers.actions ? peers.actions.ratio : {};
    rows.push(['polar_actions Repository', `${act.polarlite_us.p50.toFixed(1)} / ${act.polarlite_us.p99.toFixed(1)} us`,
      `${act.floor_us.p50.toFixed(1)} us`, act.ratio_p50.toFixed(2),
      peerCell(r && r.oso), peerCell(r && r.spicedb), '']);
  }
  for (const x of eng ? eng.measures.filter((q) => q.kind === 'list') : []) {
    const p = peers && peers.lists.find((l) => l.name === x.name);
    rows.push([`list ${x.name.replace('list_', '')} (${x.count} ids)`,
      `${x.polarlite_ms.p50.toFixed(2)} / ${x.polarlite_ms.p99.toFixed(2)} ms`, `${x.floor_ms.p50.toFixed(2)} ms`,
      x.ratio_p50.toFixed(2), '-', peerCell(p && p.ratio && p.ratio.spicedb),
      x.name === 'list_issue_10k' || x.name === 'list_folder_read' ? `${x.bar_met ? 'ok  ' : 'MISS'} ${x.bar}` : '']);
  }
  for (const x of eng ? eng.measures.filter((q) => q.kind === 'policy_load') : []) {
    rows.push([x.label, `${x.ms.p50.toFixed(2)} ms`, '', '', '', '', `${x.bar_met ? 'ok  ' : 'MISS'} ${x.bar}`]);
  }
  for (const x of eng ? eng.measures.filter((q) => q.kind === 'load_facts') : []) {
    rows.push([x.label, `${Math.round(x.facts_per_s)} facts/s`, '', '', '', '', '']);
  }
  for (const x of eng ? eng.measures.filter((q) => q.kind === 'parallel') : []) {
    rows.push([`${x.label}, 2 threads`, `${x.threads2_us.p50.toFixed(1)} / ${x.threads2_us.p99.toFixed(1)} us`,
      '', '', '', '', `${Math.round(x.threads2_calls_per_s)}/s vs ${Math.round(x.threads1_calls_per_s)}/s on 1`]);
  }
  rows.push(['sidecar apply', out.apply_facts_per_s != null ? `${Math.round(out.apply_facts_per_s)} facts/s` : 'not measured',
    '', '', '', '', out.apply_facts_per_s != null ? `${verdict(out.apply_facts_per_s, 100000, (a, b) => a >= b)} >=100k facts/s`
      : out.not_measured.apply_facts_per_s]);
  rows.push(['restore 1M-fact snapshot', out.restore_1m_s != null ? `${out.restore_1m_s.toFixed(2)} s` : 'not measured',
    '', '', '', '', out.restore_1m_s != null ? `${verdict(out.restore_1m_s, 5)} <=5 s` : out.not_measured.restore_1m_s]);
  const w = rows[0].map((_, k) => Math.max(...rows.map((r) => String(r[k]).length)) + 2);
  w[w.length - 1] = 0;
  for (const r of rows) console.log(r.map((c, k) => pad(c, w[k])).join('').trimEnd());
  console.log('(x floor / x oso / x SpiceDB: polarlite p50 over theirs, smaller is better for polarlite, (Nx) = N times\n' +
              ' faster; x floor from bench_engine in C; x oso / x SpiceDB from one Node process, polarlite via\n' +
              ' better-sqlite3: side by side / polarlite measured alone before the peers started. The >=50x bar\n' +
              ' against the peers means x <= 0.020)');
  console.log(`\nbench-results.json: authorize_p50_us=${out.authorize_p50_us} authorize_p99_us=${out.authorize_p99_us} ` +
              `floor_ratio=${out.floor_ratio} oso_ratio=${out.oso_ratio} spicedb_ratio=${out.spicedb_ratio} ` +
              `(polarlite alone: ${out.oso_ratio_polarlite_alone}, ${out.spicedb_ratio_polarlite_alone}) ` +
              `list_10k_ms=${out.list_10k_ms} apply_facts_per_s=${out.apply_facts_per_s} restore_1m_s=${out.restore_1m_s}`);
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
