-- Bad fact writes are errors that name what was wrong, and store nothing.
.load ./polarlite
.echo on
-- before any policy: writes have nothing to check against
SELECT polar_insert('has_role', 'User:alice', 'reader', 'Repo:anvil');
SELECT polar_load('actor User {}
resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  relations = { owner: User };
  "read" if "reader";
  "read" if "owner";
}
has_permission(u: User, "star", r: Repo) if n matches Integer and stars(r, n) and n > 10;', 'facts.polar');
-- unknown predicate
SELECT polar_insert('has_rol', 'User:alice', 'reader', 'Repo:anvil');
-- wrong arity
SELECT polar_insert('has_role', 'User:alice', 'reader');
SELECT polar_insert('has_role', 'User:alice', 'reader', 'Repo:anvil', 'Repo:x');
-- six arguments
SELECT polar_insert('has_role', 'User:a', 'reader', 'Repo:anvil', 'Repo:b', 'Repo:c', 'Repo:d');
-- no arguments at all
SELECT polar_insert('has_role');
-- unknown type
SELECT polar_insert('has_role', 'Robot:r2', 'reader', 'Repo:anvil');
-- types that no rule reads
SELECT polar_insert('has_role', 'Repo:anvil', 'reader', 'Repo:anvil');
SELECT polar_insert('has_relation', 'User:alice', 'owner', 'Repo:anvil');
SELECT polar_insert('stars', 'Repo:anvil', 'many');
SELECT polar_insert('stars', 'Repo:anvil', 1.5);
SELECT polar_insert('stars', 'Repo:anvil', 'Boolean:true');
-- 384 bytes is the limit, 385 is refused (bytes, not characters)
SELECT polar_insert('has_role', 'User:' || printf('%.384c', 'a'), 'reader', 'Repo:anvil');
SELECT polar_insert('has_role', 'User:' || printf('%.385c', 'a'), 'reader', 'Repo:anvil');
SELECT polar_insert('has_role', 'User:' || replace(printf('%.128c', 'x'), 'x', '€'), 'reader', 'Repo:anvil');
SELECT polar_insert('has_role', 'User:' || replace(printf('%.128c', 'x'), 'x', '€') || 'x', 'reader', 'Repo:anvil');
SELECT polar_insert('has_role', 'User:alice', printf('%.385c', 'r'), 'Repo:anvil');
-- empty type or id, NULL, blobs
SELECT polar_insert('has_role', 'User:', 'reader', 'Repo:anvil');
SELECT polar_insert('has_role', ':alice', 'reader', 'Repo:anvil');
SELECT polar_insert('has_role', NULL, 'reader', 'Repo:anvil');
SELECT polar_insert('has_role', 'User:_', 'reader', 'Repo:anvil');
SELECT polar_insert('has_role', x'00ff', 'reader', 'Repo:anvil');
SELECT polar_insert(NULL, 'User:alice', 'reader', 'Repo:anvil');
-- the same through the polar_facts table
INSERT INTO polar_facts(predicate, a1, a2, a3) VALUES ('has_role', 'Robot:r2', 'reader', 'Repo:anvil');
INSERT INTO polar_facts(predicate, a1, a2) VALUES ('has_role', 'User:alice', 'reader');
UPDATE polar_facts SET a1 = 'User:bob';
-- what got stored: the two 384-byte facts only
SELECT predicate, length(a1), a2, a3 FROM polar_facts ORDER BY 2;
-- queries: unknown predicate, unknown arity, unknown type, six arguments
-- (the sixth lands in the hidden context column: a NULL context is none,
-- so this asks has_role/5), seven arguments
SELECT * FROM polar_query('nope', 'User:alice');
SELECT * FROM polar_query('has_role', 'User:alice');
SELECT * FROM polar_query('has_role', 'Robot:r2', NULL, NULL);
SELECT * FROM polar_query('has_role', 'User:a', NULL, NULL, NULL, NULL, NULL);
SELECT * FROM polar_query('has_role', 'User:a', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT * FROM polar_list('User:alice', 'read', 'Robot');
SELECT * FROM polar_actions('User:alice', 'Robot:r2');
SELECT authorize('Robot:r2', 'read', 'Repo:anvil');
SELECT authorize('User:alice', 'read');
SELECT authorize('User:alice', 'read', 'Repo:anvil', 'not json');
