/*
** pl_compile.h — compiling a goal against a checked policy to SQL.
*/
#ifndef PL_COMPILE_H
#define PL_COMPILE_H
#include "pl_policy.h"

enum { PL_GA_PARAM = 1, PL_GA_OPEN };

typedef struct PlGoalArg {
  int eKind;
  int iType;                /* PARAM: concrete type of the bound value */
  int iParam;               /* PARAM: SQL parameter number (?N) */
  const char *zKnown;       /* PARAM: value known at compile time (a policy */
  int nKnown;               /*   String constant), used only for pruning */
  PlTypeSet ts;             /* OPEN: the types wanted in the answer */
} PlGoalArg;

/* Compile zPred/nArg for the given argument shapes.
** bRows=0: *pzSql is an SQL boolean expression (1 if the goal holds).
** bRows=1: *pzSql is a SELECT with columns c1..ck, one per OPEN argument in
**          order, in storage encoding (wildcards as 'T:'); set semantics.
** bRows=2: the same, but the alternatives are joined with UNION ALL, so a
**          row reached by several rules comes back once per rule: for a
**          caller that drops repeats itself (polar_list's cursor).
** bContext: fact tables also read the per-call polar_context table.
** *pzSql is sqlite3_malloc'd. A predicate with no rules and no facts
** compiles to a statement that yields nothing. The compiler's memory is
** capped by the compile_memory limit of pLim (NULL: the default). */
int pl_compile(const PlPolicy*, const PlLimits *pLim, const char *zPred, int nArg,
               const PlGoalArg *aArg, int bRows, int bContext,
               char **pzSql, char **pzErr);

#endif
