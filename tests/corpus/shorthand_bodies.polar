# Shorthand rules with compound bodies (15.5): an `on` term inside `and`,
# `or` between shorthand terms, `global` inside `or`, and expressions naming
# `resource` and `actor`.
actor User {}

global {
  roles = ["superuser"];
}

resource Org {
  roles = ["member", "admin"];
  permissions = ["view"];

  "view" if "member";
}

resource Repo {
  roles = ["reader"];
  permissions = ["read", "admin_read", "see"];
  relations = { parent: Org, owner: User };

  "read" if "member" on "parent" and not is_private(resource);
  "read" if "reader" or "owner";
  "admin_read" if global "superuser" or "admin" on "parent";
  "see" if is_friend(actor, resource);
}
