# `not` over a value only a wildcard binds (docs/compiler.md, "Rules that
# leave a value open"): a global role grants delete on every Project, and
# allow negates a fact about the resource. While no fact of is_archived
# matches a Project, the answer stays a wildcard; once one does, the
# resource ranges over the domain of Project — every Project stored in a
# fact of any predicate (has_role, is_archived, has_label, the bound
# project_owners rows, the check's context facts) — and each is tested.
actor User {}

global {
  roles = ["superadmin"];
}

resource Org {
  roles = ["member"];
  permissions = ["read"];
  "read" if "member";
}

resource Project {
  roles = ["member"];
  permissions = ["read", "delete"];
  "read" if "member";
  "delete" if global "superadmin";
}

# has_label makes Projects stored in another predicate
has_permission(_: User, "read", p: Project) if has_label(p, "public");
# owned_by: bound to an application table in the checks
has_permission(u: User, "delete", p: Project) if owned_by(p, u);

allow(actor, action, resource) if
  has_permission(actor, action, resource) and
  not is_archived(resource);
