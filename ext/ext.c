/*
** ext.c — the entry point of the polarlite extension.
**
**   .load ./polarlite                  (entry point sqlite3_polarlite_init)
**   SELECT polar_load(readfile('gitclub.polar'), 'gitclub.polar');
**   SELECT authorize('User:alice', 'read', 'Repository:anvil');
**
** Loading registers the SQL surface on the connection: the scalar
** functions (sql/funcs.c), then each module, in the order of aModule. The
** engine core (libpolarlite.a, linked by the polarlite command) calls
** pl_conn_open directly. Everything else in ext/ sits below this file; the
** one way back up — a policy's test blocks need engine connections of
** their own — goes through PlConn.xOpen, which points here.
*/
#include "pl_int.h"

SQLITE_EXTENSION_INIT1

static const struct {
  const char *zName;
  int (*xRegister)(sqlite3*, PlConn*);
} aModule[] = {
  { "polar_list, polar_actions, polar_query", pl_query_register },
  { "polar_context", pl_context_register },
  { "polar_facts",   pl_facts_register },
  { "polar_status",  pl_status_register },
  { "polar_test",    pl_tests_register },
  { "polar_unread",  pl_unread_register },
  { "polar_explain, polar_eval", pl_explain_register },
};

int pl_conn_open(sqlite3 *db, PlConn **ppConn, char **pzErrMsg){
  PlConn *c = pl_conn_new(db, pl_conn_open);
  size_t i;
  int rc;
  *ppConn = 0;
  if( c==0 ) return SQLITE_NOMEM;
  /* from here the connection owns c (pl_funcs_register) */
  rc = pl_funcs_register(db, c, pl_conn_free, pzErrMsg);
  for(i=0; rc==SQLITE_OK && i<sizeof(aModule)/sizeof(aModule[0]); i++){
    rc = aModule[i].xRegister(db, c);
    if( rc!=SQLITE_OK && pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("polarlite: cannot register %s: %s",
                                  aModule[i].zName, sqlite3_errmsg(db));
    }
  }
  if( rc==SQLITE_OK ) pl_budget_install(c);
  if( rc==SQLITE_OK ) *ppConn = c;
  return rc;
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_polarlite_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi){
  PlConn *c;
  SQLITE_EXTENSION_INIT2(pApi);
  return pl_conn_open(db, &c, pzErrMsg);
}
