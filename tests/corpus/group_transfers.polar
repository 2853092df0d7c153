# Rules that hand a question from a user to the user's groups (transfers).
# has_role below is the usual shape: the compiler asks the user's groups once
# per check and every level of the hierarchy for the user and for each group.
# grant, pair, lead and tag are near misses: each breaks one condition under
# which asking the groups first gives the same answers, so they must be
# answered the long way, and each check below fails if they are not.
actor User {}
actor Group {}

resource Org {
  roles = ["member", "admin"];
  permissions = ["read"];
  "member" if "admin";
  "read" if "member";
}

resource Repo {
  roles = ["member", "admin"];
  permissions = ["read", "write"];
  relations = { parent: Org };
  "member" if "member" on "parent";
  "admin" if "admin" on "parent";
  "member" if "admin";
  "read" if "member";
  "write" if "admin";
}

resource Issue {
  permissions = ["read", "close"];
  relations = { repo: Repo };
  "read" if "read" on "repo";
  "close" if "write" on "repo";
}

has_role(u: User, role: String, r: Resource) if
  g matches Group and has_group(u, g) and has_role(g, role, r);
has_group(u: User, g: Group) if
  h matches Group and has_group(u, h) and has_group(h, g);

allow(actor, action, resource) if has_permission(actor, action, resource);

# the pass-along rule takes users only: a group never gets it
grant(u: User, role: String, r: Resource) if
  g matches Group and has_group(u, g) and grant(g, role, r);
grant(u: User, "viewer", r: Repo) if
  o matches Org and has_relation(r, "parent", o) and grant(u, "viewer", o);
allow(actor, "b_view", r: Repo) if grant(actor, "viewer", r);

# two roles asked of the same actor may come from two different groups
pair(u: User, role: String, r: Resource) if
  g matches Group and has_group(u, g) and pair(g, role, r);
pair(a: Actor, "both", r: Repo) if pair(a, "a", r) and pair(a, "b", r);
allow(actor, "c_both", r: Repo) if pair(actor, "both", r);

# the transfer holds on organizations only
lead(u: User, role: String, o: Org) if
  g matches Group and has_group(u, g) and lead(g, role, o);
lead(a: Actor, "lead", r: Repo) if
  o matches Org and has_relation(r, "parent", o) and lead(a, "lead", o);
allow(actor, "d_lead", r: Repo) if lead(actor, "lead", r);

# the pass-along rule reads the actor once more
tag(u: User, role: String, r: Resource) if
  g matches Group and has_group(u, g) and tag(g, role, r);
tag(a: Actor, "x", r: Repo) if
  o matches Org and has_relation(r, "parent", o) and tag(a, "x", o) and not is_banned(a);
allow(actor, "e_tag", r: Repo) if tag(actor, "x", r);
