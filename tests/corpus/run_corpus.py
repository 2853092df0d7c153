#!/usr/bin/python3
"""Run the polarlite policy corpus through Python's sqlite3 module.

Usage: /usr/bin/python3 tests/corpus/run_corpus.py [-v] [NAME.polar | NAME ...]

Each corpus case is a pair NAME.polar + NAME.json in this directory.  For each
pair the runner opens a fresh :memory: database, loads polarlite.so, calls
polar_load(policy, 'NAME.polar'), inserts the JSON's "facts" with polar_insert
and runs its "checks" in order (a check may change facts; later checks see the
change).  README.md in this directory describes the JSON format.

The extension is taken from $POLARLITE_EXT, else <repo>/polarlite.so.  Use
Debian's /usr/bin/python3: its sqlite3 module can load extensions, a python3
built without SQLITE_ENABLE_LOAD_EXTENSION cannot.

Every authorize, list, actions and query check is asked twice: of the
compiled SQL (authorize, polar_list, ...) and of the independent evaluator
(polar_eval, ext/eval/), and both answers must equal the expectation; a
failure of the evaluator's answer is printed with "[evaluator]".

Prints each failure (file, check index, what was asked, expected, got) and a
last line "N passed, M failed"; exits 1 if anything failed or nothing ran.
Standard library only.
"""

import glob
import json
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# A statement that runs longer than this is interrupted and counted as failed
# (a recursive rule over cyclic data that does not terminate, say).
STATEMENT_SECONDS = float(os.environ.get("POLARLITE_CHECK_TIMEOUT", "30"))
CHECK_KINDS = ("authorize", "list", "actions", "query", "error", "sql")
EVAL_KINDS = ("authorize", "list", "actions", "query")
CHECK_KEYS = set(CHECK_KINDS) | {"expect", "match", "context", "params", "why"}


class CorpusError(Exception):
    """A malformed corpus file: reported as a failure, never skipped."""


def sql_value(v):
    """A JSON value as polarlite spells it in SQL (SPEC "Values in SQL")."""
    if isinstance(v, bool):
        return "Boolean:true" if v else "Boolean:false"
    if v is None or isinstance(v, (int, str)):
        return v
    raise CorpusError("unsupported argument %r (use a string, integer, boolean or null)" % (v,))


def norm(v):
    """A value read back from SQLite, or an expected JSON value, in one spelling."""
    if isinstance(v, bool):
        return "Boolean:true" if v else "Boolean:false"
    if isinstance(v, bytes):
        return "x'" + v.hex() + "'"
    return v


def sort_key(v):
    return (type(v).__name__, str(v))


def connect(ext):
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(ext)
    db.enable_load_extension(False)
    deadline = [0.0]

    def watchdog():
        return 1 if time.monotonic() > deadline[0] else 0

    db.set_progress_handler(watchdog, 10000)
    return db, deadline


def rows(db, deadline, sql, params=()):
    deadline[0] = time.monotonic() + STATEMENT_SECONDS
    return db.execute(sql, params).fetchall()


def describe(check):
    for kind in CHECK_KINDS:
        if kind in check:
            what = check[kind]
            if isinstance(what, list):
                what = " ".join("NULL" if a is None else str(a) for a in what)
            s = "%s %s" % (kind, what)
            if "context" in check:
                s += " with context"
            return s
    return json.dumps(check)


def run_check(db, deadline, check):
    """Returns None when the check passes, else (expected, got)."""
    if not isinstance(check, dict):
        raise CorpusError("a check must be an object")
    unknown = set(check) - CHECK_KEYS
    kinds = [k for k in CHECK_KINDS if k in check]
    if unknown or len(kinds) != 1:
        raise CorpusError("check needs exactly one of %s; unknown keys %s"
                          % ("/".join(CHECK_KINDS), sorted(unknown)))
    kind = kinds[0]
    arg = check[kind]
    if kind != "error" and "expect" not in check:
        raise CorpusError("%s check without \"expect\"" % kind)
    expect = check.get("expect")

    if kind == "error":
        if "match" not in check:
            raise CorpusError("error check without \"match\"")
        try:
            got = rows(db, deadline, arg, [sql_value(p) for p in check.get("params", [])])
        except sqlite3.Error as e:
            if check["match"].lower() in str(e).lower():
                return None
            return ("an error containing %r" % check["match"], "error: %s" % e)
        return ("an error containing %r" % check["match"], "no error, rows %r" % (got,))

    # the context facts of a check, as the optional last argument
    context = [json.dumps(check["context"])] if "context" in check else []
    try:
        if kind == "authorize":
            if len(arg) != 3:
                raise CorpusError("authorize takes [actor, action, resource]")
            params = [sql_value(a) for a in arg] + context
            marks = ",".join("?" * len(params))
            got = rows(db, deadline, "SELECT authorize(%s)" % marks, params)
            got = got[0][0] if len(got) == 1 else got
            want = 1 if expect else 0
            if not isinstance(expect, bool):
                raise CorpusError("authorize expects true or false")
            return None if got == want else (expect, got)

        if kind == "list":
            if len(arg) != 3:
                raise CorpusError("list takes [actor, action, resource_type]")
            params = [sql_value(a) for a in arg] + context
            got = sorted((norm(r[0]) for r in rows(
                db, deadline, "SELECT id FROM polar_list(%s)" % ",".join("?" * len(params)),
                params)), key=sort_key)
            want = sorted((norm(v) for v in expect), key=sort_key)
            return None if got == want else (want, got)

        if kind == "actions":
            if len(arg) != 2:
                raise CorpusError("actions takes [actor, resource]")
            params = [sql_value(a) for a in arg] + context
            got = sorted((norm(r[0]) for r in rows(
                db, deadline, "SELECT action FROM polar_actions(%s)" % ",".join("?" * len(params)),
                params)), key=sort_key)
            want = sorted((norm(v) for v in expect), key=sort_key)
            return None if got == want else (want, got)

        if kind == "query":
            if not 2 <= len(arg) <= 6:
                raise CorpusError("query takes [predicate, a1 .. a5] with 1 to 5 arguments")
            n = len(arg) - 1
            cols = ",".join("a%d" % i for i in range(1, n + 1))
            sql = "SELECT %s FROM polar_query(%s)%s" % (cols, ",".join("?" * len(arg)),
                                                          " WHERE context=?" if context else "")
            got_rows = rows(db, deadline, sql, [sql_value(a) for a in arg] + context)
            got = sorted({tuple(norm(v) for v in r) for r in got_rows}, key=lambda r: [sort_key(v) for v in r])
            want = sorted({tuple(norm(v) for v in r) for r in expect}, key=lambda r: [sort_key(v) for v in r])
            if any(len(r) != n for r in want):
                raise CorpusError("expected query rows must have %d values" % n)
            return None if got == want else ([list(r) for r in want], [list(r) for r in got])

        if kind == "sql":
            got = [[norm(v) for v in r] for r in rows(
                db, deadline, arg, [sql_value(p) for p in check.get("params", [])])]
            want = [[norm(v) for v in r] for r in expect]
            return None if got == want else (want, got)
    except sqlite3.Error as e:
        return (expect, "error: %s" % e)
    raise AssertionError(kind)


def run_eval(db, deadline, check):
    """The check asked of the evaluator (polar_eval): None when it passes,
    else (expected, got). Only for EVAL_KINDS; run_check validated the check."""
    kind = [k for k in EVAL_KINDS if k in check][0]
    arg = check[kind]
    expect = check["expect"]
    params = [kind] + [sql_value(a) for a in arg]
    if "context" in check:
        if kind == "query":
            params = ["query_context", json.dumps(check["context"])] + params[1:]
        else:
            params.append(json.dumps(check["context"]))
    try:
        got = rows(db, deadline, "SELECT polar_eval(%s)" % ",".join("?" * len(params)), params)[0][0]
    except sqlite3.Error as e:
        return (expect, "error: %s" % e)
    if kind == "authorize":
        return None if got == (1 if expect else 0) else (expect, got)
    got = json.loads(got)
    if kind in ("list", "actions"):
        got = sorted((norm(v) for v in got), key=sort_key)
        want = sorted((norm(v) for v in expect), key=sort_key)
        return None if got == want else (want, got)
    got = sorted({tuple(norm(v) for v in r) for r in got}, key=lambda r: [sort_key(v) for v in r])
    want = sorted({tuple(norm(v) for v in r) for r in expect}, key=lambda r: [sort_key(v) for v in r])
    return None if got == want else ([list(r) for r in want], [list(r) for r in got])


def run_file(ext, polar_path, verbose):
    """Returns (passed, failed) for one corpus case, printing its failures."""
    name = os.path.basename(polar_path)
    json_path = polar_path[:-len(".polar")] + ".json"
    label = os.path.basename(json_path)
    try:
        with open(polar_path, encoding="utf-8") as f:
            src = f.read()
        with open(json_path, encoding="utf-8") as f:
            case = json.load(f)
        checks = case.get("checks")
        if not isinstance(checks, list) or not checks:
            raise CorpusError("no \"checks\" list")
        unknown = set(case) - {"facts", "checks", "why", "description"}
        if unknown:
            raise CorpusError("unknown top-level keys %s" % sorted(unknown))
    except (OSError, ValueError, CorpusError) as e:
        print("FAIL %s: cannot read the case: %s" % (label, e))
        return 0, 1

    try:
        db, deadline = connect(ext)
    except sqlite3.Error as e:
        print("FAIL %s: cannot load the extension %s: %s" % (label, ext, e))
        return 0, len(checks)

    try:
        rows(db, deadline, "SELECT polar_load(?, ?)", [src, name])
        for i, fact in enumerate(case.get("facts", [])):
            if not isinstance(fact, list) or not 2 <= len(fact) <= 6:
                raise CorpusError("fact %d must be [predicate, a1 .. a5]" % i)
            try:
                rows(db, deadline, "SELECT polar_insert(%s)" % ",".join("?" * len(fact)),
                     [sql_value(a) for a in fact])
            except sqlite3.Error as e:
                raise CorpusError("fact %d %s: %s" % (i, json.dumps(fact, ensure_ascii=False), e))
    except (sqlite3.Error, CorpusError) as e:
        print("FAIL %s: setup failed, %d checks not run: %s" % (label, len(checks), e))
        db.close()
        return 0, len(checks)

    passed = failed = 0
    for i, check in enumerate(checks):
        results = []
        try:
            results.append(("", run_check(db, deadline, check)))
            if any(k in check for k in EVAL_KINDS):
                results.append((" [evaluator]", run_eval(db, deadline, check)))
        except (CorpusError, TypeError, KeyError) as e:
            results.append(("", ("a well-formed check", "corpus error: %s" % e)))
        for engine, result in results:
            if result is None:
                passed += 1
                continue
            failed += 1
            want, got = result
            print("FAIL %s check %d%s: %s" % (label, i, engine,
                                             describe(check) if isinstance(check, dict) else check))
            if isinstance(check, dict) and "why" in check:
                print("     why:      %s" % check["why"])
            print("     expected: %s" % json.dumps(want, ensure_ascii=False, default=str))
            print("     got:      %s" % json.dumps(got, ensure_ascii=False, default=str))
    db.close()
    if verbose:
        print("%-28s %d passed, %d failed" % (name, passed, failed))
    return passed, failed


def main(argv):
    verbose = "-v" in argv
    names = [a for a in argv if a != "-v"]
    ext = os.environ.get("POLARLITE_EXT", os.path.join(ROOT, "polarlite.so"))
    if names:
        files = [n if n.endswith(".polar") else n + ".polar" for n in names]
        files = [f if os.path.exists(f) else os.path.join(HERE, os.path.basename(f)) for f in files]
    else:
        files = sorted(glob.glob(os.path.join(HERE, "*.polar")))
    if not files:
        print("no corpus files found in %s" % HERE)
        print("0 passed, 1 failed")
        return 1
    if not os.path.exists(ext):
        print("polarlite extension not found at %s (run make, or set POLARLITE_EXT)" % ext)
    passed = failed = 0
    for f in files:
        p, n = run_file(ext, f, verbose)
        passed += p
        failed += n
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
