/*
** store.c — the fact tables and the one fact writer.
**
** Every stored fact lives in a table per predicate and arity,
** "polar_f_<pred>_<n>"(a1..an), WITHOUT ROWID with the whole fact as the
** primary key, plus one index per other argument position (the columns
** rotated) so that a probe on any single argument is an index seek. Values
** are kept in the storage encoding of value.c; columns have no declared type
** so nothing is converted by affinity.
**
** Writes are checked here and nowhere else: the predicate must be one the
** policy reads (a signature exists for that arity), values must match some
** signature position by position, and inserts never hold wildcards. Deletes
** take patterns: a typed wildcard is a range on the encoding ("User:" up to
** "User;", ';' being ':'+1) and an Integer wildcard is typeof()='integer'.
**
** Statements come from the connection's PlStmtCache under keys such as
** "ins:has_role:3:64" (64 rows per statement) and "del:has_role:3:vt_" (one
** per pattern shape), and are reset after use so that no statement holds
** the database open.
*/
#include "pl_int.h"
#include <string.h>

/*------------------------------------------------------------- schema ----*/

char *pl_store_table_name(const char *zPred, int nArg){
  return sqlite3_mprintf("polar_f_%s_%d", zPred, nArg);
}

/* 1 if a table of that name exists in main, 0 if not; <0 on error. */
static int store_table_exists(sqlite3 *db, const char *zName, char **pzErr){
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db,
      "SELECT 1 FROM main.sqlite_schema WHERE type='table' AND name=?1",
      -1, &pStmt, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, zName, -1, SQLITE_STATIC);
    rc = sqlite3_step(pStmt);
    if( rc==SQLITE_ROW || rc==SQLITE_DONE ){
      int bFound = rc==SQLITE_ROW;
      sqlite3_finalize(pStmt);
      return bFound;
    }
  }
  *pzErr = sqlite3_mprintf("reading the schema: %s", sqlite3_errmsg(db));
  sqlite3_finalize(pStmt);
  return -1;
}

static int store_exec(sqlite3 *db, const char *zSql, char **pzErr){
  char *zMsg = 0;
  int rc = sqlite3_exec(db, zSql, 0, 0, &zMsg);
  if( rc!=SQLITE_OK && pzErr && *pzErr==0 ){
    *pzErr = sqlite3_mprintf("%s", zMsg ? zMsg : sqlite3_errstr(rc));
  }
  sqlite3_free(zMsg);
  return rc;
}

/* Run zSql (several statements) inside its own savepoint: all or nothing. */
static int store_exec_atomic(sqlite3 *db, const char *zSql, char **pzErr){
  int rc = store_exec(db, "SAVEPOINT polar_schema", pzErr);
  if( rc!=SQLITE_OK ) return rc;
  rc = store_exec(db, zSql, pzErr);
  if( rc!=SQLITE_OK ){
    sqlite3_exec(db, "ROLLBACK TO polar_schema; RELEASE polar_schema", 0, 0, 0);
    return rc;
  }
  return store_exec(db, "RELEASE polar_schema", pzErr);
}

int pl_store_init(sqlite3 *db, char **pzErr){
  sqlite3_stmt *pStmt = 0;
  int rc, bReady = 0;
  /* Look first, so that opening an initialised database (possibly
  ** read-only) never writes. */
  rc = sqlite3_prepare_v2(db,
      "SELECT (SELECT count(*) FROM main.sqlite_schema WHERE type='table'"
      "        AND name IN ('polar_meta','polar_policy'))", -1, &pStmt, 0);
  if( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    bReady = sqlite3_column_int(pStmt, 0)==2;
  }
  rc = sqlite3_finalize(pStmt);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("reading the schema: %s", sqlite3_errmsg(db));
    return rc;
  }
  if( bReady ){
    rc = sqlite3_prepare_v2(db, "SELECT 1 FROM main.polar_meta "
                            "WHERE key='policy_version'", -1, &pStmt, 0);
    if( rc==SQLITE_OK ) bReady = sqlite3_step(pStmt)==SQLITE_ROW;
    sqlite3_finalize(pStmt);
    if( bReady ) return SQLITE_OK;
  }
  return store_exec_atomic(db,
    "CREATE TABLE IF NOT EXISTS main.polar_meta("
    "  key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS main.polar_policy("
    "  version INTEGER PRIMARY KEY, src TEXT NOT NULL, filename TEXT,"
    "  loaded_at INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO main.polar_meta(key, value)"
    "  VALUES('policy_version', 0);", pzErr);
}

/* Append the CREATE TABLE and CREATE INDEX statements of one fact table. */
static void store_table_sql(sqlite3_str *pSql, const char *zTab, int nArg){
  int i, k;
  sqlite3_str_appendf(pSql, "CREATE TABLE IF NOT EXISTS main.\"%w\"(", zTab);
  for(i=1; i<=nArg; i++) sqlite3_str_appendf(pSql, "a%d NOT NULL, ", i);
  sqlite3_str_appendall(pSql, "PRIMARY KEY(");
  for(i=1; i<=nArg; i++) sqlite3_str_appendf(pSql, "%sa%d", i>1 ? "," : "", i);
  sqlite3_str_appendall(pSql, ")) WITHOUT ROWID;\n");
  /* index k starts at a(k+1) and wraps around: every argument leads one */
  for(k=1; k<nArg; k++){
    sqlite3_str_appendf(pSql,
        "CREATE INDEX IF NOT EXISTS main.\"%w_i%d\" ON \"%w\"(", zTab, k, zTab);
    for(i=0; i<nArg; i++){
      sqlite3_str_appendf(pSql, "%sa%d", i ? "," : "", (k+i)%nArg + 1);
    }
    sqlite3_str_appendall(pSql, ");\n");
  }
}

int pl_store_ensure_tables(sqlite3 *db, const PlPolicy *pPol, char **pzErr){
  sqlite3_str *pSql = sqlite3_str_new(db);
  int i, j, rc = SQLITE_OK, nNew = 0;
  char *zSql;
  for(i=0; rc==SQLITE_OK && i<pl_policy_nsig(pPol); i++){
    const PlSig *pSig = pl_policy_sig(pPol, i);
    char *zTab;
    int bExists;
    for(j=0; j<i; j++){                   /* one table per pred/arity */
      const PlSig *pPrev = pl_policy_sig(pPol, j);
      if( pPrev->nArg==pSig->nArg && strcmp(pPrev->zPred, pSig->zPred)==0 ) break;
    }
    if( j<i ) continue;
    if( pSig->nArg<1 || pSig->nArg>PL_MAX_ARGS ) continue;
    zTab = pl_store_table_name(pSig->zPred, pSig->nArg);
    if( zTab==0 ){ rc = SQLITE_NOMEM; break; }
    bExists = store_table_exists(db, zTab, pzErr);
    if( bExists<0 ){
      rc = SQLITE_ERROR;
    }else if( !bExists ){
      store_table_sql(pSql, zTab, pSig->nArg);
      nNew++;
    }
    sqlite3_free(zTab);
  }
  if( rc==SQLITE_OK ) rc = sqlite3_str_errcode(pSql);
  zSql = sqlite3_str_finish(pSql);       /* NULL when nothing was added */
  if( rc==SQLITE_OK && nNew>0 ) rc = store_exec_atomic(db, zSql, pzErr);
  sqlite3_free(zSql);
  return rc;
}

/*------------------------------------------------------------- checks ----*/

int pl_store_check_pred(const PlPolicy *pPol, const char *zPred, int nArg,
                        char **pzErr){
  int i, mArity = 0, nOther = 0;
  sqlite3_str *pMsg;
  if( pPol==0 ){
    *pzErr = sqlite3_mprintf("no policy is loaded; load one with polar_load() "
                             "before writing facts");
    return SQLITE_ERROR;
  }
  if( nArg<1 || nArg>PL_MAX_ARGS ){
    *pzErr = sqlite3_mprintf("a fact has 1 to %d arguments; '%s' was given %d",
                             PL_MAX_ARGS, zPred, nArg);
    return SQLITE_ERROR;
  }
  if( pl_policy_pred_known(pPol, zPred, nArg) ) return SQLITE_OK;

  for(i=0; i<pl_policy_nsig(pPol); i++){
    const PlSig *pSig = pl_policy_sig(pPol, i);
    if( strcmp(pSig->zPred, zPred)==0 && pSig->nArg>=1
     && pSig->nArg<=PL_MAX_ARGS && !(mArity & (1<<pSig->nArg)) ){
      mArity |= 1<<pSig->nArg;
      nOther++;
    }
  }
  pMsg = sqlite3_str_new(0);
  sqlite3_str_appendf(pMsg, "unknown predicate '%s' with %d argument%s: "
                      "no rule in the policy reads it",
                      zPred, nArg, nArg==1 ? "" : "s");
  if( nOther ){
    int nDone = 0;
    sqlite3_str_appendf(pMsg, " (the policy reads '%s' with ", zPred);
    for(i=1; i<=PL_MAX_ARGS; i++){
      if( !(mArity & (1<<i)) ) continue;
      nDone++;
      sqlite3_str_appendf(pMsg, "%s%d", nDone==1 ? "" :
                          nDone==nOther ? " or " : ", ", i);
    }
    sqlite3_str_appendf(pMsg, " argument%s)", (mArity==(1<<1)) ? "" : "s");
  }
  *pzErr = sqlite3_str_finish(pMsg);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Does signature pSig accept aVal? A full wildcard matches any position;
** a typed wildcard or a value must have a type the position accepts. */
static int store_sig_accepts(const PlSig *pSig, int nArg, const PlValue *aVal){
  int k;
  for(k=0; k<nArg; k++){
    if( aVal[k].bWild && aVal[k].iType<0 ) continue;
    if( aVal[k].iType<0 || aVal[k].iType>=PL_MAX_TYPES ) return 0;
    if( !pl_ts_has(&pSig->aArg[k], aVal[k].iType) ) return 0;
  }
  return 1;
}

static void store_append_typeset(sqlite3_str *p, const PlPolicy *pPol,
                                 const PlTypeSet *pTs){
  int t, n = 0;
  for(t=pl_ts_first(pTs); t>=0; t=pl_ts_next(pTs, t)){
    sqlite3_str_appendf(p, "%s%s", n++ ? "|" : "", pl_value_type_name(pPol, t));
  }
  if( n==0 ) sqlite3_str_appendall(p, "(nothing)");
}

/* The values must fit one signature of zPred/nArg (known to exist). */
int pl_store_check_types(const PlPolicy *pPol, const char *zPred,
                         int nArg, const PlValue *aVal, char **pzErr){
  int i, k, nSig = pl_policy_nsig(pPol), iBad = -1, nMatch = 0;
  sqlite3_str *pMsg;
  for(i=0; i<nSig; i++){
    const PlSig *pSig = pl_policy_sig(pPol, i);
    if( pSig->nArg!=nArg || strcmp(pSig->zPred, zPred)!=0 ) continue;
    if( store_sig_accepts(pSig, nArg, aVal) ) return SQLITE_OK;
  }
  /* Name the first argument no signature accepts, if there is one. */
  for(k=0; k<nArg && iBad<0; k++){
    PlTypeSet ts = pl_policy_arg_types(pPol, zPred, nArg, k);
    if( aVal[k].bWild && aVal[k].iType<0 ) continue;
    if( aVal[k].iType<0 || !pl_ts_has(&ts, aVal[k].iType) ) iBad = k;
  }
  pMsg = sqlite3_str_new(0);
  sqlite3_str_appendf(pMsg, "%s(", zPred);
  for(k=0; k<nArg; k++){
    sqlite3_str_appendf(pMsg, "%s%s", k ? ", " : "",
        aVal[k].iType<0 ? "_" : pl_value_type_name(pPol, aVal[k].iType));
  }
  sqlite3_str_appendall(pMsg, ") matches no fact signature of the policy");
  if( iBad>=0 ){
    PlTypeSet ts = pl_policy_arg_types(pPol, zPred, nArg, iBad);
    sqlite3_str_appendf(pMsg, ": argument %d is %s, where %s/%d takes ",
                        iBad+1, pl_value_type_name(pPol, aVal[iBad].iType),
                        zPred, nArg);
    store_append_typeset(pMsg, pPol, &ts);
  }
  sqlite3_str_appendall(pMsg, "; accepted: ");
  for(i=0; i<nSig; i++){
    const PlSig *pSig = pl_policy_sig(pPol, i);
    if( pSig->nArg!=nArg || strcmp(pSig->zPred, zPred)!=0 ) continue;
    sqlite3_str_appendf(pMsg, "%s%s(", nMatch++ ? ", " : "", zPred);
    for(k=0; k<nArg; k++){
      if( k ) sqlite3_str_appendall(pMsg, ", ");
      store_append_typeset(pMsg, pPol, &pSig->aArg[k]);
    }
    sqlite3_str_appendall(pMsg, ")");
  }
  *pzErr = sqlite3_str_finish(pMsg);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/*------------------------------------------------------------- writes ----*/
/*
** Inserts are checked first and written afterwards, many rows per
** statement: "INSERT OR IGNORE INTO t VALUES(?,?,?),(?,?,?),..." with a
** power of two of rows up to STORE_ROWS_MAX, so that the statement's fixed
** cost (cursors opened and closed, the halt) is paid once per chunk rather
** than once per fact. A single fact (polar_insert, polar_facts) is a chunk
** of one. Values are bound SQLITE_STATIC from their storage encoding
** (StoreArg), which the caller keeps until the chunk has been stepped.
*/
#define STORE_ROWS_MAX 64

/* One argument of a checked fact in storage encoding: text z[0..n), or the
** Integer i when z is NULL. */
typedef struct StoreArg {
  const char *z;
  int n;
  sqlite3_int64 i;
} StoreArg;

/* A statement-cache key "<zKind>:<pred>:<n><zShape>" in aBuf when it fits,
** else sqlite3_mprintf'd (the caller frees it if it is not aBuf). Keys are
** built for every write, so the common case does not allocate. */
static char *store_key(char *aBuf, int nBuf, const char *zKind,
                       const char *zPred, int nArg, const char *zShape){
  size_t nKind = strlen(zKind), nPred = strlen(zPred), nShape = strlen(zShape);
  if( nKind + nPred + nShape + 4 <= (size_t)nBuf ){
    char *z = aBuf;
    memcpy(z, zKind, nKind);   z += nKind;   *z++ = ':';
    memcpy(z, zPred, nPred);   z += nPred;   *z++ = ':';
    *z++ = (char)('0' + nArg);               /* 1..5 */
    memcpy(z, zShape, nShape + 1);
    return aBuf;
  }
  return sqlite3_mprintf("%s:%s:%d%s", zKind, zPred, nArg, zShape);
}
static void store_key_free(char *zKey, char *aBuf){
  if( zKey!=aBuf ) sqlite3_free(zKey);
}

/* Step a write statement to completion, then reset it and drop its
** bindings: they may point into the caller's stack or arena. */
static int store_step(sqlite3 *db, sqlite3_stmt *pStmt, char **pzErr){
  int rc = sqlite3_step(pStmt);
  if( rc==SQLITE_DONE ){
    rc = SQLITE_OK;
  }else{
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
    if( rc==SQLITE_ROW ) rc = SQLITE_ERROR;
  }
  sqlite3_reset(pStmt);
  sqlite3_clear_bindings(pStmt);
  return rc;
}

/* Bind aVal's storage encoding from aBuf, which the caller keeps until the
** statement is reset (SQLITE_STATIC: no copy, no allocation per write). */
static int store_bind(const PlPolicy *pPol, sqlite3_stmt *pStmt, int iParam,
                      const PlValue *pVal, char *aBuf, int nBuf){
  int n, rc;
  if( pVal->iType==PL_TYPE_INTEGER && !pVal->bWild ){
    return sqlite3_bind_int64(pStmt, iParam, pVal->i);
  }
  rc = pl_value_encode(pPol, pVal, aBuf, nBuf, &n);
  if( rc==SQLITE_TOOBIG ) return pl_value_bind_pol(pPol, pStmt, iParam, pVal);
  if( rc!=SQLITE_OK ) return rc;
  return sqlite3_bind_text(pStmt, iParam, aBuf, n, SQLITE_STATIC);
}

static int store_bind_err(sqlite3 *db, sqlite3_stmt *pStmt, int rc,
                          char **pzErr){
  if( rc==SQLITE_MISUSE ){
    *pzErr = sqlite3_mprintf("internal error: a value could not be bound");
  }else if( rc!=SQLITE_NOMEM ){
    *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  }
  sqlite3_reset(pStmt);
  sqlite3_clear_bindings(pStmt);
  return rc;
}

/* The checks every stored fact passes after its predicate's: a value in
** every position, types that fit one of the predicate's signatures. */
static int store_check_values(const PlPolicy *pPol, const char *zPred,
                              int nArg, const PlValue *aVal, char **pzErr){
  int k;
  for(k=0; k<nArg; k++){
    if( aVal[k].bWild ){
      *pzErr = sqlite3_mprintf("argument %d is a wildcard; a stored fact needs "
                               "a value in every position", k+1);
      return SQLITE_ERROR;
    }
  }
  return pl_store_check_types(pPol, zPred, nArg, aVal, pzErr);
}

/* The cached "INSERT OR IGNORE ... VALUES" of nRow rows into zPred/nArg. */
static int store_insert_stmt(sqlite3 *db, PlStmtCache *pCache,
                             const char *zPred, int nArg, int nRow,
                             sqlite3_stmt **ppStmt, char **pzErr){
  char aKey[128], aShape[8], *zKey;
  int rc, k, r;
  sqlite3_snprintf((int)sizeof(aShape), aShape, ":%d", nRow);
  zKey = store_key(aKey, (int)sizeof(aKey), "ins", zPred, nArg, aShape);
  if( zKey==0 ) return SQLITE_NOMEM;
  rc = pl_cache_get(pCache, zKey, 0, ppStmt, pzErr);
  if( rc==SQLITE_OK && *ppStmt==0 ){
    char *zTab = pl_store_table_name(zPred, nArg);
    sqlite3_str *pSql = sqlite3_str_new(db);
    char *zSql;
    sqlite3_str_appendf(pSql, "INSERT OR IGNORE INTO main.\"%w\" VALUES", zTab);
    for(r=0; r<nRow; r++){
      sqlite3_str_appendall(pSql, r ? ",(" : "(");
      for(k=1; k<=nArg; k++){
        sqlite3_str_appendf(pSql, "%s?%d", k>1 ? "," : "", r*nArg + k);
      }
      sqlite3_str_appendall(pSql, ")");
    }
    zSql = sqlite3_str_finish(pSql);
    rc = (zTab && zSql) ? pl_cache_get(pCache, zKey, zSql, ppStmt, pzErr)
                        : SQLITE_NOMEM;
    sqlite3_free(zTab);
    sqlite3_free(zSql);
  }
  store_key_free(zKey, aKey);
  return rc;
}

/* Write checked rows apRow[0..nRow) of zPred/nArg (nArg StoreArgs each),
** STORE_ROWS_MAX at a time, then the rest in falling powers of two.
** *pnNew = rows that were not stored yet. */
static int store_insert_rows(sqlite3 *db, PlStmtCache *pCache,
                             const char *zPred, int nArg,
                             const StoreArg *const *apRow, int nRow,
                             int *pnNew, char **pzErr){
  int rc = SQLITE_OK, iRow = 0, nMax = STORE_ROWS_MAX;
  /* an application may have lowered the number of parameters allowed */
  int nVar = sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
  while( nMax>1 && nMax*nArg>nVar ) nMax /= 2;
  *pnNew = 0;
  while( rc==SQLITE_OK && iRow<nRow ){
    sqlite3_stmt *pStmt = 0;
    int nChunk = nMax, r, k, iParam = 1;
    while( nChunk>nRow-iRow ) nChunk /= 2;
    rc = store_insert_stmt(db, pCache, zPred, nArg, nChunk, &pStmt, pzErr);
    for(r=0; rc==SQLITE_OK && r<nChunk; r++){
      const StoreArg *a = apRow[iRow + r];
      for(k=0; rc==SQLITE_OK && k<nArg; k++, iParam++){
        rc = a[k].z ? sqlite3_bind_text(pStmt, iParam, a[k].z, a[k].n, SQLITE_STATIC)
                    : sqlite3_bind_int64(pStmt, iParam, a[k].i);
      }
      if( rc!=SQLITE_OK ) return store_bind_err(db, pStmt, rc, pzErr);
    }
    if( rc==SQLITE_OK ) rc = store_step(db, pStmt, pzErr);
    if( rc==SQLITE_OK ) *pnNew += sqlite3_changes(db);
    iRow += nChunk;
  }
  return rc;
}

int pl_store_insert(sqlite3 *db, PlStmtCache *pCache, const PlPolicy *pPol,
                    const char *zPred, int nArg, const PlValue *aVal,
                    int *pbNew, char **pzErr){
  char aEnc[PL_MAX_ARGS][PL_VALUE_ENC_MAX];   /* bound SQLITE_STATIC */
  sqlite3_stmt *pStmt = 0;
  int rc, k;
  *pbNew = 0;
  rc = pl_store_check_pred(pPol, zPred, nArg, pzErr);
  if( rc==SQLITE_OK ) rc = store_check_values(pPol, zPred, nArg, aVal, pzErr);
  if( rc==SQLITE_OK ) rc = store_insert_stmt(db, pCache, zPred, nArg, 1, &pStmt, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  for(k=0; k<nArg; k++){
    rc = store_bind(pPol, pStmt, k+1, &aVal[k], aEnc[k], PL_VALUE_ENC_MAX);
    if( rc!=SQLITE_OK ) return store_bind_err(db, pStmt, rc, pzErr);
  }
  rc = store_step(db, pStmt, pzErr);
  if( rc==SQLITE_OK ) *pbNew = sqlite3_changes(db)>0;
  return rc;
}

/* The predicate check of a delete pattern. A predicate the policy no
** longer reads may still have facts stored under an older policy: those can
** be deleted, so its table existing is enough, and then *pbTyped = 0 (no
** signature to check the pattern against). */
static int store_check_delete_pred(sqlite3 *db, const PlPolicy *pPol,
                                   const char *zPred, int nArg, int *pbTyped,
                                   char **pzErr){
  int rc = pl_store_check_pred(pPol, zPred, nArg, pzErr);
  *pbTyped = rc==SQLITE_OK;
  if( rc!=SQLITE_OK ){
    char *zTab, *zErr2 = 0;
    int bExists;
    if( pPol==0 || nArg<1 || nArg>PL_MAX_ARGS ) return rc;
    zTab = pl_store_table_name(zPred, nArg);
    if( zTab==0 ) return SQLITE_NOMEM;
    bExists = store_table_exists(db, zTab, &zErr2);
    sqlite3_free(zTab);
    if( bExists==0 ) return rc;
    sqlite3_free(*pzErr);
    *pzErr = zErr2;
    return bExists<0 ? SQLITE_ERROR : SQLITE_OK;
  }
  return SQLITE_OK;
}

/* Delete every stored fact matching the checked pattern aVal. */
static int store_delete_rows(sqlite3 *db, PlStmtCache *pCache,
                             const PlPolicy *pPol, const char *zPred,
                             int nArg, const PlValue *aVal, int *pnDel,
                             char **pzErr){
  char aEnc[PL_MAX_ARGS][PL_VALUE_ENC_MAX];   /* bound SQLITE_STATIC */
  char aKey[128], *zKey;
  char zShape[PL_MAX_ARGS+2];     /* ":" then one letter per argument */
  sqlite3_stmt *pStmt = 0;
  int rc, k, iParam;
  *pnDel = 0;
  /* One statement per pattern shape: v value, t typed wildcard (a range on
  ** the text encoding), i Integer wildcard, _ any value. */
  zShape[0] = ':';
  for(k=0; k<nArg; k++){
    zShape[k+1] = !aVal[k].bWild ? 'v' : aVal[k].iType<0 ? '_'
                : aVal[k].iType==PL_TYPE_INTEGER ? 'i' : 't';
  }
  zShape[nArg+1] = 0;
  zKey = store_key(aKey, (int)sizeof(aKey), "del", zPred, nArg, zShape);
  if( zKey==0 ) return SQLITE_NOMEM;
  rc = pl_cache_get(pCache, zKey, 0, &pStmt, pzErr);
  if( rc==SQLITE_OK && pStmt==0 ){
    char *zTab = pl_store_table_name(zPred, nArg);
    sqlite3_str *pSql = sqlite3_str_new(db);
    const char *zSep = " WHERE ";
    char *zSql;
    sqlite3_str_appendf(pSql, "DELETE FROM main.\"%w\"", zTab);
    for(k=0, iParam=1; k<nArg; k++){
      switch( zShape[k+1] ){
        case 'v':
          sqlite3_str_appendf(pSql, "%sa%d=?%d", zSep, k+1, iParam++);
          break;
        case 't':
          sqlite3_str_appendf(pSql, "%sa%d>=?%d AND a%d<?%d",
                              zSep, k+1, iParam, k+1, iParam+1);
          iParam += 2;
          break;
        case 'i':
          sqlite3_str_appendf(pSql, "%stypeof(a%d)='integer'", zSep, k+1);
          break;
        default:
          continue;
      }
      zSep = " AND ";
    }
    zSql = sqlite3_str_finish(pSql);
    rc = (zTab && zSql) ? pl_cache_get(pCache, zKey, zSql, &pStmt, pzErr)
                        : SQLITE_NOMEM;
    sqlite3_free(zTab);
    sqlite3_free(zSql);
  }
  store_key_free(zKey, aKey);
  if( rc!=SQLITE_OK ) return rc;
  for(k=0, iParam=1; k<nArg; k++){
    if( zShape[k+1]=='v' ){
      rc = store_bind(pPol, pStmt, iParam++, &aVal[k], aEnc[k], PL_VALUE_ENC_MAX);
    }else if( zShape[k+1]=='t' ){
      const char *zType = pl_value_type_name(pPol, aVal[k].iType);
      char *zLo = sqlite3_mprintf("%s:", zType);
      char *zHi = sqlite3_mprintf("%s;", zType);
      if( zLo==0 || zHi==0 ){
        rc = SQLITE_NOMEM;
      }else{
        rc = sqlite3_bind_text(pStmt, iParam, zLo, -1, SQLITE_TRANSIENT);
        if( rc==SQLITE_OK ){
          rc = sqlite3_bind_text(pStmt, iParam+1, zHi, -1, SQLITE_TRANSIENT);
        }
      }
      sqlite3_free(zLo);
      sqlite3_free(zHi);
      iParam += 2;
    }
    if( rc!=SQLITE_OK ) return store_bind_err(db, pStmt, rc, pzErr);
  }
  rc = store_step(db, pStmt, pzErr);
  if( rc==SQLITE_OK ) *pnDel = sqlite3_changes(db);
  return rc;
}

int pl_store_delete(sqlite3 *db, PlStmtCache *pCache, const PlPolicy *pPol,
                    const char *zPred, int nArg, const PlValue *aVal,
                    int *pnDel, char **pzErr){
  int bTyped = 0;
  int rc = store_check_delete_pred(db, pPol, zPred, nArg, &bTyped, pzErr);
  *pnDel = 0;
  if( rc==SQLITE_OK && bTyped ) rc = pl_store_check_types(pPol, zPred, nArg, aVal, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  return store_delete_rows(db, pCache, pPol, zPred, nArg, aVal, pnDel, pzErr);
}

/*------------------------------------------------------------- batch -----*/
/*
** A batch is checked whole before anything is written: the JSON, every
** predicate, value and signature. A batch that fails a check has changed
** nothing. Then the changesets are written in order; the inserts of one
** changeset go to their tables many rows per statement (store_insert_rows).
**
** The writes run inside a SAVEPOINT when they could fail halfway for a
** reason other than the database itself: outside a transaction (the
** savepoint is then the transaction), or when a trigger or a foreign key
** refers to a fact table (store_writes_may_abort). Otherwise they need
** none, as a single SQLite statement needs no statement journal: the only
** errors left are the database's own (I/O, disk full, out of memory,
** interrupt), after which SQLite rolls the transaction back. A savepoint is
** not free: every page a batch touches is first copied to the savepoint's
** journal, which on a file database costs as much as the inserts. Should
** an unexpected error still stop unguarded writes after some were made,
** the transaction is rolled back, so a batch never stays half applied.
*/

/* One checked fact of a batch: its arguments in storage encoding (inserts)
** or as a pattern (deletes). */
typedef struct StoreFact {
  StoreArg a[PL_MAX_ARGS];            /* inserts */
  PlValue aVal[PL_MAX_ARGS];          /* deletes */
  int bDone;                          /* inserts: written */
} StoreFact;

/* Step a cached one-integer statement; its value in *pV. */
static int store_read_int(PlStmtCache *pCache, const char *zSql,
                          sqlite3_int64 *pV, char **pzErr){
  sqlite3_stmt *pStmt = 0;
  int rc = pl_cache_get(pCache, zSql, zSql, &pStmt, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( sqlite3_step(pStmt)==SQLITE_ROW ){
    *pV = sqlite3_column_int64(pStmt, 0);
  }else{
    rc = SQLITE_ERROR;
    *pzErr = sqlite3_mprintf("reading the schema: %s",
                             sqlite3_errmsg(sqlite3_db_handle(pStmt)));
  }
  sqlite3_reset(pStmt);
  return rc;
}

/* 1 if writing the fact tables could fail halfway for a reason other than
** the database's own (a trigger on a fact table, in main or temp, or a table
** whose foreign key names one), 0 if not; <0 and *pzErr on error. The
** answer is kept until the schema version of main or temp changes. */
static int store_writes_may_abort(PlStmtCache *pCache, char **pzErr){
  static const char zSql[] =
    "SELECT EXISTS(SELECT 1 FROM main.sqlite_schema"
    "  WHERE (type='trigger' AND tbl_name LIKE 'polar\\_f\\_%' ESCAPE '\\')"
    "     OR (type='table' AND lower(sql) LIKE '%references%polar\\_f\\_%' ESCAPE '\\'))"
    " OR EXISTS(SELECT 1 FROM temp.sqlite_schema"
    "  WHERE type='trigger' AND tbl_name LIKE 'polar\\_f\\_%' ESCAPE '\\')";
  PlWriteGuard *g = pl_cache_guard(pCache);
  sqlite3_int64 iMain = 0, iTemp = 0, v = 0;
  int rc = store_read_int(pCache, "PRAGMA main.schema_version", &iMain, pzErr);
  if( rc==SQLITE_OK ) rc = store_read_int(pCache, "PRAGMA temp.schema_version", &iTemp, pzErr);
  if( rc!=SQLITE_OK ) return -1;
  if( g->bKnown && g->iMainVersion==iMain && g->iTempVersion==iTemp ){
    return g->bMayAbort;
  }
  rc = store_read_int(pCache, zSql, &v, pzErr);
  if( rc!=SQLITE_OK ) return -1;
  g->bKnown = 1;
  g->iMainVersion = iMain;
  g->iTempVersion = iTemp;
  g->bMayAbort = v!=0;
  return g->bMayAbort;
}

/* Check fact j of changeset pCh (batch[i]) into *pOut; arguments are
** encoded into pArena. */
static int store_check_fact(sqlite3 *db, const PlPolicy *pPol, PlArena *pArena,
                            const PlJsonChange *pCh, int j, StoreFact *pOut,
                            char **pzErr){
  static const char *const azWhat[PL_MAX_ARGS] = {
    "argument 1", "argument 2", "argument 3", "argument 4", "argument 5"
  };
  const PlJsonFact *pF = &pCh->aFact[j];
  int rc, k, bTyped = 1;
  if( pCh->bInsert ){
    rc = pl_store_check_pred(pPol, pF->zPred, pF->nArg, pzErr);
  }else{
    rc = store_check_delete_pred(db, pPol, pF->zPred, pF->nArg, &bTyped, pzErr);
  }
  for(k=0; rc==SQLITE_OK && k<pF->nArg; k++){
    rc = pl_value_from_wire(pPol, pF->azType[k], pF->anType[k], pF->azId[k],
                            pF->anId[k], !pCh->bInsert, azWhat[k],
                            &pOut->aVal[k], pzErr);
  }
  if( rc!=SQLITE_OK ) return rc;
  if( !pCh->bInsert ){
    return bTyped ? pl_store_check_types(pPol, pF->zPred, pF->nArg, pOut->aVal, pzErr)
                  : SQLITE_OK;
  }
  rc = store_check_values(pPol, pF->zPred, pF->nArg, pOut->aVal, pzErr);
  for(k=0; rc==SQLITE_OK && k<pF->nArg; k++){
    const PlValue *v = &pOut->aVal[k];
    StoreArg *a = &pOut->a[k];
    if( v->iType==PL_TYPE_INTEGER ){
      a->z = 0;
      a->i = v->i;
    }else{
      size_t nMax = strlen(pl_value_type_name(pPol, v->iType)) + 1 + (size_t)v->n;
      char *z = pl_arena_alloc(pArena, nMax);
      if( z==0 ) return SQLITE_NOMEM;
      rc = pl_value_encode(pPol, v, z, (int)nMax, &a->n);
      a->z = z;
    }
  }
  return rc;
}

/* Write the inserts of one checked changeset, table by table. */
static int store_write_inserts(sqlite3 *db, PlStmtCache *pCache,
                               const PlJsonChange *pCh, StoreFact *aFact,
                               const StoreArg **apRow, int *pnChanged,
                               int *piFirst, char **pzErr){
  int j, rc = SQLITE_OK;
  for(j=0; rc==SQLITE_OK && j<pCh->nFact; j++){
    const PlJsonFact *pF = &pCh->aFact[j];
    int nRow = 0, j2, nNew = 0;
    if( aFact[j].bDone ) continue;
    for(j2=j; j2<pCh->nFact; j2++){     /* every fact of this table */
      const PlJsonFact *p2 = &pCh->aFact[j2];
      if( aFact[j2].bDone || p2->nArg!=pF->nArg
       || (p2->zPred!=pF->zPred && strcmp(p2->zPred, pF->zPred)!=0) ) continue;
      aFact[j2].bDone = 1;
      apRow[nRow++] = aFact[j2].a;
    }
    *piFirst = j;
    rc = store_insert_rows(db, pCache, pF->zPred, pF->nArg, apRow, nRow,
                           &nNew, pzErr);
    *pnChanged += nNew;
  }
  return rc;
}

int pl_store_batch(sqlite3 *db, PlStmtCache *pCache, const PlPolicy *pPol,
                   const char *zJson, int nJson, int *pnChanged, char **pzErr){
  PlArena *pArena;
  PlJsonChange *aChange = 0;
  StoreFact **aaFact = 0;
  const StoreArg **apRow = 0;
  int nChange = 0, i, j, rc, nChanged = 0, nMaxFact = 0, bGuard = 0;
  sqlite3_int64 nTotalBefore = sqlite3_total_changes64(db);
  char *zErr = 0;
  *pnChanged = 0;
  if( pPol==0 ){
    *pzErr = sqlite3_mprintf("no policy is loaded; load one with polar_load() "
                             "before writing facts");
    return SQLITE_ERROR;
  }
  pArena = pl_arena_new();
  if( pArena==0 ) return SQLITE_NOMEM;
  rc = pl_json_batch(pArena, zJson, nJson, &aChange, &nChange, pzErr);
  if( rc!=SQLITE_OK ) goto batch_done;

  /* 1. check everything */
  aaFact = pl_arena_alloc(pArena, sizeof(StoreFact*)*(size_t)(nChange+1));
  if( aaFact==0 ){ rc = SQLITE_NOMEM; goto batch_done; }
  for(i=0; rc==SQLITE_OK && i<nChange; i++){
    const PlJsonChange *pCh = &aChange[i];
    if( pCh->nFact>nMaxFact ) nMaxFact = pCh->nFact;
    aaFact[i] = pl_arena_alloc(pArena, sizeof(StoreFact)*(size_t)(pCh->nFact+1));
    if( aaFact[i]==0 ){ rc = SQLITE_NOMEM; break; }
    for(j=0; rc==SQLITE_OK && j<pCh->nFact; j++){
      rc = store_check_fact(db, pPol, pArena, pCh, j, &aaFact[i][j], &zErr);
      if( rc!=SQLITE_OK ){
        *pzErr = sqlite3_mprintf("batch[%d].%s[%d]: %s", i,
                                 pCh->bInsert ? "inserts" : "deletes", j,
                                 zErr ? zErr : sqlite3_errstr(rc));
        sqlite3_free(zErr);
        zErr = 0;
      }
    }
  }
  if( rc==SQLITE_OK ){
    apRow = pl_arena_alloc(pArena, sizeof(StoreArg*)*(size_t)(nMaxFact+1));
    if( apRow==0 ) rc = SQLITE_NOMEM;
  }
  if( rc==SQLITE_OK && nMaxFact==0 ) goto batch_done;   /* nothing to write */
  if( rc==SQLITE_OK ){
    bGuard = sqlite3_get_autocommit(db);
    if( !bGuard ){
      bGuard = store_writes_may_abort(pCache, pzErr);
      if( bGuard<0 ) rc = SQLITE_ERROR;
    }
  }
  if( rc==SQLITE_OK && bGuard ) rc = store_exec(db, "SAVEPOINT polar_batch", pzErr);
  if( rc!=SQLITE_OK ){
    bGuard = 0;
    goto batch_done;
  }

  /* 2. write, changeset by changeset */
  for(i=0; rc==SQLITE_OK && i<nChange; i++){
    const PlJsonChange *pCh = &aChange[i];
    j = 0;
    if( pCh->bInsert ){
      rc = store_write_inserts(db, pCache, pCh, aaFact[i], apRow, &nChanged,
                               &j, &zErr);
    }else{
      for(j=0; rc==SQLITE_OK && j<pCh->nFact; j++){
        const PlJsonFact *pF = &pCh->aFact[j];
        int n = 0;
        rc = store_delete_rows(db, pCache, pPol, pF->zPred, pF->nArg,
                               aaFact[i][j].aVal, &n, &zErr);
        nChanged += n;
      }
      j--;
    }
    if( rc!=SQLITE_OK ){
      *pzErr = sqlite3_mprintf("batch[%d].%s[%d]: %s", i,
                               pCh->bInsert ? "inserts" : "deletes", j,
                               zErr ? zErr : sqlite3_errstr(rc));
      sqlite3_free(zErr);
      zErr = 0;
    }
  }

  if( bGuard ){
    if( rc==SQLITE_OK ){
      rc = store_exec(db, "RELEASE polar_batch", pzErr);
    }
    if( rc!=SQLITE_OK ){
      /* nothing of a failed batch stays */
      sqlite3_exec(db, "ROLLBACK TO polar_batch; RELEASE polar_batch", 0, 0, 0);
    }
  }else if( rc!=SQLITE_OK && !sqlite3_get_autocommit(db)
         && (sqlite3_total_changes64(db)!=nTotalBefore
             || ((rc&0xff)!=SQLITE_BUSY && (rc&0xff)!=SQLITE_LOCKED
                           && (rc&0xff)!=SQLITE_READONLY)) ){
    /* unguarded writes stopped halfway (SQLite has not already rolled the
    ** transaction back): a half-applied batch must not stay */
    char *zMsg = sqlite3_mprintf("%s (the transaction was rolled back: the "
                                 "batch was partly written)", *pzErr);
    sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
    if( zMsg ){ sqlite3_free(*pzErr); *pzErr = zMsg; }
  }

batch_done:
  if( rc==SQLITE_OK ) *pnChanged = nChanged;
  pl_arena_free(pArena);
  return rc;
}

/*------------------------------------------------------------- fact keys -*/
/*
** The identity of one stored fact as a blob, used as the primary key of the
** polar_facts virtual table so that DELETE can find the row again:
**
**   predicate bytes, 0x00, nArg (1 byte), then per argument
**     'i' + 8-byte big-endian integer      (Integer)
**     't' + 4-byte big-endian length + bytes (everything else)
*/
int pl_store_fact_key(const char *zPred, int nArg, sqlite3_value **apEnc,
                      void **ppKey, int *pnKey){
  size_t nPred = strlen(zPred), nKey = nPred + 2, j;
  unsigned char *a;
  int k;
  *ppKey = 0;
  *pnKey = 0;
  for(k=0; k<nArg; k++){
    if( sqlite3_value_type(apEnc[k])==SQLITE_INTEGER ){
      nKey += 9;
    }else{
      nKey += 5 + (size_t)sqlite3_value_bytes(apEnc[k]);
    }
  }
  if( nKey>0x7fffffff ) return SQLITE_TOOBIG;
  a = sqlite3_malloc64(nKey);
  if( a==0 ) return SQLITE_NOMEM;
  memcpy(a, zPred, nPred + 1);
  j = nPred + 1;
  a[j++] = (unsigned char)nArg;
  for(k=0; k<nArg; k++){
    if( sqlite3_value_type(apEnc[k])==SQLITE_INTEGER ){
      uint64_t v = (uint64_t)sqlite3_value_int64(apEnc[k]);
      int b;
      a[j++] = 'i';
      for(b=7; b>=0; b--) a[j++] = (unsigned char)(v >> (8*b));
    }else{
      const unsigned char *z = sqlite3_value_text(apEnc[k]);
      uint32_t n = (uint32_t)sqlite3_value_bytes(apEnc[k]);
      if( z==0 && n>0 ){ sqlite3_free(a); return SQLITE_NOMEM; }
      a[j++] = 't';
      a[j++] = (unsigned char)(n>>24); a[j++] = (unsigned char)(n>>16);
      a[j++] = (unsigned char)(n>>8);  a[j++] = (unsigned char)n;
      if( n ) memcpy(a + j, z, n);
      j += n;
    }
  }
  *ppKey = a;
  *pnKey = (int)j;
  return SQLITE_OK;
}

int pl_store_delete_key(sqlite3 *db, PlStmtCache *pCache, const void *pKey,
                        int nKey, int *pnDel, char **pzErr){
  const unsigned char *a = pKey, *aEnd = a + (nKey>0 ? nKey : 0);
  const unsigned char *pNul = nKey>0 ? memchr(a, 0, (size_t)nKey) : 0;
  const char *zPred = (const char*)a;
  sqlite3_stmt *pStmt = 0;
  char *zCacheKey;
  int nArg, k, rc;
  *pnDel = 0;
  if( pNul==0 || pNul==a || pNul+1>=aEnd ) goto bad_key;
  nArg = pNul[1];
  if( nArg<1 || nArg>PL_MAX_ARGS ) goto bad_key;
  zCacheKey = sqlite3_mprintf("delkey:%s:%d", zPred, nArg);
  if( zCacheKey==0 ) return SQLITE_NOMEM;
  rc = pl_cache_get(pCache, zCacheKey, 0, &pStmt, pzErr);
  if( rc==SQLITE_OK && pStmt==0 ){
    char *zTab = pl_store_table_name(zPred, nArg);
    sqlite3_str *pSql = sqlite3_str_new(db);
    char *zSql;
    sqlite3_str_appendf(pSql, "DELETE FROM main.\"%w\" WHERE ", zTab);
    for(k=1; k<=nArg; k++){
      sqlite3_str_appendf(pSql, "%sa%d=?%d", k>1 ? " AND " : "", k, k);
    }
    zSql = sqlite3_str_finish(pSql);
    rc = (zTab && zSql) ? pl_cache_get(pCache, zCacheKey, zSql, &pStmt, pzErr)
                        : SQLITE_NOMEM;
    sqlite3_free(zTab);
    sqlite3_free(zSql);
  }
  sqlite3_free(zCacheKey);
  if( rc!=SQLITE_OK ) return rc;
  a = pNul + 2;
  for(k=1; k<=nArg; k++){
    if( a<aEnd && a[0]=='i' && aEnd-a>=9 ){
      uint64_t v = 0;
      int b;
      for(b=1; b<=8; b++) v = (v<<8) | a[b];
      rc = sqlite3_bind_int64(pStmt, k, (sqlite3_int64)v);
      a += 9;
    }else if( a<aEnd && a[0]=='t' && aEnd-a>=5 ){
      uint32_t n = ((uint32_t)a[1]<<24) | ((uint32_t)a[2]<<16)
                 | ((uint32_t)a[3]<<8) | a[4];
      if( (size_t)(aEnd-a-5) < n ){ sqlite3_reset(pStmt); goto bad_key; }
      rc = sqlite3_bind_text64(pStmt, k, (const char*)a+5, n,
                               SQLITE_TRANSIENT, SQLITE_UTF8);
      a += 5 + n;
    }else{
      sqlite3_reset(pStmt);
      goto bad_key;
    }
    if( rc!=SQLITE_OK ) return store_bind_err(db, pStmt, rc, pzErr);
  }
  if( a!=aEnd ){ sqlite3_reset(pStmt); goto bad_key; }
  rc = store_step(db, pStmt, pzErr);
  if( rc==SQLITE_OK ) *pnDel = sqlite3_changes(db);
  return rc;

bad_key:
  *pzErr = sqlite3_mprintf("not a polar_facts fact key");
  return SQLITE_ERROR;
}
