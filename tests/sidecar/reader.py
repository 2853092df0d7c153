#!/usr/bin/python3
"""A reader for the fault tests: `reader.py DB SECONDS` runs authorize in a
loop on its own connection for SECONDS and prints "reads=N errors=M" (and
the first error). Run from the repo root with Debian's /usr/bin/python3."""
import sqlite3, sys, time

db = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
db.enable_load_extension(True)
db.load_extension("./polarlite")
end = time.time() + float(sys.argv[2])
reads = errors = 0
first = None
while time.time() < end:
    try:
        db.execute("SELECT authorize('User:u0', 'read', 'Org:o0')").fetchone()
        reads += 1
    except sqlite3.Error as e:
        errors += 1
        first = first or str(e)
    time.sleep(0.001)
print("reads=%d errors=%d%s" % (reads, errors, " first=" + first if first else ""))
