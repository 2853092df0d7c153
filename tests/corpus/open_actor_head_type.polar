# Found by tests/diff (concrete, seed 11, policy 1, cut down). A query with
# the actor open: has_permission(actor, "delete", r) needs has_role(actor,
# "owner", r) and the global role. The only rule for has_role on a Repo is
# for Groups (g: Group); the actor the global role binds may be a User or a
# Group, so the compiler filters it by the head's type before applying the
# Group rule (plan.c bind_to). It used to answer User:u3 through
# has_group(u3, g1) and g1's ownership (authorize for User:u3 was right: 0).
actor User {}
actor Group {}

global {
  roles = ["superadmin"];
}

resource Repo {
  roles = ["owner"];
  permissions = ["delete"];
  "delete" if "owner" and global "superadmin";
}

has_role(g: Group, role: String, x: Repo) if
  p matches Group and has_group(g, p) and has_role(p, role, x);

# makes has_group(User, Group) a fact signature
in_group(u: User, g: Group) if has_group(u, g);
