-- Limits are per connection (ext/base/limits.c). A connection builds a policy
-- another one stored under its own limits (so a reader of a file somebody
-- else wrote is bounded too); compile_memory bounds compiling one check;
-- a policy's test blocks run under the limits of the connection loading it.
.echo on
.open --new /tmp/polarlite_sqltest_limits_connection.db
.load ./polarlite
SELECT polar_load(readfile('sql/gitclub.polar'), 'gitclub.polar');
SELECT polar_insert('has_role', 'User:alice', 'admin', 'Organization:acme');
.connection 1
.open /tmp/polarlite_sqltest_limits_connection.db
.load ./polarlite
SELECT polar_limit('rules', 10);
SELECT authorize('User:alice', 'read', 'Organization:acme');
-- the other connection's limits are its own
.connection 0
SELECT polar_limit('rules');
SELECT polar_load(readfile('sql/gitclub.polar'), 'gitclub.polar');
.connection 1
SELECT policy_version FROM polar_status;
SELECT polar_limit('rules', 10000);
SELECT authorize('User:alice', 'read', 'Organization:acme');
.connection 0
-- compile_memory: the compiler's memory for one check
SELECT polar_limit('compile_memory', 50000);
SELECT authorize('User:alice', 'read', 'Issue:i1');
SELECT id FROM polar_list('User:alice', 'read', 'Issue');
SELECT polar_sql('authorize', 'User:alice', 'read', 'Issue:i1') IS NOT NULL;
SELECT polar_limit('compile_memory', 100000000);
SELECT authorize('User:alice', 'read', 'Issue:i1'), authorize('User:alice', 'read', 'Organization:acme');
-- a policy's tests run under the limits of the connection that loads it
SELECT polar_limit('steps', 10);
SELECT polar_load('actor User {} resource R { roles = ["r"]; permissions = ["read"]; "read" if "r"; }
test "reader" { setup { has_role(User{"a"}, "r", R{"x"}); } assert allow(User{"a"}, "read", R{"x"}); }', 't.polar');
SELECT policy_version FROM polar_status;
SELECT polar_limit('steps', 1000000000);
SELECT polar_load('actor User {} resource R { roles = ["r"]; permissions = ["read"]; "read" if "r"; }
test "reader" { setup { has_role(User{"a"}, "r", R{"x"}); } assert allow(User{"a"}, "read", R{"x"}); }', 't.polar');
SELECT polar_limit('steps', 10);
SELECT test, passed, message FROM polar_test;
.connection 0
.shell rm -f /tmp/polarlite_sqltest_limits_connection.db /tmp/polarlite_sqltest_limits_connection.db-journal
