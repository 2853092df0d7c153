-- A policy or fact change committed by one connection is seen by the next
-- statement of every other connection (SPEC "SQL surface").
.echo on
.open --new /tmp/polarlite_sqltest_two_connections.db
.load ./polarlite
SELECT polar_load('actor User {} resource Repo { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; }', 'one.polar');
SELECT polar_insert('has_role', 'User:a', 'reader', 'Repo:x');
.connection 1
.open /tmp/polarlite_sqltest_two_connections.db
.load ./polarlite
SELECT authorize('User:a', 'read', 'Repo:x');
SELECT authorize('User:b', 'read', 'Repo:x');
.connection 0
SELECT polar_insert('has_role', 'User:b', 'reader', 'Repo:x');
.connection 1
SELECT authorize('User:b', 'read', 'Repo:x');
SELECT id FROM polar_list('User:b', 'read', 'Repo');
.connection 0
-- a new policy: "read" now needs "writer"
SELECT polar_load('actor User {} resource Repo { roles = ["reader", "writer"]; permissions = ["read"]; "read" if "writer"; }', 'two.polar');
.connection 1
SELECT authorize('User:b', 'read', 'Repo:x');
SELECT policy_version FROM polar_status;
SELECT polar_insert('has_role', 'User:b', 'writer', 'Repo:x');
.connection 0
SELECT authorize('User:b', 'read', 'Repo:x');
-- a transaction open on one connection: the other sees the facts of its own snapshot
BEGIN;
SELECT polar_delete('has_role', 'User:b', NULL, NULL);
SELECT authorize('User:b', 'read', 'Repo:x');
.connection 1
SELECT authorize('User:b', 'read', 'Repo:x');
.connection 0
COMMIT;
.connection 1
SELECT authorize('User:b', 'read', 'Repo:x');
.connection 0
.shell rm -f /tmp/polarlite_sqltest_two_connections.db /tmp/polarlite_sqltest_two_connections.db-journal /tmp/polarlite_sqltest_two_connections.db-wal /tmp/polarlite_sqltest_two_connections.db-shm
