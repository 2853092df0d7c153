-- A body literal that can never hold (a constant that `matches` a type it
-- is not) drops its alternative; the literals after it still go through
-- the type checker and may introduce variables. Found by fuzz_policy: the
-- variables after such a literal were written before the clause's array.
.load ./polarlite
.echo on
SELECT polar_load('actor User {}
resource Doc { permissions = ["read", "name"]; }
has_permission(u: User, "read", d: Doc) if
  2 matches String and title(d, s) and owner(d, u) or is_public(d, true);
has_permission(_: User, "name", d: Doc) if
  "x" matches String and title(d, s) and s < "m";', 'never.polar');
SELECT polar_insert('title', 'Doc:a', 'apple');
-- nothing reads owner/2 once its only alternative is dropped: refused
SELECT polar_insert('owner', 'Doc:a', 'User:ann');
SELECT polar_insert('is_public', 'Doc:b', 'Boolean:true');
-- the dropped alternative never grants, the other one does
SELECT authorize('User:ann', 'read', 'Doc:a');
SELECT authorize('User:ann', 'read', 'Doc:b');
-- a constant that does match keeps its alternative
SELECT authorize('User:ann', 'name', 'Doc:a');
-- an error after the literal that never holds is still reported
SELECT polar_load('actor User {}
resource Doc { permissions = ["read"]; }
has_permission(u: User, "read", d: Doc) if
  2 matches String and d matches NoSuchType;', 'bad.polar');
-- and the policy before it is still the one in force
SELECT authorize('User:ann', 'read', 'Doc:b');
