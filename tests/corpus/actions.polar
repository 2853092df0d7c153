# polar_actions: permissions belong to a resource type; the same string on two
# types names two different permissions.
actor User {}

resource Organization {
  roles = ["member"];
  permissions = ["read", "invite"];

  "read" if "member";
}

resource Repository {
  roles = ["reader", "writer"];
  permissions = ["read", "write", "fork"];
  relations = { parent: Organization };

  "read" if "reader";
  "write" if "writer";
  "reader" if "writer";
  "fork" if "read";
  "read" if is_public(resource);
}
