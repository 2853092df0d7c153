# Attribute-based rules: booleans, integers compared with < > >= !=, and
# roles that expire against @current_unix_time.
actor User {}

resource Organization {
  roles = ["member"];
  permissions = ["create_repository", "vote"];
}

resource Repository {
  roles = ["reader"];
  permissions = ["read", "transfer"];

  "read" if "reader";
  "read" if is_public(resource, true);
}

# A time-limited role holds while its expiry lies in the future.
has_role(actor: Actor, role: String, repo: Repository) if
  expiration matches Integer and
  has_role_with_expiry(actor, role, repo, expiration) and
  expiration > @current_unix_time;

# Entitlement: members may create repositories while under quota.
has_permission(u: User, "create_repository", org: Organization) if
  has_role(u, "member", org) and
  used matches Integer and
  limit matches Integer and
  repo_count(org, used) and
  repo_quota(org, limit) and
  used < limit;

has_permission(u: User, "vote", org: Organization) if
  has_role(u, "member", org) and
  age matches Integer and
  has_age(u, age) and
  age >= 18;

has_permission(u: User, "transfer", r: Repository) if
  has_role(u, "reader", r) and
  status matches String and
  has_status(r, status) and
  status != "frozen";
