-- Policy errors name file:line:col; each failed load leaves no policy behind.
.load ./polarlite
.echo on
-- missing ';' after a declaration (line 3)
SELECT polar_load('actor User {}
resource Repo {
  permissions = ["read"]
  "read" if "reader";
}', 'missing_semicolon.polar');
-- unterminated string
SELECT polar_load('actor User {}
resource Repo { roles = ["reader]; }', 'unterminated.polar');
-- a raw newline inside a string
SELECT polar_load('actor User {}
has_thing(u: User, "a
b") if u = u;', 'newline_in_string.polar');
-- shorthand head not declared in the block
SELECT polar_load('actor User {}
resource Repo {
  roles = ["reader"];
  "write" if "reader";
}', 'undeclared_head.polar');
-- shorthand body term not declared
SELECT polar_load('actor User {}
resource Repo {
  permissions = ["read"];
  "read" if "reader";
}', 'undeclared_body.polar');
-- "y" on "rel": y must be declared in the related block
SELECT polar_load('actor User {}
resource Org { roles = ["member"]; }
resource Repo {
  permissions = ["read"];
  relations = { parent: Org };
  "read" if "owner" on "parent";
}', 'undeclared_related.polar');
-- a relation to a type with no block
SELECT polar_load('actor User {}
resource Repo {
  relations = { parent: Org };
}', 'unknown_relation_type.polar');
-- an unknown type in a rule parameter
SELECT polar_load('actor User {}
has_permission(u: User, "read", r: Repo) if is_public(r);', 'unknown_specializer.polar');
-- roles declared twice in one block
SELECT polar_load('actor User {}
resource Repo {
  roles = ["a"];
  roles = ["b"];
}', 'duplicate_roles.polar');
-- one name as both a role and a permission
SELECT polar_load('actor User {}
resource Repo {
  roles = ["read"];
  permissions = ["read"];
}', 'duplicate_name.polar');
-- two global blocks
SELECT polar_load('actor User {}
global { roles = ["admin"]; }
global { roles = ["root"]; }', 'two_globals.polar');
-- negating a compound expression
SELECT polar_load('actor User {}
resource Repo { permissions = ["read"]; }
has_permission(u: User, "read", r: Repo) if
  is_member(u, r) and not (is_banned(u) and is_locked(r));', 'not_compound.polar');
-- a negated variable bound by no positive fact (range restriction)
SELECT polar_load('actor User {}
resource Repo { permissions = ["read"]; }
has_permission(u: User, "read", r: Repo) if
  is_public(r) and not owns(u, other);', 'not_unbound.polar');
-- a body variable whose type cannot be inferred (15.4)
SELECT polar_load('actor User {}
resource Repo { permissions = ["read"]; }
has_permission(u: User, "read", r: Repo) if
  is_public(r) and x = y;', 'untyped_variable.polar');
-- arithmetic is not Polar in Oso Cloud (15.3)
SELECT polar_load('actor User {}
resource Repo { permissions = ["read"]; }
has_permission(u: User, "read", r: Repo) if
  n matches Integer and stars(r, n) and n + 1 > 10;', 'arithmetic.polar');
-- OSS-only syntax: attribute lookup
SELECT polar_load('actor User {}
resource Repo { permissions = ["read"]; }
has_permission(u: User, "read", r: Repo) if r.is_public = true;', 'dot_lookup.polar');
-- an integer that does not fit 64 bits
SELECT polar_load('actor User {}
resource Repo { permissions = ["read"]; }
has_permission(u: User, "read", r: Repo) if
  n matches Integer and stars(r, n) and n > 99999999999999999999;', 'int_overflow.polar');
-- unknown declaration in a block
SELECT polar_load('actor User {}
resource Repo { perms = ["read"]; }', 'unknown_declaration.polar');
-- without a filename the error still has line:col
SELECT polar_load('actor User {
');
-- tab and CRLF do not shift columns oddly: the error is on line 3
SELECT polar_load('actor User {}' || char(13, 10) || 'resource Repo {' || char(13, 10) || char(9) || 'roles = ["a"] "x";' || char(13, 10) || '}', 'crlf.polar');
-- nothing was loaded by any of the above
SELECT polar_policy() IS NULL OR polar_policy() = '';
SELECT policy_version FROM polar_status;
