-- Policy limits (polar_limit, ext/base/limits.c): a policy over policy_length,
-- rules, in_list or nesting is refused at polar_load with an error naming
-- the limit, file:line:col and how to raise it, and nothing changes; the
-- defaults let large policies through.
.load ./polarlite
.echo on
-- the limits and their defaults
SELECT polar_limit('policy_length'), polar_limit('rules'), polar_limit('in_list'),
       polar_limit('nesting'), polar_limit('compile_memory'), polar_limit('steps');
-- setting returns the old value; negative leaves it; 0 or more than the hard
-- maximum sets the hard maximum (nesting stops at 1000); names ignore case
SELECT polar_limit('nesting', 50), polar_limit('nesting', -1), polar_limit('NESTING');
SELECT polar_limit('nesting', 0), polar_limit('nesting', 5000), polar_limit('nesting', 200);
SELECT polar_limit('rules', 0), polar_limit('rules', 10000);
SELECT polar_limit('no_such_limit');
SELECT polar_limit('rules', '5');
SELECT polar_limit('rules', 2.5);
SELECT polar_limit(NULL);
SELECT polar_load(readfile('sql/gitclub.polar'), 'gitclub.polar');
SELECT polar_insert('has_role', 'User:alice', 'admin', 'Organization:acme');
-- policy_length: the position is where the policy passes the limit
SELECT polar_limit('policy_length', 100);
SELECT polar_load(readfile('sql/gitclub.polar'), 'gitclub.polar');
SELECT polar_limit('policy_length', 1000000);
-- rules: shorthand rules count as the rules they expand to
SELECT polar_limit('rules', 10);
SELECT polar_load(readfile('sql/gitclub.polar'), 'gitclub.polar');
-- ... and each alternative of an `or` as one rule
SELECT polar_limit('rules', 2);
SELECT polar_load('actor User {} resource R {}
allow(u: User, "read", r: R) if a(u, r) or b(u, r) or c(u, r);', 'or.polar');
SELECT polar_limit('rules', 10000);
-- in_list: items of one list literal
SELECT polar_limit('in_list', 3);
SELECT polar_load('actor User {} resource R {}
allow(u: User, action, r: R) if action in ["read", "write", "share", "delete"] and has(u, r);', 'list.polar');
SELECT polar_limit('in_list', 10000);
-- nesting: parentheses, `not` and lists
SELECT polar_limit('nesting', 3);
SELECT polar_load('actor User {} resource R {}
allow(u: User, "read", r: R) if ((((has(u, r)))));', 'deep.polar');
-- every refusal left the policy and the facts as they were
SELECT policy_version FROM polar_status;
SELECT polar_policy() = CAST(readfile('sql/gitclub.polar') AS TEXT);
SELECT authorize('User:alice', 'read', 'Organization:acme'), count(*) FROM polar_facts;
-- at the limit is within it
SELECT polar_load('actor User {} resource R {}
allow(u: User, "read", r: R) if ((has(u, r)));', 'deep.polar');
SELECT polar_limit('nesting', 200);
SELECT polar_limit('rules', 2);
SELECT polar_load('actor User {} resource R {}
allow(u: User, "read", r: R) if a(u, r) or b(u, r);', 'or.polar');
SELECT polar_limit('rules', 10000);
SELECT polar_limit('in_list', 3);
SELECT polar_load('actor User {} resource R {}
allow(u: User, action, r: R) if action in ["read", "write", "share"] and has(u, r);', 'list.polar');
SELECT polar_limit('in_list', 10000);
-- the defaults let large policies through: an `in` list of 10000 items,
-- 200 levels of parentheses, and 10000 rules
SELECT polar_load('actor User {} resource R {}
allow(u: User, action, r: R) if action in [' ||
  (SELECT group_concat('"a' || value || '"', ',') FROM generate_series(1, 10000)) ||
  '] and has(u, r);', 'list10k.polar');
SELECT polar_insert('has', 'User:u', 'R:r');
SELECT authorize('User:u', 'a9999', 'R:r'), authorize('User:u', 'b', 'R:r');
SELECT polar_load('actor User {} resource R {}
allow(u: User, action, r: R) if action in [' ||
  (SELECT group_concat('"a' || value || '"', ',') FROM generate_series(1, 10001)) ||
  '] and has(u, r);', 'list10k.polar');
SELECT polar_load('actor User {} resource R {}
allow(u: User, "read", r: R) if ' || printf('%.*c', 199, '(') || 'has(u, r)' ||
  printf('%.*c', 199, ')') || ';', 'deep200.polar');
SELECT authorize('User:u', 'read', 'R:r');
SELECT polar_load('actor User {} resource R {}' || char(10) ||
  (SELECT group_concat('allow(u: User, "p' || value || '", r: R) if has(u, r);', char(10))
     FROM generate_series(1, 10000)), 'rules10k.polar');
SELECT authorize('User:u', 'p5000', 'R:r');
SELECT polar_load('actor User {} resource R {}' || char(10) ||
  (SELECT group_concat('allow(u: User, "p' || value || '", r: R) if has(u, r);', char(10))
     FROM generate_series(1, 10001)), 'rules10k.polar');
SELECT policy_version FROM polar_status;
