/*
** vtab_context.c — polar_context, the context facts of the running check
** (conn.c: pl_context_parse; the call that owns them puts them in
** PlConn.ctx while its statement steps), as the compiled SQL reads them: the fact
** tables of a check with context are "stored facts UNION ALL polar_context
** rows of that predicate".
*/
#include "pl_int.h"
#include <string.h>

typedef struct CtxCursor { sqlite3_vtab_cursor base; int i; } CtxCursor;
typedef struct CtxVtab { sqlite3_vtab base; PlConn *c; } CtxVtab;

static int ctxConnect(sqlite3 *db, void *pAux, int argc, const char *const*argv,
                      sqlite3_vtab **ppVtab, char **pzErr){
  int rc = pl_vtab_new(db, "CREATE TABLE x(predicate, arity, a1, a2, a3, a4, a5)",
                       sizeof(CtxVtab), SQLITE_VTAB_INNOCUOUS, ppVtab);
  (void)argc; (void)argv; (void)pzErr;
  if( rc==SQLITE_OK ) ((CtxVtab*)*ppVtab)->c = pAux;
  return rc;
}
static int ctxBestIndex(sqlite3_vtab *p, sqlite3_index_info *pInfo){
  (void)p;
  pInfo->estimatedCost = 10;
  pInfo->estimatedRows = 10;
  return SQLITE_OK;
}
static int ctxOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **pp){
  CtxCursor *c = sqlite3_malloc64(sizeof(*c));
  (void)p;
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *pp = &c->base;
  return SQLITE_OK;
}
static int ctxClose(sqlite3_vtab_cursor *c){ sqlite3_free(c); return SQLITE_OK; }
static int ctxFilter(sqlite3_vtab_cursor *cur, int i, const char *z, int n, sqlite3_value **a){
  (void)i; (void)z; (void)n; (void)a;
  ((CtxCursor*)cur)->i = 0;
  return SQLITE_OK;
}
static int ctxNext(sqlite3_vtab_cursor *cur){ ((CtxCursor*)cur)->i++; return SQLITE_OK; }
static int ctxEof(sqlite3_vtab_cursor *cur){
  return ((CtxCursor*)cur)->i >= ((CtxVtab*)cur->pVtab)->c->ctx.nFact;
}
static int ctxColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int iCol){
  PlConn *c = ((CtxVtab*)cur->pVtab)->c;
  const PlCtxFact *f = &c->ctx.aFact[((CtxCursor*)cur)->i];
  if( iCol==0 ){
    sqlite3_result_text(ctx, f->zPred, -1, SQLITE_TRANSIENT);
  }else if( iCol==1 ){
    sqlite3_result_int(ctx, f->nArg);
  }else if( iCol-2 < f->nArg ){
    const PlValue *v = &f->aVal[iCol-2];
    if( v->iType==PL_TYPE_INTEGER ){
      sqlite3_result_int64(ctx, v->i);
    }else{
      sqlite3_result_text(ctx, sqlite3_mprintf("%s:%.*s",
          pl_policy_type_name(c->pPol, v->iType), v->n, v->z), -1, sqlite3_free);
    }
  }
  return SQLITE_OK;
}
static int ctxRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *p){
  *p = ((CtxCursor*)cur)->i;
  return SQLITE_OK;
}
static sqlite3_module ctxModule = {
  0, 0, ctxConnect, ctxBestIndex, pl_vtab_free, 0, ctxOpen, ctxClose, ctxFilter,
  ctxNext, ctxEof, ctxColumn, ctxRowid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

int pl_context_register(sqlite3 *db, PlConn *c){
  return sqlite3_create_module_v2(db, "polar_context", &ctxModule, c, 0);
}
