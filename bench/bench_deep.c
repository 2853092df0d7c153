/*
** bench_deep.c — deep policies (issue 11): the K-level family of
** deep_policy.h, its compiled size and its speed at a million facts.
**
**   bench_deep [--quick] [--only size|speed] [--levels 2,4,6,8,10] [--shared 10,100,1000]
**              [--max-level 12] [--compiles N] [--size N] [--iters N]
**              [--list-iters N] [--budget S] [--seed S] [--inherit three|var]
**              [--ext PATH] [--json FILE] [--db-dir DIR] [--verbose]
**
** 1. Size. For K = 1..12, with and without nested groups, in both ways of
**    inheriting roles: the bytes of what polar_sql returns (the compiled
**    statement and the statements of its units) for authorize(User, "read",
**    R(K-1)), polar_list(User, "read", R(K-1)) and polar_actions(User,
**    R(K-1)), and the compile time: median over --compiles fresh
**    connections of the first polar_sql after polar_load, on the thread's
**    CPU clock. The bar: SQL grows at most linearly with the number of
**    rules, so bytes per rule and the growth per level are printed, with a
**    verdict per shape (size_verdict).
**
** 2. Speed. For each K of --levels, a world of deep_world.c with nested
**    groups (--size facts, default 1M) written straight into the fact
**    tables in one transaction, then side by side in this process:
**    polarlite (`SELECT authorize(?1, ?2, ?3)`, `SELECT id FROM
**    polar_list(?1, ?2, ?3)`) on a connection left at Debian's default
**    temp_store, and the hand-written query for the same question on a
**    connection of its own with PRAGMA temp_store=MEMORY. Calls alternate
**    input by input (each side first every other time) and every answer is
**    compared with the other side and with the oracle of deep_world.c.
**    Rows: read and write on R(K-1), allowed and denied, and the list of
**    the R(K-1) the list user reads, each call timed on the wall clock and
**    on the thread's CPU clock. The bar: polarlite p50 within 1.5x of the
**    hand-written query. Then, untimed, polar_list (read and write) for 40
**    users and polar_actions for 400 inputs against the oracle.
**    Then one shape on its own (--shared): a single resource shared with
**    10, 100, 1000 groups, checked for an actor in two nested groups (deny)
**    and for a member of one of those groups (allow).
**
** --quick: K = 1..12 sizes from 3 compiles, speed at 30k facts, 300 calls
** per row: about a minute, for a check after each compiler change. Exit
** status 1 on any mismatch, SQL error or failed compile; slow numbers never
** fail the run.
*/
#include "bench_sql.h"
#include "bench_util.h"
#include "deep_policy.h"
#include "deep_world.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POOL_SIZE  1024
#define MAX_SHOWN  10
#define BAR_RATIO  1.5

typedef struct Opts {
  int bSize, bSpeed, bVerbose;
  int nMaxLevel;
  int nCompile;
  int aLevel[DW_MAX_LEVEL]; int nLevel;
  int aShared[DW_MAX_LEVEL]; int nShared;
  long nFacts;
  int nIter, nListIter;
  double rBudget;
  uint64_t seed;
  int eInherit;
  const char *zExt, *zJson, *zDbDir;
} Opts;

/*------------------------------------------------------------------ size ---*/
enum { SH_AUTH = 0, SH_LIST, SH_ACTIONS, SH_N };
static const char *const azShape[SH_N] = { "authorize", "list", "actions" };

typedef struct SizeRow {
  int K, bGroups, eInherit, nRule;
  long anByte[SH_N];
  double aMs[SH_N];            /* median compile time, wall clock */
  double aCpuMs[SH_N];         /* the same on the thread's CPU clock */
  char zErr[200];
} SizeRow;

static sqlite3 *open_with_ext(const char *zPath, const char *zExt){
  sqlite3 *db = 0;
  char *zErr = 0;
  if( sqlite3_open(zPath, &db)!=SQLITE_OK ) bdie("cannot open %s: %s", zPath, sqlite3_errmsg(db));
  sqlite3_enable_load_extension(db, 1);
  if( sqlite3_load_extension(db, zExt, "sqlite3_polarlite_init", &zErr)!=SQLITE_OK ){
    bdie("cannot load %s: %s", zExt, zErr ? zErr : "?");
  }
  sqlite3_enable_load_extension(db, 0);
  return db;
}

/* SELECT polar_load(?1, 'deep.polar'); 0 or an error message (sqlite3_free). */
static char *polar_load(sqlite3 *db, const char *zSrc){
  sqlite3_stmt *p = bsql_prepare(db, "SELECT polar_load(?1, 'deep.polar')");
  char *zErr = 0;
  sqlite3_bind_text(p, 1, zSrc, -1, SQLITE_STATIC);
  if( sqlite3_step(p)!=SQLITE_ROW ) zErr = sqlite3_mprintf("polar_load: %s", sqlite3_errmsg(db));
  sqlite3_finalize(p);
  return zErr;
}

/* polar_sql for shape e of the deepest type; the text (sqlite3_free) or 0
** with *pzErr set. *pNs, *pCpu = time of the call, wall and CPU. */
static char *polar_sql(sqlite3 *db, int e, int K, int64_t *pNs, int64_t *pCpu, char **pzErr){
  static const char *const azSql[SH_N] = {
    "SELECT polar_sql('authorize', 'User:u1', 'read', ?1)",
    "SELECT polar_sql('list', 'User:u1', 'read', ?1)",
    "SELECT polar_sql('actions', 'User:u1', ?1)",
  };
  sqlite3_stmt *p = bsql_prepare(db, azSql[e]);
  char zArg[40];
  char *zOut = 0;
  int64_t t0, c0;
  if( e==SH_LIST ) snprintf(zArg, sizeof(zArg), "R%d", K - 1);
  else snprintf(zArg, sizeof(zArg), "R%d:n0", K - 1);
  sqlite3_bind_text(p, 1, zArg, -1, SQLITE_TRANSIENT);
  c0 = bcpu_ns();
  t0 = bnow_ns();
  if( sqlite3_step(p)==SQLITE_ROW ){
    *pNs = bnow_ns() - t0;
    *pCpu = bcpu_ns() - c0;
    zOut = sqlite3_mprintf("%s", (const char*)sqlite3_column_text(p, 0));
  }else{
    *pzErr = sqlite3_mprintf("polar_sql('%s', ..., '%s'): %s", azShape[e], zArg, sqlite3_errmsg(db));
  }
  sqlite3_finalize(p);
  return zOut;
}

static void size_row(const Opts *o, SizeRow *r){
  DeepPolicy dp;
  char *zSrc;
  int e, i;
  dp.nLevel = r->K; dp.bGroups = r->bGroups; dp.eInherit = r->eInherit;
  zSrc = deep_policy_text(&dp, &r->nRule);
  for(e=0; e<SH_N && !r->zErr[0]; e++){
    int64_t aNs[64], aCpu[64];
    int n = o->nCompile<64 ? o->nCompile : 64;
    for(i=0; i<n; i++){
      sqlite3 *db = open_with_ext(":memory:", o->zExt);
      char *zErr = polar_load(db, zSrc), *zOut = 0;
      if( !zErr ) zOut = polar_sql(db, e, r->K, &aNs[i], &aCpu[i], &zErr);
      if( zErr ){
        snprintf(r->zErr, sizeof(r->zErr), "%s", zErr);
        sqlite3_free(zErr);
        sqlite3_close(db);
        break;
      }
      if( i==0 ){
        r->anByte[e] = (long)strlen(zOut);
        if( o->bVerbose ) printf("-- K=%d %s %s %s:\n%s\n", r->K, r->bGroups ? "groups" : "no-groups",
                                 r->eInherit==DP_ROLE_VAR ? "var" : "three", azShape[e], zOut);
      }
      sqlite3_free(zOut);
      sqlite3_close(db);
    }
    if( !r->zErr[0] ){
      BStats s;
      bstats_ms(aNs, n, &s);
      r->aMs[e] = s.p50;
      bstats_ms(aCpu, n, &s);
      r->aCpuMs[e] = s.p50;
    }
  }
  free(zSrc);
}

/* Linear growth: the bytes a level adds stay the same. Compares the
** average added per level over the top third of K (K = max-w .. max) with
** the average over K = 3 .. 3+w (K = 1, 2 are special: no parent, no
** default role); "MISS" past 1.25. a[0] is K = 1. */
#define LINEAR_SLACK 1.25
static int size_verdict(const SizeRow *a, int nMax){
  int e, k, w = (nMax - 3) / 3, nMiss = 0;
  if( w<1 ) return 0;
  for(k=2; k<nMax; k++) if( a[k].zErr[0] ) return 0;
  printf("per level, K=%d..%d against K=3..%d:", nMax - w, nMax, 3 + w);
  for(e=0; e<SH_N; e++){
    double lo = (double)(a[2 + w].anByte[e] - a[2].anByte[e]) / w;
    double hi = (double)(a[nMax - 1].anByte[e] - a[nMax - 1 - w].anByte[e]) / w;
    double x = lo>0 ? hi / lo : 0;
    printf("  %s %.0f vs %.0f bytes = %.2fx %s", azShape[e], hi, lo, x,
           x<=LINEAR_SLACK ? "linear" : "MISS");
    nMiss += x>LINEAR_SLACK;
  }
  printf("\n");
  return nMiss;
}

/* Returns the number of rows that failed to compile. */
static int size_table(const Opts *o, SizeRow *aRow, int *pnRow, int *pnMiss){
  int bGroups, eInherit, K, nBad = 0, n = 0;
  printf("== K-level family: compiled SQL and compile time\n"
         "bytes: the text polar_sql returns (statement + units) for the deepest type R(K-1):\n"
         "authorize(User, \"read\", R), polar_list(User, \"read\", R), polar_actions(User, R);\n"
         "+level: bytes added by the last level; compile: median of %d fresh compiles (new\n"
         "connection, polar_load, the first polar_sql timed), thread CPU time (the wall clock\n"
         "is in the JSON: on a busy machine it counts the waits for a core)\n", o->nCompile);
  for(bGroups=0; bGroups<=1; bGroups++){
    for(eInherit=DP_THREE_RULES; eInherit<=DP_ROLE_VAR; eInherit++){
      printf("\n%s, %s\n", bGroups ? "nested groups" : "no groups",
             eInherit==DP_ROLE_VAR ? "role if role on \"parent\"" : "\"viewer\" if \"viewer\" on \"parent\" (x3)");
      printf("%3s %5s  %9s %7s  %9s %7s  %9s %7s  %10s  %s\n", "K", "rules",
             "authorize", "+level", "list", "+level", "actions", "+level", "bytes/rule",
             "compile cpu ms (authorize / list / actions)");
      const SizeRow *r0 = &aRow[n];
      for(K=1; K<=o->nMaxLevel; K++){
        SizeRow *r = &aRow[n++];
        const SizeRow *prev = K>1 ? r - 1 : 0;
        long nTotal;
        int e;
        memset(r, 0, sizeof(*r));
        r->K = K; r->bGroups = bGroups; r->eInherit = eInherit;
        size_row(o, r);
        if( r->zErr[0] ){
          printf("%3d %5d  ERROR %s\n", K, r->nRule, r->zErr);
          nBad++;
          continue;
        }
        nTotal = r->anByte[0] + r->anByte[1] + r->anByte[2];
        printf("%3d %5d", K, r->nRule);
        for(e=0; e<SH_N; e++){
          if( prev && !prev->zErr[0] ) printf("  %9ld %+7ld", r->anByte[e], r->anByte[e] - prev->anByte[e]);
          else printf("  %9ld %7s", r->anByte[e], "");
        }
        printf("  %10.0f  %.2f / %.2f / %.2f\n", (double)nTotal / r->nRule,
               r->aCpuMs[0], r->aCpuMs[1], r->aCpuMs[2]);
      }
      *pnMiss += size_verdict(r0, o->nMaxLevel);
    }
  }
  printf("\n(linear growth: +level constant, bytes/rule flat; 'MISS': a level adds more than\n"
         " %.2fx what it added at K=3..6, the SQL grows faster than the policy)\n", LINEAR_SLACK);
  *pnRow = n;
  return nBad;
}

/*----------------------------------------------------------------- speed ---*/
/* The hand-written queries, for the deepest type R(K-1): ?1 the user, ?2
** the resource (checks). Written the way someone who knows SQLite would:
**  - pr: the user's principals, one recursive CTE (UNION: group cycles);
**  - anc: the resource and its ancestors (UNION ALL: parent types go
**    R(i) -> R(i-1), so the walk cannot loop);
**  - roles as equality probes on the primary key (a1, a2, a3), one
**    EXISTS per role name: on SQLite 3.40 `a2 IN (...)` builds an
**    ephemeral table on every execution (bench/README.md);
**  - CROSS JOIN fixes the order: the small walks first, then one probe.
** read: any role grants it (viewer < editor < admin, each inherited), and
** the default role is then never needed (a viewer of the parent is a
** viewer of the child). write: editor or admin on an ancestor, or a
** default editor/admin role of the parent R(K-2) for one who holds any
** role on it or above. */
#define T_ROLE  "polar_f_has_role_3"
#define T_REL   "polar_f_has_relation_3"
#define T_GROUP "polar_f_has_group_2"
#define T_DEF   "polar_f_has_default_role_2"

/* pr: the actor ?1 and its groups, transitively (UNION: cycles end). */
static void floor_principals(sqlite3_str *s, int bGroups){
  if( bGroups ){
    sqlite3_str_appendall(s,
      "WITH RECURSIVE pr(p) AS (\n"
      "  SELECT ?1 UNION SELECT g.a2 FROM pr JOIN " T_GROUP " g ON g.a1=pr.p),\n");
  }else{
    sqlite3_str_appendall(s, "WITH RECURSIVE pr(p) AS (SELECT ?1),\n");
  }
}

static void floor_ctes(sqlite3_str *s, int K, int bGroups){
  floor_principals(s, bGroups);
  if( K==1 ){
    sqlite3_str_appendall(s, "anc(r) AS (SELECT ?2)\n");   /* no relation at K = 1 */
    return;
  }
  sqlite3_str_appendall(s,
    "anc(r) AS (\n"
    "  SELECT ?2 UNION ALL\n"
    "  SELECT h.a3 FROM anc JOIN " T_REL " h ON h.a1=anc.r AND h.a2='String:parent')\n");
}

static void floor_probe(sqlite3_str *s, const char *zRole, int bFirst){
  sqlite3_str_appendf(s,
    "%s EXISTS(SELECT 1 FROM anc CROSS JOIN pr CROSS JOIN " T_ROLE " x\n"
    "           WHERE x.a1=pr.p AND x.a2='String:%s' AND x.a3=anc.r)\n",
    bFirst ? "SELECT" : "    OR", zRole);
}

static char *floor_check_sql(int K, int perm, int bGroups){
  sqlite3_str *s = sqlite3_str_new(0);
  floor_ctes(s, K, bGroups);
  if( perm==DW_READ ) floor_probe(s, "viewer", 1);
  floor_probe(s, "editor", perm!=DW_READ);
  floor_probe(s, "admin", 0);
  if( perm==DW_WRITE && K>=2 ){
    /* the parent's default role, for a holder of any role on it or above */
    const char *azDef[] = { "editor", "admin" };
    int i;
    for(i=0; i<2; i++){
      sqlite3_str_appendf(s,
        "    OR EXISTS(SELECT 1 FROM " T_REL " q CROSS JOIN " T_DEF " d\n"
        "           WHERE q.a1=?2 AND q.a2='String:parent' AND d.a1=q.a3 AND d.a2='String:%s'\n"
        "             AND EXISTS(SELECT 1 FROM anc CROSS JOIN pr CROSS JOIN " T_ROLE " x\n"
        "                         WHERE anc.r<>?2 AND x.a3=anc.r AND x.a1=pr.p))\n", azDef[i]);
    }
  }
  return sqlite3_str_finish(s);
}

/* The R(K-1) a user reads: every resource a principal holds a role on,
** and all below (any role grants read; the default role adds nothing to
** read, see above). */
static char *floor_list_sql(int K, int bGroups){
  sqlite3_str *s = sqlite3_str_new(0);
  floor_principals(s, bGroups);
  if( K==1 ){                /* no relation: the roles' resources, once each */
    sqlite3_str_appendall(s,
      "down(r) AS (SELECT DISTINCT x.a3 FROM pr CROSS JOIN " T_ROLE " x ON x.a1=pr.p)\n");
  }else{
    sqlite3_str_appendall(s,
      "down(r) AS (\n"
      "  SELECT x.a3 FROM pr CROSS JOIN " T_ROLE " x ON x.a1=pr.p\n"
      "  UNION\n"
      "  SELECT c.a1 FROM down JOIN " T_REL " c ON c.a3=down.r AND c.a2='String:parent')\n");
  }
  sqlite3_str_appendf(s, "SELECT r FROM down WHERE r>='R%d:' AND r<'R%d;'", K - 1, K - 1);
  return sqlite3_str_finish(s);
}

typedef struct Input { char zUser[32], zRes[32]; int expect, bDefault; } Input;

enum { ROW_CHECK = 1, ROW_LIST };

typedef struct SpeedRow {
  int K, eKind, perm, bAllow;
  char zName[40];
  int nPool, nDefault;         /* inputs; allowed only through the default role */
  BStats pl, fl;               /* wall clock; checks: us; list: ms */
  BStats plCpu, flCpu;         /* thread CPU time, same units */
  double rPlStmt;              /* statements polarlite runs per call */
  long nMis, nOracleBad, nErr;
  long nCount, nOracle;        /* list: ids */
} SpeedRow;

typedef struct Speed {
  const Opts *o;
  const DeepWorld *w;
  sqlite3 *dbPl, *dbFl;
  BRng rng;
  DwPrincipals P;
  SpeedRow *aRow; int nRow, nRowAlloc;
  long nBad;
} Speed;

static SpeedRow *new_row(Speed *sp, int K, int eKind, const char *zName){
  SpeedRow *r;
  if( sp->nRow==sp->nRowAlloc ){
    sp->nRowAlloc = sp->nRowAlloc ? sp->nRowAlloc * 2 : 16;
    sp->aRow = bxrealloc(sp->aRow, sizeof(SpeedRow)*(size_t)sp->nRowAlloc);
  }
  r = &sp->aRow[sp->nRow++];
  memset(r, 0, sizeof(*r));
  r->K = K;
  r->eKind = eKind;
  snprintf(r->zName, sizeof(r->zName), "%s", zName);
  return r;
}

/* A leaf below resource res of level, walking down by random children;
** -1 at a resource without children. */
static int random_leaf(Speed *sp, int level, int res){
  const DeepWorld *w = sp->w;
  while( level<w->nLevel - 1 ){
    int a = w->aChildStart[level][res], b = w->aChildStart[level][res + 1];
    if( a==b ) return -1;
    res = w->aChild[level][a + (int)brng_below(&sp->rng, (uint32_t)(b - a))];
    level++;
  }
  return res;
}

/* Allowed inputs: a random user's principal, one of its role facts, a
** random leaf below it, kept when the oracle allows the permission there.
** Denied: a random user and leaf the oracle denies. */
static int make_pool(Speed *sp, int perm, int bAllow, Input *a, int *pnDefault){
  const DeepWorld *w = sp->w;
  int n = 0, nTry = 0, K = w->nLevel;
  *pnDefault = 0;
  while( n<POOL_SIZE && nTry<200 * POOL_SIZE ){
    int user = 1 + (int)brng_below(&sp->rng, (uint32_t)(w->nUser - 1));
    int leaf, bDefault, ans;
    nTry++;
    dw_principals(w, user, &sp->P);
    if( bAllow ){
      int pr = sp->P.a[brng_below(&sp->rng, (uint32_t)sp->P.n)];
      int nf = w->aRoleStart[pr + 1] - w->aRoleStart[pr];
      const DwRole *f;
      if( nf==0 ) continue;
      f = &w->aRole[w->aRoleStart[pr] + (int)brng_below(&sp->rng, (uint32_t)nf)];
      leaf = random_leaf(sp, f->level, f->res);
      if( leaf<0 ) continue;
    }else{
      leaf = (int)brng_below(&sp->rng, (uint32_t)w->aCount[K - 1]);
    }
    ans = dw_allowed(w, &sp->P, perm, leaf, &bDefault);
    if( ans!=bAllow ) continue;
    dw_user_ref(a[n].zUser, user);
    dw_res_ref(a[n].zRes, K - 1, leaf);
    a[n].expect = ans;
    a[n].bDefault = bDefault;
    *pnDefault += bDefault;
    n++;
  }
  return n;
}

/* One side of a row: its connection and statement, the times of its calls
** on both clocks (wall: CLOCK_MONOTONIC; cpu: the thread's CPU time, which
** leaves out the time spent waiting for a core on a busy machine), its
** first error. */
typedef struct Side {
  const char *zWho;
  sqlite3 *db;
  sqlite3_stmt *p;
  const char *zAction;         /* polarlite's checks: ?2; else 0 */
  int64_t *aWall, *aCpu;
  char *zErr;
} Side;

static void side_init(Side *s, const char *zWho, sqlite3 *db, const char *zSql,
                      const char *zAction, int nCall){
  memset(s, 0, sizeof(*s));
  s->zWho = zWho;
  s->db = db;
  s->p = bsql_prepare(db, zSql);
  s->zAction = zAction;
  s->aWall = bxmalloc(sizeof(int64_t)*(size_t)nCall);
  s->aCpu = bxmalloc(sizeof(int64_t)*(size_t)nCall);
}

/* Stats of the first n calls into *pWall, *pCpu (unit: us, or ms for
** lists); reports and frees the side. */
static void side_done(Side *s, SpeedRow *r, int n, int bMs, BStats *pWall, BStats *pCpu){
  if( n>0 ){
    (bMs ? bstats_ms : bstats_us)(s->aWall, n, pWall);
    (bMs ? bstats_ms : bstats_us)(s->aCpu, n, pCpu);
  }
  if( s->zErr ) printf("ERROR K=%d %s: %s: %s\n", r->K, r->zName, s->zWho, s->zErr);
  sqlite3_free(s->zErr);
  sqlite3_finalize(s->p);
  free(s->aWall);
  free(s->aCpu);
}

/* Statements run per call, the outer one included (sqlite3_trace_v2 also
** sees the statements polarlite runs inside a call: units). */
static long gnStmt;
static int count_stmt(unsigned eType, void *pCtx, void *pStmt, void *pX){
  (void)pCtx; (void)pStmt; (void)pX;
  if( eType==SQLITE_TRACE_STMT ) gnStmt++;
  return 0;
}

/* Call i of a check (i < 0: not kept). */
static int side_check(Side *s, const Input *in, int i){
  int64_t ns, c0 = bcpu_ns(), c1;
  int ans = bsql_check(s->db, s->p, in->zUser, s->zAction, in->zRes, &ns, &s->zErr);
  c1 = bcpu_ns();
  if( i>=0 ){ s->aWall[i] = ns; s->aCpu[i] = c1 - c0; }
  return ans;
}

/* Call i of a list (i < 0: not kept); -1 on error. */
static int64_t side_list(Side *s, const char *zType, int i, long *pn, uint64_t *pH, int *pbWild){
  int64_t c0 = bcpu_ns(), c1;
  int64_t ns = bsql_list(s->db, s->p, zType, pn, pH, pbWild, &s->zErr);
  c1 = bcpu_ns();
  if( i>=0 ){ s->aWall[i] = ns; s->aCpu[i] = c1 - c0; }
  return ns;
}

/* Statements polarlite runs per authorize, over up to 200 inputs. */
static double stmts_per_check(sqlite3 *db, const char *zAction, const Input *aIn, int nIn){
  sqlite3_stmt *p = bsql_prepare(db, "SELECT authorize(?1, ?2, ?3)");
  int i, n = nIn<200 ? nIn : 200;
  int64_t ns;
  if( n==0 ) return 0;
  sqlite3_trace_v2(db, SQLITE_TRACE_STMT, count_stmt, 0);
  gnStmt = 0;
  for(i=0; i<n; i++) bsql_check(db, p, aIn[i].zUser, zAction, aIn[i].zRes, &ns, 0);
  sqlite3_trace_v2(db, 0, 0, 0);
  sqlite3_finalize(p);
  return (double)gnStmt / n;
}

/* Times authorize(actor, zAction, resource) against zFloor over the inputs
** aIn[0..nIn) (drawn at random), alternating the sides call by call, and
** compares every answer with the other side and with the input's expected
** answer. Fills row r. */
static void time_checks(Speed *sp, SpeedRow *r, const char *zAction, const char *zFloor,
                        const Input *aIn, int nIn){
  const Opts *o = sp->o;
  Side pl, fl;
  int i, nWarm, nShown = 0;
  int64_t tStart, nsPl = 0, nsFl = 0, nsBudget = (int64_t)(o->rBudget * 1e9);

  r->nPool = nIn;
  side_init(&pl, "polarlite", sp->dbPl, "SELECT authorize(?1, ?2, ?3)", zAction, o->nIter);
  side_init(&fl, "hand-written", sp->dbFl, zFloor, 0, o->nIter);
  if( nIn==0 ) printf("K=%d %s: no inputs in this world\n", r->K, r->zName);
  if( o->bVerbose ) printf("-- K=%d %s: hand-written SQL\n%s\n", r->K, r->zName, zFloor);
  nWarm = o->nIter<1000 ? o->nIter : 1000;
  tStart = bnow_ns();
  for(i=0; nIn>0 && i<nWarm && bnow_ns() - tStart < nsBudget / 4; i++){
    side_check(&pl, &aIn[i % nIn], -1);
    side_check(&fl, &aIn[i % nIn], -1);
  }
  /* alternate, each side first every other call */
  for(i=0; nIn>0 && i<o->nIter; i++){
    const Input *in = &aIn[brng_below(&sp->rng, (uint32_t)nIn)];
    int ansPl, ansFl;
    if( i>=100 && (nsPl>nsBudget || nsFl>nsBudget) ){
      printf("NOTE K=%d %s: stopped after %d calls (budget %.0f s per side)\n",
             r->K, r->zName, i, o->rBudget);
      break;
    }
    if( i & 1 ){
      ansFl = side_check(&fl, in, i);
      ansPl = side_check(&pl, in, i);
    }else{
      ansPl = side_check(&pl, in, i);
      ansFl = side_check(&fl, in, i);
    }
    nsPl += pl.aWall[i];
    nsFl += fl.aWall[i];
    if( ansPl<0 || ansFl<0 ){ r->nErr++; continue; }
    if( ansFl!=in->expect ) r->nOracleBad++;
    if( ansPl!=ansFl ) r->nMis++;
    if( (ansPl!=ansFl || ansFl!=in->expect) && nShown++<MAX_SHOWN ){
      printf("MISMATCH K=%d %s: authorize('%s', '%s', '%s') polarlite=%d hand-written=%d "
             "oracle=%d%s\n", r->K, r->zName, in->zUser, zAction, in->zRes, ansPl, ansFl,
             in->expect, in->bDefault ? " (through the default role)" : "");
    }
  }
  side_done(&pl, r, i, 0, &r->pl, &r->plCpu);
  side_done(&fl, r, i, 0, &r->fl, &r->flCpu);
  r->rPlStmt = stmts_per_check(sp->dbPl, zAction, aIn, nIn);
  sp->nBad += r->nMis + r->nOracleBad + r->nErr;
}

static void run_check(Speed *sp, int perm, int bAllow){
  const char *zAction = perm==DW_READ ? "read" : "write";
  char zName[40];
  Input *aIn = bxmalloc(sizeof(Input)*POOL_SIZE);
  char *zFloor = floor_check_sql(sp->w->nLevel, perm, sp->w->bGroups);
  SpeedRow *r;
  int nIn;
  snprintf(zName, sizeof(zName), "%s %s", zAction, bAllow ? "allow" : "deny");
  r = new_row(sp, sp->w->nLevel, ROW_CHECK, zName);
  r->perm = perm; r->bAllow = bAllow;
  nIn = make_pool(sp, perm, bAllow, aIn, &r->nDefault);
  time_checks(sp, r, zAction, zFloor, aIn, nIn);
  sqlite3_free(zFloor);
  free(aIn);
}

/* Answers only, no timing: polar_list(user, read|write, R(K-1)) for
** VERIFY_USERS users and polar_actions(user, leaf) for VERIFY_ACTIONS
** inputs, against the oracle. Lists for write go through the default role;
** actions ask both permissions at once. Returns the disagreements. */
#define VERIFY_USERS   40
#define VERIFY_ACTIONS 400
static long verify_answers(Speed *sp){
  const DeepWorld *w = sp->w;
  int K = w->nLevel, i, perm, nShown = 0;
  long nBad = 0, nList = 0, nIds = 0;
  char zType[16], zUser[32], zRef[32];
  sqlite3_stmt *pList = bsql_prepare(sp->dbPl, "SELECT id FROM polar_list(?1, ?2, ?3)");
  sqlite3_stmt *pAct = bsql_prepare(sp->dbPl, "SELECT action FROM polar_actions(?1, ?2)");
  deep_type_name(zType, K - 1);
  for(i=0; i<VERIFY_USERS; i++){
    int user = i==0 ? w->iListUser : 1 + (int)brng_below(&sp->rng, (uint32_t)(w->nUser - 1));
    dw_user_ref(zUser, user);
    dw_principals(w, user, &sp->P);
    for(perm=DW_READ; perm<=DW_WRITE; perm++){
      const char *zAction = perm==DW_READ ? "read" : "write";
      long n = 0, nOr = 0;
      uint64_t h = 0, hOr = 0;
      int bWild = 0, k;
      char *zErr = 0;
      for(k=0; k<w->aCount[K - 1]; k++){
        if( dw_allowed(w, &sp->P, perm, k, 0) ){
          dw_res_ref(zRef, K - 1, k);
          hOr += bhash_str(zRef, (int)strlen(zRef));
          nOr++;
        }
      }
      sqlite3_bind_text(pList, 1, zUser, -1, SQLITE_STATIC);
      sqlite3_bind_text(pList, 2, zAction, -1, SQLITE_STATIC);
      sqlite3_bind_text(pList, 3, zType, -1, SQLITE_STATIC);
      if( bsql_list(sp->dbPl, pList, zType, &n, &h, &bWild, &zErr)<0 || n!=nOr || h!=hOr ){
        nBad++;
        if( nShown++<MAX_SHOWN ){
          printf("MISMATCH K=%d: polar_list('%s', '%s', '%s') %ld ids%s, oracle %ld (digests %s)%s%s\n",
                 K, zUser, zAction, zType, n, bWild ? " including '*'" : "", nOr,
                 h==hOr ? "equal" : "differ", zErr ? ": " : "", zErr ? zErr : "");
        }
      }
      sqlite3_free(zErr);
      nList++;
      nIds += nOr;
    }
  }
  for(i=0; i<VERIFY_ACTIONS; i++){
    int user = 1 + (int)brng_below(&sp->rng, (uint32_t)(w->nUser - 1)), leaf = -1, rc;
    int mask = 0, maskOr;
    dw_principals(w, user, &sp->P);
    if( i & 1 ){                       /* below one of the user's roles */
      int pr = sp->P.a[brng_below(&sp->rng, (uint32_t)sp->P.n)];
      int nf = w->aRoleStart[pr + 1] - w->aRoleStart[pr];
      if( nf>0 ){
        const DwRole *f = &w->aRole[w->aRoleStart[pr] + (int)brng_below(&sp->rng, (uint32_t)nf)];
        leaf = random_leaf(sp, f->level, f->res);
      }
    }
    if( leaf<0 ) leaf = (int)brng_below(&sp->rng, (uint32_t)w->aCount[K - 1]);
    maskOr = dw_allowed(w, &sp->P, DW_READ, leaf, 0) | (dw_allowed(w, &sp->P, DW_WRITE, leaf, 0) << 1);
    dw_user_ref(zUser, user);
    dw_res_ref(zRef, K - 1, leaf);
    sqlite3_bind_text(pAct, 1, zUser, -1, SQLITE_STATIC);
    sqlite3_bind_text(pAct, 2, zRef, -1, SQLITE_STATIC);
    while( (rc = sqlite3_step(pAct))==SQLITE_ROW ){
      const char *z = (const char*)sqlite3_column_text(pAct, 0);
      mask |= z && !strcmp(z, "read") ? 1 : z && !strcmp(z, "write") ? 2 : 4;
    }
    if( sqlite3_reset(pAct)!=SQLITE_OK ) mask = -1;
    if( mask!=maskOr ){
      nBad++;
      if( nShown++<MAX_SHOWN ){
        printf("MISMATCH K=%d: polar_actions('%s', '%s') = %d, oracle %d (1 read, 2 write, 4 other, -1 error)\n",
               K, zUser, zRef, mask, maskOr);
      }
    }
  }
  printf("answers: %ld polar_list calls (%ld ids, read and write) and %d polar_actions calls "
         "against the oracle: %ld disagree\n", nList, nIds, VERIFY_ACTIONS, nBad);
  sqlite3_finalize(pList);
  sqlite3_finalize(pAct);
  return nBad;
}

static void run_list(Speed *sp){
  const Opts *o = sp->o;
  const DeepWorld *w = sp->w;
  int K = w->nLevel, i, nShown = 0;
  char zType[16], zUser[32], zRef[32];
  char *zFloor = floor_list_sql(K, w->bGroups);
  int64_t nsUsed = 0, nsBudget = (int64_t)(o->rBudget * 1e9);
  uint64_t hOr = 0;
  Side pl, fl;
  SpeedRow *r = new_row(sp, K, ROW_LIST, "list read");

  side_init(&pl, "polarlite", sp->dbPl, "SELECT id FROM polar_list(?1, 'read', ?2)", 0, o->nListIter);
  side_init(&fl, "hand-written", sp->dbFl, zFloor, 0, o->nListIter);
  deep_type_name(zType, K - 1);
  dw_user_ref(zUser, w->iListUser);
  dw_principals(w, w->iListUser, &sp->P);
  for(i=0; i<w->aCount[K - 1]; i++){
    if( dw_allowed(w, &sp->P, DW_READ, i, 0) ){
      dw_res_ref(zRef, K - 1, i);
      hOr += bhash_str(zRef, (int)strlen(zRef));
      r->nOracle++;
    }
  }
  if( o->bVerbose ) printf("-- K=%d list read: hand-written SQL\n%s\n", K, zFloor);
  sqlite3_bind_text(pl.p, 1, zUser, -1, SQLITE_STATIC);
  sqlite3_bind_text(pl.p, 2, zType, -1, SQLITE_STATIC);
  sqlite3_bind_text(fl.p, 1, zUser, -1, SQLITE_STATIC);
  for(i=-1; i<o->nListIter; i++){          /* i = -1: warm-up */
    long nPl = 0, nFl = 0;
    uint64_t hPl = 0, hFl = 0;
    int bWildPl, bWildFl;
    int64_t nsPl, nsFl;
    if( i>=1 && nsUsed>nsBudget ){
      printf("NOTE K=%d list read: stopped after %d calls (budget %.0f s)\n", K, i, o->rBudget);
      break;
    }
    if( i & 1 ){
      nsFl = side_list(&fl, zType, i, &nFl, &hFl, &bWildFl);
      nsPl = side_list(&pl, zType, i, &nPl, &hPl, &bWildPl);
    }else{
      nsPl = side_list(&pl, zType, i, &nPl, &hPl, &bWildPl);
      nsFl = side_list(&fl, zType, i, &nFl, &hFl, &bWildFl);
    }
    if( nsPl<0 || nsFl<0 ){ r->nErr++; break; }
    nsUsed += nsPl>nsFl ? nsPl : nsFl;
    r->nCount = nPl;
    if( nFl!=r->nOracle || hFl!=hOr ) r->nOracleBad++;
    if( nPl!=nFl || hPl!=hFl ) r->nMis++;
    if( (nPl!=nFl || hPl!=hFl || nFl!=r->nOracle || hFl!=hOr) && nShown++<MAX_SHOWN ){
      printf("MISMATCH K=%d list read: polar_list('%s', 'read', '%s') %ld ids%s, "
             "hand-written %ld, oracle %ld (digests: polarlite %s hand-written, "
             "hand-written %s oracle)\n", K, zUser, zType, nPl, bWildPl ? " including '*'" : "",
             nFl, r->nOracle, hPl==hFl ? "=" : "!=", hFl==hOr ? "=" : "!=");
    }
  }
  r->nPool = 1;
  {
    long n; uint64_t h; int bWild;
    sqlite3_trace_v2(pl.db, SQLITE_TRACE_STMT, count_stmt, 0);
    gnStmt = 0;
    bsql_list(pl.db, pl.p, zType, &n, &h, &bWild, 0);
    r->rPlStmt = (double)gnStmt;
    sqlite3_trace_v2(pl.db, 0, 0, 0);
  }
  side_done(&pl, r, i, 1, &r->pl, &r->plCpu);
  side_done(&fl, r, i, 1, &r->fl, &r->flCpu);
  sp->nBad += r->nMis + r->nOracleBad + r->nErr;
  sqlite3_free(zFloor);
}

/*--------------------------------------------------------------- loading ---*/
typedef struct Loader { sqlite3 *db; sqlite3_stmt *apIns[4]; long n; int bTty; } Loader;

static const char *const azPred[4] = { "has_relation", "has_role", "has_group", "has_default_role" };

static int load_fact(void *pCtx, const char *zPred, int nArg, const char **azArg){
  Loader *l = pCtx;
  sqlite3_stmt *p = 0;
  int i;
  for(i=0; i<4; i++){
    if( strcmp(zPred, azPred[i])==0 ){
      if( !l->apIns[i] ){
        char *zSql = sqlite3_mprintf("INSERT INTO \"polar_f_%w_%d\" VALUES(?1, ?2%s)", zPred, nArg,
                                     nArg==3 ? ", ?3" : "");
        l->apIns[i] = bsql_prepare(l->db, zSql);
        sqlite3_free(zSql);
      }
      p = l->apIns[i];
    }
  }
  if( !p ) bdie("no fact table for %s", zPred);
  for(i=0; i<nArg; i++) sqlite3_bind_text(p, i + 1, azArg[i], -1, SQLITE_STATIC);
  if( sqlite3_step(p)!=SQLITE_DONE ){
    bdie("INSERT %s(%s, %s, ...): %s", zPred, azArg[0], azArg[1], sqlite3_errmsg(l->db));
  }
  sqlite3_reset(p);
  if( l->bTty && ++l->n % 50000==0 ) fprintf(stderr, "\r  loading facts: %ld", l->n);
  return 0;
}

/* The world's identity, kept in the database so that --db-dir reuses it. */
static char *world_key(const DeepWorld *w){
  return sqlite3_mprintf("K=%d groups=%d seed=%llu facts=%ld rel=%ld member=%ld cycles=%d "
                         "default=%ld user_roles=%ld group_roles=%ld", w->nLevel, w->bGroups,
                         (unsigned long long)w->seed, w->nFact, w->nRelation, w->nMember,
                         w->nCycle, w->nDefault, w->nUserRole, w->nGroupRole);
}

static int world_in_db(sqlite3 *db, const char *zKey){
  sqlite3_stmt *p = 0;
  int bSame = 0;
  if( sqlite3_prepare_v2(db, "SELECT key FROM bench_deep_world", -1, &p, 0)==SQLITE_OK
   && sqlite3_step(p)==SQLITE_ROW ){
    bSame = strcmp((const char*)sqlite3_column_text(p, 0), zKey)==0;
  }
  sqlite3_finalize(p);
  return bSame;
}

static void remove_db(const char *zPath){
  const char *azSuffix[] = { "", "-wal", "-shm" };
  char z[600];
  int i;
  for(i=0; i<3; i++){
    snprintf(z, sizeof(z), "%s%s", zPath, azSuffix[i]);
    unlink(z);
  }
}

static sqlite3 *open_conn(const char *zPath, const char *zExt){
  sqlite3 *db;
  if( zExt ) db = open_with_ext(zPath, zExt);
  else if( sqlite3_open(zPath, &db)!=SQLITE_OK ) bdie("cannot open %s", zPath);
  bsql_exec(db, "PRAGMA journal_mode=WAL");
  bsql_exec(db, "PRAGMA synchronous=NORMAL");
  bsql_exec(db, "PRAGMA cache_size=-131072");
  return db;
}

/*---------------------------------------------------------------- report ---*/
static double ratio(const BStats *a, const BStats *b){ return b->p50>0 ? a->p50 / b->p50 : 0; }

static void print_speed_rows(const Speed *sp, int iFirst){
  int i;
  printf("%-16s %5s %7s  %-26s %-26s %6s  %-17s %6s  %s\n", "row", "pool", "default",
         "polarlite p50/p90/p99", "hand-written p50/p90/p99", "ratio", "cpu p50 pl / hw", "ratio",
         "mismatch  stmts");
  for(i=iFirst; i<sp->nRow; i++){
    const SpeedRow *r = &sp->aRow[i];
    const char *zUnit = r->eKind==ROW_LIST ? " ms" : " us";
    const char *zFmt = r->eKind==ROW_LIST && r->pl.p50<10 ? "%.2f / %.2f / %.2f%s" : "%.1f / %.1f / %.1f%s";
    char zPl[64], zFl[64], zCpu[64], zPool[16];
    if( r->eKind==ROW_LIST ) snprintf(zPool, sizeof(zPool), "%ld", r->nCount);
    else snprintf(zPool, sizeof(zPool), "%d", r->nPool);
    snprintf(zPl, sizeof(zPl), zFmt, r->pl.p50, r->pl.p90, r->pl.p99, zUnit);
    snprintf(zFl, sizeof(zFl), zFmt, r->fl.p50, r->fl.p90, r->fl.p99, zUnit);
    snprintf(zCpu, sizeof(zCpu), "%.1f / %.1f", r->plCpu.p50, r->flCpu.p50);
    printf("%-16s %5s %7d  %-26s %-26s %5.2f%s  %-17s %5.2f%s  %3ld%-5s %6.1f\n", r->zName, zPool,
           r->nDefault, zPl, zFl, ratio(&r->pl, &r->fl), ratio(&r->pl, &r->fl)<=BAR_RATIO ? " " : "!",
           zCpu, ratio(&r->plCpu, &r->flCpu), ratio(&r->plCpu, &r->flCpu)<=BAR_RATIO ? " " : "!",
           r->nMis + r->nErr, r->nOracleBad ? "*" : "", r->rPlStmt);
  }
  printf("(ratio: polarlite p50 / hand-written p50, '!' over the bar of %.1f; cpu: thread CPU\n"
         " time of the same calls; pool: distinct inputs, for the list its ids; default: inputs\n"
         " allowed only through the default role; mismatch: calls where the two disagree, plus\n"
         " errors, '*' when the hand-written query disagreed with the oracle; stmts: statements\n"
         " polarlite ran per call, its units' included, the hand-written query runs one)\n", BAR_RATIO);
}

static void print_speed_summary(const Speed *sp){
  static const char *const azCol[] = { "read allow", "read deny", "write allow", "write deny", "list read" };
  int aK[DW_MAX_LEVEL], nK = 0, i, j, c;
  if( sp->nRow==0 ) return;
  for(i=0; i<sp->nRow; i++){
    for(j=0; j<nK && aK[j]!=sp->aRow[i].K; j++){}
    if( j==nK && nK<DW_MAX_LEVEL ) aK[nK++] = sp->aRow[i].K;
  }
  printf("\n== speed summary: p50 polarlite / hand-written = ratio (cpu-time ratio); bar <= %.1f\n",
         BAR_RATIO);
  printf("%3s", "K");
  for(c=0; c<5; c++) printf("  %-28s", azCol[c]);
  printf("\n");
  for(j=0; j<nK; j++){
    printf("%3d", aK[j]);
    for(c=0; c<5; c++){
      char z[64] = "-";
      for(i=0; i<sp->nRow; i++){
        const SpeedRow *r = &sp->aRow[i];
        if( r->K==aK[j] && strcmp(r->zName, azCol[c])==0 && r->fl.p50>0 ){
          snprintf(z, sizeof(z), r->eKind==ROW_LIST ? "%.1f/%.1f=%.2f%s (%.2f)" : "%.0f/%.0f=%.2f%s (%.2f)",
                   r->pl.p50, r->fl.p50, ratio(&r->pl, &r->fl),
                   ratio(&r->pl, &r->fl)<=BAR_RATIO ? "" : "!", ratio(&r->plCpu, &r->flCpu));
        }
      }
      printf("  %-28s", z);
    }
    printf("\n");
  }
  printf("(checks in us, lists in ms; '!' = over the bar)\n");
}

static void json_stats(FILE *f, const char *zKey, const BStats *s){
  fprintf(f, "\"%s\": {\"n\": %d, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f}",
          zKey, s->n, s->p50, s->p90, s->p99, s->max);
}

static void write_json(const Opts *o, const SizeRow *aSize, int nSize, const Speed *sp,
                       long nBad){
  FILE *f = fopen(o->zJson, "w");
  int i, e;
  if( !f ){
    fprintf(stderr, "bench_deep: cannot write %s: %s\n", o->zJson, strerror(errno));
    return;
  }
  fprintf(f, "{\n  \"benchmark\": \"deep\",\n  \"sqlite_version\": \"%s\",\n  \"facts\": %ld,\n"
             "  \"seed\": %llu,\n  \"iterations\": %d,\n  \"compiles\": %d,\n  \"size\": [",
          sqlite3_libversion(), o->nFacts, (unsigned long long)o->seed, o->nIter, o->nCompile);
  for(i=0; i<nSize; i++){
    const SizeRow *r = &aSize[i];
    fprintf(f, "%s\n    {\"K\": %d, \"groups\": %s, \"inherit\": \"%s\", \"rules\": %d",
            i ? "," : "", r->K, r->bGroups ? "true" : "false",
            r->eInherit==DP_ROLE_VAR ? "role_var" : "three_rules", r->nRule);
    if( r->zErr[0] ){
      fprintf(f, ", \"error\": \"compile failed\"}");
      continue;
    }
    for(e=0; e<SH_N; e++){
      fprintf(f, ", \"%s_bytes\": %ld, \"%s_compile_ms\": %.3f, \"%s_compile_cpu_ms\": %.3f",
              azShape[e], r->anByte[e], azShape[e], r->aMs[e], azShape[e], r->aCpuMs[e]);
    }
    fputc('}', f);
  }
  fprintf(f, "\n  ],\n  \"speed\": [");
  for(i=0; sp && i<sp->nRow; i++){
    const SpeedRow *r = &sp->aRow[i];
    fprintf(f, "%s\n    {\"K\": %d, \"row\": \"%s\", \"pool\": %d, \"count\": %ld, "
               "\"unit\": \"%s\", ", i ? "," : "", r->K, r->zName, r->nPool,
            r->eKind==ROW_LIST ? r->nCount : 0, r->eKind==ROW_LIST ? "ms" : "us");
    json_stats(f, "polarlite", &r->pl);
    fputs(", ", f);
    json_stats(f, "hand_written", &r->fl);
    fputs(", ", f);
    json_stats(f, "polarlite_cpu", &r->plCpu);
    fputs(", ", f);
    json_stats(f, "hand_written_cpu", &r->flCpu);
    fprintf(f, ", \"polarlite_stmts_per_call\": %.1f", r->rPlStmt);
    fprintf(f, ", \"ratio_p50\": %.3f, \"cpu_ratio_p50\": %.3f, \"mismatches\": %ld, "
               "\"hand_written_vs_oracle\": %ld, \"errors\": %ld}", ratio(&r->pl, &r->fl),
            ratio(&r->plCpu, &r->flCpu), r->nMis, r->nOracleBad, r->nErr);
  }
  fprintf(f, "\n  ],\n  \"bad_total\": %ld\n}\n", nBad);
  if( fclose(f) ) fprintf(stderr, "bench_deep: cannot write %s\n", o->zJson);
}

/* A new temporary directory (zDir, 64 bytes) and a database path in it
** (zPath, 600 bytes). */
static void temp_db(char *zDir, char *zPath){
  const char *zTmp = getenv("TMPDIR");
  snprintf(zDir, 64, "%s/polarlite-deep-XXXXXX", zTmp && strlen(zTmp)<30 ? zTmp : "/tmp");
  if( !mkdtemp(zDir) ) bdie("mkdtemp: %s", strerror(errno));
  snprintf(zPath, 600, "%s/deep.db", zDir);
}

/* The hand-written query's connection: its own, temp_store=MEMORY. */
static void open_floor(Speed *sp, const char *zPath){
  sp->dbFl = open_conn(zPath, 0);
  bsql_exec(sp->dbFl, "PRAGMA temp_store=MEMORY");
}

/* Both connections closed; a temporary database (zDir non-empty) removed. */
static void speed_close(Speed *sp, const char *zDir, const char *zPath){
  sqlite3_close(sp->dbPl);
  sqlite3_close(sp->dbFl);
  sp->dbPl = sp->dbFl = 0;
  if( zDir[0] ){
    remove_db(zPath);
    rmdir(zDir);
  }
}

static void print_temp_store(Speed *sp){
  sqlite3_stmt *p = bsql_prepare(sp->dbPl, "PRAGMA temp_store");
  int t = sqlite3_step(p)==SQLITE_ROW ? sqlite3_column_int(p, 0) : -1;
  sqlite3_finalize(p);
  printf("polarlite's connection at temp_store=%d (%s), the hand-written query's at MEMORY\n",
         t, t==0 ? "the build's default: FILE on Debian" : "changed!");
}

/* One resource shared with nGroup groups (K = 1, nested groups): the
** hand-written query walks the actor's few groups, so its cost does not
** depend on nGroup. Deny: u1 is in g0, g0 in g1, and neither holds a role;
** allow: u2 is in the last group that holds one. */
static void speed_shared(Speed *sp, int nGroup){
  DeepPolicy dp;
  Loader l;
  Input aIn[2];
  char zDir[64], zPath[600], zName[40], zGroup[32];
  char *zSrc, *zErr, *zFloor;
  int nRule, i, iFirst = sp->nRow;
  const char *az[3];

  dp.nLevel = 1; dp.bGroups = 1; dp.eInherit = DP_THREE_RULES;
  zSrc = deep_policy_text(&dp, &nRule);
  temp_db(zDir, zPath);
  sp->dbPl = open_conn(zPath, sp->o->zExt);
  if( (zErr = polar_load(sp->dbPl, zSrc))!=0 ) bdie("shared: %s", zErr);
  memset(&l, 0, sizeof(l));
  l.db = sp->dbPl;
  bsql_exec(sp->dbPl, "BEGIN");
  for(i=0; i<nGroup; i++){
    snprintf(zGroup, sizeof(zGroup), "Group:h%d", i);
    az[0] = zGroup; az[1] = "String:viewer"; az[2] = "R0:n0";
    load_fact(&l, "has_role", 3, az);
  }
  az[0] = "User:u1"; az[1] = "Group:g0"; load_fact(&l, "has_group", 2, az);
  az[0] = "Group:g0"; az[1] = "Group:g1"; load_fact(&l, "has_group", 2, az);
  az[0] = "User:u2"; az[1] = zGroup; load_fact(&l, "has_group", 2, az);
  for(i=0; i<4; i++) sqlite3_finalize(l.apIns[i]);
  bsql_exec(sp->dbPl, "COMMIT");
  open_floor(sp, zPath);
  printf("\n== one R0 shared with %d groups (viewer each); the actor in two nested groups\n", nGroup);
  print_temp_store(sp);

  memset(aIn, 0, sizeof(aIn));
  snprintf(aIn[0].zUser, sizeof(aIn[0].zUser), "User:u1");
  snprintf(aIn[1].zUser, sizeof(aIn[1].zUser), "User:u2");
  snprintf(aIn[0].zRes, sizeof(aIn[0].zRes), "R0:n0");
  snprintf(aIn[1].zRes, sizeof(aIn[1].zRes), "R0:n0");
  aIn[1].expect = 1;
  zFloor = floor_check_sql(1, DW_READ, 1);
  for(i=0; i<2; i++){
    snprintf(zName, sizeof(zName), "shared%d %s", nGroup, i ? "allow" : "deny");
    time_checks(sp, new_row(sp, 1, ROW_CHECK, zName), "read", zFloor, &aIn[i], 1);
  }
  print_speed_rows(sp, iFirst);
  sqlite3_free(zFloor);
  speed_close(sp, zDir, zPath);
  free(zSrc);
}

static void speed_level(Speed *sp, int K){
  const Opts *o = sp->o;
  DeepPolicy dp;
  DeepWorld *w;
  char zDir[64] = "", zPath[600];
  char *zSrc, *zKey, *zErr;
  int nRule, bReuse, iFirst = sp->nRow;
  int64_t t0;

  dp.nLevel = K; dp.bGroups = 1; dp.eInherit = o->eInherit;
  zSrc = deep_policy_text(&dp, &nRule);
  t0 = bnow_ns();
  w = dw_world_new(K, o->nFacts, o->seed, 1);
  sp->w = w;
  printf("\n== K=%d: %ld facts: %d users, %d groups (%ld memberships, %d cycles), resources per level",
         K, w->nFact, w->nUser, w->nGroup, w->nMember, w->nCycle);
  {
    int i;
    for(i=0; i<K; i++) printf("%s%d", i ? " " : " ", w->aCount[i]);
  }
  printf(" (fan-out %d), %ld user roles, %ld group roles, %ld default roles; built in %.1f s\n",
         w->nFanout, w->nUserRole, w->nGroupRole, w->nDefault, (double)(bnow_ns() - t0) / 1e9);

  if( o->zDbDir ){
    mkdir(o->zDbDir, 0777);
    snprintf(zPath, sizeof(zPath), "%s/deep-%d-%ld-%llu.db", o->zDbDir, K, o->nFacts,
             (unsigned long long)o->seed);
  }else{
    temp_db(zDir, zPath);
  }
  zKey = world_key(w);
  sp->dbPl = open_conn(zPath, o->zExt);
  bReuse = world_in_db(sp->dbPl, zKey);
  if( !bReuse ){
    sqlite3_close(sp->dbPl);
    remove_db(zPath);
    sp->dbPl = open_conn(zPath, o->zExt);
  }
  if( (zErr = polar_load(sp->dbPl, zSrc))!=0 ) bdie("K=%d: %s", K, zErr);
  if( bReuse ){
    printf("reusing the world in %s\n", zPath);
  }else{
    Loader l;
    memset(&l, 0, sizeof(l));
    l.db = sp->dbPl;
    l.bTty = isatty(2);
    t0 = bnow_ns();
    bsql_exec(sp->dbPl, "BEGIN");
    dw_world_emit(w, load_fact, &l);
    {
      int i;
      for(i=0; i<4; i++) sqlite3_finalize(l.apIns[i]);
    }
    bsql_exec(sp->dbPl, "CREATE TABLE bench_deep_world(key)");
    {
      sqlite3_stmt *p = bsql_prepare(sp->dbPl, "INSERT INTO bench_deep_world VALUES(?1)");
      sqlite3_bind_text(p, 1, zKey, -1, SQLITE_STATIC);
      sqlite3_step(p);
      sqlite3_finalize(p);
    }
    bsql_exec(sp->dbPl, "COMMIT");
    if( l.bTty ) fputs("\r                              \r", stderr);
    printf("loaded %ld facts into %s in %.1f s (INSERT into the fact tables, one transaction)\n",
           w->nFact, zPath, (double)(bnow_ns() - t0) / 1e9);
  }
  open_floor(sp, zPath);

  run_check(sp, DW_READ, 1);
  run_check(sp, DW_READ, 0);
  run_check(sp, DW_WRITE, 1);
  run_check(sp, DW_WRITE, 0);
  run_list(sp);
  sp->nBad += verify_answers(sp);
  printf("K=%d (%d rules): %d calls per check row, %d per list; ", K, nRule, o->nIter, o->nListIter);
  print_temp_store(sp);
  print_speed_rows(sp, iFirst);

  speed_close(sp, zDir, zPath);
  sqlite3_free(zKey);
  free(zSrc);
  dw_world_free(w);
  sp->w = 0;
}

/*------------------------------------------------------------------ main ---*/
static void usage(void){
  fprintf(stderr,
    "usage: bench_deep [--quick] [--only size|speed] [--levels 2,4,6,8,10] [--shared 10,100,1000]\n"
    "                  [--max-level 12] [--compiles N] [--size N] [--iters N]\n"
    "                  [--list-iters N] [--budget S] [--seed S] [--inherit three|var]\n"
    "                  [--ext PATH] [--json FILE] [--db-dir DIR] [--verbose]\n");
  exit(2);
}

/* "2,4,6" into a[] (at most DW_MAX_LEVEL values within lo..hi); returns n. */
static int parse_list(const char *z, int *a, int lo, int hi){
  int n = 0;
  while( *z ){
    int k = atoi(z);
    if( k<lo || k>hi || n>=DW_MAX_LEVEL ) usage();
    if( k>0 ) a[n++] = k;
    z += strcspn(z, ",");
    if( *z==',' ) z++;
  }
  return n;
}

static void parse_opts(Opts *o, int argc, char **argv){
  int i, bQuick = 0;
  const char *zOnly = 0, *zLevels = 0, *zShared = 0, *z;
  memset(o, 0, sizeof(*o));
  for(i=1; i<argc; i++) if( !strcmp(argv[i], "--quick") ) bQuick = 1;
  o->bSize = o->bSpeed = 1;
  o->nMaxLevel = 12;
  o->nCompile = bQuick ? 3 : 7;
  o->nFacts = bQuick ? 30000 : 1000000;
  o->nIter = bQuick ? 300 : 20000;
  o->nListIter = bQuick ? 5 : 30;
  o->rBudget = bQuick ? 5 : 30;
  o->seed = 42;
  o->eInherit = DP_THREE_RULES;
  o->zExt = "../polarlite.so";
  o->zJson = "results-deep.json";
  if( (z = getenv("BENCH_SEED"))!=0 && *z ) o->seed = strtoull(z, 0, 10);
  for(i=1; i<argc; i++){
    const char *a = argv[i], *v = i+1<argc ? argv[i+1] : 0;
    if( !strcmp(a, "--quick") ) continue;
    if( !strcmp(a, "--verbose") ){ o->bVerbose = 1; continue; }
    if( !v ) usage();
    if( !strcmp(a, "--only") ) zOnly = v;
    else if( !strcmp(a, "--levels") ) zLevels = v;
    else if( !strcmp(a, "--shared") ) zShared = v;
    else if( !strcmp(a, "--max-level") ) o->nMaxLevel = atoi(v);
    else if( !strcmp(a, "--compiles") ) o->nCompile = atoi(v);
    else if( !strcmp(a, "--size") ) o->nFacts = atol(v);
    else if( !strcmp(a, "--iters") ) o->nIter = atoi(v);
    else if( !strcmp(a, "--list-iters") ) o->nListIter = atoi(v);
    else if( !strcmp(a, "--budget") ) o->rBudget = atof(v);
    else if( !strcmp(a, "--seed") ) o->seed = strtoull(v, 0, 10);
    else if( !strcmp(a, "--ext") ) o->zExt = v;
    else if( !strcmp(a, "--json") ) o->zJson = v;
    else if( !strcmp(a, "--db-dir") ) o->zDbDir = v;
    else if( !strcmp(a, "--inherit") ){
      if( !strcmp(v, "var") ) o->eInherit = DP_ROLE_VAR;
      else if( strcmp(v, "three") ) usage();
    }
    else usage();
    i++;
  }
  o->nLevel = parse_list(zLevels ? zLevels : "2,4,6,8,10", o->aLevel, 1, DW_MAX_LEVEL);
  o->nShared = parse_list(zShared ? zShared : "10,100,1000", o->aShared, 0, 1000000);
  if( zOnly ){
    o->bSize = strcmp(zOnly, "size")==0;
    o->bSpeed = strcmp(zOnly, "speed")==0;
    if( !o->bSize && !o->bSpeed ) usage();
  }
  if( o->nMaxLevel<1 || o->nMaxLevel>DW_MAX_LEVEL || o->nCompile<1 || o->nCompile>64
   || o->nFacts<1 || o->nIter<1 || o->nListIter<1 ) usage();
}

int main(int argc, char **argv){
  Opts o;
  Speed sp;
  SizeRow *aSize;
  int nSize = 0, nSizeMiss = 0, i;
  long nBad = 0;

  parse_opts(&o, argc, argv);
  setvbuf(stdout, 0, _IOLBF, 0);
  memset(&sp, 0, sizeof(sp));
  sp.o = &o;
  brng_seed(&sp.rng, o.seed ^ 0x64656570ULL);
  printf("polarlite deep-policy benchmark: SQLite %s, extension %s\n", sqlite3_libversion(), o.zExt);
  aSize = bxmalloc(sizeof(SizeRow) * 4 * (size_t)o.nMaxLevel);
  if( o.bSize ) nBad += size_table(&o, aSize, &nSize, &nSizeMiss);
  if( o.bSpeed ){
    for(i=0; i<o.nLevel; i++) speed_level(&sp, o.aLevel[i]);
    print_speed_summary(&sp);
    for(i=0; i<o.nShared; i++) speed_shared(&sp, o.aShared[i]);
    nBad += sp.nBad;
  }
  write_json(&o, aSize, nSize, &sp, nBad);
  if( o.bSize ) printf("size: %d of %d (variant, shape) pairs grow faster than linearly\n",
                       nSizeMiss, 4 * SH_N);
  printf("results: %s\n", o.zJson);
  if( nBad ) printf("FAILED: %ld mismatches, errors or compile failures (see above)\n", nBad);
  dw_principals_free(&sp.P);
  free(sp.aRow);
  free(aSize);
  return nBad ? 1 : 0;
}
