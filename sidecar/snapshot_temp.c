/*
** snapshot_temp.c — the temporary files of snapshot and restore
** (snapshot_int.h): "<db>-snapshot-XXXXXX" (a copy being taken) and
** "<db>-restore-XXXXXX" (a download being checked), beside the database so
** that a restore's install and a snapshot's copy stay on one file system.
**
** A process killed in the middle (kill -9, power loss) leaves its file
** behind, as large as the database. So each file is flock()ed by its
** owner for as long as it exists, and every snapshot or restore first
** sweeps the files of its database that nobody holds: a lock that can be
** taken means the owner is gone. A file younger than a minute is left
** alone whatever its lock, because its owner may be between mkstemp() and
** flock(). flock locks are apart from the POSIX locks SQLite takes on the
** same file, so the two never interfere.
*/
#include "snapshot_int.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SNAP_TEMP_MIN_AGE 60      /* seconds before a free file counts as left over */

static const char *const azKind[] = { "snapshot", "restore" };

void snap_temp_remove(const char *zPath){
  static const char *const azSuffix[] = { "", "-journal", "-wal", "-shm" };
  size_t i;
  for(i=0; i<sizeof(azSuffix)/sizeof(azSuffix[0]); i++){
    char *z = sqlite3_mprintf("%s%s", zPath, azSuffix[i]);
    if( z ) unlink(z);
    sqlite3_free(z);
  }
}

/* 1 if zName is "<zBase>-<kind>-XXXXXX" (six characters from mkstemp). */
static int is_temp_name(const char *zName, const char *zBase){
  size_t nBase = strlen(zBase), i, k;
  if( strncmp(zName, zBase, nBase)!=0 || zName[nBase]!='-' ) return 0;
  zName += nBase+1;
  for(k=0; k<sizeof(azKind)/sizeof(azKind[0]); k++){
    size_t n = strlen(azKind[k]);
    if( strncmp(zName, azKind[k], n)!=0 || zName[n]!='-' ) continue;
    for(i=0; i<6; i++){
      char c = zName[n+1+i];
      if( !((c>='a' && c<='z') || (c>='A' && c<='Z') || (c>='0' && c<='9')) ) return 0;
    }
    return zName[n+7]==0;
  }
  return 0;
}

int snap_temp_sweep(const char *zDb){
  const char *zSlash = strrchr(zDb, '/');
  char *zDir = zSlash ? sqlite3_mprintf("%.*s", (int)(zSlash - zDb), zDb)
                      : sqlite3_mprintf(".");
  const char *zBase = zSlash ? zSlash+1 : zDb;
  DIR *pDir;
  struct dirent *pEnt;
  int nRemoved = 0;
  if( zDir==0 ) return 0;
  if( zDir[0]==0 ){ sqlite3_free(zDir); zDir = sqlite3_mprintf("/"); }
  pDir = zDir ? opendir(zDir) : 0;
  while( pDir && (pEnt = readdir(pDir))!=0 ){
    char *zPath;
    struct stat st;
    int fd;
    if( !is_temp_name(pEnt->d_name, zBase) ) continue;
    zPath = sqlite3_mprintf("%s/%s", zDir, pEnt->d_name);
    if( zPath==0 ) break;
    fd = open(zPath, O_RDONLY|O_CLOEXEC);
    if( fd>=0 && fstat(fd, &st)==0 && st.st_mtime < time(0) - SNAP_TEMP_MIN_AGE
     && flock(fd, LOCK_EX|LOCK_NB)==0 ){
      snap_temp_remove(zPath);
      nRemoved++;
    }
    if( fd>=0 ) close(fd);
    sqlite3_free(zPath);
  }
  if( pDir ) closedir(pDir);
  sqlite3_free(zDir);
  return nRemoved;
}

int snap_temp_open(const char *zDb, const char *zWhat, SnapTemp *pT, char **pzErr){
  pT->fd = -1;
  snap_temp_sweep(zDb);
  pT->zPath = sqlite3_mprintf("%s-%s-XXXXXX", zDb, zWhat);
  if( pT->zPath==0 ){ *pzErr = sqlite3_mprintf("out of memory"); return SNAP_ERROR; }
  pT->fd = mkostemp(pT->zPath, O_CLOEXEC);
  if( pT->fd<0 || flock(pT->fd, LOCK_EX)!=0 ){
    *pzErr = sqlite3_mprintf("creating a temporary file beside %s: %s", zDb, strerror(errno));
    snap_temp_close(pT);
    return SNAP_ERROR;
  }
  return SNAP_OK;
}

void snap_temp_close(SnapTemp *pT){
  if( pT->zPath && pT->fd>=0 ) snap_temp_remove(pT->zPath);
  if( pT->fd>=0 ) close(pT->fd);          /* the lock goes with the last close */
  sqlite3_free(pT->zPath);
  pT->zPath = 0;
  pT->fd = -1;
}
