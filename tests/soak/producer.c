/*
** producer.c — the soak test's write path: every line of standard input
** becomes one Kafka message, in order, and every delivery is reported.
**
**   producer BROKERS TOPIC [KEY=VALUE...]
**
** Line N (0-based) of stdin is produced to partition 0 of TOPIC, the line
** without its newline as the value. For each message, once the broker has
** it, one line goes to stdout:
**   N OFFSET            delivered at OFFSET
**   N error NAME        not delivered (the harness then fails)
** At end of input the producer flushes and exits 0 if every message was
** delivered, 1 otherwise.
**
** The producer is idempotent (acks=all, no duplicates or reordering on
** retry) and never gives up on a message (message.timeout.ms=0): a broker
** outage only delays deliveries. lz4 and a 50 ms linger put many messages
** in one compressed message set, so the mock broker's ~5 MB of log holds a
** few minutes of the soak. KEY=VALUE arguments override librdkafka
** settings.
**
** Why not `polarlite publish lines`: the soak needs the offset of every
** message (its oracle maps offsets to what it sent) and must be able to
** send messages the engine refuses, which publish checks away.
*/
#include <librdkafka/rdkafka.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long gFailed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *pArg){
  long long iSeq = (long long)(intptr_t)m->_private;
  (void)rk; (void)pArg;
  if( m->err ){
    printf("%lld error %s\n", iSeq, rd_kafka_err2name(m->err));
    gFailed++;
  }else{
    printf("%lld %lld\n", iSeq, (long long)m->offset);
  }
}

static void die(const char *zWhat, const char *zWhy){
  fprintf(stderr, "producer: %s: %s\n", zWhat, zWhy);
  exit(2);
}

static void produce(rd_kafka_t *rk, const char *zTopic, const char *z, size_t n,
                    long long iSeq){
  for(;;){
    rd_kafka_resp_err_t err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(zTopic),
        RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE((void*)z, n),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE((void*)(intptr_t)iSeq), RD_KAFKA_V_END);
    if( err==RD_KAFKA_RESP_ERR_NO_ERROR ) return;
    if( err!=RD_KAFKA_RESP_ERR__QUEUE_FULL ) die("produce", rd_kafka_err2str(err));
    rd_kafka_poll(rk, 50);
    fflush(stdout);
  }
}

int main(int argc, char **argv){
  static const char *const azConf[] = {
    "enable.idempotence", "true",
    "acks", "all",
    "compression.type", "lz4",
    "linger.ms", "50",
    "message.timeout.ms", "0",
    "queue.buffering.max.messages", "1000000",
    "reconnect.backoff.max.ms", "1000",
    0
  };
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_t *rk;
  char zErr[512];
  char *zBuf = 0;
  size_t nBuf = 0, nAlloc = 0;
  long long iSeq = 0;
  int bEof = 0, i;
  if( argc<3 ){
    fprintf(stderr, "usage: producer BROKERS TOPIC [KEY=VALUE...]\n");
    return 2;
  }
  if( rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], zErr, sizeof(zErr)) ){
    die("bootstrap.servers", zErr);
  }
  for(i=0; azConf[i]; i+=2){
    if( rd_kafka_conf_set(conf, azConf[i], azConf[i+1], zErr, sizeof(zErr)) ){
      die(azConf[i], zErr);
    }
  }
  for(i=3; i<argc; i++){
    char *zEq = strchr(argv[i], '=');
    if( zEq==0 ) die(argv[i], "expected KEY=VALUE");
    *zEq = 0;
    if( rd_kafka_conf_set(conf, argv[i], zEq+1, zErr, sizeof(zErr)) ) die(argv[i], zErr);
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, zErr, sizeof(zErr));
  if( rk==0 ) die("rd_kafka_new", zErr);

  /* Read whatever stdin has, produce every complete line, serve delivery
  ** reports in between (a blocking read would starve them). */
  while( !bEof ){
    struct pollfd pfd = { 0, POLLIN, 0 };
    if( poll(&pfd, 1, 20)>0 ){
      ssize_t got;
      char *zLine, *zNl;
      if( nAlloc-nBuf<65536 ){
        nAlloc = nAlloc ? nAlloc*2 : 1<<20;
        zBuf = realloc(zBuf, nAlloc);
        if( zBuf==0 ) die("read", "out of memory");
      }
      got = read(0, zBuf+nBuf, nAlloc-nBuf);
      if( got<0 && errno!=EINTR ) die("read", strerror(errno));
      if( got==0 ) bEof = 1;
      if( got>0 ) nBuf += (size_t)got;
      zLine = zBuf;
      while( (zNl = memchr(zLine, '\n', nBuf-(size_t)(zLine-zBuf)))!=0 ){
        produce(rk, argv[2], zLine, (size_t)(zNl-zLine), iSeq++);
        zLine = zNl+1;
      }
      nBuf -= (size_t)(zLine-zBuf);
      memmove(zBuf, zLine, nBuf);
    }
    rd_kafka_poll(rk, 0);
    fflush(stdout);
  }
  if( nBuf>0 ) produce(rk, argv[2], zBuf, nBuf, iSeq++);   /* no final newline */
  while( rd_kafka_outq_len(rk)>0 ){
    rd_kafka_poll(rk, 100);
    fflush(stdout);
  }
  fflush(stdout);
  rd_kafka_destroy(rk);
  free(zBuf);
  return gFailed ? 1 : 0;
}
