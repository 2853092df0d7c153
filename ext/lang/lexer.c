/*
** lexer.c — tokenizer for Polar source (polar-reference.md section 2).
**
** The whole text is tokenized up front into an array so the parser can
** look ahead as far as it needs (shorthand bodies need three tokens). A
** lexical error does not abort: it becomes the last token, and the parser
** reports it only if it gets that far, which keeps messages in source order.
**
** Positions are 1-based; columns count bytes.
*/
#include "pl_int.h"
#include <string.h>

typedef struct PlLexer {
  PlArena *pArena;
  const char *z; int n;        /* source */
  int i;                       /* offset of the next byte */
  int line, col;               /* position of byte i */
  PlToken *aTok; int nTok, nAlloc;
  int rc;                      /* SQLITE_OK or SQLITE_NOMEM */
} PlLexer;

static int lx_ident_start(int c){
  return (c>='a' && c<='z') || (c>='A' && c<='Z') || c=='_';
}
static int lx_ident_char(int c){
  return lx_ident_start(c) || (c>='0' && c<='9');
}
static int lx_digit(int c){ return c>='0' && c<='9'; }

static int lx_peek(PlLexer *x, int k){
  return x->i+k < x->n ? (unsigned char)x->z[x->i+k] : -1;
}

/* Consume one byte, keeping line/col up to date. */
static void lx_advance(PlLexer *x){
  if( x->i < x->n ){
    if( x->z[x->i]=='\n' ){ x->line++; x->col = 1; }else{ x->col++; }
    x->i++;
  }
}

/* Append a token; returns it (zeroed apart from type and position) or NULL
** on OOM. */
static PlToken *lx_push(PlLexer *x, int eType, PlPos pos, int iStart){
  PlToken *t;
  if( x->nTok>=x->nAlloc ){
    int nNew = x->nAlloc ? x->nAlloc*2 : 256;
    PlToken *aNew = sqlite3_realloc64(x->aTok, (sqlite3_uint64)nNew*sizeof(PlToken));
    if( aNew==0 ){ x->rc = SQLITE_NOMEM; return 0; }
    x->aTok = aNew;
    x->nAlloc = nNew;
  }
  t = &x->aTok[x->nTok++];
  memset(t, 0, sizeof(*t));
  t->eType = eType;
  t->pos = pos;
  t->zSrc = x->z + iStart;
  t->nSrc = x->i - iStart;
  return t;
}

/* Record a lexical error as the final token. */
static void lx_error(PlLexer *x, PlPos pos, int iStart, const char *zMsg){
  PlToken *t = lx_push(x, PL_TK_ERROR, pos, iStart);
  if( t ){
    t->zErr = pl_arena_strndup(x->pArena, zMsg, -1);
    if( t->zErr==0 ) x->rc = SQLITE_NOMEM;
  }
}

/* A string literal starting at the opening quote. Returns 0 on success,
** 1 after recording an error. */
static int lx_string(PlLexer *x, PlPos pos){
  int iStart = x->i;
  int nOut = 0;
  char *zOut;
  PlToken *t;
  int j = x->i + 1;
  /* Find the closing quote first: the unescaped text is never longer than
  ** the source text between the quotes. */
  while( j<x->n && x->z[j]!='"' && x->z[j]!='\n' && x->z[j]!='\r' ){
    j += (x->z[j]=='\\' && j+1<x->n && x->z[j+1]!='\n' && x->z[j+1]!='\r') ? 2 : 1;
  }
  zOut = pl_arena_alloc(x->pArena, (size_t)(j - x->i) + 1);
  if( zOut==0 ){ x->rc = SQLITE_NOMEM; return 1; }
  lx_advance(x);                                   /* opening quote */
  for(;;){
    int c = lx_peek(x, 0);
    if( c<0 ){
      lx_error(x, pos, iStart, "unterminated string: missing closing '\"'");
      return 1;
    }
    if( c=='\n' || c=='\r' ){
      lx_error(x, pos, iStart, "unterminated string: a string cannot span "
               "lines (write \\n for a newline)");
      return 1;
    }
    if( c=='"' ){ lx_advance(x); break; }
    if( c=='\\' ){
      int e = lx_peek(x, 1);
      if( e<0 || e=='\n' || e=='\r' ){
        lx_error(x, pos, iStart, "unterminated string: missing closing '\"'");
        return 1;
      }
      switch( e ){
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case '0': c = 0; break;
        default:  c = e; break;               /* \" \\ and any other \c */
      }
      lx_advance(x); lx_advance(x);
      zOut[nOut++] = (char)c;
      continue;
    }
    zOut[nOut++] = (char)c;
    lx_advance(x);
  }
  zOut[nOut] = 0;
  t = lx_push(x, PL_TK_STRING, pos, iStart);
  if( t==0 ) return 1;
  t->z = zOut;
  t->n = nOut;
  return 0;
}

/* Describe the unexpected byte c for a message. */
static void lx_bad_char(PlLexer *x, PlPos pos, int c){
  char *zMsg;
  const char *zHint = "";
  int c1 = lx_peek(x, 1);
  if( c=='!' ) zHint = "; use 'not' for negation or '!=' for inequality";
  else if( c=='&' && c1=='&' ) zHint = "; use 'and'";
  else if( c=='|' && c1=='|' ) zHint = "; use 'or'";
  else if( c=='$' ) zHint = "; variable names start with a letter or '_'";
  else if( c=='\'' ) zHint = "; strings use double quotes";
  else if( c=='%' ) zHint = "; arithmetic is not supported in Oso Cloud Polar";
  if( c>0x20 && c<0x7f ){
    zMsg = sqlite3_mprintf("unexpected character '%c'%s", c, zHint);
  }else{
    zMsg = sqlite3_mprintf("unexpected byte 0x%02X", c);
  }
  if( zMsg==0 ){ x->rc = SQLITE_NOMEM; return; }
  lx_error(x, pos, x->i, zMsg);
  sqlite3_free(zMsg);
}

int pl_lex(PlArena *pArena, const char *zSrc, int nSrc,
           PlToken **paTok, int *pnTok){
  PlLexer x;
  memset(&x, 0, sizeof(x));
  x.pArena = pArena;
  x.z = zSrc ? zSrc : "";
  x.n = zSrc ? (nSrc<0 ? (int)strlen(zSrc) : nSrc) : 0;
  x.line = 1;
  x.col = 1;

  while( x.rc==SQLITE_OK ){
    int c = lx_peek(&x, 0);
    int c1;
    int iStart = x.i;
    int eType = 0;
    PlPos pos;
    pos.line = x.line;
    pos.col = x.col;
    if( c<0 ){
      lx_push(&x, PL_TK_EOF, pos, iStart);
      break;
    }
    if( c==' ' || c=='\t' || c=='\n' || c=='\r' || c=='\f' || c=='\v' ){
      lx_advance(&x);
      continue;
    }
    if( c=='#' ){
      while( lx_peek(&x, 0)>=0 && lx_peek(&x, 0)!='\n' ) lx_advance(&x);
      continue;
    }
    if( c=='"' ){
      if( lx_string(&x, pos) ) break;
      continue;
    }
    if( lx_ident_start(c) ){
      PlToken *t;
      for(;;){
        while( lx_ident_char(lx_peek(&x, 0)) ) lx_advance(&x);
        if( lx_peek(&x, 0)==':' && lx_peek(&x, 1)==':'
         && lx_ident_start(lx_peek(&x, 2)) ){
          lx_advance(&x); lx_advance(&x);
          continue;
        }
        break;
      }
      t = lx_push(&x, PL_TK_IDENT, pos, iStart);
      if( t==0 ) break;
      t->z = pl_arena_strndup(pArena, t->zSrc, t->nSrc);
      if( t->z==0 ){ x.rc = SQLITE_NOMEM; break; }
      t->n = t->nSrc;
      continue;
    }
    if( lx_digit(c) ){
      PlToken *t;
      while( lx_digit(lx_peek(&x, 0)) ) lx_advance(&x);
      eType = PL_TK_INT;
      if( lx_peek(&x, 0)=='.' && lx_digit(lx_peek(&x, 1)) ){
        lx_advance(&x);
        while( lx_digit(lx_peek(&x, 0)) ) lx_advance(&x);
        eType = PL_TK_FLOAT;
      }
      if( lx_ident_start(lx_peek(&x, 0)) ){
        lx_error(&x, pos, iStart, "a number cannot be followed directly by "
                 "a letter (identifiers cannot start with a digit)");
        break;
      }
      t = lx_push(&x, eType, pos, iStart);
      if( t==0 ) break;
      t->z = t->zSrc;
      t->n = t->nSrc;
      continue;
    }
    if( c=='@' ){
      PlToken *t;
      lx_advance(&x);
      if( !lx_ident_start(lx_peek(&x, 0)) ){
        lx_error(&x, pos, iStart, "expected a constant name after '@' "
                 "(the only built-in constant is @current_unix_time)");
        break;
      }
      while( lx_ident_char(lx_peek(&x, 0)) ) lx_advance(&x);
      t = lx_push(&x, PL_TK_CONST, pos, iStart);
      if( t==0 ) break;
      t->z = pl_arena_strndup(pArena, t->zSrc+1, t->nSrc-1);
      if( t->z==0 ){ x.rc = SQLITE_NOMEM; break; }
      t->n = t->nSrc-1;
      continue;
    }
    c1 = lx_peek(&x, 1);
    switch( c ){
      case '(': eType = PL_TK_LP; break;
      case ')': eType = PL_TK_RP; break;
      case '{': eType = PL_TK_LB; break;
      case '}': eType = PL_TK_RB; break;
      case '[': eType = PL_TK_LSQ; break;
      case ']': eType = PL_TK_RSQ; break;
      case ',': eType = PL_TK_COMMA; break;
      case ';': eType = PL_TK_SEMI; break;
      case '.': eType = PL_TK_DOT; break;
      case '*': eType = PL_TK_STAR; break;
      case '+': eType = PL_TK_PLUS; break;
      case '-': eType = PL_TK_MINUS; break;
      case '/': eType = PL_TK_SLASH; break;
      case ':':
        if( c1=='=' ){ eType = PL_TK_ASSIGN; lx_advance(&x); }
        else eType = PL_TK_COLON;
        break;
      case '=':
        if( c1=='=' ){ eType = PL_TK_EQEQ; lx_advance(&x); }
        else eType = PL_TK_EQ;
        break;
      case '!':
        if( c1=='=' ){ eType = PL_TK_NE; lx_advance(&x); }
        break;
      case '<':
        if( c1=='=' ){ eType = PL_TK_LE; lx_advance(&x); }
        else eType = PL_TK_LT;
        break;
      case '>':
        if( c1=='=' ){ eType = PL_TK_GE; lx_advance(&x); }
        else eType = PL_TK_GT;
        break;
      case '?':
        if( c1=='=' ){ eType = PL_TK_QUERY; lx_advance(&x); }
        break;
    }
    if( eType==0 ){
      lx_bad_char(&x, pos, c);
      break;
    }
    lx_advance(&x);
    lx_push(&x, eType, pos, iStart);
  }

  *paTok = x.aTok;
  *pnTok = x.nTok;
  return x.rc;
}

/* Length of the valid UTF-8 sequence at z[0..n), or 0 if invalid. */
static int lx_utf8_len(const unsigned char *z, int n){
  int len, i;
  unsigned int cp;
  if( z[0]<0x80 ) return 1;
  if( z[0]>=0xC2 && z[0]<=0xDF ){ len = 2; cp = z[0]&0x1F; }
  else if( z[0]>=0xE0 && z[0]<=0xEF ){ len = 3; cp = z[0]&0x0F; }
  else if( z[0]>=0xF0 && z[0]<=0xF4 ){ len = 4; cp = z[0]&0x07; }
  else return 0;
  if( len>n ) return 0;
  for(i=1; i<len; i++){
    if( (z[i]&0xC0)!=0x80 ) return 0;
    cp = (cp<<6) | (z[i]&0x3F);
  }
  if( (len==3 && (cp<0x800 || (cp>=0xD800 && cp<=0xDFFF)))
   || (len==4 && (cp<0x10000 || cp>0x10FFFF)) ) return 0;
  return len;
}

const char *pl_printable(PlArena *pArena, const char *z, int n, int nMax){
  const unsigned char *u = (const unsigned char*)z;
  int nShow = n>nMax ? nMax : n;
  char *zOut = pl_arena_alloc(pArena, (size_t)nShow*4 + 8);
  int i = 0, j = 0;
  static const char hex[] = "0123456789ABCDEF";
  if( zOut==0 ) return 0;
  while( i<nShow ){
    int len = lx_utf8_len(u+i, n-i);
    if( len>1 ){
      if( i+len>nShow ) break;
      memcpy(zOut+j, z+i, (size_t)len);
      i += len; j += len;
      continue;
    }
    if( len==1 && u[i]>=0x20 && u[i]<0x7f ){
      if( u[i]=='"' || u[i]=='\\' ) zOut[j++] = '\\';
      zOut[j++] = (char)u[i++];
      continue;
    }
    zOut[j++] = '\\';
    zOut[j++] = 'x';
    zOut[j++] = hex[u[i]>>4];
    zOut[j++] = hex[u[i]&15];
    i++;
  }
  if( i<n ){ memcpy(zOut+j, "...", 3); j += 3; }
  zOut[j] = 0;
  return zOut;
}

const char *pl_tok_describe(PlArena *pArena, const PlToken *t){
  const char *zShow;
  char *zMsg, *zRet;
  switch( t->eType ){
    case PL_TK_EOF:   return "end of input";
    case PL_TK_ERROR: return "an invalid token";
    case PL_TK_STRING:
      zShow = pl_printable(pArena, t->z, t->n, 40);
      if( zShow==0 ) return 0;
      zMsg = sqlite3_mprintf("string \"%s\"", zShow);
      break;
    default:
      zShow = pl_printable(pArena, t->zSrc, t->nSrc, 40);
      if( zShow==0 ) return 0;
      zMsg = sqlite3_mprintf("'%s'", zShow);
      break;
  }
  if( zMsg==0 ) return 0;
  zRet = pl_arena_strndup(pArena, zMsg, -1);
  sqlite3_free(zMsg);
  return zRet;
}
