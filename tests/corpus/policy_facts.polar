# Facts written in the policy mean the same as stored facts (4.5), but they are
# part of the policy: polar_delete and polar_facts see stored facts only.
actor User {}
resource Plan {}

resource Organization {
  roles = ["member", "admin"];
  permissions = ["read", "create_repository"];

  "read" if "member";
  "member" if "admin";
}

plan_quota(Plan{"free"}, 1);
plan_quota(Plan{"pro"}, 10);

has_role(User{"founder"}, "admin", Organization{"acme"});

has_permission(u: User, "create_repository", org: Organization) if
  has_role(u, "member", org) and
  plan matches Plan and
  subscribed(org, plan) and
  quota matches Integer and
  plan_quota(plan, quota) and
  count matches Integer and
  repo_count(org, count) and
  count < quota;
