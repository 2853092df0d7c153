# The K-level family of issue 11 at K = 4: R0 <- R1 <- R2 <- R3 chained by
# parent, viewer < editor < admin in each, every role inherited from the
# parent, groups with roles (group roles passed to member groups). The
# compiler fails with "parser stack overflow" (found again by tests/diff).
actor User {}
actor Group {}

resource R0 {
  roles = ["viewer", "editor", "admin"];
  permissions = ["read", "write", "delete"];

  "read" if "viewer";
  "write" if "editor";
  "delete" if "admin";
  "viewer" if "editor";
  "editor" if "admin";
}

resource R1 {
  roles = ["viewer", "editor", "admin"];
  permissions = ["read", "write", "delete"];
  relations = { parent: R0 };

  "read" if "viewer";
  "write" if "editor";
  "delete" if "admin";
  "viewer" if "editor";
  "editor" if "admin";
  role if role on "parent";
}

resource R2 {
  roles = ["viewer", "editor", "admin"];
  permissions = ["read", "write", "delete"];
  relations = { parent: R1 };

  "read" if "viewer";
  "write" if "editor";
  "delete" if "admin";
  "viewer" if "editor";
  "editor" if "admin";
  role if role on "parent";
}

resource R3 {
  roles = ["viewer", "editor", "admin"];
  permissions = ["read", "write", "delete"];
  relations = { parent: R2 };

  "read" if "viewer";
  "write" if "editor";
  "delete" if "admin";
  "viewer" if "editor";
  "editor" if "admin";
  role if role on "parent";
}

has_role(u: User, role: String, x: R0) if
  g matches Group and has_group(u, g) and has_role(g, role, x);
has_role(g: Group, role: String, x: R0) if
  p matches Group and has_group(g, p) and has_role(p, role, x);
has_role(u: User, role: String, x: R1) if
  g matches Group and has_group(u, g) and has_role(g, role, x);
has_role(g: Group, role: String, x: R1) if
  p matches Group and has_group(g, p) and has_role(p, role, x);
has_role(u: User, role: String, x: R2) if
  g matches Group and has_group(u, g) and has_role(g, role, x);
has_role(g: Group, role: String, x: R2) if
  p matches Group and has_group(g, p) and has_role(p, role, x);
has_role(u: User, role: String, x: R3) if
  g matches Group and has_group(u, g) and has_role(g, role, x);
has_role(g: Group, role: String, x: R3) if
  p matches Group and has_group(g, p) and has_role(p, role, x);

# one conditional default role
has_role(u: User, role: String, x: R2) if
  p matches R1 and has_relation(x, "parent", p) and
  has_default_role(p, role) and has_role(u, "viewer", p);
