/*
** fuzz_value.c — the value parser: the SQL spelling ('Type:id', 'String:x',
** integers, NULL and 'Type:_' in patterns) and the wire form
** {"type": T, "id": I}, against a fixed policy (fuzz_common.h).
**
** Input: byte 0 picks the path and flags, byte 1 the set of types the
** position accepts, the rest is the value (for the wire form, the type and
** the id separated by the first NUL byte).
**
** Properties: no crash, leak or over-read; a refused value has a message;
** an accepted id is 1..PL_MAX_ID bytes without NUL; and an accepted
** concrete value round-trips: stored (pl_value_bind_pol), returned in the
** user spelling (pl_value_result) and read again gives the same value.
*/
#include "pl_int.h"
#include "fuzz_common.h"
#include <string.h>

static sqlite3 *db;
static PlPolicy *pPol;
static sqlite3_stmt *pIn;    /* SELECT ?1: makes an sqlite3_value of the input */
static sqlite3_stmt *pRt;    /* SELECT fuzz_rt(?1): storage -> user spelling */

static void rtFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  (void)argc;
  pl_value_result(ctx, argv[0]);
}

static void setup(void){
  char *zErr = 0;
  if( sqlite3_open(":memory:", &db)!=SQLITE_OK ) FUZZ_FAIL("open");
  if( pl_policy_new(zFuzzPolicy, (int)strlen(zFuzzPolicy), "fuzz.polar", 0, &pPol, &zErr) ){
    FUZZ_FAIL("fixed policy: %s", zErr);
  }
  sqlite3_create_function(db, "fuzz_rt", 1, SQLITE_UTF8, 0, rtFunc, 0, 0);
  if( sqlite3_prepare_v2(db, "SELECT ?1", -1, &pIn, 0)
   || sqlite3_prepare_v2(db, "SELECT fuzz_rt(?1)", -1, &pRt, 0) ) FUZZ_FAIL("prepare");
}

static PlTypeSet pick_types(unsigned char b){
  PlTypeSet ts;
  int t;
  memset(&ts, 0, sizeof(ts));
  switch( b % 8 ){
    case 0: return pPol->all;
    case 1: pl_ts_add(&ts, PL_TYPE_STRING); break;
    case 2: pl_ts_add(&ts, PL_TYPE_INTEGER); break;
    case 3: pl_ts_add(&ts, PL_TYPE_BOOLEAN); break;
    case 4: pl_ts_add(&ts, pl_policy_find_type(pPol, "User", -1)); break;
    case 5: pl_ts_add(&ts, PL_TYPE_STRING); pl_ts_add(&ts, PL_TYPE_INTEGER); break;
    case 6:
      pl_ts_add(&ts, pl_policy_find_type(pPol, "Repository", -1));
      pl_ts_add(&ts, pl_policy_find_type(pPol, "Organization", -1));
      break;
    default:
      for(t=0; t<8 && t<pl_policy_ntype(pPol); t++) if( (b>>3) & (1<<(t%5)) ) pl_ts_add(&ts, t);
      break;
  }
  return ts;
}

static void check_value(const PlValue *v, const PlTypeSet *pAllowed){
  char aBuf[PL_VALUE_ENC_MAX];
  int n = 0, rc;
  PlValue w;
  char *zErr = 0;
  if( v->bWild ){
    if( v->iType>=pl_policy_ntype(pPol) ) FUZZ_FAIL("wildcard of type %d", v->iType);
    if( pl_value_encode(pPol, v, aBuf, (int)sizeof(aBuf), &n)!=SQLITE_MISUSE ){
      FUZZ_FAIL("a wildcard encoded");
    }
    return;
  }
  if( v->iType<0 || v->iType>=pl_policy_ntype(pPol) ) FUZZ_FAIL("type %d", v->iType);
  if( v->iType==PL_TYPE_ACTOR || v->iType==PL_TYPE_RESOURCE ) FUZZ_FAIL("abstract value");
  if( v->iType!=PL_TYPE_INTEGER ){
    if( v->n<1 || v->n>PL_MAX_ID ) FUZZ_FAIL("id of %d bytes accepted", v->n);
    if( memchr(v->z, 0, (size_t)v->n) ) FUZZ_FAIL("id with NUL accepted");
    rc = pl_value_encode(pPol, v, aBuf, (int)sizeof(aBuf), &n);
    if( rc!=SQLITE_OK ) FUZZ_FAIL("encode rc=%d", rc);
  }
  /* storage -> user spelling -> parse again */
  rc = pl_value_bind_pol(pPol, pRt, 1, v);
  if( rc!=SQLITE_OK ) FUZZ_FAIL("bind rc=%d", rc);
  if( sqlite3_step(pRt)!=SQLITE_ROW ) FUZZ_FAIL("round trip: %s", sqlite3_errmsg(db));
  rc = pl_value_from_sql(pPol, sqlite3_column_value(pRt, 0), pAllowed, 0, "again", &w, &zErr);
  if( rc!=SQLITE_OK ) FUZZ_FAIL("value does not read back: %s", zErr);
  if( w.iType!=v->iType || w.bWild ) FUZZ_FAIL("read back as type %d, was %d", w.iType, v->iType);
  if( v->iType==PL_TYPE_INTEGER || v->iType==PL_TYPE_BOOLEAN ){
    if( w.i!=v->i ) FUZZ_FAIL("read back as %lld, was %lld", (long long)w.i, (long long)v->i);
  }else if( w.n!=v->n || memcmp(w.z, v->z, (size_t)v->n)!=0 ){
    FUZZ_FAIL("read back as '%.*s', was '%.*s'", w.n, w.z, v->n, v->z);
  }
  sqlite3_reset(pRt);
  sqlite3_clear_bindings(pRt);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  PlValue v;
  PlTypeSet ts;
  char *zErr = 0, *zBuf;
  int rc, eMode, bPattern;
  size_t n;
  if( db==0 ) setup();
  if( nData<2 || nData>4096 ) return 0;
  eMode = aData[0] & 3;
  bPattern = (aData[0]>>2) & 1;
  ts = pick_types(aData[1]);
  n = nData - 2;
  zBuf = malloc(n ? n : 1);
  memcpy(zBuf, aData+2, n);
  if( eMode==3 ){
    /* wire: type NUL id; bit 3/4 make type/id null */
    char *zSep = memchr(zBuf, 0, n);
    const char *zType = zBuf, *zId = zSep ? zSep+1 : zBuf + n;
    int nType = zSep ? (int)(zSep - zBuf) : (int)n;
    int nId = zSep ? (int)(n - (size_t)nType - 1) : 0;
    if( aData[0] & 8 ) zType = 0;
    if( aData[0] & 16 ) zId = 0;
    rc = pl_value_from_wire(pPol, zType, zType ? nType : 0, zId, zId ? nId : 0,
                            bPattern, "argument 1", &v, &zErr);
    ts = pPol->all;
  }else{
    if( eMode==0 ){
      sqlite3_bind_text(pIn, 1, zBuf, (int)n, SQLITE_STATIC);
    }else if( eMode==1 ){
      sqlite3_int64 i = 0;
      memcpy(&i, zBuf, n<8 ? n : 8);
      sqlite3_bind_int64(pIn, 1, i);
    }else if( n==0 ){
      sqlite3_bind_null(pIn, 1);
    }else if( n<4 ){
      sqlite3_bind_double(pIn, 1, (double)zBuf[0]);
    }else{
      sqlite3_bind_blob(pIn, 1, zBuf, (int)n, SQLITE_STATIC);
    }
    if( sqlite3_step(pIn)!=SQLITE_ROW ) FUZZ_FAIL("SELECT ?1");
    rc = pl_value_from_sql(pPol, sqlite3_column_value(pIn, 0), &ts, bPattern,
                           "argument 1", &v, &zErr);
  }
  if( rc==SQLITE_OK ){
    if( zErr ) FUZZ_FAIL("accepted with a message: %s", zErr);
    check_value(&v, &ts);
  }else if( rc!=SQLITE_NOMEM && zErr==0 ){
    FUZZ_FAIL("refused (rc=%d) without a message", rc);
  }
  sqlite3_free(zErr);
  sqlite3_reset(pIn);
  sqlite3_clear_bindings(pIn);
  free(zBuf);
  return 0;
}
