#!/usr/bin/python3
"""reader.py — one reader process of the soak test (tests/soak/soak.py).

  reader.py DB CONFIG SEED

Runs checks against DB until SIGTERM, from two connections of its own
(alternating at random), as fast as it can, then prints one JSON line:
  {"checks": N, "errors": N, "half": N, "unpinned": N, "drift": N,
   "first_errors": [...], "first_half": [...]}

Every check is ONE statement that reads a table (polar_meta), so it holds
one read transaction from its start and every authorize() inside it sees
the same committed state (README.md, "One state per statement"); the log
is built so that each message keeps these invariants (K = members per
unit, from CONFIG):

  slot s      always exists once the preload is applied; its K members all
              read Repo:s<s>r, and all or none of them write it
              (a message moves the slot from one version to the next:
              K role facts and the parent relation replaced together)
  group g     created whole by one message and dropped whole (wildcard
              delete) by another: 0 or K of its members read Repo:g<g>r
  poison      facts that only ever appear in messages the engine must
              refuse (a half-valid batch...): never visible
  list        a slot member lists exactly its slot's repository
  actions     a slot member has read, maybe write, maybe audit; never none
  global      every org with members has exactly K of them and exactly one
              repository pointing at it; every repository one parent;
              200 slots; polar_status.fact_count equals the facts

A violated invariant is a "half" observation (a reader saw part of a
message). 2% of the slot checks run without the polar_meta read: those
that see more than one state are counted as "drift", not as errors. Any
SQLite error (including SQLITE_BUSY: readers use a 10 s busy
timeout, as any client would, and in WAL mode should never wait) is an
"error". CONFIG is a JSON file the harness rewrites as the log grows
({"K":…, "slots":…, "groups_hi":…}).
"""
import json
import os
import random
import signal
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXTENSION = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'polarlite')

stop = False


def on_term(sig, frame):
    global stop
    stop = True


def connect(path):
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(EXTENSION)
    db.enable_load_extension(False)
    return db


def main():
    path, cfg_path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    rnd = random.Random(seed)
    cfg = json.load(open(cfg_path))
    k, slots = cfg['K'], cfg['slots']
    conns = [connect(path), connect(path)]
    members = ' UNION ALL '.join('SELECT %d AS j' % j for j in range(k))
    # ?1 user prefix (User:s5m), ?2 repository (Repo:s5r)
    # The statement reads polar_meta so that it holds one read transaction
    # from its start: all its authorize() calls then see one state. Without
    # a table of its own, each authorize() call reads the latest commit
    # (q_drift: counted, not an error; see README.md).
    q_drift = ('SELECT sum(authorize(?1 || j, \'read\', ?2)), sum(authorize(?1 || j, \'write\', ?2)),'
               ' authorize(\'User:poison\', \'read\', \'Org:poison\'),'
               ' authorize(\'User:poison\', \'read\', \'Repo:poison\')'
               ' FROM (%s)' % members)
    q_unit = q_drift + ', (SELECT 1 FROM polar_meta LIMIT 1)'
    q_list = 'SELECT id FROM polar_list(?1, \'read\', \'Repo\')'
    q_actions = 'SELECT action FROM polar_actions(?1, ?2)'
    q_global = (
        "SELECT"
        " (SELECT count(*) FROM (SELECT a3 FROM polar_facts WHERE predicate='has_role'"
        "   GROUP BY a3 HAVING count(*)<>%d)),"
        " (SELECT count(*) FROM (SELECT a3 FROM polar_facts WHERE predicate='has_relation'"
        "   GROUP BY a3 HAVING count(*)<>1)),"
        " (SELECT count(*) FROM (SELECT a1 FROM polar_facts WHERE predicate='has_relation'"
        "   GROUP BY a1 HAVING count(*)<>1)),"
        " (SELECT count(*) FROM polar_facts WHERE predicate='has_relation' AND a3 NOT IN"
        "   (SELECT a3 FROM polar_facts WHERE predicate='has_role')),"
        " (SELECT count(DISTINCT a3) FROM polar_facts WHERE predicate='has_role')"
        "   - (SELECT count(*) FROM polar_facts WHERE predicate='has_relation'),"
        " (SELECT count(*) FROM polar_facts WHERE predicate='has_relation' AND a1 GLOB 'Repo:s*'),"
        " (SELECT fact_count FROM polar_status) - (SELECT count(*) FROM polar_facts),"
        " (SELECT applied_offset FROM polar_status)"
        " FROM (SELECT 1 FROM polar_meta LIMIT 1)" % k)
    checks = errors = half = unpinned = drift = 0
    first_errors, first_half = [], []
    cfg_at = global_at = time.monotonic()
    groups_hi = cfg.get('groups_hi', 0)

    def bad(what):
        nonlocal half
        half += 1
        if len(first_half) < 5:
            first_half.append('%s at %s' % (what, time.strftime('%H:%M:%S')))

    while not stop:
        db = conns[rnd.randrange(2)]
        now = time.monotonic()
        try:
            if now - cfg_at > 2:
                cfg_at = now
                try:
                    groups_hi = json.load(open(cfg_path)).get('groups_hi', groups_hi)
                except (OSError, ValueError):
                    pass
            if now - global_at > 2:
                global_at = now
                r = db.execute(q_global).fetchall()[0]
                checks += 1
                if r[:5] != (0, 0, 0, 0, 0) or r[5] != slots or r[6] != 0:
                    bad('global invariant %r (applied_offset %s)' % (r[:7], r[7]))
                continue
            x = rnd.random()
            if x < 0.02:
                s = rnd.randrange(slots)
                rd, wr, p1, p2 = db.execute(q_drift, ('User:s%dm' % s, 'Repo:s%dr' % s)).fetchall()[0]
                unpinned += 1
                if rd != k or wr not in (0, k):
                    drift += 1
            elif x < 0.4:
                s = rnd.randrange(slots)
                rd, wr, p1, p2 = db.execute(q_unit, ('User:s%dm' % s, 'Repo:s%dr' % s)).fetchall()[0]
                checks += 1
                if rd != k or wr not in (0, k) or p1 != 0 or p2 != 0:
                    bad('slot %d: read %s write %s poison %s/%s of %d' % (s, rd, wr, p1, p2, k))
            elif x < 0.8:
                if groups_hi <= 0:
                    continue
                g = rnd.randrange(groups_hi)
                rd, wr, p1, p2 = db.execute(q_unit, ('User:g%dm' % g, 'Repo:g%dr' % g)).fetchall()[0]
                checks += 1
                if rd not in (0, k) or wr not in (0, k) or (rd == 0 and wr != 0) or p1 or p2:
                    bad('group %d: read %s write %s poison %s/%s of %d' % (g, rd, wr, p1, p2, k))
            elif x < 0.9:
                s, j = rnd.randrange(slots), rnd.randrange(k)
                ids = sorted(r[0] for r in db.execute(q_list, ('User:s%dm%d' % (s, j),)).fetchall())
                checks += 1
                if ids != ['s%dr' % s]:
                    bad('list for slot %d member %d: %r' % (s, j, ids[:5]))
            else:
                s, j = rnd.randrange(slots), rnd.randrange(k)
                acts = sorted(r[0] for r in db.execute(
                    q_actions, ('User:s%dm%d' % (s, j), 'Repo:s%dr' % s)).fetchall())
                checks += 1
                if acts not in (['read'], ['read', 'write'], ['audit', 'read', 'write']):
                    bad('actions for slot %d member %d: %r' % (s, j, acts))
        except sqlite3.Error as e:
            errors += 1
            if len(first_errors) < 5:
                first_errors.append('%s at %s' % (e, time.strftime('%H:%M:%S')))
            time.sleep(0.01)
    for c in conns:
        c.close()
    print(json.dumps({'checks': checks, 'errors': errors, 'half': half,
                      'unpinned': unpinned, 'drift': drift,
                      'first_errors': first_errors, 'first_half': first_half}), flush=True)


if __name__ == '__main__':
    main()
