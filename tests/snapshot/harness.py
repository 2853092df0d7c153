"""harness.py — the real parts the snapshot tests run against, all on
loopback: s3rver (npm, pinned in package-lock.json) and sigv4_proxy.py in
front of it (botocore checks every signature), librdkafka's mock Kafka
cluster (tests/sidecar/mockbroker.c), plus helpers to build and read
polarlite databases through the extension, and the test runner.

Every process started here is stopped by stop_all(), which run_tests()
calls on exit, also after a failure or Ctrl-C.
"""
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
POLARLITE = os.environ.get('POLARLITE') or os.path.join(ROOT, 'polarlite')   # make sanitize
EXTENSION = os.path.join(ROOT, 'polarlite')          # sqlite3 adds .so
POLICY = os.path.join(ROOT, 'sql', 'gitclub.polar')
S3RVER = os.path.join(HERE, 'node_modules', '.bin', 's3rver')
MOCKBROKER = os.path.join(ROOT, 'build', 'sidecartest', 'mockbroker')   # make mockbroker
BUCKET = 'snaps'
KEY_ID = SECRET = 'S3RVER'                             # s3rver's built-in account

_procs = []


def stop_all():
    for p in _procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in _procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    _procs.clear()


def _wait_for(pred, what, timeout=20.0):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise RuntimeError('timed out waiting for ' + what)


class S3rver:
    """s3rver on 127.0.0.1 (a free port), bucket BUCKET, data in a temp dir.
    --service-endpoint localhost lets virtual-hosted requests to
    BUCKET.s3.localhost:PORT name the bucket in the Host header."""

    def __init__(self, workdir):
        self.dir = tempfile.mkdtemp(prefix='s3rver-', dir=workdir)
        self.log = open(os.path.join(workdir, 's3rver.log'), 'w')
        self.proc = subprocess.Popen(
            [S3RVER, '-d', self.dir, '-a', '127.0.0.1', '-p', '0', '-s',
             '--service-endpoint', 'localhost', '--configure-bucket', BUCKET],
            stdout=subprocess.PIPE, stderr=self.log, text=True,
            # Node is not ours: no sanitizer runtime preloaded into it (make sanitize)
            env={k: v for k, v in os.environ.items() if k not in ('LD_PRELOAD', 'ASAN_OPTIONS')})
        _procs.append(self.proc)
        line = self.proc.stdout.readline()
        while line is not None and 'listening' not in line:
            if self.proc.poll() is not None:
                raise RuntimeError('s3rver exited: see ' + self.log.name)
            line = self.proc.stdout.readline()
        self.port = int(re.search(r':(\d+)\s*$', line).group(1))
        self.url = 'http://127.0.0.1:%d' % self.port

    def put(self, key, data):
        """Store an object directly (unsigned: s3rver allows it), to plant
        bad snapshots."""
        req = urllib.request.Request('%s/%s/%s' % (self.url, BUCKET, key), data=data, method='PUT')
        urllib.request.urlopen(req).read()

    def get(self, key):
        return urllib.request.urlopen('%s/%s/%s' % (self.url, BUCKET, key)).read()

    def delete(self, key):
        req = urllib.request.Request('%s/%s/%s' % (self.url, BUCKET, key), method='DELETE')
        urllib.request.urlopen(req).read()

    def keys(self, prefix):
        body = urllib.request.urlopen('%s/%s/?list-type=2&prefix=%s' % (
            self.url, BUCKET, urllib.request.quote(prefix, safe=''))).read().decode()
        return sorted(re.findall(r'<Key>([^<]+)</Key>', body))


class SigV4Proxy:
    """sigv4_proxy.py in front of an S3rver; log lines 'OK ...' / 'BAD ...'."""

    def __init__(self, workdir, upstream, env):
        self.log = os.path.join(workdir, 'sigv4.log')
        port_file = os.path.join(workdir, 'sigv4.port')
        self.proc = subprocess.Popen(
            ['/usr/bin/python3', os.path.join(HERE, 'sigv4_proxy.py'), '--upstream', upstream,
             '--log', self.log, '--port-file', port_file], env=env)
        _procs.append(self.proc)
        _wait_for(lambda: os.path.exists(port_file), 'sigv4_proxy to listen')
        with open(port_file) as f:
            self.port = int(f.read())

    def lines(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [line.rstrip('\n') for line in f if line[:3] in ('OK ', 'BAD')]


class MockBroker:
    """librdkafka's Kafka-protocol mock cluster on loopback with TOPICS
    created (1 partition each); command() injects faults (mockbroker.c).
    It keeps about 5 MB per partition: more moves the log start up."""

    def __init__(self, workdir, *topics):
        self.proc = subprocess.Popen([MOCKBROKER] + list(topics), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     stderr=open(os.path.join(workdir, 'mockbroker.log'), 'a'))
        _procs.append(self.proc)
        self.brokers = self.proc.stdout.readline().strip()
        if not self.brokers:
            raise RuntimeError('the mock broker did not start')

    def command(self, line):
        self.proc.stdin.write(line + '\n')
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()


class Sidecar:
    """`polarlite sidecar --db DB ARGS...`, logging to DB.log."""

    def __init__(self, db, args, env):
        self.db = db
        self.log_path = db + '.log'
        self.proc = subprocess.Popen([POLARLITE, 'sidecar', '--db', db] + list(args), env=env,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.log_path, 'a'))
        _procs.append(self.proc)

    def stop(self, timeout=30):
        """SIGTERM; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def wait(self, timeout=30):
        return self.proc.wait(timeout=timeout)

    def log(self):
        with open(self.log_path) as f:
            return f.read()


def wait_token(path, token, timeout_ms=30000):
    """polar_wait on path: True once the token's offset is applied."""
    db = connect(path)
    try:
        return db.execute('SELECT polar_wait(?, ?)', (token, timeout_ms)).fetchone()[0] == 1
    finally:
        db.close()


def meta(path, key):
    db = connect(path)
    try:
        row = db.execute('SELECT value FROM polar_meta WHERE key=?', (key,)).fetchone()
        return row and row[0]
    finally:
        db.close()


def run_polarlite(args, env, check=True, timeout=120):
    """Run the polarlite command; returns CompletedProcess (text)."""
    p = subprocess.run([POLARLITE] + args, env=env, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError('polarlite %s failed (%d): %s' % (' '.join(args), p.returncode,
                                                                p.stderr.strip()))
    return p


def connect(path, busy_ms=10000):
    db = sqlite3.connect(path, isolation_level=None, timeout=busy_ms / 1000.0)
    db.enable_load_extension(True)
    db.load_extension(EXTENSION)
    return db


def make_db(path, facts, offset=None, partition=0, topic='facts', wal=False, extra=()):
    """A polarlite database with the demo policy, `facts` filler facts
    (organizations, repositories, roles) and the facts in `extra`, each a
    (predicate, a1, a2, a3) tuple; with a log position when offset is given."""
    db = connect(path)
    if wal:
        db.execute('PRAGMA journal_mode=WAL')
    with open(POLICY) as f:
        db.execute('SELECT polar_load(?, ?)', (f.read(), 'gitclub.polar'))
    db.execute('BEGIN')
    ins = 'SELECT polar_insert(?, ?, ?, ?)'
    n = 0
    i = 0
    while n < facts:
        org = 'Organization:org_%d' % (i % 97)
        rows = [('has_relation', 'Repository:repo_%d' % i, 'parent', org),
                ('has_role', 'User:user_%d' % i, 'member' if i % 3 else 'admin', org),
                ('has_role', 'User:user_%d' % (i + 1), 'reader', 'Repository:repo_%d' % i)]
        for r in rows[:facts - n]:
            db.execute(ins, r)
            n += 1
        i += 1
    for r in extra:
        db.execute(ins, r)
    if offset is not None:
        db.execute("INSERT INTO polar_meta(key, value) VALUES('log_topic', ?), "
                   "('log_partition', ?), ('log_offset', ?) ON CONFLICT(key) DO UPDATE "
                   "SET value=excluded.value", (topic, partition, offset))
    db.execute('COMMIT')
    db.close()


CHECKS = [('User:user_%d' % i, a, 'Repository:repo_%d' % j)
          for i in (0, 1, 2, 3, 5, 8, 13, 100) for a in ('read', 'push', 'delete')
          for j in (0, 1, 2, 7, 50)]


def answers(path):
    """Everything a client could ask, for comparing two databases: the
    stored facts, authorize over a fixed matrix, polar_list, the position."""
    db = connect(path)
    out = {
        'facts': db.execute('SELECT predicate, a1, a2, a3, a4, a5 FROM polar_facts '
                            'ORDER BY 1, 2, 3, 4, 5, 6').fetchall(),
        'authorize': [db.execute('SELECT authorize(?, ?, ?)', c).fetchone()[0] for c in CHECKS],
        'list': db.execute("SELECT id FROM polar_list('User:user_0', 'read', 'Repository') "
                           "ORDER BY id").fetchall(),
        'meta': db.execute("SELECT key, value FROM polar_meta WHERE key IN "
                           "('policy_version', 'log_partition', 'log_offset', 'log_topic') "
                           "ORDER BY key").fetchall(),
        'policy': db.execute('SELECT polar_policy()').fetchone()[0],
    }
    db.close()
    return out


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')
           and not k.startswith('POLARLITE_')}
    env.update(extra)
    return env


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_tests(mod, wanted):
    """Run mod's test_* functions (in file order; those whose name holds one
    of `wanted`, if given) against a fresh s3rver behind the signing proxy.
    Sets mod.W (work directory), mod.S3, mod.PROXY and mod.ENV (the
    environment for polarlite: S3 through the proxy). A request botocore
    does not verify fails the run. Prints a line per test and "N passed,
    M failed"; returns the exit status."""
    tests = [(n, f) for n, f in vars(mod).items() if n.startswith('test_') and callable(f)]
    tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
    if wanted:
        tests = [t for t in tests if any(w in t[0] for w in wanted)]
        if not tests:
            print('0 passed, 0 failed (no test named %s here)' % ' or '.join(wanted))
            return 0
    mod.W = tempfile.mkdtemp(prefix='polarlite-snapshot-')
    passed = failed = 0
    try:
        mod.S3 = S3rver(mod.W)
        creds = dict(AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
                     AWS_SESSION_TOKEN='session/token+with=odd&chars', AWS_REGION='eu-west-3')
        mod.PROXY = SigV4Proxy(mod.W, mod.S3.url, clean_env(**creds))
        mod.ENV = clean_env(AWS_ENDPOINT_URL_S3='http://127.0.0.1:%d' % mod.PROXY.port, **creds)
        for name, fn in tests:
            t0 = time.monotonic()
            try:
                fn()
                passed += 1
                print('ok   %-40s %5.1f s' % (name, time.monotonic() - t0), flush=True)
            except Exception as e:
                failed += 1
                print('FAIL %-40s %s' % (name, e), flush=True)
                if not isinstance(e, AssertionError):
                    traceback.print_exc()
        # whatever the tests did, every request they sent was signed right
        # (only test_sigv4_wrong_secret_refused signs wrongly, on purpose)
        bad = [l for l in mod.PROXY.lines() if l.startswith('BAD') and '/wrongsecret/' not in l]
        if bad:
            failed += 1
            print('FAIL %-40s %s' % ('(every request signed right)', bad[:3]), flush=True)
    finally:
        stop_all()
        if failed == 0 or os.environ.get('KEEP_WORKDIR') is None:
            rmtree(mod.W)
        else:
            print('work directory kept: ' + mod.W)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed or passed == 0 else 0
