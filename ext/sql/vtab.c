/*
** vtab.c — what every polarlite virtual table does when a connection first
** uses it: declare its columns, allocate its table object, and say where
** it may be used.
*/
#include "pl_int.h"
#include <string.h>

int pl_vtab_new(sqlite3 *db, const char *zSchema, size_t nByte, int eConfig,
                sqlite3_vtab **ppVtab){
  sqlite3_vtab *p;
  int rc = sqlite3_declare_vtab(db, zSchema);
  *ppVtab = 0;
  if( rc!=SQLITE_OK ) return rc;
  p = sqlite3_malloc64(nByte);
  if( p==0 ) return SQLITE_NOMEM;
  memset(p, 0, nByte);
  if( eConfig ) sqlite3_vtab_config(db, eConfig);
  *ppVtab = p;
  return SQLITE_OK;
}

int pl_vtab_free(sqlite3_vtab *p){
  sqlite3_free(p);
  return SQLITE_OK;
}
