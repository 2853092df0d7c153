/*
** snapshot_int.h — internals shared by the snapshot_*.c files.
**
** snapshot_db.c is the SQLite side: copy a database's polar_* tables into
** a snapshot file, verify a downloaded file, install it with the backup
** API. snapshot_publish.c and snapshot_restore.c are the storage side.
*/
#ifndef PL_SNAPSHOT_INT_H
#define PL_SNAPSHOT_INT_H
#include "log.h"
#include "snapshot.h"
#include <sqlite3.h>

#define SNAP_BUSY_MS  30000   /* how long to wait for another connection's lock */

/* What a snapshot file holds, read from it inside the copy transaction. */
typedef struct SnapContent {
  long long iPartition, iOffset;   /* -1 when no log position */
  long long iPolicyVersion;
  long long nFact;
} SnapContent;

/* Copy zDb's polar_* tables and indexes (and their sqlite_sequence rows)
** into the new file zOut, all read in one transaction, and set polar_meta
** 'snapshot_created_at' = iCreatedMs in the copy. */
int snap_copy(const char *zDb, const char *zOut, long long iCreatedMs,
              SnapContent *pContent, char **pzErr);

/* What the snapshot file zFile holds for polar_bind: into zTables the
** application tables it carries for bindings ("issues, docs"; "" none), into
** zUnresolved the bindings whose SELECT does not prepare in it ("sig: why;
** ..."). Returns how many do not. */
int snap_bindings(const char *zFile, char *zTables, size_t nTables, char *zUnresolved,
                  size_t nUnresolved);

/* PRAGMA integrity_check of zFile, which nothing else is writing; on
** failure *pzErr begins with zWhat ("the copy of x.db"). */
int snap_check(const char *zFile, const char *zWhat, char **pzErr);

/* Check the downloaded file zFile: an SQLite database that passes PRAGMA
** integrity_check (bFull) or quick_check, has the polarlite tables, and
** holds the position and policy version its manifest pM states. */
int snap_verify(const char *zFile, const Manifest *pM, int bFull, char **pzErr);

/* Install zFile into zDb (created if missing) with the backup API: one
** write transaction on zDb. Unless bForce, refuse when zDb holds tables
** that are not polarlite's (the restore would drop them). */
int snap_install(const char *zFile, const char *zDb, int bForce, char **pzErr);

/* A temporary file beside a database (snapshot_temp.c). */
typedef struct SnapTemp {
  char *zPath;                /* "<db>-<what>-XXXXXX" (sqlite3_mprintf'd) */
  int fd;                     /* held open with flock(): the file is in use */
} SnapTemp;

/* A new empty temporary file beside zDb ("<zDb>-<zWhat>-XXXXXX"), locked
** for as long as it exists. Sweeps the leftovers of killed processes
** first (snap_temp_sweep). SNAP_OK, or SNAP_ERROR with *pzErr. */
int snap_temp_open(const char *zDb, const char *zWhat, SnapTemp*, char **pzErr);

/* Remove the file (and any -journal/-wal/-shm beside it) and release it. */
void snap_temp_close(SnapTemp*);

/* Remove the temporary files beside zDb that no process holds and that
** are older than a minute: left by a snapshot or restore that was killed.
** Returns how many. */
int snap_temp_sweep(const char *zDb);

/* Remove a database file and any -journal/-wal/-shm beside it. */
void snap_temp_remove(const char *zPath);

/* On a terminal (bShow), say on stderr which step a long command is in. */
void snap_stage(int bShow, const char *zFmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf,2,3)))
#endif
  ;

#endif
