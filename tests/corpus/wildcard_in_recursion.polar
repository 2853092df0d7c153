# Found by the differential test (tests/diff): a rule whose answer holds a
# wildcard ("editor" if global "superadmin": every Folder) used inside a
# recursive rule. The compiler's recursive CTE carries the wildcard as the
# value 'Folder:' and compares it with '=', so the global superadmin is
# denied on every folder as soon as has_role on folders is recursive.
actor User {}

global {
  roles = ["superadmin"];
}

resource Folder {
  roles = ["editor"];
  permissions = ["write"];
  relations = { parent: Folder };

  "editor" if global "superadmin";
  "write" if "editor";
}

# a conditional default role, passed down from the parent folder
has_role(u: User, role: String, f: Folder) if
  p matches Folder and
  has_relation(f, "parent", p) and
  has_default_role(f, role) and
  has_role(u, "editor", p);
