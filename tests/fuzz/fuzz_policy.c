/*
** fuzz_policy.c — the Polar parser and validator on arbitrary bytes.
**
** pl_policy_new() parses, desugars, resolves and type-checks a policy. On
** any input it must either succeed or fail with a message that names the
** place ("fuzz.polar:line:col: ..."), never crash, hang or leak. The input
** is copied to a buffer of exactly its size, so reading past nSrc is caught.
*/
#include "pl_int.h"
#include "fuzz_common.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  PlPolicy *pPol = 0;
  char *zErr = 0;
  char *zSrc;
  int rc;
  if( nData>65536 ) return 0;
  zSrc = malloc(nData ? nData : 1);
  if( zSrc==0 ) return 0;
  memcpy(zSrc, aData, nData);
  rc = pl_policy_new(zSrc, (int)nData, "fuzz.polar", 0, &pPol, &zErr);
  if( rc==SQLITE_OK ){
    int i, n = pl_policy_nsig(pPol);
    if( zErr ) FUZZ_FAIL("policy accepted with an error message: %s", zErr);
    /* walk what callers read from a policy */
    for(i=0; i<pl_policy_ntype(pPol); i++){
      if( pl_policy_type_name(pPol, i)==0 ) FUZZ_FAIL("type %d has no name", i);
    }
    for(i=0; i<n; i++){
      const PlSig *s = pl_policy_sig(pPol, i);
      if( s->nArg<1 || s->nArg>PL_MAX_ARGS ) FUZZ_FAIL("signature %s/%d", s->zPred, s->nArg);
      if( !pl_policy_pred_known(pPol, s->zPred, s->nArg) ) FUZZ_FAIL("signature %s/%d unknown", s->zPred, s->nArg);
    }
  }else if( rc!=SQLITE_NOMEM ){
    if( zErr==0 ) FUZZ_FAIL("policy refused (rc=%d) without a message", rc);
    if( strncmp(zErr, "fuzz.polar:", 11)!=0 ) FUZZ_FAIL("error without file:line:col: %s", zErr);
  }
  sqlite3_free(zErr);
  pl_policy_free(pPol);
  free(zSrc);
  return 0;
}
