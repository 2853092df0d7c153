/*
** reads.c — which Strings each argument position can be read with: the
** ground for refusing a value that no rule could read (a typo) instead of
** answering 0 or storing it without a word (docs/values.md, "Values no rule
** could read").
**
** Two questions, for each predicate p and position k where a String goes:
**
**   answers(p, k)  the Strings a goal p(..., s at k, ...) can hold with:
**                  the string literals the rules of p put there (in their
**                  heads, or through the predicates their variables are
**                  passed to, or an `=`/`in` on string literals), unless a
**                  rule leaves the position open (a variable compared with
**                  nothing: any String holds, e.g. `allow(a, _, r) if
**                  is_admin(a)`). A stored predicate adds its fact table as
**                  a source: a fact may hold any String there, so a String
**                  outside the literals is readable iff a stored fact has it
**                  (the checks probe the table; sql/check.c).
**   reads(p, k)    the Strings the rules ask stored facts of p for at k:
**                  the literals at k of every call of p in a rule body
**                  (`has_relation(r, "parent", o)`), or any String when some
**                  call passes a variable there, or when p is declared and
**                  never called. A fact with another String at k is one no
**                  rule reads (store.c refuses it).
**
** answers also carries the types a goal can hold with at k, found the same
** way (the literal's type, the variable's inferred types, what the called
** predicate answers, a stored predicate's signatures): a value of another
** type is one no rule could read either.
**
** answers is a least fixpoint over the rules (recursion is common): sets
** only grow, so iterating until nothing changes terminates. Strings are
** indexes into the policy's table of String literals (PlPolicy.azStr), kept
** as bitsets. Computed once per policy, on first use, into its arena.
*/
#include "pl_int.h"
#include <string.h>

struct PlReads {
  int nStr;                     /* bits in each set (PlPolicy.nStr) */
  PlReadPos *aAnswer;           /* nPred * PL_MAX_ARGS */
  PlReadPos *aRead;             /* nPred * PL_MAX_ARGS */
};

static int reads_set_bit(PlArena *pArena, int nStr, PlReadPos *p, int iStr){
  unsigned char m = (unsigned char)(1u << (iStr & 7));
  if( p->aBit==0 ){
    p->aBit = pl_arena_alloc(pArena, (size_t)(nStr+7)/8);
    if( p->aBit==0 ) return -1;
  }
  if( p->aBit[iStr>>3] & m ) return 0;
  p->aBit[iStr>>3] |= m;
  return 1;
}

int pl_read_has(const PlReadPos *p, int iStr){
  return iStr>=0 && p->aBit && (p->aBit[iStr>>3] & (1u << (iStr & 7)))!=0;
}

/* Merge src into dst; 1 if dst grew, 0 if not, -1 on OOM. */
static int reads_merge(PlArena *pArena, int nStr, PlReadPos *dst, const PlReadPos *src){
  int i, bGrew = 0;
  PlTypeSet ts = dst->ts;
  if( src->bAny && !dst->bAny ){ dst->bAny = 1; bGrew = 1; }
  pl_ts_or(&dst->ts, &src->ts);
  if( memcmp(&ts, &dst->ts, sizeof(ts))!=0 ) bGrew = 1;
  if( src->aBit ){
    int nByte = (nStr+7)/8;
    for(i=0; i<nByte; i++){
      unsigned char b = src->aBit[i];
      if( b==0 ) continue;
      if( dst->aBit==0 ){
        dst->aBit = pl_arena_alloc(pArena, (size_t)nByte);
        if( dst->aBit==0 ) return -1;
      }
      if( (dst->aBit[i] | b)!=dst->aBit[i] ){ dst->aBit[i] |= b; bGrew = 1; }
    }
  }
  for(i=0; i<src->nSrc; i++){
    int j;
    for(j=0; j<dst->nSrc && dst->aSrc[j]!=src->aSrc[i]; j++){}
    if( j==dst->nSrc ){
      int *aNew = pl_arena_grow(pArena, dst->aSrc, dst->nSrc, dst->nSrc+1, sizeof(int));
      if( aNew==0 ) return -1;
      aNew[dst->nSrc++] = src->aSrc[i];
      dst->aSrc = aNew;
      bGrew = 1;
    }
  }
  return bGrew;
}

/* A string constant's index in the policy's string table, or -1. */
static int reads_const(const PlPolicy *pPol, const PlITerm *t){
  if( t->eKind!=PL_IT_CONST || t->c.iType!=PL_TYPE_STRING ) return -1;
  return pl_policy_find_str(pPol, t->c.z, t->c.n);
}
/* What variable iVar of clause cl can be, by the first thing that
** constrains it: an `=` or `in` with string literals, or the first
** positive call it is passed to. Unconstrained: any String. */
static int reads_var(const PlPolicy *pPol, PlReads *r, const PlClause *cl, int iVar,
                     PlReadPos *pOut){
  int i, j;
  for(i=0; i<cl->nLit; i++){
    const PlLit *l = &cl->aLit[i];
    if( l->eKind==PL_LIT_UNIFY && l->nArg==2 ){
      for(j=0; j<2; j++){
        if( l->aArg[j].eKind==PL_IT_VAR && l->aArg[j].iVar==iVar
         && l->aArg[1-j].eKind==PL_IT_CONST ){
          int s = reads_const(pPol, &l->aArg[1-j]);
          pl_ts_add(&pOut->ts, l->aArg[1-j].c.iType);
          if( s>=0 ) return reads_set_bit(pPol->pArena, r->nStr, pOut, s)<0 ? -1 : 0;
          return 0;
        }
      }
    }
    if( l->eKind==PL_LIT_IN && l->nArg>=1 && l->aArg[0].eKind==PL_IT_VAR
     && l->aArg[0].iVar==iVar ){
      int bAll = 1;
      for(j=1; j<l->nArg && bAll; j++) bAll = reads_const(pPol, &l->aArg[j])>=0;
      if( bAll ){
        pl_ts_add(&pOut->ts, PL_TYPE_STRING);
        for(j=1; j<l->nArg; j++){
          if( reads_set_bit(pPol->pArena, r->nStr, pOut, reads_const(pPol, &l->aArg[j]))<0 ){
            return -1;
          }
        }
        return 0;
      }
    }
  }
  for(i=0; i<cl->nLit; i++){
    const PlLit *l = &cl->aLit[i];
    if( l->eKind!=PL_LIT_CALL ) continue;
    for(j=0; j<l->nArg && j<PL_MAX_ARGS; j++){
      if( l->aArg[j].eKind==PL_IT_VAR && l->aArg[j].iVar==iVar ){
        return reads_merge(pPol->pArena, r->nStr, pOut,
                           &r->aAnswer[l->iPred*PL_MAX_ARGS + j])<0 ? -1 : 0;
      }
    }
  }
  pOut->bAny = 1;
  pOut->ts = cl->aVar[iVar].ts;
  return 0;
}

/* One round over every clause; 1 if some set grew, -1 on OOM. */
static int reads_round(const PlPolicy *pPol, PlReads *r){
  int c, k, bGrew = 0;
  for(c=0; c<pPol->nClause; c++){
    const PlClause *cl = &pPol->aClause[c];
    const PlPred *p = &pPol->aPred[cl->iPred];
    for(k=0; k<p->nArg && k<PL_MAX_ARGS; k++){
      const PlITerm *h = &cl->aHead[k];
      PlReadPos add;
      int g;
      memset(&add, 0, sizeof(add));
      if( h->eKind==PL_IT_CONST ){
        int s = reads_const(pPol, h);
        pl_ts_add(&add.ts, h->c.iType);
        if( s>=0 && reads_set_bit(pPol->pArena, r->nStr, &add, s)<0 ) return -1;
      }else if( h->eKind==PL_IT_VAR ){
        if( reads_var(pPol, r, cl, h->iVar, &add)<0 ) return -1;
        /* the head's own type bound holds too (a typed parameter) */
        pl_ts_and(&add.ts, &cl->aVar[h->iVar].ts);
        if( !pl_ts_has(&add.ts, PL_TYPE_STRING) ){ add.bAny = 0; add.aBit = 0; add.nSrc = 0; }
      }else{
        pl_ts_add(&add.ts, PL_TYPE_INTEGER);          /* @current_unix_time */
      }
      g = reads_merge(pPol->pArena, r->nStr, &r->aAnswer[cl->iPred*PL_MAX_ARGS + k], &add);
      if( g<0 ) return -1;
      bGrew |= g;
    }
  }
  return bGrew;
}

static int reads_build(PlPolicy *pPol, PlReads *r){
  int p, k, c, i, g;
  size_t n = (size_t)pPol->nPred * PL_MAX_ARGS;
  r->nStr = pPol->nStr;
  r->aAnswer = pl_arena_alloc(pPol->pArena, sizeof(PlReadPos)*(n ? n : 1));
  r->aRead = pl_arena_alloc(pPol->pArena, sizeof(PlReadPos)*(n ? n : 1));
  if( r->aAnswer==0 || r->aRead==0 ) return SQLITE_NOMEM;
  /* stored facts (and bindings) are sources of any String */
  for(p=0; p<pPol->nPred; p++){
    const PlPred *pr = &pPol->aPred[p];
    int bBound = 0;
    for(i=0; i<pPol->nBinding; i++) bBound |= pPol->aBinding[i].iPred==p;
    for(k=0; k<pr->nArg && k<PL_MAX_ARGS; k++){
      PlReadPos *a = &r->aAnswer[p*PL_MAX_ARGS + k];
      if( pr->bStored || bBound ) a->ts = pr->aStoreTs[k];
      if( bBound && pl_ts_has(&pr->aStoreTs[k], PL_TYPE_STRING) ) a->bAny = 1;
      if( pr->bStored && pl_ts_has(&pr->aStoreTs[k], PL_TYPE_STRING) ){
        a->aSrc = pl_arena_alloc(pPol->pArena, sizeof(int));
        if( a->aSrc==0 ) return SQLITE_NOMEM;
        a->aSrc[0] = p*PL_MAX_ARGS + k;
        a->nSrc = 1;
      }
    }
  }
  while( (g = reads_round(pPol, r))>0 ){}
  if( g<0 ) return SQLITE_NOMEM;
  /* what the rules ask stored facts for */
  for(c=0; c<pPol->nClause; c++){
    const PlClause *cl = &pPol->aClause[c];
    for(i=0; i<cl->nLit; i++){
      const PlLit *l = &cl->aLit[i];
      if( l->eKind!=PL_LIT_CALL && l->eKind!=PL_LIT_NOTCALL ) continue;
      for(k=0; k<l->nArg && k<PL_MAX_ARGS; k++){
        PlReadPos *a = &r->aRead[l->iPred*PL_MAX_ARGS + k];
        int s = reads_const(pPol, &l->aArg[k]);
        if( s>=0 ){
          if( reads_set_bit(pPol->pArena, r->nStr, a, s)<0 ) return SQLITE_NOMEM;
        }else if( l->aArg[k].eKind==PL_IT_VAR ){
          a->bAny = 1;
        }
      }
    }
  }
  /* a stored predicate no rule calls (declared): any String */
  for(p=0; p<pPol->nPred; p++){
    const PlPred *pr = &pPol->aPred[p];
    for(k=0; k<pr->nArg && k<PL_MAX_ARGS; k++){
      PlReadPos *a = &r->aRead[p*PL_MAX_ARGS + k];
      if( !a->bAny && a->aBit==0 ) a->bAny = 1;
    }
  }
  return SQLITE_OK;
}

/* The sets are a cache of what the policy says, filled on first use: the
** policy itself does not change, so callers holding it const may ask. */
int pl_reads(const PlPolicy *pConst, const PlReads **ppReads){
  PlPolicy *pPol = (PlPolicy*)pConst;
  if( pPol->pReads==0 ){
    PlReads *r = pl_arena_alloc(pPol->pArena, sizeof(*r));
    if( r==0 || reads_build(pPol, r)!=SQLITE_OK ) return SQLITE_NOMEM;
    pPol->pReads = r;
  }
  *ppReads = pPol->pReads;
  return SQLITE_OK;
}

const PlReadPos *pl_reads_answer(const PlReads *r, int iPred, int k){
  return &r->aAnswer[iPred*PL_MAX_ARGS + k];
}

const PlReadPos *pl_reads_read(const PlReads *r, int iPred, int k){
  return &r->aRead[iPred*PL_MAX_ARGS + k];
}

void pl_read_suggest(const PlPolicy *pPol, const PlReadPos *p, PlSuggest *pSg){
  int i;
  for(i=0; i<pPol->nStr; i++){
    if( pl_read_has(p, i) ) pl_suggest_try(pSg, pPol->azStr[i], pPol->anStr[i]);
  }
}

void pl_read_append(sqlite3_str *pOut, const PlPolicy *pPol, const PlReadPos *p, int nMax){
  int i, n = 0;
  for(i=0; i<pPol->nStr; i++){
    if( !pl_read_has(p, i) ) continue;
    if( n==nMax ){ sqlite3_str_appendall(pOut, ", ..."); break; }
    sqlite3_str_appendf(pOut, "%s'%.*s'", n ? ", " : "", pPol->anStr[i], pPol->azStr[i]);
    n++;
  }
}

/* 1 if z[0..n) is a String the policy mentions: a literal of a rule, or a
** role, permission or relation name a block declares. */
int pl_policy_mentions(const PlPolicy *pPol, const char *z, int n){
  const PlProgram *g = pPol->pProg;
  int i, j;
  if( pl_policy_find_str(pPol, z, n)>=0 ) return 1;
  for(i=0; g && i<g->nBlock; i++){
    const PlBlock *b = &g->aBlock[i];
    for(j=0; j<b->nRole; j++){
      if( (int)strlen(b->azRole[j])==n && memcmp(b->azRole[j], z, (size_t)n)==0 ) return 1;
    }
    for(j=0; j<b->nPerm; j++){
      if( (int)strlen(b->azPerm[j])==n && memcmp(b->azPerm[j], z, (size_t)n)==0 ) return 1;
    }
    for(j=0; j<b->nRel; j++){
      if( (int)strlen(b->aRel[j].zName)==n && memcmp(b->aRel[j].zName, z, (size_t)n)==0 ) return 1;
    }
  }
  return 0;
}
