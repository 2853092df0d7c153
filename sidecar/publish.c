/*
** publish.c — `polarlite publish`: the write path. Sends one message (or,
** with `lines`, one per line) to the log and prints the consistency token
** "partition:offset" once the broker has acknowledged it.
**
**   polarlite publish --brokers H --topic T insert has_role User:alice admin Org:acme
**   polarlite publish --brokers H --topic T delete has_role User:alice _ Org:_
**   polarlite publish --brokers H --topic T batch changes.json
**   polarlite publish --brokers H --topic T lines bulk.jsonl
**   polarlite publish --brokers H --topic T policy authz.polar
**
** Arguments are spelled as in SQL (docs/values.md), read by the engine's
** own rule against the policy's types: `Type:id` is a typed value (split at
** the first colon) when Type is a type of the policy, other text is a
** String ('repo:read' where only Strings go), `_` is any value and `Type:_`
** any value of Type (deletes only). With --no-check there is no policy:
** any `Type:` prefix is then read as a type. Everything is
** checked here before anything is sent, with the engine's own code: a
** policy with polar_load's validation (its tests included), facts against
** the policy the sidecars will apply them under (publish_policy.c: from
** --policy FILE, --db FILE, or the last policy message on the topic), so
** a message the sidecars would refuse never enters the log. The log may
** still change the policy between this check and the apply; then the
** sidecars record the refusal and polar_wait on the token reports it.
**
** The brokers are asked for the topic's metadata first: brokers that do
** not answer fail the command within seconds, with librdkafka's reason,
** instead of a delivery timeout. librdkafka's own log lines are shown only
** with --verbose.
**
** The producer (producer.c) is idempotent with acks=all: a retried send is
** never written twice, and the token names a message every in-sync replica
** has.
*/
#include "cmd.h"
#include "engine.h"
#include "kafka.h"
#include "log.h"
#include "pl_int.h"
#include "producer.h"
#include "publish.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_MS 5000       /* brokers must answer the first request within */

static const char zHelp[] =
    "usage: polarlite publish --brokers HOSTS --topic TOPIC [options] WHAT\n"
    "\n"
    "WHAT is one of:\n"
    "  insert PREDICATE ARG...   one fact, e.g. insert has_role User:alice admin Org:acme\n"
    "  delete PREDICATE ARG...   matching facts; _ and Type:_ are wildcards\n"
    "  batch FILE                an Oso batch body: [{\"inserts\":[...]}, {\"deletes\":[...]}]\n"
    "  lines FILE                bulk: one batch body per line (JSON Lines), one message each\n"
    "  policy FILE               replace the policy (validated and tested here first)\n"
    "FILE may be - for stdin. Prints the consistency token PARTITION:OFFSET of the\n"
    "(last) message once the broker acknowledged it; pass it to polar_wait().\n"
    "\n"
    "Facts are checked against the policy the sidecars will apply them under, and\n"
    "nothing is sent when the policy refuses one. That policy is:\n"
    "  --policy FILE       the policy in FILE\n"
    "  --db FILE           the policy stored in database FILE (one the log feeds)\n"
    "  (neither)           the last policy message on the topic\n"
    "  --no-check          send without checking facts against a policy\n"
    "\n"
    "  --brokers HOSTS     Kafka bootstrap servers\n"
    "  --topic TOPIC       the log topic\n"
    "  --partition N       partition (default 0; the sidecar reads one partition)\n"
    "  --timeout MS        give up on delivery after MS milliseconds (default 30000);\n"
    "                      brokers that do not answer at all fail it within 5 s\n"
    "  -X KEY=VALUE        librdkafka setting (SASL, TLS); repeatable\n"
    "  --verbose           show librdkafka's log lines\n";

/*------------------------------------------------------ building messages --*/

/* The wire type and id of one CLI argument, spelled as in SQL, by the
** engine's one rule for text (pl_value_from_text, docs/values.md) against
** the policy's types for the position; "_" is any value (deletes). The
** strings point into zArg, the policy, or the buffers z*Buf. */
static int arg_by_policy(const PlPolicy *pPol, const char *zPred, int nArg, int iArg,
                         const char *zArg, int bDelete, const char **pzType, int *pnType,
                         const char **pzId, int *pnId, char *zIdBuf, size_t nIdBuf){
  PlTypeSet ts = pl_policy_arg_types(pPol, zPred, nArg, iArg-1);
  PlValue v;
  char zWhat[32], *zErr = 0;
  *pzType = *pzId = 0;
  *pnType = *pnId = 0;
  if( strcmp(zArg, "_")==0 ) return 0;
  snprintf(zWhat, sizeof(zWhat), "argument %d", iArg);
  if( pl_value_from_text(pPol, zArg, (int)strlen(zArg), &ts, bDelete ? PL_PATTERN_DELETE : 0,
                         zWhat, &v, &zErr) ){
    fprintf(stderr, "polarlite publish: %s\n", zErr ? zErr : "out of memory");
    sqlite3_free(zErr);
    return -1;
  }
  if( v.iType==PL_TYPE_UNKNOWN ){
    *pzType = v.zType; *pnType = v.nType;
  }else if( v.iType>=0 ){
    *pzType = pl_value_type_name(pPol, v.iType); *pnType = (int)strlen(*pzType);
  }
  if( v.bWild ) return 0;
  if( v.iType==PL_TYPE_INTEGER ){
    snprintf(zIdBuf, nIdBuf, "%lld", (long long)v.i);
    *pzId = zIdBuf; *pnId = (int)strlen(zIdBuf);
  }else{
    *pzId = v.z; *pnId = v.n;
  }
  return 0;
}

/* The same without a policy (--no-check): Type:id is the type before the
** first colon, whatever it is; other text is a String. */
static int arg_by_syntax(const char *zArg, int iArg, const char **pzType, int *pnType,
                         const char **pzId, int *pnId){
  const char *zColon = strchr(zArg, ':');
  *pzType = "String"; *pnType = 6;
  *pzId = zArg; *pnId = (int)strlen(zArg);
  if( strcmp(zArg, "_")==0 ){
    *pzType = *pzId = 0;
  }else if( zColon ){
    if( zColon==zArg ){
      fprintf(stderr, "polarlite publish: argument %d '%s': expected Type:id with a type "
              "name before the colon\n", iArg, zArg);
      return -1;
    }
    *pzType = zArg; *pnType = (int)(zColon - zArg);
    *pzId = zColon+1; *pnId = (int)strlen(zColon+1);
    if( strcmp(*pzId, "_")==0 ) *pzId = 0;
  }
  return 0;
}

/* One CLI argument as an Oso wire value {"type": T, "id": I} appended to
** the JSON array in *pzArgs (SQLite's JSON functions do the quoting). */
static int append_arg(sqlite3 *db, const PlPolicy *pPol, const char *zPred, int nArg,
                      char **pzArgs, const char *zArg, int iArg, int bDelete){
  const char *zType, *zId;
  char zIdBuf[32];
  sqlite3_stmt *pStmt = 0;
  int nType, nId, rc;
  if( pPol ? arg_by_policy(pPol, zPred, nArg, iArg, zArg, bDelete, &zType, &nType, &zId,
                           &nId, zIdBuf, sizeof(zIdBuf))
           : arg_by_syntax(zArg, iArg, &zType, &nType, &zId, &nId) ){
    return -1;
  }
  if( zId && nId==0 ){
    fprintf(stderr, "polarlite publish: argument %d '%s': the id after the colon is empty "
            "(Type:_ is any value of Type, in delete)\n", iArg, zArg);
    return -1;
  }
  if( zId==0 && !bDelete ){
    fprintf(stderr, "polarlite publish: argument %d '%s': wildcards are only allowed in "
            "delete\n", iArg, zArg);
    return -1;
  }
  if( zId && nId>PL_MAX_ID ){
    fprintf(stderr, "polarlite publish: argument %d: the id is %d bytes, over the limit "
            "of %d\n", iArg, nId, PL_MAX_ID);
    return -1;
  }
  rc = sqlite3_prepare_v2(db, "SELECT json_insert(?1, '$[#]', json_object('type', ?2, 'id', ?3))",
                          -1, &pStmt, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, *pzArgs, -1, SQLITE_STATIC);
    sqlite3_bind_text(pStmt, 2, zType, nType, SQLITE_STATIC);
    sqlite3_bind_text(pStmt, 3, zId, nId, SQLITE_STATIC);
    if( sqlite3_step(pStmt)==SQLITE_ROW ){
      char *zNew = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
      sqlite3_free(*pzArgs);
      *pzArgs = zNew;
      if( zNew==0 ) rc = SQLITE_NOMEM;
    }
  }
  if( rc==SQLITE_OK ) rc = sqlite3_finalize(pStmt); else sqlite3_finalize(pStmt);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "polarlite publish: argument %d: %s\n", iArg, sqlite3_errmsg(db));
    return -1;
  }
  return 0;
}

/* insert/delete PRED ARG... -> [{"inserts"|"deletes": [{"predicate":..,"args":[..]}]}],
** the arguments read by the policy's types when pPol is given. */
static char *fact_message(sqlite3 *db, const PlPolicy *pPol, int bDelete, int nArg,
                          char **azArg){
  char *zArgs = sqlite3_mprintf("[]"), *zMsg = 0;
  sqlite3_stmt *pStmt = 0;
  int i;
  if( nArg<2 ){
    fprintf(stderr, "polarlite publish: %s needs a predicate and 1 to %d arguments\n",
            bDelete ? "delete" : "insert", PL_MAX_ARGS);
    return 0;
  }
  if( nArg-1>PL_MAX_ARGS ){
    fprintf(stderr, "polarlite publish: %s %s: %d arguments, but a fact has at most %d\n",
            bDelete ? "delete" : "insert", azArg[0], nArg-1, PL_MAX_ARGS);
    return 0;
  }
  for(i=1; i<nArg && zArgs; i++){
    if( append_arg(db, pPol, azArg[0], nArg-1, &zArgs, azArg[i], i, bDelete) ){
      sqlite3_free(zArgs);
      return 0;
    }
  }
  if( zArgs && sqlite3_prepare_v2(db, "SELECT json_array(json_object(?1, json_array("
                                  "json_object('predicate', ?2, 'args', json(?3)))))",
                                  -1, &pStmt, 0)==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, bDelete ? "deletes" : "inserts", -1, SQLITE_STATIC);
    sqlite3_bind_text(pStmt, 2, azArg[0], -1, SQLITE_STATIC);
    sqlite3_bind_text(pStmt, 3, zArgs, -1, SQLITE_STATIC);
    if( sqlite3_step(pStmt)==SQLITE_ROW ){
      zMsg = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
    }
  }
  sqlite3_finalize(pStmt);
  sqlite3_free(zArgs);
  if( zMsg==0 ) fprintf(stderr, "polarlite publish: cannot build the message: %s\n",
                        sqlite3_errmsg(db));
  return zMsg;
}

/* {"policy": {"src": ..., "filename": ...}} */
static char *policy_message(sqlite3 *db, const char *zSrc, size_t nSrc, const char *zName){
  sqlite3_stmt *pStmt = 0;
  char *zMsg = 0;
  if( sqlite3_prepare_v2(db, "SELECT json_object('policy', json_object('src', ?1, "
                         "'filename', ?2))", -1, &pStmt, 0)==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, zSrc, (int)nSrc, SQLITE_STATIC);
    sqlite3_bind_text(pStmt, 2, zName, -1, SQLITE_STATIC);
    if( sqlite3_step(pStmt)==SQLITE_ROW ){
      zMsg = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
    }
  }
  sqlite3_finalize(pStmt);
  if( zMsg==0 ) fprintf(stderr, "polarlite publish: cannot build the policy message: %s\n",
                        sqlite3_errmsg(db));
  return zMsg;
}

/* Check a batch body: its JSON with the engine's decoder and, when c holds
** a policy (zPolicy says which), the facts against it. 0 or -1 (message
** printed). */
static int check_batch(PlConn *c, const char *zPolicy, const char *zWhere,
                       const char *z, size_t n){
  PlArena *pArena;
  PlJsonChange *aChange = 0;
  char *zErr = 0;
  int nChange = 0, rc;
  if( n>0x7fffffff ){
    fprintf(stderr, "polarlite publish: %s: too large\n", zWhere);
    return -1;
  }
  if( c ){
    char zWhy[4096];
    if( pub_check(c, z, n, zWhy, sizeof(zWhy))==0 ) return 0;
    fprintf(stderr, "polarlite publish: %s: %s\npolarlite publish: refused by %s; "
            "nothing was sent\n", zWhere, zWhy, zPolicy);
    return -1;
  }
  if( (pArena = pl_arena_new())==0 ) return -1;
  rc = pl_json_batch(pArena, z, (int)n, &aChange, &nChange, &zErr);
  pl_arena_free(pArena);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "polarlite publish: %s: %s\n", zWhere, zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    return -1;
  }
  return 0;
}

/* The next non-blank line of z[..zEnd) at *pz: its start and length in
** *pzLine and *pn, *pz moved past it. 0 at the end. */
static int next_line(char **pz, char *zEnd, char **pzLine, size_t *pn){
  while( *pz<zEnd ){
    char *z = *pz, *zNl = memchr(z, '\n', (size_t)(zEnd-z));
    size_t n = zNl ? (size_t)(zNl-z) : (size_t)(zEnd-z);
    *pz = z + n + (zNl ? 1 : 0);
    if( strspn(z, " \t\r")<n ){ *pzLine = z; *pn = n; return 1; }
  }
  return 0;
}

/* Check every line of a JSON Lines file (see check_batch). */
static int check_lines(PlConn *c, const char *zPolicy, char *zText, size_t nText){
  char *z = zText, *zLine;
  const char *p = zText;
  size_t n;
  long iLine = 1;
  while( next_line(&z, zText+nText, &zLine, &n) ){
    char zWhere[64];
    for(; p<zLine; p++) iLine += *p=='\n';      /* the lines skipped as blank */
    snprintf(zWhere, sizeof(zWhere), "line %ld", iLine);
    if( check_batch(c, zPolicy, zWhere, zLine, n) ) return -1;
  }
  return 0;
}

/*------------------------------------------------------------- producing --*/

static void progress(long nSent, long nTotal, int bFinal){
  static struct timespec last;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if( !bFinal && (now.tv_sec-last.tv_sec)*1000 + (now.tv_nsec-last.tv_nsec)/1000000 < 200 ){
    return;
  }
  last = now;
  fprintf(stderr, "\rpublished %ld/%ld messages%s", nSent, nTotal, bFinal ? "\n" : "");
}

/* Send every line of a JSON Lines file (checked before). */
static int produce_lines(Producer *P, char *zText, size_t nText, long *pnSent){
  int bTty = isatty(2);
  long nTotal = 0;
  char *z = zText, *zLine;
  size_t n;
  while( next_line(&z, zText+nText, &zLine, &n) ) nTotal++;
  for(z=zText; next_line(&z, zText+nText, &zLine, &n); ){
    char zErr[600];
    if( producer_send(P, zLine, n, zErr, sizeof(zErr)) ){
      fprintf(stderr, "polarlite publish: %s\n", zErr);
      return -1;
    }
    (*pnSent)++;
    if( bTty ) progress(*pnSent, nTotal, 0);
  }
  if( bTty ) progress(*pnSent, nTotal, 1);
  return 0;
}

int cmd_publish(int argc, char **argv){
  enum { O_BROKERS = 1000, O_TOPIC, O_PARTITION, O_TIMEOUT, O_HELP, O_POLICY, O_DB,
         O_NOCHECK, O_VERBOSE };
  static const struct option aOpt[] = {
    { "brokers", required_argument, 0, O_BROKERS },
    { "topic", required_argument, 0, O_TOPIC },
    { "partition", required_argument, 0, O_PARTITION },
    { "timeout", required_argument, 0, O_TIMEOUT },
    { "policy", required_argument, 0, O_POLICY },
    { "db", required_argument, 0, O_DB },
    { "no-check", no_argument, 0, O_NOCHECK },
    { "verbose", no_argument, 0, O_VERBOSE },
    { "help", no_argument, 0, O_HELP },
    { 0, 0, 0, 0 }
  };
  KafkaOpts o;
  ProducerStats st;
  Producer *P = 0;
  long nSent = 0;
  sqlite3 *db = 0;
  PlConn *c;
  char zErr[4096], zPolicy[600];
  char *zMsg = 0, *zText = 0;
  size_t nText = 0;
  const char *zWhat, *zPolicyFile = 0, *zPolicyDb = 0;
  int ch, rc = 1, iTimeout = 30000, bFacts = 0, bLines = 0, bNoCheck = 0, bVerbose = 0;
  memset(&o, 0, sizeof(o));
  optind = 1;
  /* "+": stop at WHAT, so that arguments like -1 are not options */
  while( (ch = getopt_long(argc, argv, "+X:h", aOpt, 0))!=-1 ){
    switch( ch ){
      case O_BROKERS: o.zBrokers = optarg; break;
      case O_TOPIC: o.zTopic = optarg; break;
      case O_PARTITION:
      case O_TIMEOUT: {
        char *zEnd = 0;
        long v = strtol(optarg, &zEnd, 10);
        if( zEnd==optarg || *zEnd || v<0 || v>0x7fffffff ){
          return usage_error("publish", zHelp, "%s %s: expected a non-negative integer",
                             ch==O_PARTITION ? "--partition" : "--timeout", optarg);
        }
        if( ch==O_PARTITION ) o.iPartition = (int)v; else iTimeout = (int)v;
        break;
      }
      case O_POLICY: zPolicyFile = optarg; break;
      case O_DB: zPolicyDb = optarg; break;
      case O_NOCHECK: bNoCheck = 1; break;
      case O_VERBOSE: bVerbose = 1; break;
      case 'X':
        if( kafka_add_x(&o, optarg, zErr, sizeof(zErr)) ){
          return usage_error("publish", zHelp, "%s", zErr);
        }
        break;
      case 'h': case O_HELP: return usage_help(zHelp);
      default: return usage_error("publish", zHelp, 0);
    }
  }
  if( o.zBrokers==0 || o.zTopic==0 || optind>=argc ){
    return usage_error("publish", zHelp, "%s is required", o.zBrokers==0 ? "--brokers"
                       : o.zTopic==0 ? "--topic" : "what to publish (insert, delete, batch, "
                       "lines or policy)");
  }
  if( iTimeout<=0 ){
    return usage_error("publish", zHelp, "--timeout must be at least 1 millisecond");
  }
  if( (zPolicyFile!=0) + (zPolicyDb!=0) + bNoCheck > 1 ){
    return usage_error("publish", zHelp, "give one of --policy, --db and --no-check");
  }
  log_set_level(bVerbose ? LOG_DEBUG : LOG_ERROR+1);
  zWhat = argv[optind++];
  if( engine_open(":memory:", SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, &db, &c,
                  zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite publish: %s\n", zErr);
    return 1;
  }

  /* the message(s), and the checks that need no policy */
  if( strcmp(zWhat, "insert")==0 || strcmp(zWhat, "delete")==0 ){
    bFacts = 1;
    zMsg = fact_message(db, 0, zWhat[0]=='d', argc-optind, argv+optind);
    if( zMsg==0 || check_batch(0, 0, zWhat, zMsg, strlen(zMsg)) ) goto publish_done;
  }else if( strcmp(zWhat, "batch")==0 || strcmp(zWhat, "lines")==0
         || strcmp(zWhat, "policy")==0 ){
    if( argc-optind!=1 ){
      rc = usage_error("publish", zHelp, "%s takes one FILE (- for stdin)", zWhat);
      goto publish_done;
    }
    if( read_whole_file(argv[optind], &zText, &nText, zErr, sizeof(zErr)) ){
      fprintf(stderr, "polarlite publish: %s\n", zErr);
      goto publish_done;
    }
    if( zWhat[0]=='b' ){
      bFacts = 1;
      if( check_batch(0, 0, argv[optind], zText, nText) ) goto publish_done;
    }else if( zWhat[0]=='p' ){
      const char *zBase = strrchr(argv[optind], '/');
      zBase = zBase ? zBase+1 : argv[optind];
      if( strcmp(zBase, "-")==0 ) zBase = "policy.polar";
      if( engine_check_policy(zText, nText, zBase, 1, zErr, sizeof(zErr)) ){
        fprintf(stderr, "%s\npolarlite publish: the policy was not sent\n", zErr);
        goto publish_done;
      }
      zMsg = policy_message(db, zText, nText, zBase);
      if( zMsg==0 ) goto publish_done;
    }else{
      bFacts = bLines = 1;
      if( check_lines(0, 0, zText, nText) ) goto publish_done;
    }
  }else{
    rc = usage_error("publish", zHelp, "unknown '%s': expected insert, delete, batch, lines "
                     "or policy", zWhat);
    goto publish_done;
  }
  if( !bFacts && (zPolicyFile || zPolicyDb) ){
    rc = usage_error("publish", zHelp, "--policy and --db check facts; a policy is "
                     "checked by itself");
    goto publish_done;
  }

  /* the producer, and brokers that answer */
  if( producer_open(&o, iTimeout, 5, &P, zErr, sizeof(zErr)) ){
    rc = usage_error("publish", zHelp, "cannot create the Kafka producer: %s", zErr);
    goto publish_done;
  }
  if( producer_check(P, iTimeout<CONNECT_MS ? iTimeout : CONNECT_MS, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite publish: %s\n", zErr);
    goto publish_done;
  }

  /* facts against the policy they will be applied under */
  if( bFacts && !bNoCheck ){
    int64_t iAt = -1;
    int bFail;
    if( zPolicyFile ){
      bFail = pub_policy_file(c, zPolicyFile, zErr, sizeof(zErr));
      snprintf(zPolicy, sizeof(zPolicy), "the policy in %s", zPolicyFile);
    }else if( zPolicyDb ){
      bFail = pub_policy_db(c, zPolicyDb, zErr, sizeof(zErr));
      snprintf(zPolicy, sizeof(zPolicy), "the policy of %s", zPolicyDb);
    }else{
      bFail = pub_policy_topic(c, &o, iTimeout, &iAt, zErr, sizeof(zErr));
      snprintf(zPolicy, sizeof(zPolicy), "the policy published at %d:%lld",
               o.iPartition, (long long)iAt);
    }
    if( bFail ){
      fprintf(stderr, "polarlite publish: cannot check the facts: %s\npolarlite publish: "
              "give the policy with --policy FILE or --db FILE, or send unchecked with "
              "--no-check; nothing was sent\n", zErr);
      goto publish_done;
    }
    if( zMsg && !bLines && (zWhat[0]=='i' || zWhat[0]=='d') ){
      /* the arguments again, now read by the policy's types (one rule) */
      sqlite3_free(zMsg);
      zMsg = fact_message(db, c->pPol, zWhat[0]=='d', argc-optind, argv+optind);
      if( zMsg==0 ){
        fprintf(stderr, "polarlite publish: refused by %s; nothing was sent\n", zPolicy);
        goto publish_done;
      }
    }
    if( bLines ? check_lines(c, zPolicy, zText, nText)
               : check_batch(c, zPolicy, zWhat, zMsg ? zMsg : zText,
                             zMsg ? strlen(zMsg) : nText) ){
      goto publish_done;
    }
  }

  if( bLines ){
    if( produce_lines(P, zText, nText, &nSent) ) goto publish_done;
  }else{
    const char *z = zMsg ? zMsg : zText;
    if( producer_send(P, z, zMsg ? strlen(zMsg) : nText, zErr, sizeof(zErr)) ){
      fprintf(stderr, "polarlite publish: %s\n", zErr);
      goto publish_done;
    }
    nSent++;
  }
  producer_flush(P, iTimeout + 5000, &st);
  if( st.nFailed || st.nOk<st.nSent ){
    fprintf(stderr, "polarlite publish: %ld of %ld messages not acknowledged by %s: %s\n",
            st.nSent - st.nOk, st.nSent, o.zBrokers,
            st.zFirstErr[0] ? st.zFirstErr : "timed out waiting for the broker");
    goto publish_done;
  }
  if( nSent==0 ){
    fprintf(stderr, "polarlite publish: nothing to send (the file has no lines)\n");
    goto publish_done;
  }
  printf("%d:%lld\n", st.iPartition, (long long)st.iLastOffset);
  rc = 0;

publish_done:
  producer_close(P);
  sqlite3_free(zMsg);
  free(zText);
  sqlite3_close(db);
  return rc;
}
