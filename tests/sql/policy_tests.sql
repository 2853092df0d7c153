-- Policy test blocks: polar_test() runs them; a failing test rejects polar_load.
.load ./polarlite
.echo on
SELECT polar_load('actor User {}
resource Repo {
  roles = ["reader", "writer"];
  permissions = ["read", "write"];
  "read" if "reader";
  "write" if "writer";
  "reader" if "writer";
}
test fixture repos {
  has_role(User{"alice"}, "writer", Repo{"anvil"});
}
test "writers read and write" {
  setup {
    fixture repos;
    has_role(User{"bob"}, "reader", Repo{"anvil"})
  }
  assert allow(User{"alice"}, "write", Repo{"anvil"});
  assert allow(User{"alice"}, action: String, Repo{"anvil"}) iff action in ["read", "write"];
  assert allow(User{"bob"}, "read", Repo{"anvil"});
  assert_not allow(User{"bob"}, "write", Repo{"anvil"});
  assert allow(user: User, "read", Repo{"anvil"}) iff user in [User{"alice"}, User{"bob"}];
}
test "setup facts are not stored" {
  assert_not allow(User{"bob"}, "read", Repo{"anvil"});
}', 'tests.polar');
SELECT test, assertion, passed, message FROM polar_test();
SELECT count(*) FROM polar_facts;
-- tests see only their setup facts, never stored ones
SELECT polar_insert('has_role', 'User:bob', 'writer', 'Repo:anvil');
SELECT test, passed FROM polar_test();
-- a failing iff is rejected with the test's name and line
SELECT polar_load('actor User {}
resource Repo {
  roles = ["reader"];
  permissions = ["read", "write"];
  "read" if "reader";
}
test "too many actions" {
  setup { has_role(User{"alice"}, "reader", Repo{"anvil"}); }
  assert allow(User{"alice"}, action: String, Repo{"anvil"}) iff action in ["read", "write"];
}', 'failing.polar');
SELECT polar_policy() LIKE '%writers read and write%';
