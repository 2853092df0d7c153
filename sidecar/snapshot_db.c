/*
** snapshot_db.c — the SQLite side of snapshots (snapshot_int.h).
**
** Copy: the snapshot file is opened as "main" and the live database
** attached read-only as "src". One transaction reads src's schema and
** every polar_* table, so the copy is one consistent state even while the
** sidecar keeps committing (WAL mode: the reader holds a snapshot of the
** database and blocks nobody). Tables and their indexes are created first
** and filled with INSERT INTO main.t SELECT * FROM src.t, which SQLite
** turns into a b-tree page transfer when the two schemas match (the same
** path VACUUM takes), so the copy costs about one sequential read and
** write of the data. Only polar_* tables are copied, and the application
** tables that polar_bind bindings read (copy_bound_tables): a binding's
** SELECT runs inside every check that reads its predicate, so a restored
** file without those tables could answer no such check. The application's
** other tables in the same file are not polarlite's to publish. The copied
** application tables are listed in the copy's polar_meta
** 'snapshot_bound_tables' (a JSON array), which snap_install reads to tell
** them from tables of the application's own.
**
** Install: sqlite3_backup_step(-1) copies every page of the verified file
** into the live database inside one write transaction of the live
** database. Other connections see the old state or the new one: in WAL
** mode readers keep reading the old snapshot until the commit; in rollback
** mode they wait on the lock (their busy timeout) and then read the new.
*/
#include "snapshot_int.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void snap_stage(int bShow, const char *zFmt, ...){
  va_list ap;
  if( !bShow ) return;
  va_start(ap, zFmt);
  vfprintf(stderr, zFmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* Run zSql; on error set *pzErr to "zWhat: sqlite message". */
static int exec_or_err(sqlite3 *db, const char *zSql, const char *zWhat, char **pzErr){
  char *zMsg = 0;
  int rc = sqlite3_exec(db, zSql, 0, 0, &zMsg);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("%s: %s", zWhat, zMsg ? zMsg : sqlite3_errstr(rc));
  }
  sqlite3_free(zMsg);
  return rc;
}

/* Integer value of polar_meta key zKey in schema zSchema (iDefault if absent). */
static long long meta_int(sqlite3 *db, const char *zSchema, const char *zKey, long long iDefault){
  char *zSql = sqlite3_mprintf("SELECT value FROM \"%w\".polar_meta WHERE key=?1", zSchema);
  sqlite3_stmt *pStmt = 0;
  long long v = iDefault;
  if( zSql && sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0)==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, zKey, -1, SQLITE_STATIC);
    if( sqlite3_step(pStmt)==SQLITE_ROW && sqlite3_column_type(pStmt, 0)!=SQLITE_NULL ){
      v = sqlite3_column_int64(pStmt, 0);
    }
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(zSql);
  return v;
}

/* 1 if schema zSchema has a table named zTab. */
static int has_table(sqlite3 *db, const char *zSchema, const char *zTab){
  char *zSql = sqlite3_mprintf("SELECT 1 FROM \"%w\".sqlite_schema WHERE type='table' AND name=?1",
                               zSchema);
  sqlite3_stmt *pStmt = 0;
  int bHas = 0;
  if( zSql && sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0)==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, zTab, -1, SQLITE_STATIC);
    bHas = sqlite3_step(pStmt)==SQLITE_ROW;
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(zSql);
  return bHas;
}

/* Total rows of the fact tables (polar_f_*) of schema zSchema. */
static long long fact_count(sqlite3 *db, const char *zSchema){
  char *zSql = sqlite3_mprintf("SELECT name FROM \"%w\".sqlite_schema WHERE type='table' "
                               "AND name LIKE 'polar\\_f\\_%%' ESCAPE '\\'", zSchema);
  sqlite3_stmt *pList = 0;
  long long n = 0;
  if( zSql && sqlite3_prepare_v2(db, zSql, -1, &pList, 0)==SQLITE_OK ){
    while( sqlite3_step(pList)==SQLITE_ROW ){
      sqlite3_stmt *pCount = 0;
      char *zCount = sqlite3_mprintf("SELECT count(*) FROM \"%w\".\"%w\"", zSchema,
                                     (const char*)sqlite3_column_text(pList, 0));
      if( zCount && sqlite3_prepare_v2(db, zCount, -1, &pCount, 0)==SQLITE_OK
       && sqlite3_step(pCount)==SQLITE_ROW ){
        n += sqlite3_column_int64(pCount, 0);
      }
      sqlite3_finalize(pCount);
      sqlite3_free(zCount);
    }
  }
  sqlite3_finalize(pList);
  sqlite3_free(zSql);
  return n;
}

int snapshot_db_position(const char *zDb, SnapPosition *pPos, char **pzErr){
  sqlite3 *db = 0;
  struct stat st;
  int rc;
  pPos->bSchema = 0;
  pPos->iPartition = pPos->iOffset = -1;
  pPos->iSnapshotMs = 0;
  if( stat(zDb, &st)!=0 || st.st_size==0 ) return SNAP_OK;    /* nothing there yet */
  rc = sqlite3_open_v2(zDb, &db, SQLITE_OPEN_READONLY, 0);
  if( rc==SQLITE_OK ){
    sqlite3_busy_timeout(db, SNAP_BUSY_MS);
    rc = sqlite3_exec(db, "SELECT 1 FROM main.sqlite_schema LIMIT 1", 0, 0, 0);
  }
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("reading %s: %s", zDb, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return SNAP_ERROR;
  }
  /* one read transaction: the position and its companions agree */
  sqlite3_exec(db, "BEGIN", 0, 0, 0);
  if( has_table(db, "main", "polar_meta") ){
    pPos->bSchema = 1;
    pPos->iPartition = meta_int(db, "main", "log_partition", -1);
    pPos->iOffset = meta_int(db, "main", "log_offset", -1);
    pPos->iSnapshotMs = meta_int(db, "main", "snapshot_created_at", 0);
  }
  sqlite3_exec(db, "COMMIT", 0, 0, 0);
  sqlite3_close(db);
  return SNAP_OK;
}

/* "file:PATH?mode=ro" with the URI-special characters of PATH escaped. */
static char *readonly_uri(const char *zPath){
  sqlite3_str *s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "file:");
  for(; *zPath; zPath++){
    if( *zPath=='%' || *zPath=='?' || *zPath=='#' ){
      sqlite3_str_appendf(s, "%%%02X", (unsigned char)*zPath);
    }else{
      sqlite3_str_appendchar(s, 1, *zPath);
    }
  }
  sqlite3_str_appendall(s, "?mode=ro");
  return sqlite3_str_finish(s);
}

/* Create, in main, every polar_* table and index of src, then fill the
** tables. Runs inside the caller's transaction. */
static int copy_tables(sqlite3 *db, const char *zDb, char **pzErr){
  sqlite3_stmt *pSchema = 0;
  sqlite3_str *pFill = sqlite3_str_new(db);
  char *zFill = 0;
  int rc;
  /* tables before indexes; the eponymous virtual tables have no row */
  rc = sqlite3_prepare_v2(db,
      "SELECT type, name, sql FROM src.sqlite_schema"
      " WHERE type IN ('table','index') AND sql IS NOT NULL"
      "   AND tbl_name LIKE 'polar\\_%' ESCAPE '\\'"
      "   AND sql NOT LIKE 'CREATE VIRTUAL%'"
      " ORDER BY type='index', rowid", -1, &pSchema, 0);
  while( rc==SQLITE_OK && sqlite3_step(pSchema)==SQLITE_ROW ){
    const char *zType = (const char*)sqlite3_column_text(pSchema, 0);
    const char *zName = (const char*)sqlite3_column_text(pSchema, 1);
    char *zMsg = 0;
    rc = sqlite3_exec(db, (const char*)sqlite3_column_text(pSchema, 2), 0, 0, &zMsg);
    if( rc!=SQLITE_OK ){
      *pzErr = sqlite3_mprintf("copying the schema of %s (%s %s): %s", zDb, zType, zName,
                               zMsg ? zMsg : sqlite3_errstr(rc));
    }else if( strcmp(zType, "table")==0 ){
      sqlite3_str_appendf(pFill, "INSERT INTO main.\"%w\" SELECT * FROM src.\"%w\";\n",
                          zName, zName);
    }
    sqlite3_free(zMsg);
  }
  if( rc==SQLITE_OK ) rc = sqlite3_finalize(pSchema);
  else sqlite3_finalize(pSchema);
  if( rc!=SQLITE_OK && *pzErr==0 ){
    *pzErr = sqlite3_mprintf("reading the schema of %s: %s", zDb, sqlite3_errmsg(db));
  }
  zFill = sqlite3_str_finish(pFill);
  if( rc==SQLITE_OK && zFill ){
    rc = exec_or_err(db, zFill, "copying the polar_* tables", pzErr);
  }
  /* AUTOINCREMENT counters of the copied tables */
  if( rc==SQLITE_OK && has_table(db, "src", "sqlite_sequence") && has_table(db, "main", "sqlite_sequence") ){
    rc = exec_or_err(db, "INSERT INTO main.sqlite_sequence(name, seq) SELECT name, seq"
                     " FROM src.sqlite_sequence WHERE name LIKE 'polar\\_%' ESCAPE '\\'",
                     "copying sqlite_sequence", pzErr);
  }
  sqlite3_free(zFill);
  return rc;
}

/* The names a statement reads from src, collected by an authorizer. */
typedef struct ReadSet { char **azName; int nName; int bOom; } ReadSet;

static void readset_add(ReadSet *p, const char *zName){
  char **aNew;
  int i;
  if( zName==0 || sqlite3_strnicmp(zName, "polar_", 6)==0
   || sqlite3_strnicmp(zName, "sqlite_", 7)==0 ) return;
  for(i=0; i<p->nName; i++) if( sqlite3_stricmp(p->azName[i], zName)==0 ) return;
  aNew = sqlite3_realloc64(p->azName, sizeof(char*)*(size_t)(p->nName+1));
  if( aNew==0 ){ p->bOom = 1; return; }
  p->azName = aNew;
  if( (aNew[p->nName] = sqlite3_mprintf("%s", zName))==0 ){ p->bOom = 1; return; }
  p->nName++;
}

/* SQLITE_READ of a table in src; the view behind it, if any (SQLite names
** the innermost one). */
static int collect_reads(void *pArg, int op, const char *zTab, const char *zCol,
                         const char *zSchema, const char *zView){
  (void)zCol;
  if( op==SQLITE_READ && zSchema && strcmp(zSchema, "src")==0 ){
    readset_add(pArg, zTab);
    readset_add(pArg, zView);
  }
  return SQLITE_OK;
}

/* Copy into main the application tables (with their indexes and AUTOINCREMENT
** counters) and views that the SELECTs of src.polar_binding read, and list
** them in main.polar_meta 'snapshot_bound_tables'. A SELECT that does not
** prepare is skipped here; snap_bindings reports it. Runs inside the
** caller's transaction. */
static int copy_bound_tables(sqlite3 *db, char **pzErr){
  ReadSet rs;
  sqlite3_stmt *pStmt = 0;
  int rc, i, bView;
  memset(&rs, 0, sizeof(rs));
  if( !has_table(db, "src", "polar_binding") ) return SQLITE_OK;
  rc = sqlite3_prepare_v2(db, "SELECT select_sql FROM src.polar_binding", -1, &pStmt, 0);
  sqlite3_set_authorizer(db, collect_reads, &rs);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    sqlite3_stmt *pSel = 0;
    const char *zSql = (const char*)sqlite3_column_text(pStmt, 0);
    if( zSql ) sqlite3_prepare_v2(db, zSql, -1, &pSel, 0);
    sqlite3_finalize(pSel);
  }
  sqlite3_set_authorizer(db, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_finalize(pStmt); else sqlite3_finalize(pStmt);
  pStmt = 0;
  if( rc==SQLITE_OK && rs.bOom ) rc = SQLITE_NOMEM;
  /* tables (with their data and indexes) first, then views over them */
  for(bView=0; rc==SQLITE_OK && bView<2; bView++){
    for(i=0; rc==SQLITE_OK && i<rs.nName; i++){
      char *zMsg = 0;
      rc = sqlite3_prepare_v2(db, "SELECT sql FROM src.sqlite_schema WHERE name=?1 AND type=?2"
                              " AND sql IS NOT NULL UNION ALL SELECT sql FROM src.sqlite_schema"
                              " WHERE tbl_name=?1 AND type='index' AND sql IS NOT NULL AND ?2="
                              "'table'", -1, &pStmt, 0);
      if( rc ) break;
      sqlite3_bind_text(pStmt, 1, rs.azName[i], -1, SQLITE_STATIC);
      sqlite3_bind_text(pStmt, 2, bView ? "view" : "table", -1, SQLITE_STATIC);
      while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
        rc = sqlite3_exec(db, (const char*)sqlite3_column_text(pStmt, 0), 0, 0, &zMsg);
        if( rc ){
          *pzErr = sqlite3_mprintf("copying %s, which a polar_bind binding reads: %s",
                                   rs.azName[i], zMsg ? zMsg : sqlite3_errstr(rc));
        }
        sqlite3_free(zMsg);
        zMsg = 0;
      }
      sqlite3_finalize(pStmt);
      pStmt = 0;
      if( rc==SQLITE_OK && !bView && has_table(db, "main", rs.azName[i]) ){
        char *zFill = sqlite3_mprintf("INSERT INTO main.\"%w\" SELECT * FROM src.\"%w\"",
                                      rs.azName[i], rs.azName[i]);
        /* the copy set main's counter to the largest rowid; src's may be past it */
        char *zSeq = sqlite3_mprintf("DELETE FROM main.sqlite_sequence WHERE name=%Q;"
                                     "INSERT INTO main.sqlite_sequence(name, seq) SELECT name,"
                                     " seq FROM src.sqlite_sequence WHERE name=%Q",
                                     rs.azName[i], rs.azName[i]);
        rc = zFill && zSeq ? exec_or_err(db, zFill, "copying a table a polar_bind binding "
                                         "reads", pzErr) : SQLITE_NOMEM;
        if( rc==SQLITE_OK && has_table(db, "src", "sqlite_sequence")
         && has_table(db, "main", "sqlite_sequence") ){
          rc = exec_or_err(db, zSeq, "copying sqlite_sequence", pzErr);
        }
        sqlite3_free(zFill);
        sqlite3_free(zSeq);
      }
    }
  }
  if( rc==SQLITE_OK && rs.nName>0 ){
    rc = exec_or_err(db, "INSERT INTO main.polar_meta(key, value) SELECT 'snapshot_bound_tables',"
                     " json_group_array(name) FROM (SELECT name FROM main.sqlite_schema"
                     " WHERE type IN ('table','view') AND name NOT LIKE 'polar\\_%' ESCAPE '\\'"
                     " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name) WHERE true"
                     " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                     "listing the tables polar_bind bindings read", pzErr);
  }
  for(i=0; i<rs.nName; i++) sqlite3_free(rs.azName[i]);
  sqlite3_free(rs.azName);
  return rc;
}

int snap_bindings(const char *zFile, char *zTables, size_t nTables, char *zUnresolved,
                  size_t nUnresolved){
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  sqlite3_str *pOut = sqlite3_str_new(0);
  char *z;
  int nBad = 0;
  zTables[0] = zUnresolved[0] = 0;
  if( sqlite3_open_v2(zFile, &db, SQLITE_OPEN_READONLY, 0)==SQLITE_OK ){
    sqlite3_busy_timeout(db, SNAP_BUSY_MS);
    if( sqlite3_prepare_v2(db, "SELECT group_concat(j.value, ', ') FROM main.polar_meta m,"
                           " json_each(m.value) j WHERE m.key='snapshot_bound_tables'",
                           -1, &pStmt, 0)==SQLITE_OK
     && sqlite3_step(pStmt)==SQLITE_ROW && sqlite3_column_text(pStmt, 0) ){
      snprintf(zTables, nTables, "%s", (const char*)sqlite3_column_text(pStmt, 0));
    }
    sqlite3_finalize(pStmt);
    pStmt = 0;
    if( has_table(db, "main", "polar_binding")
     && sqlite3_prepare_v2(db, "SELECT signature, select_sql FROM main.polar_binding"
                           " ORDER BY signature", -1, &pStmt, 0)==SQLITE_OK ){
      while( sqlite3_step(pStmt)==SQLITE_ROW ){
        sqlite3_stmt *pSel = 0;
        const char *zSql = (const char*)sqlite3_column_text(pStmt, 1);
        if( zSql==0 || sqlite3_prepare_v2(db, zSql, -1, &pSel, 0)!=SQLITE_OK ){
          sqlite3_str_appendf(pOut, "%s%s: %s", nBad ? "; " : "", sqlite3_column_text(pStmt, 0),
                              sqlite3_errmsg(db));
          nBad++;
        }
        sqlite3_finalize(pSel);
      }
    }
    sqlite3_finalize(pStmt);
  }
  sqlite3_close(db);
  z = sqlite3_str_finish(pOut);
  if( z ) snprintf(zUnresolved, nUnresolved, "%s", z);
  sqlite3_free(z);
  return nBad;
}

int snap_copy(const char *zDb, const char *zOut, long long iCreatedMs,
              SnapContent *pContent, char **pzErr){
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  char *zUri = readonly_uri(zDb);
  char *zSql = 0;
  int rc, iPageSize = 4096, bTxn = 0;
  struct stat st;

  memset(pContent, 0, sizeof(*pContent));
  if( stat(zDb, &st)!=0 ){
    *pzErr = sqlite3_mprintf("%s: %s", zDb, strerror(errno));
    sqlite3_free(zUri);
    return SNAP_ERROR;
  }
  rc = sqlite3_open_v2(zOut, &db, SQLITE_OPEN_READWRITE|SQLITE_OPEN_URI, 0);
  if( rc!=SQLITE_OK || zUri==0 ){
    *pzErr = sqlite3_mprintf("opening %s: %s", zOut, db ? sqlite3_errmsg(db) : "out of memory");
    goto done;
  }
  sqlite3_busy_timeout(db, SNAP_BUSY_MS);
  /* the copy is a scratch file until uploaded: no journal, no fsync */
  rc = exec_or_err(db, "PRAGMA main.journal_mode=OFF; PRAGMA main.synchronous=OFF",
                   "preparing the snapshot file", pzErr);
  if( rc ) goto done;
  rc = sqlite3_prepare_v2(db, "ATTACH ?1 AS src", -1, &pStmt, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, zUri, -1, SQLITE_STATIC);
    sqlite3_step(pStmt);
    rc = sqlite3_finalize(pStmt);
  }
  pStmt = 0;
  if( rc==SQLITE_OK ){
    rc = sqlite3_exec(db, "SELECT 1 FROM src.sqlite_schema LIMIT 1", 0, 0, 0);
  }
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("opening %s: %s", zDb, sqlite3_errmsg(db));
    goto done;
  }
  /* the same page size as the live file: a restore into a WAL-mode
  ** database needs it (sqlite3_backup cannot change a WAL file's) */
  if( sqlite3_prepare_v2(db, "PRAGMA src.page_size", -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    iPageSize = sqlite3_column_int(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  pStmt = 0;
  zSql = sqlite3_mprintf("PRAGMA main.page_size=%d", iPageSize);
  rc = exec_or_err(db, zSql, "preparing the snapshot file", pzErr);
  if( rc ) goto done;

  rc = exec_or_err(db, "BEGIN", "starting the snapshot transaction", pzErr);
  if( rc ) goto done;
  bTxn = 1;
  if( !has_table(db, "src", "polar_meta") ){           /* also starts the read */
    *pzErr = sqlite3_mprintf("%s is not a polarlite database (no polar_meta table)", zDb);
    rc = SQLITE_ERROR;
    goto done;
  }
  rc = copy_tables(db, zDb, pzErr);
  if( rc==SQLITE_OK ) rc = copy_bound_tables(db, pzErr);
  if( rc ) goto done;
  sqlite3_free(zSql);
  zSql = sqlite3_mprintf("INSERT INTO main.polar_meta(key, value) VALUES('snapshot_created_at', %lld)"
                         " ON CONFLICT(key) DO UPDATE SET value=excluded.value", iCreatedMs);
  rc = exec_or_err(db, zSql, "stamping the snapshot", pzErr);
  if( rc ) goto done;
  pContent->iPartition = meta_int(db, "main", "log_partition", -1);
  pContent->iOffset = meta_int(db, "main", "log_offset", -1);
  pContent->iPolicyVersion = meta_int(db, "main", "policy_version", 0);
  pContent->nFact = fact_count(db, "main");
  rc = exec_or_err(db, "COMMIT", "writing the snapshot file", pzErr);
  bTxn = 0;

done:
  if( bTxn ) sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
  if( rc!=SQLITE_OK && *pzErr==0 ){
    *pzErr = sqlite3_mprintf("snapshot of %s: %s", zDb, sqlite3_errstr(rc));
  }
  sqlite3_free(zSql);
  sqlite3_free(zUri);
  sqlite3_close(db);
  return rc==SQLITE_OK ? SNAP_OK : SNAP_ERROR;
}

/* Open zFile read-only and unchanging (no locks, no journal), mapped into
** memory: the full check reads every page many times and costs about 40%
** less through mmap than through read() into the page cache. */
static int open_checked_file(const char *zFile, sqlite3 **pDb){
  char *zUri = readonly_uri(zFile);
  char *zImm = zUri ? sqlite3_mprintf("%s&immutable=1", zUri) : 0;
  int rc = zImm ? sqlite3_open_v2(zImm, pDb, SQLITE_OPEN_READONLY|SQLITE_OPEN_URI, 0)
                : SQLITE_NOMEM;
  if( rc==SQLITE_OK ) sqlite3_exec(*pDb, "PRAGMA mmap_size=4294967296", 0, 0, 0);
  sqlite3_free(zImm);
  sqlite3_free(zUri);
  return rc;
}

/* PRAGMA integrity_check (bFull) or quick_check; on failure *pzErr says
** "<zWhat> fails PRAGMA ...: <first problems>". */
static int run_check(sqlite3 *db, int bFull, const char *zWhat, char **pzErr){
  const char *zPragma = bFull ? "integrity_check" : "quick_check";
  char *zSql = sqlite3_mprintf("PRAGMA %s(20)", zPragma);
  sqlite3_stmt *pStmt = 0;
  sqlite3_str *pMsg = sqlite3_str_new(0);
  char *zMsg;
  int nRow = 0, bOk = 0, rc;
  rc = zSql ? sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) : SQLITE_NOMEM;
  if( rc==SQLITE_OK ){
    while( (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
      const char *z = (const char*)sqlite3_column_text(pStmt, 0);
      if( nRow==0 && z && strcmp(z, "ok")==0 ) bOk = 1;
      if( nRow<3 ) sqlite3_str_appendf(pMsg, "%s%s", nRow ? "; " : "", z ? z : "");
      nRow++;
    }
  }
  if( rc!=SQLITE_DONE ){
    bOk = 0;
    sqlite3_str_appendf(pMsg, "%s%s", nRow ? "; " : "", sqlite3_errmsg(db));
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(zSql);
  zMsg = sqlite3_str_finish(pMsg);
  if( !bOk ){
    if( sqlite3_errcode(db)==SQLITE_NOTADB ){
      *pzErr = sqlite3_mprintf("%s is not an SQLite database: %s", zWhat, zMsg ? zMsg : "?");
    }else{
      *pzErr = sqlite3_mprintf("%s fails PRAGMA %s: %s", zWhat, zPragma, zMsg ? zMsg : "?");
    }
  }
  sqlite3_free(zMsg);
  return bOk ? SNAP_OK : SNAP_ERROR;
}

int snap_check(const char *zFile, const char *zWhat, char **pzErr){
  sqlite3 *db = 0;
  int rc = open_checked_file(zFile, &db);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("opening %s: %s", zFile, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    rc = SNAP_ERROR;
  }else{
    rc = run_check(db, 1, zWhat, pzErr);
  }
  sqlite3_close(db);
  return rc;
}

int snap_verify(const char *zFile, const Manifest *pM, int bFull, char **pzErr){
  sqlite3 *db = 0;
  char *zWhat = sqlite3_mprintf("snapshot %s", pM->zObject);
  int rc = SNAP_ERROR;

  if( zWhat==0 ){ *pzErr = sqlite3_mprintf("out of memory"); return SNAP_ERROR; }
  if( open_checked_file(zFile, &db)!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("opening %s: %s", zFile, db ? sqlite3_errmsg(db) : "out of memory");
    goto done;
  }
  if( run_check(db, bFull, zWhat, pzErr) ) goto done;
  if( !has_table(db, "main", "polar_meta") || !has_table(db, "main", "polar_policy") ){
    *pzErr = sqlite3_mprintf("%s is not a polarlite database (no polar_meta or polar_policy "
                             "table)", zWhat);
    goto done;
  }
  {
    long long iOffset = meta_int(db, "main", "log_offset", -1);
    long long iVersion = meta_int(db, "main", "policy_version", 0);
    if( iOffset!=pM->iOffset || iVersion!=pM->iPolicyVersion ){
      *pzErr = sqlite3_mprintf("%s holds log offset %lld and policy version %lld, its manifest "
                               "says %lld and %lld", zWhat, iOffset, iVersion, pM->iOffset,
                               pM->iPolicyVersion);
      goto done;
    }
  }
  rc = SNAP_OK;
done:
  sqlite3_close(db);
  sqlite3_free(zWhat);
  return rc;
}

/* The first table of main that is not polarlite's (nor one a snapshot
** brought in for its bindings), or NULL (sqlite3_mprintf'd). */
static char *foreign_table(sqlite3 *db){
  sqlite3_stmt *pStmt = 0;
  char *zName = 0;
  int bMeta = has_table(db, "main", "polar_meta");
  if( sqlite3_prepare_v2(db, bMeta
        ? "SELECT name FROM main.sqlite_schema WHERE type IN ('table','view')"
          " AND name NOT LIKE 'polar\\_%' ESCAPE '\\'"
          " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT IN (SELECT j.value"
          " FROM main.polar_meta m, json_each(m.value) j WHERE m.key='snapshot_bound_tables'"
          " AND json_valid(m.value)) ORDER BY name LIMIT 1"
        : "SELECT name FROM main.sqlite_schema WHERE type IN ('table','view')"
          " AND name NOT LIKE 'polar\\_%' ESCAPE '\\'"
          " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name LIMIT 1",
                         -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    zName = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
  }
  sqlite3_finalize(pStmt);
  return zName;
}

int snap_install(const char *zFile, const char *zDb, int bForce, char **pzErr){
  sqlite3 *pSrc = 0, *pDst = 0;
  sqlite3_backup *pBackup = 0;
  char *zUri = readonly_uri(zFile);
  char *zForeign = 0;
  int rc, iTry;

  rc = sqlite3_open_v2(zUri ? zUri : "", &pSrc, SQLITE_OPEN_READONLY|SQLITE_OPEN_URI, 0);
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("opening the downloaded snapshot %s: %s", zFile,
                             pSrc ? sqlite3_errmsg(pSrc) : "out of memory");
    goto done;
  }
  rc = sqlite3_open_v2(zDb, &pDst, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, 0);
  if( rc==SQLITE_OK ){
    sqlite3_busy_timeout(pDst, SNAP_BUSY_MS);
    rc = sqlite3_exec(pDst, "SELECT 1 FROM main.sqlite_schema LIMIT 1", 0, 0, 0);
  }
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("opening %s: %s", zDb, pDst ? sqlite3_errmsg(pDst) : "out of memory");
    goto done;
  }
  if( !bForce && (zForeign = foreign_table(pDst))!=0 ){
    *pzErr = sqlite3_mprintf("%s holds table '%s', which is not polarlite's: a restore "
                             "replaces the whole file (restore into a file of its own, or "
                             "use --force)", zDb, zForeign);
    rc = SQLITE_ERROR;
    goto done;
  }
  pBackup = sqlite3_backup_init(pDst, "main", pSrc, "main");
  if( pBackup==0 ){
    rc = sqlite3_errcode(pDst);
    *pzErr = sqlite3_mprintf("installing the snapshot into %s: %s", zDb, sqlite3_errmsg(pDst));
    goto done;
  }
  /* one step copies every page and commits: one transaction. The busy
  ** timeout covers waiting for the lock; a few more tries cover a writer
  ** that keeps it longer. */
  for(iTry=0; iTry<5; iTry++){
    rc = sqlite3_backup_step(pBackup, -1);
    if( rc!=SQLITE_BUSY && rc!=SQLITE_LOCKED ) break;
    sqlite3_sleep(200);
  }
  sqlite3_backup_finish(pBackup);
  if( rc!=SQLITE_DONE ){
    if( rc==SQLITE_READONLY ){
      *pzErr = sqlite3_mprintf("installing the snapshot into %s: the snapshot's page size "
                               "differs from the file's and the file is in WAL mode", zDb);
    }else{
      *pzErr = sqlite3_mprintf("installing the snapshot into %s: %s", zDb, sqlite3_errstr(rc));
    }
    goto done;
  }
  rc = SQLITE_OK;
  /* the restore went through the WAL; fold it back without waiting */
  sqlite3_exec(pDst, "PRAGMA main.wal_checkpoint(PASSIVE)", 0, 0, 0);
done:
  sqlite3_free(zForeign);
  sqlite3_close(pDst);
  sqlite3_close(pSrc);
  sqlite3_free(zUri);
  return rc==SQLITE_OK ? SNAP_OK : SNAP_ERROR;
}
