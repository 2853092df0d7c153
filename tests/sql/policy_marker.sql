-- The policy version's marker view (ext/store/store.c): a new policy drops
-- the old marker, and a check compiled for it is compiled again; a file
-- without a marker (its policy stored by an older polarlite) falls back to
-- reading the stored version, and so does a check whose marker vanished.
.open --new /tmp/polarlite_sqltest_policy_marker.db
.load ./polarlite
SELECT polar_load('actor User {} resource Repo { roles = ["reader", "writer"]; permissions = ["read"]; "read" if "reader"; }', 'one.polar');
SELECT name FROM sqlite_schema WHERE type='view';
SELECT polar_insert('has_role', 'User:a', 'reader', 'Repo:x');
SELECT polar_insert('has_role', 'User:b', 'writer', 'Repo:x');
.connection 1
.open /tmp/polarlite_sqltest_policy_marker.db
.load ./polarlite
SELECT authorize('User:a', 'read', 'Repo:x'), authorize('User:b', 'read', 'Repo:x');
.connection 0
SELECT polar_load('actor User {} resource Repo { roles = ["reader", "writer"]; permissions = ["read"]; "read" if "writer"; }', 'two.polar');
SELECT name FROM sqlite_schema WHERE type='view';
.connection 1
-- compiled for version 1, whose marker is gone: compiled again for 2
SELECT authorize('User:a', 'read', 'Repo:x'), authorize('User:b', 'read', 'Repo:x');
SELECT id FROM polar_list('User:b', 'read', 'Repo');
.connection 0
-- the marker vanishes, the version stays (a file restored from elsewhere)
DROP VIEW polar_version_2;
.connection 1
SELECT authorize('User:a', 'read', 'Repo:x'), authorize('User:b', 'read', 'Repo:x');
SELECT id FROM polar_list('User:b', 'read', 'Repo');
.connection 0
-- without markers a new policy is still seen (through the stored version)
UPDATE polar_policy SET src=replace(src, '"read" if "writer"', '"read" if "reader"') WHERE version=2;
INSERT INTO polar_policy SELECT 3, src, 'three.polar', loaded_at FROM polar_policy WHERE version=2;
UPDATE polar_meta SET value=3 WHERE key='policy_version';
.connection 1
SELECT authorize('User:a', 'read', 'Repo:x'), authorize('User:b', 'read', 'Repo:x');
.connection 0
.shell rm -f /tmp/polarlite_sqltest_policy_marker.db /tmp/polarlite_sqltest_policy_marker.db-journal
