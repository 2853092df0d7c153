#!/usr/bin/python3
"""cases.py — polarlite inside Debian's Python (its sqlite3 module loads
extensions), one case per run: the host process must survive whatever it
does with the extension, and exit 0. Run by tests/host/run.sh, which checks
the exit status (a crash is a signal) and, under ASan or valgrind, the report.

    cases.py CASE DIR EXT
"""
import os
import random
import sqlite3
import sys
import threading

POLICY = ('actor User {} resource Org { roles = ["member", "admin"]; '
          'permissions = ["read", "write"]; "read" if "member"; "write" if "admin"; '
          '"member" if "admin"; }')


def connect(path, ext, **kw):
    db = sqlite3.connect(path, isolation_level=None, timeout=10, **kw)
    db.enable_load_extension(True)
    db.load_extension(ext)
    return db


def one(db, sql, *args):
    return db.execute(sql, args).fetchone()[0]


def case_twice(d, ext):
    """load twice on one connection (a pool's connect hook does this): the
    second load changes nothing; the connection keeps its state."""
    db = connect(os.path.join(d, 'twice.db'), ext)
    one(db, 'SELECT polar_load(?)', POLICY)
    one(db, "SELECT polar_insert('has_role', 'User:ann', 'admin', 'Org:acme')")
    one(db, "SELECT polar_limit('steps', 12345)")
    db.load_extension(ext)
    db.load_extension(ext)
    assert one(db, "SELECT authorize('User:ann', 'write', 'Org:acme')") == 1
    assert one(db, "SELECT polar_limit('steps')") == 12345, 'the second load reset the limits'
    db.close()


def case_twice_in_statement(d, ext):
    """load_extension() as an SQL function, twice, inside one statement."""
    db = connect(os.path.join(d, 'twice_sql.db'), ext)
    db.execute("SELECT load_extension(?), load_extension(?)", (ext, ext)).fetchall()
    assert one(db, 'SELECT polar_now() > 0') == 1
    db.close()


def case_two_copies(d, ext):
    """two copies of the library (two paths) loaded on one connection: the
    second replaces the first's registrations cleanly."""
    import shutil
    copy = os.path.join(d, 'copy', 'polarlite.so')
    os.makedirs(os.path.dirname(copy), exist_ok=True)
    shutil.copy(ext + '.so', copy)
    db = connect(os.path.join(d, 'copies.db'), ext)
    one(db, 'SELECT polar_load(?)', POLICY)
    one(db, "SELECT polar_insert('has_role', 'User:ann', 'admin', 'Org:acme')")
    assert one(db, "SELECT authorize('User:ann', 'write', 'Org:acme')") == 1
    db.execute("SELECT * FROM polar_status").fetchall()
    db.load_extension(copy)
    assert one(db, "SELECT authorize('User:ann', 'write', 'Org:acme')") == 1
    db.execute("SELECT id FROM polar_list('User:ann', 'read', 'Org')").fetchall()
    db.close()


def case_notadb(d, ext):
    """a file that is not a database: the load (or the first statement)
    fails with SQLite's message; the connection stays usable and closes."""
    p = os.path.join(d, 'notadb.db')
    with open(p, 'wb') as f:
        f.write(random.Random(7).randbytes(20000))
    db = sqlite3.connect(p, isolation_level=None)
    db.enable_load_extension(True)
    try:
        db.load_extension(ext)
    except sqlite3.Error as e:
        assert 'not a database' in str(e), e
    for sql in ("SELECT authorize('User:a', 'read', 'Org:b')", 'SELECT * FROM polar_status',
                'SELECT 1 FROM sqlite_schema'):
        try:
            db.execute(sql).fetchall()
            raise AssertionError('%s answered on a file that is not a database' % sql)
        except sqlite3.DatabaseError as e:
            assert 'not a database' in str(e), (sql, e)
    try:
        db.load_extension(ext)
    except sqlite3.Error:
        pass
    assert one(db, 'SELECT 40 + 2') == 42
    db.close()


def case_readonly(d, ext):
    """a database opened read-only: checks answer; writes fail with
    SQLite's reason; nothing crashes."""
    p = os.path.join(d, 'ro.db')
    db = connect(p, ext)
    one(db, 'SELECT polar_load(?)', POLICY)
    one(db, "SELECT polar_insert('has_role', 'User:ann', 'admin', 'Org:acme')")
    db.close()
    db = connect('file:%s?mode=ro' % p, ext, uri=True)
    assert one(db, "SELECT authorize('User:ann', 'read', 'Org:acme')") == 1
    for sql in ("SELECT polar_insert('has_role', 'User:bob', 'admin', 'Org:acme')",
                "SELECT polar_load('actor User {}')"):
        try:
            db.execute(sql).fetchall()
            raise AssertionError('%s wrote to a read-only database' % sql)
        except sqlite3.OperationalError as e:
            assert 'readonly' in str(e), e
    assert one(db, "SELECT authorize('User:ann', 'write', 'Org:acme')") == 1
    db.close()


def case_wal_reader(d, ext):
    """(run as a user that cannot write the directory) a WAL database whose
    sidecar is stopped: SQLite cannot open its -shm; loading and closing
    stay clean, and statements fail with SQLite's reason."""
    p = os.path.join(d, 'walro', 'authz.db')
    db = sqlite3.connect(p, isolation_level=None)
    db.enable_load_extension(True)
    try:
        db.load_extension(ext)
    except sqlite3.Error as e:
        assert 'unable to open' in str(e) or 'readonly' in str(e), e
    try:
        r = one(db, "SELECT authorize('User:ann', 'read', 'Org:acme')")
        assert r == 1, r
    except sqlite3.OperationalError as e:
        assert 'unable to open' in str(e) or 'readonly' in str(e), e
    db.close()


def case_close_order(d, ext):
    """many connections to one file, with checks cached on each, closed in
    a random order while the others keep answering."""
    p = os.path.join(d, 'order.db')
    dbs = [connect(p, ext) for _ in range(8)]
    one(dbs[0], 'SELECT polar_load(?)', POLICY)
    one(dbs[0], "SELECT polar_insert('has_role', 'User:ann', 'admin', 'Org:acme')")
    rnd = random.Random(11)
    for db in dbs:
        assert one(db, "SELECT authorize('User:ann', 'write', 'Org:acme')") == 1
        db.execute("SELECT id FROM polar_list('User:ann', 'read', 'Org')").fetchall()
    cur = dbs[3].execute("SELECT id FROM polar_list('User:ann', 'read', 'Org')")
    cur.fetchone()                      # a statement left open at close
    rnd.shuffle(dbs)
    while dbs:
        dbs.pop().close()
        for db in dbs:
            assert one(db, "SELECT authorize('User:ann', 'read', 'Org:acme')") == 1


def case_threads(d, ext):
    """threads that each open, load, check, write and close connections to
    one file, concurrently."""
    p = os.path.join(d, 'threads.db')
    db = connect(p, ext)
    db.execute('PRAGMA journal_mode=WAL')
    one(db, 'SELECT polar_load(?)', POLICY)
    db.close()
    errors = []

    def work(k):
        try:
            for i in range(15):
                c = connect(p, ext, check_same_thread=False)
                c.load_extension(ext)
                one(c, "SELECT polar_insert('has_role', ?, 'member', 'Org:acme')",
                    'User:t%d_%d' % (k, i))
                assert one(c, "SELECT authorize(?, 'read', 'Org:acme')", 'User:t%d_%d' % (k, i)) == 1
                c.close()
        except Exception as e:          # noqa: BLE001 (reported below)
            errors.append('thread %d: %r' % (k, e))

    ts = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors
    db = connect(p, ext)
    assert one(db, 'SELECT count(*) FROM polar_facts') == 90
    db.close()


if __name__ == '__main__':
    name, d, ext = sys.argv[1:4]
    globals()['case_' + name](d, ext)
    print('ok', name)
