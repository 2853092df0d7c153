/*
** emit.c — a plan (plan.c) written as SQL text.
**
** Values keep the storage encoding (pl_int.h): a constant is written as
** an SQL literal ('Repository:anvil', 42), a bound value as a parameter
** (?1), a column as tN.aK (a fact table), tN.oK (a unit's answers,
** polar_call) or tN.v (a type's domain). Policy text reaches SQL only
** through %Q and %w; every value a user gives is a parameter.
**
** Joins keep the plan's order (CROSS JOIN): the plan puts bound values
** first, and without statistics SQLite would often start from an equality
** on a policy constant ('String:parent') and scan every fact of that name.
**
** SQLite's parser and limits shape the text: long AND/OR lists are written
** as balanced trees (a chain of N is an expression N deep, and
** SQLITE_MAX_EXPR_DEPTH is 1000), and long UNIONs in groups of at most
** PL_UNION_FLAT_MAX (SQLITE_MAX_COMPOUND_SELECT is 500). Nesting —
** subqueries inside subqueries — is what fills the parser's fixed stack in
** SQLite 3.40 (100 entries, about 9 levels of EXISTS): plan.c keeps it
** shallow by turning deep calls into units.
*/
#include "pl_int.h"
#include <string.h>

#define PL_LIST_FLAT_MAX   64    /* AND/OR terms written flat */
#define PL_UNION_FLAT_MAX 400    /* SELECTs in one compound */

/* Aliases as written: renumbered by first appearance in canonical mode. */
typedef struct Emit {
  sqlite3_str *s;
  const PlPolicy *p;
  int bContext;
  int bCanon;
  int aMap[256], nMap;       /* canonical: alias -> local number */
} Emit;

static void emit_query(Emit*, const PlQuery*, const char *zColPrefix);
static void emit_cond(Emit*, const PlQCond*);

static int alias_no(Emit *e, int iAlias){
  int i;
  if( !e->bCanon ) return iAlias;
  for(i=0; i<e->nMap; i++) if( e->aMap[i]==iAlias ) return i+1;
  if( e->nMap<(int)(sizeof(e->aMap)/sizeof(e->aMap[0])) ){
    e->aMap[e->nMap++] = iAlias;
    return e->nMap;
  }
  return 1000000 + iAlias;    /* too many to map: never equal to another */
}

static void emit_const(Emit *e, const PlConst *c){
  if( c->iType==PL_TYPE_INTEGER ){
    sqlite3_str_appendf(e->s, "%lld", (long long)c->i);
  }else{
    sqlite3_str_appendf(e->s, "'%q:%.*q'", e->p->aType[c->iType].zName, c->n, c->z);
  }
}

static void emit_expr(Emit *e, const PlQExpr *x){
  switch( x->eKind ){
    case PE_PARAM: sqlite3_str_appendf(e->s, "?%d", x->i); break;
    case PE_CONST: emit_const(e, &x->c); break;
    case PE_NOW:   sqlite3_str_appendall(e->s, "polar_now()"); break;
    case PE_WILD:  sqlite3_str_appendf(e->s, "'%q:'", e->p->aType[x->iType].zName); break;
    case PE_COL:
      if( x->eFrom==PF_DOMAIN ){
        sqlite3_str_appendf(e->s, "t%d.v", alias_no(e, x->iFrom));
      }else{
        sqlite3_str_appendf(e->s, "t%d.%c%d", alias_no(e, x->iFrom),
                            x->eFrom==PF_CALL ? 'o' : 'a', x->i);
      }
      break;
  }
}

/* "expression holds a value of one of the types in ts", for an expression
** that can hold the types colTs (nothing when every such value is in ts). */
static void emit_type_filter(Emit *e, const PlQExpr *x, const PlTypeSet *ts,
                             const PlTypeSet *colTs){
  PlTypeSet need = *colTs;
  int t, n = 0, nTotal;
  pl_ts_and(&need, ts);
  nTotal = pl_ts_count(&need);
  if( nTotal==0 ){ sqlite3_str_appendall(e->s, "0"); return; }
  if( nTotal>1 ) sqlite3_str_appendall(e->s, "(");
  for(t=pl_ts_first(&need); t>=0; t=pl_ts_next(&need, t)){
    if( n++ ) sqlite3_str_appendall(e->s, " OR ");
    if( t==PL_TYPE_INTEGER ){
      sqlite3_str_appendall(e->s, "typeof(");
      emit_expr(e, x);
      sqlite3_str_appendall(e->s, ")='integer'");
    }else{
      const char *zT = e->p->aType[t].zName;
      /* unary + keeps the planner from turning this range into the index
      ** constraint of a join (SQLite 3.40 would then scan a whole type's
      ** range per row instead of probing by equality) */
      sqlite3_str_appendall(e->s, "(+");
      emit_expr(e, x);
      sqlite3_str_appendf(e->s, ">='%q:' AND +", zT);
      emit_expr(e, x);
      sqlite3_str_appendf(e->s, "<'%q;')", zT);
    }
  }
  if( nTotal>1 ) sqlite3_str_appendall(e->s, ")");
}

/* Does a type filter on x (types ts, x holding colTs) say anything? */
static int type_filter_needed(const PlTypeSet *ts, const PlTypeSet *colTs){
  PlTypeSet need = *colTs;
  pl_ts_and(&need, ts);
  return memcmp(&need, colTs, sizeof(need))!=0;
}

/* Where the facts of predicate iPred come from: its table, plus (in checks
** with context) the context facts, plus the application tables bound with
** polar_bind. */
static void emit_fact_source(Emit *e, int iPred){
  const PlPred *pr = &e->p->aPred[iPred];
  char *zTab = pl_store_table_name(pr->zName, pr->nArg);
  int k, i, nArm = e->bContext;
  for(i=0; i<e->p->nBinding; i++) if( e->p->aBinding[i].iPred==iPred ) nArm++;
  if( zTab==0 ){
    sqlite3_str_appendall(e->s, "\"?\"");   /* OOM: the string reports it */
    return;
  }
  if( nArm==0 ){
    sqlite3_str_appendf(e->s, "\"%w\"", zTab);
    sqlite3_free(zTab);
    return;
  }
  sqlite3_str_appendall(e->s, "(SELECT ");
  for(k=1; k<=pr->nArg; k++) sqlite3_str_appendf(e->s, "%sa%d", k>1?",":"", k);
  sqlite3_str_appendf(e->s, " FROM \"%w\"", zTab);
  if( e->bContext ){
    sqlite3_str_appendall(e->s, " UNION ALL SELECT ");
    for(k=1; k<=pr->nArg; k++) sqlite3_str_appendf(e->s, "%sa%d", k>1?",":"", k);
    sqlite3_str_appendf(e->s, " FROM polar_context WHERE predicate=%Q AND arity=%d",
                        pr->zName, pr->nArg);
  }
  for(i=0; i<e->p->nBinding; i++){
    if( e->p->aBinding[i].iPred!=iPred ) continue;
    sqlite3_str_appendf(e->s, " UNION ALL %s", e->p->aBinding[i].zArm);
  }
  sqlite3_str_appendall(e->s, ")");
  sqlite3_free(zTab);
}

/* Every stored value of the types ts, once per place it is stored: the
** facts' columns that can hold one, filtered by type (context facts too). */
static void emit_domain(Emit *e, const PlTypeSet *ts){
  int i, k, n = 0;
  sqlite3_str_appendall(e->s, "(");
  for(i=0; i<e->p->nPred; i++){
    const PlPred *pr = &e->p->aPred[i];
    if( !pr->bStored ) continue;
    for(k=0; k<pr->nArg; k++){
      PlTypeSet t = pr->aStoreTs[k];
      PlQExpr x;
      pl_ts_and(&t, ts);
      if( pl_ts_empty(&t) ) continue;
      if( n++ ) sqlite3_str_appendall(e->s, " UNION ALL ");
      sqlite3_str_appendf(e->s, "SELECT d.a%d AS v FROM ", k+1);
      emit_fact_source(e, i);
      sqlite3_str_appendall(e->s, " AS d");
      memset(&x, 0, sizeof(x));
      x.eKind = PE_PARAM;     /* placeholder: written as d.aK below */
      if( type_filter_needed(ts, &pr->aStoreTs[k]) ){
        /* the filter on d.aK, written by hand: emit_expr knows no "d" */
        int t2, m = 0;
        PlTypeSet need = pr->aStoreTs[k];
        pl_ts_and(&need, ts);
        sqlite3_str_appendall(e->s, " WHERE ");
        for(t2=pl_ts_first(&need); t2>=0; t2=pl_ts_next(&need, t2)){
          if( m++ ) sqlite3_str_appendall(e->s, " OR ");
          if( t2==PL_TYPE_INTEGER ){
            sqlite3_str_appendf(e->s, "typeof(d.a%d)='integer'", k+1);
          }else{
            sqlite3_str_appendf(e->s, "(d.a%d>='%q:' AND d.a%d<'%q;')", k+1,
                                e->p->aType[t2].zName, k+1, e->p->aType[t2].zName);
          }
        }
      }
    }
  }
  if( n==0 ) sqlite3_str_appendall(e->s, "SELECT NULL AS v WHERE 0");
  sqlite3_str_appendall(e->s, ")");
}

static void emit_from(Emit *e, const PlQFrom *f){
  int k;
  switch( f->eKind ){
    case PF_FACT:
      emit_fact_source(e, f->iPred);
      break;
    case PF_CALL:
      sqlite3_str_appendf(e->s, "polar_call(%d", f->iUnit);
      for(k=0; k<f->nArg; k++){
        sqlite3_str_appendall(e->s, ", ");
        emit_expr(e, &f->aArg[k]);
      }
      sqlite3_str_appendall(e->s, ")");
      break;
    case PF_DOMAIN:
      emit_domain(e, &f->ts);
      break;
  }
  sqlite3_str_appendf(e->s, " AS t%d", alias_no(e, f->iAlias));
}

static void emit_labels(Emit *e, const PlQCond *c){
  int i;
  if( c->nLab==1 ){
    emit_expr(e, &c->a);
    sqlite3_str_appendall(e->s, "=");
    emit_const(e, &c->aLab[0]);
    return;
  }
  /* As an index constraint, IN over a list makes SQLite 3.40 build an
  ** ephemeral table on every run; as a filter after an index probe on the
  ** other columns it costs a few comparisons. */
  if( c->bNoIndex ) sqlite3_str_appendall(e->s, "+");
  emit_expr(e, &c->a);
  sqlite3_str_appendall(e->s, " IN (");
  for(i=0; i<c->nLab; i++){
    if( i ) sqlite3_str_appendall(e->s, ",");
    emit_const(e, &c->aLab[i]);
  }
  sqlite3_str_appendall(e->s, ")");
}

static void emit_notfact(Emit *e, const PlQCond *c){
  const PlPred *pr = &e->p->aPred[c->iPred];
  int k, n = 0;
  sqlite3_str_appendall(e->s, c->bExists ? "EXISTS(SELECT 1 FROM " : "NOT EXISTS(SELECT 1 FROM ");
  emit_fact_source(e, c->iPred);
  sqlite3_str_appendall(e->s, " AS n WHERE ");
  for(k=0; k<pr->nArg; k++){
    if( c->mArg & (1u<<k) ){
      if( n++ ) sqlite3_str_appendall(e->s, " AND ");
      sqlite3_str_appendf(e->s, "n.a%d=", k+1);
      emit_expr(e, &c->aArg[k]);
    }else if( !pl_ts_empty(&c->aArgTs[k])
           && type_filter_needed(&c->aArgTs[k], &pr->aStoreTs[k]) ){
      PlTypeSet need = pr->aStoreTs[k];
      int t, m = 0;
      pl_ts_and(&need, &c->aArgTs[k]);
      if( n++ ) sqlite3_str_appendall(e->s, " AND ");
      if( pl_ts_empty(&need) ){ sqlite3_str_appendall(e->s, "0"); continue; }
      sqlite3_str_appendall(e->s, "(");
      for(t=pl_ts_first(&need); t>=0; t=pl_ts_next(&need, t)){
        if( m++ ) sqlite3_str_appendall(e->s, " OR ");
        if( t==PL_TYPE_INTEGER ){
          sqlite3_str_appendf(e->s, "typeof(n.a%d)='integer'", k+1);
        }else{
          sqlite3_str_appendf(e->s, "(+n.a%d>='%q:' AND +n.a%d<'%q;')", k+1,
                              e->p->aType[t].zName, k+1, e->p->aType[t].zName);
        }
      }
      sqlite3_str_appendall(e->s, ")");
    }
  }
  if( n==0 ) sqlite3_str_appendall(e->s, "1");
  sqlite3_str_appendall(e->s, ")");
}

/* A query used as a condition: EXISTS(SELECT 1 ...), or its conditions
** alone when it reads no table. */
static void emit_exists_arm(Emit *e, const PlQuery *q){
  if( q->pFrom==0 ){
    const PlQCond *c;
    int n = 0;
    for(c=q->pCond; c; c=c->pNext) n++;
    if( n==0 ){ sqlite3_str_appendall(e->s, "1"); return; }
    {
      const PlQCond *aStack[64];
      const PlQCond **aC = n<=64 ? aStack : sqlite3_malloc64(sizeof(PlQCond*)*(size_t)n);
      int i = n;
      if( aC==0 ){ sqlite3_str_appendall(e->s, "0"); return; }
      for(c=q->pCond; c; c=c->pNext) aC[--i] = c;
      sqlite3_str_appendall(e->s, "(");
      pl_emit_conds(e->s, e->p, e->bContext, aC, n, " AND ");
      sqlite3_str_appendall(e->s, ")");
      if( aC!=aStack ) sqlite3_free((void*)aC);
    }
    return;
  }
  sqlite3_str_appendall(e->s, "EXISTS(");
  emit_query(e, q, 0);
  sqlite3_str_appendall(e->s, ")");
}

static void emit_cond(Emit *e, const PlQCond *c){
  static const char *azOp[] = { "", "=", "<>", "<", "<=", ">", ">=" };
  int i;
  switch( c->eKind ){
    case PC_EQ:
      emit_expr(e, &c->a);
      sqlite3_str_appendall(e->s, "=");
      emit_expr(e, &c->b);
      break;
    case PC_CMP:
      sqlite3_str_appendall(e->s, "(");
      emit_expr(e, &c->a);
      sqlite3_str_appendf(e->s, " %s ", azOp[c->eCmp]);
      emit_expr(e, &c->b);
      sqlite3_str_appendall(e->s, ")");
      break;
    case PC_IN:
      emit_expr(e, &c->a);
      sqlite3_str_appendall(e->s, " IN (");
      for(i=0; i<c->nList; i++){
        if( i ) sqlite3_str_appendall(e->s, ",");
        emit_expr(e, &c->aList[i]);
      }
      sqlite3_str_appendall(e->s, ")");
      break;
    case PC_LABELS:
      emit_labels(e, c);
      break;
    case PC_TYPE:
      emit_type_filter(e, &c->a, &c->ts, &c->colTs);
      break;
    case PC_NOTFACT:
      emit_notfact(e, c);
      break;
    case PC_EXISTS:
      if( c->nSub==0 ){ sqlite3_str_appendall(e->s, "0"); break; }
      if( c->nSub==1 ){ emit_exists_arm(e, c->aSub[0]); break; }
      {
        /* OR of the arms, balanced when long */
        PlQCond *aArm = sqlite3_malloc64(sizeof(PlQCond)*(size_t)c->nSub);
        const PlQCond **ap = sqlite3_malloc64(sizeof(PlQCond*)*(size_t)c->nSub);
        if( aArm==0 || ap==0 ){
          sqlite3_free(aArm); sqlite3_free((void*)ap);
          sqlite3_str_appendall(e->s, "0");
          break;
        }
        for(i=0; i<c->nSub; i++){
          memset(&aArm[i], 0, sizeof(PlQCond));
          aArm[i].eKind = PC_EXISTS;
          aArm[i].aSub = &c->aSub[i];
          aArm[i].nSub = 1;
          ap[i] = &aArm[i];
        }
        sqlite3_str_appendall(e->s, "(");
        pl_emit_conds(e->s, e->p, e->bContext, ap, c->nSub, " OR ");
        sqlite3_str_appendall(e->s, ")");
        sqlite3_free(aArm);
        sqlite3_free((void*)ap);
      }
      break;
    case PC_FALSE:
      sqlite3_str_appendall(e->s, "0");
      break;
  }
}

static void conds_range(Emit *e, const PlQCond **aC, int i, int j, const char *zSep){
  int n = j - i;
  if( n<=0 ) return;
  if( n<=PL_LIST_FLAT_MAX ){
    int k;
    for(k=i; k<j; k++){
      if( k>i ) sqlite3_str_appendall(e->s, zSep);
      emit_cond(e, aC[k]);
    }
    return;
  }
  sqlite3_str_appendall(e->s, "(");
  conds_range(e, aC, i, i + n/2, zSep);
  sqlite3_str_appendall(e->s, ")");
  sqlite3_str_appendall(e->s, zSep);
  sqlite3_str_appendall(e->s, "(");
  conds_range(e, aC, i + n/2, j, zSep);
  sqlite3_str_appendall(e->s, ")");
}

static void emit_query(Emit *e, const PlQuery *q, const char *zColPrefix){
  const PlQFrom *f;
  const PlQCond *c;
  int i, nFrom = 0, nCond = 0;
  sqlite3_str_appendall(e->s, "SELECT ");
  if( q->nProj==0 || zColPrefix==0 ){
    sqlite3_str_appendall(e->s, "1");
    if( zColPrefix ) sqlite3_str_appendf(e->s, " AS %s0", zColPrefix);
  }
  for(i=0; zColPrefix && i<q->nProj; i++){
    if( i ) sqlite3_str_appendall(e->s, ", ");
    emit_expr(e, &q->aProj[i]);
    sqlite3_str_appendf(e->s, " AS %s%d", zColPrefix, i+1);
  }
  for(f=q->pFrom; f; f=f->pNext) nFrom++;
  for(c=q->pCond; c; c=c->pNext) nCond++;
  if( nFrom ){
    const PlQFrom *aStack[64];
    const PlQFrom **aF = nFrom<=64 ? aStack : sqlite3_malloc64(sizeof(PlQFrom*)*(size_t)nFrom);
    if( aF==0 ) return;
    i = nFrom;
    for(f=q->pFrom; f; f=f->pNext) aF[--i] = f;
    sqlite3_str_appendall(e->s, " FROM ");
    for(i=0; i<nFrom; i++){
      if( i ) sqlite3_str_appendall(e->s, " CROSS JOIN ");
      emit_from(e, aF[i]);
    }
    if( aF!=aStack ) sqlite3_free((void*)aF);
  }
  if( nCond ){
    const PlQCond *aStack[64];
    const PlQCond **aC = nCond<=64 ? aStack : sqlite3_malloc64(sizeof(PlQCond*)*(size_t)nCond);
    if( aC==0 ) return;
    i = nCond;
    for(c=q->pCond; c; c=c->pNext) aC[--i] = c;
    sqlite3_str_appendall(e->s, " WHERE ");
    conds_range(e, aC, 0, nCond, " AND ");
    if( aC!=aStack ) sqlite3_free((void*)aC);
  }
}

static void emit_init(Emit *e, sqlite3_str *s, const PlPolicy *p, int bContext, int bCanon){
  memset(e, 0, sizeof(*e));
  e->s = s; e->p = p; e->bContext = bContext; e->bCanon = bCanon;
}

void pl_emit_query(sqlite3_str *s, const PlPolicy *p, int bContext, const PlQuery *q,
                   const char *zColPrefix, int bCanon){
  Emit e;
  emit_init(&e, s, p, bContext, bCanon);
  emit_query(&e, q, zColPrefix);
}

void pl_emit_cond(sqlite3_str *s, const PlPolicy *p, int bContext, const PlQCond *c){
  Emit e;
  emit_init(&e, s, p, bContext, 0);
  emit_cond(&e, c);
}

void pl_emit_conds(sqlite3_str *s, const PlPolicy *p, int bContext, const PlQCond **aC,
                   int nC, const char *zSep){
  Emit e;
  emit_init(&e, s, p, bContext, 0);
  conds_range(&e, aC, 0, nC, zSep);
}

static void union_range(sqlite3_str *s, const PlPolicy *p, int bContext, PlQuery **aQ,
                        int i, int j, const char *zOp, const char *zColPrefix){
  int n = j - i, k;
  if( n<=PL_UNION_FLAT_MAX ){
    for(k=i; k<j; k++){
      if( k>i ) sqlite3_str_appendall(s, zOp);
      pl_emit_query(s, p, bContext, aQ[k], zColPrefix, 0);
    }
    return;
  }
  {
    int per = (n + PL_UNION_FLAT_MAX - 1)/PL_UNION_FLAT_MAX;
    for(k=i; k<j; k+=per){
      if( k>i ) sqlite3_str_appendall(s, zOp);
      sqlite3_str_appendall(s, "SELECT * FROM (");
      union_range(s, p, bContext, aQ, k, k+per<j ? k+per : j, zOp, zColPrefix);
      sqlite3_str_appendall(s, ")");
    }
  }
}

void pl_emit_union(sqlite3_str *s, const PlPolicy *p, int bContext, PlQuery **aQ, int nQ,
                   const char *zOp, const char *zColPrefix){
  union_range(s, p, bContext, aQ, 0, nQ, zOp, zColPrefix);
}
