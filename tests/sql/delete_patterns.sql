-- polar_delete: exact facts and patterns (NULL = any value, 'Type:_' = any
-- value of that type); returns how many facts it removed.
.load ./polarlite
.echo on
SELECT polar_load('actor User {}
actor Group {}
resource Repo {
  roles = ["reader", "writer"];
  permissions = ["read"];
  "read" if "reader";
  "reader" if "writer";
}
resource Org { roles = ["member"]; permissions = ["view"]; "view" if "member"; }', 'delete.polar');
SELECT polar_batch('[{"inserts":[
 {"predicate":"has_role","args":[{"type":"User","id":"a"},{"type":"String","id":"reader"},{"type":"Repo","id":"x"}]},
 {"predicate":"has_role","args":[{"type":"User","id":"a"},{"type":"String","id":"writer"},{"type":"Repo","id":"y"}]},
 {"predicate":"has_role","args":[{"type":"User","id":"b"},{"type":"String","id":"reader"},{"type":"Repo","id":"x"}]},
 {"predicate":"has_role","args":[{"type":"Group","id":"g"},{"type":"String","id":"reader"},{"type":"Repo","id":"x"}]},
 {"predicate":"has_role","args":[{"type":"User","id":"a"},{"type":"String","id":"member"},{"type":"Org","id":"o"}]}]}]');
SELECT polar_delete('has_role', 'User:a', 'reader', 'Repo:nope');
SELECT polar_delete('has_role', 'User:a', 'reader', 'Repo:x');
SELECT polar_delete('has_role', 'User:a', 'reader', 'Repo:x');
SELECT polar_delete('has_role', 'User:_', NULL, 'Repo:x');
SELECT a1, a2, a3 FROM polar_facts ORDER BY 1, 2, 3;
SELECT polar_delete('has_role', NULL, NULL, 'Repo:_');
SELECT a1, a2, a3 FROM polar_facts ORDER BY 1, 2, 3;
-- deleting a derived fact is not possible: only stored facts go
SELECT polar_delete('has_permission', NULL, NULL, NULL);
-- patterns are type-checked like facts
SELECT polar_delete('has_role', 'Robot:_', NULL, NULL);
SELECT polar_delete('nope', NULL);
SELECT polar_delete('has_role', NULL, NULL);
-- everything
SELECT polar_delete('has_role', NULL, NULL, NULL);
SELECT count(*) FROM polar_facts;
-- DELETE through the polar_facts table
SELECT polar_insert('has_role', 'User:c', 'reader', 'Repo:z');
SELECT polar_insert('has_role', 'User:d', 'reader', 'Repo:z');
DELETE FROM polar_facts WHERE a1 = 'User:c';
SELECT a1 FROM polar_facts;
DELETE FROM polar_facts;
SELECT count(*) FROM polar_facts;
