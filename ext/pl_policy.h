/*
** pl_policy.h — the checked policy IR shared by policy.c (builds it) and
** compile.c (turns it into SQL). Nothing outside those files looks inside.
**
** A rule body is put in disjunctive normal form: each PlClause is one
** alternative "head if lit and lit and ...". Variables are numbered per
** clause; `_` becomes a fresh variable. Every variable carries the set of
** concrete types it may take (inferred, see policy.c).
*/
#ifndef PL_POLICY_H
#define PL_POLICY_H
#include "pl_int.h"

enum { PL_TK_PRIM = 1, PL_TK_ABSTRACT, PL_TK_ACTOR, PL_TK_RESOURCE };

typedef struct PlTypeInfo {
  const char *zName;
  int nName;            /* strlen(zName): lookups compare it first */
  int eKind;
  PlTypeSet sub;        /* concrete types a parameter of this type accepts */
  const PlBlock *pBlock;/* declaring block, or NULL */
} PlTypeInfo;

typedef struct PlConst {   /* a literal value of known type */
  int iType;
  const char *z; int n;    /* id text for non-Integer (Boolean: "true"/"false") */
  sqlite3_int64 i;         /* Integer value */
} PlConst;

enum { PL_IT_VAR = 1, PL_IT_CONST, PL_IT_NOW };
typedef struct PlITerm {
  int eKind;
  int iVar;                /* PL_IT_VAR */
  PlConst c;               /* PL_IT_CONST */
} PlITerm;

enum { PL_LIT_CALL = 1, PL_LIT_NOTCALL, PL_LIT_UNIFY, PL_LIT_CMP, PL_LIT_IN };
typedef struct PlLit {
  int eKind;
  PlPos pos;
  int iPred;               /* CALL/NOTCALL: index into PlPolicy.aPred */
  PlITerm *aArg; int nArg; /* CALL args; UNIFY/CMP: aArg[0], aArg[1]; IN: aArg[0] in aArg[1..] */
  int eCmp;                /* CMP */
} PlLit;

typedef struct PlVarInfo {
  const char *zName;       /* "_" for anonymous */
  PlPos pos;
  PlTypeSet ts;            /* inferred concrete types */
} PlVarInfo;

typedef struct PlClause {
  const PlRule *pRule;
  int iPred;
  PlITerm *aHead;          /* nArg of the predicate */
  PlLit *aLit; int nLit;
  PlVarInfo *aVar; int nVar;
} PlClause;

typedef struct PlPred {
  const char *zName; int nArg;
  int *aClause; int nClause;   /* indexes into PlPolicy.aClause */
  int bStored;                 /* has a fact table (called or declared) */
  PlTypeSet aHeadTs[PL_MAX_ARGS]; /* union of clause head types */
  PlTypeSet aStoreTs[PL_MAX_ARGS];/* union of signature types */
} PlPred;

/* A fact signature served from the application's own tables (polar_bind):
** the rows of zArm (a SELECT with columns a1..aN in storage encoding) are
** facts of aPred[iPred] alongside the stored ones. */
typedef struct PlBinding {
  int iPred;
  const char *zSig;            /* canonical signature, e.g. has_relation(Issue:_, String:parent, Repository:_) */
  const char *zArm;            /* SELECT ... AS a1, ... FROM (the application's SELECT) */
} PlBinding;

struct PlPolicy {
  PlArena *pArena;
  PlBinding *aBinding; int nBinding;  /* attached by bind.c */
  PlProgram *pProg;
  const char *zSrc; int nSrc;
  const char *zFile;
  PlTypeInfo aType[PL_MAX_TYPES]; int nType;
  PlTypeSet all;               /* every concrete type */
  PlPred *aPred; int nPred;
  PlClause *aClause; int nClause;
  PlSig *aSig; int nSig;
  /* distinct String constants used anywhere in the policy (for
  ** specialising checks on a known action) */
  const char **azStr; int *anStr; int nStr;
};

int pl_policy_find_pred(const PlPolicy*, const char *zPred, int nArg);
int pl_policy_find_str(const PlPolicy*, const char *z, int n); /* -1 if none */

#endif
