/*
** deep_policy.h — the K-level policy family of issue 11, as Polar text.
**
** Resource types R0 <- R1 <- ... <- R(K-1), each R(i>0) with
** `relations = { parent: R(i-1) }`; in every type the roles viewer <
** editor < admin ("viewer" if "editor"; "editor" if "admin"), the
** permissions read (viewer) and write (editor), and each role inherited
** from the parent, written either as three rules ("viewer" if "viewer" on
** "parent"; ...) or as one (role if role on "parent"). Optionally Oso's
** nested user groups (a user holds the roles of its groups, transitively),
** and from K = 2 on one conditional default role (GitCloud's pattern): a
** viewer of an R(K-2) gets on its R(K-1) children the roles that
** has_default_role names.
*/
#ifndef DEEP_POLICY_H
#define DEEP_POLICY_H

enum { DP_THREE_RULES = 0, DP_ROLE_VAR = 1 };   /* how roles are inherited */

typedef struct DeepPolicy {
  int nLevel;        /* K >= 1 */
  int bGroups;       /* nested user groups */
  int eInherit;      /* DP_THREE_RULES or DP_ROLE_VAR */
} DeepPolicy;

/* The policy text (free() it); *pnRule = rules written in it: every
** shorthand rule of a resource block and every full rule counts one. */
char *deep_policy_text(const DeepPolicy*, int *pnRule);

/* "R<i>": the name of level i (static buffer of the caller, 16 bytes). */
void deep_type_name(char *zBuf, int iLevel);

#endif /* DEEP_POLICY_H */
