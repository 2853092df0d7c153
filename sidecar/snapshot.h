/*
** snapshot.h — snapshots of a polarlite database in object storage
** (store.h: s3:// or file://), for the commands `polarlite snapshot` and
** `polarlite restore` (snapshot.c) and for the sidecar daemon.
**
** Layout under the URL prefix (docs/snapshots.md):
**   snapshots/<created>-o<offset>.db     the SQLite file (polar_* tables)
**   snapshots/<created>-o<offset>.json   its manifest (manifest.h)
**   latest                               a copy of the newest manifest,
**                                        written after the two above
** <created> is UTC YYYYMMDDTHHMMSS.mmmZ, so names sort by age; <offset> is
** the log offset the snapshot contains ("none" without a log position).
**
** Errors: functions return SNAP_OK or one of the codes below and, on
** error, *pzErr (sqlite3_mprintf'd; the caller sqlite3_free()s it) says
** what was wrong. A refused or failed restore changes nothing.
*/
#ifndef PL_SNAPSHOT_H
#define PL_SNAPSHOT_H
#include "manifest.h"
#include <signal.h>
#include <stdatomic.h>

enum {
  SNAP_OK = 0,
  SNAP_ERROR = 1,             /* failed or refused; *pzErr says why */
  SNAP_NONE = 2,              /* no snapshot under the URL (no `latest`) */
  SNAP_UNCHANGED = 3          /* bOnlyNewer and the file is as new: nothing done */
};

#define SNAP_LATEST (-2LL)    /* SnapRestoreOpts.iOffset: the `latest` snapshot */

/* The log position a database file holds. */
typedef struct SnapPosition {
  int bSchema;                /* 1 if the file has polarlite tables */
  long long iPartition;       /* polar_meta log_partition, -1 if none */
  long long iOffset;          /* polar_meta log_offset, -1 if none */
  long long iSnapshotMs;      /* polar_meta snapshot_created_at, 0 if none */
} SnapPosition;

/* Read zDb's position. A missing or empty file has bSchema 0. */
int snapshot_db_position(const char *zDb, SnapPosition*, char **pzErr);

/* Take a consistent copy of zDb's polar_* tables (one read transaction:
** writers carry on in WAL mode), upload it with its manifest, then
** `latest`; then, if nKeep > 0, delete all but the newest nKeep snapshots
** (never the one `latest` names). zTopic (may be NULL) is recorded in the
** manifest. The snapshot file gets polar_meta 'snapshot_created_at' (unix
** ms), so a database restored from it knows its snapshot's age. bProgress:
** show upload progress on stderr. *pOut (may be NULL) receives the
** manifest. */
int snapshot_publish(const char *zDb, const char *zUrl, const char *zTopic, int nKeep,
                     int bProgress, Manifest *pOut, char **pzErr);

/* Delete all but the newest nKeep (>= 1) snapshots under zUrl; the one
** `latest` names is always kept. *pnDeleted (may be NULL): snapshots removed. */
int snapshot_prune(const char *zUrl, int nKeep, int *pnDeleted, char **pzErr);

typedef struct SnapRestoreOpts {
  long long iOffset;          /* SNAP_LATEST, or the newest snapshot at or below this offset */
  const char *zTopic;         /* refuse a snapshot of another topic (NULL: any) */
  int bForce;                 /* install even when older than the file, another
                              ** partition, or the file holds non-polarlite tables */
  int bOnlyNewer;             /* SNAP_UNCHANGED unless newer than the file */
  int bProgress;              /* show download progress on stderr */
  int bFullCheck;             /* PRAGMA integrity_check even when the publisher ran it */
} SnapRestoreOpts;

/* Download, verify (size, sha256, PRAGMA integrity_check, position against
** the manifest) and install a snapshot into zDb with the SQLite backup
** API in one write transaction: other connections see the old state or
** the new one, never a mix. The file's log position becomes the
** snapshot's. zDb is created if missing. *pOut (may be NULL) receives the
** manifest of the snapshot found (also on SNAP_UNCHANGED).
**
** The integrity check: snapshot_publish runs PRAGMA integrity_check on the
** file before uploading it and says so in the manifest ("checked"); the
** sha256 then proves the downloaded bytes are those bytes, so the restore
** runs PRAGMA quick_check (page structure, 0.2 s at 1M facts) instead of
** the full check again (index against table, ~4 s at 1M facts). A manifest
** without "checked", or bFullCheck, gets the full check. */
int snapshot_restore(const char *zDb, const char *zUrl, const SnapRestoreOpts*,
                     Manifest *pOut, char **pzErr);

/* 1 if restoring pM under pOpt runs the full PRAGMA integrity_check. */
int snapshot_full_check(const Manifest *pM, const SnapRestoreOpts *pOpt);

/* Log what a snapshot published or restored holds for polar_bind (its
** bound tables, its bindings that do not resolve), if anything. */
void snapshot_log_bindings(const Manifest*);

/* What the loops below report, for /metrics and logs; any thread may read. */
typedef struct SnapStats {
  _Atomic long long iSnapshotMs;  /* created_at of the newest snapshot published
                                  ** (publisher) or installed (fallback); 0 none */
  _Atomic long long iCheckMs;     /* last time the store answered (unix ms) */
  _Atomic long long nDone;        /* snapshots published / restores installed */
  _Atomic long long nError;       /* failed rounds */
} SnapStats;

/* Fallback node: every everyMs, restore the latest snapshot under zUrl
** into zDb when it is newer than what the file holds (the first round runs
** at once). Returns 0 when *pStop becomes non-zero (checked at least every
** 100 ms; a restore in progress finishes first); errors are logged (once
** while the same error repeats) and retried next round. pStats may be
** NULL. xRound (may be NULL) is called with pArg after every round, e.g.
** to hand the stats to /metrics. */
int snapshot_fallback_run(const char *zDb, const char *zUrl, const char *zTopic,
                          int everyMs, volatile sig_atomic_t *pStop, SnapStats *pStats,
                          void (*xRound)(void *pArg, const SnapStats*), void *pArg);

/* Publisher: a thread that calls snapshot_publish(zDb, zUrl, zTopic, nKeep)
** every everyMs (first after everyMs), logging each outcome. Stop waits for
** a snapshot in progress and frees the publisher. */
typedef struct SnapPublisher SnapPublisher;
int snapshot_publisher_start(const char *zDb, const char *zUrl, const char *zTopic,
                             int everyMs, int nKeep, SnapPublisher **pp, char **pzErr);
SnapStats *snapshot_publisher_stats(SnapPublisher*);
void snapshot_publisher_stop(SnapPublisher*);

#endif
