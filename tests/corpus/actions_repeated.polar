# Found by the differential test (tests/diff): polar_actions returned "read"
# twice when two paths grant it (a folder with two parents, each an
# organization where every actor is admin). Actions are distinct action
# strings (polar-reference 6.3).
actor User {}

resource Org {
  roles = ["admin"];
  "admin" if has_status(resource, s) and s in ["open", "draft"];
}

resource Folder {
  permissions = ["read"];
  relations = { parent: Org };
  "read" if "admin" on "parent";
}
