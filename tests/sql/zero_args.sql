-- Write functions called with no arguments at all are errors, not crashes
-- (they are registered with any number of arguments).
.load ./polarlite
.echo on
SELECT polar_insert();
SELECT polar_delete();
SELECT polar_load('actor User {} resource Repo { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; }', 'zero.polar');
SELECT polar_insert();
SELECT polar_delete();
SELECT polar_insert(NULL);
SELECT polar_delete(NULL);
SELECT polar_delete('has_role');
SELECT polar_batch();
SELECT polar_load();
SELECT count(*) FROM polar_facts;
