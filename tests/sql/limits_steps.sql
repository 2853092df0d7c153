-- The steps limit (ext/sql/budget.c): one call of authorize, or one scan
-- of polar_list / polar_actions / polar_query, runs at most N SQLite
-- virtual-machine steps, then fails with an error naming the limit; the
-- caller's transaction is untouched. The budget is per call, so many cheap
-- checks in one statement pass. The default lets large listings through.
.load ./polarlite
.echo on
SELECT polar_load(readfile('tests/corpus/rebac_folders.polar'), 'folders.polar');
-- a chain of 400 folders, f400 inside f399 ... inside f0; viewers on f0, f50, ...
SELECT count(polar_insert('has_relation', 'Folder:f' || value, 'parent', 'Folder:f' || (value - 1)))
  FROM generate_series(1, 400);
SELECT count(polar_insert('has_role', 'User:u' || value, 'viewer', 'Folder:f' || value))
  FROM generate_series(0, 400, 50);
-- the defaults: everything answers
SELECT authorize('User:u0', 'read', 'Folder:f400');
SELECT count(*) FROM polar_list('User:u0', 'read', 'Folder');
SELECT count(*) FROM polar_actions('User:u0', 'Folder:f400');
SELECT count(*) FROM polar_query('has_permission', NULL, 'read', NULL);
-- 10000 steps: a walk up 400 folders and the listing of every pair no
-- longer fit
SELECT polar_limit('steps', 10000);
SELECT authorize('User:u0', 'read', 'Folder:f400');
SELECT authorize('User:u350', 'read', 'Folder:f400');
SELECT count(*) FROM polar_list('User:u0', 'read', 'Folder');
SELECT count(*) FROM polar_actions('User:u0', 'Folder:f400');
SELECT count(*) FROM polar_query('has_permission', NULL, 'read', NULL);
-- the budget is per call: 1000 cheap checks in one statement pass
SELECT count(*) FROM generate_series(1, 1000) WHERE authorize('User:u350', 'read', 'Folder:f360');
-- a failed check leaves the caller's transaction as it was
CREATE TABLE t(x);
BEGIN;
INSERT INTO t VALUES (1);
SELECT polar_insert('has_role', 'User:new', 'viewer', 'Folder:f1');
SELECT authorize('User:u0', 'read', 'Folder:f400');
INSERT INTO t SELECT authorize('User:u0', 'read', 'Folder:f400');
COMMIT;
SELECT count(*) FROM t;
SELECT authorize('User:new', 'read', 'Folder:f2');
-- 0: no limit
SELECT polar_limit('steps', 0);
SELECT authorize('User:u0', 'read', 'Folder:f400');
SELECT count(*) FROM polar_query('has_permission', NULL, 'read', NULL);
SELECT polar_limit('steps', 1000000000);
-- at the defaults a list of 200000 ids streams complete
SELECT polar_load(readfile('sql/gitclub.polar'), 'gitclub.polar');
SELECT polar_insert('has_role', 'User:alice', 'admin', 'Organization:acme');
SELECT polar_insert('has_relation', 'Repository:anvil', 'parent', 'Organization:acme');
SELECT polar_batch(json_array(json_object('inserts', json_group_array(json_object(
         'predicate', 'has_relation',
         'args', json_array(json_object('type', 'Issue', 'id', CAST(value AS TEXT)),
                            json_object('type', 'String', 'id', 'parent'),
                            json_object('type', 'Repository', 'id', 'anvil')))))))
  FROM generate_series(1, 200000);
SELECT count(*), count(DISTINCT id), min(CAST(id AS INTEGER)), max(CAST(id AS INTEGER))
  FROM polar_list('User:alice', 'read', 'Issue');
-- ... and fails cleanly under a budget too small for it
SELECT polar_limit('steps', 1000000);
SELECT count(*) FROM polar_list('User:alice', 'read', 'Issue');
SELECT authorize('User:alice', 'read', 'Issue:150000');
