-- Units (ext/compile/plan.c, ext/sql/call.c): recursion through polar_call,
-- answered per check, bounded by the steps and call_memory limits; the
-- polar_call table is internal to compiled SQL.
.load ./polarlite
.bail off
SELECT polar_load('actor User {}
actor Group {}
resource Folder {
  roles = ["viewer", "editor"];
  permissions = ["read", "write"];
  relations = { parent: Folder };
  role if role on "parent";
  "viewer" if "editor";
  "read" if "viewer";
  "write" if "editor";
}
has_role(u: User, role: String, f: Folder) if
  g matches Group and has_group(u, g) and has_role(g, role, f);
has_group(u: User, g: Group) if
  h matches Group and has_group(u, h) and has_group(h, g);', 'units.polar');
-- a chain a <- b <- c <- d, a cycle x <-> y, groups g1 -> g2 -> g3 -> g1
SELECT polar_insert('has_relation', 'Folder:b', 'parent', 'Folder:a');
SELECT polar_insert('has_relation', 'Folder:c', 'parent', 'Folder:b');
SELECT polar_insert('has_relation', 'Folder:d', 'parent', 'Folder:c');
SELECT polar_insert('has_relation', 'Folder:x', 'parent', 'Folder:y');
SELECT polar_insert('has_relation', 'Folder:y', 'parent', 'Folder:x');
SELECT polar_insert('has_group', 'User:ann', 'Group:g1');
SELECT polar_insert('has_group', 'Group:g1', 'Group:g2');
SELECT polar_insert('has_group', 'Group:g2', 'Group:g3');
SELECT polar_insert('has_group', 'Group:g3', 'Group:g1');
SELECT polar_insert('has_role', 'Group:g3', 'editor', 'Folder:a');
SELECT polar_insert('has_role', 'User:bob', 'viewer', 'Folder:x');
-- the statement calls units, and says so
SELECT instr(polar_sql('authorize', 'User:ann', 'write', 'Folder:d'), 'polar_call(') > 0,
       instr(polar_sql('authorize', 'User:ann', 'write', 'Folder:d'), '-- unit ') > 0,
       instr(polar_sql('authorize', 'User:ann', 'write', 'Folder:d'), 'RECURSIVE') > 0;
-- through three levels and a cycle of groups; the folder cycle ends
SELECT authorize('User:ann', 'write', 'Folder:d'), authorize('User:ann', 'read', 'Folder:x'),
       authorize('User:bob', 'read', 'Folder:y'), authorize('User:bob', 'write', 'Folder:y');
SELECT id FROM polar_list('User:ann', 'write', 'Folder') ORDER BY id;
SELECT id FROM polar_list('User:bob', 'read', 'Folder') ORDER BY id;
-- the step budget counts the units' statements too
SELECT polar_limit('steps', 50);
SELECT authorize('User:ann', 'write', 'Folder:d');
SELECT polar_limit('steps', 0) > 0;
-- so does call_memory: the answers one check keeps
SELECT polar_limit('call_memory', 100);
SELECT count(*) FROM polar_list('User:ann', 'write', 'Folder');
SELECT polar_limit('call_memory', 0) > 0;
SELECT count(*) FROM polar_list('User:ann', 'write', 'Folder');
-- polar_call is internal: refused outside a check, and in a view
SELECT * FROM polar_call(0, 'User:ann');
CREATE VIEW v AS SELECT * FROM polar_call(0, 'User:ann');
SELECT * FROM v;
