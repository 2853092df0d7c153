# Inheritance through extends (polar-reference.md 4.1, decision 15.6).
actor User {}

resource Organization {
  roles = ["member"];
}

resource Item {
  roles = ["viewer"];
  permissions = ["view"];
  relations = { org: Organization };
  "view" if "viewer";
}

resource Document extends Item {
  permissions = ["edit"];
  roles = ["editor"];
  "edit" if "editor";
  "viewer" if "member" on "org";
  "editor" if "view";
}

resource Folder {
  relations = { doc: Document };
  permissions = ["browse"];
  "browse" if "viewer" on "doc";
}
