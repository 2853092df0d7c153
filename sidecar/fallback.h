/*
** fallback.h — `polarlite sidecar --fallback`: a node with no Kafka at all
** whose database is refreshed from the latest snapshot (Oso Cloud's
** fallback nodes: a copy no more than minutes stale that keeps answering
** when the log is unreachable).
*/
#ifndef PL_SC_FALLBACK_H
#define PL_SC_FALLBACK_H
#include <signal.h>

typedef struct FallbackOpts {
  const char *zDb;            /* the database (created, in WAL mode, if missing) */
  const char *zSnapshots;     /* s3://... or file://... */
  const char *zTopic;         /* refuse snapshots of another topic; NULL: any */
  int nEveryMs;               /* look for a newer snapshot this often */
  const char *zMetrics;       /* serve /metrics and /healthz here; NULL: don't */
} FallbackOpts;

/* Restore the latest snapshot whenever it is newer than the file, at
** once and then every nEveryMs, until *pStop. Failed rounds are logged and
** retried. Returns the exit status: 0 when stopped, 1 when it could not
** start (the message is on stderr). */
int fallback_run(const FallbackOpts*, volatile sig_atomic_t *pStop);

#endif
