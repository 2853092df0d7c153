/*
** measure.c — sidecar performance, measured from outside the sidecar (not a
** test: tests/sidecar/measure.sh runs it and prints the numbers).
**
**   measure backlog BROKERS TOPIC NFACTS PER_MSG
**       publish NFACTS facts in messages of PER_MSG facts (lz4-compressed,
**       so that the mock broker's ~5 MB log holds them) and exit
**   measure apply DB NFACTS LAST_OFFSET
**       with a reader running authorize in a loop on its own connection,
**       wait until the sidecar (started just before) has applied
**       LAST_OFFSET; print facts/s from our start (sidecar start-up and
**       connection included) and the reader's check count
**   measure lag BROKERS TOPIC DB FACTS_PER_SEC PER_MSG SECONDS
**       publish at a steady rate while watching the database: the lag of a
**       message is the time from the producer handing it over to the moment
**       a reader first sees it applied (polar_meta.log_offset); prints
**       p50/p99/max
**   measure engine DB NFACTS PER_MSG GROUP
**       no Kafka, no sidecar: the engine's write path alone. Apply NFACTS
**       facts with `SELECT polar_batch(?)` (PER_MSG facts per call, GROUP
**       calls per BEGIN IMMEDIATE ... COMMIT, as the sidecar applies batch
**       messages) to DB in WAL mode with the sidecar's settings (SQLite's
**       default autocheckpoint); print facts/s of the apply loop and the
**       CPU time it took (the JSON is built beforehand)
** READER_RATE=N paces the reader to about N checks/s (default: flat out).
**
** Facts are has_role(User:m<i>, "member", Org:o<i%1000>), with i unique per
** run (a per-run prefix), so every fact is an insert.
*/
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int sqlite3_polarlite_init(sqlite3*, char**, const void*);

static int64_t now_us(void){
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec*1000000 + ts.tv_nsec/1000;
}

static void die(const char *z){ fprintf(stderr, "measure: %s\n", z); exit(1); }

/*--------------------------------------------------------------- producer --*/

typedef struct Sent { int64_t *aSentUs; int64_t nOffsets; int64_t iLast; long nErr; } Sent;

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *pArg){
  Sent *s = pArg;
  (void)rk;
  if( m->err ){ s->nErr++; return; }
  if( m->offset>s->iLast ) s->iLast = m->offset;
  if( s->aSentUs && m->offset<s->nOffsets ){
    s->aSentUs[m->offset] = (int64_t)(intptr_t)m->_private;
  }
}

static rd_kafka_t *producer(const char *zBrokers, Sent *s){
  char zErr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_t *rk;
  if( rd_kafka_conf_set(conf, "bootstrap.servers", zBrokers, zErr, sizeof(zErr))
   || rd_kafka_conf_set(conf, "enable.idempotence", "true", zErr, sizeof(zErr))
   || rd_kafka_conf_set(conf, "compression.type", "lz4", zErr, sizeof(zErr))
   || rd_kafka_conf_set(conf, "linger.ms", "0", zErr, sizeof(zErr)) ) die(zErr);
  rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
  rd_kafka_conf_set_opaque(conf, s);
  rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, zErr, sizeof(zErr));
  if( rk==0 ) die(zErr);
  return rk;
}

/* A batch of n facts starting at fact number i into z. */
static size_t batch(char *z, size_t nz, long iRun, long i, int n){
  size_t k = 0;
  int j;
  k += (size_t)snprintf(z+k, nz-k, "[{\"inserts\":[");
  for(j=0; j<n && k<nz; j++){
    k += (size_t)snprintf(z+k, nz-k, "%s{\"predicate\":\"has_role\",\"args\":[{\"type\":"
        "\"User\",\"id\":\"m%ld_%ld\"},{\"type\":\"String\",\"id\":\"member\"},{\"type\":"
        "\"Org\",\"id\":\"o%ld\"}]}", j ? "," : "", iRun, i+j, (i+j)%1000);
  }
  k += (size_t)snprintf(z+k, nz-k, "]}]");
  return k;
}

static void send1(rd_kafka_t *rk, const char *zTopic, const char *z, size_t n, int64_t tag){
  for(;;){
    rd_kafka_resp_err_t err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(zTopic),
        RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE((void*)z, n),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE((void*)(intptr_t)tag),
        RD_KAFKA_V_END);
    if( err==RD_KAFKA_RESP_ERR_NO_ERROR ) return;
    if( err!=RD_KAFKA_RESP_ERR__QUEUE_FULL ) die(rd_kafka_err2str(err));
    rd_kafka_poll(rk, 10);
  }
}

/*----------------------------------------------------------------- reader --*/

static volatile int gStop;
static const char *gDb;
static long gChecks, gErrors;
static long gReaderRate;          /* checks/s; 0: as fast as it can */
static char gFirstErr[256];

static sqlite3 *open_db(const char *zPath){
  sqlite3 *db;
  char *zErr = 0;
  if( sqlite3_open_v2(zPath, &db, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE, 0) ) die("open");
  sqlite3_busy_timeout(db, 10000);
  if( sqlite3_polarlite_init(db, &zErr, 0) ) die(zErr ? zErr : "init");
  return db;
}

static void *reader_main(void *p){
  sqlite3 *db = open_db(gDb);
  sqlite3_stmt *pStmt = 0;
  (void)p;
  /* wait for the policy with a plain read on this connection (the check
  ** statements then see it) */
  while( !gStop ){
    int v = 0;
    if( sqlite3_prepare_v2(db, "SELECT value FROM polar_meta WHERE key='policy_version'",
                           -1, &pStmt, 0)==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
      v = sqlite3_column_int(pStmt, 0);
    }
    sqlite3_finalize(pStmt);
    pStmt = 0;
    if( v>0 ) break;
    usleep(1000);
  }
  while( !gStop ){
    if( pStmt==0 && sqlite3_prepare_v2(db, "SELECT authorize('User:m0_1', 'read', 'Org:o1')",
                                       -1, &pStmt, 0) ){
      sqlite3_finalize(pStmt); pStmt = 0; usleep(10000); continue;
    }
    if( sqlite3_step(pStmt)==SQLITE_ROW ){
      gChecks++;
      if( gReaderRate>0 ) usleep((useconds_t)(1000000/gReaderRate));
    }else{
      if( gErrors++==0 ) snprintf(gFirstErr, sizeof(gFirstErr), "%s", sqlite3_errmsg(db));
      usleep(1000);                 /* e.g. no policy yet: do not spin */
    }
    sqlite3_reset(pStmt);
  }
  sqlite3_finalize(pStmt);
  sqlite3_close(db);
  return 0;
}

static int64_t applied_offset(sqlite3_stmt *p){
  int64_t v = -1;
  if( sqlite3_step(p)==SQLITE_ROW && sqlite3_column_type(p, 0)!=SQLITE_NULL ){
    v = sqlite3_column_int64(p, 0);
  }
  sqlite3_reset(p);
  return v;
}

static sqlite3_stmt *offset_stmt(sqlite3 *db){
  sqlite3_stmt *p = 0;
  while( sqlite3_prepare_v2(db, "SELECT value FROM polar_meta WHERE key='log_offset'", -1,
                            &p, 0) ){
    usleep(10000);
  }
  return p;
}

/*------------------------------------------------------------------ modes --*/

static int cmp64(const void *a, const void *b){
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return x<y ? -1 : x>y;
}

static int do_backlog(char **argv){
  Sent s = { 0, 0, -1, 0 };
  rd_kafka_t *rk = producer(argv[0], &s);
  long nFacts = atol(argv[2]), i, iRun = (long)time(0);
  int per = atoi(argv[3]);
  size_t nz = (size_t)per*200 + 64;
  char *z = malloc(nz);
  for(i=0; i<nFacts; i+=per){
    int n = nFacts-i < per ? (int)(nFacts-i) : per;
    send1(rk, argv[1], z, batch(z, nz, iRun, i, n), 0);
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 60000);
  if( s.nErr ) die("delivery failed");
  printf("%lld\n", (long long)s.iLast);
  rd_kafka_destroy(rk);
  free(z);
  return 0;
}

static int do_apply(char **argv){
  pthread_t th;
  sqlite3 *db;
  sqlite3_stmt *p;
  long nFacts = atol(argv[1]);
  int64_t iLast = atoll(argv[2]), iFirst = -1, off, t0 = 0, t1;
  gDb = argv[0];
  t0 = now_us();           /* the sidecar was started just before us */
  db = open_db(gDb);
  p = offset_stmt(db);
  pthread_create(&th, 0, reader_main, 0);
  for(;;){
    off = applied_offset(p);
    if( iFirst<0 && off>=0 ) iFirst = off;
    if( off>=iLast ) break;
    usleep(1000);
  }
  t1 = now_us();
  gStop = 1;
  pthread_join(th, 0);
  printf("apply: %ld facts in %.2f s = %.0f facts/s (offsets %lld..%lld), reader: %ld checks "
         "(%.0f/s), %ld errors %s\n", nFacts, (double)(t1-t0)/1e6,
         (double)nFacts*1e6/(double)(t1-t0), (long long)iFirst, (long long)iLast, gChecks,
         (double)gChecks*1e6/(double)(t1-t0), gErrors, gFirstErr);
  sqlite3_finalize(p);
  sqlite3_close(db);
  return 0;
}

static int do_lag(char **argv){
  Sent s = { 0, 0, -1, 0 };
  rd_kafka_t *rk;
  pthread_t th;
  sqlite3 *db;
  sqlite3_stmt *p;
  long rate = atol(argv[3]), iRun = (long)time(0), iFact = 0;
  int per = atoi(argv[4]), secs = atoi(argv[5]);
  long msgsPerSec = rate/per, nMsgs = msgsPerSec*secs, iMsg, nLag = 0;
  int64_t *aSeen, *aLag, t0, base = -1, seenUpTo, off;
  size_t nz = (size_t)per*200 + 64;
  char *z = malloc(nz);
  gDb = argv[2];
  db = open_db(gDb);
  p = offset_stmt(db);
  base = applied_offset(p);             /* offsets before this run */
  s.nOffsets = base + 1 + nMsgs + 16;
  s.aSentUs = calloc((size_t)s.nOffsets, sizeof(int64_t));
  aSeen = calloc((size_t)s.nOffsets, sizeof(int64_t));
  aLag = calloc((size_t)nMsgs, sizeof(int64_t));
  rk = producer(argv[0], &s);
  pthread_create(&th, 0, reader_main, 0);
  seenUpTo = base;
  t0 = now_us();
  for(iMsg=0; iMsg<nMsgs || seenUpTo<s.iLast || rd_kafka_outq_len(rk)>0; ){
    int64_t due = t0 + iMsg*1000000/msgsPerSec, t = now_us();
    if( iMsg<nMsgs && t>=due ){
      send1(rk, argv[1], z, batch(z, nz, iRun, iFact, per), t);
      iFact += per;
      iMsg++;
      continue;
    }
    rd_kafka_poll(rk, 0);
    off = applied_offset(p);
    t = now_us();
    while( seenUpTo<off && seenUpTo+1<s.nOffsets ) aSeen[++seenUpTo] = t;
    if( iMsg>=nMsgs && t - t0 > (int64_t)(secs+30)*1000000 ) break;   /* give up */
    usleep(200);
  }
  gStop = 1;
  pthread_join(th, 0);
  for(off=base+1; off<=seenUpTo && off<s.nOffsets; off++){
    if( s.aSentUs[off] && aSeen[off] ) aLag[nLag++] = aSeen[off] - s.aSentUs[off];
  }
  qsort(aLag, (size_t)nLag, sizeof(int64_t), cmp64);
  if( nLag==0 ) die("no message was seen applied");
  printf("lag at %ld facts/s (%ld msgs/s x %d facts) for %d s: %ld messages, publish->visible "
         "p50 %.1f ms, p99 %.1f ms, max %.1f ms; reader: %ld checks, %ld errors %s\n",
         rate, msgsPerSec, per, secs, nLag, (double)aLag[nLag/2]/1000.0,
         (double)aLag[(nLag*99)/100]/1000.0, (double)aLag[nLag-1]/1000.0, gChecks, gErrors,
         gFirstErr);
  rd_kafka_destroy(rk);
  sqlite3_finalize(p);
  sqlite3_close(db);
  return 0;
}

static void exec_or_die(sqlite3 *db, const char *zSql){
  char *zErr = 0;
  if( sqlite3_exec(db, zSql, 0, 0, &zErr) ){
    fprintf(stderr, "measure: %s: %s\n", zSql, zErr ? zErr : "?");
    exit(1);
  }
}

static int do_engine(char **argv){
  sqlite3 *db;
  sqlite3_stmt *pBatch, *pLoad;
  long nFacts = atol(argv[1]), i, nMsgs, iMsg;
  int per = atoi(argv[2]), group = atoi(argv[3]);
  size_t nz = (size_t)per*200 + 64;
  char **az, *zPolicy = 0;
  size_t *an;
  int64_t t0, t1;
  clock_t c0, c1;
  FILE *f;
  if( per<1 || group<1 || nFacts<1 ) die("NFACTS, PER_MSG and GROUP must be positive");
  nMsgs = (nFacts + per - 1)/per;
  az = calloc((size_t)nMsgs, sizeof(char*));
  an = calloc((size_t)nMsgs, sizeof(size_t));
  for(i=0, iMsg=0; i<nFacts; i+=per, iMsg++){
    int n = nFacts-i < per ? (int)(nFacts-i) : per;
    az[iMsg] = malloc(nz);
    an[iMsg] = batch(az[iMsg], nz, 0, i, n);
  }
  f = fopen("tests/sidecar/policy.polar", "rb");
  if( f==0 ) die("cannot read tests/sidecar/policy.polar (run from the repo root)");
  zPolicy = calloc(1, 65536);
  if( fread(zPolicy, 1, 65535, f)==0 ) die("empty policy");
  fclose(f);
  db = open_db(argv[0]);
  /* the settings of the sidecar's apply connection (sidecar/apply.c) */
  exec_or_die(db, "PRAGMA journal_mode=WAL");
  exec_or_die(db, "PRAGMA synchronous=NORMAL");
  exec_or_die(db, "PRAGMA cache_size=-131072");
  if( sqlite3_prepare_v2(db, "SELECT polar_load(?1, 'policy.polar')", -1, &pLoad, 0) ) die("prepare");
  sqlite3_bind_text(pLoad, 1, zPolicy, -1, SQLITE_STATIC);
  if( sqlite3_step(pLoad)!=SQLITE_ROW ) die(sqlite3_errmsg(db));
  sqlite3_finalize(pLoad);
  if( sqlite3_prepare_v2(db, "SELECT polar_batch(?1)", -1, &pBatch, 0) ) die("prepare");
  t0 = now_us();
  c0 = clock();
  for(iMsg=0; iMsg<nMsgs; iMsg++){
    if( iMsg%group==0 ) exec_or_die(db, "BEGIN IMMEDIATE");
    sqlite3_bind_text(pBatch, 1, az[iMsg], (int)an[iMsg], SQLITE_STATIC);
    if( sqlite3_step(pBatch)!=SQLITE_ROW ) die(sqlite3_errmsg(db));
    sqlite3_reset(pBatch);
    if( iMsg%group==group-1 || iMsg==nMsgs-1 ) exec_or_die(db, "COMMIT");
  }
  t1 = now_us();
  c1 = clock();
  printf("engine: %ld facts (%d per polar_batch, %d calls per transaction) in %.2f s = "
         "%.0f facts/s; CPU %.2f s = %.0f facts per CPU second\n", nFacts, per, group,
         (double)(t1-t0)/1e6, (double)nFacts*1e6/(double)(t1-t0),
         (double)(c1-c0)/CLOCKS_PER_SEC, (double)nFacts*CLOCKS_PER_SEC/(double)(c1-c0));
  sqlite3_finalize(pBatch);
  sqlite3_close(db);
  for(iMsg=0; iMsg<nMsgs; iMsg++) free(az[iMsg]);
  free(az);
  free(an);
  free(zPolicy);
  return 0;
}

int main(int argc, char **argv){
  if( getenv("READER_RATE") ) gReaderRate = atol(getenv("READER_RATE"));
  if( argc==6 && strcmp(argv[1], "backlog")==0 ) return do_backlog(argv+2);
  if( argc==5 && strcmp(argv[1], "apply")==0 ) return do_apply(argv+2);
  if( argc==8 && strcmp(argv[1], "lag")==0 ) return do_lag(argv+2);
  if( argc==6 && strcmp(argv[1], "engine")==0 ) return do_engine(argv+2);
  fprintf(stderr, "usage: measure backlog BROKERS TOPIC NFACTS PER_MSG\n"
                  "       measure apply DB NFACTS LAST_OFFSET\n"
                  "       measure lag BROKERS TOPIC DB FACTS_PER_SEC PER_MSG SECONDS\n"
                  "       measure engine DB NFACTS PER_MSG GROUP\n");
  return 2;
}
