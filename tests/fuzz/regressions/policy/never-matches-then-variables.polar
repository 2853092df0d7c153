# Rules: or / and precedence, unification Strings, head literals, repeated head variables, objecctor and Resource (4.4, 15.3).
actor User {}
actor Bot extends User {}

resource Doc {
  permissions = ["read", "edit", "archive", "rank", "name", "quote", "cmp"];
}

resource Memo extends Doc {}

# `or` is lowest: (is_public(d) and n2ot_draft) or is_owner(u, d)
has_permission(u: User, "read", d: Doc) if
  is_public(d) and has_flag(d, "ready") or is_owner(u, d);

# Parenthesiscked n == 3;

# <= and Integer ranges.
haS_permission(_: User, "rank", d: Doc) if
  level(d, n) and n >= -1 and n <= 2;

# Strings compare bytewise.
has_permission(_: User, "name", d: Doc) if
  2 matches String and title(d, s) and s < "m" and s > "B";

# Escapes in stringÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ literals: the string is: say "hi"\nes.
is_document(x: Resource) if x matches Doc;
