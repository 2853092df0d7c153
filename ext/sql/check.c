/*
** check.c — compiled checks. A call's arguments become a goal: bound values
** are SQL parameters of known types, open positions are wanted in the
** answer. The statement for a goal's shape is compiled once (compile.c),
** wrapped in the policy-version guard and kept in the connection's cache;
** authorize steps it here, the table-valued functions in vtab_query.c.
*/
#include "pl_int.h"
#include <string.h>

/* 1 if a stored fact of the source src (iPred * PL_MAX_ARGS + position)
** holds the String v there. A policy whose roles are data (stored facts
** with Strings no rule spells) asks this on every check, so the statement
** is cached, keyed by the table and position. */
static int check_fact_holds(PlConn *c, int src, const PlValue *v){
  const PlPred *p = &c->pPol->aPred[src / PL_MAX_ARGS];
  char *zTab = pl_store_table_name(p->zName, p->nArg);
  char *zKey = zTab ? sqlite3_mprintf("H%d|%s", src % PL_MAX_ARGS + 1, zTab) : 0;
  char *zSql = zKey ? sqlite3_mprintf("SELECT 1 FROM main.\"%w\" WHERE a%d=?1 LIMIT 1",
                                      zTab, src % PL_MAX_ARGS + 1) : 0;
  char *zErr = 0;
  sqlite3_stmt *pStmt = 0, *pOwn = 0;
  int bFound = 0;
  if( zSql && pl_cache_get(c->pCache, zKey, zSql, &pStmt, &zErr)==SQLITE_OK
   && pStmt && sqlite3_stmt_busy(pStmt) ){
    /* asked again while it steps (a binding's SQL checking): a copy */
    pStmt = sqlite3_prepare_v2(c->db, zSql, -1, &pOwn, 0)==SQLITE_OK ? pOwn : 0;
  }
  if( pStmt && pl_value_bind_pol(c->pPol, pStmt, 1, v)==SQLITE_OK ){
    bFound = sqlite3_step(pStmt)==SQLITE_ROW;
  }
  if( pOwn ) sqlite3_finalize(pOwn);
  else if( pStmt ) sqlite3_reset(pStmt);
  sqlite3_free(zErr);
  sqlite3_free(zSql);
  sqlite3_free(zKey);
  sqlite3_free(zTab);
  return bFound;
}

/* Argument k of a check of predicate iPred (-1: unknown, nothing checked),
** in the SQL spelling. A value no rule could read is an error naming the
** argument (docs/values.md): a type the position cannot hold (what the
** rules and the stored facts' signatures allow, analysis/reads.c), or a
** String the policy mentions nowhere where the position holds only Strings
** the rules mention, unless a stored fact holds it there (a typo: 'raed').
** eMode: PL_ARG_CONTEXT, the check comes with context facts, which may
** hold any String; PL_ARG_ANY, nothing is refused (polar_sql shows the SQL
** of any values). */
int pl_check_arg(PlConn *c, int iPred, int k, sqlite3_value *pV, int eMode,
                 const char *zWhat, PlValue *pOut, char **pzErr){
  PlPolicy *pPol = c->pPol;
  const PlPred *p;
  const PlReads *pReads;
  const PlReadPos *pRead;
  PlTypeSet allowed;
  sqlite3_str *pMsg;
  PlSuggest sg;
  int rc, i;
  if( iPred<0 || eMode==PL_ARG_ANY || c->bNoUnreadCheck ){
    return pl_conn_value(c, pV, 0, zWhat, pOut, pzErr);
  }
  p = &pPol->aPred[iPred];
  rc = pl_reads(pPol, &pReads);
  if( rc!=SQLITE_OK ) return rc;
  pRead = pl_reads_answer(pReads, iPred, k);
  allowed = pRead->ts;
  rc = pl_conn_value(c, pV, &allowed, zWhat, pOut, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( !pl_ts_has(&allowed, pOut->iType) ){
    const char *zType = pl_value_type_name(pPol, pOut->iType);
    int tApp = -1;
    pMsg = sqlite3_str_new(0);
    sqlite3_str_appendf(pMsg, "%s: '%s' is %s %s, where %s/%d takes ", zWhat,
                        (const char*)sqlite3_value_text(pV),
                        strchr("AEIO", zType[0]) ? "an" : "a", zType, p->zName, p->nArg);
    pl_value_append_types(pMsg, pPol, &allowed);
    for(i=pl_ts_first(&allowed); i>=0 && tApp<0; i=pl_ts_next(&allowed, i)){
      if( i>=PL_TYPE_FIRST_APP ) tApp = i;
    }
    if( pOut->iType==PL_TYPE_STRING && tApp>=0 ){
      const char *zApp = pl_value_type_name(pPol, tApp);
      sqlite3_str_appendf(pMsg, " (%s %s is written '%s:%.*s')",
                          strchr("AEIO", zApp[0]) ? "an" : "a", zApp, zApp, pOut->n, pOut->z);
    }
    *pzErr = sqlite3_str_finish(pMsg);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  /* a String the policy mentions nowhere, where the rules hold only
  ** Strings they mention (and stored facts) */
  if( pOut->iType!=PL_TYPE_STRING || eMode==PL_ARG_CONTEXT || pRead->bAny
   || c->bUnmentionedOk || pl_policy_mentions(pPol, pOut->z, pOut->n) ){
    return SQLITE_OK;
  }
  for(i=0; i<pRead->nSrc; i++){
    if( check_fact_holds(c, pRead->aSrc[i], pOut) ) return SQLITE_OK;
  }
  pMsg = sqlite3_str_new(0);
  sqlite3_str_appendf(pMsg, "%s: no rule mentions '%.*s'", zWhat, pOut->n, pOut->z);
  if( pRead->nSrc ) sqlite3_str_appendall(pMsg, ", and no stored fact holds it");
  if( pRead->aBit ){
    sqlite3_str_appendf(pMsg, " (%s/%d takes ", p->zName, p->nArg);
    pl_read_append(pMsg, pPol, pRead, 8);
    sqlite3_str_appendall(pMsg, ")");
  }
  pl_suggest_init(&sg, pOut->z, pOut->n);
  pl_read_suggest(pPol, pRead, &sg);
  if( sg.zBest ) sqlite3_str_appendf(pMsg, "; did you mean '%.*s'?", sg.nBest, sg.zBest);
  *pzErr = sqlite3_str_finish(pMsg);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Prepare (or find) the compiled check for this call's shape, wrapped in
** the policy-version guard (-1 / no rows when the policy changed). */
int pl_check_stmt(PlConn *c, const char *zPred, int nArg, PlGoalArg *aGoal,
                      int bRows, int bContext, const char *zKey,
                      sqlite3_stmt **ppStmt, char **pzErr){
  char *zBody = 0, *zSql;
  int rc = pl_cache_get(c->pCache, zKey, 0, ppStmt, pzErr);
  if( rc!=SQLITE_OK || *ppStmt ) return rc;
  rc = pl_compile(c->pPol, &c->lim, &c->units, zPred, nArg, aGoal, bRows, bContext,
                  &zBody, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  /* The statement must see the policy it was compiled for. With the
  ** version's marker view (store.c) it names the view in a branch never
  ** taken, so a new policy (which drops the view) makes its re-prepare fail
  ** and the caller recompile (pl_conn_recheck); without one (a file whose
  ** policy an older polarlite stored) it reads the stored version and
  ** answers -1 (no rows) when it differs. A list's guard is a LIMIT on the
  ** compound itself, not a WHERE on a wrapping subquery: SQLite evaluates
  ** it once, and the rows come straight out of the body instead of through
  ** a co-routine that copies every row. The body has no LIMIT of its own. */
  if( c->bMarker ){
    zSql = bRows
      ? sqlite3_mprintf("%s LIMIT CASE WHEN 1 THEN -1 ELSE "
                        "(SELECT v FROM main.polar_version_%d) END", zBody, c->iVersion)
      : sqlite3_mprintf("SELECT CASE WHEN 1 THEN (%s) ELSE "
                        "(SELECT v FROM main.polar_version_%d) END", zBody, c->iVersion);
  }else if( bRows ){
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
  if( v->iType==PL_TYPE_STRING ){
    int iStr = pl_policy_find_str(c->pPol, v->z, v->n);
    if( iStr>=0 ){
      g->zKnown = v->z;
      g->nKnown = v->n;
      g->iKnown = iStr+1;
    }
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
int pl_goal_key(char *z, int nz, int *pi, const PlGoalArg *g){
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
    i = key_int(z, i, g->iKnown-1);
  }else{
    z[i++] = '|'; z[i++] = 't';
    i = key_int(z, i, g->iType);
  }
  z[i] = 0;
  *pi = i;
  return 1;
}

/* The SQL of a goal followed by the units it calls: polar_sql's answer. */
static int compile_explain(PlConn *c, const char *zPred, int nArg, PlGoalArg *aGoal,
                           int bRows, int bContext, char **pzSql, char **pzErr){
  char *zBody = 0;
  int rc = pl_compile(c->pPol, &c->lim, &c->units, zPred, nArg, aGoal, bRows, bContext,
                      &zBody, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  *pzSql = pl_units_explain(&c->units, zBody);
  sqlite3_free(zBody);
  return *pzSql ? SQLITE_OK : SQLITE_NOMEM;
}

int pl_authorize(PlConn *c, sqlite3_value **argv, const char *zCtx, int nCtx,
                 int *pbAllowed, char **pzSql, char **pzErr){
  PlValue aVal[3];
  PlGoalArg aGoal[3];
  PlBudget b;
  PlCtx ctx, saved;
  sqlite3_stmt *pStmt = 0;
  const PlPolicy *pPol;
  char zKey[4 + 3*(8+PL_MAX_TYPES/64*18)];
  int rc, i, nTry, nKey, nParam;
  static const char *azWhat[] = { "actor", "action", "resource" };
  memset(&b, 0, sizeof(b));
  for(nTry=0; nTry<2; nTry++){
    rc = nTry ? pl_conn_refresh(c, 1, pzErr) : pl_conn_require_policy(c, &pPol, pzErr);
    if( rc!=SQLITE_OK ) return rc;
    if( c->pPol==0 ) return pl_conn_require_policy(c, &pPol, pzErr);
    for(i=0; i<3; i++){
      rc = pl_check_arg(c, c->iAllow, i, argv[i], pzSql ? PL_ARG_ANY : zCtx ? PL_ARG_CONTEXT
                        : PL_ARG_STRICT, azWhat[i], &aVal[i], pzErr);
      if( rc!=SQLITE_OK ) return rc;
      pl_goal_param(c, &aGoal[i], &aVal[i], i+1);
    }
    /* all three are parameters: the key is "A<ctx>|k<str>|t<type>..." */
    zKey[0] = 'A'; zKey[1] = zCtx ? '1' : '0'; zKey[2] = 0; nKey = 2;
    for(i=0; i<3; i++){
      if( !pl_goal_key(zKey, (int)sizeof(zKey), &nKey, &aGoal[i]) ) return SQLITE_INTERNAL;
    }
    if( pzSql ) return compile_explain(c, "allow", 3, aGoal, 0, zCtx!=0, pzSql, pzErr);
    rc = pl_check_stmt(c, "allow", 3, aGoal, 0, zCtx!=0, zKey, &pStmt, pzErr);
    if( rc!=SQLITE_OK ) return rc;
    if( sqlite3_stmt_busy(pStmt) ){
      /* re-entered while this very check runs (a bound SELECT calling
      ** authorize): its statement and bound values are in use */
      *pzErr = sqlite3_mprintf("authorize: called from inside an authorize() "
                               "check of the same shape (a bound SELECT?)");
      return SQLITE_ERROR;
    }
    /* a value compiled as a constant, or pruned, is not bound */
    nParam = sqlite3_bind_parameter_count(pStmt);
    for(i=0; i<3 && i<nParam; i++){
      if( aGoal[i].zKnown==0 ) pl_conn_bind(c, pStmt, i+1, i, &aVal[i]);
    }
    if( zCtx ){
      rc = pl_context_parse(c, zCtx, nCtx, "authorize", &ctx, pzErr);
      if( rc!=SQLITE_OK ){ sqlite3_reset(pStmt); return rc; }
      saved = c->ctx;
      c->ctx = ctx;
    }
    rc = pl_budget_step(c, &b, pStmt, "authorize", pzErr);
    if( rc==SQLITE_ROW ){
      *pbAllowed = sqlite3_column_int(pStmt, 0);
      rc = SQLITE_OK;
    }else if( *pzErr==0 ){
      *pzErr = sqlite3_mprintf("authorize: %s", sqlite3_errmsg(c->db));
    }
    sqlite3_reset(pStmt);
    if( zCtx ){
      c->ctx = saved;
      pl_context_free(&ctx);
    }
    if( rc!=SQLITE_OK && !b.bOver && nTry==0 ){
      /* compiled for a policy that is gone? (its marker: pl_check_stmt) */
      int bChanged = 0;
      char *zErr2 = 0;
      pl_budget_end(&b);
      if( pl_conn_recheck(c, &bChanged, &zErr2)==SQLITE_OK && bChanged ){
        sqlite3_free(*pzErr);
        *pzErr = 0;
        continue;
      }
      sqlite3_free(zErr2);
    }
    pl_budget_end(&b);
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

static int goal_param(PlConn *c, PlGoal *g, int iPred, int i, sqlite3_value *pV,
                      const char *zWhat, char **pzErr){
  int rc = pl_check_arg(c, iPred, i, pV, g->eArgMode, zWhat, &g->aVal[i], pzErr);
  if( rc==SQLITE_OK ) pl_goal_param(c, &g->aGoal[i], &g->aVal[i], ++g->nParam);
  return rc;
}

int pl_goal_build(PlConn *c, int eKind, int argc, sqlite3_value **argv, int eArgMode,
                  PlGoal *g, char **pzErr){
  int rc, i;
  const PlPolicy *pPol;
  memset(g, 0, sizeof(*g));
  g->eArgMode = eArgMode;
  rc = pl_conn_require_policy(c, &pPol, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( eKind==PL_Q_LIST ){
    if( argc!=3 ){ *pzErr = sqlite3_mprintf("polar_list(actor, action, resource_type) takes 3 arguments"); return SQLITE_ERROR; }
    g->zPred = "allow"; g->nArg = 3;
    rc = goal_param(c, g, c->iAllow, 0, argv[0], "actor", pzErr);
    if( rc==SQLITE_OK ) rc = goal_param(c, g, c->iAllow, 1, argv[1], "action", pzErr);
    if( rc==SQLITE_OK ){
      g->aGoal[2].eKind = PL_GA_OPEN;
      rc = goal_open_type(c, argv[2], "resource_type", &g->aGoal[2].ts, pzErr);
    }
    return rc;
  }
  if( eKind==PL_Q_ACTIONS ){
    if( argc!=2 ){ *pzErr = sqlite3_mprintf("polar_actions(actor, resource) takes 2 arguments"); return SQLITE_ERROR; }
    g->zPred = "allow"; g->nArg = 3;
    rc = goal_param(c, g, c->iAllow, 0, argv[0], "actor", pzErr);
    g->aGoal[1].eKind = PL_GA_OPEN;
    memset(&g->aGoal[1].ts, 0, sizeof(PlTypeSet));
    pl_ts_add(&g->aGoal[1].ts, PL_TYPE_STRING);
    if( rc==SQLITE_OK ) rc = goal_param(c, g, c->iAllow, 2, argv[1], "resource", pzErr);
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
      char zWhat[32];
      sqlite3_snprintf(sizeof(zWhat), zWhat, "argument %d", i+1);
      if( sqlite3_value_type(pV)==SQLITE_NULL ){
        g->aGoal[i].eKind = PL_GA_OPEN;
        g->aGoal[i].ts = pPol->all;
      }else if( sqlite3_value_type(pV)==SQLITE_TEXT && n>2 && z[n-2]==':' && z[n-1]=='_' ){
        char *zT = sqlite3_mprintf("%.*s", n-2, z);
        int t = zT ? pl_policy_find_type(pPol, zT, -1) : -1;
        sqlite3_free(zT);
        if( t<0 ){
          char zQ[48];
          sqlite3_snprintf(sizeof(zQ), zQ, "polar_query: %s", zWhat);
          return pl_value_unknown_type(pPol, z, n-2, z, n, 0, zQ, pzErr);
        }
        g->aGoal[i].eKind = PL_GA_OPEN;
        memset(&g->aGoal[i].ts, 0, sizeof(PlTypeSet));
        pl_ts_add(&g->aGoal[i].ts, t);
      }else{
        rc = goal_param(c, g, iPred, i, pV, zWhat, pzErr);
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
  int rc = pl_goal_build(c, eKind, argc, argv, PL_ARG_ANY, &g, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  return compile_explain(c, g.zPred, g.nArg, g.aGoal, 1, 0, pzSql, pzErr);
}
