/*
** store_file.c — file:///DIR storage (store.h): object KEY is the file
** DIR/KEY. A put writes a temporary file beside the target, fsyncs it,
** renames it over the target and fsyncs the directory, so a reader sees the
** old object or the new one, never a partial file — the same promise S3
** makes. Temporary names contain ',' which no key may contain, so listings
** never show them. The directory is created by the first put.
*/
#include "store.h"
#include <sqlite3.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct FileStore {
  Store base;
  char *zRoot;                /* directory, no trailing '/' */
} FileStore;

static char *file_path(FileStore *p, const char *zKey){
  return sqlite3_mprintf("%s/%s", p->zRoot, zKey);
}

static char *file_url(Store *pStore, const char *zKey){
  FileStore *p = (FileStore*)pStore;
  return sqlite3_mprintf("file://%s/%s", p->zRoot, zKey);
}

/* zRest is what follows "file://": an absolute path. DIR need not exist
** yet: a put creates it (and its parents), a get finds nothing in it. */
static int file_open(const char *zRest, int bProgress, Store **pp, char **pzErr){
  FileStore *p;
  struct stat st;
  size_t n = strlen(zRest);
  (void)bProgress;
  while( n>1 && zRest[n-1]=='/' ) n--;
  if( n==0 ){
    *pzErr = sqlite3_mprintf("file:// URL names no directory (expected file:///DIR)");
    return STORE_ERROR;
  }
  if( zRest[0]!='/' ){
    /* file://tmp/x names the host "tmp": the path needs a third slash */
    *pzErr = sqlite3_mprintf("file://%s: a file URL is file:// followed by an absolute "
                             "path; did you mean file:///%s ?", zRest, zRest);
    return STORE_ERROR;
  }
  p = sqlite3_malloc(sizeof(*p));
  if( p==0 ){ *pzErr = sqlite3_mprintf("out of memory"); return STORE_ERROR; }
  memset(p, 0, sizeof(*p));
  p->base.pMethods = &store_file_methods;
  p->zRoot = sqlite3_mprintf("%.*s", (int)n, zRest);
  if( p->zRoot==0 ){
    sqlite3_free(p);
    *pzErr = sqlite3_mprintf("out of memory");
    return STORE_ERROR;
  }
  if( stat(p->zRoot, &st)==0 ? !S_ISDIR(st.st_mode) : errno!=ENOENT ){
    *pzErr = sqlite3_mprintf("file://%s: %s", p->zRoot,
                             stat(p->zRoot, &st)==0 ? "not a directory" : strerror(errno));
    sqlite3_free(p->zRoot);
    sqlite3_free(p);
    return STORE_ERROR;
  }
  *pp = &p->base;
  return STORE_OK;
}

static void file_close(Store *pStore){
  FileStore *p = (FileStore*)pStore;
  sqlite3_free(p->zRoot);
  sqlite3_free(p);
}

/* Create every directory above zPath (mkdir -p of its dirname). */
static int make_parents(char *zPath){
  char *z;
  for(z=zPath+1; *z; z++){
    if( *z!='/' ) continue;
    *z = 0;
    if( mkdir(zPath, 0777)!=0 && errno!=EEXIST ){ *z = '/'; return -1; }
    *z = '/';
  }
  return 0;
}

static int fsync_parent(const char *zPath){
  const char *zSlash = strrchr(zPath, '/');
  char *zDir = sqlite3_mprintf("%.*s", zSlash ? (int)(zSlash - zPath) : 1, zSlash ? zPath : ".");
  int fd, rc = -1;
  if( zDir==0 ) return -1;
  fd = open(zDir[0] ? zDir : "/", O_RDONLY|O_DIRECTORY);
  if( fd>=0 ){ rc = fsync(fd); close(fd); }
  sqlite3_free(zDir);
  return rc;
}

/* Write an object from either a file (zSrc) or memory (pMem, nMem). */
static int file_put(FileStore *p, const char *zKey, const char *zSrc,
                    const void *pMem, size_t nMem, char **pzErr){
  static const size_t szBuf = 1<<16;
  char *zPath = file_path(p, zKey);
  char *zTmp = zPath ? sqlite3_mprintf("%s,%d.tmp", zPath, (int)getpid()) : 0;
  char *aBuf = 0;
  const char *zWhat = "writing";
  int fdIn = -1, fdOut = -1, rc = STORE_ERROR;
  if( zTmp==0 ){ *pzErr = sqlite3_mprintf("out of memory"); goto done; }
  if( zSrc && (fdIn = open(zSrc, O_RDONLY))<0 ){
    *pzErr = sqlite3_mprintf("reading %s: %s", zSrc, strerror(errno));
    goto done;
  }
  if( make_parents(zTmp) || (fdOut = open(zTmp, O_WRONLY|O_CREAT|O_TRUNC, 0644))<0 ) goto io_error;
  if( zSrc ){
    ssize_t n;
    if( (aBuf = sqlite3_malloc64(szBuf))==0 ){ *pzErr = sqlite3_mprintf("out of memory"); goto done; }
    while( (n = read(fdIn, aBuf, szBuf))!=0 ){
      if( n<0 ){
        if( errno==EINTR ) continue;
        *pzErr = sqlite3_mprintf("reading %s: %s", zSrc, strerror(errno));
        goto done;
      }
      if( write(fdOut, aBuf, (size_t)n)!=n ) goto io_error;
    }
  }else{
    const char *z = pMem;
    while( nMem>0 ){
      ssize_t n = write(fdOut, z, nMem);
      if( n<0 && errno==EINTR ) continue;
      if( n<=0 ) goto io_error;
      z += n;
      nMem -= (size_t)n;
    }
  }
  zWhat = "syncing";
  if( fsync(fdOut)!=0 ) goto io_error;
  if( close(fdOut)!=0 ){ fdOut = -1; goto io_error; }
  fdOut = -1;
  zWhat = "renaming";
  if( rename(zTmp, zPath)!=0 ) goto io_error;
  sqlite3_free(zTmp);
  zTmp = 0;
  zWhat = "syncing the directory of";
  if( fsync_parent(zPath)!=0 ) goto io_error;
  rc = STORE_OK;
  goto done;
io_error:
  *pzErr = sqlite3_mprintf("%s file://%s: %s", zWhat, zPath, strerror(errno));
done:
  if( fdIn>=0 ) close(fdIn);
  if( fdOut>=0 ) close(fdOut);
  if( zTmp ){ unlink(zTmp); sqlite3_free(zTmp); }
  sqlite3_free(aBuf);
  sqlite3_free(zPath);
  return rc;
}

static int file_put_file(Store *pStore, const char *zKey, const char *zPath, char **pzErr){
  return file_put((FileStore*)pStore, zKey, zPath, 0, 0, pzErr);
}

static int file_put_mem(Store *pStore, const char *zKey, const void *pMem, size_t n, char **pzErr){
  return file_put((FileStore*)pStore, zKey, 0, pMem, n, pzErr);
}

static int file_get(Store *pStore, const char *zKey, StoreSink *pSink, char **pzErr){
  static const size_t szBuf = 1<<18;
  FileStore *p = (FileStore*)pStore;
  char *zPath = file_path(p, zKey);
  char *aBuf = sqlite3_malloc64(szBuf);
  int fd = -1, rc = STORE_ERROR;
  ssize_t n;
  if( zPath==0 || aBuf==0 ){ *pzErr = sqlite3_mprintf("out of memory"); goto done; }
  if( (fd = open(zPath, O_RDONLY))<0 ){
    rc = errno==ENOENT ? STORE_NOTFOUND : STORE_ERROR;
    *pzErr = sqlite3_mprintf("%s file://%s: %s", rc==STORE_NOTFOUND ? "no object" : "reading",
                             zPath, strerror(errno));
    goto done;
  }
  while( (n = read(fd, aBuf, szBuf))!=0 ){
    if( n<0 ){
      if( errno==EINTR ) continue;
      *pzErr = sqlite3_mprintf("reading file://%s: %s", zPath, strerror(errno));
      goto done;
    }
    if( pSink->xWrite(pSink->pCtx, aBuf, (size_t)n) ){
      *pzErr = sqlite3_mprintf("reading file://%s: aborted by the receiver", zPath);
      goto done;
    }
  }
  rc = STORE_OK;
done:
  if( fd>=0 ) close(fd);
  sqlite3_free(aBuf);
  sqlite3_free(zPath);
  return rc;
}

/* Add every file under directory zDir (key prefix zRel, "" or ending in
** '/') whose key starts with zPrefix. */
static int list_dir(const char *zDir, const char *zRel, const char *zPrefix,
                    StoreObject **pa, int *pn, char **pzErr){
  DIR *d = opendir(zDir);
  struct dirent *e;
  int rc = STORE_OK;
  size_t nPre = strlen(zPrefix);
  if( d==0 ){
    if( errno==ENOENT || errno==ENOTDIR ) return STORE_OK;
    *pzErr = sqlite3_mprintf("listing file://%s: %s", zDir, strerror(errno));
    return STORE_ERROR;
  }
  while( rc==STORE_OK && (e = readdir(d))!=0 ){
    char *zPath, *zKey;
    struct stat st;
    size_t nCmp;
    if( strcmp(e->d_name, ".")==0 || strcmp(e->d_name, "..")==0 ) continue;
    zKey = sqlite3_mprintf("%s%s", zRel, e->d_name);
    zPath = sqlite3_mprintf("%s/%s", zDir, e->d_name);
    if( zKey==0 || zPath==0 ){
      *pzErr = sqlite3_mprintf("out of memory");
      rc = STORE_ERROR;
    }else if( store_key_ok(zKey) && stat(zPath, &st)==0 ){
      /* descend only where the prefix can still match */
      nCmp = strlen(zKey) < nPre ? strlen(zKey) : nPre;
      if( S_ISDIR(st.st_mode) && strncmp(zKey, zPrefix, nCmp)==0 ){
        char *zSub = sqlite3_mprintf("%s/", zKey);
        if( zSub==0 ){ *pzErr = sqlite3_mprintf("out of memory"); rc = STORE_ERROR; }
        else rc = list_dir(zPath, zSub, zPrefix, pa, pn, pzErr);
        sqlite3_free(zSub);
      }else if( S_ISREG(st.st_mode) && strncmp(zKey, zPrefix, nPre)==0 ){
        if( store_list_append(pa, pn, zKey, (int)strlen(zKey), (long long)st.st_size) ){
          *pzErr = sqlite3_mprintf("out of memory");
          rc = STORE_ERROR;
        }
      }
    }
    sqlite3_free(zKey);
    sqlite3_free(zPath);
  }
  closedir(d);
  return rc;
}

static int file_list(Store *pStore, const char *zPrefix, StoreObject **pa, int *pn, char **pzErr){
  FileStore *p = (FileStore*)pStore;
  return list_dir(p->zRoot, "", zPrefix, pa, pn, pzErr);
}

static int file_delete(Store *pStore, const char *zKey, char **pzErr){
  FileStore *p = (FileStore*)pStore;
  char *zPath = file_path(p, zKey);
  int rc = STORE_OK;
  if( zPath==0 ){ *pzErr = sqlite3_mprintf("out of memory"); return STORE_ERROR; }
  if( unlink(zPath)!=0 ){
    rc = errno==ENOENT ? STORE_NOTFOUND : STORE_ERROR;
    *pzErr = sqlite3_mprintf("deleting file://%s: %s", zPath, strerror(errno));
  }
  sqlite3_free(zPath);
  return rc;
}

const StoreMethods store_file_methods = {
  "file", file_open, file_close, file_url, file_put_file, file_put_mem,
  file_get, file_list, file_delete
};
