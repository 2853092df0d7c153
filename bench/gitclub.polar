# GitClub — the benchmark policy (bench/README.md).
# Organizations hold repositories, repositories hold issues, folders nest,
# users belong to groups and a group's role on an organization is its
# members' role.

actor User {}
actor Group {}

global {
  roles = ["admin"];
}

resource Organization {
  roles = ["admin", "member"];
  permissions = ["read", "add_member"];

  "read" if "member";
  "member" if "admin";
  "add_member" if "admin";
}

has_role(user: User, role: String, org: Organization) if
  group matches Group and
  has_group(user, group) and
  has_role(group, role, org);

resource Repository {
  roles = ["reader", "maintainer"];
  permissions = ["read", "push", "delete"];
  relations = { parent: Organization };

  "reader" if "member" on "parent";
  "maintainer" if "admin" on "parent";
  "reader" if "maintainer";

  "read" if "reader";
  "push" if "maintainer";
  "delete" if global "admin";
}

resource Issue {
  permissions = ["read", "close"];
  relations = { parent: Repository };

  "read" if "read" on "parent";
  "close" if "push" on "parent";
}

resource Folder {
  roles = ["viewer", "editor"];
  permissions = ["read", "write"];
  relations = { parent: Folder };

  role if role on "parent";
  "viewer" if "editor";

  "read" if "viewer";
  "write" if "editor";
}
