# Custom allow rules next to the default one, written out explicitly because a
# custom allow replaces the injected default (4.8).
actor User {}

resource Repository {
  roles = ["reader", "writer"];
  permissions = ["read", "write"];

  "read" if "reader";
  "write" if "writer";
  "reader" if "writer";
}

# Default allow rule, since we added our own custom ones.
allow(actor, action, resource) if has_permission(actor, action, resource);

# Support staff read whatever the user they impersonate can read.
allow(u: User, "read", r: Repository) if
  other matches User and
  impersonating(u, other) and
  has_permission(other, "read", r);

# Superusers may do anything to any repository.
allow(u: User, _action: String, _: Repository) if is_superuser(u);
