# Relations as impliers (`"update" if "creator"`), `"x" if "y" on "rel"` where
# y is a relation of the related block, and permissions implied by permissions.
actor User {}

resource Organization {
  roles = ["member"];
  permissions = ["read"];
  relations = { owner: User };

  "read" if "member";
  "member" if "owner";
}

resource Repository {
  roles = ["maintainer"];
  permissions = ["read", "write", "admin"];
  relations = { org: Organization, owner: User };

  "admin" if "owner";
  "admin" if "owner" on "org";
  "write" if "admin";
  "write" if "maintainer";
  "read" if "write";
  "read" if "member" on "org";
}

resource Issue {
  permissions = ["read", "update", "close", "delete"];
  relations = { repo: Repository, creator: User };

  "update" if "creator";
  "close" if "update";
  "read" if "read" on "repo";
  "update" if "write" on "repo";
  "delete" if "owner" on "repo";
}
