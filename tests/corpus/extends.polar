# `extends`: File is a Document. It inherits Document's roles, permissions and
# shorthand rules, adds a permission of its own, and satisfies parameters typed
# Document; yet File{"x"} and Document{"x"} are different values, and type
# filters in list and query match the exact type (4.1, 15.6).
actor User {}

resource Document {
  roles = ["viewer", "editor"];
  permissions = ["read", "edit"];

  "read" if "viewer";
  "edit" if "editor";
  "viewer" if "editor";
}

resource File extends Document {
  permissions = ["download"];

  "download" if "viewer";
}

# Anyone may comment on an open Document, and so on an open File.
has_permission(_: User, "comment", d: Document) if is_open(d);
