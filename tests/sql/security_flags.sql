-- Functions that write policy or facts are SQLITE_DIRECTONLY: a view or a
-- trigger (say, in a hostile database file) cannot call them. Checks can.
.load ./polarlite
.echo on
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
-- reads are fine in views
CREATE VIEW v_check AS SELECT authorize('User:a', 'read', 'Repo:x') AS ok;
SELECT ok FROM v_check;
SELECT a1 FROM polar_facts;
SELECT policy_version FROM polar_status;
