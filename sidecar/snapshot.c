/*
** snapshot.c — the `polarlite snapshot` and `polarlite restore` commands
** (the work is in snapshot_publish.c and snapshot_restore.c).
**
**   polarlite snapshot --db FILE --to URL [--topic T] [--keep N]
**   polarlite restore  --db FILE --from URL [--offset N] [--topic T] [--force]
**
** URL is s3://BUCKET/PREFIX or file:///DIR. Both print one summary line on
** stdout; progress goes to stderr when it is a terminal.
*/
#include "cmd.h"
#include "snapshot.h"
#include <sqlite3.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char zSnapHelp[] =
  "usage: polarlite snapshot --db FILE --to URL [--topic T] [--keep N]\n"
  "\n"
  "Publish a consistent snapshot of FILE's polarlite tables (taken in one read\n"
  "transaction, so a running sidecar carries on) under URL: the SQLite file,\n"
  "its manifest, then the 'latest' pointer.\n"
  "\n"
  "  --db FILE     the database\n"
  "  --to URL      s3://BUCKET/PREFIX or file:///DIR\n"
  "  --topic T     the log topic recorded in the manifest (default: the one\n"
  "                stored with FILE's log position)\n"
  "  --keep N      then delete all but the newest N snapshots\n"
  "\n"
  "S3 settings: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,\n"
  "AWS_REGION, AWS_ENDPOINT_URL_S3 (see docs/snapshots.md).\n";

static const char zRestoreHelp[] =
  "usage: polarlite restore --db FILE --from URL [--offset N] [--topic T] [--force]\n"
  "                         [--full-check]\n"
  "\n"
  "Download the latest snapshot under URL, verify its size, sha256 and SQLite\n"
  "structure, and install it into FILE (created if missing) in\n"
  "one transaction: other connections keep reading and see the old state or\n"
  "the new one. FILE's log position becomes the snapshot's.\n"
  "\n"
  "  --db FILE     the database\n"
  "  --from URL    s3://BUCKET/PREFIX or file:///DIR\n"
  "  --offset N    the newest snapshot at or below log offset N, not 'latest'\n"
  "  --topic T     refuse a snapshot of another topic\n"
  "  --force       install even a snapshot older than FILE's position, of\n"
  "                another partition, or into a file with other tables\n"
  "  --full-check  run PRAGMA integrity_check even when the publisher ran it on\n"
  "                these bytes (the default then is PRAGMA quick_check)\n";

/* Parse a non-negative integer option; -1 if it is not one. */
static long long parse_count(const char *z){
  char *zEnd = 0;
  long long v;
  errno = 0;
  v = strtoll(z, &zEnd, 10);
  if( errno || zEnd==z || *zEnd || v<0 ) return -1;
  return v;
}

static void print_manifest(const char *zVerb, const char *zDb, const char *zUrl, const Manifest *m){
  char zOff[48];
  if( m->iOffset>=0 ) snprintf(zOff, sizeof(zOff), "%lld:%lld", m->iPartition, m->iOffset);
  else snprintf(zOff, sizeof(zOff), "none");
  printf("%s %s %s %s/%s: log position %s, policy version %lld, %lld facts, %lld bytes, "
         "sha256 %s, created %s\n", zVerb, zDb, strcmp(zVerb, "restored")==0 ? "from" : "to",
         zUrl, m->zObject, zOff, m->iPolicyVersion, m->nFact, m->nByte, m->zSha256,
         m->zCreatedAt);
}

/* What a snapshot holds for polar_bind, said on stderr. */
static void print_bindings(const char *zCmd, const char *zDb, const Manifest *m){
  int bRestore = strcmp(zCmd, "restore")==0;
  if( m->zBoundTables[0] ){
    fprintf(stderr, "polarlite %s: note: %s the application table(s) %s, which polar_bind "
            "bindings read, as of %s: the log does not carry changes to them\n", zCmd,
            bRestore ? "restored" : "the snapshot carries", m->zBoundTables, m->zCreatedAt);
  }
  if( m->zUnresolved[0] ){
    fprintf(stderr, "polarlite %s: warning: these polar_bind bindings do not resolve in %s, "
            "and every check that reads them fails there: %s. Create what they read, or "
            "remove a binding with SELECT polar_bind('SIGNATURE', NULL)\n", zCmd,
            bRestore ? zDb : "a database restored from this snapshot", m->zUnresolved);
  }
}

int cmd_snapshot(int argc, char **argv){
  static const struct option aOpt[] = {
    { "db", required_argument, 0, 'd' },
    { "to", required_argument, 0, 't' },
    { "topic", required_argument, 0, 'T' },
    { "keep", required_argument, 0, 'k' },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 }
  };
  const char *zDb = 0, *zUrl = 0, *zTopic = 0;
  long long nKeep = 0;
  Manifest m;
  char *zErr = 0;
  int c, rc;
  optind = 1;
  while( (c = getopt_long(argc, argv, "h", aOpt, 0))!=-1 ){
    switch( c ){
      case 'd': zDb = optarg; break;
      case 't': zUrl = optarg; break;
      case 'T': zTopic = optarg; break;
      case 'k':
        if( (nKeep = parse_count(optarg))<1 || nKeep>1000000 ){
          return usage_error("snapshot", zSnapHelp, "--keep '%s': expected a count of at "
                             "least 1", optarg);
        }
        break;
      case 'h': return usage_help(zSnapHelp);
      default: return usage_error("snapshot", zSnapHelp, 0);
    }
  }
  if( optind<argc ){
    return usage_error("snapshot", zSnapHelp, "unexpected argument '%s'", argv[optind]);
  }
  if( zDb==0 || zUrl==0 ){
    return usage_error("snapshot", zSnapHelp, "%s is required", zDb ? "--to" : "--db");
  }
  rc = snapshot_publish(zDb, zUrl, zTopic, (int)nKeep, isatty(2), &m, &zErr);
  if( rc ){
    fprintf(stderr, "polarlite snapshot: %s\n", zErr ? zErr : "failed");
    sqlite3_free(zErr);
    return 1;
  }
  print_manifest("snapshot", zDb, zUrl, &m);
  print_bindings("snapshot", zDb, &m);
  return 0;
}

int cmd_restore(int argc, char **argv){
  static const struct option aOpt[] = {
    { "db", required_argument, 0, 'd' },
    { "from", required_argument, 0, 'f' },
    { "offset", required_argument, 0, 'o' },
    { "topic", required_argument, 0, 'T' },
    { "force", no_argument, 0, 'F' },
    { "full-check", no_argument, 0, 'C' },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 }
  };
  const char *zDb = 0, *zUrl = 0;
  SnapRestoreOpts opt;
  Manifest m;
  char *zErr = 0;
  int c, rc;
  memset(&opt, 0, sizeof(opt));
  opt.iOffset = SNAP_LATEST;
  optind = 1;
  while( (c = getopt_long(argc, argv, "h", aOpt, 0))!=-1 ){
    switch( c ){
      case 'd': zDb = optarg; break;
      case 'f': zUrl = optarg; break;
      case 'T': opt.zTopic = optarg; break;
      case 'F': opt.bForce = 1; break;
      case 'C': opt.bFullCheck = 1; break;
      case 'o':
        if( (opt.iOffset = parse_count(optarg))<0 ){
          return usage_error("restore", zRestoreHelp, "--offset '%s': expected a log "
                             "offset (0 or more)", optarg);
        }
        break;
      case 'h': return usage_help(zRestoreHelp);
      default: return usage_error("restore", zRestoreHelp, 0);
    }
  }
  if( optind<argc ){
    return usage_error("restore", zRestoreHelp, "unexpected argument '%s'", argv[optind]);
  }
  if( zDb==0 || zUrl==0 ){
    return usage_error("restore", zRestoreHelp, "%s is required", zDb ? "--from" : "--db");
  }
  opt.bProgress = isatty(2);
  rc = snapshot_restore(zDb, zUrl, &opt, &m, &zErr);
  if( rc ){
    fprintf(stderr, "polarlite restore: %s\n", zErr ? zErr : "failed");
    sqlite3_free(zErr);
    return 1;
  }
  print_manifest("restored", zDb, zUrl, &m);
  print_bindings("restore", zDb, &m);
  printf("checked: sha256, PRAGMA %s\n", snapshot_full_check(&m, &opt) ? "integrity_check"
         : "quick_check (the publisher ran integrity_check on these bytes)");
  return 0;
}
