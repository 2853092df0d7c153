/*
** check.c — compiled checks. A call's arguments become a goal: bound values
** are SQL parameters of known types, open positions are wanted in the
** answer. The statement for a goal's shape is compiled once (compile.c),
** wrapped in the policy-version guard and kept in the connection's cache;
** authorize steps it here, the table-valued functions in vtab_query.c.
*/
#include "pl_int.h"
#include <string.h>

/* Prepare (or find) the compiled check for this call's shape, wrapped in
** the policy-version guard (-1 / no rows when the policy changed). */
int pl_check_stmt(PlConn *c, const char *zPred, int nArg, PlGoalArg *aGoal,
                      int bRows, int bContext, const char *zKey,
                      sqlite3_stmt **ppStmt, char **pzErr){
  char *zBody = 0, *zSql;
  int rc = pl_cache_get(c->pCache, zKey, 0, ppStmt, pzErr);
  if( rc!=SQLITE_OK || *ppStmt ) return rc;
  rc = pl_compile(c->pPol, &c->lim, zPred, nArg, aGoal, bRows, bContext, &zBody, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( bRows ){
    /* A LIMIT on the compound itself, not a WHERE on a wrapping subquery:
    ** SQLite evaluates it once, and the rows come straight out of the
    ** body instead of through a co-routine that copies every row (one
    ** allocation per row). The body never has its own LIMIT (compile.c). */
    zSql = sqlite3_mprintf("%s LIMIT CASE WHEN (SELECT value FROM main.polar_meta "
                           "WHERE key='policy_version')=%d THEN -1 ELSE 0 END",
                           zBody, c->iVersion);
  }else{
    zSql = sqlite3_mprintf("SELECT CASE WHEN (SELECT value FROM main.polar_meta "
                           "WHERE key='policy_version')=%d THEN (%s) ELSE -1 END",
                           c->iVersion, zBody);
  }
  sqlite3_free(zBody);
  if( zSql==0 ) return SQLITE_NOMEM;
  rc = pl_cache_get(c->pCache, zKey, zSql, ppStmt, pzErr);
  sqlite3_free(zSql);
  return rc;
}

/* The goal argument for a bound value; Strings that the policy itself
** spells are known at compile time, which lets the compiler drop every
** rule for another action. */
void pl_goal_param(PlConn *c, PlGoalArg *g, const PlValue *v, int iParam){
  memset(g, 0, sizeof(*g));
  g->eKind = PL_GA_PARAM;
  g->iType = v->iType;
  g->iParam = iParam;
  if( v->iType==PL_TYPE_STRING && pl_policy_find_str(c->pPol, v->z, v->n)>=0 ){
    g->zKnown = v->z;
    g->nKnown = v->n;
  }
}

/* Write v in decimal at z[i..]; returns the new end. Cache keys are built
** on every authorize call: sqlite3_snprintf cost ~440 instructions each. */
static int key_int(char *z, int i, int v){
  char a[12];
  int n = 0;
  unsigned u = v<0 ? 0u-(unsigned)v : (unsigned)v;
  if( v<0 ) z[i++] = '-';
  do{ a[n++] = (char)('0' + u%10); u /= 10; }while( u );
  while( n ) z[i++] = a[--n];
  return i;
}

/* Append the goal shape to a cache key in z[*pi..nz). Returns 0 if it
** does not fit. */
int pl_goal_key(char *z, int nz, int *pi, const PlConn *c, const PlGoalArg *g){
  int i = *pi;
  if( nz-i < 8+PL_MAX_TYPES/64*18 ) return 0;
  if( g->eKind==PL_GA_OPEN ){
    int w;
    z[i++] = '|'; z[i++] = 'o';
    for(w=0; w<PL_MAX_TYPES/64; w++){
      sqlite3_snprintf(nz-i, z+i, "%llx.", (unsigned long long)g->ts.w[w]);
      i += (int)strlen(z+i);
    }
  }else if( g->zKnown ){
    z[i++] = '|'; z[i++] = 'k';
    i = key_int(z, i, pl_policy_find_str(c->pPol, g->zKnown, g->nKnown));
  }else{
    z[i++] = '|'; z[i++] = 't';
    i = key_int(z, i, g->iType);
  }
  z[i] = 0;
  *pi = i;
  return 1;
}

int pl_authorize(PlConn *c, sqlite3_value **argv, const char *zCtx, int nCtx,
                 int *pbAllowed, char **pzSql, char **pzErr){
  PlValue aVal[3];
  PlGoalArg aGoal[3];
  PlBudget b;
  sqlite3_stmt *pStmt = 0;
  const PlPolicy *pPol;
  char zKey[4 + 3*(8+PL_MAX_TYPES/64*18)];
  int rc, i, nTry, nKey;
  static const char *azWhat[] = { "actor", "action", "resource" };
  memset(&b, 0, sizeof(b));
  for(nTry=0; nTry<2; nTry++){
    rc = nTry ? pl_conn_refresh(c, 1, pzErr) : pl_conn_require_policy(c, &pPol, pzErr);
    if( rc!=SQLITE_OK ) return rc;
    if( c->pPol==0 ) return pl_conn_require_policy(c, &pPol, pzErr);
    for(i=0; i<3; i++){
      rc = pl_conn_value(c, argv[i], i==1 ? &c->actionTs : 0, azWhat[i], &aVal[i], pzErr);
      if( rc!=SQLITE_OK ) return rc;
      pl_goal_param(c, &aGoal[i], &aVal[i], i+1);
    }
    /* all three are parameters: the key is "A<ctx>|k<str>|t<type>..." */
    zKey[0] = 'A'; zKey[1] = zCtx ? '1' : '0'; zKey[2] = 0; nKey = 2;
    for(i=0; i<3; i++){
      if( !pl_goal_key(zKey, (int)sizeof(zKey), &nKey, c, &aGoal[i]) ) return SQLITE_INTERNAL;
    }
    if( pzSql ){
      return pl_compile(c->pPol, &c->lim, "allow", 3, aGoal, 0, zCtx!=0, pzSql, pzErr);
    }
    rc = pl_check_stmt(c, "allow", 3, aGoal, 0, zCtx!=0, zKey, &pStmt, pzErr);
    if( rc!=SQLITE_OK ) return rc;
    if( sqlite3_stmt_busy(pStmt) ){
      /* re-entered while this very check runs (a bound SELECT calling
      ** authorize): its statement and bound values are in use */
      *pzErr = sqlite3_mprintf("authorize: called from inside an authorize() "
                               "check of the same shape (a bound SELECT?)");
      return SQLITE_ERROR;
    }
    for(i=0; i<3; i++){
      if( i<sqlite3_bind_parameter_count(pStmt) ) pl_conn_bind(c, pStmt, i+1, i, &aVal[i]);
    }
    if( zCtx ){
      rc = pl_context_set(c, zCtx, nCtx, pzErr);
      if( rc!=SQLITE_OK ){ sqlite3_reset(pStmt); return rc; }
    }
    rc = pl_budget_step(c, &b, pStmt, "authorize", pzErr);
    if( rc==SQLITE_ROW ){
      *pbAllowed = sqlite3_column_int(pStmt, 0);
      rc = SQLITE_OK;
    }else if( *pzErr==0 ){
      *pzErr = sqlite3_mprintf("authorize: %s", sqlite3_errmsg(c->db));
    }
    sqlite3_reset(pStmt);
    if( zCtx ) pl_context_clear(c);
    if( rc!=SQLITE_OK ) return rc;
    if( *pbAllowed>=0 ) return SQLITE_OK;
  }
  *pzErr = sqlite3_mprintf("authorize: the policy keeps changing; try again");
  return SQLITE_BUSY;
}

/*------------------------------------------- list, actions and query --*/

static int goal_open_type(PlConn *c, sqlite3_value *pV, const char *zWhat,
                       PlTypeSet *pTs, char **pzErr){
  const char *z = (const char*)sqlite3_value_text(pV);
  int t = z ? pl_policy_find_type(c->pPol, z, -1) : -1;
  if( t<0 ){
    *pzErr = sqlite3_mprintf("%s: unknown type '%s'", zWhat, z ? z : "NULL");
    return SQLITE_ERROR;
  }
  memset(pTs, 0, sizeof(*pTs));
  pl_ts_add(pTs, t);          /* exact type: subtypes are not listed */
  return SQLITE_OK;
}

static int goal_param(PlConn *c, PlGoal *g, int i, sqlite3_value *pV,
                   const PlTypeSet *pAllowed, const char *zWhat, char **pzErr){
  int rc = pl_conn_value(c, pV, pAllowed, zWhat, &g->aVal[i], pzErr);
  if( rc==SQLITE_OK ) pl_goal_param(c, &g->aGoal[i], &g->aVal[i], ++g->nParam);
  return rc;
}

int pl_goal_build(PlConn *c, int eKind, int argc, sqlite3_value **argv, PlGoal *g,
                  char **pzErr){
  int rc, i;
  const PlPolicy *pPol;
  memset(g, 0, sizeof(*g));
  rc = pl_conn_require_policy(c, &pPol, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( eKind==PL_Q_LIST ){
    if( argc!=3 ){ *pzErr = sqlite3_mprintf("polar_list(actor, action, resource_type) takes 3 arguments"); return SQLITE_ERROR; }
    g->zPred = "allow"; g->nArg = 3;
    rc = goal_param(c, g, 0, argv[0], 0, "actor", pzErr);
    if( rc==SQLITE_OK ) rc = goal_param(c, g, 1, argv[1], &c->actionTs, "action", pzErr);
    if( rc==SQLITE_OK ){
      g->aGoal[2].eKind = PL_GA_OPEN;
      rc = goal_open_type(c, argv[2], "resource_type", &g->aGoal[2].ts, pzErr);
    }
    return rc;
  }
  if( eKind==PL_Q_ACTIONS ){
    if( argc!=2 ){ *pzErr = sqlite3_mprintf("polar_actions(actor, resource) takes 2 arguments"); return SQLITE_ERROR; }
    g->zPred = "allow"; g->nArg = 3;
    rc = goal_param(c, g, 0, argv[0], 0, "actor", pzErr);
    g->aGoal[1].eKind = PL_GA_OPEN;
    memset(&g->aGoal[1].ts, 0, sizeof(PlTypeSet));
    pl_ts_add(&g->aGoal[1].ts, PL_TYPE_STRING);
    if( rc==SQLITE_OK ) rc = goal_param(c, g, 2, argv[1], 0, "resource", pzErr);
    return rc;
  }
  /* query */
  g->zPred = argc>0 ? (const char*)sqlite3_value_text(argv[0]) : 0;
  g->nArg = argc-1;
  if( g->zPred==0 ){ *pzErr = sqlite3_mprintf("polar_query: the predicate is NULL"); return SQLITE_ERROR; }
  if( g->nArg<1 || g->nArg>PL_MAX_ARGS ){
    *pzErr = sqlite3_mprintf("polar_query('%s', ...): give 1 to %d arguments; their number "
                             "is the arity", g->zPred, PL_MAX_ARGS);
    return SQLITE_ERROR;
  }
  {
    int iPred = pl_policy_find_pred(pPol, g->zPred, g->nArg);
    if( iPred<0 ){
      *pzErr = sqlite3_mprintf("polar_query: unknown predicate '%s' with %d argument%s",
                               g->zPred, g->nArg, g->nArg==1 ? "" : "s");
      return SQLITE_ERROR;
    }
    for(i=0; i<g->nArg; i++){
      sqlite3_value *pV = argv[i+1];
      const char *z = (const char*)sqlite3_value_text(pV);
      int n = sqlite3_value_bytes(pV);
      PlTypeSet allowed = pPol->aPred[iPred].aHeadTs[i];
      char zWhat[32];
      pl_ts_or(&allowed, &pPol->aPred[iPred].aStoreTs[i]);
      sqlite3_snprintf(sizeof(zWhat), zWhat, "argument %d", i+1);
      if( sqlite3_value_type(pV)==SQLITE_NULL ){
        g->aGoal[i].eKind = PL_GA_OPEN;
        g->aGoal[i].ts = pPol->all;
      }else if( sqlite3_value_type(pV)==SQLITE_TEXT && n>2 && z[n-2]==':' && z[n-1]=='_' ){
        char *zT = sqlite3_mprintf("%.*s", n-2, z);
        int t = zT ? pl_policy_find_type(pPol, zT, -1) : -1;
        sqlite3_free(zT);
        if( t<0 ){
          *pzErr = sqlite3_mprintf("polar_query: %s: unknown type in '%s'", zWhat, z);
          return SQLITE_ERROR;
        }
        g->aGoal[i].eKind = PL_GA_OPEN;
        memset(&g->aGoal[i].ts, 0, sizeof(PlTypeSet));
        pl_ts_add(&g->aGoal[i].ts, t);
      }else{
        rc = goal_param(c, g, i, pV, &allowed, zWhat, pzErr);
        if( rc!=SQLITE_OK ) return rc;
      }
    }
  }
  return SQLITE_OK;
}

/* polar_sql('list'|'actions'|'query', ...) */
int pl_query_sql(PlConn *c, const char *zKind, int argc, sqlite3_value **argv,
                 char **pzSql, char **pzErr){
  int eKind = strcmp(zKind, "list")==0 ? PL_Q_LIST : strcmp(zKind, "actions")==0 ? PL_Q_ACTIONS : PL_Q_QUERY;
  PlGoal g;
  int rc = pl_goal_build(c, eKind, argc, argv, &g, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  return pl_compile(c->pPol, &c->lim, g.zPred, g.nArg, g.aGoal, 1, 0, pzSql, pzErr);
}
