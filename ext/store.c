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
** "ins:has_role:3" and "del:has_role:3:vt_" (one per pattern shape), and are
** reset after use so that no statement holds the database open.
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
** bindings: they may point into the caller's stack (store_bind). */
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

int pl_store_insert(sqlite3 *db, PlStmtCache *pCache, const PlPolicy *pPol,
                    const char *zPred, int nArg, const PlValue *aVal,
                    int *pbNew, char **pzErr){
  char aEnc[PL_MAX_ARGS][PL_VALUE_ENC_MAX];   /* bound SQLITE_STATIC */
  char aKey[128], *zKey;
  sqlite3_stmt *pStmt = 0;
  int rc, k;
  *pbNew = 0;
  rc = pl_store_check_pred(pPol, zPred, nArg, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  for(k=0; k<nArg; k++){
    if( aVal[k].bWild ){
      *pzErr = sqlite3_mprintf("argument %d is a wildcard; a stored fact needs "
                               "a value in every position", k+1);
      return SQLITE_ERROR;
    }
  }
  rc = pl_store_check_types(pPol, zPred, nArg, aVal, pzErr);
  if( rc!=SQLITE_OK ) return rc;

  zKey = store_key(aKey, (int)sizeof(aKey), "ins", zPred, nArg, "");
  if( zKey==0 ) return SQLITE_NOMEM;
  rc = pl_cache_get(pCache, zKey, 0, &pStmt, pzErr);
  if( rc==SQLITE_OK && pStmt==0 ){
    char *zTab = pl_store_table_name(zPred, nArg);
    sqlite3_str *pSql = sqlite3_str_new(db);
    char *zSql;
    sqlite3_str_appendf(pSql, "INSERT OR IGNORE INTO main.\"%w\" VALUES(", zTab);
    for(k=1; k<=nArg; k++) sqlite3_str_appendf(pSql, "%s?%d", k>1 ? "," : "", k);
    sqlite3_str_appendall(pSql, ")");
    zSql = sqlite3_str_finish(pSql);
    rc = (zTab && zSql) ? pl_cache_get(pCache, zKey, zSql, &pStmt, pzErr)
                        : SQLITE_NOMEM;
    sqlite3_free(zTab);
    sqlite3_free(zSql);
  }
  store_key_free(zKey, aKey);
  if( rc!=SQLITE_OK ) return rc;
  for(k=0; k<nArg; k++){
    rc = store_bind(pPol, pStmt, k+1, &aVal[k], aEnc[k], PL_VALUE_ENC_MAX);
    if( rc!=SQLITE_OK ) return store_bind_err(db, pStmt, rc, pzErr);
  }
  rc = store_step(db, pStmt, pzErr);
  if( rc==SQLITE_OK ) *pbNew = sqlite3_changes(db)>0;
  return rc;
}

int pl_store_delete(sqlite3 *db, PlStmtCache *pCache, const PlPolicy *pPol,
                    const char *zPred, int nArg, const PlValue *aVal,
                    int *pnDel, char **pzErr){
  char aEnc[PL_MAX_ARGS][PL_VALUE_ENC_MAX];   /* bound SQLITE_STATIC */
  char aKey[128], *zKey;
  char zShape[PL_MAX_ARGS+2];     /* ":" then one letter per argument */
  sqlite3_stmt *pStmt = 0;
  int rc, k, iParam;
  *pnDel = 0;
  rc = pl_store_check_pred(pPol, zPred, nArg, pzErr);
  if( rc!=SQLITE_OK ){
    /* A predicate the policy no longer reads may still have facts stored
    ** under an older policy: those can be deleted. */
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
    if( bExists<0 ) return SQLITE_ERROR;
  }else{
    rc = pl_store_check_types(pPol, zPred, nArg, aVal, pzErr);
    if( rc!=SQLITE_OK ) return rc;
  }

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

/*------------------------------------------------------------- batch -----*/

int pl_store_batch(sqlite3 *db, PlStmtCache *pCache, const PlPolicy *pPol,
                   const char *zJson, int nJson, int *pnChanged, char **pzErr){
  PlArena *pArena;
  PlJsonChange *aChange = 0;
  int nChange = 0, i, j, k, rc, nChanged = 0;
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
  rc = store_exec(db, "SAVEPOINT polar_batch", pzErr);
  if( rc!=SQLITE_OK ) goto batch_done;

  for(i=0; rc==SQLITE_OK && i<nChange; i++){
    const PlJsonChange *pCh = &aChange[i];
    for(j=0; rc==SQLITE_OK && j<pCh->nFact; j++){
      const PlJsonFact *pF = &pCh->aFact[j];
      PlValue aVal[PL_MAX_ARGS];
      int n = 0;
      rc = pl_store_check_pred(pPol, pF->zPred, pF->nArg, &zErr);
      if( rc!=SQLITE_OK && !pCh->bInsert ){
        /* deletes may target a table left by an older policy */
        char *zTab = pl_store_table_name(pF->zPred, pF->nArg);
        char *zErr2 = 0;
        if( zTab && pF->nArg>=1 && pF->nArg<=PL_MAX_ARGS
         && store_table_exists(db, zTab, &zErr2)>0 ){
          sqlite3_free(zErr);
          zErr = 0;
          rc = SQLITE_OK;
        }
        sqlite3_free(zErr2);
        sqlite3_free(zTab);
      }
      for(k=0; rc==SQLITE_OK && k<pF->nArg; k++){
        static const char *const azWhat[PL_MAX_ARGS] = {
          "argument 1", "argument 2", "argument 3", "argument 4", "argument 5"
        };
        rc = pl_value_from_wire(pPol, pF->azType[k], pF->anType[k],
                                pF->azId[k], pF->anId[k], !pCh->bInsert,
                                azWhat[k], &aVal[k], &zErr);
      }
      if( rc==SQLITE_OK ){
        if( pCh->bInsert ){
          rc = pl_store_insert(db, pCache, pPol, pF->zPred, pF->nArg, aVal,
                               &n, &zErr);
        }else{
          rc = pl_store_delete(db, pCache, pPol, pF->zPred, pF->nArg, aVal,
                               &n, &zErr);
        }
        nChanged += n;
      }
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
    rc = store_exec(db, "RELEASE polar_batch", pzErr);
  }
  if( rc!=SQLITE_OK ){
    /* nothing of a failed batch stays */
    sqlite3_exec(db, "ROLLBACK TO polar_batch; RELEASE polar_batch", 0, 0, 0);
  }else{
    *pnChanged = nChanged;
  }

batch_done:
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
