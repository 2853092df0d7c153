/*
** pl_int.h — internal interfaces of the polarlite engine.
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

/*============================================================ arena.c ===*/
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

/*============================================================ limits.c ===
** Resource limits, per connection, in the manner of sqlite3_limit(): each
** bounds one way a pathological policy or query could exhaust memory or
** run without end. The SQL function polar_limit() reads and sets them
** (pl_ext.h); the parser, the policy builder and the compiler take a
** const PlLimits* (NULL: the defaults). */
enum {
  PL_LIMIT_POLICY_LENGTH,   /* bytes of policy source */
  PL_LIMIT_RULES,           /* rules, as expanded (shorthand, `or`) */
  PL_LIMIT_IN_LIST,         /* items in one list literal */
  PL_LIMIT_NESTING,         /* parentheses, `not` and lists, nested */
  PL_LIMIT_COMPILE_MEMORY,  /* bytes the compiler may use for one check */
  PL_LIMIT_STEPS,           /* SQLite VM steps of one check or listing */
  PL_LIMIT_LIST_MEMORY,     /* bytes a list's in-memory duplicate set may use */
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
/* Set limit id to v as polar_limit(name, v) does (v<0: unchanged; 0 or
** more than the hard maximum: the hard maximum). Returns the old value. */
sqlite3_int64 pl_limit_set(PlLimits*, int id, sqlite3_int64 v);
/* "<zWhat>: exceeded the limit of N <unit>; raise it with
** SELECT polar_limit('<name>', N)", sqlite3_mprintf'd (NULL on OOM). */
char *pl_limit_error(const PlLimits*, int id, const char *zWhat);

/*============================================================= lexer.c ==
** (private to the parser; no public interface besides pl_parse) */

/*============================================================ parser.c ===*/
typedef struct PlPos { int line, col; } PlPos;

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

/*=========================================================== desugar.c ===
** Validates resource blocks (section 9 / 4.2 / 4.3 of polar-reference.md)
** and appends the longhand rules of every shorthand rule to p->aRule with
** bGenerated = 1. Adds the default
**   allow(actor, action, resource) if has_permission(actor, action, resource);
** when no allow/3 rule exists. Variable names made up by the desugarer start
** with '$' so they never clash with user variables; the block's actor and
** resource variables are named "actor" and "resource". */
int pl_desugar(PlArena*, PlProgram *p, char **pzErr);

/*=========================================================== typeset ====*/
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

/*============================================================ policy.c ===
** A validated, type-checked policy ready to compile. Type ids: */
#define PL_TYPE_STRING   0
#define PL_TYPE_INTEGER  1
#define PL_TYPE_BOOLEAN  2
#define PL_TYPE_ACTOR    3   /* abstract: every actor type */
#define PL_TYPE_RESOURCE 4   /* abstract: every actor and resource type */
#define PL_TYPE_FIRST_APP 5  /* declared actor/resource types start here */

typedef struct PlPolicy PlPolicy;   /* defined in policy.c / pl_policy.h */

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

/*============================================================= value.c ===*/
typedef struct PlValue {
  int iType;          /* type id; -1 with bWild = any value of any type */
  int bWild;          /* pattern: any value of iType (or of any type) */
  const char *z; int n;  /* id bytes for non-Integer values (not owned) */
  sqlite3_int64 i;    /* Integer value (and Boolean 0/1) */
} PlValue;

/* Read one argument in the SQL spelling of SPEC "Values in SQL".
** allowed: the types the position accepts (decides the String-only rule
** and is named in errors). bPattern: NULL and 'Type:_' become wildcards,
** otherwise they are errors. zWhat names the argument in errors
** ("argument 2"). Text in *pOut points into pVal's text: copy it before
** pVal goes away. */
int pl_value_from_sql(const PlPolicy*, sqlite3_value *pVal,
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
/* (appended by value.c) pl_value_bind for values of any type: a PlValue
** carries a type id, and the storage encoding of a declared type needs the
** type's name, which only the policy knows. pl_value_bind (no policy)
** binds Integer, String and Boolean values and returns SQLITE_MISUSE for
** declared types and wildcards. */
int pl_value_bind_pol(const PlPolicy*, sqlite3_stmt*, int iParam,
                      const PlValue*);
/* (appended) name of a type id; built-ins work with pPol NULL. Never NULL. */
const char *pl_value_type_name(const PlPolicy*, int iType);
/* (appended) Write the storage encoding "Type:id" of a non-Integer value
** into aBuf (not NUL-terminated), *pnOut bytes. SQLITE_MISUSE for Integers
** (bind them as integers), wildcards, and declared types without pPol;
** SQLITE_TOOBIG if nBuf is short. PL_VALUE_ENC_MAX bytes always suffice for
** values from pl_value_from_sql/from_wire (type names are identifiers from
** the policy, ids at most PL_MAX_ID). Lets callers bind SQLITE_STATIC from
** a buffer that lives until the statement is reset. */
#define PL_VALUE_ENC_MAX (PL_MAX_ID + 256)
int pl_value_encode(const PlPolicy*, const PlValue*, char *aBuf, int nBuf,
                    int *pnOut);

/*======================================================== stmtcache.c ===
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

/*============================================================= store.c ===
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
/* (appended by store.c) SQLITE_OK if the policy reads zPred with nArg
** arguments, else an error: no policy, arity outside 1..5, or "unknown
** predicate 'foo' with 2 arguments: no rule in the policy reads it (the
** policy reads 'foo' with 3 arguments)". pl_store_insert/delete call it
** first; callers that parse SQL values call it before parsing them so the
** predicate is reported before any argument. */
/* Is there a fact signature of zPred/nArg accepting these values? Wildcards
** with a type must fit that type; the error names the first bad argument. */
int pl_store_check_types(const PlPolicy*, const char *zPred, int nArg,
                         const PlValue *aVal, char **pzErr);
int pl_store_check_pred(const PlPolicy*, const char *zPred, int nArg,
                        char **pzErr);
/* (appended by store.c) The identity of one stored fact as a blob: the
** predicate and the arguments apEnc[0..nArg) in storage encoding, as read
** from a fact table. *ppKey is sqlite3_malloc'd. Used as the primary key of
** polar_facts, so a DELETE can find the row again. */
int pl_store_fact_key(const char *zPred, int nArg, sqlite3_value **apEnc,
                      void **ppKey, int *pnKey);
/* (appended) delete the one stored fact named by such a key; *pnDel = 0|1 */
int pl_store_delete_key(sqlite3*, PlStmtCache*, const void *pKey, int nKey,
                        int *pnDel, char **pzErr);

/*============================================================== json.c ===
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
/* Decode a JSON array of facts (context facts). */
int pl_json_facts(PlArena*, const char *zJson, int nJson,
                  PlJsonFact **paFact, int *pnFact, char **pzErr);


/*=============================================================== ext.c ===
** Per-connection state, shared by every function and module registered on
** one connection (their pAux / user data). */
typedef struct PlConn PlConn;
sqlite3 *pl_conn_db(PlConn*);
PlStmtCache *pl_conn_cache(PlConn*);
/* The connection's current policy, reloaded first if another connection
** committed a new one. *ppPol is NULL (and SQLITE_OK returned) when the
** database holds no policy yet. The pointer stays valid until the next call. */
int pl_conn_policy(PlConn*, const PlPolicy **ppPol, char **pzErr);

/*======================================================= vtab_facts.c ===
** The polar_facts eponymous virtual table: (predicate, a1..a5).
** SELECT pushes down predicate and aN equality; INSERT and DELETE go through
** pl_store_insert / pl_store_delete. */
int pl_facts_register(sqlite3*, PlConn*);

#endif /* PL_INT_H */
