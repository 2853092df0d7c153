# The example of issue 11, found again by the differential test: a global
# role grants delete on every Project (a wildcard resource), and the custom
# allow rule negates a fact about the resource. With no archived project
# every Project qualifies. The compiler refuses list and query with
# "cannot evaluate `not is_archived(...)`: a variable is unbound".
actor User {}

global {
  roles = ["superadmin"];
}

resource Project {
  roles = ["member"];
  permissions = ["read", "delete"];

  "read" if "member";
  "delete" if global "superadmin";
}

allow(actor, action, resource) if
  has_permission(actor, action, resource) and
  not is_archived(resource);
