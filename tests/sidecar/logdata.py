#!/usr/bin/python3
"""Log data for the sidecar tests (run with Debian's /usr/bin/python3).

  logdata.py write N FILE      N batch messages, one per line (JSON Lines)
  logdata.py verify DB         check DB against the log: the policy message at
                               offset 0, then the N messages of `write`

Message i (1..N) changes exactly one fact, so a message applied twice, or
applied after a later one, shows up in the totals the sidecar keeps
(applied_facts), and a lost one in the facts themselves:
  odd i:   insert has_role(User:u<k>, "member", Org:o<k%50>)      k = (i-1)//2
  even i:  k%5==0: insert has_role(User:u<k>, "admin", Org:o<k%50>)
           else:   delete the member fact of odd i-1
verify prints what it found and exits 1 on any difference.
"""
import json, sqlite3, sys

def fact(role, k):
    return {"predicate": "has_role",
            "args": [{"type": "User", "id": "u%d" % k}, {"type": "String", "id": role},
                     {"type": "Org", "id": "o%d" % (k % 50)}]}

def message(i):
    k = (i - 1) // 2
    if i % 2 == 1:
        return [{"inserts": [fact("member", k)]}]
    if k % 5 == 0:
        return [{"inserts": [fact("admin", k)]}]
    return [{"deletes": [fact("member", k)]}]

def state(upto):
    s = set()
    for i in range(1, upto + 1):
        for ch in message(i):
            for f in ch.get("inserts", []):
                s.add(tuple(a["id"] if a["type"] == "String" else "%s:%s" % (a["type"], a["id"]) for a in f["args"]))
            for f in ch.get("deletes", []):
                s.discard(tuple(a["id"] if a["type"] == "String" else "%s:%s" % (a["type"], a["id"]) for a in f["args"]))
    return s

def main():
    if len(sys.argv) == 4 and sys.argv[1] == "write":
        n = int(sys.argv[2])
        with open(sys.argv[3], "w") as f:
            for i in range(1, n + 1):
                f.write(json.dumps(message(i), separators=(",", ":")) + "\n")
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "verify":
        db = sqlite3.connect(sys.argv[2])
        db.enable_load_extension(True)
        db.load_extension("./polarlite")
        if not db.execute("SELECT 1 FROM sqlite_schema WHERE name='polar_meta'").fetchone():
            # killed before the sidecar created its tables: nothing applied,
            # nothing to check
            print("log_offset=None (no polarlite tables yet)")
            return 0
        meta = dict(db.execute("SELECT key, value FROM polar_meta"))
        off = meta.get("log_offset")
        bad = []
        if off is None:
            # a kill before the first commit (a slow start) leaves nothing,
            # which is consistent; anything else without a position is not
            if meta.get("applied_messages") or db.execute("SELECT count(*) FROM polar_facts").fetchone()[0]:
                bad.append("no log_offset stored")
            off = -1
        msgs, facts = meta.get("applied_messages", 0), meta.get("applied_facts", 0)
        if msgs != off + 1:
            bad.append("applied_messages=%s but log_offset=%s (expected %s)" % (msgs, off, off + 1))
        if facts != max(off, 0):
            bad.append("applied_facts=%s but %s fact messages are below the position" % (facts, max(off, 0)))
        got = set(db.execute("SELECT a1, a2, a3 FROM polar_facts WHERE predicate='has_role'"))
        want = state(max(off, 0))
        if got != want:
            bad.append("facts differ from the log up to offset %s: %d missing, %d extra"
                       % (off, len(want - got), len(got - want)))
        ic = db.execute("PRAGMA integrity_check").fetchone()[0]
        if ic != "ok":
            bad.append("integrity_check: " + ic)
        print("log_offset=%s applied_messages=%s applied_facts=%s facts=%d integrity=%s"
              % (off, msgs, facts, len(got), ic))
        for b in bad:
            print("MISMATCH: " + b)
        return 1 if bad else 0
    print(__doc__, file=sys.stderr)
    return 2

if __name__ == "__main__":
    sys.exit(main())
