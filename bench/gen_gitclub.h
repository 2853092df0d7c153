/*
** gen_gitclub.h — a deterministic GitClub-like world for benchmarks.
**
** gc_world_new(nFacts, seed) builds, in memory, a world of users, user
** groups (members; a role on an organization), organizations (a few huge,
** many small), repositories (parent org),
** issues (parent repository), folders in trees up to 10 levels deep (some
** plain chains, a few with a parent cycle) and roles: org admin/member,
** repository reader/maintainer, folder viewer/editor and global admin. The
** world holds exactly nFacts distinct facts (fewer only when nFacts is too
** small for the user x org space). Same (nFacts, seed), same world.
**
** The facts are handed out through gc_world_emit() in a neutral form (type,
** id) so that each engine's loader spells them its own way; bench_engine.c
** feeds them to polar_insert, gen_main.c prints them for other engines.
**
** The world also answers the benchmark's checks itself (gc_can_*): a plain
** C evaluation of bench/gitclub.polar over the in-memory facts. It is the
** oracle that picks allowed and denied inputs and that both polarlite and
** the hand-written SQL are compared against.
*/
#ifndef GEN_GITCLUB_H
#define GEN_GITCLUB_H

#include <stdint.h>

/* Entity kinds; gc_ref() spells them "Type:prefix_N". */
enum { GC_USER = 0, GC_ORG, GC_REPO, GC_ISSUE, GC_FOLDER, GC_GROUP, GC_NKIND };

/* Role codes (each belongs to one kind of resource, or is global). */
enum {
  GC_ORG_ADMIN = 0, GC_ORG_MEMBER,
  GC_REPO_READER, GC_REPO_MAINTAINER,
  GC_FOLDER_VIEWER, GC_FOLDER_EDITOR,
  GC_GLOBAL_ADMIN,
  GC_NROLE
};

typedef struct GcRole { int32_t user; int32_t role; int32_t res; } GcRole;

typedef struct GcWorld {
  uint64_t seed;
  long nTarget;                   /* facts requested */
  int nUser, nOrg, nRepo, nIssue, nFolder, nGroup;
  int32_t *aRepoOrg;              /* [nRepo]  parent organization */
  int32_t *aIssueRepo;            /* [nIssue] parent repository */
  int32_t *aFolderParent;         /* [nFolder] parent folder, -1 = none */
  uint8_t *aFolderDepth;          /* [nFolder] depth below its tree's root */
  int32_t *aFolderRoot;           /* [nFolder] root folder of its tree */
  uint8_t *aFolderFlags;          /* [nFolder] GC_FF_* */
  int nChainLeaf; int32_t *aChainLeaf; /* depth-10 leaves of chain trees */
  GcRole *aRole; int nRole;       /* every role fact, in emit order */
  GcRole *aGroupRole; int nGroupRole; /* organization roles of groups (.user = group) */
  int32_t *aMemberUser, *aMemberGroup; int nMember; /* has_group(user, group) */
  int *aUserGroupStart, *aUserGroup;  /* groups of each user (CSR over nUser) */
  int nFolderCycle;               /* trees whose root was given a parent */
  long nFact;                     /* facts in the world */
  /* the users the list benchmarks use */
  int iOrgPowerUser;              /* admin of the largest organization */
  int iFolderPowerUser;           /* viewer on the roots of many trees */
  void *pIndex;                   /* private: role lookup */
} GcWorld;

#define GC_FF_CHAIN 0x01          /* folder belongs to a plain chain tree */
#define GC_FF_CYCLE 0x02          /* folder's tree has a parent cycle */

GcWorld *gc_world_new(long nFacts, uint64_t seed);  /* aborts on OOM */
void gc_world_free(GcWorld*);

/* One argument: zType is "User", ..., or "String" for role/relation names. */
typedef struct GcArg { const char *zType; char zId[40]; } GcArg;
/* Called once per fact, relations first, then roles. A nonzero return
** stops the walk and is returned by gc_world_emit. */
typedef int (*GcSink)(void *pCtx, const char *zPred, int nArg, const GcArg *aArg);
int gc_world_emit(const GcWorld*, GcSink, void *pCtx);

const char *gc_type_name(int eKind);
/* "Type:prefix_N" into zBuf (at least 40 bytes); returns zBuf. */
char *gc_ref(char *zBuf, int eKind, int idx);
const char *gc_role_name(int eRole);

/* The oracle: bench/gitclub.polar evaluated over the in-memory facts.
** gc_has_role is a stored role fact of the user; gc_org_role also counts
** the roles of the user's groups (the policy's has_role rule for groups). */
int gc_has_role(const GcWorld*, int user, int eRole, int res);
int gc_org_role(const GcWorld*, int user, int eRole, int org);
int gc_can_read_org(const GcWorld*, int user, int org);
int gc_can_read_repo(const GcWorld*, int user, int repo);
int gc_can_push_repo(const GcWorld*, int user, int repo);
int gc_can_delete_repo(const GcWorld*, int user, int repo);
int gc_can_read_issue(const GcWorld*, int user, int issue);
int gc_can_read_folder(const GcWorld*, int user, int folder);
int gc_can_push_issue(const GcWorld*, int user, int issue);
/* Bit mask of the actions (GC_ACT_*) the user has on a repository. */
#define GC_ACT_READ   1
#define GC_ACT_PUSH   2
#define GC_ACT_DELETE 4
int gc_repo_actions(const GcWorld*, int user, int repo);

#endif /* GEN_GITCLUB_H */
