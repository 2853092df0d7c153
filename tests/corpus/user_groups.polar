# User groups: a user holds every role its groups hold (the has_group pattern).
actor User {}
actor Group {}

resource Repository {
  roles = ["reader", "writer"];
  permissions = ["read", "write"];

  "read" if "reader";
  "write" if "writer";
  "reader" if "writer";
}

has_role(u: User, role: String, r: Repository) if
  g matches Group and
  has_group(u, g) and
  has_role(g, role, r);
