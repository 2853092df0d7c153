#!/usr/bin/python3
"""reader.py — a client reading a polarlite database in a loop while a
restore replaces it, for test_snapshot.py's old-or-new test.

    reader.py DB READY_FILE STOP_FILE RESULT_FILE

Each iteration is ONE statement (so one read transaction) that asks two
authorize checks and counts the facts and reads the log offset. State A
answers (1, 0, ...) and state B (0, 1, ...); the test knows each state's
fact count and offset. The reader uses a busy timeout, as any client of a
database shared with a writer should; any error it still sees is a
failure. It writes READY_FILE after its first answer, stops when STOP_FILE
appears, and writes a JSON summary {"states": {state: count}, "errors": [...]}.
"""
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

QUERY = ("SELECT authorize('User:alice', 'push', 'Repository:anvil'),"
         "       authorize('User:bob', 'push', 'Repository:anvil'),"
         "       (SELECT count(*) FROM polar_facts),"
         "       (SELECT value FROM polar_meta WHERE key = 'log_offset')")


def main():
    path, ready, stop, result = sys.argv[1:5]
    db = harness.connect(path, busy_ms=20000)
    states = {}
    errors = []
    n = 0
    while not os.path.exists(stop) or n == 0:
        try:
            row = db.execute(QUERY).fetchone()
            key = '%d,%d,%d,%s' % tuple(row)
            states[key] = states.get(key, 0) + 1
        except sqlite3.Error as e:
            errors.append(str(e))
            if len(errors) > 100:
                break
        n += 1
        if n == 1:
            open(ready, 'w').close()
    db.close()
    with open(result, 'w') as f:
        json.dump({'states': states, 'errors': errors, 'statements': n}, f)


if __name__ == '__main__':
    main()
