/*
** funcs.c — the scalar SQL functions: polar_load, polar_policy, authorize,
** polar_insert, polar_delete, polar_batch, polar_bind, polar_sql,
** polar_now, polar_wait, polar_limit (budget.c), and their flags.
**
**   .load ./polarlite
**   SELECT polar_load(readfile('gitclub.polar'), 'gitclub.polar');
**   SELECT polar_insert('has_role', 'User:alice', 'member', 'Organization:acme');
**   SELECT authorize('User:alice', 'read', 'Repository:anvil');
*/
#include "pl_int.h"
#include <string.h>

static void polarLoadFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  char *zErr = 0;
  const char *zSrc = (const char*)sqlite3_value_text(argv[0]);
  const char *zFile = argc>1 ? (const char*)sqlite3_value_text(argv[1]) : 0;
  int rc, iVersion = 0;
  if( pl_refuse_unsafe_call(ctx, "polar_load") ) return;
  if( zSrc==0 ){
    /* usually readfile('p.polar') of a file it could not read */
    sqlite3_result_error(ctx, "polar_load: the policy source is NULL. If it comes from "
                         "readfile('FILE'), FILE could not be read: check the path (relative "
                         "to the directory the program runs in) and that the file is "
                         "readable", -1);
    return;
  }
  rc = pl_conn_load(c, zSrc, sqlite3_value_bytes(argv[0]), zFile, pl_tests_check,
                    &iVersion, &zErr);
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

static void authorizeFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  char *zErr = 0;
  const char *zCtx = 0;
  int nCtx = 0, bAllowed = 0, rc;
  if( argc>3 && sqlite3_value_type(argv[3])!=SQLITE_NULL ){
    zCtx = (const char*)sqlite3_value_text(argv[3]);
    nCtx = sqlite3_value_bytes(argv[3]);
  }
  rc = pl_authorize(c, argv, zCtx, nCtx, &bAllowed, 0, &zErr);
  if( rc!=SQLITE_OK ){ pl_result_error(ctx, rc, zErr); return; }
  sqlite3_result_int(ctx, bAllowed);
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
  /* a delete's predicate is checked by pl_store_delete: it may be one the
  ** policy no longer reads, with facts an older policy stored */
  rc = bPattern ? SQLITE_OK : pl_store_check_pred(pPol, *pzPred, *pnArg, pzErr);
  for(i=0; rc==SQLITE_OK && i<*pnArg; i++){
    PlTypeSet ts = pl_policy_arg_types(pPol, *pzPred, *pnArg, i);
    char zWhat[32];
    sqlite3_snprintf(sizeof(zWhat), zWhat, "argument %d", i+1);
    rc = pl_value_from_sql(pPol, argv[i+1], &ts, bPattern ? PL_PATTERN_DELETE : 0, zWhat,
                           &aVal[i], pzErr);
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

/* polar_bind(signature, select_sql | NULL): returns the new policy version. */
static void polarBindFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  const PlPolicy *pPol;
  const char *zSig = (const char*)sqlite3_value_text(argv[0]);
  const char *zSql = (const char*)sqlite3_value_text(argv[1]);
  char *zErr = 0;
  int rc;
  (void)argc;
  if( pl_refuse_unsafe_call(ctx, "polar_bind") ) return;
  if( zSig==0 ){
    sqlite3_result_error(ctx, "polar_bind: the signature is NULL", -1);
    return;
  }
  rc = pl_conn_require_policy(c, &pPol, &zErr);
  if( rc==SQLITE_OK ) rc = pl_binding_set(c->db, pPol, c->iVersion, zSig, zSql, &zErr);
  if( rc==SQLITE_OK ) rc = pl_conn_refresh(c, 1, &zErr);
  if( rc!=SQLITE_OK ){ pl_result_error(ctx, rc, zErr); return; }
  sqlite3_result_int(ctx, c->iVersion);
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
    rc = pl_authorize(c, &argv[1], 0, 0, &b, &zSql, &zErr);
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

/*-------------------------------------------------------------- wait ----*/

/* polar_wait sleeps: only the application may make a statement wait, so
** it is DIRECTONLY and, like the writers, refused inside a statement that
** writes (a CHECK constraint somebody else wrote). */
static void polarWaitFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  if( pl_refuse_unsafe_call(ctx, "polar_wait") ) return;
  pl_wait_func(ctx, argc, argv);
}

/*-------------------------------------------------------- registration --*/

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
**               is bounded by the limits (base/limits.c). So a view may call
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
  /* first: registered last, it owns the connection state (xDestroy) */
  { "polar_policy",  0, PL_READ,  polarPolicyFunc },
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
  { "polar_bind",    2, PL_WRITE, polarBindFunc },
  { "polar_limit",   1, PL_SAFE,  pl_limit_func },
  { "polar_limit",   2, PL_WRITE, pl_limit_func },
};

/* Register every scalar function with the user data c; polar_policy/0 last,
** with xDestroy, so that it owns c. On failure the functions registered
** before are removed again; *pbGone says whether c went with them (the
** owning registration was tried: SQLite calls xDestroy when it fails). */
int pl_funcs_register(sqlite3 *db, PlConn *c, void (*xDestroy)(void*), int *pbGone,
                      char **pzErrMsg){
  const size_t nFunc = sizeof(aFunc)/sizeof(aFunc[0]);
  size_t i, k;
  int rc = SQLITE_OK;
  *pbGone = 0;
  for(k=1; rc==SQLITE_OK && k<=nFunc; k++){
    i = k % nFunc;                          /* 1, 2, ..., nFunc-1, then 0 */
    if( i==0 ) *pbGone = 1;
    rc = sqlite3_create_function_v2(db, aFunc[i].zName, aFunc[i].nArg, aFunc[i].flags,
                                    c, aFunc[i].xFunc, 0, 0, i==0 ? xDestroy : 0);
    if( rc!=SQLITE_OK ){
      if( pzErrMsg ){
        *pzErrMsg = sqlite3_mprintf("polarlite: cannot register %s: %s",
                                    aFunc[i].zName, sqlite3_errmsg(db));
      }
      while( --k>=1 ){
        i = k % nFunc;
        sqlite3_create_function_v2(db, aFunc[i].zName, aFunc[i].nArg, aFunc[i].flags,
                                   0, 0, 0, 0, 0);
      }
      break;
    }
  }
  return rc;
}
