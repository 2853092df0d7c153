/*
** test_desugar.c — unit tests of desugar.c (pl_desugar) and the printer.
**
** Generated rules are printed back as Polar with pl_program_dump_rule and
** compared, one per line, with the longhand of polar-reference.md 4.3.
** Every validation error is pinned by file:line:col and key words. A last
** test runs parse + desugar under an allocator that fails after N
** allocations, for every N, and requires a clean SQLITE_NOMEM.
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

static PlProgram *desugar_ok(const char *zSrc){
  PlProgram *p = 0;
  char *zErr = 0;
  int rc = pl_parse(g_arena, zSrc, -1, 0, 0, &p, &zErr);
  ck_assert_msg(rc==SQLITE_OK, "parse failed: %s", zErr ? zErr : "?");
  rc = pl_desugar(g_arena, p, &zErr);
  ck_assert_msg(rc==SQLITE_OK, "desugar failed: %s", zErr ? zErr : "?");
  ck_assert_ptr_null(zErr);
  return p;
}

/* Desugar must fail with a message starting with zPrefix and containing
** each NULL-terminated word. */
static void desugar_err(const char *zSrc, const char *zPrefix, ...){
  PlProgram *p = 0;
  char *zErr = 0;
  int rc = pl_parse(g_arena, zSrc, -1, 0, 0, &p, &zErr);
  va_list ap;
  const char *zWord;
  ck_assert_msg(rc==SQLITE_OK, "parse failed: %s", zErr ? zErr : "?");
  rc = pl_desugar(g_arena, p, &zErr);
  ck_assert_msg(rc==SQLITE_ERROR, "expected a desugar error for:\n%s", zSrc);
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

/* The generated rules (bGenerated), one per line; static buffer. */
static const char *generated(const PlProgram *p){
  static char buf[32768];
  sqlite3_str *s = sqlite3_str_new(0);
  char *z;
  int i;
  for(i=0; i<p->nRule; i++){
    if( !p->aRule[i].bGenerated ) continue;
    z = pl_program_dump_rule(&p->aRule[i]);
    sqlite3_str_appendf(s, "%s\n", z);
    sqlite3_free(z);
  }
  z = sqlite3_str_finish(s);
  snprintf(buf, sizeof(buf), "%s", z ? z : "");
  sqlite3_free(z);
  return buf;
}

/* Generated rules of zSrc without the default allow line. */
static const char *generated_no_allow(const char *zSrc){
  static char buf[32768];
  const char *zAllow =
    "allow(actor, action, resource) if has_permission(actor, action, resource);\n";
  const char *z = generated(desugar_ok(zSrc));
  size_t n = strlen(z), nA = strlen(zAllow);
  ck_assert_msg(n>=nA && strcmp(z+n-nA, zAllow)==0,
                "default allow missing at the end of:\n%s", z);
  snprintf(buf, sizeof(buf), "%.*s", (int)(n-nA), z);
  return buf;
}

static char *read_policy(const char *zName){
  static const char *azDir[] = { "tests/policies/", "../policies/",
                                 "../../tests/policies/", 0 };
  int i;
  for(i=0; azDir[i]; i++){
    char zPath[512];
    FILE *f;
    long n;
    char *z;
    snprintf(zPath, sizeof(zPath), "%s%s", azDir[i], zName);
    f = fopen(zPath, "rb");
    if( f==0 ) continue;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    z = malloc((size_t)n + 1);
    ck_assert_int_eq((long)fread(z, 1, (size_t)n, f), n);
    z[n] = 0;
    fclose(f);
    return z;
  }
  ck_abort_msg("cannot find tests/policies/%s (run from the repository root)",
               zName);
  return 0;
}

/*================================================================ tests ===*/

START_TEST(test_gitclub){
  char *zSrc = read_policy("gitclub.polar");
  PlProgram *p = desugar_ok(zSrc);
  ck_assert_str_eq(generated(p),
    "has_permission(actor: Actor, \"read\", resource: Organization) if has_role(actor, \"member\", resource);\n"
    "has_role(actor: Actor, \"member\", resource: Organization) if has_role(actor, \"admin\", resource);\n"
    "has_permission(actor: Actor, \"add_member\", resource: Organization) if has_role(actor, \"admin\", resource);\n"
    "has_permission(actor: Actor, \"read\", resource: Repository) if has_role(actor, \"reader\", resource);\n"
    "has_permission(actor: Actor, \"push\", resource: Repository) if has_role(actor, \"maintainer\", resource);\n"
    "has_role(actor: Actor, \"reader\", resource: Repository) if has_role(actor, \"maintainer\", resource);\n"
    "has_role(actor: Actor, \"reader\", resource: Repository) if $o1 matches Organization and has_relation(resource, \"parent\", $o1) and has_role(actor, \"member\", $o1);\n"
    "allow(actor, action, resource) if has_permission(actor, action, resource);\n");
  ck_assert_int_eq(p->nRule, 8);
  /* positions point at the shorthand rule */
  ck_assert_int_eq(p->aRule[6].pos.line, 21);
  ck_assert_int_eq(p->aRule[6].pos.col, 3);
  ck_assert_int_eq(p->aRule[6].aParam[2].pos.line, 21);
  ck_assert_int_eq(p->aRule[6].pBody->pos.line, 21);
  free(zSrc);
}
END_TEST

START_TEST(test_every_form){
  char *zSrc = read_policy("shorthand_forms.polar");
  ck_assert_str_eq(generated_no_allow(zSrc),
    /* actor block, recursive relation on itself */
    "has_role(actor: Actor, \"report\", resource: User) if $o1 matches User and has_relation(resource, \"manager\", $o1) and has_role(actor, \"report\", $o1);\n"
    /* global block: two-argument heads and atoms */
    "has_permission(actor: Actor, \"create_org\") if has_role(actor, \"superadmin\");\n"
    "has_role(actor: Actor, \"staff\") if has_role(actor, \"superadmin\");\n"
    "has_permission(actor: Actor, \"create_org\") if is_trusted(actor) and has_role(actor, \"staff\");\n"
    /* role <- role, role <- relation, permission <- permission */
    "has_role(actor: Actor, \"member\", resource: Organization) if has_role(actor, \"admin\", resource);\n"
    "has_role(actor: Actor, \"admin\", resource: Organization) if has_relation(resource, \"owner\", actor);\n"
    "has_permission(actor: Actor, \"manage\", resource: Organization) if has_permission(actor, \"read\", resource);\n"
    /* role if role on */
    "has_role(actor: Actor, $role: String, resource: Folder) if $o1 matches Folder and has_relation(resource, \"parent\", $o1) and has_role(actor, $role, $o1);\n"
    /* on: role, permission and relation of the related block */
    "has_role(actor: Actor, \"viewer\", resource: Folder) if $o1 matches Organization and has_relation(resource, \"org\", $o1) and has_role(actor, \"member\", $o1);\n"
    "has_permission(actor: Actor, \"read\", resource: Folder) if $o1 matches Organization and has_relation(resource, \"org\", $o1) and has_permission(actor, \"manage\", $o1);\n"
    "has_permission(actor: Actor, \"read\", resource: Folder) if $o1 matches Organization and has_relation(resource, \"org\", $o1) and has_relation($o1, \"owner\", actor);\n"
    /* relation of this block */
    "has_permission(actor: Actor, \"write\", resource: Folder) if has_relation(resource, \"creator\", actor);\n"
    /* global role and global permission */
    "has_permission(actor: Actor, \"read\", resource: Folder) if has_role(actor, \"superadmin\");\n"
    "has_permission(actor: Actor, \"write\", resource: Folder) if has_permission(actor, \"create_org\");\n"
    /* "x" if role on "rel": any role */
    "has_role(actor: Actor, \"viewer\", resource: Folder) if $o1 matches Organization and has_relation(resource, \"org\", $o1) and has_role(actor, _: String, $o1);\n"
    /* expression bodies, with atoms inside */
    "has_permission(actor: Actor, \"read\", resource: Folder) if is_public(resource);\n"
    "has_permission(actor: Actor, \"read\", resource: Folder) if $o1 matches Organization and has_relation(resource, \"org\", $o1) and has_role(actor, \"admin\", $o1) and not is_archived(resource);\n"
    "has_permission(actor: Actor, \"write\", resource: Folder) if (has_role(actor, \"editor\", resource) or $o1 matches User and has_relation(resource, \"creator\", $o1) and has_role(actor, \"report\", $o1)) and not is_locked(resource, true);\n");
  free(zSrc);
}
END_TEST

START_TEST(test_generated_tree){
  /* the generated nodes are the kinds the brief promises */
  PlProgram *p = desugar_ok(
    "actor User {}\n"
    "resource Org { roles = [\"member\"]; }\n"
    "resource Repo { roles = [\"reader\"]; relations = { parent: Org };\n"
    "  \"reader\" if \"member\" on \"parent\"; role if role on \"parent\"; }\n");
  PlRule *r = &p->aRule[0];
  PlExpr *e = r->pBody, *m;
  ck_assert_int_eq(r->bGenerated, 1);
  ck_assert_int_eq(r->nParam, 3);
  ck_assert_int_eq(r->aParam[0].eKind, PL_TERM_VAR);
  ck_assert_str_eq(r->aParam[0].zName, "actor");
  ck_assert_str_eq(r->aParam[0].zType, "Actor");
  ck_assert_int_eq(r->aParam[1].eKind, PL_TERM_STR);
  ck_assert_int_eq(r->aParam[1].n, 6);
  ck_assert_str_eq(r->aParam[2].zName, "resource");
  ck_assert_str_eq(r->aParam[2].zType, "Repo");
  ck_assert_int_eq(e->eKind, PL_EXPR_AND);
  m = e->pLeft;
  ck_assert_int_eq(m->eKind, PL_EXPR_MATCHES);
  ck_assert_int_eq(m->pA->eKind, PL_TERM_VAR);
  ck_assert_str_eq(m->pA->zName, "$o1");
  ck_assert_str_eq(m->zType, "Org");
  ck_assert_int_eq(e->pRight->eKind, PL_EXPR_AND);
  ck_assert_int_eq(e->pRight->pLeft->eKind, PL_EXPR_CALL);
  ck_assert_str_eq(e->pRight->pLeft->zPred, "has_relation");
  ck_assert_int_eq(e->pRight->pLeft->aArg[1].eKind, PL_TERM_STR);
  r = &p->aRule[1];
  ck_assert_int_eq(r->aParam[1].eKind, PL_TERM_VAR);
  ck_assert_str_eq(r->aParam[1].zName, "$role");
  ck_assert_str_eq(r->aParam[1].zType, "String");
  /* the any-role wildcard */
  p = desugar_ok("actor User {} resource Org { roles = [\"m\"]; }\n"
                 "resource R { permissions = [\"p\"]; relations = { o: Org };\n"
                 "  \"p\" if role on \"o\"; }");
  e = p->aRule[0].pBody->pRight->pRight;
  ck_assert_int_eq(e->eKind, PL_EXPR_CALL);
  ck_assert_str_eq(e->zPred, "has_role");
  ck_assert_int_eq(e->aArg[1].eKind, PL_TERM_WILD);
  ck_assert_str_eq(e->aArg[1].zType, "String");
}
END_TEST

START_TEST(test_variables_numbered_per_rule){
  ck_assert_str_eq(generated_no_allow(
    "actor User {}\n"
    "resource Org { roles = [\"a\", \"b\"]; }\n"
    "resource R { roles = [\"x\"]; relations = { o: Org, p: Org };\n"
    "  \"x\" if \"a\" on \"o\" and \"b\" on \"p\";\n"
    "  \"x\" if \"b\" on \"p\"; }\n"),
    "has_role(actor: Actor, \"x\", resource: R) if $o1 matches Org and has_relation(resource, \"o\", $o1) and has_role(actor, \"a\", $o1) and $o2 matches Org and has_relation(resource, \"p\", $o2) and has_role(actor, \"b\", $o2);\n"
    "has_role(actor: Actor, \"x\", resource: R) if $o1 matches Org and has_relation(resource, \"p\", $o1) and has_role(actor, \"b\", $o1);\n");
}
END_TEST

START_TEST(test_extends){
  char *zSrc = read_policy("extends.polar");
  /* Item's own rule is not repeated for Document; Document may use the
  ** role, permission and relation it inherits; Folder may name an
  ** inherited role of the related type. */
  ck_assert_str_eq(generated_no_allow(zSrc),
    "has_permission(actor: Actor, \"view\", resource: Item) if has_role(actor, \"viewer\", resource);\n"
    "has_permission(actor: Actor, \"edit\", resource: Document) if has_role(actor, \"editor\", resource);\n"
    "has_role(actor: Actor, \"viewer\", resource: Document) if $o1 matches Organization and has_relation(resource, \"org\", $o1) and has_role(actor, \"member\", $o1);\n"
    "has_role(actor: Actor, \"editor\", resource: Document) if has_permission(actor, \"view\", resource);\n"
    "has_permission(actor: Actor, \"browse\", resource: Folder) if $o1 matches Document and has_relation(resource, \"doc\", $o1) and has_role(actor, \"viewer\", $o1);\n");
  free(zSrc);
  /* transitive inheritance, and several supertypes */
  ck_assert_str_eq(generated_no_allow(
    "resource A { roles = [\"ra\"]; }\n"
    "resource B extends A {}\n"
    "resource M { permissions = [\"pm\"]; }\n"
    "resource C extends B, M { \"pm\" if \"ra\"; }\n"),
    "has_permission(actor: Actor, \"pm\", resource: C) if has_role(actor, \"ra\", resource);\n");
}
END_TEST

START_TEST(test_default_allow){
  PlProgram *p;
  /* no blocks at all: only the default allow */
  ck_assert_str_eq(generated(desugar_ok("f(x) if g(x);")),
    "allow(actor, action, resource) if has_permission(actor, action, resource);\n");
  p = desugar_ok("f(x) if g(x);");
  ck_assert_int_eq(p->nRule, 2);
  ck_assert_int_eq(p->aRule[0].bGenerated, 0);   /* user rules come first */
  ck_assert_int_eq(p->aRule[1].bGenerated, 1);
  ck_assert_ptr_null(p->aRule[1].aParam[0].zType);
  /* a custom allow/3 replaces it */
  ck_assert_str_eq(generated(desugar_ok(
    "allow(u: User, \"read\", r: Repo) if g(u, r);\n"
    "actor User {} resource Repo {}")), "");
  /* an allow of another arity does not */
  ck_assert_str_eq(generated(desugar_ok("allow(u, a) if g(u, a);")),
    "allow(actor, action, resource) if has_permission(actor, action, resource);\n");
}
END_TEST

START_TEST(test_validation_errors){
  desugar_err("global {}\nglobal {}", "policy.polar:2:1: ",
              "Multiple global blocks", 0);
  desugar_err("resource R {\n  roles = [\"a\", \"a\"];\n}", "policy.polar:2:17: ",
              "\"a\" is declared twice in 'R' resource block", "unique", 0);
  desugar_err("resource R { roles = [\"a\"];\n permissions = [\"a\"]; }",
              "policy.polar:2:17: ", "declared twice", "as a role at line 1",
              "as a permission", 0);
  desugar_err("resource O {}\nactor R { permissions = [\"o\"]; relations = { o: O }; }",
              "policy.polar:2:46: ", "declared twice in 'R' actor block",
              "as a relation", 0);
  desugar_err("resource R { relations = { o: O, o: O }; } resource O {}",
              "policy.polar:1:34: ", "declared twice", 0);
  desugar_err("resource Repository {\n  relations = { parent: Org };\n}",
              "policy.polar:2:25: ",
              "Relation 'parent' has type 'Org', but no such resource block "
              "exists. Try declaring one: resource Org {}", 0);
  desugar_err("resource Repository {\n  roles = [\"viewer\"];\n"
              "  permissions = [\"read\"];\n  \"read\" if \"viewr\";\n}",
              "policy.polar:4:13: ",
              "Undeclared term \"viewr\" referenced in rule in 'Repository' "
              "resource block. Did you mean to declare it as a role, "
              "permission, or relation?", "Did you mean \"viewer\"?", 0);
  desugar_err("resource R { roles = [\"viewer\"]; \"raed\" if \"viewer\"; }",
              "policy.polar:1:34: ", "Undeclared term \"raed\"",
              "'R' resource block", 0);
  {
    /* no suggestion when nothing is close */
    PlProgram *p = 0;
    char *zErr = 0;
    pl_parse(g_arena, "resource R { roles = [\"viewer\"]; \"x\" if \"zzzzzz\"; }",
             -1, "f.polar", 0, &p, &zErr);
    ck_assert_int_eq(pl_desugar(g_arena, p, &zErr), SQLITE_ERROR);
    ck_assert_str_eq(zErr, "f.polar:1:34: Undeclared term \"x\" referenced in "
                     "rule in 'R' resource block. Did you mean to declare it "
                     "as a role, permission, or relation?");
    sqlite3_free(zErr);
  }
  desugar_err("actor U {}\nresource R { roles = [\"a\"]; relations = { owner: U };\n"
              "  \"owner\" if \"a\"; }", "policy.polar:3:3: ",
              "\"owner\" is a relation of 'R' resource block",
              "cannot be the head", 0);
  desugar_err("resource R { roles = [\"a\"]; \"a\" if \"a\" on \"parent\"; }",
              "policy.polar:1:43: ", "\"parent\" is not a relation of 'R' "
              "resource block", 0);
  desugar_err("resource O {} resource R { roles = [\"a\"]; relations = "
              "{ parent: O };\n \"a\" if \"a\" on \"parnt\"; }",
              "policy.polar:2:16: ", "not a relation", "Did you mean \"parent\"?", 0);
  desugar_err("resource R { roles = [\"a\", \"b\"]; \"a\" if \"a\" on \"b\"; }",
              "policy.polar:1:48: ", "\"b\" is a role of 'R' resource block, "
              "not a relation", 0);
  desugar_err("resource Org { roles = [\"admin\"]; }\n"
              "resource R { roles = [\"a\"]; relations = { parent: Org };\n"
              "  \"a\" if \"member\" on \"parent\"; }",
              "policy.polar:3:10: ",
              "Term \"member\" not declared in related resource block 'Org'", 0);
  desugar_err("resource Org { roles = [\"member\"]; }\n"
              "resource R { roles = [\"a\"]; relations = { parent: Org };\n"
              "  \"a\" if \"membr\" on \"parent\"; }",
              "policy.polar:3:10: ", "not declared in related resource block",
              "Did you mean \"member\"?", 0);
  desugar_err("resource R { roles = [\"a\"]; \"a\" if global \"admin\"; }",
              "policy.polar:1:43: ", "global \"admin\"", "has none",
              "global {", 0);
  desugar_err("global { roles = [\"admin\"]; }\n"
              "resource R { roles = [\"a\"]; \"a\" if global \"admn\"; }",
              "policy.polar:2:43: ", "Undeclared term \"admn\"", "global",
              "Did you mean \"admin\"?", 0);
  desugar_err("resource Sub extends Super {}", "policy.polar:1:22: ",
              "'Sub' extends 'Super', but no such resource block exists", 0);
  desugar_err("resource A extends A {}", "policy.polar:1:20: ",
              "'A' extends itself", 0);
  desugar_err("resource A extends B {}\nresource B extends C {}\n"
              "resource C extends A {}", "policy.polar:1:20: ",
              "'A' extends itself", "cycle", 0);
  desugar_err("resource Repo {}\nactor Repo {}", "policy.polar:2:1: ",
              "Type 'Repo' is declared by two blocks", 0);
  desugar_err("resource String {}", "policy.polar:1:1: ",
              "'String' is a built-in type", 0);
  desugar_err("actor Actor {}", "policy.polar:1:1: ", "built-in", 0);
  desugar_err("resource O {}\nglobal { relations = { o: O }; }",
              "policy.polar:2:10: ", "global block cannot declare relations", 0);
  desugar_err("global { roles = [\"a\"]; \"a\" if \"a\" on \"o\"; }",
              "policy.polar:1:39: ", "'on' cannot be used in the global block", 0);
  desugar_err("global { roles = [\"a\"]; role if role on \"o\"; }",
              "policy.polar:1:25: ", "global block", 0);
  desugar_err("resource R { roles = [\"a\"]; role if \"a\"; }",
              "policy.polar:1:29: ", "'role' head needs 'role on", 0);
  desugar_err("resource O {} resource R { relations = { o: O };\n"
              "  role if not role on \"o\" and g(resource); }",
              "policy.polar:2:3: ", "'role' head needs", 0);
  desugar_err("resource O {} resource R { roles = [\"a\"]; relations = { o: O };\n"
              "  role if role on \"o\" or \"a\"; }",
              "policy.polar:2:3: ", "every branch of 'or'", 0);
  ck_assert_str_eq(generated_no_allow(
    "resource O {} resource R { relations = { o: O, p: O };\n"
    "  role if role on \"o\" or role on \"p\"; }"),
    "has_role(actor: Actor, $role: String, resource: R) if $o1 matches O and has_relation(resource, \"o\", $o1) and has_role(actor, $role, $o1) or $o2 matches O and has_relation(resource, \"p\", $o2) and has_role(actor, $role, $o2);\n");
  desugar_err("resource R { roles = [\"a\"]; \"a\" if f(resource) or \"b\"; }",
              "policy.polar:1:51: ", "Undeclared term \"b\"", 0);
  desugar_err("actor U { roles = [\"a\"]; \"a\" if \"zz\"; }",
              "policy.polar:1:33: ", "'U' actor block", 0);
}
END_TEST

START_TEST(test_inherited_names_in_validation){
  /* a relation declared in Super may be used with 'on' in Sub, and the
  ** duplicate-name check is per block (Sub may not redeclare? it may:
  ** only names within one block must be unique) */
  ck_assert_str_eq(generated_no_allow(
    "resource O { roles = [\"m\"]; }\n"
    "resource Super { relations = { o: O }; roles = [\"r\"]; }\n"
    "resource Sub extends Super { permissions = [\"p\"];\n"
    "  \"p\" if \"m\" on \"o\"; \"p\" if \"r\"; \"p\" if \"o\"; }\n"),
    "has_permission(actor: Actor, \"p\", resource: Sub) if $o1 matches O and has_relation(resource, \"o\", $o1) and has_role(actor, \"m\", $o1);\n"
    "has_permission(actor: Actor, \"p\", resource: Sub) if has_role(actor, \"r\", resource);\n"
    "has_permission(actor: Actor, \"p\", resource: Sub) if has_relation(resource, \"o\", actor);\n");
  /* the super-type is not changed by its sub-type's names */
  desugar_err("resource Super { permissions = [\"p\"]; \"p\" if \"s\"; }\n"
              "resource Sub extends Super { roles = [\"s\"]; }",
              "policy.polar:1:46: ", "Undeclared term \"s\"", 0);
}
END_TEST

START_TEST(test_printer){
  PlProgram *p = 0;
  char *zErr = 0;
  char *z;
  int rc = pl_parse(g_arena,
    "f(x: T, _: U, _, \"q\\\"\\\\\\n\\t\\r\\0\", -5, true, O{\"i\"}) if\n"
    "  not (a(x) and b(x)) and (c(x) or d(x)) or not not e(x) and\n"
    "  x in [1, [2], @current_unix_time] and x matches T and x = y and\n"
    "  x == 1 and x != 2 and x < 3 and x <= 4 and x > 5 and x >= 6;\n"
    "g(1);\n", -1, 0, 0, &p, &zErr);
  ck_assert_int_eq(rc, SQLITE_OK);
  z = pl_program_dump_rule(&p->aRule[0]);
  ck_assert_str_eq(z,
    "f(x: T, _: U, _, \"q\\\"\\\\\\n\\t\\r\\0\", -5, true, O{\"i\"}) if "
    "not (a(x) and b(x)) and (c(x) or d(x)) or not not e(x) and "
    "x in [1, [2], @current_unix_time] and x matches T and x = y and "
    "x == 1 and x != 2 and x < 3 and x <= 4 and x > 5 and x >= 6;");
  sqlite3_free(z);
  z = pl_program_dump_rule(&p->aRule[1]);
  ck_assert_str_eq(z, "g(1);");
  sqlite3_free(z);
  /* the printed text parses back to the same text */
  {
    PlProgram *p2 = 0;
    char *z1 = pl_program_dump_rule(&p->aRule[0]);
    char *z2;
    ck_assert_int_eq(pl_parse(g_arena, z1, -1, 0, 0, &p2, &zErr), SQLITE_OK);
    z2 = pl_program_dump_rule(&p2->aRule[0]);
    ck_assert_str_eq(z1, z2);
    sqlite3_free(z1);
    sqlite3_free(z2);
  }
  /* shorthand atoms print as written */
  rc = pl_parse(g_arena, "resource R { \"a\" if \"b\" on \"c\" or global \"d\" "
                "or role on \"e\" or \"f\"; }", -1, 0, 0, &p, &zErr);
  ck_assert_int_eq(rc, SQLITE_OK);
  z = pl_program_dump_expr(p->aBlock[0].aSh[0].pBody);
  ck_assert_str_eq(z, "\"b\" on \"c\" or global \"d\" or role on \"e\" or \"f\"");
  sqlite3_free(z);
}
END_TEST

/*--------------------------------------------------- allocation faults ---*/

static sqlite3_mem_methods g_defaultMem;
static int g_nFailAfter = -1;     /* -1: never fail */

static void *fault_malloc(int n){
  if( g_nFailAfter==0 ) return 0;
  if( g_nFailAfter>0 ) g_nFailAfter--;
  return g_defaultMem.xMalloc(n);
}
static void *fault_realloc(void *p, int n){
  if( g_nFailAfter==0 ) return 0;
  if( g_nFailAfter>0 ) g_nFailAfter--;
  return g_defaultMem.xRealloc(p, n);
}

START_TEST(test_out_of_memory){
  char *zPolicy = read_policy("shorthand_forms.polar");
  char *zSrc;
  int n, nOk = 0;
  /* many more rules, so that failures land inside the parser's arena
  ** growth and not only in its first chunks */
  {
    sqlite3_str *s = sqlite3_str_new(0);
    sqlite3_str_appendall(s, zPolicy);
    for(n=0; n<300; n++){
      sqlite3_str_appendf(s, "r%d(x: Folder, \"s\", 1) if g(x, [1, 2]) and "
                          "not h(x) or x matches Folder;\n", n);
    }
    zSrc = sqlite3_str_finish(s);
    ck_assert_ptr_nonnull(zSrc);
  }
  for(n=0; n<5000 && nOk==0; n++){
    PlArena *a;
    PlProgram *p = 0;
    char *zErr = 0;
    int rc;
    g_nFailAfter = n;
    a = pl_arena_new();
    if( a==0 ){ g_nFailAfter = -1; continue; }
    rc = pl_parse(a, zSrc, -1, 0, 0, &p, &zErr);
    if( rc==SQLITE_OK ) rc = pl_desugar(a, p, &zErr);
    g_nFailAfter = -1;
    ck_assert_msg(rc==SQLITE_OK || rc==SQLITE_NOMEM, "rc=%d (%s) after %d "
                  "allocations", rc, zErr ? zErr : "", n);
    if( rc==SQLITE_OK ) nOk++;
    sqlite3_free(zErr);
    pl_arena_free(a);
  }
  ck_assert_int_eq(nOk, 1);       /* enough allocations eventually succeed */
  ck_assert_int_gt(n, 20);
  sqlite3_free(zSrc);
  free(zPolicy);
}
END_TEST

START_TEST(test_scaling){
  sqlite3_str *s = sqlite3_str_new(0);
  char *z;
  int i;
  PlProgram *p = 0;
  char *zErr = 0;
  /* a 120-level diamond of extends: every walk must visit each block once */
  sqlite3_str_appendall(s, "resource B0 { roles = [\"r\"]; }\n");
  for(i=1; i<=120; i++){
    sqlite3_str_appendf(s, "resource L%d extends B%d {}\n", i, i-1);
    sqlite3_str_appendf(s, "resource R%d extends B%d {}\n", i, i-1);
    sqlite3_str_appendf(s, "resource B%d extends L%d, R%d {}\n", i, i, i);
  }
  sqlite3_str_appendall(s, "resource Top extends B120 { permissions = [\"p\"];"
                        " \"p\" if \"r\"; \"p\" if \"x\"; }\n");
  z = sqlite3_str_finish(s);
  ck_assert_int_eq(pl_parse(g_arena, z, -1, 0, 0, &p, &zErr), SQLITE_OK);
  ck_assert_int_eq(pl_desugar(g_arena, p, &zErr), SQLITE_ERROR);
  ck_assert_msg(strstr(zErr, "too many actor and resource blocks")!=0, "%s", zErr);
  sqlite3_free(zErr);
  sqlite3_free(z);
  s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "resource B0 { roles = [\"r\"]; }\n");
  for(i=1; i<=80; i++){
    sqlite3_str_appendf(s, "resource L%d extends B%d {}\n", i, i-1);
    sqlite3_str_appendf(s, "resource B%d extends L%d, B%d {}\n", i, i, i-1);
  }
  sqlite3_str_appendall(s, "resource Top extends B80 { permissions = [\"p\"];"
                        " \"p\" if \"r\"; \"p\" if \"x\"; }\n");
  z = sqlite3_str_finish(s);
  ck_assert_int_eq(pl_parse(g_arena, z, -1, 0, 0, &p, &zErr), SQLITE_OK);
  ck_assert_int_eq(pl_desugar(g_arena, p, &zErr), SQLITE_ERROR);
  ck_assert_msg(strstr(zErr, "Undeclared term \"x\"")!=0, "%s", zErr);
  sqlite3_free(zErr);
  sqlite3_free(z);
  /* 100k declared names: the uniqueness check is not quadratic */
  s = sqlite3_str_new(0);
  sqlite3_str_appendall(s, "resource R { roles = [");
  for(i=0; i<100000; i++) sqlite3_str_appendf(s, "\"r%d\", ", i);
  sqlite3_str_appendall(s, "\"r77\"]; }");
  z = sqlite3_str_finish(s);
  ck_assert_int_eq(pl_parse(g_arena, z, -1, 0, 0, &p, &zErr), SQLITE_OK);
  ck_assert_int_eq(pl_desugar(g_arena, p, &zErr), SQLITE_ERROR);
  ck_assert_msg(strstr(zErr, "\"r77\" is declared twice")!=0, "%s", zErr);
  sqlite3_free(zErr);
  sqlite3_free(z);
}
END_TEST

static Suite *desugar_suite(void){
  Suite *s = suite_create("desugar");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_gitclub);
  tcase_add_test(tc, test_every_form);
  tcase_add_test(tc, test_generated_tree);
  tcase_add_test(tc, test_variables_numbered_per_rule);
  tcase_add_test(tc, test_extends);
  tcase_add_test(tc, test_default_allow);
  tcase_add_test(tc, test_validation_errors);
  tcase_add_test(tc, test_inherited_names_in_validation);
  tcase_add_test(tc, test_printer);
  tcase_add_test(tc, test_scaling);
  tcase_add_test(tc, test_out_of_memory);
  suite_add_tcase(s, tc);
  return s;
}

int main(void){
  SRunner *sr;
  sqlite3_mem_methods m;
  int nFailed;
  /* wrap SQLite's allocator so test_out_of_memory can make it fail */
  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &g_defaultMem);
  m = g_defaultMem;
  m.xMalloc = fault_malloc;
  m.xRealloc = fault_realloc;
  sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
  sr = srunner_create(desugar_suite());
  srunner_run_all(sr, CK_NORMAL);
  nFailed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nFailed==0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
