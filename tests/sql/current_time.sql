-- @current_unix_time is polar_now(); polar_now(N) pins it for this connection.
.load ./polarlite
.echo on
SELECT polar_load('actor User {}
resource Repo { roles = ["reader"]; permissions = ["read"]; "read" if "reader"; }
has_role(u: User, role: String, r: Repo) if
  t matches Integer and has_role_until(u, role, r, t) and t > @current_unix_time;', 'time.polar');
SELECT polar_insert('has_role_until', 'User:a', 'reader', 'Repo:x', 1000);
SELECT abs(polar_now() - unixepoch()) <= 2;
SELECT authorize('User:a', 'read', 'Repo:x');
SELECT polar_now(999);
SELECT polar_now();
SELECT authorize('User:a', 'read', 'Repo:x');
SELECT polar_now(1000);
SELECT authorize('User:a', 'read', 'Repo:x');
SELECT abs(polar_now(NULL) - unixepoch()) <= 2;
SELECT authorize('User:a', 'read', 'Repo:x');
SELECT polar_now('soon');
