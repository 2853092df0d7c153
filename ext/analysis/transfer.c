/*
** transfer.c — rules that hand a question from an actor to its groups,
** found once when a policy is built, so that the compiler asks for an
** actor's groups once per call instead of once per level of a resource
** hierarchy.
**
** The rule
**
**   has_role(u: User, role: String, r: Resource) if
**       g matches Group and has_group(u, g) and has_role(g, role, r);
**
** is a transfer at position 0 of has_role: its body calls has_role again
** with every argument passed through but the actor, which becomes a value
** the rest of the body (the transfer's own body) finds from u. The other
** rules of has_role pass the actor along untouched:
**
**   has_role(actor: Actor, "viewer", r: Repo) if
**       has_relation(r, "parent", p) and has_role(actor, "viewer", p);
**
** Unfolded naively, every level of the hierarchy asks the transfer again
** (the groups of u for the repository, for its organization, ...), and the
** SQL grows with levels times groups. When the shape below holds, a proof
** that applies a transfer somewhere under the pass-along rules can apply it
** first instead: has_role(u, ρ, r) holds exactly when some principal p of
** u — u itself, or a g a transfer's body finds from u — has has_role(p, ρ,
** r) without a transfer at the top. The compiler (compile/plan.c) marks the
** actor of a pass-along rule entered from a call whose actor is bound, and
** drops the transfers from calls with a marked actor.
**
** The shape, for predicate P at position k:
**  - a transfer: head argument k a variable u (nowhere else in the head);
**    one body call of P whose argument k is a variable g other than u and
**    whose other arguments are exactly the head's, each a distinct variable
**    used nowhere else in the body and accepting every type P is asked at
**    that position (so a transfer applies wherever the pass-along rules
**    lead: it does not narrow the resource or the role);
**  - every other rule: head argument k a variable v (nowhere else in the
**    head) that the body uses at most once, as argument k of a call of P
**    (never twice: the two calls could be answered by two different
**    groups), and whose types include every type a transfer's g may take
**    (the pass-along rule applies to the group as it does to the actor);
**  - at least one transfer.
** Stored facts of P are no rule and need nothing.
*/
#include "pl_int.h"
#include <string.h>

static int ts_subset(const PlTypeSet *a, const PlTypeSet *b){
  PlTypeSet t = *a;
  pl_ts_and(&t, b);
  return memcmp(&t, a, sizeof(t))==0;
}

/* Occurrences of variable v in c's head, at positions other than k. */
static int head_uses(const PlClause *c, int nArg, int v, int k){
  int j, n = 0;
  for(j=0; j<nArg; j++){
    if( j!=k && c->aHead[j].eKind==PL_IT_VAR && c->aHead[j].iVar==v ) n++;
  }
  return n;
}

/* Occurrences of variable v in c's body, literal iSkip aside. */
static int body_uses(const PlClause *c, int v, int iSkip){
  int j, m, n = 0;
  for(j=0; j<c->nLit; j++){
    if( j==iSkip ) continue;
    for(m=0; m<c->aLit[j].nArg; m++){
      if( c->aLit[j].aArg[m].eKind==PL_IT_VAR && c->aLit[j].aArg[m].iVar==v ) n++;
    }
  }
  return n;
}

/* If clause c is a transfer of its predicate at k, the index of its
** recursive call and g's types in *pG; else -1. */
static int transfer_lit(const PlPolicy *p, const PlClause *c, int k, PlTypeSet *pG){
  const PlPred *pr = &p->aPred[c->iPred];
  int iLit = -1, j, m, u;
  if( c->aHead[k].eKind!=PL_IT_VAR ) return -1;
  u = c->aHead[k].iVar;
  if( head_uses(c, pr->nArg, u, k) ) return -1;
  for(j=0; j<c->nLit; j++){
    const PlLit *l = &c->aLit[j];
    int bPass = 1;
    if( l->eKind!=PL_LIT_CALL || l->iPred!=c->iPred ) continue;
    if( l->aArg[k].eKind!=PL_IT_VAR || l->aArg[k].iVar==u ) continue;
    for(m=0; m<pr->nArg && bPass; m++){
      if( m!=k && (l->aArg[m].eKind!=PL_IT_VAR || c->aHead[m].eKind!=PL_IT_VAR
                   || l->aArg[m].iVar!=c->aHead[m].iVar) ) bPass = 0;
    }
    if( !bPass ) continue;
    if( iLit>=0 ) return -1;            /* two candidate calls */
    iLit = j;
  }
  if( iLit<0 ) return -1;
  for(m=0; m<pr->nArg; m++){
    const PlITerm *h = &c->aHead[m];
    PlTypeSet asked;
    if( m==k ) continue;
    if( head_uses(c, pr->nArg, h->iVar, m) ) return -1;
    if( h->iVar==c->aLit[iLit].aArg[k].iVar ) return -1;
    if( body_uses(c, h->iVar, iLit) ) return -1;
    asked = pr->aHeadTs[m];
    pl_ts_or(&asked, &pr->aStoreTs[m]);
    if( !ts_subset(&asked, &c->aVar[h->iVar].ts) ) return -1;
  }
  if( head_uses(c, pr->nArg, c->aLit[iLit].aArg[k].iVar, -1) ) return -1;
  *pG = c->aVar[c->aLit[iLit].aArg[k].iVar].ts;
  return iLit;
}

/* Does clause c pass argument k along untouched, accepting types g? */
static int passes_along(const PlPolicy *p, const PlClause *c, int k, const PlTypeSet *pG){
  const PlPred *pr = &p->aPred[c->iPred];
  int v, j, n = 0;
  if( c->aHead[k].eKind!=PL_IT_VAR ) return 0;
  v = c->aHead[k].iVar;
  if( head_uses(c, pr->nArg, v, k) ) return 0;
  if( !ts_subset(pG, &c->aVar[v].ts) ) return 0;
  for(j=0; j<c->nLit; j++){
    const PlLit *l = &c->aLit[j];
    int m;
    for(m=0; m<l->nArg; m++){
      if( l->aArg[m].eKind!=PL_IT_VAR || l->aArg[m].iVar!=v ) continue;
      if( l->eKind!=PL_LIT_CALL || l->iPred!=c->iPred || m!=k ) return 0;
      n++;
    }
  }
  return n<=1;
}

static int pred_transfers_at(PlPolicy *p, PlPred *pr, int k){
  PlTypeSet g;
  int i, nT = 0;
  memset(&g, 0, sizeof(g));
  for(i=0; i<pr->nClause; i++){
    PlTypeSet t;
    if( transfer_lit(p, &p->aClause[pr->aClause[i]], k, &t)>=0 ){
      pl_ts_or(&g, &t);
      nT++;
    }
  }
  if( nT==0 ) return 0;
  for(i=0; i<pr->nClause; i++){
    const PlClause *c = &p->aClause[pr->aClause[i]];
    PlTypeSet t;
    if( transfer_lit(p, c, k, &t)>=0 ) continue;
    if( !passes_along(p, c, k, &g) ) return 0;
  }
  return 1;
}

int pl_policy_transfers(PlPolicy *p){
  int i, k;
  for(i=0; i<p->nClause; i++) p->aClause[i].bTransfer = 0;
  for(i=0; i<p->nPred; i++){
    PlPred *pr = &p->aPred[i];
    pr->iTransfer = -1;
    for(k=0; k<pr->nArg && pr->iTransfer<0; k++){
      if( pred_transfers_at(p, pr, k) ) pr->iTransfer = k;
    }
    if( pr->iTransfer>=0 ){
      int j;
      for(j=0; j<pr->nClause; j++){
        PlClause *c = &p->aClause[pr->aClause[j]];
        PlTypeSet t;
        c->bTransfer = transfer_lit(p, c, pr->iTransfer, &t)>=0;
      }
    }
  }
  return SQLITE_OK;
}
