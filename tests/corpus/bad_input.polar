# Bad fact writes and queries are errors naming what was wrong; a refused write
# stores nothing (SPEC "Bad input and faults", reference 4.7).
actor User {}

resource Repository {
  roles = ["reader"];
  permissions = ["read"];
  relations = { owner: User };

  "read" if "reader";
  "read" if "owner";
}

declare audit_note(Repository, String, Integer);
