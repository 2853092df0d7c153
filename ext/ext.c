/*
** ext.c — the entry point of the polarlite extension.
**
**   .load ./polarlite                  (entry point sqlite3_polarlite_init)
**   SELECT polar_load(readfile('gitclub.polar'), 'gitclub.polar');
**   SELECT authorize('User:alice', 'read', 'Repository:anvil');
**
** Loading registers the SQL surface on the connection: each module, in the
** order of aModule, then the scalar functions (sql/funcs.c). The
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
  { "polar_call",    pl_call_register },
  { "polar_facts",   pl_facts_register },
  { "polar_status",  pl_status_register },
  { "polar_test",    pl_tests_register },
  { "polar_unread",  pl_unread_register },
  { "polar_explain, polar_eval", pl_explain_register },
};
/* every module the registrations above create, to drop if loading fails */
static const char *const azModule[] = {
  "polar_list", "polar_actions", "polar_query", "polar_context", "polar_facts",
  "polar_status", "polar_test", "polar_unread"
};

/* Register everything on db, or nothing.
**
** The extension lives in somebody else's process, so loading must never
** leave it a way to crash: loading again on a connection that has polarlite
** changes nothing (pl_conn_registered); and when loading fails, nothing it
** registered stays behind, because SQLite unmaps a library whose init
** failed, and any function or module left registered would jump into
** unmapped code when the connection closes. Modules come first and the
** scalar functions last, the last of them owning c: if another copy of the
** library (another path) was loaded on this connection before, replacing
** its modules disconnects its tables while its state still lives, and
** replacing its functions then frees that state. */
int pl_conn_open(sqlite3 *db, PlConn **ppConn, char **pzErrMsg){
  PlConn *c = pl_conn_registered(db);
  size_t i;
  int rc = SQLITE_OK, bGone = 0;
  *ppConn = c;
  if( c ) return SQLITE_OK;
  if( (c = pl_conn_new(db, pl_conn_open))==0 ) return SQLITE_NOMEM;
  for(i=0; rc==SQLITE_OK && i<sizeof(aModule)/sizeof(aModule[0]); i++){
    rc = aModule[i].xRegister(db, c);
    if( rc!=SQLITE_OK && pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("polarlite: cannot register %s: %s",
                                  aModule[i].zName, sqlite3_errmsg(db));
    }
  }
  if( rc==SQLITE_OK ) rc = pl_funcs_register(db, c, pl_conn_free, &bGone, pzErrMsg);
  if( rc!=SQLITE_OK ){
    for(i=0; i<sizeof(azModule)/sizeof(azModule[0]); i++){
      sqlite3_create_module_v2(db, azModule[i], 0, 0, 0);
    }
    if( !bGone ) pl_conn_free(c);
    return rc;
  }
  pl_budget_install(c);
  pl_conn_set_registered(c);
  *ppConn = c;
  return SQLITE_OK;
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_polarlite_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi){
  PlConn *c;
  SQLITE_EXTENSION_INIT2(pApi);
  return pl_conn_open(db, &c, pzErrMsg);
}
