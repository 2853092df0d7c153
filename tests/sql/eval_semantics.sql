-- The independent evaluator (polar_eval, ext/eval/) on the corners of the
-- language: a rule head that repeats an unbound variable (one wildcard in
-- two places), wildcards joined through a caller, `=` between unbound
-- variables, `in` binding a variable, comparisons of Integers and Strings
-- and of values of different types, `not`, `=`, `in` and comparisons over
-- a variable only a wildcard binds (against the compiler), Boolean and
-- Integer facts, cycles, and the eval_memory limit.
.load ./polarlite
.echo on
SELECT polar_load('actor User {}
resource Doc {
  roles = ["owner"];
  permissions = ["read", "edit"];
  "read" if "owner";
}
has_permission(u: User, "self", u: User);
same(x: User, x: User);
pair(a: User, b: User) if same(a, b) and likes(a) and likes(b);
alias(a: User, b: User) if a = b and likes(a);
has_permission(u: User, "edit", d: Doc) if level(d, n) and n in [1, 2, 3] and n >= 2 and has_role(u, "owner", d);
odd(x) if x in [1, "one", true] and x < 5;
greeting(s) if s in ["hello", "Hi"] and s > "Z";
open_doc(d: Doc) if is_open(d, true);
visible(u: User, d: Doc) if readable(u, d) and not hidden(u);
readable(_: User, d: Doc) if is_open(d, true);
twin(a: User, b: User) if readable(a, _) and readable(b, _) and a = b;
among(a: User, b: User) if readable(a, _) and readable(b, _) and a in [b];
', 'sem.polar');
SELECT polar_insert('likes', 'User:ann');
SELECT polar_insert('likes', 'User:bob');
SELECT polar_insert('has_role', 'User:ann', 'owner', 'Doc:d1');
SELECT polar_insert('has_role', 'User:ann', 'owner', 'Doc:d2');
SELECT polar_insert('level', 'Doc:d1', 2);
SELECT polar_insert('level', 'Doc:d2', 7);
SELECT polar_insert('is_open', 'Doc:d1', 'Boolean:true');
SELECT polar_insert('is_open', 'Doc:d2', 'Boolean:false');
-- one wildcard in two places: a User may act on itself only
SELECT polar_eval('query', 'has_permission', NULL, 'self', NULL), polar_eval('authorize', 'User:ann', 'self', 'User:ann'), polar_eval('authorize', 'User:ann', 'self', 'User:bob');
SELECT polar_eval('query', 'same', NULL, NULL);
-- joined through a caller: pair(a, b) holds for a = b only
SELECT polar_eval('query', 'pair', NULL, NULL);
SELECT polar_eval('query', 'alias', NULL, NULL);
-- `in` then a comparison on Integers; against the compiler
SELECT polar_eval('list', 'User:ann', 'edit', 'Doc'), (SELECT json_group_array(id) FROM polar_list('User:ann', 'edit', 'Doc'));
-- values of different types are not ordered: only 1 < 5; Strings bytewise ("Hi" < "Z" < "hello")
SELECT polar_eval('query', 'odd', NULL);
SELECT polar_eval('query', 'greeting', NULL);
SELECT polar_eval('query', 'open_doc', NULL);
-- `not hidden(u)` with u bound only by a wildcard (docs/compiler.md, "Rules
-- that leave a value open"): holds for every User, u staying open, while no
-- hidden fact exists ...
SELECT polar_eval('query', 'visible', NULL, NULL), (SELECT json_group_array(json_array(a1, a2)) FROM polar_query('visible', NULL, NULL));
SELECT polar_eval('authorize', 'User:ann', 'read', 'Doc:d1');
-- ... and once one does, u ranges over the domain of User: the Users stored
-- in any fact (ann and bob, from likes and has_role), bob hidden
SELECT polar_insert('hidden', 'User:bob');
SELECT polar_eval('query', 'visible', NULL, NULL), (SELECT json_group_array(json_array(a1, a2)) FROM polar_query('visible', NULL, NULL));
SELECT polar_eval('query', 'visible', 'User:ann', NULL), polar_eval('query', 'visible', 'User:bob', NULL);
-- a User stored in no fact is not in the domain; given, it is tested itself
SELECT polar_eval('query', 'visible', NULL, 'Doc:d1'), polar_eval('query', 'visible', 'User:zed', 'Doc:d1'), (SELECT json_group_array(json_array(a1, a2)) FROM polar_query('visible', 'User:zed', 'Doc:d1'));
-- context facts are in the domain too: cy (only in a context fact) is listed
SELECT polar_eval('query_context', '[{"predicate":"likes","args":[{"type":"User","id":"cy"}]}]', 'visible', NULL, NULL);
SELECT json_group_array(json_array(a1, a2)) FROM polar_query('visible', NULL, NULL) WHERE context=json('[{"predicate":"likes","args":[{"type":"User","id":"cy"}]}]');
-- `=` between two open values, and an open item of `in`: the values range
-- over the domain of User (without it, twin would be one wildcard row)
SELECT polar_eval('query', 'twin', NULL, NULL), (SELECT json_group_array(json_array(a1, a2)) FROM polar_query('twin', NULL, NULL));
SELECT polar_eval('query', 'among', NULL, NULL), (SELECT json_group_array(json_array(a1, a2)) FROM polar_query('among', NULL, NULL));
-- the memory bound
SELECT polar_limit('eval_memory', 2000);
SELECT polar_eval('query', 'has_role', NULL, NULL, NULL);
SELECT polar_limit('eval_memory', 100000000);
SELECT polar_eval('query', 'has_role', NULL, NULL, NULL);
-- a comparison of a variable only a wildcard binds: both engines range it
-- over the domain of its type, the Integers stored in facts (docs/compiler.md):
-- none at first, so 0; polar_explain says why
SELECT polar_load('actor User {}
resource Doc { permissions = ["read"]; }
has_permission(u: User, "read", d: Doc) if limit_of(d, n) and n > 3;
limit_of(_: Doc, _: Integer);
sized(d: Doc) if size(d, _);', 'err.polar');
SELECT polar_eval('authorize', 'User:a', 'read', 'Doc:x'), authorize('User:a', 'read', 'Doc:x');
SELECT depth, holds, kind, text FROM polar_explain('User:a', 'read', 'Doc:x');
-- an Integer stored in another predicate's fact joins the domain: 2 is not
-- > 3, 5 is, so any Doc may be read (x is in no fact)
SELECT polar_insert('size', 'Doc:y', 2);
SELECT polar_eval('authorize', 'User:a', 'read', 'Doc:x'), authorize('User:a', 'read', 'Doc:x');
SELECT polar_insert('size', 'Doc:y', 5);
SELECT polar_eval('authorize', 'User:a', 'read', 'Doc:x'), authorize('User:a', 'read', 'Doc:x');
SELECT depth, holds, kind, text FROM polar_explain('User:a', 'read', 'Doc:x');
-- polar_explain of `not` over a value only a wildcard binds: it holds for
-- every User while nothing is blocked; then the value ranges over the
-- domain of User — bob only, blocked; then cy, a member, too
SELECT polar_load('actor User {}
resource Doc { permissions = ["read"]; }
has_permission(u: User, "read", d: Doc) if vouched(u, a) and not blocked(a) and listed(d);
vouched(_: User, _: User);
staff(u: User) if member(u);', 'open.polar');
SELECT polar_insert('listed', 'Doc:d1');
SELECT depth, holds, kind, text FROM polar_explain('User:ann', 'read', 'Doc:d1');
SELECT polar_insert('blocked', 'User:bob');
SELECT polar_eval('authorize', 'User:ann', 'read', 'Doc:d1'), authorize('User:ann', 'read', 'Doc:d1');
SELECT depth, holds, kind, text FROM polar_explain('User:ann', 'read', 'Doc:d1');
SELECT polar_insert('member', 'User:cy');
SELECT polar_eval('authorize', 'User:ann', 'read', 'Doc:d1'), authorize('User:ann', 'read', 'Doc:d1');
SELECT depth, holds, kind, text FROM polar_explain('User:ann', 'read', 'Doc:d1');
