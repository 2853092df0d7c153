/*
** closure.c — implications between roles and permissions, found once when
** a policy is built, so that the compiler can fold them instead of
** expanding one rule per role.
**
** A rule is a pure implication when its body is one call of a predicate of
** the same arity that repeats the head exactly except for one constant:
**
**   has_permission(actor, "read", resource: Repository) if
**       has_role(actor, "reader", resource);            ("read" if "reader")
**   has_role(actor, "reader", resource: Repository) if
**       has_role(actor, "maintainer", resource);        ("reader" if "maintainer")
**
** Every other position holds a distinct variable, passed through unchanged.
** Such a rule says: to prove (has_permission, "read") of some actor and
** resource, (has_role, "reader") of the same two suffices. The compiler
** (compile/plan.c) closes a call's constant under these edges — for
** (has_permission, "read") on a Repository: "read", and the roles
** "reader" and "maintainer" — and asks each predicate once, with its
** constants as one IN list, instead of one branch per rule. An edge
** applies to a call only when the call's types at the other positions are
** all types the rule's variables accept (the rule's specializers).
*/
#include "pl_int.h"
#include <string.h>

/* If clause c is a pure implication, fill *pOut and return 1. */
static int clause_implies(const PlPolicy *p, int iClause, PlImply *pOut){
  const PlClause *c = &p->aClause[iClause];
  const PlPred *pr = &p->aPred[c->iPred];
  const PlLit *l;
  int k, j, kConst = -1;
  if( c->nLit!=1 ) return 0;
  l = &c->aLit[0];
  if( l->eKind!=PL_LIT_CALL || l->nArg!=pr->nArg ) return 0;
  if( c->nVar!=pr->nArg-1 ) return 0;
  for(k=0; k<pr->nArg; k++){
    const PlITerm *h = &c->aHead[k], *b = &l->aArg[k];
    if( h->eKind==PL_IT_CONST && b->eKind==PL_IT_CONST ){
      if( kConst>=0 ) return 0;
      if( h->c.iType==PL_TYPE_INTEGER || b->c.iType==PL_TYPE_INTEGER ) return 0;
      kConst = k;
      continue;
    }
    if( h->eKind!=PL_IT_VAR || b->eKind!=PL_IT_VAR || h->iVar!=b->iVar ) return 0;
    for(j=0; j<k; j++){
      if( c->aHead[j].eKind==PL_IT_VAR && c->aHead[j].iVar==h->iVar ) return 0;
    }
  }
  if( kConst<0 ) return 0;
  memset(pOut, 0, sizeof(*pOut));
  pOut->iClause = iClause;
  pOut->iPred = c->iPred;
  pOut->k = kConst;
  pOut->head = c->aHead[kConst].c;
  pOut->iCallPred = l->iPred;
  pOut->body = l->aArg[kConst].c;
  for(k=0; k<pr->nArg; k++){
    if( k!=kConst ) pOut->aTs[k] = c->aVar[c->aHead[k].iVar].ts;
  }
  return 1;
}

int pl_policy_implications(PlPolicy *p){
  int i, n = 0;
  PlImply one;
  for(i=0; i<p->nClause; i++){
    p->aClause[i].iImply = -1;
    if( clause_implies(p, i, &one) ) n++;
  }
  if( n==0 ) return SQLITE_OK;
  p->aImply = pl_arena_alloc(p->pArena, sizeof(PlImply)*(size_t)n);
  if( p->aImply==0 ) return SQLITE_NOMEM;
  for(i=0; i<p->nClause; i++){
    if( clause_implies(p, i, &p->aImply[p->nImply]) ){
      p->aClause[i].iImply = p->nImply++;
    }
  }
  return SQLITE_OK;
}

/*------------------------------------------------------------ wildcards ---
** Which answers may come out as wildcards ('T:', any value of T): a head
** variable that no positive call in the body binds to a value — a policy
** fact such as has_permission(_: User, "read", _: Organization), a global
** role granting on every resource — is answered as "any value" of each of
** its types. A call binds its variable unless the callee itself may answer
** that position with a wildcard. Over-approximated (types are not followed
** through calls), to a fixpoint. The compiler reads PlPred.aWild where it
** joins a unit's answers: a wildcard answer there must leave its variable
** free rather than be compared as a string. */
static int var_grounded(const PlPolicy *p, const PlClause *c, int v,
                        const unsigned char *aGround){
  int j, k;
  for(j=0; j<c->nLit; j++){
    const PlLit *l = &c->aLit[j];
    for(k=0; k<l->nArg; k++){
      const PlITerm *t = &l->aArg[k];
      if( t->eKind!=PL_IT_VAR || t->iVar!=v ) continue;
      if( l->eKind==PL_LIT_CALL ){
        PlTypeSet w = p->aPred[l->iPred].aWild[k];
        pl_ts_and(&w, &c->aVar[v].ts);
        if( pl_ts_empty(&w) ) return 1;
      }else if( l->eKind==PL_LIT_UNIFY ){
        const PlITerm *o = &l->aArg[1-k];
        if( o->eKind!=PL_IT_VAR || aGround[o->iVar] ) return 1;
      }else if( l->eKind==PL_LIT_IN && k==0 ){
        int m, g = 1;
        for(m=1; m<l->nArg; m++){
          if( l->aArg[m].eKind==PL_IT_VAR && !aGround[l->aArg[m].iVar] ) g = 0;
        }
        if( g ) return 1;
      }
    }
  }
  return 0;
}

int pl_policy_wildcards(PlPolicy *p){
  int changed = 1, i, k, v;
  while( changed ){
    changed = 0;
    for(i=0; i<p->nClause; i++){
      const PlClause *c = &p->aClause[i];
      PlPred *pr = &p->aPred[c->iPred];
      unsigned char aGround[256];
      int nV = c->nVar<256 ? c->nVar : 256, more = 1;
      memset(aGround, 0, sizeof(aGround));
      while( more ){
        more = 0;
        for(v=0; v<nV; v++){
          if( !aGround[v] && var_grounded(p, c, v, aGround) ){ aGround[v] = 1; more = 1; }
        }
      }
      for(k=0; k<pr->nArg; k++){
        const PlITerm *h = &c->aHead[k];
        PlTypeSet w;
        if( h->eKind!=PL_IT_VAR || (h->iVar<256 && aGround[h->iVar]) ) continue;
        w = pr->aWild[k];
        pl_ts_or(&w, &c->aVar[h->iVar].ts);
        if( memcmp(&w, &pr->aWild[k], sizeof(w))!=0 ){
          pr->aWild[k] = w;
          changed = 1;
        }
      }
    }
  }
  return SQLITE_OK;
}
