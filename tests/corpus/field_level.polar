# Field-level authorization: allow_field(user, action, resource, field) is an
# ordinary predicate, queried with polar_query.
actor User {}

resource Field {}

resource Account {
  roles = ["admin"];
  permissions = ["read", "update"];
  relations = { owner: User };

  "read" if "owner";
  "update" if "owner";
  "read" if "admin";
  "update" if "admin";
}

# Public fields: whoever reads the account reads these.
allow_field(u: User, "read", a: Account, field: Field) if
  has_permission(u, "read", a) and
  is_public_field(field);

# Admins read and update every field: the field stays open (a wildcard answer).
allow_field(u: User, action: String, a: Account, _: Field) if
  action in ["read", "update"] and
  has_role(u, "admin", a);

# The owner may update the username and email fields only.
allow_field(u: User, "update", a: Account, field: Field) if
  has_relation(a, "owner", u) and
  (field = Field{"username"} or field = Field{"email"});
