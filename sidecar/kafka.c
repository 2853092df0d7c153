/*
** kafka.c — librdkafka configuration and the sidecar's partition reader
** (see kafka.h).
*/
#include "kafka.h"
#include "log.h"
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kafka_add_x(KafkaOpts *o, const char *zKV, char *zErr, size_t nErr){
  const char *zEq = strchr(zKV, '=');
  if( zEq==0 || zEq==zKV ){
    snprintf(zErr, nErr, "-X %s: expected key=value (a librdkafka setting)", zKV);
    return -1;
  }
  if( o->nX>=KAFKA_MAX_X ){
    snprintf(zErr, nErr, "-X %s: more than %d -X settings", zKV, KAFKA_MAX_X);
    return -1;
  }
  o->azX[o->nX++] = zKV;
  return 0;
}

static int conf_set(rd_kafka_conf_t *conf, const char *zKey, const char *zVal,
                    const char *zWhere, char *zErr, size_t nErr){
  char zMsg[512];
  if( rd_kafka_conf_set(conf, zKey, zVal, zMsg, sizeof(zMsg))!=RD_KAFKA_CONF_OK ){
    snprintf(zErr, nErr, "%s%s=%s: %s", zWhere, zKey, zVal, zMsg);
    return -1;
  }
  return 0;
}

rd_kafka_conf_t *kafka_conf(const KafkaOpts *o, const char *const *azDefault,
                            char *zErr, size_t nErr){
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  int i;
  for(i=0; azDefault && azDefault[i]; i+=2){
    if( conf_set(conf, azDefault[i], azDefault[i+1], "", zErr, nErr) ) goto conf_fail;
  }
  if( o->zBrokers
   && conf_set(conf, "bootstrap.servers", o->zBrokers, "--brokers: ", zErr, nErr) ){
    goto conf_fail;
  }
  for(i=0; i<o->nX; i++){
    const char *zEq = strchr(o->azX[i], '=');
    char zKey[256];
    size_t nKey = (size_t)(zEq - o->azX[i]);
    if( nKey>=sizeof(zKey) ){
      snprintf(zErr, nErr, "-X %s: the key is too long", o->azX[i]);
      goto conf_fail;
    }
    memcpy(zKey, o->azX[i], nKey);
    zKey[nKey] = 0;
    if( conf_set(conf, zKey, zEq+1, "-X ", zErr, nErr) ) goto conf_fail;
  }
  return conf;

conf_fail:
  rd_kafka_conf_destroy(conf);
  return 0;
}

/* The position lives in the database, so Kafka offsets are never committed
** or reset: a missing offset must surface as an error, not as a silent
** jump. */
const char *const kafka_reader_conf[] = {
  /* rd_kafka_assign() wants a group id; the group is never joined and no
  ** offset is ever committed to it */
  "group.id", "polarlite-sidecar",
  "enable.auto.commit", "false",
  "enable.auto.offset.store", "false",
  "auto.offset.reset", "error",
  "enable.partition.eof", "false",
  "fetch.wait.max.ms", "10",
  "reconnect.backoff.ms", "100",
  "reconnect.backoff.max.ms", "5000",
  "topic.metadata.refresh.interval.ms", "10000",
  0
};

/*-------------------------------------------------------------- logging --*/

static atomic_int kafkaDown;      /* last transport report: all brokers down */
static pthread_mutex_t failMutex = PTHREAD_MUTEX_INITIALIZER;
static char zLastFailure[512];    /* the last error-level log line */

void kafka_last_failure(char *zOut, size_t nOut){
  pthread_mutex_lock(&failMutex);
  snprintf(zOut, nOut, "%s", zLastFailure);
  pthread_mutex_unlock(&failMutex);
}

static void on_log(const rd_kafka_t *rk, int level, const char *zFac, const char *zBuf){
  char q1[64], q2[1024];
  (void)rk;
  if( level<=3 ){
    /* without librdkafka's "[thrd:NAME]: " prefix */
    const char *z = strncmp(zBuf, "[thrd:", 6)==0 && strstr(zBuf, "]: ") ? strstr(zBuf, "]: ")+3
                                                                         : zBuf;
    pthread_mutex_lock(&failMutex);
    snprintf(zLastFailure, sizeof(zLastFailure), "%s", z);
    pthread_mutex_unlock(&failMutex);
  }
  /* syslog levels: 0..3 error, 4 warning, 5..6 info, 7 debug */
  log_event(level<=3 ? LOG_ERROR : level==4 ? LOG_WARN : level<=6 ? LOG_INFO : LOG_DEBUG,
            "kafka_log", "facility=%s msg=%s", log_q(q1, sizeof(q1), zFac),
            log_q(q2, sizeof(q2), zBuf));
}

static void on_error(rd_kafka_t *rk, int err, const char *zReason, void *pArg){
  char q[1024];
  (void)rk; (void)pArg;
  if( err==RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ) atomic_store(&kafkaDown, 1);
  log_event(err==RD_KAFKA_RESP_ERR__FATAL ? LOG_ERROR : LOG_WARN, "kafka_error",
            "code=%s reason=%s", rd_kafka_err2name((rd_kafka_resp_err_t)err),
            log_q(q, sizeof(q), zReason));
}

void kafka_conf_logging(rd_kafka_conf_t *conf){
  rd_kafka_conf_set_log_cb(conf, on_log);
  rd_kafka_conf_set_error_cb(conf, on_error);
}

/*--------------------------------------------------------------- reader --*/

struct Reader {
  rd_kafka_t *rk;
  const char *zTopic;
  int iPartition;
};

int reader_open(const KafkaOpts *o, rd_kafka_conf_t *conf, Reader **ppR,
                char *zErr, size_t nErr){
  Reader *R = calloc(1, sizeof(*R));
  char zMsg[512];
  *ppR = 0;
  if( R==0 ){ rd_kafka_conf_destroy(conf); snprintf(zErr, nErr, "out of memory"); return -1; }
  kafka_conf_logging(conf);
  R->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, zMsg, sizeof(zMsg));
  if( R->rk==0 ){
    rd_kafka_conf_destroy(conf);
    snprintf(zErr, nErr, "cannot create the Kafka client: %s", zMsg);
    free(R);
    return -1;
  }
  rd_kafka_poll_set_consumer(R->rk);
  R->zTopic = o->zTopic;
  R->iPartition = o->iPartition;
  *ppR = R;
  return 0;
}

void reader_close(Reader *R){
  if( R==0 ) return;
  rd_kafka_assign(R->rk, 0);
  rd_kafka_consumer_close(R->rk);
  rd_kafka_destroy(R->rk);
  free(R);
}

/* One end of the partition: a ListOffsets request for the special
** timestamp RD_KAFKA_OFFSET_BEGINNING (log start) or RD_KAFKA_OFFSET_END
** (log end), through rd_kafka_offsets_for_times, which gives up when
** timeoutMs runs out. rd_kafka_query_watermark_offsets asks the same but,
** in the librdkafka of Debian 12 (2.0.2), waits for the leader's answer
** past its timeout for as long as the broker is unreachable (librdkafka
** issue 2588, fixed in 2.3.0): a sidecar stopped during an outage hung. */
static rd_kafka_resp_err_t list_offset(Reader *R, int64_t iWhich, int64_t *pOffset,
                                       int timeoutMs){
  rd_kafka_topic_partition_list_t *pList = rd_kafka_topic_partition_list_new(1);
  rd_kafka_resp_err_t err;
  rd_kafka_topic_partition_list_add(pList, R->zTopic, R->iPartition)->offset = iWhich;
  err = rd_kafka_offsets_for_times(R->rk, pList, timeoutMs);
  if( err==RD_KAFKA_RESP_ERR_NO_ERROR ) err = pList->elems[0].err;
  if( err==RD_KAFKA_RESP_ERR_NO_ERROR ) *pOffset = pList->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(pList);
  return err;
}

rd_kafka_resp_err_t reader_watermarks(Reader *R, int64_t *pLow, int64_t *pHigh,
                                      int timeoutMs){
  int64_t tEnd = log_now_ms() + timeoutMs, iLow = -1, iHigh = -1;
  rd_kafka_resp_err_t err = list_offset(R, RD_KAFKA_OFFSET_BEGINNING, &iLow, timeoutMs);
  if( err==RD_KAFKA_RESP_ERR_NO_ERROR ){
    int64_t nLeft = tEnd - log_now_ms();
    err = nLeft<=0 ? RD_KAFKA_RESP_ERR__TIMED_OUT
                   : list_offset(R, RD_KAFKA_OFFSET_END, &iHigh, (int)nLeft);
  }
  if( err!=RD_KAFKA_RESP_ERR_NO_ERROR ) return err;
  /* each end was asked on its own and its own error checked, so a failed
  ** request is an error here, never a made-up end (the watermark query of
  ** librdkafka 2.0.2 could answer both ends equal to the one it got); an
  ** answer that is still not a log is treated as a failure, and asked again */
  if( iLow<0 || iHigh<iLow ) return RD_KAFKA_RESP_ERR__INCONSISTENT;
  *pLow = iLow;
  *pHigh = iHigh;
  atomic_store(&kafkaDown, 0);
  return err;
}

int64_t reader_cached_high(Reader *R){
  int64_t lo = -1, hi = -1;
  if( rd_kafka_get_watermark_offsets(R->rk, R->zTopic, R->iPartition, &lo, &hi)
      !=RD_KAFKA_RESP_ERR_NO_ERROR ) return -1;
  return hi;
}

int reader_start(Reader *R, int64_t iOffset, char *zErr, size_t nErr){
  rd_kafka_topic_partition_list_t *pList = rd_kafka_topic_partition_list_new(1);
  rd_kafka_resp_err_t err;
  rd_kafka_topic_partition_list_add(pList, R->zTopic, R->iPartition)->offset = iOffset;
  /* when reading again from another position (after a restore), drop the
  ** old assignment first so nothing fetched from the old position remains */
  rd_kafka_assign(R->rk, 0);
  err = rd_kafka_assign(R->rk, pList);
  rd_kafka_topic_partition_list_destroy(pList);
  if( err ){
    snprintf(zErr, nErr, "cannot assign %s [%d]: %s", R->zTopic, R->iPartition,
             rd_kafka_err2str(err));
    return -1;
  }
  return 0;
}

rd_kafka_message_t *reader_poll(Reader *R, int timeoutMs){
  rd_kafka_message_t *m = rd_kafka_consumer_poll(R->rk, timeoutMs);
  if( m && m->err==RD_KAFKA_RESP_ERR_NO_ERROR ) atomic_store(&kafkaDown, 0);
  return m;
}

int reader_is_out_of_range(const rd_kafka_message_t *m){
  return m->err==RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET
      || m->err==RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE;
}

int reader_broker_down(Reader *R){
  (void)R;
  return kafka_brokers_down();
}

int kafka_brokers_down(void){
  return atomic_load(&kafkaDown);
}

/*---------------------------------------------------------- dev cluster --*/

static rd_kafka_t *devRk;
static rd_kafka_mock_cluster_t *devCluster;

const char *devcluster_start(const char *zTopic, char *zErr, size_t nErr){
  char zMsg[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_resp_err_t err;
  kafka_conf_logging(conf);
  /* the cluster needs a client handle for its threads and logging */
  devRk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, zMsg, sizeof(zMsg));
  if( devRk==0 ){
    rd_kafka_conf_destroy(conf);
    snprintf(zErr, nErr, "--dev: cannot create a Kafka client: %s", zMsg);
    return 0;
  }
  devCluster = rd_kafka_mock_cluster_new(devRk, 1);
  if( devCluster==0 ){
    snprintf(zErr, nErr, "--dev: cannot start librdkafka's mock cluster");
    devcluster_stop();
    return 0;
  }
  err = rd_kafka_mock_topic_create(devCluster, zTopic, 1, 1);
  if( err ){
    snprintf(zErr, nErr, "--dev: cannot create topic %s: %s", zTopic, rd_kafka_err2str(err));
    devcluster_stop();
    return 0;
  }
  return rd_kafka_mock_cluster_bootstraps(devCluster);
}

void devcluster_stop(void){
  if( devCluster ) rd_kafka_mock_cluster_destroy(devCluster);
  if( devRk ) rd_kafka_destroy(devRk);
  devCluster = 0;
  devRk = 0;
}

static void dev_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *pArg){
  (void)rk;
  *(rd_kafka_resp_err_t*)pArg = m->err;
}

int devcluster_produce(const char *zTopic, const char *pData, size_t nData,
                       char *zErr, size_t nErr){
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  rd_kafka_t *rk;
  char zMsg[512];
  if( devCluster==0 || rd_kafka_conf_set(conf, "bootstrap.servers",
        rd_kafka_mock_cluster_bootstraps(devCluster), zMsg, sizeof(zMsg))!=RD_KAFKA_CONF_OK ){
    rd_kafka_conf_destroy(conf);
    snprintf(zErr, nErr, "--dev: no dev cluster to write to");
    return -1;
  }
  kafka_conf_logging(conf);
  rd_kafka_conf_set_dr_msg_cb(conf, dev_on_delivery);
  rd_kafka_conf_set_opaque(conf, &err);
  rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, zMsg, sizeof(zMsg));
  if( rk==0 ){
    rd_kafka_conf_destroy(conf);
    snprintf(zErr, nErr, "--dev: cannot create a Kafka client: %s", zMsg);
    return -1;
  }
  if( rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(zTopic), RD_KAFKA_V_PARTITION(0),
                        RD_KAFKA_V_VALUE((void*)pData, nData),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)==0 ){
    rd_kafka_flush(rk, 10000);
  }else{
    err = rd_kafka_last_error();
  }
  rd_kafka_destroy(rk);
  if( err ){
    snprintf(zErr, nErr, "--dev: cannot write to topic %s: %s", zTopic, rd_kafka_err2str(err));
    return -1;
  }
  return 0;
}
