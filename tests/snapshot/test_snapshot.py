#!/usr/bin/python3
"""test_snapshot.py — end-to-end tests of `polarlite snapshot` / `restore`
against s3rver on loopback (every S3 request passing through
sigv4_proxy.py, which checks its signature with botocore) and against
file:// storage. The sidecar's snapshot modes: test_sidecar_snapshots.py.

    test_snapshot.py [NAME_SUBSTRING ...]    (run.sh runs all)

Prints one line per test and closes with "N passed, M failed".
"""
import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

W = None          # the work directory
S3 = None         # S3rver
PROXY = None      # SigV4Proxy
ENV = None        # environment for polarlite: S3 through the signing proxy

A_FACTS = [('has_role', 'User:alice', 'admin', 'Organization:acme'),
           ('has_relation', 'Repository:anvil', 'parent', 'Organization:acme')]
B_FACTS = [('has_role', 'User:bob', 'admin', 'Organization:acme'),
           ('has_relation', 'Repository:anvil', 'parent', 'Organization:acme')]


def path(name):
    return os.path.join(W, name)


def s3url(prefix):
    return 's3://%s/%s' % (H.BUCKET, prefix)


def snapshot(db, url, *extra, env=None):
    return H.run_polarlite(['snapshot', '--db', db, '--to', url] + list(extra), env or ENV)


def restore(db, url, *extra, env=None, check=True):
    return H.run_polarlite(['restore', '--db', db, '--from', url] + list(extra), env or ENV,
                           check=check)


def latest(prefix):
    return json.loads(S3.get(prefix + '/latest'))


def leftovers(db):
    d, base = os.path.split(db)
    return [f for f in os.listdir(d) if f.startswith(base + '-')]


def assert_eq(a, b, what):
    if a != b:
        raise AssertionError('%s: %r != %r' % (what, a, b))


def assert_in(needle, hay, what):
    if needle not in hay:
        raise AssertionError('%s: %r not in %r' % (what, needle, hay))


# --------------------------------------------------------------- tests ---

def test_file_roundtrip():
    """snapshot to file:///DIR, restore into a new file: the same answers."""
    src, dst, store = path('f_src.db'), path('f_dst.db'), path('f_store')
    os.mkdir(store)
    H.make_db(src, 3000, offset=77, extra=A_FACTS)
    snapshot(src, 'file://' + store)
    restore(dst, 'file://' + store)
    assert_eq(H.answers(dst), H.answers(src), 'answers after file:// round trip')
    names = sorted(os.listdir(os.path.join(store, 'snapshots')))
    assert_eq(len(names), 2, 'objects under snapshots/')
    assert_eq(leftovers(dst), [], 'temporary files left beside the database')


def test_file_creates_dir():
    """snapshot --to file:///DIR creates DIR (and its parents); a restore from
    a directory that does not exist says there is no snapshot there."""
    src, dst = path('fd_src.db'), path('fd_dst.db')
    store = path('fd_new/deeper/store')
    H.make_db(src, 200, offset=5, extra=A_FACTS)
    snapshot(src, 'file://' + store)
    assert os.path.isfile(os.path.join(store, 'latest')), 'no latest under the new directory'
    restore(dst, 'file://' + store)
    assert_eq(H.answers(dst), H.answers(src), 'answers after the round trip')
    p = restore(path('fd_none.db'), 'file://' + path('fd_missing'), check=False)
    assert_eq(p.returncode, 1, 'restore from a missing directory: exit status')
    assert_in('no snapshot under', p.stderr, 'restore from a missing directory')
    assert not os.path.exists(path('fd_missing')), 'a restore created the directory'


def test_file_url_hint():
    """file://tmp/x (two slashes: "tmp" is a host name) is refused with the
    URL meant."""
    src = path('fh_src.db')
    H.make_db(src, 10, offset=1)
    p = H.run_polarlite(['snapshot', '--db', src, '--to', 'file://tmp/polarlite-x'], ENV,
                        check=False)
    assert_eq(p.returncode, 1, 'exit status')
    assert_in('did you mean file:///tmp/polarlite-x', p.stderr, 'the hint')


BIND_POLICY = ('actor User {} resource Repository { roles = ["reader"]; permissions = ["read"]; '
               '"read" if "reader"; } resource Issue { permissions = ["read"]; relations = '
               '{ repository: Repository }; "read" if "read" on "repository"; }')
BIND_SIG = 'has_relation(Issue:_, String:repository, Repository:_)'


def make_bound_db(p, select_sql, functions=()):
    """A database whose has_relation facts come from its own table issues
    (through a view), plus a table no binding reads."""
    db = H.connect(p)
    for name, fn in functions:
        db.create_function(name, 1, fn)
    db.executescript(
        'CREATE TABLE issues(id INTEGER PRIMARY KEY AUTOINCREMENT, repo_id TEXT);'
        'CREATE INDEX issues_repo ON issues(repo_id);'
        "INSERT INTO issues(repo_id) VALUES ('anvil'), ('forge'), ('anvil');"
        'DELETE FROM issues WHERE id=3;'
        'CREATE VIEW open_issues AS SELECT id, repo_id FROM issues;'
        "CREATE TABLE app_secrets(s); INSERT INTO app_secrets VALUES ('pw');")
    db.execute('SELECT polar_load(?)', (BIND_POLICY,))
    db.execute("SELECT polar_insert('has_role', 'User:alice', 'reader', 'Repository:anvil')")
    db.execute('SELECT polar_bind(?, ?)', (BIND_SIG, select_sql))
    assert_eq(db.execute("SELECT authorize('User:alice', 'read', 'Issue:1')").fetchone()[0], 1,
              'authorize through the binding before the snapshot')
    db.close()


def test_bindings_copied():
    """polar_bind reads application tables: the snapshot carries them (and
    the view between), so checks answer in the restored file, and says so;
    tables no binding reads stay out; a restored file can be restored into
    again (the carried tables are not the application's own)."""
    src, dst, store = path('bind_src.db'), path('bind_dst.db'), path('bind_store')
    make_bound_db(src, 'SELECT id, repo_id FROM open_issues')
    os.mkdir(store)
    p = snapshot(src, 'file://' + store)
    assert_in('carries the application table(s) issues, open_issues', p.stderr, 'snapshot note')
    p = restore(dst, 'file://' + store)
    assert_in('restored the application table(s) issues, open_issues', p.stderr, 'restore note')
    db = H.connect(dst)
    got = db.execute("SELECT authorize('User:alice', 'read', 'Issue:1'), "
                     "authorize('User:alice', 'read', 'Issue:2')").fetchone()
    assert_eq(got, (1, 0), 'checks through the binding in the restored file')
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type IN ('table','view')")}
    assert 'app_secrets' not in tables, 'a table no binding reads was published'
    assert_eq(db.execute("SELECT seq FROM sqlite_sequence WHERE name='issues'").fetchall(), [(3,)],
              'the AUTOINCREMENT counter')
    db.close()
    restore(dst, 'file://' + store)            # no --force needed


def test_bindings_unresolved():
    """a binding whose SELECT calls a function only the application's
    process defines cannot resolve in a restored file: snapshot and restore
    say which binding and why."""
    src, dst, store = path('unres_src.db'), path('unres_dst.db'), path('unres_store')
    make_bound_db(src, 'SELECT id, app_norm(repo_id) FROM issues',
                  functions=[('app_norm', lambda s: s)])
    os.mkdir(store)
    p = snapshot(src, 'file://' + store)
    assert_in('warning: these polar_bind bindings do not resolve', p.stderr, 'snapshot warning')
    assert_in(BIND_SIG + ': no such function: app_norm', p.stderr, 'names the binding and why')
    p = restore(dst, 'file://' + store)
    assert_in('do not resolve in ' + dst, p.stderr, 'restore warning')
    assert_in('app_norm', json.loads(open(os.path.join(store, 'latest')).read())
              .get('unresolved_bindings', ''), 'the manifest')


def test_s3_roundtrip():
    """snapshot → s3rver → restore into a second file: identical answers;
    the manifest describes the object exactly."""
    src, dst = path('s_src.db'), path('s_dst.db')
    H.make_db(src, 5000, offset=1234, topic='facts', extra=A_FACTS)
    out = snapshot(src, s3url('rt')).stdout
    assert_in('log position 0:1234', out, 'snapshot summary')
    restore(dst, s3url('rt'))
    assert_eq(H.answers(dst), H.answers(src), 'answers after S3 round trip')
    m = latest('rt')
    obj = S3.get('rt/' + m['object'])
    assert_eq(m['bytes'], len(obj), 'manifest bytes')
    import hashlib
    assert_eq(m['sha256'], hashlib.sha256(obj).hexdigest(), 'manifest sha256')
    assert_eq((m['format'], m['topic'], m['partition'], m['offset'], m['policy_version'],
               m['facts']), ('polarlite-snapshot-1', 'facts', 0, 1234, 1, 5002), 'manifest fields')
    assert_eq(json.loads(S3.get('rt/' + m['object'][:-3] + '.json')), m, 'manifest == latest')
    db = H.connect(dst)
    stamp = db.execute("SELECT value FROM polar_meta WHERE key='snapshot_created_at'").fetchone()[0]
    db.close()
    assert stamp > 1.6e12, 'snapshot_created_at in the restored file: %r' % stamp


def test_s3_virtual_hosted():
    """virtual-hosted addressing: BUCKET.s3.localhost:PORT/KEY."""
    src, dst = path('v_src.db'), path('v_dst.db')
    H.make_db(src, 500, offset=5, extra=A_FACTS)
    env = dict(ENV, AWS_ENDPOINT_URL_S3='http://s3.localhost:%d' % PROXY.port,
               POLARLITE_S3_ADDRESSING='virtual')
    snapshot(src, s3url('vhost'), env=env)
    restore(dst, s3url('vhost'), env=env)
    assert_eq(H.answers(dst), H.answers(src), 'answers after virtual-hosted round trip')
    hosts = {l.split()[1] for l in PROXY.lines() if ' /vhost/' in l}
    assert_eq(hosts, {'%s.s3.localhost:%d' % (H.BUCKET, PROXY.port)}, 'Host of vhost requests')


def test_s3_multipart():
    """a file above the part size goes up as a multipart upload."""
    src, dst = path('m_src.db'), path('m_dst.db')
    H.make_db(src, 90000, offset=9, extra=A_FACTS)
    size = os.path.getsize(src)
    assert size > 11 << 20, 'test database too small for 3 parts: %d' % size
    env = dict(ENV, POLARLITE_S3_PART_SIZE=str(5 << 20))
    before = len(PROXY.lines())
    snapshot(src, s3url('multi'), env=env)
    lines = PROXY.lines()[before:]
    text = '\n'.join(lines)
    assert_in('POST /%s/multi/snapshots/' % H.BUCKET, text, 'CreateMultipartUpload')
    assert_in('?uploads=', text, 'CreateMultipartUpload query')
    for n in (1, 2, 3):
        assert_in('?partNumber=%d&uploadId=' % n, text, 'UploadPart %d' % n)
    assert any(l.startswith('OK') and ' POST ' in l and '?uploadId=' in l for l in lines), \
        'CompleteMultipartUpload'
    restore(dst, s3url('multi'))
    assert_eq(H.answers(dst), H.answers(src), 'answers after multipart round trip')
    assert latest('multi')['bytes'] > 10 << 20, 'manifest bytes: %r' % latest('multi')


def test_retention():
    """--keep N leaves the newest N snapshots; latest names the newest."""
    src = path('k_src.db')
    H.make_db(src, 200, offset=1)
    db = H.connect(src)
    for off in (2, 3, 4, 5):
        db.execute("UPDATE polar_meta SET value=? WHERE key='log_offset'", (off,))
        snapshot(src, s3url('keep'), '--keep', '2')
    db.close()
    keys = S3.keys('keep/snapshots/')
    assert_eq(len(keys), 4, 'objects kept (2 snapshots x .db/.json): %r' % keys)
    assert all('-o4.' in k or '-o5.' in k for k in keys), 'the newest two remain: %r' % keys
    assert_eq(latest('keep')['offset'], 5, 'latest offset')


def test_leftover_temp_files_swept():
    """a snapshot or restore killed midway leaves its temporary file beside
    the database; the next snapshot or restore removes it, unless a live
    process holds it or it is younger than a minute."""
    src, store = path('t_src.db'), path('t_store')
    os.mkdir(store)
    H.make_db(src, 200, offset=3)
    old = time.time() - 300

    def plant(name, age=old):
        with open(name, 'wb') as f:
            f.write(b'left over' * 1000)
        os.utime(name, (age, age))
        return name
    gone = [plant(src + '-snapshot-AbC123'), plant(src + '-snapshot-AbC123-journal'),
            plant(src + '-restore-xyz789')]
    kept = [plant(src + '-snapshot-young1', time.time()),       # its owner may be starting
            plant(src + '-snapshot-toolong1'),                   # not a name of ours
            plant(src + '-restore-held12')]
    holder = subprocess.Popen(['/usr/bin/python3', '-c',
                               'import fcntl, sys, time\n'
                               'f = open(sys.argv[1])\n'
                               'fcntl.flock(f, fcntl.LOCK_EX)\n'
                               'print("locked", flush=True)\n'
                               'time.sleep(120)', kept[2]], stdout=subprocess.PIPE, text=True)
    try:
        assert_eq(holder.stdout.readline().strip(), 'locked', 'lock holder')
        snapshot(src, 'file://' + store)
        assert_eq([f for f in gone if os.path.exists(f)], [], 'left over files not removed')
        assert_eq([f for f in kept if not os.path.exists(f)], [], 'files removed that were not left over')
    finally:
        holder.kill()
        holder.wait()
    restore(src, 'file://' + store)
    assert not os.path.exists(kept[2]), 'a file whose holder died is removed'
    # a real kill: whatever the killed snapshot left is swept by the next one
    big = path('t_big.db')
    H.make_db(big, 60000, offset=5)
    p = subprocess.Popen([H.POLARLITE, 'snapshot', '--db', big, '--to', 'file://' + store],
                         env=ENV, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    time.sleep(0.05)                      # usually in the middle of the copy
    p.kill()
    p.wait()
    for f in leftovers(big):
        os.utime(os.path.join(W, f), (old, old))
    snapshot(big, 'file://' + store)
    assert_eq(leftovers(big), [], 'files left beside the database after the next snapshot')


def test_restore_offset():
    """--offset N picks the newest snapshot at or below N."""
    src, dst = path('o_src.db'), path('o_dst.db')
    H.make_db(src, 100, offset=10)
    db = H.connect(src)
    for off in (10, 20, 30):
        db.execute("UPDATE polar_meta SET value=? WHERE key='log_offset'", (off,))
        snapshot(src, s3url('offsets'))
    db.close()
    out = restore(dst, s3url('offsets'), '--offset', '25').stdout
    assert_in('log position 0:20', out, 'restore --offset 25')
    p = restore(path('o_dst2.db'), s3url('offsets'), '--offset', '5', check=False)
    assert_eq(p.returncode, 1, 'exit status for no snapshot at or below 5')
    assert_in('no snapshot at or below offset 5', p.stderr, 'error')


def _bad_case(name, plant, expect, live_offset=40, foreign=False):
    """Plant a broken snapshot under prefix bad-NAME, restore into a live
    database: must fail naming the problem and leave the file untouched."""
    prefix = 'bad-' + name
    good_src = path('bad_good.db')
    if not os.path.exists(good_src):
        H.make_db(good_src, 2000, offset=50, extra=B_FACTS)
    snapshot(good_src, s3url(prefix))
    m = latest(prefix)
    obj = S3.get(prefix + '/' + m['object'])
    plant(prefix, m, obj)
    live = path('bad_live_%s.db' % name)
    H.make_db(live, 300, offset=live_offset, extra=A_FACTS)
    if foreign:
        db = H.connect(live)
        db.execute('CREATE TABLE app_users(id INTEGER PRIMARY KEY, name TEXT)')
        db.close()
    before, answers_before = H.file_sha256(live), H.answers(live)
    p = restore(live, s3url(prefix), check=False)
    assert_eq(p.returncode, 1, 'exit status (stderr: %s)' % p.stderr.strip())
    assert_in(expect, p.stderr, 'error message')
    assert_eq(H.file_sha256(live), before, 'database file changed')
    assert_eq(H.answers(live), answers_before, 'answers changed')
    assert_eq(leftovers(live), [], 'temporary files left beside the database')


def _put_manifest(prefix, m):
    body = json.dumps(m).encode()
    S3.put(prefix + '/' + m['object'][:-3] + '.json', body)
    S3.put(prefix + '/latest', body)


def _resign(m, data):
    import hashlib
    m = dict(m, bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    return m


def test_bad_truncated_object():
    def plant(prefix, m, obj):
        S3.put(prefix + '/' + m['object'], obj[:len(obj) // 2])
    _bad_case('truncated', plant, 'is truncated')


def test_bad_flipped_bytes():
    def plant(prefix, m, obj):
        b = bytearray(obj)
        b[len(b) // 2] ^= 0x5a
        S3.put(prefix + '/' + m['object'], bytes(b))
    _bad_case('flipped', plant, 'fails its checksum')


def test_bad_missing_object():
    def plant(prefix, m, obj):
        S3.delete(prefix + '/' + m['object'])
    _bad_case('missing', plant, 'which does not exist')


def test_bad_sha256_mismatch():
    def plant(prefix, m, obj):
        _put_manifest(prefix, dict(m, sha256='0' * 64))
    _bad_case('sha', plant, 'fails its checksum')


def test_bad_older_snapshot():
    _bad_case('older', lambda prefix, m, obj: None, 'older than', live_offset=60)


def test_bad_corrupt_database():
    """a damaged file whose manifest matches it: PRAGMA quick_check."""
    def plant(prefix, m, obj):
        data = obj[:len(obj) * 2 // 3]                 # whole pages missing
        S3.put(prefix + '/' + m['object'], data)
        _put_manifest(prefix, _resign(m, data))
    _bad_case('corrupt', plant, 'fails PRAGMA quick_check')


def test_bad_corrupt_database_full_check():
    """the same, from a publisher that did not check: PRAGMA integrity_check."""
    def plant(prefix, m, obj):
        data = obj[:len(obj) * 2 // 3]
        S3.put(prefix + '/' + m['object'], data)
        m = _resign(m, data)
        del m['checked']
        _put_manifest(prefix, m)
    _bad_case('corruptfull', plant, 'fails PRAGMA integrity_check')


def test_bad_not_a_database():
    def plant(prefix, m, obj):
        data = bytes(random.Random(7).getrandbits(8) for _ in range(8192))
        S3.put(prefix + '/' + m['object'], data)
        _put_manifest(prefix, _resign(m, data))
    _bad_case('notdb', plant, 'is not an SQLite database')


def test_bad_manifest_json():
    def plant(prefix, m, obj):
        S3.put(prefix + '/latest', b'{"format": "polarlite-snapshot-1", "offset": ')
    _bad_case('json', plant, 'manifest is not a JSON object')


def test_bad_manifest_disagrees_with_file():
    def plant(prefix, m, obj):
        _put_manifest(prefix, dict(m, offset=99))
    _bad_case('disagree', plant, 'its manifest says 99')


def test_bad_no_snapshot():
    _bad_case('none', lambda prefix, m, obj: S3.delete(prefix + '/latest'), 'no snapshot under')


def test_bad_foreign_tables():
    """a restore replaces the whole file: refused where the application
    keeps tables of its own."""
    _bad_case('foreign', lambda prefix, m, obj: None, "table 'app_users'", foreign=True)


def test_check_kinds():
    """quick_check where the publisher's integrity_check is pinned by the
    sha256; the full check on --full-check or a manifest without "checked"."""
    src = path('chk_src.db')
    H.make_db(src, 500, offset=3, extra=A_FACTS)
    snapshot(src, s3url('checks'))
    m = latest('checks')
    assert_eq(m.get('checked'), 'integrity_check', 'manifest "checked"')
    out = restore(path('chk1.db'), s3url('checks')).stdout
    assert_in('PRAGMA quick_check', out, 'default check')
    out = restore(path('chk2.db'), s3url('checks'), '--full-check').stdout
    assert_in('PRAGMA integrity_check', out, '--full-check')
    del m['checked']
    _put_manifest('checks', m)
    out = restore(path('chk3.db'), s3url('checks')).stdout
    assert_in('PRAGMA integrity_check', out, 'manifest without "checked"')


def test_older_with_force():
    src, live = path('force_src.db'), path('force_live.db')
    H.make_db(src, 100, offset=10, extra=B_FACTS)
    snapshot(src, s3url('force'))
    H.make_db(live, 100, offset=20, extra=A_FACTS)
    restore(live, s3url('force'), '--force')
    assert_eq(H.answers(live), H.answers(src), 'answers after a forced older restore')


def _reader_during_restores(wal):
    """Restores A → B → A → B while a reader loops: every statement sees all
    of A or all of B, and no statement errors."""
    tag = 'wal' if wal else 'rollback'
    prefix = 'mix-' + tag
    a_src, b_src, live = path('mix_a_%s.db' % tag), path('mix_b_%s.db' % tag), path('mix_%s.db' % tag)
    H.make_db(a_src, 3000, offset=10, extra=A_FACTS)
    H.make_db(b_src, 40000, offset=20, extra=B_FACTS)
    snapshot(a_src, s3url(prefix))
    snapshot(b_src, s3url(prefix))
    H.make_db(live, 3000, offset=10, extra=A_FACTS, wal=wal)
    ready, stop, result = path('ready_' + tag), path('stop_' + tag), path('result_' + tag)
    reader = subprocess.Popen(['/usr/bin/python3', os.path.join(H.HERE, 'reader.py'),
                               live, ready, stop, result])
    try:
        H._wait_for(lambda: os.path.exists(ready), 'the reader to start')
        restore(live, s3url(prefix))                       # B (latest)
        time.sleep(0.3)
        restore(live, s3url(prefix), '--offset', '10', '--force')   # A
        time.sleep(0.3)
        restore(live, s3url(prefix))                       # B
        time.sleep(0.3)
    finally:
        open(stop, 'w').close()
        reader.wait(timeout=60)
    with open(result) as f:
        r = json.load(f)
    a_state = '1,0,3002,10'
    b_state = '0,1,40002,20'
    assert_eq(r['errors'], [], 'reader errors')
    assert_eq(set(r['states']) - {a_state, b_state}, set(), 'mixed states seen (%r)' % r['states'])
    assert r['states'].get(a_state) and r['states'].get(b_state), 'saw both states: %r' % r['states']
    H.log('    %s: %d statements, %r' % (tag, r['statements'], r['states']))
    db = H.connect(live)
    mode = db.execute('PRAGMA journal_mode').fetchone()[0]
    db.close()
    assert_eq(mode, 'wal' if wal else 'delete', 'journal mode after restore')


def test_reader_during_restore_wal():
    _reader_during_restores(True)


def test_reader_during_restore_rollback():
    _reader_during_restores(False)


def test_sigv4_wrong_secret_refused():
    """the signature check is not vacuous: a wrong secret is caught."""
    src = path('sig_src.db')
    H.make_db(src, 10, offset=1)
    env = dict(ENV, AWS_SECRET_ACCESS_KEY='not-the-secret')
    p = H.run_polarlite(['snapshot', '--db', src, '--to', s3url('wrongsecret')], env, check=False)
    assert_eq(p.returncode, 1, 'exit status')
    assert_in('HTTP 403 SignatureDoesNotMatch', p.stderr, 'error')
    assert 'not-the-secret' not in p.stderr, 'the secret appears in the error'
    assert any(l.startswith('BAD') and '/wrongsecret/' in l for l in PROXY.lines()), 'proxy log'


def test_sigv4_every_request_verified():
    """every request of the run (puts, gets, lists, deletes, multipart) was
    signed exactly as botocore signs it."""
    lines = PROXY.lines()
    bad = [l for l in lines if l.startswith('BAD') and '/wrongsecret/' not in l]
    assert_eq(bad, [], 'requests botocore did not verify')
    kinds = {l.split()[2] for l in lines if l.startswith('OK')}
    assert kinds >= {'GET', 'PUT', 'POST', 'DELETE'}, 'methods seen: %r' % kinds
    assert len(lines) > 50, 'only %d requests went through the proxy' % len(lines)
    H.log('    %d requests verified by botocore' % len(lines))


if __name__ == '__main__':
    sys.exit(H.run_tests(sys.modules[__name__], sys.argv[1:]))
