/*
** bench_sql.c — see bench_sql.h.
*/
#include "bench_sql.h"
#include "bench_util.h"

#include <string.h>

void bsql_exec(sqlite3 *db, const char *zSql){
  char *zErr = 0;
  if( sqlite3_exec(db, zSql, 0, 0, &zErr)!=SQLITE_OK ){
    bdie("%s: %s", zSql, zErr ? zErr : sqlite3_errmsg(db));
  }
}

sqlite3_stmt *bsql_prepare(sqlite3 *db, const char *zSql){
  sqlite3_stmt *p = 0;
  if( sqlite3_prepare_v3(db, zSql, -1, SQLITE_PREPARE_PERSISTENT, &p, 0)!=SQLITE_OK ){
    bdie("cannot prepare\n%s\n: %s", zSql, sqlite3_errmsg(db));
  }
  return p;
}

int bsql_check(sqlite3 *db, sqlite3_stmt *p, const char *zActor, const char *zAction,
               const char *zRes, int64_t *pNs, char **pzErr){
  int64_t t0, t1;
  int rc, ans = -1;
  t0 = bnow_ns();
  sqlite3_bind_text(p, 1, zActor, -1, SQLITE_STATIC);
  if( zAction ){
    sqlite3_bind_text(p, 2, zAction, -1, SQLITE_STATIC);
    sqlite3_bind_text(p, 3, zRes, -1, SQLITE_STATIC);
  }else if( sqlite3_bind_parameter_count(p)>=2 ){
    sqlite3_bind_text(p, 2, zRes, -1, SQLITE_STATIC);
  }
  rc = sqlite3_step(p);
  if( rc==SQLITE_ROW ) ans = sqlite3_column_int(p, 0);
  rc = sqlite3_reset(p);
  t1 = bnow_ns();
  *pNs = t1 - t0;
  if( rc!=SQLITE_OK ){
    if( pzErr && !*pzErr ) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
    return -1;
  }
  return ans;
}

int64_t bsql_list(sqlite3 *db, sqlite3_stmt *p, const char *zType, long *pn,
                  uint64_t *pDigest, int *pbWild, char **pzErr){
  int64_t t0 = bnow_ns(), t1;
  long n = 0;
  uint64_t h = 0, hPrefix;
  int rc, nType = (int)strlen(zType);
  *pbWild = 0;
  hPrefix = bhash_more(bhash_str(zType, nType), ":", 1);
  while( (rc = sqlite3_step(p))==SQLITE_ROW ){
    const char *z = (const char*)sqlite3_column_text(p, 0);
    int nz = sqlite3_column_bytes(p, 0);
    if( !z ) continue;
    if( nz==1 && z[0]=='*' ) *pbWild = 1;
    /* polar_list may answer bare ids or Type:id; compare in one form */
    if( nz>nType && !memcmp(z, zType, (size_t)nType) && z[nType]==':' ){
      h += bhash_str(z, nz);
    }else{
      h += bhash_more(hPrefix, z, nz);
    }
    n++;
  }
  sqlite3_reset(p);
  t1 = bnow_ns();
  *pn = n;
  *pDigest = h;
  if( rc!=SQLITE_DONE ){
    if( pzErr && !*pzErr ) *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
    return -1;
  }
  return t1 - t0;
}
