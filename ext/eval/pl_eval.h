/*
** pl_eval.h — the independent evaluator (ext/eval/): a checked policy, a
** goal and the facts in, answers or a proof out.
**
** It shares only the parser, desugarer and type checker with the compiler:
** it reads the checked IR (pl_policy.h) and answers a goal top-down, with a
** table of answers per (predicate, call pattern), so that recursion over
** cyclic data ends (eval.c). Facts come from plain indexed lookups on the
** fact tables, the rows of polar_bind bindings and the call's context
** facts. It serves explanations (explain.c, polar_explain) and tests
** (polar_eval, the differential tests in tests/diff), not the hot path.
**
** Limits (limits.c): steps (every literal tried, answer kept and fact row
** read is a step, plus the VM steps of the lookups), eval_memory, eval_depth.
*/
#ifndef PL_EVAL_H
#define PL_EVAL_H
#include "../pl_policy.h"

/* A fact given with the call (context facts), values as pl_value_from_wire
** makes them. */
typedef struct PlEvalFact {
  const char *zPred; int nArg;
  PlValue aVal[PL_MAX_ARGS];
} PlEvalFact;

/* What an evaluation reads. pCache may be NULL (statements are then
** prepared for each lookup). */
typedef struct PlEvalEnv {
  sqlite3 *db;
  PlStmtCache *pCache;
  const PlPolicy *pPol;
  const PlLimits *pLim;          /* NULL: the defaults */
  sqlite3_int64 iNow;            /* @current_unix_time */
  const PlEvalFact *aCtx; int nCtx;
  const char *zWho;              /* names the caller in limit errors */
} PlEvalEnv;

/* One argument of a goal: a value, or open (any value of a type in ts). */
typedef struct PlEvalArg {
  int bOpen;
  PlTypeSet ts;                  /* bOpen */
  PlValue v;                     /* !bOpen: a concrete value */
} PlEvalArg;

typedef struct PlEval PlEval;

/* A new evaluation (its tables live until pl_eval_free). bJust: keep, for
** every answer, how it was first derived (explain.c needs it). */
int pl_eval_new(const PlEvalEnv*, int bJust, PlEval **ppEval);
void pl_eval_free(PlEval*);

/* The distinct answer rows of zPred/nArg for the goal aArg, each passed to
** xRow (which returns non-zero to stop). An open position answered by a
** wildcard comes as a PlValue with bWild set and iType one concrete type:
** one row per type the wildcard may take within the goal's types. Bound
** positions come back as given. Errors: unknown predicate, a literal that
** cannot be evaluated (a variable unbound), a limit. */
int pl_eval_rows(PlEval*, const char *zPred, int nArg, const PlEvalArg *aArg,
                 int (*xRow)(void*, int nArg, const PlValue*), void *pArg,
                 char **pzErr);

/* polar_explain's tree (explain.c), one row per goal, rule, fact or
** condition. For a goal that holds: the proof found first. For one that
** does not: every rule that could have proved it, each with the conditions
** that held and the first that failed, that one explained in turn, down to
** the facts that would have made it hold. */
typedef struct PlExplainRow {
  int iDepth;
  int eHolds;               /* 1, 0, or -1 (not known: a limit row) */
  const char *zKind;        /* goal, rule, policy fact, fact, context, bound,
                            ** condition, tried, missing, none, seen, error,
                            ** limit (static strings) */
  char *zText;              /* Polar syntax (sqlite3_malloc'd) */
  char *zAt;                /* file:line:col in the policy, or NULL */
  char *zRule;              /* the rule's source text, or NULL */
} PlExplainRow;

typedef struct PlExplain {
  PlExplainRow *aRow; int nRow, nAlloc;
  int bHolds;               /* the goal holds */
} PlExplain;

/* Explain zPred(aGoal...) (every argument a value). Limits: explain_depth
** and explain_rows cut the tree and the last row (kind "limit") says so;
** steps and eval_memory stop it the same way. Other errors fail. */
int pl_explain(const PlEvalEnv*, const char *zPred, int nArg, const PlValue *aGoal,
               PlExplain *pOut, char **pzErr);
void pl_explain_clear(PlExplain*);

#endif
