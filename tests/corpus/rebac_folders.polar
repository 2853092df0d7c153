# ReBAC: roles flow down a folder tree with `role if role on "parent"`.
# The data nests folders ten deep under a three-folder cycle.
actor User {}

resource Folder {
  roles = ["viewer", "editor", "owner"];
  permissions = ["read", "write", "share"];
  relations = { parent: Folder };

  role if role on "parent";

  "viewer" if "editor";
  "editor" if "owner";
  "read" if "viewer";
  "write" if "editor";
  "share" if "owner";
}

resource File {
  roles = ["viewer", "editor"];
  permissions = ["read", "write"];
  relations = { folder: Folder };

  role if role on "folder";

  "viewer" if "editor";
  "read" if "viewer";
  "write" if "editor";
}
