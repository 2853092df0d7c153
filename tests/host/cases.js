// cases.js — polarlite inside Node's better-sqlite3, one case per run: the
// process must survive whatever it does with the extension and exit 0.
// Run by tests/host/run.sh (which checks the exit status).
//
//   node cases.js CASE DIR EXT
'use strict';
const path = require('path');
const fs = require('fs');
const Database = require(path.join(__dirname, '../lang/node_modules/better-sqlite3'));

const POLICY = 'actor User {} resource Org { roles = ["member", "admin"]; ' +
  'permissions = ["read", "write"]; "read" if "member"; "write" if "admin"; "member" if "admin"; }';

function assert(cond, what) { if (!cond) throw new Error('assertion failed: ' + what); }
function one(db, sql, ...args) { return db.prepare(sql).pluck().get(...args); }

const cases = {
  // load twice on one connection: the second load changes nothing
  twice(d, ext) {
    const db = new Database(path.join(d, 'twice.db'));
    db.loadExtension(ext);
    one(db, 'SELECT polar_load(?)', POLICY);
    one(db, "SELECT polar_insert('has_role', 'User:ann', 'admin', 'Org:acme')");
    db.loadExtension(ext);
    assert(one(db, "SELECT authorize('User:ann', 'write', 'Org:acme')") === 1, 'authorize');
    db.close();
  },
  // a file that is not a database: errors, never a crash, a clean close
  notadb(d, ext) {
    const p = path.join(d, 'notadb.db');
    const buf = Buffer.alloc(20000);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 7919 + 13) & 0xff;
    fs.writeFileSync(p, buf);
    const db = new Database(p);
    try { db.loadExtension(ext); } catch (e) { assert(/not a database/.test(e.message), e.message); }
    for (const sql of ["SELECT authorize('User:a', 'read', 'Org:b')", 'SELECT 1 FROM sqlite_schema']) {
      let threw = false;
      try { db.prepare(sql).all(); } catch (e) { threw = /not a database/.test(e.message); }
      assert(threw, sql + ' on a file that is not a database');
    }
    db.close();
  },
  // many connections, checks cached on each, closed in another order
  close_order(d, ext) {
    const p = path.join(d, 'order.db');
    const dbs = [];
    for (let i = 0; i < 6; i++) { const db = new Database(p); db.loadExtension(ext); dbs.push(db); }
    one(dbs[0], 'SELECT polar_load(?)', POLICY);
    one(dbs[0], "SELECT polar_insert('has_role', 'User:ann', 'admin', 'Org:acme')");
    for (const db of dbs) assert(one(db, "SELECT authorize('User:ann', 'write', 'Org:acme')") === 1, 'authorize');
    for (const i of [3, 0, 5, 1, 4, 2]) {
      dbs[i].close();
      for (const db of dbs) if (db.open) assert(one(db, "SELECT authorize('User:ann', 'read', 'Org:acme')") === 1, 'authorize');
    }
  },
};

const [name, d, ext] = process.argv.slice(2);
cases[name](d, ext);
console.log('ok', name);
