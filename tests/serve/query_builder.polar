# The query builder fixture of Oso's Go SDK tests (oso-api.md section 5.3):
# organization roles flow to repositories, admins are members.
actor User {}

resource Org {
  roles = ["admin", "member"];
}

resource Repo {
  roles = ["admin", "member"];
  permissions = ["read", "write"];
  relations = { parent: Org };

  role if role on "parent";
  "member" if "admin";
  "read" if "member";
  "write" if "admin";
}
