/*
** plan.c — how a goal is answered: a partial evaluation of the policy for
** the shapes of the goal's arguments, into a plan of SELECTs (pl_int.h)
** that emit.c writes as SQL.
**
** A goal is a predicate with each argument bound (an SQL parameter, or a
** string the policy spells: an action) or open (wanted in the answer). The
** planner runs the policy like a Prolog interpreter at compile time, over
** bindings instead of values:
**
**  - Each rule alternative (PlClause) is a Frame with one binding per
**    variable: free (with the types it may take), a constant, a set of
**    constants (labels, below), or an SQL expression (a parameter, or a
**    column of a table in the FROM list).
**  - Literals are taken in a cost order: comparisons and `in` as soon as
**    they can be evaluated, then calls with the most bound arguments,
**    stored facts before derived ones. A call to a stored fact adds its
**    table to the FROM list with equality on the bound arguments and binds
**    the free ones to its columns.
**  - A call to a derived predicate is answered one of three ways:
**      existential (every argument bound, or free and used nowhere else):
**        EXISTS(arm) OR EXISTS(arm) ..., one arm per alternative, solved
**        apart and correlated to the current row;
**      unfolded: each alternative continues the rest of the body in its
**        own branch, so a UNION of flat joins;
**      a unit: compiled once into statements of its own (compile.c) and
**        read through polar_call(unit, bound values...) (sql/call.c), a
**        table-valued function that tables its answers for the check.
**    Units answer what copying cannot: recursion (a call whose shape is
**    already being expanded — the expansion restarts as a unit, whose own
**    body then calls itself through polar_call), calls nested deeper than
**    SQLite's parser allows (PL_INLINE_DEPTH), and shapes already copied
**    PL_INLINE_SHARE times (so the SQL grows with the policy, not with
**    the number of paths through it).
**  - Implications between roles and permissions are folded
**    (analysis/closure.c): a call of has_permission(a, "read", r) asks
**    the stored has_role facts once for every role that implies "read"
**    (+a2 IN ('String:reader','String:maintainer')), and each rule of
**    those roles once, with its role variable bound to the set of roles
**    (labels). Rules that differ only in the role they ask of the same
**    relation ("reader" if "member" on "parent"; "maintainer" if "admin"
**    on "parent") become one branch asking the set.
**  - Types prune at compile time: an alternative whose head specializer
**    cannot match the argument types is dropped.
**  - A variable that nothing binds but a comparison or `not` needs (a
**    resource granted by a global role, then filtered by `not`) ranges
**    over the type's domain: every value of the type the database stores.
**  - Every policy literal is written with %Q (emit.c); every user value is
**    a parameter.
*/
#include "pl_int.h"
#include <string.h>
#include <stdarg.h>

/* Calls nested deeper than this (EXISTS inside EXISTS) become units:
** SQLite 3.40's parser overflows at about 9 levels. */
#define PL_INLINE_DEPTH 4
/* A call shape copied into this many places becomes a unit. */
#define PL_INLINE_SHARE 3

enum { B_FREE = 0, B_CONST, B_LABELS, B_EXPR };

typedef struct Bind {
  int eKind;
  PlTypeSet ts;              /* the types the value may have */
  int iPrin;                 /* 1 + the predicate whose transfers this value
                             ** has been asked already (an actor marked by a
                             ** pass-along rule, analysis/transfer.c), or 0 */
  PlConst c;                 /* CONST */
  const PlConst *aLab; int nLab; /* LABELS: sorted, distinct */
  PlQExpr e;                  /* EXPR */
} Bind;

typedef struct Frame Frame;
struct Frame {
  const PlClause *c;
  Bind *aBind;
  unsigned char *aDone;
  Frame *pParent;
  const PlLit *pCall;        /* literal of pParent answered by this frame */
  int iCallLit;
  /* merged alternatives: argument kOver of literal iOverLit is a set */
  int iOverLit, kOver;
  Bind over;
  /* entered through a closure: argument kClosed of the call was replaced
  ** by the labels this clause answers (leave_clause leaves it alone) */
  int kClosed;
};

typedef struct KeyNode { const char *zKey; int n; struct KeyNode *pNext; } KeyNode;

typedef struct Ctx {
  const PlPolicy *p;
  PlArena *A;
  PlUnits *pUnits;
  int rc;
  char *zErr;
  int nAlias;
  int bContext;
  const char *zRestart;      /* call key whose expansion restarts as a unit */
  KeyNode *pInlined;         /* call keys copied inline, with counts */
  int nUnitNest;             /* unit bodies being compiled, nested */
  int nSolve;                /* solve() calls nested now (its guard) */
} Ctx;

typedef struct QNode { PlQuery *q; struct QNode *pNext; } QNode;
typedef struct SNode { const char *z; struct SNode *pNext; } SNode;
typedef struct Active { const char *zKey; struct Active *pNext; } Active;

typedef struct Solve Solve;
struct Solve {
  Ctx *x;
  Solve *pOuter;
  int nDepth;                /* EXISTS nesting of this query */
  int bRows;                 /* branches project aProjVar (else EXISTS arms) */
  Active *pActive;           /* call keys being expanded inline here */
  /* the branch under construction */
  PlQFrom *pFrom;
  PlQCond *pCond;
  int nCall;
  /* projection (rows mode): variables of the root frame */
  Frame *pRoot;
  int aProjVar[PL_MAX_ARGS]; int nProj;
  PlTypeSet aProjTs[PL_MAX_ARGS];
  /* output */
  QNode *pOut; int nOut;
  int bTrue;                 /* some arm holds unconditionally */
  SNode *pCanon;             /* canonical text of every branch so far */
  /* the call this solve answers: always expanded, never a unit */
  Frame *pUnfold;
  int iUnfoldLit;
};

enum { ST_OK = 0, ST_ERR, ST_RESTART };

#define X_OOM(x) ((x)->rc = SQLITE_NOMEM, ST_ERR)

static void *xalloc(Ctx *x, size_t n){
  void *p = pl_arena_alloc(x->A, n ? n : 1);
  if( p==0 ) x->rc = SQLITE_NOMEM;
  return p;
}

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

/*--------------------------------------------------------- values ---*/

static int const_eq(const PlConst *a, const PlConst *b){
  if( a->iType!=b->iType ) return 0;
  if( a->iType==PL_TYPE_INTEGER ) return a->i==b->i;
  return a->n==b->n && memcmp(a->z, b->z, (size_t)a->n)==0;
}

/* Order of constants in a label set: type, then bytes. */
static int const_cmp(const PlConst *a, const PlConst *b){
  int n, r;
  if( a->iType!=b->iType ) return a->iType<b->iType ? -1 : 1;
  if( a->iType==PL_TYPE_INTEGER ) return a->i<b->i ? -1 : a->i>b->i;
  n = a->n<b->n ? a->n : b->n;
  r = memcmp(a->z, b->z, (size_t)n);
  return r ? r : (a->n<b->n ? -1 : a->n>b->n);
}

static int labels_has(const PlConst *aLab, int nLab, const PlConst *c){
  int i;
  for(i=0; i<nLab; i++) if( const_eq(&aLab[i], c) ) return 1;
  return 0;
}

static PlQExpr expr_const(const PlConst *c){
  PlQExpr e;
  memset(&e, 0, sizeof(e));
  e.eKind = PE_CONST;
  e.c = *c;
  return e;
}

static PlQExpr expr_col(int eFrom, int iAlias, int iCol){
  PlQExpr e;
  memset(&e, 0, sizeof(e));
  e.eKind = PE_COL;
  e.eFrom = eFrom;
  e.iFrom = iAlias;
  e.i = iCol;
  return e;
}

static PlQExpr expr_wild(int iType){
  PlQExpr e;
  memset(&e, 0, sizeof(e));
  e.eKind = PE_WILD;
  e.iType = iType;
  return e;
}

/* The SQL expression of a bound (non-label) value. */
static PlQExpr bind_expr(const Bind *b){
  return b->eKind==B_CONST ? expr_const(&b->c) : b->e;
}

static int expr_eq(const PlQExpr *a, const PlQExpr *b){
  if( a->eKind!=b->eKind ) return 0;
  switch( a->eKind ){
    case PE_PARAM: return a->i==b->i;
    case PE_COL:   return a->iFrom==b->iFrom && a->i==b->i && a->eFrom==b->eFrom;
    case PE_CONST: return const_eq(&a->c, &b->c);
    case PE_NOW:   return 1;
    case PE_WILD:  return a->iType==b->iType;
  }
  return 0;
}

/*--------------------------------------------------------- branches ---*/

static void add_cond(Solve *S, const PlQCond *c){
  PlQCond *n = xalloc(S->x, sizeof(PlQCond));
  if( n==0 ) return;
  *n = *c;
  n->pNext = S->pCond;
  S->pCond = n;
}

static void add_eq(Solve *S, const PlQExpr *a, const PlQExpr *b){
  PlQCond c;
  if( expr_eq(a, b) ) return;
  memset(&c, 0, sizeof(c));
  c.eKind = PC_EQ;
  c.a = *a;
  c.b = *b;
  add_cond(S, &c);
}

static void add_labels(Solve *S, const PlQExpr *a, const PlConst *aLab, int nLab,
                       int bNoIndex){
  PlQCond c;
  memset(&c, 0, sizeof(c));
  c.eKind = PC_LABELS;
  c.a = *a;
  c.aLab = aLab;
  c.nLab = nLab;
  c.bNoIndex = bNoIndex;
  add_cond(S, &c);
}

/* "a holds one of the types ts" when a can hold more (colTs). */
static void add_type(Solve *S, const PlQExpr *a, const PlTypeSet *ts, const PlTypeSet *colTs){
  PlQCond c;
  PlTypeSet need = *colTs;
  pl_ts_and(&need, ts);
  if( memcmp(&need, colTs, sizeof(need))==0 ) return;
  memset(&c, 0, sizeof(c));
  c.eKind = pl_ts_empty(&need) ? PC_FALSE : PC_TYPE;
  c.a = *a;
  c.ts = *ts;
  c.colTs = *colTs;
  add_cond(S, &c);
}

static int add_from(Solve *S, int eKind, int iPred){
  PlQFrom *f = xalloc(S->x, sizeof(PlQFrom));
  if( f==0 ) return 0;
  f->eKind = eKind;
  f->iPred = iPred;
  f->iAlias = ++S->x->nAlias;
  f->pNext = S->pFrom;
  S->pFrom = f;
  return f->iAlias;
}

/*----------------------------------------------------------- frames ---*/

typedef struct Saved {
  PlQFrom *pFrom; PlQCond *pCond; int nCall;
  int nFrame;
  Frame **apFrame; Bind **aaBind; unsigned char **aaDone;
} Saved;

static int save_state(Solve *S, Frame *f, Saved *sv){
  Ctx *x = S->x;
  Frame *g;
  int n = 0, i;
  sv->pFrom = S->pFrom; sv->pCond = S->pCond; sv->nCall = S->nCall;
  for(g=f; g; g=g->pParent) n++;
  sv->nFrame = n;
  sv->apFrame = xalloc(x, sizeof(Frame*)*(size_t)n);
  sv->aaBind = xalloc(x, sizeof(Bind*)*(size_t)n);
  sv->aaDone = xalloc(x, sizeof(char*)*(size_t)n);
  if( x->rc ) return ST_ERR;
  for(g=f, i=0; g; g=g->pParent, i++){
    size_t nb = sizeof(Bind)*(size_t)g->c->nVar, nd = (size_t)g->c->nLit + 1;
    sv->apFrame[i] = g;
    sv->aaBind[i] = xalloc(x, nb);
    sv->aaDone[i] = xalloc(x, nd);
    if( x->rc ) return ST_ERR;
    memcpy(sv->aaBind[i], g->aBind, nb);
    memcpy(sv->aaDone[i], g->aDone, nd);
  }
  return ST_OK;
}

static void restore_state(Solve *S, const Saved *sv){
  int i;
  S->pFrom = sv->pFrom; S->pCond = sv->pCond; S->nCall = sv->nCall;
  for(i=0; i<sv->nFrame; i++){
    Frame *g = sv->apFrame[i];
    memcpy(g->aBind, sv->aaBind[i], sizeof(Bind)*(size_t)g->c->nVar);
    memcpy(g->aDone, sv->aaDone[i], (size_t)g->c->nLit + 1);
  }
}

static Frame *frame_new(Ctx *x, const PlClause *c, Frame *pParent,
                        const PlLit *pCall, int iCallLit){
  Frame *f = xalloc(x, sizeof(Frame));
  int v;
  if( f==0 ) return 0;
  f->c = c;
  f->pParent = pParent;
  f->pCall = pCall;
  f->iCallLit = iCallLit;
  f->iOverLit = -1;
  f->kClosed = -1;
  f->aBind = xalloc(x, sizeof(Bind)*(size_t)c->nVar);
  f->aDone = xalloc(x, (size_t)c->nLit + 1);
  if( f->aBind==0 || f->aDone==0 ) return 0;
  for(v=0; v<c->nVar; v++){
    f->aBind[v].eKind = B_FREE;
    f->aBind[v].ts = c->aVar[v].ts;
  }
  return f;
}

/* The binding argument k of literal iLit has in frame f (constants and
** @current_unix_time become transient bindings). */
static Bind arg_bind(Frame *f, int iLit, int k){
  const PlITerm *t = &f->c->aLit[iLit].aArg[k];
  Bind b;
  if( iLit==f->iOverLit && k==f->kOver ) return f->over;
  memset(&b, 0, sizeof(b));
  if( t->eKind==PL_IT_VAR ) return f->aBind[t->iVar];
  if( t->eKind==PL_IT_NOW ){
    b.eKind = B_EXPR;
    b.e.eKind = PE_NOW;
    pl_ts_add(&b.ts, PL_TYPE_INTEGER);
    return b;
  }
  b.eKind = B_CONST;
  b.c = t->c;
  pl_ts_add(&b.ts, t->c.iType);
  return b;
}

/* The binding of a head term of frame g. */
static Bind head_bind(Frame *g, int k){
  const PlITerm *t = &g->c->aHead[k];
  Bind b;
  memset(&b, 0, sizeof(b));
  if( t->eKind==PL_IT_VAR ) return g->aBind[t->iVar];
  b.eKind = B_CONST;
  b.c = t->c;
  pl_ts_add(&b.ts, t->c.iType);
  return b;
}

/* Bind free variable slot *pv to b (narrowing types). 0: impossible. */
static int bind_to(Solve *S, Bind *pv, const Bind *b){
  PlTypeSet t = pv->ts;
  pl_ts_and(&t, &b->ts);
  if( pl_ts_empty(&t) ) return 0;
  /* a value that may be of more types than pv takes (the actor a global
  ** role bound, passed to a rule whose head takes a Group) is filtered */
  if( b->eKind==B_EXPR ) add_type(S, &b->e, &t, &b->ts);
  *pv = *b;
  pv->ts = t;
  return 1;
}

/* Unify two bound values in the current branch: adds a condition when it
** depends on data. Returns 0 if they can never be equal (prune). */
static int unify_bound(Solve *S, const Bind *a, const Bind *b){
  PlTypeSet t = a->ts;
  pl_ts_and(&t, &b->ts);
  if( pl_ts_empty(&t) ) return 0;
  if( a->eKind==B_CONST && b->eKind==B_CONST ) return const_eq(&a->c, &b->c);
  if( a->eKind==B_LABELS && b->eKind==B_CONST ) return labels_has(a->aLab, a->nLab, &b->c);
  if( a->eKind==B_CONST && b->eKind==B_LABELS ) return labels_has(b->aLab, b->nLab, &a->c);
  if( a->eKind==B_LABELS && b->eKind==B_LABELS ){
    int i;
    for(i=0; i<a->nLab; i++) if( labels_has(b->aLab, b->nLab, &a->aLab[i]) ) return 1;
    return 0;
  }
  if( a->eKind==B_LABELS || b->eKind==B_LABELS ){
    const Bind *l = a->eKind==B_LABELS ? a : b, *e = a->eKind==B_LABELS ? b : a;
    PlQExpr x = bind_expr(e);
    add_labels(S, &x, l->aLab, l->nLab, 1);
    return 1;
  }
  {
    PlQExpr ea = bind_expr(a), eb = bind_expr(b);
    add_eq(S, &ea, &eb);
  }
  return 1;
}

/*------------------------------------------------------------- keys ---*/

static void key_ts(sqlite3_str *s, const PlTypeSet *ts){
  int i;
  for(i=0; i<PL_MAX_TYPES/64; i++) sqlite3_str_appendf(s, "%llx.", (unsigned long long)ts->w[i]);
}

static void key_const(sqlite3_str *s, const PlConst *c){
  sqlite3_str_appendf(s, "c%d:%d:", c->iType, c->n);
  if( c->iType==PL_TYPE_INTEGER ) sqlite3_str_appendf(s, "%lld", (long long)c->i);
  else sqlite3_str_append(s, c->z, c->n);
}

/* The shape of a call: predicate and, per argument, its constant, labels,
** or the types of a bound value (b) or a free one (f). */
static const char *call_key(Ctx *x, Frame *f, int iLit){
  const PlLit *l = &f->c->aLit[iLit];
  sqlite3_str *s = sqlite3_str_new(0);
  const char *zOut;
  char *z;
  int k, i;
  sqlite3_str_appendf(s, "%d", l->iPred);
  for(k=0; k<l->nArg; k++){
    Bind b = arg_bind(f, iLit, k);
    sqlite3_str_appendall(s, "|");
    if( b.iPrin==l->iPred+1 ) sqlite3_str_appendall(s, "p");
    switch( b.eKind ){
      case B_CONST: key_const(s, &b.c); break;
      case B_LABELS:
        sqlite3_str_appendall(s, "L");
        for(i=0; i<b.nLab; i++){ key_const(s, &b.aLab[i]); sqlite3_str_appendall(s, ";"); }
        break;
      default:
        sqlite3_str_appendall(s, b.eKind==B_EXPR ? "b" : "f");
        key_ts(s, &b.ts);
        break;
    }
  }
  z = sqlite3_str_finish(s);
  zOut = z ? xprintf(x, "%s", z) : "";
  if( z==0 ) x->rc = SQLITE_NOMEM;
  sqlite3_free(z);
  return zOut;
}

static int active_has(Solve *S, const char *zKey){
  for(; S; S=S->pOuter){
    Active *a;
    for(a=S->pActive; a; a=a->pNext) if( strcmp(a->zKey, zKey)==0 ) return 1;
  }
  return 0;
}

static KeyNode *inlined_node(Ctx *x, const char *zKey){
  KeyNode *k;
  for(k=x->pInlined; k; k=k->pNext) if( strcmp(k->zKey, zKey)==0 ) return k;
  k = xalloc(x, sizeof(KeyNode));
  if( k==0 ) return 0;
  k->zKey = zKey;
  k->pNext = x->pInlined;
  x->pInlined = k;
  return k;
}

/*------------------------------------------------------------ solve ---*/

static int solve(Solve *S, Frame *f);
static int emit_branch(Solve *S);
static int unit_call(Solve *S, Frame *f, int iLit, const char *zKey, int bExist);

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
    Bind b;
    if( t->eKind!=PL_IT_VAR ) continue;
    b = arg_bind(f, iLit, k);
    if( b.eKind!=B_FREE ) continue;
    if( var_used_elsewhere(p, f, t->iVar, iLit) ) return 0;
    for(k2=0; k2<l->nArg; k2++){
      if( k2!=k && l->aArg[k2].eKind==PL_IT_VAR && l->aArg[k2].iVar==t->iVar ) return 0;
    }
  }
  return 1;
}

/* The stored facts of iPred as an answer to literal iLit of f; argument
** kOver (if >=0) is pOver instead of the literal's. Returns 0 if the types
** can never fit (prune). */
static int stored_call(Solve *S, Frame *f, int iLit, int iPred, int kOver,
                       const Bind *pOver){
  Ctx *x = S->x;
  const PlPred *pr = &x->p->aPred[iPred];
  const PlLit *l = &f->c->aLit[iLit];
  Bind ab[PL_MAX_ARGS];
  int k, iAlias, nBound = 0;
  for(k=0; k<l->nArg; k++){
    ab[k] = k==kOver ? *pOver : arg_bind(f, iLit, k);
    if( ab[k].eKind==B_EXPR || ab[k].eKind==B_CONST
     || (ab[k].eKind==B_LABELS && ab[k].nLab==1) ) nBound++;
  }
  iAlias = add_from(S, PF_FACT, iPred);
  if( iAlias==0 ) return 0;
  for(k=0; k<l->nArg; k++){
    PlQExpr col = expr_col(PF_FACT, iAlias, k+1);
    Bind *b = &ab[k];
    if( b->eKind==B_FREE ){
      Bind nb;
      memset(&nb, 0, sizeof(nb));
      nb.eKind = B_EXPR;
      nb.e = col;
      nb.ts = pr->aStoreTs[k];
      if( l->aArg[k].eKind!=PL_IT_VAR ) return 0;
      if( f->aBind[l->aArg[k].iVar].eKind==B_FREE ){
        if( !bind_to(S, &f->aBind[l->aArg[k].iVar], &nb) ) return 0;
      }else{
        /* the same variable twice in this call: bound by an earlier column */
        Bind now = f->aBind[l->aArg[k].iVar];
        if( !unify_bound(S, &now, &nb) ) return 0;
      }
    }else{
      PlTypeSet tt = b->ts;
      pl_ts_and(&tt, &pr->aStoreTs[k]);
      if( pl_ts_empty(&tt) ) return 0;
      if( b->eKind==B_LABELS ){
        add_labels(S, &col, b->aLab, b->nLab, nBound>0);
      }else{
        PlQExpr e = bind_expr(b);
        add_eq(S, &col, &e);
      }
    }
  }
  return 1;
}

/* A transfer (analysis/transfer.c) asked of an actor whose transfers were
** asked already, at the top of the call that marked it: the answers it
** would find are found there. */
static int transfer_done(Ctx *x, Frame *f, int iLit, const PlClause *c,
                         int kOver, const Bind *pOver){
  int k = x->p->aPred[c->iPred].iTransfer;
  Bind a;
  if( !c->bTransfer ) return 0;
  a = k==kOver ? *pOver : arg_bind(f, iLit, k);
  return a.iPrin==c->iPred+1;
}

/* Enter clause c as an answer to literal iLit of f (argument kOver of the
** call replaced by *pOver when kOver>=0): unify the head with the call's
** arguments. Returns the child frame, or NULL if the clause cannot apply
** (or on OOM: check x->rc). A pass-along rule of a predicate with
** transfers marks its bound actor: the calls it makes with it skip the
** transfers. */
static Frame *enter_clause(Solve *S, Frame *f, int iLit, const PlClause *c,
                           int kOver, const Bind *pOver){
  Ctx *x = S->x;
  const PlLit *l = &f->c->aLit[iLit];
  int kT = x->p->aPred[c->iPred].iTransfer;
  Frame *g;
  int k;
  if( transfer_done(x, f, iLit, c, kOver, pOver) ) return 0;
  g = frame_new(x, c, f, l, iLit);
  if( g==0 ) return 0;
  g->kClosed = kOver;
  for(k=0; k<l->nArg; k++){
    Bind a = k==kOver ? *pOver : arg_bind(f, iLit, k);
    const PlITerm *h = &c->aHead[k];
    if( h->eKind!=PL_IT_VAR ){
      Bind hb = head_bind(g, k);
      if( a.eKind==B_FREE ){
        if( l->aArg[k].eKind!=PL_IT_VAR ) return 0;
        if( !bind_to(S, &f->aBind[l->aArg[k].iVar], &hb) ) return 0;
      }else if( !unify_bound(S, &a, &hb) ){
        return 0;
      }
    }else{
      Bind *pw = &g->aBind[h->iVar];
      if( pw->eKind==B_FREE ){
        if( a.eKind==B_FREE ){
          pl_ts_and(&pw->ts, &a.ts);
          if( pl_ts_empty(&pw->ts) ) return 0;
        }else if( !bind_to(S, pw, &a) ){
          return 0;
        }
      }else if( a.eKind==B_FREE ){
        /* repeated head variable already bound: bind the caller's */
        if( l->aArg[k].eKind!=PL_IT_VAR ) return 0;
        if( !bind_to(S, &f->aBind[l->aArg[k].iVar], pw) ) return 0;
      }else if( !unify_bound(S, &a, pw) ){
        return 0;
      }
    }
  }
  if( kT>=0 && !c->bTransfer ){
    Bind *pv = &g->aBind[c->aHead[kT].iVar];
    if( pv->eKind!=B_FREE ) pv->iPrin = c->iPred+1;
  }
  return g;
}

/* Child frame g finished: bind the caller's free arguments. */
static int leave_clause(Solve *S, Frame *g){
  Frame *f = g->pParent;
  const PlLit *l = g->pCall;
  int k;
  for(k=0; k<l->nArg; k++){
    const PlITerm *t = &l->aArg[k];
    Bind hb;
    if( t->eKind!=PL_IT_VAR || k==g->kClosed ) continue;
    hb = head_bind(g, k);
    if( f->aBind[t->iVar].eKind==B_FREE ){
      if( hb.eKind==B_FREE ){
        pl_ts_and(&f->aBind[t->iVar].ts, &hb.ts);
        if( pl_ts_empty(&f->aBind[t->iVar].ts) ) return 0;
      }else if( !bind_to(S, &f->aBind[t->iVar], &hb) ){
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

/*--------------------------------------------------------- closure ---*/

/* One way to answer a call: the stored facts of iPred, or clause iClause;
** argument k (when >=0) replaced by a constant or a set (over). A merged
** alternative (iOverLit>=0) also sets argument kOverLit of body literal
** iOverLit to the set overLit: the clauses it stands for differ only there. */
enum { ALT_STORED = 1, ALT_CLAUSE };
typedef struct Alt {
  int eKind;
  int iPred, iClause;
  int k;
  Bind over;
  int iOverLit, kOverLit;
  Bind overLit;
} Alt;

typedef struct AltList { Alt *a; int n, nAlloc; } AltList;

static Alt *alt_add(Ctx *x, AltList *p){
  if( p->n==p->nAlloc ){
    int nNew = p->nAlloc ? 2*p->nAlloc : 16;
    Alt *a = pl_arena_grow(x->A, p->a, p->n, nNew, sizeof(Alt));
    if( a==0 ){ x->rc = SQLITE_NOMEM; return 0; }
    p->a = a;
    p->nAlloc = nNew;
  }
  memset(&p->a[p->n], 0, sizeof(Alt));
  p->a[p->n].k = -1;
  p->a[p->n].iOverLit = -1;
  return &p->a[p->n++];
}

/* A label set as a binding (types: the labels' types). */
static Bind labels_bind(const PlConst *aLab, int nLab){
  Bind b;
  int i;
  memset(&b, 0, sizeof(b));
  if( nLab==1 ){
    b.eKind = B_CONST;
    b.c = aLab[0];
  }else{
    b.eKind = B_LABELS;
    b.aLab = aLab;
    b.nLab = nLab;
  }
  for(i=0; i<nLab; i++) pl_ts_add(&b.ts, aLab[i].iType);
  return b;
}

/* Do the call's types at every position but k fit the implication? */
static int imply_fits(Frame *f, int iLit, const PlImply *e){
  const PlLit *l = &f->c->aLit[iLit];
  int j;
  for(j=0; j<l->nArg; j++){
    Bind b;
    PlTypeSet t;
    if( j==e->k ) continue;
    b = arg_bind(f, iLit, j);
    t = b.ts;
    pl_ts_and(&t, &e->aTs[j]);
    if( memcmp(&t, &b.ts, sizeof(t))!=0 ) return 0;
  }
  return 1;
}

/* How often variable v occurs in the body of c, and whether every use is
** an argument of a positive call. */
static int var_body_uses(const PlClause *c, int v, int *pbCallsOnly){
  int j, k, n = 0;
  *pbCallsOnly = 1;
  for(j=0; j<c->nLit; j++){
    for(k=0; k<c->aLit[j].nArg; k++){
      if( c->aLit[j].aArg[k].eKind==PL_IT_VAR && c->aLit[j].aArg[k].iVar==v ){
        n++;
        if( c->aLit[j].eKind!=PL_LIT_CALL ) *pbCallsOnly = 0;
      }
    }
  }
  return n;
}

static int term_eq(const PlITerm *a, const PlITerm *b){
  if( a->eKind!=b->eKind ) return 0;
  if( a->eKind==PL_IT_VAR ) return a->iVar==b->iVar;
  if( a->eKind==PL_IT_CONST ) return const_eq(&a->c, &b->c);
  return 1;
}

/* Are clauses c1 and c2 (of one predicate, head constants at k) the same
** rule but for their head constant and one constant argument of one body
** call? Then *piLit, *pkArg say where the body differs. */
static int clauses_merge(const PlClause *c1, const PlClause *c2, int nArg, int k,
                         int *piLit, int *pkArg){
  int j, m, v, iLit = -1, kArg = -1;
  if( c1->nVar!=c2->nVar || c1->nLit!=c2->nLit ) return 0;
  for(v=0; v<c1->nVar; v++){
    if( memcmp(&c1->aVar[v].ts, &c2->aVar[v].ts, sizeof(PlTypeSet))!=0 ) return 0;
  }
  for(j=0; j<nArg; j++){
    if( j!=k && !term_eq(&c1->aHead[j], &c2->aHead[j]) ) return 0;
  }
  for(j=0; j<c1->nLit; j++){
    const PlLit *a = &c1->aLit[j], *b = &c2->aLit[j];
    if( a->eKind!=b->eKind || a->iPred!=b->iPred || a->nArg!=b->nArg || a->eCmp!=b->eCmp ) return 0;
    for(m=0; m<a->nArg; m++){
      if( term_eq(&a->aArg[m], &b->aArg[m]) ) continue;
      if( iLit>=0 || a->eKind!=PL_LIT_CALL || a->aArg[m].eKind!=PL_IT_CONST
       || b->aArg[m].eKind!=PL_IT_CONST || a->aArg[m].c.iType==PL_TYPE_INTEGER ) return 0;
      iLit = j;
      kArg = m;
    }
  }
  if( iLit<0 ) return 0;
  *piLit = iLit;
  *pkArg = kArg;
  return 1;
}

/* Sort and drop repeats: a label set. */
static int labels_norm(PlConst *a, int n){
  int i, j, m = 0;
  for(i=1; i<n; i++){
    PlConst t = a[i];
    for(j=i; j>0 && const_cmp(&a[j-1], &t)>0; j--) a[j] = a[j-1];
    a[j] = t;
  }
  for(i=0; i<n; i++) if( m==0 || !const_eq(&a[m-1], &a[i]) ) a[m++] = a[i];
  return m;
}

/* The alternatives that answer literal iLit of f. When an argument is a
** constant or a label set and the predicate has implications at that
** position, the constant is closed under them first (closure.c). */
static int call_alts(Solve *S, Frame *f, int iLit, AltList *pList){
  Ctx *x = S->x;
  const PlPolicy *p = x->p;
  const PlLit *l = &f->c->aLit[iLit];
  const PlPred *pr = &p->aPred[l->iPred];
  int k, kLab = -1, i, j;
  Bind lab;
  /* nodes of the closure: (predicate, constant) */
  int *aNodePred = 0; PlConst *aNodeC = 0; int nNode = 0, nNodeAlloc = 0;
  unsigned char *aFold;
  memset(pList, 0, sizeof(*pList));
  memset(&lab, 0, sizeof(lab));
  for(k=0; k<l->nArg && kLab<0; k++){
    Bind b = arg_bind(f, iLit, k);
    if( b.eKind!=B_CONST && b.eKind!=B_LABELS ) continue;
    if( b.eKind==B_CONST && b.c.iType==PL_TYPE_INTEGER ) continue;
    for(i=0; i<p->nImply; i++){
      if( p->aImply[i].iPred==l->iPred && p->aImply[i].k==k ){ kLab = k; lab = b; break; }
    }
  }
  /* a set with no implications at its position (the constants of merged
  ** rules passed to a predicate no shorthand rule implies) still needs the
  ** per-clause treatment below: a rule whose head variable takes the set
  ** and reads it in a comparison, `in` or twice gets one label at a time */
  for(k=0; k<l->nArg && kLab<0; k++){
    Bind b = arg_bind(f, iLit, k);
    if( b.eKind==B_LABELS && b.nLab>1 ){ kLab = k; lab = b; }
  }
  if( kLab<0 ){
    Alt *a;
    if( pr->bStored ){
      if( (a = alt_add(x, pList))==0 ) return ST_ERR;
      a->eKind = ALT_STORED;
      a->iPred = l->iPred;
    }
    for(i=0; i<pr->nClause; i++){
      if( (a = alt_add(x, pList))==0 ) return ST_ERR;
      a->eKind = ALT_CLAUSE;
      a->iClause = pr->aClause[i];
    }
    return ST_OK;
  }

  /* close (predicate, label) nodes under the implications that fit */
  aFold = xalloc(x, (size_t)p->nClause);
  if( aFold==0 ) return ST_ERR;
  nNodeAlloc = 16;
  aNodePred = xalloc(x, sizeof(int)*(size_t)nNodeAlloc);
  aNodeC = xalloc(x, sizeof(PlConst)*(size_t)nNodeAlloc);
  if( x->rc ) return ST_ERR;
  for(i=0; i<(lab.eKind==B_CONST ? 1 : lab.nLab); i++){
    aNodePred[nNode] = l->iPred;
    aNodeC[nNode] = lab.eKind==B_CONST ? lab.c : lab.aLab[i];
    nNode++;
  }
  for(i=0; i<nNode; i++){
    for(j=0; j<p->nImply; j++){
      const PlImply *e = &p->aImply[j];
      int n2;
      if( e->iPred!=aNodePred[i] || e->k!=kLab || !const_eq(&e->head, &aNodeC[i]) ) continue;
      if( !imply_fits(f, iLit, e) ) continue;
      aFold[e->iClause] = 1;
      for(n2=0; n2<nNode; n2++){
        if( aNodePred[n2]==e->iCallPred && const_eq(&aNodeC[n2], &e->body) ) break;
      }
      if( n2<nNode ) continue;
      if( nNode==nNodeAlloc ){
        int *a1 = pl_arena_grow(x->A, aNodePred, nNode, 2*nNode, sizeof(int));
        PlConst *a2 = pl_arena_grow(x->A, aNodeC, nNode, 2*nNode, sizeof(PlConst));
        if( a1==0 || a2==0 ) return X_OOM(x);
        aNodePred = a1; aNodeC = a2; nNodeAlloc = 2*nNode;
      }
      aNodePred[nNode] = e->iCallPred;
      aNodeC[nNode] = e->body;
      nNode++;
    }
  }

  /* per predicate reached: its facts with the labels, then its rules */
  for(i=0; i<nNode; i++){
    int q = aNodePred[i], n = 0, m, c0;
    PlConst *aLab;
    const PlPred *pq = &p->aPred[q];
    Bind qb;
    int iFirstConst;
    for(j=0; j<i; j++) if( aNodePred[j]==q ) break;
    if( j<i ) continue;                      /* predicate done already */
    aLab = xalloc(x, sizeof(PlConst)*(size_t)nNode);
    if( aLab==0 ) return ST_ERR;
    for(j=i; j<nNode; j++) if( aNodePred[j]==q ) aLab[n++] = aNodeC[j];
    n = labels_norm(aLab, n);
    qb = labels_bind(aLab, n);
    if( pq->bStored ){
      Alt *a = alt_add(x, pList);
      if( a==0 ) return ST_ERR;
      a->eKind = ALT_STORED;
      a->iPred = q;
      a->k = kLab;
      a->over = qb;
    }
    iFirstConst = pList->n;
    for(c0=0; c0<pq->nClause; c0++){
      int ic = pq->aClause[c0];
      const PlClause *c = &p->aClause[ic];
      const PlITerm *h = &c->aHead[kLab];
      if( aFold[ic] ) continue;
      if( h->eKind==PL_IT_CONST ){
        Alt *a;
        int iLit2, kArg2;
        if( !labels_has(aLab, n, &h->c) ) continue;
        /* merge with an earlier alternative of the same rule shape */
        for(m=iFirstConst; m<pList->n; m++){
          Alt *b = &pList->a[m];
          const PlClause *cb;
          if( b->eKind!=ALT_CLAUSE || b->k!=kLab ) continue;
          cb = &p->aClause[b->iClause];
          if( cb->aHead[kLab].eKind!=PL_IT_CONST ) continue;
          if( !clauses_merge(cb, c, pq->nArg, kLab, &iLit2, &kArg2) ) continue;
          if( b->iOverLit>=0 && (b->iOverLit!=iLit2 || b->kOverLit!=kArg2) ) continue;
          {
            /* b now also stands for c: its head labels and body labels grow */
            int nh = b->over.eKind==B_CONST ? 1 : b->over.nLab;
            int nbl = b->iOverLit>=0 ? (b->overLit.eKind==B_CONST ? 1 : b->overLit.nLab) : 1;
            PlConst *aH = xalloc(x, sizeof(PlConst)*(size_t)(nh+1));
            PlConst *aB = xalloc(x, sizeof(PlConst)*(size_t)(nbl+1));
            if( x->rc ) return ST_ERR;
            if( b->over.eKind==B_CONST ) aH[0] = b->over.c;
            else memcpy(aH, b->over.aLab, sizeof(PlConst)*(size_t)nh);
            aH[nh] = h->c;
            if( b->iOverLit<0 ) aB[0] = cb->aLit[iLit2].aArg[kArg2].c;
            else if( b->overLit.eKind==B_CONST ) aB[0] = b->overLit.c;
            else memcpy(aB, b->overLit.aLab, sizeof(PlConst)*(size_t)nbl);
            aB[nbl] = c->aLit[iLit2].aArg[kArg2].c;
            b->over = labels_bind(aH, labels_norm(aH, nh+1));
            b->overLit = labels_bind(aB, labels_norm(aB, nbl+1));
            b->iOverLit = iLit2;
            b->kOverLit = kArg2;
          }
          break;
        }
        if( m<pList->n ) continue;
        if( (a = alt_add(x, pList))==0 ) return ST_ERR;
        a->eKind = ALT_CLAUSE;
        a->iClause = ic;
        a->k = kLab;
        a->over = labels_bind(&h->c, 1);
      }else if( h->eKind==PL_IT_VAR ){
        int bCallsOnly, nUse = var_body_uses(c, h->iVar, &bCallsOnly);
        if( n>1 && (nUse>1 || !bCallsOnly) ){
          /* the role variable is read twice: one alternative per label */
          for(m=0; m<n; m++){
            Alt *a = alt_add(x, pList);
            if( a==0 ) return ST_ERR;
            a->eKind = ALT_CLAUSE;
            a->iClause = ic;
            a->k = kLab;
            a->over = labels_bind(&aLab[m], 1);
          }
        }else{
          Alt *a = alt_add(x, pList);
          if( a==0 ) return ST_ERR;
          a->eKind = ALT_CLAUSE;
          a->iClause = ic;
          a->k = kLab;
          a->over = qb;
        }
      }
    }
  }
  return ST_OK;
}

/* Could clause c's head match literal iLit of f (argument k replaced by
** *pOver when k>=0), judging by types and constants alone? */
static int clause_may_fit(Ctx *x, Frame *f, int iLit, const PlClause *c, int k,
                          const Bind *pOver){
  const PlLit *l = &f->c->aLit[iLit];
  int j;
  if( transfer_done(x, f, iLit, c, k, pOver) ) return 0;
  for(j=0; j<l->nArg; j++){
    Bind a = j==k ? *pOver : arg_bind(f, iLit, j);
    const PlITerm *h = &c->aHead[j];
    PlTypeSet t = a.ts;
    if( h->eKind==PL_IT_VAR ){
      pl_ts_and(&t, &c->aVar[h->iVar].ts);
      if( pl_ts_empty(&t) ) return 0;
    }else if( h->eKind==PL_IT_CONST ){
      if( !pl_ts_has(&a.ts, h->c.iType) ) return 0;
      if( a.eKind==B_CONST && !const_eq(&a.c, &h->c) ) return 0;
      if( a.eKind==B_LABELS && !labels_has(a.aLab, a.nLab, &h->c) ) return 0;
    }
  }
  return 1;
}

/* Drop the clause alternatives that cannot fit; 1 if any rule remains
** (the call is derived), 0 if only stored facts can answer it. */
static int alts_derive(Solve *S, Frame *f, int iLit, AltList *p){
  int i, m = 0, nClause = 0;
  for(i=0; i<p->n; i++){
    const Alt *a = &p->a[i];
    if( a->eKind==ALT_CLAUSE
     && !clause_may_fit(S->x, f, iLit, &S->x->p->aClause[a->iClause], a->k, &a->over) ) continue;
    if( a->eKind==ALT_CLAUSE ) nClause++;
    p->a[m++] = *a;
  }
  p->n = m;
  return nClause>0;
}

/* Try one alternative: continue the solve of f through it. */
static int alt_solve(Solve *S, Frame *f, int iLit, const Alt *a){
  Ctx *x = S->x;
  if( a->eKind==ALT_STORED ){
    if( stored_call(S, f, iLit, a->iPred, a->k, &a->over) ){
      f->aDone[iLit] = 1;
      return solve(S, f);
    }
    return x->rc ? ST_ERR : ST_OK;
  }else{
    Frame *g = enter_clause(S, f, iLit, &x->p->aClause[a->iClause], a->k, &a->over);
    if( x->rc ) return ST_ERR;
    if( g==0 ) return ST_OK;
    if( a->iOverLit>=0 ){
      g->iOverLit = a->iOverLit;
      g->kOver = a->kOverLit;
      g->over = a->overLit;
    }
    return solve(S, g);
  }
}

/*----------------------------------------------------------- calls ---*/

static void solve_init(Solve *S, Solve *pOuter, Ctx *x, int bRows){
  memset(S, 0, sizeof(*S));
  S->x = x;
  S->pOuter = pOuter;
  S->nDepth = pOuter ? pOuter->nDepth + 1 : 0;
  S->bRows = bRows;
}

/* A parentless copy of f in which only literal iLit remains to solve. */
static Frame *frame_only(Ctx *x, Frame *f, int iLit){
  Frame *g = frame_new(x, f->c, 0, 0, 0);
  if( g==0 ) return 0;
  memcpy(g->aBind, f->aBind, sizeof(Bind)*(size_t)f->c->nVar);
  memset(g->aDone, 1, (size_t)f->c->nLit);
  g->aDone[iLit] = 0;
  g->iOverLit = f->iOverLit;
  g->kOver = f->kOver;
  g->over = f->over;
  return g;
}

/* The arms collected by T as one condition of S: nothing when one holds
** unconditionally (*pbTrue), or EXISTS(arm) OR ..., or 0 arms (*pnArm). */
static int arms_cond(Solve *S, Solve *T, PlQCond *pc, int *pbTrue){
  Ctx *x = S->x;
  QNode *q;
  int i;
  memset(pc, 0, sizeof(*pc));
  *pbTrue = T->bTrue;
  if( T->bTrue ) return ST_OK;
  pc->eKind = PC_EXISTS;
  pc->nSub = T->nOut;
  pc->aSub = xalloc(x, sizeof(PlQuery*)*(size_t)(T->nOut));
  if( pc->aSub==0 ) return ST_ERR;
  for(q=T->pOut, i=T->nOut; q; q=q->pNext){
    pc->aSub[--i] = q->q;
    S->nCall += q->q->nCall;
  }
  return ST_OK;
}

/* Literal iLit of f as a yes/no question, solved apart: its arms become
** one condition of the current branch. */
static int exist_call(Solve *S, Frame *f, int iLit){
  Ctx *x = S->x;
  Solve T;
  Frame *g;
  PlQCond c;
  int st, bTrue;
  solve_init(&T, S, x, 0);
  g = frame_only(x, f, iLit);
  if( g==0 ) return ST_ERR;
  T.pUnfold = g;
  T.iUnfoldLit = iLit;
  st = solve(&T, g);
  if( st!=ST_OK ) return st;
  if( arms_cond(S, &T, &c, &bTrue) ) return ST_ERR;
  if( !bTrue ){
    if( c.nSub==0 ) return ST_OK;           /* never holds: prune */
    add_cond(S, &c);
  }
  f->aDone[iLit] = 1;
  return solve(S, f);
}

/* The unit of a call shape (answering it as a yes/no question when
** bExist), or -1. Units compiled with context facts are others. */
static const char *unit_key(Ctx *x, const char *zKey, int bExist){
  return xprintf(x, "%d|%s%s", x->bContext, zKey, bExist ? "|E" : "");
}
static int unit_find(Ctx *x, const char *zKey, int bExist){
  const char *zFull = unit_key(x, zKey, bExist);
  int i;
  for(i=0; i<x->pUnits->n; i++){
    if( strcmp(x->pUnits->a[i].zKey, zFull)==0 ) return i;
  }
  return -1;
}

/* Does anything remain to be solved after literal iLit of f: another
** literal of f, or of a frame f answers (the literal it answers aside)? */
static int frame_has_more(Frame *f, int iLit){
  Frame *g;
  int j, iSkip = iLit;
  for(g=f; g; g=g->pParent){
    for(j=0; j<g->c->nLit; j++) if( !g->aDone[j] && j!=iSkip ) return 1;
    iSkip = g->iCallLit;
  }
  return 0;
}

static int call_lit(Solve *S, Frame *f, int iLit){
  Ctx *x = S->x;
  const PlLit *l = &f->c->aLit[iLit];
  const PlPred *pr = &x->p->aPred[l->iPred];
  int bRoot = (f==S->pUnfold && iLit==S->iUnfoldLit);
  const char *zKey;
  AltList alts;
  Active act;
  Saved sv;
  QNode *pOut0;
  SNode *pCanon0;
  int st = ST_OK, i, nOut0;

  if( pr->nClause==0 ){
    /* stored facts only */
    Alt a;
    memset(&a, 0, sizeof(a));
    a.eKind = ALT_STORED;
    a.iPred = l->iPred;
    a.k = -1;
    return alt_solve(S, f, iLit, &a);
  }
  zKey = call_key(x, f, iLit);
  if( x->rc ) return ST_ERR;
  st = call_alts(S, f, iLit, &alts);
  if( st!=ST_OK ) return st;
  if( !bRoot && !alts_derive(S, f, iLit, &alts) ){
    /* no rule can answer these types: only facts, copied in place */
    int bExist = call_is_existential(x->p, f, iLit);
    if( bExist && alts.n!=1 ) return exist_call(S, f, iLit);
    bRoot = 1;
  }
  if( !bRoot ){
    int bExist = call_is_existential(x->p, f, iLit);
    KeyNode *pk;
    if( unit_find(x, zKey, 0)>=0 || unit_find(x, zKey, 1)>=0 ){
      return unit_call(S, f, iLit, zKey, bExist);
    }
    if( active_has(S, zKey) ){
      x->zRestart = zKey;               /* recursion: restart it as a unit */
      return ST_RESTART;
    }
    pk = inlined_node(x, zKey);
    if( pk==0 ) return ST_ERR;
    if( S->nDepth>=PL_INLINE_DEPTH || pk->n>=PL_INLINE_SHARE ){
      return unit_call(S, f, iLit, zKey, bExist);
    }
    if( bExist ){
      pk->n++;
      st = exist_call(S, f, iLit);
      if( st==ST_RESTART && x->zRestart && strcmp(x->zRestart, zKey)==0 ){
        x->zRestart = 0;
        return unit_call(S, f, iLit, zKey, 1);
      }
      return st;
    }
    if( S->bRows && alts.n>1 && frame_has_more(f, iLit) ){
      /* answers that the rest of the rule joins further (a list through
      ** a hierarchy): a unit's answers are a set, so a value reached along
      ** several alternatives is joined once, not once per alternative */
      return unit_call(S, f, iLit, zKey, 0);
    }
    pk->n++;
  }

  /* unfold: every alternative continues the rest in its own branch */
  act.zKey = zKey;
  act.pNext = S->pActive;
  S->pActive = &act;
  pOut0 = S->pOut; nOut0 = S->nOut; pCanon0 = S->pCanon;
  if( save_state(S, f, &sv) ){ S->pActive = act.pNext; return ST_ERR; }
  for(i=0; st==ST_OK && i<alts.n; i++){
    st = alt_solve(S, f, iLit, &alts.a[i]);
    restore_state(S, &sv);
  }
  S->pActive = act.pNext;
  if( st==ST_RESTART && !bRoot && x->zRestart && strcmp(x->zRestart, zKey)==0 ){
    /* the unit answers every alternative: drop the branches they made */
    S->pOut = pOut0; S->nOut = nOut0; S->pCanon = pCanon0;
    x->zRestart = 0;
    return unit_call(S, f, iLit, zKey, 0);
  }
  return st;
}

/* Bind free variable v of f to the domain of its types (every stored value
** of one of them), in the current branch. */
static int bind_domain(Solve *S, Frame *f, int v){
  Bind nb;
  int iAlias = add_from(S, PF_DOMAIN, -1);
  if( iAlias==0 ) return 0;
  S->pFrom->ts = f->aBind[v].ts;
  memset(&nb, 0, sizeof(nb));
  nb.eKind = B_EXPR;
  nb.e = expr_col(PF_DOMAIN, iAlias, 1);
  nb.ts = f->aBind[v].ts;
  f->aBind[v] = nb;
  return 1;
}

/* `not` literal iLit of f as a condition (bExists: the opposite, some fact
** matches), then the rest of the solve; a free argument matches any value
** of its types. */
static int notcall_cond(Solve *S, Frame *f, int iLit, int bExists){
  Ctx *x = S->x;
  const PlLit *l = &f->c->aLit[iLit];
  const PlPred *pr = &x->p->aPred[l->iPred];
  PlQCond c;
  int k;
  memset(&c, 0, sizeof(c));
  c.eKind = PC_NOTFACT;
  c.bExists = bExists;
  c.iPred = l->iPred;
  for(k=0; k<l->nArg; k++){
    Bind b = arg_bind(f, iLit, k);
    if( b.eKind==B_FREE ){
      c.aArgTs[k] = b.ts;
    }else if( b.eKind==B_LABELS ){
      return fail(x, l->pos, "internal error: a set of constants reached %s", "`not`");
    }else{
      PlTypeSet t = b.ts;
      pl_ts_and(&t, &pr->aStoreTs[k]);
      if( pl_ts_empty(&t) ){
        /* no fact can match: `not` holds (and "some fact does" cannot) */
        if( bExists ) return ST_OK;
        f->aDone[iLit] = 1;
        return solve(S, f);
      }
      c.aArg[k] = bind_expr(&b);
      c.mArg |= 1u<<k;
    }
  }
  add_cond(S, &c);
  if( bExists ) return ST_OK;
  f->aDone[iLit] = 1;
  return solve(S, f);
}

/* Literals other than calls. Returns -1 if the literal cannot be handled
** yet (a free variable) and bForce is 0; with bForce, free variables the
** literal needs range over their type's domain. */
static int other_lit(Solve *S, Frame *f, int iLit, int bForce){
  Ctx *x = S->x;
  const PlLit *l = &f->c->aLit[iLit];
  int k;
  switch( l->eKind ){
    case PL_LIT_UNIFY: {
      Bind a = arg_bind(f, iLit, 0), b = arg_bind(f, iLit, 1);
      if( a.eKind==B_FREE && b.eKind==B_FREE ){
        if( !bForce ) return -1;
        if( !bind_domain(S, f, l->aArg[0].iVar) ) return ST_ERR;
        a = arg_bind(f, iLit, 0);
      }
      if( a.eKind==B_FREE ){
        if( !bind_to(S, &f->aBind[l->aArg[0].iVar], &b) ) return ST_OK;
      }else if( b.eKind==B_FREE ){
        if( !bind_to(S, &f->aBind[l->aArg[1].iVar], &a) ) return ST_OK;
      }else if( !unify_bound(S, &a, &b) ){
        return ST_OK;
      }
      f->aDone[iLit] = 1;
      return solve(S, f);
    }
    case PL_LIT_CMP: {
      Bind a = arg_bind(f, iLit, 0), b = arg_bind(f, iLit, 1);
      PlQCond c;
      if( a.eKind==B_FREE || b.eKind==B_FREE ){
        if( !bForce ) return -1;
        for(k=0; k<2; k++){
          if( arg_bind(f, iLit, k).eKind==B_FREE && !bind_domain(S, f, l->aArg[k].iVar) ) return ST_ERR;
        }
        a = arg_bind(f, iLit, 0);
        b = arg_bind(f, iLit, 1);
      }
      if( a.eKind==B_LABELS || b.eKind==B_LABELS ){
        return fail(x, l->pos, "internal error: a set of constants reached %s", "a comparison");
      }
      memset(&c, 0, sizeof(c));
      c.eKind = PC_CMP;
      c.eCmp = l->eCmp;
      c.a = bind_expr(&a);
      c.b = bind_expr(&b);
      add_cond(S, &c);
      f->aDone[iLit] = 1;
      return solve(S, f);
    }
    case PL_LIT_IN: {
      Bind a = arg_bind(f, iLit, 0);
      for(k=1; k<l->nArg; k++){
        if( arg_bind(f, iLit, k).eKind==B_FREE ){
          if( !bForce ) return -1;
          if( !bind_domain(S, f, l->aArg[k].iVar) ) return ST_ERR;
        }
      }
      if( a.eKind==B_FREE ){
        /* one branch per item */
        Saved sv;
        int st = ST_OK;
        if( save_state(S, f, &sv) ) return ST_ERR;
        for(k=1; st==ST_OK && k<l->nArg; k++){
          Bind e = arg_bind(f, iLit, k);
          if( bind_to(S, &f->aBind[l->aArg[0].iVar], &e) ){
            f->aDone[iLit] = 1;
            st = solve(S, f);
          }
          restore_state(S, &sv);
        }
        return st;
      }else{
        PlQCond c;
        PlQExpr *aList = xalloc(x, sizeof(PlQExpr)*(size_t)l->nArg);
        int n = 0;
        if( aList==0 ) return ST_ERR;
        if( a.eKind==B_LABELS ){
          return fail(x, l->pos, "internal error: a set of constants reached %s", "`in`");
        }
        for(k=1; k<l->nArg; k++){
          Bind e = arg_bind(f, iLit, k);
          PlTypeSet t = e.ts;
          pl_ts_and(&t, &a.ts);
          if( pl_ts_empty(&t) ) continue;
          if( e.eKind==B_CONST && a.eKind==B_CONST ){
            if( const_eq(&a.c, &e.c) ){ n = -1; break; }
            continue;
          }
          aList[n++] = bind_expr(&e);
        }
        if( n==0 ) return ST_OK;
        if( n>0 ){
          memset(&c, 0, sizeof(c));
          c.eKind = PC_IN;
          c.a = bind_expr(&a);
          c.aList = aList;
          c.nList = n;
          add_cond(S, &c);
        }
        f->aDone[iLit] = 1;
        return solve(S, f);
      }
    }
    case PL_LIT_NOTCALL: {
      const PlPred *pr = &x->p->aPred[l->iPred];
      int nOpen = 0;
      for(k=0; k<l->nArg; k++){
        Bind b = arg_bind(f, iLit, k);
        if( b.eKind==B_FREE && strcmp(f->c->aVar[l->aArg[k].iVar].zName, "_")!=0 ){
          if( !bForce ) return -1;
          nOpen++;
        }
      }
      if( !pr->bStored ){ f->aDone[iLit] = 1; return solve(S, f); }
      if( nOpen ){
        /* A variable only `not` reads, left open (a wildcard answer: any
        ** value). If no fact of its types matches, `not` holds for every
        ** value and the answer stays a wildcard; otherwise the variable
        ** ranges over the stored values of its types, each tested. */
        Saved sv;
        int st;
        if( save_state(S, f, &sv) ) return ST_ERR;
        st = notcall_cond(S, f, iLit, 0);
        restore_state(S, &sv);
        if( st!=ST_OK ) return st;
        if( notcall_cond(S, f, iLit, 1)!=ST_OK ) return ST_ERR;   /* some fact does */
        for(k=0; k<l->nArg; k++){
          Bind b = arg_bind(f, iLit, k);
          if( b.eKind==B_FREE && strcmp(f->c->aVar[l->aArg[k].iVar].zName, "_")!=0
           && !bind_domain(S, f, l->aArg[k].iVar) ) return ST_ERR;
        }
        st = notcall_cond(S, f, iLit, 0);
        restore_state(S, &sv);
        return st;
      }
      return notcall_cond(S, f, iLit, 0);
    }
  }
  return ST_OK;
}

/* Cost order: a stored fact with every argument bound first (one index
** probe that can only narrow the branch: has_default_role(p, role) before
** the EXISTS of has_role(actor, "viewer", p)); then arguments bound to a
** value (a parameter or a column) count most, constants little (a role
** name matches many rows), stored facts before derived ones; ties keep the
** policy's order. The call a transfer hands on comes last when the actor
** is bound: the actor's few groups first, then each group's roles, rather
** than every group holding a role on the resource tested for membership.
** Scores are at least 1; 0 is last. */
static int call_score(Ctx *x, Frame *f, int iLit){
  const PlLit *l = &f->c->aLit[iLit];
  int k, n = 1, nFree = 0;
  if( f->c->bTransfer && l->iPred==f->c->iPred ){
    k = x->p->aPred[l->iPred].iTransfer;
    if( arg_bind(f, iLit, k).eKind==B_FREE
     && f->aBind[f->c->aHead[k].iVar].eKind!=B_FREE ) return 0;
  }
  for(k=0; k<l->nArg; k++){
    Bind b = arg_bind(f, iLit, k);
    if( b.eKind==B_EXPR ) n += 4;
    else if( b.eKind==B_CONST || b.eKind==B_LABELS ) n += 1;
    else nFree++;
  }
  if( x->p->aPred[l->iPred].nClause==0 ){
    n += 2;
    if( nFree==0 ) n += 1000;
  }
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
    sc = call_score(x, f, j);
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
  return emit_branch(S);
}

/* solve() nests as deep as rules unfold into each other and literals
** follow one another in a branch, and a policy can nest that far before
** compile_memory stops it: deep enough to overflow the C stack of the
** process that loaded the extension (found by tests/diff:
** tests/corpus/pending/compile_stack_overflow, with the compiler before
** units). Bounded here. Measured at -O2: about 1.9 KB of stack a level, so
** the bound takes about 380 KB; the corpus nests at most 20 levels, the
** K-level family of bench_deep 42 at K=12 (about 3.5 a level). */
#define PL_SOLVE_DEPTH 200
static int solve(Solve *S, Frame *f){
  Ctx *x = S->x;
  int st;
  if( x->nSolve>=PL_SOLVE_DEPTH ){
    if( x->rc==SQLITE_OK ){
      x->zErr = sqlite3_mprintf("%s: compiling this check unfolds rules into each "
                                "other more than %d deep", x->p->zFile, PL_SOLVE_DEPTH);
      x->rc = x->zErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    return ST_ERR;
  }
  x->nSolve++;
  st = solve_at(S, f);
  x->nSolve--;
  return st;
}

/*------------------------------------------------------------ output ---*/

/* The branch as a query (nProj projected expressions). */
static PlQuery *branch_query(Solve *S, const PlQExpr *aProj, int nProj){
  PlQuery *q = xalloc(S->x, sizeof(PlQuery));
  if( q==0 ) return 0;
  q->pFrom = S->pFrom;
  q->pCond = S->pCond;
  q->nCall = S->nCall;
  if( nProj ){
    q->aProj = xalloc(S->x, sizeof(PlQExpr)*(size_t)nProj);
    if( q->aProj==0 ) return 0;
    memcpy(q->aProj, aProj, sizeof(PlQExpr)*(size_t)nProj);
    q->nProj = nProj;
  }
  return q;
}

/* Keep q unless an equal branch is there already. */
static int out_add(Solve *S, PlQuery *q){
  Ctx *x = S->x;
  sqlite3_str *s = sqlite3_str_new(0);
  SNode *pC;
  QNode *n;
  char *z;
  pl_emit_query(s, x->p, x->bContext, q, "c", 1);
  z = sqlite3_str_finish(s);
  if( z==0 ) return X_OOM(x);
  for(pC=S->pCanon; pC; pC=pC->pNext){
    if( strcmp(pC->z, z)==0 ){ sqlite3_free(z); return ST_OK; }
  }
  pC = xalloc(x, sizeof(SNode));
  n = xalloc(x, sizeof(QNode));
  if( pC==0 || n==0 ){ sqlite3_free(z); return ST_ERR; }
  pC->z = xprintf(x, "%s", z);
  sqlite3_free(z);
  pC->pNext = S->pCanon;
  S->pCanon = pC;
  n->q = q;
  n->pNext = S->pOut;
  S->pOut = n;
  S->nOut++;
  return ST_OK;
}

/* rows mode: one SELECT per combination of wildcard types for projected
** variables that are still free */
static int emit_rows(Solve *S, int iProj, PlQExpr *aProj){
  Ctx *x = S->x;
  if( iProj==S->nProj ){
    PlQuery *q = branch_query(S, aProj, S->nProj);
    return q ? out_add(S, q) : ST_ERR;
  }else{
    Bind b = S->pRoot->aBind[S->aProjVar[iProj]];
    int st = ST_OK;
    if( b.eKind==B_FREE ){
      PlTypeSet t = b.ts;
      int ty;
      pl_ts_and(&t, &S->aProjTs[iProj]);
      for(ty=pl_ts_first(&t); ty>=0 && st==ST_OK; ty=pl_ts_next(&t, ty)){
        aProj[iProj] = expr_wild(ty);
        st = emit_rows(S, iProj+1, aProj);
      }
    }else if( b.eKind==B_LABELS ){
      int i;
      for(i=0; i<b.nLab && st==ST_OK; i++){
        aProj[iProj] = expr_const(&b.aLab[i]);
        st = emit_rows(S, iProj+1, aProj);
      }
    }else{
      aProj[iProj] = bind_expr(&b);
      st = emit_rows(S, iProj+1, aProj);
    }
    (void)x;
    return st;
  }
}

static int emit_branch(Solve *S){
  if( S->bRows ){
    PlQExpr aProj[PL_MAX_ARGS];
    return emit_rows(S, 0, aProj);
  }
  if( S->pFrom==0 && S->pCond==0 ){ S->bTrue = 1; return ST_OK; }
  {
    PlQuery *q = branch_query(S, 0, 0);
    return q ? out_add(S, q) : ST_ERR;
  }
}

/*------------------------------------------------------------ units ---*/

/* The clause standing for a call of iPred with argument types aTs: its
** head is one variable per argument, and its body calls iPred with them. */
static PlClause *synthetic_clause(Ctx *x, int iPred, const PlTypeSet *aTs){
  const PlPred *pr = &x->p->aPred[iPred];
  PlClause *c = xalloc(x, sizeof(PlClause));
  int k;
  if( c==0 ) return 0;
  c->iPred = iPred;
  c->iImply = -1;
  c->nVar = pr->nArg;
  c->aVar = xalloc(x, sizeof(PlVarInfo)*(size_t)pr->nArg);
  c->aHead = xalloc(x, sizeof(PlITerm)*(size_t)pr->nArg);
  c->aLit = xalloc(x, sizeof(PlLit));
  if( x->rc ) return 0;
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

/* Solve the root call of a fresh solve: the goal of a statement or of a
** unit. aBind: the binding of each argument (B_FREE: open; projected when
** abProj[k]). */
static int solve_goal(Ctx *x, Solve *S, int iPred, const Bind *aBind,
                      const int *abProj){
  const PlPred *pr = &x->p->aPred[iPred];
  PlTypeSet aTs[PL_MAX_ARGS];
  PlClause *c;
  Frame *g;
  int k;
  for(k=0; k<pr->nArg; k++) aTs[k] = aBind[k].ts;
  c = synthetic_clause(x, iPred, aTs);
  g = c ? frame_new(x, c, 0, 0, 0) : 0;
  if( g==0 ) return ST_ERR;
  S->pRoot = g;
  for(k=0; k<pr->nArg; k++){
    if( aBind[k].eKind==B_FREE ){
      if( abProj[k] ){
        S->aProjVar[S->nProj] = k;
        S->aProjTs[S->nProj] = aBind[k].ts;
        S->nProj++;
      }
    }else{
      g->aBind[k] = aBind[k];
    }
  }
  S->pUnfold = g;
  S->iUnfoldLit = 0;
  return solve(S, g);
}

static char *union_text(Ctx *x, PlQuery **aQ, int nQ, const char *zOp, const char *zPre){
  sqlite3_str *s = sqlite3_str_new(0);
  char *z;
  pl_emit_union(s, x->p, x->bContext, aQ, nQ, zOp, zPre);
  z = sqlite3_str_finish(s);
  if( z==0 ) x->rc = SQLITE_NOMEM;
  return z;
}

/* The text of a unit's statement from its branches aQ (rows: a UNION ALL
** of SELECT o1..; yes/no: SELECT 1 WHERE EXISTS(..) OR ..). */
static char *unit_text(Ctx *x, PlQuery **aQ, int nQ, int bRows){
  if( nQ==0 ) return 0;
  if( bRows ) return union_text(x, aQ, nQ, " UNION ALL ", "o");
  {
    PlQCond c;
    sqlite3_str *s = sqlite3_str_new(0);
    char *z;
    memset(&c, 0, sizeof(c));
    c.eKind = PC_EXISTS;
    c.aSub = aQ;
    c.nSub = nQ;
    sqlite3_str_appendall(s, "SELECT 1 WHERE ");
    pl_emit_cond(s, x->p, x->bContext, &c);
    z = sqlite3_str_finish(s);
    if( z==0 ) x->rc = SQLITE_NOMEM;
    return z;
  }
}

/* Add to aWild the wildcard types branch q can answer in each column: a
** wildcard it projects, or one a unit it reads passes on. */
static void unit_wild(Ctx *x, const PlQuery *q, PlTypeSet *aWild, const PlLit *l,
                      Frame *f, int iLit, const int *abProj){
  int j;
  for(j=0; j<q->nProj; j++){
    const PlQExpr *e = &q->aProj[j];
    if( e->eKind==PE_WILD ){
      pl_ts_add(&aWild[j], e->iType);
    }else if( e->eKind==PE_COL && e->eFrom==PF_CALL ){
      const PlQFrom *fr;
      for(fr=q->pFrom; fr && fr->iAlias!=e->iFrom; fr=fr->pNext){}
      if( fr && fr->iUnit<x->pUnits->n && x->pUnits->a[fr->iUnit].bReady ){
        pl_ts_or(&aWild[j], &x->pUnits->a[fr->iUnit].aWild[e->i-1]);
      }else{
        /* a unit still being compiled (recursion): what its predicate may */
        int k, m = -1;
        for(k=0; k<l->nArg; k++) if( abProj[k] && ++m==j ) break;
        if( k<l->nArg ){
          Bind b = arg_bind(f, iLit, k);
          PlTypeSet w = x->p->aPred[l->iPred].aWild[k];
          pl_ts_and(&w, &b.ts);
          pl_ts_or(&aWild[j], &w);
        }
      }
    }
  }
}

/* Compile the unit for literal iLit of f (shape zKey); returns its id, or
** -1 with x->rc set. The unit exists in the registry before its body is
** compiled, so the body's recursive calls find it. */
static int unit_get(Ctx *x, Frame *f, int iLit, const char *zKey, int bExist){
  const PlLit *l = &f->c->aLit[iLit];
  PlUnits *pU = x->pUnits;
  Bind aBind[PL_MAX_ARGS];
  int abProj[PL_MAX_ARGS];
  const char *zFull = unit_key(x, zKey, bExist);
  Solve U;
  PlQuery **aBase = 0, **aRec = 0;
  int nBase = 0, nRec = 0, bLinear = 1, nIn = 0, nOut = 0, id, k, st;
  QNode *q;
  if( x->rc ) return -1;
  for(id=0; id<pU->n; id++){
    if( strcmp(pU->a[id].zKey, zFull)==0 ) return id;
  }
  if( pU->n==pU->nAlloc ){
    int nNew = pU->nAlloc ? 2*pU->nAlloc : 16;
    PlUnit *a = sqlite3_realloc64(pU->a, sizeof(PlUnit)*(size_t)nNew);
    if( a==0 ){ x->rc = SQLITE_NOMEM; return -1; }
    pU->a = a;
    pU->nAlloc = nNew;
  }
  id = pU->n;
  memset(&pU->a[id], 0, sizeof(PlUnit));
  pU->a[id].zKey = sqlite3_mprintf("%s", zFull);
  if( pU->a[id].zKey==0 ){ x->rc = SQLITE_NOMEM; return -1; }
  pU->n++;

  /* the goal: bound values are the unit's parameters ?1..?nIn */
  for(k=0; k<l->nArg; k++){
    Bind b = arg_bind(f, iLit, k);
    abProj[k] = 0;
    if( b.eKind==B_EXPR ){
      memset(&aBind[k], 0, sizeof(Bind));
      aBind[k].eKind = B_EXPR;
      aBind[k].ts = b.ts;
      aBind[k].e.eKind = PE_PARAM;
      aBind[k].e.i = ++nIn;
      aBind[k].iPrin = b.iPrin;
    }else{
      aBind[k] = b;
      if( b.eKind==B_FREE && !bExist ){ abProj[k] = 1; nOut++; }
    }
  }
  if( ++x->nUnitNest>64 ){
    x->rc = SQLITE_ERROR;
    x->zErr = sqlite3_mprintf("%s: the policy nests more than 64 units deep",
                              x->p->zFile);
    return -1;
  }
  solve_init(&U, 0, x, nOut>0);
  st = solve_goal(x, &U, l->iPred, aBind, abProj);
  x->nUnitNest--;
  if( st==ST_RESTART ){
    x->rc = SQLITE_INTERNAL;
    x->zErr = sqlite3_mprintf("internal error: unresolved recursion in a unit");
  }
  if( x->rc ) return -1;
  aBase = xalloc(x, sizeof(PlQuery*)*(size_t)(U.nOut+1));
  aRec = xalloc(x, sizeof(PlQuery*)*(size_t)(U.nOut+1));
  if( x->rc ) return -1;
  for(q=U.pOut; q; q=q->pNext){
    if( q->q->nCall ){
      aRec[nRec++] = q->q;
      if( q->q->nCall>1 ) bLinear = 0;
    }else{
      aBase[nBase++] = q->q;
    }
  }
  pU = x->pUnits;                /* the body may have grown the registry */
  for(q=U.pOut; q; q=q->pNext) unit_wild(x, q->q, pU->a[id].aWild, l, f, iLit, abProj);
  pU->a[id].bReady = 1;
  pU->a[id].nIn = nIn;
  pU->a[id].nOut = nOut;
  pU->a[id].bLinear = bLinear;
  if( U.bTrue ){
    pU->a[id].zBase = sqlite3_mprintf("SELECT 1");
    if( pU->a[id].zBase==0 ) x->rc = SQLITE_NOMEM;
  }else{
    pU->a[id].zBase = unit_text(x, aBase, nBase, nOut>0);
    pU->a[id].zRec = unit_text(x, aRec, nRec, nOut>0);
  }
  return x->rc ? -1 : id;
}

/* The wildcard types answer column iCol (argument k) of unit id may hold. */
static PlTypeSet unit_col_wild(Ctx *x, int id, const PlPred *pr, int k, int iCol){
  if( x->pUnits->a[id].bReady ) return x->pUnits->a[id].aWild[iCol];
  return pr->aWild[k];
}

/* Answer literal iLit of f through its unit: EXISTS(SELECT 1 FROM
** polar_call(id, ...)) when bExist, else a join with polar_call(id, ...)
** whose columns bind the free arguments. */
static int unit_call(Solve *S, Frame *f, int iLit, const char *zKey, int bExist){
  Ctx *x = S->x;
  const PlLit *l = &f->c->aLit[iLit];
  const PlPred *pr = &x->p->aPred[l->iPred];
  PlQExpr aIn[PL_MAX_ARGS];
  int nIn = 0, nOut = 0, k, id, iAlias;
  id = unit_get(x, f, iLit, zKey, bExist);
  if( id<0 ) return ST_ERR;
  for(k=0; k<l->nArg; k++){
    Bind b = arg_bind(f, iLit, k);
    if( b.eKind==B_EXPR ) aIn[nIn++] = b.e;
  }
  if( bExist ){
    Solve T;
    PlQCond c;
    int bTrue;
    solve_init(&T, S, x, 0);
    iAlias = add_from(&T, PF_CALL, -1);
    if( iAlias==0 ) return ST_ERR;
    T.pFrom->iUnit = id;
    T.pFrom->nArg = nIn;
    T.pFrom->aArg = xalloc(x, sizeof(PlQExpr)*(size_t)(nIn+1));
    if( T.pFrom->aArg==0 ) return ST_ERR;
    memcpy(T.pFrom->aArg, aIn, sizeof(PlQExpr)*(size_t)nIn);
    T.nCall = 1;
    if( emit_branch(&T) ) return ST_ERR;
    if( arms_cond(S, &T, &c, &bTrue) ) return ST_ERR;
    add_cond(S, &c);
    f->aDone[iLit] = 1;
    return solve(S, f);
  }
  iAlias = add_from(S, PF_CALL, -1);
  if( iAlias==0 ) return ST_ERR;
  S->pFrom->iUnit = id;
  S->pFrom->nArg = nIn;
  S->pFrom->aArg = xalloc(x, sizeof(PlQExpr)*(size_t)(nIn+1));
  if( S->pFrom->aArg==0 ) return ST_ERR;
  memcpy(S->pFrom->aArg, aIn, sizeof(PlQExpr)*(size_t)nIn);
  S->nCall++;
  /* bind the free arguments to the unit's columns, in order; a wildcard
  ** answer ('T:', any value of T) leaves its variable free */
  {
    Saved sv;
    int st = ST_OK, aCol[PL_MAX_ARGS], aK[PL_MAX_ARGS], nFree = 0, m, nCombo = 1;
    for(k=0; k<l->nArg; k++){
      Bind b = arg_bind(f, iLit, k);
      if( b.eKind==B_FREE ){ aK[nFree] = k; aCol[nFree] = ++nOut; nFree++; }
    }
    for(m=0; m<nFree; m++){
      PlTypeSet w = unit_col_wild(x, id, pr, aK[m], m);
      Bind cur = arg_bind(f, iLit, aK[m]);
      pl_ts_and(&w, &cur.ts);
      nCombo *= 1 + pl_ts_count(&w);
    }
    if( save_state(S, f, &sv) ) return ST_ERR;
    for(m=0; st==ST_OK && m<nCombo; m++){
      int r = m, i;
      for(i=0; i<nFree; i++){
        int kk = aK[i];
        PlQExpr col = expr_col(PF_CALL, iAlias, aCol[i]);
        Bind cur = arg_bind(f, iLit, kk);
        PlTypeSet w = unit_col_wild(x, id, pr, kk, i);
        int nW, pick, ty, t2;
        pl_ts_and(&w, &cur.ts);
        nW = pl_ts_count(&w);
        pick = r % (nW+1);
        r /= nW+1;
        if( pick==0 ){
          /* a concrete answer */
          Bind nb;
          for(t2=pl_ts_first(&w); t2>=0; t2=pl_ts_next(&w, t2)){
            PlQCond c;
            memset(&c, 0, sizeof(c));
            c.eKind = PC_CMP;
            c.eCmp = PL_CMP_NE;
            c.a = col;
            c.b = expr_wild(t2);
            add_cond(S, &c);
          }
          memset(&nb, 0, sizeof(nb));
          nb.eKind = B_EXPR;
          nb.e = col;
          nb.ts = cur.ts;
          if( cur.eKind==B_FREE ){
            if( !bind_to(S, &f->aBind[l->aArg[kk].iVar], &nb) ) break;
          }else if( !unify_bound(S, &cur, &nb) ){
            break;
          }
        }else{
          PlQExpr wexp;
          PlTypeSet one;
          for(ty=pl_ts_first(&w); ty>=0 && --pick>0; ty=pl_ts_next(&w, ty)){}
          wexp = expr_wild(ty);
          add_eq(S, &col, &wexp);
          memset(&one, 0, sizeof(one));
          pl_ts_add(&one, ty);
          if( cur.eKind==B_FREE ){
            pl_ts_and(&f->aBind[l->aArg[kk].iVar].ts, &one);
          }else{
            break;                     /* bound by an earlier column: skip */
          }
        }
      }
      if( i==nFree && x->rc==SQLITE_OK ){
        f->aDone[iLit] = 1;
        st = solve(S, f);
      }
      restore_state(S, &sv);
    }
    return x->rc ? ST_ERR : st;
  }
}

/*-------------------------------------------------------------- api ---*/

int pl_plan(const PlPolicy *p, PlArena *A, PlUnits *pUnits, int bContext,
            const char *zPred, int nArg, const PlGoalArg *aArg, int bRows,
            PlPlanOut *pOut, char **pzErr){
  Ctx x;
  Solve S;
  Bind aBind[PL_MAX_ARGS];
  int abProj[PL_MAX_ARGS];
  int iPred, k, st = ST_OK;
  QNode *q;
  memset(pOut, 0, sizeof(*pOut));
  memset(&x, 0, sizeof(x));
  x.p = p;
  x.A = A;
  x.pUnits = pUnits;
  x.bContext = bContext;
  iPred = pl_policy_find_pred(p, zPred, nArg);
  solve_init(&S, 0, &x, bRows);
  if( iPred>=0 ){
    for(k=0; k<nArg; k++){
      memset(&aBind[k], 0, sizeof(Bind));
      abProj[k] = 0;
      if( aArg[k].eKind==PL_GA_OPEN ){
        aBind[k].eKind = B_FREE;
        aBind[k].ts = aArg[k].ts;
        abProj[k] = 1;
      }else if( aArg[k].zKnown ){
        aBind[k].eKind = B_CONST;
        aBind[k].c.iType = aArg[k].iType;
        aBind[k].c.z = aArg[k].zKnown;
        aBind[k].c.n = aArg[k].nKnown;
        pl_ts_add(&aBind[k].ts, aArg[k].iType);
      }else{
        aBind[k].eKind = B_EXPR;
        aBind[k].e.eKind = PE_PARAM;
        aBind[k].e.i = aArg[k].iParam;
        pl_ts_add(&aBind[k].ts, aArg[k].iType);
      }
    }
    st = solve_goal(&x, &S, iPred, aBind, abProj);
    if( st==ST_RESTART && x.zRestart ){
      /* the goal itself is recursive: answer it through its unit */
      Solve R;
      Frame *f = S.pRoot;
      const char *zKey = call_key(&x, f, 0);
      if( x.rc==SQLITE_OK && strcmp(zKey, x.zRestart)!=0 ){
        x.zErr = sqlite3_mprintf("internal error: unresolved recursion while compiling %s", zPred);
        x.rc = SQLITE_INTERNAL;
      }
      x.zRestart = 0;
      solve_init(&R, 0, &x, bRows);
      R.pRoot = f;
      memcpy(R.aProjVar, S.aProjVar, sizeof(S.aProjVar));
      memcpy(R.aProjTs, S.aProjTs, sizeof(S.aProjTs));
      R.nProj = S.nProj;
      st = x.rc ? ST_ERR : unit_call(&R, f, 0, zKey, !bRows);
      S = R;
    }
  }
  if( x.rc==SQLITE_OK && st==ST_RESTART ){
    x.zErr = sqlite3_mprintf("internal error: unresolved recursion while compiling %s", zPred);
    x.rc = SQLITE_INTERNAL;
  }
  if( x.rc==SQLITE_OK ){
    pOut->bTrue = S.bTrue;
    pOut->nQuery = S.nOut;
    pOut->aQuery = xalloc(&x, sizeof(PlQuery*)*(size_t)(S.nOut+1));
    for(q=S.pOut, k=S.nOut; pOut->aQuery && q; q=q->pNext) pOut->aQuery[--k] = q->q;
  }
  *pzErr = x.zErr;
  return x.rc;
}
