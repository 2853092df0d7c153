/*
** pl_int.h — internal interfaces of the polarlite engine.
**
** The engine is a pipeline of stages, each a folder of ext/, and this header
** has one section per .c file, in stage order. A file uses only the
** sections above its own (and never a stage above its own):
**
**   base/      arena.c limits.c       memory arenas, error text, limit values,
**              suggest.c              "did you mean" for mistyped names
**   lang/      lexer.c parser.c       Polar source -> PlProgram (syntax tree)
**              desugar.c dump.c       resource blocks -> longhand rules; printer
**   analysis/  policy.c               types, fact signatures, the checked IR
**              reads.c                which Strings each position can be read with
**   store/     value.c json.c         values in SQL and wire spelling, Oso JSON
**              stmtcache.c store.c    per-connection statements, fact tables
**   compile/   compile.c              a goal against the IR -> one SQL statement
**   eval/      eval.c explain.c       the independent evaluator: a goal against
**                                     the IR and the facts -> answers, proofs
**   sql/       conn.c budget.c        the SQL surface: connection state, step
**              check.c funcs.c        budget, compiled checks, scalar functions,
**              vtab_*.c status.c      table-valued functions and tables,
**              bind.c tests.c         polar_bind, the policy's test blocks
**   ext.c                             the entry point: registers the surface
**
** One section per .c file. Every function that can fail returns an SQLite
** result code (SQLITE_OK on success) and, on failure, stores a message in
** *pzErr allocated with sqlite3_mprintf() that the caller frees with
** sqlite3_free(). Messages about policy text start with "file:line:col: ".
**
** Memory: ext/ uses SQLite's allocator only. A parsed policy lives in one
** arena (PlArena); everything reachable from PlProgram/PlPolicy is freed by
** freeing that arena.
**
** Storage encoding (the form values take in fact tables and compiled SQL):
**   Integer          -> SQLite INTEGER
**   everything else  -> TEXT "TypeName:id"   ("String:read", "Boolean:true",
**                       "User:alice")
**   wildcard of T    -> TEXT "T:" (empty id; ids are never empty)
** The user-facing SQL spelling (SPEC "Values in SQL") is converted to and
** from this encoding only in value.c.
*/
#ifndef PL_INT_H
#define PL_INT_H

#include <sqlite3ext.h>
#ifndef SQLITE_CORE
SQLITE_EXTENSION_INIT3
#endif
#include <stdint.h>
#include <stddef.h>

#define PL_MAX_ARGS   5      /* facts have 1..5 arguments */
#define PL_MAX_ID     384    /* bytes in one argument id */
#define PL_MAX_TYPES  256    /* declared + built-in types in one policy */

/* printf-format checking for our variadic helpers */
#if defined(__GNUC__)
# define PL_PRINTF(f,a) __attribute__((format(printf,f,a)))
#else
# define PL_PRINTF(f,a)
#endif

/*====================================================== base/arena.c ===*/
typedef struct PlArena PlArena;

PlArena *pl_arena_new(void);                     /* NULL on OOM */
void pl_arena_free(PlArena*);                    /* frees every allocation */
void *pl_arena_alloc(PlArena*, size_t n);        /* zeroed; NULL on OOM */
/* Cap the arena at nMax bytes: an allocation that would pass it fails
** (NULL) and pl_arena_capped() then returns 1, telling the caller the
** failure was the cap, not the system running out of memory. */
void pl_arena_cap(PlArena*, size_t nMax);
int pl_arena_capped(const PlArena*);
char *pl_arena_strndup(PlArena*, const char *z, int n); /* NUL-terminated copy */
/* Grow an arena array: returns a new zeroed array of nNew elements holding
** the first nOld elements of aOld (the old block stays in the arena). */
void *pl_arena_grow(PlArena*, void *aOld, int nOld, int nNew, size_t szElem);

/* "file:line:col: message" allocated with sqlite3_mprintf */
char *pl_errf(const char *zFile, int line, int col, const char *zFmt, ...)
  PL_PRINTF(4,5);

/*====================================================== base/limits.c ===
** Resource limits, per connection, in the manner of sqlite3_limit(): each
** bounds one way a pathological policy or query could exhaust memory or
** run without end. The SQL function polar_limit() reads and sets them
** (sql/budget.c); the parser, the policy builder and the compiler take a
** const PlLimits* (NULL: the defaults). */
enum {
  PL_LIMIT_POLICY_LENGTH,   /* bytes of policy source */
  PL_LIMIT_RULES,           /* rules, as expanded (shorthand, `or`) */
  PL_LIMIT_IN_LIST,         /* items in one list literal */
  PL_LIMIT_NESTING,         /* parentheses, `not` and lists, nested */
  PL_LIMIT_COMPILE_MEMORY,  /* bytes the compiler may use for one check */
  PL_LIMIT_STEPS,           /* SQLite VM steps of one check or listing */
  PL_LIMIT_LIST_MEMORY,     /* bytes a list's in-memory duplicate set may use */
  PL_LIMIT_CALL_MEMORY,     /* bytes the answers of units may take in one check */
  PL_LIMIT_EVAL_MEMORY,     /* bytes the evaluator (ext/eval) may use for one call */
  PL_LIMIT_EVAL_DEPTH,      /* subgoals the evaluator may nest (recursion depth) */
  PL_LIMIT_EXPLAIN_DEPTH,   /* levels of a polar_explain tree */
  PL_LIMIT_EXPLAIN_ROWS,    /* rows of a polar_explain tree */
  PL_LIMIT_N
};
typedef struct PlLimits { sqlite3_int64 a[PL_LIMIT_N]; } PlLimits;

void pl_limits_init(PlLimits*);                  /* the defaults */
/* The value of limit id (the default when pLim is NULL). */
sqlite3_int64 pl_limit(const PlLimits *pLim, int id);
int pl_limit_find(const char *zName);            /* -1 if unknown */
const char *pl_limit_name(int id);
sqlite3_int64 pl_limit_max(int id);              /* the hard maximum */
/* Set limit id to v as polar_limit(name, v) does (v<0: unchanged; 0 or
** more than the hard maximum: the hard maximum). Returns the old value. */
sqlite3_int64 pl_limit_set(PlLimits*, int id, sqlite3_int64 v);
/* "<zWhat>: exceeded the limit of N <unit>; raise it with
** SELECT polar_limit('<name>', N)", sqlite3_mprintf'd (NULL on OOM). */
char *pl_limit_error(const PlLimits*, int id, const char *zWhat);

/*===================================================== base/suggest.c ===
** "Did you mean": the closest of the candidates offered, if close enough
** (at most 2 edits, 1 for names of 4 characters or fewer). zBest is NULL
** when none is. Candidates must outlive the PlSuggest. */
typedef struct PlSuggest {
  const char *z; int n;         /* the name the user wrote */
  const char *zBest; int nBest; /* the best candidate so far, or NULL */
  int dBest;                    /* its distance (or the bound to beat) */
} PlSuggest;
void pl_suggest_init(PlSuggest*, const char *z, int n);   /* n<0: strlen */
void pl_suggest_try(PlSuggest*, const char *zCand, int nCand);

/*======================================================= lang/lexer.c ===
** Tokens of Polar source, for the parser only. pl_lex() turns a whole
** source text into an array of tokens. Lexing stops at the first lexical
** error: the array then ends with one PL_TK_ERROR token whose zErr says what
** went wrong (the parser reports it when it reaches that token, so errors
** come out in source order). Otherwise the array ends with PL_TK_EOF. */
typedef struct PlPos { int line, col; } PlPos;   /* 1-based */

enum {
  PL_TK_EOF = 1,
  PL_TK_ERROR,     /* lexical error; zErr = message (no position prefix) */
  PL_TK_IDENT,     /* [A-Za-z_][A-Za-z0-9_]* ( "::" ident )*; z = copy */
  PL_TK_STRING,    /* z,n = unescaped bytes (arena copy, NUL-terminated) */
  PL_TK_INT,       /* z,n = the digits (no sign), in the source */
  PL_TK_FLOAT,     /* digits "." digits: only so it can be rejected */
  PL_TK_CONST,     /* @name; z = name without '@' (arena copy) */
  PL_TK_LP, PL_TK_RP,          /* ( ) */
  PL_TK_LB, PL_TK_RB,          /* { } */
  PL_TK_LSQ, PL_TK_RSQ,        /* [ ] */
  PL_TK_COMMA, PL_TK_SEMI, PL_TK_COLON,
  PL_TK_EQ,                    /* =  */
  PL_TK_EQEQ, PL_TK_NE, PL_TK_LT, PL_TK_LE, PL_TK_GT, PL_TK_GE,
  /* OSS-only operators: lexed so the parser can say they are unsupported */
  PL_TK_DOT,                   /* .  */
  PL_TK_ASSIGN,                /* := */
  PL_TK_QUERY,                 /* ?= */
  PL_TK_STAR, PL_TK_PLUS, PL_TK_MINUS, PL_TK_SLASH
};

typedef struct PlToken {
  int eType;
  PlPos pos;
  const char *zSrc; int nSrc;  /* the token's bytes in the source text */
  const char *z; int n;        /* IDENT/STRING/CONST: arena copy; INT/FLOAT:
                               ** same as zSrc; else NULL */
  const char *zErr;            /* ERROR: message, arena */
} PlToken;

/* Tokenize zSrc[0..nSrc). *paTok is allocated with sqlite3_malloc64 and
** must be freed by the caller with sqlite3_free (also on error). Strings
** live in pArena. Returns SQLITE_OK (lexical errors become a final
** PL_TK_ERROR token) or SQLITE_NOMEM. */
int pl_lex(PlArena *pArena, const char *zSrc, int nSrc,
           PlToken **paTok, int *pnTok);

/* A short, printable rendering of a token for error messages, e.g.
** "'resource'", "string \"read\"", "end of input". Allocated in pArena
** (NULL on OOM). */
const char *pl_tok_describe(PlArena *pArena, const PlToken *pTok);

/* Bytes z[0..n) made safe to quote in a message: control bytes and invalid
** UTF-8 become \xNN, and '"' and '\\' are escaped; at most nMax bytes of
** input are shown (then "..."). Allocated in pArena. */
const char *pl_printable(PlArena *pArena, const char *z, int n, int nMax);

/*==================================================== lang/parser.c ===*/

typedef struct PlTerm PlTerm;
typedef struct PlExpr PlExpr;

enum {
  PL_TERM_VAR = 1,   /* zName; zType = specializer or NULL */
  PL_TERM_WILD,      /* "_"; zType = specializer or NULL */
  PL_TERM_STR,       /* z,n = unescaped bytes */
  PL_TERM_INT,       /* i */
  PL_TERM_BOOL,      /* i = 0 or 1 */
  PL_TERM_OBJ,       /* zType{"id"}: zType = app type name, z,n = id.
                     ** String{"x"}, Integer{3}, Boolean{true} are turned into
                     ** STR/INT/BOOL by the parser. */
  PL_TERM_NOW,       /* @current_unix_time */
  PL_TERM_LIST       /* [a, b, ...]: aItem, nItem */
};

struct PlTerm {
  int eKind;
  PlPos pos;
  const char *zName;     /* VAR */
  const char *zType;     /* VAR/WILD specializer, OBJ type; NULL if none */
  PlPos typePos;         /* position of zType when present */
  const char *z; int n;  /* STR, OBJ id */
  sqlite3_int64 i;       /* INT, BOOL */
  PlTerm *aItem; int nItem; /* LIST */
};

enum {
  PL_EXPR_AND = 1,   /* pLeft and pRight */
  PL_EXPR_OR,        /* pLeft or pRight */
  PL_EXPR_NOT,       /* not pLeft */
  PL_EXPR_CALL,      /* zPred(aArg[0..nArg)) */
  PL_EXPR_UNIFY,     /* pA = pB */
  PL_EXPR_CMP,       /* pA eCmp pB */
  PL_EXPR_MATCHES,   /* pA matches zType */
  PL_EXPR_IN,        /* pA in pB (pB->eKind == PL_TERM_LIST) */
  /* Only inside shorthand-rule bodies (resource blocks): */
  PL_EXPR_SH_TERM,   /* "y"                     zName = y            */
  PL_EXPR_SH_ON,     /* "y" on "rel"  /  role on "rel"
                     ** zName = y (NULL when bRole), zRel = rel       */
  PL_EXPR_SH_GLOBAL  /* global "y"               zName = y            */
};

enum { PL_CMP_EQ = 1, PL_CMP_NE, PL_CMP_LT, PL_CMP_LE, PL_CMP_GT, PL_CMP_GE };

struct PlExpr {
  int eKind;
  PlPos pos;
  PlExpr *pLeft, *pRight;          /* AND, OR, NOT */
  const char *zPred;               /* CALL */
  PlTerm *aArg; int nArg;          /* CALL */
  PlTerm *pA, *pB;                 /* UNIFY, CMP, IN, MATCHES(pA) */
  int eCmp;                        /* CMP */
  const char *zType; PlPos typePos;/* MATCHES */
  const char *zName;               /* SH_TERM, SH_ON, SH_GLOBAL */
  const char *zRel; PlPos relPos;  /* SH_ON */
  int bRole;                       /* SH_ON: body was `role on "rel"` */
};

typedef struct PlRule {
  PlPos pos;
  const char *zPred;
  PlTerm *aParam; int nParam;      /* VAR/WILD may carry a specializer */
  PlExpr *pBody;                   /* NULL for a fact (no `if`) */
  int bGenerated;                  /* 1 if made by pl_desugar */
} PlRule;

typedef struct PlRelDecl {
  const char *zName; PlPos pos;
  const char *zType; PlPos typePos;
} PlRelDecl;

typedef struct PlShorthand {
  PlPos pos;
  const char *zHead;               /* "x"; NULL when the head is `role` */
  PlExpr *pBody;
} PlShorthand;

enum { PL_BLOCK_ACTOR = 1, PL_BLOCK_RESOURCE, PL_BLOCK_GLOBAL };

typedef struct PlBlock {
  int eKind;
  PlPos pos;
  const char *zName;               /* NULL for global */
  const char **azExtends; PlPos *aExtendsPos; int nExtends;
  int bRoles, bPerms, bRels;       /* declaration present */
  PlPos rolesPos, permsPos, relsPos;
  const char **azRole; PlPos *aRolePos; int nRole;
  const char **azPerm; PlPos *aPermPos; int nPerm;
  PlRelDecl *aRel; int nRel;
  PlShorthand *aSh; int nSh;
} PlBlock;

typedef struct PlDeclare {
  PlPos pos;
  const char *zPred;
  const char **azType; PlPos *aTypePos; int nType;
} PlDeclare;

typedef struct PlFact {            /* ground: STR/INT/BOOL/OBJ terms only */
  PlPos pos;
  const char *zPred;
  PlTerm *aArg; int nArg;
} PlFact;

typedef struct PlFixture {
  PlPos pos; const char *zName;
  PlFact *aFact; int nFact;
} PlFixture;

typedef struct PlAssert {
  PlPos pos;
  int bNot;                        /* assert_not */
  const char *zPred;
  PlTerm *aArg; int nArg;          /* ground terms, or one VAR with zType */
  int bIff;                        /* has `iff VAR (not)? in [..]` */
  int bIffNotIn;                   /* `iff x not in [...]` */
  const char *zIffVar; PlPos iffVarPos;
  PlTerm *pIffList;                /* PL_TERM_LIST of ground terms */
} PlAssert;

typedef struct PlTest {
  PlPos pos; const char *zName;
  PlFact *aSetup; int nSetup;
  const char **azFixture; PlPos *aFixturePos; int nFixture;
  PlAssert *aAssert; int nAssert;
} PlTest;

typedef struct PlProgram {
  const char *zFile;
  PlBlock *aBlock; int nBlock;
  PlRule *aRule; int nRule;
  PlDeclare *aDecl; int nDecl;
  PlFixture *aFix; int nFix;
  PlTest *aTest; int nTest;
} PlProgram;

/* Parse a whole policy. All nodes are allocated in pArena. On a syntax
** error returns SQLITE_ERROR with "file:line:col: what was expected/found".
** zFile is used in messages; NULL means "policy.polar". Limits: nesting
** and in_list (the error names the limit). */
int pl_parse(PlArena*, const char *zSrc, int nSrc, const char *zFile,
             const PlLimits*, PlProgram **ppProg, char **pzErr);

/*===================================================== lang/desugar.c ===
** Validates resource blocks (section 9 / 4.2 / 4.3 of polar-reference.md)
** and appends the longhand rules of every shorthand rule to p->aRule with
** bGenerated = 1. Adds the default
**   allow(actor, action, resource) if has_permission(actor, action, resource);
** when no allow/3 rule exists. Variable names made up by the desugarer start
** with '$' so they never clash with user variables; the block's actor and
** resource variables are named "actor" and "resource". */
int pl_desugar(PlArena*, PlProgram *p, char **pzErr);

/*======================================================== lang/dump.c ===
** Polar text of parsed or generated rules. Every function returns a string
** allocated with sqlite3_mprintf that the caller frees with sqlite3_free
** (NULL on OOM). */
/* "pred(p1, p2) if body;" or "pred(p1, p2);" */
char *pl_program_dump_rule(const PlRule*);
/* a rule body, including shorthand atoms ("y" on "rel", global "g") */
char *pl_program_dump_expr(const PlExpr*);
/* one term; variables and wildcards print their specializer ("x: T") */
char *pl_program_dump_term(const PlTerm*);

/*============================================== analysis: type sets ===*/
typedef struct PlTypeSet { uint64_t w[PL_MAX_TYPES/64]; } PlTypeSet;

static inline int pl_ts_has(const PlTypeSet *s, int t){
  return (int)((s->w[t>>6] >> (t&63)) & 1);
}
static inline void pl_ts_add(PlTypeSet *s, int t){ s->w[t>>6] |= (uint64_t)1<<(t&63); }
static inline int pl_ts_empty(const PlTypeSet *s){
  int i; for(i=0;i<PL_MAX_TYPES/64;i++) if( s->w[i] ) return 0; return 1;
}
static inline void pl_ts_and(PlTypeSet *s, const PlTypeSet *o){
  int i; for(i=0;i<PL_MAX_TYPES/64;i++) s->w[i] &= o->w[i];
}
static inline void pl_ts_or(PlTypeSet *s, const PlTypeSet *o){
  int i; for(i=0;i<PL_MAX_TYPES/64;i++) s->w[i] |= o->w[i];
}
int pl_ts_count(const PlTypeSet*);
int pl_ts_first(const PlTypeSet*);      /* lowest member or -1 */
int pl_ts_next(const PlTypeSet*, int t);/* next member after t or -1 */

/*================================================== analysis/policy.c ===
** A validated, type-checked policy ready to compile. Type ids: */
#define PL_TYPE_STRING   0
#define PL_TYPE_INTEGER  1
#define PL_TYPE_BOOLEAN  2
#define PL_TYPE_ACTOR    3   /* abstract: every actor type */
#define PL_TYPE_RESOURCE 4   /* abstract: every actor and resource type */
#define PL_TYPE_FIRST_APP 5  /* declared actor/resource types start here */

typedef struct PlPolicy PlPolicy;   /* the checked IR: defined below */

typedef struct PlSig {              /* one accepted fact signature */
  const char *zPred; int nArg;
  PlTypeSet aArg[PL_MAX_ARGS];      /* concrete types accepted per position */
} PlSig;

/* Build a policy from source: parse, desugar, resolve types, infer types and
** fact signatures. *ppPol owns its arena. Limits: policy_length and rules
** here, nesting and in_list in the parser. */
int pl_policy_new(const char *zSrc, int nSrc, const char *zFile,
                  const PlLimits*, PlPolicy **ppPol, char **pzErr);
void pl_policy_free(PlPolicy*);

const char *pl_policy_src(const PlPolicy*, int *pnSrc);
const char *pl_policy_file(const PlPolicy*);
int pl_policy_ntype(const PlPolicy*);
const char *pl_policy_type_name(const PlPolicy*, int iType);
/* type id of a name (built-in or declared), or -1 */
int pl_policy_find_type(const PlPolicy*, const char *z, int n);

/* Fact signatures (inferred from rule bodies, plus `declare`). */
int pl_policy_nsig(const PlPolicy*);
const PlSig *pl_policy_sig(const PlPolicy*, int i);
/* 1 if some signature exists for zPred/nArg */
int pl_policy_pred_known(const PlPolicy*, const char *zPred, int nArg);
/* union over signatures of zPred/nArg of the types accepted at iArg */
PlTypeSet pl_policy_arg_types(const PlPolicy*, const char *zPred, int nArg, int iArg);

/* The checked IR (built by policy.c; read by the compiler and the stages
** above it). A rule body is put in disjunctive normal form: each PlClause
** is one alternative "head if lit and lit and ...". Variables are numbered
** per clause; `_` becomes a fresh variable. Every variable carries the set
** of concrete types it may take (inferred, see policy.c). */
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
  int iImply;              /* index in PlPolicy.aImply if a pure implication, else -1 */
  int bTransfer;           /* hands the call to another actor (analysis/transfer.c) */
} PlClause;

/* A pure implication (analysis/closure.c): the clause
**   iPred(..., head at k, ...) if iCallPred(..., body at k, ...)
** with the other positions one variable each, passed through; aTs: the
** types those variables accept (position k unused). */
typedef struct PlImply {
  int iClause;
  int iPred, k;
  PlConst head;
  int iCallPred;
  PlConst body;
  PlTypeSet aTs[PL_MAX_ARGS];
} PlImply;

typedef struct PlPred {
  const char *zName; int nArg;
  int *aClause; int nClause;   /* indexes into PlPolicy.aClause */
  int bStored;                 /* has a fact table (called or declared) */
  PlTypeSet aHeadTs[PL_MAX_ARGS]; /* union of clause head types */
  PlTypeSet aStoreTs[PL_MAX_ARGS];/* union of signature types */
  PlTypeSet aWild[PL_MAX_ARGS];   /* types answered as wildcards (closure.c) */
  int iTransfer;               /* position its transfers change, or -1 (transfer.c) */
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
  int *aStrSlot; int nStrSlot;  /* hash of azStr (policy.c) */
  PlImply *aImply; int nImply; /* pure implications (analysis/closure.c) */
  struct PlReads *pReads;      /* reads.c, computed on first use */
};

int pl_policy_find_pred(const PlPolicy*, const char *zPred, int nArg);

int pl_policy_find_str(const PlPolicy*, const char *z, int n); /* -1 if none */

/*=================================================== analysis/closure.c ===
** Find the pure implications among the clauses (PlClause.iImply,
** PlPolicy.aImply), and which answers may be wildcards (PlPred.aWild);
** pl_policy_new calls both last. */
int pl_policy_implications(PlPolicy*);
int pl_policy_wildcards(PlPolicy*);

/*================================================== analysis/transfer.c ===
** Find the rules that hand a call from an actor to its groups
** (PlClause.bTransfer) where a call may ask them first (PlPred.iTransfer);
** pl_policy_new calls it after the two above. */
int pl_policy_transfers(PlPolicy*);

/*================================================== analysis/reads.c ===
** Which Strings each argument position of each predicate can be read
** with (the rules are at the top of reads.c). A PlReadPos is a set of the
** policy's String literals (indexes into azStr), or any String (bAny), plus
** the stored predicates whose facts may add any String (aSrc: iPred *
** PL_MAX_ARGS + position), which only a look at the facts can settle. */
typedef struct PlReadPos {
  PlTypeSet ts;                 /* answers: the types it can hold */
  unsigned char bAny;
  unsigned char *aBit;          /* the literals, a bitset; NULL: none */
  int *aSrc; int nSrc;
} PlReadPos;
typedef struct PlReads PlReads;
/* Compute (once, into the policy's arena) and return the sets. */
int pl_reads(const PlPolicy*, const PlReads **ppReads);
/* answers: the Strings a goal can hold with at iPred's position k. */
const PlReadPos *pl_reads_answer(const PlReads*, int iPred, int k);
/* read: the Strings the rules ask iPred's stored facts for at k. */
const PlReadPos *pl_reads_read(const PlReads*, int iPred, int k);
int pl_read_has(const PlReadPos*, int iStr);          /* iStr<0: 0 */
/* Offer the set's literals to a did-you-mean; list up to nMax of them. */
void pl_read_suggest(const PlPolicy*, const PlReadPos*, PlSuggest*);
void pl_read_append(sqlite3_str*, const PlPolicy*, const PlReadPos*, int nMax);
/* 1 if the policy mentions the String z[0..n): a literal of a rule, or a
** role, permission or relation a block declares. */
int pl_policy_mentions(const PlPolicy*, const char *z, int n);

/*==================================================== store/value.c ===*/
typedef struct PlValue {
  int iType;          /* type id; -1 with bWild = any value of any type;
                      ** PL_TYPE_UNKNOWN: a type the policy does not know */
  int bWild;          /* pattern: any value of iType (or of any type) */
  const char *z; int n;  /* id bytes for non-Integer values (not owned) */
  sqlite3_int64 i;    /* Integer value (and Boolean 0/1) */
  const char *zType; int nType;  /* PL_TYPE_UNKNOWN: the type as written */
  const char *zText; int nText;  /* an actor or resource read from 'Type:id'
                                 ** text: that text, its storage encoding as
                                 ** it is (bound without a copy); else NULL */
} PlValue;

/* A type name no type of the policy has, kept in a delete pattern (the
** bPattern value PL_PATTERN_DELETE) to match facts an older policy stored. */
#define PL_TYPE_UNKNOWN  (-2)
#define PL_PATTERN_DELETE 2

/* Read one argument in the SQL spelling (docs/values.md; the rules are at
** the top of value.c). allowed: the types the position accepts (it decides
** whether 'x:y' with an x that is no type is the String "x:y" or an error).
** bPattern: NULL and 'Type:_' become wildcards, otherwise they are errors;
** PL_PATTERN_DELETE also keeps a type the policy does not know. zWhat names
** the argument in errors ("argument 2"). Text in *pOut points into pVal's
** text: copy it before pVal goes away. */
int pl_value_from_sql(const PlPolicy*, sqlite3_value *pVal,
                      const PlTypeSet *allowed, int bPattern,
                      const char *zWhat, PlValue *pOut, char **pzErr);
/* The same for text z[0..n) (the text case of pl_value_from_sql): the one
** rule for text, also for the polarlite command's arguments. */
int pl_value_from_text(const PlPolicy*, const char *z, int n,
                       const PlTypeSet *allowed, int bPattern,
                       const char *zWhat, PlValue *pOut, char **pzErr);
/* The same from the wire form {"type": T, "id": I} (zType/zId may be NULL
** in patterns, meaning wildcard). */
int pl_value_from_wire(const PlPolicy*, const char *zType, int nType,
                       const char *zId, int nId, int bPattern,
                       const char *zWhat, PlValue *pOut, char **pzErr);
/* Bind in storage encoding. Wildcards must not be bound. */
int pl_value_bind(sqlite3_stmt*, int iParam, const PlValue*);
/* Storage encoding -> user spelling as the result of a function/column */
void pl_value_result(sqlite3_context*, sqlite3_value *pEncoded);
/* pl_value_bind for values of any type: a PlValue
** carries a type id, and the storage encoding of a declared type needs the
** type's name, which only the policy knows. pl_value_bind (no policy)
** binds Integer, String and Boolean values and returns SQLITE_MISUSE for
** declared types and wildcards. */
int pl_value_bind_pol(const PlPolicy*, sqlite3_stmt*, int iParam,
                      const PlValue*);
/* The name of a type id; built-ins work with pPol NULL. Never NULL. */
const char *pl_value_type_name(const PlPolicy*, int iType);
/* "<zWhat>: unknown type 'T' [in 'z']; did you mean 'U'?" (or, with z and no
** close type, the types the position takes when pAllowed holds no String,
** else how to write z as a String); returns SQLITE_ERROR. */
int pl_value_unknown_type(const PlPolicy*, const char *zType, int nType,
                          const char *z, int n, const PlTypeSet *pAllowed,
                          const char *zWhat, char **pzErr);
/* Append the names of the types of pTs, "A|B" ("(nothing)" when empty). */
void pl_value_append_types(sqlite3_str*, const PlPolicy*, const PlTypeSet*);
/* Write the storage encoding "Type:id" of a non-Integer value
** into aBuf (not NUL-terminated), *pnOut bytes. SQLITE_MISUSE for Integers
** (bind them as integers), wildcards, and declared types without pPol;
** SQLITE_TOOBIG if nBuf is short. PL_VALUE_ENC_MAX bytes always suffice for
** values from pl_value_from_sql/from_wire (type names are identifiers from
** the policy, ids at most PL_MAX_ID). Lets callers bind SQLITE_STATIC from
** a buffer that lives until the statement is reset. */
#define PL_VALUE_ENC_MAX (PL_MAX_ID + 256)
int pl_value_encode(const PlPolicy*, const PlValue*, char *aBuf, int nBuf,
                    int *pnOut);

/*================================================== store/stmtcache.c ===
** Per-connection prepared statements keyed by a string. Statements are
** prepared with SQLITE_PREPARE_PERSISTENT, reset before they are handed out.
*/
typedef struct PlStmtCache PlStmtCache;
PlStmtCache *pl_cache_new(sqlite3*);
void pl_cache_free(PlStmtCache*);           /* finalizes everything */
void pl_cache_clear(PlStmtCache*);          /* finalizes everything */
/* Returns the cached statement for zKey, or prepares zSql (if zSql is NULL
** and the key is missing, returns SQLITE_OK with *ppStmt = NULL). A cached
** statement that is still running (sqlite3_stmt_busy) comes back as it is,
** not reset: a caller that can be re-entered checks for that and runs a
** private copy. */
int pl_cache_get(PlStmtCache*, const char *zKey, const char *zSql,
                 sqlite3_stmt **ppStmt, char **pzErr);
/* What store.c learnt about the schema (may a write to the fact tables be
** stopped halfway by a trigger or foreign key?), valid while the schema
** versions of main and temp are those recorded. Kept with the statements,
** one per connection; zeroed when the cache is cleared. */
typedef struct PlWriteGuard {
  int bKnown;
  sqlite3_int64 iMainVersion, iTempVersion;
  int bMayAbort;
} PlWriteGuard;
PlWriteGuard *pl_cache_guard(PlStmtCache*);
/* xFirst(pArg) runs before the cache prepares a statement, until it first
** returns SQLITE_OK (an error fails that pl_cache_get with the connection's
** message): what must be in place so that cached statements are finalized
** when the connection closes (sql/status.c). */
void pl_cache_on_first(PlStmtCache*, int (*xFirst)(void*), void *pArg);

/*======================================================= store/json.c ===
** Oso fact JSON: a one-pass decoder for the common shape of a batch, and
** a general one (grammar check, then jsmn) that names every error. */
typedef struct PlJsonFact {
  const char *zPred; int nPred;
  int nArg;
  const char *azType[PL_MAX_ARGS]; int anType[PL_MAX_ARGS]; /* NULL = null */
  const char *azId[PL_MAX_ARGS];   int anId[PL_MAX_ARGS];   /* NULL = null */
} PlJsonFact;
typedef struct PlJsonChange { int bInsert; PlJsonFact *aFact; int nFact; } PlJsonChange;
/* Decode a batch body. Strings that need no unescaping point into zJson
** (keep it while the result is used); the others, and the predicates
** (NUL-terminated), are copied into pArena. */
int pl_json_batch(PlArena*, const char *zJson, int nJson,
                  PlJsonChange **paChange, int *pnChange, char **pzErr);
/* The same through the general decoder only (pl_json_batch tries a faster
** one first, for the common shape): for tests that compare the two. */
int pl_json_batch_general(PlArena*, const char *zJson, int nJson,
                          PlJsonChange **paChange, int *pnChange, char **pzErr);
/* Decode the body zIn[0..nIn) of a JSON string that passed the grammar
** check (escapes well formed) into zOut, which needs nIn bytes at most
** (every escape shrinks); not NUL-terminated. SQLITE_OK with *pnOut, or
** one of the errors below with *puBad the code point at fault. Strings
** cannot hold NUL (ids would be cut short), so \u0000 is refused. */
enum { PL_JSON_LONE_LOW = 1001, PL_JSON_LONE_HIGH, PL_JSON_NUL };
int pl_json_unescape(const char *zIn, int nIn, char *zOut, int *pnOut, unsigned *puBad);
/* Decode a JSON array of facts (context facts). */
int pl_json_facts(PlArena*, const char *zJson, int nJson,
                  PlJsonFact **paFact, int *pnFact, char **pzErr);


/*====================================================== store/store.c ===
** Schema (created by pl_store_init / pl_store_ensure_tables):
**   polar_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID
**       'policy_version' -> INTEGER (0: no policy yet)
**   polar_policy(version INTEGER PRIMARY KEY, src TEXT NOT NULL,
**                filename TEXT, loaded_at INTEGER NOT NULL)
**   "polar_f_<pred>_<n>"(a1 NOT NULL, ..., an NOT NULL,
**        PRIMARY KEY(a1..an)) WITHOUT ROWID   -- one table per pred/arity
**     plus rotated indexes "<table>_i<k>" so that every argument leads one
**     index: n=2: (a2,a1); n=3: (a2,a3,a1),(a3,a1,a2); n=4,5: rotations.
** Columns have no declared type: values keep the storage encoding.
*/
char *pl_store_table_name(const char *zPred, int nArg); /* sqlite3_mprintf */
/* The view polar_version_N marks policy version N while it is current
** (store.c says why): made by whoever stores a new version, in the same
** transaction, dropping the others. pl_store_has_marker: is it there? */
int pl_store_mark_version(sqlite3*, int iVersion, char **pzErr);
int pl_store_has_marker(sqlite3*, int iVersion);
int pl_store_init(sqlite3*, char **pzErr);
/* create the fact table of every signature's pred/arity */
int pl_store_ensure_tables(sqlite3*, const PlPolicy*, char **pzErr);

/* Writes: type-checked against the policy's signatures; values over
** PL_MAX_ID bytes, wildcards in inserts, unknown predicates are refused. */
int pl_store_insert(sqlite3*, PlStmtCache*, const PlPolicy*,
                    const char *zPred, int nArg, const PlValue *aVal,
                    int *pbNew, char **pzErr);
/* aVal may hold wildcards; deletes every match; *pnDel = rows removed */
int pl_store_delete(sqlite3*, PlStmtCache*, const PlPolicy*,
                    const char *zPred, int nArg, const PlValue *aVal,
                    int *pnDel, char **pzErr);
/* Apply an Oso batch body (JSON array of {"inserts":[..]}/{"deletes":[..]})
** atomically: checked whole before anything is written, so a refused batch
** changed nothing; the writes are guarded by a SAVEPOINT when something
** other than the database could stop them halfway (see store.c); an error
** of the database itself may roll the caller's transaction back, as SQLite
** does. *pnChanged = facts inserted + deleted. */
int pl_store_batch(sqlite3*, PlStmtCache*, const PlPolicy*,
                   const char *zJson, int nJson, int *pnChanged, char **pzErr);
/* Is there a fact signature of zPred/nArg accepting these values? Wildcards
** with a type must fit that type; the error names the first bad argument. */
int pl_store_check_types(const PlPolicy*, const char *zPred, int nArg,
                         const PlValue *aVal, char **pzErr);
/* SQLITE_OK if the policy reads zPred with nArg arguments, else an error:
** no policy, arity outside 1..5, or "unknown predicate 'foo' with 2
** arguments: no rule in the policy reads it (the policy reads 'foo' with 3
** arguments)". pl_store_insert/delete call it first; callers that parse SQL
** values call it before parsing them so the predicate is reported before
** any argument. */
int pl_store_check_pred(const PlPolicy*, const char *zPred, int nArg,
                        char **pzErr);
/* The identity of one stored fact as a blob: the
** predicate and the arguments apEnc[0..nArg) in storage encoding, as read
** from a fact table. *ppKey is sqlite3_malloc'd. Used as the primary key of
** polar_facts, so a DELETE can find the row again. */
int pl_store_fact_key(const char *zPred, int nArg, sqlite3_value **apEnc,
                      void **ppKey, int *pnKey);
/* Delete the one stored fact named by such a key; *pnDel = 0|1 */
int pl_store_delete_key(sqlite3*, PlStmtCache*, const void *pKey, int nKey,
                        int *pnDel, char **pzErr);

/*====================================================== store/binding.c ===
** polar_bind's bindings: fact signatures served live from the
** application's own tables (local authorization), kept in
** main.polar_binding. */
/* Read main.polar_binding into pPol->aBinding; an error names a binding
** that no longer fits the policy. */
int pl_bind_attach(sqlite3*, PlPolicy*, char **pzErr);
/* Add or replace (zSql) or remove (zSql NULL) the binding of signature zSig,
** and store a new policy version (the source of version iVersion again),
** so that every connection compiles its checks again. */
int pl_binding_set(sqlite3*, const PlPolicy*, int iVersion, const char *zSig,
                   const char *zSql, char **pzErr);

/*========================================================== compile/ ===
** Compiling a goal against the checked IR into SQL: compile/plan.c decides
** how each call is answered and builds a plan of SELECTs, compile/emit.c
** writes the plan as SQL text, compile/compile.c is the entry point and
** keeps the units. How it works is told at the top of plan.c. */
enum { PL_GA_PARAM = 1, PL_GA_OPEN };

typedef struct PlGoalArg {
  int eKind;
  int iType;                /* PARAM: concrete type of the bound value */
  int iParam;               /* PARAM: SQL parameter number (?N) */
  const char *zKnown;       /* PARAM: value known at compile time (a policy */
  int nKnown;               /*   String constant): compiled as that constant, */
  int iKnown;               /*   its parameter never read; 1 + its index in
                            **   the policy's Strings (pl_goal_param sets both;
                            **   the cache key uses the index) */
  PlTypeSet ts;             /* OPEN: the types wanted in the answer */
} PlGoalArg;

/* A unit: one call shape — a predicate with each argument a constant known
** at compile time, a value bound at run time, or open — compiled once into
** statements of its own and called from compiled SQL as the table
** polar_call(id, in1, ...) (sql/call.c), which tables its answers per
** check. Recursive calls and calls too deep or too often repeated to copy
** into their caller become units; so SQL grows with the policy, not with
** the paths through it, and recursion ends on cyclic data.
**   zBase  SELECT o1..oN (or SELECT 1 when nOut==0) of the rules that call
**          no unit, with ?1..?nIn the bound values (NULL: none)
**   zRec   the same for the rules that call units (NULL: none)
**   bLinear  each alternative of zRec calls at most one unit, so a
**          re-evaluation may read only the answers new since the last one
** Units live per connection (PlConn.units) until the policy changes. */
typedef struct PlUnit {
  char *zKey;                /* the call shape (and the context flag) */
  char *zBase, *zRec;
  int nIn, nOut;
  int bLinear;
  int bReady;                /* compiled (0 while its body is being compiled) */
  PlTypeSet aWild[PL_MAX_ARGS]; /* types column o<k+1> may answer as 'T:' */
} PlUnit;
typedef struct PlUnits { PlUnit *a; int n, nAlloc; } PlUnits;
void pl_units_clear(PlUnits*);

/* Compile zPred/nArg for the given argument shapes, adding the units the
** statement needs to pUnits.
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
int pl_compile(const PlPolicy*, const PlLimits *pLim, PlUnits *pUnits,
               const char *zPred, int nArg, const PlGoalArg *aArg,
               int bRows, int bContext, char **pzSql, char **pzErr);
/* zSql followed by the units it calls (directly or through other units),
** each as an SQL comment and its statements: what polar_sql shows.
** sqlite3_malloc'd; NULL on OOM. */
char *pl_units_explain(const PlUnits*, const char *zSql);

/*------------------------------------------------- compile/ internals ---
** The plan: what plan.c builds and emit.c writes. Lists are kept newest
** first (so a branch can be saved and restored by two pointers) and
** written oldest first. Everything lives in the compiler's arena. */
enum { PE_PARAM = 1, PE_COL, PE_CONST, PE_NOW, PE_WILD };
typedef struct PlQExpr {
  int eKind;
  int i;                     /* PARAM: ?i; COL: column (a<i>, o<i>; v for a domain) */
  int iFrom;                 /* COL: the alias number of the FROM item */
  int eFrom;                 /* COL: its kind (PF_*) */
  PlConst c;                 /* CONST */
  int iType;                 /* WILD: any value of this type ('T:') */
} PlQExpr;

enum { PF_FACT = 1, PF_CALL, PF_DOMAIN };
typedef struct PlQFrom PlQFrom;
struct PlQFrom {
  int eKind;
  int iAlias;                /* written tN */
  int iPred;                 /* FACT: the facts of this predicate */
  int iUnit;                 /* CALL: polar_call(iUnit, aArg...) */
  PlQExpr *aArg; int nArg;
  PlTypeSet ts;              /* DOMAIN: every stored value of these types */
  PlQFrom *pNext;
};

enum { PC_EQ = 1, PC_CMP, PC_IN, PC_LABELS, PC_TYPE, PC_NOTFACT, PC_EXISTS, PC_FALSE };
typedef struct PlQuery PlQuery;
typedef struct PlQCond PlQCond;
struct PlQCond {
  int eKind;
  PlQExpr a, b;               /* EQ, CMP: a op b; IN, LABELS, TYPE: a */
  int eCmp;                  /* CMP: PL_CMP_* */
  PlQExpr *aList; int nList;  /* IN: a IN (aList) */
  const PlConst *aLab; int nLab; /* LABELS: a IN (these constants) */
  int bNoIndex;              /* LABELS: written +a IN (...), a filter */
  PlTypeSet ts, colTs;       /* TYPE: a holds one of ts; colTs: what it can hold */
  int iPred;                 /* NOTFACT: no fact of iPred with ... */
  PlQExpr aArg[PL_MAX_ARGS];  /* ... position k equal to aArg[k] when bit k of mArg */
  unsigned mArg;
  PlTypeSet aArgTs[PL_MAX_ARGS]; /* ... else of these types (aArgTs[k] empty: any) */
  int bExists;               /* NOTFACT: written EXISTS (some such fact) instead */
  PlQuery **aSub; int nSub;  /* EXISTS: EXISTS(aSub[0]) OR EXISTS(aSub[1]) ... */
  PlQCond *pNext;
};

struct PlQuery {
  PlQFrom *pFrom;             /* newest first */
  PlQCond *pCond;             /* newest first */
  PlQExpr *aProj; int nProj;  /* columns c1..cN (or o1..oN in a unit); 0: SELECT 1 */
  int nCall;                 /* polar_call references, here and in subqueries */
};

/* plan.c. The plan for a goal: the branches of its answer (bRows) or the
** arms of a yes/no question (bTrue: one holds unconditionally), in pArena;
** the units it calls added to pUnits. */
typedef struct PlPlanOut {
  PlQuery **aQuery; int nQuery;
  int bTrue;
} PlPlanOut;
int pl_plan(const PlPolicy*, PlArena *pArena, PlUnits *pUnits, int bContext,
            const char *zPred, int nArg, const PlGoalArg *aArg, int bRows,
            PlPlanOut *pOut, char **pzErr);

/* emit.c. The text of one SELECT (bCanon: aliases renumbered by first
** appearance, so that equal branches compare equal) and of a condition,
** appended to s. zColPrefix names the projected columns ("c" or "o"). */
void pl_emit_query(sqlite3_str *s, const PlPolicy*, int bContext, const PlQuery*,
                   const char *zColPrefix, int bCanon);
void pl_emit_cond(sqlite3_str *s, const PlPolicy*, int bContext, const PlQCond*);
/* Branches joined by zOp (" UNION " or " UNION ALL "), in groups small
** enough for SQLite's limit on compound SELECTs. */
void pl_emit_union(sqlite3_str *s, const PlPolicy*, int bContext, PlQuery **aQ, int nQ,
                   const char *zOp, const char *zColPrefix);
/* Conditions joined by zSep (" AND ", " OR "), balanced when long. */
void pl_emit_conds(sqlite3_str *s, const PlPolicy*, int bContext, const PlQCond **aC,
                   int nC, const char *zSep);

/*========================================================= eval/eval.c ===
** The independent evaluator: a checked policy, a goal and the facts in,
** answers out (a proof: explain.c). It shares only the parser, desugarer
** and type checker with the compiler: it reads the checked IR and answers
** a goal top-down, with a table of answers per (predicate, call pattern),
** so that recursion over cyclic data ends. Facts come from plain indexed
** lookups on the fact tables, the rows of polar_bind bindings and the
** call's context facts. Values a wildcard answer leaves open are treated
** as docs/compiler.md says (pl_eval_lit). It serves explanations (polar_explain) and tests
** (polar_eval, tests/diff), not the hot path. Limits: steps (every literal
** tried, answer kept and fact row read counts 25 steps, plus the VM steps
** of the lookups), eval_memory, eval_depth. */
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
** positions come back as given. Errors: unknown predicate, a limit. */
int pl_eval_rows(PlEval*, const char *zPred, int nArg, const PlEvalArg *aArg,
                 int (*xRow)(void*, int nArg, const PlValue*), void *pArg,
                 char **pzErr);

/* The evaluator's inside, shared with explain.c and nothing else.
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
** head that repeats an unbound variable). */
enum { EC_VAR = 0, EC_VAL, EC_REF };
typedef struct ECell {
  int eKind;
  int iRef;           /* EC_REF: the cell this one is (always lower) */
  PlTypeSet ts;       /* EC_VAR: the types it may take */
  PlValue v;          /* EC_VAL */
  int bDomain;        /* EC_VAL: an open value ranged over its domain */
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
enum { EV_TRUE = 1, EV_FALSE, EV_DEFER, EV_BRANCH, EV_DOMAIN };

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
** variable), EV_FALSE, EV_DEFER (a variable it needs is unbound),
** EV_BRANCH (`x in [...]` with x unbound: pl_eval_in_item binds each item)
** or EV_DOMAIN (pl_eval_domain binds the open values it needs).
** bForce: nothing else is left to bind the variables (they are open: a
** wildcard answer bound them, any value of their types), so `in` with an
** unbound left side branches, and the rest follows docs/compiler.md, "Rules
** that leave a value open": `not p(x)` holds, x staying open, when no fact
** of p matches any value of x's types; otherwise, and for a comparison,
** `=` between two open values and an open item of `in`, the open values
** range over their domain (EV_DOMAIN; a `not` takes each of x's types in
** turn first). */
int pl_eval_lit(PlEval*, const PlClause *c, ECell *aEnv, int iLit, int bForce,
                int *peRes);
/* Bind the left side of `in` literal iLit to item k (1-based like aArg);
** 0 if its type cannot match. */
int pl_eval_in_item(PlEval*, const PlClause *c, ECell *aEnv, int iLit, int k);
/* After EV_DOMAIN: every way of binding the open values literal iLit needs
** to values of their domain (each value of one of their types stored at a
** position of a stored predicate that can hold it: the fact tables, the
** polar_bind rows and the context facts), each passed to xEach on a copy
** of aEnv, the cells marked bDomain; for `not` over an open value of
** several types, instead, a copy per type with the value narrowed to it
** (evaluate the literal again: a wildcard is "any value" of each of its
** types). xEach returns non-zero to stop, and that is returned. No value
** (an empty domain): xEach is never called. */
int pl_eval_domain(PlEval*, const PlClause *c, const ECell *aEnv, int iLit,
                   int (*xEach)(void*, ECell*), void *pArg);
/* 1 if term t is a variable bound by pl_eval_domain. */
int pl_eval_term_domain(const ECell *aEnv, const PlITerm *t);

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

/*====================================================== eval/explain.c ===
** Why a goal holds or not, as rows (polar_explain). */
/* polar_explain's tree, one row per goal, rule, fact or condition. For a goal that holds: the proof found first. For one that
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

/*=========================================================== sql/conn.c ===
** Per-connection state, shared by every function and module registered on
** one connection (their pAux / user data): the limits, the statement
** cache, the current policy (reloaded when another connection commits a
** new one), the pinned clock and the context facts of the running check. */

/* The step budget of one call of a check or table-valued function
** (budget.c), shared by every statement the check runs (its units'
** too), and the answers its units tabled (call.c). Zero it before the
** call's first pl_budget_step; pl_budget_end when the call is done. */
typedef struct PlCalls PlCalls;
typedef struct PlBudget {
  sqlite3_int64 nSteps;      /* VM steps of the finished sqlite3_step calls */
  int bOver;                 /* the budget ran out */
  PlCalls *pCalls;           /* tabled unit answers (call.c), or NULL */
} PlBudget;
/* One sqlite3_step running under a budget (budget.c); they nest when a
** unit's statement runs inside another statement. */
typedef struct PlStep {
  PlBudget *pBudget;
  unsigned iVmStart;         /* the statement's step counter when it began */
  int nCalls;                /* progress callbacks during it */
  struct PlStep *pPrev;
} PlStep;

/* The context facts of one call (Oso's context_facts): checked like stored
** facts, visible through polar_context while that call's statement steps. */
typedef struct PlCtxFact { const char *zPred; int nArg; PlValue aVal[PL_MAX_ARGS]; } PlCtxFact;
typedef struct PlCtx { PlArena *pArena; PlCtxFact *aFact; int nFact; } PlCtx;

typedef struct PlConn PlConn;
/* Makes db an engine connection: ext.c's pl_conn_open. A policy's test
** blocks run on connections of their own (tests.c); the entry point hands
** its opener down in PlConn.xOpen, so that nothing calls up into it. */
typedef int (*PlConnOpener)(sqlite3 *db, PlConn **ppConn, char **pzErrMsg);

struct PlConn {
  sqlite3 *db;
  PlConnOpener xOpen;        /* how this connection was opened (ext.c) */
  int bRegistered;           /* on the list of pl_conn_registered */
  PlConn *pNextRegistered;
  PlLimits lim;              /* polar_limit() */
  PlStep *pStep;             /* the budgeted sqlite3_step running now, or NULL */
  PlUnits units;             /* compiled units (compile.c), for this policy */
  int nGrain;                /* steps between progress callbacks */
  PlStmtCache *pCache;
  PlPolicy *pPol;            /* current policy, or NULL */
  int iVersion;              /* its version (0: none) */
  int bMarker;               /* polar_version_<iVersion> exists (store.c) */
  int bChecked;              /* dataVersion is meaningful */
  sqlite3_uint64 dataVersion;/* SQLITE_FCNTL_DATA_VERSION at the last check */
  int bPinned;               /* @current_unix_time pinned (polar_now(N)) */
  sqlite3_int64 iNow;
  int iAllow;                /* allow/3 in pPol, or -1 */
  int bNoUnreadCheck;        /* checks take values no rule could read (tests.c) */
  int bUnmentionedOk;        /* checks take Strings the policy mentions nowhere
                             ** and answer no, as Oso Cloud does (serve) */
  char aScratch[3][PL_MAX_ID + 80]; /* bound values of the running check */
  PlCtx ctx;                 /* context facts of the check stepping now */
};

/* A new connection state for db (NULL on OOM); pl_conn_free frees it (the
** signature of a destructor SQLite calls when the connection closes). */
PlConn *pl_conn_new(sqlite3 *db, PlConnOpener xOpen);
void pl_conn_free(void *pConn);
/* The PlConn registered on db (pl_conn_set_registered), or NULL. A
** connection's registration is dropped when pl_conn_free frees it. */
PlConn *pl_conn_registered(sqlite3 *db);
void pl_conn_set_registered(PlConn*);
sqlite3 *pl_conn_db(PlConn*);
PlStmtCache *pl_conn_cache(PlConn*);
/* The connection's current policy, reloaded first if another connection
** committed a new one. *ppPol is NULL (and SQLITE_OK returned) when the
** database holds no policy yet. The pointer stays valid until the next call. */
int pl_conn_policy(PlConn*, const PlPolicy **ppPol, char **pzErr);
/* The same, but no policy is an error ("no policy loaded: ..."). */
int pl_conn_require_policy(PlConn*, const PlPolicy **ppPol, char **pzErr);
/* Reload the policy if the stored version changed (bForce: look even if the
** file's data version says nothing changed). */
int pl_conn_refresh(PlConn*, int bForce, char **pzErr);
/* A compiled check failed to run: look again at the stored policy and its
** marker, and drop every compiled statement if either changed. *pbChanged
** says whether trying the check again can help. */
int pl_conn_recheck(PlConn*, int *pbChanged, char **pzErr);
/* A check run on a new policy before it is stored; SQLITE_OK lets it
** through (tests.c's pl_tests_check runs the policy's test blocks). */
typedef int (*PlPolicyCheck)(PlConn*, const PlPolicy*, char **pzErr);
/* Validate, check (xCheck, may be NULL) and store a policy; make it the
** connection's current one. Nothing changes on error. */
int pl_conn_load(PlConn*, const char *zSrc, int nSrc, const char *zFile,
                 PlPolicyCheck xCheck, int *piVersion, char **pzErr);
/* Report rc/zErr as the function's error and free zErr. */
void pl_result_error(sqlite3_context*, int rc, char *zErr);
/* 1 (error set) if a writer is called while a writing statement runs */
int pl_refuse_unsafe_call(sqlite3_context*, const char *zFunc);
/* Bind v's storage encoding from scratch buffer iBuf (0..2), no copy. */
int pl_conn_bind(PlConn*, sqlite3_stmt*, int iParam, int iBuf, const PlValue*);
/* A value in user spelling that must be one concrete value of pAllowed
** (NULL: any type of the policy). */
int pl_conn_value(PlConn*, sqlite3_value*, const PlTypeSet *pAllowed,
                  const char *zWhat, PlValue *pOut, char **pzErr);
/* @current_unix_time: the clock, or the time polar_now(N) pinned. */
sqlite3_int64 pl_conn_now(PlConn*);
/* Parse a context argument (an Oso JSON array of facts) into *pCtx, each
** fact checked against the policy's fact signatures like a stored one;
** errors start with "<zWho> context: ". The call that owns it puts it in
** PlConn.ctx while its statement steps (the polar_context table,
** vtab_context.c, reads it there); pl_context_free releases it. */
int pl_context_parse(PlConn*, const char *zJson, int nJson, const char *zWho,
                     PlCtx *pCtx, char **pzErr);
void pl_context_free(PlCtx*);

/*========================================================= sql/budget.c ===
** The step budget of checks (the steps limit), enforced with the
** connection's progress handler, and polar_limit(). */
void pl_budget_install(PlConn*);   /* (re)install the progress handler */
/* sqlite3_step(pStmt) counted against b. Returns what sqlite3_step
** returned or, once the steps limit is spent, SQLITE_ERROR with *pzErr
** "<zWho>: exceeded the limit of N steps; raise it with ...". */
int pl_budget_step(PlConn*, PlBudget *b, sqlite3_stmt*, const char *zWho,
                   char **pzErr);
/* The budget of the check whose statement is stepping now, or NULL. */
PlBudget *pl_budget_current(PlConn*);
/* The check is over: free what it tabled; b is zeroed. */
void pl_budget_end(PlBudget *b);
/* polar_limit(name [, value]) */
void pl_limit_func(sqlite3_context*, int, sqlite3_value**);

/*========================================================== sql/check.c ===
** Compiled checks: a call's arguments become a goal (bound values are SQL
** parameters, open positions are wanted in the answer); its statement is
** compiled once per goal shape and cached, guarded by the policy version. */
enum { PL_Q_LIST = 1, PL_Q_ACTIONS, PL_Q_QUERY };
enum { PL_ARG_STRICT, PL_ARG_CONTEXT, PL_ARG_ANY };   /* pl_check_arg eMode */
typedef struct PlGoal {
  const char *zPred; int nArg;
  PlGoalArg aGoal[PL_MAX_ARGS];
  PlValue aVal[PL_MAX_ARGS];       /* the bound values (PARAM positions) */
  int nParam;
  int eArgMode;                    /* how its arguments are checked */
} PlGoal;
void pl_goal_param(PlConn*, PlGoalArg*, const PlValue*, int iParam);
/* Append the goal shape to a cache key in z[*pi..nz). 0 if it does not fit. */
int pl_goal_key(char *z, int nz, int *pi, const PlGoalArg*);
/* The goal of polar_list (eKind PL_Q_LIST: actor, action, type),
** polar_actions (actor, resource) or polar_query (predicate, a1...). */
int pl_goal_build(PlConn*, int eKind, int argc, sqlite3_value **argv, int eArgMode,
                  PlGoal*, char **pzErr);
/* Argument k of a check of predicate iPred in the SQL spelling, refused
** (an error naming zWhat) when no rule could read it: docs/values.md.
** eMode: PL_ARG_CONTEXT when context facts come with the check (they may
** hold any String), PL_ARG_ANY to refuse nothing (polar_sql). */
int pl_check_arg(PlConn*, int iPred, int k, sqlite3_value*, int eMode,
                 const char *zWhat, PlValue *pOut, char **pzErr);
/* Prepare (or find) the compiled statement for this goal shape, wrapped in
** the policy-version guard (-1 / no rows when the policy changed). */
int pl_check_stmt(PlConn*, const char *zPred, int nArg, PlGoalArg *aGoal,
                  int bRows, int bContext, const char *zKey,
                  sqlite3_stmt **ppStmt, char **pzErr);
/* authorize(actor, action, resource [, context]) over argv[0..2]: *pbAllowed
** 1 or 0; with pzSql, the compiled SQL instead of an answer. */
int pl_authorize(PlConn*, sqlite3_value **argv, const char *zCtx, int nCtx,
                 int *pbAllowed, char **pzSql, char **pzErr);
/* polar_sql('list'|'actions'|'query', ...): the compiled SQL */
int pl_query_sql(PlConn*, const char *zKind, int argc, sqlite3_value **argv,
                 char **pzSql, char **pzErr);

/*================================================ sql/vtab_*.c, status.c ===
** The table-valued functions and tables. Each registers its modules on a
** connection; ext.c calls them in turn. */
/* xConnect's common part (vtab.c): declare zSchema, allocate nByte zeroed
** bytes (a struct whose first member is the sqlite3_vtab), and set
** eConfig (SQLITE_VTAB_INNOCUOUS, SQLITE_VTAB_DIRECTONLY, or 0: neither).
** pl_vtab_free is the xDisconnect of a table that owns nothing else. */
int pl_vtab_new(sqlite3*, const char *zSchema, size_t nByte, int eConfig,
                sqlite3_vtab **ppVtab);
int pl_vtab_free(sqlite3_vtab*);
/* polar_list, polar_actions, polar_query (vtab_query.c) */
int pl_query_register(sqlite3*, PlConn*);
/* polar_call(unit, in1, ...): the answers of a unit, tabled per check
** (call.c); pl_calls_free frees what one check tabled */
int pl_call_register(sqlite3*, PlConn*);
void pl_calls_free(PlCalls*);
/* polar_context: the running check's context facts (vtab_context.c) */
int pl_context_register(sqlite3*, PlConn*);
/* polar_facts: (predicate, a1..a5); SELECT pushes down predicate and aN
** equality; INSERT and DELETE go through pl_store_insert / pl_store_delete
** (vtab_facts.c) */
int pl_facts_register(sqlite3*, PlConn*);
/* polar_unread: stored facts the policy cannot read (vtab_unread.c) */
int pl_unread_register(sqlite3*, PlConn*);
/* polar_explain and polar_eval: the evaluator's SQL face (vtab_explain.c) */
int pl_explain_register(sqlite3*, PlConn*);
/* polar_status; polar_wait(token, timeout_ms) (status.c) */
int pl_status_register(sqlite3*, PlConn*);
void pl_wait_func(sqlite3_context*, int, sqlite3_value**);

/*========================================================== sql/tests.c ===
** A policy's test blocks. pl_tests_check runs them (each test on a fresh
** in-memory connection opened with pCaller->xOpen, under pCaller's limits)
** and fails with a message naming the first failing test and assertion:
** the PlPolicyCheck of polar_load. pl_tests_register adds polar_test(). */
int pl_tests_check(PlConn *pCaller, const PlPolicy*, char **pzErr);
int pl_tests_register(sqlite3*, PlConn*);

/*========================================================== sql/funcs.c ===
** The scalar SQL functions (polar_load, polar_policy, authorize,
** polar_insert, polar_delete, polar_batch, polar_bind, polar_sql,
** polar_now, polar_wait, polar_limit) with their flags. The registration
** of polar_policy() comes last and owns c: xDestroy (pl_conn_free) runs when
** the connection closes, or at once if that registration fails. On failure
** nothing stays registered, and *pbGone says whether c is gone. */
int pl_funcs_register(sqlite3*, PlConn *c, void (*xDestroy)(void*), int *pbGone,
                      char **pzErrMsg);

/*================================================================ ext.c ===
** The entry point, sqlite3_polarlite_init. pl_conn_open does its work:
** registers every function and module on db; *ppConn is owned by db. The
** engine core (libpolarlite.a) calls it directly. */
int pl_conn_open(sqlite3 *db, PlConn **ppConn, char **pzErrMsg);

#endif /* PL_INT_H */
