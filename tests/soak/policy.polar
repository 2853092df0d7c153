# The soak test's policy (tests/soak/soak.py carries an independent model of
# it, Model.allow, to check answers against). Variant B, published from time
# to time in the log, adds Repo "audit"; variant A is this file.
actor User {}

resource Org {
  roles = ["member", "admin"];
  permissions = ["read", "write"];

  "member" if "admin";
  "read" if "member";
  "write" if "admin";
}

resource Repo {
  roles = ["reader", "maintainer"];
  permissions = ["read", "write", "audit"];
  relations = { parent: Org };

  "reader" if "member" on "parent";
  "maintainer" if "admin" on "parent";
  "reader" if "maintainer";
  "read" if "reader";
  "write" if "maintainer";
}

test "org roles reach repositories" {
  setup {
    has_role(User{"ann"}, "admin", Org{"acme"});
    has_role(User{"bob"}, "member", Org{"acme"});
    has_relation(Repo{"anvil"}, "parent", Org{"acme"});
  }
  assert allow(User{"ann"}, "write", Repo{"anvil"});
  assert allow(User{"bob"}, "read", Repo{"anvil"});
  assert_not allow(User{"bob"}, "write", Repo{"anvil"});
}
