# `not` over an open value of several types (found by tests/diff): "viewer"
# holds for any actor — a User or a Group — on a public repository, and
# "write" negates a fact about the actor. A wildcard is "any value" of each
# of its types: a fact that excludes a User leaves every Group, still a
# wildcard, while the Users range over the domain of User
# (docs/compiler.md, "Rules that leave a value open").
actor User {}
actor Group {}

resource Repo {
  roles = ["viewer"];
  permissions = ["write"];
  "write" if "viewer" and not is_banned(actor);
  "viewer" if is_public(resource);
}

has_group(u: User, g: Group) if member_of(u, g);
