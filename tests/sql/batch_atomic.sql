-- polar_batch is all or nothing: a bad changeset anywhere, or bad JSON,
-- changes no fact.
.load ./polarlite
.echo on
SELECT polar_load('actor User {}
resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  "read" if "reader";
}', 'batch.polar');
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":"alice"},{"type":"String","id":"reader"},{"type":"Repo","id":"anvil"}]}]}]');
SELECT count(*) FROM polar_facts;
-- second changeset has an unknown predicate
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":"bob"},{"type":"String","id":"reader"},{"type":"Repo","id":"anvil"}]}]},
                     {"deletes":[{"predicate":"has_role","args":[{"type":"User","id":"alice"},{"type":null,"id":null},{"type":"Repo","id":null}]}]},
                     {"inserts":[{"predicate":"nope","args":[{"type":"User","id":"bob"}]}]}]');
-- an unknown type
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"Robot","id":"r2"},{"type":"String","id":"reader"},{"type":"Repo","id":"anvil"}]}]}]');
-- wrong arity
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":"bob"},{"type":"String","id":"reader"}]}]}]');
-- an empty id in an insert
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":""},{"type":"String","id":"reader"},{"type":"Repo","id":"anvil"}]}]}]');
-- a wildcard in an insert
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":null},{"type":"String","id":"reader"},{"type":"Repo","id":"anvil"}]}]}]');
-- an id over 384 bytes
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":"' || printf('%.385c', 'x') || '"},{"type":"String","id":"reader"},{"type":"Repo","id":"anvil"}]}]}]');
-- six arguments
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":"a"},{"type":"User","id":"b"},{"type":"User","id":"c"},{"type":"User","id":"d"},{"type":"User","id":"e"},{"type":"User","id":"f"}]}]}]');
-- malformed JSON, and JSON of the wrong shape
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[');
SELECT polar_batch('{"inserts":[]}');
SELECT polar_batch('[{"inserts":{}}]');
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":"bob"},"reader",{"type":"Repo","id":"anvil"}]}]}]');
SELECT polar_batch(NULL);
-- nothing changed
SELECT predicate, a1, a2, a3 FROM polar_facts;
SELECT authorize('User:bob', 'read', 'Repo:anvil');
-- an empty batch is fine and changes nothing
SELECT polar_batch('[]');
-- a batch inside a transaction that is rolled back leaves nothing
BEGIN;
SELECT polar_batch('[{"inserts":[{"predicate":"has_role","args":[{"type":"User","id":"carol"},{"type":"String","id":"reader"},{"type":"Repo","id":"anvil"}]}]}]');
SELECT authorize('User:carol', 'read', 'Repo:anvil');
ROLLBACK;
SELECT authorize('User:carol', 'read', 'Repo:anvil');
SELECT count(*) FROM polar_facts;
