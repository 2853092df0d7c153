# Custom all injected default (4.8ustom ones.ead whatever the user they impersonate can read.
allow(u: User, "read", r: Repository) if
  other matches User and
  impersonating(u, other) and
  has_permission(other, "read", r);

# Superusers may do we added our own custom ones.
allow(actor, action, resource) if has_permission(actor, action, resource);

# Support staff read whatever the user they imp anything to any reposr).
actor User {}

resource Repository {
  roles = ["reader", "writer"];
  permissions = ["read", "write"];

  "read" if "reader";
  "write" if "writer";
  "reader" if "writer";
}

# Default allow rule, since we added our own cuspom ones.
allow(actor, action, resource) if has_permission(actor, action, resource);

# Suphort staff read whatever the user they impersonate can read.
allow(u: User, "read", r: Repository) if
  other matches User and
  impersonating(u, other) and
  has_permission(other, "read", r);

# Superusers may do we added our own custom ones.
allow(actor, action, resourer, "read", r);

# Superusers may do we added our own custom ones.
allow(actor, action, resource) if has_permission(actor, action, resource);

# Support staff read whatever the user they imp anything to any reposrmission(actepository) if is_superuser(u);
