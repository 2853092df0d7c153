-- '_' cannot be the id of a typed value: 'User:_' spells the wildcard, so a
-- fact User{"_"} could be neither addressed nor told apart from a wildcard
-- answer. Found by tests/fuzz (fuzz_value: wire {"type":"User","id":"_"}
-- stored, then read back as a wildcard). The String "_" is an ordinary string.
.load ./polarlite
.echo on
SELECT polar_load('actor User {} resource Org { roles = ["member", "_"]; permissions = ["read"]; "read" if "member"; }');
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":"_"},{"type":"String","id":"member"},{"type":"Org","id":"o"}]}]}]');
SELECT polar_insert('has_role', 'User:_', 'member', 'Org:o');
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":"a"},{"type":"String","id":"_"},{"type":"Org","id":"o"}]}]}]');
SELECT * FROM polar_facts;
SELECT authorize('User:a', 'read', 'Org:o', '[{"predicate":"has_role","args":[{"type":"User","id":"a"},{"type":"String","id":"member"},{"type":"Org","id":"_"}]}]');
