/*
** serve_api_read.c — the other reads of `polarlite serve`, and the
** operational endpoints:
**
**   GET  /api/facts?predicate=P&args.N.type=T&args.N.id=I   stored facts matching
**   GET  /api/policy              {"policy": {"filename", "src"} | null}
**   GET  /api/policy_metadata     {"metadata": {"resources": {...}}}
**   POST /api/expect              {"message"} (ParityHandle: accepted, not kept)
**   POST /api/authorize_query ... 404: local authorization (SQL for the
**                                 application's own database) is not built
**   GET  /healthz                 200 while the node can read its database
**   GET  /readyz                  200 once it has a policy and is close to the log
**   GET  /metrics                 Prometheus text (serve_metrics.c)
**
** GET /api/facts reads polar_facts, the engine's table of stored facts, with
** each given position as an equality (a type without an id is 'Type:_', any
** value of that type). The SDKs never say the pattern's arity: facts of
** every arity with that predicate match. A request without a predicate is
** refused: the Node SDK's fallback path drops the query string, and
** answering every fact would be wrong and unbounded.
*/
#include "serve_value.h"
#include "log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int api_facts_get(Call *C){
  const PlPolicy *pPol;
  SjValue aArg[5];
  const char *zPred = call_arg(C, "predicate");
  char zSql[400], *zE = 0;
  sqlite3_stmt *p;
  int k, n = 0, status, rc, nRow = 0;
  if( zPred==0 || zPred[0]==0 ){
    return call_error(C, 400, "GET /api/facts needs ?predicate=NAME (and args.N.type, "
                      "args.N.id for the positions to match)");
  }
  if( (status = sv_policy(C, &pPol))!=0 ) return status;
  n = snprintf(zSql, sizeof(zSql), "SELECT a1, a2, a3, a4, a5 FROM polar_facts WHERE predicate=?1");
  memset(aArg, 0, sizeof(aArg));
  for(k=0; k<5; k++){
    char zKey[24];
    snprintf(zKey, sizeof(zKey), "args.%d.type", k);
    aArg[k].zType = call_arg(C, zKey);
    snprintf(zKey, sizeof(zKey), "args.%d.id", k);
    aArg[k].zId = call_arg(C, zKey);
    if( aArg[k].zType ) aArg[k].nType = (int)strlen(aArg[k].zType);
    if( aArg[k].zId ) aArg[k].nId = (int)strlen(aArg[k].zId);
    if( aArg[k].zType || aArg[k].zId ){
      n += snprintf(zSql+n, sizeof(zSql)-(size_t)n, " AND a%d=?%d", k+1, k+2);
    }
  }
  p = worker_prepare(C->w, zSql, &zE);
  if( p==0 ){
    status = worker_error(C, SQLITE_ERROR, zE);
    sqlite3_free(zE);
    return status;
  }
  sqlite3_bind_text(p, 1, zPred, -1, SQLITE_TRANSIENT);
  for(k=0; k<5; k++){
    char zWhat[24];
    if( aArg[k].zType==0 && aArg[k].zId==0 ) continue;
    snprintf(zWhat, sizeof(zWhat), "args.%d", k);
    if( (status = sv_bind(C, pPol, p, k+2, &aArg[k], 1, zWhat))!=0 ) return status;
  }
  out_raw(&C->out, "[", 1);
  while( (rc = sqlite3_step(p))==SQLITE_ROW ){
    if( nRow==0 && (status = sv_policy(C, &pPol))!=0 ) break;
    if( nRow++ ) out_raw(&C->out, ",", 1);
    if( sv_out_fact(&C->out, pPol, zPred, (int)strlen(zPred), p, 5) ){
      status = call_error(C, 500, "cannot read a stored fact");
      break;
    }
  }
  if( status==0 && rc!=SQLITE_DONE ) status = worker_error(C, rc, 0);
  sqlite3_reset(p);
  if( status ) return status;
  out_raw(&C->out, "]", 1);
  return 200;
}

int api_policy_get(Call *C){
  char *zErr = 0;
  sqlite3_stmt *p = worker_stmt(C->w, W_POLICY_GET, &zErr);
  int rc;
  if( p==0 ){
    /* no polarlite schema yet: no policy */
    sqlite3_free(zErr);
    out_str(&C->out, "{\"policy\":null}");
    return 200;
  }
  rc = sqlite3_step(p);
  if( rc==SQLITE_ROW ){
    out_str(&C->out, "{\"policy\":{\"filename\":");
    if( sqlite3_column_type(p, 1)==SQLITE_NULL ){
      out_str(&C->out, "null");
    }else{
      out_json(&C->out, (const char*)sqlite3_column_text(p, 1), (size_t)sqlite3_column_bytes(p, 1));
    }
    out_str(&C->out, ",\"src\":");
    out_json(&C->out, (const char*)sqlite3_column_text(p, 0), (size_t)sqlite3_column_bytes(p, 0));
    out_str(&C->out, "}}");
  }else if( rc==SQLITE_DONE ){
    out_str(&C->out, "{\"policy\":null}");
  }else{
    int status = worker_error(C, rc, 0);
    sqlite3_reset(p);
    return status;
  }
  sqlite3_reset(p);
  return 200;
}

int api_policy_metadata(Call *C){
  const PlPolicy *pPol;
  const char *z;
  size_t n;
  char *zErr = 0;
  int status = sv_policy(C, &pPol), rc;
  if( status ) return status;
  rc = worker_metadata(C->w, &z, &n, &zErr);
  if( rc!=SQLITE_OK ){
    status = worker_error(C, rc, zErr);
    sqlite3_free(zErr);
    return status;
  }
  out_raw(&C->out, z, n);
  return 200;
}

int api_expect(Call *C){
  out_str(&C->out, "{\"message\":\"noted\"}");
  return 200;
}

int api_local_check(Call *C){
  return call_error(C, 404, "polarlite serve does not build local authorization (SQL for your "
                    "own database: authorize_query, list_query, actions_query, "
                    "evaluate_query_local); ask /api/authorize, /api/list, /api/actions or "
                    "/api/evaluate_query instead");
}

/*------------------------------------------------------------ operations --*/

/* What /healthz and /readyz report. */
typedef struct NodeState {
  int64_t iPolicy, iOffset, iHigh, iSnapMs;
  int bRead;                  /* the database could be read */
} NodeState;

static void node_state(Call *C, NodeState *p){
  char *zErr = 0;
  sqlite3_stmt *s = worker_stmt(C->w, W_STATUS, &zErr);
  memset(p, 0, sizeof(*p));
  p->iOffset = p->iHigh = p->iSnapMs = -1;
  if( s==0 ){
    sqlite3_free(zErr);
    /* a file without the polarlite schema is readable, just empty */
    p->bRead = sqlite3_exec(worker_db(C->w), "SELECT 1 FROM main.sqlite_schema LIMIT 1",
                            0, 0, 0)==SQLITE_OK;
    return;
  }
  while( sqlite3_step(s)==SQLITE_ROW ){
    const char *zKey = (const char*)sqlite3_column_text(s, 0);
    int64_t v = sqlite3_column_int64(s, 1);
    if( zKey==0 ) continue;
    if( strcmp(zKey, "policy_version")==0 ) p->iPolicy = v;
    else if( strcmp(zKey, "log_offset")==0 ) p->iOffset = v;
    else if( strcmp(zKey, "log_high_watermark")==0 ) p->iHigh = v;
    else if( strcmp(zKey, "snapshot_created_at")==0 ) p->iSnapMs = v;
  }
  p->bRead = sqlite3_reset(s)==SQLITE_OK;
}

static const char *node_mode(const Server *S){
  return S->eNode==NODE_EDGE ? "edge" : S->eNode==NODE_FALLBACK ? "fallback" : "local";
}

int api_healthz(Call *C){
  NodeState st;
  node_state(C, &st);
  out_printf(&C->out, "%s %s policy_version=%lld applied_offset=%lld", st.bRead ? "ok" : "error",
             node_mode(C->pS), (long long)st.iPolicy, (long long)st.iOffset);
  if( st.iSnapMs>0 ){
    out_printf(&C->out, " snapshot_age_s=%.0f", (double)(log_now_ms() - st.iSnapMs)/1000.0);
  }
  out_raw(&C->out, "\n", 1);
  return st.bRead ? 200 : 503;
}

int api_readyz(Call *C){
  Server *S = C->pS;
  NodeState st;
  const char *zWhy = 0;
  int64_t nLag = 0;
  node_state(C, &st);
  if( S->eNode==NODE_EDGE ){
    int64_t iHigh = st.iHigh, iIssued = atomic_load(&S->iIssuedOffset);
    if( iIssued+1>iHigh ) iHigh = iIssued+1;
    nLag = iHigh>=0 ? iHigh - 1 - st.iOffset : 0;
    if( nLag<0 ) nLag = 0;
  }
  if( !st.bRead ) zWhy = "the database cannot be read";
  else if( atomic_load(&S->bDraining) ) zWhy = "shutting down";
  else if( st.iPolicy==0 ) zWhy = "no policy loaded";
  else if( nLag>S->o.nReadyLag ) zWhy = "too far behind the log";
  out_printf(&C->out, "%s %s policy_version=%lld applied_offset=%lld lag_messages=%lld%s%s\n",
             zWhy ? "not ready:" : "ready", node_mode(S), (long long)st.iPolicy,
             (long long)st.iOffset, (long long)nLag, zWhy ? " reason=" : "", zWhy ? zWhy : "");
  return zWhy ? 503 : 200;
}

int api_metrics(Call *C){
  sm_render(C->pS, C->w, &C->out);
  return 200;
}
