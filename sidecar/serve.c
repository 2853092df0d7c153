/*
** serve.c — `polarlite serve`: Oso Cloud's HTTP API over a polarlite
** database, for the official SDKs (see serve.h for the files).
**
**   polarlite serve --db authz.db --listen 127.0.0.1:8080
**   polarlite serve --db authz.db --listen 0.0.0.0:8080 --api-keys keys.txt \
**                   --brokers kafka1:9092 --topic authz          (an edge node)
**   polarlite serve --db fallback.db --listen 0.0.0.0:8081 --api-keys keys.txt \
**                   --fallback                                   (a fallback node)
**
** Three kinds of node. Without --brokers, writes are applied to the file
** (one machine, development, tests). With --brokers and --topic, an edge
** node: `polarlite sidecar` applies the log to the same file, and writes
** are published to that log. With --fallback, reads only, from a file that
** `polarlite sidecar --fallback` refreshes from snapshots; consistency
** tokens are ignored.
**
** Lifecycle: the database file is created if missing and put in WAL mode;
** the keys are read; the threads start (libmicrohttpd's workers, the
** waiter, the watchdog, the reaper, the producer's); "listening on port N"
** goes to stdout. SIGTERM or SIGINT drains: no new connections, requests in
** flight finish (up to --drain), then everything stops and the exit status
** is 0. SIGHUP reopens --log-file. Exit status 1: could not start; 2: usage.
*/
#include "cmd.h"
#include "engine.h"
#include "log.h"
#include "options.h"
#include "producer.h"
#include "serve.h"
#include "signals.h"
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f){
  fprintf(f,
    "usage: polarlite serve --db FILE --listen HOST:PORT [options]\n"
    "\n"
    "Answer Oso Cloud's HTTP API (the official oso-cloud SDKs) from a polarlite database.\n"
    "\n"
    "  --db FILE              the database (created if missing; WAL mode)\n"
    "  --listen HOST:PORT     where to listen (port 0: any free port; the port is\n"
    "                         printed as \"listening on port N\")\n"
    "  --api-keys FILE        API keys, one per line, each optionally followed by\n"
    "                         read-only; without it, only loopback clients, no keys\n"
    "  --brokers HOSTS        an edge node: publish writes to the log that\n"
    "  --topic TOPIC            `polarlite sidecar` applies to FILE\n"
    "  --partition N          the log's partition (default 0)\n"
    "  -X KEY=VALUE           librdkafka setting for the producer; repeatable\n"
    "  --publish-timeout DUR  a write the brokers have not acknowledged by then fails\n"
    "                         with 503 (default 10s; the worker is not held meanwhile)\n"
    "  --fallback             a fallback node: reads only, from a file kept fresh by\n"
    "                         `polarlite sidecar --fallback`; OsoOffset is ignored\n"
    "  --threads N            worker threads (default: the number of CPUs)\n"
    "  --max-connections N    client connections at once (default 16384)\n"
    "  --request-timeout DUR  a whole request must arrive within DUR of its connection\n"
    "                         being ready; also how long an idle connection stays (30s)\n"
    "  --wait-timeout DUR     how long a read waits for its OsoOffset before a 503\n"
    "                         sends the SDK to its fallback node (default 2s)\n"
    "  --deadline DUR         most time one request may take (default 10s)\n"
    "  --max-steps N          polar_limit('steps') of every check (default 100000000)\n"
    "  --ready-lag N          /readyz fails past N messages behind the log (default 1000)\n"
    "  --drain DUR            on SIGTERM, wait up to DUR for requests in flight (10s)\n"
    "  --log-file FILE        log here instead of stderr (SIGHUP reopens it)\n"
    "  --verbose              log every request\n"
    "DUR is a number with a unit: ms, s, m or h (a bare number is seconds).\n"
    "\n"
    "Endpoints, status codes, headers and metrics: docs/serve.md.\n");
}

static int parse_options(ServeOpts *o, int argc, char **argv){
  enum { O_DB = 1000, O_LISTEN, O_KEYS, O_BROKERS, O_TOPIC, O_PARTITION, O_FALLBACK,
         O_THREADS, O_MAXCONN, O_REQTIMEOUT, O_WAIT, O_DEADLINE, O_STEPS, O_READYLAG,
         O_DRAIN, O_LOGFILE, O_VERBOSE, O_PUBLISH, O_HELP };
  static const struct option aOpt[] = {
    { "db", required_argument, 0, O_DB },
    { "listen", required_argument, 0, O_LISTEN },
    { "api-keys", required_argument, 0, O_KEYS },
    { "brokers", required_argument, 0, O_BROKERS },
    { "topic", required_argument, 0, O_TOPIC },
    { "partition", required_argument, 0, O_PARTITION },
    { "fallback", no_argument, 0, O_FALLBACK },
    { "threads", required_argument, 0, O_THREADS },
    { "max-connections", required_argument, 0, O_MAXCONN },
    { "request-timeout", required_argument, 0, O_REQTIMEOUT },
    { "wait-timeout", required_argument, 0, O_WAIT },
    { "deadline", required_argument, 0, O_DEADLINE },
    { "max-steps", required_argument, 0, O_STEPS },
    { "ready-lag", required_argument, 0, O_READYLAG },
    { "drain", required_argument, 0, O_DRAIN },
    { "publish-timeout", required_argument, 0, O_PUBLISH },
    { "log-file", required_argument, 0, O_LOGFILE },
    { "verbose", no_argument, 0, O_VERBOSE },
    { "help", no_argument, 0, O_HELP },
    { 0, 0, 0, 0 }
  };
  const char *zWhy = 0;
  char zErr[512];
  long long v;
  int c;
  long nCpu = sysconf(_SC_NPROCESSORS_ONLN);
  memset(o, 0, sizeof(*o));
  o->nThreads = nCpu>0 && nCpu<=64 ? (int)nCpu : 2;
  o->nMaxConnections = 16384;
  o->nRequestTimeoutMs = 30000;
  o->nWaitMs = 2000;
  o->nDeadlineMs = 10000;
  o->nSteps = 100000000;
  o->nReadyLag = 1000;
  o->nDrainMs = 10000;
  o->nPublishMs = 10000;
  optind = 1;
  while( (c = getopt_long(argc, argv, "X:h", aOpt, 0))!=-1 ){
    switch( c ){
      case O_DB: o->zDb = optarg; break;
      case O_LISTEN: o->zListen = optarg; break;
      case O_KEYS: o->zApiKeys = optarg; break;
      case O_BROKERS: o->kafka.zBrokers = optarg; break;
      case O_TOPIC: o->kafka.zTopic = optarg; break;
      case O_PARTITION:
        if( opt_int("serve", "--partition", optarg, 0, 1<<30, &v) ) return -1;
        o->kafka.iPartition = (int)v;
        break;
      case O_FALLBACK: o->bFallback = 1; break;
      case O_THREADS:
        if( opt_int("serve", "--threads", optarg, 1, 256, &v) ) return -1;
        o->nThreads = (int)v;
        break;
      case O_MAXCONN:
        if( opt_int("serve", "--max-connections", optarg, 1, 1000000, &v) ) return -1;
        o->nMaxConnections = (int)v;
        break;
      case O_REQTIMEOUT:
        if( opt_duration("serve", "--request-timeout", optarg, 100, 3600000, &o->nRequestTimeoutMs) ){
          return -1;
        }
        break;
      case O_WAIT:
        if( opt_duration("serve", "--wait-timeout", optarg, 1, 600000, &o->nWaitMs) ) return -1;
        break;
      case O_DEADLINE:
        if( opt_duration("serve", "--deadline", optarg, 10, 3600000, &o->nDeadlineMs) ) return -1;
        break;
      case O_STEPS:
        if( opt_int("serve", "--max-steps", optarg, 1000, 1000000000000LL, &v) ) return -1;
        o->nSteps = v;
        break;
      case O_READYLAG:
        if( opt_int("serve", "--ready-lag", optarg, 0, 1000000000, &v) ) return -1;
        o->nReadyLag = (int)v;
        break;
      case O_DRAIN:
        if( opt_duration("serve", "--drain", optarg, 0, 3600000, &o->nDrainMs) ) return -1;
        break;
      case O_PUBLISH:
        if( opt_duration("serve", "--publish-timeout", optarg, 100, 600000, &o->nPublishMs) ){
          return -1;
        }
        break;
      case O_LOGFILE: o->zLogFile = optarg; break;
      case O_VERBOSE: log_set_level(LOG_DEBUG); break;
      case 'X':
        if( kafka_add_x(&o->kafka, optarg, zErr, sizeof(zErr)) ){
          fprintf(stderr, "polarlite serve: %s\n", zErr);
          return -1;
        }
        break;
      case 'h': case O_HELP: usage(stdout); exit(0);
      default: usage(stderr); return -1;
    }
  }
  if( optind<argc ){
    fprintf(stderr, "polarlite serve: unexpected argument '%s'\n", argv[optind]);
    return -1;
  }
  if( o->zDb==0 || o->zListen==0 ) zWhy = "--db and --listen are required";
  else if( (o->kafka.zBrokers==0)!=(o->kafka.zTopic==0) ){
    zWhy = "an edge node needs both --brokers and --topic";
  }else if( o->bFallback && o->kafka.zBrokers ){
    zWhy = "a fallback node publishes nothing: drop --brokers/--topic";
  }
  if( zWhy==0 && o->kafka.nX && o->kafka.zBrokers==0 ){
    zWhy = "-X settings are for the producer of an edge node (--brokers)";
  }
  if( zWhy ){
    fprintf(stderr, "polarlite serve: %s\n", zWhy);
    usage(stderr);
    return -1;
  }
  return 0;
}

/* Allow as many open files as the hard limit lets us, and keep the
** connection limit under it (the database, the WAL, the log need some). */
static void raise_fd_limit(ServeOpts *o){
  struct rlimit r;
  if( getrlimit(RLIMIT_NOFILE, &r)==0 ){
    if( r.rlim_cur<r.rlim_max ){
      r.rlim_cur = r.rlim_max;
      setrlimit(RLIMIT_NOFILE, &r);
      getrlimit(RLIMIT_NOFILE, &r);
    }
    if( r.rlim_cur!=RLIM_INFINITY && (rlim_t)o->nMaxConnections + 64 > r.rlim_cur ){
      int n = r.rlim_cur>128 ? (int)(r.rlim_cur - 64) : 64;
      log_event(LOG_WARN, "max_connections_lowered", "from=%d to=%d reason=\"open files "
                "limit %llu\"", o->nMaxConnections, n, (unsigned long long)r.rlim_cur);
      o->nMaxConnections = n;
    }
  }
}

static void nap_ms(int ms){
  struct timespec ts = { ms/1000, (long)(ms%1000)*1000000L };
  nanosleep(&ts, 0);
}

/* SIGTERM: stop accepting, let what is in flight finish, then stop. */
static void drain(Server *S){
  int64_t tEnd = serve_now_ms() + S->o.nDrainMs;
  int nLeft;
  atomic_store(&S->bDraining, 1);
  http_quiesce(S);
  log_event(LOG_INFO, "draining", "in_flight=%d waiting=%d drain_ms=%d",
            atomic_load(&S->nInFlight), waiter_count(S->pWaiter), S->o.nDrainMs);
  while( atomic_load(&S->nInFlight)>0 && serve_now_ms()<tEnd ) nap_ms(10);
  if( waiter_count(S->pWaiter)>0 ){
    /* reads still waiting for their token answer now (503: the SDK goes
    ** to its fallback node) */
    waiter_wake_all(S->pWaiter);
    tEnd = serve_now_ms() + 1000;
    while( atomic_load(&S->nInFlight)>0 && serve_now_ms()<tEnd ) nap_ms(10);
  }
  if( S->pProducer ){
    /* edge node: writes still on their way to the log get their answer
    ** (the producer reports each within its delivery timeout) */
    ProducerStats st;
    atomic_store(&S->bNoPublish, 1);
    producer_flush(S->pProducer, S->o.nPublishMs + 5000, &st);
    tEnd = serve_now_ms() + 1000;
    while( atomic_load(&S->nInFlight)>0 && serve_now_ms()<tEnd ) nap_ms(10);
  }
  nLeft = atomic_load(&S->nInFlight);
  if( nLeft ) log_event(LOG_WARN, "drain_incomplete", "in_flight=%d", nLeft);
}

int cmd_serve(int argc, char **argv){
  Server S;
  char zErr[1024], zQ[600];
  int rc = 1, bHttp = 0, bWatchdog = 0;
  memset(&S, 0, sizeof(S));
  pthread_mutex_init(&S.mu, 0);
  /* before SQLite starts: no global mutex around every allocation to keep
  ** memory statistics nobody here reads (the worker threads contend on it) */
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  if( parse_options(&S.o, argc, argv) ) return 2;
  if( S.o.zLogFile && log_open(S.o.zLogFile) ){
    fprintf(stderr, "polarlite serve: --log-file %s: %s\n", S.o.zLogFile, strerror(errno));
    return 1;
  }
  if( signals_install() ){
    fprintf(stderr, "polarlite serve: cannot install signal handlers: %s\n", strerror(errno));
    goto serve_done;
  }
  S.eNode = S.o.bFallback ? NODE_FALLBACK : S.o.kafka.zBrokers ? NODE_EDGE : NODE_LOCAL;
  S.iStartMs = serve_now_ms();
  atomic_store(&S.iIssuedOffset, -1);
  raise_fd_limit(&S.o);
  if( S.o.zApiKeys && keys_load(S.o.zApiKeys, &S.pKeys, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite serve: --api-keys %s\n", zErr);
    goto serve_done;
  }
  if( engine_wal_file(S.o.zDb, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite serve: %s\n", zErr);
    goto serve_done;
  }
  {
    /* the file must be a database the engine can open, now rather than
    ** at the first request */
    sqlite3 *db;
    PlConn *c;
    if( engine_open(S.o.zDb, SQLITE_OPEN_READWRITE, &db, &c, zErr, sizeof(zErr)) ){
      fprintf(stderr, "polarlite serve: %s\n", zErr);
      goto serve_done;
    }
    sqlite3_close(db);
  }
  if( S.eNode==NODE_EDGE
   && producer_open(&S.o.kafka, S.o.nPublishMs, 0, &S.pProducer, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite serve: cannot create the Kafka producer: %s\n", zErr);
    goto serve_done;
  }
  if( waiter_start(S.o.zDb, &S.pWaiter, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite serve: %s\n", zErr);
    goto serve_done;
  }
  if( watchdog_start(&S, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite serve: %s\n", zErr);
    goto serve_done;
  }
  bWatchdog = 1;
  if( http_start(&S, zErr, sizeof(zErr)) ){
    fprintf(stderr, "polarlite serve: %s\n", zErr);
    goto serve_done;
  }
  bHttp = 1;
  log_event(LOG_INFO, "started", "db=%s mode=%s keys=%d%s%s pid=%d",
            log_q(zQ, sizeof(zQ), S.o.zDb),
            S.eNode==NODE_EDGE ? "edge" : S.eNode==NODE_FALLBACK ? "fallback" : "local",
            keys_count(S.pKeys), S.eNode==NODE_EDGE ? " topic=" : "",
            S.eNode==NODE_EDGE ? S.o.kafka.zTopic : "", (int)getpid());
  while( !gStop ){
    nap_ms(100);
    if( gReopenLog ){
      gReopenLog = 0;
      if( log_reopen() ){
        log_event(LOG_ERROR, "log_reopen_failed", "error=\"%s\"", strerror(errno));
      }
    }
  }
  drain(&S);
  rc = 0;

serve_done:
  atomic_store(&S.bStop, 1);
  if( bHttp ) http_stop(&S);
  if( bWatchdog ) watchdog_stop(&S);
  waiter_stop(S.pWaiter);
  producer_close(S.pProducer);
  workers_close(&S);
  keys_free(S.pKeys);
  if( rc==0 ) log_event(LOG_INFO, "stopped", "status=0");
  log_close();
  return rc;
}
