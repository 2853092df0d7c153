# Nested groups written as in Oso's docs: has_group is transitive, a rule
# that calls itself twice. The compiler refuses every check that reaches it
# ("rule calls recursive 'has_group' twice; only linear recursion is
# supported"); the group cycle in the facts must not make a check hang.
actor User {}
actor Group {}

resource Repo {
  roles = ["reader"];
  permissions = ["read"];

  "read" if "reader";
}

has_role(u: User, role: String, r: Repo) if
  g matches Group and
  has_group(u, g) and
  has_role(g, role, r);

has_group(a: Actor, g: Group) if
  m matches Group and
  has_group(a, m) and
  has_group(m, g);
