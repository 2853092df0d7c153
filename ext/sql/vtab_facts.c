/*
** vtab_facts.c — polar_facts, the stored facts as one table.
**
**   SELECT * FROM polar_facts WHERE predicate='has_role' AND a1='User:alice';
**     -> has_role | User:alice | admin | Org:acme | NULL | NULL
**   INSERT INTO polar_facts(predicate, a1, a2, a3)
**     VALUES('has_role', 'User:bob', 'reader', 'Repo:anvil');
**   DELETE FROM polar_facts WHERE predicate='has_role' AND a1='User:bob';
**
** Columns: predicate, a1..a5 in the SQL spelling of values (value.c), NULL
** past the fact's arity, and a HIDDEN column "fact", a blob naming the
** stored row (pl_store_fact_key), which is the table's PRIMARY KEY.
**
** How it works: the table is eponymous-only (no CREATE VIRTUAL TABLE) and
** declared WITHOUT ROWID with "fact" as its single-column primary key, so
** SQLite hands xUpdate the key of each row to delete. A scan walks the fact
** tables "polar_f_<pred>_<n>" found in the schema (those of older policies
** included, so every stored fact is visible), in name order.
**
** Pushdown: equality on predicate restricts the scan to that predicate's
** tables; equality on aN skips tables with fewer than N arguments and is
** an index probe in the others. The aN value is read in the SQL spelling
** for each table separately, because the String-only rule depends on the
** position's types: a2='User:x' is the string "User:x" where has_role/3
** takes only String. 'Type:_' in an equality is a typed wildcard, as in
** every other pattern. A constraint value that cannot be read in any
** table (e.g. an unknown type) is an error, not an empty answer.
**
** Writes go through pl_store_insert (the same checks as polar_insert: the
** arity is the position of the last non-NULL argument) and
** pl_store_delete_key. UPDATE is refused.
*/
#include "pl_int.h"
#include <string.h>

/* Columns */
#define FACTS_PRED 0          /* predicate */
#define FACTS_A1   1          /* a1..a5 are FACTS_A1 + 0..4 */
#define FACTS_KEY  (FACTS_A1 + PL_MAX_ARGS)   /* hidden "fact" */

typedef struct FactsVtab {
  sqlite3_vtab base;
  sqlite3 *db;
  PlConn *pConn;
} FactsVtab;

typedef struct FactsTable {   /* one fact table to scan */
  char *zPred;
  int nArg;
} FactsTable;

typedef struct FactsCursor {
  sqlite3_vtab_cursor base;
  FactsTable *aTab; int nTab;  /* tables left to scan */
  int iTab;                    /* current table */
  sqlite3_stmt *pStmt;         /* scan of aTab[iTab], on a row */
  sqlite3_value *apEq[1+PL_MAX_ARGS]; /* equality values by column, or NULL */
  const PlPolicy *pPol;
  int nRead;                   /* tables whose constraint values were read */
  char *zFirstErr;             /* why a table's constraints could not be read */
  int bEof;
} FactsCursor;

static int factsSetErr(sqlite3_vtab *pVtab, char *zErr){
  sqlite3_free(pVtab->zErrMsg);
  pVtab->zErrMsg = zErr;
  return zErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/*
** Why SQLITE_VTAB_DIRECTONLY: INSERT and DELETE on polar_facts change
** authorization data. A database file can come from elsewhere; without this
** flag a view or trigger in its schema could write facts on behalf of
** whoever opens it (say, a trigger granting a role on an unrelated insert).
** With it, only SQL that the application runs itself can use the table.
*/
static int factsConnect(sqlite3 *db, void *pAux, int argc,
                        const char *const *argv, sqlite3_vtab **ppVtab,
                        char **pzErr){
  int rc = pl_vtab_new(db, "CREATE TABLE x(predicate TEXT, a1, a2, a3, a4, a5,"
                       " fact HIDDEN PRIMARY KEY) WITHOUT ROWID", sizeof(FactsVtab),
                       SQLITE_VTAB_DIRECTONLY, ppVtab);
  (void)argc; (void)argv; (void)pzErr;
  if( rc==SQLITE_OK ){
    FactsVtab *p = (FactsVtab*)*ppVtab;
    p->db = db;
    p->pConn = (PlConn*)pAux;
  }
  return rc;
}

static int factsOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  FactsCursor *pCur = sqlite3_malloc64(sizeof(*pCur));
  (void)pVtab;
  if( pCur==0 ) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  pCur->bEof = 1;
  *ppCur = &pCur->base;
  return SQLITE_OK;
}

static void factsReset(FactsCursor *pCur){
  int i;
  sqlite3_finalize(pCur->pStmt);
  pCur->pStmt = 0;
  for(i=0; i<pCur->nTab; i++) sqlite3_free(pCur->aTab[i].zPred);
  sqlite3_free(pCur->aTab);
  pCur->aTab = 0;
  pCur->nTab = pCur->iTab = 0;
  for(i=0; i<=PL_MAX_ARGS; i++){
    sqlite3_value_free(pCur->apEq[i]);
    pCur->apEq[i] = 0;
  }
  sqlite3_free(pCur->zFirstErr);
  pCur->zFirstErr = 0;
  pCur->nRead = 0;
  pCur->pPol = 0;
  pCur->bEof = 1;
}

static int factsClose(sqlite3_vtab_cursor *cur){
  factsReset((FactsCursor*)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* Prepare the scan of aTab[iTab] with the pushed-down equalities.
** *pbSkip = 1 when the table cannot hold a match. */
static int factsPrepare(FactsCursor *pCur, sqlite3 *db, int *pbSkip,
                        char **pzErr){
  const FactsTable *pT = &pCur->aTab[pCur->iTab];
  PlValue aVal[PL_MAX_ARGS];
  sqlite3_str *pSql;
  char *zSql, *zTab;
  const char *zSep = " WHERE ";
  int k, rc, iParam = 1;
  *pbSkip = 0;

  /* Read each constraint value as this table's position would. */
  for(k=0; k<pT->nArg; k++){
    sqlite3_value *pEq = pCur->apEq[FACTS_A1+k];
    if( pEq ){
      char zWhat[16];
      char *zErr = 0;
      PlTypeSet ts;
      memset(&ts, 0, sizeof(ts));
      if( pCur->pPol ) ts = pl_policy_arg_types(pCur->pPol, pT->zPred, pT->nArg, k);
      sqlite3_snprintf(sizeof(zWhat), zWhat, "a%d", k+1);
      rc = pl_value_from_sql(pCur->pPol, pEq, pCur->pPol ? &ts : 0, 1, zWhat,
                             &aVal[k], &zErr);
      if( rc==SQLITE_NOMEM ) return rc;
      if( rc!=SQLITE_OK ){
        if( pCur->zFirstErr==0 ) pCur->zFirstErr = zErr; else sqlite3_free(zErr);
        *pbSkip = 1;
        return SQLITE_OK;
      }
    }
  }
  pCur->nRead++;

  zTab = pl_store_table_name(pT->zPred, pT->nArg);
  pSql = sqlite3_str_new(db);
  sqlite3_str_appendall(pSql, "SELECT ");
  for(k=1; k<=pT->nArg; k++) sqlite3_str_appendf(pSql, "%sa%d", k>1?",":"", k);
  sqlite3_str_appendf(pSql, " FROM main.\"%w\"", zTab);
  for(k=0; k<pT->nArg; k++){
    if( pCur->apEq[FACTS_A1+k]==0 || (aVal[k].bWild && aVal[k].iType<0) ){
      continue;
    }
    if( !aVal[k].bWild ){
      sqlite3_str_appendf(pSql, "%sa%d=?%d", zSep, k+1, iParam++);
    }else if( aVal[k].iType==PL_TYPE_INTEGER ){
      sqlite3_str_appendf(pSql, "%stypeof(a%d)='integer'", zSep, k+1);
    }else{
      sqlite3_str_appendf(pSql, "%sa%d>=?%d AND a%d<?%d", zSep, k+1, iParam,
                          k+1, iParam+1);
      iParam += 2;
    }
    zSep = " AND ";
  }
  zSql = sqlite3_str_finish(pSql);
  sqlite3_free(zTab);
  if( zSql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(db, zSql, -1, &pCur->pStmt, 0);
  sqlite3_free(zSql);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("polar_facts: %s", sqlite3_errmsg(db));
    return rc;
  }
  for(k=0, iParam=1; rc==SQLITE_OK && k<pT->nArg; k++){
    if( pCur->apEq[FACTS_A1+k]==0 || (aVal[k].bWild && aVal[k].iType<0) ){
      continue;
    }
    if( !aVal[k].bWild ){
      rc = pl_value_bind_pol(pCur->pPol, pCur->pStmt, iParam++, &aVal[k]);
    }else if( aVal[k].iType!=PL_TYPE_INTEGER ){
      const char *zType = pl_value_type_name(pCur->pPol, aVal[k].iType);
      char *zLo = sqlite3_mprintf("%s:", zType);
      char *zHi = sqlite3_mprintf("%s;", zType);
      if( zLo && zHi ){
        rc = sqlite3_bind_text(pCur->pStmt, iParam, zLo, -1, sqlite3_free);
        zLo = 0;
        if( rc==SQLITE_OK ){
          rc = sqlite3_bind_text(pCur->pStmt, iParam+1, zHi, -1, sqlite3_free);
        }
        zHi = 0;
      }else{
        rc = SQLITE_NOMEM;
      }
      sqlite3_free(zLo);
      sqlite3_free(zHi);
      iParam += 2;
    }
  }
  return rc;
}

/* Move to the next row, opening the following tables as needed. */
static int factsAdvance(FactsCursor *pCur, sqlite3 *db, char **pzErr){
  while( pCur->iTab < pCur->nTab ){
    int rc;
    if( pCur->pStmt==0 ){
      int bSkip = 0;
      rc = factsPrepare(pCur, db, &bSkip, pzErr);
      if( rc!=SQLITE_OK ) return rc;
      if( bSkip ){ pCur->iTab++; continue; }
    }
    rc = sqlite3_step(pCur->pStmt);
    if( rc==SQLITE_ROW ) return SQLITE_OK;
    if( rc!=SQLITE_DONE ){
      *pzErr = sqlite3_mprintf("polar_facts: %s", sqlite3_errmsg(db));
      return rc;
    }
    sqlite3_finalize(pCur->pStmt);
    pCur->pStmt = 0;
    pCur->iTab++;
  }
  pCur->bEof = 1;
  if( pCur->nRead==0 && pCur->zFirstErr ){
    /* no table could read the constraint values: say why */
    *pzErr = pCur->zFirstErr;
    pCur->zFirstErr = 0;
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

static int factsNext(sqlite3_vtab_cursor *cur){
  FactsCursor *pCur = (FactsCursor*)cur;
  FactsVtab *pTab = (FactsVtab*)cur->pVtab;
  char *zErr = 0;
  int rc = factsAdvance(pCur, pTab->db, &zErr);
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM ) factsSetErr(cur->pVtab, zErr);
  else sqlite3_free(zErr);
  return rc;
}

static int factsColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  FactsCursor *pCur = (FactsCursor*)cur;
  const FactsTable *pT = &pCur->aTab[pCur->iTab];
  if( i==FACTS_PRED ){
    sqlite3_result_text(ctx, pT->zPred, -1, SQLITE_TRANSIENT);
  }else if( i<FACTS_KEY ){
    int k = i - FACTS_A1;
    if( k<pT->nArg ) pl_value_result(ctx, sqlite3_column_value(pCur->pStmt, k));
  }else{
    sqlite3_value *apEnc[PL_MAX_ARGS];
    void *pKey;
    int k, nKey, rc;
    for(k=0; k<pT->nArg; k++) apEnc[k] = sqlite3_column_value(pCur->pStmt, k);
    rc = pl_store_fact_key(pT->zPred, pT->nArg, apEnc, &pKey, &nKey);
    if( rc!=SQLITE_OK ){
      sqlite3_result_error_code(ctx, rc);
    }else{
      sqlite3_result_blob(ctx, pKey, nKey, sqlite3_free);
    }
  }
  return SQLITE_OK;
}

static int factsRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  /* WITHOUT ROWID: SQLite never asks. */
  (void)cur;
  *pRowid = 0;
  return SQLITE_ERROR;
}

static int factsEof(sqlite3_vtab_cursor *cur){
  return ((FactsCursor*)cur)->bEof;
}

/* Parse "polar_f_<pred>_<n>"; returns the arity (1..5) or 0. */
static int factsParseName(const char *zName, const char **pzPred, int *pnPred){
  int n = (int)strlen(zName);
  if( n<11 || memcmp(zName, "polar_f_", 8)!=0 ) return 0;
  if( zName[n-2]!='_' || zName[n-1]<'1' || zName[n-1]>'0'+PL_MAX_ARGS ) return 0;
  *pzPred = zName + 8;
  *pnPred = n - 10;
  return zName[n-1] - '0';
}

/* Collect the fact tables to scan, restricted by the predicate equality
** and by the highest constrained argument. */
static int factsListTables(FactsCursor *pCur, sqlite3 *db, const char *zPred,
                           int nMinArg, char **pzErr){
  sqlite3_stmt *pStmt = 0;
  int rc, nAlloc = 0;
  rc = sqlite3_prepare_v2(db,
      "SELECT name FROM main.sqlite_schema WHERE type='table'"
      " AND name LIKE 'polar\\_f\\_%' ESCAPE '\\' ORDER BY name", -1, &pStmt, 0);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    const char *zName = (const char*)sqlite3_column_text(pStmt, 0);
    const char *zP;
    int nP, nArg;
    if( zName==0 ) continue;
    nArg = factsParseName(zName, &zP, &nP);
    if( nArg==0 || nArg<nMinArg ) continue;
    if( zPred && ((int)strlen(zPred)!=nP || memcmp(zPred, zP, (size_t)nP)!=0) ){
      continue;
    }
    if( pCur->nTab>=nAlloc ){
      int nNew = nAlloc ? nAlloc*2 : 8;
      FactsTable *aNew = sqlite3_realloc64(pCur->aTab, sizeof(FactsTable)*(size_t)nNew);
      if( aNew==0 ){ rc = SQLITE_NOMEM; break; }
      pCur->aTab = aNew;
      nAlloc = nNew;
    }
    pCur->aTab[pCur->nTab].zPred = sqlite3_mprintf("%.*s", nP, zP);
    pCur->aTab[pCur->nTab].nArg = nArg;
    if( pCur->aTab[pCur->nTab].zPred==0 ){ rc = SQLITE_NOMEM; break; }
    pCur->nTab++;
  }
  if( rc==SQLITE_OK ) rc = sqlite3_finalize(pStmt); else sqlite3_finalize(pStmt);
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM ){
    *pzErr = sqlite3_mprintf("polar_facts: reading the schema: %s",
                             sqlite3_errmsg(db));
  }
  return rc;
}

/*
** idxNum bit c (0..5) set: column c (predicate, a1..a5) has an equality
** constraint, passed in argv in column order.
*/
static int factsFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                       int argc, sqlite3_value **argv){
  FactsCursor *pCur = (FactsCursor*)cur;
  FactsVtab *pTab = (FactsVtab*)cur->pVtab;
  const char *zPred = 0;
  char *zErr = 0;
  int c, iArg = 0, nMinArg = 0, rc;
  (void)idxStr;
  factsReset(pCur);
  rc = pl_conn_policy(pTab->pConn, &pCur->pPol, &zErr);
  if( rc!=SQLITE_OK ) goto filter_err;
  for(c=0; c<FACTS_KEY; c++){
    if( (idxNum & (1<<c))==0 ) continue;
    if( iArg>=argc ) break;
    if( sqlite3_value_type(argv[iArg])==SQLITE_NULL ){
      return SQLITE_OK;             /* "= NULL" is never true */
    }
    if( c==FACTS_PRED ){
      if( sqlite3_value_type(argv[iArg])!=SQLITE_TEXT ) return SQLITE_OK;
      zPred = (const char*)sqlite3_value_text(argv[iArg]);
      if( zPred==0 ) return SQLITE_NOMEM;
    }else{
      pCur->apEq[c] = sqlite3_value_dup(argv[iArg]);
      if( pCur->apEq[c]==0 ) return SQLITE_NOMEM;
      nMinArg = c - FACTS_A1 + 1;
    }
    iArg++;
  }
  rc = factsListTables(pCur, pTab->db, zPred, nMinArg, &zErr);
  if( rc!=SQLITE_OK ) goto filter_err;
  pCur->bEof = 0;
  rc = factsAdvance(pCur, pTab->db, &zErr);
  if( rc!=SQLITE_OK ) goto filter_err;
  return SQLITE_OK;

filter_err:
  pCur->bEof = 1;
  if( rc!=SQLITE_NOMEM ) factsSetErr(cur->pVtab, zErr);
  else sqlite3_free(zErr);
  return rc;
}

/*
** Plan: use the first usable equality on each of predicate and a1..a5.
** Each one cuts the estimated rows a hundredfold, so SQLite always prefers
** handing them over; they are omitted from its own re-check because this
** table compares in the Polar spelling ('String:x' equals 'x' where only
** String is allowed), not byte for byte.
*/
static int factsBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  int aiCons[FACTS_KEY];
  int i, c, nArgv = 0, idxNum = 0;
  double nRow = 1e6;
  (void)pVtab;
  for(c=0; c<FACTS_KEY; c++) aiCons[c] = -1;
  for(i=0; i<pInfo->nConstraint; i++){
    const struct sqlite3_index_constraint *p = &pInfo->aConstraint[i];
    if( !p->usable || p->op!=SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( p->iColumn<0 || p->iColumn>=FACTS_KEY ) continue;
    if( aiCons[p->iColumn]<0 ) aiCons[p->iColumn] = i;
  }
  for(c=0; c<FACTS_KEY; c++){
    if( aiCons[c]<0 ) continue;
    idxNum |= 1<<c;
    pInfo->aConstraintUsage[aiCons[c]].argvIndex = ++nArgv;
    pInfo->aConstraintUsage[aiCons[c]].omit = 1;
    nRow /= 100.0;
  }
  if( nRow<1.0 ) nRow = 1.0;
  pInfo->idxNum = idxNum;
  pInfo->estimatedRows = (sqlite3_int64)nRow;
  pInfo->estimatedCost = nRow;
  return SQLITE_OK;
}

/*
** DELETE: argv[0] is the hidden key of the row. INSERT: argv[0] is NULL and
** argv[2..] are the columns (argv[1], the key, is not used). Anything else
** is an UPDATE.
*/
static int factsUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv,
                       sqlite_int64 *pRowid){
  FactsVtab *pTab = (FactsVtab*)pVtab;
  const PlPolicy *pPol = 0;
  PlStmtCache *pCache = pl_conn_cache(pTab->pConn);
  PlValue aVal[PL_MAX_ARGS];
  const char *zPred;
  char *zErr = 0;
  int rc, k, nArg = 0, bNew = 0;
  (void)pRowid;

  if( argc==1 ){
    int nDel = 0;
    if( sqlite3_value_type(argv[0])!=SQLITE_BLOB ){
      return factsSetErr(pVtab, sqlite3_mprintf(
          "polar_facts: not a stored fact"));
    }
    rc = pl_store_delete_key(pTab->db, pCache, sqlite3_value_blob(argv[0]),
                             sqlite3_value_bytes(argv[0]), &nDel, &zErr);
    goto update_done;
  }
  if( sqlite3_value_type(argv[0])!=SQLITE_NULL ){
    return factsSetErr(pVtab, sqlite3_mprintf(
        "polar_facts cannot be updated: DELETE the fact and INSERT the new one"));
  }
  if( argc<2+FACTS_KEY+1 ) return SQLITE_ERROR;
  if( sqlite3_value_type(argv[2+FACTS_KEY])!=SQLITE_NULL ){
    return factsSetErr(pVtab, sqlite3_mprintf(
        "polar_facts: the column \"fact\" is computed; leave it out of INSERT"));
  }
  if( sqlite3_value_type(argv[2+FACTS_PRED])!=SQLITE_TEXT ){
    return factsSetErr(pVtab, sqlite3_mprintf(
        "polar_facts: predicate must be text, e.g. 'has_role'"));
  }
  zPred = (const char*)sqlite3_value_text(argv[2+FACTS_PRED]);
  if( zPred==0 ) return SQLITE_NOMEM;
  for(k=0; k<PL_MAX_ARGS; k++){
    if( sqlite3_value_type(argv[2+FACTS_A1+k])!=SQLITE_NULL ) nArg = k+1;
  }
  if( nArg==0 ){
    return factsSetErr(pVtab, sqlite3_mprintf(
        "polar_facts: a fact needs 1 to %d arguments (a1..a%d); all are NULL",
        PL_MAX_ARGS, PL_MAX_ARGS));
  }
  for(k=0; k<nArg; k++){
    if( sqlite3_value_type(argv[2+FACTS_A1+k])==SQLITE_NULL ){
      return factsSetErr(pVtab, sqlite3_mprintf(
          "polar_facts: a%d is NULL but a%d is not; a fact's arguments fill "
          "a1..aN without gaps", k+1, nArg));
    }
  }
  rc = pl_conn_policy(pTab->pConn, &pPol, &zErr);
  if( rc==SQLITE_OK ) rc = pl_store_check_pred(pPol, zPred, nArg, &zErr);
  for(k=0; rc==SQLITE_OK && k<nArg; k++){
    PlTypeSet ts = pl_policy_arg_types(pPol, zPred, nArg, k);
    char zWhat[32];
    sqlite3_snprintf(sizeof(zWhat), zWhat, "argument %d", k+1);
    rc = pl_value_from_sql(pPol, argv[2+FACTS_A1+k], &ts, 0, zWhat, &aVal[k],
                           &zErr);
  }
  if( rc==SQLITE_OK ){
    rc = pl_store_insert(pTab->db, pCache, pPol, zPred, nArg, aVal, &bNew,
                         &zErr);
  }

update_done:
  if( rc!=SQLITE_OK ){
    if( rc==SQLITE_NOMEM ){
      sqlite3_free(zErr);
      return rc;
    }
    factsSetErr(pVtab, sqlite3_mprintf("polar_facts: %s",
                                       zErr ? zErr : sqlite3_errstr(rc)));
    sqlite3_free(zErr);
  }
  return rc;
}

static sqlite3_module factsModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,              /* eponymous-only */
  /* xConnect    */ factsConnect,
  /* xBestIndex  */ factsBestIndex,
  /* xDisconnect */ pl_vtab_free,
  /* xDestroy    */ 0,
  /* xOpen       */ factsOpen,
  /* xClose      */ factsClose,
  /* xFilter     */ factsFilter,
  /* xNext       */ factsNext,
  /* xEof        */ factsEof,
  /* xColumn     */ factsColumn,
  /* xRowid      */ factsRowid,
  /* xUpdate     */ factsUpdate,
  /* xBegin      */ 0,
  /* xSync       */ 0,
  /* xCommit     */ 0,
  /* xRollback   */ 0,
  /* xFindMethod */ 0,
  /* xRename     */ 0,
  /* xSavepoint  */ 0,
  /* xRelease    */ 0,
  /* xRollbackTo */ 0,
  /* xShadowName */ 0,
#if SQLITE_VERSION_NUMBER >= 3044000
  /* xIntegrity  */ 0
#endif
};

int pl_facts_register(sqlite3 *db, PlConn *pConn){
  return sqlite3_create_module(db, "polar_facts", &factsModule, pConn);
}
