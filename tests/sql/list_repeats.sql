-- polar_list returns each id once, however many rules reach it: its
-- statement joins the alternatives with UNION ALL and the cursor drops
-- repeats (vtab_query.c). Repositories reached through a direct role, an
-- organization role and a group's organization role, Integer ids reached
-- twice, and the same list nested in itself (a cursor must not reset the
-- running statement of another: each runs its own copy).
.load ./polarlite
.echo on
SELECT polar_load('actor User {}
actor Group {}
resource Organization { roles = ["member", "admin"]; "member" if "admin"; }
resource Repository {
  roles = ["reader", "maintainer"];
  permissions = ["read"];
  relations = { parent: Organization };
  "reader" if "member" on "parent";
  "reader" if "maintainer";
  "read" if "reader";
}
has_role(u: User, r: String, o: Organization) if
  g matches Group and has_group(u, g) and has_role(g, r, o);
has_permission(u: User, "count", n: Integer) if lucky(u, n);
has_permission(u: User, "count", n: Integer) if lucky(u, n) and n > 1;', 'repeats.polar');
SELECT polar_insert('has_relation', 'Repository:anvil', 'parent', 'Organization:acme');
SELECT polar_insert('has_relation', 'Repository:forge', 'parent', 'Organization:acme');
SELECT polar_insert('has_relation', 'Repository:kiln', 'parent', 'Organization:zeta');
SELECT polar_insert('has_role', 'User:ann', 'admin', 'Organization:acme');
SELECT polar_insert('has_role', 'User:ann', 'member', 'Organization:acme');
SELECT polar_insert('has_role', 'User:ann', 'maintainer', 'Repository:anvil');
SELECT polar_insert('has_role', 'User:ann', 'reader', 'Repository:anvil');
SELECT polar_insert('has_group', 'User:ann', 'Group:eng');
SELECT polar_insert('has_role', 'Group:eng', 'member', 'Organization:acme');
SELECT polar_insert('has_role', 'Group:eng', 'member', 'Organization:zeta');
SELECT polar_insert('lucky', 'User:ann', 7);
SELECT polar_insert('lucky', 'User:ann', 1);
SELECT id FROM polar_list('User:ann', 'read', 'Repository') ORDER BY id;
SELECT count(*), count(DISTINCT id) FROM polar_list('User:ann', 'read', 'Repository');
SELECT id, typeof(id) FROM polar_list('User:ann', 'count', 'Integer') ORDER BY id;
SELECT r.id, (SELECT count(*) FROM polar_list('User:ann', 'read', 'Repository') AS x WHERE x.id<>r.id)
  FROM polar_list('User:ann', 'read', 'Repository') AS r ORDER BY r.id;
SELECT r.id, x.id FROM polar_list('User:ann', 'read', 'Repository') AS r,
  polar_list('User:ann', 'read', 'Repository') AS x ORDER BY 1, 2;
-- a list whose in-memory set of returned ids would pass the list_memory
-- limit goes on with the UNION form and still returns each id once: 3000
-- repositories of one organization, each reached as member (group) and as
-- admin (directly); 40000 bytes hold 512 ids
SELECT polar_limit('list_memory');
SELECT count(polar_insert('has_relation', 'Repository:r' || value, 'parent', 'Organization:big'))
  FROM generate_series(1, 3000);
SELECT polar_insert('has_role', 'User:ann', 'admin', 'Organization:big');
SELECT polar_insert('has_role', 'Group:eng', 'member', 'Organization:big');
SELECT polar_limit('list_memory', 40000);
SELECT count(*), count(DISTINCT id) FROM polar_list('User:ann', 'read', 'Repository');
SELECT count(*) FROM polar_list('User:ann', 'read', 'Repository') WHERE id IN ('anvil', 'r1', 'r512', 'r513', 'r3000');
-- the smallest bound: the UNION form from the first row
SELECT polar_limit('list_memory', 1);
SELECT count(*), count(DISTINCT id) FROM polar_list('User:ann', 'read', 'Repository');
SELECT polar_limit('list_memory', 0);
SELECT count(*), count(DISTINCT id) FROM polar_list('User:ann', 'read', 'Repository');
