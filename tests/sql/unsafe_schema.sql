-- Two ways a schema somebody else wrote could run a writer despite
-- SQLITE_DIRECTONLY (found by tests/security/run.py):
--  * a CHECK constraint: SQLite 3.40 evaluates DIRECTONLY functions there,
--    so writers refuse to run while a statement that writes is mid-run;
--  * a binding whose "read-only" SELECT calls a writer: it would run inside
--    every check, so polar_bind (and every reload of polar_binding) refuses it.
.load ./polarlite
.echo on
SELECT polar_load('actor User {} resource Org { roles = ["member"]; permissions = ["read"]; "read" if "member"; }', 'p.polar');
SELECT polar_insert('has_role', 'User:a', 'member', 'Org:o');
CREATE TABLE c(x CHECK ((polar_delete('has_role', NULL, NULL, NULL)) IS NOT NULL));
INSERT INTO c VALUES (1);
CREATE TABLE c2(x CHECK ((polar_now(7)) IS NOT NULL));
INSERT INTO c2 VALUES (1);
SELECT count(*) FROM polar_facts;
CREATE TABLE orgs(id);
INSERT INTO orgs VALUES ('o');
SELECT polar_bind('has_role(User:_, String:member, Org:_)', 'SELECT ''a'', id FROM orgs WHERE polar_delete(''has_role'', NULL, NULL, NULL) >= 0');
SELECT polar_bind('has_role(User:_, String:member, Org:_)', 'SELECT ''a'', id FROM orgs WHERE load_extension(''x'') IS NULL');
SELECT authorize('User:a', 'read', 'Org:o');
SELECT count(*) FROM polar_facts;
-- top level still works
SELECT polar_delete('has_role', NULL, NULL, NULL);
