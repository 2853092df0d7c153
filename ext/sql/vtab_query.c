/*
** vtab_query.c — the table-valued functions that return answer sets.
**
**   SELECT id FROM polar_list('User:alice', 'read', 'Repository');
**   SELECT action FROM polar_actions('User:alice', 'Repository:anvil');
**   SELECT * FROM polar_query('has_role', 'User:alice', NULL, 'Repository:_');
**
** How it works. The arguments are hidden columns. xBestIndex insists that
** the required ones are bound by equality (a table-valued function call
** does that) and records which were given; xFilter turns them into a goal
** (check.c: bound values become parameters, NULL and 'Type:_' open
** positions), fetches or compiles the statement for that goal shape and
** steps it.
** polar_list answers only the exact type asked for (not its subtypes), and
** a wildcard answer — every value of the type — is the single row '*'.
** polar_actions drops wildcard actions (decision 15.2).
**
** polar_list's statement joins its alternatives with UNION ALL (compile.c,
** bRows=2) and the cursor drops the ids it has already returned (QSeen):
** a hash set costs a small fraction of the temporary B-tree that a UNION
** builds for every row (a 10k-id list: about half the instructions). The
** set is bounded by the list_memory limit (limits.c): before it would pass
** it the cursor switches to the UNION form of the same list (whose set
** lives in SQLite's temporary storage and spills to a file), runs it from
** the start and skips the ids it returned before the switch; the
** arguments are kept (sqlite3_value_dup) to prepare it then. The switch
** costs time (at 10M facts, a 306k-id list took 0.64 s in memory and 2.0 s
** past a 4 MB bound), so the default bound (64 MB, about 900k ids) keeps
** every list of the benchmark in memory.
*/
#include "pl_int.h"
#include <string.h>

typedef struct QAux { PlConn *c; int eKind; } QAux;

typedef struct QVtab {
  sqlite3_vtab base;
  QAux *pAux;
  int nOut;         /* visible columns */
  int nHidden;      /* argument columns */
} QVtab;

/* The values a list cursor has returned: open addressing over copies of
** their bytes (type, then text or the 8 bytes of a number) kept in an
** arena. Emptied, memory freed, when the cursor's statement is. */
typedef struct QSeenKey { const char *z; int n; int eType; } QSeenKey;
typedef struct QSeen {
  PlArena *pArena;
  QSeenKey *aSlot;          /* nSlot entries, a power of two; z==0: free */
  unsigned nSlot, nUsed;
  sqlite3_int64 nKeyBytes;  /* bytes of the copies in pArena, about */
} QSeen;

typedef struct QCursor {
  sqlite3_vtab_cursor base;
  sqlite3_stmt *pStmt;      /* running statement */
  int bOwn;                 /* pStmt is ours to finalize (cache entry busy) */
  int bEof;
  sqlite3_int64 iRow;
  int nArg;                 /* query: arity */
  int aOpenCol[PL_MAX_ARGS];/* query: result column of each open position, 0 if bound */
  PlValue aIn[PL_MAX_ARGS];         /* query: bound inputs, echoed back */
  char *azIn[PL_MAX_ARGS];          /* their user spelling */
  int bStar;                /* list: a wildcard answer was found -> one '*' row */
  QSeen seen;               /* list: values returned so far */
  int bUnion;               /* list: switched to the UNION form (seen is full) */
  sqlite3_value *apArg[3];  /* list: the arguments, to prepare the UNION form */
  PlBudget budget;          /* steps of this scan (the steps limit) */
  int bCtx;                 /* called with a context argument: */
  PlCtx ctx;                /* its facts, in place while pStmt steps */
} QCursor;

static unsigned q_seen_hash(int eType, const char *z, int n){
  unsigned h = 2166136261u ^ (unsigned)eType;
  int i;
  for(i=0; i<n; i++){ h ^= (unsigned char)z[i]; h *= 16777619u; }
  return h;
}

static void q_seen_clear(QSeen *p){
  pl_arena_free(p->pArena);
  sqlite3_free(p->aSlot);
  memset(p, 0, sizeof(*p));
}

/* Double the table (or make the first one). */
static int q_seen_grow(QSeen *p){
  unsigned nNew = p->nSlot ? p->nSlot*2 : 1024, i, k;
  QSeenKey *aNew = sqlite3_malloc64(sizeof(QSeenKey)*nNew);
  if( aNew==0 ) return SQLITE_NOMEM;
  memset(aNew, 0, sizeof(QSeenKey)*nNew);
  for(i=0; i<p->nSlot; i++){
    const QSeenKey *e = &p->aSlot[i];
    if( e->z==0 ) continue;
    for(k=q_seen_hash(e->eType, e->z, e->n) & (nNew-1); aNew[k].z; k=(k+1) & (nNew-1)){}
    aNew[k] = *e;
  }
  sqlite3_free(p->aSlot);
  p->aSlot = aNew;
  p->nSlot = nNew;
  return SQLITE_OK;
}

/* Column 0 of pStmt's current row: *pbNew is 1 if the value is not in the
** set (then, if bAdd, it is added), 0 if it is. */
static int q_seen_add(QSeen *p, sqlite3_stmt *pStmt, int bAdd, int *pbNew){
  int eType = sqlite3_column_type(pStmt, 0), n, rc;
  const char *z;
  sqlite3_int64 iVal;
  double rVal;
  unsigned k;
  *pbNew = 0;
  if( eType==SQLITE_INTEGER ){
    iVal = sqlite3_column_int64(pStmt, 0);
    z = (const char*)&iVal; n = (int)sizeof(iVal);
  }else if( eType==SQLITE_FLOAT ){
    rVal = sqlite3_column_double(pStmt, 0);
    z = (const char*)&rVal; n = (int)sizeof(rVal);
  }else if( eType==SQLITE_NULL ){
    z = ""; n = 0;
  }else{
    z = eType==SQLITE_TEXT ? (const char*)sqlite3_column_text(pStmt, 0)
                           : (const char*)sqlite3_column_blob(pStmt, 0);
    n = sqlite3_column_bytes(pStmt, 0);
    if( z==0 ){
      if( n>0 ) return SQLITE_NOMEM;
      z = "";
    }
  }
  if( bAdd && (p->nUsed+1)*2 > p->nSlot ){
    /* only to add: a lookup in a full set (past the switch) must not
    ** double it, the very memory list_memory bounds */
    rc = q_seen_grow(p);
    if( rc!=SQLITE_OK ) return rc;
  }
  if( p->nSlot==0 ){ *pbNew = 1; return SQLITE_OK; }   /* empty, not adding */
  for(k=q_seen_hash(eType, z, n) & (p->nSlot-1); p->aSlot[k].z; k=(k+1) & (p->nSlot-1)){
    const QSeenKey *e = &p->aSlot[k];
    if( e->eType==eType && e->n==n && memcmp(e->z, z, (size_t)n)==0 ) return SQLITE_OK;
  }
  if( !bAdd ){ *pbNew = 1; return SQLITE_OK; }
  if( p->pArena==0 && (p->pArena = pl_arena_new())==0 ) return SQLITE_NOMEM;
  p->aSlot[k].z = pl_arena_strndup(p->pArena, z, n);
  if( p->aSlot[k].z==0 ) return SQLITE_NOMEM;
  p->aSlot[k].n = n;
  p->aSlot[k].eType = eType;
  p->nUsed++;
  p->nKeyBytes += n + 1 + 8;     /* the copy, its terminator, alignment */
  *pbNew = 1;
  return SQLITE_OK;
}

/* The bytes the set would hold after one more id: the table doubles when
** it is half full (old and new tables live together while it does). */
static sqlite3_int64 q_seen_bytes_next(const QSeen *p){
  sqlite3_int64 nSlot = p->nSlot;
  if( (p->nUsed+1)*2 > p->nSlot ) nSlot += p->nSlot ? 2*(sqlite3_int64)p->nSlot : 1024;
  return nSlot*(sqlite3_int64)sizeof(QSeenKey) + p->nKeyBytes + 400;
}

static const char *q_schema(int eKind){
  switch( eKind ){
    case PL_Q_LIST:    return "CREATE TABLE x(id, actor HIDDEN, action HIDDEN, resource_type HIDDEN, "
                              "context HIDDEN)";
    case PL_Q_ACTIONS: return "CREATE TABLE x(action, actor HIDDEN, resource HIDDEN, context HIDDEN)";
    default:        return "CREATE TABLE x(a1, a2, a3, a4, a5, predicate HIDDEN, "
                           "q1 HIDDEN, q2 HIDDEN, q3 HIDDEN, q4 HIDDEN, q5 HIDDEN, "
                           "context HIDDEN)";
  }
}

static int qConnect(sqlite3 *db, void *pAux, int argc, const char *const*argv,
                    sqlite3_vtab **ppVtab, char **pzErr){
  QAux *a = pAux;
  QVtab *v;
  /* answers depend on stored facts only; nothing is written */
  int rc = pl_vtab_new(db, q_schema(a->eKind), sizeof(QVtab), SQLITE_VTAB_INNOCUOUS, ppVtab);
  (void)argc; (void)argv; (void)pzErr;
  if( rc!=SQLITE_OK ) return rc;
  v = (QVtab*)*ppVtab;
  v->pAux = a;
  v->nOut = a->eKind==PL_Q_QUERY ? 5 : 1;
  /* the arguments, then the optional context (always the last) */
  v->nHidden = a->eKind==PL_Q_LIST ? 4 : a->eKind==PL_Q_ACTIONS ? 3 : 7;
  return SQLITE_OK;
}

/* idxNum: bit i set when hidden argument i is bound by equality. */
static int qBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *p){
  QVtab *v = (QVtab*)pVtab;
  int aIdx[7], i, n = 0, mask = 0, nReq;
  for(i=0; i<7; i++) aIdx[i] = -1;
  for(i=0; i<p->nConstraint; i++){
    int iCol = p->aConstraint[i].iColumn - v->nOut;
    if( iCol<0 || p->aConstraint[i].op!=SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( !p->aConstraint[i].usable ) return SQLITE_CONSTRAINT;
    aIdx[iCol] = i;
  }
  for(i=0; i<v->nHidden; i++){
    if( aIdx[i]<0 ) continue;
    mask |= 1<<i;
    p->aConstraintUsage[aIdx[i]].argvIndex = ++n;
    p->aConstraintUsage[aIdx[i]].omit = 1;
  }
  nReq = v->pAux->eKind==PL_Q_QUERY ? 1 : v->nHidden-1;   /* context is optional */
  for(i=0; i<nReq; i++){
    if( (mask & (1<<i))==0 ){
      sqlite3_free(pVtab->zErrMsg);
      pVtab->zErrMsg = sqlite3_mprintf("%s needs %d arguments",
          v->pAux->eKind==PL_Q_LIST ? "polar_list(actor, action, resource_type [, context])" :
          v->pAux->eKind==PL_Q_ACTIONS ? "polar_actions(actor, resource [, context])" :
          "polar_query(predicate, a1 ... a5)", nReq);
      return SQLITE_CONSTRAINT;
    }
  }
  p->idxNum = mask;
  p->estimatedCost = 1000;
  p->estimatedRows = 1000;
  return SQLITE_OK;
}

static int qOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  QCursor *c = sqlite3_malloc64(sizeof(*c));
  (void)pVtab;
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *ppCur = &c->base;
  return SQLITE_OK;
}

/* Let go of the cursor's statement: ours is finalized, the cache's reset. */
static void q_release(QCursor *c){
  if( c->pStmt ){
    if( c->bOwn ) sqlite3_finalize(c->pStmt);
    else sqlite3_reset(c->pStmt);
  }
  c->pStmt = 0;
  c->bOwn = 0;
  /* the statement's polar_call cursors are closed: its tabled answers go */
  pl_calls_free(c->budget.pCalls);
  c->budget.pCalls = 0;
}

static void q_reset(QCursor *c){
  int i;
  q_release(c);
  q_seen_clear(&c->seen);
  c->bUnion = 0;
  for(i=0; i<3; i++){
    sqlite3_value_free(c->apArg[i]); c->apArg[i] = 0;
  }
  for(i=0; i<PL_MAX_ARGS; i++){
    sqlite3_free(c->azIn[i]); c->azIn[i] = 0;
  }
  pl_context_free(&c->ctx);
  c->bCtx = 0;
}

static int qClose(sqlite3_vtab_cursor *cur){
  q_reset((QCursor*)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}


static const char *q_kind_name(int eKind){
  return eKind==PL_Q_LIST ? "L" : eKind==PL_Q_ACTIONS ? "T" : "Q";
}

/* Prepare (from the cache when possible) the statement for goal g; bRows as
** for pl_compile (a list's UNION ALL form is 2, its UNION form 1); bContext:
** it reads the call's context facts too. */
static int q_stmt(PlConn *c, int eKind, int bRows, int bContext, PlGoal *g,
                  sqlite3_stmt **ppStmt, int *pbOwn, char **pzErr){
  size_t nz = strlen(g->zPred) + 40 + PL_MAX_ARGS*(8+PL_MAX_TYPES/64*18);
  char *zKey = sqlite3_malloc64(nz);
  sqlite3_stmt *pStmt = 0;
  int rc, i, n;
  *pbOwn = 0;
  if( zKey==0 ) return SQLITE_NOMEM;
  sqlite3_snprintf((int)nz, zKey, "%s%s%s:%s/%d", q_kind_name(eKind), bRows==2 ? "+" : "",
                   bContext ? "c" : "", g->zPred, g->nArg);
  n = (int)strlen(zKey);
  rc = SQLITE_OK;
  for(i=0; rc==SQLITE_OK && i<g->nArg; i++){
    if( !pl_goal_key(zKey, (int)nz, &n, &g->aGoal[i]) ) rc = SQLITE_INTERNAL;
  }
  if( rc==SQLITE_OK ){
    rc = pl_check_stmt(c, g->zPred, g->nArg, g->aGoal, bRows, bContext, zKey, &pStmt, pzErr);
  }
  sqlite3_free(zKey);
  if( rc!=SQLITE_OK ) return rc;
  if( sqlite3_stmt_busy(pStmt) ){
    /* another cursor is running the cached copy: use a private one */
    rc = sqlite3_prepare_v2(c->db, sqlite3_sql(pStmt), -1, &pStmt, 0);
    if( rc!=SQLITE_OK ){
      *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(c->db));
      sqlite3_finalize(pStmt);
      return rc;
    }
    *pbOwn = 1;
  }
  *ppStmt = pStmt;
  return SQLITE_OK;
}

static int q_bind(PlConn *c, sqlite3_stmt *pStmt, PlGoal *g){
  int i, rc = SQLITE_OK;
  for(i=0; rc==SQLITE_OK && i<g->nArg; i++){
    /* a value compiled as a constant is never read, and the compiler may
    ** have pruned every use of a parameter */
    if( g->aGoal[i].eKind!=PL_GA_PARAM || g->aGoal[i].zKnown ) continue;
    if( g->aGoal[i].iParam>sqlite3_bind_parameter_count(pStmt) ) continue;
    /* cursors can be nested, so bind copies rather than scratch buffers */
    if( g->aVal[i].iType==PL_TYPE_INTEGER ){
      rc = sqlite3_bind_int64(pStmt, g->aGoal[i].iParam, g->aVal[i].i);
    }else{
      rc = sqlite3_bind_text(pStmt, g->aGoal[i].iParam,
             sqlite3_mprintf("%s:%.*s", pl_policy_type_name(c->pPol, g->aVal[i].iType),
                             g->aVal[i].n, g->aVal[i].z), -1, sqlite3_free);
    }
  }
  return rc;
}

/* Is the current row a wildcard answer ("T:") in column iCol? */
static int q_is_wild(sqlite3_stmt *pStmt, int iCol){
  const char *z;
  int n;
  if( sqlite3_column_type(pStmt, iCol)!=SQLITE_TEXT ) return 0;
  z = (const char*)sqlite3_column_text(pStmt, iCol);
  n = sqlite3_column_bytes(pStmt, iCol);
  return n>0 && z[n-1]==':' && memchr(z, ':', (size_t)n)==z+n-1;
}

/* Set the table's error message: zErr (taken over), or SQLite's text for rc. */
static void q_error(QVtab *v, int rc, char *zErr){
  sqlite3_free(v->base.zErrMsg);
  v->base.zErrMsg = zErr ? zErr : sqlite3_mprintf("%s", sqlite3_errstr(rc));
}

static const char *const azQName[] = { 0, "polar_list", "polar_actions", "polar_query" };

/* The statement for the call's arguments (bRows as for q_stmt), bound,
** into c->pStmt; the parsed goal in *g; pCtxArg (or NULL), the context
** argument, parsed into c->ctx against the same policy as the goal. On
** error c->pStmt may be set: q_release or q_reset lets go of it. */
static int q_open(QCursor *c, int bRows, int argc, sqlite3_value **argv,
                  sqlite3_value *pCtxArg, PlGoal *g, char **pzErr){
  QVtab *v = (QVtab*)c->base.pVtab;
  PlConn *pc = v->pAux->c;
  /* context facts may hold Strings no rule mentions */
  int rc = pl_goal_build(pc, v->pAux->eKind, argc, argv,
                         pCtxArg ? PL_ARG_CONTEXT : PL_ARG_STRICT, g, pzErr);
  if( rc==SQLITE_OK && pCtxArg ){
    rc = pl_context_parse(pc, (const char*)sqlite3_value_text(pCtxArg),
                          sqlite3_value_bytes(pCtxArg), azQName[v->pAux->eKind],
                          &c->ctx, pzErr);
    c->bCtx = rc==SQLITE_OK;
  }
  if( rc==SQLITE_OK ){
    rc = q_stmt(pc, v->pAux->eKind, bRows, c->bCtx, g, &c->pStmt, &c->bOwn, pzErr);
  }
  if( rc==SQLITE_OK ) rc = q_bind(pc, c->pStmt, g);
  return rc;
}

/* Step the cursor's statement under the scan's step budget, with the
** call's context facts in place (cursors may be interleaved, each with its
** own); an error goes to the table's message. */
static int q_step(QCursor *c){
  QVtab *v = (QVtab*)c->base.pVtab;
  PlConn *pc = v->pAux->c;
  PlCtx saved = pc->ctx;
  char *zErr = 0;
  int rc;
  if( c->bCtx ) pc->ctx = c->ctx;
  rc = pl_budget_step(pc, &c->budget, c->pStmt, azQName[v->pAux->eKind], &zErr);
  if( c->bCtx ) pc->ctx = saved;
  if( rc!=SQLITE_ROW && rc!=SQLITE_DONE ){
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg = zErr ? zErr : sqlite3_mprintf("%s", sqlite3_errmsg(v->pAux->c->db));
  }
  return rc;
}

/* A list whose set of returned ids is full goes on with the UNION form of
** its statement (distinct rows, its set in SQLite's temporary storage),
** from the start; qNext then skips the ids returned before. */
static int q_list_to_union(QCursor *c){
  QVtab *v = (QVtab*)c->base.pVtab;
  char *zErr = 0;
  PlGoal g;
  int rc;
  q_release(c);
  rc = q_open(c, 1, 3, c->apArg, 0, &g, &zErr);   /* the context stays */
  if( rc!=SQLITE_OK ){
    q_error(v, rc, zErr);
    return rc;
  }
  c->bUnion = 1;
  return SQLITE_OK;
}

static int qNext(sqlite3_vtab_cursor *cur){
  QCursor *c = (QCursor*)cur;
  QVtab *v = (QVtab*)cur->pVtab;
  int rc;
  if( c->bStar ){ c->bEof = 1; return SQLITE_OK; }
  if( v->pAux->eKind==PL_Q_LIST && !c->bUnion
   && q_seen_bytes_next(&c->seen) > pl_limit(&v->pAux->c->lim, PL_LIMIT_LIST_MEMORY) ){
    rc = q_list_to_union(c);
    if( rc!=SQLITE_OK ) return rc;
  }
  for(;;){
    rc = q_step(c);
    if( rc==SQLITE_DONE ){ c->bEof = 1; return SQLITE_OK; }
    if( rc!=SQLITE_ROW ) return rc;
    c->iRow++;
    if( v->pAux->eKind==PL_Q_ACTIONS && q_is_wild(c->pStmt, 0) ) continue;
    if( v->pAux->eKind!=PL_Q_QUERY ){
      /* UNION ALL form: drop repeats; UNION form: rows are distinct, drop
      ** the ones returned before the switch. Actions: a statement of one
      ** SELECT repeats an action granted along two paths (found by
      ** tests/diff); the set of actions is small */
      int bNew;
      rc = q_seen_add(&c->seen, c->pStmt, !c->bUnion, &bNew);
      if( rc!=SQLITE_OK ) return rc;
      if( !bNew ) continue;
    }
    return SQLITE_OK;
  }
}

/* List: is there a wildcard answer? Scans the answer once; the statement
** is then reset to be stepped for the ids. */
static int q_list_star(QCursor *c){
  int rc;
  while( (rc = q_step(c))==SQLITE_ROW ){
    if( q_is_wild(c->pStmt, 0) ){ c->bStar = 1; break; }
  }
  if( rc!=SQLITE_ROW && rc!=SQLITE_DONE ) return rc;
  if( c->bStar ){
    c->bEof = 0;
    return SQLITE_OK;
  }
  sqlite3_reset(c->pStmt);
  return SQLITE_OK;
}

static int qFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                   int argc, sqlite3_value **argv){
  QCursor *c = (QCursor*)cur;
  QVtab *v = (QVtab*)cur->pVtab;
  PlConn *pc = v->pAux->c;
  PlGoal g;
  sqlite3_value *pCtxArg = 0;
  char *zErr = 0;
  int rc, i, nTry, iVersion;
  (void)idxStr;
  q_reset(c);
  c->bEof = 0;
  c->iRow = 0;
  memset(&c->budget, 0, sizeof(c->budget));
  if( idxNum & (1<<(v->nHidden-1)) ){
    /* the context argument: the last of argv; NULL is no context */
    argc--;
    if( sqlite3_value_type(argv[argc])!=SQLITE_NULL ) pCtxArg = argv[argc];
  }
  if( v->pAux->eKind==PL_Q_QUERY ){
    /* arguments must be q1..qn without gaps */
    int n = 0, mask = idxNum & ~(1<<(v->nHidden-1));
    for(i=1; i<6 && (mask & (1<<i)); i++) n++;
    if( (mask>>(n+1))!=0 ){
      v->base.zErrMsg = sqlite3_mprintf("polar_query: arguments must be consecutive");
      return SQLITE_ERROR;
    }
  }
  for(nTry=0; nTry<2; nTry++){
    /* a list drops repeated ids itself (QSeen): its UNION ALL form */
    rc = q_open(c, v->pAux->eKind==PL_Q_LIST ? 2 : 1, argc, argv, pCtxArg, &g, &zErr);
    for(i=0; rc==SQLITE_OK && v->pAux->eKind==PL_Q_LIST && i<3; i++){
      /* kept to open the UNION form if the list passes list_memory */
      if( c->apArg[i]==0 && (c->apArg[i] = sqlite3_value_dup(argv[i]))==0 ) rc = SQLITE_NOMEM;
    }
    if( rc!=SQLITE_OK ) break;
    if( v->pAux->eKind==PL_Q_QUERY ){
      int iCol = 0;
      c->nArg = g.nArg;
      for(i=0; i<g.nArg; i++){
        if( g.aGoal[i].eKind==PL_GA_OPEN ){
          c->aOpenCol[i] = ++iCol;
        }else{
          const PlValue *pv = &g.aVal[i];
          c->aOpenCol[i] = 0;
          c->aIn[i] = *pv;
          if( pv->iType==PL_TYPE_INTEGER ) continue;
          if( pv->iType==PL_TYPE_STRING ){
            /* plain text, unless it would read as a typed value */
            int k = 0;
            while( k<pv->n && (pv->z[k]=='_' || (pv->z[k]>='a' && pv->z[k]<='z')
                   || (pv->z[k]>='A' && pv->z[k]<='Z') || (k>0 && pv->z[k]>='0' && pv->z[k]<='9')) ) k++;
            c->azIn[i] = (k>0 && k<pv->n && pv->z[k]==':')
                       ? sqlite3_mprintf("String:%.*s", pv->n, pv->z)
                       : sqlite3_mprintf("%.*s", pv->n, pv->z);
          }else{
            c->azIn[i] = sqlite3_mprintf("%s:%.*s", pl_policy_type_name(pc->pPol, pv->iType),
                                         pv->n, pv->z);
          }
          if( c->azIn[i]==0 ){ rc = SQLITE_NOMEM; break; }
        }
      }
      if( rc!=SQLITE_OK ) break;
    }
    iVersion = pc->iVersion;
    c->bStar = 0;
    if( v->pAux->eKind==PL_Q_LIST && strstr(sqlite3_sql(c->pStmt), ":' AS c1") ){
      /* every value of the type qualifies: the answer is the one row '*'.
      ** compile.c writes a wildcard answer only as the literal 'T:' AS c1,
      ** so without one no scan is needed (a policy string ending in ':'
      ** costs a scan, never a wrong answer). */
      rc = q_list_star(c);
      if( rc==SQLITE_OK && c->bStar ) return rc;
    }
    if( rc==SQLITE_OK ) rc = qNext(cur);
    if( rc!=SQLITE_OK && nTry==0 && !c->budget.bOver ){
      /* compiled for a policy that is gone? (its marker: pl_check_stmt) */
      int bChanged = 0;
      char *zErr2 = 0;
      q_reset(c);
      if( pl_conn_recheck(pc, &bChanged, &zErr2)==SQLITE_OK && bChanged ){
        sqlite3_free(v->base.zErrMsg);
        v->base.zErrMsg = 0;
        memset(&c->budget, 0, sizeof(c->budget));
        c->bEof = 0;
        continue;
      }
      sqlite3_free(zErr2);
    }
    if( rc!=SQLITE_OK || !c->bEof ) return rc;
    /* no rows: make sure it was not the policy-version guard. Release the
    ** statement first: a new policy clears the cache that owns it. */
    q_reset(c);
    rc = pl_conn_refresh(pc, 1, &zErr);
    if( rc!=SQLITE_OK || pc->iVersion==iVersion ){
      c->bEof = 1;
      break;
    }
    c->bEof = 0;
  }
  if( rc!=SQLITE_OK ){
    q_error(v, rc, zErr);
    return rc==SQLITE_NOMEM ? rc : SQLITE_ERROR;
  }
  sqlite3_free(zErr);
  return SQLITE_OK;
}

static int qEof(sqlite3_vtab_cursor *cur){
  return ((QCursor*)cur)->bEof;
}

static int qColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  QCursor *c = (QCursor*)cur;
  QVtab *v = (QVtab*)cur->pVtab;
  if( i>=v->nOut ) return SQLITE_OK;     /* hidden arguments read back as NULL */
  if( v->pAux->eKind==PL_Q_LIST && c->bStar ){
    sqlite3_result_text(ctx, "*", 1, SQLITE_STATIC);
  }else if( v->pAux->eKind==PL_Q_LIST ){
    const char *z = (const char*)sqlite3_column_text(c->pStmt, 0);
    int n = sqlite3_column_bytes(c->pStmt, 0);
    const char *zColon = z ? memchr(z, ':', (size_t)n) : 0;
    if( sqlite3_column_type(c->pStmt, 0)==SQLITE_INTEGER ){
      sqlite3_result_int64(ctx, sqlite3_column_int64(c->pStmt, 0));
    }else if( zColon==0 ){
      sqlite3_result_null(ctx);
    }else if( zColon==z+n-1 ){
      sqlite3_result_text(ctx, "*", 1, SQLITE_STATIC);
    }else{
      /* Length -1 when the id has no NUL inside: SQLite then copies the
      ** terminator too, and a caller's sqlite3_column_text() needs no
      ** reallocation to add one (two allocations per row less). z is
      ** NUL-terminated: it comes from sqlite3_column_text(). */
      int nId = (int)(z+n-zColon-1);
      sqlite3_result_text(ctx, zColon+1, memchr(zColon+1, 0, (size_t)nId) ? nId : -1,
                          SQLITE_TRANSIENT);
    }
  }else if( v->pAux->eKind==PL_Q_ACTIONS ){
    pl_value_result(ctx, sqlite3_column_value(c->pStmt, 0));
  }else{
    if( i>=c->nArg ) return SQLITE_OK;
    if( c->aOpenCol[i] ){
      pl_value_result(ctx, sqlite3_column_value(c->pStmt, c->aOpenCol[i]-1));
    }else if( c->aIn[i].iType==PL_TYPE_INTEGER ){
      sqlite3_result_int64(ctx, c->aIn[i].i);
    }else{
      sqlite3_result_text(ctx, c->azIn[i], -1, SQLITE_TRANSIENT);
    }
  }
  return SQLITE_OK;
}

static int qRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  *pRowid = ((QCursor*)cur)->iRow;
  return SQLITE_OK;
}

static sqlite3_module qModule = {
  0, 0, qConnect, qBestIndex, pl_vtab_free, 0, qOpen, qClose, qFilter, qNext,
  qEof, qColumn, qRowid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

/*-------------------------------------------------------- registration --*/

int pl_query_register(sqlite3 *db, PlConn *c){
  static const struct { const char *zName; int eKind; } aMod[] = {
    { "polar_list", PL_Q_LIST }, { "polar_actions", PL_Q_ACTIONS }, { "polar_query", PL_Q_QUERY },
  };
  size_t i;
  int rc = SQLITE_OK;
  for(i=0; rc==SQLITE_OK && i<sizeof(aMod)/sizeof(aMod[0]); i++){
    QAux *a = sqlite3_malloc64(sizeof(*a));
    if( a==0 ) return SQLITE_NOMEM;
    a->c = c;
    a->eKind = aMod[i].eKind;
    rc = sqlite3_create_module_v2(db, aMod[i].zName, &qModule, a, sqlite3_free);
  }
  return rc;
}
