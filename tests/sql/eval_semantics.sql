-- The independent evaluator (polar_eval, ext/eval/) on the corners of the
-- language: a rule head that repeats an unbound variable (one wildcard in
-- two places), wildcards joined through a caller, `=` between unbound
-- variables, `in` binding a variable, comparisons of Integers and Strings
-- and of values of different types, `not` over a variable only a wildcard
-- binds, Boolean and Integer facts, cycles, and the eval_memory limit.
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
-- `not hidden(u)` with u bound only by a wildcard: holds for every User
-- while no hidden fact exists ...
SELECT polar_eval('query', 'visible', NULL, NULL);
SELECT polar_eval('authorize', 'User:ann', 'read', 'Doc:d1');
-- ... and cannot be answered once one does ("every User but those" has no form)
SELECT polar_insert('hidden', 'User:bob');
SELECT polar_eval('query', 'visible', NULL, NULL);
SELECT polar_eval('query', 'visible', 'User:ann', NULL), polar_eval('query', 'visible', 'User:bob', NULL);
-- the memory bound
SELECT polar_limit('eval_memory', 2000);
SELECT polar_eval('query', 'has_role', NULL, NULL, NULL);
SELECT polar_limit('eval_memory', 100000000);
SELECT polar_eval('query', 'has_role', NULL, NULL, NULL);
-- a comparison of a variable only a wildcard binds: the compiler ranges it
-- over the domain of its type (the Integers stored in facts: none here, so
-- 0; docs/compiler.md), the evaluator refuses the check; polar_explain
-- shows the goal (holds NULL) and the error
SELECT polar_load('actor User {}
resource Doc { permissions = ["read"]; }
has_permission(u: User, "read", d: Doc) if limit_of(d, n) and n > 3;
limit_of(_: Doc, _: Integer);', 'err.polar');
SELECT polar_eval('authorize', 'User:a', 'read', 'Doc:x');
SELECT authorize('User:a', 'read', 'Doc:x');
SELECT depth, holds, kind, text FROM polar_explain('User:a', 'read', 'Doc:x');
