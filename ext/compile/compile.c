/*
** compile.c — the compiler's entry point: a goal in, the SQL of its check
** out (plan.c plans, emit.c writes), and the units that SQL calls.
**
**   pl_compile(pol, lim, &units, "allow", 3, goal, 0, 0, &zSql, &zErr)
**     -> (EXISTS(SELECT 1 FROM "polar_f_has_role_3" AS t1 WHERE ...) OR ...)
**
** Units (plan.c) are kept per connection in a PlUnits registry and shared
** by every statement of the connection that calls the same shape; a
** compile that fails leaves the registry as it found it.
*/
#include "pl_int.h"
#include <string.h>

void pl_units_clear(PlUnits *p){
  int i;
  for(i=0; i<p->n; i++){
    sqlite3_free(p->a[i].zKey);
    sqlite3_free(p->a[i].zBase);
    sqlite3_free(p->a[i].zRec);
  }
  sqlite3_free(p->a);
  memset(p, 0, sizeof(*p));
}

/* Drop the units from n0 on (a compile that failed). */
static void units_truncate(PlUnits *p, int n0){
  int i;
  for(i=n0; i<p->n; i++){
    sqlite3_free(p->a[i].zKey);
    sqlite3_free(p->a[i].zBase);
    sqlite3_free(p->a[i].zRec);
  }
  if( n0<p->n ) p->n = n0;
}

int pl_compile(const PlPolicy *p, const PlLimits *pLim, PlUnits *pUnits,
               const char *zPred, int nArg, const PlGoalArg *aArg,
               int bRows, int bContext, char **pzSql, char **pzErr){
  PlArena *A = pl_arena_new();
  PlPlanOut out;
  sqlite3_str *s;
  char *zSql = 0, *zErr = 0;
  int rc, n0 = pUnits->n;
  *pzSql = 0;
  *pzErr = 0;
  if( A==0 ) return SQLITE_NOMEM;
  if( pl_limit(pLim, PL_LIMIT_COMPILE_MEMORY) < (sqlite3_int64)(SIZE_MAX/2) ){
    pl_arena_cap(A, (size_t)pl_limit(pLim, PL_LIMIT_COMPILE_MEMORY));
  }
  rc = pl_plan(p, A, pUnits, bContext, zPred, nArg, aArg, bRows, &out, &zErr);
  if( rc==SQLITE_OK ){
    int k, nOpen = 0;
    s = sqlite3_str_new(0);
    if( bRows ){
      if( out.nQuery==0 ){
        for(k=0; k<nArg; k++) if( aArg[k].eKind==PL_GA_OPEN ) nOpen++;
        sqlite3_str_appendall(s, "SELECT ");
        if( nOpen==0 ) sqlite3_str_appendall(s, "1 AS c0");
        for(k=0; k<nOpen; k++) sqlite3_str_appendf(s, "%sNULL AS c%d", k?", ":"", k+1);
        sqlite3_str_appendall(s, " WHERE 0");
      }else{
        pl_emit_union(s, p, bContext, out.aQuery, out.nQuery,
                      bRows==2 ? " UNION ALL " : " UNION ", "c");
      }
    }else if( out.bTrue ){
      sqlite3_str_appendall(s, "1");
    }else{
      PlQCond c;
      memset(&c, 0, sizeof(c));
      c.eKind = PC_EXISTS;
      c.aSub = out.aQuery;
      c.nSub = out.nQuery;
      pl_emit_cond(s, p, bContext, &c);
    }
    zSql = sqlite3_str_finish(s);
    if( zSql==0 ) rc = SQLITE_NOMEM;
  }
  if( rc==SQLITE_NOMEM && pl_arena_capped(A) ){
    /* not the system's memory: the compile_memory limit */
    char *zWhat = sqlite3_mprintf("%s: compiling %s/%d for this call needs too much "
                                  "memory", p->zFile, zPred, nArg);
    sqlite3_free(zErr);
    zErr = zWhat ? pl_limit_error(pLim, PL_LIMIT_COMPILE_MEMORY, zWhat) : 0;
    if( zErr ) rc = SQLITE_ERROR;
    sqlite3_free(zWhat);
  }
  pl_arena_free(A);
  if( rc!=SQLITE_OK ){
    units_truncate(pUnits, n0);
    sqlite3_free(zSql);
    *pzErr = zErr ? zErr : sqlite3_mprintf("out of memory while compiling");
    return rc;
  }
  sqlite3_free(zErr);
  *pzSql = zSql;
  return SQLITE_OK;
}

/* Append to aSeen every unit zText calls ("polar_call(N"). */
static void units_called(const char *zText, unsigned char *aSeen, int nUnit, int *aOrder,
                         int *pnOrder){
  const char *z = zText;
  while( z && (z = strstr(z, "polar_call("))!=0 ){
    int id = 0;
    z += 11;
    while( *z>='0' && *z<='9' ){ id = id*10 + (*z - '0'); z++; }
    if( id<nUnit && !aSeen[id] ){
      aSeen[id] = 1;
      aOrder[(*pnOrder)++] = id;
    }
  }
}

char *pl_units_explain(const PlUnits *p, const char *zSql){
  sqlite3_str *s = sqlite3_str_new(0);
  unsigned char *aSeen = sqlite3_malloc64((size_t)p->n + 1);
  int *aOrder = sqlite3_malloc64(sizeof(int)*((size_t)p->n + 1));
  int nOrder = 0, i;
  sqlite3_str_appendall(s, zSql);
  if( aSeen==0 || aOrder==0 ){
    sqlite3_free(aSeen);
    sqlite3_free(aOrder);
    sqlite3_free(sqlite3_str_finish(s));
    return 0;
  }
  memset(aSeen, 0, (size_t)p->n + 1);
  units_called(zSql, aSeen, p->n, aOrder, &nOrder);
  for(i=0; i<nOrder; i++){
    const PlUnit *u = &p->a[aOrder[i]];
    units_called(u->zBase, aSeen, p->n, aOrder, &nOrder);
    units_called(u->zRec, aSeen, p->n, aOrder, &nOrder);
    sqlite3_str_appendf(s, "\n-- unit %d: %d bound value%s (?1..), %d answer column%s "
                        "(o1..)\n", aOrder[i], u->nIn, u->nIn==1 ? "" : "s",
                        u->nOut, u->nOut==1 ? "" : "s");
    if( u->zBase ) sqlite3_str_appendf(s, "%s;\n", u->zBase);
    if( u->zRec ) sqlite3_str_appendf(s, "-- and, until no new answer:\n%s;\n", u->zRec);
  }
  sqlite3_free(aSeen);
  sqlite3_free(aOrder);
  return sqlite3_str_finish(s);
}
