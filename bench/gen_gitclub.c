/*
** gen_gitclub.c — see gen_gitclub.h.
**
** How the world is shaped (N = facts requested):
**   users N/20, organizations N/1000 (at least 3), repositories 5% of N,
**   issues 30% of N, folder parent links about 17% of N, repository roles
**   13%, folder roles 9%, global admins N/30000 (at least 1), groups N/2000
**   (at least 3) with 3% of N memberships (has_group) and one organization
**   role each (every third group a second one); organization roles of
**   users take the rest so that the world holds exactly N facts.
**   Repositories pick their organization from a Zipf(1.0) law and members
**   pick organizations from a Zipf(0.8) law, so organization 0 is huge
**   (about 16% of repositories, hence of issues) and most are small.
**   Group memberships pick their group from a Zipf(1.0) law: group 0 has
**   about an eighth of all memberships, most groups a few dozen.
**   Folders form trees up to 10 levels below their root: 2 trees in 5 are
**   plain chains of 11 folders (their depth-10 leaves drive the "10 nested
**   folders" check), the rest branch at random. One chain in 25 also gets a
**   parent link from its root to its depth-5 folder: a cycle of 6 that the
**   engine must survive.
**   User 0 is admin of organization 0 and user 1 is viewer on the root of
**   every 4th folder tree: they are the list benchmarks' users.
*/
#include "gen_gitclub.h"
#include "bench_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GC_MAX_DEPTH 10

static const char *const azType[GC_NKIND] = {
  "User", "Organization", "Repository", "Issue", "Folder", "Group"
};
static const char *const azPrefix[GC_NKIND] = {
  "user_", "org_", "repo_", "issue_", "folder_", "group_"
};
static const char *const azRole[GC_NROLE] = {
  "admin", "member", "reader", "maintainer", "viewer", "editor", "admin"
};
static const int aRoleKind[GC_NROLE] = {
  GC_ORG, GC_ORG, GC_REPO, GC_REPO, GC_FOLDER, GC_FOLDER, -1
};

const char *gc_type_name(int eKind){ return azType[eKind]; }
const char *gc_role_name(int eRole){ return azRole[eRole]; }

char *gc_ref(char *zBuf, int eKind, int idx){
  snprintf(zBuf, 40, "%s:%s%d", azType[eKind], azPrefix[eKind], idx);
  return zBuf;
}

static uint64_t role_key(int user, int eRole, int res){
  /* +1 keeps key 0 free for the set */
  return ((uint64_t)(user + 1) << 36) | ((uint64_t)eRole << 32) | (uint32_t)res;
}
/* Keys of the other facts in the same set: roles of groups (group in the
** user's place) and has_group(user, group). */
#define KEY_GROUP_ROLE(g, eRole, org) role_key((g), 8 + (eRole), (org))
#define KEY_MEMBER(u, g)              role_key((u), 15, (g))

/* Growable arrays ------------------------------------------------------*/
typedef struct Gen {
  GcWorld *w;
  BRng rng;
  BSet roles;
  int nRoleAlloc;
  int nFolderAlloc;
  long nFolderLink;               /* folder parent facts so far */
} Gen;

static int add_role(Gen *g, int user, int eRole, int res){
  GcWorld *w = g->w;
  if( !bset_add(&g->roles, role_key(user, eRole, res)) ) return 0;
  if( w->nRole==g->nRoleAlloc ){
    g->nRoleAlloc = g->nRoleAlloc ? g->nRoleAlloc*2 : 1024;
    w->aRole = bxrealloc(w->aRole, sizeof(GcRole)*(size_t)g->nRoleAlloc);
  }
  w->aRole[w->nRole].user = user;
  w->aRole[w->nRole].role = eRole;
  w->aRole[w->nRole].res = res;
  w->nRole++;
  return 1;
}

static int new_folder(Gen *g, int parent, int depth, int root, int flags){
  GcWorld *w = g->w;
  int f = w->nFolder;
  if( f==g->nFolderAlloc ){
    size_t n;
    g->nFolderAlloc = g->nFolderAlloc ? g->nFolderAlloc*2 : 1024;
    n = (size_t)g->nFolderAlloc;
    w->aFolderParent = bxrealloc(w->aFolderParent, n*sizeof(int32_t));
    w->aFolderDepth = bxrealloc(w->aFolderDepth, n);
    w->aFolderRoot = bxrealloc(w->aFolderRoot, n*sizeof(int32_t));
    w->aFolderFlags = bxrealloc(w->aFolderFlags, n);
  }
  w->aFolderParent[f] = parent;
  w->aFolderDepth[f] = (uint8_t)depth;
  w->aFolderRoot[f] = root<0 ? f : root;
  w->aFolderFlags[f] = (uint8_t)flags;
  w->nFolder++;
  if( parent>=0 ) g->nFolderLink++;
  return f;
}

/* Zipf(s) over n items: cumulative weights, sampled by binary search. */
static double *zipf_cdf(int n, double s){
  double *a = bxmalloc(sizeof(double)*(size_t)n), sum = 0;
  int i;
  for(i=0; i<n; i++){ sum += 1.0 / pow(i + 1, s); a[i] = sum; }
  for(i=0; i<n; i++) a[i] /= sum;
  return a;
}

static int zipf_pick(BRng *r, const double *aCdf, int n){
  double u = brng_unit(r);
  int lo = 0, hi = n - 1;
  while( lo<hi ){
    int mid = (lo + hi) / 2;
    if( aCdf[mid] > u ) hi = mid; else lo = mid + 1;
  }
  return lo;
}

/* Folder trees ----------------------------------------------------------*/

/* Children of a branching-tree folder: 0 (15%), 1 (55%), 2 (20%), 3 (10%);
** about 1.25 on average, so a tree holds a few dozen folders. */
static int n_children(BRng *r){
  uint32_t x = brng_below(r, 100);
  return x<15 ? 0 : x<70 ? 1 : x<90 ? 2 : 3;
}

static void gen_branching_tree(Gen *g, long nBudget){
  int aStack[4096], nStack = 0;
  int root = new_folder(g, -1, 0, -1, 0);
  aStack[nStack++] = root;
  while( nStack>0 && g->nFolderLink<nBudget ){
    int f = aStack[--nStack];
    int d = g->w->aFolderDepth[f], k, n;
    if( d>=GC_MAX_DEPTH ) continue;
    n = n_children(&g->rng);
    for(k=0; k<n && g->nFolderLink<nBudget && nStack<4096; k++){
      aStack[nStack++] = new_folder(g, f, d + 1, root, 0);
    }
  }
}

/* Returns 1 if a complete chain (root to depth 10) was made. */
static int gen_chain(Gen *g, long nBudget, int bCycle){
  GcWorld *w = g->w;
  int root = new_folder(g, -1, 0, -1, GC_FF_CHAIN);
  int f = root, d, mid = -1;
  for(d=1; d<=GC_MAX_DEPTH && g->nFolderLink<nBudget; d++){
    f = new_folder(g, f, d, root, GC_FF_CHAIN);
    if( d==5 ) mid = f;
  }
  if( d<=GC_MAX_DEPTH ) return 0;
  if( bCycle && mid>=0 ){
    int i;
    w->aFolderParent[root] = mid;
    g->nFolderLink++;
    for(i=root; i<w->nFolder; i++) w->aFolderFlags[i] |= GC_FF_CYCLE;
    w->nFolderCycle++;
  }
  w->aChainLeaf = bxrealloc(w->aChainLeaf, sizeof(int32_t)*(size_t)(w->nChainLeaf + 1));
  w->aChainLeaf[w->nChainLeaf++] = f;
  return 1;
}

/* The world ---------------------------------------------------------------*/
GcWorld *gc_world_new(long N, uint64_t seed){
  Gen g;
  GcWorld *w;
  double *aRepoCdf, *aMemberCdf;
  long nFolderBudget, nRepoRole, nFolderRole, nGlobal, nOrgRole, nRest, nTry;
  long nMemberBudget;
  double *aGroupCdf;
  int i, nTree, nChain, nGroupRoleAlloc;
  int *aTreeRoot = 0; int nTreeAlloc = 0;

  if( N<500 ) N = 500;
  w = bxmalloc(sizeof(*w));
  memset(w, 0, sizeof(*w));
  memset(&g, 0, sizeof(g));
  g.w = w;
  w->seed = seed;
  w->nTarget = N;
  brng_seed(&g.rng, seed);
  bset_init(&g.roles, (size_t)N);

  w->nUser = (int)(N / 20); if( w->nUser<50 ) w->nUser = 50;
  w->nOrg = (int)(N / 1000); if( w->nOrg<3 ) w->nOrg = 3;
  w->nRepo = (int)(N * 5 / 100);
  w->nIssue = (int)(N * 30 / 100);
  nFolderBudget = N * 17 / 100;
  nRepoRole = N * 13 / 100;
  nFolderRole = N * 9 / 100;
  nGlobal = N / 30000; if( nGlobal<1 ) nGlobal = 1;
  w->nGroup = (int)(N / 2000); if( w->nGroup<3 ) w->nGroup = 3;
  nMemberBudget = N * 3 / 100;
  w->iOrgPowerUser = 0;
  w->iFolderPowerUser = 1;

  /* repositories and issues */
  aRepoCdf = zipf_cdf(w->nOrg, 1.0);
  aMemberCdf = zipf_cdf(w->nOrg, 0.8);
  w->aRepoOrg = bxmalloc(sizeof(int32_t)*(size_t)w->nRepo);
  for(i=0; i<w->nRepo; i++) w->aRepoOrg[i] = zipf_pick(&g.rng, aRepoCdf, w->nOrg);
  w->aIssueRepo = bxmalloc(sizeof(int32_t)*(size_t)w->nIssue);
  for(i=0; i<w->nIssue; i++) w->aIssueRepo[i] = (int32_t)brng_below(&g.rng, (uint32_t)w->nRepo);

  /* folder trees: 2 in 5 are chains; every 25th chain has a cycle */
  nTree = nChain = 0;
  while( g.nFolderLink<nFolderBudget ){
    int root = w->nFolder;
    if( nTree % 5 < 2 ){
      gen_chain(&g, nFolderBudget, nChain % 25 == 12);
      nChain++;
    }else{
      gen_branching_tree(&g, nFolderBudget);
    }
    if( nTree==nTreeAlloc ){
      nTreeAlloc = nTreeAlloc ? nTreeAlloc*2 : 256;
      aTreeRoot = bxrealloc(aTreeRoot, sizeof(int)*(size_t)nTreeAlloc);
    }
    aTreeRoot[nTree++] = root;
  }

  /* folder roles: the power user on every 4th root, someone on every
  ** complete chain's root, the rest near the top of random trees */
  for(i=0; i<nTree; i+=4){
    add_role(&g, w->iFolderPowerUser, GC_FOLDER_VIEWER, aTreeRoot[i]);
  }
  for(i=0; i<w->nChainLeaf; i++){
    int root = w->aFolderRoot[w->aChainLeaf[i]];
    int u = 2 + (int)brng_below(&g.rng, (uint32_t)(w->nUser - 2));
    add_role(&g, u, brng_below(&g.rng, 2) ? GC_FOLDER_VIEWER : GC_FOLDER_EDITOR, root);
  }
  for(nTry=0; w->nRole<nFolderRole && nTry<nFolderRole*4; nTry++){
    int f = (int)brng_below(&g.rng, (uint32_t)w->nFolder);
    int up = (int)brng_below(&g.rng, 4), u;
    while( up-- > 0 && w->aFolderParent[f]>=0 ) f = w->aFolderParent[f];
    u = 2 + (int)brng_below(&g.rng, (uint32_t)(w->nUser - 2));
    add_role(&g, u, brng_below(&g.rng, 10)<7 ? GC_FOLDER_VIEWER : GC_FOLDER_EDITOR, f);
  }

  /* repository roles */
  nRest = w->nRole + nRepoRole;
  for(nTry=0; w->nRole<nRest && nTry<nRepoRole*4; nTry++){
    int u = (int)brng_below(&g.rng, (uint32_t)w->nUser);
    int r = (int)brng_below(&g.rng, (uint32_t)w->nRepo);
    add_role(&g, u, brng_below(&g.rng, 10)<7 ? GC_REPO_READER : GC_REPO_MAINTAINER, r);
  }

  /* global admins: users 2 .. 2+nGlobal-1 */
  for(i=0; i<nGlobal && 2+i<w->nUser; i++) add_role(&g, 2 + i, GC_GLOBAL_ADMIN, 0);

  /* groups: one organization role each (a second for every third
  ** group), members drawn from a Zipf(1.0) law over the groups */
  nGroupRoleAlloc = w->nGroup * 2;
  w->aGroupRole = bxmalloc(sizeof(GcRole)*(size_t)nGroupRoleAlloc);
  for(i=0; i<w->nGroup; i++){
    int k;
    for(k=0; k<(i % 3==0 ? 2 : 1); k++){
      int o = zipf_pick(&g.rng, aMemberCdf, w->nOrg);
      int r = brng_below(&g.rng, 5)==0 ? GC_ORG_ADMIN : GC_ORG_MEMBER;
      if( !bset_add(&g.roles, KEY_GROUP_ROLE(i, r, o)) ) continue;
      w->aGroupRole[w->nGroupRole].user = i;
      w->aGroupRole[w->nGroupRole].role = r;
      w->aGroupRole[w->nGroupRole].res = o;
      w->nGroupRole++;
    }
  }
  aGroupCdf = zipf_cdf(w->nGroup, 1.0);
  w->aMemberUser = bxmalloc(sizeof(int32_t)*(size_t)(nMemberBudget + 1));
  w->aMemberGroup = bxmalloc(sizeof(int32_t)*(size_t)(nMemberBudget + 1));
  for(nTry=0; w->nMember<nMemberBudget && nTry<nMemberBudget*8; nTry++){
    int gr = zipf_pick(&g.rng, aGroupCdf, w->nGroup);
    int u = (int)brng_below(&g.rng, (uint32_t)w->nUser);
    if( !bset_add(&g.roles, KEY_MEMBER(u, gr)) ) continue;
    w->aMemberUser[w->nMember] = u;
    w->aMemberGroup[w->nMember] = gr;
    w->nMember++;
  }
  free(aGroupCdf);

  /* organization roles take what is left of N */
  add_role(&g, w->iOrgPowerUser, GC_ORG_ADMIN, 0);
  nOrgRole = N - (w->nRepo + w->nIssue + g.nFolderLink + w->nRole
                  + w->nGroupRole + w->nMember);
  nRest = w->nRole + (nOrgRole>0 ? nOrgRole : 0);
  for(nTry=0; w->nRole<nRest && nTry<nOrgRole*8; nTry++){
    int o = zipf_pick(&g.rng, aMemberCdf, w->nOrg);
    int u = (int)brng_below(&g.rng, (uint32_t)w->nUser);
    add_role(&g, u, brng_below(&g.rng, 10)==0 ? GC_ORG_ADMIN : GC_ORG_MEMBER, o);
  }

  w->nFact = w->nRepo + w->nIssue + g.nFolderLink + w->nRole + w->nGroupRole + w->nMember;
  {
    /* groups of each user, for the oracle */
    int *aFill;
    w->aUserGroupStart = bxmalloc(sizeof(int)*(size_t)(w->nUser + 1));
    w->aUserGroup = bxmalloc(sizeof(int)*(size_t)(w->nMember + 1));
    aFill = bxmalloc(sizeof(int)*(size_t)(w->nUser + 1));
    memset(w->aUserGroupStart, 0, sizeof(int)*(size_t)(w->nUser + 1));
    for(i=0; i<w->nMember; i++) w->aUserGroupStart[w->aMemberUser[i] + 1]++;
    for(i=0; i<w->nUser; i++) w->aUserGroupStart[i + 1] += w->aUserGroupStart[i];
    memcpy(aFill, w->aUserGroupStart, sizeof(int)*(size_t)(w->nUser + 1));
    for(i=0; i<w->nMember; i++) w->aUserGroup[aFill[w->aMemberUser[i]]++] = w->aMemberGroup[i];
    free(aFill);
  }
  free(aRepoCdf);
  free(aMemberCdf);
  free(aTreeRoot);
  w->pIndex = bxmalloc(sizeof(BSet));
  *(BSet*)w->pIndex = g.roles;
  return w;
}

void gc_world_free(GcWorld *w){
  if( !w ) return;
  free(w->aRepoOrg);
  free(w->aIssueRepo);
  free(w->aFolderParent);
  free(w->aFolderDepth);
  free(w->aFolderRoot);
  free(w->aFolderFlags);
  free(w->aChainLeaf);
  free(w->aRole);
  free(w->aGroupRole);
  free(w->aMemberUser);
  free(w->aMemberGroup);
  free(w->aUserGroupStart);
  free(w->aUserGroup);
  if( w->pIndex ){ bset_free((BSet*)w->pIndex); free(w->pIndex); }
  free(w);
}

/* Emit ----------------------------------------------------------------*/
static void set_ref(GcArg *a, int eKind, int idx){
  a->zType = azType[eKind];
  snprintf(a->zId, sizeof(a->zId), "%s%d", azPrefix[eKind], idx);
}

static void set_str(GcArg *a, const char *z){
  a->zType = "String";
  snprintf(a->zId, sizeof(a->zId), "%s", z);
}

int gc_world_emit(const GcWorld *w, GcSink xSink, void *pCtx){
  GcArg a[3];
  int i, rc;
  set_str(&a[1], "parent");
  for(i=0; i<w->nRepo; i++){
    set_ref(&a[0], GC_REPO, i); set_ref(&a[2], GC_ORG, w->aRepoOrg[i]);
    if( (rc = xSink(pCtx, "has_relation", 3, a))!=0 ) return rc;
  }
  for(i=0; i<w->nIssue; i++){
    set_ref(&a[0], GC_ISSUE, i); set_ref(&a[2], GC_REPO, w->aIssueRepo[i]);
    if( (rc = xSink(pCtx, "has_relation", 3, a))!=0 ) return rc;
  }
  for(i=0; i<w->nFolder; i++){
    if( w->aFolderParent[i]<0 ) continue;
    set_ref(&a[0], GC_FOLDER, i); set_ref(&a[2], GC_FOLDER, w->aFolderParent[i]);
    if( (rc = xSink(pCtx, "has_relation", 3, a))!=0 ) return rc;
  }
  for(i=0; i<w->nRole; i++){
    const GcRole *p = &w->aRole[i];
    set_ref(&a[0], GC_USER, p->user);
    set_str(&a[1], azRole[p->role]);
    if( aRoleKind[p->role]<0 ){
      rc = xSink(pCtx, "has_role", 2, a);
    }else{
      set_ref(&a[2], aRoleKind[p->role], p->res);
      rc = xSink(pCtx, "has_role", 3, a);
    }
    if( rc ) return rc;
  }
  for(i=0; i<w->nGroupRole; i++){
    const GcRole *p = &w->aGroupRole[i];
    set_ref(&a[0], GC_GROUP, p->user);
    set_str(&a[1], azRole[p->role]);
    set_ref(&a[2], GC_ORG, p->res);
    if( (rc = xSink(pCtx, "has_role", 3, a))!=0 ) return rc;
  }
  for(i=0; i<w->nMember; i++){
    set_ref(&a[0], GC_USER, w->aMemberUser[i]);
    set_ref(&a[1], GC_GROUP, w->aMemberGroup[i]);
    if( (rc = xSink(pCtx, "has_group", 2, a))!=0 ) return rc;
  }
  return 0;
}

/* Oracle ----------------------------------------------------------------*/
int gc_has_role(const GcWorld *w, int user, int eRole, int res){
  return bset_has((const BSet*)w->pIndex, role_key(user, eRole, res));
}

/* has_role(user, role, org) if group matches Group and
**   has_group(user, group) and has_role(group, role, org) */
int gc_org_role(const GcWorld *w, int u, int eRole, int o){
  const BSet *p = (const BSet*)w->pIndex;
  int k;
  if( bset_has(p, role_key(u, eRole, o)) ) return 1;
  for(k=w->aUserGroupStart[u]; k<w->aUserGroupStart[u + 1]; k++){
    if( bset_has(p, KEY_GROUP_ROLE(w->aUserGroup[k], eRole, o)) ) return 1;
  }
  return 0;
}

int gc_can_read_org(const GcWorld *w, int u, int o){
  return gc_org_role(w, u, GC_ORG_MEMBER, o) || gc_org_role(w, u, GC_ORG_ADMIN, o);
}

int gc_can_read_repo(const GcWorld *w, int u, int r){
  return gc_has_role(w, u, GC_REPO_READER, r)
      || gc_has_role(w, u, GC_REPO_MAINTAINER, r)
      || gc_can_read_org(w, u, w->aRepoOrg[r]);
}

int gc_can_push_repo(const GcWorld *w, int u, int r){
  return gc_has_role(w, u, GC_REPO_MAINTAINER, r)
      || gc_org_role(w, u, GC_ORG_ADMIN, w->aRepoOrg[r]);
}

int gc_can_push_issue(const GcWorld *w, int u, int i){
  return gc_can_push_repo(w, u, w->aIssueRepo[i]);
}

int gc_repo_actions(const GcWorld *w, int u, int r){
  return (gc_can_read_repo(w, u, r) ? GC_ACT_READ : 0)
       | (gc_can_push_repo(w, u, r) ? GC_ACT_PUSH : 0)
       | (gc_can_delete_repo(w, u, r) ? GC_ACT_DELETE : 0);
}

int gc_can_delete_repo(const GcWorld *w, int u, int r){
  (void)r;
  return gc_has_role(w, u, GC_GLOBAL_ADMIN, 0);
}

int gc_can_read_issue(const GcWorld *w, int u, int i){
  return gc_can_read_repo(w, u, w->aIssueRepo[i]);
}

/* Any role on the folder or an ancestor ("role if role on parent", then
** "viewer" if "editor", "read" if "viewer"). Each folder has at most one
** parent, trees are at most 10 deep and a cycle stays inside its 11-folder
** chain, so 32 steps visit every ancestor. */
int gc_can_read_folder(const GcWorld *w, int u, int f){
  int n;
  for(n=0; f>=0 && n<32; n++, f = w->aFolderParent[f]){
    if( gc_has_role(w, u, GC_FOLDER_VIEWER, f) ) return 1;
    if( gc_has_role(w, u, GC_FOLDER_EDITOR, f) ) return 1;
  }
  return 0;
}
