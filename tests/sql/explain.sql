-- polar_sql shows the SQL compiled for a check. User values are bound
-- parameters: the ids given never appear in it. (Its text is not pinned here:
-- it changes as the compiler improves.)
.load ./polarlite
.echo on
SELECT polar_load('actor User {}
resource Org { roles = ["member"]; }
resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  relations = { parent: Org };
  "read" if "reader";
  "reader" if "member" on "parent";
}', 'explain.polar');
SELECT length(polar_sql('authorize', 'User:alice', 'read', 'Repo:x')) > 20;
SELECT instr(polar_sql('authorize', 'User:alice''; --', 'read', 'Repo:x'), 'alice');
SELECT instr(polar_sql('authorize', 'User:alice', 'read', 'Repo:x'), '?') > 0;
SELECT length(polar_sql('list', 'User:alice', 'read', 'Repo')) > 20;
SELECT instr(polar_sql('list', 'User:alice', 'read', 'Repo'), 'alice');
SELECT length(polar_sql('actions', 'User:alice', 'Repo:x')) > 20;
SELECT length(polar_sql('query', 'has_role', 'User:alice', NULL, NULL)) > 20;
SELECT polar_sql('nonsense');
SELECT polar_sql('authorize', 'Robot:r2', 'read', 'Repo:x');
