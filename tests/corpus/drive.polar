# A Google-Drive-like sharing policy (written for the corpus; expectations
# in drive.json).
#
# Folders nest in folders and files sit in folders. Four roles, each one
# implying the one below (owner > editor > commenter > viewer), flow down the
# tree. Items are shared with users and with groups; groups nest in groups
# (a group in a group holds the roles of the outer group, and so do its
# members, whatever the depth). "Anyone with the link" gives every user a
# role on an item and on all below it. A trashed file can no longer be read,
# commented or written, but its owner can always delete it. A blocked
# account may do nothing at all.

actor User {}
actor Group {}

resource Folder {
  roles = ["viewer", "commenter", "editor", "owner"];
  permissions = ["read", "comment", "write", "share", "delete"];
  relations = { parent: Folder };

  "viewer" if "commenter";
  "commenter" if "editor";
  "editor" if "owner";
  role if role on "parent";

  "read" if "viewer";
  "comment" if "commenter";
  "write" if "editor";
  "share" if "owner";
  "delete" if "owner";
}

resource File {
  roles = ["viewer", "commenter", "editor", "owner"];
  permissions = ["read", "comment", "write", "share", "delete"];
  relations = { folder: Folder, creator: User };

  "viewer" if "commenter";
  "commenter" if "editor";
  "editor" if "owner";
  "owner" if "creator";
  role if role on "folder";

  "share" if "owner";
  "delete" if "owner";
}

# Reading, commenting and writing stop at the trash; sharing and deleting
# (the owner's) do not.
has_permission(actor: Actor, "read", file: File) if
  has_role(actor, "viewer", file) and not is_trashed(file);
has_permission(actor: Actor, "comment", file: File) if
  has_role(actor, "commenter", file) and not is_trashed(file);
has_permission(actor: Actor, "write", file: File) if
  has_role(actor, "editor", file) and not is_trashed(file);

# Groups: an actor holds the roles of every group it belongs to, directly
# or through groups in groups.
has_group(member: Actor, group: Group) if
  outer matches Group and has_group(member, outer) and has_group(outer, group);
has_role(member: Actor, role: String, item: Resource) if
  group matches Group and has_group(member, group) and has_role(group, role, item);

# Anyone with the link.
has_role(_: User, role: String, item: Resource) if link_role(item, role);

# A blocked account may do nothing.
allow(actor: Actor, action: String, item: Resource) if
  has_permission(actor, action, item) and not is_blocked(actor);

test "sharing flows down the tree and through groups" {
  setup {
    has_relation(Folder{"docs"}, "parent", Folder{"home"});
    has_relation(File{"plan"}, "folder", Folder{"docs"});
    has_role(User{"ann"}, "owner", Folder{"home"});
    has_group(User{"ben"}, Group{"team"});
    has_group(Group{"team"}, Group{"all"});
    has_role(Group{"all"}, "commenter", Folder{"docs"});
    has_relation(File{"memo"}, "folder", Folder{"docs"});
    is_trashed(File{"memo"});
  }
  assert allow(User{"ann"}, action: String, File{"plan"}) iff action in ["read", "comment", "write", "share", "delete"];
  assert allow(User{"ben"}, action: String, File{"plan"}) iff action in ["read", "comment"];
  assert allow(User{"ann"}, action: String, File{"memo"}) iff action in ["share", "delete"];
  assert_not allow(User{"ben"}, "read", Folder{"home"});
}
