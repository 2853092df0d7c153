/*
** json.c — Oso fact JSON: batch bodies and arrays of facts.
**
**   batch  = [ {"inserts": [Fact...]} | {"deletes": [Fact...]} , ... ]
**   Fact   = {"predicate": "has_role",
**             "args": [{"type": "User", "id": "alice"}, ...]}   1..5 args
**
** In an arg, "type" and "id" are strings or null (a missing key is null);
** whether null is allowed (a wildcard, deletes only) is decided later by
** pl_value_from_wire. An Integer id may also be a JSON number and a Boolean
** id a JSON true/false.
**
** How it works: jsmn only tokenizes and is lenient about syntax (it takes
** "[1 2]" or "{"a" 1}"), so the text is first checked against the JSON
** grammar by json_check(), which also gives errors a byte position. Then
** jsmn fills a token array that grows on JSMN_ERROR_NOMEM (jsmn resumes
** where it stopped), and the tokens are walked against the expected shape;
** every error names the path of the offending element ("batch[2].inserts[0]
** .args[1].id"). Strings are unescaped (\uXXXX and surrogate pairs to UTF-8)
** into the caller's arena; \u0000 is refused because ids cannot hold NUL.
*/
#include "pl_int.h"
#include <string.h>
#include <stdarg.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

/*------------------------------------------------------------ grammar ----*/

static int json_is_ws(char c){
  return c==' ' || c=='\t' || c=='\n' || c=='\r';
}
static int json_is_digit(char c){ return c>='0' && c<='9'; }
static int json_is_hex(char c){
  return json_is_digit(c) || (c>='a' && c<='f') || (c>='A' && c<='F');
}

/* Error at byte i of z: "malformed JSON at line L, column C (byte i): why" */
static int json_syntax_err(const char *z, int i, const char *zWhy,
                           char **pzErr){
  int line = 1, col = 1, k;
  for(k=0; k<i; k++){
    if( z[k]=='\n' ){ line++; col = 1; }else{ col++; }
  }
  *pzErr = sqlite3_mprintf("malformed JSON at line %d, column %d (byte %d): %s",
                           line, col, i, zWhy);
  return SQLITE_ERROR;
}

/* Scan the string starting at z[*pi]=='"'; leave *pi after the closing
** quote. */
static int json_scan_string(const char *z, int n, int *pi, char **pzErr){
  int i = *pi + 1;
  while( i<n ){
    unsigned char c = (unsigned char)z[i];
    if( c=='"' ){ *pi = i+1; return SQLITE_OK; }
    if( c<0x20 ){
      return json_syntax_err(z, i, "control character inside a string "
                             "(escape it)", pzErr);
    }
    if( c=='\\' ){
      if( i+1>=n ) break;
      switch( z[i+1] ){
        case '"': case '\\': case '/': case 'b': case 'f': case 'n':
        case 'r': case 't':
          i += 2;
          break;
        case 'u':
          if( i+5>=n || !json_is_hex(z[i+2]) || !json_is_hex(z[i+3])
           || !json_is_hex(z[i+4]) || !json_is_hex(z[i+5]) ){
            return json_syntax_err(z, i, "\\u must be followed by four hex "
                                   "digits", pzErr);
          }
          i += 6;
          break;
        default:
          return json_syntax_err(z, i, "invalid escape in a string", pzErr);
      }
      continue;
    }
    i++;
  }
  return json_syntax_err(z, *pi, "unterminated string", pzErr);
}

static int json_scan_number(const char *z, int n, int *pi, char **pzErr){
  int i = *pi;
  if( z[i]=='-' ) i++;
  if( i<n && z[i]=='0' ){
    i++;
  }else if( i<n && json_is_digit(z[i]) ){
    while( i<n && json_is_digit(z[i]) ) i++;
  }else{
    return json_syntax_err(z, *pi, "invalid number", pzErr);
  }
  if( i<n && z[i]=='.' ){
    i++;
    if( i>=n || !json_is_digit(z[i]) ){
      return json_syntax_err(z, i, "digits expected after '.'", pzErr);
    }
    while( i<n && json_is_digit(z[i]) ) i++;
  }
  if( i<n && (z[i]=='e' || z[i]=='E') ){
    i++;
    if( i<n && (z[i]=='+' || z[i]=='-') ) i++;
    if( i>=n || !json_is_digit(z[i]) ){
      return json_syntax_err(z, i, "digits expected in the exponent", pzErr);
    }
    while( i<n && json_is_digit(z[i]) ) i++;
  }
  *pi = i;
  return SQLITE_OK;
}

/* Deepest nesting accepted. Fact JSON nests at most 6 levels (batch array,
** changeset, fact list, fact, args, arg); the cap exists because jsmn finds
** the container a bracket closes by walking up from the last token, which
** costs O(depth) per bracket: a few megabytes of "[[[[..." would otherwise
** take minutes. It bounds nesting only, never size or token count. */
#define PL_JSON_MAX_DEPTH 64

/* Check z[0..n) against the JSON grammar (RFC 8259), one value with
** optional surrounding whitespace, nested at most PL_JSON_MAX_DEPTH deep. */
static int json_check(const char *z, int n, char **pzErr){
  enum { S_VALUE, S_ARRAY_FIRST, S_OBJECT_FIRST, S_KEY, S_AFTER };
  char aStack[PL_JSON_MAX_DEPTH];
  int nStack = 0, i = 0, rc = SQLITE_OK;
  int eState = S_VALUE;
  while( rc==SQLITE_OK ){
    char c;
    while( i<n && json_is_ws(z[i]) ) i++;
    if( i>=n ){
      if( eState==S_AFTER && nStack==0 ) break;
      rc = json_syntax_err(z, i, (eState==S_VALUE && nStack==0) ?
                           "empty input" : "unexpected end of input", pzErr);
      break;
    }
    c = z[i];
    switch( eState ){
      case S_ARRAY_FIRST:
        if( c==']' ){ nStack--; i++; eState = S_AFTER; break; }
        eState = S_VALUE;
        /* fall through */
      case S_VALUE:
        if( c=='{' || c=='[' ){
          if( nStack>=PL_JSON_MAX_DEPTH ){
            rc = json_syntax_err(z, i, "nested more than 64 levels deep "
                                 "(fact JSON nests at most 6)", pzErr);
            break;
          }
          aStack[nStack++] = c;
          i++;
          eState = c=='{' ? S_OBJECT_FIRST : S_ARRAY_FIRST;
        }else if( c=='"' ){
          rc = json_scan_string(z, n, &i, pzErr);
          eState = S_AFTER;
        }else if( c=='-' || json_is_digit(c) ){
          rc = json_scan_number(z, n, &i, pzErr);
          eState = S_AFTER;
        }else if( n-i>=4 && memcmp(z+i, "true", 4)==0 ){
          i += 4; eState = S_AFTER;
        }else if( n-i>=5 && memcmp(z+i, "false", 5)==0 ){
          i += 5; eState = S_AFTER;
        }else if( n-i>=4 && memcmp(z+i, "null", 4)==0 ){
          i += 4; eState = S_AFTER;
        }else{
          rc = json_syntax_err(z, i, "expected a value", pzErr);
        }
        break;
      case S_OBJECT_FIRST:
        if( c=='}' ){ nStack--; i++; eState = S_AFTER; break; }
        /* fall through */
      case S_KEY:
        if( c!='"' ){
          rc = json_syntax_err(z, i, "expected a string key", pzErr);
          break;
        }
        rc = json_scan_string(z, n, &i, pzErr);
        if( rc!=SQLITE_OK ) break;
        while( i<n && json_is_ws(z[i]) ) i++;
        if( i>=n || z[i]!=':' ){
          rc = json_syntax_err(z, i, "expected ':' after the key", pzErr);
          break;
        }
        i++;
        eState = S_VALUE;
        break;
      default: /* S_AFTER */
        if( nStack==0 ){
          rc = json_syntax_err(z, i, "unexpected text after the JSON value",
                               pzErr);
        }else if( aStack[nStack-1]=='[' ){
          if( c==',' ){ i++; eState = S_VALUE; }
          else if( c==']' ){ i++; nStack--; }
          else rc = json_syntax_err(z, i, "expected ',' or ']'", pzErr);
        }else{
          if( c==',' ){ i++; eState = S_KEY; }
          else if( c=='}' ){ i++; nStack--; }
          else rc = json_syntax_err(z, i, "expected ',' or '}'", pzErr);
        }
        break;
    }
  }
  return rc;
}

/*------------------------------------------------------------ tokens -----*/

typedef struct JsonDoc {
  PlArena *pArena;
  const char *z;           /* the JSON text */
  jsmntok_t *aTok;         /* tokens in document order */
  int nTok;
} JsonDoc;

static int json_tokenize(JsonDoc *p, const char *z, int n, char **pzErr){
  jsmn_parser parser;
  unsigned int nAlloc = 64;
  int r;
  int rc = json_check(z, n, pzErr), i = 0;
  if( rc!=SQLITE_OK ) return rc;
  p->z = z;
  /* A bare scalar is valid JSON but never the right shape; leave it to the
  ** caller's shape check (nTok==0) rather than to jsmn's strict mode,
  ** which wants a delimiter after a top-level primitive. */
  while( i<n && json_is_ws(z[i]) ) i++;
  if( z[i]!='[' && z[i]!='{' ){
    p->nTok = 0;
    return SQLITE_OK;
  }
  jsmn_init(&parser);
  for(;;){
    jsmntok_t *aNew = sqlite3_realloc64(p->aTok, sizeof(jsmntok_t)*nAlloc);
    if( aNew==0 ) return SQLITE_NOMEM;
    p->aTok = aNew;
    r = jsmn_parse(&parser, z, (size_t)n, p->aTok, nAlloc);
    if( r!=JSMN_ERROR_NOMEM ) break;
    if( nAlloc > 0x7fffffffu/2 ) return SQLITE_NOMEM;
    nAlloc *= 2;
  }
  if( r<=0 ){
    /* json_check() accepted the text, so this is not expected */
    *pzErr = sqlite3_mprintf("malformed JSON (tokenizer error %d)", r);
    return SQLITE_ERROR;
  }
  p->nTok = r;
  return SQLITE_OK;
}

/* Index of the token after the subtree rooted at token i. */
static int json_skip(const JsonDoc *p, int i){
  int nPending = 1;
  while( nPending>0 && i<p->nTok ){
    nPending += p->aTok[i].size - 1;
    i++;
  }
  return i;
}

static void json_put_utf8(char *zOut, int *pj, unsigned c){
  int j = *pj;
  if( c<0x80 ){
    zOut[j++] = (char)c;
  }else if( c<0x800 ){
    zOut[j++] = (char)(0xC0 | (c>>6));
    zOut[j++] = (char)(0x80 | (c & 0x3F));
  }else if( c<0x10000 ){
    zOut[j++] = (char)(0xE0 | (c>>12));
    zOut[j++] = (char)(0x80 | ((c>>6) & 0x3F));
    zOut[j++] = (char)(0x80 | (c & 0x3F));
  }else{
    zOut[j++] = (char)(0xF0 | (c>>18));
    zOut[j++] = (char)(0x80 | ((c>>12) & 0x3F));
    zOut[j++] = (char)(0x80 | ((c>>6) & 0x3F));
    zOut[j++] = (char)(0x80 | (c & 0x3F));
  }
  *pj = j;
}

static unsigned json_hex4(const char *z){
  unsigned v = 0;
  int k;
  for(k=0; k<4; k++){
    char c = z[k];
    v = v*16 + (unsigned)(c<='9' ? c-'0' : (c|0x20)-'a'+10);
  }
  return v;
}

/* Where an element sits in the document, e.g. batch[2].inserts[0].args[1]
** .id. Kept as indexes and formatted only for an error message, because
** decoding a batch must not print a path per fact. */
typedef struct JsonPath {
  const char *zTop;        /* "batch" or "facts" */
  int iChange;             /* batch[i], or -1 */
  const char *zList;       /* "inserts" / "deletes", or NULL */
  int iFact;               /* [j] of the fact list, or -1 */
  const char *zField;      /* "predicate" / "args", or NULL */
  int iArg;                /* args[k], or -1 */
  const char *zLeaf;       /* "type" / "id", or NULL */
} JsonPath;

/* *pzErr = "<path>: <message>"; returns SQLITE_ERROR (or NOMEM). */
static int json_err(const JsonPath *pPath, char **pzErr, const char *zFmt, ...){
  sqlite3_str *p = sqlite3_str_new(0);
  va_list ap;
  sqlite3_str_appendall(p, pPath->zTop);
  if( pPath->iChange>=0 ) sqlite3_str_appendf(p, "[%d]", pPath->iChange);
  if( pPath->zList ) sqlite3_str_appendf(p, ".%s", pPath->zList);
  if( pPath->iFact>=0 ) sqlite3_str_appendf(p, "[%d]", pPath->iFact);
  if( pPath->zField ) sqlite3_str_appendf(p, ".%s", pPath->zField);
  if( pPath->iArg>=0 ) sqlite3_str_appendf(p, "[%d]", pPath->iArg);
  if( pPath->zLeaf ) sqlite3_str_appendf(p, ".%s", pPath->zLeaf);
  sqlite3_str_appendall(p, ": ");
  va_start(ap, zFmt);
  sqlite3_str_vappendf(p, zFmt, ap);
  va_end(ap);
  *pzErr = sqlite3_str_finish(p);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Unescape the string token iTok into the arena (NUL-terminated).
** The output is never longer than the input: every escape shrinks. */
static int json_string(const JsonDoc *p, int iTok, const JsonPath *pPath,
                       const char **pz, int *pn, char **pzErr){
  const jsmntok_t *t = &p->aTok[iTok];
  const char *zIn = p->z + t->start;
  int nIn = t->end - t->start, i, j = 0;
  char *zOut = pl_arena_alloc(p->pArena, (size_t)nIn + 1);
  const char *zEsc;
  if( zOut==0 ) return SQLITE_NOMEM;
  zEsc = memchr(zIn, '\\', (size_t)nIn);
  if( zEsc==0 ){                           /* the common case: a copy */
    memcpy(zOut, zIn, (size_t)nIn);
    zOut[nIn] = 0;
    *pz = zOut;
    *pn = nIn;
    return SQLITE_OK;
  }
  j = i = (int)(zEsc - zIn);
  memcpy(zOut, zIn, (size_t)i);
  for(; i<nIn; i++){
    unsigned c;
    if( zIn[i]!='\\' ){ zOut[j++] = zIn[i]; continue; }
    i++;
    switch( zIn[i] ){
      case 'b': zOut[j++] = '\b'; break;
      case 'f': zOut[j++] = '\f'; break;
      case 'n': zOut[j++] = '\n'; break;
      case 'r': zOut[j++] = '\r'; break;
      case 't': zOut[j++] = '\t'; break;
      case 'u':
        c = json_hex4(zIn+i+1);
        i += 4;
        if( c>=0xDC00 && c<=0xDFFF ){
          return json_err(pPath, pzErr, "invalid string: \\u%04X is a lone "
                          "low surrogate", c);
        }
        if( c>=0xD800 && c<=0xDBFF ){
          unsigned c2;
          if( i+6>=nIn || zIn[i+1]!='\\' || zIn[i+2]!='u'
           || (c2 = json_hex4(zIn+i+3))<0xDC00 || c2>0xDFFF ){
            return json_err(pPath, pzErr, "invalid string: \\u%04X is a high "
                            "surrogate without a low one", c);
          }
          c = 0x10000 + ((c - 0xD800)<<10) + (c2 - 0xDC00);
          i += 6;
        }
        if( c==0 ){
          return json_err(pPath, pzErr, "\\u0000 is not allowed (values "
                          "cannot hold NUL)");
        }
        json_put_utf8(zOut, &j, c);
        break;
      default:  /* '"', '\\', '/' */
        zOut[j++] = zIn[i];
        break;
    }
  }
  zOut[j] = 0;
  *pz = zOut;
  *pn = j;
  return SQLITE_OK;
}

/* 1 if string token iTok equals zLit once unescaped. */
static int json_key_is(const JsonDoc *p, int iTok, const char *zLit){
  const jsmntok_t *t = &p->aTok[iTok];
  int n = t->end - t->start;
  const char *zRaw = p->z + t->start;
  if( memchr(zRaw, '\\', (size_t)n) ){
    const char *z;
    int nz;
    char *zIgnore = 0;
    JsonPath path;
    memset(&path, 0, sizeof(path));
    path.zTop = "";
    if( json_string(p, iTok, &path, &z, &nz, &zIgnore)!=SQLITE_OK ){
      sqlite3_free(zIgnore);
      return 0;
    }
    return nz==(int)strlen(zLit) && memcmp(z, zLit, (size_t)nz)==0;
  }
  return n==(int)strlen(zLit) && memcmp(zRaw, zLit, (size_t)n)==0;
}

static int json_is_null(const JsonDoc *p, int iTok){
  const jsmntok_t *t = &p->aTok[iTok];
  return t->type==JSMN_PRIMITIVE && p->z[t->start]=='n';
}

/*------------------------------------------------------------ shapes -----*/

/* The name of key token iKey, for an "unknown key" message. */
static const char *json_key_name(const JsonDoc *p, int iKey){
  const char *z = 0;
  int n;
  char *zIgnore = 0;
  JsonPath path;
  memset(&path, 0, sizeof(path));
  path.zTop = "";
  if( json_string(p, iKey, &path, &z, &n, &zIgnore)!=SQLITE_OK ){
    sqlite3_free(zIgnore);
    return "?";
  }
  return z ? z : "?";
}

/* One arg {"type": T, "id": I} at token iTok into slot k of pFact. */
static int json_arg(const JsonDoc *p, int iTok, JsonPath *pPath,
                    PlJsonFact *pFact, int k, char **pzErr){
  const jsmntok_t *t = &p->aTok[iTok];
  int i, iKey = iTok + 1, bType = 0, bId = 0, iIdTok = -1, rc;
  if( t->type!=JSMN_OBJECT ){
    return json_err(pPath, pzErr, "expected an argument {\"type\": \"...\", "
                    "\"id\": \"...\"}");
  }
  pFact->azType[k] = 0; pFact->anType[k] = 0;
  pFact->azId[k] = 0;   pFact->anId[k] = 0;
  for(i=0; i<t->size; i++){
    int iVal = iKey + 1;
    const jsmntok_t *v = &p->aTok[iVal];
    if( json_key_is(p, iKey, "type") ){
      pPath->zLeaf = "type";
      if( bType ) return json_err(pPath, pzErr, "duplicate key");
      bType = 1;
      if( v->type==JSMN_STRING ){
        rc = json_string(p, iVal, pPath, &pFact->azType[k], &pFact->anType[k],
                         pzErr);
        if( rc!=SQLITE_OK ) return rc;
      }else if( !json_is_null(p, iVal) ){
        return json_err(pPath, pzErr, "expected a type name (string) or null");
      }
    }else if( json_key_is(p, iKey, "id") ){
      pPath->zLeaf = "id";
      if( bId ) return json_err(pPath, pzErr, "duplicate key");
      bId = 1;
      if( v->type==JSMN_STRING ){
        rc = json_string(p, iVal, pPath, &pFact->azId[k], &pFact->anId[k],
                         pzErr);
        if( rc!=SQLITE_OK ) return rc;
      }else if( v->type==JSMN_PRIMITIVE && !json_is_null(p, iVal) ){
        /* a number or true/false: checked against the type below */
        iIdTok = iVal;
        pFact->azId[k] = pl_arena_strndup(p->pArena, p->z + v->start,
                                          v->end - v->start);
        if( pFact->azId[k]==0 ) return SQLITE_NOMEM;
        pFact->anId[k] = v->end - v->start;
      }else if( !json_is_null(p, iVal) ){
        return json_err(pPath, pzErr, "expected a string or null");
      }
    }else{
      pPath->zLeaf = 0;
      return json_err(pPath, pzErr, "unknown key \"%s\" (an argument has "
                      "\"type\" and \"id\")", json_key_name(p, iKey));
    }
    pPath->zLeaf = 0;
    iKey = json_skip(p, iVal);
  }
  if( iIdTok>=0 ){
    char c = p->z[p->aTok[iIdTok].start];
    const char *zT = pFact->azType[k];
    int bBool = c=='t' || c=='f';
    const char *zWant = bBool ? "Boolean" : "Integer";
    if( zT==0 || pFact->anType[k]!=(int)strlen(zWant)
     || memcmp(zT, zWant, strlen(zWant))!=0 ){
      pPath->zLeaf = "id";
      return json_err(pPath, pzErr, "a JSON %s is accepted only for type %s; "
                      "write the id as a string",
                      bBool ? "true/false" : "number", zWant);
    }
  }
  return SQLITE_OK;
}

/* One fact {"predicate": P, "args": [...]} at token iTok. */
static int json_fact(const JsonDoc *p, int iTok, JsonPath *pPath,
                     PlJsonFact *pFact, char **pzErr){
  const jsmntok_t *t = &p->aTok[iTok];
  int i, iKey = iTok + 1, iArgs = -1, bPred = 0, rc;
  if( t->type!=JSMN_OBJECT ){
    return json_err(pPath, pzErr, "expected a fact {\"predicate\": \"...\", "
                    "\"args\": [...]}");
  }
  for(i=0; i<t->size; i++){
    int iVal = iKey + 1;
    if( json_key_is(p, iKey, "predicate") ){
      pPath->zField = "predicate";
      if( bPred ) return json_err(pPath, pzErr, "duplicate key");
      bPred = 1;
      if( p->aTok[iVal].type!=JSMN_STRING ){
        return json_err(pPath, pzErr, "expected a string");
      }
      rc = json_string(p, iVal, pPath, &pFact->zPred, &pFact->nPred, pzErr);
      if( rc!=SQLITE_OK ) return rc;
      if( pFact->nPred==0 ) return json_err(pPath, pzErr, "empty predicate");
    }else if( json_key_is(p, iKey, "args") ){
      pPath->zField = "args";
      if( iArgs>=0 ) return json_err(pPath, pzErr, "duplicate key");
      iArgs = iVal;
    }else{
      pPath->zField = 0;
      return json_err(pPath, pzErr, "unknown key \"%s\" (a fact has "
                      "\"predicate\" and \"args\")", json_key_name(p, iKey));
    }
    pPath->zField = 0;
    iKey = json_skip(p, iVal);
  }
  if( !bPred ) return json_err(pPath, pzErr, "missing \"predicate\"");
  if( iArgs<0 ) return json_err(pPath, pzErr, "missing \"args\"");
  pPath->zField = "args";
  t = &p->aTok[iArgs];
  if( t->type!=JSMN_ARRAY ){
    return json_err(pPath, pzErr, "expected an array of arguments");
  }
  if( t->size<1 || t->size>PL_MAX_ARGS ){
    return json_err(pPath, pzErr, "a fact has 1 to %d arguments; found %d",
                    PL_MAX_ARGS, t->size);
  }
  pFact->nArg = t->size;
  for(i=0, iKey=iArgs+1; i<pFact->nArg; i++){
    pPath->iArg = i;
    rc = json_arg(p, iKey, pPath, pFact, i, pzErr);
    if( rc!=SQLITE_OK ) return rc;
    iKey = json_skip(p, iKey);
  }
  pPath->iArg = -1;
  pPath->zField = 0;
  return SQLITE_OK;
}

/* The array of facts at token iTok, decoded into a new arena array. */
static int json_fact_array(const JsonDoc *p, int iTok, JsonPath *pPath,
                           PlJsonFact **paFact, int *pnFact, char **pzErr){
  const jsmntok_t *t = &p->aTok[iTok];
  PlJsonFact *aFact;
  int i, iElem, rc;
  *paFact = 0;
  *pnFact = 0;
  if( t->type!=JSMN_ARRAY ){
    return json_err(pPath, pzErr, "expected an array of facts");
  }
  aFact = pl_arena_alloc(p->pArena, sizeof(PlJsonFact)*(size_t)(t->size+1));
  if( aFact==0 ) return SQLITE_NOMEM;
  for(i=0, iElem=iTok+1; i<t->size; i++){
    pPath->iFact = i;
    rc = json_fact(p, iElem, pPath, &aFact[i], pzErr);
    if( rc!=SQLITE_OK ) return rc;
    iElem = json_skip(p, iElem);
  }
  pPath->iFact = -1;
  *paFact = aFact;
  *pnFact = t->size;
  return SQLITE_OK;
}

static void json_path_init(JsonPath *pPath, const char *zTop){
  memset(pPath, 0, sizeof(*pPath));
  pPath->zTop = zTop;
  pPath->iChange = pPath->iFact = pPath->iArg = -1;
}

int pl_json_batch_general(PlArena *pArena, const char *zJson, int nJson,
                          PlJsonChange **paChange, int *pnChange, char **pzErr){
  JsonDoc doc;
  JsonPath path;
  PlJsonChange *aChange = 0;
  int rc, i, iElem;
  memset(&doc, 0, sizeof(doc));
  doc.pArena = pArena;
  json_path_init(&path, "batch");
  *paChange = 0;
  *pnChange = 0;
  if( nJson<0 ) nJson = (int)strlen(zJson);
  rc = json_tokenize(&doc, zJson, nJson, pzErr);
  if( rc!=SQLITE_OK ) goto batch_done;
  if( doc.nTok==0 || doc.aTok[0].type!=JSMN_ARRAY ){
    rc = json_err(&path, pzErr, "expected a JSON array of changesets "
                  "({\"inserts\": [...]} or {\"deletes\": [...]})");
    goto batch_done;
  }
  aChange = pl_arena_alloc(pArena,
                           sizeof(PlJsonChange)*(size_t)(doc.aTok[0].size+1));
  if( aChange==0 ){ rc = SQLITE_NOMEM; goto batch_done; }
  for(i=0, iElem=1; i<doc.aTok[0].size; i++){
    const jsmntok_t *t = &doc.aTok[iElem];
    int bInsert = 0;
    path.iChange = i;
    if( t->type!=JSMN_OBJECT || t->size!=1
     || !((bInsert = json_key_is(&doc, iElem+1, "inserts"))
          || json_key_is(&doc, iElem+1, "deletes")) ){
      if( t->type==JSMN_OBJECT && t->size==1 ){
        rc = json_err(&path, pzErr, "unknown key \"%s\" (a changeset is "
                      "{\"inserts\": [...]} or {\"deletes\": [...]})",
                      json_key_name(&doc, iElem+1));
        goto batch_done;
      }
      const char *zWhy = t->type!=JSMN_OBJECT ? "" :
                         t->size==0 ? " (the object is empty)" :
                         " (one key per changeset)";
      rc = json_err(&path, pzErr, "expected an object with \"inserts\" or "
                    "\"deletes\"%s", zWhy);
      goto batch_done;
    }
    path.zList = bInsert ? "inserts" : "deletes";
    aChange[i].bInsert = bInsert;
    rc = json_fact_array(&doc, iElem+2, &path, &aChange[i].aFact,
                         &aChange[i].nFact, pzErr);
    if( rc!=SQLITE_OK ) goto batch_done;
    path.zList = 0;
    iElem = json_skip(&doc, iElem);
  }
  *paChange = aChange;
  *pnChange = doc.aTok[0].size;

batch_done:
  sqlite3_free(doc.aTok);
  return rc;
}

/*------------------------------------------------------------ fast path -*/
/*
** A batch body is usually the plain shape: changesets of facts whose
** strings hold no escapes, ids given as strings or null. json_fast() decodes
** exactly that in one pass over the text, with no tokens and no copies
** (strings point into the text; a predicate is copied once per run of facts
** that share it, NUL-terminated). It accepts only documents the general
** decoder below accepts, and builds the same result; at anything else (an
** escape, a number or true/false as an id, a duplicate or unknown key, a
** syntax error, a wrong shape) it gives up, and the general decoder, which
** checks the grammar first and names the error, decodes the text again.
*/
typedef struct JsonFast {
  PlArena *pArena;
  PlJsonFact *aScratch;    /* the facts of the changeset being read */
  int nScratch;
  const char *z;
  int n, i;
  const char *zPredRaw;    /* the last predicate as written, and its copy */
  int nPredRaw;
  const char *zPred;
} JsonFast;

#define JSON_FAST_NO SQLITE_DONE    /* "not this shape: ask the general decoder" */

/* Skip whitespace; 1 if z[i] is then c (and step over it). */
static inline int fast_is(JsonFast *p, char c){
  while( p->i<p->n && json_is_ws(p->z[p->i]) ) p->i++;
  if( p->i<p->n && p->z[p->i]==c ){ p->i++; return 1; }
  return 0;
}

/* A string with no escape and no control character: *pz points into the
** text. 0 if the next value is not such a string. */
static int fast_string(JsonFast *p, const char **pz, int *pn){
  const char *z = p->z;
  int i;
  if( !fast_is(p, '"') ) return 0;
  for(i=p->i; i<p->n; i++){
    unsigned char c = (unsigned char)z[i];
    if( c=='"' ){
      *pz = z + p->i;
      *pn = i - p->i;
      p->i = i + 1;
      return 1;
    }
    if( c=='\\' || c<0x20 ) break;
  }
  p->i--;                       /* back to the quote: this is no plain string */
  return 0;
}

/* One of the keys zA, zB (written with their quotes, e.g. "\"id\"", and
** no escapes) then ':'; which one in *pk. */
#define FAST_KEY(p, zA, zB, pk) fast_key(p, zA, (int)sizeof(zA)-1, zB, (int)sizeof(zB)-1, pk)
static int fast_key(JsonFast *p, const char *zA, int nA, const char *zB, int nB,
                    int *pk){
  const char *z;
  int nLeft;
  if( !fast_is(p, '"') ) return 0;
  p->i--;
  z = p->z + p->i;
  nLeft = p->n - p->i;
  if( nLeft>=nA && memcmp(z, zA, (size_t)nA)==0 ){
    *pk = 0;
    p->i += nA;
  }else if( nLeft>=nB && memcmp(z, zB, (size_t)nB)==0 ){
    *pk = 1;
    p->i += nB;
  }else{
    return 0;
  }
  return fast_is(p, ':');
}

/* A string (*pz set) or null (*pz NULL). */
static int fast_string_or_null(JsonFast *p, const char **pz, int *pn){
  if( fast_string(p, pz, pn) ) return 1;
  if( p->n - p->i>=4 && memcmp(p->z + p->i, "null", 4)==0 ){
    p->i += 4;
    *pz = 0;
    *pn = 0;
    return 1;
  }
  return 0;
}

/* {"type": T, "id": I}, keys in either order, a missing one null. */
static int fast_arg(JsonFast *p, PlJsonFact *pF, int k){
  int bSeen[2] = {0, 0}, w;
  if( !fast_is(p, '{') ) return 0;
  if( fast_is(p, '}') ) return 1;
  do{
    if( !FAST_KEY(p, "\"type\"", "\"id\"", &w) || bSeen[w] ) return 0;
    bSeen[w] = 1;
    if( w==0 ){
      if( !fast_string_or_null(p, &pF->azType[k], &pF->anType[k]) ) return 0;
    }else{
      if( !fast_string_or_null(p, &pF->azId[k], &pF->anId[k]) ) return 0;
    }
  }while( fast_is(p, ',') );
  return fast_is(p, '}');
}

/* {"predicate": P, "args": [...]}, keys in either order. */
static int fast_fact(JsonFast *p, PlJsonFact *pF){
  int bSeen[2] = {0, 0}, w;
  if( !fast_is(p, '{') ) return 0;
  do{
    if( !FAST_KEY(p, "\"predicate\"", "\"args\"", &w) || bSeen[w] ) return 0;
    bSeen[w] = 1;
    if( w==0 ){
      const char *z;
      int n;
      if( !fast_string(p, &z, &n) || n==0 ) return 0;
      if( n!=p->nPredRaw || memcmp(z, p->zPredRaw, (size_t)n)!=0 ){
        p->zPred = pl_arena_strndup(p->pArena, z, n);
        if( p->zPred==0 ) return -1;
        p->zPredRaw = z;
        p->nPredRaw = n;
      }
      pF->zPred = p->zPred;
      pF->nPred = n;
    }else{
      if( !fast_is(p, '[') || fast_is(p, ']') ) return 0;
      do{
        if( pF->nArg>=PL_MAX_ARGS || !fast_arg(p, pF, pF->nArg) ) return 0;
        pF->nArg++;
      }while( fast_is(p, ',') );
      if( !fast_is(p, ']') ) return 0;
    }
  }while( fast_is(p, ',') );
  return bSeen[0] && bSeen[1] && fast_is(p, '}');
}

/* The facts of one changeset ('[' already read): gathered in p->aScratch
** (grown with sqlite3_realloc64, reused), then copied into the arena. 1 on
** success, 0 if not the shape, -1 out of memory. */
static int fast_facts(JsonFast *p, PlJsonChange *pCh){
  int n = 0, r;
  if( !fast_is(p, ']') ){
    do{
      if( n>=p->nScratch ){
        int nNew = p->nScratch ? p->nScratch*2 : 16;
        PlJsonFact *aNew = sqlite3_realloc64(p->aScratch, sizeof(PlJsonFact)*(size_t)nNew);
        if( aNew==0 ) return -1;
        p->aScratch = aNew;
        p->nScratch = nNew;
      }
      memset(&p->aScratch[n], 0, sizeof(PlJsonFact));
      r = fast_fact(p, &p->aScratch[n]);
      if( r<=0 ) return r;
      n++;
    }while( fast_is(p, ',') );
    if( !fast_is(p, ']') ) return 0;
  }
  pCh->aFact = pl_arena_alloc(p->pArena, sizeof(PlJsonFact)*(size_t)(n+1));
  if( pCh->aFact==0 ) return -1;
  if( n>0 ) memcpy(pCh->aFact, p->aScratch, sizeof(PlJsonFact)*(size_t)n);
  pCh->nFact = n;
  return 1;
}

static int json_fast_run(JsonFast *p, PlJsonChange **paChange, int *pnChange);

static int json_fast(PlArena *pArena, const char *z, int n,
                     PlJsonChange **paChange, int *pnChange){
  JsonFast x;
  int rc;
  memset(&x, 0, sizeof(x));
  x.pArena = pArena;
  x.z = z;
  x.n = n;
  rc = json_fast_run(&x, paChange, pnChange);
  sqlite3_free(x.aScratch);
  return rc;
}

static int json_fast_run(JsonFast *p, PlJsonChange **paChange, int *pnChange){
  PlArena *pArena = p->pArena;
  const char *z = p->z;
  int n = p->n;
  PlJsonChange *aChange = 0;
  int nChange = 0, nAlloc = 0, r = 1, w;
  if( !fast_is(p, '[') ) return JSON_FAST_NO;
  if( !fast_is(p, ']') ){
    do{
      if( nChange>=nAlloc ){
        int nNew = nAlloc ? nAlloc*2 : 4;
        PlJsonChange *aNew = pl_arena_grow(pArena, aChange, nChange, nNew+1,
                                           sizeof(PlJsonChange));
        if( aNew==0 ) return SQLITE_NOMEM;
        aChange = aNew;
        nAlloc = nNew;
      }
      if( !fast_is(p, '{') || !FAST_KEY(p, "\"inserts\"", "\"deletes\"", &w)
       || !fast_is(p, '[') ) return JSON_FAST_NO;
      aChange[nChange].bInsert = w==0;
      r = fast_facts(p, &aChange[nChange]);
      if( r<0 ) return SQLITE_NOMEM;
      if( r==0 || !fast_is(p, '}') ) return JSON_FAST_NO;
      nChange++;
    }while( fast_is(p, ',') );
    if( !fast_is(p, ']') ) return JSON_FAST_NO;
  }
  while( p->i<n && json_is_ws(z[p->i]) ) p->i++;
  if( p->i!=n ) return JSON_FAST_NO;
  if( aChange==0 ){
    aChange = pl_arena_alloc(pArena, sizeof(PlJsonChange));
    if( aChange==0 ) return SQLITE_NOMEM;
  }
  *paChange = aChange;
  *pnChange = nChange;
  return SQLITE_OK;
}

int pl_json_batch(PlArena *pArena, const char *zJson, int nJson,
                  PlJsonChange **paChange, int *pnChange, char **pzErr){
  int rc;
  if( nJson<0 ) nJson = (int)strlen(zJson);
  rc = json_fast(pArena, zJson, nJson, paChange, pnChange);
  if( rc!=JSON_FAST_NO ) return rc;
  return pl_json_batch_general(pArena, zJson, nJson, paChange, pnChange, pzErr);
}

int pl_json_facts(PlArena *pArena, const char *zJson, int nJson,
                  PlJsonFact **paFact, int *pnFact, char **pzErr){
  JsonDoc doc;
  JsonPath path;
  int rc;
  memset(&doc, 0, sizeof(doc));
  doc.pArena = pArena;
  json_path_init(&path, "facts");
  *paFact = 0;
  *pnFact = 0;
  if( nJson<0 ) nJson = (int)strlen(zJson);
  rc = json_tokenize(&doc, zJson, nJson, pzErr);
  if( rc==SQLITE_OK && doc.nTok==0 ){
    rc = json_err(&path, pzErr, "expected a JSON array of facts");
  }else if( rc==SQLITE_OK ){
    rc = json_fact_array(&doc, 0, &path, paFact, pnFact, pzErr);
  }
  sqlite3_free(doc.aTok);
  return rc;
}
