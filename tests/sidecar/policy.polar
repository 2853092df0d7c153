# The policy of the sidecar tests: organization roles.
actor User {}

resource Org {
  roles = ["member", "admin"];
  permissions = ["read", "write"];

  "read" if "member";
  "write" if "admin";
  "member" if "admin";
}

test "admins write, members read" {
  setup {
    has_role(User{"ann"}, "admin", Org{"acme"});
    has_role(User{"bob"}, "member", Org{"acme"});
  }
  assert allow(User{"ann"}, "write", Org{"acme"});
  assert allow(User{"bob"}, "read", Org{"acme"});
  assert_not allow(User{"bob"}, "write", Org{"acme"});
}
