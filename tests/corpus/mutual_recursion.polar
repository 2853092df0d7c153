# A role implied by a permission that the role grants: has_role and
# has_permission call each other. The compiler refuses it ("recursion
# through 'has_permission' inside another recursive rule is not supported").
actor User {}

resource Repo {
  roles = ["editor"];
  permissions = ["comment"];

  "comment" if "editor";
  "editor" if "comment";
  "editor" if "editor";
}
