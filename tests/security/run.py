#!/usr/bin/python3
"""Security tests of the SQL surface (Debian's /usr/bin/python3; loads ./polarlite.so).

  tests/security/run.py [-v]        (make securitytest)

1. Bound, never spliced. For every corpus policy (tests/corpus/*.polar) and
   every kind polar_sql explains (authorize, list, actions, query), with the
   shapes the corpus checks use and hostile values in every user position
   (quotes, `;`, comment markers, unicode, a 384-byte id, printf and LIKE
   metacharacters), the compiled SQL must carry user values only as ?N
   parameters: no hostile byte sequence may appear in it, and every string
   literal in it must come from the policy (the literal, or for a 'Type:id'
   storage literal its id, occurs in the policy source), or be one of the
   engine's own constants listed below.
2. A schema an attacker wrote. A database file whose views, triggers, CHECK
   constraints, generated columns and polar_binding rows were written by
   someone else must not be able to write facts or policy through the
   extension: every writer (polar_insert, polar_delete, polar_batch,
   polar_load, polar_bind, polar_now(N), INSERT/DELETE on polar_facts) and
   every call that changes the connection or waits (polar_limit(name, N),
   polar_wait) fails with "unsafe use", a planted binding that calls a
   writer is refused, and afterwards the facts, the policy version and the
   limits are what they were; a view calling authorize still works, with
   trusted_schema on and off (authorize is SQLITE_INNOCUOUS).
3. polar_bind refuses statements that are not one read-only SELECT,
   SELECTs that call functions only top-level SQL may call, and SELECTs
   that read a table outside the main database (an attached database or
   the connection's temp tables), as SQLite refuses them in views.
Prints one line per failure and "N passed, M failed"; exits 1 on failure.
"""
import glob, json, os, re, sqlite3, sys, tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EXT = os.environ.get("POLARLITE_EXT", os.path.join(ROOT, "polarlite"))
VERBOSE = "-v" in sys.argv[1:]

# Hostile ids: each holds a marker that must never reach the SQL text.
HOSTILE = [
    "zq1'); DELETE FROM polar_meta; --",
    'zq2"||(SELECT 1)||"',
    "zq3;DROP TABLE x",
    "zq4 ümlaut ✓ 😀 \u202e",
    "zq5%s%n%q%Q%w",
    "zq6\\' OR 1=1 /*",
    "zq7_%",
    "zq8" + "x" * 381,              # 384 bytes
]
MARKERS = ["zq1", "zq2", "zq3", "zq4", "zq5", "zq6", "zq7", "zq8", "DELETE FROM polar_meta",
           "OR 1=1", "ümlaut", "😀", "x" * 64]
HOSTILE_INT = 918273645

# String literals the compiler writes on its own (not from the policy).
# (A type's range also appears as 'T:' and 'T;', see literal_from_policy.)
# "integer": typeof(x)='integer', the type filter on Integers (compile/emit.c)
ENGINE_LITERALS = {"", "*", "policy_version", "Boolean:true", "Boolean:false", "integer"}

passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
        if VERBOSE:
            print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)
    return cond


def connect(path=":memory:"):
    db = sqlite3.connect(path, isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(EXT)
    db.enable_load_extension(False)
    return db


def sql_literals(sql):
    """String literals of an SQL text ('..' with '' escapes), skipping
    "quoted identifiers" and comments."""
    out, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "'":
            j, buf = i + 1, []
            while j < n:
                if sql[j] == "'":
                    if j + 1 < n and sql[j + 1] == "'":
                        buf.append("'"); j += 2; continue
                    break
                buf.append(sql[j]); j += 1
            out.append("".join(buf)); i = j + 1
        elif c == '"':
            j = sql.index('"', i + 1)
            while j + 1 < n and sql[j + 1] == '"':
                j = sql.index('"', j + 2)
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i); i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2); i = n if j < 0 else j + 2
        else:
            i += 1
    return out


def literal_from_policy(lit, src):
    if lit in ENGINE_LITERALS or lit in src:
        return True
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*);$", lit)
    if m:       # upper bound of a type's range: 'T:' <= v < 'T;'
        return m.group(1) in ("String", "Integer", "Boolean") or \
            bool(re.search(r"\b%s\b" % re.escape(m.group(1)), src))
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*):(.*)$", lit, re.S)
    if m:
        typ, ident = m.group(1), m.group(2)
        typ_ok = typ in ("String", "Integer", "Boolean") or re.search(r"\b%s\b" % re.escape(typ), src)
        return bool(typ_ok) and (ident == "" or ident in src)
    return False


def hostile_value(v, k):
    """The same kind of value as v (a check argument) with a hostile id."""
    h = HOSTILE[k % len(HOSTILE)]
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return HOSTILE_INT
    if isinstance(v, str):
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*):(.*)$", v)
        if m and m.group(2) == "_":
            return v                      # a pattern: keep it open
        if m and m.group(1) in ("Integer",):
            return HOSTILE_INT
        if m and m.group(1) == "Boolean":
            return v
        if m:
            return m.group(1) + ":" + h
        return "String:" + h if ":" in h else h
    return v


def check_sql(db, src, name, kind, args):
    what = "%s: polar_sql(%r, %s)" % (name, kind, ", ".join(repr(a)[:40] for a in args))
    q = "SELECT polar_sql(?%s)" % (", ?" * len(args))
    try:
        sql = db.execute(q, [kind] + list(args)).fetchone()[0]
    except sqlite3.Error as e:
        # a refused value is fine (unknown type etc.); it must not echo SQL
        return ok("SELECT" not in str(e), what + " error without SQL text: " + str(e)[:120])
    bad = [m for m in MARKERS if m in sql] + ([str(HOSTILE_INT)] if str(HOSTILE_INT) in sql else [])
    ok(not bad, what + ": no user value in the SQL text" + (" (found %r)" % bad if bad else ""))
    foreign = [l for l in sql_literals(sql) if not literal_from_policy(l, src)]
    ok(not foreign, what + ": every literal comes from the policy" +
       (" (not in the policy: %r)" % foreign[:3] if foreign else ""))


def test_bound_values():
    cases = sorted(glob.glob(os.path.join(ROOT, "tests/corpus/*.polar")))
    ok(len(cases) > 0, "corpus policies found")
    for path in cases:
        name = os.path.basename(path)[:-6]
        src = open(path, encoding="utf-8").read()
        spec = os.path.join(ROOT, "tests/corpus", name + ".json")
        checks = json.load(open(spec, encoding="utf-8")).get("checks", []) if os.path.exists(spec) else []
        db = connect()
        try:
            db.execute("SELECT polar_load(?, ?)", (src, name + ".polar"))
        except sqlite3.Error as e:
            ok(False, "%s loads: %s" % (name, e))
            continue
        shapes = set()
        for c in checks:
            for kind in ("authorize", "list", "actions", "query"):
                if kind in c:
                    shapes.add((kind, json.dumps(c[kind])))
        actors = re.findall(r"^\s*actor\s+([A-Za-z_]\w*)", src, re.M) or ["User"]
        resources = re.findall(r"^\s*resource\s+([A-Za-z_]\w*)", src, re.M)
        for a in actors[:2]:
            for r in resources[:4]:
                shapes.add(("authorize", json.dumps([a + ":x", "read", r + ":y"])))
                shapes.add(("list", json.dumps([a + ":x", "read", r])))
                shapes.add(("actions", json.dumps([a + ":x", r + ":y"])))
        n = 0
        for kind, js in sorted(shapes):
            args = json.loads(js)
            for k in range(len(HOSTILE)):
                if kind == "query":
                    hv = [args[0]] + [hostile_value(v, k + i) for i, v in enumerate(args[1:])]
                elif kind == "list":
                    hv = [hostile_value(args[0], k), hostile_value(args[1], k + 1), args[2]]
                else:
                    hv = [hostile_value(v, k + i) for i, v in enumerate(args)]
                check_sql(db, src, name, kind, hv)
                n += 1
            # the action as a policy constant: compiled as a known string
            if kind in ("authorize", "list"):
                hv = list(args)
                hv[0] = hostile_value(args[0], 3)
                check_sql(db, src, name, kind, hv)
        db.close()


def facts_and_version(db):
    n = db.execute("SELECT count(*) FROM polar_facts").fetchone()[0]
    v = db.execute("SELECT policy_version FROM polar_status").fetchone()[0]
    return n, v


POLICY = ('actor User {} resource Org { roles = ["member"]; } '
          'resource Repo { roles = ["reader"]; permissions = ["read"]; '
          'relations = { parent: Org }; "read" if "reader"; "reader" if "member" on "parent"; }')


def test_hostile_schema():
    tmp = tempfile.mkdtemp(prefix="polarlite-sec-")
    path = os.path.join(tmp, "hostile.db")
    # the victim's database, with a policy and facts
    db = connect(path)
    db.execute("SELECT polar_load(?, 'p.polar')", (POLICY,))
    db.execute("SELECT polar_insert('has_role', 'User:alice', 'member', 'Org:acme')")
    db.execute("SELECT polar_insert('has_relation', 'Repo:anvil', 'parent', 'Org:acme')")
    db.close()

    # the attacker edits the file (with the extension loaded, so that CHECK
    # constraints and generated columns naming its functions can be created)
    writers = {
        "polar_insert": "polar_insert('has_role', 'User:mallory', 'member', 'Org:acme')",
        "polar_delete": "polar_delete('has_role', NULL, NULL, NULL)",
        "polar_batch": "polar_batch('[{\"deletes\":[{\"predicate\":\"has_role\",\"args\":[{},{},{}]}]}]')",
        "polar_load": "polar_load('actor User {}')",
        "polar_bind": "polar_bind('has_relation(Repo:_, String:parent, Org:_)', 'SELECT 1, 2')",
        "polar_now": "polar_now(0)",
        "polar_limit": "polar_limit('steps', 0)",
        "polar_wait": "polar_wait('0:999999', 100000)",
    }
    a = connect(path)
    a.execute("CREATE TABLE t(x)")
    for fn, call in writers.items():
        a.execute("CREATE VIEW v_%s AS SELECT %s AS r" % (fn, call))
        a.execute("CREATE TABLE t_%s(x)" % fn)
        a.execute("CREATE TRIGGER tr_%s AFTER INSERT ON t_%s BEGIN SELECT %s; END" % (fn, fn, call))
        a.execute("CREATE TABLE c_%s(x CHECK ((%s) IS NOT NULL))" % (fn, call))
        # (a generated column cannot name them at all: SQLite allows only
        # deterministic functions there, checked when the table is created)
    a.execute("CREATE VIEW v_facts AS SELECT * FROM polar_facts")
    a.execute("CREATE TABLE tf(x)")
    a.execute("CREATE TRIGGER tr_facts AFTER INSERT ON tf BEGIN "
              "INSERT INTO polar_facts(predicate, a1, a2, a3) VALUES('has_role', 'User:mallory', 'member', 'Org:acme'); END")
    a.execute("CREATE TRIGGER tr_facts_del AFTER INSERT ON tf BEGIN DELETE FROM polar_facts; END")
    a.execute("CREATE VIEW v_authorize AS SELECT authorize('User:alice', 'read', 'Repo:anvil') AS ok")
    a.execute("CREATE VIEW v_now AS SELECT polar_now() AS t")
    a.close()

    db = connect(path)
    before = facts_and_version(db)
    limits_before = db.execute("SELECT polar_limit('steps')").fetchone()[0]
    ok(before[0] == 2, "hostile schema: victim facts present (%d)" % before[0])
    for fn in writers:
        for what, sql in (("view", "SELECT * FROM v_%s" % fn),
                          ("trigger", "INSERT INTO t_%s VALUES(1)" % fn),
                          ("CHECK constraint", "INSERT INTO c_%s VALUES(1)" % fn)):
            try:
                db.execute(sql).fetchall()
                ok(False, "hostile schema: %s calling %s was allowed" % (what, fn))
            except sqlite3.Error as e:
                ok("unsafe use" in str(e), "hostile schema: %s calling %s fails: %s" % (what, fn, e))
    for what, sql in (("view over polar_facts", "SELECT * FROM v_facts"),
                      ("trigger writing polar_facts", "INSERT INTO tf VALUES(1)")):
        try:
            db.execute(sql).fetchall()
            ok(False, "hostile schema: %s was allowed" % what)
        except sqlite3.Error as e:
            ok("unsafe use" in str(e), "hostile schema: %s fails: %s" % (what, e))
    ok(db.execute("SELECT polar_now(5)").fetchone()[0] == 5, "top level: polar_now(N) pins the time")
    db.execute("SELECT polar_now(NULL)")
    try:
        r = db.execute("SELECT ok FROM v_authorize").fetchone()[0]
        ok(r == 1, "hostile schema: authorize in a view is allowed (answer %r)" % r)
    except sqlite3.Error as e:
        ok(False, "hostile schema: authorize in a view: %s" % e)
    try:
        db.execute("SELECT t FROM v_now").fetchone()
        ok(True, "hostile schema: polar_now() (innocuous) in a view is allowed")
    except sqlite3.Error as e:
        ok(False, "hostile schema: polar_now() in a view: %s" % e)
    db.execute("PRAGMA trusted_schema=OFF")
    try:
        r = db.execute("SELECT ok FROM v_authorize").fetchone()[0]
        ok(r == 1, "trusted_schema=OFF: authorize (innocuous) in a view is allowed (answer %r)" % r)
    except sqlite3.Error as e:
        ok(False, "trusted_schema=OFF: authorize in a view: %s" % e)
    for fn in writers:
        try:
            db.execute("SELECT * FROM v_%s" % fn).fetchall()
            ok(False, "trusted_schema=OFF: view calling %s was allowed" % fn)
        except sqlite3.Error as e:
            ok("unsafe use" in str(e), "trusted_schema=OFF: view calling %s fails: %s" % (fn, e))
    db.execute("PRAGMA trusted_schema=ON")
    after = facts_and_version(db)
    ok(after == before, "hostile schema: facts and policy version unchanged %r -> %r" % (before, after))
    limits_after = db.execute("SELECT polar_limit('steps')").fetchone()[0]
    ok(limits_after == limits_before, "hostile schema: steps limit unchanged %r -> %r" % (limits_before, limits_after))
    db.close()

    # a planted binding: polar_binding is a plain table the attacker can write
    a = sqlite3.connect(path, isolation_level=None)
    a.execute("CREATE TABLE IF NOT EXISTS polar_binding(signature TEXT PRIMARY KEY, "
              "select_sql TEXT NOT NULL, bound_at INTEGER)")
    a.execute("CREATE TABLE repos(id, org)")
    a.execute("INSERT INTO repos VALUES('anvil', 'acme')")
    a.execute("INSERT INTO polar_binding VALUES('has_relation(Repo:_, String:parent, Org:_)', "
              "'SELECT id, org FROM repos WHERE polar_delete(''has_role'', NULL, NULL, NULL) >= 0', 0)")
    # make every connection reload the policy (and its bindings)
    a.execute("INSERT INTO polar_policy(version, src, filename, loaded_at) "
              "SELECT max(version)+1, ?, 'p.polar', 0 FROM polar_policy", (POLICY,))
    a.execute("UPDATE polar_meta SET value=(SELECT max(version) FROM polar_policy) WHERE key='policy_version'")
    a.close()
    db = connect(path)
    try:
        r = db.execute("SELECT authorize('User:alice', 'read', 'Repo:anvil')").fetchone()[0]
        ok(False, "planted binding calling polar_delete was used (authorize answered %r)" % r)
    except sqlite3.Error as e:
        ok("polar_delete" in str(e), "planted binding calling polar_delete is refused: %s" % str(e)[:160])
    n = sqlite3.connect(path).execute("SELECT count(*) FROM polar_f_has_role_3").fetchone()[0]
    ok(n == 1, "planted binding: has_role facts intact (%d)" % n)
    db.close()
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


def test_bind_readonly():
    db = connect()
    db.execute("SELECT polar_load(?, 'p.polar')", (POLICY,))
    db.execute("CREATE TABLE repos(id, org)")
    db.execute("INSERT INTO repos VALUES('anvil', 'acme')")
    db.execute("ATTACH ':memory:' AS aux")
    db.execute("CREATE TABLE aux.secrets(id, org)")
    db.execute("CREATE TEMP TABLE scratch(id, org)")
    sig = "has_relation(Repo:_, String:parent, Org:_)"
    refused = [
        "SELECT id, org FROM aux.secrets",
        "SELECT id, org FROM secrets",
        "SELECT id, org FROM scratch",
        "SELECT id, org FROM repos WHERE id NOT IN (SELECT id FROM aux.secrets)",
        "DELETE FROM repos",
        "DELETE FROM repos RETURNING id, org",
        "INSERT INTO repos VALUES('x', 'y') RETURNING id, org",
        "UPDATE repos SET org='evil' RETURNING id, org",
        "WITH x AS (SELECT 1) DELETE FROM repos",
        "CREATE TABLE z(a, b)",
        "DROP TABLE repos",
        "PRAGMA writable_schema=1",
        "ATTACH ':memory:' AS evil",
        "SELECT id, org FROM repos; DELETE FROM repos",
        "SELECT id, org FROM repos WHERE polar_delete('has_role', NULL, NULL, NULL) >= 0",
        "SELECT id, org FROM repos WHERE polar_insert('has_role', 'User:m', 'member', 'Org:acme')",
        "SELECT id, max(polar_batch('[]')) FROM repos",
        "SELECT id, org FROM repos WHERE polar_load('actor User {}') > 0",
        "SELECT id, org FROM repos WHERE polar_now(1) > 0",
        "SELECT id, org FROM repos WHERE load_extension('/nonexistent') IS NULL",
        "BEGIN",
        "VACUUM",
    ]
    for s in refused:
        try:
            db.execute("SELECT polar_bind(?, ?)", (sig, s))
            ok(False, "polar_bind accepted %r" % s)
        except sqlite3.Error as e:
            ok("polar_bind" in str(e), "polar_bind refuses %r: %s" % (s, str(e)[:100]))
    ok(db.execute("SELECT count(*) FROM repos").fetchone()[0] == 1, "polar_bind: repos intact")
    try:
        v = db.execute("SELECT polar_bind(?, ?)", (sig, "SELECT id, lower(org) FROM repos")).fetchone()[0]
        ok(v >= 2, "polar_bind accepts a read-only SELECT calling safe functions")
    except sqlite3.Error as e:
        ok(False, "polar_bind refused a read-only SELECT: %s" % e)
    db.close()


def main():
    if not os.path.exists(EXT + ".so") and not os.path.exists(EXT):
        print("polarlite.so not found: run make"); print("0 passed, 1 failed"); sys.exit(1)
    test_bound_values()
    test_hostile_schema()
    test_bind_readonly()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
