# Rule bodies: or / and precedence, unification, comparisons on Integers and
# Strings, head literals, repeated head variables, object literals, escapes,
# matches with subtypes, the abstract types Actor and Resource (4.4, 15.3).
actor User {}
actor Bot extends User {}

resource Doc {
  permissions = ["read", "edit", "archive", "rank", "name", "quote", "cmp"];
}

resource Memo extends Doc {}

# `or` is lowest: (is_public(d) and not_draft) or is_owner(u, d)
has_permission(u: User, "read", d: Doc) if
  is_public(d) and has_flag(d, "ready") or is_owner(u, d);

# Parenthesised or.
has_permission(u: User, "edit", d: Doc) if
  (is_owner(u, d) or is_editor(u, d)) and not is_locked(d);

# Unification binds a variable; == compares.
has_permission(u: User, "archive", d: Doc) if
  owner matches User and is_owner(owner, d) and owner = u and level(d, n) and n == 3;

# <= and Integer ranges.
has_permission(_: User, "rank", d: Doc) if
  level(d, n) and n >= -1 and n <= 2;

# Strings compare bytewise.
has_permission(_: User, "name", d: Doc) if
  s matches String and title(d, s) and s < "m" and s > "B";

# Escapes in string literals: the string is: say "hi"\now
has_permission(_: User, "quote", d: Doc) if title(d, "say \"hi\"\\now");

# A repeated head variable forces equality; a head literal is a constraint.
can_mention(u: User, u: User);
can_mention(u: User, Bot{"helper"}) if is_active(u);

# Object literals for primitives.
has_permission(_: User, "cmp", d: Doc) if has_bool(d, Boolean{true}) and level(d, Integer{7});

# Abstract types: any actor, any resource.
can_see(a: Actor, r: Resource) if sees(a, r);

# matches accepts subtypes.
is_document(x: Resource) if x matches Doc;
