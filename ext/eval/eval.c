/*
** eval.c — the independent evaluator: answers a goal against a checked
** policy and the facts, top-down, with tables.
**
** How it works. A call is a predicate and a pattern: each argument a value
** or open (any value of a set of types). Each distinct call gets a table
** of answers. A table is filled from the facts that match the pattern
** (stored, context, polar_bind rows) and from every clause whose head
** unifies with the pattern: the body is solved depth first, literals that
** are not calls as soon as their variables are bound, then the call with
** the most bound arguments, whose answers come from its own table.
**
** Recursion. A call to a table that is still being filled gets the
** answers it has so far. Tables depend on each other in strongly connected
** groups, found as in Tarjan's algorithm: every table being filled sits on
** a completion stack with an index and a low mark (the lowest index it
** depends on). A table whose low mark is its own index leads its group: it
** fills the group again, each member once per round (members are marked
** stale at the start of a round), until a round adds no answer anywhere;
** then the whole group is complete. Calls made in a round only grow from
** round to round (answers only grow, and `not` reads only facts), so the
** last round sees every answer, and a finite set of values makes a finite
** set of answers: recursion over cyclic data ends.
**
** Wildcards. A rule head variable that the body leaves unbound (a policy
** fact `has_role(_: User, "viewer", Org{"acme"})`) makes an answer with a
** wildcard: any value of its types. A caller's variable unified with it
** stays unbound (narrowed to those types) until a later literal binds it;
** an answer row shows it as the wildcard of each type it may take. When
** only literals that need its value are left, it is treated as
** docs/compiler.md says ("Rules that leave a value open"): for each of
** x's types, `not p(x)` holds with x still open if no fact of p matches any
** value of the type; else, and for comparisons, `=` between open values
** and open items of `in`, x ranges over its domain — every value of its
** types stored in a fact (the tables, polar_bind rows and context facts)
** at a position that can hold it — and the literal is evaluated for each
** (pl_eval_domain).
**
** Bounds: every literal tried, answer kept and fact row read counts one
** step against the steps limit, and the lookups' VM steps count too; the
** tables live in an arena capped by eval_memory; eval_depth bounds how
** deep tables nest (the evaluation recurses in C).
*/
#include "pl_int.h"
#include <string.h>

enum { ET_NEW = 0, ET_OPEN, ET_COMPLETE };

/*------------------------------------------------------------ keys ----*/

/* A map from byte strings to pointers: open addressing in the arena. */
typedef struct KEntry { unsigned h; int n; const char *z; void *p; } KEntry;
typedef struct KeyMap { KEntry *a; unsigned nSlot, nUsed; } KeyMap;

struct PlEval {
  PlEvalEnv env;
  PlArena *A;
  int bJust;
  KeyMap tables;
  ETable **aC; int nC, nCAlloc;    /* completion stack */
  sqlite3_int64 nWork, nWorkMax;
  sqlite3_int64 nSeq;              /* answers kept so far */
  int nNest, nNestMax;
  int rc; char *zErr;
  int iLimit;                      /* the limit that stopped it, or -1 */
  ETable **apFacts;                /* per predicate: its facts, every position open */
  KeyMap domains;                  /* type set -> EDomain */
  /* key being built */
  char *zKey; int nKey, nKeyAlloc;
};

static unsigned key_hash(const char *z, int n){
  unsigned h = 2166136261u;
  int i;
  for(i=0; i<n; i++){ h ^= (unsigned char)z[i]; h *= 16777619u; }
  return h;
}

static void *km_find(const KeyMap *m, unsigned h, const char *z, int n){
  unsigned k;
  if( m->nSlot==0 ) return 0;
  for(k=h & (m->nSlot-1); m->a[k].z; k=(k+1) & (m->nSlot-1)){
    const KEntry *e = &m->a[k];
    if( e->h==h && e->n==n && memcmp(e->z, z, (size_t)n)==0 ) return e->p;
  }
  return 0;
}

static int km_add(PlEval *x, KeyMap *m, unsigned h, const char *z, int n, void *p){
  unsigned k;
  if( (m->nUsed+1)*2 > m->nSlot ){
    unsigned nNew = m->nSlot ? m->nSlot*2 : 64, i;
    KEntry *a = pl_eval_alloc(x, sizeof(KEntry)*nNew);
    if( a==0 ) return x->rc;
    for(i=0; i<m->nSlot; i++){
      if( m->a[i].z==0 ) continue;
      for(k=m->a[i].h & (nNew-1); a[k].z; k=(k+1) & (nNew-1)){}
      a[k] = m->a[i];
    }
    m->a = a;
    m->nSlot = nNew;
  }
  for(k=h & (m->nSlot-1); m->a[k].z; k=(k+1) & (m->nSlot-1)){}
  m->a[k].h = h; m->a[k].n = n; m->a[k].z = z; m->a[k].p = p;
  m->nUsed++;
  return SQLITE_OK;
}

static void key_reset(PlEval *x){ x->nKey = 0; }
static void key_add(PlEval *x, const void *p, int n){
  if( x->nKey + n > x->nKeyAlloc ){
    int nNew = (x->nKey + n)*2 + 64;
    char *z = sqlite3_realloc64(x->zKey, (sqlite3_uint64)nNew);
    if( z==0 ){ if( x->rc==SQLITE_OK ) x->rc = SQLITE_NOMEM; return; }
    x->zKey = z; x->nKeyAlloc = nNew;
  }
  if( n>0 ) memcpy(x->zKey + x->nKey, p, (size_t)n);
  x->nKey += n;
}
static void key_value(PlEval *x, const PlValue *v){
  key_add(x, &v->iType, (int)sizeof(v->iType));
  if( v->iType==PL_TYPE_INTEGER || v->iType==PL_TYPE_BOOLEAN ){
    key_add(x, &v->i, (int)sizeof(v->i));
  }else{
    key_add(x, &v->n, (int)sizeof(v->n));
    key_add(x, v->z, v->n);
  }
}

/*------------------------------------------------------- the basics ---*/

const PlPolicy *pl_eval_policy(const PlEval *x){ return x->env.pPol; }

int pl_eval_error(const PlEval *x, const char **pzErr){
  if( pzErr ) *pzErr = x->zErr;
  return x->rc;
}

static int eval_fail(PlEval *x, int rc, char *zErr){
  if( x->rc==SQLITE_OK ){
    x->rc = rc;
    x->zErr = zErr;
  }else{
    sqlite3_free(zErr);
  }
  return x->rc;
}

static int eval_limit(PlEval *x, int iLimit){
  char *z = pl_limit_error(x->env.pLim, iLimit, x->env.zWho);
  if( x->rc==SQLITE_OK ) x->iLimit = iLimit;
  return eval_fail(x, z ? SQLITE_ERROR : SQLITE_NOMEM, z);
}

int pl_eval_limit_hit(const PlEval *x){ return x->rc ? x->iLimit : -1; }

void pl_eval_clear_error(PlEval *x){
  sqlite3_free(x->zErr);
  x->zErr = 0;
  x->rc = SQLITE_OK;
  x->iLimit = -1;
}

void *pl_eval_alloc(PlEval *x, size_t n){
  void *p = pl_arena_alloc(x->A, n ? n : 1);
  if( p==0 ){
    if( pl_arena_capped(x->A) ) eval_limit(x, PL_LIMIT_EVAL_MEMORY);
    else eval_fail(x, SQLITE_NOMEM, 0);
  }
  return p;
}

/* One unit of the evaluator's own work (a literal tried, an answer kept, a
** fact row read) costs about as much time as this many SQLite VM steps
** (measured: ~0.7 us against ~27 ns), so that the steps limit bounds an
** evaluation by about the time it bounds a compiled check. */
#define EVAL_STEP_WEIGHT 25

/* n units of work and nVm VM steps of a lookup, against the steps limit */
static int eval_work_vm(PlEval *x, sqlite3_int64 n, sqlite3_int64 nVm){
  x->nWork += n*EVAL_STEP_WEIGHT + nVm;
  if( x->rc ) return x->rc;
  if( x->nWork > x->nWorkMax ) return eval_limit(x, PL_LIMIT_STEPS);
  return SQLITE_OK;
}

int pl_eval_work(PlEval *x, sqlite3_int64 n){
  return eval_work_vm(x, n, 0);
}

int pl_eval_new(const PlEvalEnv *pEnv, int bJust, PlEval **ppEval){
  PlEval *x = sqlite3_malloc64(sizeof(PlEval));
  *ppEval = 0;
  if( x==0 ) return SQLITE_NOMEM;
  memset(x, 0, sizeof(*x));
  x->env = *pEnv;
  if( x->env.zWho==0 ) x->env.zWho = "polar_eval";
  x->bJust = bJust;
  x->iLimit = -1;
  x->A = pl_arena_new();
  if( x->A==0 ){ sqlite3_free(x); return SQLITE_NOMEM; }
  pl_arena_cap(x->A, (size_t)pl_limit(pEnv->pLim, PL_LIMIT_EVAL_MEMORY));
  x->nWorkMax = pl_limit(pEnv->pLim, PL_LIMIT_STEPS);
  x->nNestMax = (int)pl_limit(pEnv->pLim, PL_LIMIT_EVAL_DEPTH);
  *ppEval = x;
  return SQLITE_OK;
}

void pl_eval_free(PlEval *x){
  if( x==0 ) return;
  pl_arena_free(x->A);
  sqlite3_free(x->aC);
  sqlite3_free(x->zKey);
  sqlite3_free(x->zErr);
  sqlite3_free(x);
}

static int val_eq(const PlValue *a, const PlValue *b){
  if( a->iType!=b->iType ) return 0;
  if( a->iType==PL_TYPE_INTEGER || a->iType==PL_TYPE_BOOLEAN ) return a->i==b->i;
  return a->n==b->n && (a->n==0 || memcmp(a->z, b->z, (size_t)a->n)==0);
}

static void const_value(const PlConst *c, PlValue *v){
  memset(v, 0, sizeof(*v));
  v->iType = c->iType;
  v->i = c->i;
  v->z = c->z;
  v->n = c->n;
}

/* A copy of v whose id lives in the evaluation's arena. */
static int val_keep(PlEval *x, PlValue *v){
  char *z;
  if( v->iType==PL_TYPE_INTEGER || v->n==0 ) return SQLITE_OK;
  z = pl_eval_alloc(x, (size_t)v->n);
  if( z==0 ) return x->rc;
  memcpy(z, v->z, (size_t)v->n);
  v->z = z;
  return SQLITE_OK;
}

/*--------------------------------------------------------- unify -------*/

static int cell_root(const ECell *aEnv, int i){
  while( aEnv[i].eKind==EC_REF ) i = aEnv[i].iRef;
  return i;
}

int pl_eval_term(const PlEval *x, const ECell *aEnv, const PlITerm *t,
                 PlValue *pv, int *piCell){
  *piCell = -1;
  switch( t->eKind ){
    case PL_IT_VAR: {
      int r = cell_root(aEnv, t->iVar);
      if( aEnv[r].eKind==EC_VAL ){ *pv = aEnv[r].v; return 1; }
      *piCell = r;
      return 0;
    }
    case PL_IT_NOW:
      memset(pv, 0, sizeof(*pv));
      pv->iType = PL_TYPE_INTEGER;
      pv->i = x->env.iNow;
      return 1;
    default:
      const_value(&t->c, pv);
      return 1;
  }
}

/* Bind unbound cell i to v; 0 if v's type is not one i may take. */
static int cell_bind(ECell *aEnv, int i, const PlValue *v){
  if( v->iType<0 || !pl_ts_has(&aEnv[i].ts, v->iType) ) return 0;
  aEnv[i].eKind = EC_VAL;
  aEnv[i].v = *v;
  return 1;
}

/* Make unbound roots i and j one variable (the higher points to the lower). */
static int cell_join(ECell *aEnv, int i, int j){
  PlTypeSet ts;
  if( i==j ) return 1;
  if( i>j ){ int t = i; i = j; j = t; }
  ts = aEnv[i].ts;
  pl_ts_and(&ts, &aEnv[j].ts);
  if( pl_ts_empty(&ts) ) return 0;
  aEnv[i].ts = ts;
  aEnv[j].eKind = EC_REF;
  aEnv[j].iRef = i;
  return 1;
}

/* Unify term t with cell j of the environment. */
static int unify_term_cell(const PlEval *x, ECell *aEnv, const PlITerm *t, int j){
  PlValue v;
  int i, r = cell_root(aEnv, j);
  if( pl_eval_term(x, aEnv, t, &v, &i) ){
    if( aEnv[r].eKind==EC_VAL ) return val_eq(&v, &aEnv[r].v);
    return cell_bind(aEnv, r, &v);
  }
  if( aEnv[r].eKind==EC_VAL ) return cell_bind(aEnv, i, &aEnv[r].v);
  return cell_join(aEnv, i, r);
}

static int unify_term_value(const PlEval *x, ECell *aEnv, const PlITerm *t,
                            const PlValue *pv){
  PlValue v;
  int i;
  if( pl_eval_term(x, aEnv, t, &v, &i) ) return val_eq(&v, pv);
  return cell_bind(aEnv, i, pv);
}

/* Narrow term t to the types ts (an open position of a pattern). */
static int restrict_term(const PlEval *x, ECell *aEnv, const PlITerm *t,
                         const PlTypeSet *ts){
  PlValue v;
  int i;
  if( pl_eval_term(x, aEnv, t, &v, &i) ) return pl_ts_has(ts, v.iType);
  pl_ts_and(&aEnv[i].ts, ts);
  return !pl_ts_empty(&aEnv[i].ts);
}

static void env_init(const PlClause *c, ECell *aEnv){
  int v;
  memset(aEnv, 0, sizeof(ECell)*(size_t)EVAL_NCELL(c));
  for(v=0; v<c->nVar; v++) aEnv[v].ts = c->aVar[v].ts;
}

int pl_eval_enter(PlEval *x, const PlClause *c, const PlEvalArg *aPat, ECell *aEnv){
  int k, nArg = x->env.pPol->aPred[c->iPred].nArg;
  env_init(c, aEnv);
  for(k=0; k<nArg; k++){
    const PlITerm *h = &c->aHead[k];
    if( aPat[k].bOpen ){
      if( !restrict_term(x, aEnv, h, &aPat[k].ts) ) return 0;
    }else if( !unify_term_value(x, aEnv, h, &aPat[k].v) ){
      return 0;
    }
  }
  return 1;
}

/* Unify terms aTerm[0..n) with the cells of an answer: each wildcard
** group becomes a scratch cell. */
int pl_eval_unify_terms(const PlEval *x, const PlClause *c, ECell *aEnv,
                        const PlITerm *aTerm, int n, const ACell *aCell){
  int k, g, base = c->nVar;
  for(g=0; g<PL_MAX_ARGS; g++){
    aEnv[base+g].eKind = EC_VAR;
    aEnv[base+g].bDomain = 0;
    memset(&aEnv[base+g].ts, 0, sizeof(PlTypeSet));
  }
  for(k=0; k<n; k++){
    if( aCell[k].eKind==EA_WILD ) aEnv[base+aCell[k].iGroup].ts = aCell[k].ts;
  }
  for(k=0; k<n; k++){
    const ACell *a = &aCell[k];
    if( a->eKind==EA_VAL ){
      if( !unify_term_value(x, aEnv, &aTerm[k], &a->v) ) return 0;
    }else if( !unify_term_cell(x, aEnv, &aTerm[k], base+a->iGroup) ){
      return 0;
    }
  }
  return 1;
}

int pl_eval_enter_ans(PlEval *x, const PlClause *c, const ACell *aCell, ECell *aEnv){
  env_init(c, aEnv);
  return pl_eval_unify_terms(x, c, aEnv, c->aHead, x->env.pPol->aPred[c->iPred].nArg, aCell);
}

int pl_eval_unify_ans(PlEval *x, const PlClause *c, ECell *aEnv, const PlLit *l,
                      const EAns *a){
  return pl_eval_unify_terms(x, c, aEnv, l->aArg, l->nArg, a->a);
}

void pl_eval_pattern(PlEval *x, const PlClause *c, const ECell *aEnv,
                     const PlLit *l, PlEvalArg *aPat){
  int k, i;
  for(k=0; k<l->nArg; k++){
    memset(&aPat[k], 0, sizeof(PlEvalArg));
    if( !pl_eval_term(x, aEnv, &l->aArg[k], &aPat[k].v, &i) ){
      aPat[k].bOpen = 1;
      aPat[k].ts = aEnv[i].ts;
    }
  }
  (void)c;
}

/*------------------------------------------------ literals, not calls ---*/

static int cmp_holds(int eCmp, const PlValue *a, const PlValue *b){
  int c;
  if( eCmp==PL_CMP_NE ) return !val_eq(a, b);
  if( eCmp==PL_CMP_EQ ) return val_eq(a, b);
  /* ordering: Integers numerically, Strings bytewise; values of other or
  ** different types are not ordered (polar-reference 15.3) */
  if( a->iType!=b->iType ) return 0;
  if( a->iType==PL_TYPE_INTEGER ){
    c = a->i<b->i ? -1 : a->i>b->i;
  }else if( a->iType==PL_TYPE_STRING ){
    int n = a->n<b->n ? a->n : b->n;
    c = n ? memcmp(a->z, b->z, (size_t)n) : 0;
    if( c==0 ) c = a->n<b->n ? -1 : a->n>b->n;
  }else{
    return 0;
  }
  switch( eCmp ){
    case PL_CMP_LT: return c<0;
    case PL_CMP_LE: return c<=0;
    case PL_CMP_GT: return c>0;
    default:        return c>=0;
  }
}

int pl_eval_in_item(PlEval *x, const PlClause *c, ECell *aEnv, int iLit, int k){
  const PlLit *l = &c->aLit[iLit];
  PlValue v;
  int i;
  if( !pl_eval_term(x, aEnv, &l->aArg[k], &v, &i) ) return 0;
  return unify_term_value(x, aEnv, &l->aArg[0], &v);
}

/* Is argument k of `not` literal l an open value `not` needs (a variable
** other than `_`, unbound)? */
static int not_needs(const PlEval *x, const PlClause *c, const ECell *aEnv,
                     const PlLit *l, int k, int *piCell){
  const PlITerm *t = &l->aArg[k];
  PlValue v;
  return !pl_eval_term(x, aEnv, t, &v, piCell)
      && strcmp(c->aVar[t->iVar].zName, "_")!=0;
}

int pl_eval_lit(PlEval *x, const PlClause *c, ECell *aEnv, int iLit, int bForce,
                int *peRes){
  const PlLit *l = &c->aLit[iLit];
  PlValue a, b;
  int ia, ib, k;
  *peRes = EV_FALSE;
  switch( l->eKind ){
    case PL_LIT_UNIFY: {
      int ba = pl_eval_term(x, aEnv, &l->aArg[0], &a, &ia);
      int bb = pl_eval_term(x, aEnv, &l->aArg[1], &b, &ib);
      if( !ba && !bb ){ *peRes = bForce ? EV_DOMAIN : EV_DEFER; return SQLITE_OK; }
      if( ba && bb ) *peRes = val_eq(&a, &b) ? EV_TRUE : EV_FALSE;
      else if( ba ) *peRes = cell_bind(aEnv, ib, &a) ? EV_TRUE : EV_FALSE;
      else *peRes = cell_bind(aEnv, ia, &b) ? EV_TRUE : EV_FALSE;
      return SQLITE_OK;
    }
    case PL_LIT_CMP:
      if( !pl_eval_term(x, aEnv, &l->aArg[0], &a, &ia)
       || !pl_eval_term(x, aEnv, &l->aArg[1], &b, &ib) ){
        *peRes = bForce ? EV_DOMAIN : EV_DEFER;
        return SQLITE_OK;
      }
      *peRes = cmp_holds(l->eCmp, &a, &b) ? EV_TRUE : EV_FALSE;
      return SQLITE_OK;
    case PL_LIT_IN: {
      int bLeft = pl_eval_term(x, aEnv, &l->aArg[0], &a, &ia);
      for(k=1; k<l->nArg; k++){
        if( !pl_eval_term(x, aEnv, &l->aArg[k], &b, &ib) ){
          *peRes = bForce ? EV_DOMAIN : EV_DEFER;
          return SQLITE_OK;
        }
      }
      for(k=1; bLeft && k<l->nArg; k++){
        pl_eval_term(x, aEnv, &l->aArg[k], &b, &ib);
        if( val_eq(&a, &b) ){ *peRes = EV_TRUE; return SQLITE_OK; }
      }
      if( bLeft ){ *peRes = EV_FALSE; return SQLITE_OK; }
      *peRes = bForce ? EV_BRANCH : EV_DEFER;
      return SQLITE_OK;
    }
    case PL_LIT_NOTCALL: {
      const PlPred *pr = &x->env.pPol->aPred[l->iPred];
      PlEvalArg aPat[PL_MAX_ARGS];
      ETable *pT;
      int rc, bOpen = 0;
      for(k=0; k<l->nArg; k++) bOpen |= not_needs(x, c, aEnv, l, k, &ia);
      if( bOpen && !bForce ){ *peRes = EV_DEFER; return SQLITE_OK; }
      if( !pr->bStored ){ *peRes = EV_TRUE; return SQLITE_OK; }
      /* an open value stands for any value of its types: `not` holds for
      ** all of them if no fact matches any (the value stays open);
      ** otherwise each value of the domain is tested */
      pl_eval_pattern(x, c, aEnv, l, aPat);
      rc = pl_eval_table(x, l->iPred, aPat, &pT);
      if( rc ) return rc;
      if( pT->nAns==0 ) *peRes = EV_TRUE;
      else *peRes = bOpen ? EV_DOMAIN : EV_FALSE;
      return SQLITE_OK;
    }
  }
  return SQLITE_OK;
}

/*--------------------------------------------------------- answers -----*/

static int cells_key(PlEval *x, int n, const ACell *a){
  int k;
  key_reset(x);
  for(k=0; k<n; k++){
    char t = a[k].eKind==EA_VAL ? 'v' : 'w';
    key_add(x, &t, 1);
    if( a[k].eKind==EA_VAL ){
      key_value(x, &a[k].v);
    }else{
      key_add(x, &a[k].iGroup, (int)sizeof(int));
      key_add(x, &a[k].ts, (int)sizeof(PlTypeSet));
    }
  }
  return x->rc;
}

/* Add the answer aCell to table pT unless it is there. *ppNew is the new
** answer, or NULL if it was known. */
static int ans_add(PlEval *x, ETable *pT, const ACell *aCell, EAns **ppNew){
  EAns *a;
  char *zKey;
  unsigned h;
  int rc;
  *ppNew = 0;
  if( (rc = pl_eval_work(x, 1)) ) return rc;
  if( (rc = cells_key(x, pT->nArg, aCell)) ) return rc;
  h = key_hash(x->zKey, x->nKey);
  if( km_find(pT->pAnsMap, h, x->zKey, x->nKey) ) return SQLITE_OK;
  a = pl_eval_alloc(x, sizeof(EAns) - sizeof(a->a) + sizeof(ACell)*(size_t)pT->nArg);
  zKey = pl_eval_alloc(x, (size_t)x->nKey);
  if( a==0 || zKey==0 ) return x->rc;
  memcpy(zKey, x->zKey, (size_t)x->nKey);
  memcpy(a->a, aCell, sizeof(ACell)*(size_t)pT->nArg);
  a->iSeq = ++x->nSeq;
  if( (rc = km_add(x, pT->pAnsMap, h, zKey, x->nKey, a)) ) return rc;
  if( pT->pLast ) pT->pLast->pNext = a; else pT->pFirst = a;
  pT->pLast = a;
  pT->nAns++;
  *ppNew = a;
  return SQLITE_OK;
}

static int just_add(PlEval *x, EAns *a, int eKind, int iBinding){
  if( a==0 || !x->bJust ) return SQLITE_OK;
  a->pJust = pl_eval_alloc(x, sizeof(EJust));
  if( a->pJust==0 ) return x->rc;
  a->pJust->eKind = eKind;
  a->pJust->iBinding = iBinding;
  return SQLITE_OK;
}

/*----------------------------------------------------------- facts -----*/

/* Read column i of a fact row into *v (its id copied into the arena).
** 0: a value no policy type can hold (an unknown type name, an empty id). */
static int fact_value(PlEval *x, sqlite3_stmt *pStmt, int i, PlValue *v){
  const char *z, *zColon;
  int n, t;
  memset(v, 0, sizeof(*v));
  switch( sqlite3_column_type(pStmt, i) ){
    case SQLITE_INTEGER:
      v->iType = PL_TYPE_INTEGER;
      v->i = sqlite3_column_int64(pStmt, i);
      return 1;
    case SQLITE_TEXT:
      break;
    default:
      return 0;
  }
  z = (const char*)sqlite3_column_text(pStmt, i);
  n = sqlite3_column_bytes(pStmt, i);
  if( z==0 ){ eval_fail(x, SQLITE_NOMEM, 0); return 0; }
  zColon = memchr(z, ':', (size_t)n);
  if( zColon==0 || zColon==z+n-1 ) return 0;
  t = pl_policy_find_type(x->env.pPol, z, (int)(zColon - z));
  if( t<0 || t==PL_TYPE_ACTOR || t==PL_TYPE_RESOURCE || t==PL_TYPE_INTEGER ) return 0;
  v->iType = t;
  v->z = zColon + 1;
  v->n = n - (int)(zColon - z) - 1;
  if( t==PL_TYPE_BOOLEAN ){
    if( v->n==4 && memcmp(v->z, "true", 4)==0 ) v->i = 1;
    else if( !(v->n==5 && memcmp(v->z, "false", 5)==0) ) return 0;
    v->z = v->i ? "true" : "false";
    return 1;
  }
  return val_keep(x, v)==SQLITE_OK;
}

/* The facts of one source matching the pattern of pT, as answers.
** zFrom: the source (a table name, quoted, or a subquery); zKey: its
** statement's cache key. */
static int facts_from(PlEval *x, ETable *pT, const char *zFrom, const char *zKey,
                      int eJust, int iBinding){
  sqlite3_stmt *pStmt = 0;
  sqlite3_str *s = sqlite3_str_new(0);
  char *zSql, *zFullKey;
  int k, rc, nWhere = 0, bOwn = 0;
  unsigned mask = 0;
  sqlite3_str_appendall(s, "SELECT ");
  for(k=0; k<pT->nArg; k++) sqlite3_str_appendf(s, "%sa%d", k ? "," : "", k+1);
  sqlite3_str_appendf(s, " FROM %s", zFrom);
  for(k=0; k<pT->nArg; k++){
    if( pT->aPat[k].bOpen ) continue;
    sqlite3_str_appendf(s, " %s a%d=?%d", nWhere++ ? "AND" : "WHERE", k+1, k+1);
    mask |= 1u<<k;
  }
  zSql = sqlite3_str_finish(s);
  zFullKey = sqlite3_mprintf("E|%s|%x", zKey, mask);
  if( zSql==0 || zFullKey==0 ){
    sqlite3_free(zSql); sqlite3_free(zFullKey);
    return eval_fail(x, SQLITE_NOMEM, 0);
  }
  if( x->env.pCache ){
    char *zErr = 0;
    rc = pl_cache_get(x->env.pCache, zFullKey, zSql, &pStmt, &zErr);
    sqlite3_free(zErr);
    if( rc==SQLITE_OK && sqlite3_stmt_busy(pStmt) ){
      pStmt = 0;            /* in use further up: a private copy */
      rc = sqlite3_prepare_v2(x->env.db, zSql, -1, &pStmt, 0);
      bOwn = 1;
    }
  }else{
    rc = sqlite3_prepare_v2(x->env.db, zSql, -1, &pStmt, 0);
    bOwn = 1;
  }
  if( rc!=SQLITE_OK ){
    char *z = sqlite3_mprintf("%s: reading %s: %s", x->env.zWho, zFrom,
                              sqlite3_errmsg(x->env.db));
    if( bOwn ) sqlite3_finalize(pStmt);
    sqlite3_free(zSql); sqlite3_free(zFullKey);
    return eval_fail(x, z ? SQLITE_ERROR : SQLITE_NOMEM, z);
  }
  sqlite3_free(zSql);
  sqlite3_free(zFullKey);
  for(k=0; rc==SQLITE_OK && k<pT->nArg; k++){
    if( !pT->aPat[k].bOpen ) rc = pl_value_bind_pol(x->env.pPol, pStmt, k+1, &pT->aPat[k].v);
  }
  while( rc==SQLITE_OK ){
    ACell aCell[PL_MAX_ARGS];
    EAns *pNew;
    int bOk = 1, nBefore = sqlite3_stmt_status(pStmt, SQLITE_STMTSTATUS_VM_STEP, 0);
    int rcStep = sqlite3_step(pStmt);
    rc = eval_work_vm(x, 1, sqlite3_stmt_status(pStmt, SQLITE_STMTSTATUS_VM_STEP, 0) - nBefore);
    if( rc ) break;
    if( rcStep==SQLITE_DONE ) break;
    if( rcStep!=SQLITE_ROW ){
      char *z = sqlite3_mprintf("%s: reading %s: %s", x->env.zWho, zFrom,
                                sqlite3_errmsg(x->env.db));
      rc = eval_fail(x, z ? SQLITE_ERROR : SQLITE_NOMEM, z);
      break;
    }
    memset(aCell, 0, sizeof(aCell));
    for(k=0; bOk && k<pT->nArg; k++){
      aCell[k].eKind = EA_VAL;
      if( !pT->aPat[k].bOpen ){
        aCell[k].v = pT->aPat[k].v;
      }else{
        bOk = fact_value(x, pStmt, k, &aCell[k].v)
           && pl_ts_has(&pT->aPat[k].ts, aCell[k].v.iType);
      }
    }
    if( x->rc ){ rc = x->rc; break; }
    if( !bOk ) continue;
    rc = ans_add(x, pT, aCell, &pNew);
    if( rc==SQLITE_OK ) rc = just_add(x, pNew, eJust, iBinding);
  }
  if( bOwn ) sqlite3_finalize(pStmt); else sqlite3_reset(pStmt);
  return rc;
}

/* Every fact of pT's predicate matching its pattern: the fact table, the
** polar_bind bindings, the context facts. */
static int facts_load(PlEval *x, ETable *pT){
  const PlPolicy *p = x->env.pPol;
  const PlPred *pr = &p->aPred[pT->iPred];
  char *zTab, *zFrom;
  int rc, i, k;
  if( !pr->bStored ) return SQLITE_OK;
  zTab = pl_store_table_name(pr->zName, pr->nArg);
  zFrom = zTab ? sqlite3_mprintf("main.\"%w\"", zTab) : 0;
  rc = zFrom ? facts_from(x, pT, zFrom, zTab, EJ_FACT, 0) : eval_fail(x, SQLITE_NOMEM, 0);
  sqlite3_free(zTab);
  sqlite3_free(zFrom);
  for(i=0; rc==SQLITE_OK && i<p->nBinding; i++){
    char *zKey;
    if( p->aBinding[i].iPred!=pT->iPred ) continue;
    zFrom = sqlite3_mprintf("(%s)", p->aBinding[i].zArm);
    zKey = sqlite3_mprintf("bind%d", i);
    rc = zFrom && zKey ? facts_from(x, pT, zFrom, zKey, EJ_BINDING, i)
                       : eval_fail(x, SQLITE_NOMEM, 0);
    sqlite3_free(zFrom);
    sqlite3_free(zKey);
  }
  for(i=0; rc==SQLITE_OK && i<x->env.nCtx; i++){
    const PlEvalFact *f = &x->env.aCtx[i];
    ACell aCell[PL_MAX_ARGS];
    EAns *pNew;
    int bOk = 1;
    if( f->nArg!=pr->nArg || strcmp(f->zPred, pr->zName)!=0 ) continue;
    memset(aCell, 0, sizeof(aCell));
    for(k=0; bOk && k<pr->nArg; k++){
      aCell[k].eKind = EA_VAL;
      aCell[k].v = f->aVal[k];
      if( pT->aPat[k].bOpen ) bOk = pl_ts_has(&pT->aPat[k].ts, f->aVal[k].iType);
      else bOk = val_eq(&pT->aPat[k].v, &f->aVal[k]);
    }
    if( !bOk ) continue;
    rc = ans_add(x, pT, aCell, &pNew);
    if( rc==SQLITE_OK ) rc = just_add(x, pNew, EJ_CONTEXT, 0);
  }
  return rc;
}

/*---------------------------------------------------------- domains ----*/

/* Every value of a type set stored where the type set can be: the domain
** an open value ranges over. */
typedef struct EDomain { PlValue *a; int n; } EDomain;

/* The facts of predicate iPred (no rules), every position open; read once
** per evaluation. */
static int facts_all(PlEval *x, int iPred, ETable **ppT){
  const PlPolicy *p = x->env.pPol;
  const PlPred *pr = &p->aPred[iPred];
  ETable *pT;
  int k, rc;
  *ppT = 0;
  if( x->apFacts==0 ){
    x->apFacts = pl_eval_alloc(x, sizeof(ETable*)*(size_t)p->nPred);
    if( x->apFacts==0 ) return x->rc;
  }
  if( x->apFacts[iPred] ){ *ppT = x->apFacts[iPred]; return SQLITE_OK; }
  pT = pl_eval_alloc(x, sizeof(ETable));
  if( pT==0 ) return x->rc;
  pT->iPred = iPred;
  pT->nArg = pr->nArg;
  for(k=0; k<pr->nArg; k++){
    pT->aPat[k].bOpen = 1;
    pT->aPat[k].ts = pr->aStoreTs[k];
  }
  pT->eState = ET_COMPLETE;
  pT->bFacts = 1;
  pT->pAnsMap = pl_eval_alloc(x, sizeof(KeyMap));
  if( pT->pAnsMap==0 ) return x->rc;
  if( (rc = facts_load(x, pT)) ) return rc;
  x->apFacts[iPred] = pT;
  *ppT = pT;
  return SQLITE_OK;
}

static int domain_get(PlEval *x, const PlTypeSet *ts, const EDomain **ppD){
  const PlPolicy *p = x->env.pPol;
  KeyMap seen;
  EDomain *pD;
  unsigned hTs = key_hash((const char*)ts, (int)sizeof(PlTypeSet)), h;
  int i, k, nAlloc = 0, rc = SQLITE_OK;
  *ppD = km_find(&x->domains, hTs, (const char*)ts, (int)sizeof(PlTypeSet));
  if( *ppD ) return SQLITE_OK;
  pD = pl_eval_alloc(x, sizeof(EDomain) + sizeof(PlTypeSet));
  if( pD==0 ) return x->rc;
  memset(&seen, 0, sizeof(seen));
  for(i=0; rc==SQLITE_OK && i<p->nPred; i++){
    const PlPred *pr = &p->aPred[i];
    ETable *pT;
    EAns *a;
    if( !pr->bStored ) continue;
    for(k=0; rc==SQLITE_OK && k<pr->nArg; k++){
      PlTypeSet need = pr->aStoreTs[k];
      pl_ts_and(&need, ts);
      if( pl_ts_empty(&need) ) continue;
      if( (rc = facts_all(x, i, &pT)) ) break;
      for(a=pT->pFirst; rc==SQLITE_OK && a; a=a->pNext){
        const PlValue *v = &a->a[k].v;
        char *zKey;
        if( !pl_ts_has(&need, v->iType) ) continue;
        key_reset(x);
        key_value(x, v);
        if( (rc = x->rc) ) break;
        h = key_hash(x->zKey, x->nKey);
        if( km_find(&seen, h, x->zKey, x->nKey) ) continue;
        zKey = pl_eval_alloc(x, (size_t)x->nKey);
        if( zKey==0 ){ rc = x->rc; break; }
        memcpy(zKey, x->zKey, (size_t)x->nKey);
        if( (rc = km_add(x, &seen, h, zKey, x->nKey, zKey)) ) break;
        if( pD->n>=nAlloc ){
          int nNew = nAlloc ? nAlloc*2 : 16;
          PlValue *aNew = pl_eval_alloc(x, sizeof(PlValue)*(size_t)nNew);
          if( aNew==0 ){ rc = x->rc; break; }
          if( pD->n ) memcpy(aNew, pD->a, sizeof(PlValue)*(size_t)pD->n);
          pD->a = aNew;
          nAlloc = nNew;
        }
        pD->a[pD->n++] = *v;
      }
    }
  }
  if( rc ) return rc;
  /* the key lives after the domain, in the arena */
  memcpy(pD+1, ts, sizeof(PlTypeSet));
  if( (rc = km_add(x, &x->domains, hTs, (const char*)(pD+1), (int)sizeof(PlTypeSet), pD)) ) return rc;
  *ppD = pD;
  return SQLITE_OK;
}

/* The open values literal l needs (unbound cells, each once). */
static int domain_cells(const PlEval *x, const PlClause *c, const ECell *aEnv,
                        const PlLit *l, int *aCell){
  int k, i, j, n = 0;
  PlValue v;
  for(k=0; k<l->nArg; k++){
    int bNeed;
    switch( l->eKind ){
      case PL_LIT_UNIFY:   bNeed = k==0 && !pl_eval_term(x, aEnv, &l->aArg[k], &v, &i); break;
      case PL_LIT_IN:      bNeed = k>0 && !pl_eval_term(x, aEnv, &l->aArg[k], &v, &i); break;
      case PL_LIT_NOTCALL: bNeed = not_needs(x, c, aEnv, l, k, &i); break;
      default:             bNeed = !pl_eval_term(x, aEnv, &l->aArg[k], &v, &i); break;
    }
    if( !bNeed ) continue;
    for(j=0; j<n && aCell[j]!=i; j++){}
    if( j==n ) aCell[n++] = i;
  }
  return n;
}

typedef struct DomainRun {
  PlEval *x;
  ECell *aEnv;
  int aCell[PL_MAX_ARGS];
  const EDomain *aDom[PL_MAX_ARGS];
  int n;
  int (*xEach)(void*, ECell*);
  void *pArg;
} DomainRun;

static int domain_next(DomainRun *d, int i){
  int v, rc = SQLITE_OK;
  if( i==d->n ) return d->xEach(d->pArg, d->aEnv);
  for(v=0; rc==SQLITE_OK && v<d->aDom[i]->n; v++){
    ECell save = d->aEnv[d->aCell[i]];
    if( (rc = pl_eval_work(d->x, 1)) ) break;
    if( cell_bind(d->aEnv, d->aCell[i], &d->aDom[i]->a[v]) ){
      d->aEnv[d->aCell[i]].bDomain = 1;
      rc = domain_next(d, i+1);
    }
    d->aEnv[d->aCell[i]] = save;
  }
  return rc;
}

/* `not` over an open value of several types: one branch per type (a
** wildcard is "any value of this type" for each of its types: `not` may
** hold for every Group while a fact excludes some User). */
static int domain_split(PlEval *x, ECell *aEnv, int iCell,
                        int (*xEach)(void*, ECell*), void *pArg){
  PlTypeSet ts = aEnv[iCell].ts;
  int t, rc = SQLITE_OK;
  for(t=pl_ts_first(&ts); rc==SQLITE_OK && t>=0; t=pl_ts_next(&ts, t)){
    if( (rc = pl_eval_work(x, 1)) ) break;
    memset(&aEnv[iCell].ts, 0, sizeof(PlTypeSet));
    pl_ts_add(&aEnv[iCell].ts, t);
    rc = xEach(pArg, aEnv);
  }
  aEnv[iCell].ts = ts;
  return rc;
}

int pl_eval_domain(PlEval *x, const PlClause *c, const ECell *aEnv, int iLit,
                   int (*xEach)(void*, ECell*), void *pArg){
  DomainRun d;
  size_t nEnv = sizeof(ECell)*(size_t)EVAL_NCELL(c);
  int i, rc = SQLITE_OK, iSplit = -1;
  memset(&d, 0, sizeof(d));
  d.x = x;
  d.xEach = xEach;
  d.pArg = pArg;
  d.n = domain_cells(x, c, aEnv, &c->aLit[iLit], d.aCell);
  for(i=0; i<d.n; i++){
    if( c->aLit[iLit].eKind==PL_LIT_NOTCALL && pl_ts_count(&aEnv[d.aCell[i]].ts)>1 ){
      iSplit = d.aCell[i];
      break;
    }
    if( (rc = domain_get(x, &aEnv[d.aCell[i]].ts, &d.aDom[i])) ) return rc;
  }
  d.aEnv = sqlite3_malloc64(nEnv);
  if( d.aEnv==0 ) return eval_fail(x, SQLITE_NOMEM, 0);
  memcpy(d.aEnv, aEnv, nEnv);
  if( iSplit>=0 ) rc = domain_split(x, d.aEnv, iSplit, xEach, pArg);
  else rc = domain_next(&d, 0);
  sqlite3_free(d.aEnv);
  return rc;
}

int pl_eval_term_domain(const ECell *aEnv, const PlITerm *t){
  int i;
  if( t->eKind!=PL_IT_VAR ) return 0;
  i = cell_root(aEnv, t->iVar);
  return aEnv[i].eKind==EC_VAL && aEnv[i].bDomain;
}

/*----------------------------------------------------------- solving ---*/

typedef struct Run {
  PlEval *x;
  ETable *pT;            /* where answers go */
  const PlClause *c;
  int iClause;
  EAns **aUsed;          /* bJust: per literal, the answer used */
} Run;

static int table_get(PlEval *x, ETable *pCaller, int iPred, const PlEvalArg *aPat,
                     ETable **ppT);

/* A copy of the environment and done-flags of a branch. */
static ECell *branch_copy(Run *r, const ECell *aEnv, const unsigned char *aDone,
                          unsigned char **paDone){
  size_t nEnv = sizeof(ECell)*(size_t)EVAL_NCELL(r->c);
  ECell *a = sqlite3_malloc64(nEnv + (size_t)r->c->nLit + 1);
  if( a==0 ){ eval_fail(r->x, SQLITE_NOMEM, 0); return 0; }
  memcpy(a, aEnv, nEnv);
  *paDone = (unsigned char*)a + nEnv;
  memcpy(*paDone, aDone, (size_t)r->c->nLit);
  return a;
}

/* The answer of pT made by the head of a solved clause. */
static int head_answer(Run *r, const ECell *aEnv){
  PlEval *x = r->x;
  ETable *pT = r->pT;
  const PlClause *c = r->c;
  ACell aCell[PL_MAX_ARGS];
  int aRoot[PL_MAX_ARGS], nGroup = 0, k, g, rc;
  EAns *pNew;
  memset(aCell, 0, sizeof(aCell));
  for(k=0; k<pT->nArg; k++){
    int i;
    if( pl_eval_term(x, aEnv, &c->aHead[k], &aCell[k].v, &i) ){
      aCell[k].eKind = EA_VAL;
      if( pT->aPat[k].bOpen && !pl_ts_has(&pT->aPat[k].ts, aCell[k].v.iType) ) return SQLITE_OK;
      continue;
    }
    for(g=0; g<nGroup && aRoot[g]!=i; g++){}
    if( g==nGroup ) aRoot[nGroup++] = i;
    aCell[k].eKind = EA_WILD;
    aCell[k].iGroup = g;
  }
  /* a group's types: its variable's, within every open position it fills */
  for(g=0; g<nGroup; g++){
    PlTypeSet ts = aEnv[aRoot[g]].ts;
    for(k=0; k<pT->nArg; k++){
      if( aCell[k].eKind==EA_WILD && aCell[k].iGroup==g && pT->aPat[k].bOpen ){
        pl_ts_and(&ts, &pT->aPat[k].ts);
      }
    }
    if( pl_ts_empty(&ts) ) return SQLITE_OK;
    for(k=0; k<pT->nArg; k++){
      if( aCell[k].eKind==EA_WILD && aCell[k].iGroup==g ) aCell[k].ts = ts;
    }
  }
  rc = ans_add(x, pT, aCell, &pNew);
  if( rc || pNew==0 || !x->bJust ) return rc;
  pNew->pJust = pl_eval_alloc(x, sizeof(EJust));
  if( pNew->pJust==0 ) return x->rc;
  pNew->pJust->eKind = EJ_CLAUSE;
  pNew->pJust->iClause = r->iClause;
  pNew->pJust->aEnv = pl_eval_alloc(x, sizeof(ECell)*(size_t)c->nVar);
  pNew->pJust->aUsed = pl_eval_alloc(x, sizeof(EAns*)*(size_t)c->nLit);
  if( pNew->pJust->aEnv==0 || pNew->pJust->aUsed==0 ) return x->rc;
  memcpy(pNew->pJust->aEnv, aEnv, sizeof(ECell)*(size_t)c->nVar);
  memcpy(pNew->pJust->aUsed, r->aUsed, sizeof(EAns*)*(size_t)c->nLit);
  return SQLITE_OK;
}

static int solve(Run *r, ECell *aEnv, unsigned char *aDone);

/* Branch on every item of `in` literal j (its left side unbound). */
static int in_branch(Run *r, ECell *aEnv, unsigned char *aDone, int j){
  const PlLit *l = &r->c->aLit[j];
  int k, rc = SQLITE_OK;
  for(k=1; rc==SQLITE_OK && k<l->nArg; k++){
    unsigned char *aDone2;
    ECell *aEnv2 = branch_copy(r, aEnv, aDone, &aDone2);
    if( aEnv2==0 ) return r->x->rc;
    if( pl_eval_in_item(r->x, r->c, aEnv2, j, k) ){
      aDone2[j] = 1;
      rc = solve(r, aEnv2, aDone2);
    }
    sqlite3_free(aEnv2);
  }
  return rc;
}

/* Go on with the open values of literal j bound to each value of their
** domain (j is evaluated again with them). */
typedef struct DomainBranch { Run *r; const unsigned char *aDone; } DomainBranch;

static int domain_one(void *pArg, ECell *aEnv){
  DomainBranch *d = pArg;
  unsigned char *aDone2;
  ECell *aEnv2 = branch_copy(d->r, aEnv, d->aDone, &aDone2);
  int rc;
  if( aEnv2==0 ) return d->r->x->rc;
  rc = solve(d->r, aEnv2, aDone2);
  sqlite3_free(aEnv2);
  return rc;
}

static int domain_branch(Run *r, ECell *aEnv, unsigned char *aDone, int j){
  DomainBranch d;
  d.r = r;
  d.aDone = aDone;
  return pl_eval_domain(r->x, r->c, aEnv, j, domain_one, &d);
}

/* Solve call literal j: one branch per answer of its table. */
static int call_branch(Run *r, ECell *aEnv, unsigned char *aDone, int j){
  PlEval *x = r->x;
  const PlLit *l = &r->c->aLit[j];
  /* on the heap: this frame stays on the stack while the callee is
  ** evaluated, and stack is what bounds how deep recursion can go */
  PlEvalArg *aPat = sqlite3_malloc64(sizeof(PlEvalArg)*PL_MAX_ARGS);
  ETable *pT;
  EAns *a;
  int rc;
  if( aPat==0 ) return eval_fail(x, SQLITE_NOMEM, 0);
  pl_eval_pattern(x, r->c, aEnv, l, aPat);
  rc = table_get(x, r->pT, l->iPred, aPat, &pT);
  sqlite3_free(aPat);
  for(a=pT ? pT->pFirst : 0; rc==SQLITE_OK && a; a=a->pNext){
    unsigned char *aDone2;
    ECell *aEnv2;
    if( (rc = pl_eval_work(x, 1)) ) break;
    aEnv2 = branch_copy(r, aEnv, aDone, &aDone2);
    if( aEnv2==0 ) return x->rc;
    if( pl_eval_unify_ans(x, r->c, aEnv2, l, a) ){
      aDone2[j] = 1;
      if( r->aUsed ) r->aUsed[j] = a;
      rc = solve(r, aEnv2, aDone2);
    }
    sqlite3_free(aEnv2);
  }
  return rc;
}

static int solve(Run *r, ECell *aEnv, unsigned char *aDone){
  PlEval *x = r->x;
  const PlClause *c = r->c;
  int j, rc, eRes, bMore, best = -1, bestScore = -1, bForce;
  if( (rc = pl_eval_work(x, 1)) ) return rc;
  /* literals that are not calls, as soon as they can be evaluated; then
  ** the call with the most bound arguments; then, when only literals
  ** waiting for variables are left, those by force */
  for(bForce=0; bForce<2; bForce++){
    do{
      bMore = 0;
      for(j=0; j<c->nLit; j++){
        if( aDone[j] || c->aLit[j].eKind==PL_LIT_CALL ) continue;
        rc = pl_eval_lit(x, c, aEnv, j, bForce, &eRes);
        if( rc ) return rc;
        if( eRes==EV_FALSE ) return SQLITE_OK;
        if( eRes==EV_BRANCH ) return in_branch(r, aEnv, aDone, j);
        if( eRes==EV_DOMAIN ) return domain_branch(r, aEnv, aDone, j);
        if( eRes==EV_TRUE ){
          aDone[j] = 1;
          bMore = 1;
          if( bForce ) return solve(r, aEnv, aDone);
        }
      }
    }while( bMore );
    if( bForce ) break;
    for(j=0; j<c->nLit; j++){
      const PlLit *l = &c->aLit[j];
      int k, n = 0;
      if( aDone[j] || l->eKind!=PL_LIT_CALL ) continue;
      for(k=0; k<l->nArg; k++){
        PlValue v;
        int i;
        n += pl_eval_term(x, aEnv, &l->aArg[k], &v, &i);
      }
      if( n>bestScore ){ bestScore = n; best = j; }
    }
    if( best>=0 ) return call_branch(r, aEnv, aDone, best);
  }
  return head_answer(r, aEnv);
}

/* Every clause of pT's predicate that can answer its pattern, solved. */
static int clauses_run(PlEval *x, ETable *pT){
  const PlPolicy *p = x->env.pPol;
  const PlPred *pr = &p->aPred[pT->iPred];
  int i, rc = SQLITE_OK;
  for(i=0; rc==SQLITE_OK && i<pr->nClause; i++){
    Run r;
    ECell *aEnv;
    unsigned char *aDone;
    memset(&r, 0, sizeof(r));
    r.x = x;
    r.pT = pT;
    r.iClause = pr->aClause[i];
    r.c = &p->aClause[r.iClause];
    {
      /* the environment, the done-flags, then (aligned) the used answers */
      size_t off = sizeof(ECell)*(size_t)EVAL_NCELL(r.c) + (size_t)r.c->nLit + 1;
      off = (off + sizeof(void*) - 1) & ~(sizeof(void*) - 1);
      aEnv = sqlite3_malloc64(off + sizeof(EAns*)*(size_t)(r.c->nLit + 1));
      if( aEnv==0 ) return eval_fail(x, SQLITE_NOMEM, 0);
      aDone = (unsigned char*)&aEnv[EVAL_NCELL(r.c)];
      memset(aDone, 0, (size_t)r.c->nLit + 1);
      r.aUsed = x->bJust ? (EAns**)((char*)aEnv + off) : 0;
      if( r.aUsed ) memset(r.aUsed, 0, sizeof(EAns*)*(size_t)(r.c->nLit + 1));
    }
    if( pl_eval_enter(x, r.c, pT->aPat, aEnv) ) rc = solve(&r, aEnv, aDone);
    sqlite3_free(aEnv);
  }
  return rc;
}

/*---------------------------------------------------------- tables -----*/

/* Fill pT (and, if it leads its group, complete the group). */
static int table_fill(PlEval *x, ETable *pT){
  int rc = SQLITE_OK, i;
  if( x->nNest >= x->nNestMax ) return eval_limit(x, PL_LIMIT_EVAL_DEPTH);
  x->nNest++;
  pT->bOnStack = 1;
  pT->bStale = 0;
  if( !pT->bFacts ){
    pT->bFacts = 1;
    rc = facts_load(x, pT);
  }
  while( rc==SQLITE_OK ){
    sqlite3_int64 nBefore = x->nSeq;
    rc = clauses_run(x, pT);
    if( rc || pT->iLow<pT->iC || x->nSeq==nBefore ) break;
    /* a new round of the group this table leads */
    for(i=pT->iC+1; i<x->nC; i++) x->aC[i]->bStale = 1;
    pT->bStale = 0;
  }
  pT->bOnStack = 0;
  x->nNest--;
  if( rc==SQLITE_OK && pT->iLow==pT->iC ){
    for(i=pT->iC; i<x->nC; i++) x->aC[i]->eState = ET_COMPLETE;
    x->nC = pT->iC;
  }
  return rc;
}

static int table_get(PlEval *x, ETable *pCaller, int iPred, const PlEvalArg *aPat,
                     ETable **ppT){
  const PlPred *pr = &x->env.pPol->aPred[iPred];
  ETable *pT;
  unsigned h;
  int k, rc;
  *ppT = 0;
  if( x->rc ) return x->rc;
  key_reset(x);
  key_add(x, &iPred, (int)sizeof(iPred));
  for(k=0; k<pr->nArg; k++){
    char t = aPat[k].bOpen ? 'o' : 'v';
    key_add(x, &t, 1);
    if( aPat[k].bOpen ) key_add(x, &aPat[k].ts, (int)sizeof(PlTypeSet));
    else key_value(x, &aPat[k].v);
  }
  if( x->rc ) return x->rc;
  h = key_hash(x->zKey, x->nKey);
  pT = km_find(&x->tables, h, x->zKey, x->nKey);
  if( pT==0 ){
    char *zKey = pl_eval_alloc(x, (size_t)x->nKey);
    pT = pl_eval_alloc(x, sizeof(ETable));
    if( zKey==0 || pT==0 ) return x->rc;
    memcpy(zKey, x->zKey, (size_t)x->nKey);
    pT->iPred = iPred;
    pT->nArg = pr->nArg;
    memcpy(pT->aPat, aPat, sizeof(PlEvalArg)*(size_t)pr->nArg);
    for(k=0; k<pr->nArg; k++){
      if( !pT->aPat[k].bOpen && (rc = val_keep(x, &pT->aPat[k].v)) ) return rc;
    }
    pT->pAnsMap = pl_eval_alloc(x, sizeof(KeyMap));
    if( pT->pAnsMap==0 ) return x->rc;
    if( (rc = km_add(x, &x->tables, h, zKey, x->nKey, pT)) ) return rc;
  }
  *ppT = pT;
  if( pT->eState==ET_COMPLETE ) return SQLITE_OK;
  if( pT->eState==ET_NEW ){
    if( x->nC>=x->nCAlloc ){
      int nNew = x->nCAlloc ? x->nCAlloc*2 : 64;
      ETable **a = sqlite3_realloc64(x->aC, sizeof(ETable*)*(size_t)nNew);
      if( a==0 ) return eval_fail(x, SQLITE_NOMEM, 0);
      x->aC = a;
      x->nCAlloc = nNew;
    }
    pT->eState = ET_OPEN;
    pT->iC = pT->iLow = x->nC;
    x->aC[x->nC++] = pT;
    rc = table_fill(x, pT);
  }else if( pT->bOnStack ){
    if( pCaller && pT->iC < pCaller->iLow ) pCaller->iLow = pT->iC;
    return SQLITE_OK;
  }else if( pT->bStale ){
    rc = table_fill(x, pT);
  }else{
    rc = SQLITE_OK;
  }
  if( rc==SQLITE_OK && pCaller && pT->eState!=ET_COMPLETE && pT->iLow < pCaller->iLow ){
    pCaller->iLow = pT->iLow;
  }
  return rc;
}

int pl_eval_table(PlEval *x, int iPred, const PlEvalArg *aPat, ETable **ppT){
  return table_get(x, 0, iPred, aPat, ppT);
}

/*------------------------------------------------------------ rows -----*/

typedef struct RowCtx {
  PlEval *x;
  const PlEvalArg *aArg;
  int nArg;
  KeyMap seen;
  int (*xRow)(void*, int, const PlValue*);
  void *pArg;
  int bStop;
} RowCtx;

/* Emit the rows of answer a: wildcard group g onwards take each type. */
static int rows_expand(RowCtx *rc, const EAns *a, int g, int nGroup, PlValue *aOut){
  PlEval *x = rc->x;
  PlTypeSet ts;
  int k, t, r;
  if( g==nGroup ){
    char *zKey;
    unsigned h;
    key_reset(x);
    for(k=0; k<rc->nArg; k++){
      char w = aOut[k].bWild ? 'w' : 'v';
      key_add(x, &w, 1);
      key_value(x, &aOut[k]);
    }
    if( x->rc ) return x->rc;
    h = key_hash(x->zKey, x->nKey);
    if( km_find(&rc->seen, h, x->zKey, x->nKey) ) return SQLITE_OK;
    zKey = pl_eval_alloc(x, (size_t)x->nKey);
    if( zKey==0 ) return x->rc;
    memcpy(zKey, x->zKey, (size_t)x->nKey);
    if( (r = km_add(x, &rc->seen, h, zKey, x->nKey, zKey)) ) return r;
    if( rc->xRow(rc->pArg, rc->nArg, aOut) ) rc->bStop = 1;
    return SQLITE_OK;
  }
  ts = x->env.pPol->all;
  for(k=0; k<rc->nArg; k++){
    if( a->a[k].eKind==EA_WILD && a->a[k].iGroup==g ) pl_ts_and(&ts, &a->a[k].ts);
  }
  for(t=pl_ts_first(&ts); t>=0 && !rc->bStop; t=pl_ts_next(&ts, t)){
    for(k=0; k<rc->nArg; k++){
      if( a->a[k].eKind==EA_WILD && a->a[k].iGroup==g ){
        memset(&aOut[k], 0, sizeof(PlValue));
        aOut[k].iType = t;
        aOut[k].bWild = 1;
      }
    }
    if( (r = rows_expand(rc, a, g+1, nGroup, aOut)) ) return r;
  }
  return SQLITE_OK;
}

int pl_eval_rows(PlEval *x, const char *zPred, int nArg, const PlEvalArg *aArg,
                 int (*xRow)(void*, int nArg, const PlValue*), void *pArg,
                 char **pzErr){
  int iPred = pl_policy_find_pred(x->env.pPol, zPred, nArg), k, rc;
  PlEvalArg aPat[PL_MAX_ARGS];
  ETable *pT = 0;
  RowCtx rctx;
  EAns *a;
  *pzErr = 0;
  if( iPred<0 ){
    *pzErr = sqlite3_mprintf("%s: unknown predicate '%s' with %d argument%s",
                             x->env.zWho, zPred, nArg, nArg==1 ? "" : "s");
    return SQLITE_ERROR;
  }
  memcpy(aPat, aArg, sizeof(PlEvalArg)*(size_t)nArg);
  rc = SQLITE_OK;
  for(k=0; rc==SQLITE_OK && k<nArg; k++){
    if( !aPat[k].bOpen ) rc = val_keep(x, &aPat[k].v);
  }
  if( rc==SQLITE_OK ) rc = table_get(x, 0, iPred, aPat, &pT);
  memset(&rctx, 0, sizeof(rctx));
  rctx.x = x; rctx.aArg = aPat; rctx.nArg = nArg; rctx.xRow = xRow; rctx.pArg = pArg;
  for(a=pT ? pT->pFirst : 0; rc==SQLITE_OK && a && !rctx.bStop; a=a->pNext){
    PlValue aOut[PL_MAX_ARGS];
    int nGroup = 0;
    for(k=0; k<nArg; k++){
      if( a->a[k].eKind==EA_VAL ){
        aOut[k] = a->a[k].v;
      }else if( a->a[k].iGroup+1>nGroup ){
        nGroup = a->a[k].iGroup+1;
      }
    }
    rc = rows_expand(&rctx, a, 0, nGroup, aOut);
  }
  if( rc==SQLITE_OK ) rc = x->rc;
  if( rc!=SQLITE_OK ){
    *pzErr = x->zErr ? sqlite3_mprintf("%s", x->zErr) : 0;
    if( rc==SQLITE_NOMEM && *pzErr==0 ) return rc;
  }
  return rc;
}
