/*
** store.c — the storage interface of store.h: picks the implementation by
** URL scheme, checks keys, and holds what both implementations share.
*/
#include "store.h"
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static const StoreMethods *const aStoreImpl[] = { &store_s3_methods, &store_file_methods };

int store_open(const char *zUrl, int bProgress, Store **ppStore, char **pzErr){
  size_t i;
  *ppStore = 0;
  for(i=0; i<sizeof(aStoreImpl)/sizeof(aStoreImpl[0]); i++){
    const StoreMethods *m = aStoreImpl[i];
    size_t n = strlen(m->zScheme);
    if( strncmp(zUrl, m->zScheme, n)==0 && strncmp(zUrl+n, "://", 3)==0 ){
      return m->xOpen(zUrl+n+3, bProgress, ppStore, pzErr);
    }
  }
  *pzErr = sqlite3_mprintf("unsupported storage URL '%s': expected s3://BUCKET/PREFIX "
                           "or file:///DIRECTORY", zUrl);
  return STORE_ERROR;
}

void store_close(Store *p){
  if( p ) p->pMethods->xClose(p);
}

char *store_url(Store *p, const char *zKey){
  return p->pMethods->xUrl(p, zKey);
}

int store_key_ok(const char *zKey){
  const char *zSeg = zKey;
  const char *z;
  if( zKey==0 || zKey[0]==0 ) return 0;
  for(z=zKey; ; z++){
    if( *z=='/' || *z==0 ){
      size_t n = (size_t)(z - zSeg);
      if( n==0 ) return 0;
      if( (n==1 && zSeg[0]=='.') || (n==2 && zSeg[0]=='.' && zSeg[1]=='.') ) return 0;
      if( *z==0 ) return 1;
      zSeg = z+1;
    }else if( !((*z>='a' && *z<='z') || (*z>='A' && *z<='Z') || (*z>='0' && *z<='9')
               || *z=='.' || *z=='_' || *z=='-') ){
      return 0;
    }
  }
}

static int key_check(Store *p, const char *zKey, char **pzErr){
  (void)p;
  if( store_key_ok(zKey) ) return STORE_OK;
  *pzErr = sqlite3_mprintf("invalid object key '%s' (allowed: A-Z a-z 0-9 . _ - and "
                           "'/' between non-empty segments)", zKey ? zKey : "");
  return STORE_ERROR;
}

int store_put_file(Store *p, const char *zKey, const char *zPath, char **pzErr){
  int rc = key_check(p, zKey, pzErr);
  return rc ? rc : p->pMethods->xPutFile(p, zKey, zPath, pzErr);
}

int store_put_mem(Store *p, const char *zKey, const void *pData, size_t n, char **pzErr){
  int rc = key_check(p, zKey, pzErr);
  return rc ? rc : p->pMethods->xPutMem(p, zKey, pData, n, pzErr);
}

int store_get(Store *p, const char *zKey, StoreSink *pSink, char **pzErr){
  int rc = key_check(p, zKey, pzErr);
  return rc ? rc : p->pMethods->xGet(p, zKey, pSink, pzErr);
}

int store_delete(Store *p, const char *zKey, char **pzErr){
  int rc = key_check(p, zKey, pzErr);
  return rc ? rc : p->pMethods->xDelete(p, zKey, pzErr);
}

int store_list(Store *p, const char *zPrefix, StoreObject **paObj, int *pnObj, char **pzErr){
  int rc;
  *paObj = 0;
  *pnObj = 0;
  rc = p->pMethods->xList(p, zPrefix ? zPrefix : "", paObj, pnObj, pzErr);
  if( rc ){
    store_list_free(*paObj, *pnObj);
    *paObj = 0;
    *pnObj = 0;
  }else{
    store_list_sort(*paObj, *pnObj);
  }
  return rc;
}

/* A growing memory buffer behind store_get_mem. */
typedef struct MemSink { char *z; size_t n, nAlloc, nMax; int bTooBig; } MemSink;

static int mem_write(void *pCtx, const void *p, size_t n){
  MemSink *m = pCtx;
  if( m->n + n > m->nMax ){ m->bTooBig = 1; return 1; }
  if( m->n + n + 1 > m->nAlloc ){
    size_t nNew = m->nAlloc ? m->nAlloc*2 : 4096;
    char *zNew;
    while( nNew < m->n + n + 1 ) nNew *= 2;
    zNew = sqlite3_realloc64(m->z, nNew);
    if( zNew==0 ) return 1;
    m->z = zNew;
    m->nAlloc = nNew;
  }
  memcpy(m->z + m->n, p, n);
  m->n += n;
  m->z[m->n] = 0;
  return 0;
}

int store_get_mem(Store *p, const char *zKey, size_t nMax, char **pz, size_t *pn,
                  char **pzErr){
  MemSink m = {0, 0, 0, nMax, 0};
  StoreSink sink = { mem_write, &m };
  int rc;
  *pz = 0;
  *pn = 0;
  rc = store_get(p, zKey, &sink, pzErr);
  if( m.bTooBig ){
    char *zUrl = store_url(p, zKey);
    sqlite3_free(*pzErr);
    *pzErr = sqlite3_mprintf("%s is larger than the %zu bytes expected", zUrl, nMax);
    sqlite3_free(zUrl);
    rc = STORE_ERROR;
  }
  if( rc ){
    sqlite3_free(m.z);
    return rc;
  }
  if( m.z==0 && (m.z = sqlite3_malloc(1))!=0 ) m.z[0] = 0;
  if( m.z==0 ){
    *pzErr = sqlite3_mprintf("out of memory reading %s", zKey);
    return STORE_ERROR;
  }
  *pz = m.z;
  *pn = m.n;
  return STORE_OK;
}

int store_list_append(StoreObject **pa, int *pn, const char *zKey, int nKey, long long nByte){
  StoreObject *a = *pa;
  char *z;
  if( (*pn & (*pn-1))==0 ){                /* 0, 1, 2, 4, ...: grow */
    a = sqlite3_realloc64(a, sizeof(*a) * (size_t)(*pn ? *pn*2 : 1));
    if( a==0 ) return -1;
    *pa = a;
  }
  z = sqlite3_mprintf("%.*s", nKey, zKey);
  if( z==0 ) return -1;
  a[*pn].zKey = z;
  a[*pn].nByte = nByte;
  (*pn)++;
  return 0;
}

static int obj_cmp(const void *a, const void *b){
  return strcmp(((const StoreObject*)a)->zKey, ((const StoreObject*)b)->zKey);
}

void store_list_sort(StoreObject *a, int n){
  if( n>1 ) qsort(a, (size_t)n, sizeof(*a), obj_cmp);
}

void store_list_free(StoreObject *a, int n){
  int i;
  for(i=0; i<n; i++) sqlite3_free(a[i].zKey);
  sqlite3_free(a);
}
