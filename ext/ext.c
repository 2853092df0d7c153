/*
** ext.c — the extension entry point, per-connection state, and the scalar
** SQL functions: polar_load, polar_policy, authorize, polar_insert,
** polar_delete, polar_batch, polar_sql, polar_now.
**
**   .load ./polarlite
**   SELECT polar_load(readfile('gitclub.polar'), 'gitclub.polar');
**   SELECT polar_insert('has_role', 'User:alice', 'member', 'Organization:acme');
**   SELECT authorize('User:alice', 'read', 'Repository:anvil');
**
** Policy freshness: every compiled check carries a guard comparing the
** stored policy version with the one it was compiled for, evaluated inside
** the same statement (so inside the same read transaction as the facts it
** reads). When it differs the connection reloads the policy and runs the
** check again. So a policy committed by any connection is seen by the next
** statement, and a check never mixes two policies.
*/
#include "pl_ext.h"
#include <string.h>
#include <time.h>

SQLITE_EXTENSION_INIT1

sqlite3 *pl_conn_db(PlConn *c){ return c->db; }
PlStmtCache *pl_conn_cache(PlConn *c){ return c->pCache; }

static void conn_set_policy(PlConn *c, PlPolicy *pPol, int iVersion){
  pl_cache_clear(c->pCache);
  pl_policy_free(c->pPol);
  c->pPol = pPol;
  c->iVersion = iVersion;
  /* the action position is String-only when every allow/3 rule says so:
  ** then 'User:x' as an action is the string "User:x" */
  if( pPol ){
    int iAllow = pl_policy_find_pred(pPol, "allow", 3);
    c->actionTs = pPol->all;
    if( iAllow>=0 ){
      PlTypeSet h = pPol->aPred[iAllow].aHeadTs[1];
      if( pl_ts_count(&h)==1 && pl_ts_has(&h, PL_TYPE_STRING) ) c->actionTs = h;
    }
  }
}

/* Version of the policy stored in the database (0: none, or no schema). */
static int stored_version(PlConn *c, int *piVersion, char **pzErr){
  sqlite3_stmt *pStmt = 0;
  int rc;
  *piVersion = 0;
  rc = sqlite3_prepare_v2(c->db,
      "SELECT value FROM main.polar_meta WHERE key='policy_version'", -1, &pStmt, 0);
  if( rc!=SQLITE_OK ){
    sqlite3_finalize(pStmt);
    if( rc==SQLITE_NOMEM ) return rc;
    return SQLITE_OK;             /* no polarlite schema yet */
  }
  if( sqlite3_step(pStmt)==SQLITE_ROW ) *piVersion = sqlite3_column_int(pStmt, 0);
  rc = sqlite3_finalize(pStmt);
  if( rc!=SQLITE_OK ) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(c->db));
  return rc;
}

static int load_stored_policy(PlConn *c, int iVersion, char **pzErr){
  sqlite3_stmt *pStmt = 0;
  PlPolicy *pPol = 0;
  int rc = sqlite3_prepare_v2(c->db,
      "SELECT src, filename FROM main.polar_policy WHERE version=?", -1, &pStmt, 0);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(c->db));
    return rc;
  }
  sqlite3_bind_int(pStmt, 1, iVersion);
  if( sqlite3_step(pStmt)==SQLITE_ROW ){
    rc = pl_policy_new((const char*)sqlite3_column_text(pStmt, 0),
                       sqlite3_column_bytes(pStmt, 0),
                       (const char*)sqlite3_column_text(pStmt, 1), &c->lim, &pPol, pzErr);
    if( rc==SQLITE_OK ) rc = pl_bind_attach(c->db, pPol, pzErr);
    if( rc!=SQLITE_OK ){ pl_policy_free(pPol); pPol = 0; }
  }else{
    *pzErr = sqlite3_mprintf("policy version %d is missing from polar_policy", iVersion);
    rc = SQLITE_CORRUPT;
  }
  sqlite3_finalize(pStmt);
  if( rc==SQLITE_OK ) conn_set_policy(c, pPol, iVersion);
  return rc;
}

int pl_conn_refresh(PlConn *c, int bForce, char **pzErr){
  int iVersion, rc;
  sqlite3_uint64 dv = 0;
  sqlite3_file_control(c->db, "main", SQLITE_FCNTL_DATA_VERSION, &dv);
  /* with no policy yet, look again every time: another connection may have
  ** loaded one without the data version telling this one */
  if( !bForce && c->bChecked && c->pPol && dv==c->dataVersion ) return SQLITE_OK;
  rc = stored_version(c, &iVersion, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  c->dataVersion = dv;
  c->bChecked = 1;
  if( iVersion==c->iVersion && (c->pPol || iVersion==0) ) return SQLITE_OK;
  if( iVersion==0 ){ conn_set_policy(c, 0, 0); return SQLITE_OK; }
  return load_stored_policy(c, iVersion, pzErr);
}

int pl_conn_policy(PlConn *c, const PlPolicy **ppPol, char **pzErr){
  int rc = pl_conn_refresh(c, 0, pzErr);
  *ppPol = c->pPol;
  return rc;
}

int pl_conn_require_policy(PlConn *c, const PlPolicy **ppPol, char **pzErr){
  int rc = pl_conn_policy(c, ppPol, pzErr);
  if( rc==SQLITE_OK && *ppPol==0 ){
    *pzErr = sqlite3_mprintf("no policy loaded: call polar_load(src) first");
    rc = SQLITE_ERROR;
  }
  return rc;
}

/* Report rc/zErr as the function's error and free zErr. */
void pl_result_error(sqlite3_context *ctx, int rc, char *zErr){
  if( rc==SQLITE_NOMEM ){
    sqlite3_result_error_nomem(ctx);
  }else{
    sqlite3_result_error(ctx, zErr ? zErr : sqlite3_errstr(rc), -1);
    if( rc!=SQLITE_ERROR ) sqlite3_result_error_code(ctx, rc);
  }
  sqlite3_free(zErr);
}

/*------------------------------------------------------------- values --*/

/* Bind the storage encoding of v without allocating: the text is built in
** one of the connection's scratch buffers, which outlive the statement's
** execution (SQLITE_STATIC). */
int pl_conn_bind(PlConn *c, sqlite3_stmt *pStmt, int iParam, int iBuf,
                 const PlValue *v){
  const char *zType;
  size_t nType;
  char *z = c->aScratch[iBuf];
  if( v->iType==PL_TYPE_INTEGER ) return sqlite3_bind_int64(pStmt, iParam, v->i);
  zType = pl_policy_type_name(c->pPol, v->iType);
  nType = strlen(zType);
  memcpy(z, zType, nType);
  z[nType] = ':';
  memcpy(z+nType+1, v->z, (size_t)v->n);
  return sqlite3_bind_text(pStmt, iParam, z, (int)nType+1+v->n, SQLITE_STATIC);
}

/* A value in user spelling that must be one concrete value. */
int pl_conn_value(PlConn *c, sqlite3_value *pArg, const PlTypeSet *pAllowed,
                  const char *zWhat, PlValue *pOut, char **pzErr){
  PlTypeSet all = c->pPol->all;
  return pl_value_from_sql(c->pPol, pArg, pAllowed ? pAllowed : &all, 0,
                           zWhat, pOut, pzErr);
}

/*--------------------------------------------------------- polar_load --*/

/* Validate, test and store a policy; make it the connection's current one.
** Nothing changes on error. */
int pl_conn_load(PlConn *c, const char *zSrc, int nSrc, const char *zFile,
                 int bRunTests, int *piVersion, char **pzErr){
  PlPolicy *pPol = 0;
  int rc, iVersion = 0;
  *piVersion = 0;
  rc = pl_policy_new(zSrc, nSrc, zFile, &c->lim, &pPol, pzErr);
  if( rc==SQLITE_OK && bRunTests ) rc = pl_tests_check(pPol, &c->lim, pzErr);
  if( rc==SQLITE_OK ) rc = pl_bind_attach(c->db, pPol, pzErr);
  if( rc!=SQLITE_OK ){ pl_policy_free(pPol); return rc; }
  rc = sqlite3_exec(c->db, "SAVEPOINT polar_load", 0, 0, 0);
  if( rc==SQLITE_OK ) rc = pl_store_init(c->db, pzErr);
  if( rc==SQLITE_OK ) rc = pl_store_ensure_tables(c->db, pPol, pzErr);
  if( rc==SQLITE_OK ){
    sqlite3_stmt *pStmt = 0;
    rc = sqlite3_prepare_v2(c->db,
        "INSERT INTO main.polar_policy(version, src, filename, loaded_at) "
        "SELECT coalesce(max(version),0)+1, ?1, ?2, unixepoch() FROM main.polar_policy "
        "RETURNING version", -1, &pStmt, 0);
    if( rc==SQLITE_OK ){
      int n;
      const char *z = pl_policy_src(pPol, &n);
      sqlite3_bind_text(pStmt, 1, z, n, SQLITE_STATIC);
      sqlite3_bind_text(pStmt, 2, pl_policy_file(pPol), -1, SQLITE_STATIC);
      if( sqlite3_step(pStmt)==SQLITE_ROW ) iVersion = sqlite3_column_int(pStmt, 0);
      rc = sqlite3_finalize(pStmt);
    }
    if( rc==SQLITE_OK ){
      char *zSql = sqlite3_mprintf(
          "UPDATE main.polar_meta SET value=%d WHERE key='policy_version'", iVersion);
      rc = zSql ? sqlite3_exec(c->db, zSql, 0, 0, 0) : SQLITE_NOMEM;
      sqlite3_free(zSql);
    }
    if( rc!=SQLITE_OK && *pzErr==0 ){
      *pzErr = sqlite3_mprintf("polar_load: %s", sqlite3_errmsg(c->db));
    }
  }
  if( rc==SQLITE_OK ){
    rc = sqlite3_exec(c->db, "RELEASE polar_load", 0, 0, 0);
  }else{
    sqlite3_exec(c->db, "ROLLBACK TO polar_load; RELEASE polar_load", 0, 0, 0);
  }
  if( rc!=SQLITE_OK ){
    pl_policy_free(pPol);
    return rc;
  }
  conn_set_policy(c, pPol, iVersion);
  c->bChecked = 0;
  *piVersion = iVersion;
  return SQLITE_OK;
}

static void polarLoadFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  char *zErr = 0;
  const char *zSrc = (const char*)sqlite3_value_text(argv[0]);
  const char *zFile = argc>1 ? (const char*)sqlite3_value_text(argv[1]) : 0;
  int rc, iVersion = 0;
  if( pl_refuse_unsafe_call(ctx, "polar_load") ) return;
  if( zSrc==0 ){
    sqlite3_result_error(ctx, "polar_load: the policy source is NULL", -1);
    return;
  }
  rc = pl_conn_load(c, zSrc, sqlite3_value_bytes(argv[0]), zFile, 1, &iVersion, &zErr);
  if( rc!=SQLITE_OK ){ pl_result_error(ctx, rc, zErr); return; }
  sqlite3_result_int(ctx, iVersion);
}

static void polarPolicyFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  const PlPolicy *pPol;
  char *zErr = 0;
  int rc = pl_conn_policy(c, &pPol, &zErr), n;
  const char *z;
  (void)argc; (void)argv;
  if( rc!=SQLITE_OK ){ pl_result_error(ctx, rc, zErr); return; }
  if( pPol==0 ){ sqlite3_result_null(ctx); return; }
  z = pl_policy_src(pPol, &n);
  sqlite3_result_text(ctx, z, n, SQLITE_TRANSIENT);
}

/*----------------------------------------------------------- authorize --*/

/* Prepare (or find) the compiled check for this call's shape, wrapped in
** the policy-version guard (-1 / no rows when the policy changed). */
int pl_check_stmt(PlConn *c, const char *zPred, int nArg, PlGoalArg *aGoal,
                      int bRows, int bContext, const char *zKey,
                      sqlite3_stmt **ppStmt, char **pzErr){
  char *zBody = 0, *zSql;
  int rc = pl_cache_get(c->pCache, zKey, 0, ppStmt, pzErr);
  if( rc!=SQLITE_OK || *ppStmt ) return rc;
  rc = pl_compile(c->pPol, &c->lim, zPred, nArg, aGoal, bRows, bContext, &zBody, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( bRows ){
    /* A LIMIT on the compound itself, not a WHERE on a wrapping subquery:
    ** SQLite evaluates it once, and the rows come straight out of the
    ** body instead of through a co-routine that copies every row (one
    ** allocation per row). The body never has its own LIMIT (compile.c). */
    zSql = sqlite3_mprintf("%s LIMIT CASE WHEN (SELECT value FROM main.polar_meta "
                           "WHERE key='policy_version')=%d THEN -1 ELSE 0 END",
                           zBody, c->iVersion);
  }else{
    zSql = sqlite3_mprintf("SELECT CASE WHEN (SELECT value FROM main.polar_meta "
                           "WHERE key='policy_version')=%d THEN (%s) ELSE -1 END",
                           c->iVersion, zBody);
  }
  sqlite3_free(zBody);
  if( zSql==0 ) return SQLITE_NOMEM;
  rc = pl_cache_get(c->pCache, zKey, zSql, ppStmt, pzErr);
  sqlite3_free(zSql);
  return rc;
}

/* The goal argument for a bound value; Strings that the policy itself
** spells are known at compile time, which lets the compiler drop every
** rule for another action. */
void pl_goal_param(PlConn *c, PlGoalArg *g, const PlValue *v, int iParam){
  memset(g, 0, sizeof(*g));
  g->eKind = PL_GA_PARAM;
  g->iType = v->iType;
  g->iParam = iParam;
  if( v->iType==PL_TYPE_STRING && pl_policy_find_str(c->pPol, v->z, v->n)>=0 ){
    g->zKnown = v->z;
    g->nKnown = v->n;
  }
}

/* Write v in decimal at z[i..]; returns the new end. Cache keys are built
** on every authorize call: sqlite3_snprintf cost ~440 instructions each. */
static int key_int(char *z, int i, int v){
  char a[12];
  int n = 0;
  unsigned u = v<0 ? 0u-(unsigned)v : (unsigned)v;
  if( v<0 ) z[i++] = '-';
  do{ a[n++] = (char)('0' + u%10); u /= 10; }while( u );
  while( n ) z[i++] = a[--n];
  return i;
}

/* Append the goal shape to a cache key in z[*pi..nz). Returns 0 if it
** does not fit. */
int pl_goal_key(char *z, int nz, int *pi, const PlConn *c, const PlGoalArg *g){
  int i = *pi;
  if( nz-i < 8+PL_MAX_TYPES/64*18 ) return 0;
  if( g->eKind==PL_GA_OPEN ){
    int w;
    z[i++] = '|'; z[i++] = 'o';
    for(w=0; w<PL_MAX_TYPES/64; w++){
      sqlite3_snprintf(nz-i, z+i, "%llx.", (unsigned long long)g->ts.w[w]);
      i += (int)strlen(z+i);
    }
  }else if( g->zKnown ){
    z[i++] = '|'; z[i++] = 'k';
    i = key_int(z, i, pl_policy_find_str(c->pPol, g->zKnown, g->nKnown));
  }else{
    z[i++] = '|'; z[i++] = 't';
    i = key_int(z, i, g->iType);
  }
  z[i] = 0;
  *pi = i;
  return 1;
}

static int authorize_run(PlConn *c, sqlite3_value **argv, const char *zCtx, int nCtx,
                         int *pbAllowed, char **pzSql, char **pzErr){
  PlValue aVal[3];
  PlGoalArg aGoal[3];
  PlBudget b;
  sqlite3_stmt *pStmt = 0;
  const PlPolicy *pPol;
  char zKey[4 + 3*(8+PL_MAX_TYPES/64*18)];
  int rc, i, nTry, nKey;
  static const char *azWhat[] = { "actor", "action", "resource" };
  memset(&b, 0, sizeof(b));
  for(nTry=0; nTry<2; nTry++){
    rc = nTry ? pl_conn_refresh(c, 1, pzErr) : pl_conn_require_policy(c, &pPol, pzErr);
    if( rc!=SQLITE_OK ) return rc;
    if( c->pPol==0 ) return pl_conn_require_policy(c, &pPol, pzErr);
    for(i=0; i<3; i++){
      rc = pl_conn_value(c, argv[i], i==1 ? &c->actionTs : 0, azWhat[i], &aVal[i], pzErr);
      if( rc!=SQLITE_OK ) return rc;
      pl_goal_param(c, &aGoal[i], &aVal[i], i+1);
    }
    /* all three are parameters: the key is "A<ctx>|k<str>|t<type>..." */
    zKey[0] = 'A'; zKey[1] = zCtx ? '1' : '0'; zKey[2] = 0; nKey = 2;
    for(i=0; i<3; i++){
      if( !pl_goal_key(zKey, (int)sizeof(zKey), &nKey, c, &aGoal[i]) ) return SQLITE_INTERNAL;
    }
    if( pzSql ){
      return pl_compile(c->pPol, &c->lim, "allow", 3, aGoal, 0, zCtx!=0, pzSql, pzErr);
    }
    rc = pl_check_stmt(c, "allow", 3, aGoal, 0, zCtx!=0, zKey, &pStmt, pzErr);
    if( rc!=SQLITE_OK ) return rc;
    if( sqlite3_stmt_busy(pStmt) ){
      /* re-entered while this very check runs (a bound SELECT calling
      ** authorize): its statement and bound values are in use */
      *pzErr = sqlite3_mprintf("authorize: called from inside an authorize() "
                               "check of the same shape (a bound SELECT?)");
      return SQLITE_ERROR;
    }
    for(i=0; i<3; i++){
      if( i<sqlite3_bind_parameter_count(pStmt) ) pl_conn_bind(c, pStmt, i+1, i, &aVal[i]);
    }
    if( zCtx ){
      rc = pl_context_set(c, zCtx, nCtx, pzErr);
      if( rc!=SQLITE_OK ){ sqlite3_reset(pStmt); return rc; }
    }
    rc = pl_budget_step(c, &b, pStmt, "authorize", pzErr);
    if( rc==SQLITE_ROW ){
      *pbAllowed = sqlite3_column_int(pStmt, 0);
      rc = SQLITE_OK;
    }else if( *pzErr==0 ){
      *pzErr = sqlite3_mprintf("authorize: %s", sqlite3_errmsg(c->db));
    }
    sqlite3_reset(pStmt);
    if( zCtx ) pl_context_clear(c);
    if( rc!=SQLITE_OK ) return rc;
    if( *pbAllowed>=0 ) return SQLITE_OK;
  }
  *pzErr = sqlite3_mprintf("authorize: the policy keeps changing; try again");
  return SQLITE_BUSY;
}

static void authorizeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  char *zErr = 0;
  const char *zCtx = 0;
  int nCtx = 0, bAllowed = 0, rc;
  if( argc>3 && sqlite3_value_type(argv[3])!=SQLITE_NULL ){
    zCtx = (const char*)sqlite3_value_text(argv[3]);
    nCtx = sqlite3_value_bytes(argv[3]);
  }
  rc = authorize_run(c, argv, zCtx, nCtx, &bAllowed, 0, &zErr);
  if( rc!=SQLITE_OK ){ pl_result_error(ctx, rc, zErr); return; }
  sqlite3_result_int(ctx, bAllowed);
}

/*------------------------------------------------------------- writes --*/

/* SQLITE_DIRECTONLY keeps writers out of views and triggers, but SQLite
** (3.40) still evaluates them in a CHECK constraint that a schema's author
** wrote, while an INSERT or UPDATE runs. A writer called from top-level SQL
** runs inside a read-only statement (SELECT polar_insert(...)); so refuse
** when any statement of the connection that writes is mid-run. Returns 1
** (and sets the error) when the call must not go on. */
int pl_refuse_unsafe_call(sqlite3_context *ctx, const char *zFunc){
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  sqlite3_stmt *p;
  for(p=sqlite3_next_stmt(db, 0); p; p=sqlite3_next_stmt(db, p)){
    if( sqlite3_stmt_busy(p) && !sqlite3_stmt_readonly(p) ){
      char *z = sqlite3_mprintf("unsafe use of %s(): called while a statement that "
                                "writes is running (a CHECK constraint?); call it from "
                                "a top-level SELECT", zFunc);
      pl_result_error(ctx, z ? SQLITE_ERROR : SQLITE_NOMEM, z);
      return 1;
    }
  }
  return 0;
}

/* Read pred + args of polar_insert/polar_delete. */
static int write_args(PlConn *c, int argc, sqlite3_value **argv, int bPattern,
                      const char **pzPred, PlValue *aVal, int *pnArg, char **pzErr){
  const PlPolicy *pPol;
  int rc, i;
  if( argc<1 ){
    *pzErr = sqlite3_mprintf("give the predicate name and its 1 to %d arguments", PL_MAX_ARGS);
    return SQLITE_ERROR;
  }
  rc = pl_conn_require_policy(c, &pPol, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  *pzPred = (const char*)sqlite3_value_text(argv[0]);
  *pnArg = argc-1;
  if( *pzPred==0 ){
    *pzErr = sqlite3_mprintf("the predicate name is NULL");
    return SQLITE_ERROR;
  }
  if( *pnArg<1 || *pnArg>PL_MAX_ARGS ){
    *pzErr = sqlite3_mprintf("'%s' with %d arguments: facts have 1 to %d arguments",
                             *pzPred, *pnArg, PL_MAX_ARGS);
    return SQLITE_ERROR;
  }
  rc = pl_store_check_pred(pPol, *pzPred, *pnArg, pzErr);
  for(i=0; rc==SQLITE_OK && i<*pnArg; i++){
    PlTypeSet ts = pl_policy_arg_types(pPol, *pzPred, *pnArg, i);
    char zWhat[32];
    sqlite3_snprintf(sizeof(zWhat), zWhat, "argument %d", i+1);
    rc = pl_value_from_sql(pPol, argv[i+1], &ts, bPattern, zWhat, &aVal[i], pzErr);
  }
  return rc;
}

static void polarInsertFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  PlValue aVal[PL_MAX_ARGS];
  const char *zPred;
  char *zErr = 0;
  int nArg, bNew = 0, rc;
  if( pl_refuse_unsafe_call(ctx, "polar_insert") ) return;
  rc = write_args(c, argc, argv, 0, &zPred, aVal, &nArg, &zErr);
  if( rc==SQLITE_OK ) rc = pl_store_insert(c->db, c->pCache, c->pPol, zPred, nArg, aVal, &bNew, &zErr);
  if( rc!=SQLITE_OK ){ pl_result_error(ctx, rc, zErr); return; }
  sqlite3_result_int(ctx, bNew);
}

static void polarDeleteFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  PlValue aVal[PL_MAX_ARGS];
  const char *zPred;
  char *zErr = 0;
  int nArg, nDel = 0, rc;
  if( pl_refuse_unsafe_call(ctx, "polar_delete") ) return;
  rc = write_args(c, argc, argv, 1, &zPred, aVal, &nArg, &zErr);
  if( rc==SQLITE_OK ) rc = pl_store_delete(c->db, c->pCache, c->pPol, zPred, nArg, aVal, &nDel, &zErr);
  if( rc!=SQLITE_OK ){ pl_result_error(ctx, rc, zErr); return; }
  sqlite3_result_int(ctx, nDel);
}

static void polarBatchFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  const PlPolicy *pPol;
  char *zErr = 0;
  int nChanged = 0, rc;
  const char *zJson = (const char*)sqlite3_value_text(argv[0]);
  (void)argc;
  if( pl_refuse_unsafe_call(ctx, "polar_batch") ) return;
  rc = pl_conn_require_policy(c, &pPol, &zErr);
  if( rc==SQLITE_OK && zJson==0 ){
    zErr = sqlite3_mprintf("polar_batch: the JSON body is NULL");
    rc = SQLITE_ERROR;
  }
  if( rc==SQLITE_OK ){
    rc = pl_store_batch(c->db, c->pCache, pPol, zJson, sqlite3_value_bytes(argv[0]),
                        &nChanged, &zErr);
  }
  if( rc!=SQLITE_OK ){ pl_result_error(ctx, rc, zErr); return; }
  sqlite3_result_int(ctx, nChanged);
}

/*------------------------------------------------------ explainability --*/

/* polar_sql('authorize', actor, action, resource) and
** polar_sql('query', predicate, a1...) return the compiled SQL. */
static void polarSqlFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  const char *zKind = argc>0 ? (const char*)sqlite3_value_text(argv[0]) : 0;
  char *zErr = 0, *zSql = 0;
  int rc, b = 0;
  if( zKind && strcmp(zKind, "authorize")==0 && argc==4 ){
    rc = authorize_run(c, &argv[1], 0, 0, &b, &zSql, &zErr);
  }else if( zKind && (strcmp(zKind, "list")==0 || strcmp(zKind, "actions")==0
                      || strcmp(zKind, "query")==0) ){
    rc = pl_query_sql(c, zKind, argc-1, &argv[1], &zSql, &zErr);
  }else{
    zErr = sqlite3_mprintf("polar_sql: kind must be 'authorize' (actor, action, resource), "
                           "'list' (actor, action, type), 'actions' (actor, resource) or "
                           "'query' (predicate, args...)");
    rc = SQLITE_ERROR;
  }
  if( rc!=SQLITE_OK ){ pl_result_error(ctx, rc, zErr); return; }
  sqlite3_result_text(ctx, zSql, -1, sqlite3_free);
}

/*-------------------------------------------------------------- time ----*/

sqlite3_int64 pl_conn_now(PlConn *c){
  return c->bPinned ? c->iNow : (sqlite3_int64)time(0);
}

/* polar_now() is @current_unix_time; polar_now(N) pins it for this
** connection (polar_now(NULL) unpins), for repeatable tests. */
static void polarNowFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  if( argc==1 && pl_refuse_unsafe_call(ctx, "polar_now") ) return;
  if( argc==1 ){
    if( sqlite3_value_type(argv[0])==SQLITE_NULL ){
      c->bPinned = 0;
    }else if( sqlite3_value_type(argv[0])==SQLITE_INTEGER ){
      c->bPinned = 1;
      c->iNow = sqlite3_value_int64(argv[0]);
    }else{
      sqlite3_result_error(ctx, "polar_now: pin the time with an integer (unix seconds) or NULL", -1);
      return;
    }
  }
  sqlite3_result_int64(ctx, pl_conn_now(c));
}

/*-------------------------------------------------------- registration --*/

static void conn_free(void *p){
  PlConn *c = p;
  pl_cache_free(c->pCache);
  pl_policy_free(c->pPol);
  pl_context_clear(c);
  sqlite3_free(c);
}

/* polar_wait sleeps: only the application may make a statement wait, so
** it is DIRECTONLY and, like the writers, refused inside a statement that
** writes (a CHECK constraint somebody else wrote). */
static void polarWaitFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  if( pl_refuse_unsafe_call(ctx, "polar_wait") ) return;
  pl_wait_func(ctx, argc, argv);
}

/* Flags are security decisions. A database file can come from somebody
** else, and its views, triggers and CHECK constraints run with the rights
** of whoever opens it.
**
**   DIRECTONLY  everything that writes policy or facts (polar_load,
**               polar_insert, polar_delete, polar_batch, polar_bind, the
**               polar_facts table: SQLITE_VTAB_DIRECTONLY in vtab_facts.c),
**               that changes the connection (polar_now(N), polar_limit(name,
**               N): a view must not lift the step budget), or that makes the
**               caller wait (polar_wait). Only SQL the application runs
**               itself can call them; pl_refuse_unsafe_call also refuses
**               them in CHECK constraints, which SQLite 3.40 still allows.
**   INNOCUOUS   the checks (authorize; polar_list, polar_actions,
**               polar_query: SQLITE_VTAB_INNOCUOUS in vtab_query.c; the
**               evaluator's polar_explain and polar_eval, vtab_explain.c) and the
**               pure readers of connection state (polar_now(), polar_limit
**               (name); polar_status in status.c; polar_context, the
**               current check's context facts). They write nothing; they
**               read only polarlite's tables and the tables polar_bind
**               bindings name, all in the main database (bind.c refuses a
**               binding that reads a temp or attached table), so nothing
**               the file's author does not already have; and their work
**               is bounded by the limits (limits.c). So a view may call
**               them even with PRAGMA trusted_schema=OFF: an application
**               can put `WHERE authorize(...)` in a view.
**   default     readers with no place in a schema: polar_policy, polar_sql
**               (explainability), polar_test (runs every test of the
**               policy), polar_unread (scans every fact table). Views may
**               call them only while trusted_schema is on.
**   DETERMINISTIC  none: every answer depends on stored facts, the policy
**               or the clock, which change between statements, so SQLite
**               must not put a check in an index or a generated column, or
**               reuse one answer across statements. */
#define PL_WRITE (SQLITE_UTF8|SQLITE_DIRECTONLY)
#define PL_READ  (SQLITE_UTF8)
#define PL_SAFE  (SQLITE_UTF8|SQLITE_INNOCUOUS)
static const struct {
  const char *zName; int nArg; int flags;
  void (*xFunc)(sqlite3_context*, int, sqlite3_value**);
} aFunc[] = {
  { "polar_load",    1, PL_WRITE, polarLoadFunc },
  { "polar_load",    2, PL_WRITE, polarLoadFunc },
  { "authorize",     3, PL_SAFE,  authorizeFunc },
  { "authorize",     4, PL_SAFE,  authorizeFunc },
  { "polar_insert", -1, PL_WRITE, polarInsertFunc },
  { "polar_delete", -1, PL_WRITE, polarDeleteFunc },
  { "polar_batch",   1, PL_WRITE, polarBatchFunc },
  { "polar_sql",    -1, PL_READ,  polarSqlFunc },
  { "polar_now",     0, PL_SAFE,  polarNowFunc },
  { "polar_now",     1, PL_WRITE, polarNowFunc },
  { "polar_wait",    2, PL_WRITE, polarWaitFunc },
  { "polar_bind",    2, PL_WRITE, pl_bind_func },
  { "polar_limit",   1, PL_SAFE,  pl_limit_func },
  { "polar_limit",   2, PL_WRITE, pl_limit_func },
};

int pl_conn_open(sqlite3 *db, PlConn **ppConn, char **pzErrMsg){
  PlConn *c;
  int rc = SQLITE_OK;
  size_t i;
  *ppConn = 0;
  c = sqlite3_malloc64(sizeof(*c));
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  c->db = db;
  pl_limits_init(&c->lim);
  c->pCache = pl_cache_new(db);
  if( c->pCache==0 ){ sqlite3_free(c); return SQLITE_NOMEM; }
  /* this registration owns c: SQLite calls conn_free when the connection
  ** closes (or at once if registration fails). polar_policy/0 must not be
  ** registered again, or the destructor would run. */
  rc = sqlite3_create_function_v2(db, "polar_policy", 0, PL_READ, c,
                                  polarPolicyFunc, 0, 0, conn_free);
  for(i=0; rc==SQLITE_OK && i<sizeof(aFunc)/sizeof(aFunc[0]); i++){
    rc = sqlite3_create_function(db, aFunc[i].zName, aFunc[i].nArg, aFunc[i].flags,
                                 c, aFunc[i].xFunc, 0, 0);
    if( rc!=SQLITE_OK && pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("polarlite: cannot register %s: %s",
                                  aFunc[i].zName, sqlite3_errmsg(db));
    }
  }
  if( rc==SQLITE_OK ) rc = pl_modules_register(db, c, pzErrMsg);
  if( rc==SQLITE_OK ) rc = pl_unread_register(db, c);
  if( rc==SQLITE_OK ) pl_budget_install(c);
  if( rc==SQLITE_OK ) *ppConn = c;
  return rc;
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_polarlite_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi){
  PlConn *c;
  SQLITE_EXTENSION_INIT2(pApi);
  return pl_conn_open(db, &c, pzErrMsg);
}
