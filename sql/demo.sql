-- polarlite demo: authorization checks answered inside SQLite.
-- scripts/demo.sh builds demo.db (the policy in sql/gitclub.polar and a few
-- facts), then runs this file:  sqlite3 demo.db -cmd '.load ./polarlite' < sql/demo.sql
.headers off
.mode list

SELECT '== The facts (polar_facts):';
.mode column
.headers on
SELECT predicate, a1, a2, a3 FROM polar_facts ORDER BY predicate, a1, a3;
.headers off
.mode list

SELECT '';
SELECT '== authorize(actor, action, resource) -> 1 / 0';
SELECT 'alice is an admin of acme. May she push to acme''s anvil?     ' || authorize('User:alice', 'push', 'Repository:anvil');
SELECT 'bob is a member of acme. May he read anvil?                  ' || authorize('User:bob', 'read', 'Repository:anvil');
SELECT 'May bob push to anvil (members are only readers)?            ' || authorize('User:bob', 'push', 'Repository:anvil');
SELECT 'carol maintains hammer (in beta) only. May she read anvil?   ' || authorize('User:carol', 'read', 'Repository:anvil');
SELECT 'gitclub is public. May a stranger read it?                   ' || authorize('User:stranger', 'read', 'Repository:gitclub');
SELECT 'dave opened issue 1 on anvil. May he close it?               ' || authorize('User:dave', 'close', 'Issue:1');
SELECT 'May dave close issue 2, which he did not open?               ' || authorize('User:dave', 'close', 'Issue:2');
SELECT 'root is a global admin. May root delete hammer?              ' || authorize('User:root', 'delete', 'Repository:hammer');

SELECT '';
SELECT '== With context facts (visible to this one check only):';
SELECT 'May erin read anvil if, for this request, she is a member of acme? ' ||
       authorize('User:erin', 'read', 'Repository:anvil',
                 '[{"predicate":"has_role","args":[{"type":"User","id":"erin"},{"type":"String","id":"member"},{"type":"Organization","id":"acme"}]}]');
SELECT 'And without that context?                                          ' || authorize('User:erin', 'read', 'Repository:anvil');

SELECT '';
SELECT '== polar_list(actor, action, type): which repositories may bob read?';
SELECT id FROM polar_list('User:bob', 'read', 'Repository') ORDER BY id;
SELECT '== ... and which may root delete? (''*'' = every one)';
SELECT id FROM polar_list('User:root', 'delete', 'Repository');

SELECT '';
SELECT '== polar_actions(actor, resource): what may alice do to anvil? and carol to hammer?';
SELECT 'alice/anvil: ' || group_concat(action, ', ') FROM (SELECT action FROM polar_actions('User:alice', 'Repository:anvil') ORDER BY 1);
SELECT 'carol/hammer: ' || group_concat(action, ', ') FROM (SELECT action FROM polar_actions('User:carol', 'Repository:hammer') ORDER BY 1);

SELECT '';
SELECT '== polar_query(predicate, args...): every role on a repository, derived ones included';
.mode column
.headers on
SELECT a1 AS actor, a2 AS role, a3 AS resource FROM polar_query('has_role', NULL, NULL, 'Repository:_') ORDER BY 3, 1, 2;
.headers off
.mode list

SELECT '';
SELECT '== Writes: make bob a maintainer of anvil, then ask again';
SELECT 'polar_insert -> ' || polar_insert('has_role', 'User:bob', 'maintainer', 'Repository:anvil');
SELECT 'May bob push to anvil now?  ' || authorize('User:bob', 'push', 'Repository:anvil');
SELECT 'polar_delete -> ' || polar_delete('has_role', 'User:bob', 'maintainer', 'Repository:anvil');
SELECT 'And after the delete?       ' || authorize('User:bob', 'push', 'Repository:anvil');

