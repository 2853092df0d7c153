-- polar_bind: a fact signature served from the application's own table,
-- joined into the compiled SQL; seen by other connections; refused when it
-- does not fit; a policy a binding no longer fits is refused.
.echo on
.open --new /tmp/polarlite_sqltest_bind.db
.load ./polarlite
CREATE TABLE issues(id INTEGER PRIMARY KEY, repo_id TEXT);
INSERT INTO issues VALUES (1, 'anvil'), (2, 'forge'), (3, NULL), (4, 'it''s; DROP TABLE issues');
SELECT polar_load('actor User {} resource Repository { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; } resource Issue { permissions = ["read"]; relations = { repository: Repository }; "read" if "read" on "repository"; }', 'bind.polar');
SELECT polar_insert('has_role', 'User:alice', 'reader', 'Repository:anvil');
SELECT polar_insert('has_role', 'User:eve', 'reader', 'Repository:it''s; DROP TABLE issues');
SELECT authorize('User:alice', 'read', 'Issue:1');
SELECT polar_bind('has_relation( Issue:_ , String:repository, Repository:_ )', 'SELECT id, repo_id FROM issues');
SELECT signature, select_sql FROM polar_binding;
-- bound rows are facts: checks, lists, queries; NULL columns are no fact
SELECT authorize('User:alice', 'read', 'Issue:1'), authorize('User:alice', 'read', 'Issue:2'), authorize('User:alice', 'read', 'Issue:3');
SELECT authorize('User:eve', 'read', 'Issue:4'), authorize('User:eve', 'read', 'Issue:1');
SELECT id FROM polar_list('User:alice', 'read', 'Issue');
SELECT a1, a2, a3 FROM polar_query('has_relation', NULL, 'repository', NULL) ORDER BY 1;
-- the evaluator (polar_eval, polar_explain) reads the bound rows too
SELECT polar_eval('authorize', 'User:alice', 'read', 'Issue:1'), polar_eval('authorize', 'User:alice', 'read', 'Issue:2'), polar_eval('authorize', 'User:alice', 'read', 'Issue:3');
SELECT polar_eval('authorize', 'User:eve', 'read', 'Issue:4'), polar_eval('list', 'User:alice', 'read', 'Issue');
SELECT depth, holds, kind, text, rule FROM polar_explain('User:alice', 'read', 'Issue:1');
-- the application's table is read live
INSERT INTO issues VALUES (5, 'anvil');
SELECT id FROM polar_list('User:alice', 'read', 'Issue');
-- stored facts of the same predicate still count
SELECT polar_insert('has_relation', 'Issue:9', 'repository', 'Repository:anvil');
SELECT authorize('User:alice', 'read', 'Issue:9');
-- another connection sees the binding at its next statement
.connection 1
.open /tmp/polarlite_sqltest_bind.db
.load ./polarlite
SELECT authorize('User:alice', 'read', 'Issue:5');
.connection 0
-- refused: each error names the problem; nothing changes
SELECT polar_bind('has_relation(Issue:_, String:repository, Repository:_)', 'DELETE FROM issues');
SELECT polar_bind('has_relation(Issue:_, String:repository, Repository:_)', 'SELECT id FROM issues');
SELECT polar_bind('has_relation(Issue:_, String:repository, Repository:_)', 'SELECT id, repo_id FROM issues; DELETE FROM issues');
SELECT polar_bind('has_relation(Issue:_, String:repository, Repository:_)', 'SELECT id, repo_id FROM no_such_table');
SELECT polar_bind('has_relation(Repository:_, String:repository, Repository:_)', 'SELECT id, repo_id FROM issues');
SELECT polar_bind('has_relation(Issue:_, String:repository, Nope:_)', 'SELECT id, repo_id FROM issues');
SELECT polar_bind('nope(Issue:_)', 'SELECT id FROM issues');
SELECT polar_bind('has_relation(Issue:1, String:repository, Repository:anvil)', 'SELECT 1');
SELECT polar_bind('has_relation Issue:_', 'SELECT id FROM issues');
SELECT polar_bind('has_relation(Issue:_, String:repository, Repository:_) x', 'SELECT id, repo_id FROM issues');
SELECT polar_bind(NULL, 'SELECT 1');
SELECT count(*) FROM issues;
SELECT signature FROM polar_binding;
-- a policy the binding no longer fits is refused; the old one stays
SELECT polar_load('actor User {} resource Repository { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; }', 'nobind.polar');
SELECT authorize('User:alice', 'read', 'Issue:1');
-- not callable from a view or trigger (DIRECTONLY)
CREATE VIEW sneaky AS SELECT polar_bind('has_relation(Issue:_, String:repository, Repository:_)', 'SELECT 1, 2');
SELECT * FROM sneaky;
-- removing the binding
SELECT polar_bind('has_relation(Issue:_, String:repository, Repository:_)', NULL);
SELECT authorize('User:alice', 'read', 'Issue:1'), authorize('User:alice', 'read', 'Issue:9');
SELECT polar_bind('has_relation(Issue:_, String:repository, Repository:_)', NULL);
.connection 1
SELECT authorize('User:alice', 'read', 'Issue:5');
