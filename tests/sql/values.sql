-- How values are spelled in and out of SQL (SPEC "Values in SQL").
.load ./polarlite
.echo on
SELECT polar_load('actor User {}
resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  "read" if "reader";
  "read" if is_public(resource, true);
}
has_permission(u: User, "star", r: Repo) if n matches Integer and stars(r, n) and n > 10;
has_permission(u: User, "tag", r: Repo) if t matches String and has_tag(r, t) and t = "Repo:fake";', 'values.polar');
SELECT polar_insert('has_role', 'User:alice', 'reader', 'Repo:anvil');
SELECT polar_insert('has_role', 'User:alice', 'String:reader', 'Repo:hammer');
SELECT polar_insert('is_public', 'Repo:pub', 'Boolean:true');
SELECT polar_insert('is_public', 'Repo:priv', 'Boolean:false');
SELECT polar_insert('stars', 'Repo:anvil', 11);
SELECT polar_insert('stars', 'Repo:hammer', 'Integer:9');
SELECT polar_insert('stars', 'Repo:big', 9223372036854775807);
SELECT polar_insert('stars', 'Repo:neg', -9223372036854775808);
-- one rule on every path: 'Repo:fake' is a Repo (Repo is a type), also
-- where only a String goes, so it is refused there with the spelling of the
-- text; 'repo:read' (repo is no type) is the text
SELECT polar_insert('has_tag', 'Repo:anvil', 'Repo:fake');
SELECT polar_batch('[{"inserts": [{"predicate": "has_tag", "args": [{"type": "Repo", "id": "anvil"}, {"type": "Repo", "id": "fake"}]}]}]');
SELECT polar_insert('has_tag', 'Repo:anvil', 'String:Repo:fake');
SELECT polar_insert('has_tag', 'Repo:other', 'repo:read');
SELECT polar_insert('has_tag', 'Repo:hammer', 'plain tag');
SELECT polar_insert('has_role', 'User:a:b', 'reader', 'Repo:x');
.mode quote
SELECT predicate, a1, a2, a3 FROM polar_facts ORDER BY 1, 2, 3;
SELECT typeof(a2), a2 FROM polar_facts WHERE predicate = 'stars' ORDER BY a2;
SELECT * FROM polar_query('has_tag', NULL, NULL);
SELECT * FROM polar_query('is_public', NULL, 'Boolean:true');
SELECT * FROM polar_query('stars', NULL, 11);
SELECT * FROM polar_query('stars', NULL, 'Integer:11');
SELECT * FROM polar_query('has_role', NULL, 'reader', 'Repo:_');
SELECT * FROM polar_query('has_role', 'User:_', NULL, NULL);
SELECT authorize('User:alice', 'read', 'Repo:hammer');
SELECT authorize('User:alice', 'String:read', 'Repo:anvil');
SELECT authorize('User:zed', 'read', 'Repo:pub'), authorize('User:zed', 'read', 'Repo:priv');
SELECT authorize('User:zed', 'star', 'Repo:anvil'), authorize('User:zed', 'star', 'Repo:hammer'), authorize('User:zed', 'star', 'Repo:big');
SELECT authorize('User:zed', 'tag', 'Repo:anvil'), authorize('User:zed', 'tag', 'Repo:hammer');
SELECT authorize('User:a:b', 'read', 'Repo:x');
SELECT * FROM polar_list('User:zed', 'star', 'Repo');
