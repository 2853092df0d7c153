/*
** store_s3.c — s3://BUCKET/PREFIX storage (store.h) over libcurl.
**
** Signing: libcurl's CURLOPT_AWS_SIGV4 ("aws:amz:REGION:s3") computes the
** SigV4 Authorization header from the request it sends. curl 7.88 takes the
** payload hash of the canonical request from an x-amz-content-sha256 header
** when one is present but never adds that header itself, and S3 requires
** it; so every request carries x-amz-content-sha256 with the SHA-256 of its
** body (payloads are always in memory: objects up to the part size, parts
** of a multipart upload above it). Query strings are built already in
** canonical form (keys sorted, values URI-encoded, every key with '='), so
** the query curl signs is the one S3 canonicalises. tests/snapshot checks
** the signatures against botocore's SigV4 on the requests curl really
** sends.
**
** Addressing: virtual-hosted (https://BUCKET.s3.REGION.amazonaws.com/KEY)
** on AWS, path-style (ENDPOINT/BUCKET/KEY) when AWS_ENDPOINT_URL_S3 names
** another server; POLARLITE_S3_ADDRESSING=path|virtual overrides.
** POLARLITE_S3_PART_SIZE (bytes, at least 5 MiB) sets the multipart part
** size, and so the size above which uploads are multipart.
**
** Secrets: the secret key and session token go to curl only; no message
** built here contains them, and curl's verbose output is never enabled.
*/
#include "store_s3.h"
#include "sha256.h"
#include <sqlite3.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define S3_MAX_ERRBODY  (1<<20)   /* error bodies kept for their <Code> */
#define S3_TRIES        4

/*------------------------------------------------------------ helpers ---*/

/* sqlite3_str_finish, but "" (not NULL) for an empty string; NULL on OOM. */
static char *str_finish(sqlite3_str *s){
  int bEmpty = sqlite3_str_errcode(s)==SQLITE_OK && sqlite3_str_length(s)==0;
  char *z = sqlite3_str_finish(s);
  return z ? z : bEmpty ? sqlite3_mprintf("") : 0;
}

char *s3_uri_encode(const char *z, int bKeepSlash){
  static const char aHex[] = "0123456789ABCDEF";
  sqlite3_str *s = sqlite3_str_new(0);
  for(; *z; z++){
    unsigned char c = (unsigned char)*z;
    if( isalnum(c) || c=='-' || c=='_' || c=='.' || c=='~' || (c=='/' && bKeepSlash) ){
      sqlite3_str_appendchar(s, 1, (char)c);
    }else{
      sqlite3_str_appendchar(s, 1, '%');
      sqlite3_str_appendchar(s, 1, aHex[c>>4]);
      sqlite3_str_appendchar(s, 1, aHex[c&15]);
    }
  }
  return str_finish(s);
}

char *s3_xml_text(const char *z, size_t n, const char *zTag, const char **pzNext){
  static const struct { const char *zEnt; char c; } aEnt[] = {
    {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''},
  };
  char *zOpen = sqlite3_mprintf("<%s>", zTag), *zClose = sqlite3_mprintf("</%s>", zTag);
  const char *zEnd = z + n, *zA = 0, *zB = 0, *p;
  char *zOut = 0;
  if( zOpen && zClose ){
    size_t nOpen = strlen(zOpen), nClose = strlen(zClose);
    for(p=z; p+nOpen<=zEnd; p++){
      if( memcmp(p, zOpen, nOpen)==0 ){ zA = p+nOpen; break; }
    }
    for(p=zA; p && p+nClose<=zEnd; p++){
      if( memcmp(p, zClose, nClose)==0 ){ zB = p; break; }
    }
    if( zA && zB ){
      sqlite3_str *s = sqlite3_str_new(0);
      for(p=zA; p<zB; p++){
        size_t i;
        for(i=0; *p=='&' && i<sizeof(aEnt)/sizeof(aEnt[0]); i++){
          size_t m = strlen(aEnt[i].zEnt);
          if( p+m<=zB && memcmp(p, aEnt[i].zEnt, m)==0 ) break;
        }
        if( *p=='&' && i<sizeof(aEnt)/sizeof(aEnt[0]) ){
          sqlite3_str_appendchar(s, 1, aEnt[i].c);
          p += strlen(aEnt[i].zEnt) - 1;
        }else{
          sqlite3_str_appendchar(s, 1, *p);
        }
      }
      zOut = str_finish(s);
      if( pzNext ) *pzNext = zB + nClose;
    }
  }
  sqlite3_free(zOpen);
  sqlite3_free(zClose);
  return zOut;
}

/* Full object key in the bucket: prefix + key. */
static char *s3_full_key(S3Store *p, const char *zKey){
  return sqlite3_mprintf("%s%s", p->zPrefix, zKey ? zKey : "");
}

static char *s3_url(Store *pStore, const char *zKey){
  S3Store *p = (S3Store*)pStore;
  return sqlite3_mprintf("s3://%s/%s%s", p->zBucket, p->zPrefix, zKey ? zKey : "");
}

/* The HTTP URL of a request. */
static char *s3_http_url(S3Store *p, const char *zKey, const char *zQuery){
  char *zFull = zKey ? s3_full_key(p, zKey) : sqlite3_mprintf("");   /* NULL: the bucket */
  char *zEnc = zFull ? s3_uri_encode(zFull, 1) : 0;
  char *zUrl = 0;
  if( zEnc ){
    const char *zQ = zQuery ? "?" : "";
    if( zQuery==0 ) zQuery = "";
    if( p->bPathStyle ){
      zUrl = sqlite3_mprintf("%s/%s/%s%s%s", p->zBase, p->zBucket, zEnc, zQ, zQuery);
    }else{
      const char *zHost = strstr(p->zBase, "://") + 3;
      zUrl = sqlite3_mprintf("%.*s%s.%s/%s%s%s", (int)(zHost - p->zBase), p->zBase,
                             p->zBucket, zHost, zEnc, zQ, zQuery);
    }
  }
  sqlite3_free(zFull);
  sqlite3_free(zEnc);
  return zUrl;
}

/*------------------------------------------------------------ opening ---*/

static const char *env_nonempty(const char *zName){
  const char *z = getenv(zName);
  return z && z[0] ? z : 0;
}

static void s3_close(Store *pStore){
  S3Store *p = (S3Store*)pStore;
  if( p==0 ) return;
  if( p->curl ) curl_easy_cleanup(p->curl);
  sqlite3_free(p->zBucket);
  sqlite3_free(p->zPrefix);
  sqlite3_free(p->zBase);
  sqlite3_free(p->zSigV4);
  if( p->zSecret ) memset(p->zSecret, 0, strlen(p->zSecret));
  if( p->zToken ) memset(p->zToken, 0, strlen(p->zToken));
  sqlite3_free(p->zKeyId);
  sqlite3_free(p->zSecret);
  sqlite3_free(p->zToken);
  sqlite3_free(p);
}

/* Bucket names that can be a DNS label of a TLS host name. */
static int bucket_dns_ok(const char *z){
  for(; *z; z++){
    if( !(islower((unsigned char)*z) || isdigit((unsigned char)*z) || *z=='-') ) return 0;
  }
  return 1;
}

static int s3_open(const char *zRest, int bProgress, Store **pp, char **pzErr){
  static int bCurlReady = 0;
  S3Store *p;
  const char *zSlash = strchr(zRest, '/');
  const char *zPre = zSlash ? zSlash+1 : "";
  const char *zRegion = env_nonempty("AWS_REGION");
  const char *zEndpoint = env_nonempty("AWS_ENDPOINT_URL_S3");
  const char *zStyle = env_nonempty("POLARLITE_S3_ADDRESSING");
  const char *zPart = env_nonempty("POLARLITE_S3_PART_SIZE");
  const char *zKeyId = env_nonempty("AWS_ACCESS_KEY_ID");
  const char *zSecret = env_nonempty("AWS_SECRET_ACCESS_KEY");
  const char *zToken = env_nonempty("AWS_SESSION_TOKEN");
  int nBucket = zSlash ? (int)(zSlash - zRest) : (int)strlen(zRest);
  size_t nPre = strlen(zPre);

  if( !bCurlReady ){            /* first use: before any thread starts */
    if( curl_global_init(CURL_GLOBAL_DEFAULT)!=CURLE_OK ){
      *pzErr = sqlite3_mprintf("libcurl failed to initialise");
      return STORE_ERROR;
    }
    bCurlReady = 1;
  }
  if( zRegion==0 ) zRegion = env_nonempty("AWS_DEFAULT_REGION");
  if( zRegion==0 ) zRegion = "us-east-1";
  if( zEndpoint==0 ) zEndpoint = env_nonempty("AWS_ENDPOINT_URL");
  while( nPre>0 && zPre[nPre-1]=='/' ) nPre--;
  if( nBucket==0 ){
    *pzErr = sqlite3_mprintf("s3:// URL names no bucket (expected s3://BUCKET/PREFIX)");
    return STORE_ERROR;
  }
  if( (zKeyId==0)!=(zSecret==0) ){
    *pzErr = sqlite3_mprintf("%s is set but %s is not", zKeyId ? "AWS_ACCESS_KEY_ID"
                             : "AWS_SECRET_ACCESS_KEY", zKeyId ? "AWS_SECRET_ACCESS_KEY"
                             : "AWS_ACCESS_KEY_ID");
    return STORE_ERROR;
  }
  if( zStyle && strcmp(zStyle, "path")!=0 && strcmp(zStyle, "virtual")!=0 ){
    *pzErr = sqlite3_mprintf("POLARLITE_S3_ADDRESSING='%s': expected 'path' or 'virtual'", zStyle);
    return STORE_ERROR;
  }
  if( zEndpoint && strncmp(zEndpoint, "http://", 7)!=0 && strncmp(zEndpoint, "https://", 8)!=0 ){
    *pzErr = sqlite3_mprintf("AWS_ENDPOINT_URL_S3='%s': expected http://HOST[:PORT] or "
                             "https://HOST[:PORT]", zEndpoint);
    return STORE_ERROR;
  }
  p = sqlite3_malloc(sizeof(*p));
  if( p==0 ){ *pzErr = sqlite3_mprintf("out of memory"); return STORE_ERROR; }
  memset(p, 0, sizeof(*p));
  p->base.pMethods = &store_s3_methods;
  p->bProgress = bProgress;
  p->szPart = S3_PART_SIZE;
  if( zPart ){
    char *zEnd = 0;
    unsigned long long n = strtoull(zPart, &zEnd, 10);
    if( *zEnd || n<S3_MIN_PART || n>(1ull<<32) ){
      *pzErr = sqlite3_mprintf("POLARLITE_S3_PART_SIZE='%s': expected a byte count from "
                               "%u (5 MiB) to 4 GiB", zPart, S3_MIN_PART);
      s3_close(&p->base);
      return STORE_ERROR;
    }
    p->szPart = (size_t)n;
  }
  p->zBucket = sqlite3_mprintf("%.*s", nBucket, zRest);
  p->zPrefix = nPre ? sqlite3_mprintf("%.*s/", (int)nPre, zPre) : sqlite3_mprintf("");
  if( zEndpoint ){
    size_t n = strlen(zEndpoint);
    while( n>0 && zEndpoint[n-1]=='/' ) n--;
    p->zBase = sqlite3_mprintf("%.*s", (int)n, zEndpoint);
    p->bPathStyle = 1;
  }else{
    p->zBase = sqlite3_mprintf("https://s3.%s.amazonaws.com", zRegion);
    p->bPathStyle = !bucket_dns_ok(p->zBucket ? p->zBucket : "");
  }
  if( zStyle ) p->bPathStyle = strcmp(zStyle, "path")==0;
  if( zKeyId ){
    p->zSigV4 = sqlite3_mprintf("aws:amz:%s:s3", zRegion);
    p->zKeyId = sqlite3_mprintf("%s", zKeyId);
    p->zSecret = sqlite3_mprintf("%s", zSecret);
    if( zToken ) p->zToken = sqlite3_mprintf("x-amz-security-token: %s", zToken);
  }
  p->curl = curl_easy_init();
  if( p->zBucket==0 || p->zPrefix==0 || p->zBase==0 || p->curl==0
   || (zKeyId && (p->zSigV4==0 || p->zKeyId==0 || p->zSecret==0 || (zToken && p->zToken==0))) ){
    s3_close(&p->base);
    *pzErr = sqlite3_mprintf("out of memory");
    return STORE_ERROR;
  }
  {
    char *zTrim = sqlite3_mprintf("%.*s", (int)nPre, zPre);
    int bOk = zTrim && (nPre==0 || store_key_ok(zTrim));
    sqlite3_free(zTrim);
    if( !bOk ){
      *pzErr = sqlite3_mprintf("s3://%s/%s: invalid prefix (allowed: A-Z a-z 0-9 . _ - "
                               "and '/' between segments)", p->zBucket, zPre);
      s3_close(&p->base);
      return STORE_ERROR;
    }
  }
  *pp = &p->base;
  return STORE_OK;
}

/*---------------------------------------------------------- a request ---*/

typedef struct ReqState {
  S3Store *p;
  S3Req *pReq;
  const char *zBody;          /* upload cursor */
  size_t nLeft;
  sqlite3_str *pResp;         /* non-2xx (or sink-less) body */
  long long nSunk;            /* bytes handed to the sink */
  int bSinkAbort;
  double tLast;               /* last progress line */
  int bShown;                 /* a progress line was printed */
} ReqState;

static size_t on_read(char *buf, size_t sz, size_t nItem, void *pCtx){
  ReqState *s = pCtx;
  size_t n = sz*nItem;
  if( n>s->nLeft ) n = s->nLeft;
  memcpy(buf, s->zBody, n);
  s->zBody += n;
  s->nLeft -= n;
  return n;
}

static size_t on_write(char *buf, size_t sz, size_t nItem, void *pCtx){
  ReqState *s = pCtx;
  size_t n = sz*nItem;
  long iStatus = 0;
  curl_easy_getinfo(s->p->curl, CURLINFO_RESPONSE_CODE, &iStatus);
  if( iStatus>=200 && iStatus<300 && s->pReq->pSink ){
    if( s->pReq->pSink->xWrite(s->pReq->pSink->pCtx, buf, n) ){
      s->bSinkAbort = 1;
      return 0;
    }
    s->nSunk += (long long)n;
    return n;
  }
  if( sqlite3_str_length(s->pResp) + n <= S3_MAX_ERRBODY || (iStatus>=200 && iStatus<300) ){
    sqlite3_str_append(s->pResp, buf, (int)n);
  }
  return n;
}

static size_t on_header(char *buf, size_t sz, size_t nItem, void *pCtx){
  ReqState *s = pCtx;
  size_t n = sz*nItem;
  if( n>5 && strncasecmp(buf, "etag:", 5)==0 ){
    size_t i = 5, j = n;
    while( i<j && (buf[i]==' ' || buf[i]=='\t') ) i++;
    while( j>i && (buf[j-1]=='\r' || buf[j-1]=='\n' || buf[j-1]==' ') ) j--;
    sqlite3_free(s->pReq->zETag);
    s->pReq->zETag = sqlite3_mprintf("%.*s", (int)(j-i), buf+i);
  }
  return n;
}

static double now_sec(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec/1e9;
}

static int on_progress(void *pCtx, curl_off_t dlTotal, curl_off_t dlNow,
                       curl_off_t ulTotal, curl_off_t ulNow){
  ReqState *s = pCtx;
  S3Req *r = s->pReq;
  curl_off_t nTotal = dlTotal ? dlTotal : ulTotal, nNow = dlTotal ? dlNow : ulNow;
  double t = now_sec();
  if( r->nProgressTotal ){
    nNow += r->nProgressBase;
    nTotal = r->nProgressTotal;
  }
  /* small objects (manifests, latest) come and go without a line */
  if( nTotal >= (1<<20) && (t - s->tLast >= 0.2 || nNow==nTotal) ){
    s->tLast = t;
    s->bShown = 1;
    fprintf(stderr, "\r%s: %.1f / %.1f MB (%d%%)  ", r->zProgress,
            (double)nNow/1e6, (double)nTotal/1e6, (int)(100.0*(double)nNow/(double)nTotal));
    fflush(stderr);
  }
  return 0;
}

/* One attempt; returns the CURLcode. */
static CURLcode s3_attempt(S3Store *p, S3Req *r, ReqState *s, const char *zUrl,
                           const char *zHash){
  CURL *c = p->curl;
  struct curl_slist *pHdr = 0;
  char *zHashHdr = sqlite3_mprintf("x-amz-content-sha256: %s", zHash);
  CURLcode rc;
  curl_easy_reset(c);
  s->zBody = r->pBody;
  s->nLeft = r->nBody;
  curl_easy_setopt(c, CURLOPT_URL, zUrl);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);     /* stalled 60 s: give up */
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
  if( strcmp(r->zMethod, "PUT")==0 ){
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, s);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->nBody);
    pHdr = curl_slist_append(pHdr, "Content-Type: application/octet-stream");
  }else if( strcmp(r->zMethod, "POST")==0 ){
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->nBody ? r->pBody : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->nBody);
    pHdr = curl_slist_append(pHdr, "Content-Type: application/xml");
  }else if( strcmp(r->zMethod, "GET")!=0 ){
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->zMethod);
  }
  if( zHashHdr ) pHdr = curl_slist_append(pHdr, zHashHdr);
  if( p->zToken ) pHdr = curl_slist_append(pHdr, p->zToken);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, pHdr);
  if( p->zSigV4 ){
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, p->zSigV4);
    curl_easy_setopt(c, CURLOPT_USERNAME, p->zKeyId);
    curl_easy_setopt(c, CURLOPT_PASSWORD, p->zSecret);
  }
  if( p->bProgress && r->zProgress ){
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
  }
  rc = zHashHdr ? curl_easy_perform(c) : CURLE_OUT_OF_MEMORY;
  if( s->bShown && (r->nProgressTotal==0 || r->nProgressBase + (long long)r->nBody
                                             >= r->nProgressTotal || rc!=CURLE_OK) ){
    fprintf(stderr, "\n");
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->iStatus);
  /* drop the credentials from the handle between requests */
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, (struct curl_slist*)0);
  curl_slist_free_all(pHdr);
  sqlite3_free(zHashHdr);
  return rc;
}

int s3_request(S3Store *p, S3Req *r, char **pzErr){
  char zHash[SHA256_HEX_SIZE];
  char *zUrl = s3_http_url(p, r->zKey, r->zQuery);
  ReqState s;
  int iTry, rc = STORE_ERROR;
  CURLcode cc = CURLE_OK;
  if( zUrl==0 || sha256_buf_hex(r->pBody ? r->pBody : "", r->nBody, zHash) ){
    sqlite3_free(zUrl);
    *pzErr = sqlite3_mprintf("out of memory");
    return STORE_ERROR;
  }
  memset(&s, 0, sizeof(s));
  s.p = p;
  s.pReq = r;
  for(iTry=0; iTry<S3_TRIES; iTry++){
    if( iTry>0 ){                          /* 0.25 s, 0.5 s, 1 s */
      struct timespec ts = { 0, 0 };
      long ms = 250L << (iTry-1);
      ts.tv_sec = ms/1000;
      ts.tv_nsec = (ms%1000)*1000000L;
      nanosleep(&ts, 0);
    }
    sqlite3_free(sqlite3_str_finish(s.pResp));
    s.pResp = sqlite3_str_new(0);
    r->iStatus = 0;
    cc = s3_attempt(p, r, &s, zUrl, zHash);
    if( s.bSinkAbort || s.nSunk>0 ) break;             /* cannot replay */
    if( cc==CURLE_OK && r->iStatus!=500 && r->iStatus!=503 ) break;
    if( cc==CURLE_OUT_OF_MEMORY ) break;
  }
  r->nResp = (size_t)sqlite3_str_length(s.pResp);
  r->zResp = sqlite3_str_finish(s.pResp);
  if( cc==CURLE_OK && r->iStatus>=200 && r->iStatus<300 ){
    rc = STORE_OK;
  }else{
    char *zObj = s3_url(&p->base, r->zKey);
    if( s.bSinkAbort ){
      *pzErr = sqlite3_mprintf("S3 %s %s: aborted by the receiver", r->zMethod, zObj);
    }else if( cc!=CURLE_OK ){
      *pzErr = sqlite3_mprintf("S3 %s %s: %s (%s)", r->zMethod, zObj,
                               curl_easy_strerror(cc), p->zBase);
    }else{
      char *zCode = r->zResp ? s3_xml_text(r->zResp, r->nResp, "Code", 0) : 0;
      char *zMsg = r->zResp ? s3_xml_text(r->zResp, r->nResp, "Message", 0) : 0;
      if( r->iStatus==404 ) rc = STORE_NOTFOUND;
      *pzErr = sqlite3_mprintf("S3 %s %s: HTTP %ld%s%s%s%s", r->zMethod, zObj, r->iStatus,
                               zCode ? " " : "", zCode ? zCode : "",
                               zMsg ? ": " : "", zMsg ? zMsg : "");
      sqlite3_free(zCode);
      sqlite3_free(zMsg);
    }
    sqlite3_free(zObj);
  }
  sqlite3_free(zUrl);
  return rc;
}

void s3_req_clear(S3Req *r){
  sqlite3_free(r->zResp);
  sqlite3_free(r->zETag);
  r->zResp = 0;
  r->zETag = 0;
}

/*------------------------------------------------------- the methods ---*/

static int s3_put_mem(Store *pStore, const char *zKey, const void *pData, size_t n, char **pzErr){
  S3Req r;
  int rc;
  memset(&r, 0, sizeof(r));
  r.zMethod = "PUT";
  r.zKey = zKey;
  r.pBody = pData;
  r.nBody = n;
  r.zProgress = n >= (1u<<20) ? zKey : 0;
  rc = s3_request((S3Store*)pStore, &r, pzErr);
  s3_req_clear(&r);
  return rc;
}

static int s3_put_file(Store *pStore, const char *zKey, const char *zPath, char **pzErr){
  S3Store *p = (S3Store*)pStore;
  struct stat st;
  char *aBuf;
  FILE *f;
  int rc;
  if( stat(zPath, &st)!=0 ){
    *pzErr = sqlite3_mprintf("reading %s: %s", zPath, strerror(errno));
    return STORE_ERROR;
  }
  if( (unsigned long long)st.st_size > p->szPart ){
    return s3_put_multipart(p, zKey, zPath, (long long)st.st_size, pzErr);
  }
  aBuf = sqlite3_malloc64((sqlite3_uint64)st.st_size + 1);
  if( aBuf==0 ){ *pzErr = sqlite3_mprintf("out of memory"); return STORE_ERROR; }
  f = fopen(zPath, "rb");
  if( f==0 || fread(aBuf, 1, (size_t)st.st_size, f)!=(size_t)st.st_size ){
    *pzErr = sqlite3_mprintf("reading %s: %s", zPath, f ? "short read" : strerror(errno));
    if( f ) fclose(f);
    sqlite3_free(aBuf);
    return STORE_ERROR;
  }
  fclose(f);
  rc = s3_put_mem(pStore, zKey, aBuf, (size_t)st.st_size, pzErr);
  sqlite3_free(aBuf);
  return rc;
}

static int s3_get(Store *pStore, const char *zKey, StoreSink *pSink, char **pzErr){
  S3Req r;
  int rc;
  memset(&r, 0, sizeof(r));
  r.zMethod = "GET";
  r.zKey = zKey;
  r.pSink = pSink;
  r.zProgress = zKey;
  rc = s3_request((S3Store*)pStore, &r, pzErr);
  s3_req_clear(&r);
  return rc;
}

static int s3_delete(Store *pStore, const char *zKey, char **pzErr){
  S3Req r;
  int rc;
  memset(&r, 0, sizeof(r));
  r.zMethod = "DELETE";
  r.zKey = zKey;
  rc = s3_request((S3Store*)pStore, &r, pzErr);
  s3_req_clear(&r);
  return rc;
}

/* ListObjectsV2, page after page. */
static int s3_list(Store *pStore, const char *zPrefix, StoreObject **pa, int *pn, char **pzErr){
  S3Store *p = (S3Store*)pStore;
  char *zFull = s3_full_key(p, zPrefix);
  char *zEncPre = zFull ? s3_uri_encode(zFull, 0) : 0;
  char *zToken = 0;
  size_t nStrip = strlen(p->zPrefix);
  int rc = STORE_OK;
  if( zEncPre==0 ){ rc = STORE_ERROR; *pzErr = sqlite3_mprintf("out of memory"); }
  while( rc==STORE_OK ){
    S3Req r;
    char *zQuery, *zTrunc;
    const char *z;
    memset(&r, 0, sizeof(r));
    if( zToken ){
      char *zEnc = s3_uri_encode(zToken, 0);
      zQuery = sqlite3_mprintf("continuation-token=%s&list-type=2&prefix=%s", zEnc, zEncPre);
      sqlite3_free(zEnc);
    }else{
      zQuery = sqlite3_mprintf("list-type=2&prefix=%s", zEncPre);
    }
    r.zMethod = "GET";
    r.zQuery = zQuery;
    rc = s3_request(p, &r, pzErr);
    sqlite3_free(zQuery);
    sqlite3_free(zToken);
    zToken = 0;
    for(z=r.zResp; rc==STORE_OK && z; ){
      const char *zNext = 0;
      char *zItem = s3_xml_text(z, r.nResp - (size_t)(z - r.zResp), "Contents", &zNext);
      char *zKey, *zSize;
      if( zItem==0 ) break;
      zKey = s3_xml_text(zItem, strlen(zItem), "Key", 0);
      zSize = s3_xml_text(zItem, strlen(zItem), "Size", 0);
      if( zKey && strlen(zKey)>nStrip && strncmp(zKey, p->zPrefix, nStrip)==0
       && store_key_ok(zKey+nStrip) ){
        if( store_list_append(pa, pn, zKey+nStrip, (int)strlen(zKey+nStrip),
                              zSize ? atoll(zSize) : -1) ){
          rc = STORE_ERROR;
          *pzErr = sqlite3_mprintf("out of memory");
        }
      }
      sqlite3_free(zKey);
      sqlite3_free(zSize);
      sqlite3_free(zItem);
      z = zNext;
    }
    zTrunc = rc==STORE_OK ? s3_xml_text(r.zResp, r.nResp, "IsTruncated", 0) : 0;
    if( zTrunc && strcmp(zTrunc, "true")==0 ){
      zToken = s3_xml_text(r.zResp, r.nResp, "NextContinuationToken", 0);
      if( zToken==0 ){
        rc = STORE_ERROR;
        *pzErr = sqlite3_mprintf("S3 list of s3://%s/%s: truncated listing without "
                                 "NextContinuationToken", p->zBucket, zFull);
      }
    }
    sqlite3_free(zTrunc);
    s3_req_clear(&r);
    if( rc==STORE_OK && zToken==0 ) break;
  }
  if( rc==STORE_NOTFOUND ) rc = STORE_ERROR;       /* no bucket */
  sqlite3_free(zToken);
  sqlite3_free(zEncPre);
  sqlite3_free(zFull);
  return rc;
}

const StoreMethods store_s3_methods = {
  "s3", s3_open, s3_close, s3_url, s3_put_file, s3_put_mem, s3_get, s3_list, s3_delete
};
