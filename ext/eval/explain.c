/*
** explain.c — why a goal holds or not, as a tree of rows (polar_explain).
**
** The goal is evaluated by eval.c with justifications kept: every answer
** remembers the rule and the answers it was first derived from (or the
** fact it is). Answers found earlier never depend on later ones, so
** following justifications always ends.
**
** Holds: the proof of the first answer found, a row per goal (with the
** rule that proved it, its file:line:col and source text), per fact, and
** per condition (a comparison, `in`, `=` or `not`), children one level
** deeper. A rule's answer may be more general than its use (a policy fact
** with a wildcard); each level is shown with the caller's values put in.
**
** Does not hold: every rule whose head matches the goal ("tried"), with
** the conditions that held and the first that failed, found by walking the
** body in source order (conditions wait until their variables are bound)
** and keeping the branch that got furthest. A failed call is explained in
** turn: the fact that would have made it hold ("missing") if the predicate
** is stored, and the rules that could have derived it. A goal explained
** once is not explained again ("seen"), so cycles in the data end.
**
** Bounds: explain_depth cuts deeper branches, explain_rows stops the tree,
** and the evaluation's limits (steps, eval_memory, eval_depth) stop it the
** same way; the last row then says which limit did. Any other error of
** the evaluation stops it too, with the error as the last row (kind
** "error").
**
** Open values: a condition on a value a rule left open (a wildcard) says
** in a comment whether the value ranged over its domain or stayed open
** (docs/compiler.md, "Rules that leave a value open"; ex_cond).
*/
#include "pl_int.h"
#include <string.h>

#define EX_SEARCH_MAX 5000    /* branches tried per rule when a goal fails */

typedef struct Ex {
  PlEval *x;
  const PlPolicy *p;
  const PlLimits *pLim;
  PlExplain *pOut;
  sqlite3_int64 nMaxRows, nMaxDepth;
  int bStop;                  /* a limit stopped the tree */
  int iLimit;                 /* which (PL_LIMIT_...), or -1 */
  int bDepthCut;
  int *aLine; int nLine;      /* offsets of the policy's line starts */
  char **azSeen; int nSeen, nSeenAlloc;   /* goals explained as failing */
  char *zStop;                /* an evaluation error that stopped the tree */
  int rc;
} Ex;

/*------------------------------------------------------------- rows ----*/

static void ex_oom(Ex *e){ if( e->rc==SQLITE_OK ) e->rc = SQLITE_NOMEM; e->bStop = 1; }

/* Append a row; takes zText, zAt and zRule (sqlite3_malloc'd). */
static void ex_row(Ex *e, int iDepth, int eHolds, const char *zKind,
                   char *zText, char *zAt, char *zRule){
  PlExplain *o = e->pOut;
  PlExplainRow *r;
  if( e->bStop || zText==0 ){
    if( zText==0 ) ex_oom(e);
    sqlite3_free(zText); sqlite3_free(zAt); sqlite3_free(zRule);
    return;
  }
  if( o->nRow >= e->nMaxRows ){
    e->bStop = 1;
    e->iLimit = PL_LIMIT_EXPLAIN_ROWS;
    sqlite3_free(zText); sqlite3_free(zAt); sqlite3_free(zRule);
    return;
  }
  if( o->nRow>=o->nAlloc ){
    int nNew = o->nAlloc ? o->nAlloc*2 : 32;
    PlExplainRow *a = sqlite3_realloc64(o->aRow, sizeof(PlExplainRow)*(size_t)nNew);
    if( a==0 ){
      ex_oom(e);
      sqlite3_free(zText); sqlite3_free(zAt); sqlite3_free(zRule);
      return;
    }
    o->aRow = a;
    o->nAlloc = nNew;
  }
  r = &o->aRow[o->nRow++];
  r->iDepth = iDepth;
  r->eHolds = eHolds;
  r->zKind = zKind;
  r->zText = zText;
  r->zAt = zAt;
  r->zRule = zRule;
}

/* Stop when the evaluation has: a limit, or another error of the
** evaluation met while explaining some subgoal, becomes the last row; only
** running out of memory fails the call. */
static int ex_check(Ex *e){
  const char *zErr = 0;
  int iLimit, rc;
  if( e->bStop ) return 1;
  rc = pl_eval_error(e->x, &zErr);
  if( rc==SQLITE_OK ) return 0;
  iLimit = pl_eval_limit_hit(e->x);
  e->bStop = 1;
  if( iLimit>=0 ){
    e->iLimit = iLimit;
  }else if( rc==SQLITE_NOMEM || zErr==0 ){
    if( e->rc==SQLITE_OK ) e->rc = rc;
  }else if( e->zStop==0 ){
    e->zStop = sqlite3_mprintf("%s", zErr);
    if( e->zStop==0 && e->rc==SQLITE_OK ) e->rc = SQLITE_NOMEM;
  }
  return 1;
}

/*------------------------------------------------------- Polar text ----*/

static void ex_string(sqlite3_str *s, const char *z, int n){
  int i;
  sqlite3_str_appendchar(s, 1, '"');
  for(i=0; i<n; i++){
    char c = z[i];
    if( c=='"' || c=='\\' ) sqlite3_str_appendchar(s, 1, '\\');
    if( c=='\n' ) sqlite3_str_appendall(s, "\\n");
    else if( c=='\t' ) sqlite3_str_appendall(s, "\\t");
    else if( c=='\r' ) sqlite3_str_appendall(s, "\\r");
    else sqlite3_str_appendchar(s, 1, c);
  }
  sqlite3_str_appendchar(s, 1, '"');
}

static void ex_value(Ex *e, sqlite3_str *s, const PlValue *v){
  switch( v->iType ){
    case PL_TYPE_INTEGER: sqlite3_str_appendf(s, "%lld", (long long)v->i); break;
    case PL_TYPE_BOOLEAN: sqlite3_str_appendall(s, v->i ? "true" : "false"); break;
    case PL_TYPE_STRING:  ex_string(s, v->z, v->n); break;
    default:
      sqlite3_str_appendf(s, "%s{", pl_policy_type_name(e->p, v->iType));
      ex_string(s, v->z, v->n);
      sqlite3_str_appendchar(s, 1, '}');
      break;
  }
}

/* An unbound variable: `_`, with its type when it has only one. */
static void ex_unbound(Ex *e, sqlite3_str *s, const PlTypeSet *ts){
  sqlite3_str_appendchar(s, 1, '_');
  if( pl_ts_count(ts)==1 ){
    sqlite3_str_appendf(s, ": %s", pl_policy_type_name(e->p, pl_ts_first(ts)));
  }
}

static void ex_term(Ex *e, sqlite3_str *s, const ECell *aEnv, const PlITerm *t){
  PlValue v;
  int i;
  if( t->eKind==PL_IT_NOW ){
    sqlite3_str_appendall(s, "@current_unix_time");
  }else if( pl_eval_term(e->x, aEnv, t, &v, &i) ){
    ex_value(e, s, &v);
  }else{
    ex_unbound(e, s, &aEnv[i].ts);
  }
}

static char *ex_lit(Ex *e, const ECell *aEnv, const PlLit *l){
  static const char *azCmp[] = { "?", "==", "!=", "<", "<=", ">", ">=" };
  sqlite3_str *s = sqlite3_str_new(0);
  int k;
  switch( l->eKind ){
    case PL_LIT_CALL: case PL_LIT_NOTCALL:
      sqlite3_str_appendf(s, "%s%s(", l->eKind==PL_LIT_NOTCALL ? "not " : "",
                          e->p->aPred[l->iPred].zName);
      for(k=0; k<l->nArg; k++){
        if( k ) sqlite3_str_appendall(s, ", ");
        ex_term(e, s, aEnv, &l->aArg[k]);
      }
      sqlite3_str_appendchar(s, 1, ')');
      break;
    case PL_LIT_IN:
      ex_term(e, s, aEnv, &l->aArg[0]);
      sqlite3_str_appendall(s, " in [");
      for(k=1; k<l->nArg; k++){
        if( k>1 ) sqlite3_str_appendall(s, ", ");
        ex_term(e, s, aEnv, &l->aArg[k]);
      }
      sqlite3_str_appendchar(s, 1, ']');
      break;
    default:
      ex_term(e, s, aEnv, &l->aArg[0]);
      sqlite3_str_appendf(s, " %s ", l->eKind==PL_LIT_UNIFY ? "=" : azCmp[l->eCmp]);
      ex_term(e, s, aEnv, &l->aArg[1]);
      break;
  }
  return sqlite3_str_finish(s);
}

/* Condition l of clause c (not a call) as a row's text: the literal, then
** a comment on the open values it met (docs/compiler.md, "Rules that leave
** a value open"): values it ranged over the domain of their types; or
** values still open, because `not` held for every value or nothing was
** stored to range over. */
static char *ex_cond(Ex *e, const PlClause *c, const ECell *aEnv, const PlLit *l){
  char *zLit = ex_lit(e, aEnv, l);
  sqlite3_str *s;
  PlTypeSet tsDomain, tsOpen;
  int k, nDomain = 0, bOpen = 0;
  if( zLit==0 ) return 0;
  memset(&tsDomain, 0, sizeof(tsDomain));
  memset(&tsOpen, 0, sizeof(tsOpen));
  s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, zLit);
  sqlite3_free(zLit);
  for(k=0; k<l->nArg; k++){
    const PlITerm *t = &l->aArg[k];
    PlValue v;
    int i;
    if( t->eKind!=PL_IT_VAR || strcmp(c->aVar[t->iVar].zName, "_")==0 ) continue;
    if( pl_eval_term_domain(aEnv, t) ){
      pl_eval_term(e->x, aEnv, t, &v, &i);
      sqlite3_str_appendall(s, nDomain++ ? ", " : "  # ");
      ex_value(e, s, &v);
      pl_ts_add(&tsDomain, v.iType);
    }else if( !pl_eval_term(e->x, aEnv, t, &v, &i) ){
      pl_ts_or(&tsOpen, &aEnv[i].ts);
      bOpen = 1;
    }
  }
  if( nDomain ){
    sqlite3_str_appendf(s, ": %s, ranged over the domain of ", nDomain>1 ? "open values" : "an open value");
    pl_value_append_types(s, e->p, &tsDomain);
    sqlite3_str_appendall(s, " (the values stored in facts)");
  }else if( bOpen && l->eKind==PL_LIT_NOTCALL ){
    sqlite3_str_appendall(s, "  # an open value: no fact matches any ");
    pl_value_append_types(s, e->p, &tsOpen);
    sqlite3_str_appendall(s, ", so this holds for every one");
  }else if( bOpen ){
    sqlite3_str_appendall(s, "  # an open value: no ");
    pl_value_append_types(s, e->p, &tsOpen);
    sqlite3_str_appendall(s, " is stored in a fact, so there is nothing to range over");
  }
  return sqlite3_str_finish(s);
}

static char *ex_atom(Ex *e, int iPred, const ACell *a){
  const PlPred *pr = &e->p->aPred[iPred];
  sqlite3_str *s = sqlite3_str_new(0);
  int k;
  sqlite3_str_appendf(s, "%s(", pr->zName);
  for(k=0; k<pr->nArg; k++){
    if( k ) sqlite3_str_appendall(s, ", ");
    if( a[k].eKind==EA_VAL ) ex_value(e, s, &a[k].v);
    else ex_unbound(e, s, &a[k].ts);
  }
  sqlite3_str_appendchar(s, 1, ')');
  return sqlite3_str_finish(s);
}

/* The arguments of call literal l in aEnv as answer cells (unbound
** variables become wildcard groups). */
static void ex_cells(Ex *e, const ECell *aEnv, const PlLit *l, ACell *a){
  int aRoot[PL_MAX_ARGS], nGroup = 0, k, g, i;
  memset(a, 0, sizeof(ACell)*PL_MAX_ARGS);
  for(k=0; k<l->nArg; k++){
    if( pl_eval_term(e->x, aEnv, &l->aArg[k], &a[k].v, &i) ){
      a[k].eKind = EA_VAL;
      continue;
    }
    for(g=0; g<nGroup && aRoot[g]!=i; g++){}
    if( g==nGroup ) aRoot[nGroup++] = i;
    a[k].eKind = EA_WILD;
    a[k].iGroup = g;
    a[k].ts = aEnv[i].ts;
  }
}

static char *ex_at(Ex *e, PlPos pos){
  return sqlite3_mprintf("%s:%d:%d", e->p->zFile, pos.line, pos.col);
}

/* The source text of rule r: from its position to its ';', white space
** run together. The default allow rule is not in the source. */
static char *ex_rule_text(Ex *e, const PlRule *r){
  const char *z = e->p->zSrc;
  sqlite3_str *s;
  int i, n = e->p->nSrc, bSpace = 0;
  if( r->bGenerated && strcmp(r->zPred, "allow")==0 ){
    return sqlite3_mprintf("allow(actor, action, resource) if "
                           "has_permission(actor, action, resource);");
  }
  if( r->pos.line<1 || r->pos.line>e->nLine ) return 0;
  i = e->aLine[r->pos.line-1] + r->pos.col - 1;
  s = sqlite3_str_new(0);
  while( i<n && sqlite3_str_length(s)<400 ){
    char c = z[i];
    if( c=='#' ){
      while( i<n && z[i]!='\n' ) i++;
      continue;
    }
    if( c==' ' || c=='\t' || c=='\n' || c=='\r' ){
      bSpace = 1;
      i++;
      continue;
    }
    if( bSpace && sqlite3_str_length(s)>0 ) sqlite3_str_appendchar(s, 1, ' ');
    bSpace = 0;
    if( c=='"' ){
      int j = i+1;
      while( j<n && z[j]!='"' && z[j]!='\n' ){ if( z[j]=='\\' ) j++; j++; }
      if( j<n ) j++;
      sqlite3_str_append(s, z+i, j-i);
      i = j;
      continue;
    }
    sqlite3_str_appendchar(s, 1, c);
    i++;
    if( c==';' ) break;
  }
  if( i<n && z[i-1]!=';' ) sqlite3_str_appendall(s, " ...");
  return sqlite3_str_finish(s);
}

static int ex_lines(Ex *e){
  const char *z = e->p->zSrc;
  int i, n = 1;
  for(i=0; i<e->p->nSrc; i++) if( z[i]=='\n' ) n++;
  e->aLine = sqlite3_malloc64(sizeof(int)*(size_t)n);
  if( e->aLine==0 ) return SQLITE_NOMEM;
  e->aLine[0] = 0;
  e->nLine = 1;
  for(i=0; i<e->p->nSrc; i++) if( z[i]=='\n' ) e->aLine[e->nLine++] = i+1;
  return SQLITE_OK;
}

/* The kind of row for an answer, from how it was derived. */
static const char *ex_kind(Ex *e, const EAns *a){
  const EJust *j = a ? a->pJust : 0;
  if( j==0 ) return "fact";
  switch( j->eKind ){
    case EJ_CONTEXT: return "context";
    case EJ_BINDING: return "bound";
    case EJ_CLAUSE: {
      const PlClause *c = &e->p->aClause[j->iClause];
      return c->pRule->pBody==0 ? "policy fact" : "rule";
    }
    default: return "fact";
  }
}

/* A row for the goal zText answered by a: where it comes from. */
static void ex_answer_row(Ex *e, int iDepth, int eHolds, const char *zKind,
                          char *zText, const EAns *a){
  const EJust *j = a ? a->pJust : 0;
  if( j && j->eKind==EJ_CLAUSE ){
    const PlRule *r = e->p->aClause[j->iClause].pRule;
    int bDefault = r->bGenerated && strcmp(r->zPred, "allow")==0;
    ex_row(e, iDepth, eHolds, zKind ? zKind : ex_kind(e, a), zText,
           bDefault ? 0 : ex_at(e, r->pos), ex_rule_text(e, r));
  }else if( j && j->eKind==EJ_BINDING ){
    ex_row(e, iDepth, eHolds, zKind ? zKind : "bound", zText, 0,
           sqlite3_mprintf("polar_bind('%s', ...)", e->p->aBinding[j->iBinding].zSig));
  }else{
    ex_row(e, iDepth, eHolds, zKind ? zKind : ex_kind(e, a), zText, 0, 0);
  }
}

/*------------------------------------------------------------ proofs ---*/

/* The proof of answer a used for the goal aInst of iPred (aInst is an
** instance of a). */
static void ex_proof(Ex *e, int iDepth, int iPred, const ACell *aInst, const EAns *a,
                     const char *zKind){
  const EJust *j = a->pJust;
  const PlClause *c;
  ECell *aEnv;
  int k;
  if( ex_check(e) ) return;
  ex_answer_row(e, iDepth, 1, zKind, ex_atom(e, iPred, aInst), a);
  if( j==0 || j->eKind!=EJ_CLAUSE ) return;
  c = &e->p->aClause[j->iClause];
  if( c->nLit==0 ) return;
  if( iDepth+1 > e->nMaxDepth ){ e->bDepthCut = 1; return; }
  aEnv = sqlite3_malloc64(sizeof(ECell)*(size_t)EVAL_NCELL(c)*2);
  if( aEnv==0 ){ ex_oom(e); return; }
  memcpy(aEnv, j->aEnv, sizeof(ECell)*(size_t)c->nVar);
  /* put the caller's values in: on a copy, in case they do not fit */
  memcpy(aEnv + EVAL_NCELL(c), aEnv, sizeof(ECell)*(size_t)c->nVar);
  if( pl_eval_unify_terms(e->x, c, aEnv + EVAL_NCELL(c), c->aHead,
                          e->p->aPred[c->iPred].nArg, aInst) ){
    memcpy(aEnv, aEnv + EVAL_NCELL(c), sizeof(ECell)*(size_t)EVAL_NCELL(c));
  }
  for(k=0; k<c->nLit && !e->bStop; k++){
    const PlLit *l = &c->aLit[k];
    if( l->eKind==PL_LIT_CALL && j->aUsed[k] ){
      ACell aSub[PL_MAX_ARGS];
      /* the answer's own values first (the derivation's), then show it */
      pl_eval_unify_ans(e->x, c, aEnv, l, j->aUsed[k]);
      ex_cells(e, aEnv, l, aSub);
      ex_proof(e, iDepth+1, l->iPred, aSub, j->aUsed[k], 0);
    }else{
      ex_row(e, iDepth+1, 1, "condition", ex_cond(e, c, aEnv, l), ex_at(e, l->pos), 0);
    }
  }
  sqlite3_free(aEnv);
}

/*---------------------------------------------------------- failures ---*/

/* The branch of a rule body that got furthest before a literal failed. */
typedef struct Best {
  int bSet;
  int nHeld;
  int *aOrder;             /* literals that held, in the order tried */
  const EAns **aUsed;      /* per literal: the answer a call used */
  int iFail;               /* the literal that failed (-1: none) */
  ECell *aEnv;             /* the environment when it failed */
  char *zErr;              /* it could not be evaluated: why */
} Best;

typedef struct Search {
  Ex *e;
  const PlClause *c;
  int nNode;
  int *aOrder;
  const EAns **aUsed;
  Best best;
} Search;

static void search_record(Search *s, const ECell *aEnv, int nHeld, int iFail,
                          const char *zErr){
  const PlClause *c = s->c;
  if( s->best.bSet && nHeld <= s->best.nHeld ) return;
  s->best.bSet = 1;
  s->best.nHeld = nHeld;
  s->best.iFail = iFail;
  memcpy(s->best.aOrder, s->aOrder, sizeof(int)*(size_t)c->nLit);
  memcpy((void*)s->best.aUsed, s->aUsed, sizeof(EAns*)*(size_t)c->nLit);
  memcpy(s->best.aEnv, aEnv, sizeof(ECell)*(size_t)EVAL_NCELL(c));
  sqlite3_free(s->best.zErr);
  s->best.zErr = zErr ? sqlite3_mprintf("%s", zErr) : 0;
}

static void search(Search *s, const ECell *aEnvIn, const unsigned char *aDoneIn, int nHeld);

/* Go on after literal j held: aEnv, aDone are this level's scratch. */
static void search_next(Search *s, ECell *aEnv, unsigned char *aDone,
                        const unsigned char *aDoneIn, int j, int nHeld){
  memcpy(aDone, aDoneIn, (size_t)s->c->nLit);
  aDone[j] = 1;
  s->aOrder[nHeld] = j;
  search(s, aEnv, aDone, nHeld+1);
}

/* Search on with the open values a literal needs bound from their domain. */
typedef struct SearchDomain { Search *s; const unsigned char *aDone; int nHeld, nMatch; } SearchDomain;

static int search_domain(void *pArg, ECell *aEnv){
  SearchDomain *d = pArg;
  d->nMatch++;
  search(d->s, aEnv, d->aDone, d->nHeld);
  return d->s->e->bStop || d->s->nNode>=EX_SEARCH_MAX;
}

static void search(Search *s, const ECell *aEnvIn, const unsigned char *aDoneIn, int nHeld){
  Ex *e = s->e;
  PlEval *x = e->x;
  const PlClause *c = s->c;
  size_t nEnv = sizeof(ECell)*(size_t)EVAL_NCELL(c);
  ECell *aEnv;
  unsigned char *aDone;
  int j, eRes = 0, bForce, rc;
  if( s->nNode++ >= EX_SEARCH_MAX || ex_check(e) ) return;
  if( pl_eval_work(x, 1) ){ ex_check(e); return; }
  aEnv = sqlite3_malloc64(nEnv + (size_t)c->nLit + 1);
  if( aEnv==0 ){ ex_oom(e); return; }
  aDone = (unsigned char*)aEnv + nEnv;
  /* the next literal in source order that can be evaluated; by force
  ** when only literals waiting for variables are left */
  for(bForce=0; bForce<2; bForce++){
    for(j=0; j<c->nLit; j++){
      if( aDoneIn[j] ) continue;
      memcpy(aEnv, aEnvIn, nEnv);
      if( c->aLit[j].eKind==PL_LIT_CALL ) break;
      rc = pl_eval_lit(x, c, aEnv, j, bForce, &eRes);
      if( rc ){
        const char *zErr = 0;
        if( pl_eval_limit_hit(x)>=0 ){ ex_check(e); sqlite3_free(aEnv); return; }
        pl_eval_error(x, &zErr);
        search_record(s, aEnvIn, nHeld, j, zErr ? zErr : "cannot be evaluated");
        pl_eval_clear_error(x);
        sqlite3_free(aEnv);
        return;
      }
      if( eRes!=EV_DEFER ) break;
    }
    if( j<c->nLit ) break;
  }
  if( j>=c->nLit ){
    /* every literal held: the goal holds after all (it does not when this
    ** is asked; nothing to record) */
    sqlite3_free(aEnv);
    return;
  }
  if( c->aLit[j].eKind==PL_LIT_CALL ){
    const PlLit *l = &c->aLit[j];
    PlEvalArg aPat[PL_MAX_ARGS];
    ETable *pT;
    EAns *a;
    int nMatch = 0;
    pl_eval_pattern(x, c, aEnv, l, aPat);
    if( pl_eval_table(x, l->iPred, aPat, &pT) ){ ex_check(e); sqlite3_free(aEnv); return; }
    for(a=pT->pFirst; a && !e->bStop && s->nNode<EX_SEARCH_MAX; a=a->pNext){
      memcpy(aEnv, aEnvIn, nEnv);
      if( !pl_eval_unify_ans(x, c, aEnv, l, a) ) continue;
      nMatch++;
      s->aUsed[j] = a;
      search_next(s, aEnv, aDone, aDoneIn, j, nHeld);
    }
    if( nMatch==0 ) search_record(s, aEnvIn, nHeld, j, 0);
  }else if( eRes==EV_TRUE ){
    search_next(s, aEnv, aDone, aDoneIn, j, nHeld);
  }else if( eRes==EV_FALSE ){
    search_record(s, aEnvIn, nHeld, j, 0);
  }else if( eRes==EV_BRANCH ){
    int k, nMatch = 0;
    for(k=1; k<c->aLit[j].nArg && !e->bStop; k++){
      memcpy(aEnv, aEnvIn, nEnv);
      if( !pl_eval_in_item(x, c, aEnv, j, k) ) continue;
      nMatch++;
      search_next(s, aEnv, aDone, aDoneIn, j, nHeld);
    }
    if( nMatch==0 ) search_record(s, aEnvIn, nHeld, j, 0);
  }else if( eRes==EV_DOMAIN ){
    SearchDomain d;
    d.s = s;
    d.aDone = aDoneIn;
    d.nHeld = nHeld;
    d.nMatch = 0;
    pl_eval_domain(x, c, aEnvIn, j, search_domain, &d);
    if( d.nMatch==0 && !ex_check(e) ) search_record(s, aEnvIn, nHeld, j, 0);
  }
  sqlite3_free(aEnv);
}

static int ex_seen(Ex *e, const char *zText){
  int i;
  for(i=0; i<e->nSeen; i++) if( strcmp(e->azSeen[i], zText)==0 ) return 1;
  if( e->nSeen>=e->nSeenAlloc ){
    int nNew = e->nSeenAlloc ? e->nSeenAlloc*2 : 32;
    char **a = sqlite3_realloc64(e->azSeen, sizeof(char*)*(size_t)nNew);
    if( a==0 ){ ex_oom(e); return 1; }
    e->azSeen = a;
    e->nSeenAlloc = nNew;
  }
  e->azSeen[e->nSeen] = sqlite3_mprintf("%s", zText);
  if( e->azSeen[e->nSeen]==0 ){ ex_oom(e); return 1; }
  e->nSeen++;
  return 0;
}

static void ex_fail(Ex *e, int iDepth, int iPred, const ACell *aInst);

/* Rows for the rule body c tried against a failing goal: what held, then
** the literal that failed, explained. */
static void ex_tried(Ex *e, int iDepth, const PlClause *c, const ECell *aEnv0){
  Search s;
  unsigned char *aDone = 0;
  int k;
  const PlLit *l;
  memset(&s, 0, sizeof(s));
  s.e = e;
  s.c = c;
  s.aOrder = sqlite3_malloc64(sizeof(int)*(size_t)(c->nLit+1)*2);
  s.aUsed = sqlite3_malloc64(sizeof(EAns*)*(size_t)(c->nLit+1)*2);
  s.best.aEnv = sqlite3_malloc64(sizeof(ECell)*(size_t)EVAL_NCELL(c));
  if( s.aOrder==0 || s.aUsed==0 || s.best.aEnv==0 ){
    ex_oom(e);
    goto done;
  }
  s.best.aOrder = s.aOrder + c->nLit + 1;
  s.best.aUsed = s.aUsed + c->nLit + 1;
  aDone = sqlite3_malloc64((size_t)c->nLit + 1);
  if( aDone==0 ){ ex_oom(e); goto done; }
  memset(aDone, 0, (size_t)c->nLit + 1);
  search(&s, aEnv0, aDone, 0);
  if( e->bStop || !s.best.bSet ) goto done;
  for(k=0; k<s.best.nHeld && !e->bStop; k++){
    int j = s.best.aOrder[k];
    l = &c->aLit[j];
    if( l->eKind==PL_LIT_CALL ){
      ex_answer_row(e, iDepth, 1, 0, ex_lit(e, s.best.aEnv, l), s.best.aUsed[j]);
    }else{
      ex_row(e, iDepth, 1, "condition", ex_cond(e, c, s.best.aEnv, l), ex_at(e, l->pos), 0);
    }
  }
  if( s.best.iFail<0 || e->bStop ) goto done;
  l = &c->aLit[s.best.iFail];
  if( s.best.zErr ){
    ex_row(e, iDepth, -1, "error", sqlite3_mprintf("%s", s.best.zErr), ex_at(e, l->pos), 0);
  }else if( l->eKind==PL_LIT_CALL ){
    ACell aSub[PL_MAX_ARGS];
    const PlPred *pr = &e->p->aPred[l->iPred];
    ex_cells(e, s.best.aEnv, l, aSub);
    if( pr->nClause==0 ){
      ex_row(e, iDepth, 0, "missing", ex_lit(e, s.best.aEnv, l), 0, 0);
    }else{
      ex_row(e, iDepth, 0, "goal", ex_lit(e, s.best.aEnv, l), 0, 0);
      ex_fail(e, iDepth+1, l->iPred, aSub);
    }
  }else{
    ex_row(e, iDepth, 0, "condition", ex_cond(e, c, s.best.aEnv, l), ex_at(e, l->pos), 0);
    if( l->eKind==PL_LIT_NOTCALL && iDepth+1<=e->nMaxDepth ){
      /* the fact that makes `not` fail */
      PlEvalArg aPat[PL_MAX_ARGS];
      ETable *pT;
      pl_eval_pattern(e->x, c, s.best.aEnv, l, aPat);
      if( pl_eval_table(e->x, l->iPred, aPat, &pT)==SQLITE_OK && pT->pFirst ){
        ex_answer_row(e, iDepth+1, 1, 0, ex_atom(e, l->iPred, pT->pFirst->a), pT->pFirst);
      }
      ex_check(e);
    }
  }
done:
  sqlite3_free(aDone);
  sqlite3_free(s.aOrder);
  sqlite3_free((void*)s.aUsed);
  sqlite3_free(s.best.aEnv);
  sqlite3_free(s.best.zErr);
}

/* Rows under a goal aInst of iPred that does not hold. */
static void ex_fail(Ex *e, int iDepth, int iPred, const ACell *aInst){
  const PlPred *pr = &e->p->aPred[iPred];
  char *zText = ex_atom(e, iPred, aInst);
  int i, nTried = 0;
  if( zText==0 ){ ex_oom(e); return; }
  if( ex_check(e) ){ sqlite3_free(zText); return; }
  if( iDepth > e->nMaxDepth ){ e->bDepthCut = 1; sqlite3_free(zText); return; }
  if( ex_seen(e, zText) ){
    ex_row(e, iDepth, 0, "seen", zText, 0, 0);
    return;
  }
  if( pr->bStored ) ex_row(e, iDepth, 0, "missing", sqlite3_mprintf("%s", zText), 0, 0);
  for(i=0; i<pr->nClause && !e->bStop; i++){
    const PlClause *c = &e->p->aClause[pr->aClause[i]];
    ECell *aEnv = sqlite3_malloc64(sizeof(ECell)*(size_t)EVAL_NCELL(c));
    if( aEnv==0 ){ ex_oom(e); break; }
    if( pl_eval_enter_ans(e->x, c, aInst, aEnv) ){
      const PlRule *r = c->pRule;
      int bDefault = r->bGenerated && strcmp(r->zPred, "allow")==0;
      nTried++;
      ex_row(e, iDepth, 0, "tried", ex_rule_text(e, r), bDefault ? 0 : ex_at(e, r->pos), 0);
      if( iDepth+1 > e->nMaxDepth ) e->bDepthCut = 1;
      else ex_tried(e, iDepth+1, c, aEnv);
    }
    sqlite3_free(aEnv);
  }
  if( nTried==0 && !pr->bStored ) ex_row(e, iDepth, 0, "none", zText, 0, 0);
  else sqlite3_free(zText);
}

/*--------------------------------------------------------------- api ---*/

void pl_explain_clear(PlExplain *o){
  int i;
  for(i=0; i<o->nRow; i++){
    sqlite3_free(o->aRow[i].zText);
    sqlite3_free(o->aRow[i].zAt);
    sqlite3_free(o->aRow[i].zRule);
  }
  sqlite3_free(o->aRow);
  memset(o, 0, sizeof(*o));
}

int pl_explain(const PlEvalEnv *pEnv, const char *zPred, int nArg, const PlValue *aGoal,
               PlExplain *pOut, char **pzErr){
  PlEvalEnv env = *pEnv;
  PlEvalArg aPat[PL_MAX_ARGS];
  ACell aInst[PL_MAX_ARGS];
  ETable *pT = 0;
  Ex e;
  int rc, k, i;
  memset(pOut, 0, sizeof(*pOut));
  memset(&e, 0, sizeof(e));
  *pzErr = 0;
  if( env.zWho==0 ) env.zWho = "polar_explain";
  e.p = env.pPol;
  e.pLim = env.pLim;
  e.pOut = pOut;
  e.iLimit = -1;
  e.nMaxRows = pl_limit(env.pLim, PL_LIMIT_EXPLAIN_ROWS);
  e.nMaxDepth = pl_limit(env.pLim, PL_LIMIT_EXPLAIN_DEPTH);
  i = pl_policy_find_pred(e.p, zPred, nArg);
  if( i<0 ){
    *pzErr = sqlite3_mprintf("%s: unknown predicate '%s' with %d arguments",
                             env.zWho, zPred, nArg);
    return SQLITE_ERROR;
  }
  rc = ex_lines(&e);
  if( rc==SQLITE_OK ) rc = pl_eval_new(&env, 1, &e.x);
  if( rc!=SQLITE_OK ){ sqlite3_free(e.aLine); return rc; }
  memset(aInst, 0, sizeof(aInst));
  for(k=0; k<nArg; k++){
    memset(&aPat[k], 0, sizeof(PlEvalArg));
    aPat[k].v = aGoal[k];
    aInst[k].eKind = EA_VAL;
    aInst[k].v = aGoal[k];
  }
  rc = pl_eval_table(e.x, i, aPat, &pT);
  if( rc!=SQLITE_OK ){
    ex_check(&e);
    e.bStop = 0;
    if( e.rc==SQLITE_OK ) ex_row(&e, 0, -1, "goal", ex_atom(&e, i, aInst), 0, 0);
  }else if( pT->pFirst ){
    pOut->bHolds = 1;
    ex_proof(&e, 0, i, aInst, pT->pFirst, "goal");
  }else{
    ex_row(&e, 0, 0, "goal", ex_atom(&e, i, aInst), 0, 0);
    ex_fail(&e, 1, i, aInst);
  }
  if( e.rc==SQLITE_OK && e.zStop ){
    /* the error that stopped the evaluation, as the last row */
    e.bStop = 0;
    e.nMaxRows++;
    ex_row(&e, 0, -1, "error", e.zStop, 0, 0);
    e.zStop = 0;
  }else if( e.rc==SQLITE_OK && (e.iLimit>=0 || e.bDepthCut) ){
    int iLimit = e.iLimit>=0 ? e.iLimit : PL_LIMIT_EXPLAIN_DEPTH;
    const char *zWhat = iLimit==PL_LIMIT_EXPLAIN_ROWS ? "polar_explain: the tree was cut"
                      : iLimit==PL_LIMIT_EXPLAIN_DEPTH ? "polar_explain: deeper branches were cut"
                      : "polar_explain: stopped";
    char *zMsg = pl_limit_error(env.pLim, iLimit, zWhat);
    e.bStop = 0;
    e.nMaxRows++;                       /* room for the last row */
    ex_row(&e, 0, -1, "limit", zMsg, 0, 0);
  }
  rc = e.rc;
  if( rc!=SQLITE_OK ){
    const char *zErr = 0;
    pl_eval_error(e.x, &zErr);
    *pzErr = zErr ? sqlite3_mprintf("%s", zErr) : 0;
    pl_explain_clear(pOut);
  }
  sqlite3_free(e.zStop);
  for(i=0; i<e.nSeen; i++) sqlite3_free(e.azSeen[i]);
  sqlite3_free(e.azSeen);
  sqlite3_free(e.aLine);
  pl_eval_free(e.x);
  return rc;
}
