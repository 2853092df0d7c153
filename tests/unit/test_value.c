/*
** test_value.c — value.c: the SQL and wire spellings, the storage encoding,
** and exact round trips of hostile ids.
*/
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pl_int.h"

static const char *zPolicySrc =
  "actor User {}\n"
  "actor Team {}\n"
  "resource Repo { roles = [\"reader\"]; permissions = [\"read\"];\n"
  "  \"read\" if \"reader\"; }\n"
  "declare owner(User, Repo);\n"
  "declare owner(String, Repo);\n";

static sqlite3 *db;
static PlPolicy *pPol;
static PlTypeSet tsString;      /* a String-only position */
static PlTypeSet tsMixed;       /* String or User */
static sqlite3_value *apKeep[64];
static int nKeep;

static void spellFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  (void)argc;
  pl_value_result(ctx, argv[0]);
}

static void setup(void){
  char *zErr = 0;
  int rc;
  ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
  sqlite3_create_function(db, "spell", 1, SQLITE_UTF8, 0, spellFunc, 0, 0);
  rc = pl_policy_new(zPolicySrc, -1, "t.polar", 0, &pPol, &zErr);
  ck_assert_msg(rc==SQLITE_OK, "policy: %s", zErr ? zErr : "?");
  memset(&tsString, 0, sizeof(tsString));
  pl_ts_add(&tsString, PL_TYPE_STRING);
  tsMixed = tsString;
  pl_ts_add(&tsMixed, pl_policy_find_type(pPol, "User", 4));
  nKeep = 0;
}

static void teardown(void){
  int i;
  for(i=0; i<nKeep; i++) sqlite3_value_free(apKeep[i]);
  pl_policy_free(pPol);
  sqlite3_close(db);
}

/* A protected sqlite3_value holding what "SELECT <zExpr>" returns. */
static sqlite3_value *sqlv(const char *zExpr){
  sqlite3_stmt *pStmt;
  char *zSql = sqlite3_mprintf("SELECT %s", zExpr);
  sqlite3_value *v;
  ck_assert_int_eq(sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0), SQLITE_OK);
  sqlite3_free(zSql);
  ck_assert_int_eq(sqlite3_step(pStmt), SQLITE_ROW);
  v = sqlite3_value_dup(sqlite3_column_value(pStmt, 0));
  sqlite3_finalize(pStmt);
  ck_assert_ptr_nonnull(v);
  ck_assert_int_lt(nKeep, 64);
  apKeep[nKeep++] = v;
  return v;
}

/* A text value with exactly the bytes z[0..n). */
static sqlite3_value *textv(const char *z, int n){
  sqlite3_stmt *pStmt;
  sqlite3_value *v;
  ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT ?1", -1, &pStmt, 0), SQLITE_OK);
  sqlite3_bind_text(pStmt, 1, z, n, SQLITE_TRANSIENT);
  ck_assert_int_eq(sqlite3_step(pStmt), SQLITE_ROW);
  v = sqlite3_value_dup(sqlite3_column_value(pStmt, 0));
  sqlite3_finalize(pStmt);
  ck_assert_ptr_nonnull(v);
  ck_assert_int_lt(nKeep, 64);
  apKeep[nKeep++] = v;
  return v;
}

static int typeId(const char *z){ return pl_policy_find_type(pPol, z, -1); }

/* Parse; expect success. */
static PlValue ok_sql(sqlite3_value *v, const PlTypeSet *allowed, int bPattern){
  PlValue x;
  char *zErr = 0;
  int rc = pl_value_from_sql(pPol, v, allowed, bPattern, "argument 1", &x, &zErr);
  ck_assert_msg(rc==SQLITE_OK, "unexpected error: %s", zErr ? zErr : "?");
  ck_assert_ptr_null(zErr);
  return x;
}

/* Parse; expect an error and return it (freed by the caller). */
static char *err_sql(sqlite3_value *v, const PlTypeSet *allowed, int bPattern,
                     const char *zWhat){
  PlValue x;
  char *zErr = 0;
  int rc = pl_value_from_sql(pPol, v, allowed, bPattern, zWhat, &x, &zErr);
  ck_assert_int_eq(rc, SQLITE_ERROR);
  ck_assert_ptr_nonnull(zErr);
  return zErr;
}

static void assert_id(const PlValue *x, int iType, const char *z, int n){
  ck_assert_int_eq(x->iType, iType);
  ck_assert_int_eq(x->bWild, 0);
  ck_assert_int_eq(x->n, n);
  ck_assert(memcmp(x->z, z, (size_t)n)==0);
}

static void assert_err(char *zErr, const char *zWant){
  ck_assert_str_eq(zErr, zWant);
  sqlite3_free(zErr);
}

static void assert_err_has(char *zErr, const char *zPart){
  ck_assert_msg(strstr(zErr, zPart)!=0, "'%s' not in '%s'", zPart, zErr);
  sqlite3_free(zErr);
}

/*------------------------------------------------------------- SQL in ----*/

START_TEST(sql_integers){
  PlValue x = ok_sql(sqlv("42"), 0, 0);
  ck_assert_int_eq(x.iType, PL_TYPE_INTEGER);
  ck_assert(x.i==42);
  x = ok_sql(sqlv("'Integer:-9223372036854775808'"), 0, 0);
  ck_assert(x.iType==PL_TYPE_INTEGER && x.i==(-9223372036854775807LL-1));
  x = ok_sql(sqlv("'Integer:9223372036854775807'"), 0, 0);
  ck_assert(x.i==9223372036854775807LL);
  assert_err(err_sql(sqlv("'Integer:9223372036854775808'"), 0, 0, "argument 2"),
             "argument 2: 'Integer:9223372036854775808' is not a 64-bit integer");
  assert_err_has(err_sql(sqlv("'Integer:12a'"), 0, 0, "a"), "not a 64-bit integer");
  assert_err_has(err_sql(sqlv("'Integer:-'"), 0, 0, "a"), "not a 64-bit integer");
  assert_err_has(err_sql(sqlv("'Integer: 5'"), 0, 0, "a"), "not a 64-bit integer");
  assert_err_has(err_sql(sqlv("'Integer:'"), 0, 0, "a"), "has an empty id");
  /* text digits are a String, never guessed to be an Integer */
  x = ok_sql(sqlv("'5'"), 0, 0);
  assert_id(&x, PL_TYPE_STRING, "5", 1);
}
END_TEST

START_TEST(sql_booleans){
  PlValue x = ok_sql(sqlv("'Boolean:true'"), 0, 0);
  ck_assert(x.iType==PL_TYPE_BOOLEAN && x.i==1);
  x = ok_sql(sqlv("'Boolean:false'"), 0, 0);
  ck_assert(x.iType==PL_TYPE_BOOLEAN && x.i==0);
  assert_err(err_sql(sqlv("'Boolean:TRUE'"), 0, 0, "argument 1"),
             "argument 1: 'Boolean:TRUE' is not a Boolean "
             "(write 'Boolean:true' or 'Boolean:false')");
}
END_TEST

START_TEST(sql_strings_and_types){
  PlValue x = ok_sql(sqlv("'read'"), 0, 0);
  assert_id(&x, PL_TYPE_STRING, "read", 4);
  x = ok_sql(sqlv("'a b:c'"), 0, 0);             /* prefix not an identifier */
  assert_id(&x, PL_TYPE_STRING, "a b:c", 5);
  x = ok_sql(sqlv("':x'"), 0, 0);
  assert_id(&x, PL_TYPE_STRING, ":x", 2);
  x = ok_sql(sqlv("'9x:y'"), 0, 0);
  assert_id(&x, PL_TYPE_STRING, "9x:y", 4);
  x = ok_sql(sqlv("'String:User:bob'"), 0, 0);
  assert_id(&x, PL_TYPE_STRING, "User:bob", 8);
  x = ok_sql(sqlv("'User:alice'"), 0, 0);
  assert_id(&x, typeId("User"), "alice", 5);
  x = ok_sql(sqlv("'User:al:ice'"), 0, 0);       /* split at the first colon */
  assert_id(&x, typeId("User"), "al:ice", 6);
  x = ok_sql(sqlv("'User:alice'"), &tsMixed, 0);
  assert_id(&x, typeId("User"), "alice", 5);
  assert_err(err_sql(sqlv("'Usr:alice'"), 0, 0, "argument 2"),
             "argument 2: unknown type 'Usr' in 'Usr:alice'; did you mean 'User'?");
  assert_err(err_sql(sqlv("'Zebra:alice'"), 0, 0, "argument 2"),
             "argument 2: unknown type 'Zebra' in 'Zebra:alice' "
             "(for the text, write 'String:Zebra:alice')");
  assert_err_has(err_sql(sqlv("'http://example.com'"), &tsMixed, 0, "a"),
                 "unknown type 'http'");
  assert_err_has(err_sql(sqlv("'Actor:x'"), 0, 0, "a"), "abstract type");
  assert_err_has(err_sql(sqlv("'Resource:_'"), 0, 1, "a"), "abstract type");
}
END_TEST

START_TEST(sql_string_only_position){
  PlValue x = ok_sql(sqlv("'Usr:alice'"), &tsString, 0);
  assert_id(&x, PL_TYPE_STRING, "Usr:alice", 9);
  /* a type the policy knows makes a typed value in every position (the
  ** position check, later, refuses it there); its text is 'String:User:alice' */
  x = ok_sql(sqlv("'User:alice'"), &tsString, 0);
  assert_id(&x, typeId("User"), "alice", 5);
  x = ok_sql(sqlv("'String:User:alice'"), &tsString, 0);
  assert_id(&x, PL_TYPE_STRING, "User:alice", 10);
  x = ok_sql(sqlv("'http://example.com'"), &tsString, 0);
  assert_id(&x, PL_TYPE_STRING, "http://example.com", 18);
  x = ok_sql(sqlv("'String:reader'"), &tsString, 0);   /* prefix stripped */
  assert_id(&x, PL_TYPE_STRING, "reader", 6);
  x = ok_sql(sqlv("'String:String:x'"), &tsString, 0); /* only once */
  assert_id(&x, PL_TYPE_STRING, "String:x", 8);
  x = ok_sql(sqlv("'String:_'"), &tsString, 1);
  ck_assert(x.bWild && x.iType==PL_TYPE_STRING);
  assert_err_has(err_sql(sqlv("'String:_'"), &tsString, 0, "a"), "wildcard");
  assert_err_has(err_sql(sqlv("'String:'"), &tsString, 0, "a"), "empty id");
}
END_TEST

START_TEST(sql_patterns){
  PlValue x = ok_sql(sqlv("NULL"), 0, 1);
  ck_assert(x.bWild && x.iType==-1);
  x = ok_sql(sqlv("'User:_'"), 0, 1);
  ck_assert(x.bWild && x.iType==typeId("User"));
  x = ok_sql(sqlv("'Integer:_'"), 0, 1);
  ck_assert(x.bWild && x.iType==PL_TYPE_INTEGER);
  x = ok_sql(sqlv("'_'"), 0, 1);            /* a bare _ is the string "_" */
  assert_id(&x, PL_TYPE_STRING, "_", 1);
  assert_err(err_sql(sqlv("NULL"), 0, 0, "argument 3"),
             "argument 3 is NULL; NULL (any value) is allowed only in "
             "patterns (deletes and queries)");
  assert_err(err_sql(sqlv("'User:_'"), 0, 0, "argument 1"),
             "argument 1: 'User:_' is a wildcard; wildcards are allowed "
             "only in patterns (deletes and queries)");
}
END_TEST

START_TEST(sql_refusals){
  assert_err(err_sql(sqlv("''"), 0, 0, "argument 1"),
             "argument 1 is empty; a value needs a non-empty id");
  assert_err(err_sql(sqlv("'User:'"), 0, 0, "argument 1"),
             "argument 1: 'User:' has an empty id");
  assert_err_has(err_sql(sqlv("1.5"), 0, 0, "argument 1"),
                 "argument 1 is a real number");
  assert_err_has(err_sql(sqlv("x'00ff'"), 0, 0, "argument 1"),
                 "argument 1 is a blob");
  assert_err_has(err_sql(sqlv("CAST(x'610062' AS TEXT)"), 0, 0, "argument 1"),
                 "NUL byte");
  assert_err(err_sql(sqlv("NULL"), 0, 0, "argument 1"),
             "argument 1 is NULL; NULL (any value) is allowed only in "
             "patterns (deletes and queries)");
}
END_TEST

START_TEST(sql_id_limit){
  char z[400];
  PlValue x;
  memset(z, 'x', sizeof(z));
  x = ok_sql(textv(z, 384), 0, 0);
  ck_assert_int_eq(x.n, 384);
  assert_err(err_sql(textv(z, 385), 0, 0, "argument 3"),
             "argument 3 is 385 bytes; the limit is 384");
  /* the id is measured, not the "User:" prefix */
  memcpy(z, "User:", 5);
  x = ok_sql(textv(z, 5+384), 0, 0);
  ck_assert_int_eq(x.n, 384);
  assert_err(err_sql(textv(z, 5+385), 0, 0, "argument 3"),
             "argument 3 is 385 bytes; the limit is 384");
  /* bytes, not characters: 192 x "é" is 384 bytes, 193 is 386 */
  {
    char zE[400];
    int i;
    for(i=0; i<193; i++){ zE[2*i] = (char)0xC3; zE[2*i+1] = (char)0xA9; }
    ok_sql(textv(zE, 384), 0, 0);
    assert_err(err_sql(textv(zE, 386), 0, 0, "argument 2"),
               "argument 2 is 386 bytes; the limit is 384");
  }
}
END_TEST

START_TEST(sql_without_policy){
  PlValue x;
  char *zErr = 0;
  int rc = pl_value_from_sql(0, sqlv("'Integer:7'"), 0, 0, "a", &x, &zErr);
  ck_assert(rc==SQLITE_OK && x.iType==PL_TYPE_INTEGER && x.i==7);
  rc = pl_value_from_sql(0, sqlv("'User:bob'"), 0, 0, "a", &x, &zErr);
  ck_assert_int_eq(rc, SQLITE_ERROR);
  assert_err_has(zErr, "unknown type 'User'");
}
END_TEST

/*------------------------------------------------------------- wire in ---*/

static PlValue ok_wire(const char *zT, const char *zI, int bPattern){
  PlValue x;
  char *zErr = 0;
  int rc = pl_value_from_wire(pPol, zT, zT ? (int)strlen(zT) : 0,
                              zI, zI ? (int)strlen(zI) : 0, bPattern,
                              "argument 1", &x, &zErr);
  ck_assert_msg(rc==SQLITE_OK, "unexpected error: %s", zErr ? zErr : "?");
  return x;
}

static char *err_wire(const char *zT, const char *zI, int bPattern){
  PlValue x;
  char *zErr = 0;
  int rc = pl_value_from_wire(pPol, zT, zT ? (int)strlen(zT) : 0,
                              zI, zI ? (int)strlen(zI) : 0, bPattern,
                              "argument 2", &x, &zErr);
  ck_assert_int_eq(rc, SQLITE_ERROR);
  ck_assert_ptr_nonnull(zErr);
  return zErr;
}

START_TEST(wire_values){
  PlValue x = ok_wire("User", "alice", 0);
  assert_id(&x, typeId("User"), "alice", 5);
  x = ok_wire("String", "User:alice", 0);     /* wire types are explicit */
  assert_id(&x, PL_TYPE_STRING, "User:alice", 10);
  x = ok_wire("String", "_", 0);
  assert_id(&x, PL_TYPE_STRING, "_", 1);
  x = ok_wire("Integer", "-12", 0);
  ck_assert(x.iType==PL_TYPE_INTEGER && x.i==-12);
  x = ok_wire("Boolean", "true", 0);
  ck_assert(x.iType==PL_TYPE_BOOLEAN && x.i==1);
  x = ok_wire(0, 0, 1);
  ck_assert(x.bWild && x.iType==-1);
  x = ok_wire("Repo", 0, 1);
  ck_assert(x.bWild && x.iType==typeId("Repo"));
  assert_err(err_wire("Usr", "x", 0), "argument 2: unknown type 'Usr'; did you mean 'User'?");
  assert_err_has(err_wire("Integer", "5.0", 0), "not a 64-bit integer");
  assert_err_has(err_wire("Boolean", "yes", 0), "not a Boolean");
  assert_err_has(err_wire("", "x", 0), "empty type");
  assert_err_has(err_wire("User", "", 0), "empty id");
  assert_err(err_wire(0, "x", 0),
             "argument 2 has a null type; a fact needs a type and an id "
             "(null is a wildcard, allowed only in deletes)");
  assert_err_has(err_wire("User", 0, 0), "has a null id");
  assert_err_has(err_wire(0, "x", 1), "an id but a null type");
  assert_err_has(err_wire("Actor", "x", 0), "abstract type");
  {
    char z[386];
    memset(z, 'y', 385);
    z[385] = 0;
    assert_err(err_wire("User", z, 0),
               "argument 2 is 385 bytes; the limit is 384");
    z[384] = 0;
    ok_wire("User", z, 0);
  }
}
END_TEST

/*------------------------------------------------------------- out -------*/

/* storage encoding of x, as the bound parameter comes back from SQLite */
static sqlite3_value *stored(const PlValue *x){
  sqlite3_stmt *pStmt;
  sqlite3_value *v;
  ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT ?1", -1, &pStmt, 0), SQLITE_OK);
  ck_assert_int_eq(pl_value_bind_pol(pPol, pStmt, 1, x), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(pStmt), SQLITE_ROW);
  v = sqlite3_value_dup(sqlite3_column_value(pStmt, 0));
  sqlite3_finalize(pStmt);
  ck_assert_int_lt(nKeep, 64);
  apKeep[nKeep++] = v;
  return v;
}

/* user spelling of a storage-encoded value */
static sqlite3_value *spelled(sqlite3_value *pEnc){
  sqlite3_stmt *pStmt;
  sqlite3_value *v;
  ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT spell(?1)", -1, &pStmt, 0),
                   SQLITE_OK);
  sqlite3_bind_value(pStmt, 1, pEnc);
  ck_assert_int_eq(sqlite3_step(pStmt), SQLITE_ROW);
  v = sqlite3_value_dup(sqlite3_column_value(pStmt, 0));
  sqlite3_finalize(pStmt);
  ck_assert_int_lt(nKeep, 64);
  apKeep[nKeep++] = v;
  return v;
}

static void assert_text(sqlite3_value *v, const char *z, int n){
  ck_assert_int_eq(sqlite3_value_type(v), SQLITE_TEXT);
  ck_assert_int_eq(sqlite3_value_bytes(v), n);
  ck_assert(memcmp(sqlite3_value_text(v), z, (size_t)n)==0);
}

START_TEST(encoding_and_spelling){
  PlValue x = ok_sql(sqlv("'read'"), 0, 0);
  sqlite3_value *pEnc = stored(&x);
  assert_text(pEnc, "String:read", 11);
  assert_text(spelled(pEnc), "read", 4);

  x = ok_sql(sqlv("'String:User:bob'"), 0, 0);
  pEnc = stored(&x);
  assert_text(pEnc, "String:User:bob", 15);
  assert_text(spelled(pEnc), "String:User:bob", 15);  /* keeps its prefix */

  x = ok_sql(sqlv("'User:bob'"), 0, 0);
  pEnc = stored(&x);
  assert_text(pEnc, "User:bob", 8);
  assert_text(spelled(pEnc), "User:bob", 8);

  x = ok_sql(sqlv("'Boolean:false'"), 0, 0);
  pEnc = stored(&x);
  assert_text(pEnc, "Boolean:false", 13);
  assert_text(spelled(pEnc), "Boolean:false", 13);

  x = ok_sql(sqlv("'Integer:-3'"), 0, 0);
  pEnc = stored(&x);
  ck_assert_int_eq(sqlite3_value_type(pEnc), SQLITE_INTEGER);
  ck_assert(sqlite3_value_int64(pEnc)==-3);
  ck_assert(sqlite3_value_int64(spelled(pEnc))==-3);

  /* wildcards in results */
  assert_text(spelled(sqlv("'User:'")), "User:_", 6);
  assert_text(spelled(sqlv("'Integer:'")), "Integer:_", 9);
  assert_text(spelled(sqlv("'String:'")), "String:_", 8);
  ck_assert_int_eq(sqlite3_value_type(spelled(sqlv("NULL"))), SQLITE_NULL);
}
END_TEST

START_TEST(bind_refusals){
  sqlite3_stmt *pStmt;
  PlValue x = ok_sql(sqlv("'User:bob'"), 0, 0);
  PlValue w = ok_sql(sqlv("NULL"), 0, 1);
  PlValue s = ok_sql(sqlv("'x'"), 0, 0);
  ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT ?1", -1, &pStmt, 0), SQLITE_OK);
  /* a declared type needs the policy for its name */
  ck_assert_int_eq(pl_value_bind(pStmt, 1, &x), SQLITE_MISUSE);
  ck_assert_int_eq(pl_value_bind(pStmt, 1, &w), SQLITE_MISUSE);
  ck_assert_int_eq(pl_value_bind_pol(pPol, pStmt, 1, &w), SQLITE_MISUSE);
  ck_assert_int_eq(pl_value_bind(pStmt, 1, &s), SQLITE_OK);
  sqlite3_finalize(pStmt);
}
END_TEST

/* "<identifier>:" at the start: such a string needs an explicit String: */
static int looks_typed(const char *z, int n){
  int i;
  for(i=0; i<n && z[i]!=':'; i++){
    char c = z[i];
    if( !(c=='_' || (c>='a' && c<='z') || (c>='A' && c<='Z')
          || (i>0 && c>='0' && c<='9')) ) return 0;
  }
  return i>0 && i<n;
}

/* Hostile ids survive SQL spelling -> PlValue -> storage -> spelling ->
** PlValue byte for byte, in a mixed and in a String-only position. */
START_TEST(hostile_round_trips){
  static const char *azId[] = {
    "O'Brien", "\"quoted\"", "'; DROP TABLE polar_meta; --", "a;b;c",
    "h\xC3\xA9llo w\xC3\xB6rld \xF0\x9F\x98\x80", "a:b", "User:alice",
    "Usr:alice", "String:x", "String:", "_", "%s%n%%", "\\", " lead",
    "trail ", "\t\n\r", "x'00'",
  };
  char zBin[255];
  int i, j, iPos;
  for(i=0; i<255; i++) zBin[i] = (char)(i+1);   /* every byte but NUL */
  for(iPos=0; iPos<2; iPos++){
    const PlTypeSet *allowed = iPos ? &tsString : &tsMixed;
    for(j=0; j<(int)(sizeof(azId)/sizeof(azId[0]))+1; j++){
      const char *zId = j<(int)(sizeof(azId)/sizeof(azId[0])) ? azId[j] : zBin;
      int nId = zId==zBin ? 255 : (int)strlen(zId);
      PlValue a, b;
      sqlite3_value *pIn, *pOut;
      char *zErr = 0;
      int rc;
      for(i=0; i<nKeep; i++) sqlite3_value_free(apKeep[i]);
      nKeep = 0;
      if( allowed==&tsString && nId>=7 && memcmp(zId, "String:", 7)==0 ){
        continue;   /* stripped on purpose: tested in sql_string_only_position */
      }
      /* spell it the way results do: explicit String: only where it would
      ** otherwise read as a typed value (or an unknown type) */
      if( looks_typed(zId, nId) ){
        char *z = sqlite3_mprintf("String:%.*s", nId, zId);
        /* build with exact bytes (zBin has no NUL, %.*s is byte-exact) */
        pIn = textv(z, 7+nId);
        sqlite3_free(z);
      }else{
        pIn = textv(zId, nId);
      }
      rc = pl_value_from_sql(pPol, pIn, allowed, 0, "argument 1", &a, &zErr);
      ck_assert_msg(rc==SQLITE_OK, "id %d: %s", j, zErr ? zErr : "?");
      assert_id(&a, PL_TYPE_STRING, zId, nId);
      pOut = spelled(stored(&a));
      rc = pl_value_from_sql(pPol, pOut, allowed, 0, "argument 1", &b, &zErr);
      ck_assert_msg(rc==SQLITE_OK, "id %d back: %s", j, zErr ? zErr : "?");
      assert_id(&b, PL_TYPE_STRING, zId, nId);
      /* and as the id of a declared type ('User:_' is the wildcard, so a
      ** User whose id is "_" exists only through the wire form) */
      if( !(nId==1 && zId[0]=='_') ){
        char *z = sqlite3_mprintf("User:%.*s", nId, zId);
        pIn = textv(z, 5+nId);
        sqlite3_free(z);
        rc = pl_value_from_sql(pPol, pIn, &tsMixed, 0, "argument 1", &a, &zErr);
        ck_assert_msg(rc==SQLITE_OK, "User id %d: %s", j, zErr ? zErr : "?");
        assert_id(&a, typeId("User"), zId, nId);
        pOut = spelled(stored(&a));
        rc = pl_value_from_sql(pPol, pOut, &tsMixed, 0, "argument 1", &b, &zErr);
        ck_assert(rc==SQLITE_OK);
        assert_id(&b, typeId("User"), zId, nId);
      }
    }
  }
}
END_TEST

static Suite *value_suite(void){
  Suite *s = suite_create("value");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, sql_integers);
  tcase_add_test(tc, sql_booleans);
  tcase_add_test(tc, sql_strings_and_types);
  tcase_add_test(tc, sql_string_only_position);
  tcase_add_test(tc, sql_patterns);
  tcase_add_test(tc, sql_refusals);
  tcase_add_test(tc, sql_id_limit);
  tcase_add_test(tc, sql_without_policy);
  tcase_add_test(tc, wire_values);
  tcase_add_test(tc, encoding_and_spelling);
  tcase_add_test(tc, bind_refusals);
  tcase_add_test(tc, hostile_round_trips);
  suite_add_tcase(s, tc);
  return s;
}

int main(void){
  SRunner *sr = srunner_create(value_suite());
  int nFail;
  srunner_run_all(sr, CK_NORMAL);
  nFail = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nFail==0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
