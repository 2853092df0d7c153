/*
** producer.c — the write path's Kafka producer (see producer.h).
**
** Delivery reports come back on librdkafka's main queue, which a thread of
** ours polls. An asynchronous send passes its callback as the message's
** opaque (a heap Ack); the report calls it and frees the Ack. librdkafka
** reports every message within message.timeout.ms (or when the producer is
** destroyed), so every callback runs once.
*/
#include "producer.h"
#include "log.h"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct Producer {
  rd_kafka_t *rk;
  const char *zBrokers;
  const char *zTopic;
  int iPartition;
  pthread_t poller;
  atomic_int bStop;
  pthread_mutex_t mu;
  pthread_cond_t cv;          /* a report arrived */
  ProducerStats st;
};

typedef struct Ack { ProducerDone xDone; void *pArg; } Ack;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *pArg){
  Producer *P = pArg;
  Ack *a = m->_private;
  (void)rk;
  pthread_mutex_lock(&P->mu);
  if( m->err ){
    P->st.nFailed++;
    if( P->st.zFirstErr[0]==0 ){
      snprintf(P->st.zFirstErr, sizeof(P->st.zFirstErr), "%s", rd_kafka_err2str(m->err));
    }
  }else{
    P->st.nOk++;
    P->st.iPartition = m->partition;
    if( m->offset>P->st.iLastOffset ) P->st.iLastOffset = m->offset;
  }
  pthread_cond_broadcast(&P->cv);
  pthread_mutex_unlock(&P->mu);
  if( a ){
    char zErr[300];
    if( m->err ) snprintf(zErr, sizeof(zErr), "not acknowledged by the brokers: %s",
                          rd_kafka_err2str(m->err));
    a->xDone(a->pArg, m->err ? zErr : 0, m->partition, m->offset);
    free(a);
  }
}

static void *poll_main(void *pArg){
  Producer *P = pArg;
  while( !atomic_load(&P->bStop) ) rd_kafka_poll(P->rk, 100);
  return 0;
}

int producer_open(const KafkaOpts *o, int iTimeoutMs, int iLingerMs,
                  Producer **ppP, char *zErr, size_t nErr){
  char zTimeout[32], zLinger[32];
  const char *azDefault[] = {
    "enable.idempotence", "true",
    "acks", "all",
    "linger.ms", zLinger,
    "message.timeout.ms", zTimeout,
    0
  };
  rd_kafka_conf_t *conf;
  Producer *P;
  *ppP = 0;
  snprintf(zTimeout, sizeof(zTimeout), "%d", iTimeoutMs);
  snprintf(zLinger, sizeof(zLinger), "%d", iLingerMs);
  conf = kafka_conf(o, azDefault, zErr, nErr);
  if( conf==0 ) return -1;
  P = calloc(1, sizeof(*P));
  if( P==0 ){
    rd_kafka_conf_destroy(conf);
    snprintf(zErr, nErr, "out of memory");
    return -1;
  }
  P->zBrokers = o->zBrokers;
  P->zTopic = o->zTopic;
  P->iPartition = o->iPartition;
  P->st.iLastOffset = -1;
  pthread_mutex_init(&P->mu, 0);
  pthread_cond_init(&P->cv, 0);
  kafka_conf_logging(conf);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, P);
  P->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, zErr, nErr);
  if( P->rk==0 ){
    rd_kafka_conf_destroy(conf);
    pthread_mutex_destroy(&P->mu);
    pthread_cond_destroy(&P->cv);
    free(P);
    return -1;
  }
  if( pthread_create(&P->poller, 0, poll_main, P) ){
    snprintf(zErr, nErr, "cannot start the producer's thread: %s", strerror(errno));
    rd_kafka_destroy(P->rk);
    free(P);
    return -1;
  }
  *ppP = P;
  return 0;
}

/* Queue one message with opaque pAck. */
static int produce(Producer *P, const void *p, size_t n, Ack *pAck, char *zErr, size_t nErr){
  for(;;){
    rd_kafka_resp_err_t err = rd_kafka_producev(P->rk,
        RD_KAFKA_V_TOPIC(P->zTopic), RD_KAFKA_V_PARTITION(P->iPartition),
        RD_KAFKA_V_VALUE((void*)p, n), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(pAck), RD_KAFKA_V_END);
    struct timespec ts = { 0, 20*1000000L };
    if( err==RD_KAFKA_RESP_ERR_NO_ERROR ){
      pthread_mutex_lock(&P->mu);
      P->st.nSent++;
      pthread_mutex_unlock(&P->mu);
      return 0;
    }
    if( err!=RD_KAFKA_RESP_ERR__QUEUE_FULL ){
      snprintf(zErr, nErr, "cannot send to %s [%d]: %s", P->zTopic, P->iPartition,
               rd_kafka_err2str(err));
      return -1;
    }
    nanosleep(&ts, 0);        /* the poller makes room by serving reports */
  }
}

int producer_send(Producer *P, const void *p, size_t n, char *zErr, size_t nErr){
  return produce(P, p, n, 0, zErr, nErr);
}

int producer_send_async(Producer *P, const void *p, size_t n, ProducerDone xDone, void *pArg,
                        char *zErr, size_t nErr){
  Ack *a = calloc(1, sizeof(*a));
  if( a==0 ){ snprintf(zErr, nErr, "out of memory"); return -1; }
  a->xDone = xDone;
  a->pArg = pArg;
  if( produce(P, p, n, a, zErr, nErr) ){ free(a); return -1; }
  return 0;
}

int producer_check(Producer *P, int timeoutMs, char *zErr, size_t nErr){
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(P->rk, P->zTopic, 0);
  const struct rd_kafka_metadata *md = 0;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  int64_t tEnd = log_now_ms() + timeoutMs;
  char zWhy[512];
  int rc = 0;
  if( rkt==0 ){
    snprintf(zErr, nErr, "topic %s: %s", P->zTopic, rd_kafka_err2str(rd_kafka_last_error()));
    return -1;
  }
  /* short requests, so that a report of every broker down (which the
  ** poller thread serves) ends the wait at once */
  while( log_now_ms()<tEnd && !kafka_brokers_down() ){
    int64_t nLeft = tEnd - log_now_ms();
    err = rd_kafka_metadata(P->rk, 0, rkt, &md, nLeft<200 ? (int)nLeft : 200);
    if( err!=RD_KAFKA_RESP_ERR__TIMED_OUT && err!=RD_KAFKA_RESP_ERR__TRANSPORT ) break;
  }
  if( err ){
    kafka_last_failure(zWhy, sizeof(zWhy));
    snprintf(zErr, nErr, "cannot reach the brokers at %s: %s", P->zBrokers, zWhy[0] ? zWhy
             : err==RD_KAFKA_RESP_ERR__TIMED_OUT ? "no answer within the connect timeout"
             : rd_kafka_err2str(err));
    rc = -1;
  }else if( md->topic_cnt==1 && md->topics[0].err==RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ){
    snprintf(zErr, nErr, "topic %s does not exist on %s", P->zTopic, P->zBrokers);
    rc = -1;
  }else if( md->topic_cnt==1 && md->topics[0].err==RD_KAFKA_RESP_ERR_NO_ERROR
         && P->iPartition>=md->topics[0].partition_cnt ){
    snprintf(zErr, nErr, "topic %s has %d partition%s: there is no partition %d", P->zTopic,
             md->topics[0].partition_cnt, md->topics[0].partition_cnt==1 ? "" : "s",
             P->iPartition);
    rc = -1;
  }
  if( md ) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  return rc;
}

/* An absolute CLOCK_REALTIME deadline iMs from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(int iMs){
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += iMs/1000;
  ts.tv_nsec += (long)(iMs%1000)*1000000L;
  if( ts.tv_nsec>=1000000000L ){ ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
  return ts;
}

void producer_flush(Producer *P, int iTimeoutMs, ProducerStats *pStats){
  struct timespec until = deadline_in(iTimeoutMs);
  pthread_mutex_lock(&P->mu);
  while( P->st.nOk + P->st.nFailed < P->st.nSent ){
    if( pthread_cond_timedwait(&P->cv, &P->mu, &until)==ETIMEDOUT ) break;
  }
  *pStats = P->st;
  pthread_mutex_unlock(&P->mu);
}

void producer_close(Producer *P){
  if( P==0 ) return;
  atomic_store(&P->bStop, 1);
  pthread_join(P->poller, 0);
  rd_kafka_flush(P->rk, 2000);
  rd_kafka_destroy(P->rk);
  pthread_cond_destroy(&P->cv);
  pthread_mutex_destroy(&P->mu);
  free(P);
}
