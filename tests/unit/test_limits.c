/*
** test_limits.c — limits.c and the limits the parser, the policy builder
** and the compiler enforce: values as polar_limit sets them, the exact
** messages, nesting up to its hard maximum, and compile_memory caps from
** one byte up (every out-of-memory path of the compiler taken, each ending
** in the limit's error or in the same SQL as with no cap).
*/
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pl_int.h"

START_TEST(values_as_polar_limit_sets_them){
  PlLimits lim;
  char *z;
  pl_limits_init(&lim);
  ck_assert_int_eq(pl_limit(&lim, PL_LIMIT_NESTING), 200);
  ck_assert_int_eq(pl_limit(0, PL_LIMIT_RULES), 10000);
  ck_assert_int_eq(pl_limit(0, PL_LIMIT_STEPS), 1000000000);
  ck_assert_int_eq(pl_limit_find("in_list"), PL_LIMIT_IN_LIST);
  ck_assert_int_eq(pl_limit_find("Compile_Memory"), PL_LIMIT_COMPILE_MEMORY);
  ck_assert_int_eq(pl_limit_find("rule"), -1);
  ck_assert_str_eq(pl_limit_name(PL_LIMIT_POLICY_LENGTH), "policy_length");
  ck_assert_int_eq(pl_limit_set(&lim, PL_LIMIT_NESTING, 7), 200);
  ck_assert_int_eq(pl_limit_set(&lim, PL_LIMIT_NESTING, -1), 7);   /* unchanged */
  ck_assert_int_eq(pl_limit_set(&lim, PL_LIMIT_NESTING, 0), 7);
  ck_assert_int_eq(pl_limit(&lim, PL_LIMIT_NESTING), 1000);        /* hard maximum */
  pl_limit_set(&lim, PL_LIMIT_NESTING, 1001);
  ck_assert_int_eq(pl_limit(&lim, PL_LIMIT_NESTING), 1000);
  pl_limit_set(&lim, PL_LIMIT_STEPS, 0);
  ck_assert(pl_limit(&lim, PL_LIMIT_STEPS) == (sqlite3_int64)0x7fffffffffffffffLL);
  z = pl_limit_error(&lim, PL_LIMIT_NESTING, "nesting too deep");
  ck_assert_str_eq(z, "nesting too deep: exceeded the limit of 1000 levels; "
                      "raise it with SELECT polar_limit('nesting', N)");
  sqlite3_free(z);
}
END_TEST

static int parse_nested(int nDepth, const PlLimits *pLim, char **pzErr){
  sqlite3_str *s = sqlite3_str_new(0);
  PlArena *a = pl_arena_new();
  PlProgram *p = 0;
  char *zSrc;
  int i, rc;
  sqlite3_str_appendall(s, "f(x) if ");
  for(i=0; i<nDepth; i++) sqlite3_str_appendall(s, "(");
  sqlite3_str_appendall(s, "g(x)");
  for(i=0; i<nDepth; i++) sqlite3_str_appendall(s, ")");
  sqlite3_str_appendall(s, ";");
  zSrc = sqlite3_str_finish(s);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(zSrc);
  rc = pl_parse(a, zSrc, -1, "n.polar", pLim, &p, pzErr);
  sqlite3_free(zSrc);
  pl_arena_free(a);
  return rc;
}

/* The hard maximum of nesting parses (within a small stack); one more is
** refused with the limit's message at the position it is passed. A rule
** body is one level, each parenthesis one more. */
START_TEST(nesting_up_to_its_hard_maximum){
  PlLimits lim;
  char *zErr = 0;
  pl_limits_init(&lim);
  ck_assert_int_eq(parse_nested(199, 0, &zErr), SQLITE_OK);
  ck_assert_int_eq(parse_nested(200, 0, &zErr), SQLITE_ERROR);
  ck_assert_str_eq(zErr, "n.polar:1:209: nesting too deep (parentheses, 'not' and lists): "
                   "exceeded the limit of 200 levels; raise it with "
                   "SELECT polar_limit('nesting', N)");
  sqlite3_free(zErr);
  zErr = 0;
  pl_limit_set(&lim, PL_LIMIT_NESTING, 0);
  ck_assert_int_eq(parse_nested(999, &lim, &zErr), SQLITE_OK);
  ck_assert_int_eq(parse_nested(1000, &lim, &zErr), SQLITE_ERROR);
  ck_assert_ptr_nonnull(strstr(zErr, "limit of 1000 levels"));
  sqlite3_free(zErr);
}
END_TEST

static int policy(const char *zSrc, const PlLimits *pLim, char **pzErr){
  PlPolicy *pPol = 0;
  int rc = pl_policy_new(zSrc, -1, "t.polar", pLim, &pPol, pzErr);
  pl_policy_free(pPol);
  return rc;
}

/* policy_length names where the policy passes it; rules counts each
** alternative of a body in disjunctive normal form. */
START_TEST(policy_length_and_rules){
  PlLimits lim;
  char *zErr = 0;
  const char *zOr = "actor User {}\nresource R {}\n"
                    "allow(u: User, \"r\", r: R) if (a(u) or b(u)) and (c(r) or d(r));\n";
  pl_limits_init(&lim);
  pl_limit_set(&lim, PL_LIMIT_POLICY_LENGTH, 18);
  ck_assert_int_eq(policy(zOr, &lim, &zErr), SQLITE_ERROR);
  ck_assert_str_eq(zErr, "t.polar:2:5: the policy is 92 bytes long: exceeded the limit "
                   "of 18 bytes; raise it with SELECT polar_limit('policy_length', N)");
  sqlite3_free(zErr);
  zErr = 0;
  pl_limits_init(&lim);
  pl_limit_set(&lim, PL_LIMIT_RULES, 3);
  ck_assert_int_eq(policy(zOr, &lim, &zErr), SQLITE_ERROR);
  ck_assert_ptr_nonnull(strstr(zErr, "t.polar:3:31: too many rules"));
  ck_assert_ptr_nonnull(strstr(zErr, "exceeded the limit of 3 rules"));
  sqlite3_free(zErr);
  zErr = 0;
  pl_limit_set(&lim, PL_LIMIT_RULES, 4);
  ck_assert_int_eq(policy(zOr, &lim, &zErr), SQLITE_OK);
}
END_TEST

static const char *azPolicy[] = {
  /* recursion: walk up, list down */
  "actor User {}\n"
  "resource Folder {\n"
  "  roles = [\"viewer\", \"editor\"];\n"
  "  permissions = [\"read\", \"write\"];\n"
  "  relations = { parent: Folder };\n"
  "  role if role on \"parent\";\n"
  "  \"viewer\" if \"editor\";\n"
  "  \"read\" if \"viewer\";\n"
  "  \"write\" if \"editor\";\n"
  "}\n",
  /* relations, global roles, an `in` list unfolded over a free variable */
  "actor User {}\n"
  "global { roles = [\"admin\"]; }\n"
  "resource Org { roles = [\"member\", \"owner\"]; permissions = [\"read\"];\n"
  "  \"member\" if \"owner\"; \"read\" if \"member\"; }\n"
  "resource Repo { roles = [\"reader\"]; permissions = [\"read\", \"push\"];\n"
  "  relations = { parent: Org };\n"
  "  \"reader\" if \"member\" on \"parent\"; \"read\" if \"reader\";\n"
  "  \"push\" if global \"admin\"; }\n"
  "has_permission(u: User, p: String, r: Repo) if p in [\"read\", \"push\", \"x\"] "
  "and tagged(r, p) and has_role(u, \"owner\", o) and has_relation(r, \"parent\", o);\n",
};

static PlGoalArg goal_param(const PlPolicy *p, const char *zType, int iParam){
  PlGoalArg g;
  memset(&g, 0, sizeof(g));
  g.eKind = PL_GA_PARAM;
  g.iType = pl_policy_find_type(p, zType, -1);
  g.iParam = iParam;
  return g;
}

/* Compile authorize (bRows 0) and list (bRows 1) of the last resource
** type under caps growing from one byte: each result is the limit's error
** or exactly the SQL compiled without a cap. */
START_TEST(compile_memory_from_one_byte){
  size_t i;
  for(i=0; i<sizeof(azPolicy)/sizeof(azPolicy[0]); i++){
    PlPolicy *pPol = 0;
    char *zErr = 0;
    int bRows;
    ck_assert_int_eq(pl_policy_new(azPolicy[i], -1, "t.polar", 0, &pPol, &zErr), SQLITE_OK);
    for(bRows=0; bRows<2; bRows++){
      PlGoalArg a[3];
      PlLimits lim;
      char *zFull = 0, *zSql;
      sqlite3_int64 nCap;
      int rc, bOk = 0;
      const char *zRes = i==0 ? "Folder" : "Repo";
      a[0] = goal_param(pPol, "User", 1);
      a[1] = goal_param(pPol, "String", 2);
      a[2] = goal_param(pPol, zRes, 3);
      if( bRows ){
        a[2].eKind = PL_GA_OPEN;
        pl_ts_add(&a[2].ts, a[2].iType);
      }
      ck_assert_int_eq(pl_compile(pPol, 0, "allow", 3, a, bRows, 0, &zFull, &zErr), SQLITE_OK);
      pl_limits_init(&lim);
      for(nCap=1; !bOk; nCap += nCap/4 + 1){
        zSql = 0;
        pl_limit_set(&lim, PL_LIMIT_COMPILE_MEMORY, nCap);
        rc = pl_compile(pPol, &lim, "allow", 3, a, bRows, 0, &zSql, &zErr);
        if( rc==SQLITE_OK ){
          ck_assert_str_eq(zSql, zFull);
          bOk = 1;
        }else{
          ck_assert_int_eq(rc, SQLITE_ERROR);
          ck_assert_msg(strstr(zErr, "exceeded the limit of") && strstr(zErr, "compile_memory"),
                        "cap %lld: %s", (long long)nCap, zErr);
          ck_assert_ptr_null(zSql);
          sqlite3_free(zErr);
          zErr = 0;
        }
        sqlite3_free(zSql);
      }
      sqlite3_free(zFull);
    }
    pl_policy_free(pPol);
  }
}
END_TEST

static Suite *suite(void){
  Suite *s = suite_create("limits");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, values_as_polar_limit_sets_them);
  tcase_add_test(tc, nesting_up_to_its_hard_maximum);
  tcase_add_test(tc, policy_length_and_rules);
  tcase_add_test(tc, compile_memory_from_one_byte);
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
