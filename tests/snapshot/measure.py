#!/usr/bin/python3
"""measure.py — snapshot and restore times of a large database against
s3rver on loopback, the snapshot's size, and whether compressing it would
pay. A measurement, not a test: run.sh does not run it.

    tests/snapshot/measure.py [--facts 1000000] [--db FILE] [--runs 3]
                              [--json FILE] [--no-compress]

The database is the benchmark's GitClub world (bench/gen_gitclub, the
bench/gitclub.polar policy), loaded through INSERT INTO polar_facts in one
transaction; --db keeps it so a second run skips the load. Restore is
timed into a new file and into a live WAL-mode database that already holds
the same data (the sidecar's case), with its parts timed apart: the
download alone, sha256, PRAGMA integrity_check. All timings are with a
warm page cache (dropping it needs root). --json writes the medians (and
every run) for make bench (bench/run.sh); --no-compress skips the
compression trial.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

GEN = os.path.join(H.ROOT, 'bench', 'gen_gitclub')
BENCH_POLICY = os.path.join(H.ROOT, 'bench', 'gitclub.polar')
LONG = 3600          # seconds a snapshot or restore may take (10M facts: about 2 GB)


def build_db(final, facts):
    path = final + '.building'                   # renamed when complete
    if not os.path.exists(GEN):
        subprocess.run(['make', '-C', os.path.join(H.ROOT, 'bench'), 'gen_gitclub'], check=True)
    t0 = time.monotonic()
    tsv = subprocess.run([GEN, '--size', str(facts), '--format', 'tsv'], check=True,
                         capture_output=True, text=True).stdout
    db = H.connect(path)
    db.execute('PRAGMA journal_mode=WAL')
    with open(BENCH_POLICY) as f:
        db.execute('SELECT polar_load(?, ?)', (f.read(), 'gitclub.polar'))
    db.execute('BEGIN')
    rows = (line.split('\t') for line in tsv.splitlines())
    db.executemany('INSERT INTO polar_facts(predicate, a1, a2, a3) VALUES(?, ?, ?, ?)',
                   (r + [None] * (4 - len(r)) for r in rows))
    db.execute("INSERT INTO polar_meta(key, value) VALUES('log_topic', 'facts'), "
               "('log_partition', 0), ('log_offset', 999999) ON CONFLICT(key) DO UPDATE "
               "SET value=excluded.value")
    db.execute('COMMIT')
    db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    n = db.execute('SELECT count(*) FROM polar_facts').fetchone()[0]
    db.close()
    os.rename(path, final)
    print('built %s: %d facts, %.1f MB, %.1f s' % (final, n, os.path.getsize(final) / 1e6,
                                                   time.monotonic() - t0))


def timed(fn):
    t0 = time.monotonic()
    v = fn()
    return time.monotonic() - t0, v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--facts', type=int, default=1000000)
    ap.add_argument('--db')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--json')
    ap.add_argument('--no-compress', action='store_true')
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix='polarlite-measure-')
    src = args.db or os.path.join(work, 'src.db')
    try:
        if not os.path.exists(src):
            build_db(src, args.facts)
        s3 = H.S3rver(work)
        env = H.clean_env(AWS_ACCESS_KEY_ID=H.KEY_ID, AWS_SECRET_ACCESS_KEY=H.SECRET,
                          AWS_ENDPOINT_URL_S3=s3.url)
        url = 's3://%s/measure' % H.BUCKET
        snaps, rest_new, rest_live, rest_full, gets, shas, checks = [], [], [], [], [], [], []
        for _ in range(args.runs):
            t, _ = timed(lambda: H.run_polarlite(['snapshot', '--db', src, '--to', url, '--keep', '1'], env,
                                                 timeout=LONG))
            snaps.append(t)
        m = json.loads(s3.get('measure/latest'))
        obj_url = '%s/%s/measure/%s' % (s3.url, H.BUCKET, m['object'])
        live = os.path.join(work, 'live.db')
        shutil.copy(src, live)                          # a live WAL database, same data
        for i in range(args.runs):
            new = os.path.join(work, 'new%d.db' % i)
            t, _ = timed(lambda: H.run_polarlite(['restore', '--db', new, '--from', url], env, timeout=LONG))
            rest_new.append(t)
            os.remove(new)
            t, _ = timed(lambda: H.run_polarlite(['restore', '--db', live, '--from', url, '--force'], env,
                                                 timeout=LONG))
            rest_live.append(t)
            new = os.path.join(work, 'full%d.db' % i)
            t, _ = timed(lambda: H.run_polarlite(['restore', '--db', new, '--from', url,
                                                  '--full-check'], env, timeout=LONG))
            rest_full.append(t)
            os.remove(new)
            t, data = timed(lambda: urllib.request.urlopen(obj_url).read())
            gets.append(t)
            t, _ = timed(lambda: hashlib.sha256(data).hexdigest())
            shas.append(t)
            f = os.path.join(work, 'check.db')
            with open(f, 'wb') as out:
                out.write(data)
            t, _ = timed(lambda: subprocess.run(['sqlite3', f, 'PRAGMA integrity_check'],
                                                check=True, capture_output=True))
            checks.append(t)
        size = m['bytes']
        print()
        print('facts %d, live file %.1f MB, snapshot object %.1f MB (%d bytes)' % (
            m['facts'], os.path.getsize(src) / 1e6, size / 1e6, size))
        row = '%-46s best %6.2f s   median %6.2f s'
        for name, v in [('snapshot (copy, check, sha256, multipart PUT)', snaps),
                        ('restore into a new file', rest_new),
                        ('restore into a live WAL database', rest_live),
                        ('restore into a new file, --full-check', rest_full),
                        ('  of which: GET of the object alone', gets),
                        ('  of which: sha256 (Python hashlib)', shas),
                        ('  of which: PRAGMA integrity_check (sqlite3)', checks)]:
            v = sorted(v)
            print(row % (name, v[0], v[len(v) // 2]))
        if args.json:
            med = lambda v: sorted(v)[len(v) // 2]
            out = {'facts': m['facts'], 'runs': args.runs, 'db_bytes': os.path.getsize(src),
                   'snapshot_bytes': size, 's3': 's3rver on loopback',
                   'snapshot_s': med(snaps), 'restore_new_s': med(rest_new),
                   'restore_live_s': med(rest_live), 'restore_full_check_s': med(rest_full),
                   'get_s': med(gets), 'sha256_s': med(shas), 'integrity_check_s': med(checks),
                   'all': {'snapshot': snaps, 'restore_new': rest_new, 'restore_live': rest_live,
                           'restore_full_check': rest_full}}
            with open(args.json, 'w') as f:
                json.dump(out, f, indent=1)
        if args.no_compress:
            return 0
        print()
        print('compression of the snapshot object (CLI tools, one core):')
        f = os.path.join(work, 'check.db')
        for tool, comp, decomp in [('zstd -1', ['zstd', '-1', '-q', '-c', f], ['zstd', '-d', '-q', '-c']),
                                   ('zstd -3', ['zstd', '-3', '-q', '-c', f], ['zstd', '-d', '-q', '-c']),
                                   ('gzip -1', ['gzip', '-1', '-c', f], ['gzip', '-d', '-c'])]:
            if shutil.which(tool.split()[0]) is None:
                continue
            t0 = time.monotonic()
            z = subprocess.run(comp, check=True, capture_output=True).stdout
            tc = time.monotonic() - t0
            t0 = time.monotonic()
            subprocess.run(decomp, input=z, check=True, capture_output=True)
            td = time.monotonic() - t0
            print('  %-8s %6.1f MB (%.2fx)  compress %.2f s  decompress %.2f s' % (
                tool, len(z) / 1e6, size / len(z), tc, td))
    finally:
        H.stop_all()
        if args.db is None:
            H.rmtree(work)
        else:
            for name in os.listdir(work):
                p = os.path.join(work, name)
                shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
            os.rmdir(work)
    return 0


if __name__ == '__main__':
    sys.exit(main())
