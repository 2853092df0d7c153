/*
** fuzz_manifest.c — the snapshot manifest decoder (sidecar/manifest.h).
**
** Properties: no crash, leak or over-read (the input sits in a buffer of
** exactly its size); a refusal has a message; the decoded strings are
** NUL-terminated inside their fields; and an accepted manifest survives
** encode -> decode unchanged (restore reads what snapshot wrote).
*/
#include "manifest.h"
#include "fuzz_common.h"
#include <sqlite3.h>
#include <string.h>

#define FIELD_OK(m, f) (memchr((m)->f, 0, sizeof((m)->f))!=0)

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  Manifest m, m2;
  char *zErr = 0, *zJson = 0, *zIn;
  if( nData>MANIFEST_MAX ) return 0;
  zIn = malloc(nData ? nData : 1);
  memcpy(zIn, aData, nData);
  if( manifest_decode(zIn, (int)nData, &m, &zErr)==0 ){
    if( zErr ) FUZZ_FAIL("accepted with a message: %s", zErr);
    if( !FIELD_OK(&m, zTopic) || !FIELD_OK(&m, zSha256) || !FIELD_OK(&m, zCreatedAt)
     || !FIELD_OK(&m, zObject) || !FIELD_OK(&m, zCompression) || !FIELD_OK(&m, zChecked) ){
      FUZZ_FAIL("unterminated field");
    }
    if( m.nByte<0 ) FUZZ_FAIL("negative size");
    zJson = manifest_encode(&m);
    if( zJson==0 ) FUZZ_FAIL("encode");
    if( manifest_decode(zJson, (int)strlen(zJson), &m2, &zErr) ){
      FUZZ_FAIL("re-encoded manifest refused: %s\n%s", zErr, zJson);
    }
    if( strcmp(m.zTopic, m2.zTopic) || m.iPartition!=m2.iPartition || m.iOffset!=m2.iOffset
     || m.nByte!=m2.nByte || strcmp(m.zSha256, m2.zSha256) || strcmp(m.zCreatedAt, m2.zCreatedAt)
     || m.iCreatedMs!=m2.iCreatedMs || m.iPolicyVersion!=m2.iPolicyVersion || m.nFact!=m2.nFact
     || strcmp(m.zObject, m2.zObject) || strcmp(m.zCompression, m2.zCompression)
     || strcmp(m.zChecked, m2.zChecked) ){
      FUZZ_FAIL("manifest changed in encode -> decode:\n%s", zJson);
    }
  }else if( zErr==0 ){
    FUZZ_FAIL("refused without a message");
  }
  sqlite3_free(zErr);
  sqlite3_free(zJson);
  free(zIn);
  return 0;
}
