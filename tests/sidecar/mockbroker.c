/*
** mockbroker.c — a Kafka-protocol broker on loopback for the sidecar tests:
** librdkafka's mock cluster (rdkafka_mock.h) in a small program.
**
**   mockbroker [-b BROKERS] TOPIC...      creates each TOPIC (1 partition),
**                                         prints the bootstrap address, and
**                                         runs until killed
**
** Fault injection, one command per line on stdin (each answered "ok" or
** "error ..." on stdout):
**   down ID | up ID            take broker ID (1..BROKERS) off the network / back
**   errors APIKEY CODE COUNT   the next COUNT requests of APIKEY (1 Fetch,
**                              0 Produce, 2 ListOffsets, 3 Metadata) fail with
**                              the Kafka error CODE (e.g. 6 NOT_LEADER, 7
**                              REQUEST_TIMED_OUT)
**   rtt ID MS                  add MS of round-trip time to broker ID
**   topic NAME                 create another topic
** At end of input the cluster keeps running until SIGTERM/SIGINT.
**
** The mock keeps at most about 5 MB per partition: appending more drops the
** oldest message sets, which moves the log start up (used to test a stored
** position that the log no longer holds).
*/
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t gStop;
static void on_signal(int sig){ (void)sig; gStop = 1; }

static void command(rd_kafka_mock_cluster_t *mc, char *zLine){
  char zCmd[32], zName[256];
  int a = 0, b = 0, c = 0, n;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  n = sscanf(zLine, "%31s %d %d %d", zCmd, &a, &b, &c);
  if( n<1 ) return;
  if( strcmp(zCmd, "down")==0 && n==2 ){
    err = rd_kafka_mock_broker_set_down(mc, a);
  }else if( strcmp(zCmd, "up")==0 && n==2 ){
    err = rd_kafka_mock_broker_set_up(mc, a);
  }else if( strcmp(zCmd, "rtt")==0 && n==3 ){
    err = rd_kafka_mock_broker_set_rtt(mc, a, b);
  }else if( strcmp(zCmd, "errors")==0 && n==4 && c>0 && c<=1000 ){
    rd_kafka_resp_err_t aErr[1000];
    int i;
    for(i=0; i<c; i++) aErr[i] = (rd_kafka_resp_err_t)b;
    rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)c, aErr);
  }else if( strcmp(zCmd, "topic")==0 && sscanf(zLine, "%*s %255s", zName)==1 ){
    err = rd_kafka_mock_topic_create(mc, zName, 1, 1);
  }else{
    printf("error unknown command: %s\n", zLine);
    fflush(stdout);
    return;
  }
  if( err ) printf("error %s\n", rd_kafka_err2str(err));
  else printf("ok\n");
  fflush(stdout);
}

int main(int argc, char **argv){
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_t *rk;
  rd_kafka_mock_cluster_t *mc;
  char zErr[512], zLine[1024];
  size_t nLine = 0;
  sigset_t block, old;
  int nBroker = 1, i = 1, bEof = 0;
  if( argc>2 && strcmp(argv[1], "-b")==0 ){ nBroker = atoi(argv[2]); i = 3; }
  if( i>=argc || nBroker<1 ){
    fprintf(stderr, "usage: mockbroker [-b BROKERS] TOPIC...\n");
    return 2;
  }
  {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGINT, &sa, 0);
  }
  /* librdkafka's threads inherit this mask: signals reach the main thread */
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, zErr, sizeof(zErr));
  if( rk==0 ){ fprintf(stderr, "mockbroker: %s\n", zErr); return 1; }
  mc = rd_kafka_mock_cluster_new(rk, nBroker);
  if( mc==0 ){ fprintf(stderr, "mockbroker: cannot start the mock cluster\n"); return 1; }
  for(; i<argc; i++){
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, argv[i], 1, nBroker);
    if( err ){
      fprintf(stderr, "mockbroker: topic %s: %s\n", argv[i], rd_kafka_err2str(err));
      return 1;
    }
  }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  pthread_sigmask(SIG_SETMASK, &old, 0);
  /* commands from stdin, polled so that a signal is seen within 200 ms */
  while( !gStop ){
    struct pollfd pfd = { 0, POLLIN, 0 };
    ssize_t got;
    char *zNl;
    if( bEof ){ poll(0, 0, 200); continue; }
    if( poll(&pfd, 1, 200)<=0 ) continue;
    got = read(0, zLine+nLine, sizeof(zLine)-1-nLine);
    if( got<=0 ){ bEof = 1; continue; }
    nLine += (size_t)got;
    zLine[nLine] = 0;
    while( (zNl = strchr(zLine, '\n'))!=0 ){
      *zNl = 0;
      command(mc, zLine);
      nLine -= (size_t)(zNl+1-zLine);
      memmove(zLine, zNl+1, nLine+1);
    }
    if( nLine==sizeof(zLine)-1 ) nLine = 0;       /* an overlong line: drop it */
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
