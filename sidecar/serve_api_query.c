/*
** serve_api_query.c — the query endpoints of `polarlite serve`:
**
**   POST /api/query            {"fact": {predicate, args: [Value|null]}, context_facts}
**                              -> {"results": [Fact]}
**   POST /api/evaluate_query   the query builder (oso-api.md section 5)
**                              -> {"results": [{var: id|null}]}
**
** Both are answered by polar_query, the engine's table of the answers of
** any predicate (rules included), never by an evaluator of their own.
**
** The query builder asks for a conjunction: a predicate and more calls
** over shared variables, each variable with a type and optionally a list
** of ids. It becomes one SQL statement that joins polar_query calls left to
** right, each call taking the values the calls before it bound:
**
**   SELECT DISTINCT <v0>, <v1>, ... FROM
**     json_each(?3) AS i2,                         -- v2 has ids: one row each
**     polar_query(?1, 'User:alice', ?2, i2.value) AS q0,   -- ?2 = 'String:_'
**     polar_query(?4, q0.a3, ...) AS q1                     -- v2 as q0 bound it
**   WHERE q0.context = ?9 AND ...                  -- context facts, if any
**   ORDER BY 1, 2, ...
**
** A variable's value is the column of the last call that mentions it (a
** later call echoes a value bound before it, and narrows a wildcard
** 'Type:_' to concrete values where it can). A variable used twice in one
** call before anything bound it is unified: equal values, or one side a
** wildcard. Wildcard answers come back as null (any value); DISTINCT keeps
** them apart from concrete rows, as the SDKs expect.
*/
#include "serve_value.h"
#include "pl_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQL: 1 when column expression X is a wildcard answer 'Type:_' (one
** colon, followed by '_' and nothing else). */
#define IS_WILD(X) "(" X " GLOB '*:_' AND instr(" X ", ':')=length(" X ")-1)"

typedef struct Param {      /* one ?N of the statement, in order */
  int eKind;                /* P_PRED, P_OPEN, P_IDS, P_CTX */
  int iCall, iVar;
} Param;
enum { P_PRED = 1, P_OPEN, P_IDS, P_CTX };

/* Build the statement's SQL for q into o, and its parameters. */
static void query_sql(const QbQuery *q, Out *o, Param *aParam, int *pnParam){
  char aExpr[QB_MAX_VARS][256];    /* each variable's current expression ("" unbound) */
  Out from, where;
  int nParam = 0, i, j, k, nWhere = 0;
  memset(&from, 0, sizeof(from));
  memset(&where, 0, sizeof(where));
  memset(aExpr, 0, sizeof(aExpr));
  /* the ids lists first, as row sources */
  for(i=0; i<q->nVar; i++){
    if( q->aVar[i].iIds<0 ) continue;
    aParam[nParam].eKind = P_IDS;
    aParam[nParam].iVar = i;
    nParam++;
    out_printf(&from, "%sjson_each(?%d) AS i%d", from.n ? ", " : "", nParam, i);
    snprintf(aExpr[i], sizeof(aExpr[i]), "i%d.value", i);
  }
  for(j=0; j<q->nCall; j++){
    const QbCall *c = &q->aCall[j];
    aParam[nParam].eKind = P_PRED;
    aParam[nParam].iCall = j;
    nParam++;
    out_printf(&from, "%spolar_query(?%d", from.n ? ", " : "", nParam);
    for(k=0; k<c->nArg; k++){
      int v = c->aVar[k], m;
      if( aExpr[v][0] ){
        out_printf(&from, ", %s", aExpr[v]);
        continue;
      }
      /* first use, open: its type as a wildcard; a second use in this same
      ** call is unified with the first */
      for(m=0; m<k && c->aVar[m]!=v; m++){}
      aParam[nParam].eKind = P_OPEN;
      aParam[nParam].iVar = v;
      nParam++;
      out_printf(&from, ", ?%d", nParam);
      if( m<k ){
        out_printf(&where, "%s(q%d.a%d=q%d.a%d OR " IS_WILD("q%d.a%d") " OR " IS_WILD("q%d.a%d") ")",
                   nWhere++ ? " AND " : "", j, m+1, j, k+1, j, m+1, j, m+1, j, m+1,
                   j, k+1, j, k+1, j, k+1);
      }
    }
    out_printf(&from, ") AS q%d", j);
    /* what this call says about its variables is the most specific yet */
    for(k=0; k<c->nArg; k++){
      int v = c->aVar[k], m, b;
      for(b=0; b<k && c->aVar[b]!=v; b++){}
      if( b<k ) continue;                  /* done at its first position */
      for(m=k+1; m<c->nArg && c->aVar[m]!=v; m++){}
      if( m<c->nArg ){
        /* repeated: the concrete side of the unified pair */
        snprintf(aExpr[v], sizeof(aExpr[v]), "CASE WHEN " IS_WILD("q%d.a%d")
                 " THEN q%d.a%d ELSE q%d.a%d END", j, k+1, j, k+1, j, k+1, j, m+1, j, k+1);
      }else{
        snprintf(aExpr[v], sizeof(aExpr[v]), "q%d.a%d", j, k+1);
      }
    }
  }
  if( q->zCtx ){
    aParam[nParam].eKind = P_CTX;
    nParam++;
    for(j=0; j<q->nCall; j++){
      out_printf(&where, "%sq%d.context=?%d", nWhere++ ? " AND " : "", j, nParam);
    }
  }
  /* every variable in every row, wildcards as NULL */
  out_str(o, "SELECT DISTINCT ");
  for(i=0; i<q->nVar; i++){
    const char *zE = aExpr[i][0] ? aExpr[i] : "NULL";
    out_printf(o, "%sCASE WHEN " IS_WILD("(%s)") " THEN NULL ELSE %s END",
               i ? ", " : "", zE, zE, zE, zE);
  }
  out_str(o, " FROM ");
  out_raw(o, from.z ? from.z : "", from.n);
  if( nWhere ){
    out_str(o, " WHERE ");
    out_raw(o, where.z, where.n);
  }
  out_str(o, " ORDER BY ");
  for(i=0; i<q->nVar; i++) out_printf(o, "%s%d", i ? ", " : "", i+1);
  if( from.bOom || where.bOom ) o->bOom = 1;
  out_free(&from);
  out_free(&where);
  *pnParam = nParam;
}

/* The ids of variable v as a JSON array in the SQL spelling of values
** (Integers as numbers), each read by the engine's wire reader. */
static int ids_json(Call *C, const PlPolicy *pPol, const QbQuery *q, int v, Out *o){
  const QbVar *pVar = &q->aVar[v];
  SjDoc *d = &C->doc;
  int m, i;
  out_raw(o, "[", 1);
  for(m=0, i=sj_first(d, pVar->iIds); m<pVar->nIds; m++, i=sj_next(d, i)){
    PlValue val;
    char *zErr = 0, aBuf[PL_VALUE_ENC_MAX], zWhat[120];
    const char *zId;
    int nId, n, rc;
    const SjTok *t = &d->aTok[i];
    if( t->eType==SJ_STR ){
      if( sj_str(d, i, &zId, &nId) ) return call_error(C, 422, "constraints: invalid id");
    }else{
      zId = d->z + t->iStart;
      nId = t->iEnd - t->iStart;
    }
    snprintf(zWhat, sizeof(zWhat), "constraints.%.64s.ids[%d]", pVar->zName, m);
    rc = pl_value_from_wire(pPol, pVar->zType, pVar->nType, zId, nId, 0, zWhat, &val, &zErr);
    if( rc!=SQLITE_OK ){
      int status = call_error(C, 422, "%s", zErr ? zErr : "bad id");
      sqlite3_free(zErr);
      return status;
    }
    if( m ) out_raw(o, ",", 1);
    if( val.iType==PL_TYPE_INTEGER ){
      out_int(o, val.i);
    }else if( pl_value_encode(pPol, &val, aBuf, (int)sizeof(aBuf), &n)==SQLITE_OK ){
      out_json(o, aBuf, (size_t)n);
    }else{
      return call_error(C, 500, "cannot encode an id");
    }
  }
  out_raw(o, "]", 1);
  return o->bOom ? call_error(C, 500, "out of memory") : 0;
}

/* The type of variable v as an open value 'Type:_', checked. */
static int open_type(Call *C, const PlPolicy *pPol, sqlite3_stmt *p, int iParam,
                     const QbVar *pVar){
  SjValue v;
  char zWhat[100];
  memset(&v, 0, sizeof(v));
  v.zType = pVar->zType;
  v.nType = pVar->nType;
  snprintf(zWhat, sizeof(zWhat), "constraints.%.64s", pVar->zName);
  return sv_bind(C, pPol, p, iParam, &v, 1, zWhat);
}

int api_evaluate_query(Call *C){
  const PlPolicy *pPol;
  QbQuery *q;
  Param aParam[QB_MAX_VARS + QB_MAX_CALLS*6 + 2];
  Out sql;
  char zErr[512], *zE = 0;
  sqlite3_stmt *p;
  int status, nParam = 0, i, rc, nRow = 0;
  q = malloc(sizeof(*q));
  if( q==0 ) return call_error(C, 500, "out of memory");
  if( sj_query_req(&C->doc, 0, q, zErr, sizeof(zErr)) ){
    free(q);
    return call_error(C, 422, "%s", zErr);
  }
  if( (status = sv_policy(C, &pPol))!=0 ){ free(q); return status; }
  memset(&sql, 0, sizeof(sql));
  query_sql(q, &sql, aParam, &nParam);
  if( sql.bOom ){ out_free(&sql); free(q); return call_error(C, 500, "out of memory"); }
  p = worker_prepare(C->w, sql.z, &zE);
  out_free(&sql);
  if( p==0 ){
    status = worker_error(C, SQLITE_ERROR, zE);
    sqlite3_free(zE);
    free(q);
    return status;
  }
  for(i=0; i<nParam && status==0; i++){
    const Param *a = &aParam[i];
    if( a->eKind==P_PRED ){
      const QbCall *c = &q->aCall[a->iCall];
      sqlite3_bind_text(p, i+1, c->zPred, c->nPred, SQLITE_TRANSIENT);
    }else if( a->eKind==P_OPEN ){
      status = open_type(C, pPol, p, i+1, &q->aVar[a->iVar]);
    }else if( a->eKind==P_IDS ){
      Out ids;
      memset(&ids, 0, sizeof(ids));
      status = ids_json(C, pPol, q, a->iVar, &ids);
      if( status==0 ) sqlite3_bind_text(p, i+1, ids.z, (int)ids.n, SQLITE_TRANSIENT);
      out_free(&ids);
    }else{
      sqlite3_bind_text(p, i+1, q->zCtx, q->nCtx, SQLITE_TRANSIENT);
    }
  }
  if( status ){ free(q); return status; }
  out_str(&C->out, "{\"results\":[");
  while( (rc = sqlite3_step(p))==SQLITE_ROW ){
    if( nRow==0 && (status = sv_policy(C, &pPol))!=0 ) break;   /* as of this read */
    out_str(&C->out, nRow++ ? ",{" : "{");
    for(i=0; i<q->nVar; i++){
      SvOut v;
      if( i ) out_raw(&C->out, ",", 1);
      out_json(&C->out, q->aVar[i].zName, (size_t)q->aVar[i].nName);
      out_raw(&C->out, ":", 1);
      if( sv_read(pPol, sqlite3_column_value(p, i), &v) ){
        status = call_error(C, 500, "cannot read an answer of the query");
        break;
      }
      sv_out_id(&C->out, &v);
    }
    if( status ) break;
    out_raw(&C->out, "}", 1);
  }
  if( status==0 && rc!=SQLITE_DONE ) status = worker_error(C, rc, 0);
  sqlite3_reset(p);
  free(q);
  if( status ) return status;
  out_str(&C->out, "]}");
  return 200;
}

int api_query(Call *C){
  const PlPolicy *pPol;
  FactReq f;
  Out sql;
  char zErr[512], *zE = 0, zBuf[64];
  sqlite3_stmt *p;
  int status, k, rc, nRow = 0;
  if( sj_fact_req(&C->doc, 0, &f, zErr, sizeof(zErr)) ) return call_error(C, 422, "%s", zErr);
  if( (status = sv_policy(C, &pPol))!=0 ) return status;
  memset(&sql, 0, sizeof(sql));
  out_str(&sql, "SELECT ");
  for(k=0; k<f.nArg; k++){
    snprintf(zBuf, sizeof(zBuf), "%sa%d", k ? ", " : "", k+1);
    out_str(&sql, zBuf);
  }
  out_str(&sql, " FROM polar_query(?1");
  for(k=0; k<f.nArg; k++){
    snprintf(zBuf, sizeof(zBuf), ", ?%d", k+2);
    out_str(&sql, zBuf);
  }
  out_str(&sql, f.zCtx ? ") WHERE context=?7" : ")");
  p = sql.bOom ? 0 : worker_prepare(C->w, sql.z, &zE);
  out_free(&sql);
  if( p==0 ){
    status = worker_error(C, zE ? SQLITE_ERROR : SQLITE_NOMEM, zE);
    sqlite3_free(zE);
    return status;
  }
  sqlite3_bind_text(p, 1, f.zPred, f.nPred, SQLITE_TRANSIENT);
  for(k=0; k<f.nArg; k++){
    char zWhat[32];
    snprintf(zWhat, sizeof(zWhat), "args[%d]", k);
    if( (status = sv_bind(C, pPol, p, k+2, &f.aArg[k], 1, zWhat))!=0 ) return status;
  }
  if( f.zCtx ) sqlite3_bind_text(p, 7, f.zCtx, f.nCtx, SQLITE_TRANSIENT);
  out_str(&C->out, "{\"results\":[");
  while( (rc = sqlite3_step(p))==SQLITE_ROW ){
    if( nRow==0 && (status = sv_policy(C, &pPol))!=0 ) break;
    if( nRow++ ) out_raw(&C->out, ",", 1);
    if( sv_out_fact(&C->out, pPol, f.zPred, f.nPred, p, f.nArg) ){
      status = call_error(C, 500, "cannot read an answer of the query");
      break;
    }
  }
  if( status==0 && rc!=SQLITE_DONE ) status = worker_error(C, rc, 0);
  sqlite3_reset(p);
  if( status ) return status;
  out_str(&C->out, "]}");
  return 200;
}
