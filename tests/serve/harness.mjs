// harness.mjs — the real parts the serve tests run against, all on
// loopback: `polarlite serve` (each test starts the nodes it needs),
// `polarlite sidecar`, librdkafka's mock Kafka cluster
// (tests/sidecar/mockbroker.c) and file:// snapshots; plus a small test
// runner. Every process started here is killed when the run ends, also
// after a failure.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const POLARLITE = process.env.POLARLITE || path.join(ROOT, 'polarlite');
export const MOCKBROKER = path.join(ROOT, 'build', 'sidecartest', 'mockbroker');
export const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'polarlite-servetest-'));

const procs = new Set();

function childEnv(extra) {
  return { ...process.env, ...extra };
}

function track(proc) {
  procs.add(proc);
  proc.on('exit', () => procs.delete(proc));
  return proc;
}

export function killAll() {
  for (const p of procs) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
}
process.on('exit', killAll);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Resolve with the first line of `stream` that matches re (its match), or
// reject after ms.
function waitLine(proc, stream, re, ms, what) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    const onData = (d) => {
      buf += d.toString();
      const m = buf.match(re);
      if (m) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(m);
      }
    };
    stream.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what}: the process exited with ${code}`));
    });
  });
}

// `polarlite serve --db DB --listen 127.0.0.1:0 ARGS...`; its log goes to
// DB.serve.log. Resolves to { url, port, proc, stop(), kill() }.
export async function startServe(db, args = [], { port = 0 } = {}) {
  const log = fs.openSync(`${db}.serve.log`, 'a');
  const proc = track(spawn(POLARLITE, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, ...args],
    { stdio: ['ignore', 'pipe', log], env: childEnv() }));
  const m = await waitLine(proc, proc.stdout, /listening on port (\d+)/, 20000, `serve on ${db}`);
  const node = {
    proc,
    port: Number(m[1]),
    url: `http://127.0.0.1:${m[1]}`,
    log: () => fs.readFileSync(`${db}.serve.log`, 'utf8'),
    // SIGTERM: resolves to the exit status
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) { resolve(proc.exitCode); return; }
      proc.on('exit', (code) => resolve(code));
      proc.kill('SIGTERM');
    }),
    kill: () => new Promise((resolve) => {
      if (proc.exitCode !== null) { resolve(); return; }
      proc.on('exit', () => resolve());
      proc.kill('SIGKILL');
    }),
  };
  return node;
}

// librdkafka's mock cluster with TOPICS; resolves to { brokers, proc }.
export async function startMockBroker(...topics) {
  const proc = track(spawn(MOCKBROKER, topics, { stdio: ['pipe', 'pipe', 'ignore'] }));
  const m = await waitLine(proc, proc.stdout, /^(\S+)\n/, 20000, 'the mock broker');
  return { brokers: m[1], proc };
}

// `polarlite sidecar --db DB ARGS...`, logging to DB.sidecar.log.
export function startSidecar(db, args) {
  const log = fs.openSync(`${db}.sidecar.log`, 'a');
  const proc = track(spawn(POLARLITE, ['sidecar', '--db', db, ...args],
    { stdio: ['ignore', 'ignore', log], env: childEnv() }));
  return {
    proc,
    log: () => fs.readFileSync(`${db}.sidecar.log`, 'utf8'),
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) { resolve(proc.exitCode); return; }
      proc.on('exit', (code) => resolve(code));
      proc.kill('SIGTERM');
    }),
  };
}

// Run the polarlite command to its end; returns { status, stdout, stderr }.
export function polarlite(args) {
  const r = spawnSync(POLARLITE, args, { encoding: 'utf8', env: childEnv(), timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Wait until pred() (maybe async) is truthy.
export async function waitFor(pred, what, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// A raw request: resolves to { status, headers, text, json }.
export async function http(url, { method = 'POST', body, headers = {} } = {}) {
  const res = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

export function readFile(p) {
  return fs.readFileSync(path.join(ROOT, p), 'utf8');
}

/*--------------------------------------------------------------- asserts --*/

export class Failure extends Error {}

// Maps compare as their sorted entries: equal Maps, whatever the order of
// insertion.
const show = (v) => JSON.stringify(v, (k, x) => (x instanceof Map
  ? { Map: [...x].sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1)) } : x));

export function eq(got, want, what) {
  if (show(got) !== show(want)) throw new Failure(`${what}: got ${show(got)}, want ${show(want)}`);
}

export function ok(cond, what) {
  if (!cond) throw new Failure(what);
}

// The promise must reject; its message must match re and, when given,
// its statusCode equal status.
export async function rejects(promise, re, what, status) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  if (!err) throw new Failure(`${what}: no error`);
  if (!re.test(String(err.message))) throw new Failure(`${what}: error ${show(String(err.message))} does not match ${re}`);
  if (status !== undefined && err.statusCode !== status) {
    throw new Failure(`${what}: status ${err.statusCode}, want ${status} (${err.message})`);
  }
  return err;
}

/*---------------------------------------------------------------- runner --*/

// Run tests [[name, fn]] in order (those whose name holds one of the
// command-line arguments, if any), after setup() when given; prints a line
// each and "N passed, M failed"; exits 1 on any failure.
export async function run(tests, setup) {
  const wanted = process.argv.slice(2);
  const chosen = wanted.length ? tests.filter(([n]) => wanted.some((w) => n.includes(w))) : tests;
  if (chosen.length === 0) {
    console.log(`0 passed, 0 failed (no test named ${wanted.join(' or ')} here)`);
    process.exit(0);
  }
  let passed = 0;
  let failed = 0;
  if (setup) chosen.unshift(['(setup)', setup]);
  for (const [name, fn] of chosen) {
    const t0 = Date.now();
    try {
      await fn();
      passed++;
      console.log(`ok   ${name.padEnd(40)} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name.padEnd(40)} ${e instanceof Failure ? e.message : (e.stack || e)}`);
    }
  }
  killAll();
  // a sanitizer report in any log fails the run (make sanitize)
  for (const f of fs.readdirSync(WORK).filter((n) => n.endsWith('.log'))) {
    const text = fs.readFileSync(path.join(WORK, f), 'utf8');
    const m = text.match(/ERROR: AddressSanitizer.*|ERROR: LeakSanitizer.*|runtime error:.*/);
    if (m) {
      failed++;
      console.log(`FAIL ${'(sanitizer report)'.padEnd(40)} ${f}: ${m[0]}`);
    }
  }
  if (failed === 0 && !process.env.KEEP_WORKDIR) fs.rmSync(WORK, { recursive: true, force: true });
  else console.log(`work directory kept: ${WORK}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed || passed === 0 ? 1 : 0);
}
