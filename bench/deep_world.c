/*
** deep_world.c — see deep_world.h.
*/
#include "deep_world.h"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_GROUP_LAYER   4
#define N_LIST_GROUP    3        /* groups 0..2 belong to the list user */
#define GROUP_ROLES     10       /* roles per group */

static const char *const azRole[DW_NROLE] = { "String:viewer", "String:editor", "String:admin" };

/* A role fact before it is sorted by principal. */
typedef struct RoleFact { int32_t principal; DwRole r; } RoleFact;

typedef struct Gen {
  DeepWorld *w;
  BRng rng;
  BSet seen;                       /* role facts already made */
  RoleFact *aRole; long nRole, nRoleAlloc;
  int32_t *aEdge; long nEdge, nEdgeAlloc;  /* has_group pairs (member, group) */
} Gen;

/*------------------------------------------------------------ building ---*/
static int pick_role(BRng *r){
  double x = brng_unit(r);
  return x<0.6 ? DW_VIEWER : x<0.9 ? DW_EDITOR : DW_ADMIN;
}

/* Adds a role fact unless it exists; 1 if added. */
static int add_role(Gen *g, int principal, int level, int res, int role){
  uint64_t key = ((uint64_t)principal << 32) | ((uint64_t)level << 28)
               | ((uint64_t)role << 26) | (uint64_t)res;
  if( !bset_add(&g->seen, key + 1) ) return 0;
  if( g->nRole==g->nRoleAlloc ){
    g->nRoleAlloc = g->nRoleAlloc ? g->nRoleAlloc * 2 : 4096;
    g->aRole = bxrealloc(g->aRole, sizeof(RoleFact)*(size_t)g->nRoleAlloc);
  }
  g->aRole[g->nRole].principal = principal;
  g->aRole[g->nRole].r.res = res;
  g->aRole[g->nRole].r.level = (int8_t)level;
  g->aRole[g->nRole].r.role = (int8_t)role;
  g->nRole++;
  return 1;
}

/* has_group(member, group), member a principal number; 1 if new. */
static int add_edge(Gen *g, int member, int group){
  if( !bset_add(&g->seen, ((uint64_t)1 << 63) | ((uint64_t)member << 32) | (uint64_t)group) ){
    return 0;
  }
  if( g->nEdge + 2 > g->nEdgeAlloc ){
    g->nEdgeAlloc = g->nEdgeAlloc ? g->nEdgeAlloc * 2 : 4096;
    g->aEdge = bxrealloc(g->aEdge, sizeof(int32_t)*(size_t)g->nEdgeAlloc);
  }
  g->aEdge[g->nEdge++] = member;
  g->aEdge[g->nEdge++] = group;
  return 1;
}

/* CSR of the edges whose member lies in [lo, lo+n): aStart[n+1], aTo[]. */
static void edges_csr(const Gen *g, int lo, int n, int32_t **paStart, int32_t **paTo){
  int32_t *aStart = bxmalloc(sizeof(int32_t)*(size_t)(n + 1));
  int32_t *aTo;
  long i;
  memset(aStart, 0, sizeof(int32_t)*(size_t)(n + 1));
  for(i=0; i<g->nEdge; i+=2){
    int m = g->aEdge[i] - lo;
    if( m>=0 && m<n ) aStart[m + 1]++;
  }
  for(i=0; i<n; i++) aStart[i + 1] += aStart[i];
  aTo = bxmalloc(sizeof(int32_t)*(size_t)(aStart[n] + 1));
  {
    int32_t *aFill = bxmalloc(sizeof(int32_t)*(size_t)(n + 1));
    memcpy(aFill, aStart, sizeof(int32_t)*(size_t)(n + 1));
    for(i=0; i<g->nEdge; i+=2){
      int m = g->aEdge[i] - lo;
      if( m>=0 && m<n ) aTo[aFill[m]++] = g->aEdge[i + 1];
    }
    free(aFill);
  }
  *paStart = aStart;
  *paTo = aTo;
}

static void build_forest(Gen *g, long nFacts){
  DeepWorld *w = g->w;
  int i, k, F = DW_FANOUT;
  double sum;
  long n0;
  /* fan-out 3, or 2 when even one tree of fan-out 3 would not fit */
  for(;;){
    double p = 1;
    sum = 0;
    for(i=0; i<w->nLevel; i++){ sum += p; p *= F; }
    if( F==2 || sum<=0.4 * (double)nFacts ) break;
    F = 2;
  }
  n0 = (long)(0.4 * (double)nFacts / sum);
  if( n0<1 ) n0 = 1;
  for(i=0; i<w->nLevel; i++){
    long n = i==0 ? n0 : (long)w->aCount[i - 1] * F;
    if( n>(1L<<26) ) bdie("too many resources at level %d", i);
    w->aCount[i] = (int)n;
    w->aParent[i] = bxmalloc(sizeof(int32_t)*(size_t)(n + 1));
    for(k=0; k<n; k++){
      w->aParent[i][k] = i==0 ? -1 : (int32_t)brng_below(&g->rng, (uint32_t)w->aCount[i - 1]);
    }
    if( i>0 ) w->nRelation += n;
  }
  w->nFanout = F;
  /* children, for walking down */
  for(i=0; i+1<w->nLevel; i++){
    int n = w->aCount[i], nc = w->aCount[i + 1];
    int32_t *aStart = bxmalloc(sizeof(int32_t)*(size_t)(n + 1));
    int32_t *aFill = bxmalloc(sizeof(int32_t)*(size_t)(n + 1));
    int32_t *aChild = bxmalloc(sizeof(int32_t)*(size_t)(nc + 1));
    memset(aStart, 0, sizeof(int32_t)*(size_t)(n + 1));
    for(k=0; k<nc; k++) aStart[w->aParent[i + 1][k] + 1]++;
    for(k=0; k<n; k++) aStart[k + 1] += aStart[k];
    memcpy(aFill, aStart, sizeof(int32_t)*(size_t)(n + 1));
    for(k=0; k<nc; k++) aChild[aFill[w->aParent[i + 1][k]]++] = k;
    free(aFill);
    w->aChildStart[i] = aStart;
    w->aChild[i] = aChild;
  }
}

/* Groups 0..2: the list user's, nested in a cycle. Groups from 3 on sit in
** layer (g-3) % 4; a group of layer L < 3 belongs to one of layer L+1 with
** probability 0.8 (and to a second with 0.1). Then of the layer-0 groups
** whose first links reach the top layer, every 50th (the first included)
** is made a member of the top group it reaches: a cycle of four. */
static void build_groups(Gen *g){
  DeepWorld *w = g->w;
  int nU = w->nUser, nG = w->nGroup, gr, nTop;
  long i;
  if( !w->bGroups ) return;
  add_edge(g, nU + 0, 1);
  add_edge(g, nU + 1, 2);
  add_edge(g, nU + 2, 0);
  nTop = (nG - N_LIST_GROUP) / N_GROUP_LAYER;
  for(gr=N_LIST_GROUP; gr<nG; gr++){
    int layer = (gr - N_LIST_GROUP) % N_GROUP_LAYER, j;
    for(j=0; j<2 && layer<N_GROUP_LAYER - 1 && nTop>0; j++){
      int up;
      if( brng_unit(&g->rng) >= (j==0 ? 0.8 : 0.1) ) break;
      up = N_LIST_GROUP + (int)brng_below(&g->rng, (uint32_t)nTop) * N_GROUP_LAYER + layer + 1;
      if( up<nG ) add_edge(g, nU + gr, up);
    }
  }
  /* cycles: follow first links up from layer-0 groups */
  {
    int32_t *aUpStart, *aUp;
    edges_csr(g, nU, nG, &aUpStart, &aUp);
    int nChain = 0;
    for(gr=N_LIST_GROUP; gr<nG; gr+=N_GROUP_LAYER){
      int top = gr, d;
      for(d=0; d<N_GROUP_LAYER - 1 && aUpStart[top]<aUpStart[top + 1]; d++){
        top = aUp[aUpStart[top]];
      }
      if( d==N_GROUP_LAYER - 1 && nChain++ % 50==0 && add_edge(g, nU + top, gr) ) w->nCycle++;
    }
    free(aUpStart); free(aUp);
  }
  /* users: 0..3 groups, mostly of layer 0; user 0 is the list user */
  add_edge(g, 0, 0);
  for(i=1; i<nU && nG>N_LIST_GROUP; i++){
    double x = brng_unit(&g->rng);
    int k, n = x<0.3 ? 0 : x<0.7 ? 1 : x<0.9 ? 2 : 3;
    for(k=0; k<n; k++){
      int any = nG - N_LIST_GROUP;
      if( brng_unit(&g->rng)<0.8 ){
        gr = N_LIST_GROUP + (int)brng_below(&g->rng, (uint32_t)((any + N_GROUP_LAYER - 1) / N_GROUP_LAYER))
             * N_GROUP_LAYER;
        if( gr>=nG ) gr = N_LIST_GROUP;
      }else{
        gr = N_LIST_GROUP + (int)brng_below(&g->rng, (uint32_t)any);
      }
      add_edge(g, (int)i, gr);
    }
  }
  w->nMember = g->nEdge / 2;
}

/* Leaves (R(K-1) resources) below resource k of level i. */
static long leaves_below(const DeepWorld *w, int i, int k){
  long n = 0;
  int j;
  if( i==w->nLevel - 1 ) return 1;
  for(j=w->aChildStart[i][k]; j<w->aChildStart[i][k + 1]; j++){
    n += leaves_below(w, i + 1, w->aChild[i][j]);
  }
  return n;
}

/* The list user reads DW_LIST_TARGET leaves or more: roles on R(K-7)
** resources (R0 when K <= 7), held by itself, by g0 and by g2 in turn. */
static void build_list_user(Gen *g){
  DeepWorld *w = g->w;
  int level = w->nLevel>7 ? w->nLevel - 7 : 0, nTry = 0;
  int aWho[3], nWho = 0;
  long nLeaf = 0;
  w->iListUser = 0;
  aWho[nWho++] = 0;
  if( w->bGroups ){ aWho[nWho++] = w->nUser + 0; aWho[nWho++] = w->nUser + 2; }
  while( nLeaf<DW_LIST_TARGET && nTry<4 * w->aCount[level] + 100 ){
    int res = (int)brng_below(&g->rng, (uint32_t)w->aCount[level]);
    /* distinct resources only: a second role on one adds no leaf */
    uint64_t key = ((uint64_t)1 << 62) | ((uint64_t)level << 28) | (uint64_t)res;
    nTry++;
    if( !bset_add(&g->seen, key) ) continue;
    add_role(g, aWho[nTry % nWho], level, res, pick_role(&g->rng));
    nLeaf += leaves_below(w, level, res);
  }
}

static void add_random_role(Gen *g, int principal){
  const DeepWorld *w = g->w;
  int level = (int)brng_below(&g->rng, (uint32_t)w->nLevel);
  int res = (int)brng_below(&g->rng, (uint32_t)w->aCount[level]);
  add_role(g, principal, level, res, pick_role(&g->rng));
}

DeepWorld *dw_world_new(int nLevel, long nFacts, uint64_t seed, int bGroups){
  DeepWorld *w = bxmalloc(sizeof(DeepWorld));
  Gen g;
  long nFixed, i;
  memset(w, 0, sizeof(*w));
  memset(&g, 0, sizeof(g));
  if( nLevel<1 || nLevel>DW_MAX_LEVEL ) bdie("K must be within 1..%d", DW_MAX_LEVEL);
  w->nLevel = nLevel;
  w->bGroups = bGroups;
  w->seed = seed;
  g.w = w;
  brng_seed(&g.rng, seed * 1000 + (uint64_t)nLevel * 2 + (uint64_t)bGroups);
  bset_init(&g.seen, (size_t)nFacts);

  build_forest(&g, nFacts);
  w->nUser = nFacts/20 > 10 ? (int)(nFacts/20) : 10;
  w->nGroup = bGroups ? (nFacts/200 > 2*N_LIST_GROUP ? (int)(nFacts/200) : 2*N_LIST_GROUP) : 0;
  build_groups(&g);
  if( nLevel>=2 ){
    int n = w->aCount[nLevel - 2], k;
    w->aDefault = bxmalloc((size_t)n + 1);
    memset(w->aDefault, 0, (size_t)n + 1);
    for(k=0; k<n; k++){
      if( brng_unit(&g.rng)<0.1 ){
        w->aDefault[k] = (uint8_t)(1 << pick_role(&g.rng));
        w->nDefault++;
      }
    }
  }
  build_list_user(&g);
  for(i=N_LIST_GROUP; i<w->nGroup; i++){
    int k;
    for(k=0; k<GROUP_ROLES; k++) add_random_role(&g, w->nUser + (int)i);
  }
  nFixed = w->nRelation + w->nMember + w->nDefault + g.nRole;
  if( nFixed>nFacts ) bdie("%ld facts are too few for K=%d (the forest alone needs %ld)",
                          nFacts, nLevel, nFixed);
  while( w->nRelation + w->nMember + w->nDefault + g.nRole < nFacts ){
    add_random_role(&g, 1 + (int)brng_below(&g.rng, (uint32_t)(w->nUser - 1)));
  }
  w->nFact = w->nRelation + w->nMember + w->nDefault + g.nRole;

  /* roles by principal */
  {
    int nP = w->nUser + w->nGroup;
    int32_t *aFill;
    w->aRoleStart = bxmalloc(sizeof(int32_t)*(size_t)(nP + 1));
    memset(w->aRoleStart, 0, sizeof(int32_t)*(size_t)(nP + 1));
    for(i=0; i<g.nRole; i++){
      w->aRoleStart[g.aRole[i].principal + 1]++;
      if( g.aRole[i].principal<w->nUser ) w->nUserRole++;
      else w->nGroupRole++;
    }
    for(i=0; i<nP; i++) w->aRoleStart[i + 1] += w->aRoleStart[i];
    aFill = bxmalloc(sizeof(int32_t)*(size_t)(nP + 1));
    memcpy(aFill, w->aRoleStart, sizeof(int32_t)*(size_t)(nP + 1));
    w->aRole = bxmalloc(sizeof(DwRole)*(size_t)(g.nRole + 1));
    for(i=0; i<g.nRole; i++) w->aRole[aFill[g.aRole[i].principal]++] = g.aRole[i].r;
    free(aFill);
  }
  edges_csr(&g, 0, w->nUser, &w->aUserGroupStart, &w->aUserGroup);
  edges_csr(&g, w->nUser, w->nGroup, &w->aGroupUpStart, &w->aGroupUp);
  free(g.aRole);
  free(g.aEdge);
  bset_free(&g.seen);
  return w;
}

void dw_world_free(DeepWorld *w){
  int i;
  if( !w ) return;
  for(i=0; i<DW_MAX_LEVEL; i++){
    free(w->aParent[i]);
    free(w->aChildStart[i]);
    free(w->aChild[i]);
  }
  free(w->aUserGroupStart); free(w->aUserGroup);
  free(w->aGroupUpStart); free(w->aGroupUp);
  free(w->aRoleStart); free(w->aRole);
  free(w->aDefault);
  free(w);
}

/*------------------------------------------------------------- emitting ---*/
char *dw_res_ref(char *zBuf, int level, int idx){
  snprintf(zBuf, 32, "R%d:n%d", level, idx);
  return zBuf;
}

char *dw_user_ref(char *zBuf, int user){
  snprintf(zBuf, 32, "User:u%d", user);
  return zBuf;
}

static char *principal_ref(const DeepWorld *w, char *zBuf, int p){
  if( p<w->nUser ) return dw_user_ref(zBuf, p);
  snprintf(zBuf, 32, "Group:g%d", p - w->nUser);
  return zBuf;
}

int dw_world_emit(const DeepWorld *w, DwSink xSink, void *pCtx){
  char z[3][32];
  const char *az[3];
  int i, k, rc;
  az[0] = z[0]; az[1] = z[1]; az[2] = z[2];
  for(i=1; i<w->nLevel; i++){
    for(k=0; k<w->aCount[i]; k++){
      dw_res_ref(z[0], i, k);
      snprintf(z[1], 32, "String:parent");
      dw_res_ref(z[2], i - 1, w->aParent[i][k]);
      if( (rc = xSink(pCtx, "has_relation", 3, az))!=0 ) return rc;
    }
  }
  for(k=0; k<w->nUser; k++){
    int j;
    for(j=w->aUserGroupStart[k]; j<w->aUserGroupStart[k + 1]; j++){
      principal_ref(w, z[0], k);
      principal_ref(w, z[1], w->nUser + w->aUserGroup[j]);
      if( (rc = xSink(pCtx, "has_group", 2, az))!=0 ) return rc;
    }
  }
  for(k=0; k<w->nGroup; k++){
    int j;
    for(j=w->aGroupUpStart[k]; j<w->aGroupUpStart[k + 1]; j++){
      principal_ref(w, z[0], w->nUser + k);
      principal_ref(w, z[1], w->nUser + w->aGroupUp[j]);
      if( (rc = xSink(pCtx, "has_group", 2, az))!=0 ) return rc;
    }
  }
  if( w->aDefault ){
    for(k=0; k<w->aCount[w->nLevel - 2]; k++){
      int r;
      for(r=0; r<DW_NROLE; r++){
        if( !(w->aDefault[k] & (1 << r)) ) continue;
        dw_res_ref(z[0], w->nLevel - 2, k);
        snprintf(z[1], 32, "%s", azRole[r]);
        if( (rc = xSink(pCtx, "has_default_role", 2, az))!=0 ) return rc;
      }
    }
  }
  for(k=0; k<w->nUser + w->nGroup; k++){
    int j;
    for(j=w->aRoleStart[k]; j<w->aRoleStart[k + 1]; j++){
      const DwRole *r = &w->aRole[j];
      principal_ref(w, z[0], k);
      snprintf(z[1], 32, "%s", azRole[r->role]);
      dw_res_ref(z[2], r->level, r->res);
      if( (rc = xSink(pCtx, "has_role", 3, az))!=0 ) return rc;
    }
  }
  return 0;
}

/*--------------------------------------------------------------- oracle ---*/
static void principals_add(DwPrincipals *p, int x){
  if( p->n==p->nAlloc ){
    p->nAlloc = p->nAlloc ? p->nAlloc * 2 : 16;
    p->a = bxrealloc(p->a, sizeof(int32_t)*(size_t)p->nAlloc);
  }
  p->a[p->n++] = x;
}

void dw_principals(const DeepWorld *w, int user, DwPrincipals *p){
  int i, j;
  if( !p->aSeen ){
    p->aSeen = bxmalloc(sizeof(uint32_t)*(size_t)(w->nGroup + 1));
    memset(p->aSeen, 0, sizeof(uint32_t)*(size_t)(w->nGroup + 1));
  }
  p->iStamp++;
  p->n = 0;
  principals_add(p, user);
  for(j=w->aUserGroupStart[user]; j<w->aUserGroupStart[user + 1]; j++){
    int gr = w->aUserGroup[j];
    if( p->aSeen[gr]!=p->iStamp ){ p->aSeen[gr] = p->iStamp; principals_add(p, w->nUser + gr); }
  }
  for(i=1; i<p->n; i++){            /* breadth first over supergroups */
    int gr = p->a[i] - w->nUser;
    for(j=w->aGroupUpStart[gr]; j<w->aGroupUpStart[gr + 1]; j++){
      int up = w->aGroupUp[j];
      if( p->aSeen[up]!=p->iStamp ){ p->aSeen[up] = p->iStamp; principals_add(p, w->nUser + up); }
    }
  }
}

void dw_principals_free(DwPrincipals *p){
  free(p->a);
  free(p->aSeen);
  memset(p, 0, sizeof(*p));
}

int dw_allowed(const DeepWorld *w, const DwPrincipals *P, int perm, int leaf, int *pbDefault){
  int32_t anc[DW_MAX_LEVEL];
  int need = perm==DW_READ ? 7 : 6;    /* viewer|editor|admin; editor|admin */
  int i, j, K = w->nLevel, bAbove = 0;
  if( pbDefault ) *pbDefault = 0;
  anc[K - 1] = leaf;
  for(i=K - 1; i>0; i--) anc[i - 1] = w->aParent[i][anc[i]];
  for(i=0; i<P->n; i++){
    for(j=w->aRoleStart[P->a[i]]; j<w->aRoleStart[P->a[i] + 1]; j++){
      const DwRole *r = &w->aRole[j];
      if( r->res!=anc[r->level] ) continue;
      if( need & (1 << r->role) ) return 1;
      /* every role implies viewer, and roles pass down to children */
      if( r->level<=K - 2 ) bAbove = 1;
    }
  }
  /* the default role: on R(K-1) children of a viewer's R(K-2) */
  if( K>=2 && bAbove && (w->aDefault[anc[K - 2]] & need) ){
    if( pbDefault ) *pbDefault = 1;
    return 1;
  }
  return 0;
}
