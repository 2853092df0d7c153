/*
** diff.c — run a generated case against the compiler and the evaluator
** (diff.h).
**
** Each case gets a fresh in-memory database with the engine registered
** through its public entry point (sqlite3_polarlite_init), the clock pinned
** (polar_now) and the step budget set, then polar_load and polar_insert.
** Every check is asked twice:
**   compiler   authorize(...), SELECT quote(id) FROM polar_list(...), ...
**   evaluator  polar_eval('authorize', ...), json_each(polar_eval('list', ...))
** and the answers are compared as sorted lists of quote()d values (a query
** as a set of rows). Only SQL: the same driver runs on any branch that has
** polar_eval.
*/
#include "diff.h"
#include <errno.h>
#include <fnmatch.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int sqlite3_polarlite_init(sqlite3*, char**, const void*);

enum { R_OK = 0, R_ERROR, R_LIMIT };
static const char *azKind[] = { "", "authorize", "list", "actions", "query" };
static const char *azCat[] = { "", "answer", "compiler-refused", "evaluator-refused" };
typedef struct Ans { int eState; char *z; } Ans;   /* z: answer, or the error */

/*---------------------------------------------------------- database --*/

static void bind_args(sqlite3_stmt *p, int iFirst, const GenArgs *a, int iFrom){
  int i;
  for(i=iFrom; i<a->nArg; i++){
    int k = iFirst + i - iFrom;
    if( a->azArg[i]==0 ) sqlite3_bind_null(p, k);
    else if( a->abInt[i] ) sqlite3_bind_int64(p, k, strtoll(a->azArg[i], 0, 10));
    else sqlite3_bind_text(p, k, a->azArg[i], -1, SQLITE_STATIC);
  }
}

/* A fresh database with the case's policy and facts; NULL if the policy
** is refused (*pzErr says why). */
static sqlite3 *case_open(const GenCase *c, const DiffOpt *o, DiffStats *s, char **pzErr){
  sqlite3 *db = 0;
  sqlite3_stmt *p = 0;
  char *zErr = 0, *zPolicy, *zSql;
  int i, rc;
  *pzErr = 0;
  if( sqlite3_open(":memory:", &db)!=SQLITE_OK || sqlite3_polarlite_init(db, &zErr, 0)!=SQLITE_OK ){
    *pzErr = gen_fmt("cannot open the engine: %s", zErr ? zErr : sqlite3_errmsg(db));
    sqlite3_free(zErr);
    sqlite3_close(db);
    return 0;
  }
  /* compile_memory low: a policy the compiler unfolds exponentially fails
  ** in milliseconds instead of seconds per check (counted as a limit) */
  zSql = gen_fmt("SELECT polar_now(1700000000), polar_limit('steps', %lld), "
              "polar_limit('compile_memory', 8000000)", o->nSteps);
  sqlite3_exec(db, zSql, 0, 0, 0);
  free(zSql);
  zPolicy = gen_policy(c);
  rc = sqlite3_prepare_v2(db, "SELECT polar_load(?1, 'diff.polar')", -1, &p, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(p, 1, zPolicy, -1, SQLITE_STATIC);
    rc = sqlite3_step(p);
  }
  if( rc!=SQLITE_ROW ){
    *pzErr = gen_fmt("%s", sqlite3_errmsg(db));
    sqlite3_finalize(p);
    free(zPolicy);
    sqlite3_close(db);
    return 0;
  }
  sqlite3_finalize(p);
  free(zPolicy);
  for(i=0; i<c->nFact; i++){
    const GenArgs *a = &c->aFact[i].args;
    char zQ[64];
    int k, n = 0;
    if( !c->aFact[i].bOn ) continue;
    n += snprintf(zQ, sizeof(zQ), "SELECT polar_insert(?1");
    for(k=1; k<a->nArg; k++) n += snprintf(zQ+n, sizeof(zQ)-(size_t)n, ",?%d", k+1);
    snprintf(zQ+n, sizeof(zQ)-(size_t)n, ")");
    if( s ) s->nFact++;
    if( sqlite3_prepare_v2(db, zQ, -1, &p, 0)==SQLITE_OK ){
      bind_args(p, 1, a, 0);
      if( sqlite3_step(p)!=SQLITE_ROW && s ){
        s->nFactRefused++;
        if( o->bVerbose ) fprintf(o->out, "-- %s fact %d refused: %s\n", o->zLabel, i, sqlite3_errmsg(db));
      }
    }
    sqlite3_finalize(p);
  }
  return db;
}

static int is_limit(const char *zErr){
  return strstr(zErr, "polar_limit('steps'") || strstr(zErr, "polar_limit('eval_")
      || strstr(zErr, "polar_limit('compile_memory'") || strstr(zErr, "interrupted");
}

static int cmp_str(const void *a, const void *b){
  return strcmp(*(const char*const*)a, *(const char*const*)b);
}

/* Does quoted value w (a wildcard 'T:_') stand for quoted value v? */
static int covers(const char *w, const char *v){
  size_t n = strlen(w);
  if( strcmp(w, v)==0 ) return 1;
  if( n<5 || w[0]!='\'' || strcmp(w+n-3, ":_'")!=0 ) return 0;
  if( strncmp(w, "'Integer:_'", 11)==0 ) return v[0]!='\'';
  if( strncmp(w, "'String:_'", 10)==0 ){
    /* plain text, or 'String:...' when it would read as a typed value */
    return v[0]=='\'' && (strncmp(v, "'String:", 8)==0 || strchr(v, ':')==0
                          || strspn(v+1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")
                             != (size_t)(strchr(v, ':')-v-1));
  }
  return strncmp(w, v, n-2)==0 && v[n-2]!='_';
}

typedef struct Row { char *az[6]; int n; int bDrop; } Row;

/* Row r says nothing that wildcard row w does not (a concrete answer that
** a wildcard answer of the same set covers). */
static int row_covered(const Row *w, const Row *r){
  int i, bWild = 0;
  if( w==r || w->n!=r->n ) return 0;
  for(i=0; i<w->n; i++){
    if( !covers(w->az[i], r->az[i]) ) return 0;
    if( strcmp(w->az[i], r->az[i])!=0 ) bWild = 1;
  }
  return bWild;
}


/* Run zSql with the check's arguments bound from ?1; each row's columns
** joined with ',', the rows sorted and joined with newlines. bSet (a
** query): repeated rows once, and rows covered by a wildcard row of the
** same answer dropped (the compiler and the evaluator may differ in
** whether they also list such a row: it adds nothing). */
static Ans run_sql(sqlite3 *db, const char *zSql, const GenCheck *k, int bSet){
  Ans a = { R_OK, 0 };
  sqlite3_stmt *p = 0;
  Row *aRow = 0;
  char **az = 0;
  int n = 0, nAlloc = 0, i, j, rc, nCol;
  size_t nOut = 1;
  if( sqlite3_prepare_v2(db, zSql, -1, &p, 0)!=SQLITE_OK ){
    a.eState = R_ERROR;
    a.z = gen_fmt("%s", sqlite3_errmsg(db));
    return a;
  }
  nCol = sqlite3_column_count(p);
  if( nCol>6 ) nCol = 6;
  bind_args(p, 1, &k->args, 0);
  if( k->zContext ) sqlite3_bind_text(p, k->args.nArg+1, k->zContext, -1, SQLITE_STATIC);
  while( (rc = sqlite3_step(p))==SQLITE_ROW ){
    if( n>=nAlloc ){
      nAlloc = nAlloc ? nAlloc*2 : 16;
      aRow = realloc(aRow, sizeof(Row)*(size_t)nAlloc);
      if( aRow==0 ) abort();
    }
    aRow[n].n = nCol;
    aRow[n].bDrop = 0;
    for(i=0; i<nCol; i++){
      const char *z = (const char*)sqlite3_column_text(p, i);
      aRow[n].az[i] = gen_fmt("%s", z ? z : "NULL");
    }
    n++;
  }
  if( rc!=SQLITE_DONE ){
    a.eState = is_limit(sqlite3_errmsg(db)) ? R_LIMIT : R_ERROR;
    a.z = gen_fmt("%s", sqlite3_errmsg(db));
  }else{
    if( bSet ){
      for(i=0; i<n; i++) for(j=0; j<n && !aRow[i].bDrop; j++){
        if( !aRow[j].bDrop && row_covered(&aRow[j], &aRow[i]) ) aRow[i].bDrop = 1;
      }
    }
    az = malloc(sizeof(char*)*(size_t)(n+1));
    if( az==0 ) abort();
    for(i=j=0; i<n; i++){
      int c;
      if( aRow[i].bDrop ) continue;
      az[j] = gen_fmt("%s", aRow[i].az[0]);
      for(c=1; c<nCol; c++){
        char *z = gen_fmt("%s,%s", az[j], aRow[i].az[c]);
        free(az[j]); az[j] = z;
      }
      nOut += strlen(az[j]) + 1;
      j++;
    }
    qsort(az, (size_t)j, sizeof(char*), cmp_str);
    a.z = malloc(nOut);
    if( a.z==0 ) abort();
    a.z[0] = 0;
    for(i=0, nOut=0; i<j; i++){
      if( !(bSet && i>0 && strcmp(az[i], az[i-1])==0) ){
        nOut += (size_t)sprintf(a.z+nOut, "%s%s", nOut ? "\n" : "", az[i]);
      }
    }
    for(i=0; i<j; i++) free(az[i]);
    free(az);
  }
  for(i=0; i<n; i++) for(j=0; j<aRow[i].n; j++) free(aRow[i].az[j]);
  free(aRow);
  sqlite3_finalize(p);
  return a;
}

/* polar_eval(...) for check k, arguments ?1.. (query: ?1 the predicate). */
static char *eval_call(const GenCheck *k){
  char zQ[64] = "";
  int i;
  for(i=1; i<k->args.nArg; i++) snprintf(zQ+strlen(zQ), sizeof(zQ)-strlen(zQ), ", ?%d", i+1);
  if( k->zContext ) snprintf(zQ+strlen(zQ), sizeof(zQ)-strlen(zQ), ", ?%d", k->args.nArg+1);
  return gen_fmt("polar_eval('%s', ?1%s)", azKind[k->eKind], zQ);
}

/* The SQL of a check as the compiler answers it (bEval 0) or the
** evaluator (1), one value a row, quote()d (a query row comma-joined). */
static char *check_sql(const GenCheck *k, int bEval){
  int n = k->args.nArg, i;
  char zQ[64] = "", *zCall, *z;
  if( bEval ){
    zCall = eval_call(k);
    switch( k->eKind ){
      case GC_AUTHORIZE: z = gen_fmt("SELECT %s", zCall); break;
      case GC_QUERY: {
        char *zCols = gen_fmt("quote(json_extract(r.value, '$[0]'))");
        for(i=1; i<n-1; i++){
          z = gen_fmt("%s, quote(json_extract(r.value, '$[%d]'))", zCols, i);
          free(zCols); zCols = z;
        }
        z = gen_fmt("SELECT %s FROM json_each(%s) r", zCols, zCall);
        free(zCols);
        break;
      }
      default: z = gen_fmt("SELECT quote(value) FROM json_each(%s)", zCall); break;
    }
    free(zCall);
    return z;
  }
  for(i=1; i<n; i++) snprintf(zQ+strlen(zQ), sizeof(zQ)-strlen(zQ), ",?%d", i+1);
  switch( k->eKind ){
    case GC_AUTHORIZE: return gen_fmt("SELECT authorize(?1, ?2, ?3%s)", k->zContext ? ", ?4" : "");
    case GC_LIST:      return gen_fmt("SELECT quote(id) FROM polar_list(?1, ?2, ?3)");
    case GC_ACTIONS:   return gen_fmt("SELECT quote(action) FROM polar_actions(?1, ?2)");
    default: {
      char *zCols = gen_fmt("quote(a1)");
      for(i=2; i<n; i++){ z = gen_fmt("%s, quote(a%d)", zCols, i); free(zCols); zCols = z; }
      z = gen_fmt("SELECT %s FROM polar_query(?1%s)", zCols, zQ);
      free(zCols);
      return z;
    }
  }
}

static Ans ask(sqlite3 *db, const GenCheck *k, int bEval){
  char *zSql = check_sql(k, bEval);
  Ans a = run_sql(db, zSql, k, k->eKind==GC_QUERY);
  free(zSql);
  return a;
}

/* How the two answers compare: 0 the same (or both refused, or a limit:
** *peWhy says which), else the category of the disagreement. */
enum { D_SAME = 0, D_ANSWER, D_COMPILER, D_EVAL };
enum { W_AGREE = 0, W_BOTH, W_LIMIT };
static int compare(const Ans *pC, const Ans *pE, int *peWhy){
  *peWhy = W_AGREE;
  if( pC->eState==R_LIMIT || pE->eState==R_LIMIT ){ *peWhy = W_LIMIT; return D_SAME; }
  if( pC->eState==R_ERROR && pE->eState==R_ERROR ){ *peWhy = W_BOTH; return D_SAME; }
  if( pC->eState==R_ERROR ) return D_COMPILER;
  if( pE->eState==R_ERROR ) return D_EVAL;
  return strcmp(pC->z, pE->z)==0 ? D_SAME : D_ANSWER;
}


/*-------------------------------------------------------- cutting down --*/

/* Does check k still disagree (category eCat) on c as it is now? */
static int still(const GenCase *c, const GenCheck *k, int eCat, const DiffOpt *o){
  char *zErr = 0;
  sqlite3 *db = case_open(c, o, 0, &zErr);
  Ans ac, ae;
  int eWhy, r;
  free(zErr);
  if( db==0 ) return 0;
  ac = ask(db, k, 0);
  ae = ask(db, k, 1);
  r = compare(&ac, &ae, &eWhy)==eCat;
  free(ac.z); free(ae.z);
  sqlite3_close(db);
  return r;
}

/* Turn pieces off one at a time (facts first, in halves, then single)
** while the disagreement stays. */
static void minimize(GenCase *c, const GenCheck *k, int eCat, const DiffOpt *o){
  int bChanged = 1, i, n, nChunk;
  for(nChunk=c->nFact/2; nChunk>=1; nChunk/=2){
    for(i=0; i<c->nFact; i+=nChunk){
      int j, nOff = 0;
      for(j=i; j<i+nChunk && j<c->nFact; j++) if( c->aFact[j].bOn ){ c->aFact[j].bOn = 0; nOff++; }
      if( nOff==0 ) continue;
      if( !still(c, k, eCat, o) ){
        for(j=i; j<i+nChunk && j<c->nFact; j++) c->aFact[j].bOn = 1;
      }
    }
  }
  while( bChanged ){
    bChanged = 0;
    for(n=0; n<c->nItem; n++){
      if( !c->aItem[n].bOn ) continue;
      c->aItem[n].bOn = 0;
      if( still(c, k, eCat, o) ) bChanged = 1;
      else c->aItem[n].bOn = 1;
    }
    for(n=0; n<c->nFact; n++){
      if( !c->aFact[n].bOn ) continue;
      c->aFact[n].bOn = 0;
      if( still(c, k, eCat, o) ) bChanged = 1;
      else c->aFact[n].bOn = 1;
    }
  }
}

/*---------------------------------------------------------- reporting --*/

static void sql_quote(FILE *f, const char *z){
  fputc('\'', f);
  for(; *z; z++){ if( *z=='\'' ) fputc('\'', f); fputc(*z, f); }
  fputc('\'', f);
}

static void sql_args(FILE *f, const GenArgs *a, int iFrom){
  int i;
  for(i=iFrom; i<a->nArg; i++){
    if( i>iFrom ) fputs(", ", f);
    if( a->azArg[i]==0 ) fputs("NULL", f);
    else if( a->abInt[i] ) fputs(a->azArg[i], f);
    else sql_quote(f, a->azArg[i]);
  }
}

void diff_print_case(FILE *f, const GenCase *c){
  char *zPolicy = gen_policy(c);
  int i;
  fprintf(f, ".load ./polarlite\nSELECT polar_now(1700000000);\nSELECT polar_load(");
  sql_quote(f, zPolicy);
  fprintf(f, ", 'diff.polar');\n");
  for(i=0; i<c->nFact; i++){
    if( !c->aFact[i].bOn ) continue;
    fprintf(f, "SELECT polar_insert(");
    sql_args(f, &c->aFact[i].args, 0);
    fprintf(f, ");\n");
  }
  free(zPolicy);
}

/* The check in SQL (bEval: as polar_eval). */
static void print_check(FILE *f, const GenCheck *k, int bEval){
  const char *zName = azKind[k->eKind];
  if( bEval ){
    fprintf(f, "SELECT polar_eval('%s', ", zName);
  }else if( k->eKind==GC_AUTHORIZE ){
    fprintf(f, "SELECT authorize(");
  }else if( k->eKind==GC_QUERY ){
    int i;
    fprintf(f, "SELECT a1");
    for(i=2; i<k->args.nArg; i++) fprintf(f, ", a%d", i);
    fprintf(f, " FROM polar_query(");
  }else{
    fprintf(f, "SELECT %s FROM polar_%s(", k->eKind==GC_LIST ? "id" : "action", zName);
  }
  sql_args(f, &k->args, 0);
  if( k->zContext ){ fputs(", ", f); sql_quote(f, k->zContext); }
  fputs(");\n", f);
}

static void json_str(FILE *f, const char *z){
  fputc('"', f);
  for(; *z; z++){
    if( *z=='"' || *z=='\\' ) fputc('\\', f);
    if( *z=='\n' ){ fputs("\\n", f); continue; }
    fputc(*z, f);
  }
  fputc('"', f);
}

static void json_args(FILE *f, const GenArgs *a){
  int i;
  fputc('[', f);
  for(i=0; i<a->nArg; i++){
    if( i ) fputs(", ", f);
    if( a->azArg[i]==0 ) fputs("null", f);
    else if( a->abInt[i] ) fputs(a->azArg[i], f);
    else json_str(f, a->azArg[i]);
  }
  fputc(']', f);
}

/* NAME.polar + NAME.json (tests/corpus format) + NAME.sql in zDir, with the
** evaluator's answer as the expectation: read it, decide from
** docs/polar.md which side is right, then fix the expectation. The
** directory is made if missing; returns 0, or errno of the first failure. */
static int write_files(const DiffOpt *o, const GenCase *c, const GenCheck *k,
                        const char *zSig, const Ans *pC, const Ans *pE, const char *zEvalJson){
  char *zBase = gen_fmt("%s/diff-%d", o->zOutDir, o->nFound);
  char *zPath = gen_fmt("%s.polar", zBase);
  char *zPolicy = gen_policy(c);
  FILE *f;
  int i, n = 0, rc = 0;
  if( mkdir(o->zOutDir, 0777)!=0 && errno!=EEXIST ) rc = errno;
  f = fopen(zPath, "w");
  if( f ){ fputs(zPolicy, f); fclose(f); }else if( !rc ) rc = errno;
  free(zPath);
  zPath = gen_fmt("%s.json", zBase);
  f = fopen(zPath, "w");
  if( f ){
    fprintf(f, "{\n  \"description\": \"differential test: %s (%s)\",\n  \"facts\": [", zSig, o->zLabel);
    for(i=0; i<c->nFact; i++){
      if( !c->aFact[i].bOn ) continue;
      fputs(n++ ? ",\n    " : "\n    ", f);
      json_args(f, &c->aFact[i].args);
    }
    fprintf(f, "\n  ],\n  \"checks\": [\n    {\"%s\": ", azKind[k->eKind]);
    json_args(f, &k->args);
    if( k->zContext ) fprintf(f, ", \"context\": %s", k->zContext);
    fprintf(f, ", \"expect\": %s,\n     \"why\": ", zEvalJson ? zEvalJson : "null");
    {
      char *zWhy = gen_fmt("expectation = the evaluator's answer; the compiler said: %s%s",
                        pC->eState==R_OK ? "" : "error: ", pC->z);
      json_str(f, zWhy);
      free(zWhy);
    }
    fprintf(f, "}\n  ]\n}\n");
    fclose(f);
  }else if( !rc ) rc = errno;
  free(zPath);
  zPath = gen_fmt("%s.sql", zBase);
  f = fopen(zPath, "w");
  if( f ){
    diff_print_case(f, c);
    fprintf(f, "-- the compiler:\n");
    print_check(f, k, 0);
    fprintf(f, "-- the evaluator:\n");
    print_check(f, k, 1);
    fclose(f);
  }else if( !rc ) rc = errno;
  (void)pE;
  free(zPath);
  free(zPolicy);
  free(zBase);
  return rc;
}

/* The evaluator's answer as the JSON a corpus case expects. */
static char *eval_json(const GenCase *c, const GenCheck *k, const DiffOpt *o){
  char *zErr = 0, *zCall, *zSql, *zOut = 0;
  sqlite3 *db = case_open(c, o, 0, &zErr);
  sqlite3_stmt *p = 0;
  free(zErr);
  if( db==0 ) return 0;
  zCall = eval_call(k);
  zSql = gen_fmt("SELECT %s", zCall);
  if( sqlite3_prepare_v2(db, zSql, -1, &p, 0)==SQLITE_OK ){
    bind_args(p, 1, &k->args, 0);
    if( k->zContext ) sqlite3_bind_text(p, k->args.nArg+1, k->zContext, -1, SQLITE_STATIC);
    if( sqlite3_step(p)==SQLITE_ROW ){
      zOut = k->eKind==GC_AUTHORIZE ? gen_fmt("%s", sqlite3_column_int(p, 0) ? "true" : "false")
                                    : gen_fmt("%s", sqlite3_column_text(p, 0));
    }
  }
  sqlite3_finalize(p);
  free(zSql);
  free(zCall);
  sqlite3_close(db);
  return zOut;
}

/* An error message without its position and the names in it: "recursion
** through '*' inside another recursive rule is not supported". */
static char *error_shape(const char *zErr){
  char *z = gen_fmt("%s", zErr), *p = z, *q = z;
  const char *zPos = strstr(z, "diff.polar:");
  int bQuote = 0;
  if( zPos ){
    const char *zEnd = strstr(zPos, ": ");
    if( zEnd ) p = (char*)zEnd + 2;
  }
  for(; *p; p++){
    if( *p=='\'' ){
      if( !bQuote ){ *q++ = '\''; *q++ = '*'; }
      else *q++ = '\'';
      bQuote = !bQuote;
      continue;
    }
    if( bQuote ) continue;
    if( *p==':' ) *q++ = ';';                 /* signatures are ':'-separated */
    else *q++ = *p;
  }
  *q = 0;
  if( (p = strstr(z, "while compiling "))!=0 ) strcpy(p, "while compiling *");
  if( (p = strchr(z, '\n'))!=0 ) *p = 0;
  if( strlen(z)>100 ) z[100] = 0;
  return z;
}

/* Is signature z one of az (shell patterns: `*` any text)? */
static int sig_in(char **az, int n, const char *z){
  int i;
  for(i=0; i<n; i++) if( fnmatch(az[i], z, 0)==0 ) return 1;
  return 0;
}

/* A hint for sorting answers that differ: does the compiled SQL of the
** check (polar_sql) put a wildcard answer ('T:' AS cN) inside a recursive
** CTE, where it is then compared with '=' like any value? That is one
** known way the current compiler goes wrong; a compiler whose SQL looks
** different simply never gets this hint. */
static int sql_hint(const GenCase *c, const GenCheck *k, const DiffOpt *o){
  char *zErr = 0;
  sqlite3 *db = case_open(c, o, 0, &zErr);
  sqlite3_stmt *p = 0;
  char zQ[64] = "";
  int i, r = 0;
  free(zErr);
  if( db==0 ) return 0;
  for(i=0; i<k->args.nArg; i++) snprintf(zQ+strlen(zQ), sizeof(zQ)-strlen(zQ), ", ?%d", i+1);
  zErr = gen_fmt("SELECT polar_sql('%s'%s)", azKind[k->eKind], zQ);
  if( sqlite3_prepare_v2(db, zErr, -1, &p, 0)==SQLITE_OK ){
    bind_args(p, 1, &k->args, 0);
    if( sqlite3_step(p)==SQLITE_ROW ){
      const char *z = (const char*)sqlite3_column_text(p, 0);
      const char *zRec = z ? strstr(z, "WITH RECURSIVE") : 0;
      r = zRec && strstr(zRec, ":' AS c")!=0;
    }
  }
  sqlite3_finalize(p);
  free(zErr);
  sqlite3_close(db);
  return r;
}

static int seen_has(const DiffOpt *o, const char *z){
  int i;
  for(i=0; i<o->nSeen; i++) if( strcmp(o->azSeen[i], z)==0 ) return 1;
  return 0;
}

static void report(DiffOpt *o, GenCase *c, int iCheck, int eCat, const Ans *pC, const Ans *pE,
                   DiffStats *s){
  const GenCheck *k = &c->aCheck[iCheck];
  char *zTags, *zSig;
  int *aItem = malloc(sizeof(int)*(size_t)(c->nItem+1)), *aFact = malloc(sizeof(int)*(size_t)(c->nFact+1)), i;
  if( aItem==0 || aFact==0 ) abort();
  for(i=0; i<c->nItem; i++) aItem[i] = c->aItem[i].bOn;
  for(i=0; i<c->nFact; i++) aFact[i] = c->aFact[i].bOn;
  Ans ac = { R_OK, 0 }, ae = { R_OK, 0 };
  if( o->bMinimize ){
    /* the answers of the cut-down case are the ones to show */
    char *zErr = 0;
    sqlite3 *db;
    minimize(c, k, eCat, o);
    db = case_open(c, o, 0, &zErr);
    free(zErr);
    if( db ){
      ac = ask(db, k, 0);
      ae = ask(db, k, 1);
      sqlite3_close(db);
      if( ac.z && ae.z ){ pC = &ac; pE = &ae; }
    }
  }
  /* an answer that differs is named by the features left in the cut-down
  ** case; a refusal by its message, without positions and names */
  zTags = eCat!=D_ANSWER ? error_shape(eCat==D_COMPILER ? pC->z : pE->z)
        : sql_hint(c, k, o) ? gen_fmt("sql=recursive-wildcard") : gen_tags(c);
  zSig = gen_fmt("%s:%s:%s:%s", c->zFamily, azKind[k->eKind], azCat[eCat], zTags);
  free(zTags);
  if( eCat==D_COMPILER ) s->nCompilerError++;
  if( eCat==D_EVAL ) s->nEvalError++;
  if( sig_in(o->azKnown, o->nKnown, zSig) ){
    s->nKnown++;
  }else if( seen_has(o, zSig) ){
    s->nKnown++;
  }else{
    char *zEval = eval_json(c, k, o);
    FILE *f = o->out;
    s->nNew++;
    o->azSeen = realloc(o->azSeen, sizeof(char*)*(size_t)(o->nSeen+1));
    if( o->azSeen==0 ) abort();
    o->azSeen[o->nSeen++] = gen_fmt("%s", zSig);
    o->nFound++;
    fprintf(f, "\n=== disagreement %d: %s\n", o->nFound, zSig);
    fprintf(f, "found by: %s, check %d (family %s)\n", o->zLabel, iCheck, c->zFamily);
    fprintf(f, "-- compiler:  %s%s\n", pC->eState==R_OK ? "" : "error: ", pC->z[0] ? pC->z : "(nothing)");
    fprintf(f, "-- evaluator: %s%s\n", pE->eState==R_OK ? "" : "error: ", pE->z[0] ? pE->z : "(nothing)");
    fprintf(f, "-- cut down to (sqlite3 :memory: < case.sql):\n");
    diff_print_case(f, c);
    print_check(f, k, 0);
    print_check(f, k, 1);
    if( zEval ) fprintf(f, "-- evaluator's answer as a corpus expectation: %s\n", zEval);
    if( o->zOutDir ){
      int rc = write_files(o, c, k, zSig, pC, pE, zEval);
      if( rc ){
        fprintf(f, "-- NOT written to %s/diff-%d.{polar,json,sql}: %s\n", o->zOutDir, o->nFound, strerror(rc));
      }else{
        fprintf(f, "-- written: %s/diff-%d.{polar,json,sql}\n", o->zOutDir, o->nFound);
      }
    }
    fflush(f);
    free(zEval);
  }
  for(i=0; i<c->nItem; i++) c->aItem[i].bOn = aItem[i];
  for(i=0; i<c->nFact; i++) c->aFact[i].bOn = aFact[i];
  free(aItem); free(aFact);
  free(ac.z); free(ae.z);
  free(zSig);
}

/*--------------------------------------------------------------- api --*/

int diff_case(GenCase *c, DiffOpt *o, DiffStats *s){
  char *zErr = 0;
  sqlite3 *db;
  int i, nNew0 = (int)s->nNew;
  /* one cut-down per (kind, category) and case: the rest of the same kind
  ** in this case are most likely the same bug */
  int aDone[5][4];
  memset(aDone, 0, sizeof(aDone));
  s->nPolicy++;
  db = case_open(c, o, s, &zErr);
  if( db==0 ){
    s->nRefused++;
    if( o->bVerbose ){
      char *zP = gen_policy(c);
      fprintf(o->out, "-- refused (%s): %s\n%s\n", o->zLabel, zErr, zP);
      free(zP);
    }
    free(zErr);
    return 0;
  }
  for(i=0; i<c->nCheck; i++){
    const GenCheck *k = &c->aCheck[i];
    Ans ac = ask(db, k, 0), ae = ask(db, k, 1);
    int eWhy, eCat = compare(&ac, &ae, &eWhy);
    s->nCheck++;
    if( eCat==D_SAME ){
      if( eWhy==W_AGREE ) s->nAgree++;
      else if( eWhy==W_BOTH ) s->nBothError++;
      else if( ac.eState==R_LIMIT ) s->nLimitCompiler++;
      else s->nLimitEval++;
      if( o->bVerbose && eWhy!=W_AGREE ){
        fprintf(o->out, "-- %s check %d: compiler: %s | evaluator: %s\n", o->zLabel, i,
                ac.eState==R_OK ? "(answer)" : ac.z, ae.eState==R_OK ? "(answer)" : ae.z);
      }
    }else{
      s->nDisagree++;
      if( aDone[k->eKind][eCat] ){
        s->nKnown++;
        if( eCat==D_COMPILER ) s->nCompilerError++;
        if( eCat==D_EVAL ) s->nEvalError++;
      }else{
        aDone[k->eKind][eCat] = 1;
        report(o, c, i, eCat, &ac, &ae, s);
      }
    }
    free(ac.z); free(ae.z);
  }
  sqlite3_close(db);
  return (int)s->nNew - nNew0;
}

int diff_known_load(DiffOpt *o, const char *zFile){
  FILE *f = fopen(zFile, "r");
  char zLine[4096];
  if( f==0 ) return 1;
  while( fgets(zLine, sizeof(zLine), f) ){
    char *z = zLine, *zEnd;
    char *zHash = strchr(z, '#');
    if( zHash ) *zHash = 0;
    while( *z==' ' || *z=='\t' ) z++;
    zEnd = z + strlen(z);
    while( zEnd>z && (zEnd[-1]=='\n' || zEnd[-1]==' ' || zEnd[-1]=='\t' || zEnd[-1]=='\r') ) *--zEnd = 0;
    if( *z==0 ) continue;
    o->azKnown = realloc(o->azKnown, sizeof(char*)*(size_t)(o->nKnown+1));
    if( o->azKnown==0 ) abort();
    o->azKnown[o->nKnown++] = gen_fmt("%s", z);
  }
  fclose(f);
  return 0;
}

void diff_opt_free(DiffOpt *o){
  int i;
  for(i=0; i<o->nKnown; i++) free(o->azKnown[i]);
  for(i=0; i<o->nSeen; i++) free(o->azSeen[i]);
  free(o->azKnown);
  free(o->azSeen);
  o->azKnown = o->azSeen = 0;
  o->nKnown = o->nSeen = 0;
}
