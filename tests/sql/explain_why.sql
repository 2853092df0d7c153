-- polar_explain: why a check is allowed (the proof found first) or denied
-- (every rule that could have granted it, with what held and the first
-- condition that failed, down to the missing facts), on sql/gitclub.polar
-- with the demo's facts (sql/demo_facts.json, which scripts/demo.sh loads).
-- Then context facts, cycles in the data, `not`, comparisons, policy facts
-- with wildcards, the limits that stop a tree, bad calls; and polar_eval,
-- the same evaluator's answers.
.load ./polarlite
.echo on
SELECT polar_load(readfile('sql/gitclub.polar'), 'gitclub.polar');
SELECT polar_batch(readfile('sql/demo_facts.json'));
-- allowed: alice's admin role on acme, carried to push on anvil by three
-- rules of gitclub.polar (each row names its rule and where it is)
SELECT depth, holds, text, at FROM polar_explain('User:alice', 'push', 'Repository:anvil');
SELECT depth, kind, rule FROM polar_explain('User:alice', 'push', 'Repository:anvil');
-- denied: bob is a member of acme, not an admin; every rule that could
-- have granted push, what held, and what failed
SELECT depth, holds, kind, text, at FROM polar_explain('User:bob', 'push', 'Repository:anvil');
-- the answer agrees with authorize
SELECT authorize('User:bob', 'push', 'Repository:anvil'),
       (SELECT holds FROM polar_explain('User:bob', 'push', 'Repository:anvil') WHERE depth = 0);
-- a global role, a relation as a role, a public repository
SELECT depth, holds, kind, text, at FROM polar_explain('User:root', 'delete', 'Repository:hammer');
SELECT depth, holds, kind, text, at FROM polar_explain('User:dave', 'close', 'Issue:1');
SELECT depth, holds, kind, text, at FROM polar_explain('User:stranger', 'read', 'Repository:gitclub');
-- context facts: visible to this call only, shown as such
SELECT depth, holds, kind, text FROM polar_explain('User:erin', 'read', 'Repository:anvil',
  '[{"predicate":"has_role","args":[{"type":"User","id":"erin"},{"type":"String","id":"member"},{"type":"Organization","id":"acme"}]}]');
SELECT count(*) FROM polar_explain('User:erin', 'read', 'Repository:anvil') WHERE depth = 0 AND holds = 1;

-- cycles in the data end; a goal explained once is not explained again
SELECT polar_load('actor User {}
resource Folder {
  roles = ["viewer"];
  permissions = ["read"];
  relations = { parent: Folder };
  "read" if "viewer";
  role if role on "parent";
  "read" if is_public(resource) and not is_hidden(resource);
}
has_role(_: User, "viewer", Folder{"lobby"});
has_permission(u: User, "read", f: Folder) if
  expires_at(f, t) and t > @current_unix_time and has_role(u, "guest", f);', 'folders.polar');
SELECT polar_now(1700000000);
SELECT polar_insert('has_relation', 'Folder:a', 'parent', 'Folder:b');
SELECT polar_insert('has_relation', 'Folder:b', 'parent', 'Folder:a');
SELECT polar_insert('has_relation', 'Folder:c', 'parent', 'Folder:lobby');
SELECT polar_insert('is_public', 'Folder:p');
SELECT polar_insert('is_hidden', 'Folder:p');
SELECT polar_insert('expires_at', 'Folder:t', 1700000100);
SELECT polar_insert('has_role', 'User:ann', 'guest', 'Folder:t');
SELECT depth, holds, kind, text, at FROM polar_explain('User:ann', 'read', 'Folder:a');
-- a policy fact with a wildcard proves it (and says where it is)
SELECT depth, holds, kind, text, at FROM polar_explain('User:ann', 'read', 'Folder:c');
-- `not` fails on a fact; a comparison with @current_unix_time holds
SELECT depth, holds, kind, text, at FROM polar_explain('User:ann', 'read', 'Folder:p');
SELECT depth, holds, kind, text, at FROM polar_explain('User:ann', 'read', 'Folder:t');
SELECT polar_now(1700000200);
SELECT depth, holds, kind, text, at FROM polar_explain('User:ann', 'read', 'Folder:t') WHERE kind IN ('condition', 'goal');

-- limits: the tree stops with a last row naming the limit, never hangs
SELECT polar_limit('explain_rows', 4);
SELECT depth, holds, kind, text FROM polar_explain('User:ann', 'read', 'Folder:a');
SELECT polar_limit('explain_rows', 1000);
SELECT polar_limit('explain_depth', 2);
SELECT depth, holds, kind, text FROM polar_explain('User:ann', 'read', 'Folder:a');
SELECT polar_limit('explain_depth', 40);
SELECT polar_limit('steps', 20);
SELECT depth, holds, kind, text FROM polar_explain('User:ann', 'read', 'Folder:a');
SELECT polar_limit('steps', 1000000000);
SELECT polar_limit('eval_depth', 1);
SELECT depth, holds, kind, text FROM polar_explain('User:ann', 'read', 'Folder:a');
SELECT polar_limit('eval_depth', 1000);

-- bad calls
SELECT * FROM polar_explain('User:ann', 'read');
SELECT * FROM polar_explain('User:ann', 'read', 'Nope:x');
SELECT * FROM polar_explain(NULL, 'read', 'Folder:a');
SELECT * FROM polar_explain('User:ann', 'read', 'Folder:a', '[{"predicate":"nope","args":[]}]');

-- polar_eval: the evaluator's answers, as JSON (for tests)
SELECT polar_eval('authorize', 'User:ann', 'read', 'Folder:c');
SELECT polar_eval('list', 'User:ann', 'read', 'Folder');
SELECT polar_eval('actions', 'User:ann', 'Folder:lobby');
SELECT polar_eval('query', 'has_role', NULL, 'viewer', 'Folder:_');
SELECT polar_eval('nonsense');
SELECT polar_eval('query', 'no_such', NULL);
