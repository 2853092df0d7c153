/*
** dump.c — print parsed or generated Polar back as Polar text (the rules
** the desugarer writes, test assertions in messages, unit tests).
**
** Chains of `and`/`or` print flat whatever their tree shape, and
** parentheses appear only where precedence needs them.
*/
#include "pl_int.h"
#include <string.h>

static void dm_string(sqlite3_str *s, const char *z, int n){
  int i;
  sqlite3_str_appendchar(s, 1, '"');
  for(i=0; i<n; i++){
    unsigned char ch = (unsigned char)z[i];
    switch( ch ){
      case '"':  sqlite3_str_appendall(s, "\\\""); break;
      case '\\': sqlite3_str_appendall(s, "\\\\"); break;
      case '\n': sqlite3_str_appendall(s, "\\n"); break;
      case '\r': sqlite3_str_appendall(s, "\\r"); break;
      case '\t': sqlite3_str_appendall(s, "\\t"); break;
      case 0:    sqlite3_str_appendall(s, "\\0"); break;
      default:   sqlite3_str_appendchar(s, 1, (char)ch); break;
    }
  }
  sqlite3_str_appendchar(s, 1, '"');
}

static void dm_term(sqlite3_str *s, const PlTerm *t){
  int i;
  switch( t->eKind ){
    case PL_TERM_VAR:
      sqlite3_str_appendall(s, t->zName ? t->zName : "?");
      if( t->zType ) sqlite3_str_appendf(s, ": %s", t->zType);
      break;
    case PL_TERM_WILD:
      sqlite3_str_appendall(s, "_");
      if( t->zType ) sqlite3_str_appendf(s, ": %s", t->zType);
      break;
    case PL_TERM_STR:  dm_string(s, t->z, t->n); break;
    case PL_TERM_INT:  sqlite3_str_appendf(s, "%lld", t->i); break;
    case PL_TERM_BOOL: sqlite3_str_appendall(s, t->i ? "true" : "false"); break;
    case PL_TERM_OBJ:
      sqlite3_str_appendf(s, "%s{", t->zType);
      dm_string(s, t->z, t->n);
      sqlite3_str_appendchar(s, 1, '}');
      break;
    case PL_TERM_NOW: sqlite3_str_appendall(s, "@current_unix_time"); break;
    case PL_TERM_LIST:
      sqlite3_str_appendchar(s, 1, '[');
      for(i=0; i<t->nItem; i++){
        if( i ) sqlite3_str_appendall(s, ", ");
        dm_term(s, &t->aItem[i]);
      }
      sqlite3_str_appendchar(s, 1, ']');
      break;
    default: sqlite3_str_appendall(s, "<?term>"); break;
  }
}

static int dm_prec(const PlExpr *e){
  switch( e->eKind ){
    case PL_EXPR_OR:  return 1;
    case PL_EXPR_AND: return 2;
    case PL_EXPR_NOT: return 3;
    default:          return 4;
  }
}

static void dm_expr(sqlite3_str *s, const PlExpr *e, int nMinPrec){
  static const char *const azCmp[] = { "?", "==", "!=", "<", "<=", ">", ">=" };
  int bParen;
  int i;
  if( e==0 ){ sqlite3_str_appendall(s, "<null>"); return; }
  bParen = dm_prec(e) < nMinPrec;
  if( bParen ) sqlite3_str_appendchar(s, 1, '(');
  switch( e->eKind ){
    case PL_EXPR_AND: case PL_EXPR_OR:
      /* children of the same kind print flat: a and b and c */
      dm_expr(s, e->pLeft, dm_prec(e));
      sqlite3_str_appendall(s, e->eKind==PL_EXPR_AND ? " and " : " or ");
      dm_expr(s, e->pRight, dm_prec(e));
      break;
    case PL_EXPR_NOT:
      sqlite3_str_appendall(s, "not ");
      dm_expr(s, e->pLeft, 3);
      break;
    case PL_EXPR_CALL:
      sqlite3_str_appendf(s, "%s(", e->zPred);
      for(i=0; i<e->nArg; i++){
        if( i ) sqlite3_str_appendall(s, ", ");
        dm_term(s, &e->aArg[i]);
      }
      sqlite3_str_appendchar(s, 1, ')');
      break;
    case PL_EXPR_UNIFY:
      dm_term(s, e->pA); sqlite3_str_appendall(s, " = "); dm_term(s, e->pB);
      break;
    case PL_EXPR_CMP:
      dm_term(s, e->pA);
      sqlite3_str_appendf(s, " %s ",
                          e->eCmp>=1 && e->eCmp<=6 ? azCmp[e->eCmp] : "?");
      dm_term(s, e->pB);
      break;
    case PL_EXPR_MATCHES:
      dm_term(s, e->pA); sqlite3_str_appendf(s, " matches %s", e->zType);
      break;
    case PL_EXPR_IN:
      dm_term(s, e->pA); sqlite3_str_appendall(s, " in "); dm_term(s, e->pB);
      break;
    case PL_EXPR_SH_TERM:
      dm_string(s, e->zName, (int)strlen(e->zName));
      break;
    case PL_EXPR_SH_ON:
      if( e->bRole ) sqlite3_str_appendall(s, "role");
      else dm_string(s, e->zName, (int)strlen(e->zName));
      sqlite3_str_appendall(s, " on ");
      dm_string(s, e->zRel, (int)strlen(e->zRel));
      break;
    case PL_EXPR_SH_GLOBAL:
      sqlite3_str_appendall(s, "global ");
      dm_string(s, e->zName, (int)strlen(e->zName));
      break;
    default:
      sqlite3_str_appendall(s, "<?expr>");
      break;
  }
  if( bParen ) sqlite3_str_appendchar(s, 1, ')');
}

char *pl_program_dump_term(const PlTerm *t){
  sqlite3_str *s = sqlite3_str_new(0);
  dm_term(s, t);
  return sqlite3_str_finish(s);
}

char *pl_program_dump_expr(const PlExpr *e){
  sqlite3_str *s = sqlite3_str_new(0);
  dm_expr(s, e, 0);
  return sqlite3_str_finish(s);
}

char *pl_program_dump_rule(const PlRule *r){
  sqlite3_str *s = sqlite3_str_new(0);
  int i;
  sqlite3_str_appendf(s, "%s(", r->zPred);
  for(i=0; i<r->nParam; i++){
    if( i ) sqlite3_str_appendall(s, ", ");
    dm_term(s, &r->aParam[i]);
  }
  sqlite3_str_appendchar(s, 1, ')');
  if( r->pBody ){
    sqlite3_str_appendall(s, " if ");
    dm_expr(s, r->pBody, 0);
  }
  sqlite3_str_appendchar(s, 1, ';');
  return sqlite3_str_finish(s);
}
