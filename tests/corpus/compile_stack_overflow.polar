# Found by the differential test (tests/diff): compiling authorize for a
# Group actor unfolds "owner" if "owner" through the group rule without end.
# Before a depth guard in compile.c's solve(), the recursion overflowed the
# C stack and crashed the process (sqlite3 with an 8 MB stack; 21 of 150
# random policies at 1 MB); now the check fails with an error. Either way
# the compiler cannot answer it.
actor User {}
actor Group {}

resource Folder {
  roles = ["admin", "owner"];
  permissions = ["write"];

  "write" if "admin" and not is_banned(actor);
  "owner" if "owner";
  "admin" if "owner" or is_public(resource);
}

has_role(g: Group, role: String, x: Folder) if
  p matches Group and has_group(g, p) and has_role(p, role, x);
