-- A new policy keeps every stored fact; facts it can no longer read are
-- listed by polar_unread (not silently dropped), and come back into use when
-- a policy reads them again.
.echo on
.load ./polarlite
SELECT polar_load('actor User {} resource Repo { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; } has_permission(u: User, "read", r: Repo) if is_public(r) and u = u;', 'one.polar');
SELECT polar_insert('has_role', 'User:a', 'reader', 'Repo:x');
SELECT polar_insert('is_public', 'Repo:y');
SELECT * FROM polar_unread;
-- the new policy has no is_public rule and roles on Team, not Repo
SELECT polar_load('actor User {} resource Team { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; } resource Repo {}', 'two.polar');
SELECT predicate, arity, facts, reason FROM polar_unread ORDER BY predicate;
SELECT count(*) FROM polar_facts;
SELECT polar_insert('has_role', 'User:b', 'reader', 'Team:t');
SELECT predicate, arity, facts FROM polar_unread ORDER BY predicate;
-- the first policy reads them again
SELECT polar_load('actor User {} resource Repo { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; } has_permission(u: User, "read", r: Repo) if is_public(r) and u = u;', 'three.polar');
SELECT predicate, arity, facts FROM polar_unread ORDER BY predicate;
SELECT authorize('User:a', 'read', 'Repo:x'), authorize('User:z', 'read', 'Repo:y');
-- orphaned facts are deleted like any other (polar_delete, a batch delete),
-- also where the policy dropped their predicate and their type: a type the
-- policy no longer knows is accepted in a delete where a stored fact has it
SELECT polar_load('actor User {} resource Team { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; }', 'four.polar');
SELECT predicate, arity, facts FROM polar_unread ORDER BY predicate;
SELECT polar_delete('is_public', 'Repo:y');
SELECT polar_delete('is_public', 'Repo:_');
SELECT polar_delete('has_role', 'User:a', 'reader', 'Rpeo:_');
SELECT polar_batch('[{"deletes": [{"predicate": "has_role", "args": [{"type": "User", "id": "a"}, {"type": "String", "id": "reader"}, {"type": "Repo", "id": null}]}]}]');
SELECT polar_delete('is_publik', 'Repo:y');
SELECT predicate, arity, facts FROM polar_unread ORDER BY predicate;
SELECT predicate, a1, a2, a3 FROM polar_facts;
