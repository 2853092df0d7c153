/*
** fuzz_common.h — shared by the libFuzzer targets in tests/fuzz/.
**
** A fixed policy whose fact positions take every kind of value (declared
** types, String-only positions, Integer, Boolean, positions open to several
** types), for the targets that need a policy to read values against.
*/
#ifndef PL_FUZZ_COMMON_H
#define PL_FUZZ_COMMON_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const char zFuzzPolicy[] =
  "actor User {}\n"
  "actor Team {}\n"
  "resource Organization {\n"
  "  roles = [\"member\", \"admin\"];\n"
  "  permissions = [\"read\", \"create_repository\"];\n"
  "  \"read\" if \"member\";\n"
  "  \"member\" if \"admin\";\n"
  "}\n"
  "resource Repository {\n"
  "  roles = [\"reader\", \"writer\"];\n"
  "  permissions = [\"read\", \"push\"];\n"
  "  relations = { parent: Organization };\n"
  "  \"read\" if \"reader\";\n"
  "  \"push\" if \"writer\";\n"
  "  \"reader\" if \"member\" on \"parent\";\n"
  "  \"read\" if is_public(resource, true);\n"
  "}\n"
  "has_role(u: User, role: String, r: Repository) if\n"
  "  t matches Team and has_group(u, t) and has_role(t, role, r);\n"
  "has_permission(u: User, \"create_repository\", o: Organization) if\n"
  "  n matches Integer and repo_count(o, n) and n < 10 and has_role(u, \"member\", o);\n"
  "has_permission(actor: Actor, \"read\", r: Repository) if\n"
  "  x matches Resource and tagged(r, x, actor);\n"
  "declare note(String, Integer, Boolean, User, Repository);\n";

/* Abort with the message: libFuzzer records the input as a crash. */
#define FUZZ_FAIL(...) do{ \
  fprintf(stderr, "FINDING: "); fprintf(stderr, __VA_ARGS__); \
  fputc('\n', stderr); abort(); }while(0)

#endif
