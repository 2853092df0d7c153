# Fact writes: polar_batch (Oso batch bodies, atomic, in order), polar_delete
# patterns, and the polar_facts virtual table.
actor User {}

resource Repository {
  roles = ["reader", "writer"];
  permissions = ["read", "write"];

  "read" if "reader";
  "write" if "writer";
  "reader" if "writer";
  "read" if is_public(resource, true);
}
