/*
** snapshot_publish.c — take a snapshot and publish it (snapshot.h):
** copy (snapshot_db.c) → PRAGMA integrity_check → hash → upload the file
** → upload its manifest → upload `latest`. A reader follows `latest`, which is written last, so it
** never finds a manifest whose file is not complete. Then retention:
** delete all but the newest N snapshots, manifest first, so no manifest
** ever names a deleted file.
*/
#include "snapshot_int.h"
#include "sha256.h"
#include "store.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* "snapshots/20250102T030405.678Z-o1234" (no extension). */
static void snapshot_name(char *zOut, size_t nOut, long long iMs, long long iOffset){
  time_t t = (time_t)(iMs/1000);
  struct tm tm;
  char zOff[32];
  gmtime_r(&t, &tm);
  if( iOffset>=0 ) snprintf(zOff, sizeof(zOff), "%lld", iOffset);
  else snprintf(zOff, sizeof(zOff), "none");
  snprintf(zOut, nOut, "snapshots/%04d%02d%02dT%02d%02d%02d.%03dZ-o%s",
           tm.tm_year+1900, tm.tm_mon+1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           (int)(iMs%1000), zOff);
}

/* The topic recorded with the position (polar_meta 'log_topic'), or "". */
static void stored_topic(const char *zFile, char *zOut, size_t nOut){
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  zOut[0] = 0;
  if( sqlite3_open_v2(zFile, &db, SQLITE_OPEN_READONLY, 0)==SQLITE_OK
   && sqlite3_prepare_v2(db, "SELECT value FROM main.polar_meta WHERE key='log_topic'",
                         -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW && sqlite3_column_text(pStmt, 0) ){
    snprintf(zOut, nOut, "%s", (const char*)sqlite3_column_text(pStmt, 0));
  }
  sqlite3_finalize(pStmt);
  sqlite3_close(db);
}

int snapshot_publish(const char *zDb, const char *zUrl, const char *zTopic, int nKeep,
                     int bProgress, Manifest *pOut, char **pzErr){
  Store *pStore = 0;
  Manifest m;
  SnapContent content;
  char zName[128];
  SnapTemp tmp = { 0, -1 };
  const char *zTmp = 0;
  char *zJson = 0;
  long long iMs = log_now_ms();
  int rc;

  memset(&m, 0, sizeof(m));
  if( store_open(zUrl, bProgress, &pStore, pzErr) ) return SNAP_ERROR;
  if( snap_temp_open(zDb, "snapshot", &tmp, pzErr)==SNAP_OK ) zTmp = tmp.zPath;
  snap_stage(bProgress, "copying the polarlite tables of %s", zDb);
  rc = zTmp ? snap_copy(zDb, zTmp, iMs, &content, pzErr) : SNAP_ERROR;
  if( rc==SNAP_OK ){
    snap_stage(bProgress, "checking the copy: PRAGMA integrity_check");
    /* the full check runs here, once, on the bytes that the manifest's
    ** sha256 then pins: a restore that verifies the hash may skip it */
    char *zWhat = sqlite3_mprintf("the copy of %s (not published)", zDb);
    rc = zWhat ? snap_check(zTmp, zWhat, pzErr) : SNAP_ERROR;
    sqlite3_free(zWhat);
  }
  if( rc ) goto done;

  manifest_set_created(&m, iMs);
  m.iPartition = content.iPartition;
  m.iOffset = content.iOffset;
  m.iPolicyVersion = content.iPolicyVersion;
  m.nFact = content.nFact;
  strcpy(m.zCompression, "none");
  strcpy(m.zChecked, "integrity_check");
  snap_bindings(zTmp, m.zBoundTables, sizeof(m.zBoundTables), m.zUnresolved,
                sizeof(m.zUnresolved));
  if( zTopic ) snprintf(m.zTopic, sizeof(m.zTopic), "%s", zTopic);
  else stored_topic(zTmp, m.zTopic, sizeof(m.zTopic));
  if( sha256_file_hex(zTmp, m.zSha256, &m.nByte) ){
    *pzErr = sqlite3_mprintf("reading the snapshot file %s: %s", zTmp, strerror(errno));
    rc = SNAP_ERROR;
    goto done;
  }
  snapshot_name(zName, sizeof(zName), iMs, m.iOffset);
  snprintf(m.zObject, sizeof(m.zObject), "%s.db", zName);
  zJson = manifest_encode(&m);
  if( zJson==0 ){ *pzErr = sqlite3_mprintf("out of memory"); rc = SNAP_ERROR; goto done; }

  rc = store_put_file(pStore, m.zObject, zTmp, pzErr);
  if( rc==STORE_OK ){
    char zKey[160];
    snprintf(zKey, sizeof(zKey), "%s.json", zName);
    rc = store_put_mem(pStore, zKey, zJson, strlen(zJson), pzErr);
  }
  if( rc==STORE_OK ) rc = store_put_mem(pStore, "latest", zJson, strlen(zJson), pzErr);
  if( rc ){ rc = SNAP_ERROR; goto done; }
  if( pOut ) *pOut = m;
  if( nKeep>0 ) rc = snapshot_prune(zUrl, nKeep, 0, pzErr);

done:
  snap_temp_close(&tmp);
  sqlite3_free(zJson);
  store_close(pStore);
  return rc ? SNAP_ERROR : SNAP_OK;
}

/* The object `latest` names, into zOut ("" if there is no latest). */
static int latest_object(Store *pStore, char *zOut, size_t nOut, char **pzErr){
  char *zJson = 0;
  size_t nJson = 0;
  Manifest m;
  int rc = store_get_mem(pStore, "latest", MANIFEST_MAX, &zJson, &nJson, pzErr);
  zOut[0] = 0;
  if( rc==STORE_NOTFOUND ){
    sqlite3_free(*pzErr);
    *pzErr = 0;
    return STORE_OK;
  }
  if( rc==STORE_OK ){
    char *zWhy = 0;
    if( manifest_decode(zJson, (int)nJson, &m, &zWhy) ){
      char *zUrl = store_url(pStore, "latest");
      *pzErr = sqlite3_mprintf("%s: %s", zUrl, zWhy);
      sqlite3_free(zUrl);
      rc = STORE_ERROR;
    }else{
      snprintf(zOut, nOut, "%s", m.zObject);
    }
    sqlite3_free(zWhy);
  }
  sqlite3_free(zJson);
  return rc;
}

int snapshot_prune(const char *zUrl, int nKeep, int *pnDeleted, char **pzErr){
  Store *pStore = 0;
  StoreObject *aObj = 0;
  int nObj = 0, i, nKept = 0, nDeleted = 0, rc;
  char zLatest[256];
  char zPrev[256] = "";

  if( pnDeleted ) *pnDeleted = 0;
  if( nKeep<1 ){
    *pzErr = sqlite3_mprintf("retention must keep at least 1 snapshot (got %d)", nKeep);
    return SNAP_ERROR;
  }
  if( store_open(zUrl, 0, &pStore, pzErr) ) return SNAP_ERROR;
  rc = latest_object(pStore, zLatest, sizeof(zLatest), pzErr);
  if( rc==STORE_OK ) rc = store_list(pStore, "snapshots/", &aObj, &nObj, pzErr);
  /* names sort by creation time: walk newest first; each snapshot is a
  ** NAME.db and a NAME.json, adjacent in the listing */
  for(i=nObj-1; rc==STORE_OK && i>=0; i--){
    const char *zKey = aObj[i].zKey;
    const char *zDot = strrchr(zKey, '.');
    size_t nBase = zDot ? (size_t)(zDot - zKey) : strlen(zKey);
    int bLatest = strncmp(zLatest, zKey, nBase)==0 && strcmp(zLatest + nBase, ".db")==0;
    char zJson[300];
    if( zDot==0 || (strcmp(zDot, ".db")!=0 && strcmp(zDot, ".json")!=0) ) continue;
    if( nBase>=sizeof(zPrev) || (strlen(zPrev)==nBase && strncmp(zPrev, zKey, nBase)==0) ){
      continue;                               /* the other half of one already seen */
    }
    snprintf(zPrev, sizeof(zPrev), "%.*s", (int)nBase, zKey);
    if( nKept<nKeep || bLatest ){
      nKept++;
      continue;
    }
    snprintf(zJson, sizeof(zJson), "%s.json", zPrev);
    rc = store_delete(pStore, zJson, pzErr);
    if( rc==STORE_NOTFOUND ){ sqlite3_free(*pzErr); *pzErr = 0; rc = STORE_OK; }
    if( rc==STORE_OK ){
      char zDb[300];
      snprintf(zDb, sizeof(zDb), "%s.db", zPrev);
      rc = store_delete(pStore, zDb, pzErr);
      if( rc==STORE_NOTFOUND ){ sqlite3_free(*pzErr); *pzErr = 0; rc = STORE_OK; }
    }
    if( rc==STORE_OK ) nDeleted++;
  }
  store_list_free(aObj, nObj);
  store_close(pStore);
  if( pnDeleted ) *pnDeleted = nDeleted;
  return rc ? SNAP_ERROR : SNAP_OK;
}
