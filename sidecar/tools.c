/*
** tools.c — `polarlite status`, `polarlite test`, `polarlite check`.
**
**   polarlite status --db authz.db      the polar_status row, one field a line
**   polarlite test policy.polar         run the policy's test blocks
**   polarlite check policy.polar        validate as polar_load would: "ok" or
**                                       file:line:col: what is wrong
**
** All three go through the engine core in-process: status reads the
** polar_status table, test loads the policy without running its tests
** (pl_conn_load) and reads polar_test, check is polar_load's validation.
*/
#include "cmd.h"
#include "engine.h"
#include "pl_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The single positional argument of test/check, or NULL after usage. */
static const char *one_file_arg(const char *zCmd, int argc, char **argv){
  if( argc==2 && (strcmp(argv[1], "--help")==0 || strcmp(argv[1], "-h")==0) ){
    printf("usage: polarlite %s POLICY.polar\n", zCmd);
    exit(0);
  }
  if( argc!=2 || argv[1][0]==0 ){
    fprintf(stderr, "usage: polarlite %s POLICY.polar\n", zCmd);
    return 0;
  }
  return argv[1];
}

/*-------------------------------------------------------------- status --*/

int cmd_status(int argc, char **argv){
  const char *zDb = 0;
  sqlite3 *db = 0;
  PlConn *c;
  sqlite3_stmt *pStmt = 0;
  char zErr[512];
  int i, rc, bJson = 0;
  for(i=1; i<argc; i++){
    if( strcmp(argv[i], "--db")==0 && i+1<argc ) zDb = argv[++i];
    else if( strcmp(argv[i], "--json")==0 ) bJson = 1;
    else if( strcmp(argv[i], "--help")==0 || strcmp(argv[i], "-h")==0 ){
      printf("usage: polarlite status --db FILE [--json]\n");
      return 0;
    }else{
      fprintf(stderr, "polarlite status: unexpected argument '%s'\n"
              "usage: polarlite status --db FILE [--json]\n", argv[i]);
      return 2;
    }
  }
  if( zDb==0 ){
    fprintf(stderr, "usage: polarlite status --db FILE [--json]\n");
    return 2;
  }
  if( access(zDb, F_OK)!=0 ){
    fprintf(stderr, "polarlite status: %s: no such database file\n", zDb);
    return 1;
  }
  if( engine_open(zDb, SQLITE_OPEN_READONLY, &db, &c, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite status: %s\n", zErr);
    return 1;
  }
  sqlite3_busy_timeout(db, 5000);
  rc = sqlite3_prepare_v2(db, bJson
      ? "SELECT json_object('policy_version', policy_version, 'applied_partition', "
        "applied_partition, 'applied_offset', applied_offset, 'applied_at', applied_at, "
        "'last_message_at', last_message_at, 'lag_ms', lag_ms, 'lag_messages', "
        "lag_messages, 'fact_count', fact_count, 'rejected_count', rejected_count, "
        "'snapshot_created_at', snapshot_created_at, 'snapshot_age_ms', snapshot_age_ms) "
        "FROM polar_status"
      : "SELECT * FROM polar_status", -1, &pStmt, 0);
  if( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    int n = sqlite3_column_count(pStmt);
    for(i=0; i<n; i++){
      const char *zVal = (const char*)sqlite3_column_text(pStmt, i);
      if( bJson ) printf("%s\n", zVal);
      else printf("%-18s %s\n", sqlite3_column_name(pStmt, i), zVal ? zVal : "-");
    }
  }
  rc = sqlite3_finalize(pStmt);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "polarlite status: %s: %s\n", zDb, sqlite3_errmsg(db));
  }
  sqlite3_close(db);
  return rc==SQLITE_OK ? 0 : 1;
}

/*---------------------------------------------------------------- test --*/

int cmd_test(int argc, char **argv){
  const char *zFile = one_file_arg("test", argc, argv);
  char *zSrc = 0, *zMsg = 0;
  size_t nSrc = 0;
  sqlite3 *db = 0;
  PlConn *c;
  sqlite3_stmt *pStmt = 0;
  char zErr[1024];
  int rc, iVersion, nPass = 0, nFail = 0;
  if( zFile==0 ) return 2;
  if( read_whole_file(zFile, &zSrc, &nSrc, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite test: %s\n", zErr);
    return 1;
  }
  if( nSrc>0x7fffffff
   || engine_open(":memory:", SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, &db, &c,
                  zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite test: %s\n", nSrc>0x7fffffff ? "policy too large" : zErr);
    free(zSrc);
    return 1;
  }
  /* load without running the tests, so that polar_test can report each */
  rc = pl_conn_load(c, zSrc, (int)nSrc, zFile, 0, &iVersion, &zMsg);
  free(zSrc);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "%s\n", zMsg ? zMsg : sqlite3_errstr(rc));
    sqlite3_free(zMsg);
    sqlite3_close(db);
    return 1;
  }
  rc = sqlite3_prepare_v2(db, "SELECT test, assertion, passed, message FROM polar_test",
                          -1, &pStmt, 0);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    const char *zTest = (const char*)sqlite3_column_text(pStmt, 0);
    const char *zAssert = (const char*)sqlite3_column_text(pStmt, 1);
    int bPassed = sqlite3_column_int(pStmt, 2);
    const char *zWhy = (const char*)sqlite3_column_text(pStmt, 3);
    printf("%s  %s: %s\n", bPassed ? "ok  " : "FAIL", zTest, zAssert ? zAssert : "(setup)");
    if( !bPassed && zWhy ) printf("      %s\n", zWhy);
    if( bPassed ) nPass++; else nFail++;
  }
  rc = sqlite3_finalize(pStmt);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "polarlite test: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return 1;
  }
  sqlite3_close(db);
  printf("%d passed, %d failed\n", nPass, nFail);
  return nFail ? 1 : 0;
}

/*--------------------------------------------------------------- check --*/

int cmd_check(int argc, char **argv){
  const char *zFile = one_file_arg("check", argc, argv);
  char *zSrc = 0;
  size_t nSrc = 0;
  char zErr[4096];
  if( zFile==0 ) return 2;
  if( read_whole_file(zFile, &zSrc, &nSrc, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite check: %s\n", zErr);
    return 1;
  }
  /* the same validation as polar_load, test blocks included: a policy that
  ** passes here is one the sidecar will accept */
  if( engine_check_policy(zSrc, nSrc, zFile, 1, zErr, sizeof(zErr)) ){
    fprintf(stderr, "%s\n", zErr);
    free(zSrc);
    return 1;
  }
  free(zSrc);
  printf("ok\n");
  return 0;
}
