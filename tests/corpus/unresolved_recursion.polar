# Found by the differential test (tests/diff): listing fails with "internal
# error: unresolved recursion while compiling allow". A role from a
# permission ("member" if "delete") and a permission from roles (delete if
# the role is admin or owner), plus a default role inherited from the
# parent repository.
actor User {}

resource Repo {
  roles = ["member"];
  permissions = ["delete"];
  relations = { parent: Repo };

  "member" if "delete";
}

has_permission(u: User, "delete", x: Repo) if
  has_role(u, role, x) and role in ["admin", "owner"];

has_role(u: User, role: String, x: Repo) if
  p matches Repo and
  has_relation(x, "parent", p) and
  has_default_role(x, role) and
  has_role(u, "member", p);
