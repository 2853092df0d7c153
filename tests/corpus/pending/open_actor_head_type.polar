# Found by tests/diff (concrete, seed 11, policy 1, cut down). A query with
# the actor open: has_permission(actor, "delete", r) needs has_role(actor,
# "owner", r) and the global role. The only rule for has_role on a Repo is
# for Groups (g: Group), yet the compiled query applies it to the User u3
# that holds superadmin: u3 -> has_group(u3, g1) -> has_role(g1, "owner",
# Repo:a), so u3 is answered. The head's type Group is not checked on the
# actor the global role bound (authorize for User:u3 is right: 0).
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
