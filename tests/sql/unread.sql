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
