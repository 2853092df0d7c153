# has_role/2 (global) and has_role/3 (per resource) are different predicates
# that share a name (4.5); the same for has_permission.
actor User {}

global {
  roles = ["admin", "member"];
  permissions = ["billing"];

  "billing" if "admin";
}

resource Team {
  roles = ["member", "lead"];
  permissions = ["read", "manage"];

  "read" if "member";
  "member" if "lead";
  "manage" if "lead";
  "manage" if global "admin";
}
