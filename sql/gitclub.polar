# GitClub: the example policy of polarlite's demo (make demo).
#
# Organizations own repositories, repositories own issues. Organization roles
# flow down to repositories, repository permissions to issues; global admins
# may delete any repository; the author of an issue may close it.

actor User {}

global {
  roles = ["admin"];
}

resource Organization {
  roles = ["admin", "member"];
  permissions = ["read", "add_member", "create_repository"];

  "member" if "admin";
  "read" if "member";
  "create_repository" if "member";
  "add_member" if "admin";
}

resource Repository {
  roles = ["reader", "maintainer", "admin"];
  permissions = ["read", "push", "delete"];
  relations = { parent: Organization };

  "reader" if "member" on "parent";
  "admin" if "admin" on "parent";
  "maintainer" if "admin";
  "reader" if "maintainer";

  "read" if "reader";
  "read" if is_public(resource);
  "push" if "maintainer";
  "delete" if "admin";
  "delete" if global "admin";
}

resource Issue {
  permissions = ["read", "comment", "close"];
  relations = { parent: Repository, creator: User };

  "read" if "read" on "parent";
  "comment" if "read";
  "close" if "push" on "parent";
  "close" if "creator";
}
