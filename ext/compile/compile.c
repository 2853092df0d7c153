/*
** compile.c — a checked policy and a goal in, one SQL statement out.
**
** How it works. A goal is a predicate with each argument either bound to
** an SQL parameter of a known concrete type or open (wanted in the result).
** The compiler partially evaluates the policy for that goal, like a Prolog
** interpreter run at compile time over bindings instead of values:
**
**  - Each rule alternative (PlClause) is a Frame with one binding per
**    variable: free (with its possible types), a constant, or an SQL
**    expression (a parameter, or a column of a fact table in the FROM list).
**  - Literals are taken in a cost order (most arguments bound first, stored
**    facts before derived ones). A call to a stored fact adds the fact table
**    to the FROM list with equality on bound arguments and binds the free
**    ones to its columns. A call to a derived predicate is either
**      existential — every argument bound, or free and used nowhere else —
**        and becomes (EXISTS(...) OR EXISTS(...)) in the WHERE clause, one
**        EXISTS per alternative, correlated to the current row; or
**      unfolded — each alternative continues the rest of the body in its own
**        branch (backtracking over a saved state), so a UNION of flat joins.
**  - Types prune at compile time: an alternative whose head specializer
**    cannot match the argument types is dropped, so `authorize` of a
**    (User, "read", Repository) compiles only the rules that can grant it.
**  - Recursion: a call whose key (predicate + per-argument shape) is already
**    being expanded is recursive. Its expansion restarts as a
**    WITH RECURSIVE common table expression (UNION: set semantics, so cyclic
**    data terminates). Bound arguments that every recursive call passes
**    through unchanged stay bound inside the CTE (so it is computed for one
**    actor, not for all); the others become CTE columns filtered outside.
**    Mutual recursion (a role implied by a permission that the role
**    grants): when a CTE's body would need a CTE of its own that calls
**    back, that inner call is unfolded in place in the outer body instead,
**    so the whole cycle is one CTE (SQLite allows no recursive reference
**    from inside a nested CTE).
**  - Walking up: a yes/no recursive call whose recursion moves one bound
**    argument (a folder to its parent) becomes a CTE of that argument's
**    reachable values seeded with the bound value, and the base rules are
**    asked of each (walkup_call): the folder's ancestors, not everything
**    the actor can see.
**  - Joins keep the solve order (CROSS JOIN), and an alternative equal to
**    one already emitted (a role granted along two paths) is dropped.
**  - Policy literals are spliced with %Q; every user value is a parameter.
*/
#include "pl_int.h"
#include <string.h>
#include <stdarg.h>

enum { B_FREE = 0, B_CONST, B_EXPR };

typedef struct Bind {
  int eKind;
  PlTypeSet ts;         /* possible types (FREE, EXPR) */
  PlConst c;            /* CONST; or EXPR with bKnown: its known value */
  int bKnown;
  const char *zExpr;    /* EXPR: SQL text */
  int iLevel;           /* EXPR: solve level of the alias it names (0: none) */
} Bind;

typedef struct Frame Frame;
struct Frame {
  const PlClause *c;
  Bind *aBind;
  unsigned char *aDone;
  Frame *pParent;
  const PlLit *pCall;   /* literal of pParent answered by this frame */
  int iCallLit;
};

typedef struct SNode { const char *z; struct SNode *pNext; } SNode;

typedef struct CteDef CteDef;
struct CteDef {
  const char *zName;    /* "rN" */
  const char *zKey;     /* call key of the recursive call it answers */
  int iPred;
  int nArg;
  int aPos[PL_MAX_ARGS];  /* 0 free column, 1 pass-through bound, 2 const */
  int aCol[PL_MAX_ARGS];  /* column number for free positions */
  Bind aFix[PL_MAX_ARGS]; /* pass-through seeds / constants */
  PlTypeSet aTs[PL_MAX_ARGS];
  int nCol;
  struct Solve *pOwner;   /* the solve that computes the body */
};

typedef struct Active { const char *zKey; struct Active *pNext; } Active;
typedef struct Excl { const char *zKey; unsigned mask; struct Excl *pNext; } Excl;
typedef struct KeySet { const char *zKey; struct KeySet *pNext; } KeySet;
/* Mutual recursion: inside the body of the CTE for zOwner, call key zKey is
** unfolded in place instead of getting a CTE of its own (SQLite cannot
** reference a recursive CTE from inside another one). */
typedef struct Inline { const char *zKey, *zOwner; struct Inline *pNext; } Inline;

typedef struct Ctx {
  const PlPolicy *p;
  PlArena *A;
  int rc;
  char *zErr;
  int nAlias;
  int nLevel;
  int bContext;
  KeySet *pRec;          /* keys known to be recursive */
  Excl *pExcl;           /* pass-through positions that failed, per key */
  const char *zRestart;  /* key whose expansion must restart as a CTE */
  CteDef *pRestartCte;   /* CTE whose body must be computed again */
  int iRestartPos;       /* ... without this pass-through position, or */
  int bRestartInline;    /* ... with more keys unfolded in place (pInline) */
  Inline *pInline;
  int nDepth;            /* solve() calls nested now (solve's guard) */
} Ctx;

typedef struct Solve Solve;
struct Solve {
  Ctx *x;
  Solve *pOuter;
  int iLevel;
  int bRows;            /* render SELECTs with a projection, else EXISTS */
  int bNoExist;         /* never compile a call existentially (CTE bodies) */
  CteDef *pCte;         /* CTE whose body this solve computes, if any */
  Active *pActive;
  /* branch under construction */
  SNode *pFrom, *pWhere;
  int nCteRef;
  /* projection (rows mode): root frame variables */
  Frame *pRoot;
  int *aProjVar; int nProj;
  PlTypeSet *aProjTs;
  /* output */
  SNode *pOut; int nOut; int bTrue;
  SNode *pOutRec;       /* CTE bodies: branches that reference the CTE */
  SNode *pCanon;        /* canonical forms of every branch output so far */
  Frame *pUnfold;       /* this call is always unfolded (the solve's root) */
  int iUnfoldLit;
  const unsigned char *aSkip; /* root call: clauses (by PlPred.aClause index) left out */
  /* base of a walk up (walkup_call): calls of iWalkPred whose moving
  ** argument is the reached value zWalkCol need no steps (aSkip) of their own */
  int iWalkPred, iWalkMove;
  const char *zWalkCol;
};

enum { ST_OK = 0, ST_ERR, ST_RESTART, ST_DECLINE };

#define X_OOM(x) ((x)->rc = SQLITE_NOMEM, ST_ERR)

static const char *xprintf(Ctx *x, const char *zFmt, ...);
static const char *xprintf(Ctx *x, const char *zFmt, ...){
  va_list ap;
  char *z, *zOut = 0;
  va_start(ap, zFmt);
  z = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if( z ){
    zOut = pl_arena_strndup(x->A, z, -1);
    sqlite3_free(z);
  }
  if( zOut==0 ) x->rc = SQLITE_NOMEM;
  return zOut ? zOut : "";
}

static int fail(Ctx *x, PlPos pos, const char *zMsg, const char *zArg){
  if( x->rc==SQLITE_OK ){
    x->zErr = pl_errf(x->p->zFile, pos.line, pos.col, zMsg, zArg);
    x->rc = SQLITE_ERROR;
  }
  return ST_ERR;
}

static SNode *push(Ctx *x, SNode *pList, const char *z){
  SNode *n = pl_arena_alloc(x->A, sizeof(SNode));
  if( n==0 ){ x->rc = SQLITE_NOMEM; return pList; }
  n->z = z;
  n->pNext = pList;
  return n;
}

/*----------------------------------------------------------- rendering --*/

/* The storage encoding of a constant as an SQL literal. */
static const char *const_sql(Ctx *x, const PlConst *c){
  if( c->iType==PL_TYPE_INTEGER ) return xprintf(x, "%lld", (long long)c->i);
  return xprintf(x, "'%q:%.*q'", x->p->aType[c->iType].zName, c->n, c->z);
}

static const char *bind_sql(Ctx *x, const Bind *b){
  return b->eKind==B_CONST ? const_sql(x, &b->c) : b->zExpr;
}

/* SQL condition "expression holds a value of one of the types in ts", or
** NULL when every value the column can hold (colTs) is in ts. */
static const char *type_filter(Ctx *x, const char *zE, const PlTypeSet *ts,
                               const PlTypeSet *colTs){
  PlTypeSet need = *colTs;
  sqlite3_str *s;
  int t, n = 0;
  char *z;
  const char *zOut;
  pl_ts_and(&need, ts);
  if( memcmp(&need, colTs, sizeof(need))==0 ) return 0;
  if( pl_ts_empty(&need) ) return "0";
  s = sqlite3_str_new(0);
  for(t=pl_ts_first(&need); t>=0; t=pl_ts_next(&need, t)){
    if( n++ ) sqlite3_str_appendall(s, " OR ");
    if( t==PL_TYPE_INTEGER ){
      sqlite3_str_appendf(s, "typeof(%s)='integer'", zE);
    }else{
      const char *zT = x->p->aType[t].zName;
      /* unary + keeps the planner from turning this range into the index
      ** constraint of a join (SQLite 3.40 would then scan a whole type's
      ** range per row instead of probing by equality) */
      sqlite3_str_appendf(s, "(+%s>='%q:' AND +%s<'%q;')", zE, zT, zE, zT);
    }
  }
  z = sqlite3_str_finish(s);
  if( z==0 ){ x->rc = SQLITE_NOMEM; return "0"; }
  zOut = n>1 ? xprintf(x, "(%s)", z) : xprintf(x, "%s", z);
  sqlite3_free(z);
  return zOut;
}

static void list_render(sqlite3_str *s, const SNode *p, const char *zSep){
  /* lists are kept newest-first; render oldest-first */
  if( p==0 ) return;
  list_render(s, p->pNext, zSep);
  if( p->pNext ) sqlite3_str_appendall(s, zSep);
  sqlite3_str_appendall(s, p->z);
}

/* Long lists would pass SQLite's limits: a chain of N `AND`/`OR` is an
** expression N deep (SQLITE_MAX_EXPR_DEPTH, 1000) and a compound SELECT
** holds at most 500 terms (SQLITE_MAX_COMPOUND_SELECT). Policies with
** hundreds of rules reach both (found by tests/fuzz). Up to the thresholds
** lists render as before; longer `AND`/`OR` lists render as a balanced
** tree (depth log N) and longer UNIONs in groups, each group a subquery
** "SELECT * FROM (t1 UNION ... )". Only for terms that do not name a
** recursive CTE: its recursive terms must stay at the top level. */
#define PL_LIST_FLAT_MAX   64    /* AND/OR terms rendered flat */
#define PL_UNION_FLAT_MAX 400    /* UNION terms in one compound */

static void render_range(sqlite3_str *s, const char **az, int i, int j,
                         const char *zSep, int bUnion){
  int n = j - i, k;
  if( n<=0 ) return;
  if( bUnion ){
    int per;
    if( n<=PL_UNION_FLAT_MAX ){
      for(k=i; k<j; k++){
        if( k>i ) sqlite3_str_appendall(s, zSep);
        sqlite3_str_appendall(s, az[k]);
      }
      return;
    }
    per = (n + PL_UNION_FLAT_MAX - 1)/PL_UNION_FLAT_MAX;
    for(k=i; k<j; k+=per){
      if( k>i ) sqlite3_str_appendall(s, zSep);
      sqlite3_str_appendall(s, "SELECT * FROM (");
      render_range(s, az, k, k+per<j ? k+per : j, zSep, 1);
      sqlite3_str_appendall(s, ")");
    }
  }else if( n==1 ){
    sqlite3_str_appendall(s, az[i]);
  }else{
    sqlite3_str_appendall(s, "(");
    render_range(s, az, i, i + n/2, zSep, 0);
    sqlite3_str_appendall(s, zSep);
    render_range(s, az, i + n/2, j, zSep, 0);
    sqlite3_str_appendall(s, ")");
  }
}

static void list_render_wide(Ctx *x, sqlite3_str *s, const SNode *p,
                             const char *zSep, int bUnion){
  const SNode *q;
  const char **az;
  int n = 0, i;
  for(q=p; q; q=q->pNext) n++;
  if( n<=(bUnion ? PL_UNION_FLAT_MAX : PL_LIST_FLAT_MAX) ){
    list_render(s, p, zSep);
    return;
  }
  az = pl_arena_alloc(x->A, sizeof(char*)*(size_t)n);
  if( az==0 ){ x->rc = SQLITE_NOMEM; return; }
  for(q=p, i=n-1; q; q=q->pNext, i--) az[i] = q->z;   /* oldest first */
  render_range(s, az, 0, n, zSep, bUnion);
}

/* Where the facts of predicate iPred come from: its table, plus (in
** checks with context) the context facts, plus the application tables
** bound with polar_bind. */
static const char *fact_source(Ctx *x, int iPred){
  const PlPred *pr = &x->p->aPred[iPred];
  char *zTab = pl_store_table_name(pr->zName, pr->nArg);
  const char *z;
  sqlite3_str *s;
  char *zS;
  int k, i, nArm = 0;
  if( zTab==0 ){ x->rc = SQLITE_NOMEM; return ""; }
  s = sqlite3_str_new(0);
  sqlite3_str_appendf(s, "(SELECT ");
  for(k=1; k<=pr->nArg; k++) sqlite3_str_appendf(s, "%sa%d", k>1?",":"", k);
  sqlite3_str_appendf(s, " FROM \"%w\"", zTab);
  if( x->bContext ){
    sqlite3_str_appendall(s, " UNION ALL SELECT ");
    for(k=1; k<=pr->nArg; k++) sqlite3_str_appendf(s, "%sa%d", k>1?",":"", k);
    sqlite3_str_appendf(s, " FROM polar_context WHERE predicate=%Q AND arity=%d",
                        pr->zName, pr->nArg);
    nArm++;
  }
  for(i=0; i<x->p->nBinding; i++){
    if( x->p->aBinding[i].iPred!=iPred ) continue;
    sqlite3_str_appendf(s, " UNION ALL %s", x->p->aBinding[i].zArm);
    nArm++;
  }
  sqlite3_str_appendall(s, ")");
  zS = sqlite3_str_finish(s);
  if( nArm==0 ){
    z = xprintf(x, "\"%w\"", zTab);
  }else{
    z = zS ? xprintf(x, "%s", zS) : "";
  }
  if( zS==0 ) x->rc = SQLITE_NOMEM;
  sqlite3_free(zS);
  sqlite3_free(zTab);
  return z;
}

/*-------------------------------------------------------------- frames --*/

typedef struct Saved {
  SNode *pFrom, *pWhere;
  int nCteRef;
  int nFrame;
  Bind **aaBind; unsigned char **aaDone;
  Frame **apFrame;
} Saved;

static int save_state(Solve *S, Frame *f, Saved *sv){
  Ctx *x = S->x;
  Frame *g;
  int n = 0, i;
  sv->pFrom = S->pFrom; sv->pWhere = S->pWhere; sv->nCteRef = S->nCteRef;
  for(g=f; g; g=g->pParent) n++;
  sv->nFrame = n;
  sv->apFrame = pl_arena_alloc(x->A, sizeof(Frame*)*(size_t)n);
  sv->aaBind = pl_arena_alloc(x->A, sizeof(Bind*)*(size_t)n);
  sv->aaDone = pl_arena_alloc(x->A, sizeof(char*)*(size_t)n);
  if( !sv->apFrame || !sv->aaBind || !sv->aaDone ) return X_OOM(x);
  for(g=f, i=0; g; g=g->pParent, i++){
    size_t nb = sizeof(Bind)*(size_t)g->c->nVar, nd = (size_t)g->c->nLit + 1;
    sv->apFrame[i] = g;
    sv->aaBind[i] = pl_arena_alloc(x->A, nb ? nb : 1);
    sv->aaDone[i] = pl_arena_alloc(x->A, nd);
    if( !sv->aaBind[i] || !sv->aaDone[i] ) return X_OOM(x);
    memcpy(sv->aaBind[i], g->aBind, nb);
    memcpy(sv->aaDone[i], g->aDone, nd);
  }
  return ST_OK;
}

static void restore_state(Solve *S, const Saved *sv){
  int i;
  S->pFrom = sv->pFrom; S->pWhere = sv->pWhere; S->nCteRef = sv->nCteRef;
  for(i=0; i<sv->nFrame; i++){
    Frame *g = sv->apFrame[i];
    memcpy(g->aBind, sv->aaBind[i], sizeof(Bind)*(size_t)g->c->nVar);
    memcpy(g->aDone, sv->aaDone[i], (size_t)g->c->nLit + 1);
  }
}

static Frame *frame_new(Ctx *x, const PlClause *c, Frame *pParent,
                        const PlLit *pCall, int iCallLit){
  Frame *f = pl_arena_alloc(x->A, sizeof(Frame));
  int v;
  if( f==0 ){ x->rc = SQLITE_NOMEM; return 0; }
  f->c = c;
  f->pParent = pParent;
  f->pCall = pCall;
  f->iCallLit = iCallLit;
  f->aBind = pl_arena_alloc(x->A, sizeof(Bind)*(size_t)(c->nVar ? c->nVar : 1));
  f->aDone = pl_arena_alloc(x->A, (size_t)c->nLit + 1);
  if( f->aBind==0 || f->aDone==0 ){ x->rc = SQLITE_NOMEM; return 0; }
  for(v=0; v<c->nVar; v++){
    f->aBind[v].eKind = B_FREE;
    f->aBind[v].ts = c->aVar[v].ts;
  }
  return f;
}

/* The binding a term has in frame f (constants and @current_unix_time
** become transient bindings). */
static Bind term_bind(Ctx *x, Frame *f, const PlITerm *t){
  Bind b;
  memset(&b, 0, sizeof(b));
  if( t->eKind==PL_IT_VAR ) return f->aBind[t->iVar];
  if( t->eKind==PL_IT_NOW ){
    b.eKind = B_EXPR;
    b.zExpr = "polar_now()";
    pl_ts_add(&b.ts, PL_TYPE_INTEGER);
    return b;
  }
  b.eKind = B_CONST;
  b.c = t->c;
  pl_ts_add(&b.ts, t->c.iType);
  (void)x;
  return b;
}

static int const_eq(const PlConst *a, const PlConst *b){
  if( a->iType!=b->iType ) return 0;
  if( a->iType==PL_TYPE_INTEGER ) return a->i==b->i;
  return a->n==b->n && memcmp(a->z, b->z, (size_t)a->n)==0;
}

/* Unify two bindings in the current branch. Returns 0 if they can never
** be equal (prune), 1 otherwise; free sides are bound by the caller. */
static int unify_bound(Solve *S, const Bind *a, const Bind *b){
  Ctx *x = S->x;
  PlTypeSet t = a->ts;
  pl_ts_and(&t, &b->ts);
  if( pl_ts_empty(&t) ) return 0;
  if( (a->eKind==B_CONST || a->bKnown) && (b->eKind==B_CONST || b->bKnown) ){
    return const_eq(&a->c, &b->c);
  }
  if( a->eKind==B_EXPR && b->eKind==B_EXPR && strcmp(a->zExpr, b->zExpr)==0 ) return 1;
  S->pWhere = push(x, S->pWhere, xprintf(x, "%s=%s", bind_sql(x, a), bind_sql(x, b)));
  return 1;
}

/* Bind free variable slot *pv to value b (narrowing types). 0: impossible */
static int bind_to(Bind *pv, const Bind *b){
  PlTypeSet t = pv->ts;
  pl_ts_and(&t, &b->ts);
  if( pl_ts_empty(&t) ) return 0;
  *pv = *b;
  pv->ts = t;
  return 1;
}

/*---------------------------------------------------------------- keys --*/

static void ts_hex(sqlite3_str *s, const PlTypeSet *ts){
  int i;
  for(i=0; i<PL_MAX_TYPES/64; i++) sqlite3_str_appendf(s, "%llx.", (unsigned long long)ts->w[i]);
}

static const char *call_key(Ctx *x, Frame *f, const PlLit *l){
  sqlite3_str *s = sqlite3_str_new(0);
  const char *zOut;
  char *z;
  int k;
  sqlite3_str_appendf(s, "%d", l->iPred);
  for(k=0; k<l->nArg; k++){
    Bind b = term_bind(x, f, &l->aArg[k]);
    if( b.eKind==B_CONST || b.bKnown ){
      sqlite3_str_appendf(s, "|c%d:%d:", b.c.iType, b.c.n);
      if( b.c.iType==PL_TYPE_INTEGER ) sqlite3_str_appendf(s, "%lld", (long long)b.c.i);
      else sqlite3_str_append(s, b.c.z, b.c.n);
    }else{
      sqlite3_str_appendall(s, b.eKind==B_EXPR ? "|b" : "|f");
      ts_hex(s, &b.ts);
    }
  }
  z = sqlite3_str_finish(s);
  zOut = z ? xprintf(x, "%s", z) : "";
  sqlite3_free(z);
  return zOut;
}

static int keyset_has(KeySet *p, const char *z){
  for(; p; p=p->pNext) if( strcmp(p->zKey, z)==0 ) return 1;
  return 0;
}

static unsigned excl_mask(Ctx *x, const char *zKey){
  Excl *e;
  for(e=x->pExcl; e; e=e->pNext) if( strcmp(e->zKey, zKey)==0 ) return e->mask;
  return 0;
}

static void excl_add(Ctx *x, const char *zKey, int iPos){
  Excl *e;
  for(e=x->pExcl; e; e=e->pNext){
    if( strcmp(e->zKey, zKey)==0 ){ e->mask |= 1u<<iPos; return; }
  }
  e = pl_arena_alloc(x->A, sizeof(Excl));
  if( e==0 ){ x->rc = SQLITE_NOMEM; return; }
  e->zKey = zKey; e->mask = 1u<<iPos; e->pNext = x->pExcl;
  x->pExcl = e;
}

/* Is call key zKey unfolded in place in the CTE body S is inside of? */
static int inline_in(Solve *S, const char *zKey){
  Inline *p;
  for(p=S->x->pInline; p; p=p->pNext){
    Solve *U;
    if( strcmp(p->zKey, zKey)!=0 ) continue;
    for(U=S; U; U=U->pOuter){
      if( U->pCte && strcmp(U->pCte->zKey, p->zOwner)==0 ) return 1;
    }
  }
  return 0;
}

static int active_has(Solve *S, const char *zKey){
  for(; S; S=S->pOuter){
    Active *a;
    for(a=S->pActive; a; a=a->pNext) if( strcmp(a->zKey, zKey)==0 ) return 1;
  }
  return 0;
}

/*--------------------------------------------------------------- solve --*/

static int solve(Solve *S, Frame *f);
static int emit(Solve *S);
static int cte_call(Solve *S, Frame *f, int iLit, const char *zKey, int bExist);

/* Is variable v of frame f used anywhere but literal iLit? */
static int var_used_elsewhere(const PlPolicy *p, Frame *f, int v, int iLit){
  const PlClause *c = f->c;
  int j, k;
  for(k=0; k<p->aPred[c->iPred].nArg; k++){
    if( c->aHead[k].eKind==PL_IT_VAR && c->aHead[k].iVar==v ) return 1;
  }
  for(j=0; j<c->nLit; j++){
    if( j==iLit ) continue;
    for(k=0; k<c->aLit[j].nArg; k++){
      if( c->aLit[j].aArg[k].eKind==PL_IT_VAR && c->aLit[j].aArg[k].iVar==v ) return 1;
    }
  }
  return 0;
}

/* A call literal whose free arguments nobody else reads can be answered
** as a yes/no question. */
static int call_is_existential(const PlPolicy *p, Frame *f, int iLit){
  const PlLit *l = &f->c->aLit[iLit];
  int k, k2;
  for(k=0; k<l->nArg; k++){
    const PlITerm *t = &l->aArg[k];
    if( t->eKind!=PL_IT_VAR || f->aBind[t->iVar].eKind!=B_FREE ) continue;
    if( var_used_elsewhere(p, f, t->iVar, iLit) ) return 0;
    for(k2=0; k2<l->nArg; k2++){
      if( k2!=k && l->aArg[k2].eKind==PL_IT_VAR && l->aArg[k2].iVar==t->iVar ) return 0;
    }
  }
  return 1;
}

/* Stored facts of predicate iPred as one alternative of a call. */
static int stored_call(Solve *S, Frame *f, const PlLit *l){
  Ctx *x = S->x;
  const PlPred *pr = &x->p->aPred[l->iPred];
  const char *zAlias = xprintf(x, "t%d", ++x->nAlias);
  int k;
  S->pFrom = push(x, S->pFrom, xprintf(x, "%s AS %s", fact_source(x, l->iPred), zAlias));
  for(k=0; k<l->nArg; k++){
    const PlITerm *t = &l->aArg[k];
    const char *zCol = xprintf(x, "%s.a%d", zAlias, k+1);
    Bind b = term_bind(x, f, t);
    if( b.eKind==B_FREE ){
      Bind nb;
      const char *zF = type_filter(x, zCol, &b.ts, &pr->aStoreTs[k]);
      memset(&nb, 0, sizeof(nb));
      nb.eKind = B_EXPR;
      nb.zExpr = zCol;
      nb.iLevel = S->iLevel;
      nb.ts = pr->aStoreTs[k];
      if( zF ) S->pWhere = push(x, S->pWhere, zF);
      if( !bind_to(&f->aBind[t->iVar], &nb) ) return 0;
    }else{
      PlTypeSet tt = b.ts;
      pl_ts_and(&tt, &pr->aStoreTs[k]);
      if( pl_ts_empty(&tt) ) return 0;
      S->pWhere = push(x, S->pWhere, xprintf(x, "%s=%s", zCol, bind_sql(x, &b)));
    }
  }
  return 1;
}

/* Enter clause c as an answer to call literal l of frame f: unify the
** head with the call's arguments. Returns the child frame, or NULL if the
** clause cannot apply (or on OOM: check x->rc). */
static Frame *enter_clause(Solve *S, Frame *f, int iLit, const PlClause *c){
  Ctx *x = S->x;
  const PlLit *l = &f->c->aLit[iLit];
  Frame *g = frame_new(x, c, f, l, iLit);
  int k;
  if( g==0 ) return 0;
  for(k=0; k<l->nArg; k++){
    Bind a = term_bind(x, f, &l->aArg[k]);
    const PlITerm *h = &c->aHead[k];
    if( h->eKind!=PL_IT_VAR ){
      Bind hb = term_bind(x, g, h);
      if( a.eKind==B_FREE ){
        if( !bind_to(&f->aBind[l->aArg[k].iVar], &hb) ) return 0;
      }else if( !unify_bound(S, &a, &hb) ){
        return 0;
      }
    }else{
      Bind *pw = &g->aBind[h->iVar];
      if( pw->eKind==B_FREE ){
        if( a.eKind==B_FREE ){
          pl_ts_and(&pw->ts, &a.ts);
          if( pl_ts_empty(&pw->ts) ) return 0;
        }else if( !bind_to(pw, &a) ){
          return 0;
        }
      }else if( a.eKind==B_FREE ){
        /* repeated head variable already bound: bind the caller's */
        if( !bind_to(&f->aBind[l->aArg[k].iVar], pw) ) return 0;
      }else if( !unify_bound(S, &a, pw) ){
        return 0;
      }
    }
  }
  return g;
}

/* Child frame g finished: bind the caller's free arguments. */
static int leave_clause(Solve *S, Frame *g){
  Ctx *x = S->x;
  Frame *f = g->pParent;
  const PlLit *l = g->pCall;
  int k;
  for(k=0; k<l->nArg; k++){
    const PlITerm *t = &l->aArg[k];
    Bind hb;
    if( t->eKind!=PL_IT_VAR ) continue;
    hb = term_bind(x, g, &g->c->aHead[k]);
    if( f->aBind[t->iVar].eKind==B_FREE ){
      if( hb.eKind==B_FREE ){
        pl_ts_and(&f->aBind[t->iVar].ts, &hb.ts);
        if( pl_ts_empty(&f->aBind[t->iVar].ts) ) return 0;
      }else if( !bind_to(&f->aBind[t->iVar], &hb) ){
        return 0;
      }
    }else if( hb.eKind!=B_FREE ){
      Bind a = f->aBind[t->iVar];
      if( !unify_bound(S, &a, &hb) ) return 0;
    }
  }
  f->aDone[g->iCallLit] = 1;
  return 1;
}

/* Join the columns of CTE d (FROM alias zAlias) to call literal l of f:
** bound arguments become equalities, free ones are bound to the columns.
** Returns 0 if a column's types can never fit the argument (prune). */
static int cte_bind_cols(Solve *S, Frame *f, const PlLit *l, const CteDef *d,
                         const char *zAlias){
  Ctx *x = S->x;
  int k;
  for(k=0; k<l->nArg; k++){
    const PlITerm *t = &l->aArg[k];
    Bind b;
    const char *zCol;
    if( d->aPos[k]!=0 ) continue;
    b = term_bind(x, f, t);
    zCol = xprintf(x, "%s.c%d", zAlias, d->aCol[k]);
    if( b.eKind==B_FREE ){
      Bind nb;
      memset(&nb, 0, sizeof(nb));
      nb.eKind = B_EXPR; nb.zExpr = zCol; nb.iLevel = S->iLevel; nb.ts = d->aTs[k];
      if( !bind_to(&f->aBind[t->iVar], &nb) ) return 0;
    }else{
      S->pWhere = push(x, S->pWhere, xprintf(x, "%s=%s", zCol, bind_sql(x, &b)));
    }
  }
  return 1;
}

/* Is this call answered by the CTE being defined (and how)? Returns 1 and
** adds the CTE to the branch if so. */
static int cte_ref(Solve *S, Frame *f, const PlLit *l, int *pSt){
  Ctx *x = S->x;
  Solve *T;
  CteDef *d = 0;
  const char *zAlias;
  int k;
  for(T=S; T; T=T->pOuter){
    if( T->pCte && T->pCte->iPred==l->iPred ){ d = T->pCte; break; }
  }
  if( d==0 ) return 0;
  /* covered? constants must match, types must fit */
  for(k=0; k<l->nArg; k++){
    Bind b = term_bind(x, f, &l->aArg[k]);
    if( d->aPos[k]==2 ){
      if( !(b.eKind==B_CONST || b.bKnown) || !const_eq(&b.c, &d->aFix[k].c) ) return 0;
    }else{
      PlTypeSet t = b.ts;
      pl_ts_and(&t, &d->aTs[k]);
      if( memcmp(&t, &b.ts, sizeof(t))!=0 ) return 0;
    }
  }
  if( T!=S ){
    /* The call sits in the body of a CTE nested inside d's: unfold those
    ** nested keys in d's body and compute d again. */
    Solve *U;
    for(U=S; U!=T; U=U->pOuter){
      Inline *pIn;
      if( U->pCte==0 || inline_in(T, U->pCte->zKey) ){
        *pSt = fail(x, l->pos, "recursion through '%s' inside another recursive rule "
                    "is not supported", x->p->aPred[l->iPred].zName);
        return 1;
      }
      pIn = pl_arena_alloc(x->A, sizeof(Inline));
      if( pIn==0 ){ *pSt = X_OOM(x); return 1; }
      pIn->zKey = U->pCte->zKey; pIn->zOwner = d->zKey; pIn->pNext = x->pInline;
      x->pInline = pIn;
    }
    x->pRestartCte = d;
    x->bRestartInline = 1;
    *pSt = ST_RESTART;
    return 1;
  }
  for(k=0; k<l->nArg; k++){
    if( d->aPos[k]==1 ){
      Bind b = term_bind(x, f, &l->aArg[k]);
      const char *z1 = b.eKind==B_FREE ? 0 : bind_sql(x, &b);
      if( z1==0 || strcmp(z1, bind_sql(x, &d->aFix[k]))!=0 ){
        x->pRestartCte = d;
        x->iRestartPos = k;
        *pSt = ST_RESTART;
        return 1;
      }
    }
  }
  if( ++S->nCteRef>1 ){
    *pSt = fail(x, l->pos, "rule calls recursive '%s' twice; only linear recursion is "
                "supported", x->p->aPred[l->iPred].zName);
    return 1;
  }
  zAlias = xprintf(x, "t%d", ++x->nAlias);
  S->pFrom = push(x, S->pFrom, xprintf(x, "%s AS %s", d->zName, zAlias));
  if( !cte_bind_cols(S, f, l, d, zAlias) ){ *pSt = ST_OK; return 2; }
  *pSt = ST_OK;
  return 1;
}

/* Solve a sub-problem: literal iLit of f alone, as EXISTS alternatives;
** returns the SQL boolean in *pz ("1" / "0" for constant answers). */
static int exist_call(Solve *S, Frame *f, int iLit, const unsigned char *aSkip,
                      const char **pz);
static const unsigned char *walk_skip(Solve *S, Frame *f, const PlLit *l);
static const unsigned char *cte_skip(Solve *S, Frame *f, const PlLit *l);

static int call_lit(Solve *S, Frame *f, int iLit){
  Ctx *x = S->x;
  const PlLit *l = &f->c->aLit[iLit];
  const PlPred *pr = &x->p->aPred[l->iPred];
  const char *zKey = call_key(x, f, l);
  Saved sv;
  int st = ST_OK, i, r;
  int bRoot = (f==S->pUnfold && iLit==S->iUnfoldLit);
  const unsigned char *aSkip = bRoot ? S->aSkip : 0;

  if( !bRoot ){
    r = cte_ref(S, f, l, &st);
    if( r==2 ) return ST_OK;           /* CTE cannot match: prune */
    if( r ){
      if( st!=ST_OK ) return st;
      f->aDone[iLit] = 1;
      return solve(S, f);
    }
  }
  if( !bRoot && !S->bNoExist && call_is_existential(x->p, f, iLit)
   && !active_has(S, zKey) ){
    /* inside the base of a walk up, over the same reached value: the
    ** walk already visits every step, so only the base clauses remain */
    aSkip = walk_skip(S, f, l);
    if( aSkip ){
      const char *zCond = 0;
      Active act;
      act.zKey = zKey; act.pNext = S->pActive;
      S->pActive = &act;
      st = exist_call(S, f, iLit, aSkip, &zCond);
      S->pActive = act.pNext;
      if( st!=ST_OK ) return st;
      if( strcmp(zCond, "0")==0 ) return ST_OK;
      if( strcmp(zCond, "1")!=0 ) S->pWhere = push(x, S->pWhere, zCond);
      f->aDone[iLit] = 1;
      return solve(S, f);
    }
  }
  if( !bRoot && !active_has(S, zKey) && (aSkip = cte_skip(S, f, l))!=0 ){
    goto unfold;     /* a base call inside its own predicate's CTE body */
  }
  if( !bRoot && keyset_has(x->pRec, zKey) && !inline_in(S, zKey) ){
    return cte_call(S, f, iLit, zKey, !S->bNoExist && call_is_existential(x->p, f, iLit));
  }
  if( !bRoot && active_has(S, zKey) ){
    KeySet *k = pl_arena_alloc(x->A, sizeof(KeySet));
    if( k==0 ) return X_OOM(x);
    k->zKey = zKey; k->pNext = x->pRec; x->pRec = k;
    x->zRestart = zKey;
    return ST_RESTART;
  }

  if( !bRoot && !S->bNoExist && call_is_existential(x->p, f, iLit) ){
    const char *zCond = 0;
    st = exist_call(S, f, iLit, 0, &zCond);
    if( st==ST_RESTART && x->zRestart && strcmp(x->zRestart, zKey)==0 ){
      x->zRestart = 0;
      return cte_call(S, f, iLit, zKey, 1);
    }
    if( st!=ST_OK ) return st;
    if( strcmp(zCond, "0")==0 ) return ST_OK;   /* never holds: prune */
    if( strcmp(zCond, "1")!=0 ) S->pWhere = push(x, S->pWhere, zCond);
    f->aDone[iLit] = 1;
    return solve(S, f);
  }

  /* unfold: every alternative continues the rest in its own branch */
unfold:
  {
    Active act;
    act.zKey = zKey; act.pNext = S->pActive;
    S->pActive = &act;
    if( save_state(S, f, &sv) ){ S->pActive = act.pNext; return ST_ERR; }
    if( pr->bStored ){
      if( stored_call(S, f, l) ){
        f->aDone[iLit] = 1;
        st = solve(S, f);
      }
      restore_state(S, &sv);
    }
    for(i=0; st==ST_OK && i<pr->nClause; i++){
      Frame *g;
      if( aSkip && aSkip[i] ) continue;
      g = enter_clause(S, f, iLit, &x->p->aClause[pr->aClause[i]]);
      if( x->rc ){ st = ST_ERR; break; }
      if( g ) st = solve(S, g);
      restore_state(S, &sv);
    }
    S->pActive = act.pNext;
  }
  if( st==ST_RESTART && x->zRestart && strcmp(x->zRestart, zKey)==0
   && !(bRoot && S->pCte) ){
    x->zRestart = 0;
    return cte_call(S, f, iLit, zKey, bRoot ? !S->bRows : 0);
  }
  return st;
}

/* Literals other than calls. Returns ST_OK after continuing, or -1 if the
** literal cannot be handled yet (free variables). */
static int other_lit(Solve *S, Frame *f, int iLit, int bForce){
  Ctx *x = S->x;
  const PlLit *l = &f->c->aLit[iLit];
  int k;
  switch( l->eKind ){
    case PL_LIT_UNIFY: {
      Bind a = term_bind(x, f, &l->aArg[0]), b = term_bind(x, f, &l->aArg[1]);
      if( a.eKind==B_FREE && b.eKind==B_FREE ){
        if( !bForce ) return -1;
        return fail(x, l->pos, "cannot evaluate `%s`: both sides are unbound", "=");
      }
      if( a.eKind==B_FREE ){
        if( !bind_to(&f->aBind[l->aArg[0].iVar], &b) ) return ST_OK;
      }else if( b.eKind==B_FREE ){
        if( !bind_to(&f->aBind[l->aArg[1].iVar], &a) ) return ST_OK;
      }else if( !unify_bound(S, &a, &b) ){
        return ST_OK;
      }
      f->aDone[iLit] = 1;
      return solve(S, f);
    }
    case PL_LIT_CMP: {
      static const char *azOp[] = { "", "=", "<>", "<", "<=", ">", ">=" };
      Bind a = term_bind(x, f, &l->aArg[0]), b = term_bind(x, f, &l->aArg[1]);
      if( a.eKind==B_FREE || b.eKind==B_FREE ){
        if( !bForce ) return -1;
        return fail(x, l->pos, "cannot evaluate comparison %s: a side is unbound "
                    "(bind it with a fact or `=` first)", azOp[l->eCmp]);
      }
      S->pWhere = push(x, S->pWhere, xprintf(x, "(%s %s %s)", bind_sql(x, &a),
                                              azOp[l->eCmp], bind_sql(x, &b)));
      f->aDone[iLit] = 1;
      return solve(S, f);
    }
    case PL_LIT_IN: {
      Bind a = term_bind(x, f, &l->aArg[0]);
      for(k=1; k<l->nArg; k++){
        Bind e = term_bind(x, f, &l->aArg[k]);
        if( e.eKind==B_FREE ){
          if( !bForce ) return -1;
          return fail(x, l->pos, "cannot evaluate `in`: the list holds an unbound %s", "variable");
        }
      }
      if( a.eKind==B_FREE ){
        Saved sv;
        int st = ST_OK;
        if( save_state(S, f, &sv) ) return ST_ERR;
        for(k=1; st==ST_OK && k<l->nArg; k++){
          Bind e = term_bind(x, f, &l->aArg[k]);
          if( bind_to(&f->aBind[l->aArg[0].iVar], &e) ){
            f->aDone[iLit] = 1;
            st = solve(S, f);
          }
          restore_state(S, &sv);
        }
        return st;
      }else{
        sqlite3_str *s = sqlite3_str_new(0);
        char *z;
        int n = 0;
        for(k=1; k<l->nArg; k++){
          Bind e = term_bind(x, f, &l->aArg[k]);
          PlTypeSet t = e.ts;
          pl_ts_and(&t, &a.ts);
          if( pl_ts_empty(&t) ) continue;
          if( (e.eKind==B_CONST) && (a.eKind==B_CONST || a.bKnown) ){
            if( const_eq(&a.c, &e.c) ){ n = -1; break; }
            continue;
          }
          sqlite3_str_appendf(s, "%s%s", n++ ? "," : "", bind_sql(x, &e));
        }
        z = sqlite3_str_finish(s);
        if( n==0 ){ sqlite3_free(z); return ST_OK; }
        if( n>0 ) S->pWhere = push(x, S->pWhere, xprintf(x, "%s IN (%s)", bind_sql(x, &a), z));
        sqlite3_free(z);
        f->aDone[iLit] = 1;
        return solve(S, f);
      }
    }
    case PL_LIT_NOTCALL: {
      const PlPred *pr = &x->p->aPred[l->iPred];
      sqlite3_str *s;
      char *z;
      int n = 0;
      for(k=0; k<l->nArg; k++){
        Bind b = term_bind(x, f, &l->aArg[k]);
        if( b.eKind==B_FREE && strcmp(f->c->aVar[l->aArg[k].iVar].zName, "_")!=0 ){
          if( !bForce ) return -1;
          return fail(x, l->pos, "cannot evaluate `not %s(...)`: a variable is unbound", pr->zName);
        }
      }
      if( !pr->bStored ){ f->aDone[iLit] = 1; return solve(S, f); }
      s = sqlite3_str_new(0);
      sqlite3_str_appendf(s, "NOT EXISTS(SELECT 1 FROM %s AS n WHERE ", fact_source(x, l->iPred));
      for(k=0; k<l->nArg; k++){
        Bind b = term_bind(x, f, &l->aArg[k]);
        const char *zCol = xprintf(x, "n.a%d", k+1);
        const char *zF;
        if( b.eKind==B_FREE ){
          zF = type_filter(x, zCol, &b.ts, &pr->aStoreTs[k]);
          if( zF ) sqlite3_str_appendf(s, "%s%s", n++ ? " AND " : "", zF);
        }else{
          sqlite3_str_appendf(s, "%s%s=%s", n++ ? " AND " : "", zCol, bind_sql(x, &b));
        }
      }
      if( n==0 ) sqlite3_str_appendall(s, "1");
      sqlite3_str_appendall(s, ")");
      z = sqlite3_str_finish(s);
      if( z==0 ) return X_OOM(x);
      S->pWhere = push(x, S->pWhere, xprintf(x, "%s", z));
      sqlite3_free(z);
      f->aDone[iLit] = 1;
      return solve(S, f);
    }
  }
  return ST_OK;
}

/* Cost order: arguments bound to a value (a parameter or a column) count
** most, policy constants little (a role name matches many rows), stored
** facts before derived ones; ties keep the policy's order. */
static int call_score(Ctx *x, Frame *f, const PlLit *l){
  int k, n = 0;
  for(k=0; k<l->nArg; k++){
    Bind b = term_bind(x, f, &l->aArg[k]);
    if( b.eKind==B_EXPR ) n += 4;
    else if( b.eKind==B_CONST ) n += 1;
  }
  if( x->p->aPred[l->iPred].nClause==0 ) n += 2;
  return n;
}

static int solve_at(Solve *S, Frame *f){
  Ctx *x = S->x;
  const PlClause *c = f->c;
  int j, best = -1, bestScore = -1, st;
  if( x->rc ) return ST_ERR;
  /* cheap literals first, as soon as they can be evaluated */
  for(j=0; j<c->nLit; j++){
    if( f->aDone[j] || c->aLit[j].eKind==PL_LIT_CALL ) continue;
    st = other_lit(S, f, j, 0);
    if( st!=-1 ) return st;
  }
  for(j=0; j<c->nLit; j++){
    int sc;
    if( f->aDone[j] || c->aLit[j].eKind!=PL_LIT_CALL ) continue;
    sc = call_score(x, f, &c->aLit[j]);
    if( sc>bestScore ){ bestScore = sc; best = j; }
  }
  if( best>=0 ) return call_lit(S, f, best);
  for(j=0; j<c->nLit; j++){
    if( !f->aDone[j] ) return other_lit(S, f, j, 1);
  }
  /* frame complete */
  if( f->pParent ){
    if( !leave_clause(S, f) ) return ST_OK;
    return solve(S, f->pParent);
  }
  return emit(S);
}

/* solve() nests as deep as rules unfold into each other, and a policy can
** unfold far before compile_memory stops it: deep enough to overflow the C
** stack and crash the process that loaded the extension (found by
** tests/diff: tests/corpus/pending/compile_stack_overflow). Bounded here.
** Measured: about 880 bytes of stack a level at -O2 (a 512 KB stack
** overflowed at 597), while the corpus nests at most 19 deep and the
** K-level family of tests/diff 37; 250 levels take about 220 KB. */
#define PL_SOLVE_DEPTH_MAX 250
static int solve(Solve *S, Frame *f){
  Ctx *x = S->x;
  int st;
  if( x->nDepth >= PL_SOLVE_DEPTH_MAX ){
    if( x->rc==SQLITE_OK ){
      x->zErr = sqlite3_mprintf("%s: compiling this check unfolds rules into each "
                                "other more than %d deep", x->p->zFile, PL_SOLVE_DEPTH_MAX);
      x->rc = x->zErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    return ST_ERR;
  }
  x->nDepth++;
  st = solve_at(S, f);
  x->nDepth--;
  return st;
}

/*------------------------------------------------------------- output --*/

static const char *branch_sql(Solve *S, const char *zSelect){
  Ctx *x = S->x;
  sqlite3_str *s = sqlite3_str_new(0);
  char *z;
  const char *zOut;
  sqlite3_str_appendall(s, zSelect);
  if( S->pFrom ){
    /* CROSS JOIN keeps the solve order (bound values first): without
    ** statistics SQLite would start from an equality on a policy constant
    ** ('String:parent') and scan every relation of that name */
    sqlite3_str_appendall(s, " FROM ");
    list_render(s, S->pFrom, " CROSS JOIN ");
  }
  if( S->pWhere ){
    sqlite3_str_appendall(s, " WHERE ");
    list_render_wide(S->x, s, S->pWhere, " AND ", 0);
  }
  z = sqlite3_str_finish(s);
  if( z==0 ){ x->rc = SQLITE_NOMEM; return ""; }
  zOut = xprintf(x, "%s", z);
  sqlite3_free(z);
  return zOut;
}

/* rows mode: one SELECT per combination of wildcard types for projected
** variables that are still free */
/* The branch text with the aliases it declares itself ("AS t12", "WITH
** RECURSIVE r6(") renamed in order of appearance, so that two unfoldings
** reaching the same join (a role granted along two paths) compare equal.
** Aliases of enclosing queries keep their names: they are the same row in
** every alternative. Quoted text is left alone. */
static char *branch_canon(const char *z){
  char *azDecl[64];
  int nDecl = 0, i;
  const char *p, *zPrev = 0;
  int nPrev = 0;
  sqlite3_str *s;
  /* pass 1: declared aliases */
  for(p=z; *p; ){
    if( *p=='\'' || *p=='"' ){
      char q = *p++;
      while( *p && !(*p==q && p[1]!=q) ){ if( *p==q ) p++; p++; }
      if( *p ) p++;
      continue;
    }
    if( (*p>='a' && *p<='z') || (*p>='A' && *p<='Z') || *p=='_' ){
      const char *zTok = p;
      while( (*p>='a' && *p<='z') || (*p>='A' && *p<='Z') || *p=='_' || (*p>='0' && *p<='9') ) p++;
      if( zPrev && ((nPrev==2 && memcmp(zPrev, "AS", 2)==0)
                 || (nPrev==9 && memcmp(zPrev, "RECURSIVE", 9)==0)) ){
        if( nDecl==64 ){                  /* too many to compare: keep it */
          for(i=0; i<nDecl; i++) sqlite3_free(azDecl[i]);
          return 0;
        }
        azDecl[nDecl++] = sqlite3_mprintf("%.*s", (int)(p-zTok), zTok);
      }
      zPrev = zTok; nPrev = (int)(p-zTok);
      continue;
    }
    p++;
  }
  /* pass 2: rename them by first appearance */
  s = sqlite3_str_new(0);
  {
    const char *azSeen[64];
    int nSeen = 0;
    for(p=z; *p; ){
      if( *p=='\'' || *p=='"' ){
        const char *zStart = p;
        char q = *p++;
        while( *p && !(*p==q && p[1]!=q) ){ if( *p==q ) p++; p++; }
        if( *p ) p++;
        sqlite3_str_append(s, zStart, (int)(p-zStart));
        continue;
      }
      if( (*p>='a' && *p<='z') || (*p>='A' && *p<='Z') || *p=='_' ){
        const char *zTok = p;
        int n, j, iDecl = -1;
        while( (*p>='a' && *p<='z') || (*p>='A' && *p<='Z') || *p=='_' || (*p>='0' && *p<='9') ) p++;
        n = (int)(p-zTok);
        for(j=0; j<nDecl; j++){
          if( azDecl[j] && (int)strlen(azDecl[j])==n && memcmp(azDecl[j], zTok, (size_t)n)==0 ){ iDecl = j; break; }
        }
        if( iDecl<0 ){ sqlite3_str_append(s, zTok, n); continue; }
        for(j=0; j<nSeen; j++) if( azSeen[j]==azDecl[iDecl] ) break;
        if( j==nSeen ) azSeen[nSeen++] = azDecl[iDecl];
        sqlite3_str_appendf(s, "#%d", j);
        continue;
      }
      sqlite3_str_appendchar(s, 1, *p++);
    }
  }
  for(i=0; i<nDecl; i++) sqlite3_free(azDecl[i]);
  return sqlite3_str_finish(s);
}

/* Add a branch to *ppList unless an equal one (branch_canon) is there. */
static int out_add(Solve *S, SNode **ppList, const char *zSql){
  Ctx *x = S->x;
  char *zCanon = branch_canon(zSql);
  SNode *pC;
  if( zCanon ){
    for(pC=S->pCanon; pC; pC=pC->pNext){
      if( strcmp(pC->z, zCanon)==0 ){ sqlite3_free(zCanon); return 0; }
    }
    S->pCanon = push(x, S->pCanon, xprintf(x, "%s", zCanon));
    sqlite3_free(zCanon);
  }
  *ppList = push(x, *ppList, zSql);
  S->nOut++;
  return 1;
}

static int emit_rows(Solve *S, int iProj, sqlite3_str *pSel, int nSel){
  Ctx *x = S->x;
  if( iProj==S->nProj ){
    char *z = sqlite3_str_value(pSel) ? sqlite3_mprintf("%.*s", nSel, sqlite3_str_value(pSel)) : 0;
    const char *zSql;
    if( z==0 ) return X_OOM(x);
    zSql = branch_sql(S, z);
    sqlite3_free(z);
    out_add(S, (S->pCte && S->nCteRef) ? &S->pOutRec : &S->pOut, zSql);
    return ST_OK;
  }else{
    Bind b = S->pRoot->aBind[S->aProjVar[iProj]];
    const char *zSep = iProj ? ", " : "";
    if( b.eKind!=B_FREE ){
      sqlite3_str_appendf(pSel, "%s%s AS c%d", zSep, bind_sql(x, &b), iProj+1);
      return emit_rows(S, iProj+1, pSel, sqlite3_str_length(pSel));
    }else{
      PlTypeSet t = b.ts;
      int ty, st = ST_OK;
      pl_ts_and(&t, &S->aProjTs[iProj]);
      for(ty=pl_ts_first(&t); ty>=0 && st==ST_OK; ty=pl_ts_next(&t, ty)){
        /* truncate back to nSel before appending this alternative */
        sqlite3_str *s2 = sqlite3_str_new(0);
        if( nSel ) sqlite3_str_append(s2, sqlite3_str_value(pSel), nSel);
        sqlite3_str_appendf(s2, "%s'%q:' AS c%d", zSep, x->p->aType[ty].zName, iProj+1);
        st = emit_rows(S, iProj+1, s2, sqlite3_str_length(s2));
        sqlite3_free(sqlite3_str_finish(s2));
      }
      return st;
    }
  }
}

static int emit(Solve *S){
  Ctx *x = S->x;
  if( S->bRows ){
    sqlite3_str *s = sqlite3_str_new(0);
    int st;
    sqlite3_str_appendall(s, "SELECT ");
    if( S->nProj==0 ) sqlite3_str_appendall(s, "1 AS c0");
    st = emit_rows(S, 0, s, sqlite3_str_length(s));
    sqlite3_free(sqlite3_str_finish(s));
    return st;
  }
  if( S->pFrom==0 ){
    if( S->pWhere==0 ){ S->bTrue = 1; return ST_OK; }
    {
      sqlite3_str *s = sqlite3_str_new(0);
      char *z;
      sqlite3_str_appendall(s, "(");
      list_render_wide(S->x, s, S->pWhere, " AND ", 0);
      sqlite3_str_appendall(s, ")");
      z = sqlite3_str_finish(s);
      if( z==0 ) return X_OOM(x);
      out_add(S, &S->pOut, xprintf(x, "%s", z));
      sqlite3_free(z);
    }
  }else{
    out_add(S, &S->pOut, xprintf(x, "EXISTS(%s)", branch_sql(S, "SELECT 1")));
  }
  return ST_OK;
}

static void solve_init(Solve *S, Solve *pOuter, Ctx *x, int bRows){
  memset(S, 0, sizeof(*S));
  S->x = x;
  S->pOuter = pOuter;
  S->iLevel = ++x->nLevel;
  S->bRows = bRows;
}

/* OR of the EXISTS alternatives collected by S */
static const char *exist_result(Solve *S){
  Ctx *x = S->x;
  sqlite3_str *s;
  char *z;
  const char *zOut;
  if( S->bTrue ) return "1";
  if( S->pOut==0 ) return "0";
  if( S->pOut->pNext==0 ) return S->pOut->z;
  s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "(");
  list_render_wide(x, s, S->pOut, " OR ", 0);
  sqlite3_str_appendall(s, ")");
  z = sqlite3_str_finish(s);
  if( z==0 ){ x->rc = SQLITE_NOMEM; return "0"; }
  zOut = xprintf(x, "%s", z);
  sqlite3_free(z);
  return zOut;
}

/* A parentless copy of f in which only literal iLit remains to solve. */
static Frame *frame_only(Ctx *x, Frame *f, int iLit){
  Frame *g = frame_new(x, f->c, 0, 0, 0);
  if( g==0 ) return 0;
  memcpy(g->aBind, f->aBind, sizeof(Bind)*(size_t)f->c->nVar);
  memset(g->aDone, 1, (size_t)f->c->nLit);
  g->aDone[iLit] = 0;
  return g;
}

static int exist_call(Solve *S, Frame *f, int iLit, const unsigned char *aSkip,
                      const char **pz){
  Ctx *x = S->x;
  Solve T;
  Frame *g;
  int st;
  solve_init(&T, S, x, 0);
  g = frame_only(x, f, iLit);
  if( g==0 ) return ST_ERR;
  /* g has no parent, so finishing it emits an EXISTS alternative */
  T.pUnfold = g;
  T.iUnfoldLit = iLit;
  T.aSkip = aSkip;
  st = solve(&T, g);
  if( st!=ST_OK ) return st;
  *pz = exist_result(&T);
  return ST_OK;
}

/*---------------------------------------------------------------- CTEs --*/

static PlClause *synthetic_clause(Ctx *x, int iPred, const PlTypeSet *aTs){
  const PlPred *pr = &x->p->aPred[iPred];
  PlClause *c = pl_arena_alloc(x->A, sizeof(PlClause));
  int k;
  if( c==0 ){ x->rc = SQLITE_NOMEM; return 0; }
  c->iPred = iPred;
  c->nVar = pr->nArg;
  c->aVar = pl_arena_alloc(x->A, sizeof(PlVarInfo)*(size_t)pr->nArg);
  c->aHead = pl_arena_alloc(x->A, sizeof(PlITerm)*(size_t)pr->nArg);
  c->aLit = pl_arena_alloc(x->A, sizeof(PlLit));
  if( !c->aVar || !c->aHead || !c->aLit ){ x->rc = SQLITE_NOMEM; return 0; }
  c->nLit = 1;
  c->aLit[0].eKind = PL_LIT_CALL;
  c->aLit[0].iPred = iPred;
  c->aLit[0].nArg = pr->nArg;
  c->aLit[0].aArg = c->aHead;
  for(k=0; k<pr->nArg; k++){
    c->aVar[k].zName = "$arg";
    c->aVar[k].ts = aTs[k];
    c->aHead[k].eKind = PL_IT_VAR;
    c->aHead[k].iVar = k;
  }
  return c;
}

/* Build the WITH RECURSIVE text for a CTE definition d (body computed by a
** fresh solve). */
static int cte_body(Solve *S, CteDef *d, const char **pzWith){
  Ctx *x = S->x;
  Solve T;
  PlClause *c;
  Frame *g;
  sqlite3_str *s;
  char *z;
  int k, st;
  solve_init(&T, S, x, 1);
  T.bNoExist = 1;
  T.pCte = d;
  d->pOwner = &T;
  c = synthetic_clause(x, d->iPred, d->aTs);
  if( c==0 ) return ST_ERR;
  g = frame_new(x, c, 0, 0, 0);
  if( g==0 ) return ST_ERR;
  T.pRoot = g;
  T.pUnfold = g;
  T.iUnfoldLit = 0;
  T.aProjVar = pl_arena_alloc(x->A, sizeof(int)*PL_MAX_ARGS);
  T.aProjTs = pl_arena_alloc(x->A, sizeof(PlTypeSet)*PL_MAX_ARGS);
  if( !T.aProjVar || !T.aProjTs ) return X_OOM(x);
  for(k=0; k<d->nArg; k++){
    if( d->aPos[k]==0 ){
      T.aProjVar[T.nProj] = k;
      T.aProjTs[T.nProj] = d->aTs[k];
      T.nProj++;
    }else{
      g->aBind[k] = d->aFix[k];
    }
  }
  st = solve(&T, g);
  if( st!=ST_OK ) return st;
  s = sqlite3_str_new(0);
  sqlite3_str_appendf(s, "WITH RECURSIVE %s(", d->zName);
  if( d->nCol==0 ) sqlite3_str_appendall(s, "c0");
  for(k=1; k<=d->nCol; k++) sqlite3_str_appendf(s, "%sc%d", k>1?",":"", k);
  sqlite3_str_appendall(s, ") AS (");
  if( T.pOut ){
    list_render_wide(x, s, T.pOut, " UNION ", 1);
  }else{
    sqlite3_str_appendall(s, "SELECT ");
    if( d->nCol==0 ) sqlite3_str_appendall(s, "1");
    for(k=1; k<=d->nCol; k++) sqlite3_str_appendf(s, "%sNULL", k>1?",":"");
    sqlite3_str_appendall(s, " WHERE 0");
  }
  if( T.pOutRec ){
    sqlite3_str_appendall(s, " UNION ");
    list_render(s, T.pOutRec, " UNION ");
  }
  sqlite3_str_appendall(s, ") ");
  z = sqlite3_str_finish(s);
  if( z==0 ) return X_OOM(x);
  *pzWith = xprintf(x, "%s", z);
  sqlite3_free(z);
  return ST_OK;
}

/* Walking up instead of down. A yes/no recursive call such as
** has_role(?actor, "viewer", ?folder) with clauses
**     has_role(a, r, f) if has_relation(f, "parent", p) and has_role(a, r, p);
**     has_role(a, r, f) if <base>;
** moves only one argument (f -> p) through "step" literals that read
** nothing else of the head. Then it holds iff <base> holds for some g
** reachable from the bound ?folder by steps:
**     EXISTS(WITH RECURSIVE m(c1) AS (SELECT ?folder UNION
**            SELECT p FROM m, <step with f = m.c1>) SELECT 1 FROM m WHERE <base, f = m.c1>)
** which visits the folder's ancestors (a few rows) instead of everything
** the actor can see. Returns ST_DECLINE when the call does not have that
** shape; the caller then builds the general CTE. */
/* Does literal iRec of clause c call its own predicate moving only one
** argument (*piMove), with step literals that read no other head variable? */
static int walkup_step(const PlClause *c, int nArg, int iRec, int *piMove){
  const PlLit *r = &c->aLit[iRec];
  int j, k, k2, kMove = -1;
  for(k=0; k<nArg; k++){
    const PlITerm *h = &c->aHead[k], *t = &r->aArg[k];
    if( h->eKind!=PL_IT_VAR || t->eKind!=PL_IT_VAR ) return 0;
    for(k2=k+1; k2<nArg; k2++) if( c->aHead[k2].iVar==h->iVar ) return 0;
    if( h->iVar==t->iVar ) continue;
    if( kMove>=0 ) return 0;
    kMove = k;
  }
  if( kMove<0 ) return 0;
  for(j=0; j<c->nLit; j++){
    int a;
    if( j==iRec ) continue;
    for(a=0; a<c->aLit[j].nArg; a++){
      const PlITerm *t = &c->aLit[j].aArg[a];
      if( t->eKind!=PL_IT_VAR ) continue;
      for(k=0; k<nArg; k++){
        if( k!=kMove && c->aHead[k].iVar==t->iVar ) return 0;
      }
    }
  }
  *piMove = kMove;
  return 1;
}

/* Can predicate iFrom reach iTarget through calls (aSeen: visited)? */
static int pred_reaches(const PlPolicy *p, int iFrom, int iTarget, unsigned char *aSeen){
  const PlPred *pr = &p->aPred[iFrom];
  int i, j;
  if( iFrom==iTarget ) return 1;
  if( aSeen[iFrom] ) return 0;
  aSeen[iFrom] = 1;
  for(i=0; i<pr->nClause; i++){
    const PlClause *c = &p->aClause[pr->aClause[i]];
    for(j=0; j<c->nLit; j++){
      const PlLit *m = &c->aLit[j];
      if( (m->eKind==PL_LIT_CALL || m->eKind==PL_LIT_NOTCALL)
       && pred_reaches(p, m->iPred, iTarget, aSeen) ) return 1;
    }
  }
  return 0;
}

/* Can clause c answer call l of frame f at all (head types)? */
static int clause_fits(Ctx *x, Frame *f, const PlLit *l, const PlClause *c){
  int k;
  for(k=0; k<l->nArg; k++){
    Bind b = term_bind(x, f, &l->aArg[k]);
    PlTypeSet t;
    if( c->aHead[k].eKind!=PL_IT_VAR ) continue;
    t = c->aVar[c->aHead[k].iVar].ts;
    pl_ts_and(&t, &b.ts);
    if( pl_ts_empty(&t) ) return 0;
  }
  return 1;
}

/* Mark the step clauses of l's predicate in aRec; 0 unless there is at
** least one and all move the same argument. Other clauses are the base (a
** base that leads back to the same call shows up as a restart, and the
** general CTE takes over). */
static int walkup_shape(Ctx *x, Frame *f, const PlLit *l, unsigned char *aRec,
                        int *piMove){
  const PlPred *pr = &x->p->aPred[l->iPred];
  unsigned char *aSeen = pl_arena_alloc(x->A, (size_t)x->p->nPred + 1);
  int i, j, kMove = -1, nRec = 0;
  if( aSeen==0 ) return 0;
  for(i=0; i<pr->nClause; i++){
    const PlClause *c = &x->p->aClause[pr->aClause[i]];
    int iRec = -1, nSelf = 0, k;
    aRec[i] = 0;
    if( !clause_fits(x, f, l, c) ) continue;
    for(j=0; j<c->nLit; j++){
      const PlLit *m = &c->aLit[j];
      if( m->eKind!=PL_LIT_CALL && m->eKind!=PL_LIT_NOTCALL ) continue;
      if( m->iPred==l->iPred ){
        nSelf++;
        if( m->eKind==PL_LIT_CALL ) iRec = j;
      }else{
        /* recursion through another predicate: leave it to the general CTE */
        memset(aSeen, 0, (size_t)x->p->nPred);
        if( pred_reaches(x->p, m->iPred, l->iPred, aSeen) ) return 0;
      }
    }
    if( nSelf!=1 || iRec<0 || !walkup_step(c, pr->nArg, iRec, &k) ) continue;
    if( kMove>=0 && k!=kMove ) return 0;
    kMove = k;
    aRec[i] = 1;
    nRec++;
  }
  *piMove = kMove;
  return nRec>0;
}

/* The step clauses of call l, if they move argument kWant and are the
** clauses aWant marks (so a walk over them already covers this call). */
static const unsigned char *same_steps(Ctx *x, Frame *f, const PlLit *l, int kWant,
                                       const unsigned char *aWant){
  int nClause = x->p->aPred[l->iPred].nClause, kMove = -1;
  unsigned char *aRec = pl_arena_alloc(x->A, (size_t)nClause + 1);
  if( aRec==0 ){ x->rc = SQLITE_NOMEM; return 0; }
  if( !walkup_shape(x, f, l, aRec, &kMove) || kMove!=kWant
   || memcmp(aRec, aWant, (size_t)nClause)!=0 ) return 0;
  return aRec;
}

static const unsigned char *walk_skip(Solve *S, Frame *f, const PlLit *l){
  Solve *W;
  for(W=S; W; W=W->pOuter){
    Bind b;
    if( W->pCte || (W!=S && W->bNoExist) ) return 0;
    if( W->zWalkCol==0 || W->iWalkPred!=l->iPred ) continue;
    b = term_bind(S->x, f, &l->aArg[W->iWalkMove]);
    if( b.eKind!=B_EXPR || strcmp(b.zExpr, W->zWalkCol)!=0 ) continue;
    return same_steps(S->x, f, l, W->iWalkMove, W->aSkip);
  }
  return 0;
}

/* The same inside a CTE body: the body of has_role(?actor, "viewer", F)
** computes the F closed under the steps (children of every F it holds), so
** its base call has_role(?actor, "editor", F) over the same output
** column needs only its base clauses, not a CTE of its own that walks the
** same steps again. Returns the clauses to leave out, or NULL. */
static const unsigned char *cte_skip(Solve *S, Frame *f, const PlLit *l){
  Ctx *x = S->x;
  unsigned char *aRoot;
  int kMove = -1;
  if( S->pCte==0 || S->pCte->iPred!=l->iPred || S->pRoot==0 || f->pParent!=S->pRoot ) return 0;
  aRoot = pl_arena_alloc(x->A, (size_t)x->p->aPred[l->iPred].nClause + 1);
  if( aRoot==0 ){ x->rc = SQLITE_NOMEM; return 0; }
  if( !walkup_shape(x, S->pRoot, &S->pRoot->c->aLit[0], aRoot, &kMove)
   || S->pCte->aPos[kMove]!=0 ) return 0;
  /* the call's moving argument is the clause head's: the CTE's column */
  if( l->aArg[kMove].eKind!=PL_IT_VAR || f->c->aHead[kMove].eKind!=PL_IT_VAR
   || l->aArg[kMove].iVar!=f->c->aHead[kMove].iVar ) return 0;
  return same_steps(x, f, l, kMove, aRoot);
}

static int walkup_call(Solve *S, Frame *f, int iLit){
  Ctx *x = S->x;
  const PlLit *l = &f->c->aLit[iLit];
  const PlPred *pr = &x->p->aPred[l->iPred];
  unsigned char *aRec = pl_arena_alloc(x->A, (size_t)pr->nClause + 1);
  const char *zM, *zB, *zSeed, *zBase = 0;
  sqlite3_str *s;
  char *z;
  Bind seed, nb;
  Solve U, *W;
  Frame *g;
  int i, kMove = -1, nStep = 0, st = ST_OK;
  if( aRec==0 ) return X_OOM(x);
  Excl *pExcl0 = x->pExcl;
  Inline *pInline0 = x->pInline;
  if( !walkup_shape(x, f, l, aRec, &kMove) ) return ST_DECLINE;
  for(W=S; W; W=W->pOuter){
    /* SQLite cannot read a recursive CTE from a subquery: stay out of
    ** CTE bodies */
    if( W->bNoExist || W->pCte ) return ST_DECLINE;
  }
  if( l->aArg[kMove].eKind!=PL_IT_VAR ) return ST_DECLINE;
  seed = term_bind(x, f, &l->aArg[kMove]);
  if( seed.eKind==B_FREE ) return ST_DECLINE;
  zSeed = bind_sql(x, &seed);
  zM = xprintf(x, "m%d", ++x->nAlias);
  s = sqlite3_str_new(0);
  sqlite3_str_appendf(s, "EXISTS(WITH RECURSIVE %s(c1) AS (SELECT %s", zM, zSeed);

  /* steps: each recursive clause, its head's moving variable = m.c1,
  ** projecting the recursive call's moving argument */
  for(i=0; st==ST_OK && i<pr->nClause; i++){
    const PlClause *c = &x->p->aClause[pr->aClause[i]];
    Solve T;
    const char *zA;
    int j;
    if( !aRec[i] ) continue;
    solve_init(&T, S, x, 1);
    T.bNoExist = 1;
    g = frame_new(x, c, 0, 0, 0);
    T.aProjVar = pl_arena_alloc(x->A, sizeof(int));
    T.aProjTs = pl_arena_alloc(x->A, sizeof(PlTypeSet));
    if( g==0 || T.aProjVar==0 || T.aProjTs==0 ){ st = X_OOM(x); break; }
    zA = xprintf(x, "t%d", ++x->nAlias);
    T.pFrom = push(x, T.pFrom, xprintf(x, "%s AS %s", zM, zA));
    memset(&nb, 0, sizeof(nb));
    nb.eKind = B_EXPR; nb.zExpr = xprintf(x, "%s.c1", zA); nb.iLevel = T.iLevel;
    nb.ts = seed.ts;
    if( !bind_to(&g->aBind[c->aHead[kMove].iVar], &nb) ) continue;
    for(j=0; j<c->nLit; j++){
      const PlLit *m = &c->aLit[j];
      if( m->eKind==PL_LIT_CALL && m->iPred==l->iPred ){
        g->aDone[j] = 1;
        T.aProjVar[0] = m->aArg[kMove].iVar;
      }
    }
    T.aProjTs[0] = seed.ts;
    T.nProj = 1;
    T.pRoot = g;
    st = solve(&T, g);
    if( st==ST_OK && T.pOut ){
      sqlite3_str_appendall(s, " UNION ");
      list_render(s, T.pOut, " UNION ");
      nStep++;
    }
  }

  /* base: literal iLit alone, its moving argument = the reached value, the
  ** recursive clauses left out */
  if( st==ST_OK ){
    zB = xprintf(x, "t%d", ++x->nAlias);
    solve_init(&U, S, x, 0);
    g = frame_only(x, f, iLit);
    if( g==0 ){ sqlite3_free(sqlite3_str_finish(s)); return X_OOM(x); }
    memset(&nb, 0, sizeof(nb));
    nb.eKind = B_EXPR; nb.zExpr = xprintf(x, "%s.c1", zB); nb.iLevel = ++x->nLevel;
    nb.ts = seed.ts;
    g->aBind[l->aArg[kMove].iVar] = nb;
    U.pUnfold = g;
    U.iUnfoldLit = iLit;
    U.aSkip = aRec;
    U.iWalkPred = l->iPred;
    U.iWalkMove = kMove;
    U.zWalkCol = nb.zExpr;
    st = solve(&U, g);
    if( st==ST_OK ) zBase = exist_result(&U);
  }
  if( st!=ST_OK || nStep==0 ){
    /* anything this shape cannot express: let the general CTE path meet
    ** it afresh (out of memory is the one failure that stays) */
    sqlite3_free(sqlite3_str_finish(s));
    if( st==ST_ERR && x->rc==SQLITE_NOMEM ) return st;
    sqlite3_free(x->zErr);
    x->zErr = 0; x->rc = SQLITE_OK;
    x->zRestart = 0; x->pRestartCte = 0; x->bRestartInline = 0;
    x->pExcl = pExcl0; x->pInline = pInline0;
    return ST_DECLINE;
  }
  if( strcmp(zBase, "0")==0 ){     /* the base never holds: prune */
    sqlite3_free(sqlite3_str_finish(s));
    return ST_OK;
  }
  sqlite3_str_appendf(s, ") SELECT 1 FROM %s AS %s WHERE %s)", zM, zB, zBase);
  z = sqlite3_str_finish(s);
  if( z==0 ) return X_OOM(x);
  S->pWhere = push(x, S->pWhere, xprintf(x, "%s", z));
  sqlite3_free(z);
  f->aDone[iLit] = 1;
  return solve(S, f);
}

/* Compile call literal iLit of f through a recursive CTE. */
static int cte_call(Solve *S, Frame *f, int iLit, const char *zKey, int bExist){
  Ctx *x = S->x;
  const PlLit *l = &f->c->aLit[iLit];
  const PlPred *pr = &x->p->aPred[l->iPred];
  int nTry;
  if( bExist ){
    int st = walkup_call(S, f, iLit);
    if( st!=ST_DECLINE ) return st;
  }
  for(nTry=0; nTry<=2*PL_MAX_ARGS+8; nTry++){
    unsigned excl = excl_mask(x, zKey);
    CteDef *d = pl_arena_alloc(x->A, sizeof(CteDef));
    const char *zWith = 0;
    int k, i, st;
    if( d==0 ) return X_OOM(x);
    d->zName = xprintf(x, "r%d", ++x->nAlias);
    d->zKey = zKey;
    d->iPred = l->iPred;
    d->nArg = l->nArg;
    for(k=0; k<l->nArg; k++){
      Bind b = term_bind(x, f, &l->aArg[k]);
      int bHeadVars = 1;
      d->aTs[k] = b.ts;
      for(i=0; i<pr->nClause; i++){
        if( x->p->aClause[pr->aClause[i]].aHead[k].eKind!=PL_IT_VAR ) bHeadVars = 0;
      }
      if( b.eKind==B_CONST ){
        d->aPos[k] = 2; d->aFix[k] = b;
      }else if( b.eKind==B_EXPR && bHeadVars && !(excl & (1u<<k))
             && (bExist || b.iLevel!=S->iLevel) ){
        d->aPos[k] = 1; d->aFix[k] = b; d->aFix[k].bKnown = 0;
      }else{
        d->aPos[k] = 0; d->aCol[k] = ++d->nCol;
      }
    }
    st = cte_body(S, d, &zWith);
    if( st==ST_RESTART && x->pRestartCte==d ){
      x->pRestartCte = 0;
      if( x->bRestartInline ) x->bRestartInline = 0;
      else excl_add(x, zKey, x->iRestartPos);
      continue;
    }
    if( st!=ST_OK ) return st;
    if( bExist ){
      sqlite3_str *s;
      char *z;
      int n = 0;
      s = sqlite3_str_new(0);
      sqlite3_str_appendf(s, "EXISTS(%sSELECT 1 FROM %s", zWith, d->zName);
      for(k=0; k<l->nArg; k++){
        Bind b;
        if( d->aPos[k]!=0 ) continue;
        b = term_bind(x, f, &l->aArg[k]);
        if( b.eKind==B_FREE ) continue;
        sqlite3_str_appendf(s, "%s%s.c%d=%s", n++ ? " AND " : " WHERE ",
                            d->zName, d->aCol[k], bind_sql(x, &b));
      }
      sqlite3_str_appendall(s, ")");
      z = sqlite3_str_finish(s);
      if( z==0 ) return X_OOM(x);
      S->pWhere = push(x, S->pWhere, xprintf(x, "%s", z));
      sqlite3_free(z);
      f->aDone[iLit] = 1;
      return solve(S, f);
    }else{
      const char *zAlias = xprintf(x, "t%d", ++x->nAlias);
      Saved sv;
      if( save_state(S, f, &sv) ) return ST_ERR;
      S->pFrom = push(x, S->pFrom, xprintf(x, "(%sSELECT * FROM %s) AS %s", zWith, d->zName, zAlias));
      if( !cte_bind_cols(S, f, l, d, zAlias) ){ restore_state(S, &sv); return ST_OK; }
      f->aDone[iLit] = 1;
      st = solve(S, f);
      restore_state(S, &sv);
      return st;
    }
  }
  return fail(x, l->pos, "cannot compile recursion through '%s'", pr->zName);
}

/*----------------------------------------------------------------- api --*/

int pl_compile(const PlPolicy *p, const PlLimits *pLim, const char *zPred, int nArg,
               const PlGoalArg *aArg, int bRows, int bContext,
               char **pzSql, char **pzErr){
  Ctx x;
  Solve S;
  PlTypeSet aTs[PL_MAX_ARGS];
  PlClause *c;
  Frame *g;
  int iPred, k, st = ST_OK;
  char *zSql = 0;
  *pzSql = 0;
  *pzErr = 0;
  memset(&x, 0, sizeof(x));
  x.p = p;
  x.bContext = bContext;
  x.A = pl_arena_new();
  if( x.A==0 ) return SQLITE_NOMEM;
  if( pl_limit(pLim, PL_LIMIT_COMPILE_MEMORY) < (sqlite3_int64)(SIZE_MAX/2) ){
    pl_arena_cap(x.A, (size_t)pl_limit(pLim, PL_LIMIT_COMPILE_MEMORY));
  }
  iPred = pl_policy_find_pred(p, zPred, nArg);
  solve_init(&S, 0, &x, bRows);
  if( iPred>=0 ){
    for(k=0; k<nArg; k++){
      if( aArg[k].eKind==PL_GA_OPEN ){
        aTs[k] = aArg[k].ts;
      }else{
        memset(&aTs[k], 0, sizeof(PlTypeSet));
        pl_ts_add(&aTs[k], aArg[k].iType);
      }
    }
    c = synthetic_clause(&x, iPred, aTs);
    g = c ? frame_new(&x, c, 0, 0, 0) : 0;
    if( g ){
      c->pRule = 0;
      S.pRoot = g;
      S.aProjVar = pl_arena_alloc(x.A, sizeof(int)*PL_MAX_ARGS);
      S.aProjTs = pl_arena_alloc(x.A, sizeof(PlTypeSet)*PL_MAX_ARGS);
      if( !S.aProjVar || !S.aProjTs ) x.rc = SQLITE_NOMEM;
      for(k=0; x.rc==SQLITE_OK && k<nArg; k++){
        if( aArg[k].eKind==PL_GA_OPEN ){
          S.aProjVar[S.nProj] = k;
          S.aProjTs[S.nProj] = aArg[k].ts;
          S.nProj++;
        }else{
          Bind *b = &g->aBind[k];
          b->eKind = B_EXPR;
          b->zExpr = xprintf(&x, "?%d", aArg[k].iParam);
          b->iLevel = 0;
          if( aArg[k].zKnown ){
            b->bKnown = 1;
            b->c.iType = aArg[k].iType;
            b->c.z = aArg[k].zKnown;
            b->c.n = aArg[k].nKnown;
          }
        }
      }
      /* the root call is always unfolded: its alternatives are the answer */
      S.pUnfold = g;
      S.iUnfoldLit = 0;
      if( x.rc==SQLITE_OK ) st = solve(&S, g);
    }
  }
  if( x.rc==SQLITE_OK && st==ST_RESTART ){
    x.zErr = sqlite3_mprintf("internal error: unresolved recursion while compiling %s", zPred);
    x.rc = SQLITE_INTERNAL;
  }
  if( x.rc==SQLITE_OK ){
    sqlite3_str *s = sqlite3_str_new(0);
    if( bRows ){
      if( S.pOut==0 ){
        sqlite3_str_appendall(s, "SELECT ");
        if( S.nProj==0 ) sqlite3_str_appendall(s, "1 AS c0");
        for(k=0; k<S.nProj; k++) sqlite3_str_appendf(s, "%sNULL AS c%d", k?", ":"", k+1);
        sqlite3_str_appendall(s, " WHERE 0");
      }else{
        list_render_wide(&x, s, S.pOut, bRows==2 ? " UNION ALL " : " UNION ", 1);
      }
    }else{
      sqlite3_str_appendall(s, exist_result(&S));
    }
    zSql = sqlite3_str_finish(s);
    if( zSql==0 ) x.rc = SQLITE_NOMEM;
  }
  if( x.rc==SQLITE_NOMEM && pl_arena_capped(x.A) ){
    /* not the system's memory: the compile_memory limit */
    char *zWhat = sqlite3_mprintf("%s: compiling %s/%d for this call needs too much "
                                  "memory", p->zFile, zPred, nArg);
    sqlite3_free(x.zErr);
    x.zErr = zWhat ? pl_limit_error(pLim, PL_LIMIT_COMPILE_MEMORY, zWhat) : 0;
    if( x.zErr ) x.rc = SQLITE_ERROR;
    sqlite3_free(zWhat);
  }
  pl_arena_free(x.A);
  if( x.rc!=SQLITE_OK ){
    sqlite3_free(zSql);
    *pzErr = x.zErr ? x.zErr : sqlite3_mprintf("out of memory while compiling");
    return x.rc;
  }
  *pzSql = zSql;
  return SQLITE_OK;
}
