#!/usr/bin/python3
"""test_sidecar_snapshots.py — the sidecar's snapshot modes end to end:
`polarlite sidecar --snapshots` (bootstrap of an empty file, recovery of a
position the log no longer holds), `--snapshot-every` (a publishing node),
`--fallback --every` (no Kafka), and a restore into the file of a running
sidecar. The log is librdkafka's mock Kafka cluster over TCP on loopback,
the store s3rver behind the botocore signature check (or file://).

    test_sidecar_snapshots.py [NAME_SUBSTRING ...]    (run.sh runs all)

Prints one line per test and closes with "N passed, M failed".
"""
import json
import os
import re
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

W = None          # the work directory
S3 = None         # S3rver
PROXY = None      # SigV4Proxy
ENV = None        # environment for polarlite: S3 through the signing proxy


def path(name):
    return os.path.join(W, name)


def s3url(prefix):
    return 's3://%s/%s' % (H.BUCKET, prefix)


def assert_eq(a, b, what):
    if a != b:
        raise AssertionError('%s: %r != %r' % (what, a, b))


def assert_in(needle, hay, what):
    if needle not in hay:
        raise AssertionError('%s: %r not in %r' % (what, needle, hay))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def http_get(port, what):
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, what), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def value(v):
    """'Type:id' -> an Oso typed value; anything else a String."""
    t, sep, i = v.partition(':')
    return {'type': t, 'id': i} if sep else {'type': 'String', 'id': v}


def batch(inserts=(), deletes=()):
    """One log message: an Oso batch body, inserts then deletes."""
    out = []
    if inserts:
        out.append({'inserts': [{'predicate': f[0], 'args': [value(a) for a in f[1:]]}
                                for f in inserts]})
    if deletes:
        out.append({'deletes': [{'predicate': f[0], 'args': [value(a) for a in f[1:]]}
                                for f in deletes]})
    return json.dumps(out)


def world(i):
    """The facts of message i: an organization role, a repository and a
    reader role on it."""
    org = 'Organization:org_%d' % (i % 7)
    return [('has_role', 'User:user_%d' % i, 'member' if i % 3 else 'admin', org),
            ('has_relation', 'Repository:repo_%d' % i, 'parent', org),
            ('has_role', 'User:user_%d' % (i + 1), 'reader', 'Repository:repo_%d' % i)]


def produce(mock, topic, lines):
    """Publish one message per line with `polarlite publish lines`, checked
    against H.POLICY (retention may have dropped the log's policy message);
    returns the token of the last."""
    f = path('%s-%d.jsonl' % (topic, time.monotonic_ns()))
    with open(f, 'w') as out:
        out.write('\n'.join(lines) + '\n')
    return H.run_polarlite(['publish', '--brokers', mock.brokers, '--topic', topic,
                            '--policy', H.POLICY, 'lines', f], ENV).stdout.strip()


def publish_policy(mock, topic):
    return H.run_polarlite(['publish', '--brokers', mock.brokers, '--topic', topic, 'policy',
                            H.POLICY], ENV).stdout.strip()


def latest_offset(prefix):
    """The offset `latest` names under prefix; -2 while it cannot be read
    (none yet, or s3rver in the middle of overwriting it)."""
    try:
        return json.loads(S3.get(prefix + '/latest'))['offset']
    except Exception:
        return -2


def offset_of(token):
    return int(token.split(':')[1])


def kafka(mock, topic):
    return ['--brokers', mock.brokers, '--topic', topic]


def wait_applied(db, token, what):
    if not H.wait_token(db, token):
        raise AssertionError('%s: %s not applied within 30 s' % (what, token))


# --------------------------------------------------------------- tests ---

def test_bootstrap_from_snapshot():
    """a new sidecar with an empty file restores the latest snapshot (taken
    from a running sidecar's file over S3), then applies only the log after
    it: the same answers as a node that applied the whole log."""
    mock = H.MockBroker(W, 'boot')
    url = s3url('boot')
    publish_policy(mock, 'boot')
    tok1 = produce(mock, 'boot', [batch(world(i)) for i in range(30)])
    a = H.Sidecar(path('boot_a.db'), kafka(mock, 'boot'), ENV)
    wait_applied(a.db, tok1, 'node A')
    out = H.run_polarlite(['snapshot', '--db', a.db, '--to', url], ENV).stdout
    assert_in('log position %s' % tok1, out, 'snapshot of the running node')
    tok2 = produce(mock, 'boot', [batch(world(i), deletes=world(i - 20)) for i in range(30, 50)])
    wait_applied(a.db, tok2, 'node A')

    b = H.Sidecar(path('boot_b.db'), kafka(mock, 'boot') + ['--snapshots', url], ENV)
    wait_applied(b.db, tok2, 'node B')
    log = b.log()
    assert re.search(r'event=snapshot_restored .*offset=%d ' % offset_of(tok1), log), \
        'B restored the snapshot:\n' + log
    assert_in('event=start topic=boot partition=0 from=%d ' % (offset_of(tok1) + 1), log,
              'B read the log from after the snapshot')
    assert_eq(H.answers(b.db), H.answers(a.db), 'answers of B and A')
    assert_eq(H.meta(b.db, 'applied_messages'), H.meta(a.db, 'applied_messages'),
              'messages applied, counting those in the snapshot (none twice)')
    db = H.connect(b.db)
    created, age = db.execute('SELECT snapshot_created_at, snapshot_age_ms FROM polar_status'
                              ).fetchone()
    db.close()
    assert created and 0 <= age < 120000, 'B knows its snapshot: %r %r' % (created, age)
    assert_eq(a.stop(), 0, 'A exit status')
    assert_eq(b.stop(), 0, 'B exit status')


def test_recover_lost_position_and_publish():
    """a node whose position fell below the log start restores the latest
    snapshot by itself and goes on; the snapshots come from another node
    running --snapshot-every, which prunes to --snapshot-keep. A snapshot
    that does not reach the log start either ends the run with status 3."""
    mock = H.MockBroker(W, 'lost')
    url = s3url('lost')
    publish_policy(mock, 'lost')
    tok1 = produce(mock, 'lost', [batch(world(i)) for i in range(5)])
    c = H.Sidecar(path('lost_c.db'), kafka(mock, 'lost'), ENV)
    wait_applied(c.db, tok1, 'node C')
    assert_eq(c.stop(), 0, 'C exit status')
    H.run_polarlite(['snapshot', '--db', c.db, '--to', s3url('stale')], ENV)

    port = free_port()
    a = H.Sidecar(path('lost_a.db'), kafka(mock, 'lost') + [
        '--snapshots', url, '--snapshot-every', '300ms', '--snapshot-keep', '2',
        '--metrics', '127.0.0.1:%d' % port], ENV)
    wait_applied(a.db, tok1, 'node A')
    # 7 MB of valid, empty batches push C's position out of the log; in
    # steps that A keeps up with (the mock drops old messages at once)
    for _ in range(10):
        wait_applied(a.db, produce(mock, 'lost', ['[]' + ' ' * 100000] * 7), 'node A')
    tok2 = produce(mock, 'lost', [batch(world(i), deletes=world(i - 3)) for i in range(5, 15)])
    wait_applied(a.db, tok2, 'node A')
    H._wait_for(lambda: latest_offset('lost') >= offset_of(tok2),
                'node A to publish a snapshot at %s' % tok2)
    status, metrics = http_get(port, '/metrics')
    assert_eq(status, 200, '/metrics status')
    n = int(re.search(r'^polarlite_snapshots_total (\d+)', metrics, re.M).group(1))
    assert n >= 2, 'A published %d snapshots' % n
    assert_in('polarlite_snapshot_age_seconds ', metrics, 'snapshot age in /metrics')
    failed = [l for l in a.log().splitlines() if 'snapshot_publish_failed' in l]
    assert 'polarlite_snapshot_errors_total 0' in metrics and not failed, \
        'A failed to publish: %s' % failed
    # A stops publishing before C reads: s3rver (unlike S3) serves an object
    # that is being overwritten half written, and with --snapshot-keep 2 at
    # 300 ms a snapshot may be pruned while C still downloads it
    assert_eq(a.stop(), 0, 'A exit status')
    assert_eq(len(S3.keys('lost/snapshots/')), 4, 'snapshots kept (2 x .db/.json)')

    c = H.Sidecar(c.db, kafka(mock, 'lost') + ['--snapshots', url], ENV)
    wait_applied(c.db, tok2, 'node C after recovery')
    H._wait_for(lambda: 'event=snapshot_restored' in c.log(), 'C to log its restore')
    assert re.search(r'event=position_lost .*action=restore_latest_snapshot', c.log()), c.log()
    assert_eq(H.answers(c.db), H.answers(a.db), 'answers of C and A')
    assert_eq(c.stop(), 0, 'C exit status')

    e = H.Sidecar(path('lost_e.db'), kafka(mock, 'lost') + ['--snapshots', s3url('stale')], ENV)
    assert_eq(e.wait(), 3, 'exit status with a snapshot older than the log start')
    assert_in('does not reach the log\'s start either', e.log(), 'says so')


def test_restore_into_running_sidecar():
    """`polarlite restore --force` of an older snapshot into the file of a
    running sidecar: the sidecar notices the position moved back, reads
    the log again from there, and ends equal to a node that applied the
    log once."""
    mock = H.MockBroker(W, 'under')
    store = 'file://' + path('under_store')
    os.mkdir(path('under_store'))
    publish_policy(mock, 'under')
    tok1 = produce(mock, 'under', [batch(world(i)) for i in range(10)])
    a = H.Sidecar(path('under_a.db'), kafka(mock, 'under'), ENV)
    wait_applied(a.db, tok1, 'node A')
    H.run_polarlite(['snapshot', '--db', a.db, '--to', store], ENV)
    tok2 = produce(mock, 'under', [batch(world(i), deletes=world(i - 5)) for i in range(10, 20)])
    wait_applied(a.db, tok2, 'node A')
    H.run_polarlite(['restore', '--db', a.db, '--from', store, '--force'], ENV)
    assert_eq(H.meta(a.db, 'log_offset'), offset_of(tok1), 'position after the restore')
    wait_applied(a.db, tok2, 'node A after the restore')
    assert_in('event=position_moved offset=%d ' % offset_of(tok1), a.log(), 'A noticed')

    b = H.Sidecar(path('under_b.db'), kafka(mock, 'under'), ENV)
    wait_applied(b.db, tok2, 'node B')
    assert_eq(H.answers(a.db), H.answers(b.db), 'answers of A and of a node that read the log once')
    assert_eq(a.stop(), 0, 'A exit status')
    assert_eq(b.stop(), 0, 'B exit status')


def test_fallback_node():
    """--fallback --every: no Kafka; an empty file is filled from `latest`,
    refreshed when a newer snapshot appears; polar_status and /metrics show
    the snapshot's age; SIGTERM stops it at once."""
    src, node = path('fb_src.db'), path('fb_node.db')
    url = s3url('fallback')
    H.make_db(src, 300, offset=100, extra=[('has_role', 'User:alice', 'admin',
                                            'Organization:acme')])
    H.run_polarlite(['snapshot', '--db', src, '--to', url], ENV)
    port = free_port()
    fb = H.Sidecar(node, ['--fallback', '--every', '200ms', '--snapshots', url,
                          '--metrics', '127.0.0.1:%d' % port], ENV)

    def offset():
        try:
            return H.meta(node, 'log_offset')
        except Exception:
            return None
    H._wait_for(lambda: offset() == 100, 'the fallback node to restore offset 100')
    db = H.connect(src)
    db.execute("SELECT polar_insert('has_role', 'User:carol', 'admin', 'Organization:acme')")
    db.execute("UPDATE polar_meta SET value=150 WHERE key='log_offset'")
    db.close()
    H.run_polarlite(['snapshot', '--db', src, '--to', url], ENV)
    H._wait_for(lambda: offset() == 150, 'the fallback node to refresh to offset 150')
    assert_eq(H.answers(node), H.answers(src), 'fallback node answers')
    time.sleep(0.5)

    db = H.connect(node)
    created, age, mode = db.execute('SELECT snapshot_created_at, snapshot_age_ms, '
                                    '(SELECT journal_mode FROM pragma_journal_mode) '
                                    'FROM polar_status').fetchone()
    db.close()
    latest = json.loads(S3.get('fallback/latest'))
    stamp = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(created // 1000))
    assert_eq(latest['created_at'], '%s.%03dZ' % (stamp, created % 1000), 'snapshot_created_at')
    assert 0 <= age < 60000, 'snapshot_age_ms %r' % age
    assert_eq(mode, 'wal', 'journal mode of the fallback file')
    status, metrics = http_get(port, '/metrics')
    assert_in('polarlite_applied_offset 150', metrics, '/metrics offset')
    assert_in('polarlite_snapshots_total 2', metrics, '/metrics restores')
    assert_in('polarlite_snapshot_age_seconds ', metrics, '/metrics snapshot age')
    assert 'polarlite_broker_up' not in metrics, 'a fallback node has no broker'
    status, health = http_get(port, '/healthz')
    assert_eq((status, health.split()[:2]), (200, ['ok', 'fallback']), '/healthz')
    t0 = time.monotonic()
    assert_eq(fb.stop(), 0, 'fallback exit status')
    assert time.monotonic() - t0 < 2, 'took %.1f s to stop' % (time.monotonic() - t0)
    assert_eq(fb.log().count('event=snapshot_restored'), 2, 'restores logged')


def test_options():
    """option combinations that make no sense are refused with status 2 and
    say why; -n checks the snapshot URL."""
    url = s3url('opts')
    db = path('opts.db')
    cases = [
        (['--fallback', '--snapshots', url], '--fallback needs --every'),
        (['--fallback', '--every', '1s'], 'give --snapshots URL'),
        (['--fallback', '--every', '1s', '--snapshots', url, '--brokers', 'h:1'],
         '--fallback reads no Kafka'),
        (['--every', '1s', '--brokers', 'h:1', '--topic', 't'],
         '--every is the refresh interval of --fallback'),
        (['--snapshot-every', '1m', '--brokers', 'h:1', '--topic', 't'],
         '--snapshot-every publishes to --snapshots URL'),
        (['--fallback', '--every', '5x', '--snapshots', url], '--every 5x: expected a duration'),
        (['--fallback', '--every', '50ms', '--snapshots', url], 'from 100ms to 7 days'),
        (['--snapshot-keep', '0', '--brokers', 'h:1', '--topic', 't'],
         '--snapshot-keep 0: expected an integer'),
        (['--fallback', '--every', '1s', '--snapshots', 'gopher://x', '-n'], '--snapshots gopher://x'),
    ]
    for args, msg in cases:
        p = H.run_polarlite(['sidecar', '--db', db] + args, ENV, check=False)
        assert_eq(p.returncode, 2, 'exit status of %r' % args)
        assert_in(msg, p.stderr, 'message for %r' % args)
    p = H.run_polarlite(['sidecar', '--db', db, '--fallback', '--every', '10m', '--snapshots',
                         url, '-n'], ENV)
    assert_in('configuration ok: db=%s fallback from %s every 600000 ms' % (db, url), p.stdout,
              '-n')
    assert not os.path.exists(db), '-n created the database'


if __name__ == '__main__':
    sys.exit(H.run_tests(sys.modules[__name__], sys.argv[1:]))
