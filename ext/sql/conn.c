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
**
** Registered connections: every PlConn that pl_conn_open registered is on
** one process-wide list, so that loading the extension again on the same
** connection (a pool's connect hook, a second .load) finds it and changes
** nothing. SQLite gives no way to ask a connection for a function's user
** data, hence the list; it is short (one entry per open connection) and
** touched only when a connection is registered or closed.
*/
#include "pl_int.h"
#include <pthread.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t registeredMutex = PTHREAD_MUTEX_INITIALIZER;
static PlConn *pRegistered;       /* linked through PlConn.pNextRegistered */

PlConn *pl_conn_registered(sqlite3 *db){
  PlConn *c;
  pthread_mutex_lock(&registeredMutex);
  for(c=pRegistered; c && c->db!=db; c=c->pNextRegistered){}
  pthread_mutex_unlock(&registeredMutex);
  return c;
}

void pl_conn_set_registered(PlConn *c){
  pthread_mutex_lock(&registeredMutex);
  c->pNextRegistered = pRegistered;
  pRegistered = c;
  c->bRegistered = 1;
  pthread_mutex_unlock(&registeredMutex);
}

static void conn_unregister(PlConn *c){
  PlConn **pp;
  if( !c->bRegistered ) return;
  pthread_mutex_lock(&registeredMutex);
  for(pp=&pRegistered; *pp && *pp!=c; pp=&(*pp)->pNextRegistered){}
  if( *pp ) *pp = c->pNextRegistered;
  pthread_mutex_unlock(&registeredMutex);
}

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
  conn_unregister(c);
  pl_cache_free(c->pCache);
  pl_units_clear(&c->units);
  pl_policy_free(c->pPol);
  sqlite3_free(c);
}

sqlite3 *pl_conn_db(PlConn *c){ return c->db; }
PlStmtCache *pl_conn_cache(PlConn *c){ return c->pCache; }

static void conn_set_policy(PlConn *c, PlPolicy *pPol, int iVersion){
  pl_cache_clear(c->pCache);
  pl_units_clear(&c->units);
  pl_policy_free(c->pPol);
  c->pPol = pPol;
  c->iVersion = iVersion;
  c->bMarker = pPol ? pl_store_has_marker(c->db, iVersion) : 0;
  /* the predicate authorize, polar_list and polar_actions ask */
  c->iAllow = pPol ? pl_policy_find_pred(pPol, "allow", 3) : -1;
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
    /* SQLITE_ERROR: no such table, no polarlite schema yet. Anything else
    ** (not a database, cannot open, busy, I/O) is the file's trouble */
    if( (rc&0xff)==SQLITE_ERROR ) return SQLITE_OK;
    if( rc!=SQLITE_NOMEM ) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(c->db));
    return rc;
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

int pl_conn_recheck(PlConn *c, int *pbChanged, char **pzErr){
  int iOld = c->iVersion, rc;
  *pbChanged = 0;
  rc = pl_conn_refresh(c, 1, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( c->iVersion!=iOld ){ *pbChanged = 1; return SQLITE_OK; }
  if( c->pPol && pl_store_has_marker(c->db, c->iVersion)!=c->bMarker ){
    /* same version, marker gone or new (a restored file): compile again */
    pl_cache_clear(c->pCache);
    pl_units_clear(&c->units);
    c->bMarker = !c->bMarker;
    *pbChanged = 1;
  }
  return SQLITE_OK;
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
  if( v->zText ) return sqlite3_bind_text(pStmt, iParam, v->zText, v->nText, SQLITE_STATIC);
  if( v->iType<0 || v->iType>=c->pPol->nType ) return SQLITE_MISUSE;
  zType = c->pPol->aType[v->iType].zName;
  nType = (size_t)c->pPol->aType[v->iType].nName;
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
    if( rc==SQLITE_OK ) rc = pl_store_mark_version(c->db, iVersion, pzErr);
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

void pl_context_free(PlCtx *p){
  pl_arena_free(p->pArena);
  memset(p, 0, sizeof(*p));
}

int pl_context_parse(PlConn *c, const char *zJson, int nJson, const char *zWho,
                     PlCtx *pCtx, char **pzErr){
  PlJsonFact *aFact = 0;
  int nFact = 0, rc, i, k;
  memset(pCtx, 0, sizeof(*pCtx));
  if( zJson==0 ) return SQLITE_NOMEM;     /* sqlite3_value_text() ran out */
  pCtx->pArena = pl_arena_new();
  if( pCtx->pArena==0 ) return SQLITE_NOMEM;
  rc = pl_json_facts(pCtx->pArena, zJson, nJson, &aFact, &nFact, pzErr);
  if( rc==SQLITE_OK && nFact>0 ){
    pCtx->aFact = pl_arena_alloc(pCtx->pArena, sizeof(PlCtxFact)*(size_t)nFact);
    if( pCtx->aFact==0 ) rc = SQLITE_NOMEM;
  }
  for(i=0; rc==SQLITE_OK && i<nFact; i++){
    PlCtxFact *f = &pCtx->aFact[i];
    char *zErr = 0;
    f->zPred = pl_arena_strndup(pCtx->pArena, aFact[i].zPred, aFact[i].nPred);
    f->nArg = aFact[i].nArg;
    /* a context fact must fit the policy's fact types like a stored one:
    ** its predicate, each value, then the signature as a whole */
    rc = f->zPred ? pl_store_check_pred(c->pPol, f->zPred, f->nArg, &zErr) : SQLITE_NOMEM;
    for(k=0; rc==SQLITE_OK && k<aFact[i].nArg; k++){
      char zWhat[48];
      sqlite3_snprintf(sizeof(zWhat), zWhat, "argument %d", k+1);
      rc = pl_value_from_wire(c->pPol, aFact[i].azType[k], aFact[i].anType[k],
                              aFact[i].azId[k], aFact[i].anId[k], 0, zWhat, &f->aVal[k], &zErr);
    }
    if( rc==SQLITE_OK ) rc = pl_store_check_types(c->pPol, f->zPred, f->nArg, f->aVal, &zErr);
    if( zErr ){
      *pzErr = sqlite3_mprintf("context fact %d (%s): %z", i, f->zPred ? f->zPred : "?", zErr);
    }
    pCtx->nFact++;
  }
  if( rc!=SQLITE_OK ){
    if( *pzErr ) *pzErr = sqlite3_mprintf("%s context: %z", zWho, *pzErr);
    pl_context_free(pCtx);
  }
  return rc;
}
