"""hostile.py — polarlite serve against clients that are not the SDK:
malformed and wrongly typed JSON, oversize bodies and headers, missing,
wrong and read-only API keys, slow-loris connections, 10,000 idle
connections, work past the step budget. Each gets its status and a JSON
message; the server keeps answering others throughout; nothing is written.

    /usr/bin/python3 tests/serve/hostile.py [NAME ...]

Standard library only, raw sockets where the shape of the request is the
point (http.client refuses to send most of these).
"""
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
POLARLITE = os.environ.get('POLARLITE') or os.path.join(ROOT, 'polarlite')
RW = 'rw-0123456789abcdef0123'
RO = 'ro-0123456789abcdef0123'
W = None
NODE = None


class Serve:
    """polarlite serve on 127.0.0.1, any free port."""

    def __init__(self, db, args):
        self.log_path = db + '.serve.log'
        self.proc = subprocess.Popen([POLARLITE, 'serve', '--db', db, '--listen', '127.0.0.1:0']
                                     + list(args), stdout=subprocess.PIPE,
                                     stderr=open(self.log_path, 'a'), text=True)
        line = self.proc.stdout.readline()
        m = re.match(r'listening on port (\d+)', line)
        if not m:
            raise RuntimeError('serve did not start: ' + open(self.log_path).read())
        self.port = int(m.group(1))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def request(method, path, body=None, key=RW, headers=None, timeout=10):
    """One request through urllib: (status, parsed JSON or text)."""
    data = body if isinstance(body, (bytes, type(None))) else (
        body.encode() if isinstance(body, str) else json.dumps(body).encode())
    h = {'Content-Type': 'application/json'}
    if key:
        h['Authorization'] = 'Bearer ' + key
    h.update(headers or {})
    req = urllib.request.Request('http://127.0.0.1:%d%s' % (NODE.port, path), data=data,
                                 method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def raw(data, timeout=10, read=True):
    """Send bytes on a new connection; the response bytes (until close or
    timeout), b'' if the server closed without answering."""
    s = socket.create_connection(('127.0.0.1', NODE.port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return b''
        out = b''
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
            if b'\r\n\r\n' in out:
                head, _, rest = out.partition(b'\r\n\r\n')
                m = re.search(rb'Content-Length: (\d+)', head, re.I)
                if m and len(rest) >= int(m.group(1)):
                    break
        return out
    finally:
        s.close()


class own_node:
    """A node of its own for one test, on a copy of the test database:
    `with own_node('x.db', [...]):` makes it NODE, and SIGTERM must stop it
    with status 0. preload: a batch body written first, by a node with the
    default limits (the test's own may be too tight to write it)."""

    def __init__(self, name, args, preload=None):
        self.name, self.args, self.preload = name, args, preload

    def __enter__(self):
        global NODE
        self.old = NODE
        db = copy_db(self.name)
        keys = ['--api-keys', os.path.join(W, 'keys')]
        if self.preload:
            NODE = Serve(db, keys)
            st, body = post(self.preload, '/api/batch', timeout=120)
            assert st == 200, 'preload: %s %r' % (st, body)
            assert NODE.stop() == 0, 'exit status of the preloading node'
        NODE = Serve(db, keys + self.args)
        return NODE

    def __exit__(self, *exc):
        global NODE
        node, NODE = NODE, self.old
        assert node.stop() == 0, 'exit status of the node of %s' % self.name


def copy_db(name):
    """A consistent copy of the test database (WAL included), for a node of
    its own."""
    dst = os.path.join(W, name)
    src = sqlite3.connect(os.path.join(W, 'hostile.db'))
    out = sqlite3.connect(dst)
    src.backup(out)
    src.close()
    out.close()
    return dst


def status_of(resp):
    m = re.match(rb'HTTP/1\.[01] (\d+)', resp)
    return int(m.group(1)) if m else None


def message_of(resp):
    return json.loads(resp.partition(b'\r\n\r\n')[2].decode())['message']


AUTHZ = {'actor_type': 'User', 'actor_id': 'alice', 'action': 'push',
         'resource_type': 'Repository', 'resource_id': 'anvil', 'context_facts': []}


def alive():
    """The server answers a good request, quickly."""
    t0 = time.monotonic()
    st, body = request('POST', '/api/authorize', AUTHZ)
    assert (st, body) == (200, {'allowed': True}), (st, body)
    return time.monotonic() - t0


def facts():
    st, body = request('GET', '/api/facts?predicate=has_role')
    assert st == 200, (st, body)
    st2, body2 = request('GET', '/api/facts?predicate=has_relation')
    return sorted(json.dumps(f) for f in body + body2)


def expect(st_body, status, pattern, what):
    st, body = st_body
    assert st == status, '%s: status %s, want %s (%r)' % (what, st, status, body)
    assert isinstance(body, dict) and set(body) == {'message'}, '%s: body %r' % (what, body)
    assert re.search(pattern, body['message']), '%s: message %r does not match %r' % (
        what, body['message'], pattern)


def post(body, path='/api/authorize', **kw):
    return request('POST', path, body, **kw)

# --------------------------------------------------------------------- tests


def test_malformed_json():
    before = facts()
    for body, pat in [('{', r'malformed JSON at byte 1'), ('{"actor_type": "User",}', r'malformed JSON'),
                      ('[1 2]', r'malformed JSON'), ('{"a": 1} x', r'after the value'),
                      ('"\\ud800"', r'expected a JSON object|invalid'), ('', r'needs a JSON body'),
                      ('[' * 100 + ']' * 100, r'nested too deeply'), ('\xff\xfe', r'malformed')]:
        expect(post(body.encode('latin-1')), 422, pat, 'authorize %r' % body[:20])
    for body in ['[{"inserts": [', '{"not": "a batch"}', 'null', '[{"inserts": [{"predicate": 5}]}]']:
        expect(post(body, '/api/batch'), 422, r'.', 'batch %r' % body)
    assert facts() == before, 'nothing written'
    alive()


def test_wrong_types():
    cases = [
        (dict(AUTHZ, actor_id=5), r'actor_id: expected a string, found a number'),
        (dict(AUTHZ, action=['push']), r'action: expected a string, found an array'),
        (dict(AUTHZ, context_facts={'predicate': 'x'}), r'context_facts: expected an array'),
        (dict(AUTHZ, resource_type=None), r'missing "resource_type"'),
        ({k: v for k, v in AUTHZ.items() if k != 'actor_id'}, r'missing "actor_id"'),
        (dict(AUTHZ, actor_type='Robot'), r"unknown type 'Robot'"),
        (dict(AUTHZ, resource_id=''), r'empty'),
        (dict(AUTHZ, resource_id='x' * 385), r'385 bytes; the limit is 384'),
        (dict(AUTHZ, context_facts=[{'predicate': 'has_role', 'args': [
            {'type': 'User', 'id': 'a'}, {'type': 'Integer', 'id': '1'},
            {'type': 'Repository', 'id': 'anvil'}]}]), r'context fact 0 \(has_role\)'),
        ([AUTHZ], r'expected a JSON object, found an array'),
    ]
    for body, pat in cases:
        expect(post(body), 422, pat, repr(body)[:60])
    expect(post({'actor_type': 'User', 'actor_id': 'a', 'action': 'read',
                 'resource_type': 'Repository', 'page_size': -3}, '/api/list'), 422,
           r'page_size', 'negative page_size')
    expect(post({'predicate': ['allow', ['a']], 'calls': [], 'constraints': {}},
                '/api/evaluate_query'), 422, r'not in "constraints"', 'query builder')
    before = facts()
    expect(post([{'inserts': [{'predicate': 'has_role', 'args': [
        {'type': 'User', 'id': 'x'}, {'type': 'String', 'id': 'reader'},
        {'type': 'Repository', 'id': None}]}]}], '/api/batch'), 422, r'null', 'wildcard insert')
    assert facts() == before, 'nothing written'
    alive()


def test_oversize_body():
    before = facts()
    # announced: refused before a byte of it is read
    resp = raw(b'POST /api/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' + RW.encode()
               + b'\r\nContent-Type: application/json\r\nContent-Length: 11534336\r\n\r\n')
    assert status_of(resp) == 413, resp[:200]
    assert '10 MiB' in message_of(resp)
    # sent: 11 MiB of a batch body, chunked (no length up front)
    s = socket.create_connection(('127.0.0.1', NODE.port), timeout=20)
    s.sendall(b'POST /api/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' + RW.encode()
              + b'\r\nTransfer-Encoding: chunked\r\n\r\n')
    chunk = b'[' + b' ' * (1024 * 1024 - 1)
    out = b''
    try:
        for i in range(11):
            s.sendall(b'%x\r\n' % len(chunk) + chunk + b'\r\n')
            chunk = b' ' * (1024 * 1024)
        s.sendall(b'0\r\n\r\n')
        out = s.recv(65536)
    except (BrokenPipeError, ConnectionResetError):
        pass                                    # hung up on: also a refusal
    s.close()
    assert out == b'' or status_of(out) == 413, out[:200]
    # exactly 10 MiB is accepted (and refused for what it says, not its size)
    body = b'[' + b' ' * (10 * 1024 * 1024 - 2) + b']'
    expect(post(body, '/api/batch', timeout=60), 200, r'0 facts changed', '10 MiB batch')
    assert facts() == before, 'nothing written'
    alive()


def test_oversize_headers():
    resp = raw(b'POST /api/authorize HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * 40000 + b'\r\n\r\n')
    assert status_of(resp) in (431, 413), resp[:200]
    resp = raw(b'GET /api/' + b'p' * 40000 + b' HTTP/1.1\r\nHost: x\r\n\r\n')
    assert status_of(resp) in (414, 431), resp[:200]
    resp = raw(b'GARBAGE\r\n\r\n')
    assert status_of(resp) == 400 or resp == b'', resp[:200]
    alive()


def test_keys():
    expect(post(AUTHZ, key=None), 401, r'missing API key', 'no key')
    expect(post(AUTHZ, key='wrong-key-0123456789'), 401, r'invalid API key', 'wrong key')
    expect(post(AUTHZ, key=RW[:-1]), 401, r'invalid API key', 'a prefix of a key')
    expect(post(AUTHZ, key=None, headers={'Authorization': 'Basic ' + RW}), 401, r'missing', 'not Bearer')
    assert post(AUTHZ, key=RO) == (200, {'allowed': True}), 'a read-only key reads'
    before = facts()
    expect(post([{'inserts': [{'predicate': 'has_role', 'args': [
        {'type': 'User', 'id': 'mallory'}, {'type': 'String', 'id': 'admin'},
        {'type': 'Organization', 'id': 'acme'}]}]}], '/api/batch', key=RO), 403, r'read-only',
        'a read-only key writes')
    expect(post({'src': 'actor User {}', 'filename': ''}, '/api/policy', key=RO), 403, r'read-only',
           'a read-only key loads a policy')
    expect(request('POST', '/api/clear_data', None, key=None), 401, r'missing', 'clear_data, no key')
    assert facts() == before, 'nothing written'
    st, text = request('GET', '/healthz', key=None)
    assert st == 200 and text.startswith('ok local'), (st, text)


def test_routes():
    expect(request('GET', '/api/nope'), 404, r'no such endpoint', 'unknown path')
    expect(request('PUT', '/api/authorize', AUTHZ), 405, r'PUT is not allowed on /api/authorize',
           'wrong method')
    expect(request('GET', '/api/list_query'), 405, r'not allowed', 'local check with GET')


def test_step_budget():
    repos = [{'predicate': 'has_relation', 'args': [
        {'type': 'Repository', 'id': 'r%d' % i}, {'type': 'String', 'id': 'parent'},
        {'type': 'Organization', 'id': 'acme'}]} for i in range(2000)]
    with own_node('steps.db', ['--max-steps', '1000'], preload=[{'inserts': repos}]):
        expect(post({'actor_type': 'User', 'actor_id': 'alice', 'action': 'read',
                     'resource_type': 'Repository', 'context_facts': []}, '/api/list'), 422,
               r'exceeded the limit of 1000 steps', 'a list past the step budget')
    alive()


def test_deadline():
    """Work past --deadline: the request is interrupted, 503 (the SDK tries
    its fallback node), and the node goes on."""
    repos = [{'predicate': 'has_relation', 'args': [
        {'type': 'Repository', 'id': 'r%d' % i}, {'type': 'String', 'id': 'parent'},
        {'type': 'Organization', 'id': 'o%d' % i}]} for i in range(3000)]
    with own_node('deadline.db', ['--deadline', '200ms'], preload=[{'inserts': repos}]):
        # two calls that share nothing: 9M rows to sort
        q = {'predicate': ['has_relation', ['a', 'b', 'c']], 'calls': [['has_relation', ['d', 'e', 'f']]],
             'constraints': {v: {'type': t, 'ids': None} for v, t in
                             zip('abcdef', ['Repository', 'String', 'Organization'] * 2)},
             'context_facts': []}
        t0 = time.monotonic()
        expect(post(q, '/api/evaluate_query'), 503, r'did not finish within 200 ms', 'a long query')
        took = time.monotonic() - t0
        assert took < 2.0, 'interrupted after %.2f s' % took
        alive()


def test_slow_loris():
    socks = []
    for i in range(50):
        s = socket.create_connection(('127.0.0.1', NODE.port), timeout=10)
        s.sendall(b'POST /api/authorize HTTP/1.1\r\nHost: x\r\n')
        socks.append(s)
    t_end = time.monotonic() + 2.5                 # past --request-timeout 2s
    worst = 0
    while time.monotonic() < t_end:
        for s in socks:
            try:
                s.sendall(b'X-a: b\r\n')           # a header line now and then
            except OSError:
                pass
        worst = max(worst, alive())                # others are answered meanwhile
        time.sleep(0.2)
    assert worst < 1.0, 'a good request took %.3f s among slow clients' % worst
    time.sleep(1.0)
    closed = 0
    for s in socks:
        try:
            s.settimeout(2)
            s.sendall(b'X-a: b\r\n')
            if s.recv(1) == b'':
                closed += 1
        except OSError:
            closed += 1
        s.close()
    assert closed == len(socks), 'slow clients dropped: %d of %d' % (closed, len(socks))


def test_idle_connections():
    """10,000 connections that send nothing: held (no thread each), and
    the server keeps answering others. A node of its own, whose idle
    connections live longer than the main node's 2 s (opening 10,000 takes
    longer than that under the sanitizers)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 10000 + 200
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    n = min(10000, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 200)
    assert n >= 10000, 'this machine allows only %d open files' % n

    def open_per_metrics():
        st, text = request('GET', '/metrics', key=None)
        m = re.search(r'polarlite_http_connections (\d+)', text)
        return int(m.group(1)) if m else -1
    socks = []
    with own_node('idle.db', ['--max-connections', '12000', '--request-timeout', '120s']):
        try:
            for i in range(n):
                socks.append(socket.create_connection(('127.0.0.1', NODE.port), timeout=10))
            # the kernel completes a connect before the server accepts it:
            # wait for the server to hold them all
            t_end = time.monotonic() + 60
            while open_per_metrics() < n and time.monotonic() < t_end:
                time.sleep(0.2)
            assert open_per_metrics() >= n, 'connections open per /metrics: %d' % open_per_metrics()
            worst = max(alive() for i in range(20))
            assert worst < 1.0, 'a good request took %.3f s with %d idle connections' % (worst, n)
        finally:
            for s in socks:
                s.close()
    alive()


def test_drain():
    """SIGTERM while a slow request runs: it is answered, then exit 0."""
    global NODE
    old, NODE = NODE, Serve(copy_db('drain.db'), ['--api-keys', os.path.join(W, 'keys'),
                                                  '--wait-timeout', '1500ms'])
    try:
        # a read waiting for a token the file will not reach in time
        s = socket.create_connection(('127.0.0.1', NODE.port), timeout=10)
        body = json.dumps(AUTHZ).encode()
        s.sendall(b'POST /api/authorize HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' + RW.encode()
                  + b'\r\nOsoOffset: local:999\r\nContent-Length: %d\r\n\r\n' % len(body) + body)
        time.sleep(0.3)
        NODE.proc.send_signal(signal.SIGTERM)
        resp = s.recv(65536)
        s.close()
        assert status_of(resp) == 503 and b'has not applied OsoOffset' in resp, resp[:300]
        assert NODE.proc.wait(timeout=20) == 0, 'exit status'
        log = open(NODE.log_path).read()
        assert 'event=draining' in log and 'event=stopped status=0' in log, log[-500:]
    finally:
        NODE = old

def test_command_line():
    """Configurations that must not start, each with its reason, exit 2 for
    usage and 1 otherwise; nothing listens."""
    db = os.path.join(W, 'cli.db')
    short = os.path.join(W, 'short.keys')
    with open(short, 'w') as f:
        f.write('tooshort\n')
    marked = os.path.join(W, 'marked.keys')
    with open(marked, 'w') as f:
        f.write(RW + ' admin\n')
    empty = os.path.join(W, 'empty.keys')
    with open(empty, 'w') as f:
        f.write('# nothing\n\n')
    notdb = os.path.join(W, 'notdb.db')
    with open(notdb, 'wb') as f:
        f.write(b'\x01' * 5000)
    cases = [
        (['--db', db], 2, r'--db and --listen are required'),
        (['--db', db, '--listen', '0.0.0.0:0'], 1, r'not a loopback address: without --api-keys'),
        (['--db', db, '--listen', '127.0.0.1:0', '--brokers', 'h:1'], 2, r'needs both --brokers and --topic'),
        (['--db', db, '--listen', '127.0.0.1:0', '--fallback', '--brokers', 'h:1', '--topic', 't'], 2,
         r'fallback node publishes nothing'),
        (['--db', db, '--listen', '127.0.0.1:0', '-X', 'acks=all'], 2, r'-X settings are for the producer'),
        (['--db', db, '--listen', '127.0.0.1:0', '--wait-timeout', '5x'], 2, r'--wait-timeout 5x: expected a duration'),
        (['--db', db, '--listen', '127.0.0.1:0', '--threads', '0'], 2, r'--threads 0: expected an integer'),
        (['--db', db, '--listen', '127.0.0.1:0', '--api-keys', short], 1, r'short\.keys:1: a key of 8 characters'),
        (['--db', db, '--listen', '127.0.0.1:0', '--api-keys', marked], 1, r'expected KEY or KEY read-only'),
        (['--db', db, '--listen', '127.0.0.1:0', '--api-keys', empty], 1, r'no keys'),
        (['--db', db, '--listen', '127.0.0.1:0', '--api-keys', os.path.join(W, 'missing')], 1, r'cannot read'),
        (['--db', notdb, '--listen', '127.0.0.1:0'], 1, r'not a database'),
        (['--db', db, '--listen', '127.0.0.1:%d' % NODE.port], 1, r'cannot listen'),
    ]
    for args, status, pat in cases:
        p = subprocess.run([POLARLITE, 'serve'] + args, capture_output=True, text=True, timeout=30)
        assert p.returncode == status and re.search(pat, p.stderr), '%s: exit %d, %r' % (
            ' '.join(args), p.returncode, p.stderr[-300:])
        assert 'listening on port' not in p.stdout, ' '.join(args)
    alive()


# ----------------------------------------------------------------------- run


def setup():
    global NODE
    db = os.path.join(W, 'hostile.db')
    with open(os.path.join(W, 'keys'), 'w') as f:
        f.write('# test keys\n%s\n%s read-only\n' % (RW, RO))
    NODE = Serve(db, ['--api-keys', os.path.join(W, 'keys'), '--request-timeout', '2s'])
    with open(os.path.join(ROOT, 'sql', 'gitclub.polar')) as f:
        assert post({'src': f.read(), 'filename': 'gitclub.polar'}, '/api/policy')[0] == 200
    st, body = post([{'inserts': [
        {'predicate': 'has_role', 'args': [{'type': 'User', 'id': 'alice'}, {'type': 'String', 'id': 'admin'},
                                           {'type': 'Organization', 'id': 'acme'}]},
        {'predicate': 'has_relation', 'args': [{'type': 'Repository', 'id': 'anvil'},
                                               {'type': 'String', 'id': 'parent'},
                                               {'type': 'Organization', 'id': 'acme'}]}]}], '/api/batch')
    assert st == 200, body


def main(wanted):
    global W
    tests = [(n, f) for n, f in globals().items() if n.startswith('test_') and callable(f)]
    tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
    if wanted:
        tests = [t for t in tests if any(w in t[0] for w in wanted)]
        if not tests:
            print('0 passed, 0 failed (no test named %s here)' % ' or '.join(wanted))
            return 0
    W = tempfile.mkdtemp(prefix='polarlite-hostile-')
    passed = failed = 0
    try:
        setup()
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
        if NODE.stop() != 0:
            failed += 1
            print('FAIL %-40s %s' % ('(exit status)', open(NODE.log_path).read()[-2000:]))
        for f in sorted(os.listdir(W)):
            if f.endswith('.log'):
                m = re.search(r'ERROR: AddressSanitizer.*|ERROR: LeakSanitizer.*|runtime error:.*',
                              open(os.path.join(W, f)).read())
                if m:
                    failed += 1
                    print('FAIL %-40s %s: %s' % ('(sanitizer report)', f, m.group(0)))
    except Exception:
        failed += 1
        traceback.print_exc()
    finally:
        if NODE and NODE.proc.poll() is None:
            NODE.proc.kill()
        if failed == 0 or os.environ.get('KEEP_WORKDIR') is None:
            shutil.rmtree(W, ignore_errors=True)
        else:
            print('work directory kept: ' + W)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
