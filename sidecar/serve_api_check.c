/*
** serve_api_check.c — the check endpoints of `polarlite serve`:
**
**   POST /api/authorize             {actor_type, actor_id, action, resource_type,
**                                    resource_id, context_facts} -> {"allowed": bool}
**   POST /api/authorize_resources   {..., action, resources: [Value], context_facts}
**                                    -> {"results": [Value]} (the allowed ones)
**   POST /api/list                  {..., action, resource_type, context_facts,
**                                    page_size?, page_token?} -> {"results": [id],
**                                    "next_page_token"?: token|null}
**   POST /api/actions               {..., resource_type, resource_id, context_facts}
**                                    -> {"results": [action]}
**   POST /api/bulk_actions          [actions request...] -> [{"results": [...]}...]
**
** Each runs the SQL function or table of the same check (authorize,
** polar_list, polar_actions) on this thread's connection, with the context
** facts as its context argument.
**
** Pages. /list returns the ids in order; a page ends at page_size ids and
** its next_page_token is the last id (hex), so the next page starts after
** it whatever was written in between. next_page_token is sent only when
** the request asked for pages (page_size or page_token): older SDKs take
** exactly {"results"}.
*/
#include "serve_value.h"
#include <stdio.h>
#include <string.h>

/* Bind actor (1), action (2), resource or type (3) and context (4). */
static int bind_check(Call *C, const PlPolicy *pPol, sqlite3_stmt *p, const CheckReq *q,
                      int eKind, const SjValue *pResource){
  int status = sv_bind(C, pPol, p, 1, &q->actor, 0, "actor");
  if( status ) return status;
  if( eKind==CHECK_ACTIONS ){
    status = sv_bind(C, pPol, p, 2, pResource, 0, "resource");
  }else{
    status = sv_bind_string(C, pPol, p, 2, q->zAction, q->nAction, "action");
    if( status==0 && eKind==CHECK_LIST ){
      sqlite3_bind_text(p, 3, q->zResType, q->nResType, SQLITE_TRANSIENT);
    }else if( status==0 ){
      status = sv_bind(C, pPol, p, 3, pResource, 0, "resource");
    }
  }
  if( status==0 && q->zCtx ){
    sqlite3_bind_text(p, eKind==CHECK_ACTIONS ? 3 : 4, q->zCtx, q->nCtx, SQLITE_TRANSIENT);
  }
  return status;
}

/* One authorize of q with resource v: *pbAllowed. 0 or a status. The
** policy is taken here: each call is a transaction of its own. */
static int authorize_one(Call *C, const CheckReq *q, const SjValue *v, int *pbAllowed){
  const PlPolicy *pPol;
  char *zErr = 0;
  sqlite3_stmt *p;
  int status, rc;
  if( (status = sv_policy(C, &pPol))!=0 ) return status;
  p = worker_stmt(C->w, W_AUTHORIZE, &zErr);
  if( p==0 ){
    status = worker_error(C, SQLITE_ERROR, zErr);
    sqlite3_free(zErr);
    return status;
  }
  status = bind_check(C, pPol, p, q, CHECK_AUTHORIZE, v);
  if( status ) return status;
  rc = sqlite3_step(p);
  if( rc!=SQLITE_ROW ){
    status = worker_error(C, rc, 0);
    sqlite3_reset(p);
    return status;
  }
  *pbAllowed = sqlite3_column_int(p, 0)==1;
  sqlite3_reset(p);
  return 0;
}

static int decode(Call *C, int eKind, CheckReq *q){
  char zErr[512];
  if( sj_check_req(&C->doc, 0, eKind, q, zErr, sizeof(zErr)) ) return call_error(C, 422, "%s", zErr);
  return 0;
}

int api_authorize(Call *C){
  CheckReq q;
  int bAllowed = 0, status;
  if( (status = decode(C, CHECK_AUTHORIZE, &q))!=0 ) return status;
  if( (status = authorize_one(C, &q, &q.resource, &bAllowed))!=0 ) return status;
  out_str(&C->out, bAllowed ? "{\"allowed\":true}" : "{\"allowed\":false}");
  return 200;
}

int api_authorize_resources(Call *C){
  SjDoc *d = &C->doc;
  CheckReq q;
  int status, k, i, n = 0;
  if( (status = decode(C, CHECK_RESOURCES, &q))!=0 ) return status;
  out_str(&C->out, "{\"results\":[");
  for(k=0, i=sj_first(d, q.iResources); k<d->aTok[q.iResources].nChild; k++, i=sj_next(d, i)){
    SjValue v;
    const char *zRaw;
    int nRaw, bAllowed = 0;
    char zWhat[32], zErr[512];
    snprintf(zWhat, sizeof(zWhat), "resources[%d]", k);
    if( sj_value(d, i, zWhat, &v, zErr, sizeof(zErr)) ) return call_error(C, 422, "%s", zErr);
    if( (status = authorize_one(C, &q, &v, &bAllowed))!=0 ) return status;
    if( !bAllowed ) continue;
    sj_raw(d, i, &zRaw, &nRaw);
    if( n++ ) out_raw(&C->out, ",", 1);
    out_raw(&C->out, zRaw, (size_t)nRaw);
  }
  out_str(&C->out, "]}");
  return 200;
}

/* The actions of q, sorted, as a JSON array. */
static int actions_array(Call *C, const PlPolicy *pPol, const CheckReq *q){
  char *zErr = 0;
  sqlite3_stmt *p = worker_stmt(C->w, W_ACTIONS, &zErr);
  int status, rc, n = 0;
  if( p==0 ){
    status = worker_error(C, SQLITE_ERROR, zErr);
    sqlite3_free(zErr);
    return status;
  }
  if( (status = bind_check(C, pPol, p, q, CHECK_ACTIONS, &q->resource))!=0 ) return status;
  out_raw(&C->out, "[", 1);
  while( (rc = sqlite3_step(p))==SQLITE_ROW ){
    SvOut v;
    if( n==0 && (status = sv_policy(C, &pPol))!=0 ) break;   /* as of this read */
    if( sv_read(pPol, sqlite3_column_value(p, 0), &v) || v.zId==0 ) continue;
    if( n++ ) out_raw(&C->out, ",", 1);
    sv_out_id(&C->out, &v);
  }
  if( status==0 && rc!=SQLITE_DONE ) status = worker_error(C, rc, 0);
  sqlite3_reset(p);
  out_raw(&C->out, "]", 1);
  return status;
}

int api_actions(Call *C){
  const PlPolicy *pPol;
  CheckReq q;
  int status;
  if( (status = decode(C, CHECK_ACTIONS, &q))!=0 ) return status;
  if( (status = sv_policy(C, &pPol))!=0 ) return status;
  out_str(&C->out, "{\"results\":");
  if( (status = actions_array(C, pPol, &q))!=0 ) return status;
  out_raw(&C->out, "}", 1);
  return 200;
}

int api_bulk_actions(Call *C){
  SjDoc *d = &C->doc;
  int status, k, i;
  if( d->aTok[0].eType!=SJ_ARR ){
    return call_error(C, 422, "expected an array of actions requests");
  }
  out_raw(&C->out, "[", 1);
  for(k=0, i=sj_first(d, 0); k<d->aTok[0].nChild; k++, i=sj_next(d, i)){
    const PlPolicy *pPol;
    CheckReq q;
    char zErr[512];
    if( sj_check_req(d, i, CHECK_ACTIONS, &q, zErr, sizeof(zErr)) ){
      return call_error(C, 422, "[%d]: %s", k, zErr);
    }
    if( (status = sv_policy(C, &pPol))!=0 ) return status;
    out_str(&C->out, k ? ",{\"results\":" : "{\"results\":");
    if( (status = actions_array(C, pPol, &q))!=0 ) return status;
    out_raw(&C->out, "}", 1);
  }
  out_raw(&C->out, "]", 1);
  return 200;
}

/*------------------------------------------------------------------ list --*/

static int hexval(char c){
  return c>='0' && c<='9' ? c-'0' : c>='a' && c<='f' ? c-'a'+10 : -1;
}

/* The id a page token names (the last id of the page before). */
static int token_decode(const char *z, int n, char *zOut, int *pnOut){
  int i;
  if( n<2 || n%2 || n>2*512 ) return -1;
  for(i=0; i<n; i+=2){
    int a = hexval(z[i]), b = hexval(z[i+1]);
    if( a<0 || b<0 ) return -1;
    zOut[i/2] = (char)(a*16 + b);
  }
  *pnOut = n/2;
  return 0;
}

static void token_out(Out *o, const char *z, int n){
  static const char hex[] = "0123456789abcdef";
  int i;
  out_raw(o, "\"", 1);
  for(i=0; i<n; i++){
    char a[2];
    a[0] = hex[((unsigned char)z[i])>>4];
    a[1] = hex[((unsigned char)z[i])&15];
    out_raw(o, a, 2);
  }
  out_raw(o, "\"", 1);
}

int api_list(Call *C){
  const PlPolicy *pPol;
  CheckReq q;
  char *zErr = 0, aAfter[512];
  int status, rc, nAfter = 0, n = 0;
  int64_t nPage;
  sqlite3_stmt *p;
  if( (status = decode(C, CHECK_LIST, &q))!=0 ) return status;
  if( q.zPageToken && token_decode(q.zPageToken, q.nPageToken, aAfter, &nAfter) ){
    return call_error(C, 422, "page_token: not a token this server issued");
  }
  if( (status = sv_policy(C, &pPol))!=0 ) return status;
  p = worker_stmt(C->w, q.bPaged ? W_LIST_PAGE : W_LIST, &zErr);
  if( p==0 ){
    status = worker_error(C, SQLITE_ERROR, zErr);
    sqlite3_free(zErr);
    return status;
  }
  if( (status = bind_check(C, pPol, p, &q, CHECK_LIST, 0))!=0 ) return status;
  /* a token skips to after its id; page_size is ignored with a token, as
  ** in Oso's API, unless given: then it holds */
  nPage = q.nPageSize ? q.nPageSize : 10000;
  if( q.bPaged ){
    if( q.zPageToken ) sqlite3_bind_text(p, 5, aAfter, nAfter, SQLITE_TRANSIENT);
    sqlite3_bind_int64(p, 6, nPage+1);
  }
  out_str(&C->out, "{\"results\":[");
  while( (rc = sqlite3_step(p))==SQLITE_ROW ){
    const char *z = (const char*)sqlite3_column_text(p, 0);
    int nz = sqlite3_column_bytes(p, 0);
    if( z==0 ) continue;
    if( q.bPaged && n==nPage ){
      /* one more than a page: there is a next page, after the last id */
      out_str(&C->out, "],\"next_page_token\":");
      token_out(&C->out, aAfter, nAfter);
      out_raw(&C->out, "}", 1);
      sqlite3_reset(p);
      return 200;
    }
    if( n++ ) out_raw(&C->out, ",", 1);
    out_json(&C->out, z, (size_t)nz);
    if( q.bPaged && nz<=(int)sizeof(aAfter) ){
      memcpy(aAfter, z, (size_t)nz);
      nAfter = nz;
    }
  }
  status = rc==SQLITE_DONE ? 0 : worker_error(C, rc, 0);
  sqlite3_reset(p);
  if( status ) return status;
  out_str(&C->out, q.bPaged ? "],\"next_page_token\":null}" : "]}");
  return 200;
}
