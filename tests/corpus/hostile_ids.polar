# Ids are data, never SQL: quotes, semicolons, unicode, colons, format
# directives, newlines; an id may be 384 bytes and no longer (5, 6.4).
actor User {}

resource Repository {
  roles = ["reader"];
  permissions = ["read"];

  "read" if "reader";
}
