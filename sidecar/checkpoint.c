/*
** checkpoint.c — WAL checkpoints off the apply path (see checkpoint.h).
*/
#include "checkpoint.h"
#include "log.h"
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct Checkpointer {
  sqlite3 *db;
  int iEveryMs;
  pthread_t thread;
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int bStop;
};

/* A connection learns that the file is in WAL mode, and opens the WAL, on
** its first read. Until then sqlite3_wal_checkpoint_v2() returns SQLITE_OK
** having done nothing (the log size it reports is -1): a connection that
** only ever checkpoints must read once first. */
static int wal_open(sqlite3 *db){
  return sqlite3_exec(db, "SELECT 1 FROM main.sqlite_schema LIMIT 1", 0, 0, 0);
}

static void *checkpoint_main(void *pArg){
  Checkpointer *C = pArg;
  int bFailed = 0;
  pthread_mutex_lock(&C->mutex);
  while( !C->bStop ){
    struct timespec ts;
    int nLog = 0, nDone = 0, rc;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)(C->iEveryMs % 1000) * 1000000L;
    ts.tv_sec += C->iEveryMs / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&C->cond, &C->mutex, &ts);
    if( C->bStop ) break;
    pthread_mutex_unlock(&C->mutex);
    rc = wal_open(C->db);
    if( rc==SQLITE_OK ){
      rc = sqlite3_wal_checkpoint_v2(C->db, "main", SQLITE_CHECKPOINT_PASSIVE, &nLog, &nDone);
    }
    /* BUSY: another checkpoint is running; try again next time */
    if( rc!=SQLITE_OK && (rc&0xff)!=SQLITE_BUSY && !bFailed ){
      log_event(LOG_WARN, "checkpoint_failed", "error=\"%s\"", sqlite3_errmsg(C->db));
      bFailed = 1;
    }else if( rc==SQLITE_OK ){
      bFailed = 0;
    }
    pthread_mutex_lock(&C->mutex);
  }
  pthread_mutex_unlock(&C->mutex);
  return 0;
}

int checkpointer_start(const char *zPath, int iEveryMs, Checkpointer **ppC,
                       char *zErr, size_t nErr){
  Checkpointer *C = calloc(1, sizeof(*C));
  *ppC = 0;
  if( C==0 ){ snprintf(zErr, nErr, "out of memory"); return -1; }
  if( sqlite3_open_v2(zPath, &C->db, SQLITE_OPEN_READWRITE, 0)!=SQLITE_OK ){
    snprintf(zErr, nErr, "%s: cannot open a checkpoint connection: %s", zPath,
             C->db ? sqlite3_errmsg(C->db) : "out of memory");
    sqlite3_close(C->db);
    free(C);
    return -1;
  }
  sqlite3_busy_timeout(C->db, 1000);
  C->iEveryMs = iEveryMs>0 ? iEveryMs : 1;
  pthread_mutex_init(&C->mutex, 0);
  pthread_cond_init(&C->cond, 0);
  if( pthread_create(&C->thread, 0, checkpoint_main, C) ){
    snprintf(zErr, nErr, "cannot start the checkpoint thread");
    sqlite3_close(C->db);
    free(C);
    return -1;
  }
  *ppC = C;
  return 0;
}

void checkpointer_stop(Checkpointer *C){
  if( C==0 ) return;
  pthread_mutex_lock(&C->mutex);
  C->bStop = 1;
  pthread_cond_signal(&C->cond);
  pthread_mutex_unlock(&C->mutex);
  pthread_join(C->thread, 0);
  sqlite3_close(C->db);
  pthread_mutex_destroy(&C->mutex);
  pthread_cond_destroy(&C->cond);
  free(C);
}
