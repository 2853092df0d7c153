# Wildcard answers next to concrete ones (oso-api.md section 5.2): every
# User holds the global role "user", which reads every Org.
actor User {}

global {
  roles = ["user"];
}

resource Org {
  roles = ["admin", "member"];
  permissions = ["read", "delete"];

  "read" if "member";
  "delete" if "admin";
  "read" if global "user";
}

has_role(_: User, "user");
