# GitClub for the open-source oso library (npm `oso`): the same model as
# ../gitclub.polar. Facts live in the host (bench_peers.js), reached through
# registered classes: the has_role and has_relation rules below say how.

actor User {}
actor Group {}

resource Organization {
  roles = ["admin", "member"];
  permissions = ["read", "add_member"];

  "read" if "member";
  "member" if "admin";
  "add_member" if "admin";
}

resource Repository {
  roles = ["reader", "maintainer"];
  permissions = ["read", "push", "delete"];
  relations = { parent: Organization };

  "reader" if "member" on "parent";
  "maintainer" if "admin" on "parent";
  "reader" if "maintainer";

  "read" if "reader";
  "push" if "maintainer";
}

resource Issue {
  permissions = ["read", "close"];
  relations = { parent: Repository };

  "read" if "read" on "parent";
  "close" if "push" on "parent";
}

resource Folder {
  roles = ["viewer", "editor"];
  permissions = ["read", "write"];
  relations = { parent: Folder };

  # `role if role on "parent"`, spelled per role (the open-source parser
  # has no role variable in shorthand rules)
  "viewer" if "viewer" on "parent";
  "editor" if "editor" on "parent";
  "viewer" if "editor";

  "read" if "viewer";
  "write" if "editor";
}

# The open-source library has no global block: the global admin role is a
# host attribute, checked by a plain rule.
has_permission(user: User, "delete", _repo: Repository) if user.globalAdmin;

# Roles stored in the host, by (holder, resource): a list of role names.
has_role(user: User, name: String, org: Organization) if name in user.rolesOn(org);
has_role(user: User, name: String, repo: Repository) if name in user.rolesOn(repo);
has_role(user: User, name: String, folder: Folder) if name in user.rolesOn(folder);
has_role(group: Group, name: String, org: Organization) if name in group.rolesOn(org);

# A group's role on an organization is its members' role.
has_role(user: User, name: String, org: Organization) if
  group in user.groups() and
  has_role(group, name, org);

# Parent links (the open-source argument order: related, name, resource).
has_relation(org: Organization, "parent", repo: Repository) if org = repo.parent();
has_relation(repo: Repository, "parent", issue: Issue) if repo = issue.parent();
has_relation(parent: Folder, "parent", folder: Folder) if parent = folder.parent();

allow(actor, action, resource) if has_permission(actor, action, resource);
