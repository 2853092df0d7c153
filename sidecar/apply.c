/*
** apply.c — apply log messages to a polarlite database exactly once
** (see apply.h).
**
** How it works: the applier owns one connection with the engine registered
** and a handful of prepared statements. A batch message is applied with
** `SELECT polar_batch(?)` and a policy message with `SELECT polar_load(?, ?)`
** — the engine's own write path, which type-checks every fact and is atomic
** per call. A batch the engine refuses has changed nothing (it checks the
** whole batch before writing any of it, and guards the writes itself when
** a trigger could stop them halfway), so a batch message needs no SAVEPOINT
** of its own: one would copy every page the message touches to its journal
** first, which cost as much as the inserts. A policy message runs inside
** its own SAVEPOINT, undone alone when it fails. The engine reports
** bad input as SQLITE_ERROR (or TOOBIG/MISMATCH/RANGE/CONSTRAINT); every
** other code means the database itself is in trouble, and then the group is
** abandoned rather than a good message being recorded as rejected.
*/
#include "apply.h"
#include "engine.h"
#include "log.h"
#include "pl_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct Applier {
  sqlite3 *db;
  PlConn *pConn;
  sqlite3_stmt *pBatch;       /* SELECT polar_batch(?1) */
  sqlite3_stmt *pLoad;        /* SELECT polar_load(?1, ?2) */
  sqlite3_stmt *pPolicyMsg;   /* the fields of a {"policy": ...} message */
  sqlite3_stmt *pReject;      /* INSERT INTO polar_rejected */
  sqlite3_stmt *pMetaSet;     /* polar_meta[key] = value */
  sqlite3_stmt *pMetaAdd;     /* polar_meta[key] += value */
  sqlite3_stmt *pMetaGet;     /* polar_meta[key] */
  sqlite3_stmt *pSavepoint, *pRelease, *pRollbackTo;
  sqlite3_stmt *pDataVersion; /* PRAGMA data_version */
  int64_t iDataVersion;       /* as of the last load_state() */
  ApplyPos pos;               /* committed position */
  ApplyTotals tot;            /* committed totals */
  /* the open group */
  int bInTxn;
  int nGroup;
  ApplyPos groupPos;
  int64_t iGroupTs;
  int64_t nGroupMsgs, nGroupFacts, nGroupRejected;
  /* the WAL (see wal_restart) */
  int nWalFrames;             /* frames in it after our last commit */
  int64_t iWalRetryMs;        /* no emptying attempt before this time */
};

/* Past this many frames of WAL (64 MB at 4 KB pages), apply_commit has
** it start over (wal_restart). */
#define APPLY_WAL_FRAMES 16384

/* Codes with which the engine refuses a message (its input was bad). */
static int is_message_fault(int rc){
  switch( rc & 0xff ){
    case SQLITE_ERROR: case SQLITE_TOOBIG: case SQLITE_MISMATCH:
    case SQLITE_RANGE: case SQLITE_CONSTRAINT:
      return 1;
  }
  return 0;
}

static const char zSchema[] =
  "CREATE TABLE IF NOT EXISTS main.polar_rejected("
  "  topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,"
  "  message TEXT, reason TEXT NOT NULL, rejected_at INTEGER NOT NULL,"
  "  PRIMARY KEY(topic, partition, offset))";

static const struct { size_t iOff; const char *zSql; } aStmt[] = {
  { offsetof(Applier, pBatch),      "SELECT polar_batch(?1)" },
  { offsetof(Applier, pLoad),       "SELECT polar_load(?1, ?2)" },
  { offsetof(Applier, pPolicyMsg),
    "SELECT json_type(?1, '$.policy'), json_type(?1, '$.policy.src'),"
    "       json_extract(?1, '$.policy.src'), json_type(?1, '$.policy.filename'),"
    "       json_extract(?1, '$.policy.filename'),"
    "       (SELECT group_concat(key, ', ') FROM json_each(?1) WHERE key<>'policy')" },
  { offsetof(Applier, pReject),
    "INSERT INTO main.polar_rejected(topic, partition, offset, message, reason,"
    " rejected_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)" },
  { offsetof(Applier, pMetaSet),
    "INSERT INTO main.polar_meta(key, value) VALUES(?1, ?2)"
    " ON CONFLICT(key) DO UPDATE SET value=excluded.value" },
  { offsetof(Applier, pMetaAdd),
    "INSERT INTO main.polar_meta(key, value) VALUES(?1, ?2)"
    " ON CONFLICT(key) DO UPDATE SET value=coalesce(value, 0)+excluded.value" },
  { offsetof(Applier, pMetaGet),    "SELECT value FROM main.polar_meta WHERE key=?1" },
  { offsetof(Applier, pSavepoint),  "SAVEPOINT polarlite_message" },
  { offsetof(Applier, pRelease),    "RELEASE polarlite_message" },
  { offsetof(Applier, pRollbackTo), "ROLLBACK TO polarlite_message" },
  { offsetof(Applier, pDataVersion), "PRAGMA main.data_version" },
};

static sqlite3_stmt **stmt_slot(Applier *A, size_t i){
  return (sqlite3_stmt**)((char*)A + aStmt[i].iOff);
}

/* Run a statement that returns no row we need; 0 or the SQLite code. */
static int run(sqlite3_stmt *pStmt){
  int rc = sqlite3_step(pStmt);
  sqlite3_reset(pStmt);
  return rc==SQLITE_DONE || rc==SQLITE_ROW ? 0 : rc;
}

static int meta_get(Applier *A, const char *zKey, int64_t *pV, int *pbHave, char *zText,
                    size_t nText){
  int rc;
  sqlite3_bind_text(A->pMetaGet, 1, zKey, -1, SQLITE_STATIC);
  rc = sqlite3_step(A->pMetaGet);
  *pbHave = 0;
  if( rc==SQLITE_ROW && sqlite3_column_type(A->pMetaGet, 0)!=SQLITE_NULL ){
    *pbHave = 1;
    if( pV ) *pV = sqlite3_column_int64(A->pMetaGet, 0);
    if( zText ) snprintf(zText, nText, "%s", (const char*)sqlite3_column_text(A->pMetaGet, 0));
  }
  sqlite3_reset(A->pMetaGet);
  return rc==SQLITE_ROW || rc==SQLITE_DONE ? 0 : rc;
}

static int meta_put(sqlite3_stmt *pStmt, const char *zKey, int64_t v){
  sqlite3_bind_text(pStmt, 1, zKey, -1, SQLITE_STATIC);
  sqlite3_bind_int64(pStmt, 2, v);
  return run(pStmt);
}

/* PRAGMA data_version: changes when another connection commits. */
static int data_version(Applier *A, int64_t *pV){
  int rc = sqlite3_step(A->pDataVersion);
  if( rc==SQLITE_ROW ) *pV = sqlite3_column_int64(A->pDataVersion, 0);
  sqlite3_reset(A->pDataVersion);
  return rc==SQLITE_ROW ? 0 : rc;
}

/* Read the committed position and totals into A->pos / A->tot. */
static int load_state(Applier *A, char *zErr, size_t nErr){
  int64_t v;
  int bHave, bTopic, rc;
  rc = data_version(A, &A->iDataVersion);
  if( rc ){
    snprintf(zErr, nErr, "cannot read the log position: %s", sqlite3_errmsg(A->db));
    return rc;
  }
  memset(&A->pos, 0, sizeof(A->pos));
  memset(&A->tot, 0, sizeof(A->tot));
  rc = meta_get(A, "log_topic", 0, &bTopic, A->pos.zTopic, sizeof(A->pos.zTopic));
  if( rc==0 ) rc = meta_get(A, "log_partition", &v, &bHave, 0, 0);
  if( rc==0 && bHave ) A->pos.iPartition = (int)v;
  if( rc==0 ) rc = meta_get(A, "log_offset", &v, &bHave, 0, 0);
  if( rc==0 && bHave ){ A->pos.iOffset = v; A->pos.bHave = 1; }
  if( rc==0 ) rc = meta_get(A, "applied_messages", &A->tot.nMessages, &bHave, 0, 0);
  if( rc==0 ) rc = meta_get(A, "applied_facts", &A->tot.nFacts, &bHave, 0, 0);
  if( rc==0 ) rc = meta_get(A, "rejected_count", &A->tot.nRejected, &bHave, 0, 0);
  if( rc==0 ) rc = meta_get(A, "policy_version", &v, &bHave, 0, 0);
  if( rc==0 && bHave ) A->tot.iPolicyVersion = (int)v;
  /* written by snapshot restore (snapshot.h) */
  if( rc==0 ) rc = meta_get(A, "snapshot_created_at", &A->tot.iSnapshotMs, &bHave, 0, 0);
  if( rc ) snprintf(zErr, nErr, "cannot read the log position: %s", sqlite3_errmsg(A->db));
  return rc;
}

/* sqlite3_wal_hook: the size of the WAL after each commit of ours. */
static int wal_hook(void *pArg, sqlite3 *db, const char *zDb, int nFrame){
  (void)db; (void)zDb;
  ((Applier*)pArg)->nWalFrames = nFrame;
  return SQLITE_OK;
}

/* The WAL only starts over from its beginning when a transaction begins
** after a checkpoint copied all of it and no reader still reads from it.
** Commits back to back (a backlog), or readers that always overlap, never
** leave that moment, and the WAL then grows by everything written. So once
** it holds APPLY_WAL_FRAMES, right after a COMMIT, this connection runs a
** RESTART checkpoint: the thread (checkpoint.c) has copied most of it
** already; this copies the rest (and syncs the database file: tens of
** milliseconds of apply, once per 64 MB written), waits up to 200 ms for
** readers to finish the statements that still read from the WAL (new ones
** read the database file), and the next transaction writes the WAL from
** its beginning again. If a reader takes longer, apply goes on and tries
** again a second later; if the thread's checkpoint is running (SQLite then
** answers BUSY at once), at the next commit. */
static void wal_restart(Applier *A){
  int64_t t = log_now_ms();
  int rc;
  if( A->nWalFrames<APPLY_WAL_FRAMES || t<A->iWalRetryMs ) return;
  sqlite3_busy_timeout(A->db, 200);
  rc = sqlite3_wal_checkpoint_v2(A->db, "main", SQLITE_CHECKPOINT_RESTART, 0, 0);
  sqlite3_busy_timeout(A->db, 10000);
  if( rc==SQLITE_OK ) A->nWalFrames = 0;
  else if( log_now_ms()-t>=100 ) A->iWalRetryMs = t + 1000;
}

int apply_open(const char *zPath, Applier **ppA, char *zErr, size_t nErr){
  Applier *A = calloc(1, sizeof(*A));
  sqlite3_stmt *pMode = 0;
  char *zMsg = 0;
  size_t i;
  int rc;
  *ppA = 0;
  if( A==0 ){ snprintf(zErr, nErr, "out of memory"); return 1; }
  if( engine_open(zPath, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, &A->db, &A->pConn,
                  zErr, nErr) ){
    free(A);
    return 1;
  }
  sqlite3_busy_timeout(A->db, 10000);
  /* WAL: readers never wait for apply. NORMAL: a commit is durable against
  ** a process crash; a power cut may lose the last groups, but never a
  ** group without its position, so the log replays them. */
  rc = sqlite3_prepare_v2(A->db, "PRAGMA journal_mode=WAL", -1, &pMode, 0);
  if( rc==SQLITE_OK && sqlite3_step(pMode)==SQLITE_ROW
   && sqlite3_stricmp((const char*)sqlite3_column_text(pMode, 0), "wal")!=0 ){
    snprintf(zErr, nErr, "%s: cannot switch to WAL mode (journal mode is %s)", zPath,
             (const char*)sqlite3_column_text(pMode, 0));
    sqlite3_finalize(pMode);
    apply_close(A);
    return 1;
  }
  rc = sqlite3_finalize(pMode);
  if( rc==SQLITE_OK ) rc = sqlite3_exec(A->db, "PRAGMA synchronous=NORMAL", 0, 0, &zMsg);
  /* a group of thousands of facts dirties pages of every fact table and
  ** its indexes: keep them in memory until COMMIT instead of spilling */
  if( rc==SQLITE_OK ) rc = sqlite3_exec(A->db, "PRAGMA cache_size=-131072", 0, 0, &zMsg);
  /* checkpoints run on their own connection (checkpoint.c), not inside a
  ** COMMIT of the apply loop; this connection only restarts a WAL grown
  ** past APPLY_WAL_FRAMES, between two groups (wal_restart) */
  if( rc==SQLITE_OK ) rc = sqlite3_exec(A->db, "PRAGMA wal_autocheckpoint=0", 0, 0, &zMsg);
  if( rc==SQLITE_OK ) sqlite3_wal_hook(A->db, wal_hook, A);
  /* polar_meta and polar_policy, when the file is new */
  if( rc==SQLITE_OK ) rc = pl_store_init(A->db, &zMsg);
  if( rc==SQLITE_OK ) rc = sqlite3_exec(A->db, zSchema, 0, 0, &zMsg);
  for(i=0; rc==SQLITE_OK && i<sizeof(aStmt)/sizeof(aStmt[0]); i++){
    rc = sqlite3_prepare_v3(A->db, aStmt[i].zSql, -1, SQLITE_PREPARE_PERSISTENT,
                            stmt_slot(A, i), 0);
  }
  if( rc!=SQLITE_OK ){
    snprintf(zErr, nErr, "%s: cannot prepare the database: %s", zPath,
             zMsg ? zMsg : sqlite3_errmsg(A->db));
    sqlite3_free(zMsg);
    apply_close(A);
    return 1;
  }
  if( load_state(A, zErr, nErr) ){ apply_close(A); return 1; }
  *ppA = A;
  return 0;
}

void apply_close(Applier *A){
  size_t i;
  if( A==0 ) return;
  if( A->bInTxn ) apply_rollback(A);
  for(i=0; i<sizeof(aStmt)/sizeof(aStmt[0]); i++) sqlite3_finalize(*stmt_slot(A, i));
  sqlite3_close(A->db);
  free(A);
}

void apply_position(Applier *A, ApplyPos *pPos){ *pPos = A->pos; }

void apply_totals(Applier *A, ApplyTotals *pTot){ *pTot = A->tot; }

int apply_group_size(Applier *A){ return A->nGroup; }

int apply_is_empty(Applier *A){
  sqlite3_stmt *pStmt = 0;
  int bEmpty = 0;
  if( A->pos.bHave || A->tot.iPolicyVersion>0 ) return 0;
  if( sqlite3_prepare_v2(A->db, "SELECT fact_count FROM polar_status", -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    bEmpty = sqlite3_column_int64(pStmt, 0)==0;
  }
  sqlite3_finalize(pStmt);
  return bEmpty;
}

int apply_dev_start(Applier *A, char **pzPolicyMsg, char *zErr, size_t nErr){
  int64_t v = 0;
  int bDev = 0, rc;
  *pzPolicyMsg = 0;
  zErr[0] = 0;
  rc = sqlite3_exec(A->db, "BEGIN IMMEDIATE", 0, 0, 0);
  if( rc==SQLITE_OK ) rc = load_state(A, zErr, nErr);
  if( rc==SQLITE_OK ) rc = meta_get(A, "log_dev", &v, &bDev, 0, 0);
  if( rc==SQLITE_OK && A->pos.bHave && !(bDev && v==1) ){
    snprintf(zErr, nErr, "the database was fed from a Kafka log (topic %s, up to offset "
             "%lld); --dev starts an empty log of its own and would drop that position: "
             "give --dev a database of its own", A->pos.zTopic[0] ? A->pos.zTopic : "?",
             (long long)A->pos.iOffset);
    sqlite3_exec(A->db, "ROLLBACK", 0, 0, 0);
    return APPLY_FATAL;
  }
  /* the earlier run's log is gone with its process: keep the facts and the
  ** policy, read the new log from its start */
  if( rc==SQLITE_OK && A->pos.bHave ){
    sqlite3_stmt *pStmt = 0;
    /* the refused messages of that log go with it: their offsets would
    ** name messages of the new one (polar_wait reads them) */
    rc = sqlite3_exec(A->db, "DELETE FROM main.polar_meta WHERE key IN ('log_topic', "
                      "'log_partition', 'log_offset', 'log_high_watermark');"
                      "DELETE FROM main.polar_rejected", 0, 0, 0);
    if( rc==SQLITE_OK ){
      rc = sqlite3_prepare_v2(A->db, "SELECT json_object('policy', json_object('src', p.src, "
          "'filename', p.filename)) FROM main.polar_policy p, main.polar_meta m "
          "WHERE m.key='policy_version' AND p.version=m.value", -1, &pStmt, 0);
    }
    if( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
      *pzPolicyMsg = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
      if( *pzPolicyMsg==0 ) rc = SQLITE_NOMEM;
    }
    if( rc==SQLITE_OK ) rc = sqlite3_finalize(pStmt); else sqlite3_finalize(pStmt);
  }
  if( rc==SQLITE_OK ) rc = meta_put(A->pMetaSet, "log_dev", 1);
  if( rc==SQLITE_OK ) rc = sqlite3_exec(A->db, "COMMIT", 0, 0, 0);
  if( rc==SQLITE_OK ) rc = load_state(A, zErr, nErr);
  if( rc!=SQLITE_OK ){
    if( zErr[0]==0 ) snprintf(zErr, nErr, "--dev: %s", sqlite3_errmsg(A->db));
    if( !sqlite3_get_autocommit(A->db) ) sqlite3_exec(A->db, "ROLLBACK", 0, 0, 0);
    sqlite3_free(*pzPolicyMsg);
    *pzPolicyMsg = 0;
    return APPLY_FATAL;
  }
  return APPLY_OK;
}

int apply_reload(Applier *A, char *zErr, size_t nErr){
  return load_state(A, zErr, nErr) ? APPLY_FATAL : APPLY_OK;
}

static int same_position(const ApplyPos *a, const ApplyPos *b){
  if( a->bHave!=b->bHave ) return 0;
  return !a->bHave || (a->iOffset==b->iOffset && a->iPartition==b->iPartition
                       && strcmp(a->zTopic, b->zTopic)==0);
}

/* Another connection committed since we last looked (an application
** writing facts, or `polarlite restore` installing a snapshot into the
** live file): read the position again. APPLY_OK, APPLY_MOVED or
** APPLY_FATAL. */
static int reload_if_changed(Applier *A, char *zErr, size_t nErr){
  int64_t v = 0;
  ApplyPos old;
  if( data_version(A, &v) ){
    snprintf(zErr, nErr, "cannot read the log position: %s", sqlite3_errmsg(A->db));
    return APPLY_FATAL;
  }
  if( v==A->iDataVersion ) return APPLY_OK;
  old = A->pos;
  if( load_state(A, zErr, nErr) ) return APPLY_FATAL;
  return same_position(&old, &A->pos) ? APPLY_OK : APPLY_MOVED;
}

int apply_check_moved(Applier *A, char *zErr, size_t nErr){
  return reload_if_changed(A, zErr, nErr);
}

int apply_begin(Applier *A, char *zErr, size_t nErr){
  int rc = sqlite3_exec(A->db, "BEGIN IMMEDIATE", 0, 0, 0);
  if( rc!=SQLITE_OK ){
    snprintf(zErr, nErr, "cannot start a transaction: %s", sqlite3_errmsg(A->db));
    return APPLY_FATAL;
  }
  /* under the write lock, so nothing is applied on top of a position that
  ** is no longer there */
  rc = reload_if_changed(A, zErr, nErr);
  if( rc!=APPLY_OK ){
    sqlite3_exec(A->db, "ROLLBACK", 0, 0, 0);
    return rc;
  }
  A->bInTxn = 1;
  A->nGroup = 0;
  A->groupPos = A->pos;
  A->iGroupTs = 0;
  A->nGroupMsgs = A->nGroupFacts = A->nGroupRejected = 0;
  return 0;
}

/* The first byte of the message that is not JSON whitespace, or 0. */
static char first_byte(const ApplyMsg *m){
  size_t i = 0;
  while( m->pData && i<m->nData && (m->pData[i]==' ' || m->pData[i]=='\t'
                                    || m->pData[i]=='\n' || m->pData[i]=='\r') ) i++;
  return m->pData && i<m->nData ? m->pData[i] : 0;
}

/* Apply the body of one message; returns an SQLite code, reason in zReason. */
static int apply_body(Applier *A, const ApplyMsg *m, int *pnFacts, char *zReason,
                      size_t nReason){
  size_t i = 0;
  int rc;
  *pnFacts = 0;
  while( m->pData && i<m->nData && (m->pData[i]==' ' || m->pData[i]=='\t'
                                    || m->pData[i]=='\n' || m->pData[i]=='\r') ) i++;
  if( m->pData==0 || i==m->nData ){
    snprintf(zReason, nReason, "empty message: expected a JSON array (a batch) or "
             "an object {\"policy\": {\"src\": ...}}");
    return SQLITE_ERROR;
  }
  if( m->nData>0x7fffffff ){
    snprintf(zReason, nReason, "message of %zu bytes is too large", m->nData);
    return SQLITE_TOOBIG;
  }
  if( m->pData[i]=='[' ){
    sqlite3_bind_text(A->pBatch, 1, m->pData, (int)m->nData, SQLITE_STATIC);
    rc = sqlite3_step(A->pBatch);
    if( rc==SQLITE_ROW ){
      *pnFacts = sqlite3_column_int(A->pBatch, 0);
      rc = SQLITE_OK;
    }else{
      rc = sqlite3_extended_errcode(A->db);
      snprintf(zReason, nReason, "%s", sqlite3_errmsg(A->db));
    }
    sqlite3_reset(A->pBatch);
    sqlite3_clear_bindings(A->pBatch);
    return rc;
  }
  if( m->pData[i]=='{' ){
    sqlite3_stmt *p = A->pPolicyMsg;
    sqlite3_bind_text(p, 1, m->pData, (int)m->nData, SQLITE_STATIC);
    rc = sqlite3_step(p);
    if( rc!=SQLITE_ROW ){
      rc = sqlite3_extended_errcode(A->db);
      snprintf(zReason, nReason, "policy message: %s", sqlite3_errmsg(A->db));
    }else if( sqlite3_column_type(p, 5)!=SQLITE_NULL ){
      snprintf(zReason, nReason, "policy message: unknown key(s) %s: the object must be "
               "{\"policy\": {\"src\": ..., \"filename\": ...}}", sqlite3_column_text(p, 5));
      rc = SQLITE_ERROR;
    }else if( sqlite3_column_type(p, 0)==SQLITE_NULL ){
      snprintf(zReason, nReason, "policy message: no \"policy\" key: the object must be "
               "{\"policy\": {\"src\": ..., \"filename\": ...}}");
      rc = SQLITE_ERROR;
    }else if( sqlite3_column_type(p, 1)==SQLITE_NULL
           || strcmp((const char*)sqlite3_column_text(p, 1), "text")!=0 ){
      snprintf(zReason, nReason, "policy message: \"policy.src\" must be a string "
               "holding the policy source");
      rc = SQLITE_ERROR;
    }else if( sqlite3_column_type(p, 3)!=SQLITE_NULL
           && strcmp((const char*)sqlite3_column_text(p, 3), "text")!=0
           && strcmp((const char*)sqlite3_column_text(p, 3), "null")!=0 ){
      snprintf(zReason, nReason, "policy message: \"policy.filename\" must be a string");
      rc = SQLITE_ERROR;
    }else{
      sqlite3_bind_value(A->pLoad, 1, sqlite3_column_value(p, 2));
      sqlite3_bind_value(A->pLoad, 2, sqlite3_column_value(p, 4));
      rc = sqlite3_step(A->pLoad);
      if( rc==SQLITE_ROW ){
        rc = SQLITE_OK;
      }else{
        rc = sqlite3_extended_errcode(A->db);
        snprintf(zReason, nReason, "policy message: %s", sqlite3_errmsg(A->db));
      }
      sqlite3_reset(A->pLoad);
      sqlite3_clear_bindings(A->pLoad);
    }
    sqlite3_reset(p);
    sqlite3_clear_bindings(p);
    return rc;
  }
  snprintf(zReason, nReason, "not a log message: expected a JSON array (a batch) or an "
           "object {\"policy\": {\"src\": ...}}, found '%c' at byte %zu",
           m->pData[i], i);
  return SQLITE_ERROR;
}

static int record_reject(Applier *A, const ApplyMsg *m, const char *zReason){
  sqlite3_stmt *p = A->pReject;
  sqlite3_bind_text(p, 1, m->zTopic, -1, SQLITE_STATIC);
  sqlite3_bind_int(p, 2, m->iPartition);
  sqlite3_bind_int64(p, 3, m->iOffset);
  if( m->pData && m->nData<=0x7fffffff ){
    sqlite3_bind_text(p, 4, m->pData, (int)m->nData, SQLITE_STATIC);
  }else{
    sqlite3_bind_null(p, 4);
  }
  sqlite3_bind_text(p, 5, zReason, -1, SQLITE_STATIC);
  sqlite3_bind_int64(p, 6, log_now_ms());
  return run(p);
}

/* Move the group's position past m. */
static void advance(Applier *A, const ApplyMsg *m){
  snprintf(A->groupPos.zTopic, sizeof(A->groupPos.zTopic), "%s", m->zTopic);
  A->groupPos.iPartition = m->iPartition;
  A->groupPos.iOffset = m->iOffset;
  A->groupPos.bHave = 1;
  A->iGroupTs = m->iTimestampMs;
  A->nGroup++;
}

int apply_message(Applier *A, const ApplyMsg *m, int bRecord, int *pnFacts,
                  char *zReason, size_t nReason){
  int rc, bSavepoint;
  *pnFacts = 0;
  zReason[0] = 0;
  if( A->groupPos.bHave && m->iPartition==A->groupPos.iPartition
   && m->iOffset<=A->groupPos.iOffset ){
    return APPLY_SKIPPED;           /* already in the database */
  }
  bSavepoint = first_byte(m)!='[';  /* a batch is all or nothing by itself */
  if( bSavepoint && (rc = run(A->pSavepoint))!=0 ){
    snprintf(zReason, nReason, "SAVEPOINT failed: %s", sqlite3_errmsg(A->db));
    return APPLY_FATAL;
  }
  rc = apply_body(A, m, pnFacts, zReason, nReason);
  if( rc==SQLITE_OK ){
    rc = bSavepoint ? run(A->pRelease) : 0;
    if( rc ){
      snprintf(zReason, nReason, "RELEASE failed: %s", sqlite3_errmsg(A->db));
      return APPLY_FATAL;
    }
    advance(A, m);
    A->nGroupMsgs++;
    A->nGroupFacts += *pnFacts;
    return APPLY_OK;
  }
  *pnFacts = 0;
  if( !is_message_fault(rc) || sqlite3_get_autocommit(A->db) ){
    /* the database, not the message, failed (or SQLite already rolled the
    ** transaction back): nothing of this group may be kept */
    return APPLY_FATAL;
  }
  if( bSavepoint && (run(A->pRollbackTo) || run(A->pRelease)) ){
    snprintf(zReason, nReason, "ROLLBACK TO failed: %s", sqlite3_errmsg(A->db));
    return APPLY_FATAL;
  }
  if( bRecord ){
    if( record_reject(A, m, zReason) ){
      snprintf(zReason, nReason, "cannot record the rejected message: %s",
               sqlite3_errmsg(A->db));
      return APPLY_FATAL;
    }
    advance(A, m);
    A->nGroupRejected++;
  }
  return APPLY_REJECTED;
}

int apply_commit(Applier *A, int64_t iHighWatermark, char *zErr, size_t nErr){
  int rc = 0;
  int64_t tNow = log_now_ms();
  const ApplyPos *p = &A->groupPos;
  if( A->nGroup==0 ){
    apply_rollback(A);
    return 0;
  }
  sqlite3_bind_text(A->pMetaSet, 1, "log_topic", -1, SQLITE_STATIC);
  sqlite3_bind_text(A->pMetaSet, 2, p->zTopic, -1, SQLITE_STATIC);
  rc = run(A->pMetaSet);
  if( rc==0 ) rc = meta_put(A->pMetaSet, "log_partition", p->iPartition);
  if( rc==0 ) rc = meta_put(A->pMetaSet, "log_offset", p->iOffset);
  if( rc==0 ) rc = meta_put(A->pMetaSet, "applied_at", tNow);
  if( rc==0 && A->iGroupTs>0 ){
    rc = meta_put(A->pMetaSet, "last_message_ts", A->iGroupTs);
    if( rc==0 ) rc = meta_put(A->pMetaSet, "lag_ms", tNow>A->iGroupTs ? tNow-A->iGroupTs : 0);
  }
  if( rc==0 && iHighWatermark>=0 ){
    rc = meta_put(A->pMetaSet, "log_high_watermark",
                  iHighWatermark>p->iOffset ? iHighWatermark : p->iOffset+1);
  }
  if( rc==0 ) rc = meta_put(A->pMetaAdd, "applied_messages", A->nGroupMsgs);
  if( rc==0 ) rc = meta_put(A->pMetaAdd, "applied_facts", A->nGroupFacts);
  if( rc==0 ) rc = meta_put(A->pMetaAdd, "rejected_count", A->nGroupRejected);
  if( rc==0 ) rc = sqlite3_exec(A->db, "COMMIT", 0, 0, 0);
  if( rc ){
    snprintf(zErr, nErr, "cannot commit the applied messages: %s", sqlite3_errmsg(A->db));
    apply_rollback(A);
    return rc;
  }
  A->bInTxn = 0;
  A->pos = *p;
  A->tot.nMessages += A->nGroupMsgs;
  A->tot.nFacts += A->nGroupFacts;
  A->tot.nRejected += A->nGroupRejected;
  {
    int64_t v; int bHave;
    if( meta_get(A, "policy_version", &v, &bHave, 0, 0)==0 && bHave ){
      A->tot.iPolicyVersion = (int)v;
    }
  }
  wal_restart(A);
  return 0;
}

void apply_rollback(Applier *A){
  if( !sqlite3_get_autocommit(A->db) ) sqlite3_exec(A->db, "ROLLBACK", 0, 0, 0);
  A->bInTxn = 0;
  A->nGroup = 0;
  A->groupPos = A->pos;
}
