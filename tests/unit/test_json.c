/*
** test_json.c — json.c: Oso batch bodies and fact arrays.
*/
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pl_int.h"

static PlArena *pArena;

static void setup(void){ pArena = pl_arena_new(); ck_assert_ptr_nonnull(pArena); }
static void teardown(void){ pl_arena_free(pArena); }

/* Strings z[0..n) and y[0..m), either possibly NULL, are the same. */
static void assert_same(const char *z, int n, const char *y, int m){
  ck_assert_int_eq(z==0, y==0);
  ck_assert_int_eq(n, m);
  if( z ) ck_assert(memcmp(z, y, (size_t)n)==0);
}

/* Decoded by pl_json_batch (the one-pass decoder where it applies) and by
** the general decoder alone: the same result. */
static PlJsonChange *ok_batch(const char *zJson, int *pnChange){
  PlJsonChange *a = 0, *b = 0;
  char *zErr = 0;
  int rc = pl_json_batch(pArena, zJson, (int)strlen(zJson), &a, pnChange, &zErr);
  int nB = -1, i, j, k;
  ck_assert_msg(rc==SQLITE_OK, "unexpected error: %s", zErr ? zErr : "?");
  rc = pl_json_batch_general(pArena, zJson, (int)strlen(zJson), &b, &nB, &zErr);
  ck_assert_msg(rc==SQLITE_OK, "unexpected error: %s", zErr ? zErr : "?");
  ck_assert_int_eq(*pnChange, nB);
  for(i=0; i<nB; i++){
    ck_assert_int_eq(a[i].bInsert, b[i].bInsert);
    ck_assert_int_eq(a[i].nFact, b[i].nFact);
    for(j=0; j<b[i].nFact; j++){
      const PlJsonFact *f = &a[i].aFact[j], *g = &b[i].aFact[j];
      ck_assert_str_eq(f->zPred, g->zPred);        /* NUL-terminated */
      ck_assert_int_eq(f->nPred, g->nPred);
      ck_assert_int_eq(f->nArg, g->nArg);
      for(k=0; k<g->nArg; k++){
        assert_same(f->azType[k], f->anType[k], g->azType[k], g->anType[k]);
        assert_same(f->azId[k], f->anId[k], g->azId[k], g->anId[k]);
      }
    }
  }
  return a;
}

static char *err_batch(const char *zJson){
  PlJsonChange *a = 0;
  int n = -1;
  char *zErr = 0;
  int rc = pl_json_batch(pArena, zJson, (int)strlen(zJson), &a, &n, &zErr);
  ck_assert_int_eq(rc, SQLITE_ERROR);
  ck_assert_ptr_nonnull(zErr);
  ck_assert_int_eq(n, 0);
  return zErr;
}

static void assert_err(char *zErr, const char *zWant){
  ck_assert_str_eq(zErr, zWant);
  sqlite3_free(zErr);
}

static void assert_err_has(char *zErr, const char *zPart){
  ck_assert_msg(strstr(zErr, zPart)!=0, "'%s' not in '%s'", zPart, zErr);
  sqlite3_free(zErr);
}

static void assert_str(const char *z, int n, const char *zWant, int nWant){
  ck_assert_ptr_nonnull(z);
  ck_assert_int_eq(n, nWant);
  ck_assert(memcmp(z, zWant, (size_t)n)==0);
}

START_TEST(batch_shape){
  int n;
  PlJsonChange *a = ok_batch(
    " [ {\"inserts\": [{\"predicate\": \"has_role\", \"args\": ["
    "     {\"type\": \"User\", \"id\": \"alice\"},"
    "     {\"type\": \"String\", \"id\": \"admin\"},"
    "     {\"id\": \"acme\", \"type\": \"Org\"}]}]},"
    "   {\"deletes\": [{\"args\": [{\"type\": \"User\", \"id\": null},"
    "                           {\"type\": null, \"id\": null}, {}],"
    "                 \"predicate\": \"has_role\"},"
    "                {\"predicate\": \"p\", \"args\": [{\"type\": \"User\"}]}]},"
    "   {\"inserts\": []} ]\n", &n);
  ck_assert_int_eq(n, 3);
  ck_assert(a[0].bInsert && a[0].nFact==1);
  assert_str(a[0].aFact[0].zPred, a[0].aFact[0].nPred, "has_role", 8);
  ck_assert_int_eq(a[0].aFact[0].nArg, 3);
  assert_str(a[0].aFact[0].azType[0], a[0].aFact[0].anType[0], "User", 4);
  assert_str(a[0].aFact[0].azId[0], a[0].aFact[0].anId[0], "alice", 5);
  assert_str(a[0].aFact[0].azType[2], a[0].aFact[0].anType[2], "Org", 3);
  assert_str(a[0].aFact[0].azId[2], a[0].aFact[0].anId[2], "acme", 4);
  ck_assert(!a[1].bInsert && a[1].nFact==2);
  ck_assert_int_eq(a[1].aFact[0].nArg, 3);
  assert_str(a[1].aFact[0].azType[0], a[1].aFact[0].anType[0], "User", 4);
  ck_assert_ptr_null(a[1].aFact[0].azId[0]);     /* null */
  ck_assert_ptr_null(a[1].aFact[0].azType[1]);
  ck_assert_ptr_null(a[1].aFact[0].azId[1]);
  ck_assert_ptr_null(a[1].aFact[0].azType[2]);   /* missing = null */
  ck_assert_ptr_null(a[1].aFact[0].azId[2]);
  ck_assert_ptr_null(a[1].aFact[1].azId[0]);
  ck_assert(a[2].bInsert && a[2].nFact==0);
  a = ok_batch("[]", &n);
  ck_assert_int_eq(n, 0);
}
END_TEST

/* Documents at the edges of the one-pass decoder's shape decode as the
** general decoder decodes them (ok_batch compares the two). */
START_TEST(batch_fast_edges){
  static const char *const az[] = {
    "[]", " [ ] ", "[{\"inserts\": []}]", "[{\"deletes\":[]},{\"inserts\":[]}]",
    "[{\"inserts\": [{\"predicate\": \"p\", \"args\": [{\"type\": \"User\", "
    "\"id\": \"null\\n\"}]}]}]",
    "[{\"deletes\": [{\"predicate\": \"p\", \"args\": [{\"type\": null, "
    "\"id\": null}, {}, {\"id\": null}]}]}]",
    "[{\"inserts\": [{\"args\": [{\"id\": \"a\", \"type\": \"User\"}], "
    "\"predicate\": \"p\"}, {\"predicate\": \"q\", \"args\": [{\"type\": \"T\", "
    "\"id\": \"\"}]}, {\"predicate\": \"p\", \"args\": [{\"type\": \"U\", "
    "\"id\": \"b\"}]}, {\"predicate\": \"p\", \"args\": [{\"type\": \"U\", "
    "\"id\": \"c\"}]}]}]",
    "\t[\n{ \"inserts\" :\r[ { \"predicate\" : \"p\" , \"args\" : [ { \"type\" : "
    "\"Integer\" , \"id\" : 5 } , { \"type\" : \"Boolean\" , \"id\" : true } ] } ] } ]\n",
    "[{\"inserts\": [{\"predicate\": \"p\\u0041\", \"args\": [{\"type\": \"U\", "
    "\"id\": \"\\\"q\\\"\"}]}]}]",
    "[{\"inserts\": [{\"predicate\": \"p\", \"args\": [{\"type\": \"U\", \"id\": \"1\"},"
    "{\"type\": \"U\", \"id\": \"2\"},{\"type\": \"U\", \"id\": \"3\"},"
    "{\"type\": \"U\", \"id\": \"4\"},{\"type\": \"U\", \"id\": \"5\"}]}]}]",
  };
  size_t i;
  int n;
  for(i=0; i<sizeof(az)/sizeof(az[0]); i++) ok_batch(az[i], &n);
  /* where the one-pass decoder stops, the general one names the error */
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"predicate\": \"p\", "
                       "\"args\": []}]}] x"),
             "malformed JSON at line 1, column 67 (byte 66): unexpected text after the "
             "JSON value");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": [{\"type\": "
                       "\"U\", \"id\": \"1\", \"id\": \"2\"}]}]}]"),
             "batch[0].inserts[0].args[0].id: duplicate key");
}
END_TEST

START_TEST(batch_unescape){
  int n;
  PlJsonChange *a = ok_batch(
    "[{\"\\u0069nserts\": [{\"predicate\": \"p\", \"args\": ["
    "  {\"type\": \"String\", \"id\": \"q\\\"b\\\\s\\/n\\n t\\t\"},"
    "  {\"type\": \"String\", \"id\": \"\\u00e9\\u20AC\\ud83d\\ude00\"},"
    "  {\"type\": \"String\", \"id\": \"raw \xC3\xA9 ' ;\"}]}]}]", &n);
  ck_assert_int_eq(n, 1);
  ck_assert(a[0].bInsert);
  assert_str(a[0].aFact[0].azId[0], a[0].aFact[0].anId[0], "q\"b\\s/n\n t\t", 11);
  assert_str(a[0].aFact[0].azId[1], a[0].aFact[0].anId[1],
             "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9);
  assert_str(a[0].aFact[0].azId[2], a[0].aFact[0].anId[2], "raw \xC3\xA9 ' ;", 10);

  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": "
                       "[{\"type\": \"String\", \"id\": \"a\\u0000b\"}]}]}]"),
             "batch[0].inserts[0].args[0].id: \\u0000 is not allowed "
             "(values cannot hold NUL)");
  assert_err_has(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": "
                           "[{\"type\": \"String\", \"id\": \"\\ud83d x\"}]}]}]"),
                 "high surrogate without a low one");
  assert_err_has(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": "
                           "[{\"type\": \"String\", \"id\": \"\\ude00\"}]}]}]"),
                 "lone low surrogate");
}
END_TEST

START_TEST(batch_primitive_ids){
  int n;
  PlJsonChange *a = ok_batch(
    "[{\"inserts\": [{\"predicate\": \"p\", \"args\": ["
    "  {\"type\": \"Integer\", \"id\": -5}, {\"type\": \"Boolean\", \"id\": true},"
    "  {\"type\": \"Integer\", \"id\": \"7\"}]}]}]", &n);
  assert_str(a[0].aFact[0].azId[0], a[0].aFact[0].anId[0], "-5", 2);
  assert_str(a[0].aFact[0].azId[1], a[0].aFact[0].anId[1], "true", 4);
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": "
                       "[{\"type\": \"String\", \"id\": 5}]}]}]"),
             "batch[0].inserts[0].args[0].id: a JSON number is accepted only "
             "for type Integer; write the id as a string");
  assert_err_has(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": "
                           "[{\"type\": \"Integer\", \"id\": false}]}]}]"),
                 "a JSON true/false is accepted only for type Boolean");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": "
                       "[{\"type\": 5, \"id\": \"x\"}]}]}]"),
             "batch[0].inserts[0].args[0].type: expected a type name "
             "(string) or null");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": "
                       "[{\"type\": \"User\", \"id\": [\"x\"]}]}]}]"),
             "batch[0].inserts[0].args[0].id: expected a string or null");
}
END_TEST

START_TEST(batch_wrong_shapes){
  assert_err(err_batch("{\"inserts\": []}"),
             "batch: expected a JSON array of changesets "
             "({\"inserts\": [...]} or {\"deletes\": [...]})");
  assert_err_has(err_batch("\"x\""), "batch: expected a JSON array");
  assert_err_has(err_batch("5"), "batch: expected a JSON array");
  assert_err(err_batch("[{\"inserts\": []}, {\"deletes\": []}, 5]"),
             "batch[2]: expected an object with \"inserts\" or \"deletes\"");
  assert_err(err_batch("[{\"inserts\": [], \"deletes\": []}]"),
             "batch[0]: expected an object with \"inserts\" or \"deletes\" "
             "(one key per changeset)");
  assert_err(err_batch("[{\"upserts\": []}]"),
             "batch[0]: unknown key \"upserts\" (a changeset is "
             "{\"inserts\": [...]} or {\"deletes\": [...]})");
  assert_err_has(err_batch("[{}]"), "(the object is empty)");
  assert_err(err_batch("[{\"inserts\": {}}]"),
             "batch[0].inserts: expected an array of facts");
  assert_err(err_batch("[{\"deletes\": [1]}]"),
             "batch[0].deletes[0]: expected a fact {\"predicate\": \"...\", "
             "\"args\": [...]}");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": []}]}]"),
             "batch[0].inserts[0].args: a fact has 1 to 5 arguments; found 0");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"extra\": 1, "
                       "\"args\": []}]}]"),
             "batch[0].inserts[0]: unknown key \"extra\" (a fact has "
             "\"predicate\" and \"args\")");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": "
                       "[{},{},{},{},{},{}]}]}]"),
             "batch[0].inserts[0].args: a fact has 1 to 5 arguments; found 6");
  assert_err(err_batch("[{\"inserts\": [{\"args\": [{}]}]}]"),
             "batch[0].inserts[0]: missing \"predicate\"");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\"}]}]"),
             "batch[0].inserts[0]: missing \"args\"");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": 1, \"args\": [{}]}]}]"),
             "batch[0].inserts[0].predicate: expected a string");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"\", \"args\": [{}]}]}]"),
             "batch[0].inserts[0].predicate: empty predicate");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"predicate\": "
                       "\"q\", \"args\": [{}]}]}]"),
             "batch[0].inserts[0].predicate: duplicate key");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": {}}]}]"),
             "batch[0].inserts[0].args: expected an array of arguments");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": [{}, 3]}]}]"),
             "batch[0].inserts[0].args[1]: expected an argument "
             "{\"type\": \"...\", \"id\": \"...\"}");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": "
                       "[{\"type\": \"User\", \"name\": \"x\"}]}]}]"),
             "batch[0].inserts[0].args[0]: unknown key \"name\" (an argument "
             "has \"type\" and \"id\")");
  assert_err(err_batch("[{\"inserts\": [{\"predicate\": \"p\", \"args\": "
                       "[{\"id\": \"x\", \"id\": \"y\"}]}]}]"),
             "batch[0].inserts[0].args[0].id: duplicate key");
}
END_TEST

START_TEST(batch_malformed){
  assert_err(err_batch(""), "malformed JSON at line 1, column 1 (byte 0): empty input");
  assert_err(err_batch("  \n "), "malformed JSON at line 2, column 2 (byte 4): empty input");
  assert_err(err_batch("[1 2]"),
             "malformed JSON at line 1, column 4 (byte 3): expected ',' or ']'");
  assert_err(err_batch("[{\"a\" 1}]"),
             "malformed JSON at line 1, column 7 (byte 6): expected ':' after the key");
  assert_err(err_batch("[1,]"),
             "malformed JSON at line 1, column 4 (byte 3): expected a value");
  assert_err(err_batch("{\"a\":1,}"),
             "malformed JSON at line 1, column 8 (byte 7): expected a string key");
  assert_err(err_batch("[\n["),
             "malformed JSON at line 2, column 2 (byte 3): unexpected end of input");
  assert_err(err_batch("[] []"),
             "malformed JSON at line 1, column 4 (byte 3): unexpected text "
             "after the JSON value");
  assert_err_has(err_batch("[\"a\tb\"]"), "control character inside a string");
  assert_err_has(err_batch("[\"abc"), "unterminated string");
  assert_err_has(err_batch("[\"\\x\"]"), "invalid escape");
  assert_err_has(err_batch("[\"\\u12g4\"]"), "four hex digits");
  assert_err_has(err_batch("[tru]"), "expected a value");
  assert_err_has(err_batch("[01]"), "expected ',' or ']'");
  assert_err_has(err_batch("[1.]"), "digits expected after '.'");
  assert_err_has(err_batch("[1e]"), "digits expected in the exponent");
  assert_err_has(err_batch("[-]"), "invalid number");
  assert_err_has(err_batch("[{]"), "expected a string key");
  assert_err_has(err_batch("[}"), "expected a value");
  {
    /* a NUL byte in the body is not JSON */
    PlJsonChange *a;
    int n;
    char *zErr = 0;
    ck_assert_int_eq(pl_json_batch(pArena, "[ \0 ]", 5, &a, &n, &zErr), SQLITE_ERROR);
    assert_err_has(zErr, "malformed JSON at line 1, column 3 (byte 2)");
  }
}
END_TEST

/* Many tokens (the token array grows) and deep nesting. */
START_TEST(batch_large){
  sqlite3_str *p = sqlite3_str_new(0);
  PlJsonChange *a;
  char *z, *zErr = 0;
  int i, n, rc;
  sqlite3_str_appendall(p, "[{\"inserts\": [");
  for(i=0; i<20000; i++){
    sqlite3_str_appendf(p, "%s{\"predicate\": \"has_role\", \"args\": ["
        "{\"type\": \"User\", \"id\": \"u%d\"}, {\"type\": \"String\", \"id\": \"r\"},"
        "{\"type\": \"Repo\", \"id\": \"x%d\"}]}", i ? "," : "", i, i);
  }
  sqlite3_str_appendall(p, "]}]");
  z = sqlite3_str_finish(p);
  a = ok_batch(z, &n);
  ck_assert_int_eq(n, 1);
  ck_assert_int_eq(a[0].nFact, 20000);
  assert_str(a[0].aFact[19999].azId[0], a[0].aFact[19999].anId[0], "u19999", 6);
  sqlite3_free(z);

  /* 64 levels: valid JSON, wrong shape */
  p = sqlite3_str_new(0);
  sqlite3_str_appendchar(p, 64, '[');
  sqlite3_str_appendchar(p, 64, ']');
  z = sqlite3_str_finish(p);
  rc = pl_json_batch(pArena, z, (int)strlen(z), &a, &n, &zErr);
  ck_assert_int_eq(rc, SQLITE_ERROR);
  assert_err(zErr, "batch[0]: expected an object with \"inserts\" or \"deletes\"");
  sqlite3_free(z);

  /* deeper is refused before tokenizing (jsmn is quadratic in depth):
  ** 2 MB of brackets must fail fast */
  p = sqlite3_str_new(0);
  sqlite3_str_appendchar(p, 1000000, '[');
  sqlite3_str_appendchar(p, 1000000, ']');
  z = sqlite3_str_finish(p);
  zErr = 0;
  rc = pl_json_batch(pArena, z, (int)strlen(z), &a, &n, &zErr);
  ck_assert_int_eq(rc, SQLITE_ERROR);
  assert_err(zErr, "malformed JSON at line 1, column 65 (byte 64): nested more "
                   "than 64 levels deep (fact JSON nests at most 6)");
  sqlite3_free(z);
}
END_TEST

START_TEST(facts_array){
  PlJsonFact *a = 0;
  char *zErr = 0;
  int n = 0;
  const char *zJson =
    "[{\"predicate\": \"is_public\", \"args\": [{\"type\": \"Repo\", \"id\": \"r\"},"
    " {\"type\": \"Boolean\", \"id\": \"true\"}]}]";
  ck_assert_int_eq(pl_json_facts(pArena, zJson, -1, &a, &n, &zErr), SQLITE_OK);
  ck_assert_int_eq(n, 1);
  assert_str(a[0].zPred, a[0].nPred, "is_public", 9);
  ck_assert_int_eq(a[0].nArg, 2);
  assert_str(a[0].azId[1], a[0].anId[1], "true", 4);
  ck_assert_int_eq(pl_json_facts(pArena, "[]", 2, &a, &n, &zErr), SQLITE_OK);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(pl_json_facts(pArena, "{}", 2, &a, &n, &zErr), SQLITE_ERROR);
  assert_err(zErr, "facts: expected an array of facts");
  zErr = 0;
  ck_assert_int_eq(pl_json_facts(pArena, "7", 1, &a, &n, &zErr), SQLITE_ERROR);
  assert_err(zErr, "facts: expected a JSON array of facts");
  zErr = 0;
  ck_assert_int_eq(pl_json_facts(pArena, "[{\"predicate\": \"p\", \"args\": [1]}]",
                                 -1, &a, &n, &zErr), SQLITE_ERROR);
  assert_err(zErr, "facts[0].args[0]: expected an argument "
                   "{\"type\": \"...\", \"id\": \"...\"}");
  zErr = 0;
  ck_assert_int_eq(pl_json_facts(pArena, "[", 1, &a, &n, &zErr), SQLITE_ERROR);
  assert_err_has(zErr, "malformed JSON");
}
END_TEST

static Suite *json_suite(void){
  Suite *s = suite_create("json");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);   /* batch_large under valgrind/sanitizers */
  tcase_add_test(tc, batch_shape);
  tcase_add_test(tc, batch_fast_edges);
  tcase_add_test(tc, batch_unescape);
  tcase_add_test(tc, batch_primitive_ids);
  tcase_add_test(tc, batch_wrong_shapes);
  tcase_add_test(tc, batch_malformed);
  tcase_add_test(tc, batch_large);
  tcase_add_test(tc, facts_array);
  suite_add_tcase(s, tc);
  return s;
}

int main(void){
  SRunner *sr = srunner_create(json_suite());
  int nFail;
  srunner_run_all(sr, CK_NORMAL);
  nFail = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nFail==0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
