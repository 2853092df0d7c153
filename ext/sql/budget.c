/*
** budget.c — the step budget of checks, and polar_limit().
**
**   SELECT polar_limit('steps');               -- the current value
**   SELECT polar_limit('steps', 5000000);      -- set it; returns the old one
**
** How the step budget works. SQLite calls a connection's progress handler
** every N virtual-machine steps of whatever statement runs. polarlite
** installs one when the extension is loaded (and again when the steps
** limit is set). It counts only while a check of ours is stepping
** (pl_budget_step points PlConn.pBudget at the call's budget) and returns
** nonzero once the budget is spent, which stops that statement with
** SQLITE_INTERRUPT; the check then fails with the limit's message. A
** read-only statement interrupted this way rolls nothing back, so the
** caller's transaction is untouched. An application that installs its own
** progress handler replaces polarlite's, and with it the step budget. A
** SQLite built with SQLITE_OMIT_PROGRESS_CALLBACK (better-sqlite3 bundles
** one) has no progress handler: there steps reads as no limit and cannot
** be set.
*/
#include "pl_int.h"
#include <string.h>

/* Progress callbacks come every nGrain steps: 1000, or the limit itself
** when it is smaller, so that small limits are exact. */
static int budget_grain(const PlConn *c){
  sqlite3_int64 n = c->lim.a[PL_LIMIT_STEPS];
  return n<1000 ? (int)(n>0 ? n : 1) : 1000;
}

static int budget_progress(void *pArg){
  PlConn *c = pArg;
  PlBudget *b = c->pBudget;
  sqlite3_int64 nRun;
  if( b==0 ) return 0;
  /* SQLite calls back when the statement's own step count (counted over
  ** every run) passes a multiple of the grain: the first call of this
  ** sqlite3_step comes (grain - start % grain) steps in. */
  b->nCalls++;
  nRun = (sqlite3_int64)(c->nGrain - (int)(b->iVmStart % (unsigned)c->nGrain))
       + (sqlite3_int64)(b->nCalls-1)*c->nGrain;
  if( b->nSteps + nRun > c->lim.a[PL_LIMIT_STEPS] ){
    b->bOver = 1;
    return 1;
  }
  return 0;
}

/* Does this SQLite call progress handlers? Loaded into one built without
** them, the API routine is missing. */
static int budget_available(void){
#ifdef SQLITE_CORE
  return 1;
#else
  return sqlite3_api->progress_handler!=0;
#endif
}

void pl_budget_install(PlConn *c){
  if( !budget_available() ){
    c->lim.a[PL_LIMIT_STEPS] = pl_limit_max(PL_LIMIT_STEPS);
    return;
  }
  c->nGrain = budget_grain(c);
  sqlite3_progress_handler(c->db, c->nGrain, budget_progress, c);
}

int pl_budget_step(PlConn *c, PlBudget *b, sqlite3_stmt *pStmt,
                   const char *zWho, char **pzErr){
  PlBudget *pOuter = c->pBudget;   /* a check inside a check (a binding) */
  unsigned iEnd;
  int rc;
  b->iVmStart = (unsigned)sqlite3_stmt_status(pStmt, SQLITE_STMTSTATUS_VM_STEP, 0);
  b->nCalls = 0;
  c->pBudget = b;
  rc = sqlite3_step(pStmt);
  c->pBudget = pOuter;
  iEnd = (unsigned)sqlite3_stmt_status(pStmt, SQLITE_STMTSTATUS_VM_STEP, 0);
  b->nSteps += (sqlite3_int64)(unsigned)(iEnd - b->iVmStart);
  if( b->bOver ){
    *pzErr = pl_limit_error(&c->lim, PL_LIMIT_STEPS, zWho);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return rc;
}

/*-------------------------------------------------------- polar_limit --*/

/* polar_limit(name) reads a limit of this connection; polar_limit(name, N)
** sets it and returns the old value. */
void pl_limit_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PlConn *c = sqlite3_user_data(ctx);
  const char *zName = (const char*)sqlite3_value_text(argv[0]);
  int id = zName ? pl_limit_find(zName) : -1;
  sqlite3_int64 iOld;
  char *zErr;
  if( id<0 ){
    sqlite3_str *s = sqlite3_str_new(0);
    int i;
    sqlite3_str_appendf(s, "polar_limit: unknown limit '%s'; the limits are",
                        zName ? zName : "NULL");
    for(i=0; i<PL_LIMIT_N; i++) sqlite3_str_appendf(s, "%s %s", i ? "," : "", pl_limit_name(i));
    zErr = sqlite3_str_finish(s);
    pl_result_error(ctx, zErr ? SQLITE_ERROR : SQLITE_NOMEM, zErr);
    return;
  }
  if( argc==1 ){
    sqlite3_result_int64(ctx, c->lim.a[id]);
    return;
  }
  if( pl_refuse_unsafe_call(ctx, "polar_limit") ) return;
  if( sqlite3_value_type(argv[1])!=SQLITE_INTEGER ){
    zErr = sqlite3_mprintf("polar_limit: the value of '%s' must be an integer "
                           "(0: no limit; negative: leave it)", pl_limit_name(id));
    pl_result_error(ctx, zErr ? SQLITE_ERROR : SQLITE_NOMEM, zErr);
    return;
  }
  if( id==PL_LIMIT_STEPS && !budget_available() && sqlite3_value_int64(argv[1])>0
   && sqlite3_value_int64(argv[1])<pl_limit_max(id) ){
    zErr = sqlite3_mprintf("polar_limit: this SQLite is built without progress "
        "callbacks (SQLITE_OMIT_PROGRESS_CALLBACK), so it cannot stop a check after N steps");
    pl_result_error(ctx, zErr ? SQLITE_ERROR : SQLITE_NOMEM, zErr);
    return;
  }
  iOld = pl_limit_set(&c->lim, id, sqlite3_value_int64(argv[1]));
  if( id==PL_LIMIT_STEPS && sqlite3_value_int64(argv[1])>=0 ) pl_budget_install(c);
  sqlite3_result_int64(ctx, iOld);
}
