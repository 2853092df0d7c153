/*
** fallback.c — `polarlite sidecar --fallback --every DURATION` (fallback.h).
**
** The refresh loop is snapshot_fallback_run() (snapshot_loop.c); this file
** prepares the database and keeps /metrics current after every round:
** the position and policy version the file holds, and the age of the
** snapshot it came from (polar_meta snapshot_created_at, which polar_status
** shows as snapshot_age_ms too).
*/
#include "fallback.h"
#include "engine.h"
#include "log.h"
#include "metrics.h"
#include "snapshot.h"
#include "store.h"
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct FallbackState {
  const FallbackOpts *pOpt;
  MetricsSnap m;
} FallbackState;

/* The position, policy version and snapshot time the file holds. */
static void read_file_state(const char *zDb, MetricsSnap *m){
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  if( sqlite3_open_v2(zDb, &db, SQLITE_OPEN_READONLY, 0)==SQLITE_OK
   && sqlite3_prepare_v2(db, "SELECT "
        "(SELECT value FROM polar_meta WHERE key='log_offset'),"
        "(SELECT value FROM polar_meta WHERE key='policy_version'),"
        "(SELECT value FROM polar_meta WHERE key='snapshot_created_at')", -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    m->iAppliedOffset = sqlite3_column_type(pStmt, 0)==SQLITE_NULL ? -1
                      : sqlite3_column_int64(pStmt, 0);
    m->iPolicyVersion = sqlite3_column_int(pStmt, 1);
    if( sqlite3_column_type(pStmt, 2)!=SQLITE_NULL ){
      m->iSnapshotAtMs = sqlite3_column_int64(pStmt, 2);
    }
  }
  sqlite3_finalize(pStmt);
  sqlite3_close(db);
}

static void on_round(void *pArg, const SnapStats *pStats){
  FallbackState *F = pArg;
  read_file_state(F->pOpt->zDb, &F->m);
  F->m.nSnapshots = atomic_load(&pStats->nDone);
  F->m.nSnapshotErrors = atomic_load(&pStats->nError);
  F->m.iHeartbeatMs = log_now_ms();
  if( F->pOpt->zMetrics ) metrics_update(&F->m);
}

int fallback_run(const FallbackOpts *pOpt, volatile sig_atomic_t *pStop){
  FallbackState F;
  SnapStats stats;
  char zErr[512];
  memset(&F, 0, sizeof(F));
  memset(&stats, 0, sizeof(stats));
  F.pOpt = pOpt;
  F.m.bFallback = 1;
  F.m.iAppliedOffset = F.m.iHighWatermark = F.m.nLagMessages = F.m.iLagMs = -1;
  F.m.iSnapshotAtMs = -1;
  /* a round may take a restore's download on top of the interval */
  F.m.iStallMs = 2*(int64_t)pOpt->nEveryMs + 120000;
  {
    /* a bad URL or a missing credential is an error now, not a log line */
    Store *pStore = 0;
    char *zMsg = 0;
    if( store_open(pOpt->zSnapshots, 0, &pStore, &zMsg) ){
      fprintf(stderr, "polarlite sidecar: --snapshots %s: %s\n", pOpt->zSnapshots,
              zMsg ? zMsg : "cannot be opened");
      sqlite3_free(zMsg);
      return 1;
    }
    store_close(pStore);
  }
  /* readers never wait for a restore: they read the old state until it commits */
  if( engine_wal_file(pOpt->zDb, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite sidecar: %s\n", zErr);
    return 1;
  }
  if( pOpt->zMetrics ){
    if( metrics_start(pOpt->zMetrics, zErr, sizeof(zErr)) ){
      fprintf(stderr, "polarlite sidecar: %s\n", zErr);
      return 1;
    }
    on_round(&F, &stats);
  }
  snapshot_fallback_run(pOpt->zDb, pOpt->zSnapshots, pOpt->zTopic, pOpt->nEveryMs, pStop,
                        &stats, on_round, &F);
  metrics_stop();
  return 0;
}
