/*
** vtab_explain.c — the independent evaluator's SQL face (ext/eval/).
**
**   SELECT depth, holds, text, at FROM polar_explain('User:alice', 'push', 'Repository:anvil');
**   SELECT polar_eval('authorize', 'User:alice', 'push', 'Repository:anvil');   -- 1
**   SELECT polar_eval('list', 'User:alice', 'read', 'Repository');   -- ["anvil","gitclub"]
**
** polar_explain(actor, action, resource [, context]) is an eponymous
** table-valued function: the rows of pl_explain, columns depth, holds,
** text, at, kind, rule. The whole tree is built when the scan starts.
**
** polar_eval(kind, ...) answers authorize / list / actions / query with
** the evaluator instead of the compiled SQL, with the checks' arguments
** (a context last, or for a query first under the kind 'query_context'):
** 1/0 for authorize, else a JSON
** array (ids for list, actions, rows for query) in the SQL spelling of
** values. It exists so that tests can hold the two implementations against
** each other (tests/corpus, tests/diff); answers come in no set order.
**
** Both read only polarlite's tables and the tables bindings name, and the
** evaluator's work is bounded by the limits (steps, eval_memory,
** eval_depth, explain_depth, explain_rows): SQLITE_INNOCUOUS, like the
** checks (see ext.c).
*/
#include "pl_int.h"
#include <string.h>

/*------------------------------------------------------------ goals ----*/

/* An evaluation environment on connection c; context facts (JSON, may be
** NULL) parsed into *pCtx and listed in *paCtx (sqlite3_malloc'd, pointing
** into *pCtx): env_close releases both after the evaluation. */
static int env_open(PlConn *c, const char *zWho, const char *zCtx, int nCtx,
                    PlEvalEnv *pEnv, PlCtx *pCtx, PlEvalFact **paCtx, char **pzErr){
  const PlPolicy *pPol;
  int rc = pl_conn_require_policy(c, &pPol, pzErr), i, k;
  memset(pEnv, 0, sizeof(*pEnv));
  memset(pCtx, 0, sizeof(*pCtx));
  *paCtx = 0;
  if( rc!=SQLITE_OK ) return rc;
  pEnv->db = pl_conn_db(c);
  pEnv->pCache = pl_conn_cache(c);
  pEnv->pPol = pPol;
  pEnv->pLim = &c->lim;
  pEnv->iNow = pl_conn_now(c);
  pEnv->zWho = zWho;
  if( zCtx==0 ) return SQLITE_OK;
  rc = pl_context_parse(c, zCtx, nCtx, zWho, pCtx, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( pCtx->nFact>0 ){
    *paCtx = sqlite3_malloc64(sizeof(PlEvalFact)*(size_t)pCtx->nFact);
    if( *paCtx==0 ) return SQLITE_NOMEM;
    for(i=0; i<pCtx->nFact; i++){
      (*paCtx)[i].zPred = pCtx->aFact[i].zPred;
      (*paCtx)[i].nArg = pCtx->aFact[i].nArg;
      for(k=0; k<pCtx->aFact[i].nArg; k++) (*paCtx)[i].aVal[k] = pCtx->aFact[i].aVal[k];
    }
  }
  pEnv->aCtx = *paCtx;
  pEnv->nCtx = pCtx->nFact;
  return SQLITE_OK;
}

static void env_close(PlCtx *pCtx, PlEvalFact *aCtx){
  pl_context_free(pCtx);
  sqlite3_free(aCtx);
}

/* actor, action, resource of a check: bound values, read and refused as
** authorize reads them (check.c). */
static int goal_check(PlConn *c, sqlite3_value **argv, int bCtx, PlEvalArg *a,
                      char **pzErr){
  static const char *azWhat[] = { "actor", "action", "resource" };
  int i, rc = SQLITE_OK;
  memset(a, 0, sizeof(PlEvalArg)*3);
  for(i=0; rc==SQLITE_OK && i<3; i++){
    rc = pl_check_arg(c, c->iAllow, i, argv[i], bCtx ? PL_ARG_CONTEXT : PL_ARG_STRICT,
                      azWhat[i], &a[i].v, pzErr);
  }
  return rc;
}

/* The goal of polar_list, polar_actions or polar_query (eKind PL_Q_...),
** parsed as the compiled checks parse it (check.c), as evaluator goal
** arguments; *pzPred and *pnArg are the goal's predicate and arity. */
static int goal_query(PlConn *c, int eKind, int argc, sqlite3_value **argv, int bCtx,
                      PlEvalArg *a, const char **pzPred, int *pnArg, char **pzErr){
  PlGoal g;
  int i, rc = pl_goal_build(c, eKind, argc, argv, bCtx ? PL_ARG_CONTEXT : PL_ARG_STRICT,
                            &g, pzErr);
  memset(a, 0, sizeof(PlEvalArg)*PL_MAX_ARGS);
  if( rc!=SQLITE_OK ) return rc;
  for(i=0; i<g.nArg; i++){
    if( g.aGoal[i].eKind==PL_GA_OPEN ){
      a[i].bOpen = 1;
      a[i].ts = g.aGoal[i].ts;
    }else{
      a[i].v = g.aVal[i];
    }
  }
  *pzPred = g.zPred;
  *pnArg = g.nArg;
  return SQLITE_OK;
}

/*------------------------------------------------------- polar_eval ----*/

/* A value in the SQL spelling (SPEC "Values in SQL") as a JSON value. */
static void json_text(sqlite3_str *s, const char *z, int n){
  int i;
  sqlite3_str_appendchar(s, 1, '"');
  for(i=0; i<n; i++){
    unsigned char ch = (unsigned char)z[i];
    if( ch=='"' || ch=='\\' ) sqlite3_str_appendf(s, "\\%c", ch);
    else if( ch<0x20 ) sqlite3_str_appendf(s, "\\u%04x", ch);
    else sqlite3_str_appendchar(s, 1, (char)ch);
  }
  sqlite3_str_appendchar(s, 1, '"');
}

/* Would text z[0..n) read as a typed value ("Type:...")? */
static int looks_typed(const char *z, int n){
  int i;
  for(i=0; i<n; i++){
    char c = z[i];
    if( c==':' ) return i>0;
    if( !(c=='_' || (c>='a' && c<='z') || (c>='A' && c<='Z') || (i>0 && c>='0' && c<='9')) ) return 0;
  }
  return 0;
}

static void json_value(sqlite3_str *s, const PlPolicy *p, const PlValue *v){
  const char *zType = pl_policy_type_name(p, v->iType);
  char *z;
  if( v->bWild ){
    z = sqlite3_mprintf("%s:_", zType);
  }else if( v->iType==PL_TYPE_INTEGER ){
    sqlite3_str_appendf(s, "%lld", (long long)v->i);
    return;
  }else if( v->iType==PL_TYPE_STRING && !looks_typed(v->z, v->n) ){
    json_text(s, v->z, v->n);
    return;
  }else{
    z = sqlite3_mprintf("%s:%.*s", zType, v->n, v->z);
  }
  if( z ) json_text(s, z, (int)strlen(z));
  sqlite3_free(z);
}

typedef struct EvalOut {
  const PlPolicy *p;
  int eKind;               /* 'A' authorize, 'L' list, 'T' actions, 'Q' query */
  sqlite3_str *s;
  int nRow;
  int bStar;               /* list: a wildcard answer */
} EvalOut;

static int eval_row(void *pArg, int nArg, const PlValue *aVal){
  EvalOut *o = pArg;
  int k;
  switch( o->eKind ){
    case 'A':
      o->nRow++;
      return 1;                          /* one answer is enough */
    case 'L': {
      const PlValue *v = &aVal[2];
      if( v->bWild ){ o->bStar = 1; return 1; }
      sqlite3_str_appendchar(o->s, 1, o->nRow++ ? ',' : '[');
      if( v->iType==PL_TYPE_INTEGER ) sqlite3_str_appendf(o->s, "%lld", (long long)v->i);
      else json_text(o->s, v->z, v->n);
      return 0;
    }
    case 'T':
      if( aVal[1].bWild ) return 0;      /* concrete actions only (15.2) */
      sqlite3_str_appendchar(o->s, 1, o->nRow++ ? ',' : '[');
      json_value(o->s, o->p, &aVal[1]);
      return 0;
    default:
      sqlite3_str_appendchar(o->s, 1, o->nRow++ ? ',' : '[');
      for(k=0; k<nArg; k++){
        sqlite3_str_appendchar(o->s, 1, k ? ',' : '[');
        json_value(o->s, o->p, &aVal[k]);
      }
      sqlite3_str_appendchar(o->s, 1, ']');
      return 0;
  }
}

static void polarEvalFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  const char *zKind = argc>0 ? (const char*)sqlite3_value_text(argv[0]) : 0;
  const char *zCtx = 0, *zPred = "allow";
  PlEvalArg aArg[PL_MAX_ARGS];
  PlEvalFact *aCtx = 0;
  PlCtx ctxFacts;
  PlEvalEnv env;
  PlEval *pEval = 0;
  EvalOut o;
  char *zErr = 0;
  int rc, nArg = 3, nCtx = 0, nFixed, iCtx;
  memset(&o, 0, sizeof(o));
  if( zKind==0 ) zKind = "";
  o.eKind = strcmp(zKind, "authorize")==0 ? 'A' : strcmp(zKind, "list")==0 ? 'L'
          : strcmp(zKind, "actions")==0 ? 'T' : strcmp(zKind, "query")==0 ? 'Q'
          : strcmp(zKind, "query_context")==0 ? 'C' : 0;
  /* the checks' own arities, a context last; a query's arity is its
  ** argument count, so its context comes first under its own kind */
  nFixed = o.eKind=='A' || o.eKind=='L' ? 4 : o.eKind=='T' ? 3 : 0;
  if( (nFixed && argc!=nFixed && argc!=nFixed+1)
   || (o.eKind=='Q' && (argc<3 || argc>2+PL_MAX_ARGS))
   || (o.eKind=='C' && (argc<4 || argc>3+PL_MAX_ARGS))
   || o.eKind==0 ){
    sqlite3_result_error(ctx, "polar_eval: use ('authorize', actor, action, resource "
        "[, context]), ('list', actor, action, type [, context]), ('actions', actor, "
        "resource [, context]), ('query', predicate, a1 ... a5) or ('query_context', "
        "context, predicate, a1 ... a5)", -1);
    return;
  }
  iCtx = nFixed && argc==nFixed+1 ? nFixed : o.eKind=='C' ? 1 : 0;
  if( iCtx && sqlite3_value_type(argv[iCtx])!=SQLITE_NULL ){
    zCtx = (const char*)sqlite3_value_text(argv[iCtx]);
    nCtx = sqlite3_value_bytes(argv[iCtx]);
  }
  if( o.eKind=='C' ){
    o.eKind = 'Q';
    argv++;
    argc--;
  }
  rc = env_open(c, "polar_eval", zCtx, nCtx, &env, &ctxFacts, &aCtx, &zErr);
  if( rc==SQLITE_OK ){
    o.p = env.pPol;
    if( o.eKind=='A' ){
      rc = goal_check(c, &argv[1], zCtx!=0, aArg, &zErr);
    }else{
      rc = goal_query(c, o.eKind=='L' ? PL_Q_LIST : o.eKind=='T' ? PL_Q_ACTIONS : PL_Q_QUERY,
                      nFixed ? nFixed-1 : argc-1, &argv[1], zCtx!=0, aArg, &zPred,
                      &nArg, &zErr);
    }
  }
  if( rc==SQLITE_OK ) rc = pl_eval_new(&env, 0, &pEval);
  if( rc==SQLITE_OK ){
    o.s = sqlite3_str_new(0);
    rc = pl_eval_rows(pEval, zPred, nArg, aArg, eval_row, &o, &zErr);
  }
  pl_eval_free(pEval);
  env_close(&ctxFacts, aCtx);
  if( rc!=SQLITE_OK ){
    sqlite3_free(sqlite3_str_finish(o.s));
    pl_result_error(ctx, rc, zErr);
    return;
  }
  if( o.eKind=='A' ){
    sqlite3_free(sqlite3_str_finish(o.s));
    sqlite3_result_int(ctx, o.nRow>0);
    return;
  }
  if( o.bStar ){
    sqlite3_free(sqlite3_str_finish(o.s));
    sqlite3_result_text(ctx, "[\"*\"]", -1, SQLITE_STATIC);
    return;
  }
  sqlite3_str_appendall(o.s, o.nRow ? "]" : "[]");
  rc = sqlite3_str_errcode(o.s);
  if( rc!=SQLITE_OK ){
    sqlite3_free(sqlite3_str_finish(o.s));
    pl_result_error(ctx, rc, 0);
    return;
  }
  sqlite3_result_text(ctx, sqlite3_str_finish(o.s), -1, sqlite3_free);
}

/*----------------------------------------------------- polar_explain ---*/

enum { X_DEPTH = 0, X_HOLDS, X_TEXT, X_AT, X_KIND, X_RULE, X_NOUT,
       X_ACTOR = X_NOUT, X_ACTION, X_RESOURCE, X_CONTEXT };

typedef struct XVtab { sqlite3_vtab base; PlConn *c; } XVtab;
typedef struct XCursor {
  sqlite3_vtab_cursor base;
  PlExplain ex;
  int iRow;
} XCursor;

static int xConnect(sqlite3 *db, void *pAux, int argc, const char *const*argv,
                    sqlite3_vtab **ppVtab, char **pzErr){
  /* reads only, bounded by the limits: see the flags in ext.c */
  int rc = pl_vtab_new(db, "CREATE TABLE x(depth, holds, text, at, kind, rule, "
      "actor HIDDEN, action HIDDEN, resource HIDDEN, context HIDDEN)", sizeof(XVtab),
      SQLITE_VTAB_INNOCUOUS, ppVtab);
  (void)argc; (void)argv; (void)pzErr;
  if( rc==SQLITE_OK ) ((XVtab*)*ppVtab)->c = pAux;
  return rc;
}

/* idxNum: bit i set when argument i (actor, action, resource, context) is
** bound by equality; the first three are required. */
static int xBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *p){
  int aIdx[4] = { -1, -1, -1, -1 }, i, n = 0, mask = 0;
  for(i=0; i<p->nConstraint; i++){
    int iCol = p->aConstraint[i].iColumn - X_NOUT;
    if( iCol<0 || p->aConstraint[i].op!=SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( !p->aConstraint[i].usable ) return SQLITE_CONSTRAINT;
    aIdx[iCol] = i;
  }
  for(i=0; i<4; i++){
    if( aIdx[i]<0 ) continue;
    mask |= 1<<i;
    p->aConstraintUsage[aIdx[i]].argvIndex = ++n;
    p->aConstraintUsage[aIdx[i]].omit = 1;
  }
  /* missing arguments: a plan all the same, so that xFilter can say so
  ** (SQLITE_CONSTRAINT here would read "no query solution") */
  (void)pVtab;
  p->idxNum = mask;
  p->estimatedCost = 1000;
  p->estimatedRows = 100;
  return SQLITE_OK;
}

static int xOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  XCursor *c = sqlite3_malloc64(sizeof(*c));
  (void)pVtab;
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *ppCur = &c->base;
  return SQLITE_OK;
}

static int xClose(sqlite3_vtab_cursor *cur){
  pl_explain_clear(&((XCursor*)cur)->ex);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int xFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                   int argc, sqlite3_value **argv){
  XCursor *xc = (XCursor*)cur;
  XVtab *v = (XVtab*)cur->pVtab;
  PlConn *c = v->c;
  PlEvalArg aArg[3];
  PlValue aGoal[3];
  PlEvalFact *aCtx = 0;
  PlCtx ctxFacts;
  PlEvalEnv env;
  const char *zCtx = 0;
  char *zErr = 0;
  int rc, nCtx = 0, i;
  (void)idxStr;
  pl_explain_clear(&xc->ex);
  xc->iRow = 0;
  if( (idxNum & 7)!=7 ){
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg = sqlite3_mprintf("polar_explain(actor, action, resource [, context]) "
                                      "needs at least 3 arguments");
    return SQLITE_ERROR;
  }
  if( argc>3 && (idxNum & 8) && sqlite3_value_type(argv[3])!=SQLITE_NULL ){
    zCtx = (const char*)sqlite3_value_text(argv[3]);
    nCtx = sqlite3_value_bytes(argv[3]);
  }
  rc = env_open(c, "polar_explain", zCtx, nCtx, &env, &ctxFacts, &aCtx, &zErr);
  if( rc==SQLITE_OK ) rc = goal_check(c, argv, zCtx!=0, aArg, &zErr);
  for(i=0; i<3; i++) aGoal[i] = aArg[i].v;
  if( rc==SQLITE_OK ) rc = pl_explain(&env, "allow", 3, aGoal, &xc->ex, &zErr);
  env_close(&ctxFacts, aCtx);
  if( rc!=SQLITE_OK ){
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg = zErr ? zErr : sqlite3_mprintf("%s", sqlite3_errstr(rc));
    return rc==SQLITE_NOMEM ? rc : SQLITE_ERROR;
  }
  return SQLITE_OK;
}

static int xNext(sqlite3_vtab_cursor *cur){
  ((XCursor*)cur)->iRow++;
  return SQLITE_OK;
}

static int xEof(sqlite3_vtab_cursor *cur){
  XCursor *c = (XCursor*)cur;
  return c->iRow >= c->ex.nRow;
}

static int xColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  XCursor *c = (XCursor*)cur;
  const PlExplainRow *r = &c->ex.aRow[c->iRow];
  switch( i ){
    case X_DEPTH: sqlite3_result_int(ctx, r->iDepth); break;
    case X_HOLDS: if( r->eHolds>=0 ) sqlite3_result_int(ctx, r->eHolds); break;
    case X_TEXT:  sqlite3_result_text(ctx, r->zText, -1, SQLITE_TRANSIENT); break;
    case X_AT:    if( r->zAt ) sqlite3_result_text(ctx, r->zAt, -1, SQLITE_TRANSIENT); break;
    case X_KIND:  sqlite3_result_text(ctx, r->zKind, -1, SQLITE_STATIC); break;
    case X_RULE:  if( r->zRule ) sqlite3_result_text(ctx, r->zRule, -1, SQLITE_TRANSIENT); break;
    default: break;                      /* hidden arguments read back as NULL */
  }
  return SQLITE_OK;
}

static int xRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  *pRowid = ((XCursor*)cur)->iRow;
  return SQLITE_OK;
}

static sqlite3_module xModule = {
  0, 0, xConnect, xBestIndex, pl_vtab_free, 0, xOpen, xClose, xFilter, xNext,
  xEof, xColumn, xRowid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

int pl_explain_register(sqlite3 *db, PlConn *c){
  int rc = sqlite3_create_module_v2(db, "polar_explain", &xModule, c, 0);
  if( rc==SQLITE_OK ){
    rc = sqlite3_create_function(db, "polar_eval", -1, SQLITE_UTF8|SQLITE_INNOCUOUS,
                                 c, polarEvalFunc, 0, 0);
  }
  return rc;
}
