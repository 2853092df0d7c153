/*
** snapshot_loop.c — the two periodic jobs of snapshot.h: a fallback node
** refreshing its file from the latest snapshot, and a publisher thread on
** a node that applies the log. Both log one line per round that did
** something, and keep going after errors.
*/
#include "snapshot_int.h"
#include "log.h"
#include "store.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Sleep up to ms, waking every 100 ms to look at *pStop. */
static void sleep_unless_stopped(int ms, volatile sig_atomic_t *pStop){
  while( ms>0 && !*pStop ){
    int slice = ms<100 ? ms : 100;
    struct timespec ts = { 0, (long)slice*1000000L };
    nanosleep(&ts, 0);
    ms -= slice;
  }
}

int snapshot_fallback_run(const char *zDb, const char *zUrl, const char *zTopic,
                          int everyMs, volatile sig_atomic_t *pStop, SnapStats *pStats,
                          void (*xRound)(void *pArg, const SnapStats*), void *pArg){
  SnapStats dummy;
  char aUrl[512], aErr[1024];
  char *zLastErr = 0;         /* the previous round's error, if it failed */
  if( pStats==0 ){ memset(&dummy, 0, sizeof(dummy)); pStats = &dummy; }
  {
    SnapPosition pos;
    char *zErr = 0;
    if( snapshot_db_position(zDb, &pos, &zErr)==SNAP_OK && pos.iSnapshotMs>0 ){
      atomic_store(&pStats->iSnapshotMs, pos.iSnapshotMs);
    }
    sqlite3_free(zErr);
  }
  log_event(LOG_INFO, "fallback_start", "db=%s snapshots=%s every_ms=%d",
            log_q(aErr, sizeof(aErr), zDb), log_q(aUrl, sizeof(aUrl), zUrl), everyMs);
  while( !*pStop ){
    SnapRestoreOpts opt;
    Manifest m;
    char *zErr = 0;
    long long t0 = log_now_ms();
    int rc;
    memset(&opt, 0, sizeof(opt));
    opt.iOffset = SNAP_LATEST;
    opt.zTopic = zTopic;
    opt.bOnlyNewer = 1;
    rc = snapshot_restore(zDb, zUrl, &opt, &m, &zErr);
    if( rc==SNAP_OK ){
      atomic_store(&pStats->iSnapshotMs, m.iCreatedMs);
      atomic_store(&pStats->iCheckMs, log_now_ms());
      atomic_fetch_add(&pStats->nDone, 1);
      log_event(LOG_INFO, "snapshot_restored", "offset=%lld created_at=%s facts=%lld bytes=%lld "
                "ms=%lld", m.iOffset, m.zCreatedAt, m.nFact, m.nByte, log_now_ms() - t0);
      snapshot_log_bindings(&m);
    }else if( rc==SNAP_UNCHANGED ){
      atomic_store(&pStats->iCheckMs, log_now_ms());
    }else{
      atomic_fetch_add(&pStats->nError, 1);
      /* a failure that repeats every round is logged once */
      if( zLastErr==0 || zErr==0 || strcmp(zLastErr, zErr)!=0 ){
        log_event(rc==SNAP_NONE ? LOG_WARN : LOG_ERROR, "snapshot_refresh_failed", "error=%s",
                  log_q(aErr, sizeof(aErr), zErr ? zErr : "?"));
      }
    }
    sqlite3_free(zLastErr);
    zLastErr = rc==SNAP_OK || rc==SNAP_UNCHANGED ? 0 : zErr;
    if( zLastErr==0 ) sqlite3_free(zErr);
    if( xRound ) xRound(pArg, pStats);
    sleep_unless_stopped(everyMs, pStop);
  }
  sqlite3_free(zLastErr);
  log_event(LOG_INFO, "fallback_stop", "db=%s", log_q(aErr, sizeof(aErr), zDb));
  return 0;
}

/*-------------------------------------------------------- publisher ---*/

struct SnapPublisher {
  char *zDb, *zUrl, *zTopic;  /* copies (sqlite3_mprintf) */
  int everyMs, nKeep;
  SnapStats stats;
  pthread_t thread;
  pthread_mutex_t mutex;
  pthread_cond_t cond;        /* signalled by stop */
  int bStop;
};

static void *publisher_main(void *pArg){
  SnapPublisher *p = pArg;
  char aBuf[1024];
  pthread_mutex_lock(&p->mutex);
  for(;;){
    struct timespec until;
    Manifest m;
    char *zErr = 0;
    long long t0;
    int rc;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += p->everyMs/1000;
    until.tv_nsec += (long)(p->everyMs%1000)*1000000L;
    if( until.tv_nsec>=1000000000L ){ until.tv_sec++; until.tv_nsec -= 1000000000L; }
    while( !p->bStop && pthread_cond_timedwait(&p->cond, &p->mutex, &until)==0 ){}
    if( p->bStop ) break;
    pthread_mutex_unlock(&p->mutex);

    t0 = log_now_ms();
    rc = snapshot_publish(p->zDb, p->zUrl, p->zTopic, p->nKeep, 0, &m, &zErr);
    if( rc==SNAP_OK ){
      atomic_store(&p->stats.iSnapshotMs, m.iCreatedMs);
      atomic_store(&p->stats.iCheckMs, log_now_ms());
      atomic_fetch_add(&p->stats.nDone, 1);
      log_event(LOG_INFO, "snapshot_published", "object=%s offset=%lld facts=%lld bytes=%lld ms=%lld",
                m.zObject, m.iOffset, m.nFact, m.nByte, log_now_ms() - t0);
      snapshot_log_bindings(&m);
    }else{
      atomic_fetch_add(&p->stats.nError, 1);
      log_event(LOG_ERROR, "snapshot_publish_failed", "error=%s",
                log_q(aBuf, sizeof(aBuf), zErr ? zErr : "?"));
    }
    sqlite3_free(zErr);
    pthread_mutex_lock(&p->mutex);
  }
  pthread_mutex_unlock(&p->mutex);
  return 0;
}

static void publisher_free(SnapPublisher *p){
  sqlite3_free(p->zDb);
  sqlite3_free(p->zUrl);
  sqlite3_free(p->zTopic);
  sqlite3_free(p);
}

int snapshot_publisher_start(const char *zDb, const char *zUrl, const char *zTopic,
                             int everyMs, int nKeep, SnapPublisher **pp, char **pzErr){
  SnapPublisher *p;
  pthread_condattr_t attr;
  *pp = 0;
  if( everyMs<=0 ){
    *pzErr = sqlite3_mprintf("snapshot interval must be positive (got %d ms)", everyMs);
    return SNAP_ERROR;
  }
  p = sqlite3_malloc(sizeof(*p));
  if( p==0 ){ *pzErr = sqlite3_mprintf("out of memory"); return SNAP_ERROR; }
  memset(p, 0, sizeof(*p));
  p->zDb = sqlite3_mprintf("%s", zDb);
  p->zUrl = sqlite3_mprintf("%s", zUrl);
  p->zTopic = zTopic ? sqlite3_mprintf("%s", zTopic) : 0;
  p->everyMs = everyMs;
  p->nKeep = nKeep;
  if( p->zDb==0 || p->zUrl==0 || (zTopic && p->zTopic==0) ){
    publisher_free(p);
    *pzErr = sqlite3_mprintf("out of memory");
    return SNAP_ERROR;
  }
  /* open the store once here so a bad URL or missing credential is an
  ** error at startup, not a log line an interval later */
  {
    Store *pStore = 0;
    if( store_open(zUrl, 0, &pStore, pzErr) ){ publisher_free(p); return SNAP_ERROR; }
    store_close(pStore);
  }
  pthread_mutex_init(&p->mutex, 0);
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&p->cond, &attr);
  pthread_condattr_destroy(&attr);
  if( pthread_create(&p->thread, 0, publisher_main, p)!=0 ){
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->mutex);
    publisher_free(p);
    *pzErr = sqlite3_mprintf("cannot start the snapshot publisher thread");
    return SNAP_ERROR;
  }
  *pp = p;
  return SNAP_OK;
}

SnapStats *snapshot_publisher_stats(SnapPublisher *p){
  return &p->stats;
}

void snapshot_publisher_stop(SnapPublisher *p){
  if( p==0 ) return;
  pthread_mutex_lock(&p->mutex);
  p->bStop = 1;
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->mutex);
  pthread_join(p->thread, 0);
  pthread_cond_destroy(&p->cond);
  pthread_mutex_destroy(&p->mutex);
  publisher_free(p);
}

void snapshot_log_bindings(const Manifest *m){
  char aBuf[1200];
  if( m->zBoundTables[0] ){
    log_event(LOG_INFO, "snapshot_bound_tables", "object=%s tables=%s note=\"application tables "
              "polar_bind bindings read, copied with the snapshot; the log does not carry "
              "changes to them\"", m->zObject, log_q(aBuf, sizeof(aBuf), m->zBoundTables));
  }
  if( m->zUnresolved[0] ){
    log_event(LOG_WARN, "snapshot_unresolved_bindings", "object=%s bindings=%s note=\"checks "
              "that read these bindings fail in a database restored from it\"", m->zObject,
              log_q(aBuf, sizeof(aBuf), m->zUnresolved));
  }
}
