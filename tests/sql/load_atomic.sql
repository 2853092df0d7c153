-- A failed polar_load changes nothing: same policy text, same version, same
-- facts, same answers. A good load bumps the version and keeps the facts.
.load ./polarlite
.echo on
SELECT polar_load('actor User {}
resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  "read" if "reader";
}', 'v1.polar');
SELECT polar_insert('has_role', 'User:alice', 'reader', 'Repo:anvil');
SELECT authorize('User:alice', 'read', 'Repo:anvil');
SELECT policy_version, fact_count FROM polar_status;
-- a file readfile() cannot read: NULL, and a message that says what to do
SELECT polar_load(readfile('tests/sql/no_such_file.polar'), 'no_such_file.polar');
-- syntax error
SELECT polar_load('actor User {} resource Repo { roles = ["reader"] }', 'v2.polar');
-- a policy that parses but fails validation
SELECT polar_load('actor User {} resource Repo { permissions = ["read"]; "read" if "nobody"; }', 'v2.polar');
-- a policy whose test fails is rejected too
SELECT polar_load('actor User {}
resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  "read" if "reader";
}
test "reader reads" {
  setup { has_role(User{"bob"}, "reader", Repo{"x"}); }
  assert allow(User{"bob"}, "read", Repo{"y"});
}', 'v2.polar');
SELECT polar_policy();
SELECT policy_version, fact_count FROM polar_status;
SELECT authorize('User:alice', 'read', 'Repo:anvil');
SELECT predicate, a1, a2, a3 FROM polar_facts;
-- a good second version: new version number, facts kept
SELECT polar_load('actor User {}
resource Repo {
  roles = ["reader", "writer"];
  permissions = ["read", "write"];
  "read" if "reader";
  "write" if "writer";
  "reader" if "writer";
}', 'v2.polar');
SELECT policy_version, fact_count FROM polar_status;
SELECT authorize('User:alice', 'read', 'Repo:anvil');
SELECT polar_insert('has_role', 'User:bob', 'writer', 'Repo:anvil');
SELECT authorize('User:bob', 'read', 'Repo:anvil');
-- a policy that no longer reads the stored facts: what happens to them?
SELECT polar_load('actor User {}', 'v3.polar');
SELECT policy_version, fact_count FROM polar_status;
SELECT polar_policy();
