/*
** pl_lex.h — tokens of Polar source, shared by lexer.c and parser.c only.
**
** pl_lex() turns a whole source text into an array of tokens. Lexing stops
** at the first lexical error: the array then ends with one PL_TK_ERROR token
** whose zErr says what went wrong (the parser reports it when it reaches
** that token, so errors come out in source order). Otherwise the array ends
** with PL_TK_EOF.
*/
#ifndef PL_LEX_H
#define PL_LEX_H

#include "pl_int.h"

enum {
  PL_TK_EOF = 1,
  PL_TK_ERROR,     /* lexical error; zErr = message (no position prefix) */
  PL_TK_IDENT,     /* [A-Za-z_][A-Za-z0-9_]* ( "::" ident )*; z = copy */
  PL_TK_STRING,    /* z,n = unescaped bytes (arena copy, NUL-terminated) */
  PL_TK_INT,       /* z,n = the digits (no sign), in the source */
  PL_TK_FLOAT,     /* digits "." digits: only so it can be rejected */
  PL_TK_CONST,     /* @name; z = name without '@' (arena copy) */
  PL_TK_LP, PL_TK_RP,          /* ( ) */
  PL_TK_LB, PL_TK_RB,          /* { } */
  PL_TK_LSQ, PL_TK_RSQ,        /* [ ] */
  PL_TK_COMMA, PL_TK_SEMI, PL_TK_COLON,
  PL_TK_EQ,                    /* =  */
  PL_TK_EQEQ, PL_TK_NE, PL_TK_LT, PL_TK_LE, PL_TK_GT, PL_TK_GE,
  /* OSS-only operators: lexed so the parser can say they are unsupported */
  PL_TK_DOT,                   /* .  */
  PL_TK_ASSIGN,                /* := */
  PL_TK_QUERY,                 /* ?= */
  PL_TK_STAR, PL_TK_PLUS, PL_TK_MINUS, PL_TK_SLASH
};

typedef struct PlToken {
  int eType;
  PlPos pos;
  const char *zSrc; int nSrc;  /* the token's bytes in the source text */
  const char *z; int n;        /* IDENT/STRING/CONST: arena copy; INT/FLOAT:
                               ** same as zSrc; else NULL */
  const char *zErr;            /* ERROR: message, arena */
} PlToken;

/* Tokenize zSrc[0..nSrc). *paTok is allocated with sqlite3_malloc64 and
** must be freed by the caller with sqlite3_free (also on error). Strings
** live in pArena. Returns SQLITE_OK (lexical errors become a final
** PL_TK_ERROR token) or SQLITE_NOMEM. */
int pl_lex(PlArena *pArena, const char *zSrc, int nSrc,
           PlToken **paTok, int *pnTok);

/* A short, printable rendering of a token for error messages, e.g.
** "'resource'", "string \"read\"", "end of input". Allocated in pArena
** (NULL on OOM). */
const char *pl_tok_describe(PlArena *pArena, const PlToken *pTok);

/* Bytes z[0..n) made safe to quote in a message: control bytes and invalid
** UTF-8 become \xNN, and '"' and '\\' are escaped; at most nMax bytes of
** input are shown (then "..."). Allocated in pArena. */
const char *pl_printable(PlArena *pArena, const char *z, int n, int nMax);

#endif /* PL_LEX_H */
