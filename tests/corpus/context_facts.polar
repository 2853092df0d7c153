# Context facts: facts sent with one authorize call, visible to that call only
# (5, 6.3).
actor User {}

resource Organization {
  roles = ["member"];
  permissions = ["read"];

  "read" if "member";
}

resource Repository {
  roles = ["reader", "maintainer"];
  permissions = ["read", "push"];
  relations = { parent: Organization };

  "read" if "reader";
  "push" if "maintainer";
  "reader" if "maintainer";
  "reader" if "member" on "parent";
  "read" if is_public(resource);
}
