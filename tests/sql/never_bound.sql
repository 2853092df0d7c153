-- A variable that no goal can bind (only compared, never given a value by a
-- fact or `=`) is refused when the policy loads, naming it, instead of every
-- check failing later. Found by tests/fuzz (fuzz_compile: a misspelled
-- `until` as `tunli`). Head variables stay allowed: a goal may bind them.
.load ./polarlite
.echo on
SELECT polar_load('actor User {} resource R { permissions = ["read"]; }
has_permission(u: User, "read", r: R) if
  from matches Integer and until matches Integer and
  grant(u, r, from, until) and from <= @current_unix_time and @current_unix_time < tunli;', 'typo.polar');
SELECT polar_load('actor User {} resource R { permissions = ["read"]; }
has_permission(u: User, "read", r: R) if
  s matches String and y matches String and label(r, s) and s in ["a", y];', 'in.polar');
SELECT polar_load('actor User {} resource R { permissions = ["read"]; }
has_permission(u: User, "read", r: R) if
  n matches Integer and m matches Integer and q matches Integer and level(u, n) and m = q;', 'eq.polar');
-- still fine: bound by a fact, by `=`, by `in`, or a head argument
SELECT polar_load('actor User {} resource R { permissions = ["read"]; }
has_permission(u: User, "read", r: R) if
  n matches Integer and level(u, n) and m = n and m > 2 and k in [1, 2] and k < m;
allowed_level(n: Integer) if n > 3;', 'ok.polar');
SELECT polar_insert('level', 'User:a', 5);
SELECT authorize('User:a', 'read', 'R:x');
