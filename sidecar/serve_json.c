/*
** serve_json.c — request JSON in, response JSON out (see serve_json.h).
**
** The reader is a recursive-descent parser of RFC 8259 into a flat token
** array (depth bounded by SJ_MAX_DEPTH), each token knowing where its
** subtree ends, so walking an object or array is a loop over iNext. Strings
** without escapes are returned in place; escaped ones are decoded (by the
** engine's pl_json_unescape, the one decoder of JSON strings) into one
** scratch buffer the size of the body (every escape shrinks), so a body
** costs at most two allocations beyond the tokens.
*/
#include "serve_json.h"
#include "pl_int.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*---------------------------------------------------------------- reader --*/

typedef struct Parser {
  SjDoc *p;
  int i;                      /* next byte */
  char *zErr; size_t nErr;
} Parser;

static int perr(Parser *P, const char *zWhy){
  snprintf(P->zErr, P->nErr, "malformed JSON at byte %d: %s", P->i, zWhy);
  return -1;
}

static void skip_ws(Parser *P){
  const char *z = P->p->z;
  while( P->i<P->p->n && (z[P->i]==' ' || z[P->i]=='\t' || z[P->i]=='\n' || z[P->i]=='\r') ){
    P->i++;
  }
}

static int new_tok(Parser *P, int eType){
  SjDoc *p = P->p;
  if( p->nTok>=p->nAlloc ){
    int nNew = p->nAlloc ? p->nAlloc*2 : 32;
    SjTok *aNew = realloc(p->aTok, sizeof(SjTok)*(size_t)nNew);
    if( aNew==0 ){ snprintf(P->zErr, P->nErr, "out of memory"); return -1; }
    p->aTok = aNew;
    p->nAlloc = nNew;
  }
  memset(&p->aTok[p->nTok], 0, sizeof(SjTok));
  p->aTok[p->nTok].eType = (unsigned char)eType;
  p->aTok[p->nTok].iStart = P->i;
  return p->nTok++;
}

static int is_hex(char c){
  return (c>='0' && c<='9') || (c>='a' && c<='f') || (c>='A' && c<='F');
}

/* A string at z[P->i]=='"'. */
static int parse_string(Parser *P){
  const char *z = P->p->z;
  int n = P->p->n, t = new_tok(P, SJ_STR);
  if( t<0 ) return -1;
  P->i++;
  P->p->aTok[t].iStart = P->i;
  while( P->i<n ){
    unsigned char c = (unsigned char)z[P->i];
    if( c=='"' ){
      P->p->aTok[t].iEnd = P->i;
      P->i++;
      P->p->aTok[t].iNext = P->p->nTok;
      return 0;
    }
    if( c<0x20 ) return perr(P, "control character in a string");
    if( c=='\\' ){
      P->i++;
      if( P->i>=n ) break;
      switch( z[P->i] ){
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          break;
        case 'u':
          if( P->i+4>=n || !is_hex(z[P->i+1]) || !is_hex(z[P->i+2]) || !is_hex(z[P->i+3])
           || !is_hex(z[P->i+4]) ){
            return perr(P, "\\u needs four hex digits");
          }
          P->i += 4;
          break;
        default:
          return perr(P, "unknown escape in a string");
      }
    }
    P->i++;
  }
  return perr(P, "unterminated string");
}

static int parse_number(Parser *P){
  const char *z = P->p->z;
  int n = P->p->n, t = new_tok(P, SJ_NUM), i = P->i;
  if( t<0 ) return -1;
  if( i<n && z[i]=='-' ) i++;
  if( i<n && z[i]=='0' ){
    i++;
  }else if( i<n && z[i]>='1' && z[i]<='9' ){
    while( i<n && z[i]>='0' && z[i]<='9' ) i++;
  }else{
    P->i = i;
    return perr(P, "expected a digit");
  }
  if( i<n && z[i]=='.' ){
    i++;
    if( i>=n || z[i]<'0' || z[i]>'9' ){ P->i = i; return perr(P, "expected a digit after '.'"); }
    while( i<n && z[i]>='0' && z[i]<='9' ) i++;
  }
  if( i<n && (z[i]=='e' || z[i]=='E') ){
    i++;
    if( i<n && (z[i]=='+' || z[i]=='-') ) i++;
    if( i>=n || z[i]<'0' || z[i]>'9' ){ P->i = i; return perr(P, "expected a digit in the exponent"); }
    while( i<n && z[i]>='0' && z[i]<='9' ) i++;
  }
  P->i = i;
  P->p->aTok[t].iEnd = i;
  P->p->aTok[t].iNext = P->p->nTok;
  return 0;
}

static int parse_literal(Parser *P, const char *zLit, int eType){
  int nLit = (int)strlen(zLit), t;
  if( P->p->n - P->i < nLit || memcmp(P->p->z + P->i, zLit, (size_t)nLit)!=0 ){
    return perr(P, "expected a value");
  }
  t = new_tok(P, eType);
  if( t<0 ) return -1;
  P->i += nLit;
  P->p->aTok[t].iEnd = P->i;
  P->p->aTok[t].iNext = P->p->nTok;
  return 0;
}

static int parse_value(Parser *P, int iDepth);

/* '{' or '[' at P->i. */
static int parse_container(Parser *P, int iDepth, int bObj){
  const char *z = P->p->z;
  int t = new_tok(P, bObj ? SJ_OBJ : SJ_ARR), nChild = 0;
  char cEnd = bObj ? '}' : ']';
  if( t<0 ) return -1;
  if( iDepth>=SJ_MAX_DEPTH ) return perr(P, "nested too deeply");
  P->i++;
  skip_ws(P);
  if( P->i<P->p->n && z[P->i]==cEnd ){
    P->i++;
  }else{
    for(;;){
      skip_ws(P);
      if( bObj ){
        if( P->i>=P->p->n || z[P->i]!='"' ) return perr(P, "expected a key (a string)");
        if( parse_string(P) ) return -1;
        skip_ws(P);
        if( P->i>=P->p->n || z[P->i]!=':' ) return perr(P, "expected ':'");
        P->i++;
        nChild++;
      }
      if( parse_value(P, iDepth+1) ) return -1;
      nChild++;
      skip_ws(P);
      if( P->i<P->p->n && z[P->i]==',' ){ P->i++; continue; }
      if( P->i<P->p->n && z[P->i]==cEnd ){ P->i++; break; }
      return perr(P, bObj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  P->p->aTok[t].nChild = nChild;
  P->p->aTok[t].iEnd = P->i;
  P->p->aTok[t].iNext = P->p->nTok;
  return 0;
}

static int parse_value(Parser *P, int iDepth){
  const char *z = P->p->z;
  skip_ws(P);
  if( P->i>=P->p->n ) return perr(P, "expected a value, found the end");
  switch( z[P->i] ){
    case '{': return parse_container(P, iDepth, 1);
    case '[': return parse_container(P, iDepth, 0);
    case '"': return parse_string(P);
    case 't': return parse_literal(P, "true", SJ_TRUE);
    case 'f': return parse_literal(P, "false", SJ_FALSE);
    case 'n': return parse_literal(P, "null", SJ_NULL);
    default:
      if( z[P->i]=='-' || (z[P->i]>='0' && z[P->i]<='9') ) return parse_number(P);
      return perr(P, "expected a value");
  }
}

int sj_parse(SjDoc *p, const char *z, int n, char *zErr, size_t nErr){
  Parser P;
  memset(p, 0, sizeof(*p));
  p->z = z;
  p->n = n;
  P.p = p;
  P.i = 0;
  P.zErr = zErr;
  P.nErr = nErr;
  if( parse_value(&P, 0) ) return -1;
  skip_ws(&P);
  if( P.i<n ) return perr(&P, "unexpected text after the value");
  return 0;
}

void sj_free(SjDoc *p){
  free(p->aTok);
  free(p->aScratch);
  memset(p, 0, sizeof(*p));
}

void sj_raw(const SjDoc *p, int iTok, const char **pz, int *pn){
  const SjTok *t = &p->aTok[iTok];
  int a = t->iStart, b = t->iEnd;
  if( t->eType==SJ_STR ){ a--; b++; }
  *pz = p->z + a;
  *pn = b - a;
}

/* Decode the escaped string z[0..n) into zOut (at most n bytes) with the
** engine's decoder: the length, or -1 (a lone surrogate, or \u0000). */
static int unescape(const char *z, int n, char *zOut){
  unsigned uBad;
  int nOut = 0;
  return pl_json_unescape(z, n, zOut, &nOut, &uBad)==SQLITE_OK ? nOut : -1;
}

int sj_str(SjDoc *p, int iTok, const char **pz, int *pn){
  const SjTok *t = &p->aTok[iTok];
  const char *zIn = p->z + t->iStart;
  int nIn = t->iEnd - t->iStart, n;
  if( memchr(zIn, '\\', (size_t)nIn)==0 ){
    *pz = zIn;
    *pn = nIn;
    return 0;
  }
  if( p->aScratch==0 ){
    p->nScratch = (size_t)p->n + 1;
    p->aScratch = malloc(p->nScratch);
    if( p->aScratch==0 ) return -1;
  }
  if( p->nScratchUsed + (size_t)nIn + 1 > p->nScratch ) return -1;
  n = unescape(zIn, nIn, p->aScratch + p->nScratchUsed);
  if( n<0 ) return -1;
  *pz = p->aScratch + p->nScratchUsed;
  *pn = n;
  p->aScratch[p->nScratchUsed + (size_t)n] = 0;
  p->nScratchUsed += (size_t)n + 1;
  return 0;
}

/* 1 if key token iKey is zKey (decoded in a small buffer when escaped:
** a longer key is none of ours). */
static int key_is(const SjDoc *p, int iKey, const char *zKey, size_t nKey){
  const SjTok *t = &p->aTok[iKey];
  const char *z = p->z + t->iStart;
  int n = t->iEnd - t->iStart;
  char aBuf[64];
  if( memchr(z, '\\', (size_t)n) ){
    if( n>(int)sizeof(aBuf) ) return 0;
    n = unescape(z, n, aBuf);
    if( n<0 ) return 0;
    z = aBuf;
  }
  return (size_t)n==nKey && memcmp(z, zKey, nKey)==0;
}

int sj_key(const SjDoc *p, int iObj, const char *zKey){
  const SjTok *t = &p->aTok[iObj];
  size_t nKey = strlen(zKey);
  int i, iKey = iObj+1, iFound = -1;
  if( t->eType!=SJ_OBJ ) return -1;
  for(i=0; i<t->nChild; i+=2){
    int iVal = iKey+1;
    if( key_is(p, iKey, zKey, nKey) ){
      if( iFound>=0 ) return -2;
      iFound = iVal;
    }
    iKey = p->aTok[iVal].iNext;
  }
  return iFound;
}

/*-------------------------------------------------------------- requests --*/

static int ferr(char *zErr, size_t nErr, const char *zFmt, ...){
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(zErr, nErr, zFmt, ap);
  va_end(ap);
  return -1;
}

static const char *type_name(int eType){
  switch( eType ){
    case SJ_OBJ: return "an object";
    case SJ_ARR: return "an array";
    case SJ_STR: return "a string";
    case SJ_NUM: return "a number";
    case SJ_NULL: return "null";
    default: return "a boolean";
  }
}

/* The value token of zKey: *piTok = -1 when absent or null (bRequired: an
** error). A duplicate key is an error. */
static int field(SjDoc *p, int iObj, const char *zKey, int bRequired, int *piTok,
                 char *zErr, size_t nErr){
  int i = sj_key(p, iObj, zKey);
  if( i==-2 ) return ferr(zErr, nErr, "\"%s\" appears twice", zKey);
  if( i>=0 && p->aTok[i].eType==SJ_NULL ) i = -1;
  if( i<0 && bRequired ) return ferr(zErr, nErr, "missing \"%s\"", zKey);
  *piTok = i;
  return 0;
}

/* A string field (*pz NULL when absent and not required). */
static int str_field(SjDoc *p, int iObj, const char *zKey, int bRequired,
                     const char **pz, int *pn, char *zErr, size_t nErr){
  int i;
  *pz = 0;
  *pn = 0;
  if( field(p, iObj, zKey, bRequired, &i, zErr, nErr) ) return -1;
  if( i<0 ) return 0;
  if( p->aTok[i].eType!=SJ_STR ){
    return ferr(zErr, nErr, "%s: expected a string, found %s", zKey, type_name(p->aTok[i].eType));
  }
  if( sj_str(p, i, pz, pn) ) return ferr(zErr, nErr, "%s: invalid string (\\u0000 or a lone surrogate)", zKey);
  return 0;
}

/* An id: a string, or (as ext/json.c accepts) a JSON number for type
** Integer and true/false for Boolean. */
static int id_tok(SjDoc *p, int i, const char *zType, int nType, const char *zWhat,
                  const char **pz, int *pn, char *zErr, size_t nErr){
  int e = p->aTok[i].eType;
  if( e==SJ_STR ){
    if( sj_str(p, i, pz, pn) ) return ferr(zErr, nErr, "%s: invalid string (\\u0000 or a lone surrogate)", zWhat);
    return 0;
  }
  if( (e==SJ_NUM && nType==7 && memcmp(zType, "Integer", 7)==0)
   || ((e==SJ_TRUE || e==SJ_FALSE) && nType==7 && memcmp(zType, "Boolean", 7)==0) ){
    *pz = p->z + p->aTok[i].iStart;
    *pn = p->aTok[i].iEnd - p->aTok[i].iStart;
    return 0;
  }
  return ferr(zErr, nErr, "%s: expected a string, found %s", zWhat, type_name(e));
}

/* The pair zTypeKey/zIdKey of a flat body (actor_type/actor_id). */
static int typed_fields(SjDoc *p, int iObj, const char *zTypeKey, const char *zIdKey,
                        SjValue *pV, char *zErr, size_t nErr){
  int i;
  memset(pV, 0, sizeof(*pV));
  if( str_field(p, iObj, zTypeKey, 1, &pV->zType, &pV->nType, zErr, nErr) ) return -1;
  if( field(p, iObj, zIdKey, 1, &i, zErr, nErr) ) return -1;
  return id_tok(p, i, pV->zType, pV->nType, zIdKey, &pV->zId, &pV->nId, zErr, nErr);
}

int sj_value(SjDoc *p, int iTok, const char *zWhat, SjValue *pV, char *zErr, size_t nErr){
  const SjTok *t = &p->aTok[iTok];
  int i, iKey = iTok+1, iType = -1, iId = -1;
  memset(pV, 0, sizeof(*pV));
  if( t->eType==SJ_NULL ) return 0;
  if( t->eType!=SJ_OBJ ){
    return ferr(zErr, nErr, "%s: expected {\"type\": ..., \"id\": ...}, found %s", zWhat,
                type_name(t->eType));
  }
  for(i=0; i<t->nChild; i+=2){
    int iVal = iKey+1;
    if( key_is(p, iKey, "type", 4) ){
      if( iType>=0 ) return ferr(zErr, nErr, "%s: \"type\" appears twice", zWhat);
      iType = iVal;
    }else if( key_is(p, iKey, "id", 2) ){
      if( iId>=0 ) return ferr(zErr, nErr, "%s: \"id\" appears twice", zWhat);
      iId = iVal;
    }else{
      return ferr(zErr, nErr, "%s: unknown key (a value has \"type\" and \"id\")", zWhat);
    }
    iKey = p->aTok[iVal].iNext;
  }
  if( iType>=0 && p->aTok[iType].eType!=SJ_NULL ){
    if( p->aTok[iType].eType!=SJ_STR ){
      return ferr(zErr, nErr, "%s.type: expected a string or null, found %s", zWhat,
                  type_name(p->aTok[iType].eType));
    }
    if( sj_str(p, iType, &pV->zType, &pV->nType) ){
      return ferr(zErr, nErr, "%s.type: invalid string", zWhat);
    }
  }
  if( iId>=0 && p->aTok[iId].eType!=SJ_NULL ){
    char zId[80];
    snprintf(zId, sizeof(zId), "%s.id", zWhat);
    if( id_tok(p, iId, pV->zType ? pV->zType : "", pV->nType, zId, &pV->zId, &pV->nId,
               zErr, nErr) ){
      return -1;
    }
  }
  return 0;
}

/* context_facts: absent, null or [] is none; otherwise the raw array. */
static int ctx_field(SjDoc *p, int iObj, const char **pz, int *pn, char *zErr, size_t nErr){
  int i;
  *pz = 0;
  *pn = 0;
  if( field(p, iObj, "context_facts", 0, &i, zErr, nErr) ) return -1;
  if( i<0 ) return 0;
  if( p->aTok[i].eType!=SJ_ARR ){
    return ferr(zErr, nErr, "context_facts: expected an array of facts, found %s",
                type_name(p->aTok[i].eType));
  }
  if( p->aTok[i].nChild>0 ) sj_raw(p, i, pz, pn);
  return 0;
}

static int need_object(SjDoc *p, int iObj, const char *zWhat, char *zErr, size_t nErr){
  if( p->aTok[iObj].eType!=SJ_OBJ ){
    return ferr(zErr, nErr, "%s: expected a JSON object, found %s", zWhat,
                type_name(p->aTok[iObj].eType));
  }
  return 0;
}

int sj_check_req(SjDoc *p, int iObj, int eKind, CheckReq *r, char *zErr, size_t nErr){
  memset(r, 0, sizeof(*r));
  r->iResources = -1;
  if( need_object(p, iObj, "the request", zErr, nErr) ) return -1;
  if( typed_fields(p, iObj, "actor_type", "actor_id", &r->actor, zErr, nErr) ) return -1;
  if( eKind!=CHECK_ACTIONS
   && str_field(p, iObj, "action", 1, &r->zAction, &r->nAction, zErr, nErr) ){
    return -1;
  }
  if( (eKind==CHECK_AUTHORIZE || eKind==CHECK_ACTIONS)
   && typed_fields(p, iObj, "resource_type", "resource_id", &r->resource, zErr, nErr) ){
    return -1;
  }
  if( eKind==CHECK_LIST ){
    int i;
    if( str_field(p, iObj, "resource_type", 1, &r->zResType, &r->nResType, zErr, nErr) ) return -1;
    if( field(p, iObj, "page_size", 0, &i, zErr, nErr) ) return -1;
    if( i>=0 ){
      const SjTok *t = &p->aTok[i];
      const char *z = p->z + t->iStart;
      int n = t->iEnd - t->iStart, k;
      int64_t v = 0;
      for(k=0; t->eType==SJ_NUM && k<n && z[k]>='0' && z[k]<='9' && v<=1000000000; k++){
        v = v*10 + (z[k]-'0');
      }
      if( t->eType!=SJ_NUM || k!=n || v<1 || v>1000000000 ){
        return ferr(zErr, nErr, "page_size: expected an integer from 1 to 1000000000");
      }
      r->nPageSize = v;
      r->bPaged = 1;
    }
    if( str_field(p, iObj, "page_token", 0, &r->zPageToken, &r->nPageToken, zErr, nErr) ){
      return -1;
    }
    if( r->zPageToken ) r->bPaged = 1;
  }
  if( eKind==CHECK_RESOURCES ){
    if( field(p, iObj, "resources", 1, &r->iResources, zErr, nErr) ) return -1;
    if( p->aTok[r->iResources].eType!=SJ_ARR ){
      return ferr(zErr, nErr, "resources: expected an array of {\"type\", \"id\"}, found %s",
                  type_name(p->aTok[r->iResources].eType));
    }
  }
  return ctx_field(p, iObj, &r->zCtx, &r->nCtx, zErr, nErr);
}

int sj_fact_req(SjDoc *p, int iObj, FactReq *r, char *zErr, size_t nErr){
  int iFact, iArgs, i, k;
  memset(r, 0, sizeof(*r));
  if( need_object(p, iObj, "the request", zErr, nErr) ) return -1;
  if( field(p, iObj, "fact", 1, &iFact, zErr, nErr) ) return -1;
  if( need_object(p, iFact, "fact", zErr, nErr) ) return -1;
  if( str_field(p, iFact, "predicate", 1, &r->zPred, &r->nPred, zErr, nErr) ) return -1;
  if( field(p, iFact, "args", 1, &iArgs, zErr, nErr) ) return -1;
  if( p->aTok[iArgs].eType!=SJ_ARR ){
    return ferr(zErr, nErr, "args: expected an array, found %s", type_name(p->aTok[iArgs].eType));
  }
  r->nArg = p->aTok[iArgs].nChild;
  if( r->nArg<1 || r->nArg>5 ){
    return ferr(zErr, nErr, "args: a fact has 1 to 5 arguments; found %d", r->nArg);
  }
  for(k=0, i=sj_first(p, iArgs); k<r->nArg; k++, i=sj_next(p, i)){
    char zWhat[24];
    snprintf(zWhat, sizeof(zWhat), "args[%d]", k);
    if( sj_value(p, i, zWhat, &r->aArg[k], zErr, nErr) ) return -1;
  }
  return ctx_field(p, iObj, &r->zCtx, &r->nCtx, zErr, nErr);
}

/* The variable named by string token i, as an index into q->aVar. */
static int qb_var(SjDoc *p, QbQuery *q, int i, const char *zWhere, int *piVar,
                  char *zErr, size_t nErr){
  const char *z;
  int n, v;
  if( p->aTok[i].eType!=SJ_STR || sj_str(p, i, &z, &n) ){
    return ferr(zErr, nErr, "%s: expected a variable name (a string)", zWhere);
  }
  for(v=0; v<q->nVar; v++){
    if( q->aVar[v].nName==n && memcmp(q->aVar[v].zName, z, (size_t)n)==0 ){
      *piVar = v;
      return 0;
    }
  }
  return ferr(zErr, nErr, "%s: variable \"%.*s\" is not in \"constraints\"", zWhere,
              n>64 ? 64 : n, z);
}

/* One Call [name, [var, ...]] at token i into q->aCall[q->nCall]. */
static int qb_call(SjDoc *p, QbQuery *q, int i, const char *zWhere, char *zErr, size_t nErr){
  QbCall *c;
  int iName, iArgs, j, k;
  if( q->nCall>=QB_MAX_CALLS ){
    return ferr(zErr, nErr, "calls: at most %d calls in one query", QB_MAX_CALLS-1);
  }
  c = &q->aCall[q->nCall];
  if( p->aTok[i].eType!=SJ_ARR || p->aTok[i].nChild!=2 ){
    return ferr(zErr, nErr, "%s: expected [predicate, [variables...]]", zWhere);
  }
  iName = sj_first(p, i);
  iArgs = sj_next(p, iName);
  if( p->aTok[iName].eType!=SJ_STR || sj_str(p, iName, &c->zPred, &c->nPred) || c->nPred==0 ){
    return ferr(zErr, nErr, "%s: expected a predicate name", zWhere);
  }
  if( p->aTok[iArgs].eType!=SJ_ARR || p->aTok[iArgs].nChild<1 || p->aTok[iArgs].nChild>5 ){
    return ferr(zErr, nErr, "%s: expected 1 to 5 variables", zWhere);
  }
  c->nArg = p->aTok[iArgs].nChild;
  for(k=0, j=sj_first(p, iArgs); k<c->nArg; k++, j=sj_next(p, j)){
    if( qb_var(p, q, j, zWhere, &c->aVar[k], zErr, nErr) ) return -1;
  }
  q->nCall++;
  return 0;
}

int sj_query_req(SjDoc *p, int iObj, QbQuery *q, char *zErr, size_t nErr){
  int iPred, iCalls, iCons, i, k, iKey;
  memset(q, 0, sizeof(*q));
  if( need_object(p, iObj, "the query", zErr, nErr) ) return -1;
  if( field(p, iObj, "constraints", 1, &iCons, zErr, nErr) ) return -1;
  if( need_object(p, iCons, "constraints", zErr, nErr) ) return -1;
  if( p->aTok[iCons].nChild/2 > QB_MAX_VARS ){
    return ferr(zErr, nErr, "constraints: at most %d variables in one query", QB_MAX_VARS);
  }
  for(k=0, iKey=iCons+1; k<p->aTok[iCons].nChild; k+=2){
    int iVal = iKey+1, iType, iIds, v;
    QbVar *pVar = &q->aVar[q->nVar];
    char zWhat[100];
    if( sj_str(p, iKey, &pVar->zName, &pVar->nName) ){
      return ferr(zErr, nErr, "constraints: invalid variable name");
    }
    for(v=0; v<q->nVar; v++){
      if( q->aVar[v].nName==pVar->nName
       && memcmp(q->aVar[v].zName, pVar->zName, (size_t)pVar->nName)==0 ){
        return ferr(zErr, nErr, "constraints: variable \"%.*s\" appears twice",
                    pVar->nName>64 ? 64 : pVar->nName, pVar->zName);
      }
    }
    snprintf(zWhat, sizeof(zWhat), "constraints.%.*s", pVar->nName>64 ? 64 : pVar->nName,
             pVar->zName);
    if( need_object(p, iVal, zWhat, zErr, nErr) ) return -1;
    if( field(p, iVal, "type", 1, &iType, zErr, nErr) ) return -1;
    if( p->aTok[iType].eType!=SJ_STR || sj_str(p, iType, &pVar->zType, &pVar->nType) ){
      return ferr(zErr, nErr, "%s.type: expected a type name", zWhat);
    }
    if( field(p, iVal, "ids", 0, &iIds, zErr, nErr) ) return -1;
    pVar->iIds = iIds;
    if( iIds>=0 ){
      int j, m;
      if( p->aTok[iIds].eType!=SJ_ARR ){
        return ferr(zErr, nErr, "%s.ids: expected an array of ids or null", zWhat);
      }
      pVar->nIds = p->aTok[iIds].nChild;
      for(m=0, j=sj_first(p, iIds); m<pVar->nIds; m++, j=sj_next(p, j)){
        const char *z;
        int n;
        if( id_tok(p, j, pVar->zType, pVar->nType, zWhat, &z, &n, zErr, nErr) ) return -1;
      }
    }
    q->nVar++;
    iKey = p->aTok[iVal].iNext;
  }
  if( field(p, iObj, "predicate", 1, &iPred, zErr, nErr) ) return -1;
  if( qb_call(p, q, iPred, "predicate", zErr, nErr) ) return -1;
  if( field(p, iObj, "calls", 0, &iCalls, zErr, nErr) ) return -1;
  if( iCalls>=0 ){
    if( p->aTok[iCalls].eType!=SJ_ARR ) return ferr(zErr, nErr, "calls: expected an array");
    for(k=0, i=sj_first(p, iCalls); k<p->aTok[iCalls].nChild; k++, i=sj_next(p, i)){
      char zWhere[32];
      snprintf(zWhere, sizeof(zWhere), "calls[%d]", k);
      if( qb_call(p, q, i, zWhere, zErr, nErr) ) return -1;
    }
  }
  return ctx_field(p, iObj, &q->zCtx, &q->nCtx, zErr, nErr);
}

int sj_policy_req(SjDoc *p, int iObj, const char **pzSrc, int *pnSrc,
                  const char **pzFile, char *zErr, size_t nErr){
  int nFile;
  if( need_object(p, iObj, "the request", zErr, nErr) ) return -1;
  if( str_field(p, iObj, "src", 1, pzSrc, pnSrc, zErr, nErr) ) return -1;
  return str_field(p, iObj, "filename", 0, pzFile, &nFile, zErr, nErr);
}

/* Append "{\"inserts\"|\"deletes\": <raw token i>}" to o. */
static void batch_part(Out *o, const SjDoc *p, int bInsert, int i, int bWrap){
  const char *z;
  int n;
  sj_raw(p, i, &z, &n);
  out_str(o, bInsert ? "{\"inserts\":" : "{\"deletes\":");
  if( bWrap ) out_raw(o, "[", 1);
  out_raw(o, z, (size_t)n);
  if( bWrap ) out_raw(o, "]", 1);
  out_raw(o, "}", 1);
}

int sj_batch_of(SjDoc *p, int eKind, char **pzBatch, size_t *pnBatch, char *zErr, size_t nErr){
  Out o;
  int bNeedObj = eKind==WRITE_FACT_INSERT || eKind==WRITE_FACT_DELETE || eKind==WRITE_BULK;
  int eTop = p->aTok[0].eType;
  memset(&o, 0, sizeof(o));
  *pzBatch = 0;
  *pnBatch = 0;
  if( bNeedObj && eTop!=SJ_OBJ ){
    return ferr(zErr, nErr, "expected %s, found %s", eKind==WRITE_BULK
                ? "{\"delete\": [facts], \"tell\": [facts]}" : "a fact {\"predicate\", \"args\"}",
                type_name(eTop));
  }
  if( !bNeedObj && eTop!=SJ_ARR ){
    return ferr(zErr, nErr, "expected an array of facts, found %s", type_name(eTop));
  }
  out_raw(&o, "[", 1);
  switch( eKind ){
    case WRITE_FACT_INSERT: batch_part(&o, p, 1, 0, 1); break;
    case WRITE_FACT_DELETE: batch_part(&o, p, 0, 0, 1); break;
    case WRITE_BULK_LOAD:   batch_part(&o, p, 1, 0, 0); break;
    case WRITE_BULK_DELETE: batch_part(&o, p, 0, 0, 0); break;
    default: {
      int iDel, iTell;
      if( field(p, 0, "delete", 0, &iDel, zErr, nErr)
       || field(p, 0, "tell", 0, &iTell, zErr, nErr) ){
        out_free(&o);
        return -1;
      }
      if( (iDel>=0 && p->aTok[iDel].eType!=SJ_ARR) || (iTell>=0 && p->aTok[iTell].eType!=SJ_ARR) ){
        out_free(&o);
        return ferr(zErr, nErr, "%s: expected an array of facts",
                    iDel>=0 && p->aTok[iDel].eType!=SJ_ARR ? "delete" : "tell");
      }
      /* Oso applies the deletes first, then the inserts (tell) */
      if( iDel>=0 ) batch_part(&o, p, 0, iDel, 0);
      if( iDel>=0 && iTell>=0 ) out_raw(&o, ",", 1);
      if( iTell>=0 ) batch_part(&o, p, 1, iTell, 0);
      break;
    }
  }
  out_raw(&o, "]", 1);
  if( o.bOom ){
    out_free(&o);
    return ferr(zErr, nErr, "out of memory");
  }
  *pzBatch = o.z;
  *pnBatch = o.n;
  return 0;
}

/*---------------------------------------------------------------- writer --*/

static int out_grow(Out *o, size_t nMore){
  size_t nNew;
  char *zNew;
  if( o->bOom ) return -1;
  if( o->n + nMore + 1 <= o->nAlloc ) return 0;
  nNew = o->nAlloc ? o->nAlloc*2 : 256;
  while( nNew < o->n + nMore + 1 ) nNew *= 2;
  zNew = realloc(o->z, nNew);
  if( zNew==0 ){ o->bOom = 1; return -1; }
  o->z = zNew;
  o->nAlloc = nNew;
  return 0;
}

void out_raw(Out *o, const char *z, size_t n){
  if( out_grow(o, n) ) return;
  memcpy(o->z + o->n, z, n);
  o->n += n;
  o->z[o->n] = 0;
}

void out_str(Out *o, const char *z){ out_raw(o, z, strlen(z)); }

void out_json(Out *o, const char *z, size_t n){
  static const char hex[] = "0123456789abcdef";
  size_t i, j;
  if( out_grow(o, n*6 + 2) ) return;      /* the worst case: every byte \u00XX */
  j = o->n;
  o->z[j++] = '"';
  for(i=0; i<n; i++){
    unsigned char c = (unsigned char)z[i];
    if( c=='"' || c=='\\' ){
      o->z[j++] = '\\';
      o->z[j++] = (char)c;
    }else if( c<0x20 ){
      o->z[j++] = '\\';
      switch( c ){
        case '\n': o->z[j++] = 'n'; break;
        case '\r': o->z[j++] = 'r'; break;
        case '\t': o->z[j++] = 't'; break;
        default:
          o->z[j++] = 'u'; o->z[j++] = '0'; o->z[j++] = '0';
          o->z[j++] = hex[c>>4]; o->z[j++] = hex[c&15];
      }
    }else{
      o->z[j++] = (char)c;
    }
  }
  o->z[j++] = '"';
  o->z[j] = 0;
  o->n = j;
}

void out_int(Out *o, int64_t v){
  out_printf(o, "%lld", (long long)v);
}

void out_printf(Out *o, const char *zFmt, ...){
  va_list ap;
  int n;
  va_start(ap, zFmt);
  n = vsnprintf(0, 0, zFmt, ap);
  va_end(ap);
  if( n<0 || out_grow(o, (size_t)n) ) return;
  va_start(ap, zFmt);
  vsnprintf(o->z + o->n, (size_t)n + 1, zFmt, ap);
  va_end(ap);
  o->n += (size_t)n;
}

void out_reset(Out *o){
  o->n = 0;
  o->bOom = 0;
  if( o->z ) o->z[0] = 0;
}

void out_free(Out *o){
  free(o->z);
  memset(o, 0, sizeof(*o));
}
