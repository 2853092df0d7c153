/*
** pl_ext.h — per-connection state and the pieces of the SQL surface that
** live in more than one file (ext.c, vtab_query.c, status.c, tests.c).
*/
#ifndef PL_EXT_H
#define PL_EXT_H
#include "pl_compile.h"

/* The step budget of one call of a check or table-valued function
** (limits.c). Zero it before the call's first pl_budget_step. */
typedef struct PlBudget {
  sqlite3_int64 nSteps;      /* VM steps of the finished sqlite3_step calls */
  unsigned iVmStart;         /* the statement's step counter when this step began */
  int nCalls;                /* progress callbacks during this step */
  int bOver;                 /* the budget ran out */
} PlBudget;

struct PlConn {
  sqlite3 *db;
  PlLimits lim;              /* polar_limit() */
  PlBudget *pBudget;         /* budget of the check stepping now, or NULL */
  int nGrain;                /* steps between progress callbacks */
  PlStmtCache *pCache;
  PlPolicy *pPol;            /* current policy, or NULL */
  int iVersion;              /* its version (0: none) */
  int bChecked;              /* dataVersion is meaningful */
  sqlite3_uint64 dataVersion;/* SQLITE_FCNTL_DATA_VERSION at the last check */
  int bPinned;               /* @current_unix_time pinned (polar_now(N)) */
  sqlite3_int64 iNow;
  PlTypeSet actionTs;        /* types the action of allow/3 accepts */
  char aScratch[3][PL_MAX_ID + 80]; /* bound values of the running check */
  /* context facts of the running authorize: storage-encoded values */
  PlArena *pCtxArena;
  struct PlCtxFact { const char *zPred; int nArg; PlValue aVal[PL_MAX_ARGS]; } *aCtx;
  int nCtx;
};

/* ext.c */
/* Register every function and module on db; *ppConn is owned by db. */
int pl_conn_open(sqlite3 *db, PlConn **ppConn, char **pzErrMsg);
/* Validate (and, if bRunTests, test) and store a policy. */
int pl_conn_load(PlConn*, const char *zSrc, int nSrc, const char *zFile,
                 int bRunTests, int *piVersion, char **pzErr);
int pl_conn_refresh(PlConn*, int bForce, char **pzErr);
int pl_conn_require_policy(PlConn*, const PlPolicy **ppPol, char **pzErr);
void pl_result_error(sqlite3_context*, int rc, char *zErr);  /* frees zErr */
/* 1 (error set) if a writer is called while a writing statement runs */
int pl_refuse_unsafe_call(sqlite3_context*, const char *zFunc);
int pl_conn_bind(PlConn*, sqlite3_stmt*, int iParam, int iBuf, const PlValue*);
int pl_conn_value(PlConn*, sqlite3_value*, const PlTypeSet *pAllowed,
                  const char *zWhat, PlValue *pOut, char **pzErr);
void pl_goal_param(PlConn*, PlGoalArg*, const PlValue*, int iParam);
int pl_goal_key(char *z, int nz, int *pi, const PlConn*, const PlGoalArg*);
int pl_check_stmt(PlConn*, const char *zPred, int nArg, PlGoalArg *aGoal,
                  int bRows, int bContext, const char *zKey,
                  sqlite3_stmt **ppStmt, char **pzErr);
sqlite3_int64 pl_conn_now(PlConn*);

/* limits.c: polar_limit, and the step budget of checks. */
void pl_limit_func(sqlite3_context*, int, sqlite3_value**);
void pl_budget_install(PlConn*);   /* (re)install the progress handler */
/* sqlite3_step(pStmt) counted against b. Returns what sqlite3_step
** returned or, once the steps limit is spent, SQLITE_ERROR with *pzErr
** "<zWho>: exceeded the limit of N steps; raise it with ...". */
int pl_budget_step(PlConn*, PlBudget *b, sqlite3_stmt*, const char *zWho,
                   char **pzErr);

/* bind.c: polar_bind. pl_bind_attach reads main.polar_binding into pPol
** (error if a binding no longer fits the policy). */
int pl_bind_attach(sqlite3*, PlPolicy*, char **pzErr);
void pl_bind_func(sqlite3_context*, int, sqlite3_value**);

/* vtab_unread.c: polar_unread (stored facts the policy cannot read) */
int pl_unread_register(sqlite3*, PlConn*);

/* vtab_query.c: polar_list, polar_actions, polar_query, polar_context */
int pl_modules_register(sqlite3*, PlConn*, char **pzErrMsg);
int pl_query_sql(PlConn*, const char *zKind, int argc, sqlite3_value **argv,
                 char **pzSql, char **pzErr);
int pl_context_set(PlConn*, const char *zJson, int nJson, char **pzErr);
void pl_context_clear(PlConn*);

/* vtab_explain.c: polar_explain and polar_eval (the evaluator, ext/eval) */
int pl_explain_register(sqlite3*, PlConn*);

/* status.c: polar_status, polar_wait */
int pl_status_register(sqlite3*, PlConn*);
void pl_wait_func(sqlite3_context*, int, sqlite3_value**);

/* tests.c: a policy's test blocks. pl_tests_check runs them (each test's
** connection under the limits pLim, NULL: the defaults) and fails with a
** message naming the first failing test and assertion. */
int pl_tests_check(const PlPolicy*, const PlLimits*, char **pzErr);
int pl_tests_register(sqlite3*, PlConn*);

#endif
