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
** Arguments are spelled as the oso-cloud CLI spells them: `Type:id` is a
** typed value (split at the first colon), other text is a String, `_` is
** any value and `Type:_` any value of Type (deletes only). Everything is
** checked here before it is sent, with the engine's own code: a batch with
** the engine's JSON decoder, a policy with polar_load's validation (its
** tests included), so a message the sidecars would refuse never enters the
** log. Whether facts match the policy's types is checked by each sidecar
** at apply time (the log may change the policy in between).
**
** The producer is idempotent with acks=all: a retried send is never
** written twice, and the token names a message every in-sync replica has.
*/
#include "cmd.h"
#include "engine.h"
#include "kafka.h"
#include "pl_int.h"
#include "producer.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f){
  fprintf(f,
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
    "  --brokers HOSTS     Kafka bootstrap servers\n"
    "  --topic TOPIC       the log topic\n"
    "  --partition N       partition (default 0; the sidecar reads one partition)\n"
    "  --timeout MS        give up on delivery after MS milliseconds (default 30000)\n"
    "  -X KEY=VALUE        librdkafka setting (SASL, TLS); repeatable\n");
}

/*------------------------------------------------------ building messages --*/

/* One CLI argument as an Oso wire value {"type": T, "id": I} appended to
** the JSON array in *pzArgs (SQLite's JSON functions do the quoting). */
static int append_arg(sqlite3 *db, char **pzArgs, const char *zArg, int iArg, int bDelete){
  const char *zColon = strchr(zArg, ':');
  const char *zType = "String", *zId = zArg;
  char zTypeBuf[256];
  sqlite3_stmt *pStmt = 0;
  int rc;
  if( strcmp(zArg, "_")==0 ){
    zType = 0; zId = 0;
  }else if( zColon ){
    size_t nType = (size_t)(zColon - zArg);
    if( nType==0 || nType>=sizeof(zTypeBuf) ){
      fprintf(stderr, "polarlite publish: argument %d '%s': expected Type:id with a type "
              "name before the colon\n", iArg, zArg);
      return -1;
    }
    memcpy(zTypeBuf, zArg, nType);
    zTypeBuf[nType] = 0;
    zType = zTypeBuf;
    zId = zColon+1;
    if( strcmp(zId, "_")==0 ) zId = 0;
    else if( zId[0]==0 ){
      fprintf(stderr, "polarlite publish: argument %d '%s': the id after the colon is "
              "empty (use %s_ for any %s, in delete)\n", iArg, zArg, zArg, zTypeBuf);
      return -1;
    }
  }
  if( zId==0 && !bDelete ){
    fprintf(stderr, "polarlite publish: argument %d '%s': wildcards are only allowed in "
            "delete\n", iArg, zArg);
    return -1;
  }
  if( zId && strlen(zId)>PL_MAX_ID ){
    fprintf(stderr, "polarlite publish: argument %d: the id is %zu bytes, over the limit "
            "of %d\n", iArg, strlen(zId), PL_MAX_ID);
    return -1;
  }
  rc = sqlite3_prepare_v2(db, "SELECT json_insert(?1, '$[#]', json_object('type', ?2, 'id', ?3))",
                          -1, &pStmt, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, *pzArgs, -1, SQLITE_STATIC);
    sqlite3_bind_text(pStmt, 2, zType, -1, SQLITE_STATIC);
    sqlite3_bind_text(pStmt, 3, zId, -1, SQLITE_STATIC);
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

/* insert/delete PRED ARG... -> [{"inserts"|"deletes": [{"predicate":..,"args":[..]}]}] */
static char *fact_message(sqlite3 *db, int bDelete, int nArg, char **azArg){
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
    if( append_arg(db, &zArgs, azArg[i], i, bDelete) ){ sqlite3_free(zArgs); return 0; }
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

/* Check a batch body with the engine's decoder; 0 or -1 (message printed). */
static int check_batch(const char *zWhere, const char *z, size_t n){
  PlArena *pArena = pl_arena_new();
  PlJsonChange *aChange = 0;
  char *zErr = 0;
  int nChange = 0, rc;
  if( pArena==0 ) return -1;
  if( n>0x7fffffff ){
    fprintf(stderr, "polarlite publish: %s: too large\n", zWhere);
    pl_arena_free(pArena);
    return -1;
  }
  rc = pl_json_batch(pArena, z, (int)n, &aChange, &nChange, &zErr);
  pl_arena_free(pArena);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "polarlite publish: %s: %s\n", zWhere, zErr ? zErr : sqlite3_errstr(rc));
    sqlite3_free(zErr);
    return -1;
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

/* Send every line of a JSON Lines file, each checked first. */
static int produce_lines(Producer *P, char *zText, size_t nText, long *pnSent){
  int bTty = isatty(2);
  long nTotal = 0, iLine = 0;
  size_t i;
  char *z, *zEnd = zText + nText;
  for(i=0; i<nText; i++) if( zText[i]=='\n' ) nTotal++;
  if( nText && zText[nText-1]!='\n' ) nTotal++;
  /* check everything before sending anything */
  for(z=zText; z<zEnd; ){
    char *zNl = memchr(z, '\n', (size_t)(zEnd-z));
    size_t n = zNl ? (size_t)(zNl-z) : (size_t)(zEnd-z);
    char zWhere[64];
    iLine++;
    if( strspn(z, " \t\r")<n ){
      snprintf(zWhere, sizeof(zWhere), "line %ld", iLine);
      if( check_batch(zWhere, z, n) ) return -1;
    }
    z += n + (zNl ? 1 : 0);
  }
  for(z=zText; z<zEnd; ){
    char *zNl = memchr(z, '\n', (size_t)(zEnd-z));
    size_t n = zNl ? (size_t)(zNl-z) : (size_t)(zEnd-z);
    if( strspn(z, " \t\r")<n ){
      char zErr[600];
      if( producer_send(P, z, n, zErr, sizeof(zErr)) ){
        fprintf(stderr, "polarlite publish: %s\n", zErr);
        return -1;
      }
      (*pnSent)++;
      if( bTty ) progress(*pnSent, nTotal, 0);
    }
    z += n + (zNl ? 1 : 0);
  }
  if( bTty ) progress(*pnSent, nTotal, 1);
  return 0;
}

int cmd_publish(int argc, char **argv){
  enum { O_BROKERS = 1000, O_TOPIC, O_PARTITION, O_TIMEOUT, O_HELP };
  static const struct option aOpt[] = {
    { "brokers", required_argument, 0, O_BROKERS },
    { "topic", required_argument, 0, O_TOPIC },
    { "partition", required_argument, 0, O_PARTITION },
    { "timeout", required_argument, 0, O_TIMEOUT },
    { "help", no_argument, 0, O_HELP },
    { 0, 0, 0, 0 }
  };
  KafkaOpts o;
  ProducerStats st;
  Producer *P = 0;
  long nSent = 0;
  sqlite3 *db = 0;
  PlConn *c;
  char zErr[4096];
  char *zMsg = 0, *zText = 0;
  size_t nText = 0;
  const char *zWhat;
  int ch, rc = 1, iTimeout = 30000, bLines = 0;
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
          fprintf(stderr, "polarlite publish: %s %s: expected a non-negative integer\n",
                  ch==O_PARTITION ? "--partition" : "--timeout", optarg);
          return 2;
        }
        if( ch==O_PARTITION ) o.iPartition = (int)v; else iTimeout = (int)v;
        break;
      }
      case 'X':
        if( kafka_add_x(&o, optarg, zErr, sizeof(zErr)) ){
          fprintf(stderr, "polarlite publish: %s\n", zErr);
          return 2;
        }
        break;
      case 'h': case O_HELP: usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if( o.zBrokers==0 || o.zTopic==0 || optind>=argc ){
    fprintf(stderr, "polarlite publish: --brokers, --topic and what to publish are required\n");
    usage(stderr);
    return 2;
  }
  if( iTimeout<=0 ){
    fprintf(stderr, "polarlite publish: --timeout must be at least 1 millisecond\n");
    return 2;
  }
  zWhat = argv[optind++];
  if( engine_open(":memory:", SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, &db, &c,
                  zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite publish: %s\n", zErr);
    return 1;
  }

  /* the message(s), checked */
  if( strcmp(zWhat, "insert")==0 || strcmp(zWhat, "delete")==0 ){
    zMsg = fact_message(db, zWhat[0]=='d', argc-optind, argv+optind);
    if( zMsg && check_batch(zWhat, zMsg, strlen(zMsg)) ){ sqlite3_free(zMsg); zMsg = 0; }
    if( zMsg==0 ) goto publish_done;
  }else if( strcmp(zWhat, "batch")==0 || strcmp(zWhat, "lines")==0
         || strcmp(zWhat, "policy")==0 ){
    if( argc-optind!=1 ){
      fprintf(stderr, "polarlite publish: %s takes one FILE (- for stdin)\n", zWhat);
      rc = 2;
      goto publish_done;
    }
    if( read_whole_file(argv[optind], &zText, &nText, zErr, sizeof(zErr)) ){
      fprintf(stderr, "polarlite publish: %s\n", zErr);
      goto publish_done;
    }
    if( zWhat[0]=='b' ){
      if( check_batch(argv[optind], zText, nText) ) goto publish_done;
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
      bLines = 1;
    }
  }else{
    fprintf(stderr, "polarlite publish: unknown '%s': expected insert, delete, batch, lines "
            "or policy\n", zWhat);
    rc = 2;
    goto publish_done;
  }

  /* the producer */
  if( producer_open(&o, iTimeout, 5, &P, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite publish: cannot create the Kafka producer: %s\n", zErr);
    rc = 2;
    goto publish_done;
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
