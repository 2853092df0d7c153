-- A connection opened before any policy exists sees a policy loaded later
-- by another connection at its next statement.
.echo on
.open --new /tmp/polarlite_sqltest_policy_later.db
.load ./polarlite
SELECT authorize('User:a', 'read', 'Repo:x');
.connection 1
.open /tmp/polarlite_sqltest_policy_later.db
.load ./polarlite
SELECT polar_load('actor User {} resource Repo { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; }', 'later.polar');
SELECT polar_insert('has_role', 'User:a', 'reader', 'Repo:x');
.connection 0
SELECT authorize('User:a', 'read', 'Repo:x');
