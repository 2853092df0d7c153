/*
** stmtcache.c — prepared statements cached per connection, keyed by text.
**
** Compiled checks are prepared once per (connection, policy version, shape)
** and reused; the cache is cleared when the policy changes. A small open
** hash table is enough: keys are few (one per check shape in use).
*/
#include "pl_int.h"
#include <string.h>

typedef struct PlCacheEntry {
  char *zKey;
  unsigned h;
  sqlite3_stmt *pStmt;
} PlCacheEntry;

struct PlStmtCache {
  sqlite3 *db;
  PlCacheEntry *a;
  int nSlot, nUsed;
  PlWriteGuard guard;
};

static unsigned cache_hash(const char *z){
  unsigned h = 2166136261u;
  while( *z ){ h ^= (unsigned char)*z++; h *= 16777619u; }
  return h;
}

PlStmtCache *pl_cache_new(sqlite3 *db){
  PlStmtCache *p = sqlite3_malloc64(sizeof(*p));
  if( p==0 ) return 0;
  memset(p, 0, sizeof(*p));
  p->db = db;
  return p;
}

void pl_cache_clear(PlStmtCache *p){
  int i;
  if( p==0 ) return;
  for(i=0; i<p->nSlot; i++){
    if( p->a[i].zKey ){
      sqlite3_finalize(p->a[i].pStmt);
      sqlite3_free(p->a[i].zKey);
    }
  }
  sqlite3_free(p->a);
  p->a = 0;
  p->nSlot = p->nUsed = 0;
  memset(&p->guard, 0, sizeof(p->guard));
}

PlWriteGuard *pl_cache_guard(PlStmtCache *p){ return &p->guard; }

void pl_cache_free(PlStmtCache *p){
  if( p==0 ) return;
  pl_cache_clear(p);
  sqlite3_free(p);
}

static PlCacheEntry *cache_slot(PlCacheEntry *a, int nSlot, const char *zKey,
                                unsigned h){
  unsigned i = h & (unsigned)(nSlot-1);
  while( a[i].zKey && (a[i].h!=h || strcmp(a[i].zKey, zKey)!=0) ){
    i = (i+1) & (unsigned)(nSlot-1);
  }
  return &a[i];
}

static int cache_resize(PlStmtCache *p){
  int nNew = p->nSlot ? p->nSlot*2 : 16, i;
  PlCacheEntry *aNew = sqlite3_malloc64(sizeof(PlCacheEntry)*(size_t)nNew);
  if( aNew==0 ) return SQLITE_NOMEM;
  memset(aNew, 0, sizeof(PlCacheEntry)*(size_t)nNew);
  for(i=0; i<p->nSlot; i++){
    if( p->a[i].zKey ){
      *cache_slot(aNew, nNew, p->a[i].zKey, p->a[i].h) = p->a[i];
    }
  }
  sqlite3_free(p->a);
  p->a = aNew;
  p->nSlot = nNew;
  return SQLITE_OK;
}

int pl_cache_get(PlStmtCache *p, const char *zKey, const char *zSql,
                 sqlite3_stmt **ppStmt, char **pzErr){
  unsigned h = cache_hash(zKey);
  PlCacheEntry *e;
  sqlite3_stmt *pStmt = 0;
  int rc;
  *ppStmt = 0;
  if( p->nSlot ){
    e = cache_slot(p->a, p->nSlot, zKey, h);
    if( e->zKey ){
      /* a statement still running (a list nested in a list of the same
      ** shape) is handed out as it is: resetting it would restart the
      ** outer cursor; the caller runs a private copy instead */
      if( !sqlite3_stmt_busy(e->pStmt) ){
        sqlite3_reset(e->pStmt);
        sqlite3_clear_bindings(e->pStmt);
      }
      *ppStmt = e->pStmt;
      return SQLITE_OK;
    }
  }
  if( zSql==0 ) return SQLITE_OK;
  if( (p->nUsed+1)*2 > p->nSlot && cache_resize(p) ) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v3(p->db, zSql, -1, SQLITE_PREPARE_PERSISTENT, &pStmt, 0);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("internal error preparing compiled SQL: %s\n%s",
                             sqlite3_errmsg(p->db), zSql);
    sqlite3_finalize(pStmt);
    return rc;
  }
  e = cache_slot(p->a, p->nSlot, zKey, h);
  e->zKey = sqlite3_mprintf("%s", zKey);
  if( e->zKey==0 ){ sqlite3_finalize(pStmt); return SQLITE_NOMEM; }
  e->h = h;
  e->pStmt = pStmt;
  p->nUsed++;
  *ppStmt = pStmt;
  return SQLITE_OK;
}
