/*
** limits.c — per-connection resource limits, read and set the way
** sqlite3_limit() reads and sets SQLite's (the values; polar_limit() and
** the step budget are in sql/budget.c).
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
**   call_memory     bytes the answers of recursive (and shared) rules may
**                   take during one check (sql/call.c tables them)
**   eval_memory     bytes the independent evaluator (eval/: polar_explain,
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
** answer it keeps and fact row it reads counts 25 steps (about the time as
** many VM steps take), plus the VM steps of its lookups.
**
** The policy limits are checked whenever this connection builds a policy,
** including one stored by another connection: a reader opening a database
** file it did not write is bounded too. Values: polar_limit(name, N) with
** N<0 changes nothing; N=0 or N above the hard maximum sets the hard
** maximum ("no limit"; nesting stops at 1000, which keeps the parser's
** recursion within a small thread stack).
*/
#include "pl_int.h"
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
  { "call_memory",    "bytes",  268435456,  PL_NO_LIMIT },
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

sqlite3_int64 pl_limit_max(int id){ return aLimit[id].iMax; }
