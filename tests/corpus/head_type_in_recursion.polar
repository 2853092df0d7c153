# Found by the differential test (tests/diff): the default-role rule below
# is for Users only (u: User), but with has_role recursive ("editor" if
# "editor") and every argument of the query open, the compiler's recursive
# CTE drops the head type and lets a Group through it.
actor User {}
actor Group {}

resource Org {
  roles = ["editor"];
  permissions = ["edit"];
  relations = { parent: Org };

  "edit" if "editor";
  "editor" if "editor";
}

has_role(u: User, role: String, x: Org) if
  p matches Org and
  has_relation(x, "parent", p) and
  has_default_role(x, role) and
  has_role(u, "editor", p);
