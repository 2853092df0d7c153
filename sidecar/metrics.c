/*
** metrics.c — Prometheus /metrics and /healthz (see metrics.h).
*/
#include "addr.h"
#include "log.h"
#include "metrics.h"
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define HEALTH_STALL_MS 15000   /* apply loop silent this long: unhealthy */

static pthread_mutex_t snapMutex = PTHREAD_MUTEX_INITIALIZER;
static MetricsSnap snap = {
  .iAppliedOffset = -1, .iHighWatermark = -1, .nLagMessages = -1, .iLagMs = -1,
  .iSnapshotAtMs = -1
};
static struct MHD_Daemon *daemonHandle;

void metrics_update(const MetricsSnap *p){
  pthread_mutex_lock(&snapMutex);
  snap = *p;
  pthread_mutex_unlock(&snapMutex);
}

/* v as a sample value: whole numbers as integers, others with at most
** three decimals and no trailing zeros ("1.59", not the shortest double
** that reads back, 1.5900000000000001). */
static void sample_value(char *z, size_t n, double v){
  if( v==(double)(long long)v && v>-9e15 && v<9e15 ){
    snprintf(z, n, "%lld", (long long)v);
  }else{
    size_t k;
    snprintf(z, n, "%.3f", v);
    k = strlen(z);
    while( k>1 && z[k-1]=='0' ) z[--k] = 0;
    if( k>1 && z[k-1]=='.' ) z[--k] = 0;
  }
}

/* One metric: HELP, TYPE and the sample. */
static void put(char *z, size_t n, size_t *pi, const char *zName, const char *zType,
                const char *zHelp, double v){
  char zVal[48];
  int k;
  if( *pi>=n ) return;
  sample_value(zVal, sizeof(zVal), v);
  k = snprintf(z+*pi, n-*pi, "# HELP %s %s\n# TYPE %s %s\n%s %s\n",
               zName, zHelp, zName, zType, zName, zVal);
  if( k>0 ) *pi += (size_t)k;
}

static size_t render_metrics(char *z, size_t n){
  MetricsSnap s;
  size_t i = 0;
  pthread_mutex_lock(&snapMutex);
  s = snap;
  pthread_mutex_unlock(&snapMutex);
  put(z, n, &i, "polarlite_applied_offset", "gauge",
      "Offset of the last log message applied to the database.", (double)s.iAppliedOffset);
  if( s.iHighWatermark>=0 ){
    put(z, n, &i, "polarlite_log_end_offset", "gauge",
        "Log end offset (high watermark) of the partition as last seen.",
        (double)s.iHighWatermark);
  }
  if( s.nLagMessages>=0 ){
    put(z, n, &i, "polarlite_lag_messages", "gauge",
        "Messages in the log not yet applied.", (double)s.nLagMessages);
  }
  if( s.iLagMs>=0 ){
    put(z, n, &i, "polarlite_lag_milliseconds", "gauge",
        "Time from publish to apply of the last applied message.", (double)s.iLagMs);
  }
  put(z, n, &i, "polarlite_applied_messages_total", "counter",
      "Log messages applied.", (double)s.nMessages);
  put(z, n, &i, "polarlite_applied_facts_total", "counter",
      "Facts inserted or deleted by applied messages.", (double)s.nFacts);
  put(z, n, &i, "polarlite_apply_rate_facts_per_second", "gauge",
      "Facts applied per second over the last seconds.", s.rFactsPerSec);
  put(z, n, &i, "polarlite_rejected_messages_total", "counter",
      "Log messages refused and recorded in polar_rejected.", (double)s.nRejected);
  put(z, n, &i, "polarlite_transactions_total", "counter",
      "SQLite transactions committed by the apply loop.", (double)s.nTransactions);
  put(z, n, &i, "polarlite_policy_version", "gauge",
      "Version of the policy in the database.", (double)s.iPolicyVersion);
  if( !s.bFallback ){
    put(z, n, &i, "polarlite_broker_up", "gauge",
        "1 when the Kafka brokers were reachable at the last contact.", (double)s.bBrokerUp);
  }
  if( s.iSnapshotAtMs>0 ){
    put(z, n, &i, "polarlite_snapshot_age_seconds", "gauge",
        "Seconds since the newest snapshot this node published or restored was taken.",
        (double)(log_now_ms()-s.iSnapshotAtMs)/1000.0);
  }
  put(z, n, &i, "polarlite_snapshots_total", "counter", s.bFallback
      ? "Snapshots restored into the database." : "Snapshots published by this node.",
      (double)s.nSnapshots);
  put(z, n, &i, "polarlite_snapshot_errors_total", "counter",
      "Snapshot publish or refresh rounds that failed.", (double)s.nSnapshotErrors);
  return i<n ? i : n;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
                             const char *zType, const char *z, size_t n){
  struct MHD_Response *r = MHD_create_response_from_buffer(n, (void*)z,
                                                           MHD_RESPMEM_MUST_COPY);
  enum MHD_Result rc;
  if( r==0 ) return MHD_NO;
  MHD_add_response_header(r, "Content-Type", zType);
  rc = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *zUrl,
                                  const char *zMethod, const char *zVersion,
                                  const char *zUpload, size_t *pnUpload, void **ppState){
  char z[8192];
  size_t n;
  (void)cls; (void)zVersion; (void)zUpload; (void)pnUpload; (void)ppState;
  if( strcmp(zMethod, "GET")!=0 && strcmp(zMethod, "HEAD")!=0 ){
    return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "use GET\n", 8);
  }
  if( strcmp(zUrl, "/metrics")==0 ){
    n = render_metrics(z, sizeof(z));
    return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", z, n);
  }
  if( strcmp(zUrl, "/healthz")==0 ){
    MetricsSnap s;
    int64_t age, stall;
    int k;
    pthread_mutex_lock(&snapMutex);
    s = snap;
    pthread_mutex_unlock(&snapMutex);
    age = log_now_ms() - s.iHeartbeatMs;
    stall = s.iStallMs>0 ? s.iStallMs : HEALTH_STALL_MS;
    if( s.bFallback ){
      k = snprintf(z, sizeof(z), "%s fallback applied_offset=%lld snapshot_age_s=%.0f\n",
                   age<=stall ? "ok" : "stalled", (long long)s.iAppliedOffset,
                   s.iSnapshotAtMs>0 ? (double)(log_now_ms()-s.iSnapshotAtMs)/1000.0 : -1.0);
    }else{
      k = snprintf(z, sizeof(z), "%s applied_offset=%lld lag_messages=%lld broker=%s\n",
                   age<=stall ? "ok" : "stalled", (long long)s.iAppliedOffset,
                   (long long)s.nLagMessages, s.bBrokerUp ? "up" : "down");
    }
    return reply(c, age<=stall ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                 "text/plain", z, (size_t)k);
  }
  return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found: try /metrics or /healthz\n", 36);
}

int metrics_check_addr(const char *zAddr, char *zErr, size_t nErr){
  struct addrinfo *pAi = 0;
  if( addr_parse("--metrics", zAddr, &pAi, zErr, nErr) ) return -1;
  freeaddrinfo(pAi);
  return 0;
}

int metrics_start(const char *zAddr, char *zErr, size_t nErr){
  struct addrinfo *pAi = 0;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
  if( addr_parse("--metrics", zAddr, &pAi, zErr, nErr) ) return -1;
  if( pAi->ai_family==AF_INET6 ) flags |= MHD_USE_IPv6;
  daemonHandle = MHD_start_daemon(flags, 0, 0, 0, on_request, 0,
                                  MHD_OPTION_SOCK_ADDR, pAi->ai_addr,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                  MHD_OPTION_END);
  freeaddrinfo(pAi);
  if( daemonHandle==0 ){
    snprintf(zErr, nErr, "--metrics %s: cannot listen (address in use or not local?)", zAddr);
    return -1;
  }
  {
    /* the port it listens on: the one asked for, or the kernel's choice
    ** for port 0 (what tests use, so that they never collide) */
    const union MHD_DaemonInfo *pInfo =
        MHD_get_daemon_info(daemonHandle, MHD_DAEMON_INFO_BIND_PORT);
    char zQ[300];
    log_event(LOG_INFO, "metrics_listening", "addr=%s port=%u", log_q(zQ, sizeof(zQ), zAddr),
              pInfo ? (unsigned)pInfo->port : 0u);
  }
  return 0;
}

void metrics_stop(void){
  if( daemonHandle ) MHD_stop_daemon(daemonHandle);
  daemonHandle = 0;
}
