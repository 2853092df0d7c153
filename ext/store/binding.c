/*
** binding.c — polar_bind's bindings: serve a fact signature from the application's own
** tables (local authorization).
**
**   SELECT polar_bind('has_relation(Issue:_, String:parent, Repository:_)',
**                     'SELECT id, repo_id FROM issues');
**
** Each `Type:_` position of the signature takes the next column of the
** SELECT (its value is the id, so column 1 = 7 is the fact argument
** Issue:7); other positions are constants in the SQL value spelling. The
** signature must fit one of the policy's fact signatures, the SELECT must
** be one read-only statement with one column per `Type:_`. The rows are
** facts of the predicate alongside the stored ones: the compiler reads
** "stored table UNION ALL binding" wherever it reads the predicate.
**
** Bindings live in main.polar_binding, so every connection sees them.
** Adding, replacing or removing one (select_sql NULL) makes a new policy
** version (same source), so compiled statements everywhere are rebuilt;
** loading a policy that a binding no longer fits fails and names it.
**
** The SELECT is application SQL spliced into compiled statements by
** design; polar_bind is DIRECTONLY so that no view or trigger can call it.
** Equality on a bound argument cannot use the application's indexes (the
** id is compared in its "Type:id" form), so bind tables of modest size or
** add the facts with polar_insert.
*/
#include "pl_int.h"
#include <stdlib.h>
#include <string.h>

typedef struct BindSpec {
  char zPred[PL_MAX_ID + 1];
  int nArg;
  PlValue aVal[PL_MAX_ARGS];   /* bWild: a column of the SELECT */
  int nCol;
} BindSpec;

static int bind_is_space(char c){ return c==' ' || c=='\t' || c=='\n' || c=='\r'; }

/* Parse "pred(T:_, String:x, ...)" into *p (values point into zSig). */
static int bind_parse(const PlPolicy *pPol, const char *zSig, BindSpec *p,
                      char **pzErr){
  const char *z = zSig, *zOpen = strchr(zSig, '(');
  int n;
  memset(p, 0, sizeof(*p));
  while( bind_is_space(*z) ) z++;
  n = zOpen ? (int)(zOpen - z) : 0;
  while( n>0 && bind_is_space(z[n-1]) ) n--;
  if( zOpen==0 || n<=0 || n>PL_MAX_ID ){
    *pzErr = sqlite3_mprintf("polar_bind: expected a signature like "
        "'has_relation(Issue:_, String:parent, Repository:_)', got '%s'", zSig);
    return SQLITE_ERROR;
  }
  memcpy(p->zPred, z, (size_t)n);
  z = zOpen + 1;
  for(;;){
    const char *zA, *zE, *zColon;
    char zWhat[48];
    int rc;
    PlValue *v;
    while( bind_is_space(*z) ) z++;
    zA = z;
    while( *z && *z!=',' && *z!=')' ) z++;
    zE = z;
    while( zE>zA && bind_is_space(zE[-1]) ) zE--;
    if( *z==0 || zE==zA ){
      *pzErr = sqlite3_mprintf("polar_bind: signature '%s': expected an argument "
          "(Type:_ for a column, or a constant) and a closing ')'", zSig);
      return SQLITE_ERROR;
    }
    if( p->nArg>=PL_MAX_ARGS ){
      *pzErr = sqlite3_mprintf("polar_bind: signature '%s' has more than %d "
                               "arguments", zSig, PL_MAX_ARGS);
      return SQLITE_ERROR;
    }
    v = &p->aVal[p->nArg];
    sqlite3_snprintf(sizeof(zWhat), zWhat, "polar_bind: signature argument %d", p->nArg+1);
    zColon = memchr(zA, ':', (size_t)(zE - zA));
    if( zColon ){
      int bCol = (zE - zColon)==2 && zColon[1]=='_';
      rc = pl_value_from_wire(pPol, zA, (int)(zColon - zA), bCol ? 0 : zColon+1,
                              bCol ? 0 : (int)(zE - zColon - 1), bCol, zWhat, v, pzErr);
    }else{
      rc = pl_value_from_wire(pPol, "String", 6, zA, (int)(zE - zA), 0, zWhat, v, pzErr);
    }
    if( rc!=SQLITE_OK ) return rc;
    if( v->bWild ) p->nCol++;
    p->nArg++;
    if( *z==')' ) break;
    z++;
  }
  z++;
  while( bind_is_space(*z) ) z++;
  if( *z ){
    *pzErr = sqlite3_mprintf("polar_bind: unexpected text after the signature: '%s'", z);
    return SQLITE_ERROR;
  }
  if( p->nCol==0 ){
    *pzErr = sqlite3_mprintf("polar_bind: signature '%s' has no Type:_ position "
        "for the SELECT to fill; store constant facts with polar_insert", zSig);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* Check the spec against the policy: a known predicate, types that fit. */
static int bind_check_policy(const PlPolicy *pPol, const BindSpec *p, const char *zSig,
                             char **pzErr){
  char *zWhy = 0;
  int rc = pl_store_check_pred(pPol, p->zPred, p->nArg, &zWhy);
  if( rc==SQLITE_OK ) rc = pl_store_check_types(pPol, p->zPred, p->nArg, p->aVal, &zWhy);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("polar_bind: signature '%s': %s", zSig, zWhy);
    sqlite3_free(zWhy);
  }
  return rc;
}

/* A binding's SELECT runs inside every check, so it is held to the rules
** SQLite applies to views and triggers: it may not call a DIRECTONLY
** function (polar_insert, polar_delete, load_extension, ...), which
** sqlite3_stmt_readonly() does not see, and it may read only tables of the
** main database (a view in a file cannot reach the tables of a database
** its reader attached, nor the reader's temp tables; checks, which views
** may call, must not open that door). Bindings are read back from
** main.polar_binding, which whoever wrote the file controls, so this is
** checked whenever a binding is attached, not only in polar_bind. Both are
** found in the statement's EXPLAIN listing: functions as P4 "name(nArg)",
** looked up in pragma_function_list; tables as OpenRead/ReopenIdx, whose
** P3 is the database (0: main). */
static int bind_check_explain(sqlite3 *db, const char *zSql, char **pzErr){
  sqlite3_stmt *pEx = 0, *pFn = 0;
  char *zEx = sqlite3_mprintf("EXPLAIN %s", zSql);
  int rc = zEx ? sqlite3_prepare_v2(db, zEx, -1, &pEx, 0) : SQLITE_NOMEM;
  sqlite3_free(zEx);
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_function_list "
                            "WHERE name=?1 AND narg=?2 AND (flags & ?3)!=0", -1, &pFn, 0);
  }
  while( rc==SQLITE_OK && sqlite3_step(pEx)==SQLITE_ROW ){
    const char *zOp = (const char*)sqlite3_column_text(pEx, 1);
    const char *z = (const char*)sqlite3_column_text(pEx, 5);
    const char *zOpen = z ? strchr(z, '(') : 0;
    const char *zEnd = zOpen ? zOpen + 1 : 0;
    if( zOp && (strcmp(zOp, "OpenRead")==0 || strcmp(zOp, "ReopenIdx")==0)
     && sqlite3_column_int(pEx, 4)!=0 ){
      *pzErr = sqlite3_mprintf("polar_bind: the SELECT reads a table outside the main "
          "database (temp or attached); like a view, a binding may read only the "
          "database that holds it");
      rc = SQLITE_ERROR;
      break;
    }
    if( zEnd && *zEnd=='-' ) zEnd++;
    if( zEnd==0 || *zEnd<'0' || *zEnd>'9' ) continue;
    while( *zEnd>='0' && *zEnd<='9' ) zEnd++;
    if( zEnd[0]!=')' || zEnd[1]!=0 ) continue;
    sqlite3_bind_text(pFn, 1, z, (int)(zOpen - z), SQLITE_STATIC);
    sqlite3_bind_int(pFn, 2, atoi(zOpen + 1));
    sqlite3_bind_int(pFn, 3, SQLITE_DIRECTONLY);
    if( sqlite3_step(pFn)==SQLITE_ROW ){
      *pzErr = sqlite3_mprintf("polar_bind: the SELECT calls %.*s(), which may not run "
          "inside a check (it is SQLITE_DIRECTONLY: like views and triggers, a "
          "binding cannot call it)", (int)(zOpen - z), z);
      rc = SQLITE_ERROR;
    }
    sqlite3_reset(pFn);
  }
  if( rc==SQLITE_OK ) rc = sqlite3_finalize(pEx); else sqlite3_finalize(pEx);
  sqlite3_finalize(pFn);
  if( rc!=SQLITE_OK && *pzErr==0 ){
    *pzErr = sqlite3_mprintf("polar_bind: cannot inspect the SELECT: %s", sqlite3_errmsg(db));
  }
  return rc;
}

/* The SELECT must be one read-only statement with one column per Type:_,
** calling no DIRECTONLY function. */
static int bind_check_sql(sqlite3 *db, const BindSpec *p, const char *zSql, char **pzErr){
  sqlite3_stmt *pStmt = 0;
  const char *zTail = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, &zTail);
  if( rc!=SQLITE_OK || pStmt==0 ){
    *pzErr = sqlite3_mprintf("polar_bind: the SELECT does not prepare: %s",
                             pStmt ? sqlite3_errmsg(db) : rc ? sqlite3_errmsg(db)
                                                             : "it is empty");
    sqlite3_finalize(pStmt);
    return SQLITE_ERROR;
  }
  while( zTail && (bind_is_space(*zTail) || *zTail==';') ) zTail++;
  if( zTail && *zTail ){
    *pzErr = sqlite3_mprintf("polar_bind: give one SELECT statement; found more "
                             "text after it: '%.40s'", zTail);
    rc = SQLITE_ERROR;
  }else if( !sqlite3_stmt_readonly(pStmt) || sqlite3_column_count(pStmt)==0 ){
    *pzErr = sqlite3_mprintf("polar_bind: the statement must be a read-only SELECT");
    rc = SQLITE_ERROR;
  }else if( sqlite3_column_count(pStmt)!=p->nCol ){
    *pzErr = sqlite3_mprintf("polar_bind: the SELECT returns %d column%s; the "
        "signature has %d Type:_ position%s", sqlite3_column_count(pStmt),
        sqlite3_column_count(pStmt)==1 ? "" : "s", p->nCol, p->nCol==1 ? "" : "s");
    rc = SQLITE_ERROR;
  }
  sqlite3_finalize(pStmt);
  if( rc==SQLITE_OK ) rc = bind_check_explain(db, zSql, pzErr);
  return rc;
}

/* Canonical signature text: pred(T:_, String:x, ...). */
static char *bind_canonical(const PlPolicy *pPol, const BindSpec *p){
  sqlite3_str *s = sqlite3_str_new(0);
  int k;
  sqlite3_str_appendf(s, "%s(", p->zPred);
  for(k=0; k<p->nArg; k++){
    const PlValue *v = &p->aVal[k];
    sqlite3_str_appendf(s, "%s%s:", k ? ", " : "", pl_value_type_name(pPol, v->iType));
    if( v->bWild ) sqlite3_str_appendall(s, "_");
    else if( v->iType==PL_TYPE_INTEGER ) sqlite3_str_appendf(s, "%lld", (long long)v->i);
    else if( v->iType==PL_TYPE_BOOLEAN ) sqlite3_str_appendall(s, v->i ? "true" : "false");
    else sqlite3_str_append(s, v->z, v->n);
  }
  sqlite3_str_appendall(s, ")");
  return sqlite3_str_finish(s);
}

/* SELECT <storage encoding of each position> AS aK FROM (the SELECT). */
static char *bind_arm(const PlPolicy *pPol, const BindSpec *p, const char *zSql){
  sqlite3_str *s = sqlite3_str_new(0);
  int k, iCol = 0;
  sqlite3_str_appendall(s, "SELECT ");
  for(k=0; k<p->nArg; k++){
    const PlValue *v = &p->aVal[k];
    if( k ) sqlite3_str_appendall(s, ", ");
    if( v->bWild ){
      iCol++;
      switch( v->iType ){
        case PL_TYPE_INTEGER: sqlite3_str_appendf(s, "CAST(c%d AS INTEGER)", iCol); break;
        case PL_TYPE_BOOLEAN:
          sqlite3_str_appendf(s, "CASE WHEN c%d THEN 'Boolean:true' ELSE 'Boolean:false' END", iCol);
          break;
        default:
          sqlite3_str_appendf(s, "'%q:'||c%d", pl_value_type_name(pPol, v->iType), iCol);
      }
    }else if( v->iType==PL_TYPE_INTEGER ){
      sqlite3_str_appendf(s, "%lld", (long long)v->i);
    }else{
      char aBuf[PL_VALUE_ENC_MAX + 1];   /* ids hold no NUL: %Q can quote it */
      int n = 0;
      if( pl_value_encode(pPol, v, aBuf, PL_VALUE_ENC_MAX, &n)!=SQLITE_OK ) n = 0;
      aBuf[n] = 0;
      sqlite3_str_appendf(s, "%Q", aBuf);
    }
    sqlite3_str_appendf(s, " AS a%d", k+1);
  }
  sqlite3_str_appendall(s, " FROM (WITH pb(");
  for(k=1; k<=p->nCol; k++) sqlite3_str_appendf(s, "%sc%d", k>1 ? "," : "", k);
  sqlite3_str_appendf(s, ") AS (%s) SELECT * FROM pb) WHERE ", zSql);
  for(k=1; k<=p->nCol; k++) sqlite3_str_appendf(s, "%sc%d IS NOT NULL", k>1 ? " AND " : "", k);
  return sqlite3_str_finish(s);
}

/* Parse and check one binding against pPol (and, if zSql, its SELECT). */
static int bind_prepare(sqlite3 *db, const PlPolicy *pPol, const char *zSig,
                        const char *zSql, BindSpec *p, char **pzErr){
  int rc = bind_parse(pPol, zSig, p, pzErr);
  if( rc==SQLITE_OK ) rc = bind_check_policy(pPol, p, zSig, pzErr);
  if( rc==SQLITE_OK && zSql ) rc = bind_check_sql(db, p, zSql, pzErr);
  return rc;
}

int pl_bind_attach(sqlite3 *db, PlPolicy *pPol, char **pzErr){
  sqlite3_stmt *pStmt = 0;
  int rc, n = 0;
  pPol->aBinding = 0;
  pPol->nBinding = 0;
  rc = sqlite3_prepare_v2(db, "SELECT signature, select_sql FROM main.polar_binding "
                          "ORDER BY signature", -1, &pStmt, 0);
  if( rc!=SQLITE_OK ){          /* no table: no bindings */
    sqlite3_finalize(pStmt);
    return SQLITE_OK;
  }
  while( sqlite3_step(pStmt)==SQLITE_ROW ) n++;
  sqlite3_reset(pStmt);
  if( n>0 ){
    pPol->aBinding = pl_arena_alloc(pPol->pArena, sizeof(PlBinding)*(size_t)n);
    if( pPol->aBinding==0 ) rc = SQLITE_NOMEM;
  }
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    const char *zSig = (const char*)sqlite3_column_text(pStmt, 0);
    const char *zSql = (const char*)sqlite3_column_text(pStmt, 1);
    PlBinding *b = &pPol->aBinding[pPol->nBinding];
    BindSpec spec;
    char *zWhy = 0, *zArm;
    if( zSig==0 || zSql==0 ) continue;
    rc = bind_prepare(db, pPol, zSig, zSql, &spec, &zWhy);
    if( rc!=SQLITE_OK ){
      *pzErr = sqlite3_mprintf("the binding %s no longer fits (%s); change it or "
          "remove it with polar_bind('%q', NULL)", zSig, zWhy, zSig);
      sqlite3_free(zWhy);
      break;
    }
    zArm = bind_arm(pPol, &spec, zSql);
    b->iPred = pl_policy_find_pred(pPol, spec.zPred, spec.nArg);
    b->zSig = pl_arena_strndup(pPol->pArena, zSig, -1);
    b->zArm = zArm ? pl_arena_strndup(pPol->pArena, zArm, -1) : 0;
    sqlite3_free(zArm);
    if( b->zSig==0 || b->zArm==0 ){ rc = SQLITE_NOMEM; break; }
    if( b->iPred>=0 ) pPol->nBinding++;
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/* Store (or, zSql NULL, remove) one binding and a new policy version. */
int pl_binding_set(sqlite3 *db, const PlPolicy *pPol, int iVersion, const char *zSig,
                   const char *zSql, char **pzErr){
  char *zCanon = 0;
  BindSpec spec;
  int rc = bind_prepare(db, pPol, zSig, zSql, &spec, pzErr);
  if( rc==SQLITE_OK ){
    zCanon = bind_canonical(pPol, &spec);
    if( zCanon==0 ) rc = SQLITE_NOMEM;
  }
  if( rc==SQLITE_OK ) rc = sqlite3_exec(db, "SAVEPOINT polar_bind", 0, 0, 0);
  if( rc==SQLITE_OK ){
    char *zDo = zSql
      ? sqlite3_mprintf("INSERT OR REPLACE INTO main.polar_binding(signature, select_sql, "
                        "bound_at) VALUES(%Q, %Q, unixepoch())", zCanon, zSql)
      : sqlite3_mprintf("DELETE FROM main.polar_binding WHERE signature=%Q", zCanon);
    char *zNew = sqlite3_mprintf(
        "INSERT INTO main.polar_policy(version, src, filename, loaded_at) "
        "SELECT (SELECT max(version) FROM main.polar_policy)+1, src, filename, unixepoch() "
        "FROM main.polar_policy WHERE version=%d;"
        "UPDATE main.polar_meta SET value=(SELECT max(version) FROM main.polar_policy) "
        "WHERE key='policy_version';", iVersion);
    rc = (zDo && zNew) ? SQLITE_OK : SQLITE_NOMEM;
    if( rc==SQLITE_OK ) rc = sqlite3_exec(db,
        "CREATE TABLE IF NOT EXISTS main.polar_binding(signature TEXT PRIMARY KEY, "
        "select_sql TEXT NOT NULL, bound_at INTEGER)", 0, 0, 0);
    if( rc==SQLITE_OK ) rc = sqlite3_exec(db, zDo, 0, 0, 0);
    if( rc==SQLITE_OK && !zSql && sqlite3_changes(db)==0 ){
      *pzErr = sqlite3_mprintf("polar_bind: no binding for %s to remove", zCanon);
      rc = SQLITE_ERROR;
    }
    if( rc==SQLITE_OK ) rc = sqlite3_exec(db, zNew, 0, 0, 0);
    if( rc!=SQLITE_OK && *pzErr==0 ) *pzErr = sqlite3_mprintf("polar_bind: %s", sqlite3_errmsg(db));
    sqlite3_free(zDo);
    sqlite3_free(zNew);
    if( rc==SQLITE_OK ){
      rc = sqlite3_exec(db, "RELEASE polar_bind", 0, 0, 0);
    }else{
      sqlite3_exec(db, "ROLLBACK TO polar_bind; RELEASE polar_bind", 0, 0, 0);
    }
  }
  sqlite3_free(zCanon);
  return rc;
}
