/*
** diff.h — hold the compiler and the evaluator against each other on a
** generated case (gen.h), through the real SQL surface: authorize,
** polar_list, polar_actions and polar_query (the compiled SQL) against
** polar_eval (the independent evaluator, ext/eval/).
**
** A disagreement is cut down (facts and policy pieces dropped while it
** stays) and named by a signature: the kind of check, whether the answers
** differ or one side refused, and the feature tags of the pieces left.
** Signatures listed in a known file are counted, not reported, so one bug
** does not hide the others.
*/
#ifndef PL_DIFF_H
#define PL_DIFF_H
#include "gen.h"
#include <stdio.h>

typedef struct DiffStats {
  long nPolicy, nRefused;          /* cases run; policies refused at load */
  long nFact, nFactRefused;
  long nCheck, nAgree;             /* checks asked of both; same answer */
  long nBothError;                 /* both refused the check (same shape) */
  long nLimitCompiler, nLimitEval; /* a limit stopped the compiler / the evaluator */
  long nDisagree, nKnown, nNew;    /* disagreements; of them known; new signatures */
  long nCompilerError, nEvalError; /* disagreements where one side refused */
  long nCrash;                     /* cases whose run crashed (difftest.c) */
} DiffStats;

typedef struct DiffOpt {
  FILE *out;                       /* reports */
  char **azKnown; int nKnown;      /* signatures not to report */
  char **azSeen; int nSeen;        /* signatures reported in this run */
  int bMinimize;
  long long nSteps;                /* polar_limit('steps') for every check */
  const char *zLabel;              /* how to get the case again, for reports */
  const char *zOutDir;             /* write NAME.polar + NAME.json + NAME.sql there */
  int nFound;                      /* reports written */
  int bVerbose;
} DiffOpt;

/* Run every check of c. Returns the number of new signatures reported. */
int diff_case(GenCase *c, DiffOpt*, DiffStats*);
/* Read signatures (one a line, '#' starts a comment) into pOpt->azKnown. */
int diff_known_load(DiffOpt*, const char *zFile);
void diff_opt_free(DiffOpt*);
/* The SQL that sets up case c (enabled pieces and facts), for reports. */
void diff_print_case(FILE*, const GenCase *c);

#endif
