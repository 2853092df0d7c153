/*
** test_compile.c — the compiler (ext/compile/): the SQL shapes it chooses
** and the answers that SQL gives, through an engine connection (units run
** through polar_call, which needs one).
*/
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pl_int.h"

static sqlite3 *db;

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

static void exec(const char *zSql){
  char *zErr = 0;
  ck_assert_msg(sqlite3_exec(db, zSql, 0, 0, &zErr)==SQLITE_OK, "%s: %s", zSql, zErr);
}

static void load(const char *zSrc){
  PlConn *c;
  char *zErr = 0;
  int iVersion = 0;
  ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
  ck_assert_int_eq(pl_conn_open(db, &c, &zErr), SQLITE_OK);
  ck_assert_msg(pl_conn_load(c, zSrc, -1, "t.polar", 0, &iVersion, &zErr)==SQLITE_OK,
                "policy: %s", zErr ? zErr : "?");
}

static void unload(void){
  sqlite3_close(db);
  db = 0;
}

/* Store a fact of arity 3 (SQL spelling). */
static void fact(const char *zPred, const char *a1, const char *a2, const char *a3){
  char *z = sqlite3_mprintf("SELECT polar_insert(%Q,%Q,%Q,%Q)", zPred, a1, a2, a3);
  exec(z);
  sqlite3_free(z);
}

/* The one value of a one-row query (text, sqlite3_malloc'd). */
static char *value_of(const char *zSql){
  sqlite3_stmt *pStmt = 0;
  char *z;
  ck_assert_msg(sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0)==SQLITE_OK,
                "prepare: %s\n%s", sqlite3_errmsg(db), zSql);
  ck_assert_msg(sqlite3_step(pStmt)==SQLITE_ROW, "%s: %s", zSql, sqlite3_errmsg(db));
  z = sqlite3_mprintf("%s", (const char*)sqlite3_column_text(pStmt, 0));
  sqlite3_finalize(pStmt);
  return z;
}

static int authorize(const char *zActor, const char *zAction, const char *zRes){
  char *z = sqlite3_mprintf("SELECT authorize(%Q,%Q,%Q)", zActor, zAction, zRes);
  char *v = value_of(z);
  int r = atoi(v);
  sqlite3_free(z);
  sqlite3_free(v);
  return r;
}

static int count_rows(const char *zSql){
  sqlite3_stmt *pStmt = 0;
  int n = 0, rc;
  ck_assert_msg(sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0)==SQLITE_OK,
                "prepare: %s\n%s", sqlite3_errmsg(db), zSql);
  while( (rc = sqlite3_step(pStmt))==SQLITE_ROW ) n++;
  ck_assert_msg(rc==SQLITE_DONE, "%s: %s", zSql, sqlite3_errmsg(db));
  sqlite3_finalize(pStmt);
  return n;
}

static int count_of(const char *zHay, const char *zNeedle){
  int n = 0;
  const char *p;
  for(p=strstr(zHay, zNeedle); p; p=strstr(p+1, zNeedle)) n++;
  return n;
}

/* Recursion is a unit that calls itself through polar_call; cycles in the
** data end; a role on any ancestor counts. */
START_TEST(recursion_is_a_unit){
  char *zSql;
  load(zFolders);
  fact("has_relation", "Folder:b", "parent", "Folder:a");
  fact("has_relation", "Folder:c", "parent", "Folder:b");
  fact("has_relation", "Folder:x", "parent", "Folder:y");   /* a cycle */
  fact("has_relation", "Folder:y", "parent", "Folder:x");
  fact("has_role", "User:ed", "editor", "Folder:a");
  fact("has_role", "User:vi", "viewer", "Folder:b");
  zSql = value_of("SELECT polar_sql('authorize', 'User:ed', 'read', 'Folder:c')");
  ck_assert_msg(count_of(zSql, "polar_call(0, ?1, ")==2 && count_of(zSql, "-- unit 0")==1,
                "expected unit 0 calling itself:\n%s", zSql);
  ck_assert_msg(count_of(zSql, "WITH RECURSIVE")==0, "no recursive CTE:\n%s", zSql);
  sqlite3_free(zSql);
  ck_assert_int_eq(authorize("User:ed", "read", "Folder:c"), 1);
  ck_assert_int_eq(authorize("User:vi", "read", "Folder:c"), 1);
  ck_assert_int_eq(authorize("User:vi", "read", "Folder:a"), 0);
  ck_assert_int_eq(authorize("User:ed", "read", "Folder:x"), 0);
  ck_assert_int_eq(authorize("User:ed", "write", "Folder:c"), 1);
  ck_assert_int_eq(authorize("User:vi", "write", "Folder:c"), 0);
  unload();
}
END_TEST

/* Listing walks down from the actor's roles, through a cycle. */
START_TEST(list_walks_down){
  load(zFolders);
  fact("has_relation", "Folder:b", "parent", "Folder:a");
  fact("has_relation", "Folder:c", "parent", "Folder:b");
  fact("has_relation", "Folder:a", "parent", "Folder:c");   /* a cycle */
  fact("has_relation", "Folder:z", "parent", "Folder:q");
  fact("has_role", "User:ed", "editor", "Folder:a");
  ck_assert_int_eq(count_rows("SELECT id FROM polar_list('User:ed', 'read', 'Folder')"), 3);
  ck_assert_int_eq(count_rows("SELECT id FROM polar_list('User:ed', 'write', 'Folder')"), 3);
  ck_assert_int_eq(count_rows("SELECT id FROM polar_list('User:zz', 'read', 'Folder')"), 0);
  unload();
}
END_TEST

/* A chain deeper than evaluations nest (call.c defers the deep calls): a
** role at the root reaches a folder 3000 levels down, both ways. */
START_TEST(deep_chain){
  int i;
  load(zFolders);
  exec("BEGIN");
  for(i=1; i<=3000; i++){
    char zC[32], zP[32];
    sqlite3_snprintf(sizeof(zC), zC, "Folder:f%d", i);
    sqlite3_snprintf(sizeof(zP), zP, "Folder:f%d", i-1);
    fact("has_relation", zC, "parent", zP);
  }
  exec("COMMIT");
  fact("has_role", "User:ed", "editor", "Folder:f0");
  ck_assert_int_eq(authorize("User:ed", "write", "Folder:f3000"), 1);
  ck_assert_int_eq(authorize("User:no", "write", "Folder:f3000"), 0);
  ck_assert_int_eq(count_rows("SELECT id FROM polar_list('User:ed', 'read', 'Folder')"), 3001);
  unload();
}
END_TEST

/* A role implied by a permission it grants: has_role and has_permission
** recurse through each other; with the action open it still answers. */
START_TEST(mutual_recursion){
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
  fact("has_relation", "Item:b", "parent", "Item:a");
  fact("has_permission", "User:u", "restore", "Item:a");
  ck_assert_int_eq(count_rows("SELECT action FROM polar_actions('User:u', 'Item:b')"), 3);
  ck_assert_int_eq(authorize("User:u", "read", "Item:b"), 1);
  ck_assert_int_eq(authorize("User:v", "read", "Item:b"), 0);
  unload();
}
END_TEST

/* Roles that imply each other are one IN list; two rules asking roles of
** the same relation are one join. */
START_TEST(implications_folded){
  char *zSql;
  load("actor User {}\n"
       "resource Org { roles = [\"admin\", \"member\"]; \"member\" if \"admin\"; }\n"
       "resource Repo {\n"
       "  roles = [\"reader\", \"writer\", \"maintainer\"];\n"
       "  permissions = [\"read\"];\n"
       "  relations = { parent: Org };\n"
       "  \"reader\" if \"member\" on \"parent\";\n"
       "  \"maintainer\" if \"admin\" on \"parent\";\n"
       "  \"reader\" if \"writer\";\n"
       "  \"writer\" if \"maintainer\";\n"
       "  \"read\" if \"reader\";\n"
       "}\n");
  fact("has_relation", "Repo:r", "parent", "Org:o");
  fact("has_relation", "Repo:s", "parent", "Org:o");
  fact("has_role", "User:a", "admin", "Org:o");
  fact("has_role", "User:w", "writer", "Repo:r");
  zSql = value_of("SELECT polar_sql('authorize', 'User:a', 'read', 'Repo:r')");
  ck_assert_msg(count_of(zSql, "(+t1.a2='String:maintainer' OR +t1.a2='String:reader' OR +t1.a2='String:writer')")==1,
                "one label set for the Repo roles:\n%s", zSql);
  ck_assert_msg(count_of(zSql, "'String:parent'")==1, "one join to the parent:\n%s", zSql);
  ck_assert_msg(count_of(zSql, "(+t3.a2='String:admin' OR +t3.a2='String:member')")==1,
                "one label set for the Org roles:\n%s", zSql);
  sqlite3_free(zSql);
  ck_assert_int_eq(authorize("User:a", "read", "Repo:r"), 1);
  ck_assert_int_eq(authorize("User:w", "read", "Repo:r"), 1);
  ck_assert_int_eq(authorize("User:w", "read", "Repo:s"), 0);
  ck_assert_int_eq(count_rows("SELECT id FROM polar_list('User:a', 'read', 'Repo')"), 2);
  unload();
}
END_TEST

/* A K-level hierarchy: SQL grows linearly with K (the same increment per
** level), and the deepest level still answers. */
static char *k_policy(int K){
  sqlite3_str *s = sqlite3_str_new(0);
  int i;
  sqlite3_str_appendall(s, "actor User {}\nactor Group {}\n");
  for(i=0; i<K; i++){
    sqlite3_str_appendf(s, "resource R%d {\n  roles = [\"viewer\", \"editor\", \"admin\"];\n"
                        "  permissions = [\"read\", \"write\"];\n", i);
    if( i>0 ) sqlite3_str_appendf(s, "  relations = { parent: R%d };\n"
                                  "  \"viewer\" if \"viewer\" on \"parent\";\n"
                                  "  \"editor\" if \"editor\" on \"parent\";\n"
                                  "  \"admin\" if \"admin\" on \"parent\";\n", i-1);
    sqlite3_str_appendall(s, "  \"viewer\" if \"editor\";\n  \"editor\" if \"admin\";\n"
                          "  \"read\" if \"viewer\";\n  \"write\" if \"editor\";\n}\n");
  }
  sqlite3_str_appendall(s, "has_role(u: User, role: String, r: Resource) if\n"
                        "  g matches Group and has_group(u, g) and has_role(g, role, r);\n"
                        "has_group(u: User, g: Group) if\n"
                        "  h matches Group and has_group(u, h) and has_group(h, g);\n");
  return sqlite3_str_finish(s);
}

/* A chain of resource types deeper than the compiler nests (PL_SOLVE_DEPTH,
** plan.c) is an error that says so, not a stack overflow; one well inside
** it compiles and answers. */
START_TEST(deep_unfolding_bounded){
  static const int aK[] = { 40, 90 };
  int i;
  for(i=0; i<2; i++){
    char *zPol = k_policy(aK[i]), *zQ;
    sqlite3_stmt *pStmt = 0;
    int rc;
    load(zPol);
    zQ = sqlite3_mprintf("SELECT authorize('User:u', 'read', 'R%d:x')", aK[i]-1);
    ck_assert_int_eq(sqlite3_prepare_v2(db, zQ, -1, &pStmt, 0), SQLITE_OK);
    rc = sqlite3_step(pStmt);
    if( i==0 ){
      ck_assert_msg(rc==SQLITE_ROW, "K=%d: %s", aK[i], sqlite3_errmsg(db));
      ck_assert_int_eq(sqlite3_column_int(pStmt, 0), 0);
    }else{
      ck_assert_int_eq(rc, SQLITE_ERROR);
      ck_assert_msg(strstr(sqlite3_errmsg(db), "unfolds rules into each other more than 200 deep"),
                    "K=%d: %s", aK[i], sqlite3_errmsg(db));
    }
    sqlite3_finalize(pStmt);
    sqlite3_free(zQ);
    unload();
    sqlite3_free(zPol);
  }
}
END_TEST

START_TEST(size_linear_in_depth){
  int K, aBytes[13];
  for(K=1; K<=12; K++){
    char *zPol = k_policy(K), *zQ, *zSql;
    load(zPol);
    zQ = sqlite3_mprintf("SELECT polar_sql('authorize', 'User:u', 'read', 'R%d:x')", K-1);
    zSql = value_of(zQ);
    aBytes[K] = (int)strlen(zSql);
    sqlite3_free(zQ);
    sqlite3_free(zSql);
    if( K==12 ){
      char zR[32];
      int i;
      for(i=1; i<K; i++){
        char zC[32], zP[32];
        sqlite3_snprintf(sizeof(zC), zC, "R%d:x", i);
        sqlite3_snprintf(sizeof(zP), zP, "R%d:x", i-1);
        fact("has_relation", zC, "parent", zP);
      }
      exec("SELECT polar_insert('has_group', 'User:u', 'Group:g1')");
      exec("SELECT polar_insert('has_group', 'Group:g1', 'Group:g2')");
      fact("has_role", "Group:g2", "admin", "R0:x");
      sqlite3_snprintf(sizeof(zR), zR, "R%d:x", K-1);
      ck_assert_int_eq(authorize("User:u", "write", zR), 1);
      ck_assert_int_eq(authorize("User:v", "write", zR), 0);
    }
    unload();
    sqlite3_free(zPol);
  }
  /* linear: the last levels add what the middle ones did */
  ck_assert_msg(aBytes[12]-aBytes[11] <= 2*(aBytes[7]-aBytes[6]) + 200,
                "SQL bytes grow faster than linearly: K=6 %d, 7 %d, 11 %d, 12 %d",
                aBytes[6], aBytes[7], aBytes[11], aBytes[12]);
  ck_assert_msg(aBytes[12] < 16000, "K=12: %d bytes", aBytes[12]);
}
END_TEST

/* A variable only `not` reads, left unbound by a global role: with no fact
** to exclude, the wildcard stands ('*'); else it ranges over the stored
** values of its type (lists enumerate what the database knows). */
START_TEST(unbound_negation){
  load("actor User {}\n"
       "global { roles = [\"superadmin\"]; }\n"
       "resource Project {\n"
       "  permissions = [\"delete\"];\n"
       "  \"delete\" if global \"superadmin\";\n"
       "}\n"
       "allow(a, x, r) if has_permission(a, x, r) and not is_archived(r);\n"
       "has_permission(_: User, \"view\", p: Project) if is_listed(p);\n");
  exec("SELECT polar_insert('has_role', 'User:root', 'superadmin')");
  exec("SELECT polar_insert('is_listed', 'Project:new')");
  /* nothing archived: every Project qualifies, the wildcard stands */
  ck_assert_int_eq(count_rows("SELECT id FROM polar_list('User:root', 'delete', 'Project') "
                              "WHERE id='*'"), 1);
  ck_assert_int_eq(count_rows("SELECT id FROM polar_list('User:root', 'delete', 'Project')"), 1);
  exec("SELECT polar_insert('is_archived', 'Project:old')");
  ck_assert_int_eq(authorize("User:root", "delete", "Project:old"), 0);
  ck_assert_int_eq(authorize("User:root", "delete", "Project:new"), 1);
  ck_assert_int_eq(count_rows("SELECT id FROM polar_list('User:root', 'delete', 'Project') "
                              "WHERE id='new'"), 1);
  ck_assert_int_eq(count_rows("SELECT id FROM polar_list('User:root', 'delete', 'Project') "
                              "WHERE id IN ('old', '*')"), 0);
  unload();
}
END_TEST

/* Types prune rules at compile time; user values are parameters only. */
START_TEST(types_prune_and_values_are_parameters){
  char *zSql;
  load(zFolders);
  zSql = value_of("SELECT polar_sql('authorize', 'User:u', 'read', 'User:v')");
  ck_assert_str_eq(zSql, "0");
  sqlite3_free(zSql);
  zSql = value_of("SELECT polar_sql('authorize', 'User:secret', 'read', 'Folder:hidden')");
  ck_assert_ptr_null(strstr(zSql, "secret"));
  ck_assert_ptr_null(strstr(zSql, "hidden"));
  ck_assert_ptr_nonnull(strstr(zSql, "?1"));
  ck_assert_ptr_nonnull(strstr(zSql, "?3"));
  sqlite3_free(zSql);
  unload();
}
END_TEST

static Suite *suite(void){
  Suite *s = suite_create("compile");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, recursion_is_a_unit);
  tcase_add_test(tc, list_walks_down);
  tcase_add_test(tc, deep_chain);
  tcase_add_test(tc, mutual_recursion);
  tcase_add_test(tc, implications_folded);
  tcase_add_test(tc, size_linear_in_depth);
  tcase_add_test(tc, deep_unfolding_bounded);
  tcase_add_test(tc, unbound_negation);
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
