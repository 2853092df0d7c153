/*
** serve_api_write.c — the writes of `polarlite serve`:
**
**   POST /api/batch          [{"inserts": [Fact]} | {"deletes": [pattern]}, ...]
**   POST /api/policy         {"src", "filename"}: 200 changed, 202 unchanged
**   POST /api/clear_data     every stored fact deleted (the policy stays)
**   POST /api/facts, DELETE /api/facts, POST /api/bulk, /api/bulk_load,
**   /api/bulk_delete          the older forms, each turned into a batch body
**
** Every fact write is a batch body, written one way. On a node without
** --brokers it is applied to the file by polar_batch in one transaction
** that also counts the write (polar_meta local_writes), and OsoOffset is
** "local:<count>". On an edge node it is first checked by the engine
** exactly as a sidecar will apply it (polar_batch in a transaction that is
** rolled back: the types against the policy this node has applied), then
** published to the log through the same producer as `polarlite publish`
** (call_publish: the worker goes on while the brokers answer), and
** OsoOffset is its log position "<partition>:<offset>". A policy is
** loaded by polar_load (its tests run), or checked by the same validation
** and published. Refusals name the problem (422); a write is never half
** applied.
*/
#include "serve_value.h"
#include "engine.h"
#include "log.h"
#include "pl_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Step the fixed statement e to its end; 0, or the error's status. */
static int run_stmt(Call *C, int e){
  char *zErr = 0;
  sqlite3_stmt *p = worker_stmt(C->w, e, &zErr);
  int rc, status = 0;
  if( p==0 ){
    status = worker_error(C, SQLITE_ERROR, zErr);
    sqlite3_free(zErr);
    return status;
  }
  while( (rc = sqlite3_step(p))==SQLITE_ROW ){}
  if( rc!=SQLITE_DONE ) status = worker_error(C, rc, 0);
  sqlite3_reset(p);
  return status;
}

static void rollback(Call *C){
  sqlite3 *db = worker_db(C->w);
  if( !sqlite3_get_autocommit(db) ) sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
}

/* Step statement p (bound) once for its single value; 0 or a status. */
static int step_value(Call *C, sqlite3_stmt *p, int64_t *pv){
  int rc = sqlite3_step(p), status = 0;
  if( rc==SQLITE_ROW ){
    *pv = sqlite3_column_int64(p, 0);
  }else{
    status = worker_error(C, rc==SQLITE_DONE ? SQLITE_ERROR : rc, 0);
  }
  sqlite3_reset(p);
  return status;
}

/* Local mode: this node writes its file itself, so no sidecar may feed
** the file from a log (the two would diverge). */
static int local_allowed(Call *C){
  Position pos;
  worker_position(C->w, &pos);
  if( pos.bLog ){
    return call_error(C, 409, "this database is fed from a log by a sidecar: start polarlite "
                      "serve with --brokers and --topic to publish writes to that log");
  }
  return 0;
}

/* Apply or check the batch body z in a transaction; bKeep: commit it and
** count the write (the token in C->zOffset), else roll it back. */
static int apply_batch(Call *C, const char *z, size_t n, int bKeep, int64_t *pnChanged){
  char *zErr = 0;
  sqlite3_stmt *p;
  int status;
  if( n>0x7fffffff ) return call_error(C, 413, "the batch is too large");
  if( (status = run_stmt(C, W_BEGIN))!=0 ) return status;
  p = worker_stmt(C->w, W_BATCH, &zErr);
  if( p==0 ){
    status = worker_error(C, SQLITE_ERROR, zErr);
    sqlite3_free(zErr);
    rollback(C);
    return status;
  }
  sqlite3_bind_text(p, 1, z, (int)n, SQLITE_STATIC);
  status = step_value(C, p, pnChanged);
  if( status==0 && bKeep ){
    int64_t iCount = 0;
    p = worker_stmt(C->w, W_LOCAL_BUMP, &zErr);
    if( p==0 ){
      status = worker_error(C, SQLITE_ERROR, zErr);
      sqlite3_free(zErr);
    }else{
      status = step_value(C, p, &iCount);
    }
    if( status==0 ) status = run_stmt(C, W_COMMIT);
    if( status==0 ) snprintf(C->zOffset, sizeof(C->zOffset), "local:%lld", (long long)iCount);
  }
  rollback(C);                    /* the check, or whatever failed */
  return status;
}

/* Write batch body z: applied here, or checked and published. */
static int write_batch(Call *C, const char *z, size_t n){
  int64_t nChanged = 0;
  int status;
  const PlPolicy *pPol;
  if( (status = sv_policy(C, &pPol))!=0 ) return status;
  if( C->pS->eNode==NODE_LOCAL ){
    if( (status = local_allowed(C))!=0 ) return status;
    if( (status = apply_batch(C, z, n, 1, &nChanged))!=0 ) return status;
    out_printf(&C->out, "{\"message\":\"%lld facts changed\"}", (long long)nChanged);
    return 200;
  }
  if( (status = apply_batch(C, z, n, 0, &nChanged))!=0 ) return status;
  return call_publish(C, z, n, "facts");
}

int api_batch(Call *C){
  if( C->nBody==0 ) return call_error(C, 422, "POST /api/batch needs a JSON array of changesets");
  return write_batch(C, C->zBody, C->nBody);
}

int api_legacy_write(Call *C){
  static const int aKind[EP_N] = {
    [EP_FACTS_POST] = WRITE_FACT_INSERT, [EP_FACTS_DELETE] = WRITE_FACT_DELETE,
    [EP_BULK] = WRITE_BULK, [EP_BULK_LOAD] = WRITE_BULK_LOAD, [EP_BULK_DELETE] = WRITE_BULK_DELETE,
  };
  char zErr[512], *zBatch = 0;
  size_t nBatch = 0;
  int status;
  if( sj_batch_of(&C->doc, aKind[C->iEndpoint], &zBatch, &nBatch, zErr, sizeof(zErr)) ){
    return call_error(C, 422, "%s", zErr);
  }
  status = write_batch(C, zBatch, nBatch);
  free(zBatch);
  if( status==200 && C->iEndpoint==EP_FACTS_POST ){
    /* the older SDKs read back the fact they told (a local node; an edge
    ** node answers {"message"} once the log has it) */
    out_reset(&C->out);
    out_raw(&C->out, C->zBody, C->nBody);
  }
  return status;
}

/* The token of what the file has applied, for an unchanged write. */
static void current_token(Call *C){
  Position pos;
  Token t;
  worker_position(C->w, &pos);
  memset(&t, 0, sizeof(t));
  if( C->pS->eNode==NODE_LOCAL ){
    t.bLocal = 1;
    t.iOffset = pos.iLocal;
  }else if( pos.bLog ){
    t.iPartition = pos.iPartition;
    t.iOffset = pos.iOffset;
  }else{
    return;
  }
  token_format(&t, C->zOffset, sizeof(C->zOffset));
}

int api_policy_post(Call *C){
  const char *zSrc, *zFile = 0;
  int nSrc, status, bSame = 0;
  char zErr[4096], *zE = 0;
  sqlite3_stmt *p;
  if( sj_policy_req(&C->doc, 0, &zSrc, &nSrc, &zFile, zErr, sizeof(zErr)) ){
    return call_error(C, 422, "%s", zErr);
  }
  /* the same source as the current policy: nothing to do (202) */
  p = worker_stmt(C->w, W_POLICY_GET, &zE);
  sqlite3_free(zE);
  zE = 0;
  if( p ){
    if( sqlite3_step(p)==SQLITE_ROW ){
      bSame = sqlite3_column_bytes(p, 0)==nSrc
           && memcmp(sqlite3_column_text(p, 0), zSrc, (size_t)nSrc)==0;
    }
    sqlite3_reset(p);
  }
  if( bSame ){
    current_token(C);
    out_str(&C->out, "{\"message\":\"policy unchanged\"}");
    return 202;
  }
  if( C->pS->eNode==NODE_LOCAL ){
    int64_t iVersion = 0, iCount = 0;
    if( (status = local_allowed(C))!=0 ) return status;
    if( (status = run_stmt(C, W_BEGIN))!=0 ) return status;
    p = worker_stmt(C->w, W_POLICY_LOAD, &zE);
    if( p==0 ){
      status = worker_error(C, SQLITE_ERROR, zE);
      sqlite3_free(zE);
      zE = 0;
    }else{
      sqlite3_bind_text(p, 1, zSrc, nSrc, SQLITE_STATIC);
      if( zFile ) sqlite3_bind_text(p, 2, zFile, -1, SQLITE_STATIC);
      status = step_value(C, p, &iVersion);
    }
    if( status==0 ){
      p = worker_stmt(C->w, W_LOCAL_BUMP, &zE);
      status = p ? step_value(C, p, &iCount) : worker_error(C, SQLITE_ERROR, zE);
      sqlite3_free(zE);
    }
    if( status==0 ) status = run_stmt(C, W_COMMIT);
    rollback(C);
    if( status ) return status;
    snprintf(C->zOffset, sizeof(C->zOffset), "local:%lld", (long long)iCount);
    out_printf(&C->out, "{\"message\":\"policy version %lld loaded\"}", (long long)iVersion);
    return 200;
  }
  /* edge: validated (and tested) as polar_load does, then published */
  if( engine_check_policy(zSrc, (size_t)nSrc, zFile && zFile[0] ? zFile : "policy.polar", 1,
                          zErr, sizeof(zErr)) ){
    return call_error(C, 422, "%s", zErr);
  }
  {
    Out msg;
    memset(&msg, 0, sizeof(msg));
    out_str(&msg, "{\"policy\":{\"src\":");
    out_json(&msg, zSrc, (size_t)nSrc);
    out_str(&msg, ",\"filename\":");
    if( zFile ) out_json(&msg, zFile, strlen(zFile)); else out_str(&msg, "null");
    out_str(&msg, "}}");
    status = msg.bOom ? call_error(C, 500, "out of memory") : call_publish(C, msg.z, msg.n, "policy");
    out_free(&msg);
  }
  return status;
}

/* Append {"predicate": P, "args": [null x n]} for pred/arity, unless
** already in o (the list is short: one per fact table); *pn counts them. */
static void clear_one(Out *o, int *pn, const char *zPred, int nPred, int nArg){
  char zNeedle[300];
  int k;
  snprintf(zNeedle, sizeof(zNeedle), "{\"predicate\":\"%.*s\",\"args\":[%s", nPred, zPred,
           "{\"type\":null,\"id\":null}");
  for(k=1; k<nArg; k++){
    size_t m = strlen(zNeedle);
    snprintf(zNeedle+m, sizeof(zNeedle)-m, ",{\"type\":null,\"id\":null}");
  }
  strncat(zNeedle, "]}", sizeof(zNeedle)-strlen(zNeedle)-1);
  if( o->z && strstr(o->z, zNeedle) ) return;
  if( (*pn)++ ) out_raw(o, ",", 1);
  out_str(o, zNeedle);
}

int api_clear_data(Call *C){
  const PlPolicy *pPol;
  Out batch;
  char *zErr = 0;
  sqlite3_stmt *p;
  int status, rc, i, n = 0;
  if( (status = sv_policy(C, &pPol))!=0 ) return status;
  memset(&batch, 0, sizeof(batch));
  out_str(&batch, "[{\"deletes\":[");
  /* every fact table of the file, "polar_f_<pred>_<n>" (older policies' too) */
  p = worker_stmt(C->w, W_STORED_PREDS, &zErr);
  if( p==0 ){
    status = worker_error(C, SQLITE_ERROR, zErr);
    sqlite3_free(zErr);
    out_free(&batch);
    return status;
  }
  while( (rc = sqlite3_step(p))==SQLITE_ROW ){
    const char *z = (const char*)sqlite3_column_text(p, 0);
    int nz = sqlite3_column_bytes(p, 0);
    if( z && nz>10 ) clear_one(&batch, &n, z+8, nz-10, z[nz-1]-'0');
  }
  sqlite3_reset(p);
  if( C->pS->eNode==NODE_EDGE ){
    /* and every fact the policy takes: the log may hold some this file
    ** has not applied yet */
    if( (status = sv_policy(C, &pPol))!=0 ){ out_free(&batch); return status; }
    for(i=0; i<pl_policy_nsig(pPol); i++){
      const PlSig *pSig = pl_policy_sig(pPol, i);
      clear_one(&batch, &n, pSig->zPred, (int)strlen(pSig->zPred), pSig->nArg);
    }
  }
  out_str(&batch, "]}]");
  status = batch.bOom ? call_error(C, 500, "out of memory") : write_batch(C, batch.z, batch.n);
  out_free(&batch);
  return status;
}
