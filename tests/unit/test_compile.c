/*
** test_compile.c — compile.c: the SQL shapes the compiler chooses, and the
** answers that SQL gives on facts written straight into the fact tables
** (no extension functions involved).
*/
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pl_int.h"

static sqlite3 *db;
static PlPolicy *pPol;

static const char *zFolders =
  "actor User {}\n"
  "resource Folder {\n"
  "  roles = [\"viewer\", \"editor\"];\n"
  "  permissions = [\"read\", \"write\"];\n"
  "  relations = { parent: Folder };\n"
  "  role if role on \"parent\";\n"
  "  \"viewer\" if \"editor\";\n"
  "  \"read\" if \"viewer\";\n"
  "  \"write\" if \"editor\";\n"
  "}\n";

static void load(const char *zSrc){
  char *zErr = 0;
  int rc;
  ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
  rc = pl_policy_new(zSrc, -1, "t.polar", 0, &pPol, &zErr);
  ck_assert_msg(rc==SQLITE_OK, "policy: %s", zErr ? zErr : "?");
  ck_assert_int_eq(pl_store_init(db, &zErr), SQLITE_OK);
  ck_assert_int_eq(pl_store_ensure_tables(db, pPol, &zErr), SQLITE_OK);
}

static void unload(void){
  pl_policy_free(pPol);
  pPol = 0;
  sqlite3_close(db);
  db = 0;
}

/* Store a fact of arity 3, values in storage encoding ('Type:id'). */
static void fact(const char *zPred, const char *a1, const char *a2, const char *a3){
  char *zTab = pl_store_table_name(zPred, 3);
  char *zSql = sqlite3_mprintf("INSERT INTO \"%w\" VALUES(%Q,%Q,%Q)", zTab, a1, a2, a3);
  char *zErr = 0;
  ck_assert_msg(sqlite3_exec(db, zSql, 0, 0, &zErr)==SQLITE_OK, "%s: %s", zSql, zErr);
  sqlite3_free(zSql);
  sqlite3_free(zTab);
}

static PlGoalArg param(const char *zType, int iParam, const char *zKnown){
  PlGoalArg g;
  memset(&g, 0, sizeof(g));
  g.eKind = PL_GA_PARAM;
  g.iType = strcmp(zType, "String")==0 ? PL_TYPE_STRING : pl_policy_find_type(pPol, zType, -1);
  ck_assert_int_ge(g.iType, 0);
  g.iParam = iParam;
  g.zKnown = zKnown;
  g.nKnown = zKnown ? (int)strlen(zKnown) : 0;
  return g;
}

static PlGoalArg open_arg(const char *zType){
  PlGoalArg g;
  memset(&g, 0, sizeof(g));
  g.eKind = PL_GA_OPEN;
  if( zType ) pl_ts_add(&g.ts, pl_policy_find_type(pPol, zType, -1));
  else g.ts = pPol->all;
  return g;
}

/* Compiled check for allow(User, action, zType), the action known. */
static char *check_sql(const char *zAction, const char *zType){
  PlGoalArg a[3];
  char *zSql = 0, *zErr = 0;
  int rc;
  a[0] = param("User", 1, 0);
  a[1] = param("String", 2, zAction);
  a[2] = param(zType, 3, 0);
  rc = pl_compile(pPol, 0, "allow", 3, a, 0, 0, &zSql, &zErr);
  ck_assert_msg(rc==SQLITE_OK, "compile: %s", zErr ? zErr : "?");
  return zSql;
}

/* Run a compiled boolean with three bound values. */
static int ask(const char *zExpr, const char *a1, const char *a2, const char *a3){
  sqlite3_stmt *pStmt = 0;
  char *zSql = sqlite3_mprintf("SELECT %s", zExpr);
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0), v;
  ck_assert_msg(rc==SQLITE_OK, "prepare: %s\n%s", sqlite3_errmsg(db), zSql);
  sqlite3_bind_text(pStmt, 1, a1, -1, SQLITE_STATIC);
  sqlite3_bind_text(pStmt, 2, a2, -1, SQLITE_STATIC);
  sqlite3_bind_text(pStmt, 3, a3, -1, SQLITE_STATIC);
  ck_assert_int_eq(sqlite3_step(pStmt), SQLITE_ROW);
  v = sqlite3_column_int(pStmt, 0);
  sqlite3_finalize(pStmt);
  sqlite3_free(zSql);
  return v;
}

/* Rows of a compiled list/query, with ?1 and ?2 bound (NULL: unbound). */
static int count_rows(const char *zSql, const char *a1, const char *a2){
  sqlite3_stmt *pStmt = 0;
  int n = 0;
  ck_assert_msg(sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0)==SQLITE_OK,
                "prepare: %s\n%s", sqlite3_errmsg(db), zSql);
  if( a1 ) sqlite3_bind_text(pStmt, 1, a1, -1, SQLITE_STATIC);
  if( a2 ) sqlite3_bind_text(pStmt, 2, a2, -1, SQLITE_STATIC);
  while( sqlite3_step(pStmt)==SQLITE_ROW ) n++;
  sqlite3_finalize(pStmt);
  return n;
}

static int count_of(const char *zHay, const char *zNeedle){
  int n = 0;
  const char *p;
  for(p=strstr(zHay, zNeedle); p; p=strstr(p+1, zNeedle)) n++;
  return n;
}

/* A bound folder walks up its ancestors (a CTE seeded with the resource),
** cycles terminate, and a role on any ancestor counts. */
START_TEST(walk_up_from_the_resource){
  char *zSql;
  load(zFolders);
  fact("has_relation", "Folder:b", "String:parent", "Folder:a");
  fact("has_relation", "Folder:c", "String:parent", "Folder:b");
  fact("has_relation", "Folder:x", "String:parent", "Folder:y");   /* a cycle */
  fact("has_relation", "Folder:y", "String:parent", "Folder:x");
  fact("has_role", "User:ed", "String:editor", "Folder:a");
  fact("has_role", "User:vi", "String:viewer", "Folder:b");
  zSql = check_sql("read", "Folder");
  ck_assert_msg(strstr(zSql, "WITH RECURSIVE m") && strstr(zSql, "(SELECT ?3 UNION"),
                "expected a walk up seeded with the resource:\n%s", zSql);
  ck_assert_int_eq(ask(zSql, "User:ed", "read", "Folder:c"), 1);
  ck_assert_int_eq(ask(zSql, "User:vi", "read", "Folder:c"), 1);
  ck_assert_int_eq(ask(zSql, "User:vi", "read", "Folder:a"), 0);
  ck_assert_int_eq(ask(zSql, "User:ed", "read", "Folder:x"), 0);
  sqlite3_free(zSql);
  zSql = check_sql("write", "Folder");
  ck_assert_int_eq(ask(zSql, "User:ed", "write", "Folder:c"), 1);
  ck_assert_int_eq(ask(zSql, "User:vi", "write", "Folder:c"), 0);
  sqlite3_free(zSql);
  unload();
}
END_TEST

/* Listing walks down from the actor's roles; the editor closure is not
** computed a second time inside the viewer CTE. */
START_TEST(list_walks_down_once){
  PlGoalArg a[3];
  char *zSql = 0, *zErr = 0;
  load(zFolders);
  fact("has_relation", "Folder:b", "String:parent", "Folder:a");
  fact("has_relation", "Folder:c", "String:parent", "Folder:b");
  fact("has_relation", "Folder:a", "String:parent", "Folder:c");   /* a cycle */
  fact("has_role", "User:ed", "String:editor", "Folder:a");
  a[0] = param("User", 1, 0);
  a[1] = param("String", 2, "read");
  a[2] = open_arg("Folder");
  ck_assert_int_eq(pl_compile(pPol, 0, "allow", 3, a, 1, 0, &zSql, &zErr), SQLITE_OK);
  ck_assert_msg(count_of(zSql, "WITH RECURSIVE")==1, "one CTE expected:\n%s", zSql);
  ck_assert_int_eq(count_rows(zSql, "User:ed", "read"), 3);
  sqlite3_free(zSql);
  unload();
}
END_TEST

/* A role implied by a permission it grants: has_role and has_permission
** recurse through each other; with the action open it still compiles to
** one statement with the right answers. */
START_TEST(mutual_recursion){
  PlGoalArg a[3];
  char *zSql = 0, *zErr = 0;
  int rc;
  load("actor User {}\n"
       "resource Item {\n"
       "  roles = [\"viewer\", \"owner\"];\n"
       "  permissions = [\"read\", \"delete\", \"restore\"];\n"
       "  relations = { parent: Item };\n"
       "  role if role on \"parent\";\n"
       "  \"read\" if \"viewer\";\n"
       "  \"viewer\" if \"owner\";\n"
       "  \"delete\" if \"owner\";\n"
       "  \"restore\" if \"delete\";\n"
       "  \"owner\" if \"restore\";\n"
       "}\n");
  fact("has_relation", "Item:b", "String:parent", "Item:a");
  fact("has_permission", "User:u", "String:restore", "Item:a");
  a[0] = param("User", 1, 0);
  a[1] = open_arg(0);
  a[2] = param("Item", 2, 0);
  rc = pl_compile(pPol, 0, "allow", 3, a, 1, 0, &zSql, &zErr);
  ck_assert_msg(rc==SQLITE_OK, "compile: %s", zErr ? zErr : "?");
  ck_assert_int_eq(count_rows(zSql, "User:u", "Item:b"), 3);  /* read, delete, restore */
  sqlite3_free(zSql);
  unload();
}
END_TEST

/* The same grant reached along two paths is emitted once. */
START_TEST(duplicate_alternatives_dropped){
  PlGoalArg a[3];
  char *zSql = 0, *zErr = 0;
  load("actor User {}\n"
       "resource Org { roles = [\"admin\", \"member\"]; \"member\" if \"admin\"; }\n"
       "resource Repo {\n"
       "  roles = [\"reader\", \"maintainer\"];\n"
       "  permissions = [\"read\"];\n"
       "  relations = { parent: Org };\n"
       "  \"reader\" if \"member\" on \"parent\";\n"
       "  \"maintainer\" if \"admin\" on \"parent\";\n"
       "  \"reader\" if \"maintainer\";\n"
       "  \"read\" if \"reader\";\n"
       "}\n");
  fact("has_relation", "Repo:r", "String:parent", "Org:o");
  fact("has_relation", "Repo:s", "String:parent", "Org:o");
  fact("has_role", "User:a", "String:admin", "Org:o");
  a[0] = param("User", 1, 0);
  a[1] = param("String", 2, "read");
  a[2] = open_arg("Repo");
  ck_assert_int_eq(pl_compile(pPol, 0, "allow", 3, a, 1, 0, &zSql, &zErr), SQLITE_OK);
  /* admin on the parent grants reader via member and via maintainer: the
  ** same join, emitted once */
  ck_assert_msg(count_of(zSql, "'String:admin'")==1,
                "admin joined %d times:\n%s", count_of(zSql, "'String:admin'"), zSql);
  ck_assert_int_eq(count_rows(zSql, "User:a", 0), 2);
  sqlite3_free(zSql);
  unload();
}
END_TEST

/* Types prune rules at compile time; user values are parameters only. */
START_TEST(types_prune_and_values_are_parameters){
  char *zSql;
  load(zFolders);
  zSql = check_sql("read", "User");      /* no rule grants anything on a User */
  ck_assert_str_eq(zSql, "0");
  sqlite3_free(zSql);
  zSql = check_sql("read", "Folder");
  ck_assert_ptr_null(strstr(zSql, "User:"));
  ck_assert_ptr_nonnull(strstr(zSql, "?1"));
  ck_assert_ptr_nonnull(strstr(zSql, "?3"));
  sqlite3_free(zSql);
  unload();
}
END_TEST

static Suite *suite(void){
  Suite *s = suite_create("compile");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, walk_up_from_the_resource);
  tcase_add_test(tc, list_walks_down_once);
  tcase_add_test(tc, mutual_recursion);
  tcase_add_test(tc, duplicate_alternatives_dropped);
  tcase_add_test(tc, types_prune_and_values_are_parameters);
  suite_add_tcase(s, tc);
  return s;
}

int main(void){
  SRunner *sr = srunner_create(suite());
  int nFail;
  srunner_run_all(sr, CK_NORMAL);
  nFail = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nFail ? EXIT_FAILURE : EXIT_SUCCESS;
}
