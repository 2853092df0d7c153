/*
** sidecar.c — `polarlite sidecar`: apply a Kafka log to a database file.
**
**   polarlite sidecar --db authz.db --brokers kafka1:9092 --topic authz
**
** How it works: the partition is read by manual assignment from the
** position stored in the database (stored offset + 1; the log start for an
** empty database). The loop is librdkafka's canonical consumer loop (a
** signal flag, a short poll, every message destroyed) with group commit
** on top: the first message opens a transaction, then whatever is already
** fetched is applied into the same transaction, up to --group-messages or
** --group-ms, and one COMMIT stores the facts with the new position
** (apply.c). Idle, one message is one transaction and is applied as soon
** as it arrives; under load thousands share one.
**
** Faults: librdkafka reconnects to brokers by itself (with backoff); the
** position check at start retries with our own backoff while no broker
** answers. A position the log no longer holds ends the run with status 3,
** unless --snapshots names where snapshots are: then the latest one is
** restored and reading resumes after it (once per stuck position).
**
** Snapshots (--snapshots URL, snapshot.h): an empty database (no log
** position, no policy, no facts) starts from the latest snapshot instead
** of the log's first message; --snapshot-every makes this node publish
** snapshots on a thread of its own. If the position stored in the file
** changes under the running sidecar (`polarlite restore` into the live
** file), apply_begin() notices and the log is read again from the new
** position. --fallback is another mode (fallback.c): no Kafka at all, the
** file is refreshed from the latest snapshot every --every.
**
** Exit status: 0 stopped by SIGTERM/SIGINT (after finishing the open
** transaction), 1 failure, 2 usage, 3 the log no longer holds the stored
** position (and no snapshot could bring it back), 4 stopped on a rejected
** message (--halt-on-reject).
*/
#include "cmd.h"
#include "apply.h"
#include "checkpoint.h"
#include "fallback.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "signals.h"
#include "snapshot.h"
#include "store.h"
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
  SC_STOPPED = 0, SC_FAILED = 1, SC_USAGE = 2, SC_POSITION_LOST = 3, SC_HALTED = 4,
  SC_RESEEK = -1              /* not an exit status: read the log again from the
                              ** position now stored in the database */
};

typedef struct Sidecar {
  /* options */
  const char *zDb;
  KafkaOpts kafka;
  const char *zMetrics;
  const char *zLogFile;
  int bHaltOnReject;
  int bDev;
  int bCheckOnly;
  int nGroupMax;              /* messages per transaction */
  int nGroupMs;               /* milliseconds per transaction */
  const char *zSnapshots;     /* --snapshots URL */
  int nSnapshotEveryMs;       /* --snapshot-every (0: this node does not publish) */
  int nSnapshotKeep;          /* --snapshot-keep */
  int bFallback;              /* --fallback */
  int nEveryMs;               /* --every (fallback refresh interval) */
  /* state */
  Applier *pApply;
  Checkpointer *pCkpt;
  Reader *pReader;
  SnapPublisher *pPub;
  int bRestoreTried;          /* a snapshot was restored for the current stuck
                              ** position; cleared when a group commits */
  MetricsSnap m;
  int64_t iRateAtMs, nRateFacts;   /* apply-rate window */
  int64_t iProgressAtMs, nProgressMsgs;
  int64_t iIdleSinceMs;
} Sidecar;

/* Sleep up to ms, waking early when a stop is requested. */
static void nap(int ms){
  while( ms>0 && !gStop ){
    int step = ms<100 ? ms : 100;
    struct timespec ts = { 0, (long)step*1000000L };
    nanosleep(&ts, 0);
    ms -= step;
  }
}

static const char zHelp[] =
    "usage: polarlite sidecar --db FILE --brokers HOSTS --topic TOPIC [options]\n"
    "       polarlite sidecar --db FILE --dev [--topic TOPIC]\n"
    "\n"
    "Apply the log in TOPIC to the polarlite database FILE, in order and exactly once.\n"
    "\n"
    "  --db FILE              the database (created if missing; WAL mode)\n"
    "  --brokers HOSTS        Kafka bootstrap servers, host:port[,host:port...]\n"
    "  --topic TOPIC          the log topic\n"
    "  --partition N          partition to read (default 0)\n"
    "  -X KEY=VALUE           librdkafka setting (SASL, TLS, timeouts); repeatable\n"
    "  --halt-on-reject       stop (exit 4) at a message the engine refuses instead of\n"
    "                         recording it in polar_rejected and going on\n"
    "  --group-messages N     at most N messages per transaction (default 50000)\n"
    "  --group-ms MS          at most MS milliseconds per transaction (default 500)\n"
    "  --metrics ADDR         serve /metrics and /healthz on HOST:PORT\n"
    "  --log-file FILE        log here instead of stderr (SIGHUP reopens it)\n"
    "  --verbose              log every transaction\n"
    "  --dev                  start an in-process Kafka mock cluster (demo; the log\n"
    "                         lives only as long as this process: started again on\n"
    "                         its database, it keeps the policy and facts and reads\n"
    "                         the new log from its start)\n"
    "  -n                     check the configuration and exit\n"
    "\n"
    "Snapshots (s3://BUCKET/PREFIX or file:///DIR; S3 settings from AWS_* variables):\n"
    "  --snapshots URL        restore the latest snapshot when the database is empty or\n"
    "                         the log no longer holds its position\n"
    "  --snapshot-every DUR   also publish a snapshot every DUR (e.g. 10m; one publisher\n"
    "                         per cluster)\n"
    "  --snapshot-keep N      keep the newest N snapshots (default 5)\n"
    "  --fallback --every DUR no Kafka: refresh the database from the latest snapshot\n"
    "                         every DUR when it is newer (needs --snapshots)\n"
    "DUR is a number with a unit: ms, s, m or h (a bare number is seconds).\n"
    "\n"
    "Exit status: 0 stopped by SIGTERM/SIGINT, 1 failure, 2 usage, 3 the log no\n"
    "longer holds the database's position, 4 stopped on a rejected message.\n";

static int parse_int(const char *zOpt, const char *z, int lo, int hi, int *pOut){
  long long v;
  if( opt_int("sidecar", zOpt, z, lo, hi, &v) ) return -1;
  *pOut = (int)v;
  return 0;
}

/* DURATION: from 100 ms to 7 days. */
static int parse_duration(const char *zOpt, const char *z, int *pMs){
  return opt_duration("sidecar", zOpt, z, 100.0, 7.0*86400000.0, pMs);
}

/* The combinations of options that make no sense. 0 or -1 (said why). */
static int check_options(Sidecar *S){
  const char *zWhy = 0;
  if( S->zDb==0 ) zWhy = "--db is required";
  else if( S->bFallback ){
    if( S->zSnapshots==0 ) zWhy = "--fallback refreshes from snapshots: give --snapshots URL";
    else if( S->kafka.zBrokers || S->bDev ) zWhy = "--fallback reads no Kafka: drop --brokers/--dev";
    else if( S->nSnapshotEveryMs ) zWhy = "--fallback does not publish snapshots: drop --snapshot-every";
    else if( S->nEveryMs==0 ) zWhy = "--fallback needs --every DURATION (how often to look for a newer snapshot)";
  }else if( S->nEveryMs ){
    zWhy = "--every is the refresh interval of --fallback (to publish snapshots, use --snapshot-every)";
  }else if( S->kafka.zTopic==0 || (S->kafka.zBrokers==0 && !S->bDev) ){
    zWhy = "--db, --brokers and --topic are required (or --db with --dev, or --fallback)";
  }else if( S->bDev && S->kafka.zBrokers ){
    zWhy = "--dev starts its own broker; drop --brokers";
  }else if( S->nSnapshotEveryMs && S->zSnapshots==0 ){
    zWhy = "--snapshot-every publishes to --snapshots URL: give it";
  }
  if( zWhy ){
    usage_error("sidecar", zHelp, "%s", zWhy);
    return -1;
  }
  return 0;
}

static int parse_options(Sidecar *S, int argc, char **argv){
  enum { O_DB = 1000, O_BROKERS, O_TOPIC, O_PARTITION, O_HALT, O_GROUP_MSGS, O_GROUP_MS,
         O_METRICS, O_LOGFILE, O_VERBOSE, O_DEV, O_HELP, O_SNAPSHOTS, O_SNAP_EVERY,
         O_SNAP_KEEP, O_FALLBACK, O_EVERY };
  static const struct option aOpt[] = {
    { "db", required_argument, 0, O_DB },
    { "brokers", required_argument, 0, O_BROKERS },
    { "topic", required_argument, 0, O_TOPIC },
    { "partition", required_argument, 0, O_PARTITION },
    { "halt-on-reject", no_argument, 0, O_HALT },
    { "group-messages", required_argument, 0, O_GROUP_MSGS },
    { "group-ms", required_argument, 0, O_GROUP_MS },
    { "metrics", required_argument, 0, O_METRICS },
    { "log-file", required_argument, 0, O_LOGFILE },
    { "verbose", no_argument, 0, O_VERBOSE },
    { "dev", no_argument, 0, O_DEV },
    { "snapshots", required_argument, 0, O_SNAPSHOTS },
    { "snapshot-every", required_argument, 0, O_SNAP_EVERY },
    { "snapshot-keep", required_argument, 0, O_SNAP_KEEP },
    { "fallback", no_argument, 0, O_FALLBACK },
    { "every", required_argument, 0, O_EVERY },
    { "help", no_argument, 0, O_HELP },
    { 0, 0, 0, 0 }
  };
  char zErr[512];
  int c;
  S->nGroupMax = 50000;
  S->nGroupMs = 500;
  S->nSnapshotKeep = 5;
  optind = 1;
  while( (c = getopt_long(argc, argv, "X:nh", aOpt, 0))!=-1 ){
    switch( c ){
      case O_DB: S->zDb = optarg; break;
      case O_BROKERS: S->kafka.zBrokers = optarg; break;
      case O_TOPIC: S->kafka.zTopic = optarg; break;
      case O_PARTITION:
        if( parse_int("--partition", optarg, 0, 1<<30, &S->kafka.iPartition) ) return -1;
        break;
      case O_HALT: S->bHaltOnReject = 1; break;
      case O_GROUP_MSGS:
        if( parse_int("--group-messages", optarg, 1, 1000000, &S->nGroupMax) ) return -1;
        break;
      case O_GROUP_MS:
        if( parse_int("--group-ms", optarg, 0, 60000, &S->nGroupMs) ) return -1;
        break;
      case O_METRICS: S->zMetrics = optarg; break;
      case O_LOGFILE: S->zLogFile = optarg; break;
      case O_VERBOSE: log_set_level(LOG_DEBUG); break;
      case O_DEV: S->bDev = 1; break;
      case O_SNAPSHOTS: S->zSnapshots = optarg; break;
      case O_SNAP_EVERY:
        if( parse_duration("--snapshot-every", optarg, &S->nSnapshotEveryMs) ) return -1;
        break;
      case O_SNAP_KEEP:
        if( parse_int("--snapshot-keep", optarg, 1, 100000, &S->nSnapshotKeep) ) return -1;
        break;
      case O_FALLBACK: S->bFallback = 1; break;
      case O_EVERY:
        if( parse_duration("--every", optarg, &S->nEveryMs) ) return -1;
        break;
      case 'n': S->bCheckOnly = 1; break;
      case 'X':
        if( kafka_add_x(&S->kafka, optarg, zErr, sizeof(zErr)) ){
          fprintf(stderr, "polarlite sidecar: %s\n", zErr);
          return -1;
        }
        break;
      case 'h': case O_HELP: usage_help(zHelp); exit(0);
      default: usage_error("sidecar", zHelp, 0); return -1;
    }
  }
  if( optind<argc ){
    usage_error("sidecar", zHelp, "unexpected argument '%s'", argv[optind]);
    return -1;
  }
  if( S->bDev && S->kafka.zTopic==0 ) S->kafka.zTopic = "polarlite";
  return check_options(S);
}

/*------------------------------------------------------ metrics/logging --*/

static void publish_metrics(Sidecar *S){
  ApplyTotals t;
  ApplyPos p;
  int64_t tNow = log_now_ms(), hi;
  apply_totals(S->pApply, &t);
  apply_position(S->pApply, &p);
  hi = S->pReader ? reader_cached_high(S->pReader) : -1;
  S->m.iAppliedOffset = p.bHave ? p.iOffset : -1;
  if( hi>=0 ){
    S->m.iHighWatermark = hi;
    S->m.nLagMessages = hi - (p.bHave ? p.iOffset+1 : 0);
    if( S->m.nLagMessages<0 ) S->m.nLagMessages = 0;
  }
  S->m.nMessages = t.nMessages;
  S->m.nFacts = t.nFacts;
  S->m.nRejected = t.nRejected;
  S->m.iPolicyVersion = t.iPolicyVersion;
  if( t.iSnapshotMs>S->m.iSnapshotAtMs ) S->m.iSnapshotAtMs = t.iSnapshotMs;
  if( S->pPub ){
    SnapStats *st = snapshot_publisher_stats(S->pPub);
    long long iPub = atomic_load(&st->iSnapshotMs);
    if( iPub>S->m.iSnapshotAtMs ) S->m.iSnapshotAtMs = iPub;
    S->m.nSnapshots = atomic_load(&st->nDone);
    S->m.nSnapshotErrors = atomic_load(&st->nError);
  }
  S->m.bBrokerUp = S->pReader ? !reader_broker_down(S->pReader) : 0;
  S->m.iHeartbeatMs = tNow;
  if( tNow - S->iRateAtMs >= 2000 ){
    if( S->iRateAtMs>0 ){
      S->m.rFactsPerSec = (double)(t.nFacts - S->nRateFacts)*1000.0
                        / (double)(tNow - S->iRateAtMs);
    }
    S->iRateAtMs = tNow;
    S->nRateFacts = t.nFacts;
  }
  if( S->zMetrics ) metrics_update(&S->m);
  /* a progress line every 10 s while messages flow */
  if( tNow - S->iProgressAtMs >= 10000 ){
    if( t.nMessages!=S->nProgressMsgs ){
      log_event(LOG_INFO, "progress", "offset=%lld lag_messages=%lld lag_ms=%lld "
                "messages=%lld facts=%lld rejected=%lld facts_per_sec=%.0f",
                (long long)S->m.iAppliedOffset, (long long)S->m.nLagMessages,
                (long long)S->m.iLagMs, (long long)t.nMessages, (long long)t.nFacts,
                (long long)t.nRejected, S->m.rFactsPerSec);
    }
    S->iProgressAtMs = tNow;
    S->nProgressMsgs = t.nMessages;
  }
}

/*------------------------------------------------------------ position --*/

/* Install the latest snapshot under --snapshots into the database (the
** applier is between transactions) and read the position again. zWhy
** says why, for the log. SNAP_OK, SNAP_NONE (no snapshot yet) or
** SNAP_ERROR; *pzErr (sqlite3_free) says why not. */
static int restore_latest(Sidecar *S, const char *zWhy, char **pzErr){
  SnapRestoreOpts opt;
  Manifest m;
  char aUrl[512], aErr[512];
  int64_t t0 = log_now_ms();
  int rc;
  memset(&opt, 0, sizeof(opt));
  opt.iOffset = SNAP_LATEST;
  opt.zTopic = S->kafka.zTopic;
  log_event(LOG_INFO, "snapshot_restore", "reason=%s snapshots=%s", zWhy,
            log_q(aUrl, sizeof(aUrl), S->zSnapshots));
  rc = snapshot_restore(S->zDb, S->zSnapshots, &opt, &m, pzErr);
  if( rc==SNAP_OK ){
    S->m.iSnapshotAtMs = m.iCreatedMs;
    log_event(LOG_INFO, "snapshot_restored", "object=%s offset=%lld created_at=%s facts=%lld "
              "bytes=%lld ms=%lld", m.zObject, m.iOffset, m.zCreatedAt, m.nFact, m.nByte,
              (long long)(log_now_ms() - t0));
    snapshot_log_bindings(&m);
    if( apply_reload(S->pApply, aErr, sizeof(aErr)) ){
      *pzErr = sqlite3_mprintf("after the restore: %s", aErr);
      rc = SNAP_ERROR;
    }
  }
  return rc;
}

/* Where the log no longer holds what this database needs next. With
** --snapshots, restore the latest snapshot and read on from its position
** (SC_RESEEK), once per stuck position: if that snapshot is no help either,
** or there is none, explain and end the run. */
static int position_lost(Sidecar *S, const char *zWhy){
  char *zErr = 0;
  char aErr[1024];
  int rc;
  if( S->zSnapshots && !S->bRestoreTried ){
    log_event(LOG_WARN, "position_lost", "topic=%s partition=%d db=%s reason=\"%s\" "
              "action=restore_latest_snapshot", S->kafka.zTopic, S->kafka.iPartition,
              S->zDb, zWhy);
    S->bRestoreTried = 1;
    rc = restore_latest(S, "position_lost", &zErr);
    if( rc==SNAP_OK ) return SC_RESEEK;
    log_event(LOG_ERROR, "snapshot_restore_failed", "error=%s",
              log_q(aErr, sizeof(aErr), zErr ? zErr : "?"));
    fprintf(stderr, "polarlite sidecar: %s: %s\nThe latest snapshot under %s cannot "
            "bring it back: %s\n", S->zDb, zWhy, S->zSnapshots, zErr ? zErr : "failed");
    sqlite3_free(zErr);
    return SC_POSITION_LOST;
  }
  log_event(LOG_ERROR, "position_lost", "topic=%s partition=%d db=%s reason=\"%s\" "
            "action=\"%s\"", S->kafka.zTopic, S->kafka.iPartition, S->zDb, zWhy,
            S->zSnapshots ? "the latest snapshot was restored and did not cover the gap"
            : "restore a snapshot of this topic into the database (polarlite restore), "
              "then start the sidecar again");
  if( S->zSnapshots ){
    fprintf(stderr, "polarlite sidecar: %s: %s\nThe latest snapshot under %s was restored "
            "and does not reach the log's start either: publish a newer snapshot, then "
            "start the sidecar again.\n", S->zDb, zWhy, S->zSnapshots);
  }else{
    fprintf(stderr, "polarlite sidecar: %s: %s\nRestore a snapshot of topic %s into it "
            "(polarlite restore --db %s --from URL), then start the sidecar again.\n",
            S->zDb, zWhy, S->kafka.zTopic, S->zDb);
  }
  return SC_POSITION_LOST;
}

/* --snapshots: a database that never applied the log, and holds no policy
** and no facts, starts from the latest snapshot. No snapshot yet, or one
** that cannot be installed, is logged and the log is read from its start. */
static void bootstrap(Sidecar *S){
  char *zErr = 0;
  char aErr[1024];
  int rc;
  if( !apply_is_empty(S->pApply) ) return;
  rc = restore_latest(S, "empty_database", &zErr);
  /* if the log no longer holds what follows this snapshot, restoring the
  ** same one again will not help */
  if( rc==SNAP_OK ) S->bRestoreTried = 1;
  if( rc==SNAP_NONE ){
    log_event(LOG_WARN, "no_snapshot", "snapshots=%s action=read_the_log_from_its_start",
              log_q(aErr, sizeof(aErr), S->zSnapshots));
  }else if( rc!=SNAP_OK ){
    log_event(LOG_ERROR, "snapshot_restore_failed", "error=%s action=read_the_log_from_its_start",
              log_q(aErr, sizeof(aErr), zErr ? zErr : "?"));
  }
  sqlite3_free(zErr);
}

/* Decide where to start: check the stored position against the log,
** retrying with backoff while no broker answers. *piStart is the offset to
** assign. Returns 0 to go on, or an exit status. */
static int find_start(Sidecar *S, int64_t *piStart){
  ApplyPos p;
  char zWhy[512];
  int64_t lo = -1, hi = -1;
  int backoff = 100, nTry = 0;
  apply_position(S->pApply, &p);
  if( p.bHave && p.zTopic[0] && strcmp(p.zTopic, S->kafka.zTopic)!=0 ){
    fprintf(stderr, "polarlite sidecar: %s was fed from topic '%s', not '%s': use a "
            "database of this topic or an empty one\n", S->zDb, p.zTopic, S->kafka.zTopic);
    return SC_FAILED;
  }
  if( p.bHave && p.iPartition!=S->kafka.iPartition ){
    fprintf(stderr, "polarlite sidecar: %s was fed from partition %d, not %d\n",
            S->zDb, p.iPartition, S->kafka.iPartition);
    return SC_FAILED;
  }
  for(;;){
    rd_kafka_resp_err_t err = reader_watermarks(S->pReader, &lo, &hi, 1500);
    if( err==RD_KAFKA_RESP_ERR_NO_ERROR ) break;
    if( gStop ) return SC_STOPPED;
    if( err==RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && nTry>=3 ){
      log_event(LOG_WARN, "waiting_for_topic", "topic=%s partition=%d retry_ms=%d",
                S->kafka.zTopic, S->kafka.iPartition, backoff);
    }else{
      log_event(LOG_WARN, "broker_unreachable", "brokers=%s error=%s retry_ms=%d "
                "note=\"reads keep being served from the database\"",
                S->kafka.zBrokers, rd_kafka_err2name(err), backoff);
    }
    S->m.bBrokerUp = 0;
    S->m.iHeartbeatMs = log_now_ms();
    if( S->zMetrics ) metrics_update(&S->m);
    nap(backoff);
    nTry++;
    backoff = backoff*2 > 10000 ? 10000 : backoff*2;
  }
  if( gStop ) return SC_STOPPED;
  if( !p.bHave ){
    if( lo>0 ){
      snprintf(zWhy, sizeof(zWhy), "the database is empty but the log starts at offset "
               "%lld: messages 0..%lld are no longer in the log", (long long)lo,
               (long long)lo-1);
      return position_lost(S, zWhy);
    }
    *piStart = RD_KAFKA_OFFSET_BEGINNING;
    log_event(LOG_INFO, "start", "topic=%s partition=%d from=beginning log_start=%lld "
              "log_end=%lld", S->kafka.zTopic, S->kafka.iPartition, (long long)lo,
              (long long)hi);
    return 0;
  }
  if( p.iOffset+1<lo ){
    snprintf(zWhy, sizeof(zWhy), "the next message this database needs is offset %lld, "
             "but the log now starts at offset %lld (retention or deleted records): "
             "%lld messages are gone", (long long)p.iOffset+1, (long long)lo,
             (long long)(lo - p.iOffset - 1));
    return position_lost(S, zWhy);
  }
  if( p.iOffset+1>hi ){
    snprintf(zWhy, sizeof(zWhy), "the database has applied up to offset %lld but the log "
             "ends at offset %lld: this database was fed from another log (was the "
             "topic recreated?)", (long long)p.iOffset, (long long)hi);
    return position_lost(S, zWhy);
  }
  *piStart = p.iOffset+1;
  log_event(LOG_INFO, "start", "topic=%s partition=%d from=%lld log_start=%lld log_end=%lld",
            S->kafka.zTopic, S->kafka.iPartition, (long long)*piStart, (long long)lo,
            (long long)hi);
  return 0;
}

/*---------------------------------------------------------------- loop ---*/

/* Another process changed the position stored in the database (e.g.
** `polarlite restore` into the live file): read the log from there. */
static int position_moved(Sidecar *S){
  ApplyPos p;
  apply_position(S->pApply, &p);
  log_event(LOG_WARN, "position_moved", "offset=%lld reason=\"another process changed the "
            "position stored in the database (a snapshot restored into it?)\" "
            "action=read_the_log_from_there", p.bHave ? (long long)p.iOffset : -1LL);
  S->bRestoreTried = 0;
  return SC_RESEEK;
}

/* Apply one fetched message into the open group. Returns 0 to go on, or an
** exit status (the group must then be committed for SC_HALTED, rolled back
** for SC_FAILED). */
static int apply_one(Sidecar *S, const rd_kafka_message_t *km){
  ApplyMsg am;
  rd_kafka_timestamp_type_t tsType;
  char zReason[4096], q[4200];
  int nFacts = 0, r;
  memset(&am, 0, sizeof(am));
  am.zTopic = S->kafka.zTopic;
  am.iPartition = km->partition;
  am.iOffset = km->offset;
  am.pData = km->payload;
  am.nData = km->len;
  am.iTimestampMs = rd_kafka_message_timestamp(km, &tsType);
  r = apply_message(S->pApply, &am, !S->bHaltOnReject, &nFacts, zReason, sizeof(zReason));
  switch( r ){
    case APPLY_OK:
      log_event(LOG_DEBUG, "applied", "offset=%lld facts=%d", (long long)km->offset, nFacts);
      if( am.iTimestampMs>0 ){
        int64_t lag = log_now_ms() - am.iTimestampMs;
        S->m.iLagMs = lag>0 ? lag : 0;
      }
      return 0;
    case APPLY_SKIPPED:
      log_event(LOG_DEBUG, "skipped", "offset=%lld reason=already_applied",
                (long long)km->offset);
      return 0;
    case APPLY_REJECTED:
      log_event(S->bHaltOnReject ? LOG_ERROR : LOG_WARN,
                S->bHaltOnReject ? "halted_on_reject" : "rejected",
                "topic=%s partition=%d offset=%lld bytes=%zu reason=%s", S->kafka.zTopic,
                km->partition, (long long)km->offset, km->len, log_q(q, sizeof(q), zReason));
      if( S->bHaltOnReject ){
        fprintf(stderr, "polarlite sidecar: stopped at offset %lld (--halt-on-reject): %s\n",
                (long long)km->offset, zReason);
        return SC_HALTED;
      }
      return 0;
    default:
      log_event(LOG_ERROR, "apply_failed", "offset=%lld error=%s", (long long)km->offset,
                log_q(q, sizeof(q), zReason));
      fprintf(stderr, "polarlite sidecar: %s: cannot apply offset %lld: %s\n", S->zDb,
              (long long)km->offset, zReason);
      return SC_FAILED;
  }
}

/* An error event from the reader. Returns 0 to go on, or an exit status. */
static int on_reader_error(Sidecar *S, const rd_kafka_message_t *km){
  static int64_t iLastLogMs;
  char zWhy[512];
  if( reader_is_out_of_range(km) ){
    ApplyPos p;
    int64_t lo = -1, hi = -1;
    apply_position(S->pApply, &p);
    reader_watermarks(S->pReader, &lo, &hi, 3000);
    snprintf(zWhy, sizeof(zWhy), "the log no longer holds offset %lld, the next one this "
             "database needs (log now spans %lld..%lld): %s",
             (long long)(p.bHave ? p.iOffset+1 : 0), (long long)lo, (long long)hi - 1,
             rd_kafka_message_errstr(km));
    return position_lost(S, zWhy);
  }
  if( km->err==RD_KAFKA_RESP_ERR__PARTITION_EOF ) return 0;
  if( log_now_ms() - iLastLogMs > 5000 ){
    log_event(LOG_WARN, "fetch_error", "code=%s reason=\"%s\"", rd_kafka_err2name(km->err),
              rd_kafka_message_errstr(km));
    iLastLogMs = log_now_ms();
  }
  return 0;
}

/* Group commit: apply km and whatever else is already fetched in one
** transaction. Takes ownership of km. Returns 0 or an exit status. */
static int apply_group(Sidecar *S, rd_kafka_message_t *km){
  char zErr[512];
  int64_t t0 = log_now_ms();
  int n = 0, rc = 0;
  rd_kafka_message_t *pPendingErr = 0;
  rc = apply_begin(S->pApply, zErr, sizeof(zErr));
  if( rc==APPLY_MOVED ){
    rd_kafka_message_destroy(km);
    return position_moved(S);
  }
  if( rc ){
    rd_kafka_message_destroy(km);
    fprintf(stderr, "polarlite sidecar: %s: %s\n", S->zDb, zErr);
    log_event(LOG_ERROR, "begin_failed", "error=\"%s\"", zErr);
    return SC_FAILED;
  }
  while( km ){
    rc = apply_one(S, km);
    rd_kafka_message_destroy(km);
    km = 0;
    if( rc ) break;
    if( ++n>=S->nGroupMax || log_now_ms()-t0>=S->nGroupMs || gStop ) break;
    km = reader_poll(S->pReader, 0);
    if( km && km->err ){ pPendingErr = km; km = 0; }
  }
  if( rc==SC_FAILED ){
    apply_rollback(S->pApply);
  }else{
    int nGroup = apply_group_size(S->pApply);
    if( apply_commit(S->pApply, reader_cached_high(S->pReader), zErr, sizeof(zErr)) ){
      fprintf(stderr, "polarlite sidecar: %s: %s\n", S->zDb, zErr);
      log_event(LOG_ERROR, "commit_failed", "error=\"%s\"", zErr);
      rc = SC_FAILED;
    }else if( nGroup>0 ){
      S->m.nTransactions++;
      S->bRestoreTried = 0;
      log_event(LOG_DEBUG, "committed", "messages=%d ms=%lld", nGroup,
                (long long)(log_now_ms()-t0));
    }
  }
  if( pPendingErr ){
    if( rc==0 ) rc = on_reader_error(S, pPendingErr);
    rd_kafka_message_destroy(pPendingErr);
  }
  publish_metrics(S);
  return rc;
}

static int run_loop(Sidecar *S){
  int64_t iLastCheckMs = log_now_ms(), iLastMovedMs = iLastCheckMs;
  while( !gStop ){
    rd_kafka_message_t *km;
    int rc;
    if( gReopenLog ){
      gReopenLog = 0;
      if( log_reopen() ){
        log_event(LOG_ERROR, "log_reopen_failed", "file=%s error=\"%s\"",
                  S->zLogFile ? S->zLogFile : "-", strerror(errno));
      }else{
        log_event(LOG_INFO, "log_reopened", "file=%s", S->zLogFile ? S->zLogFile : "-");
      }
    }
    km = reader_poll(S->pReader, 100);
    if( km==0 ){
      /* idle: refresh the log end now and then, for lag and broker_up, and
      ** notice a position changed under us (a snapshot restored into the
      ** file) without waiting for the next message */
      if( log_now_ms() - iLastMovedMs >= 1000 ){
        char zErr[512];
        rc = apply_check_moved(S->pApply, zErr, sizeof(zErr));
        if( rc==APPLY_MOVED ) return position_moved(S);
        if( rc ){
          fprintf(stderr, "polarlite sidecar: %s: %s\n", S->zDb, zErr);
          return SC_FAILED;
        }
        iLastMovedMs = log_now_ms();
      }
      if( log_now_ms() - iLastCheckMs >= 5000 ){
        int64_t lo, hi;
        reader_watermarks(S->pReader, &lo, &hi, 1000);
        iLastCheckMs = log_now_ms();
      }
      publish_metrics(S);
      continue;
    }
    iLastCheckMs = log_now_ms();
    if( km->err ){
      rc = on_reader_error(S, km);
      rd_kafka_message_destroy(km);
    }else{
      rc = apply_group(S, km);
    }
    if( rc ) return rc;
  }
  return SC_STOPPED;
}

/*------------------------------------------------------------- command ---*/

/* -n: everything that can be checked without contacting the broker. */
static int check_config(Sidecar *S){
  char zErr[512];
  sqlite3 *db = 0;
  int rc;
  if( !S->bFallback ){
    rd_kafka_conf_t *conf = kafka_conf(&S->kafka, kafka_reader_conf, zErr, sizeof(zErr));
    if( conf==0 ){ fprintf(stderr, "polarlite sidecar: %s\n", zErr); return SC_USAGE; }
    rd_kafka_conf_destroy(conf);
  }
  if( S->zSnapshots ){
    Store *pStore = 0;
    char *zMsg = 0;
    if( store_open(S->zSnapshots, 0, &pStore, &zMsg) ){
      fprintf(stderr, "polarlite sidecar: --snapshots %s: %s\n", S->zSnapshots,
              zMsg ? zMsg : "cannot be opened");
      sqlite3_free(zMsg);
      return SC_USAGE;
    }
    store_close(pStore);
  }
  if( S->zMetrics && metrics_check_addr(S->zMetrics, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite sidecar: %s\n", zErr);
    return SC_USAGE;
  }
  if( access(S->zDb, F_OK)==0 ){
    rc = sqlite3_open_v2(S->zDb, &db, SQLITE_OPEN_READONLY, 0);
    if( rc==SQLITE_OK ) rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", 0, 0, 0);
    if( rc!=SQLITE_OK ){
      fprintf(stderr, "polarlite sidecar: %s: not a readable SQLite database: %s\n", S->zDb,
              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
      sqlite3_close(db);
      return SC_FAILED;
    }
    sqlite3_close(db);
  }
  if( S->bFallback ){
    printf("configuration ok: db=%s fallback from %s every %d ms\n", S->zDb, S->zSnapshots,
           S->nEveryMs);
  }else{
    printf("configuration ok: db=%s topic=%s partition=%d brokers=%s%s%s\n", S->zDb,
           S->kafka.zTopic, S->kafka.iPartition, S->bDev ? "(--dev)" : S->kafka.zBrokers,
           S->zSnapshots ? " snapshots=" : "", S->zSnapshots ? S->zSnapshots : "");
  }
  return SC_STOPPED;
}

/* Read the log from the position in the database, applying it, until
** stopped; again from the new position whenever it moves (SC_RESEEK). */
static int read_and_apply(Sidecar *S){
  char zErr[512];
  int rc;
  do{
    int64_t iStart = 0;
    rc = find_start(S, &iStart);
    if( rc || gStop ) continue;
    if( reader_start(S->pReader, iStart, zErr, sizeof(zErr)) ){
      fprintf(stderr, "polarlite sidecar: %s\n", zErr);
      return SC_FAILED;
    }
    rc = run_loop(S);
  }while( rc==SC_RESEEK && !gStop );
  return rc==SC_RESEEK ? SC_STOPPED : rc;
}

static int sidecar_main(Sidecar *S){
  char zErr[1024];
  rd_kafka_conf_t *conf;
  if( S->bDev ){
    S->kafka.zBrokers = devcluster_start(S->kafka.zTopic, zErr, sizeof(zErr));
    if( S->kafka.zBrokers==0 ){ fprintf(stderr, "polarlite sidecar: %s\n", zErr); return SC_FAILED; }
    log_event(LOG_INFO, "dev_cluster", "brokers=%s topic=%s try=\"polarlite publish "
              "--brokers %s --topic %s policy FILE\"", S->kafka.zBrokers, S->kafka.zTopic,
              S->kafka.zBrokers, S->kafka.zTopic);
  }
  conf = kafka_conf(&S->kafka, kafka_reader_conf, zErr, sizeof(zErr));
  if( conf==0 ){ fprintf(stderr, "polarlite sidecar: %s\n", zErr); return SC_USAGE; }
  if( apply_open(S->zDb, &S->pApply, zErr, sizeof(zErr)) ){
    rd_kafka_conf_destroy(conf);
    fprintf(stderr, "polarlite sidecar: %s\n", zErr);
    return SC_FAILED;
  }
  if( S->bDev ){
    char *zPolicyMsg = 0;
    int rc = apply_dev_start(S->pApply, &zPolicyMsg, zErr, sizeof(zErr));
    if( rc==APPLY_OK && zPolicyMsg ){
      /* the earlier run's log ended with its process; the new one starts
      ** with the database's policy, so that publish finds it there */
      log_event(LOG_INFO, "dev_restart", "db=%s note=\"the earlier --dev log ended with its "
                "process; the database keeps its policy and facts, and the new log starts "
                "with its policy\"", S->zDb);
      rc = devcluster_produce(S->kafka.zTopic, zPolicyMsg, strlen(zPolicyMsg), zErr,
                              sizeof(zErr));
    }
    sqlite3_free(zPolicyMsg);
    if( rc ){
      rd_kafka_conf_destroy(conf);
      fprintf(stderr, "polarlite sidecar: %s: %s\n", S->zDb, zErr);
      return SC_FAILED;
    }
    /* scripts wait for this line: the log is ready to take writes */
    printf("dev broker: %s topic: %s\n", S->kafka.zBrokers, S->kafka.zTopic);
    fflush(stdout);
  }
  if( checkpointer_start(S->zDb, 250, &S->pCkpt, zErr, sizeof(zErr)) ){
    rd_kafka_conf_destroy(conf);
    fprintf(stderr, "polarlite sidecar: %s\n", zErr);
    return SC_FAILED;
  }
  if( S->zMetrics && metrics_start(S->zMetrics, zErr, sizeof(zErr)) ){
    rd_kafka_conf_destroy(conf);
    fprintf(stderr, "polarlite sidecar: %s\n", zErr);
    return SC_FAILED;
  }
  S->m.iLagMs = -1;
  S->m.iHighWatermark = -1;
  S->m.nLagMessages = -1;
  S->m.iSnapshotAtMs = -1;
  if( S->zSnapshots ) bootstrap(S);
  if( S->nSnapshotEveryMs ){
    char *zMsg = 0;
    if( snapshot_publisher_start(S->zDb, S->zSnapshots, S->kafka.zTopic, S->nSnapshotEveryMs,
                                 S->nSnapshotKeep, &S->pPub, &zMsg) ){
      rd_kafka_conf_destroy(conf);
      fprintf(stderr, "polarlite sidecar: --snapshot-every: %s\n", zMsg ? zMsg : "failed");
      sqlite3_free(zMsg);
      return SC_FAILED;
    }
  }
  {
    ApplyTotals t;
    apply_totals(S->pApply, &t);
    S->nProgressMsgs = t.nMessages;
    S->iProgressAtMs = log_now_ms();
  }
  if( reader_open(&S->kafka, conf, &S->pReader, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite sidecar: %s\n", zErr);
    return SC_FAILED;
  }
  log_event(LOG_INFO, "started", "db=%s brokers=%s topic=%s partition=%d pid=%d",
            S->zDb, S->kafka.zBrokers, S->kafka.zTopic, S->kafka.iPartition, (int)getpid());
  publish_metrics(S);
  return read_and_apply(S);
}

int cmd_sidecar(int argc, char **argv){
  Sidecar S;
  ApplyPos p;
  int rc;
  memset(&S, 0, sizeof(S));
  if( parse_options(&S, argc, argv) ) return SC_USAGE;
  if( S.bCheckOnly ) return check_config(&S);
  if( S.zLogFile && log_open(S.zLogFile) ){
    fprintf(stderr, "polarlite sidecar: --log-file %s: %s\n", S.zLogFile, strerror(errno));
    return SC_FAILED;
  }
  if( signals_install() ){
    fprintf(stderr, "polarlite sidecar: cannot install signal handlers: %s\n", strerror(errno));
    log_close();
    return SC_FAILED;
  }
  if( S.bFallback ){
    FallbackOpts fo;
    memset(&fo, 0, sizeof(fo));
    fo.zDb = S.zDb;
    fo.zSnapshots = S.zSnapshots;
    fo.zTopic = S.kafka.zTopic;
    fo.nEveryMs = S.nEveryMs;
    fo.zMetrics = S.zMetrics;
    rc = fallback_run(&fo, &gStop);
    log_close();
    return rc;
  }
  rc = sidecar_main(&S);
  if( S.pApply ){
    apply_position(S.pApply, &p);
    log_event(rc==SC_STOPPED ? LOG_INFO : LOG_ERROR, "stopped", "status=%d applied_offset=%lld",
              rc, p.bHave ? (long long)p.iOffset : -1LL);
  }
  reader_close(S.pReader);
  snapshot_publisher_stop(S.pPub);
  metrics_stop();
  checkpointer_stop(S.pCkpt);
  apply_close(S.pApply);
  devcluster_stop();
  log_close();
  return rc;
}
