# GitClub-style policy (polar-reference.md section 10) with tests.
actor User {}

resource Organization {
  roles = ["admin", "member"];
  permissions = ["read", "add_member"];

  "read" if "member";
  "member" if "admin";
  "add_member" if "admin";
}

resource Repository {
  roles = ["reader", "maintainer"];
  permissions = ["read", "push"];
  relations = { parent: Organization };

  "read" if "reader";
  "push" if "maintainer";
  "reader" if "maintainer";
  "reader" if "member" on "parent";
}

test fixture acme {
  has_role(User{"alice"}, "admin", Organization{"acme"});
  has_relation(Repository{"anvil"}, "parent", Organization{"acme"});
}

test "admins of the parent organization can read its repositories" {
  setup {
    fixture acme;
    has_role(User{"bob"}, "maintainer", Repository{"anvil"})
  }
  assert allow(User{"alice"}, action: String, Repository{"anvil"}) iff action in ["read"];
  assert allow(User{"bob"}, "push", Repository{"anvil"});
  assert_not allow(User{"carol"}, "read", Repository{"anvil"});
}
