/*
** test_parser.c — unit tests of lexer.c and parser.c (pl_parse).
**
** Trees are checked two ways: a test-local S-expression printer shows the
** exact shape (precedence, associativity), and pl_program_dump_rule (pl_dump.h)
** shows rules as Polar text. Every error message the parser can give is
** pinned by position and key words. The robustness tests feed prefixes,
** mutations and random bytes and only require a clean error.
*/
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pl_int.h"

static PlArena *g_arena;

static void setup(void){ g_arena = pl_arena_new(); }
static void teardown(void){ pl_arena_free(g_arena); g_arena = 0; }

static PlProgram *parse_ok(const char *zSrc){
  PlProgram *p = 0;
  char *zErr = 0;
  int rc = pl_parse(g_arena, zSrc, -1, 0, 0, &p, &zErr);
  ck_assert_msg(rc==SQLITE_OK, "parse failed: %s\n--- source:\n%s",
                zErr ? zErr : "(no message)", zSrc);
  ck_assert_ptr_null(zErr);
  ck_assert_ptr_nonnull(p);
  return p;
}

/* Parse must fail; the message must start with zPrefix (e.g.
** "policy.polar:3:14: ") and contain each of the NULL-terminated words. */
static void parse_err(const char *zSrc, const char *zPrefix, ...){
  PlProgram *p = (PlProgram*)1;
  char *zErr = 0;
  int rc = pl_parse(g_arena, zSrc, -1, 0, 0, &p, &zErr);
  va_list ap;
  const char *zWord;
  ck_assert_msg(rc==SQLITE_ERROR, "expected an error for:\n%s", zSrc);
  ck_assert_ptr_null(p);
  ck_assert_ptr_nonnull(zErr);
  ck_assert_msg(strncmp(zErr, zPrefix, strlen(zPrefix))==0,
                "message '%s' does not start with '%s'", zErr, zPrefix);
  va_start(ap, zPrefix);
  while( (zWord = va_arg(ap, const char*))!=0 ){
    ck_assert_msg(strstr(zErr, zWord)!=0, "message '%s' lacks '%s'",
                  zErr, zWord);
  }
  va_end(ap);
  sqlite3_free(zErr);
}

/*------------------------------------------------- S-expression dumper ---*/

static void sx_term(sqlite3_str *s, const PlTerm *t){
  char *z = pl_program_dump_term(t);
  sqlite3_str_appendall(s, z);
  sqlite3_free(z);
}

static void sx_expr(sqlite3_str *s, const PlExpr *e){
  int i;
  switch( e->eKind ){
    case PL_EXPR_AND: case PL_EXPR_OR:
      sqlite3_str_appendf(s, "(%s ", e->eKind==PL_EXPR_AND ? "and" : "or");
      sx_expr(s, e->pLeft);
      sqlite3_str_appendall(s, " ");
      sx_expr(s, e->pRight);
      sqlite3_str_appendall(s, ")");
      break;
    case PL_EXPR_NOT:
      sqlite3_str_appendall(s, "(not ");
      sx_expr(s, e->pLeft);
      sqlite3_str_appendall(s, ")");
      break;
    case PL_EXPR_CALL:
      sqlite3_str_appendf(s, "%s(", e->zPred);
      for(i=0; i<e->nArg; i++){
        if( i ) sqlite3_str_appendall(s, ",");
        sx_term(s, &e->aArg[i]);
      }
      sqlite3_str_appendall(s, ")");
      break;
    case PL_EXPR_UNIFY:
      sqlite3_str_appendall(s, "(= "); sx_term(s, e->pA);
      sqlite3_str_appendall(s, " "); sx_term(s, e->pB);
      sqlite3_str_appendall(s, ")");
      break;
    case PL_EXPR_CMP: {
      static const char *az[] = {"?","==","!=","<","<=",">",">="};
      sqlite3_str_appendf(s, "(%s ", az[e->eCmp]); sx_term(s, e->pA);
      sqlite3_str_appendall(s, " "); sx_term(s, e->pB);
      sqlite3_str_appendall(s, ")");
      break;
    }
    case PL_EXPR_MATCHES:
      sqlite3_str_appendall(s, "(matches "); sx_term(s, e->pA);
      sqlite3_str_appendf(s, " %s)", e->zType);
      break;
    case PL_EXPR_IN:
      sqlite3_str_appendall(s, "(in "); sx_term(s, e->pA);
      sqlite3_str_appendall(s, " "); sx_term(s, e->pB);
      sqlite3_str_appendall(s, ")");
      break;
    case PL_EXPR_SH_TERM:
      sqlite3_str_appendf(s, "(sh %s)", e->zName);
      break;
    case PL_EXPR_SH_ON:
      sqlite3_str_appendf(s, "(on %s %s)", e->bRole ? "ROLE" : e->zName,
                          e->zRel);
      break;
    case PL_EXPR_SH_GLOBAL:
      sqlite3_str_appendf(s, "(global %s)", e->zName);
      break;
    default:
      sqlite3_str_appendall(s, "??");
  }
}

/* S-expression of e into a static buffer (one at a time is enough). */
static const char *sx(const PlExpr *e){
  static char buf[8192];
  sqlite3_str *s = sqlite3_str_new(0);
  char *z;
  sx_expr(s, e);
  z = sqlite3_str_finish(s);
  snprintf(buf, sizeof(buf), "%s", z ? z : "");
  sqlite3_free(z);
  return buf;
}

/* Body of the only rule of a one-rule policy. */
static const char *body_of(const char *zSrc){
  PlProgram *p = parse_ok(zSrc);
  ck_assert_int_eq(p->nRule, 1);
  ck_assert_ptr_nonnull(p->aRule[0].pBody);
  return sx(p->aRule[0].pBody);
}

static void rule_text(const PlRule *r, const char *zExpect){
  char *z = pl_program_dump_rule(r);
  ck_assert_str_eq(z, zExpect);
  sqlite3_free(z);
}

/*================================================================ tests ===*/

START_TEST(test_empty_and_comments){
  PlProgram *p = parse_ok("");
  ck_assert_int_eq(p->nBlock + p->nRule + p->nDecl + p->nFix + p->nTest, 0);
  p = parse_ok("  # only a comment\n\t\n# another");
  ck_assert_int_eq(p->nBlock + p->nRule + p->nDecl + p->nFix + p->nTest, 0);
  p = parse_ok("f(x) if g(x); # trailing comment without newline");
  ck_assert_int_eq(p->nRule, 1);
}
END_TEST

START_TEST(test_blocks){
  PlProgram *p = parse_ok(
    "actor User {}\n"
    "resource Repository extends Base, Other {\n"
    "  roles = [\"reader\", \"maintainer\",];\n"
    "  permissions = [\"read\", \"push\"];\n"
    "  relations = { parent: Organization, owner: User, };\n"
    "}\n"
    "global { roles = [\"admin\"]; permissions = []; }\n"
    "resource Empty { roles = []; relations = {}; }\n");
  PlBlock *b;
  ck_assert_int_eq(p->nBlock, 4);
  b = &p->aBlock[0];
  ck_assert_int_eq(b->eKind, PL_BLOCK_ACTOR);
  ck_assert_str_eq(b->zName, "User");
  ck_assert_int_eq(b->pos.line, 1); ck_assert_int_eq(b->pos.col, 1);
  ck_assert_int_eq(b->bRoles + b->bPerms + b->bRels, 0);

  b = &p->aBlock[1];
  ck_assert_int_eq(b->eKind, PL_BLOCK_RESOURCE);
  ck_assert_str_eq(b->zName, "Repository");
  ck_assert_int_eq(b->nExtends, 2);
  ck_assert_str_eq(b->azExtends[0], "Base");
  ck_assert_str_eq(b->azExtends[1], "Other");
  ck_assert_int_eq(b->aExtendsPos[1].line, 2);
  ck_assert_int_eq(b->aExtendsPos[1].col, 35);
  ck_assert_int_eq(b->bRoles, 1);
  ck_assert_int_eq(b->rolesPos.line, 3); ck_assert_int_eq(b->rolesPos.col, 3);
  ck_assert_int_eq(b->nRole, 2);
  ck_assert_str_eq(b->azRole[0], "reader");
  ck_assert_str_eq(b->azRole[1], "maintainer");
  ck_assert_int_eq(b->aRolePos[1].line, 3);
  ck_assert_int_eq(b->aRolePos[1].col, 22);
  ck_assert_int_eq(b->nPerm, 2);
  ck_assert_str_eq(b->azPerm[1], "push");
  ck_assert_int_eq(b->bRels, 1);
  ck_assert_int_eq(b->nRel, 2);
  ck_assert_str_eq(b->aRel[0].zName, "parent");
  ck_assert_str_eq(b->aRel[0].zType, "Organization");
  ck_assert_int_eq(b->aRel[0].pos.col, 17);
  ck_assert_int_eq(b->aRel[0].typePos.col, 25);
  ck_assert_str_eq(b->aRel[1].zName, "owner");
  ck_assert_str_eq(b->aRel[1].zType, "User");

  b = &p->aBlock[2];
  ck_assert_int_eq(b->eKind, PL_BLOCK_GLOBAL);
  ck_assert_ptr_null(b->zName);
  ck_assert_int_eq(b->nRole, 1);
  ck_assert_int_eq(b->bPerms, 1);
  ck_assert_int_eq(b->nPerm, 0);

  b = &p->aBlock[3];
  ck_assert_int_eq(b->bRoles, 1);
  ck_assert_int_eq(b->bRels, 1);
  ck_assert_int_eq(b->nRel, 0);
}
END_TEST

START_TEST(test_shorthand_forms){
  PlProgram *p = parse_ok(
    "resource R {\n"
    "  \"a\" if \"b\";\n"
    "  \"a\" if \"b\" on \"rel\";\n"
    "  \"a\" if global \"g\";\n"
    "  role if role on \"rel\";\n"
    "  \"a\" if role on \"rel\";\n"
    "  \"a\" if is_public(resource);\n"
    "  \"a\" if \"m\" on \"org\" and not is_private(resource);\n"
    "  \"a\" if (\"b\" or global \"g\") and not \"c\" on \"d\";\n"
    "  \"a\" if \"x\" = y and \"s\" in [\"s\"] and \"q\" matches String;\n"
    "}\n");
  PlBlock *b = &p->aBlock[0];
  PlExpr *e;
  ck_assert_int_eq(b->nSh, 9);
  ck_assert_str_eq(b->aSh[0].zHead, "a");
  ck_assert_int_eq(b->aSh[0].pos.line, 2);
  ck_assert_int_eq(b->aSh[0].pos.col, 3);
  ck_assert_str_eq(sx(b->aSh[0].pBody), "(sh b)");
  ck_assert_int_eq(b->aSh[0].pBody->pos.col, 10);

  e = b->aSh[1].pBody;
  ck_assert_str_eq(sx(e), "(on b rel)");
  ck_assert_int_eq(e->bRole, 0);
  ck_assert_int_eq(e->pos.col, 10);
  ck_assert_int_eq(e->relPos.line, 3);
  ck_assert_int_eq(e->relPos.col, 17);

  e = b->aSh[2].pBody;
  ck_assert_str_eq(sx(e), "(global g)");
  ck_assert_int_eq(e->pos.col, 17);            /* at the name */

  ck_assert_ptr_null(b->aSh[3].zHead);
  e = b->aSh[3].pBody;
  ck_assert_str_eq(sx(e), "(on ROLE rel)");
  ck_assert_int_eq(e->bRole, 1);
  ck_assert_ptr_null(e->zName);
  ck_assert_int_eq(e->pos.col, 11);

  ck_assert_str_eq(b->aSh[4].zHead, "a");
  ck_assert_str_eq(sx(b->aSh[4].pBody), "(on ROLE rel)");
  ck_assert_str_eq(sx(b->aSh[5].pBody), "is_public(resource)");
  ck_assert_str_eq(sx(b->aSh[6].pBody),
                   "(and (on m org) (not is_private(resource)))");
  ck_assert_str_eq(sx(b->aSh[7].pBody),
                   "(and (or (sh b) (global g)) (not (on c d)))");
  ck_assert_str_eq(sx(b->aSh[8].pBody),
                   "(and (= \"x\" y) (and (in \"s\" [\"s\"]) "
                   "(matches \"q\" String)))");
}
END_TEST

START_TEST(test_rule_params){
  PlProgram *p = parse_ok(
    "f(x: User, _: Org, _, y, \"s\", 42, -7, +3, true, false,\n"
    "  User{\"alice\"}, String{\"x\"}, Integer{5}, Integer{-5},\n"
    "  Boolean{false}, a::b: ns::T);\n");
  PlRule *r;
  PlTerm *t;
  ck_assert_int_eq(p->nRule, 1);
  r = &p->aRule[0];
  ck_assert_str_eq(r->zPred, "f");
  ck_assert_ptr_null(r->pBody);
  ck_assert_int_eq(r->bGenerated, 0);
  ck_assert_int_eq(r->nParam, 16);
  t = r->aParam;
  ck_assert_int_eq(t[0].eKind, PL_TERM_VAR);
  ck_assert_str_eq(t[0].zName, "x");
  ck_assert_str_eq(t[0].zType, "User");
  ck_assert_int_eq(t[0].typePos.col, 6);
  ck_assert_int_eq(t[1].eKind, PL_TERM_WILD);
  ck_assert_str_eq(t[1].zType, "Org");
  ck_assert_int_eq(t[2].eKind, PL_TERM_WILD);
  ck_assert_ptr_null(t[2].zType);
  ck_assert_int_eq(t[3].eKind, PL_TERM_VAR);
  ck_assert_ptr_null(t[3].zType);
  ck_assert_int_eq(t[4].eKind, PL_TERM_STR);
  ck_assert_int_eq(t[4].n, 1);
  ck_assert_int_eq(t[5].eKind, PL_TERM_INT);
  ck_assert_int_eq(t[5].i, 42);
  ck_assert_int_eq(t[6].i, -7);
  ck_assert_int_eq(t[6].pos.col, 35);
  ck_assert_int_eq(t[7].i, 3);
  ck_assert_int_eq(t[8].eKind, PL_TERM_BOOL);
  ck_assert_int_eq(t[8].i, 1);
  ck_assert_int_eq(t[9].i, 0);
  ck_assert_int_eq(t[10].eKind, PL_TERM_OBJ);
  ck_assert_str_eq(t[10].zType, "User");
  ck_assert_int_eq(t[10].n, 5);
  ck_assert_int_eq(memcmp(t[10].z, "alice", 5), 0);
  ck_assert_int_eq(t[11].eKind, PL_TERM_STR);
  ck_assert_str_eq(t[11].z, "x");
  ck_assert_int_eq(t[12].eKind, PL_TERM_INT);
  ck_assert_int_eq(t[12].i, 5);
  ck_assert_int_eq(t[13].i, -5);
  ck_assert_int_eq(t[14].eKind, PL_TERM_BOOL);
  ck_assert_int_eq(t[14].i, 0);
  ck_assert_str_eq(t[15].zName, "a::b");
  ck_assert_str_eq(t[15].zType, "ns::T");
  rule_text(r, "f(x: User, _: Org, _, y, \"s\", 42, -7, 3, true, false, "
               "User{\"alice\"}, \"x\", 5, -5, false, a::b: ns::T);");
  p = parse_ok("g();");
  ck_assert_int_eq(p->aRule[0].nParam, 0);
}
END_TEST

START_TEST(test_precedence){
  ck_assert_str_eq(body_of("r(x) if a(x) and b(x) or c(x);"),
                   "(or (and a(x) b(x)) c(x))");
  ck_assert_str_eq(body_of("r(x) if a(x) or b(x) and c(x);"),
                   "(or a(x) (and b(x) c(x)))");
  ck_assert_str_eq(body_of("r(x) if not a(x) and b(x);"),
                   "(and (not a(x)) b(x))");
  ck_assert_str_eq(body_of("r(x) if not (a(x) and b(x));"),
                   "(not (and a(x) b(x)))");
  ck_assert_str_eq(body_of("r(x) if not not a(x);"), "(not (not a(x)))");
  ck_assert_str_eq(body_of("r(x) if (a(x) or b(x)) and c(x);"),
                   "(and (or a(x) b(x)) c(x))");
  ck_assert_str_eq(body_of("r(x) if ((((a(x)))));"), "a(x)");
  /* chains are balanced, order preserved */
  ck_assert_str_eq(body_of("r(x) if a(x) and b(x) and c(x) and d(x);"),
                   "(and (and a(x) b(x)) (and c(x) d(x)))");
  ck_assert_str_eq(body_of("r(x) if a(x) or b(x) or c(x);"),
                   "(or a(x) (or b(x) c(x)))");
}
END_TEST

START_TEST(test_operators){
  ck_assert_str_eq(body_of("r(x) if x = User{\"a\"};"), "(= x User{\"a\"})");
  ck_assert_str_eq(body_of("r(x) if x == 1 and x != 2 and x < 3 and x <= 4 "
                           "and x > 5 and x >= -6;"),
                   "(and (and (== x 1) (and (!= x 2) (< x 3))) "
                   "(and (<= x 4) (and (> x 5) (>= x -6))))");
  ck_assert_str_eq(body_of("r(x) if x matches Integer;"),
                   "(matches x Integer)");
  ck_assert_str_eq(body_of("r(x) if x in [1, \"a\", [true], @current_unix_time];"),
                   "(in x [1, \"a\", [true], @current_unix_time])");
  ck_assert_str_eq(body_of("r(x) if x not in [];"), "(not (in x []))");
  ck_assert_str_eq(body_of("r(x) if @current_unix_time < x;"),
                   "(< @current_unix_time x)");
  ck_assert_str_eq(body_of("r(x) if ns::p(x, _, 1);"), "ns::p(x,_,1)");
  ck_assert_str_eq(body_of("r(x) if p();"), "p()");
  {
    PlProgram *p = parse_ok("r(x) if\n  x   >=\t7;");
    PlExpr *e = p->aRule[0].pBody;
    ck_assert_int_eq(e->eKind, PL_EXPR_CMP);
    ck_assert_int_eq(e->eCmp, PL_CMP_GE);
    ck_assert_int_eq(e->pos.line, 2);
    ck_assert_int_eq(e->pos.col, 3);
    ck_assert_int_eq(e->pB->pos.col, 10);     /* tab counts one byte */
  }
  {
    PlProgram *p = parse_ok("r(x) if x matches  Repo;");
    PlExpr *e = p->aRule[0].pBody;
    ck_assert_int_eq(e->typePos.col, 20);
  }
}
END_TEST

START_TEST(test_strings){
  PlProgram *p = parse_ok("f(\"a\\n\\r\\t\\0\\\"\\\\\\q\", \"é\", \"\");");
  PlTerm *t = p->aRule[0].aParam;
  ck_assert_int_eq(t[0].n, 8);
  ck_assert_int_eq(memcmp(t[0].z, "a\n\r\t\0\"\\q", 8), 0);
  ck_assert_int_eq(t[1].n, 2);               /* bytes */
  ck_assert_int_eq(t[2].n, 0);
  ck_assert_str_eq(t[2].z, "");
  rule_text(&p->aRule[0], "f(\"a\\n\\r\\t\\0\\\"\\\\q\", \"é\", \"\");");
  /* columns count bytes: "é" is two */
  p = parse_ok("f(\"é\", y);");
  ck_assert_int_eq(p->aRule[0].aParam[1].pos.col, 9);
}
END_TEST

START_TEST(test_integers){
  PlProgram *p = parse_ok("f(9223372036854775807, -9223372036854775808, 0, "
                          "-0, 007);");
  PlTerm *t = p->aRule[0].aParam;
  ck_assert(t[0].i==INT64_MAX);
  ck_assert(t[1].i==INT64_MIN);
  ck_assert(t[2].i==0);
  ck_assert(t[3].i==0);
  ck_assert(t[4].i==7);
  parse_err("f(9223372036854775808);", "policy.polar:1:3: ", "out of range", 0);
  parse_err("f(-9223372036854775809);", "policy.polar:1:3: ", "out of range", 0);
  parse_err("f(99999999999999999999999999);", "policy.polar:1:3: ",
            "out of range", 0);
  parse_err("f(1.5);", "policy.polar:1:3: ", "floating-point", "not supported", 0);
  parse_err("f(x) if x > -2.5;", "policy.polar:1:14: ", "floating-point", 0);
  parse_err("f(12ab);", "policy.polar:1:3: ", "number", 0);
}
END_TEST

START_TEST(test_declare){
  PlProgram *p = parse_ok("declare is_public(Repository);\n"
                          "declare rel(User, String, Integer);");
  ck_assert_int_eq(p->nDecl, 2);
  ck_assert_str_eq(p->aDecl[0].zPred, "is_public");
  ck_assert_int_eq(p->aDecl[0].nType, 1);
  ck_assert_str_eq(p->aDecl[0].azType[0], "Repository");
  ck_assert_int_eq(p->aDecl[1].nType, 3);
  ck_assert_str_eq(p->aDecl[1].azType[2], "Integer");
  ck_assert_int_eq(p->aDecl[1].pos.line, 2);
  ck_assert_int_eq(p->aDecl[1].pos.col, 1);
  ck_assert_int_eq(p->aDecl[1].aTypePos[1].col, 19);
  /* a rule may be called declare */
  p = parse_ok("declare(x) if f(x);");
  ck_assert_int_eq(p->nRule, 1);
  parse_err("declare f();", "policy.polar:1:11: ", "expected a type name", 0);
  parse_err("declare f(x: User);", "policy.polar:1:11: ", "only types", 0);
  parse_err("declare f(User)", "policy.polar:1:16: ", "expected ';'",
            "end of input", 0);
}
END_TEST

START_TEST(test_tests_and_fixtures){
  PlProgram *p = parse_ok(
    "test fixture base {\n"
    "  has_role(User{\"a\"}, \"member\", Org{\"o\"});\n"
    "  is_public(Repo{\"r\"}, true)\n"            /* last ; optional */
    "}\n"
    "test \"my test\" {\n"
    "  setup {\n"
    "    fixture base;\n"
    "    count(Repo{\"r\"}, -3);\n"
    "    fixture other\n"
    "  }\n"
    "  assert allow(User{\"a\"}, \"read\", Repo{\"r\"});\n"
    "  assert_not allow(User{\"a\"}, \"push\", Repo{\"r\"});\n"
    "  assert allow(User{\"a\"}, action: String, Repo{\"r\"}) iff action in [\"read\", \"x\"];\n"
    "  assert allow(u: User, \"read\", Repo{\"r\"}) iff u not in [User{\"a\"}];\n"
    "  assert has_role(u: User, \"member\", Org{\"o\"});\n"
    "}\n"
    "test \"empty\" {}\n");
  PlFixture *f;
  PlTest *t;
  PlAssert *a;
  ck_assert_int_eq(p->nFix, 1);
  f = &p->aFix[0];
  ck_assert_str_eq(f->zName, "base");
  ck_assert_int_eq(f->nFact, 2);
  ck_assert_str_eq(f->aFact[0].zPred, "has_role");
  ck_assert_int_eq(f->aFact[0].nArg, 3);
  ck_assert_int_eq(f->aFact[0].aArg[2].eKind, PL_TERM_OBJ);
  ck_assert_int_eq(f->aFact[1].aArg[1].eKind, PL_TERM_BOOL);
  ck_assert_int_eq(f->aFact[1].pos.line, 3);

  ck_assert_int_eq(p->nTest, 2);
  t = &p->aTest[0];
  ck_assert_str_eq(t->zName, "my test");
  ck_assert_int_eq(t->pos.line, 5);
  ck_assert_int_eq(t->nFixture, 2);
  ck_assert_str_eq(t->azFixture[0], "base");
  ck_assert_str_eq(t->azFixture[1], "other");
  ck_assert_int_eq(t->aFixturePos[1].line, 9);
  ck_assert_int_eq(t->aFixturePos[1].col, 13);
  ck_assert_int_eq(t->nSetup, 1);
  ck_assert_int_eq(t->aSetup[0].aArg[1].i, -3);
  ck_assert_int_eq(t->nAssert, 5);
  a = &t->aAssert[0];
  ck_assert_int_eq(a->bNot, 0);
  ck_assert_str_eq(a->zPred, "allow");
  ck_assert_int_eq(a->nArg, 3);
  ck_assert_int_eq(a->bIff, 0);
  ck_assert_int_eq(t->aAssert[1].bNot, 1);
  a = &t->aAssert[2];
  ck_assert_int_eq(a->bIff, 1);
  ck_assert_int_eq(a->bIffNotIn, 0);
  ck_assert_str_eq(a->zIffVar, "action");
  ck_assert_int_eq(a->iffVarPos.line, 13);
  ck_assert_int_eq(a->aArg[1].eKind, PL_TERM_VAR);
  ck_assert_str_eq(a->aArg[1].zType, "String");
  ck_assert_int_eq(a->pIffList->eKind, PL_TERM_LIST);
  ck_assert_int_eq(a->pIffList->nItem, 2);
  a = &t->aAssert[3];
  ck_assert_int_eq(a->bIffNotIn, 1);
  ck_assert_int_eq(a->pIffList->aItem[0].eKind, PL_TERM_OBJ);
  a = &t->aAssert[4];
  ck_assert_int_eq(a->bIff, 0);
  ck_assert_str_eq(a->aArg[0].zName, "u");
  ck_assert_int_eq(p->aTest[1].nAssert, 0);
}
END_TEST

START_TEST(test_order_irrelevant){
  /* items of every kind, in an unusual order */
  PlProgram *p = parse_ok(
    "test \"t\" { assert f(Card{\"1\"}); }\n"
    "f(c: Card) if g(c);\n"
    "declare g(Card);\n"
    "resource Card {}\n"
    "test fixture x {}\n");
  ck_assert_int_eq(p->nTest, 1);
  ck_assert_int_eq(p->nRule, 1);
  ck_assert_int_eq(p->nDecl, 1);
  ck_assert_int_eq(p->nBlock, 1);
  ck_assert_int_eq(p->nFix, 1);
}
END_TEST

START_TEST(test_keywords_as_names){
  /* contextual keywords remain usable as variables and predicates */
  PlProgram *p = parse_ok(
    "has_role(actor: User, role: String, resource: Org) if "
    "r(actor, role, resource, global, on, test, type, fixture, setup);\n"
    "actor(x) if resource(x);\n"
    "test(x) if type(x);\n");
  ck_assert_int_eq(p->nRule, 3);
  ck_assert_str_eq(p->aRule[1].zPred, "actor");
  ck_assert_str_eq(p->aRule[2].zPred, "test");
}
END_TEST

START_TEST(test_file_name){
  PlProgram *p = 0;
  char *zErr = 0;
  int rc = pl_parse(g_arena, "f(x) if", -1, "my/file.polar", 0, &p, &zErr);
  ck_assert_int_eq(rc, SQLITE_ERROR);
  ck_assert_str_eq(zErr, "my/file.polar:1:8: expected a term (variable, "
                   "string, integer, true/false, object literal like "
                   "User{\"alice\"}, or list), found end of input");
  sqlite3_free(zErr);
  rc = pl_parse(g_arena, "f(x);", 5, "a.polar", 0, &p, &zErr);
  ck_assert_int_eq(rc, SQLITE_OK);
  ck_assert_str_eq(p->zFile, "a.polar");
  /* nSrc bounds the text: the rest is not read */
  rc = pl_parse(g_arena, "f(x);garbage(", 5, 0, 0, &p, &zErr);
  ck_assert_int_eq(rc, SQLITE_OK);
  ck_assert_int_eq(p->nRule, 1);
}
END_TEST

START_TEST(test_syntax_errors){
  parse_err("resource Repo {\n  \"read\" if \"viewer\"\n}\n",
            "policy.polar:3:1: ", "expected ';' after shorthand rule",
            "found '}'", 0);
  parse_err("resource Repo {\n  \"read\" if \"viewer\"\n  \"push\" if \"w\"; }",
            "policy.polar:3:3: ", "expected ';' after shorthand rule",
            "found string \"push\"", 0);
  parse_err("resource Org { \"read\" if \"viewer\" }\nresource X {}",
            "policy.polar:1:35: ", "expected ';' after shorthand rule", 0);
  parse_err("resource Repo { \"read\" \"viewer\"; }", "policy.polar:1:24: ",
            "expected 'if'", 0);
  parse_err("resource Repo {", "policy.polar:1:16: ", "expected '}' to close "
            "'Repo' resource block", "end of input", 0);
  parse_err("actor {}", "policy.polar:1:7: ", "expected a type name after "
            "'actor'", "found '{'", 0);
  parse_err("resource R extends {}", "policy.polar:1:20: ",
            "expected a type name after 'extends'", 0);
  parse_err("resourse Repo {}", "policy.polar:1:1: ",
            "Expected 'actor' or 'resource' but found 'resourse'", 0);
  parse_err("global extends X {}", "policy.polar:1:8: ", "global block", 0);
  parse_err("global X {}", "policy.polar:1:8: ", "expected '{' after 'global'", 0);
  parse_err("resource R { roles = [\"a\"] }", "policy.polar:1:28: ",
            "expected ';' after 'roles' declaration", 0);
  parse_err("resource R { roles = [admin]; }", "policy.polar:1:23: ",
            "double-quoted", 0);
  parse_err("resource R { roles = {a: B}; }", "policy.polar:1:22: ",
            "Expected 'roles' declaration to be a list of strings; found a "
            "dictionary", 0);
  parse_err("resource R { relations = [\"a\"]; }", "policy.polar:1:26: ",
            "Expected 'relations' declaration to be a dictionary; found a list", 0);
  parse_err("resource R { relations = { \"a\": B }; }", "policy.polar:1:28: ",
            "without quotes", 0);
  parse_err("resource R { relations = { a B }; }", "policy.polar:1:30: ",
            "expected ':' after the relation name", 0);
  parse_err("resource R { perms = [\"a\"]; }", "policy.polar:1:14: ",
            "unknown declaration 'perms'", "'R' resource block", 0);
  parse_err("resource Repository {\n roles = [\"a\"];\n roles = [\"b\"];\n}",
            "policy.polar:3:2: ", "Multiple 'roles' declarations in "
            "'Repository' resource block", 0);
  parse_err("actor U { permissions = []; permissions = []; }",
            "policy.polar:1:29: ", "Multiple 'permissions' declarations in "
            "'U' actor block", 0);
  parse_err("global { relations = {}; relations = {}; }", "policy.polar:1:26: ",
            "Multiple 'relations' declarations in global block", 0);
  parse_err("resource R { has_role(x) if y(x); }", "policy.polar:1:14: ",
            "outside resource blocks", 0);
  parse_err("resource R { 42 }", "policy.polar:1:14: ",
            "expected a declaration", "found '42'", 0);
  parse_err("resource R { \"a\" if \"b\" on resource; }", "policy.polar:1:28: ",
            "expected a relation name string after 'on'", "found 'resource'", 0);
  parse_err("resource R { \"a\" if \"b\" in \"rel\"; }", "policy.polar:1:25: ",
            "relation keyword 'in'", "did you mean 'on'", 0);
  parse_err("resource R { role if role on parent; }", "policy.polar:1:30: ",
            "expected a relation name string", 0);
  parse_err("f(x) if g(x)", "policy.polar:1:13: ", "expected ';' after rule "
            "body", "end of input", 0);
  parse_err("f(x)", "policy.polar:1:5: ", "expected 'if' or ';'", 0);
  parse_err("f(x,) if g(x);", "policy.polar:1:5: ", "expected a parameter", 0);
  parse_err("f(x y);", "policy.polar:1:5: ", "expected ',' or ')'", "found 'y'", 0);
  parse_err("f(x) if g(x,);", "policy.polar:1:13: ", "expected an argument", 0);
  parse_err("f(x) if g(x y);", "policy.polar:1:13: ", "expected ',' or ')'", 0);
  parse_err("f(x) if g(x;", "policy.polar:1:12: ", "expected ',' or ')'", 0);
  parse_err("f(x) if x;", "policy.polar:1:10: ", "expected an operator",
            "found ';'", 0);
  parse_err("f(x) if x = ;", "policy.polar:1:13: ", "expected a term", 0);
  parse_err("f(x) if and;", "policy.polar:1:9: ", "expected a term",
            "found 'and'", 0);
  parse_err("f(x) if g(x) and;", "policy.polar:1:17: ", "expected a term", 0);
  parse_err("f(x) if (g(x);", "policy.polar:1:14: ", "expected ')'", 0);
  parse_err("f(x) if x in y;", "policy.polar:1:14: ", "expected a list", 0);
  parse_err("f(x) if x matches;", "policy.polar:1:18: ",
            "expected a type name after 'matches'", 0);
  parse_err("f(x) if g(h(x));", "policy.polar:1:11: ", "call", 0);
  parse_err("f(x) if g([1, 2);", "policy.polar:1:16: ", "expected ',' or ']'", 0);
  parse_err("f(x) if g(x: User);", "policy.polar:1:12: ",
            "only allowed in rule parameters", "matches", 0);
  parse_err("f(x) if x: User = y;", "policy.polar:1:10: ",
            "only allowed in rule parameters", 0);
  parse_err("f(x) if \"read\";", "policy.polar:1:9: ", "shorthand", 0);
  parse_err("f(x) if \"a\" on \"b\";", "policy.polar:1:9: ", "shorthand", 0);
  parse_err("f(x) if global \"a\";", "policy.polar:1:9: ", "shorthand", 0);
  parse_err("f([1]);", "policy.polar:1:3: ", "a list cannot be a rule parameter", 0);
  parse_err("f(@current_unix_time);", "policy.polar:1:3: ",
            "@current_unix_time cannot be a rule parameter", 0);
  parse_err("f(x: );", "policy.polar:1:6: ", "expected a type name after ':'", 0);
  parse_err("f(x) if y = @now;", "policy.polar:1:13: ", "unknown constant "
            "'@now'", "@current_unix_time", 0);
  parse_err("f(x) if y = @;", "policy.polar:1:13: ", "after '@'", 0);
  parse_err("f(User{1});", "policy.polar:1:8: ", "string id inside User{...}",
            "found '1'", 0);
  parse_err("f(User{true});", "policy.polar:1:8: ", "string id", 0);
  parse_err("f(User{\"\"});", "policy.polar:1:8: ", "must not be empty", 0);
  parse_err("f(User{\"a\");", "policy.polar:1:11: ", "expected '}'", 0);
  parse_err("f(String{1});", "policy.polar:1:10: ", "string inside String", 0);
  parse_err("f(Integer{\"1\"});", "policy.polar:1:11: ",
            "integer inside Integer", 0);
  parse_err("f(Boolean{1});", "policy.polar:1:11: ", "true or false", 0);
  parse_err("f(Integer{99999999999999999999});", "policy.polar:1:11: ",
            "out of range", 0);
  parse_err("\"read\" if \"x\";", "policy.polar:1:1: ", "expected a rule", 0);
  parse_err("foo bar;", "policy.polar:1:5: ", "expected '(' after the rule name", 0);
  parse_err("declare 5;", "policy.polar:1:9: ", "expected a predicate name", 0);
  parse_err("test x {}", "policy.polar:1:6: ", "expected 'fixture' or a test "
            "name string", 0);
  parse_err("test fixture {}", "policy.polar:1:14: ", "expected a fixture name", 0);
  parse_err("test \"t\" { assert f(x); }", "policy.polar:1:21: ",
            "needs a type", "x: Type", 0);
  parse_err("test \"t\" { assert f(a: A, b: B); }", "policy.polar:1:27: ",
            "at most one variable", 0);
  parse_err("test \"t\" { assert f(_); }", "policy.polar:1:21: ",
            "literal values", 0);
  parse_err("test \"t\" { assert f(\"a\") iff x in [\"a\"]; }",
            "policy.polar:1:26: ", "'iff' needs a typed variable", 0);
  parse_err("test \"t\" { assert f(a: String) iff b in [\"a\"]; }",
            "policy.polar:1:36: ", "'iff' names 'b'", "'a'", 0);
  parse_err("test \"t\" { assert f(a: String) iff a [\"a\"]; }",
            "policy.polar:1:38: ", "expected 'in' or 'not in'", 0);
  parse_err("test \"t\" { assert f(a: String) iff a in [x]; }",
            "policy.polar:1:42: ", "literal values", 0);
  parse_err("test \"t\" { assert f(\"a\") }", "policy.polar:1:26: ",
            "expected ';' after assertion", 0);
  parse_err("test \"t\" { assert f; }", "policy.polar:1:19: ",
            "expected a query", 0);
  parse_err("test \"t\" { setup { f(x); } }", "policy.polar:1:22: ",
            "literal values", 0);
  parse_err("test \"t\" { setup { f(\"a\") g(\"b\"); } }", "policy.polar:1:27: ",
            "expected ';' after fact", 0);
  parse_err("test \"t\" { setup {} setup {} }", "policy.polar:1:21: ",
            "at most one setup", 0);
  parse_err("test \"t\" { check f(\"a\"); }", "policy.polar:1:12: ",
            "expected 'setup {', 'assert', 'assert_not' or '}'", 0);
  parse_err("test fixture x { fixture y; }", "policy.polar:1:18: ",
            "expected a fact", 0);
  parse_err("type f(x: User);", "policy.polar:1:1: ", "not supported",
            "declare f(Type", 0);
}
END_TEST

START_TEST(test_lexical_errors){
  parse_err("f(\"abc);", "policy.polar:1:3: ", "unterminated string", 0);
  parse_err("f(\"ab\nc\");", "policy.polar:1:3: ", "cannot span lines", 0);
  parse_err("f(\"ab\\", "policy.polar:1:3: ", "unterminated string", 0);
  parse_err("f(x) if x == $y;", "policy.polar:1:14: ", "unexpected character '$'", 0);
  parse_err("f(x) if !g(x);", "policy.polar:1:9: ", "unexpected character '!'",
            "'not'", 0);
  parse_err("f(x) if g(x) && h(x);", "policy.polar:1:14: ", "'and'", 0);
  parse_err("f(x) if g(x) || h(x);", "policy.polar:1:14: ", "'or'", 0);
  parse_err("f('a');", "policy.polar:1:3: ", "double quotes", 0);
  parse_err("f(x) if x = 5 % 2;", "policy.polar:1:15: ", "arithmetic", 0);
  parse_err("f(x);\n\x01", "policy.polar:2:1: ", "unexpected byte 0x01", 0);
  parse_err("f(x);\xff", "policy.polar:1:6: ", "unexpected byte 0xFF", 0);
  {
    /* an embedded NUL is an ordinary bad byte when nSrc covers it */
    PlProgram *p = 0;
    char *zErr = 0;
    int rc = pl_parse(g_arena, "f(x);\0g(y);", 11, 0, 0, &p, &zErr);
    ck_assert_int_eq(rc, SQLITE_ERROR);
    ck_assert_str_eq(zErr, "policy.polar:1:6: unexpected byte 0x00");
    sqlite3_free(zErr);
  }
  /* the earlier syntax error wins over a later lexical one */
  parse_err("f(x) if g(x)\nh(\"unterminated", "policy.polar:2:1: ",
            "expected ';' after rule body", 0);
  /* a lexical error reached by the parser is reported */
  parse_err("f(x) if g(\"unterminated", "policy.polar:1:11: ",
            "unterminated string", 0);
  /* string contents are quoted safely */
  parse_err("f(x) if x = 1 \"a\x01\";", "policy.polar:1:15: ",
            "string \"a\\x01\"", 0);
}
END_TEST

START_TEST(test_oss_only_syntax){
  parse_err("f(x) if x.role = \"admin\";", "policy.polar:1:10: ",
            "attribute lookup", "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if x.is_admin();", "policy.polar:1:10: ", "method calls",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if g(x.y);", "policy.polar:1:12: ", "attribute lookup",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if y = new User();", "policy.polar:1:13: ", "'new'",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if g(x) and cut;", "policy.polar:1:18: ", "'cut'",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if forall(g(x), h(x));", "policy.polar:1:9: ", "'forall'",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if print(x);", "policy.polar:1:9: ", "'print'",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if debug();", "policy.polar:1:9: ", "'debug'",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if y := 1;", "policy.polar:1:11: ", "':='",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if y = x + 1;", "policy.polar:1:15: ", "arithmetic",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if y = x - 1;", "policy.polar:1:15: ", "arithmetic", 0);
  parse_err("f(x) if y = x-1;", "policy.polar:1:14: ", "arithmetic", 0);
  parse_err("f(x) if y = x * 2;", "policy.polar:1:15: ", "arithmetic", 0);
  parse_err("f(x) if y = x / 2;", "policy.polar:1:15: ", "arithmetic", 0);
  parse_err("f(x) if y = x mod 2;", "policy.polar:1:15: ", "arithmetic", 0);
  parse_err("f(x) if y = x rem 2;", "policy.polar:1:15: ", "arithmetic", 0);
  parse_err("f(x) if x = {a: 1};", "policy.polar:1:13: ", "dictionary",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if x = User{name: \"a\"};", "policy.polar:1:18: ",
            "field pattern", "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if x matches User{name: \"a\"};", "policy.polar:1:23: ",
            "field pattern", "not supported in Oso Cloud Polar", 0);
  parse_err("f(x: User{name: \"a\"});", "policy.polar:1:10: ",
            "pattern specializer", "not supported in Oso Cloud Polar", 0);
  parse_err("?= f(1);", "policy.polar:1:1: ", "'?='",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if x = [1, *rest];", "policy.polar:1:17: ", "rest variable",
            "not supported in Oso Cloud Polar", 0);
  parse_err("f(x) if x = *rest;", "policy.polar:1:13: ", "rest variable",
            "not supported in Oso Cloud Polar", 0);
}
END_TEST

START_TEST(test_depth_limits){
  int n = 100000, i;
  char *z = malloc((size_t)n*6 + 64);
  char *zErr = 0;
  PlProgram *p;
  int rc;
  /* deep parentheses */
  strcpy(z, "f(x) if ");
  memset(z+8, '(', (size_t)n);
  strcpy(z+8+n, "g(x);");
  rc = pl_parse(g_arena, z, -1, 0, 0, &p, &zErr);
  ck_assert_int_eq(rc, SQLITE_ERROR);
  ck_assert_ptr_nonnull(strstr(zErr, "nesting too deep"));
  sqlite3_free(zErr);
  /* deep not */
  strcpy(z, "f(x) if ");
  for(i=0; i<n; i++) memcpy(z+8+i*4, "not ", 4);
  strcpy(z+8+n*4, "g(x);");
  rc = pl_parse(g_arena, z, -1, 0, 0, &p, &zErr);
  ck_assert_int_eq(rc, SQLITE_ERROR);
  ck_assert_ptr_nonnull(strstr(zErr, "nesting too deep"));
  sqlite3_free(zErr);
  /* deep lists */
  strcpy(z, "f(x) if x in ");
  memset(z+13, '[', (size_t)n);
  strcpy(z+13+n, "];");
  rc = pl_parse(g_arena, z, -1, 0, 0, &p, &zErr);
  ck_assert_int_eq(rc, SQLITE_ERROR);
  ck_assert_ptr_nonnull(strstr(zErr, "nesting too deep"));
  sqlite3_free(zErr);
  /* moderate nesting is fine */
  p = parse_ok("f(x) if ((((not not (g(x))))));");
  ck_assert_str_eq(sx(p->aRule[0].pBody), "(not (not g(x)))");
  free(z);
}
END_TEST

static int tree_depth(const PlExpr *e){
  int a, b;
  if( e==0 ) return 0;
  if( e->eKind!=PL_EXPR_AND && e->eKind!=PL_EXPR_OR && e->eKind!=PL_EXPR_NOT ){
    return 1;
  }
  a = tree_depth(e->pLeft);
  b = tree_depth(e->pRight);
  return 1 + (a>b ? a : b);
}

START_TEST(test_long_chains_are_balanced){
  int n = 200000, i;
  sqlite3_str *s = sqlite3_str_new(0);
  char *z;
  PlProgram *p;
  sqlite3_str_appendall(s, "f(x) if g(x)");
  for(i=0; i<n; i++) sqlite3_str_appendall(s, i%3==0 ? " or g(x)" : " and g(x)");
  sqlite3_str_appendall(s, ";");
  z = sqlite3_str_finish(s);
  p = parse_ok(z);
  ck_assert_int_le(tree_depth(p->aRule[0].pBody), 64);
  sqlite3_free(z);
}
END_TEST

static const char *zSamplePolicy =
  "# GitClub-style sample used by the robustness tests\n"
  "actor User {}\n"
  "resource Organization {\n"
  "  roles = [\"admin\", \"member\"];\n"
  "  permissions = [\"read\", \"add_member\"];\n"
  "  \"read\" if \"member\";\n"
  "  \"member\" if \"admin\";\n"
  "  \"add_member\" if \"admin\";\n"
  "}\n"
  "resource Repository extends Base {\n"
  "  roles = [\"reader\", \"maintainer\"];\n"
  "  permissions = [\"read\", \"push\"];\n"
  "  relations = { parent: Organization, creator: User };\n"
  "  \"read\" if \"reader\";\n"
  "  \"reader\" if \"member\" on \"parent\";\n"
  "  role if role on \"parent\";\n"
  "  \"push\" if \"creator\" or global \"super\";\n"
  "  \"read\" if is_public(resource) and not is_banned(actor);\n"
  "}\n"
  "resource Base {}\n"
  "global { roles = [\"super\"]; }\n"
  "has_permission(u: User, \"read\", r: Repository) if\n"
  "  r matches Repository and (x = 1 or x != -2) and x in [1, \"s\"] and\n"
  "  @current_unix_time > 0 and u = User{\"a\\\"b\"};\n"
  "declare is_public(Repository);\n"
  "test fixture f { has_role(User{\"a\"}, \"admin\", Organization{\"o\"}); }\n"
  "test \"t\" {\n"
  "  setup { fixture f; is_public(Repository{\"r\"}, true) }\n"
  "  assert allow(User{\"a\"}, a: String, Repository{\"r\"}) iff a in [\"read\"];\n"
  "  assert_not allow(User{\"b\"}, \"read\", Repository{\"r\"});\n"
  "}\n";

/* Parse zSrc[0..n): must return OK or ERROR with a message, never crash. */
static void parse_any(const char *zSrc, int n){
  PlArena *a = pl_arena_new();
  PlProgram *p = 0;
  char *zErr = 0;
  int rc = pl_parse(a, zSrc, n, 0, 0, &p, &zErr);
  ck_assert(rc==SQLITE_OK || rc==SQLITE_ERROR);
  if( rc==SQLITE_OK ){
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_null(zErr);
  }else{
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(zErr);
    ck_assert_msg(strncmp(zErr, "policy.polar:", 13)==0, "bad message %s", zErr);
  }
  sqlite3_free(zErr);
  pl_arena_free(a);
}

START_TEST(test_sample_policy){
  PlProgram *p = parse_ok(zSamplePolicy);
  ck_assert_int_eq(p->nBlock, 5);
  ck_assert_int_eq(p->nRule, 1);
  ck_assert_int_eq(p->nTest, 1);
}
END_TEST

START_TEST(test_fuzz_prefixes){
  int n = (int)strlen(zSamplePolicy), i, nOk = 0;
  for(i=0; i<=n; i++){
    /* copy so that reading past n would be caught by ASan */
    char *z = malloc((size_t)i + 1);
    memcpy(z, zSamplePolicy, (size_t)i);
    parse_any(z, i);
    free(z);
    nOk++;
  }
  ck_assert_int_eq(nOk, n+1);
  /* the full text parses, and the prefix that stops mid-block does not */
  parse_err("actor User {}\nresource Organization {\n  roles = [\"admin\"",
            "policy.polar:3:19: ", "end of input", 0);
}
END_TEST

START_TEST(test_fuzz_random){
  static const char *azTok[] = {
    "resource", "actor", "global", "extends", "if", "and", "or", "not", "on",
    "role", "roles", "permissions", "relations", "matches", "in", "test",
    "fixture", "setup", "assert", "assert_not", "iff", "declare", "true",
    "x", "_", "User", "\"s\"", "\"", "42", "-1", "@current_unix_time", "(",
    ")", "{", "}", "[", "]", ",", ";", ":", "=", "==", "<", ">=", ".", "::",
    "#", "\n", " ", "\\", "*", "?=", ":=", "@", "\x80", "\0",
  };
  int nTok = (int)(sizeof(azTok)/sizeof(azTok[0]));
  int iter, i, n = (int)strlen(zSamplePolicy);
  unsigned int seed = 12345;
  char buf[2048];
  for(iter=0; iter<3000; iter++){
    int len = 0, nPiece;
    seed = seed*1103515245u + 12345u;
    nPiece = (int)((seed>>16) % 60);
    for(i=0; i<nPiece; i++){
      const char *zT;
      int l;
      seed = seed*1103515245u + 12345u;
      zT = azTok[(seed>>16) % (unsigned)nTok];
      l = zT[0] ? (int)strlen(zT) : 1;
      if( len+l+1 >= (int)sizeof(buf) ) break;
      memcpy(buf+len, zT, (size_t)l);
      len += l;
      buf[len++] = ' ';
    }
    parse_any(buf, len);
  }
  /* pure random bytes */
  for(iter=0; iter<2000; iter++){
    int len;
    seed = seed*1103515245u + 12345u;
    len = (int)((seed>>16) % 300);
    for(i=0; i<len; i++){
      seed = seed*1103515245u + 12345u;
      buf[i] = (char)(seed>>16);
    }
    parse_any(buf, len);
  }
  /* single-byte mutations of the sample policy */
  for(iter=0; iter<3000; iter++){
    char *z = malloc((size_t)n);
    memcpy(z, zSamplePolicy, (size_t)n);
    seed = seed*1103515245u + 12345u;
    i = (int)((seed>>16) % (unsigned)n);
    seed = seed*1103515245u + 12345u;
    z[i] = (char)(seed>>16);
    parse_any(z, n);
    free(z);
  }
}
END_TEST

static Suite *parser_suite(void){
  Suite *s = suite_create("parser");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_empty_and_comments);
  tcase_add_test(tc, test_blocks);
  tcase_add_test(tc, test_shorthand_forms);
  tcase_add_test(tc, test_rule_params);
  tcase_add_test(tc, test_precedence);
  tcase_add_test(tc, test_operators);
  tcase_add_test(tc, test_strings);
  tcase_add_test(tc, test_integers);
  tcase_add_test(tc, test_declare);
  tcase_add_test(tc, test_tests_and_fixtures);
  tcase_add_test(tc, test_order_irrelevant);
  tcase_add_test(tc, test_keywords_as_names);
  tcase_add_test(tc, test_file_name);
  tcase_add_test(tc, test_syntax_errors);
  tcase_add_test(tc, test_lexical_errors);
  tcase_add_test(tc, test_oss_only_syntax);
  tcase_add_test(tc, test_depth_limits);
  tcase_add_test(tc, test_long_chains_are_balanced);
  tcase_add_test(tc, test_sample_policy);
  tcase_add_test(tc, test_fuzz_prefixes);
  tcase_add_test(tc, test_fuzz_random);
  suite_add_tcase(s, tc);
  return s;
}

int main(void){
  SRunner *sr = srunner_create(parser_suite());
  int nFailed;
  srunner_run_all(sr, CK_NORMAL);
  nFailed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nFailed==0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
