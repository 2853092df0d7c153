# Comparisons and `=` that need a value only a wildcard binds
# (docs/compiler.md, "Rules that leave a value open"): the value ranges over
# the domain of its type — every value of the type stored in a fact of any
# predicate at a position that can hold it, context facts included — and
# the comparison is tested for each.
actor User {}

resource Org {
  roles = ["member"];
  permissions = ["view"];
  "view" if "member";
}

resource Doc {
  permissions = ["read", "edit", "file"];
}

# every user has every clearance, every doc every code: values left open
clearance(_: User, _: Integer);
code_of(_: Doc, _: String);

# budget makes Integers stored in another predicate; rich is never asked
rich(o: Org) if budget(o, b) and b > 100;

has_permission(u: User, "read", d: Doc) if clearance(u, c) and sensitivity(d, s) and c > s;
has_permission(u: User, "edit", d: Doc) if clearance(u, c) and sensitivity(d, s) and c != s and c < 3;
has_permission(_: User, "file", d: Doc) if shelf(d, n) and code_of(d, c) and c > n;
same_clearance(a: User, b: User) if clearance(a, x) and clearance(b, y) and x = y;
