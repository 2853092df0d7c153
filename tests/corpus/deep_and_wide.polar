# Scale edges: a 150-folder chain, a 50-folder cycle, answers reachable along
# several paths (each id listed once), and 5-argument facts.
actor User {}

resource Folder {
  roles = ["viewer", "editor"];
  permissions = ["read", "write"];
  relations = { parent: Folder, mirror: Folder };

  role if role on "parent";
  "viewer" if "viewer" on "mirror";
  "viewer" if "editor";
  "read" if "viewer";
  "write" if "editor";
}

# grant(actor, permission, resource, from, until): a 5-argument fact.
has_permission(u: User, perm: String, f: Folder) if
  from matches Integer and until matches Integer and
  grant(u, perm, f, from, until) and
  from <= @current_unix_time and @current_unix_time < until;
