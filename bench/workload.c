/*
** workload.c — see workload.h.
**
** Candidates are drawn so that most of them have the wanted answer (for
** "allow", from role facts that grant it), then the oracle keeps or drops
** each one: a pool never holds an input with the other answer.
*/
#include "workload.h"

#include <stdlib.h>
#include <string.h>

struct Workload {
  const GcWorld *w;
  uint64_t seed;
  BRng rng;
  int *aOrgRepoStart, *aOrgRepo;     /* repositories of each org (CSR) */
  int *aRepoIssueStart, *aRepoIssue; /* issues of each repository (CSR) */
  int *aOrgRole; int nOrgRole;       /* indexes in w->aRole */
  int *aRepoRole; int nRepoRole;
  int *aRootLeaf;                    /* [nFolder] depth-10 leaf of a chain root, or -1 */
  int *aLeafRole; int nLeafRole;     /* roles held on chain roots */
  int *aCycleLeaf; int nCycleLeaf;   /* leaves of chains with a cycle */
  int *aGlobalAdmin; int nGlobalAdmin;
  int *aGroupMemberStart, *aGroupMember; /* members of each group (CSR) */
  long *aUserIssues;                 /* [nUser] issues readable, or NULL */
};

uint32_t wl_below(Workload *p, int n){ return brng_below(&p->rng, (uint32_t)n); }

/* Compressed rows: aStart[k]..aStart[k+1] index the members of group k. */
static void csr_build(const int32_t *aGroup, int n, int nGroup, int **paStart, int **paItem){
  int *aStart = bxmalloc(sizeof(int)*(size_t)(nGroup + 1));
  int *aItem = bxmalloc(sizeof(int)*(size_t)(n ? n : 1));
  int *aFill = bxmalloc(sizeof(int)*(size_t)(nGroup + 1));
  int i;
  memset(aStart, 0, sizeof(int)*(size_t)(nGroup + 1));
  for(i=0; i<n; i++) aStart[aGroup[i] + 1]++;
  for(i=0; i<nGroup; i++) aStart[i + 1] += aStart[i];
  memcpy(aFill, aStart, sizeof(int)*(size_t)(nGroup + 1));
  for(i=0; i<n; i++) aItem[aFill[aGroup[i]]++] = i;
  free(aFill);
  *paStart = aStart;
  *paItem = aItem;
}

Workload *wl_new(const GcWorld *w, uint64_t seed){
  Workload *p = bxmalloc(sizeof(*p));
  size_t nRole = (size_t)(w->nRole ? w->nRole : 1);
  int i;
  memset(p, 0, sizeof(*p));
  p->w = w;
  p->seed = seed;
  brng_seed(&p->rng, seed ^ 0x776f726b6c6f6164ULL);
  csr_build(w->aRepoOrg, w->nRepo, w->nOrg, &p->aOrgRepoStart, &p->aOrgRepo);
  csr_build(w->aIssueRepo, w->nIssue, w->nRepo, &p->aRepoIssueStart, &p->aRepoIssue);
  csr_build(w->aMemberGroup, w->nMember, w->nGroup, &p->aGroupMemberStart, &p->aGroupMember);
  p->aOrgRole = bxmalloc(sizeof(int)*nRole);
  p->aRepoRole = bxmalloc(sizeof(int)*nRole);
  p->aLeafRole = bxmalloc(sizeof(int)*nRole);
  p->aGlobalAdmin = bxmalloc(sizeof(int)*nRole);
  p->aRootLeaf = bxmalloc(sizeof(int)*(size_t)(w->nFolder ? w->nFolder : 1));
  p->aCycleLeaf = bxmalloc(sizeof(int)*(size_t)(w->nChainLeaf ? w->nChainLeaf : 1));
  for(i=0; i<w->nFolder; i++) p->aRootLeaf[i] = -1;
  for(i=0; i<w->nChainLeaf; i++){
    int leaf = w->aChainLeaf[i];
    p->aRootLeaf[w->aFolderRoot[leaf]] = leaf;
    if( w->aFolderFlags[leaf] & GC_FF_CYCLE ) p->aCycleLeaf[p->nCycleLeaf++] = leaf;
  }
  for(i=0; i<w->nRole; i++){
    const GcRole *r = &w->aRole[i];
    switch( r->role ){
      case GC_ORG_ADMIN: case GC_ORG_MEMBER:
        p->aOrgRole[p->nOrgRole++] = i; break;
      case GC_REPO_READER: case GC_REPO_MAINTAINER:
        p->aRepoRole[p->nRepoRole++] = i; break;
      case GC_FOLDER_VIEWER: case GC_FOLDER_EDITOR:
        if( p->aRootLeaf[r->res]>=0 ) p->aLeafRole[p->nLeafRole++] = i;
        break;
      case GC_GLOBAL_ADMIN:
        p->aGlobalAdmin[p->nGlobalAdmin++] = r->user; break;
    }
  }
  return p;
}

void wl_free(Workload *p){
  if( !p ) return;
  free(p->aOrgRepoStart); free(p->aOrgRepo);
  free(p->aRepoIssueStart); free(p->aRepoIssue);
  free(p->aOrgRole); free(p->aRepoRole); free(p->aLeafRole);
  free(p->aRootLeaf); free(p->aCycleLeaf); free(p->aGlobalAdmin);
  free(p->aGroupMemberStart); free(p->aGroupMember);
  free(p->aUserIssues);
  free(p);
}

/* Candidates ------------------------------------------------------------*/
static int random_repo_of_org(Workload *p, int o){
  int n = p->aOrgRepoStart[o + 1] - p->aOrgRepoStart[o];
  return n ? p->aOrgRepo[p->aOrgRepoStart[o] + (int)wl_below(p, n)] : -1;
}

static int random_issue_of_repo(Workload *p, int r){
  int n = p->aRepoIssueStart[r + 1] - p->aRepoIssueStart[r];
  return n ? p->aRepoIssue[p->aRepoIssueStart[r] + (int)wl_below(p, n)] : -1;
}

/* A repository the user reaches through a role: one time in four a direct
** repository role, one in four a role of one of the user's groups,
** otherwise the user's own organization role and one of its repos. */
static int pick_repo_grant(Workload *p, int *pU, int *pRes){
  const GcRole *r;
  uint32_t x = wl_below(p, 4);
  if( x==0 && p->nRepoRole ){
    r = &p->w->aRole[p->aRepoRole[wl_below(p, p->nRepoRole)]];
    *pU = r->user; *pRes = r->res;
    return 1;
  }
  if( x==1 && p->w->nGroupRole ){
    int g, n;
    r = &p->w->aGroupRole[wl_below(p, p->w->nGroupRole)];
    g = r->user;
    n = p->aGroupMemberStart[g + 1] - p->aGroupMemberStart[g];
    if( n==0 ) return 0;
    *pU = p->aGroupMember[p->aGroupMemberStart[g] + (int)wl_below(p, n)];
    *pRes = random_repo_of_org(p, r->res);
    return *pRes>=0;
  }
  if( !p->nOrgRole ) return 0;
  r = &p->w->aRole[p->aOrgRole[wl_below(p, p->nOrgRole)]];
  *pU = r->user;
  *pRes = random_repo_of_org(p, r->res);
  return *pRes>=0;
}

static int pick_repo_any(Workload *p, int *pU, int *pRes){
  if( !p->w->nRepo ) return 0;
  *pU = (int)wl_below(p, p->w->nUser);
  *pRes = (int)wl_below(p, p->w->nRepo);
  return 1;
}

static int pick_issue_grant(Workload *p, int *pU, int *pRes){
  int repo;
  if( !pick_repo_grant(p, pU, &repo) ) return 0;
  *pRes = random_issue_of_repo(p, repo);
  return *pRes>=0;
}

static int pick_issue_any(Workload *p, int *pU, int *pRes){
  if( !p->w->nIssue ) return 0;
  *pU = (int)wl_below(p, p->w->nUser);
  *pRes = (int)wl_below(p, p->w->nIssue);
  return 1;
}

/* maintainers and organization admins may close */
static int pick_issue_close_grant(Workload *p, int *pU, int *pRes){
  int i;
  for(i=0; i<64; i++){
    int u, r;
    if( pick_repo_grant(p, &u, &r) && gc_can_push_repo(p->w, u, r) ){
      *pU = u;
      *pRes = random_issue_of_repo(p, r);
      return *pRes>=0;
    }
  }
  return 0;
}

/* A role on a chain's root, checked on the chain's depth-10 leaf. */
static int pick_folder_grant(Workload *p, int *pU, int *pRes){
  const GcRole *r;
  if( !p->nLeafRole ) return 0;
  r = &p->w->aRole[p->aLeafRole[wl_below(p, p->nLeafRole)]];
  *pU = r->user;
  *pRes = p->aRootLeaf[r->res];
  return 1;
}

/* A depth-10 leaf (one time in five of a chain with a cycle), any user. */
static int pick_folder_any(Workload *p, int *pU, int *pRes){
  if( !p->w->nChainLeaf ) return 0;
  *pU = (int)wl_below(p, p->w->nUser);
  if( p->nCycleLeaf && wl_below(p, 5)==0 ){
    *pRes = p->aCycleLeaf[wl_below(p, p->nCycleLeaf)];
  }else{
    *pRes = p->w->aChainLeaf[wl_below(p, p->w->nChainLeaf)];
  }
  return 1;
}

static int pick_global_grant(Workload *p, int *pU, int *pRes){
  if( !p->nGlobalAdmin || !p->w->nRepo ) return 0;
  *pU = p->aGlobalAdmin[wl_below(p, p->nGlobalAdmin)];
  *pRes = (int)wl_below(p, p->w->nRepo);
  return 1;
}


/* The checks ------------------------------------------------------------*/
const WlCheck wl_aCheck[] = {
  { "rbac_repo_read", "RBAC repo read", "read", GC_REPO,
    gc_can_read_repo, pick_repo_grant, pick_repo_any, 10, 40, 1.5 },
  { "rebac_issue_read", "ReBAC issue>repo>org read", "read", GC_ISSUE,
    gc_can_read_issue, pick_issue_grant, pick_issue_any, 10, 40, 1.5 },
  { "rebac_issue_close", "ReBAC issue>repo>org close", "close", GC_ISSUE,
    gc_can_push_issue, pick_issue_close_grant, pick_issue_any, 10, 40, 1.5 },
  { "folder10_read", "10 nested folders read", "read", GC_FOLDER,
    gc_can_read_folder, pick_folder_grant, pick_folder_any, 50, 0, 0 },
  { "global_repo_delete", "global role repo delete", "delete", GC_REPO,
    gc_can_delete_repo, pick_global_grant, pick_repo_any, 10, 40, 1.5 },
};
const int wl_nCheck = (int)(sizeof(wl_aCheck)/sizeof(wl_aCheck[0]));

const WlList wl_aList[] = {
  { "list_issue_10", "list Issue read (~10)", 10 },
  { "list_issue_1k", "list Issue read (~1k)", 1000 },
  { "list_issue_10k", "list Issue read (~10k)", 10000 },
};
const int wl_nList = (int)(sizeof(wl_aList)/sizeof(wl_aList[0]));

int wl_pool(Workload *p, const WlCheck *c, int bWant, WlInput *aOut, int nMax){
  int n = 0;
  long nTry;
  /* each pool has its own sequence: the same inputs whatever else ran */
  brng_seed(&p->rng, p->seed ^ bhash_str(c->zName, (int)strlen(c->zName)) ^ (uint64_t)bWant);
  for(nTry=0; n<nMax && nTry<(long)nMax*200; nTry++){
    int u, res;
    int ok = bWant ? c->xPickAllow(p, &u, &res) : c->xPickDeny(p, &u, &res);
    if( !ok || c->xOracle(p->w, u, res)!=bWant ) continue;
    memset(&aOut[n], 0, sizeof(WlInput));
    aOut[n].user = u;
    aOut[n].res = res;
    aOut[n].expect = bWant;
    gc_ref(aOut[n].zUser, GC_USER, u);
    gc_ref(aOut[n].zRes, c->eResKind, res);
    n++;
  }
  return n;
}

/* Lists ----------------------------------------------------------------*/

/* Issues each user may read: those of every organization the user, or one
** of the user's groups, holds a role on, plus those of repositories the
** user holds a direct role on whose organization is not already counted.
** Marks are stamped with the user's number, so nothing is cleared. */
static void count_readable_issues(Workload *p){
  const GcWorld *w = p->w;
  long *aOrgIssues = bxmalloc(sizeof(long)*(size_t)w->nOrg);
  int *aOrgMark = bxmalloc(sizeof(int)*(size_t)w->nOrg);
  int *aRepoMark = bxmalloc(sizeof(int)*(size_t)(w->nRepo ? w->nRepo : 1));
  int *aUserRoleStart, *aUserRole, *aRoleUser, *aGroupRoleStart, *aGroupRoleIdx;
  int u, i, k;
  aRoleUser = bxmalloc(sizeof(int)*(size_t)(w->nRole + w->nGroupRole + 1));
  for(i=0; i<w->nRole; i++) aRoleUser[i] = w->aRole[i].user;
  csr_build(aRoleUser, w->nRole, w->nUser, &aUserRoleStart, &aUserRole);
  for(i=0; i<w->nGroupRole; i++) aRoleUser[i] = w->aGroupRole[i].user;
  csr_build(aRoleUser, w->nGroupRole, w->nGroup, &aGroupRoleStart, &aGroupRoleIdx);
  free(aRoleUser);
  memset(aOrgIssues, 0, sizeof(long)*(size_t)w->nOrg);
  for(i=0; i<w->nIssue; i++) aOrgIssues[w->aRepoOrg[w->aIssueRepo[i]]]++;
  for(i=0; i<w->nOrg; i++) aOrgMark[i] = -1;
  for(i=0; i<w->nRepo; i++) aRepoMark[i] = -1;
  p->aUserIssues = bxmalloc(sizeof(long)*(size_t)w->nUser);
  for(u=0; u<w->nUser; u++){
    long n = 0;
    for(k=aUserRoleStart[u]; k<aUserRoleStart[u + 1]; k++){
      const GcRole *r = &w->aRole[aUserRole[k]];
      if( (r->role==GC_ORG_ADMIN || r->role==GC_ORG_MEMBER) && aOrgMark[r->res]!=u ){
        aOrgMark[r->res] = u;
        n += aOrgIssues[r->res];
      }
    }
    for(k=w->aUserGroupStart[u]; k<w->aUserGroupStart[u + 1]; k++){
      int g = w->aUserGroup[k], j;
      for(j=aGroupRoleStart[g]; j<aGroupRoleStart[g + 1]; j++){
        const GcRole *r = &w->aGroupRole[aGroupRoleIdx[j]];
        if( aOrgMark[r->res]!=u ){
          aOrgMark[r->res] = u;
          n += aOrgIssues[r->res];
        }
      }
    }
    for(k=aUserRoleStart[u]; k<aUserRoleStart[u + 1]; k++){
      const GcRole *r = &w->aRole[aUserRole[k]];
      if( (r->role==GC_REPO_READER || r->role==GC_REPO_MAINTAINER)
       && aOrgMark[w->aRepoOrg[r->res]]!=u && aRepoMark[r->res]!=u ){
        aRepoMark[r->res] = u;
        n += p->aRepoIssueStart[r->res + 1] - p->aRepoIssueStart[r->res];
      }
    }
    p->aUserIssues[u] = n;
  }
  free(aUserRoleStart); free(aUserRole); free(aGroupRoleStart); free(aGroupRoleIdx);
  free(aOrgIssues); free(aOrgMark); free(aRepoMark);
}

int wl_issue_list_user(Workload *p, long nTarget, long *pnCount){
  int u, best = 0;
  long dBest = -1;
  if( !p->aUserIssues ) count_readable_issues(p);
  for(u=0; u<p->w->nUser; u++){
    long d = p->aUserIssues[u] - nTarget;
    if( d<0 ) d = -d;
    if( dBest<0 || d<dBest ){ dBest = d; best = u; }
  }
  if( pnCount ) *pnCount = p->aUserIssues[best];
  return best;
}

/* Actions ----------------------------------------------------------------*/
int wl_actions_pool(Workload *p, WlInput *aOut, int nMax){
  const GcWorld *w = p->w;
  int n = 0;
  long nTry;
  brng_seed(&p->rng, p->seed ^ bhash_str("actions_repo", 12));
  for(nTry=0; n<nMax && nTry<(long)nMax*50; nTry++){
    int u, res, ok;
    uint32_t x = wl_below(p, 6);
    if( x<3 ) ok = pick_repo_grant(p, &u, &res);
    else if( x==3 ) ok = pick_global_grant(p, &u, &res);
    else ok = pick_repo_any(p, &u, &res);
    if( !ok ) continue;
    memset(&aOut[n], 0, sizeof(WlInput));
    aOut[n].user = u;
    aOut[n].res = res;
    aOut[n].expect = gc_repo_actions(w, u, res);
    gc_ref(aOut[n].zUser, GC_USER, u);
    gc_ref(aOut[n].zRes, GC_REPO, res);
    n++;
  }
  return n;
}
