/*
** fuzz_json.c — Oso fact JSON: batch bodies (pl_json_batch, the body of
** polar_batch and of a batch log message) and fact arrays (pl_json_facts,
** authorize's context facts), decoded and then applied with pl_store_batch
** against a fixed policy (fuzz_common.h).
**
** Properties: no crash, leak or over-read (the input sits in a buffer of
** exactly its size); every refusal has a message; decoded facts have 1..5
** arguments; and a batch is all or nothing: when pl_store_batch fails the
** fact tables hold exactly what they held before.
*/
#include "pl_int.h"
#include "fuzz_common.h"
#include <string.h>

static sqlite3 *db;
static PlPolicy *pPol;
static PlStmtCache *pCache;
static sqlite3_stmt *pCount;    /* total facts over every fact table */
static int nBase;               /* facts stored by setup() */

static int count_facts(void){
  int n;
  if( sqlite3_step(pCount)!=SQLITE_ROW ) FUZZ_FAIL("count: %s", sqlite3_errmsg(db));
  n = sqlite3_column_int(pCount, 0);
  sqlite3_reset(pCount);
  return n;
}

static void setup(void){
  char *zErr = 0;
  int i, n;
  sqlite3_str *s;
  static const char zFacts[] =
    "[{\"inserts\":["
    "{\"predicate\":\"has_role\",\"args\":[{\"type\":\"User\",\"id\":\"alice\"},"
    "{\"type\":\"String\",\"id\":\"member\"},{\"type\":\"Organization\",\"id\":\"acme\"}]},"
    "{\"predicate\":\"has_role\",\"args\":[{\"type\":\"User\",\"id\":\"bob\"},"
    "{\"type\":\"String\",\"id\":\"reader\"},{\"type\":\"Repository\",\"id\":\"anvil\"}]},"
    "{\"predicate\":\"has_relation\",\"args\":[{\"type\":\"Repository\",\"id\":\"anvil\"},"
    "{\"type\":\"String\",\"id\":\"parent\"},{\"type\":\"Organization\",\"id\":\"acme\"}]},"
    "{\"predicate\":\"repo_count\",\"args\":[{\"type\":\"Organization\",\"id\":\"acme\"},"
    "{\"type\":\"Integer\",\"id\":\"3\"}]},"
    "{\"predicate\":\"is_public\",\"args\":[{\"type\":\"Repository\",\"id\":\"anvil\"},"
    "{\"type\":\"Boolean\",\"id\":\"true\"}]}]}]";
  if( sqlite3_open(":memory:", &db)!=SQLITE_OK ) FUZZ_FAIL("open");
  if( pl_policy_new(zFuzzPolicy, (int)strlen(zFuzzPolicy), "fuzz.polar", 0, &pPol, &zErr)
   || pl_store_init(db, &zErr) || pl_store_ensure_tables(db, pPol, &zErr) ){
    FUZZ_FAIL("setup: %s", zErr);
  }
  pCache = pl_cache_new(db);
  if( pl_store_batch(db, pCache, pPol, zFacts, (int)strlen(zFacts), &nBase, &zErr) ){
    FUZZ_FAIL("setup facts: %s", zErr);
  }
  s = sqlite3_str_new(db);
  sqlite3_str_appendall(s, "SELECT 0");
  n = pl_policy_nsig(pPol);
  for(i=0; i<n; i++){
    const PlSig *g = pl_policy_sig(pPol, i);
    char *zTab = pl_store_table_name(g->zPred, g->nArg);
    int k;
    for(k=0; k<i; k++){        /* several signatures can share one table */
      const PlSig *h = pl_policy_sig(pPol, k);
      if( h->nArg==g->nArg && strcmp(h->zPred, g->zPred)==0 ) break;
    }
    if( k==i ) sqlite3_str_appendf(s, " + (SELECT count(*) FROM \"%w\")", zTab);
    sqlite3_free(zTab);
  }
  {
    char *zSql = sqlite3_str_finish(s);
    if( sqlite3_prepare_v2(db, zSql, -1, &pCount, 0) ) FUZZ_FAIL("%s", sqlite3_errmsg(db));
    sqlite3_free(zSql);
  }
  if( count_facts()!=nBase ) FUZZ_FAIL("setup count");
}

static void check_fact(const PlJsonFact *f){
  int k;
  if( f->zPred==0 ) FUZZ_FAIL("fact without a predicate");
  if( f->nArg<1 || f->nArg>PL_MAX_ARGS ) FUZZ_FAIL("fact with %d arguments", f->nArg);
  for(k=0; k<f->nArg; k++){
    if( f->azType[k] && f->anType[k]<0 ) FUZZ_FAIL("negative type length");
    if( f->azId[k] && f->anId[k]<0 ) FUZZ_FAIL("negative id length");
  }
}

/* pl_json_batch decodes the common shape in one pass: whatever it accepts
** the general decoder accepts too, with the same result. */
static int same_str(const char *z, int n, const char *y, int m){
  return (z==0)==(y==0) && n==m && (z==0 || memcmp(z, y, (size_t)n)==0);
}
static void same_as_general(PlArena *pArena, const char *zJson, int nJson,
                            const PlJsonChange *a, int n){
  PlJsonChange *b = 0;
  char *zErr = 0;
  int nB = 0, i, j, k;
  int rc = pl_json_batch_general(pArena, zJson, nJson, &b, &nB, &zErr);
  if( rc==SQLITE_NOMEM ) return;
  if( rc!=SQLITE_OK ) FUZZ_FAIL("accepted by pl_json_batch, refused by the general decoder: %s", zErr);
  if( nB!=n ) FUZZ_FAIL("%d changesets, the general decoder %d", n, nB);
  for(i=0; i<n; i++){
    if( a[i].bInsert!=b[i].bInsert || a[i].nFact!=b[i].nFact ) FUZZ_FAIL("changeset %d differs", i);
    for(j=0; j<a[i].nFact; j++){
      const PlJsonFact *f = &a[i].aFact[j], *g = &b[i].aFact[j];
      if( strcmp(f->zPred, g->zPred) || f->nPred!=g->nPred || f->nArg!=g->nArg ){
        FUZZ_FAIL("batch[%d] fact %d differs", i, j);
      }
      for(k=0; k<f->nArg; k++){
        if( !same_str(f->azType[k], f->anType[k], g->azType[k], g->anType[k])
         || !same_str(f->azId[k], f->anId[k], g->azId[k], g->anId[k]) ){
          FUZZ_FAIL("batch[%d] fact %d argument %d differs", i, j, k);
        }
      }
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  PlArena *pArena;
  PlJsonChange *aChange = 0;
  PlJsonFact *aFact = 0;
  char *zErr = 0, *zJson;
  int nChange = 0, nFact = 0, rc, i, j, nChanged = 0;
  if( db==0 ) setup();
  if( nData>65536 ) return 0;
  zJson = malloc(nData ? nData : 1);
  memcpy(zJson, aData, nData);

  pArena = pl_arena_new();
  rc = pl_json_batch(pArena, zJson, (int)nData, &aChange, &nChange, &zErr);
  if( rc==SQLITE_OK ){
    for(i=0; i<nChange; i++){
      for(j=0; j<aChange[i].nFact; j++) check_fact(&aChange[i].aFact[j]);
    }
  }else if( rc!=SQLITE_NOMEM && zErr==0 ){
    FUZZ_FAIL("batch refused without a message");
  }
  sqlite3_free(zErr); zErr = 0;
  if( rc==SQLITE_OK ) same_as_general(pArena, zJson, (int)nData, aChange, nChange);
  rc = pl_json_facts(pArena, zJson, (int)nData, &aFact, &nFact, &zErr);
  if( rc==SQLITE_OK ){
    for(i=0; i<nFact; i++) check_fact(&aFact[i]);
  }else if( rc!=SQLITE_NOMEM && zErr==0 ){
    FUZZ_FAIL("facts refused without a message");
  }
  sqlite3_free(zErr); zErr = 0;
  pl_arena_free(pArena);

  /* apply it; undo it afterwards so every input starts from the same facts */
  sqlite3_exec(db, "BEGIN", 0, 0, 0);
  rc = pl_store_batch(db, pCache, pPol, zJson, (int)nData, &nChanged, &zErr);
  if( rc!=SQLITE_OK ){
    int n = count_facts();
    if( rc!=SQLITE_NOMEM && zErr==0 ) FUZZ_FAIL("batch failed (rc=%d) without a message", rc);
    if( n!=nBase ) FUZZ_FAIL("a failed batch changed facts: %d -> %d (%s)", nBase, n, zErr);
    if( sqlite3_get_autocommit(db) ) FUZZ_FAIL("a failed batch ended the transaction");
  }
  sqlite3_free(zErr);
  sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
  free(zJson);
  return 0;
}
