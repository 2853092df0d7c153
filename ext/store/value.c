/*
** value.c — the one place where Polar values change form.
**
** A value has three spellings:
**
**   SQL (what users write, SPEC "Values in SQL")   'User:alice', 'read', 5,
**                                                  'Boolean:true', NULL, 'User:_'
**   wire (Oso fact JSON)                           {"type":"User","id":"alice"}
**   storage (fact tables and compiled SQL)         'User:alice', 'String:read', 5,
**                                                  'Boolean:true', 'User:' (wildcard)
**
** Everything is parsed into a PlValue here and encoded back here, so the
** rules below exist exactly once (docs/values.md says them for users):
**
**   - A SQL integer is an Integer. Text 'Type:id' whose Type (the text
**     before the FIRST colon) names a type the policy knows, built-in or
**     declared, is a value of that type, in every position: 'User:bob' is
**     a User even where only a String goes (that is an error, with the
**     hint 'String:User:bob'). 'String:x', 'Integer:5', 'Boolean:true' spell
**     primitives explicitly. Other text is a String, the whole of it:
**     'admin', '12:30'; and 'repo:read' where the position takes only
**     Strings. Elsewhere a Type that is an identifier but no type is an
**     error ("did you mean ...?"), never guessed to be a string.
**   - The wire form {"type": T, "id": I} is the same value: T must be a
**     type the policy knows. So 'User:bob' and {"type":"User","id":"bob"}
**     are one value on every write path (SQL, polar_batch, publish, the
**     sidecar, the HTTP API).
**   - Then the value must be of a type its position accepts: the fact
**     signatures for writes (store.c), the rules for checks (sql/check.c).
**   - In patterns NULL is any value and 'Type:_' any value of Type. In
**     delete patterns a Type the policy no longer knows is kept as written
**     (PL_TYPE_UNKNOWN), so that facts of a dropped type can be deleted.
**   - Ids are 1..PL_MAX_ID bytes, any bytes but NUL; lengths come from
**     sqlite3_value_bytes(), never strlen(), so ids round-trip exactly.
*/
#include "pl_int.h"
#include <string.h>

/* Built-in type names, indexed by type id (PL_TYPE_STRING..PL_TYPE_RESOURCE).
** They are resolved here so that values parse without a policy too. */
static const char *const azBuiltin[] = {
  "String", "Integer", "Boolean", "Actor", "Resource"
};
#define N_BUILTIN ((int)(sizeof(azBuiltin)/sizeof(azBuiltin[0])))

/* Longest piece of user text quoted in an error message. */
#define PL_QUOTE_MAX 64

const char *pl_value_type_name(const PlPolicy *pPol, int iType){
  if( iType>=0 && iType<N_BUILTIN ) return azBuiltin[iType];
  if( pPol && iType>=0 ) return pl_policy_type_name(pPol, iType);
  return "?";
}

/* Type id of the name z[0..n): built-ins first, then declared types. */
static int value_find_type(const PlPolicy *pPol, const char *z, int n){
  static const int anBuiltin[] = { 6, 7, 7, 5, 8 };   /* strlen(azBuiltin[i]) */
  int i;
  for(i=0; i<N_BUILTIN; i++){
    if( anBuiltin[i]==n && memcmp(azBuiltin[i], z, (size_t)n)==0 ) return i;
  }
  return pPol ? pl_policy_find_type(pPol, z, n) : -1;
}

static int value_is_ident(const char *z, int n){
  int i;
  if( n<=0 ) return 0;
  for(i=0; i<n; i++){
    char c = z[i];
    if( c=='_' || (c>='a' && c<='z') || (c>='A' && c<='Z') ) continue;
    if( i>0 && c>='0' && c<='9' ) continue;
    return 0;
  }
  return 1;
}

/* 1 if z[0..n) starts with "<identifier>:" and so would read as a typed
** value in the SQL spelling. */
static int value_looks_typed(const char *z, int n){
  const char *zColon = memchr(z, ':', (size_t)n);
  return zColon && value_is_ident(z, (int)(zColon - z));
}

/* How many bytes of z[0..n) to quote in a message: at most PL_QUOTE_MAX,
** cut at a UTF-8 character boundary. */
static int value_quote_len(const char *z, int n){
  int k;
  if( n<=PL_QUOTE_MAX ) return n;
  k = PL_QUOTE_MAX;
  while( k>0 && (((unsigned char)z[k]) & 0xC0)==0x80 ) k--;
  return k;
}
#define QUOTE(z,n) value_quote_len(z,n), (z), (value_quote_len(z,n)<(n) ? "..." : "")

/* Parse a decimal 64-bit integer that fills z[0..n) exactly. */
static int value_parse_int64(const char *z, int n, sqlite3_int64 *piOut){
  int i = 0, bNeg = 0;
  uint64_t v = 0, lim;
  if( n>0 && z[0]=='-' ){ bNeg = 1; i = 1; }
  if( i>=n ) return 0;
  lim = bNeg ? (uint64_t)1<<63 : ((uint64_t)1<<63) - 1;
  for(; i<n; i++){
    unsigned d;
    if( z[i]<'0' || z[i]>'9' ) return 0;
    d = (unsigned)(z[i]-'0');
    if( v > (lim - d)/10 ) return 0;
    v = v*10 + d;
  }
  if( bNeg ){
    *piOut = v==((uint64_t)1<<63) ? (sqlite3_int64)(-9223372036854775807LL - 1)
                                  : -(sqlite3_int64)v;
  }else{
    *piOut = (sqlite3_int64)v;
  }
  return 1;
}

/* Fill *pOut with a value of concrete type iType and id z[0..n), checking
** the id. zShow/nShow is the text the user wrote (for messages). */
static int value_make(const PlPolicy *pPol, int iType, const char *z, int n,
                      const char *zShow, int nShow, const char *zWhat,
                      PlValue *pOut, char **pzErr){
  if( n==0 ){
    if( nShow==0 ){
      *pzErr = sqlite3_mprintf("%s is empty; a value needs a non-empty id",
                               zWhat);
    }else{
      *pzErr = sqlite3_mprintf("%s: '%.*s%s' has an empty id", zWhat,
                               QUOTE(zShow, nShow));
    }
    return SQLITE_ERROR;
  }
  if( n>PL_MAX_ID ){
    *pzErr = sqlite3_mprintf("%s is %d bytes; the limit is %d",
                             zWhat, n, PL_MAX_ID);
    return SQLITE_ERROR;
  }
  if( memchr(z, 0, (size_t)n) ){
    *pzErr = sqlite3_mprintf("%s contains a NUL byte; ids cannot hold NUL",
                             zWhat);
    return SQLITE_ERROR;
  }
  pOut->iType = iType;
  pOut->bWild = 0;
  switch( iType ){
    case PL_TYPE_INTEGER:
      if( !value_parse_int64(z, n, &pOut->i) ){
        *pzErr = sqlite3_mprintf("%s: '%.*s%s' is not a 64-bit integer",
                                 zWhat, QUOTE(zShow, nShow));
        return SQLITE_ERROR;
      }
      pOut->z = 0;
      pOut->n = 0;
      break;
    case PL_TYPE_BOOLEAN:
      if( n==4 && memcmp(z, "true", 4)==0 ){
        pOut->i = 1; pOut->z = "true"; pOut->n = 4;
      }else if( n==5 && memcmp(z, "false", 5)==0 ){
        pOut->i = 0; pOut->z = "false"; pOut->n = 5;
      }else{
        *pzErr = sqlite3_mprintf("%s: '%.*s%s' is not a Boolean "
                                 "(write 'Boolean:true' or 'Boolean:false')",
                                 zWhat, QUOTE(zShow, nShow));
        return SQLITE_ERROR;
      }
      break;
    case PL_TYPE_ACTOR:
    case PL_TYPE_RESOURCE:
      *pzErr = sqlite3_mprintf("%s: %s is an abstract type; a value needs a "
                               "declared actor or resource type",
                               zWhat, pl_value_type_name(pPol, iType));
      return SQLITE_ERROR;
    default:
      if( iType!=PL_TYPE_STRING && n==1 && z[0]=='_' ){
        /* 'User:_' is the wildcard in the SQL spelling: a value with id
        ** "_" could be neither addressed nor told apart from it */
        *pzErr = sqlite3_mprintf("%s: '_' cannot be the id of type %s: %s:_ "
                                 "spells the wildcard", zWhat,
                                 pl_value_type_name(pPol, iType),
                                 pl_value_type_name(pPol, iType));
        return SQLITE_ERROR;
      }
      pOut->z = z;
      pOut->n = n;
      pOut->i = 0;
      break;
  }
  return SQLITE_OK;
}

static int value_wild_refused(const char *zWhat, const char *zShow, int nShow,
                              char **pzErr){
  *pzErr = sqlite3_mprintf("%s: '%.*s%s' is a wildcard; wildcards are "
                           "allowed only in patterns (deletes and queries)",
                           zWhat, QUOTE(zShow, nShow));
  return SQLITE_ERROR;
}

/* A delete pattern's value of a type the policy does not know: kept as
** written, to match the storage encoding of facts an older policy stored
** (id NULL: any value of that type). */
static int value_unknown_kept(const char *zType, int nType, const char *zId, int nId,
                              const char *zWhat, PlValue *pOut, char **pzErr){
  if( nType>PL_MAX_ID || (zId && nId>PL_MAX_ID) ){
    *pzErr = sqlite3_mprintf("%s is over %d bytes", zWhat, PL_MAX_ID);
    return SQLITE_ERROR;
  }
  pOut->iType = PL_TYPE_UNKNOWN;
  pOut->zType = zType;
  pOut->nType = nType;
  if( zId==0 || (nId==1 && zId[0]=='_') ){
    pOut->bWild = 1;
  }else{
    pOut->z = zId;
    pOut->n = nId;
  }
  return SQLITE_OK;
}

static int value_typed_wild(const PlPolicy *pPol, int iType, PlValue *pOut,
                            const char *zWhat, char **pzErr){
  if( iType==PL_TYPE_ACTOR || iType==PL_TYPE_RESOURCE ){
    *pzErr = sqlite3_mprintf("%s: %s is an abstract type; a pattern names a "
                             "declared type ('User:_') or is NULL (any value)",
                             zWhat, pl_value_type_name(pPol, iType));
    return SQLITE_ERROR;
  }
  pOut->iType = iType;
  pOut->bWild = 1;
  return SQLITE_OK;
}

void pl_value_append_types(sqlite3_str *p, const PlPolicy *pPol, const PlTypeSet *pTs){
  int t, n = 0;
  for(t=pl_ts_first(pTs); t>=0; t=pl_ts_next(pTs, t)){
    sqlite3_str_appendf(p, "%s%s", n++ ? "|" : "", pl_value_type_name(pPol, t));
  }
  if( n==0 ) sqlite3_str_appendall(p, "(nothing)");
}

int pl_value_unknown_type(const PlPolicy *pPol, const char *zType, int nType,
                          const char *z, int n, const char *zWhat, char **pzErr){
  PlSuggest sg;
  int i;
  pl_suggest_init(&sg, zType, nType);
  for(i=0; i<N_BUILTIN; i++) pl_suggest_try(&sg, azBuiltin[i], -1);
  for(i=PL_TYPE_FIRST_APP; pPol && i<pPol->nType; i++){
    pl_suggest_try(&sg, pPol->aType[i].zName, pPol->aType[i].nName);
  }
  if( z==0 ){
    *pzErr = sqlite3_mprintf("%s: unknown type '%.*s'%s%.*s%s", zWhat, nType, zType,
                             sg.zBest ? "; did you mean '" : "", sg.nBest,
                             sg.zBest ? sg.zBest : "", sg.zBest ? "'?" : "");
  }else if( sg.zBest ){
    *pzErr = sqlite3_mprintf("%s: unknown type '%.*s' in '%.*s%s'; did you mean '%.*s'?",
                             zWhat, nType, zType, QUOTE(z, n), sg.nBest, sg.zBest);
  }else{
    *pzErr = sqlite3_mprintf("%s: unknown type '%.*s' in '%.*s%s' (for the text, write "
                             "'String:%.*s%s')", zWhat, nType, zType, QUOTE(z, n),
                             QUOTE(z, n));
  }
  return SQLITE_ERROR;
}

int pl_value_from_sql(const PlPolicy *pPol, sqlite3_value *pVal,
                      const PlTypeSet *allowed, int bPattern,
                      const char *zWhat, PlValue *pOut, char **pzErr){
  const char *z;
  int n;
  memset(pOut, 0, sizeof(*pOut));
  switch( sqlite3_value_type(pVal) ){
    case SQLITE_NULL:
      if( bPattern ){
        pOut->iType = -1;
        pOut->bWild = 1;
        return SQLITE_OK;
      }
      *pzErr = sqlite3_mprintf("%s is NULL; NULL (any value) is allowed only "
                               "in patterns (deletes and queries)", zWhat);
      return SQLITE_ERROR;
    case SQLITE_INTEGER:
      pOut->iType = PL_TYPE_INTEGER;
      pOut->i = sqlite3_value_int64(pVal);
      return SQLITE_OK;
    case SQLITE_FLOAT:
      *pzErr = sqlite3_mprintf("%s is a real number (%!.15g); a Polar value is "
                               "an integer, text, or 'Type:id'",
                               zWhat, sqlite3_value_double(pVal));
      return SQLITE_ERROR;
    case SQLITE_BLOB:
      *pzErr = sqlite3_mprintf("%s is a blob; a Polar value is an integer, "
                               "text, or 'Type:id'", zWhat);
      return SQLITE_ERROR;
    default:
      break;
  }
  z = (const char*)sqlite3_value_text(pVal);
  n = sqlite3_value_bytes(pVal);
  if( z==0 ) return SQLITE_NOMEM;
  return pl_value_from_text(pPol, z, n, allowed, bPattern, zWhat, pOut, pzErr);
}

int pl_value_from_text(const PlPolicy *pPol, const char *z, int n,
                       const PlTypeSet *allowed, int bPattern,
                       const char *zWhat, PlValue *pOut, char **pzErr){
  const char *zColon;
  memset(pOut, 0, sizeof(*pOut));
  if( memchr(z, 0, (size_t)n) ){
    *pzErr = sqlite3_mprintf("%s contains a NUL byte; ids cannot hold NUL",
                             zWhat);
    return SQLITE_ERROR;
  }
  zColon = memchr(z, ':', (size_t)n);
  if( zColon && value_is_ident(z, (int)(zColon - z)) ){
    int nType = (int)(zColon - z);
    int iType = value_find_type(pPol, z, nType);
    const char *zId = zColon + 1;
    int nId = n - nType - 1;
    if( iType>=0 ){
      if( nId==1 && zId[0]=='_' ){
        if( bPattern ) return value_typed_wild(pPol, iType, pOut, zWhat, pzErr);
        return value_wild_refused(zWhat, z, n, pzErr);
      }
      int rc = value_make(pPol, iType, zId, nId, z, n, zWhat, pOut, pzErr);
      if( rc==SQLITE_OK && iType>=PL_TYPE_FIRST_APP ){ pOut->zText = z; pOut->nText = n; }
      return rc;
    }
    if( bPattern==PL_PATTERN_DELETE ){
      return value_unknown_kept(z, nType, zId, nId, zWhat, pOut, pzErr);
    }
    if( !(allowed && pl_ts_count(allowed)==1 && pl_ts_has(allowed, PL_TYPE_STRING)) ){
      return pl_value_unknown_type(pPol, z, nType, z, n, zWhat, pzErr);
    }
  }
  return value_make(pPol, PL_TYPE_STRING, z, n, z, n, zWhat, pOut, pzErr);
}

int pl_value_from_wire(const PlPolicy *pPol, const char *zType, int nType,
                       const char *zId, int nId, int bPattern,
                       const char *zWhat, PlValue *pOut, char **pzErr){
  int iType;
  memset(pOut, 0, sizeof(*pOut));
  if( zType && nType<0 ) nType = (int)strlen(zType);
  if( zId && nId<0 ) nId = (int)strlen(zId);
  if( !bPattern && (zType==0 || zId==0) ){
    *pzErr = sqlite3_mprintf("%s has a null %s; a fact needs a type and an id "
                             "(null is a wildcard, allowed only in deletes)",
                             zWhat, zType==0 ? "type" : "id");
    return SQLITE_ERROR;
  }
  if( zType==0 ){
    if( zId ){
      *pzErr = sqlite3_mprintf("%s has an id but a null type; give the type, "
                               "or null for both (any value)", zWhat);
      return SQLITE_ERROR;
    }
    pOut->iType = -1;
    pOut->bWild = 1;
    return SQLITE_OK;
  }
  if( nType==0 ){
    *pzErr = sqlite3_mprintf("%s has an empty type", zWhat);
    return SQLITE_ERROR;
  }
  iType = value_find_type(pPol, zType, nType);
  if( iType<0 && bPattern==PL_PATTERN_DELETE ){
    return value_unknown_kept(zType, nType, zId, nId, zWhat, pOut, pzErr);
  }
  if( iType<0 ){
    return pl_value_unknown_type(pPol, zType, nType, 0, 0, zWhat, pzErr);
  }
  if( zId==0 ) return value_typed_wild(pPol, iType, pOut, zWhat, pzErr);
  return value_make(pPol, iType, zId, nId, zId, nId, zWhat, pOut, pzErr);
}

int pl_value_encode(const PlPolicy *pPol, const PlValue *p, char *aBuf,
                    int nBuf, int *pnOut){
  const char *zType;
  size_t nType;
  if( p->iType==PL_TYPE_UNKNOWN && !p->bWild ){
    if( (size_t)p->nType + 1 + (size_t)p->n > (size_t)nBuf ) return SQLITE_TOOBIG;
    memcpy(aBuf, p->zType, (size_t)p->nType);
    aBuf[p->nType] = ':';
    memcpy(aBuf + p->nType + 1, p->z, (size_t)p->n);
    *pnOut = p->nType + 1 + p->n;
    return SQLITE_OK;
  }
  if( p->bWild || p->iType<0 || p->iType==PL_TYPE_INTEGER ) return SQLITE_MISUSE;
  if( p->iType>=PL_TYPE_FIRST_APP && pPol==0 ) return SQLITE_MISUSE;
  if( p->iType==PL_TYPE_BOOLEAN ){        /* from i: z may not be set */
    const char *z = p->i ? "Boolean:true" : "Boolean:false";
    int n = p->i ? 12 : 13;
    if( n>nBuf ) return SQLITE_TOOBIG;
    memcpy(aBuf, z, (size_t)n);
    *pnOut = n;
    return SQLITE_OK;
  }
  zType = pl_value_type_name(pPol, p->iType);
  nType = strlen(zType);
  if( nType + 1 + (size_t)p->n > (size_t)nBuf ) return SQLITE_TOOBIG;
  memcpy(aBuf, zType, nType);
  aBuf[nType] = ':';
  if( p->n>0 ) memcpy(aBuf + nType + 1, p->z, (size_t)p->n);
  *pnOut = (int)nType + 1 + p->n;
  return SQLITE_OK;
}

int pl_value_bind_pol(const PlPolicy *pPol, sqlite3_stmt *pStmt, int iParam,
                      const PlValue *p){
  char aBuf[PL_VALUE_ENC_MAX];
  int n, rc;
  if( p->bWild || p->iType<0 ) return SQLITE_MISUSE;
  if( p->iType==PL_TYPE_INTEGER ) return sqlite3_bind_int64(pStmt, iParam, p->i);
  rc = pl_value_encode(pPol, p, aBuf, (int)sizeof(aBuf), &n);
  if( rc==SQLITE_TOOBIG ){                /* a very long type name */
    size_t nAll = strlen(pl_value_type_name(pPol, p->iType)) + 1 + (size_t)p->n;
    char *z = sqlite3_malloc64(nAll);
    if( z==0 ) return SQLITE_NOMEM;
    rc = pl_value_encode(pPol, p, z, (int)nAll, &n);
    if( rc==SQLITE_OK ) rc = sqlite3_bind_text(pStmt, iParam, z, n, SQLITE_TRANSIENT);
    sqlite3_free(z);
    return rc;
  }
  if( rc!=SQLITE_OK ) return rc;
  return sqlite3_bind_text(pStmt, iParam, aBuf, n, SQLITE_TRANSIENT);
}

int pl_value_bind(sqlite3_stmt *pStmt, int iParam, const PlValue *p){
  /* PlValue holds a type id, not a name: declared types need the policy
  ** (pl_value_bind_pol). Built-in types bind without it. */
  return pl_value_bind_pol(0, pStmt, iParam, p);
}

void pl_value_result(sqlite3_context *ctx, sqlite3_value *pEnc){
  const char *z, *zColon;
  int n, nType;
  switch( sqlite3_value_type(pEnc) ){
    case SQLITE_NULL:
      sqlite3_result_null(ctx);
      return;
    case SQLITE_INTEGER:
      sqlite3_result_int64(ctx, sqlite3_value_int64(pEnc));
      return;
    case SQLITE_TEXT:
      break;
    default:                    /* not written by polarlite: pass through */
      sqlite3_result_value(ctx, pEnc);
      return;
  }
  z = (const char*)sqlite3_value_text(pEnc);
  n = sqlite3_value_bytes(pEnc);
  if( z==0 ){ sqlite3_result_error_nomem(ctx); return; }
  zColon = memchr(z, ':', (size_t)n);
  if( zColon==0 ){
    sqlite3_result_text(ctx, z, n, SQLITE_TRANSIENT);
    return;
  }
  nType = (int)(zColon - z);
  if( nType+1==n ){                            /* wildcard "T:" -> 'T:_' */
    char *zOut = sqlite3_mprintf("%.*s:_", nType, z);
    if( zOut==0 ){ sqlite3_result_error_nomem(ctx); return; }
    sqlite3_result_text(ctx, zOut, -1, sqlite3_free);
    return;
  }
  if( nType==6 && memcmp(z, "String", 6)==0
   && !value_looks_typed(zColon+1, n - 7) ){
    sqlite3_result_text(ctx, zColon+1, n - 7, SQLITE_TRANSIENT);
    return;
  }
  sqlite3_result_text(ctx, z, n, SQLITE_TRANSIENT);
}
