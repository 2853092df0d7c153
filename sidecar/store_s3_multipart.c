/*
** store_s3_multipart.c — upload a file larger than the part size as an S3
** multipart upload: CreateMultipartUpload (POST ?uploads=), one UploadPart
** (PUT ?partNumber=N&uploadId=ID) per part read into memory and hashed,
** then CompleteMultipartUpload (POST ?uploadId=ID) with the parts' ETags.
** The object appears only when the last request succeeds; on any failure
** the upload is aborted (DELETE ?uploadId=ID) so no parts linger.
*/
#include "store_s3.h"
#include <sqlite3.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* POST or DELETE on the upload; the response (if any) in *pr. */
static int upload_call(S3Store *p, const char *zMethod, const char *zKey, const char *zQuery,
                       const char *zBody, S3Req *pr, char **pzErr){
  memset(pr, 0, sizeof(*pr));
  pr->zMethod = zMethod;
  pr->zKey = zKey;
  pr->zQuery = zQuery;
  pr->pBody = zBody;
  pr->nBody = zBody ? strlen(zBody) : 0;
  return s3_request(p, pr, pzErr);
}

/* Append "<Part>...</Part>" for one uploaded part, its ETag XML-escaped. */
static void append_part(sqlite3_str *pXml, int iPart, const char *zETag){
  const char *z;
  sqlite3_str_appendf(pXml, "<Part><PartNumber>%d</PartNumber><ETag>", iPart);
  for(z=zETag; *z; z++){
    switch( *z ){
      case '"': sqlite3_str_appendall(pXml, "&quot;"); break;
      case '&': sqlite3_str_appendall(pXml, "&amp;"); break;
      case '<': sqlite3_str_appendall(pXml, "&lt;"); break;
      case '>': sqlite3_str_appendall(pXml, "&gt;"); break;
      default: sqlite3_str_appendchar(pXml, 1, *z);
    }
  }
  sqlite3_str_appendall(pXml, "</ETag></Part>");
}

int s3_put_multipart(S3Store *p, const char *zKey, const char *zPath,
                     long long nByte, char **pzErr){
  int nPart = (int)((nByte + (long long)p->szPart - 1) / (long long)p->szPart);
  char *zUploadId = 0, *zEncId = 0, *zQuery = 0, *aBuf = 0, *zXml = 0;
  sqlite3_str *pXml = sqlite3_str_new(0);
  FILE *f = fopen(zPath, "rb");
  S3Req r;
  int rc, iPart;

  memset(&r, 0, sizeof(r));
  if( f==0 ){
    *pzErr = sqlite3_mprintf("reading %s: %s", zPath, strerror(errno));
    sqlite3_free(sqlite3_str_finish(pXml));
    return STORE_ERROR;
  }
  rc = upload_call(p, "POST", zKey, "uploads=", 0, &r, pzErr);
  if( rc==STORE_OK ){
    zUploadId = s3_xml_text(r.zResp, r.nResp, "UploadId", 0);
    if( zUploadId==0 ){
      char *zUrl = store_url(&p->base, zKey);
      *pzErr = sqlite3_mprintf("S3 multipart upload of %s: no UploadId in the response", zUrl);
      sqlite3_free(zUrl);
      rc = STORE_ERROR;
    }
  }
  s3_req_clear(&r);
  if( rc ) goto done;
  zEncId = s3_uri_encode(zUploadId, 0);
  aBuf = sqlite3_malloc64(p->szPart);
  if( zEncId==0 || aBuf==0 ){ *pzErr = sqlite3_mprintf("out of memory"); rc = STORE_ERROR; }
  sqlite3_str_appendall(pXml, "<CompleteMultipartUpload>");

  for(iPart=1; rc==STORE_OK && iPart<=nPart; iPart++){
    size_t nWant = p->szPart, nGot;
    if( iPart==nPart ) nWant = (size_t)(nByte - (long long)p->szPart*(nPart-1));
    nGot = fread(aBuf, 1, nWant, f);
    if( nGot!=nWant ){
      *pzErr = sqlite3_mprintf("reading %s: %s", zPath, ferror(f) ? strerror(errno)
                               : "the file shrank during the upload");
      rc = STORE_ERROR;
      break;
    }
    sqlite3_free(zQuery);
    zQuery = sqlite3_mprintf("partNumber=%d&uploadId=%s", iPart, zEncId);
    memset(&r, 0, sizeof(r));
    r.zMethod = "PUT";
    r.zKey = zKey;
    r.zQuery = zQuery;
    r.pBody = aBuf;
    r.nBody = nGot;
    r.zProgress = zKey;
    r.nProgressBase = (long long)p->szPart*(iPart-1);
    r.nProgressTotal = nByte;
    rc = zQuery ? s3_request(p, &r, pzErr) : STORE_ERROR;
    if( rc==STORE_OK && r.zETag==0 ){
      char *zUrl = store_url(&p->base, zKey);
      *pzErr = sqlite3_mprintf("S3 multipart upload of %s: part %d came back without an ETag",
                               zUrl, iPart);
      sqlite3_free(zUrl);
      rc = STORE_ERROR;
    }
    if( rc==STORE_OK ) append_part(pXml, iPart, r.zETag);
    s3_req_clear(&r);
  }
  if( rc ) goto abort;

  sqlite3_str_appendall(pXml, "</CompleteMultipartUpload>");
  zXml = sqlite3_str_finish(pXml);
  pXml = 0;
  sqlite3_free(zQuery);
  zQuery = sqlite3_mprintf("uploadId=%s", zEncId);
  if( zXml==0 || zQuery==0 ){ *pzErr = sqlite3_mprintf("out of memory"); rc = STORE_ERROR; goto abort; }
  rc = upload_call(p, "POST", zKey, zQuery, zXml, &r, pzErr);
  /* S3 may answer 200 and still report an error in the body */
  if( rc==STORE_OK && r.zResp && strstr(r.zResp, "<Error>") ){
    char *zUrl = store_url(&p->base, zKey);
    char *zCode = s3_xml_text(r.zResp, r.nResp, "Code", 0);
    char *zMsg = s3_xml_text(r.zResp, r.nResp, "Message", 0);
    *pzErr = sqlite3_mprintf("S3 completing the multipart upload of %s: %s: %s", zUrl,
                             zCode ? zCode : "error", zMsg ? zMsg : "(no message)");
    sqlite3_free(zUrl);
    sqlite3_free(zCode);
    sqlite3_free(zMsg);
    rc = STORE_ERROR;
  }
  s3_req_clear(&r);
  if( rc==STORE_OK ) goto done;

abort:
  if( zEncId ){
    char *zErr2 = 0;
    char *zAbort = sqlite3_mprintf("uploadId=%s", zEncId);
    if( zAbort ) upload_call(p, "DELETE", zKey, zAbort, 0, &r, &zErr2);
    s3_req_clear(&r);
    sqlite3_free(zErr2);                  /* the first error is the one to report */
    sqlite3_free(zAbort);
  }
done:
  if( pXml ) sqlite3_free(sqlite3_str_finish(pXml));
  fclose(f);
  sqlite3_free(zXml);
  sqlite3_free(zQuery);
  sqlite3_free(zEncId);
  sqlite3_free(zUploadId);
  sqlite3_free(aBuf);
  return rc;
}
