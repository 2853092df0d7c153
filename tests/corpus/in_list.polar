# `in` over a literal list, with Strings and Integers (15.3), both before and
# after the call that binds the variable.
actor User {}

resource Repository {
  roles = ["reader", "triager", "writer", "admin"];
  permissions = ["read", "label", "push", "review"];

  "read" if "reader";
}

has_permission(u: User, "label", r: Repository) if
  role in ["triager", "writer", "admin"] and
  has_role(u, role, r);

has_permission(u: User, "push", r: Repository) if
  has_role(u, role, r) and
  role in ["writer", "admin"];

has_permission(_: User, action: String, r: Repository) if
  action in ["read", "label"] and
  is_public(r);

has_permission(_: User, "review", r: Repository) if
  tier matches Integer and
  has_tier(r, tier) and
  tier in [2, 3];
