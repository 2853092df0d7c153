/*
** test_register.c — registering polarlite on a connection (ext.c
** pl_conn_open): registering again changes nothing, and a registration that
** fails part way (allocations failing from each one on, in turn) leaves nothing behind: no
** function, no module, the connection usable and closing with SQLITE_OK.
** Under ASan and valgrind (make sanitize, make valgrind) a leak or a use
** after free on any of these paths fails too.
*/
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pl_int.h"
#include "fault_alloc.h"

/* 1 if zSql prepares on db. */
static int prepares(sqlite3 *db, const char *zSql){
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  sqlite3_finalize(pStmt);
  return rc==SQLITE_OK;
}

static sqlite3_int64 one_int(sqlite3 *db, const char *zSql){
  sqlite3_stmt *pStmt = 0;
  sqlite3_int64 v = -1;
  ck_assert_int_eq(sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0), SQLITE_OK);
  if( sqlite3_step(pStmt)==SQLITE_ROW ) v = sqlite3_column_int64(pStmt, 0);
  ck_assert_int_eq(sqlite3_finalize(pStmt), SQLITE_OK);
  return v;
}

START_TEST(registering_again_changes_nothing){
  sqlite3 *db;
  PlConn *c1 = 0, *c2 = 0;
  char *zErr = 0;
  ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
  ck_assert_int_eq(pl_conn_open(db, &c1, &zErr), SQLITE_OK);
  ck_assert_int_eq(one_int(db, "SELECT polar_limit('steps', 777)"), 1000000000);
  ck_assert_int_eq(pl_conn_open(db, &c2, &zErr), SQLITE_OK);
  ck_assert_ptr_eq(c1, c2);
  ck_assert_ptr_eq(pl_conn_registered(db), c1);
  ck_assert_int_eq(one_int(db, "SELECT polar_limit('steps')"), 777);
  ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
  ck_assert_ptr_null(pl_conn_registered(db));
}
END_TEST

START_TEST(failed_registration_leaves_nothing){
  int n, nOk = 0;
  for(n=0; nOk<3; n++){
    sqlite3 *db;
    PlConn *c = 0;
    char *zErr = 0;
    int rc;
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    fault_fail_after(n);
    rc = pl_conn_open(db, &c, &zErr);
    fault_fail_after(-1);
    sqlite3_free(zErr);
    if( rc==SQLITE_OK ){
      nOk++;
      ck_assert_ptr_nonnull(c);
      ck_assert_int_eq(one_int(db, "SELECT count(*) FROM polar_status"), 1);
      ck_assert_int_eq(one_int(db, "SELECT polar_now() > 0"), 1);
    }else{
      ck_assert_msg(rc==SQLITE_NOMEM, "allocation %d: rc %d", n, rc);
      ck_assert_ptr_null(c);
      ck_assert_ptr_null(pl_conn_registered(db));
      ck_assert_msg(!prepares(db, "SELECT polar_now()"), "allocation %d: a function stayed", n);
      ck_assert_msg(!prepares(db, "SELECT polar_policy()"), "allocation %d: polar_policy stayed", n);
      ck_assert_msg(!prepares(db, "SELECT * FROM polar_status"), "allocation %d: a module stayed", n);
      ck_assert_msg(!prepares(db, "SELECT * FROM polar_query('x', 1)"), "allocation %d", n);
      ck_assert_int_eq(one_int(db, "SELECT 40 + 2"), 42);
      /* and a later registration works */
      ck_assert_int_eq(pl_conn_open(db, &c, &zErr), SQLITE_OK);
      ck_assert_int_eq(one_int(db, "SELECT polar_now() > 0"), 1);
    }
    ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
  }
  ck_assert_msg(n>10, "only %d allocations: the countdown never failed one", n);
}
END_TEST

static Suite *suite(void){
  Suite *s = suite_create("register");
  TCase *t = tcase_create("register");
  tcase_add_test(t, registering_again_changes_nothing);
  tcase_add_test(t, failed_registration_leaves_nothing);
  suite_add_tcase(s, t);
  return s;
}

int main(void){
  SRunner *sr;
  int nFail;
  fault_install();
  sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  nFail = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nFail ? EXIT_FAILURE : EXIT_SUCCESS;
}
