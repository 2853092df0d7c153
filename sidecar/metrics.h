/*
** metrics.h — `--metrics ADDR`: Prometheus /metrics and /healthz, served by
** libmicrohttpd from its own thread. The apply loop publishes a snapshot of
** its counters with metrics_update(); the HTTP thread only reads copies.
*/
#ifndef PL_SC_METRICS_H
#define PL_SC_METRICS_H
#include <stddef.h>
#include <stdint.h>

typedef struct MetricsSnap {
  int64_t iAppliedOffset;     /* -1: nothing applied yet */
  int64_t iHighWatermark;     /* -1: unknown */
  int64_t nLagMessages;       /* -1: unknown */
  int64_t iLagMs;             /* publish -> apply of the last message; -1 unknown */
  int64_t nMessages, nFacts, nRejected, nTransactions;
  double rFactsPerSec;        /* over the last few seconds */
  int iPolicyVersion;
  int bBrokerUp;
  int64_t iHeartbeatMs;       /* last pass of the apply loop (unix ms) */
  int64_t iSnapshotAtMs;      /* created_at of the newest snapshot this node
                              ** published or restored; -1: none */
  int64_t nSnapshots;         /* snapshots published (or, --fallback, restored) */
  int64_t nSnapshotErrors;    /* failed publish or refresh rounds */
  int bFallback;              /* --fallback: no broker; heartbeat per refresh round */
  int64_t iStallMs;           /* heartbeat older than this: /healthz 503 (0: 15 s) */
} MetricsSnap;

/* Serve on ADDR ("HOST:PORT", "[V6]:PORT", ":PORT" or "PORT"). 0 or -1. */
int metrics_start(const char *zAddr, char *zErr, size_t nErr);
void metrics_stop(void);
/* Parse ADDR only (for -n). */
int metrics_check_addr(const char *zAddr, char *zErr, size_t nErr);
void metrics_update(const MetricsSnap*);

#endif
