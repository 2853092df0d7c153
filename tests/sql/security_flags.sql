-- The flags of every function polarlite registers, pinned (the reasons are
-- above the registration table in ext/sql/funcs.c): what writes policy or facts,
-- changes the connection or waits is DIRECTONLY (no view, trigger or CHECK
-- constraint can call it); the checks and pure readers are INNOCUOUS
-- (views may call them even with trusted_schema=OFF); nothing is
-- DETERMINISTIC.
.load ./polarlite
.echo on
SELECT name, narg,
       CASE WHEN flags & 0x800 THEN ' deterministic' ELSE '' END ||
       CASE WHEN flags & 0x80000 THEN ' directonly' ELSE '' END ||
       CASE WHEN flags & 0x200000 THEN ' innocuous' ELSE '' END AS flags
  FROM pragma_function_list WHERE name LIKE 'polar%' OR name = 'authorize' ORDER BY 1, 2;
SELECT polar_load('actor User {} resource Repo { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; }', 'sec.polar');
SELECT polar_insert('has_role', 'User:a', 'reader', 'Repo:x');
CREATE TABLE t(x);
CREATE VIEW v_insert AS SELECT polar_insert('has_role', 'User:evil', 'reader', 'Repo:x');
SELECT * FROM v_insert;
CREATE VIEW v_delete AS SELECT polar_delete('has_role', NULL, NULL, NULL);
SELECT * FROM v_delete;
CREATE VIEW v_load AS SELECT polar_load('actor User {}');
SELECT * FROM v_load;
CREATE VIEW v_batch AS SELECT polar_batch('[]');
SELECT * FROM v_batch;
CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT polar_delete('has_role', NULL, NULL, NULL); END;
INSERT INTO t VALUES (1);
CREATE VIEW v_facts AS SELECT * FROM polar_facts;
SELECT count(*) FROM v_facts;
-- a view cannot lift the step budget, pin the clock or make the caller wait
CREATE VIEW v_limit AS SELECT polar_limit('steps', 0);
SELECT * FROM v_limit;
CREATE VIEW v_pin AS SELECT polar_now(0);
SELECT * FROM v_pin;
CREATE VIEW v_wait AS SELECT polar_wait('0:1', 100000);
SELECT * FROM v_wait;
SELECT polar_limit('steps');
-- reads are fine in views
CREATE VIEW v_check AS SELECT authorize('User:a', 'read', 'Repo:x') AS ok;
SELECT ok FROM v_check;
SELECT a1 FROM polar_facts;
SELECT policy_version FROM polar_status;
CREATE VIEW v_sql AS SELECT length(polar_sql('authorize', 'User:a', 'read', 'Repo:x')) > 0 AS compiled;
SELECT * FROM v_sql;
-- with trusted_schema=OFF a view may call only what is innocuous: the
-- checks and the readers of connection state
PRAGMA trusted_schema=OFF;
SELECT ok FROM v_check;
CREATE VIEW v_context AS SELECT authorize('User:b', 'read', 'Repo:x', '[{"predicate":"has_role","args":[{"type":"User","id":"b"},{"type":"String","id":"reader"},{"type":"Repo","id":"x"}]}]') AS ok;
SELECT ok FROM v_context;
CREATE VIEW v_list AS SELECT id FROM polar_list('User:a', 'read', 'Repo');
SELECT * FROM v_list;
CREATE VIEW v_actions AS SELECT action FROM polar_actions('User:a', 'Repo:x');
SELECT * FROM v_actions;
CREATE VIEW v_query AS SELECT a1, a2, a3 FROM polar_query('has_role', NULL, NULL, NULL);
SELECT * FROM v_query;
CREATE VIEW v_explain AS SELECT depth, holds, text FROM polar_explain('User:a', 'read', 'Repo:x');
SELECT * FROM v_explain;
CREATE VIEW v_eval AS SELECT polar_eval('authorize', 'User:a', 'read', 'Repo:x') AS ok;
SELECT * FROM v_eval;
CREATE VIEW v_status AS SELECT policy_version FROM polar_status;
SELECT * FROM v_status;
CREATE VIEW v_state AS SELECT polar_now() > 0 AS now, polar_limit('nesting') AS nesting;
SELECT * FROM v_state;
SELECT * FROM v_sql;
CREATE VIEW v_policy AS SELECT polar_policy();
SELECT count(*) FROM v_policy;
CREATE VIEW v_test AS SELECT * FROM polar_test;
SELECT count(*) FROM v_test;
CREATE VIEW v_unread AS SELECT * FROM polar_unread;
SELECT count(*) FROM v_unread;
SELECT * FROM v_insert;
SELECT * FROM v_limit;
-- nothing changed
SELECT count(*) FROM polar_facts;
SELECT policy_version FROM polar_status;
