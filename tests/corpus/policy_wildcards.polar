# Facts written in the policy with typed wildcards (4.5): `_: User` stands for
# every User.
actor User {}
actor Service {}

resource Organization {
  roles = ["viewer", "member"];
  permissions = ["read", "create_repository"];

  "read" if "viewer";
  "create_repository" if "member";
}

resource Repository {
  permissions = ["read"];
  relations = { parent: Organization };

  "read" if "viewer" on "parent";
}

# Every user views acme.
has_role(_: User, "viewer", Organization{"acme"});

# Every user may read every organization.
has_permission(_: User, "read", _: Organization);
