/*
** store_s3.h — internals shared by store_s3.c (configuration, one signed
** request, get/put/list/delete) and store_s3_multipart.c (large uploads).
*/
#ifndef PL_STORE_S3_H
#define PL_STORE_S3_H
#include "store.h"
#include <curl/curl.h>

#define S3_MIN_PART   (5u<<20)     /* S3's smallest part, except the last */
#define S3_PART_SIZE  (16u<<20)    /* default part size; POLARLITE_S3_PART_SIZE */

typedef struct S3Store {
  Store base;
  char *zBucket;
  char *zPrefix;              /* "" or "dir/sub/" (ends in '/') */
  char *zBase;                /* "scheme://host[:port]" requests go to */
  int bPathStyle;             /* /BUCKET/KEY (else BUCKET.host/KEY) */
  char *zSigV4;               /* "aws:amz:REGION:s3", or NULL: anonymous */
  char *zKeyId, *zSecret;     /* credentials (never printed) */
  char *zToken;               /* AWS_SESSION_TOKEN or NULL */
  size_t szPart;              /* multipart part size, >= S3_MIN_PART */
  int bProgress;              /* show progress on stderr */
  CURL *curl;                 /* reused: keeps the connection open */
} S3Store;

/* One request. The caller fills the first block; s3_request fills the
** rest and the caller frees it with s3_req_clear. */
typedef struct S3Req {
  const char *zMethod;        /* GET PUT POST DELETE */
  const char *zKey;           /* key relative to the prefix, or NULL: the bucket */
  const char *zQuery;         /* canonical query (sorted, encoded, k=v&...), or NULL */
  const void *pBody;          /* request payload (PUT/POST) */
  size_t nBody;
  StoreSink *pSink;           /* where a 2xx body goes (NULL: zResp) */
  const char *zProgress;      /* progress label (a terminal only), or NULL */
  long long nProgressBase;    /* parts of one upload: bytes before this part */
  long long nProgressTotal;   /* ... and of the whole upload (0: this request) */
  /* results */
  long iStatus;               /* HTTP status */
  char *zResp;                /* response body, unless pSink took it */
  size_t nResp;
  char *zETag;                /* ETag response header, or NULL */
} S3Req;

/* Send one signed request, retrying transient failures (connection errors,
** HTTP 500/503) a few times while no byte has reached the sink. Returns
** STORE_OK for a 2xx status, STORE_NOTFOUND for 404, else STORE_ERROR;
** in both error cases *pzErr names the method, the URL and the S3 error
** code and message. */
int s3_request(S3Store*, S3Req*, char **pzErr);
void s3_req_clear(S3Req*);

/* The text of the first <zTag>...</zTag> in z[0..n), entities decoded,
** sqlite3_mprintf'd; NULL if absent. *pzNext (if not NULL) is set past the
** element, for iterating. */
char *s3_xml_text(const char *z, size_t n, const char *zTag, const char **pzNext);
/* AWS URI encoding of z (unreserved characters kept; '/' kept when
** bKeepSlash), sqlite3_mprintf'd. */
char *s3_uri_encode(const char *z, int bKeepSlash);

/* store_s3_multipart.c: upload file zPath as zKey in parts of p->szPart. */
int s3_put_multipart(S3Store*, const char *zKey, const char *zPath,
                     long long nByte, char **pzErr);

#endif
