/*
** conn.c — the state polarlite keeps per connection, shared by every
** function and module registered on it: the limits, the statement cache,
** the current policy, the pinned clock, the running check's context facts.
**
** Policy freshness: every compiled check carries a guard comparing the
** stored policy version with the one it was compiled for, evaluated inside
** the same statement (so inside the same read transaction as the facts it
** reads). When it differs the connection reloads the policy and runs the
** check again. So a policy committed by any connection is seen by the next
** statement, and a check never mixes two policies.
*/
#include "pl_int.h"
#include <string.h>
#include <time.h>

PlConn *pl_conn_new(sqlite3 *db, PlConnOpener xOpen){
  PlConn *c = sqlite3_malloc64(sizeof(*c));
  if( c==0 ) return 0;
  memset(c, 0, sizeof(*c));
  c->db = db;
  c->xOpen = xOpen;
  pl_limits_init(&c->lim);
  c->pCache = pl_cache_new(db);
  if( c->pCache==0 ){ sqlite3_free(c); return 0; }
  return c;
}

void pl_conn_free(void *p){
  PlConn *c = p;
  pl_cache_free(c->pCache);
  pl_policy_free(c->pPol);
  pl_context_clear(c);
  sqlite3_free(c);
}

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

/*------------------------------------------------------------- loading --*/

/* Validate, check and store a policy; make it the connection's current
** one. Nothing changes on error. */
int pl_conn_load(PlConn *c, const char *zSrc, int nSrc, const char *zFile,
                 PlPolicyCheck xCheck, int *piVersion, char **pzErr){
  PlPolicy *pPol = 0;
  int rc, iVersion = 0;
  *piVersion = 0;
  rc = pl_policy_new(zSrc, nSrc, zFile, &c->lim, &pPol, pzErr);
  if( rc==SQLITE_OK && xCheck ) rc = xCheck(c, pPol, pzErr);
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

/*-------------------------------------------------------------- time ----*/

sqlite3_int64 pl_conn_now(PlConn *c){
  return c->bPinned ? c->iNow : (sqlite3_int64)time(0);
}

/*----------------------------------------------------- context facts ----*/

void pl_context_clear(PlConn *c){
  pl_arena_free(c->pCtxArena);
  c->pCtxArena = 0;
  c->aCtx = 0;
  c->nCtx = 0;
}

int pl_context_set(PlConn *c, const char *zJson, int nJson, char **pzErr){
  PlJsonFact *aFact = 0;
  int nFact = 0, rc, i, k;
  pl_context_clear(c);
  c->pCtxArena = pl_arena_new();
  if( c->pCtxArena==0 ) return SQLITE_NOMEM;
  rc = pl_json_facts(c->pCtxArena, zJson, nJson, &aFact, &nFact, pzErr);
  if( rc==SQLITE_OK && nFact>0 ){
    c->aCtx = pl_arena_alloc(c->pCtxArena, sizeof(*c->aCtx)*(size_t)nFact);
    if( c->aCtx==0 ) rc = SQLITE_NOMEM;
  }
  for(i=0; rc==SQLITE_OK && i<nFact; i++){
    struct PlCtxFact *f = &c->aCtx[i];
    f->zPred = pl_arena_strndup(c->pCtxArena, aFact[i].zPred, aFact[i].nPred);
    f->nArg = aFact[i].nArg;
    /* a context fact must fit the policy's fact types like a stored one */
    rc = f->zPred ? pl_store_check_pred(c->pPol, f->zPred, f->nArg, pzErr) : SQLITE_NOMEM;
    for(k=0; rc==SQLITE_OK && k<aFact[i].nArg; k++){
      char zWhat[48];
      sqlite3_snprintf(sizeof(zWhat), zWhat, "context fact %d argument %d", i, k+1);
      rc = pl_value_from_wire(c->pPol, aFact[i].azType[k], aFact[i].anType[k],
                              aFact[i].azId[k], aFact[i].anId[k], 0, zWhat, &f->aVal[k], pzErr);
    }
    c->nCtx++;
  }
  if( rc!=SQLITE_OK ){
    if( *pzErr ){
      char *z = sqlite3_mprintf("authorize context: %s", *pzErr);
      sqlite3_free(*pzErr);
      *pzErr = z;
    }
    pl_context_clear(c);
  }
  return rc;
}
