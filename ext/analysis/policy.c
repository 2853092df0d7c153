/*
** policy.c — from Polar source to a checked policy (pl_policy.h).
**
** Steps: parse and desugar (parser.c, desugar.c); build the type table
** (built-ins, one type per actor/resource block, `extends` closure); turn
** every rule body into clauses in disjunctive normal form with numbered
** variables; infer the type set of every variable; check range
** restriction and negation; derive the fact signatures (every call site's
** argument types, plus `declare`).
**
** Type inference (decision 15.4): a variable starts as "any concrete type"
** and is narrowed by its specializer, `matches`, unification with literals
** and other variables, comparisons, `in` lists, and by the head types of
** the rules of any predicate it is passed to. Narrowing is monotone, so
** iterating over all clauses until nothing changes terminates. A variable
** that appears only in a body and is still "any type" at the end is an
** error that names it.
*/
#include "pl_int.h"
#include <string.h>

typedef struct Build {
  PlPolicy *p;
  const PlLimits *pLim;
  char *zErr;
  int rc;
} Build;

#define P_ERR(B, POS, ...) do{ if((B)->rc==SQLITE_OK){ \
    (B)->zErr = pl_errf((B)->p->zFile, (POS).line, (POS).col, __VA_ARGS__); \
    (B)->rc = SQLITE_ERROR; } }while(0)

/*---------------------------------------------------------------- types --*/

static int type_add(PlPolicy *p, const char *zName, int eKind, const PlBlock *pB){
  int i = p->nType++;
  p->aType[i].zName = zName;
  p->aType[i].nName = (int)strlen(zName);
  p->aType[i].eKind = eKind;
  p->aType[i].pBlock = pB;
  return i;
}

int pl_policy_find_type(const PlPolicy *p, const char *z, int n){
  int i;
  if( n<0 ) n = (int)strlen(z);
  for(i=0; i<p->nType; i++){
    if( p->aType[i].nName==n && memcmp(p->aType[i].zName, z, (size_t)n)==0 ){
      return i;
    }
  }
  return -1;
}

static int resolve_type(Build *B, const char *zName, PlPos pos){
  PlPolicy *p = B->p;
  int t = pl_policy_find_type(p, zName, -1), i;
  PlSuggest sg;
  if( t>=0 ) return t;
  pl_suggest_init(&sg, zName, -1);
  for(i=0; i<p->nType; i++) pl_suggest_try(&sg, p->aType[i].zName, p->aType[i].nName);
  if( sg.zBest ){
    P_ERR(B, pos, "unknown type '%s'; did you mean '%.*s'?", zName, sg.nBest, sg.zBest);
  }else{
    P_ERR(B, pos, "unknown type '%s'; declare it with `actor %s {}` or `resource %s {}`",
          zName, zName, zName);
  }
  return -1;
}

static void build_types(Build *B){
  PlPolicy *p = B->p;
  PlProgram *g = p->pProg;
  int i, j, t;
  type_add(p, "String", PL_TK_PRIM, 0);
  type_add(p, "Integer", PL_TK_PRIM, 0);
  type_add(p, "Boolean", PL_TK_PRIM, 0);
  type_add(p, "Actor", PL_TK_ABSTRACT, 0);
  type_add(p, "Resource", PL_TK_ABSTRACT, 0);
  for(i=0; i<g->nBlock; i++){
    const PlBlock *b = &g->aBlock[i];
    if( b->eKind==PL_BLOCK_GLOBAL ) continue;
    if( pl_policy_find_type(p, b->zName, -1)>=0 ){
      P_ERR(B, b->pos, "type '%s' is declared more than once", b->zName);
      return;
    }
    if( p->nType>=PL_MAX_TYPES ){
      P_ERR(B, b->pos, "too many types (the limit is %d)", PL_MAX_TYPES - PL_TYPE_FIRST_APP);
      return;
    }
    type_add(p, b->zName, b->eKind==PL_BLOCK_ACTOR ? PL_TK_ACTOR : PL_TK_RESOURCE, b);
  }
  for(t=0; t<p->nType; t++){
    if( p->aType[t].eKind!=PL_TK_ABSTRACT ){
      pl_ts_add(&p->aType[t].sub, t);
      pl_ts_add(&p->all, t);
    }
  }
  /* extends: add every type to the sub-set of each of its (transitive)
  ** supertypes. desugar.c already rejected unknown supertypes and cycles;
  ** the depth bound below is only a guard. */
  for(t=PL_TYPE_FIRST_APP; t<p->nType; t++){
    int aStack[PL_MAX_TYPES], nStack = 0, nSteps = 0;
    aStack[nStack++] = t;
    while( nStack>0 && nSteps++ < PL_MAX_TYPES*4 ){
      const PlBlock *b = p->aType[aStack[--nStack]].pBlock;
      if( b==0 ) continue;
      for(j=0; j<b->nExtends; j++){
        int s = resolve_type(B, b->azExtends[j], b->aExtendsPos[j]);
        if( s<0 ) return;
        pl_ts_add(&p->aType[s].sub, t);
        if( nStack<PL_MAX_TYPES ) aStack[nStack++] = s;
      }
    }
  }
  for(t=PL_TYPE_FIRST_APP; t<p->nType; t++){
    pl_ts_or(&p->aType[PL_TYPE_RESOURCE].sub, &p->aType[t].sub);
    if( p->aType[t].eKind==PL_TK_ACTOR ){
      pl_ts_or(&p->aType[PL_TYPE_ACTOR].sub, &p->aType[t].sub);
    }
  }
}

/*----------------------------------------------------------- predicates --*/

int pl_policy_find_pred(const PlPolicy *p, const char *zPred, int nArg){
  int i;
  for(i=0; i<p->nPred; i++){
    if( p->aPred[i].nArg==nArg && strcmp(p->aPred[i].zName, zPred)==0 ) return i;
  }
  return -1;
}

static int pred_get(Build *B, const char *zPred, int nArg, PlPos pos){
  PlPolicy *p = B->p;
  int i = pl_policy_find_pred(p, zPred, nArg), k;
  if( i>=0 ) return i;
  if( nArg<1 || nArg>PL_MAX_ARGS ){
    P_ERR(B, pos, "'%s' has %d arguments; predicates take 1 to %d", zPred, nArg, PL_MAX_ARGS);
    return -1;
  }
  if( (p->nPred & (p->nPred-1))==0 ){
    PlPred *a = pl_arena_grow(p->pArena, p->aPred, p->nPred, p->nPred ? p->nPred*2 : 8, sizeof(PlPred));
    if( a==0 ){ B->rc = SQLITE_NOMEM; return -1; }
    p->aPred = a;
  }
  i = p->nPred++;
  p->aPred[i].zName = zPred;
  p->aPred[i].nArg = nArg;
  for(k=0; k<nArg; k++) p->aPred[i].aHeadTs[k] = p->all;
  return i;
}

static unsigned str_hash(const char *z, int n){
  unsigned h = 2166136261u;
  int i;
  for(i=0; i<n; i++){ h ^= (unsigned char)z[i]; h *= 16777619u; }
  return h;
}

/* Every check looks up its String arguments here (a known action lets the
** compiler drop the rules of the others), so the table is hashed: aStrSlot
** holds index+1 of azStr, open addressing, at most half full. */
int pl_policy_find_str(const PlPolicy *p, const char *z, int n){
  unsigned k, m = (unsigned)p->nStrSlot - 1;
  if( p->nStrSlot==0 ) return -1;
  for(k=str_hash(z, n) & m; p->aStrSlot[k]; k=(k+1) & m){
    int i = p->aStrSlot[k] - 1;
    if( p->anStr[i]==n && memcmp(p->azStr[i], z, (size_t)n)==0 ) return i;
  }
  return -1;
}

static void str_slot_put(int *aSlot, int nSlot, const char *z, int n, int i){
  unsigned k, m = (unsigned)nSlot - 1;
  for(k=str_hash(z, n) & m; aSlot[k]; k=(k+1) & m){}
  aSlot[k] = i + 1;
}

static void note_str(Build *B, const char *z, int n){
  PlPolicy *p = B->p;
  if( pl_policy_find_str(p, z, n)>=0 ) return;
  if( (p->nStr & (p->nStr-1))==0 ){
    int nNew = p->nStr ? p->nStr*2 : 16, i;
    const char **az = pl_arena_grow(p->pArena, (void*)p->azStr, p->nStr, nNew, sizeof(char*));
    int *an = pl_arena_grow(p->pArena, p->anStr, p->nStr, nNew, sizeof(int));
    int *aSlot = pl_arena_alloc(p->pArena, sizeof(int)*(size_t)nNew*2);
    if( az==0 || an==0 || aSlot==0 ){ B->rc = SQLITE_NOMEM; return; }
    memset(aSlot, 0, sizeof(int)*(size_t)nNew*2);
    for(i=0; i<p->nStr; i++) str_slot_put(aSlot, nNew*2, az[i], an[i], i);
    p->azStr = az; p->anStr = an;
    p->aStrSlot = aSlot; p->nStrSlot = nNew*2;
  }
  p->azStr[p->nStr] = z;
  p->anStr[p->nStr] = n;
  str_slot_put(p->aStrSlot, p->nStrSlot, z, n, p->nStr);
  p->nStr++;
}

/*-------------------------------------------------------------- clauses --*/

/* A clause under construction. Literal and variable arrays grow in the
** arena. */
typedef struct CB {
  Build *B;
  PlClause *c;
  int nLitAlloc, nVarAlloc;
  int bNever;       /* a literal can never hold: the clause is dropped */
} CB;

static int clause_var(CB *cb, const char *zName, PlPos pos){
  PlClause *c = cb->c;
  int i;
  if( strcmp(zName, "_")!=0 ){
    for(i=0; i<c->nVar; i++){
      if( strcmp(c->aVar[i].zName, zName)==0 ) return i;
    }
  }
  if( c->nVar>=cb->nVarAlloc ){
    int nNew = cb->nVarAlloc ? cb->nVarAlloc*2 : 8;
    PlVarInfo *a = pl_arena_grow(cb->B->p->pArena, c->aVar, c->nVar, nNew, sizeof(PlVarInfo));
    if( a==0 ){ cb->B->rc = SQLITE_NOMEM; return 0; }
    c->aVar = a; cb->nVarAlloc = nNew;
  }
  i = c->nVar++;
  c->aVar[i].zName = zName;
  c->aVar[i].pos = pos;
  c->aVar[i].ts = cb->B->p->all;
  return i;
}

static PlLit *clause_lit(CB *cb, int eKind, PlPos pos){
  PlClause *c = cb->c;
  PlLit *l;
  if( c->nLit>=cb->nLitAlloc ){
    int nNew = cb->nLitAlloc ? cb->nLitAlloc*2 : 8;
    PlLit *a = pl_arena_grow(cb->B->p->pArena, c->aLit, c->nLit, nNew, sizeof(PlLit));
    if( a==0 ){ cb->B->rc = SQLITE_NOMEM; return 0; }
    c->aLit = a; cb->nLitAlloc = nNew;
  }
  l = &c->aLit[c->nLit++];
  memset(l, 0, sizeof(*l));
  l->eKind = eKind;
  l->pos = pos;
  return l;
}

/* Narrow variable iVar to the subtypes of named type zType. */
static void narrow_named(CB *cb, int iVar, const char *zType, PlPos pos){
  int t = resolve_type(cb->B, zType, pos);
  if( t<0 ) return;
  pl_ts_and(&cb->c->aVar[iVar].ts, &cb->B->p->aType[t].sub);
}

static void term_to_it(CB *cb, const PlTerm *t, PlITerm *pOut){
  Build *B = cb->B;
  memset(pOut, 0, sizeof(*pOut));
  switch( t->eKind ){
    case PL_TERM_VAR:
    case PL_TERM_WILD:
      pOut->eKind = PL_IT_VAR;
      pOut->iVar = clause_var(cb, t->eKind==PL_TERM_VAR ? t->zName : "_", t->pos);
      if( t->zType ) narrow_named(cb, pOut->iVar, t->zType, t->typePos);
      break;
    case PL_TERM_STR:
      pOut->eKind = PL_IT_CONST;
      pOut->c.iType = PL_TYPE_STRING;
      pOut->c.z = t->z; pOut->c.n = t->n;
      note_str(B, t->z, t->n);
      break;
    case PL_TERM_INT:
      pOut->eKind = PL_IT_CONST;
      pOut->c.iType = PL_TYPE_INTEGER;
      pOut->c.i = t->i;
      break;
    case PL_TERM_BOOL:
      pOut->eKind = PL_IT_CONST;
      pOut->c.iType = PL_TYPE_BOOLEAN;
      pOut->c.i = t->i;
      pOut->c.z = t->i ? "true" : "false";
      pOut->c.n = t->i ? 4 : 5;
      break;
    case PL_TERM_OBJ: {
      int ty = resolve_type(B, t->zType, t->typePos.line ? t->typePos : t->pos);
      if( ty<0 ) return;
      if( B->p->aType[ty].eKind==PL_TK_ABSTRACT ){
        P_ERR(B, t->pos, "'%s' is abstract and has no values; use a declared type", t->zType);
        return;
      }
      if( t->n<=0 ){
        P_ERR(B, t->pos, "empty id in %s{\"\"}; ids are non-empty", t->zType);
        return;
      }
      if( t->n>PL_MAX_ID ){
        P_ERR(B, t->pos, "id is %d bytes; the limit is %d", t->n, PL_MAX_ID);
        return;
      }
      pOut->eKind = PL_IT_CONST;
      pOut->c.iType = ty;
      pOut->c.z = t->z; pOut->c.n = t->n;
      break;
    }
    case PL_TERM_NOW:
      pOut->eKind = PL_IT_NOW;
      break;
    default:
      P_ERR(B, t->pos, "a list can only appear on the right of `in`");
      break;
  }
}

/* Append the literals of one conjunction (a list of AND-ed expressions
** with no OR inside) to the clause. */
static void add_atom(CB *cb, const PlExpr *e){
  Build *B = cb->B;
  PlLit *l;
  int k;
  if( B->rc ) return;
  switch( e->eKind ){
    case PL_EXPR_AND:
      add_atom(cb, e->pLeft);
      add_atom(cb, e->pRight);
      return;
    case PL_EXPR_NOT:
      if( e->pLeft->eKind!=PL_EXPR_CALL ){
        P_ERR(B, e->pos, "`not` can negate only a single fact such as `not is_banned(user)`, "
              "not a compound expression");
        return;
      }
      /* fall through */
    case PL_EXPR_CALL: {
      const PlExpr *c = e->eKind==PL_EXPR_NOT ? e->pLeft : e;
      int iPred = pred_get(B, c->zPred, c->nArg, c->pos);
      if( iPred<0 ) return;
      l = clause_lit(cb, e->eKind==PL_EXPR_NOT ? PL_LIT_NOTCALL : PL_LIT_CALL, c->pos);
      if( l==0 ) return;
      l->iPred = iPred;
      l->nArg = c->nArg;
      l->aArg = pl_arena_alloc(B->p->pArena, sizeof(PlITerm)*(size_t)c->nArg);
      if( l->aArg==0 ){ B->rc = SQLITE_NOMEM; return; }
      for(k=0; k<c->nArg; k++) term_to_it(cb, &c->aArg[k], &l->aArg[k]);
      return;
    }
    case PL_EXPR_UNIFY:
    case PL_EXPR_CMP:
      if( e->pA->eKind==PL_TERM_LIST || e->pB->eKind==PL_TERM_LIST ){
        P_ERR(B, e->pos, "lists can only be used on the right of `in`");
        return;
      }
      l = clause_lit(cb, e->eKind==PL_EXPR_UNIFY ? PL_LIT_UNIFY : PL_LIT_CMP, e->pos);
      if( l==0 ) return;
      l->eCmp = e->eKind==PL_EXPR_UNIFY ? PL_CMP_EQ : e->eCmp;
      l->nArg = 2;
      l->aArg = pl_arena_alloc(B->p->pArena, sizeof(PlITerm)*2);
      if( l->aArg==0 ){ B->rc = SQLITE_NOMEM; return; }
      term_to_it(cb, e->pA, &l->aArg[0]);
      term_to_it(cb, e->pB, &l->aArg[1]);
      /* `x == y` means the same as `x = y` */
      if( l->eKind==PL_LIT_CMP && l->eCmp==PL_CMP_EQ ) l->eKind = PL_LIT_UNIFY;
      return;
    case PL_EXPR_IN:
      if( e->pB->eKind!=PL_TERM_LIST ){
        P_ERR(B, e->pos, "`in` needs a literal list on its right, e.g. x in [\"a\", \"b\"]");
        return;
      }
      if( e->pA->eKind==PL_TERM_LIST ){
        P_ERR(B, e->pos, "the left side of `in` must be a single value");
        return;
      }
      l = clause_lit(cb, PL_LIT_IN, e->pos);
      if( l==0 ) return;
      l->nArg = 1 + e->pB->nItem;
      l->aArg = pl_arena_alloc(B->p->pArena, sizeof(PlITerm)*(size_t)l->nArg);
      if( l->aArg==0 ){ B->rc = SQLITE_NOMEM; return; }
      term_to_it(cb, e->pA, &l->aArg[0]);
      for(k=0; k<e->pB->nItem; k++){
        if( e->pB->aItem[k].eKind==PL_TERM_LIST ){
          P_ERR(B, e->pB->aItem[k].pos, "nested lists are not supported");
          return;
        }
        term_to_it(cb, &e->pB->aItem[k], &l->aArg[1+k]);
      }
      return;
    case PL_EXPR_MATCHES: {
      PlITerm it;
      int ty;
      term_to_it(cb, e->pA, &it);
      if( B->rc ) return;
      ty = resolve_type(B, e->zType, e->typePos.line ? e->typePos : e->pos);
      if( ty<0 ) return;
      if( it.eKind==PL_IT_VAR ){
        pl_ts_and(&cb->c->aVar[it.iVar].ts, &B->p->aType[ty].sub);
      }else{
        int tc = it.eKind==PL_IT_NOW ? PL_TYPE_INTEGER : it.c.iType;
        if( !pl_ts_has(&B->p->aType[ty].sub, tc) ){
          /* a constant that never matches: the clause can never hold (the
          ** rest of its body is still checked, for the errors it has) */
          cb->bNever = 1;
        }
      }
      return;
    }
    case PL_EXPR_OR:
      /* removed by to_dnf before we get here */
      break;
    default:
      P_ERR(B, e->pos, "shorthand term outside a resource block");
      return;
  }
}

/* Disjunctive normal form: a list of conjunctions, each a list of
** expressions without OR. */
typedef struct Conj { const PlExpr **a; int n; } Conj;
typedef struct Dnf { Conj *a; int n; } Dnf;

/* The rules limit counts every alternative (a clause): report it at the
** rule that passes it. */
static void rules_over(Build *B, PlPos pos){
  char *z;
  if( B->rc ) return;
  z = pl_limit_error(B->pLim, PL_LIMIT_RULES, "too many rules (a shorthand rule "
                     "counts as the rules it expands to, an `or` as one rule per "
                     "alternative)");
  if( z==0 ){ B->rc = SQLITE_NOMEM; return; }
  P_ERR(B, pos, "%s", z);
  sqlite3_free(z);
}

/* Alternatives a rule body may still add under the rules limit. */
static sqlite3_int64 rules_left(Build *B){
  return pl_limit(B->pLim, PL_LIMIT_RULES) - B->p->nClause;
}

static Dnf to_dnf(Build *B, const PlExpr *e){
  Dnf d = {0,0};
  PlArena *A = B->p->pArena;
  if( B->rc ) return d;
  if( e->eKind==PL_EXPR_OR ){
    Dnf l = to_dnf(B, e->pLeft), r = to_dnf(B, e->pRight);
    if( B->rc ) return d;
    if( (sqlite3_int64)l.n + r.n > rules_left(B) ){ rules_over(B, e->pos); return d; }
    d.n = l.n + r.n;
    d.a = pl_arena_alloc(A, sizeof(Conj)*(size_t)d.n);
    if( d.a==0 ){ B->rc = SQLITE_NOMEM; return d; }
    memcpy(d.a, l.a, sizeof(Conj)*(size_t)l.n);
    memcpy(d.a+l.n, r.a, sizeof(Conj)*(size_t)r.n);
    return d;
  }
  if( e->eKind==PL_EXPR_AND ){
    Dnf l = to_dnf(B, e->pLeft), r = to_dnf(B, e->pRight);
    int i, j, k = 0;
    if( B->rc ) return d;
    if( (sqlite3_int64)l.n*r.n > rules_left(B) ){ rules_over(B, e->pos); return d; }
    d.n = l.n*r.n;
    d.a = pl_arena_alloc(A, sizeof(Conj)*(size_t)(d.n ? d.n : 1));
    if( d.a==0 ){ B->rc = SQLITE_NOMEM; return d; }
    for(i=0; i<l.n; i++) for(j=0; j<r.n; j++){
      Conj *c = &d.a[k++];
      c->n = l.a[i].n + r.a[j].n;
      c->a = pl_arena_alloc(A, sizeof(PlExpr*)*(size_t)(c->n ? c->n : 1));
      if( c->a==0 ){ B->rc = SQLITE_NOMEM; return d; }
      memcpy((void*)c->a, l.a[i].a, sizeof(PlExpr*)*(size_t)l.a[i].n);
      memcpy((void*)(c->a+l.a[i].n), r.a[j].a, sizeof(PlExpr*)*(size_t)r.a[j].n);
    }
    return d;
  }
  if( e->eKind==PL_EXPR_NOT && (e->pLeft->eKind==PL_EXPR_OR || e->pLeft->eKind==PL_EXPR_AND) ){
    P_ERR(B, e->pos, "`not` can negate only a single fact such as `not is_banned(user)`, "
          "not a compound expression");
    return d;
  }
  d.n = 1;
  d.a = pl_arena_alloc(A, sizeof(Conj));
  if( d.a==0 ){ B->rc = SQLITE_NOMEM; return d; }
  d.a[0].n = 1;
  d.a[0].a = pl_arena_alloc(A, sizeof(PlExpr*));
  if( d.a[0].a==0 ){ B->rc = SQLITE_NOMEM; return d; }
  d.a[0].a[0] = e;
  return d;
}

static void add_clause(Build *B, const PlRule *r, const Conj *conj){
  PlPolicy *p = B->p;
  PlClause *c;
  CB cb;
  int iPred = pred_get(B, r->zPred, r->nParam, r->pos), k;
  if( iPred<0 ) return;
  if( rules_left(B)<1 ){ rules_over(B, r->pos); return; }
  if( (p->nClause & (p->nClause-1))==0 ){
    PlClause *a = pl_arena_grow(p->pArena, p->aClause, p->nClause, p->nClause ? p->nClause*2 : 16, sizeof(PlClause));
    if( a==0 ){ B->rc = SQLITE_NOMEM; return; }
    p->aClause = a;
  }
  c = &p->aClause[p->nClause];
  memset(c, 0, sizeof(*c));
  memset(&cb, 0, sizeof(cb));
  cb.B = B; cb.c = c;
  c->pRule = r;
  c->iPred = iPred;
  c->aHead = pl_arena_alloc(p->pArena, sizeof(PlITerm)*(size_t)r->nParam);
  if( c->aHead==0 ){ B->rc = SQLITE_NOMEM; return; }
  for(k=0; k<r->nParam; k++){
    if( r->aParam[k].eKind==PL_TERM_LIST ){
      P_ERR(B, r->aParam[k].pos, "a list cannot be a rule parameter");
      return;
    }
    term_to_it(&cb, &r->aParam[k], &c->aHead[k]);
  }
  for(k=0; conj && k<conj->n; k++) add_atom(&cb, conj->a[k]);
  if( B->rc ) return;
  if( cb.bNever ) return;   /* statically false: drop the clause */
  p->nClause++;
}

static void build_clauses(Build *B){
  PlProgram *g = B->p->pProg;
  int i, j;
  for(i=0; i<g->nRule && B->rc==SQLITE_OK; i++){
    const PlRule *r = &g->aRule[i];
    if( r->pBody==0 ){
      add_clause(B, r, 0);
    }else{
      Dnf d = to_dnf(B, r->pBody);
      for(j=0; j<d.n && B->rc==SQLITE_OK; j++) add_clause(B, r, &d.a[j]);
    }
  }
  /* predicate -> clause index lists */
  for(i=0; i<B->p->nClause; i++){
    PlPred *pr = &B->p->aPred[B->p->aClause[i].iPred];
    if( (pr->nClause & (pr->nClause-1))==0 ){
      int *a = pl_arena_grow(B->p->pArena, pr->aClause, pr->nClause, pr->nClause ? pr->nClause*2 : 4, sizeof(int));
      if( a==0 ){ B->rc = SQLITE_NOMEM; return; }
      pr->aClause = a;
    }
    pr->aClause[pr->nClause++] = i;
  }
}

/*------------------------------------------------------- type inference --*/

static PlTypeSet term_ts(const PlPolicy *p, const PlClause *c, const PlITerm *t){
  PlTypeSet s;
  memset(&s, 0, sizeof(s));
  if( t->eKind==PL_IT_VAR ) return c->aVar[t->iVar].ts;
  (void)p;
  pl_ts_add(&s, t->eKind==PL_IT_NOW ? PL_TYPE_INTEGER : t->c.iType);
  return s;
}

static int ts_eq(const PlTypeSet *a, const PlTypeSet *b){
  return memcmp(a, b, sizeof(*a))==0;
}

/* Narrow var of term t to s; returns 1 if it changed. */
static int narrow(PlClause *c, const PlITerm *t, const PlTypeSet *s){
  PlTypeSet old;
  if( t->eKind!=PL_IT_VAR ) return 0;
  old = c->aVar[t->iVar].ts;
  pl_ts_and(&c->aVar[t->iVar].ts, s);
  return !ts_eq(&old, &c->aVar[t->iVar].ts);
}

static void infer_types(Build *B){
  PlPolicy *p = B->p;
  int changed = 1, nIter = 0, i, j, k;
  PlTypeSet cmpTs;
  memset(&cmpTs, 0, sizeof(cmpTs));
  pl_ts_add(&cmpTs, PL_TYPE_INTEGER);
  pl_ts_add(&cmpTs, PL_TYPE_STRING);
  while( changed && nIter++ < 1000 ){
    changed = 0;
    for(i=0; i<p->nClause; i++){
      PlClause *c = &p->aClause[i];
      for(j=0; j<c->nLit; j++){
        PlLit *l = &c->aLit[j];
        switch( l->eKind ){
          case PL_LIT_UNIFY: {
            PlTypeSet a = term_ts(p, c, &l->aArg[0]), b = term_ts(p, c, &l->aArg[1]);
            changed |= narrow(c, &l->aArg[0], &b);
            changed |= narrow(c, &l->aArg[1], &a);
            break;
          }
          case PL_LIT_CMP:
            if( l->eCmp!=PL_CMP_NE ){
              changed |= narrow(c, &l->aArg[0], &cmpTs);
              changed |= narrow(c, &l->aArg[1], &cmpTs);
            }
            break;
          case PL_LIT_IN: {
            PlTypeSet u;
            memset(&u, 0, sizeof(u));
            for(k=1; k<l->nArg; k++){
              PlTypeSet e = term_ts(p, c, &l->aArg[k]);
              pl_ts_or(&u, &e);
            }
            changed |= narrow(c, &l->aArg[0], &u);
            break;
          }
          default: break;
        }
      }
    }
    /* recompute head unions */
    for(i=0; i<p->nPred; i++){
      PlPred *pr = &p->aPred[i];
      if( pr->nClause==0 ) continue;
      for(k=0; k<pr->nArg; k++){
        PlTypeSet u;
        memset(&u, 0, sizeof(u));
        for(j=0; j<pr->nClause; j++){
          const PlClause *c = &p->aClause[pr->aClause[j]];
          PlTypeSet e = term_ts(p, c, &c->aHead[k]);
          pl_ts_or(&u, &e);
        }
        if( !ts_eq(&u, &pr->aHeadTs[k]) ){ pr->aHeadTs[k] = u; changed = 1; }
      }
    }
  }
}

/* A body-only variable that nothing typed yet takes the types its call
** positions can hold: the head types of the rules of the predicate, and the
** types that other, typed call sites pass at the same position. (Calls do
** not narrow types during inference: a predicate with rules may also have
** stored facts of other types.) */
static int hint_types(Build *B){
  PlPolicy *p = B->p;
  int i, j, k, i2, j2, v, changed = 0;
  for(i=0; i<p->nClause; i++){
    PlClause *c = &p->aClause[i];
    for(v=0; v<c->nVar; v++){
      PlTypeSet hint;
      int bHead = 0;
      if( !ts_eq(&c->aVar[v].ts, &p->all) ) continue;
      for(k=0; k<p->aPred[c->iPred].nArg; k++){
        if( c->aHead[k].eKind==PL_IT_VAR && c->aHead[k].iVar==v ) bHead = 1;
      }
      if( bHead ) continue;
      memset(&hint, 0, sizeof(hint));
      for(j=0; j<c->nLit; j++){
        const PlLit *l = &c->aLit[j];
        if( l->eKind!=PL_LIT_CALL ) continue;
        for(k=0; k<l->nArg; k++){
          const PlPred *pr = &p->aPred[l->iPred];
          if( l->aArg[k].eKind!=PL_IT_VAR || l->aArg[k].iVar!=v ) continue;
          if( pr->nClause>0 ) pl_ts_or(&hint, &pr->aHeadTs[k]);
          for(i2=0; i2<p->nClause; i2++){
            const PlClause *c2 = &p->aClause[i2];
            for(j2=0; j2<c2->nLit; j2++){
              const PlLit *l2 = &c2->aLit[j2];
              PlTypeSet t;
              if( l2->iPred!=l->iPred || (l2->eKind!=PL_LIT_CALL && l2->eKind!=PL_LIT_NOTCALL) ) continue;
              t = term_ts(p, c2, &l2->aArg[k]);
              if( !ts_eq(&t, &p->all) ) pl_ts_or(&hint, &t);
            }
          }
        }
      }
      if( !pl_ts_empty(&hint) && !ts_eq(&hint, &p->all) ){
        c->aVar[v].ts = hint;
        changed = 1;
      }
    }
  }
  return changed;
}

static int term_has_var(const PlITerm *t, int iVar){
  return t->eKind==PL_IT_VAR && t->iVar==iVar;
}

/* Extend aGround[] (one flag per variable of c) through `=` and `in`:
** a variable unified with something grounded, or `in` a list of grounded
** terms, is grounded too. */
static void ground_close(const PlClause *c, unsigned char *aGround){
  int j, k, changed = 1;
  while( changed ){
    changed = 0;
    for(j=0; j<c->nLit; j++){
      const PlLit *l = &c->aLit[j];
      if( l->eKind==PL_LIT_UNIFY ){
        int g0 = l->aArg[0].eKind!=PL_IT_VAR || aGround[l->aArg[0].iVar];
        int g1 = l->aArg[1].eKind!=PL_IT_VAR || aGround[l->aArg[1].iVar];
        if( g0 && !g1 ){ aGround[l->aArg[1].iVar] = 1; changed = 1; }
        if( g1 && !g0 ){ aGround[l->aArg[0].iVar] = 1; changed = 1; }
      }else if( l->eKind==PL_LIT_IN && l->aArg[0].eKind==PL_IT_VAR && !aGround[l->aArg[0].iVar] ){
        int g = 1;
        for(k=1; k<l->nArg; k++) if( l->aArg[k].eKind==PL_IT_VAR && !aGround[l->aArg[k].iVar] ) g = 0;
        if( g ){ aGround[l->aArg[0].iVar] = 1; changed = 1; }
      }
    }
  }
}

/* Range restriction, negation and typability checks. */
static void check_clauses(Build *B){
  PlPolicy *p = B->p;
  int i, j, k, v;
  for(i=0; i<p->nClause && B->rc==SQLITE_OK; i++){
    PlClause *c = &p->aClause[i];
    unsigned char *aGround = pl_arena_alloc(p->pArena, (size_t)c->nVar + 1);
    unsigned char *aInHead = pl_arena_alloc(p->pArena, (size_t)c->nVar + 1);
    unsigned char *aMaybe = pl_arena_alloc(p->pArena, (size_t)c->nVar + 1);
    if( aGround==0 || aInHead==0 || aMaybe==0 ){ B->rc = SQLITE_NOMEM; return; }
    for(k=0; k<p->aPred[c->iPred].nArg; k++){
      if( c->aHead[k].eKind==PL_IT_VAR ) aInHead[c->aHead[k].iVar] = 1;
    }
    for(v=0; v<c->nVar; v++){
      if( pl_ts_empty(&c->aVar[v].ts) ){
        P_ERR(B, c->aVar[v].pos, "variable '%s' can never match: its uses require "
              "conflicting types", c->aVar[v].zName);
        return;
      }
    }
    /* grounded variables: bound by a positive call, or unified with
    ** something grounded */
    for(j=0; j<c->nLit; j++){
      const PlLit *l = &c->aLit[j];
      if( l->eKind==PL_LIT_CALL ){
        for(k=0; k<l->nArg; k++) if( l->aArg[k].eKind==PL_IT_VAR ) aGround[l->aArg[k].iVar] = 1;
      }
    }
    ground_close(c, aGround);
    for(j=0; j<c->nLit; j++){
      const PlLit *l = &c->aLit[j];
      if( l->eKind==PL_LIT_NOTCALL ){
        const PlPred *pr = &p->aPred[l->iPred];
        if( pr->nClause>0 ){
          P_ERR(B, l->pos, "`not` can negate only stored facts, but '%s' is defined by "
                "rules in the policy", pr->zName);
          return;
        }
        for(k=0; k<l->nArg; k++){
          if( l->aArg[k].eKind==PL_IT_VAR && !aGround[l->aArg[k].iVar] ){
            const PlVarInfo *vi = &c->aVar[l->aArg[k].iVar];
            if( strcmp(vi->zName, "_")==0 ) continue;  /* `not f(x, _)`: any value */
            P_ERR(B, l->pos, "variable '%s' in a negated fact must also appear in a "
                  "non-negated fact of the same rule", vi->zName);
            return;
          }
        }
      }
    }
    /* body-only variables must have an inferable type */
    for(v=0; v<c->nVar; v++){
      if( aInHead[v] ) continue;
      if( strcmp(c->aVar[v].zName, "_")==0 ) continue;
      if( !ts_eq(&c->aVar[v].ts, &p->all) ) continue;
      for(j=0; j<c->nLit; j++){
        for(k=0; k<c->aLit[j].nArg; k++) if( term_has_var(&c->aLit[j].aArg[k], v) ) break;
        if( k<c->aLit[j].nArg ) break;
      }
      P_ERR(B, c->aVar[v].pos, "cannot infer the type of variable '%s'; add `%s matches Type` "
            "to the rule", c->aVar[v].zName, c->aVar[v].zName);
      return;
    }
    /* A variable that no call can ever bind (not in the head, not in a
    ** positive fact, not `=` or `in` to something bound) leaves its
    ** comparison, `in` or `=` without a value under every goal: refuse it
    ** here rather than fail each check at run time. Usually a misspelling. */
    for(v=0; v<c->nVar; v++) aMaybe[v] = aGround[v] | aInHead[v];
    ground_close(c, aMaybe);
    for(j=0; j<c->nLit; j++){
      const PlLit *l = &c->aLit[j];
      if( l->eKind!=PL_LIT_CMP && l->eKind!=PL_LIT_IN && l->eKind!=PL_LIT_UNIFY ) continue;
      for(k=0; k<l->nArg; k++){
        if( l->aArg[k].eKind==PL_IT_VAR && !aMaybe[l->aArg[k].iVar] ){
          const char *zName = c->aVar[l->aArg[k].iVar].zName;
          P_ERR(B, l->pos, "variable '%s' is never bound: give it a value with a fact "
                "or `=` before comparing it (is it misspelled?)", zName);
          return;
        }
      }
    }
  }
}

/*----------------------------------------------------------- signatures --*/

static void add_sig(Build *B, int iPred, const PlTypeSet *aTs){
  PlPolicy *p = B->p;
  PlPred *pr = &p->aPred[iPred];
  int i, k;
  for(i=0; i<p->nSig; i++){
    if( p->aSig[i].nArg==pr->nArg && strcmp(p->aSig[i].zPred, pr->zName)==0 ){
      for(k=0; k<pr->nArg; k++) if( !ts_eq(&p->aSig[i].aArg[k], &aTs[k]) ) break;
      if( k==pr->nArg ) return;
    }
  }
  if( (p->nSig & (p->nSig-1))==0 ){
    PlSig *a = pl_arena_grow(p->pArena, p->aSig, p->nSig, p->nSig ? p->nSig*2 : 16, sizeof(PlSig));
    if( a==0 ){ B->rc = SQLITE_NOMEM; return; }
    p->aSig = a;
  }
  p->aSig[p->nSig].zPred = pr->zName;
  p->aSig[p->nSig].nArg = pr->nArg;
  for(k=0; k<pr->nArg; k++){
    p->aSig[p->nSig].aArg[k] = aTs[k];
    pl_ts_or(&pr->aStoreTs[k], &aTs[k]);
  }
  p->nSig++;
  pr->bStored = 1;
}

static void build_sigs(Build *B){
  PlPolicy *p = B->p;
  PlProgram *g = p->pProg;
  PlTypeSet aTs[PL_MAX_ARGS];
  int i, j, k;
  for(i=0; i<p->nClause && B->rc==SQLITE_OK; i++){
    const PlClause *c = &p->aClause[i];
    /* the injected default allow rule reads nothing that users store */
    if( c->pRule->bGenerated && strcmp(c->pRule->zPred, "allow")==0 ) continue;
    for(j=0; j<c->nLit; j++){
      const PlLit *l = &c->aLit[j];
      if( l->eKind!=PL_LIT_CALL && l->eKind!=PL_LIT_NOTCALL ) continue;
      for(k=0; k<l->nArg; k++) aTs[k] = term_ts(p, c, &l->aArg[k]);
      add_sig(B, l->iPred, aTs);
    }
  }
  /* a declared relation is a fact type even when no rule reads it yet */
  for(i=0; i<g->nBlock && B->rc==SQLITE_OK; i++){
    const PlBlock *b = &g->aBlock[i];
    int tb = b->zName ? pl_policy_find_type(p, b->zName, -1) : -1;
    if( tb<0 ) continue;
    for(j=0; j<b->nRel; j++){
      int tr = resolve_type(B, b->aRel[j].zType, b->aRel[j].typePos);
      int iPred = pred_get(B, "has_relation", 3, b->aRel[j].pos);
      if( tr<0 || iPred<0 ) return;
      aTs[0] = p->aType[tb].sub;
      memset(&aTs[1], 0, sizeof(PlTypeSet));
      pl_ts_add(&aTs[1], PL_TYPE_STRING);
      aTs[2] = p->aType[tr].sub;
      add_sig(B, iPred, aTs);
    }
  }
  for(i=0; i<g->nDecl && B->rc==SQLITE_OK; i++){
    const PlDeclare *d = &g->aDecl[i];
    int iPred = pred_get(B, d->zPred, d->nType, d->pos);
    if( iPred<0 ) return;
    for(k=0; k<d->nType; k++){
      int t = resolve_type(B, d->azType[k], d->aTypePos[k]);
      if( t<0 ) return;
      aTs[k] = p->aType[t].sub;
    }
    add_sig(B, iPred, aTs);
  }
}

/*---------------------------------------------------------------- api ----*/

/* Where the policy passes the policy_length limit, for the message. */
static PlPos length_pos(const char *zSrc, sqlite3_int64 nMax){
  PlPos pos = {1, 1};
  sqlite3_int64 i;
  for(i=0; i<nMax; i++){
    if( zSrc[i]=='\n' ){ pos.line++; pos.col = 1; }else{ pos.col++; }
  }
  return pos;
}

int pl_policy_new(const char *zSrc, int nSrc, const char *zFile,
                  const PlLimits *pLim, PlPolicy **ppPol, char **pzErr){
  Build B;
  PlArena *A;
  PlPolicy *p;
  *ppPol = 0;
  *pzErr = 0;
  if( nSrc<0 ) nSrc = (int)strlen(zSrc);
  if( nSrc > pl_limit(pLim, PL_LIMIT_POLICY_LENGTH) ){
    PlPos pos = length_pos(zSrc, pl_limit(pLim, PL_LIMIT_POLICY_LENGTH));
    char *zWhat = sqlite3_mprintf("the policy is %d bytes long", nSrc);
    char *z = zWhat ? pl_limit_error(pLim, PL_LIMIT_POLICY_LENGTH, zWhat) : 0;
    *pzErr = z ? pl_errf(zFile, pos.line, pos.col, "%s", z) : 0;
    sqlite3_free(zWhat);
    sqlite3_free(z);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  A = pl_arena_new();
  if( A==0 ) return SQLITE_NOMEM;
  p = pl_arena_alloc(A, sizeof(PlPolicy));
  if( p==0 ){ pl_arena_free(A); return SQLITE_NOMEM; }
  p->pArena = A;
  p->zSrc = pl_arena_strndup(A, zSrc, nSrc);
  p->nSrc = nSrc;
  p->zFile = pl_arena_strndup(A, zFile ? zFile : "policy.polar", -1);
  if( p->zSrc==0 || p->zFile==0 ){ pl_arena_free(A); return SQLITE_NOMEM; }
  memset(&B, 0, sizeof(B));
  B.p = p;
  B.pLim = pLim;
  B.rc = pl_parse(A, p->zSrc, nSrc, p->zFile, pLim, &p->pProg, &B.zErr);
  if( B.rc==SQLITE_OK ) B.rc = pl_desugar(A, p->pProg, &B.zErr);
  if( B.rc==SQLITE_OK ) build_types(&B);
  if( B.rc==SQLITE_OK ) build_clauses(&B);
  if( B.rc==SQLITE_OK ){
    infer_types(&B);
    if( hint_types(&B) ) infer_types(&B);
  }
  if( B.rc==SQLITE_OK ) check_clauses(&B);
  if( B.rc==SQLITE_OK ) build_sigs(&B);
  if( B.rc==SQLITE_OK ) B.rc = pl_policy_implications(p);
  if( B.rc==SQLITE_OK ) B.rc = pl_policy_wildcards(p);
  if( B.rc==SQLITE_OK ) B.rc = pl_policy_transfers(p);
  if( B.rc!=SQLITE_OK ){
    *pzErr = B.zErr ? B.zErr : sqlite3_mprintf("out of memory");
    pl_arena_free(A);
    return B.rc;
  }
  *ppPol = p;
  return SQLITE_OK;
}

void pl_policy_free(PlPolicy *p){
  if( p ) pl_arena_free(p->pArena);
}

const char *pl_policy_src(const PlPolicy *p, int *pnSrc){
  if( pnSrc ) *pnSrc = p->nSrc;
  return p->zSrc;
}
const char *pl_policy_file(const PlPolicy *p){ return p->zFile; }
int pl_policy_ntype(const PlPolicy *p){ return p->nType; }
const char *pl_policy_type_name(const PlPolicy *p, int iType){
  return iType>=0 && iType<p->nType ? p->aType[iType].zName : "?";
}
int pl_policy_nsig(const PlPolicy *p){ return p->nSig; }
const PlSig *pl_policy_sig(const PlPolicy *p, int i){ return &p->aSig[i]; }

int pl_policy_pred_known(const PlPolicy *p, const char *zPred, int nArg){
  int i = pl_policy_find_pred(p, zPred, nArg);
  return i>=0 && p->aPred[i].bStored;
}

PlTypeSet pl_policy_arg_types(const PlPolicy *p, const char *zPred, int nArg, int iArg){
  PlTypeSet s;
  int i = pl_policy_find_pred(p, zPred, nArg);
  memset(&s, 0, sizeof(s));
  if( i>=0 && iArg>=0 && iArg<nArg ) s = p->aPred[i].aStoreTs[iArg];
  return s;
}
