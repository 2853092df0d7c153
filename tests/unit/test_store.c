/*
** test_store.c — store.c: schema, the checked fact writer, pattern deletes
** and atomic batches.
*/
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pl_int.h"

static const char *zPolicySrc =
  "actor User {}\n"
  "actor UserGroup {}\n"
  "actor Team {}\n"
  "resource Org {}\n"
  "resource Repo { roles = [\"reader\"]; permissions = [\"read\"];\n"
  "  \"read\" if \"reader\"; }\n"
  "declare has_role(User, String);\n"
  "declare owner(User, Repo);\n"
  "declare owner(UserGroup, Repo);\n"
  "declare owner(String, Repo);\n"
  "declare attr(Repo, Integer);\n"
  "declare flag(Repo, Boolean);\n"
  "declare pair(User, Repo);\n"
  "declare pair(Team, Org);\n"
  "declare note(String, Integer, Boolean, User, Repo);\n"
  "declare tag(String);\n"
  "declare held(User, String, Repo);\n";

static sqlite3 *db;
static PlPolicy *pPol;
static PlStmtCache *pCache;

static PlPolicy *policy(const char *zSrc){
  PlPolicy *p = 0;
  char *zErr = 0;
  int rc = pl_policy_new(zSrc, -1, "t.polar", 0, &p, &zErr);
  ck_assert_msg(rc==SQLITE_OK, "policy: %s", zErr ? zErr : "?");
  return p;
}

static void setup(void){
  char *zErr = 0;
  ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
  pPol = policy(zPolicySrc);
  pCache = pl_cache_new(db);
  ck_assert_int_eq(pl_store_init(db, &zErr), SQLITE_OK);
  ck_assert_int_eq(pl_store_ensure_tables(db, pPol, &zErr), SQLITE_OK);
}

static void teardown(void){
  pl_cache_free(pCache);
  pl_policy_free(pPol);
  sqlite3_close(db);
}

/* Run SQL returning one value as text (sqlite3_mprintf'd; "NULL" for NULL). */
static char *sql1(const char *zSql){
  sqlite3_stmt *pStmt;
  char *z;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  ck_assert_msg(rc==SQLITE_OK, "%s: %s", zSql, sqlite3_errmsg(db));
  ck_assert_int_eq(sqlite3_step(pStmt), SQLITE_ROW);
  z = sqlite3_column_type(pStmt, 0)==SQLITE_NULL ? sqlite3_mprintf("NULL")
    : sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
  sqlite3_finalize(pStmt);
  return z;
}

static void assert_sql(const char *zSql, const char *zWant){
  char *z = sql1(zSql);
  ck_assert_msg(strcmp(z, zWant)==0, "%s\n  got:  %s\n  want: %s", zSql, z, zWant);
  sqlite3_free(z);
}

/* Every fact table's rows, quoted, in a stable order. */
static char *dump(void){
  sqlite3_stmt *pStmt;
  sqlite3_str *p = sqlite3_str_new(0);
  ck_assert_int_eq(sqlite3_prepare_v2(db,
      "SELECT name FROM sqlite_schema WHERE type='table' AND name LIKE "
      "'polar_f_%' ORDER BY name", -1, &pStmt, 0), SQLITE_OK);
  while( sqlite3_step(pStmt)==SQLITE_ROW ){
    const char *zTab = (const char*)sqlite3_column_text(pStmt, 0);
    char *zSql;
    char *zCols = sqlite3_mprintf("SELECT * FROM \"%w\" LIMIT 0", zTab);
    sqlite3_stmt *pCols;
    int nCol;
    sqlite3_prepare_v2(db, zCols, -1, &pCols, 0);
    nCol = sqlite3_column_count(pCols);
    sqlite3_finalize(pCols);
    sqlite3_free(zCols);
    {
      sqlite3_str *pE = sqlite3_str_new(0);
      char *zExpr, *zRows;
      int i;
      for(i=1; i<=nCol; i++) sqlite3_str_appendf(pE, "%squote(a%d)", i>1 ? "||','||" : "", i);
      zExpr = sqlite3_str_finish(pE);
      zSql = sqlite3_mprintf("SELECT coalesce(group_concat(r, ';'), '') FROM "
          "(SELECT %s AS r FROM \"%w\" ORDER BY 1)", zExpr, zTab);
      zRows = sql1(zSql);
      sqlite3_str_appendf(p, "%s[%s]\n", zTab, zRows);
      sqlite3_free(zRows);
      sqlite3_free(zSql);
      sqlite3_free(zExpr);
    }
  }
  sqlite3_finalize(pStmt);
  return sqlite3_str_finish(p);
}

/* Values from SQL spellings; NULL entries are SQL NULL (wildcards). */
static sqlite3_value *apKeep[16];
static int nKeep;
static void vals(const PlPolicy *pP, const char *zPred, int n, const char **az,
                 int bPattern, PlValue *aVal){
  int k;
  for(k=0; k<n; k++){
    sqlite3_stmt *pStmt;
    PlTypeSet ts = pl_policy_arg_types(pP, zPred, n, k);
    char *zErr = 0;
    int rc;
    sqlite3_prepare_v2(db, "SELECT ?1", -1, &pStmt, 0);
    if( az[k] ) sqlite3_bind_text(pStmt, 1, az[k], -1, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(pStmt), SQLITE_ROW);
    ck_assert_int_lt(nKeep, 16);
    apKeep[nKeep] = sqlite3_value_dup(sqlite3_column_value(pStmt, 0));
    sqlite3_finalize(pStmt);
    rc = pl_value_from_sql(pP, apKeep[nKeep], &ts, bPattern, "argument", &aVal[k], &zErr);
    ck_assert_msg(rc==SQLITE_OK, "%s", zErr ? zErr : "?");
    nKeep++;
  }
}
static void vals_free(void){
  int i;
  for(i=0; i<nKeep; i++) sqlite3_value_free(apKeep[i]);
  nKeep = 0;
}

static int ins(const char *zPred, int n, const char **az, char **pzErr){
  PlValue aVal[PL_MAX_ARGS];
  int bNew = -1, rc;
  vals(pPol, zPred, n, az, 0, aVal);
  rc = pl_store_insert(db, pCache, pPol, zPred, n, aVal, &bNew, pzErr);
  vals_free();
  return rc==SQLITE_OK ? bNew : -1;
}

static int del(const PlPolicy *pP, const char *zPred, int n, const char **az,
               char **pzErr){
  PlValue aVal[PL_MAX_ARGS];
  int nDel = -1, rc;
  vals(pP, zPred, n, az, 1, aVal);
  rc = pl_store_delete(db, pCache, pP, zPred, n, aVal, &nDel, pzErr);
  vals_free();
  return rc==SQLITE_OK ? nDel : -1;
}

#define INS(P, ...) do{ const char *az_[] = {__VA_ARGS__}; char *e_ = 0; \
  int r_ = ins(P, (int)(sizeof(az_)/sizeof(az_[0])), az_, &e_); \
  ck_assert_msg(r_>=0, "insert %s: %s", P, e_ ? e_ : "?"); }while(0)

static void assert_err(char *zErr, const char *zWant){
  ck_assert_ptr_nonnull(zErr);
  ck_assert_str_eq(zErr, zWant);
  sqlite3_free(zErr);
}

/*------------------------------------------------------------- schema ----*/

START_TEST(init_schema){
  char *zErr = 0;
  assert_sql("SELECT value FROM polar_meta WHERE key='policy_version'", "0");
  assert_sql("SELECT count(*) FROM polar_policy", "0");
  ck_assert_int_eq(pl_store_init(db, &zErr), SQLITE_OK);      /* idempotent */
  ck_assert_int_eq(pl_store_ensure_tables(db, pPol, &zErr), SQLITE_OK);
  assert_sql("SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema "
             "WHERE type='table' AND name LIKE 'polar_f_%' ORDER BY name)",
             "polar_f_attr_2 polar_f_flag_2 polar_f_has_role_2 polar_f_has_role_3 polar_f_held_3 "
             "polar_f_note_5 polar_f_owner_2 polar_f_pair_2 polar_f_tag_1");
  assert_sql("SELECT sql LIKE '%WITHOUT ROWID' FROM sqlite_schema "
             "WHERE name='polar_f_note_5'", "1");
  /* every argument leads one index: rotations */
  assert_sql("SELECT group_concat(name, ' ') FROM (SELECT name FROM pragma_index_info("
             "'polar_f_has_role_3_i1') ORDER BY seqno)", "a2 a3 a1");
  assert_sql("SELECT group_concat(name, ' ') FROM (SELECT name FROM pragma_index_info("
             "'polar_f_has_role_3_i2') ORDER BY seqno)", "a3 a1 a2");
  assert_sql("SELECT group_concat(name, ' ') FROM (SELECT name FROM pragma_index_info("
             "'polar_f_owner_2_i1') ORDER BY seqno)", "a2 a1");
  assert_sql("SELECT group_concat(name, ' ') FROM (SELECT name FROM pragma_index_info("
             "'polar_f_note_5_i4') ORDER BY seqno)", "a5 a1 a2 a3 a4");
  assert_sql("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'polar_f_note_5_i%'", "4");
  assert_sql("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'polar_f_tag_1_i%'", "0");
}
END_TEST

/* An initialised database opened read-only: init and ensure never write. */
START_TEST(init_read_only){
  char zPath[] = "/tmp/pl_test_storeXXXXXX";
  sqlite3 *db2;
  char *zErr = 0;
  int fd = mkstemp(zPath);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ck_assert_int_eq(sqlite3_open(zPath, &db2), SQLITE_OK);
  ck_assert_int_eq(pl_store_init(db2, &zErr), SQLITE_OK);
  ck_assert_int_eq(pl_store_ensure_tables(db2, pPol, &zErr), SQLITE_OK);
  sqlite3_close(db2);
  ck_assert_int_eq(sqlite3_open_v2(zPath, &db2, SQLITE_OPEN_READONLY, 0), SQLITE_OK);
  ck_assert_int_eq(pl_store_init(db2, &zErr), SQLITE_OK);
  ck_assert_int_eq(pl_store_ensure_tables(db2, pPol, &zErr), SQLITE_OK);
  sqlite3_close(db2);
  unlink(zPath);
}
END_TEST

/*------------------------------------------------------------- insert ----*/

START_TEST(insert_and_encoding){
  const char *az[] = {"User:alice", "reader", "Repo:anvil"};
  char *zErr = 0;
  ck_assert_int_eq(ins("has_role", 3, az, &zErr), 1);
  ck_assert_int_eq(ins("has_role", 3, az, &zErr), 0);        /* already there */
  assert_sql("SELECT a1||'|'||a2||'|'||a3 FROM polar_f_has_role_3",
             "User:alice|String:reader|Repo:anvil");
  INS("attr", "Repo:anvil", "Integer:42");
  assert_sql("SELECT typeof(a2)||a2 FROM polar_f_attr_2", "integer42");
  INS("flag", "Repo:anvil", "Boolean:true");
  assert_sql("SELECT a2 FROM polar_f_flag_2", "Boolean:true");
  /* String-only position: 'Org:acme' is an Org value, by the one rule
  ** (refused there); 'String:Org:acme' is the text, and so is 'repo:read'
  ** (repo is no type) */
  {
    const char *az[] = {"User:bob", "Org:acme"};
    char *zE = 0;
    ck_assert_int_eq(ins("has_role", 2, az, &zE), -1);
    assert_err(zE, "has_role(User, Org) matches no fact signature of the policy: "
                   "argument 2 is Org, where has_role/2 takes String (for the text "
                   "'Org:acme', write 'String:Org:acme'); accepted: has_role(User, String)");
  }
  INS("has_role", "User:bob", "String:Org:acme");
  INS("has_role", "User:bob", "repo:read");
  assert_sql("SELECT group_concat(a2, ' ') FROM (SELECT a2 FROM polar_f_has_role_2 ORDER BY 1)",
             "String:Org:acme String:repo:read");
  /* mixed position (User|UserGroup|String): explicit String: */
  INS("owner", "String:User:carol", "Repo:anvil");
  INS("owner", "User:carol", "Repo:anvil");
  assert_sql("SELECT group_concat(a1, ' ') FROM (SELECT a1 FROM polar_f_owner_2 ORDER BY 1)",
             "String:User:carol User:carol");
  INS("note", "n", "Integer:1", "Boolean:false", "User:u", "Repo:r");
  assert_sql("SELECT count(*) FROM polar_f_note_5", "1");
}
END_TEST

START_TEST(insert_errors){
  PlValue aVal[6];
  char *zErr = 0;
  int bNew;
  {
    const char *az[] = {"User:a", "b"};
    ck_assert_int_eq(ins("foo", 2, az, &zErr), -1);
    assert_err(zErr, "unknown predicate 'foo' with 2 arguments: no rule in "
                     "the policy reads it");
  }
  {
    const char *az[] = {"User:a"};
    zErr = 0;
    ck_assert_int_eq(ins("has_role", 1, az, &zErr), -1);
    assert_err(zErr, "unknown predicate 'has_role' with 1 argument: no rule in "
                     "the policy reads it (the policy reads 'has_role' with 2 "
                     "or 3 arguments)");
    zErr = 0;
    ck_assert_int_eq(ins("tag", 1, az, &zErr), -1);  /* String-only: a User is refused */
    assert_err(zErr, "tag(User) matches no fact signature of the policy: argument 1 is "
                     "User, where tag/1 takes String (for the text 'User:a', write "
                     "'String:User:a'); accepted: tag(String)");
    zErr = 0;
    ck_assert_int_eq(ins("attr", 1, az, &zErr), -1);
    assert_err(zErr, "unknown predicate 'attr' with 1 argument: no rule in "
                     "the policy reads it (the policy reads 'attr' with 2 "
                     "arguments)");
  }
  {
    const char *az[] = {"Repo:x", "five"};
    zErr = 0;
    ck_assert_int_eq(ins("attr", 2, az, &zErr), -1);
    assert_err(zErr, "attr(Repo, String) matches no fact signature of the "
                     "policy: argument 2 is String, where attr/2 takes "
                     "Integer; accepted: attr(Repo, Integer)");
  }
  {
    const char *az[] = {"User:u", "Org:o"};   /* each position fits some sig */
    zErr = 0;
    ck_assert_int_eq(ins("pair", 2, az, &zErr), -1);
    assert_err(zErr, "pair(User, Org) matches no fact signature of the "
                     "policy; accepted: pair(User, Repo), pair(Team, Org)");
  }
  {
    const char *az[] = {"Team:t", "Repo:r"};
    zErr = 0;
    ck_assert_int_eq(ins("owner", 2, az, &zErr), -1);
    assert_err(zErr, "owner(Team, Repo) matches no fact signature of the "
                     "policy: argument 1 is Team, where owner/2 takes "
                     "String|User|UserGroup; accepted: owner(User, Repo), "
                     "owner(UserGroup, Repo), owner(String, Repo)");
  }
  /* wildcards, arity, no policy */
  {
    const char *az[] = {"User:_", "Repo:r"};
    vals(pPol, "owner", 2, az, 1, aVal);
    zErr = 0;
    ck_assert_int_eq(pl_store_insert(db, pCache, pPol, "owner", 2, aVal, &bNew,
                                     &zErr), SQLITE_ERROR);
    assert_err(zErr, "argument 1 is a wildcard; a stored fact needs a value "
                     "in every position");
    zErr = 0;
    ck_assert_int_eq(pl_store_insert(db, pCache, pPol, "owner", 6, aVal, &bNew,
                                     &zErr), SQLITE_ERROR);
    assert_err(zErr, "a fact has 1 to 5 arguments; 'owner' was given 6");
    zErr = 0;
    ck_assert_int_eq(pl_store_insert(db, pCache, 0, "owner", 2, aVal, &bNew,
                                     &zErr), SQLITE_ERROR);
    assert_err(zErr, "no policy is loaded; load one with polar_load() before "
                     "writing facts");
    vals_free();
  }
  assert_sql("SELECT count(*) FROM polar_f_owner_2", "0");
  assert_sql("SELECT count(*) FROM polar_f_attr_2", "0");
}
END_TEST

/* Hostile ids are stored and read back byte for byte. */
START_TEST(hostile_ids){
  static const char *azId[] = {
    "O'Brien", "\"x\"", "'); DROP TABLE polar_meta; --", "a;b",
    "\xF0\x9F\x98\x80 \xC3\xA9", "%s%n", "\\", "\x01\x02\x7f\xff\xfe",
  };
  char z384[385];
  int i;
  memset(z384, 'z', 384);
  z384[384] = 0;
  for(i=0; i<(int)(sizeof(azId)/sizeof(azId[0]))+1; i++){
    const char *zId = i<(int)(sizeof(azId)/sizeof(azId[0])) ? azId[i] : z384;
    char *zU = sqlite3_mprintf("User:%s", zId);
    char *zR = sqlite3_mprintf("Repo:%s", zId);
    const char *az[] = {zU, zId, zR};
    char *zErr = 0;
    sqlite3_stmt *pStmt;
    int nDel = 0;
    ck_assert_int_eq(ins("held", 3, az, &zErr), 1);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT a1, a2, a3 FROM "
        "polar_f_held_3", -1, &pStmt, 0), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(pStmt), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_bytes(pStmt, 0), 5+(int)strlen(zId));
    ck_assert(memcmp(sqlite3_column_text(pStmt, 0), zU, strlen(zU))==0);
    ck_assert_int_eq(sqlite3_column_bytes(pStmt, 1), 7+(int)strlen(zId));
    ck_assert(memcmp(sqlite3_column_text(pStmt, 1)+7, zId, strlen(zId))==0);
    ck_assert(memcmp(sqlite3_column_text(pStmt, 2), zR, strlen(zR))==0);
    sqlite3_finalize(pStmt);
    nDel = del(pPol, "held", 3, az, &zErr);
    ck_assert_int_eq(nDel, 1);
    assert_sql("SELECT count(*) FROM polar_f_held_3", "0");
    sqlite3_free(zU);
    sqlite3_free(zR);
  }
  assert_sql("SELECT count(*) FROM polar_meta", "1");
}
END_TEST

/*------------------------------------------------------------- delete ----*/

START_TEST(delete_patterns){
  char *zErr = 0;
  INS("owner", "User:a", "Repo:1");
  INS("owner", "User:b", "Repo:1");
  INS("owner", "User:c", "Repo:2");
  INS("owner", "UserGroup:g", "Repo:1");   /* shares "User", not "User:" */
  INS("owner", "String:User:s", "Repo:1");
  INS("owner", "plain", "Repo:1");
  {
    const char *az[] = {"User:zz", "Repo:1"};   /* missing: not an error */
    ck_assert_int_eq(del(pPol, "owner", 2, az, &zErr), 0);
  }
  {
    const char *az[] = {"User:_", "Repo:1"};    /* typed wildcard */
    ck_assert_int_eq(del(pPol, "owner", 2, az, &zErr), 2);
  }
  assert_sql("SELECT group_concat(a1||'@'||a2, ' ') FROM (SELECT * FROM polar_f_owner_2 ORDER BY 1,2)",
             "String:User:s@Repo:1 String:plain@Repo:1 User:c@Repo:2 UserGroup:g@Repo:1");
  {
    const char *az[] = {"String:_", 0};         /* String wildcard, any repo */
    ck_assert_int_eq(del(pPol, "owner", 2, az, &zErr), 2);
  }
  {
    const char *az[] = {0, "Repo:1"};           /* any value */
    ck_assert_int_eq(del(pPol, "owner", 2, az, &zErr), 1);
  }
  assert_sql("SELECT group_concat(a1, ' ') FROM polar_f_owner_2", "User:c");
  {
    const char *az[] = {0, 0};                  /* everything */
    ck_assert_int_eq(del(pPol, "owner", 2, az, &zErr), 1);
  }
  INS("attr", "Repo:1", "Integer:5");
  INS("attr", "Repo:1", "Integer:-5");
  INS("attr", "Repo:2", "Integer:7");
  {
    const char *az[] = {"Repo:1", "Integer:_"}; /* Integer wildcard */
    ck_assert_int_eq(del(pPol, "attr", 2, az, &zErr), 2);
  }
  INS("flag", "Repo:1", "Boolean:true");
  INS("flag", "Repo:2", "Boolean:false");
  {
    const char *az[] = {"Repo:_", "Boolean:_"};
    ck_assert_int_eq(del(pPol, "flag", 2, az, &zErr), 2);
  }
  {
    /* no signature accepts it, and no fact matches: deletes are not held
    ** to the signatures (they reach facts an older policy stored) */
    const char *az[] = {"Repo:_", "String:x"};
    ck_assert_int_eq(del(pPol, "attr", 2, az, &zErr), 0);
    zErr = 0;
    ck_assert_int_eq(del(pPol, "atr", 2, az, &zErr), -1);
    assert_err(zErr, "unknown predicate 'atr' with 2 arguments: no rule in "
                     "the policy reads it; did you mean 'attr'?");
  }
  assert_sql("SELECT count(*) FROM polar_f_attr_2", "1");
}
END_TEST

/* Facts of a predicate the new policy no longer reads can still be deleted. */
START_TEST(delete_stale_table){
  PlPolicy *pNew = policy("actor User {}\ndeclare other(User);\n");
  char *zErr = 0;
  INS("tag", "t1");
  INS("tag", "t2");
  {
    const char *az[] = {"t1"};
    ck_assert_int_eq(del(pNew, "tag", 1, az, &zErr), 1);
    ck_assert_int_eq(del(pNew, "gone", 1, az, &zErr), -1);
    assert_err(zErr, "unknown predicate 'gone' with 1 argument: no rule in "
                     "the policy reads it");
  }
  assert_sql("SELECT a1 FROM polar_f_tag_1", "String:t2");
  pl_policy_free(pNew);
}
END_TEST

/*------------------------------------------------------------- batch -----*/

static int batch(const char *zJson, int *pn, char **pzErr){
  return pl_store_batch(db, pCache, pPol, zJson, (int)strlen(zJson), pn, pzErr);
}

START_TEST(batch_applies){
  char *zErr = 0;
  int n = -1;
  ck_assert_int_eq(batch(
    "[{\"inserts\": ["
    "   {\"predicate\": \"owner\", \"args\": [{\"type\": \"User\", \"id\": \"a\"},"
    "                                        {\"type\": \"Repo\", \"id\": \"1\"}]},"
    "   {\"predicate\": \"owner\", \"args\": [{\"type\": \"User\", \"id\": \"b\"},"
    "                                        {\"type\": \"Repo\", \"id\": \"1\"}]},"
    "   {\"predicate\": \"attr\", \"args\": [{\"type\": \"Repo\", \"id\": \"1\"},"
    "                                       {\"type\": \"Integer\", \"id\": 12}]},"
    "   {\"predicate\": \"owner\", \"args\": [{\"type\": \"User\", \"id\": \"a\"},"
    "                                        {\"type\": \"Repo\", \"id\": \"1\"}]}]},"
    " {\"deletes\": ["
    "   {\"predicate\": \"owner\", \"args\": [{\"type\": \"User\", \"id\": null},"
    "                                        {\"type\": null, \"id\": null}]},"
    "   {\"predicate\": \"attr\", \"args\": [{\"type\": \"Repo\", \"id\": \"9\"},"
    "                                       {\"type\": \"Integer\", \"id\": \"1\"}]}]},"
    " {\"inserts\": ["
    "   {\"predicate\": \"owner\", \"args\": [{\"type\": \"String\", \"id\": \"User:x\"},"
    "                                        {\"type\": \"Repo\", \"id\": \"2\"}]}]}]",
    &n, &zErr), SQLITE_OK);
  ck_assert_ptr_null(zErr);
  ck_assert_int_eq(n, 3 + 2 + 1);     /* 3 new, 2 deleted, 1 new */
  assert_sql("SELECT group_concat(a1||'@'||a2, ' ') FROM polar_f_owner_2",
             "String:User:x@Repo:2");
  assert_sql("SELECT typeof(a2)||a2 FROM polar_f_attr_2", "integer12");
  ck_assert_int_eq(batch("[]", &n, &zErr), SQLITE_OK);
  ck_assert_int_eq(n, 0);
}
END_TEST

/* A bad fact anywhere, even in the last changeset, leaves nothing behind. */
START_TEST(batch_atomic){
  char *zBefore, *zAfter, *zErr = 0;
  int n = -1;
  INS("owner", "User:keep", "Repo:1");
  INS("attr", "Repo:1", "Integer:3");
  zBefore = dump();
  ck_assert_int_eq(batch(
    "[{\"inserts\": [{\"predicate\": \"owner\", \"args\": [{\"type\": \"User\", \"id\": \"n\"},"
    "                {\"type\": \"Repo\", \"id\": \"1\"}]}]},"
    " {\"deletes\": [{\"predicate\": \"owner\", \"args\": [{\"type\": null, \"id\": null},"
    "                {\"type\": null, \"id\": null}]},"
    "                {\"predicate\": \"attr\", \"args\": [{\"type\": \"Repo\", \"id\": \"1\"},"
    "                {\"type\": \"Integer\", \"id\": null}]}]},"
    " {\"inserts\": [{\"predicate\": \"tag\", \"args\": [{\"type\": \"String\", \"id\": \"ok\"}]},"
    "                {\"predicate\": \"owner\", \"args\": [{\"type\": \"Usr\", \"id\": \"x\"},"
    "                {\"type\": \"Repo\", \"id\": \"1\"}]}]}]", &n, &zErr), SQLITE_ERROR);
  assert_err(zErr, "batch[2].inserts[1]: argument 1: unknown type 'Usr'; did you mean 'User'?");
  zAfter = dump();
  ck_assert_str_eq(zBefore, zAfter);
  sqlite3_free(zAfter);

  zErr = 0;
  ck_assert_int_eq(batch(
    "[{\"inserts\": [{\"predicate\": \"tag\", \"args\": [{\"type\": \"String\", \"id\": \"ok\"}]}]},"
    " {\"deletes\": [{\"predicate\": \"owner\", \"args\": [{\"type\": \"User\", \"id\": \"keep\"},"
    "                {\"type\": null, \"id\": \"1\"}]}]}]", &n, &zErr), SQLITE_ERROR);
  assert_err(zErr, "batch[1].deletes[0]: argument 2 has an id but a null type; "
                   "give the type, or null for both (any value)");
  zErr = 0;
  ck_assert_int_eq(batch(
    "[{\"inserts\": [{\"predicate\": \"owner\", \"args\": [{\"type\": \"User\", \"id\": null},"
    "                {\"type\": \"Repo\", \"id\": \"1\"}]}]}]", &n, &zErr), SQLITE_ERROR);
  assert_err(zErr, "batch[0].inserts[0]: argument 1 has a null id; a fact needs "
                   "a type and an id (null is a wildcard, allowed only in deletes)");
  zErr = 0;
  ck_assert_int_eq(batch(
    "[{\"inserts\": [{\"predicate\": \"nope\", \"args\": [{\"type\": \"User\", \"id\": \"u\"}]}]}]",
    &n, &zErr), SQLITE_ERROR);
  assert_err(zErr, "batch[0].inserts[0]: unknown predicate 'nope' with 1 argument: "
                   "no rule in the policy reads it");
  zErr = 0;
  ck_assert_int_eq(batch(
    "[{\"inserts\": [{\"predicate\": \"attr\", \"args\": [{\"type\": \"Repo\", \"id\": \"1\"},"
    "                {\"type\": \"Integer\", \"id\": \"x\"}]}]}]", &n, &zErr), SQLITE_ERROR);
  assert_err(zErr, "batch[0].inserts[0]: argument 2: 'x' is not a 64-bit integer");
  zErr = 0;
  ck_assert_int_eq(batch("[{\"inserts\": [}]", &n, &zErr), SQLITE_ERROR);
  assert_err(zErr, "malformed JSON at line 1, column 15 (byte 14): expected a value");
  zErr = 0;
  {
    char z[600];
    char zId[386];
    memset(zId, 'q', 385);
    zId[385] = 0;
    sqlite3_snprintf(sizeof(z), z, "[{\"inserts\": [{\"predicate\": \"tag\", \"args\": "
                     "[{\"type\": \"String\", \"id\": \"%s\"}]}]}]", zId);
    ck_assert_int_eq(batch(z, &n, &zErr), SQLITE_ERROR);
    assert_err(zErr, "batch[0].inserts[0]: argument 1 is 385 bytes; the limit is 384");
    zErr = 0;
  }
  zAfter = dump();
  ck_assert_str_eq(zBefore, zAfter);
  sqlite3_free(zAfter);
  sqlite3_free(zBefore);
  ck_assert_int_eq(pl_store_batch(db, pCache, 0, "[]", 2, &n, &zErr), SQLITE_ERROR);
  assert_err(zErr, "no policy is loaded; load one with polar_load() before "
                   "writing facts");
}
END_TEST

/* Inside the caller's transaction a failed batch undoes only itself. */
START_TEST(batch_nested){
  char *zErr = 0;
  int n;
  ck_assert_int_eq(sqlite3_exec(db, "BEGIN", 0, 0, 0), SQLITE_OK);
  INS("tag", "before");
  ck_assert_int_eq(batch(
    "[{\"inserts\": [{\"predicate\": \"tag\", \"args\": [{\"type\": \"String\", \"id\": \"in\"}]},"
    "                {\"predicate\": \"tag\", \"args\": [{\"type\": \"User\", \"id\": \"u\"}]}]}]",
    &n, &zErr), SQLITE_ERROR);
  ck_assert_ptr_nonnull(strstr(zErr, "batch[0].inserts[1]: tag(User) matches no fact signature"));
  sqlite3_free(zErr);
  zErr = 0;
  ck_assert_int_eq(batch(
    "[{\"inserts\": [{\"predicate\": \"tag\", \"args\": [{\"type\": \"String\", \"id\": \"in\"}]}]}]",
    &n, &zErr), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, "COMMIT", 0, 0, 0), SQLITE_OK);
  assert_sql("SELECT group_concat(a1, ' ') FROM (SELECT a1 FROM polar_f_tag_1 ORDER BY 1)",
             "String:before String:in");
}
END_TEST

/* Inserts go many rows per statement: every chunk size, duplicates inside
** one statement and across statements counted once, two tables in one
** changeset, and a delete between two inserts changesets still in order. */
START_TEST(batch_chunks){
  sqlite3_str *p = sqlite3_str_new(0);
  char *zJson, *zErr = 0;
  int i, n = -1;
  sqlite3_str_appendall(p, "[{\"inserts\": [");
  for(i=0; i<200; i++){
    sqlite3_str_appendf(p, "%s{\"predicate\": \"owner\", \"args\": [{\"type\": \"User\", "
                        "\"id\": \"u%d\"}, {\"type\": \"Repo\", \"id\": \"r\"}]},"
                        "{\"predicate\": \"tag\", \"args\": [{\"type\": \"String\", "
                        "\"id\": \"t%d\"}]}", i ? "," : "", i % 127, i);
  }
  sqlite3_str_appendall(p, "]}, {\"deletes\": [{\"predicate\": \"tag\", \"args\": "
                        "[{\"type\": null, \"id\": null}]}]}, {\"inserts\": "
                        "[{\"predicate\": \"tag\", \"args\": [{\"type\": \"String\", "
                        "\"id\": \"t7\"}]}]}]");
  zJson = sqlite3_str_finish(p);
  ck_assert_int_eq(batch(zJson, &n, &zErr), SQLITE_OK);
  ck_assert_int_eq(n, 127 + 200 + 200 + 1);
  assert_sql("SELECT count(*) FROM polar_f_owner_2", "127");
  assert_sql("SELECT group_concat(a1) FROM polar_f_tag_1", "String:t7");
  ck_assert_int_eq(batch(zJson, &n, &zErr), SQLITE_OK);
  ck_assert_int_eq(n, 0 + 199 + 200 + 1);     /* the owners were all there */
  /* fewer rows per statement where the application lowered the number of
  ** parameters a statement may have */
  sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, 7);
  ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM polar_f_owner_2", 0, 0, 0), SQLITE_OK);
  ck_assert_int_eq(batch(zJson, &n, &zErr), SQLITE_OK);
  ck_assert_int_eq(n, 127 + 199 + 200 + 1);
  assert_sql("SELECT count(*) FROM polar_f_owner_2", "127");
  sqlite3_free(zJson);
}
END_TEST

/* Inside a transaction the writes run without a savepoint unless a trigger
** could stop them halfway: a trigger that aborts on the last fact of a batch
** leaves nothing of the batch, and the caller's transaction goes on. */
START_TEST(batch_trigger_guard){
  char *zErr = 0;
  int n = -1;
  /* a batch in a transaction before the trigger exists: no savepoint, and
  ** the answer is kept until the schema changes */
  ck_assert_int_eq(sqlite3_exec(db, "BEGIN", 0, 0, 0), SQLITE_OK);
  ck_assert_int_eq(batch("[{\"inserts\": [{\"predicate\": \"tag\", \"args\": "
                         "[{\"type\": \"String\", \"id\": \"early\"}]}]}]", &n, &zErr), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM polar_f_tag_1; COMMIT", 0, 0, 0), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, "CREATE TEMP TRIGGER no_boom BEFORE INSERT ON "
                   "main.polar_f_tag_1 WHEN new.a1='String:boom' BEGIN "
                   "SELECT RAISE(ABORT, 'boom refused'); END", 0, 0, 0), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, "BEGIN", 0, 0, 0), SQLITE_OK);
  INS("tag", "before");
  ck_assert_int_eq(batch(
    "[{\"inserts\": [{\"predicate\": \"owner\", \"args\": [{\"type\": \"User\", \"id\": \"a\"},"
    "                {\"type\": \"Repo\", \"id\": \"1\"}]}]},"
    " {\"inserts\": [{\"predicate\": \"tag\", \"args\": [{\"type\": \"String\", \"id\": \"x\"}]},"
    "                {\"predicate\": \"tag\", \"args\": [{\"type\": \"String\", \"id\": \"boom\"}]}]}]",
    &n, &zErr), SQLITE_CONSTRAINT);
  assert_err(zErr, "batch[1].inserts[0]: boom refused");
  zErr = 0;
  ck_assert_int_eq(sqlite3_get_autocommit(db), 0);
  ck_assert_int_eq(sqlite3_exec(db, "COMMIT", 0, 0, 0), SQLITE_OK);
  assert_sql("SELECT count(*) FROM polar_f_owner_2", "0");
  assert_sql("SELECT group_concat(a1) FROM polar_f_tag_1", "String:before");
}
END_TEST

/*------------------------------------------------------------- keys ------*/

START_TEST(fact_keys){
  sqlite3_stmt *pStmt;
  sqlite3_value *ap[PL_MAX_ARGS];
  void *pKey;
  int nKey, nDel, k;
  char *zErr = 0;
  INS("note", "it's", "Integer:-1", "Boolean:true", "User:\xff\x01", "Repo:r");
  INS("note", "it's", "Integer:-2", "Boolean:true", "User:\xff\x01", "Repo:r");
  ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT * FROM polar_f_note_5 WHERE a2=-1",
                                      -1, &pStmt, 0), SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(pStmt), SQLITE_ROW);
  for(k=0; k<5; k++) ap[k] = sqlite3_column_value(pStmt, k);
  ck_assert_int_eq(pl_store_fact_key("note", 5, ap, &pKey, &nKey), SQLITE_OK);
  sqlite3_finalize(pStmt);
  ck_assert_int_eq(pl_store_delete_key(db, pCache, pKey, nKey, &nDel, &zErr), SQLITE_OK);
  ck_assert_int_eq(nDel, 1);
  ck_assert_int_eq(pl_store_delete_key(db, pCache, pKey, nKey, &nDel, &zErr), SQLITE_OK);
  ck_assert_int_eq(nDel, 0);
  assert_sql("SELECT a2 FROM polar_f_note_5", "-2");
  ck_assert_int_eq(pl_store_delete_key(db, pCache, pKey, nKey-1, &nDel, &zErr),
                   SQLITE_ERROR);
  assert_err(zErr, "not a polar_facts fact key");
  zErr = 0;
  ck_assert_int_eq(pl_store_delete_key(db, pCache, "x", 1, &nDel, &zErr), SQLITE_ERROR);
  assert_err(zErr, "not a polar_facts fact key");
  sqlite3_free(pKey);
}
END_TEST

static Suite *store_suite(void){
  Suite *s = suite_create("store");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, init_schema);
  tcase_add_test(tc, init_read_only);
  tcase_add_test(tc, insert_and_encoding);
  tcase_add_test(tc, insert_errors);
  tcase_add_test(tc, hostile_ids);
  tcase_add_test(tc, delete_patterns);
  tcase_add_test(tc, delete_stale_table);
  tcase_add_test(tc, batch_applies);
  tcase_add_test(tc, batch_atomic);
  tcase_add_test(tc, batch_nested);
  tcase_add_test(tc, batch_chunks);
  tcase_add_test(tc, batch_trigger_guard);
  tcase_add_test(tc, fact_keys);
  suite_add_tcase(s, tc);
  return s;
}

int main(void){
  SRunner *sr = srunner_create(store_suite());
  int nFail;
  srunner_run_all(sr, CK_NORMAL);
  nFail = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nFail==0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
