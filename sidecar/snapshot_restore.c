/*
** snapshot_restore.c — find, download, verify and install a snapshot
** (snapshot.h).
**
** Order of work, each step able to refuse with nothing changed:
**   1. the manifest (`latest`, or the newest at or below --offset);
**   2. the position check against the live file (older, other partition,
**      other topic);
**   3. download to a temporary file beside the database, hashing as it
**      arrives; size and sha256 must equal the manifest's;
**   4. PRAGMA integrity_check — or quick_check when the publisher ran the
**      full check on these very bytes (the sha256 proves it) — and the
**      file's own position (snap_verify);
**   5. install with the backup API in one transaction (snap_install).
*/
#include "snapshot_int.h"
#include "sha256.h"
#include "store.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read and decode the manifest stored as zKey. */
static int read_manifest(Store *pStore, const char *zKey, Manifest *pM, char **pzErr){
  char *zJson = 0, *zWhy = 0;
  size_t nJson = 0;
  int rc = store_get_mem(pStore, zKey, MANIFEST_MAX, &zJson, &nJson, pzErr);
  if( rc==STORE_OK && manifest_decode(zJson, (int)nJson, pM, &zWhy) ){
    char *zUrl = store_url(pStore, zKey);
    *pzErr = sqlite3_mprintf("%s: %s", zUrl, zWhy);
    sqlite3_free(zUrl);
    rc = STORE_ERROR;
  }
  sqlite3_free(zWhy);
  sqlite3_free(zJson);
  return rc;
}

/* The offset in a manifest key "snapshots/<created>-o<offset>.json"; -1 for
** "-onone", -2 if the key is not a manifest. */
static long long key_offset(const char *zKey){
  size_t n = strlen(zKey);
  const char *zO = 0, *z;
  if( n<5 || strcmp(zKey+n-5, ".json")!=0 ) return -2;
  for(z=zKey; (z = strstr(z, "-o"))!=0; z++) zO = z+1;      /* the last "-o" */
  if( zO==0 ) return -2;
  if( strcmp(zO, "onone.json")==0 ) return -1;
  if( zO[1]<'0' || zO[1]>'9' ) return -2;
  return strtoll(zO+1, 0, 10);
}

/* The manifest to restore: `latest`, or the newest snapshot whose offset
** is at or below iOffset. */
static int find_manifest(Store *pStore, const char *zUrl, long long iOffset, Manifest *pM,
                         char **pzErr){
  StoreObject *aObj = 0;
  int nObj = 0, i, iBest = -1, rc;
  long long iBestOff = -2;
  if( iOffset==SNAP_LATEST ){
    rc = read_manifest(pStore, "latest", pM, pzErr);
    if( rc==STORE_NOTFOUND ){
      sqlite3_free(*pzErr);
      *pzErr = sqlite3_mprintf("no snapshot under %s (no 'latest' object)", zUrl);
      return SNAP_NONE;
    }
    return rc ? SNAP_ERROR : SNAP_OK;
  }
  rc = store_list(pStore, "snapshots/", &aObj, &nObj, pzErr);
  if( rc ) return SNAP_ERROR;
  for(i=0; i<nObj; i++){                /* sorted by age: later wins ties */
    long long iOff = key_offset(aObj[i].zKey);
    if( iOff>=-1 && iOff<=iOffset && iOff>=iBestOff ){ iBest = i; iBestOff = iOff; }
  }
  if( iBest<0 ){
    *pzErr = sqlite3_mprintf("no snapshot at or below offset %lld under %s", iOffset, zUrl);
    rc = SNAP_NONE;
  }else{
    rc = read_manifest(pStore, aObj[iBest].zKey, pM, pzErr) ? SNAP_ERROR : SNAP_OK;
  }
  store_list_free(aObj, nObj);
  return rc;
}

/* Refuse a snapshot that would move the file back or sideways. */
static int check_position(const char *zDb, const SnapPosition *pPos, const Manifest *pM,
                          const SnapRestoreOpts *pOpt, char **pzErr){
  if( pOpt->zTopic && pOpt->zTopic[0] && pM->zTopic[0] && strcmp(pOpt->zTopic, pM->zTopic)!=0 ){
    *pzErr = sqlite3_mprintf("snapshot %s is of topic '%s', not '%s'", pM->zObject,
                             pM->zTopic, pOpt->zTopic);
    return SNAP_ERROR;
  }
  if( !pPos->bSchema || pOpt->bForce ) return SNAP_OK;
  if( pPos->iPartition>=0 && pM->iPartition>=0 && pPos->iPartition!=pM->iPartition ){
    *pzErr = sqlite3_mprintf("snapshot %s is of log partition %lld, %s holds partition %lld "
                             "(nothing changed; --force installs it anyway)", pM->zObject,
                             pM->iPartition, zDb, pPos->iPartition);
    return SNAP_ERROR;
  }
  if( pM->iOffset < pPos->iOffset ){
    *pzErr = sqlite3_mprintf("snapshot %s holds log offset %lld, older than %s at offset %lld "
                             "(nothing changed; --force installs it anyway)", pM->zObject,
                             pM->iOffset, zDb, pPos->iOffset);
    return SNAP_ERROR;
  }
  return SNAP_OK;
}

/* Newer than what the file holds: a later log position, or, where neither
** has one, a later snapshot. */
static int is_newer(const SnapPosition *pPos, const Manifest *pM){
  if( !pPos->bSchema ) return 1;
  if( pM->iOffset!=pPos->iOffset ) return pM->iOffset > pPos->iOffset;
  return pM->iOffset<0 && pM->iCreatedMs > pPos->iSnapshotMs;
}

/* Download sink: file + running hash + size cap. */
typedef struct FileSink {
  int fd;
  Sha256 hash;
  long long n, nMax;
  int bTooBig, iErrno;
} FileSink;

static int file_sink_write(void *pCtx, const void *p, size_t n){
  FileSink *s = pCtx;
  const char *z = p;
  if( s->n + (long long)n > s->nMax ){ s->bTooBig = 1; return 1; }
  if( sha256_update(&s->hash, p, n) ){ s->iErrno = ENOMEM; return 1; }
  s->n += (long long)n;
  while( n>0 ){
    ssize_t k = write(s->fd, z, n);
    if( k<0 && errno==EINTR ) continue;
    if( k<=0 ){ s->iErrno = errno ? errno : EIO; return 1; }
    z += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Download pM's object to zTmp and check its size and hash. */
static int download(Store *pStore, const Manifest *pM, const char *zTmp, char **pzErr){
  FileSink s;
  StoreSink sink = { file_sink_write, &s };
  char zHex[SHA256_HEX_SIZE];
  char *zUrl = store_url(pStore, pM->zObject);
  int rc;
  memset(&s, 0, sizeof(s));
  s.nMax = pM->nByte;
  s.fd = open(zTmp, O_WRONLY|O_TRUNC);
  if( s.fd<0 || sha256_init(&s.hash) ){
    *pzErr = sqlite3_mprintf("writing %s: %s", zTmp, s.fd<0 ? strerror(errno) : "out of memory");
    if( s.fd>=0 ) close(s.fd);
    sqlite3_free(zUrl);
    return SNAP_ERROR;
  }
  rc = store_get(pStore, pM->zObject, &sink, pzErr);
  if( rc==STORE_NOTFOUND ){
    sqlite3_free(*pzErr);
    *pzErr = sqlite3_mprintf("the manifest names %s, which does not exist", zUrl);
  }else if( s.bTooBig ){
    sqlite3_free(*pzErr);
    *pzErr = sqlite3_mprintf("%s is larger than the %lld bytes its manifest states", zUrl,
                             pM->nByte);
    rc = STORE_ERROR;
  }else if( s.iErrno ){
    sqlite3_free(*pzErr);
    *pzErr = sqlite3_mprintf("writing %s: %s", zTmp, strerror(s.iErrno));
    rc = STORE_ERROR;
  }else if( rc==STORE_OK ){
    int bIoErr = fsync(s.fd)!=0;
    if( close(s.fd)!=0 ) bIoErr = 1;
    s.fd = -1;
    if( bIoErr ){
      *pzErr = sqlite3_mprintf("writing %s: %s", zTmp, strerror(errno));
      rc = STORE_ERROR;
    }else if( s.n!=pM->nByte ){
      *pzErr = sqlite3_mprintf("%s is truncated: %lld bytes, its manifest states %lld", zUrl,
                               s.n, pM->nByte);
      rc = STORE_ERROR;
    }else if( sha256_hex(&s.hash, zHex) || strcmp(zHex, pM->zSha256)!=0 ){
      *pzErr = sqlite3_mprintf("%s fails its checksum: sha256 %s, its manifest states %s",
                               zUrl, zHex, pM->zSha256);
      rc = STORE_ERROR;
    }
  }
  if( s.fd>=0 ) close(s.fd);
  sha256_free(&s.hash);
  sqlite3_free(zUrl);
  return rc ? SNAP_ERROR : SNAP_OK;
}

int snapshot_full_check(const Manifest *pM, const SnapRestoreOpts *pOpt){
  return pOpt->bFullCheck || strcmp(pM->zChecked, "integrity_check")!=0;
}

int snapshot_restore(const char *zDb, const char *zUrl, const SnapRestoreOpts *pOpt,
                     Manifest *pOut, char **pzErr){
  Store *pStore = 0;
  Manifest m;
  SnapPosition pos;
  SnapTemp tmp = { 0, -1 };
  const char *zTmp = 0;
  int rc;

  memset(&m, 0, sizeof(m));
  if( store_open(zUrl, pOpt->bProgress, &pStore, pzErr) ) return SNAP_ERROR;
  rc = find_manifest(pStore, zUrl, pOpt->iOffset, &m, pzErr);
  if( rc ) goto done;
  if( pOut ) *pOut = m;
  rc = snapshot_db_position(zDb, &pos, pzErr);
  if( rc ) goto done;
  if( pOpt->bOnlyNewer && !is_newer(&pos, &m) ){
    rc = SNAP_UNCHANGED;
    goto done;
  }
  rc = check_position(zDb, &pos, &m, pOpt, pzErr);
  if( rc ) goto done;
  rc = snap_temp_open(zDb, "restore", &tmp, pzErr);
  if( rc ) goto done;
  zTmp = tmp.zPath;
  rc = download(pStore, &m, zTmp, pzErr);
  if( rc==SNAP_OK ){
    int bFull = snapshot_full_check(&m, pOpt);
    snap_stage(pOpt->bProgress, "checking the snapshot: PRAGMA %s",
               bFull ? "integrity_check" : "quick_check");
    rc = snap_verify(zTmp, &m, bFull, pzErr);
  }
  if( rc==SNAP_OK ){
    /* what the file holds for polar_bind, checked on the file itself: a
    ** manifest written before polarlite copied bound tables says nothing */
    snap_bindings(zTmp, m.zBoundTables, sizeof(m.zBoundTables), m.zUnresolved,
                  sizeof(m.zUnresolved));
    if( pOut ) *pOut = m;
    snap_stage(pOpt->bProgress, "installing into %s", zDb);
    rc = snap_install(zTmp, zDb, pOpt->bForce, pzErr);
  }
done:
  snap_temp_close(&tmp);
  store_close(pStore);
  return rc;
}
