/*
** limits.c — per-connection resource limits, read and set the way
** sqlite3_limit() reads and sets SQLite's, and the step budget of checks.
**
**   SELECT polar_limit('steps');               -- the current value
**   SELECT polar_limit('steps', 5000000);      -- set it; returns the old one
**   SELECT polar_limit('rules', 0);            -- no limit (the hard maximum)
**
** Each limit bounds one way a pathological policy or query could exhaust
** memory or run without end; the defaults let every realistic policy and
** listing through (the GitClub benchmark at 10M facts uses a small part of
** each). A limit that is hit fails the call with an error naming the limit
** and how to raise it, and nothing changes.
**
**   policy_length   bytes of policy source (polar_load, and loading a
**                   policy another connection stored)
**   rules           rules of a policy, counted after expansion: a
**                   shorthand rule counts as the rules it expands to, an
**                   `or` as one rule per alternative
**   in_list         items in one list literal (`x in [...]`, test lists)
**   nesting         parentheses, `not` and lists nested in each other
**   compile_memory  bytes the compiler may use for one check shape (a
**                   policy can unfold into exponentially many branches)
**   steps           SQLite virtual-machine steps of one call of authorize,
**                   or one scan of polar_list / polar_actions / polar_query
**   list_memory     bytes a polar_list scan may keep in memory to drop
**                   repeated ids; past it the scan goes on with SQLite's
**                   temporary storage (vtab_query.c). Not an error: the
**                   one limit that changes how, not whether, a call ends
**   eval_memory     bytes the independent evaluator (ext/eval: polar_explain,
**                   polar_eval) may use for one call: its tables of answers
**   eval_depth      subgoals the evaluator may nest inside each other (a
**                   folder 1000 below its top is about 1000 levels). It
**                   recurses in C, about 0.75 KB of stack a level: the
**                   default takes ~750 KB, the hard maximum (8000) ~6 MB
**   explain_depth   levels of the tree polar_explain shows; deeper branches
**                   are cut and a last row says so
**   explain_rows    rows of one polar_explain tree; past it the tree stops
**                   with a last row that says so
** The evaluator also counts its work against steps: every literal it tries,
** answer it keeps and fact row it reads is one step, plus the VM steps of
** its lookups.
**
** The policy limits are checked whenever this connection builds a policy,
** including one stored by another connection: a reader opening a database
** file it did not write is bounded too. Values: polar_limit(name, N) with
** N<0 changes nothing; N=0 or N above the hard maximum sets the hard
** maximum ("no limit"; nesting stops at 1000, which keeps the parser's
** recursion within a small thread stack).
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
#include "pl_ext.h"
#include <string.h>

#define PL_NO_LIMIT  ((sqlite3_int64)0x7fffffffffffffffLL)
#define PL_COUNT_MAX ((sqlite3_int64)0x7fffffff)

static const struct {
  const char *zName;
  const char *zUnit;
  sqlite3_int64 iDefault;
  sqlite3_int64 iMax;         /* hard maximum */
} aLimit[PL_LIMIT_N] = {
  { "policy_length",  "bytes",  1000000,    1000000000 },
  { "rules",          "rules",  10000,      PL_COUNT_MAX },
  { "in_list",        "items",  10000,      PL_COUNT_MAX },
  { "nesting",        "levels", 200,        1000 },
  { "compile_memory", "bytes",  100000000,  PL_NO_LIMIT },
  { "steps",          "steps",  1000000000, PL_NO_LIMIT },
  { "list_memory",    "bytes",  67108864,   PL_NO_LIMIT },
  { "eval_memory",    "bytes",  100000000,  PL_NO_LIMIT },
  { "eval_depth",     "levels", 1000,       8000 },
  { "explain_depth",  "levels", 40,         PL_COUNT_MAX },
  { "explain_rows",   "rows",   1000,       PL_COUNT_MAX },
};

void pl_limits_init(PlLimits *p){
  int i;
  for(i=0; i<PL_LIMIT_N; i++) p->a[i] = aLimit[i].iDefault;
}

sqlite3_int64 pl_limit(const PlLimits *p, int id){
  return p ? p->a[id] : aLimit[id].iDefault;
}

int pl_limit_find(const char *zName){
  int i;
  for(i=0; i<PL_LIMIT_N; i++){
    if( sqlite3_stricmp(zName, aLimit[i].zName)==0 ) return i;
  }
  return -1;
}

const char *pl_limit_name(int id){ return aLimit[id].zName; }

sqlite3_int64 pl_limit_set(PlLimits *p, int id, sqlite3_int64 v){
  sqlite3_int64 iOld = p->a[id];
  if( v<0 ) return iOld;
  p->a[id] = (v==0 || v>aLimit[id].iMax) ? aLimit[id].iMax : v;
  return iOld;
}

char *pl_limit_error(const PlLimits *p, int id, const char *zWhat){
  return sqlite3_mprintf("%s: exceeded the limit of %lld %s; raise it with "
                         "SELECT polar_limit('%s', N)", zWhat,
                         (long long)pl_limit(p, id), aLimit[id].zUnit,
                         aLimit[id].zName);
}

/*------------------------------------------------------- step budget --*/

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
    c->lim.a[PL_LIMIT_STEPS] = aLimit[PL_LIMIT_STEPS].iMax;
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
    for(i=0; i<PL_LIMIT_N; i++) sqlite3_str_appendf(s, "%s %s", i ? "," : "", aLimit[i].zName);
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
                           "(0: no limit; negative: leave it)", aLimit[id].zName);
    pl_result_error(ctx, zErr ? SQLITE_ERROR : SQLITE_NOMEM, zErr);
    return;
  }
  if( id==PL_LIMIT_STEPS && !budget_available() && sqlite3_value_int64(argv[1])>0
   && sqlite3_value_int64(argv[1])<aLimit[id].iMax ){
    zErr = sqlite3_mprintf("polar_limit: this SQLite is built without progress "
        "callbacks (SQLITE_OMIT_PROGRESS_CALLBACK), so it cannot stop a check after N steps");
    pl_result_error(ctx, zErr ? SQLITE_ERROR : SQLITE_NOMEM, zErr);
    return;
  }
  iOld = pl_limit_set(&c->lim, id, sqlite3_value_int64(argv[1]));
  if( id==PL_LIMIT_STEPS && sqlite3_value_int64(argv[1])>=0 ) pl_budget_install(c);
  sqlite3_result_int64(ctx, iOld);
}
