/*
** vtab_unread.c — polar_unread: stored facts the current policy cannot read.
**
**   SELECT predicate, arity, facts, reason FROM polar_unread;
**
** Loading a new policy keeps every stored fact. Facts of a predicate no rule
** of the new policy reads, or whose argument types no fact signature
** accepts any more, stay in their tables but take no part in checks; this
** table lists them (one row per predicate and arity), so a policy change
** that orphans data is visible instead of silent. Delete them with
** polar_delete, or load a policy that reads them again.
*/
#include "pl_int.h"
#include <string.h>
#include <stdlib.h>

typedef struct UnreadRow {
  char *zPred; int nArg; sqlite3_int64 nFacts; char *zReason;
} UnreadRow;

typedef struct UrVtab { sqlite3_vtab base; PlConn *c; } UrVtab;
typedef struct UrCursor {
  sqlite3_vtab_cursor base;
  UnreadRow *aRow; int nRow; int iRow;
} UrCursor;

static void ur_rows_free(UrCursor *p){
  int i;
  for(i=0; i<p->nRow; i++){
    sqlite3_free(p->aRow[i].zPred);
    sqlite3_free(p->aRow[i].zReason);
  }
  sqlite3_free(p->aRow);
  p->aRow = 0; p->nRow = p->iRow = 0;
}

static int ur_add(UrCursor *p, const char *zPred, int nPred, int nArg,
                  sqlite3_int64 nFacts, char *zReason){
  UnreadRow *a = sqlite3_realloc64(p->aRow, sizeof(UnreadRow)*(size_t)(p->nRow+1));
  if( a==0 || zReason==0 ){ sqlite3_free(zReason); return SQLITE_NOMEM; }
  p->aRow = a;
  a[p->nRow].zPred = sqlite3_mprintf("%.*s", nPred, zPred);
  a[p->nRow].nArg = nArg;
  a[p->nRow].nFacts = nFacts;
  a[p->nRow].zReason = zReason;
  p->nRow++;
  return a[p->nRow-1].zPred ? SQLITE_OK : SQLITE_NOMEM;
}

/* Facts of table zTab (predicate zPred/nArg) no signature accepts. */
static int ur_count_untyped(sqlite3 *db, const PlPolicy *pPol, const char *zTab,
                            const char *zPred, int nArg, sqlite3_int64 *pn){
  sqlite3_stmt *pStmt = 0;
  char *zSql = sqlite3_mprintf("SELECT * FROM main.\"%w\"", zTab);
  PlTypeSet all = pPol->all;
  int rc = zSql ? sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  *pn = 0;
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    PlValue aVal[PL_MAX_ARGS];
    int k, bBad = sqlite3_column_count(pStmt)!=nArg;
    for(k=0; !bBad && k<nArg; k++){
      char *zErr = 0;
      if( pl_value_from_sql(pPol, sqlite3_column_value(pStmt, k), &all, 0, "",
                            &aVal[k], &zErr)!=SQLITE_OK ){
        bBad = 1;
      }
      sqlite3_free(zErr);
    }
    if( !bBad ){
      char *zErr = 0;
      bBad = pl_store_check_types(pPol, zPred, nArg, aVal, &zErr)!=SQLITE_OK;
      sqlite3_free(zErr);
    }
    if( bBad ) (*pn)++;
  }
  if( rc==SQLITE_OK ) rc = sqlite3_finalize(pStmt);
  return rc;
}

static int urFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                    int argc, sqlite3_value **argv){
  UrCursor *p = (UrCursor*)cur;
  PlConn *c = ((UrVtab*)cur->pVtab)->c;
  const PlPolicy *pPol;
  sqlite3_stmt *pList = 0;
  char *zErr = 0;
  int rc;
  (void)idxNum; (void)idxStr; (void)argc; (void)argv;
  ur_rows_free(p);
  rc = pl_conn_require_policy(c, &pPol, &zErr);
  if( rc!=SQLITE_OK ){
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = zErr;
    return rc;
  }
  rc = sqlite3_prepare_v2(c->db, "SELECT name FROM main.sqlite_schema WHERE type='table' "
                          "AND name LIKE 'polar\\_f\\_%' ESCAPE '\\' ORDER BY name", -1, &pList, 0);
  while( rc==SQLITE_OK && sqlite3_step(pList)==SQLITE_ROW ){
    const char *zTab = (const char*)sqlite3_column_text(pList, 0);
    const char *zPred = zTab + 8, *zUs = strrchr(zTab, '_');
    int nPred = (int)(zUs - zPred), nArg = atoi(zUs + 1);
    char zName[PL_MAX_ID + 1];
    sqlite3_int64 n = 0;
    if( nPred<=0 || nPred>PL_MAX_ID || nArg<1 || nArg>PL_MAX_ARGS ) continue;
    memcpy(zName, zPred, (size_t)nPred);
    zName[nPred] = 0;
    if( !pl_policy_pred_known(pPol, zName, nArg) ){
      char *zSql = sqlite3_mprintf("SELECT count(*) FROM main.\"%w\"", zTab);
      sqlite3_stmt *pCount = 0;
      rc = zSql ? sqlite3_prepare_v2(c->db, zSql, -1, &pCount, 0) : SQLITE_NOMEM;
      if( rc==SQLITE_OK && sqlite3_step(pCount)==SQLITE_ROW ) n = sqlite3_column_int64(pCount, 0);
      sqlite3_finalize(pCount);
      sqlite3_free(zSql);
      if( rc==SQLITE_OK && n>0 ){
        rc = ur_add(p, zName, nPred, nArg, n, sqlite3_mprintf(
            "no rule of the policy reads %s/%d", zName, nArg));
      }
    }else{
      rc = ur_count_untyped(c->db, pPol, zTab, zName, nArg, &n);
      if( rc==SQLITE_OK && n>0 ){
        rc = ur_add(p, zName, nPred, nArg, n, sqlite3_mprintf(
            "argument types that no fact signature of %s/%d accepts", zName, nArg));
      }
    }
  }
  sqlite3_finalize(pList);
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM ){
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = sqlite3_mprintf("polar_unread: %s", sqlite3_errmsg(c->db));
  }
  return rc;
}

static int urConnect(sqlite3 *db, void *pAux, int argc, const char *const*argv,
                     sqlite3_vtab **ppVtab, char **pzErr){
  int rc = pl_vtab_new(db, "CREATE TABLE x(predicate, arity, facts, reason)",
                       sizeof(UrVtab), 0, ppVtab);
  (void)argc; (void)argv; (void)pzErr;
  if( rc==SQLITE_OK ) ((UrVtab*)*ppVtab)->c = pAux;
  return rc;
}

static int urBestIndex(sqlite3_vtab *v, sqlite3_index_info *pInfo){
  (void)v;
  pInfo->estimatedCost = 1000;
  return SQLITE_OK;
}

static int urOpen(sqlite3_vtab *v, sqlite3_vtab_cursor **ppCur){
  UrCursor *p = sqlite3_malloc(sizeof(*p));
  (void)v;
  if( p==0 ) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  *ppCur = &p->base;
  return SQLITE_OK;
}

static int urClose(sqlite3_vtab_cursor *cur){
  ur_rows_free((UrCursor*)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int urNext(sqlite3_vtab_cursor *cur){ ((UrCursor*)cur)->iRow++; return SQLITE_OK; }
static int urEof(sqlite3_vtab_cursor *cur){
  UrCursor *p = (UrCursor*)cur;
  return p->iRow>=p->nRow;
}

static int urColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  UrCursor *p = (UrCursor*)cur;
  const UnreadRow *r = &p->aRow[p->iRow];
  switch( i ){
    case 0: sqlite3_result_text(ctx, r->zPred, -1, SQLITE_TRANSIENT); break;
    case 1: sqlite3_result_int(ctx, r->nArg); break;
    case 2: sqlite3_result_int64(ctx, r->nFacts); break;
    default: sqlite3_result_text(ctx, r->zReason, -1, SQLITE_TRANSIENT); break;
  }
  return SQLITE_OK;
}

static int urRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  *pRowid = ((UrCursor*)cur)->iRow;
  return SQLITE_OK;
}

static sqlite3_module urModule = {
  0, 0, urConnect, urBestIndex, pl_vtab_free, 0, urOpen, urClose, urFilter,
  urNext, urEof, urColumn, urRowid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

int pl_unread_register(sqlite3 *db, PlConn *c){
  return sqlite3_create_module(db, "polar_unread", &urModule, c);
}
