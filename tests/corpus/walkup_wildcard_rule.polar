# Found by the differential test (tests/diff): authorize walks up the
# parent chain of Org:b (Org -> Folder) and then asks only the stored
# has_role facts of each ancestor, missing the rule that makes every actor
# an editor of an unexpired Folder. polar_list answers the same question
# with ["b"]: the compiler disagrees with itself. The default-role rules
# below are what make has_role recursive enough for the walk up.
actor User {}

resource Org {
  roles = ["editor"];
  permissions = ["read"];
  relations = { parent: Folder };

  role if role on "parent";
  "read" if "editor";
}

resource Folder {
  roles = ["editor"];
  relations = { parent: Issue };

  "editor" if expires_at(resource, t) and t > @current_unix_time;
}

resource Issue {
  roles = ["owner"];
  relations = { parent: Org };
}

has_role(u: User, role: String, x: Folder) if
  p matches Issue and has_relation(x, "parent", p) and
  has_default_role(x, role) and has_role(u, "owner", p);

has_role(u: User, role: String, x: Issue) if
  p matches Org and has_relation(x, "parent", p) and
  has_default_role(x, role) and has_role(u, "editor", p);
