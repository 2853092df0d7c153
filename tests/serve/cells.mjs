// cells.mjs — the cell with the official Node SDK: an edge node fed by a
// log, and a fallback node fed by snapshots.
//
//   edge:     mockbroker (librdkafka's Kafka-protocol mock cluster over TCP)
//             <- polarlite serve --brokers --topic   (writes published)
//             -> polarlite sidecar                   (the log applied to edge.db)
//   fallback: polarlite snapshot edge.db -> file:// -> polarlite sidecar
//             --fallback (fb.db refreshed) <- polarlite serve --fallback
//
// Read-your-writes: every write answers the log position of its message
// as OsoOffset; the SDK sends it with the next read, which the edge node
// answers only once its sidecar has applied that position: never stale.
// Fallback: the edge node is killed in the middle of a run of reads; the
// SDK's reads go on against the fallback node with the same answers.
//
//   node tests/serve/cells.mjs [NAME ...]
import fs from 'node:fs';
import path from 'node:path';
import { Oso, typedVar } from 'oso-cloud';
import { WORK, startServe, startSidecar, startMockBroker, polarlite, http, readFile,
  waitFor, sleep, eq, ok, rejects, run } from './harness.mjs';

const KEY = 'e_0123456789_12345_osotesttoken01xiIn';
const TOPIC = 'authz';
const user = (id) => ({ type: 'User', id });
const repo = (id) => ({ type: 'Repository', id });
const acme = { type: 'Organization', id: 'acme' };
const edgeDb = path.join(WORK, 'edge.db');
const fbDb = path.join(WORK, 'fallback.db');
const snaps = path.join(WORK, 'snaps');

let mock;
let sidecar;
let edge;
let fallback;
let fbSidecar;

// Everything an application might read, for comparing two nodes. bGet:
// also oso.get(), which the Node SDK cannot send to a fallback node (its
// fallback request drops the query string: oso-api.md section 4.4).
async function answers(oso, bGet = true) {
  const out = {};
  for (const u of ['alice', 'bob', 'carol']) {
    for (const a of ['read', 'push', 'delete']) {
      for (const r of ['r0', 'r1', 'r2', 'anvil']) {
        out[`${u} ${a} ${r}`] = await oso.authorize(user(u), a, repo(r));
      }
    }
    out[`list ${u}`] = await oso.list(user(u), 'read', 'Repository');
    out[`actions ${u}`] = await oso.actions(user(u), repo('anvil'));
  }
  const r = typedVar('Repository');
  out.query = await oso.buildQuery(['allow', user('alice'), 'read', r]).evaluate(r);
  if (bGet) out.get = await oso.get(['has_role', null, null, null]);
  out.metadata = await oso.getPolicyMetadata();
  return out;
}

const tests = [
  ['edge: writes published, OsoOffset is the log position', async () => {
    const oso = new Oso(edge.url, KEY);
    await oso.policy(readFile('sql/gitclub.polar'));       // published by the setup: 202
    ok(/^0:\d+$/.test(oso.api.lastOffset), `OsoOffset after policy: ${oso.api.lastOffset}`);
    await oso.insert(['has_role', user('alice'), 'admin', acme]);
    await oso.insert(['has_relation', repo('anvil'), 'parent', acme]);
    eq(await oso.authorize(user('alice'), 'push', repo('anvil')), true, 'read after writes');
    const st = polarlite(['status', '--db', edgeDb]);
    ok(/applied_offset|offset/.test(st.stdout), `status: ${st.stdout}`);
  }],

  ['edge: read-your-writes, never stale', async () => {
    const oso = new Oso(edge.url, KEY);
    for (let i = 0; i < 60; i++) {
      const r = repo(`ryw${i}`);
      await oso.insert(['has_role', user('bob'), 'reader', r]);
      const tok = oso.api.lastOffset;
      ok(/^0:\d+$/.test(tok), `token ${tok}`);
      eq(await oso.authorize(user('bob'), 'read', r), true, `read ${i} after its write (${tok})`);
      eq((await oso.list(user('bob'), 'read', 'Repository')).length, i + 1, `list after write ${i}`);
      await oso.delete(['has_role', user('bob'), 'reader', r]);
      eq(await oso.authorize(user('bob'), 'read', r), false, `read ${i} after its delete`);
      await oso.insert(['has_role', user('bob'), 'reader', r]);
    }
    // the reads did meet tokens not yet applied, and waited for them
    const m = await http(`${edge.url}/metrics`, { method: 'GET' });
    const waits = m.text.match(/polarlite_http_consistency_waits_total (\d+)/);
    ok(waits && Number(waits[1]) > 0, `reads that waited for their token: ${waits && waits[1]}`);
  }],

  ['edge: bad facts refused before they reach the log', async () => {
    const oso = new Oso(edge.url, KEY);
    const status = () => JSON.parse(polarlite(['status', '--db', edgeDb, '--json']).stdout);
    const before = status();
    await rejects(oso.insert(['has_role', user('x'), 7, acme]), /argument 2 is Integer/, 'wrong type', 422);
    await rejects(oso.insert(['no_such', user('x')]), /no_such/, 'unknown predicate', 422);
    await oso.insert(['has_role', user('x'), 'reader', repo('ok')]);   // a good one, to wait on
    eq(await oso.authorize(user('x'), 'read', repo('ok')), true, 'the good write applied');
    const after = status();
    eq(after.rejected_count, 0, 'the sidecar rejected nothing');
    eq(after.applied_offset, before.applied_offset + 1, 'one message reached the log, not three');
  }],

  ['edge: a token not applied in time is a 503', async () => {
    const oso = new Oso(edge.url, KEY);
    eq(await sidecar.stop(), 0, 'sidecar stopped');
    await oso.insert(['has_role', user('carol'), 'reader', repo('late')]);   // published, not applied
    await rejects(oso.authorize(user('carol'), 'read', repo('late')), /has not applied OsoOffset/,
      'the read waits, then 503', 503);
    sidecar = startSidecar(edgeDb, ['--brokers', mock.brokers, '--topic', TOPIC]);
    eq(await oso.authorize(user('carol'), 'read', repo('late')), true, 'answered once applied');
  }],

  ['edge: brokers down, writes fail in time and reads go on', async () => {
    const oso = new Oso(edge.url, KEY);
    eq(await oso.authorize(user('alice'), 'push', repo('anvil')), true, 'before');
    mock.proc.stdin.write('down 1\n');
    await sleep(300);
    // a write the log cannot take: answered 503 after --publish-timeout,
    // without holding a worker meanwhile
    const t0 = Date.now();
    const write = http(`${edge.url}/api/batch`, { body: [{ inserts: [{ predicate: 'has_role',
      args: [{ type: 'User', id: 'd' }, { type: 'String', id: 'reader' }, { type: 'Repository', id: 'down' }] }] }] });
    const writes = [write, http(`${edge.url}/api/batch`, { body: [] }), http(`${edge.url}/api/batch`, { body: [] })];
    for (let i = 0; i < 20; i++) {
      const t = Date.now();
      eq(await oso.authorize(user('alice'), 'push', repo('anvil')), true, `read ${i} while the brokers are down`);
      ok(Date.now() - t < 500, `read ${i} took ${Date.now() - t} ms`);
    }
    const [w] = await Promise.all(writes);
    eq(w.status, 503, `the write: ${w.text}`);
    ok(/not accepted by the log/.test(w.json.message), w.json.message);
    ok(Date.now() - t0 >= 1500, `failed after ${Date.now() - t0} ms, not at once`);
    mock.proc.stdin.write('up 1\n');
    await waitFor(async () => (await http(`${edge.url}/api/batch`, { body: [] })).status === 200,
      'writes to go through again', 30000);
    await oso.insert(['has_role', user('d'), 'reader', repo('up')]);
    eq(await oso.authorize(user('d'), 'read', repo('up')), true, 'written and read after the outage');
  }],

  ['fallback: serves the snapshot, refuses writes', async () => {
    const oso = new Oso(edge.url, KEY);
    await oso.batch((tx) => {
      tx.insert(['has_role', user('alice'), 'reader', repo('r0')]);
      tx.insert(['has_role', user('carol'), 'maintainer', repo('r1')]);
      tx.insert(['has_relation', repo('r2'), 'parent', acme]);
    });
    await oso.authorize(user('alice'), 'read', repo('r0'));       // applied
    fs.mkdirSync(snaps, { recursive: true });
    const s = polarlite(['snapshot', '--db', edgeDb, '--to', `file://${snaps}`]);
    eq(s.status, 0, `snapshot: ${s.stderr}`);
    fbSidecar = startSidecar(fbDb, ['--fallback', '--every', '200ms', '--snapshots', `file://${snaps}`]);
    fallback = await startServe(fbDb, ['--fallback']);
    await waitFor(async () => (await http(`${fallback.url}/readyz`, { method: 'GET' })).status === 200,
      'the fallback node to be ready');
    const fb = new Oso(fallback.url, KEY);
    eq(await answers(fb), await answers(oso), 'the fallback answers as the edge');
    await rejects(fb.insert(['has_role', user('x'), 'reader', repo('r0')]), /fallback node/,
      'a write to the fallback node', 403);
    const m = await http(`${fallback.url}/metrics`, { method: 'GET' });
    ok(/oso_fallback_snapshot_age_ms \d/.test(m.text), 'snapshot age in /metrics');
    const h = await http(`${fallback.url}/healthz`, { method: 'GET' });
    ok(/^ok fallback .*snapshot_age_s=\d+/.test(h.text), `/healthz: ${h.text}`);
    // the SDK forwards its OsoOffset to the fallback node, which ignores it
    const r = await http(`${fallback.url}/api/authorize`, { headers: { OsoOffset: '0:999999' },
      body: { actor_type: 'User', actor_id: 'alice', action: 'read', resource_type: 'Repository',
        resource_id: 'r0', context_facts: [] } });
    eq([r.status, r.json], [200, { allowed: true }], 'a token it cannot honour is ignored');
  }],

  ['fallback: kill the edge mid-run, reads go on with the same answers', async () => {
    const oso = new Oso(edge.url, KEY, { fallbackUrl: fallback.url });
    const want = await answers(oso, false);
    let n = 0;
    let killed = false;
    const end = Date.now() + 4000;
    while (Date.now() < end) {
      if (!killed && n === 5) {
        await edge.kill();                 // mid-run: the next reads meet a dead node
        killed = true;
      }
      eq(await answers(oso, false), want, `round ${n}${killed ? ' (edge killed)' : ''}`);
      n++;
    }
    ok(killed && n > 6, `rounds after the kill: ${n - 6}`);
    // the Node SDK's fallback request for get() has no query string: the
    // fallback node refuses it rather than answer every fact
    await rejects(oso.get(['has_role', user('alice'), null, null]), /predicate/, 'get via fallback', 400);
    // (the SDK console.error()s the refused connection before it throws)
    const quiet = console.error;
    console.error = () => {};
    try {
      await rejects(oso.insert(['has_role', user('z'), 'reader', repo('r0')]), /Unexpected fetch error|ECONNREFUSED/,
        'writes do not fall back');
    } finally {
      console.error = quiet;
    }
  }],

  ['everything else stops cleanly on SIGTERM', async () => {
    eq(await fallback.stop(), 0, 'fallback node');
    eq(await fbSidecar.stop(), 0, 'fallback sidecar');
    eq(await sidecar.stop(), 0, 'edge sidecar');
  }],
];

run(tests, async () => {
  mock = await startMockBroker(TOPIC);
  sidecar = startSidecar(edgeDb, ['--brokers', mock.brokers, '--topic', TOPIC]);
  await waitFor(() => fs.existsSync(edgeDb), 'the sidecar to create edge.db');
  edge = await startServe(edgeDb, ['--brokers', mock.brokers, '--topic', TOPIC, '--wait-timeout', '500ms',
    '--publish-timeout', '2s']);
  // the next write carries the policy's token: the edge checks facts
  // against the policy it just published, once its sidecar applied it
  await new Oso(edge.url, KEY).policy(readFile('sql/gitclub.polar'));
});
