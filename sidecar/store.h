/*
** store.h — a small object-storage client: put, get, list and delete
** objects under one URL prefix. Snapshots (snapshot_*.c) use nothing else,
** so the same code runs against S3 and a local directory.
**
**   s3://BUCKET[/PREFIX]   store_s3.c: libcurl + SigV4. Settings from the
**                          standard variables AWS_ACCESS_KEY_ID,
**                          AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
**                          AWS_REGION (default us-east-1) and
**                          AWS_ENDPOINT_URL_S3 (default AWS itself).
**   file:///DIR            store_file.c: one file per object under DIR.
**
** Keys are relative to the prefix ("latest", "snapshots/x.db"); a key is
** made of [A-Za-z0-9._-] and '/' separators, with no empty, "." or ".."
** segment (store_key_ok).
**
** Errors: every function returns STORE_OK, STORE_NOTFOUND (the object does
** not exist: get and delete only) or STORE_ERROR; on STORE_ERROR (and
** STORE_NOTFOUND) *pzErr receives a message allocated with sqlite3_mprintf
** that the caller frees with sqlite3_free. Messages name the operation and
** the object's URL; they never contain a secret.
**
** A Store is used by one thread at a time.
*/
#ifndef PL_STORE_H
#define PL_STORE_H
#include <stddef.h>

enum { STORE_OK = 0, STORE_ERROR = 1, STORE_NOTFOUND = 2 };

typedef struct Store Store;

/* Where a download goes: xWrite is called with consecutive pieces of the
** object and returns 0 to go on, non-zero to abort the transfer. */
typedef struct StoreSink {
  int (*xWrite)(void *pCtx, const void *p, size_t n);
  void *pCtx;
} StoreSink;

/* One object of a listing. */
typedef struct StoreObject {
  char *zKey;                 /* relative to the store's prefix */
  long long nByte;
} StoreObject;

/* Open the store for zUrl (s3:// or file://). *ppStore is NULL on error.
** bProgress: show transfer progress on stderr (callers pass
** isatty(2)). */
int store_open(const char *zUrl, int bProgress, Store **ppStore, char **pzErr);
void store_close(Store*);

/* The URL of key zKey in this store, for messages; sqlite3_mprintf'd. */
char *store_url(Store*, const char *zKey);

/* Store the whole file zPath as zKey (S3: a multipart upload above the
** part size), replacing any object of that name. */
int store_put_file(Store*, const char *zKey, const char *zPath, char **pzErr);
/* Store n bytes at p as zKey. */
int store_put_mem(Store*, const char *zKey, const void *p, size_t n, char **pzErr);
/* Stream object zKey into pSink. */
int store_get(Store*, const char *zKey, StoreSink *pSink, char **pzErr);
/* Read object zKey into memory: *pz (NUL-terminated, sqlite3_free) and *pn.
** Objects over nMax bytes are an error. */
int store_get_mem(Store*, const char *zKey, size_t nMax, char **pz, size_t *pn,
                  char **pzErr);
/* Every object whose key starts with zPrefix, sorted by key. The array and
** its keys are freed with store_list_free. */
int store_list(Store*, const char *zPrefix, StoreObject **paObj, int *pnObj,
               char **pzErr);
void store_list_free(StoreObject*, int nObj);
/* Delete object zKey; STORE_NOTFOUND if there was none (S3 cannot tell and
** says STORE_OK). */
int store_delete(Store*, const char *zKey, char **pzErr);

/* 1 if zKey is a valid key (see above), else 0. */
int store_key_ok(const char *zKey);

/*----------------------------------------------------------------------
** For the implementations (store.c dispatches to these).
*/
typedef struct StoreMethods {
  const char *zScheme;                         /* "s3", "file" */
  int (*xOpen)(const char *zRest, int bProgress, Store **pp, char **pzErr);
  void (*xClose)(Store*);
  char *(*xUrl)(Store*, const char *zKey);
  int (*xPutFile)(Store*, const char *zKey, const char *zPath, char **pzErr);
  int (*xPutMem)(Store*, const char *zKey, const void *p, size_t n, char **pzErr);
  int (*xGet)(Store*, const char *zKey, StoreSink*, char **pzErr);
  int (*xList)(Store*, const char *zPrefix, StoreObject **pa, int *pn, char **pzErr);
  int (*xDelete)(Store*, const char *zKey, char **pzErr);
} StoreMethods;

/* Every Store starts with this header. */
struct Store { const StoreMethods *pMethods; };

extern const StoreMethods store_s3_methods;    /* store_s3.c */
extern const StoreMethods store_file_methods;  /* store_file.c */

/* Append one object to a listing array (amortised growth); 0 or -1 on OOM. */
int store_list_append(StoreObject **pa, int *pn, const char *zKey, int nKey,
                      long long nByte);
/* Sort a listing by key. */
void store_list_sort(StoreObject *a, int n);

#endif
