# Oso's GitCloud sample policy: osohq/gitcloud, policy/authorization.polar,
# as published, with its comments left out and two declarations added
# (marked below): the published file uses the types Group (has_group,
# `group matches Group`) and Role (custom roles, `role matches Role`)
# without declaring them, and polarlite requires every type to be declared
# (polar-reference 4.1). Nothing else is changed; its test block runs at load.
# Expectations: gitcloud.json.

actor User { }

actor Group { }   # added: used by has_group, not declared upstream

resource Role { }   # added: used by custom roles, not declared upstream

resource Organization {
    permissions = [
        "read",
        "read_details",
        "view_members",
        "manage_members",
        "set_default_role",
        "create_repositories",
        "delete"
    ];
    roles = ["admin", "member"];

    "read_details" if "member";
    "view_members" if "member";
    "create_repositories" if "member";

    "member" if "admin";
    "manage_members" if "admin";
    "set_default_role" if "admin";
    "delete" if "admin";
}

resource Repository {
    permissions = [
        "read", "create", "update", "delete",
        "invite", "write",
        "manage_jobs", "manage_issues", "create_issues",
        "view_members", "manage_members"
    ];
    roles = ["reader", "admin", "maintainer", "editor"];
    relations = { organization: Organization };

    "reader" if "member" on "organization";
    "admin" if "admin" on "organization";
    "reader" if "editor";
    "editor" if "maintainer";
    "maintainer" if "admin";

    "read" if "reader";
    "create_issues" if "reader";

    "write" if "editor";
    "manage_jobs" if "editor";
    "manage_issues" if "editor";
    "view_members" if "maintainer";

    "manage_members" if "admin";
    "update" if "admin";
    "delete" if "admin";
    "invite" if "admin" ;
}

resource Issue {
    permissions = ["read", "comment", "close"];
    roles = ["reader", "admin", "creator"];
    relations = { repository: Repository };

    "reader" if "reader" on "repository";
    "admin" if "admin" on "repository";

    "read" if "reader";
    "comment" if "admin";
    "close" if "creator";
    "close" if "admin";
}

has_permission(_: Actor, "read", repo: Repository) if
    is_public(repo);

has_permission(actor: Actor, "delete", repo: Repository) if
    has_role(actor, "member", repo) and
    is_protected(repo, false);

has_permission(actor: Actor, "comment", issue: Issue) if
    has_permission(actor, "read", issue) and
    is_closed(issue, false);

has_permission(_: User, "read", _: Organization);
has_permission(_: User, "create", "Organization");
has_permission(_: User, "read", _: User);
has_permission(user: User, "read_profile", user: User);

has_role(user: User, role: String, resource: Resource) if
    group matches Group and
    has_group(user, group) and
    has_role(group, role, resource);

has_group(user: User, group: Group) if
    g matches Group and
    has_group(user, g) and
    has_group(g, group);

has_permission(actor: Actor, action: String, org: Organization) if
    role matches Role and
    has_role(actor, role, org) and
    grants_permission(role, action);

has_role(actor: Actor, role: String, repo: Repository) if
    org matches Organization and
    has_relation(repo, "organization", org) and
    has_default_role(org, role) and
    has_role(actor, "member", org);

test "organization members can read repos and issues" {
    setup {
        has_role(User{"alice"}, "member", Organization{"acme"});
        has_relation(Repository{"test-repo"}, "organization", Organization{"acme"});
        has_relation(Issue{"Issue 1"}, "repository", Repository{"test-repo"});
    }
    assert allow(User{"alice"}, "read", Repository{"test-repo"});
    assert allow(User{"alice"}, "read", Issue{"Issue 1"});
    assert_not allow(User{"alice"}, "write", Repository{"test-repo"});
}
