/*
** explain.c — `polarlite explain`: why a check is allowed or denied.
**
**   polarlite explain --db authz.db User:alice push Repository:anvil
**   polarlite explain --db authz.db User:bob push Repository:anvil --json
**   polarlite explain --db authz.db User:erin read Repository:anvil \
**       --context '[{"predicate":"has_role","args":[...]}]'
**
** Reads the polar_explain table of the database (the engine in-process,
** the file opened read-only) and prints its rows as an indented tree: "+"
** for what holds, "-" for what does not, then the kind of row, where the
** rule is in the policy and its source text. Colour only when stdout is a
** terminal (and NO_COLOR is unset). --json prints one object: {"allowed":
** true|false, "rows": [{depth, holds, text, at, kind, rule}, ...]}.
**
** Exit status: 0 allowed, 1 denied, 2 usage error or failure (a limit that
** stopped the evaluation before the answer was known included).
*/
#include "cmd.h"
#include "engine.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char zUsage[] =
  "usage: polarlite explain --db FILE ACTOR ACTION RESOURCE [--context JSON] [--json]\n"
  "  ACTOR, ACTION, RESOURCE as in SQL: User:alice push Repository:anvil\n"
  "  --context JSON   context facts for this check (an array of Oso facts)\n"
  "  --json           one JSON object instead of the tree\n"
  "exit status: 0 allowed, 1 denied, 2 usage error or failure\n";

typedef struct Style { const char *zOk, *zNo, *zDim, *zOff; } Style;

static void print_row(const Style *st, sqlite3_stmt *p){
  int iDepth = sqlite3_column_int(p, 0);
  int bNull = sqlite3_column_type(p, 1)==SQLITE_NULL;
  int bHolds = sqlite3_column_int(p, 1);
  const char *zText = (const char*)sqlite3_column_text(p, 2);
  const char *zAt = (const char*)sqlite3_column_text(p, 3);
  const char *zKind = (const char*)sqlite3_column_text(p, 4);
  const char *zRule = (const char*)sqlite3_column_text(p, 5);
  const char *zColour = bNull ? st->zDim : bHolds ? st->zOk : st->zNo;
  int bTried = zKind && strcmp(zKind, "tried")==0;
  printf("%*s%s%c%s %s", iDepth*2, "", zColour, bNull ? '!' : bHolds ? '+' : '-',
         st->zOff, zText ? zText : "");
  printf("   %s[%s%s%s]", st->zDim, zKind ? zKind : "?", zAt ? " " : "", zAt ? zAt : "");
  if( zRule && !bTried ) printf(" %s", zRule);
  printf("%s\n", st->zOff);
}

int cmd_explain(int argc, char **argv){
  const char *zDb = 0, *zCtx = 0, *azArg[3];
  int nArg = 0, bJson = 0, i, rc, eHolds = -1, bColour;
  sqlite3 *db = 0;
  PlConn *c;
  sqlite3_stmt *p = 0;
  char zErr[512];
  Style st = { "", "", "", "" };
  for(i=1; i<argc; i++){
    if( strcmp(argv[i], "--db")==0 && i+1<argc ) zDb = argv[++i];
    else if( strcmp(argv[i], "--context")==0 && i+1<argc ) zCtx = argv[++i];
    else if( strcmp(argv[i], "--json")==0 ) bJson = 1;
    else if( strcmp(argv[i], "--help")==0 || strcmp(argv[i], "-h")==0 ){
      fputs(zUsage, stdout);
      return 0;
    }else if( argv[i][0]=='-' && argv[i][1]=='-' ){
      fprintf(stderr, "polarlite explain: unknown option '%s'\n%s", argv[i], zUsage);
      return 2;
    }else if( nArg<3 ){
      azArg[nArg++] = argv[i];
    }else{
      fprintf(stderr, "polarlite explain: unexpected argument '%s'\n%s", argv[i], zUsage);
      return 2;
    }
  }
  if( zDb==0 || nArg!=3 ){
    fputs(zUsage, stderr);
    return 2;
  }
  if( access(zDb, F_OK)!=0 ){
    fprintf(stderr, "polarlite explain: %s: no such database file\n", zDb);
    return 2;
  }
  if( engine_open(zDb, SQLITE_OPEN_READONLY, &db, &c, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite explain: %s\n", zErr);
    return 2;
  }
  sqlite3_busy_timeout(db, 5000);
  bColour = !bJson && isatty(1) && getenv("NO_COLOR")==0
         && !(getenv("TERM") && strcmp(getenv("TERM"), "dumb")==0);
  if( bColour ){
    st.zOk = "\033[32m"; st.zNo = "\033[31m"; st.zDim = "\033[2m"; st.zOff = "\033[0m";
  }
  /* one statement: the tree and the answer come from one read */
  rc = sqlite3_prepare_v2(db,
      "SELECT depth, holds, text, at, kind, rule FROM polar_explain(?1, ?2, ?3, ?4)",
      -1, &p, 0);
  for(i=0; rc==SQLITE_OK && i<3; i++) rc = sqlite3_bind_text(p, i+1, azArg[i], -1, SQLITE_STATIC);
  if( rc==SQLITE_OK && zCtx ) rc = sqlite3_bind_text(p, 4, zCtx, -1, SQLITE_STATIC);
  if( rc==SQLITE_OK && bJson ) printf("{\"rows\": [");
  for(i=0; rc==SQLITE_OK && sqlite3_step(p)==SQLITE_ROW; i++){
    if( sqlite3_column_int(p, 0)==0 && strcmp((const char*)sqlite3_column_text(p, 4), "goal")==0 ){
      eHolds = sqlite3_column_type(p, 1)==SQLITE_NULL ? -1 : sqlite3_column_int(p, 1);
    }
    if( bJson ){
      /* the row as JSON, by SQLite's own json_object */
      sqlite3_stmt *q = 0;
      int k;
      if( sqlite3_prepare_v2(db, "SELECT json_object('depth', ?1, 'holds', ?2, 'text', ?3, "
                             "'at', ?4, 'kind', ?5, 'rule', ?6)", -1, &q, 0)==SQLITE_OK ){
        for(k=0; k<6; k++) sqlite3_bind_value(q, k+1, sqlite3_column_value(p, k));
        if( sqlite3_step(q)==SQLITE_ROW ) printf("%s\n  %s", i ? "," : "", sqlite3_column_text(q, 0));
      }
      sqlite3_finalize(q);
    }else{
      print_row(&st, p);
    }
  }
  if( rc==SQLITE_OK ) rc = sqlite3_finalize(p); else sqlite3_finalize(p);
  if( rc!=SQLITE_OK ){
    if( bJson ) printf("]}\n");
    fprintf(stderr, "polarlite explain: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return 2;
  }
  if( bJson ){
    printf("],\n \"allowed\": %s}\n", eHolds==1 ? "true" : eHolds==0 ? "false" : "null");
  }else{
    printf("%s%s%s\n", eHolds==1 ? st.zOk : eHolds==0 ? st.zNo : st.zDim,
           eHolds==1 ? "allowed" : eHolds==0 ? "denied" : "not known: a limit stopped it",
           st.zOff);
  }
  sqlite3_close(db);
  return eHolds==1 ? 0 : eHolds==0 ? 1 : 2;
}
