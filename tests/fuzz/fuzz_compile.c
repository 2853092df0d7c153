/*
** fuzz_compile.c — a policy that validates must compile to SQL that
** prepares and runs.
**
** For a fuzzed policy that pl_policy_new() accepts: a fresh in-memory
** database gets the engine (pl_conn_open, so polar_context exists) and the
** policy's fact tables (pl_store_init + pl_store_ensure_tables). Then goals
** shaped like the SQL surface's are compiled with pl_compile():
**   - every predicate with all arguments open (polar_query with NULLs),
**     with all arguments bound (a check), and first bound / rest open;
**   - allow/3 as authorize (with and without context facts), polar_list
**     and polar_actions, for actor and resource types of the policy, the
**     action unknown or one of the policy's strings;
** and each result is prepared with sqlite3_prepare_v2 and stepped on the
** empty tables. A compile error, a prepare error or a runtime error is a
** finding, except the compiler's one refusal of a goal shape: a positioned
** "... unbound ..." message when the goal leaves open an argument that the
** rules only compare (`f(x) if x > 3` asked with x open). A variable that
** no goal can bind is refused at load time by the validator instead. The policy's test blocks run too, as polar_load
** runs them. A progress handler bounds each statement; hitting it is a
** finding (a compiled query that does not terminate on empty tables).
*/
#include "pl_int.h"
#include "fuzz_common.h"
#include <string.h>

#define MAX_GOALS 400
#define MAX_VM_STEPS 20000000

static int nSteps;
static int nRefused;    /* goals refused as unanswerable (kept for gdb) */
static int progress(void *p){ (void)p; return ++nSteps > MAX_VM_STEPS/1000; }

typedef struct Ctx {
  sqlite3 *db;
  const PlPolicy *pPol;
  int nGoal;
  const char *zSrc;
} Ctx;

static void describe(const PlGoalArg *a, int nArg, char *z, int nz){
  int i, k = 0;
  for(i=0; i<nArg && k<nz-40; i++){
    if( a[i].eKind==PL_GA_PARAM ){
      sqlite3_snprintf(nz-k, z+k, "%sparam(type %d%s)", i ? ", " : "", a[i].iType,
                       a[i].zKnown ? ", known" : "");
    }else{
      sqlite3_snprintf(nz-k, z+k, "%sopen", i ? ", " : "");
    }
    k += (int)strlen(z+k);
  }
}

static void try_goal(Ctx *x, const char *zPred, int nArg, const PlGoalArg *aArg,
                     int bRows, int bContext){
  char *zSql = 0, *zErr = 0, *zFull;
  sqlite3_stmt *pStmt = 0;
  char zGoal[512];
  int rc, nRow = 0;
  if( x->nGoal++ >= MAX_GOALS ) return;
  describe(aArg, nArg, zGoal, (int)sizeof(zGoal));
  rc = pl_compile(x->pPol, 0, zPred, nArg, aArg, bRows, bContext, &zSql, &zErr);
  if( rc==SQLITE_NOMEM ){ sqlite3_free(zErr); return; }
  if( rc!=SQLITE_OK && zErr && strncmp(zErr, "fuzz.polar:", 11)==0 && strstr(zErr, "unbound") ){
    /* a goal shape the rules cannot answer (a head argument left open that
    ** the body only compares): a positioned refusal, not a bug */
    nRefused++;
    sqlite3_free(zErr);
    return;
  }
  if( rc!=SQLITE_OK ){
    FUZZ_FAIL("compile %s/%d (%s) rows=%d ctx=%d: %s", zPred, nArg, zGoal, bRows,
              bContext, zErr ? zErr : "(no message)");
  }
  zFull = bRows ? sqlite3_mprintf("SELECT * FROM (%s)", zSql)
                : sqlite3_mprintf("SELECT (%s)", zSql);
  rc = sqlite3_prepare_v2(x->db, zFull, -1, &pStmt, 0);
  if( rc!=SQLITE_OK ){
    FUZZ_FAIL("prepare %s/%d (%s) rows=%d ctx=%d: %s\nSQL: %s", zPred, nArg, zGoal,
              bRows, bContext, sqlite3_errmsg(x->db), zFull);
  }
  nSteps = 0;
  while( (rc = sqlite3_step(pStmt))==SQLITE_ROW && ++nRow<100 ){}
  if( rc!=SQLITE_ROW && rc!=SQLITE_DONE ){
    FUZZ_FAIL("run %s/%d (%s) rows=%d ctx=%d: %s\nSQL: %s", zPred, nArg, zGoal,
              bRows, bContext, sqlite3_errmsg(x->db), zFull);
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(zFull);
  sqlite3_free(zSql);
}

static void param(PlGoalArg *g, int iType, int iParam, const char *zKnown){
  memset(g, 0, sizeof(*g));
  g->eKind = PL_GA_PARAM;
  g->iType = iType;
  g->iParam = iParam;
  if( zKnown ){ g->zKnown = zKnown; g->nKnown = (int)strlen(zKnown); }
}
static void open_ts(PlGoalArg *g, const PlTypeSet *ts){
  memset(g, 0, sizeof(*g));
  g->eKind = PL_GA_OPEN;
  g->ts = *ts;
}

static void predicate_goals(Ctx *x){
  const PlPolicy *p = x->pPol;
  int iPred, i;
  for(iPred=0; iPred<p->nPred && iPred<40; iPred++){
    const PlPred *pr = &p->aPred[iPred];
    PlGoalArg a[PL_MAX_ARGS];
    int nParam = 0, bAll = 1;
    if( pr->nArg<1 || pr->nArg>PL_MAX_ARGS ) continue;
    for(i=0; i<pr->nArg; i++) open_ts(&a[i], &p->all);
    try_goal(x, pr->zName, pr->nArg, a, 1, 0);
    for(i=0; i<pr->nArg; i++){
      PlTypeSet ts = pr->aHeadTs[i];
      int t;
      pl_ts_or(&ts, &pr->aStoreTs[i]);
      t = pl_ts_first(&ts);
      if( t<0 ){ bAll = 0; break; }
      param(&a[i], t, ++nParam, 0);
    }
    if( bAll ){
      try_goal(x, pr->zName, pr->nArg, a, 0, 0);
      try_goal(x, pr->zName, pr->nArg, a, 0, 1);
      if( pr->nArg>1 ){
        for(i=1; i<pr->nArg; i++) open_ts(&a[i], &p->all);
        try_goal(x, pr->zName, pr->nArg, a, 1, 0);
      }
    }
  }
}

static void allow_goals(Ctx *x){
  const PlPolicy *p = x->pPol;
  int iAllow = pl_policy_find_pred(p, "allow", 3), ta, tr, nA = 0;
  PlGoalArg a[3];
  if( iAllow<0 ) return;
  for(ta=PL_TYPE_FIRST_APP; ta<p->nType && nA<4; ta++){
    int nR = 0;
    if( p->aType[ta].eKind!=PL_TK_ACTOR ) continue;
    nA++;
    for(tr=PL_TYPE_FIRST_APP; tr<p->nType && nR<8; tr++){
      int k;
      PlTypeSet one;
      nR++;
      for(k=-1; k<p->nStr && k<2; k++){
        const char *zAct = k<0 ? 0 : p->azStr[k];
        param(&a[0], ta, 1, 0);
        param(&a[1], PL_TYPE_STRING, 2, zAct);
        param(&a[2], tr, 3, 0);
        try_goal(x, "allow", 3, a, 0, 0);         /* authorize */
        if( k<0 ) try_goal(x, "allow", 3, a, 0, 1);/* authorize with context */
        memset(&one, 0, sizeof(one));
        pl_ts_add(&one, tr);
        open_ts(&a[2], &one);
        try_goal(x, "allow", 3, a, 1, 0);         /* polar_list */
      }
      memset(&one, 0, sizeof(one));
      pl_ts_add(&one, PL_TYPE_STRING);
      param(&a[0], ta, 1, 0);
      open_ts(&a[1], &one);
      param(&a[2], tr, 2, 0);
      try_goal(x, "allow", 3, a, 1, 0);           /* polar_actions */
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  PlPolicy *pPol = 0;
  PlConn *pConn = 0;
  char *zErr = 0, *zSrc;
  Ctx x;
  int rc;
  if( nData>16384 ) return 0;
  zSrc = malloc(nData ? nData : 1);
  memcpy(zSrc, aData, nData);
  rc = pl_policy_new(zSrc, (int)nData, "fuzz.polar", 0, &pPol, &zErr);
  sqlite3_free(zErr); zErr = 0;
  if( rc==SQLITE_OK ){
    memset(&x, 0, sizeof(x));
    x.pPol = pPol;
    x.zSrc = zSrc;
    if( sqlite3_open(":memory:", &x.db) ) FUZZ_FAIL("open");
    sqlite3_progress_handler(x.db, 1000, progress, 0);
    if( pl_conn_open(x.db, &pConn, &zErr) ) FUZZ_FAIL("pl_conn_open: %s", zErr);
    if( pl_store_init(x.db, &zErr) || pl_store_ensure_tables(x.db, pPol, &zErr) ){
      FUZZ_FAIL("fact tables: %s", zErr);
    }
    predicate_goals(&x);
    allow_goals(&x);
    /* the policy's own tests, as polar_load runs them */
    rc = pl_tests_check(pConn, pPol, &zErr);
    if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM && zErr==0 ) FUZZ_FAIL("tests failed without a message");
    sqlite3_free(zErr);
    sqlite3_close(x.db);
  }
  pl_policy_free(pPol);
  free(zSrc);
  return 0;
}
