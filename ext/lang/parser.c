/*
** parser.c — recursive-descent parser for Oso Cloud Polar
** (polar-reference.md section 3) producing the PlProgram tree of pl_int.h.
**
** How it works: lexer.c turns the whole text into a token array; the
** parser walks it with unlimited look-ahead. Every parse function checks a
** sticky error code (p->rc) first and does nothing once it is set, so the
** first error wins and no loop can spin after an error: every loop either
** consumes a token or stops.
**
** Resilience: recursion (parentheses, `not`, nested lists) is capped by
** the nesting limit (limits.c; at most 1000 levels), and chains of
** `and`/`or` are built as balanced trees, so no input can exhaust the stack
** of this parser or of the passes that walk its tree. A list literal holds
** at most in_list items. Everything is allocated in the caller's arena.
**
** OSS-only syntax (attribute lookup, `new`, `cut`, arithmetic, ...) is
** recognised where it would appear and rejected with a message naming it.
*/
#include "pl_int.h"
#include <stdarg.h>
#include <string.h>

typedef struct PlParser {
  PlArena *pArena;
  const char *zFile;
  PlToken *aTok; int nTok;     /* ends with EOF or ERROR */
  int iTok;                    /* next token */
  int rc;                      /* sticky: SQLITE_OK, SQLITE_ERROR, NOMEM */
  char *zErr;                  /* sqlite3_mprintf'd message */
  int nDepth;
  const PlLimits *pLim;        /* nesting, in_list */
  int bShorthand;              /* parsing a shorthand rule body */
  PlProgram *pProg;
  int nBlockAlloc, nRuleAlloc, nDeclAlloc, nFixAlloc, nTestAlloc;
} PlParser;

/*---------------------------------------------------------- utilities ---*/

static void ps_nomem(PlParser *p){
  if( p->rc==SQLITE_OK ){
    p->rc = SQLITE_NOMEM;
    p->zErr = sqlite3_mprintf("out of memory");
  }
}

static void ps_error(PlParser *p, PlPos pos, const char *zFmt, ...)
  PL_PRINTF(3,4);
static void ps_error(PlParser *p, PlPos pos, const char *zFmt, ...){
  va_list ap;
  char *zMsg;
  if( p->rc ) return;
  va_start(ap, zFmt);
  zMsg = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if( zMsg==0 ){ ps_nomem(p); return; }
  p->rc = SQLITE_ERROR;
  p->zErr = pl_errf(p->zFile, pos.line, pos.col, "%s", zMsg);
  sqlite3_free(zMsg);
}

static void *ps_alloc(PlParser *p, size_t n){
  void *pRet;
  if( p->rc ) return 0;
  pRet = pl_arena_alloc(p->pArena, n);
  if( pRet==0 ) ps_nomem(p);
  return pRet;
}

static const char *ps_strdup(PlParser *p, const char *z, int n){
  char *zRet;
  if( p->rc ) return 0;
  zRet = pl_arena_strndup(p->pArena, z, n);
  if( zRet==0 ) ps_nomem(p);
  return zRet;
}

/* Make room for one more element in an arena array *ppArr (any element
** type, passed as T**) holding n elements with capacity *pnAlloc. Returns
** 0 on success. */
static int ps_reserve(PlParser *p, void *ppArr, int n, int *pnAlloc, size_t sz){
  void *aOld, *aNew;
  int nNew;
  if( p->rc ) return 1;
  if( n < *pnAlloc ) return 0;
  nNew = *pnAlloc ? *pnAlloc*2 : 4;
  memcpy(&aOld, ppArr, sizeof(void*));
  aNew = pl_arena_grow(p->pArena, aOld, n, nNew, sz);
  if( aNew==0 ){ ps_nomem(p); return 1; }
  memcpy(ppArr, &aNew, sizeof(void*));
  *pnAlloc = nNew;
  return 0;
}

static PlToken *ps_tok(PlParser *p, int k){
  int i = p->iTok + k;
  return &p->aTok[i < p->nTok ? i : p->nTok-1];
}
static int ps_is(PlParser *p, int k, int eType){
  return ps_tok(p, k)->eType==eType;
}
/* Is token k the identifier zKw? */
static int ps_is_kw(PlParser *p, int k, const char *zKw){
  PlToken *t = ps_tok(p, k);
  return t->eType==PL_TK_IDENT && strcmp(t->z, zKw)==0;
}
static PlToken *ps_next(PlParser *p){
  PlToken *t = ps_tok(p, 0);
  if( p->iTok < p->nTok-1 ) p->iTok++;
  return t;
}

/* Report "zExpected, found <token>" at token t, or the lexical error if t
** is one. */
static void ps_unexpected(PlParser *p, PlToken *t, const char *zExpected){
  const char *zFound;
  if( p->rc ) return;
  if( t->eType==PL_TK_ERROR ){
    ps_error(p, t->pos, "%s", t->zErr);
    return;
  }
  zFound = pl_tok_describe(p->pArena, t);
  if( zFound==0 ){ ps_nomem(p); return; }
  ps_error(p, t->pos, "%s, found %s", zExpected, zFound);
}

/* Consume a token of type eType or report zExpected. */
static PlToken *ps_expect(PlParser *p, int eType, const char *zExpected){
  PlToken *t = ps_tok(p, 0);
  if( p->rc ) return 0;
  if( t->eType!=eType ){
    ps_unexpected(p, t, zExpected);
    return 0;
  }
  return ps_next(p);
}

/* Report limit id (nesting, in_list) as exceeded at pos. */
static void ps_limit(PlParser *p, PlPos pos, int id, const char *zWhat){
  char *z = pl_limit_error(p->pLim, id, zWhat);
  if( z==0 ){ ps_nomem(p); return; }
  ps_error(p, pos, "%s", z);
  sqlite3_free(z);
}

static int ps_enter(PlParser *p, PlPos pos){
  if( p->rc ) return 1;
  if( ++p->nDepth > pl_limit(p->pLim, PL_LIMIT_NESTING) ){
    ps_limit(p, pos, PL_LIMIT_NESTING,
             "nesting too deep (parentheses, 'not' and lists)");
    return 1;
  }
  return 0;
}
static void ps_leave(PlParser *p){ p->nDepth--; }

static const char *const azOssCall[] = { "forall", "print", "debug", 0 };

/* Identifiers that can never be a variable. */
static int ps_reserved(const char *z){
  static const char *const az[] = {
    "and", "or", "not", "if", "matches", "in", "true", "false",
    "new", "cut", "forall", "mod", "rem", 0
  };
  int i;
  for(i=0; az[i]; i++) if( strcmp(z, az[i])==0 ) return 1;
  return 0;
}

static int ps_is_cmp(int eType){
  return eType==PL_TK_EQEQ || eType==PL_TK_NE || eType==PL_TK_LT
      || eType==PL_TK_LE || eType==PL_TK_GT || eType==PL_TK_GE;
}

/* Would token k start a binary operator after a term? */
static int ps_is_operator(PlParser *p, int k){
  int e = ps_tok(p, k)->eType;
  if( e==PL_TK_EQ || ps_is_cmp(e) || e==PL_TK_DOT || e==PL_TK_ASSIGN
   || e==PL_TK_PLUS || e==PL_TK_MINUS || e==PL_TK_STAR || e==PL_TK_SLASH
   || e==PL_TK_COLON ){
    return 1;
  }
  if( ps_is_kw(p, k, "matches") || ps_is_kw(p, k, "in")
   || ps_is_kw(p, k, "mod") || ps_is_kw(p, k, "rem") ){
    return 1;
  }
  return ps_is_kw(p, k, "not") && ps_is_kw(p, k+1, "in");
}

/*-------------------------------------------------------------- terms ---*/

static void ps_oss(PlParser *p, PlPos pos, const char *zWhat, const char *zHint){
  ps_error(p, pos, "%s is not supported in Oso Cloud Polar%s%s",
           zWhat, zHint[0] ? "; " : "", zHint);
}

/* An integer: optional sign token followed by an INT token. */
static void ps_integer(PlParser *p, PlTerm *pT){
  int bNeg = 0;
  PlToken *t = ps_tok(p, 0);
  PlToken *d;
  sqlite3_uint64 v = 0, lim;
  int i;
  pT->pos = t->pos;
  if( t->eType==PL_TK_MINUS || t->eType==PL_TK_PLUS ){
    bNeg = t->eType==PL_TK_MINUS;
    ps_next(p);
  }
  d = ps_tok(p, 0);
  if( d->eType==PL_TK_FLOAT ){
    ps_error(p, d->pos, "floating-point numbers like '%.*s' are not supported"
             " in Oso Cloud Polar (Integer is the only numeric type)",
             d->nSrc>40 ? 40 : d->nSrc, d->zSrc);
    return;
  }
  if( d->eType!=PL_TK_INT ){
    ps_unexpected(p, d, "expected digits after the sign");
    return;
  }
  ps_next(p);
  lim = bNeg ? (sqlite3_uint64)1<<63 : ((sqlite3_uint64)1<<63) - 1;
  for(i=0; i<d->n; i++){
    unsigned dig = (unsigned)(d->z[i]-'0');
    if( v > (lim - dig)/10 ){
      ps_error(p, pT->pos, "integer literal %s%.*s%s is out of range "
               "(Integer is 64-bit signed)", bNeg ? "-" : "",
               d->n>40 ? 40 : d->n, d->z, d->n>40 ? "..." : "");
      return;
    }
    v = v*10 + dig;
  }
  pT->eKind = PL_TERM_INT;
  if( bNeg ){
    pT->i = v==((sqlite3_uint64)1<<63) ? (sqlite3_int64)(-0x7fffffffffffffffLL-1)
                                       : -(sqlite3_int64)v;
  }else{
    pT->i = (sqlite3_int64)v;
  }
}

static int ps_starts_integer(PlParser *p){
  PlToken *t = ps_tok(p, 0);
  if( t->eType==PL_TK_INT || t->eType==PL_TK_FLOAT ) return 1;
  if( t->eType==PL_TK_MINUS || t->eType==PL_TK_PLUS ){
    PlToken *d = ps_tok(p, 1);
    return (d->eType==PL_TK_INT || d->eType==PL_TK_FLOAT)
        && d->pos.line==t->pos.line && d->pos.col==t->pos.col+1;
  }
  return 0;
}

/* Type{ id }: the type name is the current token, '{' follows. */
static void ps_object(PlParser *p, PlTerm *pT){
  PlToken *tType = ps_next(p);
  PlToken *tId;
  const char *zType = tType->z;
  pT->pos = tType->pos;
  ps_next(p);                                               /* '{' */
  tId = ps_tok(p, 0);
  if( tId->eType==PL_TK_IDENT && ps_is(p, 1, PL_TK_COLON) ){
    ps_oss(p, tId->pos, "a field pattern like 'Type{field: value}'",
           "an object literal holds only its id, e.g. User{\"alice\"}");
    return;
  }
  if( strcmp(zType, "String")==0 ){
    if( tId->eType!=PL_TK_STRING ){
      ps_unexpected(p, tId, "expected a string inside String{...}");
      return;
    }
    ps_next(p);
    pT->eKind = PL_TERM_STR;
    pT->z = tId->z; pT->n = tId->n;
  }else if( strcmp(zType, "Integer")==0 ){
    if( !ps_starts_integer(p) ){
      ps_unexpected(p, tId, "expected an integer inside Integer{...}");
      return;
    }
    ps_integer(p, pT);
    pT->pos = tType->pos;
  }else if( strcmp(zType, "Boolean")==0 ){
    if( !ps_is_kw(p, 0, "true") && !ps_is_kw(p, 0, "false") ){
      ps_unexpected(p, tId, "expected true or false inside Boolean{...}");
      return;
    }
    ps_next(p);
    pT->eKind = PL_TERM_BOOL;
    pT->i = tId->z[0]=='t';
  }else{
    if( tId->eType!=PL_TK_STRING ){
      const char *zFound;
      if( tId->eType==PL_TK_ERROR ){ ps_unexpected(p, tId, ""); return; }
      zFound = pl_tok_describe(p->pArena, tId);
      if( zFound==0 ){ ps_nomem(p); return; }
      ps_error(p, tId->pos, "expected a string id inside %s{...}, found %s "
               "(ids of application types are strings, e.g. %s{\"1\"})",
               zType, zFound, zType);
      return;
    }
    if( tId->n==0 ){
      ps_error(p, tId->pos, "object id must not be empty in %s{\"\"}", zType);
      return;
    }
    ps_next(p);
    pT->eKind = PL_TERM_OBJ;
    pT->zType = zType;
    pT->typePos = tType->pos;
    pT->z = tId->z; pT->n = tId->n;
  }
  ps_expect(p, PL_TK_RB, "expected '}' to close the object literal");
}

static void ps_term(PlParser *p, PlTerm *pT);

/* [ term, ... ] */
static void ps_list(PlParser *p, PlTerm *pT){
  PlToken *tOpen = ps_next(p);
  int nAlloc = 0;
  pT->eKind = PL_TERM_LIST;
  pT->pos = tOpen->pos;
  if( ps_enter(p, tOpen->pos) ) return;
  while( p->rc==SQLITE_OK && !ps_is(p, 0, PL_TK_RSQ) ){
    if( ps_is(p, 0, PL_TK_STAR) ){
      ps_oss(p, ps_tok(p, 0)->pos, "a rest variable ('*x')", "");
      break;
    }
    if( pT->nItem >= pl_limit(p->pLim, PL_LIMIT_IN_LIST) ){
      ps_limit(p, ps_tok(p, 0)->pos, PL_LIMIT_IN_LIST, "too many items in this list");
      break;
    }
    if( ps_reserve(p, &pT->aItem, pT->nItem, &nAlloc, sizeof(PlTerm)) ) break;
    ps_term(p, &pT->aItem[pT->nItem]);
    if( p->rc ) break;
    pT->nItem++;
    if( ps_is(p, 0, PL_TK_COMMA) ){ ps_next(p); continue; }
    if( !ps_is(p, 0, PL_TK_RSQ) ){
      ps_unexpected(p, ps_tok(p, 0), "expected ',' or ']' in list");
    }
  }
  ps_expect(p, PL_TK_RSQ, "expected ']' to close the list");
  ps_leave(p);
}

/* term = Var | "_" | literal | object_literal | @current_unix_time | list */
static void ps_term(PlParser *p, PlTerm *pT){
  PlToken *t = ps_tok(p, 0);
  if( p->rc ) return;
  pT->pos = t->pos;
  switch( t->eType ){
    case PL_TK_STRING:
      ps_next(p);
      pT->eKind = PL_TERM_STR;
      pT->z = t->z; pT->n = t->n;
      return;
    case PL_TK_INT: case PL_TK_FLOAT:
      ps_integer(p, pT);
      return;
    case PL_TK_MINUS: case PL_TK_PLUS:
      if( ps_starts_integer(p) ){ ps_integer(p, pT); return; }
      break;
    case PL_TK_CONST:
      if( strcmp(t->z, "current_unix_time")!=0 ){
        ps_error(p, t->pos, "unknown constant '@%s' (the only built-in "
                 "constant is @current_unix_time)",
                 pl_printable(p->pArena, t->z, t->n, 40));
        return;
      }
      ps_next(p);
      pT->eKind = PL_TERM_NOW;
      return;
    case PL_TK_LSQ:
      ps_list(p, pT);
      return;
    case PL_TK_LB:
      ps_oss(p, t->pos, "a dictionary ('{key: value}')",
             "model attributes as facts, e.g. is_public(resource)");
      return;
    case PL_TK_STAR:
      ps_oss(p, t->pos, "a rest variable ('*x')", "");
      return;
    case PL_TK_IDENT:
      if( strcmp(t->z, "true")==0 || strcmp(t->z, "false")==0 ){
        ps_next(p);
        pT->eKind = PL_TERM_BOOL;
        pT->i = t->z[0]=='t';
        return;
      }
      if( strcmp(t->z, "new")==0 ){
        ps_oss(p, t->pos, "'new'", "there are no host objects; write an "
               "object literal such as User{\"alice\"}");
        return;
      }
      if( strcmp(t->z, "_")==0 ){
        ps_next(p);
        pT->eKind = PL_TERM_WILD;
        return;
      }
      if( ps_is(p, 1, PL_TK_LB) ){
        ps_object(p, pT);
        return;
      }
      if( ps_reserved(t->z) ) break;
      if( ps_is(p, 1, PL_TK_LP) ){
        ps_error(p, t->pos, "expected a term, found a call to '%s' (a call "
                 "cannot be used as an argument)", t->z);
        return;
      }
      ps_next(p);
      pT->eKind = PL_TERM_VAR;
      pT->zName = t->z;
      return;
  }
  ps_unexpected(p, t, "expected a term (variable, string, integer, "
                "true/false, object literal like User{\"alice\"}, or list)");
}

/* Optional ": Type" after a parameter variable. */
static void ps_specializer(PlParser *p, PlTerm *pT){
  PlToken *tType;
  if( p->rc || !ps_is(p, 0, PL_TK_COLON) ) return;
  ps_next(p);
  tType = ps_expect(p, PL_TK_IDENT, "expected a type name after ':'");
  if( tType==0 ) return;
  if( ps_is(p, 0, PL_TK_LB) ){
    ps_oss(p, ps_tok(p, 0)->pos, "a pattern specializer ('x: Type{...}')",
           "write 'x: Type' and constrain x in the rule body");
    return;
  }
  pT->zType = tType->z;
  pT->typePos = tType->pos;
}

/* A rule head parameter. */
static void ps_param(PlParser *p, PlTerm *pT){
  PlToken *t = ps_tok(p, 0);
  ps_term(p, pT);
  if( p->rc ) return;
  switch( pT->eKind ){
    case PL_TERM_VAR: case PL_TERM_WILD:
      ps_specializer(p, pT);
      break;
    case PL_TERM_STR: case PL_TERM_INT: case PL_TERM_BOOL: case PL_TERM_OBJ:
      break;
    default:
      ps_error(p, t->pos, "%s cannot be a rule parameter (parameters are "
               "variables, '_', literals and object literals)",
               pT->eKind==PL_TERM_NOW ? "@current_unix_time" : "a list");
      return;
  }
}

/* A ground argument of a test fact or assertion; bVarOk allows `x: Type`. */
static void ps_ground(PlParser *p, PlTerm *pT, int bVarOk){
  PlToken *t = ps_tok(p, 0);
  if( p->rc ) return;
  if( bVarOk && t->eType==PL_TK_IDENT && !ps_reserved(t->z)
   && strcmp(t->z, "_")!=0 && !ps_is(p, 1, PL_TK_LB) ){
    ps_next(p);
    pT->eKind = PL_TERM_VAR;
    pT->pos = t->pos;
    pT->zName = t->z;
    if( !ps_is(p, 0, PL_TK_COLON) ){
      ps_error(p, t->pos, "variable '%s' in an assertion needs a type: "
               "write '%s: Type' (e.g. %s: String)", t->z, t->z, t->z);
      return;
    }
    ps_specializer(p, pT);
    return;
  }
  ps_term(p, pT);
  if( p->rc ) return;
  switch( pT->eKind ){
    case PL_TERM_STR: case PL_TERM_INT: case PL_TERM_BOOL: case PL_TERM_OBJ:
      return;
  }
  ps_error(p, t->pos, "test facts and assertions take literal values: "
           "expected a string, integer, true/false or object literal like "
           "User{\"alice\"}%s", bVarOk ? ", or one typed variable 'x: Type'"
           : "");
}

/*-------------------------------------------------------- expressions ---*/

static PlExpr *ps_or(PlParser *p);

static PlExpr *ps_new_expr(PlParser *p, int eKind, PlPos pos){
  PlExpr *e = ps_alloc(p, sizeof(PlExpr));
  if( e ){ e->eKind = eKind; e->pos = pos; }
  return e;
}

/* Build a balanced tree of eKind (AND/OR) over a[0..n). */
static PlExpr *ps_balance(PlParser *p, int eKind, PlExpr **a, int n){
  PlExpr *e;
  if( n==1 ) return a[0];
  e = ps_new_expr(p, eKind, a[0]->pos);
  if( e==0 ) return 0;
  e->pLeft = ps_balance(p, eKind, a, n/2);
  e->pRight = ps_balance(p, eKind, a+n/2, n-n/2);
  return e;
}

/* After the right-hand term of a comparison: reject OSS-only operators
** with a message naming them instead of a generic "expected ';'". */
static void ps_no_oss_operator(PlParser *p){
  PlToken *op = ps_tok(p, 0);
  if( p->rc ) return;
  switch( op->eType ){
    case PL_TK_DOT:
      ps_oss(p, op->pos, "attribute lookup with '.'",
             "model attributes as facts, e.g. is_public(resource)");
      return;
    case PL_TK_PLUS: case PL_TK_MINUS: case PL_TK_STAR: case PL_TK_SLASH:
      ps_oss(p, op->pos, "arithmetic", "");
      return;
  }
  if( ps_is_kw(p, 0, "mod") || ps_is_kw(p, 0, "rem") ){
    ps_oss(p, op->pos, "arithmetic", "");
  }
}

/* After a term: the operator that makes it a primary. */
static PlExpr *ps_term_primary(PlParser *p){
  PlTerm *pA = ps_alloc(p, sizeof(PlTerm));
  PlToken *op;
  PlExpr *e = 0;
  if( pA==0 ) return 0;
  ps_term(p, pA);
  if( p->rc ) return 0;
  op = ps_tok(p, 0);
  if( op->eType==PL_TK_EQ || ps_is_cmp(op->eType) ){
    ps_next(p);
    if( op->eType==PL_TK_EQ ){
      e = ps_new_expr(p, PL_EXPR_UNIFY, pA->pos);
    }else{
      e = ps_new_expr(p, PL_EXPR_CMP, pA->pos);
      if( e ){
        switch( op->eType ){
          case PL_TK_EQEQ: e->eCmp = PL_CMP_EQ; break;
          case PL_TK_NE:   e->eCmp = PL_CMP_NE; break;
          case PL_TK_LT:   e->eCmp = PL_CMP_LT; break;
          case PL_TK_LE:   e->eCmp = PL_CMP_LE; break;
          case PL_TK_GT:   e->eCmp = PL_CMP_GT; break;
          default:         e->eCmp = PL_CMP_GE; break;
        }
      }
    }
    if( e==0 ) return 0;
    e->pA = pA;
    e->pB = ps_alloc(p, sizeof(PlTerm));
    if( e->pB==0 ) return 0;
    ps_term(p, e->pB);
    ps_no_oss_operator(p);
    return p->rc ? 0 : e;
  }
  if( ps_is_kw(p, 0, "matches") ){
    PlToken *tType;
    ps_next(p);
    tType = ps_expect(p, PL_TK_IDENT, "expected a type name after 'matches'");
    if( tType==0 ) return 0;
    if( ps_is(p, 0, PL_TK_LB) ){
      ps_oss(p, ps_tok(p, 0)->pos, "a field pattern ('matches Type{...}')",
             "write 'x matches Type' and store attributes as facts");
      return 0;
    }
    e = ps_new_expr(p, PL_EXPR_MATCHES, pA->pos);
    if( e==0 ) return 0;
    e->pA = pA;
    e->zType = tType->z;
    e->typePos = tType->pos;
    return e;
  }
  if( ps_is_kw(p, 0, "in")
   || (ps_is_kw(p, 0, "not") && ps_is_kw(p, 1, "in")) ){
    PlToken *tNot = ps_is_kw(p, 0, "not") ? ps_next(p) : 0;
    ps_next(p);
    if( !ps_is(p, 0, PL_TK_LSQ) ){
      ps_unexpected(p, ps_tok(p, 0), "expected a list '[...]' after 'in'");
      return 0;
    }
    e = ps_new_expr(p, PL_EXPR_IN, pA->pos);
    if( e==0 ) return 0;
    e->pA = pA;
    e->pB = ps_alloc(p, sizeof(PlTerm));
    if( e->pB==0 ) return 0;
    ps_list(p, e->pB);
    if( tNot ){
      PlExpr *n = ps_new_expr(p, PL_EXPR_NOT, pA->pos);
      if( n ) n->pLeft = e;
      return n;
    }
    return e;
  }
  switch( op->eType ){
    case PL_TK_DOT:
      ps_oss(p, op->pos, "attribute lookup with '.'",
             "model attributes as facts, e.g. is_public(resource) or "
             "has_relation(resource, \"parent\", org)");
      return 0;
    case PL_TK_ASSIGN:
      ps_oss(p, op->pos, "assignment with ':='", "use '=' to unify");
      return 0;
    case PL_TK_PLUS: case PL_TK_MINUS: case PL_TK_STAR: case PL_TK_SLASH:
      ps_oss(p, op->pos, "arithmetic", "");
      return 0;
    case PL_TK_COLON:
      ps_error(p, op->pos, "type specializers ('x: Type') are only allowed "
               "in rule parameters; in a rule body write 'x matches Type'");
      return 0;
  }
  if( ps_is_kw(p, 0, "mod") || ps_is_kw(p, 0, "rem") ){
    ps_oss(p, op->pos, "arithmetic", "");
    return 0;
  }
  if( pA->eKind==PL_TERM_STR && p->bShorthand==0
   && (ps_is_kw(p, 0, "on") || ps_is(p, 0, PL_TK_SEMI)) ){
    ps_error(p, pA->pos, "shorthand terms like \"%s\" can only be used in "
             "shorthand rules inside resource blocks",
             pl_printable(p->pArena, pA->z, pA->n, 40));
    return 0;
  }
  ps_unexpected(p, op, "expected an operator ('=', '==', '!=', '<', '<=', "
                "'>', '>=', 'matches' or 'in') after the term");
  return 0;
}

/* call = RuleName "(" [ term { "," term } ] ")" */
static PlExpr *ps_call(PlParser *p){
  PlToken *tName = ps_next(p);
  PlExpr *e = ps_new_expr(p, PL_EXPR_CALL, tName->pos);
  int nAlloc = 0;
  if( e==0 ) return 0;
  e->zPred = tName->z;
  ps_next(p);                                                  /* '(' */
  while( p->rc==SQLITE_OK && !ps_is(p, 0, PL_TK_RP) ){
    if( ps_reserve(p, &e->aArg, e->nArg, &nAlloc, sizeof(PlTerm)) ) break;
    ps_term(p, &e->aArg[e->nArg]);
    if( p->rc ) break;
    e->nArg++;
    if( ps_is(p, 0, PL_TK_COMMA) ){
      ps_next(p);
      if( ps_is(p, 0, PL_TK_RP) ){
        ps_unexpected(p, ps_tok(p, 0), "expected an argument after ','");
      }
      continue;
    }
    if( ps_is(p, 0, PL_TK_COLON) ){
      ps_error(p, ps_tok(p, 0)->pos, "type specializers ('x: Type') are only"
               " allowed in rule parameters; in a rule body write "
               "'x matches Type'");
      break;
    }
    if( ps_is(p, 0, PL_TK_DOT) ){
      ps_oss(p, ps_tok(p, 0)->pos, "attribute lookup with '.'",
             "model attributes as facts, e.g. is_public(resource)");
      break;
    }
    if( !ps_is(p, 0, PL_TK_RP) ){
      ps_unexpected(p, ps_tok(p, 0), "expected ',' or ')' after argument");
    }
  }
  ps_expect(p, PL_TK_RP, "expected ')' to close the argument list");
  return p->rc ? 0 : e;
}

/* Shorthand atoms: "y", "y" on "rel", global "y", role on "rel".
** Returns NULL without error when the tokens are not one. */
static PlExpr *ps_shorthand_atom(PlParser *p){
  PlToken *t = ps_tok(p, 0);
  PlExpr *e;
  if( t->eType==PL_TK_STRING ){
    if( ps_is_kw(p, 1, "on") ){
      PlToken *tRel;
      ps_next(p); ps_next(p);
      tRel = ps_expect(p, PL_TK_STRING, "expected a relation name string "
                       "after 'on' (e.g. on \"parent\")");
      if( tRel==0 ) return 0;
      e = ps_new_expr(p, PL_EXPR_SH_ON, t->pos);
      if( e==0 ) return 0;
      e->zName = t->z;
      e->zRel = tRel->z;
      e->relPos = tRel->pos;
      return e;
    }
    if( ps_is_kw(p, 1, "in") && ps_is(p, 2, PL_TK_STRING) ){
      ps_error(p, ps_tok(p, 1)->pos,
               "unexpected relation keyword 'in'; did you mean 'on'?");
      return 0;
    }
    if( ps_is_operator(p, 1) ) return 0;
    ps_next(p);
    e = ps_new_expr(p, PL_EXPR_SH_TERM, t->pos);
    if( e ) e->zName = t->z;
    return e;
  }
  if( ps_is_kw(p, 0, "global") && ps_is(p, 1, PL_TK_STRING) ){
    PlToken *tName;
    ps_next(p);
    tName = ps_next(p);
    /* positioned at the name: that is what errors are about */
    e = ps_new_expr(p, PL_EXPR_SH_GLOBAL, tName->pos);
    if( e ) e->zName = tName->z;
    return e;
  }
  if( ps_is_kw(p, 0, "role") && ps_is_kw(p, 1, "on") ){
    PlToken *tRel;
    ps_next(p); ps_next(p);
    tRel = ps_expect(p, PL_TK_STRING, "expected a relation name string "
                     "after 'on' (e.g. on \"parent\")");
    if( tRel==0 ) return 0;
    e = ps_new_expr(p, PL_EXPR_SH_ON, t->pos);
    if( e==0 ) return 0;
    e->bRole = 1;
    e->zRel = tRel->z;
    e->relPos = tRel->pos;
    return e;
  }
  return 0;
}

static PlExpr *ps_primary(PlParser *p){
  PlToken *t = ps_tok(p, 0);
  if( p->rc ) return 0;
  if( t->eType==PL_TK_LP ){
    PlExpr *e;
    ps_next(p);
    e = ps_or(p);
    ps_expect(p, PL_TK_RP, "expected ')' to close the parenthesis");
    return p->rc ? 0 : e;
  }
  if( p->bShorthand ){
    PlExpr *e = ps_shorthand_atom(p);
    if( e || p->rc ) return e;
  }else if( ps_is_kw(p, 0, "global") && ps_is(p, 1, PL_TK_STRING) ){
    ps_error(p, t->pos, "'global \"%s\"' can only be used in shorthand rules "
             "inside resource blocks",
             pl_printable(p->pArena, ps_tok(p, 1)->z, ps_tok(p, 1)->n, 40));
    return 0;
  }
  if( t->eType==PL_TK_IDENT ){
    int i;
    for(i=0; azOssCall[i]; i++){
      if( strcmp(t->z, azOssCall[i])==0 ){
        ps_error(p, t->pos, "'%s' is not supported in Oso Cloud Polar", t->z);
        return 0;
      }
    }
    if( strcmp(t->z, "cut")==0 ){
      ps_oss(p, t->pos, "'cut'", "");
      return 0;
    }
    if( ps_is(p, 1, PL_TK_LP) ) return ps_call(p);
    if( ps_is(p, 1, PL_TK_DOT) && ps_is(p, 2, PL_TK_IDENT)
     && ps_is(p, 3, PL_TK_LP) ){
      ps_oss(p, ps_tok(p, 1)->pos, "method calls with '.'",
             "model attributes as facts, e.g. is_public(resource)");
      return 0;
    }
  }
  if( t->eType==PL_TK_QUERY ){
    ps_oss(p, t->pos, "'?='", "");
    return 0;
  }
  return ps_term_primary(p);
}

static PlExpr *ps_not(PlParser *p){
  PlToken *t = ps_tok(p, 0);
  PlExpr *e, *pInner;
  if( p->rc ) return 0;
  if( !ps_is_kw(p, 0, "not") ) return ps_primary(p);
  if( ps_enter(p, t->pos) ) return 0;
  ps_next(p);
  pInner = ps_not(p);
  ps_leave(p);
  if( pInner==0 ) return 0;
  e = ps_new_expr(p, PL_EXPR_NOT, t->pos);
  if( e ) e->pLeft = pInner;
  return e;
}

/* A run of operands joined by zOp, at the next lower level. */
static PlExpr *ps_chain(PlParser *p, int eKind){
  PlExpr **a = 0;
  int n = 0, nAlloc = 0;
  const char *zOp = eKind==PL_EXPR_OR ? "or" : "and";
  PlExpr *e;
  for(;;){
    e = eKind==PL_EXPR_OR ? ps_chain(p, PL_EXPR_AND) : ps_not(p);
    if( e==0 ) return 0;
    if( ps_reserve(p, &a, n, &nAlloc, sizeof(PlExpr*)) ) return 0;
    a[n++] = e;
    if( !ps_is_kw(p, 0, zOp) ) break;
    ps_next(p);
  }
  return ps_balance(p, eKind, a, n);
}

static PlExpr *ps_or(PlParser *p){
  PlExpr *e;
  if( ps_enter(p, ps_tok(p, 0)->pos) ) return 0;
  e = ps_chain(p, PL_EXPR_OR);
  ps_leave(p);
  return p->rc ? 0 : e;
}

/*---------------------------------------------------------- top level ---*/

static PlRule *ps_push_rule(PlParser *p){
  PlProgram *g = p->pProg;
  if( ps_reserve(p, &g->aRule, g->nRule, &p->nRuleAlloc, sizeof(PlRule)) ){
    return 0;
  }
  return &g->aRule[g->nRule++];
}

/* rule = RuleName "(" [ param { "," param } ] ")" [ "if" expr ] ";" */
static void ps_rule(PlParser *p){
  PlToken *tName = ps_next(p);
  PlRule r;
  PlRule *pRule;
  int nAlloc = 0;
  memset(&r, 0, sizeof(r));
  r.pos = tName->pos;
  r.zPred = tName->z;
  ps_next(p);                                                  /* '(' */
  while( p->rc==SQLITE_OK && !ps_is(p, 0, PL_TK_RP) ){
    if( ps_reserve(p, &r.aParam, r.nParam, &nAlloc, sizeof(PlTerm)) ) return;
    ps_param(p, &r.aParam[r.nParam]);
    if( p->rc ) return;
    r.nParam++;
    if( ps_is(p, 0, PL_TK_COMMA) ){
      ps_next(p);
      if( ps_is(p, 0, PL_TK_RP) ){
        ps_unexpected(p, ps_tok(p, 0), "expected a parameter after ','");
      }
      continue;
    }
    if( !ps_is(p, 0, PL_TK_RP) ){
      ps_unexpected(p, ps_tok(p, 0), "expected ',' or ')' after parameter");
    }
  }
  if( ps_expect(p, PL_TK_RP, "expected ')' after parameters")==0 ) return;
  if( ps_is_kw(p, 0, "if") ){
    ps_next(p);
    r.pBody = ps_or(p);
    if( p->rc ) return;
    ps_expect(p, PL_TK_SEMI, "expected ';' after rule body");
  }else{
    ps_expect(p, PL_TK_SEMI, "expected 'if' or ';' after rule head");
  }
  if( p->rc ) return;
  pRule = ps_push_rule(p);
  if( pRule ) *pRule = r;
}

/* declare pred(Type, ...); */
static void ps_declare(PlParser *p){
  PlToken *tKw = ps_next(p);
  PlToken *tName = ps_next(p);
  PlDeclare d;
  PlDeclare *pD;
  PlProgram *g = p->pProg;
  int nA = 0, nB = 0;
  memset(&d, 0, sizeof(d));
  d.pos = tKw->pos;
  d.zPred = tName->z;
  if( ps_expect(p, PL_TK_LP, "expected '(' after the predicate name in "
                "'declare'")==0 ) return;
  for(;;){
    PlToken *tType = ps_expect(p, PL_TK_IDENT,
                               "expected a type name in 'declare'");
    if( tType==0 ) return;
    if( ps_is(p, 0, PL_TK_COLON) ){
      ps_error(p, tType->pos, "'declare' lists only types, e.g. "
               "declare %s(User, String);", d.zPred);
      return;
    }
    if( ps_reserve(p, &d.azType, d.nType, &nA, sizeof(char*)) ) return;
    if( ps_reserve(p, &d.aTypePos, d.nType, &nB, sizeof(PlPos)) ) return;
    d.azType[d.nType] = tType->z;
    d.aTypePos[d.nType] = tType->pos;
    d.nType++;
    if( ps_is(p, 0, PL_TK_COMMA) ){ ps_next(p); continue; }
    break;
  }
  if( ps_expect(p, PL_TK_RP, "expected ',' or ')' in 'declare'")==0 ) return;
  if( ps_expect(p, PL_TK_SEMI, "expected ';' after 'declare'")==0 ) return;
  if( ps_reserve(p, &g->aDecl, g->nDecl, &p->nDeclAlloc, sizeof(PlDeclare)) ){
    return;
  }
  pD = &g->aDecl[g->nDecl++];
  *pD = d;
}

/* "'Repository' resource block", "'User' actor block" or "global block" */
static const char *ps_block_desc(PlParser *p, const PlBlock *b){
  char *z, *zRet;
  if( b->eKind==PL_BLOCK_GLOBAL ) return "global block";
  z = sqlite3_mprintf("'%s' %s block", b->zName,
                      b->eKind==PL_BLOCK_ACTOR ? "actor" : "resource");
  if( z==0 ){ ps_nomem(p); return ""; }
  zRet = (char*)ps_strdup(p, z, -1);
  sqlite3_free(z);
  return zRet ? zRet : "";
}

/* roles = [ "a", "b" ]; */
static void ps_string_list(PlParser *p, PlBlock *b, const char *zDecl,
                           const char ***pazOut, PlPos **paPos, int *pn){
  int nA = 0, nB = 0;
  if( ps_is(p, 0, PL_TK_LB) ){
    ps_error(p, ps_tok(p, 0)->pos, "Expected '%s' declaration to be a list "
             "of strings; found a dictionary", zDecl);
    return;
  }
  if( ps_expect(p, PL_TK_LSQ, zDecl[0]=='r'
        ? "expected '[' to start the 'roles' list"
        : "expected '[' to start the 'permissions' list")==0 ) return;
  while( p->rc==SQLITE_OK && !ps_is(p, 0, PL_TK_RSQ) ){
    PlToken *t = ps_tok(p, 0);
    if( t->eType!=PL_TK_STRING ){
      if( t->eType==PL_TK_IDENT ){
        ps_error(p, t->pos, "'%s' in the '%s' list of %s must be a "
                 "double-quoted string: \"%s\"", t->z, zDecl,
                 ps_block_desc(p, b), t->z);
      }else{
        ps_unexpected(p, t, zDecl[0]=='r'
                      ? "expected a role name string or ']'"
                      : "expected a permission name string or ']'");
      }
      return;
    }
    ps_next(p);
    if( ps_reserve(p, pazOut, *pn, &nA, sizeof(char*)) ) return;
    if( ps_reserve(p, paPos, *pn, &nB, sizeof(PlPos)) ) return;
    (*pazOut)[*pn] = t->z;
    (*paPos)[*pn] = t->pos;
    (*pn)++;
    if( ps_is(p, 0, PL_TK_COMMA) ){ ps_next(p); continue; }
    if( !ps_is(p, 0, PL_TK_RSQ) ){
      ps_unexpected(p, ps_tok(p, 0), "expected ',' or ']' in the list");
    }
  }
  ps_expect(p, PL_TK_RSQ, "expected ']'");
}

/* relations = { name: Type, ... }; */
static void ps_relations(PlParser *p, PlBlock *b){
  int nAlloc = 0;
  if( ps_is(p, 0, PL_TK_LSQ) ){
    ps_error(p, ps_tok(p, 0)->pos, "Expected 'relations' declaration to be a "
             "dictionary; found a list");
    return;
  }
  if( ps_expect(p, PL_TK_LB, "expected '{' to start the 'relations' "
                "dictionary")==0 ) return;
  while( p->rc==SQLITE_OK && !ps_is(p, 0, PL_TK_RB) ){
    PlToken *tName = ps_tok(p, 0);
    PlToken *tType;
    PlRelDecl *r;
    if( tName->eType==PL_TK_STRING ){
      ps_error(p, tName->pos, "relation names are written without quotes: "
               "%s: Type", pl_printable(p->pArena, tName->z, tName->n, 40));
      return;
    }
    if( ps_expect(p, PL_TK_IDENT, "expected a relation name or '}'")==0 ){
      return;
    }
    if( ps_expect(p, PL_TK_COLON, "expected ':' after the relation name")==0 ){
      return;
    }
    tType = ps_expect(p, PL_TK_IDENT, "expected the related type name "
                      "after ':'");
    if( tType==0 ) return;
    if( ps_reserve(p, &b->aRel, b->nRel, &nAlloc, sizeof(PlRelDecl)) ) return;
    r = &b->aRel[b->nRel++];
    r->zName = tName->z; r->pos = tName->pos;
    r->zType = tType->z; r->typePos = tType->pos;
    if( ps_is(p, 0, PL_TK_COMMA) ){ ps_next(p); continue; }
    if( !ps_is(p, 0, PL_TK_RB) ){
      ps_unexpected(p, ps_tok(p, 0), "expected ',' or '}' in 'relations'");
    }
  }
  ps_expect(p, PL_TK_RB, "expected '}'");
}

/* A declaration inside a block: the name token is current, '=' follows. */
static void ps_block_decl(PlParser *p, PlBlock *b){
  PlToken *tKw = ps_next(p);
  int *pbSeen;
  PlPos *pPos;
  const char *zKw = tKw->z;
  if( strcmp(zKw, "roles")==0 ){
    pbSeen = &b->bRoles; pPos = &b->rolesPos;
  }else if( strcmp(zKw, "permissions")==0 ){
    pbSeen = &b->bPerms; pPos = &b->permsPos;
  }else if( strcmp(zKw, "relations")==0 ){
    pbSeen = &b->bRels; pPos = &b->relsPos;
  }else{
    ps_error(p, tKw->pos, "unknown declaration '%s' in %s; expected 'roles',"
             " 'permissions' or 'relations'", zKw, ps_block_desc(p, b));
    return;
  }
  if( *pbSeen ){
    ps_error(p, tKw->pos, "Multiple '%s' declarations in %s (first at line "
             "%d); merge them into one", zKw, ps_block_desc(p, b),
             pPos->line);
    return;
  }
  *pbSeen = 1;
  *pPos = tKw->pos;
  ps_next(p);                                                  /* '=' */
  if( zKw[0]=='r' && zKw[1]=='o' ){
    ps_string_list(p, b, "roles", &b->azRole, &b->aRolePos, &b->nRole);
  }else if( zKw[0]=='p' ){
    ps_string_list(p, b, "permissions", &b->azPerm, &b->aPermPos, &b->nPerm);
  }else{
    ps_relations(p, b);
  }
  if( p->rc ) return;
  if( ps_is(p, 0, PL_TK_SEMI) ){ ps_next(p); return; }
  {
    char *zExp = sqlite3_mprintf("expected ';' after '%s' declaration", zKw);
    if( zExp==0 ){ ps_nomem(p); return; }
    ps_unexpected(p, ps_tok(p, 0), zExp);
    sqlite3_free(zExp);
  }
}

/* sh_head "if" sh_body ";" */
static void ps_shorthand(PlParser *p, PlBlock *b, int *pnAlloc){
  PlToken *tHead = ps_next(p);
  PlShorthand sh;
  memset(&sh, 0, sizeof(sh));
  sh.pos = tHead->pos;
  sh.zHead = tHead->eType==PL_TK_STRING ? tHead->z : 0;
  ps_next(p);                                                  /* if */
  p->bShorthand = 1;
  sh.pBody = ps_or(p);
  p->bShorthand = 0;
  if( p->rc ) return;
  if( ps_expect(p, PL_TK_SEMI, "expected ';' after shorthand rule")==0 ) return;
  if( ps_reserve(p, &b->aSh, b->nSh, pnAlloc, sizeof(PlShorthand)) ) return;
  b->aSh[b->nSh++] = sh;
}

static void ps_block(PlParser *p, int eKind){
  PlToken *tKw = ps_next(p);
  PlBlock b;
  PlProgram *g = p->pProg;
  int nShAlloc = 0;
  memset(&b, 0, sizeof(b));
  b.eKind = eKind;
  b.pos = tKw->pos;
  if( eKind!=PL_BLOCK_GLOBAL ){
    PlToken *tName = ps_next(p);                /* checked by the caller */
    b.zName = tName->z;
    if( ps_is_kw(p, 0, "extends") ){
      int nA = 0, nB = 0;
      ps_next(p);
      for(;;){
        PlToken *tSup = ps_expect(p, PL_TK_IDENT,
                                  "expected a type name after 'extends'");
        if( tSup==0 ) return;
        if( ps_reserve(p, &b.azExtends, b.nExtends, &nA, sizeof(char*)) ) return;
        if( ps_reserve(p, &b.aExtendsPos, b.nExtends, &nB, sizeof(PlPos)) ){
          return;
        }
        b.azExtends[b.nExtends] = tSup->z;
        b.aExtendsPos[b.nExtends] = tSup->pos;
        b.nExtends++;
        if( !ps_is(p, 0, PL_TK_COMMA) ) break;
        ps_next(p);
      }
    }
  }else if( ps_is_kw(p, 0, "extends") ){
    ps_error(p, ps_tok(p, 0)->pos, "the global block cannot extend a type");
    return;
  }
  if( ps_expect(p, PL_TK_LB, eKind==PL_BLOCK_GLOBAL
                ? "expected '{' after 'global'"
                : "expected '{' or 'extends' after the block's type name")==0 ){
    return;
  }
  while( p->rc==SQLITE_OK && !ps_is(p, 0, PL_TK_RB) ){
    PlToken *t = ps_tok(p, 0);
    if( t->eType==PL_TK_IDENT && ps_is(p, 1, PL_TK_EQ) ){
      ps_block_decl(p, &b);
    }else if( (t->eType==PL_TK_STRING || ps_is_kw(p, 0, "role"))
           && ps_is_kw(p, 1, "if") ){
      ps_shorthand(p, &b, &nShAlloc);
    }else if( t->eType==PL_TK_STRING ){
      ps_unexpected(p, ps_tok(p, 1), "expected 'if' after the shorthand "
                    "rule head");
    }else if( t->eType==PL_TK_IDENT && ps_is(p, 1, PL_TK_LP) ){
      ps_error(p, t->pos, "rules like '%s(...)' must be written outside "
               "resource blocks; inside %s only declarations and shorthand "
               "rules (\"x\" if \"y\";) are allowed", t->z,
               ps_block_desc(p, &b));
    }else if( t->eType==PL_TK_EOF ){
      char *zExp = sqlite3_mprintf("expected '}' to close %s",
                                   ps_block_desc(p, &b));
      if( zExp==0 ){ ps_nomem(p); return; }
      ps_unexpected(p, t, zExp);
      sqlite3_free(zExp);
    }else{
      char *zExp = sqlite3_mprintf("expected a declaration (roles, "
                                   "permissions, relations), a shorthand rule "
                                   "or '}' in %s", ps_block_desc(p, &b));
      if( zExp==0 ){ ps_nomem(p); return; }
      ps_unexpected(p, t, zExp);
      sqlite3_free(zExp);
    }
  }
  if( ps_expect(p, PL_TK_RB, "expected '}'")==0 ) return;
  if( ps_reserve(p, &g->aBlock, g->nBlock, &p->nBlockAlloc, sizeof(PlBlock)) ){
    return;
  }
  g->aBlock[g->nBlock++] = b;
}

/* pred(targ, ...) — a ground fact in a fixture or setup block */
static void ps_fact(PlParser *p, PlFact *f){
  PlToken *tName = ps_tok(p, 0);
  int nAlloc = 0;
  if( tName->eType!=PL_TK_IDENT || !ps_is(p, 1, PL_TK_LP) ){
    ps_unexpected(p, tName, "expected a fact like has_role(User{\"alice\"}, "
                  "\"member\", Organization{\"acme\"})");
    return;
  }
  ps_next(p); ps_next(p);
  f->pos = tName->pos;
  f->zPred = tName->z;
  while( p->rc==SQLITE_OK && !ps_is(p, 0, PL_TK_RP) ){
    if( ps_reserve(p, &f->aArg, f->nArg, &nAlloc, sizeof(PlTerm)) ) return;
    ps_ground(p, &f->aArg[f->nArg], 0);
    if( p->rc ) return;
    f->nArg++;
    if( ps_is(p, 0, PL_TK_COMMA) ){ ps_next(p); continue; }
    if( !ps_is(p, 0, PL_TK_RP) ){
      ps_unexpected(p, ps_tok(p, 0), "expected ',' or ')' after argument");
    }
  }
  ps_expect(p, PL_TK_RP, "expected ')'");
}

/* Facts separated by ';' up to '}' (the last ';' is optional: decision
** 15.10). With pazFix, "fixture name;" entries are allowed too. */
static void ps_fact_list(PlParser *p, PlFact **paFact, int *pnFact,
                         const char ***pazFix, PlPos **paFixPos, int *pnFix){
  int nAlloc = 0, nFA = 0, nFB = 0;
  if( ps_expect(p, PL_TK_LB, "expected '{'")==0 ) return;
  while( p->rc==SQLITE_OK && !ps_is(p, 0, PL_TK_RB) ){
    if( pazFix && ps_is_kw(p, 0, "fixture") && ps_is(p, 1, PL_TK_IDENT) ){
      PlToken *tName;
      ps_next(p);
      tName = ps_next(p);
      if( ps_reserve(p, pazFix, *pnFix, &nFA, sizeof(char*)) ) return;
      if( ps_reserve(p, paFixPos, *pnFix, &nFB, sizeof(PlPos)) ) return;
      (*pazFix)[*pnFix] = tName->z;
      (*paFixPos)[*pnFix] = tName->pos;
      (*pnFix)++;
    }else{
      if( ps_reserve(p, paFact, *pnFact, &nAlloc, sizeof(PlFact)) ) return;
      ps_fact(p, &(*paFact)[*pnFact]);
      if( p->rc ) return;
      (*pnFact)++;
    }
    if( ps_is(p, 0, PL_TK_SEMI) ){ ps_next(p); continue; }
    if( !ps_is(p, 0, PL_TK_RB) ){
      ps_unexpected(p, ps_tok(p, 0), "expected ';' after fact");
    }
  }
  ps_expect(p, PL_TK_RB, "expected '}'");
}

/* test fixture name { facts } */
static void ps_fixture(PlParser *p){
  PlToken *tKw = ps_next(p);
  PlToken *tName;
  PlFixture f;
  PlProgram *g = p->pProg;
  memset(&f, 0, sizeof(f));
  ps_next(p);                                            /* fixture */
  tName = ps_expect(p, PL_TK_IDENT, "expected a fixture name after "
                    "'test fixture'");
  if( tName==0 ) return;
  f.pos = tKw->pos;
  f.zName = tName->z;
  ps_fact_list(p, &f.aFact, &f.nFact, 0, 0, 0);
  if( p->rc ) return;
  if( ps_reserve(p, &g->aFix, g->nFix, &p->nFixAlloc, sizeof(PlFixture)) ){
    return;
  }
  g->aFix[g->nFix++] = f;
}

/* (assert|assert_not) pred(aarg, ...) [iff x (not)? in [..]] ; */
static void ps_assert(PlParser *p, PlAssert *a){
  PlToken *tKw = ps_next(p);
  PlToken *tName = ps_tok(p, 0);
  int nAlloc = 0, iVar = -1, i;
  a->pos = tKw->pos;
  a->bNot = strcmp(tKw->z, "assert_not")==0;
  if( tName->eType!=PL_TK_IDENT || !ps_is(p, 1, PL_TK_LP) ){
    ps_unexpected(p, tName, "expected a query like allow(User{\"alice\"}, "
                  "\"read\", Repository{\"anvil\"}) after 'assert'");
    return;
  }
  ps_next(p); ps_next(p);
  a->zPred = tName->z;
  while( p->rc==SQLITE_OK && !ps_is(p, 0, PL_TK_RP) ){
    if( ps_reserve(p, &a->aArg, a->nArg, &nAlloc, sizeof(PlTerm)) ) return;
    ps_ground(p, &a->aArg[a->nArg], 1);
    if( p->rc ) return;
    if( a->aArg[a->nArg].eKind==PL_TERM_VAR ){
      if( iVar>=0 ){
        ps_error(p, a->aArg[a->nArg].pos, "an assertion can have at most one "
                 "variable ('%s' is already one)", a->aArg[iVar].zName);
        return;
      }
      iVar = a->nArg;
    }
    a->nArg++;
    if( ps_is(p, 0, PL_TK_COMMA) ){ ps_next(p); continue; }
    if( !ps_is(p, 0, PL_TK_RP) ){
      ps_unexpected(p, ps_tok(p, 0), "expected ',' or ')' after argument");
    }
  }
  if( ps_expect(p, PL_TK_RP, "expected ')'")==0 ) return;
  if( ps_is_kw(p, 0, "iff") ){
    PlToken *tIff = ps_next(p);
    PlToken *tVar = ps_expect(p, PL_TK_IDENT, "expected the assertion's "
                              "variable after 'iff'");
    if( tVar==0 ) return;
    if( iVar<0 ){
      ps_error(p, tIff->pos, "'iff' needs a typed variable in the assertion, "
               "e.g. allow(User{\"alice\"}, action: String, ...) iff action "
               "in [...]");
      return;
    }
    if( strcmp(tVar->z, a->aArg[iVar].zName)!=0 ){
      ps_error(p, tVar->pos, "'iff' names '%s', but the assertion's variable "
               "is '%s'", tVar->z, a->aArg[iVar].zName);
      return;
    }
    a->bIff = 1;
    a->zIffVar = tVar->z;
    a->iffVarPos = tVar->pos;
    if( ps_is_kw(p, 0, "not") ){ ps_next(p); a->bIffNotIn = 1; }
    if( !ps_is_kw(p, 0, "in") ){
      ps_unexpected(p, ps_tok(p, 0), "expected 'in' or 'not in' after the "
                    "'iff' variable");
      return;
    }
    ps_next(p);
    if( !ps_is(p, 0, PL_TK_LSQ) ){
      ps_unexpected(p, ps_tok(p, 0), "expected a list '[...]' after 'in'");
      return;
    }
    a->pIffList = ps_alloc(p, sizeof(PlTerm));
    if( a->pIffList==0 ) return;
    ps_list(p, a->pIffList);
    if( p->rc ) return;
    for(i=0; i<a->pIffList->nItem; i++){
      PlTerm *it = &a->pIffList->aItem[i];
      if( it->eKind!=PL_TERM_STR && it->eKind!=PL_TERM_INT
       && it->eKind!=PL_TERM_BOOL && it->eKind!=PL_TERM_OBJ ){
        ps_error(p, it->pos, "the 'iff' list holds only literal values "
                 "(strings, integers, true/false, object literals)");
        return;
      }
    }
  }
  ps_expect(p, PL_TK_SEMI, "expected ';' after assertion");
}

/* test "name" { [setup { ... }] assertions } */
static void ps_test(PlParser *p){
  PlToken *tKw = ps_next(p);
  PlToken *tName = ps_next(p);
  PlTest t;
  PlProgram *g = p->pProg;
  int nAlloc = 0, bSetup = 0;
  memset(&t, 0, sizeof(t));
  t.pos = tKw->pos;
  t.zName = tName->z;
  if( ps_expect(p, PL_TK_LB, "expected '{' after the test name")==0 ) return;
  while( p->rc==SQLITE_OK && !ps_is(p, 0, PL_TK_RB) ){
    if( ps_is_kw(p, 0, "setup") && ps_is(p, 1, PL_TK_LB) ){
      if( bSetup ){
        ps_error(p, ps_tok(p, 0)->pos, "a test has at most one setup block");
        return;
      }
      bSetup = 1;
      ps_next(p);
      ps_fact_list(p, &t.aSetup, &t.nSetup,
                   &t.azFixture, &t.aFixturePos, &t.nFixture);
    }else if( ps_is_kw(p, 0, "assert") || ps_is_kw(p, 0, "assert_not") ){
      if( ps_reserve(p, &t.aAssert, t.nAssert, &nAlloc, sizeof(PlAssert)) ){
        return;
      }
      ps_assert(p, &t.aAssert[t.nAssert]);
      if( p->rc ) return;
      t.nAssert++;
    }else{
      ps_unexpected(p, ps_tok(p, 0), "expected 'setup {', 'assert', "
                    "'assert_not' or '}' in test");
    }
  }
  if( ps_expect(p, PL_TK_RB, "expected '}'")==0 ) return;
  if( ps_reserve(p, &g->aTest, g->nTest, &p->nTestAlloc, sizeof(PlTest)) ){
    return;
  }
  g->aTest[g->nTest++] = t;
}

static void ps_item(PlParser *p){
  PlToken *t = ps_tok(p, 0);
  if( t->eType==PL_TK_QUERY ){
    ps_oss(p, t->pos, "inline queries ('?=')", "write a test block instead");
    return;
  }
  if( t->eType!=PL_TK_IDENT ){
    ps_unexpected(p, t, "expected a rule, resource block, 'declare' or test");
    return;
  }
  if( ps_is(p, 1, PL_TK_LP) ){
    ps_rule(p);
    return;
  }
  if( (strcmp(t->z, "actor")==0 || strcmp(t->z, "resource")==0) ){
    if( !ps_is(p, 1, PL_TK_IDENT) ){
      ps_unexpected(p, ps_tok(p, 1), t->z[0]=='a'
                    ? "expected a type name after 'actor'"
                    : "expected a type name after 'resource'");
      return;
    }
    ps_block(p, t->z[0]=='a' ? PL_BLOCK_ACTOR : PL_BLOCK_RESOURCE);
    return;
  }
  if( strcmp(t->z, "global")==0 ){
    ps_block(p, PL_BLOCK_GLOBAL);
    return;
  }
  if( strcmp(t->z, "declare")==0 && ps_is(p, 1, PL_TK_IDENT) ){
    ps_declare(p);
    return;
  }
  if( strcmp(t->z, "type")==0 && ps_is(p, 1, PL_TK_IDENT) ){
    ps_error(p, t->pos, "rule type declarations ('type %s(...)') are not "
             "supported in Oso Cloud Polar; to declare a fact signature "
             "write 'declare %s(Type, ...);'", ps_tok(p, 1)->z,
             ps_tok(p, 1)->z);
    return;
  }
  if( strcmp(t->z, "test")==0 ){
    if( ps_is_kw(p, 1, "fixture") ){ ps_fixture(p); return; }
    if( ps_is(p, 1, PL_TK_STRING) ){ ps_test(p); return; }
    ps_unexpected(p, ps_tok(p, 1), "expected 'fixture' or a test name string "
                  "after 'test'");
    return;
  }
  if( ps_is(p, 1, PL_TK_IDENT)
   && (ps_is(p, 2, PL_TK_LB) || ps_is_kw(p, 2, "extends")) ){
    ps_error(p, t->pos, "Expected 'actor' or 'resource' but found '%s'", t->z);
    return;
  }
  ps_unexpected(p, ps_tok(p, 1), strcmp(t->z, "declare")==0
                ? "expected a predicate name after 'declare'"
                : "expected '(' after the rule name");
}

int pl_parse(PlArena *pArena, const char *zSrc, int nSrc, const char *zFile,
             const PlLimits *pLim, PlProgram **ppProg, char **pzErr){
  PlParser p;
  int rc;
  if( pzErr ) *pzErr = 0;
  *ppProg = 0;
  memset(&p, 0, sizeof(p));
  p.pArena = pArena;
  p.zFile = zFile;
  p.pLim = pLim;
  rc = pl_lex(pArena, zSrc, nSrc, &p.aTok, &p.nTok);
  if( rc!=SQLITE_OK || p.nTok==0 ){
    sqlite3_free(p.aTok);
    if( pzErr ) *pzErr = sqlite3_mprintf("out of memory");
    return SQLITE_NOMEM;
  }
  p.pProg = ps_alloc(&p, sizeof(PlProgram));
  if( p.pProg && zFile ) p.pProg->zFile = ps_strdup(&p, zFile, -1);
  while( p.rc==SQLITE_OK && !ps_is(&p, 0, PL_TK_EOF) ){
    ps_item(&p);
  }
  sqlite3_free(p.aTok);
  if( p.rc ){
    if( pzErr ) *pzErr = p.zErr; else sqlite3_free(p.zErr);
    return p.rc;
  }
  *ppProg = p.pProg;
  return SQLITE_OK;
}
