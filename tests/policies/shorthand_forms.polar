# Every shorthand form of polar-reference.md 4.3, one per line.
actor User {
  relations = { manager: User };
  roles = ["report"];
  "report" if "report" on "manager";
}

global {
  roles = ["superadmin", "staff"];
  permissions = ["create_org"];
  "create_org" if "superadmin";
  "staff" if "superadmin";
  "create_org" if is_trusted(actor) and "staff";
}

resource Organization {
  roles = ["admin", "member"];
  permissions = ["read", "manage"];
  relations = { owner: User };
  "member" if "admin";
  "admin" if "owner";
  "manage" if "read";
}

resource Folder {
  roles = ["viewer", "editor"];
  permissions = ["read", "write"];
  relations = { parent: Folder, org: Organization, creator: User };
  role if role on "parent";
  "viewer" if "member" on "org";
  "read" if "manage" on "org";
  "read" if "owner" on "org";
  "write" if "creator";
  "read" if global "superadmin";
  "write" if global "create_org";
  "viewer" if role on "org";
  "read" if is_public(resource);
  "read" if "admin" on "org" and not is_archived(resource);
  "write" if ("editor" or "report" on "creator") and not is_locked(resource, true);
}
