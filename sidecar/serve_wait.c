/*
** serve_wait.c — consistency tokens, and the thread that wakes reads
** waiting for one (see serve.h).
**
** Tokens. A write answered by this node carries OsoOffset: on an edge node
** the log position of its message, "<partition>:<offset>", as `polarlite
** publish` prints it and polar_wait takes it; on a node that applies
** writes to its own file (no --brokers), "local:<n>", the count of writes
** applied to the file (polar_meta local_writes), which every later
** transaction sees.
**
** The waiter. A read whose token is not applied yet is suspended by the
** HTTP layer and registered here with its deadline. While anything waits,
** this thread reads the file's position every millisecond on its own
** connection (one indexed lookup of polar_meta) and wakes each waiter
** whose token is reached or whose deadline passed; the read then runs, or
** answers 503 so the SDK goes to its fallback node.
*/
#include "serve.h"
#include "log.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct Wait {
  Token tok;
  int64_t iDeadlineMs;
  void (*xWake)(void*);
  void *pArg;
  struct Wait *pNext;
} Wait;

struct Waiter {
  sqlite3 *db;
  sqlite3_stmt *pPos;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;          /* a waiter was added, or stop */
  Wait *pList;
  int nWait;
  int bStop;
};

/*---------------------------------------------------------------- tokens --*/

/* A non-negative decimal filling z[0..n). */
static int parse_nonneg(const char *z, int n, int64_t *pv){
  int64_t v = 0;
  int i;
  if( n<1 || n>18 ) return -1;
  for(i=0; i<n; i++){
    if( z[i]<'0' || z[i]>'9' ) return -1;
    v = v*10 + (z[i]-'0');
  }
  *pv = v;
  return 0;
}

int token_parse(const char *z, Token *t){
  const char *zColon = z ? strchr(z, ':') : 0;
  memset(t, 0, sizeof(*t));
  if( zColon==0 ) return -1;
  if( zColon-z==5 && memcmp(z, "local", 5)==0 ){
    t->bLocal = 1;
    return parse_nonneg(zColon+1, (int)strlen(zColon+1), &t->iOffset);
  }
  if( parse_nonneg(z, (int)(zColon-z), &t->iPartition) ) return -1;
  return parse_nonneg(zColon+1, (int)strlen(zColon+1), &t->iOffset);
}

int token_reached(const Token *t, const Position *p){
  if( t->bLocal ) return p->iLocal >= t->iOffset;
  return p->bLog && p->iPartition==t->iPartition && p->iOffset>=t->iOffset;
}

void token_format(const Token *t, char *z, size_t n){
  if( t->bLocal ) snprintf(z, n, "local:%" PRId64, t->iOffset);
  else snprintf(z, n, "%" PRId64 ":%" PRId64, t->iPartition, t->iOffset);
}

/*---------------------------------------------------------------- waiter --*/

/* The file's position on the waiter's connection. */
static int read_position(Waiter *W, Position *p){
  int rc;
  memset(p, 0, sizeof(*p));
  if( W->pPos==0 && sqlite3_prepare_v2(W->db, POSITION_SQL, -1, &W->pPos, 0)!=SQLITE_OK ){
    sqlite3_finalize(W->pPos);
    W->pPos = 0;               /* no schema yet: try again next time */
    return -1;
  }
  rc = sqlite3_step(W->pPos);
  if( rc==SQLITE_ROW ){
    p->bLog = sqlite3_column_type(W->pPos, 1)!=SQLITE_NULL;
    p->iPartition = sqlite3_column_int64(W->pPos, 0);
    p->iOffset = sqlite3_column_int64(W->pPos, 1);
    p->iLocal = sqlite3_column_int64(W->pPos, 2);
  }
  sqlite3_reset(W->pPos);
  return rc==SQLITE_ROW ? 0 : -1;
}

static void *waiter_main(void *pArg){
  Waiter *W = pArg;
  pthread_mutex_lock(&W->mu);
  while( !W->bStop ){
    Position pos;
    int bPos;
    Wait **pp, *pWake = 0;
    int64_t now;
    if( W->pList==0 ){
      pthread_cond_wait(&W->cv, &W->mu);
      continue;
    }
    pthread_mutex_unlock(&W->mu);
    bPos = read_position(W, &pos)==0;
    now = serve_now_ms();
    pthread_mutex_lock(&W->mu);
    for(pp=&W->pList; *pp; ){
      Wait *p = *pp;
      if( (bPos && token_reached(&p->tok, &pos)) || now>=p->iDeadlineMs ){
        *pp = p->pNext;
        p->pNext = pWake;
        pWake = p;
        W->nWait--;
      }else{
        pp = &p->pNext;
      }
    }
    pthread_mutex_unlock(&W->mu);
    while( pWake ){
      Wait *p = pWake;
      pWake = p->pNext;
      p->xWake(p->pArg);
      free(p);
    }
    {
      struct timespec ts = { 0, 1000000L };
      nanosleep(&ts, 0);
    }
    pthread_mutex_lock(&W->mu);
  }
  pthread_mutex_unlock(&W->mu);
  return 0;
}

int waiter_start(const char *zDb, Waiter **pp, char *zErr, size_t nErr){
  Waiter *W = calloc(1, sizeof(*W));
  *pp = 0;
  if( W==0 ){ snprintf(zErr, nErr, "out of memory"); return -1; }
  if( sqlite3_open_v2(zDb, &W->db, SQLITE_OPEN_READONLY, 0)!=SQLITE_OK ){
    snprintf(zErr, nErr, "%s: %s", zDb, W->db ? sqlite3_errmsg(W->db) : "cannot open");
    sqlite3_close(W->db);
    free(W);
    return -1;
  }
  sqlite3_busy_timeout(W->db, 1000);
  pthread_mutex_init(&W->mu, 0);
  pthread_cond_init(&W->cv, 0);
  if( pthread_create(&W->thread, 0, waiter_main, W) ){
    snprintf(zErr, nErr, "cannot start the waiter thread: %s", strerror(errno));
    sqlite3_close(W->db);
    free(W);
    return -1;
  }
  *pp = W;
  return 0;
}

int waiter_add(Waiter *W, const Token *tok, int64_t iDeadlineMs, void (*xWake)(void*),
               void *pArg){
  Wait *p = calloc(1, sizeof(*p));
  if( p==0 ) return -1;
  p->tok = *tok;
  p->iDeadlineMs = iDeadlineMs;
  p->xWake = xWake;
  p->pArg = pArg;
  pthread_mutex_lock(&W->mu);
  p->pNext = W->pList;
  W->pList = p;
  W->nWait++;
  pthread_cond_signal(&W->cv);
  pthread_mutex_unlock(&W->mu);
  return 0;
}

int waiter_count(Waiter *W){
  int n;
  pthread_mutex_lock(&W->mu);
  n = W->nWait;
  pthread_mutex_unlock(&W->mu);
  return n;
}

void waiter_wake_all(Waiter *W){
  Wait *pList;
  pthread_mutex_lock(&W->mu);
  pList = W->pList;
  W->pList = 0;
  W->nWait = 0;
  pthread_mutex_unlock(&W->mu);
  while( pList ){
    Wait *p = pList;
    pList = p->pNext;
    p->xWake(p->pArg);
    free(p);
  }
}

void waiter_stop(Waiter *W){
  if( W==0 ) return;
  waiter_wake_all(W);
  pthread_mutex_lock(&W->mu);
  W->bStop = 1;
  pthread_cond_signal(&W->cv);
  pthread_mutex_unlock(&W->mu);
  pthread_join(W->thread, 0);
  sqlite3_finalize(W->pPos);
  sqlite3_close(W->db);
  pthread_cond_destroy(&W->cv);
  pthread_mutex_destroy(&W->mu);
  free(W);
}
