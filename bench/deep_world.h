/*
** deep_world.h — facts for the K-level policy family (deep_policy.h), and
** the oracle: that policy evaluated in plain C over the same facts.
**
** dw_world_new(K, nFacts, seed, bGroups) builds, in memory:
**  - a forest per level: R0 roots, every R(i) resource (i > 0) with a
**    parent drawn uniformly among the R(i-1) resources, so fan-out averages
**    DW_FANOUT (Poisson-like: some have none, a few have eight; 2 when
**    one tree of fan-out 3 would not fit in the facts); about 40%
**    of the facts are these has_relation(child, "parent", parent) links;
**  - users (N/20) holding roles (viewer, editor, admin) on resources of
**    every level (level drawn uniformly, then the resource: an R0 role is
**    an organisation membership, held by thousands at K = 10);
**  - with bGroups, user groups (N/200) in layers 0..3: a group of layer L
**    belongs to a group of layer L+1 with probability 0.8 (so chains 1..4
**    deep), one chain in 50 closed into a cycle (its top group belongs to
**    its bottom group), users
**    belong to 0..3 groups, and every group holds about ten roles;
**  - from K = 2 on, has_default_role(R(K-2), role) on one R(K-2) in ten;
**  - the list user (user 0): no random roles, member of three groups of
**    its own nested in a cycle (g0 in g1 in g2 in g0); it, g0 and g2
**    hold roles on R(K-7) resources (R0 when K <= 7) until it can read
**    DW_LIST_TARGET or more R(K-1) resources.
** The world has exactly nFacts distinct facts (user roles fill up to it).
** Same arguments, same world.
**
** Ids in the storage encoding of the fact tables: "R3:n17", "User:u5",
** "Group:g9", "String:viewer".
*/
#ifndef DEEP_WORLD_H
#define DEEP_WORLD_H

#include <stdint.h>

#define DW_MAX_LEVEL   16
#define DW_FANOUT      3
#define DW_LIST_TARGET 1000

enum { DW_VIEWER = 0, DW_EDITOR, DW_ADMIN, DW_NROLE };
enum { DW_READ = 0, DW_WRITE };            /* permissions */

/* A role fact: principal (user u is u, group g is nUser + g) holds role
** on resource res of level. */
typedef struct DwRole { int32_t res; int8_t level, role; } DwRole;

typedef struct DeepWorld {
  int nLevel, bGroups;
  uint64_t seed;
  int nFanout;                     /* children per resource, on average */
  int aCount[DW_MAX_LEVEL];        /* resources per level */
  int32_t *aParent[DW_MAX_LEVEL];  /* [i][k]: parent (in level i-1) of R(i) k */
  int32_t *aChildStart[DW_MAX_LEVEL], *aChild[DW_MAX_LEVEL]; /* children, CSR */
  int nUser, nGroup;
  int32_t *aUserGroupStart, *aUserGroup;   /* stored has_group(User, Group) */
  int32_t *aGroupUpStart, *aGroupUp;       /* stored has_group(Group, Group) */
  int32_t *aRoleStart; DwRole *aRole;      /* stored has_role, per principal */
  uint8_t *aDefault;               /* [aCount[K-2]]: bit r = has_default_role */
  long nFact, nRelation, nMember, nUserRole, nGroupRole, nDefault;
  int nCycle;                      /* group cycles made */
  int iListUser;
} DeepWorld;

DeepWorld *dw_world_new(int nLevel, long nFacts, uint64_t seed, int bGroups);
void dw_world_free(DeepWorld*);

/* Called once per fact, arguments in storage encoding; a nonzero return
** stops the walk and is returned by dw_world_emit. */
typedef int (*DwSink)(void *pCtx, const char *zPred, int nArg, const char **azArg);
int dw_world_emit(const DeepWorld*, DwSink, void *pCtx);

/* "R<level>:n<idx>", "User:u<idx>" into zBuf (32 bytes); returns zBuf. */
char *dw_res_ref(char *zBuf, int level, int idx);
char *dw_user_ref(char *zBuf, int user);

/* The oracle. A principal set: the user and every group it reaches
** through stored has_group facts, as principal numbers. */
typedef struct DwPrincipals { int32_t *a; int n, nAlloc; uint32_t *aSeen; uint32_t iStamp; } DwPrincipals;
void dw_principals(const DeepWorld*, int user, DwPrincipals*);
void dw_principals_free(DwPrincipals*);
/* allow(User:user, perm, R(K-1):leaf) for the principal set of that user;
** *pbDefault (may be 0) is set when only the default role grants it. */
int dw_allowed(const DeepWorld*, const DwPrincipals*, int perm, int leaf, int *pbDefault);

#endif /* DEEP_WORLD_H */
