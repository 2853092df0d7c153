#!/usr/bin/env node
// Run the polarlite policy corpus (tests/corpus) through Node's better-sqlite3.
//
// Usage: node tests/lang/run_corpus.js [-v] [NAME.polar | NAME ...]
//
// The same cases and the same rules as tests/corpus/run_corpus.py: a fresh
// :memory: database per NAME.polar + NAME.json pair, polar_load(policy,
// 'NAME.polar'), the JSON's "facts" inserted with polar_insert, then its
// "checks" in order.  tests/corpus/README.md describes the format.  Every
// authorize, list, actions and query check is also asked of the independent
// evaluator (polar_eval); its failures are marked "[evaluator]".
//
// The extension is $POLARLITE_EXT, else <repo>/polarlite.so.  Integers are
// bound as BigInt so that SQLite sees an INTEGER (better-sqlite3 binds a plain
// JS number as REAL).  Prints each failure and a last line "N passed, M failed";
// exits 1 if anything failed or nothing ran.
'use strict';

const fs = require('fs');
const path = require('path');

const HERE = path.resolve(__dirname, '..', 'corpus');
const ROOT = path.resolve(__dirname, '..', '..');
const CHECK_KINDS = ['authorize', 'list', 'actions', 'query', 'error', 'sql'];
const EVAL_KINDS = ['authorize', 'list', 'actions', 'query'];
const CHECK_KEYS = new Set([...CHECK_KINDS, 'expect', 'match', 'context', 'params', 'why']);

class CorpusError extends Error {}

// A JSON value as polarlite spells it in SQL (SPEC "Values in SQL").
function sqlValue(v) {
  if (typeof v === 'boolean') return v ? 'Boolean:true' : 'Boolean:false';
  if (v === null || typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new CorpusError(`unsupported argument ${JSON.stringify(v)} (use a string, integer, boolean or null)`);
}

// A value read back from SQLite, or an expected JSON value, in one spelling.
function norm(v) {
  if (typeof v === 'boolean') return v ? 'Boolean:true' : 'Boolean:false';
  if (typeof v === 'bigint') {
    return (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) ? Number(v) : v.toString();
  }
  if (Buffer.isBuffer(v)) return `x'${v.toString('hex')}'`;
  return v;
}

// Sort key matching the Python runner's (type name, text): ints before strs.
function key(v) {
  if (v === null) return 'NoneType\u0000';
  return (typeof v === 'number' ? 'int' : 'str') + '\u0000' + String(v);
}
function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
function sortValues(vs) { return vs.map(norm).sort((a, b) => cmp(key(a), key(b))); }
function rowKey(r) { return JSON.stringify(r.map(key)); }
function sortRowSet(rs) {
  const m = new Map();
  for (const r of rs) { const n = r.map(norm); m.set(rowKey(n), n); }
  return [...m.entries()].sort((a, b) => cmp(a[0], b[0])).map((e) => e[1]);
}
function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

function rows(db, sql, params) {
  const stmt = db.prepare(sql);
  stmt.safeIntegers(true);
  if (!stmt.reader) { stmt.run(...params); return []; }
  return stmt.raw(true).all(...params);
}

function describe(check) {
  for (const kind of CHECK_KINDS) {
    if (kind in check) {
      let what = check[kind];
      if (Array.isArray(what)) what = what.map((a) => (a === null ? 'NULL' : String(a))).join(' ');
      return `${kind} ${what}${'context' in check ? ' with context' : ''}`;
    }
  }
  return JSON.stringify(check);
}

// The check asked of the evaluator (polar_eval): null when it passes, else
// [expected, got]. Only for EVAL_KINDS; runCheck validated the check first.
function runEval(db, check) {
  const kind = EVAL_KINDS.find((k) => k in check);
  let params = [kind, ...check[kind].map(sqlValue)];
  if ('context' in check) {
    const ctx = JSON.stringify(check.context);
    if (kind === 'query') params = ['query_context', ctx, ...params.slice(1)];
    else params.push(ctx);
  }
  let got;
  try {
    got = rows(db, `SELECT polar_eval(${params.map(() => '?').join(',')})`, params)[0][0];
  } catch (e) {
    return [check.expect, `error: ${e.message}`];
  }
  if (kind === 'authorize') return norm(got) === (check.expect ? 1 : 0) ? null : [check.expect, norm(got)];
  got = JSON.parse(got);
  if (kind === 'query') {
    const g = sortRowSet(got); const w = sortRowSet(check.expect);
    return same(g, w) ? null : [w, g];
  }
  const g = sortValues(got); const w = sortValues(check.expect);
  return same(g, w) ? null : [w, g];
}

// Returns null when the check passes, else [expected, got].
function runCheck(db, check) {
  if (check === null || typeof check !== 'object' || Array.isArray(check)) throw new CorpusError('a check must be an object');
  const unknown = Object.keys(check).filter((k) => !CHECK_KEYS.has(k));
  const kinds = CHECK_KINDS.filter((k) => k in check);
  if (unknown.length || kinds.length !== 1) {
    throw new CorpusError(`check needs exactly one of ${CHECK_KINDS.join('/')}; unknown keys ${JSON.stringify(unknown)}`);
  }
  const kind = kinds[0];
  const arg = check[kind];
  if (kind !== 'error' && !('expect' in check)) throw new CorpusError(`${kind} check without "expect"`);
  const expect = check.expect;

  if (kind === 'error') {
    if (!('match' in check)) throw new CorpusError('error check without "match"');
    let got;
    try {
      got = rows(db, arg, (check.params || []).map(sqlValue));
    } catch (e) {
      if (e instanceof CorpusError) throw e;
      if (String(e.message).toLowerCase().includes(check.match.toLowerCase())) return null;
      return [`an error containing ${JSON.stringify(check.match)}`, `error: ${e.message}`];
    }
    return [`an error containing ${JSON.stringify(check.match)}`, `no error, rows ${JSON.stringify(got.map((r) => r.map(norm)))}`];
  }

  // the context facts of a check, as the optional last argument
  const context = 'context' in check ? [JSON.stringify(check.context)] : [];
  try {
    if (kind === 'authorize') {
      if (!Array.isArray(arg) || arg.length !== 3) throw new CorpusError('authorize takes [actor, action, resource]');
      if (typeof expect !== 'boolean') throw new CorpusError('authorize expects true or false');
      const params = [...arg.map(sqlValue), ...context];
      const r = rows(db, `SELECT authorize(${params.map(() => '?').join(',')})`, params);
      const got = r.length === 1 ? norm(r[0][0]) : r;
      return got === (expect ? 1 : 0) ? null : [expect, got];
    }
    if (kind === 'list') {
      if (!Array.isArray(arg) || arg.length !== 3) throw new CorpusError('list takes [actor, action, resource_type]');
      const params = [...arg.map(sqlValue), ...context];
      const got = sortValues(rows(db, `SELECT id FROM polar_list(${params.map(() => '?').join(',')})`, params).map((r) => r[0]));
      const want = sortValues(expect);
      return same(got, want) ? null : [want, got];
    }
    if (kind === 'actions') {
      if (!Array.isArray(arg) || arg.length !== 2) throw new CorpusError('actions takes [actor, resource]');
      const params = [...arg.map(sqlValue), ...context];
      const got = sortValues(rows(db, `SELECT action FROM polar_actions(${params.map(() => '?').join(',')})`, params).map((r) => r[0]));
      const want = sortValues(expect);
      return same(got, want) ? null : [want, got];
    }
    if (kind === 'query') {
      if (!Array.isArray(arg) || arg.length < 2 || arg.length > 6) {
        throw new CorpusError('query takes [predicate, a1 .. a5] with 1 to 5 arguments');
      }
      const n = arg.length - 1;
      const cols = Array.from({ length: n }, (_, i) => `a${i + 1}`).join(',');
      const where = context.length ? ' WHERE context=?' : '';
      const got = sortRowSet(rows(db, `SELECT ${cols} FROM polar_query(${arg.map(() => '?').join(',')})${where}`, [...arg.map(sqlValue), ...context]));
      const want = sortRowSet(expect);
      if (want.some((r) => r.length !== n)) throw new CorpusError(`expected query rows must have ${n} values`);
      return same(got, want) ? null : [want, got];
    }
    if (kind === 'sql') {
      const got = rows(db, arg, (check.params || []).map(sqlValue)).map((r) => r.map(norm));
      const want = expect.map((r) => r.map(norm));
      return same(got, want) ? null : [want, got];
    }
  } catch (e) {
    if (e instanceof CorpusError) throw e;
    return [expect, `error: ${e.message}`];
  }
  throw new Error(kind);
}

function runFile(Database, ext, polarPath, verbose) {
  const name = path.basename(polarPath);
  const jsonPath = polarPath.slice(0, -'.polar'.length) + '.json';
  const label = path.basename(jsonPath);
  let src; let testCase; let checks;
  try {
    src = fs.readFileSync(polarPath, 'utf8');
    testCase = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
    checks = testCase.checks;
    if (!Array.isArray(checks) || checks.length === 0) throw new CorpusError('no "checks" list');
    const unknown = Object.keys(testCase).filter((k) => !['facts', 'checks', 'why', 'description'].includes(k));
    if (unknown.length) throw new CorpusError(`unknown top-level keys ${JSON.stringify(unknown)}`);
  } catch (e) {
    console.log(`FAIL ${label}: cannot read the case: ${e.message}`);
    return [0, 1];
  }

  let db;
  try {
    db = new Database(':memory:');
    db.loadExtension(ext);
  } catch (e) {
    console.log(`FAIL ${label}: cannot load the extension ${ext}: ${e.message}`);
    if (db) db.close();
    return [0, checks.length];
  }

  try {
    rows(db, 'SELECT polar_load(?, ?)', [src, name]);
    (testCase.facts || []).forEach((fact, i) => {
      if (!Array.isArray(fact) || fact.length < 2 || fact.length > 6) throw new CorpusError(`fact ${i} must be [predicate, a1 .. a5]`);
      try {
        rows(db, `SELECT polar_insert(${fact.map(() => '?').join(',')})`, fact.map(sqlValue));
      } catch (e) {
        if (e instanceof CorpusError) throw e;
        throw new CorpusError(`fact ${i} ${JSON.stringify(fact)}: ${e.message}`);
      }
    });
  } catch (e) {
    console.log(`FAIL ${label}: setup failed, ${checks.length} checks not run: ${e.message}`);
    db.close();
    return [0, checks.length];
  }

  let passed = 0; let failed = 0;
  checks.forEach((check, i) => {
    const results = [];
    try {
      results.push(['', runCheck(db, check)]);
      if (EVAL_KINDS.some((k) => k in check)) results.push([' [evaluator]', runEval(db, check)]);
    } catch (e) {
      if (!(e instanceof CorpusError) && !(e instanceof TypeError)) throw e;
      results.push(['', ['a well-formed check', `corpus error: ${e.message}`]]);
    }
    for (const [engine, result] of results) {
      if (result === null) { passed += 1; continue; }
      failed += 1;
      console.log(`FAIL ${label} check ${i}${engine}: ${check && typeof check === 'object' ? describe(check) : check}`);
      if (check && check.why) console.log(`     why:      ${check.why}`);
      console.log(`     expected: ${JSON.stringify(result[0])}`);
      console.log(`     got:      ${JSON.stringify(result[1])}`);
    }
  });
  db.close();
  if (verbose) console.log(`${name.padEnd(28)} ${passed} passed, ${failed} failed`);
  return [passed, failed];
}

function main(argv) {
  const verbose = argv.includes('-v');
  const names = argv.filter((a) => a !== '-v');
  const ext = process.env.POLARLITE_EXT || path.join(ROOT, 'polarlite.so');
  let files;
  if (names.length) {
    files = names.map((n) => (n.endsWith('.polar') ? n : `${n}.polar`))
      .map((f) => (fs.existsSync(f) ? f : path.join(HERE, path.basename(f))));
  } else {
    files = fs.readdirSync(HERE).filter((f) => f.endsWith('.polar')).sort().map((f) => path.join(HERE, f));
  }
  if (!files.length) {
    console.log(`no corpus files found in ${HERE}`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  let Database;
  try {
    Database = require('better-sqlite3');
  } catch (e) {
    console.log(`cannot load better-sqlite3 (run "npm ci" in tests/lang, or make deps): ${e.message}`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  if (!fs.existsSync(ext)) console.log(`polarlite extension not found at ${ext} (run make, or set POLARLITE_EXT)`);
  let passed = 0; let failed = 0;
  for (const f of files) {
    const [p, n] = runFile(Database, ext, f, verbose);
    passed += p; failed += n;
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
