/*
** fuzz_serve_json.c — the request decoders of `polarlite serve`
** (sidecar/serve_json.c): the strict JSON reader and every endpoint's
** decoder, on bytes from the network.
**
** Input: byte 0 picks the decoder (its value modulo 8: authorize, list,
** actions, authorize_resources, query, evaluate_query, policy, the older
** write bodies), the rest is the request body, in a buffer of exactly its
** size.
**
** Properties, besides no crash, leak, over-read or undefined behaviour:
**   - a refusal has a message;
**   - what a decoder accepts is what it says: every variable a query-builder
**     call names is one of its constraints, a fact has 1..5 arguments,
**     strings lie inside the body or the decoder's scratch buffer;
**   - a batch body built from an older write body is valid JSON again;
**   - every string the reader decodes, written back by the response writer
**     and read again, is the same bytes.
*/
#include "serve_json.h"
#include "fuzz_common.h"
#include <string.h>

/* z[0..n) lies inside the body or the document's scratch buffer. */
static void in_doc(const SjDoc *d, const char *z, int n, const char *zWhat){
  if( z==0 ) return;
  if( n<0 ) FUZZ_FAIL("%s: negative length", zWhat);
  if( z>=d->z && z+n<=d->z+d->n ) return;
  if( d->aScratch && z>=d->aScratch && z+n<=d->aScratch+d->nScratch ) return;
  FUZZ_FAIL("%s: points outside the request", zWhat);
}

static void check_value(const SjDoc *d, const SjValue *v){
  in_doc(d, v->zType, v->nType, "type");
  in_doc(d, v->zId, v->nId, "id");
}

/* Write each string token with out_json, read it back: same bytes. */
static void round_trip_strings(SjDoc *d){
  int i;
  for(i=0; i<d->nTok; i++){
    const char *z;
    int n;
    Out o;
    SjDoc d2;
    char zErr[200];
    if( d->aTok[i].eType!=SJ_STR || sj_str(d, i, &z, &n) ) continue;
    memset(&o, 0, sizeof(o));
    out_json(&o, z, (size_t)n);
    if( o.bOom ) FUZZ_FAIL("out of memory writing a string");
    if( sj_parse(&d2, o.z, (int)o.n, zErr, sizeof(zErr)) ){
      FUZZ_FAIL("the writer's string does not parse: %s", zErr);
    }else{
      const char *z2;
      int n2;
      if( d2.nTok!=1 || sj_str(&d2, 0, &z2, &n2) || n2!=n || memcmp(z, z2, (size_t)n) ){
        FUZZ_FAIL("a string changed on its way out and back");
      }
    }
    sj_free(&d2);
    out_free(&o);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  SjDoc d;
  char zErr[512];
  int eKind, rc = 0, k;
  if( nData<1 || nData>1000000 ) return 0;
  eKind = aData[0] % 8;
  zErr[0] = 0;
  if( sj_parse(&d, (const char*)aData+1, (int)nData-1, zErr, sizeof(zErr)) ){
    if( zErr[0]==0 ) FUZZ_FAIL("a parse error without a message");
    sj_free(&d);
    return 0;
  }
  if( d.nTok<1 ) FUZZ_FAIL("parsed, but no token");
  round_trip_strings(&d);
  zErr[0] = 0;
  switch( eKind ){
    case 0: case 1: case 2: case 3: {
      static const int aCheck[] = { CHECK_AUTHORIZE, CHECK_LIST, CHECK_ACTIONS, CHECK_RESOURCES };
      CheckReq q;
      rc = sj_check_req(&d, 0, aCheck[eKind], &q, zErr, sizeof(zErr));
      if( rc==0 ){
        check_value(&d, &q.actor);
        check_value(&d, &q.resource);
        if( q.actor.zType==0 || q.actor.zId==0 ) FUZZ_FAIL("accepted without an actor");
        in_doc(&d, q.zAction, q.nAction, "action");
        in_doc(&d, q.zCtx, q.nCtx, "context_facts");
        in_doc(&d, q.zPageToken, q.nPageToken, "page_token");
        if( q.zCtx && (q.nCtx<2 || q.zCtx[0]!='[') ) FUZZ_FAIL("context_facts is not an array");
        if( eKind==3 && (q.iResources<0 || d.aTok[q.iResources].eType!=SJ_ARR) ){
          FUZZ_FAIL("accepted without a resources array");
        }
      }
      break;
    }
    case 4: {
      FactReq f;
      rc = sj_fact_req(&d, 0, &f, zErr, sizeof(zErr));
      if( rc==0 ){
        if( f.nArg<1 || f.nArg>5 ) FUZZ_FAIL("a fact of %d arguments", f.nArg);
        in_doc(&d, f.zPred, f.nPred, "predicate");
        for(k=0; k<f.nArg; k++) check_value(&d, &f.aArg[k]);
      }
      break;
    }
    case 5: {
      QbQuery *q = malloc(sizeof(*q));
      if( q==0 ) FUZZ_FAIL("out of memory");
      rc = sj_query_req(&d, 0, q, zErr, sizeof(zErr));
      if( rc==0 ){
        int j;
        if( q->nCall<1 || q->nCall>QB_MAX_CALLS ) FUZZ_FAIL("%d calls", q->nCall);
        for(j=0; j<q->nCall; j++){
          if( q->aCall[j].nArg<1 || q->aCall[j].nArg>5 ) FUZZ_FAIL("a call of %d arguments", q->aCall[j].nArg);
          for(k=0; k<q->aCall[j].nArg; k++){
            if( q->aCall[j].aVar[k]<0 || q->aCall[j].aVar[k]>=q->nVar ) FUZZ_FAIL("a variable out of range");
          }
        }
        for(j=0; j<q->nVar; j++){
          in_doc(&d, q->aVar[j].zName, q->aVar[j].nName, "variable");
          in_doc(&d, q->aVar[j].zType, q->aVar[j].nType, "variable type");
        }
      }
      free(q);
      break;
    }
    case 6: {
      const char *zSrc, *zFile;
      int nSrc;
      rc = sj_policy_req(&d, 0, &zSrc, &nSrc, &zFile, zErr, sizeof(zErr));
      if( rc==0 ) in_doc(&d, zSrc, nSrc, "src");
      break;
    }
    default: {
      char *zBatch = 0;
      size_t nBatch = 0;
      int eWrite = 1 + (int)(aData[0]/8) % 5;     /* WRITE_FACT_INSERT .. WRITE_BULK */
      rc = sj_batch_of(&d, eWrite, &zBatch, &nBatch, zErr, sizeof(zErr));
      if( rc==0 ){
        SjDoc b;
        char zErr2[512];
        if( sj_parse(&b, zBatch, (int)nBatch, zErr2, sizeof(zErr2)) ){
          FUZZ_FAIL("a batch built from a valid body is not JSON: %s", zErr2);
        }
        if( b.aTok[0].eType!=SJ_ARR ) FUZZ_FAIL("a batch that is not an array");
        sj_free(&b);
      }
      free(zBatch);
      break;
    }
  }
  if( rc && zErr[0]==0 ) FUZZ_FAIL("a refusal without a message");
  sj_free(&d);
  return 0;
}
