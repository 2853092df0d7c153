/*
** serve_db.c — the engine inside `polarlite serve` (see serve.h).
**
** Each worker thread owns one SQLite connection to the database file with
** the polarlite engine registered on it (engine_open, the same
** registration a `.load ./polarlite` gives), opened on its first request,
** and keeps its statements prepared: the fixed ones by number, the
** query-builder ones in a small cache keyed by their SQL. The file is in
** WAL mode, so the sidecar's writes never block these reads.
**
** A request's work is bounded twice: by the engine's step budget
** (polar_limit('steps'), set on every connection) and by a deadline that
** the watchdog thread enforces with sqlite3_interrupt(), which covers
** everything else (a query-builder join runs many scans, each with its own
** budget). Each worker's deadline is guarded by its mutex, so the watchdog
** never interrupts a request that has already ended.
*/
#include "serve.h"
#include "engine.h"
#include "log.h"
#include "pl_int.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define W_NDYN 32              /* cached query-builder statements per worker */

struct Worker {
  Server *pS;
  sqlite3 *db;
  PlConn *pConn;
  sqlite3_stmt *aStmt[W_N];
  struct { char *zSql; sqlite3_stmt *pStmt; } aDyn[W_NDYN];
  int iDynNext;               /* the next slot to reuse */
  pthread_mutex_t mu;         /* iDeadlineMs, bFired: the watchdog reads them */
  int64_t iDeadlineMs;        /* 0: no request running */
  int bFired;
  int iMetaVersion;           /* policy version zMeta describes (0: none) */
  char *zMeta; size_t nMeta;
  Worker *pNext;
};

static __thread Worker *tlsWorker;

static const char *const azSql[W_N] = {
  /* W_AUTHORIZE */   "SELECT authorize(?1, ?2, ?3, ?4)",
  /* W_LIST */        "SELECT id FROM polar_list(?1, ?2, ?3, ?4)",
  /* W_LIST_PAGE */   "SELECT id FROM (SELECT CAST(id AS TEXT) AS id FROM polar_list(?1, ?2, ?3, ?4)) "
                      "WHERE ?5 IS NULL OR id > ?5 ORDER BY id LIMIT ?6",
  /* W_ACTIONS */     "SELECT action FROM polar_actions(?1, ?2, ?3)",
  /* W_POSITION */    POSITION_SQL,
  /* W_POLICY_GET */  "SELECT src, filename FROM main.polar_policy WHERE version="
                      "(SELECT value FROM main.polar_meta WHERE key='policy_version')",
  /* W_STATUS */      "SELECT key, value FROM main.polar_meta WHERE key IN ('policy_version', "
                      "'log_offset', 'log_high_watermark', 'applied_at', 'snapshot_created_at', "
                      "'log_topic')",
  /* W_BATCH */       "SELECT polar_batch(?1)",
  /* W_LOCAL_BUMP */  "INSERT INTO main.polar_meta(key, value) VALUES('local_writes', 1) "
                      "ON CONFLICT(key) DO UPDATE SET value=value+1 RETURNING value",
  /* W_POLICY_LOAD */ "SELECT polar_load(?1, ?2)",
  /* W_BEGIN */       "BEGIN IMMEDIATE",
  /* W_COMMIT */      "COMMIT",
  /* W_ROLLBACK */    "ROLLBACK",
  /* W_SAVEPOINT */   "SAVEPOINT serve",
  /* W_UNDO */        "ROLLBACK TO serve",
  /* W_STORED_PREDS */"SELECT name FROM main.sqlite_schema WHERE type='table' "
                      "AND name GLOB 'polar_f_*_[1-5]'",
};

int64_t serve_now_ms(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec*1000 + ts.tv_nsec/1000000;
}

int64_t serve_now_us(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec*1000000 + ts.tv_nsec/1000;
}

static void worker_free(Worker *w){
  int i;
  for(i=0; i<W_N; i++) sqlite3_finalize(w->aStmt[i]);
  for(i=0; i<W_NDYN; i++){
    sqlite3_finalize(w->aDyn[i].pStmt);
    sqlite3_free(w->aDyn[i].zSql);
  }
  sqlite3_close(w->db);
  pthread_mutex_destroy(&w->mu);
  free(w->zMeta);
  free(w);
}

Worker *worker_get(Server *S, char *zErr, size_t nErr){
  Worker *w = tlsWorker;
  char zSteps[64];
  if( w ) return w;
  w = calloc(1, sizeof(*w));
  if( w==0 ){ snprintf(zErr, nErr, "out of memory"); return 0; }
  pthread_mutex_init(&w->mu, 0);
  w->pS = S;
  if( engine_open(S->o.zDb, SQLITE_OPEN_READWRITE|SQLITE_OPEN_NOMUTEX, &w->db, &w->pConn,
                  zErr, nErr) ){
    pthread_mutex_destroy(&w->mu);
    free(w);
    return 0;
  }
  sqlite3_busy_timeout(w->db, 5000);
  /* Oso Cloud answers false for an action no rule mentions (the SDKs'
  ** applications count on it); polarlite's SQL surface calls it a typo */
  w->pConn->bUnmentionedOk = 1;
  /* Transient tables (a recursive check's UNION sets) in memory: at
  ** Debian's default they get a temporary pager whose page cache grows
  ** and trims the heap on every call, ~100 us each, worse with threads
  ** (every trim is a TLB shootdown across cores). Ours to set: the server
  ** owns these connections. */
  if( sqlite3_exec(w->db, "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=1073741824", 0, 0, 0)!=SQLITE_OK ){
    snprintf(zErr, nErr, "%s: cannot set temp_store: %s", S->o.zDb, sqlite3_errmsg(w->db));
    worker_free(w);
    return 0;
  }
  snprintf(zSteps, sizeof(zSteps), "SELECT polar_limit('steps', %lld)", (long long)S->o.nSteps);
  if( sqlite3_exec(w->db, zSteps, 0, 0, 0)!=SQLITE_OK ){
    snprintf(zErr, nErr, "%s: cannot set the step limit: %s", S->o.zDb, sqlite3_errmsg(w->db));
    worker_free(w);
    return 0;
  }
  pthread_mutex_lock(&S->mu);
  w->pNext = S->pWorkers;
  S->pWorkers = w;
  pthread_mutex_unlock(&S->mu);
  tlsWorker = w;
  return w;
}

sqlite3 *worker_db(Worker *w){ return w->db; }
PlConn *worker_conn(Worker *w){ return w->pConn; }

sqlite3_stmt *worker_stmt(Worker *w, int e, char **pzErr){
  sqlite3_stmt *p = w->aStmt[e];
  if( p ){
    sqlite3_reset(p);
    sqlite3_clear_bindings(p);
    return p;
  }
  if( sqlite3_prepare_v3(w->db, azSql[e], -1, SQLITE_PREPARE_PERSISTENT, &p, 0)!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(w->db));
    sqlite3_finalize(p);
    return 0;
  }
  w->aStmt[e] = p;
  return p;
}

sqlite3_stmt *worker_prepare(Worker *w, const char *zSql, char **pzErr){
  sqlite3_stmt *p = 0;
  int i;
  for(i=0; i<W_NDYN; i++){
    if( w->aDyn[i].zSql && strcmp(w->aDyn[i].zSql, zSql)==0 ){
      sqlite3_reset(w->aDyn[i].pStmt);
      sqlite3_clear_bindings(w->aDyn[i].pStmt);
      return w->aDyn[i].pStmt;
    }
  }
  if( sqlite3_prepare_v3(w->db, zSql, -1, SQLITE_PREPARE_PERSISTENT, &p, 0)!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(w->db));
    sqlite3_finalize(p);
    return 0;
  }
  i = w->iDynNext;
  w->iDynNext = (i+1) % W_NDYN;
  sqlite3_finalize(w->aDyn[i].pStmt);
  sqlite3_free(w->aDyn[i].zSql);
  w->aDyn[i].pStmt = p;
  w->aDyn[i].zSql = sqlite3_mprintf("%s", zSql);
  if( w->aDyn[i].zSql==0 ){
    /* uncached: keep it anyway, it is finalized when the slot is reused */
    w->aDyn[i].zSql = sqlite3_mprintf("");
  }
  return p;
}

void worker_begin(Worker *w, int iMs){
  pthread_mutex_lock(&w->mu);
  w->iDeadlineMs = serve_now_ms() + iMs;
  w->bFired = 0;
  pthread_mutex_unlock(&w->mu);
}

int worker_end(Worker *w){
  int b;
  pthread_mutex_lock(&w->mu);
  w->iDeadlineMs = 0;
  b = w->bFired;
  w->bFired = 0;
  pthread_mutex_unlock(&w->mu);
  return b;
}

static void *watchdog_main(void *pArg){
  Server *S = pArg;
  while( !atomic_load(&S->bStop) ){
    struct timespec ts = { 0, 20*1000000L };
    int64_t now = serve_now_ms();
    Worker *w;
    pthread_mutex_lock(&S->mu);
    for(w=S->pWorkers; w; w=w->pNext){
      pthread_mutex_lock(&w->mu);
      if( w->iDeadlineMs && now>w->iDeadlineMs && !w->bFired ){
        w->bFired = 1;
        sqlite3_interrupt(w->db);
      }
      pthread_mutex_unlock(&w->mu);
    }
    pthread_mutex_unlock(&S->mu);
    nanosleep(&ts, 0);
  }
  return 0;
}

int watchdog_start(Server *S, char *zErr, size_t nErr){
  if( pthread_create(&S->watchdog, 0, watchdog_main, S) ){
    snprintf(zErr, nErr, "cannot start the watchdog thread");
    return -1;
  }
  return 0;
}

void watchdog_stop(Server *S){
  pthread_join(S->watchdog, 0);
}

void workers_close(Server *S){
  Worker *w, *pNext;
  pthread_mutex_lock(&S->mu);
  for(w=S->pWorkers; w; w=pNext){
    pNext = w->pNext;
    worker_free(w);
  }
  S->pWorkers = 0;
  pthread_mutex_unlock(&S->mu);
}

int worker_position(Worker *w, Position *p){
  char *zErr = 0;
  sqlite3_stmt *pStmt = worker_stmt(w, W_POSITION, &zErr);
  memset(p, 0, sizeof(*p));
  if( pStmt==0 ){
    /* no polarlite schema yet: nothing applied */
    sqlite3_free(zErr);
    return -1;
  }
  if( sqlite3_step(pStmt)==SQLITE_ROW ){
    p->bLog = sqlite3_column_type(pStmt, 1)!=SQLITE_NULL;
    p->iPartition = sqlite3_column_int64(pStmt, 0);
    p->iOffset = sqlite3_column_int64(pStmt, 1);
    p->iLocal = sqlite3_column_int64(pStmt, 2);
  }
  sqlite3_reset(pStmt);
  return 0;
}

int worker_error(Call *C, int rc, const char *zMsg){
  Worker *w = C->w;
  int prim = rc & 0xff;
  int bFired;
  pthread_mutex_lock(&w->mu);
  bFired = w->bFired;
  pthread_mutex_unlock(&w->mu);
  if( bFired || prim==SQLITE_INTERRUPT ){
    return call_error(C, 503, "the request did not finish within %d ms (--deadline)",
                      C->pS->o.nDeadlineMs);
  }
  if( zMsg==0 ) zMsg = sqlite3_errmsg(w->db);
  switch( prim ){
    case SQLITE_ERROR:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      /* what was asked cannot be answered, here or on a fallback node */
      return call_error(C, 422, "%s", zMsg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      C->zRetryAfter = "1";
      return call_error(C, 503, "the database is busy: %s", zMsg);
    default:
      /* this node cannot answer (I/O, corruption, memory): 5xx sends the
      ** SDKs to their fallback node */
      log_event(LOG_ERROR, "database_error", "code=%d error=\"%s\"", rc, zMsg);
      return call_error(C, 500, "database error: %s", zMsg);
  }
}

/*------------------------------------------------------- policy metadata --*/

/* Append the sorted distinct strings az[0..n) as a JSON array. */
static void out_sorted(Out *o, const char **az, int n){
  int i, j, bFirst = 1;
  const char *zPrev = 0;
  const char **aCopy = malloc(sizeof(char*)*(size_t)(n ? n : 1));
  if( aCopy==0 ){ o->bOom = 1; return; }
  if( n ) memcpy(aCopy, az, sizeof(char*)*(size_t)n);
  for(i=1; i<n; i++){                       /* insertion sort: lists are short */
    const char *z = aCopy[i];
    for(j=i; j>0 && strcmp(aCopy[j-1], z)>0; j--) aCopy[j] = aCopy[j-1];
    aCopy[j] = z;
  }
  out_raw(o, "[", 1);
  for(i=0; i<n; i++){
    if( zPrev && strcmp(zPrev, aCopy[i])==0 ) continue;
    if( !bFirst ) out_raw(o, ",", 1);
    out_json(o, aCopy[i], strlen(aCopy[i]));
    zPrev = aCopy[i];
    bFirst = 0;
  }
  out_raw(o, "]", 1);
  free(aCopy);
}

/* {"metadata":{"resources":{Type:{"roles":[],"permissions":[],"relations":{}}...}}}
** from the policy's resource blocks (the parser's view of them, before
** shorthand rules are expanded); "global" is always there. */
static int metadata_json(const PlConn *c, Out *o, char **pzErr){
  const PlPolicy *pPol = c->pPol;
  PlArena *pArena = pl_arena_new();
  PlProgram *pProg = 0;
  const char *zSrc;
  int nSrc, i, k, rc, bGlobal = 0;
  if( pArena==0 ) return SQLITE_NOMEM;
  zSrc = pl_policy_src(pPol, &nSrc);
  rc = pl_parse(pArena, zSrc, nSrc, pl_policy_file(pPol), &c->lim, &pProg, pzErr);
  if( rc!=SQLITE_OK ){ pl_arena_free(pArena); return rc; }
  out_str(o, "{\"metadata\":{\"resources\":{");
  for(i=0; i<pProg->nBlock; i++){
    const PlBlock *b = &pProg->aBlock[i];
    if( b->eKind==PL_BLOCK_GLOBAL ) bGlobal = 1;
    if( i ) out_raw(o, ",", 1);
    if( b->eKind==PL_BLOCK_GLOBAL ) out_str(o, "\"global\"");
    else out_json(o, b->zName, strlen(b->zName));
    out_str(o, ":{\"roles\":");
    out_sorted(o, b->azRole, b->nRole);
    out_str(o, ",\"permissions\":");
    out_sorted(o, b->azPerm, b->nPerm);
    out_str(o, ",\"relations\":{");
    for(k=0; k<b->nRel; k++){
      if( k ) out_raw(o, ",", 1);
      out_json(o, b->aRel[k].zName, strlen(b->aRel[k].zName));
      out_raw(o, ":", 1);
      out_json(o, b->aRel[k].zType, strlen(b->aRel[k].zType));
    }
    out_str(o, "}}");
  }
  if( !bGlobal ){
    if( pProg->nBlock ) out_raw(o, ",", 1);
    out_str(o, "\"global\":{\"roles\":[],\"permissions\":[],\"relations\":{}}");
  }
  out_str(o, "}}}");
  pl_arena_free(pArena);
  return o->bOom ? SQLITE_NOMEM : SQLITE_OK;
}

int worker_metadata(Worker *w, const char **pz, size_t *pn, char **pzErr){
  const PlPolicy *pPol;
  Out o;
  int rc = pl_conn_require_policy(w->pConn, &pPol, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( w->zMeta==0 || w->iMetaVersion!=w->pConn->iVersion ){
    memset(&o, 0, sizeof(o));
    rc = metadata_json(w->pConn, &o, pzErr);
    if( rc!=SQLITE_OK ){ out_free(&o); return rc; }
    free(w->zMeta);
    w->zMeta = o.z;
    w->nMeta = o.n;
    w->iMetaVersion = w->pConn->iVersion;
  }
  *pz = w->zMeta;
  *pn = w->nMeta;
  return SQLITE_OK;
}
