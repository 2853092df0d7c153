#!/usr/bin/env node
// serve.mjs — `polarlite serve` under load for `make bench`: POST
// /api/authorize from another process on loopback (wrk, keep-alive), half
// the requests allowed and half denied, against the benchmark's database.
//
//   node serve.mjs --size N --db DB --json FILE [--seconds S]
//
// 1. The bodies: the authorize inputs of the benchmark's workload
//    (gen_gitclub --workload, 512 allowed and 512 denied inputs per check),
//    allowed and denied in turn, one JSON body per line: the checks the
//    SPEC's authorize bar names (RBAC and 3-level ReBAC: the headline mix,
//    data/serve-bodies.txt), and every check (nested folders and the global
//    role too: data/serve-bodies-all.txt).
// 2. polarlite serve --db DB --threads 2 (one worker per core), and every
//    body sent once through fetch to check the answers against the
//    generator's oracle: a wrong answer fails the benchmark.
// 3. wrk -t1 (the load generator shares the 2 cores with the server) on
//    keep-alive connections, after 2 s of warm-up, S seconds each (default
//    10): the headline mix at 16 and at 64 connections, every check at 16.
//    Requests/s and p50/p90/p99/p99.9 of each, and the server's CPU time
//    per request (/proc: robust to whatever else shares the machine).
// 4. The ratio to the engine in process from the same run: bench_engine's
//    two-thread calls/s over the same checks (data/results-engine-N.json,
//    parallel.* rows, allowed and denied mixed), combined as the mix is
//    (equal requests per check: the harmonic mean).
// Output: data/results-serve-N.json, read by report.mjs.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, openSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const POLARLITE = resolve(HERE, '..', 'polarlite');
const HEAD = ['rbac_repo_read', 'rebac_issue_read', 'rebac_issue_close'];
const CHECKS = [...HEAD, 'folder10_read', 'global_repo_delete'];

const args = process.argv.slice(2);
let size = Number(process.env.BENCH_SIZE || 1000000), db = null, json = null, seconds = 10;
const seed = Number(process.env.BENCH_SEED || 42);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--size') size = Number(args[++i]);
  else if (args[i] === '--db') db = args[++i];
  else if (args[i] === '--json') json = args[++i];
  else if (args[i] === '--seconds') seconds = Number(args[++i]);
  else { console.error('usage: node serve.mjs --size N --db DB --json FILE [--seconds S]'); process.exit(2); }
}
if (!db || !json) { console.error('usage: node serve.mjs --size N --db DB --json FILE [--seconds S]'); process.exit(2); }

const out = { size, seed, db, threads: 2, seconds };
function finish(code) {
  writeFileSync(resolve(HERE, json), `${JSON.stringify(out, null, 1)}\n`);
  process.exit(code);
}
function notMeasured(why) {
  out.not_measured = why;
  console.log(`serve not measured: ${why}`);
  finish(0);
}

if (!existsSync(resolve(HERE, db))) notMeasured(`${db} is missing (bench_engine builds it)`);
if (spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error) {
  notMeasured('wrk is not installed (scripts/install-deps.sh bench/peers installs it)');
}

// 1. bodies, allowed and denied in turn
const wl = spawnSync(resolve(HERE, 'gen_gitclub'), ['--size', String(size), '--seed', String(seed),
  '--workload', '--pool', '512'], { encoding: 'utf8', maxBuffer: 1 << 28 });
if (wl.status !== 0) notMeasured(`gen_gitclub --workload failed: ${wl.stderr}`);
const split = (v) => { const k = v.indexOf(':'); return [v.slice(0, k), v.slice(k + 1)]; };
// checks -> the bodies of their inputs, allowed and denied in turn
function mix(checks) {
  const pools = { allow: [], deny: [] };
  for (const line of wl.stdout.split('\n')) {
    const f = line.split('\t');
    if (f.length < 6 || !checks.includes(f[0]) || !(f[1] in pools)) continue;
    const [at, ai] = split(f[2]);
    const [rt, ri] = split(f[4]);
    pools[f[1]].push({ body: JSON.stringify({ actor_type: at, actor_id: ai, action: f[3],
      resource_type: rt, resource_id: ri, context_facts: [] }), expect: f[5] === '1' });
  }
  const b = [];
  for (let i = 0; i < Math.min(pools.allow.length, pools.deny.length); i++) b.push(pools.allow[i], pools.deny[i]);
  return b;
}
const bodyFile = resolve(HERE, 'data', 'serve-bodies.txt');
const bodyFileAll = resolve(HERE, 'data', 'serve-bodies-all.txt');
const head = mix(HEAD);
const bodies = mix(CHECKS);
writeFileSync(bodyFile, `${head.map((b) => b.body).join('\n')}\n`);
writeFileSync(bodyFileAll, `${bodies.map((b) => b.body).join('\n')}\n`);
out.bodies = head.length;
out.allowed = head.filter((b) => b.expect).length;
out.bodies_all = bodies.length;

// 2. the server, and the answers checked
const log = openSync(resolve(HERE, 'data', 'serve.log'), 'w');
const srv = spawn(POLARLITE, ['serve', '--db', resolve(HERE, db), '--listen', '127.0.0.1:0', '--threads', '2'],
  { stdio: ['ignore', 'pipe', log] });
const port = await new Promise((res, rej) => {
  let buf = '';
  srv.stdout.on('data', (d) => { buf += d; const m = buf.match(/listening on port (\d+)/); if (m) res(Number(m[1])); });
  srv.on('exit', (c) => rej(new Error(`polarlite serve exited ${c} (see data/serve.log)`)));
}).catch((e) => notMeasured(e.message));
const url = `http://127.0.0.1:${port}`;
let wrong = 0;
for (const b of bodies) {          /* every check: the headline ones among them */
  const r = await fetch(`${url}/api/authorize`, { method: 'POST', body: b.body,
    headers: { 'Content-Type': 'application/json' } });
  const j = await r.json();
  if (r.status !== 200 || j.allowed !== b.expect) {
    if (wrong++ < 3) console.log(`WRONG ${b.body}: ${r.status} ${JSON.stringify(j)}, want ${b.expect}`);
  }
}
out.wrong = wrong;
console.log(`${bodies.length} bodies (${out.allowed} allowed), ${wrong} wrong answers`);

// 3. load
// CPU seconds the server has used (user + system), from /proc.
function serverCpu() {
  try {
    const f = readFileSync(`/proc/${srv.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;          // utime, stime in clock ticks
  } catch { return null; }
}

function wrk(connections, secs, file, name) {
  const cpu0 = serverCpu();
  const p = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${secs}s`, '--timeout', '5s', '-s',
    resolve(HERE, 'serve.lua'), url, '--', file], { encoding: 'utf8' });
  const m = (p.stdout || '').match(/^\{.*\}$/m);
  if (p.status !== 0 || !m) throw new Error(`wrk failed: ${p.stderr || p.stdout}`);
  const r = JSON.parse(m[0]);
  const cpu1 = serverCpu();
  r.mix = name;
  r.connections = connections;
  // what a request costs the server in CPU, whatever else runs on the machine
  r.server_cpu_us_per_request = cpu0 != null && cpu1 != null && r.requests
    ? Number(((cpu1 - cpu0) * 1e6 / r.requests).toFixed(1)) : null;
  r.requests_per_s = Math.round(r.requests / (r.duration_us / 1e6));
  r.errors = r.connect_errors + r.read_errors + r.write_errors + r.timeouts + r.non2xx;
  return r;
}
try {
  wrk(16, 2, bodyFileAll, 'warm-up');
  out.runs = [wrk(16, seconds, bodyFile, 'rbac+rebac'), wrk(64, seconds, bodyFile, 'rbac+rebac'),
              wrk(16, seconds, bodyFileAll, 'every check')];
} catch (e) {
  srv.kill('SIGKILL');
  notMeasured(e.message);
}
for (const r of out.runs) {
  console.log(`wrk -c${r.connections} ${r.mix}: ${r.requests_per_s} requests/s, p50 ${(r.p50_us / 1000).toFixed(3)} ms, ` +
    `p99 ${(r.p99_us / 1000).toFixed(3)} ms, p99.9 ${(r.p999_us / 1000).toFixed(3)} ms, ` +
    `server CPU ${r.server_cpu_us_per_request} us/request, ${r.errors} errors`);
}
const main = out.runs[0];
out.requests_per_s = main.requests_per_s;
out.p50_ms = main.p50_us / 1000;
out.p99_ms = main.p99_us / 1000;
out.p999_ms = main.p999_us / 1000;
out.server_cpu_us_per_request = main.server_cpu_us_per_request;
out.load_average = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
out.errors = out.runs.reduce((s, r) => s + r.errors, 0);

// 4. in process, same run
const eng = (() => { try { return JSON.parse(readFileSync(resolve(HERE, 'data', `results-engine-${size}.json`), 'utf8')); } catch { return null; } })();
const inProcess = (checks) => {
  const par = eng ? checks.map((c) => eng.measures.find((m) => m.name === `parallel.${c}`)).filter(Boolean) : [];
  return par.length === checks.length
    ? Math.round(checks.length / par.reduce((s, m) => s + 1 / m.threads2_calls_per_s, 0)) : null;
};
out.in_process_calls_per_s = inProcess(HEAD);
out.in_process_calls_per_s_all = inProcess(CHECKS);
if (out.in_process_calls_per_s) {
  out.in_process_ratio = Number((out.requests_per_s / out.in_process_calls_per_s).toFixed(3));
  out.runs[2].in_process_ratio = out.in_process_calls_per_s_all
    ? Number((out.runs[2].requests_per_s / out.in_process_calls_per_s_all).toFixed(3)) : null;
  console.log(`in process (bench_engine, 2 threads, same checks): ${out.in_process_calls_per_s} calls/s ` +
    `(every check: ${out.in_process_calls_per_s_all}); HTTP / in process ${out.in_process_ratio}`);
} else {
  out.in_process_why = `data/results-engine-${size}.json has no parallel rows for ${CHECKS.join(', ')}`;
}

srv.on('exit', (code) => {
  out.exit_status = code;
  finish(wrong || code !== 0 ? 1 : 0);
});
srv.kill('SIGTERM');
