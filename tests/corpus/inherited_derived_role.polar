# Found by the differential test (tests/diff): a role derived on a folder
# by a conditional rule (editor if viewer and the folder is open or a
# draft) is inherited by its child folders (role if role on "parent").
# The compiler lists the folder but not its child, and denies the child.
actor User {}

resource Folder {
  roles = ["viewer", "editor"];
  permissions = ["read"];
  relations = { parent: Folder };

  "editor" if "viewer" and has_status(resource, s) and s in ["open", "draft"];
  role if role on "parent";
  "read" if "editor";
}
