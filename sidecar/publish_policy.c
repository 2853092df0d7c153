/*
** publish_policy.c — the policy `polarlite publish` checks facts against,
** and the check (publish.h).
**
** A fact the policy refuses would be refused by every sidecar: rejected
** downstream, recorded in polar_rejected, and lost to the writer unless it
** waits on the token. So publish loads the policy the sidecars will apply
** the write under into a private in-memory engine and runs the write
** through polar_batch there, inside a savepoint it then rolls back: the
** same code that applies it downstream.
**
** Where the policy comes from: --policy FILE, --db FILE (the policy stored
** in a database fed by the log), or else the last policy message on the
** topic. The log is read backwards in windows that grow (64, 256, 1024...
** messages before the end) until a window holds a policy message that
** loads; a policy message the sidecars refused (it does not load) is
** passed over, as they passed over it.
*/
#include "publish.h"
#include "engine.h"
#include "log.h"
#include "pl_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Load zSrc as the connection's policy, tests included, as polar_load does. */
static int load_policy(PlConn *c, const char *zSrc, size_t nSrc, const char *zFile,
                       char *zErr, size_t nErr){
  char *zMsg = 0;
  int iVersion, rc;
  if( nSrc>0x7fffffff ){
    snprintf(zErr, nErr, "%s: the policy is too large", zFile);
    return -1;
  }
  rc = pl_conn_load(c, zSrc, (int)nSrc, zFile, pl_tests_check, &iVersion, &zMsg);
  if( rc!=SQLITE_OK ) snprintf(zErr, nErr, "%s", zMsg ? zMsg : sqlite3_errstr(rc));
  sqlite3_free(zMsg);
  return rc==SQLITE_OK ? 0 : -1;
}

int pub_policy_file(PlConn *c, const char *zFile, char *zErr, size_t nErr){
  char *zSrc = 0;
  size_t nSrc = 0;
  const char *zBase = strrchr(zFile, '/');
  int rc;
  if( read_whole_file(zFile, &zSrc, &nSrc, zErr, nErr) ) return -1;
  rc = load_policy(c, zSrc, nSrc, zBase ? zBase+1 : zFile, zErr, nErr);
  free(zSrc);
  return rc;
}

int pub_policy_db(PlConn *c, const char *zDb, char *zErr, size_t nErr){
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_open_v2(zDb, &db, SQLITE_OPEN_READONLY, 0);
  if( rc==SQLITE_OK ){
    sqlite3_busy_timeout(db, 5000);
    rc = sqlite3_prepare_v2(db, "SELECT p.src, p.filename FROM main.polar_policy p, "
                            "main.polar_meta m WHERE m.key='policy_version' "
                            "AND p.version=m.value", -1, &pStmt, 0);
  }
  if( rc!=SQLITE_OK ){
    /* SQLITE_ERROR: no such table */
    snprintf(zErr, nErr, "--db %s: %s%s", zDb, rc==SQLITE_ERROR ? "not a polarlite database: " : "",
             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return -1;
  }
  rc = sqlite3_step(pStmt);
  if( rc==SQLITE_ROW ){
    rc = load_policy(c, (const char*)sqlite3_column_text(pStmt, 0),
                     (size_t)sqlite3_column_bytes(pStmt, 0),
                     sqlite3_column_text(pStmt, 1) ? (const char*)sqlite3_column_text(pStmt, 1)
                                                   : "policy.polar", zErr, nErr);
  }else if( rc==SQLITE_DONE ){
    snprintf(zErr, nErr, "--db %s holds no policy yet", zDb);
    rc = -1;
  }else{
    snprintf(zErr, nErr, "--db %s: %s", zDb, sqlite3_errmsg(db));
    rc = -1;
  }
  sqlite3_finalize(pStmt);
  sqlite3_close(db);
  return rc;
}

/* One policy message seen in a window of the log. */
typedef struct PolicyMsg { int64_t iOffset; char *z; size_t n; } PolicyMsg;

/* Load the policy message z (its "src" and "filename"), 0 or -1. */
static int load_policy_message(PlConn *c, const char *z, size_t n, char *zErr, size_t nErr){
  sqlite3_stmt *pStmt = 0;
  int rc = -1;
  if( n>0x7fffffff ) return -1;
  if( sqlite3_prepare_v2(pl_conn_db(c), "SELECT json_extract(?1, '$.policy.src'), "
                         "coalesce(json_extract(?1, '$.policy.filename'), 'policy.polar')",
                         -1, &pStmt, 0)==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, z, (int)n, SQLITE_STATIC);
    if( sqlite3_step(pStmt)==SQLITE_ROW && sqlite3_column_type(pStmt, 0)==SQLITE_TEXT ){
      rc = load_policy(c, (const char*)sqlite3_column_text(pStmt, 0),
                       (size_t)sqlite3_column_bytes(pStmt, 0),
                       (const char*)sqlite3_column_text(pStmt, 1), zErr, nErr);
    }
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/* Read offsets [iStart, iEnd) and keep the policy messages, in log order.
** 0, or -1 when the deadline passed first. */
static int read_window(Reader *R, int64_t iStart, int64_t iEnd, int64_t iDeadline,
                       PolicyMsg **paMsg, int *pnMsg, char *zErr, size_t nErr){
  int64_t iNext = iStart;
  if( reader_start(R, iStart, zErr, nErr) ) return -1;
  while( iNext<iEnd ){
    rd_kafka_message_t *m;
    if( log_now_ms()>iDeadline ){
      snprintf(zErr, nErr, "timed out reading the log (at offset %lld)", (long long)iNext);
      return -1;
    }
    m = reader_poll(R, 100);
    if( m==0 ) continue;
    if( m->err ){
      if( reader_is_out_of_range(m) ){
        /* retention removed the window's start meanwhile: read what is left */
        rd_kafka_message_destroy(m);
        return 0;
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    if( m->offset>=iEnd ){ rd_kafka_message_destroy(m); break; }
    iNext = m->offset + 1;
    {
      const char *z = m->payload;
      size_t n = m->len, i = 0;
      while( z && i<n && (z[i]==' ' || z[i]=='\t' || z[i]=='\n' || z[i]=='\r') ) i++;
      if( z && i<n && z[i]=='{' ){
        PolicyMsg *aNew = realloc(*paMsg, sizeof(PolicyMsg)*(size_t)(*pnMsg+1));
        char *zCopy = malloc(n ? n : 1);
        if( aNew==0 || zCopy==0 ){
          free(zCopy);
          if( aNew ) *paMsg = aNew;
          rd_kafka_message_destroy(m);
          snprintf(zErr, nErr, "out of memory");
          return -1;
        }
        memcpy(zCopy, z, n);
        *paMsg = aNew;
        aNew[*pnMsg].iOffset = m->offset;
        aNew[*pnMsg].z = zCopy;
        aNew[*pnMsg].n = n;
        (*pnMsg)++;
      }
    }
    rd_kafka_message_destroy(m);
  }
  return 0;
}

int pub_policy_topic(PlConn *c, const KafkaOpts *o, int timeoutMs, int64_t *piOffset,
                     char *zErr, size_t nErr){
  rd_kafka_conf_t *conf = kafka_conf(o, kafka_reader_conf, zErr, nErr);
  Reader *R = 0;
  int64_t lo = -1, hi = -1, iEnd, nWindow = 64;
  int64_t iDeadline = log_now_ms() + timeoutMs;
  int rc = -1;
  if( conf==0 ) return -1;
  if( reader_open(o, conf, &R, zErr, nErr) ) return -1;
  {
    /* a failed request (a leader moving) is asked again until the deadline */
    rd_kafka_resp_err_t err;
    while( (err = reader_watermarks(R, &lo, &hi, timeoutMs))!=RD_KAFKA_RESP_ERR_NO_ERROR
        && log_now_ms()+100<iDeadline ){
      struct timespec ts = { 0, 100000000L };
      nanosleep(&ts, 0);
    }
    if( err ){
      snprintf(zErr, nErr, "cannot read the ends of %s [%d]: %s", o->zTopic, o->iPartition,
               rd_kafka_err2str(err));
      reader_close(R);
      return -1;
    }
  }
  for(iEnd=hi; iEnd>lo && rc<0; nWindow*=4){
    int64_t iStart = iEnd - nWindow < lo ? lo : iEnd - nWindow;
    PolicyMsg *aMsg = 0;
    int nMsg = 0, i;
    if( read_window(R, iStart, iEnd, iDeadline, &aMsg, &nMsg, zErr, nErr) ){
      for(i=0; i<nMsg; i++) free(aMsg[i].z);
      free(aMsg);
      break;
    }
    for(i=nMsg-1; i>=0 && rc<0; i--){
      char zWhy[1024];
      if( load_policy_message(c, aMsg[i].z, aMsg[i].n, zWhy, sizeof(zWhy))==0 ){
        *piOffset = aMsg[i].iOffset;
        rc = 0;
      }
    }
    for(i=0; i<nMsg; i++) free(aMsg[i].z);
    free(aMsg);
    iEnd = iStart;
  }
  if( rc<0 && iEnd<=lo && hi==lo ){
    snprintf(zErr, nErr, "%s [%d] holds no message yet: publish a policy first", o->zTopic,
             o->iPartition);
  }else if( rc<0 && iEnd<=lo ){
    snprintf(zErr, nErr, "no policy message in %s [%d] (offsets %lld..%lld)%s", o->zTopic,
             o->iPartition, (long long)lo, (long long)hi-1,
             lo>0 ? ": retention may have removed it" : "");
  }
  reader_close(R);
  return rc;
}

int pub_check(PlConn *c, const char *z, size_t n, char *zErr, size_t nErr){
  sqlite3 *db = pl_conn_db(c);
  sqlite3_stmt *pStmt = 0;
  int rc;
  if( n>0x7fffffff ){
    snprintf(zErr, nErr, "the message is too large");
    return -1;
  }
  rc = sqlite3_exec(db, "SAVEPOINT publish_check", 0, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(db, "SELECT polar_batch(?1)", -1, &pStmt, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, z, (int)n, SQLITE_STATIC);
    rc = sqlite3_step(pStmt)==SQLITE_ROW ? SQLITE_OK : SQLITE_ERROR;
    if( rc!=SQLITE_OK ) snprintf(zErr, nErr, "%s", sqlite3_errmsg(db));
  }else{
    snprintf(zErr, nErr, "%s", sqlite3_errmsg(db));
  }
  sqlite3_finalize(pStmt);
  sqlite3_exec(db, "ROLLBACK TO publish_check; RELEASE publish_check", 0, 0, 0);
  return rc==SQLITE_OK ? 0 : -1;
}
