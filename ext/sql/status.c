/*
** status.c — polar_status (one row describing this database) and
** polar_wait(token, timeout_ms) for read-your-writes.
**
**   SELECT * FROM polar_status;
**   SELECT polar_wait('0:1234', 2000);   -- 1 once offset 1234 of partition 0 is applied
**
** The applied log position lives in polar_meta, written by the sidecar
** (`polarlite sidecar`) in the same transaction as the facts it applies:
**   log_partition, log_offset   the last applied message
**   applied_at                  when it was committed (unix ms)
**   last_message_ts             its producer timestamp (unix ms)
**   lag_ms                      applied_at - last_message_ts
**   log_high_watermark          the log end offset the sidecar last saw
**   rejected_count              messages recorded in polar_rejected
**   snapshot_created_at         set by a snapshot restore: when the snapshot
**                               the file came from was taken (unix ms)
** Columns: policy_version, applied_partition, applied_offset, applied_at,
** fact_count, rejected_count, last_message_at, lag_ms, lag_messages
** (lag_messages = log end - applied_offset - 1, as the sidecar last saw
** the log), snapshot_created_at, snapshot_age_ms (now - snapshot_created_at:
** how stale a fallback node is). Columns about the log are NULL until a
** sidecar has applied one; the snapshot columns until a restore.
*/
#include "pl_int.h"
#include <string.h>
#include <stdio.h>
#include <time.h>

static sqlite3_int64 meta_int(sqlite3 *db, const char *zKey, sqlite3_int64 iDefault){
  sqlite3_stmt *pStmt = 0;
  sqlite3_int64 v = iDefault;
  if( sqlite3_prepare_v2(db, "SELECT value FROM main.polar_meta WHERE key=?", -1, &pStmt, 0)==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, zKey, -1, SQLITE_STATIC);
    if( sqlite3_step(pStmt)==SQLITE_ROW && sqlite3_column_type(pStmt, 0)!=SQLITE_NULL ){
      v = sqlite3_column_int64(pStmt, 0);
    }
  }
  sqlite3_finalize(pStmt);
  return v;
}

/* Number of stored facts, summed over every fact table. */
static sqlite3_int64 fact_count(sqlite3 *db){
  sqlite3_stmt *pList = 0;
  sqlite3_int64 n = 0;
  if( sqlite3_prepare_v2(db, "SELECT name FROM main.sqlite_schema WHERE type='table' "
                         "AND name LIKE 'polar\\_f\\_%' ESCAPE '\\'", -1, &pList, 0)!=SQLITE_OK ){
    sqlite3_finalize(pList);
    return 0;
  }
  while( sqlite3_step(pList)==SQLITE_ROW ){
    sqlite3_stmt *pCount = 0;
    char *zSql = sqlite3_mprintf("SELECT count(*) FROM main.\"%w\"", sqlite3_column_text(pList, 0));
    if( zSql && sqlite3_prepare_v2(db, zSql, -1, &pCount, 0)==SQLITE_OK
     && sqlite3_step(pCount)==SQLITE_ROW ){
      n += sqlite3_column_int64(pCount, 0);
    }
    sqlite3_finalize(pCount);
    sqlite3_free(zSql);
  }
  sqlite3_finalize(pList);
  return n;
}

/* Unix time in milliseconds. */
static sqlite3_int64 now_ms(void){
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (sqlite3_int64)ts.tv_sec*1000 + ts.tv_nsec/1000000;
}

typedef struct StVtab { sqlite3_vtab base; PlConn *c; } StVtab;
#define ST_NCOL 11
typedef struct StCursor { sqlite3_vtab_cursor base; int bEof; sqlite3_int64 a[ST_NCOL]; } StCursor;

static int stConnect(sqlite3 *db, void *pAux, int argc, const char *const*argv,
                     sqlite3_vtab **ppVtab, char **pzErr){
  int rc = pl_vtab_new(db, "CREATE TABLE x(policy_version, applied_partition, "
                       "applied_offset, applied_at, fact_count, rejected_count, "
                       "last_message_at, lag_ms, lag_messages, snapshot_created_at, "
                       "snapshot_age_ms)", sizeof(StVtab), SQLITE_VTAB_INNOCUOUS, ppVtab);
  (void)argc; (void)argv; (void)pzErr;
  if( rc==SQLITE_OK ) ((StVtab*)*ppVtab)->c = pAux;
  return rc;
}
/* sqlite3_close() disconnects eponymous tables before it checks for
** unfinalized statements, so this is where the connection's cached
** statements are finalized: the cache connects polar_status before it
** prepares its first statement (st_arm), and again after a disconnect. */
static int st_connect(void *pArg){
  PlConn *c = pArg;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(c->db, "SELECT 1 FROM polar_status WHERE 0", -1, &pStmt, 0);
  sqlite3_finalize(pStmt);
  return rc;
}
static void st_arm(PlConn *c){ pl_cache_on_first(c->pCache, st_connect, c); }
static int stDisconnect(sqlite3_vtab *p){
  PlConn *c = ((StVtab*)p)->c;
  pl_cache_clear(c->pCache);
  st_arm(c);
  sqlite3_free(p);
  return SQLITE_OK;
}
static int stBestIndex(sqlite3_vtab *p, sqlite3_index_info *pInfo){
  (void)p;
  pInfo->estimatedCost = 1;
  pInfo->estimatedRows = 1;
  return SQLITE_OK;
}
static int stOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **pp){
  StCursor *c = sqlite3_malloc64(sizeof(*c));
  (void)p;
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *pp = &c->base;
  return SQLITE_OK;
}
static int stClose(sqlite3_vtab_cursor *c){ sqlite3_free(c); return SQLITE_OK; }
static int stFilter(sqlite3_vtab_cursor *cur, int i, const char *z, int n, sqlite3_value **a){
  StCursor *c = (StCursor*)cur;
  sqlite3 *db = ((StVtab*)cur->pVtab)->c->db;
  (void)i; (void)z; (void)n; (void)a;
  c->bEof = 0;
  c->a[0] = meta_int(db, "policy_version", 0);
  c->a[1] = meta_int(db, "log_partition", -1);
  c->a[2] = meta_int(db, "log_offset", -1);
  c->a[3] = meta_int(db, "applied_at", -1);
  c->a[4] = fact_count(db);
  c->a[5] = meta_int(db, "rejected_count", 0);
  c->a[6] = meta_int(db, "last_message_ts", -1);
  c->a[7] = meta_int(db, "lag_ms", -1);
  c->a[8] = -1;
  if( c->a[2]>=0 ){
    sqlite3_int64 hi = meta_int(db, "log_high_watermark", -1);
    if( hi>=0 ) c->a[8] = hi > c->a[2]+1 ? hi - c->a[2] - 1 : 0;
  }
  c->a[9] = meta_int(db, "snapshot_created_at", -1);
  c->a[10] = -1;
  if( c->a[9]>0 ){
    sqlite3_int64 now = now_ms();
    c->a[10] = now > c->a[9] ? now - c->a[9] : 0;
  }
  return SQLITE_OK;
}
static int stNext(sqlite3_vtab_cursor *cur){ ((StCursor*)cur)->bEof = 1; return SQLITE_OK; }
static int stEof(sqlite3_vtab_cursor *cur){ return ((StCursor*)cur)->bEof; }
static int stColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  StCursor *c = (StCursor*)cur;
  if( c->a[i]<0 && i!=0 && i!=4 && i!=5 ) sqlite3_result_null(ctx);
  else sqlite3_result_int64(ctx, c->a[i]);
  return SQLITE_OK;
}
static int stRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *p){ (void)cur; *p = 1; return SQLITE_OK; }

static sqlite3_module stModule = {
  0, 0, stConnect, stBestIndex, stDisconnect, 0, stOpen, stClose, stFilter,
  stNext, stEof, stColumn, stRowid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

/* Nothing here reads the database: loading polarlite works on any
** connection, even one whose file is not a database or cannot be read
** (then every statement that needs the file fails with SQLite's reason). */
int pl_status_register(sqlite3 *db, PlConn *c){
  int rc = sqlite3_create_module_v2(db, "polar_status", &stModule, c, 0);
  if( rc==SQLITE_OK ) st_arm(c);
  return rc;
}

/* Why the sidecar refused the message at partition:offset of the log this
** file follows (its row in polar_rejected), or NULL (sqlite3_mprintf'd). A
** file no sidecar fed has no polar_rejected table: nothing was refused. */
static char *rejected_reason(sqlite3 *db, sqlite3_int64 iPart, sqlite3_int64 iOff){
  sqlite3_stmt *pStmt = 0;
  char *zReason = 0;
  if( sqlite3_prepare_v2(db, "SELECT reason FROM main.polar_rejected WHERE partition=?1 "
                         "AND offset=?2 AND topic IS (SELECT value FROM main.polar_meta "
                         "WHERE key='log_topic')", -1, &pStmt, 0)==SQLITE_OK ){
    sqlite3_bind_int64(pStmt, 1, iPart);
    sqlite3_bind_int64(pStmt, 2, iOff);
    if( sqlite3_step(pStmt)==SQLITE_ROW ){
      zReason = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
    }
  }
  sqlite3_finalize(pStmt);
  return zReason;
}

/* polar_wait('<partition>:<offset>', timeout_ms): 1 once the applied log
** position has reached the token, 0 at timeout, and an error naming the
** offset and the reason when the sidecar refused that message (the write
** it carried is not in the file, and never will be). */
void pl_wait_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  const char *zTok = (const char*)sqlite3_value_text(argv[0]);
  sqlite3_int64 iPart, iOff, iTimeout = sqlite3_value_int64(argv[1]), waited = 0;
  char cColon = 0, cEnd = 0;
  long long p = 0, o = 0;
  (void)argc;
  if( zTok==0 || sscanf(zTok, "%lld%c%lld%c", &p, &cColon, &o, &cEnd)!=3 || cColon!=':'
   || p<0 || o<0 ){
    sqlite3_result_error(ctx, "polar_wait: the token must be '<partition>:<offset>' as "
                         "printed by polarlite publish", -1);
    return;
  }
  iPart = p; iOff = o;
  for(;;){
    sqlite3_int64 ap = meta_int(c->db, "log_partition", -1);
    sqlite3_int64 ao = meta_int(c->db, "log_offset", -1);
    if( ap==iPart && ao>=iOff ){
      char *zWhy = rejected_reason(c->db, iPart, iOff);
      if( zWhy ){
        char *zErr = sqlite3_mprintf("polar_wait: the message at %lld:%lld was rejected by "
                                     "the sidecar: %s", p, o, zWhy);
        pl_result_error(ctx, zErr ? SQLITE_ERROR : SQLITE_NOMEM, zErr);
        sqlite3_free(zWhy);
        return;
      }
      sqlite3_result_int(ctx, 1);
      return;
    }
    if( waited>=iTimeout ){ sqlite3_result_int(ctx, 0); return; }
    sqlite3_sleep(5);
    waited += 5;
  }
}
