/*
** serve_value.c — values between the Oso wire and the engine's SQL.
**
** In: a {"type", "id"} from a request is read by the engine's wire reader
** (pl_value_from_wire, against the connection's current policy: unknown
** types, empty or oversize ids and misplaced wildcards are refused with
** its message), then bound in the SQL spelling that means exactly that
** value: 'Type:id' (a String as 'String:x', so that no text is ever read
** as something else), an Integer as a SQL integer, a typed wildcard as
** 'Type:_', any value as NULL.
**
** Out: a value the engine returns in the SQL spelling is read back with
** the engine's own reader (pl_value_from_sql), which is the inverse of how
** it is written, and put on the wire as {"type": T, "id": I} or just its
** id; a wildcard answer has a null id.
*/
#include "serve_value.h"
#include "pl_int.h"
#include <stdio.h>
#include <string.h>

int sv_policy(Call *C, const PlPolicy **ppPol){
  char *zErr = 0;
  int rc = pl_conn_policy(worker_conn(C->w), ppPol, &zErr);
  if( rc!=SQLITE_OK ){
    int status = worker_error(C, rc, zErr);
    sqlite3_free(zErr);
    return status;
  }
  if( *ppPol==0 ){
    C->zRetryAfter = "1";
    return call_error(C, 503, "no policy is loaded on this node (POST /api/policy, or "
                      "publish one to the log)");
  }
  return 0;
}

int sv_bind(Call *C, const PlPolicy *pPol, sqlite3_stmt *pStmt, int iParam,
            const SjValue *v, int bPattern, const char *zWhat){
  PlValue val;
  char *zErr = 0;
  char aBuf[PL_VALUE_ENC_MAX];
  int n, rc;
  rc = pl_value_from_wire(pPol, v->zType, v->nType, v->zId, v->nId, bPattern, zWhat, &val, &zErr);
  if( rc!=SQLITE_OK ){
    int status = rc==SQLITE_NOMEM ? call_error(C, 500, "out of memory")
                                  : call_error(C, 422, "%s", zErr ? zErr : "bad value");
    sqlite3_free(zErr);
    return status;
  }
  if( val.bWild && val.iType<0 ){
    rc = sqlite3_bind_null(pStmt, iParam);
  }else if( val.bWild ){
    const char *zType = pl_value_type_name(pPol, val.iType);
    char *z = sqlite3_mprintf("%s:_", zType);
    rc = z ? sqlite3_bind_text(pStmt, iParam, z, -1, sqlite3_free) : SQLITE_NOMEM;
  }else if( val.iType==PL_TYPE_INTEGER ){
    rc = sqlite3_bind_int64(pStmt, iParam, val.i);
  }else{
    rc = pl_value_encode(pPol, &val, aBuf, (int)sizeof(aBuf), &n);
    if( rc==SQLITE_OK ) rc = sqlite3_bind_text(pStmt, iParam, aBuf, n, SQLITE_TRANSIENT);
  }
  if( rc!=SQLITE_OK ) return call_error(C, 500, "cannot bind %s: %s", zWhat, sqlite3_errstr(rc));
  return 0;
}

int sv_bind_string(Call *C, const PlPolicy *pPol, sqlite3_stmt *pStmt, int iParam,
                   const char *z, int n, const char *zWhat){
  SjValue v;
  v.zType = "String"; v.nType = 6;
  v.zId = z; v.nId = n;
  return sv_bind(C, pPol, pStmt, iParam, &v, 0, zWhat);
}

int sv_read(const PlPolicy *pPol, sqlite3_value *pVal, SvOut *p){
  PlValue v;
  char *zErr = 0;
  int rc;
  memset(p, 0, sizeof(*p));
  if( sqlite3_value_type(pVal)==SQLITE_NULL ) return 0;     /* any value */
  rc = pl_value_from_sql(pPol, pVal, 0, 1, "value", &v, &zErr);
  sqlite3_free(zErr);
  if( rc!=SQLITE_OK ) return -1;
  if( v.iType<0 ) return 0;
  p->zType = pl_value_type_name(pPol, v.iType);
  if( v.bWild ) return 0;
  if( v.iType==PL_TYPE_INTEGER ){
    p->nId = snprintf(p->aNum, sizeof(p->aNum), "%lld", (long long)v.i);
    p->zId = p->aNum;
  }else{
    p->zId = v.z;
    p->nId = v.n;
  }
  return 0;
}

void sv_out_value(Out *o, const SvOut *p){
  out_str(o, "{\"type\":");
  if( p->zType ) out_json(o, p->zType, strlen(p->zType)); else out_str(o, "null");
  out_str(o, ",\"id\":");
  if( p->zId ) out_json(o, p->zId, (size_t)p->nId); else out_str(o, "null");
  out_raw(o, "}", 1);
}

void sv_out_id(Out *o, const SvOut *p){
  if( p->zId ) out_json(o, p->zId, (size_t)p->nId); else out_str(o, "null");
}

int sv_out_fact(Out *o, const PlPolicy *pPol, const char *zPred, int nPred, sqlite3_stmt *p,
                int nCol){
  int k;
  out_str(o, "{\"predicate\":");
  out_json(o, zPred, (size_t)nPred);
  out_str(o, ",\"args\":[");
  for(k=0; k<nCol && sqlite3_column_type(p, k)!=SQLITE_NULL; k++){
    SvOut v;
    if( sv_read(pPol, sqlite3_column_value(p, k), &v) ) return -1;
    if( k ) out_raw(o, ",", 1);
    sv_out_value(o, &v);
  }
  out_str(o, "]}");
  return 0;
}
