/*
** eval_int.h — the evaluator's inside, shared by eval.c (tables, answers,
** unification) and explain.c (proof trees). Nothing else looks here.
**
** Variables. A clause is solved in an environment: one ECell per clause
** variable, then PL_MAX_ARGS scratch cells that stand for the wildcard
** groups of the answer being unified. A cell is unbound (with the types it
** may still take), bound to a value, or a reference to another cell.
** References always point to a lower index, so clause variables never
** point into the scratch cells, which are reused by every call.
**
** Answers. A table holds the answers of one (predicate, call pattern): a
** tuple per answer, each position a value or a wildcard ("any value of
** these types"); positions of one wildcard group are one variable (a rule
** head that repeats an unbound variable).
*/
#ifndef PL_EVAL_INT_H
#define PL_EVAL_INT_H
#include "pl_eval.h"

enum { EC_VAR = 0, EC_VAL, EC_REF };
typedef struct ECell {
  int eKind;
  int iRef;           /* EC_REF: the cell this one is (always lower) */
  PlTypeSet ts;       /* EC_VAR: the types it may take */
  PlValue v;          /* EC_VAL */
} ECell;

enum { EA_VAL = 0, EA_WILD };
typedef struct ACell {
  int eKind;
  int iGroup;         /* EA_WILD: cells of one group are one variable */
  PlTypeSet ts;       /* EA_WILD */
  PlValue v;          /* EA_VAL */
} ACell;

/* How an answer was first derived (kept when the evaluation asked). */
enum { EJ_FACT = 1, EJ_CONTEXT, EJ_BINDING, EJ_CLAUSE };
typedef struct EAns EAns;
typedef struct EJust {
  int eKind;
  int iClause;        /* EJ_CLAUSE: index into PlPolicy.aClause */
  ECell *aEnv;        /* EJ_CLAUSE: its variables then (nVar cells) */
  EAns **aUsed;       /* EJ_CLAUSE: per literal, the answer a call used */
  int iBinding;       /* EJ_BINDING: index into PlPolicy.aBinding */
} EJust;

struct EAns {
  EAns *pNext;        /* the table's answers in the order found */
  sqlite3_int64 iSeq; /* order of discovery over the whole evaluation */
  EJust *pJust;
  ACell a[PL_MAX_ARGS];
};

typedef struct ETable ETable;
struct ETable {
  int iPred, nArg;
  PlEvalArg aPat[PL_MAX_ARGS];
  EAns *pFirst, *pLast;
  int nAns;
  /* scheduling (eval.c) */
  int eState, iC, iLow, bOnStack, bStale, bFacts;
  void *pAnsMap;
};

/* Result of evaluating a literal that is not a call. */
enum { EV_TRUE = 1, EV_FALSE, EV_DEFER, EV_BRANCH };

/* Cells in the environment of clause c (its variables + scratch). */
#define EVAL_NCELL(c) ((c)->nVar + PL_MAX_ARGS)

/* The policy of an evaluation. */
const PlPolicy *pl_eval_policy(const PlEval*);

/* A fresh environment for clause c (unbound variables of their inferred
** types) with the head unified with the pattern aPat; 0 if the clause
** cannot answer it. aEnv has EVAL_NCELL(c) cells. */
int pl_eval_enter(PlEval*, const PlClause *c, const PlEvalArg *aPat, ECell *aEnv);
/* The same with the head unified with an answer (the values a caller
** passed, wildcards staying unbound). */
int pl_eval_enter_ans(PlEval*, const PlClause *c, const ACell *aCell, ECell *aEnv);

/* Literal iLit of c, not a call: *peRes is EV_TRUE (aEnv may now bind a
** variable), EV_FALSE, EV_DEFER (a variable it needs is unbound) or
** EV_BRANCH (`x in [...]` with x unbound: pl_eval_in_item binds each item).
** bForce: nothing else is left to bind the variables, so `a = b` between
** two unbound variables makes them one, `in` branches, and anything else
** unbound is an error (returned). */
int pl_eval_lit(PlEval*, const PlClause *c, ECell *aEnv, int iLit, int bForce,
                int *peRes);
/* Bind the left side of `in` literal iLit to item k (1-based like aArg);
** 0 if its type cannot match. */
int pl_eval_in_item(PlEval*, const PlClause *c, ECell *aEnv, int iLit, int k);

/* The call pattern of call literal l in aEnv. */
void pl_eval_pattern(PlEval*, const PlClause *c, const ECell *aEnv,
                     const PlLit *l, PlEvalArg *aPat);
/* The table answering aPat of iPred, evaluated to completion. */
int pl_eval_table(PlEval*, int iPred, const PlEvalArg *aPat, ETable **ppT);
/* Unify terms aTerm[0..n) of clause c with answer cells (each wildcard
** group a scratch cell); 0 if they differ. */
int pl_eval_unify_terms(const PlEval*, const PlClause *c, ECell *aEnv,
                        const PlITerm *aTerm, int n, const ACell *aCell);
/* Unify the arguments of call literal l with answer a; 0 if they differ. */
int pl_eval_unify_ans(PlEval*, const PlClause *c, ECell *aEnv, const PlLit *l,
                      const EAns *a);

/* The value of term t in aEnv: 1 and *pv if bound, else 0 and *piCell is
** the unbound cell (its types in aEnv[*piCell].ts). */
int pl_eval_term(const PlEval*, const ECell *aEnv, const PlITerm *t,
                 PlValue *pv, int *piCell);

/* Count n units of work against the steps limit (an error once spent). */
int pl_eval_work(PlEval*, sqlite3_int64 n);
/* Memory of the evaluation (capped by eval_memory); NULL sets the error. */
void *pl_eval_alloc(PlEval*, size_t n);
/* The evaluation's error, if any: rc and message (owned by the PlEval). */
int pl_eval_error(const PlEval*, const char **pzErr);
/* After an error: the limit that stopped the evaluation (PL_LIMIT_...), or
** -1 when it was something else. */
int pl_eval_limit_hit(const PlEval*);
/* Forget an error that was not a limit (explain.c shows a literal that
** could not be evaluated as a row and goes on). */
void pl_eval_clear_error(PlEval*);

#endif
