/*
** arena.c — one allocation region per parsed policy, and the error helper.
**
** A policy is parsed, desugared and type-checked into many small nodes that
** all die together, so they come from an arena freed in one call. Blocks are
** obtained with sqlite3_malloc64 (the only allocator used in ext/).
*/
#include "pl_int.h"
#include <string.h>
#include <stdarg.h>

#define PL_ARENA_CHUNK 8192

typedef struct PlChunk PlChunk;
struct PlChunk {
  PlChunk *pNext;
  size_t nUsed, nSize;
  /* data follows, 16-byte aligned */
};

struct PlArena {
  PlChunk *pHead;
  size_t nBytes;        /* bytes obtained from sqlite3_malloc64 so far */
  size_t nMax;          /* cap on nBytes (0: none) */
  int bCapped;          /* an allocation failed on the cap */
};

PlArena *pl_arena_new(void){
  PlArena *p = sqlite3_malloc64(sizeof(*p));
  if( p ) memset(p, 0, sizeof(*p));
  return p;
}

void pl_arena_free(PlArena *p){
  if( p==0 ) return;
  while( p->pHead ){
    PlChunk *pNext = p->pHead->pNext;
    sqlite3_free(p->pHead);
    p->pHead = pNext;
  }
  sqlite3_free(p);
}

#define PL_HDR ((sizeof(PlChunk)+15) & ~(size_t)15)

void *pl_arena_alloc(PlArena *p, size_t n){
  PlChunk *c = p->pHead;
  void *pRet;
  n = (n + 15) & ~(size_t)15;
  if( n==0 ) n = 16;
  if( c==0 || c->nUsed + n > c->nSize ){
    size_t nSize = n > PL_ARENA_CHUNK ? n : PL_ARENA_CHUNK;
    if( p->nMax && p->nBytes + PL_HDR + nSize > p->nMax ){
      p->bCapped = 1;
      return 0;
    }
    c = sqlite3_malloc64(PL_HDR + nSize);
    if( c==0 ) return 0;
    p->nBytes += PL_HDR + nSize;
    c->nUsed = 0;
    c->nSize = nSize;
    c->pNext = p->pHead;
    p->pHead = c;
  }
  pRet = (char*)c + PL_HDR + c->nUsed;
  c->nUsed += n;
  memset(pRet, 0, n);
  return pRet;
}

void pl_arena_cap(PlArena *p, size_t nMax){ p->nMax = nMax; }
int pl_arena_capped(const PlArena *p){ return p->bCapped; }

char *pl_arena_strndup(PlArena *p, const char *z, int n){
  char *zOut;
  if( n<0 ) n = (int)strlen(z);
  zOut = pl_arena_alloc(p, (size_t)n + 1);
  if( zOut && n>0 ) memcpy(zOut, z, (size_t)n);
  return zOut;
}

void *pl_arena_grow(PlArena *p, void *aOld, int nOld, int nNew, size_t szElem){
  void *aNew = pl_arena_alloc(p, (size_t)nNew * szElem);
  if( aNew && nOld>0 ) memcpy(aNew, aOld, (size_t)nOld * szElem);
  return aNew;
}

char *pl_errf(const char *zFile, int line, int col, const char *zFmt, ...){
  va_list ap;
  char *zMsg, *zRet;
  va_start(ap, zFmt);
  zMsg = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  zRet = sqlite3_mprintf("%s:%d:%d: %s", zFile ? zFile : "policy.polar",
                         line, col, zMsg ? zMsg : "out of memory");
  sqlite3_free(zMsg);
  return zRet;
}

int pl_ts_count(const PlTypeSet *s){
  int i, n = 0;
  for(i=0; i<PL_MAX_TYPES/64; i++) n += __builtin_popcountll(s->w[i]);
  return n;
}

int pl_ts_next(const PlTypeSet *s, int t){
  for(t=t+1; t<PL_MAX_TYPES; t++){
    uint64_t w = s->w[t>>6] >> (t&63);
    if( w==0 ){ t = (t|63); continue; }
    return t + __builtin_ctzll(w);
  }
  return -1;
}

int pl_ts_first(const PlTypeSet *s){ return pl_ts_next(s, -1); }
