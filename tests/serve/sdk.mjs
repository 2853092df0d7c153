// sdk.mjs — the official Node SDK (oso-cloud 2.6.0 from npm, unmodified)
// against `polarlite serve` on loopback, a node that applies writes to its
// own file. Every call goes through the SDK exactly as an application
// makes it; the older endpoints that 2.6.0 no longer calls are sent as the
// older SDKs sent them (oso-api.md section 1, notes).
//
//   node tests/serve/sdk.mjs [NAME ...]
import path from 'node:path';
import { Oso, typedVar } from 'oso-cloud';
import { WORK, startServe, http, readFile, eq, ok, rejects, run } from './harness.mjs';

const KEY = 'e_0123456789_12345_osotesttoken01xiIn';     // any key: no --api-keys here
const alice = { type: 'User', id: 'alice' };
const bob = { type: 'User', id: 'bob' };
const acme = { type: 'Organization', id: 'acme' };
const anvil = { type: 'Repository', id: 'anvil' };

let node;
let oso;

async function fresh(policyFile = 'sql/gitclub.polar') {
  await oso.api.clearData();
  await oso.policy(readFile(policyFile));
}

const tests = [

  ['policy and getPolicy', async () => {
    const src = readFile('sql/gitclub.polar');
    await oso.policy(src);
    const got = await oso.api.getPolicy();
    eq(got.policy.src, src, 'getPolicy().policy.src');
    ok(/^local:\d+$/.test(oso.api.lastOffset), `OsoOffset kept by the SDK: ${oso.api.lastOffset}`);
    // the same source again: 202, nothing changes
    const r = await http(`${node.url}/api/policy`, { body: { src, filename: '' } });
    eq(r.status, 202, 'unchanged policy status');
  }],

  ['bad policy refused with file:line:col', async () => {
    await rejects(oso.policy('actor User {}\nresource Repo {\n  permissions = ["read"\n}\n'),
      /policy\.polar:\d+:\d+|:\d+:\d+/, 'syntax error', 422);
    const got = await oso.api.getPolicy();
    ok(got.policy.src.includes('GitClub'), 'the old policy stays');
  }],

  ['getPolicyMetadata', async () => {
    const md = await oso.getPolicyMetadata();
    eq(md.resources.Organization, { roles: ['admin', 'member'],
      permissions: ['add_member', 'create_repository', 'read'], relations: {} }, 'Organization');
    eq(md.resources.Repository.relations, { parent: 'Organization' }, 'Repository relations');
    eq(md.resources.User, { roles: [], permissions: [], relations: {} }, 'User');
    eq(md.resources.global, { roles: ['admin'], permissions: [], relations: {} }, 'global');
  }],

  ['insert, get, authorize', async () => {
    await fresh();
    await oso.insert(['has_role', alice, 'admin', acme]);
    await oso.insert(['has_relation', anvil, 'parent', acme]);
    eq(await oso.authorize(alice, 'push', anvil), true, 'alice push anvil');
    eq(await oso.authorize(bob, 'read', anvil), false, 'bob read anvil');
    eq(await oso.authorize(alice, 'no_such_action', anvil), false,
      'an action no rule mentions is false, as in Oso Cloud (not a 422)');
    eq(await oso.list(alice, 'no_such_action', 'Repository'), [], 'and lists nothing');
    eq(await oso.get(['has_role', alice, null, null]),
      [['has_role', alice, { type: 'String', id: 'admin' }, acme]], 'get by actor');
    eq(await oso.get(['has_role', null, 'admin', { type: 'Organization' }]),
      [['has_role', alice, { type: 'String', id: 'admin' }, acme]], 'get with a typed wildcard');
    eq(await oso.get(['has_role', bob, null, null]), [], 'get nothing');
  }],

  ['delete with wildcards', async () => {
    await fresh();
    const r1 = { type: 'Repository', id: 'r1' };
    await oso.insert(['has_role', alice, 'reader', r1]);
    await oso.insert(['has_role', alice, 'admin', acme]);
    await oso.insert(['has_role', bob, 'reader', r1]);
    await oso.delete(['has_role', alice, null, { type: 'Repository' }]);
    eq((await oso.get(['has_role', null, null, null])).length, 2, 'facts left');
    eq(await oso.authorize(alice, 'read', r1), false, 'alice lost the repository role');
    await oso.delete(['has_role', null, null, null]);
    eq(await oso.get(['has_role', null, null, null]), [], 'all has_role deleted');
  }],

  ['batch', async () => {
    await fresh();
    // Go's test: 4 facts, then two wildcard deletes in the same batch leave 1
    await oso.batch((tx) => {
      tx.insert(['has_role', alice, 'member', acme]);
      tx.insert(['has_role', bob, 'member', acme]);
      tx.insert(['has_role', alice, 'reader', anvil]);
      tx.insert(['has_role', bob, 'admin', acme]);
      tx.delete(['has_role', null, 'member', null]);
      tx.delete(['has_role', null, null, { type: 'Repository' }]);
    });
    eq(await oso.get(['has_role', null, null, null]),
      [['has_role', bob, { type: 'String', id: 'admin' }, acme]], 'one fact left');
  }],

  ['bad facts refused, naming the problem', async () => {
    await fresh();
    await rejects(oso.insert(['has_role', alice, 5, acme]), /argument 2 is Integer/, 'Integer role', 422);
    await rejects(oso.insert(['has_rol', alice, 'admin', acme]), /has_rol/, 'unknown predicate', 422);
    await rejects(oso.insert(['has_role', alice, null, acme]), /null/, 'a wildcard in an insert', 422);
    await rejects(oso.insert(['has_role', { type: 'Usr', id: 'x' }, 'admin', acme]), /unknown type 'Usr'/,
      'unknown type', 422);
    await rejects(oso.insert(['has_role', alice, 'admin', { type: 'Organization', id: 'x'.repeat(400) }]),
      /384/, 'an id over the limit', 422);
    await rejects(oso.batch((tx) => {
      tx.insert(['has_role', alice, 'admin', acme]);
      tx.insert(['has_role', alice, 'admin', { type: 'Nope', id: 'y' }]);
    }), /batch\[0\]\.inserts\[1\]/, 'a batch names the bad fact', 422);
    eq(await oso.get(['has_role', null, null, null]), [], 'nothing was written');
  }],

  ['context facts', async () => {
    await fresh();
    await oso.insert(['has_relation', anvil, 'parent', acme]);
    const ctx = [['has_role', bob, 'member', acme]];
    eq(await oso.authorize(bob, 'read', anvil, ctx), true, 'authorize with context');
    eq(await oso.authorize(bob, 'read', anvil), false, 'and without');
    eq(await oso.list(bob, 'read', 'Repository', ctx), ['anvil'], 'list with context');
    eq(await oso.actions(bob, anvil, ctx), ['read'], 'actions with context');
    const repo = typedVar('Repository');
    eq(await oso.buildQuery(['allow', bob, 'read', repo]).withContextFacts(ctx).evaluate(repo),
      ['anvil'], 'query with context');
    // a context fact of the wrong type is an error naming it, not a silent no
    await rejects(oso.authorize(bob, 'read', anvil, [['has_role', bob, 5, acme]]),
      /context fact 0 \(has_role\).*argument 2 is Integer/, 'wrong-typed context fact', 422);
    await rejects(oso.list(bob, 'read', 'Repository', [['has_rol', bob, 'member', acme]]),
      /has_rol/, 'unknown context predicate', 422);
    eq(await oso.get(['has_role', null, null, null]), [], 'context facts are never stored');
  }],

  ['list, paginated and not', async () => {
    await fresh();
    await oso.batch((tx) => {
      tx.insert(['has_role', alice, 'member', acme]);
      for (let i = 0; i < 25; i++) tx.insert(['has_relation', { type: 'Repository', id: `r${String(i).padStart(2, '0')}` }, 'parent', acme]);
    });
    const all = await oso.list(alice, 'read', 'Repository');
    eq(all.length, 25, 'list length');
    const pages = [];
    let token;
    do {
      const page = await oso.listPaginated(alice, 'read', 'Repository', 10, token);
      pages.push(page.results);
      token = page.nextPageToken ?? undefined;
    } while (token);
    eq(pages.map((p) => p.length), [10, 10, 5], 'page sizes');
    eq(pages.flat(), [...all].sort(), 'pages cover the list once, in order');
    // an exact multiple ends with a null token, not an empty page
    const last = await oso.listPaginated(alice, 'read', 'Repository', 25);
    eq(last.nextPageToken, null, 'no next page');
    // older SDKs send no page fields and get exactly {results}
    const r = await http(`${node.url}/api/list`, { body: { actor_type: 'User', actor_id: 'alice',
      action: 'read', resource_type: 'Repository', context_facts: [] } });
    eq(Object.keys(r.json), ['results'], 'keys without page fields');
  }],

  ['actions', async () => {
    await fresh();
    await oso.insert(['has_role', alice, 'admin', acme]);
    await oso.insert(['has_relation', anvil, 'parent', acme]);
    eq(await oso.actions(alice, anvil), ['delete', 'push', 'read'], 'admin actions');
    eq(await oso.actions(bob, anvil), [], 'none');
  }],

  ['query builder: and, in, Map', async () => {
    await fresh('tests/serve/query_builder.polar');
    const user = (id) => ({ type: 'User', id });
    const org = { type: 'Org', id: 'acme' };
    await oso.batch((tx) => {
      tx.insert(['has_role', user('alice'), 'member', org]);
      tx.insert(['has_role', user('bob'), 'admin', org]);
      tx.insert(['has_relation', { type: 'Repo', id: 'anvil' }, 'parent', org]);
      tx.insert(['has_role', user('alice'), 'member', { type: 'Repo', id: 'swage' }]);
    });
    const repo = typedVar('Repo');
    const action = typedVar('String');
    eq(await oso.buildQuery(['allow', user('alice'), 'read', repo]).evaluate(repo),
      ['anvil', 'swage'], 'example 1');
    eq(await oso.buildQuery(['allow', user('bob'), action, repo])
      .and(['has_relation', repo, 'parent', org]).evaluate([action, repo]),
      [['read', 'anvil'], ['write', 'anvil']], 'example 2 (.and)');
    eq(await oso.buildQuery(['allow', user('alice'), action, repo]).in(repo, ['anvil', '3', '5'])
      .evaluate(new Map([[repo, action]])), new Map([['anvil', ['read']]]), 'example 3 (.in, Map)');
    eq(await oso.buildQuery(['allow', user('alice'), 'write', repo]).evaluate(), false,
      'no answer is false');
    eq(await oso.buildQuery(['allow', user('bob'), 'write', { type: 'Repo', id: 'anvil' }]).evaluate(),
      true, 'a ground query');
    await rejects(oso.buildQuery(['allow', user('alice'), 'read', typedVar('Rep')]).evaluate(),
      /unknown type 'Rep'/, 'unknown type in a query', 422);
  }],

  ['query builder: wildcards apart from concrete rows', async () => {
    await fresh('tests/serve/wildcards.polar');
    const org = typedVar('Org');
    const action = typedVar('String');
    const usr = typedVar('User');
    await oso.insert(['has_role', { type: 'User', id: 'bob' }, 'admin', { type: 'Org', id: 'acme' }]);
    await oso.insert(['has_role', { type: 'User', id: 'alice' }, 'member', { type: 'Org', id: 'acme' }]);
    eq(await oso.buildQuery(['allow', { type: 'User', id: 'bob' }, action, org])
      .evaluate(new Map([[org, action]])), new Map([['*', ['read']], ['acme', ['delete']]]),
      'allow(bob, ?action, ?org)');
    eq(await oso.buildQuery(['allow', usr, action, { type: 'Org', id: 'acme' }])
      .evaluate(new Map([[usr, action]])),
      new Map([['*', ['read']], ['alice', ['read']], ['bob', ['delete']]]),
      'allow(?user, ?action, Org acme): alice is not folded into *');
  }],

  ['clearData', async () => {
    await fresh();
    await oso.insert(['has_role', alice, 'admin', acme]);
    await oso.api.clearData();
    eq(await oso.get(['has_role', null, null, null]), [], 'no facts');
    ok((await oso.api.getPolicy()).policy !== null, 'the policy stays');
  }],

  ['OsoOffset: read-your-writes on one node', async () => {
    await fresh();
    for (let i = 0; i < 20; i++) {
      const r = { type: 'Repository', id: `ryw${i}` };
      await oso.insert(['has_role', alice, 'reader', r]);
      eq(await oso.authorize(alice, 'read', r), true, `read ${i} after its write`);
    }
    // a token this node never issued cannot be honoured: 400
    const r = await http(`${node.url}/api/authorize`, { headers: { OsoOffset: '0:5' },
      body: { actor_type: 'User', actor_id: 'alice', action: 'read', resource_type: 'Repository',
        resource_id: 'x', context_facts: [] } });
    eq(r.status, 400, 'a log token on a local node');
  }],

  ['headers: X-Request-ID, Server-Timing', async () => {
    const r = await http(`${node.url}/api/authorize`, { headers: { 'X-Request-ID': 'req-42' },
      body: { actor_type: 'User', actor_id: 'alice', action: 'read', resource_type: 'Repository',
        resource_id: 'x', context_facts: [] } });
    eq(r.headers.get('x-request-id'), 'req-42', 'X-Request-ID echoed');
    ok(/^oso;dur=\d+(\.\d+)?$/.test(r.headers.get('server-timing')), `Server-Timing ${r.headers.get('server-timing')}`);
    const r2 = await http(`${node.url}/api/policy`, { method: 'GET' });
    ok(/^[0-9a-f]{32}$/.test(r2.headers.get('x-request-id')), 'an id made up when none is sent');
  }],

  ['ParityHandle and local authorization', async () => {
    const { ParityHandle } = await import('oso-cloud');
    const ph = new ParityHandle();
    await oso.authorize(alice, 'read', anvil, { parityHandle: ph });
    ph.expect(false);            // fire-and-forget POST /expect: must not reject
    const r = await http(`${node.url}/api/authorize_query`, { body: { query: {}, data_bindings: null } });
    eq(r.status, 404, 'local authorization is not built (404: no fallback)');
    ok(/local authorization/.test(r.json.message), 'says so');
  }],

  ['older endpoints', async () => {
    await fresh();
    const u = (p) => `${node.url}/api${p}`;
    const fact = (pred, ...args) => ({ predicate: pred, args });
    const S = (id) => ({ type: 'String', id });
    let r = await http(u('/facts'), { body: fact('has_role', alice, S('member'), acme) });
    eq([r.status, r.json], [200, fact('has_role', alice, S('member'), acme)], 'POST /facts echoes the fact');
    r = await http(u('/bulk_load'), { body: [fact('has_relation', anvil, S('parent'), acme),
      fact('has_role', bob, S('member'), acme)] });
    eq(r.status, 200, 'POST /bulk_load');
    r = await http(u('/authorize_resources'), { body: { actor_type: 'User', actor_id: 'alice',
      action: 'read', resources: [anvil, { type: 'Repository', id: 'nope' }], context_facts: [] } });
    eq(r.json, { results: [anvil] }, '/authorize_resources');
    r = await http(u('/bulk_actions'), { body: [
      { actor_type: 'User', actor_id: 'alice', resource_type: 'Repository', resource_id: 'anvil', context_facts: [] },
      { actor_type: 'User', actor_id: 'carol', resource_type: 'Repository', resource_id: 'anvil', context_facts: [] }] });
    eq(r.json, [{ results: ['read'] }, { results: [] }], '/bulk_actions');
    r = await http(u('/query'), { body: { fact: fact('has_role', { type: 'User', id: null },
      { type: null, id: null }, acme), context_facts: [] } });
    eq(r.json.results.length, 2, '/query: both members');
    r = await http(u('/facts'), { method: 'DELETE', body: fact('has_role', bob, S('member'), acme) });
    eq(r.status, 200, 'DELETE /facts');
    r = await http(u('/bulk'), { body: { delete: [fact('has_role', alice, { type: null, id: null }, acme)],
      tell: [fact('has_role', bob, S('admin'), acme)] } });
    eq(r.status, 200, 'POST /bulk');
    r = await http(u('/bulk_delete'), { body: [fact('has_relation', anvil, S('parent'), acme)] });
    eq(r.status, 200, 'POST /bulk_delete');
    eq(await oso.get(['has_role', null, null, null]), [['has_role', bob, S('admin'), acme]], 'after all of it');
    eq((await oso.get(['has_relation', null, null, null])).length, 0, 'relation deleted');
  }],

  ['get without a predicate is refused', async () => {
    const r = await http(`${node.url}/api/facts`, { method: 'GET' });
    eq(r.status, 400, 'status');
    ok(/predicate/.test(r.json.message), 'says what is missing');
  }],

  ['metrics count the requests', async () => {
    const r = await http(`${node.url}/metrics`, { method: 'GET' });
    ok(/polarlite_http_requests_total\{endpoint="\/api\/authorize",method="POST",code="200"\} \d+/.test(r.text),
      'authorize counted');
    ok(/polarlite_http_request_duration_seconds_bucket\{endpoint="\/api\/list",method="POST",le="\+Inf"\} \d+/.test(r.text),
      'list latency histogram');
    const h = await http(`${node.url}/healthz`, { method: 'GET' });
    eq(h.status, 200, '/healthz');
    const y = await http(`${node.url}/readyz`, { method: 'GET' });
    eq(y.status, 200, '/readyz with a policy');
  }],

  ['SIGTERM stops it', async () => {
    eq(await node.stop(), 0, 'exit status');
    ok(/event=stopped status=0/.test(node.log()), 'logged the stop');
  }],
];

run(tests, async () => {
  node = await startServe(path.join(WORK, 'sdk.db'));
  oso = new Oso(node.url, KEY);
});
