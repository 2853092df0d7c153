/*
** tests.c — a policy's `test` blocks (polar-reference.md 4.9): run by
** polar_load before a policy is stored (pl_tests_check), and on demand by
** the polar_test table-valued function.
**
**   SELECT polar_load(readfile('gitclub.polar'), 'gitclub.polar');
**   SELECT test, assertion, passed, message FROM polar_test WHERE NOT passed;
**
** How it works. Every test runs in a fresh in-memory database that has
** polarlite registered on it and the policy loaded (without running its
** tests again), so a test sees its own setup facts and nothing else. The
** setup facts and the facts of each named fixture are written with
** polar_insert, and each assertion is asked with polar_query, with every
** value bound in polarlite's SQL spelling (SPEC "Values in SQL"): tests go
** through the same type checks and the same compiled SQL as an application.
**
** Assertions:
**   assert P(args)           passes iff P has an answer; assert_not iff none.
**   assert P(.., x: T, ..)   the variable is an open position ('T:_', or NULL
**                            for the abstract types Actor and Resource, whose
**                            answers are then kept only when of a type T
**                            accepts). Without iff: some answer exists
**                            (assert_not: none does).
**   ... iff x in [L]         the set of answers equals L exactly.
**   ... iff x not in [L]     no value of L is an answer, and some answer
**                            exists (the exact meaning — every value outside
**                            L is an answer — is unbounded for open types).
**   assert_not ... iff x in [L] is read as "not P(x) iff x in L", that is
**   assert P(x) iff x not in [L]; and likewise the other way round.
** A wildcard answer 'T:_' is every value of T: it never equals a finite
** list, and it makes `not in` fail when L holds a value of T.
**
** The evaluation of one test (tests_run_one) is shared: pl_tests_check stops
** at the first failure, polar_test keeps one row per assertion.
*/
#include "pl_int.h"
#include <string.h>

/* Called once per assertion with its text and outcome, or once with
** zAssert NULL when the test could not get as far as its assertions (an
** unknown fixture, a refused setup fact). zMsg is NULL when the assertion
** passed, else "file:line:col: test "name" failed: ..." allocated with
** sqlite3_mprintf and now owned by the callee. A non-OK return stops the
** run and is passed back to the caller. */
typedef int (*TestReport)(void *pArg, const PlTest*, const char *zAssert,
                          int bPassed, char *zMsg);

/* The state of one running test. */
typedef struct TestRun {
  const PlPolicy *pPol;
  PlConn *pCaller;       /* the connection that asked: its limits, its opener */
  const PlTest *pTest;
  const char *zFile;     /* policy file name for messages (NULL: default) */
  char *zName;           /* the test name as a Polar string: "name" */
  sqlite3 *db;           /* the test's in-memory database */
} TestRun;

/* One value: an answer of polar_query or a value of an iff list. */
typedef struct TestVal {
  PlValue v;
  char *zOwn;            /* copy of the id bytes v.z points to, or NULL */
} TestVal;

/*-------------------------------------------------------------- text ---*/

/* Append a term as Polar text (the printer of pl_dump.h). */
static void text_term(sqlite3_str *s, const PlTerm *t){
  char *z = pl_program_dump_term(t);
  if( z ) sqlite3_str_appendall(s, z);
  sqlite3_free(z);
}

static void text_call(sqlite3_str *s, const char *zPred, const PlTerm *aArg,
                      int nArg){
  int i;
  sqlite3_str_appendf(s, "%s(", zPred);
  for(i=0; i<nArg; i++){
    if( i ) sqlite3_str_appendall(s, ", ");
    text_term(s, &aArg[i]);
  }
  sqlite3_str_appendchar(s, 1, ')');
}

/* "has_role(User{"a"}, "r", R{"x"})"; NULL on OOM. */
static char *text_fact(const PlFact *f){
  sqlite3_str *s = sqlite3_str_new(0);
  text_call(s, f->zPred, f->aArg, f->nArg);
  return sqlite3_str_finish(s);
}

/* The assertion as written, without the ';'; NULL on OOM. */
static char *text_assert(const PlAssert *a){
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, a->bNot ? "assert_not " : "assert ");
  text_call(s, a->zPred, a->aArg, a->nArg);
  if( a->bIff ){
    sqlite3_str_appendf(s, " iff %s %s ", a->zIffVar, a->bIffNotIn ? "not in" : "in");
    if( a->pIffList ) text_term(s, a->pIffList);
  }
  return sqlite3_str_finish(s);
}

/* A string as a Polar literal, for the test name in messages. */
static char *text_string(const char *z){
  PlTerm t;
  memset(&t, 0, sizeof(t));
  t.eKind = PL_TERM_STR;
  t.z = z;
  t.n = (int)strlen(z);
  return pl_program_dump_term(&t);
}

/* A concrete value as Polar text: "read", 5, true, User{"alice"}. */
static char *text_value(const PlPolicy *pPol, const PlValue *v){
  PlTerm t;
  memset(&t, 0, sizeof(t));
  switch( v->iType ){
    case PL_TYPE_STRING:  t.eKind = PL_TERM_STR;  t.z = v->z; t.n = v->n; break;
    case PL_TYPE_INTEGER: t.eKind = PL_TERM_INT;  t.i = v->i; break;
    case PL_TYPE_BOOLEAN: t.eKind = PL_TERM_BOOL; t.i = v->i; break;
    default:
      t.eKind = PL_TERM_OBJ;
      t.zType = pl_value_type_name(pPol, v->iType);
      t.z = v->z; t.n = v->n;
      break;
  }
  return pl_program_dump_term(&t);
}

/*------------------------------------------------------------ values ---*/

/* Bind "zType:" followed by the bytes z[0..n) (which may hold anything, a
** NUL included: polar_insert and polar_query judge the id, not us). */
static int bind_typed(sqlite3_stmt *pStmt, int iParam, const char *zType,
                      const char *z, int n){
  size_t nType = strlen(zType);
  char *zAll = sqlite3_malloc64(nType + 1 + (size_t)n + 1);
  if( zAll==0 ) return SQLITE_NOMEM;
  memcpy(zAll, zType, nType);
  zAll[nType] = ':';
  if( n>0 ) memcpy(zAll+nType+1, z, (size_t)n);
  zAll[nType+1+(size_t)n] = 0;
  return sqlite3_bind_text64(pStmt, iParam, zAll, nType+1+(size_t)n, sqlite3_free,
                             SQLITE_UTF8);
}

/* Bind a ground term in the SQL spelling. Strings always carry the
** explicit 'String:' prefix, so text holding a colon is never read as a
** typed value. Two ids have no such spelling because 'T:_' is the
** wildcard of T: the string "_" is bound as plain '_' (no colon, so a
** String), and an object whose id is "_" is refused with *pzWhy set. */
static int term_bind(sqlite3_stmt *pStmt, int iParam, const PlTerm *t,
                     char **pzWhy){
  switch( t->eKind ){
    case PL_TERM_INT:
      return sqlite3_bind_int64(pStmt, iParam, t->i);
    case PL_TERM_BOOL:
      return sqlite3_bind_text(pStmt, iParam, t->i ? "Boolean:true" : "Boolean:false",
                               -1, SQLITE_STATIC);
    case PL_TERM_STR:
      if( t->n==1 && t->z[0]=='_' ){
        return sqlite3_bind_text(pStmt, iParam, "_", 1, SQLITE_STATIC);
      }
      return bind_typed(pStmt, iParam, "String", t->z, t->n);
    case PL_TERM_OBJ:
      if( t->n==1 && t->z[0]=='_' ){
        *pzWhy = sqlite3_mprintf("%s{\"_\"} cannot be written in SQL "
                                 "('%s:_' is the wildcard of %s)",
                                 t->zType, t->zType, t->zType);
        return *pzWhy ? SQLITE_ERROR : SQLITE_NOMEM;
      }
      return bind_typed(pStmt, iParam, t->zType, t->z, t->n);
    default:
      *pzWhy = sqlite3_mprintf("only literal values can be bound");
      return *pzWhy ? SQLITE_ERROR : SQLITE_NOMEM;
  }
}

/* The value a ground term of an iff list stands for. An object of a type
** the policy does not declare can never be an answer: *pzWhy says so. */
static int term_value(const PlPolicy *pPol, const PlTerm *t, PlValue *v,
                      char **pzWhy){
  memset(v, 0, sizeof(*v));
  switch( t->eKind ){
    case PL_TERM_STR:  v->iType = PL_TYPE_STRING;  v->z = t->z; v->n = t->n; break;
    case PL_TERM_INT:  v->iType = PL_TYPE_INTEGER; v->i = t->i; break;
    case PL_TERM_BOOL: v->iType = PL_TYPE_BOOLEAN; v->i = t->i; break;
    case PL_TERM_OBJ:
      v->iType = pl_policy_find_type(pPol, t->zType, -1);
      v->z = t->z; v->n = t->n;
      if( v->iType<0 ){
        *pzWhy = sqlite3_mprintf("unknown type '%s' in the iff list", t->zType);
        return *pzWhy ? SQLITE_ERROR : SQLITE_NOMEM;
      }
      break;
    default:
      *pzWhy = sqlite3_mprintf("the iff list holds only literal values");
      return *pzWhy ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

static int val_eq(const PlValue *a, const PlValue *b){
  if( a->iType!=b->iType || a->bWild!=b->bWild ) return 0;
  if( a->bWild ) return 1;
  if( a->iType==PL_TYPE_INTEGER || a->iType==PL_TYPE_BOOLEAN ) return a->i==b->i;
  return a->n==b->n && memcmp(a->z, b->z, (size_t)a->n)==0;
}

static int val_find(const TestVal *a, int n, const PlValue *v){
  int i;
  for(i=0; i<n; i++) if( val_eq(&a[i].v, v) ) return i;
  return -1;
}

static void vals_free(TestVal *a, int n){
  int i;
  for(i=0; i<n; i++) sqlite3_free(a[i].zOwn);
  sqlite3_free(a);
}

/*------------------------------------------------------- one test run ---*/

/* Fresh in-memory database with polarlite and the policy (tests off). */
static int test_open(TestRun *r, char **pzErr){
  PlConn *c = 0;
  const char *zSrc;
  int nSrc, iVersion = 0;
  int rc = sqlite3_open_v2(":memory:", &r->db,
                           SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, 0);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("test %s: cannot open an in-memory database: %s",
                             r->zName, r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
    return rc;
  }
  rc = r->pCaller->xOpen(r->db, &c, pzErr);
  if( rc==SQLITE_OK ){
    c->lim = r->pCaller->lim;
    /* assertions are statements about the policy: one may well say that a
    ** value no rule mentions is not allowed */
    c->bNoUnreadCheck = 1;
    pl_budget_install(c);
    zSrc = pl_policy_src(r->pPol, &nSrc);
    rc = pl_conn_load(c, zSrc, nSrc, pl_policy_file(r->pPol), 0, &iVersion, pzErr);
  }
  if( rc!=SQLITE_OK && *pzErr==0 && rc!=SQLITE_NOMEM ){
    *pzErr = sqlite3_mprintf("test %s: cannot prepare its database: %s",
                             r->zName, sqlite3_errmsg(r->db));
  }
  return rc;
}

/* Prepare "<zHead> <zFunc>(?1, ..., ?nParam)<zTail>". */
static int test_prepare(TestRun *r, const char *zHead, const char *zFunc,
                        int nParam, const char *zTail, sqlite3_stmt **ppStmt){
  sqlite3_str *s = sqlite3_str_new(0);
  char *zSql;
  int i, rc;
  sqlite3_str_appendf(s, "%s %s(", zHead, zFunc);
  for(i=1; i<=nParam; i++) sqlite3_str_appendf(s, "%s?%d", i>1 ? ", " : "", i);
  sqlite3_str_appendf(s, ")%s", zTail);
  zSql = sqlite3_str_finish(s);
  if( zSql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(r->db, zSql, -1, ppStmt, 0);
  sqlite3_free(zSql);
  return rc;
}

/* Write one setup fact with polar_insert. On refusal returns SQLITE_ERROR
** with *pzWhy saying why; other codes are hard errors. */
static int test_insert(TestRun *r, const PlFact *f, char **pzWhy){
  sqlite3_stmt *pStmt = 0;
  int rc, i;
  rc = test_prepare(r, "SELECT", "polar_insert", f->nArg+1, "", &pStmt);
  if( rc==SQLITE_OK ) rc = sqlite3_bind_text(pStmt, 1, f->zPred, -1, SQLITE_STATIC);
  for(i=0; rc==SQLITE_OK && i<f->nArg; i++){
    rc = term_bind(pStmt, i+2, &f->aArg[i], pzWhy);
  }
  if( rc==SQLITE_OK ){
    rc = sqlite3_step(pStmt);
    rc = rc==SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(r->db);
  }
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM && *pzWhy==0 ){
    *pzWhy = sqlite3_mprintf("%s", sqlite3_errmsg(r->db));
    rc = *pzWhy ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/* Insert the facts of the named fixtures and of the setup block. On a
** test failure returns SQLITE_OK with *pzMsg set; other codes are hard
** errors. */
static int test_setup(TestRun *r, char **pzMsg){
  const PlTest *t = r->pTest;
  const PlProgram *pProg = r->pPol->pProg;
  int i, j, k, rc = SQLITE_OK;
  char *zWhy = 0, *zFact;
  const PlFact *pBad = 0;
  const PlFixture **apFix;

  /* every fixture name first, so nothing is written for a test that
  ** names one that does not exist */
  apFix = sqlite3_malloc64(sizeof(apFix[0]) * (size_t)(t->nFixture+1));
  if( apFix==0 ) return SQLITE_NOMEM;
  for(i=0; i<t->nFixture; i++){
    for(j=0; j<pProg->nFix && strcmp(pProg->aFix[j].zName, t->azFixture[i])!=0; j++){}
    if( j==pProg->nFix ){
      *pzMsg = pl_errf(r->zFile, t->aFixturePos[i].line, t->aFixturePos[i].col,
                       "test %s failed: no fixture named '%s' (declare it with "
                       "'test fixture %s { ... }')", r->zName, t->azFixture[i],
                       t->azFixture[i]);
      sqlite3_free(apFix);
      return *pzMsg ? SQLITE_OK : SQLITE_NOMEM;
    }
    apFix[i] = &pProg->aFix[j];
  }
  for(i=0; rc==SQLITE_OK && i<t->nFixture; i++){
    for(k=0; rc==SQLITE_OK && k<apFix[i]->nFact; k++){
      pBad = &apFix[i]->aFact[k];
      rc = test_insert(r, pBad, &zWhy);
    }
  }
  for(k=0; rc==SQLITE_OK && k<t->nSetup; k++){
    pBad = &t->aSetup[k];
    rc = test_insert(r, pBad, &zWhy);
  }
  sqlite3_free(apFix);
  if( rc==SQLITE_ERROR ){
    zFact = text_fact(pBad);
    *pzMsg = pl_errf(r->zFile, pBad->pos.line, pBad->pos.col,
                     "test %s failed: setup fact %s was refused: %s",
                     r->zName, zFact ? zFact : pBad->zPred, zWhy);
    sqlite3_free(zFact);
    rc = *pzMsg ? SQLITE_OK : SQLITE_NOMEM;
  }
  sqlite3_free(zWhy);
  return rc;
}

/* Collect the distinct answers of column iCol (1-based) into *paAns. Only
** answers of a type in *pKeep are kept (the filter for abstract types). */
static int test_answers(TestRun *r, sqlite3_stmt *pStmt, const PlTypeSet *pKeep,
                        TestVal **paAns, int *pnAns, char **pzWhy){
  TestVal *aAns = 0;
  int nAns = 0, nAlloc = 0, rc;
  PlTypeSet all = r->pPol->all;
  while( (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
    PlValue v;
    char *zParse = 0;
    /* the answer spelling is the SQL spelling: read it back with the one
    ** value parser, as a pattern so that 'T:_' is a wildcard */
    rc = pl_value_from_sql(r->pPol, sqlite3_column_value(pStmt, 0), &all, 1,
                           "answer", &v, &zParse);
    if( rc!=SQLITE_OK ){
      *pzWhy = zParse;
      break;
    }
    if( v.iType>=0 && pKeep && !pl_ts_has(pKeep, v.iType) ) continue;
    if( val_find(aAns, nAns, &v)>=0 ) continue;
    if( nAns==nAlloc ){
      TestVal *aNew;
      nAlloc = nAlloc ? nAlloc*2 : 8;
      aNew = sqlite3_realloc64(aAns, sizeof(TestVal)*(size_t)nAlloc);
      if( aNew==0 ){ rc = SQLITE_NOMEM; break; }
      aAns = aNew;
    }
    memset(&aAns[nAns], 0, sizeof(TestVal));
    aAns[nAns].v = v;
    if( v.z && !v.bWild && v.iType!=PL_TYPE_BOOLEAN ){
      aAns[nAns].zOwn = sqlite3_malloc64((size_t)v.n + 1);
      if( aAns[nAns].zOwn==0 ){ rc = SQLITE_NOMEM; break; }
      memcpy(aAns[nAns].zOwn, v.z, (size_t)v.n);
      aAns[nAns].zOwn[v.n] = 0;
      aAns[nAns].v.z = aAns[nAns].zOwn;
    }
    nAns++;
  }
  if( rc==SQLITE_DONE ) rc = SQLITE_OK;
  if( rc!=SQLITE_OK ){
    vals_free(aAns, nAns);
    return rc;
  }
  *paAns = aAns;
  *pnAns = nAns;
  return SQLITE_OK;
}

/* The first wildcard answer, or NULL. */
static const PlValue *ans_wild(const TestVal *aAns, int nAns){
  int i;
  for(i=0; i<nAns; i++) if( aAns[i].v.bWild ) return &aAns[i].v;
  return 0;
}

/* Judge a variable assertion from its answers: *pzDetail is NULL when it
** holds, else why not. */
static int judge_iff(TestRun *r, const PlAssert *a, const TestVal *aAns, int nAns,
                     char **pzDetail){
  const PlPolicy *pPol = r->pPol;
  const PlValue *pWild = ans_wild(aAns, nAns);
  PlValue *aList = 0;
  char *zV;
  int nList = a->bIff && a->pIffList ? a->pIffList->nItem : 0;
  int bIn = !a->bIffNotIn, i, rc = SQLITE_OK;

  *pzDetail = 0;
  if( !a->bIff ){
    if( (nAns>0)!=!a->bNot ){
      *pzDetail = sqlite3_mprintf(a->bNot ? "it has answers" : "it has no answers");
      return *pzDetail ? SQLITE_OK : SQLITE_NOMEM;
    }
    return SQLITE_OK;
  }
  if( a->bNot ) bIn = !bIn;     /* not P(x) iff x in L  <=>  P(x) iff x not in L */
  aList = sqlite3_malloc64(sizeof(PlValue)*(size_t)(nList+1));
  if( aList==0 ) return SQLITE_NOMEM;
  for(i=0; rc==SQLITE_OK && i<nList; i++){
    rc = term_value(pPol, &a->pIffList->aItem[i], &aList[i], pzDetail);
  }
  if( rc!=SQLITE_OK ){
    sqlite3_free(aList);
    return rc==SQLITE_ERROR ? SQLITE_OK : rc;
  }

  if( bIn ){
    /* answers == list */
    if( pWild ){
      *pzDetail = sqlite3_mprintf("every %s is an answer",
                                  pl_value_type_name(pPol, pWild->iType));
    }
    for(i=0; *pzDetail==0 && i<nList; i++){
      if( val_find(aAns, nAns, &aList[i])<0 ){
        zV = text_value(pPol, &aList[i]);
        *pzDetail = sqlite3_mprintf("%s is not an answer", zV);
        sqlite3_free(zV);
      }
    }
    for(i=0; *pzDetail==0 && i<nAns; i++){
      int j;
      for(j=0; j<nList && !val_eq(&aList[j], &aAns[i].v); j++){}
      if( j==nList ){
        zV = text_value(pPol, &aAns[i].v);
        *pzDetail = sqlite3_mprintf("%s is an answer too", zV);
        sqlite3_free(zV);
      }
    }
  }else{
    /* some answer, and none listed */
    if( nAns==0 ) *pzDetail = sqlite3_mprintf("it has no answers");
    for(i=0; *pzDetail==0 && i<nList; i++){
      if( val_find(aAns, nAns, &aList[i])>=0
       || (pWild && pWild->iType==aList[i].iType) ){
        zV = text_value(pPol, &aList[i]);
        *pzDetail = sqlite3_mprintf("%s is an answer", zV);
        sqlite3_free(zV);
      }
    }
  }
  sqlite3_free(aList);
  return SQLITE_OK;
}

/* Ask one assertion. On a failure (including a query polarlite refuses)
** returns SQLITE_OK with *pzMsg set; other codes are hard errors. */
static int test_assert(TestRun *r, const PlAssert *a, const char *zText,
                       char **pzMsg){
  const PlPolicy *pPol = r->pPol;
  sqlite3_stmt *pStmt = 0;
  TestVal *aAns = 0;
  int nAns = 0, iVar = -1, iType = -1, rc, i;
  const PlTypeSet *pKeep = 0;
  char *zWhy = 0, *zDetail = 0, *zHead = 0;

  *pzMsg = 0;
  for(i=0; i<a->nArg; i++) if( a->aArg[i].eKind==PL_TERM_VAR ) iVar = i;
  if( iVar>=0 ){
    const PlTerm *v = &a->aArg[iVar];
    iType = v->zType ? pl_policy_find_type(pPol, v->zType, -1) : -1;
    if( iType<0 ){
      zWhy = sqlite3_mprintf("unknown type '%s' for variable '%s'",
                             v->zType ? v->zType : "?", v->zName);
      rc = zWhy ? SQLITE_ERROR : SQLITE_NOMEM;
      goto assert_done;
    }
    zHead = sqlite3_mprintf("SELECT DISTINCT a%d FROM", iVar+1);
    if( zHead==0 ){ rc = SQLITE_NOMEM; goto assert_done; }
  }
  rc = test_prepare(r, zHead ? zHead : "SELECT 1 FROM", "polar_query", a->nArg+1,
                    iVar<0 ? " LIMIT 1" : "", &pStmt);
  if( rc==SQLITE_OK ) rc = sqlite3_bind_text(pStmt, 1, a->zPred, -1, SQLITE_STATIC);
  for(i=0; rc==SQLITE_OK && i<a->nArg; i++){
    if( i!=iVar ){
      rc = term_bind(pStmt, i+2, &a->aArg[i], &zWhy);
    }else if( iType==PL_TYPE_ACTOR || iType==PL_TYPE_RESOURCE ){
      /* an abstract type has no wildcard spelling: ask for any value and
      ** keep the answers of the types it accepts */
      pKeep = &pPol->aType[iType].sub;
    }else{
      char *z = sqlite3_mprintf("%s:_", pl_value_type_name(pPol, iType));
      rc = z ? sqlite3_bind_text(pStmt, i+2, z, -1, sqlite3_free) : SQLITE_NOMEM;
    }
  }
  if( rc!=SQLITE_OK ) goto assert_done;
  if( iVar<0 ){
    rc = sqlite3_step(pStmt);
    if( rc==SQLITE_ROW || rc==SQLITE_DONE ){
      if( (rc==SQLITE_ROW)==a->bNot ){
        zDetail = sqlite3_mprintf(a->bNot ? "it holds" : "it has no answers");
        if( zDetail==0 ){ rc = SQLITE_NOMEM; goto assert_done; }
      }
      rc = SQLITE_OK;
    }
  }else{
    rc = test_answers(r, pStmt, pKeep, &aAns, &nAns, &zWhy);
    if( rc==SQLITE_OK ) rc = judge_iff(r, a, aAns, nAns, &zDetail);
  }

assert_done:
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM && zWhy==0 ){
    zWhy = sqlite3_mprintf("%s", sqlite3_errmsg(r->db));
    if( zWhy==0 ) rc = SQLITE_NOMEM;
  }
  if( rc!=SQLITE_NOMEM && zWhy ){
    *pzMsg = pl_errf(r->zFile, a->pos.line, a->pos.col, "test %s failed: %s: %s",
                     r->zName, zText, zWhy);
    rc = *pzMsg ? SQLITE_OK : SQLITE_NOMEM;
  }else if( rc==SQLITE_OK && zDetail ){
    *pzMsg = pl_errf(r->zFile, a->pos.line, a->pos.col,
                     "test %s failed: %s does not hold: %s", r->zName, zText, zDetail);
    if( *pzMsg==0 ) rc = SQLITE_NOMEM;
  }
  sqlite3_finalize(pStmt);
  vals_free(aAns, nAns);
  sqlite3_free(zWhy);
  sqlite3_free(zDetail);
  sqlite3_free(zHead);
  return rc;
}

/* Run one test and report each assertion. Returns SQLITE_OK, a hard error
** (with *pzErr set unless it is SQLITE_NOMEM), or the first non-OK code
** xReport returned. */
static int tests_run_one(PlConn *pCaller, const PlPolicy *pPol,
                         const PlTest *pTest, TestReport xReport, void *pArg,
                         char **pzErr){
  TestRun r;
  char *zMsg = 0, *zText = 0;
  int rc, i;

  memset(&r, 0, sizeof(r));
  r.pPol = pPol;
  r.pCaller = pCaller;
  r.pTest = pTest;
  r.zFile = pl_policy_file(pPol);
  r.zName = text_string(pTest->zName);
  if( r.zName==0 ) return SQLITE_NOMEM;
  rc = test_open(&r, pzErr);
  if( rc==SQLITE_OK ) rc = test_setup(&r, &zMsg);
  if( rc==SQLITE_OK && zMsg ){
    rc = xReport(pArg, pTest, 0, 0, zMsg);
    zMsg = 0;
    goto run_done;
  }
  for(i=0; rc==SQLITE_OK && i<pTest->nAssert; i++){
    zText = text_assert(&pTest->aAssert[i]);
    if( zText==0 ){ rc = SQLITE_NOMEM; break; }
    rc = test_assert(&r, &pTest->aAssert[i], zText, &zMsg);
    if( rc==SQLITE_OK ){
      rc = xReport(pArg, pTest, zText, zMsg==0, zMsg);
      zMsg = 0;
    }
    sqlite3_free(zText);
    zText = 0;
  }

run_done:
  sqlite3_free(zMsg);
  sqlite3_close(r.db);    /* also frees the test's PlConn */
  sqlite3_free(r.zName);
  return rc;
}

/* Run every test of pPol, stopping when xReport returns non-OK. */
static int tests_run_all(PlConn *pCaller, const PlPolicy *pPol,
                         TestReport xReport, void *pArg, char **pzErr){
  const PlProgram *pProg = pPol->pProg;
  int i, rc = SQLITE_OK;
  for(i=0; rc==SQLITE_OK && pProg && i<pProg->nTest; i++){
    rc = tests_run_one(pCaller, pPol, &pProg->aTest[i], xReport, pArg, pzErr);
  }
  return rc;
}

/*------------------------------------------------------ pl_tests_check ---*/

/* Keep the first failure and stop. */
static int check_report(void *pArg, const PlTest *pTest, const char *zAssert,
                        int bPassed, char *zMsg){
  char **pzFirst = pArg;
  (void)pTest; (void)zAssert;
  if( bPassed ){
    sqlite3_free(zMsg);
    return SQLITE_OK;
  }
  *pzFirst = zMsg;
  return SQLITE_ERROR;
}

int pl_tests_check(PlConn *pCaller, const PlPolicy *pPol, char **pzErr){
  char *zFirst = 0;
  int rc = tests_run_all(pCaller, pPol, check_report, &zFirst, pzErr);
  if( zFirst ){
    if( *pzErr==0 ) *pzErr = zFirst; else sqlite3_free(zFirst);
  }
  return rc;
}

/*---------------------------------------------------------- polar_test ---
**
**   SELECT * FROM polar_test;
**   -- test | assertion                                 | passed | message
**   -- t    | assert allow(User{"a"}, "p", R{"x"})      | 1      | NULL
**
** Runs every test of the connection's current policy when the scan starts
** and returns one row per assertion (passed 1/0, message NULL or the same
** "file:line:col: test "t" failed: ..." polar_load would give), continuing
** after failures. A test stopped by its setup (an unknown fixture, a
** refused fact) gives one row with assertion NULL. The rows are computed
** in xFilter; the table has no arguments and no constraint helps, so
** xBestIndex has nothing to plan.
**
** The table reads nothing but the policy and writes nothing, but a scan
** runs every test, so it is left with the default trust (usable from a
** schema only when trusted_schema is on) rather than marked innocuous. */

typedef struct TestRow {
  char *zTest;        /* test name (sqlite3_malloc'd) */
  char *zAssert;      /* assertion text, or NULL */
  int bPassed;
  char *zMsg;         /* NULL when passed */
} TestRow;

typedef struct TestVtab {
  sqlite3_vtab base;
  PlConn *c;
} TestVtab;

typedef struct TestCursor {
  sqlite3_vtab_cursor base;
  TestRow *aRow; int nRow, nAlloc;
  int iRow;
} TestCursor;

#define TESTVT_TEST      0
#define TESTVT_ASSERTION 1
#define TESTVT_PASSED    2
#define TESTVT_MESSAGE   3

static void cursor_clear(TestCursor *pCur){
  int i;
  for(i=0; i<pCur->nRow; i++){
    sqlite3_free(pCur->aRow[i].zTest);
    sqlite3_free(pCur->aRow[i].zAssert);
    sqlite3_free(pCur->aRow[i].zMsg);
  }
  sqlite3_free(pCur->aRow);
  pCur->aRow = 0;
  pCur->nRow = pCur->nAlloc = 0;
  pCur->iRow = 0;
}

/* Append a row; takes zMsg. */
static int cursor_report(void *pArg, const PlTest *pTest, const char *zAssert,
                         int bPassed, char *zMsg){
  TestCursor *pCur = pArg;
  TestRow *pRow;
  if( pCur->nRow==pCur->nAlloc ){
    int nNew = pCur->nAlloc ? pCur->nAlloc*2 : 16;
    TestRow *aNew = sqlite3_realloc64(pCur->aRow, sizeof(TestRow)*(size_t)nNew);
    if( aNew==0 ){ sqlite3_free(zMsg); return SQLITE_NOMEM; }
    pCur->aRow = aNew;
    pCur->nAlloc = nNew;
  }
  pRow = &pCur->aRow[pCur->nRow++];
  memset(pRow, 0, sizeof(*pRow));
  pRow->bPassed = bPassed;
  pRow->zMsg = zMsg;
  pRow->zTest = sqlite3_mprintf("%s", pTest->zName);
  if( zAssert ) pRow->zAssert = sqlite3_mprintf("%s", zAssert);
  if( pRow->zTest==0 || (zAssert && pRow->zAssert==0) ) return SQLITE_NOMEM;
  return SQLITE_OK;
}

static int testvtConnect(sqlite3 *db, void *pAux, int argc, const char *const*argv,
                         sqlite3_vtab **ppVtab, char **pzErr){
  int rc = pl_vtab_new(db,
      "CREATE TABLE x(test TEXT, assertion TEXT, passed INTEGER, message TEXT)",
      sizeof(TestVtab), 0, ppVtab);
  (void)argc; (void)argv; (void)pzErr;
  if( rc==SQLITE_OK ) ((TestVtab*)*ppVtab)->c = pAux;
  return rc;
}

static int testvtOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor){
  TestCursor *pCur;
  (void)pVtab;
  pCur = sqlite3_malloc64(sizeof(*pCur));
  if( pCur==0 ) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCursor = &pCur->base;
  return SQLITE_OK;
}

static int testvtClose(sqlite3_vtab_cursor *cur){
  TestCursor *pCur = (TestCursor*)cur;
  cursor_clear(pCur);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

static int testvtNext(sqlite3_vtab_cursor *cur){
  ((TestCursor*)cur)->iRow++;
  return SQLITE_OK;
}

static int testvtColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i){
  TestCursor *pCur = (TestCursor*)cur;
  const TestRow *pRow = &pCur->aRow[pCur->iRow];
  switch( i ){
    case TESTVT_TEST:
      sqlite3_result_text(ctx, pRow->zTest, -1, SQLITE_TRANSIENT);
      break;
    case TESTVT_ASSERTION:
      if( pRow->zAssert ) sqlite3_result_text(ctx, pRow->zAssert, -1, SQLITE_TRANSIENT);
      break;
    case TESTVT_PASSED:
      sqlite3_result_int(ctx, pRow->bPassed);
      break;
    default:
      if( pRow->zMsg ) sqlite3_result_text(ctx, pRow->zMsg, -1, SQLITE_TRANSIENT);
      break;
  }
  return SQLITE_OK;
}

static int testvtRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  *pRowid = ((TestCursor*)cur)->iRow + 1;
  return SQLITE_OK;
}

static int testvtEof(sqlite3_vtab_cursor *cur){
  TestCursor *pCur = (TestCursor*)cur;
  return pCur->iRow>=pCur->nRow;
}

static int testvtFilter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                        int argc, sqlite3_value **argv){
  TestCursor *pCur = (TestCursor*)cur;
  TestVtab *pTab = (TestVtab*)cur->pVtab;
  const PlPolicy *pPol = 0;
  char *zErr = 0;
  int rc;
  (void)idxNum; (void)idxStr; (void)argc; (void)argv;
  cursor_clear(pCur);
  rc = pl_conn_require_policy(pTab->c, &pPol, &zErr);
  if( rc==SQLITE_OK ) rc = tests_run_all(pTab->c, pPol, cursor_report, pCur, &zErr);
  if( rc!=SQLITE_OK ){
    cursor_clear(pCur);
    sqlite3_free(pTab->base.zErrMsg);
    pTab->base.zErrMsg = zErr ? sqlite3_mprintf("polar_test: %s", zErr) : 0;
    sqlite3_free(zErr);
  }
  return rc;
}

static int testvtBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  (void)pVtab;
  pInfo->estimatedCost = 1000000.0;    /* every scan runs every test */
  pInfo->estimatedRows = 100;
  return SQLITE_OK;
}

static sqlite3_module testModule = {
  0,                  /* iVersion */
  0,                  /* xCreate: eponymous-only */
  testvtConnect,      /* xConnect */
  testvtBestIndex,    /* xBestIndex */
  pl_vtab_free,      /* xDisconnect */
  0,                  /* xDestroy */
  testvtOpen,         /* xOpen */
  testvtClose,        /* xClose */
  testvtFilter,       /* xFilter */
  testvtNext,         /* xNext */
  testvtEof,          /* xEof */
  testvtColumn,       /* xColumn */
  testvtRowid,        /* xRowid */
  0,                  /* xUpdate */
  0,                  /* xBegin */
  0,                  /* xSync */
  0,                  /* xCommit */
  0,                  /* xRollback */
  0,                  /* xFindMethod */
  0,                  /* xRename */
  0,                  /* xSavepoint */
  0,                  /* xRelease */
  0,                  /* xRollbackTo */
  0                   /* xShadowName */
};

int pl_tests_register(sqlite3 *db, PlConn *c){
  return sqlite3_create_module(db, "polar_test", &testModule, c);
}
