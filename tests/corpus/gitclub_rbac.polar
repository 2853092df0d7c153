# GitClub RBAC: organization roles imply repository roles through the
# "parent" relation (polar-reference.md section 10).
actor User {}

resource Organization {
  roles = ["admin", "member"];
  permissions = ["read", "add_member", "create_repository"];

  "read" if "member";
  "create_repository" if "member";
  "add_member" if "admin";
  "member" if "admin";
}

resource Repository {
  roles = ["reader", "maintainer", "admin"];
  permissions = ["read", "push", "delete"];
  relations = { parent: Organization };

  "read" if "reader";
  "push" if "maintainer";
  "delete" if "admin";
  "reader" if "maintainer";
  "maintainer" if "admin";

  "reader" if "member" on "parent";
  "admin" if "admin" on "parent";
}
