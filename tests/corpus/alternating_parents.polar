# Found by the differential test (tests/diff): roles inherited along a
# parent chain that alternates between two types (Org -> Repo -> Org).
# `role if role on "parent"` in both blocks; the compiler's walk up the
# chain follows one type and denies owner's read two levels down.
actor User {}

resource Org {
  roles = ["owner"];
  permissions = ["read"];
  relations = { parent: Repo };

  "read" if "owner";
  role if role on "parent";
}

resource Repo {
  roles = ["member"];
  relations = { parent: Org };

  role if role on "parent";
}
