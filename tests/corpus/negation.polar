# Negation on stored facts with custom allow rules, which replace the default
# allow(actor, action, resource) if has_permission(actor, action, resource).
actor User {}

resource Repository {
  roles = ["reader"];
  permissions = ["read", "comment", "archive"];

  "read" if "reader";
  "comment" if "reader";
  "archive" if "reader";
}

allow(u: User, "read", r: Repository) if
  not is_banned(u) and
  has_permission(u, "read", r);

allow(u: User, "comment", r: Repository) if
  has_permission(u, "comment", r) and
  not is_locked(r);
