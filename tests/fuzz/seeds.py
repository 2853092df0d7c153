#!/usr/bin/python3
"""Write the seed corpus of every fuzz target into OUT/<target>/.

  tests/fuzz/seeds.py OUT

Seeds come from the project's own test material, so they follow it:
  policy, compile   every policy: tests/corpus, tests/policies, tests/sidecar,
                    sql/, bench/gitclub.polar
  json              batch bodies and context-fact arrays found in
                    tests/corpus/*.json, plus a few hand-written shapes
  message           the same batches, and every policy as a policy message
  manifest          manifests in the format sidecar/manifest.c writes
  value             values in the SQL and wire spellings (see fuzz_value.c
                    for the byte layout)
  serve_json        request bodies of polarlite serve's endpoints, each after
                    the byte that picks its decoder (fuzz_serve_json.c)
  diff              the random choices of the differential test's generator
                    (tests/diff/gen.c): bytes from a fixed pseudo-random
                    sequence, a few per family (byte 0 picks it)
Run from anywhere; paths are relative to the repository root.
"""
import glob, hashlib, json, os, sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def put(out, target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def policies():
    pats = ["tests/corpus/*.polar", "tests/policies/*.polar", "tests/sidecar/*.polar",
            "sql/*.polar", "bench/gitclub.polar"]
    for p in pats:
        for path in sorted(glob.glob(os.path.join(ROOT, p))):
            with open(path, encoding="utf-8") as f:
                yield os.path.basename(path), f.read()


def corpus_json():
    """Batch bodies (strings that parse as JSON arrays) and context arrays."""
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/corpus/*.json"))):
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
        for chk in case.get("checks", []):
            for p in chk.get("params", []) or []:
                if isinstance(p, str) and p.lstrip().startswith("["):
                    yield p
            if "context" in chk:
                yield json.dumps(chk["context"])
            for k in ("sql", "error"):
                s = chk.get(k)
                if isinstance(s, str) and "polar_batch('" in s:
                    body = s.split("polar_batch('", 1)[1].rsplit("')", 1)[0]
                    yield body.replace("''", "'")


HAND_JSON = [
    '[]',
    '[{"inserts":[]}]',
    '[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":"alice"},'
    '{"type":"String","id":"member"},{"type":"Organization","id":"acme"}]}]}]',
    '[{"deletes":[{"predicate":"has_role","args":[{"type":"User","id":null},'
    '{"type":null,"id":null},{"type":"Organization"}]}]}]',
    '[{"inserts":[{"predicate":"repo_count","args":[{"type":"Organization","id":"acme"},'
    '{"type":"Integer","id":7}]},{"predicate":"is_public","args":[{"type":"Repository",'
    '"id":"x"},{"type":"Boolean","id":true}]}]}]',
    '[{"inserts":[{"predicate":"note","args":[{"type":"String","id":"\\u00e9\\ud83d\\ude00"},'
    '{"type":"Integer","id":"-9223372036854775808"},{"type":"Boolean","id":"false"},'
    '{"type":"User","id":"a\'; DROP TABLE x; --"},{"type":"Repository","id":"r"}]}]}]',
    '[{"predicate":"has_group","args":[{"type":"User","id":"u"},{"type":"Team","id":"t"}]}]',
    '[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":"' + "x" * 385 + '"},'
    '{"type":"String","id":"member"},{"type":"Organization","id":"acme"}]}]}]',
]

MANIFEST = {"format": "polarlite-snapshot-1", "topic": "facts", "partition": 0,
            "offset": 1234, "bytes": 150994944,
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "created_at": "2025-01-02T03:04:05.678Z", "policy_version": 3,
            "facts": 1000000, "object": "snapshots/20250102T030405.678Z-o1234.db",
            "compression": "none", "checked": "integrity_check"}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    pols = list(policies())
    for name, src in pols:
        put(out, "policy", src)
        put(out, "compile", src)
        put(out, "message", json.dumps({"policy": {"src": src, "filename": name}}))
    bodies = list(corpus_json()) + HAND_JSON
    for b in bodies:
        put(out, "json", b)
        put(out, "message", b)
    put(out, "message", '{"policy":{"src":"actor User {}"},"extra":1}')
    put(out, "message", '{"policy":{"src":5}}')
    put(out, "message", '  \n')

    m = dict(MANIFEST)
    put(out, "manifest", json.dumps(m))
    m2 = dict(m, partition=-1, offset=-1, topic="", checked="")
    del m2["compression"]
    put(out, "manifest", json.dumps(m2, separators=(",", ":")))
    put(out, "manifest", json.dumps(dict(m, future_key={"nested": [1, 2, {"a": "b"}]})))
    put(out, "manifest", json.dumps(dict(m, topic="t\u0001\"\\/", created_at="1970-01-01T00:00:00Z")))

    # serve_json: byte 0 picks the decoder (mod 8; 7 + 8*k: older write k)
    fact = {"predicate": "has_role", "args": [{"type": "User", "id": "alice"},
                                               {"type": "String", "id": "admin"},
                                               {"type": "Organization", "id": "acme"}]}
    ctx = [fact]
    check = {"actor_type": "User", "actor_id": "alice", "action": "read",
             "resource_type": "Repository", "resource_id": "anvil", "context_facts": ctx}
    requests = [
        (0, check), (0, dict(check, actor_id=5, context_facts=[])),
        (1, dict(check, page_size=10, page_token="616e76696c")), (1, dict(check, page_size=-1)),
        (2, check), (3, dict(check, resources=[{"type": "Repository", "id": "anvil"}, None])),
        (4, {"fact": {"predicate": "has_role", "args": [{"type": "User", "id": None}, None]},
             "context_facts": []}),
        (5, {"predicate": ["allow", ["v1", "v2", "v3"]], "calls": [["has_relation", ["v3", "v4", "v5"]]],
             "constraints": {"v1": {"type": "User", "ids": ["bob"]}, "v2": {"type": "String", "ids": None},
                             "v3": {"type": "Repo", "ids": ["anvil", "3"]}, "v4": {"type": "String", "ids": ["parent"]},
                             "v5": {"type": "Integer", "ids": [5, "6"]}}, "context_facts": ctx}),
        (6, {"src": "actor User {}", "filename": None}),
        (7, fact), (15, fact), (23, [fact, fact]), (31, [fact]),
        (39, {"delete": [fact], "tell": [fact]}), (39, {"tell": None}),
    ]
    for kind, body in requests:
        put(out, "serve_json", bytes([kind]) + json.dumps(body).encode())
    put(out, "serve_json", bytes([0]) + br'{"actor_type":"U\u0073er","actor_id":"\ud83d\ude00"}')
    put(out, "serve_json", bytes([5]) + b'[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]')

    # value: byte 0 = mode (0 text, 1 integer, 2 null/real/blob, 3 wire)
    #        | 4 pattern | 8 null type | 16 null id; byte 1 = type set
    texts = ["User:alice", "read", "String:User:x", "Integer:5", "Integer:-9223372036854775808",
             "Boolean:true", "Boolean:maybe", "User:_", "String:_", "Nope:x", "User:",
             ":x", "a:b:c", "x" * 384, "User:" + "x" * 385, "é:x", "'; DROP TABLE t; --",
             "Actor:a", "Resource:_", "Repository:anvil"]
    for t in texts:
        for ts in (0, 1, 2, 3, 4, 7):
            for pat in (0, 4):
                put(out, "value", bytes([0 | pat, ts]) + t.encode())
    for i in (0, 1, -1, 2**63 - 1):
        put(out, "value", bytes([1, 0]) + i.to_bytes(8, "little", signed=True))
    put(out, "value", bytes([2 | 4, 0]))
    put(out, "value", bytes([2, 0, 65, 66]))
    put(out, "value", bytes([2, 0]) + b"blob")
    diff_seeds(out)
    for typ, ident in (("User", "alice"), ("Integer", "12"), ("Boolean", "false"),
                       ("String", "User:x"), ("Actor", "a"), ("Nope", "x"), ("", "x")):
        for flags in (0, 4, 4 | 16, 4 | 8 | 16, 8):
            put(out, "value", bytes([3 | flags, 0]) + typ.encode() + b"\0" + ident.encode())


def diff_seeds(out):
    x = 12345
    for fam in range(3):
        for n in (64, 256, 700):
            data = bytearray([fam])
            for _ in range(n):
                x = (x * 1103515245 + 12345) & 0x7fffffff
                data.append((x >> 16) & 0xff)
            put(out, "diff", bytes(data))


if __name__ == "__main__":
    main()
