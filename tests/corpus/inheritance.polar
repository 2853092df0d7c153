# extends chains and inherited relations; global permissions in shorthand;
# roles implied by permissions; negation of a fact with a constant.
actor User {}
actor Admin extends User {}

global {
  roles = ["operator"];
  permissions = ["purge"];

  "purge" if "operator";
}

resource Folder {
  roles = ["viewer"];
  permissions = ["list"];
  relations = { parent: Folder };

  role if role on "parent";
  "list" if "viewer";
}

resource Item {
  roles = ["viewer", "owner"];
  permissions = ["read", "delete", "restore"];
  relations = { parent: Folder };

  role if role on "parent";
  "read" if "viewer";
  "viewer" if "owner";
  "delete" if "owner";
  "delete" if global "purge";
  "restore" if "delete";
  "owner" if "restore";
}

resource Doc extends Item {
  permissions = ["comment"];
  "comment" if "read";
}

resource Spec extends Doc {}

# Admins also read every listed item that is not archived.
has_permission(a: Admin, "read", i: Item) if not has_status(i, "archived") and is_listed(i);
