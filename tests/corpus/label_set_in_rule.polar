# Found by tests/diff (general seed 101, concrete seed 202, cut down and
# given facts). "editor" if "write" and "editor" if "share" are one rule
# shape with two constants: the compiler asks has_permission once with the
# set {"share", "write"}. has_permission has no shorthand implications of
# its own, and its only rule reads the action in `in`: the set must reach
# that rule one constant at a time. It used to fail with "internal error:
# a set of constants reached `in`".
actor User {}

resource Org {
  roles = ["editor", "viewer"];
  permissions = ["write", "read", "share"];
  relations = { parent: Org };

  "editor" if "write";
  "editor" if "share";
  "viewer" if "read" on "parent";
  "viewer" if "write" on "parent";
}

has_permission(u: User, action: String, x: Org) if
  action in ["read", "comment", "share"] and is_public(x) and is_member(u, x);

allow(actor, action, resource) if has_permission(actor, action, resource);
