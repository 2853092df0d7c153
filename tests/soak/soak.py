#!/usr/bin/python3
"""soak.py — the soak and fault test of the sidecar (run by tests/soak/run.sh,
`make soak`; not part of `make test`).

For SOAK_SECONDS (default 1200) a log is published at a steady rate, with
bursts, to librdkafka's mock cluster (tests/sidecar/mockbroker.c, its own
process, over TCP), while `polarlite sidecar` applies it to a WAL file and
reader processes (tests/soak/reader.py) hammer authorize / polar_list /
polar_actions from several connections, checking in every statement that
no message is half visible. Meanwhile, at random moments:

  kill -9 of the sidecar (first two thirds of the run; the last third is
      kill-free so that one sidecar lives long enough to watch its memory),
      each followed by a check of the file against the oracle at the
      position it holds, and a restart with random group-commit settings;
      sometimes while the broker is down (start with no broker)
  broker outages (mock `down 1` for 1-8 s, then `up 1`)
  request errors on Fetch and ListOffsets (mock `errors`)
  round-trip delays (mock `rtt`)
  snapshots to a file:// store (`polarlite snapshot`), each checked
      against the oracle at its offset
  restores in the middle: the sidecar stopped, a restore of an older
      snapshot without --force must be refused and change nothing, with
      --force it installs (readers running) and the sidecar re-applies
      from there; a second replica joins late from a snapshot, and later,
      its position pushed out of the log by padding messages, recovers
      from a snapshot again
  with SOAK_LIVE_RESTORE=1 (default when the sidecar has --snapshots):
      restores into the live file under a running sidecar, backwards with
      --force and forwards, and the replica joining with --snapshots

At the end: the log drained, every sidecar stopped with SIGTERM (exit 0),
each database equal to the oracle's replay of the whole log (facts, policy
version, rejected offsets, running totals), PRAGMA integrity_check ok,
authorize answers equal to the oracle's on a sample, no reader error, no
half-applied observation, and the long-lived sidecar's and readers'
resident memory within SOAK_RSS_GROWTH_MB (default 24) of what it was
after warm-up. One summary line with the counts; exit 1 on any failure.

Environment: SOAK_SECONDS, SOAK_RATE (messages/s, default 100),
SOAK_READERS (default 3), SOAK_SEED, SOAK_GROUPS (live groups, default
10000), SOAK_LIVE_RESTORE (0/1), SOAK_RSS_GROWTH_MB, KEEP=1 (keep the work
directory; it is kept anyway on failure). SOAK_SABOTAGE=1 is the negative
control: once the sidecars have stopped, one fact is deleted from the live
file behind their back, and the run must then FAIL (the final check and the
answer comparison name it). MOCK and PRODUCER name the built
helper programs (run.sh sets them).
"""
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import model

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
POLARLITE = os.environ.get('POLARLITE', os.path.join(ROOT, 'polarlite'))
EXTENSION = os.path.join(ROOT, 'polarlite')
MOCK = os.environ['MOCK']
PRODUCER = os.environ['PRODUCER']
TOPIC = 'soak'

SECONDS = int(os.environ.get('SOAK_SECONDS', '1200'))
RATE = float(os.environ.get('SOAK_RATE', '100'))
READERS = int(os.environ.get('SOAK_READERS', '3'))
SEED = int(os.environ.get('SOAK_SEED', str(int(time.time()) % 100000)))
GROUPS = int(os.environ.get('SOAK_GROUPS', str(min(10000, max(1000, SECONDS * 10)))))
RSS_GROWTH_MB = float(os.environ.get('SOAK_RSS_GROWTH_MB', '24'))
SABOTAGE = os.environ.get('SOAK_SABOTAGE') == '1'
MEMORY_MIN_SECONDS = 240       # a life shorter than this is not judged


def now():
    return time.monotonic()


class Soak:
    def __init__(self, work):
        self.work = work
        self.t0 = now()
        self.rnd = random.Random(SEED)
        self.lock = threading.Lock()
        self.errors = []
        self.notes = []
        self.count = dict(kills=0, stops=0, outages=0, request_errors=0, rtt=0, snapshots=0,
                          restores=0, live_restores=0, refused=0, verifications=0, pauses=0,
                          bursts=0, position_lost=0, auto_restores=0)
        self.procs = []
        self.log = model.Log()
        self.gen = model.Generator(SEED)
        self.delivered = -1        # highest offset delivered, all below it too
        self.stop_publish = threading.Event()
        self.burst = 0
        self.samples = {}          # pid -> [(t, rss_kb, fds)]
        self.roles = {}            # pid -> 'sidecar:live' / 'sidecar:r2' / 'reader'
        self.wal_max = 0
        self.db = os.path.join(work, 'live.db')
        self.db2 = os.path.join(work, 'replica.db')
        self.snapdir = os.path.join(work, 'snapshots')
        self.snapurl = 'file://' + self.snapdir
        os.makedirs(self.snapdir)
        self.timeline = open(os.path.join(work, 'timeline.log'), 'w')
        self.wal_now = 0

    # ------------------------------------------------------------ helpers --

    def event(self, what):
        line = '%7.1fs %s' % (now() - self.t0, what)
        with self.lock:
            self.timeline.write(line + '\n')
            self.timeline.flush()

    def error(self, what):
        self.event('ERROR ' + what)
        with self.lock:
            self.errors.append('%.0fs: %s' % (now() - self.t0, what))
        print('soak: ERROR at %.0fs: %s' % (now() - self.t0, what), flush=True)

    def note(self, what):
        self.event('note ' + what)
        self.notes.append(what)

    def spawn(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()

    def connect(self, path):
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        db.enable_load_extension(True)
        db.load_extension(EXTENSION)
        db.enable_load_extension(False)
        return db

    def polarlite(self, *args, timeout=300):
        return subprocess.run([POLARLITE] + list(args), capture_output=True, text=True,
                              timeout=timeout)

    # --------------------------------------------------------------- mock --

    def start_mock(self):
        self.mock_err = open(os.path.join(self.work, 'mock.err'), 'w')
        self.mock = self.spawn([MOCK, TOPIC], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=self.mock_err, text=True, bufsize=1)
        self.brokers = self.mock.stdout.readline().strip()
        if not self.brokers:
            raise RuntimeError('the mock broker did not start')
        self.event('mock broker at ' + self.brokers)

    def mock_cmd(self, cmd):
        self.mock.stdin.write(cmd + '\n')
        self.mock.stdin.flush()
        reply = self.mock.stdout.readline().strip()
        self.event('mock: %s -> %s' % (cmd, reply))
        if reply != 'ok':
            self.error('mock command %r: %s' % (cmd, reply))

    def log_start(self):
        """The first offset the broker still holds (kcat reads one message;
        retried, as injected request errors reach kcat too)."""
        for _ in range(10):
            r = subprocess.run(['kcat', '-C', '-b', self.brokers, '-t', TOPIC, '-p', '0', '-o',
                                'beginning', '-c', '1', '-e', '-q', '-f', '%o\\n'],
                               capture_output=True, text=True, timeout=30)
            try:
                return int(r.stdout.split()[0])
            except (IndexError, ValueError):
                time.sleep(1)
        self.error('kcat could not read the log start: %s' % r.stderr.strip()[:200])
        return 0

    # ------------------------------------------------- producer/publisher --

    def start_producer(self):
        self.prod_err = open(os.path.join(self.work, 'producer.err'), 'w')
        self.producer = self.spawn([PRODUCER, self.brokers, TOPIC], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=self.prod_err, text=True,
                                   bufsize=1 << 16)
        self.delivery_thread = threading.Thread(target=self._deliveries, daemon=True)
        self.delivery_thread.start()

    def _deliveries(self):
        pending = set()
        for line in self.producer.stdout:
            parts = line.split()
            if len(parts) == 3 and parts[1] == 'error':
                self.error('message %s not delivered: %s' % (parts[0], parts[2]))
                continue
            seq, off = int(parts[0]), int(parts[1])
            if seq != off:
                # the oracle maps offsets to what was sent: the log must be exactly it
                self.error('message %d was stored at offset %d' % (seq, off))
            pending.add(seq)
            d = self.delivered
            while d + 1 in pending:
                d += 1
                pending.discard(d)
            self.delivered = d

    def publish(self, op):
        line = model.message(op)
        self.log.append(op)
        self.producer.stdin.write(line + '\n')

    def write_config(self):
        tmp = os.path.join(self.work, 'readers.json.tmp')
        with open(tmp, 'w') as f:
            json.dump({'K': model.K, 'slots': model.SLOTS, 'groups_hi': self.gen.next_group}, f)
        os.replace(tmp, os.path.join(self.work, 'readers.json'))

    def publisher(self):
        """Steady messages at RATE per second; self.burst messages at once
        when asked; padding when self.pad is set."""
        t_start, sent, cfg_at = now(), 0, 0
        while not self.stop_publish.is_set():
            due = int((now() - t_start) * RATE) - sent
            with self.lock:
                burst, self.burst = self.burst, 0
                pad, self.pad = self.pad, 0
            for _ in range(pad):
                self.publish(self.gen.pad())
            for _ in range(max(due, 0) + burst):
                self.publish(self.gen.next(GROUPS))
            sent += max(due, 0)
            self.producer.stdin.flush()
            if now() - cfg_at > 1:
                self.write_config()
                cfg_at = now()
            time.sleep(0.01)
        self.producer.stdin.flush()

    # ------------------------------------------------------------ sidecar --

    def start_sidecar(self, name, db, extra=(), random_groups=True):
        opts = list(extra)
        if random_groups:
            opts += self.rnd.choice([[], [], ['--group-messages', '1'], ['--group-messages', '20'],
                                     ['--group-ms', '50'], ['--group-messages', '2000']])
        err = open(os.path.join(self.work, '%s.sidecar.log' % name), 'a')
        p = self.spawn([POLARLITE, 'sidecar', '--db', db, '--brokers', self.brokers, '--topic',
                        TOPIC] + opts, stdout=err, stderr=err)
        self.roles[p.pid] = 'sidecar:' + name
        self.event('sidecar %s started pid %d %s' % (name, p.pid, ' '.join(opts)))
        return p

    def term(self, p, name):
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.error('sidecar %s did not stop within 60 s of SIGTERM' % name)
            p.kill()
            rc = p.wait()
        self.count['stops'] += 1
        self.event('sidecar %s stopped with SIGTERM: status %d' % (name, rc))
        if rc != 0:
            self.error('sidecar %s exited %d after SIGTERM' % (name, rc))
        return rc

    def kill9(self, p, name):
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        self.count['kills'] += 1
        self.event('sidecar %s kill -9' % name)

    def check_alive(self):
        for name in ('live', 'r2'):
            p = self.sidecars.get(name)
            if p is not None and p.poll() is not None:
                self.error('sidecar %s exited by itself with status %d (see %s.sidecar.log)'
                           % (name, p.returncode, name))
                self.sidecars[name] = self.start_sidecar(name, self.db if name == 'live' else self.db2,
                                                         self.sidecar_extra(name))

    def sidecar_extra(self, name):
        """With the sidecar's snapshot modes: both restore from the store by
        themselves (empty file, lost position), and the live one publishes."""
        if not self.live_restore:
            return []
        if name == 'r2':
            return ['--snapshots', self.snapurl]
        return ['--snapshots', self.snapurl, '--snapshot-every', '%ds' % self.snap_every,
                '--snapshot-keep', '30']

    def wait_applied(self, db, offset, timeout):
        c = self.connect(db)
        try:
            return c.execute('SELECT polar_wait(?, ?)', ('0:%d' % offset, int(timeout * 1000))).fetchone()[0] == 1
        finally:
            c.close()

    # ------------------------------------------------------------- oracle --

    def verify(self, db, label, want_offset=None, full=True):
        """Compare db with the oracle at the position it holds."""
        self.count['verifications'] += 1
        t = now()
        c = self.connect(db)
        try:
            meta = dict(c.execute('SELECT key, value FROM polar_meta'))
            off = meta.get('log_offset')
            off = -1 if off is None else int(off)
            st = self.log.state_at(off)
            bad = []
            if want_offset is not None and off != want_offset:
                bad.append('holds offset %d, expected %d' % (off, want_offset))
            got = set(c.execute('SELECT predicate, a1, a2, a3 FROM polar_facts'))
            if got != st.facts:
                miss, extra = st.facts - got, got - st.facts
                bad.append('facts differ from the log at offset %d: %d missing (e.g. %s), %d extra '
                           '(e.g. %s)' % (off, len(miss), sorted(miss)[:2], len(extra), sorted(extra)[:2]))
            pv, rej, fc = c.execute('SELECT policy_version, rejected_count, fact_count FROM polar_status').fetchone()
            if (pv or 0) != st.policy_version:
                bad.append('policy_version %s, log says %d' % (pv, st.policy_version))
            if fc != len(st.facts):
                bad.append('polar_status.fact_count %s, log says %d' % (fc, len(st.facts)))
            rejected = {r[0] for r in c.execute('SELECT offset FROM polar_rejected')}
            if rejected != st.rejected:
                bad.append('rejected offsets differ: %d missing, %d extra'
                           % (len(st.rejected - rejected), len(rejected - st.rejected)))
            for key, want in (('applied_messages', st.messages), ('applied_facts', st.changed),
                              ('rejected_count', len(st.rejected))):
                if int(meta.get(key) or 0) != want:
                    bad.append('%s=%s, the log up to offset %d says %d (a message applied twice '
                               'or lost?)' % (key, meta.get(key), off, want))
            if full:
                ic = c.execute('PRAGMA integrity_check').fetchall()
                if ic != [('ok',)]:
                    bad.append('integrity_check: %s' % ic[:3])
        finally:
            c.close()
        self.event('verify %s: offset %d, %d facts, %s (%.1f s)'
                   % (label, off, len(st.facts), 'ok' if not bad else 'MISMATCH', now() - t))
        for b in bad:
            self.error('%s: %s: %s' % (label, os.path.basename(db), b))
        return off

    def sabotage(self):
        """The negative control: delete one role fact the log holds, so that
        the checks that follow must fail."""
        c = self.connect(self.db)
        try:
            row = c.execute("SELECT predicate, a1, a2, a3 FROM polar_facts "
                            "WHERE predicate = 'has_role' AND a1 LIKE 'User:s%' LIMIT 1").fetchone()
            c.execute('SELECT polar_delete(?, ?, ?, ?)', row)
            c.commit()
        finally:
            c.close()
        print("soak: sabotage: deleted %r behind the sidecar's back; this run must FAIL" % (row,),
              flush=True)

    def verify_paused(self, name):
        """SIGSTOP a running sidecar, check its committed state, SIGCONT."""
        p = self.sidecars[name]
        os.kill(p.pid, signal.SIGSTOP)
        try:
            self.verify(self.db if name == 'live' else self.db2, 'paused %s' % name, full=False)
            self.count['pauses'] += 1
        finally:
            os.kill(p.pid, signal.SIGCONT)

    # ----------------------------------------------------------- sampling --

    def sampler(self):
        """Every 2 s: resident memory and open files of every sidecar and
        reader, WAL sizes; also written to rss.tsv in the work directory."""
        out = open(os.path.join(self.work, 'rss.tsv'), 'w')
        out.write('t\tpid\trole\trss_kb\tfds\n')
        while not self.stop_sampling.is_set():
            t = now() - self.t0
            for pid in list(self.roles):
                try:
                    with open('/proc/%d/status' % pid) as f:
                        m = re.search(r'VmRSS:\s+(\d+) kB', f.read())
                    fds = len(os.listdir('/proc/%d/fd' % pid))
                except (OSError, AttributeError):
                    continue
                if m:
                    self.samples.setdefault(pid, []).append((t, int(m.group(1)), fds))
                    out.write('%.1f\t%d\t%s\t%s\t%d\n' % (t, pid, self.roles[pid], m.group(1), fds))
            wal = 0
            for db in (self.db, self.db2):
                try:
                    size = os.path.getsize(db + '-wal')
                    out.write('%.1f\t0\twal:%s\t%d\t0\n' % (t, os.path.basename(db), size // 1024))
                    wal = max(wal, size)
                except OSError:
                    pass
            out.flush()
            self.wal_now = wal
            self.wal_max = max(self.wal_max, wal)
            self.stop_sampling.wait(2)

    def memory_verdict(self):
        """Per process that lived at least MEMORY_MIN_SECONDS (life L): the
        median resident memory over its last L/4 against the highest over
        [L/4, L/2] (after warm-up: caches filled, a backlog or two seen).
        A cache or queue that fills up and stays is not growth; memory that
        keeps growing is. Also the slope over the second half, in MB/hour."""
        lines, worst = [], 0.0
        for pid, s in self.samples.items():
            role = self.roles.get(pid, '?')
            if not s or s[-1][0] - s[0][0] < MEMORY_MIN_SECONDS:
                continue
            t0, t1 = s[0][0], s[-1][0]
            life = t1 - t0
            base = [r for t, r, _ in s if t0 + life / 4 <= t <= t0 + life / 2]
            tail = sorted(r for t, r, _ in s if t >= t1 - life / 4)
            fds_base = max(f for t, _, f in s if t0 + life / 4 <= t <= t0 + life / 2)
            growth = (tail[len(tail) // 2] - max(base)) / 1024.0
            half = [(t, r) for t, r, _ in s if t >= t0 + life / 2]
            mt = sum(t for t, _ in half) / len(half)
            mr = sum(r for _, r in half) / len(half)
            var = sum((t - mt) ** 2 for t, _ in half) or 1.0
            slope = sum((t - mt) * (r - mr) for t, r in half) / var * 3600 / 1024.0
            worst = max(worst, growth)
            lines.append('%s pid %d, %.0f s: %.1f MB after warm-up, %.1f MB at the end '
                         '(%+.1f MB; second half %+.0f MB/hour; peak %.1f MB), fds %d -> %d'
                         % (role, pid, life, max(base) / 1024.0, tail[len(tail) // 2] / 1024.0,
                            growth, slope, max(r for _, r, _ in s) / 1024.0, fds_base, s[-1][2]))
            if growth > RSS_GROWTH_MB:
                self.error('%s pid %d: resident memory grew %.1f MB after warm-up (bound %.0f MB)'
                           % (role, pid, growth, RSS_GROWTH_MB))
            if s[-1][2] > fds_base + 4:
                self.error('%s pid %d: open files grew from %d to %d' % (role, pid, fds_base, s[-1][2]))
        return lines, worst

    def max_rss(self, prefix):
        v = [r for pid, s in self.samples.items() if self.roles.get(pid, '').startswith(prefix)
             for _, r, _ in s]
        return max(v) / 1024.0 if v else 0.0

    # ------------------------------------------------------------- faults --

    def fault_kill(self):
        name = 'r2' if self.sidecars.get('r2') and self.rnd.random() < 0.2 else 'live'
        db = self.db if name == 'live' else self.db2
        during_outage = self.rnd.random() < 0.25
        if during_outage:
            self.mock_cmd('down 1')
            self.count['outages'] += 1
        self.kill9(self.sidecars[name], name)
        self.verify(db, 'after kill -9 of %s' % name)
        self.sidecars[name] = self.start_sidecar(name, db, self.sidecar_extra(name))
        if during_outage:
            time.sleep(self.rnd.uniform(1, 4))      # started while no broker answers
            self.mock_cmd('up 1')

    def fault_outage(self):
        self.count['outages'] += 1
        self.mock_cmd('down 1')
        time.sleep(self.rnd.uniform(1, 8))
        self.mock_cmd('up 1')

    def fault_request_errors(self):
        if self.rnd.random() < 0.7:
            api, codes, n = 1, (5, 6, 7, 13, 56), self.rnd.randint(1, 20)     # Fetch
        else:
            api, codes, n = 2, (5, 6, 7, 13), self.rnd.randint(1, 5)          # ListOffsets
        self.count['request_errors'] += 1
        self.mock_cmd('errors %d %d %d' % (api, self.rnd.choice(codes), n))

    def fault_rtt(self):
        self.count['rtt'] += 1
        self.mock_cmd('rtt 1 %d' % self.rnd.randint(100, 1500))
        time.sleep(self.rnd.uniform(2, 8))
        self.mock_cmd('rtt 1 0')

    def take_snapshot(self, db=None, url=None):
        db = db or self.db
        r = self.polarlite('snapshot', '--db', db, '--to', url or self.snapurl, '--keep', '30')
        m = re.search(r'log position 0:(\d+), policy version (\d+), (\d+) facts', r.stdout)
        if r.returncode != 0 or not m:
            self.error('polarlite snapshot failed (%d): %s' % (r.returncode, (r.stderr or r.stdout).strip()[:300]))
            return None
        off, pv, facts = int(m.group(1)), int(m.group(2)), int(m.group(3))
        st = self.log.state_at(off)
        if facts != len(st.facts) or pv != st.policy_version:
            self.error('snapshot at offset %d holds %d facts, policy version %d; the log says %d, %d'
                       % (off, facts, pv, len(st.facts), st.policy_version))
        self.event('snapshot of %s at offset %d (%d facts)' % (os.path.basename(db), off, facts))
        return off

    def check_new_snapshots(self):
        """Every manifest in the store, once: its facts and policy version
        against the oracle at its offset."""
        d = os.path.join(self.snapdir, 'snapshots')
        for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if not n.endswith('.json') or n in self.seen_manifests:
                continue
            try:
                m = json.load(open(os.path.join(d, n)))
            except (OSError, ValueError):
                continue            # being written or pruned
            self.seen_manifests.add(n)
            off = m['offset']
            st = self.log.state_at(off)
            if m['facts'] != len(st.facts) or m['policy_version'] != st.policy_version:
                self.error('snapshot %s at offset %d holds %d facts, policy version %d; the log '
                           'says %d, %d' % (n, off, m['facts'], m['policy_version'], len(st.facts),
                                            st.policy_version))
            self.count['snapshots'] += 1
            self.event('snapshot %s checked: offset %d, %d facts' % (n, off, m['facts']))

    def snapshot_offsets(self):
        d = os.path.join(self.snapdir, 'snapshots')
        offs = []
        for n in os.listdir(d) if os.path.isdir(d) else []:
            m = re.match(r'.*-o(\d+)\.json$', n)
            if m:
                offs.append(int(m.group(1)))
        return sorted(offs)

    def older_snapshot(self, below):
        """An offset of a snapshot older than `below` that the log can still
        continue from (with a margin), or None."""
        lo = self.log_start()
        margin = max(2 * RATE, (self.delivered - lo) / 4)   # the log start moves on meanwhile
        ok = [o for o in self.snapshot_offsets() if o < below and o + 1 >= lo + margin]
        return self.rnd.choice(ok) if ok else None

    def restore(self, db, offset, force, expect_ok=True, url=None):
        args = ['restore', '--db', db, '--from', url or self.snapurl]
        if offset is not None:
            args += ['--offset', str(offset)]
        if force:
            args.append('--force')
        r = self.polarlite(*args)
        self.event('polarlite %s -> %d %s' % (' '.join(args[3:]), r.returncode,
                                              (r.stdout or r.stderr).strip()[:200]))
        if expect_ok and r.returncode != 0:
            self.error('restore %s failed: %s' % (' '.join(args[3:]), r.stderr.strip()[:300]))
        return r.returncode

    def restore_offline(self):
        """Stop the sidecar, refuse an older snapshot without --force, install
        it with --force, start again: the sidecar re-applies from there."""
        if self.older_snapshot(self.position(self.db)) is None:
            return False                # no snapshot to go back to yet: later
        p = self.sidecars['live']
        self.term(p, 'live')
        at = self.verify(self.db, 'stopped for a restore')
        target = self.older_snapshot(at)
        if target is None:
            self.note('offline restore skipped: no older snapshot still covered by the log')
        else:
            if self.restore(self.db, target, force=False, expect_ok=False) == 0:
                self.error('restore of an older snapshot (offset %d < %d) without --force succeeded' % (target, at))
            else:
                self.count['refused'] += 1
            self.verify(self.db, 'after a refused restore', want_offset=at, full=False)
            if self.restore(self.db, target, force=True) == 0:
                self.count['restores'] += 1
                self.verify(self.db, 'after restore --force', want_offset=target)
        self.sidecars['live'] = self.start_sidecar('live', self.db, self.sidecar_extra('live'))
        return True

    def position(self, db):
        c = self.connect(db)
        try:
            r = c.execute("SELECT value FROM polar_meta WHERE key='log_offset'").fetchone()
            return -1 if r is None or r[0] is None else int(r[0])
        finally:
            c.close()

    def restore_live_back(self):
        """Restore an older snapshot (--force) into the file under the running
        sidecar: it must notice and re-apply from the snapshot's position."""
        target = self.older_snapshot(self.position(self.db))
        if target is None:
            return False
        if self.restore(self.db, target, force=True) == 0:
            self.count['restores'] += 1
            self.count['live_restores'] += 1
        time.sleep(self.rnd.uniform(0.5, 3))
        self.verify_paused('live')
        return True

    def restore_live_forward(self):
        """Hold the live sidecar (SIGSTOP, between transactions) while the
        replica moves ahead; snapshot the replica; restore it into the live
        file (newer: no --force); resume: the sidecar must carry on from
        the restored position, not apply again what it holds."""
        p = self.sidecars['live']
        if self.sidecars.get('r2') is None:
            return False
        for _ in range(50):
            os.kill(p.pid, signal.SIGSTOP)
            c = self.connect(self.db)
            c.execute('PRAGMA busy_timeout=0')
            try:
                c.execute('BEGIN IMMEDIATE')
                c.execute('ROLLBACK')
                break
            except sqlite3.OperationalError:
                os.kill(p.pid, signal.SIGCONT)
                time.sleep(0.05)
            finally:
                c.close()
        else:
            return False                # always inside a transaction: later
        try:
            c = self.connect(self.db)
            at = c.execute("SELECT value FROM polar_meta WHERE key='log_offset'").fetchone()[0]
            c.close()
            time.sleep(3)
            url2 = self.snapurl + '-replica'
            os.makedirs(url2[len('file://'):], exist_ok=True)
            off = self.take_snapshot(self.db2, url2)
            if off is None or off <= at:
                self.event('the replica is not ahead (%s <= %s)' % (off, at))
                return False
            if self.restore(self.db, None, force=False, url=url2) == 0:
                self.count['restores'] += 1
                self.count['live_restores'] += 1
                self.verify(self.db, 'after a forward restore under a paused sidecar', want_offset=off,
                            full=False)
        finally:
            os.kill(p.pid, signal.SIGCONT)
        time.sleep(self.rnd.uniform(0.5, 3))
        self.verify_paused('live')
        return True

    def replica_join(self):
        """A second replica starts late, on an empty file, from a snapshot
        (the log no longer starts at 0 by then, or may not)."""
        lo = self.log_start()
        if self.live_restore:
            if not self.snapshot_offsets():
                return False            # the live sidecar has not published one yet
            self.event('replica joins with --snapshots (log starts at %d)' % lo)
            self.sidecars['r2'] = self.start_sidecar('r2', self.db2, self.sidecar_extra('r2'))
            self.wait_auto_restore('empty_database')
            return True
        if lo > 0:
            # without a snapshot the empty file cannot start: exit 3
            self.replica_must_stop('a sidecar on an empty file, the log starting at %d' % lo)
        self.replica_restore('replica restored')
        return True

    def replica_must_stop(self, what):
        """Start the replica without --snapshots where it cannot go on (what):
        it must exit 3 by itself."""
        p = self.start_sidecar('r2', self.db2, random_groups=False)
        try:
            rc = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.error('%s started' % what)
            self.kill9(p, 'r2')
            rc = None
        if rc == 3:
            self.count['position_lost'] += 1
        elif rc is not None:
            self.error('%s: exit %d, expected 3' % (what, rc))

    def replica_restore(self, label):
        """polarlite restore of the latest snapshot into the stopped
        replica's file, checked, then the replica started again."""
        if self.restore(self.db2, None, force=False) == 0:
            self.count['restores'] += 1
            self.verify(self.db2, label)
        self.sidecars['r2'] = self.start_sidecar('r2', self.db2)

    def wait_auto_restore(self, reason):
        """The replica's sidecar restores a snapshot by itself (--snapshots)."""
        path = os.path.join(self.work, 'r2.sidecar.log')
        before = open(path).read().count('event=snapshot_restored')
        for _ in range(240):
            text = open(path).read()
            if text.count('event=snapshot_restored') > before:
                self.count['auto_restores'] += 1
                self.event('replica restored a snapshot by itself (%s)' % reason)
                return
            if self.sidecars['r2'].poll() is not None:
                break
            time.sleep(0.25)
        self.error('the replica did not restore a snapshot by itself (%s): %s'
                   % (reason, text.strip().splitlines()[-1][:300] if text.strip() else 'no log'))

    def replica_lost(self):
        """Stop the replica, pad the log until its position is gone, snapshot
        the live file; the replica must recover from the snapshot."""
        p = self.sidecars.get('r2')
        if p is None:
            return False
        self.term(p, 'r2')
        self.sidecars['r2'] = None
        at = self.verify(self.db2, 'replica stopped')
        # ~600 KB of barely compressible padding at a time, each applied by
        # the live sidecar before the next: the log start moves past the
        # stopped replica, never past the live one (the mock keeps ~5 MB)
        for _ in range(40):
            with self.lock:
                self.pad = 20
            while self.pad:
                time.sleep(0.05)
            last = len(self.log.ops) - 1
            if not self.wait_applied(self.db, last, 120):
                self.error('the live sidecar did not apply the padding within 120 s')
                break
            if self.log_start() > at + 1:
                break
        else:
            self.note('padding did not move the log start past the replica (%d)' % at)
        last = len(self.log.ops) - 1
        if self.live_restore:
            # a snapshot after the padding, from the live sidecar's publisher
            for _ in range(4 * self.snap_every):
                self.check_new_snapshots()
                if self.snapshot_offsets() and self.snapshot_offsets()[-1] >= last:
                    break
                time.sleep(0.5)
            else:
                self.error('no snapshot at or after offset %d within %d s' % (last, 2 * self.snap_every))
            self.sidecars['r2'] = self.start_sidecar('r2', self.db2, self.sidecar_extra('r2'))
            self.wait_auto_restore('position_lost')
            return True
        self.take_snapshot()
        self.replica_must_stop('the replica whose position %d the log lost' % at)
        self.replica_restore('replica restored after losing its position')
        return True

    # --------------------------------------------------------------- run ---

    def run(self):
        help_text = self.polarlite('sidecar', '--help').stdout
        default_live = '--snapshots' in help_text
        self.live_restore = os.environ.get('SOAK_LIVE_RESTORE', '1' if default_live else '0') == '1'
        self.pad = 0
        self.sidecars = {'live': None, 'r2': None}
        self.seen_manifests = set()
        self.snap_every = 10            # seconds between snapshots
        print('soak: %d s, seed %d, %g messages/s, %d readers, %d live groups, live restores %s; '
              'work in %s' % (SECONDS, SEED, RATE, READERS, GROUPS,
                              'on' if self.live_restore else 'off (the sidecar has no --snapshots)',
                              self.work), flush=True)
        self.start_mock()
        self.start_producer()
        self.stop_sampling = threading.Event()
        threading.Thread(target=self.sampler, daemon=True).start()

        # preload: policy, 200 slots, GROUPS groups, as one backlog
        for op in self.gen.preload(GROUPS):
            self.publish(op)
        self.producer.stdin.flush()
        preload_end = len(self.log.ops) - 1
        self.write_config()
        self.sidecars['live'] = self.start_sidecar('live', self.db, self.sidecar_extra('live'),
                                                   random_groups=False)
        t = now()
        if not self.wait_applied(self.db, preload_end, 300):
            raise RuntimeError('the preload (%d messages) was not applied within 300 s' % preload_end)
        self.event('preload of %d messages applied in %.1f s' % (preload_end + 1, now() - t))
        self.verify(self.db, 'after the preload', want_offset=preload_end)
        publisher = threading.Thread(target=self.publisher, daemon=True)
        publisher.start()

        readers = []
        for i in range(READERS):
            out = open(os.path.join(self.work, 'reader%d.out' % i), 'w')
            p = self.spawn(['/usr/bin/python3', os.path.join(HERE, 'reader.py'), self.db,
                            os.path.join(self.work, 'readers.json'), str(SEED * 100 + i)],
                           stdout=out, stderr=subprocess.STDOUT)
            self.roles[p.pid] = 'reader'
            readers.append((p, out))

        # the schedule: (fraction of the run, action)
        plan = [(0.20, self.restore_offline), (0.35, self.replica_join), (0.55, self.restore_offline),
                (0.75, self.replica_lost)]
        if self.live_restore:
            plan += [(0.45, self.restore_live_back), (0.62, self.restore_live_forward),
                     (0.85, self.restore_live_back)]
        plan = sorted((self.t0 + f * SECONDS, f, a, 0) for f, a in plan)
        kill_end = self.t0 + SECONDS * 2 / 3
        t_end = self.t0 + SECONDS
        next_snap = now() + self.snap_every / 2
        next_fault = now() + self.rnd.uniform(3, 10)
        next_burst = now() + SECONDS / 7
        next_report = now() + 30
        faults = [(self.fault_outage, 3), (self.fault_request_errors, 3), (self.fault_rtt, 2)]
        while now() < t_end:
            self.check_alive()
            for i, r in enumerate(readers):
                if r[0].poll() is not None:
                    self.error('reader %d exited early: %s' % (i, open(r[1].name).read()[-300:]))
                    readers[i] = (subprocess.Popen(['true']), r[1])
            if plan and now() >= plan[0][0]:
                _, f, action, tries = plan.pop(0)
                self.event('== %s' % action.__name__)
                if not action():
                    # its precondition (a snapshot, the replica) is not there yet
                    if tries < 8 and now() + 5 < t_end - 5:
                        plan = sorted(plan + [(now() + 5, f, action, tries + 1)])
                    else:
                        self.note('%s skipped: no snapshot or replica to work with' % action.__name__)
            elif now() >= next_snap:
                if not self.live_restore:
                    self.take_snapshot()        # else the live sidecar publishes them
                self.check_new_snapshots()
                next_snap = now() + self.snap_every
            elif now() >= next_burst:
                with self.lock:
                    top = int(min(6000, RATE * SECONDS / 10))
                    self.burst = self.rnd.randint(top // 2, top)
                self.count['bursts'] += 1
                self.event('burst of %d messages' % self.burst)
                next_burst = now() + SECONDS / 7
            elif now() >= next_fault:
                choices = list(faults)
                if now() < kill_end:
                    choices.append((self.fault_kill, 4))
                if self.rnd.random() < 0.15:
                    choices = [(lambda: self.verify_paused('live'), 1)]
                fn = self.rnd.choices([c[0] for c in choices], [c[1] for c in choices])[0]
                fn()
                next_fault = now() + self.rnd.uniform(4, 12)
            if now() >= next_report:
                next_report = now() + 30
                print('soak: %4.0fs offset %d, wal %.0f MB, %s' % (now() - self.t0, self.delivered,
                      self.wal_now / 1048576.0,
                      ' '.join('%s=%d' % kv for kv in self.count.items() if kv[1])), flush=True)
            time.sleep(0.2)

        # drain and stop
        self.event('== end: draining')
        self.stop_publish.set()
        publisher.join()
        self.producer.stdin.close()
        try:
            rc = self.producer.wait(timeout=120)
            if rc != 0:
                self.error('the producer exited %d' % rc)
        except subprocess.TimeoutExpired:
            self.error('the producer did not deliver everything within 120 s')
        self.delivery_thread.join(timeout=10)
        last = len(self.log.ops) - 1
        if self.delivered != last:
            self.error('delivered up to offset %d of %d' % (self.delivered, last))
        for name, db in (('live', self.db), ('r2', self.db2)):
            if self.sidecars.get(name) and not self.wait_applied(db, last, 300):
                self.error('sidecar %s did not apply up to offset %d within 300 s' % (name, last))
        reader_counts = []
        for p, out in readers:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=60)
            out.close()
            text = open(out.name).read().strip().splitlines()
            try:
                reader_counts.append(json.loads(text[-1]))
            except (IndexError, ValueError):
                self.error('reader output unreadable: %r' % text[-3:])
        self.stop_sampling.set()
        for name in ('live', 'r2'):
            if self.sidecars.get(name):
                self.term(self.sidecars[name], name)
        if SABOTAGE:
            self.sabotage()
        self.verify(self.db, 'final live', want_offset=last)
        if self.sidecars.get('r2') is not None:
            self.verify(self.db2, 'final replica', want_offset=last)
        mismatches, sample = self.compare_answers(last)
        # temporary files beside the databases (snapshot copies, downloads)
        # left behind by kill -9 or failures
        leftovers = [n for n in os.listdir(self.work)
                     if re.match(r'(live|replica)\.db-(snapshot|restore|download)', n)]
        if leftovers:
            self.note('temporary files left beside the databases: %s' % ' '.join(sorted(leftovers)))
        reseeks = open(os.path.join(self.work, 'live.sidecar.log')).read().count('event=position_moved')
        if self.count['live_restores'] and reseeks < self.count['live_restores']:
            self.error('%d restores under the running sidecar, %d position_moved events'
                       % (self.count['live_restores'], reseeks))

        checks = sum(r['checks'] for r in reader_counts)
        rerrors = sum(r['errors'] for r in reader_counts)
        half = sum(r['half'] for r in reader_counts)
        unpinned = sum(r['unpinned'] for r in reader_counts)
        drift = sum(r['drift'] for r in reader_counts)
        if unpinned:
            print('soak: %d of %d multi-check statements that read no table of their own saw more '
                  'than one state (each authorize() call took its own snapshot)' % (drift, unpinned))
        for r in reader_counts:
            for e in r['first_errors']:
                self.error('reader error: ' + e)
            for h in r['first_half']:
                self.error('reader saw a half-applied state: ' + h)
        mem_lines, growth = self.memory_verdict()
        if SECONDS >= 2 * MEMORY_MIN_SECONDS and not mem_lines:
            self.error('no process lived long enough to judge its memory')
        st = self.log.state_at(last)
        for line in mem_lines:
            print('soak: memory: ' + line)
        for n in self.notes:
            print('soak: note: ' + n)
        c = self.count
        verdict = 'PASS' if not self.errors else 'FAIL'
        print('soak: %s seconds=%d seed=%d messages=%d facts_changed=%d facts_final=%d rejected=%d '
              'policies=%d kills=%d stops=%d outages=%d request_errors=%d rtt_spikes=%d bursts=%d '
              'snapshots=%d restores=%d live_restores=%d reseeks=%d refused_restores=%d position_lost=%d '
              'auto_restores=%d verifications=%d reader_checks=%d reader_errors=%d half_applied=%d '
              'answers_compared=%d answer_mismatches=%d max_rss_sidecar_mb=%.1f max_rss_reader_mb=%.1f '
              'rss_growth_mb=%.1f max_wal_mb=%.1f'
              % (verdict, round(now() - self.t0), SEED, last + 1, st.changed, len(st.facts),
                 len(st.rejected), st.policy_version, c['kills'], c['stops'], c['outages'],
                 c['request_errors'], c['rtt'], c['bursts'], c['snapshots'], c['restores'],
                 c['live_restores'], reseeks, c['refused'], c['position_lost'], c['auto_restores'],
                 c['verifications'], checks, rerrors, half, sample, mismatches,
                 self.max_rss('sidecar'), self.max_rss('reader'), growth, self.wal_max / 1048576.0),
              flush=True)
        for e in self.errors[:30]:
            print('soak: error: ' + e)
        return not self.errors

    def compare_answers(self, last):
        """authorize() against the oracle's model of the policy, on a sample
        of slot, group, dropped-group and poison questions."""
        st = self.log.state_at(last)
        parents = st.relations()
        rnd = random.Random(SEED + 1)
        qs = []
        for _ in range(4000):
            x = rnd.random()
            if x < 0.4:
                s, j = rnd.randrange(model.SLOTS), rnd.randrange(model.K)
                u, res = 'User:s%dm%d' % (s, j), rnd.choice(['Repo:s%dr' % s, 'Repo:s%dr' % rnd.randrange(model.SLOTS),
                                                             'Org:s%dv%d' % (s, self.gen.slot_version[s])])
            elif x < 0.95:
                g, j = rnd.randrange(max(self.gen.next_group, 1)), rnd.randrange(model.K)
                u, res = 'User:g%dm%d' % (g, j), rnd.choice(['Repo:g%dr' % g, 'Org:g%d' % g])
            else:
                u, res = 'User:poison', rnd.choice(['Org:poison', 'Repo:poison'])
            qs.append((u, rnd.choice(['read', 'write', 'audit']), res))
        c = self.connect(self.db)
        bad = 0
        for q in qs:
            got = c.execute('SELECT authorize(?, ?, ?)', q).fetchone()[0]
            want = st.allow(*q, parents)
            if got != want:
                bad += 1
                if bad <= 5:
                    self.error('authorize%r = %s, the oracle says %s' % (q, got, want))
        c.close()
        self.event('compared %d authorize answers: %d mismatches' % (len(qs), bad))
        return bad, len(qs)


def main():
    work = tempfile.mkdtemp(prefix='polarlite-soak.')
    s = Soak(work)
    ok = False
    try:
        ok = s.run()
    except Exception as e:          # a harness failure is a failed soak
        import traceback
        traceback.print_exc()
        s.error('harness: %r' % e)
    finally:
        s.cleanup()
    if ok and os.environ.get('KEEP') != '1':
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    else:
        print('soak: work files in %s (timeline.log, *.sidecar.log, reader*.out)' % work)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
