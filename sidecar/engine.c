/*
** engine.c — open the engine core in-process (see engine.h).
*/
#include "engine.h"
#include "pl_int.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int engine_open(const char *zPath, int flags, sqlite3 **pDb, PlConn **ppConn,
                char *zErr, size_t nErr){
  sqlite3 *db = 0;
  char *zMsg = 0;
  int rc = sqlite3_open_v2(zPath, &db, flags, 0);
  *pDb = 0;
  *ppConn = 0;
  if( rc!=SQLITE_OK ){
    snprintf(zErr, nErr, "cannot open %s: %s", zPath,
             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return 1;
  }
  sqlite3_extended_result_codes(db, 1);
  rc = pl_conn_open(db, ppConn, &zMsg);
  if( rc!=SQLITE_OK ){
    snprintf(zErr, nErr, "%s: cannot register the polarlite engine: %s", zPath,
             zMsg ? zMsg : sqlite3_errstr(rc));
    sqlite3_free(zMsg);
    sqlite3_close(db);
    return 1;
  }
  *pDb = db;
  return 0;
}

int engine_check_policy(const char *zSrc, size_t nSrc, const char *zFile,
                        int bRunTests, char *zErr, size_t nErr){
  sqlite3 *db;
  PlConn *c;
  char *zMsg = 0;
  int iVersion = 0, rc;
  if( nSrc>0x7fffffff ){
    snprintf(zErr, nErr, "%s: the policy is too large", zFile);
    return 1;
  }
  if( engine_open(":memory:", SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, &db, &c,
                  zErr, nErr) ) return 1;
  rc = pl_conn_load(c, zSrc, (int)nSrc, zFile, bRunTests ? pl_tests_check : 0,
                    &iVersion, &zMsg);
  if( rc!=SQLITE_OK ){
    snprintf(zErr, nErr, "%s", zMsg ? zMsg : sqlite3_errstr(rc));
  }
  sqlite3_free(zMsg);
  sqlite3_close(db);
  return rc!=SQLITE_OK;
}

int read_whole_file(const char *zPath, char **pzText, size_t *pnText,
                    char *zErr, size_t nErr){
  FILE *f = strcmp(zPath, "-")==0 ? stdin : fopen(zPath, "rb");
  char *z = 0;
  size_t n = 0, nAlloc = 0;
  *pzText = 0;
  *pnText = 0;
  if( f==0 ){
    snprintf(zErr, nErr, "cannot read %s: %s", zPath, strerror(errno));
    return -1;
  }
  for(;;){
    size_t got;
    if( nAlloc-n<65536 ){
      char *zNew = realloc(z, nAlloc ? nAlloc*2 : 65536+1);
      if( zNew==0 ){
        snprintf(zErr, nErr, "cannot read %s: out of memory", zPath);
        goto read_fail;
      }
      z = zNew;
      nAlloc = nAlloc ? nAlloc*2 : 65536+1;
    }
    got = fread(z+n, 1, nAlloc-n-1, f);
    n += got;
    if( got==0 ) break;
  }
  if( ferror(f) ){
    snprintf(zErr, nErr, "cannot read %s: %s", zPath, strerror(errno));
    goto read_fail;
  }
  if( f!=stdin ) fclose(f);
  z[n] = 0;
  *pzText = z;
  *pnText = n;
  return 0;

read_fail:
  if( f!=stdin ) fclose(f);
  free(z);
  return -1;
}
