/*
** apply.h — the database side of the sidecar: log messages applied to a
** polarlite database exactly once.
**
** A group of messages is applied in one transaction that also stores the
** new log position in polar_meta, so after a crash at any instant the
** database holds either the whole group and its position or neither:
**
**   apply_begin(A)
**   apply_message(A, &m1) ... apply_message(A, &mN)   each all or nothing
**   apply_commit(A, iHighWatermark)                    position + COMMIT
**
** A message the engine refuses (malformed JSON, unknown predicate or type,
** wrong arity, an id over 384 bytes, a batch that would half-apply, a policy
** that fails validation) changes nothing (a refused batch has written
** nothing; a policy message runs in a SAVEPOINT) and is recorded in
** main.polar_rejected; the group goes on. Anything else (I/O error, disk
** full, corruption) is fatal for the group: apply_rollback() and stop.
**
** polar_meta keys written here (values in unix milliseconds where a time):
**   log_topic, log_partition, log_offset    the last applied message
**   applied_at                              when that group committed
**   last_message_ts                         the producer's timestamp of it
**   lag_ms                                  applied_at - last_message_ts
**   log_high_watermark                      the log end seen at commit
**   applied_messages, applied_facts, rejected_count   running totals
**   log_dev                                 1: fed by `sidecar --dev`
*/
#ifndef PL_SC_APPLY_H
#define PL_SC_APPLY_H
#include <stddef.h>
#include <stdint.h>

typedef struct Applier Applier;

typedef struct ApplyMsg {
  const char *zTopic;
  int iPartition;
  int64_t iOffset;
  const char *pData; size_t nData;   /* NULL for a message without a value */
  int64_t iTimestampMs;              /* producer or broker time; <=0 unknown */
} ApplyMsg;

/* The position stored in the database. */
typedef struct ApplyPos {
  int bHave;                /* 0: no message was ever applied */
  char zTopic[256];         /* empty when none stored */
  int iPartition;
  int64_t iOffset;          /* last applied offset; the next one is +1 */
} ApplyPos;

/* Running totals since the database was created. */
typedef struct ApplyTotals {
  int64_t nMessages, nFacts, nRejected;
  int iPolicyVersion;
  int64_t iSnapshotMs;      /* created_at of the snapshot the file came from; 0 */
} ApplyTotals;

enum {
  APPLY_OK = 0,       /* applied */
  APPLY_SKIPPED,      /* at or below the stored position: already applied */
  APPLY_REJECTED,     /* refused by the engine; rolled back alone */
  APPLY_FATAL,        /* the group cannot go on: apply_rollback() */
  APPLY_MOVED         /* apply_begin: the stored position changed under us */
};

/* Open (creating if needed) the database in WAL mode with the engine
** registered, and create the polarlite tables and polar_rejected. */
int apply_open(const char *zPath, Applier **ppA, char *zErr, size_t nErr);
void apply_close(Applier*);

/* The committed position (read at open, then kept current by commits). */
void apply_position(Applier*, ApplyPos *pPos);
void apply_totals(Applier*, ApplyTotals *pTot);

/* 1 when the database never applied a message and holds no policy and no
** facts (a new file: --snapshots restores one instead of replaying). */
int apply_is_empty(Applier*);

/* --dev: the in-process log starts empty in every run. A database an
** earlier --dev run fed (polar_meta log_dev = 1) keeps its policy and
** facts and forgets that vanished log's position; *pzPolicyMsg is then its
** policy as a log message (sqlite3_mprintf'd; NULL when it has none), to
** start the new log with. One fed from a real log is refused (APPLY_FATAL,
** zErr says why). Marks the database as fed by --dev. */
int apply_dev_start(Applier*, char **pzPolicyMsg, char *zErr, size_t nErr);

/* Read the stored position and totals again (after this process restored
** a snapshot into the file). APPLY_OK or APPLY_FATAL with zErr. */
int apply_reload(Applier*, char *zErr, size_t nErr);

/* Between groups: APPLY_MOVED when the position stored in the file is
** no longer the one this applier last committed (see apply_begin),
** APPLY_OK when it is, APPLY_FATAL with zErr. */
int apply_check_moved(Applier*, char *zErr, size_t nErr);

/* BEGIN IMMEDIATE (waits for another writer up to the busy timeout).
** APPLY_OK: the group is open. APPLY_MOVED: nothing begun, because the
** position stored in the file is not the one this applier last committed
** (another process restored a snapshot into it): apply_position() has the
** new one; read the log from there. APPLY_FATAL: see zErr. */
int apply_begin(Applier*, char *zErr, size_t nErr);

/* Apply one message inside the open group. bRecord: record a refused
** message in polar_rejected and move the position past it (otherwise
** it is only rolled back, for --halt-on-reject). *pnFacts: facts the
** message changed. zReason: why it was refused, or the fatal error. */
int apply_message(Applier*, const ApplyMsg *pMsg, int bRecord, int *pnFacts,
                  char *zReason, size_t nReason);

/* Store the group's position and totals, then COMMIT. iHighWatermark is
** the log end offset last seen (-1: unknown). A group that applied
** nothing commits nothing. Returns 0, or non-zero (rolled back) with zErr. */
int apply_commit(Applier*, int64_t iHighWatermark, char *zErr, size_t nErr);
void apply_rollback(Applier*);

/* Messages in the open group (applied + recorded as rejected). */
int apply_group_size(Applier*);

#endif
